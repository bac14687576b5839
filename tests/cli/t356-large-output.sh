#!/bin/sh
# SPDX-License-Identifier: MIT
# Large outputs go through io.c's writer thread (past 2 MiB): a 9 MiB
# message encrypted (CBC and GCM) to a file, to -o and through a pipe opens
# to the same bytes each way, and its decryption is the same to a file, to
# -o, through a pipe and appended to a file (open -o - holds the message
# in the library: a temporary with no name written on the thread, copied
# by the commit with copy_file_range, sendfile, or by reading it where
# both refuse).  A failed write gives the exit code and the
# one-line message it gave before the thread: /dev/full (ENOSPC, at the
# first write), a file size limit reached at 3 MiB (EFBIG, on the thread;
# also by decryption's private plaintext file),
# a pipe whose reader left (killed by SIGPIPE, or EPIPE when SIGPIPE is
# ignored; for open -o - too, from memory and from the temporary); -o
# never leaves a partial file; open -o - of a GCM message whose tag fails
# past 1 MiB writes nothing and leaves no file.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob

setup_pair

{
	printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n'
	printf 'Subject: large\r\nDate: Sun, 29 Nov 2026 01:00:00 +0000\r\n'
	printf 'Message-ID: <t356@example.org>\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: text/plain\r\n\r\n'
} >"$TMP/msg"
head -c 7077888 /dev/urandom | base64 -w 76 | sed 's/$/\r/' >"$TMP/body"
cat "$TMP/body" >>"$TMP/msg"
blen=$(wc -c <"$TMP/body")

# opened FILE NAME: bob opens FILE to $TMP/NAME.dec, which must end with
# the message's body
opened() {
	"$SEALMAIL" --home "$HB" open -o "$TMP/$2.dec" "$1" >/dev/null 2>&1
	_rc=$?
	[ "$_rc" -le 1 ] || fail "$2: open exit $_rc"
	tail -c "$blen" "$TMP/$2.dec" | cmp -s - "$TMP/body" ||
		fail "$2: the decrypted body differs"
}

for cipher in aes-256-cbc aes-256-gcm; do
	begin_test "$cipher: encrypted to a file, to -o and to a pipe, opens to the same message"
	enc="protect --encrypt --no-sign --yes --cipher $cipher"
	"$SEALMAIL" --home "$HA" $enc "$TMP/msg" >"$TMP/file" 2>/dev/null ||
		fail "to a file"
	"$SEALMAIL" --home "$HA" $enc -o "$TMP/path" "$TMP/msg" 2>/dev/null ||
		fail "to -o"
	rm -f "$TMP/.failed"
	{ "$SEALMAIL" --home "$HA" $enc "$TMP/msg" ||
		echo failed >"$TMP/.failed"; } 2>/dev/null | cat >"$TMP/pipe"
	[ ! -e "$TMP/.failed" ] || fail "to a pipe"
	[ "$(wc -c <"$TMP/file")" -gt 6000000 ] || fail "output too short"
	for o in file path pipe; do
		opened "$TMP/$o" "$o"
	done
	expect_same_file "$TMP/file.dec" "$TMP/path.dec"
	expect_same_file "$TMP/file.dec" "$TMP/pipe.dec"

	begin_test "$cipher: decrypted to a file, to -o and to a pipe, the same bytes"
	"$SEALMAIL" --home "$HB" open -o - "$TMP/file" >"$TMP/o-file" 2>/dev/null
	[ $? -le 1 ] || fail "open to a file"
	rm -f "$TMP/.failed"
	{ "$SEALMAIL" --home "$HB" open -o - "$TMP/file" ||
		[ $? -le 1 ] || echo failed >"$TMP/.failed"; } 2>/dev/null |
		cat >"$TMP/o-pipe"
	[ ! -e "$TMP/.failed" ] || fail "open to a pipe"
	# appended: the kernel copy (sendfile) refuses, the loop copies
	printf 'kept\n' >"$TMP/o-append"
	"$SEALMAIL" --home "$HB" open -o - "$TMP/file" >>"$TMP/o-append" 2>/dev/null
	[ $? -le 1 ] || fail "open appended to a file"
	expect_same_file "$TMP/o-file" "$TMP/file.dec"
	expect_same_file "$TMP/o-pipe" "$TMP/file.dec"
	{ printf 'kept\n'; cat "$TMP/file.dec"; } | cmp -s - "$TMP/o-append" ||
		fail "appended copy differs"
