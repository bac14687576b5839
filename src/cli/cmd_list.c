/* SPDX-License-Identifier: MIT */
/*
 * sealmail list MAILBOX: one line per message of a Maildir, an mbox or an
 * IMAP mailbox -- date, sender, subject and the security state a desktop
 * client shows as icons (signed and by whom trusted, altered, encrypted for
 * me or not, partly signed) -- or with --json one document.  Each message
 * is examined by sealmail_message_open; nothing decrypted is kept.
 */
#include "cli.h"

#include <string.h>
#include <time.h>

#include "out.h"
#include "secret.h"

static void
usage(FILE *f)
{
	(void)fprintf(f,
	              "usage: sealmail list [--json] [--user NAME] "
	              "[--mail-password-file FILE | --mail-password-command "
	              "CMD]\n"
	              "                     [--ca-file FILE] [--no-starttls] "
	              "[MAILBOX]\n"
	              "MAILBOX: a Maildir folder, an mbox file, or "
	              "imap[s]://HOST[:PORT]/MAILBOX\n");
}

static const char *const rewrite_words[] = {"",
                                            "line endings",
                                            "trailing white space",
                                            "transfer re-encoding",
                                            "header folding",
                                            "footer appended"};

/* The security state as stable tokens and as words. */
struct state {
	const char *signature;  /* none, valid, untrusted, distrusted, ... */
	const char *encryption; /* none, for-me, not-for-me */
	bool partly_signed;
	const char *rewrite; /* "" or the words of a recognised rewrite */
	char words[256];
};

static void
message_state(const sealmail_report *r, struct state *st)
{
	size_t n = sealmail_report_signature_count(r);
	const char *sig_words = "not signed";
	int worst = -1; /* 0 valid trusted ... 5 invalid */

	memset(st, 0, sizeof(*st));
	st->signature = "none";
	st->rewrite = "";
	st->encryption =
	        !sealmail_report_encrypted(r) ? "none"
	        : sealmail_report_verdict(r) == SEALMAIL_VERDICT_CANNOT_DECRYPT
	                ? "not-for-me"
	                : "for-me";
	st->partly_signed =
	        sealmail_report_coverage(r) == SEALMAIL_COVERAGE_PARTIAL;
	for (size_t i = 0; i < n; i++) {
		const sealmail_signature *s =
		        sealmail_report_signature_at(r, i);
		const char *trust = sealmail_signature_trust(s);
		sealmail_rewrite rw = sealmail_signature_rewrite(s);
		int level;
		const char *tok, *words;

		switch (sealmail_signature_state(s)) {
		case SEALMAIL_SIG_ALTERED:
			level = 4, tok = "altered";
			words = "signed, ALTERED after signing";
			break;
		case SEALMAIL_SIG_BAD:
			level = 5, tok = "invalid";
			words = "signed, signature NOT valid";
			break;
		case SEALMAIL_SIG_NO_CERT:
		case SEALMAIL_SIG_UNSUPPORTED:
			level = 2, tok = "unchecked";
			words = "signed, cannot be checked";
			break;
		case SEALMAIL_SIG_VALID:
		default:
			if (rw != SEALMAIL_REWRITE_NONE) {
				level = 4, tok = "altered";
				words = "signed, altered by a mail server";
				if ((size_t)rw < (sizeof(rewrite_words) /
				                  sizeof(rewrite_words[0])))
					st->rewrite = rewrite_words[rw];
			} else if (strcmp(trust, "distrusted") == 0) {
				level = 3, tok = "distrusted";
				words = "signed, signer DISTRUSTED";
			} else if (strcmp(trust, "trusted") == 0 ||
			           strcmp(trust, "trusted-via-ca") == 0 ||
			           strcmp(trust, "own-id") == 0) {
				level = 0, tok = "valid";
				words = "signed, trusted";
			} else {
				level = 1, tok = "untrusted";
				words = "signed, signer not trusted";
			}
			break;
		}
		if (level > worst) {
			worst = level;
			st->signature = tok;
			sig_words = words;
		}
	}
	if (n == 0 && strcmp(st->encryption, "not-for-me") == 0) {
		/* Whether it is signed inside cannot be known. */
		st->signature = "unknown";
		(void)snprintf(st->words, sizeof(st->words),
		               "encrypted (not for me)");
		return;
	}
	(void)snprintf(st->words, sizeof(st->words), "%s%s%s%s%s%s%s",
	               strcmp(st->encryption, "for-me") == 0 ? "encrypted, "
	               : strcmp(st->encryption, "not-for-me") == 0
	                       ? "encrypted (not for me), "
	                       : "",
	               st->partly_signed ? "partly " : "", sig_words,
	               st->rewrite[0] ? " (" : "", st->rewrite,
	               st->rewrite[0] ? ")" : "", "");
}

