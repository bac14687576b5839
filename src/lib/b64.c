/* SPDX-License-Identifier: MIT */
/*
 * Streaming base64: portable code, an AVX2 kernel (Muła and Lemire's
 * method, as in aklomp/base64) and an AVX-512 VBMI kernel (vpermb and
 * vpmultishiftqb, after Muła and Lemire's "Base64 encoding and decoding at
 * almost the speed of a memory copy"), chosen per stream, never through a
 * global.  All give the same bytes and the same errors; test_b64.c checks
 * each against a plain reference.  No allocation, no third-party code.
 */
#include "b64.h"

#include <stdio.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && \
        (defined(__GNUC__) || defined(__clang__))
#define SM_B64_X86 1
#include <immintrin.h>
#define VBMI_TARGET __attribute__((target("avx2,avx512f,avx512bw,avx512vbmi")))
#else
#define SM_B64_X86 0
#endif

static const char alphabet[64] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63: the value; WS: skipped white space; PAD: '='; BAD: anything else. */
#define D_WS 0x80
#define D_PAD 0x81
#define D_BAD 0xff
static const unsigned char dec_tab[256] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80, 0xff,
        0xff, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3e, 0xff, 0xff, 0xff, 0x3f,
        0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0xff, 0xff,
        0xff, 0x81, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
        0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
        0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
        0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
        0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff,
};

bool
sm_b64_have_avx2(void)
{
#if SM_B64_X86
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") != 0;
#else
	return false;
#endif
}

bool
sm_b64_have_vbmi(void)
{
#if SM_B64_X86
	/* (also checks that the OS saves the AVX-512 registers) */
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") != 0 &&
	       __builtin_cpu_supports("avx512f") != 0 &&
	       __builtin_cpu_supports("avx512bw") != 0 &&
	       __builtin_cpu_supports("avx512vbmi") != 0;
#else
	return false;
#endif
}

/* The implementation asked for, or the next best the CPU has. */
static sm_b64_impl
resolve_impl(sm_b64_impl impl)
{
	if (impl == SM_B64_PORTABLE)
		return SM_B64_PORTABLE;
	if (impl != SM_B64_AVX2 && sm_b64_have_vbmi())
		return SM_B64_VBMI;
	return sm_b64_have_avx2() ? SM_B64_AVX2 : SM_B64_PORTABLE;
}

/* --- encoder ------------------------------------------------------------ */

static void
enc_group(unsigned char *o, const unsigned char *in)
{
	uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];

	o[0] = (unsigned char)alphabet[v >> 18];
	o[1] = (unsigned char)alphabet[(v >> 12) & 63];
	o[2] = (unsigned char)alphabet[(v >> 6) & 63];
	o[3] = (unsigned char)alphabet[v & 63];
}

#if SM_B64_X86
/*
 * Encode 24 bytes per step: each 128-bit lane takes 12 input bytes (loaded
 * from in and in+12, so 28 bytes must be readable) and gives 16 characters.
 */
__attribute__((target("avx2"))) static size_t
enc_avx2(unsigned char *o, const unsigned char *in, size_t n, size_t avail)
{
	const __m256i shuf = _mm256_setr_epi8(
	        1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10, 1, 0, 2, 1,
	        4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
	const __m256i lut = _mm256_setr_epi8(
	        65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0,
	        65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0);
	size_t done = 0;

	while (n - done >= 24 && avail - done >= 28) {
		const unsigned char *p = in + done;
		__m256i v = _mm256_set_m128i(
		        _mm_loadu_si128(
		                (const __m128i *)(const void *)(p + 12)),
		        _mm_loadu_si128((const __m128i *)(const void *)p));
		__m256i t0, t1, t2, t3, idx, r;

		v = _mm256_shuffle_epi8(v, shuf);
		t0 = _mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00));
		t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
		t2 = _mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0));
		t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
		v = _mm256_or_si256(t1, t3);
		/* 6-bit values to ASCII: add an offset chosen by range. */
		idx = _mm256_subs_epu8(v, _mm256_set1_epi8(51));
		idx = _mm256_sub_epi8(
		        idx, _mm256_cmpgt_epi8(v, _mm256_set1_epi8(25)));
		r = _mm256_add_epi8(v, _mm256_shuffle_epi8(lut, idx));
		_mm256_storeu_si256((__m256i *)(void *)o, r);
		o += 32;
		done += 24;
	}
	return done;
}

