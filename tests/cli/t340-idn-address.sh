#!/bin/sh
# SPDX-License-Identifier: MIT
# Addresses with an internationalised domain: digital IDs, accounts and the
# address book are stored and looked up in one form, the ASCII one (domain
# as punycode, lower case), whichever form the user or the message gives.
. "$(dirname "$0")/lib.sh"

HA=$TMP/alice
HB=$TMP/bob
UTF=$(printf 'b\303\274cher.example')         # bücher.example
UPPER=$(printf 'B\303\234CHER.example')       # BÜCHER.example
ACE=xn--bcher-kva.example

sm_a() { run sealmail --home "$HA" "$@"; }
sm_b() { run sealmail --home "$HB" "$@"; }

sm_a id create --email "alice@$ACE" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: alice create: $errout"; exit 1; }
sm_b id create --email "bob@$ACE" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: bob create: $errout"; exit 1; }
sm_b id export "bob@$ACE" --cert
printf '%s\n' "$out" >"$TMP/bob.pem"
printf 'From: Alice <alice@%s>\r\nTo: Bob <bob@%s>\r\nSubject: hi\r\n\r\nhello\r\n' \
	"$UTF" "$UTF" >"$TMP/utf.eml"

begin_test "protect --sign: an ID stored under the punycode form signs for a UTF-8 From"
sm_a protect --sign -o "$TMP/signed.eml" "$TMP/utf.eml"
expect_exit 0
sm_b open "$TMP/signed.eml"
expect_out_contains "sender:      the From address is named by the certificate"

begin_test "id show, account show: the UTF-8 and upper-case forms find the punycode ID"
sm_a id show "alice@$UTF"
expect_exit 0
expect_out_contains "addresses:    alice@$ACE"
sm_a account show "alice@$UPPER"
expect_exit 0
expect_out_contains "address:          alice@$ACE"

begin_test "id create --email with a UTF-8 domain: the certificate names the punycode form"
sm_b id create --email "carol@$UTF" --no-passphrase
expect_exit 0
expect_out_contains "addresses:    carol@$ACE"
sm_b id export "carol@$ACE" --cert
printf '%s\n' "$out" | openssl x509 -noout -ext subjectAltName >"$TMP/san" 2>&1
grep -q "email:carol@$ACE" "$TMP/san" || fail "subjectAltName: $(cat "$TMP/san")"

begin_test "book trust and protect --encrypt: a UTF-8 recipient finds the punycode certificate"
sm_a book add "$TMP/bob.pem"
expect_exit 0
sm_a book trust "bob@$UTF" trusted
expect_exit 0
expect_out_contains "bob@$ACE <bob@$ACE>  trusted by you"
sm_a protect --sign --encrypt -o "$TMP/enc.eml" "$TMP/utf.eml"
expect_exit 0
sm_b open "$TMP/enc.eml"
expect_exit 1
expect_out_contains "  decrypted with your digital ID "

begin_test "an address whose punycode form is longer than 254 bytes is refused, named"
# 40 + 1 + 31 labels "ä" (2 bytes, "xn--4ca" 7 bytes): 133 bytes, 288 as ASCII
long=$(printf 'x%.0s' $(seq 40))@$(printf '\303\244.%.0s' $(seq 30))$(printf '\303\244')
sm_a id show "$long"
expect_exit 64
expect_err "sealmail: '$long' is not an e-mail address"

end_tests
