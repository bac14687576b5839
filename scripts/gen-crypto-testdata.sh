#!/bin/sh
# SPDX-License-Identifier: MIT
# Make tests/data/crypto/ (inputs of tests/unit/test_cert.c and test_key.c)
# from the test PKI in tests/data/pki/ with the OpenSSL 3 command line.
# The outputs are committed; run again only to change them.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pki=$top/tests/data/pki
out=$top/tests/data/crypto
mkdir -p "$out"
cd "$out"

# DER certificate, truncated DER, garbage
openssl x509 -in "$pki/alice@example.org.crt" -outform DER -out alice.der
head -c 200 alice.der >alice-truncated.der
printf 'this is not a certificate\n' >garbage.bin

# PKCS#7 certs-only bundles: DER and PEM (alice, intermediate, root)
openssl crl2pkcs7 -nocrl -certfile "$pki/alice@example.org.crt" \
	-certfile "$pki/ca-chain.crt" -outform DER -out chain.p7b
openssl crl2pkcs7 -nocrl -certfile "$pki/alice@example.org.crt" \
	-certfile "$pki/ca-chain.crt" -outform PEM -out chain-pem.p7b

# PEM with a key first, then two certificates; PEM with only a key
cat "$pki/bob@example.org.key" "$pki/bob@example.org.crt" \
	"$pki/root-ca.crt" >key-and-certs.pem
cp "$pki/bob@example.org.key" key-only.pem

# PEM with a certificate whose base64 is damaged
sed '3s/^..../!!!!/' "$pki/bob@example.org.crt" >bad-base64.pem

# keys in other PEM forms: traditional RSA, SEC1 EC, encrypted PKCS#8
openssl pkey -in "$pki/bob@example.org.key" -traditional -out bob-trad.key
openssl pkey -in "$pki/carol@example.org.key" -traditional -out carol-trad.key
openssl pkcs8 -topk8 -in "$pki/bob@example.org.key" -v2 aes-256-cbc \
	-passout pass:secret -out bob-enc.key

# legacy PKCS#12 (3DES / RC2-40) written by openssl
openssl pkcs12 -export -legacy -in "$pki/bob@example.org.crt" \
	-inkey "$pki/bob@example.org.key" -certfile "$pki/root-ca.crt" \
	-name "Bob legacy" -passout pass:test -out bob-legacy.p12
# self-signed certificates made here: an address only in the subject's
# emailAddress (no subjectAltName, mixed case), and a UTF-8 common name
cat >req.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
CNF
openssl req -x509 -newkey rsa:2048 -nodes -keyout subject-email.key \
	-config req.cnf -extensions ext -days 7300 -utf8 \
	-subj "/CN=$(printf 'J\303\266rg') Subject/emailAddress=Mixed.Case@Example.ORG" \
	-out subject-email.crt 2>/dev/null
rm -f req.cnf
# PKCS#12 files asking for absurd KDF work (10 000 001 iterations, one over
# the limit): in the MAC (no encryption); in the shrouded key bag and in the
# encrypted certificates (MAC with 1 iteration: -nomaciter must come after
# -iter).  Making them runs that KDF once each (seconds).
openssl pkcs12 -export -in "$pki/bob@example.org.crt" \
	-inkey "$pki/bob@example.org.key" -keypbe NONE -certpbe NONE \
	-iter 10000001 -passout pass:test -out absurd-mac.p12
openssl pkcs12 -export -in "$pki/bob@example.org.crt" \
	-inkey "$pki/bob@example.org.key" -certpbe NONE \
	-iter 10000001 -nomaciter -passout pass:test -out absurd-key.p12
openssl pkcs12 -export -in "$pki/bob@example.org.crt" \
	-inkey "$pki/bob@example.org.key" -keypbe NONE \
	-iter 10000001 -nomaciter -passout pass:test -out absurd-certs.p12
chmod 644 ./*
echo "made $(ls | wc -l) files in $out"