/* Byte 4g..4g+3 of a step: input bytes 3g+1, 3g, 3g+2, 3g+1 (as enc_avx2). */
#define EG(g) 3 * (g) + 1, 3 * (g), 3 * (g) + 2, 3 * (g) + 1
static const unsigned char vbmi_enc_shuf[64] = {
        EG(0), EG(1), EG(2),  EG(3),  EG(4),  EG(5),  EG(6),  EG(7),
        EG(8), EG(9), EG(10), EG(11), EG(12), EG(13), EG(14), EG(15)};
#undef EG

/*
 * 48 input bytes (the low 48 of `v`) to 64 characters: vpermb places each
 * group's bytes in a dword as b1 b0 b2 b1, vpmultishiftqb pulls the four
 * 6-bit fields out of each dword (bit offsets 10, 4, 22, 16; the top two
 * bits it takes along are ignored by the next step), and vpermb with the
 * alphabet as its table maps them to characters.
 */
VBMI_TARGET static inline __m512i
enc_vbmi_step(__m512i v)
{
	const __m512i shuf = _mm512_loadu_si512(vbmi_enc_shuf);
	const __m512i shifts = _mm512_set1_epi64(0x3036242a1016040aLL);
	const __m512i lut = _mm512_loadu_si512(alphabet);

	v = _mm512_permutexvar_epi8(shuf, v);
	v = _mm512_multishift_epi64_epi8(shifts, v);
	return _mm512_permutexvar_epi8(v, lut);
}

/*
 * Encode `n` bytes (a multiple of 3), 48 a step; masked loads and stores
 * touch nothing outside [in, in + n) and [o, o + 4n/3).
 */
VBMI_TARGET static void
enc_vbmi(unsigned char *o, const unsigned char *in, size_t n)
{
	const __mmask64 m48 = 0xffffffffffffULL;

	for (; n >= 48; n -= 48, in += 48, o += 64)
		_mm512_storeu_si512(
		        o, enc_vbmi_step(_mm512_maskz_loadu_epi8(m48, in)));
	if (n > 0)
		_mm512_mask_storeu_epi8(o, (1ULL << (n / 3 * 4)) - 1,
		                        enc_vbmi_step(_mm512_maskz_loadu_epi8(
		                                (1ULL << n) - 1, in)));
}

/*
 * `nlines` MIME lines: 57 bytes each to 76 characters and CRLF, written
 * in place (two steps a line, the second of 9 bytes ending in CRLF).
 */
VBMI_TARGET static unsigned char *
enc_vbmi_lines(unsigned char *o, const unsigned char *in, size_t nlines)
{
	const __m512i crlf = _mm512_set1_epi16(0x0a0d);
	const __mmask64 m48 = 0xffffffffffffULL;

	for (; nlines > 0; nlines--, in += 57, o += 78) {
		__m512i a = _mm512_maskz_loadu_epi8(m48, in);
		__m512i b = _mm512_maskz_loadu_epi8(0x1ff, in + 48);

		_mm512_storeu_si512(o, enc_vbmi_step(a));
		b = _mm512_mask_blend_epi8(0x3000, enc_vbmi_step(b), crlf);
		_mm512_mask_storeu_epi8(o + 64, 0x3fff, b);
	}
	return o;
}
#endif

/*
 * Encode `n` bytes (a multiple of 3) without line breaks; `avail` >= n bytes
 * are readable at `in`.  Returns the characters written (4n/3).
 */
static size_t
enc_raw(sm_b64_impl impl,
        unsigned char *o,
        const unsigned char *in,
        size_t n,
        size_t avail)
{
	size_t i = 0;

#if SM_B64_X86
	if (impl == SM_B64_VBMI) {
		enc_vbmi(o, in, n);
		return n / 3 * 4;
	}
	if (impl == SM_B64_AVX2)
		i = enc_avx2(o, in, n, avail);
#else
	(void)impl;
	(void)avail;
#endif
	for (; i < n; i += 3)
		enc_group(o + i / 3 * 4, in + i);
	return n / 3 * 4;
}

