#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job's output and trace depend only on the program and the
# platform (issue 11, item 5): the same run pinned to CPU 0, pinned to
# CPU 1 and unpinned gives byte-identical --json output, text output and
# trace. Without
# taskset (or a second CPU) the pinned runs are skipped and two unpinned
# runs are compared (host pointers and pids still differ between those).
#
# usage: determinism.sh DMASTACK WORKDIR [ARGS...]
set -u
exe=$1 dir=$2
shift 2
mkdir -p "$dir" || exit 1

runs="a b"
if command -v taskset >/dev/null 2>&1 &&
   taskset -c 0 true 2>/dev/null && taskset -c 1 true 2>/dev/null; then
	runs="cpu0 cpu1 a"
else
	echo "determinism: taskset or a second CPU missing, comparing unpinned runs"
fi

first=
for r in $runs; do
	case $r in
	cpu0) pin="taskset -c 0" ;;
	cpu1) pin="taskset -c 1" ;;
	*) pin= ;;
	esac
	rm -f "$dir/$r.trace"
	# shellcheck disable=SC2086
	if ! $pin "$exe" --json --trace "$dir/$r.trace" "$@" >"$dir/$r.json" 2>"$dir/$r.err"; then
		echo "determinism: run $r failed:"
		cat "$dir/$r.err"
		exit 1
	fi
	# and the text the main job prints
	# shellcheck disable=SC2086
	if ! $pin "$exe" "$@" >"$dir/$r.txt" 2>>"$dir/$r.err"; then
		echo "determinism: run $r (text) failed:"
		cat "$dir/$r.err"
		exit 1
	fi
	if [ ! -s "$dir/$r.trace" ]; then
		echo "determinism: run $r wrote no trace"
		exit 1
	fi
	if [ -z "$first" ]; then
		first=$r
		continue
	fi
	for k in json trace txt; do
		if ! cmp "$dir/$first.$k" "$dir/$r.$k"; then
			echo "determinism: $k of run $r differs from run $first:"
			diff "$dir/$first.$k" "$dir/$r.$k" | head -20
			exit 1
		fi
	done
done
echo "determinism: runs $runs identical: JSON, text and trace"
