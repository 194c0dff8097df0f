#!/bin/sh
# make install into a scratch prefix, then build and run a program outside
# the tree against it with pkg-config: it creates a machine from platform
# text, maps memory for a device and has the device DMA.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -C "$top" install PREFIX="$tmp/prefix" >/dev/null
cat > "$tmp/outside.c" <<'C'
#include <dmastack/dmastack.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	char err[256], buf[16];
	struct sim_machine *m = sim_machine_parse(
		"machine ram=1G\nhostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
		"nic id=nic0 bus=rp0\n", err, sizeof(err));
	struct device *dev;
	struct page *pg;
	dma_addr_t a;

	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	dev = sim_device(m, "nic0");
	/* the topology accessors come from the shared library too */
	if (sim_node_kind(sim_node_find(m, "nic0")) != SIM_NODE_ENDPOINT ||
	    sim_node_pci_dev(sim_node_find(m, "nic0")) != to_pci_dev(dev))
		return 1;
	pg = sim_alloc_pages(m, 0);
	strcpy(page_address(pg), "outside!");
	a = dma_map_page(dev, pg, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, a) || sim_dma_read(dev, a, buf, 9) ||
	    strcmp(buf, "outside!") || sim_dma_write(dev, a, "written", 8))
		return 1;
	dma_unmap_page(dev, a, PAGE_SIZE, DMA_BIDIRECTIONAL);
	if (strcmp(page_address(pg), "written"))
		return 1;
	sim_free_pages(m, pg, 0);
	if (sim_dma_debug_errors(m))
		return 1;
	sim_machine_destroy(m);
	puts("install test: ok");
	return 0;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# Nothing below needs LD_LIBRARY_PATH: `pkg-config --libs dmastack` carries
# an rpath to the prefix's libdir.
unset LD_LIBRARY_PATH
# shared, found through the rpath of pkg-config --libs
cc -o "$tmp/outside" "$tmp/outside.c" $(pkg-config --cflags --libs dmastack)
[ "$(pkg-config --variable=rpath dmastack)" = "-Wl,-rpath,$tmp/prefix/lib" ] || {
	echo "install test: pkg-config --variable=rpath dmastack is not the libdir's" >&2
	exit 1
}
readelf -d "$tmp/outside" | grep -E '\((RUN)?PATH\)' | grep -qF "[$tmp/prefix/lib]" || {
	echo "install test: the program has no rpath to $tmp/prefix/lib" >&2
	exit 1
}
env -u LD_LIBRARY_PATH ldd "$tmp/outside" | grep -qF "$tmp/prefix/lib/libdmastack.so" || {
	echo "install test: the program does not find the installed libdmastack.so" >&2
	exit 1
}
env -u LD_LIBRARY_PATH "$tmp/outside"
# static
cc -o "$tmp/outside-static" "$tmp/outside.c" $(pkg-config --cflags dmastack) \
	"$tmp/prefix/lib/libdmastack.a" -lpthread
"$tmp/outside-static"
# the exported-symbol list keeps internals out of the shared library
# (nm names a versioned symbol sim_kzalloc@@DMASTACK_0.1)
syms=$(nm -D --defined-only "$tmp/prefix/lib/libdmastack.so")
if echo "$syms" | grep -q ' sim_kzalloc\(@.*\)\{0,1\}$'; then
	echo "install test: internal symbol sim_kzalloc is exported" >&2
	exit 1
fi
if ! echo "$syms" | grep -q ' sim_node_find\(@.*\)\{0,1\}$'; then
	echo "install test: public symbol sim_node_find is not exported" >&2
	exit 1
fi
test -x "$tmp/prefix/bin/dmastack"
[ "$("$tmp/prefix/bin/dmastack" --version)" = "dmastack $(pkg-config --modversion dmastack)" ] || {
	echo "install test: dmastack --version is not the package's version" >&2
	exit 1
}

