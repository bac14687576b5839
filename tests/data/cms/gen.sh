#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates the CMS samples for tests/unit/test_ber.c with `openssl cms`.
# key.pem is a throwaway test key made for these files; it protects nothing.
# *-stream.der use indefinite lengths and 4096-byte content chunks (-stream);
# the others are DER (-cmsout re-encodes the streamed ones, same ciphertext).
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
	-subj "/CN=BER Test/emailAddress=ber@example.org" -days 36500
python3 -c "import sys; sys.stdout.write(''.join('line %04d of the BER test message, some text to fill it\r\n' % i for i in range(90)))" >msg.txt
openssl cms -sign -binary -nodetach -in msg.txt -signer cert.pem -inkey key.pem -outform DER -out signed.der
openssl cms -sign -stream -binary -nodetach -in msg.txt -signer cert.pem -inkey key.pem -outform DER -out signed-stream.der
openssl cms -sign -binary -in msg.txt -signer cert.pem -inkey key.pem -outform DER -out signed-detached.der
openssl cms -encrypt -stream -binary -aes-256-cbc -in msg.txt -outform DER -out env-cbc-stream.der cert.pem
openssl cms -cmsout -inform DER -in env-cbc-stream.der -outform DER -out env-cbc.der
openssl cms -encrypt -stream -binary -aes-256-gcm -in msg.txt -outform DER -out auth-gcm-stream.der cert.pem
openssl cms -cmsout -inform DER -in auth-gcm-stream.der -outform DER -out auth-gcm.der
openssl cms -encrypt -binary -aes-128-gcm -in /dev/null -outform DER -out auth-gcm-empty.der cert.pem
