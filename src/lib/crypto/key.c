/* SPDX-License-Identifier: MIT */
/*
 * Private keys: generation (RSA, EC), PKCS#8 at rest (PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC), and the self-signed S/MIME
 * certificate made for a new digital ID.  PKCS#12 and PEM bundles are in
 * pkcs12.c.
 */
#include "crypto_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/*
 * PBKDF2 iterations for keys at rest.  OWASP's 600 000 costs ~150 ms per
 * unlock on a modest machine, paid on every sign and decrypt; 200 000 keeps
 * an unlock near 50 ms while still making an offline guess 200 000 HMACs.
 */
#define SM_PKCS8_ITER 200000

struct sm_key {
	sm_crypto *crypto; /* borrowed */
	EVP_PKEY *pkey;
};

int
sm_key_wrap(sm_key **out,
            sm_crypto *crypto,
            EVP_PKEY *pkey,
            sealmail_error *err)
{
	sm_key *k = sm_calloc(1, sizeof(*k));

	*out = NULL;
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return sm_error_nomem(err);
	}
	k->crypto = crypto;
	k->pkey = pkey;
	*out = k;
	return SEALMAIL_OK;
}

EVP_PKEY *
sm_key_pkey(const sm_key *key)
{
	return key->pkey;
}

static const struct {
	const char *name;
	sm_key_type type;
} key_types[] = {
        {"rsa2048", SM_KEY_RSA2048}, {"rsa3072", SM_KEY_RSA3072},
        {"rsa4096", SM_KEY_RSA4096}, {"p256", SM_KEY_P256},
        {"p384", SM_KEY_P384},
};

int
sm_key_type_parse(sm_key_type *out, const char *name, sealmail_error *err)
{
	for (size_t i = 0; name != NULL && i < SM_ARRAY_SIZE(key_types); i++)
		if (strcmp(name, key_types[i].name) == 0) {
			*out = key_types[i].type;
			return SEALMAIL_OK;
		}
	return sm_error_set(err, SEALMAIL_EINVAL,
	                    "unknown key type \"%s\" (valid: rsa2048, rsa3072, "
	                    "rsa4096, p256, p384)",
	                    name != NULL ? name : "");
}

int
sm_key_generate(sm_key **out,
                sm_crypto *crypto,
                sm_key_type type,
                sealmail_error *err)
{
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	ERR_clear_error();
	switch (type) {
	case SM_KEY_RSA2048:
		pkey = EVP_PKEY_Q_keygen(crypto->libctx, NULL, "RSA",
		                         (size_t)2048);
		break;
	case SM_KEY_RSA3072:
		pkey = EVP_PKEY_Q_keygen(crypto->libctx, NULL, "RSA",
		                         (size_t)3072);
		break;
	case SM_KEY_RSA4096:
		pkey = EVP_PKEY_Q_keygen(crypto->libctx, NULL, "RSA",
		                         (size_t)4096);
		break;
	case SM_KEY_P256:
		pkey = EVP_PKEY_Q_keygen(crypto->libctx, NULL, "EC", "P-256");
		break;
	case SM_KEY_P384:
		pkey = EVP_PKEY_Q_keygen(crypto->libctx, NULL, "EC", "P-384");
		break;
	default:
		return sm_error_set(err, SEALMAIL_EINVAL, "unknown key type");
	}
	if (pkey == NULL)
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot generate a key");
	return sm_key_wrap(out, crypto, pkey, err);
}

void
sm_key_free(sm_key *key)
{
	if (key == NULL)
		return;
	/* EVP_PKEY_free clears the private key material it frees. */
	EVP_PKEY_free(key->pkey);
	sm_free(key);
}

bool
sm_key_matches_cert(const sm_key *key, const sm_cert *cert)
{
	EVP_PKEY *pub;
	bool eq;

	if (key == NULL || cert == NULL)
		return false;
	pub = X509_get0_pubkey(sm_cert_x509(cert));
	eq = pub != NULL && EVP_PKEY_eq(pub, key->pkey) == 1;
	ERR_clear_error();
	return eq;
}

/* Append an i2d encoding to `out`, wiping the temporary copy. */
static int
append_der(sm_buf *out, unsigned char *der, int n, sealmail_error *err)
{
	int rc;

	if (n <= 0 || der == NULL)
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot encode private key");
	rc = sm_buf_append(out, der, (size_t)n, err);
	OPENSSL_clear_free(der, (size_t)n);
	return rc;
}

