/* SPDX-License-Identifier: MIT */
/*
 * CMS enveloped-data and authEnveloped-data (RFC 5652, 5083/5084): encrypt
 * to a list of certificates, streaming; read a received envelope, list its
 * recipients and content algorithm, and decrypt into a private temporary
 * (an anonymous memory file up to 1 MiB, then a file in a private folder)
 * that is published only once the whole content (and the GCM tag) checked.
 */
#include "crypto_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../b64.h"

enum { MAX_RIDS = 1000, MAX_DEPTH = 32 };

/* Plaintext write size: large writes, few system calls. */
#define DECRYPT_BUF (256 * 1024)
/* ... and the least room for decrypting in place (sm_output_reserve) */
#define DECRYPT_MIN (64 * 1024)

/*
 * Plaintext up to this size stays in an anonymous memory file (no folder,
 * no file, no journal wait at the last close); past it, it moves to a file
 * in a private folder under the temporary folder, so a large plaintext
 * never sits in unswappable memory.
 */
#define PLAIN_MEM_MAX (1024 * 1024)

/* --- ciphers ----------------------------------------------------------- */

static const struct {
	sm_cipher cipher;
	const char *name; /* ours */
	const char *ossl; /* OpenSSL fetch name */
	bool aead;
} ciphers[] = {
        {SM_CIPHER_AES256_GCM, "aes-256-gcm", "AES-256-GCM", true},
        {SM_CIPHER_AES128_GCM, "aes-128-gcm", "AES-128-GCM", true},
        {SM_CIPHER_AES256_CBC, "aes-256-cbc", "AES-256-CBC", false},
        {SM_CIPHER_AES128_CBC, "aes-128-cbc", "AES-128-CBC", false},
};

int
sm_cipher_parse(sm_cipher *out, const char *name, sealmail_error *err)
{
	for (size_t i = 0; i < SM_ARRAY_SIZE(ciphers); i++) {
		if (strcmp(name, ciphers[i].name) == 0) {
			*out = ciphers[i].cipher;
			return SEALMAIL_OK;
		}
	}
	return sm_error_set(err, SEALMAIL_EINVAL,
	                    "unknown cipher %s (use aes-256-gcm, aes-128-gcm, "
	                    "aes-256-cbc or aes-128-cbc)",
	                    name);
}

const char *
sm_cipher_name(sm_cipher cipher)
{
	for (size_t i = 0; i < SM_ARRAY_SIZE(ciphers); i++)
		if (ciphers[i].cipher == cipher)
			return ciphers[i].name;
	return "unknown";
}

bool
sm_cipher_is_aead(sm_cipher cipher)
{
	for (size_t i = 0; i < SM_ARRAY_SIZE(ciphers); i++)
		if (ciphers[i].cipher == cipher)
			return ciphers[i].aead;
	return false;
}

bool
sm_cms_can_encrypt_to(const sm_cert *cert)
{
	X509 *x = sm_cert_x509(cert);
	EVP_PKEY *pub = x != NULL ? X509_get0_pubkey(x) : NULL;
	int type = pub != NULL ? EVP_PKEY_get_base_id(pub) : 0;

	ERR_clear_error();
	return type == EVP_PKEY_RSA || type == EVP_PKEY_EC;
}

unsigned int
sm_smime_caps_bits(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_ALGORS *algs;
	unsigned int bits = 0;

	if (der == NULL || len == 0 || len > (size_t)INT_MAX)
		return 0;
	algs = d2i_X509_ALGORS(NULL, &p, (long)len);
	if (algs == NULL) {
		ERR_clear_error();
		return 0;
	}
	for (int i = 0; i < sk_X509_ALGOR_num(algs); i++) {
		const ASN1_OBJECT *obj = NULL;

		X509_ALGOR_get0(&obj, NULL, NULL, sk_X509_ALGOR_value(algs, i));
		switch (OBJ_obj2nid(obj)) {
		case NID_aes_128_cbc:
			bits |= SM_CAP_AES128_CBC;
			break;
		case NID_aes_256_cbc:
			bits |= SM_CAP_AES256_CBC;
			break;
		case NID_aes_128_gcm:
			bits |= SM_CAP_AES128_GCM;
			break;
		case NID_aes_256_gcm:
			bits |= SM_CAP_AES256_GCM;
			break;
		case NID_rsaesOaep:
			bits |= SM_CAP_RSA_OAEP;
			break;
		default:
			break;
		}
	}
	sk_X509_ALGOR_pop_free(algs, X509_ALGOR_free);
	return bits;
}

/* --- conversions from sealmail types ------------------------------------ */

/* A new reference to the certificate's X509 (free with X509_free). */
static X509 *
cert_x509(sm_crypto *crypto, const sm_cert *cert)
{
	X509 *x = sm_cert_x509(cert);

	(void)crypto;
	if (x == NULL || X509_up_ref(x) != 1)
		return NULL;
	return x;
}

/* A new reference to the key's EVP_PKEY (free with EVP_PKEY_free). */
static EVP_PKEY *
key_pkey(sm_crypto *crypto, const sm_key *key, sealmail_error *err)
{
	EVP_PKEY *pk = sm_key_pkey(key);

	(void)crypto;
	if (pk == NULL || EVP_PKEY_up_ref(pk) != 1) {
		(void)sm_error_set(err, SEALMAIL_EBADDATA,
		                   "cannot use the private key");
		return NULL;
	}
	return pk;
}

/* --- BIOs over sealmail streams ----------------------------------------- */

typedef struct stream_ctx {
	sealmail_output *out;
	sealmail_error *err;
	int status; /* first failure of the stream, kept for the caller */
} stream_ctx;

/* sm_cms_encrypt's input reads: few system calls per megabyte. */
#define READ_AHEAD (256 * 1024)

static int
sink_write(BIO *b, const char *data, size_t len, size_t *written)
{
	stream_ctx *s = BIO_get_data(b);
	int rc;

	if (s->status != SEALMAIL_OK)
		return 0;
	rc = sealmail_output_write(s->out, data, len, s->err);
	if (rc != SEALMAIL_OK) {
		s->status = rc;
		return 0;
	}
	*written = len;
	return 1;
}

