/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/shim/libm_lazy.c: every math function SQLite's archive
 * references answers as the shared libm does (the same bits, the same
 * errno), through the shim and through SQLite's SQL; the stubs when libm
 * cannot be loaded.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include <sqlite3.h>

#include "../../src/shim/libm_lazy.h"
#include "harness.h"

static sm_libm real;

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static void
test_load(void)
{
	test_assert(sm_libm_load(&real, SM_LIBM_SONAME));
	test_assert(real.handle != NULL);
}

/* Each function, called as SQLite calls it, against libm's own answer. */
static void
test_same_as_libm(void)
{
	static const double in[] = {-2.5, -1.0, -0.3, 0.0, 0.5,
	                            1.0,  2.0,  3.75, 1e10};
	int bad = 0;

	for (size_t i = 0; i < sizeof(in) / sizeof(*in); i++) {
		double x = in[i], y = in[(i + 3) % (sizeof(in) / sizeof(*in))];
		sm_libm_fn1 volatile f1;
		sm_libm_fn2 volatile f2;
		double a, b;
		int ea, eb;
#define CHECK1(name)                                                        \
	f1 = name; /* called, not expanded inline or merged (sincos) */     \
	errno = 0;                                                          \
	a = f1(x);                                                          \
	ea = errno;                                                         \
	errno = 0;                                                          \
	b = real.name(x);                                                   \
	eb = errno;                                                         \
	if (!same_bits(a, b) || ea != eb) {                                 \
		(void)printf(                                               \
		        "#   %s(%g): shim %a errno %d, libm %a errno %d\n", \
		        #name, x, a, ea, b, eb);                            \
		bad++;                                                      \
	}
#define CHECK2(name)                                                         \
	f2 = name;                                                           \
	errno = 0;                                                           \
	a = f2(x, y);                                                        \
	ea = errno;                                                          \
	errno = 0;                                                           \
	b = real.name(x, y);                                                 \
	eb = errno;                                                          \
	if (!same_bits(a, b) || ea != eb) {                                  \
		(void)printf("#   %s(%g, %g): shim %a, libm %a\n", #name, x, \
		             y, a, b);                                       \
		bad++;                                                       \
	}
		SM_LIBM_FN1(CHECK1)
		SM_LIBM_FN2(CHECK2)
	}
	test_assert_int(bad, 0);
	/* libm's errno comes through: a domain error */
	errno = 0;
	test_assert(isnan(acos(2.0)));
	test_assert_int(errno, EDOM);
}

/* SQLite's SQL math functions reach libm through the shim. */
static void
test_sql(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	test_assert_int(sqlite3_open(":memory:", &db), SQLITE_OK);
	test_assert_int(sqlite3_prepare_v2(db,
	                                   "SELECT sqrt(2.0), pow(2.0, 0.5), "
	                                   "acos(-1.0), trunc(-2.5)",
	                                   -1, &st, NULL),
	                SQLITE_OK);
	test_assert_int(sqlite3_step(st), SQLITE_ROW);
	test_assert(same_bits(sqlite3_column_double(st, 0), real.sqrt(2.0)));
	test_assert(
	        same_bits(sqlite3_column_double(st, 1), real.pow(2.0, 0.5)));
	test_assert(same_bits(sqlite3_column_double(st, 2), real.acos(-1.0)));
	test_assert(same_bits(sqlite3_column_double(st, 3), -2.0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* No libm: every entry is a stub answering NaN with errno ENOSYS. */
static void
test_stubs(void)
{
	sm_libm none;

	test_assert(!sm_libm_load(&none, "libsealmail-no-such-libm.so.6"));
	test_assert(none.handle == NULL);
	errno = 0;
	test_assert(isnan(none.sqrt(4.0)));
	test_assert_int(errno, ENOSYS);
	errno = 0;
	test_assert(isnan(none.pow(2.0, 2.0)));
	test_assert_int(errno, ENOSYS);
	test_assert(none.trunc == none.acos && none.atan2 == none.fmod);
	sm_libm_close(&none);
}

static void
test_close(void)
{
	sm_libm_close(&real);
	test_assert(real.handle == NULL);
}

static const struct test_case tests[] = {
        {"load", test_load},   {"same_as_libm", test_same_as_libm},
        {"sql", test_sql},     {"stubs", test_stubs},
        {"close", test_close},
};

TEST_MAIN(tests)
