/* SPDX-License-Identifier: MIT */
/*
 * X.509 certificates: parsing (DER, PEM, PKCS#7/CMS certs-only bundles),
 * the fields sealmail shows and matches on (cached once at parse time),
 * usage bits, and chain verification against trusted anchors.
 */
#include "crypto_int.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* A bundle or PEM file may hold at most this many certificates. */
#define SM_CERT_LIST_MAX 1000
/* A certificate may name at most this many addresses (the rest ignored). */
#define SM_CERT_ADDR_MAX 256

struct sm_cert {
	atomic_int refs;
	sm_crypto *crypto; /* borrowed: outlives every certificate */
	X509 *x509;
	unsigned char *der;
	size_t der_len;
	char fingerprint[SM_FINGERPRINT_SIZE];
	char *subject;
	char *issuer;
	char *cn;
	char *serial;
	char key_desc[96];
	char **addrs;
	size_t n_addrs;
	int64_t not_before;
	int64_t not_after;
	unsigned int usage;
	/*
	 * -1 until sm_cert_is_self_signed asks (checking the signature is an
	 * RSA or ECDSA verification that most commands never need); the
	 * answer is always the same, so racing threads store the same value.
	 */
	atomic_int self_signed;
};

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = days_from_civil((int64_t)tm.tm_year + 1900,
	                       (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) *
	               86400 +
	       (int64_t)tm.tm_hour * 3600 + (int64_t)tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

/*
 * p[0..n) as a new string, each NUL as the text "\x00": a NUL would end
 * the string and hide the rest of a name.
 */
static char *
nul_visible(const char *p, size_t n)
{
	size_t nul = 0;
	char *s, *w;

	for (size_t i = 0; i < n; i++)
		nul += p[i] == '\0';
	s = sm_malloc(n + 3 * nul + 1);
	if (s == NULL)
		return NULL;
	w = s;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\0') {
			memcpy(w, "\\x00", 4);
			w += 4;
		} else {
			*w++ = p[i];
		}
	}
	*w = '\0';
	return s;
}

char *
sm_name_str(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL, *s = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	/*
	 * RFC 2253 on one line, RFC 2253 specials escaped, but UTF-8 kept as
	 * UTF-8 (no \XX for bytes over 0x7f) so that names stay readable, and
	 * control characters kept as they are: whoever prints the name
	 * escapes them like every other hostile field (\x1b, JSON \u001b),
	 * not RFC 2253's \1B.  A NUL, which would end the string and hide
	 * the rest of the name, is written as the text "\x00".
	 */
	if (X509_NAME_print_ex(bio, name, 0,
	                       XN_FLAG_RFC2253 & ~(ASN1_STRFLGS_ESC_MSB |
	                                           ASN1_STRFLGS_ESC_CTRL)) >=
	            0 &&
	    (n = BIO_get_mem_data(bio, &p)) >= 0)
		s = nul_visible(p, (size_t)n);
	BIO_free(bio);
	return s;
}

/*
 * An ASN1 string as a UTF-8 C string, as the certificate holds it: control
 * characters are kept, so that whoever prints it escapes them visibly
 * (the CLI's out_text: \x1b), the same way as every other hostile field;
 * a NUL is the text "\x00" (nul_visible).
 */
