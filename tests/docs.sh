#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The man pages and the bash completion say what the command does:
#  - the generated roff of dmastack(1) has NAME, SYNOPSIS, DESCRIPTION,
#    EXIT STATUS and a section per command, and renders with `man -l`;
#  - dmastack-platform(5) has a section per component kind and names every
#    key src/hw/platform.c parses;
#  - every workload `dmastack run --help` lists and every built-in platform
#    `dmastack platforms` lists is in the man page and the completion, and
#    the completion completes the commands, run's workloads, a key's values
#    and the platforms under bash (an empty reply reads as " ").
#
# usage: docs.sh SOURCE_ROOT DMASTACK MAN1 MAN5
set -u
root=${1:?source root}
exe=${2:?dmastack}
man1=${3:?dmastack.1}
man5=${4:?dmastack-platform.5}
comp="$root/completions/dmastack.bash"
export LC_ALL=C
fail=0

bad() {
	echo "FAIL: $*" >&2
	fail=1
}

# roff section headers: .SH NAME, .SS topo
sections() {
	sed -n 's/^\.S[HS] "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$1"
}

s1=$(sections "$man1")
for want in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS topo bench p2p run load platforms help \
	    "EXIT STATUS" FILES "SEE ALSO"; do
	printf '%s\n' "$s1" | grep -qx -- "$want" || bad "dmastack.1 has no section '$want'"
done
grep -q '^\.TH "\{0,1\}dmastack"\{0,1\} "\{0,1\}1' "$man1" || bad "dmastack.1 has no .TH dmastack 1"

s5=$(sections "$man5")
for want in NAME SYNOPSIS DESCRIPTION COMPONENTS machine iommu swiotlb hostbridge \
	    rootport switch "nvme, nic, gpu, dmaengine, pcidev" EXAMPLE "SEE ALSO"; do
	printf '%s\n' "$s5" | grep -qx -- "$want" || bad "dmastack-platform.5 has no section '$want'"
done
# every key the parser reads (kv_get/get_size/get_bool/get_uint/get_offset)
keys=$(sed -n 's/.*\(kv_get\|get_size\|get_bool\|get_uint\|get_offset\)(c, "\([a-z0-9-]*\)".*/\2/p' \
	"$root/src/hw/platform.c" | sort -u)
[ -n "$keys" ] || bad "no keys found in src/hw/platform.c"
for k in $keys acs bar0 bar5; do
	grep -q "\\\\fB$k\\\\fR=" "$man5" || bad "dmastack-platform.5 does not document the key '$k'"
done

# man -l renders them without complaint
if command -v man >/dev/null 2>&1; then
	for page in "$man1" "$man5"; do
		out=$(MANWIDTH=80 man -l "$page" 2>"$page.err") || bad "man -l $page failed"
		[ -s "$page.err" ] && { cat "$page.err" >&2; bad "man -l $page: warnings"; }
		printf '%s\n' "$out" | grep -q '^NAME' || bad "man -l $page: no NAME"
		rm -f "$page.err"
	done
fi

# the built-in platforms: dmastack platforms, the man page, the completion
plats=$("$exe" platforms | awk '{ print $1 }')
[ -n "$plats" ] || bad "dmastack platforms lists nothing"
for p in $plats; do
	grep -q "\\\\fB$p\\\\fR" "$man1" || bad "dmastack.1 does not name the built-in platform '$p'"
	grep -Eq "(^|[[:space:]\"])$p([[:space:]\"]|\$)" "$comp" || bad "the completion does not know the platform '$p'"
done

# the workloads: run --help, the man page, the completion
wls=$("$exe" run --help | sed -n '/^workloads:/,/^$/s/^  \([a-z0-9-]*\) .*/\1/p')
[ -n "$wls" ] || bad "dmastack run --help lists no workloads"
for w in $wls; do
	grep -q "\\\\fB$w\\\\fR" "$man1" || bad "dmastack.1 does not name the workload '$w'"
	grep -Eq "(^|[[:space:]\"])$w([[:space:]\"]|\$)" "$comp" || bad "the completion does not know the workload '$w'"
done

# the completion under bash
if command -v bash >/dev/null 2>&1; then
	complete_words() {
		bash -c '
			[ -f /usr/share/bash-completion/bash_completion ] &&
				. /usr/share/bash-completion/bash_completion
			. "$1"; shift
			COMP_WORDS=(dmastack "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
			COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
			_dmastack dmastack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$@" | sort | tr '\n' ' '
	}
	check() {
		want=$1
		shift
		got=$(complete_words "$@")
		[ "$got" = "$want" ] || bad "completing 'dmastack $*': got '$got', want '$want'"
	}
	check "bench help load p2p platforms run topo " ""
	check "bench help load p2p platforms run topo " help ""
	check " " help run ""
	check "arm64-64k arm64-noncoherent " platforms arm
	check " " platforms bounce ""
	check "--help -h " platforms -
	check "--help --json --platform --trace --trace-accesses --trace-format --verbose --version " --
	check "nvme " run nv
	check "iodepth= iommu= " run nvme i
	check "direct iommu swiotlb " bench --path ""
	check "--explain " p2p --e
	check "--trace --trace-accesses --trace-format " run --trace
fi

[ $fail -eq 0 ] && echo "docs: man pages and completion agree with the command ($(echo $keys | wc -w) platform keys, $(echo $wls | wc -w) workloads)"
exit $fail
