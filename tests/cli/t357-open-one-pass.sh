#!/bin/sh
# SPDX-License-Identifier: MIT
# open writes the readable message of large opaque signed-data while it
# reads and hashes it (one pass) when nothing written to the output reaches
# anyone before it is committed: -o FILE (a temporary until the rename),
# -o /dev/null and -o - (a held output: memory, then an unlinked temporary,
# copied to standard output by the commit).  All give the same bytes and
# the same report: plain (base64 and binary), bad signature,
# opaque inside opaque, signed inside encrypted, a signer digest that makes
# open read the content again whole (what one pass wrote is taken back), a
# structure damaged after its content (the message as it is), a file
# written while read (exit 74, no file), and an output that fails (its
# reason, no file).
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob
PASS=$TMP/pass
printf 'correct horse\n' >"$PASS"
setup_pair

# about 2.9 MB of signed text: a leaf part, over the 1 MiB kept
{
	printf 'Content-Type: text/plain\r\n\r\n'
	head -c 2150000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
} >"$TMP/big.txt"
HEAD='From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n'

# sign IN DER: opaque signed-data by Alice of IN
sign() {
	openssl cms -sign -binary -nodetach -in "$1" \
		-signer "$PKI/alice@example.org.crt" \
		-inkey "$PKI/alice@example.org.key" -passin "file:$PASS" \
		-outform DER -out "$2" || fail "openssl cms -sign"
}
# wrap DER EML: the DER as a base64 application/pkcs7-mime message
wrap() {
	{
		printf "$HEAD"
		printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		openssl base64 -in "$1" | sed 's/$/\r/'
	} >"$2"
}
# readable TEXT OUT: the readable message of a message signing TEXT
readable() {
	{ printf "$HEAD"; cat "$1"; } >"$2"
}

# each_way NAME EML [EXIT]: bob opens EML with -o FILE, -o /dev/null,
# -o - and without -o: each exits EXIT (0), with the same JSON report;
# $TMP/NAME.file and $TMP/NAME.std hold the -o FILE and -o - messages,
# which must be the same bytes.
each_way() {
	_want=${3:-0}
	rm -f "$TMP/$1.file"
	run sealmail --home "$HB" --passphrase-file "$PASS" --json open -o "$TMP/$1.file" "$2"
	expect_exit "$_want"
	_report=$out
	run sealmail --home "$HB" --passphrase-file "$PASS" --json open -o /dev/null "$2"
	expect_exit "$_want"
	[ "$out" = "$_report" ] || fail "-o /dev/null: another report"
	run sealmail --home "$HB" --passphrase-file "$PASS" --json open "$2"
	expect_exit "$_want"
	[ "$out" = "$_report" ] || fail "no -o: another report"
	"$SEALMAIL" --home "$HB" --passphrase-file "$PASS" open -o - "$2" \
		>"$TMP/$1.std" 2>/dev/null
	[ $? -eq "$_want" ] || fail "-o -: another exit"
	expect_same_file "$TMP/$1.file" "$TMP/$1.std"
	out=$_report
}

sign "$TMP/big.txt" "$TMP/big.der"
wrap "$TMP/big.der" "$TMP/big.eml"
readable "$TMP/big.txt" "$TMP/big.want"
[ "$(wc -c <"$TMP/big.eml")" -gt 3000000 ] || { echo "setup: message too small"; exit 1; }

begin_test "valid: -o FILE, -o /dev/null, -o -: the same message and report"
each_way big "$TMP/big.eml"
expect_json '.signatures[0].state' valid
expect_json '.verdict' good
expect_same_file "$TMP/big.file" "$TMP/big.want"

begin_test "valid, a binary body: the same message each way"
{
	printf "$HEAD"
	printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n'
	printf 'Content-Transfer-Encoding: binary\r\n\r\n'
	cat "$TMP/big.der"
} >"$TMP/bin.eml"
each_way bin "$TMP/bin.eml"
expect_json '.signatures[0].state' valid
expect_same_file "$TMP/bin.file" "$TMP/big.want"

# The test module (tests/cli/preload/) moves the file's modification time
# once a mapping reached its end a second time: only a second read sees it.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
# moving AT ARGS...: bob's open ARGS with the module, times moving at AT
moving() {
	_at=$1
	shift
	run env LD_PRELOAD="$SM_TEST_PRELOAD" SM_TEST_MOVES=big SM_TEST_MOVES_AT="$_at" \
		"$SEALMAIL" --home "$HB" open "$@"
}

begin_test "-o FILE, -o /dev/null and -o - read the file once"
[ -f "$SM_TEST_PRELOAD" ] || fail "no test module: $SM_TEST_PRELOAD"
rm -f "$TMP/once.file"
moving again -o "$TMP/once.file" "$TMP/big.eml"
expect_exit 0
expect_same_file "$TMP/once.file" "$TMP/big.want"
moving again -o /dev/null "$TMP/big.eml"
expect_exit 0
moving again "$TMP/big.eml"
expect_exit 0
moving again -o - "$TMP/big.eml"
expect_exit 0
[ "$out" = "$(cat "$TMP/big.want")" ] || fail "-o -: another message"

