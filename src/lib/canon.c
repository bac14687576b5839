/* SPDX-License-Identifier: MIT */
/*
 * CRLF canonicalisation: copy runs without CR or LF in bulk (32 bytes per
 * step with AVX2, 8 with SWAR) and handle line ends one at a time.  The only
 * state is whether a CR was just written.
 */
#include "canon.h"

#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && \
        (defined(__GNUC__) || defined(__clang__))
#define SM_CANON_X86 1
#include <immintrin.h>
#else
#define SM_CANON_X86 0
#endif

void
sm_canon_init(sm_canon *canon, sm_canon_impl impl)
{
	canon->cr = false;
	canon->impl = SM_CANON_PORTABLE;
#if SM_CANON_X86
	if (impl != SM_CANON_PORTABLE) {
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx2"))
			canon->impl = SM_CANON_AVX2;
	}
#else
	(void)impl;
#endif
}

#if SM_CANON_X86
/*
 * Copy bytes up to the first CR or LF; returns how many were copied.  Stores
 * 32 bytes at a time, so `o` needs 32 bytes of room past the copied run
 * (which sm_canon_bound leaves: out grows at most 2 bytes per input byte).
 */
__attribute__((target("avx2"))) static size_t
run_avx2(unsigned char *o, const unsigned char *p, size_t n)
{
	const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
	size_t i = 0;

	while (n - i >= 32) {
		__m256i v = _mm256_loadu_si256(
		        (const __m256i *)(const void *)(p + i));
		unsigned int m = (unsigned int)_mm256_movemask_epi8(
		        _mm256_or_si256(_mm256_cmpeq_epi8(v, cr),
		                        _mm256_cmpeq_epi8(v, lf)));

		_mm256_storeu_si256((__m256i *)(void *)(o + i), v);
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 32;
	}
	return i;
}
#endif

#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull

static size_t
run_swar(unsigned char *o, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (n - i >= 8) {
		uint64_t w, a, b;

		memcpy(&w, p + i, 8);
		a = w ^ (SWAR_ONES * '\r');
		b = w ^ (SWAR_ONES * '\n');
		if ((((a - SWAR_ONES) & ~a) | ((b - SWAR_ONES) & ~b)) &
		    SWAR_HIGH)
			break;
		memcpy(o + i, &w, 8);
		i += 8;
	}
	return i;
}

size_t
sm_canon_update(sm_canon *canon,
                unsigned char *out,
                const unsigned char *in,
                size_t len)
{
	const unsigned char *p = in, *end = in + len;
	unsigned char *o = out;

	while (p < end) {
		unsigned char c;

		if (canon->cr) {
			*o++ = '\n';
			canon->cr = false;
			if (*p == '\n') {
				p++;
				continue;
			}
		}
		{
			size_t n;
#if SM_CANON_X86
			if (canon->impl == SM_CANON_AVX2) {
				n = run_avx2(o, p, (size_t)(end - p));
				o += n;
				p += n;
			}
#endif
			n = run_swar(o, p, (size_t)(end - p));
			o += n;
			p += n;
		}
		/* The tail of a run, then one line end. */
		while (p < end && *p != '\r' && *p != '\n')
			*o++ = *p++;
		if (p == end)
			break;
		c = *p++;
		*o++ = '\r';
		if (c == '\n')
			*o++ = '\n';
		else
			canon->cr = true;
	}
	return (size_t)(o - out);
}

size_t
sm_canon_final(sm_canon *canon, unsigned char *out)
{
	if (!canon->cr)
		return 0;
	canon->cr = false;
	out[0] = '\n';
	return 1;
}
