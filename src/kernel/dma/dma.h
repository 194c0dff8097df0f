/* SPDX-License-Identifier: MIT */
/* Internal interfaces between the DMA mapping layers (kernel/dma/). */
#ifndef _DMASTACK_DMA_INTERNAL_H
#define _DMASTACK_DMA_INTERNAL_H

#include "internal.h"

/* dma-direct */
dma_addr_t dma_direct_map_phys(struct device *dev, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs);
void dma_direct_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs);
void dma_direct_sync_single_for_device(struct device *dev, dma_addr_t addr,
				       size_t size,
				       enum dma_data_direction dir);
void dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir);
int dma_direct_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs);
void dma_direct_unmap_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs);
void dma_direct_sync_sg_for_device(struct device *dev, struct scatterlist *sgl,
				   int nents, enum dma_data_direction dir);
void dma_direct_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
				int nents, enum dma_data_direction dir);
bool dma_direct_need_sync(struct device *dev, dma_addr_t dma_addr);
u64 dma_direct_get_required_mask(struct device *dev);
int dma_direct_supported(struct device *dev, u64 mask);
bool dma_direct_all_ram_mapped(struct device *dev);
size_t dma_direct_max_mapping_size(struct device *dev);
void *dma_direct_alloc(struct device *dev, size_t size, dma_addr_t *dma_handle,
		       gfp_t gfp, unsigned long attrs);
void dma_direct_free(struct device *dev, size_t size, void *cpu_addr,
		     dma_addr_t dma_addr);
struct page *dma_direct_alloc_pages(struct device *dev, size_t size,
				    dma_addr_t *dma_handle,
				    enum dma_data_direction dir, gfp_t gfp);
void dma_direct_free_pages(struct device *dev, size_t size, struct page *page,
			   dma_addr_t dma_addr, enum dma_data_direction dir);
int dma_direct_get_sgtable(struct device *dev, struct sg_table *sgt,
			   void *cpu_addr, dma_addr_t dma_addr, size_t size,
			   unsigned long attrs);

/* dma-debug's index, for tests (debug.c) */
unsigned long dma_debug_tree_visits(struct sim_machine *m);
void dma_debug_tree_heights(struct sim_machine *m, struct device *dev,
			    int *entries, int *clns);
unsigned long dma_debug_dw_pages(struct sim_machine *m, unsigned long *records);

/* dma-debug hooks (kernel/dma/debug.h) */
void debug_dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			int direction, dma_addr_t dma_addr, unsigned long attrs);
void debug_dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			  int direction);
void debug_dma_map_single(struct device *dev, const void *addr,
			  unsigned long len);
void debug_dma_mapping_error(struct device *dev, dma_addr_t dma_addr);
void debug_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents,
		      int mapped_ents, int direction, unsigned long attrs);
void debug_dma_unmap_sg(struct device *dev, struct scatterlist *sglist,
			int nelems, int dir);
void debug_dma_alloc_coherent(struct device *dev, size_t size,
			      dma_addr_t dma_addr, void *virt,
			      unsigned long attrs);
void debug_dma_free_coherent(struct device *dev, size_t size, void *virt,
			     dma_addr_t addr);
void debug_dma_alloc_pages(struct device *dev, struct page *page, size_t size,
			   int direction, dma_addr_t dma_addr,
			   unsigned long attrs);
void debug_dma_free_pages(struct device *dev, struct page *page, size_t size,
			  int direction, dma_addr_t dma_addr);
void debug_dma_sync_single_for_cpu(struct device *dev, dma_addr_t dma_handle,
				   size_t size, int direction);
void debug_dma_sync_single_for_device(struct device *dev,
				      dma_addr_t dma_handle, size_t size,
				      int direction);
void debug_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
			       int nelems, int direction);
void debug_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
				  int nelems, int direction);
/*
 * Ownership of streaming mappings (dma-debug): called before the DMA layer
 * moves any data for a sync or an unmap, and after dma_map_sg_attrs().
 */
void debug_dma_sync_single_begin(struct device *dev, dma_addr_t addr,
				 size_t size, int dir, bool to_cpu);
