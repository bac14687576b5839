/* SPDX-License-Identifier: MIT */
/*
 * Streams across the API: sealmail_input and sealmail_output, made from a
 * file descriptor, a path, memory, or callbacks.  Messages of any size pass
 * through these in bounded memory; nothing in the API takes "the whole
 * message in a buffer".
 */
#ifndef SEALMAIL_IO_H
#define SEALMAIL_IO_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A source of bytes.  Opaque. */
typedef struct sealmail_input sealmail_input;
/** A sink of bytes.  Opaque. */
typedef struct sealmail_output sealmail_output;

/**
 * Read callback: fill up to `len` bytes of `buf`; return the count, 0 at the
 * end, or a negative status on failure.
 */
typedef long (*sealmail_read_cb)(void *buf, size_t len, void *payload);
/** Write callback: write all `len` bytes; return 0 or a negative status. */
typedef int (*sealmail_write_cb)(const void *buf, size_t len, void *payload);

/** Read from `fd` (not closed by sealmail_input_free). */
SEALMAIL_EXTERN(int)
sealmail_input_new_fd(sealmail_input **out,
                      int fd,
                      sealmail_error *err) SEALMAIL_WARN_UNUSED;
/** Read the file at `path`.  ENOTFOUND, EPERM, EIO. */
SEALMAIL_EXTERN(int)
sealmail_input_new_path(sealmail_input **out,
                        const char *path,
                        sealmail_error *err) SEALMAIL_WARN_UNUSED;
/** Read `len` bytes at `data`; borrowed, must outlive the input. */
SEALMAIL_EXTERN(int)
sealmail_input_new_memory(sealmail_input **out,
                          const void *data,
                          size_t len,
                          sealmail_error *err) SEALMAIL_WARN_UNUSED;
SEALMAIL_EXTERN(int)
sealmail_input_new_callback(sealmail_input **out,
                            sealmail_read_cb read,
                            void *payload,
                            sealmail_error *err) SEALMAIL_WARN_UNUSED;
/**
 * Read up to `len` bytes.  Returns the count (0 at the end) or a negative
 * status.
 */
SEALMAIL_EXTERN(long)
sealmail_input_read(sealmail_input *in,
                    void *buf,
                    size_t len,
                    sealmail_error *err);
/** A name for messages ("-" for standard input, else the path). */
SEALMAIL_EXTERN(const char *) sealmail_input_name(const sealmail_input *in);
/**
 * Name the input for messages and hints (e.g. the mailbox name a message
 * was fetched from); `name` is copied.  ENOMEM.
 */
SEALMAIL_EXTERN(int)
sealmail_input_set_name(sealmail_input *in,
                        const char *name,
                        sealmail_error *err) SEALMAIL_WARN_UNUSED;
SEALMAIL_EXTERN(void) sealmail_input_free(sealmail_input *in);

/**
 * Write to `fd` (not closed by sealmail_output_free).  Once more than 2 MiB
 * have been written to it, a descriptor or path output that is not a
 * character device (/dev/null, a terminal) writes on a thread of its own
 * (8 buffers of 256 KiB between it and the caller): `fd` is the
 * output's until sealmail_output_commit or sealmail_output_free, which
 * wait for that thread; a failed write(2) on it is returned by a later
 * sealmail_output_write or by sealmail_output_commit.  SIGPIPE follows
 * the calling thread's signal mask.  A child made by fork(2) while that
 * thread runs has no such thread: it must not use the output (only free
 * it is not safe either; let the child exec or _exit).
 */
SEALMAIL_EXTERN(int)
sealmail_output_new_fd(sealmail_output **out,
                       int fd,
                       sealmail_error *err) SEALMAIL_WARN_UNUSED;
