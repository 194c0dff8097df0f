#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The shared library exports exactly the names src/libdmastack.map lists,
# and every listed name is declared by the public headers:
#  (a) nm -D --defined-only LIB against the list, both ways;
#  (b) a file that includes only <dmastack/dmastack.h> from INCLUDE_DIR and
#      takes the address of every listed name must compile;
#  (c) the list has no name twice, and each header's group is sorted;
#  (d) no function or variable of the library (LIB.a) that the public
#      headers declare is left out of the list.
#
# usage: exported_symbols.sh LIB.so LIB.a MAPFILE INCLUDE_DIR [CC...]
set -u
lib=${1:?shared library}
alib=${2:?static library}
map=${3:?version script}
inc=${4:?public include directory}
shift 4
cc=${*:-cc}
nm=${NM:-nm}
tmp=$(mktemp -d)
# the compilers' messages in ASCII, as the patterns below read them
export LC_ALL=C
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C		# plain quotes in the compiler's messages
fail=0

# The names of the global: section, comments dropped, one per line.
sed -e 's|/\*.*\*/||g' "$map" |
	sed -n '/global:/,/local:/p' |
	sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);[[:space:]]*$/\1/p' > "$tmp/listed.raw"
if [ ! -s "$tmp/listed.raw" ]; then
	echo "FAIL: no names in $map" >&2
	exit 1
fi
sort "$tmp/listed.raw" > "$tmp/listed"

# (c) no duplicates, groups sorted
dups=$(uniq -d "$tmp/listed")
if [ -n "$dups" ]; then
	echo "FAIL: listed more than once:" $dups >&2
	fail=1
fi
awk '/\/\* </ { g++ } /^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;[[:space:]]*$/ {
	gsub(/[[:space:];]/, ""); print g, $0 }' "$map" > "$tmp/groups"
for g in $(cut -d' ' -f1 "$tmp/groups" | uniq); do
	awk -v g="$g" '$1 == g { print $2 }' "$tmp/groups" > "$tmp/group"
	if ! sort -c "$tmp/group" 2>/dev/null; then
		echo "FAIL: group $g of $map is not sorted (first: $(head -n1 "$tmp/group"))" >&2
		fail=1
	fi
done

# (a) exported against listed
"$nm" -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort -u > "$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
	echo "FAIL: $lib exports nothing" >&2
	exit 1
fi
extra=$(comm -23 "$tmp/exported" "$tmp/listed")
if [ -n "$extra" ]; then
	echo "FAIL: exported by $(basename "$lib") but not in $(basename "$map"):" >&2
	echo "$extra" | sed 's/^/  /' >&2
	fail=1
fi
missing=$(comm -13 "$tmp/exported" "$tmp/listed")
if [ -n "$missing" ]; then
	echo "FAIL: in $(basename "$map") but not exported by $(basename "$lib"):" >&2
	echo "$missing" | sed 's/^/  /' >&2
	fail=1
fi

# The public headers: <dmastack/dmastack.h>, and the kernel's headers that
# only kernel code includes (-I INCLUDE_DIR/dmastack: <linux/...>).
public_includes() {
	echo '#include <dmastack/dmastack.h>'
	(cd "$inc/dmastack/linux" && ls *.h) | sed 's|.*|#include <linux/&>|'
}

# (b) every listed name is declared by the public headers
{
	public_includes
	echo 'void *const dmastack_exported[] = {'
	sed 's/^\(.*\)$/	(void *)\&\1,/' "$tmp/listed"
	echo '};'
} > "$tmp/declared.c"
if ! $cc -std=gnu11 -D_GNU_SOURCE -Werror=implicit-function-declaration \
	-I"$inc" -I"$inc/dmastack" -c -o "$tmp/declared.o" "$tmp/declared.c" 2> "$tmp/cc.err"; then
	echo "FAIL: listed names that <dmastack/dmastack.h> does not declare:" >&2
	sed -n "s/.*error: ['\"]\([A-Za-z_][A-Za-z0-9_]*\)['\"] undeclared.*/\1/p" \
		"$tmp/cc.err" | sort -u | sed 's/^/  /' >&2
	grep -q "undeclared" "$tmp/cc.err" || cat "$tmp/cc.err" >&2
	fail=1
fi

# (d) what the library defines beyond the list must be undeclared in public
"$nm" -g --defined-only "$alib" 2>/dev/null |
	awk 'NF == 3 && $2 ~ /^[BDRTVW]$/ && $3 ~ /^[A-Za-z_][A-Za-z0-9_]*$/ { print $3 }' |
	sort -u > "$tmp/defined"
comm -23 "$tmp/defined" "$tmp/listed" > "$tmp/internal"
if [ -s "$tmp/internal" ]; then
	{
		public_includes
		echo 'void *const dmastack_internal[] = {'
		sed 's/^\(.*\)$/	(void *)\&\1,/' "$tmp/internal"
		echo '};'
	} > "$tmp/internal.c"
	# every error reported, not the first few (gcc; clang)
	nolimit=-fmax-errors=0
	$cc -ferror-limit=0 -E -x c /dev/null >/dev/null 2>&1 && nolimit=-ferror-limit=0
	$cc -std=gnu11 -D_GNU_SOURCE $nolimit -I"$inc" -I"$inc/dmastack" -c \
		-o "$tmp/internal.o" "$tmp/internal.c" 2> "$tmp/internal.err"
	# the name the error is about, not a "did you mean" suggestion
	sed -n "s/.*error: ['\"]\([A-Za-z_][A-Za-z0-9_]*\)['\"] undeclared.*/\1/p" \
		"$tmp/internal.err" | sort -u > "$tmp/undeclared"
	declared=$(comm -23 "$tmp/internal" "$tmp/undeclared")
	if [ -n "$declared" ]; then
		echo "FAIL: declared by <dmastack/dmastack.h> but not in $(basename "$map"):" >&2
		echo "$declared" | sed 's/^/  /' >&2
		fail=1
	fi
fi

[ $fail -eq 0 ] && echo "$(wc -l < "$tmp/listed") names exported, each declared by <dmastack/dmastack.h> or a <linux/...> header"
exit $fail
