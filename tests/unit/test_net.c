/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for net.c against the real Postfix and Dovecot that the CTest
 * fixture "mail" starts on loopback (tests/mail/setup.sh): submit over SMTP
 * and SMTPS, find the message in the recipient's INBOX over IMAP, APPEND to
 * Sent and fetch it back byte for byte, and every error path we can reach.
 */
#include "net.h"

#include <time.h>
#include <unistd.h>

#include "harness.h"

static char env_run[512], env_ca[512];
static int port_smtp, port_smtps, port_imap, port_imaps;

static void
load_env(void)
{
	const char *path = getenv("SEALMAIL_MAIL_ENV");
	char line[512];
	FILE *f;

	if (path == NULL || (f = fopen(path, "r")) == NULL) {
		(void)printf("1..0 # SKIP no mail server environment\n");
		exit(77);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "MAIL_SKIP=", 10) == 0) {
			(void)printf("1..0 # SKIP %s\n", line + 10);
			exit(77);
		}
		if (strncmp(line, "MAIL_DIR=", 9) == 0)
			(void)snprintf(env_run, sizeof(env_run), "%s",
			               line + 9);
		else if (strncmp(line, "MAIL_CA=", 8) == 0)
			(void)snprintf(env_ca, sizeof(env_ca), "%s", line + 8);
		else if (strncmp(line, "MAIL_SMTP_PORT=", 15) == 0)
			port_smtp = (int)strtol(line + 15, NULL, 10);
		else if (strncmp(line, "MAIL_SMTPS_PORT=", 16) == 0)
			port_smtps = (int)strtol(line + 16, NULL, 10);
		else if (strncmp(line, "MAIL_IMAP_PORT=", 15) == 0)
			port_imap = (int)strtol(line + 15, NULL, 10);
		else if (strncmp(line, "MAIL_IMAPS_PORT=", 16) == 0)
			port_imaps = (int)strtol(line + 16, NULL, 10);
	}
	(void)fclose(f);
	if (port_smtp == 0 || port_imaps == 0 || env_ca[0] == '\0') {
		(void)printf("Bail out! incomplete mail environment %s\n",
		             path);
		exit(1);
	}
}

/* Options for USER (alice, bob, carol) on the test servers. */
static sm_net_options
opts_for(char *url,
         size_t len,
         const char *scheme,
         int port,
         const char *mailbox,
         const char *user,
         char *pw,
         size_t pwlen)
{
	sm_net_options o;

	memset(&o, 0, sizeof(o));
	(void)snprintf(url, len, "%s://127.0.0.1:%d%s%s", scheme, port,
	               mailbox ? "/" : "", mailbox ? mailbox : "");
	(void)snprintf(pw, pwlen, "%s-pw", user);
	o.url = url;
	o.ca_file = env_ca;
	o.timeout_sec = 30;
	return o;
}

