# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# The common start of the mail tests (tests/mail/tNNN-*.sh), on
# tests/cli/lib.sh: read the ports, folders and CA of the "mail" fixture
# (tests/mail/setup.sh wrote them to $SEALMAIL_MAIL_ENV), or skip the test
# (exit 77) when the fixture could not start its servers.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
: "${SEALMAIL_MAIL_ENV:?}"
if grep -q '^MAIL_SKIP=' "$SEALMAIL_MAIL_ENV" 2>/dev/null; then
	echo "skipped: $(sed -n 's/^MAIL_SKIP=//p' "$SEALMAIL_MAIL_ENV")"
	exit 77
fi
# shellcheck disable=SC1090
. "$SEALMAIL_MAIL_ENV"

# maildir_copy MAILDIR PATTERN FILE: copy the first message of MAILDIR (new/
# or cur/) with a line matching the grep PATTERN to FILE; waits up to 10 s.
# Dovecot, serving other tests at the same time, may rename a file (new/ ->
# cur/, flags) between finding and copying it: then it is looked for again.
maildir_copy() {
	_i=0
	while [ $_i -lt 50 ]; do
		_f=$(grep -l -e "$2" "$1/new/"* "$1/cur/"* 2>/dev/null | head -n 1)
		if [ -n "$_f" ] && cp "$_f" "$3" 2>/dev/null; then
			return 0
		fi
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}
