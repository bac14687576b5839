#!/bin/sh
# SPDX-License-Identifier: MIT
# The seed guide's scenario end to end, against the real Postfix and Dovecot
# of the "mail" fixture (issue 5): Alice sends Bob a signed message; Bob
# lists his INBOX over IMAP (signed, untrusted signer), adds Alice's
# certificate from the message and trusts it; Alice, with encrypt-all on,
# sends Bob an encrypted and signed message; Bob lists it and opens it over
# IMAP; Alice opens her own Sent copy over IMAP; a copy rewritten on the
# server shows as altered with the rewrite named.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
: "${SEALMAIL_MAIL_ENV:?}"
if grep -q '^MAIL_SKIP=' "$SEALMAIL_MAIL_ENV" 2>/dev/null; then
	echo "skipped: $(sed -n 's/^MAIL_SKIP=//p' "$SEALMAIL_MAIL_ENV")"
	exit 77
fi
# shellcheck disable=SC1090
. "$SEALMAIL_MAIL_ENV"
A=$TMP/alice
B=$TMP/bob
IMAPS="imaps://127.0.0.1:$MAIL_IMAPS_PORT"
SMTPS="smtps://127.0.0.1:$MAIL_SMTPS_PORT"
BOBDIR=$MAIL_DIR/mail/example.org/bob/Maildir
# Subjects carry a tag so that a rerun against the same servers finds its
# own messages.
T=$(date +%s).$$
for u in alice bob; do
	printf '%s-pw\n' "$u" >"$TMP/$u.pw"
	chmod 600 "$TMP/$u.pw"
done
ALOGIN="--user alice@example.org --mail-password-file $TMP/alice.pw --ca-file $MAIL_CA"
BLOGIN="--user bob@example.org --mail-password-file $TMP/bob.pw --ca-file $MAIL_CA"

