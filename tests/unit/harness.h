/* SPDX-License-Identifier: MIT */
/*
 * A tiny unit-test harness: each test file defines `tests[]` and includes
 * this header once.  test_assert records file and line and continues; the
 * run exits non-zero when any assertion failed.  Output is TAP.
 */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

static int test_failures;
static int test_current_failed;

#define test_assert(cond)                                                 \
	do {                                                              \
		if (!(cond)) {                                            \
			(void)printf("#   %s:%d: assertion failed: %s\n", \
			             __FILE__, __LINE__, #cond);          \
			test_current_failed = 1;                          \
		}                                                         \
	} while (0)

#define test_assert_int(a, b)                                                  \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			(void)printf("#   %s:%d: %s == %lld, expected %lld\n", \
			             __FILE__, __LINE__, #a, a_, b_);          \
			test_current_failed = 1;                               \
		}                                                              \
	} while (0)

#define test_assert_str(a, b)                                                 \
	do {                                                                  \
		const char *a_ = (a), *b_ = (b);                              \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {        \
			(void)printf("#   %s:%d: %s == \"%s\", expected "     \
			             "\"%s\"\n",                              \
			             __FILE__, __LINE__, #a,                  \
			             a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			test_current_failed = 1;                              \
		}                                                             \
	} while (0)

/*
 * How many entries `dir` holds besides "." and ".." (hidden ones count:
 * a leftover temporary is often hidden); -1 when it cannot be opened.
 */
static inline int
test_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return n;
}

/* Temporary folders made by test_tmpdir(), removed when the run ends. */
static char test_tmpdirs[64][64];
static int test_ntmpdirs;

/*
 * Path of a fresh temporary folder (mkdtemp), valid for the whole run and
 * removed with its contents at the end.
 */
static inline const char *
test_tmpdir(void)
{
	char *buf;

	if (test_ntmpdirs == 64) {
		(void)printf("Bail out! too many temporary folders\n");
		exit(1);
	}
	buf = test_tmpdirs[test_ntmpdirs++];
	(void)snprintf(buf, 64, "/tmp/sealmail-unit-XXXXXX");
	if (mkdtemp(buf) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return buf;
}

static int
test_rm(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static inline int
test_run(const struct test_case *tests, size_t n, int argc, char **argv)
{
	(void)printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0) {
			(void)printf("ok %zu - %s # SKIP not selected\n", i + 1,
			             tests[i].name);
			continue;
		}
		test_current_failed = 0;
		tests[i].fn();
		(void)printf("%s %zu - %s\n",
		             test_current_failed ? "not ok" : "ok", i + 1,
		             tests[i].name);
		test_failures += test_current_failed;
	}
	for (int i = 0; i < test_ntmpdirs; i++)
		(void)nftw(test_tmpdirs[i], test_rm, 16, FTW_DEPTH | FTW_PHYS);
	return test_failures == 0 ? 0 : 1;
}

#define TEST_MAIN(tests)                                                       \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, \
		                argv);                                         \
	}

#endif
