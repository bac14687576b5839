/* SPDX-License-Identifier: MIT */
/*
 * Mail server passwords for the CLI: from a password file (first line;
 * refused when others may read it) or from a password command (its first
 * line of output, run through /bin/sh).  Never from the command line, never
 * stored by sealmail; the buffer is the caller's and is wiped by it.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Keep the first line of buf[0..len) as a C string; false when too long. */
static bool
first_line(char *buf, size_t len, size_t cap)
{
	size_t n = strcspn(buf, "\r\n");

	if (n == len && len == cap - 1)
		return false; /* filled the buffer without an end of line */
	buf[n] = '\0';
	return true;
}

static size_t
read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

int
cli_password_from_file(struct cli *cli, const char *path, char *buf, size_t cap)
{
	struct stat st;
	size_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cli_error(cli,
		                 errno == ENOENT ? EXIT_NOINPUT : EXIT_NOPERM,
		                 "password-file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return cli_error(cli, EXIT_DATAERR,
		                 "password-file %s is not a regular file",
		                 path);
	}
	if (st.st_mode & 077) {
		(void)close(fd);
		return cli_error(cli, EXIT_NOPERM,
		                 "password-file %s may be read by others; "
		                 "chmod 600 it",
		                 path);
	}
	len = read_all(fd, buf, cap);
	(void)close(fd);
	if (!first_line(buf, len, cap))
		return cli_error(cli, EXIT_DATAERR,
		                 "password-file %s: the password is too long",
		                 path);
	return 0;
}

int
cli_password_from_command(struct cli *cli,
                          const char *command,
                          char *buf,
                          size_t cap)
{
	posix_spawn_file_actions_t fa;
	char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = {sh, dash_c, NULL, NULL};
	int pipefd[2], status, rc;
	size_t len;
	pid_t pid;

	argv[2] = (char *)(uintptr_t)command;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return cli_error(cli, EXIT_OSERR, "pipe: %s", strerror(errno));
	if (posix_spawn_file_actions_init(&fa) != 0) {
		(void)close(pipefd[0]);
		(void)close(pipefd[1]);
		return cli_error(cli, EXIT_OSERR,
		                 "cannot run password-command");
	}
	(void)posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	(void)posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	                                       O_RDONLY, 0);
	rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	(void)close(pipefd[1]);
	if (rc != 0) {
		(void)close(pipefd[0]);
		return cli_error(cli, EXIT_OSERR,
		                 "cannot run password-command: %s",
		                 strerror(rc));
	}
	len = read_all(pipefd[0], buf, cap);
	(void)close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		explicit_bzero(buf, cap);
		if (WIFEXITED(status))
			return cli_error(cli, EXIT_CONFIG,
			                 "password-command failed (exit "
			                 "status %d)",
			                 WEXITSTATUS(status));
		return cli_error(cli, EXIT_CONFIG,
		                 "password-command failed (signal %d)",
		                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	if (!first_line(buf, len, cap)) {
		explicit_bzero(buf, cap);
		return cli_error(cli, EXIT_DATAERR,
		                 "password-command: the password is too long");
	}
	return 0;
}

int
cli_mail_option(struct cli_mail *m, int c, const char *arg)
{
	switch (c) {
	case OPT_MAIL_USER:
		m->user = arg;
		return 0;
	case OPT_MAIL_PASSWORD_FILE:
		m->password_file = arg;
		return 0;
	case OPT_MAIL_PASSWORD_COMMAND:
		m->password_command = arg;
		return 0;
	case OPT_MAIL_CA_FILE:
		m->ca_file = arg;
		return 0;
	case OPT_MAIL_NO_STARTTLS:
		m->no_starttls = true;
		return 0;
	default:
		return 1;
	}
}

/* Length of "SCHEME://AUTHORITY" of an imap(s) URL; 0 when not one. */
static size_t
server_len(const char *url)
{
	const char *p;

	if (url == NULL || (strncmp(url, "imap://", 7) != 0 &&
	                    strncmp(url, "imaps://", 8) != 0))
		return 0;
	p = strstr(url, "://") + 3;
	return (size_t)(p - url) + strcspn(p, "/");
}

/* 2: `url` is in `box` (or is it); 1: same server; 0: neither. */
static int
match(const char *url, const char *box)
{
	size_t n = server_len(box), blen;

	if (n == 0 || n != server_len(url) || strncasecmp(url, box, n) != 0)
		return 0;
	blen = strlen(box);
	while (blen > n && box[blen - 1] == '/')
		blen--;
	if (blen > n && strncmp(url, box, blen) == 0 &&
	    (url[blen] == '\0' || url[blen] == '/'))
		return 2;
	return 1;
}

static const char *
setting(const sealmail_account *a, const char *key)
{
	const char *v = sealmail_account_get(a, key);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
cli_mail_from_account(struct cli *cli, struct cli_mail *m, const char *url)
{
	const sealmail_account *best = NULL;
	int best_score = 0, ties = 0, rc;

	if (m->user != NULL || server_len(url) == 0)
		return 0;
	if (m->accounts == NULL) {
		rc = sealmail_account_list(&m->accounts, cli->store, &cli->err);
		if (rc != SEALMAIL_OK)
			return cli_fail(cli, rc);
	}
	for (size_t i = 0; i < sealmail_account_list_count(m->accounts); i++) {
		const sealmail_account *a =
		        sealmail_account_list_at(m->accounts, i);
		int in = match(url,
		               setting(a, "inbox") ? setting(a, "inbox") : ""),
		    sent = match(url,
		                 setting(a, "sent") ? setting(a, "sent") : ""),
		    score = in > sent ? in : sent;

		if (score > best_score) {
			best = a, best_score = score, ties = 0;
		} else if (score > 0 && score == best_score) {
			ties++;
		}
	}
	if (best == NULL || ties > 0)
		return 0;
	m->user = setting(best, "imap-user") ? setting(best, "imap-user")
	                                     : setting(best, "smtp-user");
	if (m->password_file == NULL && m->password_command == NULL) {
		m->password_file = setting(best, "password-file");
		m->password_command =
		        m->password_file == NULL
		                ? setting(best, "password-command")
		                : NULL;
	}
	if (m->ca_file == NULL)
		m->ca_file = setting(best, "ca-file");
	if (setting(best, "starttls") != NULL &&
	    strcmp(setting(best, "starttls"), "no") == 0)
		m->no_starttls = true;
	return 0;
}

int
cli_mail_transport(struct cli *cli,
                   struct cli_mail *m,
                   sealmail_transport_options *o)
{
	int rc = 0;

	if (m->password_file != NULL && m->password_command != NULL)
		return cli_usage_error(cli,
		                       "give --mail-password-file or "
		                       "--mail-password-command, not both");
	if (m->password_file != NULL)
		rc = cli_password_from_file(cli, m->password_file, m->password,
		                            sizeof(m->password));
	else if (m->password_command != NULL)
		rc = cli_password_from_command(cli, m->password_command,
		                               m->password,
		                               sizeof(m->password));
	if (rc != 0)
		return rc;
	o->user = m->user;
	o->password =
	        (m->password_file || m->password_command) ? m->password : NULL;
	o->ca_file = m->ca_file;
	if (m->no_starttls)
		o->flags |= SEALMAIL_TRANSPORT_NO_STARTTLS;
	return 0;
}

void
cli_mail_done(struct cli_mail *m)
{
	explicit_bzero(m->password, sizeof(m->password));
	sealmail_account_list_free(m->accounts);
	m->accounts = NULL;
}
