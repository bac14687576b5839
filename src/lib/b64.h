/* SPDX-License-Identifier: MIT */
/*
 * Streaming base64 (RFC 2045 / RFC 4648 alphabet) for MIME bodies: an encoder
 * writing CRLF-terminated lines and a decoder that skips line breaks.  Both
 * work into caller buffers sized with the _bound functions, keep their state
 * in the stream object, and never allocate.  An AVX-512 VBMI or AVX2
 * implementation is chosen at init time when the CPU has it; results are
 * identical to the portable one.
 */
#ifndef SM_B64_H
#define SM_B64_H

#include "internal.h"

/*
 * Which implementation a stream uses; AUTO picks the best the CPU has:
 * VBMI (AVX-512 VBMI, 48 bytes / 64 characters a step), else AVX2, else
 * PORTABLE.  One asked for that the CPU lacks falls back the same way.
 */
typedef enum sm_b64_impl {
	SM_B64_AUTO = 0,
	SM_B64_PORTABLE = 1,
	SM_B64_AVX2 = 2,
	SM_B64_VBMI = 3
} sm_b64_impl;

/* True when this build and this CPU can run the AVX2 implementation. */
bool sm_b64_have_avx2(void);

/* True when this build and this CPU can run the AVX-512 VBMI one. */
bool sm_b64_have_vbmi(void);

/* MIME's line length (RFC 2045 6.8): 76 characters, then CRLF. */
#define SM_B64_MIME_LINE 76

typedef struct sm_b64_enc {
	unsigned char tail[3]; /* input bytes not yet forming a group */
	unsigned int ntail;
	unsigned int col;      /* characters on the current output line */
	unsigned int line_len; /* 0: one long line without line breaks */
	sm_b64_impl impl;      /* resolved: PORTABLE, AVX2 or VBMI */
} sm_b64_enc;

/*
 * Start encoding.  `line_len` is the number of characters per line, a
 * multiple of 4 (SM_B64_MIME_LINE for MIME), or 0 for no line breaks.  Each
 * line ends with CRLF, the last one included.  An implementation asked for
 * on a CPU without it falls back (VBMI to AVX2 to PORTABLE).
 */
void sm_b64_enc_init(sm_b64_enc *enc, unsigned int line_len, sm_b64_impl impl);

/* Most bytes that sm_b64_enc_update can write for `len` input bytes. */
size_t sm_b64_enc_bound(const sm_b64_enc *enc, size_t len);

/*
 * Encode `len` bytes into `out` (at least sm_b64_enc_bound bytes); returns the
 * number of bytes written.  Up to two input bytes are held for the next call.
 */
size_t sm_b64_enc_update(sm_b64_enc *enc,
                         unsigned char *out,
                         const unsigned char *in,
                         size_t len);

/*
 * Finish: pad the last group and end the last line.  `out` needs at least
 * SM_B64_ENC_FINAL_MAX bytes; returns the number written.
 */
#define SM_B64_ENC_FINAL_MAX 6
size_t sm_b64_enc_final(sm_b64_enc *enc, unsigned char *out);

/*
 * Decoder modes.  STRICT: space, tab, CR and LF are skipped anywhere; any
 * other character outside the alphabet, '=' in the first two places of a
 * group, data after the padding, a missing or incomplete padding and a
 * truncated last group are errors (EBADDATA naming the offset).  LENIENT is
 * RFC 2045 6.8's rule for mail: characters outside the alphabet are ignored,
 * everything after the padding is ignored, a missing padding is accepted; a
 * last group of one character is still an error (it holds no byte).  In both
 * modes the unused low bits of a padded group are not checked.
 */
typedef enum sm_b64_mode { SM_B64_STRICT = 0, SM_B64_LENIENT = 1 } sm_b64_mode;

#define SM_B64_READER_IN ((size_t)64 << 10)

typedef struct sm_b64_dec {
	uint32_t acc;      /* bits of the current group */
	unsigned int nacc; /* characters in the current group */
	unsigned int npad; /* '=' seen in the current group */
	bool done;         /* padding complete: the data has ended */
	sm_b64_mode mode;
	sm_b64_impl impl;
	uint64_t offset; /* input characters consumed, for error messages */
} sm_b64_dec;

void sm_b64_dec_init(sm_b64_dec *dec, sm_b64_mode mode, sm_b64_impl impl);

/* Most bytes that sm_b64_dec_update can write for `len` input characters. */
size_t sm_b64_dec_bound(size_t len);

/*
 * Decode `len` characters into `out` (at least sm_b64_dec_bound bytes);
 * `*out_len` is set to the number of bytes written.  EBADDATA on invalid
 * input (see the modes); the stream is then unusable.
 */
int sm_b64_dec_update(sm_b64_dec *dec,
                      unsigned char *out,
                      size_t *out_len,
                      const unsigned char *in,
                      size_t len,
                      sealmail_error *err);

/*
 * End of input: checks the last group (and, LENIENT, writes the bytes of an
 * unpadded one: up to 2 into `out`).  EBADDATA when the data is truncated.
 */
int sm_b64_dec_final(sm_b64_dec *dec,
                     unsigned char *out,
                     size_t *out_len,
                     sealmail_error *err);

/*
 * A pull adapter: sm_b64_reader_read is a sealmail_read_cb that returns the
 * bytes decoded from the base64 text another read callback gives, so a MIME
 * part's body can feed sm_cms_reader_new without a whole-message buffer.
 * About 100 KiB: allocate it, do not put it on the stack.  On a decoding
 * error the read returns EBADDATA and `err` holds the message.
 */
typedef struct sm_b64_reader {
	sealmail_read_cb read;
	void *payload;
	sm_b64_dec dec;
	bool done;
	size_t out_pos, out_len;
	sealmail_error err;
	unsigned char in[SM_B64_READER_IN];
	unsigned char out[SM_B64_READER_IN / 4 * 3 + 3];
} sm_b64_reader;

void sm_b64_reader_init(sm_b64_reader *reader,
                        sealmail_read_cb read,
                        void *payload,
                        sm_b64_mode mode,
                        sm_b64_impl impl);

/* sealmail_read_cb: `payload` is the sm_b64_reader. */
long sm_b64_reader_read(void *buf, size_t len, void *payload);

#endif