# share/: man pages, the bash completion, the platforms and the examples
share="$tmp/prefix/share"
[ "$(pkg-config --variable=pkgdatadir dmastack)" = "$share/dmastack" ] || {
	echo "install test: pkg-config --variable=pkgdatadir dmastack is not $share/dmastack" >&2
	exit 1
}
for f in man/man1/dmastack.1 man/man5/dmastack-platform.5 \
	 bash-completion/completions/dmastack \
	 dmastack/platforms/default.platform dmastack/platforms/arm64-soc.platform \
	 dmastack/platforms/cc-guest.platform dmastack/dmastack-json.schema.json \
	 dmastack/dmastack-check-ids.txt \
	 dmastack/examples/dmaengine-model/Makefile \
	 dmastack/examples/dmaengine-model/edma.platform \
	 dmastack/examples/modules/edrv.c dmastack/examples/modules/kblk.c \
	 dmastack/examples/modules/platforms/x86-strict.platform; do
	[ -s "$share/$f" ] || {
		echo "install test: $share/$f is not installed" >&2
		exit 1
	}
done
grep -q '^\.SH "\{0,1\}SYNOPSIS' "$share/man/man1/dmastack.1" || {
	echo "install test: dmastack.1 is not a man page" >&2
	exit 1
}
if command -v man >/dev/null 2>&1; then
	MANPATH="$share/man" man 5 dmastack-platform 2>/dev/null | grep -q hostbridge || {
		echo "install test: man 5 dmastack-platform does not find the page" >&2
		exit 1
	}
	# every command has its page: dmastack(1), where its section is
	for c in topo p2p run bench load platforms; do
		MANPATH="$share/man" MANWIDTH=80 man 1 "dmastack-$c" 2>/dev/null |
			grep -q "dma_map_benchmark" || {
			echo "install test: man dmastack-$c does not show dmastack(1)" >&2
			exit 1
		}
	done
