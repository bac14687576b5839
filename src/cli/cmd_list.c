/* SPDX-License-Identifier: MIT */
/*
 * sealmail list MAILBOX: one line per message of a Maildir, an mbox or an
 * IMAP mailbox -- date, sender, subject and the security state a desktop
 * client shows as icons (signed and by whom trusted, altered, encrypted for
 * me or not, partly signed) -- or with --json one document.  Each message
 * is examined by sealmail_message_open; nothing decrypted is kept.
 */
#include "cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "out.h"
#include "prompt.h"
#include "secret.h"

static void
usage(FILE *f)
{
	(void)fprintf(
	        f, "usage: sealmail list [--json] [--workers N] [--user NAME] "
	           "[--mail-password-file FILE | --mail-password-command "
	           "CMD]\n"
	           "                     [--ca-file FILE] [--no-starttls] "
	           "[MAILBOX]\n"
	           "MAILBOX: a Maildir folder, an mbox file, or "
	           "imap[s]://HOST[:PORT]/MAILBOX\n");
}

static const char *const rewrite_words[] = {"",
                                            "line endings",
                                            "trailing white space",
                                            "transfer re-encoding",
                                            "header folding",
                                            "footer appended"};

/* The security state as stable tokens and as words. */
struct state {
	const char *signature;  /* none, valid, untrusted, distrusted, ... */
	const char *encryption; /* none, for-me, not-for-me */
	bool partly_signed;
	const char *rewrite; /* "" or the words of a recognised rewrite */
	char words[256];
};

static void
message_state(const sealmail_report *r, struct state *st)
{
	size_t n = sealmail_report_signature_count(r);
	const char *sig_words = "not signed";
	int worst = -1; /* 0 valid trusted ... 5 invalid */

	memset(st, 0, sizeof(*st));
	st->signature = "none";
	st->rewrite = "";
	st->encryption =
	        !sealmail_report_encrypted(r) ? "none"
	        : sealmail_report_verdict(r) == SEALMAIL_VERDICT_CANNOT_DECRYPT
	                ? "not-for-me"
	                : "for-me";
	st->partly_signed =
	        sealmail_report_coverage(r) == SEALMAIL_COVERAGE_PARTIAL;
	for (size_t i = 0; i < n; i++) {
		const sealmail_signature *s =
		        sealmail_report_signature_at(r, i);
		const char *trust = sealmail_signature_trust(s);
		sealmail_rewrite rw = sealmail_signature_rewrite(s);
		int level;
		const char *tok, *words;

		switch (sealmail_signature_state(s)) {
		case SEALMAIL_SIG_ALTERED:
			level = 4, tok = "altered";
			words = "signed, ALTERED after signing";
			break;
		case SEALMAIL_SIG_BAD:
			level = 5, tok = "invalid";
			words = "signed, signature NOT valid";
			break;
		case SEALMAIL_SIG_NO_CERT:
		case SEALMAIL_SIG_UNSUPPORTED:
			level = 2, tok = "unchecked";
			words = "signed, cannot be checked";
			break;
		case SEALMAIL_SIG_VALID:
		default:
			if (rw != SEALMAIL_REWRITE_NONE) {
				level = 4, tok = "altered";
				words = "signed, altered by a mail server";
				if ((size_t)rw < (sizeof(rewrite_words) /
				                  sizeof(rewrite_words[0])))
					st->rewrite = rewrite_words[rw];
			} else if (strcmp(trust, "distrusted") == 0) {
				level = 3, tok = "distrusted";
				words = "signed, signer DISTRUSTED";
			} else if (strcmp(trust, "trusted") == 0 ||
			           strcmp(trust, "trusted-via-ca") == 0 ||
			           strcmp(trust, "own-id") == 0) {
				level = 0, tok = "valid";
				words = "signed, trusted";
			} else {
				level = 1, tok = "untrusted";
				words = "signed, signer not trusted";
			}
			break;
		}
		if (level > worst) {
			worst = level;
			st->signature = tok;
			sig_words = words;
		}
	}
	/*
	 * A signature part that cannot be read, or a signed part without
	 * one, holds no signature to count, yet it is not "not signed".
	 */
	if (worst < 5) {
		for (size_t i = 0; i < sealmail_report_finding_count(r); i++)
			if (strcmp(sealmail_report_finding_code(r, i),
			           "bad-signature") == 0) {
				worst = 5;
				st->signature = "invalid";
				sig_words = "signed, signature NOT valid";
				break;
			}
	}
	if (worst < 0 && strcmp(st->encryption, "not-for-me") == 0) {
		/* Whether it is signed inside cannot be known. */
		st->signature = "unknown";
		(void)snprintf(st->words, sizeof(st->words),
		               "encrypted (not for me)");
		return;
	}
	(void)snprintf(st->words, sizeof(st->words), "%s%s%s%s%s%s%s",
	               strcmp(st->encryption, "for-me") == 0 ? "encrypted, "
	               : strcmp(st->encryption, "not-for-me") == 0
	                       ? "encrypted (not for me), "
	                       : "",
	               st->partly_signed ? "partly " : "", sig_words,
	               st->rewrite[0] ? " (" : "", st->rewrite,
	               st->rewrite[0] ? ")" : "", "");
}

