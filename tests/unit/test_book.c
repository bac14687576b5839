/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for book.c: adding certificates (formats, contacts, duplicates,
 * garbage), lookups, trust and effective trust through CAs, own IDs, the
 * certificate to encrypt to, capabilities, removal and export.
 */
#include "book_int.h"
#include "db.h"

#include "harness.h"

#define PKI SEALMAIL_TEST_DATA "/pki/"

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

/* Read a test PKI file into `buf` (caller frees). */
static void
slurp(sm_buf *buf, const char *name)
{
	char path[256];
	sealmail_error err = {0};

	(void)snprintf(path, sizeof(path), PKI "%s", name);
	sm_buf_init(buf, 1 << 20);
	if (sm_read_file(buf, path, 1 << 20, &err) != SEALMAIL_OK) {
		(void)printf("Bail out! %s: %s\n", path, err.message);
		exit(1);
	}
}

/* Add a PKI file to the book; returns the list (caller frees). */
static sealmail_cert_list *
add(sealmail_store *store, const char *name, const char *contact)
{
	sm_buf buf;
	sealmail_cert_list *l = NULL;
	sealmail_error err = {0};
	int rc;

	slurp(&buf, name);
	rc = sealmail_book_add(&l, store, buf.data, buf.len, contact, &err);
	if (rc != SEALMAIL_OK)
		(void)printf("#   add %s: %s\n", name, err.message);
	test_assert_int(rc, SEALMAIL_OK);
	sm_buf_free(&buf);
	return l;
}

static sm_cert *
load(sealmail_store *store, const char *name)
{
	sm_buf buf;
	sm_crypto *crypto;
	sm_cert *cert = NULL;
	sealmail_error err = {0};

	slurp(&buf, name);
	test_assert_int(sm_store_crypto(&crypto, store, &err), SEALMAIL_OK);
	{
		sm_cert **list = NULL;
		size_t n = 0;
		test_assert_int(sm_cert_list_parse(&list, &n, crypto, buf.data,
		                                   buf.len, &err),
		                SEALMAIL_OK);
		if (n > 0)
			cert = sm_cert_ref(list[0]);
		sm_cert_list_free(list, n);
	}
	sm_buf_free(&buf);
	return cert;
}

static int64_t
count(sealmail_store *store, const char *sql)
{
	sm_stmt *st;
	sealmail_error err = {0};
	int64_t n = -1;

	if (sm_stmt_prepare(&st, store, sql, &err) != SEALMAIL_OK)
		return -1;
	if (sm_stmt_step(st, &err) == SM_STEP_ROW)
		n = sm_stmt_column_int64(st, 0);
	sm_stmt_free(st);
	return n;
}

static const sealmail_cert *
lookup_one(sealmail_cert_list **l, sealmail_store *store, const char *q)
{
	sealmail_error err = {0};
	int rc = sealmail_book_lookup(l, store, q, &err);

	test_assert_int(rc, SEALMAIL_OK);
	if (rc != SEALMAIL_OK) {
		(void)printf("#   lookup %s: %s\n", q, err.message);
		return NULL;
	}
	test_assert_int(sealmail_cert_list_count(*l), 1);
	return sealmail_cert_list_at(*l, 0);
}

static void
test_add_pem(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l = add(store, "bob@example.org.crt", NULL);
	const sealmail_cert *c = sealmail_cert_list_at(l, 0);

	test_assert_int(sealmail_cert_list_count(l), 1);
	test_assert(sealmail_cert_added(c));
	test_assert_str(sealmail_cert_address_at(c, 0), "bob@example.org");
	test_assert_str(sealmail_cert_contact_name(c), "bob");
	test_assert_int(sealmail_cert_trust(c), SEALMAIL_TRUST_UNTRUSTED);
	test_assert_int(sealmail_cert_effective_trust(c),
	                SEALMAIL_EFFECTIVE_NOT_TRUSTED);
	test_assert_str(sealmail_cert_trust_words(c), "not trusted");
	test_assert_str(sealmail_cert_key_desc(c), "RSA 2048");
	test_assert(!sealmail_cert_is_ca(c));
	test_assert_int(strlen(sealmail_cert_fingerprint(c)), 64);
	sealmail_cert_list_free(l);

	/* Again: already present, nothing new. */
	l = add(store, "bob@example.org.crt", NULL);
	test_assert_int(sealmail_cert_list_count(l), 1);
	test_assert(!sealmail_cert_added(sealmail_cert_list_at(l, 0)));
	sealmail_cert_list_free(l);
	test_assert_int(count(store, "SELECT count(*) FROM certificates"), 1);
	test_assert_int(count(store, "SELECT count(*) FROM contacts"), 1);
	sealmail_store_free(store);
}

