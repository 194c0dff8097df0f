/* SPDX-License-Identifier: MIT */
/*
 * Requests and the multi-queue block layer's driver interface
 * (include/linux/blk-mq.h), for passthrough I/O: a driver makes a tag set
 * and a queue, allocates a request, attaches data (blk_rq_map_kern() or
 * blk_rq_append_bio() of its own bios) and executes it; blk-mq calls the
 * driver's ->queue_rq(), which maps the request (the DMA iterator of
 * <linux/blk-mq-dma.h>) and starts the device; the driver completes it
 * from its interrupt with blk_mq_complete_request() or
 * blk_mq_end_request(). There is no submit_bio() path: no gendisk, no
 * scheduler, one hardware queue context per hardware queue.
 */
#ifndef _DMASTACK_LINUX_BLK_MQ_H
#define _DMASTACK_LINUX_BLK_MQ_H

#include "types.h"
#include "blkdev.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef u32 req_flags_t;

/* request::rq_flags (the ones a driver sees) */
#define RQF_STARTED	((req_flags_t)1 << 1)
#define RQF_FAILED	((req_flags_t)1 << 10)
#define RQF_QUIET	((req_flags_t)1 << 11)

enum mq_rq_state {
	MQ_RQ_IDLE		= 0,
	MQ_RQ_IN_FLIGHT		= 1,
	MQ_RQ_COMPLETE		= 2,
};

enum rq_end_io_ret {
	RQ_END_IO_NONE,
	RQ_END_IO_FREE,
};

struct request;
typedef enum rq_end_io_ret (rq_end_io_fn)(struct request *, blk_status_t);

/* The bvec table a request built by dmastack's blk_rq_add_page() holds. */
#define __BLK_RQ_INLINE_BVECS	512U

/*
 * struct request - a block request
 * @q: the queue whose limits apply
 * @mq_hctx: the hardware queue context it is dispatched on
 * @cmd_flags: operation (REQ_OP_*) and flags (REQ_P2PDMA, ...)
 * @rq_flags: RQF_*
 * @tag: its tag in the tag set (-1 for a request not from one)
 * @__data_len: total bytes
 * @__sector: device address
 * @bio, @biotail: its bios, linked by bi_next
 * @nr_phys_segments: physical segments as the queue limits count them
 * @end_io, @end_io_data: completion callback of blk_execute_rq_nowait()
 *
 * Private to dmastack's request builder (<dmastack/blk-mq-dma.h>):
 * @bvecs, @nr_bvecs and the fields after them.
 */
struct request {
	struct request_queue *q;
	struct blk_mq_ctx *mq_ctx;
	struct blk_mq_hw_ctx *mq_hctx;
	blk_opf_t cmd_flags;
	req_flags_t rq_flags;
	int tag;
	int internal_tag;
	unsigned int timeout;
	unsigned int __data_len;
	sector_t __sector;
	struct bio *bio;
	struct bio *biotail;
	unsigned short nr_phys_segments;
	enum mq_rq_state state;
	rq_end_io_fn *end_io;
	void *end_io_data;

	/* private: the builder's table, one bio over it */
	unsigned int nr_bvecs;
	phys_addr_t __seg_start;	/* the open physical segment */
	unsigned int __seg_len;
	/*
	 * the OR of both sides of every segment boundary so far, valid while
	 * nr_bvecs == __gaps_nr_bvecs (built only by blk_rq_add_page())
	 */
	u64 __phys_gaps;
	unsigned int __gaps_nr_bvecs;
	struct bio __bio;
	struct bio_vec bvecs[__BLK_RQ_INLINE_BVECS];
};

static inline enum req_op req_op(const struct request *req)
{
	return (enum req_op)(req->cmd_flags & REQ_OP_MASK);
}

static inline bool blk_rq_is_passthrough(const struct request *rq)
{
	return req_op(rq) == REQ_OP_DRV_IN || req_op(rq) == REQ_OP_DRV_OUT;
}

