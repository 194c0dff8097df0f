/* SPDX-License-Identifier: MIT */
/*
 * Legacy struct dma_map_ops, for devices whose DMA goes through an
 * architecture-specific implementation instead of dma-direct or iommu-dma.
 * With DMA_ATTR_MMIO such a device must provide map_resource or the mapping
 * fails, as in the kernel.
 */
#ifndef _DMASTACK_LINUX_DMA_MAP_OPS_H
#define _DMASTACK_LINUX_DMA_MAP_OPS_H

#include "dma-mapping.h"
#include "dma-direct.h"	/* phys_to_dma() and friends were declared here */

#ifdef __cplusplus
extern "C" {
#endif

#define DMA_F_PCI_P2PDMA_SUPPORTED	(1 << 0)
#define DMA_F_CAN_SKIP_SYNC		(1 << 1)

struct dma_map_ops {
	unsigned int flags;

	void *(*alloc)(struct device *dev, size_t size, dma_addr_t *dma_handle,
		       gfp_t gfp, unsigned long attrs);
	void (*free)(struct device *dev, size_t size, void *vaddr,
		     dma_addr_t dma_handle, unsigned long attrs);
	struct page *(*alloc_pages_op)(struct device *dev, size_t size,
				       dma_addr_t *dma_handle,
				       enum dma_data_direction dir, gfp_t gfp);
	void (*free_pages)(struct device *dev, size_t size, struct page *vaddr,
			   dma_addr_t dma_handle, enum dma_data_direction dir);
	dma_addr_t (*map_page)(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir,
			       unsigned long attrs);
	void (*unmap_page)(struct device *dev, dma_addr_t dma_handle,
			   size_t size, enum dma_data_direction dir,
			   unsigned long attrs);
	int (*map_sg)(struct device *dev, struct scatterlist *sg, int nents,
		      enum dma_data_direction dir, unsigned long attrs);
	void (*unmap_sg)(struct device *dev, struct scatterlist *sg, int nents,
			 enum dma_data_direction dir, unsigned long attrs);
	dma_addr_t (*map_resource)(struct device *dev, phys_addr_t phys_addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs);
	void (*unmap_resource)(struct device *dev, dma_addr_t dma_handle,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs);
	void (*sync_single_for_cpu)(struct device *dev, dma_addr_t dma_handle,
				    size_t size, enum dma_data_direction dir);
	void (*sync_single_for_device)(struct device *dev,
				       dma_addr_t dma_handle, size_t size,
				       enum dma_data_direction dir);
	void (*sync_sg_for_cpu)(struct device *dev, struct scatterlist *sg,
				int nents, enum dma_data_direction dir);
	void (*sync_sg_for_device)(struct device *dev, struct scatterlist *sg,
				   int nents, enum dma_data_direction dir);
	int (*dma_supported)(struct device *dev, u64 mask);
	u64 (*get_required_mask)(struct device *dev);
	size_t (*max_mapping_size)(struct device *dev);
	size_t (*opt_mapping_size)(void);
	/*
	 * Added after the fields above (the kernel declares them earlier in
	 * its struct; designated initializers do not care).
	 */
	int (*get_sgtable)(struct device *dev, struct sg_table *sgt,
			   void *cpu_addr, dma_addr_t dma_addr, size_t size,
			   unsigned long attrs);
	unsigned long (*get_merge_boundary)(struct device *dev);
};

static inline const struct dma_map_ops *get_dma_ops(struct device *dev)
{
	return dev->dma_ops;
}

/* Installs legacy ops; re-evaluates whether syncs can be skipped. */
void set_dma_ops(struct device *dev, const struct dma_map_ops *dma_ops);

/* Cache maintenance on the simulated CPU (arch_sync_dma_*). */
void arch_sync_dma_for_device(struct device *dev, phys_addr_t paddr,
			      size_t size, enum dma_data_direction dir);
void arch_sync_dma_for_cpu(struct device *dev, phys_addr_t paddr, size_t size,
			   enum dma_data_direction dir);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DMA_MAP_OPS_H */