/* As in open's JSON report: nothing signed is "not-signed", never "good". */
static const char *
verdict_token(const sealmail_report *r)
{
	sealmail_verdict v = sealmail_report_verdict(r);

	if (v == SEALMAIL_VERDICT_GOOD &&
	    sealmail_report_coverage(r) == SEALMAIL_COVERAGE_NONE)
		return "not-signed";
	return v == SEALMAIL_VERDICT_GOOD      ? "good"
	       : v == SEALMAIL_VERDICT_WARNING ? "warning"
	       : v == SEALMAIL_VERDICT_DANGER  ? "danger"
	                                       : "cannot-decrypt";
}

struct list_ctx {
	struct cli *cli;
	const char *mailbox;
	json j;
	unsigned long count;
};

/* The short id shown in text: what follows the mailbox in the name. */
static const char *
short_id(const struct list_ctx *c, const char *name)
{
	size_t n = strlen(c->mailbox);
	const char *p;

	while (n > 0 && c->mailbox[n - 1] == '/')
		n--;
	if (strncmp(name, c->mailbox, n) != 0)
		return name;
	p = name + n;
	if (strncmp(p, "/;UID=", 6) == 0)
		return p + 6;
	return (*p == '/' || *p == '#') ? p + 1 : p;
}

static int
list_one(const char *name,
         sealmail_input *in,
         void *payload,
         sealmail_error *err)
{
	struct list_ctx *c = payload;
	sealmail_open_options opts = SEALMAIL_OPEN_OPTIONS_INIT;
	sealmail_report *r = NULL;
	struct state st;
	char when[32];
	int rc;

	rc = sealmail_message_open(&r, c->cli->store, in, NULL, &opts, err);
	c->count++;
	if (rc == SEALMAIL_EBADDATA) {
		/* One unreadable message does not stop the listing. */
		if (c->cli->json) {
			json_object_begin(&c->j);
			json_kv_string(&c->j, "name", name);
			json_kv_string(&c->j, "error", err->message);
			json_object_end(&c->j);
		} else {
			(void)printf("%s  (cannot be read: ",
			             short_id(c, name));
			out_text(stdout, err->message);
			(void)printf(")\n");
		}
		return SEALMAIL_OK;
	}
	if (rc != SEALMAIL_OK)
		return rc;
	message_state(r, &st);
	if (c->cli->json) {
		json_object_begin(&c->j);
		json_kv_string(&c->j, "name", name);
		json_kv_string(&c->j, "id", short_id(c, name));
		json_key(&c->j, "date");
		if (sealmail_report_date(r) != 0) {
			out_time(when, sizeof(when), sealmail_report_date(r));
			json_string(&c->j, when);
		} else {
			json_null(&c->j);
		}
		json_kv_string(&c->j, "from", sealmail_report_from(r));
		json_kv_string(&c->j, "subject", sealmail_report_subject(r));
		json_kv_string(&c->j, "signature", st.signature);
		json_kv_bool(&c->j, "partly_signed", st.partly_signed);
		json_kv_string(&c->j, "encryption", st.encryption);
		json_key(&c->j, "rewrite");
		json_string(&c->j, st.rewrite[0] ? st.rewrite : NULL);
		json_kv_string(&c->j, "verdict", verdict_token(r));
		json_kv_string(&c->j, "state", st.words);
		json_object_end(&c->j);
	} else {
		time_t t = (time_t)sealmail_report_date(r);
		struct tm tm;

		if (t != 0 && gmtime_r(&t, &tm) != NULL)
			(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M",
			               &tm);
		else
			(void)snprintf(when, sizeof(when), "%-16s",
			               "(no date)");
		out_text(stdout, short_id(c, name));
		(void)printf("  %s  ", when);
		out_text(stdout, sealmail_report_from(r));
		(void)fputs("  ", stdout);
		out_text(stdout, sealmail_report_subject(r));
		(void)printf("  [%s]\n", st.words);
	}
	sealmail_report_free(r);
	return SEALMAIL_OK;
}

