/* SPDX-License-Identifier: MIT */
/*
 * sealmail account: list accounts, show one, change settings.  The list of
 * settings, their values and the messages about bad ones come from the
 * library, so this file needs no change when a setting is added.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"

static const struct option account_longopts[] = {CLI_GLOBAL_LONGOPTS,
                                                 {NULL, 0, NULL, 0}};

static void
usage(FILE *f)
{
	(void)fprintf(f, "usage: sealmail account list [--json]\n"
	                 "       sealmail account show ADDR [--json]\n"
	                 "       sealmail account set ADDR KEY=VALUE...\n"
	                 "(KEY= with no value unsets a text setting)\n"
	                 "settings:\n");
	for (size_t i = 0; sealmail_account_setting_key(i) != NULL; i++) {
		const char *key = sealmail_account_setting_key(i);
		(void)fprintf(f, "  %-16s %s\n", key,
		              sealmail_account_setting_values(key));
	}
}

/* The effective ID for an ID setting, "" when none. */
static const char *
effective_id(const sealmail_account *a, const char *key)
{
	return strcmp(key, "encryption-id") == 0
	               ? sealmail_account_encryption_id(a)
	               : sealmail_account_signing_id(a);
}

static void
json_account(json *j, const sealmail_account *a)
{
	const char *fp;

	json_object_begin(j);
	json_kv_string(j, "address", sealmail_account_address(a));
	fp = sealmail_account_signing_id(a);
	json_kv_string(j, "signing_id", *fp != '\0' ? fp : NULL);
	fp = sealmail_account_encryption_id(a);
	json_kv_string(j, "encryption_id", *fp != '\0' ? fp : NULL);
	json_key(j, "settings");
	json_object_begin(j);
	for (size_t i = 0; sealmail_account_setting_key(i) != NULL; i++) {
		const char *key = sealmail_account_setting_key(i);
		const char *v = sealmail_account_get(a, key);
		if (sealmail_account_setting_type(key) == SEALMAIL_SETTING_BOOL)
			json_kv_bool(j, key, strcmp(v, "yes") == 0);
		else if (sealmail_account_setting_type(key) ==
		                 SEALMAIL_SETTING_TEXT &&
		         *v == '\0')
			json_kv_string(j, key, NULL);
		else
			json_kv_string(j, key, v);
	}
	json_object_end(j);
	json_object_end(j);
}

static void
show_human(const sealmail_account *a)
{
	(void)printf("%-17s ", "address:");
	out_text(stdout, sealmail_account_address(a));
	(void)putchar('\n');
	for (size_t i = 0; sealmail_account_setting_key(i) != NULL; i++) {
		const char *key = sealmail_account_setting_key(i);
		const char *v = sealmail_account_get(a, key);
		(void)printf("%s:%*s ", key, (int)(16 - strlen(key)), "");
		if (sealmail_account_setting_type(key) == SEALMAIL_SETTING_ID &&
		    strcmp(v, "auto") == 0) {
			const char *fp = effective_id(a, key);
			(void)printf("auto (%s)\n",
			             *fp != '\0' ? fp : "no digital ID");
		} else if (*v == '\0') {
			(void)printf("(not set)\n");
		} else {
			out_text(stdout, v);
			(void)putchar('\n');
		}
	}
}

static int
account_list(struct cli *cli, int nargs, char **args)
{
	sealmail_accounts *list = NULL;
	size_t n;
	int rc;

	if (nargs != 0)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       args[0]);
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = sealmail_account_list(&list, cli->store, &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	n = sealmail_account_list_count(list);
	if (cli->json) {
		json j;
		json_init(&j, stdout);
		json_object_begin(&j);
		json_key(&j, "accounts");
		json_array_begin(&j);
		for (size_t i = 0; i < n; i++)
			json_account(&j, sealmail_account_list_at(list, i));
		json_array_end(&j);
		json_object_end(&j);
		json_end(&j);
	} else if (n == 0) {
		(void)printf("no accounts\n");
	} else {
		size_t width = 0;
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(sealmail_account_address(
			        sealmail_account_list_at(list, i)));
			if (len > width)
				width = len;
		}
		for (size_t i = 0; i < n; i++) {
			const sealmail_account *a =
			        sealmail_account_list_at(list, i);
			const char *addr = sealmail_account_address(a);
			const char *fp = sealmail_account_signing_id(a);
			out_text(stdout, addr);
			(void)printf("%*s  %s\n", (int)(width - strlen(addr)),
			             "", *fp != '\0' ? fp : "no digital ID");
		}
	}
	sealmail_account_list_free(list);
	return 0;
}

static int
account_show(struct cli *cli, int nargs, char **args)
{
	sealmail_account *a = NULL;
	int rc;

	if (nargs != 1)
		return cli_usage_error(cli, "account show wants one address");
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = sealmail_account_lookup(&a, cli->store, args[0], &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	if (cli->json) {
		json j;
		json_init(&j, stdout);
		json_account(&j, a);
		json_end(&j);
	} else {
		show_human(a);
	}
	sealmail_account_free(a);
	return 0;
}

static int
account_set(struct cli *cli, int nargs, char **args)
{
	const char **keys, **values;
	int rc;

	if (nargs < 2)
		return cli_usage_error(cli, "account set wants ADDR "
		                            "KEY=VALUE...");
	keys = calloc((size_t)nargs, sizeof(*keys));
	values = calloc((size_t)nargs, sizeof(*values));
	if (keys == NULL || values == NULL) {
		free(keys);
		free(values);
		return cli_error(cli, EXIT_OSERR, "out of memory");
	}
	for (int i = 1; i < nargs; i++) {
		char *eq = strchr(args[i], '=');
		if (eq == NULL || eq == args[i]) {
			free(keys);
			free(values);
			return cli_usage_error(cli, "'%s' is not KEY=VALUE",
			                       args[i]);
		}
		*eq = '\0';
		keys[i - 1] = args[i];
		values[i - 1] = eq + 1;
	}
	rc = cli_open_store(cli);
	if (rc == 0) {
		rc = sealmail_account_set_many(cli->store, args[0], keys,
		                               values, (size_t)nargs - 1,
		                               &cli->err);
		rc = rc == SEALMAIL_OK ? 0 : cli_fail(cli, rc);
	}
	free(keys);
	free(values);
	return rc;
}

int
cmd_account(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct cli *cli, int nargs, char **args);
	} subs[] = {
	        {"list", account_list},
	        {"show", account_show},
	        {"set", account_set},
	};
	int c, w, rc;

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
		argc -= w;
		argv += w;
		optind = 0;
		while ((c = getopt_long(argc, argv, ":", account_longopts,
		                        NULL)) != -1) {
			rc = cli_option(cli, c, argv);
			if (rc == -1) {
				usage(stdout);
				return 0;
			}
			if (rc != 0)
				return rc;
		}
		return subs[i].run(cli, argc - optind, argv + optind);
	}
	return cli_usage_error(cli, "unknown subcommand '%s'", argv[w]);
}