begin_test "written while read: exit 74, no -o file, no temporary"
mkdir "$TMP/chg"
# (any SM_TEST_MOVES_AT but end and again: the times move at every fstat)
for at in every end; do
	moving "$at" -o "$TMP/chg/out" "$TMP/big.eml"
	expect_exit 74
	expect_out ""
	expect_err "sealmail: $TMP/big.eml changed while it was being read"
	[ "$(ls -A "$TMP/chg")" = "" ] || fail "$at: left: $(ls -A "$TMP/chg")"
	moving "$at" -o /dev/null "$TMP/big.eml"
	expect_exit 74
	expect_out ""
	moving "$at" -o - "$TMP/big.eml"
	expect_exit 74
	expect_out ""
	expect_err "sealmail: $TMP/big.eml changed while it was being read"
done

begin_test "bad signature (a byte changed past the first MiB): exit 2, the message written all the same"
perl -0777 -pe '$i = int(length($_) * 3 / 4); substr($_, $i, 1) = substr($_, $i, 1) eq "A" ? "B" : "A"' \
	"$TMP/big.der" >"$TMP/bad.der"
cmp -s "$TMP/big.der" "$TMP/bad.der" && fail "no byte was changed"
wrap "$TMP/bad.der" "$TMP/bad.eml"
each_way bad "$TMP/bad.eml" 2
expect_json '.signatures[0].state' altered
[ "$(wc -c <"$TMP/bad.file")" -eq "$(wc -c <"$TMP/big.want")" ] || fail "not the whole message"
cmp -s "$TMP/bad.file" "$TMP/big.want" && fail "the changed byte is not there"

begin_test "opaque inside opaque: the inner content, both signatures valid"
sign "$TMP/big.eml" "$TMP/outer.der"
wrap "$TMP/outer.der" "$TMP/outer.eml"
each_way outer "$TMP/outer.eml"
expect_json '[.signatures[].state] | join(",")' valid,valid
expect_same_file "$TMP/outer.file" "$TMP/big.want"

begin_test "signed inside encrypted: the signed content under the outer header"
openssl cms -encrypt -aes-256-gcm -from alice@example.org -subject big \
	-in "$TMP/big.eml" -out "$TMP/env.eml" "$PKI/bob@example.org.crt" ||
	fail "openssl cms -encrypt"
each_way env "$TMP/env.eml"
expect_json '.signatures[0].state' valid
expect_json '.encryption != null' true
tail -c "$(wc -c <"$TMP/big.txt")" "$TMP/env.file" | cmp -s - "$TMP/big.txt" ||
	fail "the readable content differs from what was signed"
head -c 200 "$TMP/env.file" | grep -q '^Subject: big' || fail "the outer header lost"

begin_test "a signer digest not in digestAlgorithms: read again whole, what was written taken back"
perl -0777 -pe 's/\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01/\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02/' \
	"$TMP/big.der" >"$TMP/swap.der"
cmp -s "$TMP/big.der" "$TMP/swap.der" && fail "the OID was not changed"
wrap "$TMP/swap.der" "$TMP/swap.eml"
each_way swap "$TMP/swap.eml"
expect_json '.signatures[0].state' valid
expect_same_file "$TMP/swap.file" "$TMP/big.want"

begin_test "damaged after its content: bad-signature, the message as it is"
head -c "$(($(wc -c <"$TMP/big.der") - 200))" "$TMP/big.der" >"$TMP/cut.der"
wrap "$TMP/cut.der" "$TMP/cut.eml"
each_way cut "$TMP/cut.eml" 2
expect_json '.findings[0].code' bad-signature
expect_json '.findings[0].text | startswith("the signed part 1 is damaged: CMS data truncated")' true
expect_same_file "$TMP/cut.file" "$TMP/cut.eml"

mkdir "$TMP/lim"
# limited BLOCKS: bob's open -o of the message, files limited to BLOCKS
# blocks of 512 bytes (SIGXFSZ ignored: EFBIG)
limited() {
	run_stdin /dev/null sh -c "trap '' XFSZ; ulimit -f $1; exec \"\$0\" \"\$@\"" \
		"$SEALMAIL" --home "$HB" open -o "$TMP/lim/p" "$TMP/big.eml"
}
# 1 MiB: written by open's thread; 2.5 MiB: by the output's writer thread
for blocks in 2048 5120; do
	begin_test "-o FILE reaches a file size limit of $blocks blocks: exit 74, its reason, nothing left"
	limited "$blocks"
	expect_exit 74
	expect_err "sealmail: $TMP/lim/p: File too large"
	[ "$(ls -A "$TMP/lim")" = "" ] || fail "left: $(ls -A "$TMP/lim")"
done

end_tests
