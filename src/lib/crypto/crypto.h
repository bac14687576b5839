/* SPDX-License-Identifier: MIT */
/*
 * The crypto module's internal interface, in sealmail's own types: the only
 * door to OpenSSL.  Files under src/lib/crypto/ are the only ones that include
 * <openssl/...>; nothing here exposes an OpenSSL type, and OpenSSL's error
 * queue is drained into sealmail_error before any function returns.
 *
 * cert.c: X.509 certificates (parse, names, usage, chains).
 * key.c:  private keys (generate, PKCS#8 at rest, PKCS#12 import/export).
 * cms.c:  CMS signed-data and enveloped-data (signed/encrypted-mail issues).
 */
#ifndef SM_CRYPTO_H
#define SM_CRYPTO_H

#include "../internal.h"

/*
 * Per-store OpenSSL library context: the default provider, and the legacy
 * one once sm_crypto_need_legacy() asked for it.
 */
typedef struct sm_crypto sm_crypto;

int sm_crypto_new(sm_crypto **out, sealmail_error *err);
void sm_crypto_free(sm_crypto *crypto);
/*
 * Load the legacy provider (RC2, DES, old PKCS#12 PBEs) before reading
 * something that may need it; once per context.  Most commands never do,
 * and loading it costs every process a dlopen (issue 7).  A system without
 * it is not an error here: those inputs then fail where they are used.
 */
void sm_crypto_need_legacy(sm_crypto *crypto);
/* sealmail_standalone_init (sealmail.h): OpenSSL's process-wide part. */
bool sm_crypto_standalone(void);
/*
 * Read OpenSSL's configuration file (openssl.cnf) into the default library
 * context, where libcurl's TLS runs: net.c calls it once, before libcurl
 * starts, because sm_crypto_standalone defers it to then.  In a process
 * that read it at start (no sealmail_standalone_init) this reads it again,
 * setting the same values.  A file that is missing or fails is ignored, as
 * OpenSSL's own start-up does.
 */
void sm_crypto_system_config(void);

/*
 * How many certificates sm_cert_from_der keeps parsed per context (its DER
 * cache): a `list` meets the same few senders' certificates again and again.
 */
#define SM_CERT_CACHE_SIZE 64

/* --- certificates (cert.c) -------------------------------------------- */

/* An X.509 certificate with its parsed fields cached.  Opaque. */
typedef struct sm_cert sm_cert;

/* Hex SHA-256 of the DER: 64 digits and a NUL. */
#define SM_FINGERPRINT_SIZE 65

/* Usage bits, from keyUsage and extendedKeyUsage. */
enum {
	SM_USAGE_SIGN = 1u << 0,    /* digitalSignature or nonRepudiation */
	SM_USAGE_ENCRYPT = 1u << 1, /* keyEncipherment or keyAgreement */
	SM_USAGE_EMAIL = 1u << 2,   /* EKU absent, emailProtection or any */
	SM_USAGE_CA = 1u << 3       /* basicConstraints CA:TRUE */
};

/* Parse one DER certificate.  EBADDATA when it is not one. */
int sm_cert_from_der(sm_cert **out,
                     sm_crypto *crypto,
                     const unsigned char *der,
                     size_t len,
                     sealmail_error *err);

/*
 * Parse every certificate in `data`: one DER certificate, one or more PEM
 * certificates (other PEM blocks are skipped), or a PKCS#7/CMS certs-only
 * bundle (.p7b/.p7c) in DER or PEM.  `*list_out` is an array of `*count_out`
 * certificates, freed with sm_cert_list_free.  EBADDATA when no certificate
 * is found or a block is malformed.
 */
int sm_cert_list_parse(sm_cert ***list_out,
                       size_t *count_out,
                       sm_crypto *crypto,
                       const unsigned char *data,
                       size_t len,
                       sealmail_error *err);
void sm_cert_list_free(sm_cert **list, size_t count);

/* A new reference to the same certificate (cheap). */
sm_cert *sm_cert_ref(sm_cert *cert);
/* Drop a reference; accepts NULL. */
void sm_cert_free(sm_cert *cert);

/* Borrowed views, valid while the certificate lives. */
const unsigned char *sm_cert_der(const sm_cert *cert, size_t *len_out);
const char *sm_cert_fingerprint(const sm_cert *cert); /* hex SHA-256 */
const char *sm_cert_subject(const sm_cert *cert);     /* RFC 2253 line */
const char *sm_cert_issuer(const sm_cert *cert);
const char *sm_cert_common_name(const sm_cert *cert); /* "" if none */
const char *sm_cert_serial(const sm_cert *cert);      /* hex */
/* "RSA 2048", "EC P-256", "EC P-384", "Ed25519", ... */
const char *sm_cert_key_desc(const sm_cert *cert);
/*
 * E-mail addresses the certificate names, lower-cased: subjectAltName
 * rfc822Name entries, else the subject's emailAddress attributes.
 */
