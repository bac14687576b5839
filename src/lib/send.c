/* SPDX-License-Identifier: MIT */
/*
 * Sending for real: sealmail_message_send.  Protects the message with
 * sealmail_message_protect (the same policy, refusals and Bcc copies),
 * works out the envelope (who gets which copy), submits over SMTP with the
 * account's settings, then keeps the Sent copy.  Every copy is spooled to
 * an unlinked file in the store; no password outlives the call.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "mime.h"
#include "sealmail/account.h"
#include "sealmail/message.h"
#include "sealmail/transport.h"
#include "transport_int.h"

#define MAX_PASSWORD 1024

int
sealmail_send_options_init(sealmail_send_options *opts, unsigned int version)
{
	if (opts == NULL || version != SEALMAIL_SEND_OPTIONS_VERSION)
		return SEALMAIL_EINVAL;
	*opts = (sealmail_send_options)SEALMAIL_SEND_OPTIONS_INIT;
	return SEALMAIL_OK;
}

/*
 * A list of addresses in their ASCII form (sm_mime_address_ascii: the
 * domain as punycode, lower case) without duplicates: the SMTP envelope
 * form, since a server without SMTPUTF8 refuses a UTF-8 domain.
 */
typedef struct addr_list {
	char **v;
	size_t n, cap;
} addr_list;

static bool
addr_has(const addr_list *l, const char *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], a) == 0)
			return true;
	return false;
}

