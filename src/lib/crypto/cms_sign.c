/* SPDX-License-Identifier: MIT */
/*
 * CMS signed-data over streams: signing (detached or opaque) with content
 * pushed in pieces, and verification of each SignerInfo separately, with the
 * content digests computed as the bytes go by (retryable over other bytes for
 * the benign-rewrite checks).  OpenSSL stays inside this file.
 */
#include "crypto_int.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* ---- a BIO sink that forwards to an sm_write_fn ----------------------- */

typedef struct sink_ctx {
	sm_write_fn write;
	void *payload;
	bool crlf; /* turn "\n" into "\r\n" (base64 lines for MIME) */
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
	int start = 0;

	if (len <= 0)
		return 0;
	if (!c->crlf)
		return sink_put(c, buf, (size_t)len) == 0 ? len : -1;
	for (int i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (sink_put(c, buf + start, (size_t)(i - start)) != 0 ||
		    sink_put(c, "\r\n", 2) != 0)
			return -1;
		start = i + 1;
	}
	if (start < len && sink_put(c, buf + start, (size_t)(len - start)) != 0)
		return -1;
	return len;
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

/*
 * The key through its PKCS#8 form: this file then needs nothing of key.c's
 * internals (a wiped secret buffer holds the plain DER for a moment).
 */
static EVP_PKEY *
to_pkey(sm_crypto *crypto, const sm_key *key, sealmail_error *err)
{
	sm_buf der;
	const unsigned char *p;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *pkey = NULL;

	sm_buf_init_secret(&der, 1 << 20);
	if (sm_key_to_pkcs8(key, NULL, &der, err) != SEALMAIL_OK)
		return NULL;
	p = der.data;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)der.len);
	if (p8 != NULL)
		pkey = EVP_PKCS82PKEY_ex(p8, crypto->libctx, NULL);
	PKCS8_PRIV_KEY_INFO_free(p8);
	sm_buf_free(&der);
	if (pkey == NULL)
		(void)sm_ossl_error(err, SEALMAIL_ERROR, "cannot use the key");
	return pkey;
}

static sm_cert *
from_x509(sm_crypto *crypto, X509 *x, sealmail_error *err)
{
	sm_cert *cert = NULL;

	return sm_cert_wrap(&cert, crypto, x, err) == SEALMAIL_OK ? cert : NULL;
}

/* ---- signing ---------------------------------------------------------- */

struct sm_cms_sign {
	sm_crypto *crypto;
	CMS_ContentInfo *cms;
	BIO_METHOD *meth;
	BIO *sink; /* -> caller's write */
	BIO *b64;  /* base64 -> sink */
	BIO *data; /* content goes in here */
	sink_ctx ctx;
	EVP_MD *md;
	X509 *x509;
	EVP_PKEY *pkey;
	bool opaque, finished;
};

static int
add_capabilities(CMS_SignerInfo *si)
{
	/* What we can decrypt, strongest first (RFC 8551 2.5.2). */
	static const int nids[] = {NID_aes_256_gcm, NID_aes_128_gcm,
	                           NID_aes_256_cbc, NID_aes_128_cbc};
	STACK_OF(X509_ALGOR) *algs = sk_X509_ALGOR_new_null();
	int ok = algs != NULL;

	for (size_t i = 0; ok && i < SM_ARRAY_SIZE(nids); i++)
		ok = CMS_add_simple_smimecap(&algs, nids[i], -1) == 1;
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
	unsigned int flags = base | (p->opaque ? CMS_STREAM : CMS_DETACHED);
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
	s->opaque = p->opaque;
	s->ctx = (sink_ctx){write, payload, true, SEALMAIL_OK};
	s->pkey = to_pkey(crypto, p->key, err);
	if (s->pkey == NULL) {
		rc = err != NULL && err->code != 0 ? err->code : SEALMAIL_ERROR;
		goto fail;
	}
	s->x509 = to_x509(p->cert);
	s->md = EVP_MD_fetch(crypto->libctx, "SHA256", NULL);
	s->meth = sink_method();
	if (s->x509 == NULL || s->md == NULL || s->meth == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_ERROR, "cannot sign");
		goto fail;
	}
	rc = sign_setup(s, p, err);
	if (rc != SEALMAIL_OK)
		goto fail;
	s->sink = BIO_new(s->meth);
	s->b64 = BIO_new(BIO_f_base64());
	if (s->sink == NULL || s->b64 == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_ENOMEM, "cannot sign");
		goto fail;
	}
	BIO_set_data(s->sink, &s->ctx);
	(void)BIO_push(s->b64, s->sink);
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
	(void)s;
	return "sha-256";
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

