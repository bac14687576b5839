/* SPDX-License-Identifier: MIT */
/*
 * Filling the caller-owned sealmail_error, and status names (neither
 * allocates).  Also the library-wide calls: sealmail_version and
 * sealmail_standalone_init (which initialises OpenSSL).
 */
#include "crypto/crypto.h"
#include "db.h"
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* The functions themselves, not internal.h's clang-tidy stand-ins. */
#undef sm_error_set
#undef sm_error_nomem

int
sm_error_vset(sealmail_error *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	(void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
	for (char *p = err->message; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			*p = '?';
	}
	return code;
}

int
sm_error_set(sealmail_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = sm_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int
sm_error_nomem(sealmail_error *err)
{
	if (err != NULL) {
		err->code = SEALMAIL_ENOMEM;
		(void)snprintf(err->message, sizeof(err->message),
		               "out of memory");
	}
	return SEALMAIL_ENOMEM;
}

const char *
sealmail_status_name(int status)
{
	static const char *const names[] = {
	        "OK",          "ERROR",     "ENOTFOUND",   "EEXISTS",
	        "EAMBIGUOUS",  "EBADDATA",  "EPASSPHRASE", "ENOKEY",
	        "EPERM",       "EIO",       "ENOMEM",      "EINVAL",
	        "ERECIPIENTS", "EDECLINED", "ECORRUPT",    "EUNSUPPORTED",
	        "ECHANGED",
	};

	if (status > 0 || (size_t)-status >= SM_ARRAY_SIZE(names))
		return "ERROR";
	return names[-status];
}

int
sealmail_version(void)
{
	return SEALMAIL_VERSION_NUMBER;
}

int
sealmail_standalone_init(sealmail_error *err)
{
	sm_store_standalone();
	if (!sm_crypto_standalone())
		return sm_error_set(err, SEALMAIL_ERROR,
		                    "cannot initialise OpenSSL");
	return SEALMAIL_OK;
}
