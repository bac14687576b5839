/* SPDX-License-Identifier: MIT */
/*
 * Mail transport in our own types: SMTP submission and IMAP APPEND / UID
 * SEARCH / UID FETCH.  net.c is the only file that includes libcurl; this
 * header names no libcurl type.  Credentials come from the caller and never
 * appear in an error message or on any output.
 */
#ifndef SM_NET_H
#define SM_NET_H

#include <stdint.h>

#include "internal.h"
#include "sealmail/io.h"

typedef enum sm_net_tls {
	/*
	 * smtps:// and imaps://: TLS from the first byte.  smtp:// and
	 * imap://: STARTTLS required, except to a loopback host, where it is
	 * used when the server offers it.
	 */
	SM_NET_TLS_DEFAULT = 0,
	/* No STARTTLS on smtp:// or imap://; the user asked for it by name. */
	SM_NET_TLS_OFF = 1
} sm_net_tls;

typedef struct sm_net_options {
	/*
	 * smtp://HOST[:PORT] or smtps://... for sending; for IMAP the mailbox
	 * URL imap://HOST[:PORT]/MAILBOX or imaps://... (no ";UID=").
	 */
	const char *url;
	const char *user;     /* NULL: no login */
	const char *password; /* secret; NULL with a user: empty */
	/* PEM file of certificates to trust instead of the system's; NULL. */
	const char *ca_file;
	sm_net_tls tls;
	long timeout_sec; /* whole transfer; 0: 300 s */
} sm_net_options;

/*
 * Submit the message read from `msg` over SMTP: MAIL FROM `from`, RCPT TO
 * each of the `nrcpt` addresses in `rcpt`.  Line ends are sent as CRLF;
 * memory stays bounded whatever the message size.  On failure the server's
 * last answer (or the connection problem) is in `err`: EIO (connection,
 * TLS, refusal), EPASSPHRASE (login refused), EINVAL (bad URL or argument).
 */
int sm_net_smtp_send(const sm_net_options *opts,
                     const char *from,
                     const char *const *rcpt,
                     size_t nrcpt,
                     sealmail_input *msg,
                     sealmail_error *err);

/*
 * Append the message from `msg` to the IMAP mailbox `opts->url`.  The
 * message is first copied (CRLF line ends) to an unlinked temporary file,
 * as APPEND needs its size up front.  EIO, EPASSPHRASE, EINVAL, ENOTFOUND
 * (no such mailbox).
 */
int sm_net_imap_append(const sm_net_options *opts,
                       sealmail_input *msg,
                       sealmail_error *err);

/*
 * Called once per UID, in the server's order.  A non-zero return (a
 * negative status) stops the listing, which then returns it.
 */
typedef int (*sm_net_uid_cb)(uint32_t uid, void *payload);

/*
 * List the UIDs of every message in the mailbox `opts->url` (UID SEARCH
 * ALL), streaming them to `cb`.  EIO, EPASSPHRASE, EINVAL, ENOTFOUND.
 */
int sm_net_imap_uids(const sm_net_options *opts,
                     sm_net_uid_cb cb,
                     void *payload,
                     sealmail_error *err);

/*
 * Fetch the message with `uid` from the mailbox `opts->url` into `out`
 * (not committed).  ENOTFOUND when there is no such UID; EIO, EPASSPHRASE,
 * EINVAL.
 */
int sm_net_imap_fetch(const sm_net_options *opts,
                      uint32_t uid,
                      sealmail_output *out,
                      sealmail_error *err);

/*
 * One IMAP connection for many fetches (libcurl keeps it open and selects
 * the mailbox once).  `opts->url` names the server (and first mailbox).
 * EINVAL; nothing connects before the first sm_net_imap_get().
 */
typedef struct sm_net_imap sm_net_imap;
int sm_net_imap_open(sm_net_imap **out,
                     const sm_net_options *opts,
                     sealmail_error *err);
/* Like sm_net_imap_fetch() for the mailbox URL `box` on that server. */
int sm_net_imap_get(sm_net_imap *s,
                    const char *box,
                    uint32_t uid,
                    sealmail_output *out,
                    sealmail_error *err);
void sm_net_imap_free(sm_net_imap *s);

/* True when `url`'s host is loopback (localhost, 127.0.0.0/8, [::1]). */
bool sm_net_url_is_loopback(const char *url);

#endif
