/* SPDX-License-Identifier: MIT */
/*
 * CMS signed-data verification: each SignerInfo judged on its own, the
 * content pushed through the digests as it goes by (retryable over other
 * bytes for the benign-rewrite checks), attributes read for the report;
 * and SHA-256 over pieces.  OpenSSL stays inside this file.
 */
#include "crypto_int.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

/* ---- our types to OpenSSL's ------------------------------------------- */

/* A new reference to the certificate's X509 (cert.c keeps its own). */
static X509 *
to_x509(const sm_cert *cert)
{
	X509 *x = sm_cert_x509(cert);

	return x != NULL && X509_up_ref(x) == 1 ? x : NULL;
}

static sm_cert *
from_x509(sm_crypto *crypto, X509 *x, sealmail_error *err)
{
	sm_cert *cert = NULL;

	return sm_cert_wrap(&cert, crypto, x, err) == SEALMAIL_OK ? cert : NULL;
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
	size_t nhashed; /* mds[0 .. nhashed) are in the chain */
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
		return NULL; /* named by the caller */
	}
}

/*
 * Append `sep` and the name of the algorithm `obj` to `buf`: OpenSSL's
 * short name, or the dotted OID of one it does not know.  (sig_words
 * names the signature algorithms sealmail checks; any other is named so.)
 */
