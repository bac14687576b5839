/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of src/lib/crypto/cert.c: parsing DER, PEM and PKCS#7 bundles,
 * every accessor (compared with what the openssl command line says about
 * the same file), usage bits, bad input, and chain verification.
 */
#include "crypto/crypto.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "harness.h"

#define PKI SEALMAIL_TEST_DATA "/pki/"
#define CDATA SEALMAIL_TEST_DATA "/crypto/"

static sm_crypto *crypto;

static void
setup(void)
{
	if (crypto == NULL && sm_crypto_new(&crypto, NULL) != SEALMAIL_OK) {
		(void)printf("Bail out! sm_crypto_new\n");
		exit(1);
	}
}

static void
slurp(sm_buf *b, const char *path)
{
	sm_buf_init(b, 1 << 20);
	if (sm_read_file(b, path, 1 << 20, NULL) != SEALMAIL_OK) {
		(void)printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
}

/* First line of a shell command's output, without its newline. */
static void
sh_line(char *out, size_t size, const char *cmd)
{
	FILE *f = popen(cmd, "r");

	out[0] = '\0';
	if (f == NULL || fgets(out, (int)size, f) == NULL) {
		(void)printf("Bail out! %s\n", cmd);
		exit(1);
	}
	out[strcspn(out, "\n")] = '\0';
	(void)pclose(f);
}

static sm_cert *
load(const char *path)
{
	sm_buf b;
	sm_cert **list = NULL;
	size_t n = 0;
	sm_cert *c;

	setup();
	slurp(&b, path);
	if (sm_cert_list_parse(&list, &n, crypto, b.data, b.len, NULL) !=
	            SEALMAIL_OK ||
	    n < 1) {
		(void)printf("Bail out! cannot parse %s\n", path);
		exit(1);
	}
	c = sm_cert_ref(list[0]);
	sm_cert_list_free(list, n);
	sm_buf_free(&b);
	return c;
}

static void
test_der_fields(void)
{
	sm_buf b;
	sm_cert *c = NULL;
	sealmail_error err;
	char want[256];
	const unsigned char *der;
	size_t len;

	setup();
	slurp(&b, CDATA "alice.der");
	test_assert_int(sm_cert_from_der(&c, crypto, b.data, b.len, &err),
	                SEALMAIL_OK);
	test_assert(c != NULL);
	if (c == NULL)
		return;
	der = sm_cert_der(c, &len);
	test_assert(len == b.len && memcmp(der, b.data, len) == 0);

	sh_line(want, sizeof(want),
	        "openssl x509 -inform DER -in " CDATA "alice.der -noout "
	        "-fingerprint -sha256 | sed 's/.*=//; s/://g' | "
	        "tr A-F a-f");
	test_assert_str(sm_cert_fingerprint(c), want);
	test_assert_int(strlen(sm_cert_fingerprint(c)), 64);
	sh_line(want, sizeof(want),
	        "openssl x509 -inform DER -in " CDATA "alice.der -noout "
	        "-serial | sed 's/.*=//' | tr A-F a-f");
	test_assert_str(sm_cert_serial(c), want);
	sh_line(want, sizeof(want),
	        "date -u -d \"$(openssl x509 -inform DER -in " CDATA
	        "alice.der -noout -startdate | sed 's/.*=//')\" +%s");
	test_assert_int(sm_cert_not_before(c), strtoll(want, NULL, 10));
	sh_line(want, sizeof(want),
	        "date -u -d \"$(openssl x509 -inform DER -in " CDATA
	        "alice.der -noout -enddate | sed 's/.*=//')\" +%s");
	test_assert_int(sm_cert_not_after(c), strtoll(want, NULL, 10));

	test_assert_str(sm_cert_subject(c), "CN=alice,O=sealmail test");
	test_assert_str(sm_cert_issuer(c),
	                "CN=sealmail test intermediate CA,O=sealmail test");
	test_assert_str(sm_cert_common_name(c), "alice");
	test_assert_str(sm_cert_key_desc(c), "RSA 2048");
	test_assert_int(sm_cert_address_count(c), 1);
	test_assert_str(sm_cert_address_at(c, 0), "alice@example.org");
	test_assert(sm_cert_address_at(c, 1) == NULL);
	test_assert(sm_cert_has_address(c, "alice@example.org"));
	test_assert(sm_cert_has_address(c, "Alice@Example.ORG"));
	test_assert(!sm_cert_has_address(c, "alice@example.or"));
	test_assert(!sm_cert_has_address(c, "alice@example.orgx"));
	test_assert(!sm_cert_has_address(c, NULL));
	test_assert_int(sm_cert_usage(c),
	                SM_USAGE_SIGN | SM_USAGE_ENCRYPT | SM_USAGE_EMAIL);
	test_assert(!sm_cert_is_self_signed(c));

	/* a second reference outlives the first */
	sm_cert *r = sm_cert_ref(c);
	test_assert(r == c);
	sm_cert_free(c);
	test_assert_str(sm_cert_common_name(r), "alice");
	sm_cert_free(r);
	sm_cert_free(NULL);
	test_assert(sm_cert_ref(NULL) == NULL);
	sm_buf_free(&b);
}

static void
test_der_bad(void)
{
	sm_buf b;
	sm_cert *c = (sm_cert *)&c;
	sealmail_error err;
	unsigned char *longer;

	setup();
	slurp(&b, CDATA "alice-truncated.der");
	test_assert_int(sm_cert_from_der(&c, crypto, b.data, b.len, &err),
	                SEALMAIL_EBADDATA);
	test_assert(c == NULL);
	test_assert(strstr(err.message, "not a DER certificate") != NULL);
	sm_buf_free(&b);

	slurp(&b, CDATA "garbage.bin");
	test_assert_int(sm_cert_from_der(&c, crypto, b.data, b.len, &err),
	                SEALMAIL_EBADDATA);
	test_assert_int(sm_cert_from_der(&c, crypto, b.data, 0, &err),
	                SEALMAIL_EBADDATA);
	sm_buf_free(&b);

	/* trailing bytes after a valid certificate */
	slurp(&b, CDATA "alice.der");
	longer = malloc(b.len + 3);
	memcpy(longer, b.data, b.len);
	memcpy(longer + b.len, "xyz", 3);
	test_assert_int(sm_cert_from_der(&c, crypto, longer, b.len + 3, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "DER certificate has trailing data");
	free(longer);
	sm_buf_free(&b);
}

/*
 * The same DER parsed again is the same certificate object; other bytes
 * (one signature byte changed) are not; the cache keeps at most
 * SM_CERT_CACHE_SIZE certificates.
 */
static void
test_der_cache(void)
{
	sm_buf b;
	sm_cert *a = NULL, *again = NULL, *other = NULL, *later = NULL;
	sealmail_error err;
	unsigned char *copy;

	setup();
	slurp(&b, CDATA "alice.der");
	test_assert_int(sm_cert_from_der(&a, crypto, b.data, b.len, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cert_from_der(&again, crypto, b.data, b.len, &err),
	                SEALMAIL_OK);
	test_assert(a != NULL && again == a);

	copy = malloc(b.len);
	memcpy(copy, b.data, b.len);
	copy[b.len - 1] ^= 0x01; /* in the signature: still parses */
	test_assert_int(sm_cert_from_der(&other, crypto, copy, b.len, &err),
	                SEALMAIL_OK);
	test_assert(other != NULL && other != a);
	if (other != NULL && a != NULL)
		test_assert(strcmp(sm_cert_fingerprint(other),
		                   sm_cert_fingerprint(a)) != 0);
	sm_cert_free(other);

	/* that many more distinct certificates push alice's out */
	for (size_t i = 2; i < 2 + SM_CERT_CACHE_SIZE; i++) {
		memcpy(copy, b.data, b.len);
		copy[b.len - i] ^= 0x01;
		other = NULL;
		test_assert_int(
		        sm_cert_from_der(&other, crypto, copy, b.len, &err),
		        SEALMAIL_OK);
		sm_cert_free(other);
	}
	test_assert_int(sm_cert_from_der(&later, crypto, b.data, b.len, &err),
	                SEALMAIL_OK);
	test_assert(later != NULL && later != a);
	if (later != NULL && a != NULL)
		test_assert_str(sm_cert_fingerprint(later),
		                sm_cert_fingerprint(a));
	sm_cert_free(later);
	sm_cert_free(again);
	sm_cert_free(a);
	free(copy);
	sm_buf_free(&b);
}

static size_t
parse_count(const char *path, int want_rc, const char *want_msg)
{
	sm_buf b;
	sm_cert **list = NULL;
	size_t n = 99;
	sealmail_error err;
	int rc;

	setup();
	slurp(&b, path);
	rc = sm_cert_list_parse(&list, &n, crypto, b.data, b.len, &err);
	test_assert_int(rc, want_rc);
	if (rc != SEALMAIL_OK) {
		test_assert(list == NULL && n == 0);
		if (want_msg != NULL && strstr(err.message, want_msg) == NULL) {
			(void)printf("#   %s: message \"%s\"\n", path,
			             err.message);
			test_assert(0);
		}
	}
	sm_cert_list_free(list, n);
	sm_buf_free(&b);
	return n;
}

static void
test_list_forms(void)
{
	test_assert_int(parse_count(CDATA "alice.der", SEALMAIL_OK, NULL), 1);
	test_assert_int(parse_count(PKI "ca-chain.crt", SEALMAIL_OK, NULL), 2);
	test_assert_int(
	        parse_count(CDATA "key-and-certs.pem", SEALMAIL_OK, NULL), 2);
	test_assert_int(parse_count(CDATA "chain.p7b", SEALMAIL_OK, NULL), 3);
	test_assert_int(parse_count(CDATA "chain-pem.p7b", SEALMAIL_OK, NULL),
	                3);
}

static void
test_list_order_and_p7b_content(void)
{
	sm_buf b;
	sm_cert **list = NULL;
	size_t n = 0;

	setup();
	slurp(&b, CDATA "key-and-certs.pem");
	test_assert_int(
	        sm_cert_list_parse(&list, &n, crypto, b.data, b.len, NULL),
	        SEALMAIL_OK);
	test_assert_int(n, 2);
	if (n == 2) {
		test_assert_str(sm_cert_common_name(list[0]), "bob");
		test_assert_str(sm_cert_common_name(list[1]),
		                "sealmail test root CA");
	}
	sm_cert_list_free(list, n);
	sm_buf_free(&b);

	slurp(&b, CDATA "chain.p7b");
	test_assert_int(
	        sm_cert_list_parse(&list, &n, crypto, b.data, b.len, NULL),
	        SEALMAIL_OK);
	bool alice = false, root = false;
	for (size_t i = 0; i < n; i++) {
		alice |= sm_cert_has_address(list[i], "alice@example.org");
		root |= strcmp(sm_cert_common_name(list[i]),
		               "sealmail test root CA") == 0;
	}
	test_assert(alice && root);
	sm_cert_list_free(list, n);
	sm_buf_free(&b);
}

static void
test_list_bad(void)
{
	sm_cert **list = (sm_cert **)&list;
	size_t n = 5;
	sealmail_error err;

	parse_count(CDATA "key-only.pem", SEALMAIL_EBADDATA,
	            "no certificate found");
	parse_count(CDATA "bad-base64.pem", SEALMAIL_EBADDATA,
	            "malformed PEM block");
	parse_count(CDATA "garbage.bin", SEALMAIL_EBADDATA,
	            "not a certificate, PEM text or PKCS#7 bundle");
	parse_count(CDATA "alice-truncated.der", SEALMAIL_EBADDATA,
	            "not a certificate, PEM text or PKCS#7 bundle");
	test_assert_int(sm_cert_list_parse(&list, &n, crypto,
	                                   (const unsigned char *)"", 0, &err),
	                SEALMAIL_EBADDATA);
	test_assert(list == NULL && n == 0);

	/* a truncated PKCS#7 bundle */
	sm_buf b;
	slurp(&b, CDATA "chain.p7b");
	test_assert_int(sm_cert_list_parse(&list, &n, crypto, b.data,
	                                   b.len - 100, &err),
	                SEALMAIL_EBADDATA);
	test_assert(list == NULL && n == 0);
	sm_buf_free(&b);

	/* PEM "PKCS7" block whose content is not PKCS#7 */
	const char *fake = "-----BEGIN PKCS7-----\nMAMCAQE=\n"
	                   "-----END PKCS7-----\n";
	test_assert_int(sm_cert_list_parse(&list, &n, crypto,
	                                   (const unsigned char *)fake,
	                                   strlen(fake), &err),
	                SEALMAIL_EBADDATA);
	test_assert(strstr(err.message, "malformed PKCS#7 bundle") != NULL);
}

static void
test_list_limit(void)
{
	sm_buf one, many;
	sm_cert **list = NULL;
	size_t n = 0;
	sealmail_error err;

	setup();
	slurp(&one, PKI "bob@example.org.crt");
	sm_buf_init(&many, 8 << 20);
	for (int i = 0; i < 1000; i++)
		(void)sm_buf_append(&many, one.data, one.len, NULL);
	test_assert_int(sm_cert_list_parse(&list, &n, crypto, many.data,
	                                   many.len, &err),
	                SEALMAIL_OK);
	test_assert_int(n, 1000);
	sm_cert_list_free(list, n);
	(void)sm_buf_append(&many, one.data, one.len, NULL);
	test_assert_int(sm_cert_list_parse(&list, &n, crypto, many.data,
	                                   many.len, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "more than 1000 certificates in one file");
	test_assert(list == NULL && n == 0);
	sm_buf_free(&one);
	sm_buf_free(&many);
}

static void
test_key_desc_and_usage(void)
{
	sm_cert *c;

	c = load(PKI "carol@example.org.crt");
	test_assert_str(sm_cert_key_desc(c), "EC P-256");
	test_assert_int(sm_cert_usage(c),
	                SM_USAGE_SIGN | SM_USAGE_ENCRYPT | SM_USAGE_EMAIL);
	test_assert_str(sm_cert_subject(c), "CN=carol,O=sealmail test");
	sm_cert_free(c);
	c = load(PKI "dave@example.org.crt");
	test_assert_str(sm_cert_key_desc(c), "EC P-384");
	sm_cert_free(c);
	c = load(PKI "encryptonly@example.org.crt");
	test_assert_int(sm_cert_usage(c), SM_USAGE_ENCRYPT | SM_USAGE_EMAIL);
	sm_cert_free(c);
	c = load(PKI "signonly@example.org.crt");
	test_assert_int(sm_cert_usage(c), SM_USAGE_SIGN | SM_USAGE_EMAIL);
	sm_cert_free(c);
	c = load(PKI "nosmime@example.org.crt");
	test_assert_int(sm_cert_usage(c) & SM_USAGE_EMAIL, 0);
	sm_cert_free(c);
	/* CA: keyCertSign+cRLSign only, no EKU */
	c = load(PKI "root-ca.crt");
	test_assert_int(sm_cert_usage(c), SM_USAGE_CA | SM_USAGE_EMAIL);
	test_assert(sm_cert_is_self_signed(c));
	test_assert_str(sm_cert_subject(c), sm_cert_issuer(c));
	sm_cert_free(c);
	c = load(PKI "erin@example.org.crt");
	test_assert(sm_cert_is_self_signed(c));
	test_assert_int(sm_cert_usage(c) & SM_USAGE_CA, 0);
	sm_cert_free(c);
}

static void
test_addresses(void)
{
	sm_cert *c;

	c = load(PKI "noemail.crt");
	test_assert_int(sm_cert_address_count(c), 0);
	test_assert(sm_cert_address_at(c, 0) == NULL);
	test_assert(!sm_cert_has_address(c, "noemail"));
	test_assert_str(sm_cert_common_name(c), "noemail");
	sm_cert_free(c);

	/* no subjectAltName: the subject's emailAddress, lower-cased */
	c = load(CDATA "subject-email.crt");
	test_assert_int(sm_cert_address_count(c), 1);
	test_assert_str(sm_cert_address_at(c, 0), "mixed.case@example.org");
	test_assert(sm_cert_has_address(c, "Mixed.Case@Example.ORG"));
	test_assert_str(sm_cert_common_name(c), "J\xc3\xb6rg Subject");
	test_assert_str(sm_cert_subject(c),
	                "emailAddress=Mixed.Case@Example.ORG,"
	                "CN=J\xc3\xb6rg Subject");
	test_assert_int(sm_cert_usage(c),
	                SM_USAGE_SIGN | SM_USAGE_ENCRYPT | SM_USAGE_EMAIL);
	sm_cert_free(c);
}

static void
test_pem_roundtrip(void)
{
	sm_cert *c = load(PKI "dave@example.org.crt"), *d = NULL;
	sm_buf pem, orig;
	sm_cert **list = NULL;
	size_t n = 0;

	sm_buf_init(&pem, 1 << 20);
	test_assert_int(sm_cert_pem(c, &pem, NULL), SEALMAIL_OK);
	slurp(&orig, PKI "dave@example.org.crt");
	test_assert(pem.len == orig.len &&
	            memcmp(pem.data, orig.data, pem.len) == 0);
	test_assert_int(
	        sm_cert_list_parse(&list, &n, crypto, pem.data, pem.len, NULL),
	        SEALMAIL_OK);
	test_assert_int(n, 1);
	if (n == 1) {
		d = list[0];
		test_assert_str(sm_cert_fingerprint(d), sm_cert_fingerprint(c));
	}
	sm_cert_list_free(list, n);
	sm_buf_free(&pem);
	sm_buf_free(&orig);
	sm_cert_free(c);
}

static void
test_chain(void)
{
	sm_cert *alice = load(PKI "alice@example.org.crt");
	sm_cert *bob = load(PKI "bob@example.org.crt");
	sm_cert *erin = load(PKI "erin@example.org.crt");
	sm_cert *expired = load(PKI "expired@example.org.crt");
	sm_cert *notyet = load(PKI "notyet@example.org.crt");
	sm_cert *nosmime = load(PKI "nosmime@example.org.crt");
	sm_cert *root = load(PKI "root-ca.crt");
	sm_cert *inter = load(PKI "intermediate-ca.crt");
	sm_cert *anchors[2] = {erin, root};
	const sm_cert *anchor = NULL;
	sealmail_error err;

	test_assert_int(sm_cert_chain_verify(alice, &inter, 1, anchors, 2, 0,
	                                     &anchor, &err),
	                SEALMAIL_OK);
	test_assert(anchor == root);
	test_assert_int(
	        sm_cert_chain_verify(bob, NULL, 0, &root, 1, 0, &anchor, &err),
	        SEALMAIL_OK);
	test_assert(anchor == root);
	/* a trusted intermediate is an anchor by itself */
	test_assert_int(sm_cert_chain_verify(alice, NULL, 0, &inter, 1, 0,
	                                     &anchor, &err),
	                SEALMAIL_OK);
	test_assert(anchor == inter);
	/* the intermediate missing */
	anchor = (const sm_cert *)root;
	test_assert_int(sm_cert_chain_verify(alice, NULL, 0, &root, 1, 0,
	                                     &anchor, &err),
	                SEALMAIL_ENOTFOUND);
	test_assert(anchor == NULL);
	test_assert_str(err.message, "certificate of CN=alice,O=sealmail test "
	                             "does not chain: no trusted CA issued it");
	/* no anchors at all */
	test_assert_int(
	        sm_cert_chain_verify(bob, NULL, 0, NULL, 0, 0, NULL, &err),
	        SEALMAIL_ENOTFOUND);
	test_assert(strstr(err.message, "no trusted CA issued it") != NULL);
	/* self-signed, not an anchor; then as its own anchor */
	test_assert_int(
	        sm_cert_chain_verify(erin, NULL, 0, &root, 1, 0, NULL, &err),
	        SEALMAIL_ENOTFOUND);
	test_assert(strstr(err.message, "no trusted CA issued it") != NULL);
	test_assert_int(sm_cert_chain_verify(erin, NULL, 0, anchors, 2, 0,
	                                     &anchor, &err),
	                SEALMAIL_OK);
	test_assert(anchor == erin);
	/* validity, now and at a chosen time (2020-07-01) */
	test_assert_int(
	        sm_cert_chain_verify(expired, NULL, 0, &root, 1, 0, NULL, &err),
	        SEALMAIL_ENOTFOUND);
	test_assert(strstr(err.message, ": certificate has expired") != NULL);
	test_assert_int(
	        sm_cert_chain_verify(notyet, NULL, 0, &root, 1, 0, NULL, &err),
	        SEALMAIL_ENOTFOUND);
	test_assert(strstr(err.message, ": certificate is not yet valid") !=
	            NULL);
	/* the root itself is only valid from its generation date: use
	 * notyet's window, inside the root's twenty years */
	test_assert_int(sm_cert_chain_verify(notyet, NULL, 0, &root, 1,
	                                     sm_cert_not_before(notyet) + 86400,
	                                     NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cert_chain_verify(bob, NULL, 0, &root, 1, 1593561600,
	                                     NULL, &err),
	                SEALMAIL_ENOTFOUND);
	test_assert(strstr(err.message, "not yet valid") != NULL);
	/* purpose */
	test_assert_int(
	        sm_cert_chain_verify(nosmime, NULL, 0, &root, 1, 0, NULL, &err),
	        SEALMAIL_ENOTFOUND);
	test_assert(strstr(err.message, "certificate is not for S/MIME use") !=
	            NULL);

	sm_cert_free(alice);
	sm_cert_free(bob);
	sm_cert_free(erin);
	sm_cert_free(expired);
	sm_cert_free(notyet);
	sm_cert_free(nosmime);
	sm_cert_free(root);
	sm_cert_free(inter);
}

/*
 * Names are shown as one RFC 2253 line with control characters kept (the
 * printer escapes them: \x1b, like every report field), UTF-8 kept, RFC
 * 2253 specials escaped, and a NUL written as "\x00" so that nothing after
 * it is hidden (in the common name too).
 */
static void
test_name_escaping(void)
{
	static const unsigned char cn[] = "a\0b\033[0m\xc3\xbc,+";
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	sm_cert **list = NULL;
	size_t n = 0;
	int len;

	setup();
	test_assert(pkey != NULL && x != NULL && name != NULL);
	test_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn,
	                                       (int)sizeof(cn) - 1, -1, 0));
	test_assert(X509_set_subject_name(x, name) &&
	            X509_set_issuer_name(x, name) && X509_set_pubkey(x, pkey) &&
	            X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	            X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL &&
	            X509_sign(x, pkey, EVP_sha256()) > 0);
	len = i2d_X509(x, &der);
	test_assert(len > 0);
	test_assert_int(
	        sm_cert_list_parse(&list, &n, crypto, der, (size_t)len, NULL),
	        SEALMAIL_OK);
	test_assert_int(n, 1);
	if (n == 1) {
		test_assert_str(sm_cert_subject(list[0]),
		                "CN=a\\x00b\033[0m\xc3\xbc\\,\\+");
		test_assert_str(sm_cert_issuer(list[0]),
		                sm_cert_subject(list[0]));
		/* the common name as it is, but its NUL visible too */
		test_assert_str(sm_cert_common_name(list[0]),
		                "a\\x00b\033[0m\xc3\xbc,+");
	}
	sm_cert_list_free(list, n);
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static void
test_teardown(void)
{
	sm_crypto_free(crypto);
	crypto = NULL;
	sm_crypto_free(NULL);
}

static const struct test_case tests[] = {
        {"der_fields", test_der_fields},
        {"der_bad", test_der_bad},
        {"der_cache", test_der_cache},
        {"list_forms", test_list_forms},
        {"list_order_and_p7b_content", test_list_order_and_p7b_content},
        {"list_bad", test_list_bad},
        {"list_limit", test_list_limit},
        {"key_desc_and_usage", test_key_desc_and_usage},
        {"addresses", test_addresses},
        {"pem_roundtrip", test_pem_roundtrip},
        {"chain", test_chain},
        {"name_escaping", test_name_escaping},
        {"teardown", test_teardown},
};

TEST_MAIN(tests)
