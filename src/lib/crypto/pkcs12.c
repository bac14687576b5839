/* SPDX-License-Identifier: MIT */
/*
 * Digital IDs as files: PKCS#12 read (modern PBES2/AES and legacy 3DES and
 * RC2, every KDF iteration count checked before the KDF runs) and written
 * (OpenSSL 3 defaults, or legacy PBE-SHA1-3DES with a SHA-1 MAC), and PEM
 * bundles of certificates plus one private key.
 */
#include "crypto_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Nesting of SafeContents bags inside each other. */
#define SM_P12_DEPTH_MAX 4
/* Bags in one file. */
#define SM_P12_BAGS_MAX 1000

int
sm_pbe_check(const X509_ALGOR *alg, const char *what, sealmail_error *err)
{
	const ASN1_TYPE *param;
	long iter = -1;
	int nid;

	if (alg == NULL)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "%s: no encryption algorithm", what);
	nid = OBJ_obj2nid(alg->algorithm);
	param = alg->parameter;
	if (nid == NID_pbes2) {
		PBE2PARAM *p2 = ASN1_TYPE_unpack_sequence(
		        ASN1_ITEM_rptr(PBE2PARAM), param);
		if (p2 == NULL)
			goto bad;
		if (OBJ_obj2nid(p2->keyfunc->algorithm) != NID_id_pbkdf2) {
			PBE2PARAM_free(p2);
			ERR_clear_error();
			return sm_error_set(err, SEALMAIL_EUNSUPPORTED,
			                    "%s: key derivation other than "
			                    "PBKDF2 is not supported",
			                    what);
		}
		PBKDF2PARAM *kdf = ASN1_TYPE_unpack_sequence(
		        ASN1_ITEM_rptr(PBKDF2PARAM), p2->keyfunc->parameter);
		PBE2PARAM_free(p2);
		if (kdf == NULL)
			goto bad;
		iter = ASN1_INTEGER_get(kdf->iter);
		PBKDF2PARAM_free(kdf);
	} else {
		PBEPARAM *pbe = ASN1_TYPE_unpack_sequence(
		        ASN1_ITEM_rptr(PBEPARAM), param);
		if (pbe == NULL)
			goto bad;
		iter = ASN1_INTEGER_get(pbe->iter);
		PBEPARAM_free(pbe);
	}
	ERR_clear_error();
	if (iter < 1 || iter > SM_PBE_ITER_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "%s: absurd iteration count (over %ld "
		                    "or negative), refused",
		                    what, SM_PBE_ITER_MAX);
	return SEALMAIL_OK;
bad:
	return sm_ossl_error(err, SEALMAIL_EBADDATA,
	                     "malformed encryption parameters");
}

void
sm_bundle_clear(sm_bundle *b)
{
	if (b == NULL)
		return;
	sm_key_free(b->key);
	sm_cert_free(b->cert);
	sm_cert_list_free(b->chain, b->chain_count);
	sm_free(b->friendly_name);
	memset(b, 0, sizeof(*b));
}

bool
sm_is_pkcs12(const unsigned char *d, size_t len)
{
	size_t i = 2;

	/* SEQUENCE { INTEGER 3, ContentInfo ... } */
	if (len < 8 || d[0] != 0x30)
		return false;
	if (d[1] & 0x80) {
		size_t nl = d[1] & 0x7f;
		if (nl > 4)
			return false;
		i += nl;
	}
	return i + 3 <= len && d[i] == 0x02 && d[i + 1] == 0x01 &&
	       d[i + 2] == 0x03;
}

/* Collected while walking the bags. */
struct p12_walk {
	sm_crypto *crypto;
	const char *pass;
	int passlen;
	EVP_PKEY *pkey;
	char *key_name;
	STACK_OF(X509) * certs;
	size_t n_bags;
};

static int walk_bags(struct p12_walk *w,
                     const STACK_OF(PKCS12_SAFEBAG) * bags,
                     int depth,
                     sealmail_error *err);

