/* SPDX-License-Identifier: MIT */
/*
 * dma-direct's address translation (include/linux/dma-direct.h): the bus
 * address of a physical address for a device (its DMA offsets and, in a
 * confidential guest, the shared bit), the way back, and whether the
 * device can reach an address range (its DMA mask and bus limit).
 */
#ifndef _DMASTACK_LINUX_DMA_DIRECT_H
#define _DMASTACK_LINUX_DMA_DIRECT_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct device;

dma_addr_t phys_to_dma(struct device *dev, phys_addr_t paddr);
phys_addr_t dma_to_phys(struct device *dev, dma_addr_t dma_addr);
bool dma_capable(struct device *dev, dma_addr_t addr, size_t size,
		 bool is_ram);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DMA_DIRECT_H */
