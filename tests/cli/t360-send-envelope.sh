#!/bin/sh
# SPDX-License-Identifier: MIT
# send and sendmail: the SMTP envelope is the addresses as given or never
# sent.  An address longer than SMTP allows (254 bytes) is an error naming
# it, before anything is protected or connected (never a cut address); a
# UTF-8 local part needs SMTPUTF8, which sealmail does not support yet.  The
# account's server is a closed port: reaching it is exit 74.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
PKI=$TEST_DATA/pki
H=$TMP/alice
SMTP=smtp://127.0.0.1:1

setup "$H" id import "$PKI/alice@example.org.crt" \
	"$PKI/alice@example.org.key" --no-passphrase
setup "$H" account set alice@example.org "smtp=$SMTP" sign-all=yes

# addr N: an address of exactly N bytes, a...a@example.org
addr() {
	printf '%s@example.org' "$(head -c $(($1 - 12)) /dev/zero | tr '\0' a)"
}
A64=$(head -c 64 /dev/zero | tr '\0' a)
JUERGEN=$(printf 'j\303\274rgen@example.org')
TOOLONG="is longer than 254 bytes, the most an SMTP envelope allows"
SMTPUTF8="needs SMTPUTF8, which sealmail does not support yet"

mail() { # FILE FROM TO
	printf 'From: %s\nTo: %s\nSubject: envelope\n\nHello.\n' "$2" "$3" >"$1"
}

begin_test "a 254-byte recipient goes to the server"
[ "$(addr 254 | wc -c)" -eq 254 ] || fail "addr 254: $(addr 254 | wc -c)"
mail "$TMP/m254" alice@example.org "$(addr 254)"
run sealmail --home "$H" send --sign "$TMP/m254"
expect_exit 74
expect_err_contains "sealmail: sending through $SMTP: "

begin_test "a 255-byte recipient in To: refused before connecting"
mail "$TMP/m255" alice@example.org "Long <$(addr 255)>"
run sealmail --home "$H" send --sign "$TMP/m255"
expect_exit 65
expect_err "sealmail: recipient address $A64... $TOOLONG"
expect_out ""

begin_test "a From address longer than 254 bytes is refused, never cut"
for n in 255 300; do
	mail "$TMP/f$n" "$(addr $n)" bob@example.org
	run sealmail --home "$H" send --sign "$TMP/f$n"
	expect_exit 65
	expect_err "sealmail: sender address $A64... $TOOLONG"
	expect_out ""
done
# 254 bytes fit: the From is looked up whole (no digital ID for it).
mail "$TMP/f254" "$(addr 254)" bob@example.org
run sealmail --home "$H" send --sign "$TMP/f254"
expect_exit 3
expect_err_contains "$(addr 254)"

begin_test "too long on the command line: --from, sendmail -f and recipients"
run sealmail --home "$H" send --sign --from "$(addr 300)" "$TMP/m254"
expect_exit 64
expect_err "sealmail: sender address $A64... $TOOLONG"
mail "$TMP/ok" alice@example.org bob@example.org
run_stdin "$TMP/ok" sealmail --home "$H" sendmail -f "$(addr 255)" \
	bob@example.org
expect_exit 64
expect_err "sealmail: sender address $A64... $TOOLONG"
run_stdin "$TMP/ok" sealmail --home "$H" sendmail bob@example.org \
	"$(addr 400)"
expect_exit 64
expect_err "sealmail: recipient address $A64... $TOOLONG"
expect_out ""

begin_test "a UTF-8 local part needs SMTPUTF8: refused before connecting"
mail "$TMP/u1" alice@example.org "Juergen <$JUERGEN>"
run sealmail --home "$H" send --sign "$TMP/u1"
expect_exit 65
expect_err "sealmail: recipient address $JUERGEN $SMTPUTF8"
expect_out ""
mail "$TMP/u2" "$JUERGEN" bob@example.org
run sealmail --home "$H" send --sign "$TMP/u2"
expect_exit 65
expect_err "sealmail: sender address $JUERGEN $SMTPUTF8"
run_stdin "$TMP/ok" sealmail --home "$H" sendmail -f "$JUERGEN" \
	bob@example.org
expect_exit 65
expect_err "sealmail: sender address $JUERGEN $SMTPUTF8"
run_stdin "$TMP/ok" sealmail --home "$H" sendmail bob@example.org "$JUERGEN"
expect_exit 65
expect_err "sealmail: recipient address $JUERGEN $SMTPUTF8"

begin_test "a UTF-8 domain is not refused: it goes out in its ASCII form"
mail "$TMP/idn" alice@example.org "$(printf 'bob@b\303\274cher.example')"
run sealmail --home "$H" send --sign "$TMP/idn"
expect_exit 74
expect_err_contains "sealmail: sending through $SMTP: "

end_tests
