// SPDX-License-Identifier: MIT
/*
 * Scatterlist-less DMA mapping of block requests (block/blk-mq-dma.c).
 *
 * The walk over a request's bvecs merges physically contiguous bvecs and
 * splits at the queue's segment size and boundary, exactly as the kernel's
 * blk_map_iter_next(); the result is mapped either into one IOVA range (the
 * two-step IOVA API: link every segment, sync once) or segment by segment
 * with dma_map_phys(), or translated to PCI bus addresses for P2PDMA below a
 * common switch. No scatterlist is ever built.
 */
#include <limits.h>
#include <string.h>
#include "internal.h"
#include "kernel/dma/dma.h"
#include "kernel/iommu/iommu-priv.h"
#include "blk.h"

/* A physically contiguous DMA segment, as blk_map_iter_next() yields it. */
struct blk_phys_seg {
	phys_addr_t paddr;
	size_t len;
	struct page *page;	/* first page, for its P2PDMA pgmap */
};

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

static const struct {
	int errno_val;
	blk_status_t status;
} blk_errors[] = {
	{ 0, BLK_STS_OK },
	{ -EOPNOTSUPP, BLK_STS_NOTSUPP },
	{ -ETIMEDOUT, BLK_STS_TIMEOUT },
	{ -ENOSPC, BLK_STS_NOSPC },
	{ -ENOLINK, BLK_STS_TRANSPORT },
	{ -EREMOTEIO, BLK_STS_TARGET },
	{ -EBADE, BLK_STS_RESV_CONFLICT },
	{ -ENODATA, BLK_STS_MEDIUM },
	{ -EILSEQ, BLK_STS_PROTECTION },
	{ -ENOMEM, BLK_STS_RESOURCE },
	{ -EREMCHG, BLK_STS_DM_REQUEUE },
	{ -EAGAIN, BLK_STS_AGAIN },
	{ -EBUSY, BLK_STS_DEV_RESOURCE },
	{ -ETOOMANYREFS, BLK_STS_ZONE_OPEN_RESOURCE },
	{ -EOVERFLOW, BLK_STS_ZONE_ACTIVE_RESOURCE },
	{ -ENODEV, BLK_STS_OFFLINE },
	{ -ETIME, BLK_STS_DURATION_LIMIT },
	{ -EINVAL, BLK_STS_INVAL },
	/* everything else */
	{ -EIO, BLK_STS_IOERR },
};

blk_status_t errno_to_blk_status(int errno_val)
{
	for (size_t i = 0; i < ARRAY_SIZE(blk_errors); i++)
		if (blk_errors[i].errno_val == errno_val)
			return blk_errors[i].status;
	return BLK_STS_IOERR;
}

int blk_status_to_errno(blk_status_t status)
{
	for (size_t i = 0; i < ARRAY_SIZE(blk_errors); i++)
		if (blk_errors[i].status == status)
			return blk_errors[i].errno_val;
	return -EIO;
}

/* ------------------------------------------------------------------------ */
/* Queue limits and building a request                                      */
/* ------------------------------------------------------------------------ */

void blk_set_default_limits(struct queue_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->seg_boundary_mask = BLK_SEG_BOUNDARY_MASK;
	lim->max_segment_size = BLK_MAX_SEGMENT_SIZE;
	lim->dma_alignment = 511;
	lim->max_segments = BLK_MAX_SEGMENTS;
	lim->logical_block_size = 512;
}

void (blk_rq_init)(struct request_queue *q, struct request *rq)
{
	/* everything before the builder's table (which is left as it is) */
	memset(rq, 0, offsetof(struct request, bvecs));
	rq->q = q;
	rq->tag = -1;
	rq->internal_tag = -1;
	rq->__sector = (sector_t)-1;
}

/*
 * The longest segment starting at @paddr: the segment boundary and the
 * maximum segment size (the kernel's get_max_segment_size()). Adding 1
 * after taking the minimum keeps a mask of ULONG_MAX from overflowing.
 */
size_t blk_max_segment_size(const struct queue_limits *lim, phys_addr_t paddr,
			    size_t len)
{
	u64 mask = lim->seg_boundary_mask;
	u64 max = min(mask - (mask & paddr),
		      (u64)lim->max_segment_size - 1) + 1;

	return (size_t)min((u64)len, max);
}

/*
 * Can @next (@next_len bytes at @next_phys) continue the segment that
 * starts at @phys and is @len long? The kernel's biovec_phys_mergeable():
 * same pgmap, physically contiguous, and the result within one segment
 * boundary window.
 */
