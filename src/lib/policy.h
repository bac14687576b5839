/* SPDX-License-Identifier: MIT */
/*
 * Recipient policy for encrypted mail (SPEC "Sending" 3): who gets which
 * certificate, every recipient's problem collected at once, and which
 * content cipher and key transport the recipients are known to support.
 */
#ifndef SM_POLICY_H
#define SM_POLICY_H

#include "crypto/crypto.h"
#include "internal.h"

#include "book_int.h"

typedef struct sm_rcpt {
	char *address;           /* lower-case */
	bool bcc;                /* only in Bcc */
	sm_cert *cert;           /* NULL when problem != SM_CERT_OK */
	sm_cert_problem problem; /* SM_CERT_OK or why there is no cert */
	unsigned int caps;       /* SM_CAP_* recorded for cert (0: unknown) */
	bool oaep;               /* RSA-OAEP for this recipient */
} sm_rcpt;

typedef struct sm_policy {
	sm_rcpt *rcpts; /* visible recipients first, then Bcc, no duplicates */
	size_t n;
	size_t nproblems; /* recipients without a usable trusted certificate */
} sm_policy;

/*
 * Look up every recipient's encryption certificate in the address book
 * (sm_book_encryption_cert) at time `now`.  An address in both the visible
 * list and `bcc` counts as visible; duplicates are merged.  Problems are
 * data: SEALMAIL_OK with `out->nproblems` > 0 when some recipient has no
 * usable trusted certificate.  RSA recipients get OAEP when their recorded
 * SMIMECapabilities advertise it or `force_oaep`.  Free with sm_policy_clear.
 */
int sm_policy_recipients(sm_policy *out,
                         sealmail_store *store,
                         const char *const *visible,
                         size_t nvisible,
                         const char *const *bcc,
                         size_t nbcc,
                         bool force_oaep,
                         int64_t now,
                         sealmail_error *err);
void sm_policy_clear(sm_policy *policy);

/*
 * The content cipher for one message to `caps[0..n-1]` (the SM_CAP_* bits
 * of each recipient; the sender's own certificate passes SM_CAP_AES256_GCM
 * since we can read it).  `setting` is the account's cipher: "auto" gives
 * AES-256-GCM when every recipient advertises it, else AES-256-CBC; an
 * explicit name is used as is.  EINVAL for an unknown setting.
 */
int sm_policy_cipher(sm_cipher *out,
                     const char *setting,
                     const unsigned int *caps,
                     size_t n,
                     sealmail_error *err);

#endif
