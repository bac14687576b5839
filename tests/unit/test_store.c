/* SPDX-License-Identifier: MIT */
/* Unit tests for store.c: creation, modes, schema, corruption, read-only. */
#include "db.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static void
test_create_modes(void)
{
	const char *dir = test_tmpdir();
	char home[128], db[160];
	sealmail_store *store = NULL;
	sealmail_error err = {0};
	struct stat sb;

	(void)snprintf(home, sizeof(home), "%s/home", dir);
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert(store != NULL);
	test_assert_int(sealmail_store_schema_version(store), 3);
	test_assert_str(sealmail_store_home(store), home);
	test_assert(stat(home, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	(void)snprintf(db, sizeof(db), "%s/store.db", home);
	test_assert(stat(db, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	sealmail_store_free(store);

	/* Reopening keeps the schema and does not migrate again. */
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_store_schema_version(store), 3);
	sealmail_store_free(store);

	/* A widened database file is made 0600 again when opened. */
	test_assert(chmod(db, 0644) == 0);
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert(stat(db, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	sealmail_store_free(store);

	/*
	 * Opening and closing without a change writes nothing to the
	 * database file, not even its inode (no chmod of a file already
	 * 0600): its change time stays (20 ms: past the coarse clock tick).
	 */
	{
		struct stat before;
		test_assert(stat(db, &before) == 0);
		(void)usleep(20000);
		test_assert_int(sealmail_store_open(&store, home, NULL, &err),
		                SEALMAIL_OK);
		sealmail_store_free(store);
		test_assert(stat(db, &sb) == 0 &&
		            sb.st_ctim.tv_sec == before.st_ctim.tv_sec &&
		            sb.st_ctim.tv_nsec == before.st_ctim.tv_nsec);
	}
}

static void
test_no_create(void)
{
	const char *dir = test_tmpdir();
	char home[128];
	sealmail_store_options opts = SEALMAIL_STORE_OPTIONS_INIT;
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	(void)snprintf(home, sizeof(home), "%s/missing", dir);
	opts.flags = SEALMAIL_STORE_NO_CREATE;
	test_assert_int(sealmail_store_open(&store, home, &opts, &err),
	                SEALMAIL_ENOTFOUND);
	test_assert(store == NULL);
	test_assert_int(err.code, SEALMAIL_ENOTFOUND);
	test_assert(access(home, F_OK) != 0);
}

static void
test_corrupt(void)
{
	const char *dir = test_tmpdir();
	char db[160];
	sealmail_store *store = NULL;
	sealmail_error err = {0};
	int fd;

	(void)snprintf(db, sizeof(db), "%s/store.db", dir);
	fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	test_assert(fd >= 0);
	{
		static const char junk[] = "this is not a database at all, "
		                           "not even close to one; garbage "
		                           "garbage garbage garbage\n";
		test_assert(write(fd, junk, sizeof(junk) - 1) ==
		            (ssize_t)(sizeof(junk) - 1));
	}
	(void)close(fd);
	test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
	                SEALMAIL_ECORRUPT);
	test_assert(strstr(err.message, "damaged") != NULL);
}

static void
test_transaction_rollback(void)
{
	const char *dir = test_tmpdir();
	sealmail_store *store = NULL;
	sealmail_error err = {0};
	sm_stmt *st = NULL;

	test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_db_begin(store, &err), SEALMAIL_OK);
	test_assert_int(sm_db_exec(store,
	                           "INSERT INTO contacts(name) VALUES('x')",
	                           &err),
	                SEALMAIL_OK);
	sm_db_rollback(store);
	test_assert_int(sm_stmt_prepare(&st, store,
	                                "SELECT count(*) FROM contacts", &err),
	                SEALMAIL_OK);
	test_assert_int(sm_stmt_step(st, &err), SM_STEP_ROW);
	test_assert_int(sm_stmt_column_int64(st, 0), 0);
	sm_stmt_free(st);
	sealmail_store_free(store);
}

/* sm_store_cache: built once while nothing changes, again after a write
 * by this connection or by another one, and for another maker. */
static int cache_made, cache_freed;

static int
cache_make(void **out, sealmail_store *store, sealmail_error *err)
{
	(void)store;
	(void)err;
	*out = malloc(1);
	cache_made++;
	return *out != NULL ? SEALMAIL_OK : SEALMAIL_ENOMEM;
}

static int
cache_make_other(void **out, sealmail_store *store, sealmail_error *err)
{
	return cache_make(out, store, err);
}

static int
cache_make_fail(void **out, sealmail_store *store, sealmail_error *err)
{
	(void)out;
	(void)store;
	return sm_error_set(err, SEALMAIL_EIO, "cannot make it");
}

static void
cache_free(void *value)
{
	free(value);
	cache_freed++;
}

static void
test_cache(void)
{
	const char *dir = test_tmpdir();
	sealmail_store *store = NULL, *other = NULL;
	sealmail_error err = {0};
	void *a = NULL, *b = NULL;

	cache_made = cache_freed = 0;
	test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_store_cache(&a, store, cache_make, cache_free, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_store_cache(&b, store, cache_make, cache_free, &err),
	                SEALMAIL_OK);
	test_assert(a != NULL && a == b);
	test_assert_int(cache_made, 1);
	/* a write by this connection */
	test_assert_int(sm_db_exec(store,
	                           "INSERT INTO contacts(name) VALUES('x')",
	                           &err),
	                SEALMAIL_OK);
	test_assert_int(sm_store_cache(&b, store, cache_make, cache_free, &err),
	                SEALMAIL_OK);
	test_assert_int(cache_made, 2);
	test_assert_int(cache_freed, 1);
	/* a write by another connection */
	test_assert_int(sealmail_store_open(&other, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_db_exec(other,
	                           "INSERT INTO contacts(name) VALUES('y')",
	                           &err),
	                SEALMAIL_OK);
	sealmail_store_free(other);
	test_assert_int(sm_store_cache(&b, store, cache_make, cache_free, &err),
	                SEALMAIL_OK);
	test_assert_int(cache_made, 3);
	/* another maker, then a failing one: nothing cached */
	test_assert_int(
	        sm_store_cache(&b, store, cache_make_other, cache_free, &err),
	        SEALMAIL_OK);
	test_assert_int(cache_made, 4);
	test_assert_int(
	        sm_store_cache(&b, store, cache_make_fail, cache_free, &err),
	        SEALMAIL_EIO);
	test_assert(b == NULL);
	test_assert_int(cache_freed, 4);
	test_assert_int(sm_store_cache(&b, store, cache_make, cache_free, &err),
	                SEALMAIL_OK);
	sealmail_store_free(store);
	test_assert_int(cache_made, 5);
	test_assert_int(cache_freed, 5);
}

/* A version-1 store (before the mail transport settings) is upgraded. */
static void
test_migrate_v1(void)
{
	const char *dir = test_tmpdir();
	char home[128];
	sealmail_store *store = NULL;
	sealmail_error err = {0};
	sm_stmt *st = NULL;

	(void)snprintf(home, sizeof(home), "%s/v1", dir);
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sm_db_exec(store,
	                   "INSERT INTO accounts (address) "
	                   "VALUES ('old@example.org');"
	                   "ALTER TABLE accounts DROP COLUMN smtp;"
	                   "ALTER TABLE accounts DROP COLUMN smtp_user;"
	                   "ALTER TABLE accounts DROP COLUMN imap_user;"
	                   "ALTER TABLE accounts DROP COLUMN password_file;"
	                   "ALTER TABLE accounts DROP COLUMN password_command;"
	                   "ALTER TABLE accounts DROP COLUMN sent_mailbox;"
	                   "ALTER TABLE accounts DROP COLUMN inbox_mailbox;"
	                   "ALTER TABLE accounts DROP COLUMN ca_file;"
	                   "ALTER TABLE accounts DROP COLUMN starttls;"
	                   "DROP INDEX certificates_serial;"
	                   "PRAGMA user_version = 1",
	                   &err),
	        SEALMAIL_OK);
	sealmail_store_free(store);
	store = NULL;
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_store_schema_version(store), 3);
	test_assert_int(sm_stmt_prepare(&st, store,
	                                "SELECT smtp IS NULL, starttls FROM "
	                                "accounts WHERE address = "
	                                "'old@example.org'",
	                                &err),
	                SEALMAIL_OK);
	test_assert_int(sm_stmt_step(st, &err), SM_STEP_ROW);
	test_assert_int(sm_stmt_column_int64(st, 0), 1);
	test_assert_int(sm_stmt_column_int64(st, 1), 1);
	sm_stmt_free(st);
	sealmail_store_free(store);
}

/* Run one SQL statement on the store in HOME and close it again. */
static void
poke(const char *home, const char *sql)
{
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_db_exec(store, sql, &err), SEALMAIL_OK);
	sealmail_store_free(store);
}

/* The single-row, single-column answer of a PRAGMA or SELECT. */
static char *
query_text(sealmail_store *store, const char *sql)
{
	static char buf[64];
	sealmail_error err = {0};
	sm_stmt *st = NULL;
	const char *v;

	test_assert_int(sm_stmt_prepare(&st, store, sql, &err), SEALMAIL_OK);
	test_assert_int(sm_stmt_step(st, &err), SM_STEP_ROW);
	v = sm_stmt_column_text(st, 0);
	(void)snprintf(buf, sizeof(buf), "%s", v != NULL ? v : "(null)");
	sm_stmt_free(st);
	return buf;
}

/* Every statement of the schema but `skip`, one string (caller frees). */
static char *
schema_sql(sealmail_store *store, const char *skip)
{
	sealmail_error err = {0};
	sm_stmt *st = NULL;
	char *s = NULL;

	test_assert_int(sm_stmt_prepare(&st, store,
	                                "SELECT group_concat(type || ' ' || "
	                                "name || ': ' || coalesce(sql, ''), "
	                                "char(10)) FROM (SELECT * FROM "
	                                "sqlite_schema WHERE name != ?1 "
	                                "ORDER BY name)",
	                                &err),
	                SEALMAIL_OK);
	test_assert_int(sm_stmt_bind_text(st, 1, skip, &err), SEALMAIL_OK);
	test_assert_int(sm_stmt_step(st, &err), SM_STEP_ROW);
	s = sm_strdup(sm_stmt_column_text(st, 0));
	sm_stmt_free(st);
	test_assert(s != NULL && strlen(s) > 100);
	return s;
}

/* How the serial-number lookup of the book (book.c) finds its rows. */
static char *
serial_plan(sealmail_store *store)
{
	static char buf[200];
	sealmail_error err = {0};
	sm_stmt *st = NULL;

	buf[0] = '\0';
	test_assert_int(sm_stmt_prepare(&st, store,
	                                "EXPLAIN QUERY PLAN SELECT der FROM "
	                                "certificates WHERE serial = '01' "
	                                "ORDER BY id",
	                                &err),
	                SEALMAIL_OK);
	while (sm_stmt_step(st, &err) == SM_STEP_ROW) {
		const char *d = sm_stmt_column_text(st, 3);
		size_t n = strlen(buf);

		(void)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "; " : "",
		               d != NULL ? d : "");
	}
	sm_stmt_free(st);
	return buf;
}

