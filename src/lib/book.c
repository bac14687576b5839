/* SPDX-License-Identifier: MIT */
/*
 * The address book and CA certificates: adding, listing, looking up,
 * trusting, removing and exporting certificates, and the trust rules
 * (effective trust, the certificate to encrypt to) that the mail code uses.
 * Every change is one transaction.
 */
#include <string.h>
#include <time.h>

#include "book_int.h"
#include "db.h"
#include "internal.h"
#include "mime.h"

struct sealmail_cert {
	char fingerprint[SM_FINGERPRINT_SIZE];
	char *subject;
	char *issuer;
	char *serial;
	char *common_name;
	char *contact_name;
	char *key_desc;
	char *via_ca;
	char *words;
	char **addresses;
	size_t naddr;
	int64_t not_before;
	int64_t not_after;
	sealmail_trust trust;
	sealmail_effective_trust effective;
	bool is_ca;
	bool added;
};

struct sealmail_cert_list {
	sealmail_cert **items;
	size_t count;
	size_t cap;
};

/* The CA certificates, loaded once per call: anchors are the trusted ones. */
struct trust_ctx {
	sm_cert **all;
	size_t nall;
	sm_cert **anchors;
	size_t nanchors;
};

/* --- names and words ------------------------------------------------- */

static const char *const trust_names[] = {"untrusted", "trusted", "distrusted"};

const char *
sealmail_trust_name(sealmail_trust trust)
{
	if ((size_t)trust < SM_ARRAY_SIZE(trust_names))
		return trust_names[trust];
	return "unknown";
}

int
sealmail_trust_parse(sealmail_trust *out, const char *name, sealmail_error *err)
{
	for (size_t i = 0; name != NULL && i < SM_ARRAY_SIZE(trust_names);
	     i++) {
		if (strcmp(name, trust_names[i]) == 0) {
			*out = (sealmail_trust)i;
			return SEALMAIL_OK;
		}
	}
	return sm_error_set(err, SEALMAIL_EINVAL,
	                    "unknown trust '%s': use trusted, untrusted or "
	                    "distrusted",
	                    name != NULL ? name : "");
}

const char *
sealmail_effective_trust_words(sealmail_effective_trust trust)
{
	switch (trust) {
	case SEALMAIL_EFFECTIVE_NOT_IN_BOOK:
		return "not in your address book";
	case SEALMAIL_EFFECTIVE_NOT_TRUSTED:
		return "not trusted";
	case SEALMAIL_EFFECTIVE_TRUSTED_BY_YOU:
		return "trusted by you";
	case SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA:
		return "trusted through a CA";
	case SEALMAIL_EFFECTIVE_DISTRUSTED:
		return "distrusted";
	case SEALMAIL_EFFECTIVE_OWN_ID:
		return "your own digital ID";
	}
	return "unknown";
}

const char *
sm_cert_problem_words(sm_cert_problem p)
{
	switch (p) {
	case SM_CERT_OK:
		return "usable";
	case SM_CERT_NONE:
		return "no certificate";
	case SM_CERT_NOT_TRUSTED:
		return "not trusted";
	case SM_CERT_DISTRUSTED:
		return "distrusted";
	case SM_CERT_EXPIRED:
		return "expired";
	case SM_CERT_NOT_YET_VALID:
		return "not yet valid";
	case SM_CERT_WRONG_USAGE:
		return "wrong key usage";
	case SM_CERT_REVOKED:
		return "revoked";
	case SM_CERT_KEY_UNSUPPORTED:
		return "algorithm not supported: sealmail encrypts to RSA and "
		       "EC keys, not X25519 or X448";
	}
	return "unknown";
}

static int
trust_from_text(sealmail_trust *out, const char *text, sealmail_error *err)
{
	for (size_t i = 0; i < SM_ARRAY_SIZE(trust_names); i++) {
		if (strcmp(text, trust_names[i]) == 0) {
			*out = (sealmail_trust)i;
			return SEALMAIL_OK;
		}
	}
	return sm_error_set(err, SEALMAIL_ECORRUPT,
	                    "the store holds an unknown trust value '%s'",
	                    text);
}

/* --- snapshots ------------------------------------------------------- */

void
sealmail_cert_free(sealmail_cert *c)
{
	if (c == NULL)
		return;
	sm_free(c->subject);
	sm_free(c->issuer);
	sm_free(c->serial);
	sm_free(c->common_name);
	sm_free(c->contact_name);
	sm_free(c->key_desc);
	sm_free(c->via_ca);
	sm_free(c->words);
	for (size_t i = 0; i < c->naddr; i++)
		sm_free(c->addresses[i]);
	sm_free(c->addresses);
	sm_free(c);
}

static int
snapshot_new(sealmail_cert **out,
             const sm_cert *cert,
             const char *contact_name,
             sealmail_trust trust,
             sealmail_effective_trust effective,
             const char *via_ca,
             sealmail_error *err)
{
	sealmail_cert *c = sm_calloc(1, sizeof(*c));
	size_t n = sm_cert_address_count(cert);
	sm_buf words;

	if (c == NULL)
		return sm_error_nomem(err);
	memcpy(c->fingerprint, sm_cert_fingerprint(cert), SM_FINGERPRINT_SIZE);
	c->fingerprint[SM_FINGERPRINT_SIZE - 1] = '\0';
	c->subject = sm_strdup(sm_cert_subject(cert));
	c->issuer = sm_strdup(sm_cert_issuer(cert));
	c->serial = sm_strdup(sm_cert_serial(cert));
	c->common_name = sm_strdup(sm_cert_common_name(cert));
	c->contact_name = sm_strdup(contact_name != NULL ? contact_name : "");
	c->key_desc = sm_strdup(sm_cert_key_desc(cert));
	c->via_ca = sm_strdup(via_ca != NULL ? via_ca : "");
	c->not_before = sm_cert_not_before(cert);
	c->not_after = sm_cert_not_after(cert);
	c->trust = trust;
	c->effective = effective;
	c->is_ca = (sm_cert_usage(cert) & SM_USAGE_CA) != 0;
	if (n > 0)
		c->addresses = sm_calloc(n, sizeof(char *));
	if (c->subject == NULL || c->issuer == NULL || c->serial == NULL ||
	    c->common_name == NULL || c->contact_name == NULL ||
	    c->key_desc == NULL || c->via_ca == NULL ||
	    (n > 0 && c->addresses == NULL))
		goto nomem;
	for (; c->naddr < n; c->naddr++) {
		c->addresses[c->naddr] =
		        sm_strdup(sm_cert_address_at(cert, c->naddr));
		if (c->addresses[c->naddr] == NULL)
			goto nomem;
	}
	sm_buf_init(&words, 4096);
	if (effective == SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA && c->via_ca[0])
		(void)sm_buf_printf(&words, NULL, "trusted through CA %s",
		                    c->via_ca);
	else
		(void)sm_buf_puts(&words,
		                  sealmail_effective_trust_words(effective),
		                  NULL);
	c->words = (char *)sm_buf_detach(&words, NULL);
	if (c->words == NULL)
		goto nomem;
	*out = c;
	return SEALMAIL_OK;
nomem:
	sealmail_cert_free(c);
	return sm_error_nomem(err);
}