static long
sink_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
sink_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* A BIO method, one per call (no global state); freed by the caller. */
static BIO_METHOD *
sink_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	                             "sealmail output");

	if (m == NULL)
		return NULL;
	if (BIO_meth_set_write_ex(m, sink_write) != 1 ||
	    BIO_meth_set_ctrl(m, sink_ctrl) != 1 ||
	    BIO_meth_set_create(m, sink_create) != 1) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* --- encryption --------------------------------------------------------- */

static int
add_recipient(CMS_ContentInfo *cms,
              sm_crypto *crypto,
              const sm_env_recipient *r,
              sealmail_error *err)
{
	X509 *x = cert_x509(crypto, r->cert);
	EVP_PKEY *pub;
	CMS_RecipientInfo *ri;
	int type;

	if (x == NULL)
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "cannot read a recipient certificate");
	pub = X509_get0_pubkey(x);
	type = pub == NULL ? 0 : EVP_PKEY_get_base_id(pub);
	if (r->oaep && type != EVP_PKEY_RSA) {
		X509_free(x);
		return sm_error_set(
		        err, SEALMAIL_EINVAL,
		        "RSA-OAEP asked for %s, whose key is not RSA",
		        sm_cert_subject(r->cert));
	}
	if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
		/* OpenSSL 3.0 CMS has no X25519/X448 key agreement (RFC
		 * 8418); it would take such a key for RSA and fail late. */
		X509_free(x);
		return sm_error_set(err, SEALMAIL_EUNSUPPORTED,
		                    "cannot encrypt to %s: algorithm not "
		                    "supported (%s key; RSA and EC keys are)",
		                    sm_cert_subject(r->cert),
		                    pub == NULL ? "unknown"
		                                : EVP_PKEY_get0_type_name(pub));
	}
	/* CMS_KEY_PARAM: set the key parameters below before encrypting. */
	ri = CMS_add1_recipient_cert(
	        cms, x, r->oaep || type == EVP_PKEY_EC ? CMS_KEY_PARAM : 0);
	if (ri == NULL) {
		X509_free(x);
		return sm_ossl_error(
		        err, SEALMAIL_EUNSUPPORTED,
		        "cannot encrypt to this certificate's key");
	}
	if (r->oaep || type == EVP_PKEY_EC) {
		EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
		/*
		 * SHA-256, not OpenSSL's SHA-1 defaults: RSAES-OAEP with
		 * SHA-256 and MGF1-SHA-256 (RFC 4055), ECDH with
		 * dhSinglePass-stdDH-sha256kdf-scheme (RFC 5753).
		 */
		int ok = pctx != NULL;
		if (ok && r->oaep)
			ok = EVP_PKEY_CTX_set_rsa_padding(
			             pctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
			     EVP_PKEY_CTX_set_rsa_oaep_md_name(pctx, "SHA256",
			                                       NULL) > 0 &&
			     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256",
			                                       NULL) > 0;
		else if (ok)
			ok = EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) >
			     0;
		if (!ok) {
			X509_free(x);
			return sm_ossl_error(err, SEALMAIL_ERROR,
			                     r->oaep ? "cannot set up RSA-OAEP"
			                             : "cannot set up ECDH");
		}
	}
	X509_free(x);
	return SEALMAIL_OK;
}

struct sm_cms_enc {
	CMS_ContentInfo *cms;
	EVP_CIPHER *evp;
	BIO_METHOD *sink_m;
	BIO *sink, *b64, *top; /* top: b64 -> sink, or sink */
	BIO *data;             /* content goes in here (BIO_new_CMS) */
	stream_ctx ctx;
	sealmail_error sink_err; /* the output's failure, by the sink */
};

void
sm_cms_encrypt_free(sm_cms_enc *e)
{
	if (e == NULL)
		return;
	/* Free what BIO_new_CMS pushed in front of `top`. */
	while (e->data != NULL && e->data != e->top) {
		BIO *next = BIO_pop(e->data);
		BIO_free(e->data);
		e->data = next;
	}
	if (e->b64 != NULL)
		(void)BIO_pop(e->b64);
	BIO_free(e->b64);
	BIO_free(e->sink);
	BIO_meth_free(e->sink_m);
	CMS_ContentInfo_free(e->cms);
	EVP_CIPHER_free(e->evp);
	ERR_clear_error();
	sm_free(e);
}

int
sm_cms_encrypt_begin(sm_cms_enc **out_enc,
                     sm_crypto *crypto,
                     const sm_env_recipient *recipients,
                     size_t n,
                     sm_cipher cipher,
                     sealmail_output *out,
                     bool base64,
                     sealmail_error *err)
{
	const unsigned int flags = CMS_STREAM | CMS_PARTIAL | CMS_BINARY;
	const char *ossl = NULL;
	sm_cms_enc *e;
	int rc = SEALMAIL_OK;

	*out_enc = NULL;
	if (n == 0)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "encryption needs at least one recipient");
	for (size_t i = 0; i < SM_ARRAY_SIZE(ciphers); i++)
		if (ciphers[i].cipher == cipher)
			ossl = ciphers[i].ossl;
	if (ossl == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL, "unknown cipher");
	e = sm_calloc(1, sizeof(*e));
	if (e == NULL)
		return sm_error_nomem(err);
	e->ctx = (stream_ctx){out, &e->sink_err, SEALMAIL_OK};
	ERR_clear_error();
	e->evp = EVP_CIPHER_fetch(crypto->libctx, ossl, NULL);
	if (e->evp == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_EUNSUPPORTED, ossl);
		goto fail;
	}
	e->cms =
	        CMS_encrypt_ex(NULL, NULL, e->evp, flags, crypto->libctx, NULL);
	if (e->cms == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_ERROR,
		                   "cannot start the encrypted message");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		rc = add_recipient(e->cms, crypto, &recipients[i], err);
		if (rc != SEALMAIL_OK)
			goto fail;
	}
	e->sink_m = sink_method();
	e->sink = e->sink_m != NULL ? BIO_new(e->sink_m) : NULL;
	if (e->sink == NULL)
		goto nomem;
	BIO_set_data(e->sink, &e->ctx);
	e->top = e->sink;
	if (base64) {
		/* vectorised base64, MIME lines with CRLF */
		e->b64 = sm_bio_b64_encoder_new(SM_B64_MIME_LINE);
		if (e->b64 == NULL)
			goto nomem;
		/* the sink's output, its failures kept as the sink does */
		sm_bio_b64_encoder_set_output(e->b64, out, &e->ctx.status,
		                              &e->sink_err);
		e->top = BIO_push(e->b64, e->sink);
	}
	/* Writes the header fields; the content is pushed by _update. */
	e->data = BIO_new_CMS(e->top, e->cms);
	if (e->data == NULL) {
		rc = e->ctx.status != SEALMAIL_OK
		             ? sm_error_set(err, e->ctx.status, "%s",
		                            e->sink_err.message)
		             : sm_ossl_error(err, SEALMAIL_ERROR,
		                             "cannot start the encrypted "
		                             "message");
		goto fail;
	}
	*out_enc = e;
	return SEALMAIL_OK;
