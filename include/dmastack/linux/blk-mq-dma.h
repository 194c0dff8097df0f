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
 * The request, its bios and the queue limits are <linux/blk-mq.h>'s,
 * <linux/bio.h>'s and <linux/blkdev.h>'s.
 */
#ifndef _DMASTACK_LINUX_BLK_MQ_DMA_H
#define _DMASTACK_LINUX_BLK_MQ_DMA_H

#include "types.h"
#include "mm.h"
#include "device.h"
#include "dma-mapping.h"
#include "pci-p2pdma.h"
#include "blk-mq.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* Internal to blk_rq_dma_map_iter_*: where the walk over the bios is. */
struct blk_map_iter {
	struct bvec_iter iter;
	struct bio *bio;
	struct bio_vec *bvecs;
	bool is_integrity;		/* always false: no integrity data */
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
