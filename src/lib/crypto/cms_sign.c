/* SPDX-License-Identifier: MIT */
/*
 * CMS signed-data signing over streams: detached or opaque, content pushed
 * in pieces, the output (base64 in CRLF lines) written as it is produced.
 * Verification is in cms_verify.c.  OpenSSL stays inside this file.
 */
#include "crypto_int.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../b64.h"

/* ---- a BIO sink that forwards to an sm_write_fn ----------------------- */

typedef struct sink_ctx {
	sm_write_fn write;
	void *payload;
	int status;
} sink_ctx;

static int
sink_put(sink_ctx *c, const char *buf, size_t len)
{
	int rc;

	if (c->status != SEALMAIL_OK)
		return -1;
	rc = c->write(buf, len, c->payload);
	if (rc != SEALMAIL_OK) {
		c->status = rc;
		return -1;
	}
	return 0;
}

static int
sink_write(BIO *b, const char *buf, int len)
{
	sink_ctx *c = BIO_get_data(b);

	if (len <= 0)
		return 0;
	return sink_put(c, buf, (size_t)len) == 0 ? len : -1;
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

static BIO_METHOD *
sink_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	                             "sealmail sink");

	if (m == NULL)
		return NULL;
	if (!BIO_meth_set_write(m, sink_write) ||
	    !BIO_meth_set_ctrl(m, sink_ctrl) ||
	    !BIO_meth_set_create(m, sink_create)) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* ---- our types to OpenSSL's ------------------------------------------- */

/* A new reference to the certificate's X509 (cert.c keeps its own). */
static X509 *
to_x509(const sm_cert *cert)
{
	X509 *x = sm_cert_x509(cert);

	return x != NULL && X509_up_ref(x) == 1 ? x : NULL;
}

/* A new reference to the key's EVP_PKEY (key.c keeps its own). */
static EVP_PKEY *
to_pkey(const sm_key *key, sealmail_error *err)
{
	EVP_PKEY *pkey = sm_key_pkey(key);

	if (pkey == NULL || EVP_PKEY_up_ref(pkey) != 1) {
		(void)sm_error_set(err, SEALMAIL_ERROR, "cannot use the key");
		return NULL;
	}
	return pkey;
}

/* ---- signing ---------------------------------------------------------- */

struct sm_cms_sign {
	sm_crypto *crypto;
	CMS_ContentInfo *cms;
	BIO_METHOD *meth;
	BIO *sink; /* -> caller's write */
	BIO *b64;  /* base64 (sm_b64, 76-character CRLF lines) -> sink */
	BIO *data; /* content goes in here */
	sink_ctx ctx;
	EVP_MD *md;
	X509 *x509;
	EVP_PKEY *pkey;
	bool opaque, finished;
	const char *micalg;
};

/*
 * RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 4055 section 4.1), the
 * parameters sealmail itself encrypts with, as one SMIMECapability.
 */
static X509_ALGOR *
oaep_capability(void)
{
	RSA_OAEP_PARAMS *p = RSA_OAEP_PARAMS_new();
	X509_ALGOR *mgf_md = X509_ALGOR_new(), *cap = X509_ALGOR_new();
	ASN1_STRING *mgf_param = NULL, *param = NULL;
	int ok = p != NULL && mgf_md != NULL && cap != NULL;

	if (ok) {
		p->hashFunc = X509_ALGOR_new();
		p->maskGenFunc = X509_ALGOR_new();
		ok = p->hashFunc != NULL && p->maskGenFunc != NULL;
	}
	if (ok) {
		X509_ALGOR_set_md(p->hashFunc, EVP_sha256());
		X509_ALGOR_set_md(mgf_md, EVP_sha256());
		mgf_param = ASN1_item_pack(mgf_md, ASN1_ITEM_rptr(X509_ALGOR),
		                           NULL);
		ok = mgf_param != NULL &&
		     X509_ALGOR_set0(p->maskGenFunc, OBJ_nid2obj(NID_mgf1),
		                     V_ASN1_SEQUENCE, mgf_param) == 1;
		if (!ok)
			ASN1_STRING_free(mgf_param);
	}
	if (ok) {
		param = ASN1_item_pack(p, ASN1_ITEM_rptr(RSA_OAEP_PARAMS),
		                       NULL);
		ok = param != NULL &&
		     X509_ALGOR_set0(cap, OBJ_nid2obj(NID_rsaesOaep),
		                     V_ASN1_SEQUENCE, param) == 1;
		if (!ok)
			ASN1_STRING_free(param);
	}
	RSA_OAEP_PARAMS_free(p);
	X509_ALGOR_free(mgf_md);
	if (!ok) {
		X509_ALGOR_free(cap);
		return NULL;
	}
	return cap;
}