nomem:
	rc = sm_error_nomem(err);
fail:
	sm_cms_encrypt_free(e);
	return rc;
}

/* The failure after a BIO call: the output's own, else OpenSSL's. */
static int
enc_failure(sm_cms_enc *e, sealmail_error *err)
{
	if (e->ctx.status != SEALMAIL_OK) {
		ERR_clear_error();
		return sm_error_set(err, e->ctx.status, "%s",
		                    e->sink_err.message);
	}
	return sm_ossl_error(err, SEALMAIL_ERROR, "encryption failed");
}

int
sm_cms_encrypt_update(sm_cms_enc *e,
                      const void *data,
                      size_t len,
                      sealmail_error *err)
{
	const unsigned char *p = data;

	while (len > 0) {
		int k = len > (1u << 30) ? 1 << 30 : (int)len;
		int w = e->ctx.status == SEALMAIL_OK ? BIO_write(e->data, p, k)
		                                     : -1;
		if (w <= 0)
			return enc_failure(e, err);
		p += w;
		len -= (size_t)w;
	}
	return SEALMAIL_OK;
}

int
sm_cms_encrypt_finish(sm_cms_enc *e, sealmail_error *err)
{
	/* The cipher's final block, the end of the content, the tag. */
	if (e->ctx.status != SEALMAIL_OK || BIO_flush(e->data) != 1 ||
	    e->ctx.status != SEALMAIL_OK)
		return enc_failure(e, err);
	while (e->data != e->top) {
		BIO *next = BIO_pop(e->data);
		BIO_free(e->data);
		e->data = next;
	}
	if (BIO_flush(e->top) != 1 || e->ctx.status != SEALMAIL_OK)
		return enc_failure(e, err);
	return SEALMAIL_OK;
}

int
sm_cms_encrypt(sm_crypto *crypto,
               const sm_env_recipient *recipients,
               size_t n,
               sm_cipher cipher,
               sealmail_input *in,
               sealmail_output *out,
               bool base64,
               sealmail_error *err)
{
	sm_cms_enc *e = NULL;
	unsigned char *buf = NULL;
	int rc = sm_cms_encrypt_begin(&e, crypto, recipients, n, cipher, out,
	                              base64, err);

	if (rc == SEALMAIL_OK && (buf = sm_malloc(READ_AHEAD)) == NULL)
		rc = sm_error_nomem(err);
	while (rc == SEALMAIL_OK) {
		long got = sealmail_input_read(in, buf, READ_AHEAD, err);
		if (got <= 0) {
			rc = (int)got;
			break;
		}
		rc = sm_cms_encrypt_update(e, buf, (size_t)got, err);
	}
	if (rc == SEALMAIL_OK)
		rc = sm_cms_encrypt_finish(e, err);
	sm_free(buf);
	sm_cms_encrypt_free(e);
	return rc;
}

/* --- reading an envelope ------------------------------------------------ */

typedef struct rid_entry {
	sm_env_rid pub;
	char *issuer, *serial, *ski;
	CMS_RecipientInfo *ri;          /* borrowed from cms */
	CMS_RecipientEncryptedKey *rek; /* KARI only */
} rid_entry;

struct sm_envelope {
	sm_crypto *crypto;
	CMS_ContentInfo *cms;  /* from the header fields, without the content */
	sm_cms_reader *reader; /* at the first content octet */
	sealmail_read_cb read; /* the caller's source (NULL: `mem`) */
	void *payload;
	uint64_t in_bytes;  /* bytes the source gave so far */
	unsigned char *mem; /* sm_envelope_parse: a copy of the input */
	size_t mem_len, mem_pos;
	unsigned char
	        *der; /* the detached DER (the algorithm is found there) */
	size_t der_len;
	bool used; /* the content was read by a decryption */
	bool authenticated;
	bool weak;
	char algorithm[64];
	rid_entry *rids;
	size_t nrids;
	/* sm_envelope_set_trim: keep the plaintext past `trim_after`? */
	uint64_t trim_after;
	sm_plain_keep_fn trim_keep;
	void *trim_payload;
	/* sm_envelope_set_direct: past `trim_after`, to an output? */
	sm_plain_direct_fn direct;
};

struct sm_plain {
	char *parent; /* where the private folder goes */
	char *dir;    /* NULL while the plaintext is in memory */
	char *path;
	int fd; /* open for reading and writing; -1 once closed */
	uint64_t size;
	/* in the folder: fd written through io.c (its writer thread) */
	sealmail_output *out;
};

static char *
serial_hex(const ASN1_INTEGER *sno)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(sno, NULL);
	char *hex, *s = NULL;

	if (bn == NULL)
		return NULL;
	hex = BN_bn2hex(bn);
	if (hex != NULL)
		s = sm_strdup(hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return s;
}

static char *
octets_hex(const ASN1_OCTET_STRING *os)
{
	size_t len = (size_t)ASN1_STRING_length(os);
	char *s = sm_malloc(2 * len + 1);

	if (s != NULL)
		sm_hex(s, ASN1_STRING_get0_data(os), len);
	return s;
}