void
sm_b64_enc_init(sm_b64_enc *enc, unsigned int line_len, sm_b64_impl impl)
{
	memset(enc, 0, sizeof(*enc));
	enc->line_len = line_len / 4 * 4;
	enc->impl = resolve_impl(impl);
}

size_t
sm_b64_enc_bound(const sm_b64_enc *enc, size_t len)
{
	size_t chars = (len / 3 + 1) * 4;

	if (enc->line_len == 0)
		return chars;
	return chars + 2 * (chars / enc->line_len + 1);
}

static unsigned char *
put_crlf(unsigned char *o)
{
	o[0] = '\r';
	o[1] = '\n';
	return o + 2;
}

/* Write one group, breaking the line when it is full. */
static unsigned char *
enc_one(sm_b64_enc *enc, unsigned char *o, const unsigned char *in)
{
	enc_group(o, in);
	o += 4;
	enc->col += 4;
	if (enc->line_len != 0 && enc->col == enc->line_len) {
		o = put_crlf(o);
		enc->col = 0;
	}
	return o;
}

size_t
sm_b64_enc_update(sm_b64_enc *enc,
                  unsigned char *out,
                  const unsigned char *in,
                  size_t len)
{
	unsigned char *o = out;
	size_t n;

	if (enc->ntail > 0) {
		while (enc->ntail < 3 && len > 0) {
			enc->tail[enc->ntail++] = *in++;
			len--;
		}
		if (enc->ntail < 3)
			return 0;
		o = enc_one(enc, o, enc->tail);
		enc->ntail = 0;
	}
	if (enc->line_len == 0) {
		n = len / 3 * 3;
		o += enc_raw(enc->impl, o, in, n, len);
		in += n;
		len -= n;
	} else {
		const size_t per_line = enc->line_len / 4 * 3;

		/* Finish the current line. */
		if (enc->col > 0) {
			n = (enc->line_len - enc->col) / 4 * 3;
			if (n > len / 3 * 3)
				n = len / 3 * 3;
			o += enc_raw(enc->impl, o, in, n, len);
			enc->col += (unsigned int)(n / 3 * 4);
			in += n;
			len -= n;
			if (enc->col == enc->line_len) {
				o = put_crlf(o);
				enc->col = 0;
			}
		}
#if SM_B64_X86
		if (enc->impl == SM_B64_VBMI && enc->line_len == 76 &&
		    enc->col == 0) {
			size_t nl = len / 57;

			o = enc_vbmi_lines(o, in, nl);
			in += nl * 57;
			len -= nl * 57;
		}
#endif
		/*
		 * MIME lines with AVX2: 456 bytes are 19 vector steps and 8
		 * lines of 76 characters; encode them to a scratch block, then
		 * place the lines.
		 */
		if (enc->impl == SM_B64_AVX2 && enc->line_len == 76 &&
		    enc->col == 0) {
			unsigned char scratch[608];

			while (len >= 456 + 4) {
				(void)enc_raw(enc->impl, scratch, in, 456, len);
				for (int l = 0; l < 8; l++) {
					memcpy(o, scratch + 76 * l, 76);
					o = put_crlf(o + 76);
				}
				in += 456;
				len -= 456;
			}
		}
		while (enc->col == 0 && len >= per_line) {
			o += enc_raw(enc->impl, o, in, per_line, len);
			o = put_crlf(o);
			in += per_line;
			len -= per_line;
		}
		/* The start of a line (col stays below line_len). */
		n = len / 3 * 3;
		o += enc_raw(enc->impl, o, in, n, len);
		enc->col += (unsigned int)(n / 3 * 4);
		in += n;
		len -= n;
	}
	memcpy(enc->tail, in, len);
	enc->ntail = (unsigned int)len;
	return (size_t)(o - out);
}

size_t
sm_b64_enc_final(sm_b64_enc *enc, unsigned char *out)
{
	unsigned char *o = out;

	if (enc->ntail > 0) {
		unsigned char g[3] = {0, 0, 0};

		memcpy(g, enc->tail, enc->ntail);
		enc_group(o, g);
		o[3] = '=';
		if (enc->ntail == 1)
			o[2] = '=';
		o += 4;
		enc->col += 4;
		enc->ntail = 0;
	}
	if (enc->line_len != 0 && enc->col > 0)
		o = put_crlf(o);
	enc->col = 0;
	return (size_t)(o - out);
}

