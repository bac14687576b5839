/* SPDX-License-Identifier: MIT */
/* (to be written) */
#include "cli.h"

int
cmd_book(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error(cli, EXIT_SOFTWARE, "book: not implemented yet");
}

int
cmd_ca(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error(cli, EXIT_SOFTWARE, "ca: not implemented yet");
}
