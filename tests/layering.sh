#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The hardware layer references no kernel symbol: no object built from
# src/hw/ (the machine) or src/models/ (device models) may leave undefined
# a symbol that an object of the kernel's side (src/kernel/, src/drivers/)
# defines. The hardware calls the kernel only through what the kernel
# registered (bus observers, ops tables, timers).
#
# The hardware's sources include no kernel header either: lib/lib.h,
# hw/ and models/ headers only, so a kernel declaration used there does
# not compile.
#
# usage: layering.sh LIBDMASTACK.a SRCDIR
set -eu
lib=$1
srcdir=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "archive:member: [address] type name" for every symbol, by member.
nm -A "$lib" 2>/dev/null | sed 's/^[^:]*://' > "$tmp/all"
hw='^src_(hw|models)_'
kernel='^src_(kernel|drivers)_'

grep -E "$hw" "$tmp/all" | awk '$(NF-1) == "U" { print $NF }' |
	sort -u > "$tmp/hw_undef"
grep -E "$kernel" "$tmp/all" | awk '$(NF-1) ~ /^[TDBR]$/ { print $NF }' |
	sort -u > "$tmp/kernel_def"

# The check must be able to fail: both sides have to be there.
if ! grep -qE "$hw" "$tmp/all" || ! [ -s "$tmp/kernel_def" ]; then
	echo "layering: no hardware objects or no kernel symbols in $lib" >&2
	exit 1
fi
bad=$(comm -12 "$tmp/hw_undef" "$tmp/kernel_def")
if [ -n "$bad" ]; then
	echo "layering: hardware objects reference kernel symbols:" >&2
	for s in $bad; do
		who=$(grep -E "$hw" "$tmp/all" | awk -v s="$s" '$NF == s && $(NF-1) == "U" { sub(/:.*/, "", $1); print $1 }' | sort -u | tr '\n' ' ')
		echo "  $s  (used by $who)" >&2
	done
	exit 1
fi
if [ -n "$srcdir" ]; then
	inc=$(grep -nE '^#include "' "$srcdir"/hw/*.[ch] "$srcdir"/hw/*/*.[ch] \
		"$srcdir"/models/*.[ch] 2>/dev/null |
		grep -vE '#include "(lib/lib\.h|hw/[a-z/_-]+\.h|models/[a-z_-]+\.h|unit\.h|queue\.h|bus\.h)"' || true)
	if [ -n "$inc" ]; then
		echo "layering: hardware sources include headers outside lib/ and hw/:" >&2
		echo "$inc" >&2
		exit 1
	fi
fi
echo "layering: $(grep -cE "$hw" "$tmp/all") hardware symbols, none of them a kernel symbol"
