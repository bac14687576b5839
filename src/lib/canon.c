/* SPDX-License-Identifier: MIT */
/*
 * CRLF canonicalisation: copy runs without CR or LF in bulk (32 bytes per
 * step with AVX2, 8 with SWAR; LF text 32 bytes a step with AVX-512 VBMI2)
 * and handle line ends one at a time.  The only state is whether a CR was
 * just written.  sm_canon_scan checks whether content may be signed as it
 * is, 64 bytes at a time as bit masks.
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
		/* (the check also says whether the OS saves AVX-512 state) */
		if (impl != SM_CANON_AVX2 && canon->impl == SM_CANON_AVX2 &&
		    __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("avx512vbmi2") &&
		    __builtin_cpu_supports("bmi2"))
			canon->impl = SM_CANON_AVX512;
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

/*
 * LF text 32 bytes a step: a CR goes in before each LF with one VBMI2
 * expand.  The input bytes take the odd slots of 64 and a CR the even slot
 * before each LF (pdep); pext of the odd slots over the slots in use gives
 * where the bytes land among the 32 + LFs output bytes, the others are
 * CR.  Stops at a step holding a CR (sm_canon_update's loop handles CRLF
 * and bare CR).  Stores 64 bytes a step: the output has room (at most 2
 * bytes per input byte before the step, 32 more input bytes after it).
 * Returns the input bytes taken; *wrote, the output bytes.
 */