size_t sm_cert_address_count(const sm_cert *cert);
const char *sm_cert_address_at(const sm_cert *cert, size_t i);
bool sm_cert_has_address(const sm_cert *cert, const char *addr);
int64_t sm_cert_not_before(const sm_cert *cert); /* Unix time */
int64_t sm_cert_not_after(const sm_cert *cert);
unsigned int sm_cert_usage(const sm_cert *cert); /* SM_USAGE_* bits */
/* Checked on first use (a signature verification), then remembered. */
bool sm_cert_is_self_signed(sm_cert *cert);

/* PEM text of the certificate appended to `out`. */
int sm_cert_pem(const sm_cert *cert, sm_buf *out, sealmail_error *err);

/*
 * Does `leaf` chain to one of `anchors` (trusted CA certificates), using
 * `intermediates` as untrusted helpers, checked at time `at` (Unix time;
 * 0 = now)?  SEALMAIL_OK with `*anchor_out` (borrowed from `anchors`) set
 * when it does; SEALMAIL_ENOTFOUND when it does not chain (the error says
 * why in words); other negatives for failures.  Purpose: S/MIME.
 */
int sm_cert_chain_verify(const sm_cert *leaf,
                         sm_cert *const *intermediates,
                         size_t n_intermediates,
                         sm_cert *const *anchors,
                         size_t n_anchors,
                         int64_t at,
                         const sm_cert **anchor_out,
                         sealmail_error *err);

/* --- private keys (key.c) --------------------------------------------- */

/* A private key held in memory; wiped when freed.  Opaque. */
typedef struct sm_key sm_key;

typedef enum sm_key_type {
	SM_KEY_RSA2048,
	SM_KEY_RSA3072,
	SM_KEY_RSA4096,
	SM_KEY_P256,
	SM_KEY_P384
} sm_key_type;

/* Parse "rsa2048", "rsa3072", "rsa4096", "p256", "p384".  EINVAL if not. */
int sm_key_type_parse(sm_key_type *out, const char *name, sealmail_error *err);

int sm_key_generate(sm_key **out,
                    sm_crypto *crypto,
                    sm_key_type type,
                    sealmail_error *err);
void sm_key_free(sm_key *key);
bool sm_key_matches_cert(const sm_key *key, const sm_cert *cert);

/*
 * PKCS#8 DER.  With a passphrase, encrypted PBES2 (PBKDF2-HMAC-SHA256,
 * AES-256-CBC); with NULL, plain.  `out` should be a secret buffer when
 * the passphrase is NULL.
 */
int sm_key_to_pkcs8(const sm_key *key,
                    const char *passphrase,
                    sm_buf *out,
                    sealmail_error *err);
/* EPASSPHRASE when the passphrase is wrong or missing for an encrypted key. */
int sm_key_from_pkcs8(sm_key **out,
                      sm_crypto *crypto,
                      const unsigned char *der,
                      size_t len,
                      const char *passphrase,
                      sealmail_error *err);

/*
 * A self-signed S/MIME certificate for `key`: subject CN=name (or the
 * address) and emailAddress, subjectAltName rfc822Name, extendedKeyUsage
 * emailProtection, keyUsage digitalSignature+nonRepudiation plus
 * keyEncipherment (RSA) or keyAgreement (EC), basicConstraints CA:FALSE,
 * subject key identifier, SHA-256, random 128-bit serial, valid `days`.
 */
int sm_cert_self_signed_new(sm_cert **out,
                            sm_crypto *crypto,
                            const sm_key *key,
                            const char *email,
                            const char *name,
                            int days,
                            sealmail_error *err);

/* A digital ID as found in an import file. */
typedef struct sm_bundle {
	sm_key *key;     /* NULL when the file held no key */
	sm_cert *cert;   /* the certificate matching key (or the first leaf) */
	sm_cert **chain; /* the other certificates */
	size_t chain_count;
	char *friendly_name; /* PKCS#12 friendly name, or NULL */
} sm_bundle;

void sm_bundle_clear(sm_bundle *bundle);

/* True if the data looks like PKCS#12 (DER PFX), before asking a password. */
bool sm_is_pkcs12(const unsigned char *data, size_t len);

/*
 * Parse a PKCS#12 file (modern PBES2/AES and legacy 3DES/RC2).  EPASSPHRASE
 * on a wrong password, EBADDATA on garbage, truncation, or an absurd KDF
 * iteration count (over 10 000 000).
 */
