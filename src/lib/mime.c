/* SPDX-License-Identifier: MIT */
/*
 * The MIME module, the only user of GMime: spooled sources with original
 * byte ranges, header facts through GMime's parser, multipart delimiters
 * located in the raw bytes, transfer decoding, and the canonical form of a
 * message's content for signing (GMime encodes and writes it; a single
 * leaf part that needs no encoding is checked and copied from the mapped
 * source in one read).
 */
#include "mime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SM_FIND_X86 1
#else
#define SM_FIND_X86 0
#endif

#include "b64.h"
#include "canon.h"

enum {
	MEM_MAX = 1 << 20,    /* sources this small stay in memory */
	HEADER_MAX = 1 << 20, /* a header block larger is refused */
	CHUNK = 64 * 1024,
	VIEW_BUF = 256 * 1024, /* a view of a file: bytes read at a time */
	VIEW_MIN =
	        64 * 1024, /* a view holds at least this, unless at the end */
	VIEW_WINDOW = 4 << 20, /* a file's views: bytes mapped at a time */
	AHEAD_MIN = 8 << 20,   /* files larger are read ahead on a thread */
	AHEAD_N = 2            /* windows mapped ahead of the reader */
};

static gpointer
init_once(gpointer unused)
{
	(void)unused;
	g_mime_init();
	return NULL;
}

static void
mime_init(void)
{
	static GOnce once = G_ONCE_INIT;

	(void)g_once(&once, init_once, NULL);
}

/* ---- reading ahead on a second thread --------------------------------- */

/* A window: source bytes [lo, hi) mapped read-only and populated. */
typedef struct win {
	void *map; /* map_len bytes from a page start */
	size_t map_len;
	const unsigned char *at; /* source offset lo */
	off_t lo, hi;
} win;

/*
 * A thread that maps (and populates) the next windows of a file before
 * the reader needs them and unmaps the ones it is done with, so the
 * reader's thread only reads (docs/design.md, "Views of a file").
 * Windows are `len` bytes, each starting `overlap` bytes before the end of
 * the one before, at most AHEAD_N ready.  The thread touches no mapped
 * byte itself: the kernel populates the pages, and a page past the end of
 * a file cut short meanwhile is left out (no SIGBUS on this thread).
 */
typedef struct ahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* for the thread: work, or stop */
	pthread_cond_t made; /* for the reader: a window is ready */
	int fd;
	off_t base, size; /* the source's bytes in fd; windows end by size */
	size_t len, overlap;
	long page;
	off_t next;   /* where the next window starts; size: none */
	unsigned gen; /* moved when the reader starts the chain again */
	bool stop;
	win ready[AHEAD_N]; /* in order */
	unsigned nready;
	win old[AHEAD_N + 2]; /* done with: for the thread to unmap */
	unsigned nold;
} ahead;

/* Map source bytes [lo, hi) of fd (at base): 0, or -1 when it cannot. */
static int
win_map(win *w, int fd, off_t base, off_t lo, off_t hi, long page)
{
	off_t at = base + lo;
	size_t lead = page > 0 ? (size_t)(at % page) : 0;
	size_t len = (size_t)(hi - lo);
	/* populated at once: one call, not a fault every 16 pages */
	void *m = mmap(NULL, lead + len, PROT_READ, MAP_SHARED | MAP_POPULATE,
	               fd, at - (off_t)lead);

	if (m == MAP_FAILED)
		return -1;
	(void)madvise(m, lead + len, MADV_SEQUENTIAL);
	w->map = m;
	w->map_len = lead + len;
	w->at = (const unsigned char *)m + lead;
	w->lo = lo;
	w->hi = hi;
	return 0;
}

static void *
ahead_run(void *arg)
{
	ahead *a = arg;

	(void)pthread_mutex_lock(&a->mu);
	for (;;) {
		if (a->nold > 0) {
			win w = a->old[--a->nold];
			(void)pthread_mutex_unlock(&a->mu);
			(void)munmap(w.map, w.map_len);
			(void)pthread_mutex_lock(&a->mu);
		} else if (a->stop) {
			break;
		} else if (a->nready < AHEAD_N && a->next < a->size) {
			off_t lo = a->next, hi = a->size;
			unsigned gen = a->gen;
			bool ok;
			win w;

			if (hi - lo > (off_t)a->len)
				hi = lo + (off_t)a->len;
			(void)pthread_mutex_unlock(&a->mu);
			ok = win_map(&w, a->fd, a->base, lo, hi, a->page) == 0;
			(void)pthread_mutex_lock(&a->mu);
			if (gen == a->gen)
				a->next = !ok || hi >= a->size
				                  ? a->size
				                  : hi - (off_t)a->overlap;
			if (ok && gen == a->gen && !a->stop) {
				a->ready[a->nready++] = w;
			} else if (ok) { /* the reader went elsewhere */
				(void)pthread_mutex_unlock(&a->mu);
				(void)munmap(w.map, w.map_len);
				(void)pthread_mutex_lock(&a->mu);
			}
			(void)pthread_cond_broadcast(&a->made);
		} else {
			(void)pthread_cond_wait(&a->wake, &a->mu);
		}
	}
	while (a->nready > 0) {
		win *w = &a->ready[--a->nready];
		(void)munmap(w->map, w->map_len);
	}
	(void)pthread_mutex_unlock(&a->mu);
	return NULL;
}

/*
 * Start reading ahead of the reader at `next` (NULL when no thread can be
 * started: the reader then maps every window itself).
 */
static ahead *
ahead_start(
        int fd, off_t base, off_t size, size_t len, size_t overlap, off_t next)
{
	ahead *a = sm_calloc(1, sizeof(*a));
	sigset_t all, old;
	int rc;

	if (a == NULL)
		return NULL;
	a->fd = fd;
	a->base = base;
	a->size = size;
	a->len = len;
	a->overlap = overlap;
	a->next = next;
	a->page = sysconf(_SC_PAGESIZE);
	if (pthread_mutex_init(&a->mu, NULL) != 0) {
		sm_free(a);
		return NULL;
	}
	if (pthread_cond_init(&a->wake, NULL) != 0)
		goto no_wake;
	if (pthread_cond_init(&a->made, NULL) != 0)
		goto no_made;
	/* The application's signals go to its own threads, not this one. */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->thread, NULL, ahead_run, a);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		goto no_thread;
	return a;
no_thread:
	(void)pthread_cond_destroy(&a->made);
no_made:
	(void)pthread_cond_destroy(&a->wake);
no_wake:
	(void)pthread_mutex_destroy(&a->mu);
	sm_free(a);
	return NULL;
}

/* Stop the thread, wait for it, unmap what it made: `a` is gone. */
static void
ahead_stop(ahead *a)
{
	if (a == NULL)
		return;
	(void)pthread_mutex_lock(&a->mu);
	a->stop = true;
	(void)pthread_cond_signal(&a->wake);
	(void)pthread_mutex_unlock(&a->mu);
	(void)pthread_join(a->thread, NULL);
	while (a->nold > 0) {
		win *w = &a->old[--a->nold];
		(void)munmap(w->map, w->map_len);
	}
	(void)pthread_cond_destroy(&a->made);
	(void)pthread_cond_destroy(&a->wake);
	(void)pthread_mutex_destroy(&a->mu);
	sm_free(a);
}

/* The reader is done with `w`: the thread unmaps it. */
static void
ahead_put(ahead *a, const win *w)
{
	bool queued = false;

	(void)pthread_mutex_lock(&a->mu);
	if (a->nold < SM_ARRAY_SIZE(a->old)) {
		a->old[a->nold++] = *w;
		queued = true;
		(void)pthread_cond_signal(&a->wake);
	}
	(void)pthread_mutex_unlock(&a->mu);
	if (!queued)
		(void)munmap(w->map, w->map_len);
}

/*
 * A window holding source bytes [off, off + want) into `*w` (the reader's
 * then: ahead_put it when done): true; false when the thread has none and
 * is not making one (the reader went back, or far ahead): the reader maps
 * it itself and calls ahead_restart.  Waits when the thread is making it.
 */
static bool
ahead_take(ahead *a, off_t off, size_t want, win *w)
{
	bool got = false;

	(void)pthread_mutex_lock(&a->mu);
	for (;;) {
		if (a->nready > 0) {
			win *r = &a->ready[0];
			if (r->lo > off)
				break;
			if (off + (off_t)want > r->hi) {
				/* behind the reader: done with */
				if (a->nold == SM_ARRAY_SIZE(a->old))
					break;
				a->old[a->nold++] = *r;
			} else {
				*w = *r;
				got = true;
			}
			memmove(a->ready, a->ready + 1,
			        --a->nready * sizeof(a->ready[0]));
			(void)pthread_cond_signal(&a->wake);
			if (got)
				break;
		} else if (a->next <= off && a->next < a->size &&
		           off + (off_t)want <= a->next + (off_t)a->len &&
		           !a->stop) {
			(void)pthread_cond_wait(&a->made, &a->mu);
		} else {
			break;
		}
	}
	(void)pthread_mutex_unlock(&a->mu);
	return got;
}

/* The reader mapped a window itself: the thread goes on from `next`. */
static void
ahead_restart(ahead *a, off_t next)
{
	win gone[AHEAD_N];
	unsigned ngone = 0;

	(void)pthread_mutex_lock(&a->mu);
	a->gen++;
	while (a->nready > 0) {
		if (a->nold < SM_ARRAY_SIZE(a->old))
			a->old[a->nold++] = a->ready[--a->nready];
		else
			gone[ngone++] = a->ready[--a->nready];
	}
	a->next = next;
	(void)pthread_cond_signal(&a->wake);
	(void)pthread_mutex_unlock(&a->mu);
	while (ngone > 0) {
		win *w = &gone[--ngone];
		(void)munmap(w->map, w->map_len);
	}
}

/* ---- sources ---------------------------------------------------------- */

struct sm_mime_source {
	unsigned char *mem; /* while small */
	size_t len, cap;
	int fd; /* once large: an unlinked private temporary, or the input */
	off_t base;    /* where the bytes start in fd (the input file) */
	bool borrowed; /* fd reads the input file: no appending */
	off_t size;
	/*
	 * Views of fd: VIEW_BUF bytes at a time, inside a read-only mapping
	 * of `window` bytes of the file (no copy), or read into vbuf when the
	 * file cannot be mapped (window 0).
	 */
	const unsigned char *view; /* the view: in map or vbuf */
	off_t view_off;            /* source offset of view[0] */
	size_t view_len;           /* bytes the view holds */
	unsigned char *vbuf;
	size_t window;
	size_t grow; /* the next window's size before `window` (doubles) */
	void *map;   /* the mapped window, map_len bytes from a page start */
	size_t map_len;
	const unsigned char *map_at; /* source offset map_lo in the mapping */
	off_t map_lo, map_hi;        /* source bytes the mapping holds */
	/* the input file as it was when first seen (sm_mime_source_check) */
	char *name;
	struct stat seen;
	ahead *ahead;     /* mapping the next windows, or NULL */
	off_t ahead_min;  /* read ahead while more than this is left */
	unsigned threads; /* read-ahead threads started (for tests) */
	/* GMime's message from the header block [hdr_start, hdr_end) */
	GMimeMessage *hdr_msg;
	off_t hdr_start, hdr_end;
};

static int
tmp_fd(sealmail_error *err)
{
	/* No environment is read by the library: P_tmpdir, private 0600. */
	int fd = open(P_tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		char path[] = P_tmpdir "/sealmail-XXXXXX";
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			(void)unlink(path);
	}
	if (fd < 0)
		return sm_error_set(err, SEALMAIL_EIO,
		                    "cannot make a temporary file: %s",
		                    strerror(errno));
	return fd;
}

static int
write_all(int fd, const void *data, size_t len, sealmail_error *err)
{
	int e = sm_write_all(fd, data, len);

	if (e != 0)
		return sm_error_set(err, SEALMAIL_EIO,
		                    "cannot write a temporary file: %s",
		                    strerror(e));
	return SEALMAIL_OK;
}

int
sm_mime_source_new_empty(sm_mime_source **out, sealmail_error *err)
{
	sm_mime_source *s = sm_calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return sm_error_nomem(err);
	s->fd = -1;
	s->window = VIEW_WINDOW;
	s->grow = VIEW_BUF;
	s->ahead_min = AHEAD_MIN;
	*out = s;
	return SEALMAIL_OK;
}

