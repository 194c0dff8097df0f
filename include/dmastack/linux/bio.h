/* SPDX-License-Identifier: MIT */
/*
 * Building and walking bios (include/linux/bio.h).
 *
 * A bio's pages are added with bio_add_page(), which merges a page
 * physically contiguous with the last bvec into it (so bvecs are
 * multi-page) and never mixes P2PDMA pages of different providers, or
 * P2PDMA pages and RAM, in one bio. Walk it with bio_for_each_segment()
 * (one page at a time) or bio_for_each_bvec() (whole bvecs).
 */
#ifndef _DMASTACK_LINUX_BIO_H
#define _DMASTACK_LINUX_BIO_H

#include "types.h"
#include "gfp.h"
#include "blk_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BIO_MAX_VECS	256U

static inline bool bio_flagged(const struct bio *bio, unsigned int bit)
{
	return bio->bi_flags & (1U << bit);
}

static inline void bio_set_flag(struct bio *bio, unsigned int bit)
{
	bio->bi_flags |= (unsigned short)(1U << bit);
}

static inline void bio_clear_flag(struct bio *bio, unsigned int bit)
{
	bio->bi_flags &= (unsigned short)~(1U << bit);
}

static inline enum req_op bio_op(const struct bio *bio)
{
	return (enum req_op)(bio->bi_opf & REQ_OP_MASK);
}

/* READ (0) or WRITE (1) */
#define bio_data_dir(bio)	(op_is_write(bio_op(bio)) ? 1 : 0)

static inline bool bio_has_data(const struct bio *bio)
{
	return bio && bio->bi_iter.bi_size && bio_op(bio) != REQ_OP_DISCARD &&
	       bio_op(bio) != REQ_OP_SECURE_ERASE &&
	       bio_op(bio) != REQ_OP_WRITE_ZEROES;
}

#define bio_iter_iovec(bio, iter)	bvec_iter_bvec((bio)->bi_io_vec, (iter))
#define bio_iter_page(bio, iter)	bvec_iter_page((bio)->bi_io_vec, (iter))
#define bio_iter_len(bio, iter)		bvec_iter_len((bio)->bi_io_vec, (iter))
#define bio_iter_offset(bio, iter)	bvec_iter_offset((bio)->bi_io_vec, (iter))
#define bio_iovec(bio)			bio_iter_iovec((bio), (bio)->bi_iter)

#define bio_sectors(bio)	((bio)->bi_iter.bi_size >> SECTOR_SHIFT)
#define bio_end_sector(bio)	((bio)->bi_iter.bi_sector + bio_sectors((bio)))

static inline void bio_advance_iter(const struct bio *bio,
				    struct bvec_iter *iter, unsigned int bytes)
{
	iter->bi_sector += bytes >> SECTOR_SHIFT;
	bvec_iter_advance(bio->bi_io_vec, iter, bytes);
}

/* Advance by at most what is left of the current bvec. */
static inline void bio_advance_iter_single(const struct bio *bio,
					   struct bvec_iter *iter,
					   unsigned int bytes)
{
	iter->bi_sector += bytes >> SECTOR_SHIFT;
	bvec_iter_advance_single(bio->bi_io_vec, iter, bytes);
}

/* Consume @nbytes of @bio's remaining data. */
static inline void bio_advance(struct bio *bio, unsigned int nbytes)
{
	if (!nbytes)
		return;
	bio_advance_iter(bio, &bio->bi_iter, nbytes);
}

#define __bio_for_each_segment(bvl, bio, iter, start)			\
	for (iter = (start);						\
	     (iter).bi_size &&						\
		((bvl = bio_iter_iovec((bio), (iter))), 1);		\
	     bio_advance_iter_single((bio), &(iter), (bvl).bv_len))

/* Each page-sized (at most) piece of what is left of @bio. */
#define bio_for_each_segment(bvl, bio, iter)				\
	__bio_for_each_segment(bvl, bio, iter, (bio)->bi_iter)

#define __bio_for_each_bvec(bvl, bio, iter, start)			\
	for (iter = (start);						\
	     (iter).bi_size &&						\
		((bvl = mp_bvec_iter_bvec((bio)->bi_io_vec, (iter))), 1); \
	     bio_advance_iter_single((bio), &(iter), (bvl).bv_len))

/* Each whole (multi-page) bvec of what is left of @bio. */
#define bio_for_each_bvec(bvl, bio, iter)				\
	__bio_for_each_bvec(bvl, bio, iter, (bio)->bi_iter)

/* Every bvec of the table, regardless of the iterator (the owner's walk). */
#define bio_for_each_bvec_all(bvl, bio, i)				\
	for (i = 0, bvl = (bio)->bi_io_vec; i < (bio)->bi_vcnt; i++, bvl++)

static inline struct bio_vec *bio_first_bvec_all(struct bio *bio)
{
	WARN_ON_ONCE(bio_flagged(bio, BIO_CLONED));
	return bio->bi_io_vec;
}

static inline struct page *bio_first_page_all(struct bio *bio)
{
	return bio_first_bvec_all(bio)->bv_page;
}

/*
 * bio_init - make @bio an empty bio for @bdev doing @opf, with @table of
 * @max_vecs entries (the caller's; may be NULL for 0 entries).
 */
void bio_init(struct bio *bio, struct block_device *bdev,
	      struct bio_vec *table, unsigned short max_vecs, blk_opf_t opf);
/* Undo bio_init() (nothing to free here). */
void bio_uninit(struct bio *bio);
/* Empty @bio again for reuse with the same table, doing @opf. */
void bio_reset(struct bio *bio, struct block_device *bdev, blk_opf_t opf);

/*
 * bio_kmalloc - a bio and @nr_vecs inline bvecs from kmalloc(); the caller
 * bio_init()s it with bio_inline_vecs(bio) and kfree()s it. NULL when
 * @nr_vecs > BIO_MAX_VECS or out of memory.
 */
struct bio *bio_kmalloc(unsigned short nr_vecs, gfp_t gfp_mask);

/*
 * bio_alloc - a referenced, initialised bio with room for @nr_vecs bvecs
 * (at most BIO_MAX_VECS); bio_put() drops the reference and frees it.
 */
struct bio *bio_alloc(struct block_device *bdev, unsigned short nr_vecs,
		      blk_opf_t opf, gfp_t gfp_mask);
void bio_get(struct bio *bio);
void bio_put(struct bio *bio);

/*
 * bio_add_page - add @len bytes at @offset of @page to @bio
 *
 * Merged into the last bvec when physically contiguous with it. Returns
 * @len, or 0 when it cannot be added: the table is full, the size would
 * pass UINT_MAX, @bio is a clone, or @page's P2PDMA provider (or its
 * being RAM) differs from the last bvec's.
 */
int bio_add_page(struct bio *bio, struct page *page, unsigned int len,
		 unsigned int offset);
/* Append a new bvec; the caller knows there is room (WARNs if not). */
void __bio_add_page(struct bio *bio, struct page *page, unsigned int len,
		    unsigned int off);
/* Add @len bytes of linear-map memory at @vaddr (page by page). */
void bio_add_virt_nofail(struct bio *bio, void *vaddr, unsigned int len);

/*
 * bio_endio - @bio is done: its bi_end_io runs with bi_status as set.
 */
void bio_endio(struct bio *bio);

static inline void bio_io_error(struct bio *bio)
{
	bio->bi_status = BLK_STS_IOERR;
	bio_endio(bio);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_BIO_H */