/* --- decoder ------------------------------------------------------------ */

void
sm_b64_dec_init(sm_b64_dec *dec, sm_b64_mode mode, sm_b64_impl impl)
{
	memset(dec, 0, sizeof(*dec));
	dec->mode = mode;
	dec->impl = resolve_impl(impl);
}

size_t
sm_b64_dec_bound(size_t len)
{
	return (len / 4 + 1) * 3;
}

#if SM_B64_X86
/*
 * Validate and decode 32 characters; returns a mask of the characters
 * outside the alphabet (0 when `*out` holds the 24 bytes).
 */
__attribute__((target("avx2"))) static inline unsigned int
dec_block(const unsigned char *in, __m256i *out)
{
	const __m256i lut_lo = _mm256_setr_epi8(
	        0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	        0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11,
	        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B,
	        0x1B, 0x1A);
	const __m256i lut_hi = _mm256_setr_epi8(
	        0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10,
	        0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02,
	        0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	        0x10, 0x10);
	const __m256i lut_roll = _mm256_setr_epi8(
	        0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16,
	        19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i m2f = _mm256_set1_epi8(0x2f);
	const __m256i pack = _mm256_setr_epi8(
	        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0,
	        6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i perm = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
	__m256i s = _mm256_loadu_si256((const __m256i *)(const void *)in);
	__m256i hi_n = _mm256_and_si256(_mm256_srli_epi32(s, 4), m2f);
	__m256i lo_n = _mm256_and_si256(s, m2f);
	__m256i hi = _mm256_shuffle_epi8(lut_hi, hi_n);
	__m256i lo = _mm256_shuffle_epi8(lut_lo, lo_n);
	__m256i roll, v;

	if (!_mm256_testz_si256(lo, hi))
		return ~(unsigned int)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		        _mm256_and_si256(lo, hi), _mm256_setzero_si256()));
	roll = _mm256_shuffle_epi8(
	        lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(s, m2f), hi_n));
	s = _mm256_add_epi8(s, roll);
	v = _mm256_maddubs_epi16(s, _mm256_set1_epi32(0x01400140));
	v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
	v = _mm256_shuffle_epi8(v, pack);
	*out = _mm256_permutevar8x32_epi32(v, perm);
	return 0;
}

__attribute__((target("avx2"))) static inline void
dec_store(unsigned char *o, __m256i v)
{
	_mm_storeu_si128((__m128i *)(void *)o, _mm256_castsi256_si128(v));
	_mm_storel_epi64((__m128i *)(void *)(o + 16),
	                 _mm256_extracti128_si256(v, 1));
}

/*
 * Line mode (as dec_vbmi_lines below): lines of `len` characters (a
 * multiple of 4, 32..128) and an end of `eol` characters (2: CRLF, 1: LF),
 * like the line before them.  A line is decoded by its blocks at 0, 32,
 * ... and one ending at its end (overlapping bytes of the one before with
 * the same values), all checked before any is stored, at a fixed stride:
 * no step waits for where the previous one found the line end.  Stops
 * before the first line that differs; returns the characters consumed.
 */
__attribute__((target("avx2"))) static size_t
dec_avx2_lines(unsigned char **op,
               const unsigned char *in,
               size_t n,
               size_t len,
               size_t eol)
{
	const size_t span = len + eol;
	const unsigned char *q = in, *end = in + n;
	unsigned char *o = *op;

	while ((size_t)(end - q) >= span) {
		__m256i v[5];
		size_t at[5], nb = 0, i;

		if (q[span - 1] != '\n' || (eol == 2 && q[len] != '\r'))
			break;
		for (i = 0; i + 32 <= len; i += 32, nb++) {
			at[nb] = i / 4 * 3;
			if (dec_block(q + i, &v[nb]) != 0)
				goto stop;
		}
		if (i < len) {
			at[nb] = (len - 32) / 4 * 3;
			if (dec_block(q + len - 32, &v[nb++]) != 0)
				goto stop;
		}
		for (i = 0; i < nb; i++)
			dec_store(o + at[i], v[i]);
		q += span;
		o += len / 4 * 3;
	}
stop:
	*op = o;
	return (size_t)(q - in);
}

