/* SPDX-License-Identifier: MIT */
/*
 * Scatterlists and sg_table, laid out and encoded as the kernel does:
 * page_link carries the page pointer with SG_CHAIN/SG_END in its low bits.
 */
#ifndef _DMASTACK_LINUX_SCATTERLIST_H
#define _DMASTACK_LINUX_SCATTERLIST_H

#include <sys/types.h>
#include "types.h"
#include "mm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct scatterlist {
	unsigned long page_link;
	unsigned int offset;
	unsigned int length;
	dma_addr_t dma_address;
	unsigned int dma_length;
	unsigned int dma_flags;
};

struct sg_table {
	struct scatterlist *sgl;	/* the list */
	unsigned int nents;		/* number of mapped entries */
	unsigned int orig_nents;	/* original size of list */
};

/*
 * A table that grows by sg_alloc_append_table_from_pages() calls: start
 * from a zeroed one, free with sg_free_append_table() (its chunks may hold
 * entries beyond orig_nents, which sg_free_table() would not find).
 */
struct sg_append_table {
	struct sg_table sgt;		/* the table built so far */
	struct scatterlist *prv;	/* its last entry in use, NULL if none */
	unsigned int total_nents;	/* entries allocated, chain links too */
};

#define SG_CHAIN	0x01UL
#define SG_END		0x02UL
#define SG_PAGE_LINK_MASK (SG_CHAIN | SG_END)

/* sg->dma_flags: the DMA address is a PCI bus address (P2PDMA) */
#define SG_DMA_BUS_ADDRESS	(1 << 0)
/* sg->dma_flags: the DMA address was linked through the IOVA API */
#define SG_DMA_SWIOTLB		(1 << 1)

#define sg_dma_address(sg)	((sg)->dma_address)
#define sg_dma_len(sg)		((sg)->dma_length)

static inline bool sg_is_chain(struct scatterlist *sg)
{
	return sg->page_link & SG_CHAIN;
}

static inline bool sg_is_last(struct scatterlist *sg)
{
	return sg->page_link & SG_END;
}

static inline struct scatterlist *sg_chain_ptr(struct scatterlist *sg)
{
	return (struct scatterlist *)(sg->page_link & ~SG_PAGE_LINK_MASK);
}

static inline struct page *sg_page(struct scatterlist *sg)
{
	return (struct page *)(sg->page_link & ~SG_PAGE_LINK_MASK);
}

static inline void sg_assign_page(struct scatterlist *sg, struct page *page)
{
	unsigned long page_link = sg->page_link & (SG_CHAIN | SG_END);

	sg->page_link = page_link | (unsigned long)page;
}

static inline void sg_set_page(struct scatterlist *sg, struct page *page,
			       unsigned int len, unsigned int offset)
{
	sg_assign_page(sg, page);
	sg->offset = offset;
	sg->length = len;
}

static inline phys_addr_t sg_phys(struct scatterlist *sg)
{
	return page_to_phys(sg_page(sg)) + sg->offset;
}

static inline void *sg_virt(struct scatterlist *sg)
{
	return (char *)page_address(sg_page(sg)) + sg->offset;
}

static inline void sg_mark_end(struct scatterlist *sg)
{
	sg->page_link |= SG_END;
	sg->page_link &= ~SG_CHAIN;
}

static inline void sg_unmark_end(struct scatterlist *sg)
{
	sg->page_link &= ~SG_END;
}

/* End an array of @nents entries at its last one (@nents must not be 0). */
static inline void sg_init_marker(struct scatterlist *sgl, unsigned int nents)
{
	sg_mark_end(&sgl[nents - 1]);
}

/*
 * Point @sg at @buflen bytes from the CPU address @buf (kmalloc() memory,
 * page_address() of a page, P2P memory): its page and the offset in it,
 * by virt_to_page() on the current machine. For any other address the
 * entry gets no page (sg_page() NULL), where the kernel's would get a wild
 * pointer. The bytes may run on into the following pages.
 */
