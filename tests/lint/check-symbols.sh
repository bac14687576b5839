#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared library exports exactly the functions the public headers declare
# with SEALMAIL_EXTERN (notmuch's symbol-hiding test).
set -u
top=$1
lib=$2
declared=$(perl -0777 -ne 'while (/SEALMAIL_EXTERN\s*\([^;{]*?\)\s*(sealmail_\w+)\s*\(/g) { print "$1\n" }' \
	"$top"/include/sealmail/*.h | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TtWw]$/ { print $3 }' |
	sed 's/@.*//' | sort -u)
if [ "$declared" != "$exported" ]; then
	echo "declared but not exported / exported but not declared:"
	printf '%s\n' "$declared" >"${TMPDIR:-/tmp}/sm-declared.$$"
	printf '%s\n' "$exported" | diff "${TMPDIR:-/tmp}/sm-declared.$$" - | grep '^[<>]'
	rm -f "${TMPDIR:-/tmp}/sm-declared.$$"
	exit 1
fi
echo "$(printf '%s\n' "$exported" | wc -l) symbols exported, all declared"
