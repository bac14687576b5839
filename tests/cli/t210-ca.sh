#!/bin/sh
# sealmail ca: adding CA certificates (and refusing ones that are not),
# trusting them, and contacts trusted through a CA unless distrusted.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
H=$TMP/home

fp_of() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
		sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}
ROOT=$(fp_of "$PKI/root-ca.crt")
ROOT16=$(printf '%.16s' "$ROOT")
INTER=$(fp_of "$PKI/intermediate-ca.crt")
ALICE16=$(printf '%.16s' "$(fp_of "$PKI/alice@example.org.crt")")

begin_test "no CAs yet"
run sealmail --home "$H" ca list
expect_exit 0
expect_out "no CA certificates"
run sealmail --home "$H" ca list --json
expect_exit 0
expect_json '.cas | length' 0

begin_test "a file that is not a CA: exit 65, one line, store unchanged"
run sealmail --home "$H" book add "$PKI/alice@example.org.crt"
expect_exit 0
run sealmail --home "$H" ca add "$PKI/bob@example.org.crt"
expect_exit 65
expect_one_line_err
expect_err "sealmail: $PKI/bob@example.org.crt: CN=bob,O=sealmail test is not a CA certificate"
run sealmail --home "$H" ca list --json
expect_json '.cas | length' 0
run sealmail --home "$H" book list --json
expect_json '.certificates | length' 1

begin_test "a bundle with one non-CA among CAs stores none of them"
cat "$PKI/ca-chain.crt" "$PKI/bob@example.org.crt" >"$TMP/mixed.pem"
run sealmail --home "$H" ca add "$TMP/mixed.pem"
expect_exit 65
expect_one_line_err
run sealmail --home "$H" ca list --json
expect_json '.cas | length' 0

begin_test "garbage"
printf 'garbage\n' >"$TMP/garbage.pem"
run sealmail --home "$H" ca add "$TMP/garbage.pem"
expect_exit 65
expect_one_line_err

begin_test "ca add: intermediate and root land untrusted"
run sealmail --home "$H" ca add "$PKI/ca-chain.crt"
expect_exit 0
expect_out_contains "added CA: $ROOT16  CN=sealmail test root CA,O=sealmail test  not trusted"
run sealmail --home "$H" ca list --json
expect_exit 0
expect_json '.cas | length' 2
expect_json "[.cas[] | select(.fingerprint == \"$ROOT\") | .trust] | .[0]" "untrusted"
expect_json '[.cas[] | .ca] | all' "true"
run sealmail --home "$H" book show alice@example.org
expect_out_contains "trust:        not trusted"

begin_test "ca trust ROOT trusted: alice is trusted through it"
run sealmail --home "$H" ca trust "$ROOT" trusted
expect_exit 0
expect_out "CA $ROOT is now trusted"
run sealmail --home "$H" ca list
expect_out_contains "$ROOT16  CN=sealmail test root CA,O=sealmail test  trusted"
run sealmail --home "$H" book show alice@example.org
expect_exit 0
expect_out_contains "trust:        trusted through CA sealmail test root CA"
expect_out_contains "your setting: untrusted"
run sealmail --home "$H" book list
expect_out "$ALICE16  alice <alice@example.org>  trusted through CA sealmail test root CA"
run sealmail --home "$H" book show alice@example.org --json
expect_json '.certificates[0].effective_trust' "trusted_via_ca"
expect_json '.certificates[0].via_ca' "sealmail test root CA"

begin_test "an encryption-only certificate is trusted through the CA too"
E="$TMP/enc-home"
"$SEALMAIL" --home "$E" ca add "$PKI/root-ca.crt" >/dev/null 2>&1
"$SEALMAIL" --home "$E" ca trust "$ROOT" trusted >/dev/null 2>&1
run sealmail --home "$E" book add "$PKI/encryptonly@example.org.crt"
expect_exit 0
run sealmail --home "$E" book show encryptonly@example.org
expect_exit 0
expect_out_contains "trust:        trusted through CA sealmail test root CA"

begin_test "distrusted overrides the CA"
run sealmail --home "$H" book trust alice@example.org distrusted
expect_exit 0
expect_out "$ALICE16  alice <alice@example.org>  distrusted"
run sealmail --home "$H" book show alice@example.org --json
expect_json '.certificates[0].effective_trust' "distrusted"
run sealmail --home "$H" book trust alice@example.org untrusted
expect_exit 0
expect_out "$ALICE16  alice <alice@example.org>  trusted through CA sealmail test root CA"

begin_test "a self-signed contact is not trusted through the CA"
run sealmail --home "$H" book add "$PKI/erin@example.org.crt"
expect_exit 0
expect_out_contains "<erin@example.org>  not trusted"

begin_test "ca trust ROOT untrusted: alice is no longer trusted"
run sealmail --home "$H" ca trust "$(printf '%.10s' "$ROOT")" untrusted
expect_exit 0
expect_out "CA $(printf '%.10s' "$ROOT") is now not trusted"
run sealmail --home "$H" book show alice@example.org
expect_out_contains "trust:        not trusted"

begin_test "trusting only the intermediate is enough"
run sealmail --home "$H" ca trust "$INTER" trusted
expect_exit 0
run sealmail --home "$H" book show alice@example.org
expect_out_contains "trust:        trusted through CA sealmail test intermediate CA"

begin_test "ca errors"
run sealmail --home "$H" ca trust "$ROOT" distrusted
expect_exit 64
expect_err_contains "unknown CA trust 'distrusted': use trusted or untrusted"
run sealmail --home "$H" ca trust 0123456789abcdef0123 trusted
expect_exit 67
expect_one_line_err
expect_err_contains "no CA certificate with fingerprint 0123456789abcdef0123"
run sealmail --home "$H" ca trust bob@example.org trusted
expect_exit 64
expect_one_line_err
run sealmail --home "$H" ca trust "$ROOT"
expect_exit 64
run sealmail --home "$H" ca list extra
expect_exit 64
run sealmail --home "$H" ca
expect_exit 64

end_tests