void debug_dma_sync_sg_begin(struct device *dev, struct scatterlist *sg,
			     int nelems, int dir, bool to_cpu);
void debug_dma_unmap_begin(struct device *dev, dma_addr_t addr, size_t size,
			   int dir, unsigned long attrs);
void debug_dma_unmap_sg_begin(struct device *dev, struct scatterlist *sg,
			      int nelems, int dir, unsigned long attrs);
void debug_dma_own_map_sg(struct device *dev, struct scatterlist *sg,
			  int nents, int mapped_ents, unsigned long attrs);
/* A RAM address handed to dma_map_resource (checked when dma-debug is on). */
bool debug_dma_resource_is_ram(struct device *dev, phys_addr_t phys);

/*
 * The one entry of a contiguous allocation's sg_table: @page, @size bytes
 * rounded up to pages (dma_common_get_sgtable()); 0 or -ENOMEM.
 */
static inline int dma_contig_sgtable(struct sg_table *sgt, struct page *page,
				     size_t size)
{
	int ret = sg_alloc_table(sgt, 1, GFP_KERNEL);

	if (!ret)
		sg_set_page(sgt->sgl, page, (unsigned int)ALIGN(size, PAGE_SIZE),
			    0);
	return ret;
}

/* trace events (include/trace/events/dma.h) */
void trace_dma_map_phys(struct device *dev, phys_addr_t phys, dma_addr_t addr,
			size_t size, enum dma_data_direction dir,
			unsigned long attrs);
void trace_dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs);
void trace_dma_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      int ents, enum dma_data_direction dir,
		      unsigned long attrs);
void trace_dma_map_sg_err(struct device *dev, struct scatterlist *sgl,
			  int nents, int err, enum dma_data_direction dir,
			  unsigned long attrs);
void trace_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			int nents, enum dma_data_direction dir,
			unsigned long attrs);
void trace_dma_sync_single(struct device *dev, const char *event,
			   dma_addr_t addr, size_t size,
			   enum dma_data_direction dir);
void trace_dma_sync_sg(struct device *dev, const char *event,
		       struct scatterlist *sgl, int nents,
		       enum dma_data_direction dir);
void trace_dma_alloc(struct device *dev, const char *event, void *virt,
		     dma_addr_t addr, size_t size,
		     enum dma_data_direction dir, gfp_t flags,
		     unsigned long attrs);
void trace_dma_free(struct device *dev, const char *event, void *virt,
		    dma_addr_t addr, size_t size,
		    enum dma_data_direction dir, unsigned long attrs);
void trace_dma_alloc_sgt(struct device *dev, struct sg_table *sgt,
			 size_t size, enum dma_data_direction dir, gfp_t flags,
			 unsigned long attrs);
void trace_dma_free_sgt(struct device *dev, struct sg_table *sgt,
			size_t size, enum dma_data_direction dir);
/*
 * The IOVA API's events (the kernel has none; these read like dma.h's):
 * dma_iova_alloc, dma_iova_link, dma_iova_sync, dma_iova_unlink,
 * dma_iova_destroy, dma_iova_free. @phys is printed for alloc and link,
 * @ret (an errno) when not 0.
 */
void trace_dma_iova(struct device *dev, const char *event, dma_addr_t addr,
		    size_t size, phys_addr_t phys, enum dma_data_direction dir,
		    unsigned long attrs, int ret);


/*
 * A PCI_P2PDMA_MAP_BUS_ADDR segment: the peer's bus address, marked so that
 * unmap leaves it alone (dma-direct and iommu-dma alike).
 */
static inline void sg_map_p2p_bus_addr(struct scatterlist *sg,
				       struct pci_p2pdma_map_state *state)
{
	sg->dma_address = pci_p2pdma_bus_addr_map(state->mem, sg_phys(sg));
	sg_dma_len(sg) = sg->length;
	sg_dma_mark_bus_address(sg);
}

