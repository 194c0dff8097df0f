/* SPDX-License-Identifier: MIT */
/*
 * What the block files share (block/blk.h): the segment rules of the
 * queue limits. Not installed.
 */
#ifndef _DMASTACK_KERNEL_BLOCK_BLK_H
#define _DMASTACK_KERNEL_BLOCK_BLK_H

#include <dmastack/blk-mq-dma.h>

/*
 * The longest segment starting at @paddr: the segment boundary and the
 * maximum segment size (the kernel's get_max_segment_size()).
 */
size_t blk_max_segment_size(const struct queue_limits *lim, phys_addr_t paddr,
			    size_t len);
/* Only pages of the same P2PDMA pgmap (or all RAM) share a request. */
static inline bool blk_same_pgmap(const struct page *a, const struct page *b)
{
	return a->pgmap == b->pgmap;
}
/* bvec_gap_to_prev(): would @next_phys after a bvec ending at @end gap? */
static inline bool blk_virt_gap(const struct queue_limits *lim,
				phys_addr_t end, phys_addr_t next_phys)
{
	return lim->virt_boundary_mask &&
	       ((end | next_phys) & lim->virt_boundary_mask);
}

#endif /* _DMASTACK_KERNEL_BLOCK_BLK_H */