static int
rid_fill(rid_entry *e,
         const ASN1_OCTET_STRING *keyid,
         const X509_NAME *issuer,
         const ASN1_INTEGER *sno)
{
	if (keyid != NULL) {
		e->pub.kind = SM_RID_SKI;
		e->ski = octets_hex(keyid);
		if (e->ski == NULL)
			return SEALMAIL_ENOMEM;
	} else if (issuer != NULL && sno != NULL) {
		e->pub.kind = SM_RID_ISSUER_SERIAL;
		e->issuer = sm_name_str(issuer);
		e->serial = serial_hex(sno);
		if (e->issuer == NULL || e->serial == NULL)
			return SEALMAIL_ENOMEM;
	} else {
		e->pub.kind = SM_RID_OTHER;
	}
	e->pub.issuer = e->issuer;
	e->pub.serial = e->serial;
	e->pub.ski = e->ski;
	return SEALMAIL_OK;
}

static int
rid_add(sm_envelope *env, rid_entry **slot, sealmail_error *err)
{
	rid_entry *n;

	if (env->nrids >= MAX_RIDS)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "encrypted message: too many recipients");
	n = sm_realloc(env->rids, (env->nrids + 1) * sizeof(*n));
	if (n == NULL)
		return sm_error_nomem(err);
	env->rids = n;
	*slot = &n[env->nrids++];
	memset(*slot, 0, sizeof(**slot));
	return SEALMAIL_OK;
}

static int
list_recipients(sm_envelope *env, sealmail_error *err)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(env->cms);
	rid_entry *e;
	int rc;

	if (ris == NULL)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "encrypted message without recipients");
	for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);
		int type = CMS_RecipientInfo_type(ri);

		if (type == CMS_RECIPINFO_TRANS) {
			ASN1_OCTET_STRING *keyid = NULL;
			X509_NAME *issuer = NULL;
			ASN1_INTEGER *sno = NULL;
			X509_ALGOR *alg = NULL;
			const ASN1_OBJECT *obj = NULL;

			rc = rid_add(env, &e, err);
			if (rc != SEALMAIL_OK)
				return rc;
			e->ri = ri;
			if (CMS_RecipientInfo_ktri_get0_signer_id(
			            ri, &keyid, &issuer, &sno) != 1)
				keyid = NULL, issuer = NULL, sno = NULL;
			if (rid_fill(e, keyid, issuer, sno) != SEALMAIL_OK)
				return sm_error_nomem(err);
			e->pub.key_alg = "rsa";
			if (CMS_RecipientInfo_ktri_get0_algs(ri, NULL, NULL,
			                                     &alg) == 1 &&
			    alg != NULL) {
				X509_ALGOR_get0(&obj, NULL, NULL, alg);
				if (OBJ_obj2nid(obj) == NID_rsaesOaep)
					e->pub.key_alg = "rsa-oaep";
				else if (OBJ_obj2nid(obj) != NID_rsaEncryption)
					e->pub.key_alg = "other";
			}
		} else if (type == CMS_RECIPINFO_AGREE) {
			STACK_OF(CMS_RecipientEncryptedKey) *reks =
			        CMS_RecipientInfo_kari_get0_reks(ri);
			for (int j = 0;
			     j < sk_CMS_RecipientEncryptedKey_num(reks); j++) {
				CMS_RecipientEncryptedKey *rek =
				        sk_CMS_RecipientEncryptedKey_value(reks,
				                                           j);
				ASN1_OCTET_STRING *keyid = NULL;
				X509_NAME *issuer = NULL;
				ASN1_INTEGER *sno = NULL;

				rc = rid_add(env, &e, err);
				if (rc != SEALMAIL_OK)
					return rc;
				e->ri = ri;
				e->rek = rek;
				if (CMS_RecipientEncryptedKey_get0_id(
				            rek, &keyid, NULL, NULL, &issuer,
				            &sno) != 1)
					keyid = NULL, issuer = NULL, sno = NULL;
				if (rid_fill(e, keyid, issuer, sno) !=
				    SEALMAIL_OK)
					return sm_error_nomem(err);
				e->pub.key_alg = "ecdh";
			}
		} else {
			rc = rid_add(env, &e, err);
			if (rc != SEALMAIL_OK)
				return rc;
			e->ri = ri;
			e->pub.kind = SM_RID_OTHER;
			e->pub.key_alg = type == CMS_RECIPINFO_KEK ? "kek"
			                 : type == CMS_RECIPINFO_PASS
			                         ? "password"
			                         : "other";
		}
	}
	return SEALMAIL_OK;
}

/*
 * The content encryption algorithm, found by walking the BER with
 * OpenSSL's TLV reader (ASN1_get_object): OpenSSL 3.0 has no accessor for
 * it before decryption, and the report needs it also when no key of ours
 * can decrypt.  ContentInfo { oid, [0] { EnvelopedData { version,
 * [0] originatorInfo OPTIONAL, recipientInfos, { contentType,
 * contentEncryptionAlgorithm { oid, params } ... } } } }.
 */
typedef struct tlv {
	const unsigned char *start; /* first byte of the tag */
	const unsigned char *body;  /* first content byte */
	long len;                   /* content length (definite) */
	int tag, cls;
	bool cons, inf;
} tlv;

static bool
tlv_read(tlv *t, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p;
	int r;

	if (p >= end)
		return false;
	r = ASN1_get_object(&q, &t->len, &t->tag, &t->cls, end - p);
	if (r & 0x80)
		return false;
	t->start = p;
	t->body = q;
	t->cons = (r & V_ASN1_CONSTRUCTED) != 0;
	t->inf = (r & 1) != 0;
	return true;
}

/* Past the element at p; NULL when malformed or nested too deep. */
static const unsigned char *
tlv_skip(const unsigned char *p, const unsigned char *end, int depth)
{
	tlv t;

	if (depth > MAX_DEPTH || !tlv_read(&t, p, end))
		return NULL;
	if (!t.inf)
		return t.body + t.len;
	p = t.body;
	while (p != NULL) {
		if (end - p >= 2 && p[0] == 0 && p[1] == 0)
			return p + 2;
		p = tlv_skip(p, end, depth + 1);
	}
	return NULL;
}

