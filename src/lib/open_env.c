/* SPDX-License-Identifier: MIT */
/*
 * Decryption for open (SPEC "Receiving" 1, issue 4): find which of my
 * digital IDs a RecipientInfo names, unlock only that key, decrypt into a
 * private temporary that is published only when the content (and the
 * AES-GCM tag) checked (or a leaf past its first MiB straight into a held
 * readable message, taken back if not), and report the layer: algorithm,
 * authenticated or not, which ID decrypted it, and who the message was
 * encrypted for.
 */
#include "open_int.h"

#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db.h"
#include "id_int.h"
#include "report_int.h"

/*
 * Open the envelope in the entity's body, streamed from the source with
 * its transfer encoding undone on the way (base64, quoted-printable or
 * none): the body is never held in memory.
 */
static int
envelope_open(sm_envelope **out,
              sm_mime_body **body,
              sm_crypto *crypto,
              sm_mime_source *src,
              const sm_mime_entity *ent,
              sealmail_error *err)
{
	int rc = sm_mime_body_new(body, src, ent, err);

	if (rc == SEALMAIL_OK)
		rc = sm_envelope_open(out, crypto, sm_mime_body_read, *body,
		                      err);
	return rc;
}

/* A damaged encrypted part is a verdict, like a bad signature. */
static int
damaged(sealmail_report *report, bool set_layer, sealmail_error *err)
{
	char why[SEALMAIL_ERROR_SIZE];
	int rc = SEALMAIL_OK;

	(void)snprintf(why, sizeof(why), "%s",
	               err != NULL ? err->message : "malformed");
	if (set_layer)
		rc = sm_report_set_encryption(report, "unknown", false, NULL,
		                              err);
	if (rc == SEALMAIL_OK)
		rc = sm_report_add_finding(
		        report, SEALMAIL_VERDICT_DANGER, "encryption-damaged",
		        err,
		        "the encrypted part is damaged and cannot be "
		        "decrypted (%s)",
		        why);
	return rc;
}

/* Certificates of the address book, to name the recipients we know. */
typedef struct known {
	sm_cert **certs;
	size_t n;
} known;

/*
 * Where describe() finds address-book certificates: parsed only for the
 * recipients that need them, by serial number when the recipient names
 * one (issuer and serial), the whole book once for a subject key identifier
 * (no column to search).  Parsing every certificate of the book for every
 * encrypted message cost 0.2 ms a contact (issue 7).
 */
typedef struct book_lookup {
	sealmail_store *store;
	sm_crypto *crypto;
	known all;
	bool all_loaded;
} book_lookup;

static void
known_free(known *k)
{
	sm_cert_list_free(k->certs, k->n);
	memset(k, 0, sizeof(*k));
}

