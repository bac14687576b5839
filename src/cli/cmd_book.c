/* SPDX-License-Identifier: MIT */
/*
 * sealmail book and sealmail ca: the address book (other people's
 * certificates and your trust in them) and the CA certificates you trust.
 * Parses arguments, calls the public API and prints.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "out.h"

enum { OPT_NAME = OPT_LOCAL_BASE };

static const struct option book_longopts[] = {
        {"name", required_argument, NULL, OPT_NAME},
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0}};

struct book_args {
	const char *name;
	int nargs;
	char **args;
};

static void
book_usage(FILE *f)
{
	(void)fprintf(f,
	              "usage: sealmail book add [--name NAME] FILE...\n"
	              "       sealmail book list [--json]\n"
	              "       sealmail book show ADDR|FP [--json]\n"
	              "       sealmail book trust ADDR|FP "
	              "trusted|untrusted|distrusted\n"
	              "       sealmail book remove ADDR|FP\n"
	              "       sealmail book export ADDR|FP\n"
	              "FP is a fingerprint or a unique prefix of it (4 or more "
	              "hex digits).\n");
}

static void
ca_usage(FILE *f)
{
	(void)fprintf(f, "usage: sealmail ca add FILE...\n"
	                 "       sealmail ca list [--json]\n"
	                 "       sealmail ca trust FP trusted|untrusted\n"
	                 "FP is a fingerprint or a unique prefix of it (4 or "
	                 "more hex digits).\n");
}

/* Parse the options after the subcommand; 0, -1 for --help, or 64. */
static int
parse(struct cli *cli, struct book_args *a, bool name_ok, int argc, char **argv)
{
	int c, rc;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", book_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NAME:
			if (!name_ok)
				return cli_usage_error(cli,
				                       "--name goes with add");
			a->name = optarg;
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

/* "Name <a@x, b@x>", or the addresses alone, or "(no address)". */
static void
print_who(const sealmail_cert *c)
{
	const char *name = sealmail_cert_contact_name(c);
	size_t n = sealmail_cert_address_count(c);

	if (name[0] == '\0')
		name = sealmail_cert_common_name(c);
	if (name[0] != '\0') {
		out_text(stdout, name);
		if (n > 0)
			(void)fputs(" ", stdout);
	}
	if (n == 0)
		(void)fputs(name[0] != '\0' ? " (no address)" : "(no address)",
		            stdout);
	if (n > 0) {
		(void)fputs("<", stdout);
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				(void)fputs(", ", stdout);
			out_text(stdout, sealmail_cert_address_at(c, i));
		}
		(void)fputs(">", stdout);
	}
}

static const char *
validity_note(const sealmail_cert *c)
{
	int64_t now = (int64_t)time(NULL);

	if (now > sealmail_cert_not_after(c))
		return "expired";
	if (now < sealmail_cert_not_before(c))
		return "not yet valid";
	return NULL;
}

/* One line: "<fp16>  Name <addr>  trust words[, expired]". */
static void
print_line(const char *prefix, const sealmail_cert *c)
{
	const char *note = validity_note(c);

	if (prefix != NULL)
		(void)printf("%s", prefix);
	(void)printf("%.16s  ", sealmail_cert_fingerprint(c));
	print_who(c);
	(void)fputs("  ", stdout);
	out_text(stdout, sealmail_cert_trust_words(c));
	if (note != NULL)
		(void)printf(", %s", note);
	(void)putchar('\n');
}

/* One line: "<fp16>  SUBJECT  trusted|not trusted[, expired]". */
static void
print_ca_line(const char *prefix, const sealmail_cert *c)
{
	const char *note = validity_note(c);

	if (prefix != NULL)
		(void)printf("%s", prefix);
	(void)printf("%.16s  ", sealmail_cert_fingerprint(c));
	out_text(stdout, sealmail_cert_subject(c));
	(void)printf("  %s%s%s\n",
	             sealmail_cert_trust(c) == SEALMAIL_TRUST_TRUSTED
	                     ? "trusted"
	                     : "not trusted",
	             note != NULL ? ", " : "", note != NULL ? note : "");
}

static void
print_field(const char *label, const char *value)
{
	(void)printf("%-13s ", label);
	out_text(stdout, value);
	(void)putchar('\n');
}

