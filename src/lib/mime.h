/* SPDX-License-Identifier: MIT */
/*
 * The MIME module's interface, in sealmail's own types: the only door to
 * GMime.  A message is first spooled into an sm_mime_source (memory when
 * small, an unlinked private temporary file beyond), so that every entity can
 * be named by its ORIGINAL byte range: what is verified is always the bytes
 * that arrived, never a re-serialisation (docs/design.md, "Pipeline").
 */
#ifndef SM_MIME_H
#define SM_MIME_H

#include "internal.h"

#include <sys/types.h>

/* Streams in the module's own words (same shapes as crypto.h's). */
typedef int (*sm_mime_write_fn)(const void *buf, size_t len, void *payload);

/* --- sources: the original bytes, random access ------------------------ */

typedef struct sm_mime_source sm_mime_source;

/*
 * Spool `in` to the end (memory up to 1 MiB, then a private temporary); a
 * regular file over 1 MiB is read where it is (mapped), not copied, and the
 * source cannot be appended to (EINVAL); see sm_mime_source_check.
 */
int sm_mime_source_new(sm_mime_source **out,
                       sealmail_input *in,
                       sealmail_error *err);
/*
 * A source over the first `size` bytes of the file `fd` (duplicated: the
 * caller keeps its own), read where they are: no copy, no appending.
 */
int sm_mime_source_new_fd(sm_mime_source **out,
                          int fd,
                          off_t size,
                          sealmail_error *err);
/* A source over `len` bytes at `data` (copied). */
int sm_mime_source_new_memory(sm_mime_source **out,
                              const void *data,
                              size_t len,
                              sealmail_error *err);
/*
 * A growing source, filled with sm_mime_source_append and then read (used
 * for content that comes out of a CMS structure).
 */
int sm_mime_source_new_empty(sm_mime_source **out, sealmail_error *err);
int sm_mime_source_append(sm_mime_source *src,
                          const void *data,
                          size_t len,
                          sealmail_error *err);
/* sm_mime_write_fn shape, payload = the source. */
int sm_mime_source_append_cb(const void *buf, size_t len, void *payload);
off_t sm_mime_source_size(const sm_mime_source *src);
/* Read up to len bytes at off; returns the count (0 at the end) or < 0. */
long sm_mime_source_read(sm_mime_source *src,
                         off_t off,
                         void *buf,
                         size_t len,
                         sealmail_error *err);
/*
 * A view of the bytes at `off`: `*ptr` points at up to `len` of them (the
 * count is returned; 0 at the end, < 0 on error), at least 64 KiB or `len`
 * when the source holds that many.  A source in memory is viewed where it
 * is; a file 256 KiB at a time inside a read-only mapping of (up to) 4 MiB
 * of it
 * (no copy), or through a 256 KiB buffer the source keeps (one read for
 * many views) when it cannot be mapped.  Valid until the next view, append
 * or free of `src`.
 */
long sm_mime_source_view(sm_mime_source *src,
                         off_t off,
                         size_t len,
                         const unsigned char **ptr,
                         sealmail_error *err);
/*
 * The same, but a file's view is always read into the buffer, also where
 * the file is mapped: for a reader that goes over each byte once faster
 * than a mapping's memory arrives (base64 decoding).
 */
long sm_mime_source_view_copy(sm_mime_source *src,
                              off_t off,
                              size_t len,
                              const unsigned char **ptr,
                              sealmail_error *err);
/* Push bytes [start, end) to `write` in bounded pieces. */
int sm_mime_source_copy(sm_mime_source *src,
                        off_t start,
                        off_t end,
                        sm_mime_write_fn write,
                        void *payload,
                        sealmail_error *err);
/*
 * A source made by sm_mime_source_new over a regular file is read where it
 * is (mapped): ECHANGED "<input> changed while it was being read" when the file
 * is no longer as it was when the source was made (another inode, size or
 * modification time; not the change time, which a rename moves);
 * SEALMAIL_OK for any other source.  Also checked before each window of the
 * file is used (mapped here or by the read-ahead thread).
 */
int sm_mime_source_check(const sm_mime_source *src, sealmail_error *err);
/*
 * For tests: the next views of a file come from windows of `bytes` mapped
 * at a time (at least the 256 KiB of a view are mapped), 0: read with
 * pread, never mapped.
 */
void sm_mime_source_set_window(sm_mime_source *src, size_t bytes);
/*
 * For tests: a second thread maps a file's next windows ahead of its
 * (mapped) views while more than `bytes` of it are left after a window
 * read on from the one before (8 MiB unless set); how many such threads
 * the source has started.
 */
void sm_mime_source_set_ahead(sm_mime_source *src, off_t bytes);
unsigned sm_mime_source_threads(const sm_mime_source *src);
/*
 * The file a source reads, with the offset of its first byte in it in
 * `*base`; -1 for a source in memory.
 */