static int
take_key(struct p12_walk *w,
         const PKCS8_PRIV_KEY_INFO *p8,
         const PKCS12_SAFEBAG *bag,
         sealmail_error *err)
{
	EVP_PKEY *pkey;

	if (w->pkey != NULL)
		return sm_error_set(err, SEALMAIL_EUNSUPPORTED,
		                    "PKCS#12 file holds more than one private "
		                    "key");
	pkey = EVP_PKCS82PKEY_ex(p8, w->crypto->libctx, NULL);
	if (pkey == NULL)
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "unusable private key in PKCS#12 file");
	w->pkey = pkey;
	const ASN1_TYPE *fn = PKCS12_SAFEBAG_get0_attr(bag, NID_friendlyName);
	if (fn != NULL && fn->type == V_ASN1_BMPSTRING) {
		char *u = OPENSSL_uni2utf8(
		        ASN1_STRING_get0_data(fn->value.bmpstring),
		        ASN1_STRING_length(fn->value.bmpstring));
		if (u != NULL) {
			w->key_name = sm_strdup(u);
			OPENSSL_free(u);
			if (w->key_name == NULL)
				return sm_error_nomem(err);
		}
	}
	ERR_clear_error();
	return SEALMAIL_OK;
}

static int
walk_bag(struct p12_walk *w,
         const PKCS12_SAFEBAG *bag,
         int depth,
         sealmail_error *err)
{
	int rc = SEALMAIL_OK;

	if (++w->n_bags > SM_P12_BAGS_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "PKCS#12 file has too many entries");
	switch (PKCS12_SAFEBAG_get_nid(bag)) {
	case NID_keyBag:
		return take_key(w, PKCS12_SAFEBAG_get0_p8inf(bag), bag, err);
	case NID_pkcs8ShroudedKeyBag: {
		const X509_SIG *sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
		const X509_ALGOR *alg = NULL;
		PKCS8_PRIV_KEY_INFO *p8;

		if (sig == NULL)
			return sm_error_set(err, SEALMAIL_EBADDATA,
			                    "malformed PKCS#12 key bag");
		X509_SIG_get0(sig, &alg, NULL);
		rc = sm_pbe_check(alg, "PKCS#12 private key", err);
		if (rc != SEALMAIL_OK)
			return rc;
		p8 = PKCS8_decrypt_ex(sig, w->pass, w->passlen,
		                      w->crypto->libctx, NULL);
		if (p8 == NULL)
			return sm_ossl_error(err, SEALMAIL_EPASSPHRASE,
			                     "wrong password for the PKCS#12 "
			                     "file");
		rc = take_key(w, p8, bag, err);
		PKCS8_PRIV_KEY_INFO_free(p8);
		return rc;
	}
	case NID_certBag: {
		X509 *x;
		if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate)
			return SEALMAIL_OK; /* SDSI certificates: ignored */
		x = PKCS12_SAFEBAG_get1_cert(bag);
		if (x == NULL)
			return sm_ossl_error(err, SEALMAIL_EBADDATA,
			                     "malformed certificate in "
			                     "PKCS#12 file");
		if (!sk_X509_push(w->certs, x)) {
			X509_free(x);
			return sm_error_nomem(err);
		}
		return SEALMAIL_OK;
	}
	case NID_safeContentsBag:
		if (depth >= SM_P12_DEPTH_MAX)
			return sm_error_set(err, SEALMAIL_EBADDATA,
			                    "PKCS#12 entries nested too "
			                    "deeply");
		return walk_bags(w, PKCS12_SAFEBAG_get0_safes(bag), depth + 1,
		                 err);
	default:
		return SEALMAIL_OK; /* CRL and secret bags: ignored */
	}
}