static void
append_algorithm(char *buf,
                 size_t size,
                 const char *sep,
                 const ASN1_OBJECT *obj)
{
	size_t l = strlen(buf);
	int nid = OBJ_obj2nid(obj);
	char oid[80] = "?";

	if (nid == NID_undef)
		(void)OBJ_obj2txt(oid, sizeof(oid), obj, 1);
	(void)snprintf(buf + l, size - l, "%s%s", sep,
	               nid != NID_undef ? OBJ_nid2sn(nid) : oid);
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
		const char *words;
		int rc;

		vs->si = sk_CMS_SignerInfo_value(sis, i);
		CMS_SignerInfo_get0_algs(vs->si, NULL, NULL, &dig, &sig);
		X509_ALGOR_get0(&obj, NULL, NULL, sig);
		words = sig_words(OBJ_obj2nid(obj), &vs->unsupported);
		vs->algorithm[0] = '\0';
		if (words != NULL)
			(void)snprintf(vs->algorithm, sizeof(vs->algorithm),
			               "%s", words);
		else
			append_algorithm(vs->algorithm, sizeof(vs->algorithm),
			                 "", obj);
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		if (!vs->unsupported) {
			int dnid = OBJ_obj2nid(obj);
			vs->weak = dnid == NID_sha1  ? "SHA-1"
			           : dnid == NID_md5 ? "MD5"
			                             : NULL;
			if (!add_md(v, dnid))
				vs->unsupported = true;
			/* named either way: what was not checked says why */
			append_algorithm(vs->algorithm, sizeof(vs->algorithm),
			                 " with ", obj);
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
		v->certs = sm_calloc((size_t)n, sizeof(sm_cert *));
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
	v->nhashed = v->nmds;
	return SEALMAIL_OK;
}

static sm_cms_verify *
verify_alloc(sm_crypto *crypto)
{
	sm_cms_verify *v = sm_calloc(1, sizeof(*v));

	if (v != NULL)
		v->crypto = crypto;
	return v;
}

/*
 * ---- carried certificates from the store's cache ----------------------
 *
 * Decoding a certificate is most of the cost of a small signed message
 * (OpenSSL 3 decodes its public key through the provider decoders), and a
 * mailbox's messages carry the same few certificates.  When the structure
 * is plain DER (definite lengths), its certificates field is cut out before
 * d2i, each certificate comes from sm_cert_from_der (parsed once per store,
 * matched by its exact bytes), and they are put back in the same order.
 * The certificates field is not covered by any signature.  Anything unusual
 * (BER, other certificate choices, duplicates, a certificate that does not
 * parse alone) takes the plain path, with its usual errors.
 */

/* One DER header at p (< end): tag, content start and length. */
static bool
der_header(const unsigned char *p,
           const unsigned char *end,
           unsigned char *tag,
           const unsigned char **content,
           size_t *len)
{
	size_t n = 0, k;

	if (end - p < 2 || (p[0] & 0x1f) == 0x1f)
		return false;
	*tag = p[0];
	if (p[1] < 0x80) {
		n = p[1];
		p += 2;
	} else {
		k = p[1] & 0x7f;
		if (k == 0 || k > 4 || (size_t)(end - p) < 2 + k)
			return false; /* indefinite, or absurd */
		for (size_t i = 0; i < k; i++)
			n = (n << 8) | p[2 + i];
		p += 2 + k;
	}
	if ((size_t)(end - p) < n)
		return false;
	*content = p;
	*len = n;
	return true;
}

/* A DER header for `len` content bytes at out; its size. */
static size_t
der_put_header(unsigned char *out, unsigned char tag, size_t len)
{
	size_t k = 0;

	out[0] = tag;
	if (len < 0x80) {
		out[1] = (unsigned char)len;
		return 2;
	}
	for (size_t t = len; t > 0; t >>= 8)
		k++;
	out[1] = (unsigned char)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		out[2 + i] = (unsigned char)(len >> (8 * (k - 1 - i)));
	return 2 + k;
}

typedef struct cut_certs {
	unsigned char *der; /* the structure without its certificates */
	size_t len;
	sm_cert *certs[16];
	size_t ncerts;
} cut_certs;

static void
cut_certs_free(cut_certs *cc)
{
	for (size_t i = 0; i < cc->ncerts; i++)
		sm_cert_free(cc->certs[i]);
	sm_free(cc->der);
	memset(cc, 0, sizeof(*cc));
}

/* Cut the certificates out of `der`; false: take the plain path. */
static bool
cut_certs_make(cut_certs *cc,
               sm_crypto *crypto,
               const unsigned char *der,
               size_t len)
{
	const unsigned char *end, *ci, *sd0, *sd, *p, *q, *certs;
	size_t cil, sd0l, sdl, l, certsl, before, after, oid_len, h0, h1, h2;
	unsigned char tag, *o, hdr[3][8];
	sealmail_error scratch;

	memset(cc, 0, sizeof(*cc));
	if (der == NULL || len < 2)
		return false;
	end = der + len;
	/* ContentInfo { OID, [0] { SignedData } }, nothing after it */
	if (!der_header(der, end, &tag, &ci, &cil) || tag != 0x30 ||
	    ci + cil != end || !der_header(ci, end, &tag, &p, &l) ||
	    tag != 0x06 || !der_header(p + l, end, &tag, &sd0, &sd0l) ||
	    tag != 0xa0 || sd0 + sd0l != end ||
	    !der_header(sd0, end, &tag, &sd, &sdl) || tag != 0x30 ||
	    sd + sdl != end)
		return false;
	/* version, digestAlgorithms, encapContentInfo, then [0] certs */
	p = sd;
	for (int i = 0; i < 3; i++) {
		if (!der_header(p, end, &tag, &q, &l))
			return false;
		p = q + l;
	}
	if (!der_header(p, end, &tag, &certs, &certsl) || tag != 0xa0)
		return false;
	for (const unsigned char *c = certs; c < certs + certsl;) {
		if (!der_header(c, certs + certsl, &tag, &q, &l) ||
		    tag != 0x30 || cc->ncerts == SM_ARRAY_SIZE(cc->certs))
			goto fail;
		l += (size_t)(q - c);
		memset(&scratch, 0, sizeof(scratch));
		if (sm_cert_from_der(&cc->certs[cc->ncerts], crypto, c, l,
		                     &scratch) != SEALMAIL_OK)
			goto fail;
		for (size_t i = 0; i < cc->ncerts; i++)
			if (cc->certs[i] == cc->certs[cc->ncerts]) {
				cc->ncerts++;
				goto fail; /* a duplicate */
			}
		cc->ncerts++;
		c += l;
	}
	if (cc->ncerts == 0)
		goto fail;
	/* The same structure, the certificates field left out. */
	before = (size_t)(p - sd);                /* version .. encap */
	after = (size_t)(end - (certs + certsl)); /* crls, signerInfos */
	if (!der_header(ci, end, &tag, &q, &l))
		goto fail;
	oid_len = (size_t)(q - ci) + l; /* the OID alone */
	h2 = der_put_header(hdr[2], 0x30, before + after);
	h1 = der_put_header(hdr[1], 0xa0, h2 + before + after);
	h0 = der_put_header(hdr[0], 0x30, oid_len + h1 + h2 + before + after);
	cc->len = h0 + oid_len + h1 + h2 + before + after;
	cc->der = cc->len <= len ? sm_malloc(cc->len) : NULL;
	if (cc->der == NULL)
		goto fail;
	o = cc->der;
	memcpy(o, hdr[0], h0);
	o += h0;
	memcpy(o, ci, oid_len);
	o += oid_len;
	memcpy(o, hdr[1], h1);
	o += h1;
	memcpy(o, hdr[2], h2);
	o += h2;
	memcpy(o, sd, before);
	o += before;
	memcpy(o, certs + certsl, after);
	return true;
fail:
	cut_certs_free(cc);
	return false;
}

/* Parse the structure and collect its signers and certificates. */
static int
verify_load(sm_cms_verify *v,
            const unsigned char *der,
            size_t len,
            sealmail_error *err)
{
	const unsigned char *p = der;
	cut_certs cc;
	bool cut = cut_certs_make(&cc, v->crypto, der, len);
	int rc;

	ERR_clear_error();
	v->cms = CMS_ContentInfo_new_ex(v->crypto->libctx, NULL);
	if (v->cms == NULL) {
		cut_certs_free(&cc);
		return sm_error_nomem(err);
	}
	if (cut) {
		/* the plain path decides what a structure that fails is */
		p = cc.der;
		if (d2i_CMS_ContentInfo(&v->cms, &p, (long)cc.len) == NULL ||
		    OBJ_obj2nid(CMS_get0_type(v->cms)) != NID_pkcs7_signed) {
			CMS_ContentInfo_free(v->cms);
			v->cms =
			        CMS_ContentInfo_new_ex(v->crypto->libctx, NULL);
			cut_certs_free(&cc);
			cut = false;
			p = der;
			ERR_clear_error();
			if (v->cms == NULL)
				return sm_error_nomem(err);
		}
	}
	if (!cut && (len > LONG_MAX ||
	             d2i_CMS_ContentInfo(&v->cms, &p, (long)len) == NULL ||
	             OBJ_obj2nid(CMS_get0_type(v->cms)) != NID_pkcs7_signed))
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "the signature is not CMS signed-data");
	rc = collect_signers(v, err);
	if (rc == SEALMAIL_OK && cut) {
		/* back in the structure, in their order; ours are those */
		v->certs = sm_calloc(cc.ncerts, sizeof(sm_cert *));
		if (v->certs == NULL)
			rc = sm_error_nomem(err);
		for (size_t i = 0; rc == SEALMAIL_OK && i < cc.ncerts; i++) {
			if (CMS_add1_cert(v->cms, sm_cert_x509(cc.certs[i])) !=
			    1) {
				rc = sm_ossl_error(err, SEALMAIL_ERROR,
				                   "cannot add a certificate");
				break;
			}
			v->certs[v->ncerts++] = sm_cert_ref(cc.certs[i]);
		}
	} else if (rc == SEALMAIL_OK) {
		rc = collect_certs(v, err);
	}
	cut_certs_free(&cc);
	for (size_t i = 0; rc == SEALMAIL_OK && i < v->nsigners; i++)
		match_preference(v, &v->signers[i]);
	return rc;
}

