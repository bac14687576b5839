/* SPDX-License-Identifier: MIT */
/*
 * Encryption for protect (issue 4).  Not written yet: the `encrypt` helper
 * replaces this stub.
 */
#include "protect_int.h"

int
sm_protect_encrypt(sealmail_store *store,
                   sm_mime_source *original,
                   const sm_mime_entity *top,
                   sm_mime_source *content,
                   const char *sender,
                   sealmail_output *out,
                   const sealmail_protect_options *opts,
                   sealmail_error *err)
{
	(void)store;
	(void)original;
	(void)top;
	(void)content;
	(void)sender;
	(void)out;
	(void)opts;
	return sm_error_set(err, SEALMAIL_EUNSUPPORTED,
	                    "encryption is not available yet");
}
