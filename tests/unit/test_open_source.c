/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for open reading a large message file where it is (mapped,
 * not copied): when the file changes while it is read -- here while the
 * readable message is written, which copies it from the file again -- the
 * open fails with EIO and no report, so no verdict is claimed for bytes
 * that were not the ones verified.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "crypto/crypto.h"
#include "internal.h"
#include "sealmail/message.h"
#include "sealmail/report.h"
#include "sealmail/store.h"

#include "harness.h"

#define TB SEALMAIL_TEST_DATA "/../corpus/thunderbird/smime/"

/* Where the readable message goes; the first write changes `path`. */
typedef struct sink {
	const char *path;
	int change; /* 0: none, 1: the same byte again, 2: one more byte */
	char first; /* the file's first byte */
	size_t calls, bytes;
} sink;

static int
sink_write(const void *buf, size_t len, void *payload)
{
	sink *k = payload;

	(void)buf;
	if (k->calls++ == 0 && k->change != 0) {
		int fd = open(k->path, O_WRONLY);
		off_t at = k->change == 1 ? 0 : lseek(fd, 0, SEEK_END);
		test_assert(fd >= 0 && pwrite(fd, &k->first, 1, at) == 1);
		(void)close(fd);
	}
	k->bytes += len;
	return SEALMAIL_OK;
}

/*
 * Over 1 MiB, so read in place: Alice's clear-signed message with 2 MiB
 * of epilogue after its close delimiter (outside what is signed), or
 * (`plain`) a 2 MiB unsigned message, written as it is as the readable
 * message (in pieces larger than the output's buffer, so the sink is
 * called while the message is open).  Returns the size.
 */
static size_t
write_message(const char *path, bool plain, char *first)
{
	static const char head[] = "From: a@example.org\r\n"
	                           "Subject: big\r\n\r\n";
	sm_buf m;
	sealmail_error err = {0};
	size_t len;
	FILE *f;

	if (plain) {
		sm_buf_init(&m, 4 << 20);
		test_assert_int(sm_buf_append(&m, head, strlen(head), &err),
		                SEALMAIL_OK);
	} else {
		test_assert_int(
		        sm_read_file(&m, TB "alice.dsig.SHA256.multipart.eml",
		                     4 << 20, &err),
		        SEALMAIL_OK);
	}
	while (m.len > 0 && m.len < (2u << 20))
		if (sm_buf_append(&m, "a line of text\r\n", 16, &err) !=
		    SEALMAIL_OK)
			break;
	test_assert(m.len >= (2u << 20));
	*first = m.len > 0 ? (char)m.data[0] : 0;
	f = fopen(path, "wb");
	test_assert(f != NULL && fwrite(m.data, 1, m.len, f) == m.len &&
	            fclose(f) == 0);
	len = m.len;
	sm_buf_free(&m);
	return len;
}

