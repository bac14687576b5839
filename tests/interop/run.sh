#!/bin/sh
# shellcheck disable=SC2317 # functions are called by the case file
# SPDX-License-Identifier: MIT
# Runs one interop case: tests/interop/run.sh CASE_DIR. The case's `case`
# file (sourced, with engines.sh loaded, in a throwaway working directory)
# defines produce() and check() and the expectations; see README.md.
# Exit 0 pass, 1 fail. $SEALMAIL is the sealmail binary (set by CTest).
set -u

case_dir=$(cd "${1:?usage: run.sh CASE_DIR}" && pwd) || exit 1
here=$(cd "$(dirname "$0")" && pwd)
PKI=$(cd "$here/../data/pki" && pwd)
export PKI
ENG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sm-interop.XXXXXX")
export ENG_DIR
CASE=$case_dir
export CASE
unset XDG_DATA_HOME
export SEALMAIL_HOME="$ENG_DIR/no-home"

# shellcheck source=engines.sh
. "$here/engines.sh"

cleanup() {
	eng_cleanup
	rm -rf "$ENG_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# What a case may set (defaults):
expect_exit=0 # check()'s exit status
expect_jq=""  # jq expressions, one a line, each must be true on check()'s stdout
expect_err="" # fixed strings, one a line, each must occur in check()'s stderr
expect_out="" # fixed strings, one a line, each must occur in check()'s stdout
expect_out_none=0 # 1: check()'s stdout must be empty
produce() { :; }
check() {
	echo "case defines no check()" >&2
	return 99
}

# sm_home NAME [ID...]: a sealmail home in $ENG_DIR/NAME with the digital IDs
# of ID... imported from the test PKI (password test, no passphrase); sets
# SEALMAIL_HOME to it
sm_home() {
	SEALMAIL_HOME=$ENG_DIR/$1
	export SEALMAIL_HOME
	shift
	for id in "$@"; do
		printf test >"$ENG_DIR/p12.password"
		eng_run "$SEALMAIL" id import --password-file "$ENG_DIR/p12.password" --no-passphrase \
			"$PKI/$id.p12" >/dev/null || return 1
	done
}

# sm_trust_ca FILE: adds a CA certificate to the current home and trusts it
sm_trust_ca() {
	_fp=$(openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
	eng_run "$SEALMAIL" ca add "$1" >/dev/null &&
		eng_run "$SEALMAIL" ca trust "$_fp" trusted >/dev/null
}

# sm_protect IN OUT ARGS...: sealmail protect ARGS -o OUT IN, in the current home
sm_protect() {
	_in=$1 _out=$2
	shift 2
	eng_run "$SEALMAIL" protect "$@" -o "$_out" "$_in"
}

# sm_trust NAME...: adds NAME's certificate to the current home's address
# book and trusts it
sm_trust() {
	for _n in "$@"; do
		eng_run "$SEALMAIL" book add "$(eng_crt "$_n")" >/dev/null &&
			eng_run "$SEALMAIL" book trust "$_n" trusted >/dev/null || return 1
	done
}

# sm CMD...: runs sealmail
sm() {
	"$SEALMAIL" "$@"
}

# shellcheck disable=SC1091 # the case file
. "$case_dir/case"

failed=0
fail() {
	echo "FAIL [$(basename "$case_dir")]: $*" >&2
	failed=1
}

cd "$ENG_DIR" || exit 1
if ! produce; then
	fail "produce() failed"
else
	check >"$ENG_DIR/check.out" 2>"$ENG_DIR/check.err"
	rc=$?
	[ "$rc" -eq "$expect_exit" ] || fail "check() exited $rc, expected $expect_exit"
	if [ -n "$expect_jq" ]; then
		printf '%s\n' "$expect_jq" | while IFS= read -r q; do
			[ -z "$q" ] && continue
			jq -e "$q" "$ENG_DIR/check.out" >/dev/null 2>&1 || {
				echo "jq: not true: $q" >&2
				echo x >>"$ENG_DIR/jq.failed"
			}
		done
		[ -f "$ENG_DIR/jq.failed" ] && fail "report fields differ"
	fi
	for pair in "out:$expect_out" "err:$expect_err"; do
		f=$ENG_DIR/check.${pair%%:*}
		printf '%s\n' "${pair#*:}" | while IFS= read -r s; do
			[ -z "$s" ] && continue
			grep -qF -- "$s" "$f" || {
				echo "not in std${pair%%:*}: $s" >&2
				echo x >>"$ENG_DIR/grep.failed"
			}
		done
	done
	[ -f "$ENG_DIR/grep.failed" ] && fail "expected text missing"
	[ "$expect_out_none" = 1 ] && [ -s "$ENG_DIR/check.out" ] && fail "unexpected output"
fi

if [ "$failed" -ne 0 ]; then
	echo "--- check() stdout:" >&2
	head -c 3000 "$ENG_DIR/check.out" >&2 2>/dev/null
	echo "--- check() stderr:" >&2
	head -c 3000 "$ENG_DIR/check.err" >&2 2>/dev/null
	echo "--- engines.log:" >&2
	tail -n 40 "$ENG_DIR/engines.log" >&2 2>/dev/null
	exit 1
fi
exit 0