static void
show_human(const sealmail_cert *c, bool ca)
{
	char from[32], to[32];
	const char *note = validity_note(c);

	print_field("fingerprint:", sealmail_cert_fingerprint(c));
	if (!ca) {
		print_field("contact:", sealmail_cert_contact_name(c));
		(void)printf("%-13s ", "addresses:");
		if (sealmail_cert_address_count(c) == 0)
			(void)fputs("(none)", stdout);
		for (size_t i = 0; i < sealmail_cert_address_count(c); i++) {
			if (i > 0)
				(void)fputs(", ", stdout);
			out_text(stdout, sealmail_cert_address_at(c, i));
		}
		(void)putchar('\n');
	}
	print_field("subject:", sealmail_cert_subject(c));
	print_field("issuer:", sealmail_cert_issuer(c));
	print_field("serial:", sealmail_cert_serial(c));
	print_field("key:", sealmail_cert_key_desc(c));
	out_time(from, sizeof(from), sealmail_cert_not_before(c));
	out_time(to, sizeof(to), sealmail_cert_not_after(c));
	(void)printf("%-13s %s to %s%s%s%s\n", "valid:", from, to,
	             note != NULL ? " (" : "", note != NULL ? note : "",
	             note != NULL ? ")" : "");
	if (ca) {
		print_field("trust:",
		            sealmail_cert_trust(c) == SEALMAIL_TRUST_TRUSTED
		                    ? "trusted"
		                    : "not trusted");
	} else {
		print_field("trust:", sealmail_cert_trust_words(c));
		print_field("your setting:",
		            sealmail_trust_name(sealmail_cert_trust(c)));
	}
}

static void
json_cert(json *j, const sealmail_cert *c, bool ca)
{
	char buf[32];

	json_object_begin(j);
	json_kv_string(j, "fingerprint", sealmail_cert_fingerprint(c));
	if (!ca)
		json_kv_string(j, "contact", sealmail_cert_contact_name(c));
	json_key(j, "addresses");
	json_array_begin(j);
	for (size_t i = 0; i < sealmail_cert_address_count(c); i++)
		json_string(j, sealmail_cert_address_at(c, i));
	json_array_end(j);
	json_kv_string(j, "common_name", sealmail_cert_common_name(c));
	json_kv_string(j, "subject", sealmail_cert_subject(c));
	json_kv_string(j, "issuer", sealmail_cert_issuer(c));
	json_kv_string(j, "serial", sealmail_cert_serial(c));
	json_kv_string(j, "key", sealmail_cert_key_desc(c));
	out_time(buf, sizeof(buf), sealmail_cert_not_before(c));
	json_kv_string(j, "not_before", buf);
	out_time(buf, sizeof(buf), sealmail_cert_not_after(c));
	json_kv_string(j, "not_after", buf);
	json_kv_string(j, "trust", sealmail_trust_name(sealmail_cert_trust(c)));
	if (!ca) {
		static const char *const tokens[] = {
		        "not_in_book",    "not_trusted", "trusted_by_you",
		        "trusted_via_ca", "distrusted",  "own_id"};
		size_t e = (size_t)sealmail_cert_effective_trust(c);
		const char *via = sealmail_cert_via_ca(c);
		json_kv_string(j, "effective_trust",
		               e < sizeof(tokens) / sizeof(tokens[0])
		                       ? tokens[e]
		                       : "unknown");
		json_kv_string(j, "trust_words", sealmail_cert_trust_words(c));
		json_kv_string(j, "via_ca", via[0] != '\0' ? via : NULL);
	}
	json_kv_bool(j, "ca", sealmail_cert_is_ca(c));
	json_object_end(j);
}

/* {"<key>": [CERT, ...]} */
static void
json_list(const char *key, const sealmail_cert_list *l, bool ca)
{
	json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_key(&j, key);
	json_array_begin(&j);
	for (size_t i = 0; i < sealmail_cert_list_count(l); i++)
		json_cert(&j, sealmail_cert_list_at(l, i), ca);
	json_array_end(&j);
	json_object_end(&j);
	json_end(&j);
}

/* Report a library failure about `path`: "sealmail: PATH: message". */
static int
fail_file(struct cli *cli, const char *path, int rc)
{
	const char *msg = cli->err.message[0] != '\0'
	                          ? cli->err.message
	                          : sealmail_status_name(rc);
	return cli_error(cli, cli_exit_code(rc), "%s: %s", path, msg);
}

