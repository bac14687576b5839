/* SPDX-License-Identifier: MIT */
/*
 * Streaming CRLF canonicalisation (RFC 5751 3.1.1): bare LF and bare CR
 * become CRLF, CRLF stays.  State crosses chunk boundaries, so any split of
 * the input gives the same output; no allocation.  Vectorised with AVX2 when
 * the CPU has it (chosen per stream), SWAR otherwise; LF text with AVX-512
 * VBMI2 (a CR put in before each LF by one expand per 32 bytes).
 */
#ifndef SM_CANON_H
#define SM_CANON_H

#include "internal.h"

typedef enum sm_canon_impl {
	SM_CANON_AUTO = 0,
	SM_CANON_PORTABLE = 1,
	SM_CANON_AVX2 = 2,
	SM_CANON_AVX512 = 3 /* scan: AVX-512BW; sm_canon: + VBMI2, BMI2 */
} sm_canon_impl;

typedef struct sm_canon {
	bool cr; /* the last byte written was a CR still waiting for its LF */
	sm_canon_impl impl; /* resolved: PORTABLE, AVX2 or AVX512 */
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

/*
 * Can a leaf part's content be signed as it is?  A streaming check of the
 * rules of mime.c's canonical writer: it needs a transfer encoding when it
 * holds a byte over 0x7f or a NUL, a line over 998 bytes, white space
 * before a line end, "From " at a line start, a CR not followed by LF or a
 * CR at the end.  `bare_lf` says whether some LF has no CR before it: when
 * it stays false, the content is canonical as it is (sm_canon would copy
 * it unchanged).  64 bytes per step as bit masks with AVX-512BW (AUTO picks
 * it when the CPU has it) or AVX2, whole lines otherwise (portable).
 */
typedef struct sm_canon_scan {
	uint64_t pos;         /* bytes seen */
	uint64_t line_start;  /* offset of the current line's first byte */
	unsigned char p1, p2; /* the last two bytes (0 before the start) */
	int from;             /* "From " bytes matched at a line start, -1 */
	bool dirty;           /* needs a transfer encoding */
	bool bare_lf;         /* some LF has no CR before it */
	sm_canon_impl impl;   /* resolved: PORTABLE, AVX2 or AVX512 */
} sm_canon_scan;

void sm_canon_scan_init(sm_canon_scan *scan, sm_canon_impl impl);

/* Scan the next `len` bytes; once `dirty` is set, the rest is skipped. */
void
sm_canon_scan_update(sm_canon_scan *scan, const unsigned char *p, size_t len);

/* End of the content: true when it may go as it is (not dirty). */
bool sm_canon_scan_final(sm_canon_scan *scan);

#endif
