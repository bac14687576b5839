/* SPDX-License-Identifier: MIT */
/*
 * In-process throughput of the streaming building blocks: base64 encode and
 * decode (MIME lines), CRLF canonicalisation, each with the portable, the
 * AVX2 and (base64) the AVX-512 VBMI implementation, over a buffer of `MiB`
 * (argument, default 64) in 64 KiB chunks as a pipeline would feed them. Prints
 * one TSV line per case: name, implementation, MB/s (best of 3).  Then whole
 * one-pass pipelines as sealmail's commands will run them (64 KiB chunks, AVX2
 * when present, OpenSSL EVP for the cryptography), with SHA-256 and AES-256-GCM
 * alone as the ceiling.  Not a test: never run by CTest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64.h"
#include "canon.h"
#include "crypto/crypto.h"

#define CHUNK ((size_t)64 << 10)

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *
xmalloc(size_t n)
{
	unsigned char *p = malloc(n);

	if (p == NULL) {
		(void)fprintf(stderr, "speed: out of memory\n");
		exit(1);
	}
	return p;
}

static void
report(const char *name, const char *impl, size_t bytes, double secs)
{
	(void)printf("%s\t%s\t%.0f\n", name, impl, (double)bytes / secs / 1e6);
}

/* --- one-pass pipelines ----------------------------------------------- */

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

static size_t
put(unsigned char *o, const unsigned char *b, size_t n)
{
	memcpy(o, b, n);
	return n;
}

/*
 * A BER CMS as `openssl cms -stream` writes it (indefinite lengths, 4096-
 * byte chunks) around `len` content bytes: SignedData (signerInfos empty:
 * only the parsing and hashing are measured) or AuthEnvelopedData.
 */
static size_t
make_cms(unsigned char *o, const unsigned char *content, size_t len, int env)
{
	static const unsigned char sd[] = {
	        0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	        0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80, 0x30, 0x80, 0x02,
	        0x01, 0x01, 0x31, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60,
	        0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
	        0x00, 0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	        0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x80, 0x24, 0x80};
	static const unsigned char sd_end[] = {0,    0, 0, 0, 0, 0, 0x31,
	                                       0x00, 0, 0, 0, 0, 0, 0};
	static const unsigned char ae[] = {
	        0x30, 0x80, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	        0x0d, 0x01, 0x09, 0x10, 0x01, 0x17, 0xa0, 0x80, 0x30,
	        0x80, 0x02, 0x01, 0x00, 0x31, 0x00, 0x30, 0x80, 0x06,
	        0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07,
	        0x01, 0x30, 0x1e, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	        0x65, 0x03, 0x04, 0x01, 0x2e, 0x30, 0x11, 0x04, 0x0c,
	        1,    2,    3,    4,    5,    6,    7,    8,    9,
	        10,   11,   12,   0x02, 0x01, 0x10, 0xa0, 0x80};
	static const unsigned char ae_end[] = {
	        0,    0,    0, 0, /* [0] and EncryptedContentInfo end */
	        0x04, 0x10,       /* mac: 16 bytes */
	        0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	        0,    0,    0, 0, 0, 0, 0, 0, 0, 0 /* AuthEnvelopedData, [0],
	                                              ContentInfo */
	};
	size_t n = env ? put(o, ae, sizeof(ae)) : put(o, sd, sizeof(sd));

	for (size_t i = 0; i < len; i += 4096) {
		size_t c = len - i < 4096 ? len - i : 4096;
		unsigned char h[4] = {0x04, 0x82, (unsigned char)(c >> 8),
		                      (unsigned char)c};

		n += put(o + n, h, 4);
		n += put(o + n, content + i, c);
	}
	return n + (env ? put(o + n, ae_end, sizeof(ae_end))
	                : put(o + n, sd_end, sizeof(sd_end)));
}

