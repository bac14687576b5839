/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the streaming envelope path of open_env.c on hostile input:
 * a MIME body (base64, quoted-printable or binary, chosen by the first
 * byte) read by sm_mime_body, walked by sm_envelope_open (sm_cms_reader),
 * then decrypted with Bob's key when it names him.  A clean status each
 * time, no crash, no leak, bounded memory, nothing left in the temporary
 * folder.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "crypto/crypto.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Process-wide test state (a test driver, not the library). */
static sm_crypto *crypto;
static sm_cert *bob;
static sm_key *bob_key;
static char tmp[] = "/tmp/sealmail-fuzz-env-XXXXXX";

static sm_buf
slurp(const char *path)
{
	sm_buf b;

	sm_buf_init(&b, 1 << 20);
	if (sm_read_file(&b, path, 1 << 20, NULL) != SEALMAIL_OK)
		abort();
	return b;
}

/* Bob's PKCS#8 PEM key: the base64 between the armour lines. */
static void
load_bob(void)
{
	sm_buf pem = slurp(FUZZ_PKI "/bob@example.org.key");
	sm_buf crt = slurp(FUZZ_PKI "/bob@example.org.crt");
	unsigned char der[8192];
	size_t n = 0, m = 0;
	sm_b64_dec dec;
	sm_cert **list = NULL;
	size_t count = 0;
	const char *p = (const char *)pem.data, *end = p + pem.len;
	const char *s = memchr(p, '\n', pem.len);
	const char *e = s != NULL ? strstr(s, "-----END") : NULL;

	if (sm_crypto_new(&crypto, NULL) != SEALMAIL_OK || e == NULL ||
	    e > end || (size_t)(e - s) > sizeof(der) / 3 * 4)
		abort();
	sm_b64_dec_init(&dec, SM_B64_LENIENT, SM_B64_AUTO);
	if (sm_b64_dec_update(&dec, der, &n, (const unsigned char *)s,
	                      (size_t)(e - s), NULL) != SEALMAIL_OK ||
	    sm_b64_dec_final(&dec, der + n, &m, NULL) != SEALMAIL_OK ||
	    sm_key_from_pkcs8(&bob_key, crypto, der, n + m, NULL, NULL) !=
	            SEALMAIL_OK)
		abort();
	if (sm_cert_list_parse(&list, &count, crypto, crt.data, crt.len,
	                       NULL) != SEALMAIL_OK ||
	    count == 0)
		abort();
	bob = sm_cert_ref(list[0]);
	sm_cert_list_free(list, count);
	sm_buf_free(&pem);
	sm_buf_free(&crt);
	if (mkdtemp(tmp) == NULL)
		abort();
}

static const char *const encodings[] = {"base64", "quoted-printable", "binary",
                                        "7bit"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_mime_source *src = NULL;
	sm_mime_body *body = NULL;
	sm_envelope *env = NULL;
	sm_mime_entity ent;
	sealmail_error err = {0};
	sm_buf msg;

	if (crypto == NULL)
		load_bob();
	if (size < 1)
		return 0;
	sm_buf_init(&msg, size + 256);
	if (sm_buf_printf(&msg, NULL,
	                  "Content-Type: application/pkcs7-mime; "
	                  "smime-type=enveloped-data\r\n"
	                  "Content-Transfer-Encoding: %s\r\n\r\n",
	                  encodings[data[0] % 4]) != SEALMAIL_OK ||
	    sm_buf_append(&msg, data + 1, size - 1, NULL) != SEALMAIL_OK ||
	    sm_mime_source_new_memory(&src, msg.data, msg.len, &err) !=
	            SEALMAIL_OK)
		abort();
	sm_buf_free(&msg);
	if (sm_mime_entity_parse(&ent, src, 0, sm_mime_source_size(src), false,
	                         &err) == SEALMAIL_OK &&
	    sm_mime_body_new(&body, src, &ent, &err) == SEALMAIL_OK &&
	    sm_envelope_open(&env, crypto, sm_mime_body_read, body, &err) ==
	            SEALMAIL_OK) {
		sm_env_outcome oc;
		sm_plain *plain = NULL;

		for (size_t i = 0; i < sm_envelope_recipient_count(env); i++)
			(void)sm_envelope_recipient_is(env, i, bob);
		(void)sm_envelope_algorithm(env);
		if (sm_envelope_names(env, bob) &&
		    sm_envelope_decrypt(env, bob, bob_key, tmp, &oc, &plain,
		                        &err) == SEALMAIL_OK &&
		    (plain == NULL) != (oc != SM_ENV_DECRYPTED))
			abort(); /* content exactly when decrypted */
		sm_plain_free(plain);
	}
	if (strchr(err.message, '\n') != NULL)
		abort();
	sm_envelope_free(env);
	sm_mime_body_free(body);
	sm_mime_source_free(src);
	/* nothing left behind */
	if (rmdir(tmp) != 0 || mkdir(tmp, 0700) != 0)
		abort();
	return 0;
}
