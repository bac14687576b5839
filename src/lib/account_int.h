/* SPDX-License-Identifier: MIT */
/*
 * The account module's interface to the rest of the library: the settings
 * the sending code needs, as plain values, and account creation for the ID
 * module (inside the caller's transaction).
 */
#ifndef SM_ACCOUNT_INT_H
#define SM_ACCOUNT_INT_H

#include "internal.h"

typedef struct sm_account_settings {
	bool sign_all, encrypt_all, include_cert, encrypt_to_self;
	bool opaque;     /* signing = opaque */
	char cipher[16]; /* "auto", "aes-256-gcm", ... */
	/* the IDs the account names (identities.id), 0 when it names none */
	int64_t sign_identity, encrypt_identity;
} sm_account_settings;

/* The settings of the account for `address`; SPEC defaults when none. */
int sm_account_settings_get(sm_account_settings *out,
                            sealmail_store *store,
                            const char *address,
                            sealmail_error *err);

/*
 * Create the account for `address` with the default settings when there is
 * none.  Runs inside the caller's transaction (it begins none).
 */
int sm_account_ensure(sealmail_store *store,
                      const char *address,
                      sealmail_error *err);

#endif
