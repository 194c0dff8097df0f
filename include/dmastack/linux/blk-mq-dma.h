/* SPDX-License-Identifier: MIT */
/*
 * Scatterlist-less DMA mapping of block requests (include/linux/blk-mq-dma.h
 * and block/blk-mq-dma.c, as the 2025 series "Provide a new two step DMA
 * mapping API" introduced them, with the later fixes: DMA_ATTR_MMIO for P2P
 * through the host bridge, size_t lengths, the gap mask deciding the IOVA
 * path, and the unwind of a dma_iova_link() failing in the middle).
 *
 * A driver maps a request segment by segment with
 * blk_rq_dma_map_iter_start()/blk_rq_dma_map_iter_next(), without building
 * a scatterlist: behind an IOMMU DMA domain all segments are linked into one
 * IOVA range (one dma_iova_sync() for the request) and the iterator returns
 * a single (addr, len); otherwise every merged physical segment is mapped
 * with dma_map_phys(), and P2PDMA pages below a common switch get their PCI
 * bus addresses.
 *
 * The dmastack struct request is what DMA mapping needs of the kernel's: a
 * table of bio_vecs (one bio), the operation and flags, and the queue
 * limits that shape segments.
 */
#ifndef _DMASTACK_LINUX_BLK_MQ_DMA_H
#define _DMASTACK_LINUX_BLK_MQ_DMA_H

#include "types.h"
#include "mm.h"
#include "device.h"
#include "dma-mapping.h"
#include "pci-p2pdma.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- block status (include/linux/blk_types.h, the kernel's values) ----- */

typedef u8 blk_status_t;

#define BLK_STS_OK			((blk_status_t)0)
#define BLK_STS_NOTSUPP			((blk_status_t)1)
#define BLK_STS_TIMEOUT			((blk_status_t)2)
#define BLK_STS_NOSPC			((blk_status_t)3)
#define BLK_STS_TRANSPORT		((blk_status_t)4)
#define BLK_STS_TARGET			((blk_status_t)5)
#define BLK_STS_RESV_CONFLICT		((blk_status_t)6)
#define BLK_STS_MEDIUM			((blk_status_t)7)
#define BLK_STS_PROTECTION		((blk_status_t)8)
#define BLK_STS_RESOURCE		((blk_status_t)9)
#define BLK_STS_IOERR			((blk_status_t)10)
#define BLK_STS_DM_REQUEUE		((blk_status_t)11)
#define BLK_STS_AGAIN			((blk_status_t)12)
#define BLK_STS_DEV_RESOURCE		((blk_status_t)13)
#define BLK_STS_ZONE_OPEN_RESOURCE	((blk_status_t)14)
#define BLK_STS_ZONE_ACTIVE_RESOURCE	((blk_status_t)15)
#define BLK_STS_OFFLINE			((blk_status_t)16)
#define BLK_STS_DURATION_LIMIT		((blk_status_t)17)
#define BLK_STS_INVAL			((blk_status_t)19)

/* -ENOMEM -> BLK_STS_RESOURCE, -EINVAL -> BLK_STS_INVAL, unknown -> IOERR. */
blk_status_t errno_to_blk_status(int errno_val);
/* The inverse (BLK_STS_RESOURCE -> -ENOMEM, ...); unknown -> -EIO. */
int blk_status_to_errno(blk_status_t status);

/* ---- operations and flags ---------------------------------------------- */

typedef u32 blk_opf_t;

enum req_op {
	REQ_OP_READ = 0,
	REQ_OP_WRITE = 1,
};

#define REQ_OP_BITS	8
#define REQ_OP_MASK	((blk_opf_t)((1U << REQ_OP_BITS) - 1))

/* Flag bits above the operation (dmastack's bit numbers). */
#define REQ_FUA		((blk_opf_t)1 << 17)
/*
 * Set by blk_rq_dma_map_iter_start() when the request was mapped as PCI bus
 * addresses (PCI_P2PDMA_MAP_BUS_ADDR): nothing to unmap. Cleared at the next
 * start.
 */
#define REQ_P2PDMA	((blk_opf_t)1 << 29)

/* ---- segments ----------------------------------------------------------- */

/*
 * struct bio_vec - a physically contiguous range of a request's data
 * @bv_page: first page (RAM, or a P2PDMA page from pci_alloc_p2pmem());
 *	a multi-page bvec covers the following page frames too
 * @bv_len: bytes
 * @bv_offset: start inside @bv_page
 */
struct bio_vec {
	struct page *bv_page;
	unsigned int bv_len;
	unsigned int bv_offset;
};

static inline phys_addr_t bvec_phys(const struct bio_vec *bvec)
{
	return page_to_phys(bvec->bv_page) + bvec->bv_offset;
}

/*
 * dma_map_bvec - map one bio_vec for streaming DMA (the kernel's macro of
 * <linux/blkdev.h>): dma_map_page_attrs() of its page, offset and length.
 * The kernel has no dma_unmap_bvec(): unmap with dma_unmap_page_attrs()
 * (or dma_unmap_page()) of the address returned and @bv->bv_len.
 */
