#!/bin/sh
# Downgrade (issue 6): sealmail never writes a weak algorithm. protect has
# no way to ask for 3DES, DES, RC2, MD5 or SHA-1, and every message it
# writes (RSA and EC keys, each cipher, signed, encrypted, both) names only
# AES content encryption, SHA-256 or stronger digests, RSAES-OAEP with
# SHA-256 and ECDH with the SHA-256 KDF. X25519 recipients are refused
# with "algorithm not supported" (OpenSSL 3.0 CMS cannot encrypt to them).
. "$(dirname "$0")/lib.sh"

PKI=$TEST_DATA/pki
HA=$TMP/alice
HC=$TMP/carol

sm_a() { run sealmail --home "$HA" "$@"; }

sm_a id import "$PKI/alice@example.org.crt" "$PKI/alice@example.org.key" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: alice: $errout"; exit 1; }
run sealmail --home "$HC" id import "$PKI/carol@example.org.crt" "$PKI/carol@example.org.key" --no-passphrase
[ "$rc" -eq 0 ] || { echo "setup: carol: $errout"; exit 1; }
for p in bob carol dave xavier; do
	sm_a book add "$PKI/$p@example.org.crt"
	[ "$rc" -eq 0 ] || { echo "setup: book add $p: $errout"; exit 1; }
	sm_a book trust "$p@example.org" trusted
	[ "$rc" -eq 0 ] || { echo "setup: trust $p: $errout"; exit 1; }
done

mail() { # FILE TO
	printf 'From: Alice <alice@example.org>\r\nTo: %s\r\nSubject: lunch\r\nDate: Sun, 29 Nov 2026 01:00:00 +0000\r\n\r\nThe eagle lands at noon.\r\n' "$2" >"$1"
}
mail "$TMP/m.eml" "bob@example.org, carol@example.org, dave@example.org"
mail "$TMP/x.eml" "bob@example.org, xavier@example.org"

begin_test "no weak cipher can be asked for"
for c in des des3 3des des-ede3-cbc rc2 rc2-40 rc2-40-cbc rc4; do
	run sealmail --home "$HA" protect --encrypt --cipher "$c" -o "$TMP/weak" "$TMP/m.eml"
	expect_exit 64
	expect_err_contains "unknown cipher '$c' (auto, aes-256-gcm, aes-128-gcm, aes-256-cbc, aes-128-cbc)"
	[ ! -e "$TMP/weak" ] || fail "--cipher $c wrote $TMP/weak"
	sm_a account set alice@example.org "cipher=$c"
	expect_exit 64
	expect_err_contains "bad value '$c' for cipher"
done

begin_test "no digest can be asked for"
for o in --md --digest --micalg; do
	sm_a protect --sign "$o" md5 -o "$TMP/weak" "$TMP/m.eml"
	expect_exit 64
	expect_err_contains "unknown option"
	[ ! -e "$TMP/weak" ] || fail "$o wrote $TMP/weak"
done

# algorithms FILE: the algorithm lines of the CMS structure in FILE (S/MIME)
algorithms() {
	openssl cms -cmsout -print -in "$1" 2>/dev/null | grep -i 'algorithm: [a-z]\|OBJECT *:'
}
# weak_free FILE WHAT: no weak algorithm named in FILE's CMS structure
weak_free() {
	_a=$(algorithms "$1")
	[ -n "$_a" ] || { fail "$2: no CMS structure"; return; }
	if printf '%s\n' "$_a" | grep -Eiq 'des|rc2|rc4|md5|sha1|sha-1'; then
		fail "$2 names a weak algorithm: $(printf '%s\n' "$_a" | grep -Ei 'des|rc2|rc4|md5|sha1|sha-1' | head -3)"
	fi
}

begin_test "signed messages: SHA-256 or stronger, capabilities without weak ciphers"
for mode in clear opaque; do
	sm_a account set alice@example.org "signing=$mode"
	sm_a protect --sign --no-encrypt -o "$TMP/s-$mode.eml" "$TMP/m.eml"
	expect_exit 0
	if [ "$mode" = clear ]; then
		sed -n '/^Content-Type: application\/pkcs7-signature/,$p' "$TMP/s-$mode.eml" |
			sed '1,/^\r*$/d; /^--/,$d' | openssl base64 -d >"$TMP/s.der"
		openssl cms -cmsout -print -inform DER -in "$TMP/s.der" | grep -i 'algorithm: [a-z]\|OBJECT *:' >"$TMP/algs"
	else
		algorithms "$TMP/s-$mode.eml" >"$TMP/algs"
	fi
	grep -q 'sha256' "$TMP/algs" || fail "$mode: no SHA-256"
	grep -q 'rsaesOaep' "$TMP/algs" || fail "$mode: RSAES-OAEP not in SMIMECapabilities"
	if grep -Eiq 'des|rc2|rc4|md5|sha1' "$TMP/algs"; then
		fail "$mode: weak algorithm: $(grep -Ei 'des|rc2|rc4|md5|sha1' "$TMP/algs" | head -3)"
	fi
