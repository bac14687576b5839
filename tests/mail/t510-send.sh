#!/bin/sh
# SPDX-License-Identifier: MIT
# sealmail send through the real Postfix and Dovecot of the "mail" fixture:
# a signed message reaches Bob's Maildir and Bob's open verifies it; an
# encrypted one with a Bcc recipient (each gets a copy); Alice's Sent copy
# over IMAP; protect's refusals send nothing; an SMTP server that does not
# answer stores nothing; an IMAP server that does not answer keeps the copy
# in the store and says where; login and configuration errors.
# shellcheck source=tests/mail/lib.sh
. "$(dirname "$0")/lib.sh"
PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob
HC=$TMP/carol
SMTPS="smtps://127.0.0.1:$MAIL_SMTPS_PORT"
SENT="imaps://127.0.0.1:$MAIL_IMAPS_PORT/Sent"
BOX=$MAIL_DIR/mail/example.org
printf 'alice-pw\n' >"$TMP/alice-pw"
chmod 600 "$TMP/alice-pw"
LOGIN_A="--user alice@example.org --mail-password-file $TMP/alice-pw --ca-file $MAIL_CA"

# A port on 127.0.0.1 where nothing listens: "the server is stopped".  The
# fixture's servers are shared with the other mail tests, so they are not
# stopped; to the client a stopped server is a refused connection.
closed_port() {
	p=$((MAIL_IMAPS_PORT + 7))
	while ss -Htln "sport = :$p" | grep -q .; do
		p=$((p + 1))
	done
	echo "$p"
}
DOWN=$(closed_port)

for who in alice bob carol; do
	run sealmail --home "$TMP/$who" id import "$PKI/$who@example.org.crt" \
		"$PKI/$who@example.org.key" --no-passphrase
	[ "$rc" -eq 0 ] || { echo "setup: $who import: $errout"; exit 1; }
done
for who in bob carol; do
	run sealmail --home "$HA" book add "$PKI/$who@example.org.crt"
	run sealmail --home "$HA" book trust "$who@example.org" trusted
	[ "$rc" -eq 0 ] || { echo "setup: trust $who: $errout"; exit 1; }
done
run sealmail --home "$HB" book add "$PKI/alice@example.org.crt"
run sealmail --home "$HB" book trust alice@example.org trusted
run sealmail --home "$HC" book add "$PKI/alice@example.org.crt"
run sealmail --home "$HC" book trust alice@example.org trusted

mail() { # FILE SUBJECT TO [BCC]
	{
		echo "From: Alice <alice@example.org>"
		echo "To: $3"
		[ -n "${4-}" ] && echo "Bcc: $4"
		echo "Subject: $2"
		echo "Date: Sun, 29 Nov 2026 01:00:00 +0000"
		echo "Message-ID: <$(echo "$2" | tr ' ' -)@t510.example.org>"
		echo
		echo "Hello, this is $2."
	} >"$1"
}