int
sm_cms_verify_new(sm_cms_verify **out,
                  sm_crypto *crypto,
                  const unsigned char *der,
                  size_t len,
                  sealmail_error *err)
{
	sm_cms_verify *v = verify_alloc(crypto);
	int rc;

	*out = NULL;
	if (v == NULL)
		return sm_error_nomem(err);
	rc = verify_load(v, der, len, err);
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
sm_cms_verify_new_stream(sm_cms_verify **out,
                         sm_crypto *crypto,
                         const unsigned char *digest_algs,
                         size_t len,
                         sealmail_error *err)
{
	sm_cms_verify *v = verify_alloc(crypto);
	sm_ber_iter it;
	const unsigned char *e;
	size_t elen;
	int rc;

	*out = NULL;
	if (v == NULL)
		return sm_error_nomem(err);
	/*
	 * Unknown or malformed entries are skipped: the signer infos decide
	 * which digests count, and sm_cms_verify_needs_rehash says when one
	 * of theirs was not computed here.
	 */
	if (digest_algs != NULL &&
	    sm_ber_iter_init(&it, digest_algs, len, NULL) == SEALMAIL_OK) {
		while (sm_ber_iter_next(&it, &e, &elen, NULL) == 1) {
			const unsigned char *p = e;
			X509_ALGOR *a =
			        elen <= LONG_MAX
			                ? d2i_X509_ALGOR(NULL, &p, (long)elen)
			                : NULL;
			const ASN1_OBJECT *obj = NULL;
			if (a != NULL)
				X509_ALGOR_get0(&obj, NULL, NULL, a);
			if (obj != NULL && OBJ_obj2nid(obj) != NID_undef)
				(void)add_md(v, OBJ_obj2nid(obj));
			X509_ALGOR_free(a);
		}
	}
	ERR_clear_error();
	rc = sm_cms_verify_reset(v, err);
	if (rc != SEALMAIL_OK) {
		sm_cms_verify_free(v);
		return rc;
	}
	*out = v;
	return SEALMAIL_OK;
}

/* The NID of a micalg name ("sha-256", "SHA256"), NID_undef if unknown. */
static int
micalg_nid(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int nid;
	} names[] = {{"sha256", NID_sha256}, {"sha384", NID_sha384},
	             {"sha512", NID_sha512}, {"sha224", NID_sha224},
	             {"sha1", NID_sha1},     {"md5", NID_md5}};
	char plain[16];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		if (ch == '-')
			continue;
		if (n + 1 == sizeof(plain))
			return NID_undef;
		plain[n++] =
		        (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	plain[n] = '\0';
	for (size_t i = 0; i < SM_ARRAY_SIZE(names); i++)
		if (strcmp(plain, names[i].name) == 0)
			return names[i].nid;
	return NID_undef;
}

int
sm_cms_verify_new_micalg(sm_cms_verify **out,
                         sm_crypto *crypto,
                         const char *micalg,
                         sealmail_error *err)
{
	sm_cms_verify *v = verify_alloc(crypto);
	const char *p = micalg != NULL ? micalg : "";
	int nid = NID_undef, rc;

	*out = NULL;
	if (v == NULL)
		return sm_error_nomem(err);
	/* One digest only: the signer infos may need the other slots. */
	while (*p != '\0' && nid == NID_undef) {
		size_t len = strcspn(p, ",");
		const char *q = p;
		size_t l = len;
		while (l > 0 && (*q == ' ' || *q == '\t')) {
			q++;
			l--;
		}
		while (l > 0 && (q[l - 1] == ' ' || q[l - 1] == '\t'))
			l--;
		nid = micalg_nid(q, l);
		p += len + (p[len] == ',' ? 1 : 0);
	}
	if (nid == NID_undef || !add_md(v, nid))
		(void)add_md(v, NID_sha256);
	ERR_clear_error();
	rc = sm_cms_verify_reset(v, err);
	if (rc != SEALMAIL_OK) {
		sm_cms_verify_free(v);
		return rc;
	}
	*out = v;
	return SEALMAIL_OK;
}

int
sm_cms_verify_load(sm_cms_verify *v,
                   const unsigned char *der,
                   size_t len,
                   sealmail_error *err)
{
	if (v->cms != NULL)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "the signature is loaded already");
	return verify_load(v, der, len, err);
}

