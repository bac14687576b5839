/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for open reading a large message file where it is (mapped,
 * not copied): when the file changes while it is read -- here while the
 * readable message is written, which copies it from the file again -- the
 * open fails with EIO and no report, so no verdict is claimed for bytes
 * that were not the ones verified.
 */
#include <fcntl.h>
#include <unistd.h>

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

static const struct test_case tests[] = {
        {"changed_while_written", test_changed_while_written},
};

TEST_MAIN(tests)
