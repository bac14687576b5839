/* SPDX-License-Identifier: MIT */
/*
 * Test-only LD_PRELOAD module (never installed): each fstat(2) of a regular
 * file whose path contains $SM_TEST_MOVES reports a modification time one
 * second later than the call before, as if another program wrote the file
 * in between.  CLI tests use it to reach "FILE changed while it was being
 * read" (docs/design.md, "Views of a file") without racing a writer.  With
 * SM_TEST_MOVES_AT=end the times move only once a mapping of the file has
 * reached its last byte: the write comes after everything was read, and
 * only a check after the last byte can see it.  With SM_TEST_MOVES_AT=again
 * they move only once a mapping has reached the last byte a second time:
 * the write comes after the file was read once, and only a second read of
 * it (and the checks after that) can see it.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static long moves; /* this process's count of moved times (atomic) */
static int at_end; /* SM_TEST_MOVES_AT=end/again: the times move now */
static int ends;   /* mappings of a watched file that reached its end */

/* True when `fd` is a regular file whose path contains $SM_TEST_MOVES. */
static int
watched(int fd, mode_t mode)
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
	return strstr(path, want) != NULL;
}

/* The mappings that must reach the end before the times move (0: any). */
static int
moves_at_end(void)
{
	const char *at = getenv("SM_TEST_MOVES_AT");

	if (at != NULL && strcmp(at, "end") == 0)
		return 1;
	return at != NULL && strcmp(at, "again") == 0 ? 2 : 0;
}

/* The seconds to add to what fstat of `fd` found: 0 for other files. */
static long
moved(int fd, mode_t mode)
{
	if (!watched(fd, mode))
		return 0;
	if (moves_at_end() && !__atomic_load_n(&at_end, __ATOMIC_RELAXED))
		return 0;
	return __atomic_add_fetch(&moves, 1, __ATOMIC_RELAXED);
}

/* Arms SM_TEST_MOVES_AT: a mapping of a watched file reaches `end`. */
static void
reached(int fd, off_t end)
{
	struct stat st;
	int (*real)(int, struct stat *) =
	        (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");

	if (fd < 0 || !moves_at_end() || real == NULL || real(fd, &st) != 0 ||
	    !watched(fd, st.st_mode))
		return;
	if (end >= st.st_size &&
	    __atomic_add_fetch(&ends, 1, __ATOMIC_RELAXED) >= moves_at_end())
		__atomic_store_n(&at_end, 1, __ATOMIC_RELAXED);
}

/* The real `name` (mmap or mmap64), then reached() for what it mapped. */
static void *
map_noted(const char *name,
          void *addr,
          size_t len,
          int prot,
          int flags,
          int fd,
          off_t off)
{
	void *(*real)(void *, size_t, int, int, int, off_t) =
	        (void *(*)(void *, size_t, int, int, int, off_t))dlsym(
	                RTLD_NEXT, name);
	void *p = real != NULL ? real(addr, len, prot, flags, fd, off)
	                       : MAP_FAILED;

	if (p != MAP_FAILED)
		reached(fd, off + (off_t)len);
	return p;
}

/* Both names, as for fstat below: sealmail calls mmap64. */
void *
mmap(void *__addr,
     size_t __len,
     int __prot,
     int __flags,
     int __fd,
     off_t __offset)
{
	return map_noted("mmap", __addr, __len, __prot, __flags, __fd,
	                 __offset);
}

void *
mmap64(void *__addr,
       size_t __len,
       int __prot,
       int __flags,
       int __fd,
       off_t __offset)
{
	return map_noted("mmap64", __addr, __len, __prot, __flags, __fd,
	                 __offset);
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
