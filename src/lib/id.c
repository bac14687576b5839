/* SPDX-License-Identifier: MIT */
/*
 * Digital IDs: create, import, list, look up, export and delete the user's
 * own certificates and private keys, and the internal interface (id_int.h)
 * through which signing and decrypting code gets them.  Keys are kept as
 * PKCS#8 (PBES2 unless asked by name); no OpenSSL or SQLite type here.
 */
#include "id_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account_int.h"
#include "db.h"
#include "mime.h"

#define DEFAULT_DAYS 730
#define MAX_DAYS 36500

struct sealmail_id {
	char fingerprint[SM_FINGERPRINT_SIZE];
	char *name;
	char *subject;
	char *issuer;
	char *serial;
	char *key_desc;
	char **addresses;
	size_t naddresses;
	int64_t not_before;
	int64_t not_after;
	int64_t created;
	bool key_encrypted;
};

struct sealmail_ids {
	sealmail_id **ids;
	size_t count;
};

/* One stored identity, loaded. */
typedef struct id_row {
	int64_t rowid;
	char fingerprint[SM_FINGERPRINT_SIZE];
	sm_cert *cert;
	sm_cert **chain;
	size_t nchain;
	sm_buf key; /* PKCS#8 DER, secret */
	bool key_encrypted;
	char *name;
	int64_t created;
} id_row;

static const char *const no_id_hint =
        "create one with 'sealmail id create --email %s' or import one with "
        "'sealmail id import FILE'";

/* --- small helpers ---------------------------------------------------- */

/*
 * Copy `address` in its ASCII form (lower case, IDN domain as punycode)
 * into `buf` after checking it looks like an e-mail address: local@domain,
 * printable ASCII or UTF-8, no spaces.
 */
static int
address_normalize(char *buf,
                  size_t size,
                  const char *address,
                  sealmail_error *err)
{
	size_t len;
	const char *at;

	if (address == NULL || *address == '\0')
		return sm_error_set(err, SEALMAIL_EINVAL, "no e-mail address");
	len = strlen(address);
	at = strrchr(address, '@');
	if (len > SM_ADDRESS_MAX || len >= size || at == NULL ||
	    at == address || at[1] == '\0')
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "'%s' is not an e-mail address", address);
	for (const unsigned char *p = (const unsigned char *)address;
	     *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == ',' || *p == ';' || *p == '"' || *p == '\\')
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "'%s' is not an e-mail address",
			                    address);
	}
	/* The one form addresses are stored and looked up in (mime.h). */
	if (sm_mime_address_ascii(buf, size, address) > SM_ADDRESS_MAX)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "'%s' is not an e-mail address", address);
	return SEALMAIL_OK;
}

/* Put "<name>: " before the message already in err. */
static int
error_prefix(sealmail_error *err, int code, const char *name)
{
	char copy[SEALMAIL_ERROR_SIZE];

	if (err == NULL)
		return code;
	memcpy(copy, err->message, sizeof(copy));
	copy[sizeof(copy) - 1] = '\0';
	return sm_error_set(err, code, "%s: %s", name, copy);
}

static void
row_clear(id_row *r)
{
	sm_cert_free(r->cert);
	sm_cert_list_free(r->chain, r->nchain);
	sm_buf_free(&r->key);
	sm_free(r->name);
	memset(r, 0, sizeof(*r));
}

