/* SPDX-License-Identifier: MIT */
/*
 * The address book: other people's certificates filed under contacts, each
 * with your trust setting, and the CA certificates you may trust.  Results
 * are snapshots (sealmail_cert) that stay valid after the store changes.
 */
#ifndef SEALMAIL_BOOK_H
#define SEALMAIL_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "io.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Your trust setting for one certificate (SPEC: untrusted by default). */
typedef enum sealmail_trust {
	SEALMAIL_TRUST_UNTRUSTED = 0, /**< "not trusted" (the default) */
	SEALMAIL_TRUST_TRUSTED = 1,   /**< "trusted by me" */
	SEALMAIL_TRUST_DISTRUSTED = 2 /**< never trusted, not even via a CA */
} sealmail_trust;

/** The trust that applies to a certificate once CAs are taken into account. */
typedef enum sealmail_effective_trust {
	SEALMAIL_EFFECTIVE_NOT_IN_BOOK = 0, /**< "not in your address book" */
	SEALMAIL_EFFECTIVE_NOT_TRUSTED = 1, /**< "not trusted" */
	SEALMAIL_EFFECTIVE_TRUSTED_BY_YOU = 2, /**< "trusted by you" */
	SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA =
	        3,                         /**< "trusted through CA <name>" */
	SEALMAIL_EFFECTIVE_DISTRUSTED = 4, /**< "distrusted" */
	SEALMAIL_EFFECTIVE_OWN_ID = 5      /**< "your own digital ID" */
} sealmail_effective_trust;

/** "untrusted", "trusted", "distrusted" (the words the CLI accepts). */
SEALMAIL_EXTERN(const char *) sealmail_trust_name(sealmail_trust trust);

