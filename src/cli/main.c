/* SPDX-License-Identifier: MIT */
/*
 * The sealmail command: the command table, store location, and the one table
 * that maps library statuses to exit codes.  Uses only the public API.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "out.h"
#include "prompt.h"

static const struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
} commands[] = {
        {"id", cmd_id, "your digital IDs: create, import, list, export"},
        {"account", cmd_account, "per-address security settings"},
        {"book", cmd_book, "the address book: certificates and trust"},
        {"ca", cmd_ca, "certificate authorities you trust"},
        {"protect", cmd_protect, "sign a message before sending it"},
        {"open", cmd_open, "check a received message's signatures"},
        {"list", cmd_list, "list a mailbox with each message's security state"},
        {"send", cmd_send, "protect a message and send it (SMTP, Sent copy)"},
        {"sendmail", cmd_sendmail,
         "sendmail-compatible sending for mail programs"},
};

/* Library status -> sysexits code.  The only such table. */
int
cli_exit_code(int status)
{
	switch (status) {
	case SEALMAIL_OK:
		return 0;
	case SEALMAIL_ENOTFOUND:
		return EXIT_NOUSER;
	case SEALMAIL_EEXISTS:
	case SEALMAIL_EBADDATA:
	case SEALMAIL_ECORRUPT:
	case SEALMAIL_EUNSUPPORTED:
		return EXIT_DATAERR;
	case SEALMAIL_EAMBIGUOUS:
	case SEALMAIL_EINVAL:
		return EXIT_USAGE;
	case SEALMAIL_EPASSPHRASE:
	case SEALMAIL_EPERM:
		return EXIT_NOPERM;
	case SEALMAIL_ENOKEY:
		return 3; /* SPEC: refused, no digital ID for the sender */
	case SEALMAIL_ERECIPIENTS:
		return 4; /* SPEC: recipients without a usable certificate */
	case SEALMAIL_EDECLINED:
		return 5; /* SPEC: encrypt-to-self warning not confirmed */
	case SEALMAIL_EIO:
	case SEALMAIL_ECHANGED:
		return EXIT_IOERR;
	case SEALMAIL_ENOMEM:
		return EXIT_OSERR;
	default:
		return EXIT_SOFTWARE;
	}
}

/* The functions themselves, not cli.h's clang-tidy stand-ins. */
#undef cli_fail
#undef cli_error
#undef cli_usage_error

int
cli_fail(struct cli *cli, int status)
{
	/* the message may quote hostile input: escaped like every report */
	(void)fprintf(stderr, "%s: ", cli->prog);
	out_text(stderr, cli->err.message[0] != '\0'
	                         ? cli->err.message
	                         : sealmail_status_name(status));
	(void)fputc('\n', stderr);
	return cli_exit_code(status);
}

int
cli_error(struct cli *cli, int code, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "%s: ", cli->prog);
	out_text(stderr, msg);
	(void)fputc('\n', stderr);
	return code;
}

int
cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	(void)fprintf(stderr, "%s %s: ", cli->prog,
	              cli->command != NULL ? cli->command : "");
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, " (see '%s %s --help')\n", cli->prog,
	              cli->command != NULL ? cli->command : "");
	return EXIT_USAGE;
}

