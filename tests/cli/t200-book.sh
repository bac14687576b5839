#!/bin/sh
# sealmail book: adding certificates in every format, listing, showing,
# trusting, removing and exporting; bad input and ambiguous addresses.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
H=$TMP/home

fp_of() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
		sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}
BOB=$(fp_of "$PKI/bob@example.org.crt")
BOB16=$(printf '%.16s' "$BOB")
CAROL=$(fp_of "$PKI/carol@example.org.crt")
CAROL16=$(printf '%.16s' "$CAROL")

begin_test "an empty book"
run sealmail --home "$H" book list
expect_exit 0
expect_out "the address book is empty"
run sealmail --home "$H" book list --json
expect_exit 0
expect_json '.certificates | length' 0

begin_test "book add bob.crt: Bob lands not trusted"
run sealmail --home "$H" book add "$PKI/bob@example.org.crt"
expect_exit 0
expect_out "added: $BOB16  bob <bob@example.org>  not trusted"
run sealmail --home "$H" book list
expect_exit 0
expect_out "$BOB16  bob <bob@example.org>  not trusted"
run sealmail --home "$H" book list --json
expect_json '.certificates[0].fingerprint' "$BOB"
expect_json '.certificates[0].addresses[0]' "bob@example.org"
expect_json '.certificates[0].trust' "untrusted"
expect_json '.certificates[0].effective_trust' "not_trusted"
expect_json '.certificates[0].via_ca' "null"

begin_test "adding it again reports it present"
run sealmail --home "$H" book add "$PKI/bob@example.org.crt"
expect_exit 0
expect_out "already in the book: $BOB16  bob <bob@example.org>  not trusted"

begin_test "book trust bob@example.org trusted"
run sealmail --home "$H" book trust bob@example.org trusted
expect_exit 0
expect_out "$BOB16  bob <bob@example.org>  trusted by you"
run sealmail --home "$H" book list
expect_out "$BOB16  bob <bob@example.org>  trusted by you"
run sealmail --home "$H" book show bob@example.org
expect_exit 0
expect_out_contains "fingerprint:  $BOB"
expect_out_contains "trust:        trusted by you"
expect_out_contains "your setting: trusted"
expect_out_contains "subject:      CN=bob,O=sealmail test"
run sealmail --home "$H" book show "$BOB16" --json
expect_exit 0
expect_json '.certificates[0].trust_words' "trusted by you"
expect_json '.certificates[0].effective_trust' "trusted_by_you"

begin_test "distrusted, then untrusted again, by fingerprint prefix"
run sealmail --home "$H" book trust "$(printf '%.8s' "$BOB")" distrusted
expect_exit 0
expect_out "$BOB16  bob <bob@example.org>  distrusted"
run sealmail --home "$H" book trust "$BOB" untrusted
expect_exit 0
expect_out "$BOB16  bob <bob@example.org>  not trusted"

begin_test "a bad trust word is a usage error"
run sealmail --home "$H" book trust bob@example.org maybe
expect_exit 64
expect_err_contains "unknown trust 'maybe': use trusted, untrusted or distrusted"

begin_test "DER with --name"
openssl x509 -in "$PKI/carol@example.org.crt" -outform DER -out "$TMP/carol.der"
run sealmail --home "$H" book add --name "Carol Jones" "$TMP/carol.der"
expect_exit 0
expect_out "added: $CAROL16  Carol Jones <carol@example.org>  not trusted"

begin_test "several PEM certificates in one file"
cat "$PKI/dave@example.org.crt" "$PKI/erin@example.org.crt" >"$TMP/two.pem"
run sealmail --home "$H" book add "$TMP/two.pem"
expect_exit 0
expect_out_contains "<dave@example.org>  not trusted"
expect_out_contains "<erin@example.org>  not trusted"
[ "$(printf '%s\n' "$out" | grep -c '^added: ')" -eq 2 ] || fail "not two added"

begin_test "a PKCS#7 bundle (.p7b), DER and PEM"
openssl crl2pkcs7 -nocrl -certfile "$PKI/alice@example.org.crt" \
	-certfile "$PKI/carol@example.org.crt" -outform DER -out "$TMP/b.p7b"
openssl crl2pkcs7 -nocrl -certfile "$PKI/alice@example.org.crt" \
	-out "$TMP/b.p7c"
run sealmail --home "$H" book add "$TMP/b.p7b"
expect_exit 0
expect_out_contains "added: $(printf '%.16s' "$(fp_of "$PKI/alice@example.org.crt")")  alice <alice@example.org>"
expect_out_contains "already in the book: $CAROL16  Carol Jones <carol@example.org>"
run sealmail --home "$H" book add "$TMP/b.p7c"
expect_exit 0
expect_out_contains "already in the book: "
run sealmail --home "$H" book list --json
expect_json '.certificates | length' 5