static int
list_new(sealmail_cert_list **out, sealmail_error *err)
{
	*out = sm_calloc(1, sizeof(**out));
	return *out == NULL ? sm_error_nomem(err) : SEALMAIL_OK;
}

/* Append `c` (taken over, also on failure). */
static int
list_push(sealmail_cert_list *l, sealmail_cert *c, sealmail_error *err)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		sealmail_cert **items =
		        sm_realloc(l->items, cap * sizeof(sealmail_cert *));
		if (items == NULL) {
			sealmail_cert_free(c);
			return sm_error_nomem(err);
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->count++] = c;
	return SEALMAIL_OK;
}

void
sealmail_cert_list_free(sealmail_cert_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		sealmail_cert_free(l->items[i]);
	sm_free(l->items);
	sm_free(l);
}

size_t
sealmail_cert_list_count(const sealmail_cert_list *l)
{
	return l != NULL ? l->count : 0;
}

const sealmail_cert *
sealmail_cert_list_at(const sealmail_cert_list *l, size_t i)
{
	return l != NULL && i < l->count ? l->items[i] : NULL;
}

const char *
sealmail_cert_fingerprint(const sealmail_cert *c)
{
	return c->fingerprint;
}

const char *
sealmail_cert_subject(const sealmail_cert *c)
{
	return c->subject;
}

const char *
sealmail_cert_issuer(const sealmail_cert *c)
{
	return c->issuer;
}

const char *
sealmail_cert_serial(const sealmail_cert *c)
{
	return c->serial;
}

const char *
sealmail_cert_common_name(const sealmail_cert *c)
{
	return c->common_name;
}

const char *
sealmail_cert_contact_name(const sealmail_cert *c)
{
	return c->contact_name;
}

size_t
sealmail_cert_address_count(const sealmail_cert *c)
{
	return c->naddr;
}

const char *
sealmail_cert_address_at(const sealmail_cert *c, size_t i)
{
	return i < c->naddr ? c->addresses[i] : NULL;
}

int64_t
sealmail_cert_not_before(const sealmail_cert *c)
{
	return c->not_before;
}

int64_t
sealmail_cert_not_after(const sealmail_cert *c)
{
	return c->not_after;
}

const char *
sealmail_cert_key_desc(const sealmail_cert *c)
{
	return c->key_desc;
}

sealmail_trust
sealmail_cert_trust(const sealmail_cert *c)
{
	return c->trust;
}

sealmail_effective_trust
sealmail_cert_effective_trust(const sealmail_cert *c)
{
	return c->effective;
}

const char *
sealmail_cert_via_ca(const sealmail_cert *c)
{
	return c->via_ca;
}

const char *
sealmail_cert_trust_words(const sealmail_cert *c)
{
	return c->words;
}

bool
sealmail_cert_is_ca(const sealmail_cert *c)
{
	return c->is_ca;
}

bool
sealmail_cert_added(const sealmail_cert *c)
{
	return c->added;
}

/* --- trust rules ----------------------------------------------------- */

static void
trust_ctx_clear(struct trust_ctx *tc)
{
	sm_cert_list_free(tc->all, tc->nall);
	sm_free(tc->anchors);
	memset(tc, 0, sizeof(*tc));
}

