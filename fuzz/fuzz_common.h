/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets: one store per fuzzing process (made on first
 * use in a temporary folder, holding Bob's digital ID from the test PKI and
 * Alice's certificate), so each input exercises decryption and trust too.
 * Process-wide state is fine here: this is a test driver, not the library.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealmail/sealmail.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static inline int
fuzz_password(char *buf,
              size_t size,
              sealmail_passphrase_reason reason,
              const char *what,
              void *payload)
{
	(void)reason;
	(void)what;
	(void)payload;
	(void)snprintf(buf, size, "test");
	return 4;
}

static inline int
fuzz_discard(const void *buf, size_t len, void *payload)
{
	(void)buf;
	(void)len;
	(void)payload;
	return 0;
}

static inline unsigned char *
fuzz_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (data = malloc((size_t)n + 1)) != NULL &&
	    fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	*len = data != NULL ? (size_t)n : 0;
	(void)fclose(f);
	return data;
}

static inline sealmail_store *
fuzz_store(void)
{
	static sealmail_store *store;
	static char home[] = "/tmp/sealmail-fuzz-XXXXXX";
	sealmail_store_options opts = SEALMAIL_STORE_OPTIONS_INIT;
	sealmail_id_import_options iopts = SEALMAIL_ID_IMPORT_OPTIONS_INIT;
	sealmail_error err;
	sealmail_id *id = NULL;
	sealmail_cert_list *added = NULL;
	unsigned char *data;
	size_t len;

	if (store != NULL)
		return store;
	if (mkdtemp(home) == NULL)
		abort();
	opts.passphrase = fuzz_password;
	if (sealmail_store_open(&store, home, &opts, &err) != SEALMAIL_OK)
		abort();
	iopts.flags = SEALMAIL_ID_NO_PASSPHRASE;
	data = fuzz_slurp(FUZZ_PKI "/bob@example.org.p12", &len);
	if (data != NULL && sealmail_id_import(&id, store, data, len, NULL, 0,
	                                       &iopts, &err) == SEALMAIL_OK)
		sealmail_id_free(id);
	free(data);
	data = fuzz_slurp(FUZZ_PKI "/alice@example.org.crt", &len);
	if (data != NULL && sealmail_book_add(&added, store, data, len, NULL,
	                                      &err) == SEALMAIL_OK)
		sealmail_cert_list_free(added);
	free(data);
	return store;
}

/* Errors are one line: a newline in a message is a bug. */
static inline void
fuzz_check_error(const sealmail_error *err)
{
	if (strchr(err->message, '\n') != NULL)
		abort();
}

#endif
