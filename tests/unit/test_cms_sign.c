/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for crypto/cms_sign.c: detached and opaque signing with RSA
 * (PKCS#1 v1.5 and PSS) and ECDSA, verification per signer (valid, altered,
 * retried over other bytes, no certificate, extra certificates), attributes
 * and carried chain, malformed input.  Keys from tests/data/pki.
 */
#include "crypto/crypto.h"
#include "mime.h"

#include <time.h>

#include "harness.h"

typedef struct person {
	sm_bundle b;
} person;

static sm_crypto *crypto;

static void
load(person *p, const char *name)
{
	char path[512];
	sm_buf pem, key;
	sealmail_error err = {0};

	memset(p, 0, sizeof(*p));
	if (crypto == NULL)
		test_assert_int(sm_crypto_new(&crypto, &err), SEALMAIL_OK);
	sm_buf_init(&pem, 1 << 20);
	sm_buf_init(&key, 1 << 20);
	(void)snprintf(path, sizeof(path), "%s/pki/%s.crt", SEALMAIL_TEST_DATA,
	               name);
	test_assert_int(sm_read_file(&pem, path, 1 << 20, &err), SEALMAIL_OK);
	(void)snprintf(path, sizeof(path), "%s/pki/%s.key", SEALMAIL_TEST_DATA,
	               name);
	test_assert_int(sm_read_file(&key, path, 1 << 20, &err), SEALMAIL_OK);
	test_assert_int(sm_buf_append(&pem, key.data, key.len, &err),
	                SEALMAIL_OK);
	sm_buf_free(&key);
	test_assert_int(sm_pem_bundle_parse(&p->b, crypto, pem.data, pem.len,
	                                    NULL, &err),
	                SEALMAIL_OK);
	test_assert(p->b.key != NULL && p->b.cert != NULL);
	sm_buf_free(&pem);
}

static int
collect(const void *buf, size_t len, void *payload)
{
	return sm_buf_append(payload, buf, len, NULL);
}

