#!/bin/sh
# shellcheck disable=SC2317 # functions are called by the case file
# SPDX-License-Identifier: MIT
# Runs one attack case: tests/attacks/run.sh CASE_DIR. The case's `case`
# file (sourced in a throwaway directory) defines craft(), which writes the
# hostile message to msg.eml, and the expectations; see README.md.
# sealmail opens msg.eml as Bob (text report and --json report).
# Exit 0 pass, 1 fail. $SEALMAIL is the sealmail binary (set by CTest).
set -u

case_dir=$(cd "${1:?usage: run.sh CASE_DIR}" && pwd) || exit 1
here=$(cd "$(dirname "$0")" && pwd)
PKI=$(cd "$here/../data/pki" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/sm-attack.XXXXXX") || exit 1
export PKI W
unset XDG_DATA_HOME
export SEALMAIL_HOME="$W/no-home"
BOB=$W/bob
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM

# What a case may set (defaults):
expect_exit=0     # exit status of `sealmail open msg.eml`
expect_out=""     # fixed strings, one a line, each must occur in the text report
expect_lacks=""   # fixed strings, one a line, none may occur in the text report
expect_jq=""      # jq expressions, one a line, each true on the --json report
expect_raw_clean=0 # 1: the text report holds no ESC or other C0 control byte but TAB/LF
open_args=""      # extra arguments to `open` (word-split)
after() { :; }     # more checks after the opens (in $W); failing fails the case
craft() {
	echo "case defines no craft()" >&2
	return 99
}

# sm ARGS...: sealmail
sm() { "$SEALMAIL" "$@"; }

# home_of ID: the sealmail home holding ID's digital ID (made on first use)
home_of() {
	_h=$W/home-$1
	if [ ! -d "$_h" ]; then
		printf test >"$W/p12.password"
		"$SEALMAIL" --home "$_h" id import --password-file "$W/p12.password" \
			--no-passphrase "$PKI/$1.p12" >/dev/null 2>"$W/import.err" || {
			cat "$W/import.err" >&2
			return 1
		}
	fi
	printf '%s\n' "$_h"
}

# sign ID IN OUT [ARGS...]: sealmail protect --sign ARGS as ID
sign() {
	_id=$1 _in=$2 _out=$3
	shift 3
	_h=$(home_of "$_id") || return 1
	"$SEALMAIL" --home "$_h" protect --sign "$@" -o "$_out" "$_in"
}

# bob_trusts ID...: Bob adds ID's certificate to his book and trusts it
bob_trusts() {
	for _n in "$@"; do
		"$SEALMAIL" --home "$BOB" book add "$PKI/$_n.crt" >/dev/null &&
			"$SEALMAIL" --home "$BOB" book trust "$_n" trusted >/dev/null || return 1
	done
}

# bob_id: Bob's digital ID in Bob's home (to decrypt)
bob_id() {
	printf test >"$W/p12.password"
	"$SEALMAIL" --home "$BOB" id import --password-file "$W/p12.password" \
		--no-passphrase "$PKI/bob@example.org.p12" >/dev/null
}

# mail FROM SUBJECT BODY: a plain CRLF message on stdout
mail() {
	printf 'From: %s\r\nTo: Bob <bob@example.org>\r\nSubject: %s\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <attack@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n%s\r\n' "$1" "$2" "$3"
}


# ossl_sign ID FROM OUT [ARGS...]: openssl cms clear-signs a text part as
# ID (key and certificate from the test PKI, no checks on them) and writes
# the whole message, From: FROM, to OUT
ossl_sign() {
	_id=$1 _from=$2 _out=$3
	shift 3
	printf 'Content-Type: text/plain\r\n\r\nHello Bob\r\n' >"$W/part.txt"
	openssl cms -sign -binary -md sha256 -signer "$PKI/$_id.crt" -inkey "$PKI/$_id.key" \
		"$@" -in "$W/part.txt" -out "$W/ossl.out" || return 1
	{
		printf 'From: %s\r\nTo: Bob <bob@example.org>\r\nSubject: hi\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n' "$_from"
		sed 's/$/\r/; s/\r\r$/\r/' "$W/ossl.out"
	} >"$_out"
}

# own_cert ADDR: a new self-made certificate for ADDR (CN Alice, e-mail
# protection) in $W/c.pem with its key in $W/k.pem, which Bob adds and trusts
own_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/k.pem" -out "$W/c.pem" \
		-days 30 -subj "/CN=Alice" -addext "subjectAltName=email:$1" \
		-addext 'extendedKeyUsage=emailProtection' 2>/dev/null &&
		"$SEALMAIL" --home "$BOB" book add "$W/c.pem" >/dev/null &&
		"$SEALMAIL" --home "$BOB" book trust "$1" trusted >/dev/null
}