int
sm_mime_source_append(sm_mime_source *s,
                      const void *data,
                      size_t len,
                      sealmail_error *err)
{
	int rc;

	if (s->borrowed)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "cannot append to an input file");
	if (len == 0)
		return SEALMAIL_OK; /* (mem may still be NULL) */
	if (s->hdr_msg != NULL) {   /* parsed before these bytes came */
		g_object_unref(s->hdr_msg);
		s->hdr_msg = NULL;
	}
	if (s->fd < 0 && s->len + len > MEM_MAX) {
		s->fd = tmp_fd(err);
		if (s->fd < 0)
			return s->fd;
		rc = write_all(s->fd, s->mem, s->len, err);
		sm_free(s->mem);
		s->mem = NULL;
		s->len = s->cap = 0;
		if (rc != SEALMAIL_OK)
			return rc;
	}
	if (s->fd >= 0) {
		rc = write_all(s->fd, data, len, err);
		if (rc != SEALMAIL_OK)
			return rc;
	} else {
		if (s->len + len > s->cap) {
			size_t cap = s->cap == 0 ? 65536 : s->cap;
			unsigned char *p;
			while (cap < s->len + len)
				cap *= 2;
			p = sm_realloc(s->mem, cap);
			if (p == NULL)
				return sm_error_nomem(err);
			s->mem = p;
			s->cap = cap;
		}
		memcpy(s->mem + s->len, data, len);
		s->len += len;
	}
	s->size += (off_t)len;
	return SEALMAIL_OK;
}

int
sm_mime_source_append_cb(const void *buf, size_t len, void *payload)
{
	return sm_mime_source_append(payload, buf, len, NULL);
}

int
sm_mime_source_new_fd(sm_mime_source **out,
                      int fd,
                      off_t size,
                      sealmail_error *err)
{
	int rc = sm_mime_source_new_empty(out, err);

	if (rc != SEALMAIL_OK)
		return rc;
	(*out)->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if ((*out)->fd < 0) {
		sm_mime_source_free(*out);
		*out = NULL;
		return sm_error_set(err, SEALMAIL_EIO,
		                    "cannot read a temporary file: %s",
		                    strerror(errno));
	}
	(*out)->size = size;
	(*out)->borrowed = true;
	return SEALMAIL_OK;
}

int
sm_mime_source_new(sm_mime_source **out,
                   sealmail_input *in,
                   sealmail_error *err)
{
	unsigned char *buf;
	off_t pos, size;
	int fd, rc;

	/*
	 * A large regular file is read where it is (mapped), not copied to a
	 * temporary first: one pass less over the message.  What it was like
	 * is kept, so that a file changed while it is read is found out
	 * (sm_mime_source_check) instead of read as altered content.
	 */
	fd = sm_input_file(in, &pos, &size);
	if (fd >= 0 && size > MEM_MAX) {
		rc = sm_mime_source_new_empty(out, err);
		if (rc != SEALMAIL_OK)
			return rc;
		(*out)->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if ((*out)->fd < 0) {
			sm_mime_source_free(*out);
			*out = NULL;
			return sm_error_set(err, SEALMAIL_EIO, "%s: %s",
			                    sealmail_input_name(in),
			                    strerror(errno));
		}
		(*out)->base = pos;
		(*out)->size = size;
		(*out)->borrowed = true;
		(*out)->name = sm_strdup(sealmail_input_name(in));
		if ((*out)->name == NULL ||
		    fstat((*out)->fd, &(*out)->seen) != 0) {
			rc = (*out)->name == NULL
			             ? sm_error_nomem(err)
			             : sm_error_set(err, SEALMAIL_EIO, "%s: %s",
			                            sealmail_input_name(in),
			                            strerror(errno));
			sm_mime_source_free(*out);
			*out = NULL;
		}
		return rc;
	}
	if (fd >= 0 && lseek(fd, pos, SEEK_SET) != pos)
		return sm_error_set(err, SEALMAIL_EIO, "%s: %s",
		                    sealmail_input_name(in), strerror(errno));
	buf = sm_malloc(CHUNK);
	rc = buf == NULL ? sm_error_nomem(err)
	                 : sm_mime_source_new_empty(out, err);

	while (rc == SEALMAIL_OK) {
		long n = sealmail_input_read(in, buf, CHUNK, err);
		if (n < 0)
			rc = (int)n;
		else if (n == 0)
			break;
		else
			rc = sm_mime_source_append(*out, buf, (size_t)n, err);
	}
	sm_free(buf);
	if (rc != SEALMAIL_OK && buf != NULL) {
		sm_mime_source_free(*out);
		*out = NULL;
	}
	return rc;
}

int
sm_mime_source_new_memory(sm_mime_source **out,
                          const void *data,
                          size_t len,
                          sealmail_error *err)
{
	int rc = sm_mime_source_new_empty(out, err);

	if (rc == SEALMAIL_OK)
		rc = sm_mime_source_append(*out, data, len, err);
	if (rc != SEALMAIL_OK) {
		sm_mime_source_free(*out);
		*out = NULL;
	}
	return rc;
}

off_t
sm_mime_source_size(const sm_mime_source *s)
{
	return s->size;
}

long
sm_mime_source_read(sm_mime_source *s,
                    off_t off,
                    void *buf,
                    size_t len,
                    sealmail_error *err)
{
	ssize_t n;

	if (off >= s->size || len == 0)
		return 0;
	if ((off_t)len > s->size - off)
		len = (size_t)(s->size - off);
	if (s->fd < 0) {
		memcpy(buf, s->mem + off, len);
		return (long)len;
	}
	do
		n = pread(s->fd, buf, len, s->base + off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return sm_error_set(err, SEALMAIL_EIO,
		                    "cannot read a temporary file: %s",
		                    strerror(errno));
	return (long)n;
}

int
sm_mime_source_copy(sm_mime_source *s,
                    off_t start,
                    off_t end,
                    sm_mime_write_fn write,
                    void *payload,
                    sealmail_error *err)
{
	int rc = SEALMAIL_OK;

	/* Straight from the source's memory or mapped window: no copy. */
	while (rc == SEALMAIL_OK && start < end) {
		const unsigned char *p;
		long n = sm_mime_source_view(s, start, (size_t)(end - start),
		                             &p, err);
		if (n <= 0) {
			rc = n < 0 ? (int)n
			           : sm_error_set(err, SEALMAIL_EIO,
			                          "source ended early");
			break;
		}
		rc = write(p, (size_t)n, payload);
		if (rc != SEALMAIL_OK)
			rc = sm_error_set(err, rc, "write failed");
		start += n;
	}
	return rc;
}

static bool
same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

int
sm_mime_source_check(const sm_mime_source *s, sealmail_error *err)
{
	struct stat now;

	if (s->name == NULL)
		return SEALMAIL_OK; /* memory or a private temporary */
	if (fstat(s->fd, &now) != 0)
		return sm_error_set(err, SEALMAIL_EIO, "%s: %s", s->name,
		                    strerror(errno));
	/*
	 * Not the change time: a mail program marking a Maildir message read
	 * renames its file, which moves the change time and not a byte.
	 */
	if (now.st_dev != s->seen.st_dev || now.st_ino != s->seen.st_ino ||
	    now.st_size != s->seen.st_size ||
	    !same_time(now.st_mtim, s->seen.st_mtim))
		return sm_error_set(err, SEALMAIL_ECHANGED,
		                    "%s changed while it was being read",
		                    s->name);
	return SEALMAIL_OK;
}

static void
source_ahead_stop(sm_mime_source *s)
{
	ahead_stop(s->ahead);
	s->ahead = NULL;
}

void
sm_mime_source_set_window(sm_mime_source *s, size_t bytes)
{
	source_ahead_stop(s);
	if (s->hdr_msg != NULL)
		g_object_unref(s->hdr_msg);
	s->hdr_msg = NULL;
	if (s->map != NULL)
		(void)munmap(s->map, s->map_len);
	s->map = NULL;
	s->window = bytes;
	s->view_len = 0;
}

void
sm_mime_source_set_ahead(sm_mime_source *s, off_t bytes)
{
	s->ahead_min = bytes;
}

unsigned
sm_mime_source_threads(const sm_mime_source *s)
{
	return s->threads;
}

/* Done with the current window: unmapped (by the read-ahead thread). */
static void
view_unmap(sm_mime_source *s)
{
	win w = {.map = s->map,
	         .map_len = s->map_len,
	         .at = s->map_at,
	         .lo = s->map_lo,
	         .hi = s->map_hi};

	if (s->map == NULL)
		return;
	if (s->ahead != NULL)
		ahead_put(s->ahead, &w);
	else
		(void)munmap(s->map, s->map_len);
	s->map = NULL;
}

/*
 * The view at `off` inside a mapping of the file (mapped anew when the
 * current window does not hold it: the old window is unmapped, so at most
 * one window is resident on top of the ones read ahead).  1: the file
 * cannot be mapped, read it instead.  An input file is checked before each
 * window is used, so one truncated meanwhile is mostly refused rather than
 * read past its end (docs/design.md, "Views of a file").  While more than
 * ahead_min bytes are left after a window the reader came to from the one
 * before, a second thread maps the next ones (ahead_run) and unmaps the
 * old.
 */
static int
view_map(sm_mime_source *s, off_t off, size_t want, sealmail_error *err)
{
	if (s->map == NULL || off < s->map_lo ||
	    s->map_hi - off < (off_t)want) {
		size_t len = s->window < s->grow ? s->window : s->grow;
		int rc = sm_mime_source_check(s, err);
		bool seq;
		win w;

		if (len < want)
			len = want;
		/* the first windows small: a header read maps no 4 MiB */
		if (s->grow < s->window)
			s->grow *= 2;

		if (rc != SEALMAIL_OK) {
			source_ahead_stop(s);
			return rc;
		}
		if ((off_t)len > s->size - off)
			len = (size_t)(s->size - off);
		/* reading on from the window before (not a jump back) */
		seq = s->map != NULL && off >= s->map_lo && off <= s->map_hi;
		view_unmap(s); /* first: one window resident, not two */
		if (s->ahead == NULL || !ahead_take(s->ahead, off, want, &w)) {
			if (win_map(&w, s->fd, s->base, off, off + (off_t)len,
			            sysconf(_SC_PAGESIZE)) != 0) {
				source_ahead_stop(s);
				return 1;
			}
			if (s->ahead != NULL) {
				ahead_restart(s->ahead, w.hi - VIEW_BUF);
			} else if (seq && s->size - w.hi > s->ahead_min &&
			           s->grow >= s->window) {
				s->ahead = ahead_start(
				        s->fd, s->base, s->size,
				        s->window > 2 * VIEW_BUF ? s->window
				                                 : 2 * VIEW_BUF,
				        VIEW_BUF, w.hi - VIEW_BUF);
				s->threads += s->ahead != NULL;
			}
		}
		if (w.hi >= s->size) /* the last window: nothing ahead */
			source_ahead_stop(s);
		s->map = w.map;
		s->map_len = w.map_len;
		s->map_at = w.at;
		s->map_lo = w.lo;
		s->map_hi = w.hi;
	}
	s->view = s->map_at + (off - s->map_lo);
	s->view_off = off;
	s->view_len = want;
	return SEALMAIL_OK;
}

/*
 * The view at `off`: VIEW_BUF bytes (fewer at the end), mapped, or read
 * into the view buffer (`copy`, or when the file cannot be mapped).
 * Either way the view's edges are the same, so what callers see does not
 * depend on it.
 */
static int
view_fill(sm_mime_source *s, off_t off, bool copy, sealmail_error *err)
{
	size_t want =
	        s->size - off < VIEW_BUF ? (size_t)(s->size - off) : VIEW_BUF;
	long n;

	s->view_len = 0;
	if (s->window > 0 && !copy) {
		int rc = view_map(s, off, want, err);
		if (rc <= 0)
			return rc;
		s->window = 0; /* cannot be mapped: read from now on */
	}
	if (s->vbuf == NULL) {
		s->vbuf = sm_malloc(VIEW_BUF);
		if (s->vbuf == NULL)
			return sm_error_nomem(err);
	}
	n = sm_mime_source_read(s, off, s->vbuf, want, err);
	if (n < 0)
		return (int)n;
	s->view = s->vbuf;
	s->view_off = off;
	s->view_len = (size_t)n;
	return SEALMAIL_OK;
}

static long
source_view(sm_mime_source *s,
            off_t off,
            size_t len,
            bool copy,
            const unsigned char **ptr,
            sealmail_error *err)
{
	size_t want = len < VIEW_MIN ? len : VIEW_MIN;
	size_t have;

	*ptr = NULL;
	if (off >= s->size || len == 0)
		return 0;
	if ((off_t)len > s->size - off)
		len = (size_t)(s->size - off);
	if ((off_t)want > s->size - off)
		want = (size_t)(s->size - off);
	if (s->fd < 0) {
		*ptr = s->mem + off;
		return (long)len;
	}
	if (s->view_len == 0 || off < s->view_off ||
	    off - s->view_off >= (off_t)s->view_len ||
	    s->view_len - (size_t)(off - s->view_off) < want ||
	    (copy && s->view != s->vbuf)) {
		int rc = view_fill(s, off, copy, err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (s->view_len == 0)
			return sm_error_set(err, SEALMAIL_EIO,
			                    "a temporary file ended early");
	}
	have = s->view_len - (size_t)(off - s->view_off);
	*ptr = s->view + (off - s->view_off);
	return (long)(have < len ? have : len);
}

long
sm_mime_source_view(sm_mime_source *s,
                    off_t off,
                    size_t len,
                    const unsigned char **ptr,
                    sealmail_error *err)
{
	return source_view(s, off, len, false, ptr, err);
}

long
sm_mime_source_view_copy(sm_mime_source *s,
                         off_t off,
                         size_t len,
                         const unsigned char **ptr,
                         sealmail_error *err)
{
	return source_view(s, off, len, true, ptr, err);
}

int
sm_mime_source_fd(const sm_mime_source *s, off_t *base)
{
	*base = s->base;
	return s->fd;
}

void
sm_mime_source_free(sm_mime_source *s)
{
	if (s == NULL)
		return;
	source_ahead_stop(s);
	if (s->hdr_msg != NULL)
		g_object_unref(s->hdr_msg);
	if (s->map != NULL)
		(void)munmap(s->map, s->map_len);
	if (s->fd >= 0)
		(void)close(s->fd);
	sm_free(s->name);
	sm_free(s->vbuf);
	sm_free(s->mem);
	sm_free(s);
}

/* A GMime stream over [start, end) of a source. */
static GMimeStream *
source_gstream(sm_mime_source *s, off_t start, off_t end)
{
	GMimeStream *base, *sub;

	if (s->fd < 0 && (s->mem == NULL || end <= start))
		return g_mime_stream_mem_new();
	if (s->fd < 0) {
		base = g_mime_stream_mem_new_with_buffer(
		        (const char *)s->mem + start, (size_t)(end - start));
		return base;
	}
	base = g_mime_stream_fs_new(dup(s->fd));
	sub = g_mime_stream_substream(base, s->base + start, s->base + end);
	g_object_unref(base);
	return sub;
}

/*
 * GMime's message from the header block [start, hend) of s (a reference
 * of the caller's; NULL when GMime makes none).  Protect reads the same
 * header block three times (its facts, the recipients, the canonical
 * write): the last parse is kept in the source and handed out again, so
 * GMime parses it once (0.02-0.03 ms a parse in a 4 KiB command).
 * `take`: the caller changes the message, so it leaves the source.
 */
static GMimeMessage *
header_message(sm_mime_source *s, off_t start, off_t hend, bool take)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg = s->hdr_msg;

	if (msg != NULL && s->hdr_start == start && s->hdr_end == hend) {
		if (take)
			s->hdr_msg = NULL;
		else
			g_object_ref(msg);
		return msg;
	}
	stream = source_gstream(s, start, hend);
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (msg != NULL && !take) {
		if (s->hdr_msg != NULL)
			g_object_unref(s->hdr_msg);
		s->hdr_msg = g_object_ref(msg);
		s->hdr_start = start;
		s->hdr_end = hend;
	}
	return msg;
}

/* ---- a GMime stream that pushes to an sm_mime_write_fn ----------------- */

typedef struct SmSink {
	GMimeStream parent;
	sm_mime_write_fn write;
	void *payload;
	int status;
} SmSink;

typedef struct SmSinkClass {
	GMimeStreamClass parent_class;
} SmSinkClass;

static GType sm_sink_get_type(void);
G_DEFINE_TYPE(SmSink, sm_sink, GMIME_TYPE_STREAM)

static ssize_t
sm_sink_write(GMimeStream *stream, const char *buf, size_t len)
{
	SmSink *s = (SmSink *)stream;

	if (s->status != SEALMAIL_OK)
		return -1;
	if (len > 0)
		s->status = s->write(buf, len, s->payload);
	if (s->status != SEALMAIL_OK)
		return -1;
	stream->position += (gint64)len;
	return (ssize_t)len;
}

static int
sm_sink_flush(GMimeStream *stream)
{
	(void)stream;
	return 0;
}

static void
sm_sink_class_init(SmSinkClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);

	sc->write = sm_sink_write;
	sc->flush = sm_sink_flush;
}

