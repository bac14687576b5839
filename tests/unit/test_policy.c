/* SPDX-License-Identifier: MIT */
/*
 * Recipient policy (policy.c): every recipient's problem collected at once,
 * visible/Bcc de-duplication, OAEP from capabilities or --oaep, and the
 * cipher `auto` picks from recorded SMIMECapabilities.
 */
#include "book_int.h"
#include "db.h"
#include "policy.h"

#include "harness.h"

#define PKI SEALMAIL_TEST_DATA "/pki/"

/* SEQUENCE { {aes256-GCM}, {rsaesOaep} } */
static const unsigned char caps_gcm_oaep[] = {
        0x30, 0x1a, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
        0x65, 0x03, 0x04, 0x01, 0x2e, 0x30, 0x0b, 0x06, 0x09, 0x2a,
        0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07};
/* SEQUENCE { {aes256-CBC} } */
static const unsigned char caps_cbc[] = {0x30, 0x0d, 0x30, 0x0b, 0x06,
                                         0x09, 0x60, 0x86, 0x48, 0x01,
                                         0x65, 0x03, 0x04, 0x01, 0x2a};

static sealmail_store *
open_store(void)
{
	char home[128];
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	(void)snprintf(home, sizeof(home), "%s/home", test_tmpdir());
	if (sealmail_store_open(&store, home, NULL, &err) != SEALMAIL_OK) {
		(void)printf("Bail out! store: %s\n", err.message);
		exit(1);
	}
	return store;
}

static sm_cert *
load(sealmail_store *store, const char *name)
{
	char path[256];
	sm_buf buf;
	sm_crypto *crypto = NULL;
	sm_cert **list = NULL, *c = NULL;
	size_t n = 0;

	(void)snprintf(path, sizeof(path), PKI "%s", name);
	sm_buf_init(&buf, 1 << 20);
	if (sm_read_file(&buf, path, 1 << 20, NULL) == SEALMAIL_OK &&
	    sm_store_crypto(&crypto, store, NULL) == SEALMAIL_OK &&
	    sm_cert_list_parse(&list, &n, crypto, buf.data, buf.len, NULL) ==
	            SEALMAIL_OK &&
	    n > 0)
		c = sm_cert_ref(list[0]);
	sm_cert_list_free(list, n);
	sm_buf_free(&buf);
	if (c == NULL) {
		(void)printf("Bail out! cannot load %s\n", path);
		exit(1);
	}
	return c;
}

/* Add a PKI certificate to the book, optionally trusted, with caps. */
static void
add(sealmail_store *store,
    const char *name,
    bool trusted,
    const unsigned char *caps,
    size_t caplen)
{
	sm_cert *c = load(store, name);

	test_assert_int(
	        sm_book_add_cert(NULL, store, c, "", caps, caplen, NULL),
	        SEALMAIL_OK);
	if (trusted)
		test_assert_int(
		        sealmail_book_set_trust(store, sm_cert_fingerprint(c),
		                                SEALMAIL_TRUST_TRUSTED, NULL),
		        SEALMAIL_OK);
	sm_cert_free(c);
}

static const sm_rcpt *
find(const sm_policy *p, const char *addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->rcpts[i].address, addr) == 0)
			return &p->rcpts[i];
	return NULL;
}

static void
test_all_problems_at_once(void)
{
	sealmail_store *store = open_store();
	sm_policy p;
	const char *vis[] = {"Bob@Example.org", "carol@example.org",
	                     "erin@example.org", "expired@example.org",
	                     "signonly@example.org"};
	const sm_rcpt *r;

	add(store, "bob@example.org.crt", false, NULL, 0);
	add(store, "erin@example.org.crt", true, NULL, 0);
	add(store, "expired@example.org.crt", true, NULL, 0);
	add(store, "signonly@example.org.crt", true, NULL, 0);
	test_assert_int(sm_policy_recipients(&p, store, vis, 5, NULL, 0, false,
	                                     0, NULL),
	                SEALMAIL_OK);
	test_assert_int(p.n, 5);
	test_assert_int(p.nproblems, 4);
	r = find(&p, "bob@example.org");
	test_assert(r != NULL && r->problem == SM_CERT_NOT_TRUSTED &&
	            r->cert == NULL);
	r = find(&p, "carol@example.org");
	test_assert(r != NULL && r->problem == SM_CERT_NONE);
	r = find(&p, "erin@example.org");
	test_assert(r != NULL && r->problem == SM_CERT_OK && r->cert != NULL);
	r = find(&p, "expired@example.org");
	test_assert(r != NULL && r->problem == SM_CERT_EXPIRED);
	r = find(&p, "signonly@example.org");
	test_assert(r != NULL && r->problem == SM_CERT_WRONG_USAGE);
	test_assert_str(sm_cert_problem_words(SM_CERT_NOT_TRUSTED),
	                "not trusted");
	sm_policy_clear(&p);
	test_assert(p.n == 0 && p.rcpts == NULL);
	sealmail_store_free(store);
}

