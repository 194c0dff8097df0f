/* SPDX-License-Identifier: MIT */
/*
 * Temporary CPU mappings of pages: every RAM page is in the linear map
 * (there is no highmem), so they are its page_address(); the unmapping
 * calls do nothing.
 */
#ifndef _DMASTACK_LINUX_HIGHMEM_H
#define _DMASTACK_LINUX_HIGHMEM_H

#include <string.h>
#include "mm.h"

static inline void *kmap(struct page *page)
{
	return page_address(page);
}

static inline void kunmap(struct page *page)
{
	(void)page;
}

static inline void *kmap_local_page(struct page *page)
{
	return page_address(page);
}

static inline void *kmap_atomic(struct page *page)
{
	return page_address(page);
}

#define kunmap_local(addr)	((void)(addr))
#define kunmap_atomic(addr)	((void)(addr))

static inline void memcpy_from_page(char *to, struct page *page,
				    size_t offset, size_t len)
{
	memcpy(to, (char *)page_address(page) + offset, len);
}

static inline void memcpy_to_page(struct page *page, size_t offset,
				  const char *from, size_t len)
{
	memcpy((char *)page_address(page) + offset, from, len);
}

static inline void memzero_page(struct page *page, size_t offset, size_t len)
{
	memset((char *)page_address(page) + offset, 0, len);
}

static inline void clear_highpage(struct page *page)
{
	memset(page_address(page), 0, PAGE_SIZE);
}

#endif /* _DMASTACK_LINUX_HIGHMEM_H */
