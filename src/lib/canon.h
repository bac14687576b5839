/* SPDX-License-Identifier: MIT */
/*
 * Streaming CRLF canonicalisation (RFC 5751 3.1.1): bare LF and bare CR
 * become CRLF, CRLF stays.  State crosses chunk boundaries, so any split of
 * the input gives the same output; no allocation.  Vectorised with AVX2 when
 * the CPU has it (chosen per stream), SWAR otherwise.
 */
#ifndef SM_CANON_H
#define SM_CANON_H

#include "internal.h"

typedef enum sm_canon_impl {
	SM_CANON_AUTO = 0,
	SM_CANON_PORTABLE = 1,
	SM_CANON_AVX2 = 2
} sm_canon_impl;

typedef struct sm_canon {
	bool cr; /* the last byte written was a CR still waiting for its LF */
	sm_canon_impl impl; /* resolved: PORTABLE or AVX2 */
} sm_canon;

void sm_canon_init(sm_canon *canon, sm_canon_impl impl);

/* Most bytes sm_canon_update can write for `len` input bytes. */
static inline size_t
sm_canon_bound(size_t len)
{
	return 2 * len + 1;
}

/*
 * Canonicalise `len` bytes into `out` (at least sm_canon_bound(len) bytes);
 * returns the number of bytes written.  A CR is written at once; the LF that
 * follows it is written by the next call (or by sm_canon_final).
 */
size_t sm_canon_update(sm_canon *canon,
                       unsigned char *out,
                       const unsigned char *in,
                       size_t len);

/* End of input: completes a trailing bare CR.  Writes at most 1 byte. */
size_t sm_canon_final(sm_canon *canon, unsigned char *out);

#endif
