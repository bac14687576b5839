/* SPDX-License-Identifier: MIT */
/*
 * The digital-ID module's interface to the rest of the library: the signing
 * and decrypting code loads certificates and unlocks keys through these,
 * never by reading the identities table itself.  Keys come back unlocked
 * (the passphrase is asked through the store's callback) and are freed by
 * the caller with sm_key_free.
 */
#ifndef SM_ID_INT_H
#define SM_ID_INT_H

#include "account_int.h"
#include "crypto/crypto.h"
#include "internal.h"

/*
 * The account's signing ID, else the newest ID naming `address` whose
 * key usage allows signing (else the newest naming it): its
 * certificate, the rest of its chain (an array of `*nchain_out`
 * certificates, free with sm_cert_list_free) and its unlocked key
 * (SEALMAIL_PASSPHRASE_UNLOCK, "what" = "the digital ID for <address>").
 * Any of the outputs may be NULL when not wanted (the key is then not
 * unlocked).  ENOKEY, with a message saying how to create or import one,
 * when there is none; EPASSPHRASE on a wrong passphrase.
 */
int sm_id_load_signer(sm_cert **cert_out,
                      sm_cert ***chain_out,
                      size_t *nchain_out,
                      sm_key **key_out,
                      sealmail_store *store,
                      const char *address,
                      sealmail_error *err);

/*
 * The certificate of the account's encryption ID, else of the newest ID
 * naming `address` that may encrypt (else the newest).  ENOKEY when there
 * is none or its certificate's key usage does not allow encryption (a
 * sign-only ID).  `settings`: the account's, as sm_account_settings_get
 * read them, or NULL to read them here.
 */
int sm_id_encryption_cert(sm_cert **out,
                          sealmail_store *store,
                          const char *address,
                          const sm_account_settings *settings,
                          sealmail_error *err);

/*
 * The certificates of all my digital IDs (to match RecipientInfos): an
 * array of `*n` certificates, free with sm_cert_list_free.
 */
int sm_id_own_certs(sm_cert ***out,
                    size_t *n,
                    sealmail_store *store,
                    sealmail_error *err);

/*
 * The unlocked private key of the ID with this full fingerprint.
 * ENOTFOUND when there is no such ID; EPASSPHRASE on a wrong passphrase.
 */
int sm_id_load_key(sm_key **out,
                   sealmail_store *store,
                   const char *fingerprint,
                   sealmail_error *err);

/* Is this full fingerprint one of my digital IDs? */
bool sm_id_is_own(sealmail_store *store, const char *fingerprint);

/*
 * Resolve an ID spec (fingerprint, unique prefix of >= 4 hex digits, or
 * address) to the row id of the identity.  Messages as sealmail_id_lookup.
 */
int sm_id_resolve(int64_t *rowid_out,
                  sealmail_store *store,
                  const char *spec,
                  sealmail_error *err);

/* Does identity `rowid` name `address`? */
bool
sm_id_names_address(sealmail_store *store, int64_t rowid, const char *address);

/*
 * Does the certificate of identity `rowid` allow signing (or, with
 * `encryption`, key encipherment or agreement) for e-mail?
 */
int sm_id_allows(bool *out,
                 sealmail_store *store,
                 int64_t rowid,
                 bool encryption,
                 sealmail_error *err);

/*
 * Fingerprint (SM_FINGERPRINT_SIZE bytes) of the ID that signs (or, with
 * `encryption`, decrypts) for `address` (lower-case): the account's choice,
 * else the newest ID naming the address; "" when there is none.
 */
int sm_id_effective_fingerprint(char *fp_out,
                                sealmail_store *store,
                                const char *address,
                                bool encryption,
                                sealmail_error *err);

#endif
