/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the whole receiving pipeline (MIME, CMS verify and decrypt,
 * trust, report, readable output) on one hostile message.  And a
 * differential check of what clear verify hashes: the multipart scan with
 * the tap on the first child gives the ranges the scan without it gives,
 * and the tap is given exactly the first child's bytes (a difference
 * aborts).
 */
#include "fuzz_common.h"

#include "mime.h"

static int
tap_cb(const void *p, size_t len, void *payload)
{
	return sm_buf_append(payload, p, len, NULL);
}

static void
check_tap(const unsigned char *data, size_t size)
{
	sm_mime_source *src = NULL;
	sm_mime_entity e;
	off_t *r1 = NULL, *r2 = NULL, tapped[2];
	size_t n1 = 0, n2 = 0;
	sm_buf got;
	int a, b;

	if (sm_mime_source_new_memory(&src, data, size, NULL) != SEALMAIL_OK)
		abort();
	if (sm_mime_entity_parse(&e, src, 0, (off_t)size, true, NULL) !=
	            SEALMAIL_OK ||
	    strncmp(e.type, "multipart/", 10) != 0) {
		sm_mime_source_free(src);
		return;
	}
	sm_buf_init(&got, size + 1);
	a = sm_mime_multipart_children(&r1, &n1, src, &e, 100, NULL);
	b = sm_mime_multipart_children_tap(&r2, &n2, src, &e, 100, tap_cb, &got,
	                                   tapped, NULL);
	if (a != b || n1 != n2 ||
	    (a == SEALMAIL_OK && memcmp(r1, r2, 2 * n1 * sizeof(*r1)) != 0))
		abort();
	if (a == SEALMAIL_OK && n1 > 0 &&
	    (tapped[0] != r1[0] || tapped[1] != r1[1] ||
	     got.len != (size_t)(r1[1] - r1[0]) ||
	     (got.len > 0 && memcmp(got.data, data + r1[0], got.len) != 0)))
		abort();
	sm_buf_free(&got);
	sm_free(r1);
	sm_free(r2);
	sm_mime_source_free(src);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	sealmail_store *store = fuzz_store();
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	sealmail_report *report = NULL;
	sealmail_error err = {0};

	check_tap(data, size);
	if (sealmail_input_new_memory(&in, data, size, &err) != SEALMAIL_OK ||
	    sealmail_output_new_callback(&out, fuzz_discard, NULL, &err) !=
	            SEALMAIL_OK)
		abort();
	if (sealmail_message_open(&report, store, in, out, NULL, &err) ==
	    SEALMAIL_OK) {
		sealmail_output *json = NULL;
		if (sealmail_output_new_callback(&json, fuzz_discard, NULL,
		                                 &err) == SEALMAIL_OK &&
		    sealmail_report_write_json(report, json, &err) !=
		            SEALMAIL_OK)
			fuzz_check_error(&err);
		sealmail_output_free(json);
		sealmail_report_free(report);
	} else {
		fuzz_check_error(&err);
	}
	sealmail_output_free(out);
	sealmail_input_free(in);
	return 0;
}
