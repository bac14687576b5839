/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for mailbox.c: mbox splitting and mboxrd unescaping read
 * through every read size from 1 byte up, CRLF mboxes, a message larger
 * than the reader's buffer, non-mbox files; Maildir delivery (tmp/ then
 * new/, nothing left on failure) and iteration order.
 */
#include "mailbox.h"
#include "sealmail/transport.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

typedef struct collected {
	size_t read_size; /* bytes per sealmail_input_read call */
	int count;
	char ids[8][64];
	sm_buf msgs[8];
	int stop_at; /* return an error at this message (1-based), 0 never */
} collected;

static int
collect_cb(const char *id,
           sealmail_input *in,
           void *payload,
           sealmail_error *err)
{
	collected *c = payload;
	unsigned char buf[8192];
	long n;

	if (c->count == 8)
		return sm_error_set(err, SEALMAIL_ERROR, "too many");
	(void)snprintf(c->ids[c->count], sizeof(c->ids[0]), "%s", id);
	sm_buf_init(&c->msgs[c->count], 1 << 24);
	c->count++;
	if (c->stop_at == c->count)
		return sm_error_set(err, SEALMAIL_EDECLINED, "stopped at %s",
		                    id);
	while ((n = sealmail_input_read(in, buf, c->read_size, err)) > 0)
		if (sm_buf_append(&c->msgs[c->count - 1], buf, (size_t)n,
		                  err) != SEALMAIL_OK)
			return SEALMAIL_ENOMEM;
	return n < 0 ? (int)n : 0;
}

static void
collected_free(collected *c)
{
	for (int i = 0; i < c->count; i++)
		sm_buf_free(&c->msgs[i]);
	c->count = 0;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	test_assert(f != NULL);
	if (f == NULL)
		return;
	test_assert_int(fwrite(data, 1, len, f), len);
	(void)fclose(f);
}

static const char mbox_text[] =
        "From alice@example.org Sat Nov 28 10:00:00 2026\n"
        "From: alice@example.org\n"
        "Subject: one\n"
        "\n"
        "body one\n"
        ">From the start\n"
        ">>From two quotes\n"
        ">Fromage is not escaped\n"
        "\n"
        "\n"
        "From bob@example.org Sat Nov 28 10:01:00 2026\n"
        "Subject: two\n"
        "\n"
        "Body with From x inside\n"
        "\n"
        "From carol@example.org Sat Nov 28 10:02:00 2026\n"
        "Subject: three\n"
        "\n"
        "no newline at the end";

static const char *const mbox_expect[] = {
        ("From: alice@example.org\nSubject: one\n\nbody one\n"
         "From the start\n>From two quotes\n>Fromage is not escaped\n\n"),
        "Subject: two\n\nBody with From x inside\n",
        "Subject: three\n\nno newline at the end",
};

static void
test_mbox_every_read_size(void)
{
	const char *dir = test_tmpdir();
	char path[128];
	sealmail_error err;

	(void)snprintf(path, sizeof(path), "%s/mbox", dir);
	write_file(path, mbox_text, strlen(mbox_text));
	for (size_t rs = 1; rs <= 200; rs++) {
		collected c;

		memset(&c, 0, sizeof(c));
		c.read_size = rs;
		test_assert_int(sm_mailbox_foreach(path, collect_cb, &c, &err),
		                SEALMAIL_OK);
		test_assert_int(c.count, 3);
		for (int i = 0; i < c.count && i < 3; i++) {
			char id[8];

			(void)snprintf(id, sizeof(id), "%d", i + 1);
			test_assert_str(c.ids[i], id);
			test_assert_str((char *)c.msgs[i].data, mbox_expect[i]);
		}
		collected_free(&c);
	}
}

