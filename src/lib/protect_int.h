/* SPDX-License-Identifier: MIT */
/*
 * Between protect.c (signing, the pipeline's frame) and protect_env.c
 * (encryption, issue 4).  protect.c produces the entity to encrypt -- the
 * signed entity with sign+encrypt, else the canonical content -- as a
 * writer this side calls, streaming into the encryption.
 */
#ifndef SM_PROTECT_INT_H
#define SM_PROTECT_INT_H

#include "account_int.h"
#include "internal.h"
#include "mime.h"

/*
 * Encryption is planned before anything is signed or written: the plan
 * holds every recipient's certificate, or the refusal -- ERECIPIENTS with
 * every recipient problem (also recorded in opts->result), EDECLINED when
 * I have no encryption certificate of my own and did not confirm (YES flag
 * or opts->confirm) -- so that a refusal asks no passphrase and writes
 * nothing.  `original`, `top` and `opts` must outlive the plan; `settings`
 * are the sender's account settings (read once per message), used now.
 */
typedef struct sm_env_plan sm_env_plan;

int sm_protect_encrypt_plan(sm_env_plan **out,
                            sealmail_store *store,
                            sm_mime_source *original,
                            const sm_mime_entity *top,
                            const char *sender,
                            const sm_account_settings *settings,
                            const sealmail_protect_options *opts,
                            sealmail_error *err);
void sm_env_plan_free(sm_env_plan *plan);

/*
 * Writes the entity to encrypt (a MIME entity: its Content-* headers and
 * body, CRLF) to `write`; called once per copy, or once into a private
 * temporary when there are several copies.  With `speculate` it may return
 * SM_MIME_RETRY (sm_mime_write_canonical_spec): the copy is then started
 * again, its output rewound, without `speculate`.
 */
typedef int (*sm_protect_content_fn)(sm_mime_write_fn write,
                                     void *write_payload,
                                     bool speculate,
                                     void *payload,
                                     sealmail_error *err);

/*
 * Encrypt the entity `content` writes as planned and write the whole
 * protected message -- the original's outer headers without Bcc,
 * MIME-Version, the application/pkcs7-mime entity -- to `out`: one copy
 * for the visible recipients and me, and one per Bcc recipient to the
 * output opts->bcc_output gives.  With one copy the entity streams
 * straight into the encryption; with Bcc copies it is written once to a
 * private temporary and every copy encrypts the same bytes.
 */
int sm_protect_encrypt(sm_env_plan *plan,
                       sm_protect_content_fn content,
                       void *payload,
                       sealmail_output *out,
                       sealmail_error *err);

/* Filling a sealmail_protect_result (protect_env.c). */
int sm_protect_result_add_problem(sealmail_protect_result *result,
                                  const char *address,
                                  const char *reason,
                                  sealmail_error *err);
int sm_protect_result_add_warning(sealmail_protect_result *result,
                                  const char *text,
                                  sealmail_error *err);
int sm_protect_result_set_cipher(sealmail_protect_result *result,
                                 const char *cipher,
                                 sealmail_error *err);

#endif
