# SPDX-License-Identifier: MIT
# Sourced shell helpers that drive the other S/MIME engines (openssl cms and
# smime, gpgsm, NSS cmsutil) on the test PKI in throwaway state under $ENG_DIR,
# and build or take apart S/MIME messages so every engine can read every
# other's output. POSIX sh; perl (Debian essential) splits MIME.
# shellcheck shell=sh

: "${ENG_DIR:?ENG_DIR must name a throwaway directory}"
: "${PKI:?PKI must name tests/data/pki}"

# Where an engine cannot do something: these are facts checked by cases
# (0000-engine-limits), keep them in sync with tests/interop/README.md.
#   gpgsm 2.2:  no AES-GCM (AuthEnvelopedData), no PBES2/AES PKCS#12 import
#               (uses eng_legacy_p12), no RSA-PSS signatures.
#   NSS 3.87:   no AES-GCM (AuthEnvelopedData); cmsutil -E picks AES-128-CBC.

eng_log() {
	printf '%s\n' "$*" >>"$ENG_DIR/engines.log"
}

# eng_run CMD...: runs CMD with its stderr appended to the log; its status
eng_run() {
	eng_log "+ $*"
	"$@" 2>>"$ENG_DIR/engines.log"
}

# eng_crt NAME / eng_key NAME: file names in the test PKI
eng_crt() {
	printf '%s/%s.crt\n' "$PKI" "$1"
}
eng_key() {
	printf '%s/%s.key\n' "$PKI" "$1"
}

# eng_chain NAME: the chain file (without the root) for NAME, or nothing
eng_chain() {
	case $1 in
	alice@example.org) eng_crt intermediate-ca ;;
	esac
}

# eng_cafile NAME: the trust anchor that verifies NAME
eng_cafile() {
	case $1 in
	erin@example.org) eng_crt erin@example.org ;;
	*) eng_crt root-ca ;;
	esac
}

# eng_content FILE [TEXT]: a MIME entity to protect (CRLF line ends)
eng_content() {
	printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n' \
		"${2:-Hello Bob, this is a test message.}" >"$1"
}

# eng_message FILE FROM TO [TEXT]: a whole RFC 5322 message (CRLF)
eng_message() {
	printf 'From: %s\r\nTo: %s\r\nSubject: interop test\r\nDate: Sun, 29 Nov 2026 01:00:00 +0000\r\nMessage-ID: <interop@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n' \
		"$2" "$3" "${4:-Hello Bob, this is a test message.}" >"$1"
}

# --- building and taking apart S/MIME messages --------------------------

# smime_headers FROM TO: outer headers for a wrapped message
smime_headers() {
	printf 'From: %s\r\nTo: %s\r\nSubject: interop test\r\nDate: Sun, 29 Nov 2026 01:00:00 +0000\r\nMIME-Version: 1.0\r\n' "$1" "$2"
}

# smime_b64 FILE: base64 in 76-column CRLF lines
smime_b64() {
	base64 -w 76 "$1" | sed 's/$/\r/'
}

# smime_wrap_opaque DER OUT SMIME_TYPE FROM TO: application/pkcs7-mime message
smime_wrap_opaque() {
	{
		smime_headers "$4" "$5"
		printf 'Content-Type: application/pkcs7-mime; smime-type=%s; name=smime.p7m\r\n' "$3"
		printf 'Content-Disposition: attachment; filename=smime.p7m\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		smime_b64 "$1"
	} >"$2"
}

# smime_wrap_detached CONTENT SIG_DER OUT FROM TO [MICALG]: multipart/signed
smime_wrap_detached() {
	b="----interop-boundary-1"
	{
		smime_headers "$4" "$5"
		printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=%s; boundary="%s"\r\n\r\n' "${6:-sha-256}" "$b"
		printf 'This is an S/MIME signed message\r\n\r\n--%s\r\n' "$b"
		cat "$1"
		printf '\r\n--%s\r\n' "$b"
		printf 'Content-Type: application/pkcs7-signature; name=smime.p7s\r\n'
		printf 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7s\r\n\r\n'
		smime_b64 "$2"
		printf '\r\n--%s--\r\n' "$b"
	} >"$3"
}

