#!/bin/sh
# SPDX-License-Identifier: MIT
# Every command's --json output conforms to doc/dmastack-json.schema.json
# (issue 13, item 4), checked by tests/json_check.c: the schema version,
# hex strings for addresses and sizes, check ids that are unique and
# well-formed, one name per counter. With "rejects", the checker itself
# must refuse documents that break those rules.
#
# usage: json_schema.sh DMASTACK JSON_CHECK SCHEMA WORKDIR GROUP [MODULE.so]
#   GROUP: mainjob | topo | p2p | run | bench | load | ids | rejects
set -u
exe=$1 check=$2 schema=$3 dir=$4 group=$5 module=${6:-}
mkdir -p "$dir" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# validate NAME MAXRC ARGS...: run dmastack ARGS --json, exit status at most
# MAXRC (bench exits 1 when a ratio misses its target), validate the output
validate() {
	name=$1 maxrc=$2
	shift 2
	"$exe" "$@" --json >"$dir/$name.json" 2>"$dir/$name.err"
	rc=$?
	[ $rc -le "$maxrc" ] || { cat "$dir/$name.err"; fail "dmastack $* --json exited $rc"; }
	"$check" "$schema" "$dir/$name.json" || fail "dmastack $* --json does not conform to the schema"
	grep -q '"schema":"dmastack/1"' "$dir/$name.json" || fail "$name: no schema version"
	echo "ok $name"
}

# expect_reject NAME SED-EXPR FROM: FROM edited by SED-EXPR must be refused
expect_reject() {
	sed "$2" "$dir/$3.json" >"$dir/$1.json"
	cmp -s "$dir/$3.json" "$dir/$1.json" && fail "$1: the edit changed nothing"
	"$check" "$schema" "$dir/$1.json" >"$dir/$1.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || { cat "$dir/$1.out"; fail "$1: json_check exited $rc, not 1"; }
	echo "ok $1 refused: $(tail -1 "$dir/$1.out")"
}

case $group in
mainjob)
	validate mainjob 0
	# DMA_MAPPING_ERROR as a hex string, never as a rounded number
	grep -q '"dma":"0xffffffffffffffff"' "$dir/mainjob.json" || fail "no failed mapping as 0xffffffffffffffff"
	grep -q '18446744073709' "$dir/mainjob.json" && fail "a 64-bit value as a number"
	# ids name the checks: the same ids as the workloads' own runs
	for id in iommu_lazy.stale_iotlb iommu_strict.use_after_unmap_fault \
		  bounce.unmap_copied_devices_data job.no_unexpected_reports; do
		grep -q "\"id\":\"$id\"" "$dir/mainjob.json" || fail "no check $id"
	done
	;;
topo)
	validate topo 0 topo
	validate topo-arm64 0 topo -p "$(dirname "$0")/../examples/arm64-soc.platform"
	# SR-IOV VFs the PF has not enabled are marked, not described
	printf '%s\n' 'machine name=vf ram=256M ram-below-4g=128M' 'hostbridge id=hb0' \
		'rootport id=rp0 bus=hb0' 'pcidev id=pf0 bus=rp0 sriov=4 vfs-enabled=1' \
		>"$dir/vfs.platform"
	validate topo-vfs 0 topo -p "$dir/vfs.platform"
	[ "$(grep -o '"present":false' "$dir/topo-vfs.json" | wc -l)" -eq 3 ] ||
		fail "topo-vfs: the 3 VFs not enabled are not marked present=false"
	grep -q '"ram":"0x' "$dir/topo.json" || fail "ram is not a hex string"
	;;
p2p)
	validate p2p 0 p2p
	validate p2p-explain 0 p2p --explain gpu0 nic0
	grep -q '"mode":"explain"' "$dir/p2p-explain.json" || fail "explain's mode"
	# this host's /sys, when it has PCI devices to read
	if "$exe" p2p --sysfs >/dev/null 2>&1; then
		validate p2p-sysfs 0 p2p --sysfs
	fi
	;;
run)
	ws=$("$exe" run --help | awk '/^workloads:/ { w = 1; next } w && /^  [a-z]/ { print $1 }')
	[ -n "$ws" ] || fail "no workloads in run --help"
	for w in $ws; do
		validate "run-$w" 0 run "$w"
	done
	# a check's id is the same in run as in the main job
	grep -q '"id":"iommu_lazy.stale_iotlb"' "$dir/run-iommu-lazy.json" || fail "run iommu-lazy: no iommu_lazy.stale_iotlb"
	grep -q '"size":"0x10000"' "$dir/run-bounce.json" || fail "run bounce: size=64K is not \"0x10000\""
	;;
