/* SPDX-License-Identifier: MIT */
/*
 * Between open.c (the walk over the MIME tree, signatures, coverage) and
 * open_env.c (decryption, issue 4).  open.c calls sm_open_enveloped for an
 * application/pkcs7-mime entity holding enveloped-data or
 * authEnveloped-data; what it decrypts is walked like any other entity.
 */
#ifndef SM_OPEN_INT_H
#define SM_OPEN_INT_H

#include "internal.h"
#include "mime.h"

/*
 * The readable message written as the content is decrypted (issue 7):
 * open.c fills `out` (a held output: sm_output_held), `head` (writes what
 * comes before the content: the outer header block) and `payload`;
 * sm_open_enveloped sets `written` once the content's first bytes went to
 * `out`, after `mark` (sm_output_mark; -1 for /dev/null, which needs no
 * rewinding).  Only content that the walk reads no further than its header
 * (sm_open_walks_body false) goes there, and only once it is longer than
 * its first MiB; when it does not decrypt (a GCM tag or padding that does
 * not check, damage, any failure) `out` is rewound to `mark` and `written`
 * is false again.
 */
typedef struct sm_open_direct {
	sealmail_output *out;
	int (*head)(void *payload, sealmail_error *err);
	void *payload;
	bool written;
	off_t mark;
} sm_open_direct;

/*
 * Content written early that is not the readable message after all (it
 * did not decrypt, or opening failed later): `out` as it was before, and
 * `written` false; nothing when nothing was written (or `d` is NULL).
 */
void sm_open_direct_forget(sm_open_direct *d);
/*
 * The same, saying why the output could not be rewound (open.c's one pass
 * for opaque signed content, which keeps its mark and `written` here too).
 */
int sm_open_direct_undo(sm_open_direct *d, sealmail_error *err);

/*
 * Decrypt the entity `ent` of `src` (its body: base64 CMS).  Fill the
 * report's encryption layer (sm_report_set_encryption, recipients) and its
 * findings (e.g. "not for any of your digital IDs": CANNOT_DECRYPT; a GCM
 * tag failure: DANGER).  On success with content, `*content_out` is a new
 * source holding the decrypted MIME entity (owned by the caller; open.c
 * walks it as the entity's content); NULL when nothing was decrypted.
 * `*authenticated_out`: the content is integrity-protected by the cipher
 * (GCM).  `trim`: no readable message is written, so content whose part
 * the walk reads no further than its header (sm_open_walks_body false)
 * keeps only its first MiB.  `direct` (NULL: none; not with
 * `trim`): the content goes to the readable message as it is decrypted
 * (sm_open_direct) and `*content_out` holds only its first MiB.
 * `temp_dir`: the decrypted content's folder (NULL: P_tmpdir).  A negative
 * status only when the message cannot be examined.
 */
int sm_open_enveloped(sm_mime_source **content_out,
                      bool *authenticated_out,
                      bool trim,
                      sm_open_direct *direct,
                      const char *temp_dir,
                      sealmail_store *store,
                      sealmail_report *report,
                      sm_mime_source *src,
                      const sm_mime_entity *ent,
                      sealmail_error *err);

/* Does the walk read the entity's body (anything but a leaf part)? */
bool sm_open_walks_body(const sm_mime_entity *e);

#endif