/* Sign `content`; the base64 output lands in `out`. */
static int
sign(sm_buf *out,
     const person *p,
     sm_cms_sign_params *params,
     const char *content)
{
	sm_cms_sign *s = NULL;
	sealmail_error err = {0};
	int rc;

	params->cert = p->b.cert;
	params->key = p->b.key;
	rc = sm_cms_sign_begin(&s, crypto, params, collect, out, &err);
	/* Pushed in uneven pieces. */
	for (size_t i = 0, len = strlen(content); rc == SEALMAIL_OK && i < len;
	     i += 3)
		rc = sm_cms_sign_update(s, content + i,
		                        len - i < 3 ? len - i : 3, &err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_sign_finish(s, &err);
	sm_cms_sign_free(s);
	if (rc != SEALMAIL_OK)
		(void)printf("# sign: %s\n", err.message);
	return rc;
}

/* Base64 with CRLF lines -> DER, through the MIME module. */
static void
unbase64(sm_buf *der, const sm_buf *b64)
{
	sm_buf msg;
	sm_mime_source *src = NULL;
	sm_mime_entity e;
	sealmail_error err = {0};

	sm_buf_init(&msg, 1 << 24);
	test_assert_int(sm_buf_puts(&msg,
	                            "Content-Transfer-Encoding: base64\r\n\r\n",
	                            &err),
	                SEALMAIL_OK);
	test_assert_int(sm_buf_append(&msg, b64->data, b64->len, &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sm_mime_source_new_memory(&src, msg.data, msg.len, &err),
	        SEALMAIL_OK);
	test_assert_int(
	        sm_mime_entity_parse(&e, src, 0, (off_t)msg.len, false, &err),
	        SEALMAIL_OK);
	sm_buf_init(der, 1 << 24);
	test_assert_int(sm_mime_decode_body(der, src, &e, &err), SEALMAIL_OK);
	sm_mime_source_free(src);
	sm_buf_free(&msg);
}

static sm_cms_verify *
parse(const sm_buf *b64)
{
	sm_buf der;
	sm_cms_verify *v = NULL;
	sealmail_error err = {0};

	unbase64(&der, b64);
	test_assert_int(sm_cms_verify_new(&v, crypto, der.data, der.len, &err),
	                SEALMAIL_OK);
	if (v == NULL) {
		(void)printf("# parse: %s\n", err.message);
		exit(1);
	}
	sm_buf_free(&der);
	return v;
}

static sm_sig_status
check(sm_cms_verify *v, const char *content)
{
	sealmail_error err = {0};

	test_assert_int(sm_cms_verify_update(v, content, strlen(content), &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cms_verify_finish(v, &err), SEALMAIL_OK);
	test_assert_int(sm_cms_verify_signer_count(v), 1);
	return sm_cms_verify_status(v, 0);
}

static const char msg_content[] = "Content-Type: text/plain\r\n\r\nhello\r\n";

static void
test_detached_rsa(void)
{
	person alice;
	sm_cms_sign_params params = {.include_certs = true};
	sm_buf out;
	sm_cms_verify *v;
	sealmail_error err = {0};
	size_t caplen = 0;
	int64_t now = (int64_t)time(NULL);

	load(&alice, "alice@example.org");
	sm_buf_init(&out, 1 << 20);
	test_assert_int(sign(&out, &alice, &params, msg_content), SEALMAIL_OK);
	/* base64 in CRLF lines, nothing else */
	test_assert(out.len > 100);
	test_assert(strstr((char *)out.data, "\r\n") != NULL);
	v = parse(&out);
	test_assert(sm_cms_verify_is_detached(v));
	test_assert_int(check(v, msg_content), SM_SIG_VALID);
	test_assert_str(sm_cms_verify_algorithm(v, 0),
	                "RSA PKCS#1 v1.5 with SHA256");
	test_assert(sm_cms_verify_signer_cert(v, 0) != NULL);
	test_assert_str(sm_cert_fingerprint(sm_cms_verify_signer_cert(v, 0)),
	                sm_cert_fingerprint(alice.b.cert));
	test_assert(sm_cms_verify_signing_time(v, 0) >= now - 60 &&
	            sm_cms_verify_signing_time(v, 0) <= now + 60);
	test_assert(sm_cms_verify_capabilities(v, 0, &caplen) != NULL);
	/* SEQUENCE of four AlgorithmIdentifiers, AES-256-GCM first. */
	test_assert(caplen > 40);

	/* One changed byte: altered.  Then a retry over the right bytes. */
	test_assert_int(sm_cms_verify_reset(v, &err), SEALMAIL_OK);
	test_assert_int(check(v, "Content-Type: text/plain\r\n\r\nhellp\r\n"),
	                SM_SIG_ALTERED);
	test_assert_int(sm_cms_verify_reset(v, &err), SEALMAIL_OK);
	test_assert_int(check(v, msg_content), SM_SIG_VALID);
	sm_cms_verify_free(v);
	sm_buf_free(&out);
	sm_bundle_clear(&alice.b);
}

static void
test_pss_and_ecdsa(void)
{
	person alice, carol, dave;
	sm_cms_sign_params params = {.include_certs = true, .pss = true};
	sm_buf out;
	sm_cms_verify *v;

	load(&alice, "alice@example.org");
	load(&carol, "carol@example.org");
	load(&dave, "dave@example.org");
	sm_buf_init(&out, 1 << 20);
	test_assert_int(sign(&out, &alice, &params, msg_content), SEALMAIL_OK);
	v = parse(&out);
	test_assert_int(check(v, msg_content), SM_SIG_VALID);
	test_assert_str(sm_cms_verify_algorithm(v, 0), "RSA-PSS with SHA256");
	sm_cms_verify_free(v);

	/* Opaque with PSS (not streamed: OpenSSL 3.0 cannot). */
	params.opaque = true;
	sm_buf_reset(&out);
	test_assert_int(sign(&out, &alice, &params, msg_content), SEALMAIL_OK);
	params.opaque = false;
	v = parse(&out);
	test_assert(!sm_cms_verify_is_detached(v));
	{
		sealmail_error err = {0};
		test_assert_int(sm_cms_verify_content(v, NULL, NULL, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_cms_verify_finish(v, &err), SEALMAIL_OK);
	}
	test_assert_int(sm_cms_verify_status(v, 0), SM_SIG_VALID);
	test_assert_str(sm_cms_verify_algorithm(v, 0), "RSA-PSS with SHA256");
	sm_cms_verify_free(v);

	/* PSS with an EC key is refused. */
	sm_buf_reset(&out);
	test_assert_int(sign(&out, &carol, &params, msg_content),
	                SEALMAIL_EINVAL);

	for (int i = 0; i < 2; i++) {
		params.pss = false;
		sm_buf_reset(&out);
		test_assert_int(sign(&out, i == 0 ? &carol : &dave, &params,
		                     msg_content),
		                SEALMAIL_OK);
		v = parse(&out);
		test_assert_int(check(v, msg_content), SM_SIG_VALID);
		test_assert(strncmp(sm_cms_verify_algorithm(v, 0), "ECDSA",
		                    5) == 0);
		sm_cms_verify_free(v);
	}
	sm_buf_free(&out);
	sm_bundle_clear(&alice.b);
	sm_bundle_clear(&carol.b);
	sm_bundle_clear(&dave.b);
}

static void
test_opaque(void)
{
	person carol;
	sm_cms_sign_params params = {.include_certs = true, .opaque = true};
	sm_buf out, inner;
	sm_cms_verify *v;
	sealmail_error err = {0};

	load(&carol, "carol@example.org");
	sm_buf_init(&out, 1 << 20);
	sm_buf_init(&inner, 1 << 20);
	test_assert_int(sign(&out, &carol, &params, msg_content), SEALMAIL_OK);
	v = parse(&out);
	test_assert(!sm_cms_verify_is_detached(v));
	test_assert_int(sm_cms_verify_content(v, collect, &inner, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cms_verify_finish(v, &err), SEALMAIL_OK);
	test_assert_int(sm_cms_verify_status(v, 0), SM_SIG_VALID);
	test_assert_int(inner.len, strlen(msg_content));
	test_assert(inner.len == strlen(msg_content) &&
	            memcmp(inner.data, msg_content, inner.len) == 0);
	sm_cms_verify_free(v);
	sm_buf_free(&out);
	sm_buf_free(&inner);
	sm_bundle_clear(&carol.b);
}

static void
test_certs(void)
{
	person alice;
	sm_cms_sign_params params = {.include_certs = false};
	sm_buf out, chainpem;
	sm_cms_verify *v;
	sm_cert **chain = NULL;
	size_t nchain = 0;
	sealmail_error err = {0};
	char path[512];

	load(&alice, "alice@example.org");
	sm_buf_init(&out, 1 << 20);

	/* Without certificates: the signer cannot be checked ... */
	test_assert_int(sign(&out, &alice, &params, msg_content), SEALMAIL_OK);
	v = parse(&out);
	test_assert_int(sm_cms_verify_cert_count(v), 0);
	test_assert_int(check(v, msg_content), SM_SIG_NO_CERT);
	test_assert(sm_cms_verify_signer_cert(v, 0) == NULL);
	/* ... until its certificate comes from elsewhere (the book). */
	test_assert_int(sm_cms_verify_add_certs(v, &alice.b.cert, 1, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cms_verify_reset(v, &err), SEALMAIL_OK);
	test_assert_int(check(v, msg_content), SM_SIG_VALID);
	sm_cms_verify_free(v);

	/* With the chain: the intermediate is carried, the root is not. */
	(void)snprintf(path, sizeof(path), "%s/pki/ca-chain.crt",
	               SEALMAIL_TEST_DATA);
	sm_buf_init(&chainpem, 1 << 20);
	test_assert_int(sm_read_file(&chainpem, path, 1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cert_list_parse(&chain, &nchain, crypto,
	                                   chainpem.data, chainpem.len, &err),
	                SEALMAIL_OK);
	test_assert_int(nchain, 2);
	params.include_certs = true;
	params.chain = chain;
	params.nchain = nchain;
	sm_buf_reset(&out);
	test_assert_int(sign(&out, &alice, &params, msg_content), SEALMAIL_OK);
	v = parse(&out);
	test_assert_int(sm_cms_verify_cert_count(v), 2);
	test_assert_int(check(v, msg_content), SM_SIG_VALID);
	sm_cms_verify_free(v);
	sm_cert_list_free(chain, nchain);
	sm_buf_free(&chainpem);
	sm_buf_free(&out);
	sm_bundle_clear(&alice.b);
}

static void
test_key_preference(void)
{
	person alice, bob;
	sm_cms_sign_params params = {.include_certs = true};
	sm_buf out;
	sm_cms_verify *v;

	load(&alice, "alice@example.org");
	load(&bob, "bob@example.org");
	params.encryption_cert = bob.b.cert;
	sm_buf_init(&out, 1 << 20);
	test_assert_int(sign(&out, &alice, &params, msg_content), SEALMAIL_OK);
	v = parse(&out);
	test_assert_int(check(v, msg_content), SM_SIG_VALID);
	/* The preference names Bob's certificate, which travels along. */
	test_assert(sm_cms_verify_encryption_cert(v, 0) != NULL);
	if (sm_cms_verify_encryption_cert(v, 0) != NULL)
		test_assert_str(sm_cert_fingerprint(
		                        sm_cms_verify_encryption_cert(v, 0)),
		                sm_cert_fingerprint(bob.b.cert));
	sm_cms_verify_free(v);

	/* Without the preference: none. */
	params.encryption_cert = NULL;
	sm_buf_reset(&out);
	test_assert_int(sign(&out, &alice, &params, msg_content), SEALMAIL_OK);
	v = parse(&out);
	test_assert(sm_cms_verify_encryption_cert(v, 0) == NULL);
	sm_cms_verify_free(v);
	sm_buf_free(&out);
	sm_bundle_clear(&alice.b);
	sm_bundle_clear(&bob.b);
}

static sm_cms_verify *
parse_file(const char *name)
{
	char path[512];
	sm_buf der;
	sm_cms_verify *v = NULL;
	sealmail_error err = {0};

	(void)snprintf(path, sizeof(path), "%s/cms/%s", SEALMAIL_TEST_DATA,
	               name);
	sm_buf_init(&der, 1 << 20);
	test_assert_int(sm_read_file(&der, path, 1 << 20, &err), SEALMAIL_OK);
	test_assert_int(sm_cms_verify_new(&v, crypto, der.data, der.len, &err),
	                SEALMAIL_OK);
	sm_buf_free(&der);
	if (v != NULL)
		test_assert_int(sm_cms_verify_content(v, NULL, NULL, &err),
		                SEALMAIL_OK);
	return v;
}

/* RFC 9216 examples: Ed25519 is never valid, never altered. */
static void
test_rfc9216(void)
{
	sm_cms_verify *v;
	sm_buf pem;
	sm_cert **certs = NULL;
	size_t n = 0;
	char path[512];
	sealmail_error err = {0};

	if (crypto == NULL)
		test_assert_int(sm_crypto_new(&crypto, &err), SEALMAIL_OK);
	v = parse_file("signedByAliceRSA.p7m");
	test_assert_int(sm_cms_verify_finish(v, &err), SEALMAIL_OK);
	test_assert_int(sm_cms_verify_status(v, 0), SM_SIG_VALID);
	sm_cms_verify_free(v);

	v = parse_file("signedByCarlosEd25519.p7m");
	test_assert_int(sm_cms_verify_finish(v, &err), SEALMAIL_OK);
	test_assert_int(sm_cms_verify_signer_count(v), 1);
	test_assert_int(sm_cms_verify_status(v, 0), SM_SIG_UNSUPPORTED);
	test_assert_str(sm_cms_verify_algorithm(v, 0), "Ed25519");
	sm_cms_verify_free(v);

	/* Two signers, no certificates: neither can be checked ... */
	v = parse_file("signedByAliceAndCarlosNoCerts.p7m");
	test_assert_int(sm_cms_verify_finish(v, &err), SEALMAIL_OK);
	test_assert_int(sm_cms_verify_signer_count(v), 2);
	for (size_t i = 0; i < 2; i++)
		test_assert(sm_cms_verify_status(v, i) == SM_SIG_NO_CERT ||
		            sm_cms_verify_status(v, i) == SM_SIG_UNSUPPORTED);
	/* ... with them, Alice verifies and Carlos is still unsupported. */
	(void)snprintf(path, sizeof(path), "%s/cms/alice+carlos.pem",
	               SEALMAIL_TEST_DATA);
	sm_buf_init(&pem, 1 << 20);
	test_assert_int(sm_read_file(&pem, path, 1 << 20, &err), SEALMAIL_OK);
	test_assert_int(
	        sm_cert_list_parse(&certs, &n, crypto, pem.data, pem.len, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_cms_verify_add_certs(v, certs, n, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cms_verify_reset(v, &err), SEALMAIL_OK);
	sm_cms_verify_free(v);
	v = parse_file("signedByAliceAndCarlosNoCerts.p7m");
	test_assert_int(sm_cms_verify_add_certs(v, certs, n, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cms_verify_finish(v, &err), SEALMAIL_OK);
	{
		int valid = 0, unsupported = 0;
		for (size_t i = 0; i < 2; i++) {
			valid += sm_cms_verify_status(v, i) == SM_SIG_VALID;
			unsupported += sm_cms_verify_status(v, i) ==
			               SM_SIG_UNSUPPORTED;
		}
		test_assert_int(valid, 1);
		test_assert_int(unsupported, 1);
	}
	sm_cms_verify_free(v);
	sm_cert_list_free(certs, n);
	sm_buf_free(&pem);
}

/* ---- carried certificates through the store's cache (issue 7) ---- */

/* A DER header: its size, and the content length in *len. */
static size_t
der_hdr(const unsigned char *p, size_t *len)
{
	size_t k = p[1] & 0x7f;

	if (p[1] < 0x80) {
		*len = p[1];
		return 2;
	}
	*len = 0;
	for (size_t i = 0; i < k; i++)
		*len = (*len << 8) | p[2 + i];
	return 2 + k;
}

static void
put_hdr(sm_buf *b, unsigned char tag, size_t len)
{
	unsigned char h[6] = {tag};
	size_t n = 2;

	if (len < 0x80) {
		h[1] = (unsigned char)len;
	} else if (len < 0x100) {
		h[1] = 0x81, h[2] = (unsigned char)len, n = 3;
	} else {
		h[1] = 0x82, h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len, n = 4;
	}
	test_assert_int(sm_buf_append(b, h, n, NULL), SEALMAIL_OK);
}

/*
 * `der` (definite ContentInfo { OID, [0] SignedData } with certificates)
 * with its first certificate carried twice.
 */
static void
dup_first_cert(sm_buf *out, const sm_buf *der)
{
	const unsigned char *p = der->data, *oid, *sd, *certs, *after;
	size_t l, oid_len, sd_len, certs_len, first_len, h;
	sm_buf inner, certset;

	p += der_hdr(p, &l); /* ContentInfo */
	oid = p;
	p += der_hdr(p, &l);
	p += l;
	oid_len = (size_t)(p - oid);
	p += der_hdr(p, &l);      /* [0] */
	p += der_hdr(p, &sd_len); /* SignedData */
	sd = p;
	for (int i = 0; i < 3; i++) { /* version, algorithms, content */
		p += der_hdr(p, &l);
		p += l;
	}
	test_assert_int(p[0], 0xa0);
	h = der_hdr(p, &certs_len);
	certs = p + h;
	after = certs + certs_len;
	first_len = der_hdr(certs, &l) + l;

	sm_buf_init(&certset, 1 << 20);
	sm_buf_init(&inner, 1 << 20);
	test_assert_int(sm_buf_append(&certset, certs, certs_len, NULL),
	                SEALMAIL_OK);
	test_assert_int(sm_buf_append(&certset, certs, first_len, NULL),
	                SEALMAIL_OK);
	test_assert_int(sm_buf_append(&inner, sd, (size_t)(p - sd), NULL),
	                SEALMAIL_OK);
	put_hdr(&inner, 0xa0, certset.len);
	test_assert_int(sm_buf_append(&inner, certset.data, certset.len, NULL),
	                SEALMAIL_OK);
	test_assert_int(sm_buf_append(&inner, after,
	                              (size_t)(sd + sd_len - after), NULL),
	                SEALMAIL_OK);
	/* inner is SignedData's content: wrap it three times. */
	sm_buf_reset(&certset);
	put_hdr(&certset, 0x30, inner.len);
	test_assert_int(sm_buf_append(&certset, inner.data, inner.len, NULL),
	                SEALMAIL_OK);
	sm_buf_reset(&inner);
	test_assert_int(sm_buf_append(&inner, oid, oid_len, NULL), SEALMAIL_OK);
	put_hdr(&inner, 0xa0, certset.len);
	test_assert_int(sm_buf_append(&inner, certset.data, certset.len, NULL),
	                SEALMAIL_OK);
	sm_buf_init(out, 1 << 20);
	put_hdr(out, 0x30, inner.len);
	test_assert_int(sm_buf_append(out, inner.data, inner.len, NULL),
	                SEALMAIL_OK);
	sm_buf_free(&inner);
	sm_buf_free(&certset);
}

/*
 * The carried certificates are parsed once per sm_crypto and matched by
 * their exact bytes; a structure the cache cannot take (duplicates, BER)
 * reads as before.
 */
static void
test_cached_certs(void)
{
	person alice;
	sm_cms_sign_params params = {.include_certs = true};
	sm_buf out, der, dup, chainpem;
	sm_cms_verify *v1, *v2;
	sm_cert **chain = NULL;
	size_t nchain = 0;
	sealmail_error err = {0};
	char path[512];

	load(&alice, "alice@example.org");
	(void)snprintf(path, sizeof(path), "%s/pki/ca-chain.crt",
	               SEALMAIL_TEST_DATA);
	sm_buf_init(&chainpem, 1 << 20);
	test_assert_int(sm_read_file(&chainpem, path, 1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cert_list_parse(&chain, &nchain, crypto,
	                                   chainpem.data, chainpem.len, &err),
	                SEALMAIL_OK);
	params.chain = chain;
	params.nchain = nchain;
	sm_buf_init(&out, 1 << 20);
	test_assert_int(sign(&out, &alice, &params, msg_content), SEALMAIL_OK);
	unbase64(&der, &out);

	/* Twice: the same certificate objects, in the structure's order. */
	test_assert_int(sm_cms_verify_new(&v1, crypto, der.data, der.len, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cms_verify_new(&v2, crypto, der.data, der.len, &err),
	                SEALMAIL_OK);
	/* Alice's and the intermediate (the root is not carried). */
	test_assert_int(sm_cms_verify_cert_count(v1), 2);
	test_assert_int(sm_cms_verify_cert_count(v2), 2);
	for (size_t i = 0; i < 2 && sm_cms_verify_cert_count(v2) == 2; i++)
		test_assert(sm_cms_verify_cert_at(v1, i) ==
		            sm_cms_verify_cert_at(v2, i));
	test_assert_int(check(v1, msg_content), SM_SIG_VALID);
	test_assert_int(check(v2, "Content-Type: text/plain\r\n\r\nhell0\r\n"),
	                SM_SIG_ALTERED);
	test_assert(sm_cms_verify_signer_cert(v2, 0) != NULL);
	if (sm_cms_verify_signer_cert(v2, 0) != NULL)
		test_assert_str(
		        sm_cert_fingerprint(sm_cms_verify_signer_cert(v2, 0)),
		        sm_cert_fingerprint(alice.b.cert));
	test_assert(sm_cms_verify_signer_cert(v2, 0) ==
	                    sm_cms_verify_cert_at(v2, 0) ||
	            sm_cms_verify_signer_cert(v2, 0) ==
	                    sm_cms_verify_cert_at(v2, 1));
	sm_cms_verify_free(v1);
	sm_cms_verify_free(v2);

	/* A certificate carried twice: both kept, as OpenSSL reads them. */
	dup_first_cert(&dup, &der);
	test_assert_int(sm_cms_verify_new(&v1, crypto, dup.data, dup.len, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cms_verify_cert_count(v1), 3);
	test_assert_int(check(v1, msg_content), SM_SIG_VALID);
	sm_cms_verify_free(v1);

	/*
	 * A damaged version field (the structure without certificates does
	 * not parse either), then a carried certificate that does not parse:
	 * not signed-data, as before.
	 */
	{
		const unsigned char *p = der.data;
		size_t l;
		unsigned char *c;

		/* into ContentInfo, past the OID, into [0] and SignedData */
		p += der_hdr(p, &l);
		p += der_hdr(p, &l);
		p += l;
		p += der_hdr(p, &l);
		p += der_hdr(p, &l);
		c = der.data + (p - der.data);
		test_assert_int(c[0], 0x02); /* version */
		c[0] = 0x04;
		test_assert_int(
		        sm_cms_verify_new(&v1, crypto, der.data, der.len, &err),
		        SEALMAIL_EBADDATA);
		test_assert(v1 == NULL);
		c[0] = 0x02;
		for (int i = 0; i < 3; i++) {
			p += der_hdr(p, &l);
			p += l;
		}
		p += der_hdr(p, &l); /* [0] certificates */
		p += der_hdr(p, &l); /* the first Certificate */
		c = der.data + (p - der.data);
		test_assert_int(c[0], 0x30); /* TBSCertificate */
		c[0] = 0x31;
		test_assert_int(
		        sm_cms_verify_new(&v1, crypto, der.data, der.len, &err),
		        SEALMAIL_EBADDATA);
		test_assert(v1 == NULL);
		test_assert(strncmp(err.message,
		                    "the signature is not CMS signed-data: ",
		                    38) == 0);
	}
	sm_buf_free(&dup);
	sm_buf_free(&der);
	sm_buf_free(&out);
	sm_buf_free(&chainpem);
	sm_cert_list_free(chain, nchain);
	sm_bundle_clear(&alice.b);
}

static void
test_garbage(void)
{
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	sm_cms_verify *v = NULL;
	sealmail_error err = {0};

	test_assert_int(sm_cms_verify_new(&v, crypto, junk, sizeof(junk), &err),
	                SEALMAIL_EBADDATA);
	test_assert(v == NULL);
	test_assert_int(sm_cms_verify_new(&v, crypto, junk, 0, &err),
	                SEALMAIL_EBADDATA);
}

static void
test_teardown(void)
{
	sm_crypto_free(crypto);
}

static const struct test_case tests[] = {
        {"detached_rsa", test_detached_rsa},
        {"pss_and_ecdsa", test_pss_and_ecdsa},
        {"opaque", test_opaque},
        {"certs", test_certs},
        {"key_preference", test_key_preference},
        {"rfc9216", test_rfc9216},
        {"cached_certs", test_cached_certs},
        {"garbage", test_garbage},
        {"teardown", test_teardown},
};

TEST_MAIN(tests)