int sm_pkcs12_parse(sm_bundle *out,
                    sm_crypto *crypto,
                    const unsigned char *data,
                    size_t len,
                    const char *password,
                    sealmail_error *err);

/*
 * Parse PEM text holding certificates and/or one private key (PKCS#8,
 * traditional, or encrypted with `passphrase`).  The bundle may lack a key
 * or a certificate; the caller decides what it needs.
 */
int sm_pem_bundle_parse(sm_bundle *out,
                        sm_crypto *crypto,
                        const unsigned char *data,
                        size_t len,
                        const char *passphrase,
                        sealmail_error *err);

/* True if the PEM text holds an encrypted private key. */
bool sm_pem_has_encrypted_key(const unsigned char *data, size_t len);

/*
 * Write a PKCS#12 with key, certificate and chain.  Default: OpenSSL 3's
 * PBES2/AES-256 with a SHA-256 MAC; `legacy`: PBE-SHA1-3DES for keys and
 * certificates with a SHA-1 MAC (for gpgsm 2.2 and macOS).
 */
int sm_pkcs12_write(const sm_bundle *bundle,
                    sm_crypto *crypto,
                    const char *password,
                    bool legacy,
                    sm_buf *out,
                    sealmail_error *err);

/*
 * Does GnuPG 2.2 derive the right 3DES key from this PBE-SHA1-3DES salt,
 * iteration count and password?  Its PKCS#12 reader gets it wrong for
 * about one salt in 128 (see pkcs12.c); a legacy export draws again.
 */
bool sm_pkcs12_gnupg22_salt_ok(sm_crypto *crypto,
                               const unsigned char *salt,
                               size_t salt_len,
                               long iter,
                               const char *password);

/* --- CMS enveloped-data (cms_env.c) ------------------------------------ */

/*
 * Content encryption algorithms sealmail writes.  GCM makes an
 * AuthEnvelopedData (RFC 5083/5084), CBC an EnvelopedData.  3DES, RC2 and
 * DES are never written (only read, with a warning).
 */
typedef enum sm_cipher {
	SM_CIPHER_AES256_GCM,
	SM_CIPHER_AES128_GCM,
	SM_CIPHER_AES256_CBC,
	SM_CIPHER_AES128_CBC
} sm_cipher;

/* "aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc".  EINVAL if not.
 */
int sm_cipher_parse(sm_cipher *out, const char *name, sealmail_error *err);
const char *sm_cipher_name(sm_cipher cipher);
bool sm_cipher_is_aead(sm_cipher cipher);
/*
 * Can CMS encrypt to this certificate's key?  RSA (key transport) and EC
 * (ECDH key agreement); not X25519/X448, which OpenSSL 3.0 CMS lacks.
 */
bool sm_cms_can_encrypt_to(const sm_cert *cert);

/* What an SMIMECapabilities attribute (RFC 8551 2.5.2) says a peer can do. */
enum {
	SM_CAP_AES128_CBC = 1u << 0,
	SM_CAP_AES256_CBC = 1u << 1,
	SM_CAP_AES128_GCM = 1u << 2,
	SM_CAP_AES256_GCM = 1u << 3,
	SM_CAP_RSA_OAEP = 1u << 4
};

/*
 * SM_CAP_* bits of a DER SMIMECapabilities value (SEQUENCE OF
 * SMIMECapability); 0 when it cannot be parsed or names none of them.
 */
unsigned int sm_smime_caps_bits(const unsigned char *der, size_t len);

/* One recipient of an encrypted message. */
typedef struct sm_env_recipient {
	const sm_cert *cert; /* RSA: key transport; EC: ECDH ephemeral-static */
	bool oaep;           /* RSA: RSA-OAEP instead of PKCS#1 v1.5 */
} sm_env_recipient;

/*
 * Encrypt everything read from `in` to the `n` recipients, streaming in
 * bounded memory (CMS_STREAM: indefinite-length BER), writing the CMS
 * ContentInfo to `out` as DER, or as base64 MIME lines (76 columns, CRLF,
 * the vectorised encoder) when `base64` is set.  The caller commits or discards
 * `out`.  EINVAL when there is no recipient, EUNSUPPORTED for a key type CMS
 * cannot encrypt to.
 */
int sm_cms_encrypt(sm_crypto *crypto,
                   const sm_env_recipient *recipients,
                   size_t n,
                   sm_cipher cipher,
                   sealmail_input *in,
                   sealmail_output *out,
                   bool base64,
                   sealmail_error *err);

