# SPDX-License-Identifier: MIT
# Shared by the CLI tests (tests/cli/tNNN-*.sh): run the real sealmail binary
# in throwaway homes and compare exit codes and output exactly.
#
#   . "$(dirname "$0")/lib.sh"
#   begin_test "what this checks"
#   run sealmail --home "$H" id list      # sets $rc, $out (stdout), $errout
#   expect_exit 0
#   expect_out "exact stdout"             # or expect_out_contains / _err_
#   end_tests
#
# $SEALMAIL is the binary (set by CTest), $TEST_DATA the tests/data folder.
# Each test file gets a fresh $TMP, removed at exit.

set -u
: "${SEALMAIL:?SEALMAIL must point to the sealmail binary}"
: "${TEST_DATA:=$(cd "$(dirname "$0")/../data" && pwd)}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sealmail-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
export SEALMAIL_HOME="$TMP/default-home"
unset XDG_DATA_HOME
tests_failed=0
tests_run=0
current=""

begin_test() {
	current=$1
	current_failed=0
	tests_run=$((tests_run + 1))
}

fail() {
	echo "FAIL [$current]: $*" >&2
	echo "  stdout: $(printf '%s' "${out-}" | head -c 2000)" >&2
	echo "  stderr: $(printf '%s' "${errout-}" | head -c 2000)" >&2
	# Count failed tests, not failed assertions.
	if [ "${current_failed:-0}" -eq 0 ]; then
		tests_failed=$((tests_failed + 1))
		current_failed=1
	fi
}

# run CMD ARGS...: "sealmail" as CMD means $SEALMAIL.  Standard input is
# /dev/null unless redirected with run_stdin FILE CMD ...
run() {
	run_stdin /dev/null "$@"
}

# setup HOME ARGS...: a step that prepares a test, `sealmail --home HOME
# ARGS...`; when it fails the test file ends (exit 1) with its message.
setup() {
	run sealmail --home "$@"
	[ "$rc" -eq 0 ] || { echo "setup: $*: $errout"; exit 1; }
}

# setup_pair: alice's digital ID in $HA and bob's in $HB (from $PKI), each
# with the other's certificate in the address book, trusted.
setup_pair() {
	setup "$HA" id import "$PKI/alice@example.org.crt" \
		"$PKI/alice@example.org.key" --no-passphrase
	setup "$HB" id import "$PKI/bob@example.org.crt" \
		"$PKI/bob@example.org.key" --no-passphrase
	setup "$HA" book add "$PKI/bob@example.org.crt"
	setup "$HA" book trust bob@example.org trusted
	setup "$HB" book add "$PKI/alice@example.org.crt"
	setup "$HB" book trust alice@example.org trusted
}

run_stdin() {
	_in=$1
	shift
	if [ "$1" = sealmail ]; then
		shift
		set -- "$SEALMAIL" "$@"
	fi
	"$@" <"$_in" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	out=$(cat "$TMP/.out")
	errout=$(cat "$TMP/.err")
}

expect_exit() {
	[ "$rc" -eq "$1" ] || fail "exit $rc, expected $1"
}

expect_out() {
	[ "$out" = "$1" ] || fail "stdout differs; expected: $1"
}

expect_err() {
	[ "$errout" = "$1" ] || fail "stderr differs; expected: $1"
}

expect_out_contains() {
	case "$out" in *"$1"*) ;; *) fail "stdout lacks: $1" ;; esac
}

expect_err_contains() {
	case "$errout" in *"$1"*) ;; *) fail "stderr lacks: $1" ;; esac
}

expect_out_lacks() {
	case "$out" in *"$1"*) fail "stdout has: $1" ;; *) ;; esac
}

# One line on stderr, no more (the error rule).
expect_one_line_err() {
	[ "$(printf '%s\n' "$errout" | wc -l)" -eq 1 ] && [ -n "$errout" ] ||
		fail "stderr is not exactly one line"
}

# expect_json FILTER VALUE: jq -r FILTER of stdout equals VALUE.
expect_json() {
	_v=$(printf '%s' "$out" | jq -r "$1" 2>/dev/null) ||
		{ fail "stdout is not JSON"; return; }
	[ "$_v" = "$2" ] || fail "jq '$1' is '$_v', expected '$2'"
}

# expect_same_file A B
expect_same_file() {
	cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# Mode of a file as octal, e.g. 600.
file_mode() {
	stat -c %a "$1"
}

end_tests() {
	echo "$((tests_run - tests_failed)) passed, $tests_failed failed"
	[ "$tests_failed" -eq 0 ]
}
