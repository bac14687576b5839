/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for b64.c: every implementation the CPU runs (portable, AVX2,
 * AVX-512 VBMI, forced in turn) against a plain reference encoder and
 * decoder, for every length 0..300, every two-way split, one byte at a time,
 * random splits, several line lengths, every garbage byte, the padding
 * errors, and data ending at an unmapped page (no read or write outside).
 */
#include "b64.h"

#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

static const char ref_alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void
fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)rng();
}

/* Reference encoder: one character at a time, CRLF after each full line. */
static size_t
ref_encode(char *out, const unsigned char *in, size_t len, unsigned int line)
{
	size_t o = 0, col = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned int b0 = in[i];
		unsigned int b1 = i + 1 < len ? in[i + 1] : 0;
		unsigned int b2 = i + 2 < len ? in[i + 2] : 0;
		char g[4];

		g[0] = ref_alpha[b0 >> 2];
		g[1] = ref_alpha[((b0 & 3) << 4) | (b1 >> 4)];
		g[2] = i + 1 < len ? ref_alpha[((b1 & 15) << 2) | (b2 >> 6)]
		                   : '=';
		g[3] = i + 2 < len ? ref_alpha[b2 & 63] : '=';
		for (int k = 0; k < 4; k++) {
			out[o++] = g[k];
			if (line != 0 && ++col == line) {
				out[o++] = '\r';
				out[o++] = '\n';
				col = 0;
			}
		}
	}
	if (line != 0 && col != 0) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

static int
ref_value(int c)
{
	const char *p = c != 0 ? strchr(ref_alpha, c) : NULL;
	return p != NULL ? (int)(p - ref_alpha) : -1;
}

/*
 * Reference decoder with the documented rules.  Returns 0 or -1 with
 * `*bad_at` the offset the error names.
 */
static int
ref_decode(unsigned char *out,
           size_t *out_len,
           const char *in,
           size_t len,
           bool strict,
           size_t *bad_at)
{
	int vals[4];
	int n = 0, pad = 0;
	bool done = false;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];
		bool ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
		int v = ref_value(c);

		if (done) {
			if (!strict)
				break;
			if (!ws) {
				*bad_at = i;
				return -1;
			}
			continue;
		}
		if (ws)
			continue;
		if (c == '=') {
			if (n < 2) {
				if (!strict && n == 0) {
					done = true;
					continue;
				}
				*bad_at = i;
				return -1;
			}
			pad++;
			if (n + pad == 4) {
				out[o++] = (unsigned char)(vals[0] << 2 |
				                           vals[1] >> 4);
				if (n == 3)
					out[o++] =
					        (unsigned char)(vals[1] << 4 |
					                        vals[2] >> 2);
				done = true;
			}
			continue;
		}
		if (v < 0) {
			if (strict) {
				*bad_at = i;
				return -1;
			}
			continue;
		}
		if (pad > 0) {
			*bad_at = i;
			return -1;
		}
		vals[n++] = v;
		if (n == 4) {
			out[o++] = (unsigned char)(vals[0] << 2 | vals[1] >> 4);
			out[o++] = (unsigned char)(vals[1] << 4 | vals[2] >> 2);
			out[o++] = (unsigned char)(vals[2] << 6 | vals[3]);
			n = 0;
		}
	}
	if (!done && (n > 0 || pad > 0)) {
		if (n == 1 || strict) {
			*bad_at = len;
			return -1;
		}
		out[o++] = (unsigned char)(vals[0] << 2 | vals[1] >> 4);
		if (n == 3)
			out[o++] = (unsigned char)(vals[1] << 4 | vals[2] >> 2);
	}
	*out_len = o;
	return 0;
}

static const sm_b64_impl impls[] = {SM_B64_PORTABLE, SM_B64_AVX2, SM_B64_VBMI};
#define N_IMPLS (sm_b64_have_vbmi() ? 3 : sm_b64_have_avx2() ? 2 : 1)