/*
 * The same with the content pushed in pieces: _begin writes the header
 * fields (recipients, algorithm) to `out`, _update encrypts content and
 * writes it as it goes (BIO_new_CMS: indefinite-length BER, the cipher
 * BIO's 4 KiB blocks as OCTET STRING chunks), _finish writes the last
 * block, the tag (AES-GCM) and the end.  The first failure of `out` is the
 * error of the call that met it.  _free accepts NULL and any state.
 */
typedef struct sm_cms_enc sm_cms_enc;

int sm_cms_encrypt_begin(sm_cms_enc **enc,
                         sm_crypto *crypto,
                         const sm_env_recipient *recipients,
                         size_t n,
                         sm_cipher cipher,
                         sealmail_output *out,
                         bool base64,
                         sealmail_error *err);
int sm_cms_encrypt_update(sm_cms_enc *enc,
                          const void *data,
                          size_t len,
                          sealmail_error *err);
int sm_cms_encrypt_finish(sm_cms_enc *enc, sealmail_error *err);
void sm_cms_encrypt_free(sm_cms_enc *enc);

/*
 * A received enveloped-data or authEnveloped-data structure, read in one
 * pass and bounded memory: opening reads up to the first content octet (the
 * header fields: recipients, algorithm); sm_envelope_decrypt streams the
 * content octets through the cipher and reads the rest (GCM tag).  The
 * content can be decrypted once.
 */
typedef struct sm_envelope sm_envelope;

/* How a RecipientInfo names its recipient. */
typedef enum sm_rid_kind {
	SM_RID_ISSUER_SERIAL,
	SM_RID_SKI,
	SM_RID_OTHER /* KEK, password, other: cannot be matched to a cert */
} sm_rid_kind;

typedef struct sm_env_rid {
	sm_rid_kind kind;
	const char *issuer;  /* RFC 2253, or NULL */
	const char *serial;  /* upper-case hex (BN_bn2hex), or NULL */
	const char *ski;     /* lower-case hex, or NULL */
	const char *key_alg; /* "rsa", "rsa-oaep", "ecdh", "kek", "password",
	                        "other" */
} sm_env_rid;

/*
 * Start reading one CMS ContentInfo (DER or BER) from `read` (called with
 * `payload`; both must outlive the envelope).  EBADDATA when it is not
 * enveloped-data or authEnveloped-data, or is malformed before the content;
 * damage after it is found by sm_envelope_decrypt.  EUNSUPPORTED never
 * (unknown algorithms are reported by name).
 */
int sm_envelope_open(sm_envelope **out,
                     sm_crypto *crypto,
                     sealmail_read_cb read,
                     void *payload,
                     sealmail_error *err);
/* The same from memory (copied). */
int sm_envelope_parse(sm_envelope **out,
                      sm_crypto *crypto,
                      const unsigned char *data,
                      size_t len,
                      sealmail_error *err);
void sm_envelope_free(sm_envelope *env);

/* True for AuthEnvelopedData (AES-GCM: tampering is detected). */
bool sm_envelope_authenticated(const sm_envelope *env);
/*
 * Content encryption algorithm, OpenSSL's names: "AES-128-CBC",
 * "AES-256-GCM", ..., "DES-EDE3-CBC", "RC2-40-CBC", "RC2-64-CBC",
 * "RC2-128-CBC", "DES-CBC", else OpenSSL's short name or the dotted OID.
 */
const char *sm_envelope_algorithm(const sm_envelope *env);
/* 3DES, RC2 or DES: decryptable, but reported as weak. */
bool sm_envelope_weak(const sm_envelope *env);

/* The recipients the message names (one per KTRI, one per KARI key). */
size_t sm_envelope_recipient_count(const sm_envelope *env);
const sm_env_rid *sm_envelope_recipient_at(const sm_envelope *env, size_t i);
/* Does recipient `i` name `cert` (issuer+serial or SKI)? */
bool
sm_envelope_recipient_is(const sm_envelope *env, size_t i, const sm_cert *cert);
/* Does any RecipientInfo name `cert`? */
bool sm_envelope_names(const sm_envelope *env, const sm_cert *cert);

/* Outcome of a decryption attempt: verdicts, not errors. */
typedef enum sm_env_outcome {
	SM_ENV_DECRYPTED,     /* content written and published */
	SM_ENV_NOT_FOR_KEY,   /* no RecipientInfo for this cert/key, or the
	                         key did not unwrap the content key */
	SM_ENV_TAG_FAILED,    /* AES-GCM tag check failed: no content */
	SM_ENV_CONTENT_FAILED /* CBC padding/decryption failed: no content */
} sm_env_outcome;

/*
 * Decrypted content in a private temporary: an anonymous memory file
 * (memfd) while it is at most 1 MiB, past that (or without memfd_create) a
 * file (0600) in a private folder (0700) under the temporary folder.
 */
