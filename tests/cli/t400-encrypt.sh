#!/bin/sh
# Encrypted mail (issue 4, "How it is checked"): recipient policy with every
# problem listed at once, encrypt-to-self, Bcc privacy, open decrypting with
# the right ID, a GCM byte flip, a message for someone else, and openssl
# reading what we wrote.
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HB=$TMP/bob
HN=$TMP/noid

sm_a() { run sealmail --home "$HA" "$@"; }
sm_b() { run sealmail --home "$HB" "$@"; }

# Alice and Bob, each with their own ID; Alice knows Bob's certificate
# (not yet trusted) and Carol's name but no certificate of hers.
sm_a id import "$PKI/alice@example.org.crt" "$PKI/alice@example.org.key" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: alice import: $errout"; exit 1; }
sm_b id import "$PKI/bob@example.org.crt" "$PKI/bob@example.org.key" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: bob import: $errout"; exit 1; }
sm_a book add "$PKI/bob@example.org.crt"
[ "$rc" -eq 0 ] || { echo "setup: book add: $errout"; exit 1; }

mail() { # FILE TO [CC] [BCC]
	{
		echo "From: Alice <alice@example.org>"
		echo "To: $2"
		[ -n "${3-}" ] && echo "Cc: $3"
		[ -n "${4-}" ] && echo "Bcc: $4"
		echo "Subject: lunch"
		echo "Date: Sun, 29 Nov 2026 01:00:00 +0000"
		echo "Message-ID: <t400@example.org>"
		echo
		echo "The eagle lands at noon."
	} >"$1"
}

mail "$TMP/to-bob" bob@example.org
mail "$TMP/to-bob-carol" bob@example.org carol@example.org

begin_test "Bob not trusted: exit 4 naming bob and 'not trusted', nothing written"
sm_a protect --encrypt -o "$TMP/out1" "$TMP/to-bob"
expect_exit 4
expect_err_contains "bob@example.org"
expect_err_contains "not trusted"
[ ! -e "$TMP/out1" ] || fail "refusal wrote $TMP/out1"

begin_test "Bob not trusted and Carol without certificate: both in one error"
sm_a protect --encrypt -o "$TMP/out2" "$TMP/to-bob-carol"
expect_exit 4
expect_err_contains "bob@example.org (not trusted)"
expect_err_contains "carol@example.org (no certificate)"
[ "$(printf '%s\n' "$errout" | grep -c '^  ')" -eq 2 ] ||
	fail "expected one indented line per recipient"
[ ! -e "$TMP/out2" ] || fail "refusal wrote $TMP/out2"

sm_a book trust bob@example.org trusted
[ "$rc" -eq 0 ] || fail "book trust: $errout"

begin_test "after trusting Bob: written as enveloped-data for Bob and Alice"
sm_a protect --encrypt --cipher aes-256-cbc -o "$TMP/cbc.eml" "$TMP/to-bob"
expect_exit 0
grep -q '^Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m' "$TMP/cbc.eml" ||
	fail "no enveloped-data Content-Type"
grep -q '^Subject: lunch' "$TMP/cbc.eml" || fail "outer Subject lost"
grep -q 'eagle' "$TMP/cbc.eml" && fail "plaintext visible"

begin_test "openssl cms -decrypt with Bob's key reads what Alice wrote"
run openssl cms -decrypt -in "$TMP/cbc.eml" -inkey "$PKI/bob@example.org.key" \
	-recip "$PKI/bob@example.org.crt"
expect_exit 0
expect_out_contains "The eagle lands at noon."

begin_test "Bob opens it: decrypted, CBC without signature is a warning"
sm_b open --json -o "$TMP/read-b" "$TMP/cbc.eml"
expect_exit 1
expect_json '.encryption.algorithm' "AES-256-CBC"
expect_json '.encryption.authenticated' "false"
expect_json '.encryption.recipients | length' "2"
grep -q "The eagle lands at noon." "$TMP/read-b" || fail "Bob's -o lacks the text"
sm_b open "$TMP/cbc.eml"
expect_out_contains "not protected against tampering"