static int
trust_ctx_load(struct trust_ctx *tc, sealmail_store *store, sealmail_error *err)
{
	sm_crypto *crypto;
	sm_stmt *st = NULL;
	int64_t n;
	int rc;

	memset(tc, 0, sizeof(*tc));
	rc = sm_store_crypto(&crypto, store, err);
	if (rc < 0)
		return rc;
	rc = sm_stmt_prepare(&st, store, "SELECT count(*) FROM cas", err);
	if (rc < 0)
		return rc;
	rc = sm_stmt_step(st, err);
	n = rc == SM_STEP_ROW ? sm_stmt_column_int64(st, 0) : 0;
	sm_stmt_free(st);
	st = NULL;
	if (rc < 0)
		return rc;
	if (n <= 0)
		return SEALMAIL_OK;
	tc->all = sm_calloc((size_t)n, sizeof(sm_cert *));
	tc->anchors = sm_calloc((size_t)n, sizeof(sm_cert *));
	if (tc->all == NULL || tc->anchors == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT der, trust FROM cas ORDER BY id", err);
	if (rc < 0)
		goto out;
	while ((rc = sm_stmt_step(st, err)) == SM_STEP_ROW &&
	       tc->nall < (size_t)n) {
		size_t len;
		const void *der = sm_stmt_column_blob(st, 0, &len);
		sm_cert *ca;

		rc = sm_cert_from_der(&ca, crypto, der, len, err);
		if (rc < 0)
			goto out;
		tc->all[tc->nall++] = ca;
		if (strcmp(sm_stmt_column_text(st, 1), "trusted") == 0)
			tc->anchors[tc->nanchors++] = ca;
	}
out:
	sm_stmt_free(st);
	if (rc < 0) {
		trust_ctx_clear(tc);
		return rc;
	}
	return SEALMAIL_OK;
}

/* The book's certificates, or only those whose serial is `serial`. */
static int
book_certs(sm_cert ***out,
           size_t *n_out,
           sealmail_store *store,
           const char *serial,
           sealmail_error *err)
{
	sm_crypto *crypto;
	sm_stmt *st = NULL;
	sm_cert **list = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	rc = sm_store_crypto(&crypto, store, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_prepare(&st, store,
		                     serial != NULL
		                             ? "SELECT der FROM certificates "
		                               "WHERE serial = ?1 ORDER BY id"
		                             : "SELECT der FROM certificates "
		                               "ORDER BY id",
		                     err);
	if (rc == SEALMAIL_OK && serial != NULL)
		rc = sm_stmt_bind_text(st, 1, serial, err);
	while (rc >= 0 && (rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		size_t len;
		const void *der = sm_stmt_column_blob(st, 0, &len);

		if (n == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			sm_cert **grown =
			        sm_realloc(list, ncap * sizeof(sm_cert *));
			if (grown == NULL) {
				rc = sm_error_nomem(err);
				break;
			}
			list = grown;
			cap = ncap;
		}
		rc = sm_cert_from_der(&list[n], crypto, der, len, err);
		if (rc == SEALMAIL_OK)
			n++;
	}
	sm_stmt_free(st);
	if (rc < 0) {
		sm_cert_list_free(list, n);
		return rc;
	}
	*out = list;
	*n_out = n;
	return SEALMAIL_OK;
}

int
sm_book_all_certs(sm_cert ***out,
                  size_t *n_out,
                  sealmail_store *store,
                  sealmail_error *err)
{
	return book_certs(out, n_out, store, NULL, err);
}

int
sm_book_certs_with_serial(sm_cert ***out,
                          size_t *n_out,
                          sealmail_store *store,
                          const char *serial,
                          sealmail_error *err)
{
	return book_certs(out, n_out, store, serial, err);
}

/* A display name for a CA: its common name, else its subject. */
static const char *
ca_name(const sm_cert *ca)
{
	const char *cn = sm_cert_common_name(ca);
	return cn[0] != '\0' ? cn : sm_cert_subject(ca);
}

/* Does the fingerprint belong to one of your digital IDs? */
static int
is_own_id(bool *out, sealmail_store *store, const char *fp, sealmail_error *err)
{
	sm_stmt *st;
	int rc = sm_stmt_prepare(
	        &st, store, "SELECT 1 FROM identities WHERE fingerprint = ?",
	        err);
	if (rc < 0)
		return rc;
	rc = sm_stmt_bind_text(st, 1, fp, err);
	if (rc >= 0)
		rc = sm_stmt_step(st, err);
	sm_stmt_free(st);
	if (rc < 0)
		return rc;
	*out = rc == SM_STEP_ROW;
	return SEALMAIL_OK;
}

/* Chains to a trusted CA?  `via` gets its name ("" when it does not). */
static int
chains_to_ca(bool *out,
             char *via,
             size_t via_size,
             const struct trust_ctx *tc,
             const sm_cert *cert,
             sm_cert *const *extra,
             size_t nextra,
             sealmail_error *err)
{
	sm_cert **helpers = NULL;
	const sm_cert *anchor = NULL;
	int64_t now = (int64_t)time(NULL), at = now;
	sealmail_error scratch;
	int rc;

	*out = false;
	if (via != NULL && via_size > 0)
		via[0] = '\0';
	if (tc->nanchors == 0)
		return SEALMAIL_OK;
	if (nextra + tc->nall > 0) {
		helpers = sm_calloc(nextra + tc->nall, sizeof(sm_cert *));
		if (helpers == NULL)
			return sm_error_nomem(err);
		for (size_t i = 0; i < nextra; i++)
			helpers[i] = extra[i];
		for (size_t i = 0; i < tc->nall; i++)
			helpers[nextra + i] = tc->all[i];
	}
	/* Trust is checked inside the validity period: expiry is apart. */
	if (at > sm_cert_not_after(cert))
		at = sm_cert_not_after(cert);
	if (at < sm_cert_not_before(cert))
		at = sm_cert_not_before(cert);
	if (at == 0)
		at = 1;
	memset(&scratch, 0, sizeof(scratch));
	rc = sm_cert_chain_verify(cert, helpers, nextra + tc->nall, tc->anchors,
	                          tc->nanchors, at, &anchor, &scratch);
	sm_free(helpers);
	if (rc == SEALMAIL_ENOTFOUND)
		return SEALMAIL_OK;
	if (rc < 0) {
		if (err != NULL)
			*err = scratch;
		return rc;
	}
	*out = true;
	if (via != NULL && via_size > 0 && anchor != NULL) {
		size_t n = strlen(ca_name(anchor));
		if (n >= via_size)
			n = via_size - 1;
		memcpy(via, ca_name(anchor), n);
		via[n] = '\0';
	}
	return SEALMAIL_OK;
}

/*
 * `known_own`: whether `cert` is one of your digital IDs when the caller
 * knows (0 or 1), else negative to look it up.
 */
static int
effective_trust(sealmail_effective_trust *out,
                char *via,
                size_t via_size,
                sealmail_store *store,
                const struct trust_ctx *tc,
                const sm_cert *cert,
                bool in_book,
                sealmail_trust trust,
                int known_own,
                sm_cert *const *extra,
                size_t nextra,
                sealmail_error *err)
{
	bool own = known_own > 0, chained = false;
	int rc;

	if (via != NULL && via_size > 0)
		via[0] = '\0';
	if (in_book && trust == SEALMAIL_TRUST_DISTRUSTED) {
		*out = SEALMAIL_EFFECTIVE_DISTRUSTED;
		return SEALMAIL_OK;
	}
	if (known_own < 0) {
		rc = is_own_id(&own, store, sm_cert_fingerprint(cert), err);
		if (rc < 0)
			return rc;
	}
	if (own) {
		*out = SEALMAIL_EFFECTIVE_OWN_ID;
		return SEALMAIL_OK;
	}
	if (in_book && trust == SEALMAIL_TRUST_TRUSTED) {
		*out = SEALMAIL_EFFECTIVE_TRUSTED_BY_YOU;
		return SEALMAIL_OK;
	}
	rc = chains_to_ca(&chained, via, via_size, tc, cert, extra, nextra,
	                  err);
	if (rc < 0)
		return rc;
	if (chained)
		*out = SEALMAIL_EFFECTIVE_TRUSTED_VIA_CA;
	else if (in_book)
		*out = SEALMAIL_EFFECTIVE_NOT_TRUSTED;
	else
		*out = SEALMAIL_EFFECTIVE_NOT_IN_BOOK;
	return SEALMAIL_OK;
}

int
sm_book_effective_trust(sealmail_effective_trust *out,
                        char *via_ca,
                        size_t via_ca_size,
                        sealmail_store *store,
                        const sm_cert *cert,
                        sm_cert *const *extra,
                        size_t nextra,
                        sealmail_error *err)
{
	struct trust_ctx tc;
	sealmail_trust trust = SEALMAIL_TRUST_UNTRUSTED;
	bool in_book = false, own = false;
	sm_stmt *st;
	int rc;

	/*
	 * The book's trust and whether it is one of your IDs in one
	 * statement; the CAs only when the answer depends on them (issue 7:
	 * each statement of a fresh process is cold code).
	 */
	memset(&tc, 0, sizeof(tc));
	rc = sm_stmt_prepare(
	        &st, store,
	        "SELECT (SELECT trust FROM certificates WHERE fingerprint = "
	        "?1),"
	        " EXISTS (SELECT 1 FROM identities WHERE fingerprint = ?1)",
	        err);
	if (rc < 0)
		return rc;
	rc = sm_stmt_bind_text(st, 1, sm_cert_fingerprint(cert), err);
	if (rc >= 0)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_ROW) {
		own = sm_stmt_column_int64(st, 1) != 0;
		if (!sm_stmt_column_is_null(st, 0)) {
			in_book = true;
			rc = trust_from_text(&trust, sm_stmt_column_text(st, 0),
			                     err);
		}
	}
	sm_stmt_free(st);
	if (rc < 0)
		return rc;
	if (!own && trust == SEALMAIL_TRUST_UNTRUSTED) {
		rc = trust_ctx_load(&tc, store, err);
		if (rc < 0)
			return rc;
	}
	rc = effective_trust(out, via_ca, via_ca_size, store, &tc, cert,
	                     in_book, trust, own, extra, nextra, err);
	trust_ctx_clear(&tc);
	return rc;
}

/* How relevant a problem is when no certificate is usable (higher wins). */
static int
problem_rank(sm_cert_problem p)
{
	switch (p) {
	case SM_CERT_NOT_TRUSTED:
		return 7;
	case SM_CERT_EXPIRED:
		return 6;
	case SM_CERT_NOT_YET_VALID:
		return 5;
	case SM_CERT_WRONG_USAGE:
	case SM_CERT_KEY_UNSUPPORTED:
		return 4;
	case SM_CERT_REVOKED:
		return 3;
	case SM_CERT_DISTRUSTED:
		return 2;
	case SM_CERT_NONE:
	case SM_CERT_OK:
		break;
	}
	return 0;
}

int
sm_book_encryption_cert(sm_cert **out,
                        unsigned int *caps,
                        sm_cert_problem *why,
                        sealmail_store *store,
                        const char *address,
                        int64_t now,
                        sealmail_error *err)
{
	struct trust_ctx tc;
	bool tc_loaded = false;
	sm_crypto *crypto;
	sm_stmt *st = NULL;
	sm_cert *best = NULL;
	unsigned int best_caps = 0;
	sm_cert_problem worst = SM_CERT_NONE;
	char *addr;
	int rc;

	*out = NULL;
	*why = SM_CERT_NONE;
	if (caps != NULL)
		*caps = 0;
	memset(&tc, 0, sizeof(tc));
	if (now == 0)
		now = (int64_t)time(NULL);
	addr = sm_mime_address_ascii_dup(address);
	if (addr == NULL)
		return sm_error_nomem(err);
	rc = sm_store_crypto(&crypto, store, err);
	if (rc < 0)
		goto out_addr;
	/*
	 * One statement for each certificate's trust, capabilities and
	 * whether it is one of your IDs; the CAs only when a certificate's
	 * trust depends on them (issue 7: each statement of a fresh process
	 * is cold code).
	 */
	rc = sm_stmt_prepare(
	        &st, store,
	        "SELECT c.der, c.trust, c.capabilities, c.fingerprint,"
	        " EXISTS (SELECT 1 FROM identities i"
	        "  WHERE i.fingerprint = c.fingerprint)"
	        " FROM certificates c"
	        " JOIN certificate_addresses a ON a.certificate_id = c.id"
	        " WHERE a.address = ? ORDER BY c.id",
	        err);
	if (rc >= 0)
		rc = sm_stmt_bind_text(st, 1, addr, err);
	while (rc >= 0 && (rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		size_t len;
		const void *der = sm_stmt_column_blob(st, 0, &len);
		sealmail_trust trust = SEALMAIL_TRUST_UNTRUSTED;
		sealmail_effective_trust eff = SEALMAIL_EFFECTIVE_NOT_IN_BOOK;
		sm_cert_problem p = SM_CERT_OK;
		unsigned int need = SM_USAGE_ENCRYPT | SM_USAGE_EMAIL;
		int own = -1;
		sm_cert *cert;

		rc = trust_from_text(&trust, sm_stmt_column_text(st, 1), err);
		if (rc < 0)
			break;
		rc = sm_cert_from_der(&cert, crypto, der, len, err);
		if (rc < 0)
			break;
		/* the row's own-ID answer holds for the row's fingerprint */
		if (strcmp(sm_stmt_column_text(st, 3),
		           sm_cert_fingerprint(cert)) == 0)
			own = sm_stmt_column_int64(st, 4) != 0;
		if (!tc_loaded && trust == SEALMAIL_TRUST_UNTRUSTED &&
		    own != 1) {
			rc = trust_ctx_load(&tc, store, err);
			if (rc < 0) {
				sm_cert_free(cert);
				break;
			}
			tc_loaded = true;
		}
		rc = effective_trust(&eff, NULL, 0, store, &tc, cert, true,
		                     trust, own, NULL, 0, err);
		if (rc < 0) {
			sm_cert_free(cert);
			break;
		}
		if (eff == SEALMAIL_EFFECTIVE_DISTRUSTED)
			p = SM_CERT_DISTRUSTED;
		else if ((sm_cert_usage(cert) & need) != need ||
		         !sm_cert_has_address(cert, addr))
			p = SM_CERT_WRONG_USAGE;
		else if (!sm_cms_can_encrypt_to(cert))
			p = SM_CERT_KEY_UNSUPPORTED;
		else if (now > sm_cert_not_after(cert))
			p = SM_CERT_EXPIRED;
		else if (now < sm_cert_not_before(cert))
			p = SM_CERT_NOT_YET_VALID;
		else if (eff == SEALMAIL_EFFECTIVE_NOT_TRUSTED)
			p = SM_CERT_NOT_TRUSTED;
		if (p == SM_CERT_OK) {
			if (best == NULL ||
			    sm_cert_not_after(cert) > sm_cert_not_after(best)) {
				const void *cap =
				        sm_stmt_column_blob(st, 2, &len);

				sm_cert_free(best);
				best = cert;
				cert = NULL;
				best_caps =
				        cap != NULL && len > 0
				                ? sm_smime_caps_bits(cap, len)
				                : 0;
			}
		} else if (problem_rank(p) > problem_rank(worst)) {
			worst = p;
		}
		sm_cert_free(cert);
	}
	sm_stmt_free(st);
	trust_ctx_clear(&tc);
	if (rc < 0) {
		sm_cert_free(best);
		goto out_addr;
	}
	rc = SEALMAIL_OK;
	if (best != NULL) {
		*out = best;
		*why = SM_CERT_OK;
		if (caps != NULL)
			*caps = best_caps;
	} else {
		*why = worst;
	}
out_addr:
	sm_free(addr);
	return rc;
}

/* --- queries --------------------------------------------------------- */

/*
 * Normalise a fingerprint query: hex digits lower-cased, colons and spaces
 * dropped.  EINVAL when it is not 4 to 64 hex digits.
 */
static int
fingerprint_query(char out[SM_FINGERPRINT_SIZE],
                  const char *query,
                  sealmail_error *err)
{
	size_t n = 0;

	for (const char *p = query; *p != '\0'; p++) {
		char ch = *p;
		if (ch == ':' || ch == ' ')
			continue;
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) ||
		    n == SM_FINGERPRINT_SIZE - 1)
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "'%s' is neither an address nor a "
			                    "fingerprint",
			                    query);
		out[n++] = ch;
	}
	out[n] = '\0';
	if (n < 4)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "fingerprint prefix '%s' is too short: "
		                    "give 4 or more hex digits",
		                    query);
	return SEALMAIL_OK;
}

