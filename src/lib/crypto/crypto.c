/* SPDX-License-Identifier: MIT */
/*
 * The per-store OpenSSL library context, and the one place OpenSSL's error
 * queue is turned into a sealmail_error (crypto_int.h: sm_ossl_error).
 */
#include "crypto_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

int
sm_crypto_new(sm_crypto **out, sealmail_error *err)
{
	sm_crypto *c;

	*out = NULL;
	c = sm_calloc(1, sizeof(*c));
	if (c == NULL)
		return sm_error_nomem(err);
	ERR_clear_error();
	c->libctx = OSSL_LIB_CTX_new();
	if (c->libctx == NULL)
		goto fail;
	c->deflt = OSSL_PROVIDER_load(c->libctx, "default");
	if (c->deflt == NULL)
		goto fail;
	/*
	 * The context's random generators (RSA blinding, content keys, IVs,
	 * key generation): Hash_DRBG over SHA-256 (NIST SP 800-90A, 256-bit
	 * security strength), seeded from the operating system as before.
	 * OpenSSL's default, CTR_DRBG over AES-256, fetches a cipher, and the
	 * first cipher fetch builds the provider's whole cipher table: 0.4 ms
	 * of a 4 KiB clear sign, which uses no cipher otherwise (issue 7).
	 * SHA-256 is fetched by every command anyway.  Set before any
	 * generator exists (it only names the algorithms).
	 */
	if (RAND_set_DRBG_type(c->libctx, "HASH-DRBG", NULL, NULL, "SHA256") !=
	    1)
		goto fail;
	*out = c;
	return SEALMAIL_OK;
fail:
	sm_crypto_free(c);
	return sm_ossl_error(err, SEALMAIL_ERROR, "cannot start OpenSSL");
}

bool
sm_crypto_standalone(void)
{
	/*
	 * OPENSSL_init_crypto is process-wide, hence the public function's
	 * rule (sealmail.h).  Without its exit handler OpenSSL does not free
	 * every global table as the process ends (OPENSSL_cleanup: 1.5 % of
	 * a 4 KiB verify).  OpenSSL's error strings (every library's reasons,
	 * about 2 500 put in a hash table when the thread's error queue is
	 * first made: 0.1-0.2 ms of a 4 KiB command) are not loaded: a
	 * command that succeeds never reads them, and sm_ossl_error gives a
	 * reason without its string by its code, which `openssl errstr CODE`
	 * spells out.  The configuration file is not read at start either
	 * (0.08 ms of every command): sealmail's own cryptography runs in the
	 * store's library context, which never reads it; the default context
	 * is libcurl's TLS (net.c), where openssl.cnf may hold the system's
	 * TLS policy, and net.c reads the file (sm_crypto_system_config)
	 * before libcurl starts (docs/design.md).
	 */
	return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT |
	                                   OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	                                   OPENSSL_INIT_NO_LOAD_CONFIG,
	                           NULL) == 1;
}

void
sm_crypto_system_config(void)
{
	/* what OpenSSL's start-up does (ossl_config_int), engines aside */
	OPENSSL_load_builtin_modules();
	(void)CONF_modules_load_file_ex(
	        NULL, NULL, NULL,
	        CONF_MFLAGS_DEFAULT_SECTION | CONF_MFLAGS_IGNORE_MISSING_FILE |
	                CONF_MFLAGS_IGNORE_RETURN_CODES);
	ERR_clear_error();
}

void
sm_crypto_need_legacy(sm_crypto *c)
{
	/*
	 * The legacy provider lets us read old PKCS#12 files (RC2-40) and
	 * decrypt legacy mail; we never write with its algorithms.  It may
	 * be missing on a minimal system: then those inputs fail cleanly.
	 */
	if (c->legacy_tried)
		return;
	c->legacy_tried = true;
	c->legacy = OSSL_PROVIDER_load(c->libctx, "legacy");
	ERR_clear_error();
}

void
sm_crypto_free(sm_crypto *c)
{
	if (c == NULL)
		return;
	sm_cert_cache_clear(c);
	if (c->legacy != NULL)
		(void)OSSL_PROVIDER_unload(c->legacy);
	if (c->deflt != NULL)
		(void)OSSL_PROVIDER_unload(c->deflt);
	OSSL_LIB_CTX_free(c->libctx);
	sm_free(c);
}

int
sm_ossl_error(sealmail_error *err, int code, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[256];

	/*
	 * Keep the first (innermost) reason; drop the rest of the queue.  A
	 * reason without its string (sealmail_standalone_init loads none) is
	 * named by its code, as `openssl errstr` takes it.
	 */
	if (e != 0) {
		const char *r = ERR_reason_error_string(e);
		if (r != NULL)
			(void)snprintf(reason, sizeof(reason), "%s", r);
		else
			(void)snprintf(reason, sizeof(reason),
			               "OpenSSL error %08lX", e);
	}
	ERR_clear_error();
	if (e == 0)
		return sm_error_set(err, code, "%s", what);
	return sm_error_set(err, code, "%s: %s", what, reason);
}
