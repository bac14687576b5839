/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the public address-book path: certificate import into the
 * book (PEM, DER, several PEMs, PKCS#7 bundles), then a CA import of the
 * same bytes.
 */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	sealmail_store *store = fuzz_store();
	sealmail_cert_list *list = NULL;
	sealmail_error err = {0};

	if (sealmail_book_add(&list, store, data, size, "fuzz", &err) ==
	    SEALMAIL_OK)
		sealmail_cert_list_free(list);
	else
		fuzz_check_error(&err);
	list = NULL;
	if (sealmail_ca_add(&list, store, data, size, &err) == SEALMAIL_OK)
		sealmail_cert_list_free(list);
	else
		fuzz_check_error(&err);
	return 0;
}
