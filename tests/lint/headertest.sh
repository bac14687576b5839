#!/bin/sh
# SPDX-License-Identifier: MIT
# Every public header compiles alone, as strict C99 and as C++ (libgit2's
# headertest): no missing include, no C-only construct in the API.
set -u
top=$1
fail=0
for h in "$top"/include/sealmail/*.h; do
	name=${h##*/}
	if ! printf '#include "sealmail/%s"\n' "$name" |
		cc -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only \
			-I "$top/include" -x c - 2>&1; then
		echo "$name: does not compile alone as C99"
		fail=1
	fi
	if ! printf '#include "sealmail/%s"\n' "$name" |
		c++ -std=c++11 -pedantic -Wall -Wextra -Werror -fsyntax-only \
			-I "$top/include" -x c++ - 2>&1; then
		echo "$name: does not compile alone as C++"
		fail=1
	fi
done
exit $fail
