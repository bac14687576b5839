/* SPDX-License-Identifier: MIT */
/* (to be written: the account API) */
#ifndef SEALMAIL_ACCOUNT_H
#define SEALMAIL_ACCOUNT_H

#include "common.h"
#include "store.h"

#endif