static char *
asn1_to_utf8(const ASN1_STRING *str)
{
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, str);
	char *s;

	if (n < 0)
		return NULL;
	s = nul_visible((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return s;
}

static char *
common_name(const X509_NAME *name)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	char *s;

	if (i < 0)
		return sm_strdup("");
	s = asn1_to_utf8(
	        X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	return s != NULL ? s : sm_strdup("");
}

static char *
serial_hex(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex, *s;

	if (bn == NULL)
		return NULL;
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (hex == NULL)
		return NULL;
	s = sm_strdup(hex);
	OPENSSL_free(hex);
	if (s != NULL)
		for (char *p = s; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
	return s;
}

static void
key_desc(const X509 *x, char *out, size_t size)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[64];
	size_t glen = 0;

	if (pk == NULL) {
		(void)snprintf(out, size, "unknown");
		return;
	}
	if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) {
		(void)snprintf(out, size, "RSA %d", EVP_PKEY_get_bits(pk));
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		const char *nist = NULL;
		if (EVP_PKEY_get_utf8_string_param(
		            pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
		            sizeof(group), &glen) == 1) {
			int nid = OBJ_sn2nid(group);
			if (nid == NID_undef)
				nid = OBJ_ln2nid(group);
			if (nid != NID_undef)
				nist = EC_curve_nid2nist(nid);
			(void)snprintf(out, size, "EC %s",
			               nist != NULL ? nist : group);
		} else {
			(void)snprintf(out, size, "EC %d",
			               EVP_PKEY_get_bits(pk));
		}
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		(void)snprintf(out, size, "Ed25519");
	} else if (EVP_PKEY_is_a(pk, "ED448")) {
		(void)snprintf(out, size, "Ed448");
	} else {
		const char *t = EVP_PKEY_get0_type_name(pk);
		(void)snprintf(out, size, "%s %d", t != NULL ? t : "unknown",
		               EVP_PKEY_get_bits(pk));
	}
	ERR_clear_error();
}

/* A plausible e-mail address: printable ASCII, one '@', not at an end. */
static bool
address_ok(const char *s, size_t len)
{
	const char *at = NULL;

	if (len == 0 || len > SM_ADDRESS_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f)
			return false;
		if (c == '@') {
			if (at != NULL)
				return false;
			at = s + i;
		}
	}
	return at != NULL && at != s && at != s + len - 1;
}

static int
add_address(sm_cert *c, const unsigned char *data, int len)
{
	char *a;

	if (len < 0 || !address_ok((const char *)data, (size_t)len))
		return 0; /* not an address we can use: skip it */
	if (c->n_addrs >= SM_CERT_ADDR_MAX)
		return 0;
	a = sm_strndup((const char *)data, (size_t)len);
	if (a == NULL)
		return -1;
	sm_address_lower(a);
	for (size_t i = 0; i < c->n_addrs; i++)
		if (strcmp(c->addrs[i], a) == 0) {
			sm_free(a);
			return 0;
		}
	if (c->addrs == NULL) {
		c->addrs = sm_calloc(SM_CERT_ADDR_MAX, sizeof(char *));
		if (c->addrs == NULL) {
			sm_free(a);
			return -1;
		}
	}
	c->addrs[c->n_addrs++] = a;
	return 0;
}

static int
collect_addresses(sm_cert *c)
{
	GENERAL_NAMES *gens;
	int rc = 0;

	gens = X509_get_ext_d2i(c->x509, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_EMAIL)
			continue;
		if (add_address(c, ASN1_STRING_get0_data(g->d.rfc822Name),
		                ASN1_STRING_length(g->d.rfc822Name)) < 0) {
			rc = -1;
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	if (rc == 0 && c->n_addrs == 0) {
		const X509_NAME *name = X509_get_subject_name(c->x509);
		int i = -1;
		while ((i = X509_NAME_get_index_by_NID(
		                name, NID_pkcs9_emailAddress, i)) >= 0) {
			const ASN1_STRING *s = X509_NAME_ENTRY_get_data(
			        X509_NAME_get_entry(name, i));
			if (add_address(c, ASN1_STRING_get0_data(s),
			                ASN1_STRING_length(s)) < 0) {
				rc = -1;
				break;
			}
		}
	}
	ERR_clear_error();
	return rc;
}

static unsigned int
usage_bits(X509 *x)
{
	uint32_t ku = X509_get_key_usage(x); /* UINT32_MAX: no extension */
	uint32_t xku = X509_get_extended_key_usage(x);
	BASIC_CONSTRAINTS *bc;
	unsigned int u = 0;

	if (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))
		u |= SM_USAGE_SIGN;
	if (ku & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT))
		u |= SM_USAGE_ENCRYPT;
	if (xku & (XKU_SMIME | XKU_ANYEKU))
		u |= SM_USAGE_EMAIL;
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	if (bc != NULL && bc->ca)
		u |= SM_USAGE_CA;
	BASIC_CONSTRAINTS_free(bc);
	ERR_clear_error();
	return u;
}

