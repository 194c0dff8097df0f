// SPDX-License-Identifier: MIT
/*
 * Scatterlist helpers (lib/scatterlist.c): tables are allocated in chunks
 * of SG_MAX_SINGLE_ALLOC entries and chained through their last entry, as
 * the kernel does, so code walking with sg_next() sees the same shape.
 * Then the page iterators.
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
