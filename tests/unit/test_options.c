/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of every public sealmail_<x>_options_init(): one shape for
 * all -- an unknown version or a NULL pointer is EINVAL, otherwise the
 * options are exactly the SEALMAIL_<X>_OPTIONS_INIT defaults, whatever the
 * struct held before.
 */
#include "sealmail/sealmail.h"

#include <string.h>

#include "harness.h"

/*
 * Check sealmail_<x>_options_init for type T with the prefix X of its
 * macros: EINVAL for a wrong version and for NULL, OK and the INIT values
 * over a struct full of garbage.  `same` compares two T (fields, not bytes:
 * padding is not part of the value).
 */
#define CHECK_INIT(T, init, X, same)                                           \
	do {                                                                   \
		T o_, want_ = (T)SEALMAIL_##X##_OPTIONS_INIT;                  \
		memset(&o_, 0xa5, sizeof(o_));                                 \
		test_assert_int(init(&o_, SEALMAIL_##X##_OPTIONS_VERSION + 1), \
		                SEALMAIL_EINVAL);                              \
		test_assert_int(init(NULL, SEALMAIL_##X##_OPTIONS_VERSION),    \
		                SEALMAIL_EINVAL);                              \
		test_assert_int(init(&o_, SEALMAIL_##X##_OPTIONS_VERSION),     \
		                SEALMAIL_OK);                                  \
		test_assert_int(o_.version, SEALMAIL_##X##_OPTIONS_VERSION);   \
		test_assert(same(&o_, &want_));                                \
	} while (0)

static bool
same_store(const sealmail_store_options *a, const sealmail_store_options *b)
{
	return a->flags == b->flags && a->passphrase == b->passphrase &&
	       a->passphrase_payload == b->passphrase_payload &&
	       a->busy_timeout_ms == b->busy_timeout_ms;
}

static bool
same_create(const sealmail_id_create_options *a,
            const sealmail_id_create_options *b)
{
	return a->flags == b->flags && a->name == b->name &&
	       a->key_type == b->key_type && a->days == b->days;
}

static bool
same_import(const sealmail_id_import_options *a,
            const sealmail_id_import_options *b)
{
	return a->flags == b->flags && a->data_name == b->data_name &&
	       a->key_data_name == b->key_data_name;
}

static bool
same_export(const sealmail_id_export_options *a,
            const sealmail_id_export_options *b)
{
	return a->flags == b->flags && a->format == b->format;
}

static bool
same_protect(const sealmail_protect_options *a,
             const sealmail_protect_options *b)
{
	return a->flags == b->flags && a->from == b->from &&
	       a->cipher == b->cipher && a->bcc_output == b->bcc_output &&
	       a->bcc_payload == b->bcc_payload && a->confirm == b->confirm &&
	       a->confirm_payload == b->confirm_payload &&
	       a->result == b->result;
}

static bool
same_open(const sealmail_open_options *a, const sealmail_open_options *b)
{
	return a->flags == b->flags && a->temp_dir == b->temp_dir;
}

static bool
same_transport(const sealmail_transport_options *a,
               const sealmail_transport_options *b)
{
	return a->flags == b->flags && a->user == b->user &&
	       a->password == b->password && a->ca_file == b->ca_file &&
	       a->timeout_sec == b->timeout_sec;
}

static bool
same_send(const sealmail_send_options *a, const sealmail_send_options *b)
{
	return a->flags == b->flags && same_protect(&a->protect, &b->protect) &&
	       a->rcpt == b->rcpt && a->nrcpt == b->nrcpt &&
	       a->envelope_from == b->envelope_from &&
	       a->password == b->password &&
	       a->password_payload == b->password_payload &&
	       a->timeout_sec == b->timeout_sec;
}

static void
test_every_init(void)
{
	CHECK_INIT(sealmail_store_options, sealmail_store_options_init, STORE,
	           same_store);
	CHECK_INIT(sealmail_id_create_options, sealmail_id_create_options_init,
	           ID_CREATE, same_create);
	CHECK_INIT(sealmail_id_import_options, sealmail_id_import_options_init,
	           ID_IMPORT, same_import);
	CHECK_INIT(sealmail_id_export_options, sealmail_id_export_options_init,
	           ID_EXPORT, same_export);
	CHECK_INIT(sealmail_protect_options, sealmail_protect_options_init,
	           PROTECT, same_protect);
	CHECK_INIT(sealmail_open_options, sealmail_open_options_init, OPEN,
	           same_open);
	CHECK_INIT(sealmail_transport_options, sealmail_transport_options_init,
	           TRANSPORT, same_transport);
	CHECK_INIT(sealmail_send_options, sealmail_send_options_init, SEND,
	           same_send);
}

/*
 * sealmail_standalone_init: a status like every call; twice is harmless;
 * a store made and opened again after it (SQLite without its initial
 * page-cache bulk) works as before.
 */
static void
test_standalone_init(void)
{
	sealmail_error err = {0};
	sealmail_store *store = NULL;
	const char *dir = test_tmpdir();

	test_assert_int(sealmail_standalone_init(&err), SEALMAIL_OK);
	test_assert_int(sealmail_standalone_init(NULL), SEALMAIL_OK);
	test_assert_str(err.message, "");
	for (int i = 0; i < 2; i++) {
		test_assert_int(sealmail_store_open(&store, dir, NULL, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_store_schema_version(store), 3);
		sealmail_store_free(store);
		store = NULL;
	}
}

static const struct test_case tests[] = {
        {"every_init", test_every_init},
        {"standalone_init", test_standalone_init},
};

TEST_MAIN(tests)
