/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL BIOs over sealmail's streaming pieces: a base64 encoder filter
 * (sm_b64, MIME lines) to replace BIO_f_base64 on the way out, and a source
 * over sm_cms_reader's content for CMS_dataInit on the way in.  Each BIO
 * owns its BIO_METHOD (made at creation, freed with the BIO): no global.
 */
#include "crypto_int.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>

#include "../b64.h"

/* Fixed type numbers (BIO_find_type only); BIO_get_new_index is limited. */
#define SM_BIO_TYPE_B64 (0xd0 | BIO_TYPE_FILTER)
#define SM_BIO_TYPE_CMS (0xd1 | BIO_TYPE_SOURCE_SINK)

/*
 * The encoder takes its input ENC_IN_MAX bytes a step and gathers the text
 * until ENC_OUT_MAX bytes are ready: one write of about 256 KiB instead of
 * one per BIO_write (OpenSSL's cipher BIO writes 4 KiB at a time, which
 * the output would otherwise copy into its 64 KiB buffer) -- fewer system
 * calls, no copy, and the text is written while it is in the L2 cache.
 * Once the output has a writer thread (set_output), each step's text is
 * encoded straight into the writer's buffer instead: no copy either.
 */
#define ENC_IN_MAX ((size_t)48 << 10)
#define ENC_OUT_MAX ((size_t)256 << 10)
#define ENC_STEP_MAX (ENC_IN_MAX / 3 * 4 + 2 * (ENC_IN_MAX / 57 + 2) + 16)
/* in place: the least input a step takes (the rest goes in the next) */
#define DIRECT_MIN ((size_t)4 << 10)

/* --- base64 encoder filter -------------------------------------------- */

struct enc_state {
	BIO_METHOD *meth;
	sm_b64_enc enc;
	bool failed;
	/* sm_bio_b64_encoder_set_output: text in place, failures kept */
	sealmail_output *direct;
	int *status;
	sealmail_error *err;
	size_t olen; /* text gathered in out, not yet written */
	unsigned char out[ENC_OUT_MAX + ENC_STEP_MAX];
};

