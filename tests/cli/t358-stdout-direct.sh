#!/bin/sh
# SPDX-License-Identifier: MIT
# protect to standard output redirected to a file: past 2 MiB its writer
# thread writes the file's whole blocks directly (O_DIRECT through a second
# descriptor, io.c, sealmail_output_set_direct) where that is safe.  What
# the shell writes to the same standard output before and after lands
# around the message, whatever the offset it started at, as from one
# descriptor: `{ ...; protect; echo more; } >f`, `exec >f` (the shell's
# descriptor keeps its flags: its unaligned `echo` after us still works),
# `>f 2>&1` and `>>f` (written the usual way), a file opened read-write in
# the middle of older bytes (`1<>f`: overwritten in place, the rest kept).
# Each message found there is the one a pipe gets, and opens.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob

setup_pair

{
	printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n'
	printf 'Subject: direct\r\nDate: Sun, 29 Nov 2026 01:00:00 +0000\r\n'
	printf 'Message-ID: <t357@example.org>\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: text/plain\r\n\r\n'
} >"$TMP/msg"
head -c 4000000 /dev/urandom | base64 -w 76 | sed 's/$/\r/' >"$TMP/body"
cat "$TMP/body" >>"$TMP/msg"
blen=$(wc -c <"$TMP/body")

# protect OP...: alice's protect of the message to standard output
protect() {
	"$SEALMAIL" --home "$HA" protect "$@" "$TMP/msg" 2>/dev/null
}

# holds FILE HEAD LEN TAIL: FILE is the string HEAD, LEN bytes of a
# message that bob opens to the message's body, then the string TAIL
holds() {
	printf '%s' "$2" >"$TMP/.head"
	_h=$(wc -c <"$TMP/.head")
	head -c "$_h" "$1" | cmp -s - "$TMP/.head" || fail "$1: the head differs"
	tail -c +$((_h + 1)) "$1" | head -c "$3" >"$TMP/.mid"
	tail -c +$((_h + $3 + 1)) "$1" >"$TMP/.tail"
	printf '%s' "$4" | cmp -s - "$TMP/.tail" || fail "$1: the tail differs"
	"$SEALMAIL" --home "$HB" open -o "$TMP/.dec" "$TMP/.mid" >/dev/null 2>&1
	[ $? -le 1 ] || fail "$1: the message does not open"
	tail -c "$blen" "$TMP/.dec" | cmp -s - "$TMP/body" ||
		fail "$1: the opened body differs"
}

for op in "--sign --opaque" "--encrypt --no-sign --yes --cipher aes-256-gcm"; do
	protect $op | cat >"$TMP/pipe" || fail "$op to a pipe"
	len=$(wc -c <"$TMP/pipe")
	[ "$len" -gt 5000000 ] || fail "output too short: $len"

	begin_test "protect $op: { protect; echo more; } >f"
	{ protect $op; echo more; } >"$TMP/f1" || fail "protect"
	holds "$TMP/f1" "" "$len" "more
"

	begin_test "protect $op: after 5 bytes of the shell's, more after it"
	{ printf 'kept\n'; protect $op; echo more; } >"$TMP/f2" || fail "protect"
	holds "$TMP/f2" "kept
" "$len" "more
"

	begin_test "protect $op: exec >f, the shell writes after it"
	sh -c 'exec >"$1"; shift; printf "abc"; "$@" 2>/dev/null || exit 9
		printf "x" && echo more' sh "$TMP/f3" \
		"$SEALMAIL" --home "$HA" protect $op "$TMP/msg" ||
		fail "exit $?"
	holds "$TMP/f3" "abc" "$len" "xmore
"

	begin_test "protect $op: >f 2>&1, standard error the same file"
	{ protect $op; echo more; } >"$TMP/f4" 2>&1 || fail "protect"
	holds "$TMP/f4" "" "$len" "more
"

	begin_test "protect $op: >>f, appended"
	printf 'kept\n' >"$TMP/f5"
	{ protect $op; echo more; } >>"$TMP/f5" || fail "protect"
	holds "$TMP/f5" "kept
" "$len" "more
"

	begin_test "protect $op: 1<>f, overwritten in place from offset 3"
	head -c $((len + 100000)) /dev/zero | tr '\0' 'z' >"$TMP/f6"
	{ printf 'abc'; protect $op; } 1<>"$TMP/f6" || fail "protect"
	[ "$(wc -c <"$TMP/f6")" -eq $((len + 100000)) ] ||
		fail "the file's size changed"
	holds "$TMP/f6" "abc" "$len" \
		"$(head -c $((100000 - 3)) /dev/zero | tr '\0' 'z')"
done

end_tests
