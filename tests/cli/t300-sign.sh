#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 3, "How it is checked": Alice signs in her store, Bob opens in his;
# trust, a changed byte, LF line endings, a foreign From, openssl accepts
# what protect wrote, no ID writes nothing.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
A=$TMP/alice-home
B=$TMP/bob-home
PASS=$TMP/pass
printf 'correct horse\n' >"$PASS"

run sealmail --home "$A" --passphrase-file "$PASS" id import \
	"$PKI/alice@example.org.crt" "$PKI/alice@example.org.key"
[ "$rc" -eq 0 ] || { echo "setup: id import failed: $errout" >&2; exit 1; }

printf 'From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\nSubject: lunch\nDate: Sun, 29 Nov 2026 10:00:00 +0000\nMessage-ID: <t300@example.org>\n\nHello Bob,\nlunch at noon?\n' >"$TMP/msg.eml"

begin_test "no digital ID for the sender: exit 3, nothing written"
run sealmail --home "$B" protect --sign -o "$TMP/none.eml" "$TMP/msg.eml"
expect_exit 3
expect_err "sealmail: no digital ID for alice@example.org: create one with 'sealmail id create --email alice@example.org' or import one with 'sealmail id import FILE'"
[ ! -e "$TMP/none.eml" ] || fail "a file was written"
[ -z "$(find "$TMP" -maxdepth 1 -name 'none.eml*')" ] || fail "a temporary was left"

begin_test "Alice signs: multipart/signed, sha-256, smime.p7s"
run sealmail --home "$A" --passphrase-file "$PASS" protect --sign \
	-o "$TMP/signed.eml" "$TMP/msg.eml"
expect_exit 0
expect_out ""
grep -q '^Content-Type: multipart/signed;' "$TMP/signed.eml" || fail "not multipart/signed"
grep -q 'micalg=sha-256' "$TMP/signed.eml" || fail "micalg"
grep -q 'protocol="application/pkcs7-signature"' "$TMP/signed.eml" || fail "protocol"
grep -q 'filename="smime.p7s"' "$TMP/signed.eml" || fail "smime.p7s"
grep -q '^Subject: lunch' "$TMP/signed.eml" || fail "outer header lost"
[ "$(file_mode "$TMP/signed.eml")" = 600 ] || fail "mode"

begin_test "openssl cms -verify accepts what protect wrote"
run openssl cms -verify -CAfile "$PKI/ca-chain.crt" -in "$TMP/signed.eml" \
	-out "$TMP/verified.txt"
expect_exit 0
grep -q 'lunch at noon?' "$TMP/verified.txt" || fail "content"

begin_test "Bob opens: exit 1 and the untrusted-signer warning"
run sealmail --home "$B" open "$TMP/signed.eml"
expect_exit 1
expect_out_contains "warning: the certificate used to sign this message is not in your address book or not trusted by you (alice@example.org, "
expect_out_contains "to trust it: sealmail open --add-cert $TMP/signed.eml"
expect_out_contains "content:     the content is exactly what was signed"
expect_out_contains "verdict: warning"

begin_test "open --add-cert: in the book, still not trusted"
run sealmail --home "$B" open --add-cert "$TMP/signed.eml"
expect_exit 1
expect_out_contains "note: added the certificate of alice@example.org"
expect_out_contains "to trust it: sealmail book trust alice@example.org trusted"

begin_test "after book trust: exit 0"
run sealmail --home "$B" book trust alice@example.org trusted
expect_exit 0
run sealmail --home "$B" open "$TMP/signed.eml"
expect_exit 0
expect_out_contains "trust:       trusted by you"
expect_out_contains "verdict: good"
expect_out_lacks "warning:"

begin_test "--json: the report's fields"
run sealmail --home "$B" --json open "$TMP/signed.eml"
expect_exit 0
expect_json .version 2
expect_json .verdict good
expect_json .coverage full
expect_json '.signatures | length' 1
expect_json '.signatures[0].state' valid
expect_json '.signatures[0].kind' clear
expect_json '.signatures[0].signer.address' alice@example.org
expect_json '.signatures[0].trust' trusted
expect_json '.signatures[0].from_matches' true
expect_json '.signatures[0].rewrite' null

begin_test "one changed body byte: exit 2, changed after it was signed"
sed 's/lunch at noon/lunch at nOon/' "$TMP/signed.eml" >"$TMP/altered.eml"
run sealmail --home "$B" open "$TMP/altered.eml"
expect_exit 2
expect_out_contains "danger: this message was changed after it was signed: the content itself changed"

begin_test "stored with LF line endings (Maildir, mbox): a note, verdict good, exit 0"
tr -d '\r' <"$TMP/signed.eml" >"$TMP/lf.eml"
run sealmail --home "$B" open "$TMP/lf.eml"
expect_exit 0
expect_out_contains "note: the message is stored with LF line endings; it was checked in its canonical CRLF form, which is what was signed (1.1)"
expect_out_lacks "the text you see is what was signed"
run sealmail --home "$B" --json open "$TMP/lf.eml"
expect_json '.verdict' good
expect_json '.signatures[0].state' valid
expect_json '.signatures[0].rewrite' line-endings

begin_test "mixed LF and CRLF line endings: the same note, exit 0"
awk 'NR % 2 == 0 { sub(/\r$/, "") } { print }' "$TMP/signed.eml" >"$TMP/mixed.eml"
run sealmail --home "$B" open "$TMP/mixed.eml"
expect_exit 0
expect_out_contains "note: the message is stored with LF line endings"