static bool phys_mergeable(const struct queue_limits *lim, phys_addr_t phys,
			   size_t len, const struct page *page,
			   phys_addr_t next_phys, size_t next_len,
			   const struct page *next_page)
{
	u64 mask = lim->seg_boundary_mask;

	if (!blk_same_pgmap(page, next_page))
		return false;
	if (phys + len != next_phys)
		return false;
	return (phys | mask) == ((next_phys + next_len - 1) | mask);
}

/*
 * Physical segments @len bytes at @phys add when they open new segments:
 * one per piece blk_max_segment_size() allows. Each boundary with the
 * segment before goes into @gaps (both sides OR'ed, as the walk in
 * req_phys_gap_mask() sees them).
 */
static unsigned int segs_of(const struct queue_limits *lim, phys_addr_t phys,
			    size_t len, phys_addr_t *last_start,
			    size_t *last_len, u64 *gaps)
{
	unsigned int n = 0;

	while (len) {
		size_t piece = blk_max_segment_size(lim, phys, len);

		/* a boundary with the segment before, if there is one */
		if (*last_len)
			*gaps |= (*last_start + *last_len) | phys;
		*last_start = phys;
		*last_len = piece;
		phys += piece;
		len -= piece;
		n++;
	}
	return n;
}

/*
 * The builder's table as the request's one bio: a request built with
 * blk_rq_add_page(), or whose table was filled by hand, has rq->bio on
 * rq->__bio over rq->bvecs. A request with bios of its own is left alone.
 */
static bool blk_rq_uses_table(const struct request *rq)
{
	return !rq->bio || rq->bio == &rq->__bio;
}

/* @bio over @rq's table (@rq->nr_bvecs > 0). */
static void blk_rq_table_bio(const struct request *rq, struct bio *bio)
{
	bio->bi_next = NULL;
	bio->bi_opf = rq->cmd_flags;
	bio->bi_io_vec = (struct bio_vec *)rq->bvecs;
	bio->bi_vcnt = (unsigned short)min(rq->nr_bvecs, (unsigned int)USHRT_MAX);
	bio->bi_max_vecs = __BLK_RQ_INLINE_BVECS;
	bio->bi_iter = (struct bvec_iter) { .bi_size = rq->__data_len };
}

static void blk_rq_sync_table_bio(struct request *rq)
{
	if (!blk_rq_uses_table(rq))
		return;
	if (!rq->nr_bvecs) {
		rq->bio = rq->biotail = NULL;
		return;
	}
	blk_rq_table_bio(rq, &rq->__bio);
	rq->bio = rq->biotail = &rq->__bio;
}

