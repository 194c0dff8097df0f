/* SPDX-License-Identifier: MIT */
/*
 * dma_pool: small coherent blocks carved out of dma_alloc_coherent() pages,
 * with the kernel's size/align/boundary rules and its misuse reports.
 */
#ifndef _DMASTACK_LINUX_DMAPOOL_H
#define _DMASTACK_LINUX_DMAPOOL_H

#include "dma-mapping.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dma_pool;

struct dma_pool *dma_pool_create_node(const char *name, struct device *dev,
				      size_t size, size_t align,
				      size_t boundary, int node);
/* dma_pool_create_node() on NUMA_NO_NODE. */
struct dma_pool *dma_pool_create(const char *name, struct device *dev,
				 size_t size, size_t align, size_t boundary);
void dma_pool_destroy(struct dma_pool *pool);
/*
 * Managed pools (devres): destroyed by the driver core when the device's
 * driver is unbound, or at machine shutdown, unless destroyed before with
 * dmam_pool_destroy(). @allocation is the boundary, as in the kernel.
 */
struct dma_pool *dmam_pool_create(const char *name, struct device *dev,
				  size_t size, size_t align, size_t allocation);
void dmam_pool_destroy(struct dma_pool *pool);
void *dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags,
		     dma_addr_t *handle);
void dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t addr);

static inline void *dma_pool_zalloc(struct dma_pool *pool, gfp_t mem_flags,
				    dma_addr_t *handle)
{
	return dma_pool_alloc(pool, mem_flags | __GFP_ZERO, handle);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DMAPOOL_H */
