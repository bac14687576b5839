/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for io.c's sm_output_copy_fd: a file's bytes into a
 * descriptor output in the kernel, in order with buffered writes; the
 * outputs it cannot serve (a callback, an O_APPEND file) left untouched;
 * an input shorter than asked is an error.
 */
#include "internal.h"

#include <fcntl.h>

#include "harness.h"

static int
make_file(const char *name, size_t n, unsigned char **data_out)
{
	char path[256];
	unsigned char *data = malloc(n);
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	for (size_t i = 0; data != NULL && i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 253);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	test_assert(fd >= 0 && data != NULL &&
	            write(fd, data, n) == (ssize_t)n);
	*data_out = data;
	return fd;
}

static int
out_fd(const char *name, int flags)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	return open(path, O_RDWR | O_CREAT | O_TRUNC | flags, 0600);
}

static void
test_copy_in_order(void)
{
	size_t n = (3u << 20) + 17;
	unsigned char *data = NULL, *back = malloc(n);
	int in = make_file("in", n, &data), o = out_fd("out", 0);
	sealmail_output *out = NULL;
	sealmail_error err = {0};

	test_assert_int(sealmail_output_new_fd(&out, o, &err), SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, "head", 4, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_copy_fd(out, in, 100, (off_t)(n - 200), &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, "tail", 4, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	test_assert_int(lseek(o, 0, SEEK_END), (off_t)(n - 200 + 8));
	test_assert(pread(o, back, n - 200 + 8, 0) == (ssize_t)(n - 200 + 8));
	test_assert(memcmp(back, "head", 4) == 0 &&
	            memcmp(back + 4, data + 100, n - 200) == 0 &&
	            memcmp(back + 4 + n - 200, "tail", 4) == 0);
	(void)close(o);

	/* Asked for more than the file holds: an error, the output failed. */
	o = out_fd("short", 0);
	test_assert_int(sealmail_output_new_fd(&out, o, &err), SEALMAIL_OK);
	test_assert_int(sm_output_copy_fd(out, in, (off_t)n - 10, 20, &err),
	                SEALMAIL_EIO);
	test_assert(strstr(err.message, "the input ended early") != NULL);
	test_assert_int(sealmail_output_write(out, "x", 1, &err), SEALMAIL_EIO);
	sealmail_output_free(out);
	(void)close(o);
	(void)close(in);
	free(back);
	free(data);
}

static int
sink(const void *buf, size_t len, void *payload)
{
	(void)buf;
	*(size_t *)payload += len;
	return 0;
}

static void
test_no_copy(void)
{
	unsigned char *data = NULL;
	int in = make_file("in2", 4096, &data), o = out_fd("append", O_APPEND);
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	size_t got = 0;

	/* A callback output: the caller writes the bytes itself. */
	test_assert_int(sealmail_output_new_callback(&out, sink, &got, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_copy_fd(out, in, 0, 4096, &err),
	                SM_OUTPUT_NO_COPY);
	sealmail_output_free(out);
	test_assert_int(got, 0);

	/* O_APPEND: the kernel will not; nothing written, still usable. */
	test_assert_int(sealmail_output_new_fd(&out, o, &err), SEALMAIL_OK);
	test_assert_int(sm_output_copy_fd(out, in, 0, 4096, &err),
	                SM_OUTPUT_NO_COPY);
	test_assert_int(sealmail_output_write(out, "ok", 2, &err), SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	test_assert_int(lseek(o, 0, SEEK_END), 2);
	(void)close(o);
	(void)close(in);
	free(data);
}

static const struct test_case tests[] = {
        {"copy_in_order", test_copy_in_order},
        {"no_copy", test_no_copy},
};

TEST_MAIN(tests)