static void
sm_sink_init(SmSink *s)
{
	s->status = SEALMAIL_OK;
}

static SmSink *
sink_new(sm_mime_write_fn write, void *payload)
{
	SmSink *s = g_object_new(sm_sink_get_type(), NULL);

	g_mime_stream_construct(GMIME_STREAM(s), 0, -1);
	s->write = write;
	s->payload = payload;
	return s;
}

/* ---- header blocks ---------------------------------------------------- */

/*
 * Find the end of the header block starting at `start`: the offset of the
 * first body byte (after the blank line), or `end` when there is no blank
 * line.  Reads at most HEADER_MAX bytes.
 */
static int
header_end(off_t *out,
           sm_mime_source *src,
           off_t start,
           off_t end,
           sealmail_error *err)
{
	unsigned char buf[4096];
	off_t pos = start;
	bool at_line_start = true;
	int cr = 0; /* CR pending right after a line start */

	while (pos < end) {
		long n;
		size_t want = end - pos > (off_t)sizeof(buf)
		                      ? sizeof(buf)
		                      : (size_t)(end - pos);
		if (pos - start > HEADER_MAX)
			return sm_error_set(err, SEALMAIL_EBADDATA,
			                    "a header block is larger than "
			                    "1 MiB");
		n = sm_mime_source_read(src, pos, buf, want, err);
		if (n <= 0)
			return n < 0 ? (int)n : SEALMAIL_EIO;
		for (long i = 0; i < n; i++) {
			unsigned char c = buf[i];
			if (at_line_start && c == '\n') {
				*out = pos + i + 1;
				return SEALMAIL_OK;
			}
			if (at_line_start && c == '\r' && !cr) {
				cr = 1;
				continue;
			}
			at_line_start = c == '\n';
			cr = 0;
		}
		pos += n;
	}
	*out = end;
	return SEALMAIL_OK;
}

static void
copy_lower(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	if (src != NULL)
		for (; src[i] != '\0' && i + 1 < size; i++)
			dst[i] = (char)g_ascii_tolower(src[i]);
	dst[i] = '\0';
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	(void)snprintf(dst, size, "%s", src != NULL ? src : "");
}

static void
entity_facts(sm_mime_entity *e, GMimeObject *obj)
{
	GMimeContentType *ct =
	        obj != NULL ? g_mime_object_get_content_type(obj) : NULL;
	const char *enc;

	if (ct == NULL) {
		copy_str(e->type, sizeof(e->type), "text/plain");
		return;
	}
	{
		char *mt = g_mime_content_type_get_mime_type(ct);
		copy_lower(e->type, sizeof(e->type), mt);
		g_free(mt);
	}
	copy_str(e->boundary, sizeof(e->boundary),
	         g_mime_content_type_get_parameter(ct, "boundary"));
	copy_lower(e->protocol, sizeof(e->protocol),
	           g_mime_content_type_get_parameter(ct, "protocol"));
	copy_lower(e->smime_type, sizeof(e->smime_type),
	           g_mime_content_type_get_parameter(ct, "smime-type"));
	copy_lower(e->micalg, sizeof(e->micalg),
	           g_mime_content_type_get_parameter(ct, "micalg"));
	if (GMIME_IS_PART(obj))
		copy_str(e->filename, sizeof(e->filename),
		         g_mime_part_get_filename(GMIME_PART(obj)));
	enc = g_mime_object_get_header(obj, "Content-Transfer-Encoding");
	if (enc != NULL) {
		while (*enc == ' ' || *enc == '\t')
			enc++;
		copy_lower(e->encoding, sizeof(e->encoding), enc);
		g_strchomp(e->encoding);
	}
}

/*
 * Copy `src` into dst[size]; when it does not fit, cut it at a UTF-8
 * character boundary and end it with SM_MIME_CUT, so a huge header shows
 * as bounded and visibly cut, never as a shorter value that looks whole.
 */
static void
copy_bounded(char *dst, size_t size, const char *src)
{
	size_t len = src != NULL ? strlen(src) : 0, keep;

	if (src == NULL || len < size) {
		copy_str(dst, size, src);
		return;
	}
	keep = size - sizeof(SM_MIME_CUT);
	/* back to the start of a character: not a continuation byte */
	while (keep > 0 && ((unsigned char)src[keep] & 0xc0) == 0x80)
		keep--;
	memcpy(dst, src, keep);
	memcpy(dst + keep, SM_MIME_CUT, sizeof(SM_MIME_CUT));
}

/*
 * `addr` with its domain as IDNA; `*mb` holds the converted string (unref
 * it).  An all-ASCII address is its own form (lower case aside): no GMime
 * start-up and no allocation for it.
 */
static const char *
idn_form(const char *addr, InternetAddressMailbox **mb)
{
	const unsigned char *p = (const unsigned char *)addr;

	*mb = NULL;
	while (*p != '\0' && *p < 0x80)
		p++;
	if (*p == '\0')
		return addr;
	mime_init();
	*mb = INTERNET_ADDRESS_MAILBOX(
	        internet_address_mailbox_new(NULL, addr));
	return *mb != NULL ? internet_address_mailbox_get_idn_addr(*mb) : addr;
}

size_t
sm_mime_address_ascii(char *out, size_t size, const char *addr)
{
	InternetAddressMailbox *mb;
	const char *a = idn_form(addr, &mb);
	size_t len = strlen(a);

	copy_lower(out, size, a);
	if (mb != NULL)
		g_object_unref(mb);
	return len;
}

char *
sm_mime_address_ascii_dup(const char *addr)
{
	InternetAddressMailbox *mb;
	char *out = sm_strdup(idn_form(addr, &mb));

	if (out != NULL)
		sm_address_lower(out);
	if (mb != NULL)
		g_object_unref(mb);
	return out;
}

/* Add one From address to e->from_all (see mime.h). */
static void
add_from(sm_mime_entity *e, const char *addr)
{
	size_t len = strlen(e->from_all), n = strlen(addr);
	const size_t room = sizeof(e->from_all) - sizeof(SM_MIME_FROM_MORE) - 1;

	if (len >= room) /* already full and marked */
		return;
	if (strchr(addr, '\n') != NULL || len + n + 1 > room) {
		(void)snprintf(e->from_all + len, sizeof(e->from_all) - len,
		               "%s%s", len > 0 ? "\n" : "", SM_MIME_FROM_MORE);
		return;
	}
	if (len > 0)
		e->from_all[len++] = '\n';
	copy_lower(e->from_all + len, sizeof(e->from_all) - len, addr);
}

/* Every mailbox of `list`, group members included. */
static void
collect_from(sm_mime_entity *e, InternetAddressList *list, int depth)
{
	for (int i = 0; list != NULL && i < internet_address_list_length(list);
	     i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *addr = internet_address_mailbox_get_addr(
			        INTERNET_ADDRESS_MAILBOX(a));
			if (addr == NULL || addr[0] == '\0')
				continue;
			if (e->from[0] == '\0')
				copy_lower(e->from, sizeof(e->from), addr);
			add_from(e, addr);
		} else if (INTERNET_ADDRESS_IS_GROUP(a) && depth == 0) {
			collect_from(e,
			             internet_address_group_get_members(
			                     INTERNET_ADDRESS_GROUP(a)),
			             depth + 1);
		}
	}
}

static void
message_facts(sm_mime_entity *e, GMimeMessage *msg)
{
	collect_from(e, g_mime_message_get_from(msg), 0);
	copy_bounded(e->subject, sizeof(e->subject),
	             g_mime_message_get_subject(msg));
	{
		GDateTime *date = g_mime_message_get_date(msg);

		e->date = date != NULL ? (int64_t)g_date_time_to_unix(date) : 0;
	}
	entity_facts(e, g_mime_message_get_mime_part(msg));
}

int
sm_mime_entity_parse(sm_mime_entity *e,
                     sm_mime_source *src,
                     off_t start,
                     off_t end,
                     bool message,
                     sealmail_error *err)
{
	off_t hend;
	int rc;

	mime_init();
	memset(e, 0, sizeof(*e));
	e->start = start;
	e->end = end;
	rc = header_end(&hend, src, start, end, err);
	if (rc != SEALMAIL_OK)
		return rc;
	e->body_start = hend;
	e->has_headers = hend > start + 2;
	/* GMime parses the header block alone: no body is read here. */
	if (message) {
		GMimeMessage *msg = header_message(src, start, hend, false);
		if (msg != NULL) {
			message_facts(e, msg);
			g_object_unref(msg);
		} else {
			copy_str(e->type, sizeof(e->type), "text/plain");
		}
	} else {
		GMimeStream *stream = source_gstream(src, start, hend);
		GMimeParser *parser = g_mime_parser_new_with_stream(stream);
		GMimeObject *obj;

		g_object_unref(stream);
		obj = g_mime_parser_construct_part(parser, NULL);
		entity_facts(e, obj);
		if (obj != NULL)
			g_object_unref(obj);
		g_object_unref(parser);
	}
	if (e->type[0] == '\0')
		copy_str(e->type, sizeof(e->type), "text/plain");
	return SEALMAIL_OK;
}

