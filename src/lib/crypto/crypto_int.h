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
	bool legacy_tried;
	/*
	 * Certificates parsed from DER, one reference each, by their exact
	 * bytes (cert.c, sm_cert_from_der): a command reads the same
	 * certificate from several rows and messages, and each OpenSSL 3
	 * parse costs its public key's provider decoding (issue 7).  Like the
	 * store that owns it, used by one thread at a time.
	 */
	sm_cert *cert_cache[SM_CERT_CACHE_SIZE];
	uint64_t cert_cache_hash[SM_CERT_CACHE_SIZE];
	size_t cert_cache_next; /* the slot replaced next, round robin */
};

/*
 * Set `err` to `code` with "what: <OpenSSL's first reason>", clear
 * OpenSSL's error queue, and return `code`.
 */
int sm_ossl_error(sealmail_error *err, int code, const char *what);

/* cert.c: wrap `x` (takes a new reference; the caller keeps its own). */
int
sm_cert_wrap(sm_cert **out, sm_crypto *crypto, X509 *x, sealmail_error *err);
/* cert.c: drop the cached certificates (sm_crypto_free). */
void sm_cert_cache_clear(sm_crypto *crypto);
/* cert.c: the certificate's X509, borrowed. */
X509 *sm_cert_x509(const sm_cert *cert);
/*
 * cert.c: sm_cert_list_parse, but PEM text without certificates is not an
 * error when `allow_none` (a PEM bundle that holds only a key).
 */
int sm_cert_list_parse_ex(sm_cert ***list_out,
                          size_t *count_out,
                          sm_crypto *crypto,
                          const unsigned char *data,
                          size_t len,
                          bool allow_none,
                          sealmail_error *err);

/*
 * cert.c: a distinguished name as one RFC 2253 line for display, UTF-8 and
 * control characters kept (the printer escapes them), NUL as "\x00".  New
 * string (sm_free); NULL when out of memory.
 */
char *sm_name_str(const X509_NAME *name);

/* key.c: wrap `pkey` (takes it, also on failure). */
int sm_key_wrap(sm_key **out,
                sm_crypto *crypto,
                EVP_PKEY *pkey,
                sealmail_error *err);
/* key.c: the key's EVP_PKEY, borrowed. */
EVP_PKEY *sm_key_pkey(const sm_key *key);

/* Most PBKDF iterations accepted in a file before running the KDF. */
#define SM_PBE_ITER_MAX 10000000L
/*
 * pkcs12.c: EBADDATA when a password-based encryption algorithm (PBES2 with
 * PBKDF2, or a PKCS#12 PBE) asks for more than SM_PBE_ITER_MAX iterations
 * or another KDF; `what` names the object in the message.
 */
int sm_pbe_check(const X509_ALGOR *alg, const char *what, sealmail_error *err);

/*
 * bio_stream.c: OpenSSL BIOs over sealmail's streaming pieces, so CMS code
 * can stream through them in one pass.
 *
 * sm_bio_b64_encoder_new: a filter BIO (push it before the sink) that
 * base64-encodes what is written to it with sm_b64 (`line_len` characters a
 * line, CRLF; SM_B64_MIME_LINE for MIME; AVX2 when present).  BIO_flush ends
 * the data (pads the last group, ends the last line) and flushes the next
 * BIO; write nothing after it.  NULL when out of memory.
 *
 * sm_bio_cms_content_new: a source BIO whose reads return the content
 * octets of `reader` (borrowed; it must outlive the BIO), for
 * CMS_dataInit(cms, bio).  At the end of the content it calls
 * sm_cms_reader_finish and, when a cipher BIO was given with
 * sm_bio_cms_content_set_cipher, sets the AuthEnvelopedData mac as that
 * cipher's GCM tag before reporting EOF, so the cipher BIO's final check
 * uses it.  sm_bio_cms_content_status: SEALMAIL_OK once the structure was
 * read to its end, else the reader's status (with its message in `err`).
 */
BIO *sm_bio_b64_encoder_new(unsigned int line_len);
/*
 * The encoder's text goes straight into `out`'s writer buffer once the
 * output has a writer thread (sm_output_reserve), not through the next
 * BIO; before that, and for anything else, through the next BIO as usual.
 * `out` must be where the next BIO writes.  A failure of the output is
 * kept as the next BIO would keep it: its status in *status, its message
 * in *err (NULL: none).
 */
void sm_bio_b64_encoder_set_output(BIO *b,
                                   sealmail_output *out,
                                   int *status,
                                   sealmail_error *err);
BIO *sm_bio_cms_content_new(sm_cms_reader *reader);
void sm_bio_cms_content_set_cipher(BIO *src, BIO *cipher);
int sm_bio_cms_content_status(BIO *src, sealmail_error *err);

#endif