/* As in open's JSON report: nothing signed is "not-signed", never "good". */
static const char *
verdict_token(const sealmail_report *r)
{
	sealmail_verdict v = sealmail_report_verdict(r);

	if (v == SEALMAIL_VERDICT_GOOD &&
	    sealmail_report_coverage(r) == SEALMAIL_COVERAGE_NONE)
		return "not-signed";
	return v == SEALMAIL_VERDICT_GOOD      ? "good"
	       : v == SEALMAIL_VERDICT_WARNING ? "warning"
	       : v == SEALMAIL_VERDICT_DANGER  ? "danger"
	                                       : "cannot-decrypt";
}

struct list_ctx {
	struct cli *cli;
	const char *mailbox;
	const char *temp_dir; /* $TMPDIR, read once per run */
	json j;
};

/* The short id shown in text: what follows the mailbox in the name. */
static const char *
short_id(const struct list_ctx *c, const char *name)
{
	size_t n = strlen(c->mailbox);
	const char *p;

	while (n > 0 && c->mailbox[n - 1] == '/')
		n--;
	if (strncmp(name, c->mailbox, n) != 0)
		return name;
	p = name + n;
	if (strncmp(p, "/;UID=", 6) == 0)
		return p + 6;
	return (*p == '/' || *p == '#') ? p + 1 : p;
}

/*
 * Examine one message with `store` and write its line (or, with --json, its
 * object through `j`) to `f`.  SEALMAIL_OK also for a message that cannot
 * be read (listed with the reason); another status stops the listing.
 */
static int
list_one(const struct list_ctx *c,
         sealmail_store *store,
         json *j,
         FILE *f,
         const char *name,
         sealmail_input *in,
         sealmail_error *err)
{
	sealmail_open_options opts = SEALMAIL_OPEN_OPTIONS_INIT;
	sealmail_report *r = NULL;
	struct state st;
	char when[32];
	int rc;

	opts.temp_dir = c->temp_dir;
	rc = sealmail_message_open(&r, store, in, NULL, &opts, err);
	if (rc == SEALMAIL_EBADDATA || rc == SEALMAIL_ECHANGED) {
		/*
		 * One unreadable message does not stop the listing, nor one a
		 * program rewrote while it was read (a later listing shows it).
		 */
		if (c->cli->json) {
			json_object_begin(j);
			json_kv_string(j, "name", name);
			json_kv_string(j, "error", err->message);
			json_object_end(j);
		} else {
			(void)fprintf(
			        f, "%s  (cannot be read: ", short_id(c, name));
			out_text(f, err->message);
			(void)fprintf(f, ")\n");
		}
		return SEALMAIL_OK;
	}
	if (rc != SEALMAIL_OK)
		return rc;
	message_state(r, &st);
	if (c->cli->json) {
		json_object_begin(j);
		json_kv_string(j, "name", name);
		json_kv_string(j, "id", short_id(c, name));
		json_key(j, "date");
		if (sealmail_report_date(r) != 0) {
			out_time(when, sizeof(when), sealmail_report_date(r));
			json_string(j, when);
		} else {
			json_null(j);
		}
		json_kv_string(j, "from", sealmail_report_from(r));
		json_kv_string(j, "subject", sealmail_report_subject(r));
		json_kv_string(j, "signature", st.signature);
		json_kv_bool(j, "partly_signed", st.partly_signed);
		json_kv_string(j, "encryption", st.encryption);
		json_key(j, "rewrite");
		json_string(j, st.rewrite[0] ? st.rewrite : NULL);
		json_kv_string(j, "verdict", verdict_token(r));
		json_kv_string(j, "state", st.words);
		json_object_end(j);
	} else {
		time_t t = (time_t)sealmail_report_date(r);
		struct tm tm;

		if (t != 0 && gmtime_r(&t, &tm) != NULL)
			(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M",
			               &tm);
		else
			(void)snprintf(when, sizeof(when), "%-16s",
			               "(no date)");
		out_text(f, short_id(c, name));
		(void)fprintf(f, "  %s  ", when);
		out_text(f, sealmail_report_from(r));
		(void)fputs("  ", f);
		out_text(f, sealmail_report_subject(r));
		(void)fprintf(f, "  [%s]\n", st.words);
	}
	sealmail_report_free(r);
	return SEALMAIL_OK;
}

