/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: digital ID import (PKCS#12 with the password "test", or PEM
 * certificate + key).
 */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	sealmail_store *store = fuzz_store();
	sealmail_id_import_options opts = SEALMAIL_ID_IMPORT_OPTIONS_INIT;
	sealmail_id *id = NULL;
	sealmail_error err = {0};

	opts.flags = SEALMAIL_ID_NO_PASSPHRASE;
	if (sealmail_id_import(&id, store, data, size, NULL, 0, &opts, &err) ==
	    SEALMAIL_OK) {
		/* Keep the store small: a new ID found is removed again. */
		if (sealmail_id_delete(store, id, &err) != SEALMAIL_OK)
			fuzz_check_error(&err);
		sealmail_id_free(id);
	} else {
		fuzz_check_error(&err);
	}
	return 0;
}