#define rq_data_dir(rq)		(op_is_write(req_op(rq)) ? 1 : 0)

static inline enum dma_data_direction rq_dma_dir(const struct request *rq)
{
	return op_is_write(req_op(rq)) ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
}

static inline sector_t blk_rq_pos(const struct request *rq)
{
	return rq->__sector;
}

static inline unsigned int blk_rq_bytes(const struct request *rq)
{
	return rq->__data_len;
}

static inline unsigned int blk_rq_sectors(const struct request *rq)
{
	return blk_rq_bytes(rq) >> SECTOR_SHIFT;
}

static inline unsigned int blk_rq_payload_bytes(const struct request *rq)
{
	return rq->__data_len;
}

static inline unsigned short blk_rq_nr_phys_segments(const struct request *rq)
{
	return rq->nr_phys_segments;
}

/* A position in a request's data: the bio and the place in it. */
struct req_iterator {
	struct bvec_iter iter;
	struct bio *bio;
};

#define __rq_for_each_bio(_bio, rq)					\
	if ((rq)->bio)							\
		for (_bio = (rq)->bio; _bio; _bio = _bio->bi_next)

/* Each page-sized (at most) piece of @rq's data. */
#define rq_for_each_segment(bvl, _rq, _iter)				\
	__rq_for_each_bio(_iter.bio, _rq)				\
		bio_for_each_segment(bvl, _iter.bio, _iter.iter)

/* Each whole bvec of @rq's data. */
#define rq_for_each_bvec(bvl, _rq, _iter)				\
	__rq_for_each_bio(_iter.bio, _rq)				\
		bio_for_each_bvec(bvl, _iter.bio, _iter.iter)

/*
 * blk_rq_init - an empty request of @q (no bios, operation READ, no tag).
 */
void blk_rq_init(struct request_queue *q, struct request *rq);

/*
 * blk_rq_append_bio - append @bio to @rq (passthrough)
 *
 * The data must fit the queue's limits as they are, without splitting: a
 * bvec gap inside the virt boundary, a start or length off the DMA
 * alignment, more segments than max_segments or more bytes than
 * max_hw_sectors give -EREMOTEIO (the kernel copies instead). -EINVAL when
 * @bio cannot follow the request's last bio (a gap at the boundary, too
 * many segments in all, P2PDMA pages of another provider) or @rq was
 * built with blk_rq_add_page(). The caller keeps owning @bio.
 */
int blk_rq_append_bio(struct request *rq, struct bio *bio);

/*
 * blk_rq_map_kern - attach @len bytes of kernel memory at @kbuf to @rq
 *
 * Memory in the linear map (kmalloc(), page_address()) respecting the
 * queue's DMA alignment is mapped in place; otherwise it is copied through
 * freshly allocated pages (in for a write now, out for a read at
 * completion), as the kernel's bio_copy_kern(). The bio is freed when the
 * request ends. -EINVAL for a zero or too large length or vmalloc memory
 * that is not page aligned; -ENOMEM.
 */
int blk_rq_map_kern(struct request *rq, void *kbuf, unsigned int len,
		    gfp_t gfp_mask);

/* ---- the driver interface ---------------------------------------------- */

struct blk_mq_hw_ctx {
	void *driver_data;		/* set by ->init_hctx() */
	struct request_queue *queue;
	unsigned int queue_num;
};

struct blk_mq_queue_data {
	struct request *rq;
	bool last;
};

struct blk_mq_tag_set;

struct blk_mq_ops {
	blk_status_t (*queue_rq)(struct blk_mq_hw_ctx *,
				 const struct blk_mq_queue_data *);
	void (*commit_rqs)(struct blk_mq_hw_ctx *);
	void (*complete)(struct request *);
	int (*init_hctx)(struct blk_mq_hw_ctx *, void *, unsigned int);
	void (*exit_hctx)(struct blk_mq_hw_ctx *, unsigned int);
	int (*init_request)(struct blk_mq_tag_set *set, struct request *,
			    unsigned int, unsigned int);
	void (*exit_request)(struct blk_mq_tag_set *set, struct request *,
			     unsigned int);
};

