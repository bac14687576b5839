/* SPDX-License-Identifier: MIT */
/*
 * The security report of an opened message: the verdict, every signature
 * with its signer, trust and content check, the encryption layer, which
 * parts were covered, and the findings in plain words.  The CLI prints it;
 * the JSON writer gives the same facts to scripts and the web UI
 * (docs/json.md).  Everything here is borrowed from the report.
 */
#ifndef SEALMAIL_REPORT_H
#define SEALMAIL_REPORT_H

#include "common.h"
#include "io.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The report of one opened message.  Opaque. */
typedef struct sealmail_report sealmail_report;
/** One signature (SignerInfo) in the report.  Opaque, borrowed. */
typedef struct sealmail_signature sealmail_signature;

/** The worst finding; the values are `sealmail open`'s exit codes. */
typedef enum sealmail_verdict {
	SEALMAIL_VERDICT_GOOD = 0,    /**< all good, or nothing to check */
	SEALMAIL_VERDICT_WARNING = 1, /**< e.g. signer not trusted */
	SEALMAIL_VERDICT_DANGER = 2,  /**< e.g. altered, From mismatch */
	SEALMAIL_VERDICT_CANNOT_DECRYPT = 3 /**< not for any of my IDs */
} sealmail_verdict;

/** What the cryptography says about one signature. */
typedef enum sealmail_sig_state {
	SEALMAIL_SIG_VALID = 0,   /**< the content is exactly what was signed */
	SEALMAIL_SIG_ALTERED = 1, /**< the content changed after signing */
	SEALMAIL_SIG_BAD = 2,     /**< the signature itself does not verify */
	SEALMAIL_SIG_NO_CERT = 3, /**< signer certificate not available */
	SEALMAIL_SIG_UNSUPPORTED = 4 /**< algorithm not supported */
} sealmail_sig_state;

/** A benign rewrite that explains a failed content check. */
typedef enum sealmail_rewrite {
	SEALMAIL_REWRITE_NONE = 0,
	SEALMAIL_REWRITE_LINE_ENDINGS = 1,
	SEALMAIL_REWRITE_TRAILING_SPACE = 2,
	SEALMAIL_REWRITE_TRANSFER_ENCODING = 3,
	SEALMAIL_REWRITE_HEADER_FOLDING = 4,
	SEALMAIL_REWRITE_FOOTER = 5
} sealmail_rewrite;

/** How much of the message signatures cover. */
typedef enum sealmail_coverage {
	SEALMAIL_COVERAGE_NONE = 0,   /**< nothing is signed */
	SEALMAIL_COVERAGE_FULL = 1,   /**< every part is inside a signature */
	SEALMAIL_COVERAGE_PARTIAL = 2 /**< some parts are not signed */
} sealmail_coverage;

/** Schema version of the JSON document (docs/json.md). */
#define SEALMAIL_REPORT_JSON_VERSION 2

/**
 * The worst finding.  SEALMAIL_VERDICT_GOOD with SEALMAIL_COVERAGE_NONE
 * means nothing was signed: show "not signed" (the JSON verdict
 * "not-signed"), never "good", which would vouch for a sender.
 */
SEALMAIL_EXTERN(sealmail_verdict)
sealmail_report_verdict(const sealmail_report *r);
/** The message's From address (lower case) and Subject; "" if none. */
SEALMAIL_EXTERN(const char *) sealmail_report_from(const sealmail_report *r);
SEALMAIL_EXTERN(const char *)
sealmail_report_subject(const sealmail_report *r);
/** The outer Date header as Unix time; 0 when absent or unreadable. */
SEALMAIL_EXTERN(int64_t) sealmail_report_date(const sealmail_report *r);
SEALMAIL_EXTERN(sealmail_coverage)
sealmail_report_coverage(const sealmail_report *r);
/** Parts outside every signature ("text/plain footer.txt"), when partial. */
SEALMAIL_EXTERN(size_t)
sealmail_report_unsigned_part_count(const sealmail_report *r);
SEALMAIL_EXTERN(const char *)
sealmail_report_unsigned_part_at(const sealmail_report *r, size_t i);
/** True when --ack silenced the "altered" warning for this message. */
SEALMAIL_EXTERN(bool) sealmail_report_acknowledged(const sealmail_report *r);

/**
 * Findings in plain words, worst first is NOT implied: in the order found.
 * Each has a severity (a verdict), a stable code ("signer-not-trusted") and
 * a one-line text that may quote hostile input (escape it for a terminal).
 */
