/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/blk-mq-dma.h>: the kernel's <linux/blk-mq-dma.h> (with
 * <linux/blk-mq.h>, <linux/bio.h> and <linux/blkdev.h>; what kernel code
 * includes with the dmastack-kernel cflags) and dmastack's request builder
 * for programs that play the block layer without making bios.
 */
#ifndef _DMASTACK_BLK_MQ_DMA_H
#define _DMASTACK_BLK_MQ_DMA_H

#include "linux/blk-mq-dma.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The bvecs a request built with blk_rq_add_page() holds. */
#define BLK_RQ_MAX_BVECS	__BLK_RQ_INLINE_BVECS

/*
 * blk_rq_add_page - append @len bytes at @offset of @page to @rq
 *
 * As bio_add_page() into one bio the request holds, with the queue's
 * limits applied as a passthrough request's (bio_add_hw_page()): a bvec
 * physically contiguous with the previous one is merged into it;
 * otherwise it must respect the virt boundary, and pages of different
 * P2PDMA pgmaps (P2P memory of another provider, or P2P and RAM) never
 * share a request. Returns 0; -EINVAL for a NULL page, a zero length, a
 * start or length violating dma_alignment or the virt boundary, a pgmap
 * mix, a total above UINT_MAX, or a request that has bios of its own
 * (blk_rq_append_bio()); -ENOMEM when the bvec table or max_segments is
 * full. On error @rq is unchanged.
 *
 * The table (@rq->bvecs, @rq->nr_bvecs, with @rq->__data_len and
 * @rq->nr_phys_segments) may also be filled by hand; the request's bio
 * is brought up to date when the request is mapped.
 */
int blk_rq_add_page(struct request *rq, struct page *page, unsigned int len,
		    unsigned int offset);

/* An empty request of @q doing @opf (blk_rq_init(), then the operation). */
static inline void sim_blk_rq_init_op(struct request_queue *q, struct request *rq,
				  blk_opf_t opf)
{
	(blk_rq_init)(q, rq);
	rq->cmd_flags = opf;
}

/*
 * blk_rq_init(q, rq) is the kernel's; blk_rq_init(q, rq, opf), dmastack's
 * earlier form, still works and sets the operation too.
 */
#define __DMASTACK_BLK_RQ_INIT(_1, _2, _3, name, ...) name
#define blk_rq_init(...)						\
	__DMASTACK_BLK_RQ_INIT(__VA_ARGS__, sim_blk_rq_init_op,		\
			       blk_rq_init, _)(__VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_BLK_MQ_DMA_H */
