#!/bin/sh
# SPDX-License-Identifier: MIT
# bench as dma_map_benchmark (issue 13, item 5): --compat prints exactly
# its three lines, so scripts written for the kernel's tool read them; -n
# takes the machine's NUMA nodes (0, or -1 for any) and refuses anything
# else with exit 2 and one line; the standard deviations and the warm-up
# are reported. No timing is asserted, only the form of the figures.
# usage: bench_compat.sh DMASTACK
set -u
exe=$1
fail() { echo "FAIL: $*"; exit 1; }

out=$("$exe" bench --compat -s 0.05 -t 2 -n 0 -d 1 -g 4 --path swiotlb) || fail "bench --compat exited $?"
printf '%s\n' "$out"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "not three lines"
printf '%s\n' "$out" | sed -n 1p |
	grep -Eqx 'dma mapping benchmark: threads:2 seconds:0\.05 node:0 dir:TO_DEVICE granule: 4' ||
	fail "the header line"
printf '%s\n' "$out" | sed -n 2p |
	grep -Eqx 'average map latency\(us\):[0-9]+\.[0-9] standard deviation:[0-9]+\.[0-9]' ||
	fail "the map line"
printf '%s\n' "$out" | sed -n 3p |
	grep -Eqx 'average unmap latency\(us\):[0-9]+\.[0-9] standard deviation:[0-9]+\.[0-9]' ||
	fail "the unmap line"
# the defaults, as the kernel tool prints them: node -1, BIDIRECTIONAL
"$exe" bench --compat -s 0.05 --path direct | head -1 |
	grep -Eqx 'dma mapping benchmark: threads:1 seconds:0\.05 node:-1 dir:BIDIRECTIONAL granule: 1' ||
	fail "the default header"
"$exe" bench --compat -s 0.05 -d 2 -n -1 | head -1 | grep -q ' node:-1 dir:FROM_DEVICE ' ||
	fail "-n -1 -d 2"

# the other outputs carry the standard deviation and the warm-up too
"$exe" bench -s 0.05 --path direct | grep -Eq 'average map latency: +[0-9.]+ ns \(standard deviation [0-9.]+ ns\)' ||
	fail "no standard deviation in the text output"
json=$("$exe" bench -s 0.05 --path swiotlb -n 0 --json) || fail "bench --json"
printf '%s\n' "$json" | grep -q '"node":0' || fail "no node in the JSON"
printf '%s\n' "$json" | grep -Eq '"unmap_stddev_ns":[0-9]' || fail "no unmap standard deviation in the JSON"
# one pass over the 64M bounce buffer in 4K slots, before the timing
printf '%s\n' "$json" | grep -q '"warmup_pairs":16385' || fail "warm-up is not one pass over the bounce buffer"

# bad -n values: exit 2, one line naming the value
for n in 1 2 -2 x 0x 1.5 "" 99999999999; do
	err=$("$exe" bench -n "$n" -s 0.05 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] || fail "-n '$n' exited $rc, not 2"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "-n '$n': not one line: $err"
	printf '%s\n' "$err" | grep -q -- "-n $n: not a NUMA node" || fail "-n '$n': $err"
done
"$exe" bench -n >/dev/null 2>&1
[ $? -eq 2 ] || fail "-n without a value is not exit 2"
"$exe" bench --compat --json >/dev/null 2>&1
[ $? -eq 2 ] || fail "--compat --json is not exit 2"
echo PASS