/* Read every file first, so that a missing one changes nothing. */
static int
read_files(struct cli *cli,
           struct book_args *a,
           unsigned char ***data_out,
           size_t **len_out)
{
	unsigned char **data = calloc((size_t)a->nargs, sizeof(*data));
	size_t *len = calloc((size_t)a->nargs, sizeof(*len));
	int rc = 0;

	if (data == NULL || len == NULL) {
		free(data);
		free(len);
		return cli_error(cli, EXIT_OSERR, "out of memory");
	}
	for (int i = 0; i < a->nargs && rc == 0; i++)
		rc = cli_read_file(cli, a->args[i], &data[i], &len[i]);
	if (rc != 0) {
		for (int i = 0; i < a->nargs; i++)
			free(data[i]);
		free(data);
		free(len);
		return rc;
	}
	*data_out = data;
	*len_out = len;
	return 0;
}

static void
free_files(unsigned char **data, size_t *len, int n)
{
	for (int i = 0; i < n; i++)
		free(data[i]);
	free(data);
	free(len);
}

static int
add_files(struct cli *cli, struct book_args *a, bool ca)
{
	unsigned char **data = NULL;
	size_t *len = NULL;
	int rc;

	if (a->nargs < 1)
		return cli_usage_error(cli, "%s add wants one or more FILEs",
		                       ca ? "ca" : "book");
	rc = read_files(cli, a, &data, &len);
	if (rc != 0)
		return rc;
	rc = cli_open_store(cli);
	for (int i = 0; i < a->nargs && rc == 0; i++) {
		sealmail_cert_list *l = NULL;
		int st = ca ? sealmail_ca_add(&l, cli->store, data[i], len[i],
		                              &cli->err)
		            : sealmail_book_add(&l, cli->store, data[i], len[i],
		                                a->name, &cli->err);
		if (st != SEALMAIL_OK) {
			rc = fail_file(cli, a->args[i], st);
			break;
		}
		for (size_t k = 0; k < sealmail_cert_list_count(l); k++) {
			const sealmail_cert *c = sealmail_cert_list_at(l, k);
			bool added = sealmail_cert_added(c);
			if (ca)
				print_ca_line(added ? "added CA: "
				                    : "CA already present: ",
				              c);
			else
				print_line(added ? "added: "
				                 : "already in the book: ",
				           c);
		}
		sealmail_cert_list_free(l);
	}
	free_files(data, len, a->nargs);
	return rc;
}

static int
book_add(struct cli *cli, struct book_args *a)
{
	return add_files(cli, a, false);
}

/* book list and ca list: the certificates, one a line, or JSON. */
static int
list_certs(struct cli *cli, struct book_args *a, bool cas)
{
	sealmail_cert_list *l = NULL;
	int rc;

	if (a->nargs != 0)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       a->args[0]);
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = cas ? sealmail_ca_list(&l, cli->store, &cli->err)
	         : sealmail_book_list(&l, cli->store, &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	if (cli->json) {
		json_list(cas ? "cas" : "certificates", l, cas);
	} else if (sealmail_cert_list_count(l) == 0) {
		(void)printf(cas ? "no CA certificates\n"
		                 : "the address book is empty\n");
	} else {
		for (size_t i = 0; i < sealmail_cert_list_count(l); i++) {
			if (cas)
				print_ca_line(NULL,
				              sealmail_cert_list_at(l, i));
			else
				print_line(NULL, sealmail_cert_list_at(l, i));
		}
	}
	sealmail_cert_list_free(l);
	return 0;
}

static int
book_list(struct cli *cli, struct book_args *a)
{
	return list_certs(cli, a, false);
}

static int
one_query(struct cli *cli, struct book_args *a, const char *what)
{
	if (a->nargs != 1)
		return cli_usage_error(cli, "book %s wants one ADDR or FP",
		                       what);
	return cli_open_store(cli);
}

