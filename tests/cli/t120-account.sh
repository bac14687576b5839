#!/bin/sh
# sealmail account list, show and set: every setting, the defaults, bad keys
# and values (listing the valid ones), and the signing/encryption ID choice.
. "$(dirname "$0")/lib.sh"

H=$TMP/home

begin_test "no accounts at first"
run sealmail --home "$H" account list
expect_exit 0
expect_out "no accounts"
run sealmail --home "$H" account list --json
expect_exit 0
expect_json '.accounts | length' 0

run sealmail --home "$H" id create --email alice@example.org --key p256 --no-passphrase --json
A1=$(printf '%s' "$out" | jq -r .fingerprint)
run sealmail --home "$H" id create --email alice@example.org --key p256 --no-passphrase --json
A2=$(printf '%s' "$out" | jq -r .fingerprint)
run sealmail --home "$H" id create --email bob@example.org --key p256 --no-passphrase --json
B1=$(printf '%s' "$out" | jq -r .fingerprint)

begin_test "creating an ID creates the account with SPEC's defaults"
run sealmail --home "$H" account show alice@example.org
expect_exit 0
expect_out "address:          alice@example.org
sign-all:         no
encrypt-all:      no
include-cert:     yes
signing:          clear
cipher:           auto
encrypt-to-self:  yes
signing-id:       auto ($A2)
encryption-id:    auto ($A2)
smtp:             (not set)
smtp-user:        (not set)
imap-user:        (not set)
password-file:    (not set)
password-command: (not set)
sent:             (not set)
inbox:            (not set)
ca-file:          (not set)
starttls:         yes"

begin_test "account list: human and JSON"
run sealmail --home "$H" account list
expect_exit 0
expect_out "alice@example.org  $A2
bob@example.org    $B1"
run sealmail --home "$H" account list --json
expect_exit 0
expect_json '.accounts | length' 2
expect_json '.accounts[1].address' bob@example.org
expect_json '.accounts[1].signing_id' "$B1"
expect_json '.accounts[1].settings["encrypt-to-self"]' true
expect_json '.accounts[1].settings.signing' clear
expect_json '.accounts[1].settings["signing-id"]' auto

begin_test "account set: every setting"
run sealmail --home "$H" account set Alice@Example.org sign-all=yes encrypt-all=yes \
	include-cert=no signing=opaque cipher=aes-128-cbc encrypt-to-self=no
expect_exit 0
expect_out ""
run sealmail --home "$H" account show alice@example.org --json
expect_json '.settings["sign-all"]' true
expect_json '.settings["encrypt-all"]' true
expect_json '.settings["include-cert"]' false
expect_json '.settings.signing' opaque
expect_json '.settings.cipher' aes-128-cbc
expect_json '.settings["encrypt-to-self"]' false
for c in auto aes-128-gcm aes-256-gcm aes-256-cbc; do
	run sealmail --home "$H" account set alice@example.org cipher=$c
	expect_exit 0
	run sealmail --home "$H" account show alice@example.org --json
	expect_json .settings.cipher $c
done
run sealmail --home "$H" account set alice@example.org signing=clear sign-all=no
run sealmail --home "$H" account show alice@example.org --json
expect_json .settings.signing clear
expect_json '.settings["sign-all"]' false

begin_test "signing-id and encryption-id pick an ID of the account"
run sealmail --home "$H" account set alice@example.org "signing-id=$(printf %s "$A1" | cut -c1-10)"
expect_exit 0
run sealmail --home "$H" account show alice@example.org --json
expect_json .signing_id "$A1"
expect_json '.settings["signing-id"]' "$A1"
expect_json .encryption_id "$A2"
run sealmail --home "$H" account set alice@example.org "encryption-id=$A1"
expect_exit 0
run sealmail --home "$H" account show alice@example.org
expect_out_contains "encryption-id:    $A1"
run sealmail --home "$H" account set alice@example.org signing-id=auto
expect_exit 0
run sealmail --home "$H" account show alice@example.org --json
expect_json .signing_id "$A2"
expect_json '.settings["signing-id"]' auto

begin_test "deleting the chosen ID falls back to the newest other"
run sealmail --home "$H" id delete "$A1"
expect_exit 0
run sealmail --home "$H" account show alice@example.org --json
expect_json .encryption_id "$A2"
expect_json '.settings["encryption-id"]' auto

