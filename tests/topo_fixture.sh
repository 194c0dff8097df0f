#!/bin/sh
# SPDX-License-Identifier: MIT
#
# dmastack topo --dot/--svg (Graphviz), device names from a pci.ids
# fixture, and the p2p matrix in nvidia-smi's vocabulary.
#
# usage: topo_fixture.sh PATH/TO/dmastack
set -u
DMASTACK=${1:?usage: topo_fixture.sh DMASTACK}
T=$(mktemp -d "${TMPDIR:-/tmp}/dmastack-topo.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
has() { grep -q -e "$2" "$1" || { fail "$3: no '$2'"; sed 's/^/    /' "$1" >&2; }; }

# pci.ids: names from a fixture, whatever the system has
cat >"$T/pci.ids" <<'IDS'
# a small pci.ids
10de  Fixture Graphics Inc
	2335  FX 9000 Accelerator
144d  Fixture Storage Co
	a80a  FS NVMe 1
		144d a801  a subsystem, not a device
15b3  Fixture Networks
C 01  Mass storage controller
	08  Non-Volatile memory controller
IDS
"$DMASTACK" topo --pci-ids "$T/pci.ids" >"$T/names" 2>&1 || fail "topo --pci-ids: exit $?"
has "$T/names" 'nvme0  nvme \[144d:a80a\].*FLR  Fixture Storage Co FS NVMe 1$' names-device
has "$T/names" 'gpu0  gpu \[10de:2335\].*  Fixture Graphics Inc FX 9000 Accelerator$' names-gpu
has "$T/names" 'nic0  nic \[15b3:1021\].*  Fixture Networks Device 1021$' names-vendor-only
grep 'tb0  dmaengine \[8086:0b25\]' "$T/names" | grep -q 'Intel' && fail "names: a vendor not in the file got a name"
DMASTACK_PCI_IDS="$T/pci.ids" "$DMASTACK" topo >"$T/names-env" 2>&1
has "$T/names-env" 'FS NVMe 1' names-env
DMASTACK_PCI_IDS="$T/none" "$DMASTACK" topo >"$T/names-none" 2>&1 || fail "topo without pci.ids: exit $?"
has "$T/names-none" 'nvme0  nvme \[144d:a80a\]  coherent, 64-bit DMA, FLR$' names-fallback
"$DMASTACK" topo --pci-ids "$T/pci.ids" --json >"$T/names.json" 2>&1
has "$T/names.json" '"pci_name":"Fixture Storage Co FS NVMe 1"' names-json
"$DMASTACK" topo --pci-ids "$T/none" >/dev/null 2>&1 && fail "topo --pci-ids MISSING: exit 0"
# a file libpci cannot parse: exit 2, one line saying where
printf '10de  Fixture Graphics Inc\nnot an id line\n' >"$T/bad.ids"
"$DMASTACK" topo --pci-ids "$T/bad.ids" >/dev/null 2>"$T/bad.err"
[ $? -eq 2 ] || fail "topo --pci-ids BAD: exit not 2"
[ "$(wc -l <"$T/bad.err")" -eq 1 ] && grep -q 'pci.ids: Parse error at .*bad.ids, line 2' "$T/bad.err" ||
	{ fail "topo --pci-ids BAD: message"; sed 's/^/    /' "$T/bad.err" >&2; }

# the graph
"$DMASTACK" topo --dot --pci-ids "$T/pci.ids" >"$T/g.dot" 2>&1 || fail "topo --dot: exit $?"
has "$T/g.dot" '^graph "epyc-server" {' dot-graph
has "$T/g.dot" 'subgraph "cluster_group0"' dot-group
has "$T/g.dot" '"nvme0" -- "nic0" \[constraint=false.*P2P bus 4 PIX' dot-p2p-edge
has "$T/g.dot" 'gpu0 <-> tb0: through the host bridge (THRU_HOST_BRIDGE), distance 4, PHB' dot-legend
has "$T/g.dot" '"iommu:iommu0" -- "hb0"' dot-iommu
DMASTACK_DOT="$T/nodot" "$DMASTACK" topo --svg "$T/x.svg" 2>"$T/nodot.err" && fail "--svg without dot: exit 0"
has "$T/nodot.err" 'needs Graphviz' svg-no-dot
if command -v dot >/dev/null 2>&1; then
	"$DMASTACK" topo --svg "$T/g.svg" || fail "topo --svg: exit $?"
	head -c 200 "$T/g.svg" | grep -q -e '<?xml' -e '<svg' || fail "svg: not XML"
	grep -q '</svg>' "$T/g.svg" || fail "svg: no </svg>"
	for id in nvme0 nic0 gpu0 tb0 0000:03:00.0 iommu0; do
		grep -q "$id" "$T/g.svg" || fail "svg: no $id"
	done
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$T/g.svg" ||
			fail "svg: does not parse as XML"
	fi
	SKIP=0
else
	echo "dot is not installed: the SVG rendering is skipped"
	SKIP=1
fi

# nvidia-smi's vocabulary beside the map types
"$DMASTACK" p2p >"$T/p2p" 2>&1 || fail "p2p: exit $?"
has "$T/p2p" '^nvme0 (nvme) *X *PIX *PHB *PHB$' link-nvme
has "$T/p2p" '^gpu0 (gpu) *PHB *PHB *X *PHB$' link-gpu
has "$T/p2p" 'PXB   below a common upstream bridge through several bridges' link-legend
has "$T/p2p" 'nvme0 bar2 (64M).* gpu0 bar2 (64G)' provider-bar
"$DMASTACK" p2p --json >"$T/p2p.json" 2>&1
has "$T/p2p.json" '"link":"PIX"' link-json
tr -d ' \n' <"$T/p2p.json" >"$T/p2p.flat"
has "$T/p2p.flat" '"id":"nvme0","label":"nvme0","kind":"nvme","bar":2' provider-bar-json
"$DMASTACK" p2p --explain gpu0 nic0 >"$T/explain" 2>&1
has "$T/explain" 'gpu0 (gpu, bar2 64G) provides' explain-bar
# nested switches: PXB; two host bridges: NODE
cat >"$T/nested.platform" <<'P'
hostbridge id=hb0 p2p=allow
hostbridge id=hb1 p2p=allow
rootport id=rp0 bus=hb0
switch id=swa bus=rp0
switch id=swb bus=swa
gpu id=g0 bus=swb
gpu id=g1 bus=swa
rootport id=rp1 bus=hb1
nic id=n0 bus=rp1
P
"$DMASTACK" p2p -p "$T/nested.platform" >"$T/nested" 2>&1 || fail "nested: exit $?"
has "$T/nested" '^g0 (gpu) *X *PXB *NODE$' link-pxb-node
has "$T/nested" '^g1 (gpu) *PXB *X *NODE$' link-pxb

# VFs a PF has not enabled are no devices: not in the P2P matrix, the
# graph draws them dashed, --explain refuses them
cat >"$T/sriov.platform" <<'P'
machine name=sriov arch=x86_64 ram=4G
iommu id=io0 format=x86_64
hostbridge id=hb0 iommu=io0
rootport id=rp0 bus=hb0 acs=on
nic id=nic0 bus=rp0 sriov=3 vfs-enabled=1 vf-stride=2
P
"$DMASTACK" p2p -p "$T/sriov.platform" >"$T/sriov" 2>&1 || fail "sriov p2p: exit $?"
has "$T/sriov" '^ *nic0  nic0.vf0$' sriov-columns
grep -q 'nic0.vf1' "$T/sriov" && fail "sriov p2p: a VF not enabled is listed"
"$DMASTACK" topo -p "$T/sriov.platform" --dot >"$T/sriov.dot" 2>&1 || fail "sriov dot: exit $?"
has "$T/sriov.dot" '"nic0.vf1" \[shape=box, style="rounded,dashed".*not enabled (SR-IOV of its PF)' sriov-dot-absent
has "$T/sriov.dot" 'nic0 <-> nic0.vf0' sriov-legend
grep -q '<-> nic0.vf1' "$T/sriov.dot" && fail "sriov dot: a VF not enabled is in the P2P legend"
"$DMASTACK" p2p -p "$T/sriov.platform" --explain nic0 nic0.vf1 >/dev/null 2>"$T/sriov.err"
[ $? -eq 2 ] || fail "sriov --explain of a VF not enabled: exit not 2"
has "$T/sriov.err" 'nic0.vf1 is a VF its PF has not enabled' sriov-explain

[ $FAILS -eq 0 ] || { echo "$FAILS check(s) failed" >&2; exit 1; }
[ $SKIP -eq 0 ] || exit 77
echo "topo fixtures: all checks passed"
