#!/bin/sh
# SPDX-License-Identifier: MIT
# Our checksrc: each third-party library stays inside its one module, banned
# calls stay out, and the library never exits or prints.  Prints every
# violation as file:line: rule, and fails if there is any.
set -u
top=${1:-.}
cd "$top" || exit 2
# report runs at the end of pipelines (a subshell): it cannot set a variable
# here, so violations are counted in a file.
found=$(mktemp) || exit 2
trap 'rm -f "$found"' EXIT

report() {
	# $1 rule, then grep -n output on stdin
	while IFS= read -r line; do
		echo "$line: $1"
		echo x >>"$found"
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

# GMime's OpenPGP/S/MIME contexts and GIO stream are not linked in the static
# build (src/shim/gmime_nocrypto.c aborts): nothing may call them.
for f in $lib_c; do
	grep -HnE '\bg_mime_(crypto_context|gpg_context|pkcs7_context|multipart_signed_(verify|sign)|multipart_encrypted_(decrypt|encrypt)|application_pkcs7_mime_(sign|verify|encrypt|decrypt)|stream_gio)[a-z_]*\s*\(' "$f" |
		report "GMime crypto/GIO call (not linked: src/shim/gmime_nocrypto.c)"
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

[ -s "$found" ] && exit 1
exit 0
