#!/bin/sh
# SPDX-License-Identifier: MIT
# A message file that another program writes while sealmail reads it: open
# gives no verdict and protect no message (exit 74, "FILE changed while it
# was being read", no -o output); list shows that message with the reason and goes on with the
# others, with one worker and with two.  (Files over 1 MiB are read in
# place and checked; smaller ones are copied into memory first.)  The writes are simulated by a test
# module preloaded into sealmail ($SM_TEST_PRELOAD, tests/cli/preload/):
# each fstat of a file whose path contains $SM_TEST_MOVES reports a later
# modification time, exactly what a write does.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob
setup_pair

MD=$TMP/Maildir
mkdir -p "$MD/cur" "$MD/new" "$MD/tmp"
# Over 1 MiB: a file that large is read where it is, and checked.
awk 'BEGIN { for (i = 0; i < 20000; i++)
	printf "line %05d of a long text, long enough for the test.......\n", i }' \
	>"$TMP/body"
for n in 1.first 2.changing 3.last; do
	{
		printf 'From: alice@example.org\nTo: bob@example.org\nSubject: %s\n' "$n"
		printf 'Date: Sun, 29 Nov 2026 10:00:00 +0000\n\n'
		cat "$TMP/body"
	} >"$TMP/msg"
	setup "$HA" protect --sign -o "$MD/cur/$n:2,S" "$TMP/msg"
done
[ "$(wc -c <"$MD/cur/2.changing:2,S")" -gt 1048576 ] || { echo "message too small"; exit 1; }
# The sanitizer runtime must otherwise come first in the library list.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
moving() { # ARGS...: sealmail ARGS with the preloaded module
	run env LD_PRELOAD="$SM_TEST_PRELOAD" SM_TEST_MOVES=changing \
		"$SEALMAIL" --home "$HB" "$@"
}

begin_test "the module is there and changes nothing for other files"
[ -f "$SM_TEST_PRELOAD" ] || fail "no test module: $SM_TEST_PRELOAD"
moving open "$MD/cur/1.first:2,S"
expect_exit 0
expect_out_contains "Subject: 1.first"

begin_test "open of a file written while read: no verdict, exit 74"
moving open -o "$TMP/readable" "$MD/cur/2.changing:2,S"
expect_exit 74
expect_out ""
expect_err "sealmail: $MD/cur/2.changing:2,S changed while it was being read"
[ ! -e "$TMP/readable" ] || fail "-o output written"

begin_test "without the module the same message is good"
run sealmail --home "$HB" open --json "$MD/cur/2.changing:2,S"
expect_exit 0
expect_json '.verdict' good

begin_test "protect of a file written while read: exit 74, no -o output"
cp "$MD/cur/3.last:2,S" "$TMP/draft-changing.eml"
run env LD_PRELOAD="$SM_TEST_PRELOAD" SM_TEST_MOVES=changing \
	"$SEALMAIL" --home "$HA" protect --sign -o "$TMP/out.eml" "$TMP/draft-changing.eml"
expect_exit 74
expect_err "sealmail: $TMP/draft-changing.eml changed while it was being read"
[ ! -e "$TMP/out.eml" ] || fail "-o output written"
run env LD_PRELOAD="$SM_TEST_PRELOAD" SM_TEST_MOVES=changing \
	"$SEALMAIL" --home "$HA" protect --encrypt --no-sign -o "$TMP/out.eml" "$TMP/draft-changing.eml"
expect_exit 74
[ ! -e "$TMP/out.eml" ] || fail "-o output written (encrypt)"
run env LD_PRELOAD="$SM_TEST_PRELOAD" SM_TEST_MOVES=changing \
	"$SEALMAIL" --home "$HA" protect --sign -o "$TMP/out.eml" "$MD/cur/1.first:2,S"
expect_exit 0
[ -s "$TMP/out.eml" ] || fail "another file's protect wrote nothing"

# SM_TEST_MOVES_AT=end: the file's times move only once a mapping of it
# reached its end, so only the check after the last byte sees it.  (A
# signed message given to protect is read by GMime's stream up to its last
# part, which this module cannot tell from a read in the middle.)
at_end() { # HOME ARGS...: sealmail ARGS, the file changing after its end
	_h=$1
	shift
	run env LD_PRELOAD="$SM_TEST_PRELOAD" SM_TEST_MOVES=changing \
		SM_TEST_MOVES_AT=end "$SEALMAIL" --home "$_h" "$@"
}
{
	printf 'From: alice@example.org\nTo: bob@example.org\nSubject: t\n\n'
	cat "$TMP/body"
} >"$TMP/plain-changing.eml" # over 1 MiB: read in place
begin_test "protect: a write after the last byte was read"
rm -f "$TMP/out.eml"
at_end "$HA" protect --sign -o "$TMP/out.eml" "$TMP/plain-changing.eml"
expect_exit 74
expect_err "sealmail: $TMP/plain-changing.eml changed while it was being read"
[ ! -e "$TMP/out.eml" ] || fail "-o output written"
at_end "$HA" protect --encrypt --no-sign -o "$TMP/out.eml" "$TMP/plain-changing.eml"
expect_exit 74
[ ! -e "$TMP/out.eml" ] || fail "-o output written (encrypt)"

begin_test "open: a write after the last byte was read"
at_end "$HB" open -o "$TMP/readable" "$MD/cur/2.changing:2,S"
expect_exit 74
expect_err "sealmail: $MD/cur/2.changing:2,S changed while it was being read"
[ ! -e "$TMP/readable" ] || fail "-o output written (open)"

for w in 1 2; do
	begin_test "list --workers $w shows it with the reason and goes on"
	moving list --workers "$w" "$MD"
	expect_exit 0
	expect_err ""
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "not 3 lines"
	expect_out_contains "cur/1.first:2,S  2026-11-29 10:00  alice@example.org  1.first  [signed"
	expect_out_contains "cur/2.changing:2,S  (cannot be read: $MD/cur/2.changing:2,S changed while it was being read)"
	expect_out_contains "cur/3.last:2,S  2026-11-29 10:00  alice@example.org  3.last  [signed"

	begin_test "list --workers $w --json: an error object for it"
	moving list --json --workers "$w" "$MD"
	expect_exit 0
	expect_json '.messages | map(.verdict // .error) | join(",")' \
		"good,$MD/cur/2.changing:2,S changed while it was being read,good"
done

end_tests
