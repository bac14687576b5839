# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# Shared by the large-message tests (tests/stream/tNNN-*.sh), on
# tests/cli/lib.sh: the 64 MiB peak-RSS bound and `timed`, which runs a
# command under /usr/bin/time and holds it to that bound.  Under ASan the
# allocator's quarantine would hold freed buffers and count them as
# resident: it is capped (quarantine_size_mb=4), so what is measured is
# sealmail's own working set plus ASan's fixed cost.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

LIMIT_KIB=$((64 * 1024))
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"

# stream_size ASAN_MIB: $MIB, the message size in MiB: $STREAM_MIB if set,
# else ASAN_MIB when sealmail is built with ASan, else 200
# shellcheck disable=SC2034 # MIB is read by the test that sources this
stream_size() {
	if grep -q __asan_init "$SEALMAIL" 2>/dev/null; then
		MIB=${STREAM_MIB:-$1}
	else
		MIB=${STREAM_MIB:-200}
	fi
}

# timed NAME CMD...: run CMD under /usr/bin/time; $rss is its peak in KiB
timed() {
	name=$1
	shift
	run /usr/bin/time -f '%M' -o "$TMP/rss" "$@"
	rss=$(tail -n 1 "$TMP/rss")
	echo "$name: ${rss} KiB peak RSS" >&2
	[ "$rss" -lt "$LIMIT_KIB" ] || fail "$name: peak RSS $rss KiB, not under $LIMIT_KIB"
}