static int
addr_add(addr_list *l, const char *a, sealmail_error *err)
{
	char *copy;

	if (a == NULL || *a == '\0')
		return SEALMAIL_OK;
	copy = sm_mime_address_ascii_dup(a);
	if (copy == NULL)
		return sm_error_nomem(err);
	if (addr_has(l, copy)) {
		sm_free(copy);
		return SEALMAIL_OK;
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		char **nv = sm_realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			sm_free(copy);
			return sm_error_nomem(err);
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = copy;
	return SEALMAIL_OK;
}

static void
addr_free(addr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		sm_free(l->v[i]);
	sm_free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The Bcc copies protect writes: one spooled file each. */
typedef struct bcc_copy {
	int fd;
	char *address;
	sealmail_output *out;
} bcc_copy;

typedef struct bcc_copies {
	const char *dir;
	bcc_copy *v;
	size_t n;
} bcc_copies;

static int
bcc_cb(sealmail_output **out,
       size_t index,
       const char *address,
       void *payload,
       sealmail_error *err)
{
	bcc_copies *c = payload;
	bcc_copy *nv, *b;
	int rc;

	(void)index;
	*out = NULL;
	nv = sm_realloc(c->v, (c->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return sm_error_nomem(err);
	c->v = nv;
	b = &c->v[c->n];
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->address = sm_mime_address_ascii_dup(address);
	if (b->address == NULL)
		return sm_error_nomem(err);
	rc = sm_transport_spool(c->dir, NULL, &b->fd, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_new_fd(&b->out, b->fd, err);
	c->n++; /* freed by bcc_free whatever happened */
	if (rc == SEALMAIL_OK)
		*out = b->out;
	return rc;
}

static void
bcc_free(bcc_copies *c)
{
	for (size_t i = 0; i < c->n; i++) {
		sealmail_output_free(c->v[i].out);
		if (c->v[i].fd >= 0)
			(void)close(c->v[i].fd);
		sm_free(c->v[i].address);
	}
	sm_free(c->v);
	memset(c, 0, sizeof(*c));
}

/* What the original message says: sender and recipients. */
typedef struct envelope {
	char from[256];
	addr_list all; /* To, Cc and Bcc */
	bool crlf;     /* the header block's lines end in CRLF */
} envelope;

static int
read_envelope(envelope *env, int fd, sealmail_error *err)
{
	sealmail_input *in = NULL;
	sm_mime_source *src = NULL;
	sm_mime_rcpt *list = NULL;
	sm_mime_entity top;
	size_t n = 0;
	char head[1024];
	ssize_t got;
	int rc;

	got = pread(fd, head, sizeof(head) - 1, 0);
	if (got > 0) {
		char *nl;

		head[got] = '\0';
		nl = memchr(head, '\n', (size_t)got);
		env->crlf = nl != NULL && nl > head && nl[-1] == '\r';
	}
	rc = sm_transport_rewind(&in, fd, err);
	if (rc == SEALMAIL_OK)
		rc = sm_mime_source_new(&src, in, err);
	if (rc == SEALMAIL_OK)
		rc = sm_mime_entity_parse(&top, src, 0,
		                          sm_mime_source_size(src), true, err);
	if (rc == SEALMAIL_OK)
		rc = sm_mime_recipients(&list, &n, src, &top, err);
	if (rc == SEALMAIL_OK)
		(void)snprintf(env->from, sizeof(env->from), "%s", top.from);
	for (size_t i = 0; rc == SEALMAIL_OK && i < n; i++) {
		rc = addr_add(&env->all, list[i].address, err);
	}
	sm_mime_recipients_free(list, n);
	sm_mime_source_free(src);
	sealmail_input_free(in);
	return rc;
}

/*
 * The sender's address in its ASCII form, from the caller or the message's
 * From, into out[size] (SM_ADDRESS_MAX fits); "" when there is none.
 * An address too long for SMTP is an error, never cut: sm_mime_entity
 * holds a From address of up to sizeof(env->from) - 1 bytes, so one that
 * fills it may have been cut already and is too long either way.
 */
static int
envelope_sender(char *out,
                size_t size,
                const sealmail_send_options *opts,
                const envelope *env,
                sealmail_error *err)
{
	const char *from =
	        opts->protect.from != NULL ? opts->protect.from : env->from;
	int status = opts->protect.from != NULL ? SEALMAIL_EINVAL
	                                        : SEALMAIL_EBADDATA;
	size_t len = sm_mime_address_ascii(out, size, from);

	if (len >= size ||
	    (from == env->from && strlen(env->from) + 1 >= sizeof(env->from)))
		return sm_error_set(err, status,
		                    "sender address %.64s... is longer than %d "
		                    "bytes, the most an SMTP envelope allows",
		                    out, SM_ADDRESS_MAX);
	return out[0] == '\0' ? SEALMAIL_OK
	                      : sm_smtp_address_check("sender address", out,
	                                              status, err);
}

/*
 * The message with a Bcc header naming `extra` in front, so that protect
 * gives each of them a copy of their own, in a new spool `*fd_out`.
 */
static int
add_bcc(int *fd_out,
        const char *dir,
        int fd,
        const addr_list *extra,
        bool crlf,
        sealmail_error *err)
{
	sealmail_input *in = NULL;
	sm_buf head;
	int rc;

	*fd_out = -1;
	sm_buf_init(&head, 1 << 20);
	rc = sm_buf_puts(&head, "Bcc: ", err);
	for (size_t i = 0; rc == SEALMAIL_OK && i < extra->n; i++)
		rc = sm_buf_printf(&head, err, "%s%s", i > 0 ? ", " : "",
		                   extra->v[i]);
	if (rc == SEALMAIL_OK)
		rc = sm_buf_puts(&head, crlf ? "\r\n" : "\n", err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_input_new_memory(&in, head.data, head.len, err);
	if (rc == SEALMAIL_OK)
		rc = sm_transport_spool(dir, in, fd_out, err);
	sealmail_input_free(in);
	in = NULL;
	sm_buf_free(&head);
	if (rc == SEALMAIL_OK) {
		unsigned char buf[16384];
		ssize_t n;
		off_t pos = 0;

		if (lseek(*fd_out, 0, SEEK_END) < 0)
			rc = sm_error_set(err, SEALMAIL_EIO, "spool: seek");
		while (rc == SEALMAIL_OK &&
		       (n = pread(fd, buf, sizeof(buf), pos)) > 0) {
			if (write(*fd_out, buf, (size_t)n) != n)
				rc = sm_error_set(err, SEALMAIL_EIO,
				                  "spool: write failed");
			pos += n;
		}
	}
	if (rc != SEALMAIL_OK && *fd_out >= 0) {
		(void)close(*fd_out);
		*fd_out = -1;
	}
	return rc;
}

/* "" -> NULL, for optional settings. */
static const char *
setting(const sealmail_account *a, const char *key)
{
	const char *v = a != NULL ? sealmail_account_get(a, key) : NULL;
	return v != NULL && *v != '\0' ? v : NULL;
}

static int
submit(const char *smtp,
       const sealmail_transport_options *topts,
       const char *from,
       const char *const *rcpt,
       size_t nrcpt,
       int fd,
       sealmail_error *err)
{
	sealmail_input *in = NULL;
	int rc = sm_transport_rewind(&in, fd, err);

	if (rc == SEALMAIL_OK)
		rc = sealmail_smtp_send(smtp, topts, from, rcpt, nrcpt, in,
		                        err);
	sealmail_input_free(in);
	return rc;
}

/* Protect `fd` into `*main_fd` and the Bcc copies. */
static int
protect(sealmail_store *store,
        int fd,
        const sealmail_send_options *opts,
        int *main_fd,
        bcc_copies *bcc,
        sealmail_error *err)
{
	sealmail_protect_options popts = opts->protect;
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	int rc;

	popts.bcc_output = bcc_cb;
	popts.bcc_payload = bcc;
	rc = sm_transport_spool(bcc->dir, NULL, main_fd, err);
	if (rc == SEALMAIL_OK)
		rc = sm_transport_rewind(&in, fd, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_new_fd(&out, *main_fd, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_message_protect(store, in, out, &popts, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_output_commit(out, err);
	for (size_t i = 0; rc == SEALMAIL_OK && i < bcc->n; i++)
		rc = sealmail_output_commit(bcc->v[i].out, err);
	sealmail_output_free(out);
	sealmail_input_free(in);
	return rc;
}

int
sealmail_message_send(sealmail_store *store,
                      sealmail_input *in,
                      const sealmail_send_options *opts,
                      sealmail_submit_result *result,
                      sealmail_error *err)
{
	const char *home, *smtp, *sent;
	sealmail_submit_result local_result;
	sealmail_account *account = NULL;
	sealmail_transport_options sopts = SEALMAIL_TRANSPORT_OPTIONS_INIT;
	sealmail_transport_options iopts;
	envelope env;
	addr_list rcpt = {NULL, 0, 0}, extra = {NULL, 0, 0};
	addr_list main_rcpt = {NULL, 0, 0};
	bcc_copies bcc = {NULL, NULL, 0};
	char sender[SM_ADDRESS_MAX + 2], password[MAX_PASSWORD];
	char *envelope_from = NULL;
	int fd = -1, fd2 = -1, main_fd = -1, rc;
	bool sent_any = false;

	assert(store != NULL && in != NULL && opts != NULL);
	if (opts->version != SEALMAIL_SEND_OPTIONS_VERSION)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "send options version %u not supported",
		                    opts->version);
	if (result == NULL)
		result = &local_result;
	memset(result, 0, sizeof(*result));
	memset(&env, 0, sizeof(env));
	password[0] = '\0';
	home = sealmail_store_home(store);
	bcc.dir = home;

	/* The envelope, from the message and the caller. */
	rc = sm_transport_spool(home, in, &fd, err);
	if (rc == SEALMAIL_OK)
		rc = read_envelope(&env, fd, err);
	if (rc != SEALMAIL_OK)
		goto out;
	rc = envelope_sender(sender, sizeof(sender), opts, &env, err);
	for (size_t i = 0; rc == SEALMAIL_OK && i < opts->nrcpt; i++)
		rc = addr_add(&rcpt, opts->rcpt[i], err);
	if (opts->rcpt == NULL || (opts->flags & SEALMAIL_SEND_HEADER_RCPT))
		for (size_t i = 0; rc == SEALMAIL_OK && i < env.all.n; i++)
			rc = addr_add(&rcpt, env.all.v[i], err);
	for (size_t i = 0; rc == SEALMAIL_OK && i < rcpt.n; i++)
		rc = sm_smtp_address_check("recipient address", rcpt.v[i],
		                           addr_has(&env.all, rcpt.v[i])
		                                   ? SEALMAIL_EBADDATA
		                                   : SEALMAIL_EINVAL,
		                           err);
	for (size_t i = 0; rc == SEALMAIL_OK && i < rcpt.n; i++)
		if (!addr_has(&env.all, rcpt.v[i]))
			rc = addr_add(&extra, rcpt.v[i], err);
	if (rc == SEALMAIL_OK && opts->envelope_from != NULL) {
		envelope_from = sm_mime_address_ascii_dup(opts->envelope_from);
		rc = envelope_from == NULL
		             ? sm_error_nomem(err)
		             : sm_smtp_address_check("sender address",
		                                     envelope_from,
		                                     SEALMAIL_EINVAL, err);
	}
	if (rc != SEALMAIL_OK)
		goto out;
	if (rcpt.n == 0) {
		rc = sm_error_set(
		        err, SEALMAIL_EINVAL,
		        "%s: no recipients: the message has no To, Cc "
		        "or Bcc address and none was given",
		        sealmail_input_name(in));
		goto out;
	}

	/* An account without a server is known before any passphrase. */
	if (sender[0] != '\0') {
		rc = sealmail_account_lookup(&account, store, sender, err);
		if (rc == SEALMAIL_ENOTFOUND)
			rc = SEALMAIL_OK; /* protect says what is missing */
		if (rc != SEALMAIL_OK)
			goto out;
		if (account != NULL && setting(account, "smtp") == NULL) {
			rc = sm_error_set(err, SEALMAIL_EINVAL,
			                  "no SMTP server for %s: sealmail "
			                  "account set %s smtp=smtps://HOST",
			                  sender, sender);
			goto out;
		}
	}

	if (extra.n > 0) {
		rc = add_bcc(&fd2, home, fd, &extra, env.crlf, err);
		if (rc != SEALMAIL_OK)
			goto out;
	}
	rc = protect(store, fd2 >= 0 ? fd2 : fd, opts, &main_fd, &bcc, err);
	if (rc != SEALMAIL_OK)
		goto out;
	if (account == NULL) {
		rc = sealmail_account_lookup(&account, store, sender, err);
		if (rc == SEALMAIL_OK && setting(account, "smtp") == NULL)
			rc = sm_error_set(err, SEALMAIL_EINVAL,
			                  "no SMTP server for %s: sealmail "
			                  "account set %s smtp=smtps://HOST",
			                  sender, sender);
		if (rc != SEALMAIL_OK)
			goto out;
	}
	smtp = setting(account, "smtp");
	sent = setting(account, "sent");

	/* Who gets the main copy: everyone without a copy of their own. */
	for (size_t i = 0; rc == SEALMAIL_OK && i < rcpt.n; i++) {
		bool own = false;

		for (size_t j = 0; j < bcc.n; j++)
			own |= strcmp(bcc.v[j].address, rcpt.v[i]) == 0;
		if (!own)
			rc = addr_add(&main_rcpt, rcpt.v[i], err);
	}
	if (rc != SEALMAIL_OK)
		goto out;

	/* The login. */
	if ((setting(account, "password-file") != NULL ||
	     setting(account, "password-command") != NULL) &&
	    opts->password != NULL) {
		rc = opts->password(password, sizeof(password), account,
		                    opts->password_payload, err);
		password[sizeof(password) - 1] = '\0';
		if (rc != SEALMAIL_OK)
			goto out;
		sopts.password = password;
	}
	sopts.user = setting(account, "smtp-user");
	sopts.ca_file = setting(account, "ca-file");
	sopts.timeout_sec = opts->timeout_sec;
	if (strcmp(sealmail_account_get(account, "starttls"), "no") == 0)
		sopts.flags |= SEALMAIL_TRANSPORT_NO_STARTTLS;
	iopts = sopts;
	if (setting(account, "imap-user") != NULL)
		iopts.user = setting(account, "imap-user");

	/* Submit: the main copy, then each Bcc copy to its recipient. */
	{
		const char *from =
		        envelope_from != NULL ? envelope_from : sender;

		if (main_rcpt.n > 0) {
			rc = submit(smtp, &sopts, from,
			            (const char *const *)main_rcpt.v,
			            main_rcpt.n, main_fd, err);
			if (rc != SEALMAIL_OK)
				goto out;
			sent_any = true;
		}
		for (size_t j = 0; j < bcc.n; j++) {
			const char *to = bcc.v[j].address;
			sealmail_error e = {0, ""};

			if (!addr_has(&rcpt, to))
				continue;
			rc = submit(smtp, &sopts, from, &to, 1, bcc.v[j].fd,
			            &e);
			if (rc != SEALMAIL_OK && !sent_any) {
				if (err != NULL)
					*err = e;
				goto out;
			}
			if (rc != SEALMAIL_OK) {
				rc = sm_error_set(
				        err, SEALMAIL_EIO,
				        "the message was sent, but not the "
				        "copy for Bcc recipient %s: %s",
				        to, e.message);
				break;
			}
			sent_any = true;
		}
	}

	/* The Sent copy, whatever happened to a Bcc copy. */
	if (sent != NULL) {
		sealmail_error e = {0, ""};
		int krc = sm_transport_keep_sent(store, sent, &iopts, main_fd,
		                                 result, &e);

		if (krc != SEALMAIL_OK && rc == SEALMAIL_OK) {
			rc = krc;
			if (err != NULL)
				*err = e;
		}
	}
out:
	sm_wipe(password, sizeof(password));
	sm_free(envelope_from);
	sealmail_account_free(account);
	bcc_free(&bcc);
	addr_free(&rcpt);
	addr_free(&extra);
	addr_free(&main_rcpt);
	addr_free(&env.all);
	if (fd >= 0)
		(void)close(fd);
	if (fd2 >= 0)
		(void)close(fd2);
	if (main_fd >= 0)
		(void)close(main_fd);
	return rc;
}
