#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The command and the benchmarks use the public API only: every #include of
# src/cli/ and bench/ is a system header, a <dmastack/...> header that
# include/dmastack/ installs, or (quoted) a header of the command itself;
# and every .c file of them compiles against include/ alone.
#
# usage: cli_public_headers.sh SOURCE_ROOT [CC...]
set -u
root=${1:?source root}
shift
cc=${*:-cc}
fail=0

bad() {
	echo "FAIL: $*" >&2
	fail=1
}

files=$(find "$root/src/cli" "$root/bench" -name '*.[ch]' | sort)
[ -n "$files" ] || { echo "no sources under $root/src/cli" >&2; exit 1; }

for f in $files; do
	dir=$(dirname "$f")
	grep -n '^[[:space:]]*#[[:space:]]*include' "$f" |
	sed -n 's/^\([0-9]*\):[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1 \2/p' |
	while read -r line inc; do
		name=$(printf '%s' "$inc" | sed 's/^[<"]//; s/[>"]$//')
		case "$inc" in
		\"*)
			# a quoted header must be the command's own
			real=$(realpath -m "$dir/$name")
			case "$real" in
			"$(realpath "$root/src/cli")"/*|"$(realpath "$root/bench")"/*)
				[ -f "$real" ] || echo "FAIL: $f:$line: $inc not found" ;;
			*)
				echo "FAIL: $f:$line: $inc is not a header of the command" ;;
			esac ;;
		\<dmastack/*)
			[ -f "$root/include/$name" ] ||
				echo "FAIL: $f:$line: $inc is not a public header"
			;;
		*)
			# a system header, never one of the library's own
			[ -e "$root/src/$name" ] &&
				echo "FAIL: $f:$line: $inc is the library's private header"
			;;
		esac
	done
done > "${TMPDIR:-/tmp}/cli_public_headers.$$" 2>&1
if [ -s "${TMPDIR:-/tmp}/cli_public_headers.$$" ]; then
	cat "${TMPDIR:-/tmp}/cli_public_headers.$$" >&2
	fail=1
fi
rm -f "${TMPDIR:-/tmp}/cli_public_headers.$$"

# Compile each file with the public include directory only.
jsonc=$(pkg-config --cflags json-c 2>/dev/null)
for f in $files; do
	case "$f" in *.c) ;; *) continue ;; esac
	$cc -std=gnu11 -D_GNU_SOURCE -fsyntax-only \
		-Werror=implicit-function-declaration \
		-I"$root/include" $jsonc "$f" || bad "$f does not compile against include/ alone"
done

[ $fail -eq 0 ] && echo "src/cli and bench use public headers only ($(echo "$files" | wc -l) files)"
exit $fail
