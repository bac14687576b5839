/* SPDX-License-Identifier: MIT */
/*
 * Accounts and their settings.  Every setting is one row of `settings[]`
 * (key, column, type, allowed values, default): listing, reading, writing
 * and the error messages all come from that table, so a new setting is a
 * new row (plus a schema migration in store.c adding its column).  Mail
 * transport settings name where the password comes from, never a password.
 */
#include "account_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "id_int.h"
#include "mime.h"

typedef struct setting {
	const char *key;
	const char *column;
	sealmail_setting_type type;
	const char *const *choices; /* CHOICE: NULL-terminated */
	const char *values;         /* for messages */
	const char *def;            /* default, as text */
	/* TEXT: is a non-empty value acceptable?  NULL: any text. */
	bool (*check)(const char *value);
	/* TEXT: the column cleared when this one is set ("one or the other") */
	const char *clears;
} setting;

/* scheme:// followed by a host, and no login or password in the URL. */
static bool
url_ok(const char *value, const char *const *schemes)
{
	for (; *schemes != NULL; schemes++) {
		size_t n = strlen(*schemes);
		const char *host = value + n;

		if (strncasecmp(value, *schemes, n) != 0)
			continue;
		return *host != '\0' && *host != '/' &&
		       strcspn(host, "/") <= strcspn(host, "@") &&
		       strpbrk(value, " \t\r\n") == NULL;
	}
	return false;
}

static bool
smtp_ok(const char *value)
{
	static const char *const schemes[] = {"smtp://", "smtps://", NULL};
	return url_ok(value, schemes);
}

/* An imap(s) URL naming a mailbox, or the absolute path of a Maildir. */
static bool
mailbox_ok(const char *value)
{
	static const char *const schemes[] = {"imap://", "imaps://", NULL};
	const char *slash;

	if (value[0] == '/')
		return true;
	if (!url_ok(value, schemes))
		return false;
	slash = strchr(strstr(value, "://") + 3, '/');
	return slash != NULL && slash[1] != '\0';
}

static bool
path_ok(const char *value)
{
	return value[0] == '/';
}

static bool
line_ok(const char *value)
{
	return strpbrk(value, "\r\n") == NULL;
}

static const char *const signing_choices[] = {"clear", "opaque", NULL};
static const char *const cipher_choices[] = {"auto",        "aes-128-gcm",
                                             "aes-256-gcm", "aes-128-cbc",
                                             "aes-256-cbc", NULL};