# smime_split MSG OUTPREFIX: takes apart an S/MIME message. multipart/signed
# -> PREFIX.content (the signed entity, CRLF) + PREFIX.der (the signature);
# application/pkcs7-mime -> PREFIX.der. Prints "detached" or "opaque".
smime_split() {
	perl -e '
		use strict; use MIME::Base64;
		my ($in, $pre) = @ARGV;
		open(my $f, "<:raw", $in) or die "$in: $!\n";
		local $/; my $m = <$f>; close $f;
		$m =~ s/\r?\n/\r\n/g;
		my ($h, $body) = split(/\r\n\r\n/, $m, 2);
		$h =~ s/\r\n[ \t]+/ /g;
		my ($ct) = $h =~ /^Content-Type:\s*(.*)$/mi or die "no Content-Type\n";
		sub out { open(my $o, ">:raw", $_[0]) or die; print $o $_[1]; close $o }
		if ($ct =~ m{^multipart/signed}i) {
			my ($b) = $ct =~ /boundary="?([^";\r]+)"?/i or die "no boundary\n";
			my @p = split(/(?:^|\r\n)--\Q$b\E(?:--)?[ \t]*\r\n/, $body);
			die "not two parts\n" if @p < 3;
			out("$pre.content", $p[1]);
			my (undef, $sb) = split(/\r\n\r\n/, $p[2], 2);
			out("$pre.der", decode_base64($sb));
			print "detached\n";
		} elsif ($ct =~ m{^application/(x-)?pkcs7-mime}i) {
			out("$pre.der", decode_base64($body));
			print "opaque\n";
		} else { die "not S/MIME: $ct\n" }
	' "$1" "$2"
}

# smime_tamper MSG TEXT: changes one byte of the signed TEXT in MSG, also
# inside an opaque (base64 application/pkcs7-mime) message: there the body is
# decoded, changed and encoded again, headers untouched
smime_tamper() {
	if grep -qF -- "$2" "$1"; then
		smime_flip "$1" "$2"
		return
	fi
	perl -e '
		use strict; use MIME::Base64;
		my ($f, $t) = @ARGV; open(my $h, "<:raw", $f) or die; local $/; my $m = <$h>; close $h;
		my ($hd, $sep, $body) = $m =~ /^(.*?)(\r?\n\r?\n)(.*)$/s or die "no body\n";
		my $d = decode_base64($body); my $i = index($d, $t);
		die "smime_tamper: \"$t\" not in $f\n" if $i < 0;
		substr($d, $i, 1) = chr(ord(substr($d, $i, 1)) + 1);
		my $b = encode_base64($d); $b =~ s/\n/\r\n/g;
		open($h, ">:raw", $f) or die; print $h $hd, $sep, $b; close $h;
	' "$1" "$2"
}

# smime_flip MSG TEXT: changes one byte of the first occurrence of TEXT in
# MSG (its first character is replaced by the next letter)
smime_flip() {
	perl -e '
		my ($f, $t) = @ARGV; open(my $h, "<:raw", $f) or die; local $/; my $m = <$h>; close $h;
		my $i = index($m, $t); die "smime_flip: \"$t\" not in $f\n" if $i < 0;
		substr($m, $i, 1) = chr(ord(substr($m, $i, 1)) + 1);
		open($h, ">:raw", $f) or die; print $h $m; close $h;
	' "$1" "$2"
}


# --- openssl cms / openssl smime -----------------------------------------

# ossl_sign CMD NAME CONTENT OUT MODE [OPTS...]: CMD is cms or smime, MODE
# clear or opaque; OPTS e.g. -keyopt rsa_padding_mode:pss, -nocerts, -md sha384
ossl_sign() {
	cmd=$1 name=$2 in=$3 out=$4 mode=$5
	shift 5
	chain=$(eng_chain "$name")
	set -- "$@" ${chain:+-certfile "$chain"}
	[ "$mode" = opaque ] && set -- "$@" -nodetach
	eng_run openssl "$cmd" -sign -in "$in" -out "$out" -signer "$(eng_crt "$name")" \
		-inkey "$(eng_key "$name")" -from "$name" -to bob@example.org -subject "interop test" "$@"
}

# ossl_verify MSG SIGNER [OPTS...]: openssl cms -verify against SIGNER's anchor
ossl_verify() {
	msg=$1 name=$2
	shift 2
	eng_run openssl cms -verify -in "$msg" -CAfile "$(eng_cafile "$name")" -out "$ENG_DIR/ossl.verified" "$@"
}

# ossl_encrypt CMD CIPHER IN OUT RECIPIENT... [-- OPTS...]: e.g.
# ossl_encrypt cms -aes-256-gcm in out bob@example.org -- -keyopt rsa_padding_mode:oaep
ossl_encrypt() {
	cmd=$1 cipher=$2 in=$3 out=$4
	shift 4
	recips="" opts=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		recips="$recips -recip $(eng_crt "$1")"
		shift
	done
	[ $# -gt 0 ] && shift
	opts="$*"
	if [ "$cmd" = smime ]; then
		# openssl smime: options first, then the recipient files
		recips="$opts $(printf '%s' "$recips" | sed 's/-recip //g')"
	else
		# openssl cms: -keyopt applies to the -recip before it
		recips="$recips $opts"
	fi
	case $cipher in
	-rc2-40 | -rc2-64 | -rc2-128 | -des) set -- -provider legacy -provider default ;;
	*) set -- ;;
	esac
	# shellcheck disable=SC2086 # word splitting of file lists is intended
	eng_run openssl "$cmd" -encrypt "$cipher" "$@" -in "$in" -out "$out" \
		-from alice@example.org -to bob@example.org -subject "interop test" $recips
}

