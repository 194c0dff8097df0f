#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The shared library exports exactly the names src/libdmastack.map lists,
# and every listed name is declared by the public headers:
#  (a) nm -D --defined-only LIB against the list, both ways;
#  (b) a file that includes only <dmastack/dmastack.h> from INCLUDE_DIR and
#      takes the address of every listed name must compile;
#  (c) the list has no name twice, and each header's group is sorted.
#
# usage: exported_symbols.sh LIB.so MAPFILE INCLUDE_DIR [CC...]
set -u
lib=${1:?shared library}
map=${2:?version script}
inc=${3:?public include directory}
shift 3
cc=${*:-cc}
nm=${NM:-nm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# The names of the global: section, comments dropped, one per line.
sed -e 's|/\*.*\*/||g' "$map" |
	sed -n '/global:/,/local:/p' |
	sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);[[:space:]]*$/\1/p' > "$tmp/listed.raw"
if [ ! -s "$tmp/listed.raw" ]; then
	echo "FAIL: no names in $map" >&2
	exit 1
fi
LC_ALL=C sort "$tmp/listed.raw" > "$tmp/listed"

# (c) no duplicates, groups sorted
dups=$(LC_ALL=C uniq -d "$tmp/listed")
if [ -n "$dups" ]; then
	echo "FAIL: listed more than once:" $dups >&2
	fail=1
fi
awk '/\/\* </ { g++ } /^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;[[:space:]]*$/ {
	gsub(/[[:space:];]/, ""); print g, $0 }' "$map" > "$tmp/groups"
for g in $(cut -d' ' -f1 "$tmp/groups" | uniq); do
	awk -v g="$g" '$1 == g { print $2 }' "$tmp/groups" > "$tmp/group"
	if ! LC_ALL=C sort -c "$tmp/group" 2>/dev/null; then
		echo "FAIL: group $g of $map is not sorted (first: $(head -n1 "$tmp/group"))" >&2
		fail=1
	fi
done

# (a) exported against listed
"$nm" -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	LC_ALL=C sort -u > "$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
	echo "FAIL: $lib exports nothing" >&2
	exit 1
fi
extra=$(LC_ALL=C comm -23 "$tmp/exported" "$tmp/listed")
if [ -n "$extra" ]; then
	echo "FAIL: exported by $(basename "$lib") but not in $(basename "$map"):" >&2
	echo "$extra" | sed 's/^/  /' >&2
	fail=1
fi
missing=$(LC_ALL=C comm -13 "$tmp/exported" "$tmp/listed")
if [ -n "$missing" ]; then
	echo "FAIL: in $(basename "$map") but not exported by $(basename "$lib"):" >&2
	echo "$missing" | sed 's/^/  /' >&2
	fail=1
fi

# (b) every listed name is declared by the public headers
{
	echo '#include <dmastack/dmastack.h>'
	echo 'void *const dmastack_exported[] = {'
	sed 's/^\(.*\)$/	(void *)\&\1,/' "$tmp/listed"
	echo '};'
} > "$tmp/declared.c"
if ! $cc -std=gnu11 -D_GNU_SOURCE -Werror=implicit-function-declaration \
	-I"$inc" -c -o "$tmp/declared.o" "$tmp/declared.c" 2> "$tmp/cc.err"; then
	echo "FAIL: listed names that <dmastack/dmastack.h> does not declare:" >&2
	grep -o "['‘][A-Za-z_][A-Za-z0-9_]*['’] undeclared" "$tmp/cc.err" |
		sed "s/^.\(.*\). undeclared/  \1/" | sort -u >&2
	grep -q "undeclared" "$tmp/cc.err" || cat "$tmp/cc.err" >&2
	fail=1
fi

[ $fail -eq 0 ] && echo "$(wc -l < "$tmp/listed") names exported, each declared by <dmastack/dmastack.h>"
exit $fail
