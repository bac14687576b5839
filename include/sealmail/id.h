/* SPDX-License-Identifier: MIT */
/*
 * Digital IDs: your own certificates with their private keys.  Create one,
 * import one (PKCS#12 or PEM), list, look up, export and delete.  A
 * sealmail_id is a snapshot of the stored ID's public parts; it never holds
 * the private key, which stays encrypted in the store until a signing or
 * decrypting call unlocks it.
 */
#ifndef SEALMAIL_ID_H
#define SEALMAIL_ID_H

#include <stdint.h>

#include "common.h"
#include "io.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A digital ID (a snapshot of the stored ID).  Opaque. */
typedef struct sealmail_id sealmail_id;
/** A list of digital IDs.  Opaque. */
typedef struct sealmail_ids sealmail_ids;

/** Flags for the create and import options. */
enum {
	SEALMAIL_ID_NONE = 0,
	/**
	 * Store the private key unencrypted.  Without this flag the store
	 * asks for a SEALMAIL_PASSPHRASE_NEW passphrase and keeps the key as
	 * PKCS#8 PBES2.
	 */
	SEALMAIL_ID_NO_PASSPHRASE = 1u << 0
};

/** Key types for a new digital ID. */
typedef enum sealmail_key_type {
	SEALMAIL_KEY_DEFAULT = 0, /**< RSA 2048 */
	SEALMAIL_KEY_RSA2048 = 1,
	SEALMAIL_KEY_RSA3072 = 2,
	SEALMAIL_KEY_RSA4096 = 3,
	SEALMAIL_KEY_P256 = 4,
	SEALMAIL_KEY_P384 = 5
} sealmail_key_type;

#define SEALMAIL_ID_CREATE_OPTIONS_VERSION 1

/** Options for sealmail_id_create().  NULL means defaults. */
typedef struct sealmail_id_create_options {
	unsigned int version;
	unsigned int flags;         /**< SEALMAIL_ID_* */
	const char *name;           /**< the subject's CN; NULL: the address */
	sealmail_key_type key_type; /**< SEALMAIL_KEY_DEFAULT: RSA 2048 */
	int days;                   /**< validity; 0: 730 days */
} sealmail_id_create_options;

#define SEALMAIL_ID_CREATE_OPTIONS_INIT                      \
	{                                                    \
		SEALMAIL_ID_CREATE_OPTIONS_VERSION, 0, NULL, \
		        SEALMAIL_KEY_DEFAULT, 0              \
	}

/**
 * Set `opts` to the SEALMAIL_<X>_OPTIONS_INIT defaults for `version`.
 * EINVAL: `opts` is NULL or `version` unknown.
 */
