#!/bin/sh
# SPDX-License-Identifier: MIT
# sealmail sendmail through the real Postfix and Dovecot of the "mail"
# fixture: recipients from the arguments and with -t from the headers, the
# account from From or -f, the account's sign-all/encrypt-all policy, a
# recipient named only on the command line getting a copy of its own, the
# flags mail programs pass (-oi -oem -odb -F -i) accepted, a lone dot
# ending the message without -i, and the errors.
# shellcheck source=tests/mail/lib.sh
. "$(dirname "$0")/lib.sh"
PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob
HC=$TMP/carol
BOX=$MAIL_DIR/mail/example.org
printf 'alice-pw\n' >"$TMP/alice-pw"
chmod 600 "$TMP/alice-pw"

for who in alice bob carol; do
	run sealmail --home "$TMP/$who" id import "$PKI/$who@example.org.crt" \
		"$PKI/$who@example.org.key" --no-passphrase
	[ "$rc" -eq 0 ] || { echo "setup: $who import: $errout"; exit 1; }
done
for who in bob carol; do
	run sealmail --home "$HA" book add "$PKI/$who@example.org.crt"
	run sealmail --home "$HA" book trust "$who@example.org" trusted
	run sealmail --home "$TMP/$who" book add "$PKI/alice@example.org.crt"
	run sealmail --home "$TMP/$who" book trust alice@example.org trusted
	[ "$rc" -eq 0 ] || { echo "setup: trust: $errout"; exit 1; }
done
run sealmail --home "$HA" account set alice@example.org \
	"smtp=smtps://127.0.0.1:$MAIL_SMTPS_PORT" smtp-user=alice@example.org \
	"password-file=$TMP/alice-pw" "ca-file=$MAIL_CA" \
	"sent=imaps://127.0.0.1:$MAIL_IMAPS_PORT/Sent" sign-all=yes
[ "$rc" -eq 0 ] || { echo "setup: account set: $errout"; exit 1; }