/* ---- verification ----------------------------------------------------- */

typedef struct vsigner {
	CMS_SignerInfo *si;
	sm_sig_status status;
	sm_cert *cert; /* owned reference */
	int64_t signing_time;
	char algorithm[64];
	const char *weak;       /* weak digest name, or NULL */
	X509_NAME *pref_issuer; /* SMIMEEncryptionKeyPreference, or NULL */
	ASN1_INTEGER *pref_serial;
	sm_cert *pref_cert; /* the carried certificate it names */
	unsigned char *caps;
	size_t caps_len;
	bool unsupported;
} vsigner;

struct sm_cms_verify {
	sm_crypto *crypto;
	CMS_ContentInfo *cms;
	STACK_OF(X509) * extra;
	BIO *chain; /* md BIOs -> null sink */
	EVP_MD *mds[4];
	size_t nmds;
	vsigner *signers;
	size_t nsigners;
	sm_cert **certs;
	size_t ncerts;
};

static int64_t
attr_time(CMS_SignerInfo *si)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a = idx >= 0 ? CMS_signed_get_attr(si, idx) : NULL;
	ASN1_TYPE *t = a != NULL ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	struct tm tm;

	if (t == NULL ||
	    (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t->value.utctime, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static int
attr_caps(vsigner *vs, sealmail_error *err)
{
	int idx = CMS_signed_get_attr_by_NID(vs->si, NID_SMIMECapabilities, -1);
	X509_ATTRIBUTE *a = idx >= 0 ? CMS_signed_get_attr(vs->si, idx) : NULL;
	ASN1_TYPE *t = a != NULL ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	const ASN1_STRING *seq;

	if (t == NULL || t->type != V_ASN1_SEQUENCE)
		return SEALMAIL_OK;
	seq = t->value.sequence;
	vs->caps = sm_malloc((size_t)seq->length + 1);
	if (vs->caps == NULL)
		return sm_error_nomem(err);
	memcpy(vs->caps, seq->data, (size_t)seq->length);
	vs->caps_len = (size_t)seq->length;
	return SEALMAIL_OK;
}

/*
 * SMIMEEncryptionKeyPreference, issuerAndSerialNumber choice:
 * [0] IMPLICIT { issuer Name, serialNumber INTEGER }.  Other choices and
 * malformed values are ignored (the attribute is advice).
 */
static void
attr_key_preference(vsigner *vs)
{
	ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113549.1.9.16.2.11", 1);
	int idx =
	        oid != NULL ? CMS_signed_get_attr_by_OBJ(vs->si, oid, -1) : -1;
	X509_ATTRIBUTE *a = idx >= 0 ? CMS_signed_get_attr(vs->si, idx) : NULL;
	ASN1_TYPE *t = a != NULL ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	const unsigned char *p, *end;
	long len;
	int tag, cls;

	ASN1_OBJECT_free(oid);
	if (t == NULL || t->type != V_ASN1_OTHER ||
	    t->value.asn1_string == NULL)
		return;
	p = t->value.asn1_string->data;
	end = p + t->value.asn1_string->length;
	if ((ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80) != 0 ||
	    tag != 0 || cls != V_ASN1_CONTEXT_SPECIFIC || len > end - p)
		return;
	end = p + len;
	vs->pref_issuer = d2i_X509_NAME(NULL, &p, end - p);
	if (vs->pref_issuer != NULL)
		vs->pref_serial = d2i_ASN1_INTEGER(NULL, &p, end - p);
}

static const char *
sig_words(int nid, bool *unsupported)
{
	switch (nid) {
	case NID_rsaEncryption:
	case NID_sha1WithRSAEncryption:
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
		return "RSA PKCS#1 v1.5";
	case NID_rsassaPss:
		return "RSA-PSS";
	case NID_X9_62_id_ecPublicKey:
	case NID_ecdsa_with_SHA1:
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512:
		return "ECDSA";
	case NID_ED25519:
		*unsupported = true;
		return "Ed25519";
	case NID_ED448:
		*unsupported = true;
		return "Ed448";
	default:
		*unsupported = true;
		return "unknown algorithm";
	}
}

static int
add_md(sm_cms_verify *v, int nid)
{
	EVP_MD *md;

	for (size_t i = 0; i < v->nmds; i++)
		if (EVP_MD_get_type(v->mds[i]) == nid)
			return 1;
	if (v->nmds == SM_ARRAY_SIZE(v->mds))
		return 0;
	md = EVP_MD_fetch(v->crypto->libctx, OBJ_nid2sn(nid), NULL);
	if (md == NULL)
		return 0;
	v->mds[v->nmds++] = md;
	return 1;
}

static int
collect_signers(sm_cms_verify *v, sealmail_error *err)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(v->cms);
	int n = sis != NULL ? sk_CMS_SignerInfo_num(sis) : 0;

	if (n <= 0)
		return SEALMAIL_OK;
	v->signers = sm_calloc((size_t)n, sizeof(*v->signers));
	if (v->signers == NULL)
		return sm_error_nomem(err);
	v->nsigners = (size_t)n;
	for (int i = 0; i < n; i++) {
		vsigner *vs = &v->signers[i];
		X509_ALGOR *dig = NULL, *sig = NULL;
		const ASN1_OBJECT *obj;
		int rc;

		vs->si = sk_CMS_SignerInfo_value(sis, i);
		CMS_SignerInfo_get0_algs(vs->si, NULL, NULL, &dig, &sig);
		X509_ALGOR_get0(&obj, NULL, NULL, sig);
		(void)snprintf(vs->algorithm, sizeof(vs->algorithm), "%s",
		               sig_words(OBJ_obj2nid(obj), &vs->unsupported));
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		if (!vs->unsupported) {
			int dnid = OBJ_obj2nid(obj);
			size_t l = strlen(vs->algorithm);
			vs->weak = dnid == NID_sha1  ? "SHA-1"
			           : dnid == NID_md5 ? "MD5"
			                             : NULL;
			if (!add_md(v, dnid))
				vs->unsupported = true;
			else
				(void)snprintf(vs->algorithm + l,
				               sizeof(vs->algorithm) - l,
				               " with %s", OBJ_nid2sn(dnid));
		}
		vs->signing_time = attr_time(vs->si);
		attr_key_preference(vs);
		rc = attr_caps(vs, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	return SEALMAIL_OK;
}

static int
collect_certs(sm_cms_verify *v, sealmail_error *err)
{
	STACK_OF(X509) *certs = CMS_get1_certs(v->cms);
	int n = certs != NULL ? sk_X509_num(certs) : 0;
	int rc = SEALMAIL_OK;

	if (n > 0) {
		v->certs = sm_calloc((size_t)n, sizeof(*v->certs));
		if (v->certs == NULL)
			rc = sm_error_nomem(err);
	}
	for (int i = 0; rc == SEALMAIL_OK && i < n; i++) {
		sm_cert *c = from_x509(v->crypto, sk_X509_value(certs, i), err);
		if (c == NULL)
			rc = err != NULL && err->code ? err->code
			                              : SEALMAIL_EBADDATA;
		else
			v->certs[v->ncerts++] = c;
	}
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* The carried certificate a signer names as its encryption certificate. */
static void
match_preference(sm_cms_verify *v, vsigner *vs)
{
	if (vs->pref_issuer == NULL || vs->pref_serial == NULL)
		return;
	for (size_t i = 0; i < v->ncerts; i++) {
		X509 *x = sm_cert_x509(v->certs[i]);
		if (x != NULL &&
		    X509_NAME_cmp(X509_get_issuer_name(x), vs->pref_issuer) ==
		            0 &&
		    ASN1_INTEGER_cmp(X509_get0_serialNumber(x),
		                     vs->pref_serial) == 0) {
			vs->pref_cert = sm_cert_ref(v->certs[i]);
			return;
		}
	}
}

int
sm_cms_verify_reset(sm_cms_verify *v, sealmail_error *err)
{
	BIO *top;

	BIO_free_all(v->chain);
	v->chain = NULL;
	top = BIO_new(BIO_s_null());
	if (top == NULL)
		return sm_error_nomem(err);
	for (size_t i = 0; i < v->nmds; i++) {
		BIO *m = BIO_new(BIO_f_md());
		if (m == NULL || BIO_set_md(m, v->mds[i]) != 1) {
			BIO_free(m);
			BIO_free_all(top);
			return sm_ossl_error(err, SEALMAIL_ENOMEM,
			                     "cannot hash the content");
		}
		top = BIO_push(m, top);
	}
	v->chain = top;
	return SEALMAIL_OK;
}

int
sm_cms_verify_new(sm_cms_verify **out,
                  sm_crypto *crypto,
                  const unsigned char *der,
                  size_t len,
                  sealmail_error *err)
{
	sm_cms_verify *v = sm_calloc(1, sizeof(*v));
	const unsigned char *p = der;
	int rc;

	*out = NULL;
	if (v == NULL)
		return sm_error_nomem(err);
	ERR_clear_error();
	v->crypto = crypto;
	v->cms = CMS_ContentInfo_new_ex(crypto->libctx, NULL);
	if (v->cms == NULL) {
		sm_cms_verify_free(v);
		return sm_error_nomem(err);
	}
	if (len > LONG_MAX ||
	    d2i_CMS_ContentInfo(&v->cms, &p, (long)len) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(v->cms)) != NID_pkcs7_signed) {
		sm_cms_verify_free(v);
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "the signature is not CMS signed-data");
	}
	rc = collect_signers(v, err);
	if (rc == SEALMAIL_OK)
		rc = collect_certs(v, err);
	for (size_t i = 0; rc == SEALMAIL_OK && i < v->nsigners; i++)
		match_preference(v, &v->signers[i]);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_verify_reset(v, err);
	if (rc != SEALMAIL_OK) {
		sm_cms_verify_free(v);
		return rc;
	}
	*out = v;
	return SEALMAIL_OK;
}

int
sm_cms_verify_add_certs(sm_cms_verify *v,
                        sm_cert *const *certs,
                        size_t n,
                        sealmail_error *err)
{
	if (v->extra == NULL)
		v->extra = sk_X509_new_null();
	if (v->extra == NULL)
		return sm_error_nomem(err);
	for (size_t i = 0; i < n; i++) {
		X509 *x = to_x509(certs[i]);
		if (x == NULL || !sk_X509_push(v->extra, x)) {
			X509_free(x);
			return sm_ossl_error(err, SEALMAIL_ENOMEM,
			                     "cannot add a certificate");
		}
	}
	return SEALMAIL_OK;
}

bool
sm_cms_verify_is_detached(const sm_cms_verify *v)
{
	return CMS_is_detached(v->cms) == 1;
}

int
sm_cms_verify_update(sm_cms_verify *v,
                     const void *data,
                     size_t len,
                     sealmail_error *err)
{
	const unsigned char *p = data;

	while (len > 0) {
		int n = len > (1u << 30) ? 1 << 30 : (int)len;
		int w = BIO_write(v->chain, p, n);
		if (w <= 0)
			return sm_ossl_error(err, SEALMAIL_ERROR,
			                     "cannot hash the content");
		p += w;
		len -= (size_t)w;
	}
	return SEALMAIL_OK;
}

int
sm_cms_verify_content(sm_cms_verify *v,
                      sm_write_fn write,
                      void *payload,
                      sealmail_error *err)
{
	ASN1_OCTET_STRING **pos = CMS_get0_content(v->cms);
	const unsigned char *p;
	size_t left;

	if (pos == NULL || *pos == NULL)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "the signed-data holds no content");
	p = ASN1_STRING_get0_data(*pos);
	left = (size_t)ASN1_STRING_length(*pos);
	while (left > 0) {
		size_t n = left > 65536 ? 65536 : left;
		int rc = sm_cms_verify_update(v, p, n, err);
		if (rc == SEALMAIL_OK && write != NULL)
			rc = write(p, n, payload);
		if (rc != SEALMAIL_OK)
			return sm_error_set(err, rc,
			                    "cannot write the content");
		p += n;
		left -= n;
	}
	return SEALMAIL_OK;
}

/* Find our sm_cert for the signer's X509 (carried, else from `extra`). */
static int
signer_cert(sm_cms_verify *v, vsigner *vs, X509 *x, sealmail_error *err)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	sm_cert_free(vs->cert);
	vs->cert = NULL;
	for (size_t i = 0; len > 0 && i < v->ncerts; i++) {
		size_t clen;
		const unsigned char *cder = sm_cert_der(v->certs[i], &clen);
		if (clen == (size_t)len && memcmp(cder, der, clen) == 0) {
			vs->cert = sm_cert_ref(v->certs[i]);
			break;
		}
	}
	OPENSSL_free(der);
	if (vs->cert == NULL)
		vs->cert = from_x509(v->crypto, x, err);
	return vs->cert != NULL ? SEALMAIL_OK : SEALMAIL_EBADDATA;
}