__attribute__((target("avx2,avx512f,avx512bw,avx512vbmi2,bmi2"))) static size_t
lf_expand(unsigned char *o, const unsigned char *p, size_t n, size_t *wrote)
{
	const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
	const __m512i crs = _mm512_set1_epi8('\r');
	size_t i = 0, w = 0;

	while (n - i >= 32) {
		__m256i v = _mm256_loadu_si256(
		        (const __m256i *)(const void *)(p + i));
		uint32_t mlf = (uint32_t)_mm256_movemask_epi8(
		        _mm256_cmpeq_epi8(v, lf));
		uint64_t present, dest;

		if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, cr)) != 0)
			break;
		present = 0xAAAAAAAAAAAAAAAAull |
		          _pdep_u64(mlf, 0x5555555555555555ull);
		dest = _pext_u64(0xAAAAAAAAAAAAAAAAull, present);
		_mm512_storeu_si512(
		        (void *)(o + w),
		        _mm512_mask_expand_epi8(crs, dest,
		                                _mm512_castsi256_si512(v)));
		i += 32;
		w += 32 + (size_t)__builtin_popcount(mlf);
	}
	*wrote = w;
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
			if (canon->impl == SM_CANON_AVX512) {
				size_t w;
				n = lf_expand(o, p, (size_t)(end - p), &w);
				o += w;
				p += n;
				if (p == end)
					break;
			}
			if (canon->impl != SM_CANON_PORTABLE) {
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

/* ---- the check whether content may go as it is ------------------------ */

void
sm_canon_scan_init(sm_canon_scan *scan, sm_canon_impl impl)
{
	sm_canon c;

	sm_canon_init(&c, impl);
	memset(scan, 0, sizeof(*scan));
	scan->from = -1;
	scan->impl = c.impl;
#if SM_CANON_X86
	/* (the check also says whether the OS saves the AVX-512 registers) */
	if (c.impl == SM_CANON_AVX2 && impl != SM_CANON_AVX2 &&
	    __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw"))
		scan->impl = SM_CANON_AVX512;
#endif
}

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* One byte, every rule: the reference the vector steps must agree with. */
static void
scan_byte(sm_canon_scan *s, unsigned char c)
{
	if (c == 0 || c >= 0x80 || (s->p1 == '\r' && c != '\n'))
		s->dirty = true;
	if (s->pos == s->line_start)
		s->from = 0;
	if (s->from >= 0) {
		if (c == (unsigned char)"From "[s->from]) {
			if (++s->from == 5) {
				s->dirty = true;
				s->from = -1;
			}
		} else {
			s->from = -1;
		}
	}
	if (c == '\n') {
		if (s->p1 != '\r')
			s->bare_lf = true;
		if (is_ws(s->p1) || (s->p1 == '\r' && is_ws(s->p2)))
			s->dirty = true;
		if (s->pos - s->line_start > 998)
			s->dirty = true;
		s->line_start = s->pos + 1;
	} else if (s->pos - s->line_start >= 998) {
		s->dirty =
		        true; /* over 998 bytes before its LF, whatever comes */
	}
	s->p2 = s->p1;
	s->p1 = c;
	s->pos++;
}

/*
 * Portable: whole lines, each found with memchr (libc's is vectorised):
 * NUL and 8-bit bytes 8 at a time, a CR inside the line, then the rules
 * at its LF.  Returns how many bytes it took (up to the last LF).
 */
static size_t
scan_lines(sm_canon_scan *s, const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (s->from >= 0)
		return 0;
	while (i < n && !s->dirty) {
		const unsigned char *nl = memchr(p + i, '\n', n - i);
		size_t e, k;
		unsigned char b1, b2;

		if (nl == NULL)
			break;
		e = (size_t)(nl - p);
		for (k = i; k + 8 <= e; k += 8) {
			uint64_t x;
			memcpy(&x, p + k, 8);
			if ((x & SWAR_HIGH) ||
			    ((x - SWAR_ONES) & ~x & SWAR_HIGH))
				s->dirty = true;
		}
		for (; k < e; k++)
			if (p[k] == 0 || p[k] >= 0x80)
				s->dirty = true;
		/* a CR followed by something other than LF */
		if ((s->p1 == '\r' && e > i) ||
		    (e > i + 1 && memchr(p + i, '\r', e - i - 1) != NULL))
			s->dirty = true;
		if (s->pos == s->line_start && e - i >= 5 &&
		    memcmp(p + i, "From ", 5) == 0)
			s->dirty = true;
		b1 = e > i ? p[e - 1] : s->p1;
		b2 = e > i + 1 ? p[e - 2] : e == i + 1 ? s->p1 : s->p2;
		if (b1 != '\r')
			s->bare_lf = true;
		if (is_ws(b1) || (b1 == '\r' && is_ws(b2)))
			s->dirty = true;
		if (s->pos + (e - i) - s->line_start > 998)
			s->dirty = true;
		s->pos += e - i + 1;
		s->line_start = s->pos;
		s->p2 = b1;
		s->p1 = '\n';
		i = e + 1;
	}
	return i;
}

#if SM_CANON_X86
/*
 * The rules for one 64-byte block given its bit masks (bit i: byte i):
 * `bad` NUL or 8-bit, `lf`, `cr`, `ws` space or tab, `f` 'F'.  The state
 * travels in `st` (locals of the caller, kept in registers).  Needs 4
 * bytes past the block to check a "From " candidate there.
 */
typedef struct scan_regs {
	uint64_t pos, line_start;
	uint64_t p1_cr, p1_ws, p2_ws; /* the bytes before the block, as bits */
	uint64_t flaws, bare;         /* non-zero: dirty, bare_lf */
} scan_regs;

static inline void block_rules(scan_regs *st,
                               const unsigned char *b,
                               uint64_t bad,
                               uint64_t lf,
                               uint64_t cr,
                               uint64_t ws,
                               uint64_t f) __attribute__((always_inline));

static inline void
block_rules(scan_regs *st,
            const unsigned char *b,
            uint64_t bad,
            uint64_t lf,
            uint64_t cr,
            uint64_t ws,
            uint64_t f)
{
	uint64_t cr_prev = cr << 1 | st->p1_cr;
	uint64_t ws_prev = ws << 1 | st->p1_ws;
	uint64_t ws_prev2 = ws << 2 | st->p1_ws << 1 | st->p2_ws;
	uint64_t starts = lf << 1 | (uint64_t)(st->pos == st->line_start);
	uint64_t m;

	st->flaws |=
	        bad | (cr_prev & ~lf) | (lf & (ws_prev | (cr_prev & ws_prev2)));
	st->bare |= lf & ~cr_prev;
	for (m = starts & f; m != 0; m &= m - 1)
		if (memcmp(b + __builtin_ctzll(m), "From ", 5) == 0)
			st->flaws |= 1;
	/*
	 * Line lengths: only the block's first LF can end a long line (the
	 * others are under 64 bytes after the one before); with no LF, a
	 * line with 998 bytes before the block's last byte will be too long
	 * whatever comes: found here, not at its end.
	 */
	if (lf != 0) {
		if (st->pos + (uint64_t)__builtin_ctzll(lf) - st->line_start >
		    998)
			st->flaws |= 1;
		st->line_start = st->pos + 64 - (uint64_t)__builtin_clzll(lf);
	} else if (st->pos + 63 - st->line_start >= 998) {
		st->flaws |= 1;
	}
	st->p2_ws = ws >> 62 & 1;
	st->p1_ws = ws >> 63;
	st->p1_cr = cr >> 63;
	st->pos += 64;
}

static void
regs_load(scan_regs *st, const sm_canon_scan *s)
{
	st->pos = s->pos;
	st->line_start = s->line_start;
	st->p1_cr = s->p1 == '\r';
	st->p1_ws = is_ws(s->p1);
	st->p2_ws = is_ws(s->p2);
	st->flaws = s->dirty;
	st->bare = s->bare_lf;
}

static void
regs_store(sm_canon_scan *s, const scan_regs *st, const unsigned char *end)
{
	s->pos = st->pos;
	s->line_start = st->line_start;
	s->p2 = end[-2];
	s->p1 = end[-1];
	s->dirty = st->flaws != 0;
	s->bare_lf = st->bare != 0;
}

static inline uint64_t eq64(__m256i lo, __m256i hi, char c)
        __attribute__((target("avx2"), always_inline));

static inline uint64_t
eq64(__m256i lo, __m256i hi, char c)
{
	__m256i v = _mm256_set1_epi8(c);

	return (uint64_t)(uint32_t)_mm256_movemask_epi8(
	               _mm256_cmpeq_epi8(lo, v)) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(
	               _mm256_cmpeq_epi8(hi, v))
	               << 32;
}

/*
 * This is often the first read of the content (mapped page cache, 4 KiB
 * pages the hardware prefetcher stops at): asking 2 KiB ahead doubles the
 * speed from memory.  A prefetch never faults, past the end included.
 */
enum { SCAN_PREFETCH = 2048 };

/*
 * Plain text (CRLF lines, or LF lines once a bare LF was seen; no NUL, no
 * 8-bit byte) takes a fast path: the bytes one and two before each byte
 * are loaded too (no carries between blocks), and a block is plain when
 * each CR has an LF after it, no byte is at most 0 as a signed byte (NUL
 * or 8-bit), no LF has a space or tab before it or before its CR (tested
 * as `v | 0x29 == 0x29`, which lets 0x00 0x01 0x08 0x21 0x28 0x29 through
 * to the exact rules too), no line starts with 'F', and its line cannot
 * reach 999 bytes.  Any other block goes through block_rules (exact),
 * which notes the first bare LF (bare_lf): after it, LFs without CR are
 * plain.  The plain runs start 64
 * bytes into the piece, so the two bytes before are in it.
 *
 * While blocks are plain, `ls` is at most the line start (the start of
 * the last block with an LF), so a line in the next block stays under 999
 * bytes while pos - ls <= 934; `last` is that block's LF mask.  This hands
 * the exact state back after a run of plain blocks [i, j).
 */
static size_t
plain_end(scan_regs *st,
          const unsigned char *p,
          size_t i,
          size_t j,
          uint64_t ls,
          uint64_t last)
{
	if (j == i)
		return j;
	if (last != 0)
		st->line_start = ls + 64 - (uint64_t)__builtin_clzll(last);
	st->pos += j - i;
	st->p1_cr = p[j - 1] == '\r';
	st->p1_ws = is_ws(p[j - 1]);
	st->p2_ws = is_ws(p[j - 2]);
	return j;
}

enum { PLAIN_REACH = 998 - 64 };

/*
 * One 32-byte half.  Until a bare LF has been seen (lf_ok false) the
 * stricter test runs, every LF with its CR: canonical CRLF text, the
 * common case, costs less that way; after it, an LF needs no CR but must
 * not follow a space or tab either.
 */
static inline __m256i
plain_half(const unsigned char *b, bool lf_ok, __m256i *lf_out)
        __attribute__((target("avx2"), always_inline));

static inline __m256i
plain_half(const unsigned char *b, bool lf_ok, __m256i *lf_out)
{
	const __m256i w = _mm256_set1_epi8(0x29);
	__m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)b);
	__m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(b - 1));
	__m256i v2 = _mm256_loadu_si256((const __m256i *)(const void *)(b - 2));
	__m256i lf = _mm256_cmpeq_epi8(v0, _mm256_set1_epi8('\n'));
	__m256i cr1 = _mm256_cmpeq_epi8(v1, _mm256_set1_epi8('\r'));
	__m256i ws2 = _mm256_and_si256(
	        cr1, _mm256_cmpeq_epi8(_mm256_or_si256(v2, w), w));
	__m256i from =
	        _mm256_and_si256(_mm256_cmpeq_epi8(v1, _mm256_set1_epi8('\n')),
	                         _mm256_cmpeq_epi8(v0, _mm256_set1_epi8('F')));
	/* a CR not followed by LF (unless lf_ok, an LF without CR too) */
	__m256i odd = lf_ok ? _mm256_andnot_si256(lf, cr1)
	                    : _mm256_xor_si256(lf, cr1);

	odd = _mm256_or_si256(odd, _mm256_cmpgt_epi8(_mm256_set1_epi8(1), v0));
	odd = _mm256_or_si256(odd, from);
	if (lf_ok) {
		__m256i ws1 = _mm256_cmpeq_epi8(_mm256_or_si256(v1, w), w);
		ws2 = _mm256_or_si256(ws2, ws1);
	}
	*lf_out = lf;
	return _mm256_or_si256(odd, _mm256_and_si256(lf, ws2));
}

