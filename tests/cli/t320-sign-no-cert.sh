#!/bin/sh
# A message signed without the signer's certificate (include-cert=no) is
# verified against the certificate in the reader's address book; without one
# it cannot be checked, and the report says so truthfully.
. "$(dirname "$0")/lib.sh"

PKI="$TEST_DATA/pki"
A="$TMP/alice"
B="$TMP/bob"
printf test >"$TMP/pw"
"$SEALMAIL" --home "$A" id import --password-file "$TMP/pw" --no-passphrase \
	"$PKI/alice@example.org.p12" >/dev/null
"$SEALMAIL" --home "$A" account set alice@example.org include-cert=no >/dev/null
printf 'From: alice@example.org\nTo: bob@example.org\nSubject: no cert\n\nhello\n' >"$TMP/m.eml"

for mode in clear opaque; do
	begin_test "$mode: no certificate anywhere: cannot be checked, exit 1"
	run sealmail --home "$A" protect --sign --$mode -o "$TMP/$mode.eml" "$TMP/m.eml"
	expect_exit 0
	run sealmail --home "$B" open "$TMP/$mode.eml"
	expect_exit 1
	expect_out_contains "the signer's certificate is neither in the message nor in your address book"
	expect_out_lacks "exactly what was signed"
done

"$SEALMAIL" --home "$B" book add "$PKI/alice@example.org.crt" >/dev/null
"$SEALMAIL" --home "$B" book trust alice@example.org trusted >/dev/null

for mode in clear opaque; do
	begin_test "$mode: the certificate in the address book verifies it, exit 0"
	run sealmail --home "$B" open --json "$TMP/$mode.eml"
	expect_exit 0
	expect_json '.signatures[0].state' "valid"
	expect_json '.signatures[0].trust' "trusted"
	expect_json '.signatures[0].trust_words' "trusted by you"
	expect_json '.signatures[0].signer.address' "alice@example.org"
done

begin_test "signer named by subject key identifier: found in the book, exit 0"
# (the book is looked up by serial number for issuer-and-serial signers;
# a key identifier has no column to search: the whole book is read)
openssl cms -sign -nocerts -keyid -in "$TMP/m.eml" -signer "$PKI/alice@example.org.crt" \
	-inkey "$PKI/alice@example.org.key" -from alice@example.org \
	-to bob@example.org -subject "no cert" -out "$TMP/keyid.eml" 2>/dev/null
run sealmail --home "$B" open --json "$TMP/keyid.eml"
expect_exit 0
expect_json '.signatures[0].state' "valid"
expect_json '.signatures[0].signer.address' "alice@example.org"

begin_test "a changed byte is still caught with the certificate from the book"
sed 's/^hello/jello/' "$TMP/clear.eml" >"$TMP/changed.eml"
run sealmail --home "$B" open "$TMP/changed.eml"
expect_exit 2
expect_out_contains "changed after it was signed"

end_tests
