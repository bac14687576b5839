/* SPDX-License-Identifier: MIT */
/*
 * Maildir and mbox: iteration streams each message as a sealmail_input
 * (an mbox message is cut at the next From_ line and unescaped on the fly,
 * never held whole); Maildir delivery writes tmp/ and renames into new/.
 * No MIME parsing and no third-party library here.
 */
#include "mailbox.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define MBOX_BUF 65536
#define MBOX_PEEK 1024 /* longest ">>>...From " prefix we unescape */

static int
errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return SEALMAIL_ENOTFOUND;
	case EACCES:
	case EPERM:
		return SEALMAIL_EPERM;
	case ENOMEM:
		return SEALMAIL_ENOMEM;
	default:
		return SEALMAIL_EIO;
	}
}

static char *
path_join(const char *a, const char *b, const char *c)
{
	size_t len = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
	char *s = sm_malloc(len);

	if (s != NULL)
		(void)snprintf(s, len, "%s/%s%s%s", a, b, c ? "/" : "",
		               c ? c : "");
	return s;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Where a Maildir message named `base` went when a mail program renamed it
 * (its flags changed, or it moved from new/ to cur/): the file of cur/ or
 * new/ of the Maildir `root` whose name has the same unique part (what
 * comes before the ':' of the info).  The first such name in cur/, then in
 * new/, in name order, goes to `*found` (sm_free) as "SUB/NAME".
 * ENOTFOUND when there is none (nothing set in `err` then), ENOMEM.
 */
static int
maildir_refind(char **found,
               const char *root,
               const char *base,
               sealmail_error *err)
{
	static const char *const subs[] = {"cur", "new"};
	size_t u = strcspn(base, ":");

	*found = NULL;
	if (u == 0)
		return SEALMAIL_ENOTFOUND;
	for (size_t i = 0; i < SM_ARRAY_SIZE(subs) && *found == NULL; i++) {
		char *dir = path_join(root, subs[i], NULL);
		const char *best = NULL;
		struct dirent *de;
		DIR *d;

		if (dir == NULL)
			return sm_error_nomem(err);
		d = opendir(dir);
		sm_free(dir);
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, base, u) == 0 &&
			    (de->d_name[u] == '\0' || de->d_name[u] == ':') &&
			    (best == NULL || strcmp(de->d_name, best) < 0)) {
				sm_free(*found);
				*found = path_join(subs[i], de->d_name, NULL);
				if (*found == NULL) {
					(void)closedir(d);
					return sm_error_nomem(err);
				}
				best = *found + strlen(subs[i]) + 1;
			}
		}
		(void)closedir(d);
	}
	return *found != NULL ? SEALMAIL_OK : SEALMAIL_ENOTFOUND;
}

/*
 * One message of a Maildir listing: `name` in `sub`, or where it went if a
 * mail program renamed it since the folder was read; skipped when it is
 * gone, or not a regular file.
 */
