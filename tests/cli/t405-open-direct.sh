#!/bin/sh
# SPDX-License-Identifier: MIT
# A message that is itself encrypted, with a leaf inside longer than 1 MiB,
# opened to a held output (-o FILE, -o /dev/null, -o -: the library holds
# it) has its content written there as it is decrypted, not through the
# private plaintext file (issue 7): the readable message is the message's
# header, MIME-Version and the leaf, the same each way with the same report
# and exit code, and a missing $TMPDIR (where that file would go) changes
# nothing for -o FILE and -o /dev/null (-o - holds what is past 1 MiB
# there itself).  Content the walk reads (signed inside) and a header
# block longer than the first MiB keep the private file; content that
# does not decrypt (a GCM tag flipped, CBC padding broken) after the
# first MiB went out is exit 2 with nothing committed, as before.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob
BOB=$PKI/bob@example.org.crt

setup_pair

headers() {
	printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n'
	printf 'Subject: direct\r\nDate: Sun, 29 Nov 2026 01:00:00 +0000\r\n'
	printf 'Message-ID: <t405@example.org>\r\nMIME-Version: 1.0\r\n'
}
{
	headers
	printf 'Content-Type: text/plain\r\n\r\n'
} >"$TMP/msg"
# 2.5 MiB of base64 lines: the first MiB ends inside the body
head -c 1966080 /dev/urandom | base64 -w 76 | sed 's/$/\r/' >"$TMP/body"
cat "$TMP/body" >>"$TMP/msg"
mkdir "$TMP/tmpdir"

# opens NAME MSG: bob opens MSG with -o FILE, -o /dev/null and -o -, each
# with $TMPDIR empty (checked empty after) and missing; sets o_rc, n_rc,
# s_rc (exit codes) and $TMP/NAME.{file,null,stdout}[.nodir] (report for
# null, readable message then report for the others)
opens() {
	for _d in "$TMP/tmpdir" "$TMP/no-such-dir"; do
		_x= _v=
		[ "$_d" = "$TMP/tmpdir" ] || _x=.nodir _v=_nodir
		rm -f "$TMP/$1.out$_x"
		TMPDIR=$_d "$SEALMAIL" --home "$HB" open -o "$TMP/$1.out$_x" \
			"$2" >"$TMP/$1.file$_x" 2>"$TMP/$1.file-err$_x"
		eval "o_rc$_v=\$?"
		TMPDIR=$_d "$SEALMAIL" --home "$HB" open -o /dev/null "$2" \
			>"$TMP/$1.null$_x" 2>"$TMP/$1.null-err$_x"
		eval "n_rc$_v=\$?"
		TMPDIR=$_d "$SEALMAIL" --home "$HB" open -o - "$2" \
			>"$TMP/$1.stdout$_x" 2>"$TMP/$1.report$_x"
		eval "s_rc$_v=\$?"
		[ -z "$(ls -A "$TMP/tmpdir")" ] ||
			fail "$1: something was left in \$TMPDIR"
	done
}

# same NAME: -o FILE, -o /dev/null and -o - agree with $TMPDIR there
same() {
	[ "$o_rc" -eq "$s_rc" ] || fail "$1: -o FILE exit $o_rc, -o - $s_rc"
	[ "$n_rc" -eq "$s_rc" ] || fail "$1: -o /dev/null exit $n_rc, -o - $s_rc"
	expect_same_file "$TMP/$1.file" "$TMP/$1.report"
	expect_same_file "$TMP/$1.null" "$TMP/$1.report"
}

# readable NAME: the -o FILE message is the -o - one, and ends with the body
readable() {
	expect_same_file "$TMP/$1.out" "$TMP/$1.stdout"
	tail -c "$(wc -c <"$TMP/body")" "$TMP/$1.out" | cmp -s - "$TMP/body" ||
		fail "$1: the readable message does not end with the body"
}

