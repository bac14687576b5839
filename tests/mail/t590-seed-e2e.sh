#!/bin/sh
# SPDX-License-Identifier: MIT
# The seed guide's scenario end to end, against the real Postfix and Dovecot
# of the "mail" fixture (issue 5): Alice sends Bob a signed message; Bob
# lists his INBOX over IMAP (signed, untrusted signer), adds Alice's
# certificate from the message and trusts it; Alice, with encrypt-all on,
# sends Bob an encrypted and signed message; Bob lists it and opens it over
# IMAP; Alice opens her own Sent copy over IMAP; a copy rewritten on the
# server shows as altered with the rewrite named; git send-email through
# `sealmail sendmail` delivers a signed patch that Bob's open verifies.
# Everyone sends with `sealmail send`/`sendmail` and their account settings
# (smtp, sent, inbox, password-file), and lists and opens with the login
# those settings give.
# shellcheck source=tests/mail/lib.sh
. "$(dirname "$0")/lib.sh"
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
# Login options, for the store that has no account (the probe).
BLOGIN="--user bob@example.org --mail-password-file $TMP/bob.pw --ca-file $MAIL_CA"

# uid_of HOME MAILBOX SUBJECT: the UID of the message with SUBJECT,
# waiting (10 s at most) for Postfix to deliver it.
uid_of() {
	_i=0
	while [ $_i -lt 50 ]; do
		_u=$("$SEALMAIL" --home "$1" --json list "$2" 2>/dev/null |
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
for u in alice bob; do
	run sealmail --home "$TMP/$u" account set "$u@example.org" \
		"smtp=$SMTPS" "smtp-user=$u@example.org" \
		"password-file=$TMP/$u.pw" "ca-file=$MAIL_CA" \
		"sent=$IMAPS/Sent" "inbox=$IMAPS/INBOX" sign-all=yes
	expect_exit 0
done

begin_test "Alice sends Bob a signed message"
printf 'From: Alice Liddell <alice@example.org>\nTo: Bob Builder <bob@example.org>\nSubject: Lunch? %s\nDate: Sat, 28 Nov 2026 12:00:00 +0000\n\nShall we meet at noon?\n' \
	"$T" >"$TMP/lunch.eml"
run sealmail --home "$A" send "$TMP/lunch.eml"
expect_exit 0
lunch=$(uid_of "$B" "$IMAPS/INBOX" "Lunch? $T") || fail "not delivered"

begin_test "Bob lists his INBOX over IMAP: signed, signer not trusted"
run sealmail --home "$B" list
expect_exit 0
expect_out_contains "$lunch  2026-11-28 12:00  alice@example.org  Lunch? $T  [signed, signer not trusted]"
run sealmail --home "$B" --json list "$IMAPS/INBOX"
expect_exit 0
[ "$(printf '%s' "$out" | jq -r --arg u "$lunch" '.messages[] | select(.id == $u) | [.signature, .encryption, .verdict] | join(" ")')" = \
	"untrusted none warning" ] || fail "json state differs"

begin_test "Bob opens it over IMAP, adds Alice's certificate and trusts it"
run sealmail --home "$B" open --add-cert "$IMAPS/INBOX/;UID=$lunch"
expect_exit 1
expect_out_contains "signature (clear, part 1.1): Alice Liddell <alice@example.org>"
expect_out_contains "  content:     the content is exactly what was signed"
expect_out_contains "verdict: warning"
run sealmail --home "$B" book trust alice@example.org trusted
expect_exit 0
run sealmail --home "$B" open "$IMAPS/INBOX/;UID=$lunch"
expect_exit 0
expect_out_contains "  trust:       trusted by you"
expect_out_contains "verdict: good"

begin_test "list without a mailbox: the one account's inbox, else a usage error"
run sealmail --home "$TMP/probe" list
expect_exit 64
expect_err_contains "name a mailbox (no account has an inbox setting)"
run sealmail --home "$TMP/two" id create --email bob@example.org --no-passphrase
run sealmail --home "$TMP/two" id create --email bob2@example.org --no-passphrase
for u in bob bob2; do
	run sealmail --home "$TMP/two" account set "$u@example.org" "inbox=$IMAPS/INBOX"
	expect_exit 0
done
run sealmail --home "$TMP/two" list
expect_exit 64
expect_err_contains "name a mailbox (several accounts have an inbox setting)"

begin_test "Bob replies signed; Alice adds and trusts his certificate"
printf 'From: Bob Builder <bob@example.org>\nTo: Alice Liddell <alice@example.org>\nSubject: Re: Lunch? %s\nDate: Sat, 28 Nov 2026 12:05:00 +0000\n\nNoon is good.\n' \
	"$T" >"$TMP/reply.eml"
run sealmail --home "$B" send "$TMP/reply.eml"
expect_exit 0
reply=$(uid_of "$A" "$IMAPS/INBOX" "Re: Lunch? $T") || fail "not delivered"
run sealmail --home "$A" open --add-cert "$IMAPS/INBOX/;UID=$reply"
expect_exit 1
run sealmail --home "$A" book trust bob@example.org trusted
expect_exit 0

begin_test "Alice, with encrypt-all on, sends Bob an encrypted and signed message"
run sealmail --home "$A" account set alice@example.org sign-all=yes encrypt-all=yes
expect_exit 0
printf 'From: Alice Liddell <alice@example.org>\nTo: Bob Builder <bob@example.org>\nSubject: The plan %s\nDate: Sat, 28 Nov 2026 13:00:00 +0000\n\nThe key is under the mat.\n' \
	"$T" >"$TMP/plan.eml"
run sealmail --home "$A" send "$TMP/plan.eml"
expect_exit 0
plan=$(uid_of "$B" "$IMAPS/INBOX" "The plan $T") || fail "not delivered"
f=$TMP/plan-delivered.eml
maildir_copy "$BOBDIR" "^Subject: The plan $T" "$f" || fail "the delivered file is not found"
grep -q '^Content-Type: application/pkcs7-mime' "$f" || fail "not encrypted"
grep -q 'under the mat' "$f" && fail "the text travelled in the clear"

begin_test "Bob lists it: encrypted, signed, trusted"
run sealmail --home "$B" list
expect_exit 0
expect_out_contains "$plan  2026-11-28 13:00  alice@example.org  The plan $T  [encrypted, signed, trusted]"
run sealmail --home "$B" --json list
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
run sealmail --home "$B" open -o "$TMP/plan.read.eml" "$IMAPS/INBOX/;UID=$plan"
expect_exit 0
expect_out_contains "  decrypted with your digital ID "
expect_out_contains "signature (clear, part 1.1): Alice Liddell <alice@example.org>"
expect_out_contains "  trust:       trusted by you"
expect_out_contains "verdict: good"
grep -q '^The key is under the mat' "$TMP/plan.read.eml" ||
	fail "decrypted text missing"

begin_test "Alice opens her own Sent copy over IMAP (encrypt-to-self)"
sent=$(uid_of "$A" "$IMAPS/Sent" "The plan $T") || fail "no Sent copy"
run sealmail --home "$A" open "$IMAPS/Sent/;UID=$sent"
expect_exit 0
expect_out_contains "  decrypted with your digital ID "
expect_out_contains "  trust:       your own digital ID"
expect_out_contains "verdict: good"

begin_test "a copy rewritten on the server (a footer appended) shows as altered, the rewrite named"
f=$TMP/lunch-delivered.eml
maildir_copy "$BOBDIR" "^Subject: Lunch? $T" "$f" || fail "the delivered file is not found"
awk '/^--sealmail-/ { n++; if (n == 2) { print "_______________________________________________"; print "lunch-list mailing list: https://lists.example.org/lunch" } }
	{ sub(/^Subject: Lunch\?/, "Subject: [lunch] Lunch?"); print }' "$f" \
	>"$BOBDIR/new/1.footer.test"
chmod 644 "$BOBDIR/new/1.footer.test"
footer=$(uid_of "$B" "$IMAPS/INBOX" "[lunch] Lunch? $T") || fail "not seen over IMAP"
run sealmail --home "$B" list
expect_exit 0
expect_out_contains "$footer  2026-11-28 12:00  alice@example.org  [lunch] Lunch? $T  [signed, altered by a mail server (footer appended)]"
run sealmail --home "$B" open "$IMAPS/INBOX/;UID=$footer"
expect_exit 1
expect_out_contains "warning: a mailing list appended a footer after the signed text"

begin_test "git send-email through sealmail sendmail delivers a signed patch Bob verifies"
run sealmail --home "$A" account set alice@example.org encrypt-all=no
expect_exit 0
G="git -c user.name=Alice -c user.email=alice@example.org -c init.defaultBranch=main"
mkdir "$TMP/repo"
(
	cd "$TMP/repo" || exit 1
	$G init -q && printf 'one\n' >README && $G add README &&
		$G commit -qm "start" && printf 'two\n' >>README &&
		$G commit -qam "README: a second line $T" &&
		$G format-patch -q -1 -o "$TMP/patches"
) || fail "git setup failed"
(
	cd "$TMP/repo" || exit 1
	GIT_CONFIG_NOSYSTEM=1 HOME=$TMP $G send-email \
		--sendmail-cmd="$SEALMAIL --home $A sendmail" \
		--from="Alice Liddell <alice@example.org>" --to=bob@example.org \
		--confirm=never --suppress-cc=all --no-chain-reply-to \
		--no-validate "$TMP"/patches/*.patch
) >"$TMP/git.out" 2>&1 || { cat "$TMP/git.out" >&2; fail "git send-email failed"; }
patch=$(uid_of "$B" "$IMAPS/INBOX" "[PATCH] README: a second line $T") ||
	fail "the patch was not delivered"
run sealmail --home "$B" open -o "$TMP/patch.read.eml" "$IMAPS/INBOX/;UID=$patch"
expect_exit 0
expect_out_contains "signature (clear, part 1.1): Alice Liddell <alice@example.org>"
expect_out_contains "  content:     the content is exactly what was signed"
expect_out_contains "verdict: good"
grep -q '^+two' "$TMP/patch.read.eml" || fail "the patch text is missing"
# The verified patch applies where it came from, unchanged.
(
	cd "$TMP/repo" || exit 1
	$G reset -q --hard HEAD^ && $G am -q "$TMP/patch.read.eml" &&
		[ "$($G log -1 --format=%s)" = "README: a second line $T" ] &&
		[ "$(cat README)" = "one
two" ]
) >"$TMP/am.out" 2>&1 || { cat "$TMP/am.out" >&2; fail "git am of the verified patch failed"; }

# neomutt in batch mode with contrib/neomutt/sealmail.neomuttrc: it sends
# through `sealmail sendmail` like in a session (the reading macros need a
# terminal; the command they run is `open -o -`, tests/cli/t330).
begin_test "neomutt with contrib/neomutt sends signed mail through sealmail sendmail"
mkdir -p "$TMP/nm/Mail/cur" "$TMP/nm/Mail/new" "$TMP/nm/Mail/tmp"
cat >"$TMP/nm/rc" <<END
source $SRCDIR/contrib/neomutt/sealmail.neomuttrc
set sendmail = "$SEALMAIL --home $A sendmail"
set from = "Alice Liddell <alice@example.org>"
set folder = $TMP/nm/Mail
set spoolfile = $TMP/nm/Mail
END
printf 'Sent from neomutt.\n' >"$TMP/nm/body"
run_stdin "$TMP/nm/body" env HOME="$TMP/nm" neomutt -n -F "$TMP/nm/rc" \
	-s "from neomutt $T" -- bob@example.org
expect_exit 0
nm=$(uid_of "$B" "$IMAPS/INBOX" "from neomutt $T") || fail "not delivered"
run sealmail --home "$B" open "$IMAPS/INBOX/;UID=$nm"
expect_exit 0
expect_out_contains "signature (clear, part 1.1): Alice Liddell <alice@example.org>"
expect_out_contains "verdict: good"

begin_test "neomutt: sealmail's refusal reaches the user, nothing is sent"
run sealmail --home "$A" account set alice@example.org encrypt-all=yes
expect_exit 0
run_stdin "$TMP/nm/body" env HOME="$TMP/nm" neomutt -n -F "$TMP/nm/rc" \
	-s "refused $T" -- carol@example.org
expect_exit 1
expect_err_contains "carol@example.org: no certificate"
sleep 1
grep -l "^Subject: refused $T" "$MAIL_DIR"/mail/example.org/*/Maildir/new/* \
	>/dev/null 2>&1 && fail "a refused message was delivered"

end_tests
