/* SPDX-License-Identifier: MIT */
/*
 * The store: one folder (mode 0700) holding the SQLite database (files 0600)
 * with digital IDs, accounts, the address book, CA certificates and
 * acknowledgements.  Every change is one transaction.
 */
#ifndef SEALMAIL_STORE_H
#define SEALMAIL_STORE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open store.  Opaque. */
typedef struct sealmail_store sealmail_store;

#define SEALMAIL_STORE_OPTIONS_VERSION 1

/** Flags for sealmail_store_options.flags. */
enum {
	SEALMAIL_STORE_NONE = 0,
	/** Do not create the folder or database when missing. */
	SEALMAIL_STORE_NO_CREATE = 1u << 0,
	/** Open read-only. */
	SEALMAIL_STORE_READONLY = 1u << 1
};

/** Options for sealmail_store_open().  NULL means defaults. */
typedef struct sealmail_store_options {
	unsigned int version;
	unsigned int flags;
	/** Asked whenever a passphrase or password is needed; may be NULL. */
	sealmail_passphrase_cb passphrase;
	void *passphrase_payload;
	/**
	 * Milliseconds a writer waits for another process's transaction;
	 * 0 means the default (10 s).
	 */
	int busy_timeout_ms;
} sealmail_store_options;

#define SEALMAIL_STORE_OPTIONS_INIT                              \
	{                                                        \
		SEALMAIL_STORE_OPTIONS_VERSION, 0, NULL, NULL, 0 \
	}

/**
 * Set `opts` to the SEALMAIL_<X>_OPTIONS_INIT defaults for `version`.
 * EINVAL: `opts` is NULL or `version` unknown.
 */
SEALMAIL_EXTERN(int)
sealmail_store_options_init(sealmail_store_options *opts,
                            unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Open (and unless SEALMAIL_STORE_NO_CREATE, create) the store in `home`.
 * The folder is created with mode 0700 and the database with 0600; the schema
 * is created or migrated to the current version.
 *
 * @param out   the store; owned by the caller, free with sealmail_store_free()
 * @param home  folder of the store; the library reads no environment variable
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND (missing, NO_CREATE);
 *         SEALMAIL_EPERM; SEALMAIL_ECORRUPT (not a sealmail database, or
 *         damaged); SEALMAIL_EIO
 */
SEALMAIL_EXTERN(int)
sealmail_store_open(sealmail_store **out,
                    const char *home,
                    const sealmail_store_options *opts,
                    sealmail_error *err) SEALMAIL_WARN_UNUSED;

/** Close the store; accepts NULL. */
SEALMAIL_EXTERN(void) sealmail_store_free(sealmail_store *store);

/**
 * Close the store's database now, as sealmail_store_free() does (its files
 * and locks released, the WAL emptied), and keep the rest of the handle:
 * for a program about to exit, which leaves that memory (the store's
 * OpenSSL library context and caches) to the process's exit instead of
 * freeing it piece by piece.  When the WAL holds nothing (the program only
 * read), there is nothing to write back, and SQLite's connection is left
 * for the exit or sealmail_store_free() too (its files and locks released
 * then).  Afterwards the handle may only be given to
 * sealmail_store_free() (which frees it), sealmail_store_home() and
 * sealmail_store_schema_version(); any other call fails with SEALMAIL_EINVAL
 * ("the store is closed").  Accepts NULL; closing twice is harmless.
 */
SEALMAIL_EXTERN(void) sealmail_store_close(sealmail_store *store);

/** The store's folder; borrowed, valid until the store is freed. */
SEALMAIL_EXTERN(const char *) sealmail_store_home(const sealmail_store *store);

/** The schema version of the open database. */
SEALMAIL_EXTERN(int) sealmail_store_schema_version(const sealmail_store *store);

#ifdef __cplusplus
}
#endif

#endif
