/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the public transport API (transport.c) on the real test
 * servers of the "mail" fixture: send, then iterate the recipient's INBOX by
 * URL and fetch the message again by the name the iteration gave; append to
 * a Maildir and read Maildir and mbox messages back by name.
 */
#include "sealmail/transport.h"

#include <sys/stat.h>

#include <time.h>
#include <unistd.h>

#include "internal.h"

#include "harness.h"

static char env_ca[512];
static int port_smtps, port_imaps;

static void
load_env(void)
{
	const char *path = getenv("SEALMAIL_MAIL_ENV");
	char line[512];
	FILE *f;

	if (path == NULL || (f = fopen(path, "r")) == NULL) {
		(void)printf("1..0 # SKIP no mail server environment\n");
		exit(77);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "MAIL_SKIP=", 10) == 0) {
			(void)printf("1..0 # SKIP %s\n", line + 10);
			exit(77);
		}
		if (strncmp(line, "MAIL_CA=", 8) == 0)
			(void)snprintf(env_ca, sizeof(env_ca), "%s", line + 8);
		else if (strncmp(line, "MAIL_SMTPS_PORT=", 16) == 0)
			port_smtps = (int)strtol(line + 16, NULL, 10);
		else if (strncmp(line, "MAIL_IMAPS_PORT=", 16) == 0)
			port_imaps = (int)strtol(line + 16, NULL, 10);
	}
	(void)fclose(f);
	if (port_smtps == 0 || port_imaps == 0 || env_ca[0] == '\0') {
		(void)printf("Bail out! incomplete mail environment %s\n",
		             path);
		exit(1);
	}
}

typedef struct seen {
	const char *token;
	char name[300];
	int count;
} seen;

static int
find_token(const char *name,
           sealmail_input *in,
           void *payload,
           sealmail_error *err)
{
	seen *s = payload;
	char buf[4096];
	long n = sealmail_input_read(in, buf, sizeof(buf) - 1, err);

	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	s->count++;
	if (strstr(buf, s->token) != NULL)
		(void)snprintf(s->name, sizeof(s->name), "%s", name);
	return SEALMAIL_OK;
}

static int
collect(const void *buf, size_t len, void *payload)
{
	return sm_buf_append(payload, buf, len, NULL);
}

/* Fetch `name` into a string (caller sm_buf_free). */
static int
fetch(const char *name,
      const sealmail_transport_options *o,
      sm_buf *b,
      sealmail_error *err)
{
	sealmail_output *out = NULL;
	int rc;

	sm_buf_init(b, 1 << 20);
	rc = sealmail_output_new_callback(&out, collect, b, err);
	if (rc == SEALMAIL_OK)
		rc = sealmail_mailbox_fetch(name, o, out, err);
	sealmail_output_free(out);
	return rc;
}

