#!/bin/sh
# SPDX-License-Identifier: MIT
# protect writes a multipart message whose bytes are canonical as they are
# (a text part, a 600 KiB base64 attachment, nested multiparts) from the
# source in one read: the signed entity is the top Content-Type, a blank
# line and the source's body byte for byte (GMime's path, taken before,
# wrote the line ends of a prologue and an epilogue as bare LFs).  A flaw in a part (bare LF,
# 8-bit byte in a 7bit part, "From " line, 1000-byte line) sends it to
# GMime's path, after the output was rewound when the flaw came late.
# Each must open as good, pass `openssl cms -verify`, and give the same
# signed content (and decrypted entity) to a file as to a pipe (the
# two-pass path).
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob

setup_pair

head -c 450000 /dev/zero | tr '\0' 'x' | base64 -w 76 | sed 's/$/\r/' \
	>"$TMP/att.b64"

# body SHAPE TAIL: the message body after the top header block
body() {
	case $1 in
	mixed)
		printf 'This is a multi-part message in MIME format.\r\n'
		printf -- '--outer\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
		printf -- '--outer\r\nContent-Type: application/octet-stream\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		cat "$TMP/att.b64"
		printf -- '--outer\r\nContent-Type: text/plain\r\n\r\nbye\r\n'
		printf "$2"
		printf -- '--outer--\r\n'
		;;
	nested)
		printf -- '--outer\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n'
		printf -- '--in\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n'
		printf -- '--in\r\nContent-Type: application/pdf\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		cat "$TMP/att.b64"
		printf -- '--in\r\nContent-Type: text/plain\r\n'
		printf 'Content-Transfer-Encoding: 7bit\r\n\r\nbye\r\n'
		printf "$2"
		printf -- '--in--\r\n\r\n--outer\r\nContent-Type: text/plain\r\n\r\n'
		printf 'plain\r\n--outer--\r\nepilogue\r\n'
		;;
	esac
}

ctype() {
	case $1 in
	mixed) printf 'multipart/mixed' ;;
	nested) printf 'multipart/alternative' ;;
	esac
}

# file_and_pipe FILE PIPED ARGS...: alice's `protect ARGS...` with standard
# output to FILE (rewindable: the one-read path) and through a pipe into
# PIPED (the two-pass path); both runs must succeed.
file_and_pipe() {
	_file=$1 _piped=$2
	shift 2
	rm -f "$TMP/.pipe-failed"
	"$SEALMAIL" --home "$HA" protect "$@" >"$_file" 2>/dev/null ||
		fail "to a file"
	{ "$SEALMAIL" --home "$HA" protect "$@" ||
		echo failed >"$TMP/.pipe-failed"; } 2>/dev/null | cat >"$_piped"
	if [ -e "$TMP/.pipe-failed" ]; then
		fail "to a pipe"
	fi
}

# The first part of a clear-signed message (the signed content).
signed_part() {
	awk '/^--sealmail-/ { n++; next } n == 1 { print }' "$1"
}

