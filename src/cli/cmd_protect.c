/* SPDX-License-Identifier: MIT */
/*
 * sealmail protect: sign (and, with issue 4, encrypt) one message.  The
 * output goes to -o OUT through a temporary renamed on success, or to
 * standard output; a refusal writes nothing.
 */
#include "cli.h"

#include <string.h>
#include <unistd.h>

enum {
	OPT_SIGN = OPT_LOCAL_BASE,
	OPT_ENCRYPT,
	OPT_CLEAR,
	OPT_OPAQUE,
	OPT_PSS,
	OPT_FROM
};

static void
usage(FILE *f)
{
	(void)fprintf(f, "usage: sealmail protect --sign [--clear|--opaque] "
	                 "[--pss] [--from ADDR]\n"
	                 "                        [-o OUT] [FILE|-]\n");
}

/* Input from FILE or standard input ("-" or none). */
static int
open_input(struct cli *cli, sealmail_input **in, const char *path)
{
	int rc;

	if (path == NULL || strcmp(path, "-") == 0)
		rc = sealmail_input_new_fd(in, STDIN_FILENO, &cli->err);
	else
		rc = sealmail_input_new_path(in, path, &cli->err);
	if (rc == SEALMAIL_ENOTFOUND) {
		(void)fprintf(stderr, "%s: %s\n", cli->prog, cli->err.message);
		return EXIT_NOINPUT;
	}
	return rc == SEALMAIL_OK ? 0 : cli_fail(cli, rc);
}

int
cmd_protect(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"sign", no_argument, NULL, OPT_SIGN},
	        {"encrypt", no_argument, NULL, OPT_ENCRYPT},
	        {"clear", no_argument, NULL, OPT_CLEAR},
	        {"opaque", no_argument, NULL, OPT_OPAQUE},
	        {"pss", no_argument, NULL, OPT_PSS},
	        {"from", required_argument, NULL, OPT_FROM},
	        {"output", required_argument, NULL, 'o'},
	        CLI_GLOBAL_LONGOPTS,
	        {NULL, 0, NULL, 0}};
	sealmail_protect_options opts = SEALMAIL_PROTECT_OPTIONS_INIT;
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	const char *outpath = NULL;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SIGN:
			opts.flags |= SEALMAIL_PROTECT_SIGN;
			break;
		case OPT_ENCRYPT:
			opts.flags |= SEALMAIL_PROTECT_ENCRYPT;
			break;
		case OPT_CLEAR:
			opts.flags |= SEALMAIL_PROTECT_CLEAR;
			break;
		case OPT_OPAQUE:
			opts.flags |= SEALMAIL_PROTECT_OPAQUE;
			break;
		case OPT_PSS:
			opts.flags |= SEALMAIL_PROTECT_PSS;
			break;
		case OPT_FROM:
			opts.from = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case '?':
			return cli_usage_error(cli, "unknown option '%s'",
			                       argv[optind - 1]);
		default:
			rc = cli_global_option(cli, c, optarg);
			if (rc == -1) {
				usage(stdout);
				return 0;
			}
			if (rc != 0)
				return cli_usage_error(cli, "bad option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(cli, "one message at a time");
	if (!(opts.flags & (SEALMAIL_PROTECT_SIGN | SEALMAIL_PROTECT_ENCRYPT)))
		return cli_usage_error(cli, "give --sign");
	if ((opts.flags & SEALMAIL_PROTECT_CLEAR) &&
	    (opts.flags & SEALMAIL_PROTECT_OPAQUE))
		return cli_usage_error(
		        cli, "--clear and --opaque exclude each other");
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = open_input(cli, &in, optind < argc ? argv[optind] : NULL);
	if (rc != 0)
		return rc;
	if (outpath != NULL)
		rc = sealmail_output_new_path(&out, outpath, &cli->err);
	else
		rc = sealmail_output_new_fd(&out, STDOUT_FILENO, &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_message_protect(cli->store, in, out, &opts,
		                              &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(out, &cli->err);
	sealmail_output_free(out);
	sealmail_input_free(in);
	return rc == SEALMAIL_OK ? 0 : cli_fail(cli, rc);
}
