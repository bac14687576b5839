/* SPDX-License-Identifier: MIT */
/*
 * The report's structure, for the library files that fill it (open.c,
 * open_env.c): plain fields set directly, findings added with their words.
 * report.c has the public accessors and the JSON writer.
 */
#ifndef SM_REPORT_INT_H
#define SM_REPORT_INT_H

#include "crypto/crypto.h"
#include "internal.h"

struct sealmail_signature {
	sealmail_sig_state state;
	const char *kind;  /* "clear", "opaque" (static) */
	char *signer_name; /* owned, "" when unknown */
	char *signer_address;
	char fingerprint[SM_FINGERPRINT_SIZE];
	char algorithm[64];
	const char *trust; /* static token */
	char *trust_words; /* owned */
	int64_t signing_time;
	bool valid_at_signing, valid_now, from_matches;
	sealmail_rewrite rewrite;
	char part[64];
};

typedef struct sm_finding {
	sealmail_verdict severity;
	const char *code; /* static */
	char *text;       /* owned */
} sm_finding;

struct sealmail_report {
	char *from, *subject;
	int64_t date; /* the message's Date, Unix time; 0: none */
	sealmail_coverage coverage;
	char **unsigned_parts;
	size_t nunsigned;
	sm_finding *findings;
	size_t nfindings;
	struct sealmail_signature **sigs;
	size_t nsigs;
	bool acknowledged;
	/* the encryption layer (issue 4; filled by open_env.c) */
	bool encrypted;
	char *enc_algorithm;
	bool enc_authenticated;
	char *enc_decrypted_by; /* fingerprint of my ID, NULL when none */
	char **enc_recipients;
	size_t nrecipients;
	/* leaves outside every encrypted layer (EFAIL: "partly encrypted") */
	char **unencrypted_parts;
	size_t nunencrypted;
};

int sm_report_new(sealmail_report **out, sealmail_error *err);
/* Replace *field by a copy of s (NULL -> ""). */
int sm_report_set(char **field, const char *s, sealmail_error *err);
/* Add a finding with its one-line text (printf). */
int sm_report_add_finding(sealmail_report *r,
                          sealmail_verdict severity,
                          const char *code,
                          sealmail_error *err,
                          const char *fmt,
                          ...) SM_PRINTF(5, 6);
/* Add an empty signature record (strings "", state NO_CERT); borrowed. */
int sm_report_add_signature(struct sealmail_signature **out,
                            sealmail_report *r,
                            sealmail_error *err);
int sm_report_add_unsigned_part(sealmail_report *r,
                                const char *desc,
                                sealmail_error *err);
/* Set the encryption layer; recipients added one by one. */
int sm_report_set_encryption(sealmail_report *r,
                             const char *algorithm,
                             bool authenticated,
                             const char *decrypted_by,
                             sealmail_error *err);
int sm_report_add_recipient(sealmail_report *r,
                            const char *desc,
                            sealmail_error *err);
/* A part outside every encrypted layer ("part 1.1: text/html"). */
int sm_report_add_unencrypted_part(sealmail_report *r,
                                   const char *desc,
                                   sealmail_error *err);
/* True if a finding with this code exists. */
bool sm_report_has_finding(const sealmail_report *r, const char *code);

#endif
