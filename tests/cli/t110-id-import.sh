#!/bin/sh
# sealmail id import (PKCS#12, PEM in one or two files) and export --p12,
# read back by openssl and gpgsm; every bad input gives one line, a sysexits
# code, and leaves the store as it was.
. "$(dirname "$0")/lib.sh"

H=$TMP/home
D=$TMP/data
mkdir -p "$D"
printf 'p12 secret\n' >"$D/pw"
printf 'not it\n' >"$D/bad-pw"
printf 'key passphrase\n' >"$D/pp"
printf 'test\n' >"$D/pw-test"

# make_id NAME EMAIL [extra req args]: NAME.key and NAME.crt
make_id() {
	_n=$1
	_e=$2
	shift 2
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$D/$_n.key" -out "$D/$_n.crt" -days 30 \
		-subj "/CN=$_n/emailAddress=$_e" \
		-addext "subjectAltName=email:$_e" \
		-addext "extendedKeyUsage=emailProtection" \
		-addext "keyUsage=digitalSignature,keyAgreement" "$@" 2>/dev/null ||
		{ echo "openssl req failed" >&2; exit 1; }
}

make_id Dave dave@example.org
make_id Erin erin@example.org
make_id Frank frank@example.org
make_id Grace grace@example.org
openssl pkcs12 -export -in "$D/Dave.crt" -inkey "$D/Dave.key" -name "Dave" \
	-out "$D/dave.p12" -passout "file:$D/pw" || exit 1
openssl pkcs12 -export -in "$D/Grace.crt" -inkey "$D/Grace.key" \
	-out "$D/grace-legacy.p12" -passout "file:$D/pw" -legacy \
	-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$D/nomail.key" -out "$D/nomail.crt" -days 30 \
	-subj "/CN=No Mail" 2>/dev/null || exit 1
cat "$D/nomail.crt" "$D/nomail.key" >"$D/nomail.pem"
cat "$D/Erin.crt" "$D/Erin.key" >"$D/erin.pem"
openssl pkey -in "$D/Frank.key" -out "$D/frank-enc.key" -aes256 \
	-passout "file:$D/pp" || exit 1
head -c 2000 /dev/urandom >"$D/garbage.p12"
size=$(wc -c <"$D/dave.p12")
head -c $((size / 2)) "$D/dave.p12" >"$D/truncated.p12"

# The store's IDs as JSON, to prove a failure changed nothing.
snapshot() {
	"$SEALMAIL" --home "$H" id list --json
}

begin_test "a .p12 from openssl pkcs12 -export imports with --password-file"
run sealmail --home "$H" --password-file "$D/pw" --passphrase-file "$D/pp" \
	id import "$D/dave.p12" --json
expect_exit 0
expect_json '.addresses[0]' dave@example.org
expect_json '.name' Dave
expect_json '.key_encrypted' true
expect_json '.fingerprint' "$(openssl x509 -in "$D/Dave.crt" -outform DER |
	openssl dgst -sha256 -r | cut -c1-64)"

begin_test "importing an ID creates its account with the defaults"
run sealmail --home "$H" account show dave@example.org --json
expect_exit 0
expect_json '.settings["sign-all"]' false
expect_json '.settings["include-cert"]' true
expect_json '.settings.cipher' auto

begin_test "a legacy (3DES, SHA-1 MAC) .p12 imports"
run sealmail --home "$H" --password-file "$D/pw" id import "$D/grace-legacy.p12" \
	--no-passphrase --json
expect_exit 0
expect_json '.addresses[0]' grace@example.org
expect_json '.key_encrypted' false

begin_test "PEM certificate and key in one file"
run sealmail --home "$H" id import "$D/erin.pem" --no-passphrase --json
expect_exit 0
expect_json '.addresses[0]' erin@example.org

begin_test "PEM certificate and encrypted key in two files"
run sealmail --home "$H" --passphrase-file "$D/pp" id import "$D/Frank.crt" "$D/frank-enc.key" --json
expect_exit 0
expect_json '.addresses[0]' frank@example.org
expect_json '.key_encrypted' true

before=$(snapshot)
[ "$(printf '%s' "$before" | jq '.ids | length')" = 4 ] || echo "setup: expected 4 IDs" >&2