SEALMAIL_EXTERN(int)
sealmail_id_create_options_init(sealmail_id_create_options *opts,
                                unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Make a key and a self-signed S/MIME certificate for `address` and store
 * them as a new digital ID.  When `address` has no account, one is created
 * with the default settings, in the same transaction.
 *
 * @param out      the new ID, owned by the caller (free with
 *                 sealmail_id_free()); may be NULL when not wanted
 * @param address  the e-mail address the certificate names
 * @return SEALMAIL_OK; SEALMAIL_EINVAL (bad address, days or key type);
 *         SEALMAIL_EPASSPHRASE (no new passphrase given); SEALMAIL_EPERM,
 *         SEALMAIL_EIO (store)
 */
SEALMAIL_EXTERN(int)
sealmail_id_create(sealmail_id **out,
                   sealmail_store *store,
                   const char *address,
                   const sealmail_id_create_options *opts,
                   sealmail_error *err) SEALMAIL_WARN_UNUSED;

#define SEALMAIL_ID_IMPORT_OPTIONS_VERSION 1

/** Options for sealmail_id_import().  NULL means defaults. */
typedef struct sealmail_id_import_options {
	unsigned int version;
	unsigned int flags; /**< SEALMAIL_ID_* */
	/** Names of the data and key data for messages and prompts (file
	 * names); NULL: "the import data" and "the key data". */
	const char *data_name;
	const char *key_data_name;
} sealmail_id_import_options;

#define SEALMAIL_ID_IMPORT_OPTIONS_INIT                           \
	{                                                         \
		SEALMAIL_ID_IMPORT_OPTIONS_VERSION, 0, NULL, NULL \
	}

/**
 * Set `opts` to the SEALMAIL_<X>_OPTIONS_INIT defaults for `version`.
 * EINVAL: `opts` is NULL or `version` unknown.
 */
SEALMAIL_EXTERN(int)
sealmail_id_import_options_init(sealmail_id_import_options *opts,
                                unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Import a digital ID from memory: a PKCS#12 file (its password is asked
 * with SEALMAIL_PASSPHRASE_PKCS12_IMPORT unless it is empty), or PEM text
 * holding the certificate and its private key, or the certificate (PEM or
 * DER) in `data` and the key (PEM or DER PKCS#8) in `key_data`.  An
 * encrypted PEM key is unlocked with SEALMAIL_PASSPHRASE_UNLOCK.  Then the
 * key is stored as with sealmail_id_create(), and an account is created for
 * each address that has none.  On any failure the store is unchanged.
 *
 * @param out       the new ID, owned by the caller; may be NULL
 * @param key_data  NULL when `data` holds the key too
 * @return SEALMAIL_OK; SEALMAIL_EBADDATA (garbage or truncated data, no
 *         private key, no certificate, key not matching the certificate,
 *         certificate naming no e-mail address); SEALMAIL_EPASSPHRASE
 *         (wrong or missing password or passphrase); SEALMAIL_EEXISTS (the
 *         ID is already in the store); SEALMAIL_EPERM, SEALMAIL_EIO
 */
SEALMAIL_EXTERN(int)
sealmail_id_import(sealmail_id **out,
                   sealmail_store *store,
                   const void *data,
                   size_t len,
                   const void *key_data,
                   size_t key_len,
                   const sealmail_id_import_options *opts,
                   sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * All digital IDs in the store, oldest first.
 *
 * @param out  owned by the caller; free with sealmail_id_list_free()
 */
SEALMAIL_EXTERN(int)
sealmail_id_list(sealmail_ids **out,
                 sealmail_store *store,
                 sealmail_error *err) SEALMAIL_WARN_UNUSED;
SEALMAIL_EXTERN(size_t) sealmail_id_list_count(const sealmail_ids *list);
/** The i-th ID; borrowed, valid until the list is freed. */
SEALMAIL_EXTERN(const sealmail_id *)
sealmail_id_list_at(const sealmail_ids *list, size_t i);
/** Free the list and its IDs; accepts NULL. */
SEALMAIL_EXTERN(void) sealmail_id_list_free(sealmail_ids *list);

/**
 * Find one digital ID by `spec`: a SHA-256 fingerprint, a unique prefix of
 * at least 4 hex digits (colons allowed), or an e-mail address.
 *
 * @param out  owned by the caller; free with sealmail_id_free()
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND; SEALMAIL_EAMBIGUOUS (the prefix
 *         or address matches several IDs); SEALMAIL_EINVAL (a prefix shorter
 *         than 4 digits)
 */
SEALMAIL_EXTERN(int)
sealmail_id_lookup(sealmail_id **out,
                   sealmail_store *store,
                   const char *spec,
                   sealmail_error *err) SEALMAIL_WARN_UNUSED;

/** What sealmail_id_export() writes. */
typedef enum sealmail_id_export_format {
	/** The certificate in PEM (no secret). */
	SEALMAIL_ID_EXPORT_CERT = 0,
	/** PKCS#12 with key, certificate and chain. */
	SEALMAIL_ID_EXPORT_PKCS12 = 1
} sealmail_id_export_format;

/** Flags for sealmail_id_export_options. */
enum {
	SEALMAIL_ID_EXPORT_NONE = 0,
	/**
	 * PKCS#12 with PBE-SHA1-3DES and a SHA-1 MAC, for clients that refuse
	 * OpenSSL 3's PBES2/AES default (gpgsm 2.2, macOS).
	 */
	SEALMAIL_ID_EXPORT_LEGACY = 1u << 0
};

#define SEALMAIL_ID_EXPORT_OPTIONS_VERSION 1

/** Options for sealmail_id_export().  NULL means defaults (certificate). */
typedef struct sealmail_id_export_options {
	unsigned int version;
	unsigned int flags; /**< SEALMAIL_ID_EXPORT_* */
	sealmail_id_export_format format;
} sealmail_id_export_options;

#define SEALMAIL_ID_EXPORT_OPTIONS_INIT                                        \
	{                                                                      \
		SEALMAIL_ID_EXPORT_OPTIONS_VERSION, 0, SEALMAIL_ID_EXPORT_CERT \
	}

/**
 * Set `opts` to the SEALMAIL_<X>_OPTIONS_INIT defaults for `version`.
 * EINVAL: `opts` is NULL or `version` unknown.
 */
SEALMAIL_EXTERN(int)
sealmail_id_export_options_init(sealmail_id_export_options *opts,
                                unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Write `id` to `output`: its certificate in PEM, or a PKCS#12 file (the
 * key is unlocked with SEALMAIL_PASSPHRASE_UNLOCK, the file's password asked
 * with SEALMAIL_PASSPHRASE_PKCS12_EXPORT).  The caller commits `output`.
 *
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND (deleted meanwhile);
 *         SEALMAIL_EPASSPHRASE; SEALMAIL_EIO (writing)
 */
SEALMAIL_EXTERN(int)
sealmail_id_export(sealmail_output *output,
                   sealmail_store *store,
                   const sealmail_id *id,
                   const sealmail_id_export_options *opts,
                   sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Delete `id` and its private key from the store.  Accounts that named it
 * fall back to the newest other ID for their address.
 *
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND; SEALMAIL_EPERM, SEALMAIL_EIO
 */
SEALMAIL_EXTERN(int)
sealmail_id_delete(sealmail_store *store,
                   const sealmail_id *id,
                   sealmail_error *err) SEALMAIL_WARN_UNUSED;

/** Free an ID from create, import or lookup; accepts NULL. */
SEALMAIL_EXTERN(void) sealmail_id_free(sealmail_id *id);

/*
 * Accessors.  Strings are borrowed, valid while the ID (or its list) lives,
 * and never NULL ("" when absent).
 */
/** Hex SHA-256 of the certificate's DER (64 lower-case digits). */
SEALMAIL_EXTERN(const char *) sealmail_id_fingerprint(const sealmail_id *id);
/** The subject's common name (or the address when it has none). */
SEALMAIL_EXTERN(const char *) sealmail_id_name(const sealmail_id *id);
/** Subject and issuer as RFC 2253 lines. */
SEALMAIL_EXTERN(const char *) sealmail_id_subject(const sealmail_id *id);
SEALMAIL_EXTERN(const char *) sealmail_id_issuer(const sealmail_id *id);
/** Serial number in hex. */
SEALMAIL_EXTERN(const char *) sealmail_id_serial(const sealmail_id *id);
/** "RSA 2048", "EC P-256", ... */
SEALMAIL_EXTERN(const char *) sealmail_id_key_desc(const sealmail_id *id);
/** The e-mail addresses the certificate names, lower-cased. */
SEALMAIL_EXTERN(size_t) sealmail_id_address_count(const sealmail_id *id);
SEALMAIL_EXTERN(const char *)
sealmail_id_address_at(const sealmail_id *id, size_t i);
/** Validity period, Unix time. */
SEALMAIL_EXTERN(int64_t) sealmail_id_not_before(const sealmail_id *id);
SEALMAIL_EXTERN(int64_t) sealmail_id_not_after(const sealmail_id *id);
/** 1 when the stored key is passphrase-protected, 0 when it is not. */
SEALMAIL_EXTERN(int) sealmail_id_key_encrypted(const sealmail_id *id);
/** When the ID was added to the store, Unix time. */
SEALMAIL_EXTERN(int64_t) sealmail_id_created(const sealmail_id *id);

#ifdef __cplusplus
}
#endif

#endif
