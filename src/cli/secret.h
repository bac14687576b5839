/* SPDX-License-Identifier: MIT */
/*
 * Mail server logins for the CLI: the --user / --mail-password-file /
 * --mail-password-command / --ca-file / --no-starttls options and the
 * password they lead to (never taken from the command line itself).
 */
#ifndef CLI_SECRET_H
#define CLI_SECRET_H

#include "cli.h"

/* Password from the first line of `path` (mode 0600 or stricter). */
int cli_password_from_file(struct cli *cli,
                           const char *path,
                           char *buf,
                           size_t cap);
/* Password from the first line `command` (run by /bin/sh) prints. */
int cli_password_from_command(struct cli *cli,
                              const char *command,
                              char *buf,
                              size_t cap);

enum {
	OPT_MAIL_USER = 0x3000,
	OPT_MAIL_PASSWORD_FILE,
	OPT_MAIL_PASSWORD_COMMAND,
	OPT_MAIL_CA_FILE,
	OPT_MAIL_NO_STARTTLS
};

#define CLI_MAIL_LONGOPTS                                               \
	{"user", required_argument, NULL, OPT_MAIL_USER},               \
	        {"mail-password-file", required_argument, NULL,         \
	         OPT_MAIL_PASSWORD_FILE},                               \
	        {"mail-password-command", required_argument, NULL,      \
	         OPT_MAIL_PASSWORD_COMMAND},                            \
	        {"ca-file", required_argument, NULL, OPT_MAIL_CA_FILE}, \
	{                                                               \
		"no-starttls", no_argument, NULL, OPT_MAIL_NO_STARTTLS  \
	}

struct cli_mail {
	const char *user, *password_file, *password_command, *ca_file;
	bool no_starttls;
	char password[1024];         /* wiped by cli_mail_done */
	sealmail_accounts *accounts; /* owns the settings taken from one */
};

/* Handle one of the options above: 0 handled, 1 not one of ours. */
int cli_mail_option(struct cli_mail *m, int c, const char *arg);
/*
 * Without --user: take the login (imap-user, else smtp-user;
 * password-file or password-command; ca-file; starttls) from the account
 * whose inbox or sent mailbox is on the server of `url` (same scheme, host
 * and port); when several are, the one whose mailbox `url` is in, if only
 * one is.  No such account: nothing changes.  0 or exit code.
 */
int cli_mail_from_account(struct cli *cli, struct cli_mail *m, const char *url);
/* Fill `o` (reading the password if one is configured); 0 or exit code. */
int cli_mail_transport(struct cli *cli,
                       struct cli_mail *m,
                       sealmail_transport_options *o);
void cli_mail_done(struct cli_mail *m);

#endif
