#!/bin/sh
# Crash safety (issue 6): sealmail killed with SIGKILL at random moments
# during a long series of store changes leaves a store that passes SQLite's
# integrity check, whose every change is either fully there or absent, and
# that still works.  Two processes changing one store at once both succeed.
. "$(dirname "$0")/lib.sh"

H="$TMP/crash"
PKI="$TEST_DATA/pki"
certs="alice bob carol dave erin encryptonly signonly"

# One store change chosen by the iteration number.  It execs sealmail, so
# that when it runs in the background, its pid is sealmail's own.
change() {
	n=$1
	set -- $certs
	idx=$((n % 7 + 1))
	eval "who=\${$idx}"
	case $((n % 5)) in
	0 | 1) exec "$SEALMAIL" --home "$H" book add "$PKI/$who@example.org.crt" ;;
	2) exec "$SEALMAIL" --home "$H" book trust "$who@example.org" trusted ;;
	3) exec "$SEALMAIL" --home "$H" book remove "$who@example.org" ;;
	4) exec "$SEALMAIL" --home "$H" id create --email "me$n@example.org" \
		--key p256 --no-passphrase ;;
	esac
}

rand_ms() {
	od -An -N2 -tu2 /dev/urandom | awk '{ printf "0.%03d", $1 % 60 }'
}

begin_test "SIGKILL at random moments never leaves a half-made change"
"$SEALMAIL" --home "$H" book add "$PKI/alice@example.org.crt" >/dev/null 2>&1
# Run until 20 runs were killed mid-way (how many finish before the kill
# depends on the machine's load), with a cap so that a broken kill fails.
i=0
killed=0
while [ $killed -lt 20 ] && [ $i -lt 400 ]; do
	change $i >/dev/null 2>&1 &
	pid=$!
	sleep "$(rand_ms)"
	if kill -9 $pid 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait $pid 2>/dev/null
	i=$((i + 1))
done
echo "# $killed of $i runs killed mid-way"
[ "$killed" -ge 20 ] || fail "only $killed of $i runs were killed mid-way"
run sqlite3 "$H/store.db" "PRAGMA integrity_check"
expect_out "ok"
run sqlite3 "$H/store.db" "PRAGMA foreign_key_check"
expect_out ""
# A certificate is there with its addresses and contact, or not at all.
run sqlite3 "$H/store.db" "SELECT count(*) FROM certificates c WHERE NOT EXISTS
	(SELECT 1 FROM certificate_addresses a WHERE a.certificate_id = c.id)
	OR c.contact_id IS NULL"
expect_out "0"
# An identity is there with its addresses and its account, or not at all.
run sqlite3 "$H/store.db" "SELECT count(*) FROM identities i WHERE NOT EXISTS
	(SELECT 1 FROM identity_addresses a WHERE a.identity_id = i.id)"
expect_out "0"
run sqlite3 "$H/store.db" "SELECT count(*) FROM identity_addresses a WHERE NOT EXISTS
	(SELECT 1 FROM accounts c WHERE c.address = a.address)"
expect_out "0"
run sealmail --home "$H" book list
expect_exit 0
run sealmail --home "$H" id list
expect_exit 0

begin_test "two processes changing one store both succeed"
C="$TMP/concurrent"
"$SEALMAIL" --home "$C" book add "$PKI/alice@example.org.crt" >/dev/null 2>&1
writer() {
	j=0
	while [ $j -lt 12 ]; do
		"$SEALMAIL" --home "$C" id create --email "w$1-$j@example.org" \
			--key p256 --no-passphrase >/dev/null 2>"$TMP/w$1.err" ||
			{ echo "writer $1 step $j failed: $(cat "$TMP/w$1.err")"; return 1; }
		"$SEALMAIL" --home "$C" book trust alice@example.org trusted \
			>/dev/null 2>"$TMP/w$1.err" ||
			{ echo "writer $1 trust $j failed: $(cat "$TMP/w$1.err")"; return 1; }
		j=$((j + 1))
	done
}
writer 1 >"$TMP/w1.log" &
p1=$!
writer 2 >"$TMP/w2.log" &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
[ $r1 -eq 0 ] || fail "$(cat "$TMP/w1.log")"
[ $r2 -eq 0 ] || fail "$(cat "$TMP/w2.log")"
run sqlite3 "$C/store.db" "SELECT count(*) FROM identities"
expect_out "24"

end_tests