begin_test "Alice opens her own sent copy"
sm_a open --json -o "$TMP/read-a" "$TMP/cbc.eml"
expect_exit 1
[ "$(printf '%s' "$out" | jq -r '.encryption.decrypted_by')" != null ] ||
	fail "decrypted_by is null"
grep -q "The eagle lands at noon." "$TMP/read-a" || fail "Alice's -o lacks the text"

begin_test "sign and encrypt: Bob opens with exit 0 once Alice is trusted"
sm_b book add "$PKI/alice@example.org.crt"
sm_b book trust alice@example.org trusted
sm_b ca add "$PKI/intermediate-ca.crt"
sm_a protect --sign --encrypt -o "$TMP/se.eml" "$TMP/to-bob"
expect_exit 0
sm_b open --json "$TMP/se.eml"
expect_exit 0
expect_json '.encryption.authenticated | type' "boolean"
expect_json '.signatures | length' "1"

# flip_der EML BACK OUT: OUT is the S/MIME message EML with one bit of its
# DER body flipped, BACK bytes before the DER's end (headers kept)
flip_der() {
	sed '1,/^\r\{0,1\}$/d' "$1" | tr -d '\r' | openssl base64 -d >"$3.der"
	_off=$(($(wc -c <"$3.der") - $2))
	_b=$(od -An -tu1 -j "$_off" -N1 "$3.der" | tr -d ' ')
	{
		head -c "$_off" "$3.der"
		printf "\\$(printf '%03o' $((_b ^ 1)))"
		tail -c +$((_off + 2)) "$3.der"
	} >"$3.bad-der"
	{
		sed -n '1,/^\r\{0,1\}$/p' "$1"
		openssl base64 -in "$3.bad-der"
	} >"$3"
}

begin_test "GCM: one ciphertext byte flipped -> exit 2, nothing written"
sm_a protect --encrypt --cipher aes-256-gcm -o "$TMP/gcm.eml" "$TMP/to-bob"
expect_exit 0
grep -q 'smime-type=authEnveloped-data' "$TMP/gcm.eml" || fail "not authEnveloped-data"
flip_der "$TMP/gcm.eml" 60 "$TMP/gcm-bad.eml"
sm_b open -o "$TMP/gcm-read" "$TMP/gcm-bad.eml"
expect_exit 2
[ ! -e "$TMP/gcm-read" ] || fail "tag failure wrote $TMP/gcm-read"
sm_b open -o - "$TMP/gcm-bad.eml"
expect_exit 2
expect_out ""
sm_b open -o "$TMP/gcm-good" "$TMP/gcm.eml"
expect_exit 0
expect_out_contains "verdict: encrypted, not signed"
expect_out_lacks "verdict: good"
grep -q "The eagle lands at noon." "$TMP/gcm-good" || fail "good GCM copy unreadable"
sm_b open --json "$TMP/gcm.eml"
expect_exit 0
expect_json .verdict not-signed
expect_json .encryption.authenticated true

# Over 1 MiB decrypted and no -o: a leaf part keeps only its first MiB
# (the rest is decrypted and authenticated, not written); what needs its
# body (a signature inside) keeps it all.
{
	echo "From: Alice <alice@example.org>"
	echo "To: bob@example.org"
	echo "Subject: big"
	echo
	head -c 1500000 /dev/zero | tr '\0' 'a' | fold -w 76
} >"$TMP/big"

