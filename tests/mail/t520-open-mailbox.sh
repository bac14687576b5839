#!/bin/sh
# SPDX-License-Identifier: MIT
# sealmail open on a message in a mailbox, named as `sealmail list` names
# it: imap[s]://HOST:PORT/MAILBOX/;UID=N (the real Dovecot of the "mail"
# fixture), a Maildir file, MBOX#N; the errors of each; nothing left behind
# in the temporary folder.
# shellcheck source=tests/mail/lib.sh
. "$(dirname "$0")/lib.sh"
PKI=$TEST_DATA/pki
H=$TMP/carol
INBOX="imaps://127.0.0.1:$MAIL_IMAPS_PORT/INBOX"
printf 'carol-pw\n' >"$TMP/pw"
chmod 600 "$TMP/pw"
LOGIN="--user carol@example.org --mail-password-file $TMP/pw --ca-file $MAIL_CA"
T=$(date +%s).$$
mkdir "$TMP/spool"

printf 'Content-Type: text/plain\r\n\r\nHello Carol,\r\nsigned.\r\n' >"$TMP/body"
{
	printf 'Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n'
	openssl cms -sign -in "$TMP/body" -signer "$PKI/alice@example.org.crt" \
		-inkey "$PKI/alice@example.org.key" \
		-certfile "$PKI/intermediate-ca.crt" -from alice@example.org \
		-to carol@example.org -subject "for carol $T" -crlfeol
} >"$TMP/signed.eml"
curl -sS --url "smtps://127.0.0.1:$MAIL_SMTPS_PORT" --cacert "$MAIL_CA" \
	--mail-from alice@example.org --mail-rcpt carol@example.org \
	--upload-file "$TMP/signed.eml" || fail "submission failed"
uid=""
i=0
while [ -z "$uid" ] && [ $i -lt 50 ]; do
	# shellcheck disable=SC2086
	uid=$("$SEALMAIL" --home "$H" --json list $LOGIN "$INBOX" 2>/dev/null |
		jq -r --arg s "for carol $T" \
			'[.messages[] | select(.subject == $s) | .id] | first // empty')
	[ -n "$uid" ] || sleep 0.2
	i=$((i + 1))
done
[ -n "$uid" ] || fail "not delivered"

begin_test "open imaps://.../INBOX/;UID=N: the message fetched and checked"
# shellcheck disable=SC2086
TMPDIR=$TMP/spool run sealmail --home "$H" open $LOGIN "$INBOX/;UID=$uid"
expect_exit 1
expect_out_contains "Subject: for carol $T"
expect_out_contains "  content:     the content is exactly what was signed"
expect_out_contains "to trust it: sealmail open --add-cert '$INBOX/;UID=$uid'"
[ -z "$(ls -A "$TMP/spool")" ] || fail "the temporary folder is not empty"

begin_test "open --json over IMAP, and -o writes the readable message"
# shellcheck disable=SC2086
run sealmail --home "$H" --json open $LOGIN -o "$TMP/read.eml" "$INBOX/;UID=$uid"
expect_exit 1
expect_json '.verdict' warning
expect_json '.signatures[0].signer.address' alice@example.org
grep -q '^Hello Carol,' "$TMP/read.eml" || fail "readable message missing"

begin_test "open over IMAP: the password from a command, STARTTLS on imap://"
run sealmail --home "$H" open --user carol@example.org \
	--mail-password-command "echo carol-pw" --ca-file "$MAIL_CA" \
	"imap://127.0.0.1:$MAIL_IMAP_PORT/INBOX/;UID=$uid"
expect_exit 1
expect_out_contains "Subject: for carol $T"