struct ids {
	int64_t *v;
	char **fp;
	size_t n;
};

static void
ids_clear(struct ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		sm_free(ids->fp[i]);
	sm_free(ids->fp);
	sm_free(ids->v);
	memset(ids, 0, sizeof(*ids));
}

static int
ids_push(struct ids *ids, int64_t id, const char *fp, sealmail_error *err)
{
	int64_t *v = sm_realloc(ids->v, (ids->n + 1) * sizeof(*v));
	char **f;

	if (v == NULL)
		return sm_error_nomem(err);
	ids->v = v;
	f = sm_realloc(ids->fp, (ids->n + 1) * sizeof(*f));
	if (f == NULL)
		return sm_error_nomem(err);
	ids->fp = f;
	ids->fp[ids->n] = sm_strdup(fp);
	if (ids->fp[ids->n] == NULL)
		return sm_error_nomem(err);
	ids->v[ids->n++] = id;
	return SEALMAIL_OK;
}

/* "fp1, fp2, ..." into buf. */
static void
ids_join(char *buf, size_t size, const struct ids *ids)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ids->n && used + 1 < size; i++) {
		size_t n = strlen(ids->fp[i]);
		if (i > 0 && used + 2 < size) {
			memcpy(buf + used, ", ", 2);
			used += 2;
		}
		if (used + n >= size)
			n = size - used - 1;
		memcpy(buf + used, ids->fp[i], n);
		used += n;
		buf[used] = '\0';
	}
}

/*
 * Ids of the certificates in `table` ("certificates" or "cas") that `query`
 * names.  ENOTFOUND when none; EAMBIGUOUS when a fingerprint prefix matches
 * several.  `what` names the table for messages.
 */