begin_test "over 1 MiB GCM, no -o: the same report as with -o; a byte flipped past the first MiB is still caught"
sm_a protect --encrypt --cipher aes-256-gcm -o "$TMP/big.eml" "$TMP/big"
expect_exit 0
sm_b open --json -o "$TMP/big-read" "$TMP/big.eml"
expect_exit 0
with_o=$out
sm_b open --json "$TMP/big.eml"
expect_exit 0
[ "$out" = "$with_o" ] || fail "the report differs without -o"
expect_json .verdict not-signed
flip_der "$TMP/big.eml" 200000 "$TMP/big-bad.eml"
sm_b open --json "$TMP/big-bad.eml"
expect_exit 2
expect_json '[.findings[].code] | join(",")' tag-mismatch
# -o -: the same bytes as -o FILE; nothing when the tag fails
"$SEALMAIL" --home "$HB" open -o - "$TMP/big.eml" >"$TMP/big-std" 2>/dev/null
[ $? -eq 0 ] || fail "-o -: another exit"
expect_same_file "$TMP/big-std" "$TMP/big-read"
sm_b open -o - "$TMP/big-bad.eml"
expect_exit 2
expect_out ""

begin_test "over 1 MiB signed and encrypted, no -o: the signature inside is checked whole"
sm_a protect --sign --encrypt --cipher aes-256-gcm -o "$TMP/big-se.eml" "$TMP/big"
expect_exit 0
sm_b open --json "$TMP/big-se.eml"
expect_exit 0
expect_json '.signatures[0].state' valid
expect_json .coverage full

begin_test "a message for Carol opened by Bob: exit 3 naming Carol's certificate"
sm_a book add "$PKI/carol@example.org.crt"
sm_a book trust carol@example.org trusted
sm_b book add "$PKI/carol@example.org.crt"
mail "$TMP/to-carol" carol@example.org
sm_a protect --encrypt -o "$TMP/carol.eml" "$TMP/to-carol"
expect_exit 0
sm_b open "$TMP/carol.eml"
expect_exit 3
expect_out_contains "this message was not encrypted for any of your digital IDs"
expect_out_contains "CN=carol"
fp=$(openssl x509 -in "$PKI/carol@example.org.crt" -outform DER | sha256sum | cut -c1-64)
expect_out_contains "$fp"

begin_test "Bcc: one copy per Bcc recipient, no Bcc header, no Bcc RecipientInfo"
mail "$TMP/bcc" bob@example.org "" carol@example.org
sm_a protect --encrypt -o "$TMP/bcc.eml" "$TMP/bcc"
expect_exit 0
[ -f "$TMP/bcc.eml.bcc1" ] || fail "no $TMP/bcc.eml.bcc1"
[ ! -e "$TMP/bcc.eml.bcc2" ] || fail "too many copies"
grep -qi '^Bcc:' "$TMP/bcc.eml" "$TMP/bcc.eml.bcc1" && fail "a Bcc header was written"
run openssl cms -decrypt -in "$TMP/bcc.eml" -inkey "$PKI/carol@example.org.key" \
	-recip "$PKI/carol@example.org.crt"
[ "$rc" -ne 0 ] || fail "Carol can read the visible copy"
run openssl cms -decrypt -in "$TMP/bcc.eml.bcc1" -inkey "$PKI/carol@example.org.key" \
	-recip "$PKI/carol@example.org.crt"
expect_exit 0
expect_out_contains "The eagle lands at noon."
run openssl cms -decrypt -in "$TMP/bcc.eml.bcc1" -inkey "$PKI/bob@example.org.key" \
	-recip "$PKI/bob@example.org.crt"
[ "$rc" -ne 0 ] || fail "Bob can read Carol's Bcc copy"

begin_test "no encryption certificate of my own: exit 5 without --yes"
run sealmail --home "$HN" book add "$PKI/bob@example.org.crt"
run sealmail --home "$HN" book trust bob@example.org trusted
run sealmail --home "$HN" protect --encrypt -o "$TMP/noid.eml" "$TMP/to-bob"
expect_exit 5
expect_err_contains "not be able to read it"
[ ! -e "$TMP/noid.eml" ] || fail "declined protect wrote a file"
run sealmail --home "$HN" protect --encrypt --yes -o "$TMP/noid.eml" "$TMP/to-bob"
expect_exit 0
[ -s "$TMP/noid.eml" ] || fail "--yes wrote nothing"

