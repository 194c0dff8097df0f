// SPDX-License-Identifier: MIT
/*
 * Scatterlist helpers (lib/scatterlist.c): tables are allocated in chunks
 * of SG_MAX_SINGLE_ALLOC entries and chained through their last entry, as
 * the kernel does, so code walking with sg_next() sees the same shape.
 * Then the page and mapping iterators, and the copies made with them
 * through the CPU view of the pages.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define SG_MAX_SINGLE_ALLOC	(PAGE_SIZE / sizeof(struct scatterlist))

struct scatterlist *sg_next(struct scatterlist *sg)
{
	if (sg_is_last(sg))
		return NULL;
	sg++;
	if (unlikely(sg_is_chain(sg)))
		sg = sg_chain_ptr(sg);
	return sg;
}

int sg_nents(struct scatterlist *sg)
{
	int nents;

	for (nents = 0; sg; sg = sg_next(sg))
		nents++;
	return nents;
}

/**
 * sg_nents_for_len - how many entries from @sg it takes to cover @len bytes
 * @sg: the list (NULL: an empty one)
 * @len: the bytes wanted
 *
 * Return: the count (0 for @len 0), or -EINVAL when the whole list holds
 * fewer than @len bytes.
 */
int sg_nents_for_len(struct scatterlist *sg, u64 len)
{
	u64 total = 0;
	int nents = 0;

	if (!len)
		return 0;
	for (; sg; sg = sg_next(sg)) {
		nents++;
		total += sg->length;
		if (total >= len)
			return nents;
	}
	return -EINVAL;
}

struct scatterlist *sg_last(struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg, *ret = NULL;
	unsigned int i;

	for_each_sg(sgl, sg, nents, i)
		ret = sg;
	return ret;
}

void sg_init_table(struct scatterlist *sgl, unsigned int nents)
{
	memset(sgl, 0, sizeof(*sgl) * nents);
	if (nents)
		sg_init_marker(sgl, nents);
}

void sg_init_one(struct scatterlist *sg, struct page *page, unsigned int len,
		 unsigned int offset)
{
	sg_init_table(sg, 1);
	sg_set_page(sg, page, len, offset);
}

void sg_chain(struct scatterlist *prv, unsigned int prv_nents,
	      struct scatterlist *sgl)
{
	struct scatterlist *chain = &prv[prv_nents - 1];

	chain->offset = 0;
	chain->length = 0;
	chain->page_link = ((unsigned long)sgl | SG_CHAIN) & ~SG_END;
}

void sg_free_table(struct sg_table *table)
{
	struct scatterlist *sgl, *next;
	unsigned int left;

	if (!table || !table->sgl)
		return;
	sgl = table->sgl;
	left = table->orig_nents;
	while (left) {
		unsigned int alloc_size = left;

		if (alloc_size > SG_MAX_SINGLE_ALLOC) {
			next = sg_chain_ptr(&sgl[SG_MAX_SINGLE_ALLOC - 1]);
			alloc_size = SG_MAX_SINGLE_ALLOC;
			left -= SG_MAX_SINGLE_ALLOC - 1;
		} else {
			next = NULL;
			left = 0;
		}
		free(sgl);
		sgl = next;
	}
	table->sgl = NULL;
	table->nents = table->orig_nents = 0;
}

/**
 * sg_alloc_table - allocate and initialise a (chained) scatterlist table
 *
 * Returns 0 or -ENOMEM (nothing left allocated), -EINVAL for zero entries.
 */
int sg_alloc_table(struct sg_table *table, unsigned int nents, gfp_t gfp)
{
	struct scatterlist *sg, *prv = NULL;
	unsigned int left = nents;

	(void)gfp;
	memset(table, 0, sizeof(*table));
	if (nents == 0)
		return -EINVAL;
	while (left) {
		unsigned int alloc_size = left, sg_size;

		if (alloc_size > SG_MAX_SINGLE_ALLOC) {
			alloc_size = SG_MAX_SINGLE_ALLOC;
			sg_size = alloc_size - 1;
		} else {
			sg_size = alloc_size;
		}
		left -= sg_size;
		sg = malloc(alloc_size * sizeof(*sg));
		if (!sg) {
			sg_free_table(table);
			return -ENOMEM;
		}
		sg_init_table(sg, alloc_size);
		table->nents = table->orig_nents += sg_size;
		if (prv)
			sg_chain(prv, SG_MAX_SINGLE_ALLOC, sg);
		else
			table->sgl = sg;
		if (!left)
			sg_mark_end(&sg[sg_size - 1]);
		prv = sg;
	}
	return 0;
}

