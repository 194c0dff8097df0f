/* SPDX-License-Identifier: MIT */
/*
 * Block-layer types (include/linux/blk_types.h): status codes, operations
 * and their flags, and struct bio with the kernel's field names.
 */
#ifndef _DMASTACK_LINUX_BLK_TYPES_H
#define _DMASTACK_LINUX_BLK_TYPES_H

#include "types.h"
#include "bvec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct block_device;
struct bio;

typedef u8 blk_status_t;

/* the kernel's values */
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

#define SECTOR_SHIFT	9
#define SECTOR_SIZE	(1 << SECTOR_SHIFT)

typedef u32 blk_opf_t;

#define REQ_OP_BITS	8
#define REQ_OP_MASK	((blk_opf_t)((1U << REQ_OP_BITS) - 1))

enum req_op {
	REQ_OP_READ		= 0,
	REQ_OP_WRITE		= 1,
	REQ_OP_FLUSH		= 2,
	REQ_OP_DISCARD		= 3,
	REQ_OP_SECURE_ERASE	= 5,
	REQ_OP_ZONE_APPEND	= 7,
	REQ_OP_WRITE_ZEROES	= 9,
	REQ_OP_DRV_IN		= 34,
	REQ_OP_DRV_OUT		= 35,
	REQ_OP_LAST		= 36,
};

/* Flag bits above the operation (the kernel's bit numbers). */
enum req_flag_bits {
	__REQ_FAILFAST_DEV = REQ_OP_BITS,
	__REQ_FAILFAST_TRANSPORT,
	__REQ_FAILFAST_DRIVER,
	__REQ_SYNC,
	__REQ_META,
	__REQ_PRIO,
	__REQ_NOMERGE,
	__REQ_IDLE,
	__REQ_INTEGRITY,
	__REQ_FUA,
	__REQ_PREFLUSH,
	__REQ_RAHEAD,
	__REQ_BACKGROUND,
	__REQ_NOWAIT,
	__REQ_POLLED,
	__REQ_ALLOC_CACHE,
	__REQ_SWAP,
	__REQ_DRV,
	__REQ_FS_PRIVATE,
	__REQ_ATOMIC,
	/*
	 * Set by blk_rq_dma_map_iter_start() when the request was mapped as
	 * PCI bus addresses (PCI_P2PDMA_MAP_BUS_ADDR): nothing to unmap.
	 */
	__REQ_P2PDMA,
	__REQ_NOUNMAP,
	__REQ_NR_BITS,
};

#define REQ_FAILFAST_DEV	((blk_opf_t)1 << __REQ_FAILFAST_DEV)
#define REQ_FAILFAST_TRANSPORT	((blk_opf_t)1 << __REQ_FAILFAST_TRANSPORT)
#define REQ_FAILFAST_DRIVER	((blk_opf_t)1 << __REQ_FAILFAST_DRIVER)
#define REQ_SYNC		((blk_opf_t)1 << __REQ_SYNC)
#define REQ_META		((blk_opf_t)1 << __REQ_META)
#define REQ_PRIO		((blk_opf_t)1 << __REQ_PRIO)
#define REQ_NOMERGE		((blk_opf_t)1 << __REQ_NOMERGE)
#define REQ_IDLE		((blk_opf_t)1 << __REQ_IDLE)
#define REQ_INTEGRITY		((blk_opf_t)1 << __REQ_INTEGRITY)
#define REQ_FUA			((blk_opf_t)1 << __REQ_FUA)
#define REQ_PREFLUSH		((blk_opf_t)1 << __REQ_PREFLUSH)
#define REQ_RAHEAD		((blk_opf_t)1 << __REQ_RAHEAD)
#define REQ_BACKGROUND		((blk_opf_t)1 << __REQ_BACKGROUND)
#define REQ_NOWAIT		((blk_opf_t)1 << __REQ_NOWAIT)
#define REQ_POLLED		((blk_opf_t)1 << __REQ_POLLED)
#define REQ_ALLOC_CACHE		((blk_opf_t)1 << __REQ_ALLOC_CACHE)
#define REQ_SWAP		((blk_opf_t)1 << __REQ_SWAP)
#define REQ_DRV			((blk_opf_t)1 << __REQ_DRV)
#define REQ_FS_PRIVATE		((blk_opf_t)1 << __REQ_FS_PRIVATE)
#define REQ_ATOMIC		((blk_opf_t)1 << __REQ_ATOMIC)
#define REQ_P2PDMA		((blk_opf_t)1 << __REQ_P2PDMA)
#define REQ_NOUNMAP		((blk_opf_t)1 << __REQ_NOUNMAP)

static inline bool op_is_write(blk_opf_t op)
{
	return op & 1;
}

typedef void (bio_end_io_t)(struct bio *);

/* bio->bi_flags bits (the ones a driver may look at) */
enum {
	BIO_PAGE_PINNED,
	BIO_CLONED,
	BIO_BOUNCED,
	BIO_QUIET,
	BIO_CHAIN,
	BIO_REFFED,
	BIO_FLAG_LAST
};

/*
 * struct bio - a block I/O: a table of bio_vecs and a position in it
 * @bi_next: the next bio of a request
 * @bi_bdev: the device (may be NULL for passthrough)
 * @bi_opf: operation and flags
 * @bi_status: the result, set before @bi_end_io runs
 * @bi_iter: what is left to do (device sector, bytes, position)
 * @bi_end_io: completion callback; @bi_private is the submitter's
 * @bi_vcnt: bvecs in use in @bi_io_vec
 * @bi_max_vecs: its capacity
 * @bi_io_vec: the table (the caller's, or @bi_inline_vecs)
 */
struct bio {
	struct bio *bi_next;
	struct block_device *bi_bdev;
	blk_opf_t bi_opf;
	unsigned short bi_flags;
	unsigned short bi_ioprio;
	blk_status_t bi_status;
	atomic_t __bi_remaining;
	struct bvec_iter bi_iter;
	bio_end_io_t *bi_end_io;
	void *bi_private;
	unsigned short bi_vcnt;
	unsigned short bi_max_vecs;
	atomic_t __bi_cnt;
	struct bio_vec *bi_io_vec;
#ifndef __cplusplus
	/*
	 * C++ has no flexible array member inside another struct (struct
	 * request embeds a bio): there it is bio_inline_vecs(bio), the same
	 * address, as in newer kernels.
	 */
	struct bio_vec bi_inline_vecs[];
#endif
};
#ifndef __cplusplus
_Static_assert(offsetof(struct bio, bi_inline_vecs) == sizeof(struct bio),
	       "the inline bvecs follow the bio, with or without the member");
#endif

/* The bvecs allocated right after @bio (bio_kmalloc()'s). */
static inline struct bio_vec *bio_inline_vecs(struct bio *bio)
{
	return (struct bio_vec *)(bio + 1);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_BLK_TYPES_H */