/* Enter a constructed element: its body's start and end. */
static bool
tlv_enter(const unsigned char **p, const unsigned char **end, int tag, int cls)
{
	tlv t;

	if (!tlv_read(&t, *p, *end) || !t.cons || t.tag != tag || t.cls != cls)
		return false;
	*p = t.body;
	if (!t.inf)
		*end = t.body + t.len;
	return true;
}

static void
find_algorithm(sm_envelope *env)
{
	const unsigned char *p = env->der, *end = env->der + env->der_len;
	const unsigned char *q;
	ASN1_OBJECT *obj = NULL;
	tlv t;
	int nid;
	long rc2_version = -1;

	(void)snprintf(env->algorithm, sizeof(env->algorithm), "unknown");
	if (!tlv_enter(&p, &end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL) ||
	    (p = tlv_skip(p, end, 0)) == NULL || /* contentType */
	    !tlv_enter(&p, &end, 0, V_ASN1_CONTEXT_SPECIFIC) ||
	    !tlv_enter(&p, &end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL) ||
	    (p = tlv_skip(p, end, 0)) == NULL) /* version */
		return;
	if (tlv_read(&t, p, end) && t.cls == V_ASN1_CONTEXT_SPECIFIC &&
	    t.tag == 0 && (p = tlv_skip(p, end, 0)) == NULL)
		return;                          /* originatorInfo */
	if ((p = tlv_skip(p, end, 0)) == NULL || /* recipientInfos */
	    !tlv_enter(&p, &end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL) ||
	    (p = tlv_skip(p, end, 0)) == NULL || /* contentType */
	    !tlv_enter(&p, &end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL) ||
	    !tlv_read(&t, p, end) || t.tag != V_ASN1_OBJECT || t.inf)
		return;
	q = p;
	if (d2i_ASN1_OBJECT(&obj, &q, (t.body - t.start) + t.len) == NULL)
		return;
	nid = OBJ_obj2nid(obj);
	p = q;
	/* Anything but AES may need the legacy provider (RC2, DES). */
	if (nid != NID_aes_128_cbc && nid != NID_aes_192_cbc &&
	    nid != NID_aes_256_cbc && nid != NID_aes_128_gcm &&
	    nid != NID_aes_192_gcm && nid != NID_aes_256_gcm)
		sm_crypto_need_legacy(env->crypto);
	/* RC2-CBC parameters: SEQUENCE { version INTEGER OPTIONAL, iv } */
	if (nid == NID_rc2_cbc &&
	    tlv_enter(&p, &end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL) &&
	    tlv_read(&t, p, end) && t.tag == V_ASN1_INTEGER && !t.inf &&
	    t.len > 0 && t.len <= 2) {
		rc2_version = 0;
		for (long i = 0; i < t.len; i++)
			rc2_version = rc2_version * 256 + t.body[i];
	}
	switch (nid) {
	case NID_aes_128_cbc:
	case NID_aes_192_cbc:
	case NID_aes_256_cbc:
	case NID_aes_128_gcm:
	case NID_aes_192_gcm:
	case NID_aes_256_gcm: {
		/* "id-aes256-GCM" / "AES-256-CBC" -> "aes-256-gcm" */
		int bits = nid == NID_aes_128_cbc || nid == NID_aes_128_gcm
		                   ? 128
		           : nid == NID_aes_192_cbc || nid == NID_aes_192_gcm
		                   ? 192
		                   : 256;
		bool gcm = nid == NID_aes_128_gcm || nid == NID_aes_192_gcm ||
		           nid == NID_aes_256_gcm;
		(void)snprintf(env->algorithm, sizeof(env->algorithm),
		               "AES-%d-%s", bits, gcm ? "GCM" : "CBC");
		break;
	}
	case NID_des_ede3_cbc:
		(void)snprintf(env->algorithm, sizeof(env->algorithm),
		               "DES-EDE3-CBC");
		env->weak = true;
		break;
	case NID_des_cbc:
		(void)snprintf(env->algorithm, sizeof(env->algorithm),
		               "DES-CBC");
		env->weak = true;
		break;
	case NID_rc2_cbc:
		/* RFC 8018 B.2.3: version 160 = 40 bits, 120 = 64, 58 = 128 */
		(void)snprintf(env->algorithm, sizeof(env->algorithm), "%s",
		               rc2_version == 160   ? "RC2-40-CBC"
		               : rc2_version == 120 ? "RC2-64-CBC"
		               : rc2_version == 58  ? "RC2-128-CBC"
		                                    : "RC2-CBC");
		env->weak = true;
		break;
	default:
		if (nid != NID_undef)
			(void)snprintf(env->algorithm, sizeof(env->algorithm),
			               "%s", OBJ_nid2sn(nid));
		else
			(void)OBJ_obj2txt(env->algorithm,
			                  (int)sizeof(env->algorithm), obj, 1);
		break;
	}
	ASN1_OBJECT_free(obj);
}

/* The reader's source: the caller's callback or the copied input. */
static long
env_read(void *buf, size_t len, void *payload)
{
	sm_envelope *env = payload;
	long n;

	if (env->read != NULL) {
		n = env->read(buf, len, env->payload);
	} else {
		size_t left = env->mem_len - env->mem_pos;
		n = (long)(len < left ? len : left);
		memcpy(buf, env->mem + env->mem_pos, (size_t)n);
		env->mem_pos += (size_t)n;
	}
	if (n > 0)
		env->in_bytes += (uint64_t)n;
	return n;
}

/*
 * Read the envelope up to its first content octet with the incremental BER
 * reader and give OpenSSL only the fields before the content (the
 * ContentInfo rebuilt without it): the whole structure is never in memory.
 */
