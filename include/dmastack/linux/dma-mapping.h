/* SPDX-License-Identifier: MIT */
/*
 * The DMA mapping API, with the kernel's names, types, argument order and
 * return conventions (Documentation/core-api/dma-api.rst), including the
 * physical-address entry points and DMA_ATTR_MMIO.
 */
#ifndef _DMASTACK_LINUX_DMA_MAPPING_H
#define _DMASTACK_LINUX_DMA_MAPPING_H

#include "types.h"
#include "dma-direction.h"
#include "device.h"
#include "mm.h"
#include "scatterlist.h"

#ifdef __cplusplus
extern "C" {
#endif


#define DMA_ATTR_WEAK_ORDERING		(1UL << 1)
#define DMA_ATTR_WRITE_COMBINE		(1UL << 2)
#define DMA_ATTR_NO_KERNEL_MAPPING	(1UL << 4)
#define DMA_ATTR_SKIP_CPU_SYNC		(1UL << 5)
#define DMA_ATTR_FORCE_CONTIGUOUS	(1UL << 6)
#define DMA_ATTR_ALLOC_SINGLE_PAGES	(1UL << 7)
#define DMA_ATTR_NO_WARN		(1UL << 8)
#define DMA_ATTR_PRIVILEGED		(1UL << 9)
/* The physical address is MMIO: never kmap'd, cache-flushed or bounced. */
#define DMA_ATTR_MMIO			(1UL << 10)

#define DMA_MAPPING_ERROR		(~(dma_addr_t)0)
#define DMA_BIT_MASK(n)	(((n) == 64) ? ~0ULL : ((1ULL << (n)) - 1))

/* Streaming mappings: physical address primitive and its wrappers. */
dma_addr_t dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
		    enum dma_data_direction dir, unsigned long attrs);
dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
			      size_t offset, size_t size,
			      enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs);
dma_addr_t dma_map_single_attrs(struct device *dev, void *ptr, size_t size,
				enum dma_data_direction dir,
				unsigned long attrs);
void dma_unmap_single_attrs(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs);
dma_addr_t dma_map_resource(struct device *dev, phys_addr_t phys_addr,
			    size_t size, enum dma_data_direction dir,
			    unsigned long attrs);
void dma_unmap_resource(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir, unsigned long attrs);
unsigned int dma_map_sg_attrs(struct device *dev, struct scatterlist *sg,
			      int nents, enum dma_data_direction dir,
			      unsigned long attrs);
void dma_unmap_sg_attrs(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs);
int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
		    enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_sgtable(struct device *dev, struct sg_table *sgt,
		       enum dma_data_direction dir, unsigned long attrs);
int dma_mapping_error(struct device *dev, dma_addr_t dma_addr);

void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
			     enum dma_data_direction dir);
void dma_sync_single_for_device(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir);
void dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
			 int nelems, enum dma_data_direction dir);
void dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
			    int nelems, enum dma_data_direction dir);
void dma_sync_sgtable_for_cpu(struct device *dev, struct sg_table *sgt,
			      enum dma_data_direction dir);
void dma_sync_sgtable_for_device(struct device *dev, struct sg_table *sgt,
				 enum dma_data_direction dir);

/*
 * Syncs of part of a streaming mapping: @offset bytes into the mapping at
 * @addr, @size bytes. Exactly dma_sync_single_for_*() of (@addr + @offset,
 * @size), as in the kernel; dma-debug checks the range lies inside one live
 * mapping ("tries to sync DMA memory it has not allocated" when it does not).
 */
static inline void dma_sync_single_range_for_cpu(struct device *dev,
						 dma_addr_t addr,
						 unsigned long offset,
						 size_t size,
						 enum dma_data_direction dir)
{
	dma_sync_single_for_cpu(dev, addr + offset, size, dir);
}

static inline void dma_sync_single_range_for_device(struct device *dev,
						    dma_addr_t addr,
						    unsigned long offset,
						    size_t size,
						    enum dma_data_direction dir)
{
	dma_sync_single_for_device(dev, addr + offset, size, dir);
}

bool dma_need_sync(struct device *dev, dma_addr_t dma_addr);
bool dma_need_unmap(struct device *dev);
size_t dma_max_mapping_size(struct device *dev);
size_t dma_opt_mapping_size(struct device *dev);
bool dma_addressing_limited(struct device *dev);
u64 dma_get_required_mask(struct device *dev);
unsigned long dma_get_merge_boundary(struct device *dev);