static bool
write_all(BIO *next, const unsigned char *p, size_t n)
{
	while (n > 0) {
		int w = BIO_write(next, p, n > INT_MAX ? INT_MAX : (int)n);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/*
 * Up to `n` bytes encoded straight into the output's writer buffer, what
 * was gathered written first: how many were taken (as many as the buffer
 * being filled has room for, at least a few KiB), 0 when the output has no
 * writer (encode the usual way), -1 when it failed.
 */
static long
enc_direct(struct enc_state *st, BIO *next, const unsigned char *in, size_t n)
{
	unsigned char *at;
	size_t room, k;
	int rc;

	if (!sm_output_threaded(st->direct))
		return 0;
	if (st->olen > 0) {
		if (!write_all(next, st->out, st->olen))
			return -1;
		st->olen = 0;
	}
	rc = sm_output_reserve(
	        st->direct,
	        sm_b64_enc_bound(&st->enc, n < DIRECT_MIN ? n : DIRECT_MIN),
	        &at, &room, st->err);
	if (rc == SEALMAIL_OK && at == NULL)
		return 0;
	if (rc == SEALMAIL_OK) {
		/* whole lines of 57 bytes (78 characters) into what is left */
		if (sm_b64_enc_bound(&st->enc, n) > room) {
			n = room > 100 ? (room - 100) / 78 * 57 : 0;
			while (n > 57 && sm_b64_enc_bound(&st->enc, n) > room)
				n -= 57;
		}
		k = sm_b64_enc_update(&st->enc, at, in, n);
		rc = sm_output_advance(st->direct, k, st->err);
	}
	if (rc != SEALMAIL_OK) {
		if (*st->status == SEALMAIL_OK)
			*st->status = rc;
		return -1;
	}
	return (long)n;
}

static int
enc_write(BIO *b, const char *in, int inl)
{
	struct enc_state *st = BIO_get_data(b);
	BIO *next = BIO_next(b);
	size_t done = 0;

	BIO_clear_retry_flags(b);
	if (st == NULL || next == NULL || inl < 0 || st->failed)
		return -1;
	while (done < (size_t)inl) {
		size_t n = (size_t)inl - done;
		long d = 0;

		if (n > ENC_IN_MAX)
			n = ENC_IN_MAX;
		if (st->direct != NULL)
			d = enc_direct(st, next,
			               (const unsigned char *)in + done, n);
		if (d < 0) {
			/* the encoder has taken the bytes: nothing to retry */
			st->failed = true;
			return -1;
		}
		if (d > 0) {
			done += (size_t)d;
			continue;
		}
		/* olen < ENC_OUT_MAX: a step's text fits */
		st->olen +=
		        sm_b64_enc_update(&st->enc, st->out + st->olen,
		                          (const unsigned char *)in + done, n);
		done += n;
		if (st->olen >= ENC_OUT_MAX) {
			if (!write_all(next, st->out, st->olen)) {
				/* the encoder has taken the bytes: nothing to
				 * retry */
				st->failed = true;
				return -1;
			}
			st->olen = 0;
		}
	}
	return inl;
}

static long
enc_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct enc_state *st = BIO_get_data(b);
	BIO *next = BIO_next(b);

	if (st == NULL || next == NULL)
		return 0;
	if (cmd == BIO_CTRL_FLUSH) {
		size_t o = st->olen +
		           sm_b64_enc_final(&st->enc, st->out + st->olen);

		st->olen = 0;
		if (st->failed || !write_all(next, st->out, o))
			return 0;
		return BIO_ctrl(next, cmd, num, ptr);
	}
	if (cmd == BIO_CTRL_RESET) {
		sm_b64_enc_init(&st->enc, st->enc.line_len, SM_B64_AUTO);
		st->failed = false;
		st->olen = 0;
	}
	return BIO_ctrl(next, cmd, num, ptr);
}

static int
enc_destroy(BIO *b)
{
	struct enc_state *st = BIO_get_data(b);

	/* BIO_free does not use the method after destroy */
	if (st != NULL) {
		BIO_METHOD *meth = st->meth;

		OPENSSL_free(st);
		BIO_set_data(b, NULL);
		BIO_meth_free(meth);
	}
	return 1;
}

BIO *
sm_bio_b64_encoder_new(unsigned int line_len)
{
	BIO_METHOD *meth = BIO_meth_new(SM_BIO_TYPE_B64, "sealmail base64");
	/*
	 * Only the fields are zeroed, not the 300 KiB text buffer: zeroing
	 * touched all its pages (75 page faults in a process that writes a
	 * few KiB); a page of it is touched when text is written there.
	 */
	struct enc_state *st = OPENSSL_malloc(sizeof(*st));
	BIO *b = NULL;

	if (st != NULL)
		memset(st, 0, offsetof(struct enc_state, out));
	if (meth == NULL || st == NULL ||
	    BIO_meth_set_write(meth, enc_write) != 1 ||
	    BIO_meth_set_ctrl(meth, enc_ctrl) != 1 ||
	    BIO_meth_set_destroy(meth, enc_destroy) != 1 ||
	    (b = BIO_new(meth)) == NULL) {
		OPENSSL_free(st);
		BIO_meth_free(meth);
		return NULL;
	}
	st->meth = meth;
	sm_b64_enc_init(&st->enc, line_len, SM_B64_AUTO);
	BIO_set_data(b, st);
	BIO_set_init(b, 1);
	return b;
}

void
sm_bio_b64_encoder_set_output(BIO *b,
                              sealmail_output *out,
                              int *status,
                              sealmail_error *err)
{
	struct enc_state *st = BIO_get_data(b);

	if (st == NULL)
		return;
	st->direct = out;
	st->status = status;
	st->err = err;
}

/* --- CMS content source ----------------------------------------------- */

struct src_state {
	BIO_METHOD *meth;
	sm_cms_reader *reader;
	BIO *cipher;
	int status; /* 0 reading, 1 done, < 0 failed */
	sealmail_error err;
};

static int
src_end(struct src_state *st)
{
	size_t mlen, tlen;
	const unsigned char *mac, *tag;
	EVP_CIPHER_CTX *ctx = NULL;
	int rc = sm_cms_reader_finish(st->reader, &st->err);

	if (rc != SEALMAIL_OK)
		return rc;
	if (st->cipher == NULL)
		return SEALMAIL_OK;
	mac = sm_cms_reader_field(st->reader, SM_CMS_F_MAC, &mlen);
	if (mac == NULL)
		return sm_error_set(&st->err, SEALMAIL_EBADDATA,
		                    "CMS data has no authentication tag");
	rc = sm_ber_primitive(mac, mlen, &tag, &tlen, &st->err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (tlen < 12 || tlen > 16)
		return sm_error_set(&st->err, SEALMAIL_EBADDATA,
		                    "CMS authentication tag of %zu bytes",
		                    tlen);
	if (BIO_get_cipher_ctx(st->cipher, &ctx) != 1 || ctx == NULL ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tlen,
	                        (void *)(uintptr_t)tag) != 1)
		return sm_ossl_error(&st->err, SEALMAIL_ERROR,
		                     "cannot set the authentication tag");
	return SEALMAIL_OK;
}

static int
src_read(BIO *b, char *out, int outl)
{
	struct src_state *st = BIO_get_data(b);
	long n;

	BIO_clear_retry_flags(b);
	if (st == NULL || outl < 0 || st->status < 0)
		return -1;
	if (st->status == 1)
		return 0;
	n = sm_cms_reader_read(st->reader, out, (size_t)outl, &st->err);
	if (n < 0) {
		st->status = (int)n;
		return -1;
	}
	if (n == 0) {
		int rc = src_end(st);

		st->status = rc == SEALMAIL_OK ? 1 : rc;
		if (rc != SEALMAIL_OK)
			return -1;
	}
	return (int)n;
}

static long
src_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct src_state *st = BIO_get_data(b);

	(void)num;
	(void)ptr;
	if (st == NULL)
		return 0;
	switch (cmd) {
	case BIO_CTRL_EOF:
		return st->status != 0;
	case BIO_CTRL_FLUSH:
		return 1;
	default:
		return 0;
	}
}