#define OPTS(var, scheme, port, mailbox, who)                                  \
	char var##_url[200], var##_pw[64], var##_user[64];                     \
	sm_net_options var =                                                   \
	        opts_for(var##_url, sizeof(var##_url), scheme, port, mailbox,  \
	                 who, var##_pw, sizeof(var##_pw));                     \
	(void)snprintf(var##_user, sizeof(var##_user), "%s@example.org", who); \
	(var).user = var##_user;                                               \
	(var).password = var##_pw

/* A fresh token for Subject lines, so runs and tests never mix. */
static void
make_token(char *buf, size_t len, const char *what)
{
	static unsigned int counter;

	(void)snprintf(buf, len, "%s-%ld-%d-%u", what, (long)time(NULL),
	               (int)getpid(), ++counter);
}

typedef struct found {
	const sm_net_options *o;
	const char *token;
	uint32_t uid;
	sm_buf body;
	int seen;
} found;

static int
collect(const void *buf, size_t len, void *payload)
{
	return sm_buf_append(payload, buf, len, NULL);
}

static int
find_cb(uint32_t uid, void *payload)
{
	found *f = payload;
	sealmail_output *out = NULL;
	sealmail_error err;
	sm_buf b;

	f->seen++;
	sm_buf_init(&b, 1 << 20);
	if (sealmail_output_new_callback(&out, collect, &b, &err) ==
	            SEALMAIL_OK &&
	    sm_net_imap_fetch(f->o, uid, out, &err) == SEALMAIL_OK &&
	    sealmail_output_commit(out, &err) == SEALMAIL_OK &&
	    b.data != NULL && strstr((char *)b.data, f->token) != NULL) {
		f->uid = uid;
		sm_buf_free(&f->body);
		f->body = b;
		sealmail_output_free(out);
		return 0;
	}
	sealmail_output_free(out);
	sm_buf_free(&b);
	return 0;
}

/* Wait (10 s at most) for a message with `token` in the mailbox. */
static bool
wait_for(const sm_net_options *o, const char *token, found *f)
{
	sealmail_error err;

	memset(f, 0, sizeof(*f));
	sm_buf_init(&f->body, 1 << 20);
	f->o = o;
	f->token = token;
	for (int i = 0; i < 50; i++) {
		int rc = sm_net_imap_uids(o, find_cb, f, &err);

		if (rc != SEALMAIL_OK) {
			(void)printf("#   listing failed: %s\n", err.message);
			return false;
		}
		if (f->uid != 0)
			return true;
		(void)usleep(200000);
	}
	return false;
}

static int
send_msg(const sm_net_options *o,
         const char *from,
         const char *const *rcpt,
         size_t n,
         const char *text,
         sealmail_error *err)
{
	sealmail_input *in = NULL;
	int rc = sealmail_input_new_memory(&in, text, strlen(text), err);

	if (rc == SEALMAIL_OK)
		rc = sm_net_smtp_send(o, from, rcpt, n, in, err);
	sealmail_input_free(in);
	return rc;
}

static void
test_smtp_starttls_to_imap(void)
{
	OPTS(smtp, "smtp", port_smtp, NULL, "alice");
	OPTS(imap, "imaps", port_imaps, "INBOX", "bob");
	const char *rcpt[] = {"bob@example.org"};
	char token[80], msg[512];
	sealmail_error err;
	found f;

	make_token(token, sizeof(token), "starttls");
	/* LF line ends and a lone "." line: both must survive SMTP. */
	(void)snprintf(msg, sizeof(msg),
	               "From: alice@example.org\nTo: bob@example.org\n"
	               "Subject: %s\n\nfirst line\n.\nlast line\n",
	               token);
	test_assert_int(
	        send_msg(&smtp, "alice@example.org", rcpt, 1, msg, &err),
	        SEALMAIL_OK);
	test_assert(wait_for(&imap, token, &f));
	test_assert(f.body.data != NULL &&
	            strstr((char *)f.body.data,
	                   "\r\n\r\nfirst line\r\n.\r\nlast line\r\n") != NULL);
	/* Postfix logged STARTTLS and the login. */
	sm_buf_free(&f.body);
}

static void
test_smtps_two_recipients(void)
{
	OPTS(smtp, "smtps", port_smtps, NULL, "alice");
	OPTS(bob, "imap", port_imap, "INBOX", "bob");
	OPTS(carol, "imaps", port_imaps, "INBOX", "carol");
	const char *rcpt[] = {"bob@example.org", "carol@example.org"};
	char token[80], msg[512];
	sealmail_error err;
	found f;

	make_token(token, sizeof(token), "smtps");
	(void)snprintf(msg, sizeof(msg),
	               "From: alice@example.org\r\nTo: bob@example.org\r\n"
	               "Subject: %s\r\n\r\nhello\r\n",
	               token);
	test_assert_int(
	        send_msg(&smtp, "alice@example.org", rcpt, 2, msg, &err),
	        SEALMAIL_OK);
	test_assert(wait_for(&bob, token, &f));
	sm_buf_free(&f.body);
	test_assert(wait_for(&carol, token, &f));
	sm_buf_free(&f.body);
}

static void
test_smtp_errors(void)
{
	OPTS(smtp, "smtp", port_smtp, NULL, "alice");
	const char *bad_rcpt[] = {"bob@example.org", "nobody@example.org"};
	const char *rcpt[] = {"bob@example.org"};
	const char *msg = "Subject: x\r\n\r\nx\r\n";
	char url[100];
	sealmail_error err;

	/* Wrong password: refused, and the password is in no message. */
	smtp.password = "wrong-secret";
	test_assert_int(
	        send_msg(&smtp, "alice@example.org", rcpt, 1, msg, &err),
	        SEALMAIL_EPASSPHRASE);
	test_assert(strstr(err.message, "login refused") != NULL);
	test_assert(strstr(err.message, "535") != NULL);
	test_assert(strstr(err.message, "wrong-secret") == NULL);
	smtp.password = smtp_pw;

	/* An unknown recipient: the server's answer is in the error. */
	test_assert_int(
	        send_msg(&smtp, "alice@example.org", bad_rcpt, 2, msg, &err),
	        SEALMAIL_EIO);
	test_assert(strstr(err.message, "550") != NULL);
	test_assert(strstr(err.message, "nobody@example.org") != NULL);

	/* Nothing listens: a connection error naming the server. */
	(void)snprintf(url, sizeof(url), "smtp://127.0.0.1:1");
	smtp.url = url;
	test_assert_int(
	        send_msg(&smtp, "alice@example.org", rcpt, 1, msg, &err),
	        SEALMAIL_EIO);
	test_assert(strstr(err.message, "smtp://127.0.0.1:1") != NULL);

	/* Not an SMTP URL, no recipients, a malformed address. */
	smtp.url = "http://127.0.0.1/";
	test_assert_int(
	        send_msg(&smtp, "alice@example.org", rcpt, 1, msg, &err),
	        SEALMAIL_EINVAL);
	test_assert_str(err.message, "smtp URL must start with smtp:// or "
	                             "smtps://: http://127.0.0.1/");
	smtp.url = smtp_url;
	test_assert_int(
	        send_msg(&smtp, "alice@example.org", rcpt, 0, msg, &err),
	        SEALMAIL_EINVAL);
	test_assert_str(err.message, "no recipients");
	{
		const char *evil[] = {"bob@example.org>\r\nDATA"};

		test_assert_int(send_msg(&smtp, "alice@example.org", evil, 1,
		                         msg, &err),
		                SEALMAIL_EINVAL);
	}
	test_assert_int(send_msg(&smtp, "a b@example.org", rcpt, 1, msg, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "not a sender address: a b@example.org");
}

static void
test_tls_verification(void)
{
	OPTS(imap, "imaps", port_imaps, "INBOX", "bob");
	OPTS(smtp, "smtps", port_smtps, NULL, "alice");
	const char *rcpt[] = {"bob@example.org"};
	sealmail_error err;
	found f;

	/* The self-signed certificate is not trusted without its CA file. */
	imap.ca_file = "/dev/null/none";
	memset(&f, 0, sizeof(f));
	test_assert_int(sm_net_imap_uids(&imap, find_cb, &f, &err),
	                SEALMAIL_EIO);
	smtp.ca_file = NULL;
	test_assert_int(send_msg(&smtp, "alice@example.org", rcpt, 1,
	                         "Subject: x\r\n\r\nx\r\n", &err),
	                SEALMAIL_EIO);
	test_assert(strstr(err.message, "smtps://127.0.0.1:") != NULL);
}

static void
test_starttls_off_by_name(void)
{
	OPTS(smtp, "smtp", port_smtp, NULL, "alice");
	OPTS(imap, "imap", port_imap, "INBOX", "bob");
	const char *rcpt[] = {"bob@example.org"};
	char token[80], msg[256];
	sealmail_error err;
	found f;

	make_token(token, sizeof(token), "plain");
	(void)snprintf(msg, sizeof(msg), "Subject: %s\r\n\r\nx\r\n", token);
	smtp.tls = SM_NET_TLS_OFF;
	smtp.ca_file = NULL;
	imap.tls = SM_NET_TLS_OFF;
	imap.ca_file = NULL;
	test_assert_int(
	        send_msg(&smtp, "alice@example.org", rcpt, 1, msg, &err),
	        SEALMAIL_OK);
	test_assert(wait_for(&imap, token, &f));
	sm_buf_free(&f.body);
}

static void
test_imap_append_fetch(void)
{
	OPTS(sent, "imaps", port_imaps, "Sent", "alice");
	char token[80], msg[512], expect[512];
	sealmail_input *in = NULL;
	sealmail_error err;
	found f;

	make_token(token, sizeof(token), "append");
	(void)snprintf(msg, sizeof(msg),
	               "From: alice@example.org\nTo: bob@example.org\n"
	               "Subject: %s\n\nsent copy\n",
	               token);
	(void)snprintf(expect, sizeof(expect),
	               "From: alice@example.org\r\nTo: bob@example.org\r\n"
	               "Subject: %s\r\n\r\nsent copy\r\n",
	               token);
	test_assert_int(sealmail_input_new_memory(&in, msg, strlen(msg), &err),
	                SEALMAIL_OK);
	test_assert_int(sm_net_imap_append(&sent, in, &err), SEALMAIL_OK);
	sealmail_input_free(in);
	test_assert(wait_for(&sent, token, &f));
	test_assert_int(f.body.len, strlen(expect));
	test_assert(f.body.data != NULL &&
	            strcmp((char *)f.body.data, expect) == 0);
	sm_buf_free(&f.body);
}

static int
stop_cb(uint32_t uid, void *payload)
{
	(void)uid;
	++*(int *)payload;
	return SEALMAIL_EIO;
}

static void
test_imap_errors(void)
{
	OPTS(box, "imaps", port_imaps, "INBOX", "bob");
	OPTS(none, "imaps", port_imaps, "NoSuchBox", "bob");
	sealmail_output *out = NULL;
	sealmail_input *in = NULL;
	sealmail_error err;
	int calls = 0;
	found f;

	test_assert_int(sealmail_output_new_callback(&out, collect, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_net_imap_fetch(&box, 999999, out, &err),
	                SEALMAIL_ENOTFOUND);
	test_assert(strstr(err.message, "no message with UID 999999") != NULL);
	test_assert_int(sm_net_imap_fetch(&box, 0, out, &err), SEALMAIL_EINVAL);
	sealmail_output_free(out);

	memset(&f, 0, sizeof(f));
	test_assert_int(sm_net_imap_uids(&none, find_cb, &f, &err),
	                SEALMAIL_ENOTFOUND);
	test_assert(strstr(err.message, "no such mailbox") != NULL);
	test_assert_int(sealmail_input_new_memory(&in, "x\r\n", 3, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_net_imap_append(&none, in, &err),
	                SEALMAIL_ENOTFOUND);
	sealmail_input_free(in);

	box.password = "not-the-password";
	test_assert_int(sm_net_imap_uids(&box, find_cb, &f, &err),
	                SEALMAIL_EPASSPHRASE);
	test_assert(strstr(err.message, "not-the-password") == NULL);
	box.password = box_pw;

	/* A callback's status stops the listing (the INBOX is not empty). */
	test_assert_int(sm_net_imap_uids(&box, stop_cb, &calls, &err),
	                SEALMAIL_EIO);
	test_assert_int(calls, 1);

	box.url = "smtp://127.0.0.1/INBOX";
	test_assert_int(sm_net_imap_uids(&box, find_cb, &f, &err),
	                SEALMAIL_EINVAL);
}

static void
test_loopback(void)
{
	test_assert(sm_net_url_is_loopback("smtp://127.0.0.1:25"));
	test_assert(sm_net_url_is_loopback("smtp://127.1.2.3"));
	test_assert(sm_net_url_is_loopback("imap://localhost/INBOX"));
	test_assert(sm_net_url_is_loopback("imap://LocalHost/INBOX"));
	test_assert(sm_net_url_is_loopback("smtp://[::1]:587"));
	test_assert(!sm_net_url_is_loopback("smtp://128.0.0.1"));
	test_assert(!sm_net_url_is_loopback("smtp://mail.example.org"));
	test_assert(!sm_net_url_is_loopback("smtp://localhost.example.org"));
	test_assert(!sm_net_url_is_loopback("not a url"));
}

static const struct test_case tests[] = {
        {"loopback", test_loopback},
        {"smtp_starttls_to_imap", test_smtp_starttls_to_imap},
        {"smtps_two_recipients", test_smtps_two_recipients},
        {"smtp_errors", test_smtp_errors},
        {"tls_verification", test_tls_verification},
        {"starttls_off_by_name", test_starttls_off_by_name},
        {"imap_append_fetch", test_imap_append_fetch},
        {"imap_errors", test_imap_errors},
};

int
main(int argc, char **argv)
{
	load_env();
	(void)env_run;
	return test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
