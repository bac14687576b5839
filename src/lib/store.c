/* SPDX-License-Identifier: MIT */
/*
 * The store: the only file that includes sqlite3.h.  Opens the home folder
 * (0700) and database (0600, WAL), creates and migrates the schema, and
 * exposes a thin statement layer (db.h) so that no SQLite type or error
 * escapes.  It knows nothing of certificates or keys.
 */
#include "db.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crypto/crypto.h"

struct sealmail_store {
	sqlite3 *db;
	char *home;
	sealmail_store_options opts;
	sm_crypto *crypto;
	int schema_version;
	/* sm_store_cache's one slot */
	void *cache;
	sm_store_cache_make_fn cache_make;
	void (*cache_free)(void *value);
	sqlite3_int64 cache_changes;
	sqlite3_int64 cache_version;
	sqlite3_stmt *data_version; /* prepared once: asked per message */
	sqlite3 *idle; /* closed with nothing to empty: left for the exit */
};

struct sm_stmt {
	sealmail_store *store;
	sqlite3_stmt *st;
};

/*
 * Schema migrations: entry i takes the database from version i to i+1.
 * Append only; never edit a released entry.
 */
/* The SQL is laid out by hand, one column a line. */
/* clang-format off */
static const char *const migrations[] = {
	/* 0 -> 1: the foundation */
	"CREATE TABLE identities ("
	"  id INTEGER PRIMARY KEY,"
	"  fingerprint TEXT NOT NULL UNIQUE,"
	"  cert BLOB NOT NULL,"
	"  chain BLOB,"
	"  key BLOB NOT NULL,"
	"  key_encrypted INTEGER NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE identity_addresses ("
	"  identity_id INTEGER NOT NULL REFERENCES identities(id)"
	"    ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  PRIMARY KEY (identity_id, address));"
	"CREATE INDEX identity_addresses_address ON identity_addresses(address);"
	"CREATE TABLE accounts ("
	"  address TEXT PRIMARY KEY,"
	"  sign_identity INTEGER REFERENCES identities(id) ON DELETE SET NULL,"
	"  encrypt_identity INTEGER REFERENCES identities(id)"
	"    ON DELETE SET NULL,"
	"  sign_all INTEGER NOT NULL DEFAULT 0,"
	"  encrypt_all INTEGER NOT NULL DEFAULT 0,"
	"  include_cert INTEGER NOT NULL DEFAULT 1,"
	"  signing TEXT NOT NULL DEFAULT 'clear',"
	"  cipher TEXT NOT NULL DEFAULT 'auto',"
	"  encrypt_to_self INTEGER NOT NULL DEFAULT 1);"
	"CREATE TABLE contacts ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE contact_addresses ("
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id)"
	"    ON DELETE CASCADE,"
	"  address TEXT NOT NULL UNIQUE);"
	"CREATE TABLE certificates ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	"  fingerprint TEXT NOT NULL UNIQUE,"
	"  der BLOB NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  issuer TEXT NOT NULL,"
	"  serial TEXT NOT NULL,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  trust TEXT NOT NULL DEFAULT 'untrusted'"
	"    CHECK (trust IN ('untrusted', 'trusted', 'distrusted')),"
	"  capabilities BLOB,"
	"  added INTEGER NOT NULL);"
	"CREATE TABLE certificate_addresses ("
	"  certificate_id INTEGER NOT NULL REFERENCES certificates(id)"
	"    ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  PRIMARY KEY (certificate_id, address));"
	"CREATE INDEX certificate_addresses_address"
	"  ON certificate_addresses(address);"
	"CREATE TABLE cas ("
	"  id INTEGER PRIMARY KEY,"
	"  fingerprint TEXT NOT NULL UNIQUE,"
	"  der BLOB NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  trust TEXT NOT NULL DEFAULT 'untrusted'"
	"    CHECK (trust IN ('untrusted', 'trusted')),"
	"  added INTEGER NOT NULL);"
	"CREATE TABLE acks ("
	"  hash TEXT PRIMARY KEY,"
	"  created INTEGER NOT NULL);",
	/* 1 -> 2: mail transport settings of accounts (issue 5) */
	"ALTER TABLE accounts ADD COLUMN smtp TEXT;"
	"ALTER TABLE accounts ADD COLUMN smtp_user TEXT;"
	"ALTER TABLE accounts ADD COLUMN imap_user TEXT;"
	"ALTER TABLE accounts ADD COLUMN password_file TEXT;"
	"ALTER TABLE accounts ADD COLUMN password_command TEXT;"
	"ALTER TABLE accounts ADD COLUMN sent_mailbox TEXT;"
	"ALTER TABLE accounts ADD COLUMN inbox_mailbox TEXT;"
	"ALTER TABLE accounts ADD COLUMN ca_file TEXT;"
	"ALTER TABLE accounts ADD COLUMN starttls INTEGER NOT NULL DEFAULT 1;",
	/* 2 -> 3: a signer's certificate looked up by serial (issue 7) */
	"CREATE INDEX certificates_serial ON certificates(serial);",
};
/* clang-format on */