static int
src_destroy(BIO *b)
{
	struct src_state *st = BIO_get_data(b);

	if (st != NULL) {
		BIO_METHOD *meth = st->meth;

		OPENSSL_free(st);
		BIO_set_data(b, NULL);
		BIO_meth_free(meth);
	}
	return 1;
}

BIO *
sm_bio_cms_content_new(sm_cms_reader *reader)
{
	BIO_METHOD *meth = BIO_meth_new(SM_BIO_TYPE_CMS, "sealmail CMS");
	struct src_state *st = OPENSSL_zalloc(sizeof(*st));
	BIO *b = NULL;

	if (meth == NULL || st == NULL ||
	    BIO_meth_set_read(meth, src_read) != 1 ||
	    BIO_meth_set_ctrl(meth, src_ctrl) != 1 ||
	    BIO_meth_set_destroy(meth, src_destroy) != 1 ||
	    (b = BIO_new(meth)) == NULL) {
		OPENSSL_free(st);
		BIO_meth_free(meth);
		return NULL;
	}
	st->meth = meth;
	st->reader = reader;
	BIO_set_data(b, st);
	BIO_set_init(b, 1);
	return b;
}

void
sm_bio_cms_content_set_cipher(BIO *src, BIO *cipher)
{
	struct src_state *st = BIO_get_data(src);

	if (st != NULL)
		st->cipher = cipher;
}

int
sm_bio_cms_content_status(BIO *src, sealmail_error *err)
{
	struct src_state *st = BIO_get_data(src);

	if (st == NULL)
		return sm_error_set(err, SEALMAIL_ERROR, "not a CMS source");
	if (st->status == 1)
		return SEALMAIL_OK;
	if (st->status == 0)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "CMS content not read to its end");
	if (err != NULL)
		*err = st->err;
	return st->status;
}
