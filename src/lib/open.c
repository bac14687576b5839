/* SPDX-License-Identifier: MIT */
/*
 * Receiving: sealmail_message_open.  Walks the MIME tree over the original
 * bytes (depth limit 32), verifies every clear and opaque signature at any
 * depth, hands encrypted entities to open_env.c, judges signers (trust,
 * validity, From) and coverage, and writes the readable message.  Verdicts
 * go into the report; a negative status means the message could not be
 * examined at all.
 */
#include "open_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "book_int.h"
#include "crypto/crypto.h"
#include "db.h"
#include "id_int.h"
#include "report_int.h"

enum {
	MAX_DEPTH = 32,
	MAX_PARTS = 10000,
	SIG_MAX = 16 << 20,    /* a detached signature part */
	REWRITE_MAX = 64 << 20 /* parts checked for benign rewrites */
};

/* Characters of an input name that the shell takes as they are. */
#define SAFE_NAME                                              \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789_-+=.,/:@%"

int
sealmail_open_options_init(sealmail_open_options *opts, unsigned int version)
{
	if (opts == NULL || version != SEALMAIL_OPEN_OPTIONS_VERSION)
		return SEALMAIL_EINVAL;
	*opts = (sealmail_open_options)SEALMAIL_OPEN_OPTIONS_INIT;
	return SEALMAIL_OK;
}

typedef struct ctx {
	sealmail_store *store;
	sm_crypto *crypto;
	sealmail_report *r;
	unsigned int flags;
	const char *temp_dir; /* decrypted content's folder; NULL: P_tmpdir */
	const char *input_name;
	sealmail_output *readable; /* NULL: no readable message is written */
	size_t nparts;
	size_t nleaves_signed;
	int enc_depth; /* encrypted layers around the entity being walked */
	/* the readable message: outer headers + this entity */
	sm_mime_source *read_src;
	off_t read_start, read_end;
	/*
	 * Opaque content kept only up to its header (trimmed) although the
	 * readable message is wanted: when read_src is redo_content, the
	 * readable content is decoded again from the signed-data redo_ent in
	 * redo_src (redo_len bytes) instead of copied from a stored copy.
	 */
	sm_mime_source *redo_content;
	sm_mime_source *redo_src;
	sm_mime_entity redo_ent;
	uint64_t redo_len;
	/*
	 * Or the readable message written to `readable` while that content
	 * is read (one pass), when nothing written there reaches anyone
	 * before the caller commits it (sm_output_held, asked only then).
	 * `early`: where the readable message starts and whether bytes are
	 * written there that are not taken back yet (its `mark` and
	 * `written`, as for `direct` below); `early_done`: the readable
	 * message is written whole, its content redo_content's.  The
	 * message's header starts it: `top_src`, `top_ent`.
	 */
	sm_open_direct early;
	bool early_done;
	/*
	 * The message's own encrypted content written to `readable`
	 * (direct.out) as it is decrypted, when it is held, after the
	 * message's header too.
	 */
	sm_open_direct direct;
	sm_mime_source *top_src;
	const sm_mime_entity *top_ent;
	/* sources made while walking (decrypted, opaque content, rewrites) */
	sm_mime_source **owned;
	size_t nowned;
} ctx;

static int
own(ctx *c, sm_mime_source *s, sealmail_error *err)
{
	sm_mime_source **p = sm_realloc(
	        c->owned, (c->nowned + 1) * sizeof(sm_mime_source *));

	if (p == NULL) {
		sm_mime_source_free(s);
		return sm_error_nomem(err);
	}
	c->owned = p;
	c->owned[c->nowned++] = s;
	return SEALMAIL_OK;
}

static int walk(ctx *c,
                sm_mime_source *src,
                const sm_mime_entity *ent,
                const char *path,
                int depth,
                bool in_signed,
                bool top,
                const char *from,
                sealmail_error *err);

static void
child_path(char *out, size_t size, const char *path, size_t i)
{
	(void)snprintf(out, size, "%s.%zu", path, i + 1);
}

/* A part in words for the report: "text/plain" or "text/plain (a.txt)". */
static void
part_words(char *out, size_t size, const sm_mime_entity *e, const char *path)
{
	if (e->filename[0] != '\0')
		(void)snprintf(out, size, "part %s: %s (%s)", path, e->type,
		               e->filename);
	else
		(void)snprintf(out, size, "part %s: %s", path, e->type);
}

/* ---- judging one signer ----------------------------------------------- */

static const char *
trust_token(sealmail_effective_trust t)
{
	switch (t) {
	case SEALMAIL_EFFECTIVE_TRUSTED_BY_YOU:
		return "trusted";
	case SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA:
		return "trusted-via-ca";
	case SEALMAIL_EFFECTIVE_NOT_TRUSTED:
		return "not-trusted";
	case SEALMAIL_EFFECTIVE_DISTRUSTED:
		return "distrusted";
	case SEALMAIL_EFFECTIVE_OWN_ID:
		return "own-id";
	case SEALMAIL_EFFECTIVE_NOT_IN_BOOK:
	default:
		return "not-in-book";
	}
}

static const char *
trust_words(sealmail_effective_trust t)
{
	switch (t) {
	case SEALMAIL_EFFECTIVE_TRUSTED_BY_YOU:
		return "trusted by you";
	case SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA:
		return "trusted through CA";
	case SEALMAIL_EFFECTIVE_NOT_TRUSTED:
		return "not trusted";
	case SEALMAIL_EFFECTIVE_DISTRUSTED:
		return "distrusted";
	case SEALMAIL_EFFECTIVE_OWN_ID:
		return "your own digital ID";
	case SEALMAIL_EFFECTIVE_NOT_IN_BOOK:
	default:
		return "not in your address book";
	}
}

static bool
valid_at(const sm_cert *cert, int64_t t)
{
	return t >= sm_cert_not_before(cert) && t <= sm_cert_not_after(cert);
}

/*
 * One line of a From list (`len` bytes at `p`) into dst[size]; a longer
 * one is cut and ends with SM_MIME_CUT, so it never shows as another,
 * shorter address that looks whole.
 */
static void
from_line(char *dst, size_t size, const char *p, size_t len)
{
	if (len < size) {
		memcpy(dst, p, len);
		dst[len] = '\0';
		return;
	}
	(void)snprintf(dst, size, "%.*s%s", (int)(size - sizeof(SM_MIME_CUT)),
	               p, SM_MIME_CUT);
}

/*
 * `from` is the message's From addresses, one a line (mime.h from_all).
 * Does the certificate name every one of them?  `*named` gets the first
 * address it names (NULL: none), `*other` the first it does not (NULL:
 * none), each as a line of `from` copied into its buffer.  Addresses are
 * compared in their ASCII form: case-insensitive, IDN domains as punycode.
 */
typedef struct from_check {
	char named[256], other[256];
	bool any_named, any_other;
} from_check;