typedef struct sm_plain sm_plain;
/*
 * The file's path, or NULL while the content is in memory: read it through
 * sm_plain_fd (a /proc/self/fd path must not leave the process).
 */
const char *sm_plain_path(const sm_plain *plain);
uint64_t sm_plain_size(const sm_plain *plain);
/*
 * The content, open for reading (owned by the plain: valid until
 * sm_plain_free; read it with pread or seek first: the offset is at the
 * end), to read it without opening a path.
 */
int sm_plain_fd(const sm_plain *plain);
/* Closes and removes the content (and its file and folder); accepts NULL. */
void sm_plain_free(sm_plain *plain);

/*
 * Keep only a prefix of the plaintext when the reader needs no more: once
 * more than `after` bytes came out, `keep` gets the first ones (at most
 * `after`); false: the rest is still decrypted and checked (the GCM tag,
 * the padding) but not written, and the published plaintext is that
 * prefix.  For a caller that writes no readable message.
 */
typedef bool (*sm_plain_keep_fn)(const unsigned char *head,
                                 size_t len,
                                 void *payload);
void sm_envelope_set_trim(sm_envelope *env,
                          uint64_t after,
                          sm_plain_keep_fn keep,
                          void *payload);

/*
 * Send the plaintext past its first bytes to an output instead of keeping
 * it: once more than `after` bytes came out, `direct` gets the first ones
 * (at most `after`) and sets *out to the output that takes everything after
 * them (having written them, and whatever goes before, itself), or leaves
 * it NULL to keep the plaintext as usual.  The published plaintext is then
 * that prefix.  The output gets the bytes before they are checked (the
 * GCM tag, the padding): for an output that is held (sm_output_held) only,
 * whose writer forgets them when the outcome is not SM_ENV_DECRYPTED.  A
 * negative status from `direct` ends the decryption with it.  Not with
 * sm_envelope_set_trim.
 */
typedef int (*sm_plain_direct_fn)(sealmail_output **out,
                                  const unsigned char *head,
                                  size_t len,
                                  void *payload,
                                  sealmail_error *err);
void sm_envelope_set_direct(sm_envelope *env,
                            uint64_t after,
                            sm_plain_direct_fn direct,
                            void *payload);

/*
 * Decrypt with `key` (whose certificate is `cert`), streaming the content
 * octets through the cipher.  The plaintext goes to a private temporary
 * (in memory up to 1 MiB, then under `tmp_parent`, NULL: P_tmpdir) and is
 * published in
 * `*plain_out` only when the whole content decrypted and, for GCM, the tag
 * verified; otherwise the file is removed and `*outcome` says why.
 * Negative status for I/O and memory errors, EBADDATA when the structure
 * turns out damaged after the content started (nothing published), EINVAL
 * when the content was already read.
 */
int sm_envelope_decrypt(sm_envelope *env,
                        const sm_cert *cert,
                        const sm_key *key,
                        const char *tmp_parent,
                        sm_env_outcome *outcome,
                        sm_plain **plain_out,
                        sealmail_error *err);

/* --- CMS signed-data (cms_sign.c) ------------------------------------- */

/*
 * Streams in the crypto module's own words: a sink for produced bytes
 * (0 or a negative status) and a source (count, 0 at the end, or negative).
 */
typedef int (*sm_write_fn)(const void *buf, size_t len, void *payload);
typedef long (*sm_read_fn)(void *buf, size_t len, void *payload);

typedef struct sm_cms_sign_params {
	const sm_cert *cert;   /* signer certificate */
	sm_cert *const *chain; /* its chain; self-signed roots are left out */
	size_t nchain;
	const sm_key *key;  /* the unlocked key matching cert */
	bool include_certs; /* put cert and chain in the signature */
	bool pss;           /* RSA-PSS instead of PKCS#1 v1.5 (RSA keys) */
	bool opaque;        /* content inside (signed-data), else detached */
	/* the encryption certificate, when it differs from cert, named in
	 * the SMIMEEncryptionKeyPreference attribute; NULL otherwise */
	const sm_cert *encryption_cert;
	/* the output that `write` writes to as it is, or NULL: the base64
	 * is then encoded in place in its writer's buffer (io.c) */
	sealmail_output *direct;
} sm_cms_sign_params;

/*
 * A signing operation over content pushed in pieces (bounded memory).
 * Detached: update() only hashes; finish() writes the signature as base64
 * with CRLF lines.  Opaque: the signed-data (BER, indefinite lengths) is
 * written as base64 while the content streams; finish() completes it.
 * The digest is SHA-256 (micalg "sha-256"), SHA-384 for P-384 keys and
 * SHA-512 for P-521 keys.  Signed attributes: content
 * type, message digest, signing time, SMIMECapabilities (AES-256-GCM,
 * AES-128-GCM, AES-256-CBC, AES-128-CBC) and, with encryption_cert, the
 * encryption key preference.
 */
