// SPDX-License-Identifier: MIT
/*
 * The multi-queue block layer's driver interface for passthrough requests
 * (block/blk-mq.c, the parts a driver calls): tag sets, queues with their
 * hardware contexts, request allocation, dispatch to ->queue_rq() and
 * completion.
 *
 * One tag space per set (set->queue_depth requests, each followed by its
 * pdu), allocated from the kernel allocator as blk-mq allocates them from
 * pages, so a driver may DMA to its pdu. Requests are dispatched on
 * hardware queue 0. blk_execute_rq() waits by running the machine, so the
 * device model finishes the command and its interrupt ends the request.
 */
#include <string.h>
#include <dmastack/linux/blk-mq.h>
#include <dmastack/linux/completion.h>
#include <dmastack/linux/delay.h>
#include <dmastack/linux/slab.h>
#include "internal.h"
#include "blk.h"

/* How often a request the driver refused for resources is retried. */
#define BLK_MQ_RESOURCE_RETRIES	16

struct blk_mq_tags_priv {
	pthread_mutex_t lock;
	unsigned int nr;
	struct request **rqs;
	bool *busy;		/* under @lock */
	unsigned int nr_busy;
	unsigned int nr_queues;	/* queues over the set */
};

struct blk_mq_queue_priv {
	struct request_queue q;
	struct blk_mq_hw_ctx *hctxs;
	unsigned int nr_hctx;
	bool dying;
};

static void blk_mq_free_rqs(struct blk_mq_tag_set *set, unsigned int nr)
{
	struct blk_mq_tags_priv *tags = set->__tags;

	while (nr--) {
		if (set->ops->exit_request)
			set->ops->exit_request(set, tags->rqs[nr], 0);
		kfree(tags->rqs[nr]);
	}
}

int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set)
{
	struct blk_mq_tags_priv *tags;
	unsigned int i;
	int ret = -ENOMEM;

	if (!set || !set->ops || !set->ops->queue_rq || !set->queue_depth ||
	    !set->nr_hw_queues || set->reserved_tags >= set->queue_depth)
		return -EINVAL;
	if (set->queue_depth > BLK_MQ_MAX_DEPTH)
		set->queue_depth = BLK_MQ_MAX_DEPTH;

	tags = kzalloc(sizeof(*tags), GFP_KERNEL);
	if (!tags)
		return -ENOMEM;
	tags->rqs = kcalloc(set->queue_depth, sizeof(*tags->rqs), GFP_KERNEL);
	if (!tags->rqs)
		goto free_tags;
	tags->busy = kcalloc(set->queue_depth, sizeof(*tags->busy), GFP_KERNEL);
	if (!tags->busy)
		goto free_rqs_array;
	pthread_mutex_init(&tags->lock, NULL);
	set->__tags = tags;

	for (i = 0; i < set->queue_depth; i++) {
		struct request *rq = kzalloc(sizeof(*rq) + set->cmd_size,
					     GFP_KERNEL);

		if (!rq) {
			ret = -ENOMEM;
			goto free_requests;
		}
		tags->rqs[i] = rq;
		rq->tag = (int)i;
		if (set->ops->init_request) {
			ret = set->ops->init_request(set, rq, 0,
						     (unsigned int)set->numa_node);
			if (ret) {
				kfree(rq);
				goto free_requests;
			}
		}
		tags->nr = i + 1;
	}
	return 0;

free_requests:
	blk_mq_free_rqs(set, i);
	pthread_mutex_destroy(&tags->lock);
	set->__tags = NULL;
	kfree(tags->busy);
free_rqs_array:
	kfree(tags->rqs);
free_tags:
	kfree(tags);
	return ret;
}

void blk_mq_free_tag_set(struct blk_mq_tag_set *set)
{
	struct blk_mq_tags_priv *tags = set ? set->__tags : NULL;

	if (!tags)
		return;
	WARN(tags->nr_busy, "blk_mq_free_tag_set: %u requests still allocated\n",
	     tags->nr_busy);
	WARN(tags->nr_queues, "blk_mq_free_tag_set: %u queues still use the set\n",
	     tags->nr_queues);
	blk_mq_free_rqs(set, tags->nr);
	pthread_mutex_destroy(&tags->lock);
	kfree(tags->busy);
	kfree(tags->rqs);
	kfree(tags);
	set->__tags = NULL;
}

