/* SPDX-License-Identifier: MIT */
/* The CLI's passphrase callback; payload is the struct cli. */
#ifndef CLI_PROMPT_H
#define CLI_PROMPT_H

#include "cli.h"

int cli_passphrase_cb(char *buf, size_t size, sealmail_passphrase_reason reason,
		      const char *what, void *payload);

#endif
