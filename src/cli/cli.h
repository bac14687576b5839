/* SPDX-License-Identifier: MIT */
/*
 * Shared by the sealmail command's files: the invocation context, global
 * options, store opening, and the command entry points.  Uses only the
 * public API (sealmail/sealmail.h); never a library-internal header.
 */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "sealmail/sealmail.h"

/* sysexits(3) codes, and the verdict codes from SPEC. */
enum {
	EXIT_USAGE = 64,
	EXIT_DATAERR = 65,
	EXIT_NOINPUT = 66,
	EXIT_NOUSER = 67,
	EXIT_SOFTWARE = 70,
	EXIT_OSERR = 71,
	EXIT_CANTCREAT = 73,
	EXIT_IOERR = 74,
	EXIT_NOPERM = 77,
	EXIT_CONFIG = 78
};

struct cli {
	const char *prog;            /* "sealmail" */
	const char *command;         /* "id", "book", ... for messages */
	const char *home;            /* --home, else resolved at store open */
	bool json;                   /* --json */
	const char *passphrase_file; /* --passphrase-file: key passphrase */
	const char *password_file;   /* --password-file: PKCS#12 password */
	sealmail_store *store;
	sealmail_error err;
};

/*
 * Global options, accepted by every command anywhere on its line.  A command
 * puts CLI_GLOBAL_LONGOPTS at the end of its getopt_long table (before the
 * terminator) and calls cli_global_option() for values >= OPT_GLOBAL_BASE.
 */
enum {
	OPT_GLOBAL_BASE = 0x1000,
	OPT_HOME,
	OPT_JSON,
	OPT_PASSPHRASE_FILE,
	OPT_PASSWORD_FILE,
	OPT_HELP,
	OPT_LOCAL_BASE =
	        0x2000 /* commands number their long-only options from here */
};

#define CLI_GLOBAL_LONGOPTS                                                    \
	{"home", required_argument, NULL, OPT_HOME},                           \
	        {"json", no_argument, NULL, OPT_JSON},                         \
	        {"passphrase-file", required_argument, NULL,                   \
	         OPT_PASSPHRASE_FILE},                                         \
	        {"password-file", required_argument, NULL, OPT_PASSWORD_FILE}, \
	{                                                                      \
		"help", no_argument, NULL, OPT_HELP                            \
	}

/*
 * Handle a global option.  Returns 0 when handled, -1 for OPT_HELP (the
 * caller prints its usage and returns 0), EXIT_USAGE otherwise.
 */
int cli_global_option(struct cli *cli, int c, const char *arg);

/*
 * The rest of a command's getopt_long loop (its optstring starts with ':'):
 * a global option, or a usage error for an unknown option (getopt's '?') or
 * a missing value (':').  Returns 0 when handled, -1 for --help (the caller
 * prints its usage and returns 0), EXIT_USAGE after printing the error.
 */
int cli_option(struct cli *cli, int c, char *const argv[]);

/*
 * The subcommand word of a command that has them (id, account, book, ca),
 * after the global options that may stand before it (`sealmail id --home
 * DIR list`): *word gets its index in argv, argc when there is none.
 * Returns 0, -1 for --help or "help" (the caller prints its usage and
 * returns 0), or EXIT_USAGE after printing the error.
 */
int cli_subcommand(struct cli *cli, int argc, char **argv, int *word);

/* Open the store (resolving --home, $SEALMAIL_HOME, XDG); 0 or exit code. */
int cli_open_store(struct cli *cli);

/* Print "sealmail: <message>" for cli->err and return its exit code. */
int cli_fail(struct cli *cli, int status);
/* Print "sealmail: <formatted>" and return `code`. */
int cli_error(struct cli *cli, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Usage error: "sealmail CMD: <formatted>", then a hint; returns 64. */
int cli_usage_error(struct cli *cli, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#ifdef __clang_analyzer__
/*
 * For clang-tidy only: it sees one file at a time and does not know that
 * these return non-zero for a failure, so it follows "failed, returned 0"
 * paths that cannot happen (main.c #undefs these for the definitions).
 */
#define cli_fail(cli, status) \
	(cli_fail((cli), (status)), (status) != 0 ? EXIT_SOFTWARE : 0)
#define cli_error(cli, code, ...) \
	(cli_error((cli), (code), __VA_ARGS__), (code))
#define cli_usage_error(...) (cli_usage_error(__VA_ARGS__), EXIT_USAGE)
#endif
/* The sysexits code for a library status (one table, main.c). */
int cli_exit_code(int status);

/* Read a whole small file (certificate, key, PKCS#12) into memory. */
int cli_read_file(struct cli *cli,
                  const char *path,
                  unsigned char **data_out,
                  size_t *len_out);

/*
 * The protect flags, shared by protect, send and sendmail (cmd_protect.c):
 * put CLI_PROTECT_LONGOPTS in the getopt_long table and pass each option
 * to cli_protect_option(): 0 handled, 1 not a protect flag, else the exit
 * code of a usage error.  cli_protect_check() refuses exclusive pairs.
 * cli_protect_outcome() prints protect's warnings (status OK) or the error
 * with every recipient problem, and returns the exit code.
 */
enum {
	OPT_SIGN = OPT_LOCAL_BASE + 0x100,
	OPT_ENCRYPT,
	OPT_CLEAR,
	OPT_OPAQUE,
	OPT_PSS,
	OPT_FROM,
	OPT_YES,
	OPT_NO_SIGN,
	OPT_NO_ENCRYPT,
	OPT_OAEP,
	OPT_CIPHER
};
#define CLI_PROTECT_LONGOPTS                                       \
	{"sign", no_argument, NULL, OPT_SIGN},                     \
	        {"encrypt", no_argument, NULL, OPT_ENCRYPT},       \
	        {"clear", no_argument, NULL, OPT_CLEAR},           \
	        {"opaque", no_argument, NULL, OPT_OPAQUE},         \
	        {"pss", no_argument, NULL, OPT_PSS},               \
	        {"from", required_argument, NULL, OPT_FROM},       \
	        {"yes", no_argument, NULL, OPT_YES},               \
	        {"no-sign", no_argument, NULL, OPT_NO_SIGN},       \
	        {"no-encrypt", no_argument, NULL, OPT_NO_ENCRYPT}, \
	        {"oaep", no_argument, NULL, OPT_OAEP},             \
	{                                                          \
		"cipher", required_argument, NULL, OPT_CIPHER      \
	}
int cli_protect_option(struct cli *cli,
                       sealmail_protect_options *opts,
                       int c,
                       const char *arg);
int cli_protect_check(struct cli *cli, const sealmail_protect_options *opts);
int cli_protect_outcome(struct cli *cli,
                        int status,
                        const sealmail_protect_result *result);
/* $TMPDIR when set and not empty (temporaries go there), else NULL. */
const char *cli_temp_dir(void);
/* Input from FILE, or standard input for "-" or NULL; 0 or exit code. */
int cli_open_input(struct cli *cli, sealmail_input **in, const char *path);

/* Commands: argv[0] is the command's name. */
int cmd_id(struct cli *cli, int argc, char **argv);
int cmd_account(struct cli *cli, int argc, char **argv);
int cmd_book(struct cli *cli, int argc, char **argv);
int cmd_ca(struct cli *cli, int argc, char **argv);
int cmd_protect(struct cli *cli, int argc, char **argv);
int cmd_open(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_send(struct cli *cli, int argc, char **argv);
int cmd_sendmail(struct cli *cli, int argc, char **argv);

#endif