/* The book's certificates, or only those with `serial` (lower-case hex). */
static int
known_load(known *k,
           sealmail_store *store,
           sm_crypto *crypto,
           const char *serial,
           sealmail_error *err)
{
	sm_stmt *st = NULL;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = sm_stmt_prepare(&st, store,
	                     serial != NULL
	                             ? "SELECT der FROM certificates WHERE "
	                               "serial = ?1 ORDER BY id LIMIT 100000"
	                             : "SELECT der FROM certificates ORDER BY "
	                               "id LIMIT 100000",
	                     err);
	if (rc == SEALMAIL_OK && serial != NULL)
		rc = sm_stmt_bind_text(st, 1, serial, err);
	while (rc == SEALMAIL_OK &&
	       (rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		size_t len;
		const void *der = sm_stmt_column_blob(st, 0, &len);
		sm_cert *c = NULL;
		sm_cert **grown;

		rc = SEALMAIL_OK;
		if (sm_cert_from_der(&c, crypto, der, len, NULL) != SEALMAIL_OK)
			continue; /* a damaged row names nobody */
		grown = sm_realloc(k->certs, (k->n + 1) * sizeof(sm_cert *));
		if (grown == NULL) {
			sm_cert_free(c);
			rc = sm_error_nomem(err);
			break;
		}
		k->certs = grown;
		k->certs[k->n++] = c;
	}
	if (rc == SM_STEP_DONE)
		rc = SEALMAIL_OK;
	sm_stmt_free(st);
	if (rc != SEALMAIL_OK)
		known_free(k);
	return rc;
}

/* Print "subject (fingerprint)" of the book's certificate recipient i names. */
static int
describe_from_book(sm_buf *out,
                   bool *found,
                   const sm_envelope *env,
                   size_t i,
                   book_lookup *book,
                   sealmail_error *err)
{
	const sm_env_rid *rid = sm_envelope_recipient_at(env, i);
	known some = {NULL, 0};
	const known *k = &some;
	int rc = SEALMAIL_OK;

	*found = false;
	if (rid->kind == SM_RID_ISSUER_SERIAL && rid->serial != NULL) {
		char serial[256];
		size_t n = strlen(rid->serial);

		if (n >= sizeof(serial))
			return SEALMAIL_OK; /* no certificate has it */
		for (size_t j = 0; j <= n; j++)
			serial[j] = (char)(rid->serial[j] >= 'A' &&
			                                   rid->serial[j] <= 'F'
			                           ? rid->serial[j] - 'A' + 'a'
			                           : rid->serial[j]);
		rc = known_load(&some, book->store, book->crypto, serial, err);
	} else if (rid->kind == SM_RID_SKI) {
		if (!book->all_loaded) {
			rc = known_load(&book->all, book->store, book->crypto,
			                NULL, err);
			book->all_loaded = rc == SEALMAIL_OK;
		}
		k = &book->all;
	}
	for (size_t j = 0; rc == SEALMAIL_OK && j < k->n && !*found; j++)
		if (sm_envelope_recipient_is(env, i, k->certs[j])) {
			*found = true;
			rc = sm_buf_printf(out, err, "%s (%s)",
			                   sm_cert_subject(k->certs[j]),
			                   sm_cert_fingerprint(k->certs[j]));
		}
	known_free(&some);
	return rc;
}

/* "subject (fingerprint)" of the certificate recipient i names, if known. */
static int
describe(sm_buf *out,
         const sm_envelope *env,
         size_t i,
         sm_cert *const *own,
         size_t nown,
         book_lookup *book,
         sealmail_error *err)
{
	const sm_env_rid *rid = sm_envelope_recipient_at(env, i);
	bool found;
	int rc;

	sm_buf_reset(out);
	for (size_t j = 0; j < nown; j++)
		if (sm_envelope_recipient_is(env, i, own[j]))
			return sm_buf_printf(out, err,
			                     "%s (%s), your digital ID",
			                     sm_cert_subject(own[j]),
			                     sm_cert_fingerprint(own[j]));
	rc = describe_from_book(out, &found, env, i, book, err);
	if (rc != SEALMAIL_OK || found)
		return rc;
	switch (rid->kind) {
	case SM_RID_ISSUER_SERIAL:
		return sm_buf_printf(out, err,
		                     "a certificate not in your address book: "
		                     "issuer %s, serial %s",
		                     rid->issuer, rid->serial);
	case SM_RID_SKI:
		return sm_buf_printf(out, err,
		                     "a certificate not in your address book: "
		                     "subject key identifier %s",
		                     rid->ski);
	default:
		return sm_buf_printf(out, err, "a %s recipient", rid->key_alg);
	}
}

static int
add_recipients(sealmail_report *report,
               const sm_envelope *env,
               sm_cert *const *own,
               size_t nown,
               book_lookup *book,
               sealmail_error *err)
{
	sm_buf b;
	int rc = SEALMAIL_OK;

	sm_buf_init(&b, 8192);
	for (size_t i = 0;
	     i < sm_envelope_recipient_count(env) && rc == SEALMAIL_OK; i++) {
		rc = describe(&b, env, i, own, nown, book, err);
		if (rc == SEALMAIL_OK)
			rc = sm_report_add_recipient(report,
			                             (const char *)b.data, err);
	}
	sm_buf_free(&b);
	return rc;
}

/*
 * The published plaintext as the source open.c walks: its temporary,
 * read where it is through the open descriptor (never spooled again).
 */
static int
plain_source(sm_mime_source **out, const sm_plain *plain, sealmail_error *err)
{
	return sm_mime_source_new_fd(out, sm_plain_fd(plain),
	                             (off_t)sm_plain_size(plain), err);
}

/*
 * sm_plain_keep_fn: keep the rest of the plaintext only when its header
 * block is not all in `head` or the walk reads its body.
 */
static bool
keep_plain(const unsigned char *head, size_t len, void *payload)
{
	sm_mime_source *s = NULL;
	sm_mime_entity e;
	bool keep = true;

	(void)payload;
	if (sm_mime_source_new_memory(&s, head, len, NULL) == SEALMAIL_OK &&
	    sm_mime_entity_parse(&e, s, 0, (off_t)len, false, NULL) ==
	            SEALMAIL_OK)
		keep = e.body_start >= (off_t)len || sm_open_walks_body(&e);
	sm_mime_source_free(s);
	return keep;
}

/*
 * sm_plain_direct_fn: content that keep_plain would not keep goes to the
 * readable message from here on: what comes before it, then `head`.
 */
static int
direct_plain(sealmail_output **out,
             const unsigned char *head,
             size_t len,
             void *payload,
             sealmail_error *err)
{
	sm_open_direct *d = payload;
	int rc;

	if (keep_plain(head, len, NULL))
		return SEALMAIL_OK; /* today's way: the plaintext keeps it */
	d->mark = sm_output_mark(d->out);
	d->written = true; /* from here on, forgotten on failure */
	rc = d->head(d->payload, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_write(d->out, head, len, err);
	if (rc == SEALMAIL_OK)
		*out = d->out;
	return rc;
}

/*
 * A path output is rewound to its mark; /dev/null (mark -1) holds nothing;
 * an output whose rewinding fails is failed, so it fails the next write
 * and is never committed.
 */
int
sm_open_direct_undo(sm_open_direct *d, sealmail_error *err)
{
	if (d == NULL || !d->written)
		return SEALMAIL_OK;
	d->written = false;
	return d->mark >= 0 ? sm_output_rewind(d->out, d->mark, err)
	                    : SEALMAIL_OK;
}

void
sm_open_direct_forget(sm_open_direct *d)
{
	(void)sm_open_direct_undo(d, NULL);
}

int
sm_open_enveloped(sm_mime_source **content_out,
                  bool *authenticated_out,
                  bool trim,
                  sm_open_direct *direct,
                  const char *temp_dir,
                  sealmail_store *store,
                  sealmail_report *report,
                  sm_mime_source *src,
                  const sm_mime_entity *ent,
                  sealmail_error *err)
{
	sm_crypto *crypto = NULL;
	sm_envelope *env = NULL;
	sm_cert **own = NULL, *mine = NULL;
	size_t nown = 0;
	book_lookup book = {store, NULL, {NULL, 0}, false};
	sm_key *key = NULL;
	sm_plain *plain = NULL;
	sm_env_outcome outcome;
	sm_mime_body *body = NULL;
	int rc;

	*content_out = NULL;
	*authenticated_out = false;
	rc = sm_store_crypto(&crypto, store, err);
	if (rc == SEALMAIL_OK)
		rc = envelope_open(&env, &body, crypto, src, ent, err);
	if (rc == SEALMAIL_EBADDATA) {
		rc = damaged(report, true, err);
		goto done;
	}
	if (rc == SEALMAIL_OK)
		rc = sm_id_own_certs(&own, &nown, store, err);
	if (rc != SEALMAIL_OK)
		goto done;
	book.crypto = crypto;
	for (size_t i = 0; i < nown && mine == NULL; i++)
		if (sm_envelope_names(env, own[i]))
			mine = own[i];
	/* decrypted_by is set once content actually came out (below). */
	rc = sm_report_set_encryption(report, sm_envelope_algorithm(env),
	                              sm_envelope_authenticated(env), NULL,
	                              err);
	if (rc == SEALMAIL_OK)
		rc = add_recipients(report, env, own, nown, &book, err);
	if (rc == SEALMAIL_OK && sm_envelope_weak(env))
		rc = sm_report_add_finding(
		        report, SEALMAIL_VERDICT_WARNING, "weak-encryption",
		        err,
		        "this message was encrypted with the weak algorithm "
		        "%s: others may be able to read it",
		        sm_envelope_algorithm(env));
	if (rc != SEALMAIL_OK)
		goto done;
	if (mine == NULL) {
		rc = sm_report_add_finding(report,
		                           SEALMAIL_VERDICT_CANNOT_DECRYPT,
		                           "not-for-you", err,
		                           "this message was not encrypted for "
		                           "any of your digital IDs");
		goto done;
	}
	rc = sm_id_load_key(&key, store, sm_cert_fingerprint(mine), err);
	if (rc != SEALMAIL_OK)
		goto done;
	if (trim)
		sm_envelope_set_trim(env, (uint64_t)1 << 20, keep_plain, NULL);
	else if (direct != NULL)
		sm_envelope_set_direct(env, (uint64_t)1 << 20, direct_plain,
		                       direct);
	rc = sm_envelope_decrypt(env, mine, key, temp_dir, &outcome, &plain,
	                         err);
	if (rc != SEALMAIL_OK || outcome != SM_ENV_DECRYPTED)
		sm_open_direct_forget(direct);
	if (rc == SEALMAIL_EBADDATA) {
		rc = damaged(report, false, err);
		goto done;
	}
	if (rc != SEALMAIL_OK)
		goto done;
	switch (outcome) {
	case SM_ENV_DECRYPTED:
		rc = sm_report_set(&report->enc_decrypted_by,
		                   sm_cert_fingerprint(mine), err);
		if (rc == SEALMAIL_OK)
			rc = plain_source(content_out, plain, err);
		*authenticated_out = sm_envelope_authenticated(env);
		break;
	case SM_ENV_TAG_FAILED:
		rc = sm_report_add_finding(
		        report, SEALMAIL_VERDICT_DANGER, "tag-mismatch", err,
		        "the encrypted content was altered after it was "
		        "encrypted (its AES-GCM authentication tag does not "
		        "match): nothing was decrypted");
		break;
	case SM_ENV_CONTENT_FAILED:
		rc = sm_report_add_finding(
		        report, SEALMAIL_VERDICT_DANGER, "decrypt-failed", err,
		        "the encrypted content is damaged or was altered: it "
		        "could not be decrypted");
		break;
	case SM_ENV_NOT_FOR_KEY:
	default:
		rc = sm_report_add_finding(
		        report, SEALMAIL_VERDICT_CANNOT_DECRYPT, "key-failed",
		        err,
		        "the message names your digital ID %s, but its key "
		        "could not decrypt it (damaged message)",
		        sm_cert_fingerprint(mine));
		break;
	}
done:
	sm_plain_free(plain);
	sm_key_free(key);
	known_free(&book.all);
	sm_cert_list_free(own, nown);
	sm_envelope_free(env);
	sm_mime_body_free(body);
	return rc;
}
