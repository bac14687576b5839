/* SPDX-License-Identifier: MIT */
/* (to be written: the book API) */
#ifndef SEALMAIL_BOOK_H
#define SEALMAIL_BOOK_H

#include "common.h"
#include "store.h"

#endif
