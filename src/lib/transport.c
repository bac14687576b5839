/* SPDX-License-Identifier: MIT */
/*
 * The public transport API (sealmail/transport.h): SMTP submission and
 * mailboxes by name, on top of net.c (libcurl) and mailbox.c (Maildir,
 * mbox).  Decides which kind of mailbox a name is; holds no credentials
 * beyond the call.
 */
#include "sealmail/transport.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailbox.h"
#include "net.h"
#include "transport_int.h"

#define UID_MARK "/;UID="

int
sealmail_transport_options_init(sealmail_transport_options *opts,
                                unsigned int version)
{
	if (opts == NULL || version != SEALMAIL_TRANSPORT_OPTIONS_VERSION)
		return SEALMAIL_EINVAL;
	*opts = (sealmail_transport_options)SEALMAIL_TRANSPORT_OPTIONS_INIT;
	return SEALMAIL_OK;
}

static sm_net_options
net_opts(const sealmail_transport_options *opts, const char *url)
{
	sm_net_options o;

	memset(&o, 0, sizeof(o));
	o.url = url;
	if (opts != NULL) {
		o.user = opts->user;
		o.password = opts->password;
		o.ca_file = opts->ca_file;
		o.timeout_sec = opts->timeout_sec;
		if (opts->flags & SEALMAIL_TRANSPORT_NO_STARTTLS)
			o.tls = SM_NET_TLS_OFF;
	}
	return o;
}

static bool
is_imap(const char *s)
{
	return strncasecmp(s, "imap://", 7) == 0 ||
	       strncasecmp(s, "imaps://", 8) == 0;
}

int
sm_smtp_address_check(const char *what,
                      const char *addr,
                      int too_long,
                      sealmail_error *err)
{
	size_t len = strlen(addr);

	if (len > SM_ADDRESS_MAX)
		return sm_error_set(err, too_long,
		                    "%s %.64s... is longer than %d bytes, the "
		                    "most an SMTP envelope allows",
		                    what, addr, SM_ADDRESS_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)addr[i] >= 0x80)
			return sm_error_set(err, SEALMAIL_EUNSUPPORTED,
			                    "%s %s needs SMTPUTF8, which "
			                    "sealmail does not support yet",
			                    what, addr);
	return SEALMAIL_OK;
}

int
sealmail_smtp_send(const char *url,
                   const sealmail_transport_options *opts,
                   const char *from,
                   const char *const *rcpt,
                   size_t nrcpt,
                   sealmail_input *msg,
                   sealmail_error *err)
{
	sm_net_options o = net_opts(opts, url);
	int rc;

	assert(url != NULL && from != NULL && msg != NULL);
	/* Never a cut or mangled address: refused before connecting. */
	rc = sm_smtp_address_check("sender address", from, SEALMAIL_EINVAL,
	                           err);
	for (size_t i = 0; rc == SEALMAIL_OK && rcpt != NULL && i < nrcpt; i++)
		rc = sm_smtp_address_check("recipient address", rcpt[i],
		                           SEALMAIL_EINVAL, err);
	if (rc != SEALMAIL_OK)
		return rc;
	return sm_net_smtp_send(&o, from, rcpt, nrcpt, msg, err);
}

int
sealmail_mailbox_append(const char *mailbox,
                        const sealmail_transport_options *opts,
                        sealmail_input *msg,
                        char *where,
                        size_t where_len,
                        sealmail_error *err)
{
	char *path = NULL;
	int rc;

	assert(mailbox != NULL && msg != NULL);
	if (is_imap(mailbox)) {
		sm_net_options o = net_opts(opts, mailbox);

		rc = sm_net_imap_append(&o, msg, err);
		if (rc == SEALMAIL_OK && where != NULL && where_len > 0)
			(void)snprintf(where, where_len, "%s", mailbox);
		return rc;
	}
	if (strstr(mailbox, "://") != NULL)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "not an imap:// or imaps:// URL nor a "
		                    "Maildir: %s",
		                    mailbox);
	rc = sm_maildir_deliver(mailbox, msg, &path, err);
	if (rc == SEALMAIL_OK && where != NULL && where_len > 0)
		(void)snprintf(where, where_len, "%s", path);
	sm_free(path);
	return rc;
}

/* ---- IMAP iteration: UIDs first, then one message at a time ---- */

typedef struct uid_list {
	uint32_t *v;
	size_t n, cap;
} uid_list;

static int
add_uid(uint32_t uid, void *payload)
{
	uid_list *l = payload;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		uint32_t *nv = sm_realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return SEALMAIL_ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = uid;
	return 0;
}