/* ---- recipients ------------------------------------------------------ */

typedef struct rcpts {
	sm_mime_rcpt *v;
	size_t n;
	int rc;
} rcpts;

static void
rcpt_add(rcpts *r, const char *addr, sm_mime_field field)
{
	sm_mime_rcpt *p;
	char *copy;

	if (r->rc != SEALMAIL_OK || addr == NULL || *addr == '\0')
		return;
	for (size_t i = 0; i < r->n; i++)
		if (g_ascii_strcasecmp(r->v[i].address, addr) == 0)
			return;
	copy = sm_strdup(addr);
	p = copy != NULL ? sm_realloc(r->v, (r->n + 1) * sizeof(*p)) : NULL;
	if (p == NULL) {
		sm_free(copy);
		r->rc = SEALMAIL_ENOMEM;
		return;
	}
	sm_address_lower(copy);
	r->v = p;
	r->v[r->n].address = copy;
	r->v[r->n].field = field;
	r->n++;
}

static void
rcpt_list(rcpts *r, InternetAddressList *list, sm_mime_field field, int depth)
{
	for (int i = 0; list != NULL && i < internet_address_list_length(list);
	     i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			rcpt_add(r,
			         internet_address_mailbox_get_addr(
			                 INTERNET_ADDRESS_MAILBOX(a)),
			         field);
		else if (INTERNET_ADDRESS_IS_GROUP(a) && depth < 4)
			rcpt_list(r,
			          internet_address_group_get_members(
			                  INTERNET_ADDRESS_GROUP(a)),
			          field, depth + 1);
	}
}

int
sm_mime_recipients(sm_mime_rcpt **out,
                   size_t *count_out,
                   sm_mime_source *src,
                   const sm_mime_entity *ent,
                   sealmail_error *err)
{
	static const struct {
		GMimeAddressType type;
		sm_mime_field field;
	} fields[] = {{GMIME_ADDRESS_TYPE_TO, SM_MIME_TO},
	              {GMIME_ADDRESS_TYPE_CC, SM_MIME_CC},
	              {GMIME_ADDRESS_TYPE_BCC, SM_MIME_BCC}};
	rcpts r = {NULL, 0, SEALMAIL_OK};
	GMimeMessage *msg;

	mime_init();
	*out = NULL;
	*count_out = 0;
	msg = header_message(src, ent->start, ent->body_start, false);
	for (size_t i = 0; msg != NULL && i < SM_ARRAY_SIZE(fields); i++)
		rcpt_list(&r, g_mime_message_get_addresses(msg, fields[i].type),
		          fields[i].field, 0);
	if (msg != NULL)
		g_object_unref(msg);
	if (r.rc != SEALMAIL_OK) {
		sm_mime_recipients_free(r.v, r.n);
		return sm_error_nomem(err);
	}
	*out = r.v;
	*count_out = r.n;
	return SEALMAIL_OK;
}

void
sm_mime_recipients_free(sm_mime_rcpt *list, size_t count)
{
	for (size_t i = 0; list != NULL && i < count; i++)
		sm_free(list[i].address);
	sm_free(list);
}

/* ---- multipart delimiters in the raw bytes ----------------------------- */

/*
 * Is the line at `p` (len bytes, without its line break) a delimiter for
 * `b`?  1 = delimiter, 2 = close delimiter, 0 = no.  Transport padding
 * (white space) after the boundary is allowed (RFC 2046).
 */
static int
delimiter(const unsigned char *p, size_t len, const char *b, size_t blen)
{
	size_t i;
	int kind = 1;

	if (len < blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, blen) != 0)
		return 0;
	i = blen + 2;
	if (len >= i + 2 && p[i] == '-' && p[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	for (; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	return kind;
}

typedef struct ranges {
	off_t *v;
	size_t n, cap;
} ranges;

static int
ranges_push(ranges *r, off_t a, off_t b, sealmail_error *err)
{
	if (r->n * 2 + 2 > r->cap) {
		size_t cap = r->cap == 0 ? 8 : r->cap * 2;
		off_t *p = sm_realloc(r->v, cap * sizeof(*p));
		if (p == NULL)
			return sm_error_nomem(err);
		r->v = p;
		r->cap = cap;
	}
	r->v[r->n * 2] = a;
	r->v[r->n * 2 + 1] = b;
	r->n++;
	return SEALMAIL_OK;
}

/*
 * The first "\n--boundary" (`needle`, nlen >= 4 bytes) in p[0, n), or
 * NULL.  With AVX2, 32 places at a time (AVX-512BW: 64): those holding
 * '\n' whose byte nlen - 1 further on is the needle's last (two compares,
 * no other work for almost every byte of a body), each then compared
 * whole; the last bytes, and without AVX2 everything, by memmem (glibc's
 * is not vectorised: 7 % of a large clear verify, 2-3 % now).
 */
#if SM_FIND_X86
__attribute__((target("avx2"))) static const unsigned char *
find_avx2(const unsigned char *p, size_t n, const char *needle, size_t nlen)
{
	const __m256i first = _mm256_set1_epi8(needle[0]);
	const __m256i last = _mm256_set1_epi8(needle[nlen - 1]);
	size_t i = 0;

	for (; i + nlen + 31 <= n; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(p + i));
		__m256i b =
		        _mm256_loadu_si256((const __m256i *)(p + i + nlen - 1));
		unsigned int m = (unsigned int)_mm256_movemask_epi8(
		        _mm256_and_si256(_mm256_cmpeq_epi8(a, first),
		                         _mm256_cmpeq_epi8(b, last)));
		while (m != 0) {
			unsigned int at = (unsigned int)__builtin_ctz(m);
			if (memcmp(p + i + at + 1, needle + 1, nlen - 2) == 0)
				return p + i + at;
			m &= m - 1;
		}
	}
	return memmem(p + i, n - i, needle, nlen);
}

/* The same, 64 places at a time (AVX-512BW). */
__attribute__((target("avx512bw"))) static const unsigned char *
find_avx512(const unsigned char *p, size_t n, const char *needle, size_t nlen)
{
	const __m512i first = _mm512_set1_epi8(needle[0]);
	const __m512i last = _mm512_set1_epi8(needle[nlen - 1]);
	size_t i = 0;

	for (; i + nlen + 63 <= n; i += 64) {
		__m512i a = _mm512_loadu_si512((const void *)(p + i));
		__m512i b =
		        _mm512_loadu_si512((const void *)(p + i + nlen - 1));
		unsigned long long m = _mm512_cmpeq_epi8_mask(a, first) &
		                       _mm512_cmpeq_epi8_mask(b, last);
		while (m != 0) {
			unsigned int at = (unsigned int)__builtin_ctzll(m);
			if (memcmp(p + i + at + 1, needle + 1, nlen - 2) == 0)
				return p + i + at;
			m &= m - 1;
		}
	}
	return find_avx2(p + i, n - i, needle, nlen);
}
#endif

const unsigned char *
sm_mime_find_delimiter(sm_mime_find_impl impl,
                       const unsigned char *p,
                       size_t n,
                       const char *needle,
                       size_t nlen)
{
#if SM_FIND_X86
	/* (libgcc's checks include that the OS saves the registers) */
	__builtin_cpu_init();
	if (impl == SM_MIME_FIND_PORTABLE ||
	    __builtin_cpu_supports("avx2") == 0)
		return memmem(p, n, needle, nlen);
	if (impl != SM_MIME_FIND_AVX2 &&
	    __builtin_cpu_supports("avx512f") != 0 &&
	    __builtin_cpu_supports("avx512bw") != 0)
		return find_avx512(p, n, needle, nlen);
	return find_avx2(p, n, needle, nlen);
#else
	(void)impl;
	return memmem(p, n, needle, nlen);
#endif
}

/* Scanning state for sm_mime_multipart_children. */
typedef struct mpscan {
	sm_mime_source *src;
	const sm_mime_entity *ent;
	size_t blen, max;
	off_t child;     /* start of the current child, -1 before the first */
	bool at_start;   /* the next byte starts a line */
	bool prev_cr;    /* the last line break was CRLF */
	bool pending_cr; /* the last piece of an over-long line ended in CR */
	bool closed;
	ranges r;
	/* The tap on the first child (sm_mime_multipart_children_tap). */
	sm_mime_write_fn tap;
	void *payload;
	bool tap_on;           /* the first child is being scanned */
	off_t fed;             /* source offset of the next byte to push */
	unsigned char held[2]; /* the last bytes pushed, not yet tapped */
	size_t nheld;
	off_t tapped[2]; /* the range given to the tap */
} mpscan;

/*
 * Ask the CPU to bring [off, off + len) of a mapped source into its
 * caches, where the window holds it; nothing else.
 */
static void
source_prefetch(const sm_mime_source *s, off_t off, size_t len)
{
	const unsigned char *p;

	if (s->map == NULL || off < s->map_lo || off >= s->map_hi)
		return;
	if ((off_t)len > s->map_hi - off)
		len = (size_t)(s->map_hi - off);
	p = s->map_at + (off - s->map_lo);
	/*
	 * (GCC deletes a loop of nothing but __builtin_prefetch or
	 * _mm_prefetch as a loop without effect, hence the asm.)
	 */
	for (size_t i = 0; i < len; i += 64)
#if SM_FIND_X86
		__asm__ volatile("prefetcht0 %0" : : "m"(p[i]));
#else
		__builtin_prefetch(p + i, 0, 3);
#endif
}

/*
 * Give `len` bytes to the tap, counting them.  In steps of TAP_STEP, each
 * with as many bytes a view further on prefetched: a mapped file is then
 * read from memory while the tap hashes, a little at a time, instead of
 * the scan of the next view waiting on it (prefetching more at once, or
 * less far ahead, measured slower: docs/performance.md, "Session 5").
 */
enum {
	TAP_STEP = 1024,
	TAP_AHEAD = VIEW_BUF,
	/* sm_mime_body_prefetch: at most this far ahead of the decoder (64
	 * KiB, 96 KiB and 256 KiB measured slower, 512 KiB slower than none) */
	PF_MAX = VIEW_BUF / 2
};

static int
tap_emit(mpscan *m, const unsigned char *p, size_t len, sealmail_error *err)
{
	while (len > 0) {
		size_t n = len < TAP_STEP ? len : TAP_STEP;
		int rc;

		source_prefetch(m->src, m->tapped[1] + TAP_AHEAD, n);
		rc = m->tap(p, n, m->payload);
		if (rc != SEALMAIL_OK)
			return sm_error_set(err, rc,
			                    "cannot hash the signed part");
		m->tapped[1] += (off_t)n;
		p += n;
		len -= n;
	}
	return SEALMAIL_OK;
}

/*
 * Bytes of the first child at m->fed, in order: all but the last two seen
 * go to the tap now; those two may be the line break that belongs to the
 * next delimiter.
 */
static int
tap_push(mpscan *m, const unsigned char *p, size_t len, sealmail_error *err)
{
	int rc = SEALMAIL_OK;

	m->fed += (off_t)len;
	if (m->nheld + len <= sizeof(m->held)) {
		memcpy(m->held + m->nheld, p, len);
		m->nheld += len;
		return SEALMAIL_OK;
	}
	if (len == 1) { /* two held: the older goes */
		rc = tap_emit(m, m->held, 1, err);
		m->held[0] = m->held[1];
		m->held[1] = p[0];
		return rc;
	}
	rc = tap_emit(m, m->held, m->nheld, err);
	if (rc == SEALMAIL_OK)
		rc = tap_emit(m, p, len - 2, err);
	memcpy(m->held, p + len - 2, 2);
	m->nheld = 2;
	return rc;
}

/* The first child ends at `end` (at most two bytes before m->fed). */
static int
tap_finish(mpscan *m, off_t end, sealmail_error *err)
{
	off_t first_held = m->fed - (off_t)m->nheld;
	int rc = SEALMAIL_OK;

	m->tap_on = false;
	if (end < first_held || end > m->fed)
		/* not where the held bytes are: the tapped range says so */
		return SEALMAIL_OK;
	rc = tap_emit(m, m->held, (size_t)(end - first_held), err);
	m->nheld = 0;
	return rc;
}

/* Push what the scan passed over in this view: [m->fed, upto). */
static int
tap_upto(mpscan *m,
         off_t view_off,
         const unsigned char *view,
         off_t upto,
         sealmail_error *err)
{
	if (!m->tap_on || upto <= m->fed)
		return SEALMAIL_OK;
	return tap_push(m, view + (m->fed - view_off), (size_t)(upto - m->fed),
	                err);
}

/* One line (or a piece of an over-long one) at offset `off`. */
static int
mp_line(mpscan *m,
        off_t off,
        const unsigned char *p,
        size_t len,
        bool nl,
        sealmail_error *err)
{
	bool was_start = m->at_start;
	size_t body = len;
	int k, rc = SEALMAIL_OK;

	m->at_start = nl;
	if (body > 0 && p[body - 1] == '\r')
		body--;
	k = was_start ? delimiter(p, body, m->ent->boundary, m->blen) : 0;
	if (k != 0) {
		if (m->child >= 0) {
			/* The line break before belongs to the delimiter. */
			off_t cend = off - (m->prev_cr ? 2 : 1);
			if (cend < m->child)
				cend = m->child;
			rc = ranges_push(&m->r, m->child, cend, err);
			if (rc == SEALMAIL_OK && m->r.n > m->max)
				rc = sm_error_set(err, SEALMAIL_EBADDATA,
				                  "a multipart has more than "
				                  "%zu parts",
				                  m->max);
		}
		m->child = off + (off_t)len + (nl ? 1 : 0);
		m->closed = k == 2;
	}
	/* An empty piece ending a line continues an over-long one whose
	 * last piece may have ended with the CR. */
	if (nl)
		m->prev_cr = len > 0 ? p[len - 1] == '\r'
		                     : !was_start && m->pending_cr;
	else
		m->pending_cr = len > 0 && p[len - 1] == '\r';
	return rc;
}

int
sm_mime_multipart_children(off_t **ranges_out,
                           size_t *count_out,
                           sm_mime_source *src,
                           const sm_mime_entity *ent,
                           size_t max,
                           sealmail_error *err)
{
	off_t tapped[2];

	return sm_mime_multipart_children_tap(ranges_out, count_out, src, ent,
	                                      max, NULL, NULL, tapped, err);
}

/*
 * A line (or piece) for mp_line, with the tap kept in step: the bytes
 * before the line are pushed first; a delimiter that opens the first child
 * starts the tap, one that closes it finishes it.
 */
static int
mp_line_tap(mpscan *m,
            off_t view_off,
            const unsigned char *view,
            size_t pos,
            size_t len,
            bool nl,
            sealmail_error *err)
{
	off_t off = view_off + (off_t)pos;
	bool first_open = m->child < 0;
	int rc = tap_upto(m, view_off, view, off, err);

	if (rc == SEALMAIL_OK)
		rc = mp_line(m, off, view + pos, len, nl, err);
	if (rc != SEALMAIL_OK || m->tap == NULL)
		return rc;
	if (m->tap_on && m->r.n > 0)
		rc = tap_finish(m, m->r.v[1], err);
	else if (first_open && m->child >= 0 && m->r.n == 0) {
		m->tap_on = true;
		m->fed = m->child;
		m->tapped[0] = m->tapped[1] = m->child;
	}
	return rc;
}

int
sm_mime_multipart_children_tap(off_t **ranges_out,
                               size_t *count_out,
                               sm_mime_source *src,
                               const sm_mime_entity *ent,
                               size_t max,
                               sm_mime_write_fn tap,
                               void *payload,
                               off_t tapped[2],
                               sealmail_error *err)
{
	mpscan m = {.src = src,
	            .ent = ent,
	            .max = max,
	            .child = -1,
	            .at_start = true,
	            .tap = tap,
	            .payload = payload,
	            .tapped = {-1, -1}};
	off_t off = ent->body_start;
	char needle[80];
	size_t nlen;
	int rc = SEALMAIL_OK;

	*ranges_out = NULL;
	*count_out = 0;
	m.blen = strlen(ent->boundary);
	if (m.blen == 0 || m.blen > 70)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "a multipart has no valid boundary");
	nlen = (size_t)snprintf(needle, sizeof(needle), "\n--%s",
	                        ent->boundary);
	/*
	 * Lines straight from the source's views.  A line the view cuts is
	 * viewed again from its start (a view holds at least 64 KiB); one
	 * longer than the view is taken in pieces, as before.
	 */
	while (rc == SEALMAIL_OK && !m.closed && off < ent->end) {
		const unsigned char *buf;
		long got = sm_mime_source_view(
		        src, off, (size_t)(ent->end - off), &buf, err);
		size_t have, pos = 0;
		bool last;
		if (got <= 0) {
			rc = got < 0 ? (int)got : SEALMAIL_EIO;
			break;
		}
		have = (size_t)got;
		last = off + (off_t)have >= ent->end;
		while (rc == SEALMAIL_OK && !m.closed && pos < have) {
			const unsigned char *nl;
			size_t len;
			if (m.at_start && have - pos >= 2 &&
			    (buf[pos] != '-' || buf[pos + 1] != '-')) {
				/*
				 * Whole lines up to the next that may be a
				 * delimiter are no delimiters: skip them
				 * (sm_mime_find_delimiter skips ahead), keeping
				 * what mp_line would: a line starts, its line
				 * break had a CR or not.
				 */
				const unsigned char *q = sm_mime_find_delimiter(
				        SM_MIME_FIND_AUTO, buf + pos,
				        have - pos, needle, nlen);
				if (q == NULL)
					q = memrchr(buf + pos, '\n',
					            have - pos);
				if (q != NULL) {
					size_t at = (size_t)(q - buf);
					m.prev_cr =
					        at > pos && buf[at - 1] == '\r';
					pos = at + 1;
					continue;
				}
			}
			nl = memchr(buf + pos, '\n', have - pos);
			len = nl != NULL ? (size_t)(nl - (buf + pos))
			                 : have - pos;
			if (nl == NULL && !last && pos > 0)
				break; /* view it again from its start */
			rc = mp_line_tap(&m, off, buf, pos, len, nl != NULL,
			                 err);
			pos += len + (nl != NULL ? 1 : 0);
		}
		if (rc == SEALMAIL_OK)
			rc = tap_upto(&m, off, buf, off + (off_t)pos, err);
		off += (off_t)pos;
	}
	/* No close delimiter: the last part runs to the end (lenient). */
	if (rc == SEALMAIL_OK && !m.closed && m.child >= 0 &&
	    m.child <= ent->end) {
		rc = ranges_push(&m.r, m.child, ent->end, err);
		if (rc == SEALMAIL_OK && m.tap_on)
			rc = tap_finish(&m, ent->end, err);
	}
	tapped[0] = m.tapped[0];
	tapped[1] = m.tapped[1];
	if (rc == SEALMAIL_OK && m.r.n == 0)
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "a multipart has no part (boundary not "
		                  "found)");
	if (rc != SEALMAIL_OK) {
		sm_free(m.r.v);
		return rc;
	}
	*ranges_out = m.r.v;
	*count_out = m.r.n;
	return SEALMAIL_OK;
}