static int
add_capabilities(CMS_SignerInfo *si)
{
	/*
	 * What we can decrypt, strongest first (RFC 8551 2.5.2): the content
	 * ciphers, then RSAES-OAEP key transport, so that peers can choose
	 * it over PKCS#1 v1.5.
	 */
	static const int nids[] = {NID_aes_256_gcm, NID_aes_128_gcm,
	                           NID_aes_256_cbc, NID_aes_128_cbc};
	STACK_OF(X509_ALGOR) *algs = sk_X509_ALGOR_new_null();
	X509_ALGOR *oaep = NULL;
	int ok = algs != NULL;

	for (size_t i = 0; ok && i < SM_ARRAY_SIZE(nids); i++)
		ok = CMS_add_simple_smimecap(&algs, nids[i], -1) == 1;
	if (ok) {
		oaep = oaep_capability();
		ok = oaep != NULL && sk_X509_ALGOR_push(algs, oaep) > 0;
		if (!ok)
			X509_ALGOR_free(oaep);
	}
	if (ok)
		ok = CMS_add_smimecap(si, algs) == 1;
	sk_X509_ALGOR_pop_free(algs, X509_ALGOR_free);
	return ok;
}

/*
 * SMIMEEncryptionKeyPreference (RFC 8551 2.5.3), issuerAndSerialNumber
 * choice: [0] IMPLICIT SEQUENCE { issuer Name, serialNumber INTEGER }.
 */
static int
add_key_preference(CMS_SignerInfo *si, X509 *enc)
{
	unsigned char *name = NULL, *serial = NULL, *der = NULL, *p;
	int nlen = i2d_X509_NAME(X509_get_issuer_name(enc), &name);
	int slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(enc), &serial);
	int total, ok = 0;
	ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113549.1.9.16.2.11", 1);

	if (nlen <= 0 || slen <= 0 || oid == NULL)
		goto done;
	total = ASN1_object_size(1, nlen + slen, 0);
	der = OPENSSL_malloc((size_t)total);
	if (der == NULL)
		goto done;
	p = der;
	ASN1_put_object(&p, 1, nlen + slen, 0, V_ASN1_CONTEXT_SPECIFIC);
	memcpy(p, name, (size_t)nlen);
	memcpy(p + nlen, serial, (size_t)slen);
	/*
	 * A SEQUENCE-typed ASN1_TYPE is written as the encoding it holds, so
	 * the [0] tag goes out as it is (V_ASN1_OTHER, being negative, would
	 * be taken for a multibyte string type here).
	 */
	ok = CMS_signed_add1_attr_by_OBJ(si, oid, V_ASN1_SEQUENCE, der, total);
done:
	ASN1_OBJECT_free(oid);
	OPENSSL_free(der);
	OPENSSL_free(name);
	OPENSSL_free(serial);
	return ok;
}

static int
sign_setup(sm_cms_sign *s, const sm_cms_sign_params *p, sealmail_error *err)
{
	unsigned int base = CMS_PARTIAL | CMS_BINARY;
	/*
	 * OpenSSL 3.0 cannot stream opaque signed-data with RSA-PSS (its
	 * ASN.1 streaming fails with "illegal zero content"): that one
	 * combination collects the content in memory (CMS_dataInit's memory
	 * BIO) and is written whole at the end.
	 */
	unsigned int flags = base | (!p->opaque ? CMS_DETACHED
	                             : p->pss   ? 0
	                                        : CMS_STREAM);
	unsigned int sflags = base | CMS_NOSMIMECAP;
	CMS_SignerInfo *si;

	s->cms = CMS_sign_ex(NULL, NULL, NULL, NULL, flags, s->crypto->libctx,
	                     NULL);
	if (s->cms == NULL)
		return sm_ossl_error(err, SEALMAIL_ERROR, "cannot sign");
	if (!p->include_certs)
		sflags |= CMS_NOCERTS;
	if (p->pss)
		sflags |= CMS_KEY_PARAM;
	si = CMS_add1_signer(s->cms, s->x509, s->pkey, s->md, sflags);
	if (si == NULL)
		return sm_ossl_error(err, SEALMAIL_ERROR, "cannot sign");
	if (p->pss) {
		EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);
		if (pctx == NULL ||
		    EVP_PKEY_get_base_id(s->pkey) != EVP_PKEY_RSA)
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "RSA-PSS needs an RSA key");
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <=
		            0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(
		            pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
			return sm_ossl_error(err, SEALMAIL_ERROR,
			                     "cannot set up RSA-PSS");
	}
	if (!add_capabilities(si))
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot add SMIMECapabilities");
	if (p->encryption_cert != NULL) {
		X509 *enc = to_x509(p->encryption_cert);
		int ok = enc != NULL && add_key_preference(si, enc);
		/* The reader needs the certificate it names. */
		if (ok && p->include_certs)
			ok = CMS_add1_cert(s->cms, enc) == 1;
		X509_free(enc);
		if (!ok)
			return sm_ossl_error(err, SEALMAIL_ERROR,
			                     "cannot add the key preference");
	}
	for (size_t i = 0; p->include_certs && i < p->nchain; i++) {
		X509 *x;
		int ok;
		if (sm_cert_is_self_signed(p->chain[i]))
			continue; /* the root is the reader's to have */
		x = to_x509(p->chain[i]);
		ok = x != NULL && CMS_add1_cert(s->cms, x);
		X509_free(x);
		if (!ok)
			return sm_ossl_error(err, SEALMAIL_ERROR,
			                     "cannot add the chain");
	}
	return SEALMAIL_OK;
}