static const setting settings[] = {
        {"sign-all", "sign_all", SEALMAIL_SETTING_BOOL, NULL, "yes, no", "no",
         NULL, NULL},
        {"encrypt-all", "encrypt_all", SEALMAIL_SETTING_BOOL, NULL, "yes, no",
         "no", NULL, NULL},
        {"include-cert", "include_cert", SEALMAIL_SETTING_BOOL, NULL, "yes, no",
         "yes", NULL, NULL},
        {"signing", "signing", SEALMAIL_SETTING_CHOICE, signing_choices,
         "clear, opaque", "clear", NULL, NULL},
        {"cipher", "cipher", SEALMAIL_SETTING_CHOICE, cipher_choices,
         "auto, aes-128-gcm, aes-256-gcm, aes-128-cbc, aes-256-cbc", "auto",
         NULL, NULL},
        {"encrypt-to-self", "encrypt_to_self", SEALMAIL_SETTING_BOOL, NULL,
         "yes, no", "yes", NULL, NULL},
        {"signing-id", "sign_identity", SEALMAIL_SETTING_ID, NULL,
         "a fingerprint (or a unique prefix of 4 or more digits), an "
         "address, or auto",
         "auto", NULL, NULL},
        {"encryption-id", "encrypt_identity", SEALMAIL_SETTING_ID, NULL,
         "a fingerprint (or a unique prefix of 4 or more digits), an "
         "address, or auto",
         "auto", NULL, NULL},
        {"smtp", "smtp", SEALMAIL_SETTING_TEXT, NULL,
         "an smtp://HOST[:PORT] or smtps://HOST[:PORT] URL without a login "
         "(empty: none)",
         "", smtp_ok, NULL},
        {"smtp-user", "smtp_user", SEALMAIL_SETTING_TEXT, NULL,
         "the login name on the SMTP server (empty: no login)", "", line_ok,
         NULL},
        {"imap-user", "imap_user", SEALMAIL_SETTING_TEXT, NULL,
         "the login name on the IMAP server (empty: smtp-user)", "", line_ok,
         NULL},
        {"password-file", "password_file", SEALMAIL_SETTING_TEXT, NULL,
         "the absolute path of a file (mode 600) whose first line is the "
         "password (empty: none)",
         "", path_ok, "password_command"},
        {"password-command", "password_command", SEALMAIL_SETTING_TEXT, NULL,
         "a shell command whose first line of output is the password "
         "(empty: none)",
         "", line_ok, "password_file"},
        {"sent", "sent_mailbox", SEALMAIL_SETTING_TEXT, NULL,
         "an imap[s]://HOST[:PORT]/MAILBOX URL or the absolute path of a "
         "Maildir (empty: keep no Sent copy)",
         "", mailbox_ok, NULL},
        {"inbox", "inbox_mailbox", SEALMAIL_SETTING_TEXT, NULL,
         "an imap[s]://HOST[:PORT]/MAILBOX URL or the absolute path of a "
         "Maildir (empty: none)",
         "", mailbox_ok, NULL},
        {"ca-file", "ca_file", SEALMAIL_SETTING_TEXT, NULL,
         "the absolute path of a PEM file of CA certificates to trust for the "
         "mail servers instead of the system's (empty: the system's)",
         "", path_ok, NULL},
        {"starttls", "starttls", SEALMAIL_SETTING_BOOL, NULL,
         "yes (required on smtp:// and imap:// unless the server is on "
         "loopback), no (never)",
         "yes", NULL, NULL},
};

#define NSETTINGS SM_ARRAY_SIZE(settings)

struct sealmail_account {
	char *address;
	char *values[NSETTINGS];
	char signing_fp[SM_FINGERPRINT_SIZE];
	char encryption_fp[SM_FINGERPRINT_SIZE];
};

struct sealmail_accounts {
	sealmail_account **accounts;
	size_t count;
};

static const setting *
setting_find(const char *key)
{
	for (size_t i = 0; key != NULL && i < NSETTINGS; i++) {
		if (strcmp(settings[i].key, key) == 0)
			return &settings[i];
	}
	return NULL;
}

const char *
sealmail_account_setting_key(size_t i)
{
	return i < NSETTINGS ? settings[i].key : NULL;
}

int
sealmail_account_setting_type(const char *key)
{
	const setting *s = setting_find(key);
	return s != NULL ? (int)s->type : -1;
}

const char *
sealmail_account_setting_values(const char *key)
{
	const setting *s = setting_find(key);
	return s != NULL ? s->values : NULL;
}

static int
address_copy(char *buf, size_t size, const char *address, sealmail_error *err)
{
	size_t len = address != NULL ? strlen(address) : 0;

	if (len == 0 || len >= size || strchr(address, '@') == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "'%s' is not an e-mail address",
		                    address != NULL ? address : "");
	/* The one form addresses are stored and looked up in (mime.h). */
	if (sm_mime_address_ascii(buf, size, address) >= size)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "'%s' is not an e-mail address", address);
	return SEALMAIL_OK;
}

/* "SELECT address, <one expression per setting> FROM accounts " */
static int
select_sql(sm_buf *sql, sealmail_error *err)
{
	int rc = sm_buf_puts(sql, "SELECT address", err);

	for (size_t i = 0; rc == SEALMAIL_OK && i < NSETTINGS; i++) {
		if (settings[i].type == SEALMAIL_SETTING_ID)
			rc = sm_buf_printf(sql, err,
			                   ", (SELECT fingerprint FROM "
			                   "identities WHERE id = accounts.%s)",
			                   settings[i].column);
		else
			rc = sm_buf_printf(sql, err, ", %s",
			                   settings[i].column);
	}
	if (rc == SEALMAIL_OK)
		rc = sm_buf_puts(sql, " FROM accounts ", err);
	return rc;
}