__attribute__((target("avx2"))) static size_t
plain_avx2(scan_regs *st, const unsigned char *p, size_t i, size_t n)
{
	uint64_t pos = st->pos, ls = st->line_start, last = 0;
	bool lf_ok = st->bare != 0;
	size_t j = i;

	while (n - j >= 68 && pos - ls <= PLAIN_REACH) {
		__m256i lf0, lf1, odd;
		uint64_t l;

		_mm_prefetch((const char *)p + j + SCAN_PREFETCH, _MM_HINT_T0);
		if (lf_ok)
			odd = _mm256_or_si256(
			        plain_half(p + j, true, &lf0),
			        plain_half(p + j + 32, true, &lf1));
		else
			odd = _mm256_or_si256(
			        plain_half(p + j, false, &lf0),
			        plain_half(p + j + 32, false, &lf1));
		if (!_mm256_testz_si256(odd, odd))
			break;
		l = (uint64_t)(uint32_t)_mm256_movemask_epi8(lf0) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(lf1) << 32;
		if (l != 0) {
			last = l;
			ls = pos;
		}
		pos += 64;
		j += 64;
	}
	return plain_end(st, p, i, j, ls, last);
}

/* The same with AVX-512BW: the classes in mask registers, tested once. */
static inline __mmask64
plain_block(const unsigned char *b, bool lf_ok, __mmask64 *lf_out)
        __attribute__((target("avx512f,avx512bw"), always_inline));