/* The line end at q: 2 for CRLF, 1 for LF, 0 for anything else. */
static inline size_t
line_end(const unsigned char *q)
{
	if (q[0] == '\r' && q[1] == '\n')
		return 2;
	return q[0] == '\n' ? 1 : 0;
}

/*
 * Decode whole groups 32 characters at a time, MIME lines included: when a
 * block meets a line end at a group boundary, the line's last characters
 * are decoded by a block ending there (it overlaps bytes already written
 * with the same values), and CRLF or LF is skipped; once a whole line has
 * been seen, the lines like it go through dec_avx2_lines.  Stops at
 * anything else outside the alphabet, with `*bad` its index from the
 * returned position.  Returns the characters consumed; `*op` advances by
 * the bytes written.
 */
__attribute__((target("avx2"))) static size_t
dec_avx2(unsigned char **op, const unsigned char *in, size_t n, size_t *bad)
{
	const unsigned char *q = in, *end = in + n, *run = in;
	const unsigned char *line = NULL; /* where the current line began */
	unsigned char *o = *op;
	__m256i v = _mm256_setzero_si256();

	*bad = 0;
	while (end - q >= 32) {
		unsigned int m = dec_block(q, &v);
		size_t k, len, eol;

		if (m == 0) {
			dec_store(o, v);
			q += 32;
			o += 24;
			continue;
		}
		k = (size_t)__builtin_ctz(m);
		if (k > 0) {
			if (k % 4 != 0 || (size_t)(q - run) < 32 - k ||
			    dec_block(q - (32 - k), &v) != 0) {
				*bad = k;
				break;
			}
			dec_store(o - (32 - k) / 4 * 3, v);
			q += k;
			o += k / 4 * 3;
		}
		eol = line_end(q);
		if (eol == 0)
			break;
		len = line != NULL ? (size_t)(q - line) : 0;
		q += eol;
		if (len >= 32 && len <= 128)
			q += dec_avx2_lines(&o, q, (size_t)(end - q), len, eol);
		run = q;
		line = q;
	}
	*op = o;
	return (size_t)(q - in);
}

/* ASCII (the low 7 bits) to 6-bit values; 0x80 for anything else. */
static const unsigned char vbmi_dec_lut[128] = {
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x3e, 0x80, 0x80, 0x80, 0x3f,
        0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x80, 0x80,
        0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
        0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
        0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x80, 0x80, 0x80, 0x80, 0x80,
        0x80, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
        0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
        0x31, 0x32, 0x33, 0x80, 0x80, 0x80, 0x80, 0x80,
};

/* Output byte 3g+j of a step: byte 2-j of the step's dword g. */
#define DG(g) 4 * (g) + 2, 4 * (g) + 1, 4 * (g)
static const unsigned char vbmi_dec_pack[64] = {
        DG(0), DG(1), DG(2),  DG(3),  DG(4),  DG(5),  DG(6),  DG(7),
        DG(8), DG(9), DG(10), DG(11), DG(12), DG(13), DG(14), DG(15)};
#undef DG

/*
 * Translate 64 characters: vpermi2b looks each up in the 128-entry table
 * (a character with its top bit set is caught by OR-ing it into the
 * result).  `*bad` is the mask of characters outside the alphabet.
 */
VBMI_TARGET static inline __m512i
vbmi_translate(__m512i s, uint64_t *bad)
{
	const __m512i lo = _mm512_loadu_si512(vbmi_dec_lut);
	const __m512i hi = _mm512_loadu_si512(vbmi_dec_lut + 64);
	__m512i t = _mm512_permutex2var_epi8(lo, s, hi);

	*bad = _mm512_movepi8_mask(_mm512_or_si512(s, t));
	return t;
}

/*
 * Pack 64 translated values into 48 bytes (the low 48 of the result), as
 * dec_block does, with vpermb gathering them: each group's bytes are right
 * whatever the other groups held.
 */