/* The account on the current row of a select_sql() statement. */
static int
account_from_row(sealmail_account **out,
                 sealmail_store *store,
                 sm_stmt *st,
                 sealmail_error *err)
{
	sealmail_account *a = sm_calloc(1, sizeof(*a));

	(void)store;
	*out = NULL;
	if (a == NULL)
		return sm_error_nomem(err);
	a->address = sm_strdup(sm_stmt_column_text(st, 0));
	if (a->address == NULL)
		goto nomem;
	for (size_t i = 0; i < NSETTINGS; i++) {
		int col = (int)i + 1;
		const char *v;
		switch (settings[i].type) {
		case SEALMAIL_SETTING_BOOL:
			v = sm_stmt_column_int64(st, col) != 0 ? "yes" : "no";
			break;
		case SEALMAIL_SETTING_ID:
			v = sm_stmt_column_is_null(st, col)
			            ? "auto"
			            : sm_stmt_column_text(st, col);
			break;
		default:
			v = sm_stmt_column_text(st, col);
			break;
		}
		a->values[i] = sm_strdup(v);
		if (a->values[i] == NULL)
			goto nomem;
	}
	*out = a;
	return SEALMAIL_OK;
nomem:
	sealmail_account_free(a);
	return sm_error_nomem(err);
}

/* Fill in the IDs in effect (the newest for the address when on auto). */
static int
account_effective(sealmail_account *a,
                  sealmail_store *store,
                  sealmail_error *err)
{
	int rc = sm_id_effective_fingerprint(a->signing_fp, store, a->address,
	                                     false, err);
	if (rc == SEALMAIL_OK)
		rc = sm_id_effective_fingerprint(a->encryption_fp, store,
		                                 a->address, true, err);
	return rc;
}

