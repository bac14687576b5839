/* SPDX-License-Identifier: MIT */
/*
 * libidn2 for GMime, loaded when first needed (SEALMAIL_STATIC_DEPS,
 * docs/design.md).  Linked from its archive, libidn2 made every process
 * load libunistring, which Debian ships only shared: 0.1 ms of dynamic
 * linking per command (issue 7), for the IDN conversion of a non-ASCII
 * domain, which few messages have.  GMime calls idn2_to_ascii_8z for every
 * address's domain and idn2_to_unicode_8z8z for a domain with an "xn--"
 * label; these definitions answer an ASCII domain whose answer is known
 * (sm_idn2_ascii_fast) themselves and hand everything else to the shared
 * libidn2, loaded (dlopen) under pthread_once the first time.
 */
#include "idn2_lazy.h"

#include <dlfcn.h>
#include <idn2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int
stub_convert(const char *input, char **output, int flags)
{
	(void)input;
	(void)flags;
	if (output != NULL)
		*output = NULL;
	return IDN2_ENCODING_ERROR;
}

bool
sm_idn2_lib_load(sm_idn2_lib *lib, const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	void *a = h != NULL ? dlsym(h, "idn2_to_ascii_8z") : NULL;
	void *u = h != NULL ? dlsym(h, "idn2_to_unicode_8z8z") : NULL;

	if (a == NULL || u == NULL) {
		if (h != NULL)
			(void)dlclose(h);
		lib->to_ascii_8z = stub_convert;
		lib->to_unicode_8z8z = stub_convert;
		lib->handle = NULL;
		return false;
	}
	memcpy(&lib->to_ascii_8z, &a, sizeof(a));
	memcpy(&lib->to_unicode_8z8z, &u, sizeof(u));
	lib->handle = h;
	return true;
}

void
sm_idn2_lib_close(sm_idn2_lib *lib)
{
	if (lib->handle != NULL)
		(void)dlclose(lib->handle);
	lib->handle = NULL;
}

bool
sm_idn2_ascii_fast(const char *input)
{
	size_t total = 0, label = 0;
	const char *start = input;

	for (const char *p = input;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.' || c == '\0') {
			label = (size_t)(p - start);
			if (label == 0 || label > 63 || start[0] == '-' ||
			    p[-1] == '-' ||
			    (label >= 4 && start[2] == '-' && start[3] == '-'))
				return false;
			if (c == '\0')
				break;
			start = p + 1;
		} else if (c >= 0x80 || c < 0x21 || c == 0x7f) {
			return false;
		}
		if (++total > 253)
			return false;
	}
	return total > 0;
}

static pthread_once_t idn2_once = PTHREAD_ONCE_INIT;
static sm_idn2_lib idn2_lib;

static void
idn2_init(void)
{
	(void)sm_idn2_lib_load(&idn2_lib, SM_IDN2_SONAME);
}

int
idn2_to_ascii_8z(const char *input, char **output, int flags)
{
	if (input != NULL && flags == 0 && sm_idn2_ascii_fast(input)) {
		size_t n = strlen(input);
		char *out;

		if (output == NULL)
			return IDN2_OK;
		out = malloc(n + 1);
		if (out == NULL)
			return IDN2_MALLOC;
		for (size_t i = 0; i <= n; i++)
			out[i] = input[i] >= 'A' && input[i] <= 'Z'
			                 ? (char)(input[i] - 'A' + 'a')
			                 : input[i];
		*output = out;
		return IDN2_OK;
	}
	(void)pthread_once(&idn2_once, idn2_init);
	return idn2_lib.to_ascii_8z(input, output, flags);
}

int
idn2_to_unicode_8z8z(const char *input, char **output, int flags)
{
	(void)pthread_once(&idn2_once, idn2_init);
	return idn2_lib.to_unicode_8z8z(input, output, flags);
}

void
idn2_free(void *ptr)
{
	free(ptr); /* libidn2's is free() too */
}
