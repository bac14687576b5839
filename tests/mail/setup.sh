#!/bin/sh
# SPDX-License-Identifier: MIT
# CTest fixture: start a real Postfix (SMTP) and Dovecot (IMAP) for the mail
# tests, on free 127.0.0.1 ports, everything under a fresh temporary folder.
# Writes KEY=VALUE lines to ENVFILE ($1) for the tests; cleanup.sh stops it all.
# Never listens on anything but loopback.  Needs root (Postfix's master).
set -eu

envfile=$1
here=$(cd "$(dirname "$0")" && pwd)
rm -f "$envfile"

skip() {
	printf 'MAIL_SKIP=%s\n' "$1" >"$envfile"
	echo "mail servers not started: $1" >&2
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "the test mail servers need root"
for tool in postfix dovecot openssl ss; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
		skip "$tool is not installed (scripts/packages.txt)"
done
PATH=$PATH:/usr/sbin
export PATH

run=$(mktemp -d /tmp/sealmail-mail.XXXXXX)
chmod 0755 "$run"
uid=$(id -u nobody)
gid=$(id -g nobody)

# Five consecutive free ports: smtp, smtps, imap, imaps, spare.
port_free() {
	! ss -Htln "sport = :$1" | grep -q .
}
base=""
try=0
seed=$(( $$ + $(date +%s) ))
while [ $try -lt 50 ]; do
	cand=$(( 20000 + (seed + try * 7919) % 30000 ))
	if port_free $cand && port_free $((cand + 1)) &&
		port_free $((cand + 2)) && port_free $((cand + 3)); then
		base=$cand
		break
	fi
	try=$((try + 1))
done
[ -n "$base" ] || { echo "no free ports found" >&2; exit 1; }
smtp_port=$base
smtps_port=$((base + 1))
imap_port=$((base + 2))
imaps_port=$((base + 3))

# TLS: a self-signed certificate for localhost / 127.0.0.1.
mkdir -p "$run/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$run/tls/key.pem" -out "$run/tls/cert.pem" 2>/dev/null
chmod 0644 "$run/tls/cert.pem" "$run/tls/key.pem"

# Users: USER@example.org with password USER-pw.
mkdir -p "$run/mail/example.org" "$run/postfix/conf" "$run/postfix/queue" \
	"$run/postfix/data" "$run/dovecot/run" "$run/dovecot/state"
: >"$run/users"
: >"$run/postfix/conf/vmailbox"
for user in alice bob carol; do
	home="$run/mail/example.org/$user"
	mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
	printf '%s@example.org:{PLAIN}%s-pw:%s:%s::%s::\n' \
		"$user" "$user" "$uid" "$gid" "$home" >>"$run/users"
	printf '%s@example.org example.org/%s/Maildir/\n' "$user" "$user" \
		>>"$run/postfix/conf/vmailbox"
done
# Bob also under an internationalised domain (bücher.example), ASCII form.
printf 'bob@xn--bcher-kva.example example.org/bob/Maildir/\n' \
	>>"$run/postfix/conf/vmailbox"
chown -R "$uid:$gid" "$run/mail"
chown postfix "$run/postfix/data"
chmod 0644 "$run/users"

fill() {
	sed -e "s|@RUN@|$run|g" -e "s|@UID@|$uid|g" -e "s|@GID@|$gid|g" \
		-e "s|@SMTP_PORT@|$smtp_port|g" -e "s|@SMTPS_PORT@|$smtps_port|g" \
		-e "s|@IMAP_PORT@|$imap_port|g" -e "s|@IMAPS_PORT@|$imaps_port|g" \
		"$1" >"$2"
}
fill "$here/main.cf.in" "$run/postfix/conf/main.cf"
fill "$here/master.cf.in" "$run/postfix/conf/master.cf"
fill "$here/dovecot.conf.in" "$run/dovecot.conf"

# The environment file first, so that cleanup.sh can stop a half start.
cat >"$envfile" <<END
MAIL_DIR=$run
MAIL_HOST=127.0.0.1
MAIL_SMTP_PORT=$smtp_port
MAIL_SMTPS_PORT=$smtps_port
MAIL_IMAP_PORT=$imap_port
MAIL_IMAPS_PORT=$imaps_port
MAIL_CA=$run/tls/cert.pem
MAIL_DOMAIN=example.org
END

fail() {
	echo "mail server start failed: $1" >&2
	for log in "$run/dovecot.log" "$run/postfix.log"; do
		[ -f "$log" ] && tail -n 20 "$log" >&2
	done
	exit 1
}

# The daemons must not keep CTest's output pipes open.
dovecot -c "$run/dovecot.conf" </dev/null >"$run/dovecot-start.log" 2>&1 ||
	{ cat "$run/dovecot-start.log" >&2; fail "dovecot"; }
postfix -c "$run/postfix/conf" start </dev/null >"$run/postfix-start.log" 2>&1 ||
	{ cat "$run/postfix-start.log" >&2; fail "postfix"; }

# Wait (at most 20 s) until all four ports listen.
i=0
while [ $i -lt 100 ]; do
	if ! port_free $smtp_port && ! port_free $smtps_port &&
		! port_free $imap_port && ! port_free $imaps_port; then
		exit 0
	fi
	sleep 0.2
	i=$((i + 1))
done
fail "ports did not open"
