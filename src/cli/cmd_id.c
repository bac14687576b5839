/* SPDX-License-Identifier: MIT */
/*
 * sealmail id: create, import, list, show, export and delete your digital
 * IDs.  Parses arguments, calls the public API and prints; all checks and
 * messages about the data itself come from the library.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "out.h"

enum {
	OPT_EMAIL = OPT_LOCAL_BASE,
	OPT_NAME,
	OPT_KEY,
	OPT_DAYS,
	OPT_NO_PASSPHRASE,
	OPT_P12,
	OPT_CERT,
	OPT_LEGACY
};

static const struct option id_longopts[] = {
        {"email", required_argument, NULL, OPT_EMAIL},
        {"name", required_argument, NULL, OPT_NAME},
        {"key", required_argument, NULL, OPT_KEY},
        {"days", required_argument, NULL, OPT_DAYS},
        {"no-passphrase", no_argument, NULL, OPT_NO_PASSPHRASE},
        {"p12", required_argument, NULL, OPT_P12},
        {"cert", no_argument, NULL, OPT_CERT},
        {"legacy", no_argument, NULL, OPT_LEGACY},
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0}};

static const struct {
	const char *name;
	sealmail_key_type type;
} key_types[] = {
        {"rsa2048", SEALMAIL_KEY_RSA2048}, {"rsa3072", SEALMAIL_KEY_RSA3072},
        {"rsa4096", SEALMAIL_KEY_RSA4096}, {"p256", SEALMAIL_KEY_P256},
        {"p384", SEALMAIL_KEY_P384},
};

struct id_args {
	const char *email;
	const char *name;
	const char *p12;
	sealmail_key_type key_type;
	int days;
	bool no_passphrase;
	bool cert;
	bool legacy;
	int nargs;
	char **args;
};

static void
usage(FILE *f)
{
	(void)fprintf(f,
	              "usage: sealmail id create --email ADDR [--name NAME] "
	              "[--key rsa2048|rsa3072|rsa4096|p256|p384]\n"
	              "                          [--days N] [--no-passphrase]\n"
	              "       sealmail id import FILE [KEYFILE] "
	              "[--no-passphrase]\n"
	              "       sealmail id list [--json]\n"
	              "       sealmail id show ID [--json]\n"
	              "       sealmail id export ID [--cert | --p12 FILE "
	              "[--legacy]]\n"
	              "       sealmail id delete ID\n"
	              "ID is a fingerprint, a unique prefix of it (4 or more "
	              "digits), or an address.\n"
	              "Passphrases: --passphrase-file FILE (the key), "
	              "--password-file FILE (PKCS#12).\n");
}

/* Parse the options after the subcommand; 0, -1 for --help, or 64. */
static int
parse(struct cli *cli, struct id_args *a, int argc, char **argv)
{
	int c, rc;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", id_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_EMAIL:
			a->email = optarg;
			break;
		case OPT_NAME:
			a->name = optarg;
			break;
		case OPT_KEY: {
			size_t i;
			for (i = 0;
			     i < sizeof(key_types) / sizeof(key_types[0]);
			     i++) {
				if (strcmp(optarg, key_types[i].name) == 0)
					break;
			}
			if (i == sizeof(key_types) / sizeof(key_types[0]))
				return cli_usage_error(
				        cli,
				        "unknown key type '%s': use rsa2048, "
				        "rsa3072, rsa4096, p256 or p384",
				        optarg);
			a->key_type = key_types[i].type;
			break;
		}
		case OPT_DAYS: {
			char *end;
			long v;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    v < 1 || v > 36500)
				return cli_usage_error(
				        cli,
				        "--days wants a number of days from 1 "
				        "to 36500, not '%s'",
				        optarg);
			a->days = (int)v;
			break;
		}
		case OPT_NO_PASSPHRASE:
			a->no_passphrase = true;
			break;
		case OPT_P12:
			a->p12 = optarg;
			break;
		case OPT_CERT:
			a->cert = true;
			break;
		case OPT_LEGACY:
			a->legacy = true;
			break;
		default:
			rc = cli_option(cli, c, argv);
			if (rc != 0)
				return rc;
			break;
		}
	}
	a->nargs = argc - optind;
	a->args = argv + optind;
	return 0;
}

