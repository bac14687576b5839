/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a damaged store.  The input becomes store.db in a fresh home;
 * opening it must give SEALMAIL_OK or a clean error, never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sealmail/sealmail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char home[] = "/tmp/sealmail-fuzz-store-XXXXXX";
	char path[64];
	sealmail_store *store = NULL;
	sealmail_error err;
	FILE *f;

	if (mkdtemp(home) == NULL)
		return 0;
	(void)snprintf(path, sizeof(path), "%s/store.db", home);
	f = fopen(path, "wb");
	if (f != NULL) {
		(void)fwrite(data, 1, size, f);
		(void)fclose(f);
		if (sealmail_store_open(&store, home, NULL, &err) ==
		    SEALMAIL_OK)
			sealmail_store_free(store);
		else if (strchr(err.message, '\n') != NULL)
			abort(); /* errors are one line */
	}
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/store.db-wal", home);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/store.db-shm", home);
	(void)unlink(path);
	(void)rmdir(home);
	return 0;
}
