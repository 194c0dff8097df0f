/* SPDX-License-Identifier: MIT */
/*
 * The IOVA allocator of iommu-dma (include/linux/iova.h), on its own: an
 * IOVA space in granule frames ("pfn" = iova >> granule shift, as in
 * Linux), allocated top-down from a balanced tree, with per-thread
 * magazine caches in front of it. For IOMMU drivers and benchmarks.
 */
#ifndef _DMASTACK_LINUX_IOVA_H
#define _DMASTACK_LINUX_IOVA_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct iova_domain;

/**
 * iova_domain_create() - an empty IOVA space
 * @m: machine, for the allocation hook (fail-Nth)
 * @granule: bytes per frame (power of two, >= 4K)
 * @start_pfn: lowest frame that may be allocated (>= 1: frame 0 never is)
 * @guard_pfns: free frames kept after every allocation (0 = none), so an
 *	overrun hits unmapped space
 *
 * Return: the domain, or NULL for bad arguments or no memory.
 */
struct iova_domain *iova_domain_create(struct sim_machine *m,
				       unsigned long granule,
				       unsigned long start_pfn,
				       unsigned long guard_pfns);

/**
 * iova_domain_destroy() - free the tree, the caches and the depot
 * @iovad: domain (NULL: nothing)
 */
void iova_domain_destroy(struct iova_domain *iovad);

/**
 * reserve_iova() - take [@pfn_lo, @pfn_hi] out of the space for good
 * @iovad: domain
 * @pfn_lo: first frame
 * @pfn_hi: last frame
 *
 * For reserved regions such as the x86 MSI window. Overlapping or adjacent
 * reservations merge.
 *
 * Return: 0, -EINVAL (@pfn_lo > @pfn_hi), -EBUSY (overlaps an allocation)
 * or -ENOMEM.
 */
int reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
		 unsigned long pfn_hi);

/**
 * alloc_iova_fast() - allocate @size frames ending at or below @limit_pfn
 * @iovad: domain
 * @size: frames
 * @limit_pfn: highest frame the allocation may use
 * @flush_rcache: when the tree is full, empty every cache into it and try
 *	once more
 *
 * Sizes below the cache limit are rounded up to a power of two and come
 * naturally aligned, from the calling thread's magazine when it has one,
 * else the depot, else the tree (highest fit first).
 *
 * Return: the first frame, or 0 when there is no room.
 */
unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache);

/**
 * free_iova_fast() - give back what alloc_iova_fast() returned
 * @iovad: domain
 * @pfn: the first frame it returned
 * @size: the size asked for
 */
void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size);

/**
 * alloc_iova() - allocate exactly @size frames from the tree
 * @iovad: domain
 * @size: frames (no rounding)
 * @limit_pfn: highest frame the allocation may use
 * @size_aligned: align the allocation to @size rounded up to a power of two
 *
 * Return: the first frame, or 0 when there is no room.
 */
unsigned long alloc_iova(struct iova_domain *iovad, unsigned long size,
			 unsigned long limit_pfn, bool size_aligned);

/**
 * free_iova() - free the tree allocation containing @pfn
 * @iovad: domain
 * @pfn: a frame of the allocation
 *
 * Return: its size in frames, 0 when no allocation contains @pfn.
 */
unsigned long free_iova(struct iova_domain *iovad, unsigned long pfn);

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_LINUX_IOVA_H */