static int
maildir_one(const char *root,
            const char *sub,
            const char *name,
            sm_mailbox_cb cb,
            void *payload,
            sealmail_error *err)
{
	char *id = path_join(sub, name, NULL), *file = NULL;
	sealmail_input *in = NULL;
	struct stat st;
	int rc = SEALMAIL_OK;

	if (id == NULL || (file = path_join(root, id, NULL)) == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	if (stat(file, &st) != 0) {
		if (errno != ENOENT) {
			rc = sm_error_set(err, errno_status(errno), "%s: %s",
			                  file, strerror(errno));
			goto out;
		}
		/* Renamed meanwhile (another client): list it where it is. */
		sm_free(id);
		sm_free(file);
		file = NULL;
		rc = maildir_refind(&id, root, name, err);
		if (rc == SEALMAIL_ENOTFOUND)
			rc = SEALMAIL_OK; /* gone: skip it */
		if (rc != SEALMAIL_OK || id == NULL)
			goto out;
		file = path_join(root, id, NULL);
		if (file == NULL) {
			rc = sm_error_nomem(err);
			goto out;
		}
		if (stat(file, &st) != 0)
			goto out; /* gone again */
	}
	if (!S_ISREG(st.st_mode))
		goto out;
	rc = sealmail_input_new_path(&in, file, err);
	if (rc == SEALMAIL_ENOTFOUND)
		rc = SEALMAIL_OK; /* gone between stat and open */
	else if (rc == SEALMAIL_OK)
		rc = cb(id, in, payload, err);
	sealmail_input_free(in);
out:
	sm_free(file);
	sm_free(id);
	return rc;
}

int
sm_maildir_open(sealmail_input **out, const char *path, sealmail_error *err)
{
	const char *base = strrchr(path, '/'), *sub;
	char *root = NULL, *id = NULL, *file = NULL;
	int found, rc = sealmail_input_new_path(out, path, err);

	if (rc != SEALMAIL_ENOTFOUND || base == NULL || base == path)
		return rc;
	/* PATH is ROOT/cur/NAME or ROOT/new/NAME when it is a Maildir's. */
	sub = base - 3;
	if (sub < path ||
	    (strncmp(sub, "cur/", 4) != 0 && strncmp(sub, "new/", 4) != 0) ||
	    (sub > path && sub[-1] != '/'))
		return rc;
	root = sub > path ? sm_strndup(path, (size_t)(sub - path - 1))
	                  : sm_strdup(".");
	if (root == NULL)
		return sm_error_nomem(err);
	/* Not there either: the first open's ENOTFOUND and message stand. */
	found = maildir_refind(&id, root, base + 1, err);
	if (found == SEALMAIL_OK) {
		file = path_join(root, id, NULL);
		rc = file == NULL ? sm_error_nomem(err)
		                  : sealmail_input_new_path(out, file, err);
	} else if (found != SEALMAIL_ENOTFOUND) {
		rc = found;
	}
	sm_free(file);
	sm_free(id);
	sm_free(root);
	return rc;
}

typedef struct name_list {
	char **v;
	size_t n;
} name_list;

static void
names_free(name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		sm_free(l->v[i]);
	sm_free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The names in the Maildir subfolder `sub`, sorted; none when it is missing. */
static int
maildir_names(name_list *l,
              const char *path,
              const char *sub,
              sealmail_error *err)
{
	char *dir = path_join(path, sub, NULL);
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = SEALMAIL_OK;

	if (dir == NULL)
		return sm_error_nomem(err);
	d = opendir(dir);
	if (d == NULL) {
		rc = errno == ENOENT
		             ? SEALMAIL_OK
		             : sm_error_set(err, errno_status(errno), "%s: %s",
		                            dir, strerror(errno));
		sm_free(dir);
		return rc;
	}
	while ((de = readdir(d)) != NULL && rc == SEALMAIL_OK) {
		if (de->d_name[0] == '.')
			continue;
		if (l->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = sm_realloc(l->v, ncap * sizeof(*l->v));

			if (nv == NULL) {
				rc = sm_error_nomem(err);
				break;
			}
			l->v = nv;
			cap = ncap;
		}
		l->v[l->n] = sm_strdup(de->d_name);
		if (l->v[l->n] == NULL)
			rc = sm_error_nomem(err);
		else
			l->n++;
	}
	if (l->n > 0)
		qsort(l->v, l->n, sizeof(*l->v), cmp_names);
	(void)closedir(d);
	sm_free(dir);
	return rc;
}

int
sm_maildir_foreach(const char *path,
                   sm_mailbox_cb cb,
                   void *payload,
                   sealmail_error *err)
{
	name_list cur = {NULL, 0}, fresh = {NULL, 0};
	struct stat st;
	int rc;

	assert(path != NULL && cb != NULL);
	if (stat(path, &st) != 0)
		return sm_error_set(err, errno_status(errno), "%s: %s", path,
		                    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "%s: not a Maildir folder", path);
	/*
	 * Both folders are read before the first message is handed on: a
	 * message a mail program moves from new/ to cur/ meanwhile is then in
	 * new/'s list only, and is found where it went (maildir_one).
	 */
	rc = maildir_names(&cur, path, "cur", err);
	if (rc == SEALMAIL_OK)
		rc = maildir_names(&fresh, path, "new", err);
	for (size_t i = 0; i < cur.n && rc == SEALMAIL_OK; i++)
		rc = maildir_one(path, "cur", cur.v[i], cb, payload, err);
	for (size_t i = 0; i < fresh.n && rc == SEALMAIL_OK; i++)
		rc = maildir_one(path, "new", fresh.v[i], cb, payload, err);
	names_free(&cur);
	names_free(&fresh);
	return rc;
}

/* ---- mbox ---- */

typedef struct mbox {
	int fd;
	const char *path;
	unsigned char buf[MBOX_BUF];
	size_t pos, len;
	bool eof;
	/* the current message */
	bool line_start;
	bool msg_end;
	unsigned char held[2]; /* a blank line held back: it may be the
	                          separator before the next From_ line */
	size_t held_len;
	sealmail_error read_err;
} mbox;

/* Make at least `want` bytes available at pos (fewer only at EOF). */
static int
mbox_fill(mbox *m, size_t want)
{
	assert(want <= MBOX_BUF);
	if (m->len - m->pos >= want || m->eof)
		return SEALMAIL_OK;
	if (m->pos > 0) {
		memmove(m->buf, m->buf + m->pos, m->len - m->pos);
		m->len -= m->pos;
		m->pos = 0;
	}
	while (m->len < want && !m->eof) {
		ssize_t n = read(m->fd, m->buf + m->len, MBOX_BUF - m->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sm_error_set(&m->read_err, SEALMAIL_EIO,
			                    "%s: %s", m->path, strerror(errno));
		if (n == 0)
			m->eof = true;
		m->len += (size_t)n;
	}
	return SEALMAIL_OK;
}

static bool
is_from_line(const unsigned char *p, size_t n)
{
	return n >= 5 && memcmp(p, "From ", 5) == 0;
}

/* Count of '>' before "From " at p, or 0 when the line is not >From. */
static size_t
quoted_from(const unsigned char *p, size_t n)
{
	size_t q = 0;

	while (q < n && p[q] == '>')
		q++;
	return (q > 0 && is_from_line(p + q, n - q)) ? q : 0;
}

/* sealmail_read_cb over the current mbox message. */
static long
mbox_read(void *out, size_t len, void *payload)
{
	mbox *m = payload;
	unsigned char *o = out;
	size_t got = 0;

	while (got < len && !m->msg_end) {
		size_t avail;

		if (m->line_start) {
			const unsigned char *p;

			if (mbox_fill(m, MBOX_PEEK) != SEALMAIL_OK)
				return m->read_err.code;
			p = m->buf + m->pos;
			avail = m->len - m->pos;
			if (avail == 0 || is_from_line(p, avail)) {
				m->msg_end =
				        true; /* the held blank is dropped */
				break;
			}
			if (p[0] == '\n' ||
			    (avail >= 2 && p[0] == '\r' && p[1] == '\n')) {
				size_t bl = p[0] == '\n' ? 1 : 2;

				if (m->held_len > 0) {
					if (len - got < m->held_len)
						break;
					memcpy(o + got, m->held, m->held_len);
					got += m->held_len;
				}
				memcpy(m->held, p, bl);
				m->held_len = bl;
				m->pos += bl;
				continue;
			}
			if (m->held_len > 0) {
				if (len - got < m->held_len)
					break;
				memcpy(o + got, m->held, m->held_len);
				got += m->held_len;
				m->held_len = 0;
			}
			if (quoted_from(p, avail) > 0)
				m->pos++; /* mboxrd: drop one '>' */
			m->line_start = false;
			continue;
		}
		if (mbox_fill(m, 1) != SEALMAIL_OK)
			return m->read_err.code;
		avail = m->len - m->pos;
		if (avail == 0) {
			m->msg_end = true;
			break;
		}
		{
			const unsigned char *p = m->buf + m->pos;
			const unsigned char *nl;
			size_t n = avail < len - got ? avail : len - got;

			nl = memchr(p, '\n', n);
			if (nl != NULL) {
				n = (size_t)(nl - p) + 1;
				m->line_start = true;
			}
			memcpy(o + got, p, n);
			got += n;
			m->pos += n;
		}
	}
	return (long)got;
}

/* Skip the rest of the current line (the From_ line); false at EOF. */
static int
mbox_skip_line(mbox *m)
{
	for (;;) {
		const unsigned char *nl;
		int rc = mbox_fill(m, 1);

		if (rc != SEALMAIL_OK)
			return rc;
		if (m->len == m->pos)
			return SEALMAIL_OK;
		nl = memchr(m->buf + m->pos, '\n', m->len - m->pos);
		if (nl != NULL) {
			m->pos = (size_t)(nl - m->buf) + 1;
			return SEALMAIL_OK;
		}
		m->pos = m->len;
	}
}

int
sm_mbox_foreach(const char *path,
                sm_mailbox_cb cb,
                void *payload,
                sealmail_error *err)
{
	mbox *m;
	unsigned long count = 0;
	int rc = SEALMAIL_OK;

	assert(path != NULL && cb != NULL);
	m = sm_calloc(1, sizeof(*m));
	if (m == NULL)
		return sm_error_nomem(err);
	m->path = path;
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0) {
		rc = sm_error_set(err, errno_status(errno), "%s: %s", path,
		                  strerror(errno));
		sm_free(m);
		return rc;
	}
	rc = mbox_fill(m, 5);
	if (rc == SEALMAIL_OK && m->len > 0 && !is_from_line(m->buf, m->len))
		rc = sm_error_set(
		        err, SEALMAIL_EBADDATA,
		        "%s: not an mbox (no From_ line at the start)", path);
	else if (rc != SEALMAIL_OK && err != NULL)
		*err = m->read_err;
	while (rc == SEALMAIL_OK && m->len > m->pos) {
		sealmail_input *in = NULL;
		char id[32];

		rc = mbox_skip_line(m);
		if (rc != SEALMAIL_OK)
			break;
		m->line_start = true;
		m->msg_end = false;
		m->held_len = 0;
		(void)snprintf(id, sizeof(id), "%lu", ++count);
		rc = sealmail_input_new_callback(&in, mbox_read, m, err);
		if (rc == SEALMAIL_OK)
			rc = cb(id, in, payload, err);
		sealmail_input_free(in);
		/* Skip what the callback left unread. */
		while (rc == SEALMAIL_OK && !m->msg_end) {
			unsigned char scratch[4096];

			if (mbox_read(scratch, sizeof(scratch), m) < 0)
				rc = m->read_err.code;
		}
		if (rc != SEALMAIL_OK && m->read_err.code != 0 && err != NULL &&
		    rc == m->read_err.code)
			*err = m->read_err;
		if (rc == SEALMAIL_OK)
			rc = mbox_fill(m, 5);
	}
	(void)close(m->fd);
	sm_free(m);
	return rc;
}

int
sm_mailbox_foreach(const char *path,
                   sm_mailbox_cb cb,
                   void *payload,
                   sealmail_error *err)
{
	struct stat st;

	assert(path != NULL && cb != NULL);
	if (stat(path, &st) != 0)
		return sm_error_set(err, errno_status(errno), "%s: %s", path,
		                    strerror(errno));
	if (S_ISDIR(st.st_mode))
		return sm_maildir_foreach(path, cb, payload, err);
	return sm_mbox_foreach(path, cb, payload, err);
}

/* ---- Maildir delivery ---- */

static int
ensure_dir(const char *path, sealmail_error *err)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return SEALMAIL_OK;
	return sm_error_set(err, errno_status(errno), "%s: %s", path,
	                    strerror(errno));
}

static int
fsync_dir(const char *path, sealmail_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = SEALMAIL_OK;

	if (fd < 0 || fsync(fd) != 0)
		rc = sm_error_set(err, SEALMAIL_EIO, "%s: %s", path,
		                  strerror(errno));
	if (fd >= 0)
		(void)close(fd);
	return rc;
}

int
sm_maildir_deliver(const char *path,
                   sealmail_input *msg,
                   char **path_out,
                   sealmail_error *err)
{
	char *tmp_dir = NULL, *new_dir = NULL, *tmp = NULL, *dst = NULL;
	unsigned char rnd[8], *buf = NULL;
	char name[128], host[64], rhex[17];
	struct timeval tv;
	int fd = -1, rc;

	assert(path != NULL && msg != NULL);
	if (path_out != NULL)
		*path_out = NULL;
	rc = ensure_dir(path, err);
	if (rc == SEALMAIL_OK) {
		char *cur = path_join(path, "cur", NULL);

		tmp_dir = path_join(path, "tmp", NULL);
		new_dir = path_join(path, "new", NULL);
		if (cur == NULL || tmp_dir == NULL || new_dir == NULL)
			rc = sm_error_nomem(err);
		else if ((rc = ensure_dir(cur, err)) == SEALMAIL_OK &&
		         (rc = ensure_dir(tmp_dir, err)) == SEALMAIL_OK)
			rc = ensure_dir(new_dir, err);
		sm_free(cur);
	}
	if (rc != SEALMAIL_OK)
		goto out;

	/* Unique name: time, microseconds, pid, 64 random bits, host. */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		rc = sm_error_set(err, SEALMAIL_ERROR,
		                  "no random bytes for a Maildir file name");
		goto out;
	}
	sm_hex(rhex, rnd, sizeof(rnd));
	(void)gettimeofday(&tv, NULL);
	if (gethostname(host, sizeof(host)) != 0)
		(void)snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	(void)snprintf(name, sizeof(name), "%lld.M%ldP%ldR%s.%s",
	               (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	               rhex, host);
	tmp = path_join(tmp_dir, name, NULL);
	dst = path_join(new_dir, name, NULL);
	buf = sm_malloc(MBOX_BUF);
	if (tmp == NULL || dst == NULL || buf == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sm_error_set(err, errno_status(errno), "%s: %s", tmp,
		                  strerror(errno));
		goto out;
	}
	for (;;) {
		long n = sealmail_input_read(msg, buf, MBOX_BUF, err);
		int e;

		if (n < 0) {
			rc = (int)n;
			goto fail;
		}
		if (n == 0)
			break;
		e = sm_write_all(fd, buf, (size_t)n);
		if (e != 0) {
			rc = sm_error_set(err, SEALMAIL_EIO, "%s: %s", tmp,
			                  strerror(e));
			goto fail;
		}
	}
	if (fsync(fd) != 0) {
		rc = sm_error_set(err, SEALMAIL_EIO, "%s: %s", tmp,
		                  strerror(errno));
		goto fail;
	}
	(void)close(fd);
	fd = -1;
	if (rename(tmp, dst) != 0) {
		rc = sm_error_set(err, errno_status(errno), "%s: %s", dst,
		                  strerror(errno));
		goto fail;
	}
	rc = fsync_dir(new_dir, err);
	if (rc == SEALMAIL_OK && path_out != NULL) {
		*path_out = dst;
		dst = NULL;
	}
	goto out;
fail:
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
out:
	sm_free(buf);
	sm_free(tmp_dir);
	sm_free(new_dir);
	sm_free(tmp);
	sm_free(dst);
	return rc;
}