int
sm_key_to_pkcs8(const sm_key *key,
                const char *passphrase,
                sm_buf *out,
                sealmail_error *err)
{
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_CIPHER *aes = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *enc = NULL;
	unsigned char *der = NULL;
	size_t plen;
	int n, rc;

	ERR_clear_error();
	p8 = EVP_PKEY2PKCS8(key->pkey);
	if (p8 == NULL)
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot encode private key");
	if (passphrase == NULL) {
		n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
		PKCS8_PRIV_KEY_INFO_free(p8);
		return append_der(out, der, n, err);
	}
	plen = strlen(passphrase);
	if (plen > INT_MAX) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "passphrase too long");
	}
	aes = EVP_CIPHER_fetch(key->crypto->libctx, "AES-256-CBC", NULL);
	if (aes != NULL)
		pbe = PKCS5_pbe2_set_iv_ex(aes, SM_PKCS8_ITER, NULL, 0, NULL,
		                           NID_hmacWithSHA256,
		                           key->crypto->libctx);
	EVP_CIPHER_free(aes);
	if (pbe == NULL) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot set up key encryption");
	}
	/* takes pbe on success */
	enc = PKCS8_set0_pbe_ex(passphrase, (int)plen, p8, pbe,
	                        key->crypto->libctx, NULL);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (enc == NULL) {
		X509_ALGOR_free(pbe);
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot encrypt private key");
	}
	n = i2d_X509_SIG(enc, &der);
	X509_SIG_free(enc);
	rc = append_der(out, der, n, err);
	return rc;
}

/*
 * The key in `p8` through the provider decoders for its algorithm only
 * (named by the PKCS#8 algorithm OID, as OpenSSL names a certificate's
 * public key): EVP_PKCS82PKEY_ex asks every key type's decoders, and
 * setting them up was 3 % of a 4 KiB sign (issue 7).  NULL when that does
 * not work; the caller then asks EVP_PKCS82PKEY_ex.
 */
static EVP_PKEY *
pkcs8_decode(const PKCS8_PRIV_KEY_INFO *p8, sm_crypto *crypto)
{
	const ASN1_OBJECT *obj = NULL;
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	char type[80];
	size_t left;
	int n;

	if (!PKCS8_pkey_get0(&obj, NULL, NULL, NULL, p8) || obj == NULL ||
	    OBJ_obj2txt(type, sizeof(type), obj, 0) <= 0)
		return NULL;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	if (n <= 0)
		return NULL;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo",
	                                     type, EVP_PKEY_KEYPAIR,
	                                     crypto->libctx, NULL);
	p = der;
	left = (size_t)n;
	if (dctx == NULL || !OSSL_DECODER_from_data(dctx, &p, &left)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	OPENSSL_clear_free(der, (size_t)n);
	ERR_clear_error();
	return pkey;
}

int
sm_key_from_pkcs8(sm_key **out,
                  sm_crypto *crypto,
                  const unsigned char *der,
                  size_t len,
                  const char *passphrase,
                  sealmail_error *err)
{
	const unsigned char *p = der;
	X509_SIG *enc = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey;

	*out = NULL;
	if (len == 0 || len > LONG_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "not a PKCS#8 private key");
	ERR_clear_error();
	enc = d2i_X509_SIG(NULL, &p, (long)len);
	if (enc != NULL && p == der + len) {
		const X509_ALGOR *alg = NULL;
		int rc;
		X509_SIG_get0(enc, &alg, NULL);
		rc = sm_pbe_check(alg, "private key", err);
		if (rc != SEALMAIL_OK) {
			X509_SIG_free(enc);
			return rc;
		}
		if (passphrase == NULL) {
			X509_SIG_free(enc);
			return sm_error_set(err, SEALMAIL_EPASSPHRASE,
			                    "private key is encrypted: "
			                    "a passphrase is needed");
		}
		p8 = PKCS8_decrypt_ex(enc, passphrase, (int)strlen(passphrase),
		                      crypto->libctx, NULL);
		X509_SIG_free(enc);
		if (p8 == NULL)
			return sm_ossl_error(err, SEALMAIL_EPASSPHRASE,
			                     "wrong passphrase for the "
			                     "private key");
	} else {
		X509_SIG_free(enc);
		p = der;
		ERR_clear_error();
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
		if (p8 == NULL || p != der + len) {
			PKCS8_PRIV_KEY_INFO_free(p8);
			return sm_ossl_error(err, SEALMAIL_EBADDATA,
			                     "not a PKCS#8 private key");
		}
	}
	pkey = pkcs8_decode(p8, crypto);
	if (pkey == NULL)
		pkey = EVP_PKCS82PKEY_ex(p8, crypto->libctx, NULL);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (pkey == NULL)
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "unusable PKCS#8 private key");
	return sm_key_wrap(out, crypto, pkey, err);
}

