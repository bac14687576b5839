/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for crypto/ber.c, the incremental CMS reader: structures made
 * by `openssl cms` (DER, and BER with indefinite lengths from -stream) read
 * whole and one byte at a time, every truncation, corrupted bytes, hostile
 * lengths and nesting; and OpenSSL reading what the reader hands over
 * (detached DER + streamed content), which is the recipe for cms.c.
 */
#include "crypto/crypto.h"

#include "b64.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"

#define DATA SEALMAIL_TEST_DATA "/cms/"

static unsigned char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	unsigned char *p;
	long n;

	(void)snprintf(path, sizeof(path), "%s%s", DATA, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		(void)printf("# cannot open %s\n", path);
		exit(1);
	}
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

/* A memory source handing out at most `step` bytes per read. */
struct src {
	const unsigned char *p;
	size_t len, pos, step;
};

static long
src_read(void *buf, size_t len, void *payload)
{
	struct src *s = payload;
	size_t n = s->len - s->pos;

	if (n > len)
		n = len;
	if (n > s->step)
		n = s->step;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (long)n;
}

/*
 * Read everything: content into `content` (up to cap), then finish.
 * Returns the first failing status.
 */
static int
read_all(const unsigned char *in,
         size_t len,
         size_t step,
         size_t read_len,
         sm_cms_reader **out,
         unsigned char *content,
         size_t cap,
         size_t *content_len,
         sealmail_error *err)
{
	struct src s = {in, len, 0, step};
	sm_cms_reader *r = NULL;
	int rc = sm_cms_reader_new(&r, src_read, &s, err);
	size_t got = 0;
	unsigned char tmp[70000];

	*out = NULL;
	if (rc != SEALMAIL_OK)
		return rc;
	for (;;) {
		long n = sm_cms_reader_read(r, tmp, read_len, err);

		if (n < 0) {
			sm_cms_reader_free(r);
			return (int)n;
		}
		if (n == 0)
			break;
		if (content != NULL && got + (size_t)n <= cap)
			memcpy(content + got, tmp, (size_t)n);
		got += (size_t)n;
	}
	*content_len = got;
	rc = sm_cms_reader_finish(r, err);
	if (rc != SEALMAIL_OK) {
		sm_cms_reader_free(r);
		return rc;
	}
	*out = r;
	return SEALMAIL_OK;
}

struct sample {
	const char *file;
	sm_cms_type type;
	bool content;                /* has content octets */
	const char *same_content_as; /* DER twin with the same ciphertext */
};

static const struct sample samples[] = {
        {"signed.der", SM_CMS_SIGNED, true, NULL},
        {"signed-stream.der", SM_CMS_SIGNED, true, NULL},
        {"signed-detached.der", SM_CMS_SIGNED, false, NULL},
        {"env-cbc.der", SM_CMS_ENVELOPED, true, NULL},
        {"env-cbc-stream.der", SM_CMS_ENVELOPED, true, "env-cbc.der"},
        {"auth-gcm.der", SM_CMS_AUTH_ENVELOPED, true, NULL},
        {"auth-gcm-stream.der", SM_CMS_AUTH_ENVELOPED, true, "auth-gcm.der"},
        {"auth-gcm-empty.der", SM_CMS_AUTH_ENVELOPED, true, NULL},
};