/* Encode `in` through the stream in pieces given by `cuts` (sorted). */
static size_t
enc_pieces(unsigned char *out,
           const unsigned char *in,
           size_t len,
           unsigned int line,
           sm_b64_impl impl,
           const size_t *cuts,
           size_t ncuts)
{
	sm_b64_enc e;
	size_t o = 0, prev = 0;

	sm_b64_enc_init(&e, line, impl);
	for (size_t k = 0; k <= ncuts; k++) {
		size_t at = k < ncuts ? cuts[k] : len;
		size_t n = sm_b64_enc_update(&e, out + o, in + prev, at - prev);

		test_assert(n <= sm_b64_enc_bound(&e, at - prev) + 0);
		o += n;
		prev = at;
	}
	o += sm_b64_enc_final(&e, out + o);
	return o;
}

static void
test_encode_lengths(void)
{
	static const unsigned int lines[] = {76, 0, 4, 64, 72, 8};
	unsigned char in[300], got[1200];
	char want[1200];

	fill_random(in, sizeof(in));
	for (int ii = 0; ii < N_IMPLS; ii++)
		for (size_t li = 0; li < SM_ARRAY_SIZE(lines); li++)
			for (size_t len = 0; len <= 300; len++) {
				size_t wl =
				        ref_encode(want, in, len, lines[li]);
				size_t gl = enc_pieces(got, in, len, lines[li],
				                       impls[ii], NULL, 0);

				test_assert_int(gl, wl);
				test_assert(memcmp(got, want, wl) == 0);
			}
}

static void
test_encode_splits(void)
{
	unsigned char in[300], got[1200];
	char want[1200];

	fill_random(in, sizeof(in));
	for (int ii = 0; ii < N_IMPLS; ii++)
		for (size_t len = 0; len <= 300; len += 1) {
			size_t wl = ref_encode(want, in, len, 76);
			size_t cuts[300];

			/* every two-way split */
			for (size_t at = 0; at <= len; at++) {
				size_t gl = enc_pieces(got, in, len, 76,
				                       impls[ii], &at, 1);
				test_assert_int(gl, wl);
				test_assert(memcmp(got, want, wl) == 0);
			}
			/* one byte at a time */
			for (size_t k = 0; k + 1 < len; k++)
				cuts[k] = k + 1;
			{
				size_t gl =
				        enc_pieces(got, in, len, 76, impls[ii],
				                   cuts, len > 0 ? len - 1 : 0);
				test_assert_int(gl, wl);
				test_assert(memcmp(got, want, wl) == 0);
			}
		}
}

static void
test_encode_random_large(void)
{
	const size_t len = 200000;
	unsigned char *in = malloc(len), *got = malloc(len * 2);
	char *want = malloc(len * 2);

	fill_random(in, len);
	for (int round = 0; round < 20; round++) {
		size_t cuts[64], n = 0, at = 0;
		unsigned int line = round % 4 == 3 ? 0 : 76;
		size_t wl = ref_encode(want, in, len, line);

		while (n < 64) {
			at += rng() % (round < 10 ? 100 : 20000);
			if (at >= len)
				break;
			cuts[n++] = at;
		}
		for (int ii = 0; ii < N_IMPLS; ii++) {
			size_t gl = enc_pieces(got, in, len, line, impls[ii],
			                       cuts, n);
			test_assert_int(gl, wl);
			test_assert(memcmp(got, want, wl) == 0);
		}
	}
	free(in);
	free(got);
	free(want);
}

/*
 * Decode `in` in pieces; returns the status, output in `out`/`*out_len`,
 * the error in `err`.
 */
