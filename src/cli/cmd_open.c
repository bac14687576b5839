/* SPDX-License-Identifier: MIT */
/*
 * sealmail open: check a message's signatures (and, with issue 4, decrypt
 * it), print the report -- text with hostile characters escaped, or --json
 * -- and exit with the verdict (0 good, 1 warning, 2 danger, 3 cannot
 * decrypt).  -o OUT writes the readable message.
 */
#include "cli.h"

#include <string.h>
#include <unistd.h>

#include "out.h"

enum { OPT_ADD_CERT = OPT_LOCAL_BASE, OPT_ACK };

static void
usage(FILE *f)
{
	(void)fprintf(f, "usage: sealmail open [--json] [-o OUT] [--add-cert] "
	                 "[--ack] [FILE|-]\n");
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

/* Was an encrypted layer left closed (not for me, tag or key failure)? */
static bool
undecrypted(const sealmail_report *r)
{
	static const char *const codes[] = {"not-for-you", "tag-mismatch",
	                                    "decrypt-failed", "key-failed",
	                                    "encryption-damaged"};

	for (size_t i = 0; i < sealmail_report_finding_count(r); i++)
		for (size_t j = 0; j < sizeof(codes) / sizeof(*codes); j++)
			if (strcmp(sealmail_report_finding_code(r, i),
			           codes[j]) == 0)
				return true;
	return false;
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
	if (n == 0 && sealmail_report_coverage(r) == SEALMAIL_COVERAGE_NONE)
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
	(void)printf("verdict: %s\n",
	             v == SEALMAIL_VERDICT_GOOD      ? "good"
	             : v == SEALMAIL_VERDICT_WARNING ? "warning"
	             : v == SEALMAIL_VERDICT_DANGER  ? "danger"
	                                             : "cannot decrypt");
}

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
	        CLI_GLOBAL_LONGOPTS,
	        {NULL, 0, NULL, 0}};
	sealmail_open_options opts = SEALMAIL_OPEN_OPTIONS_INIT;
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	sealmail_report *report = NULL;
	const char *outpath = NULL;
	int c, rc;

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
	rc = open_input(cli, &in, optind < argc ? argv[optind] : NULL);
	if (rc != 0)
		return rc;
	if (outpath != NULL)
		rc = sealmail_output_new_path(&out, outpath, &cli->err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_message_open(&report, cli->store, in, out, &opts,
		                           &cli->err);
	sealmail_input_free(in);
	/* Nothing readable came out of an encrypted layer: write nothing. */
	if (rc == SEALMAIL_OK && out != NULL && !undecrypted(report))
		rc = sealmail_output_commit(out, &cli->err);
	sealmail_output_free(out);
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
