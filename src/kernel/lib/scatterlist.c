// SPDX-License-Identifier: MIT
/*
 * Scatterlist helpers (lib/scatterlist.c): tables are allocated in chunks
 * of SG_MAX_SINGLE_ALLOC entries and chained through their last entry, as
 * the kernel does, so code walking with sg_next() sees the same shape
 * (append tables size their chunks for what is still to come, as the
 * kernel's do). Then the page and mapping iterators, the copies made with
 * them through the CPU view of the pages, and lists of fresh pages.
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

/* ------------------------------------------------------------------------ */
/* Tables from pages                                                        */
/* ------------------------------------------------------------------------ */

/*
 * Where the chunks of a table built from pages come from. An append
 * table's are the machine's allocations (sim_kmalloc(), counted live until
 * sg_free_append_table()); a plain table's are sg_alloc_table()'s (host
 * memory that sg_free_table() frees), through the fail-Nth hook of @m.
 */
struct sg_chunk_src {
	/*
	 * the current machine; without one an append table gets no chunk,
	 * a plain table gets its chunks past no hook
	 */
	struct sim_machine *m;
	bool counted;			/* sim_kmalloc()ed on @m */
};

static struct scatterlist *sg_chunk_alloc(const struct sg_chunk_src *src,
					  unsigned int n)
{
	if (src->counted)
		return src->m ? sim_kcalloc(src->m, n, sizeof(struct scatterlist)) :
				NULL;
	if (src->m && sim_should_fail_alloc(src->m))
		return NULL;
	return malloc(n * sizeof(struct scatterlist));
}

static void sg_chunk_free(const struct sg_chunk_src *src, struct scatterlist *p)
{
	if (src->counted && src->m)
		sim_kfree(src->m, p);
	else
		free(p);
}

/*
 * Free the chunks of a table of @total entries (chain links counted) from
 * @sgl. A chunk ends at its chain link; the last one has what is left, so
 * chunks of any size are found, not only those of SG_MAX_SINGLE_ALLOC.
 */
static void sg_free_chunks(const struct sg_chunk_src *src,
			   struct scatterlist *sgl, unsigned int total)
{
	while (sgl && total) {
		struct scatterlist *next = NULL;
		unsigned int k;

		for (k = 0; k + 1 < total; k++) {
			if (sg_is_chain(&sgl[k])) {
				next = sg_chain_ptr(&sgl[k]);
				break;
			}
		}
		sg_chunk_free(src, sgl);
		total = next ? total - k : 0;
		sgl = next;
	}
}

/* Same memory (RAM or P2P provider) and the frame right after @prev. */
static bool sg_pages_mergeable(struct page *page, struct page *prev)
{
	return page_to_pfn(page) == page_to_pfn(prev) + 1 &&
	       page->pgmap == prev->pgmap;
}

/* The end (exclusive) of the run of pages from @cur: one entry's pages. */
static unsigned int sg_run_end(struct page **pages, unsigned int n_pages,
			       unsigned int cur, unsigned long max_pages)
{
	unsigned int j;

	for (j = cur + 1; j < n_pages; j++)
		if (j - cur >= max_pages ||
		    !sg_pages_mergeable(pages[j], pages[j - 1]))
			break;
	return j;
}

/* What a failed append call gives back, so the table is as it was. */
struct sg_append_undo {
	unsigned int total_nents;	/* the table's before the call */
	struct scatterlist *first_new;	/* the first chunk the call added */
	struct scatterlist *link;	/* the entry that chains it, if any */
	struct scatterlist saved_link;	/* that entry before */
	struct scatterlist *first_old;	/* the first entry filled in an old chunk */
	unsigned int old_filled;	/* entries filled in old chunks */
};

/*
 * The entry after @cur for the next run, @needed entries still to come
 * (this one included, and the caller's pages to come). A chunk's last
 * entry takes a run only when it is the very last one; otherwise it links
 * a new chunk of min(@needed, SG_MAX_SINGLE_ALLOC) entries.
 */
static struct scatterlist *sg_append_slot(struct sg_append_table *app,
					  struct scatterlist *cur,
					  unsigned long needed,
					  const struct sg_chunk_src *src,
					  struct sg_append_undo *u)
{
	struct scatterlist *next = NULL, *chunk;
	unsigned int n;

