#!/bin/sh
# SPDX-License-Identifier: MIT
# sealmail list over IMAP (the real Dovecot of the "mail" fixture), Maildir
# and mbox: a signed message from an unknown signer, then a trusted one, a
# copy rewritten on the server (line endings), an unsigned one; the login
# options and their errors.
# shellcheck source=tests/mail/lib.sh
. "$(dirname "$0")/lib.sh"
PKI=$TEST_DATA/pki
H=$TMP/bob
INBOX="imaps://127.0.0.1:$MAIL_IMAPS_PORT/INBOX"
BOXDIR=$MAIL_DIR/mail/example.org/bob/Maildir
printf 'bob-pw\n' >"$TMP/pw"
chmod 600 "$TMP/pw"
LOGIN="--user bob@example.org --mail-password-file $TMP/pw --ca-file $MAIL_CA"

# A message signed by Alice (openssl, the test PKI), with a fixed Date.
printf 'Content-Type: text/plain\r\n\r\nHello Bob,\r\nsigned.\r\n' >"$TMP/body"
{
	printf 'Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n'
	openssl cms -sign -in "$TMP/body" -signer "$PKI/alice@example.org.crt" \
		-inkey "$PKI/alice@example.org.key" \
		-certfile "$PKI/intermediate-ca.crt" -from alice@example.org \
		-to bob@example.org -subject "signed hello" -crlfeol
} >"$TMP/signed.eml"
printf 'Date: Sat, 28 Nov 2026 11:00:00 +0000\r\nFrom: carol@example.org\r\nTo: bob@example.org\r\nSubject: plain\r\n\r\nnot signed\r\n' >"$TMP/plain.eml"

