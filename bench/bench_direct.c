// SPDX-License-Identifier: MIT
/*
 * bench_direct: ns per dma_map_phys + dma_unmap_phys of 4 KiB on the
 * dma-direct path of a coherent 64-bit device, with dma-debug off and on,
 * and the ratio of the two measured in the same run.
 *
 *   bench_direct [-s SECONDS] [-n ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dmastack/dmastack.h>

static const char platform[] =
	"machine name=bench arch=x86_64 ram=4G\n"
	"hostbridge id=hb0\n"
	"rootport id=rp0 bus=hb0\n"
	"nic id=nic0 bus=rp0 dma-bits=64\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run map+unmap pairs for @secs; returns ns per pair. */
static double run(struct device *dev, phys_addr_t *phys, int nbuf, double secs,
		  unsigned long *pairs)
{
	unsigned long n = 0;
	double t0 = now_s(), t;

	do {
		for (int k = 0; k < 1024; k++) {
			phys_addr_t p = phys[k % nbuf];
			dma_addr_t a = dma_map_phys(dev, p, 4096, DMA_TO_DEVICE, 0);

			if (dma_mapping_error(dev, a)) {
				fprintf(stderr, "bench_direct: mapping failed\n");
				exit(1);
			}
			dma_unmap_phys(dev, a, 4096, DMA_TO_DEVICE, 0);
		}
		n += 1024;
		t = now_s() - t0;
	} while (t < secs);
	*pairs = n;
	return t * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
	double secs = 1.0, off, on;
	int rounds = 3, nbuf = 64;
	unsigned long pairs_off = 0, pairs_on = 0, n;
	double best_off = 1e30, best_on = 1e30;
	struct sim_machine *m;
	struct device *dev;
	struct page *pages[64];
	phys_addr_t phys[64];
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_direct [-s SECONDS] [-n ROUNDS]\n");
			return 2;
		}
	}
	if (secs <= 0 || rounds <= 0) {
		fprintf(stderr, "bench_direct: -s and -n must be positive\n");
		return 2;
	}
	m = sim_machine_parse(platform, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "bench_direct: %s\n", err);
		return 1;
	}
	dev = sim_device(m, "nic0");
	for (int i = 0; i < nbuf; i++) {
		pages[i] = sim_alloc_pages(m, 0);
		phys[i] = page_to_phys(pages[i]);
	}
	/* Alternate off/on rounds so both see the same machine conditions. */
	for (int r = 0; r < rounds; r++) {
		sim_dma_debug_enable(m, false);
		off = run(dev, phys, nbuf, secs / 2, &n);
		pairs_off += n;
		best_off = off < best_off ? off : best_off;
		sim_dma_debug_enable(m, true);
		on = run(dev, phys, nbuf, secs / 2, &n);
		pairs_on += n;
		best_on = on < best_on ? on : best_on;
	}
	printf("dma_map_phys+dma_unmap_phys 4K, dma-direct, coherent device (best of %d rounds)\n",
	       rounds);
	printf("  dma-debug off: %8.1f ns/op  (%lu pairs)\n", best_off, pairs_off);
	printf("  dma-debug on:  %8.1f ns/op  (%lu pairs)\n", best_on, pairs_on);
	printf("  ratio on/off:  %8.2fx      (target: <= 10x, cheap enough to leave on)\n",
	       best_on / best_off);
	printf("  dma-debug errors during the run: %lu\n", sim_dma_debug_errors(m));
	for (int i = 0; i < nbuf; i++)
		sim_free_pages(m, pages[i], 0);
	sim_machine_destroy(m);
	return 0;
}
