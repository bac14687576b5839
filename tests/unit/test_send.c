/* SPDX-License-Identifier: MIT */
/*
 * The SMTP envelope of sealmail_smtp_send and sealmail_message_send
 * (transport.c, send.c): an address longer than SMTP allows or with a
 * UTF-8 local part is refused before any connection, never cut or sent
 * mangled.  No server needed: the SMTP URL is a closed port.
 */
#include "sealmail/transport.h"

#include "internal.h"
#include "transport_int.h"

#include "harness.h"

#define CLOSED "smtp://127.0.0.1:1"
#define TOOLONG "is longer than 254 bytes, the most an SMTP envelope allows"
#define SMTPUTF8 "needs SMTPUTF8, which sealmail does not support yet"
#define JUERGEN "j\xc3\xbcrgen@example.org"
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* An address of exactly `len` bytes (< size): a...a@example.org */
static const char *
addr(char *buf, size_t size, size_t len)
{
	const char *domain = "@example.org";
	size_t local = len - strlen(domain);

	if (len >= size || len <= strlen(domain)) {
		(void)printf("Bail out! addr(%zu) does not fit\n", len);
		exit(1);
	}
	memset(buf, 'a', local);
	memcpy(buf + local, domain, strlen(domain) + 1);
	return buf;
}

