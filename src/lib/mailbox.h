/* SPDX-License-Identifier: MIT */
/*
 * Local mailboxes: iterate the messages of a Maildir (cur/ and new/) or an
 * mbox (From_ lines, mboxrd >From unescaping), each streamed to a callback
 * as a sealmail_input in bounded memory; deliver a message into a Maildir
 * atomically (tmp/, then new/).  No MIME parsing here.
 */
#ifndef SM_MAILBOX_H
#define SM_MAILBOX_H

#include "internal.h"
#include "sealmail/io.h"

/*
 * Called once per message.  `id` names the message within the mailbox
 * ("new/NAME" or "cur/NAME" in a Maildir, the 1-based position in an mbox);
 * `in` is valid only during the call and need not be read to the end.  A
 * non-zero return (a negative status) stops the iteration, which returns it
 * with `err` as the callback left it.
 */
typedef int (*sm_mailbox_cb)(const char *id,
                             sealmail_input *in,
                             void *payload,
                             sealmail_error *err);

/*
 * Every message of the mailbox at `path`: a Maildir when `path` is a folder
 * holding cur/ or new/, else an mbox file.  Maildir messages come in file
 * name order (new/ after cur/), mbox messages in file order.  ENOTFOUND,
 * EPERM, EIO, EBADDATA (a file that is not an mbox).
 */
int sm_mailbox_foreach(const char *path,
                       sm_mailbox_cb cb,
                       void *payload,
                       sealmail_error *err);

int sm_maildir_foreach(const char *path,
                       sm_mailbox_cb cb,
                       void *payload,
                       sealmail_error *err);

int sm_mbox_foreach(const char *path,
                    sm_mailbox_cb cb,
                    void *payload,
                    sealmail_error *err);

/*
 * Open the file at `path` for reading (sealmail_input_new_path); when it is
 * gone and `path` is a Maildir message's (ROOT/cur/NAME or ROOT/new/NAME),
 * the file a mail program renamed it to since (flags changed, moved from
 * new/ to cur/), found by the unique part of NAME.  ENOTFOUND with the first
 * open's message when it is not there either; EPERM, EIO, ENOMEM.
 */
int
sm_maildir_open(sealmail_input **out, const char *path, sealmail_error *err);

/*
 * Store the message read from `msg` in the Maildir `path` (created, mode
 * 0700, when missing): written and fsynced in tmp/, then renamed into new/.
 * A failure leaves nothing in new/ or tmp/.  The new file's path goes to
 * `*path_out` when it is not NULL (owned by the caller, sm_free).  EPERM,
 * EIO, and the input's own errors.
 */
int sm_maildir_deliver(const char *path,
                       sealmail_input *msg,
                       char **path_out,
                       sealmail_error *err);

#endif
