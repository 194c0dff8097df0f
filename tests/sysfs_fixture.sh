#!/bin/sh
# SPDX-License-Identifier: MIT
#
# dmastack p2p --sysfs against fake /sys trees built in a temporary
# directory: a switch with two GPUs and ACS off, the same with ACS RR on the
# downstream ports, two root ports on one host bridge, config space cut at
# 64 bytes (ACS unknown), a multi-function device, an empty tree, and the
# bad inputs and broken trees that must exit 2.
#
# usage: sysfs_fixture.sh PATH/TO/dmastack
set -u

DMASTACK=${1:?usage: sysfs_fixture.sh DMASTACK}
T=$(mktemp -d "${TMPDIR:-/tmp}/dmastack-sysfs.XXXXXX") || exit 1
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT INT TERM
FAILS=0

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

# poke FILE OFFSET OCTAL-ESCAPED-BYTES
poke() {
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# config FILE LEN PCIE-TYPE ACS-CTRL-BYTE
#   LEN 4096 or 256 or 64; PCIE-TYPE 0 (endpoint), 4, 5, 6 or "-" for no
#   PCIe capability; ACS-CTRL-BYTE an octal escape or "-" for no ACS.
config() {
	head -c "$2" /dev/zero >"$1"
	[ "$2" -ge 64 ] || return 0
	if [ "$3" != "-" ]; then
		poke "$1" 6 '\020'		# status: capability list
		poke "$1" 52 '\100'		# capabilities at 0x40
		poke "$1" 64 "\\020\\000\\$(printf '%o' $(( $3 * 16 + 2 )))"
	fi
	if [ "$4" != "-" ] && [ "$2" -ge 4096 ]; then
		poke "$1" 256 '\015\000\001\000'	# ACS, version 1, last
		poke "$1" 262 "$4"
	fi
}

# fn ROOT PATH-BELOW-devices CLASS VENDOR DEVICE CFGLEN TYPE ACS [BARS...]
#   BARS: "start end flags" triplets, one per BAR line.
fn() {
	root=$1 path=$2 class=$3 vendor=$4 device=$5 len=$6 type=$7 acs=$8
	shift 8
	d="$root/devices/$path"
	bdf=$(basename "$path")
	mkdir -p "$d" "$root/bus/pci/devices"
	echo "$class" >"$d/class"
	echo "$vendor" >"$d/vendor"
	echo "$device" >"$d/device"
	config "$d/config" "$len" "$type" "$acs"
	: >"$d/resource"
	n=0
	while [ $n -lt 13 ]; do
		if [ $# -gt 0 ]; then
			echo "$1" >>"$d/resource"
			shift
		else
			echo "0x0000000000000000 0x0000000000000000 0x0000000000000000" >>"$d/resource"
		fi
		n=$((n + 1))
	done
	ln -s "../../../devices/$path" "$root/bus/pci/devices/$bdf"
}

cpu() {
	mkdir -p "$1/devices/system/cpu"
	echo "cpu:type:x86,ven$2fam$3mod0055:feature:,0000" >"$1/devices/system/cpu/modalias"
}

# group ROOT N PATH-BELOW-devices: the links the kernel makes both ways
# (libpci follows the function's, so it must resolve)
group() {
	mkdir -p "$1/kernel/iommu_groups/$2/devices"
	ln -s "../../../../devices/$3" "$1/kernel/iommu_groups/$2/devices/$(basename "$3")"
	up=$(printf '%s/x' "$3" | sed 's|[^/]*|..|g')
	ln -s "$up/kernel/iommu_groups/$2" "$1/devices/$3/iommu_group"
}

BAR16M="0x00000000c0000000 0x00000000c0ffffff 0x0000000000040200"
BAR256M="0x0000380000000000 0x000038000fffffff 0x000000000014220c"
BAR16K="0x00000000c1000000 0x00000000c1003fff 0x0000000000040200"
IOBAR="0x0000000000001000 0x000000000000107f 0x0000000000040101"

# switch ROOT LEN DSP-ACS: host bridge 8086:0d57 (not allowlisted), Intel
# CPU, root port 00:01.0, switch 01:00.0 with ports 02:00.0 and 02:01.0,
# GPUs 03:00.0 and 04:00.0.
switch_tree() {
	sr=$1 slen=$2 sacs=$3
	cpu "$sr" 0000 0006
	P=pci0000:00
	fn "$sr" $P/0000:00:00.0 0x060000 0x8086 0x0d57 "$slen" - -
	fn "$sr" $P/0000:00:01.0 0x060400 0x8086 0x2030 "$slen" 4 '\000'
	fn "$sr" $P/0000:00:01.0/0000:01:00.0 0x060400 0x10b5 0x8747 "$slen" 5 -
	fn "$sr" $P/0000:00:01.0/0000:01:00.0/0000:02:00.0 0x060400 0x10b5 0x8747 "$slen" 6 "$sacs"
	fn "$sr" $P/0000:00:01.0/0000:01:00.0/0000:02:01.0 0x060400 0x10b5 0x8747 "$slen" 6 "$sacs"
	fn "$sr" $P/0000:00:01.0/0000:01:00.0/0000:02:02.0 0x060400 0x10b5 0x8747 "$slen" 6 "$sacs"
	fn "$sr" $P/0000:00:01.0/0000:01:00.0/0000:02:00.0/0000:03:00.0 0x030200 0x10de 0x20b0 "$slen" 0 - \
		"$BAR16M" "0x0000000000000000 0x0000000000000000 0x0000000000000000" "$BAR256M"
	fn "$sr" $P/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:04:00.0 0x030200 0x10de 0x20b0 "$slen" 0 - \
		"$BAR16M" "0x0000000000000000 0x0000000000000000 0x0000000000000000" "$BAR256M"
	group "$sr" 7 $P/0000:00:01.0/0000:01:00.0/0000:02:00.0/0000:03:00.0
	group "$sr" 8 $P/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:04:00.0
}

# expect NAME PATTERN COMMAND...: COMMAND exits 0 and prints PATTERN
expect() {
	name=$1 pat=$2
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name: exit $rc: $*"
		echo "$out" | sed 's/^/    /' >&2
		return
	fi
	if ! printf '%s\n' "$out" | grep -q -e "$pat"; then
		fail "$name: no '$pat' in the output of $*"
		echo "$out" | sed 's/^/    /' >&2
	fi
}

# expect_exit NAME STATUS COMMAND...
expect_exit() {
	name=$1 want=$2
	shift 2
	"$@" >/dev/null 2>"$T/stderr"
	rc=$?
	[ $rc -eq "$want" ] || fail "$name: exit $rc, want $want: $*"
	[ "$want" -eq 0 ] || [ -s "$T/stderr" ] || fail "$name: no message on stderr"
}

# 1. a switch with two GPUs, ACS off: bus addresses, distance 4
S=$T/sw-off
switch_tree "$S" 4096 '\000'
expect sw-off-matrix '^03:00.0 (gpu) *self *BUS 4' "$DMASTACK" p2p --sysfs "$S"
expect sw-off-deny 'pci0000:00 *p2p=deny' "$DMASTACK" p2p --sysfs "$S"
expect sw-off-json '"short":"BUS"' "$DMASTACK" p2p --sysfs "$S" --json
expect sw-off-json-group '"iommu_group":8' "$DMASTACK" p2p --sysfs "$S" --json
expect sw-off-explain 'common upstream bridge' "$DMASTACK" p2p --sysfs "$S" --explain 03:00.0 04:00.0
expect sw-off-explain-dsp '02:01.0 .*switch-down.*acs=off' "$DMASTACK" p2p --sysfs "$S" --explain 0000:03:00.0 0000:04:00.0
expect sw-off-explain-json '"type":"BUS_ADDR"' "$DMASTACK" p2p --sysfs "$S" --explain 03:00.0 04:00.0 --json
expect sw-off-platform 'switch id=0000-01-00.0 bus=0000-00-01.0 acs=off' "$DMASTACK" p2p --sysfs "$S" --print-platform
expect sw-off-bars 'gpu id=0000-03-00.0 .* bar0=16M bar2=256M' "$DMASTACK" p2p --sysfs "$S" --print-platform
expect sw-off-hbfn '0000:00:00.0: the host bridge' "$DMASTACK" p2p --sysfs "$S"

# 2. the same with ACS RR on the downstream ports: to the host bridge,
#    which is not on the allowlist
S=$T/sw-rr
switch_tree "$S" 4096 '\004'
expect sw-rr-matrix '^03:00.0 (gpu) *self *--' "$DMASTACK" p2p --sysfs "$S"
expect sw-rr-platform 'switch id=0000-01-00.0 .* acs=rr' "$DMASTACK" p2p --sysfs "$S" --print-platform
expect sw-rr-explain 'acs=rr' "$DMASTACK" p2p --sysfs "$S" --explain 03:00.0 04:00.0
expect sw-rr-json '"type":"NOT_SUPPORTED"' "$DMASTACK" p2p --sysfs "$S" --explain 03:00.0 04:00.0 --json

# 3. two root ports on one allowlisted host bridge (8086:2020)
S=$T/two-rp
cpu "$S" 0000 0006
P=pci0000:00
fn "$S" $P/0000:00:00.0 0x060000 0x8086 0x2020 4096 - -
fn "$S" $P/0000:00:02.0 0x060400 0x8086 0x2031 4096 4 '\000'
fn "$S" $P/0000:00:03.0 0x060400 0x8086 0x2032 4096 4 '\035'
fn "$S" $P/0000:00:02.0/0000:05:00.0 0x010802 0x144d 0xa808 4096 0 - "$BAR16K" "$IOBAR"
fn "$S" $P/0000:00:03.0/0000:06:00.0 0x020000 0x15b3 0x1017 4096 0 - "$BAR16M"
expect two-rp-matrix '^05:00.0 (nvme) *self *HB [0-9]' "$DMASTACK" p2p --sysfs "$S"
expect two-rp-allow 'p2p=allow .*8086:2020' "$DMASTACK" p2p --sysfs "$S"
expect two-rp-acs 'rootport id=0000-00-03.0 bus=pci0000-00 acs=sv,rr,cr,uf' "$DMASTACK" p2p --sysfs "$S" --print-platform
expect two-rp-explain 'host bridge *pci0000:00, p2p=allow' "$DMASTACK" p2p --sysfs "$S" --explain 06:00.0 05:00.0

# 4. config space cut at 64 bytes (a non-root read): ACS unknown, shown
S=$T/unreadable
switch_tree "$S" 64 -
expect unk-matrix '^03:00.0 (gpu) *self *BUS|--' "$DMASTACK" p2p --sysfs "$S"
expect unk-list 'ACS unknown.*0000:02:00.0' "$DMASTACK" p2p --sysfs "$S"
expect unk-json '"acs_dependent":true' "$DMASTACK" p2p --sysfs "$S" --json
expect unk-explain 'acs=unknown' "$DMASTACK" p2p --sysfs "$S" --explain 03:00.0 04:00.0
expect unk-explain-on 'if it is on' "$DMASTACK" p2p --sysfs "$S" --explain 03:00.0 04:00.0

# 5. a multi-function device below a root port, an integrated endpoint on
#    the root bus, a second PCI domain
S=$T/odd
cpu "$S" 0002 0019
fn "$S" pci0000:00/0000:00:01.0 0x060400 0x1022 0x1483 4096 4 '\000'
fn "$S" pci0000:00/0000:00:01.0/0000:01:00.0 0x030000 0x1002 0x73bf 4096 0 - "$BAR256M"
fn "$S" pci0000:00/0000:00:01.0/0000:01:00.1 0x040300 0x1002 0xab28 4096 0 - "$BAR16K"
fn "$S" pci0000:00/0000:00:14.0 0x0c0330 0x1022 0x43ee 256 - - "$BAR16K"
fn "$S" pci0001:00/0001:00:01.0 0x060400 0x1022 0x1483 4096 4 '\000'
fn "$S" pci0001:00/0001:00:01.0/0001:01:00.0 0x010802 0x144d 0xa808 4096 0 - "$BAR16K"
expect odd-amd 'the CPU is AMD' "$DMASTACK" p2p --sysfs "$S"
expect odd-mf 'synthetic switch' "$DMASTACK" p2p --sysfs "$S"
expect odd-rcie 'synthetic root port' "$DMASTACK" p2p --sysfs "$S"
expect odd-domain 'PCI domain 0001' "$DMASTACK" p2p --sysfs "$S"
expect odd-mf-bus '^0000:01:00.0 (gpu) *self *BUS' "$DMASTACK" p2p --sysfs "$S"
expect odd-explain 'map type' "$DMASTACK" p2p --sysfs "$S" --explain 0000:01:00.0 0001:01:00.0

# 6. no PCI devices at all
S=$T/empty
mkdir -p "$S/devices/system" "$S/bus"
expect empty 'no PCI endpoints' "$DMASTACK" p2p --sysfs "$S"
expect empty-json '"matrix":\[' "$DMASTACK" p2p --sysfs "$S" --json

# 6b. distances on the real tree: two functions below one root port and
#     an endpoint on the root bus are modeled behind synthetic bridges, but
#     the distance is the kernel's (1 + 1 below the root port, 1 + 1
#     through the host bridge between two root-bus devices)
S=$T/kdist
cpu "$S" 0002 0019
fn "$S" pci0000:00/0000:00:01.0 0x060400 0x1022 0x1483 4096 4 '\000'
fn "$S" pci0000:00/0000:00:01.0/0000:01:00.0 0x030000 0x1002 0x73bf 4096 0 - "$BAR256M"
fn "$S" pci0000:00/0000:00:01.0/0000:01:00.1 0x040300 0x1002 0xab28 4096 0 - "$BAR16K"
fn "$S" pci0000:00/0000:00:14.0 0x0c0330 0x1022 0x43ee 4096 - - "$BAR16K"
fn "$S" pci0000:00/0000:00:15.0 0x0c0330 0x1022 0x43ee 4096 - - "$BAR16K"
expect kdist-mf '^01:00.0 (gpu) *self *BUS 2 *HB 3 *HB 3' "$DMASTACK" p2p --sysfs "$S"
expect kdist-rcie '^00:14.0 (pcidev) *HB 3 *HB 3 *self *HB 2' "$DMASTACK" p2p --sysfs "$S"
expect kdist-explain 'distance 2' "$DMASTACK" p2p --sysfs "$S" --explain 01:00.0 01:00.1
expect kdist-pix '^01:00.0 (gpu) *X *PIX *PHB *PHB' "$DMASTACK" p2p --sysfs "$S"

# 6c. 64-bit BARs of any size, and a second host bridge on bus 0x40:
#     print the platform, re-read it and print it again: the same text and
#     the same PCI addresses (the comments carry them)
S=$T/bar64
BAR16M64="0x0000004000000000 0x0000004000ffffff 0x000000000014220c"
BAR16K64="0x00000000c2000000 0x00000000c2003fff 0x0000000000140204"
cpu "$S" 0000 0006
fn "$S" pci0000:00/0000:00:01.0 0x060400 0x8086 0x2030 4096 4 '\000'
fn "$S" pci0000:00/0000:00:01.0/0000:01:00.0 0x010802 0x144d 0xa808 4096 0 - "$BAR16K64"
fn "$S" pci0000:40/0000:40:01.0 0x060400 0x8086 0x2030 4096 4 '\000'
fn "$S" pci0000:40/0000:40:01.0/0000:41:00.0 0x030200 0x10de 0x20b0 4096 0 - \
	"$BAR16M64" "0x0000000000000000 0x0000000000000000 0x0000000000000000" "$BAR256M"
expect bar64-print 'gpu id=0000-41-00.0 .* bar0=16M,64 bar2=256M' "$DMASTACK" p2p --sysfs "$S" --print-platform
expect bar64-busnr 'hostbridge id=.* busnr=0x40' "$DMASTACK" p2p --sysfs "$S" --print-platform
"$DMASTACK" p2p --sysfs "$S" --print-platform >"$T/rt1" 2>&1 || fail "bar64: print"
expect bar64-topo '0000:41:00.0 .*gpu' "$DMASTACK" topo -p "$T/rt1"
expect bar64-topo-bar '^ *|* *bar0 0x.* 16M  64-bit pref' "$DMASTACK" topo -p "$T/rt1"
"$DMASTACK" p2p -p "$T/rt1" --print-platform >"$T/rt2" 2>&1 || fail "bar64: re-read and print"
"$DMASTACK" p2p -p "$T/rt2" --print-platform >"$T/rt3" 2>&1 || fail "bar64: print again"
# the PCI lines, with the addresses in their comments, but the header's
pci_lines() { grep -E '^(hostbridge|rootport|switch|nvme|nic|gpu|dmaengine|pcidev) ' "$1"; }
pci_lines "$T/rt1" | sed 's/[[:space:]]*# \([0-9a-f:.pci]*\).*/ # \1/' >"$T/rt1.pci"
pci_lines "$T/rt2" | sed 's/[[:space:]]*# \([0-9a-f:.pci]*\).*/ # \1/' >"$T/rt2.pci"
cmp -s "$T/rt1.pci" "$T/rt2.pci" || { fail "bar64: re-read platform differs"; diff "$T/rt1.pci" "$T/rt2.pci" >&2; }
tail -n +2 "$T/rt2" >"$T/rt2.body"
tail -n +2 "$T/rt3" >"$T/rt3.body"
cmp -s "$T/rt2.body" "$T/rt3.body" || { fail "bar64: printing twice differs"; diff "$T/rt2.body" "$T/rt3.body" >&2; }

# 7. bad input: exit 2 with a message
expect_exit missing-dir 2 "$DMASTACK" p2p --sysfs "$T/nonexistent"
expect_exit not-sysfs 2 "$DMASTACK" p2p --sysfs "$T/sw-off/bus"
expect_exit both 2 "$DMASTACK" p2p --sysfs "$T/sw-off" -p "$T/x.platform"
expect_exit unknown-provider 2 "$DMASTACK" p2p --sysfs "$T/sw-off" --explain 09:00.0 04:00.0
expect_exit unknown-client 2 "$DMASTACK" p2p --sysfs "$T/sw-off" --explain 03:00.0 nope
expect_exit not-endpoint 2 "$DMASTACK" p2p --sysfs "$T/sw-off" --explain 02:00.0 04:00.0
expect_exit explain-short 2 "$DMASTACK" p2p --explain nvme0
echo "machine bogus=1" >"$T/bad.platform"
expect_exit bad-platform 2 "$DMASTACK" p2p -p "$T/bad.platform"
expect_exit missing-platform 2 "$DMASTACK" p2p -p "$T/none.platform"
expect_exit bad-option 2 "$DMASTACK" p2p --frobnicate

# expect_error NAME PATTERN COMMAND...: exit 2, one line on stderr with PATTERN
expect_error() {
	name=$1 pat=$2
	shift 2
	"$@" >/dev/null 2>"$T/stderr"
	rc=$?
	[ $rc -eq 2 ] || fail "$name: exit $rc, want 2: $*"
	if [ "$(wc -l <"$T/stderr")" -ne 1 ] || ! grep -q -e "$pat" "$T/stderr"; then
		fail "$name: want one line with '$pat' on stderr"
		sed 's/^/    /' "$T/stderr" >&2
	fi
}

# 8. trees libpci cannot read: one line naming the file, exit 2
G=devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.0/0000:03:00.0
broken() {
	rm -rf "$T/broken"
	cp -a "$T/sw-off" "$T/broken"
}
expect_error not-sysfs-msg 'not a sysfs root' "$DMASTACK" p2p --sysfs "$T/sw-off/bus"
broken; rm "$T/broken/$G/config"
expect_error config-missing '0000:03:00.0: config space unreadable (Cannot open .*config)' \
	"$DMASTACK" p2p --sysfs "$T/broken"
broken; rm "$T/broken/$G/config"; mkdir "$T/broken/$G/config"
expect_error config-unreadable '0000:03:00.0: config space unreadable (.*Is a directory)' \
	"$DMASTACK" p2p --sysfs "$T/broken"
broken; head -c 10 /dev/zero >"$T/broken/$G/config"
expect_error config-short '0000:03:00.0: config space shorter than the 64-byte header' \
	"$DMASTACK" p2p --sysfs "$T/broken"
broken; rm "$T/broken/$G/class"
expect_error class-missing 'Cannot open .*0000:03:00.0/class' "$DMASTACK" p2p --sysfs "$T/broken"
broken; rm "$T/broken/$G/resource"
expect_error resource-missing 'Cannot open .*0000:03:00.0/resource' "$DMASTACK" p2p --sysfs "$T/broken"
broken; mkdir "$T/broken/bus/pci/devices/junk"
expect_error bad-name 'bus/pci/devices/junk: not a PCI' "$DMASTACK" p2p --sysfs "$T/broken"

if [ $FAILS -ne 0 ]; then
	echo "$FAILS check(s) failed" >&2
	exit 1
fi
echo "sysfs fixtures: all checks passed"
