/* SPDX-License-Identifier: MIT */
/*
 * Pages of simulated RAM.
 *
 * Every RAM page frame of a machine has a struct page, created on first use
 * (like SPARSEMEM's memmap, untouched memory costs nothing). MMIO has none.
 */
#ifndef _DMASTACK_LINUX_MM_H
#define _DMASTACK_LINUX_MM_H

#include "compiler.h"
#include "types.h"
#include "gfp.h"
#include "align.h"
#include "mm_types.h"
#include "mmap_lock.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct sim_ram_section;

/* @addr rounded up to a page boundary */
#define PAGE_ALIGN(addr)	ALIGN(addr, PAGE_SIZE)

/* page->flags bits */
#define PG_head		(1UL << 0)	/* first page of an allocated block */
#define PG_reserved	(1UL << 1)	/* firmware/boot reserved, never allocated */
#define PG_buddy	(1UL << 2)	/* inside an allocated block (tail) */
#define PG_slab		(1UL << 3)	/* head of a slab (page->slab) */
#define PG_large_kmalloc (1UL << 4)	/* head of a kmalloc() above 8K */

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
	void *__cxx_field(virtual);	/* C++: virtual_ */
	void *slab;			/* the slab of a PG_slab page */
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
#define page_to_virt(page)	page_address(page)

/*
 * The kernel's global translations, on the calling thread's current
 * machine (<linux/gfp.h>). virt_to_page() and pfn_to_page() return NULL
 * where the kernel's would return a page that is not there.
 */
struct page *virt_to_page(const void *addr);
phys_addr_t virt_to_phys(const volatile void *addr);
void *phys_to_virt(phys_addr_t phys);
bool virt_addr_valid(const void *addr);
struct page *pfn_to_page(unsigned long pfn);
int pfn_valid(unsigned long pfn);

struct file;

/*
 * Map @len bytes of anonymous memory into current->mm (<linux/mman.h>
 * for the flags): @file NULL, MAP_ANONYMOUS | MAP_PRIVATE (or
 * MAP_SHARED), @prot PROT_READ with or without PROT_WRITE; @addr is a
 * hint unless MAP_FIXED (then whatever was mapped there goes first).
 * Pages are faulted in (zeroed) on first touch. Returns the address, or
 * a negative errno as an unsigned long (IS_ERR_VALUE()): -EINVAL (bad
 * arguments, no current->mm), -ENODEV (a file), -ENOMEM (no room).
 * Takes mmap_write_lock().
 */
unsigned long vm_mmap(struct file *file, unsigned long addr,
		      unsigned long len, unsigned long prot,
		      unsigned long flag, unsigned long offset);
/*
 * Unmap [@start, @start + @len) of current->mm: the interval notifiers
 * covering it are told (MMU_NOTIFY_UNMAP), then its pages are freed.
 * 0, -EINVAL. Takes mmap_write_lock().
 */
int vm_munmap(unsigned long start, size_t len);


#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_MM_H */