/* One worker: each message examined in turn, printed at once. */
static int
serial_cb(const char *name,
          sealmail_input *in,
          void *payload,
          sealmail_error *err)
{
	struct list_ctx *c = payload;

	return list_one(c, c->cli->store, &c->j, stdout, name, in, err);
}

/* ---- several workers ---------------------------------------------------- */

/*
 * The main thread walks the mailbox and prints; each worker examines
 * messages with its own store handle.  Results are printed in mailbox order
 * through a ring of WINDOW slots: slot seq % WINDOW holds message seq from
 * its dispatch until it is printed, so at most WINDOW messages are in
 * flight.  A Maildir message travels as its path (the worker opens the
 * file); an mbox or IMAP message as its bytes when it has at most
 * MEM_MAX, else the main thread examines it itself, streaming, in turn.
 */
enum { WORKERS_MAX = 16, WINDOW = 32, MEM_MAX = 256 * 1024 };

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
	enum slot_state state;
	unsigned long seq;
	char *name;
	char *input_name;    /* the bytes' input name, for messages */
	unsigned char *data; /* the message, or NULL: open `name` */
	size_t len;
	char *out; /* the formatted line or JSON object */
	size_t out_len;
	int rc; /* SEALMAIL_OK or the status that stops the listing */
	sealmail_error err;
};

struct pool {
	struct list_ctx *c;
	bool maildir;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct slot slots[WINDOW];
	unsigned long next_seq, next_print;
	bool closed, stop;
	int stop_rc;
	sealmail_error stop_err;
	pthread_mutex_t prompt_mu; /* one passphrase prompt at a time */
	sealmail_store *inline_store;
};

static int
nomem(sealmail_error *err)
{
	err->code = SEALMAIL_ENOMEM;
	(void)snprintf(err->message, sizeof(err->message), "out of memory");
	return SEALMAIL_ENOMEM;
}

struct worker {
	struct pool *p;
	sealmail_store *store;
	pthread_t thread;
	bool started;
};

/* The CLI's passphrase callback, one caller at a time. */
static int
locked_passphrase(char *buf,
                  size_t size,
                  sealmail_passphrase_reason reason,
                  const char *what,
                  void *payload)
{
	struct pool *p = payload;
	int n;

	(void)pthread_mutex_lock(&p->prompt_mu);
	n = cli_passphrase_cb(buf, size, reason, what, p->c->cli);
	(void)pthread_mutex_unlock(&p->prompt_mu);
	return n;
}

static int
pool_store(struct pool *p, sealmail_store **out, sealmail_error *err)
{
	sealmail_store_options o = SEALMAIL_STORE_OPTIONS_INIT;

	o.flags = SEALMAIL_STORE_NO_CREATE;
	o.passphrase = locked_passphrase;
	o.passphrase_payload = p;
	return sealmail_store_open(out, p->c->cli->home, &o, err);
}

static void
slot_clear(struct slot *s)
{
	free(s->name);
	free(s->input_name);
	free(s->data);
	free(s->out);
	memset(s, 0, sizeof(*s));
}