static void
check_fields(const sm_cms_reader *r, sm_cms_type type)
{
	size_t len;
	const unsigned char *f;

	f = sm_cms_reader_field(r, SM_CMS_F_VERSION, &len);
	test_assert(f != NULL && len == 3 && f[0] == 0x02);
	f = sm_cms_reader_field(r, SM_CMS_F_CONTENT_TYPE, &len);
	/* id-data 1.2.840.113549.1.7.1 */
	test_assert(f != NULL && len == 11 && f[0] == 0x06 && f[10] == 0x01);
	if (type == SM_CMS_SIGNED) {
		f = sm_cms_reader_field(r, SM_CMS_F_DIGEST_ALGS, &len);
		test_assert(f != NULL && f[0] == 0x31);
		f = sm_cms_reader_field(r, SM_CMS_F_CERTIFICATES, &len);
		test_assert(f != NULL && f[0] == 0xa0 && len > 500);
		f = sm_cms_reader_field(r, SM_CMS_F_SIGNER_INFOS, &len);
		test_assert(f != NULL && f[0] == 0x31);
		test_assert(sm_cms_reader_field(r, SM_CMS_F_RECIPIENT_INFOS,
		                                &len) == NULL);
		test_assert_int(len, 0);
	} else {
		f = sm_cms_reader_field(r, SM_CMS_F_RECIPIENT_INFOS, &len);
		test_assert(f != NULL && f[0] == 0x31);
		f = sm_cms_reader_field(r, SM_CMS_F_CONTENT_ENC_ALG, &len);
		test_assert(f != NULL && f[0] == 0x30);
		f = sm_cms_reader_field(r, SM_CMS_F_MAC, &len);
		if (type == SM_CMS_AUTH_ENVELOPED)
			test_assert(f != NULL && len == 18 && f[0] == 0x04 &&
			            f[1] == 16);
		else
			test_assert(f == NULL);
		test_assert(sm_cms_reader_field(r, SM_CMS_F_SIGNER_INFOS,
		                                &len) == NULL);
	}
}

/* Every sample, whole and one byte at a time, with several read sizes. */
static void
test_samples(void)
{
	size_t msg_len;
	unsigned char *msg = slurp("msg.txt", &msg_len);
	static const size_t steps[] = {1, 7, 4096, 1 << 20};
	static const size_t reads[] = {1, 13, 65536};

	for (size_t i = 0; i < SM_ARRAY_SIZE(samples); i++) {
		size_t len, first_len = 0;
		unsigned char *in = slurp(samples[i].file, &len);
		static unsigned char content[70000], first[70000];

		for (size_t s = 0; s < SM_ARRAY_SIZE(steps); s++)
			for (size_t k = 0; k < SM_ARRAY_SIZE(reads); k++) {
				sm_cms_reader *r = NULL;
				sealmail_error err = {0};
				size_t clen = 0;
				int rc = read_all(in, len, steps[s], reads[k],
				                  &r, content, sizeof(content),
				                  &clen, &err);

				test_assert_int(rc, SEALMAIL_OK);
				if (rc != SEALMAIL_OK) {
					(void)printf("#   %s: %s\n",
					             samples[i].file,
					             err.message);
					continue;
				}
				test_assert_int(sm_cms_reader_type(r),
				                samples[i].type);
				test_assert(sm_cms_reader_has_content(r) ==
				            samples[i].content);
				test_assert_int(sm_cms_reader_content_len(r),
				                clen);
				check_fields(r, samples[i].type);
				if (samples[i].type == SM_CMS_SIGNED &&
				    samples[i].content) {
					test_assert_int(clen, msg_len);
					test_assert(memcmp(content, msg,
					                   msg_len) == 0);
				}
				if (samples[i].type != SM_CMS_SIGNED) {
					/* CBC pads; GCM does not */
					size_t want =
					        strstr(samples[i].file, "empty")
					                ? 0
					                : msg_len;
					if (samples[i].type == SM_CMS_ENVELOPED)
						want = (want / 16 + 1) * 16;
					test_assert_int(clen, want);
				}
				if (s == 0 && k == 0) {
					memcpy(first, content, clen);
					first_len = clen;
				} else {
					test_assert_int(clen, first_len);
					test_assert(memcmp(first, content,
					                   clen) == 0);
				}
				sm_cms_reader_free(r);
			}
		if (samples[i].same_content_as != NULL) {
			size_t tl, clen = 0;
			unsigned char *twin =
			        slurp(samples[i].same_content_as, &tl);
			sm_cms_reader *r = NULL;
			sealmail_error err = {0};

			test_assert_int(read_all(twin, tl, 1 << 20, 65536, &r,
			                         content, sizeof(content),
			                         &clen, &err),
			                SEALMAIL_OK);
			test_assert_int(clen, first_len);
			test_assert(memcmp(content, first, clen) == 0);
			sm_cms_reader_free(r);
			free(twin);
		}
		free(in);
	}
	free(msg);
}

struct sink {
	unsigned char *p;
	size_t len, cap;
	int fail_at; /* calls before failing; -1: never */
};