static int
resolve(struct ids *ids,
        sealmail_store *store,
        const char *query,
        bool cas,
        sealmail_error *err)
{
	const char *what = cas ? "CA certificate" : "certificate";
	char fp[SM_FINGERPRINT_SIZE];
	char list[400];
	char *addr = NULL;
	sm_stmt *st = NULL;
	int rc;

	memset(ids, 0, sizeof(*ids));
	if (query == NULL || query[0] == '\0')
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "no address or fingerprint given");
	if (!cas && strchr(query, '@') != NULL) {
		addr = sm_mime_address_ascii_dup(query);
		if (addr == NULL)
			return sm_error_nomem(err);
		rc = sm_stmt_prepare(
		        &st, store,
		        "SELECT c.id, c.fingerprint FROM certificates c"
		        " JOIN certificate_addresses a"
		        " ON a.certificate_id = c.id"
		        " WHERE a.address = ? ORDER BY c.not_after DESC, c.id",
		        err);
		if (rc >= 0)
			rc = sm_stmt_bind_text(st, 1, addr, err);
	} else {
		rc = fingerprint_query(fp, query, err);
		if (rc < 0)
			return rc;
		rc = sm_stmt_prepare(
		        &st, store,
		        cas ? "SELECT id, fingerprint FROM cas"
		              " WHERE substr(fingerprint, 1, ?) = ? ORDER BY id"
		            : "SELECT id, fingerprint FROM certificates"
		              " WHERE substr(fingerprint, 1, ?) = ? ORDER BY "
		              "id",
		        err);
		if (rc >= 0)
			rc = sm_stmt_bind_int64(st, 1, (int64_t)strlen(fp),
			                        err);
		if (rc >= 0)
			rc = sm_stmt_bind_text(st, 2, fp, err);
	}
	while (rc >= 0 && (rc = sm_stmt_step(st, err)) == SM_STEP_ROW)
		rc = ids_push(ids, sm_stmt_column_int64(st, 0),
		              sm_stmt_column_text(st, 1), err);
	sm_stmt_free(st);
	if (rc < 0)
		goto fail;
	if (ids->n == 0) {
		if (addr != NULL)
			rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
			                  "no certificate for %s in the "
			                  "address book",
			                  addr);
		else
			rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
			                  "no %s with fingerprint %s%s", what,
			                  fp,
			                  cas ? "" : " in the address book");
		goto fail;
	}
	if (addr == NULL && ids->n > 1) {
		ids_join(list, sizeof(list), ids);
		rc = sm_error_set(err, SEALMAIL_EAMBIGUOUS,
		                  "fingerprint prefix %s matches %zu %ss: %s",
		                  fp, ids->n, what, list);
		goto fail;
	}
	sm_free(addr);
	return SEALMAIL_OK;
fail:
	sm_free(addr);
	ids_clear(ids);
	return rc;
}

/* Exactly one certificate: an address with several is EAMBIGUOUS. */
static int
resolve_one(int64_t *id_out,
            sealmail_store *store,
            const char *query,
            bool cas,
            sealmail_error *err)
{
	struct ids ids;
	char list[400];
	int rc = resolve(&ids, store, query, cas, err);

	if (rc < 0)
		return rc;
	if (ids.n > 1) {
		ids_join(list, sizeof(list), &ids);
		rc = sm_error_set(err, SEALMAIL_EAMBIGUOUS,
		                  "%s has %zu certificates, name one by "
		                  "fingerprint: %s",
		                  query, ids.n, list);
		ids_clear(&ids);
		return rc;
	}
	*id_out = ids.v[0];
	ids_clear(&ids);
	return SEALMAIL_OK;
}

/*
 * Snapshots of the book certificates selected by `st`, whose columns are
 * (der, trust, contact name), appended to `list`.
 */
