/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: hostile certificate and key files.  The input goes through
 * sm_cert_list_parse (DER, PEM, PKCS#7), sm_pem_bundle_parse and
 * sm_key_from_pkcs8 without a passphrase (so no KDF runs: PKCS#12 and
 * encrypted keys cost up to 10 million iterations by design and are covered
 * by tests/unit/test_key.c).  Every result must be OK or a one-line error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int rc, const sealmail_error *err)
{
	if (rc != SEALMAIL_OK &&
	    (rc != err->code || strchr(err->message, '\n') != NULL ||
	     err->message[0] == '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sm_crypto *crypto;
	sm_cert **list = NULL;
	size_t n = 0;
	sm_bundle b;
	sm_key *key = NULL;
	sealmail_error err;
	int rc;

	if (crypto == NULL && sm_crypto_new(&crypto, NULL) != SEALMAIL_OK)
		abort();
	rc = sm_cert_list_parse(&list, &n, crypto, data, size, &err);
	check(rc, &err);
	for (size_t i = 0; i < n; i++) {
		sm_buf pem;
		(void)sm_cert_fingerprint(list[i]);
		(void)sm_cert_has_address(list[i], "a@b.c");
		sm_buf_init(&pem, 1 << 20);
		check(sm_cert_pem(list[i], &pem, &err), &err);
		sm_buf_free(&pem);
	}
	if (n > 0)
		check(sm_cert_chain_verify(list[0], list, n, list, n, 0, NULL,
		                           &err),
		      &err);
	sm_cert_list_free(list, n);

	rc = sm_pem_bundle_parse(&b, crypto, data, size, NULL, &err);
	check(rc, &err);
	sm_bundle_clear(&b);

	rc = sm_key_from_pkcs8(&key, crypto, data, size, NULL, &err);
	check(rc, &err);
	sm_key_free(key);
	(void)sm_is_pkcs12(data, size);
	(void)sm_pem_has_encrypted_key(data, size);
	return 0;
}