static double
pipe_read_cms(const unsigned char *text, size_t tl, int env, size_t *total)
{
	struct mem_src src = {text, tl, 0};
	sm_b64_reader *b = malloc(sizeof(*b));
	sm_cms_reader *r = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	static unsigned char key[32],
	        iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	unsigned char *buf = xmalloc(CHUNK), *plain = xmalloc(CHUNK + 32);
	double t0 = now();
	long n;
	int ol;
	sealmail_error err = {0};

	if (b == NULL || md == NULL || cx == NULL)
		exit(1);
	sm_b64_reader_init(b, mem_read, &src, SM_B64_STRICT, SM_B64_AUTO);
	if (sm_cms_reader_new(&r, sm_b64_reader_read, b, NULL) != 0)
		exit(4);
	if (env)
		(void)EVP_DecryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key, iv);
	else
		(void)EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	*total = 0;
	while ((n = sm_cms_reader_read(r, buf, CHUNK, &err)) > 0) {
		if (env)
			(void)EVP_DecryptUpdate(cx, plain, &ol, buf, (int)n);
		else
			(void)EVP_DigestUpdate(md, buf, (size_t)n);
		*total += (size_t)n;
	}
	if (n < 0 || sm_cms_reader_finish(r, &err) != 0) {
		(void)fprintf(stderr, "speed: %s\n", err.message);
		exit(5);
	}
	/* (the tag is a dummy: only the throughput counts) */
	t0 = now() - t0;
	sm_cms_reader_free(r);
	EVP_MD_CTX_free(md);
	EVP_CIPHER_CTX_free(cx);
	free(b);
	free(buf);
	free(plain);
	return t0;
}

static void
pipelines(const unsigned char *raw, const unsigned char *lf, size_t len)
{
	unsigned char *cms = xmalloc(len + len / 4096 * 4 + 4096);
	unsigned char *text = xmalloc(len * 3 / 2 + 8192);
	unsigned char *work = xmalloc(sm_canon_bound(CHUNK) + CHUNK * 2);
	static unsigned char key[32], iv[12];
	sm_b64_enc e;
	double best[6] = {1e9, 1e9, 1e9, 1e9, 1e9, 1e9};
	size_t total = 0;

	for (int rep = 0; rep < 3; rep++) {
		double t;
		size_t cl, tl;
		unsigned char dig[32];
		unsigned int dl;
		int ol;
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();

		/* ceilings: SHA-256, AES-256-GCM */
		t = now();
		(void)EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		for (size_t i = 0; i < len; i += CHUNK)
			(void)EVP_DigestUpdate(
			        md, raw + i, len - i < CHUNK ? len - i : CHUNK);
		(void)EVP_DigestFinal_ex(md, dig, &dl);
		t = now() - t;
		best[0] = t < best[0] ? t : best[0];
		t = now();
		(void)EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key, iv);
		for (size_t i = 0; i < len; i += CHUNK)
			(void)EVP_EncryptUpdate(
			        cx, work, &ol, raw + i,
			        (int)(len - i < CHUNK ? len - i : CHUNK));
		t = now() - t;
		best[1] = t < best[1] ? t : best[1];

		/* clear sign: canonicalise LF text and hash it */
		t = now();
		{
			sm_canon c;

			sm_canon_init(&c, SM_CANON_AUTO);
			(void)EVP_DigestInit_ex(md, EVP_sha256(), NULL);
			for (size_t i = 0; i < len; i += CHUNK) {
				size_t n = sm_canon_update(
				        &c, work, lf + i,
				        len - i < CHUNK ? len - i : CHUNK);
				(void)EVP_DigestUpdate(md, work, n);
			}
			(void)EVP_DigestFinal_ex(md, dig, &dl);
		}
		t = now() - t;
		best[2] = t < best[2] ? t : best[2];

		/* encrypt: AES-256-GCM, then base64 with MIME lines */
		t = now();
		(void)EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key, iv);
		sm_b64_enc_init(&e, SM_B64_MIME_LINE, SM_B64_AUTO);
		for (size_t i = 0; i < len; i += CHUNK) {
			(void)EVP_EncryptUpdate(
			        cx, work, &ol, raw + i,
			        (int)(len - i < CHUNK ? len - i : CHUNK));
			(void)sm_b64_enc_update(&e, work + CHUNK + 64, work,
			                        (size_t)ol);
		}
		t = now() - t;
		best[3] = t < best[3] ? t : best[3];
		EVP_MD_CTX_free(md);
		EVP_CIPHER_CTX_free(cx);

		/* opaque verify / decrypt: base64 -> BER -> SHA-256 / GCM */
		for (int env = 0; env < 2; env++) {
			sm_b64_enc_init(&e, SM_B64_MIME_LINE, SM_B64_AUTO);
			cl = make_cms(cms, raw, len, env);
			tl = sm_b64_enc_update(&e, text, cms, cl);
			tl += sm_b64_enc_final(&e, text + tl);
			t = pipe_read_cms(text, tl, env, &total);
			if (total != len)
				exit(6);
			best[4 + env] = t < best[4 + env] ? t : best[4 + env];
		}
	}
	report("sha256", "openssl", len, best[0]);
	report("aes256gcm", "openssl", len, best[1]);
	report("pipe_clear_sign", "canon+sha256", len, best[2]);
	report("pipe_encrypt", "gcm+b64", len, best[3]);
	report("pipe_opaque_verify", "b64+ber+sha256", len, best[4]);
	report("pipe_decrypt", "b64+ber+gcm", len, best[5]);
	free(cms);
	free(text);
	free(work);
}

