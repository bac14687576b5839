/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for canon.c: both implementations against a byte-at-a-time
 * reference, for every split point, one byte at a time, CR at the end of a
 * chunk, line ends at every offset of a vector, and random text.
 */
#include "canon.h"

#include "harness.h"

/* Line ends written into byte buffers (no NUL: not strings). */
static const char CRLF[2] = {'\r', '\n'};
static const char FROM[5] = {'F', 'r', 'o', 'm', ' '};

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static size_t
ref_canon(unsigned char *out, const unsigned char *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\r') {
			out[o++] = '\r';
			out[o++] = '\n';
			if (i + 1 < len && in[i + 1] == '\n')
				i++;
		} else if (in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

/* (sm_canon has no AVX-512 code: AVX512 gives it the AVX2 copier) */
static const sm_canon_impl impls[] = {SM_CANON_PORTABLE, SM_CANON_AVX2,
                                      SM_CANON_AVX512};

/* Run the stream over pieces ending at `cuts`; checks the bound. */
static size_t
canon_pieces(unsigned char *out,
             const unsigned char *in,
             size_t len,
             sm_canon_impl impl,
             const size_t *cuts,
             size_t ncuts)
{
	sm_canon c;
	size_t o = 0, prev = 0;

	sm_canon_init(&c, impl);
	for (size_t k = 0; k <= ncuts; k++) {
		size_t at = k < ncuts ? cuts[k] : len;
		size_t n = sm_canon_update(&c, out + o, in + prev, at - prev);

		test_assert(n <= sm_canon_bound(at - prev));
		o += n;
		prev = at;
	}
	return o + sm_canon_final(&c, out + o);
}

static void
check(const unsigned char *in, size_t len, bool all_splits)
{
	static unsigned char want[8192], got[8192];
	static size_t cuts[4096];
	size_t wl = ref_canon(want, in, len);

	for (size_t ii = 0; ii < SM_ARRAY_SIZE(impls); ii++) {
		size_t gl = canon_pieces(got, in, len, impls[ii], NULL, 0);

		test_assert_int(gl, wl);
		test_assert(memcmp(got, want, wl) == 0);
		if (!all_splits)
			continue;
		for (size_t at = 0; at <= len; at++) {
			gl = canon_pieces(got, in, len, impls[ii], &at, 1);
			test_assert_int(gl, wl);
			test_assert(memcmp(got, want, wl) == 0);
		}
		for (size_t k = 0; k + 1 < len; k++)
			cuts[k] = k + 1;
		gl = canon_pieces(got, in, len, impls[ii], cuts,
		                  len > 0 ? len - 1 : 0);
		test_assert_int(gl, wl);
		test_assert(memcmp(got, want, wl) == 0);
	}
}

static void
test_fixed(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"", ""},
	        {"a", "a"},
	        {"\n", "\r\n"},
	        {"\r", "\r\n"},
	        {"\r\n", "\r\n"},
	        {"\n\r", "\r\n\r\n"},
	        {"\r\r\n", "\r\n\r\n"},
	        {"a\nb\r\nc\rd", "a\r\nb\r\nc\r\nd"},
	        {"line\r", "line\r\n"},
	};
	for (size_t i = 0; i < SM_ARRAY_SIZE(cases); i++)
		for (size_t ii = 0; ii < SM_ARRAY_SIZE(impls); ii++) {
			unsigned char got[32];
			size_t len = strlen(cases[i].in);
			size_t gl;

			/* split before the last byte: a CR at a chunk end */
			size_t at = len > 0 ? len - 1 : 0;

			gl = canon_pieces(got,
			                  (const unsigned char *)cases[i].in,
			                  len, impls[ii], &at, 1);
			test_assert_int(gl, strlen(cases[i].out));
			test_assert(gl == strlen(cases[i].out) &&
			            memcmp(got, cases[i].out, gl) == 0);
		}
}

/* One or two line ends at every offset of 0..100 bytes of text. */
static void
test_positions(void)
{
	static const char *const ends[] = {"\n", "\r", "\r\n", "\n\r", "\r\r"};
	unsigned char buf[128];

	for (size_t e = 0; e < SM_ARRAY_SIZE(ends); e++)
		for (size_t len = 0; len <= 100; len += 1)
			for (size_t at = 0; at + strlen(ends[e]) <= len; at++) {
				memset(buf, 'x', len);
				memcpy(buf + at, ends[e], strlen(ends[e]));
				check(buf, len, len < 70 && at % 3 == 0);
			}
}

