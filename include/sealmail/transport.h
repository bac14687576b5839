/* SPDX-License-Identifier: MIT */
/*
 * Mail transport and mailboxes: submit a message over SMTP, append it to a
 * mailbox, read the messages of a mailbox.  A mailbox is an imap:// or
 * imaps:// URL, a Maildir folder or an mbox file.  Credentials are given by
 * the caller for each call and are never stored, logged or put in an error.
 */
#ifndef SEALMAIL_TRANSPORT_H
#define SEALMAIL_TRANSPORT_H

#include <stdbool.h>

#include "account.h"
#include "common.h"
#include "io.h"
#include "message.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SEALMAIL_TRANSPORT_OPTIONS_VERSION 1

/** Flags of sealmail_transport_options. */
typedef enum sealmail_transport_flags {
	SEALMAIL_TRANSPORT_NONE = 0,
	/**
	 * Do not use STARTTLS on smtp:// or imap://.  Without this flag,
	 * STARTTLS is required unless the server is on loopback, where it is
	 * used when offered.  smtps:// and imaps:// always use TLS.
	 */
	SEALMAIL_TRANSPORT_NO_STARTTLS = 1u << 0
} sealmail_transport_flags;

/** Server login and TLS settings.  NULL means no login, system CAs. */
typedef struct sealmail_transport_options {
	unsigned int version;
	unsigned int flags;   /**< sealmail_transport_flags */
	const char *user;     /**< login name; NULL for none */
	const char *password; /**< secret; borrowed for the call only */
	/** PEM file of CA certificates to trust instead of the system's. */
	const char *ca_file;
	long timeout_sec; /**< whole transfer; 0 means 300 s */
} sealmail_transport_options;

#define SEALMAIL_TRANSPORT_OPTIONS_INIT                                    \
	{                                                                  \
		SEALMAIL_TRANSPORT_OPTIONS_VERSION, 0, NULL, NULL, NULL, 0 \
	}

/**
 * Set `opts` to the SEALMAIL_<X>_OPTIONS_INIT defaults for `version`.
 * EINVAL: `opts` is NULL or `version` unknown.
 */