static int
snap_rows(sealmail_cert_list *list,
          sealmail_store *store,
          const struct trust_ctx *tc,
          sm_stmt *st,
          bool cas,
          sealmail_error *err)
{
	sm_crypto *crypto;
	int rc = sm_store_crypto(&crypto, store, err);

	while (rc >= 0 && (rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		size_t len;
		const void *der = sm_stmt_column_blob(st, 0, &len);
		sealmail_trust trust = SEALMAIL_TRUST_UNTRUSTED;
		sealmail_effective_trust eff = SEALMAIL_EFFECTIVE_NOT_IN_BOOK;
		char via[256];
		sealmail_cert *snap = NULL;
		sm_cert *cert;

		rc = trust_from_text(&trust, sm_stmt_column_text(st, 1), err);
		if (rc < 0)
			break;
		rc = sm_cert_from_der(&cert, crypto, der, len, err);
		if (rc < 0)
			break;
		via[0] = '\0';
		if (cas)
			eff = trust == SEALMAIL_TRUST_TRUSTED
			              ? SEALMAIL_EFFECTIVE_TRUSTED_BY_YOU
			              : SEALMAIL_EFFECTIVE_NOT_TRUSTED;
		else
			rc = effective_trust(&eff, via, sizeof(via), store, tc,
			                     cert, true, trust, -1, NULL, 0,
			                     err);
		if (rc >= 0)
			rc = snapshot_new(&snap, cert,
			                  sm_stmt_column_text(st, 2), trust,
			                  eff, via, err);
		sm_cert_free(cert);
		if (rc >= 0)
			rc = list_push(list, snap, err);
	}
	return rc < 0 ? rc : SEALMAIL_OK;
}

#define BOOK_SELECT                                                       \
	"SELECT c.der, c.trust, COALESCE(k.name, '') FROM certificates c" \
	" LEFT JOIN contacts k ON k.id = c.contact_id"
#define CA_SELECT "SELECT der, trust, '' FROM cas"

/* Snapshots of the given ids (book or CA table), in that order. */
static int
snap_ids(sealmail_cert_list *list,
         sealmail_store *store,
         const struct trust_ctx *tc,
         const int64_t *ids,
         size_t n,
         bool cas,
         sealmail_error *err)
{
	for (size_t i = 0; i < n; i++) {
		sm_stmt *st;
		int rc = sm_stmt_prepare(&st, store,
		                         cas ? CA_SELECT " WHERE id = ?"
		                             : BOOK_SELECT " WHERE c.id = ?",
		                         err);
		if (rc < 0)
			return rc;
		rc = sm_stmt_bind_int64(st, 1, ids[i], err);
		if (rc >= 0)
			rc = snap_rows(list, store, tc, st, cas, err);
		sm_stmt_free(st);
		if (rc < 0)
			return rc;
	}
	return SEALMAIL_OK;
}

int
sealmail_book_list(sealmail_cert_list **out,
                   sealmail_store *store,
                   sealmail_error *err)
{
	struct trust_ctx tc;
	sealmail_cert_list *list;
	sm_stmt *st;
	int rc;

	*out = NULL;
	rc = trust_ctx_load(&tc, store, err);
	if (rc < 0)
		return rc;
	rc = list_new(&list, err);
	if (rc >= 0)
		rc = sm_stmt_prepare(
		        &st, store,
		        BOOK_SELECT
		        " ORDER BY k.name IS NULL, k.name COLLATE NOCASE,"
		        " (SELECT min(address) FROM certificate_addresses"
		        "  WHERE certificate_id = c.id), c.not_after, c.id",
		        err);
	if (rc >= 0) {
		rc = snap_rows(list, store, &tc, st, false, err);
		sm_stmt_free(st);
	}
	trust_ctx_clear(&tc);
	if (rc < 0) {
		sealmail_cert_list_free(list);
		return rc;
	}
	*out = list;
	return SEALMAIL_OK;
}

int
sealmail_book_lookup(sealmail_cert_list **out,
                     sealmail_store *store,
                     const char *query,
                     sealmail_error *err)
{
	struct trust_ctx tc;
	struct ids ids;
	sealmail_cert_list *list = NULL;
	int rc;

	*out = NULL;
	rc = resolve(&ids, store, query, false, err);
	if (rc < 0)
		return rc;
	rc = trust_ctx_load(&tc, store, err);
	if (rc >= 0) {
		rc = list_new(&list, err);
		if (rc >= 0)
			rc = snap_ids(list, store, &tc, ids.v, ids.n, false,
			              err);
		trust_ctx_clear(&tc);
	}
	ids_clear(&ids);
	if (rc < 0) {
		sealmail_cert_list_free(list);
		return rc;
	}
	*out = list;
	return SEALMAIL_OK;
}

/* --- changes --------------------------------------------------------- */

static int
exec_id(sealmail_store *store, const char *sql, int64_t id, sealmail_error *err)
{
	sm_stmt *st;
	int rc = sm_stmt_prepare(&st, store, sql, err);

	if (rc < 0)
		return rc;
	rc = sm_stmt_bind_int64(st, 1, id, err);
	if (rc >= 0)
		rc = sm_stmt_step(st, err);
	sm_stmt_free(st);
	return rc < 0 ? rc : SEALMAIL_OK;
}

/* The contact that owns one of the certificate's addresses, or 0. */
static int
find_contact(int64_t *out,
             sealmail_store *store,
             const sm_cert *cert,
             sealmail_error *err)
{
	*out = 0;
	for (size_t i = 0; i < sm_cert_address_count(cert) && *out == 0; i++) {
		sm_stmt *st;
		int rc = sm_stmt_prepare(
		        &st, store,
		        "SELECT contact_id FROM contact_addresses"
		        " WHERE address = ?",
		        err);
		if (rc < 0)
			return rc;
		rc = sm_stmt_bind_text(st, 1, sm_cert_address_at(cert, i), err);
		if (rc >= 0)
			rc = sm_stmt_step(st, err);
		if (rc == SM_STEP_ROW)
			*out = sm_stmt_column_int64(st, 0);
		sm_stmt_free(st);
		if (rc < 0)
			return rc;
	}
	return SEALMAIL_OK;
}

static int
set_contact_name(sealmail_store *store,
                 int64_t contact,
                 const char *name,
                 sealmail_error *err)
{
	sm_stmt *st;
	int rc = sm_stmt_prepare(
	        &st, store, "UPDATE contacts SET name = ? WHERE id = ?", err);
	if (rc < 0)
		return rc;
	rc = sm_stmt_bind_text(st, 1, name, err);
	if (rc >= 0)
		rc = sm_stmt_bind_int64(st, 2, contact, err);
	if (rc >= 0)
		rc = sm_stmt_step(st, err);
	sm_stmt_free(st);
	return rc < 0 ? rc : SEALMAIL_OK;
}

/*
 * Add one certificate inside the caller's transaction.  `*id_out` is its row
 * id, `*added` whether it was new.  `contact_name` NULL: keep or derive.
 */
static int
add_in_tx(int64_t *id_out,
          bool *added,
          sealmail_store *store,
          const sm_cert *cert,
          const char *contact_name,
          sealmail_error *err)
{
	const char *fp = sm_cert_fingerprint(cert);
	size_t derlen;
	const unsigned char *der = sm_cert_der(cert, &derlen);
	int64_t contact = 0;
	sm_stmt *st;
	int rc;

	*added = false;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT id, contact_id FROM certificates"
	                     " WHERE fingerprint = ?",
	                     err);
	if (rc < 0)
		return rc;
	rc = sm_stmt_bind_text(st, 1, fp, err);
	if (rc >= 0)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_ROW) {
		*id_out = sm_stmt_column_int64(st, 0);
		contact = sm_stmt_column_is_null(st, 1)
		                  ? 0
		                  : sm_stmt_column_int64(st, 1);
	}
	sm_stmt_free(st);
	if (rc < 0)
		return rc;
	if (rc == SM_STEP_ROW) {
		/* Already there: only a new contact name changes. */
		if (contact != 0 && contact_name != NULL &&
		    contact_name[0] != '\0')
			return set_contact_name(store, contact, contact_name,
			                        err);
		return SEALMAIL_OK;
	}

	if (sm_cert_address_count(cert) > 0) {
		rc = find_contact(&contact, store, cert, err);
		if (rc < 0)
			return rc;
		if (contact != 0 && contact_name != NULL &&
		    contact_name[0] != '\0') {
			rc = set_contact_name(store, contact, contact_name,
			                      err);
			if (rc < 0)
				return rc;
		}
		if (contact == 0) {
			const char *name = contact_name;
			if (name == NULL || name[0] == '\0')
				name = sm_cert_common_name(cert);
			rc = sm_stmt_prepare(
			        &st, store,
			        "INSERT INTO contacts (name) VALUES (?)", err);
			if (rc < 0)
				return rc;
			rc = sm_stmt_bind_text(st, 1, name, err);
			if (rc >= 0)
				rc = sm_stmt_step(st, err);
			sm_stmt_free(st);
			if (rc < 0)
				return rc;
			contact = sm_db_last_insert_id(store);
		}
		for (size_t i = 0; i < sm_cert_address_count(cert); i++) {
			rc = sm_stmt_prepare(
			        &st, store,
			        "INSERT OR IGNORE INTO contact_addresses"
			        " (contact_id, address) VALUES (?, ?)",
			        err);
			if (rc < 0)
				return rc;
			rc = sm_stmt_bind_int64(st, 1, contact, err);
			if (rc >= 0)
				rc = sm_stmt_bind_text(
				        st, 2, sm_cert_address_at(cert, i),
				        err);
			if (rc >= 0)
				rc = sm_stmt_step(st, err);
			sm_stmt_free(st);
			if (rc < 0)
				return rc;
		}
	}

	rc = sm_stmt_prepare(
	        &st, store,
	        "INSERT INTO certificates (contact_id, fingerprint, der,"
	        " subject, issuer, serial, not_before, not_after, trust, added)"
	        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'untrusted', ?)",
	        err);
	if (rc < 0)
		return rc;
	if (contact != 0)
		rc = sm_stmt_bind_int64(st, 1, contact, err);
	else
		rc = sm_stmt_bind_null(st, 1, err);
	if (rc >= 0)
		rc = sm_stmt_bind_text(st, 2, fp, err);
	if (rc >= 0)
		rc = sm_stmt_bind_blob(st, 3, der, derlen, err);
	if (rc >= 0)
		rc = sm_stmt_bind_text(st, 4, sm_cert_subject(cert), err);
	if (rc >= 0)
		rc = sm_stmt_bind_text(st, 5, sm_cert_issuer(cert), err);
	if (rc >= 0)
		rc = sm_stmt_bind_text(st, 6, sm_cert_serial(cert), err);
	if (rc >= 0)
		rc = sm_stmt_bind_int64(st, 7, sm_cert_not_before(cert), err);
	if (rc >= 0)
		rc = sm_stmt_bind_int64(st, 8, sm_cert_not_after(cert), err);
	if (rc >= 0)
		rc = sm_stmt_bind_int64(st, 9, (int64_t)time(NULL), err);
	if (rc >= 0)
		rc = sm_stmt_step(st, err);
	sm_stmt_free(st);
	if (rc < 0)
		return rc;
	*id_out = sm_db_last_insert_id(store);
	for (size_t i = 0; i < sm_cert_address_count(cert); i++) {
		rc = sm_stmt_prepare(
		        &st, store,
		        "INSERT OR IGNORE INTO certificate_addresses"
		        " (certificate_id, address) VALUES (?, ?)",
		        err);
		if (rc < 0)
			return rc;
		rc = sm_stmt_bind_int64(st, 1, *id_out, err);
		if (rc >= 0)
			rc = sm_stmt_bind_text(
			        st, 2, sm_cert_address_at(cert, i), err);
		if (rc >= 0)
			rc = sm_stmt_step(st, err);
		sm_stmt_free(st);
		if (rc < 0)
			return rc;
	}
	*added = true;
	return SEALMAIL_OK;
}