/* Load identity `rowid` (ENOTFOUND when it is gone). */
static int
row_load(id_row *r, sealmail_store *store, int64_t rowid, sealmail_error *err)
{
	sm_crypto *crypto;
	sm_stmt *st = NULL;
	const void *blob;
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	sm_buf_init_secret(&r->key, SM_BUF_MAX_DEFAULT);
	rc = sm_store_crypto(&crypto, store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT fingerprint, cert, chain, key, "
	                     "key_encrypted, name, created FROM identities "
	                     "WHERE id = ?",
	                     err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_int64(st, 1, rowid, err);
	if (rc != SEALMAIL_OK)
		goto out;
	rc = sm_stmt_step(st, err);
	if (rc < 0)
		goto out;
	if (rc == SM_STEP_DONE) {
		rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
		                  "the digital ID is no longer in the store");
		goto out;
	}
	r->rowid = rowid;
	(void)snprintf(r->fingerprint, sizeof(r->fingerprint), "%s",
	               sm_stmt_column_text(st, 0));
	blob = sm_stmt_column_blob(st, 1, &len);
	rc = sm_cert_from_der(&r->cert, crypto, blob, len, err);
	if (rc == SEALMAIL_EBADDATA) {
		rc = sm_error_set(err, SEALMAIL_ECORRUPT,
		                  "the store holds a damaged certificate for "
		                  "digital ID %s",
		                  r->fingerprint);
		goto out;
	}
	if (rc != SEALMAIL_OK)
		goto out;
	blob = sm_stmt_column_blob(st, 2, &len);
	if (blob != NULL && len > 0) {
		rc = sm_cert_list_parse(&r->chain, &r->nchain, crypto, blob,
		                        len, err);
		if (rc == SEALMAIL_EBADDATA) {
			rc = sm_error_set(err, SEALMAIL_ECORRUPT,
			                  "the store holds a damaged chain for "
			                  "digital ID %s",
			                  r->fingerprint);
			goto out;
		}
		if (rc != SEALMAIL_OK)
			goto out;
	}
	blob = sm_stmt_column_blob(st, 3, &len);
	rc = sm_buf_append(&r->key, blob, len, err);
	if (rc != SEALMAIL_OK)
		goto out;
	r->key_encrypted = sm_stmt_column_int64(st, 4) != 0;
	r->name = sm_strdup(sm_stmt_column_text(st, 5));
	if (r->name == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	r->created = sm_stmt_column_int64(st, 6);
	rc = SEALMAIL_OK;
out:
	sm_stmt_free(st);
	if (rc != SEALMAIL_OK)
		row_clear(r);
	return rc;
}

/* The first address of a loaded identity, for prompts. */
static const char *
row_address(const id_row *r)
{
	return sm_cert_address_count(r->cert) > 0
	               ? sm_cert_address_at(r->cert, 0)
	               : r->fingerprint;
}

/* Unlock the key of a loaded identity; `address` names it in prompts. */
static int
row_unlock(sm_key **out,
           sealmail_store *store,
           const id_row *r,
           const char *address,
           sealmail_error *err)
{
	sm_crypto *crypto;
	sm_buf pass;
	char what[SM_ADDRESS_MAX + 32];
	int rc;

	*out = NULL;
	rc = sm_store_crypto(&crypto, store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (!r->key_encrypted)
		return sm_key_from_pkcs8(out, crypto, r->key.data, r->key.len,
		                         NULL, err);
	(void)snprintf(what, sizeof(what), "the digital ID for %s", address);
	rc = sm_store_passphrase(&pass, store, SEALMAIL_PASSPHRASE_UNLOCK, what,
	                         err);
	if (rc != SEALMAIL_OK) {
		sm_buf_free(&pass);
		return rc;
	}
	rc = sm_key_from_pkcs8(out, crypto, r->key.data, r->key.len,
	                       (const char *)pass.data, err);
	sm_buf_free(&pass);
	if (rc == SEALMAIL_EPASSPHRASE)
		return sm_error_set(err, rc, "wrong passphrase for %s", what);
	return rc;
}

static char *
dup_or_empty(const char *s)
{
	return sm_strdup(s != NULL ? s : "");
}

/* A public snapshot of a loaded identity. */
static int
snapshot(sealmail_id **out, const id_row *r, sealmail_error *err)
{
	sealmail_id *id;
	size_t n = sm_cert_address_count(r->cert);

	*out = NULL;
	id = sm_calloc(1, sizeof(*id));
	if (id == NULL)
		return sm_error_nomem(err);
	(void)snprintf(id->fingerprint, sizeof(id->fingerprint), "%s",
	               r->fingerprint);
	id->name = dup_or_empty(r->name);
	id->subject = dup_or_empty(sm_cert_subject(r->cert));
	id->issuer = dup_or_empty(sm_cert_issuer(r->cert));
	id->serial = dup_or_empty(sm_cert_serial(r->cert));
	id->key_desc = dup_or_empty(sm_cert_key_desc(r->cert));
	id->addresses = sm_calloc(n > 0 ? n : 1, sizeof(char *));
	id->not_before = sm_cert_not_before(r->cert);
	id->not_after = sm_cert_not_after(r->cert);
	id->created = r->created;
	id->key_encrypted = r->key_encrypted;
	if (id->name == NULL || id->subject == NULL || id->issuer == NULL ||
	    id->serial == NULL || id->key_desc == NULL ||
	    id->addresses == NULL) {
		sealmail_id_free(id);
		return sm_error_nomem(err);
	}
	for (size_t i = 0; i < n; i++) {
		id->addresses[i] = sm_strdup(sm_cert_address_at(r->cert, i));
		if (id->addresses[i] == NULL) {
			sealmail_id_free(id);
			return sm_error_nomem(err);
		}
		id->naddresses++;
	}
	*out = id;
	return SEALMAIL_OK;
}

static int
snapshot_rowid(sealmail_id **out,
               sealmail_store *store,
               int64_t rowid,
               sealmail_error *err)
{
	id_row r;
	int rc = row_load(&r, store, rowid, err);

	if (rc != SEALMAIL_OK)
		return rc;
	rc = snapshot(out, &r, err);
	row_clear(&r);
	return rc;
}

/*
 * Row ids of the identities naming `address`, newest first: the first in
 * `*first`, the count in `*count`.
 */
static int
ids_for_address(int64_t *first,
                int *count,
                sealmail_store *store,
                const char *address,
                sealmail_error *err)
{
	sm_stmt *st;
	int rc;

	*first = 0;
	*count = 0;
	rc = sm_stmt_prepare(
	        &st, store,
	        "SELECT i.id FROM identities i "
	        "JOIN identity_addresses a ON a.identity_id = i.id "
	        "WHERE a.address = ? "
	        "ORDER BY i.created DESC, i.id DESC",
	        err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_text(st, 1, address, err);
	while (rc == SEALMAIL_OK &&
	       (rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		if (*count == 0)
			*first = sm_stmt_column_int64(st, 0);
		(*count)++;
		rc = SEALMAIL_OK;
	}
	sm_stmt_free(st);
	return rc < 0 ? rc : SEALMAIL_OK;
}

static int
damaged_cert(sealmail_error *err, const char *fingerprint)
{
	return sm_error_set(err, SEALMAIL_ECORRUPT,
	                    "the store holds a damaged certificate for "
	                    "digital ID %s",
	                    fingerprint);
}

/*
 * Of the identities naming `address`, newest first: the first whose
 * certificate allows `usage` (SM_USAGE_* bits), else the newest.  Its row
 * id to `*rowid` (0: no identity names the address) and, when `cert` is
 * not NULL, its certificate to `*cert` (ECORRUPT when that is the newest's
 * and it is damaged).  A damaged certificate is otherwise passed over:
 * loading its identity says why.
 */
static int
newest_fitting(int64_t *rowid,
               sm_cert **cert,
               sealmail_store *store,
               const char *address,
               unsigned int usage,
               sealmail_error *err)
{
	sm_crypto *crypto;
	sm_stmt *st = NULL;
	sm_cert *first = NULL;
	char first_fp[SM_FINGERPRINT_SIZE] = "";
	int64_t first_id = 0;
	size_t count = 0;
	int rc;

	*rowid = 0;
	if (cert != NULL)
		*cert = NULL;
	rc = sm_store_crypto(&crypto, store, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_prepare(
		        &st, store,
		        "SELECT i.id, i.fingerprint, i.cert FROM identities i "
		        "JOIN identity_addresses a ON a.identity_id = i.id "
		        "WHERE a.address = ? "
		        "ORDER BY i.created DESC, i.id DESC",
		        err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_bind_text(st, 1, address, err);
	while (rc == SEALMAIL_OK &&
	       (rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		size_t len;
		const void *der = sm_stmt_column_blob(st, 2, &len);
		sm_cert *c = NULL;

		rc = sm_cert_from_der(&c, crypto, der, len, err);
		if (count++ == 0) {
			first_id = sm_stmt_column_int64(st, 0);
			(void)snprintf(first_fp, sizeof(first_fp), "%s",
			               sm_stmt_column_text(st, 1));
		}
		if (rc == SEALMAIL_EBADDATA) {
			rc = SEALMAIL_OK; /* passed over; chosen, it says why */
			continue;
		}
		if (rc != SEALMAIL_OK)
			break;
		if ((sm_cert_usage(c) & usage) == usage) {
			*rowid = sm_stmt_column_int64(st, 0);
			if (cert != NULL)
				*cert = c;
			else
				sm_cert_free(c);
			rc = SM_STEP_DONE;
			break;
		}
		if (count == 1 && cert != NULL)
			first = c;
		else
			sm_cert_free(c);
	}
	sm_stmt_free(st);
	if (rc < 0 || *rowid != 0) {
		sm_cert_free(first);
		return rc < 0 ? rc : SEALMAIL_OK;
	}
	*rowid = first_id; /* none allows it: the newest */
	if (cert == NULL || count == 0)
		return SEALMAIL_OK;
	if (first == NULL) /* the newest is the one and it is damaged */
		return damaged_cert(err, first_fp);
	*cert = first;
	return SEALMAIL_OK;
}

/*
 * The identity the account for `address` names in `column` (sign_identity
 * or encrypt_identity), else the newest naming the address that allows the
 * purpose (else simply the newest); 0 when none.
 */
static int
account_identity(int64_t *rowid,
                 sealmail_store *store,
                 const char *column,
                 const char *address,
                 sealmail_error *err)
{
	sm_stmt *st;
	int count, rc;
	const char *sql = strcmp(column, "encrypt_identity") == 0
	                          ? "SELECT encrypt_identity FROM accounts "
	                            "WHERE address = ?"
	                          : "SELECT sign_identity FROM accounts "
	                            "WHERE address = ?";

	*rowid = 0;
	rc = sm_stmt_prepare(&st, store, sql, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_text(st, 1, address, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_ROW && !sm_stmt_column_is_null(st, 0))
		*rowid = sm_stmt_column_int64(st, 0);
	sm_stmt_free(st);
	if (rc < 0)
		return rc;
	if (*rowid != 0)
		return SEALMAIL_OK;
	rc = ids_for_address(rowid, &count, store, address, err);
	if (rc != SEALMAIL_OK || count < 2)
		return rc;
	return newest_fitting(rowid, NULL, store, address,
	                      strcmp(column, "encrypt_identity") == 0
	                              ? SM_USAGE_ENCRYPT | SM_USAGE_EMAIL
	                              : SM_USAGE_SIGN | SM_USAGE_EMAIL,
	                      err);
}

/* --- lookup ----------------------------------------------------------- */

int
sm_id_resolve(int64_t *rowid_out,
              sealmail_store *store,
              const char *spec,
              sealmail_error *err)
{
	char hex[SM_FINGERPRINT_SIZE];
	size_t n = 0;
	sm_stmt *st;
	int count = 0, rc;

	*rowid_out = 0;
	if (spec == NULL || *spec == '\0')
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "no digital ID given");
	if (strchr(spec, '@') != NULL) {
		char addr[SM_ADDRESS_MAX + 1];
		rc = address_normalize(addr, sizeof(addr), spec, err);
		if (rc != SEALMAIL_OK)
			return rc;
		rc = ids_for_address(rowid_out, &count, store, addr, err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (count == 0)
			return sm_error_set(err, SEALMAIL_ENOTFOUND,
			                    "no digital ID for %s", addr);
		if (count > 1)
			return sm_error_set(err, SEALMAIL_EAMBIGUOUS,
			                    "%s has %d digital IDs: give a "
			                    "fingerprint instead",
			                    addr, count);
		return SEALMAIL_OK;
	}
	for (const char *p = spec; *p != '\0'; p++) {
		char c = *p;
		if (c == ':')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) ||
		    n + 1 >= sizeof(hex))
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "'%s' is not a fingerprint or an "
			                    "e-mail address",
			                    spec);
		hex[n++] = c;
	}
	hex[n] = '\0';
	if (n < 4)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "'%s' is too short: give at least 4 digits "
		                    "of the fingerprint",
		                    spec);
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT id FROM identities "
	                     "WHERE substr(fingerprint, 1, ?) = ? ORDER BY id",
	                     err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_int64(st, 1, (int64_t)n, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_bind_text(st, 2, hex, err);
	while (rc == SEALMAIL_OK &&
	       (rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		if (count++ == 0)
			*rowid_out = sm_stmt_column_int64(st, 0);
		rc = SEALMAIL_OK;
	}
	sm_stmt_free(st);
	if (rc < 0)
		return rc;
	if (count == 0)
		return sm_error_set(err, SEALMAIL_ENOTFOUND,
		                    "no digital ID with fingerprint %s", hex);
	if (count > 1)
		return sm_error_set(err, SEALMAIL_EAMBIGUOUS,
		                    "fingerprint %s matches %d digital IDs: "
		                    "give more digits",
		                    hex, count);
	return SEALMAIL_OK;
}

bool
sm_id_names_address(sealmail_store *store, int64_t rowid, const char *address)
{
	sm_stmt *st;
	bool found = false;

	if (sm_stmt_prepare(&st, store,
	                    "SELECT 1 FROM identity_addresses "
	                    "WHERE identity_id = ? AND address = ?",
	                    NULL) != SEALMAIL_OK)
		return false;
	if (sm_stmt_bind_int64(st, 1, rowid, NULL) == SEALMAIL_OK &&
	    sm_stmt_bind_text(st, 2, address, NULL) == SEALMAIL_OK)
		found = sm_stmt_step(st, NULL) == SM_STEP_ROW;
	sm_stmt_free(st);
	return found;
}

int
sealmail_id_lookup(sealmail_id **out,
                   sealmail_store *store,
                   const char *spec,
                   sealmail_error *err)
{
	int64_t rowid;
	int rc;

	*out = NULL;
	rc = sm_id_resolve(&rowid, store, spec, err);
	if (rc != SEALMAIL_OK)
		return rc;
	return snapshot_rowid(out, store, rowid, err);
}

/* Row id of the identity with this full fingerprint, 0 when none. */
static int
rowid_by_fingerprint(int64_t *rowid,
                     sealmail_store *store,
                     const char *fp,
                     sealmail_error *err)
{
	sm_stmt *st;
	int rc;

	*rowid = 0;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT id FROM identities WHERE fingerprint = ?",
	                     err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_text(st, 1, fp, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_ROW)
		*rowid = sm_stmt_column_int64(st, 0);
	sm_stmt_free(st);
	return rc < 0 ? rc : SEALMAIL_OK;
}

bool
sm_id_is_own(sealmail_store *store, const char *fingerprint)
{
	int64_t rowid;

	return rowid_by_fingerprint(&rowid, store, fingerprint, NULL) ==
	               SEALMAIL_OK &&
	       rowid != 0;
}

/* --- list ------------------------------------------------------------- */

int
sealmail_id_list(sealmail_ids **out, sealmail_store *store, sealmail_error *err)
{
	sealmail_ids *list;
	int64_t *rowids = NULL;
	size_t n = 0, cap = 0;
	sm_stmt *st;
	int rc;

	*out = NULL;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT id FROM identities ORDER BY created, id",
	                     err);
	if (rc != SEALMAIL_OK)
		return rc;
	while ((rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		if (n == cap) {
			size_t ncap = cap == 0 ? 8 : cap * 2;
			int64_t *p = sm_realloc(rowids, ncap * sizeof(*p));
			if (p == NULL) {
				rc = sm_error_nomem(err);
				break;
			}
			rowids = p;
			cap = ncap;
		}
		rowids[n++] = sm_stmt_column_int64(st, 0);
	}
	sm_stmt_free(st);
	if (rc < 0) {
		sm_free(rowids);
		return rc;
	}
	list = sm_calloc(1, sizeof(*list));
	if (list == NULL ||
	    (list->ids = sm_calloc(n > 0 ? n : 1, sizeof(sealmail_id *))) ==
	            NULL) {
		sm_free(list);
		sm_free(rowids);
		return sm_error_nomem(err);
	}
	for (size_t i = 0; i < n; i++) {
		rc = snapshot_rowid(&list->ids[i], store, rowids[i], err);
		if (rc != SEALMAIL_OK) {
			sealmail_id_list_free(list);
			sm_free(rowids);
			return rc;
		}
		list->count++;
	}
	sm_free(rowids);
	*out = list;
	return SEALMAIL_OK;
}

size_t
sealmail_id_list_count(const sealmail_ids *list)
{
	return list != NULL ? list->count : 0;
}

const sealmail_id *
sealmail_id_list_at(const sealmail_ids *list, size_t i)
{
	return list != NULL && i < list->count ? list->ids[i] : NULL;
}

void
sealmail_id_list_free(sealmail_ids *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		sealmail_id_free(list->ids[i]);
	sm_free(list->ids);
	sm_free(list);
}

void
sealmail_id_free(sealmail_id *id)
{
	if (id == NULL)
		return;
	sm_free(id->name);
	sm_free(id->subject);
	sm_free(id->issuer);
	sm_free(id->serial);
	sm_free(id->key_desc);
	for (size_t i = 0; id->addresses != NULL && i < id->naddresses; i++)
		sm_free(id->addresses[i]);
	sm_free(id->addresses);
	sm_free(id);
}

/* --- storing a new ID ------------------------------------------------- */

/*
 * Store `cert` (with `chain`) and `key` as a new identity and create the
 * accounts its addresses lack, in one transaction.  The caller has checked
 * that the key matches and that the certificate names an address.
 */
static int
id_store(sealmail_id **out,
         sealmail_store *store,
         const sm_cert *cert,
         sm_cert *const *chain,
         size_t nchain,
         const sm_key *key,
         unsigned int flags,
         const char *name,
         sealmail_error *err)
{
	const char *fp = sm_cert_fingerprint(cert);
	const char *first = sm_cert_address_at(cert, 0);
	char what[SM_ADDRESS_MAX + 40];
	sm_buf pass, pkcs8, chain_pem;
	const unsigned char *der;
	size_t der_len;
	int64_t rowid = 0;
	sm_stmt *st = NULL;
	int rc;

	sm_buf_init_secret(&pass, 1024);
	sm_buf_init_secret(&pkcs8, SM_BUF_MAX_DEFAULT);
	sm_buf_init(&chain_pem, SM_BUF_MAX_DEFAULT);

	rc = rowid_by_fingerprint(&rowid, store, fp, err);
	if (rc != SEALMAIL_OK)
		goto out;
	if (rowid != 0) {
		rc = sm_error_set(err, SEALMAIL_EEXISTS,
		                  "the digital ID %.16s for %s is already in "
		                  "the store",
		                  fp, first);
		goto out;
	}
	if (!(flags & SEALMAIL_ID_NO_PASSPHRASE)) {
		(void)snprintf(what, sizeof(what), "the new digital ID for %s",
		               first);
		rc = sm_store_passphrase(&pass, store, SEALMAIL_PASSPHRASE_NEW,
		                         what, err);
		if (rc != SEALMAIL_OK)
			goto out;
		if (pass.len == 0) {
			rc = sm_error_set(err, SEALMAIL_EPASSPHRASE,
			                  "empty passphrase for %s: a key is "
			                  "stored unencrypted only when asked "
			                  "for by name",
			                  what);
			goto out;
		}
	}
	rc = sm_key_to_pkcs8(key, pass.len > 0 ? (const char *)pass.data : NULL,
	                     &pkcs8, err);
	if (rc != SEALMAIL_OK)
		goto out;
	for (size_t i = 0; i < nchain; i++) {
		rc = sm_cert_pem(chain[i], &chain_pem, err);
		if (rc != SEALMAIL_OK)
			goto out;
	}

	rc = sm_db_begin(store, err);
	if (rc != SEALMAIL_OK)
		goto out;
	rc = sm_stmt_prepare(
	        &st, store,
	        "INSERT INTO identities (fingerprint, cert, chain, "
	        "key, key_encrypted, name, subject, not_before, "
	        "not_after, created) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	        err);
	if (rc != SEALMAIL_OK)
		goto fail;
	der = sm_cert_der(cert, &der_len);
	if ((rc = sm_stmt_bind_text(st, 1, fp, err)) != SEALMAIL_OK ||
	    (rc = sm_stmt_bind_blob(st, 2, der, der_len, err)) != SEALMAIL_OK ||
	    (rc = chain_pem.len > 0
	                  ? sm_stmt_bind_blob(st, 3, chain_pem.data,
	                                      chain_pem.len, err)
	                  : sm_stmt_bind_null(st, 3, err)) != SEALMAIL_OK ||
	    (rc = sm_stmt_bind_blob(st, 4, pkcs8.data, pkcs8.len, err)) !=
	            SEALMAIL_OK ||
	    (rc = sm_stmt_bind_int64(st, 5, pass.len > 0 ? 1 : 0, err)) !=
	            SEALMAIL_OK ||
	    (rc = sm_stmt_bind_text(st, 6, name, err)) != SEALMAIL_OK ||
	    (rc = sm_stmt_bind_text(st, 7, sm_cert_subject(cert), err)) !=
	            SEALMAIL_OK ||
	    (rc = sm_stmt_bind_int64(st, 8, sm_cert_not_before(cert), err)) !=
	            SEALMAIL_OK ||
	    (rc = sm_stmt_bind_int64(st, 9, sm_cert_not_after(cert), err)) !=
	            SEALMAIL_OK ||
	    (rc = sm_stmt_bind_int64(st, 10, (int64_t)time(NULL), err)) !=
	            SEALMAIL_OK)
		goto fail;
	rc = sm_stmt_step(st, err);
	if (rc < 0)
		goto fail;
	rowid = sm_db_last_insert_id(store);
	sm_stmt_free(st);
	st = NULL;

	rc = sm_stmt_prepare(&st, store,
	                     "INSERT OR IGNORE INTO identity_addresses "
	                     "(identity_id, address) VALUES (?, ?)",
	                     err);
	if (rc != SEALMAIL_OK)
		goto fail;
	for (size_t i = 0; i < sm_cert_address_count(cert); i++) {
		const char *addr = sm_cert_address_at(cert, i);
		if ((rc = sm_stmt_reset(st, err)) != SEALMAIL_OK ||
		    (rc = sm_stmt_bind_int64(st, 1, rowid, err)) !=
		            SEALMAIL_OK ||
		    (rc = sm_stmt_bind_text(st, 2, addr, err)) != SEALMAIL_OK)
			goto fail;
		rc = sm_stmt_step(st, err);
		if (rc < 0)
			goto fail;
		rc = sm_account_ensure(store, addr, err);
		if (rc != SEALMAIL_OK)
			goto fail;
	}
	sm_stmt_free(st);
	st = NULL;
	rc = sm_db_commit(store, err);
	if (rc != SEALMAIL_OK)
		goto fail;
	rc = out != NULL ? snapshot_rowid(out, store, rowid, err) : SEALMAIL_OK;
	goto out;
fail:
	sm_stmt_free(st);
	st = NULL;
	sm_db_rollback(store);
	if (rc == SEALMAIL_EEXISTS)
		rc = sm_error_set(err, SEALMAIL_EEXISTS,
		                  "the digital ID %.16s for %s is already in "
		                  "the store",
		                  fp, first);
out:
	sm_stmt_free(st);
	sm_buf_free(&pass);
	sm_buf_free(&pkcs8);
	sm_buf_free(&chain_pem);
	return rc;
}

/* --- create ----------------------------------------------------------- */

int
sealmail_id_create_options_init(sealmail_id_create_options *opts,
                                unsigned int version)
{
	if (opts == NULL || version != SEALMAIL_ID_CREATE_OPTIONS_VERSION)
		return SEALMAIL_EINVAL;
	*opts = (sealmail_id_create_options)SEALMAIL_ID_CREATE_OPTIONS_INIT;
	return SEALMAIL_OK;
}

static int
key_type_map(sm_key_type *out, sealmail_key_type type, sealmail_error *err)
{
	switch (type) {
	case SEALMAIL_KEY_DEFAULT:
	case SEALMAIL_KEY_RSA2048:
		*out = SM_KEY_RSA2048;
		return SEALMAIL_OK;
	case SEALMAIL_KEY_RSA3072:
		*out = SM_KEY_RSA3072;
		return SEALMAIL_OK;
	case SEALMAIL_KEY_RSA4096:
		*out = SM_KEY_RSA4096;
		return SEALMAIL_OK;
	case SEALMAIL_KEY_P256:
		*out = SM_KEY_P256;
		return SEALMAIL_OK;
	case SEALMAIL_KEY_P384:
		*out = SM_KEY_P384;
		return SEALMAIL_OK;
	}
	return sm_error_set(err, SEALMAIL_EINVAL, "unknown key type %d",
	                    (int)type);
}

int
sealmail_id_create(sealmail_id **out,
                   sealmail_store *store,
                   const char *address,
                   const sealmail_id_create_options *opts,
                   sealmail_error *err)
{
	sealmail_id_create_options defaults = SEALMAIL_ID_CREATE_OPTIONS_INIT;
	char addr[SM_ADDRESS_MAX + 1];
	sm_crypto *crypto;
	sm_key_type type = SM_KEY_RSA2048;
	sm_key *key = NULL;
	sm_cert *cert = NULL;
	const char *name;
	int days, rc;

	if (out != NULL)
		*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != SEALMAIL_ID_CREATE_OPTIONS_VERSION)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "unknown ID options version %u",
		                    opts->version);
	rc = address_normalize(addr, sizeof(addr), address, err);
	if (rc != SEALMAIL_OK)
		return rc;
	days = opts->days == 0 ? DEFAULT_DAYS : opts->days;
	if (days < 1 || days > MAX_DAYS)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "validity of %d days: give 1 to %d",
		                    opts->days, MAX_DAYS);
	rc = key_type_map(&type, opts->key_type, err);
	if (rc != SEALMAIL_OK)
		return rc;
	name = opts->name != NULL && *opts->name != '\0' ? opts->name : addr;
	rc = sm_store_crypto(&crypto, store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_key_generate(&key, crypto, type, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_cert_self_signed_new(
	        &cert, crypto, key, addr,
	        opts->name != NULL && *opts->name != '\0' ? opts->name : NULL,
	        days, err);
	if (rc == SEALMAIL_OK)
		rc = id_store(out, store, cert, NULL, 0, key, opts->flags, name,
		              err);
	sm_cert_free(cert);
	sm_key_free(key);
	return rc;
}

/* --- import ----------------------------------------------------------- */

int
sealmail_id_import_options_init(sealmail_id_import_options *opts,
                                unsigned int version)
{
	if (opts == NULL || version != SEALMAIL_ID_IMPORT_OPTIONS_VERSION)
		return SEALMAIL_EINVAL;
	*opts = (sealmail_id_import_options)SEALMAIL_ID_IMPORT_OPTIONS_INIT;
	return SEALMAIL_OK;
}

static bool
looks_pem(const void *data, size_t len)
{
	static const char marker[] = "-----BEGIN ";
	const char *p = data;

	for (size_t i = 0; i + sizeof(marker) - 1 <= len; i++) {
		if (p[i] == '-' &&
		    memcmp(p + i, marker, sizeof(marker) - 1) == 0)
			return true;
	}
	return false;
}

static int
import_pkcs12(sm_bundle *b,
              sealmail_store *store,
              sm_crypto *crypto,
              const unsigned char *data,
              size_t len,
              const char *name,
              sealmail_error *err)
{
	sm_buf pass;
	int rc;

	/* Many files are exported with an empty password: try it first. */
	rc = sm_pkcs12_parse(b, crypto, data, len, "", err);
	if (rc != SEALMAIL_EPASSPHRASE)
		return rc == SEALMAIL_OK ? rc : error_prefix(err, rc, name);
	sm_bundle_clear(b);
	rc = sm_store_passphrase(&pass, store,
	                         SEALMAIL_PASSPHRASE_PKCS12_IMPORT, name, err);
	if (rc != SEALMAIL_OK) {
		sm_buf_free(&pass);
		return rc;
	}
	rc = sm_pkcs12_parse(b, crypto, data, len, (const char *)pass.data,
	                     err);
	sm_buf_free(&pass);
	if (rc == SEALMAIL_EPASSPHRASE)
		return sm_error_set(err, rc, "wrong password for %s", name);
	return rc == SEALMAIL_OK ? rc : error_prefix(err, rc, name);
}

/* Parse PEM text, asking for the passphrase of an encrypted key. */
static int
import_pem(sm_bundle *b,
           sealmail_store *store,
           sm_crypto *crypto,
           const unsigned char *data,
           size_t len,
           const char *name,
           sealmail_error *err)
{
	sm_buf pass;
	int rc;

	sm_buf_init_secret(&pass, 1024);
	if (sm_pem_has_encrypted_key(data, len)) {
		char what[512];
		(void)snprintf(what, sizeof(what), "the private key in %s",
		               name);
		rc = sm_store_passphrase(&pass, store,
		                         SEALMAIL_PASSPHRASE_UNLOCK, what, err);
		if (rc != SEALMAIL_OK) {
			sm_buf_free(&pass);
			return rc;
		}
		rc = sm_pem_bundle_parse(b, crypto, data, len,
		                         (const char *)pass.data, err);
		sm_buf_free(&pass);
		if (rc == SEALMAIL_EPASSPHRASE)
			return sm_error_set(err, rc, "wrong passphrase for %s",
			                    what);
	} else {
		rc = sm_pem_bundle_parse(b, crypto, data, len, NULL, err);
	}
	return rc == SEALMAIL_OK || rc == SEALMAIL_EPASSPHRASE
	               ? rc
	               : error_prefix(err, rc, name);
}

/* Certificate in `data` (any form), key in `key_data` (PEM or DER). */
static int
import_two(sm_bundle *b,
           sealmail_store *store,
           sm_crypto *crypto,
           const unsigned char *data,
           size_t len,
           const char *name,
           const unsigned char *key_data,
           size_t key_len,
           const char *key_name,
           sealmail_error *err)
{
	sm_bundle kb = {0};
	sm_cert **certs = NULL;
	size_t ncerts = 0, leaf = 0;
	int rc;

	if (looks_pem(key_data, key_len))
		rc = import_pem(&kb, store, crypto, key_data, key_len, key_name,
		                err);
	else
		rc = sm_key_from_pkcs8(&kb.key, crypto, key_data, key_len, NULL,
		                       err) == SEALMAIL_OK
		             ? SEALMAIL_OK
		             : sm_error_set(err, SEALMAIL_EBADDATA,
		                            "no private key in %s", key_name);
	if (rc != SEALMAIL_OK)
		goto out;
	if (kb.key == NULL) {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "no private key in %s", key_name);
		goto out;
	}
	rc = sm_cert_list_parse(&certs, &ncerts, crypto, data, len, err);
	if (rc != SEALMAIL_OK) {
		rc = error_prefix(err, rc, name);
		goto out;
	}
	for (size_t i = 0; i < ncerts; i++) {
		if (sm_key_matches_cert(kb.key, certs[i])) {
			leaf = i;
			break;
		}
	}
	b->key = kb.key;
	kb.key = NULL;
	b->cert = sm_cert_ref(certs[leaf]);
	if (ncerts > 1) {
		b->chain = sm_calloc(ncerts - 1, sizeof(sm_cert *));
		if (b->chain == NULL) {
			rc = sm_error_nomem(err);
			goto out;
		}
		for (size_t i = 0; i < ncerts; i++) {
			if (i != leaf)
				b->chain[b->chain_count++] =
				        sm_cert_ref(certs[i]);
		}
	}
out:
	sm_cert_list_free(certs, ncerts);
	sm_bundle_clear(&kb);
	return rc;
}

int
sealmail_id_import(sealmail_id **out,
                   sealmail_store *store,
                   const void *data,
                   size_t len,
                   const void *key_data,
                   size_t key_len,
                   const sealmail_id_import_options *opts,
                   sealmail_error *err)
{
	sealmail_id_import_options defaults = SEALMAIL_ID_IMPORT_OPTIONS_INIT;
	const char *name, *key_name, *id_name;
	sm_bundle b = {0};
	sm_crypto *crypto;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != SEALMAIL_ID_IMPORT_OPTIONS_VERSION)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "unknown import options version %u",
		                    opts->version);
	name = opts->data_name != NULL ? opts->data_name : "the import data";
	key_name = key_data == NULL              ? name
	           : opts->key_data_name != NULL ? opts->key_data_name
	                                         : "the key data";
	if (data == NULL || len == 0)
		return sm_error_set(err, SEALMAIL_EBADDATA, "%s is empty",
		                    name);
	if (key_data != NULL && key_len == 0)
		return sm_error_set(err, SEALMAIL_EBADDATA, "%s is empty",
		                    key_name);
	rc = sm_store_crypto(&crypto, store, err);
	if (rc != SEALMAIL_OK)
		return rc;

	if (sm_is_pkcs12(data, len)) {
		if (key_data != NULL)
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "%s is a PKCS#12 file, which holds "
			                    "its own key: give no key file",
			                    name);
		rc = import_pkcs12(&b, store, crypto, data, len, name, err);
	} else if (key_data != NULL) {
		rc = import_two(&b, store, crypto, data, len, name, key_data,
		                key_len, key_name, err);
	} else if (looks_pem(data, len)) {
		rc = import_pem(&b, store, crypto, data, len, name, err);
	} else {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "%s is neither PKCS#12 nor PEM", name);
	}
	if (rc != SEALMAIL_OK)
		goto out;

	if (b.key == NULL) {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "no private key in %s", key_name);
		goto out;
	}
	if (b.cert == NULL) {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "no certificate in %s", name);
		goto out;
	}
	if (!sm_key_matches_cert(b.key, b.cert)) {
		rc = key_data != NULL
		             ? sm_error_set(err, SEALMAIL_EBADDATA,
		                            "the private key in %s does not "
		                            "match the certificate in %s",
		                            key_name, name)
		             : sm_error_set(err, SEALMAIL_EBADDATA,
		                            "the private key in %s does not "
		                            "match its certificate",
		                            name);
		goto out;
	}
	if (sm_cert_address_count(b.cert) == 0) {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "the certificate in %s names no e-mail "
		                  "address",
		                  name);
		goto out;
	}
	id_name = sm_cert_common_name(b.cert);
	if (id_name == NULL || *id_name == '\0')
		id_name = b.friendly_name;
	if (id_name == NULL || *id_name == '\0')
		id_name = sm_cert_address_at(b.cert, 0);
	rc = id_store(out, store, b.cert, b.chain, b.chain_count, b.key,
	              opts->flags, id_name, err);