fi
bash -c '. "$1" && complete -p dmastack' sh "$share/bash-completion/completions/dmastack" \
	>/dev/null || {
	echo "install test: the bash completion does not register" >&2
	exit 1
}
# the installed platforms run, the main job on each of them too
for p in "$share"/dmastack/platforms/*.platform; do
	"$tmp/prefix/bin/dmastack" topo -p "$p" >/dev/null || {
		echo "install test: dmastack topo -p $p failed" >&2
		exit 1
	}
	"$tmp/prefix/bin/dmastack" -p "$p" >/dev/null || {
		echo "install test: the main job on $p failed" >&2
		exit 1
	}
done
# the built-in platforms print as what was installed
"$tmp/prefix/bin/dmastack" platforms default |
	cmp -s - "$share/dmastack/platforms/default.platform" || {
	echo "install test: dmastack platforms default is not the installed default.platform" >&2
	exit 1
}

# The out-of-tree device model and its driver (examples/dmaengine-model),
# built with its own Makefile against the installed prefix, run behind a
# strict and a lazy IOMMU: the model handles the doorbell writes, its DMA
# is translated by the IOMMU, its MSIs run the driver's handler, and its
# jobs complete on machine timers.
cp -r "$share/dmastack/examples/dmaengine-model" "$tmp/edma"
make -C "$tmp/edma" -s clean
make -C "$tmp/edma" -s >/dev/null
sed 's/mode=strict/mode=lazy/' "$tmp/edma/edma.platform" > "$tmp/edma/lazy.platform"
for p in edma.platform lazy.platform; do
	out=$(cd "$tmp/edma" && ./edma-example "$p") || {
		printf '%s\n' "$out" >&2
		echo "install test: the edma example failed on $p" >&2
		exit 1
	}
	for want in 'model: doorbell writes handled 16, jobs 16, DMA errors 0, MSIs sent 16' \
		    '(translated)' \
		    'handler ran 16 times for 16 messages' \
		    'clock: 0 -> 32000 ns, jobs completed on machine timers' \
		    'faults 0' \
		    'data: 16 jobs, 16384 bytes each, copied and verified' \
		    'result: PASS'; do
		printf '%s\n' "$out" | grep -qF -- "$want" || {
			printf '%s\n' "$out" >&2
			echo "install test: edma example on $p: missing '$want'" >&2
			exit 1
		}
	done
	printf '%s\n' "$out" | grep -q 'page-table pages [1-9]' || {
		echo "install test: edma example on $p: no page-table pages" >&2
		exit 1
	}
done
echo "install test: edma example ok"

# Kernel code: a kernel-style source (<linux/...> only) built with
# `pkg-config --cflags dmastack-kernel`, driven by a program that creates a
# strict-IOMMU machine and plays the device.
cc -std=gnu11 -Wall -Werror -c -o "$tmp/kpages.o" "$top/tests/kernel/kpages.c" \
	$(pkg-config --cflags dmastack-kernel)
cc -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror -c \
	-o "$tmp/kprims.o" "$top/tests/kernel/kprims.c" \
	$(pkg-config --cflags dmastack-kernel)
cat > "$tmp/kharness.c" <<'C'
#include <dmastack/dmastack.h>
#include <stdio.h>
#include "kmod.h"

int main(void)
{
	char err[256];
	unsigned char buf[4096];
	struct kpages_buf b;
	struct sim_machine *m = sim_machine_parse(
		"machine ram=1G\niommu id=io0 format=x86_64 mode=strict\n"
		"hostbridge id=hb0 iommu=io0\nrootport id=rp0 bus=hb0\n"
		"pcidev id=dev0 bus=rp0\n", err, sizeof(err));
	struct device *dev;

	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	dev = sim_device(m, "dev0");
	if (kpages_selftest() || kpages_map(dev, &b, 5) ||
	    sim_dma_read(dev, b.dma, buf, sizeof(buf)) || buf[1] != 12 ||
	    sim_dma_write(dev, b.dma, buf, sizeof(buf)) ||
	    kpages_unmap(dev, &b, 5) || sim_iommu_faults(m) ||
	    sim_dma_debug_errors(m))
		return 1;
	/* the kernel's primitives: no WARN, then one put too many */
	if (kprims_selftest() || sim_report_count_kind(m, SIM_REPORT_WARN) ||
	    kprims_refcount_underflow() ||
	    !sim_report_find(m, SIM_REPORT_WARN, "refcount_t: underflow"))
		return 1;
	sim_machine_destroy(m);
	puts("install test: kernel-style source ok");
	return 0;
}
C
cc -o "$tmp/kharness" "$tmp/kharness.c" "$tmp/kpages.o" "$tmp/kprims.o" \
	-I"$top/tests/kernel" \
	$(pkg-config --cflags --libs dmastack)
"$tmp/kharness"

# Kernel modules built as shared objects with the kernel cflags alone (a PCI
# driver for the DMA engine, a blk-mq driver on it, a module using its
# task's address space), run by the installed command on the x86 strict and
# lazy, arm64 64K and confidential-guest platforms.
# edrv and kblk and their platforms as installed in share/dmastack/examples.
mods="$share/dmastack/examples/modules"
for mod in edrv kblk kmm_mod; do
	src="$mods/$mod.c"
	[ -f "$src" ] || src="$top/tests/kernel/$mod.c"
	cc -std=gnu11 -Wall -Wno-unused-parameter -Werror -fPIC -shared \
		-o "$tmp/$mod.so" "$src" $(pkg-config --cflags dmastack-kernel)
	for p in x86-strict x86-lazy arm64-64k cc-guest; do
		out=$("$tmp/prefix/bin/dmastack" load \
			"$tmp/$mod.so" -p "$mods/platforms/$p.platform") || {
			printf '%s\n' "$out" >&2
			echo "install test: dmastack load $mod failed on $p" >&2
			exit 1
		}
		printf '%s\n' "$out" | grep -q "verdict: PASS — 0 findings" || {
			printf '%s\n' "$out" >&2
			exit 1
		}
	done
done
echo "install test: kernel modules ok"
echo "install test: all ok"