/* blk_mq_tag_set::flags */
#define BLK_MQ_F_SHOULD_MERGE	(1U << 0)
#define BLK_MQ_F_BLOCKING	(1U << 5)

/* blk_mq_alloc_request() flags */
typedef unsigned int blk_mq_req_flags_t;
#define BLK_MQ_REQ_NOWAIT	((blk_mq_req_flags_t)(1U << 0))
#define BLK_MQ_REQ_RESERVED	((blk_mq_req_flags_t)(1U << 1))

#define BLK_MQ_MAX_DEPTH	10240U

/*
 * struct blk_mq_tag_set - a driver's requests: @queue_depth per hardware
 * queue, each followed by @cmd_size bytes of the driver's (the pdu).
 */
struct blk_mq_tag_set {
	const struct blk_mq_ops *ops;
	unsigned int nr_hw_queues;
	unsigned int queue_depth;
	unsigned int reserved_tags;
	unsigned int cmd_size;
	int numa_node;
	unsigned int timeout;
	unsigned int flags;
	void *driver_data;
	/* private */
	struct blk_mq_tags_priv *__tags;
};

int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set);
void blk_mq_free_tag_set(struct blk_mq_tag_set *set);

/*
 * blk_mq_alloc_queue - a queue over @set with @lim (NULL: the defaults);
 * ->init_hctx() runs for each hardware queue. ERR_PTR(-EINVAL) for limits
 * that make no sense, ERR_PTR(-ENOMEM). Tear down with
 * blk_mq_destroy_queue() then blk_put_queue().
 */
struct request_queue *blk_mq_alloc_queue(struct blk_mq_tag_set *set,
					 struct queue_limits *lim,
					 void *queuedata);
void blk_mq_destroy_queue(struct request_queue *q);
void blk_put_queue(struct request_queue *q);

/*
 * blk_mq_alloc_request - a free request of @q doing @opf, or
 * ERR_PTR(-EWOULDBLOCK) when all tags are in use (the kernel would sleep
 * without BLK_MQ_REQ_NOWAIT; nothing would free one here).
 */
struct request *blk_mq_alloc_request(struct request_queue *q, blk_opf_t opf,
				     blk_mq_req_flags_t flags);
void blk_mq_free_request(struct request *rq);

static inline void *blk_mq_rq_to_pdu(struct request *rq)
{
	return rq + 1;
}

static inline struct request *blk_mq_rq_from_pdu(void *pdu)
{
	return (struct request *)pdu - 1;
}

static inline enum mq_rq_state blk_mq_rq_state(struct request *rq)
{
	return rq->state;
}

/* The driver starts handling @rq (in ->queue_rq()). */
void blk_mq_start_request(struct request *rq);
/* @rq is done with @error: its bios end, then it is freed or its end_io runs. */
void blk_mq_end_request(struct request *rq, blk_status_t error);
void __blk_mq_end_request(struct request *rq, blk_status_t error);
/* From the driver's interrupt: runs the set's ->complete(). */
void blk_mq_complete_request(struct request *rq);

/*
 * blk_execute_rq - dispatch @rq to the driver and wait for it to end
 * (running the machine meanwhile, so the device's interrupt can end it).
 * Returns the status it ended with; BLK_STS_RESOURCE if the driver kept
 * refusing it. The caller frees @rq with blk_mq_free_request().
 */
blk_status_t blk_execute_rq(struct request *rq, bool at_head);
/* Dispatch; rq->end_io runs when it ends. */
void blk_execute_rq_nowait(struct request *rq, bool at_head);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_BLK_MQ_H */