static sm_sig_status
verify_one(sm_cms_verify *v, vsigner *vs)
{
	X509 *x = NULL;
	int r;

	if (vs->unsupported)
		return SM_SIG_UNSUPPORTED;
	CMS_SignerInfo_get0_algs(vs->si, NULL, &x, NULL, NULL);
	if (x == NULL)
		return SM_SIG_NO_CERT;
	if (CMS_signed_get_attr_count(vs->si) > 0 &&
	    CMS_SignerInfo_verify(vs->si) != 1)
		return SM_SIG_BAD;
	r = CMS_SignerInfo_verify_content(vs->si, v->chain);
	return r == 1 ? SM_SIG_VALID : SM_SIG_ALTERED;
}

int
sm_cms_verify_finish(sm_cms_verify *v, sealmail_error *err)
{
	ERR_clear_error();
	/* Which certificate belongs to each signer (carried, then extra). */
	(void)CMS_set1_signers_certs(v->cms, v->extra, 0);
	ERR_clear_error();
	for (size_t i = 0; i < v->nsigners; i++) {
		vsigner *vs = &v->signers[i];
		X509 *x = NULL;

		vs->status = verify_one(v, vs);
		ERR_clear_error();
		CMS_SignerInfo_get0_algs(vs->si, NULL, &x, NULL, NULL);
		if (x != NULL && vs->cert == NULL &&
		    signer_cert(v, vs, x, err) != SEALMAIL_OK)
			return err != NULL && err->code ? err->code
			                                : SEALMAIL_EBADDATA;
	}
	return SEALMAIL_OK;
}