/* Fetch `uid` into an unlinked temporary file, read from the start. */
static int
fetch_to_temp(sm_net_imap *session,
              const char *mailbox,
              uint32_t uid,
              FILE **file_out,
              sealmail_error *err)
{
	sealmail_output *out = NULL;
	FILE *f = tmpfile();
	int rc;

	*file_out = NULL;
	if (f == NULL)
		return sm_error_set(err, SEALMAIL_EIO,
		                    "cannot create a temporary file: %s",
		                    strerror(errno));
	rc = sealmail_output_new_fd(&out, fileno(f), err);
	if (rc == SEALMAIL_OK)
		rc = sm_net_imap_get(session, mailbox, uid, out, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(out, err);
	sealmail_output_free(out);
	if (rc == SEALMAIL_OK && lseek(fileno(f), 0, SEEK_SET) != 0)
		rc = sm_error_set(err, SEALMAIL_EIO, "temporary file: %s",
		                  strerror(errno));
	if (rc != SEALMAIL_OK) {
		(void)fclose(f);
		return rc;
	}
	*file_out = f;
	return SEALMAIL_OK;
}

static int
imap_foreach(const char *mailbox,
             const sealmail_transport_options *opts,
             sealmail_mailbox_cb cb,
             void *payload,
             sealmail_error *err)
{
	sm_net_options o = net_opts(opts, mailbox);
	size_t base = strlen(mailbox);
	uid_list l = {NULL, 0, 0};
	sm_net_imap *session = NULL;
	char *name = NULL;
	int rc;

	while (base > 0 && mailbox[base - 1] == '/')
		base--;
	rc = sm_net_imap_uids(&o, add_uid, &l, err);
	if (rc == SEALMAIL_ENOMEM)
		rc = sm_error_nomem(err);
	if (rc == SEALMAIL_OK && l.n > 0)
		rc = sm_net_imap_open(&session, &o, err);
	if (rc == SEALMAIL_OK) {
		name = sm_malloc(base + sizeof(UID_MARK) + 12);
		if (name == NULL)
			rc = sm_error_nomem(err);
	}
	for (size_t i = 0; rc == SEALMAIL_OK && i < l.n; i++) {
		sealmail_input *in = NULL;
		FILE *f = NULL;

		rc = fetch_to_temp(session, mailbox, l.v[i], &f, err);
		if (rc == SEALMAIL_ENOTFOUND) {
			rc = SEALMAIL_OK; /* expunged meanwhile */
			continue;
		}
		if (rc != SEALMAIL_OK)
			break;
		(void)snprintf(name, base + sizeof(UID_MARK) + 12, "%.*s%s%u",
		               (int)base, mailbox, UID_MARK,
		               (unsigned int)l.v[i]);
		rc = sealmail_input_new_fd(&in, fileno(f), err);
		if (rc == SEALMAIL_OK)
			rc = cb(name, in, payload, err);
		sealmail_input_free(in);
		(void)fclose(f);
	}
	sm_net_imap_free(session);
	sm_free(name);
	sm_free(l.v);
	return rc;
}

/* ---- local mailboxes: names are paths ---- */

typedef struct local_ctx {
	const char *path;
	bool maildir;
	sealmail_mailbox_cb cb;
	void *payload;
} local_ctx;

static int
local_cb(const char *id, sealmail_input *in, void *payload, sealmail_error *err)
{
	local_ctx *c = payload;
	size_t len = strlen(c->path) + strlen(id) + 2;
	char *name = sm_malloc(len);
	int rc;

	if (name == NULL)
		return sm_error_nomem(err);
	(void)snprintf(name, len, "%s%c%s", c->path, c->maildir ? '/' : '#',
	               id);
	rc = c->cb(name, in, c->payload, err);
	sm_free(name);
	return rc;
}

int
sealmail_mailbox_open_file(sealmail_input **out,
                           const char *name,
                           sealmail_error *err)
{
	assert(out != NULL && name != NULL);
	return sm_maildir_open(out, name, err);
}

int
sealmail_mailbox_foreach(const char *mailbox,
                         const sealmail_transport_options *opts,
                         sealmail_mailbox_cb cb,
                         void *payload,
                         sealmail_error *err)
{
	local_ctx c;
	struct stat st;

	assert(mailbox != NULL && cb != NULL);
	if (is_imap(mailbox))
		return imap_foreach(mailbox, opts, cb, payload, err);
	if (strstr(mailbox, "://") != NULL)
		return sm_error_set(
		        err, SEALMAIL_EINVAL,
		        "not an imap:// or imaps:// URL, Maildir or "
		        "mbox: %s",
		        mailbox);
	if (stat(mailbox, &st) != 0)
		return sm_error_set(err,
		                    errno == ENOENT ? SEALMAIL_ENOTFOUND
		                                    : SEALMAIL_EIO,
		                    "%s: %s", mailbox, strerror(errno));
	c.path = mailbox;
	c.maildir = S_ISDIR(st.st_mode);
	c.cb = cb;
	c.payload = payload;
	return c.maildir ? sm_maildir_foreach(mailbox, local_cb, &c, err)
	                 : sm_mbox_foreach(mailbox, local_cb, &c, err);
}

/* ---- one message by name ---- */

static int
copy_input(sealmail_input *in, sealmail_output *out, sealmail_error *err)
{
	unsigned char buf[16384];
	long n;

	while ((n = sealmail_input_read(in, buf, sizeof(buf), err)) > 0) {
		int rc = sealmail_output_write(out, buf, (size_t)n, err);

		if (rc != SEALMAIL_OK)
			return rc;
	}
	return n < 0 ? (int)n : SEALMAIL_OK;
}

typedef struct nth_ctx {
	const char *want;
	sealmail_output *out;
	bool found;
} nth_ctx;

static int
nth_cb(const char *id, sealmail_input *in, void *payload, sealmail_error *err)
{
	nth_ctx *c = payload;
	int rc;

	if (strcmp(id, c->want) != 0)
		return SEALMAIL_OK;
	c->found = true;
	rc = copy_input(in, c->out, err);
	/* Stop the iteration: SEALMAIL_EEXISTS is our "done" marker. */
	return rc == SEALMAIL_OK ? SEALMAIL_EEXISTS : rc;
}

int
sealmail_mailbox_fetch(const char *name,
                       const sealmail_transport_options *opts,
                       sealmail_output *out,
                       sealmail_error *err)
{
	const char *hash;
	struct stat st;
	int rc;

	assert(name != NULL && out != NULL);
	if (is_imap(name)) {
		const char *mark = NULL, *p = name;
		sm_net_options o;
		unsigned long uid;
		char *box, *end;

		while ((p = strcasestr(p, UID_MARK)) != NULL)
			mark = p++;
		if (mark == NULL)
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "IMAP message name needs a UID "
			                    "(MAILBOX-URL/;UID=N): %s",
			                    name);
		errno = 0;
		uid = strtoul(mark + strlen(UID_MARK), &end, 10);
		if (errno != 0 || *end != '\0' || uid == 0 ||
		    uid > UINT32_MAX || mark[strlen(UID_MARK)] < '0' ||
		    mark[strlen(UID_MARK)] > '9')
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "not a valid UID in %s", name);
		box = sm_strndup(name, (size_t)(mark - name));
		if (box == NULL)
			return sm_error_nomem(err);
		o = net_opts(opts, box);
		rc = sm_net_imap_fetch(&o, (uint32_t)uid, out, err);
		sm_free(box);
		return rc == SEALMAIL_OK ? sealmail_output_commit(out, err)
		                         : rc;
	}
	if (strstr(name, "://") != NULL)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "not an IMAP URL or a file: %s", name);

	/* "MBOX#N" when MBOX is a file and N a number. */
	hash = strrchr(name, '#');
	if (hash != NULL && hash[1] != '\0' &&
	    strspn(hash + 1, "0123456789") == strlen(hash + 1)) {
		char *mbox = sm_strndup(name, (size_t)(hash - name));

		if (mbox == NULL)
			return sm_error_nomem(err);
		if (stat(mbox, &st) == 0 && S_ISREG(st.st_mode)) {
			nth_ctx c = {hash + 1, out, false};

			rc = sm_mbox_foreach(mbox, nth_cb, &c, err);
			sm_free(mbox);
			if (rc == SEALMAIL_EEXISTS && c.found)
				return sealmail_output_commit(out, err);
			if (rc == SEALMAIL_OK)
				return sm_error_set(err, SEALMAIL_ENOTFOUND,
				                    "no message %s in the mbox",
				                    name);
			return rc;
		}
		sm_free(mbox);
	}
	{
		sealmail_input *in = NULL;

		rc = sm_maildir_open(&in, name, err);
		if (rc == SEALMAIL_OK)
			rc = copy_input(in, out, err);
		sealmail_input_free(in);
		return rc == SEALMAIL_OK ? sealmail_output_commit(out, err)
		                         : rc;
	}
}

