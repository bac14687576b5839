#!/bin/sh
# The command frame: usage, version, unknown commands and options.
. "$(dirname "$0")/lib.sh"

begin_test "no command is a usage error"
run sealmail
expect_exit 64
expect_err_contains "usage: sealmail"

begin_test "--version"
run sealmail --version
expect_exit 0
expect_out "sealmail 0.1.0"

begin_test "unknown command"
run sealmail frobnicate
expect_exit 64
expect_err_contains "unknown command 'frobnicate'"

begin_test "unknown global option"
run sealmail --frob id list
expect_exit 64
expect_err_contains "unknown option '--frob'"

end_tests