# ossl_decrypt MSG NAME OUT: openssl cms -decrypt with NAME's key
ossl_decrypt() {
	eng_run openssl cms -decrypt -provider legacy -provider default -in "$1" \
		-recip "$(eng_crt "$2")" -inkey "$(eng_key "$2")" -out "$3"
}

# --- gpgsm ---------------------------------------------------------------

# eng_legacy_p12 NAME OUT: NAME's key in a PKCS#12 that gpgsm 2.2 can read
# (key PBE-SHA1-3DES, SHA-1 MAC, password test). The certificates are left
# unencrypted: gpgsm 2.2 fails to read about 1 in 40 PBE-SHA1-3DES encrypted
# certificate bags ("possibly bad passphrase given"), depending on the salt.
eng_legacy_p12() {
	chain=$(eng_chain "$1")
	eng_run openssl pkcs12 -export -inkey "$(eng_key "$1")" -in "$(eng_crt "$1")" \
		${chain:+-certfile "$chain"} -name "$1" -keypbe PBE-SHA1-3DES \
		-certpbe NONE -macalg sha1 -passout pass:test -out "$2"
}

# gpgsm_setup NAME...: a fresh GNUPGHOME trusting the test CAs (and erin's
# self-signed certificate), with the keys of NAME... imported (passphrase test)
gpgsm_setup() {
	GNUPGHOME=$(mktemp -d "${TMPDIR:-/tmp}/sm-gpg.XXXXXX") # short: socket paths
	export GNUPGHOME
	echo "$GNUPGHOME" >>"$ENG_DIR/gnupghomes"
	chmod 700 "$GNUPGHOME"
	printf 'disable-crl-checks\ndisable-dirmngr\ndisable-policy-checks\n' >"$GNUPGHOME/gpgsm.conf"
	printf 'allow-loopback-pinentry\n' >"$GNUPGHOME/gpg-agent.conf"
	for c in root-ca erin@example.org; do
		openssl x509 -in "$(eng_crt "$c")" -noout -fingerprint -sha1 |
			sed 's/.*=//; s/$/ S relax/' >>"$GNUPGHOME/trustlist.txt"
	done
	eng_run gpgsm --batch --import "$(eng_crt root-ca)" "$(eng_crt intermediate-ca)" || return 1
	for n in "$@"; do
		# retried with a fresh salt: see eng_legacy_p12
		for try in 1 2 3; do
			eng_legacy_p12 "$n" "$ENG_DIR/$n.legacy.p12" || return 1
			echo test | eng_run gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
				--import "$ENG_DIR/$n.legacy.p12" && break
			[ "$try" = 3 ] && return 1
		done
	done
}

# gpgsm_import_cert FILE: adds a certificate (no key)
gpgsm_import_cert() {
	eng_run gpgsm --batch --import "$1"
}

gpgsm_key() {
	echo test | eng_run gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 "$@"
}

# gpgsm_sign NAME CONTENT OUT MODE: a whole S/MIME message signed by gpgsm
gpgsm_sign() {
	if [ "$4" = opaque ]; then
		gpgsm_key -u "$1" --sign -o "$ENG_DIR/gpgsm.der" "$2" || return 1
		smime_wrap_opaque "$ENG_DIR/gpgsm.der" "$3" signed-data "$1" bob@example.org
	else
		gpgsm_key -u "$1" --detach-sign -o "$ENG_DIR/gpgsm.der" "$2" || return 1
		smime_wrap_detached "$2" "$ENG_DIR/gpgsm.der" "$3" "$1" bob@example.org
	fi
}

# gpgsm_verify MSG: verifies an S/MIME message (clear or opaque) with gpgsm
gpgsm_verify() {
	kind=$(smime_split "$1" "$ENG_DIR/gv") || return 1
	if [ "$kind" = detached ]; then
		eng_run gpgsm --batch --verify "$ENG_DIR/gv.der" "$ENG_DIR/gv.content"
	else
		eng_run gpgsm --batch --verify -o "$ENG_DIR/gpgsm.verified" "$ENG_DIR/gv.der"
	fi
}

