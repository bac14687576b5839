/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for what open keeps per store handle for a list (issue 7):
 * the trust judged per signer and the book's certificates looked up by a
 * signer's serial number are reused only while the database does not
 * change, whether this handle, another connection or another process
 * changes it.
 */
#include <sys/wait.h>

#include <unistd.h>

#include "internal.h"
#include "sealmail/account.h"
#include "sealmail/book.h"
#include "sealmail/id.h"
#include "sealmail/message.h"
#include "sealmail/report.h"
#include "sealmail/store.h"

#include "harness.h"

#define TB SEALMAIL_TEST_DATA "/../corpus/thunderbird/smime/"

static sealmail_store *
open_store(const char *home)
{
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	if (sealmail_store_open(&store, home, NULL, &err) != SEALMAIL_OK) {
		(void)printf("Bail out! store: %s\n", err.message);
		exit(1);
	}
	return store;
}

/*
 * The trust token of the one signature of the message at `path`, opened
 * with `store`; its state in `*state` when not NULL (-1: no signature).
 */
static const char *
sig_of(sealmail_store *store, const char *path, int *state)
{
	static char trust[64];
	sealmail_open_options opts = SEALMAIL_OPEN_OPTIONS_INIT;
	sealmail_input *in = NULL;
	sealmail_report *r = NULL;
	sealmail_error err = {0};

	trust[0] = '\0';
	if (state != NULL)
		*state = -1;
	test_assert_int(sealmail_input_new_path(&in, path, &err), SEALMAIL_OK);
	test_assert_int(sealmail_message_open(&r, store, in, NULL, &opts, &err),
	                SEALMAIL_OK);
	if (r != NULL && sealmail_report_signature_count(r) == 1) {
		const sealmail_signature *sig =
		        sealmail_report_signature_at(r, 0);
		(void)snprintf(trust, sizeof(trust), "%s",
		               sealmail_signature_trust(sig));
		if (state != NULL)
			*state = (int)sealmail_signature_state(sig);
	}
	sealmail_report_free(r);
	sealmail_input_free(in);
	return trust;
}

/* The trust token of the message's one signature, opened with `store`. */
static const char *
trust_of(sealmail_store *store)
{
	return sig_of(store, TB "alice.dsig.SHA256.multipart.eml", NULL);
}