/* Random text over a small alphabet rich in CR and LF. */
static void
test_random(void)
{
	static const unsigned char alpha[] = "ab \r\n\r\n";
	unsigned char buf[3000];

	for (int round = 0; round < 300; round++) {
		size_t len = rng() % (round < 200 ? 200 : 3000);
		unsigned int density = 1 + rng() % 64;

		for (size_t i = 0; i < len; i++)
			buf[i] = rng() % density == 0
			                 ? alpha[2 + rng() % 5]
			                 : (unsigned char)(rng() % 256);
		check(buf, len, round < 100);
		/* and random splits */
		for (size_t ii = 0; ii < SM_ARRAY_SIZE(impls); ii++) {
			static unsigned char want[8192], got[8192];
			size_t cuts[32], n = 0, at = 0;
			size_t wl = ref_canon(want, buf, len), gl;

			while (n < 32) {
				at += 1 + rng() % 100;
				if (at >= len)
					break;
				cuts[n++] = at;
			}
			gl = canon_pieces(got, buf, len, impls[ii], cuts, n);
			test_assert_int(gl, wl);
			test_assert(memcmp(got, want, wl) == 0);
		}
	}
}

/*
 * The output buffer exactly sm_canon_bound(len) long (ASan sees any byte
 * past it): text of LFs only (the most output per input byte), of bare
 * CRs, and LF lines, every length to 300, every implementation.
 */
static void
test_bound(void)
{
	static unsigned char want[700];

	for (int kind = 0; kind < 3; kind++)
		for (size_t len = 0; len <= 300; len++) {
			unsigned char *in = malloc(len + 1);
			size_t wl;

			test_assert(in != NULL);
			if (in == NULL)
				return;
			for (size_t i = 0; i < len; i++)
				in[i] = kind == 0    ? '\n'
				        : kind == 1  ? '\r'
				        : i % 7 == 6 ? '\n'
				                     : 'a';
			wl = ref_canon(want, in, len);
			for (size_t ii = 0; ii < SM_ARRAY_SIZE(impls); ii++) {
				unsigned char *out =
				        malloc(sm_canon_bound(len));
				sm_canon c;
				size_t o;

				test_assert(out != NULL);
				if (out == NULL)
					break;
				sm_canon_init(&c, impls[ii]);
				o = sm_canon_update(&c, out, in, len);
				o += sm_canon_final(&c, out + o);
				test_assert_int(o, wl);
				test_assert(o == wl &&
				            memcmp(out, want, o) == 0);
				free(out);
			}
			free(in);
		}
}

/* ---- sm_canon_scan ------------------------------------------------------ */

static bool
ref_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* The rules, one at a time over the whole buffer. */
static bool
ref_clean(const unsigned char *b, size_t n, bool *bare_lf)
{
	size_t line = 0;
	bool clean = true;

	*bare_lf = false;
	for (size_t i = 0; i < n; i++) {
		if (b[i] == 0 || b[i] >= 0x80)
			clean = false;
		if (b[i] == '\r' && (i + 1 == n || b[i + 1] != '\n'))
			clean = false;
		if ((i == 0 || b[i - 1] == '\n') && n - i >= 5 &&
		    memcmp(b + i, "From ", 5) == 0)
			clean = false;
		if (b[i] != '\n')
			continue;
		if (i == 0 || b[i - 1] != '\r')
			*bare_lf = true;
		if ((i >= 1 && ref_ws(b[i - 1])) ||
		    (i >= 2 && b[i - 1] == '\r' && ref_ws(b[i - 2])))
			clean = false;
		if (i - line > 998)
			clean = false;
		line = i + 1;
	}
	if (n - line > 998)
		clean = false;
	return clean;
}

/* Scan in pieces cut at cuts[] (ascending); the verdict and bare_lf. */
static bool
scan_pieces(const unsigned char *b,
            size_t n,
            sm_canon_impl impl,
            const size_t *cuts,
            size_t ncuts,
            bool *bare_lf)
{
	sm_canon_scan s;
	size_t at = 0;
	bool clean;

	sm_canon_scan_init(&s, impl);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : n;
		sm_canon_scan_update(&s, b + at, to - at);
		at = to;
	}
	clean = sm_canon_scan_final(&s);
	*bare_lf = s.bare_lf;
	return clean;
}

static void
scan_check(const unsigned char *b, size_t n)
{
	bool want_lf, want = ref_clean(b, n, &want_lf);

	for (size_t ii = 0; ii < SM_ARRAY_SIZE(impls); ii++) {
		size_t cuts[16], k = 0, at = 0;
		bool lf, got = scan_pieces(b, n, impls[ii], NULL, 0, &lf);

		test_assert_int(got, want);
		if (want)
			test_assert_int(lf, want_lf);
		while (k < 16) {
			at += 1 + rng() % 97;
			if (at >= n)
				break;
			cuts[k++] = at;
		}
		got = scan_pieces(b, n, impls[ii], cuts, k, &lf);
		test_assert_int(got, want);
		if (want)
			test_assert_int(lf, want_lf);
		/* pieces long enough for the vector paths, cut anywhere */
		for (k = 0, at = 0; k < 16;) {
			at += 1 + rng() % 1500;
			if (at >= n)
				break;
			cuts[k++] = at;
		}
		got = scan_pieces(b, n, impls[ii], cuts, k, &lf);
		test_assert_int(got, want);
		if (want)
			test_assert_int(lf, want_lf);
	}
}

