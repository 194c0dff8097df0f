#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The installed headers compile in the languages programs are written in:
# every header of include/dmastack/ (as <dmastack/NAME.h>), every kernel
# header (as <linux/NAME.h>, with the dmastack-kernel include directory
# alone), <dmastack/uapi/...>, and <dmastack/dmastack.h> with all the
# kernel headers after it, each compiles on its own
#   as ISO C11   (-std=c11 -Wall -Wextra -Werror),
#   as GNU C11   (-std=gnu11 -Wall -Wextra -Werror),
#   as C++17     (-std=c++17 -Wall -Wextra -Werror).
# Then a C++ program that includes them all and takes the address of every
# name the shared library exports (src/libdmastack.map) links against it:
# each declaration has C linkage (extern "C"), none is mangled.
#
# usage: headers_std.sh INCLUDE_DIR MAPFILE LIB.so|- CC... [-- CXX...]
# (LIB.so "-": no link, as for a sanitized library)
# Without a C++ compiler the C++ half is skipped (exit 77 if nothing else ran).
set -u
inc=${1:?include directory}
map=${2:?version script}
lib=${3:?shared library}
shift 3
cc=""
cxx=""
seen_sep=0
for a in "$@"; do
	if [ "$a" = "--" ]; then
		seen_sep=1
	elif [ $seen_sep = 0 ]; then
		cc="$cc $a"
	else
		cxx="$cxx $a"
	fi
done
[ -n "$cc" ] || cc=cc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C
fail=0
n=0

# compile LANG FILE... (the source in $tmp/t.c or $tmp/t.cc)
try() {
	what=$1
	shift
	for std in c11 gnu11 c++17; do
		case $std in
		c++*)
			[ -n "$cxx" ] || continue
			src="$tmp/t.cc"; comp=$cxx ;;
		*)
			src="$tmp/t.c"; comp=$cc ;;
		esac
		cat "$tmp/body" > "$src"
		if ! $comp -std=$std -Wall -Wextra -Werror -fsyntax-only "$@" \
			"$src" 2> "$tmp/err"; then
			echo "FAIL: $what does not compile as $std:" >&2
			grep -E 'error' "$tmp/err" | head -5 >&2
			fail=1
		fi
		n=$((n + 1))
	done
}

for h in $(cd "$inc" && find dmastack -maxdepth 1 -name '*.h' | LC_ALL=C sort) \
	 $(cd "$inc" && find dmastack/uapi -name '*.h' | LC_ALL=C sort); do
	printf '#include <%s>\n#include <%s>\nint headers_std_unit;\n' "$h" "$h" > "$tmp/body"
	try "<$h>" -I"$inc"
done
khdrs=$(cd "$inc/dmastack" && find linux -name '*.h' | LC_ALL=C sort)
for h in $khdrs; do
	printf '#include <%s>\nint headers_std_unit;\n' "$h" > "$tmp/body"
	try "<$h>" -I"$inc/dmastack"
done
# the umbrella, then every kernel header after it
{
	echo '#include <dmastack/dmastack.h>'
	printf '#include <%s>\n' $khdrs
	echo 'int headers_std_unit;'
} > "$tmp/body"
try "<dmastack/dmastack.h> with every <linux/...> header" -I"$inc" -I"$inc/dmastack"

# C linkage: every exported name, from C++, linked against the library
if [ -n "$cxx" ] && [ "$lib" != "-" ]; then
	sed -e 's|/\*.*\*/||g' "$map" | sed -n '/global:/,/local:/p' |
		sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);[[:space:]]*$/\1/p' |
		sort -u > "$tmp/names"
	{
		echo '#include <dmastack/dmastack.h>'
		printf '#include <%s>\n' $khdrs
		echo '#include <cstdio>'
		echo 'static const void *const exported[] = {'
		sed 's/^\(.*\)$/	(const void *)\&\1,/' "$tmp/names"
		echo '};'
		echo 'int main() { std::printf("%zu\\n", sizeof(exported) / sizeof(exported[0])); return 0; }'
	} > "$tmp/link.cc"
	if ! $cxx -std=c++17 -Wall -Werror -I"$inc" -I"$inc/dmastack" -o "$tmp/link" \
		"$tmp/link.cc" "$lib" 2> "$tmp/link.err"; then
		echo "FAIL: exported names are not declared with C linkage for C++:" >&2
		grep -E 'undefined reference|error' "$tmp/link.err" | head -20 >&2
		fail=1
	elif [ "$(LD_LIBRARY_PATH="$(dirname "$lib")" "$tmp/link")" != "$(wc -l < "$tmp/names" | tr -d ' ')" ]; then
		echo "FAIL: the C++ program did not run" >&2
		fail=1
	fi
fi

linked=""
[ -n "$cxx" ] && [ "$lib" != "-" ] && linked=", every exported name has C linkage in C++"
[ $fail -eq 0 ] && echo "headers: $n compilations (C11, GNU C11${cxx:+, C++17}) clean$linked"
if [ $fail -eq 0 ] && [ -z "$cxx" ]; then
	echo "headers: no C++ compiler, C++ skipped"
	exit 77
fi
exit $fail
