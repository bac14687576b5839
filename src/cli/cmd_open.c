/* SPDX-License-Identifier: MIT */
/*
 * sealmail open: check a message's signatures (and, with issue 4, decrypt
 * it), print the report -- text with hostile characters escaped, or --json
 * -- and exit with the verdict (0 good, 1 warning, 2 danger, 3 cannot
 * decrypt).  -o OUT writes the readable message.  The message is a file,
 * standard input, or a message in a mailbox named as `sealmail list` names
 * it (IMAP URL with /;UID=N, Maildir file, MBOX#N), fetched through the
 * transport API into an unlinked 0600 temporary file.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out.h"
#include "secret.h"

enum { OPT_ADD_CERT = OPT_LOCAL_BASE, OPT_ACK };

static void
usage(FILE *f)
{
	(void)fprintf(f,
	              "usage: sealmail open [--json] [-o OUT] [--add-cert] "
	              "[--ack] [FILE|-|MESSAGE]\n"
	              "                     [--user NAME] "
	              "[--mail-password-file FILE | --mail-password-command "
	              "CMD]\n"
	              "                     [--ca-file FILE] [--no-starttls]\n"
	              "MESSAGE: imap[s]://HOST[:PORT]/MAILBOX/;UID=N, a "
	              "Maildir file, or MBOX#N\n");
}

static const char *const severity_words[] = {"note", "warning", "danger",
                                             "cannot decrypt"};
static const char *const state_words[] = {
        "the content is exactly what was signed",
        "this message was changed after it was signed",
        "the signature is not valid",
        "cannot be checked: the signer's certificate is not available",
        "cannot be checked: algorithm not supported"};

static void
line(const char *label, const char *value)
{
	(void)fputs(label, stdout);
	out_text(stdout, value);
	(void)fputc('\n', stdout);
}

static void
print_signature(const sealmail_signature *s, bool acked)
{
	char when[32];

	(void)printf("signature (%s, part ", sealmail_signature_kind(s));
	out_text(stdout, sealmail_signature_part(s));
	(void)fputs("): ", stdout);
	if (sealmail_signature_signer_name(s)[0] != '\0') {
		out_text(stdout, sealmail_signature_signer_name(s));
		(void)fputs(" ", stdout);
	}
	(void)fputs("<", stdout);
	out_text(stdout, sealmail_signature_signer_address(s));
	(void)fputs(">\n", stdout);
	line("  fingerprint: ", sealmail_signature_fingerprint(s));
	line("  algorithm:   ", sealmail_signature_algorithm(s));
	if (acked && sealmail_signature_state(s) == SEALMAIL_SIG_ALTERED)
		line("  content:     ", "altered (acknowledged with --ack)");
	else
		line("  content:     ",
		     state_words[sealmail_signature_state(s)]);
	line("  trust:       ", sealmail_signature_trust_words(s));
	out_time(when, sizeof(when), sealmail_signature_signing_time(s));
	(void)printf("  signed:      %s\n",
	             sealmail_signature_signing_time(s) != 0 ? when
	                                                     : "(no time)");
	(void)printf("  certificate: %s when signed, %s now\n",
	             sealmail_signature_valid_at_signing(s) ? "valid"
	                                                    : "NOT valid",
	             sealmail_signature_valid_now(s) ? "valid" : "not valid");
	(void)printf("  sender:      %s\n",
	             sealmail_signature_from_matches(s)
	                     ? "the From address is named by the certificate"
	                     : "the From address is NOT named by the "
	                       "certificate");
}

static void
print_report(const sealmail_report *r)
{
	sealmail_verdict v = sealmail_report_verdict(r);
	size_t n = sealmail_report_signature_count(r);

	line("From:    ", sealmail_report_from(r));
	line("Subject: ", sealmail_report_subject(r));
	if (sealmail_report_encrypted(r)) {
		const char *by = sealmail_report_encryption_decrypted_by(r);
		(void)printf("encrypted: ");
		out_text(stdout, sealmail_report_encryption_algorithm(r));
		(void)printf(" (%s)\n",
		             sealmail_report_encryption_authenticated(r)
		                     ? "AES-GCM: tampering is detected"
		                     : "no protection against tampering by "
		                       "the cipher");
		if (by[0] != '\0')
			line("  decrypted with your digital ID ", by);
		for (size_t i = 0;
		     i < sealmail_report_encryption_recipient_count(r); i++)
			line("  encrypted for: ",
			     sealmail_report_encryption_recipient_at(r, i));
	}
	if (n == 0 && sealmail_report_encryption_closed(r))
		(void)printf("signatures: unknown, the encrypted content was "
		             "not decrypted\n");
	else if (n == 0 &&
	         sealmail_report_coverage(r) == SEALMAIL_COVERAGE_NONE)
		(void)printf("this message is not signed\n");
	for (size_t i = 0; i < n; i++)
		print_signature(sealmail_report_signature_at(r, i),
		                sealmail_report_acknowledged(r));
	for (size_t i = 0; i < sealmail_report_finding_count(r); i++) {
		if (sealmail_report_acknowledged(r) &&
		    strcmp(sealmail_report_finding_code(r, i), "altered") == 0)
			continue;
		(void)printf(
		        "%s: ",
		        severity_words[sealmail_report_finding_severity(r, i)]);
		out_text(stdout, sealmail_report_finding_text(r, i));
		(void)fputc('\n', stdout);
	}
	if (sealmail_report_acknowledged(r))
		(void)printf("note: you acknowledged that this message was "
		             "changed; the warning is silenced for it\n");
	/* Nothing was checked: "good" would vouch for a sender (SPEC exit 0
	 * "nothing to check"). */
	if (v == SEALMAIL_VERDICT_GOOD &&
	    sealmail_report_coverage(r) == SEALMAIL_COVERAGE_NONE)
		(void)printf("verdict: %s\n", sealmail_report_encrypted(r)
		                                      ? "encrypted, not signed"
		                                      : "not signed");
	else
		(void)printf("verdict: %s\n",
		             v == SEALMAIL_VERDICT_GOOD      ? "good"
		             : v == SEALMAIL_VERDICT_WARNING ? "warning"
		             : v == SEALMAIL_VERDICT_DANGER  ? "danger"
		                                            : "cannot decrypt");
}