/* Examine the message of `s` (its bytes, or the file `name`). */
static void
slot_run(struct pool *p,
         sealmail_store *store,
         struct slot *s,
         sealmail_input *in)
{
	sealmail_input *own = NULL;
	const char *moved = NULL; /* where a renamed message was found */
	FILE *f = open_memstream(&s->out, &s->out_len);
	json j;

	memset(&s->err, 0, sizeof(s->err));
	if (f == NULL) {
		s->rc = nomem(&s->err);
		return;
	}
	s->rc = SEALMAIL_OK;
	if (in == NULL && s->data != NULL) {
		s->rc = sealmail_input_new_memory(&own, s->data, s->len,
		                                  &s->err);
		if (s->rc == SEALMAIL_OK && s->input_name != NULL)
			s->rc = sealmail_input_set_name(own, s->input_name,
			                                &s->err);
	} else if (in == NULL) {
		/* Found again if a mail program renamed it meanwhile. */
		s->rc = sealmail_mailbox_open_file(&own, s->name, &s->err);
		if (s->rc == SEALMAIL_OK &&
		    strcmp(sealmail_input_name(own), s->name) != 0)
			moved = sealmail_input_name(own);
		if (s->rc == SEALMAIL_ENOTFOUND) {
			/* Moved away meanwhile (another client): skip it. */
			s->rc = SEALMAIL_OK;
			(void)fclose(f);
			return;
		}
	}
	json_init(&j, f);
	if (s->rc == SEALMAIL_OK)
		s->rc = list_one(p->c, store, &j, f,
		                 moved != NULL ? moved : s->name,
		                 in != NULL ? in : own, &s->err);
	sealmail_input_free(own);
	if (fclose(f) != 0 && s->rc == SEALMAIL_OK)
		s->rc = nomem(&s->err);
	free(s->data);
	s->data = NULL;
}

/* The queued slot with the lowest sequence number, or NULL. */
static struct slot *
pool_take(struct pool *p)
{
	struct slot *best = NULL;

	for (size_t i = 0; i < WINDOW; i++) {
		struct slot *s = &p->slots[i];
		if (s->state == SLOT_QUEUED &&
		    (best == NULL || s->seq < best->seq))
			best = s;
	}
	return best;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;

	(void)pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s = NULL;

		while (!p->stop && (s = pool_take(p)) == NULL && !p->closed)
			(void)pthread_cond_wait(&p->work, &p->mu);
		if (s == NULL || p->stop)
			break;
		s->state = SLOT_BUSY;
		(void)pthread_mutex_unlock(&p->mu);
		slot_run(p, w->store, s, NULL);
		(void)pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		/* The main thread waits for the next slot to print only. */
		if (s->seq == p->next_print)
			(void)pthread_cond_signal(&p->done);
	}
	(void)pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Print finished slots in order (called with p->mu held) until the slot of
 * the next message is free, or with `all` until everything is printed.  A slot
 * whose status stops the listing stops the pool; returns that status.
 */
static int
pool_print(struct pool *p, bool all)
{
	struct list_ctx *c = p->c;

	while (!p->stop && p->next_print < p->next_seq &&
	       (all || p->slots[p->next_seq % WINDOW].state != SLOT_FREE)) {
		struct slot *s = &p->slots[p->next_print % WINDOW];

		if (s->state != SLOT_DONE) {
			(void)pthread_cond_wait(&p->done, &p->mu);
			continue;
		}
		if (s->rc != SEALMAIL_OK) {
			p->stop = true;
			p->stop_rc = s->rc;
			p->stop_err = s->err;
			(void)pthread_cond_broadcast(&p->work);
		} else if (s->out_len > 0) {
			if (c->cli->json)
				json_raw(&c->j, s->out, s->out_len);
			else
				(void)fwrite(s->out, 1, s->out_len, stdout);
		}
		slot_clear(s);
		p->next_print++;
	}
	return p->stop ? p->stop_rc : SEALMAIL_OK;
}

/* A message larger than MEM_MAX: its bytes read so far, then the rest. */
struct resume {
	sealmail_input *in;
	const unsigned char *head;
	size_t head_len, head_pos;
	sealmail_error err;
};

static long
resume_read(void *buf, size_t len, void *payload)
{
	struct resume *r = payload;

	if (r->head_pos < r->head_len) {
		size_t n = r->head_len - r->head_pos;
		if (n > len)
			n = len;
		memcpy(buf, r->head + r->head_pos, n);
		r->head_pos += n;
		return (long)n;
	}
	return sealmail_input_read(r->in, buf, len, &r->err);
}