# submit FROM RCPT FILE: plain SMTP submission (what any mail client does).
submit() {
	curl -sS --url "$SMTPS" --cacert "$MAIL_CA" --mail-from "$1" \
		--mail-rcpt "$2" --upload-file "$3"
}
# store_sent FILE: Alice's client keeps its copy in her Sent over IMAP.
store_sent() {
	printf 'machine 127.0.0.1 login alice@example.org password alice-pw\n' \
		>"$TMP/netrc"
	chmod 600 "$TMP/netrc"
	curl -sS --url "$IMAPS/Sent" --cacert "$MAIL_CA" \
		--netrc-file "$TMP/netrc" --upload-file "$1"
}
# uid_of WHO-LOGIN MAILBOX SUBJECT: the UID of the message with SUBJECT,
# waiting (10 s at most) for Postfix to deliver it.
uid_of() {
	_i=0
	while [ $_i -lt 50 ]; do
		# shellcheck disable=SC2086
		_u=$("$SEALMAIL" --home "$TMP/probe" --json list $1 "$2" 2>/dev/null |
			jq -r --arg s "$3" \
				'[.messages[] | select(.subject == $s) | .id] | first // empty')
		if [ -n "$_u" ]; then
			echo "$_u"
			return 0
		fi
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

begin_test "Alice and Bob each have a digital ID"
run sealmail --home "$A" id create --email alice@example.org \
	--name "Alice Liddell" --no-passphrase
expect_exit 0
run sealmail --home "$B" id create --email bob@example.org \
	--name "Bob Builder" --no-passphrase
expect_exit 0

begin_test "Alice sends Bob a signed message"
printf 'From: Alice Liddell <alice@example.org>\nTo: Bob Builder <bob@example.org>\nSubject: Lunch? %s\nDate: Sat, 28 Nov 2026 12:00:00 +0000\n\nShall we meet at noon?\n' \
	"$T" >"$TMP/lunch.eml"
run sealmail --home "$A" protect --sign -o "$TMP/lunch.signed.eml" "$TMP/lunch.eml"
expect_exit 0
submit alice@example.org bob@example.org "$TMP/lunch.signed.eml" ||
	fail "submission failed"
lunch=$(uid_of "$BLOGIN" "$IMAPS/INBOX" "Lunch? $T") || fail "not delivered"

begin_test "Bob lists his INBOX over IMAP: signed, signer not trusted"
# shellcheck disable=SC2086
run sealmail --home "$B" list $BLOGIN "$IMAPS/INBOX"
expect_exit 0
expect_out_contains "$lunch  2026-11-28 12:00  alice@example.org  Lunch? $T  [signed, signer not trusted]"
# shellcheck disable=SC2086
run sealmail --home "$B" --json list $BLOGIN "$IMAPS/INBOX"
expect_exit 0
[ "$(printf '%s' "$out" | jq -r --arg u "$lunch" '.messages[] | select(.id == $u) | [.signature, .encryption, .verdict] | join(" ")')" = \
	"untrusted none warning" ] || fail "json state differs"

begin_test "Bob opens it over IMAP, adds Alice's certificate and trusts it"
# shellcheck disable=SC2086
run sealmail --home "$B" open $BLOGIN --add-cert "$IMAPS/INBOX/;UID=$lunch"
expect_exit 1
expect_out_contains "signature (clear, part 1.1): Alice Liddell <alice@example.org>"
expect_out_contains "  content:     the content is exactly what was signed"
expect_out_contains "verdict: warning"
run sealmail --home "$B" book trust alice@example.org trusted
expect_exit 0
# shellcheck disable=SC2086
run sealmail --home "$B" open $BLOGIN "$IMAPS/INBOX/;UID=$lunch"
expect_exit 0
expect_out_contains "  trust:       trusted by you"
expect_out_contains "verdict: good"

begin_test "Bob replies signed; Alice adds and trusts his certificate"
printf 'From: Bob Builder <bob@example.org>\nTo: Alice Liddell <alice@example.org>\nSubject: Re: Lunch? %s\nDate: Sat, 28 Nov 2026 12:05:00 +0000\n\nNoon is good.\n' \
	"$T" >"$TMP/reply.eml"
run sealmail --home "$B" protect --sign -o "$TMP/reply.signed.eml" "$TMP/reply.eml"
expect_exit 0
submit bob@example.org alice@example.org "$TMP/reply.signed.eml" ||
	fail "submission failed"
reply=$(uid_of "$ALOGIN" "$IMAPS/INBOX" "Re: Lunch? $T") || fail "not delivered"
# shellcheck disable=SC2086
run sealmail --home "$A" open $ALOGIN --add-cert "$IMAPS/INBOX/;UID=$reply"
expect_exit 1
run sealmail --home "$A" book trust bob@example.org trusted
expect_exit 0

begin_test "Alice, with encrypt-all on, sends Bob an encrypted and signed message"
run sealmail --home "$A" account set alice@example.org sign-all=yes encrypt-all=yes
expect_exit 0
printf 'From: Alice Liddell <alice@example.org>\nTo: Bob Builder <bob@example.org>\nSubject: The plan %s\nDate: Sat, 28 Nov 2026 13:00:00 +0000\n\nThe key is under the mat.\n' \
	"$T" >"$TMP/plan.eml"
run sealmail --home "$A" protect -o "$TMP/plan.p7m.eml" "$TMP/plan.eml"
expect_exit 0
grep -q '^Content-Type: application/pkcs7-mime' "$TMP/plan.p7m.eml" ||
	fail "not encrypted"
submit alice@example.org bob@example.org "$TMP/plan.p7m.eml" ||
	fail "submission failed"
store_sent "$TMP/plan.p7m.eml" || fail "Sent append failed"
plan=$(uid_of "$BLOGIN" "$IMAPS/INBOX" "The plan $T") || fail "not delivered"

begin_test "Bob lists it: encrypted, signed, trusted"
# shellcheck disable=SC2086
run sealmail --home "$B" list $BLOGIN "$IMAPS/INBOX"
expect_exit 0
expect_out_contains "$plan  2026-11-28 13:00  alice@example.org  The plan $T  [encrypted, signed, trusted]"
# shellcheck disable=SC2086
run sealmail --home "$B" --json list $BLOGIN "$IMAPS/INBOX"
[ "$(printf '%s' "$out" | jq -r --arg u "$plan" '.messages[] | select(.id == $u) | [.signature, .encryption, .verdict] | join(" ")')" = \
	"valid for-me good" ] || fail "json state differs"

begin_test "listed with no digital ID of Bob's: encrypted (not for me)"
# shellcheck disable=SC2086
run sealmail --home "$TMP/probe" list $BLOGIN "$IMAPS/INBOX"
expect_exit 0
expect_out_contains "$plan  2026-11-28 13:00  alice@example.org  The plan $T  [encrypted (not for me)]"
# shellcheck disable=SC2086
run sealmail --home "$TMP/probe" --json list $BLOGIN "$IMAPS/INBOX"
[ "$(printf '%s' "$out" | jq -r --arg u "$plan" '.messages[] | select(.id == $u) | [.signature, .encryption, .verdict] | join(" ")')" = \
	"unknown not-for-me cannot-decrypt" ] || fail "json state differs"

begin_test "Bob opens it over IMAP: decrypted, signature good"
# shellcheck disable=SC2086
run sealmail --home "$B" open $BLOGIN -o "$TMP/plan.read.eml" "$IMAPS/INBOX/;UID=$plan"
expect_exit 0
expect_out_contains "  decrypted with your digital ID "
expect_out_contains "signature (clear, part 1.1): Alice Liddell <alice@example.org>"
expect_out_contains "  trust:       trusted by you"
expect_out_contains "verdict: good"
grep -q '^The key is under the mat' "$TMP/plan.read.eml" ||
	fail "decrypted text missing"

begin_test "Alice opens her own Sent copy over IMAP (encrypt-to-self)"
sent=$(uid_of "$ALOGIN" "$IMAPS/Sent" "The plan $T") || fail "no Sent copy"
# shellcheck disable=SC2086
run sealmail --home "$A" open $ALOGIN "$IMAPS/Sent/;UID=$sent"
expect_exit 0
expect_out_contains "  decrypted with your digital ID "
expect_out_contains "  trust:       your own digital ID"
expect_out_contains "verdict: good"

begin_test "a copy rewritten on the server (a footer appended) shows as altered, the rewrite named"
f=$(grep -l "^Subject: Lunch? $T" "$BOBDIR/new/"* "$BOBDIR/cur/"* 2>/dev/null | head -n 1)
[ -n "$f" ] || fail "the delivered file is not found"
awk '/^--sealmail-/ { n++; if (n == 2) { print "_______________________________________________"; print "lunch-list mailing list: https://lists.example.org/lunch" } }
	{ sub(/^Subject: Lunch\?/, "Subject: [lunch] Lunch?"); print }' "$f" \
	>"$BOBDIR/new/1.footer.test"
chmod 644 "$BOBDIR/new/1.footer.test"
footer=$(uid_of "$BLOGIN" "$IMAPS/INBOX" "[lunch] Lunch? $T") || fail "not seen over IMAP"
# shellcheck disable=SC2086
run sealmail --home "$B" list $BLOGIN "$IMAPS/INBOX"
expect_exit 0
expect_out_contains "$footer  2026-11-28 12:00  alice@example.org  [lunch] Lunch? $T  [signed, altered by a mail server (footer appended)]"
# shellcheck disable=SC2086
run sealmail --home "$B" open $BLOGIN "$IMAPS/INBOX/;UID=$footer"
expect_exit 1
expect_out_contains "warning: a mailing list appended a footer after the signed text"

end_tests