static void
test_send_iterate_fetch_imap(void)
{
	sealmail_transport_options o = SEALMAIL_TRANSPORT_OPTIONS_INIT;
	const char *rcpt[] = {"carol@example.org"};
	char url[200], box[200], token[80], msg[300], prefix[220];
	sealmail_input *in = NULL;
	sealmail_error err;
	seen s;
	sm_buf b;

	test_assert_int(sealmail_transport_options_init(&o, 99),
	                SEALMAIL_EINVAL);
	test_assert_int(sealmail_transport_options_init(
	                        &o, SEALMAIL_TRANSPORT_OPTIONS_VERSION),
	                SEALMAIL_OK);
	o.ca_file = env_ca;
	o.user = "alice@example.org";
	o.password = "alice-pw";
	(void)snprintf(url, sizeof(url), "smtps://127.0.0.1:%d", port_smtps);
	(void)snprintf(token, sizeof(token), "transport-%ld-%d",
	               (long)time(NULL), (int)getpid());
	(void)snprintf(msg, sizeof(msg), "Subject: %s\r\n\r\nbody\r\n", token);
	test_assert_int(sealmail_input_new_memory(&in, msg, strlen(msg), &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_smtp_send(url, &o, "alice@example.org", rcpt,
	                                   1, in, &err),
	                SEALMAIL_OK);
	sealmail_input_free(in);

	o.user = "carol@example.org";
	o.password = "carol-pw";
	(void)snprintf(box, sizeof(box), "imaps://127.0.0.1:%d/INBOX/",
	               port_imaps);
	memset(&s, 0, sizeof(s));
	s.token = token;
	for (int i = 0; i < 50 && s.name[0] == '\0'; i++) {
		s.count = 0;
		test_assert_int(
		        sealmail_mailbox_foreach(box, &o, find_token, &s, &err),
		        SEALMAIL_OK);
		if (s.name[0] == '\0')
			(void)usleep(200000);
	}
	(void)snprintf(prefix, sizeof(prefix),
	               "imaps://127.0.0.1:%d/INBOX/;UID=", port_imaps);
	test_assert(strncmp(s.name, prefix, strlen(prefix)) == 0);

	test_assert_int(fetch(s.name, &o, &b, &err), SEALMAIL_OK);
	test_assert(b.data != NULL && strstr((char *)b.data, token) != NULL);
	sm_buf_free(&b);

	/* Names that are not messages. */
	test_assert_int(fetch(box, &o, &b, &err), SEALMAIL_EINVAL);
	sm_buf_free(&b);
	(void)snprintf(prefix, sizeof(prefix),
	               "imaps://127.0.0.1:%d/INBOX/;UID=x1", port_imaps);
	test_assert_int(fetch(prefix, &o, &b, &err), SEALMAIL_EINVAL);
	sm_buf_free(&b);
	test_assert_int(fetch("http://example.org/x", &o, &b, &err),
	                SEALMAIL_EINVAL);
	sm_buf_free(&b);
	test_assert_int(
	        sealmail_mailbox_foreach("http://x/", &o, find_token, &s, &err),
	        SEALMAIL_EINVAL);

	/* APPEND by URL reports the mailbox as where it went. */
	{
		char where[200];

		(void)snprintf(box, sizeof(box), "imaps://127.0.0.1:%d/Sent",
		               port_imaps);
		test_assert_int(
		        sealmail_input_new_memory(&in, msg, strlen(msg), &err),
		        SEALMAIL_OK);
		test_assert_int(sealmail_mailbox_append(box, &o, in, where,
		                                        sizeof(where), &err),
		                SEALMAIL_OK);
		test_assert_str(where, box);
		sealmail_input_free(in);
	}
}

static void
test_local_mailboxes(void)
{
	const char *dir = test_tmpdir();
	const char mbox[] = "From a Sat Nov 28 10:00:00 2026\nSubject: 1\n\n"
	                    "one\n\nFrom b Sat Nov 28 10:00:00 2026\n"
	                    "Subject: 2\n\n>From two\n";
	char md[128], path[128], where[256], name[160];
	sealmail_input *in = NULL;
	sealmail_error err;
	seen s;
	sm_buf b;
	FILE *f;

	(void)snprintf(md, sizeof(md), "%s/Maildir", dir);
	test_assert_int(
	        sealmail_input_new_memory(&in, "Subject: m\n\nm\n", 14, &err),
	        SEALMAIL_OK);
	test_assert_int(sealmail_mailbox_append(md, NULL, in, where,
	                                        sizeof(where), &err),
	                SEALMAIL_OK);
	sealmail_input_free(in);
	test_assert(strncmp(where, md, strlen(md)) == 0);
	test_assert_int(fetch(where, NULL, &b, &err), SEALMAIL_OK);
	test_assert_str((char *)b.data, "Subject: m\n\nm\n");
	sm_buf_free(&b);

	memset(&s, 0, sizeof(s));
	s.token = "Subject: m";
	test_assert_int(
	        sealmail_mailbox_foreach(md, NULL, find_token, &s, &err),
	        SEALMAIL_OK);
	test_assert_int(s.count, 1);
	test_assert_str(s.name, where);

	(void)snprintf(path, sizeof(path), "%s/mbox", dir);
	f = fopen(path, "w");
	test_assert(f != NULL);
	if (f != NULL) {
		(void)fputs(mbox, f);
		(void)fclose(f);
	}
	memset(&s, 0, sizeof(s));
	s.token = "Subject: 2";
	test_assert_int(
	        sealmail_mailbox_foreach(path, NULL, find_token, &s, &err),
	        SEALMAIL_OK);
	test_assert_int(s.count, 2);
	(void)snprintf(name, sizeof(name), "%s#2", path);
	test_assert_str(s.name, name);
	test_assert_int(fetch(name, NULL, &b, &err), SEALMAIL_OK);
	test_assert_str((char *)b.data, "Subject: 2\n\nFrom two\n");
	sm_buf_free(&b);
	(void)snprintf(name, sizeof(name), "%s#3", path);
	test_assert_int(fetch(name, NULL, &b, &err), SEALMAIL_ENOTFOUND);
	sm_buf_free(&b);
	(void)snprintf(name, sizeof(name), "%s/none", dir);
	test_assert_int(fetch(name, NULL, &b, &err), SEALMAIL_ENOTFOUND);
	sm_buf_free(&b);
	test_assert_int(
	        sealmail_mailbox_foreach(name, NULL, find_token, &s, &err),
	        SEALMAIL_ENOTFOUND);
	test_assert_int(sealmail_input_new_memory(&in, "x", 1, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_mailbox_append("smtp://127.0.0.1/", NULL, in,
	                                        NULL, 0, &err),
	                SEALMAIL_EINVAL);
	sealmail_input_free(in);
}

static void
test_submit_and_keep(void)
{
	sealmail_transport_options o = SEALMAIL_TRANSPORT_OPTIONS_INIT;
	const char *rcpt[] = {"bob@example.org"};
	const char *bad[] = {"nobody@example.org"};
	const char *home = test_tmpdir();
	char smtp[100], sent[100], dead[100], token[80], msg[200], dir[200];
	sealmail_submit_result r;
	sealmail_store *store = NULL;
	sealmail_input *in = NULL;
	sealmail_error err;
	seen s;
	sm_buf b;

	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	if (store == NULL)
		return;
	o.ca_file = env_ca;
	o.user = "alice@example.org";
	o.password = "alice-pw";
	(void)snprintf(smtp, sizeof(smtp), "smtps://127.0.0.1:%d", port_smtps);
	(void)snprintf(sent, sizeof(sent), "imaps://127.0.0.1:%d/Sent",
	               port_imaps);
	(void)snprintf(dead, sizeof(dead), "imaps://127.0.0.1:1/Sent");
	(void)snprintf(token, sizeof(token), "submit-%ld-%d", (long)time(NULL),
	               (int)getpid());
	(void)snprintf(msg, sizeof(msg), "Subject: %s\r\n\r\nbody\r\n", token);
	(void)snprintf(dir, sizeof(dir), "%s/%s/new", home,
	               SEALMAIL_UNSAVED_SENT_FOLDER);

	/* Sent and stored in Sent. */
	test_assert_int(sealmail_input_new_memory(&in, msg, strlen(msg), &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_mail_submit(store, smtp, sent, &o,
	                                     "alice@example.org", rcpt, 1, in,
	                                     &r, &err),
	                SEALMAIL_OK);
	sealmail_input_free(in);
	test_assert(r.stored_in_sent && !r.kept_locally);
	test_assert_str(r.where, sent);
	memset(&s, 0, sizeof(s));
	s.token = token;
	test_assert_int(
	        sealmail_mailbox_foreach(sent, &o, find_token, &s, &err),
	        SEALMAIL_OK);
	test_assert(s.name[0] != '\0');

	/* The SMTP server refuses: nothing kept anywhere. */
	test_assert_int(sealmail_input_new_memory(&in, msg, strlen(msg), &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_mail_submit(store, smtp, dead, &o,
	                                     "alice@example.org", bad, 1, in,
	                                     &r, &err),
	                SEALMAIL_EIO);
	sealmail_input_free(in);
	test_assert(strstr(err.message, "550") != NULL);
	test_assert(!r.stored_in_sent && !r.kept_locally);
	test_assert_int(test_count_entries(dir), -1);

	/* Sent, but the IMAP server is gone: kept in the store. */
	test_assert_int(sealmail_input_new_memory(&in, msg, strlen(msg), &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_mail_submit(store, smtp, dead, &o,
	                                     "alice@example.org", rcpt, 1, in,
	                                     &r, &err),
	                SEALMAIL_OK);
	sealmail_input_free(in);
	test_assert(!r.stored_in_sent && r.kept_locally);
	test_assert(strncmp(r.where, dir, strlen(dir)) == 0);
	test_assert(strstr(r.sent_error.message, "imaps://127.0.0.1:1") !=
	            NULL);
	test_assert_int(test_count_entries(dir), 1);
	test_assert_int(fetch(r.where, NULL, &b, &err), SEALMAIL_OK);
	test_assert_str((char *)b.data, msg);
	sm_buf_free(&b);

	/* No Sent mailbox asked for. */
	test_assert_int(sealmail_input_new_memory(&in, msg, strlen(msg), &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_mail_submit(store, smtp, NULL, &o,
	                                     "alice@example.org", rcpt, 1, in,
	                                     &r, &err),
	                SEALMAIL_OK);
	sealmail_input_free(in);
	test_assert(!r.stored_in_sent && !r.kept_locally);
	test_assert_int(test_count_entries(dir), 1);
	sealmail_store_free(store);

	/* Neither Sent nor the local folder can keep it: said loudly. */
	home = test_tmpdir();
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	if (store == NULL)
		return;
	(void)snprintf(dir, sizeof(dir), "%s/%s", home,
	               SEALMAIL_UNSAVED_SENT_FOLDER);
	{
		FILE *f = fopen(dir, "w"); /* a file where the folder goes */

		test_assert(f != NULL);
		if (f != NULL)
			(void)fclose(f);
	}
	test_assert_int(sealmail_input_new_memory(&in, msg, strlen(msg), &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_mail_submit(store, smtp, dead, &o,
	                                     "alice@example.org", rcpt, 1, in,
	                                     &r, &err),
	                SEALMAIL_EIO);
	sealmail_input_free(in);
	test_assert(strstr(err.message, "the message was sent, but neither") ==
	            err.message);
	sealmail_store_free(store);
}

static const struct test_case tests[] = {
        {"send_iterate_fetch_imap", test_send_iterate_fetch_imap},
        {"local_mailboxes", test_local_mailboxes},
        {"submit_and_keep", test_submit_and_keep},
};

int
main(int argc, char **argv)
{
	load_env();
	return test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