static int
dec_pieces(unsigned char *out,
           size_t *out_len,
           const char *in,
           size_t len,
           sm_b64_mode mode,
           sm_b64_impl impl,
           const size_t *cuts,
           size_t ncuts,
           sealmail_error *err)
{
	sm_b64_dec d;
	size_t o = 0, prev = 0, n = 0;
	int rc;

	sm_b64_dec_init(&d, mode, impl);
	for (size_t k = 0; k <= ncuts; k++) {
		size_t at = k < ncuts ? cuts[k] : len;

		rc = sm_b64_dec_update(&d, out + o, &n,
		                       (const unsigned char *)in + prev,
		                       at - prev, err);
		test_assert(n <= sm_b64_dec_bound(at - prev));
		o += n;
		prev = at;
		if (rc != SEALMAIL_OK)
			return rc;
	}
	rc = sm_b64_dec_final(&d, out + o, &n, err);
	*out_len = o + n;
	return rc;
}

/* Decode with every implementation and mode; compare with the reference. */
static void
check_decode(const char *in, size_t len, const size_t *cuts, size_t ncuts)
{
	static unsigned char want[4096], got[4096];

	for (int strict = 0; strict < 2; strict++) {
		size_t wl = 0, bad = 0, gl = 0;
		int wrc = ref_decode(want, &wl, in, len, strict, &bad);

		for (int ii = 0; ii < N_IMPLS; ii++) {
			sealmail_error err = {0};
			int rc = dec_pieces(got, &gl, in, len,
			                    strict ? SM_B64_STRICT
			                           : SM_B64_LENIENT,
			                    impls[ii], cuts, ncuts, &err);
			if (wrc == 0) {
				test_assert_int(rc, SEALMAIL_OK);
				test_assert_int(gl, wl);
				test_assert(rc != 0 ||
				            memcmp(got, want, wl) == 0);
				if (rc != 0)
					(void)printf("#   %s (%.*s)\n",
					             err.message, (int)len, in);
			} else {
				char at[64];

				(void)snprintf(at, sizeof(at), "at offset %zu",
				               bad);
				test_assert_int(rc, SEALMAIL_EBADDATA);
				test_assert_int(err.code, SEALMAIL_EBADDATA);
				test_assert(strstr(err.message, at) != NULL);
				if (strstr(err.message, at) == NULL)
					(void)printf("#   %s, want %s (%.*s)\n",
					             err.message, at, (int)len,
					             in);
			}
		}
	}
}

static void
test_decode_lengths_and_splits(void)
{
	unsigned char in[300];
	char text[1200];

	fill_random(in, sizeof(in));
	for (size_t len = 0; len <= 300; len++) {
		size_t tl = ref_encode(text, in, len, 76);
		size_t cuts[1200];

		check_decode(text, tl, NULL, 0);
		for (size_t at = 0; at <= tl; at += (len > 100 ? 7 : 1))
			check_decode(text, tl, &at, 1);
		for (size_t k = 0; k + 1 < tl; k++)
			cuts[k] = k + 1;
		check_decode(text, tl, cuts, tl > 0 ? tl - 1 : 0);
		/* no line breaks, other line lengths, LF-only line ends */
		tl = ref_encode(text, in, len, 0);
		check_decode(text, tl, NULL, 0);
		for (unsigned int line = 4; line <= 100; line += 4) {
			size_t ll = 0;
			char lf[1200];

			tl = ref_encode(text, in, len, line);
			check_decode(text, tl, NULL, 0);
			for (size_t i = 0; i < tl; i++)
				if (text[i] != '\r')
					lf[ll++] = text[i];
			check_decode(lf, ll, NULL, 0);
		}
	}
}

/*
 * Lines of changing lengths (multiples of 4 or not, up to 200 characters)
 * and ends (CRLF, LF, CR alone, a space before the end): the decoders
 * that learn a line's length from the one before must notice each change.
 */