static void
test_mbox_crlf(void)
{
	const char *dir = test_tmpdir();
	const char text[] = "From a@example.org Sat Nov 28 10:00:00 2026\r\n"
	                    "Subject: a\r\n\r\n>From here\r\n\r\n"
	                    "From b@example.org Sat Nov 28 10:00:00 2026\r\n"
	                    "Subject: b\r\n\r\nb\r\n";
	char path[128];
	sealmail_error err;
	collected c;

	(void)snprintf(path, sizeof(path), "%s/mbox", dir);
	write_file(path, text, strlen(text));
	memset(&c, 0, sizeof(c));
	c.read_size = 3;
	test_assert_int(sm_mbox_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_OK);
	test_assert_int(c.count, 2);
	test_assert_str((char *)c.msgs[0].data,
	                "Subject: a\r\n\r\nFrom here\r\n");
	test_assert_str((char *)c.msgs[1].data, "Subject: b\r\n\r\nb\r\n");
	collected_free(&c);
}

static void
test_mbox_large_and_unread(void)
{
	const char *dir = test_tmpdir();
	size_t body = 300000, len = 0;
	char path[128], *text = malloc(body + 200);
	sealmail_error err;
	collected c;

	test_assert(text != NULL);
	if (text == NULL)
		return;
	len += (size_t)snprintf(text, 200,
	                        "From x Sat Nov 28 10:00:00 2026\n"
	                        "Subject: big\n\n");
	memset(text + len, 'a', body); /* one 300 kB line */
	len += body;
	len += (size_t)snprintf(text + len, 200,
	                        "\n\nFrom y Sat Nov 28 10:00:00 2026\n\nz\n");
	(void)snprintf(path, sizeof(path), "%s/mbox", dir);
	write_file(path, text, len);

	memset(&c, 0, sizeof(c));
	c.read_size = 8192;
	test_assert_int(sm_mbox_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_OK);
	test_assert_int(c.count, 2);
	test_assert_int(c.msgs[0].len, strlen("Subject: big\n\n") + body + 1);
	test_assert_str((char *)c.msgs[1].data, "\nz\n");
	collected_free(&c);

	/* A callback that stops: its status and message come back. */
	memset(&c, 0, sizeof(c));
	c.read_size = 10;
	c.stop_at = 1;
	test_assert_int(sm_mbox_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_EDECLINED);
	test_assert_str(err.message, "stopped at 1");
	test_assert_int(c.count, 1);
	collected_free(&c);
	free(text);
}

static void
test_mbox_errors(void)
{
	const char *dir = test_tmpdir();
	char path[128], expect[200];
	sealmail_error err;
	collected c;

	memset(&c, 0, sizeof(c));
	c.read_size = 100;
	(void)snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, "", 0);
	test_assert_int(sm_mbox_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_OK);
	test_assert_int(c.count, 0);

	(void)snprintf(path, sizeof(path), "%s/notmbox", dir);
	write_file(path, "Subject: x\n\nx\n", 14);
	test_assert_int(sm_mailbox_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_EBADDATA);
	(void)snprintf(expect, sizeof(expect),
	               "%s: not an mbox (no From_ line at the start)", path);
	test_assert_str(err.message, expect);

	(void)snprintf(path, sizeof(path), "%s/missing", dir);
	test_assert_int(sm_mailbox_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_ENOTFOUND);
	test_assert_int(sm_mbox_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_ENOTFOUND);
	test_assert_int(sm_maildir_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_ENOTFOUND);
	(void)snprintf(path, sizeof(path), "%s/notmbox", dir);
	test_assert_int(sm_maildir_foreach(path, collect_cb, &c, &err),
	                SEALMAIL_EBADDATA);
	test_assert_int(c.count, 0);
}

static long
failing_read(void *buf, size_t len, void *payload)
{
	int *calls = payload;

	if ((*calls)++ == 0) {
		memset(buf, 'x', len < 10 ? len : 10);
		return len < 10 ? (long)len : 10;
	}
	return SEALMAIL_EIO;
}

