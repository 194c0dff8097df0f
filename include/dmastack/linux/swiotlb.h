/* SPDX-License-Identifier: MIT */
/*
 * The software IO TLB (bounce buffers), modelled on kernel/dma/swiotlb.c:
 * 2 KiB slots, segments of 128 slots, areas for concurrency.
 */
#ifndef _DMASTACK_LINUX_SWIOTLB_H
#define _DMASTACK_LINUX_SWIOTLB_H

#include "dma-mapping.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IO_TLB_SHIFT	11
#define IO_TLB_SIZE	(1 << IO_TLB_SHIFT)
#define IO_TLB_SEGSIZE	128
#define IO_TLB_DEFAULT_SIZE (64UL << 20)

struct io_tlb_mem;

bool is_swiotlb_active(struct device *dev);
bool is_swiotlb_force_bounce(struct device *dev);
bool is_swiotlb_buffer(struct device *dev, phys_addr_t paddr);
size_t swiotlb_max_mapping_size(struct device *dev);

phys_addr_t swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig_addr,
				   size_t mapping_size,
				   unsigned int alloc_align_mask,
				   enum dma_data_direction dir,
				   unsigned long attrs);
void swiotlb_tbl_unmap_single(struct device *dev, phys_addr_t tlb_addr,
			      size_t mapping_size,
			      enum dma_data_direction dir,
			      unsigned long attrs);
dma_addr_t swiotlb_map(struct device *dev, phys_addr_t phys, size_t size,
		       enum dma_data_direction dir, unsigned long attrs);
void swiotlb_sync_single_for_device(struct device *dev, phys_addr_t tlb_addr,
				    size_t size, enum dma_data_direction dir);
void swiotlb_sync_single_for_cpu(struct device *dev, phys_addr_t tlb_addr,
				 size_t size, enum dma_data_direction dir);

/* Pool statistics: slots in total and in use (debugfs io_tlb_nslabs/used). */
unsigned long swiotlb_nslabs(struct device *dev);
unsigned long swiotlb_used(struct device *dev);
unsigned int swiotlb_nareas(struct device *dev);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_SWIOTLB_H */