int sm_mime_source_fd(const sm_mime_source *src, off_t *base);
void sm_mime_source_free(sm_mime_source *src);

/* --- entities: header facts and original byte ranges ------------------- */

typedef struct sm_mime_entity {
	off_t start;      /* first header byte */
	off_t body_start; /* first byte after the blank line */
	off_t end;        /* one past the last body byte */
	char type[128]; /* "multipart/signed", lower case; "text/plain" if none
	                 */
	char boundary[128];
	char protocol[128];  /* multipart/signed protocol, lower case */
	char micalg[64];     /* multipart/signed micalg, lower case (a hint) */
	char smime_type[32]; /* application/pkcs7-mime smime-type */
	char filename[128];  /* Content-Disposition filename or name= */
	char encoding[32];   /* Content-Transfer-Encoding, lower case */
	char from[256];      /* message entities: first From address, lower */
	/*
	 * Message entities: every From address, lower case, one a line
	 * ('\n' between them).  When they do not all fit, the last line is
	 * SM_MIME_FROM_MORE, which names no certificate's address.
	 */
	char from_all[1024];
	/* Message entities: decoded Subject; a longer one is cut at a UTF-8
	 * character boundary and ends with SM_MIME_CUT. */
	char subject[256];
	int64_t date; /* message entities: Date (Unix time), 0: none */
	bool has_headers;
} sm_mime_entity;

#define SM_MIME_FROM_MORE "(more addresses)"
#define SM_MIME_CUT " [truncated]"

/*
 * The ASCII form of an address, the one form in which addresses are
 * stored, looked up and compared: the domain as IDNA (punycode, "xn--")
 * and lower case, the local part ASCII lower case.  `addr` lower-cased
 * when it cannot be converted.  Cut to `size`; returns the length of the
 * whole form (as snprintf: `size` or more means it was cut).
 */
size_t sm_mime_address_ascii(char *out, size_t size, const char *addr);

/* The same in a new string (free with sm_free()); NULL: out of memory. */
char *sm_mime_address_ascii_dup(const char *addr);

/*
 * Parse the header block of the entity starting at `start` and ending at
 * `end`.  `message`: the block is a message's (From, Subject wanted).
 * EBADDATA on a header block over 1 MiB.
 */
int sm_mime_entity_parse(sm_mime_entity *e,
                         sm_mime_source *src,
                         off_t start,
                         off_t end,
                         bool message,
                         sealmail_error *err);

/*
 * The children of a multipart entity, as original byte ranges: each child
 * runs from the byte after its delimiter line to the line break before the
 * next delimiter (RFC 2046 5.1.1; that line break belongs to the delimiter).
 * `*ranges_out` holds 2*count offsets (start, end), freed with sm_free.
 * At most `max` children.  EBADDATA when no delimiter is found.
 */
int sm_mime_multipart_children(off_t **ranges_out,
                               size_t *count_out,
                               sm_mime_source *src,
                               const sm_mime_entity *ent,
                               size_t max,
                               sealmail_error *err);

/*
 * The same, and the first child's bytes go to `tap` as the scan passes
 * over them, in order, each once, in the pieces the scan reads (the bytes
 * of a multipart/signed message's signed part, hashed while its end is
 * looked for): the last two bytes seen are held back until the scan knows
 * whether they are the line break before the next delimiter.  The range
 * the tap was given is in tapped[0], tapped[1] (start, end; both -1 when
 * it was given nothing): the caller checks that it is the first child's
 * range before it relies on what the tap computed.
 */
int sm_mime_multipart_children_tap(off_t **ranges_out,
                                   size_t *count_out,
                                   sm_mime_source *src,
                                   const sm_mime_entity *ent,
                                   size_t max,
                                   sm_mime_write_fn tap,
                                   void *payload,
                                   off_t tapped[2],
                                   sealmail_error *err);

/*
 * The first `needle` ("\n--boundary", nlen >= 4 bytes) in p[0, n), or
 * NULL: the multipart scan's search.  AUTO: the fastest the CPU has
 * (AVX-512BW, AVX2, else memmem); the others for tests (an implementation
 * the CPU lacks gives the next one down).
 */
typedef enum {
	SM_MIME_FIND_AUTO,
	SM_MIME_FIND_PORTABLE,
	SM_MIME_FIND_AVX2
} sm_mime_find_impl;
const unsigned char *sm_mime_find_delimiter(sm_mime_find_impl impl,
                                            const unsigned char *p,
                                            size_t n,
                                            const char *needle,
                                            size_t nlen);

/*
 * Decode the entity's body (base64, quoted-printable, or as it is) into
 * `out`, at most out->max bytes (EBADDATA beyond).
 */
int sm_mime_decode_body(sm_buf *out,
                        sm_mime_source *src,
                        const sm_mime_entity *ent,
                        sealmail_error *err);

