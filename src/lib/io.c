/* SPDX-License-Identifier: MIT */
/*
 * sealmail_input and sealmail_output: fd, path, memory and callback streams,
 * with a 64 KiB write buffer (syscalls are dear) and atomic path outputs.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealmail/io.h"

enum {
	IO_BUF = 64 * 1024,
	/* a path output asks the kernel to start writing every 8 MiB */
	WRITEBACK_STEP = 8 * 1024 * 1024
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

struct sealmail_output {
	src_kind kind;
	int fd;
	sealmail_write_cb write;
	void *payload;
	char *path; /* final path, for path outputs */
	char *tmp;  /* temporary until commit */
	unsigned char *buf;
	size_t len;
	bool failed;
	bool rewindable; /* a caller's descriptor sm_output_mark accepted */
	/* path outputs: bytes written, and how far write-out was started */
	off_t written, started;
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

int
sealmail_input_set_name(sealmail_input *in,
                        const char *name,
                        sealmail_error *err)
{
	char *copy = sm_strdup(name);

	if (copy == NULL)
		return sm_error_nomem(err);
	sm_free(in->name);
	in->name = copy;
	return SEALMAIL_OK;
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

static int
flush_bytes(sealmail_output *o,
            const unsigned char *p,
            size_t len,
            sealmail_error *err)
{
	if (o->kind == SRC_CB) {
		int rc = o->write(p, len, o->payload);
		if (rc != 0)
			return sm_error_set(err, rc < 0 ? rc : SEALMAIL_EIO,
			                    "write failed");
		return SEALMAIL_OK;
	}
	while (len > 0) {
		ssize_t w = write(o->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return sm_error_set(err, io_errno(errno), "%s: %s",
			                    o->path != NULL ? o->path
			                                    : "output",
			                    strerror(errno));
		p += w;
		len -= (size_t)w;
		o->written += w;
	}
	if (o->tmp != NULL && o->written - o->started >= WRITEBACK_STEP)
		start_writeback(o);
	return SEALMAIL_OK;
}

static int
flush(sealmail_output *o, sealmail_error *err)
{
	int rc;

	if (o->len == 0)
		return SEALMAIL_OK;
	rc = flush_bytes(o, o->buf, o->len, err);
	o->len = 0;
	if (rc != SEALMAIL_OK)
		o->failed = true;
	return rc;
}

int
sealmail_output_write(sealmail_output *o,
                      const void *data,
                      size_t len,
                      sealmail_error *err)
{
	const unsigned char *p = data;
	int rc;

	if (o->failed)
		return sm_error_set(err, SEALMAIL_EIO, "output already failed");
	if (len >= IO_BUF) {
		rc = flush(o, err);
		if (rc == SEALMAIL_OK)
			rc = flush_bytes(o, p, len, err);
		if (rc != SEALMAIL_OK)
			o->failed = true;
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
	if (o->tmp != NULL)
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
	if (o->kind != SRC_FD || (o->tmp == NULL && !o->rewindable) ||
	    o->failed || mark < 0 || ftruncate(o->fd, mark) != 0 ||
	    lseek(o->fd, mark, SEEK_SET) != mark) {
		o->failed = true;
		return sm_error_set(err, SEALMAIL_EIO, "%s: cannot rewind",
		                    o->path != NULL ? o->path : "output");
	}
	o->written = mark;
	if (o->started > mark)
		o->started = mark;
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
			        "%s: %s", o->path != NULL ? o->path : "output",
			        n < 0 ? strerror(errno)
			              : "the input ended early");
		}
		first = false;
		len -= n;
		o->written += n;
		if (o->tmp != NULL && o->written - o->started >= WRITEBACK_STEP)
			start_writeback(o);
	}
	return SEALMAIL_OK;
}

int
sealmail_output_commit(sealmail_output *o, sealmail_error *err)
{
	int rc = flush(o, err);

	if (rc != SEALMAIL_OK)
		return rc;
	if (o->tmp == NULL)
		return SEALMAIL_OK;
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
	if (o->tmp != NULL) {
		if (o->fd >= 0)
			(void)close(o->fd);
		(void)unlink(o->tmp);
		sm_free(o->tmp);
	} else if (o->path != NULL && o->fd >= 0) {
		(void)close(o->fd);
	}
	sm_free(o->path);
	sm_free(o->buf);
	sm_free(o);
}