static void
test_scan_fixed(void)
{
	static const struct {
		const char *in;
		bool clean, bare_lf;
	} cases[] = {
	        {"", true, false},
	        {"a", true, false},
	        {"a\r\nb\r\n", true, false},
	        {"a\nb\n", true, true},
	        {"a\r", false, false},
	        {"a\rb", false, false},
	        {"a \r\n", false, false},
	        {"a\t\n", false, false},
	        {"a \r", false, false},
	        {"From x", false, false},
	        {"From", true, false},
	        {"x\r\nFrom x", false, false},
	        {"x From y\r\n", true, false},
	        {"\r\nFrom ", false, false},
	        {"\xc3\xa9\r\n", false, false},
	};

	for (size_t i = 0; i < SM_ARRAY_SIZE(cases); i++)
		for (size_t ii = 0; ii < SM_ARRAY_SIZE(impls); ii++) {
			bool lf, got = scan_pieces(
			                 (const unsigned char *)cases[i].in,
			                 strlen(cases[i].in), impls[ii], NULL,
			                 0, &lf);
			test_assert_int(got, cases[i].clean);
			if (got)
				test_assert_int(lf, cases[i].bare_lf);
		}
}

/*
 * Canonical CRLF lines, then one flaw: 8-bit byte, NUL, bare CR, white
 * space before CRLF, "From " at a line start -- at every offset of the
 * first 200 bytes of 2000 (every place in a 64-byte step), and after 1 MiB
 * that looked canonical; lines of exactly 998 bytes before the LF (clean)
 * and 999 (not) wherever they end.
 */
static void
flaw_at(unsigned char *b, size_t n, size_t at)
{
	static const char *const flaws[] = {"\x80", "", "\r", " \r\n",
	                                    "\r\nFrom "};

	for (size_t f = 0; f < SM_ARRAY_SIZE(flaws); f++) {
		size_t flen = f == 1 ? 1 : strlen(flaws[f]);
		unsigned char save[8];
		if (at + flen > n)
			continue;
		memcpy(save, b + at, flen);
		memcpy(b + at, flaws[f], flen);
		scan_check(b, n);
		memcpy(b + at, save, flen);
	}
}

