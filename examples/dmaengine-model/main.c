// SPDX-License-Identifier: MIT
/*
 * The edma example: a machine from platform text with the edma model
 * registered, the driver probed, copies submitted through the descriptor
 * ring, completed on machine timers and reaped by the MSI handler, every
 * byte checked.
 *
 *	./edma-example [PLATFORM] (default: edma.platform)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"

#define JOBS		16
#define JOB_BYTES	(16u << 10)
#define JOB_ORDER	2		/* 16K of pages per buffer */

struct result {
	u32 status;
	u64 done_ns;
	struct sim_machine *m;
};

static void job_done(struct edma_job *job)
{
	struct result *r = job->priv;

	r->status = job->status;
	r->done_ns = sim_clock_now(r->m);
}

int main(int argc, char **argv)
{
	static const struct sim_model *const models[] = { &edma_model, NULL };
	struct sim_machine_opts opts = { .models = models };
	const char *path = argc > 1 ? argv[1] : "edma.platform";
	struct page *src[JOBS], *dst[JOBS];
	struct result res[JOBS] = { 0 };
	struct edma_model_stats ms;
	struct sim_irq_stats is;
	struct edma_dev ed;
	struct sim_machine *m;
	struct device *dev;
	phys_addr_t phys;
	char err[256];
	int prot, fails = 0, bad = 0;
	u64 t0, t1;
	long pt;

	m = sim_machine_load_opts(path, &opts, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	dev = sim_device(m, "dma0");
	if (!dev || !sim_device_model(dev) || strcmp(sim_device_model(dev), "edma")) {
		fprintf(stderr, "%s: no device dma0 bound to model edma\n", path);
		sim_machine_destroy(m);
		return 2;
	}
	if (edma_probe(to_pci_dev(dev), &ed)) {
		fprintf(stderr, "edma: probe failed\n");
		sim_machine_destroy(m);
		return 1;
	}
	printf("probe: %s (%s), irq %d (MSI), ring at DMA address %#llx\n",
	       dev_name(dev), dev_driver_string(dev), ed.irq,
	       (unsigned long long)ed.ring_dma);

	for (int i = 0; i < JOBS; i++) {
		src[i] = sim_alloc_pages(m, JOB_ORDER);
		dst[i] = sim_alloc_pages(m, JOB_ORDER);
		for (unsigned int k = 0; k < JOB_BYTES; k++)
			((u8 *)page_address(src[i]))[k] = (u8)(i * 31 + k * 7);
		memset(page_address(dst[i]), 0, JOB_BYTES);
	}

	t0 = sim_clock_now(m);
	for (int i = 0; i < JOBS; i++) {
		struct edma_job job = { .done = job_done, .priv = &res[i] };

		res[i].m = m;
		if (edma_submit(&ed, &job, page_address(src[i]),
				page_address(dst[i]), JOB_BYTES)) {
			fprintf(stderr, "edma: submit %d failed\n", i);
			fails++;
		}
		if (i == 0) {
			/* the source buffer as the device sees it: an IOVA */
			int ret = sim_iommu_lookup(dev, ed.jobs[0].src_dma, &phys,
						   &prot);

			printf("iommu: job 0 source at DMA address %#llx -> phys %#llx (%s)\n",
			       (unsigned long long)ed.jobs[0].src_dma,
			       (unsigned long long)phys,
			       ret ? "not translated" :
			       phys == page_to_phys(src[0]) ? "translated" :
							     "wrong page");
			if (ret || phys != page_to_phys(src[0]))
				fails++;
		}
	}
	/* wait until the device completes: run the machine's timers */
	while (edma_outstanding(&ed) && sim_clock_run_next(m))
		;
	t1 = sim_clock_now(m);

	edma_model_stats(sim_model_dev_of(dev), &ms);
	sim_irq_get_stats(m, (unsigned int)ed.irq, &is);
	pt = sim_iommu_pt_pages(dev);
	printf("model: doorbell writes handled %lu, jobs %lu, DMA errors %lu, MSIs sent %lu\n",
	       ms.doorbells, ms.jobs, ms.dma_errors, ms.msi_sent);
	printf("irq %d: handler ran %lu times for %lu messages\n", ed.irq,
	       ed.irqs, is.delivered);
	printf("clock: %llu -> %llu ns, jobs completed on machine timers\n",
	       (unsigned long long)t0, (unsigned long long)t1);
	printf("iommu: page-table pages %ld, faults %lu, invalidations %lu\n",
	       pt, sim_iommu_faults(m), sim_iommu_invalidations(m));

	for (int i = 0; i < JOBS; i++) {
		if (res[i].status != EDMA_STATUS_DONE || !res[i].done_ns ||
		    memcmp(page_address(src[i]), page_address(dst[i]), JOB_BYTES))
			bad++;
	}
	printf("data: %d jobs, %u bytes each, %s\n", JOBS, JOB_BYTES,
	       bad ? "MISMATCH" : "copied and verified");
	fails += bad;
	if (ms.doorbells != JOBS || ms.jobs != JOBS || ms.msi_sent != JOBS ||
	    ed.irqs == 0 || ed.reaped != JOBS || t1 <= t0 || pt <= 0 ||
	    sim_iommu_faults(m) || sim_dma_debug_errors(m))
		fails++;

	edma_remove(&ed);
	for (int i = 0; i < JOBS; i++) {
		sim_free_pages(m, src[i], JOB_ORDER);
		sim_free_pages(m, dst[i], JOB_ORDER);
	}
	printf("dma-debug errors: %lu\n", sim_dma_debug_errors(m));
	if (sim_dma_debug_errors(m) || sim_dma_debug_entries(m, NULL))
		fails++;
	sim_machine_destroy(m);
	printf("result: %s\n", fails ? "FAIL" : "PASS");
	return fails ? 1 : 0;
}
