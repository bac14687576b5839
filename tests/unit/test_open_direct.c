/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for open writing decrypted content straight to a held
 * readable output (open_env.c sm_open_direct, issue 7): a 3 MiB leaf
 * encrypted with AES-256-GCM reads the same to a path output as to a
 * callback (which keeps the private plaintext); with its tag broken, the
 * bytes written early are forgotten (sm_open_direct_forget) and nothing is
 * written: the encrypted layer stayed closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "internal.h"
#include "open_int.h"
#include "sealmail/id.h"
#include "sealmail/message.h"
#include "sealmail/report.h"
#include "sealmail/store.h"

#include "harness.h"

#define PKI SEALMAIL_TEST_DATA "/pki/"

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Bob's store, his digital ID imported. */
static sealmail_store *
bob_store(const char *dir)
{
	sealmail_id_import_options o = SEALMAIL_ID_IMPORT_OPTIONS_INIT;
	sealmail_store *store = NULL;
	sealmail_error err = {0};
	char home[512];
	sm_buf crt, key;

	(void)snprintf(home, sizeof(home), "%s/bob", dir);
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	sm_buf_init(&crt, 1 << 20);
	sm_buf_init_secret(&key, 1 << 20);
	test_assert_int(
	        sm_read_file(&crt, PKI "bob@example.org.crt", 1 << 20, &err),
	        SEALMAIL_OK);
	test_assert_int(
	        sm_read_file(&key, PKI "bob@example.org.key", 1 << 20, &err),
	        SEALMAIL_OK);
	o.flags = SEALMAIL_ID_NO_PASSPHRASE;
	test_assert_int(sealmail_id_import(NULL, store, crt.data, crt.len,
	                                   key.data, key.len, &o, &err),
	                SEALMAIL_OK);
	sm_buf_free(&crt);
	sm_buf_free(&key);
	return store;
}

/*
 * dir/NAME.eml: 3 MiB of text in a text/plain leaf (dir/NAME.leaf),
 * encrypted to Bob by openssl (AES-256-GCM, DER), the last byte of the DER
 * (the tag's) flipped when `flip`.
 */
static void
message(const char *dir, const char *name, bool flip)
{
	char cmd[2048], path[512];

	(void)snprintf(
	        cmd, sizeof(cmd),
	        "cd '%s' && { printf 'Content-Type: text/plain\\r\\n\\r\\n'; "
	        "i=0; while [ $i -lt 56000 ]; do printf 'line %%05d of the "
	        "eagle, landing at noon, at noon, at noon\\r\\n' $i; "
	        "i=$((i+1)); done; } >%s.leaf && openssl cms -encrypt -binary "
	        "-aes-256-gcm -outform DER -in %s.leaf -out %s.der " PKI
	        "bob@example.org.crt",
	        dir, name, name, name);
	test_assert_int(sh(cmd), 0);
	if (flip) {
		sm_buf der;
		FILE *f;

		(void)snprintf(path, sizeof(path), "%s/%s.der", dir, name);
		sm_buf_init(&der, 16 << 20);
		test_assert_int(sm_read_file(&der, path, 16 << 20, NULL),
		                SEALMAIL_OK);
		test_assert(der.len > 0);
		der.data[der.len - 1] ^= 1;
		f = fopen(path, "wb");
		test_assert(f != NULL &&
		            fwrite(der.data, 1, der.len, f) == der.len &&
		            fclose(f) == 0);
		sm_buf_free(&der);
	}
	(void)snprintf(
	        cmd, sizeof(cmd),
	        "cd '%s' && { printf 'From: alice@example.org\\r\\nTo: "
	        "bob@example.org\\r\\nSubject: direct\\r\\nMIME-Version: "
	        "1.0\\r\\nContent-Type: application/pkcs7-mime; "
	        "smime-type=authEnveloped-data\\r\\nContent-Transfer-Encoding: "
	        "base64\\r\\n\\r\\n'; base64 -w 76 %s.der | sed 's/$/\\r/'; } "
	        ">%s.eml",
	        dir, name, name);
	test_assert_int(sh(cmd), 0);
}

static bool
has_finding(const sealmail_report *r, const char *code)
{
	for (size_t i = 0; r != NULL && i < sealmail_report_finding_count(r);
	     i++)
		if (strcmp(sealmail_report_finding_code(r, i), code) == 0)
			return true;
	return false;
}

