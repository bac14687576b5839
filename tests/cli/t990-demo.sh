#!/bin/sh
# make demo keeps working: the demo script asserts every exit status itself.
. "$(dirname "$0")/lib.sh"

begin_test "the demo runs and every verdict is the promised one"
run sh "$SRCDIR/scripts/demo.sh" "$SEALMAIL"
expect_exit 0
expect_out_contains "Done: every verdict was the one promised"
expect_out_contains "note: the message is stored with LF line endings"
expect_out_contains "this message was changed after it was signed"
expect_out_contains "(nothing was written)"

end_tests
