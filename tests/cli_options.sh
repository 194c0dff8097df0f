#!/bin/sh
# SPDX-License-Identifier: MIT
#
# One command's options (issue 13, item 3): `dmastack CMD --help` and
# `dmastack help CMD` print the same usage on stdout and exit 0; every bad
# option or argument exits 2 with exactly one line on stderr, naming the
# command, and nothing on stdout (no work started). CMD "main" is the main
# job (dmastack [OPTIONS]).
#
# usage: cli_options.sh DMASTACK CMD WORKDIR
set -u
exe=${1:?dmastack}
cmd=${2:?command}
dir=${3:?workdir}
mkdir -p "$dir" || exit 1
out="$dir/$cmd.out" err="$dir/$cmd.err"
fail=0
n=0

bad() {
	echo "FAIL: $*" >&2
	fail=1
}

if [ "$cmd" = main ]; then
	set --
	prefix="dmastack: "
	usage_re='^usage: dmastack '
else
	set -- "$cmd"
	prefix="dmastack $cmd: "
	usage_re="^usage: dmastack $cmd"
fi

# --help, -h and `help CMD`: the same text, on stdout, exit 0
"$exe" "$@" --help >"$out" 2>"$err"
rc=$?
[ $rc -eq 0 ] || bad "$* --help exited $rc"
[ -s "$err" ] && bad "$* --help wrote to stderr: $(cat "$err")"
head -n 1 "$out" | grep -q -- "$usage_re" || bad "$* --help does not start with '$usage_re': $(head -n 1 "$out")"
if [ "$cmd" != help ]; then
	"$exe" "$@" -h >"$out.h" 2>/dev/null || bad "$* -h failed"
	cmp -s "$out" "$out.h" || bad "$* -h differs from --help"
	if [ "$cmd" = main ]; then
		"$exe" help >"$out.help" 2>/dev/null || bad "help failed"
	else
		"$exe" help "$cmd" >"$out.help" 2>/dev/null || bad "help $cmd failed"
	fi
	cmp -s "$out" "$out.help" || bad "dmastack help $cmd differs from $* --help"
fi

# each argument list: exit 2, one line on stderr, no stdout
expect_usage_error() {
	n=$((n + 1))
	"$exe" "$@" >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 2 ] || bad "'$*' exited $rc, not 2"
	lines=$(wc -l <"$err")
	[ "$lines" -eq 1 ] || bad "'$*' wrote $lines lines to stderr, not one: $(cat "$err")"
	# "dmastack CMD: ...", or "dmastack: FILE: ..." for a platform or trace file
	case $(cat "$err") in
	"$prefix"*|"dmastack: "*|"dmastack $cmd "*) ;;
	*) bad "'$*': the message does not start with '$prefix': $(cat "$err")" ;;
	esac
	[ -s "$out" ] && bad "'$*' wrote to stdout (work started): $(head -n 3 "$out")"
}

T="$dir/t.trace"
case $cmd in
main)
	expect_usage_error --bogus
	expect_usage_error -x
	expect_usage_error --json=yes
	expect_usage_error -p
	expect_usage_error -p ""
	expect_usage_error --tr "$T"
	expect_usage_error --trace
	expect_usage_error --trace-format xml --trace "$T"
	expect_usage_error --trace-format dat
	expect_usage_error --trace-accesses
	expect_usage_error frobnicate
	expect_usage_error -p /nonexistent/x.platform
	expect_usage_error -p /tmp
	expect_usage_error --trace /nonexistent/dir/x.trace
	;;
topo)
	expect_usage_error topo --bogus
	expect_usage_error topo -v
	expect_usage_error -v topo
	expect_usage_error topo --trace "$T"
	expect_usage_error --trace "$T" topo
	expect_usage_error topo extra
	expect_usage_error topo --json --dot
	expect_usage_error topo --dot=yes
	expect_usage_error topo --svg
	expect_usage_error topo --pci-ids /nonexistent/pci.ids
	expect_usage_error topo -p /nonexistent/x.platform
	expect_usage_error topo --platform=/tmp
	;;
p2p)
	expect_usage_error p2p --bogus
	expect_usage_error p2p -v
	expect_usage_error p2p --trace "$T"
	expect_usage_error p2p extra
	expect_usage_error p2p --explain nvme0
	expect_usage_error p2p --explain nvme0 nosuch
	expect_usage_error p2p --sysfs /sys -p x.platform
	expect_usage_error p2p --sysfs /nonexistent/sys
	expect_usage_error p2p --print-platform=yes
	expect_usage_error p2p -p /nonexistent/x.platform
	;;
run)
	expect_usage_error run --bogus
	expect_usage_error run
	expect_usage_error run frobnicate
	expect_usage_error run bounce sz=4K
	expect_usage_error run bounce size
	expect_usage_error run bounce count=12x
	expect_usage_error run bounce count=-1
	expect_usage_error run bounce size=
	expect_usage_error run bounce size=99999999999999999999
	expect_usage_error run bounce --trace
	expect_usage_error run bounce --trace-format dat
	expect_usage_error run bounce --trace-accesses
	expect_usage_error run bounce --trace "$T" --trace-format xml
	expect_usage_error run bounce --trace /nonexistent/dir/x.trace
	expect_usage_error run bounce -p /nonexistent/x.platform
	expect_usage_error run nvme iodepth=0x
	;;
bench)
	expect_usage_error bench --bogus
	expect_usage_error bench -t 2x
	expect_usage_error bench -x abc
	expect_usage_error bench -g -1
	expect_usage_error bench -s
	expect_usage_error bench extra
	;;
load)
	expect_usage_error load --bogus
	expect_usage_error load
	expect_usage_error load a.so b.so
	expect_usage_error load -v a.so
	expect_usage_error load --trace "$T" a.so
	expect_usage_error load a.so -p
	expect_usage_error load a.so -p /nonexistent/x.platform
	;;
platforms)
	expect_usage_error platforms --bogus
	expect_usage_error platforms --json
	expect_usage_error platforms nosuch
	expect_usage_error platforms default bounce
	expect_usage_error -p x.platform platforms
	;;
help)
	expect_usage_error help frobnicate
	expect_usage_error help topo run
	expect_usage_error help --bogus
	;;
*)
	bad "no cases for command '$cmd'"
	;;
esac

[ -e "$T" ] && bad "a refused command created its trace file $T"
rm -f "$out" "$out.h" "$out.help" "$err" "$T"
[ $fail -eq 0 ] && echo "cli-options $cmd: --help and help agree; $n bad argument lists exit 2 with one line"
exit $fail