static void
cert_destroy(sm_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	sm_free(c->der);
	sm_free(c->subject);
	sm_free(c->issuer);
	sm_free(c->cn);
	sm_free(c->serial);
	for (size_t i = 0; i < c->n_addrs; i++)
		sm_free(c->addrs[i]);
	sm_free(c->addrs);
	sm_free(c);
}

int
sm_cert_wrap(sm_cert **out, sm_crypto *crypto, X509 *x, sealmail_error *err)
{
	sm_cert *c;
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	unsigned char *p;
	OSSL_LIB_CTX *prev;
	int n;

	*out = NULL;
	c = sm_calloc(1, sizeof(*c));
	if (c == NULL)
		return sm_error_nomem(err);
	atomic_init(&c->refs, 1);
	c->crypto = crypto;
	if (!X509_up_ref(x)) {
		sm_free(c);
		return sm_ossl_error(err, SEALMAIL_ERROR, "certificate");
	}
	c->x509 = x;

	n = i2d_X509(x, NULL);
	if (n <= 0) {
		cert_destroy(c);
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "cannot encode certificate");
	}
	c->der = sm_malloc((size_t)n);
	if (c->der == NULL)
		goto nomem;
	p = c->der;
	if (i2d_X509(x, &p) != n) {
		cert_destroy(c);
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "cannot encode certificate");
	}
	c->der_len = (size_t)n;
	if (!EVP_Q_digest(crypto->libctx, "SHA256", NULL, c->der, c->der_len,
	                  md, &mdlen) ||
	    mdlen != 32) {
		cert_destroy(c);
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot hash certificate");
	}
	sm_hex(c->fingerprint, md, mdlen);

	c->subject = sm_name_str(X509_get_subject_name(x));
	c->issuer = sm_name_str(X509_get_issuer_name(x));
	c->cn = common_name(X509_get_subject_name(x));
	c->serial = serial_hex(x);
	if (c->subject == NULL || c->issuer == NULL || c->cn == NULL ||
	    c->serial == NULL)
		goto nomem;
	if (asn1_time_to_unix(X509_get0_notBefore(x), &c->not_before) != 0 ||
	    asn1_time_to_unix(X509_get0_notAfter(x), &c->not_after) != 0) {
		cert_destroy(c);
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "certificate has an unreadable validity "
		                     "period");
	}
	key_desc(x, c->key_desc, sizeof(c->key_desc));
	if (collect_addresses(c) != 0)
		goto nomem;
	/*
	 * X509_get_key_usage fills the certificate's extension cache, which
	 * asks EVP_MD_is_a(EVP_sha1()): a digest without a provider, looked
	 * up in the thread's default library context, whose name map (every
	 * legacy cipher and digest name) that first lookup builds, 0.15 ms
	 * in a process whose cryptography is all in our context (issue 7).
	 * Our context, whose map exists, stands in for that call only; the
	 * thread's default is put back before anything else runs.
	 */
	prev = OSSL_LIB_CTX_set0_default(crypto->libctx);
	c->usage = usage_bits(x);
	if (prev != NULL)
		(void)OSSL_LIB_CTX_set0_default(prev);
	atomic_init(&c->self_signed, -1);
	ERR_clear_error();
	*out = c;
	return SEALMAIL_OK;
nomem:
	cert_destroy(c);
	ERR_clear_error();
	return sm_error_nomem(err);
}

X509 *
sm_cert_x509(const sm_cert *cert)
{
	return cert->x509;
}

/* FNV-1a: picks the candidate; the DER bytes are compared in full. */
static uint64_t
der_hash(const unsigned char *der, size_t len)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ der[i]) * 1099511628211u;
	return h;
}