static inline void sg_set_buf(struct scatterlist *sg, const void *buf,
			      unsigned int buflen)
{
	sg_set_page(sg, virt_to_page(buf), buflen,
		    (unsigned int)offset_in_page(buf));
}

static inline bool sg_dma_is_bus_address(struct scatterlist *sg)
{
	return sg->dma_flags & SG_DMA_BUS_ADDRESS;
}

static inline void sg_dma_mark_bus_address(struct scatterlist *sg)
{
	sg->dma_flags |= SG_DMA_BUS_ADDRESS;
}

static inline void sg_dma_unmark_bus_address(struct scatterlist *sg)
{
	sg->dma_flags &= ~SG_DMA_BUS_ADDRESS;
}

struct scatterlist *sg_next(struct scatterlist *sg);
int sg_nents(struct scatterlist *sg);
int sg_nents_for_len(struct scatterlist *sg, u64 len);
struct scatterlist *sg_last(struct scatterlist *sgl, unsigned int nents);
void sg_init_table(struct scatterlist *sgl, unsigned int nents);
void sg_init_one(struct scatterlist *sg, struct page *page, unsigned int len,
		 unsigned int offset);
void sg_chain(struct scatterlist *prv, unsigned int prv_nents,
	      struct scatterlist *sgl);
int sg_alloc_table(struct sg_table *table, unsigned int nents, gfp_t gfp);
void sg_free_table(struct sg_table *table);
int sg_alloc_table_from_pages(struct sg_table *sgt, struct page **pages,
			      unsigned int n_pages, unsigned int offset,
			      unsigned long size, gfp_t gfp);
int sg_alloc_table_from_pages_segment(struct sg_table *sgt, struct page **pages,
				      unsigned int n_pages, unsigned int offset,
				      unsigned long size,
				      unsigned int max_segment, gfp_t gfp);
int sg_alloc_append_table_from_pages(struct sg_append_table *sgt_append,
				     struct page **pages, unsigned int n_pages,
				     unsigned int offset, unsigned long size,
				     unsigned int max_segment,
				     unsigned int left_pages, gfp_t gfp);
void sg_free_append_table(struct sg_append_table *sgt_append);

struct scatterlist *sgl_alloc_order(unsigned long long length,
				    unsigned int order, bool chainable,
				    gfp_t gfp, unsigned int *nent_p);
struct scatterlist *sgl_alloc(unsigned long long length, gfp_t gfp,
			      unsigned int *nent_p);
void sgl_free_n_order(struct scatterlist *sgl, int nents, int order);
void sgl_free_order(struct scatterlist *sgl, int order);
void sgl_free(struct scatterlist *sgl);

size_t sg_copy_buffer(struct scatterlist *sgl, unsigned int nents, void *buf,
		      size_t buflen, off_t skip, bool to_buffer);
size_t sg_copy_from_buffer(struct scatterlist *sgl, unsigned int nents,
			   const void *buf, size_t buflen);
size_t sg_copy_to_buffer(struct scatterlist *sgl, unsigned int nents,
			 void *buf, size_t buflen);
size_t sg_pcopy_from_buffer(struct scatterlist *sgl, unsigned int nents,
			    const void *buf, size_t buflen, off_t skip);
size_t sg_pcopy_to_buffer(struct scatterlist *sgl, unsigned int nents,
			  void *buf, size_t buflen, off_t skip);
size_t sg_zero_buffer(struct scatterlist *sgl, unsigned int nents,
		      size_t buflen, off_t skip);

/*
 * Page by page through a list: the page (for_each_sg_page) or the DMA
 * address (for_each_sg_dma_page) of each PAGE_SIZE step of the entries.
 */
struct sg_page_iter {
	struct scatterlist *sg;		/* the entry the page is in */
	unsigned int sg_pgoffset;	/* which page of that entry */

	/* the walk's own state */
	unsigned int __nents;		/* entries left, the current one too */
	int __pg_advance;		/* pages to step at the next call */
};