/*
 * The same base64 work on one 192 KiB piece over and over (as much data
 * as the big buffer): what each kernel does when its input is in the L2
 * cache, as in the pipelines, rather than what memory bandwidth allows.
 */
static void
in_cache(const unsigned char *raw,
         unsigned char *text,
         unsigned char *back,
         size_t len)
{
	const size_t piece = (size_t)192 << 10;
	static const sm_b64_impl impls[] = {SM_B64_PORTABLE, SM_B64_AVX2,
	                                    SM_B64_VBMI};
	static const char *const names[] = {"portable", "avx2", "vbmi"};

	if (len < piece)
		return;
	for (int ii = 0; ii < 3; ii++) {
		double best_e = 1e9, best_d = 1e9;
		size_t tl = 0;

		if ((ii == 1 && !sm_b64_have_avx2()) ||
		    (ii == 2 && !sm_b64_have_vbmi()))
			break;
		for (int rep = 0; rep < 3; rep++) {
			double t0 = now();
			size_t n;

			for (size_t i = 0; i < len; i += piece) {
				sm_b64_enc e;

				sm_b64_enc_init(&e, SM_B64_MIME_LINE,
				                impls[ii]);
				tl = sm_b64_enc_update(&e, text, raw, piece);
				tl += sm_b64_enc_final(&e, text + tl);
			}
			if (now() - t0 < best_e)
				best_e = now() - t0;
			t0 = now();
			for (size_t i = 0; i < len; i += piece) {
				sm_b64_dec d;

				sm_b64_dec_init(&d, SM_B64_STRICT, impls[ii]);
				if (sm_b64_dec_update(&d, back, &n, text, tl,
				                      NULL) != 0 ||
				    n != piece)
					exit(7);
			}
			if (now() - t0 < best_d)
				best_d = now() - t0;
		}
		report("b64_encode_l2", names[ii], len, best_e);
		report("b64_decode_l2", names[ii], tl * (len / piece), best_d);
	}
}

/*
 * sm_canon_scan over canonical text (the base64 text: CRLF lines), each
 * implementation: streamed through memory in 256 KiB pieces (the first
 * read of a large message), and one 192 KiB piece over and over (in the
 * L2 cache, as after a piece was hashed).
 */
static void
scan_speed(const unsigned char *text, size_t tl)
{
	const size_t piece = (size_t)192 << 10, step = (size_t)256 << 10;
	static const sm_canon_impl impls[] = {SM_CANON_PORTABLE, SM_CANON_AVX2,
	                                      SM_CANON_AVX512};
	static const char *const names[] = {"portable", "avx2", "avx512"};

	if (tl < piece)
		return;
	for (int ii = 0; ii < 3; ii++) {
		double best_m = 1e9, best_c = 1e9;
		sm_canon_scan s;

		sm_canon_scan_init(&s, impls[ii]);
		if (s.impl != impls[ii])
			break;
		for (int rep = 0; rep < 3; rep++) {
			double t0 = now();

			sm_canon_scan_init(&s, impls[ii]);
			for (size_t i = 0; i < tl; i += step)
				sm_canon_scan_update(&s, text + i,
				                     tl - i < step ? tl - i
				                                   : step);
			if (!sm_canon_scan_final(&s))
				exit(8);
			if (now() - t0 < best_m)
				best_m = now() - t0;
			t0 = now();
			for (size_t i = 0; i + piece <= tl; i += piece) {
				sm_canon_scan_init(&s, impls[ii]);
				sm_canon_scan_update(&s, text, piece);
				if (s.dirty)
					exit(8);
			}
			if (now() - t0 < best_c)
				best_c = now() - t0;
		}
		report("canon_scan", names[ii], tl, best_m);
		report("canon_scan_l2", names[ii], tl / piece * piece, best_c);
	}
}

