/* SPDX-License-Identifier: MIT */
/*
 * Encryption for protect (SPEC "Sending" 3-5, issue 4): every To/Cc/Bcc
 * recipient needs a usable trusted certificate (all problems reported at
 * once), the sender's own certificate is a recipient too (or the user
 * confirms), and each Bcc recipient gets a copy of their own, so that no
 * RecipientInfo reveals a Bcc recipient to the others.
 */
#include "protect_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account_int.h"
#include "crypto/crypto.h"
#include "db.h"
#include "id_int.h"
#include "policy.h"

struct sealmail_protect_result {
	char **addresses, **reasons;
	size_t nproblems;
	char **warnings;
	size_t nwarnings;
	char *cipher;
	size_t nbcc;
};

struct sm_env_plan {
	sealmail_store *store;
	sm_mime_source *original;
	const sm_mime_entity *top;
	const sealmail_protect_options *opts;
	sm_policy policy;
	sm_cert *self; /* NULL: no own encryption certificate (confirmed) */
	char cipher[16];
};

void
sm_env_plan_free(sm_env_plan *plan)
{
	if (plan == NULL)
		return;
	sm_policy_clear(&plan->policy);
	sm_cert_free(plan->self);
	sm_free(plan);
}

/* One line naming every recipient problem, for the error message. */
static int
problems_error(const sm_policy *p, sealmail_error *err)
{
	sm_buf b;
	size_t shown = 0;

	sm_buf_init(&b, 4096);
	for (size_t i = 0; i < p->n; i++) {
		if (p->rcpts[i].problem == SM_CERT_OK)
			continue;
		if (sm_buf_printf(&b, NULL, "%s%s (%s)", shown ? ", " : "",
		                  p->rcpts[i].address,
		                  sm_cert_problem_words(p->rcpts[i].problem)) !=
		    SEALMAIL_OK)
			break; /* the message is bounded; the result has all */
		shown++;
	}
	(void)sm_error_set(err, SEALMAIL_ERECIPIENTS,
	                   "cannot encrypt: %zu recipient%s without a usable "
	                   "trusted certificate: %s",
	                   p->nproblems, p->nproblems == 1 ? "" : "s",
	                   b.data != NULL ? (const char *)b.data : "");
	sm_buf_free(&b);
	return SEALMAIL_ERECIPIENTS;
}

static int
record_problems(const sm_policy *p,
                sealmail_protect_result *result,
                sealmail_error *err)
{
	int rc = SEALMAIL_OK;

	for (size_t i = 0; result != NULL && i < p->n && rc == SEALMAIL_OK; i++)
		if (p->rcpts[i].problem != SM_CERT_OK)
			rc = sm_protect_result_add_problem(
			        result, p->rcpts[i].address,
			        sm_cert_problem_words(p->rcpts[i].problem),
			        err);
	return rc;
}

