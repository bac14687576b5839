/* SPDX-License-Identifier: MIT */
/* (to be written) */
#include "cli.h"

int
cmd_id(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error(cli, EXIT_SOFTWARE, "id: not implemented yet");
}
