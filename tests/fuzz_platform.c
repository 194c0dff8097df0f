// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the platform-text parser and machine construction.
 *
 * Built with -fsanitize=fuzzer (make fuzz) it is a libFuzzer target. Built
 * normally it is a deterministic mutation driver: it mutates the example
 * platforms with a fixed seed and runs every mutant (the suite does this
 * under ASan+UBSan and TSan), or replays the files given as arguments.
 *
 * Each input must either build a machine that works (every device can map
 * a page and DMA to it) and tears down without leaks, or be refused with a
 * message that names a line (or says it ran out of memory).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dmastack/dmastack.h>

static void exercise(struct sim_machine *m)
{
	for (unsigned int i = 0; i < sim_device_count(m); i++) {
		struct device *dev = sim_device_at(m, i);
		struct page *pg = sim_alloc_pages(m, 0);
		dma_addr_t a;
		char buf[64];

		if (!pg)
			return;
		a = dma_map_phys(dev, page_to_phys(pg), 64, DMA_BIDIRECTIONAL, 0);
		if (!dma_mapping_error(dev, a)) {
			sim_dma_write(dev, a, "fuzz", 5);
			sim_dma_read(dev, a, buf, sizeof(buf));
			dma_unmap_phys(dev, a, 64, DMA_BIDIRECTIONAL, 0);
		}
		sim_free_pages(m, pg, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char err[256] = "";
	struct sim_machine *m;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	m = sim_machine_parse(text, err, sizeof(err));
	if (m) {
		exercise(m);
		sim_machine_destroy(m);
	} else if (strncmp(err, "line ", 5) && strncmp(err, "out of memory", 13) &&
		   strncmp(err, "cannot create", 13)) {
		fprintf(stderr, "refused without a line number: '%s'\n", err);
		abort();
	}
	free(text);
	return 0;
}

#ifndef DMASTACK_LIBFUZZER
static const char *const seeds[] = {
	"machine name=a arch=x86_64 ram=1G cpus=2\nswiotlb size=4M\n"
	"hostbridge id=hb0 p2p=allow bus-offset=0x1000000\n"
	"rootport id=rp0 bus=hb0 acs=rr\nswitch id=sw0 bus=rp0 acs=off\n"
	"nvme id=n bus=sw0 bar0=16K cmb=64M\nnic id=x bus=sw0 dma-bits=32\n",
	"machine arch=arm64 ram=512M ram-below-4g=256M\nswiotlb size=1M force=yes areas=2\n"
	"hostbridge id=h dram-bus-offset=0x40000000 dma-limit=4G\n"
	"rootport id=r bus=h\ngpu id=g bus=r bar0=16M bar2=1G coherent=no\n",
	"iommu id=io format=x86_64 mode=off\nhostbridge id=hb iommu=io mmio32=64M mmio64=8G\n"
	"rootport id=a bus=hb\nrootport id=b bus=hb\ndmaengine id=d bus=a untrusted=yes\n"
	"pcidev id=p bus=b bar0=4K bar1=8K bar2=1M\n",
};

static const char *const tokens[] = {
	"=", " ", "\n", "#", "0x", "K", "M", "G", "T", "-", ",", "id=", "bus=",
	"bar0=", "bar2=", "ram=", "acs=rr,cr", "p2p=allow", "dma-bits=", "64",
	"4096", "0", "99999999999999999999", "switch id=s bus=rp0\n",
	"nic id=z bus=s\n", "hostbridge id=q\n", "coherent=no", "force=yes",
	"mmio64-base=0x100000000", "size=0", "\r", "\t",
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t mutate(char *buf, size_t len, size_t cap)
{
	int n = 1 + (int)(rng() % 2);

	while (n--) {
		size_t pos = len ? rng() % len : 0;

		switch (rng() % 4) {
		case 0:	/* flip a byte */
			if (len)
				buf[pos] = (char)(rng() % 128);
			break;
		case 1: {	/* insert a token */
			const char *t = tokens[rng() % (sizeof(tokens) / sizeof(tokens[0]))];
			size_t tl = strlen(t);

			if (len + tl < cap) {
				memmove(buf + pos + tl, buf + pos, len - pos);
				memcpy(buf + pos, t, tl);
				len += tl;
			}
			break;
		}
		case 2: {	/* delete a run */
			size_t dl = rng() % 8;

			if (pos + dl <= len) {
				memmove(buf + pos, buf + pos + dl, len - pos - dl);
				len -= dl;
			}
			break;
		}
		default: {	/* duplicate a line */
			char *nl = memchr(buf + pos, '\n', len - pos);
			size_t ll = nl ? (size_t)(nl - (buf + pos)) + 1 : 0;

			if (ll && len + ll < cap) {
				memmove(buf + pos + ll, buf + pos, len - pos);
				len += ll;
			}
			break;
		}
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	unsigned long iters = 20000, accepted = 0;
	const char *env = getenv("FUZZ_ITERS");
	char buf[4096];

	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			FILE *f = fopen(argv[i], "rb");
			size_t n;

			if (!f) {
				perror(argv[i]);
				return 1;
			}
			n = fread(buf, 1, sizeof(buf), f);
			fclose(f);
			LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
		}
		return 0;
	}
	if (env)
		iters = strtoul(env, NULL, 10);
	for (unsigned long i = 0; i < iters; i++) {
		const char *seed = seeds[i % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t len = strlen(seed);
		char err[256];
		struct sim_machine *m;

		memcpy(buf, seed, len);
		len = mutate(buf, len, sizeof(buf) - 1);
		buf[len] = '\0';
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		m = sim_machine_parse(buf, err, sizeof(err));
		if (m) {
			accepted++;
			sim_machine_destroy(m);
		}
	}
	printf("fuzz_platform: %lu mutants, %lu accepted, %lu refused with a line number\n",
	       iters, accepted, iters - accepted);
	return 0;
}
#endif