/* Read up to MEM_MAX + 1 bytes of `in` into the slot; < 0: a status. */
static int
slot_read(struct slot *s, sealmail_input *in, sealmail_error *err)
{
	s->data = malloc(MEM_MAX + 1);
	if (s->data == NULL)
		return nomem(err);
	while (s->len < MEM_MAX + 1) {
		long n = sealmail_input_read(in, s->data + s->len,
		                             MEM_MAX + 1 - s->len, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		s->len += (size_t)n;
	}
	return SEALMAIL_OK;
}

/* The main thread's part for one message: hand it on, or examine it. */
static int
pool_cb(const char *name,
        sealmail_input *in,
        void *payload,
        sealmail_error *err)
{
	struct pool *p = payload;
	unsigned long seq = p->next_seq;
	struct slot *s = &p->slots[seq % WINDOW];
	enum slot_state state;
	int rc;

	(void)pthread_mutex_lock(&p->mu);
	rc = pool_print(p, false);
	(void)pthread_mutex_unlock(&p->mu);
	if (rc != SEALMAIL_OK) {
		*err = p->stop_err;
		return rc;
	}
	/* The slot is free: only this thread touches it until queued. */
	s->seq = seq;
	s->name = strdup(name);
	if (s->name == NULL)
		return nomem(err);
	if (!p->maildir) {
		const char *iname = sealmail_input_name(in);

		if (iname != NULL) {
			s->input_name = strdup(iname);
			if (s->input_name == NULL)
				return nomem(err);
		}
		rc = slot_read(s, in, &s->err);
		if (rc != SEALMAIL_OK) {
			s->rc = rc;
			free(s->data);
			s->data = NULL;
		}
	}
	/* Once queued, the slot is a worker's: decide on a copy. */
	state = s->rc != SEALMAIL_OK ? SLOT_DONE
	        : s->len > MEM_MAX   ? SLOT_BUSY
	                             : SLOT_QUEUED;
	(void)pthread_mutex_lock(&p->mu);
	p->next_seq++;
	s->state = state;
	if (state == SLOT_QUEUED)
		(void)pthread_cond_signal(&p->work);
	(void)pthread_mutex_unlock(&p->mu);
	if (state == SLOT_BUSY) {
		struct resume r;
		sealmail_input *cin = NULL;

		memset(&r, 0, sizeof(r));
		r.in = in;
		r.head = s->data;
		r.head_len = s->len;
		rc = p->inline_store != NULL
		             ? SEALMAIL_OK
		             : pool_store(p, &p->inline_store, &s->err);
		if (rc == SEALMAIL_OK)
			rc = sealmail_input_new_callback(&cin, resume_read, &r,
			                                 &s->err);
		if (rc == SEALMAIL_OK && s->input_name != NULL)
			rc = sealmail_input_set_name(cin, s->input_name,
			                             &s->err);
		if (rc == SEALMAIL_OK)
			slot_run(p, p->inline_store, s, cin);
		else
			s->rc = rc;
		sealmail_input_free(cin);
		(void)pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		(void)pthread_mutex_unlock(&p->mu);
	}
	return SEALMAIL_OK;
}

/* Online processors, at most WORKERS_MAX. */
static int
default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > WORKERS_MAX ? WORKERS_MAX : (int)n;
}

static int
list_parallel(struct list_ctx *c,
              const sealmail_transport_options *o,
              int nworkers)
{
	struct cli *cli = c->cli;
	struct worker w[WORKERS_MAX];
	struct pool *p = calloc(1, sizeof(*p));
	struct stat st;
	int rc = SEALMAIL_OK, frc;

	if (p == NULL)
		return nomem(&cli->err);
	p->c = c;
	p->maildir = stat(c->mailbox, &st) == 0 && S_ISDIR(st.st_mode);
	(void)pthread_mutex_init(&p->mu, NULL);
	(void)pthread_mutex_init(&p->prompt_mu, NULL);
	(void)pthread_cond_init(&p->work, NULL);
	(void)pthread_cond_init(&p->done, NULL);
	memset(w, 0, sizeof(w));
	for (int i = 0; rc == SEALMAIL_OK && i < nworkers; i++) {
		w[i].p = p;
		rc = pool_store(p, &w[i].store, &cli->err);
		if (rc == SEALMAIL_OK) {
			if (pthread_create(&w[i].thread, NULL, worker_main,
			                   &w[i]) != 0) {
				rc = SEALMAIL_ERROR;
				(void)snprintf(cli->err.message,
				               sizeof(cli->err.message),
				               "cannot start a worker thread");
			} else {
				w[i].started = true;
			}
		}
	}
	if (rc == SEALMAIL_OK)
		rc = sealmail_mailbox_foreach(c->mailbox, o, pool_cb, p,
		                              &cli->err);
	/* What was examined before an error is printed, as one worker would. */
	(void)pthread_mutex_lock(&p->mu);
	frc = pool_print(p, true);
	if (frc != SEALMAIL_OK) {
		rc = frc;
		cli->err = p->stop_err;
	}
	p->closed = true;
	p->stop = true;
	(void)pthread_cond_broadcast(&p->work);
	(void)pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < nworkers; i++) {
		if (w[i].started)
			(void)pthread_join(w[i].thread, NULL);
		sealmail_store_free(w[i].store);
	}
	for (size_t i = 0; i < WINDOW; i++)
		slot_clear(&p->slots[i]);
	sealmail_store_free(p->inline_store);
	(void)pthread_cond_destroy(&p->work);
	(void)pthread_cond_destroy(&p->done);
	(void)pthread_mutex_destroy(&p->prompt_mu);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
	return rc;
}

