/* SPDX-License-Identifier: MIT */
/*
 * Passphrases: from --passphrase-file / --password-file (first line), else
 * a prompt on the terminal with echo off.  Never printed, wiped after use.
 */
#include "prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int
read_first_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	(void)close(fd);
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return (int)strlen(buf);
}

static int
ask_tty(const char *prompt, char *buf, size_t size)
{
	struct termios old, noecho;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	size_t len = 0;
	char c;
	bool restore = false;

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSAFLUSH, &noecho) == 0;
	}
	(void)!write(fd, prompt, strlen(prompt));
	while (read(fd, &c, 1) == 1 && c != '\n' && c != '\r') {
		if (len + 1 < size)
			buf[len++] = c;
	}
	buf[len] = '\0';
	c = 0;
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	(void)close(fd);
	return (int)len;
}

int
cli_passphrase_cb(char *buf,
                  size_t size,
                  sealmail_passphrase_reason reason,
                  const char *what,
                  void *payload)
{
	const struct cli *cli = payload;
	const char *file;
	char prompt[512];
	char again[1024];
	int n;

	if (reason == SEALMAIL_PASSPHRASE_PKCS12_IMPORT ||
	    reason == SEALMAIL_PASSPHRASE_PKCS12_EXPORT)
		file = cli->password_file;
	else
		file = cli->passphrase_file;
	if (file != NULL)
		return read_first_line(file, buf, size);

	switch (reason) {
	case SEALMAIL_PASSPHRASE_NEW:
		(void)snprintf(prompt, sizeof(prompt),
		               "New passphrase for %s: ", what);
		break;
	case SEALMAIL_PASSPHRASE_PKCS12_IMPORT:
		(void)snprintf(prompt, sizeof(prompt),
		               "Password for %s: ", what);
		break;
	case SEALMAIL_PASSPHRASE_PKCS12_EXPORT:
		(void)snprintf(prompt, sizeof(prompt),
		               "New password for %s: ", what);
		break;
	case SEALMAIL_PASSPHRASE_UNLOCK:
	default:
		(void)snprintf(prompt, sizeof(prompt),
		               "Passphrase for %s: ", what);
		break;
	}
	n = ask_tty(prompt, buf, size);
	if (n < 0)
		return -1;
	if (reason == SEALMAIL_PASSPHRASE_NEW ||
	    reason == SEALMAIL_PASSPHRASE_PKCS12_EXPORT) {
		int m = ask_tty("Again: ", again, sizeof(again));
		bool same = m == n && strcmp(again, buf) == 0;
		explicit_bzero(again, sizeof(again));
		if (!same) {
			explicit_bzero(buf, size);
			(void)fprintf(stderr, "sealmail: the passphrases do "
			                      "not match\n");
			return -1;
		}
	}
	return n;
}

bool
cli_confirm_cb(const char *question, void *payload)
{
	char answer[16];
	int fd;

	(void)payload;
	/* Only a person at a terminal can say yes; scripts use --yes. */
	if (!isatty(STDERR_FILENO))
		return false;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	(void)!write(fd, "sealmail: ", 10);
	(void)!write(fd, question, strlen(question));
	(void)!write(fd, "\nSend it anyway? [y/N] ", 23);
	{
		size_t len = 0;
		char c;
		while (read(fd, &c, 1) == 1 && c != '\n' && c != '\r')
			if (len + 1 < sizeof(answer))
				answer[len++] = c;
		answer[len] = '\0';
	}
	(void)close(fd);
	return answer[0] == 'y' || answer[0] == 'Y';
}