static void
print_time(const char *label, int64_t t)
{
	char buf[32];

	out_time(buf, sizeof(buf), t);
	(void)printf("%-13s %s\n", label, buf);
}

static void
print_line(const char *label, const char *value)
{
	(void)printf("%-13s ", label);
	out_text(stdout, value);
	(void)putchar('\n');
}

static void
show_human(const sealmail_id *id)
{
	char from[32], to[32];

	print_line("fingerprint:", sealmail_id_fingerprint(id));
	print_line("name:", sealmail_id_name(id));
	(void)printf("%-13s ", "addresses:");
	for (size_t i = 0; i < sealmail_id_address_count(id); i++) {
		if (i > 0)
			(void)fputs(", ", stdout);
		out_text(stdout, sealmail_id_address_at(id, i));
	}
	(void)putchar('\n');
	print_line("subject:", sealmail_id_subject(id));
	print_line("issuer:", sealmail_id_issuer(id));
	print_line("serial:", sealmail_id_serial(id));
	(void)printf("%-13s ", "key:");
	out_text(stdout, sealmail_id_key_desc(id));
	(void)printf(", %s\n", sealmail_id_key_encrypted(id)
	                               ? "protected by a passphrase"
	                               : "stored without a passphrase");
	out_time(from, sizeof(from), sealmail_id_not_before(id));
	out_time(to, sizeof(to), sealmail_id_not_after(id));
	(void)printf("%-13s %s to %s\n", "valid:", from, to);
	print_time("added:", sealmail_id_created(id));
}

static void
json_id(json *j, const sealmail_id *id)
{
	char buf[32];

	json_object_begin(j);
	json_kv_string(j, "fingerprint", sealmail_id_fingerprint(id));
	json_kv_string(j, "name", sealmail_id_name(id));
	json_key(j, "addresses");
	json_array_begin(j);
	for (size_t i = 0; i < sealmail_id_address_count(id); i++)
		json_string(j, sealmail_id_address_at(id, i));
	json_array_end(j);
	json_kv_string(j, "subject", sealmail_id_subject(id));
	json_kv_string(j, "issuer", sealmail_id_issuer(id));
	json_kv_string(j, "serial", sealmail_id_serial(id));
	json_kv_string(j, "key", sealmail_id_key_desc(id));
	json_kv_bool(j, "key_encrypted", sealmail_id_key_encrypted(id) != 0);
	out_time(buf, sizeof(buf), sealmail_id_not_before(id));
	json_kv_string(j, "not_before", buf);
	out_time(buf, sizeof(buf), sealmail_id_not_after(id));
	json_kv_string(j, "not_after", buf);
	out_time(buf, sizeof(buf), sealmail_id_created(id));
	json_kv_string(j, "created", buf);
	json_object_end(j);
}

static void
show(struct cli *cli, const sealmail_id *id)
{
	if (cli->json) {
		json j;
		json_init(&j, stdout);
		json_id(&j, id);
		json_end(&j);
	} else {
		show_human(id);
	}
}

/*
 * cli_fail, plus what to do when no passphrase or password could be asked
 * (no terminal): the store says "no passphrase given for <what>".
 */
static int
id_fail(struct cli *cli, int rc)
{
	static const char prefix[] = "no passphrase given for ";
	const char *m = cli->err.message, *what, *hint;

	if (rc != SEALMAIL_EPASSPHRASE ||
	    strncmp(m, prefix, sizeof(prefix) - 1) != 0)
		return cli_fail(cli, rc);
	what = m + sizeof(prefix) - 1;
	if (strncmp(what, "the new digital ID", 18) == 0)
		hint = "give --passphrase-file FILE, or --no-passphrase to "
		       "store the key unencrypted";
	else if (strncmp(what, "the digital ID", 14) == 0 ||
	         strncmp(what, "the private key", 15) == 0)
		hint = "give --passphrase-file FILE";
	else
		hint = "give --password-file FILE";
	return cli_error(cli, cli_exit_code(rc), "%s: %s", m, hint);
}