static void
test_decode_line_shapes(void)
{
	static const unsigned int shapes[][8] = {
	        {76, 76, 76, 76, 72, 76, 76, 76},
	        {64, 64, 64, 64, 64, 60, 64, 64},
	        {76, 76, 76, 80, 76, 76, 4, 4},
	        {128, 128, 128, 124, 132, 132, 132, 76},
	        {8, 8, 8, 8, 12, 8, 8, 8},
	        {76, 76, 76, 74, 78, 76, 76, 76},
	        {200, 200, 200, 196, 200, 64, 64, 64},
	        {76, 76, 76, 76, 76, 76, 76, 76},
	};
	static const char *const ends[] = {"\r\n", "\n", "\r", " \r\n"};
	unsigned char in[1500];
	char flat[2100], text[4096];

	fill_random(in, sizeof(in));
	(void)ref_encode(flat, in, sizeof(in), 0);
	for (size_t si = 0; si < SM_ARRAY_SIZE(shapes); si++)
		for (size_t ei = 0; ei < 16; ei++) {
			size_t tl = 0, fl = 0, li = 0;

			/* the end of line 4 (and, for ei >= 4, line 5)
			 * differs */
			while (fl < 2000 && tl + 220 < sizeof(text)) {
				size_t n = shapes[si][li % 8];
				const char *e = "\r\n";

				if (li == 4 || (li == 5 && ei >= 4))
					e = ends[ei % 4];
				if (ei >= 8 && li % 2 == 1)
					e = "\n";
				if (n > 2000 - fl)
					n = 2000 - fl;
				memcpy(text + tl, flat + fl, n);
				tl += n;
				fl += n;
				/* bytes of a text, not a C string */
				for (const char *c = e; *c != '\0'; c++)
					text[tl++] = *c;
				li++;
			}
			check_decode(text, tl, NULL, 0);
			{
				size_t cut = tl / 3;

				check_decode(text, tl, &cut, 1);
			}
		}
}

/* Every byte value at several places of a valid text. */
static void
test_decode_garbage(void)
{
	unsigned char in[420];
	char text[600], bad[601];
	size_t tl;

	fill_random(in, sizeof(in));
	tl = ref_encode(text, in, sizeof(in), 76);
	for (int c = 0; c < 256; c++) {
		/* inside and at the edges of 32- and 64-character blocks and
		 * of MIME lines: the first, the second (whose length the VBMI
		 * decoder learns) and those it decodes as alike (from the
		 * third on, 78 characters each) */
		static const size_t places[] = {
		        0,   1,   2,   3,   31,  32,  33,  63,  64,  65,
		        76,  77,  78,  100, 127, 128, 129, 141, 155, 156,
		        157, 191, 192, 233, 234, 235, 297, 298, 299, 300,
		        310, 311, 312, 313, 389, 390, 391, 467, 468, 469};
		for (size_t k = 0; k < SM_ARRAY_SIZE(places); k++) {
			size_t at = places[k];

			memcpy(bad, text, at);
			bad[at] = (char)c;
			memcpy(bad + at + 1, text + at, tl - at);
			check_decode(bad, tl + 1, NULL, 0);
			/* replacing a character instead of inserting one */
			memcpy(bad, text, tl);
			bad[at] = (char)c;
			check_decode(bad, tl, NULL, 0);
		}
	}
}

struct dec_case {
	const char *in;
	int strict_rc;   /* 0 or EBADDATA */
	const char *out; /* strict result, when 0 */
	int lenient_rc;
	const char *lenient_out;
};

