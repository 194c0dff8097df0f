#!/bin/sh
# SPDX-License-Identifier: MIT
#
# dmastack platforms: the built-in platforms, listed with a line each, and
# each printed as platform text that loads again with -p (the round trip):
#  - every listed name prints, the text loads in `topo -p` as the same
#    machine, and `platforms MACHINE-NAME` prints the same text;
#  - default and cc-guest are the shipped examples/ files, byte for byte;
#  - every run workload names its built-in platform in `run --help`, and
#    the workload on the printed file gives the same output as on the
#    built-in one;
#  - run noncoherent's default device exists in its platform and in the
#    shipped platforms that have a non-coherent device.
#
# usage: platforms.sh DMASTACK SOURCE_ROOT WORKDIR
set -u
exe=${1:?dmastack} root=${2:?source root} dir=${3:?workdir}
mkdir -p "$dir" || exit 1
fail=0

bad() {
	echo "FAIL: $*" >&2
	fail=1
}

"$exe" platforms >"$dir/list" || bad "dmastack platforms failed"
names=$(awk '{ print $1 }' "$dir/list")
[ "$(echo $names | wc -w)" -ge 7 ] || bad "fewer than 7 built-in platforms: $names"
awk 'NF < 3 { exit 1 }' "$dir/list" || bad "a platform without a description: $(cat "$dir/list")"
for want in default p2p-switch p2p-hostbridge bounce arm64-noncoherent arm64-64k cc-guest; do
	printf '%s\n' $names | grep -qx "$want" || bad "platforms does not list $want"
done

for p in $names; do
	f="$dir/$p.platform"
	"$exe" platforms "$p" >"$f" || { bad "platforms $p failed"; continue; }
	[ -s "$f" ] || bad "platforms $p printed nothing"
	"$exe" topo -p "$f" >"$dir/$p.topo" || { bad "topo -p (platforms $p) failed"; continue; }
	machine=$(head -n 1 "$dir/$p.topo" | awk '{ print $1 }')
	grep -q "^machine .*name=$machine " "$f" || bad "$p: topo names the machine $machine, the text does not"
	"$exe" platforms "$machine" | cmp -s - "$f" || bad "platforms $machine differs from platforms $p"
	# printed, loaded, printed again by p2p --print-platform: a machine
	"$exe" p2p -p "$f" --print-platform >/dev/null || bad "p2p --print-platform -p ($p) failed"
done
cmp -s "$dir/default.platform" "$root/examples/default.platform" ||
	bad "platforms default is not examples/default.platform"
cmp -s "$dir/cc-guest.platform" "$root/examples/cc-guest.platform" ||
	bad "platforms cc-guest is not examples/cc-guest.platform"

# each workload's built-in platform, by name, and the same run on the printed file
"$exe" run --help >"$dir/run-help" || bad "run --help failed"
for spec in "bounce" "bounce dev=ut0 size=3000 count=4" "noncoherent provoke=yes count=2" \
	    "dmabuf-p2p" "dmabuf-p2p path=hostbridge" "granule-64k" "confidential" \
	    "nvme size=256K bs=64K" "iommu-lazy"; do
	set -- $spec
	w=$1
	shift
	plat=$(sed -n "/^  $w /{n;s/^      on the built-in platform \([a-z0-9-]*\).*/\1/p;}" "$dir/run-help")
	case " $* " in
	*" path=hostbridge "*) plat=$(sed -n "/^  $w /{n;s/.*path=hostbridge: \([a-z0-9-]*\)).*/\1/p;}" "$dir/run-help") ;;
	esac
	[ -n "$plat" ] || { bad "run --help names no built-in platform for $w"; continue; }
	[ -f "$dir/$plat.platform" ] || { bad "$w's platform $plat is not listed"; continue; }
	"$exe" run "$w" "$@" >"$dir/builtin.out" 2>&1 || bad "run $spec failed"
	"$exe" run -p "$dir/$plat.platform" "$w" "$@" >"$dir/file.out" 2>&1 ||
		bad "run -p ($plat) $spec failed"
	cmp -s "$dir/builtin.out" "$dir/file.out" ||
		bad "run $spec: the printed platform $plat runs differently: $(diff "$dir/builtin.out" "$dir/file.out" | head -n 5)"
done

# run noncoherent: its default device is in its platform and in the shipped ones
"$exe" run noncoherent --json >"$dir/nc.json" || bad "run noncoherent failed"
dev=$(sed -n 's/.*"dev": *"\([^"]*\)".*/\1/p' "$dir/nc.json" | head -n 1)
[ -n "$dev" ] && grep -q "id=$dev " "$dir/arm64-noncoherent.platform" ||
	bad "run noncoherent's device '$dev' is not in its platform arm64-noncoherent"
for p in default arm64-soc; do
	"$exe" run -p "$root/examples/$p.platform" noncoherent >/dev/null ||
		bad "run -p examples/$p.platform noncoherent (the default device) failed"
done
# a platform without a non-coherent device: one line, exit 2
"$exe" run -p "$root/examples/cc-guest.platform" noncoherent >/dev/null 2>"$dir/nc.err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$dir/nc.err")" -eq 1 ] && grep -q "non-coherent" "$dir/nc.err" ||
	bad "run noncoherent on cc-guest: exit $rc, $(cat "$dir/nc.err")"

[ $fail -eq 0 ] && echo "platforms: $(echo $names | wc -w) built-in platforms print and load again"
exit $fail
