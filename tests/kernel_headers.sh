#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The kernel's include spelling: every header of include/dmastack/linux/
# compiles on its own as <linux/NAME.h> with only the dmastack-kernel
# include directory (so it names its siblings, not the system's uAPI
# headers), and none of them declares a sim_ function or includes a
# <dmastack/...> header: the machine stays out of kernel-named headers.
#
# The kernel-style sources of KERNEL_SRC_DIR (tests/kernel/) are written
# as kernel code is: <linux/...> and local includes only, no dmastack name.
#
# usage: kernel_headers.sh INCLUDE_DIR KERNEL_SRC_DIR [CC...]
set -u
inc=${1:?include directory}
ksrc=${2:?kernel-style source directory}
shift 2
cc=${*:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

hdrs=$(cd "$inc/dmastack/linux" && find . -name '*.h' | sed 's|^\./||' | LC_ALL=C sort)
[ -n "$hdrs" ] || { echo "no headers in $inc/dmastack/linux" >&2; exit 1; }
for h in $hdrs; do
	printf '#include <linux/%s>\n#include <linux/%s>\nint kernel_headers_unit;\n' \
		"$h" "$h" > "$tmp/one.c"
	if ! $cc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only \
		-I"$inc/dmastack" "$tmp/one.c" 2> "$tmp/err"; then
		echo "FAIL: <linux/$h> does not compile on its own:" >&2
		head -5 "$tmp/err" >&2
		fail=1
	fi
	# declarations and calls outside comments
	bad=$(sed -e 's#/\*.*\*/##g' -e '/\/\*/,/\*\//d' "$inc/dmastack/linux/$h" |
		grep -nE '(\bsim_[a-z0-9_]+[[:space:]]*\(|#[[:space:]]*include[[:space:]]*<dmastack/)' || true)
	if [ -n "$bad" ]; then
		echo "FAIL: <linux/$h> names the machine:" >&2
		echo "$bad" >&2
		fail=1
	fi
done
# all of them together, in both orders
printf '%s\n' $hdrs | sed 's/.*/#include <linux\/&>/' > "$tmp/all.c"
printf '%s\n' $hdrs | LC_ALL=C sort -r | sed 's/.*/#include <linux\/&>/' > "$tmp/rev.c"
for f in all rev; do
	echo 'int kernel_headers_unit;' >> "$tmp/$f.c"
	$cc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -I"$inc/dmastack" \
		"$tmp/$f.c" || { echo "FAIL: the headers together ($f)" >&2; fail=1; }
done
srcs=$(ls "$ksrc"/*.[ch] 2>/dev/null)
[ -n "$srcs" ] || { echo "no sources in $ksrc" >&2; exit 1; }
for f in $srcs; do
	bad=$(grep -nE '(\bsim_|\bSIM_|dmastack|#[[:space:]]*include[[:space:]]*<[^l])' "$f" |
		grep -vE '#[[:space:]]*include[[:space:]]*<linux/' || true)
	if [ -n "$bad" ]; then
		echo "FAIL: $f is not kernel-style:" >&2
		echo "$bad" >&2
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "kernel headers: $(echo $hdrs | wc -w) <linux/...> headers, each on its own, none naming the machine"
exit $fail