/*
 * A version-2 store (before the index on certificates.serial), with a
 * certificate in it, gets the index when opened; nothing else changes.
 */
static void
test_migrate_v2(void)
{
	const char *dir = test_tmpdir();
	char home[128], *before, *after;
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	(void)snprintf(home, sizeof(home), "%s/v2", dir);
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sm_db_exec(store,
	                   "DROP INDEX certificates_serial;"
	                   "INSERT INTO contacts (id, name) VALUES (7, 'Old');"
	                   "INSERT INTO certificates (contact_id, fingerprint,"
	                   " der, subject, issuer, serial, not_before,"
	                   " not_after, trust, added) VALUES (7, 'ab12', x'30',"
	                   " 'CN=old', 'CN=ca', '01', 1, 2, 'trusted', 3);"
	                   "PRAGMA user_version = 2",
	                   &err),
	        SEALMAIL_OK);
	test_assert_str(query_text(store, "SELECT count(*) FROM sqlite_schema "
	                                  "WHERE name = 'certificates_serial'"),
	                "0");
	test_assert(strstr(serial_plan(store), "certificates_serial") == NULL);
	before = schema_sql(store, "certificates_serial");
	sealmail_store_free(store);
	store = NULL;

	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_store_schema_version(store), 3);
	test_assert_str(query_text(store, "PRAGMA user_version"), "3");
	test_assert_str(query_text(store, "SELECT sql FROM sqlite_schema "
	                                  "WHERE name = 'certificates_serial'"),
	                "CREATE INDEX certificates_serial ON "
	                "certificates(serial)");
	test_assert(strstr(serial_plan(store),
	                   "USING INDEX certificates_serial (serial=?)") !=
	            NULL);
	after = schema_sql(store, "certificates_serial");
	test_assert_str(after, before);
	test_assert_str(query_text(store,
	                           "SELECT contact_id || ' ' || fingerprint || "
	                           "' ' || hex(der) || ' ' || serial || ' ' || "
	                           "trust || ' ' || added FROM certificates"),
	                "7 ab12 30 01 trusted 3");
	sm_free(before);
	sm_free(after);
	sealmail_store_free(store);
}