static int
id_create(struct cli *cli, struct id_args *a)
{
	sealmail_id_create_options opts = SEALMAIL_ID_CREATE_OPTIONS_INIT;
	sealmail_id *id = NULL;
	int rc;

	if (a->email == NULL)
		return cli_usage_error(cli, "id create needs --email ADDR");
	if (a->nargs != 0)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       a->args[0]);
	opts.name = a->name;
	opts.key_type = a->key_type;
	opts.days = a->days;
	if (a->no_passphrase)
		opts.flags |= SEALMAIL_ID_NO_PASSPHRASE;
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = sealmail_id_create(&id, cli->store, a->email, &opts, &cli->err);
	if (rc != SEALMAIL_OK)
		return id_fail(cli, rc);
	show(cli, id);
	sealmail_id_free(id);
	return 0;
}

static int
id_import(struct cli *cli, struct id_args *a)
{
	sealmail_id_import_options opts = SEALMAIL_ID_IMPORT_OPTIONS_INIT;
	unsigned char *data = NULL, *key = NULL;
	size_t len = 0, key_len = 0;
	sealmail_id *id = NULL;
	int rc;

	if (a->nargs < 1 || a->nargs > 2)
		return cli_usage_error(cli, "id import wants FILE [KEYFILE]");
	if (a->no_passphrase)
		opts.flags |= SEALMAIL_ID_NO_PASSPHRASE;
	opts.data_name = a->args[0];
	opts.key_data_name = a->nargs == 2 ? a->args[1] : NULL;
	rc = cli_read_file(cli, a->args[0], &data, &len);
	if (rc == 0 && a->nargs == 2)
		rc = cli_read_file(cli, a->args[1], &key, &key_len);
	if (rc == 0)
		rc = cli_open_store(cli);
	if (rc == 0) {
		rc = sealmail_id_import(&id, cli->store, data, len, key,
		                        key_len, &opts, &cli->err);
		rc = rc == SEALMAIL_OK ? 0 : id_fail(cli, rc);
	}
	if (key != NULL) {
		explicit_bzero(key, key_len);
		free(key);
	}
	if (data != NULL) {
		explicit_bzero(data, len);
		free(data);
	}
	if (rc == 0)
		show(cli, id);
	sealmail_id_free(id);
	return rc;
}

static int
id_list(struct cli *cli, struct id_args *a)
{
	sealmail_ids *list = NULL;
	size_t n;
	int rc;

	if (a->nargs != 0)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       a->args[0]);
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = sealmail_id_list(&list, cli->store, &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	n = sealmail_id_list_count(list);
	if (cli->json) {
		json j;
		json_init(&j, stdout);
		json_object_begin(&j);
		json_key(&j, "ids");
		json_array_begin(&j);
		for (size_t i = 0; i < n; i++)
			json_id(&j, sealmail_id_list_at(list, i));
		json_array_end(&j);
		json_object_end(&j);
		json_end(&j);
	} else if (n == 0) {
		(void)printf("no digital IDs\n");
	} else {
		for (size_t i = 0; i < n; i++) {
			const sealmail_id *id = sealmail_id_list_at(list, i);
			char to[32];
			out_time(to, sizeof(to), sealmail_id_not_after(id));
			to[10] = '\0';
			(void)printf("%s  %-8s  %s  ",
			             sealmail_id_fingerprint(id),
			             sealmail_id_key_desc(id), to);
			for (size_t k = 0; k < sealmail_id_address_count(id);
			     k++) {
				if (k > 0)
					(void)fputs(", ", stdout);
				out_text(stdout, sealmail_id_address_at(id, k));
			}
			if (strcmp(sealmail_id_name(id),
			           sealmail_id_address_at(id, 0)) != 0) {
				(void)fputs("  (", stdout);
				out_text(stdout, sealmail_id_name(id));
				(void)fputs(")", stdout);
			}
			(void)putchar('\n');
		}
	}
	sealmail_id_list_free(list);
	return 0;
}