# usage_id NAME USAGE: a new ID for NAME@example.org whose certificate's key
# usage is USAGE alone, imported into $H; its fingerprint in $fp
usage_id() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TMP/$1-$2.key" -out "$TMP/$1-$2.crt" -days 30 -subj "/CN=$1 $2" \
		-addext "subjectAltName=email:$1@example.org" \
		-addext "extendedKeyUsage=emailProtection" \
		-addext "keyUsage=critical,$2" 2>/dev/null || fail "openssl req"
	run sealmail --home "$H" id import "$TMP/$1-$2.crt" "$TMP/$1-$2.key" --no-passphrase --json
	expect_exit 0
	fp=$(printf '%s' "$out" | jq -r .fingerprint)
}

begin_test "on auto, the newest ID whose key usage fits the purpose"
# hank@example.org: a signing-only certificate, then an encryption-only one.
usage_id hank digitalSignature
FP_digitalSignature=$fp
usage_id hank keyAgreement
FP_keyAgreement=$fp
run sealmail --home "$H" account show hank@example.org --json
expect_json .signing_id "$FP_digitalSignature"
expect_json .encryption_id "$FP_keyAgreement"
run sealmail --home "$H" account set hank@example.org "signing-id=$FP_keyAgreement"
expect_exit 64
expect_err "sealmail: digital ID $FP_keyAgreement cannot sign e-mail: its certificate's key usage does not allow it"
run sealmail --home "$H" account set hank@example.org "encryption-id=$FP_digitalSignature"
expect_exit 64
expect_err "sealmail: digital ID $FP_digitalSignature cannot decrypt e-mail: its certificate's key usage does not allow it"

begin_test "on auto, an older ID that fits before the newest that does not"
# ivy@example.org: an encryption-only certificate, then a signing-only one
usage_id ivy keyAgreement
IVY_keyAgreement=$fp
usage_id ivy digitalSignature
IVY_digitalSignature=$fp
run sealmail --home "$H" account show ivy@example.org --json
expect_json .signing_id "$IVY_digitalSignature"
expect_json .encryption_id "$IVY_keyAgreement"
# her own copy: encrypted to the older, encryption-only certificate
run sealmail --home "$H" book add "$TEST_DATA/pki/bob@example.org.crt"
run sealmail --home "$H" book trust bob@example.org trusted
printf 'From: ivy@example.org\nTo: bob@example.org\nSubject: s\n\nnote\n' >"$TMP/ivy.eml"
run sealmail --home "$H" protect --encrypt --no-sign -o "$TMP/ivy.p7m" "$TMP/ivy.eml"
expect_exit 0
run sealmail --home "$H" open "$TMP/ivy.p7m"
expect_out_contains "decrypted with your digital ID $IVY_keyAgreement"

snapshot() {
	"$SEALMAIL" --home "$H" account list --json
}
before=$(snapshot)

# bad_set CODE EXACT-STDERR ARGS...
bad_set() {
	_code=$1
	_msg=$2
	shift 2
	run sealmail --home "$H" account set "$@"
	expect_exit "$_code"
	expect_err "$_msg"
	[ "$(snapshot)" = "$before" ] || fail "the store changed"
}

begin_test "unknown setting lists the valid ones"
bad_set 64 "sealmail: unknown setting 'sign_all': the settings are sign-all, encrypt-all, include-cert, signing, cipher, encrypt-to-self, signing-id, encryption-id, smtp, smtp-user, imap-user, password-file, password-command, sent, inbox, ca-file, starttls" \
	alice@example.org sign_all=yes

begin_test "bad values list the valid ones"
bad_set 64 "sealmail: bad value 'true' for sign-all: use one of yes, no" alice@example.org sign-all=true
bad_set 64 "sealmail: bad value 'aes-192-cbc' for cipher: use one of auto, aes-128-gcm, aes-256-gcm, aes-128-cbc, aes-256-cbc" \
	alice@example.org cipher=aes-192-cbc
bad_set 64 "sealmail: bad value 'detached' for signing: use one of clear, opaque" alice@example.org signing=detached

bad_set 64 "sealmail: bad value 'smtp.example.org' for smtp: use an smtp://HOST[:PORT] or smtps://HOST[:PORT] URL without a login (empty: none)" \
	alice@example.org smtp=smtp.example.org
bad_set 64 "sealmail: bad value 'imaps://alice:secret@mail.example.org' for smtp: use an smtp://HOST[:PORT] or smtps://HOST[:PORT] URL without a login (empty: none)" \
	alice@example.org smtp=imaps://alice:secret@mail.example.org
