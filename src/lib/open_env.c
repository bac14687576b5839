/* SPDX-License-Identifier: MIT */
/*
 * Decryption for open (issue 4).  Not written yet: the `encrypt` helper
 * replaces this stub, which only records that the message is encrypted.
 */
#include "open_int.h"
#include "report_int.h"

int
sm_open_enveloped(sm_mime_source **content_out,
                  bool *authenticated_out,
                  sealmail_store *store,
                  sealmail_report *report,
                  sm_mime_source *src,
                  const sm_mime_entity *ent,
                  sealmail_error *err)
{
	int rc;

	(void)store;
	(void)src;
	(void)ent;
	*content_out = NULL;
	*authenticated_out = false;
	rc = sm_report_set_encryption(report, "unknown", false, NULL, err);
	if (rc != SEALMAIL_OK)
		return rc;
	return sm_report_add_finding(report, SEALMAIL_VERDICT_CANNOT_DECRYPT,
	                             "decryption-unavailable", err,
	                             "encrypted (decryption not available "
	                             "yet)");
}
