#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The main job on any platform (issue 13, items 3 and 6):
#  - it passes (exit 0, text and --json) on every shipped platform in
#    examples/ and on every built-in one (`dmastack platforms NAME`);
#  - what a platform lacks is skipped, each skipped section saying why
#    ("skipped: ...") and listed as SKIP with the reason in the summary;
#    the default platform skips nothing, the small ones skip some and
#    still run others;
#  - each section names its machine variant: the platform's sections its
#    IOMMU lazy, strict or off variant;
#  - the text is consistent: sizes in one style (no "192K", no "8418352
#    bytes"), counts with their grammar (no "1 entries"), totals that are
#    the sums of the summary's lines, the CMB's P2P transfers counted, and
#    the last lines say what to run next.
#
# usage: mainjob_platforms.sh DMASTACK SOURCE_ROOT WORKDIR
set -u
exe=${1:?dmastack} root=${2:?source root} dir=${3:?workdir}
mkdir -p "$dir" || exit 1
fail=0

bad() {
	echo "FAIL: $*" >&2
	fail=1
}

plats=""
for f in "$root"/examples/*.platform; do
	plats="$plats $f"
done
for p in $("$exe" platforms | awk '{ print $1 }'); do
	"$exe" platforms "$p" >"$dir/builtin-$p.platform" || bad "platforms $p failed"
	plats="$plats $dir/builtin-$p.platform"
done

for f in $plats; do
	name=$(basename "$f" .platform)
	out="$dir/$name.txt"
	"$exe" -p "$f" >"$out" 2>"$dir/$name.err"
	rc=$?
	[ $rc -eq 0 ] || { bad "main job on $name: exit $rc: $(grep FAIL "$out" | head -n 3) $(cat "$dir/$name.err")"; continue; }
	grep -q '^verdict: PASS' "$out" || bad "main job on $name: no PASS verdict"
	"$exe" -p "$f" --json >"$dir/$name.json" 2>/dev/null || bad "main job --json on $name failed"
	grep -q '"verdict":"pass"\|"verdict": "pass"' "$dir/$name.json" || bad "main job --json on $name: no pass verdict"

	# every skipped section says why, and the summary lists it as SKIP with that reason
	nskip=$(grep -c '^   skipped: .' "$out")
	nsum=$(grep -c '^  SKIP  ' "$out")
	[ "$nskip" -eq "$nsum" ] || bad "$name: $nskip sections say skipped, the summary lists $nsum"
	# and --json: as many workloads with "verdict":"skip", each saying why
	jskip=$(grep -o '"verdict": *"skip"' "$dir/$name.json" | wc -l)
	jwhy=$(grep -o '"skipped": *"[^"]' "$dir/$name.json" | wc -l)
	[ "$jskip" -eq "$nskip" ] && [ "$jwhy" -eq "$nskip" ] ||
		bad "$name: $nskip sections skipped; --json: $jskip workloads with verdict skip, $jwhy reasons"
	grep '^   skipped: ' "$out" | sed 's/^   skipped: //' | while read -r why; do
		grep -qxF "        $why" "$out" || { echo "FAIL: $name: the summary does not give the reason '$why'" >&2; exit 1; }
	done || fail=1
	nran=$(grep -c '^  PASS  ' "$out")
	case $name in
	default|builtin-default)
		[ "$nskip" -eq 0 ] || bad "$name: $nskip sections skipped on the default platform: $(grep '^   skipped' "$out")" ;;
	*)
		[ "$nran" -gt 5 ] || bad "$name: only $nran sections ran" ;;
	esac
	case $name in
	arm64-soc|cc-guest)
		[ "$nskip" -gt 0 ] || bad "$name: nothing skipped on a platform without an IOMMU" ;;
	esac

	# the sections on the platform name its variant
	machine=$(sed -n '1s/^dmastack main job on \([^ ]*\) .*/\1/p' "$out")
	[ -n "$machine" ] || bad "$name: the first line does not name the machine"
	grep "^== .*\[$machine[,;]" "$out" | grep -v "\[$machine, \(IOMMU lazy\|IOMMU strict\|IOMMU off\|no IOMMU\);" |
		grep -q . && bad "$name: a section on $machine names no variant: $(grep "^== .*\[$machine[,;]" "$out" | grep -v 'IOMMU' | head -n 1)"
	grep -q "^== .*\[$machine, " "$out" || bad "$name: no section names the platform's variants"
done

# the default platform (no -p): variants, units, grammar, totals, next steps
out="$dir/no-p.txt"
"$exe" >"$out" || bad "the main job failed"
if [ -s "$out" ]; then
	sec() { grep -F "== $1  [" "$out" | head -n 1; }
	sec "coherent streaming DMA" | grep -q '\[epyc-server, IOMMU off; nic0\]' ||
		bad "coherent streaming DMA is not tagged with the IOMMU-off variant: $(sec "coherent streaming DMA")"
	sec "IOMMU, strict mode: unmap invalidates at once" | grep -q '\[epyc-server, IOMMU strict; ' ||
		bad "the strict section is not tagged with the strict variant"
	sec "IOMMU, lazy mode: translation, the flush-queue window" | grep -q '\[epyc-server, IOMMU lazy; ' ||
		bad "the lazy section is not tagged with the lazy variant"
	sec "arm64 SMMU with a 64 KiB granule" | grep -q '\[arm64-64k (built-in); ' ||
		bad "the arm64 section does not name arm64-64k"
	body=$(sed '/^Next:/,$d' "$out")
	# sizes in one style: "64 KiB", never "64K" or thousands of bytes
	printf '%s\n' "$body" | grep -nE '(^|[ (])[0-9]+(\.[0-9]+)?[KMGT]([ ,;)]|$)' | grep -v 'bs=\|size=' | head -n 3 |
		grep -q . && bad "sizes not in the KiB/MiB style: $(printf '%s\n' "$body" | grep -nE '(^|[ (])[0-9]+(\.[0-9]+)?[KMGT]([ ,;)]|$)' | head -n 3)"
	printf '%s\n' "$body" | grep -nE '(^|[^0-9.x])[0-9]{4,} bytes' | head -n 3 | grep -q . &&
		bad "byte counts of 1024 or more not in KiB/MiB: $(printf '%s\n' "$body" | grep -nE '(^|[^0-9.x])[0-9]{4,} bytes' | head -n 3)"
	# counts: "1 sync", not "1 syncs"
	printf '%s\n' "$body" | grep -nE '(^|[^0-9.,x])1 [A-Za-z-]*(s|ies)([ ,;)]|$)' |
		grep -vE '1 (MiB|KiB|GiB|process|bytes? )' | head -n 3 | grep -q . &&
		bad "a count of 1 with a plural: $(printf '%s\n' "$body" | grep -nE '(^|[^0-9.,x])1 [A-Za-z-]*(s|ies)([ ,;)]|$)' | grep -vE '1 (MiB|KiB|GiB)' | head -n 3)"
	# the totals are the sums of the summary's lines
	sum_of() {	# the sum of "N WORDS" over the summary's lines
		sed -n '/^Summary/,/^Totals/p' "$out" | grep '^        ' |
			grep -oE "[0-9]+ $1" | awk '{ n += $1 } END { print n + 0 }'
	}
	total_of() {
		sed -n '/^Totals/,/^$/p' "$out" | grep -oE "[0-9]+ $1" | awk '{ n += $1 } END { print n + 0 }'
	}
	for what in "streaming mappings?" "P2P transfers?" "IOTLB invalidations?"; do
		s=$(sum_of "$what") t=$(total_of "$what")
		[ "$s" -eq "$t" ] || bad "totals: $t '$what', the summary's lines add up to $s"
	done
	# the CMB's transfers are P2P in the summary, as many as the section says
	cmb=$(grep -oE '\(([0-9]+) CMB transfers\)' "$out" | grep -oE '[0-9]+' | head -n 1)
	grep -A1 '^  PASS  NVMe P2P from the CMB' "$out" | grep -q "$cmb P2P transfers (within the CMB)" ||
		bad "the CMB section's $cmb transfers are not its P2P transfers in the summary: $(grep -A1 '^  PASS  NVMe P2P from the CMB' "$out")"
	# the last lines: what to run next
	next=$(sed -n '/^Next:/,$p' "$out")
	for want in 'dmastack run ' 'dmastack topo --dot' 'dmastack bench' 'dmastack platforms' 'dmastack p2p --explain'; do
		printf '%s\n' "$next" | grep -qF -- "$want" || bad "the last lines do not suggest '$want'"
	done
	[ "$(tail -n 1 "$out" | cut -c1-11)" = "  dmastack " ] || bad "the output does not end with a command to try"
fi
# on another platform the suggestions carry its -p
grep -q "dmastack topo -p .*arm64-soc.platform --dot" "$dir/arm64-soc.txt" 2>/dev/null ||
	bad "on arm64-soc the next steps do not name its -p"

[ $fail -eq 0 ] && echo "mainjob-platforms: the main job passes on $(echo $plats | wc -w) platforms, skipping what each lacks"
exit $fail