int
sm_book_add_cert(bool *added_out,
                 sealmail_store *store,
                 const sm_cert *cert,
                 const char *contact_name,
                 const unsigned char *capabilities,
                 size_t caplen,
                 sealmail_error *err)
{
	bool added = false;
	int64_t id = 0;
	int rc = sm_db_begin(store, err);

	if (rc < 0)
		return rc;
	rc = add_in_tx(&id, &added, store, cert, contact_name, err);
	if (rc >= 0 && capabilities != NULL && caplen > 0) {
		sm_stmt *st;
		rc = sm_stmt_prepare(
		        &st, store,
		        "UPDATE certificates SET capabilities = ? WHERE id = ?",
		        err);
		if (rc >= 0) {
			rc = sm_stmt_bind_blob(st, 1, capabilities, caplen,
			                       err);
			if (rc >= 0)
				rc = sm_stmt_bind_int64(st, 2, id, err);
			if (rc >= 0)
				rc = sm_stmt_step(st, err);
			sm_stmt_free(st);
		}
	}
	if (rc >= 0)
		rc = sm_db_commit(store, err);
	if (rc < 0) {
		sm_db_rollback(store);
		return rc;
	}
	if (added_out != NULL)
		*added_out = added;
	return SEALMAIL_OK;
}

int
sm_book_capabilities(unsigned char **der_out,
                     size_t *len_out,
                     sealmail_store *store,
                     const char *fingerprint,
                     sealmail_error *err)
{
	sm_stmt *st;
	int rc;

	*der_out = NULL;
	*len_out = 0;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT capabilities FROM certificates"
	                     " WHERE fingerprint = ?",
	                     err);
	if (rc < 0)
		return rc;
	rc = sm_stmt_bind_text(st, 1, fingerprint, err);
	if (rc >= 0)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_ROW && !sm_stmt_column_is_null(st, 0)) {
		size_t len;
		const void *der = sm_stmt_column_blob(st, 0, &len);
		if (len > 0) {
			*der_out = sm_malloc(len);
			if (*der_out == NULL) {
				sm_stmt_free(st);
				return sm_error_nomem(err);
			}
			memcpy(*der_out, der, len);
			*len_out = len;
		}
	}
	sm_stmt_free(st);
	if (rc < 0)
		return rc;
	if (*der_out == NULL)
		return sm_error_set(err, SEALMAIL_ENOTFOUND,
		                    "no capabilities recorded for %s",
		                    fingerprint);
	return SEALMAIL_OK;
}

static int
parse_certs(sm_cert ***list,
            size_t *n,
            sealmail_store *store,
            const void *data,
            size_t len,
            sealmail_error *err)
{
	sm_crypto *crypto;
	int rc;

	*list = NULL;
	*n = 0;
	if (data == NULL || len == 0)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "no certificate found: the input is empty");
	rc = sm_store_crypto(&crypto, store, err);
	if (rc < 0)
		return rc;
	return sm_cert_list_parse(list, n, crypto, data, len, err);
}

int
sealmail_book_add(sealmail_cert_list **out,
                  sealmail_store *store,
                  const void *data,
                  size_t len,
                  const char *contact_name,
                  sealmail_error *err)
{
	sm_cert **certs = NULL;
	size_t n = 0;
	int64_t *ids = NULL;
	bool *added = NULL;
	sealmail_cert_list *list = NULL;
	struct trust_ctx tc;
	int rc;

	*out = NULL;
	rc = parse_certs(&certs, &n, store, data, len, err);
	if (rc < 0)
		return rc;
	ids = sm_calloc(n, sizeof(*ids));
	added = sm_calloc(n, sizeof(*added));
	if (ids == NULL || added == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	rc = sm_db_begin(store, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n && rc >= 0; i++)
		rc = add_in_tx(&ids[i], &added[i], store, certs[i],
		               contact_name, err);
	if (rc >= 0)
		rc = sm_db_commit(store, err);
	if (rc < 0) {
		sm_db_rollback(store);
		goto out;
	}
	rc = trust_ctx_load(&tc, store, err);
	if (rc < 0)
		goto out;
	rc = list_new(&list, err);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		rc = snap_ids(list, store, &tc, &ids[i], 1, false, err);
		if (rc >= 0 && list->count > 0)
			list->items[list->count - 1]->added = added[i];
	}
	trust_ctx_clear(&tc);
	if (rc >= 0) {
		*out = list;
		list = NULL;
	}
out:
	sealmail_cert_list_free(list);
	sm_free(ids);
	sm_free(added);
	sm_cert_list_free(certs, n);
	return rc < 0 ? rc : SEALMAIL_OK;
}

/*
 * Set the trust of the one address-book certificate (or, with `ca`, the one
 * CA certificate) that `query` names: one transaction.
 */
static int
set_trust(sealmail_store *store,
          bool ca,
          const char *query,
          sealmail_trust trust,
          sealmail_error *err)
{
	int64_t id = 0;
	sm_stmt *st;
	int rc;

	rc = sm_db_begin(store, err);
	if (rc < 0)
		return rc;
	rc = resolve_one(&id, store, query, ca, err);
	if (rc >= 0)
		rc = sm_stmt_prepare(
		        &st, store,
		        ca ? "UPDATE cas SET trust = ? WHERE id = ?"
		           : "UPDATE certificates SET trust = ?"
		             " WHERE id = ?",
		        err);
	if (rc >= 0) {
		rc = sm_stmt_bind_text(st, 1, trust_names[trust], err);
		if (rc >= 0)
			rc = sm_stmt_bind_int64(st, 2, id, err);
		if (rc >= 0)
			rc = sm_stmt_step(st, err);
		sm_stmt_free(st);
	}
	if (rc >= 0)
		rc = sm_db_commit(store, err);
	if (rc < 0) {
		sm_db_rollback(store);
		return rc;
	}
	return SEALMAIL_OK;
}