static int
walk_bags(struct p12_walk *w,
          const STACK_OF(PKCS12_SAFEBAG) * bags,
          int depth,
          sealmail_error *err)
{
	for (int i = 0; bags != NULL && i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		int rc = walk_bag(w, sk_PKCS12_SAFEBAG_value(bags, i), depth,
		                  err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	return SEALMAIL_OK;
}

/* Check every iteration count that can be seen before any KDF runs. */
static int
precheck(PKCS12 *p12, STACK_OF(PKCS7) * safes, sealmail_error *err)
{
	const ASN1_INTEGER *mac_iter = NULL;

	if (PKCS12_mac_present(p12)) {
		PKCS12_get0_mac(NULL, NULL, NULL, &mac_iter, p12);
		if (mac_iter != NULL) {
			long it = ASN1_INTEGER_get(mac_iter);
			if (it < 1 || it > SM_PBE_ITER_MAX)
				return sm_error_set(
				        err, SEALMAIL_EBADDATA,
				        "PKCS#12 MAC: absurd iteration count "
				        "(over %ld or negative), refused",
				        SM_PBE_ITER_MAX);
		}
	}
	for (int i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		int rc;
		if (OBJ_obj2nid(p7->type) != NID_pkcs7_encrypted)
			continue;
		if (p7->d.encrypted == NULL ||
		    p7->d.encrypted->enc_data == NULL ||
		    p7->d.encrypted->enc_data->enc_data == NULL)
			return sm_error_set(err, SEALMAIL_EBADDATA,
			                    "malformed PKCS#12 file");
		rc = sm_pbe_check(p7->d.encrypted->enc_data->algorithm,
		                  "PKCS#12 certificates", err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	return SEALMAIL_OK;
}

/* Sort the certificates into the key's own and the chain. */
static int
fill_bundle(sm_bundle *out, struct p12_walk *w, sealmail_error *err)
{
	int n = sk_X509_num(w->certs), pick = -1, rc;

	for (int i = 0; w->pkey != NULL && i < n && pick < 0; i++)
		if (X509_check_private_key(sk_X509_value(w->certs, i),
		                           w->pkey) == 1)
			pick = i;
	ERR_clear_error();
	/* no key or no match: the first certificate that is not a CA */
	for (int i = 0; i < n && pick < 0; i++)
		if (X509_check_ca(sk_X509_value(w->certs, i)) == 0)
			pick = i;
	if (pick < 0 && n > 0)
		pick = 0;
	if (n > 0) {
		out->chain = sm_calloc((size_t)n, sizeof(sm_cert *));
		if (out->chain == NULL)
			return sm_error_nomem(err);
	}
	for (int i = 0; i < n; i++) {
		sm_cert *c;
		rc = sm_cert_wrap(&c, w->crypto, sk_X509_value(w->certs, i),
		                  err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (i == pick)
			out->cert = c;
		else
			out->chain[out->chain_count++] = c;
	}
	if (w->pkey != NULL) {
		rc = sm_key_wrap(&out->key, w->crypto, w->pkey, err);
		w->pkey = NULL;
		if (rc != SEALMAIL_OK)
			return rc;
	}
	out->friendly_name = w->key_name;
	w->key_name = NULL;
	return SEALMAIL_OK;
}

int
sm_pkcs12_parse(sm_bundle *out,
                sm_crypto *crypto,
                const unsigned char *data,
                size_t len,
                const char *password,
                sealmail_error *err)
{
	const unsigned char *p = data;
	PKCS12 *p12 = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	struct p12_walk w;
	int rc = SEALMAIL_OK;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.crypto = crypto;
	sm_crypto_need_legacy(crypto); /* RC2-40 and other old PBEs */
	if (len == 0 || len > LONG_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "not a PKCS#12 file");
	if (password != NULL && strlen(password) > 1024)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "PKCS#12 password too long");
	ERR_clear_error();
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	if (p12 == NULL)
		return sm_ossl_error(err, SEALMAIL_EBADDATA,
		                     "not a PKCS#12 file (malformed or "
		                     "truncated)");
	safes = PKCS12_unpack_authsafes(p12);
	if (safes == NULL) {
		rc = sm_ossl_error(err, SEALMAIL_EBADDATA,
		                   "malformed PKCS#12 file");
		goto out;
	}
	rc = precheck(p12, safes, err);
	if (rc != SEALMAIL_OK)
		goto out;

	/* The password: as given; an empty one may also mean "none". */
	w.pass = password != NULL ? password : "";
	if (PKCS12_mac_present(p12)) {
		if (PKCS12_verify_mac(p12, w.pass, -1) == 1) {
			/* fine */
		} else if (w.pass[0] == '\0' &&
		           PKCS12_verify_mac(p12, NULL, 0) == 1) {
			w.pass = NULL;
		} else {
			rc = sm_error_set(err, SEALMAIL_EPASSPHRASE,
			                  "wrong password for the PKCS#12 "
			                  "file");
			goto out;
		}
	}
	ERR_clear_error();
	w.passlen = w.pass != NULL ? (int)strlen(w.pass) : 0;
	w.certs = sk_X509_new_null();
	if (w.certs == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	for (int i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
		int nid = OBJ_obj2nid(p7->type);

		if (nid == NID_pkcs7_data) {
			bags = PKCS12_unpack_p7data(p7);
			if (bags == NULL) {
				rc = sm_ossl_error(err, SEALMAIL_EBADDATA,
				                   "malformed PKCS#12 file");
				goto out;
			}
		} else if (nid == NID_pkcs7_encrypted) {
			/*
			 * PKCS12_unpack_p7encdata would decrypt in the
			 * default library context (no legacy provider: no
			 * RC2); decrypt in ours.
			 */
			bags = PKCS12_item_decrypt_d2i_ex(
			        p7->d.encrypted->enc_data->algorithm,
			        ASN1_ITEM_rptr(PKCS12_SAFEBAGS), w.pass,
			        w.passlen, p7->d.encrypted->enc_data->enc_data,
			        1, crypto->libctx, NULL);
			if (bags == NULL) {
				unsigned long e = ERR_peek_error();
				rc = sm_ossl_error(
				        err,
				        ERR_GET_REASON(
				                e) == ERR_R_UNSUPPORTED ||
				                        ERR_GET_REASON(e) ==
				                                EVP_R_UNSUPPORTED_ALGORITHM
				                ? SEALMAIL_EUNSUPPORTED
				                : SEALMAIL_EPASSPHRASE,
				        "cannot decrypt the PKCS#12 file "
				        "(wrong password?)");
				goto out;
			}
		} else {
			continue; /* public-key encrypted safes: ignored */
		}
		rc = walk_bags(&w, bags, 0, err);
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		if (rc != SEALMAIL_OK)
			goto out;
	}
	if (w.pkey == NULL && sk_X509_num(w.certs) == 0) {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "PKCS#12 file holds no key and no "
		                  "certificate");
		goto out;
	}
	rc = fill_bundle(out, &w, err);
out:
	if (rc != SEALMAIL_OK)
		sm_bundle_clear(out);
	EVP_PKEY_free(w.pkey);
	sm_free(w.key_name);
	sk_X509_pop_free(w.certs, X509_free);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
	ERR_clear_error();
	return rc;
}

bool
sm_pem_has_encrypted_key(const unsigned char *data, size_t len)
{
	static const char *const marks[] = {
	        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
	        "Proc-Type: 4,ENCRYPTED",
	};

	for (size_t m = 0; m < SM_ARRAY_SIZE(marks); m++) {
		size_t ml = strlen(marks[m]);
		for (size_t i = 0; i + ml <= len; i++)
			if (data[i] == (unsigned char)marks[m][0] &&
			    memcmp(data + i, marks[m], ml) == 0)
				return true;
	}
	return false;
}

struct pem_pass {
	const char *pass;
};

static int
pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = ((const struct pem_pass *)u)->pass;
	size_t n;

	(void)rwflag;
	if (pass == NULL)
		return -1;
	n = strlen(pass);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pass, n);
	return (int)n;
}

static bool
is_key_block(const char *name)
{
	return strcmp(name, "PRIVATE KEY") == 0 ||
	       strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 ||
	       strcmp(name, "RSA PRIVATE KEY") == 0 ||
	       strcmp(name, "EC PRIVATE KEY") == 0;
}

/* Read the one key block of the PEM text, if any. */
static int
pem_read_key(EVP_PKEY **out,
             sm_crypto *crypto,
             const unsigned char *data,
             size_t len,
             const char *passphrase,
             sealmail_error *err)
{
	BIO *in, *one = NULL;
	int rc = SEALMAIL_OK, n_keys = 0;
	struct pem_pass pp = {passphrase};

	*out = NULL;
	in = BIO_new_mem_buf(data, (int)len);
	if (in == NULL)
		return sm_error_nomem(err);
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *body = NULL;
		long blen = 0;
		bool enc;

		if (PEM_read_bio(in, &name, &header, &body, &blen) != 1) {
			unsigned long e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
			    ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
				rc = sm_ossl_error(err, SEALMAIL_EBADDATA,
				                   "malformed PEM block");
			ERR_clear_error();
			break;
		}
		if (!is_key_block(name)) {
			OPENSSL_free(name);
			OPENSSL_free(header);
			OPENSSL_free(body);
			continue;
		}
		enc = strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 ||
		      strstr(header, "ENCRYPTED") != NULL;
		if (++n_keys > 1) {
			rc = sm_error_set(err, SEALMAIL_EBADDATA,
			                  "PEM text holds more than one "
			                  "private key");
		} else if (enc && passphrase == NULL) {
			rc = sm_error_set(err, SEALMAIL_EPASSPHRASE,
			                  "private key is encrypted: a "
			                  "passphrase is needed");
		} else if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 &&
		           blen > 0) {
			/* check the KDF cost before PEM decoding runs it */
			const unsigned char *p = body;
			X509_SIG *sig = d2i_X509_SIG(NULL, &p, blen);
			const X509_ALGOR *alg = NULL;
			if (sig == NULL) {
				rc = sm_ossl_error(err, SEALMAIL_EBADDATA,
				                   "malformed encrypted "
				                   "private key");
			} else {
				X509_SIG_get0(sig, &alg, NULL);
				rc = sm_pbe_check(alg, "private key", err);
				X509_SIG_free(sig);
			}
		}
		if (rc == SEALMAIL_OK) {
			/* one block alone, for the key reader */
			one = BIO_new(BIO_s_mem());
			if (one == NULL ||
			    PEM_write_bio(one, name, header, body, blen) <= 0)
				rc = sm_ossl_error(err, SEALMAIL_ENOMEM,
				                   "private key");
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(body, blen > 0 ? (size_t)blen : 0);
		if (rc != SEALMAIL_OK)
			break;
		ERR_clear_error();
		*out = PEM_read_bio_PrivateKey_ex(one, NULL, pem_pass_cb, &pp,
		                                  crypto->libctx, NULL);
		BIO_free(one); /* a mem BIO: its buffer is cleared when freed */
		one = NULL;
		if (*out == NULL) {
			rc = enc ? sm_ossl_error(err, SEALMAIL_EPASSPHRASE,
			                         "wrong passphrase for the "
			                         "private key")
			         : sm_ossl_error(err, SEALMAIL_EBADDATA,
			                         "unreadable private key");
			break;
		}
	}
	BIO_free(in);
	if (rc != SEALMAIL_OK) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	return rc;
}

int
sm_pem_bundle_parse(sm_bundle *out,
                    sm_crypto *crypto,
                    const unsigned char *data,
                    size_t len,
                    const char *passphrase,
                    sealmail_error *err)
{
	struct p12_walk w;
	sm_cert **list = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.crypto = crypto;
	sm_crypto_need_legacy(crypto); /* keys under DES and old PBEs */
	if (len == 0 || len > INT_MAX)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "no PEM text found");
	ERR_clear_error();
	rc = sm_cert_list_parse_ex(&list, &n, crypto, data, len, true, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = pem_read_key(&w.pkey, crypto, data, len, passphrase, err);
	if (rc == SEALMAIL_OK && w.pkey == NULL && n == 0)
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "no certificate or private key found");
	if (rc == SEALMAIL_OK) {
		w.certs = sk_X509_new_null();
		if (w.certs == NULL)
			rc = sm_error_nomem(err);
	}
	for (size_t i = 0; rc == SEALMAIL_OK && i < n; i++) {
		X509 *x = sm_cert_x509(list[i]);
		if (!X509_up_ref(x) || !sk_X509_push(w.certs, x)) {
			X509_free(x);
			rc = sm_error_nomem(err);
		}
	}
	sm_cert_list_free(list, n);
	if (rc == SEALMAIL_OK)
		rc = fill_bundle(out, &w, err);
	if (rc != SEALMAIL_OK)
		sm_bundle_clear(out);
	EVP_PKEY_free(w.pkey);
	sk_X509_pop_free(w.certs, X509_free);
	ERR_clear_error();
	return rc;
}

