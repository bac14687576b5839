/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/shim/idn2_lazy.c: GMime's IDN calls answer exactly as
 * the shared libidn2 does, on the inputs the shim answers itself (ASCII
 * domains) and on those it hands over; the stubs when it cannot be loaded.
 */
#include <idn2.h>
#include <stdint.h>

#include "../../src/shim/idn2_lazy.h"
#include "harness.h"

static sm_idn2_lib real;

/* The shim's answer and libidn2's for `in`: the same status and output. */
static int
same_as_libidn2(const char *in)
{
	char *a = NULL, *b = NULL;
	int ra = idn2_to_ascii_8z(in, &a, 0);
	int rb = real.to_ascii_8z(in, &b, 0);
	int same = ra == rb && ((a == NULL && b == NULL) ||
	                        (a != NULL && b != NULL && strcmp(a, b) == 0));

	if (!same)
		(void)printf("#   %s: shim %d \"%s\", libidn2 %d \"%s\"\n", in,
		             ra, a != NULL ? a : "(null)", rb,
		             b != NULL ? b : "(null)");
	idn2_free(a);
	idn2_free(b);
	return same;
}

static void
test_fixed(void)
{
	static const char *const in[] = {"example.org",
	                                 "Example.ORG",
	                                 "EXAMPLE.org.",
	                                 "a..b",
	                                 ".a",
	                                 "a.",
	                                 "",
	                                 "a_b.example",
	                                 "-x.org",
	                                 "x-.org",
	                                 "ab--cd.org",
	                                 "xn--bcher-kva.example",
	                                 "XN--BCHER-KVA.example",
	                                 "xn--zz.org",
	                                 "a b.org",
	                                 "a%b.org",
	                                 "[1.2.3.4]",
	                                 "1.2.3.4",
	                                 "a!b.org",
	                                 "b\303\274cher.example",
	                                 "B\303\234CHER.example",
	                                 "\xe2\x98\x83.net",
	                                 "\xff.org"};
	char label[80];

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		test_assert(same_as_libidn2(in[i]));
	/* a label of 63 bytes (the most DNS takes) and of 64 */
	for (size_t n = 63; n <= 64; n++) {
		memset(label, 'a', n);
		memcpy(label + n, ".org", sizeof(".org"));
		test_assert(same_as_libidn2(label));
	}
	/* the fast path: ASCII, lower-cased; the rest is libidn2's */
	test_assert(sm_idn2_ascii_fast("Example.ORG"));
	test_assert(!sm_idn2_ascii_fast("xn--bcher-kva.example"));
	test_assert(!sm_idn2_ascii_fast("b\303\274cher.example"));
	test_assert(!sm_idn2_ascii_fast("example.org."));
	test_assert(!sm_idn2_ascii_fast(""));
	{
		char *out = NULL;
		test_assert_int(idn2_to_ascii_8z("Mail.Example.ORG", &out, 0),
		                IDN2_OK);
		test_assert_str(out, "mail.example.org");
		idn2_free(out);
		test_assert_int(idn2_to_ascii_8z("b\xc3\xbc"
		                                 "cher.example",
		                                 &out, 0),
		                IDN2_OK);
		test_assert_str(out, "xn--bcher-kva.example");
		idn2_free(out);
		test_assert_int(idn2_to_ascii_8z("example.org", NULL, 0),
		                IDN2_OK);
		test_assert_int(
		        idn2_to_unicode_8z8z("xn--bcher-kva.example", &out, 0),
		        IDN2_OK);
		test_assert_str(out, "b\xc3\xbc"
		                     "cher.example");
		idn2_free(out);
	}
}

/* Random ASCII domains (a fixed seed): the shim and libidn2 agree. */
static void
test_random_ascii(void)
{
	static const char alphabet[] = "abcXYZ019-._!%";
	uint32_t x = 12345;
	int fast = 0, bad = 0;

	for (int t = 0; t < 100000 && bad < 5; t++) {
		char s[300];
		size_t n;

		x = x * 1103515245u + 12345u;
		n = (x >> 16) % 80;
		if (t % 1000 == 0)
			n = 240 + (x >> 16) % 40; /* around the 253 limit */
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			s[i] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
		}
		s[n] = '\0';
		fast += sm_idn2_ascii_fast(s);
		if (!same_as_libidn2(s))
			bad++;
	}
	test_assert_int(bad, 0);
	test_assert(fast > 1000); /* the fast path was exercised */
}

/* No libidn2: the stubs fail and leave no output. */
static void
test_stubs(void)
{
	sm_idn2_lib none;
	char mark[] = "x";
	char *out = mark;

	test_assert(!sm_idn2_lib_load(&none, "libsealmail-no-such-idn2.so.0"));
	test_assert(none.handle == NULL);
	test_assert_int(none.to_ascii_8z("b\xc3\xbc"
	                                 "cher.example",
	                                 &out, 0),
	                IDN2_ENCODING_ERROR);
	test_assert(out == NULL);
	out = mark;
	test_assert_int(none.to_unicode_8z8z("xn--bcher-kva.example", &out, 0),
	                IDN2_ENCODING_ERROR);
	test_assert(out == NULL);
	sm_idn2_lib_close(&none);
	idn2_free(NULL);
}

static void
test_load(void)
{
	test_assert(sm_idn2_lib_load(&real, SM_IDN2_SONAME));
	test_assert(real.handle != NULL);
}

static void
test_close(void)
{
	sm_idn2_lib_close(&real);
	test_assert(real.handle == NULL);
}

static const struct test_case tests[] = {
        {"load", test_load},
        {"fixed", test_fixed},
        {"random_ascii", test_random_ascii},
        {"stubs", test_stubs},
        {"close", test_close},
};

TEST_MAIN(tests)
