#!/bin/sh
# SPDX-License-Identifier: MIT
# sealmail open on unsigned, malformed and hostile input: clear verdicts,
# one-line errors with sysexits codes, escaped text, no crash.
. "$(dirname "$0")/lib.sh"

H=$TMP/home

begin_test "an unsigned message: exit 0, nothing to check, never \"good\" (text and JSON)"
printf 'From: a@example.org\nSubject: plain\n\nhello\n' >"$TMP/plain.eml"
run sealmail --home "$H" open "$TMP/plain.eml"
expect_exit 0
expect_out_contains "this message is not signed"
expect_out_contains "verdict: not signed"
expect_out_lacks "verdict: good"
run sealmail --home "$H" --json open "$TMP/plain.eml"
expect_exit 0
expect_json .coverage none
expect_json '.signatures | length' 0
expect_json .verdict not-signed
expect_json .version 2
expect_json .exit 0

begin_test "standard input works like a file"
run_stdin "$TMP/plain.eml" sealmail --home "$H" --json open
expect_exit 0
expect_json .subject plain

begin_test "control characters from the message are escaped"
printf 'From: a@example.org\nSubject: \033[2Jfake\n\nx\n' >"$TMP/ansi.eml"
run sealmail --home "$H" open "$TMP/ansi.eml"
expect_exit 0
expect_out_contains 'Subject: \x1b[2Jfake'
case "$out" in *"$(printf '\033')"*) fail "raw ESC printed" ;; esac

begin_test "nested deeper than 32 levels: exit 65, one line"
{
	printf 'From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n'
	i=0
	while [ $i -lt 40 ]; do
		printf -- '--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n' $i $((i + 1))
		i=$((i + 1))
	done
	printf -- '--b40\n\ndeep\n'
} >"$TMP/deep.eml"
run sealmail --home "$H" open "$TMP/deep.eml"
expect_exit 65
expect_err "sealmail: $TMP/deep.eml: the message is nested deeper than 32 levels"

begin_test "a multipart whose boundary never appears: exit 65"
printf 'From: a@example.org\nContent-Type: multipart/mixed; boundary=zz\n\nno parts\n' >"$TMP/nob.eml"
run sealmail --home "$H" open "$TMP/nob.eml"
expect_exit 65
expect_one_line_err
expect_err_contains "boundary not found"

begin_test "multipart/signed without its signature part: danger"
printf 'From: a@example.org\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary=s\n\n--s\nContent-Type: text/plain\n\nhi\n--s--\n' >"$TMP/nosig.eml"
run sealmail --home "$H" open "$TMP/nosig.eml"
expect_exit 2
expect_out_contains "has no signature"

begin_test "a damaged signature part: danger, not a crash"
printf 'From: a@example.org\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary=s\n\n--s\nContent-Type: text/plain\n\nhi\n--s\nContent-Type: application/pkcs7-signature\nContent-Transfer-Encoding: base64\n\nMIIBAAAA\n--s--\n' >"$TMP/badsig.eml"
run sealmail --home "$H" --json open "$TMP/badsig.eml"
expect_exit 2
expect_json '.findings[0].code' bad-signature
expect_json .coverage full

begin_test "PGP/MIME is not ours to check: a warning, never valid"
printf 'From: a@example.org\nContent-Type: multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary=p\n\n--p\n\nhi\n--p\nContent-Type: application/pgp-signature\n\nxx\n--p--\n' >"$TMP/pgp.eml"
run sealmail --home "$H" --json open "$TMP/pgp.eml"
expect_exit 1
expect_json '.findings[0].code' unsupported-signature

begin_test "an enveloped message reaches the encryption hook"
printf 'From: a@example.org\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIIBAAAA\n' >"$TMP/env.eml"
run sealmail --home "$H" --json open "$TMP/env.eml"
[ "$rc" -ne 0 ] || fail "an undecrypted message passed as good"
[ "$(printf '%s' "$out" | jq -r '.encryption != null')" = true ] || fail "no encryption layer"

end_tests
