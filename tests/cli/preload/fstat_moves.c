/* SPDX-License-Identifier: MIT */
/*
 * Test-only LD_PRELOAD module (never installed): each fstat(2) of a regular
 * file whose path contains $SM_TEST_MOVES reports a modification time one
 * second later than the call before, as if another program wrote the file
 * in between.  CLI tests use it to reach "FILE changed while it was being
 * read" (docs/design.md, "Views of a file") without racing a writer.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long moves; /* this process's count of moved times (atomic) */

/* The seconds to add to what fstat of `fd` found: 0 for other files. */
static long
moved(int fd, mode_t mode)
{
	const char *want = getenv("SM_TEST_MOVES");
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (want == NULL || *want == '\0' || !S_ISREG(mode))
		return 0;
	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	if (strstr(path, want) == NULL)
		return 0;
	return __atomic_add_fetch(&moves, 1, __ATOMIC_RELAXED);
}

/*
 * Both names: sealmail's own code calls fstat64 (64-bit off_t), SQLite
 * fstat.  The parameters are named as glibc's declarations name them.
 */
int
fstat(int __fd, struct stat *__buf)
{
	int fd = __fd;
	struct stat *st = __buf;
	int (*real)(int, struct stat *) =
	        (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");
	int rc = real != NULL ? real(fd, st) : -1;

	if (rc == 0)
		st->st_mtim.tv_sec += moved(fd, st->st_mode);
	return rc;
}

int
fstat64(int __fd, struct stat64 *__buf)
{
	int fd = __fd;
	struct stat64 *st = __buf;
	int (*real)(int, struct stat64 *) =
	        (int (*)(int, struct stat64 *))dlsym(RTLD_NEXT, "fstat64");
	int rc = real != NULL ? real(fd, st) : -1;

	if (rc == 0)
		st->st_mtim.tv_sec += moved(fd, st->st_mode);
	return rc;
}
