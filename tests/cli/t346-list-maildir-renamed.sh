#!/bin/sh
# SPDX-License-Identifier: MIT
# A Maildir message that a mail program renames while sealmail works with it
# (marked read: new/NAME to cur/NAME:2,S; flags changed) is found again by
# the unique part of its name: `open` of the name `list` gave still opens
# it, and `list --json` names it where it is now.  A gone message is "no
# such file" (exit 66), as before.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob
setup_pair

MD=$TMP/Maildir
mkdir -p "$MD/cur" "$MD/new" "$MD/tmp"
printf 'From: alice@example.org\nTo: bob@example.org\nSubject: renamed\nDate: Sun, 29 Nov 2026 10:00:00 +0000\n\nHello Bob.\n' >"$TMP/msg"
N=1764410000.M1P1.host
setup "$HA" protect --sign -o "$MD/new/$N" "$TMP/msg"

begin_test "list names the message in new/"
run sealmail --home "$HB" list --json "$MD"
expect_exit 0
expect_json '.messages | map(.id + " " + .verdict) | join(",")' "new/$N good"
name=$(printf '%s' "$out" | jq -r '.messages[0].name')
[ "$name" = "$MD/new/$N" ] || fail "name is $name"

begin_test "open of that name after the message was marked read"
mv "$MD/new/$N" "$MD/cur/$N:2,S"
run sealmail --home "$HB" open --json "$name"
expect_exit 0
expect_json '.verdict' good
expect_json '.subject' renamed

begin_test "open of either old name after its flags changed"
mv "$MD/cur/$N:2,S" "$MD/cur/$N:2,FS"
run sealmail --home "$HB" open "$MD/cur/$N:2,S"
expect_exit 0
expect_out_contains "verdict: "
run sealmail --home "$HB" open --json "$name"
expect_exit 0
expect_json '.verdict' good

begin_test "list names it where it is now"
run sealmail --home "$HB" list --json "$MD"
expect_exit 0
expect_json '.messages | map(.id + " " + .verdict) | join(",")' "cur/$N:2,FS good"

begin_test "a name that only starts the same is not the message"
run sealmail --home "$HB" open "$MD/new/1764410000.M1"
expect_exit 66
expect_err "sealmail: $MD/new/1764410000.M1: No such file or directory"

begin_test "a deleted message is gone"
rm "$MD/cur/$N:2,FS"
run sealmail --home "$HB" open "$name"
expect_exit 66
expect_err "sealmail: $MD/new/$N: No such file or directory"

end_tests