static void
check_from(from_check *fc, const sm_cert *cert, const char *from)
{
	memset(fc, 0, sizeof(*fc));
	for (const char *p = from; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char addr[256], ascii[256];

		from_line(addr, sizeof(addr), p, len);
		/* no certificate names a longer address (sm_cert keeps
		 * none), nor one cut to fit here */
		if (len <= SM_ADDRESS_MAX &&
		    sm_mime_address_ascii(ascii, sizeof(ascii), addr) <=
		            SM_ADDRESS_MAX &&
		    (sm_cert_has_address(cert, ascii) ||
		     sm_cert_has_address(cert, addr))) {
			if (!fc->any_named)
				memcpy(fc->named, addr, sizeof(addr));
			fc->any_named = true;
		} else if (!fc->any_other) {
			memcpy(fc->other, addr, sizeof(addr));
			fc->any_other = true;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
}

static const char *const rewrite_words[] = {
        "",
        ("the message is stored with LF line endings; it was checked in "
         "its canonical CRLF form, which is what was signed"),
        "a mail server changed white space at the ends of lines",
        "a mail server changed the transfer encoding",
        "a mail server re-folded the headers of the signed part",
        "a mailing list appended a footer after the signed text",
};

/*
 * The same differences inside an encrypted layer: no mail server can touch
 * encrypted content, so the sender's own mail program wrote it that way.
 */
static const char *const rewrite_words_encrypted[] = {
        "",
        "the signed text inside the encryption has LF line endings, as the "
        "sender's mail program wrote it (no mail server can change "
        "encrypted content); it was checked in its canonical CRLF form, "
        "which is what was signed",
        "the sender's mail program changed white space at the ends of "
        "lines after signing, inside the encryption (no mail server can "
        "change encrypted content)",
        "the sender's mail program changed the transfer encoding after "
        "signing, inside the encryption (no mail server can change "
        "encrypted content)",
        "the sender's mail program re-folded the headers of the signed "
        "part after signing, inside the encryption (no mail server can "
        "change encrypted content)",
        "text was appended after the signed text inside the encryption, "
        "by the sender's mail program (no mail server can change "
        "encrypted content)",
};

/*
 * My own digital IDs' certificates, parsed (the address book's too once a
 * signature needed the whole book: add_known_certs), and the trust judged
 * per signer: kept per store while the database does not change
 * (sm_store_cache).  A list opens many messages by the same few signers.
 */
enum {
	TRUST_MEMO_MAX = 64,
	/*
	 * A chain to a CA is checked at the current time: a CA that expires
	 * meanwhile is noticed within this many seconds.
	 */
	TRUST_MEMO_TTL = 60
};

typedef struct trust_memo {
	char fp[SM_FINGERPRINT_SIZE]; /* the signer's certificate */
	char *carried; /* the carried certificates' fingerprints, in order */
	int64_t when;
	sealmail_effective_trust t;
	char via[256];
} trust_memo;

/* The book's certificates with one serial number (add_known_certs). */
typedef struct serial_memo {
	char serial[256]; /* "" when the entry is unused */
	sm_cert **certs;
	size_t n;
} serial_memo;

typedef struct known_certs {
	sm_cert **book, **own;
	size_t nbook, nown;
	bool book_loaded; /* the whole book, once a signature needed it */
	trust_memo memo[TRUST_MEMO_MAX];
	size_t memo_next; /* replaced next, round robin */
	serial_memo serials[TRUST_MEMO_MAX];
	size_t serials_next;
} known_certs;

static void
known_free(void *value)
{
	known_certs *k = value;

	sm_cert_list_free(k->book, k->nbook);
	sm_cert_list_free(k->own, k->nown);
	for (size_t i = 0; i < TRUST_MEMO_MAX; i++) {
		sm_free(k->memo[i].carried);
		sm_cert_list_free(k->serials[i].certs, k->serials[i].n);
	}
	sm_free(k);
}

/*
 * sm_book_certs_with_serial, remembered with the rest of `k` (while the
 * database does not change): a list asks for the same signer every time.
 * The certificates are borrowed from `k`.
 */
static int
serial_certs(sm_cert ***out,
             size_t *n_out,
             known_certs *k,
             sealmail_store *store,
             const char *serial,
             sealmail_error *err)
{
	serial_memo *m;
	int rc;

	for (size_t i = 0; i < TRUST_MEMO_MAX; i++)
		if (k->serials[i].serial[0] != '\0' &&
		    strcmp(k->serials[i].serial, serial) == 0) {
			*out = k->serials[i].certs;
			*n_out = k->serials[i].n;
			return SEALMAIL_OK;
		}
	m = &k->serials[k->serials_next];
	k->serials_next = (k->serials_next + 1) % TRUST_MEMO_MAX;
	sm_cert_list_free(m->certs, m->n);
	memset(m, 0, sizeof(*m));
	rc = sm_book_certs_with_serial(&m->certs, &m->n, store, serial, err);
	if (rc != SEALMAIL_OK)
		return rc;
	(void)snprintf(m->serial, sizeof(m->serial), "%s", serial);
	*out = m->certs;
	*n_out = m->n;
	return SEALMAIL_OK;
}

static int
known_make(void **out, sealmail_store *store, sealmail_error *err)
{
	known_certs *k = sm_calloc(1, sizeof(*k));
	int rc;

	if (k == NULL)
		return sm_error_nomem(err);
	rc = sm_id_own_certs(&k->own, &k->nown, store, err);
	if (rc != SEALMAIL_OK) {
		known_free(k);
		return rc;
	}
	*out = k;
	return SEALMAIL_OK;
}

/*
 * sm_book_effective_trust, remembered by the exact certificates it was
 * given (the signer's and the carried ones, by fingerprint).
 */
static int
trust_memo_get(sealmail_effective_trust *t,
               char *via,
               size_t via_size,
               ctx *c,
               const sm_cert *cert,
               sm_cert *const *carried,
               size_t n,
               sealmail_error *err)
{
	int64_t now = (int64_t)time(NULL);
	void *value = NULL;
	known_certs *k;
	trust_memo *m;
	char *key;
	int rc;

	key = sm_malloc(n * (SM_FINGERPRINT_SIZE - 1) + 1);
	if (key == NULL)
		return sm_error_nomem(err);
	key[0] = '\0';
	for (size_t i = 0; i < n; i++)
		memcpy(key + i * (SM_FINGERPRINT_SIZE - 1),
		       sm_cert_fingerprint(carried[i]), SM_FINGERPRINT_SIZE);
	rc = sm_store_cache(&value, c->store, known_make, known_free, err);
	if (rc != SEALMAIL_OK) {
		sm_free(key);
		return rc;
	}
	k = value;
	for (size_t i = 0; i < TRUST_MEMO_MAX; i++) {
		m = &k->memo[i];
		if (m->carried != NULL && now >= m->when &&
		    now - m->when < TRUST_MEMO_TTL &&
		    strcmp(m->fp, sm_cert_fingerprint(cert)) == 0 &&
		    strcmp(m->carried, key) == 0) {
			*t = m->t;
			(void)snprintf(via, via_size, "%s", m->via);
			sm_free(key);
			return SEALMAIL_OK;
		}
	}
	rc = sm_book_effective_trust(t, via, via_size, c->store, cert, carried,
	                             n, err);
	if (rc != SEALMAIL_OK) {
		sm_free(key);
		return rc;
	}
	/* What sm_book_effective_trust read changed nothing: k is current. */
	m = &k->memo[k->memo_next];
	k->memo_next = (k->memo_next + 1) % TRUST_MEMO_MAX;
	sm_free(m->carried);
	m->carried = key;
	(void)snprintf(m->fp, sizeof(m->fp), "%s", sm_cert_fingerprint(cert));
	m->when = now;
	m->t = *t;
	(void)snprintf(m->via, sizeof(m->via), "%s", via);
	return SEALMAIL_OK;
}

static int
add_cert(ctx *c,
         struct sealmail_signature *s,
         const sm_cms_verify *v,
         size_t i,
         sm_cert *cert,
         sealmail_error *err)
{
	size_t caplen;
	const unsigned char *caps = sm_cms_verify_capabilities(v, i, &caplen);
	sm_cert *enc = sm_cms_verify_encryption_cert(v, i);
	bool added = false;
	int rc = sm_book_add_cert(&added, c->store, cert, s->signer_name, caps,
	                          caplen, err);

	if (rc == SEALMAIL_OK)
		rc = sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_GOOD,
		        added ? "cert-added" : "cert-known", err,
		        "%s the certificate of %s (%s) %s your address book",
		        added ? "added" : "already had", s->signer_address,
		        s->fingerprint, added ? "to" : "in");
	/* The encryption certificate the signer prefers, when separate. */
	if (rc == SEALMAIL_OK && enc != NULL &&
	    strcmp(sm_cert_fingerprint(enc), s->fingerprint) != 0) {
		rc = sm_book_add_cert(&added, c->store, enc, s->signer_name,
		                      caps, caplen, err);
		if (rc == SEALMAIL_OK && added)
			rc = sm_report_add_finding(
			        c->r, SEALMAIL_VERDICT_GOOD, "cert-added", err,
			        "added the encryption certificate of %s (%s) "
			        "to "
			        "your address book",
			        s->signer_address, sm_cert_fingerprint(enc));
	}
	return rc;
}

static int
judge_trust(ctx *c,
            struct sealmail_signature *s,
            const sm_cms_verify *v,
            sm_cert *cert,
            sealmail_error *err)
{
	sealmail_effective_trust t = SEALMAIL_EFFECTIVE_NOT_IN_BOOK;
	sm_cert *carried[64];
	size_t n = sm_cms_verify_cert_count(v);
	char via[256] = "";
	int rc;

	if (n > SM_ARRAY_SIZE(carried))
		n = SM_ARRAY_SIZE(carried);
	for (size_t i = 0; i < n; i++)
		carried[i] = sm_cms_verify_cert_at(v, i);
	rc = trust_memo_get(&t, via, sizeof(via), c, cert, carried, n, err);
	if (rc != SEALMAIL_OK)
		return rc;
	s->trust = trust_token(t);
	if (t == SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA && via[0] != '\0') {
		char words[320];
		(void)snprintf(words, sizeof(words), "trusted through CA %s",
		               via);
		return sm_report_set(&s->trust_words, words, err);
	}
	return sm_report_set(&s->trust_words, trust_words(t), err);
}

/*
 * The findings for one signature, in the seed's words.  `other`: the first
 * From address the certificate does not name ("" when there is no From).
 */
static int
findings(ctx *c,
         const struct sealmail_signature *s,
         const char *other,
         sealmail_error *err)
{
	sealmail_report *r = c->r;
	int rc = SEALMAIL_OK;

	switch (s->state) {
	case SEALMAIL_SIG_ALTERED:
		return sm_report_add_finding(
		        r, SEALMAIL_VERDICT_DANGER, "altered", err,
		        "this message was changed after it was signed: the "
		        "content itself changed (%s)",
		        s->part);
	case SEALMAIL_SIG_BAD:
		return sm_report_add_finding(
		        r, SEALMAIL_VERDICT_DANGER, "bad-signature", err,
		        "the signature of %s is not valid: this message was "
		        "changed after it was signed or the signature is "
		        "forged",
		        s->part);
	case SEALMAIL_SIG_NO_CERT:
		return sm_report_add_finding(
		        r, SEALMAIL_VERDICT_WARNING, "no-certificate", err,
		        "the signature of %s cannot be checked: the signer's "
		        "certificate is neither in the message nor in your "
		        "address book",
		        s->part);
	case SEALMAIL_SIG_UNSUPPORTED:
		return sm_report_add_finding(
		        r, SEALMAIL_VERDICT_WARNING, "algorithm-not-supported",
		        err,
		        "the signature of %s uses an algorithm not supported "
		        "(%s); it was not checked",
		        s->part, s->algorithm);
	case SEALMAIL_SIG_VALID:
		break;
	}
	if (s->rewrite == SEALMAIL_REWRITE_LINE_ENDINGS)
		/* MIME's canonical form is CRLF (RFC 8551 3.1.1): LF is a
		 * storage form (Maildir, mbox, a pipe from a mail program)
		 * or the sender's local form inside encryption, not a change
		 * of the signed text -- a note, not a warning; its words say
		 * on their own that the CRLF form is what was signed. */
		rc = sm_report_add_finding(
		        r, SEALMAIL_VERDICT_GOOD, "benign-rewrite", err,
		        "%s (%s)",
		        c->enc_depth > 0 ? rewrite_words_encrypted[s->rewrite]
		                         : rewrite_words[s->rewrite],
		        s->part);
	else if (s->rewrite != SEALMAIL_REWRITE_NONE)
		rc = sm_report_add_finding(
		        r, SEALMAIL_VERDICT_WARNING, "benign-rewrite", err,
		        "%s; the text you see is what was signed (%s)",
		        c->enc_depth > 0 ? rewrite_words_encrypted[s->rewrite]
		                         : rewrite_words[s->rewrite],
		        s->part);
	if (rc == SEALMAIL_OK && !s->from_matches)
		rc = sm_report_add_finding(
		        r, SEALMAIL_VERDICT_DANGER, "from-mismatch", err,
		        "the sender address %s is not one the signer's "
		        "certificate names (%s)",
		        other[0] != '\0' ? other : "(none)", s->signer_address);
	if (rc == SEALMAIL_OK && strcmp(s->trust, "distrusted") == 0)
		rc = sm_report_add_finding(
		        r, SEALMAIL_VERDICT_DANGER, "signer-distrusted", err,
		        "you do not trust the certificate used to sign this "
		        "message (%s, %s)",
		        s->signer_address, s->fingerprint);
	else if (rc == SEALMAIL_OK && (strcmp(s->trust, "not-trusted") == 0 ||
	                               strcmp(s->trust, "not-in-book") == 0)) {
		bool in_book = strcmp(s->trust, "not-trusted") == 0;
		const char *name = c->input_name;
		/* A name the shell would split (";UID=" of an IMAP name, a
		 * space) is quoted; one with a quote is not repeated. */
		const char *q =
		        strspn(name, SAFE_NAME) == strlen(name) ? "" : "'";

		if (strcmp(name, "-") == 0 || strchr(name, '\'') != NULL)
			name = "FILE", q = "";
		rc = sm_report_add_finding(
		        r, SEALMAIL_VERDICT_WARNING, "signer-not-trusted", err,
		        "the certificate used to sign this message is not in "
		        "your address book or not trusted by you (%s, %s); to "
		        "trust it: %s%s%s%s%s",
		        s->signer_address, s->fingerprint,
		        in_book ? "sealmail book trust "
		                : "sealmail open "
		                  "--add-cert ",
		        in_book ? "" : q, in_book ? s->signer_address : name,
		        in_book ? "" : q, in_book ? " trusted" : "");
	}
	if (rc == SEALMAIL_OK && !s->valid_at_signing)
		rc = sm_report_add_finding(
		        r, SEALMAIL_VERDICT_WARNING, "certificate-not-valid",
		        err,
		        "the signer's certificate was not valid when the "
		        "message was signed (%s)",
		        s->signer_address);
	else if (rc == SEALMAIL_OK && !s->valid_now)
		rc = sm_report_add_finding(
		        r, SEALMAIL_VERDICT_GOOD, "certificate-expired-since",
		        err,
		        "the signer's certificate is no longer valid (it was "
		        "when the message was signed)");
	return rc;
}

/*
 * A certificate that says it is not for signing mail is never good: an
 * extendedKeyUsage without emailProtection (or anyExtendedKeyUsage), or a
 * keyUsage without digitalSignature and nonRepudiation (RFC 8550 4.4).
 */
static int
usage_findings(ctx *c,
               const struct sealmail_signature *s,
               const sm_cert *cert,
               sealmail_error *err)
{
	unsigned int u = sm_cert_usage(cert);
	int rc = SEALMAIL_OK;

	if (!(u & SM_USAGE_EMAIL))
		rc = sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_WARNING,
		        "certificate-not-for-email", err,
		        "the signer's certificate is not meant for e-mail: its "
		        "extended key usage does not include emailProtection "
		        "(%s, %s)",
		        s->signer_address, s->fingerprint);
	if (rc == SEALMAIL_OK && !(u & SM_USAGE_SIGN))
		rc = sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_WARNING,
		        "certificate-not-for-signing", err,
		        "the signer's certificate is not meant for signing: "
		        "its "
		        "key usage has neither digitalSignature nor "
		        "nonRepudiation (%s, %s)",
		        s->signer_address, s->fingerprint);
	return rc;
}