static int
sink_write(const void *buf, size_t len, void *payload)
{
	struct sink *s = payload;

	if (s->fail_at == 0)
		return SEALMAIL_EIO;
	if (s->fail_at > 0)
		s->fail_at--;
	if (s->len + len > s->cap)
		return SEALMAIL_ENOMEM;
	memcpy(s->p + s->len, buf, len);
	s->len += len;
	return 0;
}

/* The push form gives the same octets as the pull form, and stops on error. */
static void
test_foreach(void)
{
	static const size_t steps[] = {1, 4096, 1 << 20};

	for (size_t i = 0; i < SM_ARRAY_SIZE(samples); i++)
		for (size_t k = 0; k < SM_ARRAY_SIZE(steps); k++) {
			size_t len, clen = 0;
			unsigned char *in = slurp(samples[i].file, &len);
			static unsigned char want[70000], got[70000];
			struct src src = {in, len, 0, steps[k]};
			struct sink sink = {got, 0, sizeof(got), -1};
			sm_cms_reader *r = NULL;
			sealmail_error err = {0};

			test_assert_int(read_all(in, len, 1 << 20, 65536, &r,
			                         want, sizeof(want), &clen,
			                         &err),
			                SEALMAIL_OK);
			sm_cms_reader_free(r);
			test_assert_int(
			        sm_cms_reader_new(&r, src_read, &src, &err),
			        SEALMAIL_OK);
			test_assert_int(sm_cms_reader_content_foreach(
			                        r, sink_write, &sink, &err),
			                SEALMAIL_OK);
			test_assert_int(sink.len, clen);
			test_assert(memcmp(got, want, clen) == 0);
			test_assert_int(sm_cms_reader_finish(r, &err),
			                SEALMAIL_OK);
			sm_cms_reader_free(r);

			/* a failing sink stops the reader */
			if (clen > 0) {
				src.pos = 0;
				sink.len = 0;
				sink.fail_at = 1;
				test_assert_int(sm_cms_reader_new(&r, src_read,
				                                  &src, &err),
				                SEALMAIL_OK);
				test_assert_int(
				        sm_cms_reader_content_foreach(
				                r, sink_write, &sink, &err),
				        clen > 1 && steps[k] == 1
				                ? SEALMAIL_EIO
				                : (sink.len == clen
				                           ? SEALMAIL_OK
				                           : SEALMAIL_EIO));
				test_assert_int(sm_cms_reader_read(r, got, 10,
				                                   &err) < 0 ||
				                        sink.len == clen,
				                1);
				sm_cms_reader_free(r);
			}
			free(in);
		}
}

/*
 * The S/MIME shape: base64 text with CRLF lines (as in an application/
 * pkcs7-mime part) through sm_b64_reader into the CMS reader, one byte of
 * text at a time.
 */