static int
env_start(sm_envelope *env, sealmail_error *err)
{
	sealmail_error e = {0};
	const unsigned char *p;
	sm_buf der;
	int rc;

	rc = sm_cms_reader_new(&env->reader, env_read, env, &e);
	if (rc == SEALMAIL_EUNSUPPORTED)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "not an encrypted message (%s)", e.message);
	if (rc == SEALMAIL_EBADDATA && env->in_bytes == 0)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "the encrypted part is empty");
	if (rc == SEALMAIL_EBADDATA)
		/* OpenSSL's words for a short structure, as before */
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "not a CMS structure: %s",
		                    strstr(e.message, "truncated") != NULL
		                            ? "not enough data"
		                            : e.message);
	if (rc != SEALMAIL_OK) {
		if (err != NULL)
			*err = e;
		return rc;
	}
	if (sm_cms_reader_type(env->reader) == SM_CMS_SIGNED)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "not an encrypted message (CMS type %s)",
		                    OBJ_nid2sn(NID_pkcs7_signed));
	env->authenticated =
	        sm_cms_reader_type(env->reader) == SM_CMS_AUTH_ENVELOPED;
	sm_buf_init(&der, SM_BER_FIELDS_MAX + 4096);
	rc = sm_cms_reader_detached_der(env->reader, &der, err);
	if (rc != SEALMAIL_OK) {
		sm_buf_free(&der);
		return rc;
	}
	env->der = sm_buf_detach(&der, &env->der_len);
	if (env->der == NULL || env->der_len > (size_t)LONG_MAX)
		return sm_error_nomem(err);
	env->cms = CMS_ContentInfo_new_ex(env->crypto->libctx, NULL);
	if (env->cms == NULL)
		return sm_error_nomem(err);
	p = env->der;
	if (d2i_CMS_ContentInfo(&env->cms, &p, (long)env->der_len) == NULL)
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "not a CMS structure");
	rc = list_recipients(env, err);
	if (rc != SEALMAIL_OK)
		return rc;
	find_algorithm(env);
	return SEALMAIL_OK;
}

static int
env_new(sm_envelope **out,
        sm_crypto *crypto,
        sealmail_read_cb read,
        void *payload,
        const unsigned char *data,
        size_t len,
        sealmail_error *err)
{
	sm_envelope *env;
	int rc;

	*out = NULL;
	env = sm_calloc(1, sizeof(*env));
	if (env == NULL)
		return sm_error_nomem(err);
	env->crypto = crypto;
	env->read = read;
	env->payload = payload;
	if (read == NULL) {
		env->mem = sm_malloc(len);
		if (env->mem == NULL) {
			sm_free(env);
			return sm_error_nomem(err);
		}
		if (len > 0) /* data may be NULL when empty */
			memcpy(env->mem, data, len);
		env->mem_len = len;
	}
	ERR_clear_error();
	rc = env_start(env, err);
	ERR_clear_error();
	if (rc != SEALMAIL_OK) {
		sm_envelope_free(env);
		return rc;
	}
	*out = env;
	return SEALMAIL_OK;
}

int
sm_envelope_open(sm_envelope **out,
                 sm_crypto *crypto,
                 sealmail_read_cb read,
                 void *payload,
                 sealmail_error *err)
{
	return env_new(out, crypto, read, payload, NULL, 0, err);
}

int
sm_envelope_parse(sm_envelope **out,
                  sm_crypto *crypto,
                  const unsigned char *data,
                  size_t len,
                  sealmail_error *err)
{
	*out = NULL;
	if (data == NULL || len == 0)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "the encrypted part is empty");
	return env_new(out, crypto, NULL, NULL, data, len, err);
}

void
sm_envelope_free(sm_envelope *env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; i < env->nrids; i++) {
		sm_free(env->rids[i].issuer);
		sm_free(env->rids[i].serial);
		sm_free(env->rids[i].ski);
	}
	sm_free(env->rids);
	CMS_ContentInfo_free(env->cms);
	sm_cms_reader_free(env->reader);
	sm_free(env->mem);
	sm_free(env->der);
	sm_free(env);
}

bool
sm_envelope_authenticated(const sm_envelope *env)
{
	return env->authenticated;
}

const char *
sm_envelope_algorithm(const sm_envelope *env)
{
	return env->algorithm;
}

bool
sm_envelope_weak(const sm_envelope *env)
{
	return env->weak;
}

size_t
sm_envelope_recipient_count(const sm_envelope *env)
{
	return env->nrids;
}

const sm_env_rid *
sm_envelope_recipient_at(const sm_envelope *env, size_t i)
{
	return i < env->nrids ? &env->rids[i].pub : NULL;
}

static bool
rid_is(const rid_entry *e, X509 *x)
{
	if (e->pub.kind == SM_RID_OTHER)
		return false;
	if (e->rek != NULL)
		return CMS_RecipientEncryptedKey_cert_cmp(e->rek, x) == 0;
	return CMS_RecipientInfo_ktri_cert_cmp(e->ri, x) == 0;
}

bool
sm_envelope_recipient_is(const sm_envelope *env, size_t i, const sm_cert *cert)
{
	X509 *x;
	bool r;

	if (i >= env->nrids)
		return false;
	x = cert_x509(env->crypto, cert);
	if (x == NULL) {
		ERR_clear_error();
		return false;
	}
	r = rid_is(&env->rids[i], x);
	X509_free(x);
	ERR_clear_error();
	return r;
}

bool
sm_envelope_names(const sm_envelope *env, const sm_cert *cert)
{
	X509 *x = cert_x509(env->crypto, cert);
	bool r = false;

	if (x == NULL) {
		ERR_clear_error();
		return false;
	}
	for (size_t i = 0; i < env->nrids && !r; i++)
		r = rid_is(&env->rids[i], x);
	X509_free(x);
	ERR_clear_error();
	return r;
}

/* --- decryption --------------------------------------------------------- */

const char *
sm_plain_path(const sm_plain *plain)
{
	return plain->path;
}

uint64_t
sm_plain_size(const sm_plain *plain)
{
	return plain->size;
}

int
sm_plain_fd(const sm_plain *plain)
{
	return plain->fd;
}

void
sm_plain_free(sm_plain *plain)
{
	if (plain == NULL)
		return;
	sealmail_output_free(plain->out);
	if (plain->fd >= 0)
		(void)close(plain->fd);
	if (plain->path != NULL)
		(void)unlink(plain->path);
	if (plain->dir != NULL)
		(void)rmdir(plain->dir);
	sm_free(plain->path);
	sm_free(plain->dir);
	sm_free(plain->parent);
	sm_free(plain);
}