/* blk_validate_limits(): fill in the defaults, refuse what cannot work. */
static int blk_validate_limits(struct queue_limits *lim)
{
	if (!lim->logical_block_size)
		lim->logical_block_size = 512;
	if (lim->logical_block_size < 512 || lim->logical_block_size > PAGE_SIZE ||
	    (lim->logical_block_size & (lim->logical_block_size - 1)))
		return -EINVAL;
	if (!lim->max_hw_sectors)
		lim->max_hw_sectors = BLK_SAFE_MAX_SECTORS;
	if (!lim->max_segments)
		lim->max_segments = BLK_MAX_SEGMENTS;
	if (!lim->seg_boundary_mask)
		lim->seg_boundary_mask = BLK_SEG_BOUNDARY_MASK;
	if (lim->seg_boundary_mask < PAGE_SIZE - 1)
		return -EINVAL;
	if (lim->virt_boundary_mask) {
		/* segments are bounded by the virt boundary instead */
		if (!lim->max_segment_size)
			lim->max_segment_size = UINT_MAX;
		else if (lim->max_segment_size != UINT_MAX)
			return -EINVAL;
	} else if (!lim->max_segment_size) {
		lim->max_segment_size = BLK_MAX_SEGMENT_SIZE;
	}
	if (lim->max_segment_size < PAGE_SIZE)
		return -EINVAL;
	/* the device's block size is the least alignment it takes */
	if (lim->dma_alignment < lim->logical_block_size - 1)
		lim->dma_alignment = lim->logical_block_size - 1;
	return 0;
}

struct request_queue *blk_mq_alloc_queue(struct blk_mq_tag_set *set,
					 struct queue_limits *lim,
					 void *queuedata)
{
	struct blk_mq_queue_priv *qp;
	struct queue_limits l;
	unsigned int i;
	int ret;

	if (!set || !set->__tags)
		return ERR_PTR(-EINVAL);
	if (lim)
		l = *lim;
	else
		memset(&l, 0, sizeof(l));
	ret = blk_validate_limits(&l);
	if (ret)
		return ERR_PTR(ret);

	qp = kzalloc(sizeof(*qp), GFP_KERNEL);
	if (!qp)
		return ERR_PTR(-ENOMEM);
	qp->hctxs = kcalloc(set->nr_hw_queues, sizeof(*qp->hctxs), GFP_KERNEL);
	if (!qp->hctxs) {
		ret = -ENOMEM;
		goto free_queue;
	}
	qp->q.limits = l;
	qp->q.queuedata = queuedata;
	qp->q.tag_set = set;
	for (i = 0; i < set->nr_hw_queues; i++) {
		qp->hctxs[i].queue = &qp->q;
		qp->hctxs[i].queue_num = i;
		if (set->ops->init_hctx) {
			ret = set->ops->init_hctx(&qp->hctxs[i],
						  set->driver_data, i);
			if (ret)
				goto exit_hctxs;
		}
	}
	qp->nr_hctx = set->nr_hw_queues;
	pthread_mutex_lock(&set->__tags->lock);
	set->__tags->nr_queues++;
	pthread_mutex_unlock(&set->__tags->lock);
	return &qp->q;

exit_hctxs:
	while (i--)
		if (set->ops->exit_hctx)
			set->ops->exit_hctx(&qp->hctxs[i], i);
	kfree(qp->hctxs);
free_queue:
	kfree(qp);
	return ERR_PTR(ret);
}

static struct blk_mq_queue_priv *queue_priv(struct request_queue *q)
{
	return container_of(q, struct blk_mq_queue_priv, q);
}

void blk_mq_destroy_queue(struct request_queue *q)
{
	struct blk_mq_queue_priv *qp = queue_priv(q);
	struct blk_mq_tag_set *set = q->tag_set;

	if (WARN_ON_ONCE(qp->dying))
		return;
	qp->dying = true;
	for (unsigned int i = qp->nr_hctx; i--;)
		if (set->ops->exit_hctx)
			set->ops->exit_hctx(&qp->hctxs[i], i);
	pthread_mutex_lock(&set->__tags->lock);
	set->__tags->nr_queues--;
	pthread_mutex_unlock(&set->__tags->lock);
}

void blk_put_queue(struct request_queue *q)
{
	struct blk_mq_queue_priv *qp;

	if (!q)
		return;
	qp = queue_priv(q);
	WARN(!qp->dying, "blk_put_queue: queue not destroyed\n");
	if (!qp->dying)
		blk_mq_destroy_queue(q);
	kfree(qp->hctxs);
	kfree(qp);
}

struct request *blk_mq_alloc_request(struct request_queue *q, blk_opf_t opf,
				     blk_mq_req_flags_t flags)
{
	struct blk_mq_tag_set *set = q ? q->tag_set : NULL;
	struct blk_mq_tags_priv *tags;
	struct request *rq = NULL;
	unsigned int i, first;

	if (!set || !set->__tags || queue_priv(q)->dying)
		return ERR_PTR(-ENODEV);
	tags = set->__tags;
	/* reserved tags come from the bottom, the others from above them */
	first = flags & BLK_MQ_REQ_RESERVED ? 0 : set->reserved_tags;
	pthread_mutex_lock(&tags->lock);
	for (i = first; i < (flags & BLK_MQ_REQ_RESERVED ? set->reserved_tags :
			     tags->nr); i++)
		if (!tags->busy[i]) {
			tags->busy[i] = true;
			tags->nr_busy++;
			rq = tags->rqs[i];
			break;
		}
	pthread_mutex_unlock(&tags->lock);
	if (!rq)
		return ERR_PTR(-EWOULDBLOCK);

	(blk_rq_init)(q, rq);
	rq->nr_bvecs = 0;
	rq->tag = (int)i;
	rq->mq_hctx = &queue_priv(q)->hctxs[0];
	rq->cmd_flags = opf;
	rq->timeout = set->timeout;
	return rq;
}