#define SCHEMA_VERSION ((int)SM_ARRAY_SIZE(migrations))

/*
 * The oldest schema whose tables and columns are today's: the steps after
 * it add indexes only, so a store opened read-only is read as it is.
 */
#define SCHEMA_SAME_TABLES 2

/* A marker in the database header so a foreign SQLite file is refused. */
#define APPLICATION_ID 0x534d4c31 /* "SML1" */

static int
db_status(sealmail_store *store, int rc)
{
	(void)store;
	switch (rc & 0xff) {
	case SQLITE_OK:
		return SEALMAIL_OK;
	case SQLITE_CONSTRAINT:
		return SEALMAIL_EEXISTS;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return SEALMAIL_ECORRUPT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_CANTOPEN:
		return SEALMAIL_EPERM;
	case SQLITE_NOMEM:
		return SEALMAIL_ENOMEM;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
		return SEALMAIL_ERROR;
	default:
		return SEALMAIL_EIO;
	}
}

static int
db_error_message(sealmail_store *store, int rc, sealmail_error *err)
{
	int status = db_status(store, rc);

	if (status == SEALMAIL_OK) /* a failed call, whatever its code says */
		status = SEALMAIL_EIO;
	if (status == SEALMAIL_ECORRUPT)
		return sm_error_set(err, status,
		                    "the store database in %s is damaged or "
		                    "not a sealmail store",
		                    store->home);
	if (status == SEALMAIL_EPERM && (rc & 0xff) == SQLITE_READONLY) {
		/* A read-only folder or file system says why. */
		if (access(store->home, W_OK) != 0)
			return sm_error_set(err, status,
			                    "the store in %s is read-only: %s",
			                    store->home, strerror(errno));
		return sm_error_set(err, status, "the store in %s is read-only",
		                    store->home);
	}
	if ((rc & 0xff) == SQLITE_CANTOPEN) {
		/*
		 * Usually a read-only folder or file system, where SQLite
		 * cannot create its WAL files: name the store and why.
		 */
		int e = store->db != NULL ? sqlite3_system_errno(store->db) : 0;
		if (access(store->home, W_OK) != 0)
			return sm_error_set(err, status,
			                    "the store in %s is read-only: %s",
			                    store->home, strerror(errno));
		return sm_error_set(err, status,
		                    "cannot open the store in %s%s%s",
		                    store->home, e != 0 ? ": " : "",
		                    e != 0 ? strerror(e) : "");
	}
	return sm_error_set(err, status, "store database: %s",
	                    store->db != NULL ? sqlite3_errmsg(store->db)
	                                      : sqlite3_errstr(rc));
}

/*
 * The status of failed SQLite call `rc`, with its message in `err`: never
 * SEALMAIL_OK (small, so that clang-tidy sees it across the call).
 */
static int
db_error(sealmail_store *store, int rc, sealmail_error *err)
{
	int status = db_error_message(store, rc, err);

	return status < 0 ? status : SEALMAIL_EIO;
}

