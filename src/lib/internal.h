/* SPDX-License-Identifier: MIT */
/*
 * Included first by every library file: the public API, allocation that a
 * test build can make fail, secret wiping, bounded buffers and error setters.
 * No third-party header may be included here.
 */
#ifndef SM_INTERNAL_H
#define SM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sealmail/sealmail.h"

#if defined(__GNUC__) || defined(__clang__)
#define SM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SM_PRINTF(f, a)
#endif

#define SM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The longest e-mail address sealmail accepts anywhere (digital IDs,
 * accounts, certificates, From checks, SMTP envelopes): a path is at most
 * 256 octets with its angle brackets (RFC 5321 4.5.3.1.3).
 */
#define SM_ADDRESS_MAX 254

/*
 * Fill `err` (which may be NULL) with `code` and a one-line message, and
 * return `code`, so that `return sm_error_set(err, ...)` reads naturally.
 * Control characters in the formatted message are replaced by '?', so text
 * taken from hostile input can never break the one-line rule.
 */
int sm_error_set(sealmail_error *err, int code, const char *fmt, ...)
        SM_PRINTF(3, 4);
int sm_error_vset(sealmail_error *err, int code, const char *fmt, va_list ap)
        SM_PRINTF(3, 0);

/* Out of memory: sets ENOMEM with a fixed message, never allocates. */
int sm_error_nomem(sealmail_error *err);

#ifdef __clang_analyzer__
/*
 * For clang-tidy only: the analyser sees one file at a time, so it does not
 * know that these return their (negative) code and follows "failed, yet
 * returned SEALMAIL_OK" paths to null dereferences that cannot happen.
 */
#define sm_error_set(err, code, ...) \
	(sm_error_set((err), (code), __VA_ARGS__), (code))
#define sm_error_nomem(err) (sm_error_nomem(err), SEALMAIL_ENOMEM)
#endif

/*
 * Allocation.  All library allocations go through these so that a test build
 * can fail the Nth one (sm_alloc_fail_after).
 */
void *sm_malloc(size_t size);
void *sm_calloc(size_t count, size_t size);
void *sm_realloc(void *ptr, size_t size);
char *sm_strdup(const char *s);
char *sm_strndup(const char *s, size_t n);
void sm_free(void *ptr);
/* Test hook: fail every allocation after `n` more succeed; -1 disables. */
void sm_alloc_fail_after(long n);

/*
 * The input's file descriptor when it reads a regular file (io.c), with the
 * bytes left to read at [*pos_out, *pos_out + *size_out); the input counts
 * as read to the end.  -1 (nothing changed) for anything else.
 */
int sm_input_file(sealmail_input *in, off_t *pos_out, off_t *size_out);

/*
 * A place to come back to in a path output (its private temporary, not yet
 * committed) or in a caller's descriptor that is a regular file written at
 * its end (standard output redirected to a file; not in append mode, not
 * also standard error): flushes and returns the offset, or -1 when the
 * output cannot be rewound (a pipe, a terminal, a callback, a failure).
 * sm_output_rewind forgets everything written after `mark` (truncates).
 */
off_t sm_output_mark(sealmail_output *out);
int sm_output_rewind(sealmail_output *out, off_t mark, sealmail_error *err);

/*
 * Write `len` bytes of the file `fd` at `off` to the output in the kernel
 * (sendfile: no copy through user memory; to /dev/null, nothing read).
 * SM_OUTPUT_NO_COPY (positive, nothing written) when the output is not a
 * descriptor or the kernel cannot do it for this pair: write the bytes
 * the usual way.
 */
#define SM_OUTPUT_NO_COPY 1
int sm_output_copy_fd(sealmail_output *out,
                      int fd,
                      off_t off,
                      off_t len,
                      sealmail_error *err);

/*
 * A descriptor or path output hands its bytes to a writer thread of its own
 * once it has been given more than SM_OUTPUT_WRITER_START bytes, through a
 * ring of SM_OUTPUT_RING buffers of SM_OUTPUT_SLOT bytes (io.c); never a
 * callback output.  sm_output_threaded: whether the thread runs (tests).
 */
#define SM_OUTPUT_WRITER_START ((size_t)2 << 20)
#define SM_OUTPUT_SLOT ((size_t)256 << 10)
#define SM_OUTPUT_RING 8
bool sm_output_threaded(const sealmail_output *out);
/*
 * A path output's thread writes whole slots past the first straight to the
 * disk (O_DIRECT, when the file system takes it, while the disk keeps up),
 * and so does a caller's descriptor's with sealmail_output_set_direct:
 * sm_output_direct_bytes, how many bytes went so, read once the thread is
 * drained (mark, settle, commit).  sm_output_set_dio_align: the alignment of
 * offset and length those writes keep (4096; tests set 1 to reach the file
 * system's refusal of an unaligned one, after which the output writes the usual
 * way).
 */