static inline __mmask64
plain_block(const unsigned char *b, bool lf_ok, __mmask64 *lf_out)
{
	const __m512i w = _mm512_set1_epi8(0x29);
	__m512i v0 = _mm512_loadu_si512((const void *)b);
	__m512i v1 = _mm512_loadu_si512((const void *)(b - 1));
	__m512i v2 = _mm512_loadu_si512((const void *)(b - 2));
	__mmask64 lf = _mm512_cmpeq_epi8_mask(v0, _mm512_set1_epi8('\n'));
	__mmask64 cr1 = _mm512_cmpeq_epi8_mask(v1, _mm512_set1_epi8('\r'));
	__mmask64 bad = _mm512_cmple_epi8_mask(v0, _mm512_setzero_si512());
	__mmask64 ws = _mm512_mask_cmpeq_epi8_mask(_kand_mask64(lf, cr1),
	                                           _mm512_or_si512(v2, w), w);
	__mmask64 from = _mm512_mask_cmpeq_epi8_mask(
	        _mm512_cmpeq_epi8_mask(v1, _mm512_set1_epi8('\n')), v0,
	        _mm512_set1_epi8('F'));
	__mmask64 odd;

	if (lf_ok) {
		ws = _kor_mask64(ws, _mm512_mask_cmpeq_epi8_mask(
		                             lf, _mm512_or_si512(v1, w), w));
		odd = _kandn_mask64(lf, cr1);
	} else {
		odd = _kxor_mask64(lf, cr1);
	}
	*lf_out = lf;
	return _kor_mask64(_kor_mask64(odd, bad), _kor_mask64(ws, from));
}

__attribute__((target("avx512f,avx512bw"))) static size_t
plain_avx512(scan_regs *st, const unsigned char *p, size_t i, size_t n)
{
	uint64_t pos = st->pos, ls = st->line_start, last = 0;
	bool lf_ok = st->bare != 0;
	size_t j = i;

	while (n - j >= 68 && pos - ls <= PLAIN_REACH) {
		__mmask64 l, odd;

		_mm_prefetch((const char *)p + j + SCAN_PREFETCH, _MM_HINT_T0);
		odd = lf_ok ? plain_block(p + j, true, &l)
		            : plain_block(p + j, false, &l);
		if (_cvtmask64_u64(odd) != 0)
			break;
		if (_cvtmask64_u64(l) != 0) {
			last = _cvtmask64_u64(l);
			ls = pos;
		}
		pos += 64;
		j += 64;
	}
	return plain_end(st, p, i, j, ls, last);
}