/* Masks */
int dma_set_mask(struct device *dev, u64 mask);
int dma_set_coherent_mask(struct device *dev, u64 mask);
int dma_set_mask_and_coherent(struct device *dev, u64 mask);
u64 dma_get_mask(struct device *dev);
int dma_supported(struct device *dev, u64 mask);

unsigned int dma_get_max_seg_size(struct device *dev);
int dma_set_max_seg_size(struct device *dev, unsigned int size);
unsigned long dma_get_seg_boundary(struct device *dev);
int dma_set_seg_boundary(struct device *dev, unsigned long mask);
unsigned int dma_get_min_align_mask(struct device *dev);
void dma_set_min_align_mask(struct device *dev, unsigned int min_align_mask);

/* Coherent and non-coherent allocations */
void *dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle,
		      gfp_t flag, unsigned long attrs);
void dma_free_attrs(struct device *dev, size_t size, void *cpu_addr,
		    dma_addr_t dma_handle, unsigned long attrs);
struct page *dma_alloc_pages(struct device *dev, size_t size,
			     dma_addr_t *dma_handle,
			     enum dma_data_direction dir, gfp_t gfp);
void dma_free_pages(struct device *dev, size_t size, struct page *page,
		    dma_addr_t dma_handle, enum dma_data_direction dir);
void *dma_alloc_noncoherent(struct device *dev, size_t size,
			    dma_addr_t *dma_handle,
			    enum dma_data_direction dir, gfp_t gfp);
void dma_free_noncoherent(struct device *dev, size_t size, void *vaddr,
			  dma_addr_t dma_handle, enum dma_data_direction dir);

/*
 * dma_get_sgtable_attrs - describe a coherent allocation as an sg_table
 * @dev: the device it was allocated for
 * @sgt: filled here (the caller's struct; its entries are allocated: free
 *	them with sg_free_table())
 * @cpu_addr, @dma_addr, @size, @attrs: as given to and returned by
 *	dma_alloc_attrs()
 *
 * The memory is physically contiguous: one entry of PAGE_ALIGN(@size)
 * bytes at offset 0 (for exporting it, e.g. as a dma-buf). Returns 0,
 * -ENOMEM, -ENXIO when @dev's legacy ops cannot do it or the address is not
 * RAM, -EINVAL for a NULL argument or a size of 0 or above UINT_MAX.
 */
int dma_get_sgtable_attrs(struct device *dev, struct sg_table *sgt,
			  void *cpu_addr, dma_addr_t dma_addr, size_t size,
			  unsigned long attrs);

static inline int dma_get_sgtable(struct device *dev, struct sg_table *sgt,
				  void *cpu_addr, dma_addr_t dma_addr,
				  size_t size)
{
	return dma_get_sgtable_attrs(dev, sgt, cpu_addr, dma_addr, size, 0);
}

/*
 * The two-step IOVA API (Documentation/core-api/dma-api.rst, "Part Ie"):
 * allocate IOVA once, link physical ranges into it, sync the IOTLB once.
 * A zero state means "not in use"; callers fall back to streaming mapping.
 */
struct dma_iova_state {
	dma_addr_t addr;
	u64 __size;
};

/* Set in __size when the linked ranges are bounced through swiotlb. */
#define DMA_IOVA_USE_SWIOTLB	(1ULL << 63)

static inline size_t dma_iova_size(struct dma_iova_state *state)
{
	/* Casting is needed for 32-bits systems */
	return (size_t)(state->__size & ~DMA_IOVA_USE_SWIOTLB);
}

static inline bool dma_use_iova(struct dma_iova_state *state)
{
	return state->__size != 0;
}

bool dma_iova_try_alloc(struct device *dev, struct dma_iova_state *state,
			phys_addr_t phys, size_t size);
void dma_iova_free(struct device *dev, struct dma_iova_state *state);
void dma_iova_destroy(struct device *dev, struct dma_iova_state *state,
		      size_t mapped_len, enum dma_data_direction dir,
		      unsigned long attrs);
int dma_iova_sync(struct device *dev, struct dma_iova_state *state,
		  size_t offset, size_t size);
int dma_iova_link(struct device *dev, struct dma_iova_state *state,
		  phys_addr_t phys, size_t offset, size_t size,
		  enum dma_data_direction dir, unsigned long attrs);
void dma_iova_unlink(struct device *dev, struct dma_iova_state *state,
		     size_t offset, size_t size, enum dma_data_direction dir,
		     unsigned long attrs);

