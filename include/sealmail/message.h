/* SPDX-License-Identifier: MIT */
/*
 * Messages: protect (sign, and with issue 4 encrypt) an outgoing RFC 5322
 * message, and open (verify, decrypt) an incoming one into a report.
 */
#ifndef SEALMAIL_MESSAGE_H
#define SEALMAIL_MESSAGE_H

#include "common.h"
#include "io.h"
#include "report.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Flags of sealmail_protect_options. */
enum {
	SEALMAIL_PROTECT_NONE = 0,
	SEALMAIL_PROTECT_SIGN = 1u << 0,    /**< sign */
	SEALMAIL_PROTECT_ENCRYPT = 1u << 1, /**< encrypt (issue 4) */
	SEALMAIL_PROTECT_CLEAR =
	        1u << 2, /**< clear signing, overrides the account */
	SEALMAIL_PROTECT_OPAQUE =
	        1u << 3, /**< opaque signing, overrides the account */
	SEALMAIL_PROTECT_PSS = 1u << 4 /**< RSA-PSS signatures */
};

#define SEALMAIL_PROTECT_OPTIONS_VERSION 1

typedef struct sealmail_protect_options {
	unsigned int version; /**< SEALMAIL_PROTECT_OPTIONS_VERSION */
	unsigned int flags;   /**< SEALMAIL_PROTECT_* */
	/** Sign as this address instead of the message's From; NULL = From. */
	const char *from;
} sealmail_protect_options;

#define SEALMAIL_PROTECT_OPTIONS_INIT                     \
	{                                                 \
		SEALMAIL_PROTECT_OPTIONS_VERSION, 0, NULL \
	}

SEALMAIL_EXTERN(int)
sealmail_protect_options_init(sealmail_protect_options *opts,
                              unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Protect the message read from `in` and write the result to `out` (not
 * committed: the caller commits on success, so a failure leaves nothing).
 * Statuses: ENOKEY (no digital ID for the sender; nothing written),
 * EPASSPHRASE, EBADDATA (not a message), EIO, EUNSUPPORTED.
 */
SEALMAIL_EXTERN(int)
sealmail_message_protect(sealmail_store *store,
                         sealmail_input *in,
                         sealmail_output *out,
                         const sealmail_protect_options *opts,
                         sealmail_error *err) SEALMAIL_WARN_UNUSED;

/** Flags of sealmail_open_options. */
enum {
	SEALMAIL_OPEN_NONE = 0,
	/** Add signer certificates to the address book (trust untrusted). */
	SEALMAIL_OPEN_ADD_CERT = 1u << 0,
	/** Acknowledge: silence the "altered" warning for this message. */
	SEALMAIL_OPEN_ACK = 1u << 1
};

#define SEALMAIL_OPEN_OPTIONS_VERSION 1

typedef struct sealmail_open_options {
	unsigned int version; /**< SEALMAIL_OPEN_OPTIONS_VERSION */
	unsigned int flags;   /**< SEALMAIL_OPEN_* */
} sealmail_open_options;

#define SEALMAIL_OPEN_OPTIONS_INIT               \
	{                                        \
		SEALMAIL_OPEN_OPTIONS_VERSION, 0 \
	}

SEALMAIL_EXTERN(int)
sealmail_open_options_init(sealmail_open_options *opts,
                           unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Examine the message read from `in`.  On SEALMAIL_OK `*report_out` is the
 * report (owned by the caller; free with sealmail_report_free) -- verdicts
 * such as "altered" are in the report, not in the status.  `readable`, when
 * not NULL, receives the readable message: signature layers removed (the
 * signed bytes when a benign rewrite was recognised), outer headers kept;
 * the caller commits it.  Statuses: EBADDATA (cannot be parsed), EIO.
 */
SEALMAIL_EXTERN(int)
sealmail_message_open(sealmail_report **report_out,
                      sealmail_store *store,
                      sealmail_input *in,
                      sealmail_output *readable,
                      const sealmail_open_options *opts,
                      sealmail_error *err) SEALMAIL_WARN_UNUSED;

#ifdef __cplusplus
}
#endif

#endif