size_t
sm_cms_verify_signer_count(const sm_cms_verify *v)
{
	return v->nsigners;
}

sm_sig_status
sm_cms_verify_status(const sm_cms_verify *v, size_t i)
{
	return v->signers[i].status;
}

sm_cert *
sm_cms_verify_signer_cert(const sm_cms_verify *v, size_t i)
{
	return v->signers[i].cert;
}

int64_t
sm_cms_verify_signing_time(const sm_cms_verify *v, size_t i)
{
	return v->signers[i].signing_time;
}

const char *
sm_cms_verify_algorithm(const sm_cms_verify *v, size_t i)
{
	return v->signers[i].algorithm;
}

sm_cert *
sm_cms_verify_encryption_cert(const sm_cms_verify *v, size_t i)
{
	return v->signers[i].pref_cert;
}

const char *
sm_cms_verify_weak_digest(const sm_cms_verify *v, size_t i)
{
	return v->signers[i].weak;
}

const unsigned char *
sm_cms_verify_capabilities(const sm_cms_verify *v, size_t i, size_t *len_out)
{
	*len_out = v->signers[i].caps_len;
	return v->signers[i].caps;
}

size_t
sm_cms_verify_cert_count(const sm_cms_verify *v)
{
	return v->ncerts;
}

sm_cert *
sm_cms_verify_cert_at(const sm_cms_verify *v, size_t i)
{
	return v->certs[i];
}