VBMI_TARGET static inline __m512i
vbmi_pack(__m512i t)
{
	const __m512i pack = _mm512_loadu_si512(vbmi_dec_pack);

	t = _mm512_maddubs_epi16(t, _mm512_set1_epi32(0x01400140));
	t = _mm512_madd_epi16(t, _mm512_set1_epi32(0x00011000));
	return _mm512_permutexvar_epi8(pack, t);
}

/* Bit `i` of a 128-bit mask held as two words. */
static void
set_bit128(uint64_t m[2], size_t i)
{
	m[i / 64] |= 1ULL << (i % 64);
}

/*
 * Line mode: lines of `len` characters (a multiple of 4 from 4, len + eol
 * below 128: two blocks at most) and an end of `eol` characters (2: CRLF,
 * 1: LF), like the line before them.
 * Every line is checked whole -- its characters in the alphabet, its end
 * exactly CRLF or LF -- and decoded at a fixed stride, so no step waits
 * for the previous one's result (in dec_vbmi the next position depends on
 * where a block found the line end).  Stops before the first line that
 * differs or does not fit; returns the characters consumed.
 */
VBMI_TARGET static size_t
dec_vbmi_lines(unsigned char **op,
               const unsigned char *in,
               size_t n,
               size_t len,
               size_t eol)
{
	const size_t span = len + eol;
	const __mmask64 lda = span >= 64 ? ~0ULL : (1ULL << span) - 1;
	const __mmask64 ldb = span > 64 ? (1ULL << (span - 64)) - 1 : 0;
	const size_t outa = (len < 64 ? len : 64) / 4 * 3;
	const size_t outb = len > 64 ? (len - 64) / 4 * 3 : 0;
	const __mmask64 sta = (1ULL << outa) - 1, stb = (1ULL << outb) - 1;
	const __m512i cr = _mm512_set1_epi8('\r'), lf = _mm512_set1_epi8('\n');
	const unsigned char *q = in, *end = in + n;
	unsigned char *o = *op;
	uint64_t crm[2] = {0, 0}, lfm[2] = {0, 0}, endm[2];

	if (eol == 2)
		set_bit128(crm, len);
	set_bit128(lfm, span - 1);
	endm[0] = crm[0] | lfm[0];
	endm[1] = crm[1] | lfm[1];
	while ((size_t)(end - q) >= span) {
		__m512i sa = _mm512_maskz_loadu_epi8(lda, q), sb, ta, tb;
		uint64_t ea, eb = 0;

		ta = vbmi_translate(sa, &ea);
		if ((ea & lda) != endm[0] ||
		    (_mm512_cmpeq_epi8_mask(sa, cr) & crm[0]) != crm[0] ||
		    (_mm512_cmpeq_epi8_mask(sa, lf) & lfm[0]) != lfm[0])
			break;
		if (ldb != 0) {
			sb = _mm512_maskz_loadu_epi8(ldb, q + 64);
			tb = vbmi_translate(sb, &eb);
			if ((eb & ldb) != endm[1] ||
			    (_mm512_cmpeq_epi8_mask(sb, cr) & crm[1]) !=
			            crm[1] ||
			    (_mm512_cmpeq_epi8_mask(sb, lf) & lfm[1]) != lfm[1])
				break;
			if (outb > 0)
				_mm512_mask_storeu_epi8(o + outa, stb,
				                        vbmi_pack(tb));
		}
		_mm512_mask_storeu_epi8(o, sta, vbmi_pack(ta));
		q += span;
		o += outa + outb;
	}
	*op = o;
	return (size_t)(q - in);
}

/*
 * As dec_avx2, 64 characters a step: a block that meets a line end at a
 * group boundary writes the groups before it (masked store: nothing past
 * them), and CRLF or LF is skipped.  Once a whole line has been seen, the
 * lines like it go through dec_vbmi_lines.  Stops at anything else outside
 * the alphabet, `*bad` its index from the returned position.
 */
