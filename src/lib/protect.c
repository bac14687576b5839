/* SPDX-License-Identifier: MIT */
/*
 * Sending: sealmail_message_protect.  Spools the message, finds the signing
 * ID for its From address, and writes the signed message in one pass: the
 * canonical content goes to the output and through the signature's digest
 * at the same time (clear), or into the streaming signed-data (opaque).
 * Encryption (issue 4) takes over in protect_env.c after signing.
 */
#include "protect_int.h"

#include <stdio.h>
#include <string.h>

#include "account_int.h"
#include "crypto/crypto.h"
#include "db.h"
#include "id_int.h"

int
sealmail_protect_options_init(sealmail_protect_options *opts,
                              unsigned int version)
{
	if (opts == NULL || version != SEALMAIL_PROTECT_OPTIONS_VERSION)
		return SEALMAIL_EINVAL;
	*opts = (sealmail_protect_options)SEALMAIL_PROTECT_OPTIONS_INIT;
	return SEALMAIL_OK;
}

/* Everything one signing needs. */
typedef struct signer {
	sm_crypto *crypto; /* borrowed from the store */
	sm_cert *cert;
	sm_cert **chain;
	size_t nchain;
	sm_key *key;
	sm_cert *enc; /* the encryption certificate when it differs */
	sm_account_settings settings;
} signer;

static void
signer_clear(signer *s)
{
	sm_cert_free(s->cert);
	sm_cert_list_free(s->chain, s->nchain);
	sm_key_free(s->key);
	sm_cert_free(s->enc);
	memset(s, 0, sizeof(*s));
}

/* `settings`: the account's, read once by sealmail_message_protect. */
static int
signer_load(signer *s,
            sealmail_store *store,
            const char *addr,
            const sm_account_settings *settings,
            sealmail_error *err)
{
	sm_cert *enc = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	s->settings = *settings;
	rc = sm_store_crypto(&s->crypto, store, err);
	if (rc == SEALMAIL_OK)
		rc = sm_id_load_signer(&s->cert, &s->chain, &s->nchain, &s->key,
		                       store, addr, err);
	if (rc != SEALMAIL_OK)
		return rc;
	/* A separate encryption certificate is named in the signature. */
	if (sm_id_encryption_cert(&enc, store, addr, settings, NULL) ==
	            SEALMAIL_OK &&
	    enc != NULL) {
		if (strcmp(sm_cert_fingerprint(enc),
		           sm_cert_fingerprint(s->cert)) != 0)
			s->enc = enc;
		else
			sm_cert_free(enc);
	}
	return SEALMAIL_OK;
}

/* sm_write_fn over a sealmail_output. */
static int
out_write(const void *buf, size_t len, void *payload)
{
	return sealmail_output_write(payload, buf, len, NULL);
}

static int
put(sm_write_fn write, void *payload, const char *s, sealmail_error *err)
{
	int rc = write(s, strlen(s), payload);

	return rc == SEALMAIL_OK ? rc : sm_error_set(err, rc, "write failed");
}

/* The canonical content goes to the output and into the digest. */
typedef struct tee {
	sm_write_fn write;
	void *payload;
	sm_cms_sign *sign;
} tee;

static int
tee_write(const void *buf, size_t len, void *payload)
{
	tee *t = payload;
	int rc = t->write(buf, len, t->payload);

	if (rc == SEALMAIL_OK)
		rc = sm_cms_sign_update(t->sign, buf, len, NULL);
	return rc;
}

static int
sign_update_cb(const void *buf, size_t len, void *payload)
{
	return sm_cms_sign_update(payload, buf, len, NULL);
}

/*
 * Write the signed entity (its Content-Type header, the blank line, the
 * body) for the message in `src`.
 */
