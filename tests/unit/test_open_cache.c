/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for what open keeps per store handle for a list (issue 7):
 * the trust judged per signer is reused only while the database does not
 * change, whether this handle or another connection changes it.
 */
#include "internal.h"
#include "sealmail/book.h"
#include "sealmail/message.h"
#include "sealmail/report.h"
#include "sealmail/store.h"

#include "harness.h"

#define TB SEALMAIL_TEST_DATA "/../corpus/thunderbird/smime/"

static sealmail_store *
open_store(const char *home)
{
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	if (sealmail_store_open(&store, home, NULL, &err) != SEALMAIL_OK) {
		(void)printf("Bail out! store: %s\n", err.message);
		exit(1);
	}
	return store;
}

/* The trust token of the message's one signature, opened with `store`. */
static const char *
trust_of(sealmail_store *store)
{
	static char trust[64];
	sealmail_open_options opts = SEALMAIL_OPEN_OPTIONS_INIT;
	sealmail_input *in = NULL;
	sealmail_report *r = NULL;
	sealmail_error err = {0};

	trust[0] = '\0';
	test_assert_int(
	        sealmail_input_new_path(
	                &in, TB "alice.dsig.SHA256.multipart.eml", &err),
	        SEALMAIL_OK);
	test_assert_int(sealmail_message_open(&r, store, in, NULL, &opts, &err),
	                SEALMAIL_OK);
	if (r != NULL && sealmail_report_signature_count(r) == 1)
		(void)snprintf(trust, sizeof(trust), "%s",
		               sealmail_signature_trust(
		                       sealmail_report_signature_at(r, 0)));
	sealmail_report_free(r);
	sealmail_input_free(in);
	return trust;
}

static void
test_trust_follows_store(void)
{
	char home[128], fp[65];
	sealmail_store *a, *b;
	sealmail_cert_list *l = NULL;
	sm_buf ca;
	sealmail_error err = {0};

	(void)snprintf(home, sizeof(home), "%s/home", test_tmpdir());
	a = open_store(home);
	b = open_store(home);
	test_assert_str(trust_of(a), "not-in-book");
	test_assert_str(trust_of(a), "not-in-book"); /* remembered */

	/* This handle adds and trusts the CA: the next open sees it. */
	sm_buf_init(&ca, 1 << 20);
	test_assert_int(sm_read_file(&ca, TB "TestCA.pem", 1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_ca_add(&l, a, ca.data, ca.len, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_cert_list_count(l), 1);
	(void)snprintf(fp, sizeof(fp), "%s",
	               sealmail_cert_fingerprint(sealmail_cert_list_at(l, 0)));
	sealmail_cert_list_free(l);
	test_assert_int(
	        sealmail_ca_set_trust(a, fp, SEALMAIL_TRUST_TRUSTED, &err),
	        SEALMAIL_OK);
	test_assert_str(trust_of(a), "trusted-via-ca");
	test_assert_str(trust_of(a), "trusted-via-ca");

	/* Another connection withdraws it: this one notices. */
	test_assert_str(trust_of(b), "trusted-via-ca");
	test_assert_int(
	        sealmail_ca_set_trust(b, fp, SEALMAIL_TRUST_UNTRUSTED, &err),
	        SEALMAIL_OK);
	test_assert_str(trust_of(a), "not-in-book");
	test_assert_str(trust_of(b), "not-in-book");

	sm_buf_free(&ca);
	sealmail_store_free(a);
	sealmail_store_free(b);
}

static const struct test_case tests[] = {
        {"trust_follows_store", test_trust_follows_store},
};

TEST_MAIN(tests)