int blk_rq_add_page(struct request *rq, struct page *page, unsigned int len,
		    unsigned int offset)
{
	const struct queue_limits *lim = &rq->q->limits;
	phys_addr_t phys, seg_start = rq->__seg_start;
	size_t seg_len = rq->__seg_len;
	unsigned int nsegs = rq->nr_phys_segments;
	struct bio_vec *prev = NULL;
	u64 gaps = rq->__phys_gaps;
	bool gaps_valid = rq->__gaps_nr_bvecs == rq->nr_bvecs;

	if (!page || !len)
		return -EINVAL;
	/* the request's data is its own bios (blk_rq_append_bio()) */
	if (rq->bio && rq->bio != &rq->__bio)
		return -EINVAL;
	if ((u64)rq->__data_len + len > UINT_MAX)
		return -EINVAL;
	phys = page_to_phys(page) + offset;
	/* blk_rq_aligned(): the kernel would bounce; there is no bouncing. */
	if ((phys | len) & lim->dma_alignment)
		return -EINVAL;
	if (rq->nr_bvecs) {
		prev = &rq->bvecs[rq->nr_bvecs - 1];
		/* zone_device_pages_have_same_pgmap(): never mix providers */
		if (!blk_same_pgmap(prev->bv_page, page))
			return -EINVAL;
	}

	if (prev && bvec_phys(prev) + prev->bv_len == phys &&
	    (u64)prev->bv_len + len <= UINT_MAX) {
		/*
		 * bvec_try_merge_hw_page(): extend the previous bvec. Its
		 * open segment grows as far as the limits allow and the rest
		 * opens new ones, splitting where the DMA walk
		 * (blk_map_iter_next()) will split the grown bvec.
		 */
		size_t room = blk_max_segment_size(lim, seg_start, SIZE_MAX) -
			      seg_len;
		size_t take = min(room, (size_t)len);

		seg_len += take;
		if (take < len)
			nsegs += segs_of(lim, phys + take, len - take,
					 &seg_start, &seg_len, &gaps);
		if (lim->max_segments && nsegs > lim->max_segments)
			return -ENOMEM;
		prev->bv_len += len;
	} else {
		/* bvec_gap_to_prev(): no gap inside a virt boundary window */
		if (prev && lim->virt_boundary_mask &&
		    ((bvec_phys(prev) + prev->bv_len) | phys) &
		    lim->virt_boundary_mask)
			return -EINVAL;
		if (rq->nr_bvecs >= __BLK_RQ_INLINE_BVECS)
			return -ENOMEM;
		nsegs += segs_of(lim, phys, len, &seg_start, &seg_len, &gaps);
		if (nsegs > USHRT_MAX ||
		    (lim->max_segments && nsegs > lim->max_segments))
			return -ENOMEM;
		rq->bvecs[rq->nr_bvecs++] = (struct bio_vec) {
			.bv_page = page,
			.bv_len = len,
			.bv_offset = offset,
		};
	}
	rq->nr_phys_segments = (unsigned short)nsegs;
	rq->__seg_start = seg_start;
	rq->__seg_len = (unsigned int)seg_len;
	rq->__data_len += len;
	/* once the table was filled by hand, only the walk knows the gaps */
	rq->__phys_gaps = gaps;
	rq->__gaps_nr_bvecs = gaps_valid ? rq->nr_bvecs : UINT_MAX;
	blk_rq_sync_table_bio(rq);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The walk over the bvecs                                                  */
/* ------------------------------------------------------------------------ */

/* Start a walk at @first, the request's first bio (NULL: nothing). */
static void blk_map_iter_init(struct bio *first, struct blk_map_iter *iter)
{
	*iter = (struct blk_map_iter) { .bio = first };
	if (first) {
		iter->iter = first->bi_iter;
		iter->bvecs = first->bi_io_vec;
	}
}

static void blk_rq_map_iter_init(struct request *rq,
				 struct blk_map_iter *iter)
{
	blk_rq_sync_table_bio(rq);
	blk_map_iter_init(rq->bio, iter);
}

/* At the end of a bio, step into the next one; false at the request's end. */
static bool blk_map_iter_next_bio(struct blk_map_iter *iter)
{
	while (!iter->iter.bi_size) {
		if (!iter->bio || !iter->bio->bi_next)
			return false;
		iter->bio = iter->bio->bi_next;
		iter->iter = iter->bio->bi_iter;
		iter->bvecs = iter->bio->bi_io_vec;
	}
	return true;
}

/*
 * The next DMA segment of @req: the rest of the current bvec up to the
 * maximum segment size, then, when a bvec was finished, as many following
 * bvecs (of this bio or the next ones) as are physically contiguous and fit
 * (blk_map_iter_next()).
 */
static bool blk_map_iter_next(const struct request *req,
			      struct blk_map_iter *iter, struct blk_phys_seg *vec)
{
	const struct queue_limits *lim = &req->q->limits;
	struct bio_vec bv;
	size_t max_size;

	if (!blk_map_iter_next_bio(iter))
		return false;

	bv = mp_bvec_iter_bvec(iter->bvecs, iter->iter);
	vec->paddr = bvec_phys(&bv);
	vec->page = bv.bv_page;
	max_size = blk_max_segment_size(lim, vec->paddr, UINT_MAX);
	bv.bv_len = (unsigned int)min((size_t)bv.bv_len, max_size);
	bvec_iter_advance_single(iter->bvecs, &iter->iter, bv.bv_len);

	/*
	 * Done with this bvec: check whether the next one can be merged into
	 * it. Callers do not always pack bvecs tight.
	 */
	while (!iter->iter.bi_bvec_done && blk_map_iter_next_bio(iter)) {
		struct bio_vec next = mp_bvec_iter_bvec(iter->bvecs, iter->iter);

		if (bv.bv_len + next.bv_len > max_size ||
		    !phys_mergeable(lim, vec->paddr, bv.bv_len, vec->page,
				    bvec_phys(&next), next.bv_len,
				    next.bv_page))
			break;
		bv.bv_len += next.bv_len;
		bvec_iter_advance_single(iter->bvecs, &iter->iter, next.bv_len);
	}

	vec->len = bv.bv_len;
	return true;
}

/* The OR of both sides of every boundary between the DMA segments. */
static u64 req_phys_gaps_walk(const struct request *req)
{
	struct blk_map_iter iter;
	struct blk_phys_seg vec;
	struct bio table;
	u64 gaps = 0, end = 0;
	bool first = true;

	/* a table filled by hand is walked through a bio of its own */
	if (blk_rq_uses_table(req)) {
		if (!req->nr_bvecs)
			return 0;
		blk_rq_table_bio(req, &table);
		blk_map_iter_init(&table, &iter);
	} else {
		blk_map_iter_init(req->bio, &iter);
	}
	while (blk_map_iter_next(req, &iter, &vec)) {
		if (!first)
			gaps |= end | vec.paddr;
		first = false;
		end = vec.paddr + vec.len;
	}
	return gaps;
}

/*
 * req_phys_gap_mask - the address bits a boundary between @req's DMA
 * segments can differ in: all bits from the lowest set one. Kept up to date
 * by blk_rq_add_page() (O(1) here); a request whose bvec table was filled by
 * hand is walked.
 */
unsigned long req_phys_gap_mask(const struct request *req)
{
	bool built = blk_rq_uses_table(req) &&
		     req->__gaps_nr_bvecs == req->nr_bvecs;
	u64 gaps = built ? req->__phys_gaps : req_phys_gaps_walk(req);

	if (!gaps)
		return 0;
	/* All bits from the lowest set one: ~((1 << ffs - 1) - 1). */
	return (unsigned long)~((gaps & -gaps) - 1);
}

/* ------------------------------------------------------------------------ */
/* Mapping                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * dma_get_merge_boundary(): the IOVA granule - 1 behind iommu-dma, 0 (no
 * merging) for dma-direct and for legacy ops, which have no
 * get_merge_boundary here.
 */
static unsigned long blk_dma_merge_boundary(struct device *dev)
{
	struct iommu_domain *domain;

	if (!use_dma_iommu(dev))
		return 0;
	domain = iommu_get_dma_domain(dev);
	if (!domain || !domain->pgsize_bitmap)
		return 0;
	return (domain->pgsize_bitmap & -domain->pgsize_bitmap) - 1;
}

/*
 * The IOVA API coalesces at the IOMMU granule, so every interior segment
 * boundary must be granule aligned: only the first segment may start and
 * only the last may end inside a granule.
 */
static bool blk_can_dma_map_iova(struct request *req, struct device *dma_dev)
{
	return !(req_phys_gap_mask(req) & blk_dma_merge_boundary(dma_dev));
}

static unsigned long blk_dma_attrs(const struct blk_dma_iter *iter)
{
	return iter->p2pdma.map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ?
	       DMA_ATTR_MMIO : 0;
}

static bool blk_dma_map_bus(struct blk_dma_iter *iter, struct blk_phys_seg *vec)
{
	iter->addr = pci_p2pdma_bus_addr_map(iter->p2pdma.mem, vec->paddr);
	iter->len = vec->len;
	return true;
}

static bool blk_dma_map_direct(struct request *req, struct device *dma_dev,
			       struct blk_dma_iter *iter, struct blk_phys_seg *vec)
{
	iter->addr = dma_map_phys(dma_dev, vec->paddr, vec->len,
				  rq_dma_dir(req), blk_dma_attrs(iter));
	if (dma_mapping_error(dma_dev, iter->addr)) {
		iter->status = BLK_STS_RESOURCE;
		return false;
	}
	iter->len = vec->len;
	return true;
}

/*
 * Link every segment into the IOVA range @state holds and sync it once. A
 * link or the sync failing undoes exactly what was linked (dma_iova_destroy()
 * with the bytes linked so far, which only frees the IOVA when that is 0)
 * and leaves @state unused, so a later blk_rq_dma_unmap() finds nothing.
 */
static bool blk_rq_dma_map_iova(struct request *req, struct device *dma_dev,
				struct dma_iova_state *state,
				struct blk_dma_iter *iter, struct blk_phys_seg *vec)
{
	enum dma_data_direction dir = rq_dma_dir(req);
	unsigned long attrs = blk_dma_attrs(iter);
	size_t mapped = 0;
	int error;

	iter->addr = state->addr;
	iter->len = dma_iova_size(state);

	do {
		error = dma_iova_link(dma_dev, state, vec->paddr, mapped,
				      vec->len, dir, attrs);
		if (error)
			goto out_destroy;
		mapped += vec->len;
	} while (blk_map_iter_next(req, &iter->iter, vec));

	error = dma_iova_sync(dma_dev, state, 0, mapped);
	if (error)
		goto out_destroy;
	return true;

out_destroy:
	dma_iova_destroy(dma_dev, state, mapped, dir, attrs);
	memset(state, 0, sizeof(*state));
	iter->addr = 0;
	iter->len = 0;
	iter->status = errno_to_blk_status(error);
	return false;
}

/*
 * Every segment must come from the first one's pgmap: the kernel never
 * builds such a request (bio_add_page() refuses), so a hand-made one is
 * refused before anything is mapped.
 */
static bool blk_rq_one_pgmap(const struct request *req)
{
	const struct page *first = NULL;
	const struct bio *bio;

	for (bio = req->bio; bio; bio = bio->bi_next)
		for (unsigned int i = 0; i < bio->bi_vcnt; i++) {
			if (!first)
				first = bio->bi_io_vec[i].bv_page;
			else if (!blk_same_pgmap(first, bio->bi_io_vec[i].bv_page))
				return false;
		}
	return true;
}

bool blk_rq_dma_map_iter_start(struct request *req, struct device *dma_dev,
			       struct dma_iova_state *state,
			       struct blk_dma_iter *iter)
{
	size_t total_len = blk_rq_payload_bytes(req);
	struct blk_phys_seg vec;

	blk_rq_map_iter_init(req, &iter->iter);
	memset(&iter->p2pdma, 0, sizeof(iter->p2pdma));
	iter->p2pdma.map = PCI_P2PDMA_MAP_NONE;
	iter->status = BLK_STS_OK;
	iter->addr = 0;
	iter->len = 0;
	/* Nothing is linked until an IOVA is allocated below. */
	memset(state, 0, sizeof(*state));
	req->cmd_flags &= ~REQ_P2PDMA;

	if (!blk_rq_one_pgmap(req)) {
		iter->status = BLK_STS_INVAL;
		return false;
	}

	/* The first segment decides how the request is reached. */
	if (!blk_map_iter_next(req, &iter->iter, &vec))
		return false;

	switch (pci_p2pdma_state(&iter->p2pdma, dma_dev, vec.page)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		req->cmd_flags |= REQ_P2PDMA;
		return blk_dma_map_bus(iter, &vec);
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		/*
		 * P2P transfers through the host bridge are treated the same
		 * as non-P2P transfers below and during unmap, but mapped as
		 * MMIO (DMA_ATTR_MMIO: no cache maintenance, no bouncing).
		 */
	case PCI_P2PDMA_MAP_NONE:
		break;
	default:
		iter->status = BLK_STS_INVAL;
		return false;
	}

	if (blk_can_dma_map_iova(req, dma_dev) &&
	    dma_iova_try_alloc(dma_dev, state, vec.paddr, total_len))
		return blk_rq_dma_map_iova(req, dma_dev, state, iter, &vec);
	memset(state, 0, sizeof(*state));
	return blk_dma_map_direct(req, dma_dev, iter, &vec);
}

bool blk_rq_dma_map_iter_next(struct request *req, struct device *dma_dev,
			      struct dma_iova_state *state,
			      struct blk_dma_iter *iter)
{
	struct blk_phys_seg vec;

	(void)state;
	if (!blk_map_iter_next(req, &iter->iter, &vec))
		return false;

	if (iter->p2pdma.map == PCI_P2PDMA_MAP_BUS_ADDR)
		return blk_dma_map_bus(iter, &vec);
	return blk_dma_map_direct(req, dma_dev, iter, &vec);
}

bool blk_rq_dma_unmap(struct request *req, struct device *dma_dev,
		      struct dma_iova_state *state, size_t mapped_len,
		      enum pci_p2pdma_map_type map)
{
	if (map == PCI_P2PDMA_MAP_BUS_ADDR || (req->cmd_flags & REQ_P2PDMA))
		return true;

	if (dma_use_iova(state)) {
		unsigned long attrs = 0;

		if (map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
			attrs |= DMA_ATTR_MMIO;
		dma_iova_destroy(dma_dev, state, mapped_len, rq_dma_dir(req),
				 attrs);
		/* Destroyed: a second unmap must not find it again. */
		memset(state, 0, sizeof(*state));
		return true;
	}

	return !dma_need_unmap(dma_dev);
}