static void
test_bcc_and_duplicates(void)
{
	sealmail_store *store = open_store();
	sm_policy p;
	const char *vis[] = {"bob@example.org", "BOB@example.org"};
	const char *bcc[] = {"bob@example.org", "erin@example.org",
	                     "erin@example.org"};

	add(store, "bob@example.org.crt", true, NULL, 0);
	add(store, "erin@example.org.crt", true, NULL, 0);
	test_assert_int(
	        sm_policy_recipients(&p, store, vis, 2, bcc, 3, false, 0, NULL),
	        SEALMAIL_OK);
	test_assert_int(p.n, 2);
	test_assert_int(p.nproblems, 0);
	test_assert(find(&p, "bob@example.org") != NULL &&
	            !find(&p, "bob@example.org")->bcc);
	test_assert(find(&p, "erin@example.org") != NULL &&
	            find(&p, "erin@example.org")->bcc);
	sm_policy_clear(&p);
	sealmail_store_free(store);
}

static void
test_oaep_and_cipher(void)
{
	sealmail_store *store = open_store();
	sm_policy p;
	const char *vis[] = {"bob@example.org", "carol@example.org",
	                     "erin@example.org"};
	unsigned int caps[3];
	sm_cipher c;
	const sm_rcpt *bob, *carol, *erin;

	add(store, "bob@example.org.crt", true, caps_gcm_oaep,
	    sizeof(caps_gcm_oaep));
	add(store, "carol@example.org.crt", true, caps_gcm_oaep,
	    sizeof(caps_gcm_oaep));
	add(store, "erin@example.org.crt", true, caps_cbc, sizeof(caps_cbc));
	test_assert_int(sm_policy_recipients(&p, store, vis, 3, NULL, 0, false,
	                                     0, NULL),
	                SEALMAIL_OK);
	bob = find(&p, "bob@example.org");
	carol = find(&p, "carol@example.org");
	erin = find(&p, "erin@example.org");
	test_assert(bob != NULL && carol != NULL && erin != NULL);
	if (bob == NULL || carol == NULL || erin == NULL)
		return;
	test_assert(bob->oaep);    /* advertised */
	test_assert(!carol->oaep); /* EC: no OAEP whatever it says */
	test_assert(!erin->oaep);  /* not advertised */
	test_assert_int(bob->caps, SM_CAP_AES256_GCM | SM_CAP_RSA_OAEP);
	caps[0] = bob->caps;
	caps[1] = carol->caps;
	caps[2] = erin->caps;
	test_assert_int(sm_policy_cipher(&c, "auto", caps, 2, NULL),
	                SEALMAIL_OK);
	test_assert_int(c, SM_CIPHER_AES256_GCM);
	test_assert_int(sm_policy_cipher(&c, "auto", caps, 3, NULL),
	                SEALMAIL_OK);
	test_assert_int(c, SM_CIPHER_AES256_CBC);
	test_assert_int(sm_policy_cipher(&c, "aes-128-gcm", caps, 3, NULL),
	                SEALMAIL_OK);
	test_assert_int(c, SM_CIPHER_AES128_GCM);
	test_assert_int(sm_policy_cipher(&c, "rc2", caps, 3, NULL),
	                SEALMAIL_EINVAL);
	sm_policy_clear(&p);

	/* --oaep: every RSA recipient, still no EC one */
	test_assert_int(
	        sm_policy_recipients(&p, store, vis, 3, NULL, 0, true, 0, NULL),
	        SEALMAIL_OK);
	test_assert(find(&p, "erin@example.org")->oaep);
	test_assert(!find(&p, "carol@example.org")->oaep);
	sm_policy_clear(&p);
	sealmail_store_free(store);
}

static const struct test_case tests[] = {
        {"all_problems_at_once", test_all_problems_at_once},
        {"bcc_and_duplicates", test_bcc_and_duplicates},
        {"oaep_and_cipher", test_oaep_and_cipher},
};

TEST_MAIN(tests)
