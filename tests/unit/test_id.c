/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for id.c and account.c: the public ID and account calls and
 * the internal interface the signing and decrypting code uses (id_int.h,
 * account_int.h), with a scripted passphrase callback.
 */
#include "account_int.h"
#include "db.h"
#include "id_int.h"

#include <stdio.h>
#include <string.h>

#include "harness.h"

struct pass {
	const char
	        *answer[4]; /* by sealmail_passphrase_reason; NULL declines */
	int calls[4];
	char last_what[256];
};

static int
pass_cb(char *buf,
        size_t size,
        sealmail_passphrase_reason reason,
        const char *what,
        void *payload)
{
	struct pass *p = payload;

	p->calls[reason]++;
	(void)snprintf(p->last_what, sizeof(p->last_what), "%s", what);
	if (p->answer[reason] == NULL)
		return -1;
	(void)snprintf(buf, size, "%s", p->answer[reason]);
	return (int)strlen(buf);
}

static sealmail_store *
open_store(struct pass *p)
{
	sealmail_store_options opts = SEALMAIL_STORE_OPTIONS_INIT;
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	opts.passphrase = pass_cb;
	opts.passphrase_payload = p;
	if (sealmail_store_open(&store, test_tmpdir(), &opts, &err) !=
	    SEALMAIL_OK)
		(void)printf("# store: %s\n", err.message);
	return store;
}

static int
create(sealmail_store *store,
       const char *addr,
       unsigned int flags,
       sealmail_id **out)
{
	sealmail_id_create_options opts = SEALMAIL_ID_CREATE_OPTIONS_INIT;
	sealmail_error err = {0};
	int rc;

	opts.flags = flags;
	opts.key_type = SEALMAIL_KEY_P256;
	rc = sealmail_id_create(out, store, addr, &opts, &err);
	if (rc != SEALMAIL_OK)
		(void)printf("# create %s: %s\n", addr, err.message);
	return rc;
}

/* A memory sink for sealmail_output. */
static int
sink(const void *buf, size_t len, void *payload)
{
	sm_buf *b = payload;
	return sm_buf_append(b, buf, len, NULL);
}

