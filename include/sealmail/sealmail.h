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

/**
 * For a program that uses OpenSSL only through libsealmail, such as the
 * sealmail command: call once, before any other sealmail function.  OpenSSL
 * then leaves its global tables for the operating system to reclaim when
 * the process exits instead of freeing them one by one, and loads none of
 * its error strings: an OpenSSL reason in a sealmail_error message is given
 * by its code instead ("OpenSSL error 0680008E", which `openssl errstr
 * 0680008E` spells out).  OpenSSL's configuration file (openssl.cnf) is
 * not read at start but when the network (send, IMAP) is first used, for
 * its TLS policy; sealmail's own cryptography never reads it.  SQLite
 * makes no initial page-cache allocation per connection (pages are
 * allocated as they are read).  A program that uses OpenSSL or SQLite
 * itself must not call it: it changes their process-wide initialisation
 * for the whole program.  Returns SEALMAIL_OK, or
 * SEALMAIL_ERROR when OpenSSL cannot be initialised (`err` says so).
 */
SEALMAIL_EXTERN(int)
sealmail_standalone_init(sealmail_error *err) SEALMAIL_WARN_UNUSED;

#ifdef __cplusplus
}
#endif

#endif
