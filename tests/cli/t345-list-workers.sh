#!/bin/sh
# SPDX-License-Identifier: MIT
# sealmail list with several workers (issue 7): the same lines, in the same
# order, with the same exit status as one worker, over a Maildir and an mbox
# of mixed messages (trusted, through a CA, untrusted, expired, altered,
# unsigned, encrypted for me and not, unreadable, larger than what a
# worker is handed in memory, a damaged signature part); --workers checked.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
H=$TMP/bob
HA=$TMP/alice

setup "$H" id import "$PKI/bob@example.org.crt" "$PKI/bob@example.org.key" --no-passphrase
setup "$H" book add "$PKI/alice@example.org.crt"
setup "$H" book trust alice@example.org trusted
setup "$H" ca add "$PKI/root-ca.crt"
setup "$H" ca trust "$(openssl x509 -in "$PKI/root-ca.crt" -outform DER | sha256sum | cut -c1-16)" trusted
setup "$HA" id import "$PKI/alice@example.org.crt" "$PKI/alice@example.org.key" --no-passphrase
for who in bob carol; do
	setup "$HA" book add "$PKI/$who@example.org.crt"
	setup "$HA" book trust "$who@example.org" trusted
done

M=$TMP/msgs
mkdir -p "$M"
printf 'Content-Type: text/plain\r\n\r\nHello Bob,\r\nsigned.\r\n' >"$TMP/body"
sign() { # SIGNER SUBJECT [BODY]
	printf 'Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n'
	openssl cms -sign -in "${3:-$TMP/body}" -signer "$PKI/$1.crt" \
		-inkey "$PKI/$1.key" -certfile "$PKI/intermediate-ca.crt" \
		-from "$1" -to bob@example.org -subject "$2" -crlfeol
}
sign alice@example.org good >"$M/a-good"
sign carol@example.org "through the CA" >"$M/b-viaca"
sign dave@example.org dave >"$M/c-dave"
sign expired@example.org expired >"$M/d-expired"
sed 's/^Hello Bob,/Hello Bob, changed/' "$M/a-good" >"$M/e-tampered"
printf 'Date: Sat, 28 Nov 2026 11:00:00 +0000\r\nFrom: carol@example.org\r\nTo: bob@example.org\r\nSubject: plain\r\n\r\nnot signed\r\n' >"$M/f-plain"
printf 'From: Alice <alice@example.org>\nTo: %s\nSubject: secret\nDate: Sun, 29 Nov 2026 01:00:00 +0000\n\nThe eagle lands.\n' \
	bob@example.org >"$TMP/to-bob"
sed 's/bob@/carol@/' "$TMP/to-bob" >"$TMP/to-carol"
setup "$HA" protect --sign --encrypt -o "$M/g-enc-bob" "$TMP/to-bob"
setup "$HA" protect --encrypt --no-sign -o "$M/h-enc-carol" "$TMP/to-carol"
# unreadable: a header block over 1 MiB (also more than a worker's 256 KiB)
{
	printf 'Subject: '
	head -c 1100000 /dev/zero | tr '\0' a
	printf '\r\n\r\nbody\r\n'
} >"$M/i-huge-header"
# a valid signature over 400 KiB of text
{
	printf 'Content-Type: text/plain\r\n\r\n'
	i=0
	while [ $i -lt 5000 ]; do
		printf 'line %05d of a long signed text, long enough for the test.....\r\n' $i
		i=$((i + 1))
	done
} >"$TMP/long"
sign alice@example.org long "$TMP/long" >"$M/j-long"
# signed, but the signature part is not CMS: no signature to count, yet
# not "not signed"
printf 'Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nFrom: alice@example.org\r\nSubject: damaged\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary="x"\r\n\r\n--x\r\nhello\r\n--x\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--x--\r\n' \
	>"$M/k-damaged"