/*
 * One entry per run of physically contiguous pages, the first one starting
 * at @offset, @size bytes in all (sg_alloc_table_from_pages()).
 */
int sg_alloc_table_from_pages(struct sg_table *sgt, struct page **pages,
			      unsigned int n_pages, unsigned int offset,
			      unsigned long size, gfp_t gfp)
{
	unsigned int chunks = 0, i, cur_page;
	struct scatterlist *s;
	int ret;

	if (!n_pages || offset >= PAGE_SIZE ||
	    size > (unsigned long)n_pages * PAGE_SIZE - offset)
		return -EINVAL;
	for (i = 1; i <= n_pages; i++)
		if (i == n_pages ||
		    pages[i]->pfn != pages[i - 1]->pfn + 1)
			chunks++;
	ret = sg_alloc_table(sgt, chunks, gfp);
	if (ret)
		return ret;
	cur_page = 0;
	for_each_sg(sgt->sgl, s, sgt->orig_nents, i) {
		unsigned int j, chunk_size;

		for (j = cur_page + 1; j < n_pages; j++)
			if (pages[j]->pfn != pages[j - 1]->pfn + 1)
				break;
		chunk_size = ((j - cur_page) << PAGE_SHIFT) - offset;
		if (chunk_size > size)
			chunk_size = (unsigned int)size;
		sg_set_page(s, pages[cur_page], chunk_size, offset);
		size -= chunk_size;
		offset = 0;
		cur_page = j;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Page iterators                                                           */
/* ------------------------------------------------------------------------ */

/* Pages an entry touches, from its first (the one sg_page() names). */
static unsigned long sg_pages_spanned(struct scatterlist *sg, unsigned int len)
{
	return ((unsigned long)sg->offset + len + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/**
 * __sg_page_iter_start - set up a page walk (for_each_sg_page() calls it)
 * @piter: the iterator, the caller's
 * @sglist: the first entry
 * @nents: entries to walk at most
 * @pgoffset: pages to leave out at the start, across entries; one beyond
 *	what an unsigned int holds is past the end of any list, as is
 *	what the iterator finds
 */
void __sg_page_iter_start(struct sg_page_iter *piter,
			  struct scatterlist *sglist, unsigned int nents,
			  unsigned long pgoffset)
{
	piter->__pg_advance = 0;
	piter->__nents = pgoffset > UINT_MAX ? 0 : nents;
	piter->sg = sglist;
	piter->sg_pgoffset = (unsigned int)pgoffset;
}

/*
 * One step of either walk: @dma counts an entry's pages by its DMA length,
 * otherwise by its length. Entries of no bytes (at offset 0) are passed.
 */
static bool sg_page_iter_step(struct sg_page_iter *piter, bool dma)
{
	unsigned long npages;

	if (!piter->__nents || !piter->sg)
		return false;
	piter->sg_pgoffset += piter->__pg_advance;
	piter->__pg_advance = 1;
	for (;;) {
		npages = sg_pages_spanned(piter->sg, dma ? sg_dma_len(piter->sg) :
							   piter->sg->length);
		if (piter->sg_pgoffset < npages)
			return true;
		piter->sg_pgoffset -= (unsigned int)npages;
		piter->sg = sg_next(piter->sg);
		if (!--piter->__nents || !piter->sg)
			return false;
	}
}

/**
 * __sg_page_iter_next - the next page of the walk
 * @piter: started by __sg_page_iter_start()
 *
 * Return: true with @piter at the page (sg_page_iter_page()), false once
 * the list or its @nents entries are done (and from then on).
 */
bool __sg_page_iter_next(struct sg_page_iter *piter)
{
	return sg_page_iter_step(piter, false);
}

/**
 * __sg_page_iter_dma_next - the next page of a walk over the DMA side
 * @dma_iter: started by __sg_page_iter_start() on its base, with the
 *	mapped entry count (sgt->nents)
 *
 * Entries count by sg_dma_len(); sg_page_iter_dma_address() is the address.
 * Return: as __sg_page_iter_next().
 */
bool __sg_page_iter_dma_next(struct sg_dma_page_iter *dma_iter)
{
	return sg_page_iter_step(&dma_iter->base, true);
}

/* ------------------------------------------------------------------------ */
/* The mapping iterator and the copies made with it                         */
/* ------------------------------------------------------------------------ */

/**
 * sg_miter_start - set up a walk over the bytes of a list
 * @miter: the iterator, the caller's; nothing to free, stop it when done
 * @sgl: the first entry
 * @nents: entries to walk at most
 * @flags: SG_MITER_ATOMIC, SG_MITER_TO_SG, SG_MITER_FROM_SG
 */
void sg_miter_start(struct sg_mapping_iter *miter, struct scatterlist *sgl,
		    unsigned int nents, unsigned int flags)
{
	memset(miter, 0, sizeof(*miter));
	__sg_page_iter_start(&miter->piter, sgl, nents, 0);
	miter->__flags = flags;
}

/*
 * Make sure there are bytes of a page to hand out: false at the end. A
 * piece never has 0 bytes: an entry of none is passed over.
 */
static bool sg_miter_fill(struct sg_mapping_iter *miter)
{
	while (!miter->__remaining) {
		struct sg_page_iter *piter = &miter->piter;
		struct scatterlist *sg;
		unsigned long start, end;

		if (!__sg_page_iter_next(piter))
			return false;
		sg = piter->sg;
		if (!piter->sg_pgoffset) {
			/* the entry's first bytes: in the page its offset names */
			piter->sg_pgoffset = sg->offset >> PAGE_SHIFT;
			miter->__offset = sg->offset & ~PAGE_MASK;
		} else {
			miter->__offset = 0;
		}
		start = ((unsigned long)piter->sg_pgoffset << PAGE_SHIFT) +
			miter->__offset;
		end = (unsigned long)sg->offset + sg->length;
		if (start >= end) {
			/* no bytes: the next step goes to the next entry */
			piter->sg_pgoffset =
				(unsigned int)sg_pages_spanned(sg, sg->length) - 1;
			continue;
		}
		miter->__remaining = (unsigned int)min(end - start,
						       PAGE_SIZE - miter->__offset);
	}
	return true;
}

/**
 * sg_miter_skip - move the walk on by @offset bytes
 * @miter: started by sg_miter_start(); the current piece is stopped first
 * @offset: bytes to pass over
 *
 * Return: true, or false when the list ends first or @offset is negative.
 */
bool sg_miter_skip(struct sg_mapping_iter *miter, off_t offset)
{
	sg_miter_stop(miter);
	if (offset < 0)
		return false;
	while (offset) {
		unsigned int step;

		if (!sg_miter_fill(miter))
			return false;
		step = (unsigned int)min((unsigned long)offset,
					 (unsigned long)miter->__remaining);
		miter->__offset += step;
		miter->__remaining -= step;
		offset -= step;
	}
	return true;
}

/**
 * sg_miter_next - the next piece: @page, @addr and @length of @miter
 * @miter: started by sg_miter_start(); the current piece is stopped first
 *
 * A piece is what is left of the current page, the part of one entry that
 * lies in one page. Set @consumed to use fewer of its bytes; the rest
 * comes again with the next call.
 *
 * An entry without a page, or whose pages run beyond the machine's memmap,
 * is a BUG report on the current machine (the kernel would oops) and ends
 * the walk.
 *
 * Return: true with a piece, false at the end of the list (or @nents).
 */
bool sg_miter_next(struct sg_mapping_iter *miter)
{
	struct page *page;

	sg_miter_stop(miter);
	if (!sg_miter_fill(miter))
		return false;
	page = sg_page_iter_page(&miter->piter);
	if (!page) {
		struct sim_machine *m = sim_current_machine();

		if (m)
			SIM_BUG(m, NULL, "sg_miter_next: entry %p has no page %u",
				(void *)miter->piter.sg,
				miter->piter.sg_pgoffset);
		miter->__remaining = 0;
		miter->piter.__nents = 0;
		return false;
	}
	miter->page = page;
	miter->addr = (char *)page_address(page) + miter->__offset;
	miter->length = miter->__remaining;
	miter->consumed = miter->length;
	return true;
}

/**
 * sg_miter_stop - done with the current piece (if any)
 * @miter: the iterator; stopping twice, or before a piece, does nothing
 *
 * The walk goes on after the @consumed bytes. More consumed than the piece
 * has is a WARN on the current machine, and counts as the whole piece.
 */
void sg_miter_stop(struct sg_mapping_iter *miter)
{
	if (!miter->addr)
		return;
	if (miter->consumed > miter->length) {
		struct sim_machine *m = sim_current_machine();

		if (m)
			SIM_WARN(m, NULL, "sg_miter_stop: %zu bytes consumed of %zu",
				 miter->consumed, miter->length);
		miter->consumed = miter->length;
	}
	miter->__offset += (unsigned int)miter->consumed;
	miter->__remaining -= (unsigned int)miter->consumed;
	miter->page = NULL;
	miter->addr = NULL;
	miter->length = 0;
	miter->consumed = 0;
}

enum sg_copy_dir { SG_COPY_TO_BUF, SG_COPY_FROM_BUF, SG_COPY_ZERO };

static size_t sg_copy(struct scatterlist *sgl, unsigned int nents, void *buf,
		      size_t buflen, off_t skip, enum sg_copy_dir dir)
{
	struct sg_mapping_iter miter;
	size_t done = 0;

	if (!sgl || !buflen || (!buf && dir != SG_COPY_ZERO))
		return 0;
	sg_miter_start(&miter, sgl, nents, SG_MITER_ATOMIC |
		       (dir == SG_COPY_TO_BUF ? SG_MITER_FROM_SG :
						SG_MITER_TO_SG));
	if (!sg_miter_skip(&miter, skip))
		return 0;
	while (done < buflen && sg_miter_next(&miter)) {
		size_t len = min(miter.length, buflen - done);

		if (dir == SG_COPY_TO_BUF)
			memcpy((char *)buf + done, miter.addr, len);
		else if (dir == SG_COPY_FROM_BUF)
			memcpy(miter.addr, (char *)buf + done, len);
		else
			memset(miter.addr, 0, len);
		miter.consumed = len;
		done += len;
	}
	sg_miter_stop(&miter);
	return done;
}

/**
 * sg_copy_buffer - copy between a linear buffer and the bytes of a list
 * @sgl: the list, whose pages are written or read through their CPU view
 * @nents: entries to use at most
 * @buf: the caller's buffer, @buflen bytes (NULL: nothing is copied)
 * @skip: bytes of the list to pass over first (negative: nothing copied)
 * @to_buffer: list to @buf if true, @buf to list if false
 *
 * Return: the bytes copied: @buflen, or fewer when the list ends first;
 * 0 when @skip reaches past its end.
 */
size_t sg_copy_buffer(struct scatterlist *sgl, unsigned int nents, void *buf,
		      size_t buflen, off_t skip, bool to_buffer)
{
	return sg_copy(sgl, nents, buf, buflen, skip,
		       to_buffer ? SG_COPY_TO_BUF : SG_COPY_FROM_BUF);
}

/** sg_copy_from_buffer - @buf into the list from its start (sg_copy_buffer()) */
size_t sg_copy_from_buffer(struct scatterlist *sgl, unsigned int nents,
			   const void *buf, size_t buflen)
{
	return sg_copy(sgl, nents, (void *)buf, buflen, 0, SG_COPY_FROM_BUF);
}

/** sg_copy_to_buffer - the list from its start into @buf (sg_copy_buffer()) */
size_t sg_copy_to_buffer(struct scatterlist *sgl, unsigned int nents,
			 void *buf, size_t buflen)
{
	return sg_copy(sgl, nents, buf, buflen, 0, SG_COPY_TO_BUF);
}

/** sg_pcopy_from_buffer - @buf into the list, @skip bytes in (sg_copy_buffer()) */
size_t sg_pcopy_from_buffer(struct scatterlist *sgl, unsigned int nents,
			    const void *buf, size_t buflen, off_t skip)
{
	return sg_copy(sgl, nents, (void *)buf, buflen, skip, SG_COPY_FROM_BUF);
}

/** sg_pcopy_to_buffer - the list from @skip bytes in into @buf (sg_copy_buffer()) */
size_t sg_pcopy_to_buffer(struct scatterlist *sgl, unsigned int nents,
			  void *buf, size_t buflen, off_t skip)
{
	return sg_copy(sgl, nents, buf, buflen, skip, SG_COPY_TO_BUF);
}

/**
 * sg_zero_buffer - zero @buflen bytes of the list, @skip bytes in
 *
 * Return: the bytes zeroed, as sg_copy_buffer() counts them.
 */
size_t sg_zero_buffer(struct scatterlist *sgl, unsigned int nents,
		      size_t buflen, off_t skip)
{
	return sg_copy(sgl, nents, NULL, buflen, skip, SG_COPY_ZERO);
}