/* Record every SignerInfo of `v` in the report. */
static int
record(ctx *c,
       const sm_cms_verify *v,
       const char *kind,
       const char *path,
       const char *from,
       const sealmail_rewrite *rewrites,
       sealmail_error *err)
{
	size_t n = sm_cms_verify_signer_count(v);
	int64_t now = (int64_t)time(NULL);
	int rc = SEALMAIL_OK;

	if (n == 0)
		return sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_WARNING, "no-signer", err,
		        "part %s claims to be signed but holds no signature",
		        path);
	for (size_t i = 0; rc == SEALMAIL_OK && i < n; i++) {
		struct sealmail_signature *s;
		sm_cert *cert = sm_cms_verify_signer_cert(v, i);
		from_check fc;
		int64_t t;

		rc = sm_report_add_signature(&s, c->r, err);
		if (rc != SEALMAIL_OK)
			break;
		s->kind = kind;
		(void)snprintf(s->part, sizeof(s->part), "%s", path);
		(void)snprintf(s->algorithm, sizeof(s->algorithm), "%s",
		               sm_cms_verify_algorithm(v, i));
		s->signing_time = sm_cms_verify_signing_time(v, i);
		s->rewrite =
		        rewrites != NULL ? rewrites[i] : SEALMAIL_REWRITE_NONE;
		switch (sm_cms_verify_status(v, i)) {
		case SM_SIG_VALID:
			s->state = SEALMAIL_SIG_VALID;
			break;
		case SM_SIG_ALTERED:
			s->state = SEALMAIL_SIG_ALTERED;
			break;
		case SM_SIG_BAD:
			s->state = SEALMAIL_SIG_BAD;
			break;
		case SM_SIG_UNSUPPORTED:
			s->state = SEALMAIL_SIG_UNSUPPORTED;
			break;
		case SM_SIG_NO_CERT:
		default:
			s->state = SEALMAIL_SIG_NO_CERT;
			break;
		}
		memset(&fc, 0, sizeof(fc));
		if (cert != NULL && s->state != SEALMAIL_SIG_NO_CERT) {
			const char *addr;
			check_from(&fc, cert, from);
			addr = fc.any_named ? fc.named
			       : sm_cert_address_count(cert) > 0
			               ? sm_cert_address_at(cert, 0)
			               : "";
			rc = sm_report_set(&s->signer_name,
			                   sm_cert_common_name(cert), err);
			if (rc == SEALMAIL_OK)
				rc = sm_report_set(&s->signer_address, addr,
				                   err);
			(void)snprintf(s->fingerprint, sizeof(s->fingerprint),
			               "%s", sm_cert_fingerprint(cert));
			t = s->signing_time != 0 ? s->signing_time : now;
			s->valid_at_signing = valid_at(cert, t);
			s->valid_now = valid_at(cert, now);
			/* every From address, not just the first */
			s->from_matches = fc.any_named && !fc.any_other;
			if (rc == SEALMAIL_OK &&
			    (c->flags & SEALMAIL_OPEN_ADD_CERT))
				rc = add_cert(c, s, v, i, cert, err);
			if (rc == SEALMAIL_OK)
				rc = judge_trust(c, s, v, cert, err);
		}
		if (rc == SEALMAIL_OK)
			rc = findings(c, s, fc.any_other ? fc.other : "", err);
		if (rc == SEALMAIL_OK && cert != NULL &&
		    s->state == SEALMAIL_SIG_VALID)
			rc = usage_findings(c, s, cert, err);
		if (rc == SEALMAIL_OK && s->state == SEALMAIL_SIG_VALID &&
		    sm_cms_verify_weak_digest(v, i) != NULL)
			rc = sm_report_add_finding(
			        c->r, SEALMAIL_VERDICT_WARNING,
			        "weak-algorithm", err,
			        "the signature of %s uses %s, a weak "
			        "algorithm: "
			        "it could have been forged",
			        s->part, sm_cms_verify_weak_digest(v, i));
	}
	return rc;
}

/* ---- benign rewrites --------------------------------------------------- */

typedef enum { RW_CRLF, RW_STRIP_WS, RW_UNFOLD } rw_kind;

/*
 * The bytes [start, end) of `src` with one rewrite undone, into a new
 * source: line ends to CRLF (always), plus trailing white space stripped
 * or the entity's header block unfolded.
 */