VBMI_TARGET static size_t
dec_vbmi(unsigned char **op, const unsigned char *in, size_t n, size_t *bad)
{
	const unsigned char *q = in, *end = in + n;
	const unsigned char *line = NULL; /* where the current line began */
	unsigned char *o = *op;

	*bad = 0;
	while (end - q >= 64) {
		uint64_t m;
		__m512i t = vbmi_translate(_mm512_loadu_si512(q), &m);
		size_t k, len, eol;

		if (m == 0) {
			_mm512_mask_storeu_epi8(o, 0xffffffffffffULL,
			                        vbmi_pack(t));
			q += 64;
			o += 48;
			continue;
		}
		k = (size_t)__builtin_ctzll(m);
		if (k % 4 != 0) {
			*bad = k;
			break;
		}
		/* k <= 60: q[k + 1] is inside the block */
		_mm512_mask_storeu_epi8(o, (1ULL << (k / 4 * 3)) - 1,
		                        vbmi_pack(t));
		q += k;
		o += k / 4 * 3;
		eol = line_end(q);
		if (eol == 0)
			break;
		len = line != NULL ? (size_t)(q - line) : 0;
		q += eol;
		if (len >= 4 && len + eol < 128)
			q += dec_vbmi_lines(&o, q, (size_t)(end - q), len, eol);
		line = q;
	}
	*op = o;
	return (size_t)(q - in);
}
#endif

static int
dec_fail(sealmail_error *err, const char *what, uint64_t offset)
{
	return sm_error_set(err, SEALMAIL_EBADDATA,
	                    "base64 data %s at offset %llu", what,
	                    (unsigned long long)offset);
}

int
sm_b64_dec_update(sm_b64_dec *dec,
                  unsigned char *out,
                  size_t *out_len,
                  const unsigned char *in,
                  size_t len,
                  sealmail_error *err)
{
	const unsigned char *p = in, *end = in + len;
	const unsigned char *novec = in; /* no vector try before this */
	const bool strict = dec->mode == SM_B64_STRICT;
	unsigned char *o = out;
	int rc = SEALMAIL_OK;

	while (p < end) {
		unsigned int v;

		if (dec->done) {
			if (!strict) {
				p = end;
				break;
			}
			v = dec_tab[*p++];
			if (v != D_WS) {
				rc = dec_fail(
				        err, "continues after its padding",
				        dec->offset + (uint64_t)(p - in) - 1);
				break;
			}
			continue;
		}
		if (dec->nacc == 0 && dec->npad == 0) {
#if SM_B64_X86
			if (dec->impl == SM_B64_VBMI && p >= novec &&
			    end - p >= 64) {
				size_t bad, n;

				n = dec_vbmi(&o, p, (size_t)(end - p), &bad);
				p += n;
				if (end - p >= 64)
					novec = p + bad + 1;
			}
			/* (VBMI: AVX2 takes a tail of 32 to 63 characters) */
			if (dec->impl >= SM_B64_AVX2 && p >= novec &&
			    end - p >= 32) {
				size_t bad, n;

				n = dec_avx2(&o, p, (size_t)(end - p), &bad);
				p += n;
				if (end - p >= 32)
					novec = p + bad + 1;
			}
#endif
			/* Four alphabet characters at once. */
			while (end - p >= 4) {
				unsigned int a = dec_tab[p[0]],
				             b = dec_tab[p[1]],
				             c = dec_tab[p[2]],
				             d = dec_tab[p[3]];
				uint32_t w;

				if (((a | b | c | d) & 0xc0) != 0)
					break;
				w = a << 18 | b << 12 | c << 6 | d;
				o[0] = (unsigned char)(w >> 16);
				o[1] = (unsigned char)(w >> 8);
				o[2] = (unsigned char)w;
				o += 3;
				p += 4;
			}
			if (p == end)
				break;
		}
		v = dec_tab[*p++];
		if (v < 64) {
			if (dec->npad > 0) {
				rc = dec_fail(err, "has '=' inside a group",
				              dec->offset + (uint64_t)(p - in) -
				                      1);
				break;
			}
			dec->acc = dec->acc << 6 | v;
			if (++dec->nacc == 4) {
				o[0] = (unsigned char)(dec->acc >> 16);
				o[1] = (unsigned char)(dec->acc >> 8);
				o[2] = (unsigned char)dec->acc;
				o += 3;
				dec->nacc = 0;
				dec->acc = 0;
			}
		} else if (v == D_WS) {
			continue;
		} else if (v == D_PAD) {
			if (dec->nacc < 2) {
				if (!strict && dec->nacc == 0) {
					/* RFC 2045: '=' means the end. */
					dec->done = true;
					continue;
				}
				rc = dec_fail(err, "has a misplaced '='",
				              dec->offset + (uint64_t)(p - in) -
				                      1);
				break;
			}
			if (dec->nacc + ++dec->npad == 4) {
				if (dec->nacc == 2) {
					o[0] = (unsigned char)(dec->acc >> 4);
					o += 1;
				} else {
					o[0] = (unsigned char)(dec->acc >> 10);
					o[1] = (unsigned char)(dec->acc >> 2);
					o += 2;
				}
				dec->nacc = 0;
				dec->npad = 0;
				dec->acc = 0;
				dec->done = true;
			}
		} else if (strict) {
			char what[48];

			(void)snprintf(what, sizeof(what),
			               "has an invalid character 0x%02x",
			               *(p - 1));
			rc = dec_fail(err, what,
			              dec->offset + (uint64_t)(p - in) - 1);
			break;
		}
	}
	dec->offset += (uint64_t)(p - in);
	*out_len = (size_t)(o - out);
	return rc;
}