SEALMAIL_EXTERN(size_t) sealmail_report_finding_count(const sealmail_report *r);
SEALMAIL_EXTERN(sealmail_verdict)
sealmail_report_finding_severity(const sealmail_report *r, size_t i);
SEALMAIL_EXTERN(const char *)
sealmail_report_finding_code(const sealmail_report *r, size_t i);
SEALMAIL_EXTERN(const char *)
sealmail_report_finding_text(const sealmail_report *r, size_t i);

/** Signatures, in the order found (outer layers first). */
SEALMAIL_EXTERN(size_t)
sealmail_report_signature_count(const sealmail_report *r);
SEALMAIL_EXTERN(const sealmail_signature *)
sealmail_report_signature_at(const sealmail_report *r, size_t i);

SEALMAIL_EXTERN(sealmail_sig_state)
sealmail_signature_state(const sealmail_signature *s);
/** "clear" (multipart/signed) or "opaque" (signed-data). */
SEALMAIL_EXTERN(const char *)
sealmail_signature_kind(const sealmail_signature *s);
/** Signer common name, address, SHA-256 fingerprint; "" when unknown. */
SEALMAIL_EXTERN(const char *)
sealmail_signature_signer_name(const sealmail_signature *s);
SEALMAIL_EXTERN(const char *)
sealmail_signature_signer_address(const sealmail_signature *s);
SEALMAIL_EXTERN(const char *)
sealmail_signature_fingerprint(const sealmail_signature *s);
/** "RSA PKCS#1 v1.5 with SHA256", "ECDSA with SHA256", "Ed25519", ... */
SEALMAIL_EXTERN(const char *)
sealmail_signature_algorithm(const sealmail_signature *s);
/**
 * Effective trust of the signer certificate as a stable token:
 * "trusted", "trusted-via-ca", "not-trusted", "distrusted", "not-in-book",
 * "own-id", or "unknown" (no certificate).
 */
SEALMAIL_EXTERN(const char *)
sealmail_signature_trust(const sealmail_signature *s);
/** The same in words: "trusted by you", "trusted through CA X", ... */
SEALMAIL_EXTERN(const char *)
sealmail_signature_trust_words(const sealmail_signature *s);
/** Signing time (Unix time) from the signature, 0 when absent. */
SEALMAIL_EXTERN(int64_t)
sealmail_signature_signing_time(const sealmail_signature *s);
/** Certificate validity at the signing time (or now when absent) / now. */
SEALMAIL_EXTERN(bool)
sealmail_signature_valid_at_signing(const sealmail_signature *s);
SEALMAIL_EXTERN(bool) sealmail_signature_valid_now(const sealmail_signature *s);
/** Does the certificate name the From address of the message it signs? */
SEALMAIL_EXTERN(bool)
sealmail_signature_from_matches(const sealmail_signature *s);
/** The benign rewrite that explains an altered content check, if any. */
SEALMAIL_EXTERN(sealmail_rewrite)
sealmail_signature_rewrite(const sealmail_signature *s);
/** Where the signed entity is: "1" top level, "1.2" second part, ... */
SEALMAIL_EXTERN(const char *)
sealmail_signature_part(const sealmail_signature *s);

/**
 * The encryption layer (issue 4), when the message was encrypted:
 * algorithm ("AES-256-GCM"), whether it is authenticated, which of my IDs
 * decrypted it (fingerprint, "" when none), and the recipients named.
 */
SEALMAIL_EXTERN(bool) sealmail_report_encrypted(const sealmail_report *r);
SEALMAIL_EXTERN(const char *)
sealmail_report_encryption_algorithm(const sealmail_report *r);
SEALMAIL_EXTERN(bool)
sealmail_report_encryption_authenticated(const sealmail_report *r);
SEALMAIL_EXTERN(const char *)
sealmail_report_encryption_decrypted_by(const sealmail_report *r);
/**
 * Whether an encrypted layer stayed closed: not encrypted for any of your
 * digital IDs, the key failed, the content or its AES-GCM tag failed, or
 * the encryption is damaged.  sealmail_message_open then writes nothing to
 * its readable output.
 */
SEALMAIL_EXTERN(bool)
sealmail_report_encryption_closed(const sealmail_report *r);
SEALMAIL_EXTERN(size_t)
sealmail_report_encryption_recipient_count(const sealmail_report *r);
SEALMAIL_EXTERN(const char *)
sealmail_report_encryption_recipient_at(const sealmail_report *r, size_t i);

/**
 * Write the report as one JSON object and a newline (docs/json.md,
 * "open").  The text is UTF-8 with every control character escaped.
 */
SEALMAIL_EXTERN(int)
sealmail_report_write_json(const sealmail_report *r,
                           sealmail_output *out,
                           sealmail_error *err) SEALMAIL_WARN_UNUSED;

SEALMAIL_EXTERN(void) sealmail_report_free(sealmail_report *r);

#ifdef __cplusplus
}
#endif

#endif
