/* SPDX-License-Identifier: MIT */
/*
 * Output: human text with hostile characters escaped, and a small streaming
 * JSON writer for --json (one document on stdout).
 */
#ifndef CLI_OUT_H
#define CLI_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Print `s` with control characters, DEL and invalid UTF-8 escaped as \xNN,
 * so certificate fields and headers cannot move the cursor or fake lines.
 */
void out_text(FILE *f, const char *s);

typedef struct json {
	FILE *f;
	int depth;
	bool need_comma[32];
	bool after_key;
} json;

void json_init(json *j, FILE *f);
void json_object_begin(json *j);
void json_object_end(json *j);
void json_array_begin(json *j);
void json_array_end(json *j);
void json_key(json *j, const char *key);
void json_string(json *j, const char *s); /* NULL writes null */
void json_int(json *j, int64_t v);
void json_bool(json *j, bool v);
void json_null(json *j);
/* A value written already as JSON by another writer (its own json). */
void json_raw(json *j, const char *text, size_t len);
/* Finish the document with a newline. */
void json_end(json *j);

/* key + value shorthands */
void json_kv_string(json *j, const char *key, const char *s);
void json_kv_int(json *j, const char *key, int64_t v);
void json_kv_bool(json *j, const char *key, bool v);

/* Format Unix time as "2026-11-28T12:00:00Z" into buf (at least 21 bytes). */
void out_time(char *buf, size_t size, int64_t t);

#endif
