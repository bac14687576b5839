/* SPDX-License-Identifier: MIT */
/*
 * Link shim for the static build (SEALMAIL_STATIC_DEPS, docs/design.md):
 * GMime's archive carries its OpenPGP/S/MIME glue (GPGME) and its GIO
 * stream, which sealmail never uses (OpenSSL does the cryptography, our own
 * streams do the I/O).  These definitions satisfy the linker so that
 * neither GPGME nor GIO, nor their dependency trees, is loaded at start-up.
 * g_mime_init() calls gpgme_check_version() once; nothing else here is
 * reachable, and reaching it would be a bug: abort, never continue.
 */
#include <stddef.h>
#include <stdlib.h>

const char *gpgme_check_version_internal(const char *req_version,
                                         size_t offset_sig_validity);

const char *
gpgme_check_version_internal(const char *req_version,
                             size_t offset_sig_validity)
{
	(void)req_version;
	(void)offset_sig_validity;
	return "0.0.0-not-linked";
}

/* Never called: GMime's GPGME contexts and its GIO stream. */
#define UNREACHABLE(name) \
	void name(void);  \
	void name(void)   \
	{                 \
		abort();  \
	}

UNREACHABLE(gpgme_data_new_from_cbs)
UNREACHABLE(gpgme_data_release)
UNREACHABLE(gpgme_engine_check_version)
UNREACHABLE(gpgme_get_key)
UNREACHABLE(gpgme_get_keylist_mode)
UNREACHABLE(gpgme_get_protocol)
UNREACHABLE(gpgme_key_unref)
UNREACHABLE(gpgme_new)
UNREACHABLE(gpgme_op_decrypt)
UNREACHABLE(gpgme_op_decrypt_result)
UNREACHABLE(gpgme_op_decrypt_verify)
UNREACHABLE(gpgme_op_encrypt)
UNREACHABLE(gpgme_op_encrypt_sign)
UNREACHABLE(gpgme_op_export_ext)
UNREACHABLE(gpgme_op_import)
UNREACHABLE(gpgme_op_import_result)
UNREACHABLE(gpgme_op_keylist_end)
UNREACHABLE(gpgme_op_keylist_next)
UNREACHABLE(gpgme_op_keylist_start)
UNREACHABLE(gpgme_op_sign)
UNREACHABLE(gpgme_op_sign_result)
UNREACHABLE(gpgme_op_verify)
UNREACHABLE(gpgme_op_verify_result)
UNREACHABLE(gpgme_release)
UNREACHABLE(gpgme_set_armor)
UNREACHABLE(gpgme_set_ctx_flag)
UNREACHABLE(gpgme_set_keylist_mode)
UNREACHABLE(gpgme_set_offline)
UNREACHABLE(gpgme_set_passphrase_cb)
UNREACHABLE(gpgme_set_protocol)
UNREACHABLE(gpgme_set_textmode)
UNREACHABLE(gpgme_signers_add)
UNREACHABLE(gpgme_signers_clear)
UNREACHABLE(gpgme_strerror)
UNREACHABLE(g_file_append_to)
UNREACHABLE(g_file_get_type)
UNREACHABLE(g_file_read)
UNREACHABLE(g_input_stream_close)
UNREACHABLE(g_input_stream_read)
UNREACHABLE(g_output_stream_close)
UNREACHABLE(g_output_stream_flush)
UNREACHABLE(g_output_stream_write_all)
UNREACHABLE(g_seekable_get_type)
UNREACHABLE(g_seekable_seek)
UNREACHABLE(g_seekable_tell)
