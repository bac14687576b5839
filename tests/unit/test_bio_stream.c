/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for crypto/bio_stream.c: the base64 encoder BIO against sm_b64
 * with random write sizes, OpenSSL's streaming CMS signing written through
 * it and read back by sm_b64_reader + sm_cms_reader, and CMS decryption
 * (CBC, GCM, a flipped byte, truncation) from the CMS content source BIO.
 */
#include "crypto/crypto_int.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "b64.h"

#include "harness.h"

#define DATA SEALMAIL_TEST_DATA "/cms/"

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static unsigned char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	unsigned char *p;
	long n;

	(void)snprintf(path, sizeof(path), "%s%s", DATA, name);
	f = fopen(path, "rb");
	if (f == NULL)
		exit(1);
	(void)fseek(f, 0, SEEK_END);
	n = ftell(f);
	(void)fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	(void)fclose(f);
	p[n] = 0;
	*len = (size_t)n;
	return p;
}

static size_t
b64_oneshot(unsigned char *out, const unsigned char *in, size_t len)
{
	sm_b64_enc e;
	size_t n;

	sm_b64_enc_init(&e, SM_B64_MIME_LINE, SM_B64_PORTABLE);
	n = sm_b64_enc_update(&e, out, in, len);
	return n + sm_b64_enc_final(&e, out + n);
}

/* Counts the writes a memory BIO gets and the smallest but the last. */
struct write_count {
	size_t n, min, last;
};

static long
count_writes(BIO *b,
             int oper,
             const char *argp,
             size_t len,
             int argi,
             long argl,
             int ret,
             size_t *processed)
{
	struct write_count *c = (struct write_count *)BIO_get_callback_arg(b);

	(void)argp;
	(void)argi;
	(void)argl;
	(void)processed;
	if (oper == BIO_CB_WRITE) {
		if (c->n > 0 && c->last < c->min)
			c->min = c->last;
		c->n++;
		c->last = len;
	}
	return ret;
}

/*
 * The encoder gathers its text: 1.2 MB written 4 KiB at a time (as
 * OpenSSL's cipher BIO writes) reaches the next BIO in writes of 256 KiB
 * or more, the last one excepted, and is the same text.
 */
static void
test_encoder_gathers(void)
{
	const size_t len = 1200000;
	unsigned char *in = malloc(len), *want = malloc(len * 2);
	size_t wl, done = 0;
	BIO *enc = sm_bio_b64_encoder_new(SM_B64_MIME_LINE);
	BIO *mem = BIO_new(BIO_s_mem());
	BIO *chain = BIO_push(enc, mem);
	struct write_count c = {0, (size_t)-1, 0};
	char *got;
	long gl;

	for (size_t i = 0; i < len; i++)
		in[i] = (unsigned char)rng();
	wl = b64_oneshot(want, in, len);
	BIO_set_callback_ex(mem, count_writes);
	BIO_set_callback_arg(mem, (char *)&c);
	while (done < len) {
		size_t w = len - done < 4096 ? len - done : 4096;

		test_assert_int(BIO_write(chain, in + done, (int)w), w);
		done += w;
	}
	test_assert_int(BIO_flush(chain), 1);
	gl = BIO_get_mem_data(mem, &got);
	test_assert_int(gl, wl);
	test_assert(gl == (long)wl && memcmp(got, want, wl) == 0);
	test_assert(c.n >= 2 && c.n <= wl / (256 << 10) + 1);
	test_assert(c.min >= (256 << 10));
	test_assert(c.last > 0 && c.last < (256 << 10) + 70000);
	BIO_free_all(chain);
	free(in);
	free(want);
}