/* A whole file into `b`. */
static void
slurp(sm_buf *b, const char *path)
{
	sm_buf_init(b, 64 << 20);
	test_assert_int(sm_read_file(b, path, 64 << 20, NULL), SEALMAIL_OK);
}

static int
to_buf(const void *data, size_t len, void *payload)
{
	return sm_buf_append(payload, data, len, NULL);
}

/*
 * Open dir/NAME.eml to a path output dir/NAME.out (committed) and to a
 * callback (into `held`): the report of the first in *r.
 */
static void
open_both(sealmail_store *store,
          const char *dir,
          const char *name,
          sealmail_report **r,
          sm_buf *held)
{
	char in_path[512], out_path[512];
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	sealmail_report *r2 = NULL;
	sealmail_error err = {0};
	sealmail_open_options o = SEALMAIL_OPEN_OPTIONS_INIT;

	o.temp_dir = dir;
	(void)snprintf(in_path, sizeof(in_path), "%s/%s.eml", dir, name);
	(void)snprintf(out_path, sizeof(out_path), "%s/%s.out", dir, name);
	test_assert_int(sealmail_input_new_path(&in, in_path, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_new_path(&out, out_path, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_message_open(r, store, in, out, &o, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	sealmail_input_free(in);

	sm_buf_init(held, 64 << 20);
	out = NULL;
	in = NULL;
	test_assert_int(sealmail_input_new_path(&in, in_path, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_new_callback(&out, to_buf, held, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_message_open(&r2, store, in, out, &o, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	sealmail_input_free(in);
	sealmail_report_free(r2);
}

static bool
same(const sm_buf *a, const sm_buf *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static void
test_direct_and_forgotten(void)
{
	const char *dir = test_tmpdir();
	sealmail_store *store = bob_store(dir);
	sealmail_report *r = NULL;
	sm_buf held, file, msg, leaf;
	char path[512];

	/* decrypted straight out: what a callback gets, the leaf at the end */
	message(dir, "good", false);
	open_both(store, dir, "good", &r, &held);
	test_assert(r != NULL && !has_finding(r, "tag-mismatch"));
	test_assert(!sealmail_report_encryption_closed(r));
	(void)snprintf(path, sizeof(path), "%s/good.out", dir);
	slurp(&file, path);
	(void)snprintf(path, sizeof(path), "%s/good.leaf", dir);
	slurp(&leaf, path);
	test_assert(leaf.len > (3u << 20));
	test_assert(same(&file, &held));
	test_assert(file.len > leaf.len &&
	            memcmp(file.data + file.len - leaf.len, leaf.data,
	                   leaf.len) == 0);
	sealmail_report_free(r);
	sm_buf_free(&held);
	sm_buf_free(&file);
	sm_buf_free(&leaf);

	/* the tag broken: the layer stayed closed, nothing readable */
	message(dir, "bad", true);
	open_both(store, dir, "bad", &r, &held);
	test_assert(has_finding(r, "tag-mismatch"));
	test_assert(sealmail_report_encryption_closed(r));
	(void)snprintf(path, sizeof(path), "%s/bad.out", dir);
	slurp(&file, path);
	(void)snprintf(path, sizeof(path), "%s/bad.eml", dir);
	slurp(&msg, path);
	test_assert_int(file.len, 0);
	test_assert_int(held.len, 0);
	test_assert(msg.len > (3u << 20));
	sealmail_report_free(r);
	sm_buf_free(&held);
	sm_buf_free(&file);
	sm_buf_free(&msg);
	sealmail_store_free(store);
	/* no private folder was left (nor made: see t405) */
	(void)snprintf(path, sizeof(path),
	               "! ls -d '%s'/sealmail-* >/dev/null 2>&1", dir);
	test_assert_int(sh(path), 0);
}

/* Nothing written, nothing to forget; NULL accepted. */
static void
test_forget_nothing(void)
{
	sm_open_direct d = {.mark = 5};

	sm_open_direct_forget(NULL);
	sm_open_direct_forget(&d);
	test_assert(!d.written);
	test_assert_int(d.mark, 5);
}

static const struct test_case tests[] = {
        {"direct_and_forgotten", test_direct_and_forgotten},
        {"forget_nothing", test_forget_nothing},
};

TEST_MAIN(tests)