submit() {
	curl -sS --url "smtps://127.0.0.1:$MAIL_SMTPS_PORT" --cacert "$MAIL_CA" \
		--mail-from "$1" --mail-rcpt bob@example.org --upload-file "$2"
}
wait_count() { # wait until bob's INBOX has $1 messages
	i=0
	while [ $i -lt 50 ]; do
		n=$(find "$BOXDIR/new" "$BOXDIR/cur" -type f | wc -l)
		[ "$n" -ge "$1" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
before=$(find "$BOXDIR/new" "$BOXDIR/cur" -type f | wc -l)

begin_test "list: a signed message from a signer not in the book"
submit alice@example.org "$TMP/signed.eml" || fail "submission failed"
wait_count $((before + 1)) || fail "not delivered"
# shellcheck disable=SC2086
run sealmail --home "$H" list $LOGIN "$INBOX"
expect_exit 0
expect_out_contains "2026-11-28 10:00  alice@example.org  signed hello  [signed, signer not trusted]"

# shellcheck disable=SC2154 # $out is set by run (lib.sh)
begin_test "list --json: the same as data"
# shellcheck disable=SC2086
run sealmail --home "$H" --json list $LOGIN "$INBOX"
expect_exit 0
[ "$(printf '%s' "$out" | jq -r '.messages[] | select(.subject == "signed hello") | [.from, .subject, .date, .signature, .encryption, .verdict, .partly_signed, (.rewrite|tostring)] | join(" ")')" = \
	"alice@example.org signed hello 2026-11-28T10:00:00Z untrusted none warning false null" ] ||
	fail "json fields differ"
# Postfix delivers asynchronously: pick the message by subject, not position.
[ "$(printf '%s' "$out" | jq -r '.messages[] | select(.subject == "signed hello") | .name')" = \
	"$INBOX/;UID=$(printf '%s' "$out" | jq -r '.messages[] | select(.subject == "signed hello") | .id')" ] ||
	fail "name is not MAILBOX/;UID=N"

begin_test "list: once Alice's certificate is trusted"
run sealmail --home "$H" book add "$PKI/alice@example.org.crt"
expect_exit 0
run sealmail --home "$H" book trust alice@example.org trusted
expect_exit 0
# shellcheck disable=SC2086
run sealmail --home "$H" list $LOGIN "$INBOX"
expect_exit 0
expect_out_contains "alice@example.org  signed hello  [signed, trusted]"

begin_test "list: a copy rewritten on the server (trailing white space) shows as altered"
f=$TMP/delivered.eml
maildir_copy "$BOXDIR" 'signed hello' "$f" || fail "the delivered file is not found"
sed -e 's/^Hello Bob,/Hello Bob,   /' \
	-e 's/^Subject: signed hello/Subject: rewritten copy/' "$f" \
	>"$BOXDIR/new/1.rewritten.test"
chmod 644 "$BOXDIR/new/1.rewritten.test"
# shellcheck disable=SC2086
run sealmail --home "$H" list $LOGIN "$INBOX"
expect_exit 0
expect_out_contains "alice@example.org  rewritten copy  [signed, altered by a mail server (trailing white space)]"

begin_test "list: an unsigned message"
submit carol@example.org "$TMP/plain.eml" || fail "submission failed"
wait_count $((before + 3)) || fail "not delivered"
# shellcheck disable=SC2086
run sealmail --home "$H" list $LOGIN "$INBOX"
expect_exit 0
expect_out_contains "2026-11-28 11:00  carol@example.org  plain  [not signed]"

begin_test "list: a Maildir and an mbox, by path"
mkdir -p "$TMP/md/cur" "$TMP/md/new"
cp "$TMP/signed.eml" "$TMP/md/cur/1.a"
{ echo "From x Sat Nov 28 10:00:00 2026"; cat "$TMP/plain.eml"; echo; \
  echo "From y Sat Nov 28 10:00:00 2026"; cat "$TMP/signed.eml"; } >"$TMP/mbox"
run sealmail --home "$H" list "$TMP/md"
expect_exit 0
expect_out "cur/1.a  2026-11-28 10:00  alice@example.org  signed hello  [signed, trusted]"
run sealmail --home "$H" list "$TMP/mbox"
expect_exit 0
expect_out "1  2026-11-28 11:00  carol@example.org  plain  [not signed]
2  2026-11-28 10:00  alice@example.org  signed hello  [signed, trusted]"
run sealmail --home "$H" --json list "$TMP/mbox"
expect_exit 0
expect_json '[.messages[] | .verdict] | join(" ")' "not-signed good"

begin_test "list: the password from a command"
run sealmail --home "$H" list --user bob@example.org \
	--mail-password-command "echo bob-pw" --ca-file "$MAIL_CA" "$INBOX"
expect_exit 0
expect_out_contains "carol@example.org  plain  [not signed]"

begin_test "list: login errors"
printf 'wrong\n' >"$TMP/badpw"
chmod 600 "$TMP/badpw"
run sealmail --home "$H" list --user bob@example.org \
	--mail-password-file "$TMP/badpw" --ca-file "$MAIL_CA" "$INBOX"
expect_exit 77
expect_err_contains "login refused"
expect_out ""
chmod 644 "$TMP/badpw"
run sealmail --home "$H" list --user bob@example.org \
	--mail-password-file "$TMP/badpw" "$INBOX"
expect_exit 77
expect_err "sealmail: password-file $TMP/badpw may be read by others; chmod 600 it"
run sealmail --home "$H" list --user bob@example.org \
	--mail-password-command "exit 3" "$INBOX"
expect_exit 78
expect_err "sealmail: password-command failed (exit status 3)"
run sealmail --home "$H" list --user bob@example.org \
	--mail-password-file "$TMP/none" "$INBOX"
expect_exit 66
run sealmail --home "$H" list --user bob@example.org \
	--mail-password-file "$TMP/pw" --mail-password-command true "$INBOX"
expect_exit 64
# shellcheck disable=SC2086
run sealmail --home "$H" list $LOGIN "imaps://127.0.0.1:$MAIL_IMAPS_PORT/NoSuchBox"
expect_exit 66
expect_err_contains "no such mailbox"
# shellcheck disable=SC2086
run sealmail --home "$H" list $LOGIN
expect_exit 64
run sealmail --home "$H" list "$TMP/nothing-here"
expect_exit 66

end_tests
