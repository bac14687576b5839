#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: the whole product at work on throwaway stores.  Alice and Bob
# each get a digital ID, swap certificates through signed mail, trust each
# other, exchange a signed and encrypted message, and a tampered copy is
# caught.  Every step shows the command, its output and its exit status, and
# the demo fails if any exit status is not the one sealmail promises.
set -eu
SEALMAIL=${1:-build/sealmail}
case "$SEALMAIL" in /*) ;; *) SEALMAIL="$PWD/$SEALMAIL" ;; esac
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/sealmail-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT INT TERM
cd "$DEMO"

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}

# step EXPECTED-EXIT WHO ARGS...: run sealmail in WHO's store.
step() {
	want=$1
	who=$2
	shift 2
	printf '\n$ sealmail --home %s %s\n' "$who" "$*"
	set +e
	"$SEALMAIL" --home "$DEMO/$who" "$@" 2>&1 | sed 's/^/  /'
	got=$(
		"$SEALMAIL" --home "$DEMO/$who" "$@" >/dev/null 2>&1
		echo $?
	)
	set -e
	echo "  (exit $got)"
	if [ "$got" != "$want" ]; then
		echo "demo: expected exit $want, got $got" >&2
		exit 1
	fi
}

# Steps whose second run would change the store again are run once.
step_once() {
	want=$1
	who=$2
	shift 2
	printf '\n$ sealmail --home %s %s\n' "$who" "$*"
	set +e
	"$SEALMAIL" --home "$DEMO/$who" "$@" >"$DEMO/.out" 2>&1
	got=$?
	set -e
	sed 's/^/  /' "$DEMO/.out"
	echo "  (exit $got)"
	if [ "$got" != "$want" ]; then
		echo "demo: expected exit $want, got $got" >&2
		exit 1
	fi
}

say "Alice and Bob each create a digital ID (key + S/MIME certificate)"
step_once 0 alice id create --email alice@example.org --name "Alice Liddell" --no-passphrase
step_once 0 bob id create --email bob@example.org --name "Bob Builder" --no-passphrase

say "Alice signs a message to Bob; her certificate travels with it"
cat >lunch.eml <<'MSG'
From: Alice Liddell <alice@example.org>
To: Bob Builder <bob@example.org>
Subject: Lunch?
Date: Sat, 28 Nov 2026 12:00:00 +0000

Shall we meet at noon?
MSG
step_once 0 alice protect --sign -o lunch.signed.eml lunch.eml

say "Bob opens it: the signature is intact, but he does not trust Alice yet"
step 1 bob open lunch.signed.eml

say "Bob adds Alice's certificate from the message and trusts it"
step_once 1 bob open --add-cert lunch.signed.eml
step_once 0 bob book trust alice@example.org trusted
step 0 bob open lunch.signed.eml

say "Bob replies signed, so Alice gets and trusts his certificate"
cat >reply.eml <<'MSG'
From: Bob Builder <bob@example.org>
To: Alice Liddell <alice@example.org>
Subject: Re: Lunch?

Noon is good.
MSG
step_once 0 bob protect --sign -o reply.signed.eml reply.eml
step_once 1 alice open --add-cert reply.signed.eml
step_once 0 alice book trust bob@example.org trusted
step 0 alice book list

say "Alice sends Bob a signed and encrypted message"
cat >secret.eml <<'MSG'
From: Alice Liddell <alice@example.org>
To: Bob Builder <bob@example.org>
Subject: The plan

The key is under the mat.
MSG
step_once 0 alice protect --sign --encrypt -o secret.p7m.eml secret.eml
echo
echo "  what travels (the first lines):"
head -n 12 secret.p7m.eml | sed 's/^/    /'

say "Bob decrypts it and checks the signature inside"
step 0 bob open -o secret.read.eml secret.p7m.eml
sed 's/^/    /' secret.read.eml

say "Alice can still read her own Sent copy (encrypt-to-self)"
step 0 alice open secret.p7m.eml

say "Someone changes one word of a signed message in transit"
sed 's/noon/one/' lunch.signed.eml >lunch.tampered.eml
step 2 bob open lunch.tampered.eml

say "A mail server turned the line endings to LF: a storage form, only a note"
tr -d '\r' <lunch.signed.eml >lunch.lf.eml
step 0 bob open lunch.lf.eml

say "Someone flips a byte of the encrypted message: AES-GCM refuses it"
# Flip one base64 character well inside the encrypted content.
awk 'NR == 30 { c = substr($0, 10, 1); r = (c == "A") ? "B" : "A";
	$0 = substr($0, 1, 9) r substr($0, 11) } { print }' \
	secret.p7m.eml >secret.tampered.eml
step 2 bob open -o nothing.eml secret.tampered.eml
if [ -e nothing.eml ]; then
	echo "demo: a tampered message produced output" >&2
	exit 1
fi
echo "  (nothing was written)"

say "Done: every verdict was the one promised"
