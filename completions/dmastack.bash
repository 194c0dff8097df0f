# bash completion for dmastack(1)                         -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Installed as share/bash-completion/completions/dmastack. Completes the
# commands, each command's options and their values, files for -p/--trace,
# run's workloads and their key=value parameters, the built-in platforms.

_dmastack_workloads="nvme odp dmabuf-p2p bounce noncoherent coherent
	coherent-alloc mmio iommu-lazy iova-api iommu-strict untrusted
	granule-64k confidential vfio-mig"

# what `dmastack platforms` lists
_dmastack_platforms="default p2p-switch p2p-hostbridge bounce arm64-noncoherent
	arm64-64k cc-guest"

_dmastack_commands="topo bench p2p run load platforms help"

# run WORKLOAD: its keys (as `dmastack run --help` lists them)
_dmastack_run_keys()
{
	local iommu="iommu="
	case $1 in
	nvme) echo "rw= bs= iodepth= size= api= p2p= dev= $iommu" ;;
	odp) echo "size= faults= invalidations= strategy= nic= $iommu" ;;
	dmabuf-p2p) echo "size= path= gpu= nic=" ;;
	bounce) echo "size= count= dev=" ;;
	noncoherent) echo "size= count= dev= provoke=" ;;
	coherent|iova-api|iommu-strict|untrusted|vfio-mig) echo "dev= $iommu" ;;
	coherent-alloc) echo "dev= pool= $iommu" ;;
	mmio|iommu-lazy) echo "$iommu" ;;
	granule-64k|confidential) echo "dev=" ;;
	esac
}

# the values of a run key=
_dmastack_run_values()
{
	case $1 in
	rw) echo "read write randrw" ;;
	api) echo "iova phys sg" ;;
	p2p|provoke) echo "no yes" ;;
	strategy) echo "iova per-page" ;;
	path) echo "switch hostbridge" ;;
	iommu) echo "platform lazy strict off" ;;
	bs) echo "512 4K 16K 64K 128K 1M 4M" ;;
	size) echo "4K 64K 1M 4M 16M 1G" ;;
	esac
}

_dmastack()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -n = || return
	else
		COMPREPLY=()
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local cmd="" i workload="" nargs=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-p|--platform|--trace|--trace-format|-t|-s|-g|-d|-b|-x|-m|--path|--mode|--api|--granule|--section|--svg|--pci-ids)
			((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ $cmd != run ]]; then
				((nargs++))
			elif [[ $cmd == run && -z $workload && ${words[i]} != *=* ]]; then
				workload=${words[i]}
			fi ;;
		esac
	done

	# option values
	case $prev in
	-p|--platform)
		COMPREPLY=($(compgen -f -X '!*.platform' -- "$cur") $(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return ;;
	--trace|--svg|--pci-ids)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return ;;
	--sysfs)
		COMPREPLY=($(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return ;;
	--trace-format) COMPREPLY=($(compgen -W "text dat" -- "$cur")); return ;;
	-m) COMPREPLY=($(compgen -W "single sg" -- "$cur")); return ;;
	-d) COMPREPLY=($(compgen -W "0 1 2" -- "$cur")); return ;;
	--path) COMPREPLY=($(compgen -W "direct swiotlb iommu" -- "$cur")); return ;;
	--mode) COMPREPLY=($(compgen -W "strict lazy" -- "$cur")); return ;;
	--api) COMPREPLY=($(compgen -W "map iova sg" -- "$cur")); return ;;
	--granule) COMPREPLY=($(compgen -W "4K 16K 64K" -- "$cur")); return ;;
	--section) COMPREPLY=($(compgen -W "core nvme odp pt iova size scale all" -- "$cur")); return ;;
	-t|-s|-g|-b|-x|--explain) return ;;
	esac

	local opts
	case $cmd in
	"")
		opts="--json --trace --trace-format --trace-accesses -v --verbose -p --platform -h --help --version"
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_dmastack_commands" -- "$cur"))
		fi ;;
	topo)
		COMPREPLY=($(compgen -W "-p --platform --json --dot --svg --pci-ids -h --help" -- "$cur")) ;;
	bench)
		COMPREPLY=($(compgen -W "-t -s -g -d -b -x -m --path --mode --api --granule --section --json -h --help" -- "$cur")) ;;
	p2p)
		COMPREPLY=($(compgen -W "-p --platform --sysfs --explain --print-platform --json -h --help" -- "$cur")) ;;
	load)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-p --platform --json -h --help" -- "$cur"))
		elif ((nargs == 0)); then
			COMPREPLY=($(compgen -f -X '!*.so' -- "$cur") $(compgen -d -- "$cur"))
			compopt -o filenames 2>/dev/null
		fi ;;
	run)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-p --platform --json --trace --trace-format --trace-accesses -v --verbose -h --help" -- "$cur"))
		elif [[ -z $workload ]]; then
			COMPREPLY=($(compgen -W "$_dmastack_workloads" -- "$cur"))
		elif [[ $prev == = ]]; then
			# '=' split the word (no bash-completion to rejoin it)
			COMPREPLY=($(compgen -W "$(_dmastack_run_values "${words[cword-2]}")" -- "$cur"))
		elif [[ $cur == = ]]; then
			COMPREPLY=($(compgen -W "$(_dmastack_run_values "$prev")" -- ""))
		elif [[ $cur == *=* ]]; then
			COMPREPLY=($(compgen -W "$(_dmastack_run_values "${cur%%=*}")" -- "${cur#*=}"))
		else
			COMPREPLY=($(compgen -W "$(_dmastack_run_keys "$workload")" -- "$cur"))
			compopt -o nospace 2>/dev/null
		fi ;;
	platforms)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-h --help" -- "$cur"))
		elif ((nargs == 0)); then
			COMPREPLY=($(compgen -W "$_dmastack_platforms" -- "$cur"))
		fi ;;
	help)
		((nargs == 0)) &&
			COMPREPLY=($(compgen -W "$_dmastack_commands" -- "$cur")) ;;
	esac
}
complete -F _dmastack dmastack
