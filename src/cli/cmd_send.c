/* SPDX-License-Identifier: MIT */
/*
 * sealmail send and sealmail sendmail: protect a message like protect (the
 * same flags, policy, refusals and exit codes) and submit it through the
 * SMTP server of the sender's account, keeping the Sent copy.  sendmail
 * takes sendmail's command line so that mail programs can call it.  The
 * password comes from the account's password-file or password-command.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "prompt.h"
#include "secret.h"

struct pw_ctx {
	struct cli *cli;
	int code; /* exit code when the password could not be had */
};

static int
password_cb(char *buf,
            size_t cap,
            const sealmail_account *account,
            void *payload,
            sealmail_error *err)
{
	struct pw_ctx *p = payload;
	const char *file = sealmail_account_get(account, "password-file");
	const char *cmd = sealmail_account_get(account, "password-command");
	int code;

	if (file != NULL && *file != '\0')
		code = cli_password_from_file(p->cli, file, buf, cap);
	else
		code = cli_password_from_command(p->cli, cmd, buf, cap);
	if (code == 0)
		return SEALMAIL_OK;
	p->code = code; /* the message is printed already */
	if (err != NULL) {
		err->code = SEALMAIL_ERROR;
		(void)snprintf(err->message, sizeof(err->message),
		               "no password");
	}
	return SEALMAIL_ERROR;
}

/*
 * Send `in` with `opts` (protect flags filled in); print the outcome.
 * `quiet`: nothing on standard output (sendmail).
 */
static int
send_message(struct cli *cli,
             sealmail_input *in,
             sealmail_send_options *opts,
             bool quiet)
{
	sealmail_protect_result *presult = NULL;
	sealmail_submit_result result;
	struct pw_ctx pw = {cli, 0};
	int rc, code;

	rc = sealmail_protect_result_new(&presult, &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	opts->protect.result = presult;
	opts->protect.confirm = cli_confirm_cb;
	opts->password = password_cb;
	opts->password_payload = &pw;
	rc = sealmail_message_send(cli->store, in, opts, &result, &cli->err);
	if (pw.code != 0) {
		sealmail_protect_result_free(presult);
		return pw.code;
	}
	code = cli_protect_outcome(cli, rc, presult);
	sealmail_protect_result_free(presult);
	if (rc != SEALMAIL_OK)
		return code;
	if (result.kept_locally && result.where[0] != '/') {
		char *abs = realpath(result.where, NULL);

		if (abs != NULL)
			(void)snprintf(result.where, sizeof(result.where), "%s",
			               abs);
		free(abs);
	}
	if (result.kept_locally) {
		(void)fprintf(stderr,
		              "%s: warning: the message was sent, but its copy "
		              "could not be stored in Sent (",
		              cli->prog);
		out_text(stderr, result.sent_error.message);
		(void)fprintf(stderr, "); it is kept in ");
		out_text(stderr, result.where);
		(void)fputc('\n', stderr);
	}
	if (quiet)
		return 0;
	if (cli->json) {
		json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_bool(&j, "sent", true);
		json_kv_string(&j, "copy",
		               result.stored_in_sent ? "sent-mailbox"
		               : result.kept_locally ? "kept-locally"
		                                     : "none");
		json_kv_string(&j, "where",
		               result.stored_in_sent || result.kept_locally
		                       ? result.where
		                       : NULL);
		json_kv_string(&j, "sent_error",
		               result.kept_locally ? result.sent_error.message
		                                   : NULL);
		json_object_end(&j);
		json_end(&j);
		return 0;
	}
	if (result.stored_in_sent) {
		(void)printf("sent; the copy is in ");
		out_text(stdout, result.where);
		(void)putchar('\n');
	} else if (result.kept_locally) {
		(void)printf("sent; the copy is in ");
		out_text(stdout, result.where);
		(void)putchar('\n');
	} else {
		(void)printf("sent; no copy kept (the account has no sent "
		             "mailbox)\n");
	}
	return 0;
}

static void
send_usage(FILE *f)
{
	(void)fprintf(f, "usage: sealmail send [--sign] [--encrypt] "
	                 "[--no-sign] [--no-encrypt] [--clear|--opaque]\n"
	                 "                     [--pss] [--oaep] [--cipher "
	                 "NAME] [--yes] [--from ADDR] [FILE|-]\n");
}

int
cmd_send(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	        CLI_PROTECT_LONGOPTS, CLI_GLOBAL_LONGOPTS, {NULL, 0, NULL, 0}};
	sealmail_send_options opts = SEALMAIL_SEND_OPTIONS_INIT;
	sealmail_input *in = NULL;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		rc = cli_protect_option(cli, &opts.protect, c, optarg);
		if (rc == 0)
			continue;
		if (rc != 1)
			return rc;
		rc = cli_option(cli, c, argv);
		if (rc == -1) {
			send_usage(stdout);
			return 0;
		}
		if (rc != 0)
			return rc;
	}
	if (argc - optind > 1)
		return cli_usage_error(cli, "one message at a time");
	rc = cli_protect_check(cli, &opts.protect);
	if (rc == 0)
		rc = cli_open_store(cli);
	if (rc == 0)
		rc = cli_open_input(cli, &in,
		                    optind < argc ? argv[optind] : NULL);
	if (rc != 0)
		return rc;
	rc = send_message(cli, in, &opts, false);
	sealmail_input_free(in);
	return rc;
}

/* ---- sendmail ---- */

static void
sendmail_usage(FILE *f)
{
	(void)fprintf(f, "usage: sealmail sendmail [-t] [-i] [-oi] [-f ADDR] "
	                 "[--sign|--no-sign] [--encrypt|--no-encrypt]\n"
	                 "                         [RCPT...] < MESSAGE\n");
}

