/* SPDX-License-Identifier: MIT */
/*
 * Global options shared by every command.
 */
#include "cli.h"
#include <stdlib.h>

#include <string.h>

int
cli_global_option(struct cli *cli, int c, const char *arg)
{
	switch (c) {
	case OPT_HOME:
		cli->home = arg;
		return 0;
	case OPT_JSON:
		cli->json = true;
		return 0;
	case OPT_PASSPHRASE_FILE:
		cli->passphrase_file = arg;
		return 0;
	case OPT_PASSWORD_FILE:
		cli->password_file = arg;
		return 0;
	case OPT_HELP:
		return -1;
	default:
		return EXIT_USAGE;
	}
}

int
cli_option(struct cli *cli, int c, char *const argv[])
{
	int rc;

	if (c == ':')
		return cli_usage_error(cli, "option '%s' needs a value",
		                       argv[optind - 1]);
	if (c == '?')
		return cli_usage_error(cli, "unknown option '%s'",
		                       argv[optind - 1]);
	rc = cli_global_option(cli, c, optarg);
	if (rc == EXIT_USAGE)
		return cli_usage_error(cli, "unknown option '%s'",
		                       argv[optind - 1]);
	return rc;
}

int
cli_subcommand(struct cli *cli, int argc, char **argv, int *word)
{
	static const struct option longopts[] = {CLI_GLOBAL_LONGOPTS,
	                                         {NULL, 0, NULL, 0}};
	int c, rc;

	/* "+": stop at the first word, the subcommand. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
		rc = cli_option(cli, c, argv);
		if (rc != 0)
			return rc;
	}
	*word = optind;
	if (optind < argc && strcmp(argv[optind], "help") == 0)
		return -1;
	return 0;
}

const char *
cli_temp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir != NULL && dir[0] != '\0' ? dir : NULL;
}