int
sm_b64_dec_final(sm_b64_dec *dec,
                 unsigned char *out,
                 size_t *out_len,
                 sealmail_error *err)
{
	*out_len = 0;
	if (dec->done || (dec->nacc == 0 && dec->npad == 0))
		return SEALMAIL_OK;
	if (dec->nacc == 1)
		return dec_fail(err, "ends with a truncated group",
		                dec->offset);
	if (dec->mode == SM_B64_STRICT)
		return dec_fail(err,
		                dec->npad > 0
		                        ? "ends with an incomplete padding"
		                        : "ends without its padding",
		                dec->offset);
	if (dec->nacc == 2) {
		out[0] = (unsigned char)(dec->acc >> 4);
		*out_len = 1;
	} else {
		out[0] = (unsigned char)(dec->acc >> 10);
		out[1] = (unsigned char)(dec->acc >> 2);
		*out_len = 2;
	}
	dec->done = true;
	return SEALMAIL_OK;
}

/* --- pull adapter ------------------------------------------------------- */

void
sm_b64_reader_init(sm_b64_reader *reader,
                   sealmail_read_cb read,
                   void *payload,
                   sm_b64_mode mode,
                   sm_b64_impl impl)
{
	reader->read = read;
	reader->payload = payload;
	sm_b64_dec_init(&reader->dec, mode, impl);
	reader->done = false;
	reader->out_pos = 0;
	reader->out_len = 0;
	memset(&reader->err, 0, sizeof(reader->err));
}

long
sm_b64_reader_read(void *buf, size_t len, void *payload)
{
	sm_b64_reader *r = payload;

	for (;;) {
		size_t n;
		long got;
		int rc;

		if (r->out_pos < r->out_len) {
			n = r->out_len - r->out_pos;
			if (n > len)
				n = len;
			memcpy(buf, r->out + r->out_pos, n);
			r->out_pos += n;
			return (long)n;
		}
		if (r->done || len == 0)
			return 0;
		got = r->read(r->in, sizeof(r->in), r->payload);
		if (got < 0)
			return sm_error_set(&r->err, (int)got,
			                    "cannot read the base64 data");
		r->out_pos = 0;
		r->out_len = 0;
		if (got == 0) {
			rc = sm_b64_dec_final(&r->dec, r->out, &r->out_len,
			                      &r->err);
			if (rc != SEALMAIL_OK)
				return rc;
			r->done = true;
			continue;
		}
		/* Decode straight into the caller's buffer when it is big
		 * enough. */
		if (len >= sm_b64_dec_bound((size_t)got)) {
			rc = sm_b64_dec_update(&r->dec, buf, &n, r->in,
			                       (size_t)got, &r->err);
			if (rc != SEALMAIL_OK)
				return rc;
			if (n > 0)
				return (long)n;
			continue;
		}
		rc = sm_b64_dec_update(&r->dec, r->out, &r->out_len, r->in,
		                       (size_t)got, &r->err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
}