static void
test_add_formats(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l;
	sealmail_error err = {0};
	sm_cert *carol = load(store, "carol@example.org.crt");
	size_t derlen;
	const unsigned char *der = sm_cert_der(carol, &derlen);

	/* DER */
	test_assert_int(
	        sealmail_book_add(&l, store, der, derlen, "Carol C", &err),
	        SEALMAIL_OK);
	test_assert_int(sealmail_cert_list_count(l), 1);
	test_assert_str(sealmail_cert_contact_name(sealmail_cert_list_at(l, 0)),
	                "Carol C");
	test_assert_str(sealmail_cert_key_desc(sealmail_cert_list_at(l, 0)),
	                "EC P-256");
	sealmail_cert_list_free(l);
	sm_cert_free(carol);

	/* Several PEM certificates in one file: both land, both new. */
	l = add(store, "ca-chain.crt", NULL);
	test_assert_int(sealmail_cert_list_count(l), 2);
	test_assert(sealmail_cert_added(sealmail_cert_list_at(l, 0)));
	test_assert(sealmail_cert_added(sealmail_cert_list_at(l, 1)));
	test_assert(sealmail_cert_is_ca(sealmail_cert_list_at(l, 1)));
	sealmail_cert_list_free(l);
	test_assert_int(count(store, "SELECT count(*) FROM certificates"), 3);
	sealmail_store_free(store);
}