static void
test_base64_chain(void)
{
	size_t len, msg_len, tl = 0;
	unsigned char *in = slurp("signed-stream.der", &len);
	unsigned char *msg = slurp("msg.txt", &msg_len);
	unsigned char *text = malloc(len * 2);
	static unsigned char content[70000];
	sm_b64_enc enc;
	sm_b64_reader *b = malloc(sizeof(*b));
	struct src s;
	sm_cms_reader *r = NULL;
	sealmail_error err = {0};
	size_t got = 0;
	long n;

	sm_b64_enc_init(&enc, SM_B64_MIME_LINE, SM_B64_AUTO);
	tl = sm_b64_enc_update(&enc, text, in, len);
	tl += sm_b64_enc_final(&enc, text + tl);
	s = (struct src){text, tl, 0, 1};
	sm_b64_reader_init(b, src_read, &s, SM_B64_STRICT, SM_B64_AUTO);
	test_assert_int(sm_cms_reader_new(&r, sm_b64_reader_read, b, &err),
	                SEALMAIL_OK);
	while ((n = sm_cms_reader_read(r, content + got, sizeof(content) - got,
	                               &err)) > 0)
		got += (size_t)n;
	test_assert_int(n, 0);
	test_assert_int(got, msg_len);
	test_assert(memcmp(content, msg, msg_len) == 0);
	test_assert_int(sm_cms_reader_finish(r, &err), SEALMAIL_OK);
	sm_cms_reader_free(r);

	/* a damaged character in the text: the decoder's error comes out */
	text[100] = '*';
	s = (struct src){text, tl, 0, 1 << 20};
	sm_b64_reader_init(b, src_read, &s, SM_B64_STRICT, SM_B64_AUTO);
	test_assert_int(sm_cms_reader_new(&r, sm_b64_reader_read, b, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(b->err.message,
	                "base64 data has an invalid character 0x2a at offset "
	                "100");
	free(b);
	free(text);
	free(msg);
	free(in);
}

/* Each allocation failing in turn: ENOMEM, nothing leaked (ASan). */
static void
test_alloc_failures(void)
{
	static const char *const files[] = {"signed-stream.der",
	                                    "auth-gcm.der"};

	for (size_t i = 0; i < SM_ARRAY_SIZE(files); i++) {
		size_t len;
		unsigned char *in = slurp(files[i], &len);
		int rc = SEALMAIL_ENOMEM;
		long n;

		for (n = 0; n < 200 && rc != SEALMAIL_OK; n++) {
			sm_cms_reader *r = NULL;
			sealmail_error err = {0};
			size_t clen;
			sm_buf der;

			sm_alloc_fail_after(n);
			rc = read_all(in, len, 1 << 20, 65536, &r, NULL, 0,
			              &clen, &err);
			if (rc == SEALMAIL_OK) {
				sm_buf_init(&der, 1 << 20);
				rc = sm_cms_reader_detached_der(r, &der, &err);
				sm_buf_free(&der);
			}
			sm_alloc_fail_after(-1);
			test_assert(rc == SEALMAIL_OK || rc == SEALMAIL_ENOMEM);
			if (rc != SEALMAIL_OK)
				test_assert_int(err.code, SEALMAIL_ENOMEM);
			sm_cms_reader_free(r);
		}
		test_assert_int(rc, SEALMAIL_OK);
		test_assert(n > 5); /* reader, buffer, fields, DER pieces */
		free(in);
	}
}

/* Every proper prefix fails cleanly with EBADDATA. */
static void
test_truncations(void)
{
	for (size_t i = 0; i < SM_ARRAY_SIZE(samples); i++) {
		size_t len;
		unsigned char *in = slurp(samples[i].file, &len);

		for (size_t cut = 0; cut < len; cut++) {
			sm_cms_reader *r = NULL;
			sealmail_error err = {0};
			size_t clen;
			int rc = read_all(in, cut, 1 << 20, 65536, &r, NULL, 0,
			                  &clen, &err);

			test_assert_int(rc, SEALMAIL_EBADDATA);
			if (rc != SEALMAIL_EBADDATA) {
				(void)printf("#   %s cut at %zu\n",
				             samples[i].file, cut);
				sm_cms_reader_free(r);
				break;
			}
		}
		free(in);
	}
}

/* Corrupt single bytes: never a crash; a clean status each time. */
static void
test_corruption(void)
{
	static const unsigned char values[] = {0x00, 0x80, 0xff, 0x30,
	                                       0x24, 0x84, 0x01};

	for (size_t i = 0; i < SM_ARRAY_SIZE(samples); i++) {
		size_t len;
		unsigned char *in = slurp(samples[i].file, &len);
		unsigned char *bad = malloc(len);

		for (size_t at = 0; at < len; at += (at < 600 ? 1 : 97))
			for (size_t v = 0; v < SM_ARRAY_SIZE(values); v++) {
				sm_cms_reader *r = NULL;
				sealmail_error err = {0};
				size_t clen;
				int rc;

				memcpy(bad, in, len);
				bad[at] = values[v];
				rc = read_all(bad, len, 1 << 20, 65536, &r,
				              NULL, 0, &clen, &err);
				test_assert(rc == SEALMAIL_OK ||
				            rc == SEALMAIL_EBADDATA ||
				            rc == SEALMAIL_EUNSUPPORTED);
				if (rc != SEALMAIL_OK)
					test_assert(strncmp(err.message, "CMS ",
					                    4) == 0);
				sm_cms_reader_free(r);
			}
		free(bad);
		free(in);
	}
}

static int
parse_mem(const unsigned char *in, size_t len, sealmail_error *err)
{
	sm_cms_reader *r = NULL;
	size_t clen;
	int rc = read_all(in, len, 1 << 20, 65536, &r, NULL, 0, &clen, err);

	sm_cms_reader_free(r);
	return rc;
}

#define SIGNED_OID 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07

static void
test_hostile(void)
{
	sealmail_error err = {0};

	/* ContentInfo claiming 2 GiB, with nothing behind it */
	{
		static const unsigned char in[] = {
		        0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, SIGNED_OID, 0x02};
		test_assert_int(parse_mem(in, sizeof(in), &err),
		                SEALMAIL_EBADDATA);
		test_assert(strstr(err.message, "truncated") != NULL);
	}
	/* a header field (version) claiming 4 GiB inside indefinite ones */
	{
		static const unsigned char in[] = {
		        0x30, 0x80, SIGNED_OID, 0x02, 0xa0, 0x80, 0x30, 0x80,
		        0x02, 0x84, 0xff,       0xff, 0xff, 0xff, 0x01};
		test_assert_int(parse_mem(in, sizeof(in), &err),
		                SEALMAIL_EBADDATA);
		test_assert_str(err.message,
		                "CMS data malformed at offset 17: header "
		                "fields too large");
	}
	/* content claiming 2^40 bytes with 3 present */
	{
		static const unsigned char in[] = {
		        0x30, 0x80, SIGNED_OID, 0x02, 0xa0, 0x80, 0x30, 0x80,
		        0x02, 0x01, 0x01,       0x31, 0x00, 0x30, 0x80, 0x06,
		        0x09, 0x2a, 0x86,       0x48, 0x86, 0xf7, 0x0d, 0x01,
		        0x07, 0x01, 0xa0,       0x80, 0x04, 0x85, 0x01, 0x00,
		        0x00, 0x00, 0x00,       'a',  'b',  'c'};
		test_assert_int(parse_mem(in, sizeof(in), &err),
		                SEALMAIL_EBADDATA);
		test_assert_str(err.message, "CMS data truncated at offset 47");
	}
	/* a length of 9 bytes; an indefinite primitive; bad EOC */
	{
		static const unsigned char a[] = {0x30, 0x89, 1, 0, 0, 0,
		                                  0,    0,    0, 0, 0, 0};
		static const unsigned char b[] = {0x30, 0x80, 0x06, 0x80,
		                                  0,    0,    0,    0};
		test_assert_int(parse_mem(a, sizeof(a), &err),
		                SEALMAIL_EBADDATA);
		test_assert(strstr(err.message, "length too long") != NULL);
		test_assert_int(parse_mem(b, sizeof(b), &err),
		                SEALMAIL_EBADDATA);
		test_assert(strstr(err.message, "indefinite length on a "
		                                "primitive") != NULL);
	}
	/* an inner element longer than its definite parent */
	{
		static const unsigned char in[] = {
		        0x30, 0x0d, SIGNED_OID, 0x02, 0xa0, 0x10, 0x30, 0x00};
		test_assert_int(parse_mem(in, sizeof(in), &err),
		                SEALMAIL_EBADDATA);
		test_assert(strstr(err.message, "longer than the one around") !=
		            NULL);
	}
	/* not signed/enveloped: id-data */
	{
		static const unsigned char in[] = {
		        0x30, 0x0f, SIGNED_OID, 0x01, 0xa0, 0x02, 0x04, 0x00};
		test_assert_int(parse_mem(in, sizeof(in), &err),
		                SEALMAIL_EUNSUPPORTED);
		test_assert_str(err.message, "CMS content type not supported");
	}
}

/* 40 nested indefinite SETs in the digest algorithms; 9 nested chunks. */
static void
test_depth(void)
{
	unsigned char in[512];
	size_t n = 0;
	sealmail_error err = {0};
	static const unsigned char head[] = {0x30, 0x80, SIGNED_OID, 0x02,
	                                     0xa0, 0x80, 0x30,       0x80,
	                                     0x02, 0x01, 0x01};
	static const unsigned char encap[] = {0x30, 0x80, 0x06, 0x09, 0x2a,
	                                      0x86, 0x48, 0x86, 0xf7, 0x0d,
	                                      0x01, 0x07, 0x01, 0xa0, 0x80};

	memcpy(in, head, sizeof(head));
	n = sizeof(head);
	for (int i = 0; i < 40; i++) {
		in[n++] = 0x31;
		in[n++] = 0x80;
	}
	memset(in + n, 0, 80);
	n += 80;
	test_assert_int(parse_mem(in, n, &err), SEALMAIL_EBADDATA);
	test_assert(strstr(err.message, "nested too deeply") != NULL);

	/* chunks: 8 levels are fine, 9 are not */
	for (int depth = 8; depth <= 9; depth++) {
		n = sizeof(head);
		in[n++] = 0x31;
		in[n++] = 0x00;
		memcpy(in + n, encap, sizeof(encap));
		n += sizeof(encap);
		for (int i = 0; i < depth; i++) {
			in[n++] = 0x24;
			in[n++] = 0x80;
		}
		in[n++] = 0x04;
		in[n++] = 0x01;
		in[n++] = 'x';
		for (int i = 0; i < depth + 2; i++) {
			in[n++] = 0;
			in[n++] = 0;
		}
		in[n++] = 0x31; /* signerInfos */
		in[n++] = 0x00;
		memset(in + n, 0, 6); /* SignedData, [0], ContentInfo */
		n += 6;
		test_assert_int(parse_mem(in, n, &err),
		                depth == 8 ? SEALMAIL_OK : SEALMAIL_EBADDATA);
		if (depth == 9)
			test_assert(strstr(err.message,
			                   "content nested too deeply") !=
			            NULL);
	}
}

static void
test_trailing(void)
{
	size_t len;
	unsigned char *in = slurp("signed.der", &len);
	unsigned char *more = malloc(len + 1);
	sealmail_error err = {0};

	memcpy(more, in, len);
	more[len] = 0;
	test_assert_int(parse_mem(more, len + 1, &err), SEALMAIL_EBADDATA);
	test_assert(strstr(err.message, "data after the end") != NULL);
	free(more);
	free(in);
}

static void
test_iter(void)
{
	size_t len, flen, n = 0, elen;
	unsigned char *in = slurp("signed-stream.der", &len);
	sm_cms_reader *r = NULL;
	sealmail_error err = {0};
	const unsigned char *f, *e, *v;
	sm_ber_iter it;
	size_t clen, vlen;

	test_assert_int(
	        read_all(in, len, 1 << 20, 65536, &r, NULL, 0, &clen, &err),
	        SEALMAIL_OK);
	f = sm_cms_reader_field(r, SM_CMS_F_CERTIFICATES, &flen);
	test_assert_int(sm_ber_iter_init(&it, f, flen, &err), SEALMAIL_OK);
	while (sm_ber_iter_next(&it, &e, &elen, &err) == 1) {
		const unsigned char *p = e;
		X509 *x = d2i_X509(NULL, &p, (long)elen);

		test_assert(x != NULL);
		X509_free(x);
		n++;
	}
	test_assert_int(n, 1);
	f = sm_cms_reader_field(r, SM_CMS_F_VERSION, &flen);
	test_assert_int(sm_ber_primitive(f, flen, &v, &vlen, &err),
	                SEALMAIL_OK);
	test_assert(vlen == 1 && v[0] == 1);
	test_assert_int(sm_ber_primitive(in, len, &v, &vlen, &err),
	                SEALMAIL_EBADDATA);
	/* an indefinite element in memory */
	{
		static const unsigned char ind[] = {0x30, 0x80, 0x02, 0x01,
		                                    0x05, 0x30, 0x80, 0x00,
		                                    0x00, 0x00, 0x00};
		test_assert_int(sm_ber_iter_init(&it, ind, sizeof(ind), &err),
		                SEALMAIL_OK);
		test_assert_int(sm_ber_iter_next(&it, &e, &elen, &err), 1);
		test_assert_int(elen, 3);
		test_assert_int(sm_ber_iter_next(&it, &e, &elen, &err), 1);
		test_assert_int(elen, 4);
		test_assert_int(sm_ber_iter_next(&it, &e, &elen, &err), 0);
		test_assert_int(sm_ber_iter_init(&it, ind, 6, &err),
		                SEALMAIL_EBADDATA);
	}
	sm_cms_reader_free(r);
	free(in);
}

/* --- OpenSSL reads what the reader hands over ------------------------- */

struct bio_src {
	sm_cms_reader *r;
	BIO *cipher; /* the cipher BIO to give the GCM tag at the end */
	int status;
};

static int
bio_src_read(BIO *b, char *buf, int len)
{
	struct bio_src *s = BIO_get_data(b);
	long n = sm_cms_reader_read(s->r, buf, (size_t)len, NULL);

	if (n < 0) {
		s->status = (int)n;
		return -1;
	}
	if (n == 0 && s->status == 0) {
		size_t mlen;
		const unsigned char *mac, *tag;
		size_t tlen;
		EVP_CIPHER_CTX *ctx = NULL;

		/* End of content: read the trailer, hand the tag over. */
		s->status = sm_cms_reader_finish(s->r, NULL);
		if (s->status == 0 && s->cipher != NULL) {
			mac = sm_cms_reader_field(s->r, SM_CMS_F_MAC, &mlen);
			if (mac == NULL ||
			    sm_ber_primitive(mac, mlen, &tag, &tlen, NULL) !=
			            0 ||
			    BIO_get_cipher_ctx(s->cipher, &ctx) != 1 ||
			    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
			                        (int)tlen,
			                        (void *)(uintptr_t)tag) != 1)
				s->status = -1;
		}
		s->status = s->status == 0 ? 1 : s->status;
	}
	return (int)n;
}

static long
bio_src_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static BIO_METHOD *
bio_src_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | 0x60, "cms-reader");

	(void)BIO_meth_set_read(m, bio_src_read);
	(void)BIO_meth_set_ctrl(m, bio_src_ctrl);
	return m;
}