	if (cur) {
		next = sg_next(cur);
		if (!next)
			return ERR_PTR(-EINVAL);
		if (!sg_is_last(next) || needed == 1)
			return next;
	}
	n = (unsigned int)min(needed, (unsigned long)SG_MAX_SINGLE_ALLOC);
	if (app->total_nents > UINT_MAX - n)
		return ERR_PTR(-EINVAL);
	chunk = sg_chunk_alloc(src, n);
	if (!chunk)
		return ERR_PTR(-ENOMEM);
	sg_init_table(chunk, n);
	if (!u->first_new) {
		u->first_new = chunk;
		if (next) {
			u->link = next;
			u->saved_link = *next;
		}
	}
	if (next) {
		next->offset = 0;
		next->length = 0;
		next->page_link = (unsigned long)chunk | SG_CHAIN;
		app->total_nents += n - 1;
	} else {
		app->sgt.sgl = chunk;
		app->total_nents = n;
	}
	return chunk;
}

static void sg_append_rollback(struct sg_append_table *app,
			       const struct sg_chunk_src *src,
			       struct sg_append_undo *u)
{
	struct scatterlist *sg = u->first_old;

	for (unsigned int k = 0; k < u->old_filled; k++, sg++) {
		sg->page_link &= SG_PAGE_LINK_MASK;
		sg->offset = 0;
		sg->length = 0;
	}
	if (!u->first_new)
		return;
	sg_free_chunks(src, u->first_new,
		       app->total_nents - u->total_nents + (u->link ? 1 : 0));
	if (u->link)
		*u->link = u->saved_link;
	else
		app->sgt.sgl = NULL;
	app->total_nents = u->total_nents;
}

/*
 * sg_alloc_append_table_from_pages() with the chunks from @src. The
 * checks are the callers'; here @n_pages >= 1 and @size fits the pages.
 */
static int sg_append_pages(struct sg_append_table *app, struct page **pages,
			   unsigned int n_pages, unsigned int offset,
			   unsigned long size, unsigned long max_pages,
			   unsigned int left_pages,
			   const struct sg_chunk_src *src)
{
	struct scatterlist *prv = app->prv, *s = prv;
	unsigned int prv_len = prv ? prv->length : 0;
	struct sg_append_undo u = { .total_nents = app->total_nents };
	unsigned int chunks, added = 0, cur, i;

	if (prv) {
		phys_addr_t end = sg_phys(prv) + prv->length;
		unsigned int merged = 0;

		/* whole pages straight after the last entry extend it */
		while (merged < n_pages && !(end & ~PAGE_MASK) &&
		       page_to_pfn(pages[merged]) == PHYS_PFN(end) &&
		       pages[merged]->pgmap == sg_page(prv)->pgmap) {
			unsigned long len = min(size, PAGE_SIZE);

			if (prv->length + len > max_pages << PAGE_SHIFT)
				break;
			prv->length += (unsigned int)len;
			end += len;
			size -= len;
			merged++;
		}
		pages += merged;
		n_pages -= merged;
		if (!n_pages)
			goto out;
	}

	for (chunks = 0, cur = 0; cur < n_pages; chunks++)
		cur = sg_run_end(pages, n_pages, cur, max_pages);
	if (chunks > UINT_MAX - app->sgt.nents) {
		if (prv)
			prv->length = prv_len;
		return -EINVAL;
	}

	for (i = 0, cur = 0; cur < n_pages; i++) {
		unsigned int j = sg_run_end(pages, n_pages, cur, max_pages);
		unsigned long len = ((unsigned long)(j - cur) << PAGE_SHIFT) - offset;

		s = sg_append_slot(app, s, (unsigned long)(chunks - i) + left_pages,
				   src, &u);
		if (IS_ERR(s)) {
			sg_append_rollback(app, src, &u);
			if (prv)
				prv->length = prv_len;
			return (int)PTR_ERR(s);
		}
		if (len > size)
			len = size;
		sg_set_page(s, pages[cur], (unsigned int)len, offset);
		if (!u.first_new && !u.old_filled++)
			u.first_old = s;
		size -= len;
		offset = 0;
		cur = j;
		added++;
	}
	app->sgt.nents += added;
	app->sgt.orig_nents = app->sgt.nents;
	app->prv = s;
out:
	if (!left_pages)
		sg_mark_end(s);
	return 0;
}

/* The checks both forms make; 0 or -EINVAL. */
static int sg_from_pages_check(struct page **pages, unsigned int n_pages,
			       unsigned int offset, unsigned long size,
			       unsigned int max_segment)
{
	struct sim_machine *m = sim_current_machine();

	if (max_segment < PAGE_SIZE) {
		if (m)
			SIM_WARN(m, NULL, "sg table from pages: max_segment %u is below a page",
				 max_segment);
		return -EINVAL;
	}
	/* the pages hold @size bytes from @offset, their last one some */
	if (!pages || !n_pages || offset >= PAGE_SIZE || !size ||
	    size > (unsigned long)n_pages * PAGE_SIZE - offset ||
	    offset + size <= (unsigned long)(n_pages - 1) * PAGE_SIZE)
		return -EINVAL;
	for (unsigned int i = 0; i < n_pages; i++)
		if (!pages[i])
			return -EINVAL;
	return 0;
}