/*
 * 64 bytes a step: plain runs, and the exact rules on the masks of two
 * 32-byte halves for the other blocks; returns how many bytes it took (a
 * multiple of 64, keeping 4 bytes past the last block).
 */
__attribute__((target("avx2"))) static size_t
scan_avx2(sm_canon_scan *s, const unsigned char *p, size_t n)
{
	scan_regs st;
	size_t i = 0;

	if (s->from >= 0)
		return 0;
	regs_load(&st, s);
	while (n - i >= 68 && st.flaws == 0) {
		const unsigned char *b;
		__m256i lo, hi;
		uint64_t bad;

		if (i >= 64) {
			i = plain_avx2(&st, p, i, n);
			if (n - i < 68)
				break;
		}
		b = p + i;
		_mm_prefetch((const char *)b + SCAN_PREFETCH, _MM_HINT_T0);
		lo = _mm256_loadu_si256((const __m256i *)(const void *)b);
		hi = _mm256_loadu_si256(
		        (const __m256i *)(const void *)(b + 32));
		bad = (uint64_t)(uint32_t)_mm256_movemask_epi8(lo) |
		      (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
		bad |= eq64(lo, hi, 0);
		block_rules(&st, b, bad, eq64(lo, hi, '\n'), eq64(lo, hi, '\r'),
		            eq64(lo, hi, ' ') | eq64(lo, hi, '\t'),
		            eq64(lo, hi, 'F'));
		i += 64;
	}
	if (i > 0)
		regs_store(s, &st, p + i);
	return i;
}

/* The same with AVX-512BW. */
__attribute__((target("avx512f,avx512bw"))) static size_t
scan_avx512(sm_canon_scan *s, const unsigned char *p, size_t n)
{
	const __m512i lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r');
	const __m512i sp = _mm512_set1_epi8(' '), tab = _mm512_set1_epi8('\t');
	const __m512i ef = _mm512_set1_epi8('F');
	scan_regs st;
	size_t i = 0;

	if (s->from >= 0)
		return 0;
	regs_load(&st, s);
	while (n - i >= 68 && st.flaws == 0) {
		const unsigned char *b;
		__m512i v;

		if (i >= 64) {
			i = plain_avx512(&st, p, i, n);
			if (n - i < 68)
				break;
		}
		b = p + i;
		_mm_prefetch((const char *)b + SCAN_PREFETCH, _MM_HINT_T0);
		v = _mm512_loadu_si512((const void *)b);
		block_rules(&st, b,
		            _mm512_movepi8_mask(v) |
		                    _mm512_testn_epi8_mask(v, v),
		            _mm512_cmpeq_epi8_mask(v, lf),
		            _mm512_cmpeq_epi8_mask(v, cr),
		            _mm512_cmpeq_epi8_mask(v, sp) |
		                    _mm512_cmpeq_epi8_mask(v, tab),
		            _mm512_cmpeq_epi8_mask(v, ef));
		i += 64;
	}
	if (i > 0)
		regs_store(s, &st, p + i);
	return i;
}
#endif

void
sm_canon_scan_update(sm_canon_scan *s, const unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len && !s->dirty) {
		size_t k;
#if SM_CANON_X86
		if (s->impl == SM_CANON_AVX2 || s->impl == SM_CANON_AVX512) {
			k = s->impl == SM_CANON_AVX512
			            ? scan_avx512(s, p + i, len - i)
			            : scan_avx2(s, p + i, len - i);
			i += k;
			if (k == 0)
				scan_byte(s, p[i++]);
			continue;
		}
#endif
		/*
		 * Whole lines, then the rest (no LF in it) a byte at a time;
		 * a "From " match in progress is finished byte by byte first.
		 */
		k = scan_lines(s, p + i, len - i);
		i += k;
		if (k == 0 && s->from >= 0) {
			scan_byte(s, p[i++]);
			continue;
		}
		while (i < len && !s->dirty)
			scan_byte(s, p[i++]);
	}
}

bool
sm_canon_scan_final(sm_canon_scan *s)
{
	if (s->pos - s->line_start > 998 || s->p1 == '\r')
		s->dirty = true;
	return !s->dirty;
}