bench)
	validate bench 0 bench --path direct -s 0.05
	validate bench-node 0 bench --path swiotlb -n 0 -s 0.05
	validate bench-pt 1 bench --section pt -s 0.05
	# the scale section's code, its sizes divided by 256 (not the targets')
	DMASTACK_BENCH_SCALE_SHIFT=8
	export DMASTACK_BENCH_SCALE_SHIFT
	validate bench-scale 1 bench --section scale
	unset DMASTACK_BENCH_SCALE_SHIFT
	grep -q '"scaled_down":true' "$dir/bench-scale.json" || fail "bench scale: not marked scaled down"
	grep -q '"granule":"0x1000"' "$dir/bench-pt.json" || fail "bench pt: granule is not a hex string"
	grep -q '"map_stddev_ns":' "$dir/bench.json" || fail "bench: no standard deviation"
	;;
load)
	validate load 0 load "$module"
	validate load-missing 1 load "$dir/no-such-module.so"
	;;
ids)
	# every check id of the main job and of each workload's default run
	# is in the documented list, and every listed id is still reported
	list=$(dirname "$schema")/dmastack-check-ids.txt
	[ -s "$list" ] || fail "no $list"
	{
		"$exe" --json || fail "the main job"
		for w in $("$exe" run --help | awk '/^workloads:/ { w = 1; next } w && /^  [a-z]/ { print $1 }'); do
			"$exe" run "$w" --json || fail "run $w"
		done
	} | grep -o '"id":"[^"]*"' | sed 's/^"id":"//; s/"$//' | LC_ALL=C sort -u >"$dir/ids.out"
	grep -v '^#' "$list" | LC_ALL=C sort -u >"$dir/ids.doc"
	[ -s "$dir/ids.out" ] || fail "no check ids in the output"
	cmp -s "$dir/ids.out" "$dir/ids.doc" || {
		diff "$dir/ids.doc" "$dir/ids.out"
		fail "the check ids differ from $list (< listed, > reported)"
	}
	echo "ok $(wc -l <"$dir/ids.out") check ids as listed"
	;;
rejects)
	"$exe" run bounce --json >"$dir/base.json" || fail "run bounce"
	"$check" "$schema" "$dir/base.json" || fail "run bounce does not conform"
	"$exe" topo --json >"$dir/topo-base.json" || fail "topo"
	expect_reject number-ram 's/"ram":"0x[0-9a-f]*"/"ram":68719476736/' topo-base
	expect_reject number-bar 's/"start":"0x[0-9a-f]*"/"start":18446744073709552000/' topo-base
	expect_reject dup-id '0,/"id":"bounce\.[a-z0-9_]*"/s//"id":"run.no_unexpected_reports"/' base
	expect_reject bad-id '0,/"id":"bounce\.alloc"/s//"id":"Bounce alloc"/' base
	expect_reject no-dot-id '0,/"id":"bounce\.alloc"/s//"id":"alloc"/' base
	expect_reject version 's|"schema":"dmastack/1"|"schema":"dmastack/2"|' base
	expect_reject extra-member 's|"schema":"dmastack/1",|"schema":"dmastack/1", "surprise":1,|' base
	expect_reject missing-member '/"verdict":/d' base
	expect_reject upper-hex 's/"ram":"0x/"ram":"0X/' topo-base
	expect_reject counter-name 's/"maps":/"mappings":/' base
	expect_reject command 's/"command":"run"/"command":"walk"/' base
	# not one JSON document: exit 2
	head -c 200 "$dir/base.json" >"$dir/truncated.json"
	"$check" "$schema" "$dir/truncated.json" >/dev/null 2>&1
	[ $? -eq 2 ] || fail "a truncated document is not exit 2"
	{ cat "$dir/base.json"; echo '{}'; } >"$dir/two.json"
	"$check" "$schema" "$dir/two.json" >/dev/null 2>&1
	[ $? -eq 2 ] || fail "two documents are not exit 2"
	echo '{"type":"object","bogus":1}' >"$dir/bad-schema.json"
	"$check" "$dir/bad-schema.json" "$dir/base.json" >/dev/null 2>&1
	[ $? -eq 2 ] || fail "a schema keyword the checker does not know is not exit 2"
	"$check" "$schema" "$dir/no-such-file.json" >/dev/null 2>&1
	[ $? -eq 2 ] || fail "a missing document is not exit 2"
	;;
*)
	fail "unknown group $group"
	;;
esac
echo PASS