/* iommu-dma (src/kernel/iommu/dma-iommu.c) */
/* IOMMU protection bits for a mapping (inline: every map computes them). */
static inline int dma_info_to_prot(enum dma_data_direction dir, bool coherent,
				   unsigned long attrs)
{
	int prot = coherent ? IOMMU_CACHE : 0;

	if (attrs & DMA_ATTR_PRIVILEGED)
		prot |= IOMMU_PRIV;
	if (attrs & DMA_ATTR_MMIO)
		prot |= IOMMU_MMIO;
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return prot | IOMMU_READ | IOMMU_WRITE;
	case DMA_TO_DEVICE:
		return prot | IOMMU_READ;
	case DMA_FROM_DEVICE:
		return prot | IOMMU_WRITE;
	default:
		return 0;
	}
}
dma_addr_t iommu_dma_map_phys(struct device *dev, phys_addr_t phys,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs);
void iommu_dma_unmap_phys(struct device *dev, dma_addr_t dma_handle,
			  size_t size, enum dma_data_direction dir,
			  unsigned long attrs);
int iommu_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents,
		     enum dma_data_direction dir, unsigned long attrs);
/* dma_unmap_phys()'s dma-debug bookkeeping is done: release its lazy IOVA */
void iommu_dma_unmap_done(struct device *dev);
void iommu_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs);
void iommu_dma_sync_single_for_cpu(struct device *dev, dma_addr_t dma_handle,
				   size_t size, enum dma_data_direction dir);
void iommu_dma_sync_single_for_device(struct device *dev,
				      dma_addr_t dma_handle, size_t size,
				      enum dma_data_direction dir);
void iommu_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
			       int nelems, enum dma_data_direction dir);
void iommu_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sgl,
				  int nelems, enum dma_data_direction dir);
void *iommu_dma_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		      gfp_t gfp, unsigned long attrs);
void iommu_dma_free(struct device *dev, size_t size, void *cpu_addr,
		    dma_addr_t handle);
struct page *iommu_dma_alloc_pages(struct device *dev, size_t size,
				   dma_addr_t *handle,
				   enum dma_data_direction dir, gfp_t gfp);
void iommu_dma_free_pages(struct device *dev, size_t size, struct page *page,
			  dma_addr_t handle, enum dma_data_direction dir);
size_t iommu_dma_max_mapping_size(struct device *dev);
struct sg_table *iommu_dma_alloc_noncontiguous(struct device *dev,
					       size_t size,
					       enum dma_data_direction dir,
					       gfp_t gfp, unsigned long attrs);
void iommu_dma_free_noncontiguous(struct device *dev, size_t size,
				  struct sg_table *sgt,
				  enum dma_data_direction dir);
void *iommu_dma_vmap_noncontiguous(struct device *dev, size_t size,
				   struct sg_table *sgt);
unsigned long iommu_dma_get_merge_boundary(struct device *dev);
int iommu_dma_get_sgtable(struct device *dev, struct sg_table *sgt,
			  void *cpu_addr, dma_addr_t dma_addr, size_t size,
			  unsigned long attrs);

/* dma-debug for the IOVA API (checks Linux's dma-debug does not make) */
void debug_dma_iova_alloc(struct device *dev, struct dma_iova_state *state);
void debug_dma_iova_free(struct device *dev, struct dma_iova_state *state);
void debug_dma_iova_link(struct device *dev, struct dma_iova_state *state,
			 phys_addr_t phys, size_t offset, size_t size,
			 enum dma_data_direction dir, unsigned long attrs,
			 int ret);
void debug_dma_iova_sync(struct device *dev, struct dma_iova_state *state,
			 size_t offset, size_t size);
void debug_dma_iova_unlink(struct device *dev, struct dma_iova_state *state,
			   size_t offset, size_t size,
			   enum dma_data_direction dir);
void debug_dma_iova_destroy(struct device *dev, struct dma_iova_state *state,
			    size_t mapped_len, enum dma_data_direction dir);

/* iova_rcache_range(): sizes up to this order are served by IOVA caches */
#define IOVA_CACHE_ORDER_MAX	5

static inline bool use_dma_iommu(struct device *dev)
{
	return dev->dma_iommu;
}

#endif /* _DMASTACK_DMA_INTERNAL_H */