static void
test_trust_follows_store(void)
{
	char home[128], fp[65];
	sealmail_store *a, *b;
	sealmail_cert_list *l = NULL;
	sm_buf ca;
	sealmail_error err = {0};

	(void)snprintf(home, sizeof(home), "%s/home", test_tmpdir());
	a = open_store(home);
	b = open_store(home);
	test_assert_str(trust_of(a), "not-in-book");
	test_assert_str(trust_of(a), "not-in-book"); /* remembered */

	/* This handle adds and trusts the CA: the next open sees it. */
	sm_buf_init(&ca, 1 << 20);
	test_assert_int(sm_read_file(&ca, TB "TestCA.pem", 1 << 20, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_ca_add(&l, a, ca.data, ca.len, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_cert_list_count(l), 1);
	(void)snprintf(fp, sizeof(fp), "%s",
	               sealmail_cert_fingerprint(sealmail_cert_list_at(l, 0)));
	sealmail_cert_list_free(l);
	test_assert_int(
	        sealmail_ca_set_trust(a, fp, SEALMAIL_TRUST_TRUSTED, &err),
	        SEALMAIL_OK);
	test_assert_str(trust_of(a), "trusted-via-ca");
	test_assert_str(trust_of(a), "trusted-via-ca");

	/* Another connection withdraws it: this one notices. */
	test_assert_str(trust_of(b), "trusted-via-ca");
	test_assert_int(
	        sealmail_ca_set_trust(b, fp, SEALMAIL_TRUST_UNTRUSTED, &err),
	        SEALMAIL_OK);
	test_assert_str(trust_of(a), "not-in-book");
	test_assert_str(trust_of(b), "not-in-book");

	sm_buf_free(&ca);
	sealmail_store_free(a);
	sealmail_store_free(b);
}

/*
 * Set the trust in the certificate `query` names from another process
 * with its own store handle, as `sealmail book trust` run beside a list
 * would; true when it did.
 */
static bool
set_trust_elsewhere(const char *home, const char *query, sealmail_trust t)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		sealmail_store *store = NULL;
		sealmail_error err = {0};
		int rc = sealmail_store_open(&store, home, NULL, &err);

		if (rc == SEALMAIL_OK)
			rc = sealmail_book_set_trust(store, query, t, &err);
		sealmail_store_free(store);
		_exit(rc == SEALMAIL_OK ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The signer's own certificate in the book, its trust changed by another
 * process while this handle keeps its memo: the next open sees each
 * change (PRAGMA data_version), and an unchanged store keeps the memo.
 */
static void
test_contact_trust_other_process(void)
{
	const char *msg = TB "alice.dsig.SHA256.multipart.eml";
	sealmail_open_options opts = SEALMAIL_OPEN_OPTIONS_INIT;
	sealmail_input *in = NULL;
	sealmail_report *r = NULL;
	sealmail_store *a;
	sealmail_error err = {0};
	char home[128];

	(void)snprintf(home, sizeof(home), "%s/home", test_tmpdir());
	a = open_store(home);
	opts.flags = SEALMAIL_OPEN_ADD_CERT;
	test_assert_int(sealmail_input_new_path(&in, msg, &err), SEALMAIL_OK);
	test_assert_int(sealmail_message_open(&r, a, in, NULL, &opts, &err),
	                SEALMAIL_OK);
	sealmail_report_free(r);
	sealmail_input_free(in);
	test_assert_str(trust_of(a), "not-trusted");
	test_assert_str(trust_of(a), "not-trusted"); /* remembered */

	test_assert(set_trust_elsewhere(home, "alice@example.com",
	                                SEALMAIL_TRUST_TRUSTED));
	test_assert_str(trust_of(a), "trusted");
	test_assert_str(trust_of(a), "trusted");
	test_assert(set_trust_elsewhere(home, "alice@example.com",
	                                SEALMAIL_TRUST_DISTRUSTED));
	test_assert_str(trust_of(a), "distrusted");
	test_assert(set_trust_elsewhere(home, "alice@example.com",
	                                SEALMAIL_TRUST_UNTRUSTED));
	test_assert_str(trust_of(a), "not-trusted");
	sealmail_store_free(a);
}

/* Read a test PKI file into `buf` (caller frees). */
static void
slurp(sm_buf *buf, const char *name)
{
	char path[256];
	sealmail_error err = {0};

	(void)snprintf(path, sizeof(path), "%s/pki/%s", SEALMAIL_TEST_DATA,
	               name);
	sm_buf_init(buf, 1 << 20);
	test_assert_int(sm_read_file(buf, path, 1 << 20, &err), SEALMAIL_OK);
}

static int
to_file(const void *data, size_t len, void *payload)
{
	return fwrite(data, 1, len, payload) == len ? 0 : SEALMAIL_EIO;
}

/*
 * A signature that does not carry its certificate: the book's certificate
 * with the signer's serial number checks it, found again after the book
 * changes (this handle adds it, another connection removes it).
 */
static void
test_book_serial_follows_store(void)
{
	static const char msg[] = "From: alice@example.org\r\n"
	                          "To: bob@example.org\r\n"
	                          "Subject: no cert\r\n\r\nhello\r\n";
	char ha[128], hb[128], signed_path[160];
	sealmail_id_import_options io = SEALMAIL_ID_IMPORT_OPTIONS_INIT;
	sealmail_protect_options po = SEALMAIL_PROTECT_OPTIONS_INIT;
	sealmail_store *a, *b, *b2;
	sealmail_cert_list *l = NULL;
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	sealmail_id *id = NULL;
	sm_buf crt, key;
	sealmail_error err = {0};
	int state;
	FILE *f;

	(void)snprintf(ha, sizeof(ha), "%s/alice", test_tmpdir());
	(void)snprintf(hb, sizeof(hb), "%s/bob", test_tmpdir());
	(void)snprintf(signed_path, sizeof(signed_path), "%s/signed.eml",
	               test_tmpdir());
	a = open_store(ha);
	slurp(&crt, "alice@example.org.crt");
	slurp(&key, "alice@example.org.key");
	io.flags = SEALMAIL_ID_NO_PASSPHRASE;
	test_assert_int(sealmail_id_import(&id, a, crt.data, crt.len, key.data,
	                                   key.len, &io, &err),
	                SEALMAIL_OK);
	sealmail_id_free(id);
	test_assert_int(sealmail_account_set(a, "alice@example.org",
	                                     "include-cert", "no", &err),
	                SEALMAIL_OK);
	po.flags = SEALMAIL_PROTECT_SIGN;
	f = fopen(signed_path, "wb");
	test_assert(f != NULL);
	test_assert_int(
	        sealmail_input_new_memory(&in, msg, sizeof(msg) - 1, &err),
	        SEALMAIL_OK);
	test_assert_int(sealmail_output_new_callback(&out, to_file, f, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_message_protect(a, in, out, &po, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	sealmail_input_free(in);
	(void)fclose(f);
	sealmail_store_free(a);

	b = open_store(hb);
	b2 = open_store(hb);
	(void)sig_of(b, signed_path, &state);
	test_assert_int(state, SEALMAIL_SIG_NO_CERT);
	(void)sig_of(b, signed_path, &state); /* remembered: none */
	test_assert_int(state, SEALMAIL_SIG_NO_CERT);
	test_assert_int(sealmail_book_add(&l, b, crt.data, crt.len, NULL, &err),
	                SEALMAIL_OK);
	sealmail_cert_list_free(l);
	test_assert_str(sig_of(b, signed_path, &state), "not-trusted");
	test_assert_int(state, SEALMAIL_SIG_VALID);
	test_assert_int(sealmail_book_remove(b2, "alice@example.org", &err),
	                SEALMAIL_OK);
	(void)sig_of(b, signed_path, &state);
	test_assert_int(state, SEALMAIL_SIG_NO_CERT);

	sealmail_store_free(b);
	sealmail_store_free(b2);
	sm_buf_free(&crt);
	sm_buf_free(&key);
}

static const struct test_case tests[] = {
        {"trust_follows_store", test_trust_follows_store},
        {"book_serial_follows_store", test_book_serial_follows_store},
        {"contact_trust_other_process", test_contact_trust_other_process},
};

TEST_MAIN(tests)