/*
 * Without -i: the message ends at a line holding only a dot (sendmail's
 * rule), so copy standard input up to there into an unlinked file in the
 * store (the message is not protected yet: it stays out of /tmp).
 */
static int
stdin_to_dot(struct cli *cli, int *fd_out)
{
	char path[4096];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int fd;

	*fd_out = -1;
	if (snprintf(path, sizeof(path), "%s/.sendmail-XXXXXX", cli->home) >=
	    (int)sizeof(path))
		return cli_error(cli, EXIT_USAGE, "store path too long");
	fd = mkstemp(path);
	if (fd < 0)
		return cli_error(cli, EXIT_CANTCREAT, "%s: %s", path,
		                 strerror(errno));
	(void)unlink(path);
	f = fdopen(dup(fd), "w");
	if (f == NULL) {
		(void)close(fd);
		return cli_error(cli, EXIT_OSERR, "out of memory");
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (strcmp(line, ".\n") == 0 || strcmp(line, ".\r\n") == 0 ||
		    strcmp(line, ".") == 0)
			break;
		if (fwrite(line, 1, (size_t)n, f) != (size_t)n)
			break;
	}
	free(line);
	if (ferror(stdin) || fclose(f) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		(void)close(fd);
		return cli_error(cli, EXIT_IOERR, "cannot read the message: %s",
		                 strerror(errno));
	}
	*fd_out = fd;
	return 0;
}

/* sendmail's one-letter options that take a value (-fADDR or -f ADDR). */
static bool
takes_value(char c)
{
	return strchr("fFrNRBVXLpChO", c) != NULL;
}

int
cmd_sendmail(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	        CLI_PROTECT_LONGOPTS, CLI_GLOBAL_LONGOPTS, {NULL, 0, NULL, 0}};
	sealmail_send_options opts = SEALMAIL_SEND_OPTIONS_INIT;
	sealmail_input *in = NULL;
	const char *from = NULL;
	bool from_headers = false, ignore_dots = false;
	int i, rc, fd = -1;

	/* sendmail's flags first, then the recipients ("--" ends them). */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (a[1] == '-') {
			/* A long option: ours (protect flags, --home ...),
			 * parsed alone with the next word, which getopt takes
			 * as its value when the option has one. */
			char *two[4] = {argv[0], argv[i],
			                i + 1 < argc ? argv[i + 1] : NULL,
			                NULL};
			int c;

			optind = 0;
			c = getopt_long(i + 1 < argc ? 3 : 2, two, ":",
			                longopts, NULL);
			if (optind == 3)
				i++;
			rc = cli_protect_option(cli, &opts.protect, c, optarg);
			if (rc == 0)
				continue;
			if (rc != 1)
				return rc;
			rc = cli_option(cli, c, two);
			if (rc == -1) {
				sendmail_usage(stdout);
				return 0;
			}
			if (rc != 0)
				return rc;
			continue;
		}
		/* -t -i -v ... may be grouped (-ti); -fADDR, -f ADDR. */
		for (const char *p = a + 1; *p != '\0'; p++) {
			if (*p == 't') {
				from_headers = true;
			} else if (*p == 'b') {
				/* -bm (deliver mail) is the only mode. */
				if (strcmp(p, "bm") != 0)
					return cli_usage_error(
					        cli,
					        "sendmail mode '-%s' is not "
					        "supported (only -bm)",
					        p);
				break;
			} else if (*p == 'q') {
				return cli_usage_error(
				        cli,
				        "sendmail mode '-%s' is not supported "
				        "(only -bm)",
				        p);
			} else if (*p == 'i') {
				ignore_dots = true;
			} else if (*p == 'o') {
				/* -oi as -i; -oem, -odb, ...: ignored */
				if (strcmp(p, "oi") == 0)
					ignore_dots = true;
				break;
			} else if (takes_value(*p)) {
				const char *v = p[1] != '\0' ? p + 1 : NULL;

				if (v == NULL && i + 1 < argc)
					v = argv[++i];
				if (v == NULL)
					return cli_usage_error(
					        cli,
					        "option '-%c' needs a value",
					        *p);
				if (*p == 'f' || *p == 'r')
					from = v;
				break;
			}
			/* anything else (-i, -v, -m, -U, ...) is ignored */
		}
	}
	if (from != NULL) {
		opts.envelope_from = from;
		if (opts.protect.from == NULL)
			opts.protect.from = from;
	}
	if (i < argc) {
		opts.rcpt = (const char *const *)(argv + i);
		opts.nrcpt = (size_t)(argc - i);
		if (from_headers)
			opts.flags |= SEALMAIL_SEND_HEADER_RCPT;
	} else if (!from_headers) {
		return cli_usage_error(cli, "no recipients: give them as "
		                            "arguments, or -t to take them "
		                            "from the message");
	}
	rc = cli_protect_check(cli, &opts.protect);
	if (rc == 0)
		rc = cli_open_store(cli);
	if (rc == 0 && ignore_dots) {
		rc = cli_open_input(cli, &in, NULL);
	} else if (rc == 0) {
		rc = stdin_to_dot(cli, &fd);
		if (rc == 0 &&
		    sealmail_input_new_fd(&in, fd, &cli->err) != SEALMAIL_OK)
			rc = cli_fail(cli, SEALMAIL_ENOMEM);
	}
	if (rc == 0)
		rc = send_message(cli, in, &opts, true);
	sealmail_input_free(in);
	if (fd >= 0)
		(void)close(fd);
	return rc;
}