# delivered USER SUBJECT: a copy (LF, as Postfix stored it) of the message
# of USER's INBOX with that subject; waits up to 10 s: Postfix delivers
# asynchronously.  Dovecot, serving other tests at the same time, may rename
# the file (new/ -> cur/, flags) between finding and copying it: then it is
# looked for again.
delivered() {
	i=0
	while [ $i -lt 50 ]; do
		f=$(grep -l "^Subject: $2\$" "$BOX/$1/Maildir/new/"* \
			"$BOX/$1/Maildir/cur/"* 2>/dev/null | head -n 1)
		n=$TMP/$1-$(echo "$2" | tr ' ' -).eml
		if [ -n "$f" ] && cp "$f" "$n" 2>/dev/null; then
			echo "$n"
			return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# in_sent SUBJECT: how many messages with that subject Alice's Sent holds
# (other mail tests may use Alice's account at the same time).  A file that
# Dovecot renames while it is read is missed under both names: then Sent
# is read again.
in_sent() {
	i=0
	while [ $i -lt 10 ]; do
		n=0 gone=0
		for f in "$BOX/alice/Maildir/.Sent/new/"* \
			"$BOX/alice/Maildir/.Sent/cur/"*; do
			grep -q "^Subject: $1\$" "$f" 2>/dev/null
			case $?/$f in
			0/*) n=$((n + 1)) ;;
			1/*) ;;
			*/*/new/\* | */*/cur/\*) ;; # an empty folder
			*) gone=1 ;;
			esac
		done
		[ $gone -eq 0 ] && break
		i=$((i + 1))
	done
	echo "$n"
}
# A Maildir file has LF line ends; IMAP serves it with CRLF, as sent.
crlf() {
	sed 's/$/\r/' "$1" >"$1.crlf.eml"
	echo "$1.crlf.eml"
}
printf 'bob-pw\n' >"$TMP/bob-pw"
chmod 600 "$TMP/bob-pw"
LOGIN_B="--user bob@example.org --mail-password-file $TMP/bob-pw --ca-file $MAIL_CA"
INBOX_B="imaps://127.0.0.1:$MAIL_IMAPS_PORT/INBOX"

begin_test "send: no smtp setting yet"
mail "$TMP/m0" "t510 nothing" bob@example.org
run sealmail --home "$HA" send --sign "$TMP/m0"
expect_exit 64
expect_err "sealmail: no SMTP server for alice@example.org: sealmail account set alice@example.org smtp=smtps://HOST"

run sealmail --home "$HA" account set alice@example.org "smtp=$SMTPS" \
	smtp-user=alice@example.org "password-file=$TMP/alice-pw" \
	"ca-file=$MAIL_CA" "sent=$SENT"
[ "$rc" -eq 0 ] || { echo "setup: account set: $errout"; exit 1; }

begin_test "send --sign: delivered to Bob, Bob's open verifies, Sent copy kept"
mail "$TMP/m1" "t510 signed" bob@example.org
run sealmail --home "$HA" send --sign "$TMP/m1"
expect_exit 0
expect_out "sent; the copy is in $SENT"
expect_err ""
f=$(delivered bob "t510 signed") || fail "not delivered to Bob"
cp "$f" "$TMP/bob-signed.eml"
run sealmail --home "$HB" --json open "$(crlf "$TMP/bob-signed.eml")"
expect_exit 0
expect_json '.signatures[0].state' valid
expect_json '.signatures[0].signer.address' alice@example.org
expect_json '.signatures[0].trust' trusted
# The Maildir file itself, LF as Postfix stored it: a note, still good.
run sealmail --home "$HB" open "$TMP/bob-signed.eml"
expect_exit 0
expect_out_contains "note: the message is stored with LF line endings; it was checked in its canonical CRLF form"
expect_out_contains "verdict: good"
# shellcheck disable=SC2086
run sealmail --home "$HB" list $LOGIN_B "$INBOX_B"
expect_exit 0
expect_out_contains "alice@example.org  t510 signed  [signed, trusted]"
[ "$(in_sent "t510 signed")" -ge 1 ] || fail "not in Sent"

begin_test "the Sent copy over IMAP, as Alice sees it"
# shellcheck disable=SC2086
run sealmail --home "$HA" list $LOGIN_A "$SENT"
expect_exit 0
expect_out_contains "alice@example.org  t510 signed  [signed, trusted]"

begin_test "send: an internationalised recipient domain goes out in its ASCII form"
# The fixture's Postfix has smtputf8_enable = no: it refuses a UTF-8 RCPT TO
# (501 5.1.3 Bad recipient address syntax).
mail "$TMP/m-idn" "t510 idn" "Bob <bob@$(printf 'B\303\234CHER').example>"
run sealmail --home "$HA" send --sign "$TMP/m-idn"
expect_exit 0
expect_err ""
f=$(delivered bob "t510 idn") || fail "not delivered to bob@xn--bcher-kva.example"
grep -qx 'Delivered-To: bob@xn--bcher-kva.example' "$f" ||
	fail "Delivered-To: $(grep '^Delivered-To:' "$f")"

begin_test "send: a UTF-8 local part needs SMTPUTF8: refused before connecting"
# sealmail does not speak SMTPUTF8 (RFC 6531) yet, and the fixture's Postfix
# does not offer it: the address is never sent as something else.
JUERGEN=$(printf 'j\303\274rgen@example.org')
mail "$TMP/m-utf8" "t510 utf8" "Juergen <$JUERGEN>"
run sealmail --home "$HA" send --sign "$TMP/m-utf8"
expect_exit 65
expect_err "sealmail: recipient address $JUERGEN needs SMTPUTF8, which sealmail does not support yet"
expect_out ""
[ "$(in_sent "t510 utf8")" -eq 0 ] || fail "a message that was not sent reached Sent"

begin_test "send: encrypted, a Bcc recipient gets a copy of their own"
mail "$TMP/m2" "t510 encrypted" bob@example.org carol@example.org
run sealmail --home "$HA" send --sign --encrypt "$TMP/m2"
expect_exit 0
expect_out "sent; the copy is in $SENT"
f=$(delivered bob "t510 encrypted") || fail "not delivered to Bob"
cp "$f" "$TMP/bob-encrypted.eml"
f=$(crlf "$TMP/bob-encrypted.eml")
grep -qi '^Bcc:' "$f" && fail "Bob's copy names the Bcc recipient"
run sealmail --home "$HB" --json open "$f"
expect_exit 0
expect_json '.encryption.decrypted_by | length' 64
# Bob's copy is for Bob and Alice only: nothing in it names Carol.
expect_json '.encryption.recipients | length' 2
expect_json '.signatures[0].trust' trusted
fc=$(delivered carol "t510 encrypted") || fail "not delivered to Carol"
cp "$fc" "$TMP/carol-encrypted.eml"
fc=$(crlf "$TMP/carol-encrypted.eml")
cmp -s "$f" "$fc" && fail "Bob and Carol got the same copy"
run sealmail --home "$HC" --json open "$fc"
expect_exit 0
expect_json '.encryption.decrypted_by | length' 64
[ "$(in_sent "t510 encrypted")" -ge 1 ] || fail "not in Sent"
# shellcheck disable=SC2086
run sealmail --home "$HA" list $LOGIN_A "$SENT"
expect_exit 0
expect_out_contains "alice@example.org  t510 encrypted  [encrypted, signed, trusted]"

begin_test "send: protect's refusals send nothing and store nothing"
mail "$TMP/m3" "t510 refused" dave@example.org
run sealmail --home "$HA" send --encrypt "$TMP/m3"
expect_exit 4
expect_err_contains "dave@example.org: no certificate"
expect_out ""
run sealmail --home "$HB" send --sign "$TMP/m3"
expect_exit 3
expect_out ""
[ "$(in_sent "t510 refused")" -eq 0 ] || fail "a refused message reached Sent"

begin_test "send: a recipient the server refuses: nothing sent, the server's answer shown"
mail "$TMP/m10" "t510 refused rcpt" nobody@example.org
run sealmail --home "$HA" send --sign "$TMP/m10"
expect_exit 74
expect_err_contains "server said: 550"
expect_err_contains "nobody@example.org"
expect_out ""
[ "$(in_sent "t510 refused rcpt")" -eq 0 ] || fail "a message that was not sent reached Sent"

begin_test "send: a Bcc copy the server refuses after the main copy went out"
# Dave has a certificate Alice trusts, but no mailbox on the test server.
run sealmail --home "$HA" book add "$PKI/dave@example.org.crt"
run sealmail --home "$HA" book trust dave@example.org trusted
mail "$TMP/m11" "t510 bcc refused" bob@example.org dave@example.org
run sealmail --home "$HA" send --sign --encrypt "$TMP/m11"
expect_exit 74
expect_err_contains "sealmail: the message was sent, but not the copy for Bcc recipient dave@example.org: "
expect_err_contains "server said: 550"
delivered bob "t510 bcc refused" >/dev/null || fail "not delivered to Bob"
[ "$(in_sent "t510 bcc refused")" -ge 1 ] || fail "the Sent copy is missing"

begin_test "send --json: where the copy went"
mail "$TMP/m12" "t510 json" bob@example.org
run sealmail --home "$HA" --json send --sign "$TMP/m12"
expect_exit 0
expect_json .sent true
expect_json .copy sent-mailbox
expect_json .where "$SENT"
expect_json .sent_error null

begin_test "send: the SMTP server does not answer: clear error, nothing in Sent"
run sealmail --home "$HA" account set alice@example.org "smtp=smtps://127.0.0.1:$DOWN"
mail "$TMP/m4" "t510 smtp down" bob@example.org
run sealmail --home "$HA" send --sign "$TMP/m4"
expect_exit 74
expect_err_contains "sealmail: sending through smtps://127.0.0.1:$DOWN: "
expect_err_contains "connect"
expect_out ""
[ "$(in_sent "t510 smtp down")" -eq 0 ] || fail "a message that was not sent reached Sent"
[ -d "$HA/unsaved-sent" ] && fail "a message that was not sent was kept"
run sealmail --home "$HA" account set alice@example.org "smtp=$SMTPS"

begin_test "send: the IMAP server does not answer: sent, kept in the store, path printed"
run sealmail --home "$HA" account set alice@example.org \
	"sent=imaps://127.0.0.1:$DOWN/Sent"
mail "$TMP/m5" "t510 imap down" bob@example.org
run sealmail --home "$HA" send --sign "$TMP/m5"
expect_exit 0
kept=$(find "$HA/unsaved-sent/new" -type f)
[ "$(printf '%s\n' "$kept" | grep -c .)" -eq 1 ] || fail "kept: '$kept'"
expect_out "sent; the copy is in $kept"
expect_err_contains "sealmail: warning: the message was sent, but its copy could not be stored in Sent (appending to imaps://127.0.0.1:$DOWN"
expect_err_contains "it is kept in $kept"
grep -q '^Subject: t510 imap down' "$kept" || fail "the kept copy is not the message"
delivered bob "t510 imap down" >/dev/null || fail "not delivered to Bob"
run sealmail --home "$HA" open "$kept"
expect_exit 0
mail "$TMP/m13" "t510 imap down json" bob@example.org
run sealmail --home "$HA" --json send --sign "$TMP/m13"
expect_exit 0
expect_json .copy kept-locally
expect_json '.where | startswith("'"$HA"'/unsaved-sent/new/")' true
expect_json '.sent_error | startswith("appending to imaps://127.0.0.1:'"$DOWN"'")' true

begin_test "send: no sent mailbox: sent, no copy"
run sealmail --home "$HA" account set alice@example.org sent=
mail "$TMP/m6" "t510 no sent" bob@example.org
run sealmail --home "$HA" send --sign "$TMP/m6"
expect_exit 0
expect_out "sent; no copy kept (the account has no sent mailbox)"
delivered bob "t510 no sent" >/dev/null || fail "not delivered to Bob"
run sealmail --home "$HA" account set alice@example.org "sent=$SENT"

begin_test "send: the password from a command; a wrong password"
run sealmail --home "$HA" account set alice@example.org \
	"password-command=printf 'alice-pw\\n'"
mail "$TMP/m7" "t510 password command" bob@example.org
run_stdin "$TMP/m7" sealmail --home "$HA" send --sign -
expect_exit 0
expect_out "sent; the copy is in $SENT"
delivered bob "t510 password command" >/dev/null || fail "not delivered"
run sealmail --home "$HA" account set alice@example.org "password-command=echo wrong"
mail "$TMP/m9" "t510 wrong password" bob@example.org
run sealmail --home "$HA" send --sign "$TMP/m9"
expect_exit 77
expect_err_contains "login refused"
[ "$(in_sent "t510 wrong password")" -eq 0 ] || fail "Sent changed"
run sealmail --home "$HA" account set alice@example.org "password-command=exit 3"
run sealmail --home "$HA" send --sign "$TMP/m7"
expect_exit 78
expect_err "sealmail: password-command failed (exit status 3)"
chmod 644 "$TMP/alice-pw"
run sealmail --home "$HA" account set alice@example.org "password-file=$TMP/alice-pw"
run sealmail --home "$HA" send --sign "$TMP/m7"
expect_exit 77
expect_err "sealmail: password-file $TMP/alice-pw may be read by others; chmod 600 it"
chmod 600 "$TMP/alice-pw"

begin_test "send: usage"
run sealmail --home "$HA" send --sign "$TMP/m1" "$TMP/m2"
expect_exit 64
run sealmail --home "$HA" send --sign --no-sign "$TMP/m1"
expect_exit 64
run sealmail --home "$HA" send --sign "$TMP/none"
expect_exit 66
printf 'From: alice@example.org\nSubject: nobody\n\nx\n' >"$TMP/m8"
run sealmail --home "$HA" send --sign "$TMP/m8"
expect_exit 64
expect_err "sealmail: $TMP/m8: no recipients: the message has no To, Cc or Bcc address and none was given"
run sealmail --home "$HA" send --help
expect_exit 0
expect_out_contains "usage: sealmail send"

end_tests
