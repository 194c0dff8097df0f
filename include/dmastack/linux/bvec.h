/* SPDX-License-Identifier: MIT */
/*
 * Vectors of pages and the iterator over them (include/linux/bvec.h).
 *
 * A bio_vec may span several physically contiguous pages ("multi-page
 * bvec"); the mp_bvec_iter_* accessors see it whole, the bvec_iter_* ones
 * one page at a time. A struct bvec_iter is a position in a table of
 * bio_vecs: @bi_idx the entry, @bi_bvec_done the bytes of it consumed,
 * @bi_size the bytes left in all.
 */
#ifndef _DMASTACK_LINUX_BVEC_H
#define _DMASTACK_LINUX_BVEC_H

#include "types.h"
#include "mm.h"
#include "bug.h"
#include <limits.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * struct bio_vec - a physically contiguous range
 * @bv_page: first page (RAM, or a P2PDMA page); a multi-page bvec covers
 *	the page frames that follow it too
 * @bv_len: bytes
 * @bv_offset: start inside @bv_page
 */
struct bio_vec {
	struct page *bv_page;
	unsigned int bv_len;
	unsigned int bv_offset;
};

static inline void bvec_set_page(struct bio_vec *bv, struct page *page,
				 unsigned int len, unsigned int offset)
{
	bv->bv_page = page;
	bv->bv_len = len;
	bv->bv_offset = offset;
}

/* @vaddr must be in the linear map (kmalloc, page_address()). */
static inline void bvec_set_virt(struct bio_vec *bv, void *vaddr,
				 unsigned int len)
{
	bvec_set_page(bv, virt_to_page(vaddr), len,
		      (unsigned int)((unsigned long)vaddr & ~PAGE_MASK));
}

static inline phys_addr_t bvec_phys(const struct bio_vec *bvec)
{
	return page_to_phys(bvec->bv_page) + bvec->bv_offset;
}

struct bvec_iter {
	sector_t bi_sector;		/* device address, 512-byte sectors */
	unsigned int bi_size;		/* residual I/O count */
	unsigned int bi_idx;		/* current index into the bvec table */
	unsigned int bi_bvec_done;	/* bytes done in the current bvec */
};

/* ---- the whole (multi-page) bvec at @iter ------------------------------ */

#define __bvec_iter_bvec(bvec, iter)	(&(bvec)[(iter).bi_idx])

#define mp_bvec_iter_page(bvec, iter)	(__bvec_iter_bvec((bvec), (iter))->bv_page)

/* (min() of <linux/minmax.h> is not pulled in with the bvec helpers) */
static inline unsigned int __bvec_min(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

#define mp_bvec_iter_len(bvec, iter)					\
	__bvec_min((iter).bi_size,					\
		   __bvec_iter_bvec((bvec), (iter))->bv_len - (iter).bi_bvec_done)

#define mp_bvec_iter_offset(bvec, iter)					\
	(__bvec_iter_bvec((bvec), (iter))->bv_offset + (iter).bi_bvec_done)

#define mp_bvec_iter_page_idx(bvec, iter)				\
	(mp_bvec_iter_offset((bvec), (iter)) / PAGE_SIZE)

#define mp_bvec_iter_bvec(bvec, iter)					\
((struct bio_vec) {							\
	.bv_page	= mp_bvec_iter_page((bvec), (iter)),		\
	.bv_len		= mp_bvec_iter_len((bvec), (iter)),		\
	.bv_offset	= mp_bvec_iter_offset((bvec), (iter)),		\
})

/* ---- one page of it ----------------------------------------------------- */

#define bvec_iter_offset(bvec, iter)					\
	(mp_bvec_iter_offset((bvec), (iter)) % PAGE_SIZE)

#define bvec_iter_len(bvec, iter)					\
	__bvec_min(mp_bvec_iter_len((bvec), (iter)),			\
		   (unsigned int)(PAGE_SIZE - bvec_iter_offset((bvec), (iter))))

#define bvec_iter_page(bvec, iter)					\
	(mp_bvec_iter_page((bvec), (iter)) +				\
	 mp_bvec_iter_page_idx((bvec), (iter)))

#define bvec_iter_bvec(bvec, iter)					\
((struct bio_vec) {							\
	.bv_page	= bvec_iter_page((bvec), (iter)),		\
	.bv_len		= bvec_iter_len((bvec), (iter)),		\
	.bv_offset	= bvec_iter_offset((bvec), (iter)),		\
})

/*
 * bvec_iter_advance - move @iter @bytes on over @bv
 *
 * Advancing past the end is a bug: WARNs, leaves @iter at the end and
 * returns false.
 */
static inline bool bvec_iter_advance(const struct bio_vec *bv,
				     struct bvec_iter *iter, unsigned int bytes)
{
	unsigned int idx = iter->bi_idx;

	if (WARN_ONCE(bytes > iter->bi_size,
		      "Attempted to advance past end of bvec iter\n")) {
		iter->bi_size = 0;
		return false;
	}
	iter->bi_size -= bytes;
	bytes += iter->bi_bvec_done;
	while (bytes && bytes >= bv[idx].bv_len) {
		bytes -= bv[idx].bv_len;
		idx++;
	}
	iter->bi_idx = idx;
	iter->bi_bvec_done = bytes;
	return true;
}

/*
 * bvec_iter_advance_single - advance by at most the rest of the current
 * bvec (what the for-each loops step by): no loop.
 */
static inline void bvec_iter_advance_single(const struct bio_vec *bv,
					    struct bvec_iter *iter,
					    unsigned int bytes)
{
	unsigned int done = iter->bi_bvec_done + bytes;

	if (done == bv[iter->bi_idx].bv_len) {
		done = 0;
		iter->bi_idx++;
	}
	iter->bi_bvec_done = done;
	iter->bi_size -= bytes;
}

#define for_each_bvec(bvl, bio_vec, iter, start)			\
	for (iter = (start);						\
	     (iter).bi_size &&						\
		((bvl = bvec_iter_bvec((bio_vec), (iter))), 1);	\
	     bvec_iter_advance_single((bio_vec), &(iter), (bvl).bv_len))

#define for_each_mp_bvec(bvl, bio_vec, iter, start)			\
	for (iter = (start);						\
	     (iter).bi_size &&						\
		((bvl = mp_bvec_iter_bvec((bio_vec), (iter))), 1);	\
	     bvec_iter_advance_single((bio_vec), &(iter), (bvl).bv_len))

/* An iterator over a whole table, as the bio's "all" loops start from. */
#define BVEC_ITER_ALL_INIT						\
{									\
	.bi_sector	= 0,						\
	.bi_size	= UINT_MAX,					\
	.bi_idx		= 0,						\
	.bi_bvec_done	= 0,						\
}

static inline void *bvec_virt(struct bio_vec *bvec)
{
	return (char *)page_address(bvec->bv_page) + bvec->bv_offset;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_BVEC_H */