typedef struct sm_cms_sign sm_cms_sign;

int sm_cms_sign_begin(sm_cms_sign **out,
                      sm_crypto *crypto,
                      const sm_cms_sign_params *params,
                      sm_write_fn write,
                      void *payload,
                      sealmail_error *err);
int sm_cms_sign_update(sm_cms_sign *s,
                       const void *data,
                       size_t len,
                       sealmail_error *err);
int sm_cms_sign_finish(sm_cms_sign *s, sealmail_error *err);
/* The MIME micalg parameter for the digest: "sha-256", "sha-384", ... */
const char *sm_cms_sign_micalg(const sm_cms_sign *s);
void sm_cms_sign_free(sm_cms_sign *s);

/* The verdict on one SignerInfo, as far as cryptography can tell. */
typedef enum sm_sig_status {
	SM_SIG_VALID,      /* signature and content digest verify */
	SM_SIG_ALTERED,    /* signature verifies, content digest does not */
	SM_SIG_BAD,        /* the signature itself does not verify */
	SM_SIG_NO_CERT,    /* the signer certificate is not available */
	SM_SIG_UNSUPPORTED /* algorithm not supported (e.g. Ed25519) */
} sm_sig_status;

/*
 * Verification of a signed-data structure (clear: the detached
 * application/pkcs7-signature; opaque: content inside).  The structure is
 * held in memory (d2i), except with sm_cms_verify_new_stream below, where
 * only its fields around the content are; content streams through
 * update().  finish() can be followed by reset() and another round of
 * update()/finish() over other bytes (the benign-rewrite retries).
 */
typedef struct sm_cms_verify sm_cms_verify;

/* Parse DER or BER signed-data.  EBADDATA when it is not one. */
int sm_cms_verify_new(sm_cms_verify **out,
                      sm_crypto *crypto,
                      const unsigned char *der,
                      size_t len,
                      sealmail_error *err);
/*
 * Opaque signed-data read with sm_cms_reader, in one pass: a verifier
 * hashing with the digests of `digest_algs` (the captured
 * SM_CMS_F_DIGEST_ALGS field; unknown entries are skipped) before the
 * structure is known.  Push the content through sm_cms_verify_update, then
 * give the whole structure (sm_cms_reader_detached_der after
 * sm_cms_reader_finish) to sm_cms_verify_load (EBADDATA when it is not
 * signed-data).  When a signer uses a digest that was not computed,
 * sm_cms_verify_needs_rehash is true: reset() and push the content again.
 */
int sm_cms_verify_new_stream(sm_cms_verify **out,
                             sm_crypto *crypto,
                             const unsigned char *digest_algs,
                             size_t len,
                             sealmail_error *err);
/*
 * The same for a detached signature that comes after its content (a
 * multipart/signed message): hashing with the first digest the micalg
 * parameter names ("sha-256", RFC 5751 3.5.3; a hint, the signer infos
 * decide), SHA-256 when it names none known.
 */
int sm_cms_verify_new_micalg(sm_cms_verify **out,
                             sm_crypto *crypto,
                             const char *micalg,
                             sealmail_error *err);
int sm_cms_verify_load(sm_cms_verify *v,
                       const unsigned char *der,
                       size_t len,
                       sealmail_error *err);
bool sm_cms_verify_needs_rehash(const sm_cms_verify *v);
/* Also look up signer certificates among these (e.g. the address book). */
int sm_cms_verify_add_certs(sm_cms_verify *v,
                            sm_cert *const *certs,
                            size_t n,
                            sealmail_error *err);
bool sm_cms_verify_is_detached(const sm_cms_verify *v);
int sm_cms_verify_update(sm_cms_verify *v,
                         const void *data,
                         size_t len,
                         sealmail_error *err);
/* Opaque: push the content inside through the digests and into `write`. */
int sm_cms_verify_content(sm_cms_verify *v,
                          sm_write_fn write,
                          void *payload,
                          sealmail_error *err);
int sm_cms_verify_finish(sm_cms_verify *v, sealmail_error *err);
int sm_cms_verify_reset(sm_cms_verify *v, sealmail_error *err);

