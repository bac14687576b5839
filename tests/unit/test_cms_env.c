/* SPDX-License-Identifier: MIT */
/*
 * CMS enveloped-data (cms_env.c) against `openssl cms` / `openssl smime`
 * both ways: RSA, RSA-OAEP, EC P-256/P-384, CBC and GCM, SKI recipients,
 * legacy 3DES/RC2-40 reported weak, and a GCM byte flip that yields nothing;
 * the plaintext in memory up to 1 MiB, in a private folder past it.
 */
#include "harness.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crypto/crypto.h"

#define PKI SEALMAIL_TEST_DATA "/pki/"

static const char message[] =
        "From: alice@example.org\r\nTo: bob@example.org\r\n"
        "Subject: secret\r\n\r\nThe eagle lands at noon.\r\n";

static sm_crypto *crypto;

/* memfd_create as the library sees it: the kernel's, or missing. */
static bool memfd_missing;

int
memfd_create(const char *name, unsigned int flags)
{
	if (memfd_missing) {
		errno = ENOSYS;
		return -1;
	}
	return (int)syscall(SYS_memfd_create, name, flags);
}

static void setup(void);

static sm_cert *
load_cert(const char *who)
{
	char path[512];
	sm_buf b;
	sm_cert **list = NULL;
	size_t n = 0;
	sm_cert *c = NULL;

	(void)snprintf(path, sizeof(path), PKI "%s.crt", who);
	sm_buf_init(&b, 1 << 20);
	if (sm_read_file(&b, path, 1 << 20, NULL) == SEALMAIL_OK &&
	    sm_cert_list_parse(&list, &n, crypto, b.data, b.len, NULL) ==
	            SEALMAIL_OK &&
	    n > 0)
		c = sm_cert_ref(list[0]);
	sm_cert_list_free(list, n);
	sm_buf_free(&b);
	if (c == NULL) {
		(void)printf("Bail out! cannot load %s\n", path);
		exit(1);
	}
	return c;
}

static int sh(const char *fmt, ...) SM_PRINTF(1, 2);

/* The PKCS#8 PEM key of the test PKI, through `openssl pkey` to DER. */
static sm_key *
load_key(const char *who)
{
	char path[512];
	sm_buf b;
	sm_key *k = NULL;
	static const char *dir;

	if (dir == NULL)
		dir = test_tmpdir();

	(void)snprintf(path, sizeof(path), "%s/key.der", dir);
	if (sh("openssl pkcs8 -topk8 -nocrypt -in " PKI
	       "%s.key -outform DER -out %s",
	       who, path) != 0) {
		(void)printf("Bail out! cannot convert the key of %s\n", who);
		exit(1);
	}
	sm_buf_init_secret(&b, 1 << 20);
	if (sm_read_file(&b, path, 1 << 20, NULL) == SEALMAIL_OK)
		(void)sm_key_from_pkcs8(&k, crypto, b.data, b.len, NULL, NULL);
	sm_buf_free(&b);
	(void)unlink(path);
	if (k == NULL) {
		(void)printf("Bail out! cannot load the key of %s\n", who);
		exit(1);
	}
	return k;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	test_assert(f != NULL);
	if (f == NULL)
		return;
	test_assert(fwrite(data, 1, len, f) == len);
	(void)fclose(f);
}

static bool
file_equals(const char *path, const void *data, size_t len)
{
	sm_buf b;
	bool r;

	sm_buf_init(&b, 1 << 24);
	r = sm_read_file(&b, path, 1 << 24, NULL) == SEALMAIL_OK &&
	    b.len == len && memcmp(b.data, data, len) == 0;
	sm_buf_free(&b);
	return r;
}

static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Encrypt `data` to `who[]` into dir/name; returns the status. */
static int
encrypt_data_to(const char *dir,
                const char *const *who,
                size_t n,
                sm_cipher cipher,
                bool oaep,
                bool base64,
                const void *data,
                size_t len,
                const char *name)
{
	sm_env_recipient r[4];
	sm_cert *certs[4];
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	char path[512];
	int rc;

	for (size_t i = 0; i < n; i++) {
		certs[i] = load_cert(who[i]);
		r[i].cert = certs[i];
		r[i].oaep = oaep;
	}
	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = sealmail_input_new_memory(&in, data, len, NULL);
	test_assert_int(rc, SEALMAIL_OK);
	rc = sealmail_output_new_path(&out, path, NULL);
	test_assert_int(rc, SEALMAIL_OK);
	rc = sm_cms_encrypt(crypto, r, n, cipher, in, out, base64, NULL);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(out, NULL);
	sealmail_output_free(out);
	sealmail_input_free(in);
	for (size_t i = 0; i < n; i++)
		sm_cert_free(certs[i]);
	return rc;
}

/* Encrypt `message` to `who[]` into dir/name; returns the status. */
static int
encrypt_to(const char *dir,
           const char *const *who,
           size_t n,
           sm_cipher cipher,
           bool oaep,
           bool base64,
           const char *name)
{
	return encrypt_data_to(dir, who, n, cipher, oaep, base64, message,
	                       strlen(message), name);
}

