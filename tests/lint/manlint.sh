#!/bin/sh
# SPDX-License-Identifier: MIT
# The man pages are valid mdoc: mandoc -Tlint reports no warning.
set -u
top=$1
fail=0
found=0
for page in "$top"/docs/man/*.[1-8]; do
	[ -e "$page" ] || continue
	found=1
	mandoc -Tlint -W warning "$page" || fail=1
done
[ "$found" -eq 1 ] || { echo "no man pages found"; exit 1; }
exit $fail