size_t sm_cms_verify_signer_count(const sm_cms_verify *v);
sm_sig_status sm_cms_verify_status(const sm_cms_verify *v, size_t i);
/* Borrowed; NULL when the certificate is not available. */
sm_cert *sm_cms_verify_signer_cert(const sm_cms_verify *v, size_t i);
/* Unix time of the signingTime attribute, or 0 when absent. */
int64_t sm_cms_verify_signing_time(const sm_cms_verify *v, size_t i);
/* "RSA PKCS#1 v1.5 with SHA-256", "ECDSA with SHA-256", "Ed25519", ... */
const char *sm_cms_verify_algorithm(const sm_cms_verify *v, size_t i);
/*
 * The encryption certificate the signer prefers (SMIMEEncryptionKeyPreference,
 * issuerAndSerialNumber), when it is carried in the structure; borrowed, or
 * NULL.
 */
sm_cert *sm_cms_verify_encryption_cert(const sm_cms_verify *v, size_t i);
/* The digest is weak (SHA-1, MD5): its name ("SHA-1"), else NULL. */
const char *sm_cms_verify_weak_digest(const sm_cms_verify *v, size_t i);
/* DER of the SMIMECapabilities attribute value, or NULL (len 0). */
const unsigned char *
sm_cms_verify_capabilities(const sm_cms_verify *v, size_t i, size_t *len_out);
/* The certificates carried in the structure (borrowed). */
size_t sm_cms_verify_cert_count(const sm_cms_verify *v);
sm_cert *sm_cms_verify_cert_at(const sm_cms_verify *v, size_t i);
/*
 * Signer i's identifier: true with its serial number in `serial` (lower
 * case hex, as sm_cert_serial) when it names an issuer and serial number;
 * false for a subject key identifier (or a serial longer than `size`).
 */
bool sm_cms_verify_signer_serial(const sm_cms_verify *v,
                                 size_t i,
                                 char *serial,
                                 size_t size);
void sm_cms_verify_free(sm_cms_verify *v);

/* SHA-256 over pieces, as 64 hex digits (e.g. a message's identity). */
typedef struct sm_hash sm_hash;
int sm_sha256_new(sm_hash **out, sm_crypto *crypto, sealmail_error *err);
int sm_hash_update(sm_hash *h, const void *data, size_t len);
/* Finish into `hex` (SM_FINGERPRINT_SIZE bytes). */
int sm_hash_hex(sm_hash *h, char *hex, sealmail_error *err);
void sm_hash_free(sm_hash *h);

/* --- incremental CMS/BER reader (ber.c; no OpenSSL inside) ----------- */

/*
 * Reads ContentInfo -> SignedData / EnvelopedData / AuthEnvelopedData from a
 * stream in bounded memory (a 64 KiB buffer plus the header fields, at most
 * SM_BER_FIELDS_MAX together): definite and indefinite lengths, the content
 * as one string or as chunks of a constructed OCTET STRING (nested up to 8).
 * Every length is checked against its enclosing element; nesting inside a
 * header field is limited to 32; a length past the end of the input is a
 * clean EBADDATA "truncated", never an allocation.
 *
 * Use: sm_cms_reader_new() parses up to the first content octet and captures
 * the fields before it; sm_cms_reader_read() returns the content octets
 * (the eContent of SignedData, the encrypted content of (Auth)EnvelopedData);
 * sm_cms_reader_finish() drains what is left of the content and captures
 * the fields after it (certificates, crls, signerInfos; authAttrs, mac,
 * unprotected attributes), then checks that the input ends there.
 */
typedef struct sm_cms_reader sm_cms_reader;

typedef enum sm_cms_type {
	SM_CMS_SIGNED = 1,        /* 1.2.840.113549.1.7.2 */
	SM_CMS_ENVELOPED = 2,     /* 1.2.840.113549.1.7.3 */
	SM_CMS_AUTH_ENVELOPED = 3 /* 1.2.840.113549.1.9.16.1.23 (RFC 5083) */
} sm_cms_type;

/*
 * Header fields, each handed over as its complete encoding (tag, length,
 * contents) exactly as received: BER when the sender used BER.  Implicitly
 * tagged fields keep their context tag (A0, A1, A2).
 */
typedef enum sm_cms_field {
	SM_CMS_F_VERSION,         /* INTEGER (all three types) */
	SM_CMS_F_DIGEST_ALGS,     /* SignedData: SET OF AlgorithmIdentifier */
	SM_CMS_F_CONTENT_TYPE,    /* OID: eContentType, or the contentType of
	                           * (Auth)EncryptedContentInfo */
	SM_CMS_F_CERTIFICATES,    /* SignedData [0] IMPLICIT CertificateSet */
	SM_CMS_F_CRLS,            /* SignedData [1] IMPLICIT */
	SM_CMS_F_SIGNER_INFOS,    /* SignedData SET OF SignerInfo */
	SM_CMS_F_ORIGINATOR_INFO, /* (Auth)EnvelopedData [0] IMPLICIT */
	SM_CMS_F_RECIPIENT_INFOS, /* (Auth)EnvelopedData SET OF RecipientInfo */
	SM_CMS_F_CONTENT_ENC_ALG, /* AlgorithmIdentifier with its IV or GCM
	                           * parameters */
	SM_CMS_F_AUTH_ATTRS,      /* AuthEnvelopedData [1] IMPLICIT */
	SM_CMS_F_MAC,             /* AuthEnvelopedData OCTET STRING (the tag) */
	SM_CMS_F_UNPROT_ATTRS,    /* EnvelopedData [1] unprotectedAttrs or
	                           * AuthEnvelopedData [2] unauthAttrs */
	SM_CMS_F_COUNT
} sm_cms_field;