for cipher in aes-256-cbc aes-256-gcm; do
	want=0 # authenticated, else a warning: not integrity-protected
	[ "$cipher" = aes-256-gcm ] || want=1
	begin_test "$cipher: a leaf decrypted straight to -o FILE and /dev/null, as -o - writes it; no private file"
	"$SEALMAIL" --home "$HA" protect --encrypt --no-sign --yes \
		--cipher "$cipher" -o "$TMP/$cipher.eml" "$TMP/msg" 2>/dev/null ||
		fail "protect"
	opens "$cipher" "$TMP/$cipher.eml"
	same "$cipher"
	[ "$o_rc" -eq "$want" ] || fail "exit $o_rc, expected $want"
	readable "$cipher"
	{
		headers | grep -v '^MIME-Version'
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n'
		cat "$TMP/body"
	} | cmp -s - "$TMP/$cipher.out" || fail "not the readable message"
	# no private file: a missing $TMPDIR changes nothing
	[ "$o_rc_nodir" -eq "$want" ] ||
		fail "-o FILE, no TMPDIR: exit $o_rc_nodir"
	[ "$n_rc_nodir" -eq "$want" ] ||
		fail "-o /dev/null, no TMPDIR: exit $n_rc_nodir"
	expect_same_file "$TMP/$cipher.out.nodir" "$TMP/$cipher.out"
	expect_same_file "$TMP/$cipher.file.nodir" "$TMP/$cipher.file"
	expect_same_file "$TMP/$cipher.null.nodir" "$TMP/$cipher.null"
done

begin_test "signed inside the encryption: the private file as before, the same message each way"
"$SEALMAIL" --home "$HA" protect --encrypt --sign --yes \
	-o "$TMP/signed.eml" "$TMP/msg" 2>/dev/null || fail "protect"
opens signed "$TMP/signed.eml"
same signed
[ "$o_rc" -eq 0 ] || fail "exit $o_rc, expected 0"
readable signed
for o in o n s; do
	eval "_rc=\$${o}_rc_nodir"
	[ "$_rc" -eq 74 ] || fail "$o, no TMPDIR: exit $_rc, expected 74"
done
[ ! -e "$TMP/signed.out.nodir" ] || fail "a failed open wrote its -o file"

# crafted NAME INNER [FLIP]: INNER encrypted by openssl (AES-256-GCM, or
# CBC for a name starting with cbc) to DER, the byte FLIP bytes from its
# end flipped, as a message in $TMP/NAME.eml
crafted() {
	_c=-aes-256-gcm _t=authEnveloped-data
	case $1 in cbc*) _c=-aes-256-cbc _t=enveloped-data ;; esac
	openssl cms -encrypt -binary "$_c" -outform DER -in "$2" \
		-out "$TMP/$1.der" "$BOB" || fail "openssl cms -encrypt"
	if [ -n "${3-}" ]; then
		perl -e 'local $/; open F, "<", $ARGV[0] or die; binmode F;
			$d = <F>; $i = length($d) - $ARGV[1];
			substr($d, $i, 1) = chr(ord(substr($d, $i, 1)) ^ 1);
			open O, ">", $ARGV[0] or die; binmode O; print O $d' \
			"$TMP/$1.der" "$3" || fail "perl"
	fi
	{
		headers
		printf 'Content-Type: application/pkcs7-mime; smime-type=%s; name=smime.p7m\r\n' "$_t"
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		base64 -w 76 "$TMP/$1.der" | sed 's/$/\r/'
	} >"$TMP/$1.eml"
}

# the leaf again, 16-byte aligned (CBC padding is then a whole block of 16)
{
	printf 'Content-Type: text/plain\r\n\r\n'
	head -c 2621412 "$TMP/body"
} >"$TMP/leaf"
[ $(($(wc -c <"$TMP/leaf") % 16)) -eq 0 ] || fail "leaf not aligned"

begin_test "openssl's GCM message: decrypted straight out, as -o - writes it"
crafted gcm "$TMP/leaf"
opens gcm "$TMP/gcm.eml"
same gcm
[ "$o_rc" -eq 0 ] || fail "exit $o_rc, expected 0"
expect_same_file "$TMP/gcm.out" "$TMP/gcm.stdout"
{
	headers | grep -v '^MIME-Version'
	printf 'MIME-Version: 1.0\r\n'
	cat "$TMP/leaf"
} | cmp -s - "$TMP/gcm.out" || fail "not the readable message"
[ "$o_rc_nodir" -eq 0 ] || fail "-o FILE, no TMPDIR: exit $o_rc_nodir"
expect_same_file "$TMP/gcm.out.nodir" "$TMP/gcm.out"