/* ---- decoding --------------------------------------------------------- */

static int
buf_write_cb(const void *data, size_t len, void *payload)
{
	return sm_buf_append(payload, data, len, NULL);
}

int
sm_mime_decode_body(sm_buf *out,
                    sm_mime_source *src,
                    const sm_mime_entity *ent,
                    sealmail_error *err)
{
	GMimeContentEncoding enc;
	GMimeStream *in, *filtered;
	SmSink *sink;
	ssize_t n;

	mime_init();
	enc = g_mime_content_encoding_from_string(ent->encoding);
	in = source_gstream(src, ent->body_start, ent->end);
	sink = sink_new(buf_write_cb, out);
	filtered = g_mime_stream_filter_new(GMIME_STREAM(sink));
	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeFilter *f = g_mime_filter_basic_new(enc, FALSE);
		(void)g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered),
		                               f);
		g_object_unref(f);
	}
	n = g_mime_stream_write_to_stream(in, filtered);
	if (n >= 0)
		n = g_mime_stream_flush(filtered);
	g_object_unref(filtered);
	g_object_unref(in);
	if (sink->status != SEALMAIL_OK || n < 0) {
		int st = sink->status;
		g_object_unref(sink);
		if (st == SEALMAIL_ENOMEM)
			return sm_error_set(err, SEALMAIL_EBADDATA,
			                    "a part is larger than %zu bytes",
			                    out->max);
		return sm_error_set(err, st != SEALMAIL_OK ? st : SEALMAIL_EIO,
		                    "cannot decode a part");
	}
	g_object_unref(sink);
	return SEALMAIL_OK;
}

/* ---- bodies as streams ------------------------------------------------ */

enum { BODY_IN = 64 * 1024 };

typedef enum { BODY_AS_IS, BODY_BASE64, BODY_FILTER } body_kind;

struct sm_mime_body {
	sm_mime_source *src;
	off_t pos, end;
	body_kind kind;
	sm_b64_dec dec;
	GMimeFilter *filter;      /* quoted-printable, uuencode */
	unsigned char *in;        /* BODY_IN: input copied for the filter */
	const unsigned char *out; /* decoded bytes not yet read */
	size_t out_len;
	unsigned char tail[8]; /* base64: bytes of the final group */
	bool done;
	off_t pf; /* base64: the next byte to prefetch (sm_mime_body_prefetch)
	           */
	bool mapped; /* base64: read from mapped views (the reader prefetches)
	              */
	bool stream; /* base64: mapped, the decoder prefetches (stream) */
	sealmail_error err;
};

int
sm_mime_body_new(sm_mime_body **out,
                 sm_mime_source *src,
                 const sm_mime_entity *ent,
                 sealmail_error *err)
{
	sm_mime_body *b = sm_calloc(1, sizeof(*b));
	GMimeContentEncoding enc;

	*out = NULL;
	if (b == NULL)
		return sm_error_nomem(err);
	b->src = src;
	b->pos = ent->body_start;
	b->end = ent->end;
	mime_init();
	enc = g_mime_content_encoding_from_string(ent->encoding);
	if (enc == GMIME_CONTENT_ENCODING_BASE64) {
		b->kind = BODY_BASE64;
		sm_b64_dec_init(&b->dec, SM_B64_LENIENT, SM_B64_AUTO);
	} else if (enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	           enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		b->kind = BODY_FILTER;
		b->in = sm_malloc(BODY_IN);
		if (b->in == NULL) {
			sm_free(b);
			return sm_error_nomem(err);
		}
		b->filter = g_mime_filter_basic_new(enc, FALSE);
	}
	*out = b;
	return SEALMAIL_OK;
}

static long
body_view(sm_mime_body *b, size_t len, const unsigned char **p)
{
	return b->mapped ? sm_mime_source_view(b->src, b->pos, len, p, &b->err)
	                 : sm_mime_source_view_copy(b->src, b->pos, len, p,
	                                            &b->err);
}

void
sm_mime_body_prefetch(sm_mime_body *b, size_t len)
{
	if (b->kind != BODY_BASE64)
		return;
	b->mapped = true;
	if (b->pf < b->pos)
		b->pf = b->pos;
	if (b->pf - b->pos >= PF_MAX)
		return;
	source_prefetch(b->src, b->pf, len);
	b->pf += (off_t)len;
}

void
sm_mime_body_stream(sm_mime_body *b)
{
	b->mapped = b->stream = b->kind == BODY_BASE64;
}

/*
 * Decode `got` bytes of text at `p` (b->pos) into `buf`: at once, or for
 * a streaming body in steps of STREAM_STEP, each with the next step's text
 * prefetched (a decoder reading a mapping waits on its memory otherwise:
 * 1 GiB of text decoded 0.28 s of CPU, 0.18-0.19 prefetching 1 KiB ahead;
 * 4, 16 or 32 KiB ahead in 4 KiB steps 0.19-0.23).
 */
enum { STREAM_STEP = 1024 };

static int
body_decode(sm_mime_body *b,
            unsigned char *buf,
            size_t *n,
            const unsigned char *p,
            size_t got)
{
	size_t done = 0;

	if (!b->stream)
		return sm_b64_dec_update(&b->dec, buf, n, p, got, &b->err);
	*n = 0;
	while (done < got) {
		size_t step =
		        got - done < STREAM_STEP ? got - done : STREAM_STEP;
		size_t k;
		int rc;

		source_prefetch(b->src, b->pos + (off_t)(done + step),
		                STREAM_STEP);
		rc = sm_b64_dec_update(&b->dec, buf + *n, &k, p + done, step,
		                       &b->err);
		if (rc != SEALMAIL_OK)
			return rc;
		*n += k;
		done += step;
	}
	return SEALMAIL_OK;
}

/*
 * Base64 straight from the source's view into `buf` (or b->tail); a file
 * through copied views: the decoder reads each byte once and fast, and
 * waits on a mapping's memory longer than the kernel takes to copy the
 * same bytes from the page cache (docs/performance.md, "Session 5").
 */