static int
write_signed_entity(signer *s,
                    sm_mime_source *src,
                    bool opaque,
                    bool pss,
                    bool speculate,
                    sm_write_fn write,
                    void *payload,
                    sealmail_error *err)
{
	sm_cms_sign_params p = {.cert = s->cert,
	                        .chain = s->chain,
	                        .nchain = s->nchain,
	                        .key = s->key,
	                        .include_certs = s->settings.include_cert,
	                        .pss = pss,
	                        .opaque = opaque,
	                        .encryption_cert = s->enc,
	                        .direct = write == out_write ? payload : NULL};
	sm_cms_sign *cms = NULL;
	char boundary[64], line[512];
	int rc;

	if (opaque) {
		rc = put(write, payload,
		         "Content-Type: application/pkcs7-mime; "
		         "smime-type=signed-data;\r\n\tname=\"smime.p7m\"\r\n"
		         "Content-Transfer-Encoding: base64\r\n"
		         "Content-Disposition: attachment; "
		         "filename=\"smime.p7m\"\r\n\r\n",
		         err);
		if (rc == SEALMAIL_OK)
			rc = sm_cms_sign_begin(&cms, s->crypto, &p, write,
			                       payload, err);
		if (rc == SEALMAIL_OK)
			rc = sm_mime_write_canonical_spec(
			        src, speculate, sign_update_cb, cms, err);
		if (rc == SEALMAIL_OK)
			rc = sm_cms_sign_finish(cms, err);
		sm_cms_sign_free(cms);
		return rc;
	}
	rc = sm_mime_boundary(boundary, sizeof(boundary), err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_sign_begin(&cms, s->crypto, &p, write, payload,
		                       err);
	if (rc != SEALMAIL_OK)
		return rc;
	(void)snprintf(line, sizeof(line),
	               "Content-Type: multipart/signed;\r\n"
	               "\tprotocol=\"application/pkcs7-signature\";\r\n"
	               "\tmicalg=%s; boundary=\"%s\"\r\n\r\n"
	               "This is a cryptographically signed message in MIME "
	               "format.\r\n\r\n--%s\r\n",
	               sm_cms_sign_micalg(cms), boundary, boundary);
	rc = put(write, payload, line, err);
	if (rc == SEALMAIL_OK) {
		tee t = {write, payload, cms};
		rc = sm_mime_write_canonical_spec(src, speculate, tee_write, &t,
		                                  err);
	}
	(void)snprintf(line, sizeof(line),
	               "\r\n--%s\r\n"
	               "Content-Type: application/pkcs7-signature; "
	               "name=\"smime.p7s\"\r\n"
	               "Content-Transfer-Encoding: base64\r\n"
	               "Content-Disposition: attachment; "
	               "filename=\"smime.p7s\"\r\n"
	               "Content-Description: S/MIME Cryptographic "
	               "Signature\r\n\r\n",
	               boundary);
	if (rc == SEALMAIL_OK)
		rc = put(write, payload, line, err);
	if (rc == SEALMAIL_OK)
		rc = sm_cms_sign_finish(cms, err);
	(void)snprintf(line, sizeof(line), "\r\n--%s--\r\n", boundary);
	if (rc == SEALMAIL_OK)
		rc = put(write, payload, line, err);
	sm_cms_sign_free(cms);
	return rc;
}

/* What sign+encrypt hands to the encryption: the signed entity. */
typedef struct signed_content {
	signer *s;
	sm_mime_source *src;
	bool opaque, pss;
} signed_content;

static int
signed_content_write(sm_mime_write_fn write,
                     void *write_payload,
                     bool speculate,
                     void *payload,
                     sealmail_error *err)
{
	signed_content *c = payload;

	return write_signed_entity(c->s, c->src, c->opaque, c->pss, speculate,
	                           write, write_payload, err);
}

/*
 * The signed message, without encryption.  A path output can be rewound:
 * the content is then checked as it is written (one read), and written
 * again the slow way when it turns out to need a transfer encoding.
 */
static int
write_signed_message(signer *s,
                     sm_mime_source *src,
                     const sm_mime_entity *top,
                     bool opaque,
                     bool pss,
                     sealmail_output *out,
                     sealmail_error *err)
{
	off_t mark = sm_output_mark(out);
	bool speculate = mark >= 0;
	int rc;

	for (;;) {
		rc = sm_mime_write_headers(src, top, false, out_write, out,
		                           err);
		if (rc == SEALMAIL_OK)
			rc = put(out_write, out, "MIME-Version: 1.0\r\n", err);
		if (rc == SEALMAIL_OK)
			rc = write_signed_entity(s, src, opaque, pss, speculate,
			                         out_write, out, err);
		if (rc != SM_MIME_RETRY || !speculate)
			return rc;
		rc = sm_output_rewind(out, mark, err);
		if (rc != SEALMAIL_OK)
			return rc;
		speculate = false;
	}
}

static int
sign_message(sealmail_store *store,
             sm_mime_source *src,
             const sm_mime_entity *top,
             const char *addr,
             const sm_account_settings *settings,
             sealmail_output *out,
             const sealmail_protect_options *opts,
             sm_env_plan *plan,
             sealmail_error *err)
{
	bool pss = (opts->flags & SEALMAIL_PROTECT_PSS) != 0;
	signer s;
	bool opaque;
	int rc;

	rc = signer_load(&s, store, addr, settings, err);
	if (rc != SEALMAIL_OK) {
		signer_clear(&s);
		return rc;
	}
	opaque = (opts->flags & SEALMAIL_PROTECT_OPAQUE) ||
	         (s.settings.opaque && !(opts->flags & SEALMAIL_PROTECT_CLEAR));
	if (plan != NULL) {
		/* Sign first, then encrypt the signed entity (SPEC 5), which
		 * streams into the encryption as it is written. */
		signed_content c = {&s, src, opaque, pss};
		rc = sm_protect_encrypt(plan, signed_content_write, &c, out,
		                        err);
	} else {
		rc = write_signed_message(&s, src, top, opaque, pss, out, err);
	}
	signer_clear(&s);
	return rc;
}

static int
canonical_content_write(sm_mime_write_fn write,
                        void *write_payload,
                        bool speculate,
                        void *payload,
                        sealmail_error *err)
{
	return sm_mime_write_canonical_spec(payload, speculate, write,
	                                    write_payload, err);
}

static int
encrypt_only(sm_mime_source *src,
             sealmail_output *out,
             sm_env_plan *plan,
             sealmail_error *err)
{
	return sm_protect_encrypt(plan, canonical_content_write, src, out, err);
}

int
sealmail_message_protect(sealmail_store *store,
                         sealmail_input *in,
                         sealmail_output *out,
                         const sealmail_protect_options *opts,
                         sealmail_error *err)
{
	sealmail_protect_options defaults = SEALMAIL_PROTECT_OPTIONS_INIT;
	sm_mime_source *src = NULL;
	sm_mime_entity top;
	sm_account_settings settings;
	sm_env_plan *plan = NULL;
	bool sign, encrypt;
	char addr[256];
	int rc;

	if (opts == NULL)
		opts = &defaults;
	if (opts->version != SEALMAIL_PROTECT_OPTIONS_VERSION)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "protect options version %u not supported",
		                    opts->version);
	if ((opts->flags & SEALMAIL_PROTECT_CLEAR) &&
	    (opts->flags & SEALMAIL_PROTECT_OPAQUE))
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "clear and opaque signing exclude each "
		                    "other");
	rc = sm_mime_source_new(&src, in, err);
	if (rc == SEALMAIL_OK)
		rc = sm_mime_entity_parse(&top, src, 0,
		                          sm_mime_source_size(src), true, err);
	if (rc != SEALMAIL_OK)
		goto done;
	/* IDs and accounts are stored under the ASCII form (punycode). */
	(void)sm_mime_address_ascii(addr, sizeof(addr),
	                            opts->from != NULL ? opts->from : top.from);
	if (addr[0] == '\0') {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "%s: the message has no From address (give "
		                  "--from ADDR)",
		                  sealmail_input_name(in));
		goto done;
	}
	/* What to do: the flags, else the account's sign-all/encrypt-all. */
	rc = sm_account_settings_get(&settings, store, addr, err);
	if (rc != SEALMAIL_OK)
		goto done;
	sign = !(opts->flags & SEALMAIL_PROTECT_NO_SIGN) &&
	       ((opts->flags & SEALMAIL_PROTECT_SIGN) || settings.sign_all);
	encrypt = !(opts->flags & SEALMAIL_PROTECT_NO_ENCRYPT) &&
	          ((opts->flags & SEALMAIL_PROTECT_ENCRYPT) ||
	           settings.encrypt_all);
	if (!sign && !encrypt) {
		rc = sm_error_set(err, SEALMAIL_EINVAL,
		                  "nothing to do: neither signing nor "
		                  "encryption was asked for (give --sign or "
		                  "--encrypt, or set sign-all/encrypt-all)");
		goto done;
	}
	/* Every refusal of encryption comes before a passphrase is asked. */
	if (encrypt) {
		rc = sm_protect_encrypt_plan(&plan, store, src, &top, addr,
		                             &settings, opts, err);
		if (rc != SEALMAIL_OK)
			goto done;
	}
	if (sign)
		rc = sign_message(store, src, &top, addr, &settings, out, opts,
		                  plan, err);
	else
		rc = encrypt_only(src, out, plan, err);
	/* Failed writing: why the output failed (no room, a closed pipe). */
	if (rc != SEALMAIL_OK)
		(void)sm_output_failure(out, err);
	/*
	 * What was signed or encrypted holds only if the file did not change
	 * while it was read (a large file is read where it is): a path output
	 * is then not committed (docs/design.md, "Views of a file").
	 */
	if (rc == SEALMAIL_OK)
		rc = sm_mime_source_check(src, err);
done:
	sm_env_plan_free(plan);
	sm_mime_source_free(src);
	return rc;
}