static void
test_garbage(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l = NULL;
	sealmail_error err = {0};
	static const char junk[] = "this is not a certificate\n";

	test_assert_int(sealmail_book_add(&l, store, junk, sizeof(junk) - 1,
	                                  NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert(l == NULL);
	test_assert(err.message[0] != '\0');
	test_assert(strchr(err.message, '\n') == NULL);
	test_assert_int(sealmail_book_add(&l, store, junk, 0, NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert_int(count(store, "SELECT count(*) FROM certificates"), 0);
	test_assert_int(count(store, "SELECT count(*) FROM contacts"), 0);
	sealmail_store_free(store);
}

static void
test_no_email(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l = add(store, "noemail.crt", NULL);
	sealmail_cert_list *l2 = NULL;
	const sealmail_cert *c = sealmail_cert_list_at(l, 0);
	char prefix[9];

	test_assert_int(sealmail_cert_address_count(c), 0);
	test_assert_str(sealmail_cert_contact_name(c), "");
	test_assert_int(count(store, "SELECT count(*) FROM contacts"), 0);
	test_assert_int(count(store, "SELECT count(*) FROM certificates"
	                             " WHERE contact_id IS NULL"),
	                1);
	memcpy(prefix, sealmail_cert_fingerprint(c), 8);
	prefix[8] = '\0';
	c = lookup_one(&l2, store, prefix);
	test_assert(c != NULL);
	sealmail_cert_list_free(l2);
	sealmail_cert_list_free(l);
	sealmail_store_free(store);
}

static void
test_lookup_and_trust(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l = add(store, "bob@example.org.crt", "Bob");
	sealmail_error err = {0};
	const sealmail_cert *c;
	char fp[65], upper[65];

	(void)snprintf(fp, sizeof(fp), "%s",
	               sealmail_cert_fingerprint(sealmail_cert_list_at(l, 0)));
	sealmail_cert_list_free(l);

	/* By address, any case. */
	test_assert_int(sealmail_book_set_trust(store, "Bob@Example.ORG",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	c = lookup_one(&l, store, "bob@example.org");
	if (c != NULL) {
		test_assert_int(sealmail_cert_effective_trust(c),
		                SEALMAIL_EFFECTIVE_TRUSTED_BY_YOU);
		test_assert_str(sealmail_cert_trust_words(c), "trusted by you");
		test_assert_str(sealmail_cert_contact_name(c), "Bob");
	}
	sealmail_cert_list_free(l);

	/* By fingerprint prefix, upper case with colons. */
	test_assert_int(sealmail_book_set_trust(
	                        store, "", SEALMAIL_TRUST_DISTRUSTED, &err),
	                SEALMAIL_EINVAL);
	(void)snprintf(upper, sizeof(upper), "%.2s:%.2s:%.2s", fp, fp + 2,
	               fp + 4);
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	test_assert_int(sealmail_book_set_trust(
	                        store, upper, SEALMAIL_TRUST_DISTRUSTED, &err),
	                SEALMAIL_OK);
	c = lookup_one(&l, store, fp);
	if (c != NULL) {
		test_assert_int(sealmail_cert_trust(c),
		                SEALMAIL_TRUST_DISTRUSTED);
		test_assert_str(sealmail_cert_trust_words(c), "distrusted");
	}
	sealmail_cert_list_free(l);

	/* Misses and bad queries. */
	test_assert_int(
	        sealmail_book_lookup(&l, store, "nobody@example.org", &err),
	        SEALMAIL_ENOTFOUND);
	test_assert_str(err.message,
	                "no certificate for nobody@example.org in the address "
	                "book");
	test_assert_int(sealmail_book_lookup(&l, store, "abc", &err),
	                SEALMAIL_EINVAL);
	test_assert_int(sealmail_book_lookup(&l, store, "xyz1", &err),
	                SEALMAIL_EINVAL);
	/* A prefix of no certificate: the first digit changed. */
	(void)snprintf(upper, sizeof(upper), "%c%.9s", fp[0] == '0' ? '1' : '0',
	               fp + 1);
	test_assert_int(sealmail_book_lookup(&l, store, upper, &err),
	                SEALMAIL_ENOTFOUND);
	test_assert(l == NULL);
	sealmail_store_free(store);
}

static void
test_trust_parse(void)
{
	sealmail_trust t;
	sealmail_error err = {0};

	test_assert_int(sealmail_trust_parse(&t, "distrusted", &err),
	                SEALMAIL_OK);
	test_assert_int(t, SEALMAIL_TRUST_DISTRUSTED);
	test_assert_int(sealmail_trust_parse(&t, "maybe", &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "unknown trust 'maybe': use trusted, "
	                             "untrusted or distrusted");
	test_assert_str(sealmail_trust_name(SEALMAIL_TRUST_UNTRUSTED),
	                "untrusted");
	test_assert_str(
	        sealmail_effective_trust_words(SEALMAIL_EFFECTIVE_NOT_IN_BOOK),
	        "not in your address book");
	test_assert_str(
	        sealmail_effective_trust_words(SEALMAIL_EFFECTIVE_OWN_ID),
	        "your own digital ID");
	test_assert_str(sm_cert_problem_words(SM_CERT_NONE), "no certificate");
	test_assert_str(sm_cert_problem_words(SM_CERT_WRONG_USAGE),
	                "wrong key usage");
}

static void
test_ca(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l = NULL;
	sealmail_error err = {0};
	const sealmail_cert *c;
	sm_buf buf;
	char root_fp[65];

	/* A person's certificate is not a CA: refused, nothing stored. */
	slurp(&buf, "bob@example.org.crt");
	test_assert_int(sealmail_ca_add(&l, store, buf.data, buf.len, &err),
	                SEALMAIL_EBADDATA);
	test_assert(strstr(err.message, "is not a CA certificate") != NULL);
	test_assert(strstr(err.message, "CN=bob") != NULL);
	sm_buf_free(&buf);
	test_assert_int(count(store, "SELECT count(*) FROM cas"), 0);

	/* intermediate + root, untrusted */
	slurp(&buf, "ca-chain.crt");
	test_assert_int(sealmail_ca_add(&l, store, buf.data, buf.len, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_cert_list_count(l), 2);
	sealmail_cert_list_free(l);
	/* again: present */
	test_assert_int(sealmail_ca_add(&l, store, buf.data, buf.len, &err),
	                SEALMAIL_OK);
	test_assert(!sealmail_cert_added(sealmail_cert_list_at(l, 0)));
	sealmail_cert_list_free(l);
	sm_buf_free(&buf);
	test_assert_int(count(store, "SELECT count(*) FROM cas"), 2);

	/* alice (issued by the intermediate): not trusted while no CA is. */
	sealmail_cert_list_free(add(store, "alice@example.org.crt", NULL));
	c = lookup_one(&l, store, "alice@example.org");
	if (c != NULL)
		test_assert_int(sealmail_cert_effective_trust(c),
		                SEALMAIL_EFFECTIVE_NOT_TRUSTED);
	sealmail_cert_list_free(l);

	/* Trust the root: alice is trusted through it. */
	{
		sm_cert *root = load(store, "root-ca.crt");
		(void)snprintf(root_fp, sizeof(root_fp), "%s",
		               sm_cert_fingerprint(root));
		sm_cert_free(root);
	}
	test_assert_int(sealmail_ca_set_trust(store, root_fp,
	                                      SEALMAIL_TRUST_DISTRUSTED, &err),
	                SEALMAIL_EINVAL);
	{
		char other[13];
		(void)snprintf(other, sizeof(other), "%c%.11s",
		               root_fp[0] == '0' ? '1' : '0', root_fp + 1);
		test_assert_int(sealmail_ca_set_trust(store, other,
		                                      SEALMAIL_TRUST_TRUSTED,
		                                      &err),
		                SEALMAIL_ENOTFOUND);
	}
	test_assert_int(sealmail_ca_set_trust(store, root_fp,
	                                      SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	c = lookup_one(&l, store, "alice@example.org");
	if (c != NULL) {
		test_assert_int(sealmail_cert_effective_trust(c),
		                SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA);
		test_assert_str(sealmail_cert_via_ca(c),
		                "sealmail test root CA");
		test_assert_str(sealmail_cert_trust_words(c),
		                "trusted through CA sealmail test root CA");
	}
	sealmail_cert_list_free(l);

	/* The CA list says which is trusted. */
	test_assert_int(sealmail_ca_list(&l, store, &err), SEALMAIL_OK);
	test_assert_int(sealmail_cert_list_count(l), 2);
	for (size_t i = 0; i < sealmail_cert_list_count(l); i++) {
		c = sealmail_cert_list_at(l, i);
		test_assert_int(sealmail_cert_trust(c),
		                strcmp(sealmail_cert_fingerprint(c), root_fp) ==
		                                0
		                        ? SEALMAIL_TRUST_TRUSTED
		                        : SEALMAIL_TRUST_UNTRUSTED);
	}
	sealmail_cert_list_free(l);

	/* Distrusted wins over the CA. */
	test_assert_int(sealmail_book_set_trust(store, "alice@example.org",
	                                        SEALMAIL_TRUST_DISTRUSTED,
	                                        &err),
	                SEALMAIL_OK);
	c = lookup_one(&l, store, "alice@example.org");
	if (c != NULL)
		test_assert_int(sealmail_cert_effective_trust(c),
		                SEALMAIL_EFFECTIVE_DISTRUSTED);
	sealmail_cert_list_free(l);

	/* Untrust the root: back to not trusted. */
	test_assert_int(sealmail_book_set_trust(store, "alice@example.org",
	                                        SEALMAIL_TRUST_UNTRUSTED, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_ca_set_trust(store, root_fp,
	                                      SEALMAIL_TRUST_UNTRUSTED, &err),
	                SEALMAIL_OK);
	c = lookup_one(&l, store, "alice@example.org");
	if (c != NULL)
		test_assert_int(sealmail_cert_effective_trust(c),
		                SEALMAIL_EFFECTIVE_NOT_TRUSTED);
	sealmail_cert_list_free(l);
	sealmail_store_free(store);
}

/* Message certificates as intermediates; own IDs. */
static void
test_effective_trust(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l = NULL;
	sealmail_error err = {0};
	sealmail_effective_trust t;
	sm_cert *alice = load(store, "alice@example.org.crt");
	sm_cert *inter = load(store, "intermediate-ca.crt");
	sm_cert *erin = load(store, "erin@example.org.crt");
	char via[64];
	sm_buf buf;
	sm_stmt *st;

	/* Only the root is known and trusted. */
	slurp(&buf, "root-ca.crt");
	test_assert_int(sealmail_ca_add(&l, store, buf.data, buf.len, &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sealmail_ca_set_trust(
	                store,
	                sealmail_cert_fingerprint(sealmail_cert_list_at(l, 0)),
	                SEALMAIL_TRUST_TRUSTED, &err),
	        SEALMAIL_OK);
	sealmail_cert_list_free(l);
	sm_buf_free(&buf);

	test_assert_int(sm_book_effective_trust(&t, via, sizeof(via), store,
	                                        alice, NULL, 0, &err),
	                SEALMAIL_OK);
	test_assert_int(t, SEALMAIL_EFFECTIVE_NOT_IN_BOOK);
	test_assert_str(via, "");
	test_assert_int(sm_book_effective_trust(&t, via, sizeof(via), store,
	                                        alice, &inter, 1, &err),
	                SEALMAIL_OK);
	test_assert_int(t, SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA);
	test_assert_str(via, "sealmail test root CA");
	/* A short buffer truncates the name. */
	test_assert_int(sm_book_effective_trust(&t, via, 5, store, alice,
	                                        &inter, 1, &err),
	                SEALMAIL_OK);
	test_assert_str(via, "seal");

	/* Own ID: erin's fingerprint in the identities table. */
	test_assert_int(sm_book_effective_trust(&t, NULL, 0, store, erin, NULL,
	                                        0, &err),
	                SEALMAIL_OK);
	test_assert_int(t, SEALMAIL_EFFECTIVE_NOT_IN_BOOK);
	test_assert_int(sm_stmt_prepare(&st, store,
	                                "INSERT INTO identities (fingerprint,"
	                                " cert, key, key_encrypted, subject,"
	                                " not_before, not_after, created)"
	                                " VALUES (?, x'00', x'00', 0, 'x', 0,"
	                                " 0, 0)",
	                                &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sm_stmt_bind_text(st, 1, sm_cert_fingerprint(erin), &err),
	        SEALMAIL_OK);
	test_assert_int(sm_stmt_step(st, &err), SM_STEP_DONE);
	sm_stmt_free(st);
	test_assert_int(sm_book_effective_trust(&t, NULL, 0, store, erin, NULL,
	                                        0, &err),
	                SEALMAIL_OK);
	test_assert_int(t, SEALMAIL_EFFECTIVE_OWN_ID);

	sm_cert_free(alice);
	sm_cert_free(inter);
	sm_cert_free(erin);
	sealmail_store_free(store);
}

static void
expect_enc(sealmail_store *store, const char *addr, sm_cert_problem want)
{
	sm_cert *cert = NULL;
	sm_cert_problem why = SM_CERT_REVOKED;
	sealmail_error err = {0};

	test_assert_int(sm_book_encryption_cert(&cert, NULL, &why, store, addr,
	                                        0, &err),
	                SEALMAIL_OK);
	if (why != want)
		(void)printf("#   %s: %s, expected %s\n", addr,
		             sm_cert_problem_words(why),
		             sm_cert_problem_words(want));
	test_assert_int(why, want);
	test_assert((cert != NULL) == (want == SM_CERT_OK));
	if (cert != NULL)
		test_assert(sm_cert_has_address(cert, addr));
	sm_cert_free(cert);
}

static void
test_encryption_cert(void)
{
	sealmail_store *store = open_store();
	sealmail_error err = {0};
	static const char *const names[] = {
	        "bob@example.org.crt",         "expired@example.org.crt",
	        "notyet@example.org.crt",      "signonly@example.org.crt",
	        "carol@example.org.crt",       "nosmime@example.org.crt",
	        "encryptonly@example.org.crt",
	};

	for (size_t i = 0; i < SM_ARRAY_SIZE(names); i++)
		sealmail_cert_list_free(add(store, names[i], NULL));

	expect_enc(store, "nobody@example.org", SM_CERT_NONE);
	expect_enc(store, "bob@example.org", SM_CERT_NOT_TRUSTED);
	/* An untrusted expired certificate: trusting it would not help. */
	expect_enc(store, "expired@example.org", SM_CERT_EXPIRED);

	test_assert_int(sealmail_book_set_trust(store, "bob@example.org",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	expect_enc(store, "BOB@example.org", SM_CERT_OK);
	test_assert_int(sealmail_book_set_trust(store, "expired@example.org",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	expect_enc(store, "expired@example.org", SM_CERT_EXPIRED);
	test_assert_int(sealmail_book_set_trust(store, "notyet@example.org",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	expect_enc(store, "notyet@example.org", SM_CERT_NOT_YET_VALID);
	test_assert_int(sealmail_book_set_trust(store, "signonly@example.org",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	expect_enc(store, "signonly@example.org", SM_CERT_WRONG_USAGE);
	test_assert_int(sealmail_book_set_trust(store, "nosmime@example.org",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	expect_enc(store, "nosmime@example.org", SM_CERT_WRONG_USAGE);
	test_assert_int(sealmail_book_set_trust(store,
	                                        "encryptonly@example.org",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	expect_enc(store, "encryptonly@example.org", SM_CERT_OK);
	/* EC (key agreement) */
	test_assert_int(sealmail_book_set_trust(store, "carol@example.org",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	expect_enc(store, "carol@example.org", SM_CERT_OK);
	test_assert_int(sealmail_book_set_trust(store, "carol@example.org",
	                                        SEALMAIL_TRUST_DISTRUSTED,
	                                        &err),
	                SEALMAIL_OK);
	expect_enc(store, "carol@example.org", SM_CERT_DISTRUSTED);

	/* At a time given by the caller. */
	{
		sm_cert *cert = NULL;
		sm_cert_problem why;
		test_assert_int(
		        sm_book_encryption_cert(&cert, NULL, &why, store,
		                                "expired@example.org",
		                                1593561600, /* 2020-07 */
		                                &err),
		        SEALMAIL_OK);
		test_assert_int(why, SM_CERT_OK);
		sm_cert_free(cert);
	}
	sealmail_store_free(store);
}

static void
test_capabilities(void)
{
	sealmail_store *store = open_store();
	sealmail_error err = {0};
	sm_cert *dave = load(store, "dave@example.org.crt");
	static const unsigned char caps[] = {0x30, 0x03, 0x06, 0x01, 0x00};
	unsigned char *der = NULL;
	size_t len = 0;
	bool added = false;

	test_assert_int(sm_book_capabilities(&der, &len, store,
	                                     sm_cert_fingerprint(dave), &err),
	                SEALMAIL_ENOTFOUND);
	test_assert_int(
	        sm_book_add_cert(&added, store, dave, "Dave", NULL, 0, &err),
	        SEALMAIL_OK);
	test_assert(added);
	test_assert_int(sm_book_capabilities(&der, &len, store,
	                                     sm_cert_fingerprint(dave), &err),
	                SEALMAIL_ENOTFOUND);
	test_assert_int(sm_book_add_cert(&added, store, dave, NULL, caps,
	                                 sizeof(caps), &err),
	                SEALMAIL_OK);
	test_assert(!added);
	test_assert_int(sm_book_capabilities(&der, &len, store,
	                                     sm_cert_fingerprint(dave), &err),
	                SEALMAIL_OK);
	test_assert_int(len, sizeof(caps));
	test_assert(der != NULL && memcmp(der, caps, sizeof(caps)) == 0);
	sm_free(der);
	test_assert_int(count(store, "SELECT count(*) FROM certificates"), 1);
	test_assert_int(count(store, "SELECT count(*) FROM contacts"
	                             " WHERE name = 'Dave'"),
	                1);
	sm_cert_free(dave);
	sealmail_store_free(store);
}

static int
collect(const void *buf, size_t len, void *payload)
{
	sealmail_error err = {0};
	return sm_buf_append(payload, buf, len, &err);
}

static void
test_remove_export(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l;
	sealmail_error err = {0};
	sealmail_output *out = NULL;
	sm_buf pem, orig;

	sealmail_cert_list_free(add(store, "bob@example.org.crt", NULL));
	sealmail_cert_list_free(add(store, "carol@example.org.crt", NULL));

	sm_buf_init(&pem, 1 << 20);
	test_assert_int(sealmail_output_new_callback(&out, collect, &pem, &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sealmail_book_export(out, store, "bob@example.org", &err),
	        SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	slurp(&orig, "bob@example.org.crt");
	test_assert(pem.len > 0 &&
	            strncmp((char *)pem.data, "-----BEGIN CERTIFICATE-----",
	                    27) == 0);
	/* Same certificate: adding the export finds it present. */
	test_assert_int(
	        sealmail_book_add(&l, store, pem.data, pem.len, NULL, &err),
	        SEALMAIL_OK);
	test_assert(!sealmail_cert_added(sealmail_cert_list_at(l, 0)));
	sealmail_cert_list_free(l);
	sm_buf_free(&pem);
	sm_buf_free(&orig);

	test_assert_int(sealmail_book_remove(store, "bob@example.org", &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sealmail_book_lookup(&l, store, "bob@example.org", &err),
	        SEALMAIL_ENOTFOUND);
	test_assert_int(sealmail_book_remove(store, "bob@example.org", &err),
	                SEALMAIL_ENOTFOUND);
	test_assert_int(count(store, "SELECT count(*) FROM contacts"), 1);
	test_assert_int(count(store, "SELECT count(*) FROM contact_addresses"),
	                1);
	test_assert_int(sealmail_book_list(&l, store, &err), SEALMAIL_OK);
	test_assert_int(sealmail_cert_list_count(l), 1);
	test_assert_str(
	        sealmail_cert_address_at(sealmail_cert_list_at(l, 0), 0),
	        "carol@example.org");
	sealmail_cert_list_free(l);
	sealmail_store_free(store);
}

/* Two certificates for one address: lookups, ambiguity, the best one. */
static void
test_several_per_address(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l = NULL;
	sealmail_error err = {0};
	/* SMIMECapabilities: aes256-GCM (2.16.840.1.101.3.4.1.46) only */
	static const unsigned char gcm_caps[] = {0x30, 0x0d, 0x30, 0x0b, 0x06,
	                                         0x09, 0x60, 0x86, 0x48, 0x01,
	                                         0x65, 0x03, 0x04, 0x01, 0x2e};
	sm_cert *second = NULL, *got = NULL;
	sm_cert_problem why;
	unsigned int caps = 99;
	bool added = true;
	sm_buf buf;

	sealmail_cert_list_free(add(store, "bob@example.org.crt", NULL));
	sm_buf_init(&buf, 1 << 20);
	test_assert_int(sm_read_file(&buf,
	                             SEALMAIL_TEST_DATA "/book/bob-second.crt",
	                             1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sealmail_book_add(&l, store, buf.data, buf.len, NULL, &err),
	        SEALMAIL_OK);
	test_assert(sealmail_cert_added(sealmail_cert_list_at(l, 0)));
	/* Filed under bob's existing contact. */
	test_assert_str(sealmail_cert_contact_name(sealmail_cert_list_at(l, 0)),
	                "bob");
	sealmail_cert_list_free(l);
	test_assert_int(count(store, "SELECT count(*) FROM contacts"), 1);
	{
		sm_crypto *crypto;
		sm_cert **list = NULL;
		size_t n = 0;
		test_assert_int(sm_store_crypto(&crypto, store, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_cert_list_parse(&list, &n, crypto, buf.data,
		                                   buf.len, &err),
		                SEALMAIL_OK);
		if (n == 1)
			second = sm_cert_ref(list[0]);
		sm_cert_list_free(list, n);
	}
	sm_buf_free(&buf);

	test_assert_int(
	        sealmail_book_lookup(&l, store, "bob@example.org", &err),
	        SEALMAIL_OK);
	test_assert_int(sealmail_cert_list_count(l), 2);
	sealmail_cert_list_free(l);
	test_assert_int(sealmail_book_set_trust(store, "bob@example.org",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_EAMBIGUOUS);
	test_assert(strstr(err.message, "bob@example.org has 2 certificates,"
	                                " name one by fingerprint: ") != NULL);
	test_assert(second != NULL &&
	            strstr(err.message, sm_cert_fingerprint(second)) != NULL);
	test_assert_int(sealmail_book_remove(store, "bob@example.org", &err),
	                SEALMAIL_EAMBIGUOUS);
	test_assert_int(count(store, "SELECT count(*) FROM certificates"), 2);

	/* Only the first trusted: that one. */
	test_assert_int(count(store, "SELECT count(*) FROM certificates"
	                             " WHERE trust = 'untrusted'"),
	                2);
	expect_enc(store, "bob@example.org", SM_CERT_NOT_TRUSTED);
	if (second == NULL)
		goto out;
	test_assert_int(sealmail_book_set_trust(store,
	                                        sm_cert_fingerprint(second),
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_book_encryption_cert(&got, NULL, &why, store,
	                                        "bob@example.org", 0, &err),
	                SEALMAIL_OK);
	test_assert(got != NULL && strcmp(sm_cert_fingerprint(got),
	                                  sm_cert_fingerprint(second)) == 0);
	sm_cert_free(got);
	got = NULL;
	/* Both trusted: the one valid longest (the second, to 2056). */
	test_assert_int(sm_db_exec(store,
	                           "UPDATE certificates SET trust = 'trusted'",
	                           &err),
	                SEALMAIL_OK);
	test_assert_int(sm_book_encryption_cert(&got, NULL, &why, store,
	                                        "bob@example.org", 0, &err),
	                SEALMAIL_OK);
	test_assert(got != NULL && strcmp(sm_cert_fingerprint(got),
	                                  sm_cert_fingerprint(second)) == 0);
	sm_cert_free(got);
	/* The capabilities recorded for the one chosen come with it. */
	test_assert_int(sm_book_add_cert(&added, store, second, NULL, gcm_caps,
	                                 sizeof(gcm_caps), &err),
	                SEALMAIL_OK);
	test_assert(!added);
	test_assert_int(sm_book_encryption_cert(&got, &caps, &why, store,
	                                        "bob@example.org", 0, &err),
	                SEALMAIL_OK);
	test_assert(got != NULL && strcmp(sm_cert_fingerprint(got),
	                                  sm_cert_fingerprint(second)) == 0);
	test_assert_int(caps, SM_CAP_AES256_GCM);
	sm_cert_free(got);
	/* The second distrusted: the first is used, with no capabilities. */
	test_assert_int(
	        sealmail_book_set_trust(store, sm_cert_fingerprint(second),
	                                SEALMAIL_TRUST_DISTRUSTED, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_book_encryption_cert(&got, &caps, &why, store,
	                                        "bob@example.org", 0, &err),
	                SEALMAIL_OK);
	test_assert(got != NULL && strcmp(sm_cert_fingerprint(got),
	                                  sm_cert_fingerprint(second)) != 0);
	test_assert_int(caps, 0);
	sm_cert_free(got);
	/* Remove by fingerprint: the contact stays for the other one. */
	test_assert_int(
	        sealmail_book_remove(store, sm_cert_fingerprint(second), &err),
	        SEALMAIL_OK);
	test_assert_int(count(store, "SELECT count(*) FROM contacts"), 1);
	test_assert_int(count(store, "SELECT count(*) FROM certificates"), 1);
out:
	sm_cert_free(second);
	sealmail_store_free(store);
}

/* Fingerprint prefixes shared by several rows (made up in the tables). */
static void
test_ambiguous_prefix(void)
{
	sealmail_store *store = open_store();
	sealmail_cert_list *l = NULL;
	sealmail_error err = {0};

	test_assert_int(
	        sm_db_exec(
	                store,
	                "INSERT INTO certificates (fingerprint, der, subject,"
	                " issuer, serial, not_before, not_after, added)"
	                " VALUES ('abcd1111', x'00', 's', 'i', '1', 0, 0, 0),"
	                " ('abcd2222', x'00', 's', 'i', '2', 0, 0, 0);"
	                "INSERT INTO cas (fingerprint, der, subject, added)"
	                " VALUES ('abcd1111', x'00', 's', 0),"
	                " ('abcd2222', x'00', 's', 0);",
	                &err),
	        SEALMAIL_OK);
	test_assert_int(sealmail_book_lookup(&l, store, "ABCD", &err),
	                SEALMAIL_EAMBIGUOUS);
	test_assert_str(err.message, "fingerprint prefix abcd matches 2 "
	                             "certificates: abcd1111, abcd2222");
	test_assert_int(sealmail_book_set_trust(store, "abcd",
	                                        SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_EAMBIGUOUS);
	test_assert_int(sealmail_ca_set_trust(store, "ab:cd",
	                                      SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_EAMBIGUOUS);
	test_assert_str(err.message, "fingerprint prefix abcd matches 2 CA "
	                             "certificates: abcd1111, abcd2222");
	test_assert_int(count(store, "SELECT count(*) FROM cas"
	                             " WHERE trust = 'trusted'"),
	                0);
	test_assert_int(sealmail_ca_set_trust(store, "abcd2",
	                                      SEALMAIL_TRUST_TRUSTED, &err),
	                SEALMAIL_OK);
	test_assert_int(count(store, "SELECT count(*) FROM cas"
	                             " WHERE trust = 'trusted'"
	                             " AND fingerprint = 'abcd2222'"),
	                1);
	/* A stored CA that does not parse is reported, not ignored. */
	test_assert_int(sealmail_book_list(&l, store, &err) < 0, 1);
	test_assert(l == NULL);
	sealmail_store_free(store);
}

static const struct test_case tests[] = {
        {"add_pem", test_add_pem},
        {"add_formats", test_add_formats},
        {"garbage", test_garbage},
        {"no_email", test_no_email},
        {"lookup_and_trust", test_lookup_and_trust},
        {"trust_parse", test_trust_parse},
        {"ca", test_ca},
        {"effective_trust", test_effective_trust},
        {"encryption_cert", test_encryption_cert},
        {"capabilities", test_capabilities},
        {"remove_export", test_remove_export},
        {"several_per_address", test_several_per_address},
        {"ambiguous_prefix", test_ambiguous_prefix},
};

TEST_MAIN(tests)
