/* SPDX-License-Identifier: MIT */
/*
 * Between protect.c (signing, the pipeline's frame) and protect_env.c
 * (encryption, issue 4).  protect.c produces the entity to encrypt -- the
 * signed entity with sign+encrypt, else the canonical content -- and hands
 * it here with the original message for its recipients and outer headers.
 */
#ifndef SM_PROTECT_INT_H
#define SM_PROTECT_INT_H

#include "internal.h"
#include "mime.h"

/*
 * Encrypt `content` (a MIME entity: its Content-* headers and body, CRLF)
 * for the recipients of the message in `original` (its top entity `top`:
 * To, Cc, Bcc) and write the whole protected message -- `top`'s outer
 * headers, MIME-Version, the application/pkcs7-mime entity -- to `out`.
 * `sender` is the address the message is sent as.  Nothing is written on
 * a refusal (ERECIPIENTS, EDECLINED).
 */
int sm_protect_encrypt(sealmail_store *store,
                       sm_mime_source *original,
                       const sm_mime_entity *top,
                       sm_mime_source *content,
                       const char *sender,
                       sealmail_output *out,
                       const sealmail_protect_options *opts,
                       sealmail_error *err);

#endif