/**
 * sg_alloc_append_table_from_pages - add pages to a table, merging runs
 * @sgt_append: the table, zeroed before the first call; the caller's, its
 *	chunks the current machine's until sg_free_append_table()
 * @pages: @n_pages pages (at least one), held by the caller
 * @offset: where the bytes start in the first page; 0 when appending to
 *	a table that has entries (otherwise a WARN)
 * @size: the bytes, from @offset: all pages but the last full, the last
 *	one holding at least one
 * @max_segment: an entry's bytes at most, rounded down to whole pages (at
 *	least one, or a WARN)
 * @left_pages: pages the caller will still add by later calls; 0 on the
 *	last call, which ends the list: no call may follow it
 * @gfp: GFP_KERNEL or GFP_ATOMIC
 *
 * A run of physically contiguous pages becomes one entry, of up to
 * @max_segment bytes; the first run extends the table's last entry when it
 * ends on a page boundary right before it. Chunks are sized for what
 * remains (@left_pages included) and chained as the kernel does.
 *
 * Return: 0, or -EINVAL (bad arguments, a table already ended or not
 * zeroed, entry counts beyond unsigned int), -ENOMEM (no current machine, out of memory).
 * On failure the table is as it was before the call.
 */
int sg_alloc_append_table_from_pages(struct sg_append_table *sgt_append,
				     struct page **pages, unsigned int n_pages,
				     unsigned int offset, unsigned long size,
				     unsigned int max_segment,
				     unsigned int left_pages, gfp_t gfp)
{
	struct sg_chunk_src src = { .m = sim_current_machine(), .counted = true };
	int ret;

	(void)gfp;
	if (!sgt_append)
		return -EINVAL;
	max_segment = (unsigned int)ALIGN_DOWN((unsigned long)max_segment,
					       PAGE_SIZE);
	ret = sg_from_pages_check(pages, n_pages, offset, size, max_segment);
	if (ret)
		return ret;
	if (sgt_append->prv) {
		if (offset) {
			if (src.m)
				SIM_WARN(src.m, NULL, "sg_alloc_append_table_from_pages: offset %u when appending",
					 offset);
			return -EINVAL;
		}
		/* the last call (left_pages 0) ended the list */
		if (sg_is_last(sgt_append->prv))
			return -EINVAL;
	} else if (sgt_append->sgt.sgl) {
		/* entries but no last one: not a table this call made */
		return -EINVAL;
	}
	return sg_append_pages(sgt_append, pages, n_pages, offset, size,
			       max_segment >> PAGE_SHIFT, left_pages, &src);
}

/**
 * sg_free_append_table - free the chunks of an append table
 * @sgt_append: from sg_alloc_append_table_from_pages() (NULL, or never
 *	filled: nothing); zeroed again, ready for a first call
 *
 * The chunks go back to the current machine, the one they came from (with
 * none, they are freed without being counted back); the pages the entries
 * point at stay the caller's.
 */
void sg_free_append_table(struct sg_append_table *sgt_append)
{
	struct sg_chunk_src src = { .m = sim_current_machine(), .counted = true };

	if (!sgt_append)
		return;
	sg_free_chunks(&src, sgt_append->sgt.sgl, sgt_append->total_nents);
	memset(sgt_append, 0, sizeof(*sgt_append));
}

/**
 * sg_alloc_table_from_pages_segment - a table of merged runs of pages
 * @sgt: the table, filled here; the caller's, free with sg_free_table()
 * @pages, @n_pages, @offset, @size, @max_segment: as
 *	sg_alloc_append_table_from_pages() takes them
 * @gfp: GFP_KERNEL or GFP_ATOMIC
 *
 * Its chunks are sg_alloc_table()'s, sized and chained the same way.
 *
 * Return: 0, -EINVAL (bad arguments), or -ENOMEM; on failure nothing is
 * left allocated and *@sgt is zeroed.
 */
int sg_alloc_table_from_pages_segment(struct sg_table *sgt, struct page **pages,
				      unsigned int n_pages, unsigned int offset,
				      unsigned long size,
				      unsigned int max_segment, gfp_t gfp)
{
	struct sg_chunk_src src = { .m = sim_current_machine() };
	struct sg_append_table app = { 0 };
	int ret;

	(void)gfp;
	if (!sgt)
		return -EINVAL;
	memset(sgt, 0, sizeof(*sgt));
	max_segment = (unsigned int)ALIGN_DOWN((unsigned long)max_segment,
					       PAGE_SIZE);
	ret = sg_from_pages_check(pages, n_pages, offset, size, max_segment);
	if (!ret)
		ret = sg_append_pages(&app, pages, n_pages, offset, size,
				      max_segment >> PAGE_SHIFT, 0, &src);
	if (ret)
		return ret;
	/* with nothing to come, every chunk is full: sg_free_table() walks it */
	*sgt = app.sgt;
	return 0;
}