/*
 * Parsed once per sm_crypto (its cache, SM_CERT_CACHE_SIZE): the same bytes
 * give the same (immutable) certificate.  A command reads the same
 * certificate from several rows (own ID, address book, the key's row) and
 * a mailbox's messages carry the same few.
 */
int
sm_cert_from_der(sm_cert **out,
                 sm_crypto *crypto,
                 const unsigned char *der,
                 size_t len,
                 sealmail_error *err)
{
	const unsigned char *p = der;
	uint64_t h;
	size_t slot;
	X509 *x;
	int rc;

	*out = NULL;
	if (len == 0 || len > LONG_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "not a DER certificate");
	h = der_hash(der, len);
	for (size_t i = 0; i < SM_CERT_CACHE_SIZE; i++) {
		sm_cert *c = crypto->cert_cache[i];
		if (c != NULL && crypto->cert_cache_hash[i] == h &&
		    c->der_len == len && memcmp(c->der, der, len) == 0) {
			*out = sm_cert_ref(c);
			return SEALMAIL_OK;
		}
	}
	ERR_clear_error();
	x = X509_new_ex(crypto->libctx, NULL);
	if (x == NULL)
		return sm_ossl_error(err, SEALMAIL_ENOMEM, "certificate");
	if (d2i_X509(&x, &p, (long)len) == NULL) {
		/* d2i frees *x on failure */
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "not a DER certificate");
	}
	if (p != der + len) {
		X509_free(x);
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "DER certificate has trailing data");
	}
	rc = sm_cert_wrap(out, crypto, x, err);
	X509_free(x);
	if (rc != SEALMAIL_OK)
		return rc;
	slot = crypto->cert_cache_next;
	crypto->cert_cache_next = (slot + 1) % SM_CERT_CACHE_SIZE;
	sm_cert_free(crypto->cert_cache[slot]);
	crypto->cert_cache[slot] = sm_cert_ref(*out);
	crypto->cert_cache_hash[slot] = h;
	return SEALMAIL_OK;
}

void
sm_cert_cache_clear(sm_crypto *crypto)
{
	for (size_t i = 0; i < SM_CERT_CACHE_SIZE; i++) {
		sm_cert_free(crypto->cert_cache[i]);
		crypto->cert_cache[i] = NULL;
	}
	crypto->cert_cache_next = 0;
}

/* A growing list of certificates, bounded by SM_CERT_LIST_MAX. */
struct cert_list {
	sm_cert **v;
	size_t n;
};

/* Make room for one more certificate, or say there are too many. */
static int
list_room(struct cert_list *l, sealmail_error *err)
{
	if (l->n >= SM_CERT_LIST_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "more than %d certificates in one file",
		                    SM_CERT_LIST_MAX);
	if (l->v == NULL) {
		l->v = sm_calloc(SM_CERT_LIST_MAX, sizeof(sm_cert *));
		if (l->v == NULL)
			return sm_error_nomem(err);
	}
	return SEALMAIL_OK;
}

