/* SPDX-License-Identifier: MIT */
/* The CLI's passphrase callback; payload is the struct cli. */
#ifndef CLI_PROMPT_H
#define CLI_PROMPT_H

#include "cli.h"

int cli_passphrase_cb(char *buf,
                      size_t size,
                      sealmail_passphrase_reason reason,
                      const char *what,
                      void *payload);

/*
 * sealmail_confirm_cb: ask `question` at the terminal (only when standard
 * error is one); true for an answer starting with y.
 */
bool cli_confirm_cb(const char *question, void *payload);

#endif
