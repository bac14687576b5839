#!/bin/sh
# SPDX-License-Identifier: MIT
# CTest fixture cleanup: stop the Postfix and Dovecot that setup.sh started
# for this run (by their own configuration and pid files, nothing else) and
# remove the run's temporary folder.
set -u

envfile=$1
[ -f "$envfile" ] || exit 0
run=$(sed -n 's/^MAIL_DIR=//p' "$envfile")
PATH=$PATH:/usr/sbin
export PATH
if [ -n "$run" ] && [ -d "$run" ]; then
	pids=""
	for f in "$run/postfix/queue/pid/master.pid" \
		"$run/dovecot/run/master.pid"; do
		[ -f "$f" ] && pids="$pids $(tr -dc 0-9 <"$f")"
	done
	[ -f "$run/postfix/conf/main.cf" ] &&
		postfix -c "$run/postfix/conf" stop </dev/null >/dev/null 2>&1
	[ -f "$run/dovecot.conf" ] &&
		doveadm -c "$run/dovecot.conf" stop </dev/null >/dev/null 2>&1
	# Wait (10 s at most) for both masters to exit.
	for pid in $pids; do
		i=0
		while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
			sleep 0.2
			i=$((i + 1))
		done
	done
	case $run in
	/tmp/sealmail-mail.*) rm -rf "$run" ;;
	esac
fi
rm -f "$envfile"
exit 0
