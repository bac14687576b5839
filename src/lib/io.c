/* SPDX-License-Identifier: MIT */
/*
 * sealmail_input and sealmail_output: fd, path, memory and callback streams,
 * with a 64 KiB write buffer (syscalls are dear) and atomic path outputs.
 * A descriptor or path output past WRITER_START bytes hands its bytes to a
 * writer thread of its own (a ring of RING_SLOTS buffers of SLOT_SIZE): the
 * write(2) calls run on the second core while the caller computes, woken
 * once per half ring.  A path output's thread writes to the disk directly
 * (O_DIRECT: no copy into the page cache; its commit syncs the file
 * anyway) while the disk keeps up, and so does a caller's descriptor's
 * where the caller asks and it is safe (sealmail_output_set_direct).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sealmail/io.h"

enum {
	IO_BUF = 64 * 1024,
	/* a path output asks the kernel to start writing every 8 MiB */
	WRITEBACK_STEP = 8 * 1024 * 1024,
	/*
	 * The writer thread: started once an output has been handed this
	 * many bytes (a 4 KiB message never starts one), then a ring of
	 * RING_SLOTS buffers of SLOT_SIZE between the caller and it.  Small
	 * buffers, so that the thread copies them into the page cache while
	 * they are still in a cache (docs/performance.md, "Session 6").
	 */
	WRITER_START = SM_OUTPUT_WRITER_START,
	SLOT_SIZE = SM_OUTPUT_SLOT,
	RING_SLOTS = SM_OUTPUT_RING,
	/*
	 * The sleeping writer is woken once this many slots are queued (or
	 * the caller waits for one, flushes or stops it), and writes until
	 * none is left: one wake-up, a futex call each way, per 1 MiB or
	 * more instead of per slot (performance.md, "Session 8").
	 */
	WAKE_SLOTS = RING_SLOTS / 2,

	/*
	 * A direct write waits for the disk, one request at a time; the page
	 * cache does not (the kernel writes it back with many requests in
	 * flight).  When the caller has found the ring full this many times,
	 * the disk is the slower side (another process's I/O, a slow disk):
	 * the rest is written the usual way, so that the wall time is no
	 * worse than with buffered writes.  A caller's descriptor gives up
	 * sooner: nothing syncs it at the end, so every wait for the disk is
	 * wall time that buffered writes would not have spent (256 MiB signed
	 * at load 5, 20 MiB written directly first: about 20 ms more).
	 */
	DIRECT_STALLS = 16,
	DIRECT_STALLS_FD = 4,
	/*
	 * Room past a slot's end for sm_output_reserve: a producer asking for
	 * up to this much where less is left writes past the end, and what
	 * it wrote there starts the next slot (copied), so that every slot
	 * handed over is whole.
	 */
	SLOT_SPILL = 64 * 1024,
	/* direct writes: buffer address, file offset and length alignment */
	DIO_ALIGN = 4096
};

typedef enum { SRC_FD, SRC_MEM, SRC_CB } src_kind;

struct sealmail_input {
	src_kind kind;
	int fd;
	bool own_fd;
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	sealmail_read_cb read;
	void *payload;
	char *name;
};

/*
 * The ring between the caller and the writer thread.  Slots are filled in
 * ring order: the writer writes slot `head` and the `queued - 1` after it;
 * the caller fills slot (head + queued) % RING_SLOTS, so it waits while
 * all RING_SLOTS are queued.  Everything under `mu` but the bytes of the
 * slots: a slot's bytes belong to whichever side the indexes give it to.
 */
typedef struct writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;             /* the writer waits: writer_due */
	pthread_cond_t done;             /* the caller waits: a slot written */
	unsigned char *slot[RING_SLOTS]; /* DIO_ALIGN-aligned in slot_mem */
	unsigned char *slot_mem[RING_SLOTS];
	size_t slot_len[RING_SLOTS];
	unsigned head, queued;
	bool stop;    /* write what is queued, then end */
	bool flush;   /* write what is queued now (not WAKE_SLOTS first) */
	bool asleep;  /* the writer waits on `work` (no signal otherwise) */
	bool waiting; /* the caller waits on `done` (no signal otherwise) */
	/*
	 * Direct writes, when the disk is slower than the caller: how many
	 * times the caller found the ring full, and whether the thread is
	 * to write the usual way from now on (DIRECT_STALLS times).
	 */
	unsigned stalls, max_stalls;
	bool buffered;
	bool abandon; /* drop what is queued (a temporary about to go) */
	int error;    /* errno of the first failed write, 0 */
	/*
	 * The thread's own: a second descriptor of a path output's
	 * temporary, opened with O_DIRECT, or -1 (written the usual way).
	 */
	int dfd;
	/* the caller's side, not shared */
	unsigned fill; /* the slot being filled */
	size_t fill_len;
	size_t cap; /* the slot is handed over at this length */
	off_t pos;  /* file offset of the slot being filled; -1 unknown */
} writer;

struct sealmail_output {
	src_kind kind;
	int fd;
	sealmail_write_cb write;
	void *payload;
	char *path; /* final path, for path outputs */
	char *name; /* sm_output_set_name, else the path or "output" */
	char *tmp;  /* temporary until commit */
	unsigned char *buf;
	size_t len;
	bool failed;
	bool rewindable; /* a caller's descriptor sm_output_mark accepted */
	/* path outputs: bytes written, and how far write-out was started */
	off_t written, started;
	uint64_t handed;    /* bytes given to sealmail_output_write */
	sealmail_error why; /* the first failure, once failed (may be empty) */
	writer *w;          /* the writer thread, once started */
	bool solo;          /* never a writer thread (a character device) */
	/* direct writes: their alignment, bytes written so (the writer's) */
	size_t dio_align;
	uint64_t direct;
	bool may_direct; /* a caller's descriptor: sealmail_output_set_direct */
	uint64_t wakeups; /* of the writer by the caller (sm_output_wakeups) */
	/*
	 * A held output (sealmail_output_new_held): `fd` is its unlinked
	 * temporary once one is made (-1 until then), `dest` the caller's
	 * descriptor, written only by a commit; up to HOLD_MAX bytes are
	 * kept in `hold` before the temporary.
	 */
	bool held;
	int dest;
	char *temp_dir; /* NULL: P_tmpdir */
	unsigned char *hold;
	size_t hold_len, hold_cap;
};