uint64_t sm_output_direct_bytes(const sealmail_output *out);
void sm_output_set_dio_align(sealmail_output *out, size_t align);
/*
 * How many times the caller woke the sleeping writer thread (tests): once
 * half the ring is queued, or at a wait for a free buffer, a drain or the
 * end, not for every buffer.
 */
uint64_t sm_output_wakeups(const sealmail_output *out);
/*
 * An output written for now but committed later (protect's Bcc copies):
 * everything written, its writer thread ended and its buffers freed, so
 * that outputs waiting for their commit hold no thread and no ring (a
 * later write starts them again).  The writer's failure, if any.
 */
int sm_output_settle(sealmail_output *out, sealmail_error *err);

/*
 * When `out` failed, its first failure's status and reason into `err` and
 * true: a write callback's caller (the MIME and CMS layers pass no error)
 * says then why the output failed rather than what it was writing.
 */
bool sm_output_failure(const sealmail_output *out, sealmail_error *err);
/*
 * Whether nothing written to `out` reaches anyone before its caller commits
 * it: a path output (its temporary is renamed into place by the commit and
 * removed otherwise) or /dev/null (nothing ever reaches anyone).  Content
 * not yet checked may be written to such an output as it is read.
 */
bool sm_output_held(const sealmail_output *out);
/* What the output's error messages start with ("output" or the path). */
int
sm_output_set_name(sealmail_output *out, const char *name, sealmail_error *err);

/*
 * Writing in place, for a producer that can put its bytes straight into
 * the writer thread's buffer instead of handing them over to be copied
 * (the base64 encoder).  sm_output_reserve: room for at least `min` bytes
 * (at most SM_OUTPUT_SLOT) at *at, *room bytes long; *at is NULL when the
 * output has no writer thread (then use sealmail_output_write).  Nothing
 * else may be written to the output between the two calls.
 * sm_output_advance: the first `n` bytes of that room are output.  Both
 * return the writer's failure like sealmail_output_write.
 */
int sm_output_reserve(sealmail_output *out,
                      size_t min,
                      unsigned char **at,
                      size_t *room,
                      sealmail_error *err);
int sm_output_advance(sealmail_output *out, size_t n, sealmail_error *err);

/* Wipe memory in a way the compiler may not remove. */
void sm_wipe(void *ptr, size_t len);
/* Wipe a NUL-terminated string and free it; accepts NULL. */
void sm_free_secret_str(char *s);

/*
 * A growable byte buffer with a declared maximum (curl's dynbuf).  Always
 * NUL-terminated after its `len` bytes so text can be used as a C string.
 * A buffer flagged `secret` is wiped before its memory is released.
 */
typedef struct sm_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t max;
	bool secret;
} sm_buf;

#define SM_BUF_MAX_DEFAULT ((size_t)64 << 20)

void sm_buf_init(sm_buf *buf, size_t max);
void sm_buf_init_secret(sm_buf *buf, size_t max);
/* Make room for `extra` more bytes (plus the NUL) without changing len. */
int sm_buf_reserve(sm_buf *buf, size_t extra, sealmail_error *err);
int
sm_buf_append(sm_buf *buf, const void *data, size_t len, sealmail_error *err);
int sm_buf_puts(sm_buf *buf, const char *s, sealmail_error *err);
int sm_buf_printf(sm_buf *buf, sealmail_error *err, const char *fmt, ...)
        SM_PRINTF(3, 4);
void sm_buf_reset(sm_buf *buf);
void sm_buf_free(sm_buf *buf);
/* Hand the buffer's memory to the caller (NUL-terminated); buf is reset. */
unsigned char *sm_buf_detach(sm_buf *buf, size_t *len_out);

/* Read a whole small file (certificates, keys) of at most `max` bytes. */
int
sm_read_file(sm_buf *out, const char *path, size_t max, sealmail_error *err);

/*
 * Write `len` bytes to `path` atomically: a 0600 temporary in the same folder,
 * fsync, rename.  A failure leaves no file behind.
 */
int sm_write_file_atomic(const char *path,
                         const void *data,
                         size_t len,
                         sealmail_error *err);

/*
 * Write all `len` bytes to `fd`, again after a signal: 0, or the errno of
 * the write that failed (EIO for a write that wrote nothing).
 */
int sm_write_all(int fd, const void *data, size_t len);

/* Lower-case an e-mail address in place (ASCII only). */
void sm_address_lower(char *addr);

/* Hex of `len` bytes into `out` (2*len+1 bytes). */
void sm_hex(char *out, const unsigned char *data, size_t len);

#endif
