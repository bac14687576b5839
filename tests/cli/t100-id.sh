#!/bin/sh
# sealmail id create, list, show, export --cert, delete; lookup by prefix and
# address; the store's modes; a passphrase-protected key is unreadable
# without the passphrase.
. "$(dirname "$0")/lib.sh"

H=$TMP/home
printf 'correct horse battery\n' >"$TMP/pp"
printf 'wrong\n' >"$TMP/bad-pp"

begin_test "id create --no-passphrase makes an S/MIME certificate"
run sealmail --home "$H" id create --email Alice@Example.org --name "Alice Liddell" \
	--key p256 --no-passphrase
expect_exit 0
expect_out_contains "addresses:    alice@example.org"
expect_out_contains "name:         Alice Liddell"
expect_out_contains "key:          EC P-256, stored without a passphrase"
run sealmail --home "$H" id export alice@example.org
expect_exit 0
printf '%s\n' "$out" >"$TMP/alice.pem"
run openssl x509 -in "$TMP/alice.pem" -noout -text
expect_exit 0
expect_out_contains "email:alice@example.org"
expect_out_contains "E-mail Protection"
expect_out_contains "Digital Signature"
expect_out_contains "CA:FALSE"
expect_out_contains "Subject: CN = Alice Liddell"

begin_test "the store folder is 0700 and its files 0600"
[ "$(file_mode "$H")" = 700 ] || fail "home mode $(file_mode "$H")"
for f in "$H"/*; do
	[ "$(file_mode "$f")" = 600 ] || fail "$f mode $(file_mode "$f")"
done

begin_test "an unencrypted key is plain PKCS#8 in the database"
rm -f "$TMP/k.der"
sqlite3 "$H/store.db" "SELECT writefile('$TMP/k.der', key) FROM identities" >/dev/null
run openssl pkcs8 -inform DER -nocrypt -in "$TMP/k.der"
expect_exit 0
expect_out_contains "BEGIN PRIVATE KEY"

begin_test "id create with a passphrase stores the key encrypted"
run sealmail --home "$H" --passphrase-file "$TMP/pp" id create --email bob@example.org --days 30
expect_exit 0
expect_out_contains "key:          RSA 2048, protected by a passphrase"
rm -f "$TMP/k.der"
sqlite3 "$H/store.db" "SELECT writefile('$TMP/k.der', key) FROM identities i
	JOIN identity_addresses a ON a.identity_id = i.id
	WHERE a.address = 'bob@example.org'" >/dev/null
run openssl pkcs8 -inform DER -nocrypt -in "$TMP/k.der"
[ "$rc" -ne 0 ] || fail "openssl read the key without the passphrase"
expect_out_lacks "PRIVATE KEY"
run openssl asn1parse -inform DER -in "$TMP/k.der"
expect_exit 0
expect_out_contains ":PBES2"
expect_out_contains ":PBKDF2"
expect_out_contains ":hmacWithSHA256"
expect_out_contains ":aes-256-cbc"
# As PEM, the blob is an ENCRYPTED PRIVATE KEY, and the passphrase opens it.
run openssl pkcs8 -inform DER -in "$TMP/k.der" -passin "file:$TMP/pp" -topk8 \
	-v2 aes256 -passout pass:reexport
expect_exit 0
expect_out_contains "BEGIN ENCRYPTED PRIVATE KEY"
run openssl pkcs8 -inform DER -in "$TMP/k.der" -passin pass:wrong
[ "$rc" -ne 0 ] || fail "openssl read the key with a wrong passphrase"
run openssl pkcs8 -inform DER -in "$TMP/k.der" -passin "file:$TMP/pp"
expect_exit 0
expect_out_contains "BEGIN PRIVATE KEY"

begin_test "id create without a passphrase source fails and stores nothing"
run sealmail --home "$H" id list --json
before=$out
# setsid: no controlling terminal, so no prompt even when run from one.
run setsid -w "$SEALMAIL" --home "$H" id create --email carol@example.org
expect_exit 77
expect_err "sealmail: no passphrase given for the new digital ID for carol@example.org: give --passphrase-file FILE, or --no-passphrase to store the key unencrypted"
run setsid -w "$SEALMAIL" --home "$H" --password-file "$TMP/pp" id export alice@example.org --p12 "$TMP/x.p12"
expect_exit 0
run setsid -w "$SEALMAIL" --home "$H" id import "$TMP/x.p12" --no-passphrase
expect_exit 77
expect_err "sealmail: no passphrase given for $TMP/x.p12: give --password-file FILE"
run sealmail --home "$H" id list --json
[ "$out" = "$before" ] || fail "the store changed"

begin_test "id create refuses bad arguments"
run sealmail --home "$H" id create
expect_exit 64
expect_err_contains "needs --email"
run sealmail --home "$H" id create --email nobody --no-passphrase
expect_exit 64
expect_one_line_err
expect_err "sealmail: 'nobody' is not an e-mail address"
run sealmail --home "$H" id create --email x@example.org --key dsa1024 --no-passphrase
expect_exit 64
expect_err_contains "unknown key type 'dsa1024'"
run sealmail --home "$H" id create --email x@example.org --days 0 --no-passphrase
expect_exit 64
expect_err_contains "--days"

begin_test "id list: human and JSON"
run sealmail --home "$H" id list
expect_exit 0
[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] || fail "not two lines"
expect_out_contains "alice@example.org  (Alice Liddell)"
run sealmail --home "$H" id list --json
expect_exit 0
expect_json '.ids | length' 2
expect_json '.ids[0].addresses[0]' alice@example.org
expect_json '.ids[0].name' "Alice Liddell"
expect_json '.ids[0].key' "EC P-256"
expect_json '.ids[0].key_encrypted' false
expect_json '.ids[1].key_encrypted' true
expect_json '.ids[1].key' "RSA 2048"
expect_json '.ids[1].fingerprint | length' 64
expect_json '.ids[1].not_after | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' true
# --days 30: the certificate ends 30 days from now (give or take the run).
days=$(printf '%s' "$out" | jq '(.ids[1].not_after | fromdateiso8601) - now | . / 86400 | round')
[ "$days" = 30 ] || fail "bob's certificate ends in $days days, not 30"
ALICE=$(printf '%s' "$out" | jq -r '.ids[0].fingerprint')
BOB=$(printf '%s' "$out" | jq -r '.ids[1].fingerprint')

begin_test "id show by fingerprint, prefix (any case, colons) and address"
run sealmail --home "$H" id show "$ALICE" --json
expect_exit 0
expect_json .fingerprint "$ALICE"
prefix=$(printf '%s' "$BOB" | cut -c1-8 | tr 'a-f' 'A-F' | sed 's/\(..\)/\1:/g; s/:$//')
run sealmail --home "$H" id show "$prefix" --json
expect_exit 0
expect_json .fingerprint "$BOB"
run sealmail --home "$H" id show BOB@example.org
expect_exit 0
expect_out_contains "fingerprint:  $BOB"

begin_test "id show: unknown, too short, ambiguous"
run sealmail --home "$H" id show nobody@example.org
expect_exit 67
expect_err "sealmail: no digital ID for nobody@example.org"
run sealmail --home "$H" id show abc
expect_exit 64
expect_one_line_err
expect_err_contains "at least 4 digits"
run sealmail --home "$H" id show zzzz
expect_exit 64
expect_err_contains "is not a fingerprint or an e-mail address"
run sealmail --home "$H" --passphrase-file "$TMP/pp" id create --email bob@example.org --key p256
expect_exit 0
run sealmail --home "$H" id show bob@example.org
expect_exit 64
expect_err "sealmail: bob@example.org has 2 digital IDs: give a fingerprint instead"

begin_test "id export --cert prints the certificate only"
run sealmail --home "$H" id export "$BOB" --cert
expect_exit 0
expect_out_contains "BEGIN CERTIFICATE"
expect_out_lacks "PRIVATE"

begin_test "id export --p12 with a wrong key passphrase writes nothing"
printf 'export pw\n' >"$TMP/pw"
run sealmail --home "$H" --passphrase-file "$TMP/bad-pp" --password-file "$TMP/pw" \
	id export "$BOB" --p12 "$TMP/bob.p12"
expect_exit 77
expect_err "sealmail: wrong passphrase for the digital ID for bob@example.org"
[ ! -e "$TMP/bob.p12" ] || fail "a file was written"

begin_test "id export --p12 with no terminal and no passphrase file"
run setsid -w "$SEALMAIL" --home "$H" --password-file "$TMP/pw" id export "$BOB" --p12 "$TMP/bob.p12"
expect_exit 77
expect_err "sealmail: no passphrase given for the digital ID for bob@example.org: give --passphrase-file FILE"
[ ! -e "$TMP/bob.p12" ] || fail "a file was written"

begin_test "id delete"
run sealmail --home "$H" id delete "$BOB"
expect_exit 0
expect_out "deleted digital ID $BOB (bob@example.org)"
run sealmail --home "$H" id show "$BOB"
expect_exit 67
run sealmail --home "$H" id list --json
expect_json '.ids | length' 2

begin_test "usage errors"
run sealmail --home "$H" id frob
expect_exit 64
run sealmail --home "$H" id show
expect_exit 64
run sealmail --home "$H" id export "$ALICE" --legacy
expect_exit 64
expect_err_contains "--legacy goes with --p12"
run sealmail --home "$H" id --help
expect_exit 0
expect_out_contains "usage: sealmail id create"

end_tests