bad_set 64 "sealmail: bad value 'smtps://alice:secret@mail.example.org' for smtp: use an smtp://HOST[:PORT] or smtps://HOST[:PORT] URL without a login (empty: none)" \
	alice@example.org smtp=smtps://alice:secret@mail.example.org
bad_set 64 "sealmail: bad value 'imaps://mail.example.org' for sent: use an imap[s]://HOST[:PORT]/MAILBOX URL or the absolute path of a Maildir (empty: keep no Sent copy)" \
	alice@example.org sent=imaps://mail.example.org
bad_set 64 "sealmail: bad value 'Maildir' for inbox: use an imap[s]://HOST[:PORT]/MAILBOX URL or the absolute path of a Maildir (empty: none)" \
	alice@example.org inbox=Maildir
bad_set 64 "sealmail: bad value 'pw.txt' for password-file: use the absolute path of a file (mode 600) whose first line is the password (empty: none)" \
	alice@example.org password-file=pw.txt
bad_set 64 "sealmail: bad value 'certs.pem' for ca-file: use the absolute path of a PEM file of CA certificates to trust for the mail servers instead of the system's (empty: the system's)" \
	alice@example.org ca-file=certs.pem
bad_set 64 "sealmail: bad value 'off' for starttls: use yes (required on smtp:// and imap:// unless the server is on loopback), no (never)" \
	alice@example.org starttls=off

begin_test "a bad pair anywhere changes nothing"
bad_set 64 "sealmail: bad value 'maybe' for encrypt-all: use one of yes, no" \
	alice@example.org sign-all=yes encrypt-all=maybe

begin_test "an ID of another address is refused"
bad_set 64 "sealmail: digital ID $B1 does not name alice@example.org: signing-id must be an ID for the account" \
	alice@example.org "signing-id=$B1" sign-all=yes
bad_set 67 "sealmail: no digital ID with fingerprint ffff" alice@example.org signing-id=ffff

begin_test "mail transport settings: set, show, unset; a password file or a command"
run sealmail --home "$H" account set bob@example.org smtp=smtps://mail.example.org:465 \
	smtp-user=bob password-file=/home/bob/.pw sent=imaps://mail.example.org/Sent \
	inbox=/home/bob/Maildir ca-file=/etc/ssl/mail.pem starttls=no
expect_exit 0
expect_out ""
run sealmail --home "$H" account show bob@example.org
expect_exit 0
expect_out_contains "smtp:             smtps://mail.example.org:465
smtp-user:        bob
imap-user:        (not set)
password-file:    /home/bob/.pw
password-command: (not set)
sent:             imaps://mail.example.org/Sent
inbox:            /home/bob/Maildir
ca-file:          /etc/ssl/mail.pem
starttls:         no"
run sealmail --home "$H" account show bob@example.org --json
expect_json .settings.smtp smtps://mail.example.org:465
expect_json '.settings["password-command"]' null
expect_json .settings.starttls false
# Setting one password source clears the other.
run sealmail --home "$H" account set bob@example.org "password-command=pass show mail/bob"
expect_exit 0
run sealmail --home "$H" account show bob@example.org --json
expect_json '.settings["password-command"]' "pass show mail/bob"
expect_json '.settings["password-file"]' null
run sealmail --home "$H" account set bob@example.org password-file=/home/bob/.pw
run sealmail --home "$H" account show bob@example.org --json
expect_json '.settings["password-command"]' null
expect_json '.settings["password-file"]' /home/bob/.pw
# KEY= unsets.
run sealmail --home "$H" account set bob@example.org smtp= sent= password-file= imap-user=b
expect_exit 0
run sealmail --home "$H" account show bob@example.org --json
expect_json .settings.smtp null
expect_json .settings.sent null
expect_json '.settings["password-file"]' null
expect_json '.settings["imap-user"]' b
before=$(snapshot)

begin_test "unknown account; usage"
bad_set 67 "sealmail: no account for carol@example.org: create or import a digital ID for it first" \
	carol@example.org sign-all=yes
bad_set 64 "sealmail account: 'sign-all' is not KEY=VALUE (see 'sealmail account --help')" \
	alice@example.org sign-all
run sealmail --home "$H" account show carol@example.org
expect_exit 67
expect_err "sealmail: no account for carol@example.org"
run sealmail --home "$H" account --help
expect_exit 0
expect_out_contains "cipher           auto, aes-128-gcm"

end_tests