/* The same walk over the DMA side (sg_dma_len()) of a mapped list. */
struct sg_dma_page_iter {
	struct sg_page_iter base;
};

void __sg_page_iter_start(struct sg_page_iter *piter,
			  struct scatterlist *sglist, unsigned int nents,
			  unsigned long pgoffset);
bool __sg_page_iter_next(struct sg_page_iter *piter);
bool __sg_page_iter_dma_next(struct sg_dma_page_iter *dma_iter);

/*
 * The page the iterator is at: the entry's page, or the one @sg_pgoffset
 * frames after it (pfn_to_page(), on the current machine, as the kernel's
 * nth_page() does with a sparse memmap).
 */
static inline struct page *sg_page_iter_page(struct sg_page_iter *piter)
{
	struct page *page = sg_page(piter->sg);

	if (!page || !piter->sg_pgoffset)
		return page;
	return pfn_to_page(page_to_pfn(page) + piter->sg_pgoffset);
}

/* The DMA address of the page the DMA iterator is at. */
static inline dma_addr_t
sg_page_iter_dma_address(struct sg_dma_page_iter *dma_iter)
{
	return sg_dma_address(dma_iter->base.sg) +
	       ((dma_addr_t)dma_iter->base.sg_pgoffset << PAGE_SHIFT);
}

#define for_each_sg_page(sglist, piter, nents, pgoffset)		\
	for (__sg_page_iter_start((piter), (sglist), (nents), (pgoffset)); \
	     __sg_page_iter_next(piter);)

#define for_each_sg_dma_page(sglist, dma_iter, dma_nents, pgoffset)	\
	for (__sg_page_iter_start(&(dma_iter)->base, (sglist), (dma_nents), \
				  (pgoffset));				\
	     __sg_page_iter_dma_next(dma_iter);)

#define for_each_sgtable_page(sgt, piter, pgoffset)			\
	for_each_sg_page((sgt)->sgl, piter, (sgt)->orig_nents, pgoffset)

#define for_each_sgtable_dma_page(sgt, dma_iter, pgoffset)		\
	for_each_sg_dma_page((sgt)->sgl, dma_iter, (sgt)->nents, pgoffset)

/*
 * The mapping iterator: the bytes of a list one page-sized piece at a time,
 * at CPU addresses (page_address() of each page: the CPU's view of RAM).
 */
#define SG_MITER_ATOMIC		(1 << 0)	/* no sleeping between start and stop */
#define SG_MITER_TO_SG		(1 << 1)	/* the caller writes the pieces */
#define SG_MITER_FROM_SG	(1 << 2)	/* the caller reads the pieces */

struct sg_mapping_iter {
	/* what sg_miter_next() gives: read these, set @consumed */
	struct page *page;		/* the page of the piece */
	void *addr;			/* its CPU address */
	size_t length;			/* its bytes */
	size_t consumed;		/* bytes used (default: all of them) */
	struct sg_page_iter piter;	/* the page walk underneath */

	/* the iterator's own state */
	unsigned int __offset;		/* where the piece starts in its page */
	unsigned int __remaining;	/* bytes of the page not yet used */
	unsigned int __flags;		/* SG_MITER_* */
};

void sg_miter_start(struct sg_mapping_iter *miter, struct scatterlist *sgl,
		    unsigned int nents, unsigned int flags);
bool sg_miter_skip(struct sg_mapping_iter *miter, off_t offset);
bool sg_miter_next(struct sg_mapping_iter *miter);
void sg_miter_stop(struct sg_mapping_iter *miter);

#define for_each_sg(sglist, sg, nr, __i)	\
	for (__i = 0, sg = (sglist); __i < (nr); __i++, sg = sg_next(sg))

#define for_each_sgtable_sg(sgt, sg, i)		\
	for_each_sg((sgt)->sgl, sg, (sgt)->orig_nents, i)

#define for_each_sgtable_dma_sg(sgt, sg, i)	\
	for_each_sg((sgt)->sgl, sg, (sgt)->nents, i)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_SCATTERLIST_H */
