/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for canon.c: both implementations against a byte-at-a-time
 * reference, for every split point, one byte at a time, CR at the end of a
 * chunk, line ends at every offset of a vector, and random text.
 */
#include "canon.h"

#include "harness.h"

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

static const sm_canon_impl impls[] = {SM_CANON_PORTABLE, SM_CANON_AVX2};

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

static const struct test_case tests[] = {
        {"fixed", test_fixed},
        {"positions", test_positions},
        {"random", test_random},
};

TEST_MAIN(tests)