void
sm_store_standalone(void)
{
	/*
	 * No initial page-cache bulk per connection (20 pages, each touched
	 * as SQLite threads its free list through them, before a command
	 * has read one): the pages a command reads are allocated as read.
	 * Process-wide, hence only under sealmail_standalone_init; SQLite
	 * refuses it (and nothing changes) once it has started.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

int
sealmail_store_options_init(sealmail_store_options *opts, unsigned int version)
{
	if (opts == NULL || version != SEALMAIL_STORE_OPTIONS_VERSION)
		return SEALMAIL_EINVAL;
	*opts = (sealmail_store_options)SEALMAIL_STORE_OPTIONS_INIT;
	return SEALMAIL_OK;
}

static int
make_home(const char *home, bool create, sealmail_error *err)
{
	struct stat sb;

	if (stat(home, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "%s: not a folder", home);
		return SEALMAIL_OK;
	}
	if (errno != ENOENT)
		return sm_error_set(
		        err, errno == EACCES ? SEALMAIL_EPERM : SEALMAIL_EIO,
		        "%s: %s", home, strerror(errno));
	if (!create)
		return sm_error_set(err, SEALMAIL_ENOTFOUND, "no store in %s",
		                    home);
	if (mkdir(home, 0700) != 0)
		return sm_error_set(err,
		                    errno == EACCES || errno == EROFS
		                            ? SEALMAIL_EPERM
		                            : SEALMAIL_EIO,
		                    "cannot create the store folder %s: %s",
		                    home, strerror(errno));
	return SEALMAIL_OK;
}

static int
migrate(sealmail_store *store, sealmail_error *err)
{
	sm_stmt *st;
	int rc, version, app_id;

	rc = sm_stmt_prepare(&st, store, "PRAGMA user_version", err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_step(st, err);
	version = rc == SM_STEP_ROW ? (int)sm_stmt_column_int64(st, 0) : 0;
	sm_stmt_free(st);
	if (rc < 0)
		return rc;
	rc = sm_stmt_prepare(&st, store, "PRAGMA application_id", err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_step(st, err);
	app_id = rc == SM_STEP_ROW ? (int)sm_stmt_column_int64(st, 0) : 0;
	sm_stmt_free(st);
	if (rc < 0)
		return rc;

	if (version == SCHEMA_VERSION && app_id == APPLICATION_ID) {
		store->schema_version = version;
		return SEALMAIL_OK;
	}
	if (app_id != APPLICATION_ID && (app_id != 0 || version != 0))
		return sm_error_set(err, SEALMAIL_ECORRUPT,
		                    "%s does not hold a sealmail store",
		                    store->home);
	if (version < 0)
		return sm_error_set(err, SEALMAIL_ECORRUPT,
		                    "the store in %s has an invalid schema "
		                    "version %d",
		                    store->home, version);
	if (version > SCHEMA_VERSION)
		return sm_error_set(err, SEALMAIL_ECORRUPT,
		                    "the store in %s was made by a newer "
		                    "sealmail (schema %d, this one knows %d)",
		                    store->home, version, SCHEMA_VERSION);
	if ((store->opts.flags & SEALMAIL_STORE_READONLY) &&
	    version >= SCHEMA_SAME_TABLES && app_id == APPLICATION_ID) {
		store->schema_version = version;
		return SEALMAIL_OK;
	}
	if (store->opts.flags & SEALMAIL_STORE_READONLY)
		return sm_error_set(err, SEALMAIL_EPERM,
		                    "the store in %s needs an upgrade and is "
		                    "opened read-only",
		                    store->home);

	rc = sm_db_begin(store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	for (int v = version; v < SCHEMA_VERSION; v++) {
		rc = sm_db_exec(store, migrations[v], err);
		if (rc != SEALMAIL_OK)
			goto fail;
	}
	{
		char sql[96];
		(void)snprintf(sql, sizeof(sql),
		               "PRAGMA user_version = %d; "
		               "PRAGMA application_id = %d",
		               SCHEMA_VERSION, APPLICATION_ID);
		rc = sm_db_exec(store, sql, err);
		if (rc != SEALMAIL_OK)
			goto fail;
	}
	rc = sm_db_commit(store, err);
	if (rc != SEALMAIL_OK)
		goto fail;
	store->schema_version = SCHEMA_VERSION;
	return SEALMAIL_OK;
fail:
	sm_db_rollback(store);
	return rc;
}

/*
 * Make sure the database and its WAL side files are 0600.  Only a file
 * whose mode differs is changed: a chmod on every open wrote the three
 * inodes (their change time) for every command, reading ones too.
 */
static void
tighten_modes(const sealmail_store *store)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char path[PATH_MAX];
	struct stat sb;

	for (size_t i = 0; i < SM_ARRAY_SIZE(suffixes); i++) {
		int n = snprintf(path, sizeof(path), "%s/store.db%s",
		                 store->home, suffixes[i]);
		if (n > 0 && (size_t)n < sizeof(path) && stat(path, &sb) == 0 &&
		    (sb.st_mode & 07777) != 0600)
			(void)chmod(path, 0600);
	}
}