static int
write_all(int fd, const unsigned char *p, size_t len, sealmail_error *err)
{
	int e = sm_write_all(fd, p, len);

	if (e != 0)
		return sm_error_set(err, SEALMAIL_EIO,
		                    "cannot write decrypted content: %s",
		                    strerror(e));
	return SEALMAIL_OK;
}

/*
 * A 0700 folder with a 0600 file "content" in it, opened read-write: the
 * plaintext's home once it outgrows memory (or without memfd_create).
 */
static int
plain_file(sm_plain *p, int *fd_out, sealmail_error *err)
{
	sm_buf b;
	int fd;

	*fd_out = -1;
	sm_buf_init(&b, 8192);
	if (sm_buf_printf(&b, err, "%s/sealmail-XXXXXX", p->parent) !=
	    SEALMAIL_OK)
		return sm_error_nomem(err);
	p->dir = (char *)sm_buf_detach(&b, NULL);
	if (p->dir == NULL || mkdtemp(p->dir) == NULL) {
		int e = errno;
		sm_free(p->dir);
		p->dir = NULL;
		return sm_error_set(err, SEALMAIL_EIO,
		                    "cannot create a private folder in %s: %s",
		                    p->parent, strerror(e));
	}
	sm_buf_init(&b, 8192);
	if (sm_buf_printf(&b, err, "%s/content", p->dir) != SEALMAIL_OK)
		return sm_error_nomem(err);
	p->path = (char *)sm_buf_detach(&b, NULL);
	if (p->path == NULL)
		return sm_error_nomem(err);
	fd = open(p->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          0600);
	if (fd < 0) {
		int e = errno;
		sm_free(p->path);
		p->path = NULL;
		return sm_error_set(err, SEALMAIL_EIO,
		                    "cannot create a private temporary: %s",
		                    strerror(e));
	}
	*fd_out = fd;
	return SEALMAIL_OK;
}

/* An anonymous memory file (Linux), or -1 where there is none. */
static int
plain_memfd(void)
{
#ifdef MFD_CLOEXEC
	return memfd_create("sealmail-plain", MFD_CLOEXEC);
#else
	return -1;
#endif
}

/*
 * An empty plaintext, open read-write in plain->fd: in memory, or in the
 * private folder under `parent` (NULL: P_tmpdir) where there is no memory
 * file.
 */
static int
plain_create(sm_plain **out, const char *parent, sealmail_error *err)
{
	sm_plain *p;
	int rc;

	*out = NULL;
	if (parent == NULL || parent[0] == '\0')
		parent = P_tmpdir; /* the library reads no environment */
	p = sm_calloc(1, sizeof(*p));
	if (p == NULL)
		return sm_error_nomem(err);
	p->parent = sm_strdup(parent);
	if (p->parent == NULL) {
		sm_free(p);
		return sm_error_nomem(err);
	}
	p->fd = plain_memfd();
	if (p->fd < 0) {
		rc = plain_file(p, &p->fd, err);
		if (rc != SEALMAIL_OK) {
			sm_plain_free(p);
			return rc;
		}
	}
	*out = p;
	return SEALMAIL_OK;
}

/* Move an in-memory plaintext to the private folder; continue there. */
static int
plain_spill(sm_plain *p, sealmail_error *err)
{
	unsigned char *chunk;
	uint64_t off = 0;
	int fd, rc;

	rc = plain_file(p, &fd, err);
	if (rc != SEALMAIL_OK)
		return rc;
	chunk = sm_malloc(64 * 1024);
	if (chunk == NULL) {
		(void)close(fd);
		return sm_error_nomem(err);
	}
	while (off < p->size) {
		size_t want = p->size - off < 64 * 1024
		                      ? (size_t)(p->size - off)
		                      : 64 * 1024;
		ssize_t n = pread(p->fd, chunk, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = sm_error_set(err, SEALMAIL_EIO,
			                  "cannot read decrypted content: %s",
			                  n < 0 ? strerror(errno) : "short");
			break;
		}
		rc = write_all(fd, chunk, (size_t)n, err);
		if (rc != SEALMAIL_OK)
			break;
		off += (uint64_t)n;
	}
	sm_free(chunk);
	/* the file (complete or not) is the plaintext now: freed with it */
	(void)close(p->fd);
	p->fd = fd;
	return rc;
}

