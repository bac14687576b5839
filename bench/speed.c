/* SPDX-License-Identifier: MIT */
/*
 * In-process throughput of the streaming building blocks: base64 encode and
 * decode (MIME lines), CRLF canonicalisation, each with the portable and the
 * AVX2 implementation, over a buffer of `MiB` (argument, default 64) in 64
 * KiB chunks as a pipeline would feed them.  Prints one TSV line per case:
 * name, implementation, MB/s (best of 3).  Not a test: never run by CTest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "canon.h"

#define CHUNK ((size_t)64 << 10)

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *
xmalloc(size_t n)
{
	unsigned char *p = malloc(n);

	if (p == NULL) {
		(void)fprintf(stderr, "speed: out of memory\n");
		exit(1);
	}
	return p;
}

static void
report(const char *name, const char *impl, size_t bytes, double secs)
{
	(void)printf("%s\t%s\t%.0f\n", name, impl, (double)bytes / secs / 1e6);
}

int
main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	size_t len = mib << 20, tl = 0, cl = 0;
	unsigned char *raw = xmalloc(len), *text, *back, *canon_out;
	unsigned char *lf;
	uint64_t x = 88172645463325252ull;
	sm_b64_enc probe;

	if (len == 0)
		return 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		raw[i] = (unsigned char)x;
	}
	sm_b64_enc_init(&probe, SM_B64_MIME_LINE, SM_B64_PORTABLE);
	text = xmalloc(sm_b64_enc_bound(&probe, len) + 16);
	back = xmalloc(len + 16);
	/* Text with LF line ends, 72 characters a line, for canon. */
	lf = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		lf[i] = i % 73 == 72 ? '\n'
		                     : (unsigned char)('a' + raw[i] % 26);
	canon_out = xmalloc(sm_canon_bound(CHUNK) * (len / CHUNK + 1));

	for (int ii = 0; ii < 2; ii++) {
		sm_b64_impl impl = ii == 0 ? SM_B64_PORTABLE : SM_B64_AVX2;
		const char *iname = ii == 0 ? "portable" : "avx2";
		double best_e = 1e9, best_d = 1e9, best_c = 1e9;

		if (ii == 1 && !sm_b64_have_avx2())
			break;
		for (int rep = 0; rep < 3; rep++) {
			sm_b64_enc e;
			sm_b64_dec d;
			sm_canon c;
			double t0 = now();
			size_t o = 0, n;

			sm_b64_enc_init(&e, SM_B64_MIME_LINE, impl);
			for (size_t i = 0; i < len; i += CHUNK)
				o += sm_b64_enc_update(&e, text + o, raw + i,
				                       len - i < CHUNK ? len - i
				                                       : CHUNK);
			o += sm_b64_enc_final(&e, text + o);
			tl = o;
			if (now() - t0 < best_e)
				best_e = now() - t0;

			t0 = now();
			o = 0;
			sm_b64_dec_init(&d, SM_B64_STRICT, (sm_b64_impl)impl);
			for (size_t i = 0; i < tl; i += CHUNK) {
				if (sm_b64_dec_update(
				            &d, back + o, &n, text + i,
				            tl - i < CHUNK ? tl - i : CHUNK,
				            NULL) != 0)
					return 2;
				o += n;
			}
			if (sm_b64_dec_final(&d, back + o, &n, NULL) != 0 ||
			    o + n != len || memcmp(back, raw, len) != 0)
				return 3;
			if (now() - t0 < best_d)
				best_d = now() - t0;

			t0 = now();
			o = 0;
			sm_canon_init(&c, ii == 0 ? SM_CANON_PORTABLE
			                          : SM_CANON_AVX2);
			for (size_t i = 0; i < len; i += CHUNK)
				o += sm_canon_update(&c, canon_out + o, lf + i,
				                     len - i < CHUNK ? len - i
				                                     : CHUNK);
			o += sm_canon_final(&c, canon_out + o);
			cl = o;
			if (now() - t0 < best_c)
				best_c = now() - t0;
		}
		/* MB/s of input: raw bytes for encode, text for decode */
		report("b64_encode", iname, len, best_e);
		report("b64_decode", iname, tl, best_d);
		report("canon_lf", iname, len, best_c);
	}
	(void)cl;
	free(raw);
	free(text);
	free(back);
	free(lf);
	free(canon_out);
	return 0;
}