mail() { # FILE SUBJECT TO [CC]
	{
		echo "From: Alice <alice@example.org>"
		echo "To: $3"
		[ -n "${4-}" ] && echo "Cc: $4"
		echo "Subject: $2"
		echo "Date: Sun, 29 Nov 2026 02:00:00 +0000"
		echo "Message-ID: <$(echo "$2" | tr ' ' -)@t515.example.org>"
		echo
		echo "Hello, this is $2."
		echo "."
		echo "A line with only a dot above, kept with -i."
	} >"$1"
}
# delivered USER SUBJECT: a CRLF copy (as IMAP serves it) of the message of
# USER's INBOX with that subject; waits up to 10 s.  Dovecot, serving other
# tests at the same time, may rename the file (new/ -> cur/, flags) between
# finding and copying it: then it is looked for again.
delivered() {
	i=0
	while [ $i -lt 50 ]; do
		f=$(grep -l "^Subject: $2\$" "$BOX/$1/Maildir/new/"* \
			"$BOX/$1/Maildir/cur/"* 2>/dev/null | head -n 1)
		n=$TMP/$1-$(echo "$2" | tr ' ' -).eml
		if [ -n "$f" ] && sed 's/$/\r/' "$f" >"$n" 2>/dev/null; then
			echo "$n"
			return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

begin_test "sendmail: recipients from the arguments, the flags mutt and git pass"
mail "$TMP/m1" "t515 args" bob@example.org
run_stdin "$TMP/m1" sealmail --home "$HA" sendmail -oi -oem -odb \
	-F "Alice" -f alice@example.org bob@example.org
expect_exit 0
expect_out ""
expect_err ""
f=$(delivered bob "t515 args") || fail "not delivered to Bob"
run sealmail --home "$HB" --json open "$f"
expect_exit 0
expect_json '.signatures[0].state' valid
expect_json '.signatures[0].trust' trusted
grep -q '^A line with only a dot above' "$f" || fail "the message was cut at the dot"

begin_test "sendmail without -i: a line holding only a dot ends the message"
mail "$TMP/m6" "t515 dot" bob@example.org
printf 'never sent\n' >>"$TMP/m6"
run_stdin "$TMP/m6" sealmail --home "$HA" sendmail bob@example.org
expect_exit 0
f=$(delivered bob "t515 dot") || fail "not delivered to Bob"
grep -q 'A line with only a dot above' "$f" && fail "the message went on after the dot"
grep -q 'never sent' "$f" && fail "the message went on after the dot"
grep -q '^Hello, this is t515 dot' "$f" || fail "the text before the dot is missing"
run sealmail --home "$HB" open "$f"
expect_exit 0

begin_test "sendmail -t: recipients from To and Cc, the account from From"
mail "$TMP/m2" "t515 headers" bob@example.org carol@example.org
run_stdin "$TMP/m2" sealmail --home "$HA" sendmail -t -i
expect_exit 0
expect_out ""
f=$(delivered bob "t515 headers") || fail "not delivered to Bob"
run sealmail --home "$HB" open "$f"
expect_exit 0
f=$(delivered carol "t515 headers") || fail "not delivered to Carol"
run sealmail --home "$HC" open "$f"
expect_exit 0

begin_test "sendmail with encrypt-all: a recipient only on the command line gets a copy of its own"
run sealmail --home "$HA" account set alice@example.org encrypt-all=yes
mail "$TMP/m3" "t515 encrypted" bob@example.org
run_stdin "$TMP/m3" sealmail --home "$HA" sendmail -oi bob@example.org carol@example.org
expect_exit 0
expect_out ""
f=$(delivered bob "t515 encrypted") || fail "not delivered to Bob"
run sealmail --home "$HB" --json open "$f"
expect_exit 0
expect_json '.encryption.decrypted_by | length' 64
expect_json '.encryption.recipients | length' 2
fc=$(delivered carol "t515 encrypted") || fail "not delivered to Carol"
grep -qi '^Bcc:' "$fc" && fail "Carol's copy shows a Bcc header"
run sealmail --home "$HC" --json open "$fc"
expect_exit 0
expect_json '.encryption.decrypted_by | length' 64
expect_json '.signatures[0].trust' trusted

begin_test "sendmail: the account's policy refuses like protect"
mail "$TMP/m4" "t515 refused" dave@example.org
run_stdin "$TMP/m4" sealmail --home "$HA" sendmail -t
expect_exit 4
expect_err_contains "dave@example.org: no certificate"
run sealmail --home "$HA" account set alice@example.org encrypt-all=no sign-all=no
run_stdin "$TMP/m1" sealmail --home "$HA" sendmail bob@example.org
expect_exit 64
expect_err_contains "nothing to do"
# A protect flag on the command line instead of the policy.
mail "$TMP/m5" "t515 flag" bob@example.org
run_stdin "$TMP/m5" sealmail --home "$HA" sendmail --sign -i bob@example.org
expect_exit 0
f=$(delivered bob "t515 flag") || fail "not delivered to Bob"
run sealmail --home "$HB" open "$f"
expect_exit 0

begin_test "sendmail: usage errors"
run_stdin "$TMP/m1" sealmail --home "$HA" sendmail -oi
expect_exit 64
expect_err "sealmail sendmail: no recipients: give them as arguments, or -t to take them from the message (see 'sealmail sendmail --help')"
run_stdin "$TMP/m1" sealmail --home "$HA" sendmail -bs
expect_exit 64
expect_err "sealmail sendmail: sendmail mode '-bs' is not supported (only -bm) (see 'sealmail sendmail --help')"
run_stdin "$TMP/m1" sealmail --home "$HA" sendmail --bogus bob@example.org
expect_exit 64
run_stdin "$TMP/m1" sealmail --home "$HA" sendmail -f
expect_exit 64
expect_err "sealmail sendmail: option '-f' needs a value (see 'sealmail sendmail --help')"
run sealmail --home "$HA" sendmail --help
expect_exit 0
expect_out_contains "usage: sealmail sendmail"

end_tests