static int
book_show(struct cli *cli, struct book_args *a)
{
	sealmail_cert_list *l = NULL;
	int rc = one_query(cli, a, "show");

	if (rc != 0)
		return rc;
	rc = sealmail_book_lookup(&l, cli->store, a->args[0], &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	if (cli->json) {
		json_list("certificates", l, false);
	} else {
		for (size_t i = 0; i < sealmail_cert_list_count(l); i++) {
			if (i > 0)
				(void)putchar('\n');
			show_human(sealmail_cert_list_at(l, i), false);
		}
	}
	sealmail_cert_list_free(l);
	return 0;
}

static int
book_trust(struct cli *cli, struct book_args *a)
{
	sealmail_cert_list *l = NULL;
	sealmail_trust t;
	int rc;

	if (a->nargs != 2)
		return cli_usage_error(cli, "book trust wants ADDR|FP "
		                            "trusted|untrusted|distrusted");
	if (sealmail_trust_parse(&t, a->args[1], &cli->err) != SEALMAIL_OK)
		return cli_usage_error(cli, "%s", cli->err.message);
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = sealmail_book_set_trust(cli->store, a->args[0], t, &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	/* Show what now applies (a CA may still decide it). */
	if (sealmail_book_lookup(&l, cli->store, a->args[0], &cli->err) ==
	    SEALMAIL_OK) {
		for (size_t i = 0; i < sealmail_cert_list_count(l); i++)
			print_line(NULL, sealmail_cert_list_at(l, i));
	}
	sealmail_cert_list_free(l);
	return 0;
}

static int
book_remove(struct cli *cli, struct book_args *a)
{
	sealmail_cert_list *l = NULL;
	int rc = one_query(cli, a, "remove");

	if (rc != 0)
		return rc;
	/* Look it up first to say what was removed. */
	rc = sealmail_book_lookup(&l, cli->store, a->args[0], &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_book_remove(cli->store, a->args[0], &cli->err);
	if (rc != SEALMAIL_OK) {
		sealmail_cert_list_free(l);
		return cli_fail(cli, rc);
	}
	print_line("removed: ", sealmail_cert_list_at(l, 0));
	sealmail_cert_list_free(l);
	return 0;
}

static int
book_export(struct cli *cli, struct book_args *a)
{
	sealmail_output *out = NULL;
	int rc = one_query(cli, a, "export");

	if (rc != 0)
		return rc;
	rc = sealmail_output_new_fd(&out, STDOUT_FILENO, &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_book_export(out, cli->store, a->args[0],
		                          &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(out, &cli->err);
	sealmail_output_free(out);
	return rc == SEALMAIL_OK ? 0 : cli_fail(cli, rc);
}

static int
ca_add(struct cli *cli, struct book_args *a)
{
	return add_files(cli, a, true);
}

static int
ca_list(struct cli *cli, struct book_args *a)
{
	return list_certs(cli, a, true);
}

static int
ca_trust(struct cli *cli, struct book_args *a)
{
	sealmail_trust t;
	int rc;

	if (a->nargs != 2)
		return cli_usage_error(cli, "ca trust wants FP "
		                            "trusted|untrusted");
	if (strcmp(a->args[1], "trusted") == 0)
		t = SEALMAIL_TRUST_TRUSTED;
	else if (strcmp(a->args[1], "untrusted") == 0)
		t = SEALMAIL_TRUST_UNTRUSTED;
	else
		return cli_usage_error(cli,
		                       "unknown CA trust '%s': use trusted or "
		                       "untrusted",
		                       a->args[1]);
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = sealmail_ca_set_trust(cli->store, a->args[0], t, &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	(void)printf("CA %s is now %s\n", a->args[0],
	             t == SEALMAIL_TRUST_TRUSTED ? "trusted" : "not trusted");
	return 0;
}

struct sub {
	const char *name;
	int (*run)(struct cli *cli, struct book_args *a);
};

static int
dispatch(struct cli *cli,
         int argc,
         char **argv,
         const struct sub *subs,
         size_t nsubs,
         void (*usage)(FILE *f))
{
	struct book_args a;
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
	for (size_t i = 0; i < nsubs; i++) {
		if (strcmp(argv[w], subs[i].name) != 0)
			continue;
		rc = parse(cli, &a, subs[i].run == book_add, argc - w,
		           argv + w);
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

int
cmd_book(struct cli *cli, int argc, char **argv)
{
	static const struct sub subs[] = {
	        {"add", book_add},       {"list", book_list},
	        {"show", book_show},     {"trust", book_trust},
	        {"remove", book_remove}, {"export", book_export},
	};
	return dispatch(cli, argc, argv, subs, sizeof(subs) / sizeof(subs[0]),
	                book_usage);
}

int
cmd_ca(struct cli *cli, int argc, char **argv)
{
	static const struct sub subs[] = {
	        {"add", ca_add},
	        {"list", ca_list},
	        {"trust", ca_trust},
	};
	return dispatch(cli, argc, argv, subs, sizeof(subs) / sizeof(subs[0]),
	                ca_usage);
}
