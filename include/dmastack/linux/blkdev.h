/* SPDX-License-Identifier: MIT */
/*
 * Block devices as DMA mapping sees them (include/linux/blkdev.h): the
 * queue limits that shape a request's segments, the request queue, the
 * status <-> errno conversions and dma_map_bvec().
 */
#ifndef _DMASTACK_LINUX_BLKDEV_H
#define _DMASTACK_LINUX_BLKDEV_H

#include "types.h"
#include "blk_types.h"
#include "bio.h"
#include "dma-mapping.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int blk_features_t;

/* queue_limits::features (the kernel's bits) */
#define BLK_FEAT_WRITE_CACHE	((blk_features_t)(1u << 0))
#define BLK_FEAT_FUA		((blk_features_t)(1u << 1))
#define BLK_FEAT_ROTATIONAL	((blk_features_t)(1u << 2))
#define BLK_FEAT_ADD_RANDOM	((blk_features_t)(1u << 3))
#define BLK_FEAT_IO_STAT	((blk_features_t)(1u << 4))
#define BLK_FEAT_STABLE_WRITES	((blk_features_t)(1u << 5))
#define BLK_FEAT_SYNCHRONOUS	((blk_features_t)(1u << 6))
#define BLK_FEAT_NOWAIT		((blk_features_t)(1u << 7))
#define BLK_FEAT_DAX		((blk_features_t)(1u << 8))
#define BLK_FEAT_POLL		((blk_features_t)(1u << 9))
#define BLK_FEAT_ZONED		((blk_features_t)(1u << 10))
#define BLK_FEAT_PCI_P2PDMA	((blk_features_t)(1u << 12))

/*
 * struct queue_limits - what shapes a request's DMA segments
 * @features: BLK_FEAT_* (BLK_FEAT_PCI_P2PDMA: the driver takes P2PDMA
 *	pages)
 * @seg_boundary_mask: a segment may not cross a (mask + 1) boundary
 * @virt_boundary_mask: every segment but the first starts, and every one
 *	but the last ends, on a (mask + 1) boundary (NVMe PRPs: 4K - 1);
 *	0 for none
 * @max_segment_size: longest DMA segment (UINT_MAX with a virt boundary)
 * @dma_alignment: mask the start and length of every bvec must respect
 * @max_segments: most physical segments in a request (0: no limit but the
 *	bvec table)
 * @max_hw_sectors: largest passthrough request, in 512-byte sectors (0:
 *	no limit but UINT_MAX bytes)
 * @logical_block_size: the device's block size
 */
struct queue_limits {
	blk_features_t features;
	unsigned long seg_boundary_mask;
	unsigned long virt_boundary_mask;
	unsigned int max_segment_size;
	unsigned int dma_alignment;
	unsigned short max_segments;
	unsigned int max_hw_sectors;
	unsigned int logical_block_size;
};

#define BLK_SEG_BOUNDARY_MASK	0xFFFFFFFFUL
#define BLK_MAX_SEGMENT_SIZE	65536U
#define BLK_MAX_SEGMENTS	128U
#define BLK_SAFE_MAX_SECTORS	255U

struct blk_mq_tag_set;

/*
 * struct request_queue - a queue: its limits, the driver's data and, for a
 * blk-mq queue, its tag set
 */
struct request_queue {
	struct queue_limits limits;
	void *queuedata;
	struct blk_mq_tag_set *tag_set;
};

/*
 * The defaults (no longer exported by Linux; the values its limit
 * validation fills in): 64K segments not crossing 4G, 512-byte DMA
 * alignment and blocks, 128 segments, no virt boundary.
 */
void blk_set_default_limits(struct queue_limits *lim);

#define blk_queue_pci_p2pdma(q)	((q)->limits.features & BLK_FEAT_PCI_P2PDMA)

static inline unsigned long queue_virt_boundary(const struct request_queue *q)
{
	return q->limits.virt_boundary_mask;
}

static inline unsigned long queue_segment_boundary(const struct request_queue *q)
{
	return q->limits.seg_boundary_mask;
}

static inline unsigned int queue_max_segment_size(const struct request_queue *q)
{
	return q->limits.max_segment_size;
}

static inline unsigned short queue_max_segments(const struct request_queue *q)
{
	return q->limits.max_segments;
}

static inline unsigned int queue_max_hw_sectors(const struct request_queue *q)
{
	return q->limits.max_hw_sectors;
}

static inline unsigned int queue_dma_alignment(const struct request_queue *q)
{
	return q->limits.dma_alignment;
}

static inline unsigned int queue_logical_block_size(const struct request_queue *q)
{
	return q->limits.logical_block_size ? q->limits.logical_block_size : 512;
}

/* -ENOMEM -> BLK_STS_RESOURCE, -EINVAL -> BLK_STS_INVAL, unknown -> IOERR. */
blk_status_t errno_to_blk_status(int errno_val);
/* The inverse (BLK_STS_RESOURCE -> -ENOMEM, ...); unknown -> -EIO. */
int blk_status_to_errno(blk_status_t status);

/*
 * dma_map_bvec - map one bio_vec for streaming DMA: dma_map_page_attrs() of
 * its page, offset and length. The kernel has no dma_unmap_bvec(): unmap
 * with dma_unmap_page_attrs() (or dma_unmap_page()) of the address
 * returned and @bv->bv_len.
 */
#define dma_map_bvec(dev, bv, dir, attrs)				\
	dma_map_page_attrs((dev), (bv)->bv_page, (bv)->bv_offset,	\
			   (bv)->bv_len, (dir), (attrs))

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_BLKDEV_H */