begin_test "a sign-only digital ID is no encryption certificate: exit 5 without --yes"
HS=$TMP/signonly
run sealmail --home "$HS" id import "$PKI/signonly@example.org.crt" "$PKI/signonly@example.org.key" --no-passphrase
expect_exit 0
run sealmail --home "$HS" book add "$PKI/bob@example.org.crt"
run sealmail --home "$HS" book trust bob@example.org trusted
printf 'From: signonly@example.org\nTo: bob@example.org\nSubject: s\n\nThe eagle lands at noon.\n' >"$TMP/so.eml"
run sealmail --home "$HS" protect --encrypt -o "$TMP/so.out" "$TMP/so.eml"
expect_exit 5
expect_err_contains "you have no encryption certificate for signonly@example.org"
[ ! -e "$TMP/so.out" ] || fail "declined protect wrote a file"
run sealmail --home "$HS" protect --encrypt --yes -o "$TMP/so.out" "$TMP/so.eml"
expect_exit 0
[ "$(openssl cms -cmsout -print -in "$TMP/so.out" | grep -c 'issuerAndSerialNumber')" -eq 1 ] ||
	fail "the sign-only certificate became a recipient"

begin_test "--oaep: RSA-OAEP RecipientInfos that openssl decrypts"
sm_a protect --encrypt --oaep -o "$TMP/oaep.eml" "$TMP/to-bob"
expect_exit 0
run openssl cms -decrypt -in "$TMP/oaep.eml" -inkey "$PKI/bob@example.org.key" \
	-recip "$PKI/bob@example.org.crt"
expect_exit 0
expect_out_contains "The eagle lands at noon."
sm_b open --json "$TMP/oaep.eml"
expect_json '[.encryption.recipients[]] | length' "2"

begin_test "a message to yourself has one RecipientInfo for your certificate, not two"
sm_a book add "$PKI/alice@example.org.crt"
sm_a book trust alice@example.org trusted
[ "$rc" -eq 0 ] || fail "book trust alice: $errout"
mail "$TMP/to-alice" alice@example.org
sm_a protect --encrypt -o "$TMP/self.eml" "$TMP/to-alice"
expect_exit 0
[ "$(openssl cms -cmsout -print -in "$TMP/self.eml" | grep -c 'issuerAndSerialNumber')" -eq 1 ] ||
	fail "encrypt-to-self added the recipient's own certificate again"
sm_a open --json -o "$TMP/self.out" "$TMP/self.eml"
expect_exit 1
expect_json '[.encryption.recipients[]] | length' "1"
grep -q "The eagle lands at noon." "$TMP/self.out" || fail "alice cannot read her message to herself"

begin_test "bad --cipher is a usage error"
sm_a protect --encrypt --cipher des-ede3-cbc "$TMP/to-bob"
expect_exit 64

begin_test "cipher auto: AES-256-GCM once Bob's signed mail showed he supports it"
sm_a protect --encrypt -o "$TMP/auto-cbc.eml" "$TMP/to-bob"
expect_exit 0
grep -q 'smime-type=enveloped-data' "$TMP/auto-cbc.eml" ||
	fail "auto without known capabilities is not CBC"
mail "$TMP/to-alice" alice@example.org
sed -i 's/^From: Alice <alice@example.org>/From: bob@example.org/' "$TMP/to-alice"
sm_b protect --sign -o "$TMP/from-bob.eml" "$TMP/to-alice"
expect_exit 0
sm_a open --add-cert "$TMP/from-bob.eml"
sm_a protect --encrypt -o "$TMP/auto-gcm.eml" "$TMP/to-bob"
expect_exit 0
grep -q 'smime-type=authEnveloped-data' "$TMP/auto-gcm.eml" ||
	fail "auto with Bob's SMIMECapabilities is not GCM"