/* Append to the plaintext, moving it to the folder past PLAIN_MEM_MAX. */
static int
plain_write(sm_plain *p,
            const unsigned char *buf,
            size_t len,
            sealmail_error *err)
{
	int rc;

	if (p->dir == NULL && p->size + (uint64_t)len > PLAIN_MEM_MAX) {
		rc = plain_spill(p, err);
		if (rc == SEALMAIL_OK)
			rc = sealmail_output_new_fd(&p->out, p->fd, err);
		if (rc == SEALMAIL_OK)
			rc = sm_output_set_name(
			        p->out, "cannot write decrypted content", err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	rc = p->out != NULL ? sealmail_output_write(p->out, buf, len, err)
	                    : write_all(p->fd, buf, len, err);
	if (rc == SEALMAIL_OK)
		p->size += (uint64_t)len;
	return rc;
}

/* Everything written to the file, for reading it. */
static int
plain_flush(sm_plain *p, sealmail_error *err)
{
	return p->out != NULL ? sealmail_output_commit(p->out, err)
	                      : SEALMAIL_OK;
}

void
sm_envelope_set_trim(sm_envelope *env,
                     uint64_t after,
                     sm_plain_keep_fn keep,
                     void *payload)
{
	env->trim_after = after;
	env->trim_keep = keep;
	env->trim_payload = payload;
}

void
sm_envelope_set_direct(sm_envelope *env,
                       uint64_t after,
                       sm_plain_direct_fn direct,
                       void *payload)
{
	env->trim_after = after;
	env->direct = direct;
	env->trim_payload = payload;
}

/*
 * The trim or direct callback on the first `len` bytes written to `fd`:
 * keep the rest in the plaintext (*keep), or send it to *out.
 */
static int
trim_decide(bool *keep,
            sealmail_output **out,
            const sm_envelope *env,
            int fd,
            size_t len,
            sealmail_error *err)
{
	unsigned char *head = sm_malloc(len > 0 ? len : 1);
	size_t got = 0;
	int rc = SEALMAIL_OK;

	if (head == NULL)
		return sm_error_nomem(err);
	while (got < len) {
		ssize_t n = pread(fd, head + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sm_free(head);
			return sm_error_set(err, SEALMAIL_EIO,
			                    "cannot read decrypted content: %s",
			                    n < 0 ? strerror(errno) : "short");
		}
		got += (size_t)n;
	}
	if (env->direct != NULL)
		rc = env->direct(out, head, len, env->trim_payload, err);
	else
		*keep = env->trim_keep(head, len, env->trim_payload);
	sm_wipe(head, len);
	sm_free(head);
	return rc;
}

/* Pop and free the BIOs CMS_dataInit pushed onto `src`, then `src`. */
static void
chain_free(BIO *chain, BIO *src)
{
	while (chain != NULL && chain != src) {
		BIO *next = BIO_pop(chain);

		BIO_free(chain);
		chain = next;
	}
	BIO_free(src);
}

int
sm_envelope_decrypt(sm_envelope *env,
                    const sm_cert *cert,
                    const sm_key *key,
                    const char *tmp_parent,
                    sm_env_outcome *outcome,
                    sm_plain **plain_out,
                    sealmail_error *err)
{
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	BIO *src = NULL, *chain = NULL, *cbio;
	sm_plain *plain = NULL;
	sealmail_output *direct = NULL; /* past the prefix: the caller's */
	unsigned char *buf = NULL;
	sealmail_error e = {0};
	bool keep = true, decided = false;
	bool deciding = env->trim_keep != NULL || env->direct != NULL;
	int rc = SEALMAIL_OK, n;

	*plain_out = NULL;
	*outcome = SM_ENV_NOT_FOR_KEY;
	if (env->used)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "the encrypted content was already read");
	ERR_clear_error();
	x = cert_x509(env->crypto, cert);
	if (x == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_EBADDATA,
		                   "cannot read the certificate");
		goto done;
	}
	if (!sm_envelope_names(env, cert))
		goto done; /* SM_ENV_NOT_FOR_KEY */
	pk = key_pkey(env->crypto, key, err);
	if (pk == NULL) {
		rc = SEALMAIL_EBADDATA;
		goto done;
	}
	if (CMS_decrypt_set1_pkey_and_peer(env->cms, pk, x, NULL) != 1)
		goto done; /* the key did not unwrap the content key */
	src = sm_bio_cms_content_new(env->reader);
	buf = sm_malloc(DECRYPT_BUF);
	if (src == NULL || buf == NULL) {
		rc = sm_error_nomem(err);
		goto done;
	}
	env->used = true;
	chain = CMS_dataInit(env->cms, src);
	if (chain == NULL) {
		*outcome = SM_ENV_CONTENT_FAILED;
		goto done;
	}
	cbio = BIO_find_type(chain, BIO_TYPE_CIPHER);
	if (env->authenticated && cbio != NULL)
		/* the tag comes after the content: set it at the end */
		sm_bio_cms_content_set_cipher(src, cbio);
	rc = plain_create(&plain, tmp_parent, err);
	if (rc != SEALMAIL_OK)
		goto done;
	for (;;) {
		unsigned char *at = NULL;
		size_t room = DECRYPT_BUF;
		/* once nothing is left to decide: decrypted in place in the
		 * writer thread's buffer, no copy */
		sealmail_output *to = direct != NULL ? direct
		                      : keep && (decided || !deciding)
		                              ? plain->out
		                              : NULL;

		if (to != NULL) {
			rc = sm_output_reserve(to, DECRYPT_MIN, &at, &room,
			                       err);
			if (rc != SEALMAIL_OK)
				goto done;
			room = at == NULL || room > DECRYPT_BUF ? DECRYPT_BUF
			                                        : room;
		}
		n = BIO_read(chain, at != NULL ? at : buf, (int)room);
		if (n <= 0)
			break;
		if (at != NULL) {
			rc = sm_output_advance(to, (size_t)n, err);
			if (rc != SEALMAIL_OK)
				goto done;
			if (to == plain->out)
				plain->size += (uint64_t)n;
			continue;
		}
		if (!keep)
			continue; /* decrypted (and authenticated), not kept */
		if (deciding && !decided &&
		    plain->size + (uint64_t)n > env->trim_after) {
			decided = true;
			rc = plain_flush(plain, err);
			if (rc == SEALMAIL_OK)
				rc = trim_decide(&keep, &direct, env, plain->fd,
				                 (size_t)plain->size, err);
			if (rc != SEALMAIL_OK)
				goto done;
			if (!keep)
				continue;
		}
		if (direct != NULL) {
			rc = sealmail_output_write(direct, buf, (size_t)n, err);
			if (rc != SEALMAIL_OK)
				goto done;
			continue;
		}
		rc = plain_write(plain, buf, (size_t)n, err);
		if (rc != SEALMAIL_OK)
			goto done;
	}
	rc = sm_bio_cms_content_status(src, &e);
	if (rc != SEALMAIL_OK) {
		/* the structure is damaged or the source failed */
		if (rc == SEALMAIL_EBADDATA)
			rc = sm_error_set(err, SEALMAIL_EBADDATA,
			                  "not a CMS structure: %s",
			                  strstr(e.message, "truncated") != NULL
			                          ? "not enough data"
			                          : e.message);
		else if (err != NULL)
			*err = e;
		goto done;
	}
	/* the cipher BIO checked the padding / the GCM tag last */
	if (n < 0 || cbio == NULL || BIO_get_cipher_status(cbio) != 1) {
		*outcome = env->authenticated ? SM_ENV_TAG_FAILED
		                              : SM_ENV_CONTENT_FAILED;
		goto done;
	}
	rc = plain_flush(plain, err);
	if (rc != SEALMAIL_OK)
		goto done;
	/* Published open: the next layer reads it through plain->fd. */
	*outcome = SM_ENV_DECRYPTED;
	*plain_out = plain;
	plain = NULL;
done:
	sm_plain_free(plain); /* unpublished: closed and removed */
	sm_free(buf);
	chain_free(chain, src);
	EVP_PKEY_free(pk);
	X509_free(x);
	ERR_clear_error();
	return rc;
}
