/* SPDX-License-Identifier: MIT */
/*
 * The GPU/NIC machine the dma-buf and NIC suites share.
 *
 * hb0 (IOMMU io0, strict, bus offset 1G): gpu0 and nic0 below switch sw0
 * without ACS (bus addresses), nic1 below its own ACS root port (through
 * the IOMMU). hb1 (no IOMMU): gpu1 and nic2 on ACS root ports
 * (dma_map_phys). hb2 (p2p=deny): gpu2 and nic3.
 */
#ifndef DMASTACK_TEST_GPU_NIC_FIXTURE_H
#define DMASTACK_TEST_GPU_NIC_FIXTURE_H

#include "helpers.h"

#define PLATFORM_GPU_NIC						\
	"machine name=gpunic arch=x86_64 ram=1G ram-below-4g=512M cpus=4\n" \
	"swiotlb size=4M\n"						\
	"iommu id=io0 format=x86_64 mode=strict\n"			\
	"hostbridge id=hb0 p2p=allow iommu=io0 bus-offset=1G\n"		\
	"rootport id=rp0 bus=hb0\n"					\
	"switch id=sw0 bus=rp0 acs=off\n"				\
	"gpu id=gpu0 bus=sw0 bar0=16M bar2=16G\n"			\
	"nic id=nic0 bus=sw0 bar0=1M dma-bits=64\n"			\
	"rootport id=rp1 bus=hb0 acs=on\n"				\
	"nic id=nic1 bus=rp1 bar0=1M dma-bits=64\n"			\
	"hostbridge id=hb1 p2p=allow\n"					\
	"rootport id=rq0 bus=hb1 acs=on\n"				\
	"gpu id=gpu1 bus=rq0 bar0=16M bar2=16G\n"			\
	"rootport id=rq1 bus=hb1 acs=on\n"				\
	"nic id=nic2 bus=rq1 bar0=1M dma-bits=64\n"			\
	"hostbridge id=hb2 p2p=deny\n"					\
	"rootport id=rd0 bus=hb2 acs=on\n"				\
	"gpu id=gpu2 bus=rd0 bar0=16M bar2=1G\n"			\
	"rootport id=rd1 bus=hb2 acs=on\n"				\
	"nic id=nic3 bus=rd1 bar0=1M dma-bits=64\n"

#define HB0_BUS_OFFSET	SZ_1G

/* The machine, its GPUs with P2PDMA set up (bar2's provider) and NICs. */
static inline struct sim_machine *gpu_nic_machine(struct device *gpu[3],
						  struct device *nic[4],
						  struct p2pdma_provider *prov[3],
						  phys_addr_t bar2[3])
{
	struct sim_machine *m = machine_from(PLATFORM_GPU_NIC);
	char id[16];

	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "gpu%d", i);
		gpu[i] = dev_of(m, id);
		assert_int_equal(pcim_p2pdma_init(to_pci_dev(gpu[i])), 0);
		prov[i] = pcim_p2pdma_provider(to_pci_dev(gpu[i]), 2);
		assert_non_null(prov[i]);
		bar2[i] = pci_resource_start(to_pci_dev(gpu[i]), 2);
	}
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "nic%d", i);
		nic[i] = dev_of(m, id);
	}
	return m;
}

/* The suites' fixture: the machine and its devices. */
struct fx {
	struct sim_machine *m;
	struct device *gpu[3], *nic[4];
	struct p2pdma_provider *prov[3];	/* bar2 of each gpu */
	phys_addr_t bar2[3];
	unsigned long dbg_allowed;	/* dma-debug reports a test provoked */
	unsigned long bugs_allowed;	/* BUG reports a test provoked */
};

static inline int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->m = gpu_nic_machine(f->gpu, f->nic, f->prov, f->bar2);
	*state = f;
	return 0;
}

/*
 * Every test leaves no mapping behind, and no dma-debug error or BUG
 * beyond those it provoked (dbg_allowed, bugs_allowed).
 */
static inline int fx_teardown(void **state)
{
	struct fx *f = *state;

	return f ? fixture_teardown(f, f->m, TD_BUG | TD_DMA_DEBUG,
				    f->bugs_allowed, f->dbg_allowed) : 0;
}

#endif