static inline dma_addr_t dma_map_page(struct device *dev, struct page *page,
				      size_t offset, size_t size,
				      enum dma_data_direction dir)
{
	return dma_map_page_attrs(dev, page, offset, size, dir, 0);
}

static inline void dma_unmap_page(struct device *dev, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir)
{
	dma_unmap_page_attrs(dev, addr, size, dir, 0);
}

static inline dma_addr_t dma_map_single(struct device *dev, void *ptr,
					size_t size,
					enum dma_data_direction dir)
{
	return dma_map_single_attrs(dev, ptr, size, dir, 0);
}

static inline void dma_unmap_single(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir)
{
	dma_unmap_single_attrs(dev, addr, size, dir, 0);
}

static inline int dma_map_sg(struct device *dev, struct scatterlist *sg,
			     int nents, enum dma_data_direction dir)
{
	return (int)dma_map_sg_attrs(dev, sg, nents, dir, 0);
}

static inline void dma_unmap_sg(struct device *dev, struct scatterlist *sg,
				int nents, enum dma_data_direction dir)
{
	dma_unmap_sg_attrs(dev, sg, nents, dir, 0);
}

static inline void *dma_alloc_coherent(struct device *dev, size_t size,
				       dma_addr_t *dma_handle, gfp_t gfp)
{
	return dma_alloc_attrs(dev, size, dma_handle, gfp, 0);
}

static inline void dma_free_coherent(struct device *dev, size_t size,
				     void *cpu_addr, dma_addr_t dma_handle)
{
	dma_free_attrs(dev, size, cpu_addr, dma_handle, 0);
}

/*
 * Non-contiguous allocations (Documentation/core-api/dma-api.rst, "Part
 * Ib"): memory the device sees as one contiguous range at
 * sg_dma_address(sgt->sgl) (sgt->nents is 1), the CPU as the pages of the
 * table (sgt->orig_nents entries). Behind an IOMMU DMA domain the pages
 * are scattered blocks of whole IOVA granules mapped at one IOVA range;
 * without, one physically contiguous allocation, as dma_alloc_pages().
 * The memory is not coherent: hand it over with dma_sync_sgtable_for_*().
 * dma_vmap_noncontiguous() gives one CPU range for it, or NULL.
 */
struct sg_table *dma_alloc_noncontiguous(struct device *dev, size_t size,
					 enum dma_data_direction dir,
					 gfp_t gfp, unsigned long attrs);
void dma_free_noncontiguous(struct device *dev, size_t size,
			    struct sg_table *sgt, enum dma_data_direction dir);
void *dma_vmap_noncontiguous(struct device *dev, size_t size,
			     struct sg_table *sgt);
void dma_vunmap_noncontiguous(struct device *dev, void *vaddr);

/*
 * Managed coherent memory (devres): freed by the driver core when the
 * device's driver is unbound (after its remove, or a failed probe), or at
 * machine shutdown, unless freed before with dmam_free_coherent().
 */
void *dmam_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle,
		       gfp_t gfp, unsigned long attrs);
void dmam_free_coherent(struct device *dev, size_t size, void *vaddr,
			dma_addr_t dma_handle);

static inline void *dmam_alloc_coherent(struct device *dev, size_t size,
					dma_addr_t *dma_handle, gfp_t gfp)
{
	return dmam_alloc_attrs(dev, size, dma_handle, gfp, 0);
}

/*
 * Write-combining coherent memory (a frame buffer, a doorbell page): the
 * kernel's wrappers of dma_alloc_attrs()/dma_free_attrs() with
 * DMA_ATTR_WRITE_COMBINE (and DMA_ATTR_NO_WARN for __GFP_NOWARN). The
 * simulated CPU has no write-combining buffer: the memory behaves exactly
 * as dma_alloc_coherent()'s, and dma-debug tracks it as coherent.
 */
static inline void *dma_alloc_wc(struct device *dev, size_t size,
				 dma_addr_t *dma_addr, gfp_t gfp)
{
	unsigned long attrs = DMA_ATTR_WRITE_COMBINE;

	if (gfp & __GFP_NOWARN)
		attrs |= DMA_ATTR_NO_WARN;
	return dma_alloc_attrs(dev, size, dma_addr, gfp, attrs);
}

static inline void dma_free_wc(struct device *dev, size_t size,
			       void *cpu_addr, dma_addr_t dma_addr)
{
	dma_free_attrs(dev, size, cpu_addr, dma_addr, DMA_ATTR_WRITE_COMBINE);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DMA_MAPPING_H */