static void
test_address_check(void)
{
	char a[512];
	sealmail_error err = {0, ""};

	test_assert_int(sm_smtp_address_check("sender address",
	                                      addr(a, sizeof(a), 254),
	                                      SEALMAIL_EINVAL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_smtp_address_check("sender address",
	                                      addr(a, sizeof(a), 255),
	                                      SEALMAIL_EBADDATA, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "sender address " A64 "... " TOOLONG);
	test_assert_int(sm_smtp_address_check("recipient address", JUERGEN,
	                                      SEALMAIL_EINVAL, &err),
	                SEALMAIL_EUNSUPPORTED);
	test_assert_str(err.message, "recipient address " JUERGEN " " SMTPUTF8);
	test_assert_int(sm_smtp_address_check("recipient address",
	                                      "bob@xn--bcher-kva.example",
	                                      SEALMAIL_EINVAL, &err),
	                SEALMAIL_OK);
}

/* sealmail_smtp_send from `from` to `to`; `err` says why. */
static int
smtp_send(const char *from, const char *to, sealmail_error *err)
{
	static const char msg[] = "Subject: x\r\n\r\nx\r\n";
	sealmail_input *in = NULL;
	int rc = sealmail_input_new_memory(&in, msg, sizeof(msg) - 1, err);

	if (rc == SEALMAIL_OK)
		rc = sealmail_smtp_send(CLOSED, NULL, from, &to, 1, in, err);
	sealmail_input_free(in);
	return rc;
}

static void
test_smtp_send(void)
{
	char a[512];
	sealmail_error err = {0, ""};

	/* 254 bytes go to the server (here: a closed port). */
	test_assert_int(
	        smtp_send("alice@example.org", addr(a, sizeof(a), 254), &err),
	        SEALMAIL_EIO);
	test_assert(strstr(err.message, "sending through " CLOSED) ==
	            err.message);
	test_assert_int(
	        smtp_send(addr(a, sizeof(a), 254), "bob@example.org", &err),
	        SEALMAIL_EIO);
	/* Longer, or UTF-8: refused before connecting. */
	test_assert_int(
	        smtp_send("alice@example.org", addr(a, sizeof(a), 255), &err),
	        SEALMAIL_EINVAL);
	test_assert_str(err.message, "recipient address " A64 "... " TOOLONG);
	test_assert_int(
	        smtp_send(addr(a, sizeof(a), 400), "bob@example.org", &err),
	        SEALMAIL_EINVAL);
	test_assert_str(err.message, "sender address " A64 "... " TOOLONG);
	test_assert_int(smtp_send("alice@example.org", JUERGEN, &err),
	                SEALMAIL_EUNSUPPORTED);
	test_assert_str(err.message, "recipient address " JUERGEN " " SMTPUTF8);
	test_assert_int(smtp_send(JUERGEN, "bob@example.org", &err),
	                SEALMAIL_EUNSUPPORTED);
	test_assert_str(err.message, "sender address " JUERGEN " " SMTPUTF8);
}

/*
 * sealmail_message_send of a message From `from` To `to`, with `opts`
 * (NULL: defaults, sign).  The store has no account and no ID: every
 * status asserted here comes before the account is looked up.
 */
static int
message_send(sealmail_store *store,
             const char *from,
             const char *to,
             sealmail_send_options *opts,
             sealmail_error *err)
{
	sealmail_send_options defaults = SEALMAIL_SEND_OPTIONS_INIT;
	sealmail_input *in = NULL;
	sm_buf msg;
	int rc;

	if (opts == NULL)
		opts = &defaults;
	opts->protect.flags |= SEALMAIL_PROTECT_SIGN;
	sm_buf_init(&msg, 1 << 16);
	rc = sm_buf_printf(&msg, err,
	                   "From: %s\r\nTo: %s\r\nSubject: x\r\n\r\nx\r\n",
	                   from, to);
	if (rc == SEALMAIL_OK)
		rc = sealmail_input_new_memory(&in, msg.data, msg.len, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_message_send(store, in, opts, NULL, err);
	sealmail_input_free(in);
	sm_buf_free(&msg);
	return rc;
}

static void
test_message_send(void)
{
	char a[512], home[300];
	sealmail_store *store = NULL;
	sealmail_send_options opts = SEALMAIL_SEND_OPTIONS_INIT;
	sealmail_error err = {0, ""};
	const char *rcpt[1];

	(void)snprintf(home, sizeof(home), "%s/home", test_tmpdir());
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	if (store == NULL)
		return;

	/* From the message: bad data.  The From a message entity holds is
	 * cut at 255 bytes: 255 and more are refused, whole or cut. */
	for (size_t n = 255; n <= 300; n += 45) {
		test_assert_int(message_send(store, addr(a, sizeof(a), n),
		                             "bob@example.org", NULL, &err),
		                SEALMAIL_EBADDATA);
		test_assert_str(err.message,
		                "sender address " A64 "... " TOOLONG);
	}
	test_assert_int(message_send(store, "alice@example.org",
	                             addr(a, sizeof(a), 255), NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "recipient address " A64 "... " TOOLONG);
	test_assert_int(
	        message_send(store, "alice@example.org", JUERGEN, NULL, &err),
	        SEALMAIL_EUNSUPPORTED);
	test_assert_str(err.message, "recipient address " JUERGEN " " SMTPUTF8);
	test_assert_int(
	        message_send(store, JUERGEN, "bob@example.org", NULL, &err),
	        SEALMAIL_EUNSUPPORTED);
	test_assert_str(err.message, "sender address " JUERGEN " " SMTPUTF8);

	/* From the caller: invalid arguments. */
	opts.protect.from = addr(a, sizeof(a), 300);
	test_assert_int(message_send(store, "alice@example.org",
	                             "bob@example.org", &opts, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "sender address " A64 "... " TOOLONG);
	opts.protect.from = NULL;
	opts.envelope_from = addr(a, sizeof(a), 255);
	test_assert_int(message_send(store, "alice@example.org",
	                             "bob@example.org", &opts, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "sender address " A64 "... " TOOLONG);
	opts.envelope_from = NULL;
	rcpt[0] = addr(a, sizeof(a), 255);
	opts.rcpt = rcpt;
	opts.nrcpt = 1;
	test_assert_int(message_send(store, "alice@example.org",
	                             "bob@example.org", &opts, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "recipient address " A64 "... " TOOLONG);

	/* 254 bytes pass the envelope: the next refusal is protect's. */
	opts.rcpt = NULL;
	opts.nrcpt = 0;
	test_assert_int(message_send(store, addr(a, sizeof(a), 254),
	                             "bob@example.org", NULL, &err),
	                SEALMAIL_ENOKEY);
	test_assert(strstr(err.message, addr(a, sizeof(a), 254)) != NULL);
	sealmail_store_free(store);
}

static const struct test_case tests[] = {
        {"address_check", test_address_check},
        {"smtp_send", test_smtp_send},
        {"message_send", test_message_send},
};

TEST_MAIN(tests)