static int
list_push_x509(struct cert_list *l,
               sm_crypto *crypto,
               X509 *x,
               sealmail_error *err)
{
	sm_cert *c;
	int rc;

	rc = list_room(l, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_cert_wrap(&c, crypto, x, err);
	if (rc != SEALMAIL_OK)
		return rc;
	l->v[l->n++] = c;
	return SEALMAIL_OK;
}

static int
list_push_der(struct cert_list *l,
              sm_crypto *crypto,
              const unsigned char *der,
              size_t len,
              sealmail_error *err)
{
	sm_cert *c;
	int rc;

	rc = list_room(l, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_cert_from_der(&c, crypto, der, len, err);
	if (rc != SEALMAIL_OK)
		return rc;
	l->v[l->n++] = c;
	return SEALMAIL_OK;
}

/* The certificates of a CMS/PKCS#7 signed-data (certs-only) in DER/BER. */
static int
list_push_cms(struct cert_list *l,
              sm_crypto *crypto,
              const unsigned char *der,
              size_t len,
              sealmail_error *err)
{
	BIO *bio;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *certs = NULL;
	int rc = SEALMAIL_OK;

	if (len > INT_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "PKCS#7 bundle too large");
	bio = BIO_new_mem_buf(der, (int)len);
	if (bio == NULL)
		return sm_ossl_error(err, SEALMAIL_ENOMEM, "PKCS#7 bundle");
	cms = CMS_ContentInfo_new_ex(crypto->libctx, NULL);
	if (cms == NULL) {
		BIO_free(bio);
		return sm_ossl_error(err, SEALMAIL_ENOMEM, "PKCS#7 bundle");
	}
	if (d2i_CMS_bio(bio, &cms) == NULL) {
		BIO_free(bio);
		CMS_ContentInfo_free(cms);
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "malformed PKCS#7 bundle");
	}
	BIO_free(bio);
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		CMS_ContentInfo_free(cms);
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "PKCS#7 data is not a certificate bundle");
	}
	certs = CMS_get1_certs(cms);
	CMS_ContentInfo_free(cms);
	for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		rc = list_push_x509(l, crypto, sk_X509_value(certs, i), err);
		if (rc != SEALMAIL_OK)
			break;
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return rc;
}

static bool
looks_like_pem(const unsigned char *data, size_t len)
{
	static const char tag[] = "-----BEGIN ";

	for (size_t i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (data[i] == '-' &&
		    memcmp(data + i, tag, sizeof(tag) - 1) == 0)
			return true;
	return false;
}

static int
parse_pem(struct cert_list *l,
          sm_crypto *crypto,
          const unsigned char *data,
          size_t len,
          sealmail_error *err)
{
	BIO *bio;
	int rc = SEALMAIL_OK;

	if (len > INT_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "PEM text too large");
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL)
		return sm_ossl_error(err, SEALMAIL_ENOMEM, "PEM text");
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *body = NULL;
		long blen = 0;

		ERR_clear_error();
		if (PEM_read_bio(bio, &name, &header, &body, &blen) != 1) {
			unsigned long e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
				ERR_clear_error();
			} else {
				rc = sm_ossl_error(err, SEALMAIL_EBADDATA,
				                   "malformed PEM block");
			}
			break;
		}
		if (strcmp(name, "CERTIFICATE") == 0 ||
		    strcmp(name, "X509 CERTIFICATE") == 0)
			rc = list_push_der(l, crypto, body, (size_t)blen, err);
		else if (strcmp(name, "PKCS7") == 0 || strcmp(name, "CMS") == 0)
			rc = list_push_cms(l, crypto, body, (size_t)blen, err);
		/* other blocks (keys, CRLs, parameters) are skipped */
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(body, blen > 0 ? (size_t)blen : 0);
		if (rc != SEALMAIL_OK)
			break;
	}
	BIO_free(bio);
	return rc;
}

int
sm_cert_list_parse(sm_cert ***list_out,
                   size_t *count_out,
                   sm_crypto *crypto,
                   const unsigned char *data,
                   size_t len,
                   sealmail_error *err)
{
	return sm_cert_list_parse_ex(list_out, count_out, crypto, data, len,
	                             false, err);
}

