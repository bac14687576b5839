#!/bin/sh
# SPDX-License-Identifier: MIT
# protect checks a single part's content as it writes it to a path output
# or to standard output redirected to a file (one read, issue 7); when the
# content turns out to need a transfer encoding after some of it went out,
# the output is rewound and written the slow way.  Each case must give what
# the two-pass path (standard output into a pipe, which cannot be rewound)
# gives: the same signed content, the same decrypted entity, a good
# signature; a file standard output appends to keeps what it held.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob

setup_pair

# msg FILE TAIL: 600 KiB of CRLF lines (over two 256 KiB pieces), then TAIL
msg() {
	{
		printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n'
		printf 'Subject: one read\r\nContent-Type: text/plain\r\n\r\n'
		i=0
		while [ $i -lt 7900 ]; do
			printf 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n'
			i=$((i + 1))
		done
		printf "$2"
	} >"$1"
}

# The first part of a clear-signed message (the signed content).
signed_part() {
	awk '/^--sealmail-/ { n++; next } n == 1 { print }' "$1"
}

for c in clean:'last line\r\n' lf:'bare LF\nlines\n' \
	eightbit:'caf\303\251\r\n' space:'trailing \r\n' from:'From me\r\n' \
	cr:'bare\rCR\r\n' endcr:'ends with CR\r'; do
	name=${c%%:*}
	msg "$TMP/$name.eml" "${c#*:}"

	begin_test "$name: clear sign to a file = to standard output, good"
	run sealmail --home "$HA" protect --sign --clear -o "$TMP/$name.s" \
		"$TMP/$name.eml"
	expect_exit 0
	{ "$SEALMAIL" --home "$HA" protect --sign --clear "$TMP/$name.eml" ||
		echo "failed" >"$TMP/$name.failed"; } 2>/dev/null |
		cat >"$TMP/$name.s2"
	[ -e "$TMP/$name.failed" ] && fail "to a pipe"
	"$SEALMAIL" --home "$HA" protect --sign --clear "$TMP/$name.eml" \
		>"$TMP/$name.s3" 2>/dev/null || fail "to standard output"
	# appended to a file: what it held stays (not rewindable)
	printf 'kept\r\n' >"$TMP/$name.s4"
	"$SEALMAIL" --home "$HA" protect --sign --clear "$TMP/$name.eml" \
		>>"$TMP/$name.s4" 2>/dev/null || fail "appended"
	[ "$(head -n 1 "$TMP/$name.s4")" = "$(printf 'kept\r')" ] ||
		fail "appending lost what the file held"
	# over a longer file, not at its end: no truncation (not rewindable)
	head -c 3000000 /dev/zero | tr '\0' x >"$TMP/$name.s5"
	"$SEALMAIL" --home "$HA" protect --sign --clear "$TMP/$name.eml" \
		1<>"$TMP/$name.s5" 2>/dev/null || fail "over a longer file"
	[ "$(wc -c <"$TMP/$name.s5")" -eq 3000000 ] ||
		fail "a file written from its start was truncated"
	signed_part "$TMP/$name.s" >"$TMP/$name.p1"
	[ -s "$TMP/$name.p1" ] || fail "no signed part"
	for o in s2 s3 s4; do
		signed_part "$TMP/$name.$o" >"$TMP/$name.p$o"
		expect_same_file "$TMP/$name.p1" "$TMP/$name.p$o"
	done
	run sealmail --home "$HB" open -o /dev/null "$TMP/$name.s3"
	expect_exit 0
	expect_out_contains "verdict: good"
	[ "$(grep -c '^Content-Type: multipart/signed' "$TMP/$name.s")" = 1 ] ||
		fail "not one multipart/signed"
	case $name in
	clean | lf) grep -q '^Content-Transfer-Encoding' "$TMP/$name.p1" &&
		fail "re-encoded" ;;
	endcr) ;; # GMime's path completes the CR, no encoding needed
	*) grep -q '^Content-Transfer-Encoding: quoted-printable' \
		"$TMP/$name.p1" || fail "not quoted-printable" ;;
	esac
	run sealmail --home "$HB" open -o /dev/null "$TMP/$name.s"
	expect_exit 0
	expect_out_contains "verdict: good"

	begin_test "$name: sign+encrypt to a file = to standard output"
	run sealmail --home "$HA" protect --sign --opaque --encrypt --yes \
		-o "$TMP/$name.e" "$TMP/$name.eml"
	expect_exit 0
	{ "$SEALMAIL" --home "$HA" protect --sign --opaque --encrypt --yes \
		"$TMP/$name.eml" || echo failed >"$TMP/$name.failed"; } \
		2>/dev/null | cat >"$TMP/$name.e2"
	[ -e "$TMP/$name.failed" ] && fail "to a pipe"
	"$SEALMAIL" --home "$HA" protect --sign --opaque --encrypt --yes \
		"$TMP/$name.eml" >"$TMP/$name.e3" 2>/dev/null ||
		fail "to standard output"
	[ "$(grep -c '^Content-Type: application/pkcs7-mime' "$TMP/$name.e")" = 1 ] ||
		fail "not one enveloped entity"
	[ "$(grep -c '^Content-Type: application/pkcs7-mime' "$TMP/$name.e3")" = 1 ] ||
		fail "not one enveloped entity on standard output"
	run sealmail --home "$HB" open -o "$TMP/$name.d1" "$TMP/$name.e"
	expect_exit 0
	expect_out_contains "verdict: good"
	for o in 2 3; do
		run sealmail --home "$HB" open -o "$TMP/$name.d$o" "$TMP/$name.e$o"
		expect_exit 0
		expect_same_file "$TMP/$name.d1" "$TMP/$name.d$o"
	done
done

end_tests
