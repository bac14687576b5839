/* SPDX-License-Identifier: MIT */
/*
 * The security report: construction for open.c (report_int.h), the public
 * accessors, and the JSON writer shared by the CLI and, later, the web UI.
 */
#include "report_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int
sm_report_new(sealmail_report **out, sealmail_error *err)
{
	sealmail_report *r = sm_calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return sm_error_nomem(err);
	if (sm_report_set(&r->from, "", err) != SEALMAIL_OK ||
	    sm_report_set(&r->subject, "", err) != SEALMAIL_OK) {
		sealmail_report_free(r);
		return SEALMAIL_ENOMEM;
	}
	*out = r;
	return SEALMAIL_OK;
}

int
sm_report_set(char **field, const char *s, sealmail_error *err)
{
	char *copy = sm_strdup(s != NULL ? s : "");

	if (copy == NULL)
		return sm_error_nomem(err);
	sm_free(*field);
	*field = copy;
	return SEALMAIL_OK;
}

static int
grow(void *arrayp, size_t n, size_t elem, sealmail_error *err)
{
	void **array = arrayp;
	void *p = sm_realloc(*array, (n + 1) * elem);

	if (p == NULL)
		return sm_error_nomem(err);
	*array = p;
	return SEALMAIL_OK;
}

int
sm_report_add_finding(sealmail_report *r,
                      sealmail_verdict severity,
                      const char *code,
                      sealmail_error *err,
                      const char *fmt,
                      ...)
{
	sm_buf text;
	va_list ap;
	int rc;

	sm_buf_init(&text, 4096);
	va_start(ap, fmt);
	{
		char line[1024];
		int n = vsnprintf(line, sizeof(line), fmt, ap);
		rc = n < 0 ? SEALMAIL_ERROR : sm_buf_puts(&text, line, err);
	}
	va_end(ap);
	if (rc == SEALMAIL_OK)
		rc = grow(&r->findings, r->nfindings, sizeof(*r->findings),
		          err);
	if (rc != SEALMAIL_OK) {
		sm_buf_free(&text);
		return rc;
	}
	r->findings[r->nfindings].severity = severity;
	r->findings[r->nfindings].code = code;
	r->findings[r->nfindings].text = (char *)sm_buf_detach(&text, NULL);
	r->nfindings++;
	return SEALMAIL_OK;
}

bool
sm_report_has_finding(const sealmail_report *r, const char *code)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].code, code) == 0)
			return true;
	return false;
}

static void
signature_free(struct sealmail_signature *s)
{
	if (s == NULL)
		return;
	sm_free(s->signer_name);
	sm_free(s->signer_address);
	sm_free(s->trust_words);
	sm_free(s);
}

int
sm_report_add_signature(struct sealmail_signature **out,
                        sealmail_report *r,
                        sealmail_error *err)
{
	struct sealmail_signature *s = sm_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL)
		return sm_error_nomem(err);
	s->state = SEALMAIL_SIG_NO_CERT;
	s->kind = "clear";
	s->trust = "unknown";
	rc = sm_report_set(&s->signer_name, "", err);
	if (rc == SEALMAIL_OK)
		rc = sm_report_set(&s->signer_address, "", err);
	if (rc == SEALMAIL_OK)
		rc = sm_report_set(&s->trust_words, "unknown", err);
	if (rc == SEALMAIL_OK)
		rc = grow(&r->sigs, r->nsigs,
		          sizeof(struct sealmail_signature *), err);
	if (rc != SEALMAIL_OK) {
		signature_free(s);
		return rc;
	}
	r->sigs[r->nsigs++] = s;
	*out = s;
	return SEALMAIL_OK;
}

static int
add_string(char ***list, size_t *n, const char *s, sealmail_error *err)
{
	char *copy = sm_strdup(s);
	int rc;

	if (copy == NULL)
		return sm_error_nomem(err);
	rc = grow(list, *n, sizeof(**list), err);
	if (rc != SEALMAIL_OK) {
		sm_free(copy);
		return rc;
	}
	(*list)[(*n)++] = copy;
	return SEALMAIL_OK;
}

int
sm_report_add_unsigned_part(sealmail_report *r,
                            const char *desc,
                            sealmail_error *err)
{
	return add_string(&r->unsigned_parts, &r->nunsigned, desc, err);
}

int
sm_report_set_encryption(sealmail_report *r,
                         const char *algorithm,
                         bool authenticated,
                         const char *decrypted_by,
                         sealmail_error *err)
{
	int rc = sm_report_set(&r->enc_algorithm, algorithm, err);

	if (rc == SEALMAIL_OK && decrypted_by != NULL)
		rc = sm_report_set(&r->enc_decrypted_by, decrypted_by, err);
	if (rc != SEALMAIL_OK)
		return rc;
	r->encrypted = true;
	r->enc_authenticated = authenticated;
	return SEALMAIL_OK;
}