int
sm_protect_encrypt_plan(sm_env_plan **out,
                        sealmail_store *store,
                        sm_mime_source *original,
                        const sm_mime_entity *top,
                        const char *sender,
                        const sm_account_settings *settings,
                        const sealmail_protect_options *opts,
                        sealmail_error *err)
{
	sm_env_plan *plan;
	sm_mime_rcpt *list = NULL;
	size_t nlist = 0;
	const char **vis = NULL, **bcc = NULL;
	size_t nvis = 0, nbcc = 0;
	int rc;

	*out = NULL;
	plan = sm_calloc(1, sizeof(*plan));
	if (plan == NULL)
		return sm_error_nomem(err);
	plan->store = store;
	plan->original = original;
	plan->top = top;
	plan->opts = opts;
	(void)snprintf(plan->cipher, sizeof(plan->cipher), "%s",
	               opts->cipher != NULL ? opts->cipher : settings->cipher);
	{
		sm_cipher c;
		rc = sm_policy_cipher(&c, plan->cipher, NULL, 0, err);
		if (rc != SEALMAIL_OK)
			goto fail;
	}
	rc = sm_mime_recipients(&list, &nlist, original, top, err);
	if (rc != SEALMAIL_OK)
		goto fail;
	vis = sm_calloc(nlist + 1, sizeof(*vis));
	bcc = sm_calloc(nlist + 1, sizeof(*bcc));
	if (vis == NULL || bcc == NULL) {
		rc = sm_error_nomem(err);
		goto fail;
	}
	for (size_t i = 0; i < nlist; i++) {
		if (list[i].field == SM_MIME_BCC)
			bcc[nbcc++] = list[i].address;
		else
			vis[nvis++] = list[i].address;
	}
	if (nvis + nbcc == 0) {
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "cannot encrypt: the message has no To, Cc "
		                  "or Bcc recipient");
		goto fail;
	}
	rc = sm_policy_recipients(&plan->policy, store, vis, nvis, bcc, nbcc,
	                          (opts->flags & SEALMAIL_PROTECT_OAEP) != 0,
	                          (int64_t)time(NULL), err);
	if (rc != SEALMAIL_OK)
		goto fail;
	if (plan->policy.nproblems > 0) {
		rc = record_problems(&plan->policy, opts->result, err);
		if (rc == SEALMAIL_OK)
			rc = problems_error(&plan->policy, err);
		goto fail;
	}
	if (settings->encrypt_to_self) {
		rc = sm_id_encryption_cert(&plan->self, store, sender, settings,
		                           err);
		if (rc == SEALMAIL_ENOKEY) {
			char question[512];

			(void)snprintf(question, sizeof(question),
			               "you have no encryption certificate "
			               "for %s: the message will be sent, but "
			               "you will not be able to read it in "
			               "your Sent folder",
			               sender);
			if (!(opts->flags & SEALMAIL_PROTECT_YES) &&
			    (opts->confirm == NULL ||
			     !opts->confirm(question, opts->confirm_payload))) {
				rc = sm_error_set(err, SEALMAIL_EDECLINED,
				                  "%s (use --yes to send it "
				                  "anyway)",
				                  question);
				goto fail;
			}
			if (opts->result != NULL)
				(void)sm_protect_result_add_warning(
				        opts->result, question, NULL);
		} else if (rc != SEALMAIL_OK) {
			goto fail;
		}
	}
	if (nbcc > 0 && opts->bcc_output == NULL) {
		rc = sm_error_set(err, SEALMAIL_EINVAL,
		                  "the message has Bcc recipients: each needs "
		                  "a copy of its own, and no place was given "
		                  "to write them");
		goto fail;
	}
	{
		bool any_visible = plan->self != NULL;
		for (size_t i = 0; i < plan->policy.n; i++)
			any_visible |= !plan->policy.rcpts[i].bcc;
		if (!any_visible) {
			rc = sm_error_set(err, SEALMAIL_EBADDATA,
			                  "cannot encrypt: the message has "
			                  "only Bcc recipients and you have "
			                  "no encryption certificate, so the "
			                  "main copy would be for nobody");
			goto fail;
		}
	}
	sm_free(vis);
	sm_free(bcc);
	sm_mime_recipients_free(list, nlist);
	*out = plan;
	return SEALMAIL_OK;
fail:
	sm_free(vis);
	sm_free(bcc);
	sm_mime_recipients_free(list, nlist);
	sm_env_plan_free(plan);
	return rc;
}

/* --- writing ------------------------------------------------------------ */

static int
out_write(const void *buf, size_t len, void *payload)
{
	return sealmail_output_write(payload, buf, len, NULL);
}

/* The content's writes into the encryption; its first failure kept. */
typedef struct enc_sink {
	sm_cms_enc *enc;
	int status;
	sealmail_error err;
} enc_sink;

static int
enc_write(const void *buf, size_t len, void *payload)
{
	enc_sink *s = payload;
	int rc = sm_cms_encrypt_update(s->enc, buf, len, &s->err);

	if (rc != SEALMAIL_OK && s->status == SEALMAIL_OK)
		s->status = rc;
	return rc;
}

