#!/bin/sh
# SPDX-License-Identifier: MIT
# sealmail open on opaque signed-data read in one pass (issue 7): base64 and
# binary bodies, damaged and wrong structures, bytes after the structure,
# a signer digest the digestAlgorithms do not list, quoted-printable.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
A=$TMP/alice-home
PASS=$TMP/pass
printf 'correct horse\n' >"$PASS"

run sealmail --home "$A" --passphrase-file "$PASS" id import \
	"$PKI/alice@example.org.crt" "$PKI/alice@example.org.key"
[ "$rc" -eq 0 ] || { echo "setup: id import failed: $errout" >&2; exit 1; }

printf 'Content-Type: text/plain\r\n\r\nHello Bob,\r\nlunch at noon?\r\n' >"$TMP/content.txt"

# sign [openssl cms args]: DER signed by Alice on stdout
sign() {
	openssl cms -sign -binary -in "$TMP/content.txt" \
		-signer "$PKI/alice@example.org.crt" \
		-inkey "$PKI/alice@example.org.key" -passin "file:$PASS" \
		-outform DER "$@"
}

# wrap ENCODING DER OUT: the DER as an application/pkcs7-mime message
wrap() {
	{
		printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: lunch\r\nMIME-Version: 1.0\r\n'
		printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n'
		printf 'Content-Transfer-Encoding: %s\r\n\r\n' "$1"
		case $1 in
		base64) openssl base64 -in "$2" | sed 's/$/\r/' ;;
		quoted-printable) perl -MMIME::QuotedPrint -0777 -ne 'print encode_qp($_, "\r\n", 1)' "$2" ;;
		*) cat "$2" ;;
		esac
	} >"$3"
}

sign -nodetach -out "$TMP/opaque.der" || { echo "setup: openssl cms failed" >&2; exit 1; }

begin_test "base64 signed-data: valid, the content is the readable message"
wrap base64 "$TMP/opaque.der" "$TMP/b64.eml"
run sealmail --home "$A" --json open -o "$TMP/b64.out" "$TMP/b64.eml"
expect_exit 0
expect_json '.signatures[0].kind' opaque
expect_json '.signatures[0].state' valid
grep -q 'lunch at noon?' "$TMP/b64.out" || fail "content not in the readable message"
grep -q '^Subject: lunch' "$TMP/b64.out" || fail "outer header lost"

begin_test "binary signed-data: valid"
wrap binary "$TMP/opaque.der" "$TMP/bin.eml"
run sealmail --home "$A" --json open "$TMP/bin.eml"
expect_exit 0
expect_json '.signatures[0].state' valid

begin_test "quoted-printable signed-data (streamed like base64): valid"
wrap quoted-printable "$TMP/opaque.der" "$TMP/qp.eml"
run sealmail --home "$A" --json open "$TMP/qp.eml"
expect_exit 0
expect_json '.signatures[0].state' valid

begin_test "bytes after the structure are ignored, as before"
{ cat "$TMP/opaque.der"; printf '\0\0\0'; } >"$TMP/tail.der"
wrap base64 "$TMP/tail.der" "$TMP/tail.eml"
run sealmail --home "$A" --json open "$TMP/tail.eml"
expect_exit 0
expect_json '.signatures[0].state' valid

# digest_to_sha384 DER EML: EML is the opaque signature DER with its first
# SHA-256 OID (the digestAlgorithms entry) made SHA-384, wrapped as S/MIME
digest_to_sha384() {
	perl -0777 -pe 's/\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01/\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02/' \
		"$1" >"$2.der"
	cmp -s "$1" "$2.der" && fail "the OID was not changed"
	wrap base64 "$2.der" "$2"
}

begin_test "a signer digest not in digestAlgorithms: hashed again, valid"
digest_to_sha384 "$TMP/opaque.der" "$TMP/swap.eml"
run sealmail --home "$A" --json open "$TMP/swap.eml"
expect_exit 0
expect_json '.signatures[0].state' valid

begin_test "one changed content byte: exit 2, changed after it was signed"
perl -0777 -pe 's/lunch at noon/lunch at nooN/' "$TMP/opaque.der" >"$TMP/changed.der"
wrap base64 "$TMP/changed.der" "$TMP/changed.eml"
run sealmail --home "$A" open "$TMP/changed.eml"
expect_exit 2
expect_out_contains "this message was changed after it was signed"