/*
 * The entity's body with its transfer encoding undone, as a stream in
 * bounded memory whatever its size: base64 (lenient, RFC 2045 6.8, the
 * same as sm_b64's), quoted-printable and uuencode (GMime's decoders, as
 * sm_mime_decode_body), anything else as it is.  Read it with
 * sm_mime_body_read, a sealmail_read_cb whose payload is the body (< 0 on
 * error, the message in sm_mime_body_error).  Uses views of `src`.
 */
typedef struct sm_mime_body sm_mime_body;
int sm_mime_body_new(sm_mime_body **out,
                     sm_mime_source *src,
                     const sm_mime_entity *ent,
                     sealmail_error *err);
long sm_mime_body_read(void *buf, size_t len, void *payload);
/*
 * A hint from a reader that hashes what it read: prefetch the next `len`
 * bytes of base64 text not yet read (at most 128 KiB ahead of what was
 * read); the body then reads a file through its mapping instead of
 * copying it (what is prefetched arrives while the reader hashes).
 */
void sm_mime_body_prefetch(sm_mime_body *body, size_t len);
/*
 * For a reader that does nothing slow with what it reads (copies it out):
 * base64 text of a file is decoded through its mapping, the decoder
 * prefetching its own text a step ahead.
 */
void sm_mime_body_stream(sm_mime_body *body);
const sealmail_error *sm_mime_body_error(const sm_mime_body *body);
void sm_mime_body_free(sm_mime_body *body);

/*
 * Write the header block [start, body_start) without the fields a
 * filter rejects (names compared case-insensitively), with CRLF line ends.
 * `keep_content`: keep Content-* and MIME-Version, else drop them (and Bcc).
 */
int sm_mime_write_headers(sm_mime_source *src,
                          const sm_mime_entity *ent,
                          bool keep_content,
                          sm_mime_write_fn write,
                          void *payload,
                          sealmail_error *err);

/*
 * Write the entity with its transfer encoding undone: the header block with
 * Content-Transfer-Encoding set to `encoding` ("8bit"), the body decoded
 * from its quoted-printable or base64 (the reverse of a server that
 * re-encoded an 8-bit part).  EINVAL when the entity is not encoded.
 */
int sm_mime_write_decoded(sm_mime_source *src,
                          const sm_mime_entity *ent,
                          const char *encoding,
                          sm_mime_write_fn write,
                          void *payload,
                          sealmail_error *err);

/* A recipient named in a message's To, Cc or Bcc (groups flattened). */
typedef enum { SM_MIME_TO, SM_MIME_CC, SM_MIME_BCC } sm_mime_field;
typedef struct sm_mime_rcpt {
	char *address; /* lower case */
	sm_mime_field field;
} sm_mime_rcpt;

/*
 * The recipients of the message entity `ent` (a message's header block),
 * in header order, duplicates removed (the first field wins).  Free with
 * sm_mime_recipients_free.
 */
int sm_mime_recipients(sm_mime_rcpt **out,
                       size_t *count_out,
                       sm_mime_source *src,
                       const sm_mime_entity *ent,
                       sealmail_error *err);
void sm_mime_recipients_free(sm_mime_rcpt *list, size_t count);

/* --- signing: the canonical form of a message's content ---------------- */

/*
 * Write the content of the message in `src` (its Content-* headers and
 * body, the entity that gets signed) in canonical form: CRLF line ends,
 * every leaf part in a 7-bit-safe transfer encoding -- quoted-printable for
 * text, base64 otherwise -- when it holds 8-bit data, NUL, lines over 998
 * bytes, trailing white space or a line starting with "From ".
 */
int sm_mime_write_canonical(sm_mime_source *src,
                            sm_mime_write_fn write,
                            void *payload,
                            sealmail_error *err);

/*
 * The same, and with `speculate` the content of a single leaf part is
 * checked and written in one read, a piece at a time: when a piece shows
 * that it needs a transfer encoding after some of it was written, the call
 * returns SM_MIME_RETRY (positive): the caller forgets what it wrote since
 * the call (output, digest, cipher) and calls again without `speculate`.
 */
#define SM_MIME_RETRY 1

int sm_mime_write_canonical_spec(sm_mime_source *src,
                                 bool speculate,
                                 sm_mime_write_fn write,
                                 void *payload,
                                 sealmail_error *err);

/*
 * The same bytes by GMime's parser and writer alone, without the one-read
 * path for a single leaf part (for tests that compare the two).
 */
int sm_mime_write_canonical_gmime(sm_mime_source *src,
                                  sm_mime_write_fn write,
                                  void *payload,
                                  sealmail_error *err);

/* A fresh random MIME boundary (7-bit, no quoting needed). */
int sm_mime_boundary(char *buf, size_t size, sealmail_error *err);

#endif
