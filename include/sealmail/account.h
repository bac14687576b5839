/* SPDX-License-Identifier: MIT */
/*
 * Accounts: the addresses you send from, each with the digital ID that
 * signs, the one that decrypts (and is encrypted to for your Sent copy),
 * and its security settings.  Settings are named by key ("sign-all") and
 * read and written as text ("yes"), so new settings need no new functions.
 */
#ifndef SEALMAIL_ACCOUNT_H
#define SEALMAIL_ACCOUNT_H

#include "common.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An account (a snapshot).  Opaque. */
typedef struct sealmail_account sealmail_account;
/** A list of accounts.  Opaque. */
typedef struct sealmail_accounts sealmail_accounts;

/** The kind of value a setting takes. */
typedef enum sealmail_setting_type {
	SEALMAIL_SETTING_BOOL = 0,   /**< "yes" or "no" */
	SEALMAIL_SETTING_CHOICE = 1, /**< one of a fixed list of words */
	SEALMAIL_SETTING_ID = 2,     /**< a digital ID, or "auto" */
	SEALMAIL_SETTING_TEXT = 3    /**< free text */
} sealmail_setting_type;

/**
 * The i-th setting key ("sign-all", "encrypt-all", ...), in display order;
 * NULL past the end.  Static strings.
 */
SEALMAIL_EXTERN(const char *) sealmail_account_setting_key(size_t i);

/** The type of setting `key`, or -1 when there is no such setting. */
SEALMAIL_EXTERN(int) sealmail_account_setting_type(const char *key);

/**
 * The values setting `key` accepts, for messages and help: "yes, no",
 * "clear, opaque", ...  Static; NULL when there is no such setting.
 */
SEALMAIL_EXTERN(const char *) sealmail_account_setting_values(const char *key);

/**
 * All accounts, ordered by address.
 *
 * @param out  owned by the caller; free with sealmail_account_list_free()
 */
SEALMAIL_EXTERN(int)
sealmail_account_list(sealmail_accounts **out,
                      sealmail_store *store,
                      sealmail_error *err) SEALMAIL_WARN_UNUSED;
SEALMAIL_EXTERN(size_t)
sealmail_account_list_count(const sealmail_accounts *list);
/** The i-th account; borrowed, valid until the list is freed. */
SEALMAIL_EXTERN(const sealmail_account *)
sealmail_account_list_at(const sealmail_accounts *list, size_t i);
/** Free the list and its accounts; accepts NULL. */
SEALMAIL_EXTERN(void) sealmail_account_list_free(sealmail_accounts *list);

/**
 * The account for `address` (compared case-insensitively).
 *
 * @param out  owned by the caller; free with sealmail_account_free()
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND
 */
SEALMAIL_EXTERN(int)
sealmail_account_lookup(sealmail_account **out,
                        sealmail_store *store,
                        const char *address,
                        sealmail_error *err) SEALMAIL_WARN_UNUSED;

/** Free an account from lookup; accepts NULL. */
SEALMAIL_EXTERN(void) sealmail_account_free(sealmail_account *account);

/** The account's address, lower-cased; borrowed. */
SEALMAIL_EXTERN(const char *)
sealmail_account_address(const sealmail_account *account);

/**
 * Fingerprint of the digital ID that signs for the account: the one set
 * with "signing-id", else the newest ID naming the address whose key usage
 * allows signing (else simply the newest); "" when there is none.
 * Borrowed.
 */
SEALMAIL_EXTERN(const char *)
sealmail_account_signing_id(const sealmail_account *account);
/** Likewise for the ID that decrypts ("encryption-id"). */
SEALMAIL_EXTERN(const char *)
sealmail_account_encryption_id(const sealmail_account *account);

/**
 * The value of setting `key` as text ("yes", "clear", "aes-256-gcm"; for
 * "signing-id" and "encryption-id" "auto" or the chosen fingerprint).
 * Borrowed; NULL when there is no such setting.
 */
SEALMAIL_EXTERN(const char *)
sealmail_account_get(const sealmail_account *account, const char *key);

/**
 * Change setting `key` of the account for `address` to `value`, in one
 * transaction.  For "signing-id" and "encryption-id" the value is an ID
 * spec (as for sealmail_id_lookup()) naming the address, or "auto".
 *
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND (no such account, or no such ID);
 *         SEALMAIL_EINVAL (unknown key or bad value: the message lists the
 *         valid ones); SEALMAIL_EAMBIGUOUS; SEALMAIL_EPERM, SEALMAIL_EIO
 */
SEALMAIL_EXTERN(int)
sealmail_account_set(sealmail_store *store,
                     const char *address,
                     const char *key,
                     const char *value,
                     sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Change several settings at once: `keys[i]` to `values[i]` for i < n, in
 * one transaction; when one fails nothing changes.
 */
SEALMAIL_EXTERN(int)
sealmail_account_set_many(sealmail_store *store,
                          const char *address,
                          const char *const *keys,
                          const char *const *values,
                          size_t n,
                          sealmail_error *err) SEALMAIL_WARN_UNUSED;

#ifdef __cplusplus
}
#endif

#endif