int
main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	size_t len = mib << 20, tl = 0, cl = 0;
	unsigned char *raw, *text, *back, *canon_out;
	unsigned char *lf;
	uint64_t x = 88172645463325252ull;
	sm_b64_enc probe;
	int rc = 0;

	if (len == 0)
		return 1;
	raw = xmalloc(len);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		raw[i] = (unsigned char)x;
	}
	sm_b64_enc_init(&probe, SM_B64_MIME_LINE, SM_B64_PORTABLE);
	text = xmalloc(sm_b64_enc_bound(&probe, len) + 16);
	back = xmalloc(len + 16);
	/* Text with LF line ends, 72 characters a line, for canon. */
	lf = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		lf[i] = i % 73 == 72 ? '\n'
		                     : (unsigned char)('a' + raw[i] % 26);
	canon_out = xmalloc(sm_canon_bound(CHUNK) * (len / CHUNK + 1));

	for (int ii = 0; ii < 3; ii++) {
		static const sm_b64_impl impls[] = {SM_B64_PORTABLE,
		                                    SM_B64_AVX2, SM_B64_VBMI};
		static const char *const names[] = {"portable", "avx2", "vbmi"};
		sm_b64_impl impl = impls[ii];
		const char *iname = names[ii];
		double best_e = 1e9, best_d = 1e9, best_c = 1e9;

		if ((ii == 1 && !sm_b64_have_avx2()) ||
		    (ii == 2 && !sm_b64_have_vbmi()))
			break;
		for (int rep = 0; rep < 3; rep++) {
			sm_b64_enc e;
			sm_b64_dec d;
			sm_canon c;
			double t0 = now();
			size_t o = 0, n;

			sm_b64_enc_init(&e, SM_B64_MIME_LINE, impl);
			for (size_t i = 0; i < len; i += CHUNK)
				o += sm_b64_enc_update(&e, text + o, raw + i,
				                       len - i < CHUNK ? len - i
				                                       : CHUNK);
			o += sm_b64_enc_final(&e, text + o);
			tl = o;
			if (now() - t0 < best_e)
				best_e = now() - t0;

			t0 = now();
			o = 0;
			sm_b64_dec_init(&d, SM_B64_STRICT, (sm_b64_impl)impl);
			for (size_t i = 0; i < tl; i += CHUNK) {
				if (sm_b64_dec_update(
				            &d, back + o, &n, text + i,
				            tl - i < CHUNK ? tl - i : CHUNK,
				            NULL) != 0) {
					rc = 2;
					goto out;
				}
				o += n;
			}
			if (sm_b64_dec_final(&d, back + o, &n, NULL) != 0 ||
			    o + n != len || memcmp(back, raw, len) != 0) {
				rc = 3;
				goto out;
			}
			if (now() - t0 < best_d)
				best_d = now() - t0;

			t0 = now();
			o = 0;
			sm_canon_init(&c, ii == 0   ? SM_CANON_PORTABLE
			                  : ii == 1 ? SM_CANON_AVX2
			                            : SM_CANON_AVX512);
			for (size_t i = 0; i < len; i += CHUNK)
				o += sm_canon_update(&c, canon_out + o, lf + i,
				                     len - i < CHUNK ? len - i
				                                     : CHUNK);
			o += sm_canon_final(&c, canon_out + o);
			cl = o;
			if (now() - t0 < best_c)
				best_c = now() - t0;
		}
		/* MB/s of input: raw bytes for encode, text for decode */
		report("b64_encode", iname, len, best_e);
		report("b64_decode", iname, tl, best_d);
		/* canon's third code is AVX-512 VBMI2 */
		report("canon_lf", ii == 2 ? "avx512" : iname, len, best_c);
	}
	(void)cl;
	scan_speed(text, tl);
	in_cache(raw, text, back, len);
	pipelines(raw, lf, len);
out:
	free(raw);
	free(text);
	free(back);
	free(lf);
	free(canon_out);
	return rc;
}
