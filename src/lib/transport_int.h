/* SPDX-License-Identifier: MIT */
/*
 * transport.c's helpers for the sending pipeline (send.c): spooling a
 * message to an unlinked file in the store so that it can be read several
 * times, and keeping the Sent copy (Sent mailbox, else the store's
 * unsaved-sent folder).  No credentials are kept beyond a call.
 */
#ifndef SM_TRANSPORT_INT_H
#define SM_TRANSPORT_INT_H

#include "internal.h"
#include "sealmail/transport.h"

/*
 * Copy `in` (NULL: nothing, an empty file) to a new unlinked file in `dir`;
 * `*fd_out` is its descriptor at offset 0, closed by the caller.
 */
int sm_transport_spool(const char *dir,
                       sealmail_input *in,
                       int *fd_out,
                       sealmail_error *err);

/* A new input reading `fd` from its start (the fd stays the caller's). */
int sm_transport_rewind(sealmail_input **in, int fd, sealmail_error *err);

/*
 * Append the message in `fd` to `sent`; when that fails, to the store's
 * SEALMAIL_UNSAVED_SENT_FOLDER, saying so in `result` (status OK).  EIO
 * when neither could keep it.
 */
int sm_transport_keep_sent(sealmail_store *store,
                           const char *sent,
                           const sealmail_transport_options *opts,
                           int fd,
                           sealmail_submit_result *result,
                           sealmail_error *err);

/*
 * Can `addr` (its ASCII form, sm_mime_address_ascii) go into an SMTP
 * envelope as it is?  `what` names it in the message ("sender address").
 * `too_long` (EINVAL for an argument, EBADDATA for a header) when it is
 * longer than SM_ADDRESS_MAX; SEALMAIL_EUNSUPPORTED when it is not
 * ASCII (a UTF-8 local part needs SMTPUTF8, which sealmail does not speak).
 */
int sm_smtp_address_check(const char *what,
                          const char *addr,
                          int too_long,
                          sealmail_error *err);

#endif
