// SPDX-License-Identifier: MIT
/*
 * A kernel-style user of the page allocator and of streaming DMA, written
 * as driver code is: <linux/...> includes only, the kernel's calls with the
 * kernel's signatures, nothing of the machine it runs on.
 */
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include "kmod.h"

static void fill(unsigned char *p, unsigned int len, unsigned char seed)
{
	for (unsigned int i = 0; i < len; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static int same(const unsigned char *p, unsigned int len, unsigned char seed)
{
	for (unsigned int i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return 0;
	return 1;
}

int kpages_selftest(void)
{
	struct page *page, *dma32;
	unsigned long addr;
	unsigned char *p;

	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	if (!page)
		return 1;
	p = page_address(page);
	for (unsigned long i = 0; i < 4 * PAGE_SIZE; i++)
		if (p[i])
			return 2;
	if (virt_to_page(p + 5) != page ||
	    page_to_pfn(virt_to_page(p + 3 * PAGE_SIZE + 5)) !=
	    page_to_pfn(page) + 3)
		return 3;
	if (pfn_to_page(page_to_pfn(page)) != page || !pfn_valid(page_to_pfn(page)))
		return 4;
	if (virt_to_phys(p) != page_to_phys(page) ||
	    phys_to_virt(page_to_phys(page)) != p || !virt_addr_valid(p))
		return 5;
	__free_pages(page, 2);

	dma32 = alloc_page(GFP_DMA32);
	if (!dma32 || page_to_phys(dma32) + PAGE_SIZE > (1ULL << 32))
		return 6;
	__free_page(dma32);

	addr = get_zeroed_page(GFP_KERNEL);
	if (!addr || *(unsigned long *)addr)
		return 7;
	if (virt_to_page((void *)addr) == NULL)
		return 8;
	free_page(addr);
	addr = __get_free_pages(GFP_KERNEL, 3);
	if (!addr)
		return 9;
	free_pages(addr, 3);

	/* what the kernel refuses */
	if (alloc_pages(GFP_KERNEL, 30))
		return 10;
	return 0;
}

int kpages_map(struct device *dev, struct kpages_buf *b, unsigned char seed)
{
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t dma;

	if (!page)
		return -ENOMEM;
	b->cpu = page_address(page);
	b->len = PAGE_SIZE;
	fill(b->cpu, b->len, seed);
	dma = dma_map_single(dev, b->cpu, b->len, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, dma)) {
		__free_page(page);
		return -EIO;
	}
	b->dma = dma;
	return 0;
}

int kpages_unmap(struct device *dev, struct kpages_buf *b, unsigned char seed)
{
	int ok;

	dma_unmap_single(dev, (dma_addr_t)b->dma, b->len, DMA_BIDIRECTIONAL);
	ok = same(b->cpu, b->len, seed);
	free_page((unsigned long)b->cpu);
	return ok ? 0 : -EIO;
}