static long
body_base64(sm_mime_body *b, unsigned char *buf, size_t len)
{
	while (b->pos < b->end) {
		const unsigned char *p;
		size_t groups = len / 3, want, n;
		long got;
		int rc;

		if (groups < 2)
			break; /* too small a buffer: decode into the tail */
		/* sm_b64_dec_bound(want) <= len: decode in place */
		want = (groups - 1) * 4;
		got = body_view(b, (size_t)(b->end - b->pos), &p);
		if (got <= 0)
			return got < 0 ? got
			               : sm_error_set(&b->err, SEALMAIL_EIO,
			                              "a part ended early");
		if ((size_t)got > want)
			got = (long)want;
		rc = body_decode(b, buf, &n, p, (size_t)got);
		if (rc != SEALMAIL_OK)
			return rc;
		b->pos += got;
		if (n > 0)
			return (long)n;
	}
	if (b->pos < b->end) {
		/* a tiny read: decode one group at a time into the tail */
		const unsigned char *p;
		size_t n;
		long got = body_view(b, 4, &p);
		int rc;

		if (got <= 0)
			return got < 0 ? got
			               : sm_error_set(&b->err, SEALMAIL_EIO,
			                              "a part ended early");
		rc = sm_b64_dec_update(&b->dec, b->tail, &n, p, (size_t)got,
		                       &b->err);
		if (rc != SEALMAIL_OK)
			return rc;
		b->pos += got;
		b->out = b->tail;
		b->out_len = n;
		return 0; /* nothing yet: the caller serves the tail */
	}
	{
		size_t n;
		int rc = sm_b64_dec_final(&b->dec, b->tail, &n, &b->err);
		if (rc != SEALMAIL_OK)
			return rc;
		b->done = true;
		b->out = b->tail;
		b->out_len = n;
		return 0;
	}
}

/* Quoted-printable and uuencode through GMime's filter, in pieces. */
static int
body_filter(sm_mime_body *b)
{
	char *outbuf = NULL;
	size_t outlen = 0, prespace = 0;

	if (b->pos < b->end) {
		long got = sm_mime_source_read(
		        b->src, b->pos, b->in,
		        b->end - b->pos > BODY_IN ? BODY_IN
		                                  : (size_t)(b->end - b->pos),
		        &b->err);
		if (got <= 0)
			return got < 0 ? (int)got
			               : sm_error_set(&b->err, SEALMAIL_EIO,
			                              "a part ended early");
		b->pos += got;
		g_mime_filter_filter(b->filter, (char *)b->in, (size_t)got, 0,
		                     &outbuf, &outlen, &prespace);
	} else {
		g_mime_filter_complete(b->filter, (char *)b->in, 0, 0, &outbuf,
		                       &outlen, &prespace);
		b->done = true;
	}
	b->out = (const unsigned char *)outbuf;
	b->out_len = outlen;
	return SEALMAIL_OK;
}

long
sm_mime_body_read(void *buf, size_t len, void *payload)
{
	sm_mime_body *b = payload;

	for (;;) {
		long n;

		if (b->out_len > 0) {
			size_t k = b->out_len < len ? b->out_len : len;
			memcpy(buf, b->out, k);
			b->out += k;
			b->out_len -= k;
			return (long)k;
		}
		if (b->done || len == 0)
			return 0;
		switch (b->kind) {
		case BODY_BASE64:
			n = body_base64(b, buf, len);
			if (n != 0)
				return n;
			break;
		case BODY_FILTER:
			n = body_filter(b);
			if (n != SEALMAIL_OK)
				return n;
			break;
		case BODY_AS_IS:
		default:
			if (b->pos >= b->end)
				return 0;
			n = sm_mime_source_read(
			        b->src, b->pos, buf,
			        (off_t)len > b->end - b->pos
			                ? (size_t)(b->end - b->pos)
			                : len,
			        &b->err);
			if (n == 0)
				n = sm_error_set(&b->err, SEALMAIL_EIO,
				                 "a part ended early");
			if (n > 0)
				b->pos += n;
			return n;
		}
	}
}

const sealmail_error *
sm_mime_body_error(const sm_mime_body *b)
{
	return &b->err;
}

void
sm_mime_body_free(sm_mime_body *b)
{
	if (b == NULL)
		return;
	if (b->filter != NULL)
		g_object_unref(b->filter);
	sm_free(b->in);
	sm_free(b);
}

int
sm_mime_write_decoded(sm_mime_source *src,
                      const sm_mime_entity *ent,
                      const char *encoding,
                      sm_mime_write_fn write,
                      void *payload,
                      sealmail_error *err)
{
	sm_buf hdr;
	size_t pos = 0;
	bool skip = false;
	int rc;

	if (strcmp(ent->encoding, "quoted-printable") != 0 &&
	    strcmp(ent->encoding, "base64") != 0)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "the part is not "
		                    "encoded");
	sm_buf_init(&hdr, HEADER_MAX + 16);
	rc = sm_mime_source_copy(src, ent->start, ent->body_start, buf_write_cb,
	                         &hdr, err);
	/* Header lines as they are, the encoding's field replaced. */
	while (rc == SEALMAIL_OK && pos < hdr.len) {
		unsigned char *p = hdr.data + pos;
		unsigned char *nl = memchr(p, '\n', hdr.len - pos);
		size_t len = nl != NULL ? (size_t)(nl - p) + 1 : hdr.len - pos;
		pos += len;
		if (p[0] != ' ' && p[0] != '\t')
			skip = len >= 26 &&
			       g_ascii_strncasecmp(
			               (const char *)p,
			               "content-transfer-encoding:", 26) == 0;
		if (skip && p[0] != ' ' && p[0] != '\t') {
			rc = write("Content-Transfer-Encoding: ", 27, payload);
			if (rc == SEALMAIL_OK)
				rc = write(encoding, strlen(encoding), payload);
			if (rc == SEALMAIL_OK)
				rc = write("\r\n", 2, payload);
			continue;
		}
		if (!skip)
			rc = write(p, len, payload);
	}
	sm_buf_free(&hdr);
	if (rc == SEALMAIL_OK) {
		GMimeContentEncoding enc =
		        g_mime_content_encoding_from_string(ent->encoding);
		GMimeStream *in =
		        source_gstream(src, ent->body_start, ent->end);
		SmSink *sink = sink_new(write, payload);
		GMimeStream *filtered =
		        g_mime_stream_filter_new(GMIME_STREAM(sink));
		GMimeFilter *f = g_mime_filter_basic_new(enc, FALSE);
		ssize_t n;

		(void)g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered),
		                               f);
		g_object_unref(f);
		n = g_mime_stream_write_to_stream(in, filtered);
		if (n >= 0)
			n = g_mime_stream_flush(filtered);
		g_object_unref(filtered);
		g_object_unref(in);
		if (sink->status != SEALMAIL_OK || n < 0)
			rc = sm_error_set(err,
			                  sink->status != SEALMAIL_OK
			                          ? sink->status
			                          : SEALMAIL_EIO,
			                  "cannot decode a part");
		g_object_unref(sink);
	}
	return rc != SEALMAIL_OK && err != NULL && err->code == 0
	               ? sm_error_set(err, rc, "write failed")
	               : rc;
}

/* ---- header writing --------------------------------------------------- */

static bool
is_content_field(const unsigned char *p, size_t len)
{
	return (len >= 8 &&
	        g_ascii_strncasecmp((const char *)p, "content-", 8) == 0) ||
	       (len >= 13 && g_ascii_strncasecmp((const char *)p,
	                                         "mime-version:", 13) == 0) ||
	       (len >= 4 &&
	        g_ascii_strncasecmp((const char *)p, "bcc:", 4) == 0);
}

int
sm_mime_write_headers(sm_mime_source *src,
                      const sm_mime_entity *ent,
                      bool keep_content,
                      sm_mime_write_fn write,
                      void *payload,
                      sealmail_error *err)
{
	sm_buf hdr;
	size_t pos = 0;
	bool keep = true;
	int rc;

	sm_buf_init(&hdr, HEADER_MAX + 16);
	rc = sm_mime_source_copy(src, ent->start, ent->body_start, buf_write_cb,
	                         &hdr, err);
	while (rc == SEALMAIL_OK && pos < hdr.len) {
		unsigned char *p = hdr.data + pos;
		unsigned char *nl = memchr(p, '\n', hdr.len - pos);
		size_t len = nl != NULL ? (size_t)(nl - p) : hdr.len - pos;
		size_t body = len;
		pos += len + (nl != NULL ? 1 : 0);
		if (body > 0 && p[body - 1] == '\r')
			body--;
		if (body == 0)
			break; /* the blank line */
		if (p[0] != ' ' && p[0] != '\t')
			keep = keep_content || !is_content_field(p, body);
		if (!keep)
			continue;
		rc = write(p, body, payload);
		if (rc == SEALMAIL_OK)
			rc = write("\r\n", 2, payload);
		if (rc != SEALMAIL_OK)
			rc = sm_error_set(err, rc, "write failed");
	}
	sm_buf_free(&hdr);
	return rc;
}

/* ---- canonical content for signing ------------------------------------ */

typedef struct scan {
	bool eightbit, nul, longline, trailing_ws, from, bare_cr;
	size_t linelen;
	unsigned char prev, prev2;
	char start[5];
	size_t nstart;
} scan;

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Does the 8-byte word hold a zero byte / a byte with the high bit? */
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull

static void
scan_bytes(scan *s, const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n && !(s->nul && s->eightbit); i += 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		if (x & SWAR_HIGH)
			s->eightbit = true;
		if ((x - SWAR_ONES) & ~x & SWAR_HIGH)
			s->nul = true;
	}
	for (; i < n && !(s->nul && s->eightbit); i++) {
		if (p[i] == 0)
			s->nul = true;
		if (p[i] >= 0x80)
			s->eightbit = true;
	}
}

/*
 * The byte-at-a-time rules of the scan, a line at a time: NUL and 8-bit
 * bytes over the whole chunk, then each line (memchr) for its length, a CR
 * not followed by LF, trailing white space and a "From " start.
 */
static int
scan_write(const void *data, size_t len, void *payload)
{
	scan *s = payload;
	const unsigned char *p = data, *end = p + len;

	scan_bytes(s, p, len);
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0) {
			if (s->prev == '\r' ||
			    (n > 1 && memchr(p, '\r', n - 1) != NULL))
				s->bare_cr = true;
			s->linelen += n;
			if (s->linelen > 998)
				s->longline = true;
			for (size_t k = 0; s->nstart < 5 && k < n; k++) {
				s->start[s->nstart++] = (char)p[k];
				if (s->nstart == 5 &&
				    memcmp(s->start, "From ", 5) == 0)
					s->from = true;
			}
			if (n >= 2) {
				s->prev2 = p[n - 2];
				s->prev = p[n - 1];
			} else if (n == 1) {
				s->prev2 = s->prev;
				s->prev = p[0];
			}
			p += n;
		}
		if (nl != NULL) {
			if (is_ws(s->prev) ||
			    (s->prev == '\r' && is_ws(s->prev2)))
				s->trailing_ws = true;
			s->linelen = 0;
			s->nstart = 0;
			s->prev2 = s->prev;
			s->prev = '\n';
			p = nl + 1;
		}
	}
	return SEALMAIL_OK;
}

/*
 * GMime's quoted-printable encoder leaves "From " at a line start as it is
 * (mbox writers turn it into ">From "); encode the part ourselves through a
 * private temporary with the From armour ("=46rom ").  false on failure.
 */
