/* SPDX-License-Identifier: MIT */
/*
 * The store's internal interface: the store handle's shared parts and a thin
 * prepared-statement layer in our own types.  store.c is the only file that
 * includes sqlite3.h; the domain files (id.c, account.c, book.c, ...) own their
 * SQL text and call these.
 *
 * Schema (see store.c for the authoritative DDL and docs/design.md):
 *   identities(id, fingerprint, cert, chain, key, key_encrypted, name,
 *              subject, not_before, not_after, created)
 *   identity_addresses(identity_id, address)
 *   accounts(address, sign_identity, encrypt_identity, sign_all, encrypt_all,
 *            include_cert, signing, cipher, encrypt_to_self)
 *   contacts(id, name)        contact_addresses(contact_id, address)
 *   certificates(id, contact_id, fingerprint, der, subject, issuer, serial,
 *                not_before, not_after, trust, capabilities, added)
 *   certificate_addresses(certificate_id, address)
 *   cas(id, fingerprint, der, subject, trust, added)
 *   acks(hash, created)
 */
#ifndef SM_DB_H
#define SM_DB_H

#include "internal.h"

typedef struct sm_crypto sm_crypto;

/* sealmail_standalone_init (sealmail.h): SQLite's process-wide part. */
void sm_store_standalone(void);

/* A prepared statement.  Opaque. */
typedef struct sm_stmt sm_stmt;

/* sm_stmt_step results besides a negative status. */
enum { SM_STEP_DONE = 0, SM_STEP_ROW = 1 };

int sm_stmt_prepare(sm_stmt **out,
                    sealmail_store *store,
                    const char *sql,
                    sealmail_error *err);
/* Bind by 1-based index.  Text and blobs are copied. */
int
sm_stmt_bind_text(sm_stmt *st, int idx, const char *text, sealmail_error *err);
int sm_stmt_bind_blob(sm_stmt *st,
                      int idx,
                      const void *data,
                      size_t len,
                      sealmail_error *err);
int sm_stmt_bind_int64(sm_stmt *st, int idx, int64_t v, sealmail_error *err);
int sm_stmt_bind_null(sm_stmt *st, int idx, sealmail_error *err);
/* SM_STEP_ROW, SM_STEP_DONE, or a negative status (EEXISTS on a UNIQUE
 * violation, ECORRUPT, EIO, ...). */
int sm_stmt_step(sm_stmt *st, sealmail_error *err);
int sm_stmt_reset(sm_stmt *st, sealmail_error *err);
/* Columns by 0-based index; pointers valid until the next step/free. */
const char *sm_stmt_column_text(sm_stmt *st, int col); /* "" for NULL */
const void *sm_stmt_column_blob(sm_stmt *st, int col, size_t *len_out);
int64_t sm_stmt_column_int64(sm_stmt *st, int col);
bool sm_stmt_column_is_null(sm_stmt *st, int col);
void sm_stmt_free(sm_stmt *st);

/* Run SQL without results (and without bindings). */
int sm_db_exec(sealmail_store *store, const char *sql, sealmail_error *err);
/* One-statement helper: prepare, bind nothing, step to DONE. */
int64_t sm_db_last_insert_id(sealmail_store *store);
int sm_db_changes(sealmail_store *store);

/*
 * Transactions.  Every change to the store is one: begin (IMMEDIATE, so a
 * second writer waits for the busy timeout instead of failing), then commit
 * or rollback.  Rollback never fails visibly and accepts a store with no
 * open transaction.
 */
int sm_db_begin(sealmail_store *store, sealmail_error *err);
int sm_db_commit(sealmail_store *store, sealmail_error *err);
void sm_db_rollback(sealmail_store *store);

/* The store's OpenSSL library context (created on first use). */
int
sm_store_crypto(sm_crypto **out, sealmail_store *store, sealmail_error *err);
/*
 * A per-store cache slot for lookups repeated per message (open's known
 * certificates, once per message of a `list`): the value `make` built, kept
 * while the database is unchanged (no change by this connection, the same
 * PRAGMA data_version) and asked for with the same `make`; otherwise freed
 * with `free_fn` and built again.  Freed with the store.  Borrowed.
 */
typedef int (*sm_store_cache_make_fn)(void **value_out,
                                      sealmail_store *store,
                                      sealmail_error *err);
int sm_store_cache(void **value_out,
                   sealmail_store *store,
                   sm_store_cache_make_fn make,
                   void (*free_fn)(void *value),
                   sealmail_error *err);

/*
 * Ask the store's passphrase callback.  On success `out` (a secret buffer,
 * caller frees with sm_buf_free) holds the NUL-terminated passphrase.
 * EPASSPHRASE when there is no callback or it declines.
 */
int sm_store_passphrase(sm_buf *out,
                        sealmail_store *store,
                        sealmail_passphrase_reason reason,
                        const char *what,
                        sealmail_error *err);

#endif