/* A plain printable-ASCII address with one '@' (no commas or spaces). */
static bool
email_ok(const char *s)
{
	size_t len = strlen(s), at = 0, n_at = 0;

	if (len < 3 || len > SM_ADDRESS_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == ',' || c == '<' ||
		    c == '>' || c == '"')
			return false;
		if (c == '@') {
			n_at++;
			at = i;
		}
	}
	return n_at == 1 && at > 0 && at < len - 1;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int
add_san_email(X509 *x, const char *email)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *gen = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	int ok = 0;

	if (gens == NULL || gen == NULL || ia5 == NULL ||
	    !ASN1_STRING_set(ia5, email, (int)strlen(email)))
		goto out;
	GENERAL_NAME_set0_value(gen, GEN_EMAIL, ia5);
	ia5 = NULL;
	if (!sk_GENERAL_NAME_push(gens, gen))
		goto out;
	gen = NULL;
	ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	                       X509V3_ADD_DEFAULT);
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return ok;
}

/* A random positive 128-bit serial number. */
static int
set_random_serial(X509 *x, OSSL_LIB_CTX *libctx)
{
	unsigned char r[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	int ok = 0;

	if (RAND_bytes_ex(libctx, r, sizeof(r), 0) != 1)
		return 0;
	r[0] &= 0x7f; /* positive */
	r[0] |= 0x40; /* and exactly 16 bytes long */
	bn = BN_bin2bn(r, sizeof(r), NULL);
	if (bn != NULL)
		serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (serial != NULL)
		ok = X509_set_serialNumber(x, serial);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return ok;
}

int
sm_cert_self_signed_new(sm_cert **out,
                        sm_crypto *crypto,
                        const sm_key *key,
                        const char *email,
                        const char *name,
                        int days,
                        sealmail_error *err)
{
	X509 *x = NULL;
	X509_NAME *subj = NULL;
	X509V3_CTX v3;
	EVP_MD_CTX *md = NULL;
	const char *ku;
	char *addr = NULL;
	const char *cn;
	int rc;

	*out = NULL;
	if (email == NULL || !email_ok(email))
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "not a usable e-mail address: \"%s\"",
		                    email != NULL ? email : "");
	if (days < 1 || days > 36500)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "validity of %d days is out of range "
		                    "(1 to 36500)",
		                    days);
	if (EVP_PKEY_is_a(key->pkey, "RSA"))
		ku = "critical,digitalSignature,nonRepudiation,keyEncipherment";
	else if (EVP_PKEY_is_a(key->pkey, "EC"))
		ku = "critical,digitalSignature,nonRepudiation,keyAgreement";
	else
		return sm_error_set(err, SEALMAIL_EUNSUPPORTED,
		                    "key type not supported for certificates");
	addr = sm_strdup(email);
	if (addr == NULL)
		return sm_error_nomem(err);
	sm_address_lower(addr);
	cn = name != NULL && name[0] != '\0' ? name : addr;

	ERR_clear_error();
	x = X509_new_ex(crypto->libctx, NULL);
	subj = X509_NAME_new();
	md = EVP_MD_CTX_new();
	if (x == NULL || subj == NULL || md == NULL)
		goto ossl_fail;
	if (!X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8,
	                                (const unsigned char *)cn, -1, -1, 0)) {
		rc = sm_ossl_error(err, SEALMAIL_EINVAL,
		                   "name not usable in a certificate");
		goto out;
	}
	if (!X509_NAME_add_entry_by_NID(
	            subj, NID_pkcs9_emailAddress, MBSTRING_ASC,
	            (const unsigned char *)addr, -1, -1, 0) ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !set_random_serial(x, crypto->libctx) ||
	    !X509_set_subject_name(x, subj) || !X509_set_issuer_name(x, subj) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, NULL) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) == NULL ||
	    !X509_set_pubkey(x, key->pkey))
		goto ossl_fail;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (!add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &v3, NID_key_usage, ku) ||
	    !add_ext(x, &v3, NID_ext_key_usage, "emailProtection") ||
	    !add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &v3, NID_authority_key_identifier, "keyid:always") ||
	    !add_san_email(x, addr))
		goto ossl_fail;
	if (EVP_DigestSignInit_ex(md, NULL, "SHA256", crypto->libctx, NULL,
	                          key->pkey, NULL) != 1 ||
	    X509_sign_ctx(x, md) <= 0)
		goto ossl_fail;
	rc = sm_cert_wrap(out, crypto, x, err);
	goto out;
ossl_fail:
	rc = sm_ossl_error(err, SEALMAIL_ERROR,
	                   "cannot make a self-signed certificate");
out:
	EVP_MD_CTX_free(md);
	X509_NAME_free(subj);
	X509_free(x);
	sm_free(addr);
	return rc;
}