# gpgsm_encrypt IN OUT RECIPIENT...: gpgsm --encrypt (AES-128-CBC default,
# --cipher-algo via GPGSM_CIPHER), wrapped as S/MIME
gpgsm_encrypt() {
	in=$1 out=$2
	shift 2
	for r in "$@"; do
		gpgsm_import_cert "$(eng_crt "$r")" || return 1
		set -- "$@" -r "$r"
		shift
	done
	eng_run gpgsm --batch ${GPGSM_CIPHER:+--cipher-algo "$GPGSM_CIPHER"} \
		--encrypt -o "$ENG_DIR/gpgsm.der" "$@" "$in" || return 1
	smime_wrap_opaque "$ENG_DIR/gpgsm.der" "$out" enveloped-data alice@example.org bob@example.org
}

# gpgsm_decrypt MSG OUT: decrypts with the keys in GNUPGHOME
gpgsm_decrypt() {
	smime_split "$1" "$ENG_DIR/gd" >/dev/null || return 1
	gpgsm_key --decrypt -o "$2" "$ENG_DIR/gd.der"
}

# --- NSS cmsutil ---------------------------------------------------------

# nss_setup NAME...: a fresh NSS database (empty password) trusting the test
# root CA (and erin) for e-mail, with NAME...'s keys imported from .p12
nss_setup() {
	NSSDB=sql:$ENG_DIR/nssdb
	mkdir -p "$ENG_DIR/nssdb"
	eng_run certutil -N -d "$NSSDB" --empty-password || return 1
	eng_run certutil -A -d "$NSSDB" -n root-ca -t "C,C,C" -i "$(eng_crt root-ca)" || return 1
	eng_run certutil -A -d "$NSSDB" -n intermediate-ca -t ",," -i "$(eng_crt intermediate-ca)" || return 1
	for n in "$@"; do
		eng_run pk12util -d "$NSSDB" -i "$PKI/$n.p12" -W test -K "" >/dev/null || return 1
	done
	for n in "$@"; do
		[ "$n" = erin@example.org ] &&
			eng_run certutil -M -d "$NSSDB" -n erin@example.org -t "Pu,Pu,Pu"
	done
	return 0
}

# nss_import_cert NAME: adds NAME's certificate (nickname NAME, no trust flags)
nss_import_cert() {
	eng_run certutil -A -d "$NSSDB" -n "$1" -t ",," -i "$(eng_crt "$1")"
}

# nss_sign NAME CONTENT OUT MODE: a whole S/MIME message signed by cmsutil
# (signing time and SMIMECapabilities attributes, chain included)
nss_sign() {
	if [ "$4" = opaque ]; then
		eng_run cmsutil -S -d "$NSSDB" -N "$1" -G -P -i "$2" -o "$ENG_DIR/nss.der" || return 1
		smime_wrap_opaque "$ENG_DIR/nss.der" "$3" signed-data "$1" bob@example.org
	else
		eng_run cmsutil -S -d "$NSSDB" -N "$1" -G -P -T -i "$2" -o "$ENG_DIR/nss.der" || return 1
		smime_wrap_detached "$2" "$ENG_DIR/nss.der" "$3" "$1" bob@example.org
	fi
}

# nss_verify MSG: cmsutil -D on an S/MIME message; fails on a bad signature
# or an untrusted signer (certUsageEmailSigner)
nss_verify() {
	kind=$(smime_split "$1" "$ENG_DIR/nv") || return 1
	if [ "$kind" = detached ]; then
		eng_run cmsutil -D -d "$NSSDB" -c "$ENG_DIR/nv.content" -i "$ENG_DIR/nv.der" -n
	else
		eng_run cmsutil -D -d "$NSSDB" -i "$ENG_DIR/nv.der" -o "$ENG_DIR/nss.verified"
	fi
}

# nss_encrypt IN OUT RECIPIENT...: cmsutil -E (NSS picks the cipher)
nss_encrypt() {
	in=$1 out=$2
	shift 2
	list=""
	for r in "$@"; do
		nss_import_cert "$r" 2>/dev/null
		list=${list:+$list,}$r
	done
	eng_run cmsutil -E -d "$NSSDB" -r "$list" -i "$in" -o "$ENG_DIR/nss.der" || return 1
	smime_wrap_opaque "$ENG_DIR/nss.der" "$out" enveloped-data alice@example.org "$1"
}

# nss_decrypt MSG OUT: cmsutil -D with the keys in the database
nss_decrypt() {
	smime_split "$1" "$ENG_DIR/nd" >/dev/null || return 1
	eng_run cmsutil -D -d "$NSSDB" -i "$ENG_DIR/nd.der" -o "$2"
}

# eng_cleanup: stops the gpg-agents this run started and removes their homes
eng_cleanup() {
	if [ -f "$ENG_DIR/gnupghomes" ]; then
		while read -r h; do
			GNUPGHOME=$h gpgconf --kill gpg-agent 2>/dev/null
			rm -rf "$h"
		done <"$ENG_DIR/gnupghomes"
	fi
}