static void
test_scan_flaws(void)
{
	size_t n = (1u << 20) + 300;
	unsigned char *b = malloc(n);
	static const size_t big_at[] = {65535, 65536, 1u << 20, (1u << 20) + 1,
	                                (1u << 20) + 63};

	test_assert(b != NULL);
	if (b == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		b[i] = i % 78 == 76 ? '\r' : i % 78 == 77 ? '\n' : 'A';
	scan_check(b, n);
	for (size_t at = 0; at < 200; at++)
		flaw_at(b, 2000, at);
	for (size_t i = 0; i < SM_ARRAY_SIZE(big_at); i++)
		flaw_at(b, n, big_at[i]);
	/* the line's bytes before its LF, its CR included, as scan_write */
	for (size_t len = 998; len <= 999; len++)
		for (size_t at = 0; at < 130; at++) {
			memset(b, 'A', at + len + 201);
			memcpy(b + at + len - 1, CRLF, sizeof(CRLF));
			memcpy(b + at + len + 199, CRLF, sizeof(CRLF));
			if (at >= 2)
				memcpy(b + at - 2, CRLF, sizeof(CRLF));
			scan_check(b, at + len + 1);
			scan_check(b, at + len + 201);
			b[at + len - 1] = '\n';
			scan_check(b, at + len);
			scan_check(b, at + len - 1);
		}
	free(b);
}

/*
 * A line that has passed 998 bytes with no LF yet is flagged at once, by
 * every implementation (binary content stops the speculative write early),
 * whatever the piece sizes; 998 bytes are not enough.
 */
static void
test_scan_long_line_early(void)
{
	static unsigned char b[1200];

	memset(b, 'A', sizeof(b));
	for (size_t ii = 0; ii < SM_ARRAY_SIZE(impls); ii++)
		for (size_t lead = 0; lead < 70; lead++) {
			sm_canon_scan s;

			/* a short line first, so the long one starts anywhere
			 */
			if (lead > 0)
				b[lead - 1] = '\n';
			sm_canon_scan_init(&s, impls[ii]);
			sm_canon_scan_update(&s, b, lead + 998);
			test_assert(!s.dirty);
			sm_canon_scan_update(&s, b + lead + 998,
			                     sizeof(b) - lead - 998);
			test_assert(s.dirty);
			if (lead > 0)
				b[lead - 1] = 'A';
		}
}

/* The scan and the copier run the fastest code the CPU has, or the one
 * asked for. */
static void
test_scan_dispatch(void)
{
	sm_canon_scan s;
	sm_canon c;

	sm_canon_scan_init(&s, SM_CANON_PORTABLE);
	test_assert_int(s.impl, SM_CANON_PORTABLE);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	sm_canon_scan_init(&s, SM_CANON_AVX2);
	test_assert_int(s.impl, __builtin_cpu_supports("avx2")
	                                ? SM_CANON_AVX2
	                                : SM_CANON_PORTABLE);
	sm_canon_scan_init(&s, SM_CANON_AUTO);
	test_assert_int(s.impl,
	                __builtin_cpu_supports("avx2") &&
	                                __builtin_cpu_supports("avx512bw")
	                        ? SM_CANON_AVX512
	                : __builtin_cpu_supports("avx2") ? SM_CANON_AVX2
	                                                 : SM_CANON_PORTABLE);
	sm_canon_init(&c, SM_CANON_AVX2);
	test_assert_int(c.impl, __builtin_cpu_supports("avx2")
	                                ? SM_CANON_AVX2
	                                : SM_CANON_PORTABLE);
	sm_canon_init(&c, SM_CANON_AUTO);
	test_assert_int(c.impl,
	                __builtin_cpu_supports("avx2") &&
	                                __builtin_cpu_supports("avx512bw") &&
	                                __builtin_cpu_supports("avx512vbmi2") &&
	                                __builtin_cpu_supports("bmi2")
	                        ? SM_CANON_AVX512
	                : __builtin_cpu_supports("avx2") ? SM_CANON_AVX2
	                                                 : SM_CANON_PORTABLE);
#endif
}

/* Random text over an alphabet rich in every byte the rules look at. */
static void
test_scan_random(void)
{
	static const unsigned char alpha[] = "\r\n\r\n  \tFrom FFFab\x80";
	static unsigned char buf[4000];

	for (int round = 0; round < 3000; round++) {
		size_t len = rng() % (round < 2000 ? 300 : 4000);
		unsigned int density = 1 + rng() % 32;

		for (size_t i = 0; i < len; i++)
			buf[i] = rng() % density == 0
			                 ? alpha[rng() % (sizeof(alpha) - 1)]
			         : rng() % 4 != 0 ? 'x'
			                          : alpha[rng() % 4];
		/* make some rounds mostly clean: CRLF lines of base64-ish */
		if (round % 3 == 0)
			for (size_t i = 0; i < len; i++)
				if (buf[i] == '\n' && i > 0)
					buf[i - 1] = '\r';
		scan_check(buf, len);
	}
}

/*
 * CRLF lines (LF lines every other round) of every length around the
 * limit and short ones, of letters
 * with now and then a byte the AVX-512 fast path looks at (or lets through
 * to the exact rules): 'F' at a line start, "From ", '!' '(' ')' and
 * control bytes before the CRLF, space, tab, a bare LF or CR, 8-bit, NUL.
 */
static void
test_scan_lines(void)
{
	static unsigned char buf[24000];
	static const unsigned char odd[] = "F!()\x01\x08 \t\n\r\x80";

	for (int round = 0; round < 1500; round++) {
		size_t len = 0, limit = 2000 + rng() % (sizeof(buf) - 2100);
		unsigned int rare = 50 + rng() % 4000;

		while (len < limit) {
			size_t l =
			        rng() % 4 == 0 ? 990 + rng() % 12 : rng() % 120;
			if (rng() % 8 == 0)
				buf[len++] = 'F'; /* a line start to look at */
			for (size_t i = 0; i < l && len < limit; i++)
				buf[len++] =
				        rng() % rare == 0
				                ? odd[rng() % (sizeof(odd) - 1)]
				                : (unsigned char)('A' +
				                                  rng() % 26);
			if (rng() % rare == 0 && len + sizeof(FROM) < limit) {
				memcpy(buf + len, FROM, sizeof(FROM));
				len += sizeof(FROM);
			}
			if (round % 2 == 0 && len + 2 <= limit) {
				memcpy(buf + len, CRLF, sizeof(CRLF));
				len += 2;
			} else if (round % 2 == 1 && len < limit) {
				buf[len++] = '\n';
			}
		}
		scan_check(buf, len);
	}
}

static const struct test_case tests[] = {
        {"fixed", test_fixed},
        {"positions", test_positions},
        {"random", test_random},
        {"bound", test_bound},
        {"scan_fixed", test_scan_fixed},
        {"scan_flaws", test_scan_flaws},
        {"scan_random", test_scan_random},
        {"scan_long_line_early", test_scan_long_line_early},
        {"scan_dispatch", test_scan_dispatch},
        {"scan_lines", test_scan_lines},
};

TEST_MAIN(tests)
