#!/bin/sh
# sealmail open -o -: the readable message on standard output (for a pipe,
# e.g. the neomutt macro in contrib/), the report on standard error; nothing
# on standard output when the message cannot be decrypted or fails its
# AES-GCM check.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob
HC=$TMP/carol

run sealmail --home "$HA" id import "$PKI/alice@example.org.crt" "$PKI/alice@example.org.key" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: alice import: $errout"; exit 1; }
run sealmail --home "$HB" id import "$PKI/bob@example.org.crt" "$PKI/bob@example.org.key" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: bob import: $errout"; exit 1; }
run sealmail --home "$HC" id import "$PKI/carol@example.org.crt" "$PKI/carol@example.org.key" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: carol import: $errout"; exit 1; }
run sealmail --home "$HA" book add "$PKI/bob@example.org.crt"
run sealmail --home "$HA" book trust bob@example.org trusted
[ "$rc" -eq 0 ] || { echo "setup: trust: $errout"; exit 1; }
printf 'From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: lunch\nDate: Sun, 29 Nov 2026 01:00:00 +0000\n\nThe eagle lands at noon.\n' >"$TMP/msg"
run sealmail --home "$HA" protect --sign -o "$TMP/signed" "$TMP/msg"
[ "$rc" -eq 0 ] || { echo "setup: sign: $errout"; exit 1; }
run sealmail --home "$HA" protect --sign --encrypt --cipher aes-256-gcm -o "$TMP/enc" "$TMP/msg"
[ "$rc" -eq 0 ] || { echo "setup: encrypt: $errout"; exit 1; }

begin_test "open -o - on a signed message: the text on stdout, the report on stderr"
run sealmail --home "$HB" open -o - "$TMP/signed"
expect_exit 1
out=$(printf '%s' "$out" | tr -d '\r')
expect_out "From: Alice <alice@example.org>
To: bob@example.org
Subject: lunch
Date: Sun, 29 Nov 2026 01:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The eagle lands at noon."
expect_err_contains "signature (clear, part 1.1): alice <alice@example.org>"
expect_err_contains "verdict: warning"

begin_test "open -o - decrypts into the pipe, and --json goes to stderr"
run_stdin "$TMP/enc" sealmail --home "$HB" --json open -o -
expect_exit 1
expect_out_contains "The eagle lands at noon."
printf '%s' "$errout" | jq -e '.encryption.decrypted_by' >/dev/null ||
	fail "no JSON report on stderr"

begin_test "open -o -: nothing on stdout when not encrypted for me"
run sealmail --home "$HC" open -o - "$TMP/enc"
expect_exit 3
expect_out ""
expect_err_contains "cannot decrypt: this message was not encrypted for any of your digital IDs"

begin_test "open -o -: nothing on stdout when the AES-GCM tag fails"
mid=$(($(wc -l <"$TMP/enc") / 2))
awk -v n="$mid" 'NR == n { c = substr($0, 10, 1); r = (c == "A") ? "B" : "A";
	$0 = substr($0, 1, 9) r substr($0, 11) } { print }' "$TMP/enc" >"$TMP/bad"
run sealmail --home "$HB" open -o - "$TMP/bad"
expect_exit 2
expect_out ""
expect_err_contains "verdict: danger"

end_tests
