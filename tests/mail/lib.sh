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