static int
io_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return SEALMAIL_ENOTFOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return SEALMAIL_EPERM;
	default:
		return SEALMAIL_EIO;
	}
}

static int
input_new(sealmail_input **out,
          src_kind kind,
          const char *name,
          sealmail_error *err)
{
	sealmail_input *in = sm_calloc(1, sizeof(*in));

	*out = NULL;
	if (in == NULL)
		return sm_error_nomem(err);
	in->kind = kind;
	in->fd = -1;
	in->name = sm_strdup(name);
	if (in->name == NULL) {
		sm_free(in);
		return sm_error_nomem(err);
	}
	*out = in;
	return SEALMAIL_OK;
}

int
sealmail_input_new_fd(sealmail_input **out, int fd, sealmail_error *err)
{
	int rc = input_new(out, SRC_FD, fd == 0 ? "-" : "input", err);

	if (rc == SEALMAIL_OK)
		(*out)->fd = fd;
	return rc;
}

int
sealmail_input_new_path(sealmail_input **out,
                        const char *path,
                        sealmail_error *err)
{
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sm_error_set(err, io_errno(errno), "%s: %s", path,
		                    strerror(errno));
	rc = input_new(out, SRC_FD, path, err);
	if (rc != SEALMAIL_OK) {
		(void)close(fd);
		return rc;
	}
	(*out)->fd = fd;
	(*out)->own_fd = true;
	return SEALMAIL_OK;
}

int
sealmail_input_new_memory(sealmail_input **out,
                          const void *data,
                          size_t len,
                          sealmail_error *err)
{
	int rc = input_new(out, SRC_MEM, "memory", err);

	if (rc == SEALMAIL_OK) {
		(*out)->mem = data;
		(*out)->mem_len = len;
	}
	return rc;
}

int
sealmail_input_new_callback(sealmail_input **out,
                            sealmail_read_cb read_cb,
                            void *payload,
                            sealmail_error *err)
{
	int rc = input_new(out, SRC_CB, "input", err);

	if (rc == SEALMAIL_OK) {
		(*out)->read = read_cb;
		(*out)->payload = payload;
	}
	return rc;
}

