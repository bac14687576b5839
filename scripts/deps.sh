#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages listed in scripts/packages.txt that are missing.
# As root it runs apt-get; otherwise it prints the one command to run and fails.
set -eu

list="$(dirname "$0")/packages.txt"
want=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | tr '\n' ' ')

missing=""
for pkg in $want; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "installed" ] || missing="$missing $pkg"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "sealmail: missing Debian packages; run:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "sealmail: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