/* Look up args[0]; 0 or an exit code. */
static int
lookup_one(struct cli *cli,
           struct id_args *a,
           const char *what,
           sealmail_id **out)
{
	int rc;

	*out = NULL;
	if (a->nargs != 1)
		return cli_usage_error(cli, "id %s wants one ID", what);
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = sealmail_id_lookup(out, cli->store, a->args[0], &cli->err);
	return rc == SEALMAIL_OK ? 0 : cli_fail(cli, rc);
}

static int
id_show(struct cli *cli, struct id_args *a)
{
	sealmail_id *id;
	int rc = lookup_one(cli, a, "show", &id);

	if (rc != 0)
		return rc;
	show(cli, id);
	sealmail_id_free(id);
	return 0;
}

static int
id_export(struct cli *cli, struct id_args *a)
{
	sealmail_id_export_options opts = SEALMAIL_ID_EXPORT_OPTIONS_INIT;
	sealmail_output *output = NULL;
	sealmail_id *id = NULL;
	int rc;

	if (a->cert && a->p12 != NULL)
		return cli_usage_error(cli, "give --cert or --p12 FILE, "
		                            "not both");
	if (a->legacy && a->p12 == NULL)
		return cli_usage_error(cli, "--legacy goes with --p12 FILE");
	rc = lookup_one(cli, a, "export", &id);
	if (rc != 0)
		return rc;
	if (a->p12 != NULL) {
		opts.format = SEALMAIL_ID_EXPORT_PKCS12;
		if (a->legacy)
			opts.flags |= SEALMAIL_ID_EXPORT_LEGACY;
		rc = sealmail_output_new_path(&output, a->p12, &cli->err);
	} else {
		rc = sealmail_output_new_fd(&output, STDOUT_FILENO, &cli->err);
	}
	if (rc == SEALMAIL_OK)
		rc = sealmail_id_export(output, cli->store, id, &opts,
		                        &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(output, &cli->err);
	sealmail_output_free(output);
	sealmail_id_free(id);
	return rc == SEALMAIL_OK ? 0 : id_fail(cli, rc);
}

static int
id_delete(struct cli *cli, struct id_args *a)
{
	sealmail_id *id;
	int rc = lookup_one(cli, a, "delete", &id);

	if (rc != 0)
		return rc;
	rc = sealmail_id_delete(cli->store, id, &cli->err);
	if (rc == SEALMAIL_OK && !cli->json) {
		(void)printf("deleted digital ID %s (",
		             sealmail_id_fingerprint(id));
		out_text(stdout, sealmail_id_address_at(id, 0));
		(void)printf(")\n");
	}
	sealmail_id_free(id);
	return rc == SEALMAIL_OK ? 0 : cli_fail(cli, rc);
}

int
cmd_id(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct cli *cli, struct id_args *a);
	} subs[] = {
	        {"create", id_create}, {"import", id_import},
	        {"list", id_list},     {"show", id_show},
	        {"export", id_export}, {"delete", id_delete},
	};
	struct id_args a;
	int w, rc;

	rc = cli_subcommand(cli, argc, argv, &w);
	if (rc == -1) {
		usage(stdout);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (w >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[w], subs[i].name) != 0)
			continue;
		rc = parse(cli, &a, argc - w, argv + w);
		if (rc == -1) {
			usage(stdout);
			return 0;
		}
		if (rc != 0)
			return rc;
		return subs[i].run(cli, &a);
	}
	return cli_usage_error(cli, "unknown subcommand '%s'", argv[w]);
}