/* ---- submit and keep a Sent copy ---- */

static char *
path_join_home(const char *home)
{
	size_t len = strlen(home) + sizeof(SEALMAIL_UNSAVED_SENT_FOLDER) + 2;
	char *s = sm_malloc(len);

	if (s != NULL)
		(void)snprintf(s, len, "%s/%s", home,
		               SEALMAIL_UNSAVED_SENT_FOLDER);
	return s;
}

int
sm_transport_spool(const char *dir,
                   sealmail_input *in,
                   int *fd_out,
                   sealmail_error *err)
{
	size_t len = strlen(dir) + 32;
	char *tmp = sm_malloc(len);
	sealmail_output *out = NULL;
	int fd, rc;

	*fd_out = -1;
	if (tmp == NULL)
		return sm_error_nomem(err);
	(void)snprintf(tmp, len, "%s/.spool-XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = sm_error_set(err, SEALMAIL_EIO,
		                  "cannot spool the message in %s: %s", dir,
		                  strerror(errno));
		sm_free(tmp);
		return rc;
	}
	(void)unlink(tmp);
	sm_free(tmp);
	rc = sealmail_output_new_fd(&out, fd, err);
	if (rc == SEALMAIL_OK && in != NULL)
		rc = copy_input(in, out, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(out, err);
	sealmail_output_free(out);
	if (rc == SEALMAIL_OK && lseek(fd, 0, SEEK_SET) != 0)
		rc = sm_error_set(err, SEALMAIL_EIO, "spooled message: %s",
		                  strerror(errno));
	if (rc != SEALMAIL_OK) {
		(void)close(fd);
		return rc;
	}
	*fd_out = fd;
	return SEALMAIL_OK;
}