done
sm_a account set alice@example.org signing=clear

begin_test "encrypted messages: AES, OAEP-SHA-256, ECDH with the SHA-256 KDF"
for c in aes-256-gcm aes-128-gcm aes-256-cbc aes-128-cbc; do
	for oaep in "" --oaep; do
		sm_a protect --encrypt --no-sign --cipher "$c" $oaep -o "$TMP/e.eml" "$TMP/m.eml"
		expect_exit 0
		weak_free "$TMP/e.eml" "--cipher $c $oaep"
		algorithms "$TMP/e.eml" >"$TMP/algs"
		grep -qi "algorithm: $c " "$TMP/algs" || fail "$c: content cipher not named"
		[ "$(grep -c 'dhSinglePass-stdDH-sha256kdf-scheme' "$TMP/algs")" -eq 2 ] ||
			fail "$c: ECDH for carol and dave without the SHA-256 KDF"
		if [ -n "$oaep" ]; then
			grep -q 'rsaesOaep' "$TMP/algs" || fail "$c --oaep: no RSAES-OAEP"
		fi
	done
	# signed and encrypted: the signature inside too
	sm_a protect --encrypt --sign --cipher "$c" -o "$TMP/se.eml" "$TMP/m.eml"
	expect_exit 0
	weak_free "$TMP/se.eml" "--sign --cipher $c"
	openssl cms -decrypt -in "$TMP/se.eml" -inkey "$PKI/bob@example.org.key" \
		-recip "$PKI/bob@example.org.crt" -out "$TMP/inner.eml" 2>/dev/null ||
		fail "$c: openssl cannot decrypt for bob"
	sed -n '/^Content-Type: application\/pkcs7-signature/,$p' "$TMP/inner.eml" |
		sed '1,/^\r*$/d; /^--/,$d' | openssl base64 -d >"$TMP/s.der"
	openssl cms -cmsout -print -inform DER -in "$TMP/s.der" | grep -i 'algorithm: [a-z]\|OBJECT *:' >"$TMP/algs"
	grep -q sha256 "$TMP/algs" || fail "$c: inner signature not SHA-256"
	grep -Eiq 'des|rc2|rc4|md5|sha1' "$TMP/algs" && fail "$c: inner signature names a weak algorithm"
done

begin_test "RSA-OAEP (SHA-256) and ECDH (SHA-256 KDF): openssl and sealmail decrypt"
sm_a protect --encrypt --no-sign --oaep --cipher aes-256-cbc -o "$TMP/o.eml" "$TMP/m.eml"
expect_exit 0
for p in bob carol dave; do
	run openssl cms -decrypt -in "$TMP/o.eml" -inkey "$PKI/$p@example.org.key" -recip "$PKI/$p@example.org.crt"
	expect_exit 0
	expect_out_contains "The eagle lands at noon."
done
run sealmail --home "$HC" --json open -o "$TMP/read" "$TMP/o.eml"
expect_exit 1
expect_json '.encryption.decrypted_by != null' true
grep -q 'The eagle lands at noon.' "$TMP/read" || fail "carol cannot read it"

begin_test "open reads openssl's RSA-OAEP with SHA-256 and ECDH with the SHA-256 KDF"
printf 'Content-Type: text/plain\r\n\r\nThe eagle lands at noon.\r\n' >"$TMP/part.txt"
openssl cms -encrypt -binary -aes-256-gcm -in "$TMP/part.txt" -out "$TMP/ossl.p7m" \
	-recip "$PKI/alice@example.org.crt" -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256 \
	-recip "$PKI/carol@example.org.crt" -keyopt ecdh_kdf_md:sha256 ||
	fail "openssl cms -encrypt"
{
	printf 'From: bob@example.org\r\nTo: alice@example.org\r\nSubject: s\r\n'
	sed -n '/^MIME-Version/,$p' "$TMP/ossl.p7m"
} >"$TMP/ossl.eml"
for h in "$HA" "$HC"; do
	run sealmail --home "$h" --json open -o "$TMP/ossl.out" "$TMP/ossl.eml"
	expect_exit 0
	expect_json '.encryption.decrypted_by != null' true
	grep -q 'The eagle lands at noon.' "$TMP/ossl.out" || fail "$h: not decrypted"
done

begin_test "an X25519 recipient: refused, algorithm not supported, nothing written"
sm_a protect --encrypt --no-sign -o "$TMP/x.out" "$TMP/x.eml"
expect_exit 4
expect_err_contains "xavier@example.org (algorithm not supported: sealmail encrypts to RSA and EC keys, not X25519 or X448)"
[ ! -e "$TMP/x.out" ] || fail "refusal wrote $TMP/x.out"

end_tests
