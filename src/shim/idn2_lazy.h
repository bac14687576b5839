/* SPDX-License-Identifier: MIT */
/*
 * libidn2 loaded when first needed (src/shim/idn2_lazy.c): the table of
 * the functions GMime calls, filled from the shared library or with stubs
 * that fail.  Declared here for the shim's unit test.
 */
#ifndef SM_IDN2_LAZY_H
#define SM_IDN2_LAZY_H

#include <stdbool.h>

#define SM_IDN2_SONAME "libidn2.so.0"

typedef struct sm_idn2_lib {
	int (*to_ascii_8z)(const char *input, char **output, int flags);
	int (*to_unicode_8z8z)(const char *input, char **output, int flags);
	void *handle; /* dlopen's, NULL with the stubs */
} sm_idn2_lib;

/*
 * Fill `lib` from the shared library `soname`: true; when it cannot be
 * loaded or lacks a function, `lib` holds stubs that fail with
 * IDN2_ENCODING_ERROR and leave *output NULL: false.
 */
bool sm_idn2_lib_load(sm_idn2_lib *lib, const char *soname);

/* Unload what sm_idn2_lib_load loaded (the tests'; the shim keeps it). */
void sm_idn2_lib_close(sm_idn2_lib *lib);

/*
 * True when libidn2's answer for `input` is known without it: ASCII only,
 * every label 1 to 63 characters, not beginning or ending with a hyphen,
 * without hyphens at its third and fourth place (which covers the "xn--"
 * A-labels, checked by libidn2), the whole at most 253.  libidn2 then
 * answers IDN2_OK and the input with A-Z in lower case (UTS 46 maps no other
 * ASCII character); test_idn2 compares both over such inputs.
 */
bool sm_idn2_ascii_fast(const char *input);

#endif