int
sm_cert_list_parse_ex(sm_cert ***list_out,
                      size_t *count_out,
                      sm_crypto *crypto,
                      const unsigned char *data,
                      size_t len,
                      bool allow_none,
                      sealmail_error *err)
{
	struct cert_list l = {NULL, 0};
	int rc;

	*list_out = NULL;
	*count_out = 0;
	if (data == NULL || len == 0)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "no certificate found (empty input)");
	ERR_clear_error();
	if (looks_like_pem(data, len)) {
		rc = parse_pem(&l, crypto, data, len, err);
	} else {
		/* DER: one certificate, else a PKCS#7/CMS certs-only bundle */
		sealmail_error e1;
		rc = list_push_der(&l, crypto, data, len, &e1);
		if (rc == SEALMAIL_EBADDATA) {
			rc = list_push_cms(&l, crypto, data, len, err);
			if (rc == SEALMAIL_EBADDATA)
				rc = sm_error_set(err, SEALMAIL_EBADDATA,
				                  "not a certificate, PEM "
				                  "text or PKCS#7 bundle");
		} else if (rc != SEALMAIL_OK && err != NULL) {
			*err = e1;
		}
	}
	if (rc == SEALMAIL_OK && l.n == 0 && !allow_none)
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "no certificate found");
	if (rc != SEALMAIL_OK) {
		sm_cert_list_free(l.v, l.n);
		return rc;
	}
	*list_out = l.v;
	*count_out = l.n;
	return SEALMAIL_OK;
}

void
sm_cert_list_free(sm_cert **list, size_t count)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		sm_cert_free(list[i]);
	sm_free(list);
}

sm_cert *
sm_cert_ref(sm_cert *cert)
{
	if (cert != NULL)
		atomic_fetch_add(&cert->refs, 1);
	return cert;
}

void
sm_cert_free(sm_cert *cert)
{
	if (cert == NULL)
		return;
	if (atomic_fetch_sub(&cert->refs, 1) == 1)
		cert_destroy(cert);
}

const unsigned char *
sm_cert_der(const sm_cert *cert, size_t *len_out)
{
	*len_out = cert->der_len;
	return cert->der;
}

const char *
sm_cert_fingerprint(const sm_cert *cert)
{
	return cert->fingerprint;
}

const char *
sm_cert_subject(const sm_cert *cert)
{
	return cert->subject;
}

const char *
sm_cert_issuer(const sm_cert *cert)
{
	return cert->issuer;
}

const char *
sm_cert_common_name(const sm_cert *cert)
{
	return cert->cn;
}

const char *
sm_cert_serial(const sm_cert *cert)
{
	return cert->serial;
}

const char *
sm_cert_key_desc(const sm_cert *cert)
{
	return cert->key_desc;
}

size_t
sm_cert_address_count(const sm_cert *cert)
{
	return cert->n_addrs;
}

const char *
sm_cert_address_at(const sm_cert *cert, size_t i)
{
	return i < cert->n_addrs ? cert->addrs[i] : NULL;
}