begin_test "LF line endings plus a changed byte: still danger, exit 2"
tr -d '\r' <"$TMP/signed.eml" | sed 's/lunch at noon/lunch at nOon/' >"$TMP/lf-altered.eml"
run sealmail --home "$B" open "$TMP/lf-altered.eml"
expect_exit 2

begin_test "a mailing-list footer inside the signed part: named, signed text shown"
awk '{ print } /^lunch at noon\?\r$/ { printf "-- \r\nlist footer\r\n" }' \
	"$TMP/signed.eml" >"$TMP/footer.eml"
run sealmail --home "$B" --json open -o "$TMP/footer-readable.eml" "$TMP/footer.eml"
expect_exit 1
expect_json '.signatures[0].state' valid
expect_json '.signatures[0].rewrite' footer
! grep -q 'list footer' "$TMP/footer-readable.eml" || fail "footer shown as signed"

begin_test "a From the certificate does not name: exit 2"
sed 's/^From: Alice <alice@example.org>/From: Alice <alice@evil.example>/' \
	"$TMP/signed.eml" >"$TMP/from.eml"
run sealmail --home "$B" open "$TMP/from.eml"
expect_exit 2
expect_out_contains "danger: the sender address alice@evil.example is not one the signer's certificate names (alice@example.org)"

begin_test "-o OUT: the readable message without the signature layer"
run sealmail --home "$B" open -o "$TMP/readable.eml" "$TMP/signed.eml"
expect_exit 0
grep -q '^Subject: lunch' "$TMP/readable.eml" || fail "headers lost"
grep -q 'lunch at noon?' "$TMP/readable.eml" || fail "content lost"
! grep -q 'smime.p7s\|multipart/signed' "$TMP/readable.eml" || fail "signature layer kept"

begin_test "--ack silences the altered warning for that message only"
run sealmail --home "$B" open --ack "$TMP/altered.eml"
expect_exit 2
run sealmail --home "$B" open "$TMP/altered.eml"
expect_exit 2
expect_out_lacks "changed after it was signed"
expect_out_contains "you acknowledged"
run sealmail --home "$B" --json open "$TMP/altered.eml"
expect_json .verdict danger
expect_json .acknowledged true
sed 's/Hello Bob/Hello Bub/' "$TMP/signed.eml" >"$TMP/altered2.eml"
run sealmail --home "$B" open "$TMP/altered2.eml"
expect_exit 2
expect_out_contains "changed after it was signed"

begin_test "partly signed: a footer next to the signed part, exit 1"
{
	printf 'From: Alice <alice@example.org>\r\nSubject: list\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'
	sed -n '/^Content-Type: multipart\/signed/,$p' "$TMP/signed.eml"
	printf '\r\n--outer\r\nContent-Type: text/plain\r\n\r\nlist footer\r\n--outer--\r\n'
} >"$TMP/partly.eml"
run sealmail --home "$B" open "$TMP/partly.eml"
expect_exit 1
expect_out_contains "warning: only part of this message is signed; not signed: part 1.2: text/plain"
run sealmail --home "$B" --json open "$TMP/partly.eml"
expect_json .coverage partial
expect_json '.signatures[0].state' valid

begin_test "opaque signing: openssl reads it, Bob opens it"
run sealmail --home "$A" --passphrase-file "$PASS" protect --sign --opaque \
	-o "$TMP/opaque.eml" "$TMP/msg.eml"
expect_exit 0
grep -q 'smime-type=signed-data' "$TMP/opaque.eml" || fail "not signed-data"
run openssl cms -verify -CAfile "$PKI/ca-chain.crt" -in "$TMP/opaque.eml" \
	-out "$TMP/opaque.txt"
expect_exit 0
grep -q 'lunch at noon?' "$TMP/opaque.txt" || fail "content"
run sealmail --home "$B" --json open "$TMP/opaque.eml"
expect_exit 0
expect_json '.signatures[0].kind' opaque
expect_json '.signatures[0].state' valid

begin_test "a signed message forwarded inside another is found"
{
	printf 'From: Carol <carol@example.org>\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: multipart/mixed; boundary="fw"\r\n\r\n--fw\r\n'
	printf 'Content-Type: text/plain\r\n\r\nsee below\r\n--fw\r\n'
	printf 'Content-Type: message/rfc822\r\n\r\n'
	cat "$TMP/signed.eml"
	printf '\r\n--fw--\r\n'
} >"$TMP/fwd.eml"
run sealmail --home "$B" --json open "$TMP/fwd.eml"
expect_exit 1
expect_json '.signatures[0].state' valid
expect_json '.signatures[0].from_matches' true
expect_json '.signatures[0].part' 1.2.1
expect_json .coverage partial

begin_test "protect refuses what it cannot sign, writing nothing"
: >"$TMP/empty.eml"
run sealmail --home "$A" --passphrase-file "$PASS" protect --sign -o "$TMP/bad.eml" "$TMP/empty.eml"
expect_exit 65
expect_err "sealmail: $TMP/empty.eml: the message has no From address (give --from ADDR)"
printf 'From: alice@example.org\nContent-Type: multipart/mixed; boundary=x\n\nno parts\n' >"$TMP/noparts.eml"
run sealmail --home "$A" --passphrase-file "$PASS" protect --sign -o "$TMP/bad.eml" "$TMP/noparts.eml"
expect_exit 65
expect_one_line_err
[ ! -e "$TMP/bad.eml" ] || fail "a file was written"

begin_test "usage errors"
run sealmail --home "$A" protect "$TMP/msg.eml"
expect_exit 64
run sealmail --home "$A" protect --sign --clear --opaque "$TMP/msg.eml"
expect_exit 64
run sealmail --home "$B" open "$TMP/does-not-exist.eml"
expect_exit 66

end_tests