/**
 * Let a descriptor output's writer thread write whole 4096-byte blocks
 * of `fd` straight to the disk (O_DIRECT: no copy into the page cache),
 * for a file that is kept rather than read back at once (standard output
 * redirected to a file).  Only when `fd` is a regular file open for
 * writing, not in append mode, not synchronous (O_SYNC, O_DSYNC) and not
 * also standard error; the writes go through a second descriptor of the
 * same file (reopened through /proc/self/fd) at explicit offsets from
 * `fd`'s offset when the thread starts, so `fd`'s own flags never change
 * and its offset is at the end of what was written once the output is
 * committed, freed or has failed.  The first bytes up to a multiple of
 * 256 KiB and the last ones under 4096 bytes go the usual way, and so
 * does everything when the file system refuses O_DIRECT or the disk is
 * slower than the caller.  No effect on path outputs (written so anyway),
 * held outputs, callback outputs or other descriptors.  EINVAL when `o`
 * is NULL or has already been written to: call it before the first write.
 */
SEALMAIL_EXTERN(int)
sealmail_output_set_direct(sealmail_output *o,
                           bool direct,
                           sealmail_error *err) SEALMAIL_WARN_UNUSED;
/**
 * Write to `path` through a 0600 temporary in the same folder, renamed over
 * `path` by sealmail_output_commit().  Freed without a commit, the temporary
 * is removed: a failure never leaves a partial file.  An existing device or
 * FIFO (/dev/null) is written directly instead, never replaced.
 */
SEALMAIL_EXTERN(int)
sealmail_output_new_path(sealmail_output **out,
                         const char *path,
                         sealmail_error *err) SEALMAIL_WARN_UNUSED;
/**
 * Hold everything written back from `fd` (not closed by
 * sealmail_output_free) until sealmail_output_commit, which writes it all
 * to `fd` at its current offset; freed without a commit, nothing reaches
 * `fd`.  For a filter that must not let a reader see any of a message
 * before it is checked (`sealmail open -o -`).  Up to 1 MiB is kept in
 * memory; beyond that the bytes go to a 0600 temporary file in `temp_dir`
 * (NULL: P_tmpdir) that has no name from the start (O_TMPFILE, else
 * removed as soon as made), copied to `fd` in the kernel at the commit.
 * The memory is wiped when freed.  After a commit the output holds
 * nothing; what is written next waits for the next commit.  A failed
 * copy to `fd` fails the output (EIO, "standard output: ..." for fd 1,
 * else "descriptor N: ..."); SIGPIPE as for sealmail_output_new_fd.
 * EINVAL (fd < 0), ENOMEM; EIO, EPERM, ENOTFOUND when the temporary
 * cannot be made (reported by the write that needs it).
 */
SEALMAIL_EXTERN(int)
sealmail_output_new_held(sealmail_output **out,
                         int fd,
                         const char *temp_dir,
                         sealmail_error *err) SEALMAIL_WARN_UNUSED;
/**
 * Hand the bytes to `write`, always on the thread that calls
 * sealmail_output_write / _commit (never on a writer thread).
 */
SEALMAIL_EXTERN(int)
sealmail_output_new_callback(sealmail_output **out,
                             sealmail_write_cb write,
                             void *payload,
                             sealmail_error *err) SEALMAIL_WARN_UNUSED;
SEALMAIL_EXTERN(int)
sealmail_output_write(sealmail_output *o,
                      const void *buf,
                      size_t len,
                      sealmail_error *err) SEALMAIL_WARN_UNUSED;
/**
 * Flush (and wait for the writer thread); for a path output, fsync and
 * rename into place.  EIO, nothing published, once a write has failed.
 */
SEALMAIL_EXTERN(int)
sealmail_output_commit(sealmail_output *o,
                       sealmail_error *err) SEALMAIL_WARN_UNUSED;
/**
 * Free, ending the writer thread; what is still buffered may be dropped
 * (commit first).  An uncommitted path output's temporary is removed.
 */
SEALMAIL_EXTERN(void) sealmail_output_free(sealmail_output *o);

#ifdef __cplusplus
}
#endif

#endif