done

begin_test "encrypted to standard output on /dev/full: exit 74, ENOSPC named"
run_stdin /dev/null sh -c "exec \"$SEALMAIL\" --home \"$HA\" protect --encrypt --no-sign --yes \"$TMP/msg\" >/dev/full"
expect_exit 74
expect_err "sealmail: output: No space left on device"

begin_test "encrypted with -o /dev/full: exit 74, the path named"
run sealmail --home "$HA" protect --encrypt --no-sign --yes -o /dev/full "$TMP/msg"
expect_exit 74
expect_err "sealmail: /dev/full: No space left on device"

# signing says why the output failed too, not what it was writing
for op in "--sign --opaque" "--sign --clear" "--sign --encrypt --yes"; do
	begin_test "protect $op to /dev/full: exit 74, ENOSPC named"
	run_stdin /dev/null sh -c "exec \"\$0\" \"\$@\" >/dev/full" \
		"$SEALMAIL" --home "$HA" protect $op "$TMP/msg"
	expect_exit 74
	expect_err "sealmail: output: No space left on device"
done

# open says why its -o output failed too (it said "cannot write the CMS
# content" for opaque content decoded again as it is written)
"$SEALMAIL" --home "$HA" protect --sign --opaque "$TMP/msg" \
	>"$TMP/opaque.eml" 2>/dev/null || fail "opaque sign"
begin_test "open -o /dev/full of large opaque content: exit 74, ENOSPC named"
run sealmail --home "$HB" open -o /dev/full "$TMP/opaque.eml"
expect_exit 74
expect_err "sealmail: /dev/full: No space left on device"

mkdir "$TMP/lim"
# limited OUT ARGS...: alice's protect ARGS... of the message, standard
# output to OUT, with files limited to 3 MiB (SIGXFSZ ignored: EFBIG)
limited() {
	_o=$1
	shift
	run_stdin /dev/null sh -c "trap '' XFSZ; ulimit -f 6144; exec \"\$0\" \"\$@\" >$_o" \
		"$SEALMAIL" --home "$HA" protect "$@" "$TMP/msg"
}

for op in "--encrypt --no-sign --yes" "--sign --opaque"; do
	begin_test "protect $op: the file size limit reached on the thread, exit 74"
	limited "$TMP/lim/out" $op
	expect_exit 74
	expect_err "sealmail: output: File too large"
	[ "$(wc -c <"$TMP/lim/out")" -eq 3145728 ] || fail "not cut at the limit"
	rm -f "$TMP/lim/out"

	begin_test "protect $op -o: the limit reached, nothing left in the folder"
	limited /dev/null $op -o "$TMP/lim/p"
	expect_exit 74
	expect_err "sealmail: $TMP/lim/p: File too large"
	[ "$(ls -A "$TMP/lim")" = "" ] || fail "left: $(ls -A "$TMP/lim")"
done

# signed inside: the walk reads the content, which so goes to the private
# file also for -o /dev/null (a leaf is written straight there: t405)
begin_test "decryption's private file reaches the size limit on the thread: exit 74, folder removed"
"$SEALMAIL" --home "$HA" protect --encrypt --sign --yes "$TMP/msg" \
	>"$TMP/enc" 2>/dev/null || fail "encrypt"
mkdir "$TMP/tmpdir"
run_stdin /dev/null env TMPDIR="$TMP/tmpdir" sh -c \
	"trap '' XFSZ; ulimit -f 6144; exec \"\$0\" \"\$@\"" \
	"$SEALMAIL" --home "$HB" open -o /dev/null "$TMP/enc"
expect_exit 74
expect_err_contains "sealmail: cannot write decrypted content: File too large"
[ "$(ls -A "$TMP/tmpdir")" = "" ] || fail "left: $(ls -A "$TMP/tmpdir")"

begin_test "a pipe whose reader left: killed by SIGPIPE, as from one thread"
{ "$SEALMAIL" --home "$HA" protect --encrypt --no-sign --yes "$TMP/msg" \
	2>"$TMP/.err"; echo $? >"$TMP/.rc"; } | head -c 10 >/dev/null