int
sm_report_add_recipient(sealmail_report *r,
                        const char *desc,
                        sealmail_error *err)
{
	return add_string(&r->enc_recipients, &r->nrecipients, desc, err);
}

int
sm_report_add_unencrypted_part(sealmail_report *r,
                               const char *desc,
                               sealmail_error *err)
{
	return add_string(&r->unencrypted_parts, &r->nunencrypted, desc, err);
}

/* ---- public accessors ------------------------------------------------- */

sealmail_verdict
sealmail_report_verdict(const sealmail_report *r)
{
	sealmail_verdict v = SEALMAIL_VERDICT_GOOD;

	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].severity > v)
			v = r->findings[i].severity;
	return v;
}

const char *
sealmail_report_from(const sealmail_report *r)
{
	return r->from;
}

const char *
sealmail_report_subject(const sealmail_report *r)
{
	return r->subject;
}

int64_t
sealmail_report_date(const sealmail_report *r)
{
	return r->date;
}

sealmail_coverage
sealmail_report_coverage(const sealmail_report *r)
{
	return r->coverage;
}

size_t
sealmail_report_unsigned_part_count(const sealmail_report *r)
{
	return r->nunsigned;
}

const char *
sealmail_report_unsigned_part_at(const sealmail_report *r, size_t i)
{
	return i < r->nunsigned ? r->unsigned_parts[i] : NULL;
}

bool
sealmail_report_acknowledged(const sealmail_report *r)
{
	return r->acknowledged;
}

size_t
sealmail_report_finding_count(const sealmail_report *r)
{
	return r->nfindings;
}

sealmail_verdict
sealmail_report_finding_severity(const sealmail_report *r, size_t i)
{
	return r->findings[i].severity;
}

const char *
sealmail_report_finding_code(const sealmail_report *r, size_t i)
{
	return r->findings[i].code;
}

const char *
sealmail_report_finding_text(const sealmail_report *r, size_t i)
{
	return r->findings[i].text;
}

size_t
sealmail_report_signature_count(const sealmail_report *r)
{
	return r->nsigs;
}

const sealmail_signature *
sealmail_report_signature_at(const sealmail_report *r, size_t i)
{
	return i < r->nsigs ? r->sigs[i] : NULL;
}

sealmail_sig_state
sealmail_signature_state(const sealmail_signature *s)
{
	return s->state;
}

const char *
sealmail_signature_kind(const sealmail_signature *s)
{
	return s->kind;
}

const char *
sealmail_signature_signer_name(const sealmail_signature *s)
{
	return s->signer_name;
}

const char *
sealmail_signature_signer_address(const sealmail_signature *s)
{
	return s->signer_address;
}

const char *
sealmail_signature_fingerprint(const sealmail_signature *s)
{
	return s->fingerprint;
}

const char *
sealmail_signature_algorithm(const sealmail_signature *s)
{
	return s->algorithm;
}

const char *
sealmail_signature_trust(const sealmail_signature *s)
{
	return s->trust;
}

const char *
sealmail_signature_trust_words(const sealmail_signature *s)
{
	return s->trust_words;
}

int64_t
sealmail_signature_signing_time(const sealmail_signature *s)
{
	return s->signing_time;
}

bool
sealmail_signature_valid_at_signing(const sealmail_signature *s)
{
	return s->valid_at_signing;
}

bool
sealmail_signature_valid_now(const sealmail_signature *s)
{
	return s->valid_now;
}

bool
sealmail_signature_from_matches(const sealmail_signature *s)
{
	return s->from_matches;
}

sealmail_rewrite
sealmail_signature_rewrite(const sealmail_signature *s)
{
	return s->rewrite;
}

const char *
sealmail_signature_part(const sealmail_signature *s)
{
	return s->part;
}

bool
sealmail_report_encrypted(const sealmail_report *r)
{
	return r->encrypted;
}

const char *
sealmail_report_encryption_algorithm(const sealmail_report *r)
{
	return r->enc_algorithm != NULL ? r->enc_algorithm : "";
}

bool
sealmail_report_encryption_authenticated(const sealmail_report *r)
{
	return r->enc_authenticated;
}

const char *
sealmail_report_encryption_decrypted_by(const sealmail_report *r)
{
	return r->enc_decrypted_by != NULL ? r->enc_decrypted_by : "";
}