/*
 * GnuPG 2.2's PKCS#12 reader (minip12.c, string_to_key) derives the 3DES
 * key of a legacy PBE wrongly for about one salt in 128.  The key takes
 * two rounds of the PKCS#12 KDF (RFC 7292 B.2: 24 bytes, SHA-1 gives 20);
 * between them each 64-byte block of I becomes I_j + B + 1 (mod 2^512),
 * which GnuPG computes with big numbers and prints back without leading
 * zero bytes: a block whose sum starts with 0x00 ends up shifted.  gpgsm
 * then says "decryption failed; trying charset ..." and imports no key.
 * This redoes the first round and looks at those leading bytes.  The
 * password goes in as GnuPG puts it: each byte after a zero byte,
 * terminating zero included (for ASCII, the BMPString of RFC 7292).
 */
bool
sm_pkcs12_gnupg22_salt_ok(sm_crypto *crypto,
                          const unsigned char *salt,
                          size_t salt_len,
                          long iter,
                          const char *password)
{
	unsigned char block[64 + 128], a[EVP_MAX_MD_SIZE];
	unsigned char *i_blocks = block + 64;
	size_t pw_len = strlen(password), j = 0;
	unsigned int a_len = 0;
	EVP_MD *sha1 = EVP_MD_fetch(crypto->libctx, "SHA1", NULL);
	bool ok = sha1 != NULL && salt_len > 0 && iter > 0;

	memset(block, 1, 64); /* D: the key's ID byte, 1 */
	for (size_t i = 0; ok && i < 64; i++)
		i_blocks[i] = salt[i % salt_len];
	for (size_t i = 0; ok && i < 64; i += 2) {
		i_blocks[64 + i] = 0;
		i_blocks[64 + i + 1] = (unsigned char)password[j];
		j = j < pw_len ? j + 1 : 0;
	}
	ok = ok && EVP_Digest(block, sizeof(block), a, &a_len, sha1, NULL) == 1;
	for (long n = 1; ok && n < iter; n++)
		ok = EVP_Digest(a, a_len, a, &a_len, sha1, NULL) == 1;
	for (size_t k = 0; ok && k < 2; k++) {
		unsigned char *ij = i_blocks + 64 * k;
		unsigned int carry = 1; /* the "+ 1" */

		for (size_t i = 64; i-- > 0;) {
			carry += (unsigned int)ij[i] + a[i % a_len];
			if (i == 0 && (carry & 0xff) == 0)
				ok = false;
			carry >>= 8;
		}
	}
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(a, sizeof(a));
	EVP_MD_free(sha1);
	return ok;
}

