/* SPDX-License-Identifier: MIT */
/*
 * Private to src/lib/crypto/: the OpenSSL-typed definitions shared by
 * crypto.c, cert.c, key.c and cms.c.  Never included outside this folder.
 */
#ifndef SM_CRYPTO_INT_H
#define SM_CRYPTO_INT_H

#include "crypto.h"

#include <openssl/types.h>

struct sm_crypto {
	OSSL_LIB_CTX *libctx;
	OSSL_PROVIDER *deflt;
	OSSL_PROVIDER *legacy;
};

/*
 * Set `err` to `code` with "what: <OpenSSL's first reason>", clear
 * OpenSSL's error queue, and return `code`.
 */
int sm_ossl_error(sealmail_error *err, int code, const char *what);

/* cert.c: wrap `x` (takes a new reference; the caller keeps its own). */
int
sm_cert_wrap(sm_cert **out, sm_crypto *crypto, X509 *x, sealmail_error *err);
/* cert.c: the certificate's X509, borrowed. */
X509 *sm_cert_x509(const sm_cert *cert);

#endif
