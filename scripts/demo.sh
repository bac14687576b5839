#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: the whole product at work on a throwaway store.
set -eu
SEALMAIL=${1:-build/sealmail}
case "$SEALMAIL" in /*) ;; *) SEALMAIL="$PWD/$SEALMAIL" ;; esac
echo "demo: (grows with each issue)"
"$SEALMAIL" --version
