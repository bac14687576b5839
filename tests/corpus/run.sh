#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs corpus cases: tests/corpus/run.sh [NAME...] opens each row's message
# of expected.tsv with `sealmail open --json` in a fresh home prepared as the
# row's setup says, and checks the exit status and the jq expression.
# No NAME: every row. Exit 0 when all pass. $SEALMAIL is the binary.
set -u
: "${SEALMAIL:?SEALMAIL must point to the sealmail binary}"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sm-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
unset XDG_DATA_HOME
tab=$(printf '\t')
failed=0 ran=0

fail() {
	echo "FAIL [$name]: $*" >&2
	failed=$((failed + 1))
}

# setup HOME SETUP: applies a row's setup to a fresh home
setup() {
	h=$1
	printf '%s\n' "$2" | tr ',' '\n' | while IFS= read -r s; do
		case $s in
		- | "") ;;
		ca=*)
			f=$here/${s#ca=}
			fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
			if ! "$SEALMAIL" --home "$h" ca add "$f" >>"$tmp/setup.log" 2>&1 ||
				! "$SEALMAIL" --home "$h" ca trust "$fp" trusted >>"$tmp/setup.log" 2>&1; then
				echo "setup: ca $f failed" >&2
				return 1
			fi
			;;
		id=*)
			f=$here/${s#id=}
			"$SEALMAIL" --home "$h" id import "$f.cert.pem" "$f.key.pem" --no-passphrase \
				>>"$tmp/setup.log" 2>&1 || { echo "setup: id $f failed" >&2 && return 1; }
			;;
		*)
			echo "setup: unknown step $s" >&2
			return 1
			;;
		esac
	done
}

while IFS="$tab" read -r name file su want jq note; do
	case $name in '#'* | name | "") continue ;; esac
	if [ $# -gt 0 ]; then
		hit=0
		for n in "$@"; do [ "$n" = "$name" ] && hit=1; done
		[ $hit = 1 ] || continue
	fi
	ran=$((ran + 1))
	h=$tmp/$name
	: >"$tmp/setup.log"
	if ! setup "$h" "$su"; then
		fail "setup failed: $(head -c 1000 "$tmp/setup.log")"
		continue
	fi
	"$SEALMAIL" --home "$h" open --json "$here/$file" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	bad=0
	if [ "$rc" -ne "$want" ]; then
		fail "exit $rc, expected $want ($note)"
		bad=1
	fi
	if [ "$jq" != - ] && ! jq -e "$jq" "$tmp/out" >/dev/null 2>&1; then
		fail "not true: $jq"
		bad=1
	fi
	if [ $bad = 1 ]; then
		echo "  stdout: $(head -c 2000 "$tmp/out")" >&2
		echo "  stderr: $(head -c 1000 "$tmp/err")" >&2
	fi
done <"$here/expected.tsv"

if [ "$ran" -eq 0 ]; then
	echo "no corpus case matched: $*" >&2
	exit 1
fi
[ "$failed" -eq 0 ]
