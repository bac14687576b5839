/* SPDX-License-Identifier: MIT */
/*
 * Human output escaping and the --json writer.
 */
#include "out.h"

#include <string.h>
#include <time.h>

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) can act as escapes on some terminals. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	/* Bidirectional overrides can reorder what a reader sees. */
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

void
out_text(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (s == NULL)
		return;
	while (*s != '\0') {
		size_t n = utf8_len(s);
		if (n == 1 && (*s < 0x20 || *s == 0x7f))
			n = 0;
		if (n == 0) {
			(void)fprintf(f, "\\x%02x", *s);
			s++;
			continue;
		}
		(void)fwrite(s, 1, n, f);
		s += n;
	}
}

void
json_init(json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void
json_sep(json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->need_comma[j->depth])
		(void)fputc(',', j->f);
	if (j->depth > 0)
		j->need_comma[j->depth] = true;
}

static void
json_open(json *j, char c)
{
	json_sep(j);
	(void)fputc(c, j->f);
	if (j->depth < (int)(sizeof(j->need_comma) - 1))
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void
json_close(json *j, char c)
{
	(void)fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void
json_object_begin(json *j)
{
	json_open(j, '{');
}

void
json_object_end(json *j)
{
	json_close(j, '}');
}

void
json_array_begin(json *j)
{
	json_open(j, '[');
}

void
json_array_end(json *j)
{
	json_close(j, ']');
}

static void
json_raw_string(json *j, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	(void)fputc('"', j->f);
	while (*s != '\0') {
		size_t n = utf8_len(s);
		if (*s == '"' || *s == '\\') {
			(void)fprintf(j->f, "\\%c", *s);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			(void)fprintf(j->f, "\\u%04x", *s);
			s++;
		} else if (n == 0) {
			/* Not UTF-8: keep JSON valid, show the byte. */
			(void)fprintf(j->f, "\\ufffd");
			s++;
		} else {
			(void)fwrite(s, 1, n, j->f);
			s += n;
		}
	}
	(void)fputc('"', j->f);
}

void
json_key(json *j, const char *key)
{
	json_sep(j);
	json_raw_string(j, key);
	(void)fputc(':', j->f);
	j->after_key = true;
}

void
json_string(json *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	json_sep(j);
	json_raw_string(j, s);
}

void
json_raw(json *j, const char *text, size_t len)
{
	json_sep(j);
	(void)fwrite(text, 1, len, j->f);
}

void
json_int(json *j, int64_t v)
{
	json_sep(j);
	(void)fprintf(j->f, "%lld", (long long)v);
}

void
json_bool(json *j, bool v)
{
	json_sep(j);
	(void)fputs(v ? "true" : "false", j->f);
}

void
json_null(json *j)
{
	json_sep(j);
	(void)fputs("null", j->f);
}

void
json_end(json *j)
{
	(void)fputc('\n', j->f);
}

void
json_kv_string(json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void
json_kv_int(json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void
json_kv_bool(json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void
out_time(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, size, "%lld", (long long)t);
}