void
sm_cms_verify_free(sm_cms_verify *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nsigners; i++) {
		sm_cert_free(v->signers[i].cert);
		sm_cert_free(v->signers[i].pref_cert);
		X509_NAME_free(v->signers[i].pref_issuer);
		ASN1_INTEGER_free(v->signers[i].pref_serial);
		sm_free(v->signers[i].caps);
	}
	sm_free(v->signers);
	for (size_t i = 0; i < v->ncerts; i++)
		sm_cert_free(v->certs[i]);
	sm_free(v->certs);
	for (size_t i = 0; i < v->nmds; i++)
		EVP_MD_free(v->mds[i]);
	BIO_free_all(v->chain);
	sk_X509_pop_free(v->extra, X509_free);
	CMS_ContentInfo_free(v->cms);
	ERR_clear_error();
	sm_free(v);
}

/* ---- SHA-256 ----------------------------------------------------------- */

struct sm_hash {
	EVP_MD_CTX *ctx;
	EVP_MD *md;
};

int
sm_sha256_new(sm_hash **out, sm_crypto *crypto, sealmail_error *err)
{
	sm_hash *h = sm_calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL)
		return sm_error_nomem(err);
	h->md = EVP_MD_fetch(crypto->libctx, "SHA256", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (h->md == NULL || h->ctx == NULL ||
	    EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1) {
		sm_hash_free(h);
		return sm_ossl_error(err, SEALMAIL_ERROR, "cannot hash");
	}
	*out = h;
	return SEALMAIL_OK;
}

int
sm_hash_update(sm_hash *h, const void *data, size_t len)
{
	return EVP_DigestUpdate(h->ctx, data, len) == 1 ? SEALMAIL_OK
	                                                : SEALMAIL_ERROR;
}

int
sm_hash_hex(sm_hash *h, char *hex, sealmail_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
		return sm_ossl_error(err, SEALMAIL_ERROR, "cannot hash");
	sm_hex(hex, md, len);
	return SEALMAIL_OK;
}

void
sm_hash_free(sm_hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	sm_free(h);
}