static CMS_ContentInfo *
detached(const sm_cms_reader *r)
{
	sm_buf der;
	const unsigned char *p;
	CMS_ContentInfo *cms;

	sm_buf_init(&der, 1 << 24);
	test_assert_int(sm_cms_reader_detached_der(r, &der, NULL), 0);
	p = der.data;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
	test_assert(cms != NULL && p == der.data + der.len);
	sm_buf_free(&der);
	return cms;
}

/*
 * Decrypt `file` in one pass: detached DER to OpenSSL for the key, the
 * content streamed from the reader through CMS_dataInit's cipher BIO.
 * `flip` >= 0 flips that byte of the input first.  Returns 1 when the
 * plaintext is msg.txt and the cipher (and tag) checked out.
 */
static int
stream_decrypt(const char *file, long flip, size_t step)
{
	size_t len, msg_len;
	unsigned char *in = slurp(file, &len),
	              *msg = slurp("msg.txt", &msg_len);
	unsigned char *keyp = slurp("key.pem", &(size_t){0});
	unsigned char *certp = slurp("cert.pem", &(size_t){0});
	BIO *kb = BIO_new_mem_buf(keyp, -1), *cb = BIO_new_mem_buf(certp, -1);
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	X509 *cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	struct src s = {in, len, 0, step};
	struct bio_src bs = {NULL, NULL, 0};
	sm_cms_reader *r = NULL;
	CMS_ContentInfo *cms = NULL;
	BIO_METHOD *meth = bio_src_method();
	BIO *src = NULL, *chain = NULL;
	static unsigned char out[70000];
	size_t got = 0;
	int ok = 0, n;

	if (flip >= 0)
		in[flip] ^= 0x01;
	if (sm_cms_reader_new(&r, src_read, &s, NULL) != 0)
		goto done;
	cms = detached(r);
	if (cms == NULL || CMS_decrypt_set1_pkey(cms, pkey, cert) != 1)
		goto done;
	bs.r = r;
	src = BIO_new(meth);
	BIO_set_data(src, &bs);
	BIO_set_init(src, 1);
	chain = CMS_dataInit(cms, src);
	if (chain == NULL)
		goto done;
	if (sm_cms_reader_type(r) == SM_CMS_AUTH_ENVELOPED)
		bs.cipher = chain;
	while ((n = BIO_read(chain, out + got, 4096)) > 0)
		got += (size_t)n;
	ok = bs.status == 1 && BIO_get_cipher_status(chain) == 1 &&
	     got == msg_len && memcmp(out, msg, got) == 0;
done:
	ERR_clear_error();
	if (chain != NULL) {
		/* free the BIOs CMS_dataInit pushed, not our source */
		BIO *b = chain;
		while (b != NULL && b != src) {
			BIO *next = BIO_pop(b);
			BIO_free(b);
			b = next;
		}
	}
	BIO_free(src);
	BIO_meth_free(meth);
	CMS_ContentInfo_free(cms);
	sm_cms_reader_free(r);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	BIO_free(kb);
	BIO_free(cb);
	free(keyp);
	free(certp);
	free(msg);
	free(in);
	return ok;
}