static int
write_copy(sm_env_plan *plan,
           sm_protect_content_fn content,
           void *payload,
           bool speculate,
           const sm_rcpt *const *rcpts,
           size_t n,
           sealmail_output *out,
           sealmail_error *err)
{
	sm_env_recipient *r = sm_calloc(n + 1, sizeof(*r));
	unsigned int *caps = sm_calloc(n + 1, sizeof(*caps));
	size_t k = 0, nr;
	sm_crypto *crypto;
	sm_cipher cipher;
	enc_sink sink = {NULL, SEALMAIL_OK, {0}};
	char head[512];
	off_t mark;
	int rc;

	if (r == NULL || caps == NULL) {
		sm_free(r);
		sm_free(caps);
		return sm_error_nomem(err);
	}
	for (size_t i = 0; i < n; i++) {
		r[k].cert = rcpts[i]->cert;
		r[k].oaep = rcpts[i]->oaep;
		caps[k++] = rcpts[i]->caps;
	}
	nr = k;
	if (plan->self != NULL) {
		/*
		 * Encrypt-to-self adds the sender's certificate unless it is a
		 * recipient already (a message to yourself): the same
		 * certificate twice would be a second RecipientInfo, one more
		 * public-key encryption, for nothing.  Its capabilities count
		 * either way.
		 */
		bool listed = false;
		for (size_t i = 0; i < nr && !listed; i++)
			listed = strcmp(sm_cert_fingerprint(r[i].cert),
			                sm_cert_fingerprint(plan->self)) == 0;
		if (!listed) {
			r[nr].cert = plan->self;
			r[nr++].oaep = false;
		}
		caps[k++] = SM_CAP_AES256_GCM; /* we read what we write */
	}
	rc = sm_store_crypto(&crypto, plan->store, err);
	if (rc == SEALMAIL_OK)
		rc = sm_policy_cipher(&cipher, plan->cipher, caps, k, err);
	sm_free(caps);
	if (rc != SEALMAIL_OK) {
		sm_free(r);
		return rc;
	}
	(void)snprintf(head, sizeof(head),
	               "MIME-Version: 1.0\r\n"
	               "Content-Type: application/pkcs7-mime; "
	               "smime-type=%s; name=smime.p7m\r\n"
	               "Content-Transfer-Encoding: base64\r\n"
	               "Content-Disposition: attachment; "
	               "filename=smime.p7m\r\n"
	               "\r\n",
	               sm_cipher_is_aead(cipher) ? "authEnveloped-data"
	                                         : "enveloped-data");
	/*
	 * A path output can be rewound: the content is then checked as it
	 * is encrypted (one read), and the copy written again the slow way
	 * when it turns out to need a transfer encoding.
	 */
	mark = speculate ? sm_output_mark(out) : -1;
	speculate = mark >= 0;
	for (;;) {
		rc = sm_mime_write_headers(plan->original, plan->top, false,
		                           out_write, out, err);
		if (rc == SEALMAIL_OK)
			rc = sealmail_output_write(out, head, strlen(head),
			                           err);
		if (rc == SEALMAIL_OK)
			rc = sm_cms_encrypt_begin(&sink.enc, crypto, r, nr,
			                          cipher, out, true, err);
		if (rc == SEALMAIL_OK) {
			rc = content(enc_write, &sink, speculate, payload, err);
			/* A failure of the encryption or the output says
			 * what. */
			if (rc != SEALMAIL_OK && rc != SM_MIME_RETRY &&
			    sink.status != SEALMAIL_OK) {
				rc = sink.status;
				if (err != NULL)
					*err = sink.err;
			}
		}
		if (rc == SEALMAIL_OK)
			rc = sm_cms_encrypt_finish(sink.enc, err);
		sm_cms_encrypt_free(sink.enc);
		sink.enc = NULL;
		if (rc != SM_MIME_RETRY || !speculate)
			break;
		rc = sm_output_rewind(out, mark, err);
		if (rc != SEALMAIL_OK)
			break;
		speculate = false;
	}
	sm_free(r);
	if (rc == SEALMAIL_OK && plan->opts->result != NULL)
		rc = sm_protect_result_set_cipher(plan->opts->result,
		                                  sm_cipher_name(cipher), err);
	return rc;
}

/* Every Bcc copy encrypts the same bytes: the entity, written once. */
static int
spool_content(sm_mime_write_fn write,
              void *write_payload,
              bool speculate,
              void *payload,
              sealmail_error *err)
{
	sm_mime_source *spool = payload;

	(void)speculate;
	return sm_mime_source_copy(spool, 0, sm_mime_source_size(spool), write,
	                           write_payload, err);
}