/* No MAILBOX: the inbox of the one account that has an inbox setting. */
static int
account_inbox(struct cli *cli, struct cli_mail *m, const char **mailbox)
{
	size_t found = 0;
	int rc = sealmail_account_list(&m->accounts, cli->store, &cli->err);

	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	for (size_t i = 0; i < sealmail_account_list_count(m->accounts); i++) {
		const char *v = sealmail_account_get(
		        sealmail_account_list_at(m->accounts, i), "inbox");

		if (v != NULL && v[0] != '\0') {
			*mailbox = v;
			found++;
		}
	}
	if (found == 1)
		return 0;
	return cli_usage_error(cli,
	                       found == 0 ? "name a mailbox (no account has an "
	                                    "inbox setting)"
	                                  : "name a mailbox (several accounts "
	                                    "have an inbox setting)");
}

int
cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	        CLI_MAIL_LONGOPTS, CLI_GLOBAL_LONGOPTS, {NULL, 0, NULL, 0}};
	sealmail_transport_options o = SEALMAIL_TRANSPORT_OPTIONS_INIT;
	struct cli_mail m;
	struct list_ctx ctx;
	int c, rc;

	memset(&m, 0, sizeof(m));
	memset(&ctx, 0, sizeof(ctx));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (cli_mail_option(&m, c, optarg) == 0)
			continue;
		rc = cli_option(cli, c, argv);
		if (rc == -1) {
			usage(stdout);
			return 0;
		}
		if (rc != 0)
			return rc;
	}
	if (argc - optind > 1)
		return cli_usage_error(cli, "name one mailbox");
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	if (argc - optind == 1)
		ctx.mailbox = argv[optind];
	else
		rc = account_inbox(cli, &m, &ctx.mailbox);
	if (rc == 0)
		rc = cli_mail_from_account(cli, &m, ctx.mailbox);
	if (rc == 0)
		rc = cli_mail_transport(cli, &m, &o);
	if (rc != 0) {
		cli_mail_done(&m);
		return rc;
	}
	ctx.cli = cli;
	if (cli->json) {
		json_init(&ctx.j, stdout);
		json_object_begin(&ctx.j);
		json_kv_string(&ctx.j, "mailbox", ctx.mailbox);
		json_key(&ctx.j, "messages");
		json_array_begin(&ctx.j);
	}
	rc = sealmail_mailbox_foreach(ctx.mailbox, &o, list_one, &ctx,
	                              &cli->err);
	cli_mail_done(&m);
	if (cli->json && rc == SEALMAIL_OK) {
		json_array_end(&ctx.j);
		json_object_end(&ctx.j);
		json_end(&ctx.j);
	}
	(void)fflush(stdout);
	if (rc != SEALMAIL_OK) {
		if (rc == SEALMAIL_ENOTFOUND) {
			return cli_error(cli, EXIT_NOINPUT, "%s",
			                 cli->err.message);
		}
		return cli_fail(cli, rc);
	}
	return 0;
}
