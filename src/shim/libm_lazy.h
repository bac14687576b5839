/* SPDX-License-Identifier: MIT */
/*
 * libm loaded when first needed (src/shim/libm_lazy.c): the table of the
 * math functions SQLite's archive references, filled from the shared
 * library or with stubs that fail.  Declared here for the shim's unit test.
 */
#ifndef SM_LIBM_LAZY_H
#define SM_LIBM_LAZY_H

#include <stdbool.h>

#define SM_LIBM_SONAME "libm.so.6"

typedef double (*sm_libm_fn1)(double);
typedef double (*sm_libm_fn2)(double, double);

/* The functions of one argument, in this order; then those of two. */
/* clang-format off */
#define SM_LIBM_FN1(X) \
	X(acos) X(acosh) X(asin) X(asinh) X(atan) X(atanh) X(cos) X(cosh) \
	X(exp) X(log) X(sin) X(sinh) X(sqrt) X(tan) X(tanh) X(trunc)
#define SM_LIBM_FN2(X) X(atan2) X(fmod) X(pow)
/* clang-format on */

#define SM_LIBM_FIELD1(name) sm_libm_fn1 name;
#define SM_LIBM_FIELD2(name) sm_libm_fn2 name;

typedef struct sm_libm {
	SM_LIBM_FN1(SM_LIBM_FIELD1)
	SM_LIBM_FN2(SM_LIBM_FIELD2)
	void *handle; /* dlopen's, NULL with the stubs */
} sm_libm;

/*
 * Fill `lib` from the shared library `soname`: true; when it cannot be
 * loaded or lacks a function, every entry is a stub that returns NaN with
 * errno ENOSYS: false.
 */
bool sm_libm_load(sm_libm *lib, const char *soname);

/* Unload what sm_libm_load loaded (the tests'; the shim keeps it). */
void sm_libm_close(sm_libm *lib);

#endif