static void
test_openssl_decrypt(void)
{
	static const char *const files[] = {"env-cbc.der", "env-cbc-stream.der",
	                                    "auth-gcm.der",
	                                    "auth-gcm-stream.der"};
	for (size_t i = 0; i < SM_ARRAY_SIZE(files); i++) {
		test_assert(stream_decrypt(files[i], -1, 1 << 20) == 1);
		test_assert(stream_decrypt(files[i], -1, 1) == 1);
	}
	/* one ciphertext byte flipped: GCM's tag check fails at the end */
	test_assert(stream_decrypt("auth-gcm.der", 1000, 1 << 20) == 0);
	test_assert(stream_decrypt("auth-gcm-stream.der", 1000, 1 << 20) == 0);
	/* CBC has no tag: the same flip decrypts to other text */
	test_assert(stream_decrypt("env-cbc.der", 1000, 1 << 20) == 0);
}

/*
 * Verify in one pass: digests from the detached header (empty signerInfos),
 * the content streamed through them, then the signer infos read after the
 * content checked against those digests.
 */
static int
stream_verify(const char *file, long flip)
{
	size_t len;
	unsigned char *in = slurp(file, &len);
	struct src s = {in, len, 0, 1 << 20};
	struct bio_src bs = {NULL, NULL, 0};
	sm_cms_reader *r = NULL;
	CMS_ContentInfo *head = NULL, *full = NULL;
	BIO_METHOD *meth = bio_src_method();
	BIO *src = NULL, *chain = NULL;
	char buf[4096];
	int ok = 0;

	if (flip >= 0)
		in[flip] ^= 0x01;
	if (sm_cms_reader_new(&r, src_read, &s, NULL) != 0)
		goto done;
	head = detached(r);
	bs.r = r;
	src = BIO_new(meth);
	BIO_set_data(src, &bs);
	BIO_set_init(src, 1);
	chain = head != NULL ? CMS_dataInit(head, src) : NULL;
	if (chain == NULL)
		goto done;
	while (BIO_read(chain, buf, sizeof(buf)) > 0)
		;
	if (bs.status != 1)
		goto done;
	full = detached(r);
	if (full == NULL || CMS_set1_signers_certs(full, NULL, 0) < 1)
		goto done;
	{
		STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(full);
		CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);

		ok = sk_CMS_SignerInfo_num(sis) == 1 &&
		     CMS_SignerInfo_verify(si) == 1 &&
		     CMS_SignerInfo_verify_content(si, chain) == 1;
	}
