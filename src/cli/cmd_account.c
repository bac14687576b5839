/* SPDX-License-Identifier: MIT */
/* (to be written) */
#include "cli.h"

int
cmd_account(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error(cli, EXIT_SOFTWARE, "account: not implemented yet");
}