bool
sm_cms_verify_needs_rehash(const sm_cms_verify *v)
{
	return v->nmds > v->nhashed;
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
	int len;

	sm_cert_free(vs->cert);
	vs->cert = NULL;
	for (size_t i = 0; i < v->ncerts; i++)
		if (sm_cert_x509(v->certs[i]) == x) {
			vs->cert = sm_cert_ref(v->certs[i]);
			return SEALMAIL_OK;
		}
	len = i2d_X509(x, &der);
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
	if (v->cms == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "the signature is not loaded");
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

bool
sm_cms_verify_signer_serial(const sm_cms_verify *v,
                            size_t i,
                            char *serial,
                            size_t size)
{
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *sno = NULL;
	BIGNUM *bn;
	char *hex;
	bool ok = false;

	if (CMS_SignerInfo_get0_signer_id(v->signers[i].si, &keyid, &issuer,
	                                  &sno) != 1 ||
	    sno == NULL)
		return false;
	bn = ASN1_INTEGER_to_BN(sno, NULL);
	hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (hex != NULL && strlen(hex) < size) {
		for (size_t j = 0;; j++) {
			char ch = hex[j];
			serial[j] = ch >= 'A' && ch <= 'F'
			                    ? (char)(ch - 'A' + 'a')
			                    : ch;
			if (ch == '\0')
				break;
		}
		ok = true;
	}
	OPENSSL_free(hex);
	ERR_clear_error();
	return ok;
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