static void
test_encoder(void)
{
	const size_t len = 300000;
	unsigned char *in = malloc(len), *want = malloc(len * 2);

	for (size_t i = 0; i < len; i++)
		in[i] = (unsigned char)rng();
	for (int round = 0; round < 6; round++) {
		size_t n = round == 0 ? 0 : len - (size_t)round * 7;
		size_t wl = b64_oneshot(want, in, n), done = 0;
		BIO *enc = sm_bio_b64_encoder_new(SM_B64_MIME_LINE);
		BIO *mem = BIO_new(BIO_s_mem());
		BIO *chain = BIO_push(enc, mem);
		char *got;
		long gl;

		while (done < n) {
			size_t w = 1 + rng() % (round % 2 ? 100 : 100000);

			if (w > n - done)
				w = n - done;
			test_assert_int(BIO_write(chain, in + done, (int)w), w);
			done += w;
		}
		test_assert_int(BIO_flush(chain), 1);
		gl = BIO_get_mem_data(mem, &got);
		test_assert_int(gl, wl);
		test_assert(gl == (long)wl &&
		            (wl == 0 || memcmp(got, want, wl) == 0));
		BIO_free_all(chain);
	}
	free(in);
	free(want);
}

struct mem_src {
	const unsigned char *p;
	size_t len, pos;
};

static long
mem_read(void *buf, size_t len, void *payload)
{
	struct mem_src *s = payload;
	size_t n = s->len - s->pos;

	if (n > len)
		n = len;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (long)n;
}

static void
load_id(EVP_PKEY **pkey, X509 **cert)
{
	size_t kl, cl;
	unsigned char *k = slurp("key.pem", &kl), *c = slurp("cert.pem", &cl);
	BIO *kb = BIO_new_mem_buf(k, (int)kl),
	    *cb = BIO_new_mem_buf(c, (int)cl);

	*pkey = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	*cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	BIO_free(kb);
	BIO_free(cb);
	free(k);
	free(c);
}

/* OpenSSL signs in streaming mode through the encoder; we read it back. */
static void
test_sign_through_encoder(void)
{
	size_t ml;
	unsigned char *msg = slurp("msg.txt", &ml);
	EVP_PKEY *pkey;
	X509 *cert;
	BIO *data = BIO_new_mem_buf(msg, (int)ml);
	BIO *mem = BIO_new(BIO_s_mem());
	BIO *chain = BIO_push(sm_bio_b64_encoder_new(SM_B64_MIME_LINE), mem);
	CMS_ContentInfo *cms;
	char *text;
	long tl;
	sm_b64_reader *b = malloc(sizeof(*b));
	struct mem_src src;
	sm_cms_reader *r = NULL;
	sealmail_error err = {0};
	static unsigned char content[70000];
	size_t got = 0;
	long n;

	load_id(&pkey, &cert);
	cms = CMS_sign(cert, pkey, NULL, data, CMS_STREAM | CMS_BINARY);
	test_assert(cms != NULL);
	test_assert_int(
	        i2d_CMS_bio_stream(chain, cms, data, CMS_STREAM | CMS_BINARY),
	        1);
	test_assert_int(BIO_flush(chain), 1);
	tl = BIO_get_mem_data(mem, &text);
	/* MIME lines: 76 characters and CRLF */
	test_assert(tl > 78 && text[76] == '\r' && text[77] == '\n');
	test_assert(text[tl - 2] == '\r' && text[tl - 1] == '\n');
	src = (struct mem_src){(const unsigned char *)text, (size_t)tl, 0};
	sm_b64_reader_init(b, mem_read, &src, SM_B64_STRICT, SM_B64_AUTO);
	test_assert_int(sm_cms_reader_new(&r, sm_b64_reader_read, b, &err),
	                SEALMAIL_OK);
	while ((n = sm_cms_reader_read(r, content + got, sizeof(content) - got,
	                               &err)) > 0)
		got += (size_t)n;
	test_assert_int(n, 0);
	test_assert_int(got, ml);
	test_assert(memcmp(content, msg, ml) == 0);
	test_assert_int(sm_cms_reader_finish(r, &err), SEALMAIL_OK);
	test_assert(sm_cms_reader_field(r, SM_CMS_F_SIGNER_INFOS,
	                                &(size_t){0}) != NULL);
	sm_cms_reader_free(r);
	CMS_ContentInfo_free(cms);
	BIO_free_all(chain);
	BIO_free(data);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	free(b);
	free(msg);
}

