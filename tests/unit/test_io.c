/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for io.c: sm_output_copy_fd (a file's bytes into a descriptor
 * output in the kernel, in order with buffered writes; the outputs it
 * cannot serve left untouched; a short input is an error) and the writer
 * thread of large outputs (the bytes as written at every size around its
 * start and its buffers, mark/rewind/copy after it started, a failed
 * write(2) on it surfaced, an uncommitted path output never published, a
 * path output's direct writes and their refusal, a caller's descriptor's
 * direct writes: offsets, flags, unsafe descriptors, rewind, failure; the
 * writer woken once per half ring).
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

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

/* ---- the writer thread ---- */

/* the 4 bytes written last, as data (not a string) */
static const unsigned char tail[4] = {'t', 'a', 'i', 'l'};

#define START SM_OUTPUT_WRITER_START
#define SLOT SM_OUTPUT_SLOT
#define RING SM_OUTPUT_RING

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + i / 4093 + seed) >> 1);
}

/* `n` bytes of `data` in pieces of `piece`: the first failure, or OK. */
static int
write_pieces(sealmail_output *out,
             const unsigned char *data,
             size_t n,
             size_t piece,
             sealmail_error *err)
{
	for (size_t at = 0; at < n; at += piece) {
		size_t k = n - at < piece ? n - at : piece;
		int rc = sealmail_output_write(out, data + at, k, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	return SEALMAIL_OK;
}

/* The file at `path` holds exactly `n` bytes equal to `want`. */
static bool
file_is(const char *path, const unsigned char *want, size_t n)
{
	unsigned char *back = malloc(n + 1);
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t r = 1;
	bool same;

	while (fd >= 0 && back != NULL && r > 0 && got <= n) {
		r = read(fd, back + got, n + 1 - got);
		if (r > 0)
			got += (size_t)r;
		if (got == n + 1)
			break;
	}
	same = fd >= 0 && back != NULL && got == n &&
	       memcmp(back, want, n) == 0;
	if (fd >= 0)
		(void)close(fd);
	free(back);
	return same;
}

/*
 * Every size around the thread's start and its buffers, written in pieces
 * smaller and larger than a buffer, to a caller's descriptor and to a
 * path: the file holds the bytes written, and the thread ran past START
 * bytes only.
 */
static void
test_writer_sizes(void)
{
	static const size_t sizes[] = {START - 1,
	                               START,
	                               START + 1,
	                               START + SLOT - 1,
	                               START + SLOT,
	                               START + SLOT + 1,
	                               START + RING * SLOT - 1,
	                               START + RING * SLOT,
	                               START + RING * SLOT + 1,
	                               3 * START + SLOT / 2 + 7,
	                               5 * START + 5};
	static const size_t pieces[] = {1000, 65536, SLOT + 1, 3 * SLOT + 1};
	const char *dir = test_tmpdir();
	size_t max = 5 * START + 5;
	unsigned char *data = malloc(max);
	char path[256];

	test_assert(data != NULL);
	if (data == NULL)
		return;
	fill(data, max, 1);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	for (size_t s = 0; s < SM_ARRAY_SIZE(sizes); s++) {
		for (size_t p = 0; p < SM_ARRAY_SIZE(pieces); p++) {
			sealmail_output *out = NULL;
			sealmail_error err = {0};
			bool by_path = (s + p) % 2 == 1;
			int fd = -1;

			if (by_path) {
				test_assert_int(sealmail_output_new_path(
				                        &out, path, &err),
				                SEALMAIL_OK);
			} else {
				fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
				          0600);
				test_assert_int(
				        sealmail_output_new_fd(&out, fd, &err),
				        SEALMAIL_OK);
			}
			test_assert_int(write_pieces(out, data, sizes[s],
			                             pieces[p], &err),
			                SEALMAIL_OK);
			test_assert_int(sm_output_threaded(out),
			                sizes[s] > START);
			test_assert_int(sealmail_output_commit(out, &err),
			                SEALMAIL_OK);
			sealmail_output_free(out);
			if (fd >= 0)
				(void)close(fd);
			if (!file_is(path, data, sizes[s]))
				(void)printf(
				        "#   size %zu, pieces of %zu, %s\n",
				        sizes[s], pieces[p],
				        by_path ? "path" : "descriptor");
			test_assert(file_is(path, data, sizes[s]));
		}
	}
	/* only the output itself in the folder */
	test_assert_int(test_count_entries(dir), 1);
	free(data);
}

static pthread_t cb_thread;
static int cb_other;

static int
cb_count(const void *buf, size_t len, void *payload)
{
	(void)buf;
	*(size_t *)payload += len;
	if (!pthread_equal(pthread_self(), cb_thread))
		cb_other++;
	return 0;
}

/* A callback output is called on the caller's thread, whatever its size. */
static void
test_writer_not_callback(void)
{
	size_t n = 3 * START, got = 0;
	unsigned char *data = calloc(1, n);
	sealmail_output *out = NULL;
	sealmail_error err = {0};

	cb_thread = pthread_self();
	cb_other = 0;
	test_assert_int(
	        sealmail_output_new_callback(&out, cb_count, &got, &err),
	        SEALMAIL_OK);
	test_assert_int(write_pieces(out, data, n, 262144, &err), SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 0);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	test_assert_int(got, n);
	test_assert_int(cb_other, 0);
	free(data);
}

/*
 * Mark and rewind with the thread running: the mark is the offset of
 * everything written so far, and the rewind forgets what was queued and
 * written after it; a mark taken before the thread started holds too.
 */
static void
test_writer_rewind(void)
{
	size_t n = 2 * START + (RING + 8) * SLOT;
	unsigned char *data = malloc(n), *want = malloc(n);
	const char *dir = test_tmpdir();
	char path[256];

	test_assert(data != NULL && want != NULL);
	if (data == NULL || want == NULL) {
		free(data);
		free(want);
		return;
	}
	fill(data, n, 7);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	for (int mode = 0; mode < 4; mode++) {
		/* mode & 1: a path output; mode & 2: marked before start */
		size_t before = (mode & 2) ? 100 : START + 5 * SLOT + 3;
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		int fd = -1;
		off_t mark;

		if (mode & 1) {
			test_assert_int(
			        sealmail_output_new_path(&out, path, &err),
			        SEALMAIL_OK);
		} else {
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			test_assert_int(sealmail_output_new_fd(&out, fd, &err),
			                SEALMAIL_OK);
		}
		test_assert_int(write_pieces(out, data, before, 65536, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_output_threaded(out), before > START);
		mark = sm_output_mark(out);
		test_assert_int(mark, (off_t)before);
		test_assert_int(write_pieces(out, data + before,
		                             (RING + 3) * SLOT + 1, 262144,
		                             &err),
		                SEALMAIL_OK);
		test_assert_int(sm_output_threaded(out), 1);
		test_assert_int(sm_output_rewind(out, mark, &err), SEALMAIL_OK);
		test_assert_int(sealmail_output_write(out, "tail", 4, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
		sealmail_output_free(out);
		if (fd >= 0)
			(void)close(fd);
		memcpy(want, data, before);
		memcpy(want + before, tail, sizeof(tail));
		test_assert(file_is(path, want, before + 4));
	}
	test_assert_int(test_count_entries(dir), 1);
	free(want);
	free(data);
}

/* sm_output_copy_fd with the thread running: in order with the writes. */
static void
test_writer_copy_fd(void)
{
	size_t n = 4 * SLOT, head = START + 3 * SLOT + 11, all = head + n + 4;
	unsigned char *data = NULL, *want = malloc(all), *back = malloc(all);
	int in = make_file("in3", n, &data), o = out_fd("out3", 0);
	sealmail_output *out = NULL;
	sealmail_error err = {0};

	test_assert(want != NULL && back != NULL);
	if (want == NULL || back == NULL) {
		free(want);
		free(back);
		free(data);
		(void)close(in);
		(void)close(o);
		return;
	}
	fill(want, head, 3);
	test_assert_int(sealmail_output_new_fd(&out, o, &err), SEALMAIL_OK);
	test_assert_int(write_pieces(out, want, head, 100000, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 1);
	test_assert_int(sm_output_copy_fd(out, in, 0, (off_t)n, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, "tail", 4, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	memcpy(want + head, data, n);
	memcpy(want + head + n, tail, sizeof(tail));
	test_assert_int(lseek(o, 0, SEEK_END), (off_t)all);
	test_assert(pread(o, back, all, 0) == (ssize_t)all &&
	            memcmp(back, want, all) == 0);
	(void)close(o);
	(void)close(in);
	free(back);
	free(want);
	free(data);
}

/*
 * A regular file that fails on the writer thread: writes past START bytes
 * fail with EFBIG (RLIMIT_FSIZE, SIGXFSZ ignored) until fsize_limit_end.
 * (/dev/full, a character device, is written without a thread.)
 */
static struct rlimit saved_lim;
static struct sigaction saved_xfsz;

static void
fsize_limit_begin(char *path, size_t path_len, char *want, size_t want_len)
{
	struct sigaction ign = {0};
	struct rlimit lim;

	(void)snprintf(path, path_len, "%s/full.out", test_tmpdir());
	(void)snprintf(want, want_len, "%s: File too large", path);
	ign.sa_handler = SIG_IGN;
	test_assert_int(sigaction(SIGXFSZ, &ign, &saved_xfsz), 0);
	test_assert_int(getrlimit(RLIMIT_FSIZE, &saved_lim), 0);
	lim = saved_lim;
	lim.rlim_cur = START;
	test_assert_int(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

static void
fsize_limit_end(const char *path)
{
	test_assert_int(setrlimit(RLIMIT_FSIZE, &saved_lim), 0);
	test_assert_int(sigaction(SIGXFSZ, &saved_xfsz, NULL), 0);
	test_assert(access(path, F_OK) != 0); /* nothing published */
}

/*
 * A write(2) failing on the thread: the first failure the caller sees (at
 * a write or at the commit, never neither) names the output and the
 * system's reason; every call after it fails; nothing is published.
 */
static void
check_failure(sealmail_output *out, const char *message, bool threaded)
{
	size_t n = 4 * START + RING * SLOT;
	unsigned char *data = calloc(1, n);
	sealmail_error err = {0};
	int rc;

	test_assert(data != NULL);
	if (data == NULL)
		return;
	test_assert(!sm_output_failure(out, &err)); /* not failed yet */
	/* one write past the start: the thread (if any) writes everything */
	rc = sealmail_output_write(out, data, START + 1, &err);
	test_assert_int(sm_output_threaded(out), threaded);
	if (rc == SEALMAIL_OK)
		rc = write_pieces(out, data + START + 1, n - START - 1, 262144,
		                  &err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(out, &err);
	test_assert_int(rc, SEALMAIL_EIO);
	test_assert_str(err.message, message);
	/* every call after it says the same: the first failure's reason */
	test_assert_int(sealmail_output_write(out, "x", 1, &err), SEALMAIL_EIO);
	test_assert_str(err.message, message);
	memset(&err, 0, sizeof(err));
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_EIO);
	test_assert_str(err.message, message);
	memset(&err, 0, sizeof(err));
	test_assert(sm_output_failure(out, &err));
	test_assert_int(err.code, SEALMAIL_EIO);
	test_assert_str(err.message, message);
	test_assert_int(sm_output_mark(out), -1);
	free(data);
}

static void
test_writer_enospc(void)
{
	sealmail_output *out = NULL;
	sealmail_error err = {0};

	/* a device is written as it is, without a thread: ENOSPC */
	test_assert_int(sealmail_output_new_path(&out, "/dev/full", &err),
	                SEALMAIL_OK);
	check_failure(out, "/dev/full: No space left on device", false);
	sealmail_output_free(out);
}

/* A file size limit reached on the thread's write: EFBIG, nothing left. */
static void
test_writer_efbig(void)
{
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	char path[512], want[600];

	fsize_limit_begin(path, sizeof(path), want, sizeof(want));
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	check_failure(out, want, true);
	sealmail_output_free(out);
	fsize_limit_end(path);
}

/*
 * A character device gets no thread: /dev/null's write costs nothing and
 * the thread would only copy every byte once more.
 */
static void
test_writer_not_chardev(void)
{
	size_t n = 4 * START;
	unsigned char *data = calloc(1, n);
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	test_assert(data != NULL && fd >= 0);
	test_assert_int(sealmail_output_new_fd(&out, fd, &err), SEALMAIL_OK);
	test_assert_int(write_pieces(out, data, n, 262144, &err), SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 0);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	(void)close(fd);
	free(data);
}

/* An output to a pipe whose reader is gone: EPIPE from the thread's write. */
static void
check_broken_pipe(void)
{
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	int p[2];

	test_assert_int(pipe(p), 0);
	(void)close(p[0]);
	test_assert_int(sealmail_output_new_fd(&out, p[1], &err), SEALMAIL_OK);
	check_failure(out, "output: Broken pipe", true);
	sealmail_output_free(out);
	(void)close(p[1]);
}

static void
test_writer_epipe(void)
{
	struct sigaction ign = {0}, old;
	sigset_t pipe_set, old_set;

	/* SIGPIPE ignored by the process */
	ign.sa_handler = SIG_IGN;
	test_assert_int(sigaction(SIGPIPE, &ign, &old), 0);
	check_broken_pipe();
	test_assert_int(sigaction(SIGPIPE, &old, NULL), 0);

	/*
	 * SIGPIPE blocked by the caller's thread (its disposition the
	 * default): blocked in the writer too, so the process lives on and
	 * the write fails with EPIPE, as from the caller's thread.
	 */
	(void)sigemptyset(&pipe_set);
	(void)sigaddset(&pipe_set, SIGPIPE);
	test_assert_int(pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set), 0);
	check_broken_pipe();
	test_assert_int(pthread_sigmask(SIG_SETMASK, &old_set, NULL), 0);
}

/*
 * A path output freed without a commit, with the thread running and a
 * full ring: no file at the path, no temporary left.
 */
static void
test_writer_free_uncommitted(void)
{
	size_t n = START + (RING + 1) * SLOT + 1;
	unsigned char *data = malloc(n);
	const char *dir = test_tmpdir();
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	char path[256];
	struct stat st;

	test_assert(data != NULL);
	if (data == NULL)
		return;
	fill(data, n, 5);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	test_assert_int(write_pieces(out, data, n, 262144, &err), SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 1);
	sealmail_output_free(out);
	test_assert_int(stat(path, &st), -1);
	test_assert_int(test_count_entries(dir), 0);
	free(data);
}

/*
 * Writing in place: no room before the thread starts; then room in the
 * buffer being filled, a new buffer when it has too little, in order with
 * ordinary writes; a failure of the thread comes back from it.
 */
static void
test_writer_in_place(void)
{
	size_t n = 2 * START + 3 * SLOT, at = 0;
	unsigned char *data = malloc(n), *p = NULL, *back;
	int o = out_fd("inplace", 0);
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	size_t room = 1;
	char path[512], msg[600];

	test_assert(data != NULL);
	if (data == NULL)
		return;
	fill(data, n, 9);
	test_assert_int(sealmail_output_new_fd(&out, o, &err), SEALMAIL_OK);
	test_assert_int(sm_output_reserve(out, 100, &p, &room, &err),
	                SEALMAIL_OK);
	test_assert(p == NULL && room == 0);
	test_assert_int(write_pieces(out, data, START + 1, 65536, &err),
	                SEALMAIL_OK);
	at = START + 1;
	/* more than a buffer: never room */
	test_assert_int(sm_output_reserve(out, SLOT + 1, &p, &room, &err),
	                SEALMAIL_OK);
	test_assert(p == NULL);
	while (at < n) {
		/* odd sizes, so that some do not fit what is left */
		size_t want = 1 + (at * 7919) % 200000;

		if (want > n - at)
			want = n - at;
		if ((at / 1000) % 3 == 0) {
			test_assert_int(sealmail_output_write(out, data + at,
			                                      want, &err),
			                SEALMAIL_OK);
		} else {
			test_assert_int(
			        sm_output_reserve(out, want, &p, &room, &err),
			        SEALMAIL_OK);
			test_assert(p != NULL && room >= want && room <= SLOT);
			if (p == NULL)
				break;
			memcpy(p, data + at, want);
			test_assert_int(sm_output_advance(out, want, &err),
			                SEALMAIL_OK);
		}
		at += want;
	}
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	test_assert_int(lseek(o, 0, SEEK_END), (off_t)n);
	back = malloc(n);
	test_assert(back != NULL && pread(o, back, n, 0) == (ssize_t)n &&
	            memcmp(back, data, n) == 0);
	free(back);
	(void)close(o);

	/* a file over its size limit: the failure comes back from reserve
	 * or advance */
	fsize_limit_begin(path, sizeof(path), msg, sizeof(msg));
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	{
		/* (the thread may fail before this write returns) */
		int rc = sealmail_output_write(out, data, START + 1, &err);

		test_assert_int(sm_output_threaded(out), 1);
		for (int i = 0; i < 64 && rc == SEALMAIL_OK; i++) {
			rc = sm_output_reserve(out, 200000, &p, &room, &err);
			test_assert(rc != SEALMAIL_OK || p != NULL);
			if (rc == SEALMAIL_OK && p != NULL)
				rc = sm_output_advance(out, 200000, &err);
		}
		test_assert_int(rc, SEALMAIL_EIO);
		test_assert_str(err.message, msg);
		test_assert_int(sm_output_reserve(out, 10, &p, &room, &err),
		                SEALMAIL_EIO);
		test_assert_str(err.message, msg);
	}
	sealmail_output_free(out);
	fsize_limit_end(path);
	free(data);
}

/*
 * `n` bytes of `data` into `out`: odd pieces, every other one put in place
 * in the writer's buffer (sm_output_reserve/advance, at most 60000 bytes:
 * past the end of a slot, into its spill area) once the thread runs.
 */
static int
write_mixed(sealmail_output *out,
            const unsigned char *data,
            size_t n,
            sealmail_error *err)
{
	size_t at = 0;
	int rc = SEALMAIL_OK;

	for (unsigned i = 0; rc == SEALMAIL_OK && at < n; i++) {
		size_t want = 1 + (at * 7919 + i) % 60000;
		unsigned char *p = NULL;
		size_t room = 0;

		if (want > n - at)
			want = n - at;
		if (i % 2 == 1 && sm_output_threaded(out))
			rc = sm_output_reserve(out, want, &p, &room, err);
		if (rc == SEALMAIL_OK && p != NULL) {
			test_assert(room >= want && room <= SLOT);
			memcpy(p, data + at, want);
			rc = sm_output_advance(out, want, err);
		} else if (rc == SEALMAIL_OK) {
			rc = sealmail_output_write(out, data + at, want, err);
		}
		at += want;
	}
	return rc;
}

/*
 * Does the file system of `dir` take direct writes (1), and refuse an
 * unaligned one (2)?  0: neither (then the output writes the usual way).
 * tmpfs takes them since Linux 6.6 without refusing any.
 */
static int
dio_probe(const char *dir)
{
	char path[256];
	void *buf = NULL;
	int fd, r = 0;

	(void)snprintf(path, sizeof(path), "%s/probe", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd >= 0 && posix_memalign(&buf, 4096, 4096) == 0) {
		memset(buf, 0, 4096);
		r = pwrite(fd, buf, 4096, 0) == 4096;
		if (r == 1 && pwrite(fd, buf, 1000, 4096) < 0 &&
		    errno == EINVAL)
			r = 2;
	}
	free(buf);
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(path);
	return r;
}

/*
 * A path output's thread writes to the disk directly: its slots at
 * multiples of SLOT, whole, the last one's tail under 4096 bytes the usual
 * way.  Every end around 4096 and a slot, a header before the thread of
 * odd length, bytes copied in (sm_output_copy_fd) after it started, bytes
 * put in place past a slot's end: the file holds the bytes written, and
 * all but the first slot and the tail went directly.
 */
static void
test_writer_direct(void)
{
	static const size_t ends[] = {0,    1,    15,   16,       17,
	                              511,  512,  4095, 4096,     4097,
	                              8191, 8192, SLOT, SLOT + 17};
	static const size_t heads[] = {100, 4096, 65537};
	size_t cmax = 3 * SLOT + 5, max = 65537 + START + 4 * SLOT + 17;
	unsigned char *data = malloc(max), *cdata = NULL;
	int in = make_file("in-direct", cmax, &cdata);
	const char *dir = test_tmpdir();
	bool dio = dio_probe(dir) > 0;
	char path[256];

	test_assert(data != NULL && in >= 0);
	if (data == NULL || in < 0) {
		free(data);
		free(cdata);
		return;
	}
	if (!dio)
		(void)printf("# %s takes no direct writes: checked the "
		             "usual way\n",
		             dir);
	fill(data, max, 5);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	for (size_t e = 0; e < SM_ARRAY_SIZE(ends); e++) {
		for (size_t h = 0; h < SM_ARRAY_SIZE(heads); h++) {
			size_t n = heads[h] + START + 3 * SLOT + ends[e];
			bool copy = (e + h) % 3 == 0;
			unsigned char *want = data;
			sealmail_output *out = NULL;
			sealmail_error err = {0};
			uint64_t direct;

			test_assert_int(
			        sealmail_output_new_path(&out, path, &err),
			        SEALMAIL_OK);
			test_assert_int(sealmail_output_write(out, data,
			                                      heads[h], &err),
			                SEALMAIL_OK);
			if (copy) {
				/* the copied bytes in the middle */
				size_t mid = heads[h] + START + 7;
				want = malloc(n + cmax);
				test_assert(want != NULL);
				if (want == NULL)
					break;
				memcpy(want, data, mid);
				memcpy(want + mid, cdata, cmax);
				memcpy(want + mid + cmax, data + mid, n - mid);
				test_assert_int(
				        write_mixed(out, data + heads[h],
				                    mid - heads[h], &err),
				        SEALMAIL_OK);
				test_assert_int(sm_output_copy_fd(out, in, 0,
				                                  (off_t)cmax,
				                                  &err),
				                SEALMAIL_OK);
				test_assert_int(write_mixed(out, data + mid,
				                            n - mid, &err),
				                SEALMAIL_OK);
				n += cmax;
			} else {
				test_assert_int(write_mixed(out,
				                            data + heads[h],
				                            n - heads[h], &err),
				                SEALMAIL_OK);
			}
			test_assert_int(sm_output_threaded(out), 1);
			test_assert_int(sealmail_output_commit(out, &err),
			                SEALMAIL_OK);
			direct = sm_output_direct_bytes(out);
			sealmail_output_free(out);
			if (!file_is(path, want, n))
				(void)printf("#   head %zu, end %zu%s\n",
				             heads[h], ends[e],
				             copy ? ", copy" : "");
			test_assert(file_is(path, want, n));
			test_assert(direct % 4096 == 0);
			/* before the thread, its first slot, a tail, and
			 * around a copy: one slot and one tail more */
			test_assert(
			        !dio ||
			        (direct > 0 &&
			         n - direct < START + SLOT + 4096 +
			                              (copy ? cmax + SLOT + 4096
			                                    : 0)));
			if (want != data)
				free(want);
		}
	}
	test_assert_int(test_count_entries(dir), 1);
	(void)close(in);
	free(cdata);
	free(data);
}

/*
 * Rewound, a path output writes directly again from the next multiple of
 * SLOT: what it writes after the mark goes so but for one slot and a tail;
 * the file holds the bytes before the mark and those written after.
 */
static void
test_writer_direct_rewind(void)
{
	size_t mark_at = START + 3 * SLOT + 1001, n = mark_at + 3 * SLOT + 77;
	unsigned char *data = malloc(n), *junk = calloc(1, 2 * SLOT + 5);
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	const char *dir = test_tmpdir();
	char path[256];
	uint64_t at_rewind;

	test_assert(data != NULL && junk != NULL);
	if (data == NULL || junk == NULL || dio_probe(dir) == 0) {
		free(data);
		free(junk);
		return;
	}
	fill(data, n, 13);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	test_assert_int(write_mixed(out, data, mark_at, &err), SEALMAIL_OK);
	test_assert_int(sm_output_mark(out), (off_t)mark_at);
	test_assert_int(write_mixed(out, junk, 2 * SLOT + 5, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_rewind(out, (off_t)mark_at, &err),
	                SEALMAIL_OK);
	at_rewind = sm_output_direct_bytes(out);
	test_assert_int(write_mixed(out, data + mark_at, n - mark_at, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	test_assert(n - mark_at - (sm_output_direct_bytes(out) - at_rewind) <
	            SLOT + 4096);
	sealmail_output_free(out);
	test_assert(file_is(path, data, n));
	free(junk);
	free(data);
}

/*
 * A large path output written faster than the disk takes it (memcpy):
 * once the caller has found the ring full DIRECT_STALLS times, the thread
 * writes the usual way; the file holds the bytes either way.
 */
static void
test_writer_direct_large(void)
{
	size_t n = 48 * START + 4097;
	unsigned char *data = malloc(n);
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	char path[256];
	uint64_t direct;

	test_assert(data != NULL);
	if (data == NULL)
		return;
	fill(data, n, 17);
	(void)snprintf(path, sizeof(path), "%s/out", test_tmpdir());
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	test_assert_int(write_pieces(out, data, n, 262144, &err), SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	direct = sm_output_direct_bytes(out);
	(void)printf("# %llu of %zu bytes written directly\n",
	             (unsigned long long)direct, n);
	test_assert(direct % 4096 == 0 && direct < n);
	sealmail_output_free(out);
	test_assert(file_is(path, data, n));
	free(data);
}

/*
 * A direct write the file system refuses (offset and length left
 * unaligned on purpose: EINVAL) is written the usual way, and so is
 * everything after it: no byte lost, none written twice.
 */
static void
test_writer_direct_refused(void)
{
	size_t first = START + 1000, n = first + 4 * SLOT + 123;
	unsigned char *data = malloc(n);
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	const char *dir = test_tmpdir();
	char path[256];
	uint64_t before;

	test_assert(data != NULL);
	if (data == NULL)
		return;
	if (dio_probe(dir) != 2) {
		(void)printf("# skipped: %s refuses no unaligned direct "
		             "write\n",
		             dir);
		free(data);
		return;
	}
	fill(data, n, 11);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	sm_output_set_dio_align(out, 1);
	/* the thread starts at offset 0: its first slots are aligned */
	test_assert_int(sealmail_output_write(out, data, START + 1, &err),
	                SEALMAIL_OK);
	test_assert_int(write_pieces(out, data + START + 1, first - START - 1,
	                             333, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 1);
	/* drained: the slots so far went directly, up to the last one, a
	 * 1000-byte piece the file system refused */
	test_assert_int(sm_output_mark(out), (off_t)first);
	before = sm_output_direct_bytes(out);
	test_assert_int(before, (uint64_t)START);
	test_assert_int(write_pieces(out, data + first, n - first, 70001, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	test_assert_int(sm_output_direct_bytes(out), before);
	sealmail_output_free(out);
	test_assert(file_is(path, data, n));
	free(data);
}

/*
 * A caller's descriptor with direct writes (sealmail_output_set_direct):
 * the caller has written `pre` bytes to it first (its offset not aligned),
 * then every end around 4096 and a slot through the output, some bytes put
 * in place past a slot's end.  Committed, the descriptor's offset is at the
 * end of what was written (before and after the free), its flags are as
 * they were, and what the caller writes next follows (a shell's `{
 * sealmail protect; echo more; } >f`); the file holds exactly those bytes;
 * all but the first slot (up to a multiple of SLOT) and the tail went
 * directly.
 */
static void
test_writer_direct_fd(void)
{
	static const unsigned char more[4] = {'m', 'o', 'r', 'e'};
	static const size_t pres[] = {0,    1,        4095,      4096,
	                              4097, SLOT - 1, SLOT + 100};
	static const size_t ends[] = {0, 1, 4095, 4096, 4097, SLOT, SLOT + 17};
	size_t max = SLOT + 100 + START + 3 * SLOT + SLOT + 17 + 4;
	unsigned char *data = malloc(max), *want = malloc(max);
	const char *dir = test_tmpdir();
	bool dio = dio_probe(dir) > 0;
	char path[256];

	test_assert(data != NULL && want != NULL);
	if (data == NULL || want == NULL) {
		free(data);
		free(want);
		return;
	}
	fill(data, max, 19);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	for (size_t p = 0; p < SM_ARRAY_SIZE(pres); p++) {
		for (size_t e = 0; e < SM_ARRAY_SIZE(ends); e++) {
			size_t pre = pres[p], n = START + 3 * SLOT + ends[e];
			sealmail_output *out = NULL;
			sealmail_error err = {0};
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			int fl = fcntl(fd, F_GETFL);
			uint64_t direct;

			test_assert(fd >= 0 && fl >= 0);
			test_assert(write(fd, data, pre) == (ssize_t)pre);
			test_assert_int(sealmail_output_new_fd(&out, fd, &err),
			                SEALMAIL_OK);
			test_assert_int(
			        sealmail_output_set_direct(out, true, &err),
			        SEALMAIL_OK);
			test_assert_int(write_mixed(out, data + pre, n, &err),
			                SEALMAIL_OK);
			test_assert_int(sm_output_threaded(out), 1);
			test_assert_int(sealmail_output_commit(out, &err),
			                SEALMAIL_OK);
			direct = sm_output_direct_bytes(out);
			test_assert_int(lseek(fd, 0, SEEK_CUR),
			                (off_t)(pre + n));
			sealmail_output_free(out);
			test_assert_int(lseek(fd, 0, SEEK_CUR),
			                (off_t)(pre + n));
			test_assert_int(fcntl(fd, F_GETFL), fl);
			test_assert(write(fd, "more", 4) == 4);
			(void)close(fd);
			memcpy(want, data, pre + n);
			memcpy(want + pre + n, more, sizeof(more));
			if (!file_is(path, want, pre + n + 4))
				(void)printf("#   pre %zu, end %zu\n", pre,
				             ends[e]);
			test_assert(file_is(path, want, pre + n + 4));
			test_assert(direct % 4096 == 0);
			test_assert(
			        !dio ||
			        (direct > 0 &&
			         pre + n - direct < pre + START + SLOT + 4096));
		}
	}
	free(want);
	free(data);
}

/* A pipe's reading end read to its end and compared with `want`. */
struct pipe_reader {
	int fd;
	const unsigned char *want;
	size_t len;
	bool same;
};

static void *
read_pipe(void *arg)
{
	struct pipe_reader *r = arg;
	unsigned char buf[65536];
	size_t got = 0;
	ssize_t k;
	bool same = true;

	while ((k = read(r->fd, buf, sizeof(buf))) > 0) {
		if (got + (size_t)k > r->len ||
		    memcmp(buf, r->want + got, (size_t)k) != 0)
			same = false;
		got += (size_t)k;
	}
	r->same = same && got == r->len;
	return NULL;
}

/*
 * No direct writes where they would not be safe, the bytes written as
 * usual: not asked for; in append mode; synchronous (O_DSYNC); the same
 * file as standard error (another descriptor of it: `>f 2>>f`); a pipe.
 * A descriptor open only for reading fails as it did (EBADF), even when
 * the thread starts at an aligned offset with nothing buffered: it is not
 * written through a second descriptor opened for writing.
 */
static void
test_writer_direct_fd_unsafe(void)
{
	size_t n = START + 4 * SLOT + 5;
	unsigned char *data = malloc(n + 10);
	const char *dir = test_tmpdir();
	char path[256];

	test_assert(data != NULL);
	if (data == NULL)
		return;
	fill(data, n + 10, 23);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	for (int c = 0; c < 4; c++) {
		/* 0: not asked, 1: O_APPEND, 2: O_DSYNC, 3: standard error */
		static const int flags[] = {0, O_APPEND, O_DSYNC, 0};
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | flags[c],
		              0600);
		int fl = fcntl(fd, F_GETFL), saved = -1;

		test_assert(fd >= 0 && write(fd, data, 10) == 10);
		if (c == 3) {
			int other = open(path, O_WRONLY | O_APPEND);

			saved = dup(STDERR_FILENO);
			test_assert(other >= 0 && saved >= 0 &&
			            dup2(other, STDERR_FILENO) ==
			                    STDERR_FILENO);
			(void)close(other);
		}
		test_assert_int(sealmail_output_new_fd(&out, fd, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_set_direct(out, c != 0, &err),
		                SEALMAIL_OK);
		test_assert_int(write_mixed(out, data + 10, n, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_output_threaded(out), 1);
		test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
		test_assert_int(sm_output_direct_bytes(out), 0);
		sealmail_output_free(out);
		if (saved >= 0) {
			(void)dup2(saved, STDERR_FILENO);
			(void)close(saved);
		}
		test_assert_int(lseek(fd, 0, SEEK_CUR), (off_t)(n + 10));
		test_assert_int(fcntl(fd, F_GETFL), fl);
		(void)close(fd);
		if (!file_is(path, data, n + 10))
			(void)printf("#   case %d\n", c);
		test_assert(file_is(path, data, n + 10));
	}
	{
		/* a pipe: written as usual (read by a thread of ours) */
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		struct pipe_reader r = {.len = n};
		pthread_t t;
		int p[2];

		test_assert_int(pipe(p), 0);
		r.fd = p[0];
		r.want = data + 10;
		test_assert_int(pthread_create(&t, NULL, read_pipe, &r), 0);
		test_assert_int(sealmail_output_new_fd(&out, p[1], &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_set_direct(out, true, &err),
		                SEALMAIL_OK);
		test_assert_int(write_pieces(out, data + 10, n, 65536, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_output_threaded(out), 1);
		test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
		test_assert_int(sm_output_direct_bytes(out), 0);
		sealmail_output_free(out);
		(void)close(p[1]);
		(void)pthread_join(t, NULL);
		test_assert(r.same);
		(void)close(p[0]);
	}
	{
		/* open for reading only: EBADF, nothing written */
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), rc;

		(void)close(fd);
		fd = open(path, O_RDONLY);
		test_assert(fd >= 0);
		test_assert_int(sealmail_output_new_fd(&out, fd, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_set_direct(out, true, &err),
		                SEALMAIL_OK);
		rc = sealmail_output_write(out, data, n, &err);
		test_assert_int(sm_output_threaded(out), 1);
		if (rc == SEALMAIL_OK)
			rc = sealmail_output_commit(out, &err);
		test_assert_int(rc, SEALMAIL_EIO);
		test_assert_str(err.message, "output: Bad file descriptor");
		test_assert_int(sm_output_direct_bytes(out), 0);
		sealmail_output_free(out);
		(void)close(fd);
		test_assert(file_is(path, data, 0));
	}
	free(data);
}

/*
 * A caller's descriptor falls back to the usual writes at the right offset:
 * written faster than the disk takes it (memcpy, 48 times the thread's
 * start: the caller finds the ring full), and refused by the file system
 * (offsets left unaligned on purpose: EINVAL at the first direct write).
 * The file holds the caller's head and the bytes written, the offset is
 * at their end.
 */
static void
test_writer_direct_fd_fallback(void)
{
	size_t n = 48 * START + 4097, pre = 1000;
	unsigned char *data = malloc(n + pre);
	const char *dir = test_tmpdir();
	char path[256];

	test_assert(data != NULL);
	if (data == NULL)
		return;
	fill(data, n + pre, 41);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	for (int refused = 0; refused < 2; refused++) {
		size_t len = refused ? START + 4 * SLOT + 123 : n;
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		uint64_t direct;

		if (refused && dio_probe(dir) != 2) {
			(void)printf("# skipped: %s refuses no unaligned "
			             "direct write\n",
			             dir);
			(void)close(fd);
			break;
		}
		test_assert(fd >= 0 && write(fd, data, pre) == (ssize_t)pre);
		test_assert_int(sealmail_output_new_fd(&out, fd, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_set_direct(out, true, &err),
		                SEALMAIL_OK);
		if (refused)
			sm_output_set_dio_align(out, 1);
		test_assert_int(
		        write_pieces(out, data + pre, len, 262144, &err),
		        SEALMAIL_OK);
		test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
		direct = sm_output_direct_bytes(out);
		(void)printf("# %llu of %zu bytes written directly\n",
		             (unsigned long long)direct, len);
		test_assert(refused ? direct == 0 : direct < len);
		sealmail_output_free(out);
		test_assert_int(lseek(fd, 0, SEEK_CUR), (off_t)(pre + len));
		(void)close(fd);
		test_assert(file_is(path, data, pre + len));
	}
	free(data);
}

/*
 * Rewound, a caller's descriptor written directly is cut back to the mark
 * (no direct byte past it: the file's size is exact) and written directly
 * again; marked before the thread started or after, its offset not
 * aligned.
 */
static void
test_writer_direct_fd_rewind(void)
{
	size_t n = 2 * START + (RING + 8) * SLOT;
	unsigned char *data = malloc(n), *want = malloc(n);
	const char *dir = test_tmpdir();
	bool dio = dio_probe(dir) > 0;
	char path[256];

	test_assert(data != NULL && want != NULL);
	if (data == NULL || want == NULL) {
		free(data);
		free(want);
		return;
	}
	fill(data, n, 29);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	for (int mode = 0; mode < 2; mode++) {
		/* mode 1: marked before the thread starts */
		size_t before = mode ? 1001 : START + 5 * SLOT + 1003;
		size_t after = START + 3 * SLOT + 77;
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		uint64_t at_rewind;
		struct stat st;

		test_assert(fd >= 0);
		test_assert_int(sealmail_output_new_fd(&out, fd, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_set_direct(out, true, &err),
		                SEALMAIL_OK);
		test_assert_int(write_mixed(out, data, before, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_output_mark(out), (off_t)before);
		test_assert_int(write_pieces(out, data + before,
		                             (RING + 3) * SLOT + 1, 262144,
		                             &err),
		                SEALMAIL_OK);
		test_assert_int(sm_output_threaded(out), 1);
		test_assert_int(sm_output_rewind(out, (off_t)before, &err),
		                SEALMAIL_OK);
		test_assert(fstat(fd, &st) == 0 && st.st_size == (off_t)before);
		at_rewind = sm_output_direct_bytes(out);
		test_assert(!dio || mode == 1 || at_rewind > 0);
		test_assert_int(write_mixed(out, data + before, after, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
		test_assert(!dio ||
		            after - (sm_output_direct_bytes(out) - at_rewind) <
		                    SLOT + 4096);
		sealmail_output_free(out);
		test_assert_int(lseek(fd, 0, SEEK_CUR),
		                (off_t)(before + after));
		(void)close(fd);
		test_assert(file_is(path, data, before + after));
	}
	free(want);
	free(data);
}

/*
 * A caller's descriptor written directly reaches a file size limit on
 * the thread, at a multiple of 4096 or not: the failure says why (EFBIG,
 * every call after it too), and the descriptor's offset is at the end of
 * what was written, the file holding the bytes up to the limit.
 */
static void
test_writer_direct_fd_efbig(void)
{
	/* the last one with a drain after each buffer: each written alone,
	 * the one reaching the limit cut short inside it */
	static const size_t limits[] = {START + 4 * SLOT,
	                                START + 4 * SLOT + 1000,
	                                START + 4 * SLOT + 8192};
	size_t n = 4 * START + RING * SLOT;
	unsigned char *data = malloc(n);
	char path[512], want[600];

	test_assert(data != NULL);
	if (data == NULL)
		return;
	fill(data, n, 31);
	for (size_t l = 0; l < SM_ARRAY_SIZE(limits); l++) {
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		struct rlimit lim;
		struct stat st;
		int fd, rc;

		fsize_limit_begin(path, sizeof(path), want, sizeof(want));
		lim = saved_lim;
		lim.rlim_cur = limits[l];
		test_assert_int(setrlimit(RLIMIT_FSIZE, &lim), 0);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		test_assert(fd >= 0);
		test_assert_int(sealmail_output_new_fd(&out, fd, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_set_direct(out, true, &err),
		                SEALMAIL_OK);
		rc = write_pieces(out, data, START + SLOT, 65536, &err);
		for (size_t at = START + SLOT; rc == SEALMAIL_OK && at < n;
		     at += SLOT) {
			rc = sealmail_output_write(
			        out, data + at, n - at < SLOT ? n - at : SLOT,
			        &err);
			if (rc == SEALMAIL_OK && l == 2 &&
			    sm_output_mark(out) < 0)
				rc = sealmail_output_commit(out, &err);
		}
		test_assert_int(sm_output_threaded(out), 1);
		if (rc == SEALMAIL_OK)
			rc = sealmail_output_commit(out, &err);
		test_assert_int(rc, SEALMAIL_EIO);
		test_assert_str(err.message, "output: File too large");
		test_assert_int(sealmail_output_write(out, "x", 1, &err),
		                SEALMAIL_EIO);
		test_assert_str(err.message, "output: File too large");
		sealmail_output_free(out);
		test_assert(fstat(fd, &st) == 0 &&
		            st.st_size == (off_t)limits[l]);
		test_assert_int(lseek(fd, 0, SEEK_CUR), (off_t)limits[l]);
		(void)close(fd);
		test_assert(file_is(path, data, limits[l]));
		(void)unlink(path);
		fsize_limit_end(path);
	}
	free(data);
}

/*
 * The writer sleeps until half the ring is queued: the caller, slower than
 * it, wakes it about once per RING / 2 buffers, not once per buffer (about
 * 40 before); what is queued
 * below that is written at a drain (mark) and at the end, never left.
 */
static void
test_writer_wakeups(void)
{
	size_t n = START + 40 * SLOT + 3, part = START + 2 * SLOT + 1;
	unsigned char *data = malloc(n);
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	int fd = out_fd("wake", 0);
	struct stat st;
	uint64_t wakes;

	test_assert(data != NULL && fd >= 0);
	if (data == NULL)
		return;
	fill(data, n, 37);
	test_assert_int(sealmail_output_new_fd(&out, fd, &err), SEALMAIL_OK);
	/* two buffers queued, the writer asleep: the mark writes them */
	test_assert_int(write_pieces(out, data, part, 65536, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 1);
	test_assert_int(sm_output_mark(out), (off_t)part);
	test_assert(fstat(fd, &st) == 0 && st.st_size == (off_t)part);
	/* slower than the writer, so that it sleeps whenever it may */
	for (size_t at = part; at < n; at += 65536) {
		struct timespec pause = {0, 100000};

		test_assert_int(sealmail_output_write(
		                        out, data + at,
		                        n - at < 65536 ? n - at : 65536, &err),
		                SEALMAIL_OK);
		(void)nanosleep(&pause, NULL);
	}
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	wakes = sm_output_wakeups(out);
	(void)printf("# %llu wake-ups for %zu buffers\n",
	             (unsigned long long)wakes, (n - START) / SLOT);
	/* 40 buffers: at most one per RING / 2, the mark and the commit */
	test_assert(wakes >= 2 && wakes <= 40 / (RING / 2) + 3);
	sealmail_output_free(out);
	test_assert(fstat(fd, &st) == 0 && st.st_size == (off_t)n);
	(void)close(fd);
	free(data);
}

/*
 * Settled: the thread ended with everything written, the file not yet
 * published; a later write starts it again; the commit publishes it all.
 */
static void
test_writer_settle(void)
{
	size_t n = 2 * START + 5;
	unsigned char *data = malloc(n);
	const char *dir = test_tmpdir();
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	char path[512], want[600];
	struct stat st;
	int rc;

	test_assert(data != NULL);
	if (data == NULL)
		return;
	fill(data, n, 11);
	(void)snprintf(path, sizeof(path), "%s/out", dir);
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_settle(out, &err), SEALMAIL_OK);
	test_assert_int(write_pieces(out, data, START + SLOT, 65536, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 1);
	test_assert_int(sm_output_settle(out, &err), SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 0);
	test_assert_int(stat(path, &st), -1);
	test_assert_int(write_pieces(out, data + START + SLOT, n - START - SLOT,
	                             65536, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 1);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	test_assert(file_is(path, data, n));
	test_assert_int(test_count_entries(dir), 1);

	/* a failure on the thread comes back from the settling */
	fsize_limit_begin(path, sizeof(path), want, sizeof(want));
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	/* the write hands the bytes over (OK) or meets the failure (EIO) */
	rc = sealmail_output_write(out, data, START + 1, &err);
	test_assert(rc == SEALMAIL_OK || rc == SEALMAIL_EIO);
	test_assert_int(sm_output_settle(out, &err), SEALMAIL_EIO);
	test_assert_str(err.message, want);
	test_assert_int(sm_output_threaded(out), 0);
	sealmail_output_free(out);
	fsize_limit_end(path);
	free(data);
}

/* A path output that failed (here a rewind) is not published by a commit. */
static void
test_failed_not_published(void)
{
	const char *dir = test_tmpdir();
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	char path[256];
	struct stat st;

	(void)snprintf(path, sizeof(path), "%s/out", dir);
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, "partial", 7, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_rewind(out, -1, &err), SEALMAIL_EIO);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_EIO);
	test_assert_str(err.message, "output already failed");
	sealmail_output_free(out);
	test_assert_int(stat(path, &st), -1);
	test_assert_int(test_count_entries(dir), 0);
}

/*
 * Held outputs: a path output's temporary and /dev/null, nothing else (a
 * caller's file, a pipe, another character device, memory, a callback).
 */
static int
discard_cb(const void *buf, size_t len, void *payload)
{
	(void)buf;
	(void)len;
	(void)payload;
	return 0;
}

static void
check_fd_held(int fd, bool held)
{
	sealmail_output *out = NULL;
	sealmail_error err = {0};

	test_assert(fd >= 0);
	test_assert_int(sealmail_output_new_fd(&out, fd, &err), SEALMAIL_OK);
	test_assert_int(sm_output_held(out), held);
	sealmail_output_free(out);
	(void)close(fd);
}

static void
test_held(void)
{
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	char path[256];
	int p[2];

	(void)snprintf(path, sizeof(path), "%s/held", test_tmpdir());
	test_assert_int(sealmail_output_new_path(&out, path, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_held(out), 1);
	sealmail_output_free(out);
	test_assert_int(sealmail_output_new_path(&out, "/dev/null", &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_held(out), 1);
	sealmail_output_free(out);
	test_assert_int(sealmail_output_new_path(&out, "/dev/zero", &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_held(out), 0);
	sealmail_output_free(out);

	check_fd_held(open("/dev/null", O_WRONLY | O_CLOEXEC), true);
	check_fd_held(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), false);
	test_assert_int(pipe(p), 0);
	check_fd_held(p[1], false);
	(void)close(p[0]);

	test_assert_int(
	        sealmail_output_new_callback(&out, discard_cb, NULL, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_output_held(out), 0);
	sealmail_output_free(out);
	test_assert_int(sm_output_held(NULL), 0);
	(void)unlink(path);
}

/* Direct writes are chosen before the first write, on an output. */
static void
test_direct_too_late(void)
{
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	test_assert(fd >= 0);
	test_assert_int(sealmail_output_set_direct(NULL, true, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "no output");
	test_assert_int(sealmail_output_new_fd(&out, fd, &err), SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, "x", 1, &err), SEALMAIL_OK);
	test_assert_int(sealmail_output_set_direct(out, true, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "output: direct writes are chosen "
	                             "before the first write");
	sealmail_output_free(out);
	(void)close(fd);
}

/* ---- held outputs (sealmail_output_new_held)
 * --------------------------- */

enum { HOLD = 1 << 20 };

/* A file `name` in the folder of held-output tests' files. */
static int
held_file(const char *name, int flags, char *path, size_t size)
{
	static const char *dir;

	if (dir == NULL)
		dir = test_tmpdir();
	(void)snprintf(path, size, "%s/%s", dir, name);
	return open(path, O_RDWR | O_CREAT | O_TRUNC | flags, 0600);
}

static int
held_out(const char *name, int flags)
{
	char path[256];

	return held_file(name, flags, path, sizeof(path));
}

static off_t
fd_size(int fd)
{
	struct stat st;

	test_assert_int(fstat(fd, &st), 0);
	return st.st_size;
}

/*
 * Every size around the 1 MiB kept in memory and past the writer
 * thread's start, written in pieces or at once, to a file (the
 * descriptor's offset and what is before it kept): nothing reaches it
 * before the commit, the temporary is never in its folder, a second
 * commit adds nothing.
 */
static void
test_held_sizes(void)
{
	static const size_t sizes[] = {0,        1,        HOLD - 1,       HOLD,
	                               HOLD + 1, HOLD * 2, (3u << 20) + 17};
	size_t max = (3u << 20) + 17;
	unsigned char *data = malloc(max), *back = malloc(max + 3);
	const char *dir = test_tmpdir();

	test_assert(data != NULL && back != NULL);
	for (size_t i = 0; i < max; i++)
		data[i] = (unsigned char)(i * 13 + i / 251);
	for (size_t s = 0; s < SM_ARRAY_SIZE(sizes); s++) {
		for (int piece = 0; piece < 2; piece++) {
			size_t n = sizes[s], step = piece ? 4099 : n + 1;
			sealmail_output *out = NULL;
			sealmail_error err = {0};
			int fd = held_out("held-out", 0);

			test_assert(write(fd, "pre", 3) == 3);
			test_assert_int(
			        sealmail_output_new_held(&out, fd, dir, &err),
			        SEALMAIL_OK);
			test_assert_int(sm_output_held(out), 1);
			for (size_t at = 0; at < n; at += step) {
				size_t k = n - at < step ? n - at : step;
				test_assert_int(sealmail_output_write(out,
				                                      data + at,
				                                      k, &err),
				                SEALMAIL_OK);
			}
			test_assert_int(fd_size(fd), 3);
			test_assert_int(test_count_entries(dir), 0);
			test_assert_int(sealmail_output_commit(out, &err),
			                SEALMAIL_OK);
			test_assert_int(sealmail_output_commit(out, &err),
			                SEALMAIL_OK);
			test_assert_int(lseek(fd, 0, SEEK_CUR), (off_t)n + 3);
			sealmail_output_free(out);
			test_assert_int(fd_size(fd), (off_t)n + 3);
			test_assert(pread(fd, back, n + 3, 0) ==
			            (ssize_t)n + 3);
			test_assert(memcmp(back, "pre", 3) == 0 &&
			            memcmp(back + 3, data, n) == 0);
			(void)close(fd);
		}
	}
	free(data);
	free(back);
}

struct drain {
	int fd;
	unsigned char *buf;
	size_t len, cap;
};

static void *
drain_main(void *arg)
{
	struct drain *d = arg;
	ssize_t n;

	while ((n = read(d->fd, d->buf + d->len, d->cap - d->len)) > 0)
		d->len += (size_t)n;
	return NULL;
}

/*
 * To a pipe (sendfile past memory): nothing readable from it before the
 * commit; then the bytes, in order, with what a later write and commit
 * add after them.
 */
static void
test_held_pipe(void)
{
	static const size_t sizes[] = {1000, HOLD + 1, (5u << 20) + 3};
	unsigned char *data = malloc(sizes[2]);

	test_assert(data != NULL);
	for (size_t i = 0; i < sizes[2]; i++)
		data[i] = (unsigned char)(i * 31 + i / 509);
	for (size_t s = 0; s < SM_ARRAY_SIZE(sizes); s++) {
		struct drain d = {0};
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		pthread_t t;
		int p[2], queued = -1;

		test_assert_int(pipe(p), 0);
		test_assert_int(
		        sealmail_output_new_held(&out, p[1], NULL, &err),
		        SEALMAIL_OK);
		test_assert_int(
		        sealmail_output_write(out, data, sizes[s], &err),
		        SEALMAIL_OK);
		test_assert_int(ioctl(p[0], FIONREAD, &queued), 0);
		test_assert_int(queued, 0);
		d.fd = p[0];
		d.cap = sizes[s] + 16;
		d.buf = malloc(d.cap);
		test_assert(d.buf != NULL);
		test_assert_int(pthread_create(&t, NULL, drain_main, &d), 0);
		test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
		test_assert_int(sealmail_output_write(out, "more", 4, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
		sealmail_output_free(out);
		(void)close(p[1]);
		test_assert_int(pthread_join(t, NULL), 0);
		(void)close(p[0]);
		test_assert_int(d.len, sizes[s] + 4);
		test_assert(memcmp(d.buf, data, sizes[s]) == 0 &&
		            memcmp(d.buf + sizes[s], "more", 4) == 0);
		free(d.buf);
	}
	free(data);
}

/*
 * Freed without a commit (in memory, spilled, with the writer thread
 * running): nothing reaches the descriptor, no file is left behind.
 */
static void
test_held_free_uncommitted(void)
{
	static const size_t sizes[] = {10, HOLD + 10, (3u << 20) + 10};
	unsigned char *data = calloc(1, sizes[2]);
	const char *dir = test_tmpdir();

	test_assert(data != NULL);
	for (size_t s = 0; s < SM_ARRAY_SIZE(sizes); s++) {
		sealmail_output *out = NULL;
		sealmail_error err = {0};
		int fd = held_out("held-free", 0);

		test_assert_int(sealmail_output_new_held(&out, fd, dir, &err),
		                SEALMAIL_OK);
		test_assert_int(
		        sealmail_output_write(out, data, sizes[s], &err),
		        SEALMAIL_OK);
		test_assert_int(sm_output_threaded(out), s == 2);
		sealmail_output_free(out);
		test_assert_int(fd_size(fd), 0);
		test_assert_int(test_count_entries(dir), 0);
		(void)close(fd);
	}
	free(data);
}

/*
 * mark and rewind, in memory and across the temporary; a file's bytes
 * copied in (sm_output_copy_fd: written the usual way while they fit in
 * memory, in the kernel into the temporary past it).
 */
static void
test_held_rewind_copy(void)
{
	size_t n = (2u << 20) + 5;
	unsigned char *data = NULL, *back = malloc(n + 16);
	int in = make_file("held-in", n, &data), fd = held_out("held-rw", 0);
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	off_t m;

	test_assert_int(sealmail_output_new_held(&out, fd, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, "head", 4, &err),
	                SEALMAIL_OK);
	m = sm_output_mark(out);
	test_assert_int(m, 4);
	test_assert_int(sm_output_copy_fd(out, in, 0, 1000, &err),
	                SM_OUTPUT_NO_COPY);
	test_assert_int(sealmail_output_write(out, data, 1000, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_output_rewind(out, m, &err), SEALMAIL_OK);
	test_assert_int(sm_output_mark(out), 4);
	test_assert_int(sm_output_copy_fd(out, in, 0, (off_t)n, &err),
	                SEALMAIL_OK); /* past 1 MiB: into the temporary */
	test_assert_int(sm_output_mark(out), (off_t)n + 4);
	test_assert_int(sm_output_rewind(out, m, &err), SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, data + 7, n - 7, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, "tail", 4, &err),
	                SEALMAIL_OK);
	test_assert_int(fd_size(fd), 0);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	test_assert_int(fd_size(fd), (off_t)n + 4 - 7 + 4);
	test_assert(pread(fd, back, n + 1, 0) == (ssize_t)n + 1);
	test_assert(memcmp(back, "head", 4) == 0 &&
	            memcmp(back + 4, data + 7, n - 7) == 0 &&
	            memcmp(back + 4 + n - 7, "tail", 4) == 0);
	(void)close(fd);
	(void)close(in);
	free(data);
	free(back);
}

/* The copy the usual way (sendfile refuses a file in append mode). */
static void
test_held_append(void)
{
	size_t n = HOLD + 4097;
	unsigned char *data = malloc(n), *back = malloc(n + 3);
	int fd = held_out("held-append", O_APPEND);
	sealmail_output *out = NULL;
	sealmail_error err = {0};

	test_assert(data != NULL && back != NULL);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i % 249);
	test_assert(write(fd, "pre", 3) == 3);
	test_assert_int(sealmail_output_new_held(&out, fd, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, data, n, &err), SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	sealmail_output_free(out);
	test_assert(pread(fd, back, n + 3, 0) == (ssize_t)n + 3);
	test_assert(memcmp(back, "pre", 3) == 0 &&
	            memcmp(back + 3, data, n) == 0);
	(void)close(fd);
	free(data);
	free(back);
}

/* A commit whose copy fails, from memory and from the temporary. */
static void
check_held_failure(int fd, size_t n, const char *want)
{
	unsigned char *data = calloc(1, n);
	sealmail_output *out = NULL;
	sealmail_error err = {0};

	test_assert(data != NULL);
	test_assert_int(sealmail_output_new_held(&out, fd, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, data, n, &err), SEALMAIL_OK);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_EIO);
	test_assert_str(err.message, want);
	/* failed: never again, the first reason kept */
	memset(&err, 0, sizeof(err));
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_EIO);
	test_assert_str(err.message, want);
	test_assert_int(sealmail_output_write(out, "x", 1, &err), SEALMAIL_EIO);
	sealmail_output_free(out);
	free(data);
}

static void
test_held_failure(void)
{
	struct sigaction ign = {0}, old;
	sealmail_output *out = NULL;
	sealmail_error err = {0};
	char want[64], path[256];
	int fd, p[2];

	/* read-only: EBADF */
	fd = held_file("held-ro", 0, path, sizeof(path));
	(void)close(fd);
	fd = open(path, O_RDONLY);
	test_assert(fd >= 0);
	(void)snprintf(want, sizeof(want), "descriptor %d: %s", fd,
	               strerror(EBADF));
	check_held_failure(fd, 100, want);
	check_held_failure(fd, HOLD + 100, want);
	(void)close(fd);

	/* a pipe whose reader is gone, SIGPIPE ignored: EPIPE */
	ign.sa_handler = SIG_IGN;
	test_assert_int(sigaction(SIGPIPE, &ign, &old), 0);
	test_assert_int(pipe(p), 0);
	(void)close(p[0]);
	(void)snprintf(want, sizeof(want), "descriptor %d: %s", p[1],
	               strerror(EPIPE));
	check_held_failure(p[1], 100, want);
	check_held_failure(p[1], HOLD + 100, want);
	(void)close(p[1]);
	test_assert_int(sigaction(SIGPIPE, &old, NULL), 0);

	/* no folder for the temporary: the write past 1 MiB fails */
	(void)snprintf(path, sizeof(path), "%s/none", test_tmpdir());
	test_assert_int(sealmail_output_new_held(&out, 1, path, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, path, 10, &err),
	                SEALMAIL_OK);
	{
		unsigned char *big = calloc(1, HOLD);
		test_assert(big != NULL);
		test_assert_int(sealmail_output_write(out, big, HOLD, &err),
		                SEALMAIL_EIO);
		free(big);
	}
	(void)snprintf(want, sizeof(want),
	               "cannot create a temporary file in ");
	test_assert(strncmp(err.message, want, strlen(want)) == 0);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_EIO);
	sealmail_output_free(out);

	test_assert_int(sealmail_output_new_held(&out, -1, NULL, &err),
	                SEALMAIL_EINVAL);
	test_assert(out == NULL);
}

/*
 * sealmail_output_set_direct on a held output: accepted, no effect (its
 * temporary is read back by the commit, from the page cache).
 */
static void
test_held_not_direct(void)
{
	size_t n = (4u << 20) + 4096;
	unsigned char *data = malloc(n), *back = malloc(n);
	int fd = held_out("held-direct", 0);
	sealmail_output *out = NULL;
	sealmail_error err = {0};

	test_assert(data != NULL && back != NULL);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i % 241);
	test_assert_int(sealmail_output_new_held(&out, fd, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_set_direct(out, true, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_output_write(out, data, n, &err), SEALMAIL_OK);
	test_assert_int(sm_output_threaded(out), 1);
	test_assert_int(sealmail_output_commit(out, &err), SEALMAIL_OK);
	test_assert_int(sm_output_direct_bytes(out), 0);
	sealmail_output_free(out);
	test_assert(pread(fd, back, n, 0) == (ssize_t)n &&
	            memcmp(back, data, n) == 0);
	(void)close(fd);
	free(data);
	free(back);
}

static const struct test_case tests[] = {
        {"copy_in_order", test_copy_in_order},
        {"no_copy", test_no_copy},
        {"writer_sizes", test_writer_sizes},
        {"writer_not_callback", test_writer_not_callback},
        {"writer_rewind", test_writer_rewind},
        {"writer_copy_fd", test_writer_copy_fd},
        {"writer_enospc", test_writer_enospc},
        {"writer_efbig", test_writer_efbig},
        {"writer_not_chardev", test_writer_not_chardev},
        {"writer_epipe", test_writer_epipe},
        {"writer_free_uncommitted", test_writer_free_uncommitted},
        {"writer_in_place", test_writer_in_place},
        {"writer_direct", test_writer_direct},
        {"writer_direct_rewind", test_writer_direct_rewind},
        {"writer_direct_large", test_writer_direct_large},
        {"writer_direct_refused", test_writer_direct_refused},
        {"writer_direct_fd", test_writer_direct_fd},
        {"writer_direct_fd_unsafe", test_writer_direct_fd_unsafe},
        {"writer_direct_fd_fallback", test_writer_direct_fd_fallback},
        {"writer_direct_fd_rewind", test_writer_direct_fd_rewind},
        {"writer_direct_fd_efbig", test_writer_direct_fd_efbig},
        {"writer_wakeups", test_writer_wakeups},
        {"writer_settle", test_writer_settle},
        {"failed_not_published", test_failed_not_published},
        {"held", test_held},
        {"direct_too_late", test_direct_too_late},
        {"held_sizes", test_held_sizes},
        {"held_pipe", test_held_pipe},
        {"held_free_uncommitted", test_held_free_uncommitted},
        {"held_rewind_copy", test_held_rewind_copy},
        {"held_append", test_held_append},
        {"held_failure", test_held_failure},
        {"held_not_direct", test_held_not_direct},
};

TEST_MAIN(tests)
