/* SPDX-License-Identifier: MIT */
/*
 * libm for SQLite, loaded when first needed (SEALMAIL_STATIC_DEPS,
 * docs/design.md).  SQLite's archive is the only one of the static
 * dependencies that references libm, for its SQL math functions (acos() ...
 * pow(), and FTS5's bm25 rank), which sealmail's SQL never calls; yet
 * linking libm made every command map and relocate it: 0.06-0.1 ms of a
 * 4 KiB command (issue 7).  These definitions forward each call to the
 * shared libm, loaded (dlopen) under pthread_once the first time, so the
 * results, errno included, are libm's own.
 */
#include "libm_lazy.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

static double
stub1(double x)
{
	(void)x;
	errno = ENOSYS;
	return NAN;
}

static double
stub2(double x, double y)
{
	(void)x;
	(void)y;
	errno = ENOSYS;
	return NAN;
}

#define SM_LIBM_STUB1(name) lib->name = stub1;
#define SM_LIBM_STUB2(name) lib->name = stub2;
#define SM_LIBM_SYM(name)                                  \
	if (ok) {                                          \
		void *p = dlsym(h, #name);                 \
		ok = p != NULL;                            \
		if (ok)                                    \
			memcpy(&lib->name, &p, sizeof(p)); \
	}

bool
sm_libm_load(sm_libm *lib, const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	bool ok = h != NULL;

	SM_LIBM_FN1(SM_LIBM_SYM)
	SM_LIBM_FN2(SM_LIBM_SYM)
	if (!ok) {
		if (h != NULL)
			(void)dlclose(h);
		SM_LIBM_FN1(SM_LIBM_STUB1)
		SM_LIBM_FN2(SM_LIBM_STUB2)
		lib->handle = NULL;
		return false;
	}
	lib->handle = h;
	return true;
}

void
sm_libm_close(sm_libm *lib)
{
	if (lib->handle != NULL)
		(void)dlclose(lib->handle);
	lib->handle = NULL;
}

static pthread_once_t libm_once = PTHREAD_ONCE_INIT;
static sm_libm libm_lib;

static void
libm_init(void)
{
	(void)sm_libm_load(&libm_lib, SM_LIBM_SONAME);
}

#define SM_LIBM_DEF1(name)                                 \
	double name(double x)                              \
	{                                                  \
		(void)pthread_once(&libm_once, libm_init); \
		return libm_lib.name(x);                   \
	}
#define SM_LIBM_DEF2(name)                                 \
	double name(double x, double y)                    \
	{                                                  \
		(void)pthread_once(&libm_once, libm_init); \
		return libm_lib.name(x, y);                \
	}

SM_LIBM_FN1(SM_LIBM_DEF1)
SM_LIBM_FN2(SM_LIBM_DEF2)