/* Returns the source's status; `*match` when the plaintext is msg.txt. */
static int
decrypt(const char *file, long flip, size_t cut, bool *match)
{
	size_t len, ml;
	unsigned char *in = slurp(file, &len), *msg = slurp("msg.txt", &ml);
	EVP_PKEY *pkey;
	X509 *cert;
	struct mem_src s;
	sm_cms_reader *r = NULL;
	sm_buf der;
	const unsigned char *p;
	CMS_ContentInfo *cms = NULL;
	BIO *src = NULL, *chain = NULL;
	static unsigned char out[70000];
	size_t got = 0;
	int n, rc = SEALMAIL_ERROR;
	sealmail_error err = {0};

	*match = false;
	load_id(&pkey, &cert);
	if (flip >= 0)
		in[flip] ^= 1;
	s = (struct mem_src){in, cut > 0 ? cut : len, 0};
	sm_buf_init(&der, 1 << 20);
	if (sm_cms_reader_new(&r, mem_read, &s, &err) != 0 ||
	    sm_cms_reader_detached_der(r, &der, &err) != 0)
		goto done;
	p = der.data;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
	if (cms == NULL || CMS_decrypt_set1_pkey(cms, pkey, cert) != 1)
		goto done;
	src = sm_bio_cms_content_new(r);
	chain = CMS_dataInit(cms, src);
	if (chain == NULL)
		goto done;
	if (sm_cms_reader_type(r) == SM_CMS_AUTH_ENVELOPED)
		sm_bio_cms_content_set_cipher(src, chain);
	while ((n = BIO_read(chain, out + got, 4096)) > 0)
		got += (size_t)n;
	rc = sm_bio_cms_content_status(src, &err);
	if (rc == SEALMAIL_OK && BIO_get_cipher_status(chain) != 1)
		rc = SEALMAIL_EBADDATA; /* GCM tag or CBC padding */
	*match = got == ml && memcmp(out, msg, ml) == 0;
done:
	ERR_clear_error();
	while (chain != NULL && chain != src) {
		BIO *next = BIO_pop(chain);

		BIO_free(chain);
		chain = next;
	}
	BIO_free(src);
	CMS_ContentInfo_free(cms);
	sm_buf_free(&der);
	sm_cms_reader_free(r);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	free(in);
	free(msg);
	return rc;
}

static void
test_decrypt_source(void)
{
	static const char *const files[] = {"env-cbc.der", "env-cbc-stream.der",
	                                    "auth-gcm.der",
	                                    "auth-gcm-stream.der"};
	bool match;

	for (size_t i = 0; i < SM_ARRAY_SIZE(files); i++) {
		test_assert_int(decrypt(files[i], -1, 0, &match), SEALMAIL_OK);
		test_assert(match);
	}
	/* a flipped ciphertext byte: the GCM tag fails at the end */
	test_assert_int(decrypt("auth-gcm-stream.der", 1000, 0, &match),
	                SEALMAIL_EBADDATA);
	test_assert(!match);
	/* a flipped tag byte (the last bytes before the closing EOCs) */
	{
		size_t len;
		unsigned char *in = slurp("auth-gcm.der", &len);

		free(in);
		test_assert_int(
		        decrypt("auth-gcm.der", (long)len - 1, 0, &match),
		        SEALMAIL_EBADDATA);
	}
	/* truncated inside the content: the reader's error comes out */
	test_assert_int(decrypt("env-cbc-stream.der", -1, 3000, &match),
	                SEALMAIL_EBADDATA);
	test_assert(!match);
}

static const struct test_case tests[] = {
        {"encoder", test_encoder},
        {"encoder_gathers", test_encoder_gathers},
        {"sign_through_encoder", test_sign_through_encoder},
        {"decrypt_source", test_decrypt_source},
};

TEST_MAIN(tests)