long=$(head -c 999 /dev/zero | tr '\0' L)
for shape in mixed nested; do
	for c in clean: lf:'bare LF\nx\r\n' eightbit:'caf\303\251\r\n' \
		from:'From me\r\n' long:"$long\\r\\n"; do
		name=$shape-${c%%:*}
		m=$TMP/$name.eml
		{
			printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n'
			printf 'Subject: multipart\r\nMIME-Version: 1.0\r\n'
			printf 'Content-Type: %s; boundary="outer"\r\n\r\n' \
				"$(ctype $shape)"
			body $shape "${c#*:}"
		} >"$m"

		begin_test "$name: clear sign, to a file = to a pipe, good"
		file_and_pipe "$TMP/$name.c1" "$TMP/$name.c2" --sign --clear "$m"
		signed_part "$TMP/$name.c1" >"$TMP/$name.p1"
		signed_part "$TMP/$name.c2" >"$TMP/$name.p2"
		[ -s "$TMP/$name.p1" ] || fail "no signed part"
		expect_same_file "$TMP/$name.p1" "$TMP/$name.p2"
		# canonical as it is: the source's body, byte for byte
		{
			printf 'Content-Type: %s; boundary="outer"\r\n\r\n' \
				"$(ctype $shape)"
			body $shape "${c#*:}"
			printf '\r\n'
		} | awk '{ print }' >"$TMP/$name.want"
		if [ "${c%%:*}" = clean ]; then
			expect_same_file "$TMP/$name.want" "$TMP/$name.p1"
		elif cmp -s "$TMP/$name.want" "$TMP/$name.p1"; then
			fail "the flaw went out as it is"
		fi
		run sealmail --home "$HB" open -o /dev/null "$TMP/$name.c1"
		expect_exit 0
		expect_out_contains "verdict: good"
		run openssl cms -verify -CAfile "$PKI/ca-chain.crt" \
			-in "$TMP/$name.c1" -out /dev/null
		expect_exit 0

		begin_test "$name: opaque sign, to a file = to a pipe, good"
		file_and_pipe "$TMP/$name.o1" "$TMP/$name.o2" --sign --opaque "$m"
		run openssl cms -verify -CAfile "$PKI/ca-chain.crt" -binary \
			-in "$TMP/$name.o1" -out "$TMP/$name.v1"
		expect_exit 0
		run openssl cms -verify -CAfile "$PKI/ca-chain.crt" -binary \
			-in "$TMP/$name.o2" -out "$TMP/$name.v2"
		expect_exit 0
		expect_same_file "$TMP/$name.v1" "$TMP/$name.v2"
		run sealmail --home "$HB" open -o /dev/null "$TMP/$name.o1"
		expect_exit 0
		expect_out_contains "verdict: good"

		begin_test "$name: encrypt (GCM), to a file = to a pipe"
		file_and_pipe "$TMP/$name.e1" "$TMP/$name.e2" \
			--encrypt --no-sign --yes --cipher aes-256-gcm "$m"
		for o in 1 2; do
			run sealmail --home "$HB" open -o "$TMP/$name.d$o" \
				"$TMP/$name.e$o"
			expect_exit 0
		done
		expect_same_file "$TMP/$name.d1" "$TMP/$name.d2"
		if [ "${c%%:*}" = clean ]; then
			# the decrypted entity holds the source's body as it is
			cmp -s "$TMP/$name.d1" "$m" || fail "not the source's bytes"
		fi
	done
done

# A message signed before (multipart/signed at the top, as `protect --sign |
# protect --encrypt` gives it) is canonical as it is and goes out byte for
# byte from the source, prologue included (GMime's path, taken before, wrote
# the prologue's line end as a bare LF).
after_blank() { # FILE: the lines after its first empty (CRLF) line
	awk 'f { print } /^\r$/ { f = 1 }' "$1"
}
"$SEALMAIL" --home "$HA" protect --sign --clear "$TMP/mixed-clean.eml" \
	>"$TMP/signed.eml" 2>/dev/null || fail "the first signature"
after_blank "$TMP/signed.eml" >"$TMP/signed.body"

begin_test "a signed message signed again: its body as it is, good"
file_and_pipe "$TMP/resigned.1" "$TMP/resigned.2" --sign --opaque \
	"$TMP/signed.eml"
for o in 1 2; do
	run openssl cms -verify -CAfile "$PKI/ca-chain.crt" -binary \
		-in "$TMP/resigned.$o" -out "$TMP/resigned.v$o"
	expect_exit 0
	after_blank "$TMP/resigned.v$o" >"$TMP/resigned.b$o"
	expect_same_file "$TMP/signed.body" "$TMP/resigned.b$o"
done
run sealmail --home "$HB" open -o /dev/null "$TMP/resigned.1"
expect_exit 0
expect_out_contains "verdict: good"
[ "$(printf '%s\n' "$out" | grep -c '^signature')" -eq 2 ] ||
	fail "not two signatures"

begin_test "a signed message encrypted: decrypted, the same message"
file_and_pipe "$TMP/signed.e1" "$TMP/signed.e2" \
	--encrypt --no-sign --yes --cipher aes-256-gcm "$TMP/signed.eml"
run sealmail --home "$HB" open -o "$TMP/signed.readable" "$TMP/signed.eml"
expect_exit 0
for o in 1 2; do
	run sealmail --home "$HB" open -o "$TMP/signed.d$o" "$TMP/signed.e$o"
	expect_exit 0
	expect_out_contains "verdict: good"
	expect_out_contains "content:     the content is exactly what was signed"
	expect_same_file "$TMP/signed.readable" "$TMP/signed.d$o"
done

end_tests