int
sealmail_store_open(sealmail_store **out,
                    const char *home,
                    const sealmail_store_options *opts,
                    sealmail_error *err)
{
	sealmail_store *store;
	char path[PATH_MAX];
	mode_t old_umask;
	int rc, flags, n;

	*out = NULL;
	if (home == NULL || *home == '\0')
		return sm_error_set(err, SEALMAIL_EINVAL, "no store folder");
	if (opts != NULL && opts->version != SEALMAIL_STORE_OPTIONS_VERSION)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "unknown store options version %u",
		                    opts->version);
	store = sm_calloc(1, sizeof(*store));
	if (store == NULL)
		return sm_error_nomem(err);
	if (opts != NULL)
		store->opts = *opts;
	else
		store->opts.version = SEALMAIL_STORE_OPTIONS_VERSION;
	store->home = sm_strdup(home);
	if (store->home == NULL) {
		sm_free(store);
		return sm_error_nomem(err);
	}
	rc = make_home(home,
	               !(store->opts.flags &
	                 (SEALMAIL_STORE_NO_CREATE | SEALMAIL_STORE_READONLY)),
	               err);
	if (rc != SEALMAIL_OK)
		goto fail;
	n = snprintf(path, sizeof(path), "%s/store.db", home);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		rc = sm_error_set(err, SEALMAIL_EINVAL, "%s: path too long",
		                  home);
		goto fail;
	}
	if (store->opts.flags & SEALMAIL_STORE_READONLY)
		flags = SQLITE_OPEN_READONLY;
	else if (store->opts.flags & SEALMAIL_STORE_NO_CREATE)
		flags = SQLITE_OPEN_READWRITE;
	else
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	flags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;

	/* SQLite creates the database and its WAL files with 0644 & ~umask. */
	old_umask = umask(077);
	rc = sqlite3_open_v2(path, &store->db, flags, NULL);
	if (rc == SQLITE_OK) {
		(void)sqlite3_busy_timeout(store->db,
		                           store->opts.busy_timeout_ms > 0
		                                   ? store->opts.busy_timeout_ms
		                                   : 10000);
		rc = sqlite3_exec(store->db,
		                  "PRAGMA foreign_keys = ON;"
		                  "PRAGMA secure_delete = ON;",
		                  NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK && !(store->opts.flags & SEALMAIL_STORE_READONLY)) {
		/*
		 * The WAL and shared-memory files stay between runs (the WAL
		 * emptied to 0 bytes at each close): making and deleting
		 * them cost every command two file creations (issue 7).
		 */
		int persist = 1;
		(void)sqlite3_file_control(store->db, "main",
		                           SQLITE_FCNTL_PERSIST_WAL, &persist);
		rc = sqlite3_exec(store->db,
		                  "PRAGMA journal_mode = WAL;"
		                  "PRAGMA journal_size_limit = 0;"
		                  "PRAGMA synchronous = FULL;",
		                  NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		rc = db_error(store, rc, err);
		(void)umask(old_umask);
		goto fail;
	}
	rc = migrate(store, err);
	(void)umask(old_umask);
	if (rc != SEALMAIL_OK)
		goto fail;
	tighten_modes(store);
	*out = store;
	return SEALMAIL_OK;
fail:
	sealmail_store_free(store);
	return rc;
}

/*
 * Whether the store's WAL holds nothing (empty or missing), so closing
 * the database has nothing to write back.
 */
static bool
wal_empty(const sealmail_store *store)
{
	char path[PATH_MAX];
	struct stat sb;
	int n = snprintf(path, sizeof(path), "%s/store.db-wal", store->home);

	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	if (stat(path, &sb) != 0)
		return errno == ENOENT;
	return sb.st_size == 0;
}

void
sealmail_store_close(sealmail_store *store)
{
	if (store == NULL)
		return;
	(void)sqlite3_finalize(store->data_version);
	store->data_version = NULL;
	if (store->db != NULL && wal_empty(store)) {
		/*
		 * Nothing to write back: closing would only free SQLite's
		 * memory and release the files and locks, which the exit
		 * does (0.025 ms of a 4 KiB command).  sealmail_store_free
		 * closes it.
		 */
		store->idle = store->db;
		store->db = NULL;
	}
	if (store->db != NULL)
		(void)sqlite3_close_v2(store->db);
	store->db = NULL;
}

/* EINVAL once sealmail_store_close() has closed the database. */
static int
check_open(sealmail_store *store, sealmail_error *err)
{
	if (store->db != NULL)
		return SEALMAIL_OK;
	return sm_error_set(err, SEALMAIL_EINVAL, "the store in %s is closed",
	                    store->home);
}

void
sealmail_store_free(sealmail_store *store)
{
	if (store == NULL)
		return;
	if (store->cache != NULL)
		store->cache_free(store->cache);
	sealmail_store_close(store);
	if (store->idle != NULL)
		(void)sqlite3_close_v2(store->idle);
	sm_crypto_free(store->crypto);
	sm_free(store->home);
	sm_free(store);
}

const char *
sealmail_store_home(const sealmail_store *store)
{
	return store->home;
}

int
sealmail_store_schema_version(const sealmail_store *store)
{
	return store->schema_version;
}

int
sm_store_crypto(sm_crypto **out, sealmail_store *store, sealmail_error *err)
{
	if (store->crypto == NULL) {
		int rc = sm_crypto_new(&store->crypto, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	*out = store->crypto;
	return SEALMAIL_OK;
}

/* PRAGMA data_version: changes by other connections; -1 on failure. */
static sqlite3_int64
data_version(sealmail_store *store)
{
	sqlite3_int64 v = -1;

	if (store->data_version == NULL &&
	    sqlite3_prepare_v3(store->db, "PRAGMA data_version", -1,
	                       SQLITE_PREPARE_PERSISTENT, &store->data_version,
	                       NULL) != SQLITE_OK) {
		(void)sqlite3_finalize(store->data_version);
		store->data_version = NULL;
		return -1;
	}
	if (sqlite3_step(store->data_version) == SQLITE_ROW)
		v = sqlite3_column_int64(store->data_version, 0);
	(void)sqlite3_reset(store->data_version);
	return v;
}

int
sm_store_cache(void **value_out,
               sealmail_store *store,
               sm_store_cache_make_fn make,
               void (*free_fn)(void *value),
               sealmail_error *err)
{
	sqlite3_int64 changes, version;
	void *value = NULL;
	int rc;

	*value_out = NULL;
	rc = check_open(store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	changes = sqlite3_total_changes64(store->db);
	version = data_version(store);
	if (store->cache != NULL && store->cache_make == make &&
	    store->cache_changes == changes &&
	    store->cache_version == version && version >= 0) {
		*value_out = store->cache;
		return SEALMAIL_OK;
	}
	if (store->cache != NULL)
		store->cache_free(store->cache);
	store->cache = NULL;
	rc = make(&value, store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	store->cache = value;
	store->cache_make = make;
	store->cache_free = free_fn;
	/* what make read counts from here (it changes nothing) */
	store->cache_changes = sqlite3_total_changes64(store->db);
	store->cache_version = version;
	*value_out = value;
	return SEALMAIL_OK;
}

int
sm_store_passphrase(sm_buf *out,
                    sealmail_store *store,
                    sealmail_passphrase_reason reason,
                    const char *what,
                    sealmail_error *err)
{
	enum { MAX = 1024 };
	int n, rc;

	sm_buf_init_secret(out, MAX);
	if (store->opts.passphrase == NULL)
		return sm_error_set(err, SEALMAIL_EPASSPHRASE,
		                    "a passphrase is needed for %s", what);
	/* Room for MAX bytes, then let the callback fill it. */
	rc = sm_buf_reserve(out, MAX, err);
	if (rc != SEALMAIL_OK)
		return rc;
	n = store->opts.passphrase((char *)out->data, MAX, reason, what,
	                           store->opts.passphrase_payload);
	if (n < 0 || (size_t)n >= MAX) {
		sm_buf_free(out);
		return sm_error_set(err, SEALMAIL_EPASSPHRASE,
		                    "no passphrase given for %s", what);
	}
	out->data[n] = '\0';
	out->len = (size_t)n;
	return SEALMAIL_OK;
}

/* --- statements ------------------------------------------------------- */

int
sm_stmt_prepare(sm_stmt **out,
                sealmail_store *store,
                const char *sql,
                sealmail_error *err)
{
	sm_stmt *st;
	int rc;

	*out = NULL;
	rc = check_open(store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	st = sm_calloc(1, sizeof(*st));
	if (st == NULL)
		return sm_error_nomem(err);
	st->store = store;
	rc = sqlite3_prepare_v2(store->db, sql, -1, &st->st, NULL);
	if (rc != SQLITE_OK) {
		sm_free(st);
		return db_error(store, rc, err);
	}
	*out = st;
	return SEALMAIL_OK;
}

int
sm_stmt_bind_text(sm_stmt *st, int idx, const char *text, sealmail_error *err)
{
	int rc = text == NULL ? sqlite3_bind_null(st->st, idx)
	                      : sqlite3_bind_text(st->st, idx, text, -1,
	                                          SQLITE_TRANSIENT);
	return rc == SQLITE_OK ? SEALMAIL_OK : db_error(st->store, rc, err);
}

int
sm_stmt_bind_blob(
        sm_stmt *st, int idx, const void *data, size_t len, sealmail_error *err)
{
	int rc = data == NULL ? sqlite3_bind_null(st->st, idx)
	                      : sqlite3_bind_blob64(st->st, idx, data, len,
	                                            SQLITE_TRANSIENT);
	return rc == SQLITE_OK ? SEALMAIL_OK : db_error(st->store, rc, err);
}

int
sm_stmt_bind_int64(sm_stmt *st, int idx, int64_t v, sealmail_error *err)
{
	int rc = sqlite3_bind_int64(st->st, idx, v);
	return rc == SQLITE_OK ? SEALMAIL_OK : db_error(st->store, rc, err);
}

int
sm_stmt_bind_null(sm_stmt *st, int idx, sealmail_error *err)
{
	int rc = sqlite3_bind_null(st->st, idx);
	return rc == SQLITE_OK ? SEALMAIL_OK : db_error(st->store, rc, err);
}

int
sm_stmt_step(sm_stmt *st, sealmail_error *err)
{
	int rc = sqlite3_step(st->st);

	if (rc == SQLITE_ROW)
		return SM_STEP_ROW;
	if (rc == SQLITE_DONE)
		return SM_STEP_DONE;
	return db_error(st->store, rc, err);
}

int
sm_stmt_reset(sm_stmt *st, sealmail_error *err)
{
	int rc = sqlite3_reset(st->st);

	(void)sqlite3_clear_bindings(st->st);
	return rc == SQLITE_OK ? SEALMAIL_OK : db_error(st->store, rc, err);
}

const char *
sm_stmt_column_text(sm_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st->st, col);
	return t != NULL ? (const char *)t : "";
}

const void *
sm_stmt_column_blob(sm_stmt *st, int col, size_t *len_out)
{
	const void *p = sqlite3_column_blob(st->st, col);
	*len_out = (size_t)sqlite3_column_bytes(st->st, col);
	return p;
}

int64_t
sm_stmt_column_int64(sm_stmt *st, int col)
{
	return sqlite3_column_int64(st->st, col);
}

bool
sm_stmt_column_is_null(sm_stmt *st, int col)
{
	return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

void
sm_stmt_free(sm_stmt *st)
{
	if (st == NULL)
		return;
	(void)sqlite3_finalize(st->st);
	sm_free(st);
}

int
sm_db_exec(sealmail_store *store, const char *sql, sealmail_error *err)
{
	int rc = check_open(store, err);

	if (rc != SEALMAIL_OK)
		return rc;
	rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? SEALMAIL_OK : db_error(store, rc, err);
}

int64_t
sm_db_last_insert_id(sealmail_store *store)
{
	return sqlite3_last_insert_rowid(store->db);
}

int
sm_db_changes(sealmail_store *store)
{
	return sqlite3_changes(store->db);
}

int
sm_db_begin(sealmail_store *store, sealmail_error *err)
{
	return sm_db_exec(store, "BEGIN IMMEDIATE", err);
}

int
sm_db_commit(sealmail_store *store, sealmail_error *err)
{
	return sm_db_exec(store, "COMMIT", err);
}

void
sm_db_rollback(sealmail_store *store)
{
	if (store->db != NULL && !sqlite3_get_autocommit(store->db))
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}
