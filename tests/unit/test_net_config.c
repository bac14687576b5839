/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL's configuration file under sealmail_standalone_init: not read at
 * start (sealmail's cryptography runs in the store's library context, which
 * never reads it), read into the default context when the network is first
 * used, before libcurl's TLS starts (the system's TLS policy may be there).
 * A program of its own: both steps change OpenSSL's process-wide state.
 */
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "harness.h"
#include "net.h"

/* Can the default library context fetch SHA-256? */
static int
default_ctx_fetches(void)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	int ok = md != NULL;

	EVP_MD_free(md);
	ERR_clear_error();
	return ok;
}

static void
test_read_when_the_network_starts(void)
{
	/*
	 * A configuration whose effect shows: once read, the default
	 * context fetches only from a provider that does not exist.
	 */
	static const char text[] = "openssl_conf = openssl_init\n"
	                           "[openssl_init]\n"
	                           "alg_section = evp_properties\n"
	                           "[evp_properties]\n"
	                           "default_properties = provider=sm-none\n";
	sealmail_error err = {0};
	char path[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/openssl.cnf", test_tmpdir());
	f = fopen(path, "w");
	test_assert(f != NULL);
	if (f == NULL)
		return;
	test_assert(fputs(text, f) >= 0);
	test_assert(fclose(f) == 0);
	test_assert(setenv("OPENSSL_CONF", path, 1) == 0);

	test_assert_int(sealmail_standalone_init(&err), SEALMAIL_OK);
	/* not read at start */
	test_assert(default_ctx_fetches());
	/* the network's first use (net.c loads libcurl) reads it */
	test_assert(sm_net_url_is_loopback("smtp://127.0.0.1:25"));
	test_assert(!default_ctx_fetches());
}

static const struct test_case tests[] = {
        {"read_when_the_network_starts", test_read_when_the_network_starts},
};

TEST_MAIN(tests)