int
sm_cms_sign_begin(sm_cms_sign **out,
                  sm_crypto *crypto,
                  const sm_cms_sign_params *p,
                  sm_write_fn write,
                  void *payload,
                  sealmail_error *err)
{
	sm_cms_sign *s = sm_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL)
		return sm_error_nomem(err);
	ERR_clear_error();
	s->crypto = crypto;
	s->opaque = p->opaque && !p->pss; /* streamed through BIO_new_CMS */
	s->ctx = (sink_ctx){write, payload, SEALMAIL_OK};
	s->pkey = to_pkey(p->key, err);
	if (s->pkey == NULL) {
		rc = err != NULL && err->code != 0 ? err->code : SEALMAIL_ERROR;
		goto fail;
	}
	s->x509 = to_x509(p->cert);
	/*
	 * SHA-256, but a digest as strong as the curve for EC keys: P-384
	 * with SHA-384, P-521 with SHA-512 (RFC 5753; gpgsm refuses less).
	 */
	{
		int bits = EVP_PKEY_get_base_id(s->pkey) == EVP_PKEY_EC
		                   ? EVP_PKEY_get_bits(s->pkey)
		                   : 0;
		const char *md = bits >= 512   ? "SHA512"
		                 : bits >= 384 ? "SHA384"
		                               : "SHA256";
		s->micalg = bits >= 512   ? "sha-512"
		            : bits >= 384 ? "sha-384"
		                          : "sha-256";
		s->md = EVP_MD_fetch(crypto->libctx, md, NULL);
	}
	s->meth = sink_method();
	if (s->x509 == NULL || s->md == NULL || s->meth == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_ERROR, "cannot sign");
		goto fail;
	}
	rc = sign_setup(s, p, err);
	if (rc != SEALMAIL_OK)
		goto fail;
	s->sink = BIO_new(s->meth);
	s->b64 = sm_bio_b64_encoder_new(SM_B64_MIME_LINE);
	if (s->sink == NULL || s->b64 == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_ENOMEM, "cannot sign");
		goto fail;
	}
	BIO_set_data(s->sink, &s->ctx);
	(void)BIO_push(s->b64, s->sink);
	if (p->direct != NULL)
		sm_bio_b64_encoder_set_output(s->b64, p->direct, &s->ctx.status,
		                              NULL);
	s->data = s->opaque ? BIO_new_CMS(s->b64, s->cms)
	                    : CMS_dataInit(s->cms, NULL);
	if (s->data == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_ERROR, "cannot sign");
		goto fail;
	}
	*out = s;
	return SEALMAIL_OK;
fail:
	sm_cms_sign_free(s);
	return rc;
}

static int
sink_status(sm_cms_sign *s, sealmail_error *err, const char *what)
{
	if (s->ctx.status != SEALMAIL_OK) {
		ERR_clear_error();
		return sm_error_set(err, s->ctx.status, "%s: write failed",
		                    what);
	}
	return sm_ossl_error(err, SEALMAIL_ERROR, what);
}

int
sm_cms_sign_update(sm_cms_sign *s,
                   const void *data,
                   size_t len,
                   sealmail_error *err)
{
	const unsigned char *p = data;

	while (len > 0) {
		int n = len > (1u << 30) ? 1 << 30 : (int)len;
		int w = BIO_write(s->data, p, n);
		if (w <= 0)
			return sink_status(s, err, "cannot sign");
		p += w;
		len -= (size_t)w;
	}
	return SEALMAIL_OK;
}

/* Free the BIOs BIO_new_CMS/CMS_dataInit pushed, down to (not incl.) end. */
static void
pop_until(BIO *top, BIO *end)
{
	while (top != NULL && top != end) {
		BIO *next = BIO_pop(top);
		BIO_free(top);
		top = next;
	}
}

int
sm_cms_sign_finish(sm_cms_sign *s, sealmail_error *err)
{
	int ok;

	if (s->opaque) {
		ok = BIO_flush(s->data) == 1;
		pop_until(s->data, s->b64);
		s->data = NULL;
	} else {
		ok = CMS_dataFinal(s->cms, s->data) == 1;
		BIO_free_all(s->data);
		s->data = NULL;
		ok = ok && i2d_CMS_bio(s->b64, s->cms) == 1;
	}
	ok = ok && BIO_flush(s->b64) == 1;
	s->finished = true;
	if (!ok)
		return sink_status(s, err, "cannot sign");
	return SEALMAIL_OK;
}

const char *
sm_cms_sign_micalg(const sm_cms_sign *s)
{
	return s->micalg;
}

void
sm_cms_sign_free(sm_cms_sign *s)
{
	if (s == NULL)
		return;
	if (s->data != NULL) {
		if (s->opaque)
			pop_until(s->data, s->b64);
		else
			BIO_free_all(s->data);
	}
	BIO_free_all(s->b64);
	BIO_meth_free(s->meth);
	CMS_ContentInfo_free(s->cms);
	EVP_MD_free(s->md);
	X509_free(s->x509);
	EVP_PKEY_free(s->pkey);
	ERR_clear_error();
	sm_free(s);
}