rc=$(cat "$TMP/.rc")
errout=$(cat "$TMP/.err")
expect_exit 141
expect_err ""

begin_test "a pipe whose reader left, SIGPIPE ignored: exit 74, EPIPE named"
(
	trap '' PIPE
	{ "$SEALMAIL" --home "$HA" protect --encrypt --no-sign --yes \
		"$TMP/msg" 2>"$TMP/.err"; echo $? >"$TMP/.rc"; } |
		head -c 10 >/dev/null
)
rc=$(cat "$TMP/.rc")
errout=$(cat "$TMP/.err")
expect_exit 74
expect_err "sealmail: output: Broken pipe"

# open -o -: the message held in the library (memory, then a temporary that
# has no name) until the checks are done
begin_test "open -o - of a GCM message whose content changed past 1 MiB: nothing on stdout, no file left"
"$SEALMAIL" --home "$HA" protect --encrypt --no-sign --yes --cipher aes-256-gcm \
	"$TMP/msg" >"$TMP/gcm" 2>/dev/null || fail "encrypt"
perl -0777 -pe '$i = int(length($_) * 3 / 4); $i++ while substr($_, $i, 1) !~ /[A-Za-z0-9]/;
	substr($_, $i, 1) = substr($_, $i, 1) eq "A" ? "B" : "A"' "$TMP/gcm" >"$TMP/gcm-bad"
cmp -s "$TMP/gcm" "$TMP/gcm-bad" && fail "no byte was changed"
mkdir "$TMP/held"
run env TMPDIR="$TMP/held" "$SEALMAIL" --home "$HB" open -o - "$TMP/gcm-bad"
expect_exit 2
expect_out ""
expect_err_contains "its AES-GCM authentication tag does not match"
[ "$(ls -A "$TMP/held")" = "" ] || fail "left: $(ls -A "$TMP/held")"
"$SEALMAIL" --home "$HB" open -o - "$TMP/gcm-bad" 2>/dev/null | cat >"$TMP/gcm-pipe"
[ -s "$TMP/gcm-pipe" ] && fail "bytes in the pipe"
run env TMPDIR="$TMP/held" "$SEALMAIL" --home "$HB" open -o - "$TMP/gcm"
expect_exit 0
[ "$(ls -A "$TMP/held")" = "" ] || fail "left: $(ls -A "$TMP/held")"

begin_test "open -o - into a pipe whose reader left: killed by SIGPIPE, nothing on stderr"
{ "$SEALMAIL" --home "$HB" open -o - "$TMP/gcm" 2>"$TMP/.err"
	echo $? >"$TMP/.rc"; } | head -c 10 >/dev/null
rc=$(cat "$TMP/.rc")
errout=$(cat "$TMP/.err")
expect_exit 141
expect_err ""

begin_test "open -o - into a pipe whose reader left, SIGPIPE ignored: exit 74, EPIPE named"
for m in gcm opaque.eml; do
	(
		trap '' PIPE
		{ "$SEALMAIL" --home "$HB" open -o - "$TMP/$m" 2>"$TMP/.err"
			echo $? >"$TMP/.rc"; } | head -c 10 >/dev/null
	)
	rc=$(cat "$TMP/.rc")
	errout=$(cat "$TMP/.err")
	expect_exit 74
	expect_err "sealmail: standard output: Broken pipe"
done

begin_test "open -o - of a small message, SIGPIPE ignored, reader gone: exit 74 (from memory)"
printf 'From: a@example.org\r\nSubject: s\r\n\r\nhello\r\n' >"$TMP/small"
(
	trap '' PIPE
	{ sleep 0.2; "$SEALMAIL" --home "$HB" open -o - "$TMP/small" 2>"$TMP/.err"
		echo $? >"$TMP/.rc"; } | true
)
rc=$(cat "$TMP/.rc")
errout=$(cat "$TMP/.err")
expect_exit 74
expect_err "sealmail: standard output: Broken pipe"

begin_test "open -o - with a TMPDIR that does not exist: exit 74, the folder named, nothing on stdout"
run env TMPDIR="$TMP/none" "$SEALMAIL" --home "$HB" open -o - "$TMP/opaque.eml"
expect_exit 74
expect_out ""
expect_err "sealmail: cannot create a temporary file in $TMP/none: No such file or directory"

end_tests