bool
sealmail_report_encryption_closed(const sealmail_report *r)
{
	static const char *const codes[] = {"not-for-you", "key-failed",
	                                    "tag-mismatch", "decrypt-failed",
	                                    "encryption-damaged"};

	for (size_t i = 0; i < SM_ARRAY_SIZE(codes); i++)
		if (sm_report_has_finding(r, codes[i]))
			return true;
	return false;
}

size_t
sealmail_report_encryption_recipient_count(const sealmail_report *r)
{
	return r->nrecipients;
}

const char *
sealmail_report_encryption_recipient_at(const sealmail_report *r, size_t i)
{
	return i < r->nrecipients ? r->enc_recipients[i] : NULL;
}

void
sealmail_report_free(sealmail_report *r)
{
	if (r == NULL)
		return;
	sm_free(r->from);
	sm_free(r->subject);
	for (size_t i = 0; i < r->nunsigned; i++)
		sm_free(r->unsigned_parts[i]);
	sm_free(r->unsigned_parts);
	for (size_t i = 0; i < r->nfindings; i++)
		sm_free(r->findings[i].text);
	sm_free(r->findings);
	for (size_t i = 0; i < r->nsigs; i++)
		signature_free(r->sigs[i]);
	sm_free(r->sigs);
	sm_free(r->enc_algorithm);
	sm_free(r->enc_decrypted_by);
	for (size_t i = 0; i < r->nrecipients; i++)
		sm_free(r->enc_recipients[i]);
	sm_free(r->enc_recipients);
	for (size_t i = 0; i < r->nunencrypted; i++)
		sm_free(r->unencrypted_parts[i]);
	sm_free(r->unencrypted_parts);
	sm_free(r);
}

/* ---- JSON ------------------------------------------------------------- */

static const char *const verdict_names[] = {"good", "warning", "danger",
                                            "cannot-decrypt"};
static const char *const state_names[] = {"valid", "altered", "bad",
                                          "no-certificate", "unsupported"};
static const char *const rewrite_names[] = {NULL,
                                            "line-endings",
                                            "trailing-space",
                                            "transfer-encoding",
                                            "header-folding",
                                            "footer"};
static const char *const coverage_names[] = {"none", "full", "partial"};

typedef struct jw {
	sm_buf b;
	int rc;
	bool comma;
} jw;

static void
jw_raw(jw *j, const char *s)
{
	if (j->rc == SEALMAIL_OK)
		j->rc = sm_buf_puts(&j->b, s, NULL);
}

static void
jw_sep(jw *j)
{
	if (j->comma)
		jw_raw(j, ",");
	j->comma = true;
}

/* Length of the valid UTF-8 sequence at p, 0 when invalid. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n = p[0] < 0x80                             ? 1
	           : (p[0] & 0xe0) == 0xc0 && p[0] >= 0xc2 ? 2
	           : (p[0] & 0xf0) == 0xe0                 ? 3
	           : (p[0] & 0xf8) == 0xf0 && p[0] <= 0xf4 ? 4
	                                                   : 0;

	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void
jw_str(jw *j, const char *s)
{
	char esc[8];

	if (s == NULL) {
		jw_raw(j, "null");
		return;
	}
	jw_raw(j, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n = utf8_len(p);
		if (n == 0) { /* not UTF-8: the replacement character */
			jw_raw(j, "\\ufffd");
			continue;
		}
		if (n > 1) {
			if (j->rc == SEALMAIL_OK)
				j->rc = sm_buf_append(&j->b, p, n, NULL);
			p += n - 1;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc[2] = '\0';
		} else if (*p < 0x20 || *p == 0x7f) {
			(void)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		jw_raw(j, esc);
	}
	jw_raw(j, "\"");
}

static void
jw_key(jw *j, const char *k)
{
	jw_sep(j);
	jw_str(j, k);
	jw_raw(j, ":");
}

static void
jw_kstr(jw *j, const char *k, const char *v)
{
	jw_key(j, k);
	jw_str(j, v);
}

static void
jw_kbool(jw *j, const char *k, bool v)
{
	jw_key(j, k);
	jw_raw(j, v ? "true" : "false");
}

static void
jw_kint(jw *j, const char *k, int64_t v)
{
	char num[32];

	(void)snprintf(num, sizeof(num), "%lld", (long long)v);
	jw_key(j, k);
	jw_raw(j, num);
}

static void
jw_open(jw *j, const char *k, const char *bracket)
{
	if (k != NULL)
		jw_key(j, k);
	else
		jw_sep(j);
	jw_raw(j, bracket);
	j->comma = false;
}

static void
jw_close(jw *j, const char *bracket)
{
	jw_raw(j, bracket);
	j->comma = true;
}