int
sealmail_account_list(sealmail_accounts **out,
                      sealmail_store *store,
                      sealmail_error *err)
{
	sealmail_accounts *list;
	sm_buf sql;
	sm_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	list = sm_calloc(1, sizeof(*list));
	if (list == NULL)
		return sm_error_nomem(err);
	sm_buf_init(&sql, 4096);
	rc = select_sql(&sql, err);
	if (rc == SEALMAIL_OK)
		rc = sm_buf_puts(&sql, "ORDER BY address", err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_prepare(&st, store, (const char *)sql.data, err);
	sm_buf_free(&sql);
	while (rc == SEALMAIL_OK &&
	       (rc = sm_stmt_step(st, err)) == SM_STEP_ROW) {
		if (list->count == cap) {
			size_t ncap = cap == 0 ? 8 : cap * 2;
			sealmail_account **p =
			        sm_realloc(list->accounts,
			                   ncap * sizeof(sealmail_account *));
			if (p == NULL) {
				rc = sm_error_nomem(err);
				break;
			}
			list->accounts = p;
			cap = ncap;
		}
		rc = account_from_row(&list->accounts[list->count], store, st,
		                      err);
		if (rc != SEALMAIL_OK)
			break;
		list->count++;
	}
	sm_stmt_free(st);
	for (size_t i = 0; rc >= 0 && i < list->count; i++)
		rc = account_effective(list->accounts[i], store, err);
	if (rc < 0) {
		sealmail_account_list_free(list);
		return rc;
	}
	*out = list;
	return SEALMAIL_OK;
}

size_t
sealmail_account_list_count(const sealmail_accounts *list)
{
	return list != NULL ? list->count : 0;
}

const sealmail_account *
sealmail_account_list_at(const sealmail_accounts *list, size_t i)
{
	return list != NULL && i < list->count ? list->accounts[i] : NULL;
}

void
sealmail_account_list_free(sealmail_accounts *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		sealmail_account_free(list->accounts[i]);
	sm_free(list->accounts);
	sm_free(list);
}

int
sealmail_account_lookup(sealmail_account **out,
                        sealmail_store *store,
                        const char *address,
                        sealmail_error *err)
{
	char addr[SM_ADDRESS_MAX + 1];
	sm_buf sql;
	sm_stmt *st = NULL;
	int rc;

	*out = NULL;
	rc = address_copy(addr, sizeof(addr), address, err);
	if (rc != SEALMAIL_OK)
		return rc;
	sm_buf_init(&sql, 4096);
	rc = select_sql(&sql, err);
	if (rc == SEALMAIL_OK)
		rc = sm_buf_puts(&sql, "WHERE address = ?", err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_prepare(&st, store, (const char *)sql.data, err);
	sm_buf_free(&sql);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_bind_text(st, 1, addr, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_DONE)
		rc = sm_error_set(err, SEALMAIL_ENOTFOUND, "no account for %s",
		                  addr);
	else if (rc == SM_STEP_ROW)
		rc = account_from_row(out, store, st, err);
	sm_stmt_free(st);
	if (rc == SEALMAIL_OK) {
		rc = account_effective(*out, store, err);
		if (rc != SEALMAIL_OK) {
			sealmail_account_free(*out);
			*out = NULL;
		}
	}
	return rc;
}

void
sealmail_account_free(sealmail_account *account)
{
	if (account == NULL)
		return;
	sm_free(account->address);
	for (size_t i = 0; i < NSETTINGS; i++)
		sm_free(account->values[i]);
	sm_free(account);
}

const char *
sealmail_account_address(const sealmail_account *account)
{
	return account->address;
}

const char *
sealmail_account_signing_id(const sealmail_account *account)
{
	return account->signing_fp;
}

const char *
sealmail_account_encryption_id(const sealmail_account *account)
{
	return account->encryption_fp;
}

const char *
sealmail_account_get(const sealmail_account *account, const char *key)
{
	const setting *s = setting_find(key);
	return s != NULL ? account->values[s - settings] : NULL;
}

/* --- changing settings ------------------------------------------------ */

static int
unknown_key(sealmail_error *err, const char *key)
{
	char keys[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < NSETTINGS; i++) {
		int n = snprintf(keys + used, sizeof(keys) - used, "%s%s",
		                 i > 0 ? ", " : "", settings[i].key);
		if (n < 0 || (size_t)n >= sizeof(keys) - used)
			break;
		used += (size_t)n;
	}
	return sm_error_set(err, SEALMAIL_EINVAL,
	                    "unknown setting '%s': the settings are %s", key,
	                    keys);
}

/*
 * Check `value` for setting `s` without touching the store; the text to
 * store goes to `*text` (a static string) or, for a bool, `*flag`.
 */
static int
value_check(const setting *s,
            const char *value,
            const char **text,
            int *flag,
            sealmail_error *err)
{
	*text = NULL;
	*flag = 0;
	switch (s->type) {
	case SEALMAIL_SETTING_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
			*flag = value[0] == 'y';
			return SEALMAIL_OK;
		}
		break;
	case SEALMAIL_SETTING_CHOICE:
		for (const char *const *c = s->choices; *c != NULL; c++) {
			if (strcmp(*c, value) == 0) {
				*text = *c;
				return SEALMAIL_OK;
			}
		}
		break;
	case SEALMAIL_SETTING_ID:
		if (*value != '\0')
			return SEALMAIL_OK;
		break;
	case SEALMAIL_SETTING_TEXT:
		if (value[0] == '\0' || s->check == NULL || s->check(value))
			return SEALMAIL_OK;
		break;
	}
	if (s->type == SEALMAIL_SETTING_BOOL &&
	    strcmp(s->values, "yes, no") != 0)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "bad value '%s' for %s: use %s", value,
		                    s->key, s->values);
	return sm_error_set(err, SEALMAIL_EINVAL,
	                    "bad value '%s' for %s: use %s%s", value, s->key,
	                    s->type == SEALMAIL_SETTING_ID ||
	                                    s->type == SEALMAIL_SETTING_TEXT
	                            ? ""
	                            : "one of ",
	                    s->values);
}