#define SM_BER_FIELDS_MAX ((size_t)16 << 20)

/*
 * Start reading CMS from `read` (sealmail_read_cb, called with `payload`).
 * EBADDATA: not CMS, malformed or truncated; EUNSUPPORTED: a ContentInfo of
 * another type (named in the message); the read callback's status on I/O
 * failure.  Free with sm_cms_reader_free.
 */
int sm_cms_reader_new(sm_cms_reader **out,
                      sealmail_read_cb read,
                      void *payload,
                      sealmail_error *err);
void sm_cms_reader_free(sm_cms_reader *reader);

sm_cms_type sm_cms_reader_type(const sm_cms_reader *reader);

/* False for a detached signature (no eContent) or absent encrypted content. */
bool sm_cms_reader_has_content(const sm_cms_reader *reader);

/*
 * Up to `len` content octets into `buf`: the count, 0 at the end of the
 * content, or a negative status (EBADDATA for malformed or truncated data).
 */
long sm_cms_reader_read(sm_cms_reader *reader,
                        void *buf,
                        size_t len,
                        sealmail_error *err);

/*
 * Push form of sm_cms_reader_read: hands every remaining content octet to
 * `write` (sealmail_write_cb, with `payload`) in chunks of up to 64 KiB,
 * straight from the reader's buffer (no copy).  A negative status from
 * `write` stops the reading and is returned.
 */
int sm_cms_reader_content_foreach(sm_cms_reader *reader,
                                  sealmail_write_cb write,
                                  void *payload,
                                  sealmail_error *err);

/* Content octets returned so far. */
uint64_t sm_cms_reader_content_len(const sm_cms_reader *reader);

/*
 * Skip the rest of the content, read the fields after it and check that the
 * structure is closed and the input ends.  EBADDATA otherwise.
 */
int sm_cms_reader_finish(sm_cms_reader *reader, sealmail_error *err);

/*
 * Let sm_cms_reader_finish stop at the end of the ContentInfo and leave
 * whatever follows unread (d2i_CMS_ContentInfo's behaviour, for signed
 * mail: bytes after the structure are neither signed nor shown).
 */
void sm_cms_reader_allow_trailing(sm_cms_reader *reader);

/*
 * A captured field, borrowed until the reader is freed; NULL (and *len_out
 * 0) when the message has no such field or it is not read yet.
 */
const unsigned char *sm_cms_reader_field(const sm_cms_reader *reader,
                                         sm_cms_field field,
                                         size_t *len_out);

/*
 * The ContentInfo rebuilt from the captured fields without the content
 * octets (eContent or encryptedContent omitted), DER outside, the fields as
 * received inside, appended to `out`: d2i_CMS_ContentInfo reads it.  Before
 * sm_cms_reader_finish, the fields after the content are not known yet: an
 * empty signerInfos SET and, for AuthEnvelopedData, a 16-byte zero mac stand
 * in for them.
 */
int sm_cms_reader_detached_der(const sm_cms_reader *reader,
                               sm_buf *out,
                               sealmail_error *err);

/*
 * Walk the elements inside one constructed BER element held in memory (a
 * captured field): sm_ber_iter_init enters `tlv`; each sm_ber_iter_next
 * returns 1 with the next element's whole encoding, 0 after the last one, or
 * EBADDATA.  Lengths are checked; nesting is limited to 32.
 */
typedef struct sm_ber_iter {
	const unsigned char *p;
	size_t left;
	bool indefinite;
	bool done;
} sm_ber_iter;

int sm_ber_iter_init(sm_ber_iter *iter,
                     const unsigned char *tlv,
                     size_t len,
                     sealmail_error *err);
int sm_ber_iter_next(sm_ber_iter *iter,
                     const unsigned char **elem_out,
                     size_t *elem_len_out,
                     sealmail_error *err);

/* The contents of one primitive element (INTEGER, OID, OCTET STRING). */
int sm_ber_primitive(const unsigned char *tlv,
                     size_t len,
                     const unsigned char **value_out,
                     size_t *value_len_out,
                     sealmail_error *err);

#endif