/* mkdir -p for the parents of the store folder (the store makes the last). */
static int
make_parents(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int
cli_open_store(struct cli *cli)
{
	static char resolved[PATH_MAX];
	sealmail_store_options opts = SEALMAIL_STORE_OPTIONS_INIT;
	const char *home = cli->home;
	int rc;

	if (cli->store != NULL)
		return 0;
	if (home == NULL)
		home = getenv("SEALMAIL_HOME");
	if (home == NULL || *home == '\0') {
		const char *xdg = getenv("XDG_DATA_HOME");
		const char *user = getenv("HOME");
		int n;
		if (xdg != NULL && *xdg == '/')
			n = snprintf(resolved, sizeof(resolved), "%s/sealmail",
			             xdg);
		else if (user != NULL && *user != '\0')
			n = snprintf(resolved, sizeof(resolved),
			             "%s/.local/share/sealmail", user);
		else
			return cli_error(cli, EXIT_USAGE,
			                 "no store: give --home DIR or set "
			                 "SEALMAIL_HOME");
		if (n < 0 || (size_t)n >= sizeof(resolved))
			return cli_error(cli, EXIT_USAGE,
			                 "store path too long");
		home = resolved;
		(void)make_parents(home);
	}
	cli->home = home;
	opts.passphrase = cli_passphrase_cb;
	opts.passphrase_payload = cli;
	rc = sealmail_store_open(&cli->store, home, &opts, &cli->err);
	if (rc != SEALMAIL_OK)
		return cli_fail(cli, rc);
	return 0;
}

int
cli_read_file(struct cli *cli,
              const char *path,
              unsigned char **data_out,
              size_t *len_out)
{
	enum { MAX = 16 << 20 };
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;

	*data_out = NULL;
	*len_out = 0;
	if (f == NULL)
		return cli_error(cli,
		                 errno == ENOENT   ? EXIT_NOINPUT
		                 : errno == EACCES ? EXIT_NOPERM
		                                   : EXIT_IOERR,
		                 "%s: %s", path, strerror(errno));
	for (;;) {
		size_t n;
		if (len == cap) {
			unsigned char *p;
			if (cap >= MAX) {
				free(data);
				if (f != stdin)
					(void)fclose(f);
				return cli_error(cli, EXIT_DATAERR,
				                 "%s: larger than 16 MiB",
				                 path);
			}
			cap = cap == 0 ? 65536 : cap * 2;
			p = realloc(data, cap + 1);
			if (p == NULL) {
				free(data);
				if (f != stdin)
					(void)fclose(f);
				return cli_error(cli, EXIT_OSERR,
				                 "out of memory");
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(data);
		if (f != stdin)
			(void)fclose(f);
		return cli_error(cli, EXIT_IOERR, "%s: read error", path);
	}
	if (f != stdin)
		(void)fclose(f);
	if (data == NULL)
		data = malloc(1);
	if (data == NULL)
		return cli_error(cli, EXIT_OSERR, "out of memory");
	data[len] = '\0';
	*data_out = data;
	*len_out = len;
	return 0;
}

static void
usage(FILE *f)
{
	(void)fprintf(f,
	              "usage: sealmail [--home DIR] [--json] COMMAND [ARGS]\n\n"
	              "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		(void)fprintf(f, "  %-9s %s\n", commands[i].name,
		              commands[i].summary);
	(void)fprintf(f, "\nThe store is --home DIR, else $SEALMAIL_HOME, "
	                 "else $XDG_DATA_HOME/sealmail.\n"
	                 "See sealmail(1) and sealmail-COMMAND(1).\n");
}

/*
 * sealmail may hold private keys and decrypted mail in memory at any moment:
 * refuse core dumps and ptrace attachment by other processes of the same
 * user for the whole run.  Failing to do so is not fatal (e.g. in a
 * container that forbids prctl), the key handling stays correct.
 */
static void
harden_process(void)
{
	const struct rlimit none = {0, 0};

	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * The store of the command that ran, its database closed: the process is
 * about to exit and reclaims the rest (freeing the store's OpenSSL library
 * context took 0.05-0.1 ms of a 3 ms command, issue 7).  Held here, so
 * that the test build's leak checker sees it in use, not lost.
 */
static sealmail_store *volatile exiting_store;

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        CLI_GLOBAL_LONGOPTS,
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0}};
	struct cli cli = {.prog = "sealmail"};
	int c, rc;

	harden_process();
	/* This program uses OpenSSL only through libsealmail. */
	rc = sealmail_standalone_init(&cli.err);
	if (rc != SEALMAIL_OK)
		return cli_fail(&cli, rc);

	/* Global options before the command ("+": stop at the first word). */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
		if (c == 'V') {
			(void)printf("sealmail %s\n", SEALMAIL_VERSION_STRING);
			return 0;
		}
		rc = cli_global_option(&cli, c, optarg);
		if (rc == -1) {
			usage(stdout);
			return 0;
		}
		if (rc != 0) {
			if (c == ':')
				(void)fprintf(
				        stderr,
				        "sealmail: option '%s' needs a value",
				        argv[optind - 1]);
			else
				(void)fprintf(stderr,
				              "sealmail: unknown option '%s'",
				              argv[optind - 1]);
			(void)fprintf(stderr, " (see 'sealmail --help')\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		cli.command = commands[i].name;
		argv += optind;
		argc -= optind;
		optind = 0; /* reset getopt for the command */
		opterr = 1;
		rc = commands[i].run(&cli, argc, argv);
		sealmail_store_close(cli.store);
		exiting_store = cli.store;
		if (fflush(stdout) != 0 && rc == 0)
			rc = cli_error(&cli, EXIT_IOERR, "cannot write output");
		return rc;
	}
	(void)fprintf(stderr, "sealmail: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