static int
export_to(sm_buf *b,
          sealmail_store *store,
          const sealmail_id *id,
          sealmail_id_export_format format,
          unsigned int flags,
          sealmail_error *err)
{
	sealmail_id_export_options opts = SEALMAIL_ID_EXPORT_OPTIONS_INIT;
	sealmail_output *o = NULL;
	int rc;

	opts.format = format;
	opts.flags = flags;
	rc = sealmail_output_new_callback(&o, sink, b, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_id_export(o, store, id, &opts, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(o, err);
	sealmail_output_free(o);
	return rc;
}

static void
test_create_list_lookup(void)
{
	struct pass p = {.answer = {"unlock-pw", "new-pw", NULL, NULL}};
	sealmail_store *store = open_store(&p);
	sealmail_id *id = NULL, *found = NULL;
	sealmail_ids *list = NULL;
	sealmail_error err = {0};
	char prefix[8];

	test_assert(store != NULL);
	test_assert_int(create(store, "Alice@Example.ORG", 0, &id),
	                SEALMAIL_OK);
	test_assert(id != NULL);
	test_assert_int(p.calls[SEALMAIL_PASSPHRASE_NEW], 1);
	test_assert_str(p.last_what,
	                "the new digital ID for alice@example.org");
	test_assert_str(sealmail_id_address_at(id, 0), "alice@example.org");
	test_assert_int(sealmail_id_address_count(id), 1);
	test_assert_int(sealmail_id_key_encrypted(id), 1);
	test_assert_str(sealmail_id_key_desc(id), "EC P-256");
	test_assert_str(sealmail_id_name(id), "alice@example.org");
	test_assert_int(strlen(sealmail_id_fingerprint(id)), 64);
	test_assert(sealmail_id_not_after(id) - sealmail_id_not_before(id) >=
	            729 * 86400);
	test_assert(strcmp(sealmail_id_subject(id), sealmail_id_issuer(id)) ==
	            0);

	test_assert_int(sealmail_id_list(&list, store, &err), SEALMAIL_OK);
	test_assert_int(sealmail_id_list_count(list), 1);
	test_assert_str(sealmail_id_fingerprint(sealmail_id_list_at(list, 0)),
	                sealmail_id_fingerprint(id));
	test_assert(sealmail_id_list_at(list, 1) == NULL);
	sealmail_id_list_free(list);

	memcpy(prefix, sealmail_id_fingerprint(id), 4);
	prefix[4] = '\0';
	test_assert_int(sealmail_id_lookup(&found, store, prefix, &err),
	                SEALMAIL_OK);
	test_assert_str(sealmail_id_fingerprint(found),
	                sealmail_id_fingerprint(id));
	sealmail_id_free(found);
	test_assert_int(
	        sealmail_id_lookup(&found, store, "ALICE@example.org", &err),
	        SEALMAIL_OK);
	sealmail_id_free(found);
	test_assert_int(sealmail_id_lookup(&found, store, "abc", &err),
	                SEALMAIL_EINVAL);
	test_assert_int(
	        sealmail_id_lookup(&found, store, "bob@example.org", &err),
	        SEALMAIL_ENOTFOUND);
	test_assert_str(err.message, "no digital ID for bob@example.org");
	test_assert(found == NULL);

	/* A second ID for the address makes the address ambiguous. */
	test_assert_int(create(store, "alice@example.org",
	                       SEALMAIL_ID_NO_PASSPHRASE, NULL),
	                SEALMAIL_OK);
	test_assert_int(p.calls[SEALMAIL_PASSPHRASE_NEW], 1);
	test_assert_int(
	        sealmail_id_lookup(&found, store, "alice@example.org", &err),
	        SEALMAIL_EAMBIGUOUS);
	test_assert_int(err.code, SEALMAIL_EAMBIGUOUS);

	/* No passphrase from the callback: nothing stored. */
	p.answer[SEALMAIL_PASSPHRASE_NEW] = NULL;
	test_assert_int(create(store, "carol@example.org", 0, NULL),
	                SEALMAIL_EPASSPHRASE);
	p.answer[SEALMAIL_PASSPHRASE_NEW] = "";
	test_assert_int(create(store, "carol@example.org", 0, NULL),
	                SEALMAIL_EPASSPHRASE);
	test_assert_int(sealmail_id_list(&list, store, &err), SEALMAIL_OK);
	test_assert_int(sealmail_id_list_count(list), 2);
	sealmail_id_list_free(list);

	test_assert_int(sealmail_id_delete(store, id, &err), SEALMAIL_OK);
	test_assert_int(sealmail_id_delete(store, id, &err),
	                SEALMAIL_ENOTFOUND);
	sealmail_id_free(id);
	sealmail_store_free(store);
}

static void
test_create_bad_args(void)
{
	struct pass p = {.answer = {NULL}};
	sealmail_store *store = open_store(&p);
	sealmail_id_create_options opts = SEALMAIL_ID_CREATE_OPTIONS_INIT;
	sealmail_id *id = NULL;
	sealmail_error err = {0};

	opts.flags = SEALMAIL_ID_NO_PASSPHRASE;
	test_assert_int(
	        sealmail_id_create(&id, store, "no-at-sign", &opts, &err),
	        SEALMAIL_EINVAL);
	test_assert_int(
	        sealmail_id_create(&id, store, "a b@example.org", &opts, &err),
	        SEALMAIL_EINVAL);
	opts.days = -1;
	test_assert_int(
	        sealmail_id_create(&id, store, "a@example.org", &opts, &err),
	        SEALMAIL_EINVAL);
	opts.days = 0;
	opts.key_type = (sealmail_key_type)99;
	test_assert_int(
	        sealmail_id_create(&id, store, "a@example.org", &opts, &err),
	        SEALMAIL_EINVAL);
	opts.version = 99;
	test_assert_int(
	        sealmail_id_create(&id, store, "a@example.org", &opts, &err),
	        SEALMAIL_EINVAL);
	test_assert(id == NULL);
	test_assert_int(sealmail_id_create_options_init(&opts, 2),
	                SEALMAIL_EINVAL);
	test_assert_int(sealmail_id_create_options_init(
	                        &opts, SEALMAIL_ID_CREATE_OPTIONS_VERSION),
	                SEALMAIL_OK);
	sealmail_store_free(store);
}

static void
test_export_import_roundtrip(void)
{
	struct pass p = {.answer = {"key-pw", "key-pw", "p12-pw", "p12-pw"}};
	sealmail_store *store = open_store(&p), *other = NULL;
	sealmail_id *id = NULL, *back = NULL;
	sealmail_error err = {0};
	sm_buf pem, p12;

	sm_buf_init(&pem, 1 << 20);
	sm_buf_init_secret(&p12, 1 << 20);
	test_assert_int(create(store, "dave@example.org", 0, &id), SEALMAIL_OK);
	test_assert_int(
	        export_to(&pem, store, id, SEALMAIL_ID_EXPORT_CERT, 0, &err),
	        SEALMAIL_OK);
	test_assert(strstr((char *)pem.data, "-----BEGIN CERTIFICATE-----") ==
	            (char *)pem.data);
	test_assert(strstr((char *)pem.data, "PRIVATE") == NULL);
	test_assert_int(p.calls[SEALMAIL_PASSPHRASE_UNLOCK], 0);

	/* The certificate alone is no digital ID. */
	test_assert_int(sealmail_id_import(NULL, store, pem.data, pem.len, NULL,
	                                   0, NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "no private key in the import data");

	/* Wrong key passphrase: no file. */
	p.answer[SEALMAIL_PASSPHRASE_UNLOCK] = "nope";
	test_assert_int(
	        export_to(&p12, store, id, SEALMAIL_ID_EXPORT_PKCS12, 0, &err),
	        SEALMAIL_EPASSPHRASE);
	test_assert_str(err.message, "wrong passphrase for the digital ID for "
	                             "dave@example.org");
	test_assert_int(p12.len, 0);
	p.answer[SEALMAIL_PASSPHRASE_UNLOCK] = "key-pw";
	test_assert_int(export_to(&p12, store, id, SEALMAIL_ID_EXPORT_PKCS12,
	                          SEALMAIL_ID_EXPORT_LEGACY, &err),
	                SEALMAIL_OK);
	test_assert(p12.len > 100);
	test_assert_int(p.calls[SEALMAIL_PASSPHRASE_PKCS12_EXPORT], 1);

	/* Importing into the same store: already there. */
	test_assert_int(sealmail_id_import(NULL, store, p12.data, p12.len, NULL,
	                                   0, NULL, &err),
	                SEALMAIL_EEXISTS);

	/* Into another store: the same fingerprint, an account created. */
	other = open_store(&p);
	p.answer[SEALMAIL_PASSPHRASE_PKCS12_IMPORT] = "wrong";
	test_assert_int(sealmail_id_import(&back, other, p12.data, p12.len,
	                                   NULL, 0, NULL, &err),
	                SEALMAIL_EPASSPHRASE);
	test_assert_str(err.message, "wrong password for the import data");
	p.answer[SEALMAIL_PASSPHRASE_PKCS12_IMPORT] = "p12-pw";
	test_assert_int(sealmail_id_import(&back, other, p12.data, p12.len,
	                                   NULL, 0, NULL, &err),
	                SEALMAIL_OK);
	test_assert(back != NULL);
	if (back != NULL)
		test_assert_str(sealmail_id_fingerprint(back),
		                sealmail_id_fingerprint(id));
	{
		sealmail_account *a = NULL;
		test_assert_int(sealmail_account_lookup(
		                        &a, other, "dave@example.org", &err),
		                SEALMAIL_OK);
		if (a != NULL)
			test_assert_str(sealmail_account_signing_id(a),
			                sealmail_id_fingerprint(id));
		sealmail_account_free(a);
	}
	/* Truncated: bad data, nothing stored. */
	test_assert_int(sealmail_id_import(NULL, store, p12.data, p12.len / 2,
	                                   NULL, 0, NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert_int(sealmail_id_import(NULL, store, "hello", 5, NULL, 0,
	                                   NULL, &err),
	                SEALMAIL_EBADDATA);
	test_assert_int(
	        sealmail_id_import(NULL, store, "", 0, NULL, 0, NULL, &err),
	        SEALMAIL_EBADDATA);

	sealmail_id_free(back);
	sealmail_id_free(id);
	sm_buf_free(&pem);
	sm_buf_free(&p12);
	sealmail_store_free(other);
	sealmail_store_free(store);
}

static void
test_internal(void)
{
	struct pass p = {.answer = {"pw", "pw", NULL, NULL}};
	sealmail_store *store = open_store(&p);
	sealmail_id *id = NULL, *id2 = NULL;
	sealmail_error err = {0};
	sm_cert *cert = NULL, **chain = NULL, **own = NULL;
	size_t nchain = 99, nown = 0;
	sm_key *key = NULL;

	/* No ID: ENOKEY saying how to get one. */
	test_assert_int(sm_id_load_signer(&cert, &chain, &nchain, &key, store,
	                                  "erin@example.org", &err),
	                SEALMAIL_ENOKEY);
	test_assert_str(err.message,
	                "no digital ID for erin@example.org: create one with "
	                "'sealmail id create --email erin@example.org' or "
	                "import one with 'sealmail id import FILE'");
	test_assert_int(sm_id_encryption_cert(&cert, store, "erin@example.org",
	                                      NULL, &err),
	                SEALMAIL_ENOKEY);
	test_assert_int(sm_id_own_certs(&own, &nown, store, &err), SEALMAIL_OK);
	test_assert_int(nown, 0);
	sm_cert_list_free(own, nown);

	test_assert_int(create(store, "erin@example.org", 0, &id), SEALMAIL_OK);
	test_assert_int(create(store, "erin@example.org", 0, &id2),
	                SEALMAIL_OK);
	test_assert(sm_id_is_own(store, sealmail_id_fingerprint(id)));
	test_assert(!sm_id_is_own(store, "00"));

	/* The newest ID signs; the key is unlocked through the callback. */
	p.calls[SEALMAIL_PASSPHRASE_UNLOCK] = 0;
	test_assert_int(sm_id_load_signer(&cert, &chain, &nchain, &key, store,
	                                  "Erin@example.org", &err),
	                SEALMAIL_OK);
	test_assert_int(p.calls[SEALMAIL_PASSPHRASE_UNLOCK], 1);
	test_assert_str(p.last_what, "the digital ID for erin@example.org");
	test_assert(cert != NULL && key != NULL);
	test_assert_int(nchain, 0);
	if (cert != NULL && key != NULL) {
		test_assert_str(sm_cert_fingerprint(cert),
		                sealmail_id_fingerprint(id2));
		test_assert(sm_key_matches_cert(key, cert));
	}
	sm_cert_free(cert);
	sm_cert_list_free(chain, nchain);
	sm_key_free(key);
	cert = NULL;
	key = NULL;

	/* The account's choice wins. */
	test_assert_int(sealmail_account_set(store, "erin@example.org",
	                                     "signing-id",
	                                     sealmail_id_fingerprint(id), &err),
	                SEALMAIL_OK);
	test_assert_int(sm_id_load_signer(&cert, NULL, NULL, NULL, store,
	                                  "erin@example.org", &err),
	                SEALMAIL_OK);
	if (cert != NULL)
		test_assert_str(sm_cert_fingerprint(cert),
		                sealmail_id_fingerprint(id));
	sm_cert_free(cert);
	cert = NULL;
	test_assert_int(sm_id_encryption_cert(&cert, store, "erin@example.org",
	                                      NULL, &err),
	                SEALMAIL_OK);
	if (cert != NULL)
		test_assert_str(sm_cert_fingerprint(cert),
		                sealmail_id_fingerprint(id2));
	sm_cert_free(cert);
	cert = NULL;

	/* Wrong passphrase. */
	p.answer[SEALMAIL_PASSPHRASE_UNLOCK] = "bad";
	test_assert_int(
	        sm_id_load_key(&key, store, sealmail_id_fingerprint(id), &err),
	        SEALMAIL_EPASSPHRASE);
	test_assert(key == NULL);
	p.answer[SEALMAIL_PASSPHRASE_UNLOCK] = "pw";
	test_assert_int(
	        sm_id_load_key(&key, store, sealmail_id_fingerprint(id), &err),
	        SEALMAIL_OK);
	sm_key_free(key);
	test_assert_int(sm_id_load_key(&key, store, "00", &err),
	                SEALMAIL_ENOTFOUND);

	test_assert_int(sm_id_own_certs(&own, &nown, store, &err), SEALMAIL_OK);
	test_assert_int(nown, 2);
	sm_cert_list_free(own, nown);

	sealmail_id_free(id);
	sealmail_id_free(id2);
	sealmail_store_free(store);
}

static void
test_account_settings(void)
{
	struct pass p = {.answer = {NULL}};
	sealmail_store *store = open_store(&p);
	sm_account_settings s;
	sealmail_account *a = NULL;
	sealmail_accounts *list = NULL;
	sealmail_error err = {0};
	const char *keys[] = {"sign-all", "signing", "cipher"};
	const char *values[] = {"yes", "opaque", "aes-256-gcm"};
	const char *bad[] = {"yes", "opaque", "rot13"};

	/* Defaults without an account. */
	test_assert_int(
	        sm_account_settings_get(&s, store, "x@example.org", &err),
	        SEALMAIL_OK);
	test_assert(!s.sign_all && !s.encrypt_all && s.include_cert &&
	            s.encrypt_to_self && !s.opaque);
	test_assert_str(s.cipher, "auto");
	test_assert_int(sealmail_account_set(store, "x@example.org", "sign-all",
	                                     "yes", &err),
	                SEALMAIL_ENOTFOUND);

	test_assert_int(
	        create(store, "x@example.org", SEALMAIL_ID_NO_PASSPHRASE, NULL),
	        SEALMAIL_OK);
	test_assert_int(sealmail_account_set_many(store, "X@example.org", keys,
	                                          bad, 3, &err),
	                SEALMAIL_EINVAL);
	test_assert_int(sealmail_account_set_many(store, "X@example.org", keys,
	                                          values, 3, &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sm_account_settings_get(&s, store, "x@EXAMPLE.org", &err),
	        SEALMAIL_OK);
	test_assert(s.sign_all && s.opaque && s.include_cert);
	test_assert_str(s.cipher, "aes-256-gcm");
	test_assert_int(sealmail_account_set(store, "x@example.org", "bogus",
	                                     "yes", &err),
	                SEALMAIL_EINVAL);
	test_assert(strstr(err.message, "sign-all, encrypt-all") != NULL);

	test_assert_int(
	        sealmail_account_lookup(&a, store, "x@example.org", &err),
	        SEALMAIL_OK);
	test_assert_str(sealmail_account_get(a, "cipher"), "aes-256-gcm");
	test_assert_str(sealmail_account_get(a, "sign-all"), "yes");
	test_assert_str(sealmail_account_get(a, "encrypt-all"), "no");
	test_assert_str(sealmail_account_get(a, "signing-id"), "auto");
	test_assert(sealmail_account_get(a, "nope") == NULL);
	test_assert_int(strlen(sealmail_account_signing_id(a)), 64);
	sealmail_account_free(a);

	test_assert_int(sealmail_account_list(&list, store, &err), SEALMAIL_OK);
	test_assert_int(sealmail_account_list_count(list), 1);
	test_assert_str(
	        sealmail_account_address(sealmail_account_list_at(list, 0)),
	        "x@example.org");
	sealmail_account_list_free(list);

	test_assert_str(sealmail_account_setting_key(0), "sign-all");
	test_assert_str(sealmail_account_setting_key(8), "smtp");
	test_assert_str(sealmail_account_setting_key(16), "starttls");
	test_assert(sealmail_account_setting_key(17) == NULL);
	test_assert_int(sealmail_account_setting_type("sent"),
	                SEALMAIL_SETTING_TEXT);
	test_assert_int(sealmail_account_setting_type("cipher"),
	                SEALMAIL_SETTING_CHOICE);
	test_assert_int(sealmail_account_setting_type("x"), -1);
	test_assert_str(sealmail_account_setting_values("signing"),
	                "clear, opaque");
	sealmail_store_free(store);
}

static void
test_import_pki(void)
{
	struct pass p = {.answer = {NULL, NULL, "test", NULL}};
	sealmail_store *store = open_store(&p);
	sealmail_id_import_options opts = SEALMAIL_ID_IMPORT_OPTIONS_INIT;
	sealmail_id *id = NULL;
	sealmail_error err = {0};
	sm_buf p12, crt, key;
	sm_cert *cert = NULL, **chain = NULL;
	size_t nchain = 0;

	sm_buf_init(&p12, 1 << 20);
	sm_buf_init(&crt, 1 << 20);
	sm_buf_init_secret(&key, 1 << 20);
	opts.flags = SEALMAIL_ID_NO_PASSPHRASE;
	opts.data_name = "alice.p12";

	/* A PKCS#12 with the intermediate CA: the chain is kept. */
	test_assert_int(sm_read_file(&p12,
	                             SEALMAIL_TEST_DATA
	                             "/pki/alice@example.org.p12",
	                             1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_id_import(&id, store, p12.data, p12.len, NULL,
	                                   0, &opts, &err),
	                SEALMAIL_OK);
	test_assert_int(p.calls[SEALMAIL_PASSPHRASE_PKCS12_IMPORT], 1);
	test_assert_str(p.last_what, "alice.p12");
	if (id != NULL) {
		test_assert_str(sealmail_id_name(id), "alice");
		test_assert_int(sealmail_id_key_encrypted(id), 0);
		test_assert(strcmp(sealmail_id_subject(id),
		                   sealmail_id_issuer(id)) != 0);
	}
	test_assert_int(sm_id_load_signer(&cert, &chain, &nchain, NULL, store,
	                                  "alice@example.org", &err),
	                SEALMAIL_OK);
	test_assert_int(nchain, 1);
	sm_cert_free(cert);
	sm_cert_list_free(chain, nchain);
	sealmail_id_free(id);
	id = NULL;
	sm_buf_free(&p12);

	/* No e-mail address. */
	sm_buf_init(&p12, 1 << 20);
	opts.data_name = "noemail.p12";
	test_assert_int(sm_read_file(&p12,
	                             SEALMAIL_TEST_DATA "/pki/noemail.p12",
	                             1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_id_import(&id, store, p12.data, p12.len, NULL,
	                                   0, &opts, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(
	        err.message,
	        "the certificate in noemail.p12 names no e-mail address");

	/* Certificate and key in two files that do not belong together. */
	opts.data_name = "bob.crt";
	opts.key_data_name = "carol.key";
	test_assert_int(sm_read_file(&crt,
	                             SEALMAIL_TEST_DATA
	                             "/pki/bob@example.org.crt",
	                             1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_read_file(&key,
	                             SEALMAIL_TEST_DATA
	                             "/pki/carol@example.org.key",
	                             1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_id_import(&id, store, crt.data, crt.len,
	                                   key.data, key.len, &opts, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "the private key in carol.key does not "
	                             "match the certificate in bob.crt");
	test_assert_int(sealmail_id_import(&id, store, crt.data, crt.len, NULL,
	                                   0, &opts, &err),
	                SEALMAIL_EBADDATA);
	test_assert_str(err.message, "no private key in bob.crt");
	sm_buf_free(&key);
	sm_buf_init_secret(&key, 1 << 20);
	test_assert_int(sm_read_file(&key,
	                             SEALMAIL_TEST_DATA
	                             "/pki/bob@example.org.key",
	                             1 << 20, &err),
	                SEALMAIL_OK);
	opts.key_data_name = "bob.key";
	test_assert_int(sealmail_id_import(&id, store, crt.data, crt.len,
	                                   key.data, key.len, &opts, &err),
	                SEALMAIL_OK);
	test_assert(id != NULL);
	sealmail_id_free(id);

	sm_buf_free(&p12);
	sm_buf_free(&crt);
	sm_buf_free(&key);
	sealmail_store_free(store);
}

/*
 * Fail each allocation in turn in the read paths and a settings change:
 * every failure is a clean ENOMEM (ASan reports any leak), and the call
 * succeeds once allocations do.
 */
static void
test_alloc_failures(void)
{
	struct pass p = {.answer = {NULL}};
	sealmail_store *store = open_store(&p);
	sealmail_error err = {0};
	sealmail_ids *ids = NULL;
	sealmail_accounts *accounts = NULL;
	sealmail_id *id = NULL;
	sm_cert **own = NULL;
	size_t nown = 0;
	int rc = SEALMAIL_ERROR;
	long n;

	test_assert_int(
	        create(store, "f@example.org", SEALMAIL_ID_NO_PASSPHRASE, NULL),
	        SEALMAIL_OK);
	test_assert_int(
	        create(store, "g@example.org", SEALMAIL_ID_NO_PASSPHRASE, NULL),
	        SEALMAIL_OK);
	for (n = 0; n < 10000; n++) {
		sm_alloc_fail_after(n);
		rc = sealmail_id_list(&ids, store, &err);
		sm_alloc_fail_after(-1);
		if (rc == SEALMAIL_OK)
			break;
		test_assert_int(rc, SEALMAIL_ENOMEM);
		test_assert(ids == NULL);
	}
	test_assert_int(rc, SEALMAIL_OK);
	test_assert(n > 10); /* the failures were reached */
	test_assert_int(sealmail_id_list_count(ids), 2);
	sealmail_id_list_free(ids);

	for (n = 0; n < 10000; n++) {
		sm_alloc_fail_after(n);
		rc = sealmail_account_list(&accounts, store, &err);
		sm_alloc_fail_after(-1);
		if (rc == SEALMAIL_OK)
			break;
		test_assert_int(rc, SEALMAIL_ENOMEM);
	}
	test_assert_int(rc, SEALMAIL_OK);
	test_assert_int(sealmail_account_list_count(accounts), 2);
	sealmail_account_list_free(accounts);

	for (n = 0; n < 10000; n++) {
		sm_alloc_fail_after(n);
		rc = sealmail_id_lookup(&id, store, "g@example.org", &err);
		sm_alloc_fail_after(-1);
		if (rc == SEALMAIL_OK)
			break;
		test_assert_int(rc, SEALMAIL_ENOMEM);
	}
	test_assert_int(rc, SEALMAIL_OK);
	sealmail_id_free(id);

	for (n = 0; n < 10000; n++) {
		sm_alloc_fail_after(n);
		rc = sm_id_own_certs(&own, &nown, store, &err);
		sm_alloc_fail_after(-1);
		if (rc == SEALMAIL_OK)
			break;
		test_assert_int(rc, SEALMAIL_ENOMEM);
	}
	test_assert_int(rc, SEALMAIL_OK);
	test_assert_int(nown, 2);
	sm_cert_list_free(own, nown);

	for (n = 0; n < 10000; n++) {
		sm_alloc_fail_after(n);
		rc = sealmail_account_set(store, "g@example.org", "cipher",
		                          "aes-256-gcm", &err);
		sm_alloc_fail_after(-1);
		if (rc == SEALMAIL_OK)
			break;
		test_assert_int(rc, SEALMAIL_ENOMEM);
	}
	test_assert_int(rc, SEALMAIL_OK);
	sealmail_store_free(store);
}

static const struct test_case tests[] = {
        {"create_list_lookup", test_create_list_lookup},
        {"create_bad_args", test_create_bad_args},
        {"export_import_roundtrip", test_export_import_roundtrip},
        {"internal", test_internal},
        {"account_settings", test_account_settings},
        {"import_pki", test_import_pki},
        {"alloc_failures", test_alloc_failures},
};

TEST_MAIN(tests)
