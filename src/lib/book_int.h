/* SPDX-License-Identifier: MIT */
/*
 * The address book's internal interface for the signed- and encrypted-mail
 * code: effective trust of a certificate seen in a message, the certificate
 * to encrypt to, and adding a signer's certificate with its capabilities.
 */
#ifndef SM_BOOK_INT_H
#define SM_BOOK_INT_H

#include "crypto/crypto.h"
#include "internal.h"

/*
 * The effective trust of `cert` (SPEC): distrusted in the book wins; one of
 * your own IDs (identities table, by fingerprint) is _OWN_ID; trusted in the
 * book is _TRUSTED_BY_YOU; chaining to a trusted CA (with `extra`, the
 * certificates carried in the message, as intermediates) is _TRUSTED_VIA_CA
 * with the CA's name in `via_ca` (may be NULL; "" otherwise); else
 * _NOT_TRUSTED when in the book, _NOT_IN_BOOK when not.  The chain is checked
 * at a time inside the certificate's validity: expiry is reported apart.
 */
int sm_book_effective_trust(sealmail_effective_trust *out,
                            char *via_ca,
                            size_t via_ca_size,
                            sealmail_store *store,
                            const sm_cert *cert,
                            sm_cert *const *extra,
                            size_t nextra,
                            sealmail_error *err);

/* Why there is no usable certificate for an address. */
typedef enum {
	SM_CERT_OK,
	SM_CERT_NONE,
	SM_CERT_NOT_TRUSTED,
	SM_CERT_DISTRUSTED,
	SM_CERT_EXPIRED,
	SM_CERT_NOT_YET_VALID,
	SM_CERT_WRONG_USAGE,
	SM_CERT_REVOKED,
	SM_CERT_KEY_UNSUPPORTED /* a key type CMS cannot encrypt to */
} sm_cert_problem;

/* "usable", "no certificate", "not trusted", "distrusted", "expired",
 * "not yet valid", "wrong key usage", "revoked". */
const char *sm_cert_problem_words(sm_cert_problem p);

/*
 * The best usable certificate for encrypting to `address` at `now` (Unix
 * time; 0 = the current time): valid, encryption and e-mail usage, naming the
 * address, effectively trusted (by you or through a CA).  Among several, the
 * one valid longest.  When there is none: SEALMAIL_OK, *out NULL and *why the
 * most relevant problem (a certificate that is only untrusted says "not
 * trusted"; a trusted but expired one "expired"; none at all "no
 * certificate").  On success *out is a new reference (sm_cert_free) and *why
 * SM_CERT_OK, and *caps (when `caps` is not NULL) the SM_CAP_* bits of the
 * SMIMECapabilities recorded for it (0 when none).
 */
int sm_book_encryption_cert(sm_cert **out,
                            unsigned int *caps,
                            sm_cert_problem *why,
                            sealmail_store *store,
                            const char *address,
                            int64_t now,
                            sealmail_error *err);

/*
 * Add one certificate to the book (untrusted, filed as sealmail_book_add
 * does) in its own transaction; *added_out tells whether it was new.  With
 * `caplen` > 0, store `capabilities` (the signer's SMIMECapabilities DER) for
 * it, new or not.  `added_out` may be NULL.
 */
int sm_book_add_cert(bool *added_out,
                     sealmail_store *store,
                     const sm_cert *cert,
                     const char *contact_name,
                     const unsigned char *capabilities,
                     size_t caplen,
                     sealmail_error *err);

/*
 * Every certificate in the address book (caller frees with
 * sm_cert_list_free), so that a signature whose certificate the message
 * does not carry can still be checked against one the user has.
 */
int sm_book_all_certs(sm_cert ***out,
                      size_t *n_out,
                      sealmail_store *store,
                      sealmail_error *err);

/*
 * The address book's certificates with serial number `serial` (lower-case
 * hex, as sm_cert_serial): the only ones that can match a signer or
 * recipient named by issuer and serial.  Only those are parsed.
 */
int sm_book_certs_with_serial(sm_cert ***out,
                              size_t *n_out,
                              sealmail_store *store,
                              const char *serial,
                              sealmail_error *err);

/* The SMIMECapabilities DER recorded for a book certificate (caller frees
 * with sm_free).  ENOTFOUND when none is recorded. */
int sm_book_capabilities(unsigned char **der_out,
                         size_t *len_out,
                         sealmail_store *store,
                         const char *fingerprint,
                         sealmail_error *err);

#endif
