#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Hostile and careless input to the command (issue 14, "Input"):
#  - trace output that cannot be written fails the command: an open failure
#    before any work (exit 2, nothing on stdout), a write or close failure
#    (a full disk: /dev/full) at the end (exit 1); one line on stderr; the
#    text and the trace.dat writer, the main job and `run`;
#  - directories, FIFOs and devices are not platform files: refused at once
#    (a FIFO without a writer is not waited on), whichever command reads -p;
#  - an error about a file that is not a platform names the file and the
#    line and never quotes its contents;
#  - names that are not UTF-8 text are refused with the line named, and a
#    UTF-8 name comes out as valid JSON;
#  - a platform value equal to an old internal sentinel is checked, not
#    replaced;
#  - a `run` workload given a device of the wrong kind is bad usage (exit
#    2, one line), not a FAIL verdict.
#
# usage: cli_input.sh PATH/TO/dmastack
set -u
DMASTACK=${1:?usage: cli_input.sh DMASTACK}
T=$(mktemp -d "${TMPDIR:-/tmp}/dmastack-input.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# expect NAME RC NEEDLE CMD...: exit status RC, exactly one line on stderr
# containing NEEDLE (a fixed string); stdout and stderr kept in $T/NAME.*
expect() {
	name=$1 rc=$2 needle=$3
	shift 3
	timeout 20 "$@" >"$T/$name.out" 2>"$T/$name.err"
	got=$?
	[ "$got" -eq "$rc" ] || fail "$name: exit $got, expected $rc"
	lines=$(wc -l <"$T/$name.err")
	[ "$lines" -eq 1 ] || { fail "$name: $lines lines on stderr, expected 1"; sed 's/^/    /' "$T/$name.err" >&2; }
	grep -qF -e "$needle" "$T/$name.err" || { fail "$name: stderr lacks '$needle'"; sed 's/^/    /' "$T/$name.err" >&2; }
}
# nothing on stdout: the work did not start
no_output() { [ -s "$T/$1.out" ] && fail "$1: the work started (stdout not empty)"; }

# ---- trace output -----------------------------------------------------------
for fmt in text dat; do
	expect trace-full-main-$fmt 1 "cannot write /dev/full: No space left on device" \
		"$DMASTACK" --trace /dev/full --trace-format $fmt
	expect trace-full-run-$fmt 1 "cannot write /dev/full: No space left on device" \
		"$DMASTACK" run bounce count=2 --trace /dev/full --trace-format $fmt
	expect trace-nodir-main-$fmt 2 "cannot open trace file $T/none/x: No such file or directory" \
		"$DMASTACK" --trace "$T/none/x" --trace-format $fmt
	no_output trace-nodir-main-$fmt
	expect trace-nodir-run-$fmt 2 "cannot open trace file $T/none/x: No such file or directory" \
		"$DMASTACK" run bounce --trace "$T/none/x" --trace-format $fmt
	no_output trace-nodir-run-$fmt
	expect trace-isdir-run-$fmt 2 "cannot open trace file $T: Is a directory" \
		"$DMASTACK" run nvme --trace "$T" --trace-format $fmt
	no_output trace-isdir-run-$fmt
done
# a failed run's exit status is kept (1), the trace error still said
expect trace-full-json 1 "cannot write /dev/full" "$DMASTACK" run bounce --json --trace /dev/full
# and a trace that could be written is still fine
"$DMASTACK" run bounce count=1 --trace "$T/ok.txt" >/dev/null 2>&1 || fail "run --trace to a file: exit $?"
grep -q "swiotlb_bounced:" "$T/ok.txt" || fail "run --trace: no events in the file"

# ---- special files as platforms ---------------------------------------------
mkfifo "$T/fifo" || fail "mkfifo"
for cmd in "topo" "p2p" "run bounce" "run nvme iommu=strict" "load /nonexistent.so" ""; do
	tag=$(echo "x $cmd" | tr -c 'a-z0-9\n' '-')
	# shellcheck disable=SC2086
	expect "fifo$tag" 2 "$T/fifo: is a FIFO, not a platform file" "$DMASTACK" $cmd -p "$T/fifo"
	# shellcheck disable=SC2086
	expect "zero$tag" 2 "/dev/zero: is a device, not a platform file" "$DMASTACK" $cmd -p /dev/zero
	# shellcheck disable=SC2086
	expect "dir$tag" 2 "$T: is a directory, not a platform file" "$DMASTACK" $cmd -p "$T"
done

# ---- file contents never quoted ---------------------------------------------
printf 'root:$6$s3cr3tT0kenQ:19000:0:99999:7:::\n' >"$T/shadow"
printf '# keys\n\nAPI_KEY s3cr3tT0kenQ\n' >"$T/keys"
printf 'machine name=x ram=256M\nhunter2s3cr3tT0kenQ\n' >"$T/half"
for f in shadow:1 keys:3 half:2; do
	file=${f%:*} line=${f#*:}
	for cmd in topo p2p "run bounce" ""; do
		tag=$(echo "$file $cmd" | tr -c 'a-z0-9\n' '-')
		# shellcheck disable=SC2086
		expect "secret-$tag" 2 "$T/$file: line $line: unknown kind: a line starts with one of machine" \
			"$DMASTACK" $cmd -p "$T/$file"
		grep -q "s3cr3t" "$T/secret-$tag.err" "$T/secret-$tag.out" &&
			fail "secret-$tag: the file's contents were quoted"
	done
done

# ---- names: UTF-8 text only, valid JSON ---------------------------------------
printf 'machine name=caf\351 ram=256M\n' >"$T/latin1"
expect latin1-json 2 "$T/latin1: line 1: byte 0xe9 at column 17 is not UTF-8 text" \
	"$DMASTACK" topo --json -p "$T/latin1"
[ -s "$T/latin1-json.out" ] && fail "latin1-json: JSON printed for a refused platform"
printf 'machine name=a\302\233[31m ram=256M\n' >"$T/c1"
expect c1 2 "line 1: control character U+009B at column 15" "$DMASTACK" topo -p "$T/c1"
printf 'machine name=caf\303\251-\342\202\254 ram=256M\n' >"$T/utf8"
"$DMASTACK" topo --json -p "$T/utf8" >"$T/utf8.json" 2>"$T/utf8.err" || fail "utf8: exit $?"
grep -qF "\"machine\":\"$(printf 'caf\303\251-\342\202\254')\"" "$T/utf8.json" ||
	fail "utf8: the name is not in the JSON"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$T/utf8.json" ||
		fail "utf8: topo --json is not valid JSON"
fi

# pci.ids names go into the output too: one that is not UTF-8 text is no
# name (the numbers are shown), a valid one is kept; a FIFO is not read
printf '144d  Fixture Stor\351ge\n\ta80a  FS NVMe\n10de  Fixture Graphics\n\t2335  FX \302\233 9000\n15b3  Fixture \342\202\254 Networks\n' >"$T/pci.ids"
"$DMASTACK" topo --pci-ids "$T/pci.ids" >"$T/ids.txt" 2>&1 || fail "topo --pci-ids: exit $?"
grep -q 'nvme0  nvme \[144d:a80a\]  coherent, 64-bit DMA, FLR$' "$T/ids.txt" || fail "pci.ids: a Latin-1 vendor name was used"
grep -q 'gpu0  gpu \[10de:2335\].*  Fixture Graphics Device 2335$' "$T/ids.txt" || fail "pci.ids: a device name with a C1 control was used"
grep -q "nic0  nic \[15b3:1021\].*  Fixture $(printf '\342\202\254') Networks Device 1021$" "$T/ids.txt" || fail "pci.ids: a UTF-8 vendor name was lost"
"$DMASTACK" topo --json --pci-ids "$T/pci.ids" >"$T/ids.json" 2>&1 || fail "topo --json --pci-ids: exit $?"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$T/ids.json" ||
		fail "pci.ids: topo --json is not valid JSON"
fi
timeout 20 "$DMASTACK" topo --pci-ids "$T/fifo" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || fail "topo --pci-ids FIFO: exit $rc, expected 2"

# ---- sentinel values --------------------------------------------------------
printf 'machine ram=256M\nhostbridge id=hb0 mmio32-base=0xffffffffffffffff\n' >"$T/sentinel"
expect sentinel 2 "line 2: hostbridge: mmio32 window 0xffffffffffffffff+256M must end below 0xfec00000" \
	"$DMASTACK" topo -p "$T/sentinel"

# ---- run: devices of the wrong kind -----------------------------------------
expect run-nic-is-gpu 2 "nic=gpu0: gpu0 is a gpu, not a device of kind nic" \
	"$DMASTACK" run dmabuf-p2p nic=gpu0
no_output run-nic-is-gpu
expect run-gpu-is-nic 2 "gpu=nic0: nic0 is a nic, not a device of kind gpu" \
	"$DMASTACK" run dmabuf-p2p gpu=nic0
expect run-gpu-is-switch 2 "gpu=sw0: sw0 is a switch, not a device of kind gpu" \
	"$DMASTACK" run dmabuf-p2p gpu=sw0
expect run-nvme-is-nic 2 "dev=nic0: nic0 is a nic, not a device of kind nvme" \
	"$DMASTACK" run nvme dev=nic0
expect run-odp-is-nvme 2 "nic=nvme0: nvme0 is a nvme, not a device of kind nic" \
	"$DMASTACK" run odp nic=nvme0
expect run-port 2 "dev=rp0: rp0 is a rootport, not an endpoint" \
	"$DMASTACK" run coherent dev=rp0
expect run-pool-port 2 "pool=sw0: sw0 is a switch, not an endpoint" \
	"$DMASTACK" run coherent-alloc pool=sw0
expect run-coherent-tb0 2 "dev=tb0: tb0 is not coherent, which workload coherent needs" \
	"$DMASTACK" run coherent dev=tb0
expect run-untrusted-nic0 2 "dev=nic0: nic0 is not untrusted, which workload untrusted needs" \
	"$DMASTACK" run untrusted dev=nic0
expect run-noncoherent-nic0 2 "dev=nic0: nic0 is not non-coherent" \
	"$DMASTACK" run noncoherent dev=nic0 -p "$(dirname "$0")/../examples/default.platform"
expect run-vfio-mig-tb0 2 "dev=tb0: tb0 is not coherent, which workload vfio-mig needs" \
	"$DMASTACK" run vfio-mig dev=tb0
expect run-iova-missing 2 "dev=nosuch: the platform has no device 'nosuch'" \
	"$DMASTACK" run iova-api dev=nosuch
for dev in iova-api iommu-strict; do
	expect run-$dev-port 2 "dev=hb0: the platform has no device 'hb0'" "$DMASTACK" run $dev dev=hb0
done
# the right kinds still run and pass
"$DMASTACK" run dmabuf-p2p gpu=gpu0 nic=nic0 >/dev/null 2>&1 || fail "run dmabuf-p2p gpu0 nic0: exit $?"
"$DMASTACK" run coherent dev=nvme0 >/dev/null 2>&1 || fail "run coherent dev=nvme0: exit $?"

[ "$FAILS" -eq 0 ] || { echo "$FAILS failures" >&2; exit 1; }
echo PASS
