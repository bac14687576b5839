#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 7: quoted-printable opaque-signed and encrypted bodies stream too
# (sm_mime_body: GMime's decoder in 64 KiB pieces), where they used to be
# decoded whole into memory: a $MIB MiB message re-encoded as
# quoted-printable (about 3 times its DER size) opens with peak RSS
# (/usr/bin/time -f %M) under 64 MiB, with the same verdicts and readable
# bytes as base64; a truncated or garbage quoted-printable body is a
# damaged part, not a crash.  QP_MIB sets the size (default 40: the old
# in-memory decoder held over 64 MiB for it).
# shellcheck source=tests/stream/lib.sh
. "$(dirname "$0")/lib.sh"

MIB=${QP_MIB:-40}
PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob

for who in alice bob; do
	run sealmail --home "$TMP/$who" id import --no-passphrase \
		"$PKI/$who@example.org.crt" "$PKI/$who@example.org.key"
	[ "$rc" -eq 0 ] || { echo "setup: $who import: $errout" >&2; exit 1; }
done
run sealmail --home "$HA" book add "$PKI/bob@example.org.crt"
[ "$rc" -eq 0 ] || { echo "setup: alice adds bob: $errout" >&2; exit 1; }
run sealmail --home "$HA" book trust bob@example.org trusted
[ "$rc" -eq 0 ] || { echo "setup: alice trusts bob: $errout" >&2; exit 1; }
run sealmail --home "$HB" book add "$PKI/alice@example.org.crt"
[ "$rc" -eq 0 ] || { echo "setup: bob adds alice: $errout" >&2; exit 1; }
run sealmail --home "$HB" book trust alice@example.org trusted
[ "$rc" -eq 0 ] || { echo "setup: bob trusts alice: $errout" >&2; exit 1; }

{
	printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: large\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
	head -c $((MIB * 1048576 * 3 / 4)) /dev/zero | openssl enc -aes-128-ctr \
		-pass pass:x -nosalt -pbkdf2 2>/dev/null | base64 -w 76 | sed 's/$/\r/'
} >"$TMP/msg"

# to_qp IN OUT: the base64 S/MIME body of IN re-encoded as quoted-printable
to_qp() {
	perl -MMIME::Base64 -MMIME::QuotedPrint -0777 -ne '
		binmode STDOUT;
		my ($h, $b) = split /\r\n\r\n/, $_, 2;
		$h =~ s/Content-Transfer-Encoding: base64/Content-Transfer-Encoding: quoted-printable/i;
		print $h, "\r\n\r\n", encode_qp(decode_base64($b), "\r\n", 1);' "$1" >"$2"
	grep -q '^Content-Transfer-Encoding: quoted-printable' "$2" ||
		{ echo "setup: $2 not quoted-printable" >&2; exit 1; }
}

run sealmail --home "$HA" protect --sign --opaque -o "$TMP/opaque.b64" "$TMP/msg"
[ "$rc" -eq 0 ] || { echo "setup: sign: $errout" >&2; exit 1; }
to_qp "$TMP/opaque.b64" "$TMP/opaque.eml"
rm -f "$TMP/opaque.b64"
run sealmail --home "$HA" protect --encrypt --no-sign --yes \
	--cipher aes-256-gcm -o "$TMP/enc.b64" "$TMP/msg"
[ "$rc" -eq 0 ] || { echo "setup: encrypt: $errout" >&2; exit 1; }
to_qp "$TMP/enc.b64" "$TMP/enc.eml"
rm -f "$TMP/enc.b64"

begin_test "quoted-printable opaque signed, $MIB MiB: valid, byte-exact, peak RSS under 64 MiB"
timed "open qp opaque" "$SEALMAIL" --home "$HB" --json open -o "$TMP/out" "$TMP/opaque.eml"
expect_exit 0
expect_json .verdict good
expect_json '.signatures[0].kind' opaque
expect_json '.signatures[0].state' valid
cmp -s "$TMP/out" "$TMP/msg" || fail "readable message differs"
rm -f "$TMP/out"

begin_test "quoted-printable encrypted (AES-256-GCM), $MIB MiB: decrypted, byte-exact, peak RSS under 64 MiB"
timed "open qp encrypted" "$SEALMAIL" --home "$HB" --json open -o "$TMP/out" "$TMP/enc.eml"
expect_exit 0
expect_json .verdict not-signed
expect_json .encryption.algorithm AES-256-GCM
cmp -s "$TMP/out" "$TMP/msg" || fail "readable message differs"
rm -f "$TMP/out"

begin_test "quoted-printable encrypted, cut in the middle: damaged, nothing written"
head -c $(($(wc -c <"$TMP/enc.eml") / 2)) "$TMP/enc.eml" >"$TMP/cut.eml"
timed "open qp cut" "$SEALMAIL" --home "$HB" --json open -o "$TMP/out" "$TMP/cut.eml"
expect_exit 2
expect_json .verdict danger
expect_json '[.findings[].code] | join(",")' encryption-damaged
[ ! -e "$TMP/out" ] || fail "a readable message was written"

begin_test "quoted-printable opaque signed, garbage body: damaged signed part"
{
	sed -n '1,/^\r$/p' "$TMP/opaque.eml"
	printf '=ZZnot=\r\n=3 quoted printable at all =\r\n'
} >"$TMP/garbage.eml"
run sealmail --home "$HB" --json open "$TMP/garbage.eml"
expect_exit 2
expect_json .verdict danger
expect_json '[.findings[].code] | join(",")' bad-signature
expect_json '.findings[0].text | test("damaged")' true

end_tests
