/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the whole receiving pipeline (MIME, CMS verify and decrypt,
 * trust, report, readable output) on one hostile message.
 */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	sealmail_store *store = fuzz_store();
	sealmail_input *in = NULL;
	sealmail_output *out = NULL;
	sealmail_report *report = NULL;
	sealmail_error err = {0};

	if (sealmail_input_new_memory(&in, data, size, &err) != SEALMAIL_OK ||
	    sealmail_output_new_callback(&out, fuzz_discard, NULL, &err) !=
	            SEALMAIL_OK)
		abort();
	if (sealmail_message_open(&report, store, in, out, NULL, &err) ==
	    SEALMAIL_OK) {
		sealmail_output *json = NULL;
		if (sealmail_output_new_callback(&json, fuzz_discard, NULL,
		                                 &err) == SEALMAIL_OK &&
		    sealmail_report_write_json(report, json, &err) !=
		            SEALMAIL_OK)
			fuzz_check_error(&err);
		sealmail_output_free(json);
		sealmail_report_free(report);
	} else {
		fuzz_check_error(&err);
	}
	sealmail_output_free(out);
	sealmail_input_free(in);
	return 0;
}
