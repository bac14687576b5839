#!/bin/sh
# SPDX-License-Identifier: MIT
# open hashes a clear-signed message's signed part while it looks for the
# part's end (one read, issue 7), with the digest the micalg parameter
# names; the signature says which digest counts.  A 3 MiB message (read
# where it is, in 256 KiB views) checks the same as before whatever micalg
# claims, and a changed last byte before the delimiter is still seen.  Its
# readable message is written by the kernel (sendfile) and must be the
# signed content, byte for byte.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob

setup "$HA" id import "$PKI/alice@example.org.crt" \
	"$PKI/alice@example.org.key" --no-passphrase
setup "$HB" book add "$PKI/alice@example.org.crt"
setup "$HB" book trust alice@example.org trusted

# 3 MiB of CRLF lines, the last one without a line break before the end
{
	printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n'
	printf 'Subject: one read\r\nContent-Type: text/plain\r\n\r\n'
	awk 'BEGIN { for (i = 0; i < 40000; i++)
		printf "line %06d QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\r\n", i
		printf "the last line ends in Z" }'
} >"$TMP/in.eml"
run sealmail --home "$HA" protect --sign --clear -o "$TMP/s.eml" "$TMP/in.eml"
[ "$rc" -eq 0 ] || { echo "setup: sign: $errout"; exit 1; }
grep -q 'micalg=sha-256' "$TMP/s.eml" || { echo "setup: no micalg"; exit 1; }

begin_test "a 3 MiB clear-signed message: good, the content as signed"
run sealmail --home "$HB" open -o "$TMP/out.eml" "$TMP/s.eml"
expect_exit 0
expect_out_contains "content:     the content is exactly what was signed"
expect_out_contains "verdict: good"
[ "$(tail -c 23 "$TMP/out.eml")" = "the last line ends in Z" ] ||
	fail "the readable message does not end with the signed content's end"
[ "$(grep -c '^line ' "$TMP/out.eml")" = 40000 ] || fail "lines missing"
# the readable message: the signed part as it is, after a header block
awk '/^--sealmail-/ { n++; next } n == 1 { print }' "$TMP/s.eml" |
	sed '$ s/\r$//' | head -c -1 >"$TMP/part"
tail -c "$(wc -c <"$TMP/part")" "$TMP/out.eml" >"$TMP/out.tail"
[ "$(wc -c <"$TMP/part")" -gt 3000000 ] || fail "the signed part is not there"
expect_same_file "$TMP/part" "$TMP/out.tail"

begin_test "the same from standard input (spooled): good"
run_stdin "$TMP/s.eml" sealmail --home "$HB" open -o /dev/null -
expect_exit 0
expect_out_contains "verdict: good"

for m in 'micalg=sha-512' 'micalg=md5' 'micalg="sha-1, sha-256"' \
	'micalg=unknown-hash' 'x-no-micalg=sha-256'; do
	begin_test "$m in the header: the signer's SHA-256 decides, good"
	sed "s/micalg=sha-256/$m/" "$TMP/s.eml" >"$TMP/m.eml"
	grep -q "$m" "$TMP/m.eml" || fail "not edited"
	run sealmail --home "$HB" open "$TMP/m.eml"
	expect_exit 0
	expect_out_contains "algorithm:   RSA PKCS#1 v1.5 with SHA256"
	expect_out_contains "verdict: good"
done

begin_test "the last signed byte changed (Z -> Y before the delimiter): exit 2"
sed 's/the last line ends in Z/the last line ends in Y/' "$TMP/s.eml" >"$TMP/y.eml"
grep -q 'ends in Y' "$TMP/y.eml" || fail "not edited"
run sealmail --home "$HB" open "$TMP/y.eml"
expect_exit 2
expect_out_contains "the content itself changed"

begin_test "the CR before the delimiter dropped: the line break is the delimiter's, good"
sed 's/the last line ends in Z\r$/the last line ends in Z/' "$TMP/s.eml" >"$TMP/lf.eml"
[ "$(wc -c <"$TMP/lf.eml")" -eq $(($(wc -c <"$TMP/s.eml") - 1)) ] ||
	fail "not edited"
run sealmail --home "$HB" open "$TMP/lf.eml"
expect_exit 0
expect_out_contains "content:     the content is exactly what was signed"

begin_test "a byte added after the Z: not what was signed, exit 2"
sed 's/the last line ends in Z\r$/the last line ends in Z \r/' "$TMP/s.eml" >"$TMP/sp.eml"
grep -q 'ends in Z ' "$TMP/sp.eml" || fail "not edited"
run sealmail --home "$HB" open "$TMP/sp.eml"
expect_exit 2
expect_out_contains "changed after it was signed"

end_tests