/**
 * sg_alloc_table_from_pages - sg_alloc_table_from_pages_segment() with no
 *	limit on an entry's bytes but what its length field holds
 */
int sg_alloc_table_from_pages(struct sg_table *sgt, struct page **pages,
			      unsigned int n_pages, unsigned int offset,
			      unsigned long size, gfp_t gfp)
{
	return sg_alloc_table_from_pages_segment(sgt, pages, n_pages, offset,
						 size, UINT_MAX, gfp);
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

/* ------------------------------------------------------------------------ */
/* Lists of freshly allocated pages                                         */
/* ------------------------------------------------------------------------ */

/**
 * sgl_alloc_order - a list of blocks of 2^@order pages holding @length bytes
 * @length: the bytes (not 0); every entry but the last holds a whole block
 * @order: of each block, 0 .. MAX_PAGE_ORDER
 * @chainable: one entry more at the end, empty, for sg_chain()
 * @gfp: for alloc_pages() (zone modifiers, __GFP_ZERO)
 * @nent_p: set to the entries holding bytes (the extra one not counted),
 *	on success only; may be NULL
 *
 * The blocks come from alloc_pages() of the current machine, the list
 * itself is its allocation too; both are the caller's until
 * sgl_free_order() (sgl_free() for order 0) on the same machine.
 *
 * Return: the list, or NULL (no current machine, @length 0 or more than
 * the machine's RAM, @order too large, out of memory: nothing is left
 * allocated).
 */
struct scatterlist *sgl_alloc_order(unsigned long long length,
				    unsigned int order, bool chainable,
				    gfp_t gfp, unsigned int *nent_p)
{
	struct sim_machine *m = sim_current_machine();
	unsigned long long block, nent, left;
	struct scatterlist *sgl, *sg;

	if (!m || !length || order > MAX_PAGE_ORDER)
		return NULL;
	block = PAGE_SIZE << order;
	nent = length / block + (length % block != 0);
	/* more blocks than the machine has RAM for would never come */
	if (nent > sim_ram_size(m) / block || nent + chainable > UINT_MAX)
		return NULL;
	sgl = sim_kcalloc(m, (size_t)(nent + chainable), sizeof(*sgl));
	if (!sgl)
		return NULL;
	sg_init_table(sgl, (unsigned int)(nent + chainable));
	for (sg = sgl, left = length; left; sg = sg_next(sg)) {
		unsigned long long len = min(left, block);
		struct page *page = alloc_pages(gfp, order);

		if (!page) {
			sgl_free_order(sgl, (int)order);
			return NULL;
		}
		sg_set_page(sg, page, (unsigned int)len, 0);
		left -= len;
	}
	if (nent_p)
		*nent_p = (unsigned int)nent;
	return sgl;
}

/** sgl_alloc - sgl_alloc_order() of single pages, not chainable */
struct scatterlist *sgl_alloc(unsigned long long length, gfp_t gfp,
			      unsigned int *nent_p)
{
	return sgl_alloc_order(length, 0, false, gfp, nent_p);
}

/**
 * sgl_free_n_order - free a list from sgl_alloc_order() and its blocks
 * @sgl: the list (NULL: nothing)
 * @nents: entries whose blocks to free at most (the list's end stops
 *	sooner; an entry without a page is passed over)
 * @order: what the list was allocated with (another is a BUG report of
 *	the page allocator's, and those blocks stay allocated)
 *
 * The list goes back to the current machine, the one it came from (with
 * none, it is freed without being counted back).
 */
void sgl_free_n_order(struct scatterlist *sgl, int nents, int order)
{
	struct sim_machine *m = sim_current_machine();
	struct scatterlist *sg = sgl;

	if (!sgl)
		return;
	for (int i = 0; sg && i < nents; i++, sg = sg_next(sg)) {
		struct page *page = sg_page(sg);

		if (page)
			__free_pages(page, (unsigned int)order);
	}
	if (m)
		sim_kfree(m, sgl);
	else
		free(sgl);
}

/** sgl_free_order - sgl_free_n_order() of every entry of the list */
void sgl_free_order(struct scatterlist *sgl, int order)
{
	sgl_free_n_order(sgl, INT_MAX, order);
}

/** sgl_free - sgl_free_order() of a list of single pages (sgl_alloc()) */
void sgl_free(struct scatterlist *sgl)
{
	sgl_free_order(sgl, 0);
}
