/* SPDX-License-Identifier: MIT */
/*
 * sealmail protect: sign and/or encrypt one message.  The output goes to
 * -o OUT through a temporary renamed on success (Bcc copies to OUT.bcc1,
 * OUT.bcc2, ...), or to standard output; a refusal writes nothing.
 */
#include "cli.h"
#include "out.h"
#include "prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const ciphers[] = {"auto", "aes-256-gcm", "aes-128-gcm",
                                      "aes-256-cbc", "aes-128-cbc"};

/* The Bcc copies: OUT.bcc1, OUT.bcc2, ..., committed after success. */
typedef struct bcc_outputs {
	const char *base;
	sealmail_output **v;
	size_t n;
} bcc_outputs;

static int
set_err(sealmail_error *err, int code, const char *msg)
{
	if (err != NULL) {
		err->code = code;
		(void)snprintf(err->message, sizeof(err->message), "%s", msg);
	}
	return code;
}

static int
bcc_output(sealmail_output **out,
           size_t index,
           const char *address,
           void *payload,
           sealmail_error *err)
{
	bcc_outputs *b = payload;
	sealmail_output **grown;
	char path[4096];
	int rc;

	(void)address;
	*out = NULL;
	if (b->base == NULL)
		return set_err(
		        err, SEALMAIL_EINVAL,
		        "the message has Bcc recipients: each gets a copy "
		        "of its own, so give -o OUT (copies go to "
		        "OUT.bcc1, ...)");
	(void)snprintf(path, sizeof(path), "%s.bcc%zu", b->base, index);
	grown = realloc(b->v, (b->n + 1) * sizeof(sealmail_output *));
	if (grown == NULL)
		return set_err(err, SEALMAIL_ENOMEM, "out of memory");
	b->v = grown;
	rc = sealmail_output_new_path(out, path, err);
	if (rc == SEALMAIL_OK)
		b->v[b->n++] = *out;
	return rc;
}

static void
usage(FILE *f)
{
	(void)fprintf(f, "usage: sealmail protect --sign [--clear|--opaque] "
	                 "[--pss] [--from ADDR]\n"
	                 "                        [-o OUT] [FILE|-]\n");
}

int
cli_open_input(struct cli *cli, sealmail_input **in, const char *path)
{
	int rc;

	if (path == NULL || strcmp(path, "-") == 0)
		rc = sealmail_input_new_fd(in, STDIN_FILENO, &cli->err);
	else
		rc = sealmail_input_new_path(in, path, &cli->err);
	if (rc == SEALMAIL_ENOTFOUND) {
		return cli_error(cli, EXIT_NOINPUT, "%s", cli->err.message);
	}
	return rc == SEALMAIL_OK ? 0 : cli_fail(cli, rc);
}