begin_test "open over IMAP: errors"
# shellcheck disable=SC2086
TMPDIR=$TMP/spool run sealmail --home "$H" open $LOGIN "$INBOX/;UID=999999"
expect_exit 66
expect_out ""
[ -n "$errout" ] || fail "no error message"
[ -z "$(ls -A "$TMP/spool")" ] || fail "the temporary folder is not empty"
# shellcheck disable=SC2086
run sealmail --home "$H" open $LOGIN "$INBOX/;UID=x"
expect_exit 64
expect_err_contains "not a valid UID"
# shellcheck disable=SC2086
run sealmail --home "$H" open $LOGIN "$INBOX"
expect_exit 64
expect_err_contains "needs a UID"
# shellcheck disable=SC2086
run sealmail --home "$H" open $LOGIN "imaps://127.0.0.1:$MAIL_IMAPS_PORT/NoSuchBox/;UID=1"
expect_exit 66
printf 'wrong\n' >"$TMP/badpw"
chmod 600 "$TMP/badpw"
run sealmail --home "$H" open --user carol@example.org \
	--mail-password-file "$TMP/badpw" --ca-file "$MAIL_CA" "$INBOX/;UID=$uid"
expect_exit 77
expect_err_contains "login refused"
expect_out ""
run sealmail --home "$H" open --user carol@example.org \
	--mail-password-file "$TMP/pw" --mail-password-command true \
	"$INBOX/;UID=$uid"
expect_exit 64
# shellcheck disable=SC2086
TMPDIR=$TMP/none run sealmail --home "$H" open $LOGIN "$INBOX/;UID=$uid"
expect_exit 73
expect_err_contains "cannot create a temporary file in $TMP/none"

begin_test "open MBOX#N and a Maildir file"
printf 'Date: Sat, 28 Nov 2026 11:00:00 +0000\r\nFrom: dave@example.org\r\nSubject: plain\r\n\r\nnot signed\r\n' >"$TMP/plain.eml"
{ echo "From x Sat Nov 28 10:00:00 2026"; cat "$TMP/plain.eml"; echo; \
  echo "From y Sat Nov 28 10:00:00 2026"; cat "$TMP/signed.eml"; } >"$TMP/mbox"
run sealmail --home "$H" open "$TMP/mbox#2"
expect_exit 1
expect_out_contains "Subject: for carol $T"
run sealmail --home "$H" open "$TMP/mbox#1"
expect_exit 0
expect_out_contains "this message is not signed"
run sealmail --home "$H" open "$TMP/mbox#3"
expect_exit 66
expect_err_contains "no message $TMP/mbox#3 in the mbox"
mkdir -p "$TMP/md/cur" "$TMP/md/new"
cp "$TMP/signed.eml" "$TMP/md/cur/1.a"
run sealmail --home "$H" --json list "$TMP/md"
expect_json '.messages[0].name' "$TMP/md/cur/1.a"
run sealmail --home "$H" open "$TMP/md/cur/1.a"
expect_exit 1
# Only part of a message inside a signature: listed and opened as such.
{
	printf 'From: alice@example.org\nSubject: partly\nDate: Sat, 28 Nov 2026 12:00:00 +0000\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n--outer\n'
	sed -n '/^Content-Type: multipart\/signed/,$p' "$TMP/signed.eml"
	printf '\n--outer\nContent-Type: text/plain\n\nadded by someone\n--outer--\n'
} >"$TMP/md/new/2.p"
run sealmail --home "$H" list "$TMP/md"
expect_exit 0
expect_out "cur/1.a  2026-11-28 10:00  alice@example.org  for carol $T  [signed, signer not trusted]
new/2.p  2026-11-28 12:00  alice@example.org  partly  [partly signed, signer not trusted]"
run sealmail --home "$H" --json list "$TMP/md"
expect_json '.messages[1] | [.signature, .partly_signed, .verdict] | join(" ")' "untrusted true warning"
run sealmail --home "$H" open "$TMP/md/new/2.p"
expect_exit 1
expect_out_contains "only part of this message is signed"
# A file whose name ends in #N is a file, not an mbox position.
cp "$TMP/plain.eml" "$TMP/odd#1"
run sealmail --home "$H" open "$TMP/odd#1"
expect_exit 0
expect_out_contains "Subject: plain"

end_tests