# undecrypted NAME CODE: exit 2 each way, the finding CODE, nothing
# committed by -o FILE nor written to standard output, $TMPDIR or not
undecrypted() {
	opens "$1" "$TMP/$1.eml"
	same "$1"
	[ "$o_rc" -eq 2 ] || fail "$1: exit $o_rc, expected 2"
	grep -q "^danger: " "$TMP/$1.file" || fail "$1: no danger finding"
	"$SEALMAIL" --home "$HB" --json open -o "$TMP/$1.json.out" \
		"$TMP/$1.eml" >"$TMP/$1.json" 2>/dev/null
	out=$(cat "$TMP/$1.json")
	expect_json '[.findings[].code] | join(",")' "$2"
	for x in "" .nodir; do
		[ ! -e "$TMP/$1.out$x" ] || fail "$1: -o FILE$x written"
		[ ! -s "$TMP/$1.stdout$x" ] || fail "$1: -o -$x wrote"
	done
	[ ! -e "$TMP/$1.json.out" ] || fail "$1: --json -o FILE written"
	[ "$o_rc_nodir" -eq 2 ] || fail "$1: -o FILE, no TMPDIR: exit $o_rc_nodir"
	[ "$n_rc_nodir" -eq 2 ] || fail "$1: /dev/null, no TMPDIR: exit $n_rc_nodir"
	expect_same_file "$TMP/$1.file.nodir" "$TMP/$1.file"
}

begin_test "a GCM tag flipped: written early, forgotten: exit 2, nothing committed, as before"
crafted gcm-tag "$TMP/leaf" 1
undecrypted gcm-tag tag-mismatch

begin_test "CBC padding broken in the last block: written early, forgotten, as before"
crafted cbc-pad "$TMP/leaf" 17
undecrypted cbc-pad decrypt-failed

# padded N: a text/plain leaf whose header block has N X-Pad lines of 64
# bytes before the body
padded() {
	printf 'Content-Type: text/plain\r\n'
	i=0
	while [ $i -lt "$1" ]; do
		printf 'X-Pad-%05d: the eagle lands at noon, the eagle lands at noon\r\n' $i
		i=$((i + 1))
	done
	printf '\r\n'
	cat "$TMP/body"
}

begin_test "a header block of most of the first MiB: the same message each way"
padded 16000 >"$TMP/padded"
crafted padded "$TMP/padded"
opens padded "$TMP/padded.eml"
same padded
[ "$o_rc" -eq 0 ] || fail "exit $o_rc, expected 0"
expect_same_file "$TMP/padded.out" "$TMP/padded.stdout"
tail -c "$(wc -c <"$TMP/body")" "$TMP/padded.out" | cmp -s - "$TMP/body" ||
	fail "the readable message does not end with the body"

begin_test "a header block longer than the first MiB: the private file and its refusal, as before"
padded 20000 >"$TMP/longhead"
[ "$(sed '/^\r$/q' "$TMP/longhead" | wc -c)" -gt 1048576 ] ||
	fail "header block not longer than 1 MiB"
crafted longhead "$TMP/longhead"
opens longhead "$TMP/longhead.eml"
for o in o n s; do
	eval "_rc=\$${o}_rc"
	[ "$_rc" -eq 65 ] || fail "$o: exit $_rc, expected 65"
	eval "_rc=\$${o}_rc_nodir"
	[ "$_rc" -eq 74 ] || fail "$o, no TMPDIR: exit $_rc, expected 74"
done
for f in file-err null-err report; do
	[ "$(cat "$TMP/longhead.$f")" = "sealmail: a header block is larger than 1 MiB" ] ||
		fail "$f: $(cat "$TMP/longhead.$f")"
	grep -q "cannot create a private folder in $TMP/no-such-dir" \
		"$TMP/longhead.$f.nodir" || fail "$f, no TMPDIR: message"
done
[ ! -e "$TMP/longhead.out" ] || fail "a failed open wrote its -o file"

end_tests
