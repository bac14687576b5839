/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target, differential: the canonical form of a message for signing
 * (mime.c) by the one-read path for a single leaf part or a canonical
 * multipart -- two-pass and speculative -- must be byte for byte what
 * GMime's parser and writer give,
 * with the same status; and sm_canon_scan must say the same in one piece
 * (the fastest code), cut at the first byte's value (portable) and cut at
 * the mirror place (AVX2).  A difference aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int
buf_cb(const void *p, size_t len, void *payload)
{
	return sm_buf_append(payload, p, len, NULL);
}

static bool
same(const sm_buf *a, const sm_buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	sm_mime_source *src = NULL;
	sealmail_error err = {0};
	sm_buf fast, spec, slow;
	sm_canon_scan a, b, c;
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	int rf, rp, rs;

	sm_canon_scan_init(&a, SM_CANON_AUTO);
	sm_canon_scan_update(&a, data, size);
	sm_canon_scan_init(&b, SM_CANON_PORTABLE);
	sm_canon_scan_update(&b, data, cut);
	sm_canon_scan_update(&b, data + cut, size - cut);
	sm_canon_scan_init(&c, SM_CANON_AVX2);
	sm_canon_scan_update(&c, data, size - cut);
	sm_canon_scan_update(&c, data + size - cut, cut);
	if (sm_canon_scan_final(&a) != sm_canon_scan_final(&b) ||
	    (!a.dirty && a.bare_lf != b.bare_lf) ||
	    sm_canon_scan_final(&c) != sm_canon_scan_final(&b) ||
	    (!c.dirty && c.bare_lf != b.bare_lf))
		abort();

	if (sm_mime_source_new_memory(&src, data, size, &err) != SEALMAIL_OK)
		abort();
	sm_buf_init(&fast, 1 << 24);
	sm_buf_init(&spec, 1 << 24);
	sm_buf_init(&slow, 1 << 24);
	rf = sm_mime_write_canonical(src, buf_cb, &fast, &err);
	rp = sm_mime_write_canonical_spec(src, true, buf_cb, &spec, &err);
	rs = sm_mime_write_canonical_gmime(src, buf_cb, &slow, &err);
	if (rf != rs || (rf == SEALMAIL_OK && !same(&fast, &slow)))
		abort();
	/* speculative: the same, or a retry (the content needed encoding) */
	if (rp != SM_MIME_RETRY &&
	    (rp != rs || (rp == SEALMAIL_OK && !same(&spec, &slow))))
		abort();
	sm_buf_free(&fast);
	sm_buf_free(&spec);
	sm_buf_free(&slow);
	sm_mime_source_free(src);
	return 0;
}