static void
test_decode_padding(void)
{
	static const struct dec_case cases[] = {
	        {"", 0, "", 0, ""},
	        {"QQ==", 0, "A", 0, "A"},
	        {"QUI=", 0, "AB", 0, "AB"},
	        {"QUJD", 0, "ABC", 0, "ABC"},
	        {"QQ", SEALMAIL_EBADDATA, NULL, 0, "A"},
	        {"QUI", SEALMAIL_EBADDATA, NULL, 0, "AB"},
	        {"Q", SEALMAIL_EBADDATA, NULL, SEALMAIL_EBADDATA, NULL},
	        {"QQ=", SEALMAIL_EBADDATA, NULL, 0, "A"},
	        {"=", SEALMAIL_EBADDATA, NULL, 0, ""},
	        {"Q=", SEALMAIL_EBADDATA, NULL, SEALMAIL_EBADDATA, NULL},
	        {"QQ=Q", SEALMAIL_EBADDATA, NULL, SEALMAIL_EBADDATA, NULL},
	        {"QQ==QUJD", SEALMAIL_EBADDATA, NULL, 0, "A"},
	        {"QQ==\r\n \t", 0, "A", 0, "A"},
	        {"QQ===", SEALMAIL_EBADDATA, NULL, 0, "A"},
	        {"QU JD\r\n", 0, "ABC", 0, "ABC"},
	        {"QU*JD", SEALMAIL_EBADDATA, NULL, 0, "ABC"},
	        {"QUJD=", SEALMAIL_EBADDATA, NULL, 0, "ABC"},
	        {"QR==", 0, "A", 0, "A"}, /* non-zero unused bits */
	};
	for (size_t i = 0; i < SM_ARRAY_SIZE(cases); i++)
		for (int ii = 0; ii < N_IMPLS; ii++)
			for (int strict = 0; strict < 2; strict++) {
				const struct dec_case *c = &cases[i];
				unsigned char got[16];
				size_t gl = 0;
				sealmail_error err = {0};
				int want =
				        strict ? c->strict_rc : c->lenient_rc;
				const char *wout =
				        strict ? c->out : c->lenient_out;
				int rc = dec_pieces(
				        got, &gl, c->in, strlen(c->in),
				        strict ? SM_B64_STRICT : SM_B64_LENIENT,
				        impls[ii], NULL, 0, &err);

				test_assert_int(rc, want);
				if (rc != want)
					(void)printf(
					        "#   case \"%s\" strict=%d\n",
					        c->in, strict);
				if (want == 0 && rc == 0) {
					test_assert_int(gl, strlen(wout));
					test_assert(memcmp(got, wout, gl) == 0);
				}
			}
}

