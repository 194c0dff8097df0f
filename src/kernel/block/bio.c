// SPDX-License-Identifier: MIT
/*
 * Bios (block/bio.c): initialisation, the kmalloc()ed and referenced
 * forms, adding pages with the kernel's merge rules, completion.
 */
#include <string.h>
#include <dmastack/linux/bio.h>
#include <dmastack/linux/slab.h>
#include "internal.h"
#include "blk.h"

void bio_init(struct bio *bio, struct block_device *bdev,
	      struct bio_vec *table, unsigned short max_vecs, blk_opf_t opf)
{
	memset(bio, 0, sizeof(*bio));
	bio->bi_bdev = bdev;
	bio->bi_opf = opf;
	bio->__bi_remaining.counter = 1;
	bio->__bi_cnt.counter = 1;
	bio->bi_io_vec = table;
	bio->bi_max_vecs = table ? max_vecs : 0;
}

void bio_uninit(struct bio *bio)
{
	/* no cgroup, integrity or crypt context to drop */
	(void)bio;
}

void bio_reset(struct bio *bio, struct block_device *bdev, blk_opf_t opf)
{
	struct bio_vec *table = bio->bi_io_vec;
	unsigned short max_vecs = bio->bi_max_vecs;
	int cnt = bio->__bi_cnt.counter;

	bio_uninit(bio);
	bio_init(bio, bdev, table, max_vecs, opf);
	bio->__bi_cnt.counter = cnt;
}

struct bio *bio_kmalloc(unsigned short nr_vecs, gfp_t gfp_mask)
{
	if (nr_vecs > BIO_MAX_VECS)
		return NULL;
	return kmalloc(sizeof(struct bio) + nr_vecs * sizeof(struct bio_vec),
		       gfp_mask);
}

struct bio *bio_alloc(struct block_device *bdev, unsigned short nr_vecs,
		      blk_opf_t opf, gfp_t gfp_mask)
{
	struct bio *bio = bio_kmalloc(nr_vecs, gfp_mask);

	if (!bio)
		return NULL;
	bio_init(bio, bdev, nr_vecs ? bio_inline_vecs(bio) : NULL, nr_vecs, opf);
	bio_set_flag(bio, BIO_REFFED);
	return bio;
}

void bio_get(struct bio *bio)
{
	bio_set_flag(bio, BIO_REFFED);
	__atomic_add_fetch(&bio->__bi_cnt.counter, 1, __ATOMIC_RELAXED);
}

void bio_put(struct bio *bio)
{
	int left;

	if (!bio)
		return;
	left = __atomic_sub_fetch(&bio->__bi_cnt.counter, 1, __ATOMIC_ACQ_REL);
	if (WARN_ON_ONCE(left < 0))
		return;
	if (!left) {
		bio_uninit(bio);
		kfree(bio);
	}
}

void __bio_add_page(struct bio *bio, struct page *page, unsigned int len,
		    unsigned int off)
{
	if (WARN_ON_ONCE(bio_flagged(bio, BIO_CLONED)) ||
	    WARN_ON_ONCE(bio->bi_vcnt >= bio->bi_max_vecs))
		return;
	bvec_set_page(&bio->bi_io_vec[bio->bi_vcnt], page, len, off);
	bio->bi_iter.bi_size += len;
	bio->bi_vcnt++;
}

/*
 * bvec_try_merge_page(): @page at @off continues @bv physically, from the
 * same pgmap, and (when it starts a new page) its struct page follows.
 */
static bool bvec_try_merge_page(struct bio_vec *bv, struct page *page,
				unsigned int len, unsigned int off)
{
	size_t bv_end = (size_t)bv->bv_offset + bv->bv_len;

	if (page_to_phys(bv->bv_page) + bv_end != page_to_phys(page) + off)
		return false;
	if (!blk_same_pgmap(bv->bv_page, page))
		return false;
	/* into another page: its struct page must follow (one memmap run) */
	if (((page_to_phys(bv->bv_page) + bv_end - 1) & PAGE_MASK) !=
	    ((page_to_phys(page) + off) & PAGE_MASK) &&
	    bv->bv_page + bv_end / PAGE_SIZE != page + off / PAGE_SIZE)
		return false;
	bv->bv_len += len;
	return true;
}

int bio_add_page(struct bio *bio, struct page *page, unsigned int len,
		 unsigned int offset)
{
	if (WARN_ON_ONCE(bio_flagged(bio, BIO_CLONED)))
		return 0;
	if (!page || bio->bi_iter.bi_size > UINT_MAX - len)
		return 0;
	if (bio->bi_vcnt > 0) {
		struct bio_vec *bv = &bio->bi_io_vec[bio->bi_vcnt - 1];

		/* zone_device_pages_compatible(): P2P pages stay apart */
		if (!blk_same_pgmap(bv->bv_page, page))
			return 0;
		if (bvec_try_merge_page(bv, page, len, offset)) {
			bio->bi_iter.bi_size += len;
			return (int)len;
		}
	}
	if (bio->bi_vcnt >= bio->bi_max_vecs)
		return 0;
	__bio_add_page(bio, page, len, offset);
	return (int)len;
}

void bio_add_virt_nofail(struct bio *bio, void *vaddr, unsigned int len)
{
	__bio_add_page(bio, virt_to_page(vaddr), len,
		       (unsigned int)((unsigned long)vaddr & (PAGE_SIZE - 1)));
}

void bio_endio(struct bio *bio)
{
	if (bio->bi_end_io)
		bio->bi_end_io(bio);
}
