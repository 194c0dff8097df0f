/* SPDX-License-Identifier: MIT */
/*
 * Pages of simulated RAM.
 *
 * Every RAM page frame of a machine has a struct page, created on first use
 * (like SPARSEMEM's memmap, untouched memory costs nothing). MMIO has none.
 */
#ifndef _DMASTACK_MM_H
#define _DMASTACK_MM_H

#include <dmastack/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct sim_ram_section;

/* page->flags bits */
#define PG_head		(1UL << 0)	/* first page of an allocated block */
#define PG_reserved	(1UL << 1)	/* firmware/boot reserved, never allocated */
#define PG_buddy	(1UL << 2)	/* inside an allocated block (tail) */

struct page {
	unsigned long flags;
	unsigned long pfn;
	unsigned int order;		/* valid on PG_head pages */
	int refcount;
	struct sim_ram_section *section;	/* owner, for page_address() */
	void *pgmap;			/* ZONE_DEVICE owner (P2PDMA), else NULL */
	/*
	 * page_address() of a page outside the RAM memmap (the kernel's
	 * WANT_PAGE_VIRTUAL field): set for P2PDMA pages, NULL for RAM.
	 */
	void *virtual;
};

static inline phys_addr_t page_to_phys(struct page *page)
{
	return PFN_PHYS(page->pfn);
}

static inline unsigned long page_to_pfn(struct page *page)
{
	return page->pfn;
}

static inline int get_order(unsigned long size)
{
	int order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

/* The CPU's (cached) view of a RAM page. */
void *page_address(struct page *page);

/* Machine-scoped equivalents of the kernel's global translations. */
struct page *sim_phys_to_page(struct sim_machine *m, phys_addr_t phys);
struct page *sim_virt_to_page(struct sim_machine *m, const void *vaddr);
phys_addr_t sim_virt_to_phys(struct sim_machine *m, const void *vaddr);
bool sim_pfn_valid(struct sim_machine *m, unsigned long pfn);
/* The P2PDMA page of a P2P virtual address (pci_alloc_p2pmem()), or NULL. */
struct page *sim_p2pmem_virt_to_page(struct sim_machine *m, const void *vaddr);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_MM_H */