static void
jw_time(jw *j, const char *k, int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		jw_key(j, k);
		jw_raw(j, "null");
		return;
	}
	(void)strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jw_kstr(j, k, buf);
}

static void
json_signature(jw *j, const struct sealmail_signature *s)
{
	jw_open(j, NULL, "{");
	jw_kstr(j, "kind", s->kind);
	jw_kstr(j, "part", s->part);
	jw_kstr(j, "state", state_names[s->state]);
	jw_open(j, "signer", "{");
	jw_kstr(j, "name", s->signer_name);
	jw_kstr(j, "address", s->signer_address);
	jw_kstr(j, "fingerprint", s->fingerprint[0] ? s->fingerprint : NULL);
	jw_close(j, "}");
	jw_kstr(j, "algorithm", s->algorithm);
	jw_kstr(j, "trust", s->trust);
	jw_kstr(j, "trust_words", s->trust_words);
	jw_time(j, "signing_time", s->signing_time);
	jw_kbool(j, "valid_at_signing", s->valid_at_signing);
	jw_kbool(j, "valid_now", s->valid_now);
	jw_kbool(j, "from_matches", s->from_matches);
	jw_kstr(j, "rewrite", rewrite_names[s->rewrite]);
	jw_close(j, "}");
}

static void
json_encryption(jw *j, const sealmail_report *r)
{
	jw_key(j, "encryption");
	if (!r->encrypted) {
		jw_raw(j, "null");
		return;
	}
	jw_raw(j, "{");
	j->comma = false;
	jw_kstr(j, "algorithm", r->enc_algorithm);
	jw_kbool(j, "authenticated", r->enc_authenticated);
	jw_kstr(j, "decrypted_by", r->enc_decrypted_by);
	jw_open(j, "recipients", "[");
	for (size_t i = 0; i < r->nrecipients; i++) {
		jw_sep(j);
		jw_str(j, r->enc_recipients[i]);
	}
	jw_close(j, "]");
	jw_open(j, "unencrypted_parts", "[");
	for (size_t i = 0; i < r->nunencrypted; i++) {
		jw_sep(j);
		jw_str(j, r->unencrypted_parts[i]);
	}
	jw_close(j, "]");
	jw_close(j, "}");
}

int
sealmail_report_write_json(const sealmail_report *r,
                           sealmail_output *out,
                           sealmail_error *err)
{
	sealmail_verdict v = sealmail_report_verdict(r);
	jw j = {.rc = SEALMAIL_OK};
	int rc;

	sm_buf_init(&j.b, SM_BUF_MAX_DEFAULT);
	jw_raw(&j, "{");
	jw_kint(&j, "version", SEALMAIL_REPORT_JSON_VERSION);
	/* Nothing was checked: "good" would vouch for a sender; the text
	 * report says "not signed" too (SPEC exit 0 "nothing to check"). */
	jw_kstr(&j, "verdict",
	        v == SEALMAIL_VERDICT_GOOD &&
	                        r->coverage == SEALMAIL_COVERAGE_NONE
	                ? "not-signed"
	                : verdict_names[v]);
	jw_kint(&j, "exit", (int64_t)v);
	jw_kstr(&j, "from", r->from);
	jw_kstr(&j, "subject", r->subject);
	jw_kstr(&j, "coverage", coverage_names[r->coverage]);
	jw_open(&j, "unsigned_parts", "[");
	for (size_t i = 0; i < r->nunsigned; i++) {
		jw_sep(&j);
		jw_str(&j, r->unsigned_parts[i]);
	}
	jw_close(&j, "]");
	jw_kbool(&j, "acknowledged", r->acknowledged);
	json_encryption(&j, r);
	jw_open(&j, "signatures", "[");
	for (size_t i = 0; i < r->nsigs; i++)
		json_signature(&j, r->sigs[i]);
	jw_close(&j, "]");
	jw_open(&j, "findings", "[");
	for (size_t i = 0; i < r->nfindings; i++) {
		jw_open(&j, NULL, "{");
		jw_kstr(&j, "severity", verdict_names[r->findings[i].severity]);
		jw_kstr(&j, "code", r->findings[i].code);
		jw_kstr(&j, "text", r->findings[i].text);
		jw_close(&j, "}");
	}
	jw_close(&j, "]");
	jw_raw(&j, "}\n");
	rc = j.rc;
	if (rc != SEALMAIL_OK)
		rc = sm_error_set(err, rc, "cannot build the JSON report");
	else
		rc = sealmail_output_write(out, j.b.data, j.b.len, err);
	sm_buf_free(&j.b);
	return rc;
}
