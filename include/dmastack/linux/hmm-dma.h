/* SPDX-License-Identifier: MIT */
/*
 * HMM's DMA mapping helpers (include/linux/hmm-dma.h, Linux 6.17+): a
 * mirror's pfn list and the DMA addresses of its entries. With an IOMMU,
 * hmm_dma_map_alloc() allocates one IOVA range for every entry and
 * hmm_dma_map_pfn() links a page into it (dma_iova_link() and
 * dma_iova_sync()); without, each entry is dma_map_phys()ed and its
 * address kept in dma_list. See <linux/hmm.h> for the pfn flags.
 */
#ifndef _DMASTACK_LINUX_HMM_DMA_H
#define _DMASTACK_LINUX_HMM_DMA_H

#include "types.h"
#include "device.h"
#include "dma-mapping.h"
#include "pci-p2pdma.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * struct hmm_dma_map - a mirror's pfns and DMA addresses
 * @state: the IOVA range for the whole mirror (unused without an IOMMU)
 * @pfn_list: one hmm pfn per entry, for hmm_range_fault() and the mapping
 * @dma_list: one DMA address per entry; only when the IOVA range is not
 *	used and the device needs unmapping (dma_need_unmap()), else NULL
 * @dma_entry_size: bytes one entry maps (PAGE_SIZE or a multiple)
 * @nr_entries: dmastack only: the size of the lists, for argument checks
 */
struct hmm_dma_map {
	struct dma_iova_state state;
	unsigned long *pfn_list;
	dma_addr_t *dma_list;
	size_t dma_entry_size;
	size_t nr_entries;
};

int hmm_dma_map_alloc(struct device *dev, struct hmm_dma_map *map,
		      size_t nr_entries, size_t dma_entry_size);
void hmm_dma_map_free(struct device *dev, struct hmm_dma_map *map);
dma_addr_t hmm_dma_map_pfn(struct device *dev, struct hmm_dma_map *map,
			   size_t idx,
			   struct pci_p2pdma_map_state *p2pdma_state);
bool hmm_dma_unmap_pfn(struct device *dev, struct hmm_dma_map *map,
		       size_t idx);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_HMM_DMA_H */