int
cmd_protect(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	        CLI_PROTECT_LONGOPTS,
	        {"output", required_argument, NULL, 'o'},
	        CLI_GLOBAL_LONGOPTS,
	        {NULL, 0, NULL, 0}};
	sealmail_protect_options opts = SEALMAIL_PROTECT_OPTIONS_INIT;
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	sealmail_protect_result *result = NULL;
	bcc_outputs bcc = {NULL, NULL, 0};
	const char *outpath = NULL;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		rc = cli_protect_option(cli, &opts, c, optarg);
		if (rc == 0)
			continue;
		if (rc != 1)
			return rc;
		switch (c) {
		case 'o':
			outpath = optarg;
			break;
		default:
			rc = cli_option(cli, c, argv);
			if (rc == -1) {
				usage(stdout);
				return 0;
			}
			if (rc != 0)
				return rc;
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(cli, "one message at a time");
	rc = cli_protect_check(cli, &opts);
	if (rc != 0)
		return rc;
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = cli_open_input(cli, &in, optind < argc ? argv[optind] : NULL);
	if (rc != 0)
		return rc;
	bcc.base = outpath;
	opts.bcc_output = bcc_output;
	opts.bcc_payload = &bcc;
	opts.confirm = cli_confirm_cb;
	rc = sealmail_protect_result_new(&result, &cli->err);
	opts.result = result;
	if (rc == SEALMAIL_OK && outpath != NULL)
		rc = sealmail_output_new_path(&out, outpath, &cli->err);
	else if (rc == SEALMAIL_OK)
		rc = sealmail_output_new_fd(&out, STDOUT_FILENO, &cli->err);
	/* standard output redirected to a file: the message is the file's */
	if (rc == SEALMAIL_OK && outpath == NULL)
		rc = sealmail_output_set_direct(out, true, &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_message_protect(cli->store, in, out, &opts,
		                              &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(out, &cli->err);
	for (size_t i = 0; rc == SEALMAIL_OK && i < bcc.n; i++)
		rc = sealmail_output_commit(bcc.v[i], &cli->err);
	for (size_t i = 0; i < bcc.n; i++)
		sealmail_output_free(bcc.v[i]); /* uncommitted ones vanish */
	free(bcc.v);
	sealmail_output_free(out);
	sealmail_input_free(in);
	c = cli_protect_outcome(cli, rc, result);
	sealmail_protect_result_free(result);
	return c;
}

/* ---- shared with send and sendmail (cli.h) ---- */

int
cli_protect_option(struct cli *cli,
                   sealmail_protect_options *opts,
                   int c,
                   const char *arg)
{
	switch (c) {
	case OPT_SIGN:
		opts->flags |= SEALMAIL_PROTECT_SIGN;
		break;
	case OPT_ENCRYPT:
		opts->flags |= SEALMAIL_PROTECT_ENCRYPT;
		break;
	case OPT_CLEAR:
		opts->flags |= SEALMAIL_PROTECT_CLEAR;
		break;
	case OPT_OPAQUE:
		opts->flags |= SEALMAIL_PROTECT_OPAQUE;
		break;
	case OPT_PSS:
		opts->flags |= SEALMAIL_PROTECT_PSS;
		break;
	case OPT_FROM:
		opts->from = arg;
		break;
	case OPT_YES:
		opts->flags |= SEALMAIL_PROTECT_YES;
		break;
	case OPT_NO_SIGN:
		opts->flags |= SEALMAIL_PROTECT_NO_SIGN;
		break;
	case OPT_NO_ENCRYPT:
		opts->flags |= SEALMAIL_PROTECT_NO_ENCRYPT;
		break;
	case OPT_OAEP:
		opts->flags |= SEALMAIL_PROTECT_OAEP;
		break;
	case OPT_CIPHER: {
		bool known = false;
		for (size_t i = 0; i < sizeof(ciphers) / sizeof(*ciphers); i++)
			known |= strcmp(arg, ciphers[i]) == 0;
		if (!known)
			return cli_usage_error(cli,
			                       "unknown cipher '%s' (auto, "
			                       "aes-256-gcm, "
			                       "aes-128-gcm, aes-256-cbc, "
			                       "aes-128-cbc)",
			                       arg);
		opts->cipher = strcmp(arg, "auto") == 0 ? NULL : arg;
		break;
	}
	default:
		return 1;
	}
	return 0;
}

int
cli_protect_check(struct cli *cli, const sealmail_protect_options *opts)
{
	if ((opts->flags & SEALMAIL_PROTECT_SIGN) &&
	    (opts->flags & SEALMAIL_PROTECT_NO_SIGN))
		return cli_usage_error(cli, "--sign and --no-sign exclude each "
		                            "other");
	if ((opts->flags & SEALMAIL_PROTECT_ENCRYPT) &&
	    (opts->flags & SEALMAIL_PROTECT_NO_ENCRYPT))
		return cli_usage_error(cli,
		                       "--encrypt and --no-encrypt exclude "
		                       "each other");
	if ((opts->flags & SEALMAIL_PROTECT_CLEAR) &&
	    (opts->flags & SEALMAIL_PROTECT_OPAQUE))
		return cli_usage_error(
		        cli, "--clear and --opaque exclude each other");
	return 0;
}

int
cli_protect_outcome(struct cli *cli,
                    int status,
                    const sealmail_protect_result *result)
{
	int code;

	if (status == SEALMAIL_OK) {
		for (size_t i = 0;
		     result != NULL &&
		     i < sealmail_protect_result_warning_count(result);
		     i++) {
			(void)fprintf(stderr, "%s: warning: ", cli->prog);
			out_text(stderr,
			         sealmail_protect_result_warning_at(result, i));
			(void)fputc('\n', stderr);
		}
		return 0;
	}
	code = cli_fail(cli, status);
	/* every recipient problem, one per line under the error line */
	for (size_t i = 0; result != NULL &&
	                   i < sealmail_protect_result_problem_count(result);
	     i++) {
		(void)fputs("  ", stderr);
		out_text(stderr,
		         sealmail_protect_result_problem_address(result, i));
		(void)fputs(": ", stderr);
		out_text(stderr,
		         sealmail_protect_result_problem_reason(result, i));
		(void)fputc('\n', stderr);
	}
	return code;
}