/* Write one checked setting inside the open transaction. */
static int
setting_write(sealmail_store *store,
              const char *addr,
              const setting *s,
              const char *value,
              const char *text,
              int flag,
              sealmail_error *err)
{
	sm_buf sql;
	sm_stmt *st = NULL;
	int64_t rowid = 0;
	bool allowed;
	int rc;

	if (s->type == SEALMAIL_SETTING_ID && strcmp(value, "auto") != 0) {
		rc = sm_id_resolve(&rowid, store, value, err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (!sm_id_names_address(store, rowid, addr))
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "digital ID %s does not name %s: "
			                    "%s must be an ID for the account",
			                    value, addr, s->key);
		rc = sm_id_allows(&allowed, store, rowid,
		                  strcmp(s->column, "encrypt_identity") == 0,
		                  err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (!allowed)
			return sm_error_set(
			        err, SEALMAIL_EINVAL,
			        "digital ID %s cannot %s e-mail: its "
			        "certificate's "
			        "key usage does not allow it",
			        value,
			        strcmp(s->column, "encrypt_identity") == 0
			                ? "decrypt"
			                : "sign");
	}
	sm_buf_init(&sql, 256);
	rc = sm_buf_printf(&sql, err,
	                   "UPDATE accounts SET %s = ? "
	                   "WHERE address = ?",
	                   s->column);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_prepare(&st, store, (const char *)sql.data, err);
	sm_buf_free(&sql);
	if (rc != SEALMAIL_OK)
		return rc;
	switch (s->type) {
	case SEALMAIL_SETTING_BOOL:
		rc = sm_stmt_bind_int64(st, 1, flag, err);
		break;
	case SEALMAIL_SETTING_ID:
		rc = rowid != 0 ? sm_stmt_bind_int64(st, 1, rowid, err)
		                : sm_stmt_bind_null(st, 1, err);
		break;
	case SEALMAIL_SETTING_CHOICE:
		rc = sm_stmt_bind_text(st, 1, text, err);
		break;
	case SEALMAIL_SETTING_TEXT:
		rc = value[0] != '\0' ? sm_stmt_bind_text(st, 1, value, err)
		                      : sm_stmt_bind_null(st, 1, err);
		break;
	}
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_bind_text(st, 2, addr, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	sm_stmt_free(st);
	st = NULL;
	if (rc >= 0 && s->clears != NULL && value[0] != '\0') {
		sm_buf_init(&sql, 256);
		rc = sm_buf_printf(&sql, err,
		                   "UPDATE accounts SET %s = NULL "
		                   "WHERE address = ?",
		                   s->clears);
		if (rc == SEALMAIL_OK)
			rc = sm_stmt_prepare(&st, store, (const char *)sql.data,
			                     err);
		sm_buf_free(&sql);
		if (rc == SEALMAIL_OK)
			rc = sm_stmt_bind_text(st, 1, addr, err);
		if (rc == SEALMAIL_OK)
			rc = sm_stmt_step(st, err);
		sm_stmt_free(st);
	}
	return rc < 0 ? rc : SEALMAIL_OK;
}

static int
account_exists(bool *found,
               sealmail_store *store,
               const char *addr,
               sealmail_error *err)
{
	sm_stmt *st;
	int rc;

	*found = false;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT 1 FROM accounts WHERE address = ?", err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_text(st, 1, addr, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	*found = rc == SM_STEP_ROW;
	sm_stmt_free(st);
	return rc < 0 ? rc : SEALMAIL_OK;
}

int
sealmail_account_set_many(sealmail_store *store,
                          const char *address,
                          const char *const *keys,
                          const char *const *values,
                          size_t n,
                          sealmail_error *err)
{
	char addr[SM_ADDRESS_MAX + 1];
	const char *text;
	bool found;
	int flag, rc;

	rc = address_copy(addr, sizeof(addr), address, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (n == 0)
		return sm_error_set(err, SEALMAIL_EINVAL, "no setting given");
	/* Check every key and value before touching the store. */
	for (size_t i = 0; i < n; i++) {
		const setting *s = setting_find(keys[i]);
		if (s == NULL)
			return unknown_key(err, keys[i]);
		if (values[i] == NULL)
			return sm_error_set(err, SEALMAIL_EINVAL,
			                    "no value for %s", keys[i]);
		rc = value_check(s, values[i], &text, &flag, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	rc = sm_db_begin(store, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = account_exists(&found, store, addr, err);
	if (rc == SEALMAIL_OK && !found)
		rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
		                  "no account for %s: create or import a "
		                  "digital ID for it first",
		                  addr);
	for (size_t i = 0; rc == SEALMAIL_OK && i < n; i++) {
		const setting *s = setting_find(keys[i]);
		rc = value_check(s, values[i], &text, &flag, err);
		if (rc == SEALMAIL_OK)
			rc = setting_write(store, addr, s, values[i], text,
			                   flag, err);
	}
	if (rc == SEALMAIL_OK)
		rc = sm_db_commit(store, err);
	if (rc != SEALMAIL_OK)
		sm_db_rollback(store);
	return rc;
}

int
sealmail_account_set(sealmail_store *store,
                     const char *address,
                     const char *key,
                     const char *value,
                     sealmail_error *err)
{
	return sealmail_account_set_many(store, address, &key, &value, 1, err);
}

/* --- the internal interface (account_int.h) --------------------------- */

int
sm_account_settings_get(sm_account_settings *out,
                        sealmail_store *store,
                        const char *address,
                        sealmail_error *err)
{
	char addr[SM_ADDRESS_MAX + 1];
	sm_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	out->include_cert = true;
	out->encrypt_to_self = true;
	(void)snprintf(out->cipher, sizeof(out->cipher), "auto");
	rc = address_copy(addr, sizeof(addr), address, err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_prepare(&st, store,
	                     "SELECT sign_all, encrypt_all, include_cert, "
	                     "encrypt_to_self, signing, cipher, sign_identity, "
	                     "encrypt_identity FROM accounts WHERE address = ?",
	                     err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_text(st, 1, addr, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	if (rc == SM_STEP_ROW) {
		out->sign_all = sm_stmt_column_int64(st, 0) != 0;
		out->encrypt_all = sm_stmt_column_int64(st, 1) != 0;
		out->include_cert = sm_stmt_column_int64(st, 2) != 0;
		out->encrypt_to_self = sm_stmt_column_int64(st, 3) != 0;
		out->opaque = strcmp(sm_stmt_column_text(st, 4), "opaque") == 0;
		(void)snprintf(out->cipher, sizeof(out->cipher), "%s",
		               sm_stmt_column_text(st, 5));
		if (!sm_stmt_column_is_null(st, 6))
			out->sign_identity = sm_stmt_column_int64(st, 6);
		if (!sm_stmt_column_is_null(st, 7))
			out->encrypt_identity = sm_stmt_column_int64(st, 7);
	}
	sm_stmt_free(st);
	return rc < 0 ? rc : SEALMAIL_OK;
}

int
sm_account_ensure(sealmail_store *store,
                  const char *address,
                  sealmail_error *err)
{
	sm_stmt *st;
	int rc;

	rc = sm_stmt_prepare(&st, store,
	                     "INSERT OR IGNORE INTO accounts (address) "
	                     "VALUES (?)",
	                     err);
	if (rc != SEALMAIL_OK)
		return rc;
	rc = sm_stmt_bind_text(st, 1, address, err);
	if (rc == SEALMAIL_OK)
		rc = sm_stmt_step(st, err);
	sm_stmt_free(st);
	return rc < 0 ? rc : SEALMAIL_OK;
}