static void
test_decode_messages(void)
{
	unsigned char out[16];
	size_t n;
	sealmail_error err = {0};

	test_assert_int(dec_pieces(out, &n, "QUJD\r\nQ!JD", 10, SM_B64_STRICT,
	                           SM_B64_PORTABLE, NULL, 0, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(
	        err.message,
	        "base64 data has an invalid character 0x21 at offset 7");
	test_assert_int(dec_pieces(out, &n, "QUJDQQ", 6, SM_B64_STRICT,
	                           SM_B64_PORTABLE, NULL, 0, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message,
	                "base64 data ends without its padding at offset 6");
}

/* Large random text, CRLF and LF lines, random splits, both impls. */
static void
test_decode_random_large(void)
{
	const size_t len = 150000;
	unsigned char *in = malloc(len), *got = malloc(len + 16);
	char *text = malloc(len * 2), *lf = malloc(len * 2);
	size_t tl, ll = 0;

	fill_random(in, len);
	tl = ref_encode(text, in, len, 76);
	for (size_t i = 0; i < tl; i++)
		if (text[i] != '\r')
			lf[ll++] = text[i];
	for (int round = 0; round < 20; round++) {
		const char *t = round % 2 ? lf : text;
		size_t tlen = round % 2 ? ll : tl;
		size_t cuts[64], n = 0, at = 0;

		while (n < 64) {
			at += rng() % (round < 10 ? 97 : 30011);
			if (at >= tlen)
				break;
			cuts[n++] = at;
		}
		for (int ii = 0; ii < N_IMPLS; ii++) {
			size_t gl = 0;
			sealmail_error err = {0};

			test_assert_int(dec_pieces(got, &gl, t, tlen,
			                           SM_B64_STRICT, impls[ii],
			                           cuts, n, &err),
			                SEALMAIL_OK);
			test_assert_int(gl, len);
			test_assert(memcmp(got, in, len) == 0);
		}
	}
	free(in);
	free(got);
	free(text);
	free(lf);
}

struct text_src {
	const char *p;
	size_t len, pos, max;
};

static long
text_read(void *buf, size_t len, void *payload)
{
	struct text_src *s = payload;
	size_t n = s->len - s->pos;

	if (n > len)
		n = len;
	if (s->max > 0) {
		size_t cap = 1 + rng() % s->max;

		if (n > cap)
			n = cap;
	}
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (long)n;
}

/* The pull adapter, with random source and read sizes, and its errors. */
static void
test_reader(void)
{
	const size_t len = 200000;
	unsigned char *in = malloc(len), *got = malloc(len + 16);
	char *text = malloc(len * 2);
	sm_b64_reader *r = malloc(sizeof(*r));
	size_t tl;

	fill_random(in, len);
	tl = ref_encode(text, in, len, 76);
	for (int round = 0; round < 12; round++) {
		struct text_src src = {text, tl, 0, round % 3 == 0 ? 0 : 500};
		size_t g = 0;
		long n;

		sm_b64_reader_init(r, text_read, &src, SM_B64_STRICT,
		                   impls[round % N_IMPLS]);
		do {
			size_t want = round % 2 ? 1 + rng() % 3000 : 100000;

			if (want > len + 16 - g)
				want = len + 16 - g;
			n = sm_b64_reader_read(got + g, want, r);
			if (n > 0)
				g += (size_t)n;
		} while (n > 0);
		test_assert_int(n, 0);
		if (n != 0)
			(void)printf("#   round %d: %s\n", round,
			             r->err.message);
		test_assert_int(g, len);
		test_assert(memcmp(got, in, len) == 0);
		test_assert_int(sm_b64_reader_read(got, 10, r), 0);
	}
	/* a bad character: EBADDATA with its offset; a truncated text */
	{
		struct text_src src = {"QUJD\r\nQU*D\r\n", 12, 0, 0};
		long n;

		sm_b64_reader_init(r, text_read, &src, SM_B64_STRICT,
		                   SM_B64_AUTO);
		n = sm_b64_reader_read(got, 100, r);
		test_assert_int(n, SEALMAIL_EBADDATA);
		test_assert_str(r->err.message, "base64 data has an invalid "
		                                "character 0x2a at offset 8");
		src.p = "QUJDQQ";
		src.len = 6;
		src.pos = 0;
		sm_b64_reader_init(r, text_read, &src, SM_B64_STRICT,
		                   SM_B64_AUTO);
		test_assert_int(sm_b64_reader_read(got, 100, r), 3);
		test_assert_int(sm_b64_reader_read(got, 100, r),
		                SEALMAIL_EBADDATA);
		/* lenient: the unpadded tail is given */
		src.pos = 0;
		sm_b64_reader_init(r, text_read, &src, SM_B64_LENIENT,
		                   SM_B64_AUTO);
		test_assert_int(sm_b64_reader_read(got, 100, r), 3);
		test_assert_int(sm_b64_reader_read(got, 100, r), 1);
		test_assert_int(got[0], 'A');
		test_assert_int(sm_b64_reader_read(got, 100, r), 0);
	}
	free(r);
	free(in);
	free(got);
	free(text);
}

static void
test_impl_choice(void)
{
	sm_b64_impl best = sm_b64_have_vbmi()   ? SM_B64_VBMI
	                   : sm_b64_have_avx2() ? SM_B64_AVX2
	                                        : SM_B64_PORTABLE;
	sm_b64_enc e;
	sm_b64_dec d;

	/* The choice is stored in the stream; PORTABLE is always honoured. */
	sm_b64_enc_init(&e, 76, SM_B64_PORTABLE);
	test_assert_int(e.impl, SM_B64_PORTABLE);
	sm_b64_enc_init(&e, 76, SM_B64_AUTO);
	test_assert_int(e.impl, best);
	sm_b64_dec_init(&d, SM_B64_STRICT, SM_B64_AUTO);
	test_assert_int(d.impl, best);
	/* one the CPU lacks falls back: VBMI to AVX2 to PORTABLE */
	sm_b64_enc_init(&e, 76, SM_B64_VBMI);
	test_assert_int(e.impl, best);
	sm_b64_dec_init(&d, SM_B64_LENIENT, SM_B64_AVX2);
	test_assert_int(d.impl,
	                sm_b64_have_avx2() ? SM_B64_AVX2 : SM_B64_PORTABLE);
	test_assert(!sm_b64_have_vbmi() || sm_b64_have_avx2());
	if (!sm_b64_have_vbmi())
		(void)printf("# no AVX-512 VBMI on this CPU: not tested\n");
	if (!sm_b64_have_avx2())
		(void)printf("# no AVX2 on this CPU: portable code only\n");
}

/*
 * Input ending where an unmapped page begins, output exactly as large as
 * the bound with the same page after it: an implementation that reads or
 * writes one byte too far faults (the masked AVX-512 loads and stores must
 * not).  Every length 0..200, every line length used, both directions.
 */
static void
test_page_edge(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t span = (size_t)page * 4;
	unsigned char *m = mmap(NULL, span * 2, PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *in_end, *out_end, src[200];
	char want[600];

	test_assert(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return;
	/* [m, m+span-page) input, a hole, [m+span, m+2span-page) output,
	 * a hole */
	test_assert_int(mprotect(m + span - page, (size_t)page, PROT_NONE), 0);
	test_assert_int(mprotect(m + 2 * span - page, (size_t)page, PROT_NONE),
	                0);
	in_end = m + span - page;
	out_end = m + 2 * span - page;
	fill_random(src, sizeof(src));
	for (int ii = 0; ii < N_IMPLS; ii++)
		for (unsigned int line = 0; line <= 76; line += 76)
			for (size_t len = 0; len <= sizeof(src); len++) {
				size_t wl = ref_encode(want, src, len, line);
				unsigned char *in = in_end - len, *out;
				sm_b64_enc e;
				sm_b64_dec d;
				size_t n, f, bound;

				memcpy(in, src, len);
				sm_b64_enc_init(&e, line, impls[ii]);
				bound = sm_b64_enc_bound(&e, len);
				out = out_end - bound;
				n = sm_b64_enc_update(&e, out, in, len);
				test_assert(n <= wl &&
				            memcmp(out, want, n) == 0);
				/* the final bytes, also at the edge */
				out = out_end - SM_B64_ENC_FINAL_MAX;
				f = sm_b64_enc_final(&e, out);
				test_assert_int(n + f, wl);
				test_assert(n + f != wl ||
				            memcmp(out, want + n, f) == 0);
				/* decode `want` from the edge */
				memcpy(in_end - wl, want, wl);
				sm_b64_dec_init(&d, SM_B64_STRICT, impls[ii]);
				bound = sm_b64_dec_bound(wl);
				test_assert_int(sm_b64_dec_update(
				                        &d, out_end - bound, &n,
				                        in_end - wl, wl, NULL),
				                SEALMAIL_OK);
				test_assert_int(n, len);
				test_assert(memcmp(out_end - bound, src, len) ==
				            0);
			}
	(void)munmap(m, span * 2);
}

static const struct test_case tests[] = {
        {"impl_choice", test_impl_choice},
        {"page_edge", test_page_edge},
        {"encode_lengths", test_encode_lengths},
        {"encode_splits", test_encode_splits},
        {"encode_random_large", test_encode_random_large},
        {"decode_lengths_and_splits", test_decode_lengths_and_splits},
        {"decode_line_shapes", test_decode_line_shapes},
        {"decode_garbage", test_decode_garbage},
        {"decode_padding", test_decode_padding},
        {"decode_messages", test_decode_messages},
        {"decode_random_large", test_decode_random_large},
        {"reader", test_reader},
};

TEST_MAIN(tests)