#define dma_map_bvec(dev, bv, dir, attrs)				\
	dma_map_page_attrs((dev), (bv)->bv_page, (bv)->bv_offset,	\
			   (bv)->bv_len, (dir), (attrs))

/* ---- queue limits (the ones DMA mapping looks at) ---------------------- */

/*
 * struct queue_limits - what shapes a request's DMA segments
 * @seg_boundary_mask: a segment may not cross a (mask + 1) boundary
 * @virt_boundary_mask: every segment but the first starts, and every one
 *	but the last ends, on a (mask + 1) boundary (NVMe PRPs: 4K - 1);
 *	0 for none. blk_rq_add_page() refuses a bvec that would break it.
 * @max_segment_size: longest DMA segment (UINT_MAX with a virt boundary)
 * @dma_alignment: mask the start and length of every bvec must respect
 * @max_segments: most physical segments in a request (0: no limit but the
 *	bvec table)
 */
struct queue_limits {
	unsigned long seg_boundary_mask;
	unsigned long virt_boundary_mask;
	unsigned int max_segment_size;
	unsigned int dma_alignment;
	unsigned short max_segments;
};

#define BLK_SEG_BOUNDARY_MASK	0xFFFFFFFFUL
#define BLK_MAX_SEGMENT_SIZE	65536U
#define BLK_MAX_SEGMENTS	128U

struct request_queue {
	struct queue_limits limits;
};

/*
 * The kernel's defaults: 64K segments not crossing 4G, 512-byte DMA
 * alignment, 128 segments, no virt boundary.
 */
void blk_set_default_limits(struct queue_limits *lim);

static inline unsigned long queue_virt_boundary(struct request_queue *q)
{
	return q->limits.virt_boundary_mask;
}

static inline unsigned long queue_segment_boundary(struct request_queue *q)
{
	return q->limits.seg_boundary_mask;
}

static inline unsigned int queue_max_segment_size(struct request_queue *q)
{
	return q->limits.max_segment_size;
}

static inline unsigned int queue_dma_alignment(struct request_queue *q)
{
	return q->limits.dma_alignment;
}

/* ---- the request -------------------------------------------------------- */

/* The bvec table of a dmastack request (one bio's worth). */
#define BLK_RQ_MAX_BVECS	512U

/*
 * struct request - a block request as DMA mapping sees it
 * @q: the queue whose limits apply
 * @cmd_flags: operation (REQ_OP_*) and flags (REQ_P2PDMA, ...)
 * @nr_phys_segments: physical segments after merging contiguous bvecs and
 *	splitting at the segment size/boundary limits (what
 *	blk_rq_dma_map_iter_next() returns one by one without an IOVA)
 * @nr_bvecs: bvecs in @bvecs
 * @__data_len: total bytes
 * @bvecs: the data
 *
 * Build with blk_rq_init() and blk_rq_add_page(); the caller owns the
 * request and the pages. Nothing in it is allocated.
 */
struct request {
	struct request_queue *q;
	blk_opf_t cmd_flags;
	unsigned short nr_phys_segments;
	unsigned int nr_bvecs;
	unsigned int __data_len;
	/* private to blk_rq_add_page(): the open physical segment */
	phys_addr_t __seg_start;
	unsigned int __seg_len;
	/*
	 * private: the OR of both sides of every segment boundary so far (the
	 * kernel keeps the same in the request's phys_gap_bit), valid while
	 * nr_bvecs == __gaps_nr_bvecs, i.e. built only by blk_rq_add_page()
	 */
	u64 __phys_gaps;
	unsigned int __gaps_nr_bvecs;
	struct bio_vec bvecs[BLK_RQ_MAX_BVECS];
};

/*
 * blk_rq_init - an empty request of @q doing @opf (REQ_OP_READ/WRITE and
 * flags). The kernel's blk_rq_init(q, rq) plus the operation.
 */
void blk_rq_init(struct request_queue *q, struct request *rq, blk_opf_t opf);

/*
 * blk_rq_add_page - append @len bytes at @offset of @page to @rq
 *
 * As bio_add_page() on a passthrough request (bio_add_hw_page()): a bvec
 * physically contiguous with the previous one is merged into it; otherwise
 * it must respect the virt boundary, and pages of different P2PDMA pgmaps
 * (P2P memory of another provider, or P2P and RAM) never share a request.
 * Returns 0; -EINVAL for a NULL page, a zero length, a start or length
 * violating dma_alignment or the virt boundary, a pgmap mix, or a total
 * above UINT_MAX; -ENOMEM when the bvec table or max_segments is full.
 * On error @rq is unchanged.
 */
int blk_rq_add_page(struct request *rq, struct page *page, unsigned int len,
		    unsigned int offset);

static inline enum req_op req_op(const struct request *req)
{
	return (enum req_op)(req->cmd_flags & REQ_OP_MASK);
}

static inline bool op_is_write(blk_opf_t op)
{
	return op & 1;
}

static inline enum dma_data_direction rq_dma_dir(const struct request *rq)
{
	return op_is_write(req_op(rq)) ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
}

static inline unsigned int blk_rq_bytes(const struct request *rq)
{
	return rq->__data_len;
}