static bool
armor_from(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *tmp, *filtered;
	GMimeDataWrapper *w;
	GMimeFilter *f;
	int fd = tmp_fd(NULL);
	ssize_t n;

	if (fd < 0)
		return false;
	tmp = g_mime_stream_fs_new(fd);
	filtered = g_mime_stream_filter_new(tmp);
	f = g_mime_filter_basic_new(GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE,
	                            TRUE);
	(void)g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), f);
	g_object_unref(f);
	f = g_mime_filter_from_new(GMIME_FILTER_FROM_MODE_ARMOR);
	(void)g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), f);
	g_object_unref(f);
	n = g_mime_data_wrapper_write_to_stream(content, filtered);
	if (n >= 0)
		n = g_mime_stream_flush(filtered);
	g_object_unref(filtered);
	if (n < 0 || g_mime_stream_reset(tmp) != 0) {
		g_object_unref(tmp);
		return false;
	}
	w = g_mime_data_wrapper_new_with_stream(
	        tmp, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(tmp);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_mime_part_set_content_encoding(
	        part, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	return true;
}

/*
 * Scan a part's content as GMime would write it: raw content (7bit, 8bit,
 * binary) is read straight from its stream in 64 KiB pieces, encoded
 * content through GMime's decoder.
 */
static void
scan_content(GMimeDataWrapper *content, scan *s)
{
	GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
	GMimeStream *cs = g_mime_data_wrapper_get_stream(content);
	unsigned char *buf = NULL;
	SmSink *sink;

	if (enc != GMIME_CONTENT_ENCODING_BASE64 &&
	    enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
	    enc != GMIME_CONTENT_ENCODING_UUENCODE && cs != NULL &&
	    g_mime_stream_reset(cs) == 0)
		buf = sm_malloc(CHUNK);
	if (buf != NULL) {
		while (!g_mime_stream_eos(cs)) {
			ssize_t n = g_mime_stream_read(cs, (char *)buf, CHUNK);
			if (n <= 0)
				break;
			(void)scan_write(buf, (size_t)n, s);
		}
		sm_free(buf);
		return;
	}
	sink = sink_new(scan_write, s);
	(void)g_mime_data_wrapper_write_to_stream(content, GMIME_STREAM(sink));
	g_object_unref(sink);
}

/*
 * Choose a 7-bit-safe transfer encoding for one leaf part, if needed.
 * `*raw_ok` (may be NULL): the part was scanned and left as it is, with no
 * CR but in CRLF: its content can be written canonical by sm_canon.
 */
static void
canon_part(GMimePart *part, bool *raw_ok)
{
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeContentType *ct;
	scan s = {0};

	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE || content == NULL)
		return;
	scan_content(content, &s);
	/* The CR of a CRLF before the LF is not trailing white space. */
	if (!(s.eightbit || s.nul || s.longline || s.trailing_ws || s.from ||
	      s.bare_cr)) {
		if (raw_ok != NULL)
			*raw_ok = s.prev != '\r';
		return;
	}
	ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	if (ct != NULL && g_mime_content_type_is_type(ct, "text", "*") &&
	    !s.nul && s.from && armor_from(part))
		return;
	if (ct != NULL && g_mime_content_type_is_type(ct, "text", "*") &&
	    !s.nul)
		g_mime_part_set_content_encoding(
		        part, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	else
		g_mime_part_set_content_encoding(part,
		                                 GMIME_CONTENT_ENCODING_BASE64);
}

/*
 * GMime writes a multipart's prologue and epilogue as they were parsed,
 * not through the newline filter: their LFs lack the CR (a clear signature
 * over them fails wherever the content is made CRLF).  Give them their CRs.
 */
static void
crlf_text(GMimeMultipart *mp, bool epilogue)
{
	const char *t = epilogue ? g_mime_multipart_get_epilogue(mp)
	                         : g_mime_multipart_get_prologue(mp);
	size_t lf = 0;
	char *c, *q;

	if (t == NULL)
		return;
	for (const char *p = t; *p != '\0'; p++)
		if (*p == '\n' && (p == t || p[-1] != '\r'))
			lf++;
	if (lf == 0)
		return;
	c = g_malloc(strlen(t) + lf + 1);
	q = c;
	for (const char *p = t; *p != '\0'; p++) {
		if (*p == '\n' && (p == t || p[-1] != '\r'))
			*q++ = '\r';
		*q++ = *p;
	}
	*q = '\0';
	if (epilogue)
		g_mime_multipart_set_epilogue(mp, c);
	else
		g_mime_multipart_set_prologue(mp, c);
	g_free(c);
}

/*
 * crlf_text for every multipart in `obj`, the parts left as they are: what
 * a signed multipart gets, whose bytes GMime would otherwise write with
 * bare LFs where the source had CRLF (the one-read path copies them).
 */
static void
crlf_texts(GMimeObject *obj, int depth)
{
	if (obj == NULL || depth > 32)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		crlf_text(mp, false);
		crlf_text(mp, true);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			crlf_texts(g_mime_multipart_get_part(mp, i), depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(
		        GMIME_MESSAGE_PART(obj));

		if (m != NULL)
			crlf_texts(g_mime_message_get_mime_part(m), depth + 1);
	}
}

/*
 * Make every part 7-bit safe.  false when the structure cannot be signed
 * as it is (a multipart without parts, nesting over 32).
 */
static bool
canon_object(GMimeObject *obj, int depth, bool *raw_ok)
{
	bool ok = true;

	if (obj == NULL)
		return true;
	if (depth > 32)
		return false;
	/*
	 * A signature inside must keep its bytes: leave signed parts alone
	 * but for the CRs GMime drops from prologues and epilogues.
	 */
	if (GMIME_IS_MULTIPART_SIGNED(obj)) {
		crlf_texts(obj, depth);
		return true;
	}
	if (GMIME_IS_APPLICATION_PKCS7_MIME(obj))
		return true;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		if (g_mime_multipart_get_count(mp) == 0)
			return false;
		if (g_mime_multipart_get_boundary(mp) == NULL)
			g_mime_multipart_set_boundary(mp,
			                              NULL); /* a fresh one */
		crlf_text(mp, false);
		crlf_text(mp, true);
		for (int i = 0; ok && i < g_mime_multipart_get_count(mp); i++)
			ok = canon_object(g_mime_multipart_get_part(mp, i),
			                  depth + 1, NULL);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(
		        GMIME_MESSAGE_PART(obj));
		if (m != NULL)
			ok = canon_object(g_mime_message_get_mime_part(m),
			                  depth + 1, NULL);
	} else if (GMIME_IS_PART(obj)) {
		canon_part(GMIME_PART(obj), raw_ok);
	}
	return ok;
}

/*
 * Write a leaf part whose content is left as it is (canon_part's raw_ok):
 * its header block as GMime writes it (the part with empty content), then
 * the content read in 64 KiB pieces and made CRLF by sm_canon, the same
 * bytes GMime's newline filter would give for content with no bare CR,
 * in one fast pass.  -1 on failure (sink->status says a write failure).
 */
static ssize_t
write_part_raw(GMimePart *part, GMimeFormatOptions *fmt, SmSink *sink)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *cs = g_mime_data_wrapper_get_stream(content);
	GMimeStream *empty = g_mime_stream_mem_new();
	GMimeDataWrapper *none = g_mime_data_wrapper_new_with_stream(
	        empty, g_mime_data_wrapper_get_encoding(content));
	unsigned char *in = sm_malloc(CHUNK);
	unsigned char *out = sm_malloc(sm_canon_bound(CHUNK));
	ssize_t n = 0, total = -1;
	sm_canon canon;
	size_t m;

	g_object_ref(content);
	g_mime_part_set_content(part, none);
	if (in != NULL && out != NULL)
		total = g_mime_object_write_to_stream(GMIME_OBJECT(part), fmt,
		                                      GMIME_STREAM(sink));
	g_mime_part_set_content(part, content);
	g_object_unref(content);
	g_object_unref(none);
	g_object_unref(empty);
	if (total < 0 || sink->status != SEALMAIL_OK ||
	    g_mime_stream_reset(cs) != 0)
		goto fail;
	sm_canon_init(&canon, SM_CANON_AUTO);
	/* GMime streams say EOS, a bounded read past the end fails. */
	while (!g_mime_stream_eos(cs)) {
		n = g_mime_stream_read(cs, (char *)in, CHUNK);
		if (n <= 0)
			break;
		m = sm_canon_update(&canon, out, in, (size_t)n);
		sink->status = sink->write(out, m, sink->payload);
		if (sink->status != SEALMAIL_OK)
			goto fail;
		total += (ssize_t)m;
	}
	if (n < 0)
		goto fail;
	m = sm_canon_final(&canon, out);
	if (m > 0) {
		sink->status = sink->write(out, m, sink->payload);
		if (sink->status != SEALMAIL_OK)
			goto fail;
	}
	sm_free(in);
	sm_free(out);
	return total + (ssize_t)m;
fail:
	sm_free(in);
	sm_free(out);
	return -1;
}

/*
 * The bytes [start, end) of a source handed to `fn` a window at a time: a
 * memory source as it is, a file mapped read-only in windows of MAP_WINDOW
 * bytes (unmapped before the next, so the mapping adds at most that much
 * to the resident set; populated at once: one call instead of a fault
 * every 16 pages, and the scan's prefetches land), or read in CHUNK
 * pieces when it cannot be mapped.  A span of more than ahead_min and a
 * window is mapped VIEW_WINDOW at a time by a second thread ahead of `fn`
 * (ahead_run), which also unmaps the windows done with.
 * `fn` returns SEALMAIL_OK to go on, SCAN_STOP to stop early (returned as
 * it is) or a failure.
 */
enum { MAP_WINDOW = 8 << 20, SCAN_STOP = 2, PIECE = 256 * 1024 };

typedef int (*span_fn)(const unsigned char *p, size_t len, void *payload);

static int
source_spans(sm_mime_source *s,
             off_t start,
             off_t end,
             span_fn fn,
             void *payload,
             sealmail_error *err)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *buf = NULL;
	ahead *a = NULL;
	int rc = SEALMAIL_OK;

	if (s->fd < 0)
		return end > start ? fn(s->mem + start, (size_t)(end - start),
		                        payload)
		                   : SEALMAIL_OK;
	if (end - start > s->ahead_min + MAP_WINDOW)
		a = ahead_start(s->fd, s->base, end, VIEW_WINDOW, 0, start);
	if (a != NULL)
		s->threads++;
	while (rc == SEALMAIL_OK && start < end) {
		size_t len = end - start > MAP_WINDOW ? MAP_WINDOW
		                                      : (size_t)(end - start);
		win w;
		bool mapped =
		        buf == NULL && a != NULL && ahead_take(a, start, 1, &w);

		if (!mapped && buf == NULL)
			mapped = win_map(&w, s->fd, s->base, start,
			                 start + (off_t)len, page) == 0;
		if (mapped) {
			len = (size_t)(w.hi - start);
			rc = fn(w.at + (start - w.lo), len, payload);
			if (a != NULL)
				ahead_put(a, &w);
			else
				(void)munmap(w.map, w.map_len);
		} else {
			long n;
			if (buf == NULL && (buf = sm_malloc(CHUNK)) == NULL) {
				rc = sm_error_nomem(err);
				break;
			}
			n = sm_mime_source_read(s, start, buf,
			                        len > CHUNK ? CHUNK : len, err);
			if (n <= 0) {
				rc = n < 0 ? (int)n
				           : sm_error_set(err, SEALMAIL_EIO,
				                          "source ended early");
				break;
			}
			len = (size_t)n;
			rc = fn(buf, len, payload);
		}
		start += (off_t)len;
	}
	ahead_stop(a);
	sm_free(buf);
	return rc;
}

static int
scan_span(const unsigned char *p, size_t len, void *payload)
{
	sm_canon_scan *cs = payload;

	sm_canon_scan_update(cs, p, len);
	return cs->dirty ? SCAN_STOP : SEALMAIL_OK;
}

/* Content that is canonical as it is: written in PIECE-sized writes. */
typedef struct raw_out {
	sm_mime_write_fn write;
	void *payload;
	sm_canon *canon; /* NULL: copy as it is */
	unsigned char *buf;
	int status; /* the first failure of `write` */
} raw_out;

static int
raw_span(const unsigned char *p, size_t len, void *payload)
{
	raw_out *o = payload;
	int rc = SEALMAIL_OK;

	while (rc == SEALMAIL_OK && len > 0) {
		size_t n = len > (o->canon ? CHUNK : PIECE)
		                   ? (o->canon ? CHUNK : PIECE)
		                   : len;
		if (o->canon != NULL)
			rc = o->write(o->buf,
			              sm_canon_update(o->canon, o->buf, p, n),
			              o->payload);
		else
			rc = o->write(p, n, o->payload);
		p += n;
		len -= n;
	}
	if (rc != SEALMAIL_OK)
		o->status = rc;
	return rc;
}

/*
 * Speculative: each piece is checked, then written while it is in the
 * cache; a flaw stops the write (SCAN_STOP).  Pieces go out as they are
 * until a bare LF shows up, then through sm_canon (told whether the byte
 * before was the CR of a CRLF whose LF it will see first).
 */
typedef struct spec_out {
	sm_mime_write_fn write;
	void *payload;
	sm_canon_scan scan;
	sm_canon canon;
	unsigned char *buf; /* sm_canon's output, once needed */
	bool last_cr;
	bool strict; /* a bare LF is a flaw too (a multipart) */
	int status;  /* the first failure of `write` */
} spec_out;

static int
spec_span(const unsigned char *p, size_t len, void *payload)
{
	spec_out *o = payload;
	int rc = SEALMAIL_OK;

	while (rc == SEALMAIL_OK && len > 0) {
		size_t n = len > PIECE ? PIECE : len;
		sm_canon_scan_update(&o->scan, p, n);
		if (o->scan.dirty || (o->strict && o->scan.bare_lf))
			return SCAN_STOP;
		if (o->scan.bare_lf && o->buf == NULL) {
			o->buf = sm_malloc(sm_canon_bound(PIECE));
			if (o->buf == NULL)
				return o->status = SEALMAIL_ENOMEM;
			sm_canon_init(&o->canon, SM_CANON_AUTO);
			o->canon.cr = o->last_cr;
		}
		if (o->buf != NULL)
			rc = o->write(o->buf,
			              sm_canon_update(&o->canon, o->buf, p, n),
			              o->payload);
		else
			rc = o->write(p, n, o->payload);
		o->last_cr = p[n - 1] == '\r';
		p += n;
		len -= n;
	}
	if (rc != SEALMAIL_OK)
		o->status = rc;
	return rc;
}