begin_test "account encrypt-all: protect encrypts without --encrypt; --no-encrypt overrides"
sm_a account set alice@example.org encrypt-all=yes
expect_exit 0
sm_a protect -o "$TMP/all.eml" "$TMP/to-bob"
expect_exit 0
grep -q 'application/pkcs7-mime' "$TMP/all.eml" || fail "encrypt-all did not encrypt"
sm_a protect --no-encrypt --sign -o "$TMP/none.eml" "$TMP/to-bob"
expect_exit 0
grep -q 'application/pkcs7-mime; smime-type=enveloped' "$TMP/none.eml" &&
	fail "--no-encrypt still encrypted"
grep -q 'multipart/signed' "$TMP/none.eml" || fail "--sign did not sign"

begin_test "small decrypted content stays in memory: a missing TMPDIR changes nothing"
mkdir "$TMP/tmpdir"
TMPDIR=$TMP/tmpdir sm_b open "$TMP/auto-gcm.eml"
expect_exit 0
expect_out_contains "verdict: encrypted, not signed"
[ -z "$(ls -A "$TMP/tmpdir")" ] || fail "something was left in \$TMPDIR"
TMPDIR=$TMP/no-such-dir sm_b open -o "$TMP/small-plain" "$TMP/auto-gcm.eml"
expect_exit 0
grep -q '^The eagle lands at noon.' "$TMP/small-plain" ||
	fail "the small plaintext is not in the -o file"

# multipart: the walk reads the content, which so goes to the private
# file (a leaf is written straight to the readable message: t405)
begin_test "decrypted content over 1 MiB goes to \$TMPDIR's private folder, removed after; a missing TMPDIR is exit 74"
{
	sed '/^$/q' "$TMP/to-bob" | sed '/^$/d'
	echo "MIME-Version: 1.0"
	echo "Content-Type: multipart/mixed; boundary=b"
	echo
	echo "--b"
	echo "Content-Type: text/plain"
	echo
	i=0
	while [ $i -lt 20000 ]; do # 20000 x 76 bytes: 1.45 MiB
		echo "$i the eagle lands at noon, the eagle lands at noon, the eagle lands"
		i=$((i + 1))
	done
	echo "--b--"
} | cut -c1-75 >"$TMP/to-bob-big"
sm_a protect --encrypt -o "$TMP/big-gcm.eml" "$TMP/to-bob-big"
expect_exit 0
TMPDIR=$TMP/tmpdir sm_b open -o "$TMP/big-plain" "$TMP/big-gcm.eml"
expect_exit 0
expect_out_contains "verdict: encrypted, not signed"
tr -d '\r' <"$TMP/big-plain" | sed '1,/^$/d' >"$TMP/big-body"
sed '1,/^$/d' "$TMP/to-bob-big" | cmp -s - "$TMP/big-body" ||
	fail "the big plaintext's body differs from what was encrypted"
[ -z "$(ls -A "$TMP/tmpdir")" ] || fail "the private folder was left in \$TMPDIR"
TMPDIR=$TMP/tmpdir "$SEALMAIL" --home "$HB" open -o - "$TMP/big-gcm.eml" \
	>"$TMP/big-std2" 2>/dev/null
[ $? -eq 0 ] || fail "-o -: another exit"
expect_same_file "$TMP/big-std2" "$TMP/big-plain"
[ -z "$(ls -A "$TMP/tmpdir")" ] || fail "-o - left a file in \$TMPDIR"
TMPDIR=$TMP/no-such-dir sm_b open -o "$TMP/big-plain2" "$TMP/big-gcm.eml"
expect_exit 74
expect_err_contains "cannot create a private folder in $TMP/no-such-dir"
[ ! -e "$TMP/big-plain2" ] || fail "a failed open wrote its -o file"

end_tests
