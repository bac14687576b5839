#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates the test PKI in tests/data/pki/ with the openssl command line:
# a root CA, an intermediate CA and people's S/MIME certificates, keys and
# PKCS#12 files (password "test"), plus deliberately bad certificates.
# Usage: scripts/gen-test-pki.sh [OUTDIR]   (default: tests/data/pki)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/tests/data/pki}
days=7300 # 20 years, so tests do not rot
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$out"

# ext NAME BODY: writes an extension section file for -extfile
ext() {
	printf '%s\n' "$2" >"$work/$1.ext"
}

# key NAME TYPE: a new unencrypted PKCS#8 PEM key
key() {
	case $2 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1.key" ;;
	esac
}

# issue NAME SUBJECT ISSUER EXTFILE [x509 options...]: a certificate for NAME.key
issue() {
	name=$1 subj=$2 issuer=$3 extf=$4
	shift 4
	openssl req -new -key "$name.key" -subj "$subj" -out "$work/$name.csr"
	if [ "$issuer" = self ]; then
		openssl x509 -req -in "$work/$name.csr" -signkey "$name.key" \
			-extfile "$work/$extf.ext" -sha256 -set_serial "0x$(openssl rand -hex 8)" \
			-out "$name.crt" "$@" 2>/dev/null
	else
		openssl x509 -req -in "$work/$name.csr" -CA "$issuer.crt" -CAkey "$issuer.key" \
			-extfile "$work/$extf.ext" -sha256 -set_serial "0x$(openssl rand -hex 8)" \
			-out "$name.crt" "$@" 2>/dev/null
	fi
}

# p12 NAME CHAIN...: NAME.p12 with the key, the certificate and the chain (not the root)
p12() {
	name=$1
	shift
	if [ $# -gt 0 ]; then
		cat "$@" >"$work/chain.pem"
		set -- -certfile "$work/chain.pem"
	fi
	openssl pkcs12 -export -inkey "$name.key" -in "$name.crt" "$@" \
		-name "$name" -passout pass:test -out "$name.p12"
}

# x25519_person NAME ISSUER: an S/MIME person with an X25519 key (key
# agreement only).  An X25519 key cannot sign its own request, so the
# certificate is made with -force_pubkey.
x25519_person() {
	name=$1 issuer=$2
	ext "$name" "basicConstraints=critical,CA:FALSE
keyUsage=critical,keyAgreement
extendedKeyUsage=emailProtection
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=email:$name"
	openssl genpkey -algorithm X25519 -out "$name.key"
	openssl pkey -in "$name.key" -pubout -out "$work/$name.pub"
	openssl x509 -new -force_pubkey "$work/$name.pub" -subj "/O=sealmail test/CN=${name%@*}" \
		-CA "$issuer.crt" -CAkey "$issuer.key" -extfile "$work/$name.ext" -sha256 \
		-set_serial "0x$(openssl rand -hex 8)" -days "$days" -out "$name.crt"
	p12 "$name"
}

# scripts/gen-test-pki.sh OUTDIR x25519: make only the X25519 person, with
# the root CA already in OUTDIR (the others stay as they are)
if [ "${2-}" = x25519 ]; then
	x25519_person xavier@example.org root-ca
	exit 0
fi

ext ca "basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
ext rootca "basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash"

key root-ca rsa
issue root-ca "/O=sealmail test/CN=sealmail test root CA" self rootca -days "$days"
key intermediate-ca rsa
issue intermediate-ca "/O=sealmail test/CN=sealmail test intermediate CA" root-ca ca -days "$days"

# person NAME KEYTYPE ISSUER KEYUSAGE EKU [x509 options...]
person() {
	name=$1 kt=$2 issuer=$3 ku=$4 eku=$5
	shift 5
	case $name in
	*@*) san="subjectAltName=email:$name" cn=${name%@*} ;;
	*) san="" cn=$name ;;
	esac
	ext "$name" "basicConstraints=critical,CA:FALSE
keyUsage=critical,$ku
extendedKeyUsage=$eku
subjectKeyIdentifier=hash
$san"
	if [ "$issuer" != self ]; then
		printf 'authorityKeyIdentifier=keyid\n' >>"$work/$name.ext"
	fi
	key "$name" "$kt"
	issue "$name" "/O=sealmail test/CN=$cn" "$issuer" "$name" "$@"
	case $issuer in
	self) p12 "$name" ;;
	intermediate-ca) p12 "$name" intermediate-ca.crt ;;
	*) p12 "$name" ;;
	esac
}

rsa_ku=digitalSignature,nonRepudiation,keyEncipherment
ec_ku=digitalSignature,nonRepudiation,keyAgreement
sm=emailProtection

person alice@example.org rsa intermediate-ca "$rsa_ku" "$sm" -days "$days"
person bob@example.org rsa root-ca "$rsa_ku" "$sm" -days "$days"
person carol@example.org p256 root-ca "$ec_ku" "$sm" -days "$days"
person dave@example.org p384 root-ca "$ec_ku" "$sm" -days "$days"
person erin@example.org rsa self "$rsa_ku" "$sm" -days "$days"

# The bad ones.  Dates: openssl x509 -not_before/-not_after needs 3.4, so use
# the ca command's -startdate/-enddate via a minimal CA database instead.
dated() {
	name=$1 start=$2 end=$3
	ext "$name" "basicConstraints=critical,CA:FALSE
keyUsage=critical,$rsa_ku
extendedKeyUsage=$sm
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=email:$name"
	key "$name" rsa
	openssl req -new -key "$name.key" -subj "/O=sealmail test/CN=${name%@*}" -out "$work/$name.csr"
	mkdir -p "$work/ca/new"
	: >"$work/ca/index.txt"
	openssl rand -hex 8 >"$work/ca/serial"
	cat >"$work/ca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
dir = $work/ca
database = $work/ca/index.txt
serial = $work/ca/serial
new_certs_dir = $work/ca/new
default_md = sha256
policy = p
unique_subject = no
email_in_dn = no
[p]
organizationName = supplied
commonName = supplied
CNF
	openssl ca -batch -config "$work/ca/ca.cnf" -cert root-ca.crt -keyfile root-ca.key \
		-in "$work/$name.csr" -out "$work/$name.tmp" -notext -startdate "$start" -enddate "$end" \
		-extfile "$work/$name.ext" 2>/dev/null
	openssl x509 -in "$work/$name.tmp" -out "$name.crt"
	p12 "$name"
}
dated expired@example.org 20200101000000Z 20210101000000Z
dated notyet@example.org 20450101000000Z 20460101000000Z

person noemail rsa root-ca "$rsa_ku" "$sm" -days "$days"
person nosmime@example.org rsa root-ca "digitalSignature,keyEncipherment" serverAuth -days "$days"
person encryptonly@example.org rsa root-ca keyEncipherment "$sm" -days "$days"
person signonly@example.org rsa root-ca "digitalSignature,nonRepudiation" "$sm" -days "$days"

x25519_person xavier@example.org root-ca

# Convenience bundles
cat intermediate-ca.crt root-ca.crt >ca-chain.crt
rm -f ./*.srl
echo "test PKI written to $out"
