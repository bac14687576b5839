/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of src/lib/crypto/key.c and pkcs12.c: key generation, PKCS#8
 * at rest, the self-signed certificate, PKCS#12 read (ours, openssl's, NSS's
 * and MimeKit's legacy RC2 file) and write (checked with the openssl command
 * line), PEM bundles, and bad input (wrong passwords, garbage, truncation,
 * absurd iteration counts, mismatched keys).
 */
#include "crypto/crypto.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define PKI SEALMAIL_TEST_DATA "/pki/"
#define CDATA SEALMAIL_TEST_DATA "/crypto/"
#define CORPUS SEALMAIL_TEST_DATA "/corpus-p12/"

static sm_crypto *crypto;
static char tmp[128];

static void
setup(void)
{
	if (crypto == NULL) {
		if (sm_crypto_new(&crypto, NULL) != SEALMAIL_OK) {
			(void)printf("Bail out! sm_crypto_new\n");
			exit(1);
		}
		(void)snprintf(tmp, sizeof(tmp), "%s", test_tmpdir());
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

/* Two files one after the other. */
static void
slurp2(sm_buf *b, const char *a, const char *c)
{
	sm_buf t;

	slurp(b, a);
	slurp(&t, c);
	(void)sm_buf_append(b, t.data, t.len, NULL);
	sm_buf_free(&t);
}

static const char *
save(const char *name, const sm_buf *b)
{
	static char path[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len) {
		(void)printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	(void)fclose(f);
	return path;
}

/* Output of a shell command (at most size-1 bytes). */
static void
sh_out(char *out, size_t size, const char *cmd)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	out[0] = '\0';
	if (f == NULL) {
		(void)printf("Bail out! %s\n", cmd);
		exit(1);
	}
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	(void)pclose(f);
}

static int
count_str(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_type_parse(void)
{
	sm_key_type t = SM_KEY_RSA2048;
	sealmail_error err;

	test_assert_int(sm_key_type_parse(&t, "p384", &err), SEALMAIL_OK);
	test_assert_int(t, SM_KEY_P384);
	test_assert_int(sm_key_type_parse(&t, "rsa3072", &err), SEALMAIL_OK);
	test_assert_int(t, SM_KEY_RSA3072);
	test_assert_int(sm_key_type_parse(&t, "p256", &err), SEALMAIL_OK);
	test_assert_int(t, SM_KEY_P256);
	test_assert_int(sm_key_type_parse(&t, "rsa1024", &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "unknown key type \"rsa1024\" (valid: "
	                             "rsa2048, rsa3072, rsa4096, p256, p384)");
	test_assert_int(sm_key_type_parse(&t, NULL, &err), SEALMAIL_EINVAL);
}

static void
test_generate_and_self_signed(void)
{
	static const struct {
		sm_key_type t;
		const char *desc;
	} kinds[] = {
	        {SM_KEY_RSA2048, "RSA 2048"}, {SM_KEY_RSA3072, "RSA 3072"},
	        {SM_KEY_RSA4096, "RSA 4096"}, {SM_KEY_P256, "EC P-256"},
	        {SM_KEY_P384, "EC P-384"},
	};
	sealmail_error err;

	setup();
	for (size_t i = 0; i < SM_ARRAY_SIZE(kinds); i++) {
		sm_key *k = NULL;
		sm_cert *c = NULL;
		test_assert_int(sm_key_generate(&k, crypto, kinds[i].t, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_cert_self_signed_new(&c, crypto, k,
		                                        "Bob@Example.ORG", NULL,
		                                        30, &err),
		                SEALMAIL_OK);
		if (c == NULL) {
			sm_key_free(k);
			continue;
		}
		test_assert_str(sm_cert_key_desc(c), kinds[i].desc);
		test_assert_str(sm_cert_common_name(c), "bob@example.org");
		test_assert(sm_key_matches_cert(k, c));
		sm_cert_free(c);
		sm_key_free(k);
	}
	sm_key *none = NULL;
	test_assert_int(sm_key_generate(&none, crypto, (sm_key_type)99, &err),
	                SEALMAIL_EINVAL);
	test_assert(none == NULL);
}

static void
check_self_signed(bool ec)
{
	sm_key *k = NULL, *other = NULL;
	sm_cert *c = NULL;
	sealmail_error err;
	const sm_cert *anchor = NULL;
	char text[16384];
	sm_buf pem;
	int64_t now = (int64_t)time(NULL);

	setup();
	test_assert_int(sm_key_generate(&k, crypto,
	                                ec ? SM_KEY_P256 : SM_KEY_RSA2048,
	                                &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cert_self_signed_new(&c, crypto, k,
	                                        "Alice@Example.org",
	                                        "Alice Example", 365, &err),
	                SEALMAIL_OK);
	if (c == NULL) {
		sm_key_free(k);
		return;
	}
	test_assert_str(sm_cert_subject(c),
	                "emailAddress=alice@example.org,CN=Alice Example");
	test_assert_str(sm_cert_issuer(c), sm_cert_subject(c));
	test_assert_int(sm_cert_address_count(c), 1);
	test_assert_str(sm_cert_address_at(c, 0), "alice@example.org");
	test_assert_int(sm_cert_usage(c),
	                SM_USAGE_SIGN | SM_USAGE_ENCRYPT | SM_USAGE_EMAIL);
	test_assert(sm_cert_is_self_signed(c));
	test_assert(sm_cert_not_before(c) >= now - 3600 - 5 &&
	            sm_cert_not_before(c) <= now - 3600 + 5);
	test_assert(sm_cert_not_after(c) >= now + 365 * 86400 - 5 &&
	            sm_cert_not_after(c) <= now + 365 * 86400 + 5);
	test_assert_int(strlen(sm_cert_serial(c)), 32);
	test_assert(sm_cert_serial(c)[0] >= '4' && sm_cert_serial(c)[0] <= '7');
	test_assert_int(
	        sm_cert_chain_verify(c, NULL, 0, &c, 1, 0, &anchor, &err),
	        SEALMAIL_OK);
	test_assert(anchor == c);

	sm_buf_init(&pem, 1 << 20);
	test_assert_int(sm_cert_pem(c, &pem, &err), SEALMAIL_OK);
	char cmd[512];
	(void)snprintf(cmd, sizeof(cmd),
	               "openssl x509 -noout -text -in %s 2>&1",
	               save("self.crt", &pem));
	sh_out(text, sizeof(text), cmd);
	test_assert(strstr(text, "email:alice@example.org") != NULL);
	test_assert(strstr(text, "E-mail Protection") != NULL);
	test_assert(strstr(text, "CA:FALSE") != NULL);
	test_assert(strstr(text, "X509v3 Subject Key Identifier") != NULL);
	test_assert(strstr(text, "X509v3 Authority Key Identifier") != NULL);
	test_assert(strstr(text, "Digital Signature, Non Repudiation, ") !=
	            NULL);
	test_assert(strstr(text, "X509v3 Key Usage: critical") != NULL);
	test_assert(strstr(text, "Version: 3 (0x2)") != NULL);
	if (ec) {
		test_assert(strstr(text, "Key Agreement") != NULL);
		test_assert(strstr(text, "Key Encipherment") == NULL);
		test_assert(strstr(text, "ecdsa-with-SHA256") != NULL);
	} else {
		test_assert(strstr(text, "Key Encipherment") != NULL);
		test_assert(strstr(text, "Key Agreement") == NULL);
		test_assert(strstr(text, "sha256WithRSAEncryption") != NULL);
	}
	sm_buf_free(&pem);

	test_assert_int(sm_key_generate(&other, crypto, SM_KEY_P256, &err),
	                SEALMAIL_OK);
	test_assert(!sm_key_matches_cert(other, c));
	test_assert(!sm_key_matches_cert(NULL, c));
	sm_key_free(other);
	sm_cert_free(c);
	sm_key_free(k);
}

static void
test_self_signed_rsa(void)
{
	check_self_signed(false);
}

static void
test_self_signed_ec(void)
{
	check_self_signed(true);
}

static void
test_self_signed_bad(void)
{
	sm_key *k = NULL;
	sm_cert *c = NULL;
	sealmail_error err;

	setup();
	test_assert_int(sm_key_generate(&k, crypto, SM_KEY_P256, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cert_self_signed_new(&c, crypto, k, "no-at-sign",
	                                        NULL, 30, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message,
	                "not a usable e-mail address: \"no-at-sign\"");
	test_assert_int(sm_cert_self_signed_new(&c, crypto, k,
	                                        "a,b@example.org", NULL, 30,
	                                        &err),
	                SEALMAIL_EINVAL);
	test_assert_int(
	        sm_cert_self_signed_new(&c, crypto, k, NULL, NULL, 30, &err),
	        SEALMAIL_EINVAL);
	test_assert_int(sm_cert_self_signed_new(&c, crypto, k, "a@example.org",
	                                        NULL, 0, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message,
	                "validity of 0 days is out of range (1 to 36500)");
	test_assert(c == NULL);
	sm_key_free(k);
	sm_key_free(NULL);
}

static void
test_pkcs8(void)
{
	sm_key *k = NULL, *back = NULL;
	sm_cert *c = NULL;
	sm_buf plain, enc;
	sealmail_error err;
	char out[8192], cmd[512];

	setup();
	test_assert_int(sm_key_generate(&k, crypto, SM_KEY_P256, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_cert_self_signed_new(&c, crypto, k, "k@example.org",
	                                        NULL, 10, &err),
	                SEALMAIL_OK);
	sm_buf_init_secret(&plain, 1 << 20);
	sm_buf_init(&enc, 1 << 20);
	test_assert_int(sm_key_to_pkcs8(k, NULL, &plain, &err), SEALMAIL_OK);
	test_assert_int(sm_key_to_pkcs8(k, "correct horse", &enc, &err),
	                SEALMAIL_OK);

	/* plain round trip; a passphrase given for a plain key is ignored */
	test_assert_int(sm_key_from_pkcs8(&back, crypto, plain.data, plain.len,
	                                  NULL, &err),
	                SEALMAIL_OK);
	test_assert(sm_key_matches_cert(back, c));
	sm_key_free(back);
	back = NULL;
	test_assert_int(sm_key_from_pkcs8(&back, crypto, plain.data, plain.len,
	                                  "x", &err),
	                SEALMAIL_OK);
	sm_key_free(back);
	back = NULL;

	/* encrypted round trip, wrong and missing passphrase */
	test_assert_int(sm_key_from_pkcs8(&back, crypto, enc.data, enc.len,
	                                  "correct horse", &err),
	                SEALMAIL_OK);
	test_assert(sm_key_matches_cert(back, c));
	sm_key_free(back);
	back = NULL;
	test_assert_int(sm_key_from_pkcs8(&back, crypto, enc.data, enc.len,
	                                  "correct horsE", &err),
	                SEALMAIL_EPASSPHRASE);
	test_assert(strstr(err.message, "wrong passphrase for the private "
	                                "key") == err.message);
	test_assert_int(
	        sm_key_from_pkcs8(&back, crypto, enc.data, enc.len, NULL, &err),
	        SEALMAIL_EPASSPHRASE);
	test_assert_str(err.message,
	                "private key is encrypted: a passphrase is needed");
	test_assert(back == NULL);

	/* the plain text of the key is not in the encrypted form */
	test_assert(enc.len > plain.len);

	/* the algorithms, as openssl sees them */
	(void)snprintf(cmd, sizeof(cmd),
	               "openssl asn1parse -inform DER -in %s 2>&1",
	               save("enc.p8", &enc));
	sh_out(out, sizeof(out), cmd);
	test_assert(strstr(out, ":PBES2") != NULL);
	test_assert(strstr(out, ":PBKDF2") != NULL);
	test_assert(strstr(out, ":hmacWithSHA256") != NULL);
	test_assert(strstr(out, ":aes-256-cbc") != NULL);
	test_assert(strstr(out, "INTEGER           :030D40") != NULL);
	(void)snprintf(cmd, sizeof(cmd),
	               "openssl pkey -inform DER -in %s/enc.p8 -passin "
	               "pass:'correct horse' -noout && echo decrypted",
	               tmp);
	sh_out(out, sizeof(out), cmd);
	test_assert_str(out, "decrypted\n");

	/* garbage and truncation */
	test_assert_int(sm_key_from_pkcs8(&back, crypto, enc.data, enc.len / 2,
	                                  "correct horse", &err),
	                SEALMAIL_EBADDATA);
	test_assert_int(sm_key_from_pkcs8(&back, crypto, plain.data,
	                                  plain.len - 1, NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert_int(sm_key_from_pkcs8(&back, crypto,
	                                  (const unsigned char *)"junk", 4,
	                                  NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert(strstr(err.message, "not a PKCS#8 private key") ==
	            err.message);
	test_assert_int(
	        sm_key_from_pkcs8(&back, crypto, plain.data, 0, NULL, &err),
	        SEALMAIL_EBADDATA);
	sm_buf_free(&plain);
	sm_buf_free(&enc);
	sm_cert_free(c);
	sm_key_free(k);
}

static void
p12_ok(const char *path,
       const char *pass,
       const char *cn,
       size_t chain,
       const char *friendly)
{
	sm_buf b;
	sm_bundle bd;
	sealmail_error err;
	int rc;

	setup();
	slurp(&b, path);
	test_assert(sm_is_pkcs12(b.data, b.len));
	rc = sm_pkcs12_parse(&bd, crypto, b.data, b.len, pass, &err);
	if (rc != SEALMAIL_OK)
		(void)printf("#   %s: %s\n", path, err.message);
	test_assert_int(rc, SEALMAIL_OK);
	if (rc == SEALMAIL_OK) {
		test_assert(bd.key != NULL && bd.cert != NULL);
		test_assert(sm_key_matches_cert(bd.key, bd.cert));
		test_assert_str(sm_cert_common_name(bd.cert), cn);
		test_assert_int(bd.chain_count, chain);
		if (friendly != NULL)
			test_assert_str(bd.friendly_name, friendly);
		else
			test_assert(bd.friendly_name == NULL);
	}
	sm_bundle_clear(&bd);
	test_assert(bd.key == NULL && bd.cert == NULL && bd.chain == NULL);
	sm_buf_free(&b);
}

static void
test_pkcs12_read(void)
{
	p12_ok(PKI "bob@example.org.p12", "test", "bob", 0, "bob@example.org");
	p12_ok(PKI "alice@example.org.p12", "test", "alice", 1,
	       "alice@example.org");
	p12_ok(PKI "carol@example.org.p12", "test", "carol", 0,
	       "carol@example.org");
	p12_ok(CDATA "bob-legacy.p12", "test", "bob", 1, "Bob legacy");
	p12_ok(CORPUS "thunderbird-Alice.p12", "nss", "Alice", 1, "Alice");
	p12_ok(CORPUS "mimekit-smime.pfx", "no.secret", "MimeKit UnitTests", 3,
	       "MimeKit UnitTests");
}

static void
p12_bad(const char *path,
        size_t cut,
        const char *pass,
        int want,
        const char *msg)
{
	sm_buf b;
	sm_bundle bd;
	sealmail_error err;
	clock_t t0 = clock();

	setup();
	slurp(&b, path);
	test_assert_int(
	        sm_pkcs12_parse(&bd, crypto, b.data, b.len - cut, pass, &err),
	        want);
	test_assert(bd.key == NULL && bd.cert == NULL && bd.chain == NULL);
	if (msg != NULL && strstr(err.message, msg) == NULL) {
		(void)printf("#   %s: \"%s\"\n", path, err.message);
		test_assert(0);
	}
	/* refused before any absurd KDF work: well under a second */
	test_assert((clock() - t0) < CLOCKS_PER_SEC);
	sm_buf_free(&b);
}

static void
test_pkcs12_bad(void)
{
	p12_bad(PKI "bob@example.org.p12", 0, "wrong", SEALMAIL_EPASSPHRASE,
	        "wrong password for the PKCS#12 file");
	p12_bad(PKI "bob@example.org.p12", 0, NULL, SEALMAIL_EPASSPHRASE,
	        "wrong password");
	p12_bad(CORPUS "mimekit-smime.pfx", 0, "nss", SEALMAIL_EPASSPHRASE,
	        "wrong password");
	p12_bad(PKI "bob@example.org.p12", 100, "test", SEALMAIL_EBADDATA,
	        "not a PKCS#12 file (malformed or truncated)");
	p12_bad(CDATA "garbage.bin", 0, "test", SEALMAIL_EBADDATA,
	        "not a PKCS#12 file");
	p12_bad(CDATA "alice.der", 0, "test", SEALMAIL_EBADDATA,
	        "not a PKCS#12 file");
	p12_bad(CDATA "absurd-mac.p12", 0, "test", SEALMAIL_EBADDATA,
	        "PKCS#12 MAC: absurd iteration count");
	p12_bad(CDATA "absurd-key.p12", 0, "test", SEALMAIL_EBADDATA,
	        "PKCS#12 private key: absurd iteration count");
	p12_bad(CDATA "absurd-certs.p12", 0, "test", SEALMAIL_EBADDATA,
	        "PKCS#12 certificates: absurd iteration count");

	sm_buf b;
	slurp(&b, CDATA "key-and-certs.pem");
	test_assert(!sm_is_pkcs12(b.data, b.len));
	sm_buf_free(&b);
	slurp(&b, CDATA "alice.der");
	test_assert(!sm_is_pkcs12(b.data, b.len));
	test_assert(!sm_is_pkcs12(b.data, 3));
	sm_buf_free(&b);
}

/*
 * Salts of two PBE-SHA1-3DES bags of one legacy export (password "export
 * pw", 2048 iterations) that gpgsm 2.2.40 could not import ("decryption
 * failed; trying charset ..."): the key bag's salt trips GnuPG's KDF, the
 * certificates' does not.  And the salts of a file gpgsm read.
 */
static void
test_pkcs12_gnupg22_salt(void)
{
	static const unsigned char bad[] = {0xad, 0xc5, 0xed, 0x0d,
	                                    0x85, 0x85, 0x36, 0x93};
	static const unsigned char good[] = {0x6c, 0xb2, 0x79, 0xb4,
	                                     0x93, 0x4d, 0xca, 0x51};
	static const unsigned char bad2[] = {0x6b, 0x05, 0x5a, 0xe5,
	                                     0xf3, 0xc0, 0xf7, 0x21};
	static const unsigned char good2[] = {0xaf, 0x5f, 0x6d, 0x56,
	                                      0xf4, 0xa5, 0x56, 0x92};

	setup();
	test_assert(!sm_pkcs12_gnupg22_salt_ok(crypto, bad, sizeof(bad), 2048,
	                                       "export pw"));
	test_assert(!sm_pkcs12_gnupg22_salt_ok(crypto, bad2, sizeof(bad2), 2048,
	                                       "export pw"));
	test_assert(sm_pkcs12_gnupg22_salt_ok(crypto, good, sizeof(good), 2048,
	                                      "export pw"));
	test_assert(sm_pkcs12_gnupg22_salt_ok(crypto, good2, sizeof(good2),
	                                      2048, "export pw"));
	/* the verdict depends on the password and the count too */
	test_assert(sm_pkcs12_gnupg22_salt_ok(crypto, bad, sizeof(bad), 2048,
	                                      "export pW"));
	test_assert(sm_pkcs12_gnupg22_salt_ok(crypto, bad, sizeof(bad), 2047,
	                                      "export pw"));
}

static void
test_pkcs12_write(void)
{
	sm_buf in, out;
	sm_bundle bd, back;
	sealmail_error err;
	char text[16384], cmd[512];

	setup();
	slurp(&in, PKI "alice@example.org.p12");
	test_assert_int(
	        sm_pkcs12_parse(&bd, crypto, in.data, in.len, "test", &err),
	        SEALMAIL_OK);
	sm_free(bd.friendly_name);
	bd.friendly_name = sm_strdup("Alice Example");

	for (int legacy = 0; legacy <= 1; legacy++) {
		const char *path;
		sm_buf_init(&out, 1 << 20);
		test_assert_int(sm_pkcs12_write(&bd, crypto, "s3cret", legacy,
		                                &out, &err),
		                SEALMAIL_OK);
		test_assert(sm_is_pkcs12(out.data, out.len));
		test_assert_int(sm_pkcs12_parse(&back, crypto, out.data,
		                                out.len, "s3cret", &err),
		                SEALMAIL_OK);
		test_assert(back.cert != NULL &&
		            strcmp(sm_cert_fingerprint(back.cert),
		                   sm_cert_fingerprint(bd.cert)) == 0);
		test_assert(sm_key_matches_cert(back.key, back.cert));
		test_assert_int(back.chain_count, 1);
		test_assert_str(back.friendly_name, "Alice Example");
		sm_bundle_clear(&back);

		path = save(legacy ? "legacy.p12" : "modern.p12", &out);
		(void)snprintf(cmd, sizeof(cmd),
		               "openssl pkcs12 -info -noout -in %s -passin "
		               "pass:s3cret %s 2>&1",
		               path, legacy ? "-legacy" : "");
		sh_out(text, sizeof(text), cmd);
		if (legacy) {
			test_assert(strstr(text, "MAC: sha1, Iteration 2048") !=
			            NULL);
			test_assert_int(count_str(text, "pbeWithSHA1And3-"
			                                "KeyTripleDES-CBC"),
			                2);
			test_assert(strstr(text, "PBES2") == NULL);
		} else {
			test_assert(
			        strstr(text, "MAC: sha256, Iteration 2048") !=
			        NULL);
			test_assert_int(count_str(text, "PBES2, PBKDF2, "
			                                "AES-256-CBC"),
			                2);
		}
		test_assert_int(count_str(text, "Certificate bag"), 2);
		test_assert(strstr(text, "Mac verify error") == NULL);
		sm_buf_free(&out);
	}

	/* refusals */
	sm_buf_init(&out, 1 << 20);
	test_assert_int(sm_pkcs12_write(&bd, crypto, NULL, false, &out, &err),
	                SEALMAIL_EPASSPHRASE);
	sm_key *k = bd.key;
	bd.key = NULL;
	test_assert_int(sm_pkcs12_write(&bd, crypto, "x", false, &out, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message,
	                "a PKCS#12 file needs a key and its certificate");
	bd.key = k;
	test_assert_int(out.len, 0);
	sm_buf_free(&out);
	sm_bundle_clear(&bd);
	sm_bundle_clear(NULL);
	sm_buf_free(&in);
}

static int
pem_parse(sm_bundle *bd, const sm_buf *b, const char *pass, sealmail_error *err)
{
	setup();
	return sm_pem_bundle_parse(bd, crypto, b->data, b->len, pass, err);
}

static void
test_pem_bundle(void)
{
	sm_buf b;
	sm_bundle bd;
	sealmail_error err;

	/* key first, then the certificate and its CA */
	slurp(&b, CDATA "key-and-certs.pem");
	test_assert(!sm_pem_has_encrypted_key(b.data, b.len));
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_OK);
	test_assert(bd.key != NULL && bd.cert != NULL);
	test_assert(sm_key_matches_cert(bd.key, bd.cert));
	test_assert_str(sm_cert_common_name(bd.cert), "bob");
	test_assert_int(bd.chain_count, 1);
	sm_bundle_clear(&bd);
	sm_buf_free(&b);

	/* certificate first, traditional RSA key after */
	slurp2(&b, PKI "bob@example.org.crt", CDATA "bob-trad.key");
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_OK);
	test_assert(sm_key_matches_cert(bd.key, bd.cert));
	test_assert_int(bd.chain_count, 0);
	sm_bundle_clear(&bd);
	sm_buf_free(&b);

	/* traditional EC key */
	slurp2(&b, CDATA "carol-trad.key", PKI "carol@example.org.crt");
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_OK);
	test_assert(sm_key_matches_cert(bd.key, bd.cert));
	sm_bundle_clear(&bd);
	sm_buf_free(&b);

	/* encrypted PKCS#8: right, wrong, missing passphrase */
	slurp2(&b, PKI "bob@example.org.crt", CDATA "bob-enc.key");
	test_assert(sm_pem_has_encrypted_key(b.data, b.len));
	test_assert_int(pem_parse(&bd, &b, "secret", &err), SEALMAIL_OK);
	test_assert(sm_key_matches_cert(bd.key, bd.cert));
	sm_bundle_clear(&bd);
	test_assert_int(pem_parse(&bd, &b, "Secret", &err),
	                SEALMAIL_EPASSPHRASE);
	test_assert(strstr(err.message, "wrong passphrase for the private "
	                                "key") == err.message);
	test_assert(bd.key == NULL && bd.cert == NULL);
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_EPASSPHRASE);
	test_assert_str(err.message,
	                "private key is encrypted: a passphrase is needed");
	sm_buf_free(&b);

	/* key only; certificates only */
	slurp(&b, CDATA "key-only.pem");
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_OK);
	test_assert(bd.key != NULL && bd.cert == NULL && bd.chain_count == 0);
	sm_bundle_clear(&bd);
	sm_buf_free(&b);
	slurp(&b, PKI "ca-chain.crt");
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_OK);
	test_assert(bd.key == NULL && bd.cert != NULL);
	test_assert_int(bd.chain_count, 1);
	sm_bundle_clear(&bd);
	sm_buf_free(&b);

	/* a key that does not match the certificate */
	slurp2(&b, PKI "alice@example.org.key", PKI "bob@example.org.crt");
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_OK);
	test_assert(bd.key != NULL && bd.cert != NULL);
	test_assert(!sm_key_matches_cert(bd.key, bd.cert));
	sm_bundle_clear(&bd);
	sm_buf_free(&b);

	/* two keys */
	slurp2(&b, PKI "alice@example.org.key", PKI "bob@example.org.key");
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_EBADDATA);
	test_assert_str(err.message,
	                "PEM text holds more than one private key");
	sm_buf_free(&b);

	/* garbage, a damaged certificate, a damaged key */
	slurp(&b, CDATA "garbage.bin");
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_EBADDATA);
	sm_buf_free(&b);
	slurp(&b, CDATA "bad-base64.pem");
	test_assert_int(pem_parse(&bd, &b, NULL, &err), SEALMAIL_EBADDATA);
	sm_buf_free(&b);
	const char *badkey = "-----BEGIN PRIVATE KEY-----\nMAMCAQE=\n"
	                     "-----END PRIVATE KEY-----\n";
	setup();
	test_assert_int(sm_pem_bundle_parse(&bd, crypto,
	                                    (const unsigned char *)badkey,
	                                    strlen(badkey), NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert(strstr(err.message, "unreadable private key") ==
	            err.message);
	const char *nothing = "-----BEGIN FOO-----\nMAMCAQE=\n"
	                      "-----END FOO-----\n";
	test_assert_int(sm_pem_bundle_parse(&bd, crypto,
	                                    (const unsigned char *)nothing,
	                                    strlen(nothing), NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "no certificate or private key found");
}

static void
test_teardown(void)
{
	/* the harness removes the temporary folder */
	sm_crypto_free(crypto);
	crypto = NULL;
}

static const struct test_case tests[] = {
        {"type_parse", test_type_parse},
        {"generate_and_self_signed", test_generate_and_self_signed},
        {"self_signed_rsa", test_self_signed_rsa},
        {"self_signed_ec", test_self_signed_ec},
        {"self_signed_bad", test_self_signed_bad},
        {"pkcs8", test_pkcs8},
        {"pkcs12_read", test_pkcs12_read},
        {"pkcs12_bad", test_pkcs12_bad},
        {"pkcs12_write", test_pkcs12_write},
        {"pkcs12_gnupg22_salt", test_pkcs12_gnupg22_salt},
        {"pem_bundle", test_pem_bundle},
        {"teardown", test_teardown},
};

TEST_MAIN(tests)