/* Is `alg` a PBE-SHA1-3DES whose salt GnuPG 2.2 reads right? */
static bool
legacy_pbe_ok(sm_crypto *crypto, const X509_ALGOR *alg, const char *password)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;
	PBEPARAM *pbe;
	bool ok;

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) != NID_pbe_WithSHA1And3_Key_TripleDES_CBC)
		return true;
	pbe = ptype == V_ASN1_SEQUENCE
	              ? ASN1_item_unpack(pval, ASN1_ITEM_rptr(PBEPARAM))
	              : NULL;
	ok = pbe != NULL &&
	     sm_pkcs12_gnupg22_salt_ok(crypto, pbe->salt->data,
	                               (size_t)pbe->salt->length,
	                               ASN1_INTEGER_get(pbe->iter), password);
	PBEPARAM_free(pbe);
	return ok;
}

/* Do all the legacy PBEs of `p12` (certificates, key) suit GnuPG 2.2? */
static bool
legacy_readable(PKCS12 *p12, sm_crypto *crypto, const char *password)
{
	STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
	bool ok = safes != NULL;

	for (int i = 0; ok && i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) * bags;

		if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
			ok = legacy_pbe_ok(crypto,
			                   p7->d.encrypted->enc_data->algorithm,
			                   password);
			continue;
		}
		bags = PKCS12_unpack_p7data(p7);
		ok = bags != NULL;
		for (int k = 0; ok && k < sk_PKCS12_SAFEBAG_num(bags); k++) {
			const PKCS12_SAFEBAG *bag =
			        sk_PKCS12_SAFEBAG_value(bags, k);
			const X509_ALGOR *alg;

			if (PKCS12_SAFEBAG_get_nid(bag) !=
			    NID_pkcs8ShroudedKeyBag)
				continue;
			X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg,
			              NULL);
			ok = legacy_pbe_ok(crypto, alg, password);
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	return ok;
}

