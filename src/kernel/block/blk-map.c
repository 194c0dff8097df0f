// SPDX-License-Identifier: MIT
/*
 * Attaching data to passthrough requests (block/blk-map.c): a driver's own
 * bios with blk_rq_append_bio(), or kernel memory with blk_rq_map_kern(),
 * mapped in place or copied through bounce pages.
 */
#include <string.h>
#include <dmastack/linux/blk-mq.h>
#include <dmastack/linux/slab.h>
#include <dmastack/linux/vmalloc.h>
#include "internal.h"
#include "blk.h"

/*
 * bio_split_rw_at() without splitting: the segments @bio makes under @lim,
 * or -EREMOTEIO when it would have to be split (a virt-boundary gap, more
 * segments or bytes than the queue takes), -EINVAL when a bvec is off the
 * DMA alignment.
 */
static int bio_count_segs(const struct bio *bio, const struct queue_limits *lim,
			  unsigned int *segs)
{
	u64 max_bytes = lim->max_hw_sectors ?
			(u64)lim->max_hw_sectors << SECTOR_SHIFT : UINT_MAX;
	struct bvec_iter iter;
	struct bio_vec bv;
	phys_addr_t prev_end = 0;
	unsigned int nsegs = 0;
	u64 bytes = 0;
	bool first = true;

	bio_for_each_bvec(bv, bio, iter) {
		phys_addr_t phys = bvec_phys(&bv);
		size_t len = bv.bv_len;

		if ((phys | len) & lim->dma_alignment)
			return -EINVAL;
		if (!first && blk_virt_gap(lim, prev_end, phys))
			return -EREMOTEIO;
		while (len) {
			size_t piece = blk_max_segment_size(lim, phys, len);

			nsegs++;
			phys += piece;
			len -= piece;
		}
		bytes += bv.bv_len;
		if ((lim->max_segments && nsegs > lim->max_segments) ||
		    nsegs > USHRT_MAX || bytes > max_bytes)
			return -EREMOTEIO;
		prev_end = bvec_phys(&bv) + bv.bv_len;
		first = false;
	}
	*segs = nsegs;
	return 0;
}

static const struct bio_vec *bio_last_bvec(const struct bio *bio)
{
	return bio->bi_vcnt ? &bio->bi_io_vec[bio->bi_vcnt - 1] : NULL;
}

int blk_rq_append_bio(struct request *rq, struct bio *bio)
{
	const struct queue_limits *lim = &rq->q->limits;
	unsigned int nr_segs = 0;
	int ret;

	/* a request built by blk_rq_add_page() has its data already */
	if (rq->nr_bvecs || !bio)
		return -EINVAL;
	ret = bio_count_segs(bio, lim, &nr_segs);
	if (ret)
		return ret;

	if (!rq->bio) {
		rq->nr_phys_segments = (unsigned short)nr_segs;
		rq->__data_len = bio->bi_iter.bi_size;
		rq->bio = rq->biotail = bio;
		bio->bi_next = NULL;
		return 0;
	}

	/* ll_back_merge_fn(): may @bio follow the request's last bio? */
	{
		const struct bio_vec *last = bio_last_bvec(rq->biotail);
		struct bio_vec first;
		u64 max_bytes = lim->max_hw_sectors ?
			(u64)lim->max_hw_sectors << SECTOR_SHIFT : UINT_MAX;

		if (!bio->bi_iter.bi_size)
			return -EINVAL;
		first = mp_bvec_iter_bvec(bio->bi_io_vec, bio->bi_iter);
		if (last && (!blk_same_pgmap(last->bv_page, first.bv_page) ||
			     blk_virt_gap(lim, bvec_phys(last) + last->bv_len,
					  bvec_phys(&first))))
			return -EINVAL;
		if ((lim->max_segments &&
		     rq->nr_phys_segments + nr_segs > lim->max_segments) ||
		    rq->nr_phys_segments + nr_segs > USHRT_MAX ||
		    (u64)rq->__data_len + bio->bi_iter.bi_size > max_bytes)
			return -EINVAL;
	}
	rq->nr_phys_segments += (unsigned short)nr_segs;
	rq->biotail->bi_next = bio;
	rq->biotail = bio;
	bio->bi_next = NULL;
	rq->__data_len += bio->bi_iter.bi_size;
	return 0;
}

/* A bio over the caller's pages ends: it was kmalloc()ed for the request. */
static void bio_map_kern_endio(struct bio *bio)
{
	bio_uninit(bio);
	kfree(bio);
}

