/* SPDX-License-Identifier: MIT */
/* (to be written: the id API) */
#ifndef SEALMAIL_ID_H
#define SEALMAIL_ID_H

#include "common.h"
#include "store.h"

#endif