int
sm_pkcs12_write(const sm_bundle *b,
                sm_crypto *crypto,
                const char *password,
                bool legacy,
                sm_buf *out,
                sealmail_error *err)
{
	STACK_OF(X509) *ca = NULL;
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	int n, rc = SEALMAIL_OK, nid = 0;

	if (b->key == NULL || b->cert == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "a PKCS#12 file needs a key and its "
		                    "certificate");
	if (password == NULL)
		return sm_error_set(err, SEALMAIL_EPASSPHRASE,
		                    "a PKCS#12 file needs a password");
	if (legacy)
		sm_crypto_need_legacy(crypto);
	ERR_clear_error();
	ca = sk_X509_new_null();
	if (ca == NULL)
		return sm_error_nomem(err);
	for (size_t i = 0; i < b->chain_count; i++)
		if (!sk_X509_push(ca, sm_cert_x509(b->chain[i]))) {
			sk_X509_free(ca);
			return sm_error_nomem(err);
		}
	if (legacy)
		nid = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
	/*
	 * Default: key_nid = cert_nid = 0 gives OpenSSL 3's PBES2 with
	 * AES-256-CBC and PBKDF2-HMAC-SHA256; the MAC is added below so that
	 * its digest is explicit (SHA-256, or SHA-1 for legacy readers).
	 */
	/*
	 * A legacy file is for readers like gpgsm 2.2: draw new salts until
	 * it can decrypt them (about one file in 64 needs a second draw;
	 * after 16 the last one is kept: other readers take any salt).
	 */
	for (int draw = 0; draw < 16; draw++) {
		PKCS12_free(p12);
		p12 = PKCS12_create_ex(
		        password, b->friendly_name, sm_key_pkey(b->key),
		        sm_cert_x509(b->cert), ca, nid, nid,
		        PKCS12_DEFAULT_ITER, -1, 0, crypto->libctx, NULL);
		if (p12 == NULL || !legacy ||
		    legacy_readable(p12, crypto, password))
			break;
	}
	sk_X509_free(ca);
	if (p12 == NULL)
		return sm_ossl_error(err, SEALMAIL_ERROR,
		                     "cannot make the PKCS#12 file");
	{
		EVP_MD *md = EVP_MD_fetch(crypto->libctx,
		                          legacy ? "SHA1" : "SHA256", NULL);
		if (md == NULL || PKCS12_set_mac(p12, password, -1, NULL, 0,
		                                 PKCS12_DEFAULT_ITER, md) != 1)
			rc = sm_ossl_error(err, SEALMAIL_ERROR,
			                   "cannot add the PKCS#12 MAC");
		EVP_MD_free(md);
	}
	if (rc == SEALMAIL_OK) {
		n = i2d_PKCS12(p12, &der);
		if (n <= 0)
			rc = sm_ossl_error(err, SEALMAIL_ERROR,
			                   "cannot encode the PKCS#12 file");
		else
			rc = sm_buf_append(out, der, (size_t)n, err);
		OPENSSL_free(der);
	}
	PKCS12_free(p12);
	return rc;
}