begin_test "cut inside the content: danger, damaged, truncated"
head -c 700 "$TMP/opaque.der" >"$TMP/cut.der"
wrap base64 "$TMP/cut.der" "$TMP/cut.eml"
run sealmail --home "$A" open "$TMP/cut.eml"
expect_exit 2
expect_out_contains "danger: the signed part 1 is damaged: CMS data truncated at offset 700"
expect_out_lacks "verdict: good"

begin_test "cut inside the header: not CMS signed-data"
head -c 30 "$TMP/opaque.der" >"$TMP/cut2.der"
wrap binary "$TMP/cut2.der" "$TMP/cut2.eml"
run sealmail --home "$A" --json open "$TMP/cut2.eml"
expect_exit 2
expect_json '.findings[0].code' bad-signature
expect_json '.findings[0].text' "the signed part 1 is damaged: the signature is not CMS signed-data: CMS data truncated at offset 30"

begin_test "base64 that does not decode to CMS: not CMS signed-data"
wrap 7bit "$TMP/content.txt" "$TMP/text.eml"
sed 's/^Content-Transfer-Encoding: 7bit/Content-Transfer-Encoding: base64/' "$TMP/text.eml" >"$TMP/text64.eml"
run sealmail --home "$A" open "$TMP/text64.eml"
expect_exit 2
expect_out_contains "danger: the signed part 1 is damaged: the signature is not CMS signed-data: "

begin_test "enveloped-data labelled signed-data: not CMS signed-data"
openssl cms -encrypt -in "$TMP/content.txt" -outform DER \
	-out "$TMP/env.der" "$PKI/alice@example.org.crt"
wrap base64 "$TMP/env.der" "$TMP/env.eml"
run sealmail --home "$A" open "$TMP/env.eml"
expect_exit 2
expect_out_contains "danger: the signed part 1 is damaged: the signature is not CMS signed-data"

begin_test "signed-data without its content: exit 65, one line"
sign -out "$TMP/detached.der"
wrap base64 "$TMP/detached.der" "$TMP/detached.eml"
run sealmail --home "$A" open "$TMP/detached.eml"
expect_exit 65
expect_err "sealmail: the signed-data holds no content"

begin_test "-o a FIFO or device: written through, never replaced by a file"
mkfifo "$TMP/fifo"
cat "$TMP/fifo" >"$TMP/fifo.got" &
reader=$!
run sealmail --home "$A" open -o "$TMP/fifo" "$TMP/b64.eml"
expect_exit 0
wait "$reader"
[ -p "$TMP/fifo" ] || fail "the FIFO was replaced"
grep -q 'lunch at noon?' "$TMP/fifo.got" || fail "nothing came through the FIFO"
[ -z "$(find "$TMP" -maxdepth 1 -name 'fifo.tmp.*')" ] || fail "a temporary was left"

# Over 1 MiB of content and no -o: a leaf part keeps only its header (the
# rest is hashed, not stored); what needs the body keeps it all.
{
	printf 'Content-Type: text/plain\r\n\r\n'
	head -c 1200000 /dev/zero | tr '\0' 'a' | fold -w 76 | sed 's/$/\r/'
} >"$TMP/big.txt"
{
	printf 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
	cat "$TMP/big.txt"
	printf '\r\n--b1\r\nContent-Type: text/plain\r\n\r\nlast\r\n--b1--\r\n'
} >"$TMP/bigmp.txt"
# bigsign IN OUT.eml [openssl args]
bigsign() {
	in=$1 out=$2
	shift 2
	openssl cms -sign -binary -nodetach -in "$in" \
		-signer "$PKI/alice@example.org.crt" \
		-inkey "$PKI/alice@example.org.key" -passin "file:$PASS" \
		-outform DER -out "$TMP/big.der" "$@" || fail "openssl cms -sign"
	wrap base64 "$TMP/big.der" "$out"
}

begin_test "over 1 MiB of signed text, no -o: valid, same report as with -o"
bigsign "$TMP/big.txt" "$TMP/big.eml"
run sealmail --home "$A" --json open -o "$TMP/big.out" "$TMP/big.eml"
expect_exit 0
expect_json '.signatures[0].state' valid
with_o=$out
run sealmail --home "$A" --json open "$TMP/big.eml"
expect_exit 0
[ "$out" = "$with_o" ] || fail "the report differs without -o"
# the readable message: the outer header, then the signed content
tail -c "$(wc -c <"$TMP/big.txt")" "$TMP/big.out" | cmp -s - "$TMP/big.txt" ||
	fail "readable content differs from what was signed"

