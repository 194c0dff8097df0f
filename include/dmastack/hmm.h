/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/hmm.h>: the kernel's <linux/hmm.h> (dmastack/linux/hmm.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_HMM_H
#define _DMASTACK_HMM_H

#include "linux/hmm.h"
#include "linux/hmm-dma.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * pfn_to_page() of a machine: the struct page of RAM or of P2PDMA
 * (ZONE_DEVICE) memory, NULL for anything else. The kernel's
 * hmm_pfn_to_page() needs a global memmap; here it takes the machine.
 */
struct page *sim_pfn_to_page(struct sim_machine *m, unsigned long pfn);

static inline struct page *sim_hmm_pfn_to_page(struct sim_machine *m,
					       unsigned long hmm_pfn)
{
	return sim_pfn_to_page(m, hmm_pfn_to_pfn(hmm_pfn));
}

/*
 * hmm_pfn_to_page(pfn) is the kernel's (<linux/hmm.h>, on the current
 * machine); hmm_pfn_to_page(m, pfn), dmastack's earlier form, still works
 * and names the machine.
 */
#define __DMASTACK_HMM_PFN_TO_PAGE(_1, _2, name, ...) name
#define hmm_pfn_to_page(...)						\
	__DMASTACK_HMM_PFN_TO_PAGE(__VA_ARGS__, sim_hmm_pfn_to_page,	\
				   hmm_pfn_to_page)(__VA_ARGS__)

/*
 * The bookkeeping an hmm_dma_map holds per entry: the pfn, plus the
 * stored DMA address when there is no IOVA range (the seed's point: with
 * one pre-allocated IOVA range nothing per page but the pfn is kept).
 */
static inline size_t sim_hmm_dma_map_entry_bytes(const struct hmm_dma_map *map)
{
	return sizeof(*map->pfn_list) +
	       (map->dma_list ? sizeof(*map->dma_list) : 0);
}

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_HMM_H */