int
sm_transport_rewind(sealmail_input **in, int fd, sealmail_error *err)
{
	*in = NULL;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return sm_error_set(err, SEALMAIL_EIO, "spooled message: %s",
		                    strerror(errno));
	return sealmail_input_new_fd(in, fd, err);
}

int
sm_transport_keep_sent(sealmail_store *store,
                       const char *sent,
                       const sealmail_transport_options *opts,
                       int fd,
                       sealmail_submit_result *result,
                       sealmail_error *err)
{
	sealmail_input *in = NULL;
	char *local = NULL;
	int rc;

	rc = sm_transport_rewind(&in, fd, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_mailbox_append(sent, opts, in, result->where,
		                             sizeof(result->where),
		                             &result->sent_error);
	sealmail_input_free(in);
	in = NULL;
	if (rc == SEALMAIL_OK) {
		result->stored_in_sent = true;
		return SEALMAIL_OK;
	}

	/* Sent, but not stored in Sent: keep it in the store. */
	local = path_join_home(sealmail_store_home(store));
	if (local == NULL)
		return sm_error_nomem(err);
	rc = sm_transport_rewind(&in, fd, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_mailbox_append(local, NULL, in, result->where,
		                             sizeof(result->where), err);
	sealmail_input_free(in);
	if (rc == SEALMAIL_OK)
		result->kept_locally = true;
	else
		rc = sm_error_set(err, SEALMAIL_EIO,
		                  "the message was sent, but neither %s nor "
		                  "%s could keep a copy: %s",
		                  sent, local, result->sent_error.message);
	sm_free(local);
	return rc;
}

int
sealmail_mail_submit(sealmail_store *store,
                     const char *smtp_url,
                     const char *sent,
                     const sealmail_transport_options *opts,
                     const char *from,
                     const char *const *rcpt,
                     size_t nrcpt,
                     sealmail_input *msg,
                     sealmail_submit_result *result,
                     sealmail_error *err)
{
	sealmail_input *in = NULL;
	int fd = -1, rc;

	assert(store != NULL && smtp_url != NULL && from != NULL &&
	       msg != NULL && result != NULL);
	memset(result, 0, sizeof(*result));
	rc = sm_transport_spool(sealmail_store_home(store), msg, &fd, err);
	if (rc != SEALMAIL_OK)
		return rc;

	rc = sm_transport_rewind(&in, fd, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_smtp_send(smtp_url, opts, from, rcpt, nrcpt, in,
		                        err);
	sealmail_input_free(in);
	if (rc == SEALMAIL_OK && sent != NULL)
		rc = sm_transport_keep_sent(store, sent, opts, fd, result, err);
	(void)close(fd);
	return rc;
}