# 99 messages: 9 rounds of the 11 kinds, interleaved, in cur/ and new/.
MD=$TMP/Maildir
mkdir -p "$MD/cur" "$MD/new" "$MD/tmp"
: >"$TMP/mbox"
r=0
for r in 1 2 3 4 5 6 7 8 9; do
	for f in "$M"/*; do
		sub=cur
		[ "$r" -gt 7 ] && sub=new
		cp "$f" "$MD/$sub/$r-$(basename "$f"):2,S"
		{
			echo "From alice@example.org Sat Nov 28 10:00:00 2026"
			cat "$f"
			echo
		} >>"$TMP/mbox"
	done
done

begin_test "list: the states of the mixed messages, one worker"
run sealmail --home "$H" list --workers 1 "$MD"
expect_exit 0
one=$out
[ "$(printf '%s\n' "$out" | wc -l)" -eq 99 ] || fail "not 99 lines"
expect_out_contains "cur/1-a-good:2,S  2026-11-28 10:00  alice@example.org  good  [signed, trusted]
cur/1-b-viaca:2,S  2026-11-28 10:00  carol@example.org  through the CA  [signed, trusted]
cur/1-c-dave:2,S  2026-11-28 10:00  dave@example.org  dave  [signed, trusted]
cur/1-d-expired:2,S  2026-11-28 10:00  expired@example.org  expired  [signed, signer not trusted]
cur/1-e-tampered:2,S  2026-11-28 10:00  alice@example.org  good  [signed, ALTERED after signing]
cur/1-f-plain:2,S  2026-11-28 11:00  carol@example.org  plain  [not signed]
cur/1-g-enc-bob:2,S  2026-11-29 01:00  alice@example.org  secret  [encrypted, signed, trusted]
cur/1-h-enc-carol:2,S  2026-11-29 01:00  alice@example.org  secret  [encrypted (not for me)]
cur/1-i-huge-header:2,S  (cannot be read: a header block is larger than 1 MiB)
cur/1-j-long:2,S  2026-11-28 10:00  alice@example.org  long  [signed, trusted]
cur/1-k-damaged:2,S  2026-11-28 12:00  alice@example.org  damaged  [signed, signature NOT valid]
cur/2-a-good:2,S"
expect_out_contains "new/9-j-long:2,S  2026-11-28 10:00  alice@example.org  long  [signed, trusted]"

for w in 2 3; do
	begin_test "list --workers $w: the same lines in the same order (Maildir)"
	run sealmail --home "$H" list --workers "$w" "$MD"
	expect_exit 0
	expect_out "$one"
	expect_err ""
done

begin_test "list --json: the same document with 1 and 2 workers (Maildir)"
run sealmail --home "$H" --json list --workers 1 "$MD"
expect_exit 0
json1=$out
expect_json '[.version, .mailbox] | map(tostring) | join(" ")' "2 $MD"
[ "$(printf '%s' "$out" | jq '.messages | length')" = 99 ] || fail "not 99 messages"
[ "$(printf '%s' "$out" | jq -r '.messages[10] | [.id, .signature, .verdict, .state] | join(" ")')" = \
	"cur/1-k-damaged:2,S invalid danger signed, signature NOT valid" ] || fail "damaged: json fields differ"
run sealmail --home "$H" --json list --workers 2 "$MD"
expect_exit 0
expect_out "$json1"

begin_test "list: an mbox with 1 and 2 workers (large messages examined in turn)"
run sealmail --home "$H" list --workers 1 "$TMP/mbox"
expect_exit 0
mbox1=$out
[ "$(printf '%s\n' "$out" | wc -l)" -eq 99 ] || fail "not 99 lines"
expect_out_contains "9  (cannot be read: a header block is larger than 1 MiB)
10  2026-11-28 10:00  alice@example.org  long  [signed, trusted]
11  2026-11-28 12:00  alice@example.org  damaged  [signed, signature NOT valid]
12  2026-11-28 10:00  alice@example.org  good  [signed, trusted]"
run sealmail --home "$H" list --workers 2 "$TMP/mbox"
expect_exit 0
expect_out "$mbox1"
run sealmail --home "$H" --json list --workers 1 "$TMP/mbox"
json1=$out
run sealmail --home "$H" --json list --workers 2 "$TMP/mbox"
expect_exit 0
expect_out "$json1"

begin_test "list: the default worker count gives the same lines"
run sealmail --home "$H" list "$MD"
expect_exit 0
expect_out "$one"

begin_test "list: an empty Maildir with 2 workers"
mkdir -p "$TMP/empty/cur"
run sealmail --home "$H" list --workers 2 "$TMP/empty"
expect_exit 0
expect_out ""
run sealmail --home "$H" --json list --workers 2 "$TMP/empty"
expect_exit 0
expect_out "{\"version\":2,\"mailbox\":\"$TMP/empty\",\"messages\":[]}"

begin_test "list: a message that stops the listing stops it at the same place"
# Bob's key under a passphrase, none given: the first message encrypted
# for him ends the listing (exit 77) after the lines before it.
HP=$TMP/bob-passphrase
printf 'pass phrase\n' >"$TMP/pp"
setup "$HP" --passphrase-file "$TMP/pp" id import "$PKI/bob@example.org.crt" \
	"$PKI/bob@example.org.key"
mkdir -p "$TMP/stop/cur"
i=10
while [ $i -lt 70 ]; do
	cp "$M/a-good" "$TMP/stop/cur/$i-a"
	i=$((i + 1))
done
cp "$M/g-enc-bob" "$TMP/stop/cur/50-b"
run sealmail --home "$HP" list --workers 1 "$TMP/stop"
expect_exit 77
expect_err "sealmail: no passphrase given for the digital ID for bob@example.org"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 41 ] || fail "not the 41 lines before it"
stop1=$out
for w in 2 3; do
	run sealmail --home "$HP" list --workers "$w" "$TMP/stop"
	expect_exit 77
	expect_err "sealmail: no passphrase given for the digital ID for bob@example.org"
	expect_out "$stop1"
done
run sealmail --home "$HP" --passphrase-file "$TMP/pp" list --workers 2 "$TMP/stop"
expect_exit 0
expect_out_contains "50-b  2026-11-29 01:00  alice@example.org  secret  [encrypted, signed, signer not trusted]"

begin_test "list --workers: a number from 1 to 16"
for bad in 0 17 x 2x ""; do
	run sealmail --home "$H" list --workers "$bad" "$MD"
	expect_exit 64
	expect_err "sealmail list: --workers takes a number from 1 to 16 (see 'sealmail list --help')"
	expect_out ""
done

end_tests