/*
 * Is [start, end) a plain header block: "Name: value" lines (a name of
 * printable characters but ':' right before the colon) and their folded
 * continuations, each ending in CRLF, then the blank line?  GMime's path
 * treats anything else its own way (a multipart with such a part can
 * even fail to parse); the one-read path leaves it to GMime.
 */
static bool
headers_plain(sm_mime_source *src, off_t start, off_t end)
{
	unsigned char buf[16384];
	size_t len = end - start > (off_t)sizeof(buf) ? sizeof(buf)
	                                              : (size_t)(end - start);
	long n = sm_mime_source_read(src, start, buf, len, NULL);
	size_t i = 0;

	if (n != (long)len)
		return false;
	while (i + 1 < len) {
		size_t k = i;
		if (buf[i] == '\r' && buf[i + 1] == '\n')
			return true; /* the blank line */
		if (buf[i] == ' ' || buf[i] == '\t') {
			if (i == 0)
				return false;
		} else {
			while (k < len && buf[k] > 32 && buf[k] < 127 &&
			       buf[k] != ':')
				k++;
			if (k == i || k == len || buf[k] != ':')
				return false;
		}
		while (k + 1 < len && !(buf[k] == '\r' && buf[k + 1] == '\n'))
			k++;
		if (k + 1 >= len)
			return false;
		i = k + 2;
	}
	return false;
}

/* Does [start, end) end with CRLF? */
static bool
ends_crlf(sm_mime_source *src, off_t start, off_t end)
{
	unsigned char b[2];

	return end - start >= 2 &&
	       sm_mime_source_read(src, end - 2, b, 2, NULL) == 2 &&
	       b[0] == '\r' && b[1] == '\n';
}

/*
 * May the multipart `ent` go as it is, given that its bytes are canonical
 * (sm_canon_scan clean, no bare LF)?  Only when GMime's path would write
 * the same bytes: every multipart in it (to 32 levels) has a boundary, at
 * least one part, its close delimiter and a line break at its end (GMime
 * ends a multipart with one: "--b--" right before the enclosing delimiter
 * would get a blank line); every part a plain header block; no message
 * part and no multipart/digest (their parts would be parsed as messages).
 * Signed and encrypted parts are left as they are by both paths.  A
 * delimiter pass over the body: the rest of it is not read here.
 */
static bool
multipart_plain(sm_mime_source *src, const sm_mime_entity *ent, int depth)
{
	off_t *rg = NULL;
	size_t n = 0;
	bool ok;

	if (depth > 32 || ent->boundary[0] == '\0' ||
	    strcmp(ent->type, "multipart/digest") == 0 ||
	    sm_mime_multipart_children(&rg, &n, src, ent, 4096, NULL) !=
	            SEALMAIL_OK)
		return false;
	/* closed: the last part ends before the close delimiter line */
	ok = n > 0 && rg[2 * n - 1] < ent->end &&
	     ends_crlf(src, ent->body_start, ent->end);
	for (size_t i = 0; ok && i < n; i++) {
		sm_mime_entity c;
		ok = headers_plain(src, rg[2 * i], rg[2 * i + 1]) &&
		     sm_mime_entity_parse(&c, src, rg[2 * i], rg[2 * i + 1],
		                          false, NULL) == SEALMAIL_OK;
		if (!ok)
			continue;
		if (strncmp(c.type, "multipart/", 10) == 0)
			ok = multipart_plain(src, &c, depth + 1);
		else if (strncmp(c.type, "message/", 8) == 0)
			ok = false;
	}
	sm_free(rg);
	return ok;
}

/*
 * Is the message's content, parsed from its header block alone, a
 * multipart the one-read path may take (multipart_plain)?
 */
static bool
multipart_fast(sm_mime_source *src, GMimeObject *body, off_t hend)
{
	GMimeMultipart *mp = GMIME_MULTIPART(body);
	/* (g_mime_multipart_get_boundary makes one up when there is none,
	 * re-encoding the Content-Type: GMime can blow up on odd ones) */
	const char *b =
	        g_mime_object_get_content_type_parameter(body, "boundary");
	const char *pro = g_mime_multipart_get_prologue(mp);
	sm_mime_entity top;

	/*
	 * GMime must see the header block end where header_end did.  A
	 * signed or encrypted multipart (a message signed before) is copied
	 * byte for byte like any other: its bytes are what its signature
	 * covers, and they are already canonical.
	 */
	if (b == NULL || g_mime_multipart_get_count(mp) != 0 ||
	    (pro != NULL && pro[0] != '\0'))
		return false;
	if (sm_mime_entity_parse(&top, src, 0, sm_mime_source_size(src), true,
	                         NULL) != SEALMAIL_OK ||
	    top.body_start != hend || strcmp(top.boundary, b) != 0 ||
	    strncmp(top.type, "multipart/", 10) != 0)
		return false;
	return multipart_plain(src, &top, 0);
}

/*
 * The common case in one read of the content: the message's content is one
 * leaf part in 7bit, 8bit or binary (or none) whose bytes need no transfer
 * encoding, or a multipart whose bytes are all canonical as they are.
 * GMime parses the header block alone and writes the part's header block;
 * the content is checked by sm_canon_scan straight from the source
 * (mapped) and then written from it, through sm_canon only when some LF of
 * a leaf lacks its CR (a multipart with a bare LF takes GMime's path).
 * *done false: not this case, nothing was written, take the GMime path.
 */
static int
write_canonical_leaf(sm_mime_source *src,
                     bool speculate,
                     sm_mime_write_fn write,
                     void *payload,
                     bool *done,
                     sealmail_error *err)
{
	off_t size = sm_mime_source_size(src), hend;
	GMimeMessage *msg;
	GMimeObject *body;
	GMimeContentEncoding enc;
	GMimeDataWrapper *content;
	GMimeStream *cs;
	GMimeFormatOptions *fmt;
	SmSink *sink;
	sm_canon_scan check;
	sm_canon canon;
	raw_out o = {write, payload, NULL, NULL, SEALMAIL_OK};
	bool multi = false;
	ssize_t n;
	int rc, st;

	*done = false;
	if (header_end(&hend, src, 0, size, NULL) != SEALMAIL_OK)
		return SEALMAIL_OK;
	/* the message is changed below: taken from the source */
	msg = header_message(src, 0, hend, true);
	body = msg != NULL ? g_mime_message_get_mime_part(msg) : NULL;
	if (body != NULL && GMIME_IS_MULTIPART(body)) {
		if (!multipart_fast(src, body, hend))
			goto not_leaf;
		multi = true;
	} else {
		if (body == NULL || !GMIME_IS_PART(body) ||
		    GMIME_IS_APPLICATION_PKCS7_MIME(body))
			goto not_leaf;
		enc = g_mime_part_get_content_encoding(GMIME_PART(body));
		content = g_mime_part_get_content(GMIME_PART(body));
		cs = content != NULL ? g_mime_data_wrapper_get_stream(content)
		                     : NULL;
		/* GMime must see the header block end where header_end did. */
		if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
		    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
		    enc == GMIME_CONTENT_ENCODING_UUENCODE || cs == NULL ||
		    g_mime_stream_length(cs) != 0)
			goto not_leaf;
	}
	sm_canon_scan_init(&check, SM_CANON_AUTO);
	rc = speculate ? SEALMAIL_OK
	               : source_spans(src, hend, size, scan_span, &check, err);
	if (rc == SCAN_STOP ||
	    (rc == SEALMAIL_OK && !speculate &&
	     (!sm_canon_scan_final(&check) || (multi && check.bare_lf))))
		goto not_leaf;
	if (rc != SEALMAIL_OK) {
		g_object_unref(msg);
		return rc;
	}
	*done = true;
	/* As in sm_mime_write_canonical: say text/plain inside. */
	if (!multi && g_mime_object_get_header(body, "Content-Type") == NULL)
		g_mime_object_set_header(body, "Content-Type",
		                         "text/plain; charset=utf-8", NULL);
	fmt = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
	sink = sink_new(write, payload);
	/* A multipart: its header block and the blank line, then its body
	 * from the source as it is (the delimiters, parts, epilogue). */
	if (multi) {
		n = g_mime_header_list_write_to_stream(
		        g_mime_object_get_header_list(body), fmt,
		        GMIME_STREAM(sink));
		if (n >= 0 && sink->status == SEALMAIL_OK)
			sink->status = write("\r\n", 2, payload);
	} else {
		n = g_mime_object_write_to_stream(body, fmt,
		                                  GMIME_STREAM(sink));
	}
	st = sink->status;
	g_object_unref(sink);
	g_mime_format_options_free(fmt);
	g_object_unref(msg);
	if (st != SEALMAIL_OK || n < 0)
		return sm_error_set(err, st != SEALMAIL_OK ? st : SEALMAIL_EIO,
		                    "cannot write the signed content");
	if (speculate) {
		spec_out so = {
		        .write = write, .payload = payload, .strict = multi};
		sm_canon_scan_init(&so.scan, SM_CANON_AUTO);
		rc = source_spans(src, hend, size, spec_span, &so, err);
		sm_free(so.buf);
		if (rc == SCAN_STOP ||
		    (rc == SEALMAIL_OK && !sm_canon_scan_final(&so.scan)))
			return SM_MIME_RETRY;
		if (so.status != SEALMAIL_OK)
			rc = sm_error_set(err, so.status,
			                  "cannot write the signed content");
		return rc;
	}
	if (check.bare_lf) {
		sm_canon_init(&canon, SM_CANON_AUTO);
		o.canon = &canon;
		o.buf = sm_malloc(sm_canon_bound(CHUNK));
		if (o.buf == NULL)
			return sm_error_nomem(err);
	}
	rc = source_spans(src, hend, size, raw_span, &o, err);
	sm_free(o.buf);
	/* No bare CR: sm_canon_final has nothing to add. */
	if (o.status != SEALMAIL_OK)
		rc = sm_error_set(err, o.status,
		                  "cannot write the signed content");
	return rc;
not_leaf:
	if (msg != NULL)
		g_object_unref(msg);
	return SEALMAIL_OK;
}

int
sm_mime_write_canonical(sm_mime_source *src,
                        sm_mime_write_fn write,
                        void *payload,
                        sealmail_error *err)
{
	return sm_mime_write_canonical_spec(src, false, write, payload, err);
}

int
sm_mime_write_canonical_spec(sm_mime_source *src,
                             bool speculate,
                             sm_mime_write_fn write,
                             void *payload,
                             sealmail_error *err)
{
	bool done = false;
	int rc;

	mime_init();
	rc = write_canonical_leaf(src, speculate, write, payload, &done, err);
	if (rc != SEALMAIL_OK || done)
		return rc;
	return sm_mime_write_canonical_gmime(src, write, payload, err);
}

int
sm_mime_write_canonical_gmime(sm_mime_source *src,
                              sm_mime_write_fn write,
                              void *payload,
                              sealmail_error *err)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *body;
	GMimeFormatOptions *fmt;
	SmSink *sink;
	bool raw_ok = false;
	ssize_t n;
	int st;

	mime_init();
	stream = source_gstream(src, 0, sm_mime_source_size(src));
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "the input is not a mail message");
	body = g_mime_message_get_mime_part(msg);
	if (body == NULL) {
		g_object_unref(msg);
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "the message has no content to sign");
	}
	/*
	 * A message without a Content-Type is text/plain by default; say so
	 * inside the signature, where no one can change it (and engines that
	 * split the part by lines do not trip over an empty header block).
	 */
	if (g_mime_object_get_header(body, "Content-Type") == NULL)
		g_mime_object_set_header(body, "Content-Type",
		                         "text/plain; charset=utf-8", NULL);
	if (!canon_object(body, 0, &raw_ok)) {
		g_object_unref(msg);
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "the message cannot be signed: a multipart "
		                    "has no parts, or it is nested deeper than "
		                    "32 levels");
	}
	fmt = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
	sink = sink_new(write, payload);
	if (raw_ok && GMIME_IS_PART(body))
		n = write_part_raw(GMIME_PART(body), fmt, sink);
	else
		n = g_mime_object_write_to_stream(body, fmt,
		                                  GMIME_STREAM(sink));
	st = sink->status;
	g_object_unref(sink);
	g_mime_format_options_free(fmt);
	g_object_unref(msg);
	if (st != SEALMAIL_OK || n < 0)
		return sm_error_set(err, st != SEALMAIL_OK ? st : SEALMAIL_EIO,
		                    "cannot write the signed content");
	return SEALMAIL_OK;
}

int
sm_mime_boundary(char *buf, size_t size, sealmail_error *err)
{
	unsigned char rnd[12];
	char hex[25];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return sm_error_set(err, SEALMAIL_ERROR,
		                    "no random bytes for a MIME boundary");
	sm_hex(hex, rnd, sizeof(rnd));
	(void)snprintf(buf, size, "sealmail-%s", hex);
	return SEALMAIL_OK;
}
