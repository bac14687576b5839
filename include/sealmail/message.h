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
	SEALMAIL_PROTECT_PSS = 1u << 4, /**< RSA-PSS signatures */
	/** RSA-OAEP key transport for every RSA recipient (issue 4). */
	SEALMAIL_PROTECT_OAEP = 1u << 5,
	/** Go on without an encryption certificate of my own. */
	SEALMAIL_PROTECT_YES = 1u << 6,
	/** Do not sign, whatever the account's sign-all says. */
	SEALMAIL_PROTECT_NO_SIGN = 1u << 7,
	/** Do not encrypt, whatever the account's encrypt-all says. */
	SEALMAIL_PROTECT_NO_ENCRYPT = 1u << 8
};

/**
 * What protect found out: the recipients it refused (with ERECIPIENTS),
 * warnings it went on despite, the cipher it chose.  Optional; owned by the
 * caller, filled by sealmail_message_protect when given in the options.
 */
typedef struct sealmail_protect_result sealmail_protect_result;

SEALMAIL_EXTERN(int)
sealmail_protect_result_new(sealmail_protect_result **out,
                            sealmail_error *err) SEALMAIL_WARN_UNUSED;
SEALMAIL_EXTERN(void)
sealmail_protect_result_free(sealmail_protect_result *result);
/** Recipients without a usable trusted certificate (ERECIPIENTS). */
SEALMAIL_EXTERN(size_t)
sealmail_protect_result_problem_count(const sealmail_protect_result *result);
/** Address of problem `i` (lower-case); NULL past the end.  Borrowed. */
SEALMAIL_EXTERN(const char *)
sealmail_protect_result_problem_address(const sealmail_protect_result *result,
                                        size_t i);
/** Why, in words: "no certificate", "not trusted", "expired", ... */
SEALMAIL_EXTERN(const char *)
sealmail_protect_result_problem_reason(const sealmail_protect_result *result,
                                       size_t i);
/** Warnings protect went on despite (e.g. no encrypt-to-self). */
SEALMAIL_EXTERN(size_t)
sealmail_protect_result_warning_count(const sealmail_protect_result *result);
SEALMAIL_EXTERN(const char *)
sealmail_protect_result_warning_at(const sealmail_protect_result *result,
                                   size_t i);
/** Content cipher of the (last) encrypted copy, e.g. "aes-256-gcm"; NULL. */
SEALMAIL_EXTERN(const char *)
sealmail_protect_result_cipher(const sealmail_protect_result *result);
/** Number of Bcc copies written. */
SEALMAIL_EXTERN(size_t)
sealmail_protect_result_bcc_count(const sealmail_protect_result *result);

/**
 * Where the copy for Bcc recipient number `index` (1, 2, ...) goes: set
 * `*out` to a new output (the caller of sealmail_message_protect commits
 * or discards it, and frees it).
 */
typedef int (*sealmail_bcc_output_cb)(sealmail_output **out,
                                      size_t index,
                                      const char *address,
                                      void *payload,
                                      sealmail_error *err);
/** Asked a yes/no question (in words); returns true for yes. */
typedef bool (*sealmail_confirm_cb)(const char *question, void *payload);

#define SEALMAIL_PROTECT_OPTIONS_VERSION 1

typedef struct sealmail_protect_options {
	unsigned int version; /**< SEALMAIL_PROTECT_OPTIONS_VERSION */
	unsigned int flags;   /**< SEALMAIL_PROTECT_* */
	/** Sign as this address instead of the message's From; NULL = From. */
	const char *from;
	/** Content cipher ("aes-256-gcm", ...); NULL = the account's. */
	const char *cipher;
	/** Where Bcc copies go; NULL refuses messages with Bcc (EINVAL). */
	sealmail_bcc_output_cb bcc_output;
	void *bcc_payload;
	/** Asked when I have no encryption certificate; NULL = no. */
	sealmail_confirm_cb confirm;
	void *confirm_payload;
	/** Filled when not NULL: recipient problems, warnings, cipher. */
	sealmail_protect_result *result;
} sealmail_protect_options;

#define SEALMAIL_PROTECT_OPTIONS_INIT                                        \
	{                                                                    \
		SEALMAIL_PROTECT_OPTIONS_VERSION, 0, NULL, NULL, NULL, NULL, \
		        NULL, NULL, NULL                                     \
	}

/**
 * Set `opts` to the SEALMAIL_<X>_OPTIONS_INIT defaults for `version`.
 * EINVAL: `opts` is NULL or `version` unknown.
 */
SEALMAIL_EXTERN(int)
sealmail_protect_options_init(sealmail_protect_options *opts,
                              unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Protect the message read from `in` and write the result to `out` (not
 * committed: the caller commits on success, so a failure leaves nothing).
 * Statuses: ENOKEY (no digital ID for the sender; nothing written),
 * EPASSPHRASE, EBADDATA (not a message), EIO, EUNSUPPORTED, ECHANGED (a
 * file read in place changed while it was being read: do not commit).
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
	/**
	 * Folder for the private temporary that holds decrypted content (a
	 * 0700 folder with a 0600 file, removed when the open ends); NULL:
	 * the system's (P_tmpdir).  The library reads no environment: a
	 * program that honours TMPDIR passes it here.  Borrowed.
	 */
	const char *temp_dir;
} sealmail_open_options;

#define SEALMAIL_OPEN_OPTIONS_INIT                     \
	{                                              \
		SEALMAIL_OPEN_OPTIONS_VERSION, 0, NULL \
	}

/**
 * Set `opts` to the SEALMAIL_<X>_OPTIONS_INIT defaults for `version`.
 * EINVAL: `opts` is NULL or `version` unknown.
 */
SEALMAIL_EXTERN(int)
sealmail_open_options_init(sealmail_open_options *opts,
                           unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Examine the message read from `in`.  On SEALMAIL_OK `*report_out` is the
 * report (owned by the caller; free with sealmail_report_free) -- verdicts
 * such as "altered" are in the report, not in the status.  `readable`, when
 * not NULL, receives the readable message: signature layers removed (the
 * signed bytes when a benign rewrite was recognised), outer headers kept;
 * the caller commits it.  Nothing is written to it when an encrypted layer
 * stayed closed (sealmail_report_encryption_closed).  Statuses: EBADDATA
 * (cannot be parsed), EIO, ECHANGED (a file read in place changed while it was
 * being read, "<name> changed while it was being read"; no report then: read it
 * again).
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