static void
test_changed_while_written(void)
{
	char home[128], path[160], want[256];
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	(void)snprintf(home, sizeof(home), "%s/home", test_tmpdir());
	(void)snprintf(path, sizeof(path), "%s/msg.eml", test_tmpdir());
	(void)snprintf(want, sizeof(want), "%s changed while it was being read",
	               path);
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	/* signed as it was; plain as it was, the same byte written again,
	 * one more byte */
	for (int round = 0; round < 4; round++) {
		sink k = {.path = path, .change = round < 2 ? 0 : round - 1};
		sealmail_input *in = NULL;
		sealmail_output *out = NULL;
		sealmail_report *r = NULL;
		size_t len = write_message(path, round > 0, &k.first);
		int rc;

		test_assert_int(sealmail_input_new_path(&in, path, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_new_callback(&out, sink_write,
		                                             &k, &err),
		                SEALMAIL_OK);
		err.message[0] = '\0';
		rc = sealmail_message_open(&r, store, in, out, NULL, &err);
		if (k.change == 0) {
			test_assert_int(rc, SEALMAIL_OK);
			test_assert(r != NULL);
			test_assert_int(sealmail_output_commit(out, &err),
			                SEALMAIL_OK);
			if (round == 0) /* the signature, its part written */
				test_assert(r != NULL &&
				            sealmail_report_signature_count(
				                    r) == 1 &&
				            k.bytes > 100 && k.bytes < 10000);
			else /* the message as it is */
				test_assert_int(k.bytes, len);
		} else {
			test_assert(k.calls > 0); /* changed during the open */
			test_assert_int(rc, SEALMAIL_ECHANGED);
			test_assert_str(err.message, want);
			test_assert(r == NULL);
		}
		sealmail_report_free(r);
		sealmail_output_free(out);
		sealmail_input_free(in);
	}
	sealmail_store_free(store);
}

/* ---- opaque content over 1 MiB: decoded again for the readable message */

/* Where the readable message goes; the first write puts `body` (text of
 * the same length) over the message's body, keeping its modification
 * time, so that only the bytes read again can tell. */
typedef struct redo_sink {
	const char *path;
	const sm_buf *body; /* NULL: no change */
	off_t body_at;
	sm_buf got;
	size_t calls;
} redo_sink;

static int
redo_sink_write(const void *buf, size_t len, void *payload)
{
	redo_sink *k = payload;

	if (k->calls++ == 0 && k->body != NULL) {
		struct stat st;
		int fd = open(k->path, O_WRONLY);
		test_assert(fd >= 0 && fstat(fd, &st) == 0);
		test_assert(pwrite(fd, k->body->data, k->body->len,
		                   k->body_at) == (ssize_t)k->body->len);
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		test_assert(futimens(fd, ts) == 0);
		(void)close(fd);
	}
	return sm_buf_append(&k->got, buf, len, NULL);
}

static int
collect(const void *buf, size_t len, void *payload)
{
	return sm_buf_append(payload, buf, len, NULL);
}

/* `text` decoded into `der`, or `der` encoded into `text` (76 + CRLF). */
static void
b64(sm_buf *der, sm_buf *text, bool decode)
{
	sealmail_error err = {0};

	if (decode) {
		sm_b64_dec d;
		size_t n, m;
		sm_b64_dec_init(&d, SM_B64_STRICT, SM_B64_AUTO);
		sm_buf_init(der, 8 << 20);
		test_assert_int(sm_buf_reserve(der,
		                               sm_b64_dec_bound(text->len) + 8,
		                               &err),
		                SEALMAIL_OK);
		test_assert_int(sm_b64_dec_update(&d, der->data, &n, text->data,
		                                  text->len, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_b64_dec_final(&d, der->data + n, &m, &err),
		                SEALMAIL_OK);
		der->len = n + m;
	} else {
		sm_b64_enc e;
		size_t n;
		sm_b64_enc_init(&e, SM_B64_MIME_LINE, SM_B64_AUTO);
		sm_buf_init(text, 16 << 20);
		test_assert_int(sm_buf_reserve(text,
		                               sm_b64_enc_bound(&e, der->len) +
		                                       SM_B64_ENC_FINAL_MAX,
		                               &err),
		                SEALMAIL_OK);
		n = sm_b64_enc_update(&e, text->data, der->data, der->len);
		n += sm_b64_enc_final(&e, text->data + n);
		text->len = n;
	}
}

/*
 * 1.5 MiB of text opaque-signed by Carol (content in 4 KiB OCTET STRING
 * chunks), opened with a readable message: the content is trimmed to its
 * header while hashed, and the readable message decodes it again from
 * the file.  That gives the same bytes; a file whose body is changed
 * meanwhile (one chunk's length, modification time kept) is ECHANGED, no
 * report: the bytes read again are not those verified.
 */
static void
test_opaque_read_again(void)
{
	static const char head[] =
	        "From: carol@example.org\r\nSubject: big\r\n"
	        "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; "
	        "smime-type=signed-data; name=smime.p7m\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n";
	char home[128], path[160], want[256], kpath[512];
	sealmail_store *store = NULL;
	sealmail_error err = {0};
	sm_crypto *crypto = NULL;
	sm_bundle b = {0};
	sm_buf content, text, der, text2, pem, key;
	sm_cms_sign *s = NULL;
	sm_cms_sign_params params = {.include_certs = true, .opaque = true};
	size_t hit = 0;
	FILE *f;

	(void)snprintf(home, sizeof(home), "%s/home", test_tmpdir());
	(void)snprintf(path, sizeof(path), "%s/opaque.eml", test_tmpdir());
	(void)snprintf(want, sizeof(want), "%s changed while it was being read",
	               path);
	/* the signed content: a text part of 1.5 MiB */
	sm_buf_init(&content, 4 << 20);
	test_assert_int(sm_buf_append(&content,
	                              "Content-Type: text/plain\r\n\r\n", 28,
	                              &err),
	                SEALMAIL_OK);
	for (unsigned i = 0; content.len < (3u << 19); i++) {
		char line[80];
		int n = snprintf(
		        line, sizeof(line),
		        "line %07u of the signed text, long enough\r\n", i);
		test_assert_int(sm_buf_append(&content, line, (size_t)n, &err),
		                SEALMAIL_OK);
	}
	/* Carol's key and certificate; the signature's base64 text */
	test_assert_int(sm_crypto_new(&crypto, &err), SEALMAIL_OK);
	sm_buf_init(&pem, 1 << 20);
	sm_buf_init(&key, 1 << 20);
	(void)snprintf(kpath, sizeof(kpath), "%s/pki/carol@example.org.crt",
	               SEALMAIL_TEST_DATA);
	test_assert_int(sm_read_file(&pem, kpath, 1 << 20, &err), SEALMAIL_OK);
	(void)snprintf(kpath, sizeof(kpath), "%s/pki/carol@example.org.key",
	               SEALMAIL_TEST_DATA);
	test_assert_int(sm_read_file(&key, kpath, 1 << 20, &err), SEALMAIL_OK);
	test_assert_int(sm_buf_append(&pem, key.data, key.len, &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sm_pem_bundle_parse(&b, crypto, pem.data, pem.len, NULL, &err),
	        SEALMAIL_OK);
	params.cert = b.cert;
	params.key = b.key;
	sm_buf_init(&text, 16 << 20);
	test_assert_int(
	        sm_cms_sign_begin(&s, crypto, &params, collect, &text, &err),
	        SEALMAIL_OK);
	for (size_t i = 0; i < content.len; i += 4096)
		test_assert_int(sm_cms_sign_update(s, content.data + i,
		                                   content.len - i < 4096
		                                           ? content.len - i
		                                           : 4096,
		                                   &err),
		                SEALMAIL_OK);
	test_assert_int(sm_cms_sign_finish(s, &err), SEALMAIL_OK);
	sm_cms_sign_free(s);
	/* the same text with the length of one chunk past the middle of the
	 * content doubled (the header of a 4 KiB chunk: 04 82 10 00) */
	b64(&der, &text, true);
	for (size_t i = der.len / 2; i + 4 <= der.len && hit == 0; i++)
		if (memcmp(der.data + i, "\x04\x82\x10\x00", 4) == 0)
			hit = i;
	test_assert(hit > 0);
	der.data[hit + 2] = 0x20;
	b64(&der, &text2, false);
	test_assert_int(text2.len, text.len);

	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	for (int round = 0; round < 2; round++) {
		redo_sink k = {.path = path,
		               .body = round == 1 ? &text2 : NULL,
		               .body_at = (off_t)strlen(head)};
		sealmail_input *in = NULL;
		sealmail_output *out = NULL;
		sealmail_report *r = NULL;
		int rc;

		f = fopen(path, "wb");
		test_assert(f != NULL &&
		            fwrite(head, 1, strlen(head), f) == strlen(head) &&
		            fwrite(text.data, 1, text.len, f) == text.len &&
		            fclose(f) == 0);
		sm_buf_init(&k.got, 4 << 20);
		test_assert_int(sealmail_input_new_path(&in, path, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_new_callback(
		                        &out, redo_sink_write, &k, &err),
		                SEALMAIL_OK);
		err.message[0] = '\0';
		rc = sealmail_message_open(&r, store, in, out, NULL, &err);
		if (round == 0) {
			test_assert_int(rc, SEALMAIL_OK);
			test_assert_int(sealmail_output_commit(out, &err),
			                SEALMAIL_OK);
			test_assert(sealmail_report_signature_count(r) == 1);
			test_assert_int(
			        sealmail_signature_state(
			                sealmail_report_signature_at(r, 0)),
			        SEALMAIL_SIG_VALID);
			/* the outer header, then the content byte for byte */
			test_assert(k.got.len > content.len);
			test_assert(memcmp(k.got.data + k.got.len - content.len,
			                   content.data, content.len) == 0);
			test_assert(memmem(k.got.data, k.got.len - content.len,
			                   "Subject: big\r\n", 14) != NULL);
		} else {
			test_assert(k.calls > 0); /* changed during the open */
			test_assert_int(rc, SEALMAIL_ECHANGED);
			test_assert_str(err.message, want);
			test_assert(r == NULL);
		}
		sealmail_report_free(r);
		sealmail_output_free(out);
		sealmail_input_free(in);
		sm_buf_free(&k.got);
	}
	sealmail_store_free(store);
	sm_buf_free(&content);
	sm_buf_free(&text);
	sm_buf_free(&text2);
	sm_buf_free(&der);
	sm_buf_free(&pem);
	sm_buf_free(&key);
	sm_bundle_clear(&b);
	sm_crypto_free(crypto);
}

static const struct test_case tests[] = {
        {"changed_while_written", test_changed_while_written},
        {"opaque_read_again", test_opaque_read_again},
};

TEST_MAIN(tests)
