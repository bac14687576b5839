/* SPDX-License-Identifier: MIT */
/*
 * Common definitions of the sealmail API: export and attribute macros, the
 * status codes every call returns, and the caller-owned error structure.
 *
 * Thread rule: different handles may be used from different threads at the
 * same time; one handle (and everything borrowed from it) is used by one
 * thread at a time.  The library keeps no global mutable state.
 */
#ifndef SEALMAIL_COMMON_H
#define SEALMAIL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SEALMAIL_EXTERN(type) __attribute__((visibility("default"))) type
#define SEALMAIL_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define SEALMAIL_EXTERN(type) type
#define SEALMAIL_WARN_UNUSED
#endif

/**
 * Status codes.  0 is success; a negative value is a failure.  The specific
 * codes are expected failures a caller may branch on; everything else is
 * SEALMAIL_ERROR.  Verdicts (bad signature, untrusted signer) are never
 * statuses: they are data in a sealmail_report.
 */
typedef enum sealmail_status {
	SEALMAIL_OK = 0,
	SEALMAIL_ERROR = -1,      /**< anything not listed below */
	SEALMAIL_ENOTFOUND = -2,  /**< no such ID, contact, certificate, file */
	SEALMAIL_EEXISTS = -3,    /**< already there */
	SEALMAIL_EAMBIGUOUS = -4, /**< a fingerprint prefix matches several */
	SEALMAIL_EBADDATA = -5,   /**< malformed or unusable input */
	SEALMAIL_EPASSPHRASE = -6,  /**< wrong or missing passphrase/password */
	SEALMAIL_ENOKEY = -7,       /**< no digital ID for the address */
	SEALMAIL_EPERM = -8,        /**< permission denied (file, folder) */
	SEALMAIL_EIO = -9,          /**< read, write or database I/O failed */
	SEALMAIL_ENOMEM = -10,      /**< out of memory */
	SEALMAIL_EINVAL = -11,      /**< invalid argument or setting value */
	SEALMAIL_ERECIPIENTS = -12, /**< recipients lack a usable certificate */
	SEALMAIL_EDECLINED = -13, /**< a confirmation was asked and not given */
	SEALMAIL_ECORRUPT = -14,  /**< the store's database is damaged */
	SEALMAIL_EUNSUPPORTED = -15, /**< algorithm or format not supported */
	SEALMAIL_ECHANGED = -16 /**< a file changed while it was being read */
} sealmail_status;

/** Size of the message buffer in sealmail_error, terminating NUL included. */
#define SEALMAIL_ERROR_SIZE 512

/**
 * A caller-owned error.  Every call that can fail takes a `sealmail_error *`
 * as its last parameter (NULL is allowed).  On failure the call sets `code`
 * to its return value and writes a one-line message naming the problem; on
 * success the error is left untouched.  Filling it never allocates.
 */
typedef struct sealmail_error {
	int code;
	char message[SEALMAIL_ERROR_SIZE];
} sealmail_error;

/** Static name of a status code ("ENOTFOUND"); never NULL. */
SEALMAIL_EXTERN(const char *) sealmail_status_name(int status);

/**
 * Why the library asks for a passphrase.
 */
typedef enum sealmail_passphrase_reason {
	/** Unlock a stored private key (to sign, decrypt, or export). */
	SEALMAIL_PASSPHRASE_UNLOCK = 0,
	/** Choose the passphrase that protects a new or imported key. */
	SEALMAIL_PASSPHRASE_NEW = 1,
	/** The password of a PKCS#12 file being imported. */
	SEALMAIL_PASSPHRASE_PKCS12_IMPORT = 2,
	/** The password for a PKCS#12 file being exported. */
	SEALMAIL_PASSPHRASE_PKCS12_EXPORT = 3
} sealmail_passphrase_reason;

/**
 * Passphrase callback.  Writes a NUL-terminated passphrase into `buf`
 * (at most `size` bytes, NUL included) and returns its length, or a negative
 * value when none can be given (the call then fails with
 * SEALMAIL_EPASSPHRASE).  `what` names the key or file in words for a prompt.
 * The library wipes `buf` after use.
 */
typedef int (*sealmail_passphrase_cb)(char *buf,
                                      size_t size,
                                      sealmail_passphrase_reason reason,
                                      const char *what,
                                      void *payload);

#ifdef __cplusplus
}
#endif

#endif