begin_test "over 1 MiB of signed text inside encryption, -o: content byte-exact, same report without -o"
openssl cms -encrypt -aes-256-gcm -from alice@example.org -in "$TMP/big.eml" -out "$TMP/bigenv.eml" \
	"$PKI/alice@example.org.crt" || fail "openssl cms -encrypt"
run sealmail --home "$A" --passphrase-file "$PASS" --json open -o "$TMP/bigenv.out" "$TMP/bigenv.eml"
expect_exit 0
expect_json '.signatures[0].state' valid
with_o=$out
tail -c "$(wc -c <"$TMP/big.txt")" "$TMP/bigenv.out" | cmp -s - "$TMP/big.txt" ||
	fail "readable content differs from what was signed"
run sealmail --home "$A" --passphrase-file "$PASS" --json open "$TMP/bigenv.eml"
expect_exit 0
[ "$out" = "$with_o" ] || fail "the report differs without -o"

begin_test "over 1 MiB, one changed byte past the first MiB, no -o: exit 2, changed"
perl -0777 -pe 'substr($_, length($_) - 2000, 1) = "b" if substr($_, length($_) - 2000, 1) eq "a"' \
	"$TMP/big.der" >"$TMP/bigx.der"
cmp -s "$TMP/big.der" "$TMP/bigx.der" && fail "no byte was changed"
wrap base64 "$TMP/bigx.der" "$TMP/bigx.eml"
run sealmail --home "$A" open "$TMP/bigx.eml"
expect_exit 2
expect_out_contains "this message was changed after it was signed"

begin_test "over 1 MiB multipart signed, no -o: the body is kept and walked, fully signed"
bigsign "$TMP/bigmp.txt" "$TMP/bigmp.eml"
run sealmail --home "$A" --json open "$TMP/bigmp.eml"
expect_exit 0
expect_json '.signatures[0].state' valid
expect_json .coverage full

begin_test "over 1 MiB in 4 KiB chunks (openssl -stream): gathered, content byte-exact, same report without -o"
bigsign "$TMP/big.txt" "$TMP/bigs.eml" -stream
n=$(openssl asn1parse -inform DER -in "$TMP/big.der" | grep -c 'prim: OCTET STRING')
[ "$n" -gt 200 ] || fail "the content is not chunked ($n OCTET STRINGs)"
run sealmail --home "$A" --json open -o "$TMP/bigs.out" "$TMP/bigs.eml"
expect_exit 0
expect_json '.signatures[0].state' valid
with_o=$out
tail -c "$(wc -c <"$TMP/big.txt")" "$TMP/bigs.out" | cmp -s - "$TMP/big.txt" ||
	fail "readable content differs from what was signed"
run sealmail --home "$A" --json open "$TMP/bigs.eml"
expect_exit 0
[ "$out" = "$with_o" ] || fail "the report differs without -o"

begin_test "over 1 MiB multipart in 4 KiB chunks, no -o: kept whole and walked, fully signed"
bigsign "$TMP/bigmp.txt" "$TMP/bigmps.eml" -stream
run sealmail --home "$A" --json open "$TMP/bigmps.eml"
expect_exit 0
expect_json '.signatures[0].state' valid
expect_json .coverage full

begin_test "over 1 MiB, a signer digest not in digestAlgorithms, no -o: read again whole, valid"
digest_to_sha384 "$TMP/big.der" "$TMP/bigswap.eml"
run sealmail --home "$A" --json open "$TMP/bigswap.eml"
expect_exit 0
expect_json '.signatures[0].state' valid

begin_test "over 1 MiB of text, that digest, -o: read again whole, valid, content byte-exact"
bigsign "$TMP/big.txt" "$TMP/big2.eml"
digest_to_sha384 "$TMP/big.der" "$TMP/bigswap2.eml"
run sealmail --home "$A" --json open -o "$TMP/bigswap.out" "$TMP/bigswap2.eml"
expect_exit 0
expect_json '.signatures[0].state' valid
tail -c "$(wc -c <"$TMP/big.txt")" "$TMP/bigswap.out" | cmp -s - "$TMP/big.txt" ||
	fail "readable content differs from what was signed"

end_tests
