/* SPDX-License-Identifier: MIT */
/*
 * IOVA space allocator (drivers/iommu/iova.c semantics, FreeBSD
 * iommu_gas.c structure): allocated ranges in a balanced tree augmented
 * with the largest free gap below each subtree, so finding space is
 * O(log n); per-thread (the per-CPU analogue) magazine caches of recently freed ranges by size class
 * in front of a shared depot, so the common alloc/free is a few loads.
 *
 * Units are granule frames ("pfn" = iova >> granule shift), as in Linux.
 */
#ifndef _DMASTACK_IOMMU_IOVA_H
#define _DMASTACK_IOMMU_IOVA_H

#include "internal.h"
#include <dmastack/iova.h>

/* Sizes below 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1) frames are cached. */
#define IOVA_RANGE_CACHE_MAX_SIZE	6
#define IOVA_MAG_SIZE			127
#define IOVA_DEPOT_MAX			64	/* full magazines kept per size */

/* The public allocator calls: include/dmastack/iova.h. */

/* Empty every thread's cache and the depot back into the tree. */
void iova_cache_flush(struct iova_domain *iovad);

unsigned long iova_shift(struct iova_domain *iovad);
/* Allocations live in the tree (cached free ranges are not counted). */
unsigned long iova_domain_allocations(struct iova_domain *iovad);
/*
 * Frames held by callers (*@live), taken from the tree (*@held: live and
 * cached) and the most ever taken at once (*@peak).
 */
void iova_domain_frames(struct iova_domain *iovad, unsigned long *live,
			unsigned long *held, unsigned long *peak);
/* Reserved ranges in the tree, counting merged ones once. */
unsigned long iova_domain_reservations(struct iova_domain *iovad);
/* Frames held in caches and depot. */
unsigned long iova_domain_cached(struct iova_domain *iovad);
/* Debug builds and tests: check the tree's order, balance and gap
 * augmentation; returns 0 or -EUCLEAN with a report. */
int iova_domain_check(struct iova_domain *iovad);

/*
 * Check the tree after every mutation, reporting to stderr (on from
 * creation when iova.c is built with -DIOVA_DEBUG), and verify in
 * free_iova_fast() that the range is an allocation of that size.
 */
void iova_domain_set_debug(struct iova_domain *iovad, bool on);
/*
 * Tests: use magazines of @mag_size ranges (1..IOVA_MAG_SIZE) and depots of
 * @depot_max magazines (0..IOVA_DEPOT_MAX), before any cache use.
 * Returns 0 or -EINVAL.
 */
int iova_domain_set_rcache_limits(struct iova_domain *iovad,
				  unsigned int mag_size,
				  unsigned int depot_max);

/*
 * The tree's node pool: nodes in the tree (*@used) and free in its chunks
 * (*@free); chunks are page-sized, so *@used + *@free over the chunk's
 * capacity is the pages it holds.
 */
void iova_domain_nodes(struct iova_domain *iovad, unsigned long *used,
		       unsigned long *free);

#endif /* _DMASTACK_IOMMU_IOVA_H */