begin_test "garbage is refused: one line, exit 65, book unchanged"
run sealmail --home "$H" book list --json
before=$out
printf 'this is not a certificate\n' >"$TMP/garbage.crt"
run sealmail --home "$H" book add "$TMP/garbage.crt"
expect_exit 65
expect_one_line_err
expect_err_contains "sealmail: $TMP/garbage.crt: "
# OpenSSL's reason by its code (the CLI loads no OpenSSL error strings:
# docs/design.md), the code `openssl errstr` spells out
printf -- '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJ\n-----END CERTIFICATE-----\n' \
	>"$TMP/short.crt"
run sealmail --home "$H" book add "$TMP/short.crt"
expect_exit 65
expect_err "sealmail: $TMP/short.crt: not a DER certificate: OpenSSL error 0680009B"
[ "$(openssl errstr 0680009B)" = "error:0680009B:asn1 encoding routines::too long" ] ||
	fail "openssl errstr does not explain 0680009B"
head -c 300 "$PKI/bob@example.org.crt" >"$TMP/truncated.crt"
run sealmail --home "$H" book add "$TMP/truncated.crt"
expect_exit 65
expect_one_line_err
: >"$TMP/empty.crt"
run sealmail --home "$H" book add "$TMP/empty.crt"
expect_exit 65
expect_one_line_err
run sealmail --home "$H" book list --json
[ "$out" = "$before" ] || fail "the book changed"

begin_test "a missing file changes nothing, even after a good one"
run sealmail --home "$H" book add "$PKI/nosmime@example.org.crt" "$TMP/nonexistent.crt"
expect_exit 66
expect_one_line_err
run sealmail --home "$H" book list --json
[ "$out" = "$before" ] || fail "the book changed"

begin_test "a certificate with no e-mail address is kept without a contact"
NOMAIL=$(fp_of "$PKI/noemail.crt")
run sealmail --home "$H" book add "$PKI/noemail.crt"
expect_exit 0
expect_out "added: $(printf '%.16s' "$NOMAIL")  noemail (no address)  not trusted"
run sealmail --home "$H" book show "$NOMAIL" --json
expect_exit 0
expect_json '.certificates[0].addresses | length' 0
expect_json '.certificates[0].contact' ""

begin_test "an address with two certificates: show lists both, trust is ambiguous"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/bob2.key" \
	-out "$TMP/bob2.crt" -days 30 -subj "/CN=Bob Two" \
	-addext "subjectAltName=email:bob@example.org" \
	-addext "extendedKeyUsage=emailProtection" >/dev/null 2>&1
BOB2=$(fp_of "$TMP/bob2.crt")
run sealmail --home "$H" book add "$TMP/bob2.crt"
expect_exit 0
expect_out "added: $(printf '%.16s' "$BOB2")  bob <bob@example.org>  not trusted"
run sealmail --home "$H" book show bob@example.org --json
expect_exit 0
expect_json '.certificates | length' 2
run sealmail --home "$H" book trust bob@example.org trusted
expect_exit 64
expect_one_line_err
expect_err_contains "bob@example.org has 2 certificates, name one by fingerprint: "
expect_err_contains "$BOB"
expect_err_contains "$BOB2"
run sealmail --home "$H" book remove bob@example.org
expect_exit 64
expect_err_contains "bob@example.org has 2 certificates"

begin_test "export writes PEM that openssl reads"
run sealmail --home "$H" book export "$CAROL16"
expect_exit 0
printf '%s\n' "$out" >"$TMP/carol-export.pem"
[ "$(fp_of "$TMP/carol-export.pem")" = "$CAROL" ] || fail "export differs"
run sealmail --home "$H" book export bob@example.org
expect_exit 0
[ "$(printf '%s\n' "$out" | grep -c 'BEGIN CERTIFICATE')" -eq 2 ] || fail "not two certificates"

begin_test "remove by fingerprint"
run sealmail --home "$H" book remove "$BOB2"
expect_exit 0
expect_out "removed: $(printf '%.16s' "$BOB2")  bob <bob@example.org>  not trusted"
run sealmail --home "$H" book show "$BOB2"
expect_exit 67
expect_one_line_err
expect_err "sealmail: no certificate with fingerprint $BOB2 in the address book"
run sealmail --home "$H" book trust bob@example.org trusted
expect_exit 0

begin_test "unknown addresses and bad fingerprints"
run sealmail --home "$H" book show nobody@example.org
expect_exit 67
expect_err "sealmail: no certificate for nobody@example.org in the address book"
run sealmail --home "$H" book show abc
expect_exit 64
expect_one_line_err
run sealmail --home "$H" book show zzzz
expect_exit 64
expect_err "sealmail: 'zzzz' is neither an address nor a fingerprint"

begin_test "usage errors"
run sealmail --home "$H" book
expect_exit 64
run sealmail --home "$H" book add
expect_exit 64
run sealmail --home "$H" book show
expect_exit 64
run sealmail --home "$H" book list --name x
expect_exit 64
run sealmail --home "$H" book frob
expect_exit 64
expect_err_contains "unknown subcommand 'frob'"
run sealmail --home "$H" book --help
expect_exit 0
expect_out_contains "usage: sealmail book add"

end_tests
