#!/bin/sh
# The command frame: usage, version, unknown commands and options.
. "$(dirname "$0")/lib.sh"

begin_test "no command is a usage error"
run sealmail
expect_exit 64
expect_err_contains "usage: sealmail"

begin_test "--version"
run sealmail --version
expect_exit 0
expect_out "sealmail 0.1.0"

begin_test "unknown command"
run sealmail frobnicate
expect_exit 64
expect_err_contains "unknown command 'frobnicate'"

begin_test "unknown global option"
run sealmail --frob id list
expect_exit 64
expect_err_contains "unknown option '--frob'"

begin_test "an option with its value missing, before and after the command"
run sealmail --home
expect_exit 64
expect_err "sealmail: option '--home' needs a value (see 'sealmail --help')"
run sealmail --frob id list
expect_exit 64
expect_err "sealmail: unknown option '--frob' (see 'sealmail --help')"
for c in open list protect send sendmail "id list" "book list" "ca list" "account list"; do
	set -- $c
	run sealmail "$@" --home
	expect_exit 64
	expect_err "sealmail $1: option '--home' needs a value (see 'sealmail $1 --help')"
	run sealmail "$@" --frob
	expect_exit 64
	expect_err "sealmail $1: unknown option '--frob' (see 'sealmail $1 --help')"
done
run sealmail open -o
expect_exit 64
expect_err "sealmail open: option '-o' needs a value (see 'sealmail open --help')"
# send and sendmail: protect's options too, every one that takes a value
for o in --from --cipher --passphrase-file --password-file; do
	run sealmail send --sign "$o"
	expect_exit 64
	expect_err "sealmail send: option '$o' needs a value (see 'sealmail send --help')"
	run sealmail sendmail --sign "$o"
	expect_exit 64
	expect_err "sealmail sendmail: option '$o' needs a value (see 'sealmail sendmail --help')"
done

begin_test "global options before the command, before the subcommand, after it"
G=$TMP/global
run sealmail --home "$G" id create --email g@example.org --key p256 --no-passphrase
expect_exit 0
for line in "--home $G --json id list" "id --home $G --json list" "id --home=$G list --json" \
	"id list --home $G --json"; do
	# shellcheck disable=SC2086 # split on purpose: the words of the line
	run sealmail $line
	expect_exit 0
	expect_json '.ids[0].addresses[0]' g@example.org
done
for c in account book ca; do
	run sealmail "$c" --json --home "$G" list
	expect_exit 0
	printf '%s' "$out" | jq -e . >/dev/null || fail "$c --json --home DIR list: not JSON"
done
run sealmail id --home "$G" --help
expect_exit 0
expect_out_contains "usage: sealmail id create"
run sealmail book --home "$G" help
expect_exit 0
expect_out_contains "usage: sealmail book"
run sealmail id --home "$G"
expect_exit 64
expect_err_contains "usage: sealmail id"
run sealmail account --home "$G" frob
expect_exit 64
expect_err "sealmail account: unknown subcommand 'frob' (see 'sealmail account --help')"
run sealmail id --email x@example.org create
expect_exit 64
expect_err "sealmail id: unknown option '--email' (see 'sealmail id --help')"
run sealmail ca --home
expect_exit 64
expect_err "sealmail ca: option '--home' needs a value (see 'sealmail ca --help')"

begin_test "the store: --home, else \$SEALMAIL_HOME, else \$XDG_DATA_HOME/sealmail, else ~/.local/share/sealmail"
# Each run creates an ID; the store it lands in shows which folder was used.
where() {
	for d in "$TMP/flag" "$TMP/env" "$TMP/xdg/sealmail" "$TMP/user/.local/share/sealmail"; do
		[ -f "$d/store.db" ] && printf '%s ' "$d"
	done
}
run env SEALMAIL_HOME="$TMP/env" XDG_DATA_HOME="$TMP/xdg" HOME="$TMP/user" \
	"$SEALMAIL" --home "$TMP/flag" id create --email a@example.org --key p256 --no-passphrase
expect_exit 0
[ "$(where)" = "$TMP/flag " ] || fail "--home: store in '$(where)'"
run env SEALMAIL_HOME="$TMP/env" XDG_DATA_HOME="$TMP/xdg" HOME="$TMP/user" \
	"$SEALMAIL" id create --email a@example.org --key p256 --no-passphrase
expect_exit 0
[ "$(where)" = "$TMP/flag $TMP/env " ] || fail "SEALMAIL_HOME: store in '$(where)'"
run env -u SEALMAIL_HOME XDG_DATA_HOME="$TMP/xdg" HOME="$TMP/user" \
	"$SEALMAIL" id create --email a@example.org --key p256 --no-passphrase
expect_exit 0
[ "$(where)" = "$TMP/flag $TMP/env $TMP/xdg/sealmail " ] || fail "XDG_DATA_HOME: store in '$(where)'"
run env -u SEALMAIL_HOME -u XDG_DATA_HOME HOME="$TMP/user" \
	"$SEALMAIL" id create --email a@example.org --key p256 --no-passphrase
expect_exit 0
[ "$(where)" = "$TMP/flag $TMP/env $TMP/xdg/sealmail $TMP/user/.local/share/sealmail " ] ||
	fail "HOME: store in '$(where)'"
[ "$(file_mode "$TMP/user/.local/share/sealmail")" = 700 ] || fail "default store mode"
run env -u SEALMAIL_HOME -u XDG_DATA_HOME -u HOME "$SEALMAIL" id list
expect_exit 64
expect_err "sealmail: no store: give --home DIR or set SEALMAIL_HOME"

end_tests