int
sm_protect_encrypt(sm_env_plan *plan,
                   sm_protect_content_fn content,
                   void *payload,
                   sealmail_output *out,
                   sealmail_error *err)
{
	const sm_policy *p = &plan->policy;
	const sm_rcpt **group;
	sm_mime_source *spool = NULL;
	size_t n = 0, bcc_index = 0;
	int rc = SEALMAIL_OK;

	group = sm_calloc(p->n + 1, sizeof(const sm_rcpt *));
	if (group == NULL)
		return sm_error_nomem(err);
	for (size_t i = 0; i < p->n; i++)
		if (!p->rcpts[i].bcc)
			group[n++] = &p->rcpts[i];
	if (n < p->n) {
		rc = sm_mime_source_new_empty(&spool, err);
		if (rc == SEALMAIL_OK)
			rc = content(sm_mime_source_append_cb, spool, false,
			             payload, err);
		content = spool_content;
		payload = spool;
	}
	if (rc == SEALMAIL_OK)
		rc = write_copy(plan, content, payload, spool == NULL, group, n,
		                out, err);
	for (size_t i = 0; i < p->n && rc == SEALMAIL_OK; i++) {
		sealmail_output *bout = NULL;

		if (!p->rcpts[i].bcc)
			continue;
		bcc_index++;
		rc = plan->opts->bcc_output(&bout, bcc_index,
		                            p->rcpts[i].address,
		                            plan->opts->bcc_payload, err);
		if (rc != SEALMAIL_OK)
			break;
		group[0] = &p->rcpts[i];
		rc = write_copy(plan, content, payload, spool == NULL, group, 1,
		                bout, err);
		/* committed by the caller with the others: no thread kept */
		if (rc == SEALMAIL_OK)
			rc = sm_output_settle(bout, err);
		if (rc == SEALMAIL_OK && plan->opts->result != NULL)
			plan->opts->result->nbcc++;
	}
	sm_mime_source_free(spool);
	sm_free(group);
	return rc;
}

/* --- sealmail_protect_result -------------------------------------------- */

int
sealmail_protect_result_new(sealmail_protect_result **out, sealmail_error *err)
{
	*out = sm_calloc(1, sizeof(**out));
	return *out != NULL ? SEALMAIL_OK : sm_error_nomem(err);
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sm_free(v[i]);
	sm_free(v);
}

void
sealmail_protect_result_free(sealmail_protect_result *r)
{
	if (r == NULL)
		return;
	strv_free(r->addresses, r->nproblems);
	strv_free(r->reasons, r->nproblems);
	strv_free(r->warnings, r->nwarnings);
	sm_free(r->cipher);
	sm_free(r);
}

static int
strv_push(char ***v, size_t n, const char *s, sealmail_error *err)
{
	char **grown = sm_realloc(*v, (n + 1) * sizeof(*grown));

	if (grown == NULL)
		return sm_error_nomem(err);
	*v = grown;
	grown[n] = sm_strdup(s);
	return grown[n] != NULL ? SEALMAIL_OK : sm_error_nomem(err);
}

int
sm_protect_result_add_problem(sealmail_protect_result *r,
                              const char *address,
                              const char *reason,
                              sealmail_error *err)
{
	int rc = strv_push(&r->addresses, r->nproblems, address, err);

	if (rc == SEALMAIL_OK)
		rc = strv_push(&r->reasons, r->nproblems, reason, err);
	if (rc != SEALMAIL_OK) {
		/* keep the two lists the same length */
		if (r->addresses[r->nproblems] != NULL)
			sm_free(r->addresses[r->nproblems]);
		return rc;
	}
	r->nproblems++;
	return SEALMAIL_OK;
}

int
sm_protect_result_add_warning(sealmail_protect_result *r,
                              const char *text,
                              sealmail_error *err)
{
	int rc = strv_push(&r->warnings, r->nwarnings, text, err);

	if (rc == SEALMAIL_OK)
		r->nwarnings++;
	return rc;
}

int
sm_protect_result_set_cipher(sealmail_protect_result *r,
                             const char *cipher,
                             sealmail_error *err)
{
	char *c = sm_strdup(cipher);

	if (c == NULL)
		return sm_error_nomem(err);
	sm_free(r->cipher);
	r->cipher = c;
	return SEALMAIL_OK;
}

size_t
sealmail_protect_result_problem_count(const sealmail_protect_result *r)
{
	return r->nproblems;
}

const char *
sealmail_protect_result_problem_address(const sealmail_protect_result *r,
                                        size_t i)
{
	return i < r->nproblems ? r->addresses[i] : NULL;
}

const char *
sealmail_protect_result_problem_reason(const sealmail_protect_result *r,
                                       size_t i)
{
	return i < r->nproblems ? r->reasons[i] : NULL;
}

size_t
sealmail_protect_result_warning_count(const sealmail_protect_result *r)
{
	return r->nwarnings;
}

const char *
sealmail_protect_result_warning_at(const sealmail_protect_result *r, size_t i)
{
	return i < r->nwarnings ? r->warnings[i] : NULL;
}

const char *
sealmail_protect_result_cipher(const sealmail_protect_result *r)
{
	return r->cipher;
}

size_t
sealmail_protect_result_bcc_count(const sealmail_protect_result *r)
{
	return r->nbcc;
}