static void
test_maildir_deliver_and_iterate(void)
{
	const char *dir = test_tmpdir();
	char md[128], sub[160], *p1 = NULL, *p2 = NULL;
	sealmail_input *in = NULL;
	sealmail_error err;
	struct stat st;
	collected c;
	int calls = 0;

	(void)snprintf(md, sizeof(md), "%s/Sent", dir);
	test_assert_int(
	        sealmail_input_new_memory(&in, "Subject: 1\n\n1\n", 14, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_maildir_deliver(md, in, &p1, &err), SEALMAIL_OK);
	sealmail_input_free(in);
	test_assert_int(
	        sealmail_input_new_memory(&in, "Subject: 2\n\n2\n", 14, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_maildir_deliver(md, in, &p2, &err), SEALMAIL_OK);
	sealmail_input_free(in);
	test_assert(p1 != NULL && p2 != NULL && strcmp(p1, p2) != 0);
	(void)snprintf(sub, sizeof(sub), "%s/new/", md);
	test_assert(p1 != NULL && strncmp(p1, sub, strlen(sub)) == 0);
	test_assert(stat(md, &st) == 0 && (st.st_mode & 0777) == 0700);
	test_assert(p1 != NULL && stat(p1, &st) == 0 &&
	            (st.st_mode & 0777) == 0600);
	(void)snprintf(sub, sizeof(sub), "%s/tmp", md);
	test_assert_int(test_count_entries(sub), 0);

	/* A message already seen by a client, in cur/: it comes first. */
	(void)snprintf(sub, sizeof(sub), "%s/cur/1.seen:2,S", md);
	write_file(sub, "Subject: 0\n\n0\n", 14);

	/* An input that fails half-way leaves nothing behind. */
	test_assert_int(
	        sealmail_input_new_callback(&in, failing_read, &calls, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_maildir_deliver(md, in, NULL, &err), SEALMAIL_EIO);
	sealmail_input_free(in);
	(void)snprintf(sub, sizeof(sub), "%s/tmp", md);
	test_assert_int(test_count_entries(sub), 0);
	(void)snprintf(sub, sizeof(sub), "%s/new", md);
	test_assert_int(test_count_entries(sub), 2);

	memset(&c, 0, sizeof(c));
	c.read_size = 5;
	test_assert_int(sm_mailbox_foreach(md, collect_cb, &c, &err),
	                SEALMAIL_OK);
	test_assert_int(c.count, 3);
	test_assert_str(c.ids[0], "cur/1.seen:2,S");
	test_assert_str((char *)c.msgs[0].data, "Subject: 0\n\n0\n");
	test_assert(strncmp(c.ids[1], "new/", 4) == 0);
	/* Names start with the time, so 1 and 2 may tie: compare as a set. */
	test_assert(c.count == 3 && strcmp((char *)c.msgs[1].data,
	                                   (char *)c.msgs[2].data) != 0);
	collected_free(&c);

	/* Delivery where a file blocks the folder. */
	(void)snprintf(sub, sizeof(sub), "%s/cur/1.seen:2,S/x", md);
	test_assert_int(sealmail_input_new_memory(&in, "x", 1, &err),
	                SEALMAIL_OK);
	test_assert(sm_maildir_deliver(sub, in, NULL, &err) < 0);
	sealmail_input_free(in);
	sm_free(p1);
	sm_free(p2);
}

/* Read all of `in` into a string (small messages). */
static void
read_all(sealmail_input *in, char *buf, size_t size)
{
	size_t len = 0;
	long n;
	sealmail_error err;

	while (len + 1 < size &&
	       (n = sealmail_input_read(in, buf + len, size - 1 - len, &err)) >
	               0)
		len += (size_t)n;
	buf[len] = '\0';
}

typedef struct mover {
	const char *from, *to; /* renamed at the first message */
	collected c;
} mover;

static int
move_cb(const char *id, sealmail_input *in, void *payload, sealmail_error *err)
{
	mover *m = payload;

	if (m->from != NULL) {
		test_assert(rename(m->from, m->to) == 0);
		m->from = NULL;
	}
	return collect_cb(id, in, &m->c, err);
}

/*
 * A Maildir message a mail program renames (marked read: new/ to cur/, or
 * its flags changed) is found again by its unique name, when opened by its
 * old name and when it moves during a listing; a gone one is not.
 */
static void
test_maildir_renamed(void)
{
	const char *dir = test_tmpdir();
	char md[128], a[192], b[192], c[192], old[192], buf[64];
	sealmail_input *in = NULL;
	sealmail_error err;
	mover m;

	(void)snprintf(md, sizeof(md), "%s/Renamed", dir);
	(void)snprintf(a, sizeof(a), "%s/cur", md);
	test_assert(mkdir(md, 0700) == 0 && mkdir(a, 0700) == 0);
	(void)snprintf(a, sizeof(a), "%s/new", md);
	test_assert(mkdir(a, 0700) == 0);
	(void)snprintf(old, sizeof(old), "%s/new/100.a", md);
	write_file(old, "A", 1);
	(void)snprintf(a, sizeof(a), "%s/cur/1000.a:2,S", md);
	write_file(a, "X", 1); /* same first characters, other message */

	/* new/100.a marked read: cur/100.a:2,S, then flagged: :2,FS */
	(void)snprintf(b, sizeof(b), "%s/cur/100.a:2,S", md);
	test_assert(rename(old, b) == 0);
	test_assert_int(sm_maildir_open(&in, old, &err), SEALMAIL_OK);
	test_assert_str(sealmail_input_name(in), b);
	read_all(in, buf, sizeof(buf));
	test_assert_str(buf, "A");
	sealmail_input_free(in);
	(void)snprintf(c, sizeof(c), "%s/cur/100.a:2,FS", md);
	test_assert(rename(b, c) == 0);
	test_assert_int(sealmail_mailbox_open_file(&in, old, &err),
	                SEALMAIL_OK);
	test_assert_str(sealmail_input_name(in), c);
	sealmail_input_free(in);
	test_assert_int(sealmail_mailbox_open_file(&in, b, &err), SEALMAIL_OK);
	test_assert_str(sealmail_input_name(in), c);
	sealmail_input_free(in);

	/* Gone: the first open's error stands; no prefix match (1000.a). */
	test_assert(unlink(c) == 0);
	in = NULL;
	test_assert_int(sm_maildir_open(&in, old, &err), SEALMAIL_ENOTFOUND);
	test_assert(in == NULL);
	test_assert(strstr(err.message, old) == err.message &&
	            strstr(err.message, ": No such file or directory") != NULL);
	(void)snprintf(b, sizeof(b), "%s/cur/100", md);
	test_assert_int(sm_maildir_open(&in, b, &err), SEALMAIL_ENOTFOUND);
	/* Not a Maildir's path: opened as it is. */
	(void)snprintf(b, sizeof(b), "%s/other/100.a", md);
	test_assert_int(sm_maildir_open(&in, b, &err), SEALMAIL_ENOTFOUND);

	/*
	 * Listing: new/200.b moves to cur/ while cur/1000.a:2,S is examined;
	 * it is listed once, under its new name.
	 */
	(void)snprintf(old, sizeof(old), "%s/new/200.b", md);
	write_file(old, "B", 1);
	(void)snprintf(b, sizeof(b), "%s/cur/200.b:2,S", md);
	memset(&m, 0, sizeof(m));
	m.from = old;
	m.to = b;
	m.c.read_size = 64;
	test_assert_int(sm_mailbox_foreach(md, move_cb, &m, &err), SEALMAIL_OK);
	test_assert_int(m.c.count, 2);
	test_assert_str(m.c.ids[0], "cur/1000.a:2,S");
	test_assert_str(m.c.ids[1], "cur/200.b:2,S");
	test_assert(m.c.count == 2 && m.c.msgs[1].len == 1 &&
	            m.c.msgs[1].data[0] == 'B');
	collected_free(&m.c);

	/* Deleted while listed: skipped, the listing goes on. */
	memset(&m, 0, sizeof(m));
	m.from = b;
	(void)snprintf(c, sizeof(c), "%s/gone", dir);
	m.to = c;
	m.c.read_size = 64;
	test_assert_int(sm_mailbox_foreach(md, move_cb, &m, &err), SEALMAIL_OK);
	test_assert_int(m.c.count, 1);
	test_assert_str(m.c.ids[0], "cur/1000.a:2,S");
	collected_free(&m.c);
}

/*
 * Out of memory anywhere on the way to a renamed Maildir message: ENOMEM,
 * nothing leaked (ASan), no input handed out; with memory it is found.
 */
static void
test_maildir_renamed_nomem(void)
{
	const char *dir = test_tmpdir();
	char md[128], a[192], old[192], moved[192];
	sealmail_input *in = NULL;
	sealmail_error err;
	int rc = SEALMAIL_ERROR, after_move = 0;
	long n;
	mover m;

	(void)snprintf(md, sizeof(md), "%s/NoMem", dir);
	(void)snprintf(a, sizeof(a), "%s/cur", md);
	test_assert(mkdir(md, 0700) == 0 && mkdir(a, 0700) == 0);
	(void)snprintf(a, sizeof(a), "%s/new", md);
	test_assert(mkdir(a, 0700) == 0);
	(void)snprintf(a, sizeof(a), "%s/cur/0001.x:2,S", md);
	write_file(a, "X", 1);
	(void)snprintf(old, sizeof(old), "%s/new/300.c", md);
	(void)snprintf(moved, sizeof(moved), "%s/cur/300.c:2,S", md);
	write_file(moved, "C", 1);

	for (n = 0; n < 1000; n++) {
		sm_alloc_fail_after(n);
		rc = sm_maildir_open(&in, old, &err);
		sm_alloc_fail_after(-1);
		if (rc == SEALMAIL_OK)
			break;
		test_assert_int(rc, SEALMAIL_ENOMEM);
		test_assert(in == NULL);
	}
	test_assert_int(rc, SEALMAIL_OK);
	test_assert(n >= 5); /* input, root, folder, name, path, input */
	test_assert_str(sealmail_input_name(in), moved);
	sealmail_input_free(in);
	in = NULL;

	/* Listing: new/300.c moves to cur/ while cur/0001.x is examined. */
	for (n = 0; n < 1000; n++) {
		test_assert(rename(moved, old) == 0);
		memset(&m, 0, sizeof(m));
		m.from = old;
		m.to = moved;
		m.c.read_size = 64;
		sm_alloc_fail_after(n);
		rc = sm_mailbox_foreach(md, move_cb, &m, &err);
		sm_alloc_fail_after(-1);
		if (rc == SEALMAIL_OK)
			break;
		test_assert_int(rc, SEALMAIL_ENOMEM);
		if (m.from == NULL) /* failed after the move: the re-find */
			after_move++;
		else
			test_assert(rename(old, moved) == 0);
		collected_free(&m.c);
	}
	test_assert_int(rc, SEALMAIL_OK);
	test_assert(after_move >= 4);
	test_assert_int(m.c.count, 2);
	test_assert_str(m.c.ids[0], "cur/0001.x:2,S");
	test_assert_str(m.c.ids[1], "cur/300.c:2,S");
	collected_free(&m.c);
}

static const struct test_case tests[] = {
        {"mbox_every_read_size", test_mbox_every_read_size},
        {"mbox_crlf", test_mbox_crlf},
        {"mbox_large_and_unread", test_mbox_large_and_unread},
        {"mbox_errors", test_mbox_errors},
        {"maildir_deliver_and_iterate", test_maildir_deliver_and_iterate},
        {"maildir_renamed", test_maildir_renamed},
        {"maildir_renamed_nomem", test_maildir_renamed_nomem},
};

TEST_MAIN(tests)
