/* SPDX-License-Identifier: MIT */
/*
 * Recipient policy for encrypted mail: one address book lookup per
 * recipient, all problems collected before anything is refused, and the
 * cipher choice from the SMIMECapabilities the recipients sent us.
 */
#include "policy.h"

#include <string.h>

#include "mime.h"

static int
find(const sm_policy *p, const char *addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->rcpts[i].address, addr) == 0)
			return (int)i;
	return -1;
}

static int
add_one(sm_policy *p,
        sealmail_store *store,
        const char *address,
        bool bcc,
        bool force_oaep,
        int64_t now,
        sealmail_error *err)
{
	sm_rcpt *r, *grown;
	char *addr;
	int rc, at;

	/* The form the book stores addresses in: IDN domains as punycode. */
	addr = sm_mime_address_ascii_dup(address);
	if (addr == NULL)
		return sm_error_nomem(err);
	at = find(p, addr);
	if (at >= 0) {
		/* visible wins over Bcc (visible addresses come first) */
		sm_free(addr);
		return SEALMAIL_OK;
	}
	grown = sm_realloc(p->rcpts, (p->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		sm_free(addr);
		return sm_error_nomem(err);
	}
	p->rcpts = grown;
	r = &p->rcpts[p->n++];
	memset(r, 0, sizeof(*r));
	r->address = addr;
	r->bcc = bcc;
	/* the certificate and its recorded capabilities, in one lookup */
	rc = sm_book_encryption_cert(&r->cert, &r->caps, &r->problem, store,
	                             addr, now, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (r->cert == NULL) {
		if (r->problem == SM_CERT_OK)
			r->problem = SM_CERT_NONE;
		p->nproblems++;
		return SEALMAIL_OK;
	}
	r->problem = SM_CERT_OK;
	r->oaep = strncmp(sm_cert_key_desc(r->cert), "RSA", 3) == 0 &&
	          (force_oaep || (r->caps & SM_CAP_RSA_OAEP) != 0);
	return SEALMAIL_OK;
}

int
sm_policy_recipients(sm_policy *out,
                     sealmail_store *store,
                     const char *const *visible,
                     size_t nvisible,
                     const char *const *bcc,
                     size_t nbcc,
                     bool force_oaep,
                     int64_t now,
                     sealmail_error *err)
{
	int rc = SEALMAIL_OK;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nvisible && rc == SEALMAIL_OK; i++)
		rc = add_one(out, store, visible[i], false, force_oaep, now,
		             err);
	for (size_t i = 0; i < nbcc && rc == SEALMAIL_OK; i++)
		rc = add_one(out, store, bcc[i], true, force_oaep, now, err);
	if (rc != SEALMAIL_OK)
		sm_policy_clear(out);
	return rc;
}

void
sm_policy_clear(sm_policy *p)
{
	for (size_t i = 0; i < p->n; i++) {
		sm_free(p->rcpts[i].address);
		sm_cert_free(p->rcpts[i].cert);
	}
	sm_free(p->rcpts);
	memset(p, 0, sizeof(*p));
}

int
sm_policy_cipher(sm_cipher *out,
                 const char *setting,
                 const unsigned int *caps,
                 size_t n,
                 sealmail_error *err)
{
	if (setting == NULL || setting[0] == '\0' ||
	    strcmp(setting, "auto") == 0) {
		bool all_gcm = n > 0;
		for (size_t i = 0; i < n; i++)
			if ((caps[i] & SM_CAP_AES256_GCM) == 0)
				all_gcm = false;
		*out = all_gcm ? SM_CIPHER_AES256_GCM : SM_CIPHER_AES256_CBC;
		return SEALMAIL_OK;
	}
	return sm_cipher_parse(out, setting, err);
}
