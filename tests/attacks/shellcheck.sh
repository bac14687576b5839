#!/bin/sh
# SPDX-License-Identifier: MIT
# Lint: shellcheck on the attack-suite runner and its cases (the pending ones
# too). Usage: tests/attacks/shellcheck.sh SOURCE_DIR
set -u
top=${1:?usage: shellcheck.sh SOURCE_DIR}
cd "$top" || exit 1
rc=0
shellcheck -s sh tests/attacks/run.sh tests/attacks/shellcheck.sh || rc=1
# case files: their expect_* variables and functions are used by run.sh,
# $PKI/$W/$BOB come from it
for f in tests/attacks/cases/*/case tests/attacks/pending/*/case; do
	[ -f "$f" ] || continue
	shellcheck -s sh -e SC2034,SC2317,SC2154 "$f" || rc=1
done
exit $rc