SEALMAIL_EXTERN(int)
sealmail_transport_options_init(sealmail_transport_options *opts,
                                unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Submit the message read from `msg` to the SMTP server at `url`
 * (smtp://HOST[:PORT] or smtps://...), envelope sender `from`, one RCPT TO
 * per address of `rcpt` (`nrcpt` of them).  Line ends go out as CRLF; any
 * refused recipient aborts the whole submission.
 *
 * @return SEALMAIL_OK; SEALMAIL_EIO (connection, TLS, the server refused:
 *         its answer is in `err`); SEALMAIL_EPASSPHRASE (login refused);
 *         SEALMAIL_EINVAL (bad URL or address; an address longer than the
 *         254 bytes SMTP allows, refused before connecting);
 *         SEALMAIL_EUNSUPPORTED (an address that is not ASCII: a UTF-8
 *         local part needs SMTPUTF8, which sealmail does not support yet)
 */
SEALMAIL_EXTERN(int)
sealmail_smtp_send(const char *url,
                   const sealmail_transport_options *opts,
                   const char *from,
                   const char *const *rcpt,
                   size_t nrcpt,
                   sealmail_input *msg,
                   sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Append the message read from `msg` to `mailbox`: an imap:// or imaps://
 * mailbox URL (IMAP APPEND), or a Maildir folder (created when missing;
 * the message goes to tmp/, then new/).
 *
 * @param where      when not NULL, receives where the message went (the
 *                   Maildir file, or the mailbox URL), cut to `where_len`
 *                   bytes including the NUL
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND (no such IMAP mailbox);
 *         SEALMAIL_EIO; SEALMAIL_EPERM; SEALMAIL_EPASSPHRASE; SEALMAIL_EINVAL
 */
SEALMAIL_EXTERN(int)
sealmail_mailbox_append(const char *mailbox,
                        const sealmail_transport_options *opts,
                        sealmail_input *msg,
                        char *where,
                        size_t where_len,
                        sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Called once per message of a mailbox.  `name` names the message so that
 * sealmail_mailbox_fetch() finds it again (see there); `msg` is valid only
 * during the call and need not be read to the end.  Return SEALMAIL_OK to
 * go on; any other status stops the iteration and is returned by it (set
 * `err` to say why).
 */
typedef int (*sealmail_mailbox_cb)(const char *name,
                                   sealmail_input *msg,
                                   void *payload,
                                   sealmail_error *err);

/**
 * Every message of `mailbox` (imap:// or imaps:// URL, Maildir folder, mbox
 * file), in mailbox order, each streamed to `cb`.  IMAP messages are
 * fetched one at a time through a temporary file; memory stays bounded.
 *
 * @return SEALMAIL_OK; the callback's status; SEALMAIL_ENOTFOUND;
 *         SEALMAIL_EBADDATA (not a mailbox); SEALMAIL_EIO; SEALMAIL_EPERM;
 *         SEALMAIL_EPASSPHRASE; SEALMAIL_EINVAL
 */
SEALMAIL_EXTERN(int)
sealmail_mailbox_foreach(const char *mailbox,
                         const sealmail_transport_options *opts,
                         sealmail_mailbox_cb cb,
                         void *payload,
                         sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Open a message of a Maildir for reading by the name
 * sealmail_mailbox_foreach() gave (its file's path), into `*out` (owned by
 * the caller; sealmail_input_free).  A message that a mail program renamed
 * since -- its flags changed, or it moved from new/ to cur/ -- is found
 * again by the unique part of its name (what comes before the ':'), and the
 * input is named by its new path.  Any other path is opened as it is.
 *
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND (gone); SEALMAIL_EPERM;
 *         SEALMAIL_EIO; SEALMAIL_ENOMEM
 */
SEALMAIL_EXTERN(int)
sealmail_mailbox_open_file(sealmail_input **out,
                           const char *name,
                           sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Copy one message to `out` (committed on success).  `name` is what
 * sealmail_mailbox_foreach() gives: "imaps://HOST/MAILBOX/;UID=N" (or
 * imap://), the path of a file in a Maildir (found again when renamed
 * since: see sealmail_mailbox_open_file), or "MBOX-PATH#N" for the N-th
 * message (from 1) of an mbox file.
 *
 * @return SEALMAIL_OK; SEALMAIL_ENOTFOUND (no such message or mailbox);
 *         SEALMAIL_EIO; SEALMAIL_EPERM; SEALMAIL_EPASSPHRASE; SEALMAIL_EINVAL
 */
SEALMAIL_EXTERN(int)
sealmail_mailbox_fetch(const char *name,
                       const sealmail_transport_options *opts,
                       sealmail_output *out,
                       sealmail_error *err) SEALMAIL_WARN_UNUSED;

/** The folder, inside the store, that keeps sent messages that could not
 * be stored in the Sent mailbox (a Maildir). */
#define SEALMAIL_UNSAVED_SENT_FOLDER "unsaved-sent"

/** What happened to the Sent copy in sealmail_mail_submit(). */
typedef struct sealmail_submit_result {
	/** True when the Sent copy was stored in the `sent` mailbox. */
	bool stored_in_sent;
	/**
	 * True when storing it in `sent` failed and the copy was kept in the
	 * store's SEALMAIL_UNSAVED_SENT_FOLDER instead; `sent_error` says why.
	 */
	bool kept_locally;
	/** The Sent mailbox URL or Maildir file, or the local file. */
	char where[1024];
	/** Why the append to `sent` failed (when kept_locally). */
	sealmail_error sent_error;
} sealmail_submit_result;

/**
 * Submit the (already protected) message from `msg` over SMTP like
 * sealmail_smtp_send(), then append the same bytes to the `sent` mailbox
 * (NULL: no Sent copy).  The message is spooled once to an unlinked file in
 * the store's folder so that it can be read twice.
 *
 * When the submission fails nothing is stored anywhere and the status is
 * the submission's.  When it succeeds but the Sent append fails, the copy
 * goes to the store's SEALMAIL_UNSAVED_SENT_FOLDER Maildir, `result` says
 * so and where, and the status is still SEALMAIL_OK: the message was sent,
 * and it is never lost.
 *
 * @param result  filled in on SEALMAIL_OK
 * @return SEALMAIL_OK; the submission's status; SEALMAIL_EIO when neither
 *         the Sent mailbox nor the local folder could keep the copy (the
 *         message was sent; `err` says so)
 */
SEALMAIL_EXTERN(int)
sealmail_mail_submit(sealmail_store *store,
                     const char *smtp_url,
                     const char *sent,
                     const sealmail_transport_options *opts,
                     const char *from,
                     const char *const *rcpt,
                     size_t nrcpt,
                     sealmail_input *msg,
                     sealmail_submit_result *result,
                     sealmail_error *err) SEALMAIL_WARN_UNUSED;

/**
 * Asked for the mail server password of `account` when its settings name a
 * password-file or password-command (read them with sealmail_account_get).
 * Write the password, NUL-terminated, into `buf` (`cap` bytes).  Return
 * SEALMAIL_OK, or a status that sealmail_message_send() then returns.
 */
typedef int (*sealmail_password_cb)(char *buf,
                                    size_t cap,
                                    const sealmail_account *account,
                                    void *payload,
                                    sealmail_error *err);

/** Flags of sealmail_send_options. */
typedef enum sealmail_send_flags {
	SEALMAIL_SEND_NONE = 0,
	/**
	 * With `rcpt`: also send to every To, Cc and Bcc address of the
	 * message (sendmail -t with arguments).
	 */
	SEALMAIL_SEND_HEADER_RCPT = 1u << 0
} sealmail_send_flags;

#define SEALMAIL_SEND_OPTIONS_VERSION 1

/** How sealmail_message_send() protects and submits a message. */
typedef struct sealmail_send_options {
	unsigned int version; /**< SEALMAIL_SEND_OPTIONS_VERSION */
	unsigned int flags;   /**< sealmail_send_flags */
	/**
	 * Protection exactly as for sealmail_message_protect(): flags, from,
	 * cipher, confirm, result.  `bcc_output` is ignored: the Bcc copies
	 * are kept and submitted by sealmail_message_send().
	 */
	sealmail_protect_options protect;
	/**
	 * The envelope recipients (sendmail's arguments), `nrcpt` of them;
	 * NULL: every To, Cc and Bcc address of the message.  One not named
	 * in To or Cc is a Bcc recipient: it gets a copy of its own when the
	 * message is encrypted.
	 */
	const char *const *rcpt;
	size_t nrcpt;
	/** The SMTP envelope sender (MAIL FROM); NULL: the signing address. */
	const char *envelope_from;
	/** Asked for the password (see sealmail_password_cb); NULL: none. */
	sealmail_password_cb password;
	void *password_payload;
	long timeout_sec; /**< each server transfer; 0 means 300 s */
} sealmail_send_options;

#define SEALMAIL_SEND_OPTIONS_INIT                                          \
	{                                                                   \
		SEALMAIL_SEND_OPTIONS_VERSION, 0,                           \
		        SEALMAIL_PROTECT_OPTIONS_INIT, NULL, 0, NULL, NULL, \
		        NULL, 0                                             \
	}

/**
 * Set `opts` to the SEALMAIL_<X>_OPTIONS_INIT defaults for `version`.
 * EINVAL: `opts` is NULL or `version` unknown.
 */
SEALMAIL_EXTERN(int)
sealmail_send_options_init(sealmail_send_options *opts,
                           unsigned int version) SEALMAIL_WARN_UNUSED;

/**
 * Protect the message read from `in` like sealmail_message_protect() (the
 * account policy and the flags, the same refusals: nothing is submitted on
 * a refusal) and send it through the SMTP server of the sender's account
 * (its "smtp", "smtp-user", "ca-file", "starttls" settings and the
 * password from `opts->password`): the main copy to the To and Cc
 * recipients, and, when encrypted, each Bcc recipient's own copy to that
 * recipient alone (a signed-only message goes to everyone at once, its Bcc
 * header removed).  Then the main copy -- readable by the sender thanks to
 * encrypt-to-self -- is appended to the account's "sent" mailbox, or kept
 * in the store's SEALMAIL_UNSAVED_SENT_FOLDER when that fails (`result`
 * says so and where; the status is still SEALMAIL_OK: the message was
 * sent, and it is never lost).  Without a "sent" setting no copy is kept.
 *
 * @param result  filled in on SEALMAIL_OK (may be NULL)
 * @return SEALMAIL_OK; protect's statuses (ENOKEY, ERECIPIENTS, EDECLINED,
 *         EBADDATA, EPASSPHRASE, ...); SEALMAIL_EINVAL (no recipients, no
 *         smtp setting for the account: the message says how to set it;
 *         an `opts` address longer than the 254 bytes SMTP allows);
 *         SEALMAIL_EBADDATA (such an address in the message: never cut,
 *         refused before anything is protected or sent);
 *         SEALMAIL_EUNSUPPORTED (an address with a UTF-8 local part: it
 *         needs SMTPUTF8, not supported yet; refused as early);
 *         the submission's status (SEALMAIL_EIO with the server's answer,
 *         SEALMAIL_EPASSPHRASE when the login is refused): nothing was
 *         sent and nothing stored; SEALMAIL_EIO when a Bcc copy failed
 *         after the main copy was sent (the message says which)
 */
SEALMAIL_EXTERN(int)
sealmail_message_send(sealmail_store *store,
                      sealmail_input *in,
                      const sealmail_send_options *opts,
                      sealmail_submit_result *result,
                      sealmail_error *err) SEALMAIL_WARN_UNUSED;

#ifdef __cplusplus
}
#endif

#endif
