/* SPDX-License-Identifier: MIT */
/*
 * Allocation (fault-injectable for tests), secret wiping, bounded buffers and
 * small file helpers shared by the library modules.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The one piece of process-wide state: a test hook, off unless a unit test
 * sets it.  It holds no data of any store.
 */
static _Thread_local long alloc_budget = -1;

void
sm_alloc_fail_after(long n)
{
	alloc_budget = n;
}

static bool
alloc_allowed(void)
{
	if (alloc_budget < 0)
		return true;
	if (alloc_budget == 0)
		return false;
	alloc_budget--;
	return true;
}

void *
sm_malloc(size_t size)
{
	return alloc_allowed() ? malloc(size == 0 ? 1 : size) : NULL;
}

void *
sm_calloc(size_t count, size_t size)
{
	return alloc_allowed()
	               ? calloc(count == 0 ? 1 : count, size == 0 ? 1 : size)
	               : NULL;
}

void *
sm_realloc(void *ptr, size_t size)
{
	return alloc_allowed() ? realloc(ptr, size == 0 ? 1 : size) : NULL;
}

char *
sm_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *copy = sm_malloc(len + 1);

	if (copy == NULL)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

char *
sm_strdup(const char *s)
{
	return sm_strndup(s, SIZE_MAX);
}

void
sm_free(void *ptr)
{
	free(ptr);
}

void
sm_wipe(void *ptr, size_t len)
{
	if (ptr != NULL && len > 0)
		explicit_bzero(ptr, len);
}

void
sm_free_secret_str(char *s)
{
	if (s == NULL)
		return;
	sm_wipe(s, strlen(s));
	sm_free(s);
}

void
sm_buf_init(sm_buf *buf, size_t max)
{
	memset(buf, 0, sizeof(*buf));
	buf->max = max == 0 ? SM_BUF_MAX_DEFAULT : max;
}

void
sm_buf_init_secret(sm_buf *buf, size_t max)
{
	sm_buf_init(buf, max);
	buf->secret = true;
}

static int
buf_grow(sm_buf *buf, size_t extra, sealmail_error *err)
{
	size_t need, cap;
	unsigned char *data;

	if (extra > buf->max || buf->len > buf->max - extra)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "data larger than the limit of %zu bytes",
		                    buf->max);
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return SEALMAIL_OK;
	cap = buf->cap < 256 ? 256 : buf->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (buf->secret) {
		/* Never leave a copy of a secret in freed memory. */
		data = sm_malloc(cap);
		if (data == NULL)
			return sm_error_nomem(err);
		if (buf->data != NULL) {
			memcpy(data, buf->data, buf->len);
			sm_wipe(buf->data, buf->cap);
			sm_free(buf->data);
		}
	} else {
		data = sm_realloc(buf->data, cap);
		if (data == NULL)
			return sm_error_nomem(err);
	}
	buf->data = data;
	buf->cap = cap;
	return SEALMAIL_OK;
}

int
sm_buf_reserve(sm_buf *buf, size_t extra, sealmail_error *err)
{
	return buf_grow(buf, extra, err);
}

int
sm_buf_append(sm_buf *buf, const void *data, size_t len, sealmail_error *err)
{
	int rc = buf_grow(buf, len, err);

	if (rc != SEALMAIL_OK)
		return rc;
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return SEALMAIL_OK;
}

int
sm_buf_puts(sm_buf *buf, const char *s, sealmail_error *err)
{
	return sm_buf_append(buf, s, strlen(s), err);
}

int
sm_buf_printf(sm_buf *buf, sealmail_error *err, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return sm_error_set(err, SEALMAIL_ERROR, "formatting failed");
	rc = buf_grow(buf, (size_t)n, err);
	if (rc != SEALMAIL_OK)
		return rc;
	va_start(ap, fmt);
	(void)vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return SEALMAIL_OK;
}

void
sm_buf_reset(sm_buf *buf)
{
	if (buf->data != NULL && buf->secret)
		sm_wipe(buf->data, buf->len);
	buf->len = 0;
	if (buf->data != NULL)
		buf->data[0] = '\0';
}

void
sm_buf_free(sm_buf *buf)
{
	if (buf->data != NULL && buf->secret)
		sm_wipe(buf->data, buf->cap);
	sm_free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

unsigned char *
sm_buf_detach(sm_buf *buf, size_t *len_out)
{
	unsigned char *data = buf->data;

	if (data == NULL)
		data = (unsigned char *)sm_strdup("");
	if (len_out != NULL)
		*len_out = buf->len;
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return data;
}

static int
errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return SEALMAIL_ENOTFOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return SEALMAIL_EPERM;
	case ENOMEM:
		return SEALMAIL_ENOMEM;
	default:
		return SEALMAIL_EIO;
	}
}

int
sm_read_file(sm_buf *out, const char *path, size_t max, sealmail_error *err)
{
	unsigned char chunk[65536];
	ssize_t n;
	int fd, rc = SEALMAIL_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sm_error_set(err, errno_status(errno), "%s: %s", path,
		                    strerror(errno));
	sm_buf_init(out, max);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = sm_error_set(err, SEALMAIL_EIO, "%s: %s", path,
			                  strerror(errno));
			break;
		}
		rc = sm_buf_append(out, chunk, (size_t)n, err);
		if (rc != SEALMAIL_OK) {
			if (rc == SEALMAIL_EBADDATA)
				rc = sm_error_set(err, rc,
				                  "%s: larger than %zu bytes",
				                  path, max);
			break;
		}
	}
	(void)close(fd);
	if (rc != SEALMAIL_OK)
		sm_buf_free(out);
	return rc;
}

int
sm_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
sm_write_file_atomic(const char *path,
                     const void *data,
                     size_t len,
                     sealmail_error *err)
{
	char tmp[PATH_MAX];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return sm_error_set(err, SEALMAIL_EINVAL, "%s: path too long",
		                    path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return sm_error_set(err, errno_status(errno), "%s: %s", path,
		                    strerror(errno));
	errno = sm_write_all(fd, data, len);
	if (errno != 0)
		goto fail;
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		fd = -1;
		goto fail;
	}
	return SEALMAIL_OK;
fail:
	n = errno;
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
	return sm_error_set(err, errno_status(n), "%s: %s", path, strerror(n));
}

void
sm_address_lower(char *addr)
{
	for (; *addr != '\0'; addr++)
		if (*addr >= 'A' && *addr <= 'Z')
			*addr = (char)(*addr - 'A' + 'a');
}

void
sm_hex(char *out, const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0xf];
	}
	out[2 * len] = '\0';
}