/* A bounce bio ends: copy a read back to the caller, free the pages. */
static void bio_copy_kern_endio(struct bio *bio)
{
	char *p = bio->bi_private;
	struct bio_vec *bv;
	unsigned int i;

	bio_for_each_bvec_all(bv, bio, i) {
		if (!op_is_write(bio_op(bio)) && p && !bio->bi_status)
			memcpy(p, bvec_virt(bv), bv->bv_len);
		if (p)
			p += bv->bv_len;
		__free_pages(bv->bv_page, 0);
	}
	bio_uninit(bio);
	kfree(bio);
}

/* The caller's linear-map memory, page by page. */
static struct bio *bio_map_kern(void *data, unsigned int len, gfp_t gfp)
{
	unsigned long start = (unsigned long)data;
	unsigned long end = start + len;
	unsigned int nr = (unsigned int)(((end + PAGE_SIZE - 1) >> PAGE_SHIFT) -
					 (start >> PAGE_SHIFT));
	struct bio *bio;

	if (nr > BIO_MAX_VECS)
		return NULL;
	bio = bio_kmalloc((unsigned short)nr, gfp);
	if (!bio)
		return NULL;
	bio_init(bio, NULL, bio_inline_vecs(bio), (unsigned short)nr, 0);
	while (start < end) {
		unsigned int off = (unsigned int)(start & (PAGE_SIZE - 1));
		unsigned int n = (unsigned int)min((unsigned long)PAGE_SIZE - off,
						   end - start);

		bio_add_page(bio, virt_to_page((void *)start), n, off);
		start += n;
	}
	bio->bi_end_io = bio_map_kern_endio;
	return bio;
}

/* Bounce pages, filled from @data for a write (bio_copy_kern()). */
static struct bio *bio_copy_kern(void *data, unsigned int len, bool write,
				 gfp_t gfp)
{
	unsigned int nr = (len + PAGE_SIZE - 1) >> PAGE_SHIFT, done = 0;
	struct bio_vec *bv;
	struct bio *bio;
	unsigned int i;

	if (nr > BIO_MAX_VECS)
		return NULL;
	bio = bio_kmalloc((unsigned short)nr, gfp);
	if (!bio)
		return NULL;
	bio_init(bio, NULL, bio_inline_vecs(bio), (unsigned short)nr,
		 write ? REQ_OP_WRITE : REQ_OP_READ);
	while (done < len) {
		unsigned int n = min(len - done, (unsigned int)PAGE_SIZE);
		struct page *page = alloc_page(gfp);

		if (!page)
			goto free_pages;
		if (write)
			memcpy(page_address(page), (char *)data + done, n);
		__bio_add_page(bio, page, n, 0);
		done += n;
	}
	bio->bi_private = data;
	bio->bi_end_io = bio_copy_kern_endio;
	return bio;

free_pages:
	bio_for_each_bvec_all(bv, bio, i)
		__free_pages(bv->bv_page, 0);
	kfree(bio);
	return NULL;
}

int blk_rq_map_kern(struct request *rq, void *kbuf, unsigned int len,
		    gfp_t gfp_mask)
{
	const struct queue_limits *lim = &rq->q->limits;
	u64 max_bytes = lim->max_hw_sectors ?
			(u64)lim->max_hw_sectors << SECTOR_SHIFT : UINT_MAX;
	bool write = op_is_write(req_op(rq));
	struct bio *bio;
	int ret;

	if (!kbuf || !len || len > max_bytes)
		return -EINVAL;
	/*
	 * In place when the memory is in the linear map and aligned for the
	 * device; vmalloc memory (host memory here, no machine pages) and
	 * misaligned buffers go through bounce pages.
	 */
	if (!is_vmalloc_addr(kbuf) && virt_addr_valid(kbuf) &&
	    virt_addr_valid((char *)kbuf + len - 1) &&
	    !(((unsigned long)kbuf | len) & lim->dma_alignment))
		bio = bio_map_kern(kbuf, len, gfp_mask);
	else
		bio = bio_copy_kern(kbuf, len, write, gfp_mask);
	if (!bio)
		return -ENOMEM;
	bio->bi_opf = rq->cmd_flags;
	ret = blk_rq_append_bio(rq, bio);
	if (ret) {
		bio->bi_private = NULL;	/* nothing to copy back */
		bio_endio(bio);
	}
	return ret;
}
