/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target, differential: every base64 implementation this CPU runs
 * (AVX2, AVX-512 VBMI) must give what the portable one gives -- decoding
 * hostile text strict and lenient (same status, same bytes, same error
 * message), and encoding any bytes with several line lengths, each cut in
 * two at a place the input picks.  The encoded text must decode back.
 * Byte 0 picks the line length, bytes 1-2 the cut; the rest is the data.
 * A difference aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const sm_b64_impl impls[] = {SM_B64_PORTABLE, SM_B64_AVX2, SM_B64_VBMI};

static size_t
n_impls(void)
{
	return sm_b64_have_vbmi() ? 3 : sm_b64_have_avx2() ? 2 : 1;
}

typedef struct dec_result {
	int rc;
	size_t len;
	char message[sizeof(((sealmail_error *)0)->message)];
} dec_result;

static void
decode(dec_result *r,
       unsigned char *out,
       const unsigned char *in,
       size_t len,
       size_t cut,
       sm_b64_mode mode,
       sm_b64_impl impl)
{
	sm_b64_dec d;
	sealmail_error err = {0};
	size_t n = 0, o = 0;

	sm_b64_dec_init(&d, mode, impl);
	r->rc = sm_b64_dec_update(&d, out, &n, in, cut, &err);
	o += n;
	if (r->rc == SEALMAIL_OK) {
		r->rc = sm_b64_dec_update(&d, out + o, &n, in + cut, len - cut,
		                          &err);
		o += n;
	}
	if (r->rc == SEALMAIL_OK) {
		r->rc = sm_b64_dec_final(&d, out + o, &n, &err);
		o += n;
	}
	r->len = o;
	memcpy(r->message, err.message, sizeof(r->message));
}

static size_t
encode(unsigned char *out,
       const unsigned char *in,
       size_t len,
       size_t cut,
       unsigned int line,
       sm_b64_impl impl)
{
	sm_b64_enc e;
	size_t o;

	sm_b64_enc_init(&e, line, impl);
	o = sm_b64_enc_update(&e, out, in, cut);
	o += sm_b64_enc_update(&e, out + o, in + cut, len - cut);
	return o + sm_b64_enc_final(&e, out + o);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const unsigned int lines[] = {76, 0, 64, 4};
	const unsigned char *in;
	unsigned char *want, *got, *text, *back;
	size_t len, cut, cap;
	unsigned int line;

	if (size < 3)
		return 0;
	line = data[0] < 4 ? lines[data[0]] : (data[0] & 31U) * 4;
	in = data + 3;
	len = size - 3;
	cut = ((size_t)data[1] << 8 | data[2]) % (len + 1);
	cap = len * 2 + 64;
	want = malloc(cap);
	got = malloc(cap);
	text = malloc(cap);
	back = malloc(cap);
	if (want == NULL || got == NULL || text == NULL || back == NULL)
		abort();
	for (int m = 0; m < 2; m++) {
		sm_b64_mode mode = m == 0 ? SM_B64_STRICT : SM_B64_LENIENT;
		dec_result ref, r;

		decode(&ref, want, in, len, cut, mode, SM_B64_PORTABLE);
		for (size_t i = 1; i < n_impls(); i++) {
			decode(&r, got, in, len, cut, mode, impls[i]);
			if (r.rc != ref.rc || r.len != ref.len ||
			    strcmp(r.message, ref.message) != 0 ||
			    memcmp(got, want, r.len) != 0)
				abort();
		}
	}
	{
		size_t tl = encode(text, in, len, cut, line, SM_B64_PORTABLE);
		dec_result r;

		for (size_t i = 1; i < n_impls(); i++)
			if (encode(got, in, len, cut, line, impls[i]) != tl ||
			    memcmp(got, text, tl) != 0)
				abort();
		for (size_t i = 0; i < n_impls(); i++) {
			decode(&r, back, text, tl, cut % (tl + 1),
			       SM_B64_STRICT, impls[i]);
			if (r.rc != SEALMAIL_OK || r.len != len ||
			    memcmp(back, in, len) != 0)
				abort();
		}
	}
	free(want);
	free(got);
	free(text);
	free(back);
	return 0;
}
