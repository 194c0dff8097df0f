/* SPDX-License-Identifier: MIT */
/*
 * Page allocation with the kernel's signatures. The machine is the calling
 * thread's current one: the machine it created last, or entered
 * (sim_set_current_machine()), or whose interrupt handler it runs.
 */
#ifndef _DMASTACK_LINUX_GFP_H
#define _DMASTACK_LINUX_GFP_H

#include "types.h"
#include "nodemask.h"

#ifdef __cplusplus
extern "C" {
#endif

struct page;

/* NULL without a current machine, above MAX_PAGE_ORDER or out of memory. */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
/* The CPU address of the pages, 0 on failure. */
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
unsigned long get_zeroed_page(gfp_t gfp);
void free_pages(unsigned long addr, unsigned int order);
/* Make an order-@order block single pages, each freed alone. */
void split_page(struct page *page, unsigned int order);
/* @size bytes of contiguous pages (a split block, its tail given back). */
void *alloc_pages_exact(size_t size, gfp_t gfp);
void free_pages_exact(void *virt, size_t size);

#define alloc_page(gfp)			alloc_pages(gfp, 0)
#define __free_page(page)		__free_pages((page), 0)
#define __get_free_page(gfp)		__get_free_pages((gfp), 0)
#define free_page(addr)			free_pages((addr), 0)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_GFP_H */