out:
	sm_bundle_clear(&b);
	return rc;
}

/* --- export and delete ------------------------------------------------ */

int
sealmail_id_export_options_init(sealmail_id_export_options *opts,
                                unsigned int version)
{
	if (opts == NULL || version != SEALMAIL_ID_EXPORT_OPTIONS_VERSION)
		return SEALMAIL_EINVAL;
	*opts = (sealmail_id_export_options)SEALMAIL_ID_EXPORT_OPTIONS_INIT;
	return SEALMAIL_OK;
}

static int
export_pkcs12(sm_buf *data,
              sealmail_store *store,
              const id_row *r,
              bool legacy,
              sealmail_error *err)
{
	sm_crypto *crypto;
	sm_bundle b = {0};
	sm_buf pass;
	char what[SM_ADDRESS_MAX + 40];
	int rc;

	sm_buf_init_secret(&pass, 1024);
	rc = sm_store_crypto(&crypto, store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = row_unlock(&b.key, store, r, row_address(r), err);
	if (rc != SEALMAIL_OK)
		return rc;
	(void)snprintf(what, sizeof(what), "the PKCS#12 file for %s",
	               row_address(r));
	rc = sm_store_passphrase(&pass, store,
	                         SEALMAIL_PASSPHRASE_PKCS12_EXPORT, what, err);
	if (rc == SEALMAIL_OK && pass.len == 0)
		rc = sm_error_set(err, SEALMAIL_EPASSPHRASE,
		                  "empty password for %s: it would not protect "
		                  "the private key",
		                  what);
	if (rc == SEALMAIL_OK) {
		b.cert = r->cert;
		b.chain = r->chain;
		b.chain_count = r->nchain;
		b.friendly_name = r->name;
		rc = sm_pkcs12_write(&b, crypto, (const char *)pass.data,
		                     legacy, data, err);
	}
	sm_key_free(b.key);
	sm_buf_free(&pass);
	return rc;
}

int
sealmail_id_export(sealmail_output *output,
                   sealmail_store *store,
                   const sealmail_id *id,
                   const sealmail_id_export_options *opts,
                   sealmail_error *err)
{
	sealmail_id_export_options defaults = SEALMAIL_ID_EXPORT_OPTIONS_INIT;
	int64_t rowid;
	id_row r;
	sm_buf data;
	int rc;

	if (opts == NULL)
		opts = &defaults;
	if (opts->version != SEALMAIL_ID_EXPORT_OPTIONS_VERSION)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "unknown export options version %u",
		                    opts->version);
	rc = rowid_by_fingerprint(&rowid, store, id->fingerprint, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (rowid == 0)
		return sm_error_set(err, SEALMAIL_ENOTFOUND,
		                    "no digital ID with fingerprint %s",
		                    id->fingerprint);
	rc = row_load(&r, store, rowid, err);
	if (rc != SEALMAIL_OK)
		return rc;
	sm_buf_init_secret(&data, SM_BUF_MAX_DEFAULT);
	switch (opts->format) {
	case SEALMAIL_ID_EXPORT_CERT:
		rc = sm_cert_pem(r.cert, &data, err);
		break;
	case SEALMAIL_ID_EXPORT_PKCS12:
		rc = export_pkcs12(
		        &data, store, &r,
		        (opts->flags & SEALMAIL_ID_EXPORT_LEGACY) != 0, err);
		break;
	default:
		rc = sm_error_set(err, SEALMAIL_EINVAL,
		                  "unknown export format %d",
		                  (int)opts->format);
		break;
	}
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_write(output, data.data, data.len, err);
	sm_buf_free(&data);
	row_clear(&r);
	return rc;
}

int
sealmail_id_delete(sealmail_store *store,
                   const sealmail_id *id,
                   sealmail_error *err)
{
	sm_stmt *st = NULL;
	int rc;

	rc = sm_db_begin(store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_prepare(&st, store,
	                     "DELETE FROM identities WHERE fingerprint = ?",
	                     err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_bind_text(st, 1, id->fingerprint, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	sm_stmt_free(st);
	if (rc < 0)
		goto fail;
	if (sm_db_changes(store) == 0) {
		rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
		                  "no digital ID with fingerprint %s",
		                  id->fingerprint);
		goto fail;
	}
	rc = sm_db_commit(store, err);
	if (rc != SEALMAIL_OK)
		goto fail;
	return SEALMAIL_OK;
fail:
	sm_db_rollback(store);
	return rc;
}

/* --- accessors -------------------------------------------------------- */

const char *
sealmail_id_fingerprint(const sealmail_id *id)
{
	return id->fingerprint;
}

const char *
sealmail_id_name(const sealmail_id *id)
{
	return id->name;
}

const char *
sealmail_id_subject(const sealmail_id *id)
{
	return id->subject;
}

const char *
sealmail_id_issuer(const sealmail_id *id)
{
	return id->issuer;
}

const char *
sealmail_id_serial(const sealmail_id *id)
{
	return id->serial;
}

const char *
sealmail_id_key_desc(const sealmail_id *id)
{
	return id->key_desc;
}

size_t
sealmail_id_address_count(const sealmail_id *id)
{
	return id->naddresses;
}

const char *
sealmail_id_address_at(const sealmail_id *id, size_t i)
{
	return i < id->naddresses ? id->addresses[i] : "";
}

int64_t
sealmail_id_not_before(const sealmail_id *id)
{
	return id->not_before;
}

int64_t
sealmail_id_not_after(const sealmail_id *id)
{
	return id->not_after;
}

int
sealmail_id_key_encrypted(const sealmail_id *id)
{
	return id->key_encrypted ? 1 : 0;
}

int64_t
sealmail_id_created(const sealmail_id *id)
{
	return id->created;
}

/* --- the internal interface (id_int.h) -------------------------------- */

static int
no_id(sealmail_error *err, const char *address)
{
	char hint[SM_ADDRESS_MAX + 128];

	(void)snprintf(hint, sizeof(hint), no_id_hint, address);
	return sm_error_set(err, SEALMAIL_ENOKEY, "no digital ID for %s: %s",
	                    address, hint);
}

int
sm_id_load_signer(sm_cert **cert_out,
                  sm_cert ***chain_out,
                  size_t *nchain_out,
                  sm_key **key_out,
                  sealmail_store *store,
                  const char *address,
                  sealmail_error *err)
{
	char addr[SM_ADDRESS_MAX + 1];
	int64_t rowid;
	id_row r;
	sm_key *key = NULL;
	int rc;

	if (cert_out != NULL)
		*cert_out = NULL;
	if (chain_out != NULL)
		*chain_out = NULL;
	if (nchain_out != NULL)
		*nchain_out = 0;
	if (key_out != NULL)
		*key_out = NULL;
	rc = address_normalize(addr, sizeof(addr), address, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = account_identity(&rowid, store, "sign_identity", addr, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (rowid == 0)
		return no_id(err, addr);
	rc = row_load(&r, store, rowid, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (key_out != NULL) {
		rc = row_unlock(&key, store, &r, addr, err);
		if (rc != SEALMAIL_OK) {
			row_clear(&r);
			return rc;
		}
		*key_out = key;
	}
	if (cert_out != NULL) {
		*cert_out = r.cert;
		r.cert = NULL;
	}
	if (chain_out != NULL) {
		*chain_out = r.chain;
		if (nchain_out != NULL)
			*nchain_out = r.nchain;
		r.chain = NULL;
		r.nchain = 0;
	}
	row_clear(&r);
	return SEALMAIL_OK;
}

/* A stored certificate of a digital ID that does not parse. */
/* The certificate of identity `rowid` alone (no key, no chain). */
static int
id_cert_load(sm_cert **out,
             sealmail_store *store,
             int64_t rowid,
             sealmail_error *err)
{
	sm_crypto *crypto;
	sm_stmt *st = NULL;
	const void *der;
	size_t len;
	int rc;

	*out = NULL;
	rc = sm_store_crypto(&crypto, store, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_prepare(&st, store,
		                     "SELECT fingerprint, cert FROM identities "
		                     "WHERE id = ?",
		                     err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_bind_int64(st, 1, rowid, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_DONE)
		rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
		                  "the digital ID is no longer in the store");
	if (rc == SM_STEP_ROW) {
		der = sm_stmt_column_blob(st, 1, &len);
		rc = sm_cert_from_der(out, crypto, der, len, err);
		if (rc == SEALMAIL_EBADDATA)
			rc = damaged_cert(err, sm_stmt_column_text(st, 0));
	}
	sm_stmt_free(st);
	return rc;
}

int
sm_id_encryption_cert(sm_cert **out,
                      sealmail_store *store,
                      const char *address,
                      const sm_account_settings *settings,
                      sealmail_error *err)
{
	const unsigned int need = SM_USAGE_ENCRYPT | SM_USAGE_EMAIL;
	char addr[SM_ADDRESS_MAX + 1];
	sm_account_settings own;
	sm_cert *cert = NULL;
	int64_t rowid;
	int rc;

	*out = NULL;
	rc = address_normalize(addr, sizeof(addr), address, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (settings == NULL) {
		rc = sm_account_settings_get(&own, store, addr, err);
		if (rc != SEALMAIL_OK)
			return rc;
		settings = &own;
	}
	/*
	 * The account's encryption ID, else the newest naming the address
	 * that may encrypt (else the newest): one statement each, reading
	 * the certificate only (issue 7: every statement of a fresh process
	 * is cold code).
	 */
	if (settings->encrypt_identity != 0)
		rc = id_cert_load(&cert, store, settings->encrypt_identity,
		                  err);
	else
		rc = newest_fitting(&rowid, &cert, store, addr, need, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (cert == NULL)
		return no_id(err, addr);
	/* A sign-only certificate is no encryption certificate. */
	if ((sm_cert_usage(cert) & need) != need) {
		sm_cert_free(cert);
		return sm_error_set(err, SEALMAIL_ENOKEY,
		                    "the digital ID for %s cannot be encrypted "
		                    "to: its certificate's key usage does not "
		                    "allow it",
		                    addr);
	}
	*out = cert;
	return SEALMAIL_OK;
}

int
sm_id_own_certs(sm_cert ***out,
                size_t *n,
                sealmail_store *store,
                sealmail_error *err)
{
	sm_crypto *crypto;
	sm_cert **certs = NULL;
	size_t count = 0, cap = 0;
	sm_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = sm_store_crypto(&crypto, store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT cert FROM identities ORDER BY created, id",
	                     err);
	if (rc != SEALMAIL_OK)
		return rc;
	while ((rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		const void *der;
		size_t len;
		sm_cert *cert;
		if (count == cap) {
			size_t ncap = cap == 0 ? 4 : cap * 2;
			sm_cert **p =
			        sm_realloc(certs, ncap * sizeof(sm_cert *));
			if (p == NULL) {
				rc = sm_error_nomem(err);
				break;
			}
			certs = p;
			cap = ncap;
		}
		der = sm_stmt_column_blob(st, 0, &len);
		rc = sm_cert_from_der(&cert, crypto, der, len, err);
		if (rc == SEALMAIL_EBADDATA)
			rc = sm_error_set(err, SEALMAIL_ECORRUPT,
			                  "the store holds a damaged "
			                  "certificate of a digital ID");
		if (rc != SEALMAIL_OK)
			break;
		certs[count++] = cert;
	}
	sm_stmt_free(st);
	if (rc < 0) {
		sm_cert_list_free(certs, count);
		return rc;
	}
	if (certs == NULL) {
		/* An empty list is still an array the caller can free. */
		certs = sm_calloc(1, sizeof(sm_cert *));
		if (certs == NULL)
			return sm_error_nomem(err);
	}
	*out = certs;
	*n = count;
	return SEALMAIL_OK;
}

int
sm_id_load_key(sm_key **out,
               sealmail_store *store,
               const char *fingerprint,
               sealmail_error *err)
{
	int64_t rowid;
	id_row r;
	int rc;

	*out = NULL;
	rc = rowid_by_fingerprint(&rowid, store, fingerprint, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (rowid == 0)
		return sm_error_set(err, SEALMAIL_ENOTFOUND,
		                    "no digital ID with fingerprint %s",
		                    fingerprint);
	rc = row_load(&r, store, rowid, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = row_unlock(out, store, &r, row_address(&r), err);
	row_clear(&r);
	return rc;
}

int
sm_id_effective_fingerprint(char *fp_out,
                            sealmail_store *store,
                            const char *address,
                            bool encryption,
                            sealmail_error *err)
{
	int64_t rowid;
	sm_stmt *st;
	int rc;

	fp_out[0] = '\0';
	rc = account_identity(&rowid, store,
	                      encryption ? "encrypt_identity" : "sign_identity",
	                      address, err);
	if (rc != SEALMAIL_OK || rowid == 0)
		return rc;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT fingerprint FROM identities WHERE id = ?",
	                     err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_int64(st, 1, rowid, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_ROW)
		(void)snprintf(fp_out, SM_FINGERPRINT_SIZE, "%s",
		               sm_stmt_column_text(st, 0));
	sm_stmt_free(st);
	return rc < 0 ? rc : SEALMAIL_OK;
}

int
sm_id_allows(bool *out,
             sealmail_store *store,
             int64_t rowid,
             bool encryption,
             sealmail_error *err)
{
	unsigned int need = (encryption ? SM_USAGE_ENCRYPT : SM_USAGE_SIGN) |
	                    SM_USAGE_EMAIL;
	id_row r;
	int rc;

	*out = false;
	rc = row_load(&r, store, rowid, err);
	if (rc != SEALMAIL_OK)
		return rc;
	*out = (sm_cert_usage(r.cert) & need) == need;
	row_clear(&r);
	return SEALMAIL_OK;
}