int
sealmail_book_set_trust(sealmail_store *store,
                        const char *query,
                        sealmail_trust trust,
                        sealmail_error *err)
{
	if ((size_t)trust >= SM_ARRAY_SIZE(trust_names))
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "unknown trust value %d", (int)trust);
	return set_trust(store, false, query, trust, err);
}

int
sealmail_book_remove(sealmail_store *store,
                     const char *query,
                     sealmail_error *err)
{
	int64_t id = 0;
	int rc = sm_db_begin(store, err);

	if (rc < 0)
		return rc;
	rc = resolve_one(&id, store, query, false, err);
	/* A contact whose last certificate this is goes with it. */
	if (rc >= 0)
		rc = exec_id(
		        store,
		        "DELETE FROM contacts WHERE id ="
		        " (SELECT contact_id FROM certificates WHERE id = ?1)"
		        " AND (SELECT count(*) FROM certificates"
		        "  WHERE contact_id = contacts.id) = 1",
		        id, err);
	if (rc >= 0)
		rc = exec_id(store, "DELETE FROM certificates WHERE id = ?", id,
		             err);
	if (rc >= 0)
		rc = sm_db_commit(store, err);
	if (rc < 0) {
		sm_db_rollback(store);
		return rc;
	}
	return SEALMAIL_OK;
}

int
sealmail_book_export(sealmail_output *out,
                     sealmail_store *store,
                     const char *query,
                     sealmail_error *err)
{
	struct ids ids;
	sm_crypto *crypto;
	sm_buf pem;
	int rc;

	rc = sm_store_crypto(&crypto, store, err);
	if (rc < 0)
		return rc;
	rc = resolve(&ids, store, query, false, err);
	if (rc < 0)
		return rc;
	sm_buf_init(&pem, SM_BUF_MAX_DEFAULT);
	for (size_t i = 0; i < ids.n && rc >= 0; i++) {
		sm_stmt *st;
		rc = sm_stmt_prepare(
		        &st, store, "SELECT der FROM certificates WHERE id = ?",
		        err);
		if (rc < 0)
			break;
		rc = sm_stmt_bind_int64(st, 1, ids.v[i], err);
		if (rc >= 0)
			rc = sm_stmt_step(st, err);
		if (rc == SM_STEP_ROW) {
			size_t len;
			const void *der = sm_stmt_column_blob(st, 0, &len);
			sm_cert *cert;
			rc = sm_cert_from_der(&cert, crypto, der, len, err);
			if (rc >= 0) {
				rc = sm_cert_pem(cert, &pem, err);
				sm_cert_free(cert);
			}
		}
		sm_stmt_free(st);
	}
	ids_clear(&ids);
	if (rc >= 0)
		rc = sealmail_output_write(out, pem.data, pem.len, err);
	sm_buf_free(&pem);
	return rc < 0 ? rc : SEALMAIL_OK;
}

/* --- CA certificates ------------------------------------------------- */

int
sealmail_ca_add(sealmail_cert_list **out,
                sealmail_store *store,
                const void *data,
                size_t len,
                sealmail_error *err)
{
	sm_cert **certs = NULL;
	size_t n = 0;
	int64_t *ids = NULL;
	bool *added = NULL;
	sealmail_cert_list *list = NULL;
	int rc;

	*out = NULL;
	rc = parse_certs(&certs, &n, store, data, len, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!(sm_cert_usage(certs[i]) & SM_USAGE_CA)) {
			rc = sm_error_set(err, SEALMAIL_EBADDATA,
			                  "%s is not a CA certificate",
			                  sm_cert_subject(certs[i]));
			goto out;
		}
	}
	ids = sm_calloc(n, sizeof(*ids));
	added = sm_calloc(n, sizeof(*added));
	if (ids == NULL || added == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	rc = sm_db_begin(store, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		size_t derlen;
		const unsigned char *der = sm_cert_der(certs[i], &derlen);
		sm_stmt *st;

		rc = sm_stmt_prepare(&st, store,
		                     "SELECT id FROM cas WHERE fingerprint = ?",
		                     err);
		if (rc < 0)
			break;
		rc = sm_stmt_bind_text(st, 1, sm_cert_fingerprint(certs[i]),
		                       err);
		if (rc >= 0)
			rc = sm_stmt_step(st, err);
		if (rc == SM_STEP_ROW)
			ids[i] = sm_stmt_column_int64(st, 0);
		sm_stmt_free(st);
		if (rc != SM_STEP_DONE)
			continue;
		rc = sm_stmt_prepare(
		        &st, store,
		        "INSERT INTO cas (fingerprint, der, subject,"
		        " trust, added) VALUES (?, ?, ?,"
		        " 'untrusted', ?)",
		        err);
		if (rc < 0)
			break;
		rc = sm_stmt_bind_text(st, 1, sm_cert_fingerprint(certs[i]),
		                       err);
		if (rc >= 0)
			rc = sm_stmt_bind_blob(st, 2, der, derlen, err);
		if (rc >= 0)
			rc = sm_stmt_bind_text(st, 3, sm_cert_subject(certs[i]),
			                       err);
		if (rc >= 0)
			rc = sm_stmt_bind_int64(st, 4, (int64_t)time(NULL),
			                        err);
		if (rc >= 0)
			rc = sm_stmt_step(st, err);
		sm_stmt_free(st);
		if (rc >= 0) {
			ids[i] = sm_db_last_insert_id(store);
			added[i] = true;
		}
	}
	if (rc >= 0)
		rc = sm_db_commit(store, err);
	if (rc < 0) {
		sm_db_rollback(store);
		goto out;
	}
	rc = list_new(&list, err);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		rc = snap_ids(list, store, NULL, &ids[i], 1, true, err);
		if (rc >= 0 && list->count > 0)
			list->items[list->count - 1]->added = added[i];
	}
	if (rc >= 0) {
		*out = list;
		list = NULL;
	}
out:
	sealmail_cert_list_free(list);
	sm_free(ids);
	sm_free(added);
	sm_cert_list_free(certs, n);
	return rc < 0 ? rc : SEALMAIL_OK;
}

int
sealmail_ca_list(sealmail_cert_list **out,
                 sealmail_store *store,
                 sealmail_error *err)
{
	sealmail_cert_list *list;
	sm_stmt *st;
	int rc;

	*out = NULL;
	rc = list_new(&list, err);
	if (rc < 0)
		return rc;
	rc = sm_stmt_prepare(&st, store,
	                     CA_SELECT " ORDER BY subject COLLATE NOCASE, id",
	                     err);
	if (rc >= 0) {
		rc = snap_rows(list, store, NULL, st, true, err);
		sm_stmt_free(st);
	}
	if (rc < 0) {
		sealmail_cert_list_free(list);
		return rc;
	}
	*out = list;
	return SEALMAIL_OK;
}

int
sealmail_ca_set_trust(sealmail_store *store,
                      const char *fingerprint,
                      sealmail_trust trust,
                      sealmail_error *err)
{
	if (trust != SEALMAIL_TRUST_TRUSTED &&
	    trust != SEALMAIL_TRUST_UNTRUSTED)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "a CA is either trusted or untrusted");
	return set_trust(store, true, fingerprint, trust, err);
}