# own_sign FROM OUT: "Hello Bob" clear-signed with own_cert's certificate,
# the whole message, From: FROM (bytes as given), to OUT
own_sign() {
	printf 'Content-Type: text/plain\r\n\r\nHello Bob\r\n' >"$W/part.txt"
	openssl cms -sign -binary -md sha256 -signer "$W/c.pem" -inkey "$W/k.pem" \
		-in "$W/part.txt" -out "$W/own.out" || return 1
	{
		printf 'From: %s\r\nTo: Bob <bob@example.org>\r\nSubject: hi\r\n' "$1"
		sed 's/$/\r/; s/\r\r$/\r/' "$W/own.out"
	} >"$2"
}

# body_of FILE: FILE from its first Content-Type line on (the part, no outer header)
body_of() { sed -n '/^Content-Type: multipart\/signed/,$p' "$1"; }

# shellcheck disable=SC1091 # the case file
. "$case_dir/case"

failed=0
fail() {
	echo "FAIL [$(basename "$case_dir")]: $*" >&2
	failed=1
}

cd "$W" || exit 1
mkdir -p "$BOB"
if ! craft >"$W/craft.log" 2>&1; then
	cat "$W/craft.log" >&2
	fail "craft() failed"
	exit 1
fi
# shellcheck disable=SC2086 # open_args is word-split on purpose
"$SEALMAIL" --home "$BOB" open $open_args msg.eml >"$W/out" 2>"$W/err"
rc=$?
# shellcheck disable=SC2086
"$SEALMAIL" --home "$BOB" --json open $open_args msg.eml >"$W/json" 2>"$W/json.err"
jrc=$?
[ "$rc" -eq "$expect_exit" ] || fail "open exited $rc, expected $expect_exit"
[ "$jrc" -eq "$expect_exit" ] || fail "open --json exited $jrc, expected $expect_exit"
printf '%s\n' "$expect_out" | while IFS= read -r s; do
	[ -z "$s" ] && continue
	grep -qF -- "$s" "$W/out" "$W/err" || { echo "not in the report: $s" >&2; echo x >>"$W/f"; }
done
printf '%s\n' "$expect_lacks" | while IFS= read -r s; do
	[ -z "$s" ] && continue
	! grep -qF -- "$s" "$W/out" || { echo "in the report but must not be: $s" >&2; echo x >>"$W/f"; }
done
printf '%s\n' "$expect_jq" | while IFS= read -r q; do
	[ -z "$q" ] && continue
	jq -e "$q" "$W/json" >/dev/null 2>&1 || { echo "jq: not true: $q" >&2; echo x >>"$W/f"; }
done
if [ "$expect_raw_clean" = 1 ] && LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$W/out" "$W/err"; then
	echo "raw control bytes in the report" >&2
	echo x >>"$W/f"
fi
after || fail "after() failed"
[ -f "$W/f" ] && fail "report differs"
if [ "$failed" -ne 0 ] || [ -n "${ATTACK_VERBOSE-}" ]; then
	echo "--- open (exit $rc) stdout:" >&2; cat "$W/out" >&2
	echo "--- stderr:" >&2; cat "$W/err" >&2
	echo "--- --json:" >&2; cat "$W/json" "$W/json.err" >&2
fi
exit "$failed"