/* Does the plaintext's descriptor read back as `data`? */
static bool
plain_equals(const sm_plain *plain, const void *data, size_t len)
{
	unsigned char *got = malloc(len + 1);
	size_t off = 0;
	bool r;

	if (got == NULL)
		return false;
	while (off < len + 1) {
		ssize_t n = pread(sm_plain_fd(plain), got + off, len + 1 - off,
		                  (off_t)off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	r = off == len && memcmp(got, data, len) == 0;
	free(got);
	return r;
}

/* The in-memory limit of the plaintext (cms_env.c PLAIN_MEM_MAX). */
#define MEM_MAX ((size_t)1 << 20)

/* `len` bytes that differ from their neighbours (i mod 251). */
static unsigned char *
big_data(size_t len)
{
	unsigned char *p = malloc(len);

	for (size_t i = 0; p != NULL && i < len; i++)
		p[i] = (unsigned char)(i % 251);
	if (p == NULL) {
		(void)printf("Bail out! no memory\n");
		exit(1);
	}
	return p;
}

static sm_envelope *read_env(const char *path);

/* Bob's decryption of `path` into `tmp`: the status. */
static int
bob_decrypt(const char *path,
            const char *tmp,
            sm_env_outcome *oc,
            sm_plain **plain,
            sealmail_error *err)
{
	sm_envelope *env = read_env(path);
	sm_cert *c = load_cert("bob@example.org");
	sm_key *k = load_key("bob@example.org");
	int rc = SEALMAIL_EINVAL;

	*oc = SM_ENV_NOT_FOR_KEY;
	*plain = NULL;
	test_assert(env != NULL);
	if (env != NULL)
		rc = sm_envelope_decrypt(env, c, k, tmp, oc, plain, err);
	sm_envelope_free(env);
	sm_key_free(k);
	sm_cert_free(c);
	return rc;
}

/* Flip one content octet (before the GCM tag) of the DER file `path`. */
static void
flip_content(const char *path)
{
	sm_buf b;

	sm_buf_init(&b, 1 << 24);
	test_assert_int(sm_read_file(&b, path, 1 << 24, NULL), SEALMAIL_OK);
	test_assert(b.len > 60);
	if (b.len > 60) {
		b.data[b.len - 40] ^= 0x01;
		write_file(path, b.data, b.len);
	}
	sm_buf_free(&b);
}

/* openssl cms -decrypt of dir/name with who's key matches the message. */
static bool
openssl_decrypts(const char *dir, const char *name, const char *who)
{
	char out[512];

	(void)snprintf(out, sizeof(out), "%s/%s.plain", dir, name);
	if (sh("openssl cms -decrypt -binary -inform DER -in %s/%s -inkey " PKI
	       "%s.key -recip " PKI "%s.crt -out %s 2>/dev/null",
	       dir, name, who, who, out) != 0)
		return false;
	return file_equals(out, message, strlen(message));
}

static sm_envelope *
read_env(const char *path)
{
	sm_buf b;
	sm_envelope *env = NULL;
	sealmail_error err;

	sm_buf_init(&b, 1 << 24);
	test_assert_int(sm_read_file(&b, path, 1 << 24, NULL), SEALMAIL_OK);
	if (sm_envelope_parse(&env, crypto, b.data, b.len, &err) != SEALMAIL_OK)
		(void)printf("#   parse %s: %s\n", path, err.message);
	sm_buf_free(&b);
	return env;
}

/* Our decryption of dir/name with who's key: the outcome. */
static sm_env_outcome
our_decrypt(const char *path, const char *who, bool expect_content)
{
	sm_envelope *env = read_env(path);
	sm_cert *c = load_cert(who);
	sm_key *k = load_key(who);
	const char *tmp = test_tmpdir();
	sm_env_outcome oc = SM_ENV_NOT_FOR_KEY;
	sm_plain *plain = NULL;

	test_assert(env != NULL);
	if (env != NULL) {
		test_assert_int(
		        sm_envelope_decrypt(env, c, k, tmp, &oc, &plain, NULL),
		        SEALMAIL_OK);
		if (expect_content) {
			test_assert(plain != NULL);
			if (plain != NULL) {
				/* small: in memory, nothing in the folder */
				test_assert(sm_plain_path(plain) == NULL);
				test_assert_int(test_count_entries(tmp), 0);
				test_assert(plain_equals(plain, message,
				                         strlen(message)));
				test_assert_int(sm_plain_size(plain),
				                strlen(message));
			}
		} else {
			test_assert(plain == NULL);
		}
		sm_plain_free(plain);
	}
	/* nothing left behind in the temporary parent */
	test_assert_int(test_count_entries(tmp), 0);
	sm_envelope_free(env);
	sm_key_free(k);
	sm_cert_free(c);
	return oc;
}

static void
test_cipher_names(void)
{
	sm_cipher c;

	setup();
	test_assert_int(sm_cipher_parse(&c, "aes-128-gcm", NULL), SEALMAIL_OK);
	test_assert_int(c, SM_CIPHER_AES128_GCM);
	test_assert(sm_cipher_is_aead(c));
	test_assert_int(sm_cipher_parse(&c, "aes-256-cbc", NULL), SEALMAIL_OK);
	test_assert(!sm_cipher_is_aead(c));
	test_assert_str(sm_cipher_name(c), "aes-256-cbc");
	test_assert_int(sm_cipher_parse(&c, "des-ede3-cbc", NULL),
	                SEALMAIL_EINVAL);
	test_assert_int(sm_cipher_parse(&c, "3des", NULL), SEALMAIL_EINVAL);
}

/* Every key type and cipher we write: openssl decrypts it, and so do we. */
static void
test_encrypt_matrix(void)
{
	static const struct {
		const char *who;
		sm_cipher cipher;
		bool oaep;
		const char *alg, *key_alg;
		bool auth;
	} cases[] = {
	        {"bob@example.org", SM_CIPHER_AES256_CBC, false, "AES-256-CBC",
	         "rsa", false},
	        {"bob@example.org", SM_CIPHER_AES128_CBC, false, "AES-128-CBC",
	         "rsa", false},
	        {"bob@example.org", SM_CIPHER_AES256_GCM, false, "AES-256-GCM",
	         "rsa", true},
	        {"bob@example.org", SM_CIPHER_AES128_GCM, true, "AES-128-GCM",
	         "rsa-oaep", true},
	        {"bob@example.org", SM_CIPHER_AES256_CBC, true, "AES-256-CBC",
	         "rsa-oaep", false},
	        {"carol@example.org", SM_CIPHER_AES256_GCM, false,
	         "AES-256-GCM", "ecdh", true},
	        {"carol@example.org", SM_CIPHER_AES128_CBC, false,
	         "AES-128-CBC", "ecdh", false},
	        {"dave@example.org", SM_CIPHER_AES256_CBC, false, "AES-256-CBC",
	         "ecdh", false},
	        {"dave@example.org", SM_CIPHER_AES256_GCM, false, "AES-256-GCM",
	         "ecdh", true},
	};
	const char *dir = test_tmpdir();

	setup();
	for (size_t i = 0; i < SM_ARRAY_SIZE(cases); i++) {
		char name[32], path[600];
		sm_envelope *env;
		const char *who[1] = {cases[i].who};

		(void)printf("# case %zu: %s %s%s\n", i, cases[i].who,
		             cases[i].alg, cases[i].oaep ? " oaep" : "");
		(void)snprintf(name, sizeof(name), "m%zu.der", i);
		(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
		test_assert_int(encrypt_to(dir, who, 1, cases[i].cipher,
		                           cases[i].oaep, false, name),
		                SEALMAIL_OK);
		test_assert(openssl_decrypts(dir, name, cases[i].who));
		env = read_env(path);
		test_assert(env != NULL);
		if (env == NULL)
			continue;
		test_assert_str(sm_envelope_algorithm(env), cases[i].alg);
		test_assert(!sm_envelope_weak(env));
		test_assert(sm_envelope_authenticated(env) == cases[i].auth);
		test_assert_int(sm_envelope_recipient_count(env), 1);
		test_assert_str(sm_envelope_recipient_at(env, 0)->key_alg,
		                cases[i].key_alg);
		test_assert_int(sm_envelope_recipient_at(env, 0)->kind,
		                SM_RID_ISSUER_SERIAL);
		sm_envelope_free(env);
		test_assert_int(our_decrypt(path, cases[i].who, true),
		                SM_ENV_DECRYPTED);
	}
}

/* Several recipients, base64 output that openssl reads as PEM-less b64. */
static void
test_multi_and_base64(void)
{
	const char *dir = test_tmpdir();
	const char *who[3] = {"alice@example.org", "carol@example.org",
	                      "bob@example.org"};
	char path[600];
	sm_envelope *env;
	sm_cert *bob, *dave;

	setup();
	test_assert_int(encrypt_to(dir, who, 3, SM_CIPHER_AES256_GCM, false,
	                           true, "m.b64"),
	                SEALMAIL_OK);
	{
		/* CRLF line ends, at most 76 columns (MIME) */
		char p[600];
		sm_buf b;
		size_t col = 0, bad = 0;

		(void)snprintf(p, sizeof(p), "%s/m.b64", dir);
		sm_buf_init(&b, 1 << 20);
		test_assert_int(sm_read_file(&b, p, 1 << 20, NULL),
		                SEALMAIL_OK);
		for (size_t k = 0; k < b.len; k++) {
			if (b.data[k] == '\n') {
				bad += k == 0 || b.data[k - 1] != '\r';
				col = 0;
			} else if (b.data[k] != '\r' && ++col > 76) {
				bad++;
			}
		}
		test_assert(b.len > 0 && b.data[b.len - 1] == '\n');
		test_assert_int(bad, 0);
		sm_buf_free(&b);
	}
	test_assert_int(sh("tr -d '\\r' < %s/m.b64 | openssl base64 -d "
	                   "-out %s/m.der",
	                   dir, dir),
	                0);
	for (size_t i = 0; i < 3; i++)
		test_assert(openssl_decrypts(dir, "m.der", who[i]));
	(void)snprintf(path, sizeof(path), "%s/m.der", dir);
	env = read_env(path);
	test_assert(env != NULL);
	if (env == NULL)
		return;
	test_assert_int(sm_envelope_recipient_count(env), 3);
	bob = load_cert("bob@example.org");
	dave = load_cert("dave@example.org");
	test_assert(sm_envelope_names(env, bob));
	test_assert(!sm_envelope_names(env, dave));
	{
		size_t hits = 0;
		for (size_t i = 0; i < 3; i++)
			hits += sm_envelope_recipient_is(env, i, bob);
		test_assert_int(hits, 1);
	}
	test_assert(sm_envelope_recipient_at(env, 0)->issuer != NULL);
	test_assert(strstr(sm_envelope_recipient_at(env, 0)->issuer, "CN=") !=
	            NULL);
	test_assert(sm_envelope_recipient_at(env, 0)->serial != NULL);
	test_assert(sm_envelope_recipient_at(env, 3) == NULL);
	sm_cert_free(bob);
	sm_cert_free(dave);
	sm_envelope_free(env);
}

static void
test_no_recipient(void)
{
	const char *dir = test_tmpdir();
	sealmail_error err;
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;

	setup();
	test_assert_int(sealmail_input_new_memory(&in, "x", 1, NULL),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_new_fd(&out, 1, NULL), SEALMAIL_OK);
	test_assert_int(sm_cms_encrypt(crypto, NULL, 0, SM_CIPHER_AES256_GCM,
	                               in, out, false, &err),
	                SEALMAIL_EINVAL);
	sealmail_output_free(out);
	sealmail_input_free(in);
	(void)dir;
}

/* What openssl writes, we read, with the right report. */
static void
test_openssl_encrypted(void)
{
	static const struct {
		const char *args; /* openssl options */
		const char *who;
		const char *alg, *key_alg;
		bool weak, auth;
		sm_rid_kind kind;
	} cases[] = {
	        {"cms -encrypt -aes-256-cbc", "bob@example.org", "AES-256-CBC",
	         "rsa", false, false, SM_RID_ISSUER_SERIAL},
	        {"cms -encrypt -aes-128-gcm", "bob@example.org", "AES-128-GCM",
	         "rsa", false, true, SM_RID_ISSUER_SERIAL},
	        {"cms -encrypt -aes-256-gcm -recip " PKI
	         "bob@example.org.crt -keyopt rsa_padding_mode:oaep",
	         "bob@example.org", "AES-256-GCM", "rsa-oaep", false, true,
	         SM_RID_ISSUER_SERIAL},
	        {"cms -encrypt -aes-256-cbc -keyid", "bob@example.org",
	         "AES-256-CBC", "rsa", false, false, SM_RID_SKI},
	        {"cms -encrypt -aes-256-gcm", "carol@example.org",
	         "AES-256-GCM", "ecdh", false, true, SM_RID_ISSUER_SERIAL},
	        {"cms -encrypt -aes-128-cbc", "dave@example.org", "AES-128-CBC",
	         "ecdh", false, false, SM_RID_ISSUER_SERIAL},
	        {"smime -encrypt -des3", "bob@example.org", "DES-EDE3-CBC",
	         "rsa", true, false, SM_RID_ISSUER_SERIAL},
	        {"smime -encrypt -rc2-40 -provider legacy -provider default",
	         "bob@example.org", "RC2-40-CBC", "rsa", true, false,
	         SM_RID_ISSUER_SERIAL},
	};
	const char *dir = test_tmpdir();

	setup();
	{
		char p[600];
		(void)snprintf(p, sizeof(p), "%s/msg", dir);
		write_file(p, message, strlen(message));
	}
	for (size_t i = 0; i < SM_ARRAY_SIZE(cases); i++) {
		char path[600];
		sm_envelope *env;

		(void)printf("# case %zu: openssl %s\n", i, cases[i].args);
		(void)snprintf(path, sizeof(path), "%s/o%zu.der", dir, i);
		if (strstr(cases[i].args, "-recip") != NULL)
			test_assert_int(sh("openssl %s -binary -outform DER "
			                   "-in %s/msg -out %s",
			                   cases[i].args, dir, path),
			                0);
		else
			test_assert_int(sh("openssl %s -binary -outform DER "
			                   "-in %s/msg -out %s " PKI "%s.crt",
			                   cases[i].args, dir, path,
			                   cases[i].who),
			                0);
		env = read_env(path);
		test_assert(env != NULL);
		if (env == NULL)
			continue;
		test_assert_str(sm_envelope_algorithm(env), cases[i].alg);
		test_assert(sm_envelope_weak(env) == cases[i].weak);
		test_assert(sm_envelope_authenticated(env) == cases[i].auth);
		test_assert_int(sm_envelope_recipient_count(env), 1);
		test_assert_str(sm_envelope_recipient_at(env, 0)->key_alg,
		                cases[i].key_alg);
		test_assert_int(sm_envelope_recipient_at(env, 0)->kind,
		                cases[i].kind);
		if (cases[i].kind == SM_RID_SKI)
			test_assert(sm_envelope_recipient_at(env, 0)->ski !=
			            NULL);
		sm_envelope_free(env);
		test_assert_int(our_decrypt(path, cases[i].who, true),
		                SM_ENV_DECRYPTED);
		/* a key it was not for */
		test_assert_int(our_decrypt(path, "erin@example.org", false),
		                SM_ENV_NOT_FOR_KEY);
	}
}

/* One flipped ciphertext byte: GCM reports the tag, no content anywhere. */
static void
test_gcm_flip(void)
{
	const char *dir = test_tmpdir();
	const char *who[1] = {"bob@example.org"};
	char path[600];
	sm_buf b;

	setup();
	test_assert_int(encrypt_to(dir, who, 1, SM_CIPHER_AES256_GCM, false,
	                           false, "g.der"),
	                SEALMAIL_OK);
	(void)snprintf(path, sizeof(path), "%s/g.der", dir);
	sm_buf_init(&b, 1 << 20);
	test_assert_int(sm_read_file(&b, path, 1 << 20, NULL), SEALMAIL_OK);
	/* the content octets are near the end: before the 16-byte tag */
	test_assert(b.len > 60);
	if (b.len > 60) {
		size_t at = b.len - 40;
		b.data[at] ^= 0x01;
		write_file(path, b.data, b.len);
	}
	sm_buf_free(&b);
	test_assert_int(our_decrypt(path, "bob@example.org", false),
	                SM_ENV_TAG_FAILED);
	test_assert(sh("openssl cms -decrypt -inform DER -in %s -inkey " PKI
	               "bob@example.org.key >/dev/null 2>&1",
	               path) != 0);
}

/*
 * With no folder given, a plaintext over the memory limit goes to
 * P_tmpdir: the library reads no environment, so a TMPDIR naming a missing
 * folder changes nothing (the CLI passes $TMPDIR itself,
 * sealmail_open_options.temp_dir).
 */
static void
test_tmp_parent_default(void)
{
	const char *dir = test_tmpdir();
	const char *who[1] = {"bob@example.org"};
	const char *old = getenv("TMPDIR");
	char *saved = old != NULL ? strdup(old) : NULL;
	char path[600], missing[600];
	sm_env_outcome oc = SM_ENV_NOT_FOR_KEY;
	sm_plain *plain = NULL;
	sm_envelope *env;
	sm_cert *c;
	sm_key *k;
	unsigned char *data = big_data(MEM_MAX + 1);

	setup();
	test_assert_int(encrypt_data_to(dir, who, 1, SM_CIPHER_AES256_GCM,
	                                false, false, data, MEM_MAX + 1,
	                                "t.der"),
	                SEALMAIL_OK);
	free(data);
	(void)snprintf(path, sizeof(path), "%s/t.der", dir);
	(void)snprintf(missing, sizeof(missing), "%s/no-such-folder", dir);
	env = read_env(path);
	c = load_cert("bob@example.org");
	k = load_key("bob@example.org");
	test_assert(env != NULL);
	test_assert_int(setenv("TMPDIR", missing, 1), 0);
	if (env != NULL) {
		test_assert_int(
		        sm_envelope_decrypt(env, c, k, NULL, &oc, &plain, NULL),
		        SEALMAIL_OK);
		test_assert_int(oc, SM_ENV_DECRYPTED);
		test_assert(plain != NULL);
		if (plain != NULL) {
			test_assert(sm_plain_path(plain) != NULL);
			if (sm_plain_path(plain) != NULL)
				test_assert(strncmp(sm_plain_path(plain),
				                    P_tmpdir "/sealmail-",
				                    strlen(P_tmpdir
				                           "/sealmail-")) == 0);
		}
	}
	if (saved != NULL)
		test_assert_int(setenv("TMPDIR", saved, 1), 0);
	else
		test_assert_int(unsetenv("TMPDIR"), 0);
	free(saved);
	sm_plain_free(plain);
	sm_envelope_free(env);
	sm_key_free(k);
	sm_cert_free(c);
}

/*
 * Damage after the header is found while the content streams: the header
 * parses, decryption fails with EBADDATA, nothing is published or left in
 * the temporary folder, and the content cannot be read a second time.
 */
static void
test_truncated_content(void)
{
	const char *dir = test_tmpdir();
	const char *who[1] = {"bob@example.org"};
	char path[600];
	sm_buf b;
	sm_envelope *env = NULL;
	sm_cert *c;
	sm_key *k;
	sm_plain *plain = NULL;
	sm_env_outcome oc = SM_ENV_DECRYPTED;
	sealmail_error err;
	char tmp[600];

	setup();
	(void)snprintf(tmp, sizeof(tmp), "%s/trunc-tmp", dir);
	test_assert(mkdir(tmp, 0700) == 0);
	test_assert_int(encrypt_to(dir, who, 1, SM_CIPHER_AES256_GCM, false,
	                           false, "t.der"),
	                SEALMAIL_OK);
	(void)snprintf(path, sizeof(path), "%s/t.der", dir);
	sm_buf_init(&b, 1 << 20);
	test_assert_int(sm_read_file(&b, path, 1 << 20, NULL), SEALMAIL_OK);
	test_assert(b.len > 100);
	/* cut inside the content: the tag and the closing octets are gone */
	test_assert_int(
	        sm_envelope_parse(&env, crypto, b.data, b.len - 60, &err),
	        SEALMAIL_OK);
	sm_buf_free(&b);
	if (env == NULL)
		return;
	test_assert_str(sm_envelope_algorithm(env), "AES-256-GCM");
	c = load_cert("bob@example.org");
	k = load_key("bob@example.org");
	test_assert_int(sm_envelope_decrypt(env, c, k, tmp, &oc, &plain, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "not a CMS structure: not enough data");
	test_assert(plain == NULL);
	test_assert_int(oc, SM_ENV_NOT_FOR_KEY);
	test_assert_int(test_count_entries(tmp), 0);
	test_assert_int(sm_envelope_decrypt(env, c, k, tmp, &oc, &plain, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "the encrypted content was already read");
	sm_envelope_free(env);
	sm_key_free(k);
	sm_cert_free(c);
}

/*
 * Up to 1 MiB the plaintext lives in memory (no path, nothing in the
 * folder); past it, it moves to a 0600 file in a 0700 private folder that
 * is removed with the plain.  Both ciphers, at the limit and one past it.
 */
static void
test_plain_spill(void)
{
	const char *dir = test_tmpdir();
	const char *who[1] = {"bob@example.org"};
	static const size_t sizes[] = {MEM_MAX, MEM_MAX + 1, 3 * MEM_MAX};
	static const sm_cipher ciphers[] = {SM_CIPHER_AES256_GCM,
	                                    SM_CIPHER_AES128_CBC};
	unsigned char *data = big_data(3 * MEM_MAX);
	char path[600], tmp[600], folder[700];
	sm_env_outcome oc;
	sm_plain *plain;
	sealmail_error err;

	setup();
	(void)snprintf(path, sizeof(path), "%s/s.der", dir);
	for (size_t ci = 0; ci < 2; ci++) {
		for (size_t si = 0; si < 3; si++) {
			size_t len = sizes[si];
			struct stat st;
			const char *pp;

			(void)snprintf(tmp, sizeof(tmp), "%s/spill-%zu-%zu",
			               dir, ci, si);
			test_assert(mkdir(tmp, 0700) == 0);
			test_assert_int(
			        encrypt_data_to(dir, who, 1, ciphers[ci], false,
			                        false, data, len, "s.der"),
			        SEALMAIL_OK);
			test_assert_int(
			        bob_decrypt(path, tmp, &oc, &plain, &err),
			        SEALMAIL_OK);
			test_assert_int(oc, SM_ENV_DECRYPTED);
			test_assert(plain != NULL);
			if (plain == NULL)
				continue;
			test_assert_int(sm_plain_size(plain), len);
			test_assert(plain_equals(plain, data, len));
			pp = sm_plain_path(plain);
			if (len <= MEM_MAX) {
				test_assert(pp == NULL);
				test_assert_int(test_count_entries(tmp), 0);
			} else {
				test_assert(pp != NULL);
				test_assert_int(test_count_entries(tmp), 1);
			}
			if (len > MEM_MAX && pp != NULL) {
				(void)snprintf(folder, sizeof(folder),
				               "%s/sealmail-", tmp);
				test_assert(strncmp(pp, folder,
				                    strlen(folder)) == 0);
				test_assert(file_equals(pp, data, len));
				test_assert(stat(pp, &st) == 0);
				test_assert_int(st.st_mode & 0777, 0600);
				(void)snprintf(folder, sizeof(folder), "%s",
				               pp);
				*strrchr(folder, '/') = '\0';
				test_assert(stat(folder, &st) == 0);
				test_assert_int(st.st_mode & 0777, 0700);
			}
			sm_plain_free(plain);
			test_assert_int(test_count_entries(tmp), 0);
		}
	}
	free(data);
}

/*
 * A missing temporary folder is an error only for a plaintext that has to
 * leave memory: the spill fails with EIO naming the folder, nothing
 * published.
 */
static void
test_plain_spill_fails(void)
{
	const char *dir = test_tmpdir();
	const char *who[1] = {"bob@example.org"};
	unsigned char *data = big_data(2 * MEM_MAX);
	char path[600], missing[600], want[700];
	sm_env_outcome oc;
	sm_plain *plain;
	sealmail_error err;

	setup();
	(void)snprintf(path, sizeof(path), "%s/m.der", dir);
	(void)snprintf(missing, sizeof(missing), "%s/no-such-folder", dir);
	test_assert_int(encrypt_data_to(dir, who, 1, SM_CIPHER_AES256_GCM,
	                                false, false, data, MEM_MAX, "m.der"),
	                SEALMAIL_OK);
	test_assert_int(bob_decrypt(path, missing, &oc, &plain, &err),
	                SEALMAIL_OK);
	test_assert_int(oc, SM_ENV_DECRYPTED);
	test_assert(plain != NULL && sm_plain_path(plain) == NULL);
	sm_plain_free(plain);
	test_assert_int(encrypt_data_to(dir, who, 1, SM_CIPHER_AES256_GCM,
	                                false, false, data, 2 * MEM_MAX,
	                                "m.der"),
	                SEALMAIL_OK);
	test_assert_int(bob_decrypt(path, missing, &oc, &plain, &err),
	                SEALMAIL_EIO);
	(void)snprintf(want, sizeof(want),
	               "cannot create a private folder in %s: No such file or "
	               "directory",
	               missing);
	test_assert_str(err.message, want);
	test_assert(plain == NULL);
	sm_plain_free(plain);
	free(data);
}

/*
 * Without memfd_create even a small plaintext goes to the private folder
 * (the code before memory files), and a missing folder is EIO.
 */
static void
test_plain_no_memfd(void)
{
	const char *dir = test_tmpdir();
	const char *who[1] = {"bob@example.org"};
	char path[600], tmp[600], missing[600];
	sm_env_outcome oc;
	sm_plain *plain;
	sealmail_error err;

	setup();
	(void)snprintf(path, sizeof(path), "%s/n.der", dir);
	(void)snprintf(tmp, sizeof(tmp), "%s/no-memfd", dir);
	(void)snprintf(missing, sizeof(missing), "%s/no-such-folder", dir);
	test_assert(mkdir(tmp, 0700) == 0);
	test_assert_int(encrypt_to(dir, who, 1, SM_CIPHER_AES256_GCM, false,
	                           false, "n.der"),
	                SEALMAIL_OK);
	memfd_missing = true;
	test_assert_int(bob_decrypt(path, tmp, &oc, &plain, &err), SEALMAIL_OK);
	test_assert_int(oc, SM_ENV_DECRYPTED);
	test_assert(plain != NULL);
	if (plain != NULL) {
		test_assert(sm_plain_path(plain) != NULL);
		test_assert_int(test_count_entries(tmp), 1);
		test_assert(plain_equals(plain, message, strlen(message)));
	}
	sm_plain_free(plain);
	test_assert_int(test_count_entries(tmp), 0);
	test_assert_int(bob_decrypt(path, missing, &oc, &plain, &err),
	                SEALMAIL_EIO);
	test_assert(strncmp(err.message, "cannot create a private folder in ",
	                    strlen("cannot create a private folder in ")) == 0);
	test_assert(plain == NULL);
	memfd_missing = false;
}

/*
 * A GCM tag failure publishes nothing whether the plaintext was still in
 * memory (1 MiB) or already in the private folder (3 MiB), and leaves
 * nothing in the folder.
 */
static void
test_plain_tag_failed(void)
{
	const char *dir = test_tmpdir();
	const char *who[1] = {"bob@example.org"};
	static const size_t sizes[] = {MEM_MAX, 3 * MEM_MAX};
	unsigned char *data = big_data(3 * MEM_MAX);
	char path[600], tmp[600];
	sm_env_outcome oc;
	sm_plain *plain;
	sealmail_error err;

	setup();
	(void)snprintf(path, sizeof(path), "%s/f.der", dir);
	for (size_t si = 0; si < 2; si++) {
		(void)snprintf(tmp, sizeof(tmp), "%s/flip-%zu", dir, si);
		test_assert(mkdir(tmp, 0700) == 0);
		test_assert_int(
		        encrypt_data_to(dir, who, 1, SM_CIPHER_AES256_GCM,
		                        false, false, data, sizes[si], "f.der"),
		        SEALMAIL_OK);
		flip_content(path);
		test_assert_int(bob_decrypt(path, tmp, &oc, &plain, &err),
		                SEALMAIL_OK);
		test_assert_int(oc, SM_ENV_TAG_FAILED);
		test_assert(plain == NULL);
		sm_plain_free(plain);
		test_assert_int(test_count_entries(tmp), 0);
	}
	free(data);
}

/* sm_envelope_set_direct's callback: what it was given, what it does. */
typedef struct direct_probe {
	sealmail_output *out; /* NULL: keep the plaintext */
	const unsigned char *data;
	size_t calls, head_len;
	bool head_ok;
	int fail; /* a status to end the decryption with */
} direct_probe;

static int
probe_direct(sealmail_output **out,
             const unsigned char *head,
             size_t len,
             void *payload,
             sealmail_error *err)
{
	direct_probe *p = payload;

	p->calls++;
	p->head_len = len;
	p->head_ok = memcmp(head, p->data, len) == 0;
	if (p->fail != 0)
		return sm_error_set(err, p->fail, "probe failed");
	if (p->out == NULL)
		return SEALMAIL_OK;
	*out = p->out;
	if (sealmail_output_write(p->out, "HEAD:", 5, err) != SEALMAIL_OK)
		return SEALMAIL_EIO;
	return sealmail_output_write(p->out, head, len, err);
}

/* Bob's decryption of `path` with the probe; a missing folder for `tmp`. */
static int
direct_decrypt(const char *path,
               const char *tmp,
               direct_probe *p,
               sm_env_outcome *oc,
               sm_plain **plain,
               sealmail_error *err)
{
	sm_envelope *env = read_env(path);
	sm_cert *c = load_cert("bob@example.org");
	sm_key *k = load_key("bob@example.org");
	int rc = SEALMAIL_EINVAL;

	*plain = NULL;
	if (env != NULL) {
		sm_envelope_set_direct(env, MEM_MAX, probe_direct, p);
		rc = sm_envelope_decrypt(env, c, k, tmp, oc, plain, err);
	}
	sm_envelope_free(env);
	sm_key_free(k);
	sm_cert_free(c);
	return rc;
}

/* Does the file `path` hold "HEAD:" and then `data`? */
static bool
holds_head_and(const char *path, const unsigned char *data, size_t len)
{
	static const unsigned char head[5] = {'H', 'E', 'A', 'D', ':'};
	unsigned char *want = malloc(len + 5);
	bool r;

	if (want == NULL)
		return false;
	memcpy(want, head, sizeof(head));
	memcpy(want + 5, data, len);
	r = file_equals(path, want, len + 5);
	free(want);
	return r;
}

/*
 * sm_envelope_set_direct: past the first MiB (and only then), the callback
 * gets the first bytes and the rest goes to its output, with no private
 * file (a missing folder is no error); the published plaintext is that
 * prefix.  A callback that keeps the plaintext gets today's whole file; one
 * that fails ends the decryption with its status; a GCM tag that fails
 * after bytes went out publishes nothing (the output is the caller's to
 * forget).
 */
static void
test_direct(void)
{
	const char *dir = test_tmpdir();
	const char *who[1] = {"bob@example.org"};
	static const sm_cipher ciphers[] = {SM_CIPHER_AES256_GCM,
	                                    SM_CIPHER_AES256_CBC};
	size_t len = 3 * MEM_MAX + 5;
	unsigned char *data = big_data(len);
	char path[600], missing[600], outp[600], tmp[600];
	sm_env_outcome oc = SM_ENV_CONTENT_FAILED;
	sm_plain *plain;
	sealmail_error err;

	setup();
	(void)snprintf(path, sizeof(path), "%s/d.der", dir);
	(void)snprintf(missing, sizeof(missing), "%s/no-such-folder", dir);
	(void)snprintf(outp, sizeof(outp), "%s/d.out", dir);
	(void)snprintf(tmp, sizeof(tmp), "%s/direct-tmp", dir);
	test_assert(mkdir(tmp, 0700) == 0);
	for (size_t ci = 0; ci < 2; ci++) {
		direct_probe p = {.data = data};

		test_assert_int(encrypt_data_to(dir, who, 1, ciphers[ci], false,
		                                false, data, len, "d.der"),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_new_path(&p.out, outp, NULL),
		                SEALMAIL_OK);
		test_assert_int(
		        direct_decrypt(path, missing, &p, &oc, &plain, &err),
		        SEALMAIL_OK);
		test_assert_int(oc, SM_ENV_DECRYPTED);
		test_assert_int(p.calls, 1);
		test_assert(p.head_ok);
		test_assert(p.head_len > 0 && p.head_len <= MEM_MAX);
		test_assert(plain != NULL && sm_plain_path(plain) == NULL);
		if (plain != NULL) {
			test_assert_int(sm_plain_size(plain), p.head_len);
			test_assert(plain_equals(plain, data, p.head_len));
		}
		sm_plain_free(plain);
		test_assert_int(sealmail_output_commit(p.out, NULL),
		                SEALMAIL_OK);
		sealmail_output_free(p.out);
		test_assert(holds_head_and(outp, data, len));

		/* the callback keeps the plaintext: all of it, in the file */
		p = (direct_probe){.data = data};
		test_assert_int(
		        direct_decrypt(path, tmp, &p, &oc, &plain, &err),
		        SEALMAIL_OK);
		test_assert_int(oc, SM_ENV_DECRYPTED);
		test_assert_int(p.calls, 1);
		test_assert(plain != NULL && sm_plain_path(plain) != NULL);
		if (plain != NULL)
			test_assert(plain_equals(plain, data, len));
		sm_plain_free(plain);
		test_assert_int(test_count_entries(tmp), 0);

		/* the callback fails: so does the decryption */
		p = (direct_probe){.data = data, .fail = SEALMAIL_EIO};
		test_assert_int(
		        direct_decrypt(path, tmp, &p, &oc, &plain, &err),
		        SEALMAIL_EIO);
		test_assert_str(err.message, "probe failed");
		test_assert(plain == NULL);
		test_assert_int(test_count_entries(tmp), 0);
	}

	/* the tag fails after 3 MiB went out: nothing published */
	{
		direct_probe p = {.data = data};

		test_assert_int(encrypt_data_to(dir, who, 1,
		                                SM_CIPHER_AES256_GCM, false,
		                                false, data, len, "d.der"),
		                SEALMAIL_OK);
		flip_content(path);
		test_assert_int(sealmail_output_new_path(&p.out, outp, NULL),
		                SEALMAIL_OK);
		test_assert_int(
		        direct_decrypt(path, missing, &p, &oc, &plain, &err),
		        SEALMAIL_OK);
		test_assert_int(oc, SM_ENV_TAG_FAILED);
		test_assert_int(p.calls, 1);
		test_assert(plain == NULL);
		sealmail_output_free(p.out);
	}

	/* up to the first MiB: never asked, the plaintext as before */
	{
		direct_probe p = {.data = data};

		test_assert_int(encrypt_data_to(dir, who, 1,
		                                SM_CIPHER_AES256_GCM, false,
		                                false, data, MEM_MAX, "d.der"),
		                SEALMAIL_OK);
		test_assert_int(
		        direct_decrypt(path, missing, &p, &oc, &plain, &err),
		        SEALMAIL_OK);
		test_assert_int(oc, SM_ENV_DECRYPTED);
		test_assert_int(p.calls, 0);
		test_assert(plain != NULL);
		if (plain != NULL)
			test_assert(plain_equals(plain, data, MEM_MAX));
		sm_plain_free(plain);
	}
	free(data);
}

static void
test_not_enveloped(void)
{
	sm_envelope *env = NULL;
	sealmail_error err;
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	/* ContentInfo { id-data, [0] OCTET STRING "" } */
	static const unsigned char data[] = {0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86,
	                                     0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07,
	                                     0x01, 0xa0, 0x02, 0x04, 0x00};
	const char *dir = test_tmpdir();
	char path[600];
	sm_buf b;

	setup();
	test_assert_int(
	        sm_envelope_parse(&env, crypto, junk, sizeof(junk), &err),
	        SEALMAIL_EBADDATA);
	test_assert(env == NULL);
	test_assert_int(sm_envelope_parse(&env, crypto, junk, 2, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "not a CMS structure: not enough data");
	test_assert_int(sm_envelope_parse(&env, crypto, junk, 0, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "the encrypted part is empty");
	test_assert_int(
	        sm_envelope_parse(&env, crypto, data, sizeof(data), &err),
	        SEALMAIL_EBADDATA);
	test_assert(strncmp(err.message, "not an encrypted message (", 26) ==
	            0);
	/* a signed-data structure is not an encrypted one */
	(void)snprintf(path, sizeof(path), "%s/s.der", dir);
	test_assert(
	        sh("printf hello | openssl cms -sign -nodetach -outform DER "
	           "-signer " PKI "bob@example.org.crt -inkey " PKI
	           "bob@example.org.key -out %s 2>/dev/null",
	           path) == 0);
	sm_buf_init(&b, 1 << 20);
	test_assert_int(sm_read_file(&b, path, 1 << 20, NULL), SEALMAIL_OK);
	test_assert_int(sm_envelope_parse(&env, crypto, b.data, b.len, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message,
	                "not an encrypted message (CMS type pkcs7-signedData)");
	test_assert(env == NULL);
	sm_buf_free(&b);
}

static void
test_caps(void)
{
	/* SEQUENCE { {aes256-GCM}, {rsaesOaep}, {aes128-CBC} } */
	static const unsigned char caps[] = {
	        0x30, 0x27, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
	        0x01, 0x65, 0x03, 0x04, 0x01, 0x2e, 0x30, 0x0b, 0x06,
	        0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	        0x07, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	        0x65, 0x03, 0x04, 0x01, 0x02};

	setup();
	test_assert_int(sm_smime_caps_bits(caps, sizeof(caps)),
	                SM_CAP_AES256_GCM | SM_CAP_RSA_OAEP |
	                        SM_CAP_AES128_CBC);
	test_assert_int(sm_smime_caps_bits(caps, sizeof(caps) - 1), 0);
	test_assert_int(sm_smime_caps_bits(NULL, 0), 0);
}

static void
setup(void)
{
	if (crypto != NULL)
		return;
	if (sm_crypto_new(&crypto, NULL) != SEALMAIL_OK) {
		(void)printf("Bail out! no crypto\n");
		exit(1);
	}
}

static void
teardown(void)
{
	sm_crypto_free(crypto);
	crypto = NULL;
}

static const struct test_case tests[] = {
        {"setup", setup},
        {"cipher_names", test_cipher_names},
        {"caps", test_caps},
        {"encrypt_matrix", test_encrypt_matrix},
        {"multi_and_base64", test_multi_and_base64},
        {"no_recipient", test_no_recipient},
        {"openssl_encrypted", test_openssl_encrypted},
        {"gcm_flip", test_gcm_flip},
        {"tmp_parent_default", test_tmp_parent_default},
        {"truncated_content", test_truncated_content},
        {"plain_spill", test_plain_spill},
        {"plain_spill_fails", test_plain_spill_fails},
        {"plain_tag_failed", test_plain_tag_failed},
        {"plain_no_memfd", test_plain_no_memfd},
        {"direct", test_direct},
        {"not_enveloped", test_not_enveloped},
        {"teardown", teardown},
};

TEST_MAIN(tests)