static int
rewrite(sm_mime_source **out,
        sm_mime_source *src,
        off_t start,
        off_t end,
        rw_kind kind,
        sealmail_error *err)
{
	sm_buf line;
	unsigned char buf[65536];
	bool in_headers = true;
	off_t pos = start;
	int rc = sm_mime_source_new_empty(out, err);

	sm_buf_init(&line, REWRITE_MAX);
	while (rc == SEALMAIL_OK && pos < end) {
		long n = sm_mime_source_read(src, pos, buf,
		                             end - pos > (off_t)sizeof(buf)
		                                     ? sizeof(buf)
		                                     : (size_t)(end - pos),
		                             err);
		if (n <= 0) {
			rc = n < 0 ? (int)n : SEALMAIL_EIO;
			break;
		}
		for (long i = 0; rc == SEALMAIL_OK && i < n; i++) {
			size_t len;
			if (buf[i] != '\n') {
				rc = sm_buf_append(&line, &buf[i], 1, err);
				continue;
			}
			len = line.len;
			if (len > 0 && line.data[len - 1] == '\r')
				len--;
			if (kind == RW_STRIP_WS)
				while (len > 0 && (line.data[len - 1] == ' ' ||
				                   line.data[len - 1] == '\t'))
					len--;
			if (kind == RW_UNFOLD && in_headers && len == 0)
				in_headers = false;
			/* Unfolding: a continuation joins the line before. */
			if (kind == RW_UNFOLD && in_headers) {
				if (pos + i + 1 < end) {
					unsigned char next;
					long m = sm_mime_source_read(
					        src, pos + i + 1, &next, 1,
					        err);
					if (m == 1 &&
					    (next == ' ' || next == '\t')) {
						line.len = len;
						continue;
					}
				}
			}
			rc = sm_mime_source_append(*out, line.data, len, err);
			if (rc == SEALMAIL_OK)
				rc = sm_mime_source_append(*out, "\r\n", 2,
				                           err);
			sm_buf_reset(&line);
		}
		pos += n;
	}
	if (rc == SEALMAIL_OK && line.len > 0)
		rc = sm_mime_source_append(*out, line.data, line.len, err);
	sm_buf_free(&line);
	if (rc != SEALMAIL_OK) {
		sm_mime_source_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Hash [start, end) of `src` in 128 KiB reads. */
static int
hash_range(sm_cms_verify *v,
           sm_mime_source *src,
           off_t start,
           off_t end,
           sealmail_error *err)
{
	enum { HASH_BUF = 128 * 1024 };
	unsigned char *buf = sm_malloc(HASH_BUF);
	int rc = buf == NULL ? sm_error_nomem(err) : SEALMAIL_OK;

	while (rc == SEALMAIL_OK && start < end) {
		long n = sm_mime_source_read(src, start, buf,
		                             end - start > HASH_BUF
		                                     ? HASH_BUF
		                                     : (size_t)(end - start),
		                             err);
		if (n <= 0) {
			rc = n < 0 ? (int)n : SEALMAIL_EIO;
			break;
		}
		rc = sm_cms_verify_update(v, buf, (size_t)n, err);
		start += n;
	}
	sm_free(buf);
	return rc;
}

static int
verify_range(sm_cms_verify *v,
             sm_mime_source *src,
             off_t start,
             off_t end,
             sealmail_error *err)
{
	int rc = hash_range(v, src, start, end, err);

	if (rc == SEALMAIL_OK)
		rc = sm_cms_verify_finish(v, err);
	return rc;
}

static bool
any_altered(const sm_cms_verify *v)
{
	for (size_t i = 0; i < sm_cms_verify_signer_count(v); i++)
		if (sm_cms_verify_status(v, i) == SM_SIG_ALTERED)
			return true;
	return false;
}

/*
 * A mailing list appended a footer to the signed text: the signed bytes are
 * a prefix of the part ending at a line start near its end.  Try the last
 * FOOTER_LINES line starts within the last 8 KiB, for parts up to
 * FOOTER_MAX (each try hashes the part again).
 */
enum { FOOTER_LINES = 16, FOOTER_MAX = 4 << 20, FOOTER_TAIL = 8192 };

static int
try_footer(sm_cms_verify *v,
           sm_mime_source *src,
           off_t start,
           off_t end,
           const sm_sig_status *before,
           size_t m,
           sealmail_rewrite *rewrites,
           sm_mime_source **fixed_out,
           sealmail_error *err)
{
	unsigned char tail[FOOTER_TAIL];
	off_t from = end - start > FOOTER_TAIL ? end - FOOTER_TAIL : start;
	long n;
	int tries = 0, rc = SEALMAIL_OK;

	if (end - start > FOOTER_MAX)
		return SEALMAIL_OK;
	n = sm_mime_source_read(src, from, tail, (size_t)(end - from), err);
	if (n < 0)
		return (int)n;
	/* Line starts, latest first; the end itself is not a candidate. */
	for (long i = n - 2;
	     rc == SEALMAIL_OK && i >= 0 && tries < FOOTER_LINES; i--) {
		sm_mime_source *fixed = NULL;
		off_t cut = from + i + 1;
		bool helped = false;

		if (tail[i] != '\n')
			continue;
		tries++;
		rc = sm_mime_source_new_empty(&fixed, err);
		if (rc == SEALMAIL_OK)
			rc = sm_mime_source_copy(src, start, cut,
			                         sm_mime_source_append_cb,
			                         fixed, err);
		if (rc == SEALMAIL_OK)
			rc = sm_cms_verify_reset(v, err);
		if (rc == SEALMAIL_OK)
			rc = verify_range(v, fixed, 0,
			                  sm_mime_source_size(fixed), err);
		for (size_t k = 0; rc == SEALMAIL_OK && k < m; k++)
			if (before[k] == SM_SIG_ALTERED &&
			    sm_cms_verify_status(v, k) == SM_SIG_VALID) {
				rewrites[k] = SEALMAIL_REWRITE_FOOTER;
				helped = true;
			}
		if (rc == SEALMAIL_OK && helped) {
			*fixed_out = fixed;
			return SEALMAIL_OK;
		}
		sm_mime_source_free(fixed);
	}
	return rc;
}

/*
 * A server re-encoded an 8-bit part as quoted-printable or base64: decode it
 * and name the encoding 8bit again (single-part signed content only).
 */
static int
try_decoded(sm_cms_verify *v,
            sm_mime_source *src,
            off_t start,
            off_t end,
            const sm_sig_status *before,
            size_t m,
            sealmail_rewrite *rewrites,
            sm_mime_source **fixed_out,
            sealmail_error *err)
{
	sm_mime_entity e;
	sm_mime_source *fixed = NULL;
	bool helped = false;
	int rc = sm_mime_entity_parse(&e, src, start, end, false, err);

	if (rc != SEALMAIL_OK || strncmp(e.type, "multipart/", 10) == 0 ||
	    (strcmp(e.encoding, "quoted-printable") != 0 &&
	     strcmp(e.encoding, "base64") != 0))
		return rc;
	rc = sm_mime_source_new_empty(&fixed, err);
	if (rc == SEALMAIL_OK)
		rc = sm_mime_write_decoded(
		        src, &e, "8bit", sm_mime_source_append_cb, fixed, err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_verify_reset(v, err);
	if (rc == SEALMAIL_OK)
		rc = verify_range(v, fixed, 0, sm_mime_source_size(fixed), err);
	for (size_t k = 0; rc == SEALMAIL_OK && k < m; k++)
		if (before[k] == SM_SIG_ALTERED &&
		    sm_cms_verify_status(v, k) == SM_SIG_VALID) {
			rewrites[k] = SEALMAIL_REWRITE_TRANSFER_ENCODING;
			helped = true;
		}
	if (rc == SEALMAIL_OK && helped) {
		*fixed_out = fixed;
		return SEALMAIL_OK;
	}
	sm_mime_source_free(fixed);
	return rc;
}

/*
 * The signature failed over the bytes as they are: try the known benign
 * rewrites, in order.  On a match `*fixed_out` holds the signed bytes and
 * `rewrites[i]` names the rewrite for each signer it explains.
 */
static int
try_rewrites(ctx *c,
             sm_cms_verify *v,
             sm_mime_source *src,
             off_t start,
             off_t end,
             sealmail_rewrite *rewrites,
             sm_mime_source **fixed_out,
             sealmail_error *err)
{
	static const struct {
		rw_kind kind;
		sealmail_rewrite name;
	} tries[] = {{RW_CRLF, SEALMAIL_REWRITE_LINE_ENDINGS},
	             {RW_STRIP_WS, SEALMAIL_REWRITE_TRAILING_SPACE},
	             {RW_UNFOLD, SEALMAIL_REWRITE_HEADER_FOLDING}};
	size_t n = sm_cms_verify_signer_count(v);
	size_t m = n < 16 ? n : 16;
	sm_sig_status before[16];
	int rc = SEALMAIL_OK;

	*fixed_out = NULL;
	if (end - start > REWRITE_MAX)
		return sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_GOOD, "rewrites-not-checked",
		        err,
		        "the signed part is larger than 64 MiB: it was not "
		        "checked for changes by mail servers");
	for (size_t i = 0; i < m; i++)
		before[i] = sm_cms_verify_status(v, i);
	for (size_t t = 0; rc == SEALMAIL_OK && t < SM_ARRAY_SIZE(tries); t++) {
		sm_mime_source *fixed = NULL;
		bool helped = false;

		rc = rewrite(&fixed, src, start, end, tries[t].kind, err);
		if (rc == SEALMAIL_OK)
			rc = sm_cms_verify_reset(v, err);
		if (rc == SEALMAIL_OK)
			rc = verify_range(v, fixed, 0,
			                  sm_mime_source_size(fixed), err);
		for (size_t i = 0; rc == SEALMAIL_OK && i < m; i++)
			if (before[i] == SM_SIG_ALTERED &&
			    sm_cms_verify_status(v, i) == SM_SIG_VALID) {
				rewrites[i] = tries[t].name;
				helped = true;
			}
		if (rc == SEALMAIL_OK && helped) {
			*fixed_out = fixed;
			return SEALMAIL_OK;
		}
		sm_mime_source_free(fixed);
	}
	if (rc == SEALMAIL_OK)
		rc = try_decoded(v, src, start, end, before, m, rewrites,
		                 fixed_out, err);
	if (rc == SEALMAIL_OK && *fixed_out == NULL)
		rc = try_footer(v, src, start, end, before, m, rewrites,
		                fixed_out, err);
	if (rc == SEALMAIL_OK && *fixed_out != NULL)
		return SEALMAIL_OK;
	/* Nothing explains it: back to the verdicts over the bytes as they
	 * are. */
	if (rc == SEALMAIL_OK)
		rc = sm_cms_verify_reset(v, err);
	if (rc == SEALMAIL_OK)
		rc = verify_range(v, src, start, end, err);
	return rc;
}

/* ---- the layers ------------------------------------------------------- */

static int
walk_content(ctx *c,
             sm_mime_source *src,
             off_t start,
             off_t end,
             const char *path,
             int depth,
             bool top,
             const char *from,
             sealmail_error *err)
{
	sm_mime_entity inner;
	int rc = sm_mime_entity_parse(&inner, src, start, end, false, err);

	if (rc != SEALMAIL_OK)
		return rc;
	if (top) {
		c->read_src = src;
		c->read_start = start;
		c->read_end = end;
	}
	return walk(c, src, &inner, path, depth + 1, true, top, from, err);
}

/*
 * Let the verifier find signer certificates the message does not carry
 * among the address book's and my own digital IDs' certificates (a sender
 * may sign without including the certificate).  Only lookup material: the
 * trust of whatever is found is still decided by the book afterwards.
 * A signer named by issuer and serial can only be a book certificate with
 * that serial number: only those are read (parsing the whole book cost
 * 0.2 ms a contact for every signed message, issue 7); the whole book only
 * for a signer named by subject key identifier.  The verifier prefers the
 * certificates added here to carried ones, as before.  My own certificates
 * and the whole book are parsed once per store while the database does
 * not change (sm_store_cache): a `list` opens many messages.
 */
static int
add_known_certs(ctx *c, sm_cms_verify *v, sealmail_error *err)
{
	void *value = NULL;
	known_certs *k;
	bool need_book = false;
	int rc = sm_store_cache(&value, c->store, known_make, known_free, err);

	if (rc != SEALMAIL_OK)
		return rc;
	k = value;
	for (size_t i = 0;
	     i < sm_cms_verify_signer_count(v) && rc == SEALMAIL_OK; i++) {
		char serial[256];
		sm_cert **some = NULL;
		size_t n = 0;

		if (!sm_cms_verify_signer_serial(v, i, serial,
		                                 sizeof(serial))) {
			need_book = true;
			continue;
		}
		if (k->book_loaded)
			continue; /* the whole book is added below */
		rc = serial_certs(&some, &n, k, c->store, serial, err);
		if (rc == SEALMAIL_OK && n > 0)
			rc = sm_cms_verify_add_certs(v, some, n, err);
	}
	if (rc == SEALMAIL_OK && need_book && !k->book_loaded) {
		rc = sm_book_all_certs(&k->book, &k->nbook, c->store, err);
		k->book_loaded = rc == SEALMAIL_OK;
	}
	if (rc != SEALMAIL_OK)
		return rc;
	if (k->nbook > 0)
		rc = sm_cms_verify_add_certs(v, k->book, k->nbook, err);
	if (rc == SEALMAIL_OK && k->nown > 0)
		rc = sm_cms_verify_add_certs(v, k->own, k->nown, err);
	return rc;
}

/* sm_mime_write_fn: the signed part's bytes into the verifier's digests. */
static int
tap_hash(const void *buf, size_t len, void *payload)
{
	return sm_cms_verify_update(payload, buf, len, NULL);
}

static int
open_clear(ctx *c,
           sm_mime_source *src,
           const sm_mime_entity *ent,
           const char *path,
           int depth,
           bool top,
           const char *from,
           sealmail_error *err)
{
	off_t *rg = NULL;
	size_t n = 0;
	sm_mime_entity sig;
	sm_buf der;
	sm_cms_verify *v = NULL;
	sm_mime_source *fixed = NULL;
	sealmail_rewrite rewrites[16] = {0};
	char cpath[64];
	off_t tapped[2];
	int rc;

	/*
	 * One read of the signed part: it is hashed (with the digest micalg
	 * names) while the scan looks for its end; the signature, after it,
	 * is loaded afterwards.  What was hashed is used only when it is
	 * exactly the first part's range and the signers' digests; else the
	 * range is hashed again.
	 */
	rc = sm_cms_verify_new_micalg(&v, c->crypto, ent->micalg, err);
	if (rc == SEALMAIL_OK)
		rc = sm_mime_multipart_children_tap(
		        &rg, &n, src, ent, MAX_PARTS, tap_hash, v, tapped, err);
	if (rc != SEALMAIL_OK) {
		sm_cms_verify_free(v);
		return rc;
	}
	child_path(cpath, sizeof(cpath), path, 0);
	if (n < 2) {
		sm_cms_verify_free(v);
		rc = sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_DANGER, "bad-signature", err,
		        "the signed part %s has no signature", path);
		sm_free(rg);
		return rc;
	}
	sm_buf_init(&der, SIG_MAX);
	rc = sm_mime_entity_parse(&sig, src, rg[2], rg[3], false, err);
	if (rc == SEALMAIL_OK)
		rc = sm_mime_decode_body(&der, src, &sig, err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_verify_load(v, der.data, der.len, err);
	sm_buf_free(&der);
	if (rc == SEALMAIL_EBADDATA) {
		sm_cms_verify_free(v);
		rc = sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_DANGER, "bad-signature", err,
		        "the signature of part %s is "
		        "damaged: %s",
		        path, err != NULL ? err->message : "");
		/* What it claims to sign is then unsigned content. */
		if (rc == SEALMAIL_OK)
			rc = walk_content(c, src, rg[0], rg[1], cpath, depth,
			                  false, from, err);
		sm_free(rg);
		return rc;
	}
	if (rc == SEALMAIL_OK)
		rc = add_known_certs(c, v, err);
	if (rc == SEALMAIL_OK && (tapped[0] != rg[0] || tapped[1] != rg[1] ||
	                          sm_cms_verify_needs_rehash(v))) {
		rc = sm_cms_verify_reset(v, err);
		if (rc == SEALMAIL_OK)
			rc = hash_range(v, src, rg[0], rg[1], err);
	}
	if (rc == SEALMAIL_OK)
		rc = sm_cms_verify_finish(v, err);
	if (rc == SEALMAIL_OK && any_altered(v))
		rc = try_rewrites(c, v, src, rg[0], rg[1], rewrites, &fixed,
		                  err);
	if (rc == SEALMAIL_OK)
		rc = record(c, v, "clear", cpath, from, rewrites, err);
	sm_cms_verify_free(v);
	if (rc == SEALMAIL_OK && fixed != NULL) {
		/* Show and walk the signed bytes, not the rewritten ones. */
		rc = own(c, fixed, err);
		if (rc == SEALMAIL_OK)
			rc = walk_content(c, fixed, 0,
			                  sm_mime_source_size(fixed), cpath,
			                  depth, top, from, err);
	} else if (rc == SEALMAIL_OK) {
		rc = walk_content(c, src, rg[0], rg[1], cpath, depth, top, from,
		                  err);
	}
	sm_free(rg);
	return rc;
}

/* The finding for a signed-data that cannot be read (message in `err`). */
static int
signed_part_damaged(ctx *c, const char *path, sealmail_error *err)
{
	return sm_report_add_finding(c->r, SEALMAIL_VERDICT_DANGER,
	                             "bad-signature", err,
	                             "the signed part %s is damaged: %s", path,
	                             err != NULL ? err->message : "");
}

/*
 * The end of both opaque paths, once `v` has hashed the signed content
 * now in `content` (`rc` says whether that went well): check the
 * signatures, record them, then show and walk what was signed.  Takes
 * `v` and `content`.
 */
static int
opaque_checked(ctx *c,
               int rc,
               sm_cms_verify *v,
               sm_mime_source *content,
               const char *path,
               int depth,
               bool top,
               const char *from,
               sealmail_error *err)
{
	if (rc == SEALMAIL_OK)
		rc = add_known_certs(c, v, err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_verify_finish(v, err);
	if (rc == SEALMAIL_OK)
		rc = record(c, v, "opaque", path, from, NULL, err);
	sm_cms_verify_free(v);
	if (rc != SEALMAIL_OK) {
		sm_mime_source_free(content);
		return rc;
	}
	rc = own(c, content, err);
	if (rc == SEALMAIL_OK)
		rc = walk_content(c, content, 0, sm_mime_source_size(content),
		                  path, depth, top, from, err);
	return rc;
}

/* ---- the readable message, written as it is read ---------------------- */

static int
out_write(const void *buf, size_t len, void *payload)
{
	return sealmail_output_write(payload, buf, len, NULL);
}

/*
 * Bytes of a source to the output as they are: in the kernel when the
 * source is a file and the output a descriptor (no copy through this
 * process), else through the source's views.
 */
static int
copy_range(sm_mime_source *src,
           off_t start,
           off_t end,
           sealmail_output *out,
           sealmail_error *err)
{
	off_t base;
	int fd = sm_mime_source_fd(src, &base);

	if (fd >= 0 && end > start) {
		int rc = sm_output_copy_fd(out, fd, base + start, end - start,
		                           err);
		if (rc != SM_OUTPUT_NO_COPY)
			return rc;
	}
	return sm_mime_source_copy(src, start, end, out_write, out, err);
}

/* What comes before the readable content: the outer header block. */
static int
readable_head(sm_mime_source *src,
              const sm_mime_entity *top,
              sealmail_output *out,
              sealmail_error *err)
{
	int rc = sm_mime_write_headers(src, top, false, out_write, out, err);

	if (rc == SEALMAIL_OK)
		rc = sealmail_output_write(out, "MIME-Version: 1.0\r\n", 19,
		                           err);
	return rc;
}

/*
 * One pass: the readable message starts while its content is read -- the
 * message's header, MIME-Version, and the `content` kept so far; the rest
 * of the content follows as it is hashed (vtee_write).  Called once the
 * content is known to be the readable message's and to be trimmed.
 */
static int
early_begin(ctx *c, sm_mime_source *content, sealmail_error *err)
{
	int rc;

	c->early.mark = sm_output_mark(c->readable);
	c->early.written = true;
	rc = readable_head(c->top_src, c->top_ent, c->readable, err);
	if (rc == SEALMAIL_OK)
		rc = copy_range(content, 0, sm_mime_source_size(content),
		                c->readable, err);
	return rc;
}

/*
 * What one pass wrote is not the readable message after all (the
 * signed-data is damaged, or is read again whole): taken back, so that
 * write_readable writes the message as without it.  /dev/null, or an
 * output that failed (never published), has nothing to take back.
 */
static int
early_undo(ctx *c, sealmail_error *err)
{
	c->early_done = false;
	return sm_open_direct_undo(&c->early, err);
}

/* ---- opaque signed-data in one pass ------------------------------------ */

/*
 * The content goes through the digests and into the readable source.
 * `trim`: no readable message is written, so once the content reaches
 * TRIM_AT its header block decides: an entity the walk reads no further
 * than its header (a leaf part) keeps only that prefix -- the rest is
 * hashed, never stored.
 */
enum { TRIM_AT = 1 << 20 };

/*
 * Content arrives one BER chunk at a time: 4 KiB each from `openssl cms
 * -stream` (one write to the content temporary per chunk: 65 000 system
 * calls for 256 MiB), at most the CMS reader's 64 KiB buffer otherwise.
 * Pieces under GATHER_SMALL are gathered and appended GATHER_MAX at a
 * time (the copy costs less than the system calls it saves); larger ones
 * are appended as they are.
 */
enum { GATHER_MAX = 256 << 10, GATHER_SMALL = 128 << 10 };

typedef struct vtee {
	sm_cms_verify *v;
	sm_mime_body *body; /* what the content is read from */
	sm_mime_source *content;
	bool trim, decided, trimmed;
	/*
	 * One pass (`early`: set when this content is the readable
	 * message's, else NULL): once the content is trimmed and the output
	 * held, the readable message is started and every piece after the
	 * kept prefix goes to `out` as soon as it is hashed.
	 */
	ctx *early;
	sealmail_output *out;
	sealmail_error err;
	unsigned char *gather; /* GATHER_MAX bytes, once needed */
	size_t glen;           /* content in `gather`, not yet appended */
} vtee;

/* Append the gathered content. */
static int
vtee_flush(vtee *t)
{
	int rc = SEALMAIL_OK;

	if (t->glen > 0)
		rc = sm_mime_source_append(t->content, t->gather, t->glen,
		                           &t->err);
	t->glen = 0;
	return rc;
}

/* Append `len` bytes of content, gathering small pieces. */
static int
vtee_append(vtee *t, const void *buf, size_t len)
{
	int rc;

	if (len >= GATHER_SMALL ||
	    (t->gather == NULL &&
	     (t->gather = sm_malloc(GATHER_MAX)) == NULL)) {
		rc = vtee_flush(t);
		return rc == SEALMAIL_OK
		               ? sm_mime_source_append(t->content, buf, len,
		                                       &t->err)
		               : rc;
	}
	if (t->glen + len > GATHER_MAX) {
		rc = vtee_flush(t);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	memcpy(t->gather + t->glen, buf, len);
	t->glen += len;
	return SEALMAIL_OK;
}

/* Does the walk need more of the content than the `have` bytes kept? */
static int
vtee_decide(vtee *t)
{
	sm_mime_entity e;
	off_t have = sm_mime_source_size(t->content);
	int rc = sm_mime_entity_parse(&e, t->content, 0, have, false, &t->err);

	t->decided = true;
	if (rc == SEALMAIL_EBADDATA)
		return SEALMAIL_OK; /* kept whole: the walk will say */
	if (rc != SEALMAIL_OK)
		return rc;
	/* The header block ends inside the prefix and the part is a leaf. */
	t->trimmed = e.body_start < have && !sm_open_walks_body(&e);
	return SEALMAIL_OK;
}

static int
vtee_write(const void *buf, size_t len, void *payload)
{
	vtee *t = payload;
	const unsigned char *p = buf;
	int rc = SEALMAIL_OK;

	/* hashed 1 KiB at a time, the text after it prefetched meanwhile */
	for (size_t done = 0, n; rc == SEALMAIL_OK && done < len; done += n) {
		n = len - done < 1024 ? len - done : 1024;
		sm_mime_body_prefetch(t->body, n * 4 / 3 + 64);
		rc = sm_cms_verify_update(t->v, p + done, n, &t->err);
	}

	if (rc == SEALMAIL_OK && t->trim && !t->decided &&
	    sm_mime_source_size(t->content) + (off_t)(t->glen + len) >
	            TRIM_AT) {
		rc = vtee_flush(t); /* the decision reads the content */
		if (rc == SEALMAIL_OK)
			rc = vtee_decide(t);
		if (rc == SEALMAIL_OK && t->trimmed && t->early != NULL &&
		    sm_output_held(t->early->readable)) {
			rc = early_begin(t->early, t->content, &t->err);
			t->out = t->early->readable;
		}
	}
	if (rc == SEALMAIL_OK && !t->trimmed)
		rc = vtee_append(t, buf, len);
	else if (rc == SEALMAIL_OK && t->out != NULL)
		rc = sealmail_output_write(t->out, buf, len, &t->err);
	return rc;
}

/* Hash the whole of `src` again (a signer's digest was not computed). */
static int
rehash(sm_cms_verify *v, sm_mime_source *src, sealmail_error *err)
{
	int rc = sm_cms_verify_reset(v, err);

	if (rc == SEALMAIL_OK)
		rc = hash_range(v, src, 0, sm_mime_source_size(src), err);
	return rc;
}

/*
 * Read the signed-data with sm_cms_reader (the body's transfer encoding
 * undone on the way by sm_mime_body): the content octets stream through
 * the digests of the digestAlgorithms and into `content`; the fields
 * around them go to OpenSSL as the structure without its content.  Memory
 * stays bounded whatever the size.  EBADDATA (message in `err`) when the
 * structure is malformed.  `early`: the content is the readable message's
 * and may be written as it is read, once trimmed (ctx's `readable`).
 */
static int
read_signed_data(sm_cms_verify **v_out,
                 bool *again,
                 bool *trimmed,
                 uint64_t *content_len,
                 sm_mime_source *content,
                 bool trim,
                 bool early,
                 ctx *c,
                 sm_mime_source *src,
                 const sm_mime_entity *ent,
                 sealmail_error *err)
{
	sm_mime_body *body = NULL;
	const sealmail_error *berr;
	sm_cms_reader *rd = NULL;
	sm_cms_verify *v = NULL;
	vtee t = {0};
	const unsigned char *algs;
	size_t alen;
	sm_buf der;
	int rc;

	*v_out = NULL;
	*again = false;
	*trimmed = false;
	*content_len = 0;
	sm_buf_init(&der, SM_BER_FIELDS_MAX + 4096);
	rc = sm_mime_body_new(&body, src, ent, err);
	if (rc != SEALMAIL_OK)
		return rc;
	berr = sm_mime_body_error(body);
	rc = sm_cms_reader_new(&rd, sm_mime_body_read, body, err);
	if (rc != SEALMAIL_OK && rc != SEALMAIL_EBADDATA &&
	    rc != SEALMAIL_EUNSUPPORTED)
		goto done;
	if (rc != SEALMAIL_OK || sm_cms_reader_type(rd) != SM_CMS_SIGNED) {
		char why[sizeof(err->message) + 2] = "";
		if (rc != SEALMAIL_OK && err != NULL)
			(void)snprintf(why, sizeof(why), ": %s", err->message);
		if (berr->code != 0)
			(void)snprintf(why, sizeof(why), ": %s", berr->message);
		sm_mime_body_free(body);
		body = NULL; /* said here */
		berr = NULL;
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "the signature is not CMS signed-data%s",
		                  why);
		goto done;
	}
	if (!sm_cms_reader_has_content(rd)) {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "the signed-data holds no content");
		goto done;
	}
	/* As d2i did: bytes after the structure are ignored, not shown. */
	sm_cms_reader_allow_trailing(rd);
	algs = sm_cms_reader_field(rd, SM_CMS_F_DIGEST_ALGS, &alen);
	rc = sm_cms_verify_new_stream(&v, c->crypto, algs, alen, err);
	if (rc != SEALMAIL_OK)
		goto done;
	t.v = v;
	t.body = body;
	t.content = content;
	t.trim = trim;
	t.early = early ? c : NULL;
	rc = sm_cms_reader_content_foreach(rd, vtee_write, &t, err);
	if (rc == SEALMAIL_OK)
		rc = vtee_flush(&t);
	if (rc != SEALMAIL_OK && t.err.code != 0)
		rc = sm_error_set(err, rc, "%s", t.err.message);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_reader_finish(rd, err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_reader_detached_der(rd, &der, err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_verify_load(v, der.data, der.len, err);
	if (rc == SEALMAIL_OK && sm_cms_verify_needs_rehash(v) && t.trimmed) {
		/* A signer's digest needs the whole content: read it again,
		 * keeping it (rare: a digest the digestAlgorithms omit). */
		*again = true;
		sm_cms_verify_free(v);
		v = NULL;
	} else if (rc == SEALMAIL_OK && sm_cms_verify_needs_rehash(v)) {
		rc = rehash(v, content, err);
	}
	*trimmed = rc == SEALMAIL_OK && t.trimmed && !*again;
	if (rc == SEALMAIL_OK)
		*content_len = sm_cms_reader_content_len(rd);
done:
	/* A decoding or read failure under the reader says what it was. */
	if (rc != SEALMAIL_OK && berr != NULL && berr->code != 0)
		(void)sm_error_set(err, rc, "%s", berr->message);
	sm_buf_free(&der);
	sm_free(t.gather);
	sm_cms_reader_free(rd);
	sm_mime_body_free(body);
	if (rc != SEALMAIL_OK) {
		sm_cms_verify_free(v);
		return rc;
	}
	*v_out = v;
	return SEALMAIL_OK;
}

static int
open_signed_stream(ctx *c,
                   sm_mime_source *src,
                   const sm_mime_entity *ent,
                   const char *path,
                   int depth,
                   bool top,
                   const char *from,
                   sealmail_error *err)
{
	sm_cms_verify *v = NULL;
	sm_mime_source *content = NULL;
	bool again = false, trimmed = false;
	bool early = top && c->readable != NULL && !c->early.written;
	uint64_t len = 0;
	int rc = sm_mime_source_new_empty(&content, err);

	/*
	 * A leaf's content is trimmed when no readable message is written,
	 * and also when this content is the readable message's (`top`): that
	 * is then written as it is read and hashed when nothing written to
	 * the output reaches anyone before it is committed (`early`: one
	 * pass), else decoded again from the signed-data when it is written
	 * (redo_write), which costs less than storing it all and copying it.
	 */
	if (rc == SEALMAIL_OK)
		rc = read_signed_data(&v, &again, &trimmed, &len, content,
		                      c->readable == NULL || top, early, c, src,
		                      ent, err);
	if (rc == SEALMAIL_OK && again) {
		/* Read again whole: what one pass wrote is taken back. */
		rc = early_undo(c, err);
		sm_mime_source_free(content);
		content = NULL;
		if (rc == SEALMAIL_OK)
			rc = sm_mime_source_new_empty(&content, err);
		if (rc == SEALMAIL_OK)
			rc = read_signed_data(&v, &again, &trimmed, &len,
			                      content, false, false, c, src,
			                      ent, err);
	}
	if (rc == SEALMAIL_OK && trimmed && c->readable != NULL && top) {
		c->redo_content = content;
		c->redo_src = src;
		c->redo_ent = *ent;
		c->redo_len = len;
		c->early_done = c->early.written;
	}
	if (rc == SEALMAIL_EBADDATA && err != NULL &&
	    strcmp(err->message, "the signed-data holds no content") != 0) {
		sealmail_error why = {0};
		sm_mime_source_free(content);
		/* not the readable message: what one pass wrote goes */
		rc = early_undo(c, &why);
		if (rc != SEALMAIL_OK)
			return sm_error_set(err, rc, "%s", why.message);
		return signed_part_damaged(c, path, err);
	}
	return opaque_checked(c, rc, v, content, path, depth, top, from, err);
}

static bool
is_enveloped(const char *smime_type)
{
	return strcmp(smime_type, "enveloped-data") == 0 ||
	       strcmp(smime_type, "authenveloped-data") == 0;
}

static int
leaf(ctx *c,
     const sm_mime_entity *ent,
     const char *path,
     bool in_signed,
     sealmail_error *err)
{
	char words[320];

	if (c->enc_depth == 0) {
		int rc;
		part_words(words, sizeof(words), ent, path);
		rc = sm_report_add_unencrypted_part(c->r, words, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	if (in_signed) {
		c->nleaves_signed++;
		return SEALMAIL_OK;
	}
	part_words(words, sizeof(words), ent, path);
	return sm_report_add_unsigned_part(c->r, words, err);
}

/*
 * CBC content (no authentication by the cipher) with no valid signature
 * inside it: anyone on the way could have changed it (SPEC Receiving 1).
 */
static int
cbc_check(ctx *c, size_t sigs_before, sealmail_error *err)
{
	for (size_t i = sigs_before; i < c->r->nsigs; i++)
		if (c->r->sigs[i]->state == SEALMAIL_SIG_VALID)
			return SEALMAIL_OK;
	return sm_report_add_finding(
	        c->r, SEALMAIL_VERDICT_WARNING, "not-integrity-protected", err,
	        "encrypted, not protected against tampering: %s content "
	        "with no valid signature inside could have been changed "
	        "on the way",
	        c->r->enc_algorithm != NULL ? c->r->enc_algorithm : "CBC");
}

static int
open_pkcs7_mime(ctx *c,
                sm_mime_source *src,
                const sm_mime_entity *ent,
                const char *path,
                int depth,
                bool top,
                const char *from,
                sealmail_error *err)
{
	int rc;

	if (is_enveloped(ent->smime_type)) {
		sm_mime_source *content = NULL;
		bool authenticated = false;
		/* the message itself: its readable content is all of it */
		sm_open_direct *direct =
		        depth == 0 && c->readable != NULL &&
		                        sm_output_held(c->readable)
		                ? &c->direct
		                : NULL;
		rc = sm_open_enveloped(&content, &authenticated,
		                       c->readable == NULL, direct, c->temp_dir,
		                       c->store, c->r, src, ent, err);
		if (rc != SEALMAIL_OK || content == NULL)
			return rc;
		rc = own(c, content, err);
		if (rc != SEALMAIL_OK)
			return rc;
		/* Decrypted content is not signed by being encrypted. */
		{
			sm_mime_entity inner;
			rc = sm_mime_entity_parse(&inner, content, 0,
			                          sm_mime_source_size(content),
			                          false, err);
			/*
			 * The readable message is the decrypted content of
			 * the outermost encrypted layer -- and only that,
			 * also when it sits between other parts (EFAIL direct
			 * exfiltration: never join the plaintext to parts
			 * anyone could have put around it).
			 */
			if (rc == SEALMAIL_OK && (top || (c->read_src == NULL &&
			                                  c->enc_depth == 0))) {
				c->read_src = content;
				c->read_start = 0;
				c->read_end = sm_mime_source_size(content);
			}
			size_t sigs_before = c->r->nsigs;
			c->enc_depth++;
			if (rc == SEALMAIL_OK)
				rc = walk(c, content, &inner, path, depth + 1,
				          false, top, from, err);
			c->enc_depth--;
			if (rc == SEALMAIL_OK && !authenticated)
				rc = cbc_check(c, sigs_before, err);
		}
		return rc;
	}
	if (strcmp(ent->smime_type, "certs-only") == 0)
		return leaf(c, ent, path, false, err);
	/* Any transfer encoding, in one pass, any size. */
	return open_signed_stream(c, src, ent, path, depth, top, from, err);
}

static bool
is_type(const sm_mime_entity *e, const char *a, const char *b)
{
	return strcmp(e->type, a) == 0 ||
	       (b != NULL && strcmp(e->type, b) == 0);
}

bool
sm_open_walks_body(const sm_mime_entity *e)
{
	return strncmp(e->type, "multipart/", 10) == 0 ||
	       is_type(e, "application/pkcs7-mime",
	               "application/x-pkcs7-mime") ||
	       is_type(e, "message/rfc822", NULL);
}

static int
walk(ctx *c,
     sm_mime_source *src,
     const sm_mime_entity *ent,
     const char *path,
     int depth,
     bool in_signed,
     bool top,
     const char *from,
     sealmail_error *err)
{
	if (depth > MAX_DEPTH)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "%s: the message is nested deeper than %d "
		                    "levels",
		                    c->input_name, MAX_DEPTH);
	if (++c->nparts > MAX_PARTS)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "%s: the message has more than %d parts",
		                    c->input_name, MAX_PARTS);
	if (is_type(ent, "multipart/signed", NULL)) {
		if (strcmp(ent->protocol, "application/pkcs7-signature") == 0 ||
		    strcmp(ent->protocol, "application/x-pkcs7-signature") == 0)
			return open_clear(c, src, ent, path, depth, top, from,
			                  err);
		/* PGP/MIME and the like: not ours to check. */
		return sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_WARNING, "unsupported-signature",
		        err,
		        "part %s is signed with an unsupported kind of "
		        "signature (%s); it was not checked",
		        path, ent->protocol);
	}
	if (is_type(ent, "application/pkcs7-mime", "application/x-pkcs7-mime"))
		return open_pkcs7_mime(c, src, ent, path, depth, top, from,
		                       err);
	if (strncmp(ent->type, "multipart/", 10) == 0) {
		off_t *rg = NULL;
		size_t n = 0;
		int rc = sm_mime_multipart_children(&rg, &n, src, ent,
		                                    MAX_PARTS, err);
		for (size_t i = 0; rc == SEALMAIL_OK && i < n; i++) {
			sm_mime_entity child;
			char cpath[64];
			child_path(cpath, sizeof(cpath), path, i);
			rc = sm_mime_entity_parse(&child, src, rg[2 * i],
			                          rg[2 * i + 1], false, err);
			if (rc == SEALMAIL_OK)
				rc = walk(c, src, &child, cpath, depth + 1,
				          in_signed, false, from, err);
		}
		sm_free(rg);
		return rc;
	}
	if (is_type(ent, "message/rfc822", NULL)) {
		sm_mime_entity msg;
		int rc = sm_mime_entity_parse(&msg, src, ent->body_start,
		                              ent->end, true, err);
		/* A forwarded message is judged against its own From. */
		if (rc == SEALMAIL_OK)
			rc = walk(c, src, &msg, path, depth + 1, in_signed,
			          false, msg.from_all, err);
		return rc;
	}
	return leaf(c, ent, path, in_signed, err);
}

/* ---- acknowledgements (--ack) ----------------------------------------- */

static int
message_hash(char *hex, ctx *c, sm_mime_source *src, sealmail_error *err)
{
	sm_hash *h = NULL;
	int rc = sm_sha256_new(&h, c->crypto, err);
	off_t pos = 0, size = sm_mime_source_size(src);

	while (rc == SEALMAIL_OK && pos < size) {
		const unsigned char *p;
		long n = sm_mime_source_view(src, pos, (size_t)(size - pos), &p,
		                             err);
		if (n <= 0) {
			rc = n < 0 ? (int)n : SEALMAIL_EIO;
			break;
		}
		rc = sm_hash_update(h, p, (size_t)n);
		pos += n;
	}
	if (rc == SEALMAIL_OK)
		rc = sm_hash_hex(h, hex, err);
	sm_hash_free(h);
	return rc;
}

static int
acks(ctx *c, sm_mime_source *src, sealmail_error *err)
{
	char hex[SM_FINGERPRINT_SIZE];
	sm_stmt *st = NULL;
	bool altered = sm_report_has_finding(c->r, "altered") ||
	               sm_report_has_finding(c->r, "bad-signature");
	int rc;

	if (!altered && !(c->flags & SEALMAIL_OPEN_ACK))
		return SEALMAIL_OK;
	rc = message_hash(hex, c, src, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (c->flags & SEALMAIL_OPEN_ACK) {
		rc = sm_stmt_prepare(&st, c->store,
		                     "INSERT OR IGNORE INTO acks(hash, created)"
		                     " VALUES (?1, ?2)",
		                     err);
		if (rc == SEALMAIL_OK)
			rc = sm_stmt_bind_text(st, 1, hex, err);
		if (rc == SEALMAIL_OK)
			rc = sm_stmt_bind_int64(st, 2, (int64_t)time(NULL),
			                        err);
		if (rc == SEALMAIL_OK)
			rc = sm_stmt_step(st, err) < 0 ? SEALMAIL_EIO
			                               : SEALMAIL_OK;
		sm_stmt_free(st);
		if (rc == SEALMAIL_OK)
			c->r->acknowledged = altered;
		return rc;
	}
	rc = sm_stmt_prepare(&st, c->store,
	                     "SELECT 1 FROM acks WHERE hash = ?1", err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_bind_text(st, 1, hex, err);
	if (rc == SEALMAIL_OK) {
		int s = sm_stmt_step(st, err);
		if (s < 0)
			rc = s;
		else
			c->r->acknowledged = s == SM_STEP_ROW;
	}
	sm_stmt_free(st);
	return rc;
}

/* ---- the readable message ---------------------------------------------- */

/* The opaque content decoded again, counted on its way to the output. */
typedef struct redo {
	sealmail_output *out;
	uint64_t len;
} redo;

static int
redo_piece(const void *buf, size_t len, void *payload)
{
	redo *r = payload;

	r->len += len;
	return sealmail_output_write(r->out, buf, len, NULL);
}

/*
 * The readable content of a trimmed opaque part: the signed-data read
 * again from its source and its content octets written out, without the
 * digests.  The source is the message file (checked unchanged at every
 * window and when the readable message is done, as the bytes of a
 * clear-signed one are copied from it again) or a private temporary, so
 * the bytes are those hashed.  A structure that no longer reads, or
 * content of another length, all the same means the source changed
 * (ECHANGED).
 */
static int
redo_write(ctx *c, sealmail_output *out, sealmail_error *err)
{
	sm_mime_body *body = NULL;
	sm_cms_reader *rd = NULL;
	redo r = {.out = out};
	int rc = sm_mime_body_new(&body, c->redo_src, &c->redo_ent, err);

	if (rc == SEALMAIL_OK)
		sm_mime_body_stream(body);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_reader_new(&rd, sm_mime_body_read, body, err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_reader_type(rd) == SM_CMS_SIGNED &&
		                     sm_cms_reader_has_content(rd)
		             ? sm_cms_reader_content_foreach(rd, redo_piece, &r,
		                                             err)
		             : SEALMAIL_EBADDATA;
	/* it read the first time: not the same bytes now */
	if (rc == SEALMAIL_EBADDATA || rc == SEALMAIL_EUNSUPPORTED ||
	    (rc == SEALMAIL_OK && r.len != c->redo_len))
		rc = sm_error_set(err, SEALMAIL_ECHANGED,
		                  "%s changed while it was being read",
		                  c->input_name);
	/* A read failure under the reader says what it was. */
	else if (rc != SEALMAIL_OK && body != NULL &&
	         sm_mime_body_error(body)->code != 0)
		(void)sm_error_set(err, rc, "%s",
		                   sm_mime_body_error(body)->message);
	sm_cms_reader_free(rd);
	sm_mime_body_free(body);
	return rc;
}

/* sm_open_direct's head: the same before content decrypted straight out. */
static int
direct_head(void *payload, sealmail_error *err)
{
	ctx *c = payload;

	return readable_head(c->top_src, c->top_ent, c->direct.out, err);
}

static int
write_readable(ctx *c,
               sm_mime_source *src,
               const sm_mime_entity *top,
               sealmail_output *out,
               sealmail_error *err)
{
	int rc;

	/* written in one pass while it was read */
	if (c->early_done && c->read_src == c->redo_content)
		return SEALMAIL_OK;
	if (c->direct.written) /* written as it was decrypted */
		return SEALMAIL_OK;
	rc = early_undo(c, err); /* not the readable message after all */
	if (rc != SEALMAIL_OK)
		return rc;
	if (c->read_src == NULL) /* nothing to unwrap: the message as is */
		return copy_range(src, 0, sm_mime_source_size(src), out, err);
	rc = readable_head(src, top, out, err);
	if (rc == SEALMAIL_OK && c->read_src == c->redo_content)
		rc = redo_write(c, out, err); /* read_start is 0 */
	else if (rc == SEALMAIL_OK)
		rc = copy_range(c->read_src, c->read_start, c->read_end, out,
		                err);
	return rc;
}

static void
coverage(ctx *c)
{
	if (c->r->nsigs == 0 && !sm_report_has_finding(c->r, "no-signer") &&
	    !sm_report_has_finding(c->r, "bad-signature"))
		c->r->coverage = SEALMAIL_COVERAGE_NONE;
	else if (c->r->nunsigned > 0)
		c->r->coverage = SEALMAIL_COVERAGE_PARTIAL;
	else
		c->r->coverage = SEALMAIL_COVERAGE_FULL;
}

/*
 * An encrypted layer with parts outside it (EFAIL direct exfiltration):
 * name those parts, which anyone could have put there.
 */
static int
partly_encrypted(ctx *c, sealmail_error *err)
{
	sm_buf list;
	int rc = SEALMAIL_OK;

	if (!c->r->encrypted || c->r->nunencrypted == 0)
		return SEALMAIL_OK;
	sm_buf_init(&list, 600);
	for (size_t i = 0; rc == SEALMAIL_OK && i < c->r->nunencrypted; i++)
		rc = sm_buf_printf(&list, err, "%s%s", i > 0 ? "; " : "",
		                   c->r->unencrypted_parts[i]);
	if (rc == SEALMAIL_ENOMEM || rc == SEALMAIL_EINVAL)
		rc = SEALMAIL_OK; /* a long list is cut, not an error */
	if (rc == SEALMAIL_OK)
		rc = sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_WARNING, "partly-encrypted", err,
		        "this message is only partly encrypted: anyone could "
		        "have added the parts outside the encryption; not "
		        "encrypted: %s",
		        list.data != NULL ? (const char *)list.data : "");
	sm_buf_free(&list);
	return rc;
}

static int
partly_signed(ctx *c, sealmail_error *err)
{
	sm_buf list;
	int rc = SEALMAIL_OK;

	if (c->r->coverage != SEALMAIL_COVERAGE_PARTIAL)
		return SEALMAIL_OK;
	sm_buf_init(&list, 600);
	for (size_t i = 0; rc == SEALMAIL_OK && i < c->r->nunsigned; i++)
		rc = sm_buf_printf(&list, err, "%s%s", i > 0 ? "; " : "",
		                   c->r->unsigned_parts[i]);
	if (rc == SEALMAIL_ENOMEM || rc == SEALMAIL_EINVAL)
		rc = SEALMAIL_OK; /* a long list is cut, not an error */
	if (rc == SEALMAIL_OK)
		rc = sm_report_add_finding(
		        c->r, SEALMAIL_VERDICT_WARNING, "partly-signed", err,
		        "only part of this message is signed; not signed: %s",
		        list.data != NULL ? (const char *)list.data : "");
	sm_buf_free(&list);
	return rc;
}

/*
 * The report's From: every address, ", " between them.  An address with
 * an internationalised domain gets a note with its ASCII (punycode) form,
 * the form its certificate names: a look-alike domain shows as what it is.
 */
static int
report_from(ctx *c, const char *from_all, sealmail_error *err)
{
	sm_buf list;
	int rc = SEALMAIL_OK;

	sm_buf_init(&list, 2 * sizeof(((sm_mime_entity *)0)->from_all));
	for (const char *p = from_all; rc == SEALMAIL_OK && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char addr[256], ascii[256];

		from_line(addr, sizeof(addr), p, len);
		rc = sm_buf_printf(&list, err, "%s%s",
		                   p != from_all ? ", " : "", addr);
		sm_mime_address_ascii(ascii, sizeof(ascii), addr);
		if (rc == SEALMAIL_OK && strcmp(ascii, addr) != 0)
			rc = sm_report_add_finding(
			        c->r, SEALMAIL_VERDICT_GOOD,
			        "international-from", err,
			        "the From address %s has an internationalised "
			        "domain; its ASCII form is %s",
			        addr, ascii);
		p += len;
		if (*p == '\n')
			p++;
	}
	if (rc == SEALMAIL_OK)
		rc = sm_report_set(
		        &c->r->from,
		        list.data != NULL ? (const char *)list.data : "", err);
	sm_buf_free(&list);
	return rc;
}

int
sealmail_message_open(sealmail_report **report_out,
                      sealmail_store *store,
                      sealmail_input *in,
                      sealmail_output *readable,
                      const sealmail_open_options *opts,
                      sealmail_error *err)
{
	sealmail_open_options defaults = SEALMAIL_OPEN_OPTIONS_INIT;
	ctx c = {.store = store, .input_name = sealmail_input_name(in)};
	sm_mime_source *src = NULL;
	sm_mime_entity top;
	int rc;

	*report_out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != SEALMAIL_OPEN_OPTIONS_VERSION)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "open options version %u not supported",
		                    opts->version);
	c.flags = opts->flags;
	c.temp_dir = opts->temp_dir;
	c.readable = readable;
	c.top_ent = &top;
	c.early.out = readable;
	c.direct.out = readable;
	c.direct.head = direct_head;
	c.direct.payload = &c;
	rc = sm_store_crypto(&c.crypto, store, err);
	if (rc == SEALMAIL_OK)
		rc = sm_report_new(&c.r, err);
	if (rc == SEALMAIL_OK)
		rc = sm_mime_source_new(&src, in, err);
	c.top_src = src;
	if (rc == SEALMAIL_OK)
		rc = sm_mime_entity_parse(&top, src, 0,
		                          sm_mime_source_size(src), true, err);
	if (rc == SEALMAIL_OK)
		rc = report_from(&c, top.from_all, err);
	if (rc == SEALMAIL_OK)
		rc = sm_report_set(&c.r->subject, top.subject, err);
	if (rc == SEALMAIL_OK)
		c.r->date = top.date;
	if (rc == SEALMAIL_OK)
		rc = walk(&c, src, &top, "1", 0, false, true, top.from_all,
		          err);
	/* one pass failed writing: why the output failed */
	if (rc != SEALMAIL_OK && c.early.written)
		(void)sm_output_failure(readable, err);
	if (rc == SEALMAIL_OK) {
		coverage(&c);
		rc = partly_signed(&c, err);
	}
	if (rc == SEALMAIL_OK)
		rc = partly_encrypted(&c, err);
	if (rc == SEALMAIL_OK)
		rc = acks(&c, src, err);
	/*
	 * The verdicts hold for the bytes read only if the file did not change
	 * meanwhile; nor does the readable message, which is copied from the
	 * file again (docs/design.md, "Views of a file").
	 */
	if (rc == SEALMAIL_OK)
		rc = sm_mime_source_check(src, err);
	if (rc == SEALMAIL_OK && readable != NULL &&
	    !sealmail_report_encryption_closed(c.r)) {
		rc = write_readable(&c, src, &top, readable, err);
		/* failed writing: why the output failed, not what it wrote */
		if (rc != SEALMAIL_OK)
			(void)sm_output_failure(readable, err);
		if (rc == SEALMAIL_OK)
			rc = sm_mime_source_check(src, err);
	}
	/* content decrypted straight out, yet no readable message after all */
	if (rc != SEALMAIL_OK || sealmail_report_encryption_closed(c.r))
		sm_open_direct_forget(&c.direct);
	for (size_t i = 0; i < c.nowned; i++)
		sm_mime_source_free(c.owned[i]);
	sm_free(c.owned);
	sm_mime_source_free(src);
	if (rc != SEALMAIL_OK) {
		sealmail_report_free(c.r);
		return rc;
	}
	*report_out = c.r;
	return SEALMAIL_OK;
}