# bad_input CODE MESSAGE-PART ARGS...: exit CODE, one line naming the
# problem, the store unchanged.
bad_input() {
	_code=$1
	_msg=$2
	shift 2
	run sealmail --home "$H" "$@"
	expect_exit "$_code"
	expect_one_line_err
	expect_err_contains "$_msg"
	[ "$(snapshot)" = "$before" ] || fail "the store changed"
}

begin_test "garbage PKCS#12"
bad_input 65 "garbage.p12" --password-file "$D/pw" id import "$D/garbage.p12" --no-passphrase

begin_test "truncated PKCS#12"
bad_input 65 "truncated.p12" --password-file "$D/pw" id import "$D/truncated.p12" --no-passphrase

begin_test "wrong PKCS#12 password"
bad_input 77 "wrong password for $D/dave.p12" --password-file "$D/bad-pw" \
	id import "$D/dave.p12" --no-passphrase

begin_test "PEM with no key"
bad_input 65 "no private key in $D/Erin.crt" id import "$D/Erin.crt" --no-passphrase

begin_test "key that does not match the certificate"
bad_input 65 "does not match" id import "$D/Erin.crt" "$D/Dave.key" --no-passphrase
bad_input 65 "does not match" id import "$D/Erin.crt" "$D/frank-enc.key" \
	--passphrase-file "$D/pp" --no-passphrase

begin_test "wrong passphrase for an encrypted PEM key"
bad_input 77 "wrong passphrase" id import "$D/Frank.crt" "$D/frank-enc.key" \
	--passphrase-file "$D/bad-pw" --no-passphrase

begin_test "certificate with no e-mail address"
bad_input 65 "names no e-mail address" id import "$D/nomail.pem" --no-passphrase

begin_test "an ID already in the store"
bad_input 65 "already in the store" id import "$D/erin.pem" --no-passphrase

begin_test "a missing file"
bad_input 66 "$D/missing.p12" id import "$D/missing.p12"

# gpgsm 2.2 reads RSA keys from PKCS#12 (and crashes on EC ones): export
# an RSA ID from the test PKI.
run sealmail --home "$H" --password-file "$D/pw-test" \
	--passphrase-file "$D/pp" id import "$TEST_DATA/pki/bob@example.org.p12" --json
BOB=$(printf '%s' "$out" | jq -r .fingerprint)
before=$(snapshot)

begin_test "export --p12 (default) reads back with openssl"
printf 'export pw\n' >"$D/xpw"
run sealmail --home "$H" --passphrase-file "$D/pp" --password-file "$D/xpw" \
	id export "$BOB" --p12 "$TMP/out.p12"
expect_exit 0
expect_out ""
[ "$(file_mode "$TMP/out.p12")" = 600 ] || fail "out.p12 mode $(file_mode "$TMP/out.p12")"
run openssl pkcs12 -in "$TMP/out.p12" -passin "file:$D/xpw" -nodes
expect_exit 0
expect_out_contains "BEGIN PRIVATE KEY"
expect_out_contains "BEGIN CERTIFICATE"
run openssl pkcs12 -in "$TMP/out.p12" -passin "file:$D/xpw" -info -noout
expect_err_contains "PBES2"

# gpgsm_import P12: import into a throwaway GNUPGHOME, then list the secret
# keys; $rc is the import's exit code.
gpgsm_import() {
	_g=$(mktemp -d "$TMP/gnupg.XXXXXX")
	run_stdin "$D/xpw" gpgsm --homedir "$_g" --batch --pinentry-mode loopback \
		--passphrase-fd 0 --import "$1"
	_rc=$rc
	_err=$errout
	run gpgsm --homedir "$_g" --batch --list-secret-keys
	gpgconf --homedir "$_g" --kill gpg-agent 2>/dev/null
	rc=$_rc
	errout=$_err
}

begin_test "export --p12 (default) and gpgsm: 2.2 refuses PBES2/AES, later ones read it"
gpgsm_import "$TMP/out.p12"
case $(gpgsm --version | head -n 1) in
*" 2.2."*)
	[ "$rc" -ne 0 ] || fail "gpgsm 2.2 read a PBES2 PKCS#12: --legacy is not needed any more"
	expect_err_contains "error parsing or decrypting the PKCS#12 file" ;;
