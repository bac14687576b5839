/* SPDX-License-Identifier: MIT */
/*
 * libsealmail: S/MIME digital IDs, address book and trust, signed and
 * encrypted mail.  The umbrella header; include this one.
 */
#ifndef SEALMAIL_H
#define SEALMAIL_H

#define SEALMAIL_VERSION_MAJOR 0
#define SEALMAIL_VERSION_MINOR 1
#define SEALMAIL_VERSION_PATCH 0
#define SEALMAIL_VERSION_STRING "0.1.0"
/** MAJOR*1000000 + MINOR*1000 + PATCH, comparable with sealmail_version(). */
#define SEALMAIL_VERSION_NUMBER 1000

#include "account.h"
#include "book.h"
#include "common.h"
#include "id.h"
#include "io.h"
#include "message.h"
#include "report.h"
#include "store.h"
#include "transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The library's SEALMAIL_VERSION_NUMBER, to compare with the header's. */
SEALMAIL_EXTERN(int) sealmail_version(void);

#ifdef __cplusplus
}
#endif

#endif