static bool
is_imap_name(const char *s)
{
	return strncmp(s, "imap://", 7) == 0 || strncmp(s, "imaps://", 8) == 0;
}

/*
 * A message in a mailbox rather than a file: an IMAP URL, or MBOX#N where
 * the whole name is not itself a file.
 */
static bool
is_mailbox_name(const char *s)
{
	const char *hash = strrchr(s, '#');
	struct stat st;

	if (is_imap_name(s))
		return true;
	if (hash == NULL || hash[1] == '\0' ||
	    strspn(hash + 1, "0123456789") != strlen(hash + 1))
		return false;
	return stat(s, &st) != 0;
}

/*
 * Fetch the message `name` into a private temporary file, unlinked at once
 * (so it is gone on every path, a crash included), and read it from there.
 */
static int
fetch_input(struct cli *cli,
            sealmail_input **in,
            const char *name,
            const sealmail_transport_options *o,
            int *fd_out)
{
	const char *dir = cli_temp_dir();
	sealmail_output *out = NULL;
	char path[4096];
	int fd, rc;

	if (dir == NULL)
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/sealmail-open.XXXXXX",
	                     dir) >= sizeof(path))
		return cli_error(cli, EXIT_CANTCREAT,
		                 "temporary folder name too long: %s", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return cli_error(cli, EXIT_CANTCREAT,
		                 "cannot create a temporary file in %s: %s",
		                 dir, strerror(errno));
	(void)unlink(path);
	rc = sealmail_output_new_fd(&out, fd, &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_mailbox_fetch(name, o, out, &cli->err);
	sealmail_output_free(out);
	if (rc == SEALMAIL_OK && lseek(fd, 0, SEEK_SET) != 0) {
		rc = cli_error(cli, EXIT_IOERR, "temporary file: %s",
		               strerror(errno));
		(void)close(fd);
		return rc;
	}
	if (rc == SEALMAIL_OK)
		rc = sealmail_input_new_fd(in, fd, &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_input_set_name(*in, name, &cli->err);
	if (rc != SEALMAIL_OK) {
		sealmail_input_free(*in);
		*in = NULL;
		(void)close(fd);
		if (rc == SEALMAIL_ENOTFOUND) {
			(void)fprintf(stderr, "%s: %s\n", cli->prog,
			              cli->err.message);
			return EXIT_NOINPUT;
		}
		return cli_fail(cli, rc);
	}
	*fd_out = fd;
	return 0;
}

static int
open_input(struct cli *cli,
           sealmail_input **in,
           const char *path,
           struct cli_mail *m,
           int *fd_out)
{
	int rc;

	*fd_out = -1;
	if (path != NULL && is_mailbox_name(path)) {
		sealmail_transport_options o = SEALMAIL_TRANSPORT_OPTIONS_INIT;

		rc = cli_mail_from_account(cli, m, path);
		if (rc == 0)
			rc = cli_mail_transport(cli, m, &o);
		if (rc == 0)
			rc = fetch_input(cli, in, path, &o, fd_out);
		cli_mail_done(m);
		return rc;
	}
	if (path == NULL || strcmp(path, "-") == 0)
		rc = sealmail_input_new_fd(in, STDIN_FILENO, &cli->err);
	else
		rc = sealmail_mailbox_open_file(in, path, &cli->err);
	if (rc == SEALMAIL_ENOTFOUND) {
		return cli_error(cli, EXIT_NOINPUT, "%s", cli->err.message);
	}
	return rc == SEALMAIL_OK ? 0 : cli_fail(cli, rc);
}

static int
print_json(struct cli *cli, const sealmail_report *r)
{
	sealmail_output *o = NULL;
	int rc = sealmail_output_new_fd(&o, STDOUT_FILENO, &cli->err);

	if (rc == SEALMAIL_OK)
		rc = sealmail_report_write_json(r, o, &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(o, &cli->err);
	sealmail_output_free(o);
	return rc;
}

int
cmd_open(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"add-cert", no_argument, NULL, OPT_ADD_CERT},
	        {"ack", no_argument, NULL, OPT_ACK},
	        {"output", required_argument, NULL, 'o'},
	        CLI_MAIL_LONGOPTS,
	        CLI_GLOBAL_LONGOPTS,
	        {NULL, 0, NULL, 0}};
	sealmail_open_options opts = SEALMAIL_OPEN_OPTIONS_INIT;
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	sealmail_report *report = NULL;
	const char *outpath = NULL;
	struct cli_mail m;
	bool to_stdout;
	int c, rc, fd = -1;

	memset(&m, 0, sizeof(m));
	opts.temp_dir = cli_temp_dir();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ADD_CERT:
			opts.flags |= SEALMAIL_OPEN_ADD_CERT;
			break;
		case OPT_ACK:
			opts.flags |= SEALMAIL_OPEN_ACK;
			break;
		case 'o':
			outpath = optarg;
			break;
		default:
			if (cli_mail_option(&m, c, optarg) == 0)
				break;
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
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	rc = open_input(cli, &in, optind < argc ? argv[optind] : NULL, &m, &fd);
	if (rc != 0)
		return rc;
	to_stdout = outpath != NULL && strcmp(outpath, "-") == 0;
	/*
	 * -o -: the readable message held back in the library (memory, then
	 * an unlinked temporary) until the verdict is known, so that nothing
	 * of a message that fails its checks reaches the pipe; the commit
	 * copies it to standard output, and the report goes to stderr.
	 */
	if (to_stdout)
		rc = sealmail_output_new_held(&out, STDOUT_FILENO,
		                              cli_temp_dir(), &cli->err);
	else if (outpath != NULL)
		rc = sealmail_output_new_path(&out, outpath, &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_message_open(&report, cli->store, in, out, &opts,
		                           &cli->err);
	sealmail_input_free(in);
	if (fd >= 0)
		(void)close(fd);
	/* Nothing readable came out of an encrypted layer: write nothing. */
	if (rc == SEALMAIL_OK && out != NULL &&
	    !sealmail_report_encryption_closed(report)) {
		rc = sealmail_output_commit(out, &cli->err);
		if (rc != SEALMAIL_OK && to_stdout) {
			/* the message is the output here: an I/O error */
			rc = cli_error(cli, EXIT_IOERR, "%s", cli->err.message);
			sealmail_output_free(out);
			sealmail_report_free(report);
			return rc;
		}
	}
	sealmail_output_free(out);
	/* The report goes where the message does not. */
	if (rc == SEALMAIL_OK && to_stdout &&
	    dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		rc = cli_error(cli, EXIT_IOERR, "standard error: %s",
		               strerror(errno));
		sealmail_report_free(report);
		return rc;
	}
	if (rc == SEALMAIL_OK && cli->json)
		rc = print_json(cli, report);
	else if (rc == SEALMAIL_OK)
		print_report(report);
	if (rc != SEALMAIL_OK) {
		sealmail_report_free(report);
		return cli_fail(cli, rc);
	}
	rc = (int)sealmail_report_verdict(report);
	sealmail_report_free(report);
	(void)fflush(stdout);
	return rc;
}