long
sealmail_input_read(sealmail_input *in,
                    void *buf,
                    size_t len,
                    sealmail_error *err)
{
	ssize_t n;
	long r;

	switch (in->kind) {
	case SRC_MEM:
		if (len > in->mem_len - in->mem_pos)
			len = in->mem_len - in->mem_pos;
		memcpy(buf, in->mem + in->mem_pos, len);
		in->mem_pos += len;
		return (long)len;
	case SRC_CB:
		r = in->read(buf, len, in->payload);
		if (r < 0)
			return sm_error_set(err, (int)r, "%s: read failed",
			                    in->name);
		return r;
	case SRC_FD:
	default:
		do
			n = read(in->fd, buf, len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return sm_error_set(err, SEALMAIL_EIO, "%s: %s",
			                    in->name, strerror(errno));
		return (long)n;
	}
}

int
sm_input_file(sealmail_input *in, off_t *pos_out, off_t *size_out)
{
	struct stat st;
	off_t pos;

	if (in->kind != SRC_FD || fstat(in->fd, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	pos = lseek(in->fd, 0, SEEK_CUR);
	if (pos < 0 || pos > st.st_size ||
	    lseek(in->fd, st.st_size, SEEK_SET) != st.st_size)
		return -1;
	*pos_out = pos;
	*size_out = st.st_size - pos;
	return in->fd;
}

const char *
sealmail_input_name(const sealmail_input *in)
{
	return in->name;
}

/* `*slot` (an input's or an output's name) replaced by a copy of `name`. */
static int
replace_name(char **slot, const char *name, sealmail_error *err)
{
	char *copy = sm_strdup(name);

	if (copy == NULL)
		return sm_error_nomem(err);
	sm_free(*slot);
	*slot = copy;
	return SEALMAIL_OK;
}

int
sealmail_input_set_name(sealmail_input *in,
                        const char *name,
                        sealmail_error *err)
{
	return replace_name(&in->name, name, err);
}

void
sealmail_input_free(sealmail_input *in)
{
	if (in == NULL)
		return;
	if (in->own_fd)
		(void)close(in->fd);
	sm_free(in->name);
	sm_free(in);
}

static int
output_new(sealmail_output **out, src_kind kind, sealmail_error *err)
{
	sealmail_output *o = sm_calloc(1, sizeof(*o));

	*out = NULL;
	if (o == NULL)
		return sm_error_nomem(err);
	o->buf = sm_malloc(IO_BUF);
	if (o->buf == NULL) {
		sm_free(o);
		return sm_error_nomem(err);
	}
	o->kind = kind;
	o->fd = -1;
	o->dio_align = DIO_ALIGN;
	*out = o;
	return SEALMAIL_OK;
}

int
sealmail_output_new_fd(sealmail_output **out, int fd, sealmail_error *err)
{
	int rc = output_new(out, SRC_FD, err);

	if (rc == SEALMAIL_OK)
		(*out)->fd = fd;
	return rc;
}

int
sealmail_output_new_path(sealmail_output **out,
                         const char *path,
                         sealmail_error *err)
{
	char tmp[PATH_MAX];
	struct stat st;
	int n, rc, fd;

	*out = NULL;
	/*
	 * A device or FIFO (/dev/null, /dev/stdout) is written as it is:
	 * renaming a temporary over it would replace it with a file.
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode)) {
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return sm_error_set(err, io_errno(errno), "%s: %s",
			                    path, strerror(errno));
		rc = output_new(out, SRC_FD, err);
		if (rc == SEALMAIL_OK) {
			(*out)->path = sm_strdup(path);
			(*out)->fd = fd;
			if ((*out)->path == NULL) {
				sealmail_output_free(*out);
				*out = NULL;
				rc = sm_error_nomem(err);
			}
		}
		if (rc != SEALMAIL_OK && *out == NULL)
			(void)close(fd);
		return rc;
	}
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return sm_error_set(err, SEALMAIL_EINVAL, "%s: path too long",
		                    path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return sm_error_set(err, io_errno(errno), "%s: %s", path,
		                    strerror(errno));
	rc = output_new(out, SRC_FD, err);
	if (rc == SEALMAIL_OK) {
		(*out)->path = sm_strdup(path);
		(*out)->tmp = sm_strdup(tmp);
		if ((*out)->path == NULL || (*out)->tmp == NULL)
			rc = sm_error_nomem(err);
	}
	if (rc != SEALMAIL_OK) {
		(void)close(fd);
		(void)unlink(tmp);
		if (*out != NULL) {
			sm_free((*out)->path);
			sm_free((*out)->tmp);
			(*out)->tmp = NULL;
			sealmail_output_free(*out);
			*out = NULL;
		}
		return rc;
	}
	(*out)->fd = fd;
	return SEALMAIL_OK;
}

int
sealmail_output_new_callback(sealmail_output **out,
                             sealmail_write_cb write_cb,
                             void *payload,
                             sealmail_error *err)
{
	int rc = output_new(out, SRC_CB, err);

	if (rc == SEALMAIL_OK) {
		(*out)->write = write_cb;
		(*out)->payload = payload;
	}
	return rc;
}

/*
 * Start writing a path output's finished bytes to disk while the rest is
 * produced, so the fsync at commit has little left to wait for (a 1 GiB
 * message: the disk works alongside the cryptography instead of after
 * it).  Only a hint: errors are reported by the fsync.
 */
static void
start_writeback(sealmail_output *o)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(o->fd, o->started, o->written - o->started,
	                      SYNC_FILE_RANGE_WRITE);
#endif
	o->started = o->written;
}

static const char *
out_name(const sealmail_output *o)
{
	return o->name != NULL ? o->name : o->path != NULL ? o->path : "output";
}

int
sm_output_set_name(sealmail_output *o, const char *name, sealmail_error *err)
{
	return replace_name(&o->name, name, err);
}

/*
 * All `len` bytes to the descriptor: 0, or the errno of the failure.  Run
 * by the caller's thread, or by the writer thread while it owns the
 * descriptor (`written` and `started` are then its own too).
 */
static int
fd_write(sealmail_output *o, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(o->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		p += w;
		len -= (size_t)w;
		o->written += w;
	}
	if (o->tmp != NULL && o->written - o->started >= WRITEBACK_STEP)
		start_writeback(o);
	return 0;
}

/*
 * A failed write(2) with errno `e`, by the caller's thread: its reason is
 * also kept as the output's (the first one), for callers that passed no
 * error (sm_output_failure).
 */
static int
write_error(sealmail_output *o, int e, sealmail_error *err)
{
	if (o->why.code == SEALMAIL_OK)
		(void)sm_error_set(&o->why, io_errno(e), "%s: %s", out_name(o),
		                   strerror(e));
	return sm_error_set(err, io_errno(e), "%s: %s", out_name(o),
	                    strerror(e));
}

static int
flush_bytes(sealmail_output *o,
            const unsigned char *p,
            size_t len,
            sealmail_error *err)
{
	int e;

	if (o->kind == SRC_CB) {
		int rc = o->write(p, len, o->payload);
		if (rc != 0)
			return sm_error_set(err, rc < 0 ? rc : SEALMAIL_EIO,
			                    "write failed");
		return SEALMAIL_OK;
	}
	e = fd_write(o, p, len);
	return e != 0 ? write_error(o, e, err) : SEALMAIL_OK;
}

/* ---- the writer thread ------------------------------------------------- */

/*
 * A slot to the file, by the writer thread: the whole DIO_ALIGN blocks of
 * it through the direct descriptor when it has one and the slot starts at
 * a multiple of DIO_ALIGN, the rest (a last slot's tail, or everything)
 * the usual way.  A direct write the file system refuses (EINVAL: an
 * alignment it does not take) ends direct writing for the output; any
 * other failure is the output's.  The descriptor's own offset follows, for
 * whatever the caller writes, copies or truncates after the drain.
 */
static int
slot_write(sealmail_output *o, writer *w, const unsigned char *p, size_t len)
{
	size_t whole = len / o->dio_align * o->dio_align;
	int e = 0;

	if (w->dfd >= 0 && whole > 0 && o->written % o->dio_align == 0) {
		while (whole > 0) {
			ssize_t n = pwrite(w->dfd, p, whole, o->written);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EINVAL) {
				(void)close(w->dfd);
				w->dfd = -1;
				break;
			}
			if (n <= 0) {
				e = n < 0 ? errno : EIO;
				break;
			}
			p += n;
			len -= (size_t)n;
			o->written += n;
			o->direct += (uint64_t)n;
			/* a short write: the rest goes the usual way */
			whole = (size_t)n % o->dio_align != 0 ? 0 : whole - n;
		}
		/* the descriptor's offset at the end of what was written,
		 * also after a failure */
		if (lseek(o->fd, o->written, SEEK_SET) != o->written && e == 0)
			e = errno;
		o->started = o->written; /* nothing to start writing back */
		if (e != 0)
			return e;
	}
	return len > 0 ? fd_write(o, p, len) : 0;
}

/*
 * `k` queued slots from `first` on, in ring order.  While they can go
 * directly, the whole ones go in one pwritev: when the thread falls behind
 * the disk gets requests of up to RING_SLOTS slots (2 MiB) instead of one
 * slot each, one request at a time (a direct write waits for the disk).
 * The rest, and what a short write left, one slot at a time.
 */
static int
ring_write(sealmail_output *o, writer *w, unsigned first, unsigned k)
{
	unsigned j = 0;

	while (j < k) {
		struct iovec v[RING_SLOTS];
		unsigned c = 0, d, s = (first + j) % RING_SLOTS;
		ssize_t n = -1;
		int e;

		while (w->dfd >= 0 && o->written % o->dio_align == 0 &&
		       j + c < k &&
		       w->slot_len[(s + c) % RING_SLOTS] % o->dio_align == 0) {
			v[c].iov_base = w->slot[(s + c) % RING_SLOTS];
			v[c].iov_len = w->slot_len[(s + c) % RING_SLOTS];
			c++;
		}
		if (c > 1) {
			do
				n = pwritev(w->dfd, v, (int)c, o->written);
			while (n < 0 && errno == EINTR);
			if (n == 0 || (n < 0 && errno != EINVAL))
				return n < 0 ? errno : EIO;
		}
		if (n > 0) {
			o->written += n;
			o->direct += (uint64_t)n;
			if (lseek(o->fd, o->written, SEEK_SET) != o->written)
				return errno;
			o->started = o->written;
			for (d = 0; d < c && n >= (ssize_t)v[d].iov_len; d++) {
				n -= (ssize_t)v[d].iov_len;
				j++;
			}
			if (d == c)
				continue;
			/* a short write: the rest of that slot */
			e = slot_write(o, w, (unsigned char *)v[d].iov_base + n,
			               v[d].iov_len - (size_t)n);
		} else {
			/* one slot (EINVAL: refused, slot_write says so) */
			e = slot_write(o, w, w->slot[s], w->slot_len[s]);
		}
		if (e != 0)
			return e;
		j++;
	}
	return 0;
}

/*
 * Whether the writer has something to do now (under `mu`): WAKE_SLOTS
 * queued, or any when the caller waits for a slot, flushes or stops it;
 * or the stop itself.  Waking it for every slot cost two futex calls per
 * 256 KiB (12 700 for 1 GiB signed); a direct write wants half the ring
 * at once anyway.
 */
static bool
writer_due(const writer *w)
{
	if (w->queued == 0)
		return w->stop;
	return w->queued >= WAKE_SLOTS || w->stop || w->flush || w->waiting;
}

/*
 * The caller's side, under `mu`: whether to wake the writer (it sleeps and
 * is due).  The signal is then sent after unlocking where it can be: sent
 * under the lock, it woke the writer only for it to wait for the lock the
 * caller still held (a futex call each way more, 870 for 1 GiB signed).
 */
static bool
writer_wake(sealmail_output *o)
{
	writer *w = o->w;

	if (w->asleep && writer_due(w)) {
		w->asleep = false;
		o->wakeups++;
		return true;
	}
	return false;
}

static void *
writer_main(void *arg)
{
	sealmail_output *o = arg;
	writer *w = o->w;
	bool busy = false; /* buffered, just wrote: on while slots are queued */

	(void)pthread_mutex_lock(&w->mu);
	for (;;) {
		unsigned i, k;
		int e = 0;

		while (!(busy && w->queued > 0) && !writer_due(w)) {
			busy = false;
			w->asleep = true;
			(void)pthread_cond_wait(&w->work, &w->mu);
		}
		w->asleep = false;
		if (w->queued == 0)
			break;
		i = w->head;
		if (w->buffered && w->dfd >= 0) {
			(void)close(w->dfd);
			w->dfd = -1;
		}
		/* direct: all that is queued at once, then WAKE_SLOTS again */
		k = w->dfd >= 0 ? w->queued : 1;
		busy = w->dfd < 0;
		if (w->error == 0 && !w->abandon) {
			(void)pthread_mutex_unlock(&w->mu);
			e = ring_write(o, w, i, k);
			(void)pthread_mutex_lock(&w->mu);
		}
		/* after a failure the rest is dropped: the output has failed */
		if (e != 0 && w->error == 0)
			w->error = e;
		w->head = (i + k) % RING_SLOTS;
		w->queued -= k;
		if (w->waiting) {
			/* (signalled unlocked: see writer_wake) */
			w->waiting = false;
			(void)pthread_mutex_unlock(&w->mu);
			(void)pthread_cond_signal(&w->done);
			(void)pthread_mutex_lock(&w->mu);
		}
	}
	(void)pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
writer_free(writer *w)
{
	for (unsigned i = 0; i < RING_SLOTS; i++)
		sm_free(w->slot_mem[i]);
	if (w->dfd >= 0)
		(void)close(w->dfd);
	(void)pthread_cond_destroy(&w->done);
	(void)pthread_cond_destroy(&w->work);
	(void)pthread_mutex_destroy(&w->mu);
	sm_free(w);
}

/* Raised by the thread's own faults: never blocked there. */
static const int sync_signals[] = {SIGSEGV, SIGBUS,  SIGFPE,
                                   SIGILL,  SIGTRAP, SIGABRT};

/*
 * A character device (/dev/null, a terminal) gets no writer thread: a write
 * to /dev/null costs nothing, so the thread would only add a copy of every
 * byte (1 GiB opened to `-o /dev/null`: 0.1 s more CPU), and a terminal is
 * not written fast enough for it to matter.
 */
static bool
writes_itself(const sealmail_output *o)
{
	struct stat st;

	return fstat(o->fd, &st) == 0 && S_ISCHR(st.st_mode);
}

/* The slot being filled ends where the file reaches a multiple of a slot. */
static void
writer_place(writer *w)
{
	w->cap = w->pos >= 0 ? SLOT_SIZE - (size_t)(w->pos % SLOT_SIZE)
	                     : SLOT_SIZE;
}

/*
 * A second descriptor of a path output's temporary for direct writes
 * (O_DIRECT: no copy into the page cache, which its commit would write
 * to the disk and sync anyway), or -1: the file system refuses it, or
 * /proc is not there.  The same open file, reopened, not the path: the
 * temporary's name is in a folder others may write to.
 */
static int
direct_fd(int fd)
{
	char p[64];

	(void)snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return open(p, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

/*
 * The same for a caller's descriptor (sealmail_output_set_direct), when
 * writing it at explicit offsets through a second open file is safe: a
 * regular file open for writing, not in append mode (each write(2) would
 * go to the end, wherever another writer left it), nor synchronous (the
 * second descriptor would not be), and not also standard error (a message
 * written there at the shared offset would land under our next direct
 * write, `>out 2>&1`).  The caller's own descriptor keeps its flags: a
 * shell's `exec >file` goes on using it after us.  Its offset now is where
 * the direct writes start (o->written, from then on the file offset).
 */
static int
caller_direct_fd(sealmail_output *o)
{
	struct stat st, dst, err_st;
	int fl = fcntl(o->fd, F_GETFL), dfd;
	off_t pos;

	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY ||
	    (fl & (O_APPEND | O_SYNC | O_DSYNC)) != 0 ||
	    fstat(o->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	if (fstat(STDERR_FILENO, &err_st) == 0 && err_st.st_dev == st.st_dev &&
	    err_st.st_ino == st.st_ino)
		return -1;
	pos = lseek(o->fd, 0, SEEK_CUR);
	if (pos < 0)
		return -1;
	dfd = direct_fd(o->fd);
	if (dfd >= 0 && (fstat(dfd, &dst) != 0 || dst.st_dev != st.st_dev ||
	                 dst.st_ino != st.st_ino)) {
		(void)close(dfd);
		dfd = -1;
	}
	if (dfd >= 0)
		o->written = pos;
	return dfd;
}

/*
 * Start the writer of a descriptor output, its buffered bytes written
 * first.  Not starting (no memory, no thread) is not an error: the
 * output goes on writing itself.  The signals sent to the process are
 * blocked in the thread, so that the caller's threads receive them as
 * before; SIGPIPE, raised by the writer's own write(2) to a pipe with no
 * reader, is blocked there only if the caller blocks it: by default it
 * ends the process as it did from the caller's thread, and ignored, the
 * write fails with EPIPE as before.
 */
static int
writer_start(sealmail_output *o, sealmail_error *err)
{
	sigset_t all, old;
	writer *w;
	int rc = flush_bytes(o, o->buf, o->len, err);

	o->len = 0;
	if (rc != SEALMAIL_OK)
		return rc;
	w = sm_calloc(1, sizeof(*w));
	if (w == NULL)
		return SEALMAIL_OK;
	w->dfd = -1;
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		sm_free(w);
		return SEALMAIL_OK;
	}
	if (pthread_cond_init(&w->work, NULL) != 0) {
		(void)pthread_mutex_destroy(&w->mu);
		sm_free(w);
		return SEALMAIL_OK;
	}
	if (pthread_cond_init(&w->done, NULL) != 0) {
		(void)pthread_cond_destroy(&w->work);
		(void)pthread_mutex_destroy(&w->mu);
		sm_free(w);
		return SEALMAIL_OK;
	}
	/*
	 * Direct writes: slots of SLOT_SIZE at its multiples, the first
	 * one ending at one.  Buffered writes are not placed so: at
	 * multiples of 256 KiB the page cache takes them in large folios,
	 * and the thread's copy into those, of bytes the other core has just
	 * written, took 130 -> 180-400 ms for a 1 GiB encryption (perf,
	 * performance.md "Session 7").
	 */
	if (o->tmp != NULL)
		w->dfd = direct_fd(o->fd);
	else if (o->may_direct)
		w->dfd = caller_direct_fd(o);
	w->max_stalls = o->tmp != NULL ? DIRECT_STALLS : DIRECT_STALLS_FD;
	w->pos = w->dfd >= 0 ? o->written : -1;
	writer_place(w);
	for (unsigned i = 0; i < RING_SLOTS; i++) {
		w->slot_mem[i] = sm_malloc(SLOT_SIZE + SLOT_SPILL + DIO_ALIGN);
		if (w->slot_mem[i] == NULL) {
			writer_free(w);
			return SEALMAIL_OK;
		}
		w->slot[i] =
		        w->slot_mem[i] +
		        (DIO_ALIGN - (uintptr_t)w->slot_mem[i] % DIO_ALIGN) %
		                DIO_ALIGN;
	}
	o->w = w;
	(void)sigfillset(&all);
	for (size_t i = 0; i < SM_ARRAY_SIZE(sync_signals); i++)
		(void)sigdelset(&all, sync_signals[i]);
	(void)pthread_sigmask(SIG_SETMASK, NULL, &old);
	if (!sigismember(&old, SIGPIPE))
		(void)sigdelset(&all, SIGPIPE);
	(void)pthread_sigmask(SIG_SETMASK, &all, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, o) != 0)
		o->w = NULL;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (o->w == NULL)
		writer_free(w);
	return SEALMAIL_OK;
}

/*
 * The slot being filled to the writer, and the next one to fill once the
 * writer has one free; what was written past the slot's end (`cap`, up to
 * SLOT_SPILL through sm_output_reserve) starts the next one.  A failure of
 * the writer's comes back here (and in writer_drain): the output has then
 * failed.
 */
static int
writer_hand(sealmail_output *o, sealmail_error *err)
{
	writer *w = o->w;
	size_t len = w->fill_len < w->cap ? w->fill_len : w->cap;
	unsigned from = w->fill;
	bool wake = false;
	int e;

	(void)pthread_mutex_lock(&w->mu);
	if (len > 0) {
		w->slot_len[w->fill] = len;
		w->queued++;
		if (w->queued == RING_SLOTS && w->pos >= 0 &&
		    ++w->stalls == w->max_stalls) {
			/* no longer placed: see writer_start */
			w->buffered = true;
			w->pos = -1;
		}
		wake = writer_wake(o);
		while (w->queued == RING_SLOTS) {
			w->waiting = true;
			if (writer_wake(o) || wake)
				(void)pthread_cond_signal(&w->work);
			wake = false;
			(void)pthread_cond_wait(&w->done, &w->mu);
		}
		w->waiting = false;
		w->fill = (w->fill + 1) % RING_SLOTS;
	}
	e = w->error;
	(void)pthread_mutex_unlock(&w->mu);
	if (wake)
		(void)pthread_cond_signal(&w->work);
	if (len > 0) {
		/* the writer reads the queued slot up to `len` only */
		memcpy(w->slot[w->fill], w->slot[from] + len,
		       w->fill_len - len);
		w->fill_len -= len;
		if (w->pos >= 0)
			w->pos += (off_t)len;
		writer_place(w);
	}
	if (e != 0) {
		o->failed = true;
		return write_error(o, e, err);
	}
	return SEALMAIL_OK;
}

/* Everything handed over written: the descriptor is the caller's again. */
static int
writer_drain(sealmail_output *o, sealmail_error *err)
{
	writer *w = o->w;
	int rc = writer_hand(o, err);

	(void)pthread_mutex_lock(&w->mu);
	w->flush = true;
	while (w->queued > 0) {
		w->waiting = true;
		if (writer_wake(o))
			(void)pthread_cond_signal(&w->work);
		(void)pthread_cond_wait(&w->done, &w->mu);
	}
	w->waiting = false;
	w->flush = false;
	if (rc == SEALMAIL_OK && w->error != 0) {
		o->failed = true;
		rc = write_error(o, w->error, err);
	}
	(void)pthread_mutex_unlock(&w->mu);
	return rc;
}

/*
 * End the writer: what is queued is written first, or dropped with
 * `abandon` (the slot being filled is dropped either way).
 */
static void
writer_stop(sealmail_output *o, bool abandon)
{
	writer *w = o->w;
	bool wake;

	if (w == NULL)
		return;
	(void)pthread_mutex_lock(&w->mu);
	w->stop = true;
	w->abandon = abandon;
	wake = writer_wake(o);
	(void)pthread_mutex_unlock(&w->mu);
	if (wake)
		(void)pthread_cond_signal(&w->work);
	(void)pthread_join(w->thread, NULL);
	writer_free(w);
	o->w = NULL;
}

static int
writer_write(sealmail_output *o,
             const unsigned char *p,
             size_t len,
             sealmail_error *err)
{
	writer *w = o->w;

	while (len > 0) {
		size_t n = w->cap - w->fill_len;

		if (n > len)
			n = len;
		memcpy(w->slot[w->fill] + w->fill_len, p, n);
		w->fill_len += n;
		p += n;
		len -= n;
		if (w->fill_len == w->cap) {
			int rc = writer_hand(o, err);
			if (rc != SEALMAIL_OK)
				return rc;
		}
	}
	return SEALMAIL_OK;
}

bool
sm_output_threaded(const sealmail_output *o)
{
	return o->w != NULL;
}

uint64_t
sm_output_direct_bytes(const sealmail_output *o)
{
	return o->direct;
}

uint64_t
sm_output_wakeups(const sealmail_output *o)
{
	return o->wakeups;
}

void
sm_output_set_dio_align(sealmail_output *o, size_t align)
{
	o->dio_align = align;
}

int
sealmail_output_set_direct(sealmail_output *o, bool direct, sealmail_error *err)
{
	if (o == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL, "no output");
	if (o->handed > 0 || o->w != NULL)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "%s: direct writes are chosen before the "
		                    "first write",
		                    out_name(o));
	/* a held output's temporary is read back by the commit: cached */
	o->may_direct = direct && !o->held;
	return SEALMAIL_OK;
}

int
sm_output_settle(sealmail_output *o, sealmail_error *err)
{
	int rc;

	if (o->w == NULL)
		return SEALMAIL_OK;
	rc = writer_drain(o, err);
	writer_stop(o, false); /* drained: nothing left to write */
	return rc;
}

/*
 * A failed output's status and reason again: what the first failure said
 * (a writer thread's or a write callback's caller may have passed no error
 * to keep it in), else "output already failed".
 */
static int
failed_again(const sealmail_output *o, sealmail_error *err)
{
	if (o->why.code == SEALMAIL_OK || o->why.message[0] == '\0')
		return sm_error_set(err, SEALMAIL_EIO, "output already failed");
	return sm_error_set(err, o->why.code, "%s", o->why.message);
}

bool
sm_output_failure(const sealmail_output *o, sealmail_error *err)
{
	if (o == NULL || !o->failed || o->why.code == SEALMAIL_OK)
		return false;
	(void)failed_again(o, err);
	return true;
}

bool
sm_output_held(const sealmail_output *o)
{
	struct stat st, null_st;

	if (o == NULL || o->kind != SRC_FD)
		return false;
	if (o->tmp != NULL || o->held)
		return true;
	return fstat(o->fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	       stat("/dev/null", &null_st) == 0 && S_ISCHR(null_st.st_mode) &&
	       st.st_rdev == null_st.st_rdev;
}

int
sm_output_reserve(sealmail_output *o,
                  size_t min,
                  unsigned char **at,
                  size_t *room,
                  sealmail_error *err)
{
	writer *w = o->w;

	*at = NULL;
	*room = 0;
	if (o->failed)
		return failed_again(o, err);
	if (w == NULL || min > SLOT_SIZE)
		return SEALMAIL_OK;
	/*
	 * Less than `min` left: for direct writes, the room goes past the
	 * slot's end into its spill area (sm_output_advance moves what lands
	 * there to the next slot), so that the slot is handed over whole;
	 * only a `min` larger than that area hands it over as it is, as
	 * buffered writes always do (no copy).
	 */
	if (w->cap - w->fill_len < min &&
	    (w->pos < 0 || w->fill_len + min > SLOT_SIZE + SLOT_SPILL)) {
		int rc = writer_hand(o, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	*at = w->slot[w->fill] + w->fill_len;
	*room = w->cap - w->fill_len < min ? min : w->cap - w->fill_len;
	return SEALMAIL_OK;
}

int
sm_output_advance(sealmail_output *o, size_t n, sealmail_error *err)
{
	writer *w = o->w;

	o->handed += n;
	w->fill_len += n;
	while (w->fill_len >= w->cap) {
		int rc = writer_hand(o, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	return SEALMAIL_OK;
}

/* ---- held outputs ------------------------------------------------------ */

/*
 * sealmail_output_new_held: nothing reaches the caller's descriptor before
 * a commit.  Up to HOLD_MAX bytes in memory (a small message makes no
 * file), beyond that in an unlinked 0600 temporary, written like any
 * descriptor output (its writer thread too), and copied to the descriptor
 * in the kernel by the commit.  sm_output_held is true for it.
 */
enum { HOLD_MAX = 1 << 20, HOLD_FIRST = 64 * 1024 };

int
sealmail_output_new_held(sealmail_output **out,
                         int fd,
                         const char *temp_dir,
                         sealmail_error *err)
{
	int rc;

	*out = NULL;
	if (fd < 0)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "held output: no descriptor");
	rc = output_new(out, SRC_FD, err);
	if (rc != SEALMAIL_OK)
		return rc;
	(*out)->held = true;
	(*out)->dest = fd;
	if (temp_dir != NULL) {
		(*out)->temp_dir = sm_strdup(temp_dir);
		if ((*out)->temp_dir == NULL) {
			sealmail_output_free(*out);
			*out = NULL;
			return sm_error_nomem(err);
		}
	}
	return SEALMAIL_OK;
}

/* `len` more bytes in memory (they fit under HOLD_MAX). */
static int
hold_append(sealmail_output *o,
            const unsigned char *p,
            size_t len,
            sealmail_error *err)
{
	if (len > o->hold_cap - o->hold_len) {
		size_t cap = o->hold_cap != 0 ? o->hold_cap : HOLD_FIRST;
		unsigned char *q;

		while (len > cap - o->hold_len)
			cap *= 2;
		if (cap > HOLD_MAX)
			cap = HOLD_MAX;
		/* not realloc: the old copy is wiped before it goes */
		q = sm_malloc(cap);
		if (q == NULL)
			return sm_error_nomem(err);
		if (o->hold_len > 0)
			memcpy(q, o->hold, o->hold_len);
		if (o->hold != NULL)
			explicit_bzero(o->hold, o->hold_cap);
		sm_free(o->hold);
		o->hold = q;
		o->hold_cap = cap;
	}
	memcpy(o->hold + o->hold_len, p, len);
	o->hold_len += len;
	return SEALMAIL_OK;
}

static void
hold_wipe(sealmail_output *o)
{
	if (o->hold != NULL)
		explicit_bzero(o->hold, o->hold_cap);
	sm_free(o->hold);
	o->hold = NULL;
	o->hold_len = o->hold_cap = 0;
}

/*
 * Past HOLD_MAX: the temporary, unlinked from the start (O_TMPFILE, or a
 * name removed at once where the file system has no O_TMPFILE), with what
 * memory held written to it first; the output then writes it.
 */
static int
hold_spill(sealmail_output *o, sealmail_error *err)
{
	const char *dir = o->temp_dir != NULL ? o->temp_dir : P_tmpdir;
	char path[PATH_MAX];
	int fd = -1, e, n, rc;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
	if (fd < 0) {
		n = snprintf(path, sizeof(path), "%s/sealmail-held.XXXXXX",
		             dir);
		if (n < 0 || (size_t)n >= sizeof(path))
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "%s: path too long", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			(void)unlink(path);
	}
	if (fd < 0)
		return sm_error_set(err, io_errno(errno),
		                    "cannot create a temporary file in %s: %s",
		                    dir, strerror(errno));
	(void)snprintf(path, sizeof(path), "temporary file in %s", dir);
	rc = replace_name(&o->name, path, err);
	if (rc != SEALMAIL_OK) {
		(void)close(fd);
		return rc;
	}
	o->fd = fd;
	o->written = o->started = 0;
	e = fd_write(o, o->hold, o->hold_len);
	hold_wipe(o);
	return e != 0 ? write_error(o, e, err) : SEALMAIL_OK;
}

static int
hold_rewind(sealmail_output *o, off_t mark, sealmail_error *err)
{
	if (o->failed || mark < 0 || (uint64_t)mark > o->hold_len) {
		o->failed = true;
		return sm_error_set(err, SEALMAIL_EIO, "%s: cannot rewind",
		                    out_name(o));
	}
	explicit_bzero(o->hold + mark, o->hold_len - (size_t)mark);
	o->hold_len = (size_t)mark;
	return SEALMAIL_OK;
}

/*
 * `size` bytes of the temporary `from` to `to`, in the kernel where it
 * can: copy_file_range (a file; the file system may share the blocks),
 * else sendfile (a pipe, a socket), else read and write (a terminal).
 * 0 or the errno of the failure.
 */
static int
held_copy(int from, int to, off_t size)
{
	unsigned char chunk[64 * 1024];
	off_t off = 0;
	int how = 0, e = 0;

	while (off < size && how < 2) {
		size_t want = size - off > (1 << 30) ? (size_t)1 << 30
		                                     : (size_t)(size - off);
		ssize_t n;

		if (how == 0)
			n = copy_file_range(from, &off, to, NULL, want, 0);
		else
			n = sendfile(to, from, &off, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && off == 0 &&
		    (errno == EINVAL || errno == ENOSYS ||
		     (how == 0 && (errno == EXDEV || errno == EOPNOTSUPP ||
		                   errno == EBADF)))) {
			how++; /* not for this pair: the next way */
			continue;
		}
		if (n <= 0)
			return n < 0 ? errno : EIO;
	}
	while (off < size && e == 0) {
		size_t want = size - off > (off_t)sizeof(chunk)
		                      ? sizeof(chunk)
		                      : (size_t)(size - off);
		ssize_t n = pread(from, chunk, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			e = n < 0 ? errno : EIO;
		else
			e = sm_write_all(to, chunk, (size_t)n);
		off += n > 0 ? n : 0;
	}
	explicit_bzero(chunk, sizeof(chunk));
	return e;
}

/*
 * The commit of a held output (flushed): what it holds to the caller's
 * descriptor, then nothing held (a later write is held again, for a later
 * commit).  A failed copy fails the output, naming the descriptor.
 */
static int
held_commit(sealmail_output *o, sealmail_error *err)
{
	struct stat st;
	int e;

	if (o->fd < 0) {
		e = sm_write_all(o->dest, o->hold, o->hold_len);
		hold_wipe(o);
	} else {
		writer_stop(o, false); /* drained: nothing left to write */
		e = fstat(o->fd, &st) != 0
		            ? errno
		            : held_copy(o->fd, o->dest, st.st_size);
		(void)close(o->fd);
		o->fd = -1;
		o->written = o->started = 0;
	}
	if (e != 0) {
		char name[32];

		o->failed = true;
		if (o->dest == STDOUT_FILENO)
			(void)snprintf(name, sizeof(name), "standard output");
		else
			(void)snprintf(name, sizeof(name), "descriptor %d",
			               o->dest);
		if (o->why.code == SEALMAIL_OK)
			(void)sm_error_set(&o->why, io_errno(e), "%s: %s", name,
			                   strerror(e));
		return sm_error_set(err, io_errno(e), "%s: %s", name,
		                    strerror(e));
	}
	return SEALMAIL_OK;
}

/* Freed: the temporary closed (it goes with it), memory wiped. */
static void
held_free(sealmail_output *o)
{
	if (o->fd >= 0)
		(void)close(o->fd);
	o->fd = -1;
	hold_wipe(o);
	explicit_bzero(o->buf, IO_BUF);
	sm_free(o->temp_dir);
}

/* ---- writing ----------------------------------------------------------- */

/* What is buffered to the descriptor or callback, the writer drained. */
static int
flush(sealmail_output *o, sealmail_error *err)
{
	int rc;

	if (o->w != NULL)
		return writer_drain(o, err);
	if (o->len == 0)
		return SEALMAIL_OK;
	rc = flush_bytes(o, o->buf, o->len, err);
	o->len = 0;
	if (rc != SEALMAIL_OK)
		o->failed = true;
	return rc;
}

/* sealmail_output_write's work; a failure fails the output there. */
static int
output_write(sealmail_output *o,
             const unsigned char *p,
             size_t len,
             sealmail_error *err)
{
	int rc;

	o->handed += len;
	if (o->held && o->fd < 0) {
		if (len <= HOLD_MAX - o->hold_len)
			return hold_append(o, p, len, err);
		rc = hold_spill(o, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	if (o->w == NULL && !o->solo && o->kind == SRC_FD &&
	    o->handed > WRITER_START) {
		o->solo = writes_itself(o);
		rc = o->solo ? SEALMAIL_OK : writer_start(o, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	if (o->w != NULL)
		return writer_write(o, p, len, err);
	if (len >= IO_BUF) {
		rc = flush(o, err);
		if (rc == SEALMAIL_OK)
			rc = flush_bytes(o, p, len, err);
		return rc;
	}
	if (len > IO_BUF - o->len) {
		rc = flush(o, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	memcpy(o->buf + o->len, p, len);
	o->len += len;
	return SEALMAIL_OK;
}

int
sealmail_output_write(sealmail_output *o,
                      const void *data,
                      size_t len,
                      sealmail_error *err)
{
	sealmail_error why = {0};
	int rc;

	if (o->failed)
		return failed_again(o, err);
	/* The reason is kept even when the caller passed no error. */
	rc = output_write(o, data, len, &why);
	if (rc != SEALMAIL_OK) {
		o->failed = true;
		if (o->why.code == SEALMAIL_OK)
			o->why = why;
		if (err != NULL)
			*err = why;
	}
	return rc;
}

/*
 * A descriptor given by the caller (standard output redirected to a file)
 * may be cut back when it is a regular file written at its end, not in
 * append mode (another writer's bytes could follow ours) and not also the
 * process's standard error (`>out 2>&1`): truncating it to the mark then
 * gives the file back as it was.  Its offset, or -1.
 */
static off_t
fd_mark(int fd)
{
	struct stat st, err_st;
	off_t pos;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_APPEND) != 0 || fstat(fd, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	if (fd != STDERR_FILENO && fstat(STDERR_FILENO, &err_st) == 0 &&
	    err_st.st_dev == st.st_dev && err_st.st_ino == st.st_ino)
		return -1;
	pos = lseek(fd, 0, SEEK_CUR);
	return pos == st.st_size ? pos : -1;
}

off_t
sm_output_mark(sealmail_output *o)
{
	off_t pos;

	if (o->kind != SRC_FD || o->failed || flush(o, NULL) != SEALMAIL_OK)
		return -1;
	if (o->held && o->fd < 0)
		return (off_t)o->hold_len;
	if (o->tmp != NULL || o->held)
		return lseek(o->fd, 0, SEEK_CUR);
	pos = fd_mark(o->fd);
	if (pos >= 0)
		o->rewindable = true;
	return pos;
}

int
sm_output_rewind(sealmail_output *o, off_t mark, sealmail_error *err)
{
	o->len = 0;
	if (o->held && o->fd < 0)
		return hold_rewind(o, mark, err);
	if (o->w != NULL) {
		int rc;

		/* what is being filled is after the mark: forgotten */
		o->w->fill_len = 0;
		rc = writer_drain(o, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	if (o->kind != SRC_FD ||
	    (o->tmp == NULL && !o->held && !o->rewindable) || o->failed ||
	    mark < 0 || ftruncate(o->fd, mark) != 0 ||
	    lseek(o->fd, mark, SEEK_SET) != mark) {
		o->failed = true;
		return sm_error_set(err, SEALMAIL_EIO, "%s: cannot rewind",
		                    out_name(o));
	}
	o->written = mark;
	if (o->started > mark)
		o->started = mark;
	/* placed again from the mark, if it was (direct writes) */
	if (o->w != NULL && o->w->pos >= 0) {
		o->w->pos = mark;
		writer_place(o->w);
	}
	return SEALMAIL_OK;
}

int
sm_output_copy_fd(
        sealmail_output *o, int fd, off_t off, off_t len, sealmail_error *err)
{
	bool first = true;
	int rc;

	if (o->kind != SRC_FD || o->failed)
		return SM_OUTPUT_NO_COPY;
	if (o->held && o->fd < 0) {
		/* what fits is held in memory, written the usual way */
		if ((uint64_t)len <= HOLD_MAX - o->hold_len)
			return SM_OUTPUT_NO_COPY;
		rc = hold_spill(o, err);
		if (rc != SEALMAIL_OK) {
			o->failed = true;
			return rc;
		}
	}
	rc = flush(o, err);
	if (rc != SEALMAIL_OK)
		return rc;
	while (len > 0) {
		size_t want = len > (1 << 30) ? (size_t)1 << 30 : (size_t)len;
		ssize_t n = sendfile(o->fd, fd, &off, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && first &&
		    (errno == EINVAL || errno == ENOSYS || errno == EOVERFLOW))
			return SM_OUTPUT_NO_COPY; /* e.g. a terminal */
		if (n <= 0) {
			o->failed = true;
			return sm_error_set(
			        err, n < 0 ? io_errno(errno) : SEALMAIL_EIO,
			        "%s: %s", out_name(o),
			        n < 0 ? strerror(errno)
			              : "the input ended early");
		}
		first = false;
		len -= n;
		o->written += n;
		if (o->w != NULL && o->w->pos >= 0) {
			o->w->pos += n;
			writer_place(o->w);
		}
		if (o->tmp != NULL && o->written - o->started >= WRITEBACK_STEP)
			start_writeback(o);
	}
	return SEALMAIL_OK;
}

int
sealmail_output_commit(sealmail_output *o, sealmail_error *err)
{
	int rc;

	/* a failed output is never published */
	if (o->failed)
		return failed_again(o, err);
	rc = flush(o, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (o->held)
		return held_commit(o, err);
	if (o->tmp == NULL)
		return SEALMAIL_OK;
	writer_stop(o, false); /* drained: nothing left to write */
	if (fsync(o->fd) != 0 || close(o->fd) != 0) {
		o->fd = -1;
		o->failed = true;
		return sm_error_set(err, SEALMAIL_EIO, "%s: %s", o->path,
		                    strerror(errno));
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) != 0) {
		o->failed = true;
		return sm_error_set(err, io_errno(errno), "%s: %s", o->path,
		                    strerror(errno));
	}
	sm_free(o->tmp);
	o->tmp = NULL;
	return SEALMAIL_OK;
}

void
sealmail_output_free(sealmail_output *o)
{
	if (o == NULL)
		return;
	/*
	 * What the writer was given is written, as it would have been
	 * without the thread, but not into a temporary about to go.
	 */
	writer_stop(o, o->tmp != NULL || o->held);
	if (o->held)
		held_free(o);
	if (o->tmp != NULL) {
		if (o->fd >= 0)
			(void)close(o->fd);
		(void)unlink(o->tmp);
		sm_free(o->tmp);
	} else if (o->path != NULL && o->fd >= 0) {
		(void)close(o->fd);
	}
	sm_free(o->path);
	sm_free(o->name);
	sm_free(o->buf);
	sm_free(o);
}