static void
test_wal(void)
{
	const char *dir = test_tmpdir();
	char wal[160];
	sealmail_store *store = NULL;
	sealmail_error err = {0};
	struct stat sb;

	test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_str(query_text(store, "PRAGMA journal_mode"), "wal");
	test_assert_str(query_text(store, "PRAGMA synchronous"), "2");
	test_assert_str(query_text(store, "PRAGMA foreign_keys"), "1");
	/* A write goes to the WAL file, which is 0600 like the database. */
	test_assert_int(sm_db_exec(store,
	                           "INSERT INTO contacts(name) VALUES('x')",
	                           &err),
	                SEALMAIL_OK);
	(void)snprintf(wal, sizeof(wal), "%s/store.db-wal", dir);
	test_assert(stat(wal, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	sealmail_store_free(store);
}

static void
test_migrate_empty_database(void)
{
	const char *dir = test_tmpdir();
	char db[160];
	sealmail_store *store = NULL;
	sealmail_error err = {0};
	int fd;

	/* An empty file is an SQLite database at schema version 0. */
	(void)snprintf(db, sizeof(db), "%s/store.db", dir);
	fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	test_assert(fd >= 0);
	(void)close(fd);
	test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_store_schema_version(store), 3);
	test_assert_str(query_text(store, "PRAGMA user_version"), "3");
	test_assert_str(query_text(store, "PRAGMA application_id"),
	                "1397574705"); /* "SML1" */
	test_assert_str(query_text(store, "SELECT count(*) FROM sqlite_schema "
	                                  "WHERE name = 'identities'"),
	                "1");
	sealmail_store_free(store);
}

static void
test_schema_refused(void)
{
	static const struct {
		const char *sql, *message;
	} cases[] = {
	        {"PRAGMA user_version = 7",
	         "was made by a newer sealmail (schema 7, this one knows 3)"},
	        {"PRAGMA user_version = -3",
	         "has an invalid schema version -3"},
	        {"PRAGMA application_id = 42",
	         "does not hold a sealmail store"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *dir = test_tmpdir();
		char home[128];
		sealmail_store *store = NULL;
		sealmail_error err = {0};

		(void)snprintf(home, sizeof(home), "%s/case%zu", dir, i);
		poke(home, cases[i].sql);
		test_assert_int(sealmail_store_open(&store, home, NULL, &err),
		                SEALMAIL_ECORRUPT);
		test_assert(store == NULL);
		test_assert(strstr(err.message, cases[i].message) != NULL);
		test_assert(strstr(err.message, home) != NULL);
	}
}

static void
test_readonly_needs_upgrade(void)
{
	const char *dir = test_tmpdir();
	char home[128];
	sealmail_store_options opts = SEALMAIL_STORE_OPTIONS_INIT;
	sealmail_store *store = NULL;
	sealmail_error err = {0};

	/* A store at version 0 is not migrated when opened read-only. */
	(void)snprintf(home, sizeof(home), "%s/old", dir);
	poke(home, "PRAGMA user_version = 0; PRAGMA application_id = 0");
	opts.flags = SEALMAIL_STORE_READONLY;
	test_assert_int(sealmail_store_open(&store, home, &opts, &err),
	                SEALMAIL_EPERM);
	test_assert(strstr(err.message, "needs an upgrade") != NULL);

	/* Version 1 lacks the accounts' transport columns: refused too. */
	(void)snprintf(home, sizeof(home), "%s/v1", dir);
	poke(home, "PRAGMA user_version = 1");
	test_assert_int(sealmail_store_open(&store, home, &opts, &err),
	                SEALMAIL_EPERM);
	test_assert(strstr(err.message, "needs an upgrade") != NULL);

	/* Version 2 has today's tables (3 adds an index): read as it is,
	 * nothing written, the certificate found without the index. */
	(void)snprintf(home, sizeof(home), "%s/v2ro", dir);
	poke(home, "DROP INDEX certificates_serial;"
	           "INSERT INTO contacts (id, name) VALUES (7, 'Old');"
	           "INSERT INTO certificates (contact_id, fingerprint, der,"
	           " subject, issuer, serial, not_before, not_after, trust,"
	           " added) VALUES (7, 'ab12', x'30', 'CN=old', 'CN=ca', '01',"
	           " 1, 2, 'trusted', 3);"
	           "PRAGMA user_version = 2");
	test_assert_int(sealmail_store_open(&store, home, &opts, &err),
	                SEALMAIL_OK);
	test_assert_int(sealmail_store_schema_version(store), 2);
	test_assert_str(query_text(store, "PRAGMA user_version"), "2");
	test_assert_str(query_text(store, "SELECT fingerprint FROM certificates"
	                                  " WHERE serial = '01'"),
	                "ab12");
	sealmail_store_free(store);
	store = NULL;
	test_assert_int(sealmail_store_open(&store, home, NULL, &err),
	                SEALMAIL_OK);
	test_assert_str(query_text(store, "PRAGMA user_version"), "3");
	sealmail_store_free(store);
}

/*
 * sealmail_store_close: the database is closed at once (the WAL emptied,
 * another connection sees the write), the handle keeps its memory until
 * sealmail_store_free, and every query in between is refused.
 */
static void
test_close(void)
{
	const char *dir = test_tmpdir();
	char wal[160], closed[200];
	sealmail_store *store = NULL, *other = NULL;
	sealmail_error err = {0};
	sm_crypto *crypto = NULL;
	sm_stmt *st = NULL;
	void *v = NULL;
	struct stat sb;

	cache_made = cache_freed = 0;
	sealmail_store_close(NULL);
	test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_store_crypto(&crypto, store, &err), SEALMAIL_OK);
	test_assert_int(sm_store_cache(&v, store, cache_make, cache_free, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_db_exec(store,
	                           "INSERT INTO contacts(name) VALUES('x')",
	                           &err),
	                SEALMAIL_OK);
	(void)snprintf(wal, sizeof(wal), "%s/store.db-wal", dir);
	test_assert(stat(wal, &sb) == 0 && sb.st_size > 0);

	sealmail_store_close(store);
	test_assert(stat(wal, &sb) == 0 && sb.st_size == 0);
	test_assert_int(cache_freed, 0); /* memory stays until the free */
	test_assert_str(sealmail_store_home(store), dir);
	test_assert_int(sealmail_store_schema_version(store), 3);
	(void)snprintf(closed, sizeof(closed), "the store in %s is closed",
	               dir);
	test_assert_int(sm_stmt_prepare(&st, store, "SELECT 1", &err),
	                SEALMAIL_EINVAL);
	test_assert(st == NULL);
	test_assert_str(err.message, closed);
	err = (sealmail_error){0};
	test_assert_int(sm_db_exec(store, "SELECT 1", &err), SEALMAIL_EINVAL);
	test_assert_str(err.message, closed);
	v = &err;
	test_assert_int(sm_store_cache(&v, store, cache_make, cache_free, &err),
	                SEALMAIL_EINVAL);
	test_assert(v == NULL);
	test_assert_int(cache_made, 1);
	sm_db_rollback(store); /* nothing to roll back, no database */
	sealmail_store_close(store);

	test_assert_int(sealmail_store_open(&other, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_str(query_text(other, "SELECT name FROM contacts"), "x");
	sealmail_store_free(other);
	sealmail_store_free(store);
	test_assert_int(cache_freed, 1);
}

/* Descriptors of this process open on `path`. */
static int
fds_on(const char *path)
{
	char link[64], target[PATH_MAX];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		ssize_t len;
		(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, path) == 0)
			n++;
	}
	return n;
}

/*
 * sealmail_store_close of a store whose WAL holds nothing (a command that
 * only read) leaves the database open for the exit: nothing to write back.
 * The handle is closed all the same (queries refused), other connections
 * read and write as usual, and sealmail_store_free closes the files.
 */
static void
test_close_idle(void)
{
	const char *dir = test_tmpdir();
	char db[160], closed[200];
	sealmail_store *store = NULL, *other = NULL;
	sealmail_error err = {0};
	sm_stmt *st = NULL;

	test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
	                SEALMAIL_OK);
	sealmail_store_close(store); /* the migration's writes: closed */
	(void)snprintf(db, sizeof(db), "%s/store.db", dir);
	test_assert_int(fds_on(db), 0);
	sealmail_store_free(store);

	test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_str(query_text(store, "SELECT count(*) FROM contacts"),
	                "0");
	sealmail_store_close(store);
	test_assert_int(fds_on(db), 1);
	(void)snprintf(closed, sizeof(closed), "the store in %s is closed",
	               dir);
	test_assert_int(sm_stmt_prepare(&st, store, "SELECT 1", &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, closed);
	test_assert_int(sealmail_store_open(&other, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_db_exec(other,
	                           "INSERT INTO contacts(name) VALUES('y')",
	                           &err),
	                SEALMAIL_OK);
	sealmail_store_free(other);
	sealmail_store_free(store);
	test_assert_int(fds_on(db), 0);
	test_assert_int(sealmail_store_open(&other, dir, NULL, &err),
	                SEALMAIL_OK);
	test_assert_str(query_text(other, "SELECT name FROM contacts"), "y");
	sealmail_store_free(other);
}

static const struct test_case tests[] = {
        {"migrate_v1", test_migrate_v1},
        {"migrate_v2", test_migrate_v2},
        {"create_modes", test_create_modes},
        {"no_create", test_no_create},
        {"corrupt", test_corrupt},
        {"transaction_rollback", test_transaction_rollback},
        {"wal", test_wal},
        {"migrate_empty_database", test_migrate_empty_database},
        {"schema_refused", test_schema_refused},
        {"readonly_needs_upgrade", test_readonly_needs_upgrade},
        {"cache", test_cache},
        {"close", test_close},
        {"close_idle", test_close_idle},
};

TEST_MAIN(tests)