bool
sm_cert_has_address(const sm_cert *cert, const char *addr)
{
	if (addr == NULL)
		return false;
	for (size_t i = 0; i < cert->n_addrs; i++) {
		const char *a = cert->addrs[i], *b = addr;
		/* ASCII case-insensitive compare (addresses are lower-case) */
		while (*a != '\0' && *b != '\0') {
			char cb = *b;
			if (cb >= 'A' && cb <= 'Z')
				cb = (char)(cb - 'A' + 'a');
			if (*a != cb)
				break;
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return true;
	}
	return false;
}

int64_t
sm_cert_not_before(const sm_cert *cert)
{
	return cert->not_before;
}

int64_t
sm_cert_not_after(const sm_cert *cert)
{
	return cert->not_after;
}

unsigned int
sm_cert_usage(const sm_cert *cert)
{
	return cert->usage;
}

bool
sm_cert_is_self_signed(sm_cert *cert)
{
	int v = atomic_load(&cert->self_signed);

	if (v < 0) {
		v = X509_self_signed(cert->x509, 1) == 1;
		ERR_clear_error();
		atomic_store(&cert->self_signed, v);
	}
	return v != 0;
}

int
sm_cert_pem(const sm_cert *cert, sm_buf *out, sealmail_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	int rc;

	if (bio == NULL)
		return sm_ossl_error(err, SEALMAIL_ENOMEM, "certificate PEM");
	if (PEM_write_bio_X509(bio, cert->x509) != 1) {
		BIO_free(bio);
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot write certificate PEM");
	}
	n = BIO_get_mem_data(bio, &p);
	rc = sm_buf_append(out, p, n > 0 ? (size_t)n : 0, err);
	BIO_free(bio);
	return rc;
}

/* Why a chain did not verify, in words. */
static const char *
verify_reason(int code)
{
	switch (code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "certificate has expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "certificate is not yet valid";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return "no trusted CA issued it";
	case X509_V_ERR_INVALID_PURPOSE:
		return "certificate is not for S/MIME use";
	case X509_V_ERR_INVALID_CA:
		return "an issuer in the chain is not a CA";
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return "certificate signature is invalid";
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
		return "chain is longer than a CA allows";
	default:
		return X509_verify_cert_error_string(code);
	}
}

int
sm_cert_chain_verify(const sm_cert *leaf,
                     sm_cert *const *intermediates,
                     size_t n_intermediates,
                     sm_cert *const *anchors,
                     size_t n_anchors,
                     int64_t at,
                     const sm_cert **anchor_out,
                     sealmail_error *err)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	X509_VERIFY_PARAM *param;
	int rc = SEALMAIL_ERROR, ok, code, depth, purpose;

	if (anchor_out != NULL)
		*anchor_out = NULL;
	ERR_clear_error();
	store = X509_STORE_new();
	untrusted = sk_X509_new_null();
	ctx = X509_STORE_CTX_new_ex(leaf->crypto->libctx, NULL);
	if (store == NULL || untrusted == NULL || ctx == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_ENOMEM, "certificate chain");
		goto out;
	}
	for (size_t i = 0; i < n_anchors; i++)
		if (X509_STORE_add_cert(store, anchors[i]->x509) != 1) {
			rc = sm_ossl_error(err, SEALMAIL_ERROR,
			                   "trusted CA certificate");
			goto out;
		}
	for (size_t i = 0; i < n_intermediates; i++)
		if (!sk_X509_push(untrusted, intermediates[i]->x509)) {
			rc = sm_ossl_error(err, SEALMAIL_ENOMEM,
			                   "certificate chain");
			goto out;
		}
	/*
	 * The chain is checked for the purpose the certificate can serve: an
	 * encryption-only certificate (keyEncipherment or keyAgreement alone)
	 * never passes the signing purpose, yet can be trusted through a CA.
	 */
	purpose = (sm_cert_usage(leaf) & (SM_USAGE_SIGN | SM_USAGE_ENCRYPT)) ==
	                          SM_USAGE_ENCRYPT
	                  ? X509_PURPOSE_SMIME_ENCRYPT
	                  : X509_PURPOSE_SMIME_SIGN;
	if (X509_STORE_CTX_init(ctx, store, leaf->x509, untrusted) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, purpose) != 1) {
		rc = sm_ossl_error(err, SEALMAIL_ERROR, "certificate chain");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	/* A trusted intermediate is a valid anchor; no CRL checks. */
	(void)X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	if (at != 0)
		X509_VERIFY_PARAM_set_time(param, (time_t)at);

	ok = X509_verify_cert(ctx);
	if (ok == 1) {
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
		X509 *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
		rc = SEALMAIL_OK;
		for (size_t i = 0; i < n_anchors && anchor_out != NULL; i++)
			if (X509_cmp(anchors[i]->x509, top) == 0) {
				*anchor_out = anchors[i];
				break;
			}
		goto out;
	}
	code = X509_STORE_CTX_get_error(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	if (ok < 0 || code == X509_V_ERR_OUT_OF_MEM) {
		rc = sm_ossl_error(err, SEALMAIL_ERROR,
		                   "cannot verify certificate chain");
		goto out;
	}
	ERR_clear_error();
	if (depth > 0 && code != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT &&
	    code != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY &&
	    code != X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
		rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
		                  "certificate of %s does not chain: issuer "
		                  "at depth %d: %s",
		                  leaf->subject, depth, verify_reason(code));
	else
		rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
		                  "certificate of %s does not chain: %s",
		                  leaf->subject, verify_reason(code));
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	return rc;
}