*)
	expect_exit 0
	expect_out_contains "bob@example.org" ;;
esac

begin_test "export --p12 --legacy reads back with openssl and gpgsm"
run sealmail --home "$H" --passphrase-file "$D/pp" --password-file "$D/xpw" \
	id export "$BOB" --p12 "$TMP/legacy.p12" --legacy
expect_exit 0
run openssl pkcs12 -in "$TMP/legacy.p12" -passin "file:$D/xpw" -info -noout
expect_exit 0
expect_err_contains "pbeWithSHA1And3-KeyTripleDES-CBC"
expect_err_contains "MAC: sha1"
run openssl pkcs12 -in "$TMP/legacy.p12" -passin "file:$D/xpw" -nodes
expect_exit 0
expect_out_contains "BEGIN PRIVATE KEY"
gpgsm_import "$TMP/legacy.p12"
expect_exit 0
expect_err_contains "secret keys imported: 1"
expect_out_contains "bob@example.org"

begin_test "the exported .p12 imports again into a fresh store"
run sealmail --home "$TMP/home2" --password-file "$D/xpw" id import "$TMP/legacy.p12" --no-passphrase --json
expect_exit 0
expect_json .fingerprint "$BOB"

begin_test "a corrupted store database"
mkdir -p "$TMP/bad" && chmod 700 "$TMP/bad"
head -c 8192 /dev/urandom >"$TMP/bad/store.db"
cp "$TMP/bad/store.db" "$TMP/bad.copy"
run sealmail --home "$TMP/bad" id import "$D/erin.pem" --no-passphrase
expect_exit 65
expect_one_line_err
expect_err_contains "damaged"
expect_same_file "$TMP/bad/store.db" "$TMP/bad.copy"
run sealmail --home "$TMP/bad" id list
expect_exit 65
expect_one_line_err

begin_test "a read-only home"
RO=$TMP/ro
"$SEALMAIL" --home "$RO" id import "$D/erin.pem" --no-passphrase >/dev/null || fail "setup"
ro_before=$("$SEALMAIL" --home "$RO" id list --json)
# run_ro ARGS...: sealmail on a read-only $RO (a read-only bind mount when
# root, whom modes do not stop; else chmod).
run_ro() {
	if [ "$(id -u)" -eq 0 ]; then
		# shellcheck disable=SC2016
		run unshare -m sh -c 'mount --bind "$1" "$1" &&
			mount -o remount,bind,ro "$1" && shift && exec "$@"' \
			sh "$RO" "$SEALMAIL" --home "$RO" "$@"
	else
		chmod 500 "$RO"
		run sealmail --home "$RO" "$@"
		chmod 700 "$RO"
	fi
}
run_ro id import "$D/dave.p12" --password-file "$D/pw" --no-passphrase
expect_exit 77
expect_one_line_err
expect_err_contains "sealmail: the store in $RO is read-only: "
[ "$("$SEALMAIL" --home "$RO" id list --json)" = "$ro_before" ] || fail "the store changed"

begin_test "PKCS#12 asking for absurd KDF work: refused at once, store unchanged"
# tests/data/crypto/absurd-*.p12: 10 000 001 iterations (one over the
# limit) in the MAC, the key bag, the certificate bag
for what in mac:"PKCS#12 MAC" key:"PKCS#12 private key" certs:"PKCS#12 certificates"; do
	f=$TEST_DATA/crypto/absurd-${what%%:*}.p12
	t0=$(date +%s)
	run sealmail --home "$TMP/absurd" id import "$f" --password-file "$D/pw-test" --no-passphrase
	t1=$(date +%s)
	expect_exit 65
	expect_one_line_err
	expect_err_contains "$f: ${what#*:}: absurd iteration count (over 10000000 or negative), refused"
	[ $((t1 - t0)) -le 5 ] || fail "$f: took $((t1 - t0)) s"
done
run sealmail --home "$TMP/absurd" --json id list
expect_exit 0
expect_json '.ids | length' 0

end_tests
