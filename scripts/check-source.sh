#!/bin/sh
# SPDX-License-Identifier: MIT
# Our checksrc: each third-party library stays inside its one module, banned
# calls stay out, and the library never exits or prints.  Prints every
# violation as file:line: rule, and fails if there is any.
set -u
top=${1:-.}
cd "$top" || exit 2
fail=0

report() {
	# $1 rule, then grep -n output on stdin
	while IFS= read -r line; do
		echo "$line: $1"
		fail=1
	done
}

lib_c=$(find src include -name '*.[ch]' 2>/dev/null)

# Third-party includes only inside their module.
for f in $lib_c; do
	case "$f" in src/lib/crypto/*) ;; *)
		grep -Hn '#include <openssl/' "$f" | report "OpenSSL outside src/lib/crypto/" ;;
	esac
	case "$f" in src/lib/mime.c) ;; *)
		grep -Hn '#include <gmime/' "$f" | report "GMime outside src/lib/mime.c" ;;
	esac
	case "$f" in src/lib/store.c) ;; *)
		grep -Hn '#include <sqlite3.h>' "$f" | report "SQLite outside src/lib/store.c" ;;
	esac
	case "$f" in src/lib/net.c) ;; *)
		grep -Hn '#include <curl/' "$f" | report "libcurl outside src/lib/net.c" ;;
	esac
done

# Consumers use only the public API.
for f in $(find src/cli -name '*.[ch]' 2>/dev/null); do
	grep -Hn '#include "\(internal\|db\|crypto\|mime\|net\)' "$f" | report "internal header in a consumer"
	grep -Hn '#include "\.\./lib' "$f" | report "internal header in a consumer"
done

# Banned functions everywhere.
for f in $lib_c; do
	grep -HnE '\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|strtok|system|alloca|rand|srand)\s*\(' "$f" |
		grep -vE '(snprintf|vsnprintf)\s*\(' | report "banned function"
	grep -HnE '\b(PKCS7_[A-Za-z0-9_]+)\s*\(' "$f" | report "PKCS7_* (use CMS)"
done

# The library never exits, aborts or prints.
for f in $(find src/lib -name '*.[ch]' 2>/dev/null); do
	grep -HnE '(^|[^_a-z])(exit|_exit|abort)\s*\(' "$f" | report "exit/abort in the library"
	grep -HnE '(^|[^a-z_])(printf|puts|perror)\s*\(|fprintf\s*\(\s*std(err|out)' "$f" | report "printing in the library"
done

exit $fail