/* No MAILBOX: the inbox of the one account that has an inbox setting. */
static int
account_inbox(struct cli *cli, struct cli_mail *m, const char **mailbox)
{
	size_t found = 0;
	int rc = sealmail_account_list(&m->accounts, cli->store, &cli->err);

	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	for (size_t i = 0; i < sealmail_account_list_count(m->accounts); i++) {
		const char *v = sealmail_account_get(
		        sealmail_account_list_at(m->accounts, i), "inbox");

		if (v != NULL && v[0] != '\0') {
			*mailbox = v;
			found++;
		}
	}
	if (found == 1)
		return 0;
	return cli_usage_error(cli,
	                       found == 0 ? "name a mailbox (no account has an "
	                                    "inbox setting)"
	                                  : "name a mailbox (several accounts "
	                                    "have an inbox setting)");
}

enum { OPT_WORKERS = OPT_LOCAL_BASE };

int
cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"workers", required_argument, NULL, OPT_WORKERS},
	        CLI_MAIL_LONGOPTS,
	        CLI_GLOBAL_LONGOPTS,
	        {NULL, 0, NULL, 0}};
	sealmail_transport_options o = SEALMAIL_TRANSPORT_OPTIONS_INIT;
	struct cli_mail m;
	struct list_ctx ctx;
	int c, rc, workers = 0;

	memset(&m, 0, sizeof(m));
	memset(&ctx, 0, sizeof(ctx));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == OPT_WORKERS) {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || n < 1 ||
			    n > WORKERS_MAX)
				return cli_usage_error(
				        cli,
				        "--workers takes a number from 1 to %d",
				        WORKERS_MAX);
			workers = (int)n;
			continue;
		}
		if (cli_mail_option(&m, c, optarg) == 0)
			continue;
		rc = cli_option(cli, c, argv);
		if (rc == -1) {
			usage(stdout);
			return 0;
		}
		if (rc != 0)
			return rc;
	}
	if (argc - optind > 1)
		return cli_usage_error(cli, "name one mailbox");
	rc = cli_open_store(cli);
	if (rc != 0)
		return rc;
	if (argc - optind == 1)
		ctx.mailbox = argv[optind];
	else
		rc = account_inbox(cli, &m, &ctx.mailbox);
	if (rc == 0)
		rc = cli_mail_from_account(cli, &m, ctx.mailbox);
	if (rc == 0)
		rc = cli_mail_transport(cli, &m, &o);
	if (rc != 0) {
		cli_mail_done(&m);
		return rc;
	}
	if (workers == 0)
		workers = default_workers();
	ctx.cli = cli;
	ctx.temp_dir = cli_temp_dir();
	if (cli->json) {
		json_init(&ctx.j, stdout);
		json_object_begin(&ctx.j);
		/* The values of `verdict` follow the open report's versions. */
		json_kv_int(&ctx.j, "version", SEALMAIL_REPORT_JSON_VERSION);
		json_kv_string(&ctx.j, "mailbox", ctx.mailbox);
		json_key(&ctx.j, "messages");
		json_array_begin(&ctx.j);
	}
	if (workers == 1)
		rc = sealmail_mailbox_foreach(ctx.mailbox, &o, serial_cb, &ctx,
		                              &cli->err);
	else
		rc = list_parallel(&ctx, &o, workers);
	cli_mail_done(&m);
	if (cli->json && rc == SEALMAIL_OK) {
		json_array_end(&ctx.j);
		json_object_end(&ctx.j);
		json_end(&ctx.j);
	}
	(void)fflush(stdout);
	if (rc != SEALMAIL_OK) {
		if (rc == SEALMAIL_ENOTFOUND) {
			return cli_error(cli, EXIT_NOINPUT, "%s",
			                 cli->err.message);
		}
		return cli_fail(cli, rc);
	}
	return 0;
}