void blk_mq_free_request(struct request *rq)
{
	struct blk_mq_tag_set *set = rq->q ? rq->q->tag_set : NULL;
	struct blk_mq_tags_priv *tags = set ? set->__tags : NULL;
	unsigned int tag = (unsigned int)rq->tag;

	if (WARN(!tags || rq->tag < 0 || tag >= tags->nr || tags->rqs[tag] != rq,
		 "blk_mq_free_request: not a request of a tag set\n"))
		return;
	pthread_mutex_lock(&tags->lock);
	if (WARN(!tags->busy[tag], "blk_mq_free_request: request %u freed twice\n",
		 tag)) {
		pthread_mutex_unlock(&tags->lock);
		return;
	}
	tags->busy[tag] = false;
	tags->nr_busy--;
	pthread_mutex_unlock(&tags->lock);
	rq->state = MQ_RQ_IDLE;
}

void blk_mq_start_request(struct request *rq)
{
	WARN_ON_ONCE(rq->state != MQ_RQ_IDLE);
	rq->state = MQ_RQ_IN_FLIGHT;
	rq->rq_flags |= RQF_STARTED;
}

/* blk_update_request(): every bio ends with @error. */
static void blk_end_bios(struct request *rq, blk_status_t error)
{
	struct bio *bio = rq->bio;

	rq->bio = rq->biotail = NULL;
	while (bio) {
		struct bio *next = bio->bi_next;

		bio->bi_next = NULL;
		bio->bi_status = error;
		bio_endio(bio);
		bio = next;
	}
	rq->__data_len = 0;
}

void __blk_mq_end_request(struct request *rq, blk_status_t error)
{
	rq->state = MQ_RQ_COMPLETE;
	if (error)
		rq->rq_flags |= RQF_FAILED;
	if (rq->end_io) {
		if (rq->end_io(rq, error) == RQ_END_IO_FREE)
			blk_mq_free_request(rq);
		return;
	}
	blk_mq_free_request(rq);
}

void blk_mq_end_request(struct request *rq, blk_status_t error)
{
	blk_end_bios(rq, error);
	__blk_mq_end_request(rq, error);
}

void blk_mq_complete_request(struct request *rq)
{
	const struct blk_mq_ops *ops = rq->q->tag_set->ops;

	if (WARN(!ops->complete, "blk_mq_complete_request: no ->complete\n")) {
		blk_mq_end_request(rq, BLK_STS_IOERR);
		return;
	}
	ops->complete(rq);
}

void blk_execute_rq_nowait(struct request *rq, bool at_head)
{
	const struct blk_mq_ops *ops = rq->q->tag_set->ops;
	struct blk_mq_queue_data bd = { .rq = rq, .last = true };
	blk_status_t ret;

	(void)at_head;	/* one request at a time: nothing to pass */
	for (unsigned int tries = 0;; tries++) {
		ret = ops->queue_rq(rq->mq_hctx, &bd);
		if (ret == BLK_STS_OK)
			return;
		if ((ret != BLK_STS_RESOURCE && ret != BLK_STS_DEV_RESOURCE) ||
		    tries == BLK_MQ_RESOURCE_RETRIES)
			break;
		/* blk_mq_delay_run_hw_queue(): let the device free something */
		udelay(3000);
	}
	blk_mq_end_request(rq, ret);
}

struct blk_rq_wait {
	struct completion done;
	blk_status_t ret;
};

static enum rq_end_io_ret blk_end_sync_rq(struct request *rq, blk_status_t ret)
{
	struct blk_rq_wait *wait = rq->end_io_data;

	wait->ret = ret;
	complete(&wait->done);
	return RQ_END_IO_NONE;
}

blk_status_t blk_execute_rq(struct request *rq, bool at_head)
{
	struct blk_rq_wait wait = { .ret = BLK_STS_OK };

	init_completion(&wait.done);
	rq->end_io = blk_end_sync_rq;
	rq->end_io_data = &wait;
	blk_execute_rq_nowait(rq, at_head);
	/* runs the machine: the device's interrupt ends the request */
	if (!wait_for_completion_timeout(&wait.done, 30 * 1000)) {
		/* the caller's wait ends here: a late end frees the request */
		WARN(1, "blk_execute_rq: request %d not ended after 30 s\n",
		     rq->tag);
		rq->end_io = NULL;
		rq->end_io_data = NULL;
		return BLK_STS_TIMEOUT;
	}
	return wait.ret;
}
