#!/bin/sh
# SPDX-License-Identifier: MIT
# Lint: shellcheck on the interop and corpus harness, its cases and the test
# PKI generator. Usage: tests/interop/shellcheck.sh SOURCE_DIR
set -u
top=${1:?usage: shellcheck.sh SOURCE_DIR}
cd "$top" || exit 1
rc=0
shellcheck -s sh -x -P tests/interop tests/interop/run.sh tests/interop/engines.sh \
	tests/interop/shellcheck.sh tests/corpus/run.sh scripts/gen-test-pki.sh || rc=1
# case files: their expect_* variables and functions are used by run.sh
for f in tests/interop/cases/*/case tests/interop/pending/*/case; do
	[ -f "$f" ] || continue
	shellcheck -s sh -e SC2034,SC2317 "$f" || rc=1
done
exit $rc