/** Parse a trust name; SEALMAIL_EINVAL naming the valid ones otherwise. */
SEALMAIL_EXTERN(int)
sealmail_trust_parse(sealmail_trust *out,
                     const char *name,
                     sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Effective trust in words: "not in your address book", "not trusted",
 * "trusted by you", "trusted through a CA", "distrusted", "your own digital
 * ID".  Static string.  sealmail_cert_trust_words() names the CA.
 */
SEALMAIL_EXTERN(const char *)
sealmail_effective_trust_words(sealmail_effective_trust trust);

/** A snapshot of one address-book (or CA) certificate.  Opaque. */
typedef struct sealmail_cert sealmail_cert;
/** A list of snapshots.  Opaque; owns its certificates. */
typedef struct sealmail_cert_list sealmail_cert_list;

/* Accessors: strings are borrowed, valid until the snapshot is freed. */
SEALMAIL_EXTERN(const char *) sealmail_cert_fingerprint(const sealmail_cert *c);
SEALMAIL_EXTERN(const char *) sealmail_cert_subject(const sealmail_cert *c);
SEALMAIL_EXTERN(const char *) sealmail_cert_issuer(const sealmail_cert *c);
SEALMAIL_EXTERN(const char *) sealmail_cert_serial(const sealmail_cert *c);
/** The subject's common name, "" when it has none. */
SEALMAIL_EXTERN(const char *) sealmail_cert_common_name(const sealmail_cert *c);
/** The contact it is filed under ("" for none or an unnamed contact). */
SEALMAIL_EXTERN(const char *)
sealmail_cert_contact_name(const sealmail_cert *c);
/** Addresses the certificate names, lower-cased (may be none). */
SEALMAIL_EXTERN(size_t) sealmail_cert_address_count(const sealmail_cert *c);
SEALMAIL_EXTERN(const char *)
sealmail_cert_address_at(const sealmail_cert *c, size_t i);
SEALMAIL_EXTERN(int64_t) sealmail_cert_not_before(const sealmail_cert *c);
SEALMAIL_EXTERN(int64_t) sealmail_cert_not_after(const sealmail_cert *c);
/** "RSA 2048", "EC P-256", ... */
SEALMAIL_EXTERN(const char *) sealmail_cert_key_desc(const sealmail_cert *c);
/** Your setting (for a CA: untrusted or trusted). */
SEALMAIL_EXTERN(sealmail_trust) sealmail_cert_trust(const sealmail_cert *c);
/** The effective trust, computed when the snapshot was taken. */
SEALMAIL_EXTERN(sealmail_effective_trust)
sealmail_cert_effective_trust(const sealmail_cert *c);
/** The CA's name when trusted through a CA, else "". */
SEALMAIL_EXTERN(const char *) sealmail_cert_via_ca(const sealmail_cert *c);
/** The effective trust in words, naming the CA ("trusted through CA X"). */
SEALMAIL_EXTERN(const char *) sealmail_cert_trust_words(const sealmail_cert *c);
/** True when the certificate is a CA (basicConstraints CA:TRUE). */
SEALMAIL_EXTERN(bool) sealmail_cert_is_ca(const sealmail_cert *c);
/** From sealmail_book_add/sealmail_ca_add: true when it was new. */
SEALMAIL_EXTERN(bool) sealmail_cert_added(const sealmail_cert *c);
/** Free a snapshot; accepts NULL. */
SEALMAIL_EXTERN(void) sealmail_cert_free(sealmail_cert *c);

SEALMAIL_EXTERN(size_t) sealmail_cert_list_count(const sealmail_cert_list *l);
/** Borrowed from the list. */
SEALMAIL_EXTERN(const sealmail_cert *)
sealmail_cert_list_at(const sealmail_cert_list *l, size_t i);
/** Free the list and its certificates; accepts NULL. */
SEALMAIL_EXTERN(void) sealmail_cert_list_free(sealmail_cert_list *l);

/**
 * Add the certificates in `data` (PEM or DER, several PEM certificates, or a
 * PKCS#7 certs-only bundle) to the address book in one transaction.  Each new
 * certificate lands untrusted, filed under the contact that owns one of its
 * addresses, else under a new contact for its addresses named `contact_name`
 * (NULL: the certificate's common name).  A certificate naming no address is
 * kept without a contact (usable as an intermediate, findable by
 * fingerprint).  `*out` (caller frees) lists every certificate in the input;
 * sealmail_cert_added() tells new from already present.  EBADDATA when the
 * data holds no certificate or a malformed one; nothing is stored then.
 */
SEALMAIL_EXTERN(int)
sealmail_book_add(sealmail_cert_list **out,
                  sealmail_store *store,
                  const void *data,
                  size_t len,
                  const char *contact_name,
                  sealmail_error *err) SEALMAIL_WARN_UNUSED;

/** Every address-book certificate, by contact name then address. */
SEALMAIL_EXTERN(int)
sealmail_book_list(sealmail_cert_list **out,
                   sealmail_store *store,
                   sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Look up by address (anything with '@': every certificate naming it) or by
 * fingerprint or a unique prefix of it (4 or more hex digits; colons
 * ignored).  ENOTFOUND when nothing matches, EAMBIGUOUS when a prefix matches
 * several certificates.  `*out` is never empty on success; caller frees.
 */
SEALMAIL_EXTERN(int)
sealmail_book_lookup(sealmail_cert_list **out,
                     sealmail_store *store,
                     const char *query,
                     sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Set your trust in the one certificate `query` names (as in lookup); an
 * address with several certificates is EAMBIGUOUS, the message listing their
 * fingerprints.
 */
SEALMAIL_EXTERN(int)
sealmail_book_set_trust(sealmail_store *store,
                        const char *query,
                        sealmail_trust trust,
                        sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Remove the one certificate `query` names (EAMBIGUOUS as above); a contact
 * left without certificates is removed too.
 */
SEALMAIL_EXTERN(int)
sealmail_book_remove(sealmail_store *store,
                     const char *query,
                     sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Write the certificates `query` matches (all of an address's) as PEM to
 * `out`.  Does not commit `out`.
 */
SEALMAIL_EXTERN(int)
sealmail_book_export(sealmail_output *out,
                     sealmail_store *store,
                     const char *query,
                     sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Add the CA certificates in `data` (same formats as sealmail_book_add),
 * untrusted until sealmail_ca_set_trust.  Every certificate must be a CA
 * (basicConstraints CA:TRUE): otherwise EBADDATA "<subject> is not a CA
 * certificate" and nothing is stored.  `*out` as in sealmail_book_add.
 */
SEALMAIL_EXTERN(int)
sealmail_ca_add(sealmail_cert_list **out,
                sealmail_store *store,
                const void *data,
                size_t len,
                sealmail_error *err) SEALMAIL_WARN_UNUSED;

/** Every CA certificate, by subject. */
SEALMAIL_EXTERN(int)
sealmail_ca_list(sealmail_cert_list **out,
                 sealmail_store *store,
                 sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Trust (SEALMAIL_TRUST_TRUSTED) or stop trusting (UNTRUSTED) the CA whose
 * fingerprint or unique prefix is `fingerprint`.  DISTRUSTED is EINVAL.
 */
SEALMAIL_EXTERN(int)
sealmail_ca_set_trust(sealmail_store *store,
                      const char *fingerprint,
                      sealmail_trust trust,
                      sealmail_error *err) SEALMAIL_WARN_UNUSED;

#ifdef __cplusplus
}
#endif

#endif