static inline unsigned int blk_rq_payload_bytes(const struct request *rq)
{
	return rq->__data_len;
}

static inline unsigned short blk_rq_nr_phys_segments(const struct request *rq)
{
	return rq->nr_phys_segments;
}

/*
 * req_phys_gap_mask - the alignment the request's interior segment
 * boundaries share: all bits from the lowest bit set in any (end of a
 * segment | start of the next) are set, 0 when there is no boundary. A
 * request can be coalesced into one IOVA range iff this mask and the DMA
 * device's merge boundary (IOVA granule - 1) do not intersect; NVMe forces
 * SGLs when it intersects NVME_CTRL_PAGE_SIZE - 1.
 */
unsigned long req_phys_gap_mask(const struct request *req);

/* ---- the DMA iterator --------------------------------------------------- */

/* Internal to blk_rq_dma_map_iter_*: where the walk over the bvecs is. */
struct blk_map_iter {
	const struct bio_vec *bvecs;
	unsigned int nr_bvecs;
	unsigned int idx;		/* current bvec */
	unsigned int bvec_done;		/* bytes of it already returned */
	u64 size;			/* bytes left */
};

struct blk_dma_iter {
	/* Output address range for this iteration */
	dma_addr_t addr;
	size_t len;
	struct pci_p2pdma_map_state p2pdma;

	/* Status code. Only valid when blk_rq_dma_map_iter_* returned false */
	blk_status_t status;

	/* Internal to blk_rq_dma_map_iter_* */
	struct blk_map_iter iter;
};

/**
 * blk_rq_dma_map_iter_start - map the first DMA segment for a request
 * @req: request to map
 * @dma_dev: device to map to
 * @state: DMA IOVA state (caller's, need not be initialized; keep it for
 *	blk_rq_dma_unmap())
 * @iter: block layer DMA iterator (caller's, need not be initialized; only
 *	needed while mapping)
 *
 * Returns %false if there is no segment to map, including due to an error,
 * or %true if it did map one: its DMA address is in @iter->addr and its
 * length in @iter->len. If no segment was mapped the status is in
 * @iter->status (BLK_STS_OK for an empty request), and nothing is left
 * mapped: a failed IOVA link or sync has been unlinked, the IOVA freed and
 * @state zeroed.
 *
 * When blk_rq_dma_map_coalesce(@state) is true after a successful start,
 * the whole request is one IOVA range and blk_rq_dma_map_iter_next()
 * returns %false with BLK_STS_OK. @iter->p2pdma.map tells how the data is
 * reached (pass it to blk_rq_dma_unmap()); REQ_P2PDMA is set in
 * @req->cmd_flags for bus addresses.
 */
bool blk_rq_dma_map_iter_start(struct request *req, struct device *dma_dev,
			       struct dma_iova_state *state,
			       struct blk_dma_iter *iter);

/**
 * blk_rq_dma_map_iter_next - map the next DMA segment for a request
 * @req: request to map
 * @dma_dev: device to map to
 * @state: DMA IOVA state
 * @iter: block layer DMA iterator
 *
 * Iterate to the next mapping after blk_rq_dma_map_iter_start(). Returns as
 * blk_rq_dma_map_iter_start(). At the end of the request the status is
 * BLK_STS_OK; otherwise (BLK_STS_RESOURCE: dma_map_phys() failed) this call
 * mapped nothing, and the segments returned before stay mapped: the caller
 * owns them and unmaps them (blk_rq_dma_unmap(), then dma_unmap_phys() of
 * each when it returns %false).
 */
bool blk_rq_dma_map_iter_next(struct request *req, struct device *dma_dev,
			      struct dma_iova_state *state,
			      struct blk_dma_iter *iter);

/**
 * blk_rq_dma_map_coalesce - were all segments coalesced?
 * @state: DMA state to check
 *
 * Returns true if blk_rq_dma_map_iter_start coalesced all segments into a
 * single DMA range.
 */
static inline bool blk_rq_dma_map_coalesce(struct dma_iova_state *state)
{
	return dma_use_iova(state);
}

/**
 * blk_rq_dma_unmap - try to DMA unmap a request
 * @req: request to unmap
 * @dma_dev: device to unmap from
 * @state: DMA IOVA state
 * @mapped_len: number of bytes to unmap
 * @map: peer-to-peer mapping type (@iter->p2pdma.map of the mapping)
 *
 * Returns %false if the caller needs to manually unmap every DMA segment
 * mapped using @iter (dma_unmap_phys() with the length returned for it, the
 * request's direction and DMA_ATTR_MMIO when @map is
 * PCI_P2PDMA_MAP_THRU_HOST_BRIDGE), or %true if no work is left to be done:
 * bus addresses need no unmap, an IOVA range is destroyed here (unlinked,
 * one IOTLB invalidation, IOVA freed), and a device that does not need
 * unmapping (dma_need_unmap() false) has nothing to undo.
 */
bool blk_rq_dma_unmap(struct request *req, struct device *dma_dev,
		      struct dma_iova_state *state, size_t mapped_len,
		      enum pci_p2pdma_map_type map);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_BLK_MQ_DMA_H */