done:
	ERR_clear_error();
	if (chain != NULL) {
		BIO *b = chain;
		while (b != NULL && b != src) {
			BIO *next = BIO_pop(b);
			BIO_free(b);
			b = next;
		}
	}
	BIO_free(src);
	BIO_meth_free(meth);
	CMS_ContentInfo_free(head);
	CMS_ContentInfo_free(full);
	sm_cms_reader_free(r);
	free(in);
	return ok;
}

static void
test_openssl_verify(void)
{
	test_assert(stream_verify("signed.der", -1) == 1);
	test_assert(stream_verify("signed-stream.der", -1) == 1);
	/* one byte of the signed text changed */
	test_assert(stream_verify("signed.der", 200) == 0);
	test_assert(stream_verify("signed-stream.der", 200) == 0);
}

static const struct test_case tests[] = {
        {"samples", test_samples},
        {"foreach", test_foreach},
        {"base64_chain", test_base64_chain},
        {"alloc_failures", test_alloc_failures},
        {"truncations", test_truncations},
        {"corruption", test_corruption},
        {"hostile", test_hostile},
        {"depth", test_depth},
        {"trailing", test_trailing},
        {"iter", test_iter},
        {"openssl_decrypt", test_openssl_decrypt},
        {"openssl_verify", test_openssl_verify},
};

TEST_MAIN(tests)
