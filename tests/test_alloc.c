// SPDX-License-Identifier: MIT
/*
 * Allocations: dma_alloc_coherent / dma_free_coherent, dma_alloc_pages and
 * dma_alloc_noncoherent, the dma_pool, and a fail-Nth allocation sweep over
 * a scenario that uses all of them with a mapped scatterlist.
 */
#include <stdint.h>
#include "failnth.h"

#define PLAT_X86							\
	"machine name=al arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=4M\n"						\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0\n"					\
	"rootport id=rp1 bus=hb0\n"					\
	"pcidev id=dev32 bus=rp1 dma-bits=32\n"

#define PLAT_NC								\
	"machine name=nc arch=arm64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=4M\n"						\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0\n"

#define MIN(a, b)	((a) < (b) ? (a) : (b))

static bool all_bytes(const void *p, int c, size_t len)
{
	const u8 *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != (u8)c)
			return false;
	return true;
}

/* Leave recognisable garbage in the next pages the allocator hands out. */
static void dirty_next_pages(struct sim_machine *m, unsigned int order)
{
	struct page *p = sim_alloc_pages(m, order);

	assert_non_null(p);
	memset(page_address(p), 0xab, PAGE_SIZE << order);
	sim_free_pages(m, p, order);
}

/* ------------------------------------------------------------------------ */
/* dma_alloc_coherent                                                       */
/* ------------------------------------------------------------------------ */

static void test_coherent_alloc_basic(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	static const size_t sizes[] = { 1, 100, 4096, 5000, 65536, 4 << 20 };
	unsigned long pages0 = sim_ram_pages_allocated(m);
	u8 pat[256], buf[256];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t sz = sizes[i];
		dma_addr_t h = 0;
		u8 *c;

		dirty_next_pages(m, (unsigned int)get_order(sz));
		c = dma_alloc_coherent(dev, sz, &h, GFP_KERNEL);
		assert_non_null(c);
		assert_true(all_bytes(c, 0, sz));
		assert_int_equal(h & ~PAGE_MASK, 0);
		assert_true(h + sz - 1 <= dev->coherent_dma_mask);
		assert_ptr_equal(c, sim_phys_to_virt(m, h));
		assert_int_equal(sim_ram_pages_allocated(m),
				 pages0 + (1UL << get_order(sz)));
		assert_int_equal(sim_dma_debug_entries(m, dev), 1);

		/* Each side sees the other's writes at once. */
		fill_pattern(pat, sizeof(pat), (unsigned int)i);
		assert_int_equal(sim_dma_write(dev, h, pat, MIN(sz, sizeof(pat))), 0);
		assert_memory_equal(c, pat, MIN(sz, sizeof(pat)));
		fill_pattern(c, MIN(sz, sizeof(pat)), (unsigned int)i + 50);
		assert_int_equal(sim_dma_read(dev, h, buf, MIN(sz, sizeof(pat))), 0);
		assert_memory_equal(buf, c, MIN(sz, sizeof(pat)));
		dma_free_coherent(dev, sz, c, h);
		assert_int_equal(sim_ram_pages_allocated(m), pages0);
	}
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	{
		struct sim_dma_stats s;

		sim_dma_stats_get(m, &s);
		assert_int_equal(s.coherent_allocs, sizeof(sizes) / sizeof(sizes[0]));
	}
	sim_machine_destroy(m);
}

static void test_coherent_alloc_noncoherent_device(void **state)
{
	struct sim_machine *m = machine_from(PLAT_NC);
	struct device *dev = sim_device(m, "dev0");
	u8 pat[512], buf[512];
	struct page *p;
	dma_addr_t h;
	u8 *c;

	assert_false(dev_is_dma_coherent(dev));
	/* Put device-written data in the DRAM of the next page. */
	p = sim_alloc_pages(m, 0);
	assert_non_null(p);
	h = dma_map_phys(dev, page_to_phys(p), PAGE_SIZE, DMA_FROM_DEVICE, 0);
	assert_false(dma_mapping_error(dev, h));
	memset(buf, 0xcd, sizeof(buf));
	assert_int_equal(sim_dma_write(dev, h, buf, sizeof(buf)), 0);
	dma_unmap_phys(dev, h, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	sim_free_pages(m, p, 0);

	c = dma_alloc_coherent(dev, PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(c);
	/* zeroed in DRAM too: what the device reads */
	assert_true(all_bytes(c, 0, PAGE_SIZE));
	assert_int_equal(sim_dma_read(dev, h, buf, sizeof(buf)), 0);
	assert_true(all_bytes(buf, 0, sizeof(buf)));
	/* the CPU pointer is the uncached alias, not the linear map */
	assert_ptr_not_equal(c, sim_phys_to_virt(m, h));
	assert_int_equal(sim_virt_to_phys(m, c), h);

	/* no syncs needed either way */
	fill_pattern(c, sizeof(pat), 3);
	assert_int_equal(sim_dma_read(dev, h, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, c, sizeof(buf));
	fill_pattern(pat, sizeof(pat), 4);
	assert_int_equal(sim_dma_write(dev, h + 1024, pat, sizeof(pat)), 0);
	assert_memory_equal(c + 1024, pat, sizeof(pat));
	assert_int_equal(sim_dma_debug_errors(m), 0);
	dma_free_coherent(dev, PAGE_SIZE, c, h);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	sim_machine_destroy(m);
}

static void test_coherent_mask_placement(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	struct device *dev32 = sim_device(m, "dev32");
	dma_addr_t h64, h32, h24, hd;
	void *c64, *c32, *c24, *cd;

	c64 = dma_alloc_coherent(dev, 16384, &h64, GFP_KERNEL);
	assert_non_null(c64);
	/* the allocator prefers ZONE_NORMAL: above 4G on this machine */
	assert_true(h64 >= SZ_4G);

	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(32)), 0);
	c32 = dma_alloc_coherent(dev, 16384, &h32, GFP_KERNEL);
	assert_non_null(c32);
	assert_true(h32 + 16384 - 1 <= DMA_BIT_MASK(32));

	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(24)), 0);
	c24 = dma_alloc_coherent(dev, 16384, &h24, GFP_KERNEL);
	assert_non_null(c24);
	assert_true(h24 + 16384 - 1 <= DMA_BIT_MASK(24));

	/* a 32-bit device's default coherent mask, even asking for DMA32
	 * explicitly (zone flags are the DMA layer's business) */
	cd = dma_alloc_coherent(dev32, 4096, &hd, GFP_KERNEL | GFP_DMA32);
	assert_non_null(cd);
	assert_true(hd < SZ_4G);
	assert_int_equal(sim_dma_write(dev32, hd, "hi", 2), 0);

	dma_free_coherent(dev32, 4096, cd, hd);
	dma_free_coherent(dev, 16384, c24, h24);
	dma_free_coherent(dev, 16384, c32, h32);
	dma_free_coherent(dev, 16384, c64, h64);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_coherent_alloc_errors(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	unsigned long warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	dma_addr_t h = 0x1234;
	u64 saved;

	assert_null(dma_alloc_coherent(dev, 0, &h, GFP_KERNEL));
	/* order 11 is above MAX_PAGE_ORDER */
	assert_null(dma_alloc_coherent(dev, 8 << 20, &h, GFP_KERNEL));
	assert_null(dma_alloc_coherent(dev, (4 << 20) + 1, &h, GFP_KERNEL));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns);
	assert_null(dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL | __GFP_COMP));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "__GFP_COMP"));
	assert_int_equal(h, 0x1234);

	/* No coherent mask: warned, and nothing satisfies it. */
	saved = dev->coherent_dma_mask;
	dev->coherent_dma_mask = 0;
	assert_null(dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL));
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "has no coherent DMA mask"));
	dev->coherent_dma_mask = saved;

	/* Freeing NULL is a no-op. */
	dma_free_coherent(dev, 4096, NULL, 0);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_coherent_free_wrong_address(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	dma_addr_t ha, hb;
	void *a, *b;
	char needle[200];
	int local;

	a = dma_alloc_coherent(dev, 4096, &ha, GFP_KERNEL);
	b = dma_alloc_coherent(dev, 4096, &hb, GFP_KERNEL);
	assert_non_null(a);
	assert_non_null(b);

	/* B's CPU address with A's handle... */
	dma_free_coherent(dev, 4096, b, ha);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	snprintf(needle, sizeof(needle),
		 "device driver frees DMA memory with different CPU address [device address=0x%016llx] [size=4096 bytes] [cpu alloc address=0x%016llx] [cpu free address=0x%016llx]",
		 (unsigned long long)ha, (unsigned long long)ha,
		 (unsigned long long)hb);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG, needle));
	/* ...and the other way round; all memory is back in the end */
	dma_free_coherent(dev, 4096, a, hb);
	assert_int_equal(sim_dma_debug_errors(m), 2);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* A CPU address that is not the machine's memory at all. */
	a = dma_alloc_coherent(dev, 4096, &ha, GFP_KERNEL);
	assert_non_null(a);
	dma_free_coherent(dev, 4096, &local, ha);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "is not memory of this machine"));
	assert_int_equal(sim_ram_pages_allocated(m), 1);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);
	dma_free_coherent(dev, 4096, a, ha);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_dma_debug_errors(m), 2);

	/* Size mismatch on free. */
	a = dma_alloc_coherent(dev, 8192, &ha, GFP_KERNEL);
	assert_non_null(a);
	dma_free_coherent(dev, 8192 - 100, a, ha);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "[map size=8192 bytes] [unmap size=8092 bytes]"));
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* dma_alloc_pages / dma_alloc_noncoherent                                  */
/* ------------------------------------------------------------------------ */

static void test_alloc_pages_noncoherent(void **state)
{
	struct sim_machine *m = machine_from(PLAT_NC);
	struct device *dev = sim_device(m, "dev0");
	u8 pat[1024], buf[1024];
	struct page *pg;
	dma_addr_t h;
	u8 *v;

	pg = dma_alloc_pages(dev, 8192, &h, DMA_BIDIRECTIONAL, GFP_KERNEL);
	assert_non_null(pg);
	assert_int_equal(h, page_to_phys(pg));
	v = page_address(pg);
	assert_true(all_bytes(v, 0, 8192));
	assert_int_equal(sim_ram_pages_allocated(m), 2);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);

	/* CPU -> device needs dma_sync_single_for_device */
	fill_pattern(v + 4096, sizeof(pat), 1);
	assert_int_equal(sim_dma_read(dev, h + 4096, buf, sizeof(buf)), 0);
	assert_memory_not_equal(buf, v + 4096, sizeof(buf));
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "device reads memory the CPU has not written back"));
	dma_sync_single_for_device(dev, h + 4096, sizeof(pat), DMA_BIDIRECTIONAL);
	assert_int_equal(sim_dma_read(dev, h + 4096, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, v + 4096, sizeof(buf));

	/* device -> CPU needs dma_sync_single_for_cpu */
	fill_pattern(pat, sizeof(pat), 2);
	assert_int_equal(sim_dma_write(dev, h, pat, sizeof(pat)), 0);
	assert_memory_not_equal(v, pat, sizeof(pat));
	dma_sync_single_for_cpu(dev, h, sizeof(pat), DMA_BIDIRECTIONAL);
	assert_memory_equal(v, pat, sizeof(pat));
	assert_int_equal(sim_dma_debug_errors(m), 1);	/* only the stale read */
	dma_free_pages(dev, 8192, pg, h, DMA_BIDIRECTIONAL);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* the void * flavour */
	v = dma_alloc_noncoherent(dev, 3000, &h, DMA_FROM_DEVICE, GFP_KERNEL);
	assert_non_null(v);
	assert_ptr_equal(v, sim_phys_to_virt(m, h));
	assert_int_equal(sim_ram_pages_allocated(m), 1);
	fill_pattern(pat, sizeof(pat), 3);
	assert_int_equal(sim_dma_write(dev, h + 100, pat, sizeof(pat)), 0);
	assert_memory_not_equal(v + 100, pat, sizeof(pat));
	dma_sync_single_for_cpu(dev, h, 3000, DMA_FROM_DEVICE);
	assert_memory_equal(v + 100, pat, sizeof(pat));
	dma_sync_single_for_device(dev, h, 3000, DMA_FROM_DEVICE);
	dma_free_noncoherent(dev, 3000, v, h, DMA_FROM_DEVICE);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	sim_machine_destroy(m);
}

static void test_alloc_pages_errors(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	unsigned long warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	dma_addr_t h;
	u64 saved;

	assert_null(dma_alloc_pages(dev, 4096, &h, DMA_TO_DEVICE,
				    GFP_KERNEL | GFP_DMA32));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "zone modifiers"));
	assert_null(dma_alloc_pages(dev, 4096, &h, DMA_TO_DEVICE,
				    GFP_KERNEL | __GFP_COMP));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 2);
	assert_null(dma_alloc_noncoherent(dev, 4096, &h, DMA_TO_DEVICE,
					  GFP_KERNEL | GFP_DMA));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 3);
	saved = dev->coherent_dma_mask;
	dev->coherent_dma_mask = 0;
	assert_null(dma_alloc_pages(dev, 4096, &h, DMA_TO_DEVICE, GFP_KERNEL));
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "no coherent DMA mask"));
	dev->coherent_dma_mask = saved;
	assert_null(dma_alloc_pages(dev, 0, &h, DMA_TO_DEVICE, GFP_KERNEL));
	assert_null(dma_alloc_pages(dev, 8 << 20, &h, DMA_TO_DEVICE, GFP_KERNEL));
	dma_free_pages(dev, 4096, NULL, 0, DMA_TO_DEVICE);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* coherent machine: no syncs needed, the mask is honoured */
	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(32)), 0);
	{
		struct page *pg = dma_alloc_pages(dev, 4096, &h, DMA_TO_DEVICE,
						  GFP_KERNEL);
		u8 buf[16];

		assert_non_null(pg);
		assert_true(h < SZ_4G);
		memcpy(page_address(pg), "coherent x86 dev", 16);
		assert_int_equal(sim_dma_read(dev, h, buf, 16), 0);
		assert_memory_equal(buf, "coherent x86 dev", 16);
		/* freed with the wrong direction: dma-debug notices */
		dma_free_pages(dev, 4096, pg, h, DMA_FROM_DEVICE);
		assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
					    "[mapped with DMA_TO_DEVICE] [unmapped with DMA_FROM_DEVICE]"));
	}
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* dma_pool                                                                 */
/* ------------------------------------------------------------------------ */

static void test_pool_create_validation(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	long live = sim_alloc_live(m);
	struct dma_pool *p;

	assert_null(dma_pool_create("p", dev, 0, 8, 0));	/* size 0 */
	assert_null(dma_pool_create("p", dev, 64, 3, 0));	/* align */
	assert_null(dma_pool_create("p", dev, 64, 24, 0));
	assert_null(dma_pool_create("p", dev, 128, 8, 64));	/* boundary < size */
	assert_null(dma_pool_create("p", dev, 64, 8, 100));	/* not pow2 */
	assert_null(dma_pool_create("p", dev, 64, 8, 96));
	assert_null(dma_pool_create("p", dev, (size_t)1 << 40, 8, 0));
	assert_null(dma_pool_create("p", NULL, 64, 8, 0));
	assert_null(dma_pool_create(NULL, dev, 64, 8, 0));
	/* size rounded up to the alignment must still fit the boundary */
	assert_null(dma_pool_create("p", dev, 40, 64, 32));
	assert_int_equal(sim_alloc_live(m), live);

	p = dma_pool_create("ok", dev, 1, 0, 0);
	assert_non_null(p);
	dma_pool_destroy(p);
	p = dma_pool_create("ok", dev, 64, 64, 64);
	assert_non_null(p);
	dma_pool_destroy(p);
	dma_pool_destroy(NULL);
	assert_int_equal(sim_alloc_live(m), live);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	sim_machine_destroy(m);
}

static int cmp_addr(const void *a, const void *b)
{
	dma_addr_t x = *(const dma_addr_t *)a, y = *(const dma_addr_t *)b;

	return x < y ? -1 : x > y;
}

static void test_pool_alloc_boundary_align(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	enum { N = 100, SIZE = 96, ALIGN = 32, BOUNDARY = 256 };
	struct dma_pool *p = dma_pool_create("bnd", dev, SIZE, ALIGN, BOUNDARY);
	void *v[N];
	dma_addr_t d[N], sorted[N];
	unsigned int pages = 0;

	assert_non_null(p);
	for (int i = 0; i < N; i++) {
		v[i] = dma_pool_alloc(p, GFP_KERNEL, &d[i]);
		assert_non_null(v[i]);
		assert_int_equal(d[i] % ALIGN, 0);
		assert_int_equal((uintptr_t)v[i] % ALIGN, 0);
		assert_int_equal(d[i] / BOUNDARY, (d[i] + SIZE - 1) / BOUNDARY);
		assert_int_equal(sim_virt_to_phys(m, v[i]), d[i]);
		sorted[i] = d[i];
	}
	qsort(sorted, N, sizeof(sorted[0]), cmp_addr);
	for (int i = 1; i < N; i++) {
		assert_true(sorted[i - 1] + SIZE <= sorted[i]);
		if (sorted[i] >> PAGE_SHIFT != sorted[i - 1] >> PAGE_SHIFT)
			pages++;
	}
	/* 2 blocks per 256-byte window, 32 per page: 4 pages for 100 */
	assert_int_equal(pages + 1, 4);
	assert_int_equal(sim_ram_pages_allocated(m), 4);
	assert_int_equal(sim_dma_debug_entries(m, dev), 4);

	/* the device and the CPU agree on each block */
	for (int i = 0; i < N; i++) {
		u8 pat[SIZE];

		fill_pattern(pat, SIZE, (unsigned int)i);
		assert_int_equal(sim_dma_write(dev, d[i], pat, SIZE), 0);
	}
	for (int i = 0; i < N; i++) {
		u8 pat[SIZE];

		fill_pattern(pat, SIZE, (unsigned int)i);
		assert_memory_equal(v[i], pat, SIZE);
	}
	/* a freed block is reused before a new page is taken */
	dma_pool_free(p, v[37], d[37]);
	v[37] = dma_pool_alloc(p, GFP_KERNEL, &d[37]);
	assert_non_null(v[37]);
	assert_int_equal(sim_ram_pages_allocated(m), 4);
	for (int i = 0; i < N; i++)
		dma_pool_free(p, v[i], d[i]);
	dma_pool_destroy(p);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_alloc_live(m), 0);
	sim_machine_destroy(m);
}

static void test_pool_zalloc_and_poison(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	struct dma_pool *p = dma_pool_create("poison", dev, 200, 8, 0);
	dma_addr_t d, d2;
	u8 *v, *v2;

	assert_non_null(p);
	/* dma-debug on: fresh blocks are poisoned 0xa9 */
	v = dma_pool_alloc(p, GFP_KERNEL, &d);
	assert_non_null(v);
	assert_true(all_bytes(v, 0xa9, 200));
	memset(v, 0xff, 200);
	dma_pool_free(p, v, d);
	/* freed blocks are poisoned 0xa7 */
	assert_true(all_bytes(v, 0xa7, 200));
	/* zalloc zeroes */
	v2 = dma_pool_zalloc(p, GFP_KERNEL, &d2);
	assert_non_null(v2);
	assert_true(all_bytes(v2, 0, 200));
	dma_pool_free(p, v2, d2);

	/* dma-debug off: no poison; zalloc still zeroes */
	sim_dma_debug_enable(m, false);
	v = dma_pool_alloc(p, GFP_KERNEL, &d);
	assert_non_null(v);
	assert_false(all_bytes(v, 0xa9, 200));
	memset(v, 0x5a, 200);
	dma_pool_free(p, v, d);
	assert_true(all_bytes(v, 0x5a, 200));
	v = dma_pool_zalloc(p, GFP_KERNEL, &d);
	assert_true(all_bytes(v, 0, 200));
	dma_pool_free(p, v, d);
	sim_dma_debug_enable(m, true);
	dma_pool_destroy(p);

	/* a block bigger than a page */
	p = dma_pool_create("big", dev, 6000, 0, 0);
	assert_non_null(p);
	v = dma_pool_zalloc(p, GFP_KERNEL, &d);
	assert_non_null(v);
	assert_true(all_bytes(v, 0, 6000));
	v2 = dma_pool_alloc(p, GFP_KERNEL, &d2);
	assert_non_null(v2);
	assert_true(d2 + 6000 <= d || d + 6000 <= d2);
	assert_int_equal(sim_ram_pages_allocated(m), 4);
	dma_pool_free(p, v, d);
	dma_pool_free(p, v2, d2);
	dma_pool_destroy(p);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), 0);
	sim_machine_destroy(m);
}

static void test_pool_misuse(void **state)
{
	struct sim_machine *m = machine_from(PLAT_X86);
	struct device *dev = sim_device(m, "dev0");
	long live = sim_alloc_live(m);
	struct dma_pool *p = dma_pool_create("misuse", dev, 64, 64, 0);
	unsigned long warns;
	dma_addr_t d, d2;
	u8 *v, *v2;
	int local;

	assert_non_null(p);
	assert_true(sim_alloc_live(m) > live);
	v = dma_pool_alloc(p, GFP_KERNEL, &d);
	v2 = dma_pool_alloc(p, GFP_KERNEL, &d2);
	assert_non_null(v);
	assert_non_null(v2);

	warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	dma_pool_free(p, v, d);
	dma_pool_free(p, v, d);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "dma_pool_free misuse, dma "));
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "already free"));

	dma_pool_free(p, v2 + 1, d2 + 1);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 2);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "(bad vaddr)"));
	dma_pool_free(p, v2, d2 + 64);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 3);
	dma_pool_free(p, &local, 0x1234);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 4);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "(bad dma)"));
	/* none of that disturbed v2 */
	dma_pool_free(p, v2, d2);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 4);

	/* destroy with a busy block: reported; the bookkeeping is freed,
	 * the busy page stays with the device as in the kernel */
	v = dma_pool_alloc(p, GFP_KERNEL, &d);
	assert_non_null(v);
	dma_pool_destroy(p);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 5);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "dma_pool_destroy misuse busy"));
	assert_int_equal(sim_alloc_live(m), live);
	assert_int_equal(sim_ram_pages_allocated(m), 1);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);
	/* the device may still use the block */
	assert_int_equal(sim_dma_write(dev, d, "still here", 10), 0);
	assert_memory_equal(v, "still here", 10);
	/* the driver is unbound with that allocation pending */
	sim_device_unbind(dev);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "has pending DMA allocations while released from device [count=1]"));
	sim_machine_destroy(m);
}

static void test_pool_noncoherent_device(void **state)
{
	struct sim_machine *m = machine_from(PLAT_NC);
	struct device *dev = sim_device(m, "dev0");
	struct dma_pool *p = dma_pool_create("nc", dev, 128, 128, 0);
	u8 pat[128], buf[128];
	dma_addr_t d;
	u8 *v;

	assert_non_null(p);
	v = dma_pool_zalloc(p, GFP_KERNEL, &d);
	assert_non_null(v);
	assert_int_equal(sim_dma_read(dev, d, buf, 128), 0);
	assert_true(all_bytes(buf, 0, 128));
	fill_pattern(v, 128, 1);
	assert_int_equal(sim_dma_read(dev, d, buf, 128), 0);
	assert_memory_equal(buf, v, 128);
	fill_pattern(pat, 128, 2);
	assert_int_equal(sim_dma_write(dev, d, pat, 128), 0);
	assert_memory_equal(v, pat, 128);
	dma_pool_free(p, v, d);
	dma_pool_destroy(p);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Fail-Nth sweep                                                           */
/* ------------------------------------------------------------------------ */

#define SWEEP_BLOCKS	10
#define SWEEP_SG	3

/*
 * A driver's setup and teardown: a pool with blocks on several pages,
 * a coherent ring, and a bounced scatterlist of three buffers. Every
 * failure unwinds what was done; returns 0 or -ENOMEM.
 */
static int scenario(struct sim_machine *m, struct device *dev)
{
	struct dma_pool *pool;
	void *blk[SWEEP_BLOCKS] = { NULL };
	dma_addr_t blk_dma[SWEEP_BLOCKS];
	struct page *bufs[SWEEP_SG] = { NULL };
	struct sg_table sgt = { 0 };
	struct scatterlist *sg;
	dma_addr_t ring_dma;
	void *ring = NULL;
	int ret = -ENOMEM, i;
	unsigned int k;

	pool = dma_pool_create("sweep", dev, 1024, 64, 0);
	if (!pool)
		return -ENOMEM;
	for (i = 0; i < SWEEP_BLOCKS; i++) {
		blk[i] = dma_pool_zalloc(pool, GFP_KERNEL, &blk_dma[i]);
		if (!blk[i])
			goto out_blocks;
		if (sim_dma_write(dev, blk_dma[i], &i, sizeof(i)))
			goto out_blocks;
	}
	ring = dma_alloc_coherent(dev, 3 * PAGE_SIZE, &ring_dma, GFP_KERNEL);
	if (!ring)
		goto out_blocks;
	for (i = 0; i < SWEEP_SG; i++) {
		bufs[i] = sim_alloc_pages_range(m, 0, SZ_4G, ~0ULL);
		if (!bufs[i])
			goto out_bufs;
		fill_pattern(page_address(bufs[i]), PAGE_SIZE, (unsigned int)i);
	}
	if (sg_alloc_table(&sgt, SWEEP_SG, GFP_KERNEL))
		goto out_bufs;
	for_each_sgtable_sg(&sgt, sg, k)
		sg_set_page(sg, bufs[k], PAGE_SIZE - 64 * k, 32 * k);
	if (dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0))
		goto out_sgt;
	for_each_sgtable_dma_sg(&sgt, sg, k) {
		u8 b[PAGE_SIZE];

		if (sim_dma_read(dev, sg_dma_address(sg), b, sg_dma_len(sg)) ||
		    memcmp(b, sg_virt(sg), sg_dma_len(sg)))
			fail_msg("sg entry %u reads wrong data", k);
	}
	ret = 0;
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
out_sgt:
	sg_free_table(&sgt);
out_bufs:
	for (i = 0; i < SWEEP_SG; i++)
		sim_free_pages(m, bufs[i], 0);
	dma_free_coherent(dev, 3 * PAGE_SIZE, ring, ring_dma);
out_blocks:
	for (i = 0; i < SWEEP_BLOCKS; i++)
		if (blk[i])
			dma_pool_free(pool, blk[i], blk_dma[i]);
	dma_pool_destroy(pool);
	return ret;
}

struct alloc_sweep {
	struct sim_machine *m;
	struct device *dev;
};

static int alloc_sweep_run(void *ctx)
{
	struct alloc_sweep *w = ctx;
	int rc = scenario(w->m, w->dev);

	assert_true(rc == 0 || rc == -ENOMEM);
	return rc;
}

static void alloc_sweep_check(void *ctx, unsigned long n, int ret)
{
	struct alloc_sweep *w = ctx;

	assert_int_equal(swiotlb_used(w->dev), 0);
}

static void sweep(const char *platform, const char *devid)
{
	struct sim_machine *m = machine_from(platform);
	struct alloc_sweep w = { .m = m, .dev = sim_device(m, devid) };
	unsigned long pages0 = sim_ram_pages_allocated(m);
	long live0 = sim_alloc_live(m);
	struct failnth fn = {
		.name = devid, .m = m, .ctx = &w, .run = alloc_sweep_run,
		.check = alloc_sweep_check,
	};
	struct sim_dma_stats st;

	failnth_sweep(&fn);
	/* even the first run left nothing behind (no cache to warm) */
	assert_int_equal(sim_ram_pages_allocated(m), pages0);
	assert_int_equal(sim_alloc_live(m), live0);
	/* pool (2) + 3 pool pages (3 each) + ring (1) + 3 buffers (1 each) */
	assert_int_equal(fn.failed, 2 + 3 * 3 + 1 + 3);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), 0);
	sim_dma_stats_get(m, &st);
	assert_int_equal(st.maps, st.unmaps);
	assert_int_equal(machine_teardown(m, TD_BUG), 0);
}

/* A busy pool keeps every page it has, not only the busy one (Linux). */
static void test_pool_destroy_busy_keeps_all_pages(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct device *dev = sim_device(m, "dev0");
	unsigned long pages0 = sim_ram_pages_allocated(m);
	struct dma_pool *p = dma_pool_create("busy", dev, 2048, 0, 0);
	dma_addr_t d[4];
	void *v[4];

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 4; i++) {
		v[i] = dma_pool_alloc(p, GFP_KERNEL, &d[i]);
		assert_non_null(v[i]);
	}
	assert_int_equal(sim_ram_pages_allocated(m), pages0 + 2);
	for (int i = 0; i < 3; i++)
		dma_pool_free(p, v[i], d[i]);
	dma_pool_destroy(p);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "dma_pool_destroy busy busy"));
	assert_int_equal(sim_ram_pages_allocated(m), pages0 + 2);
	assert_int_equal(sim_dma_debug_entries(m, dev), 2);
	assert_int_equal(sim_dma_write(dev, d[3], "live", 4), 0);
	sim_machine_destroy(m);
}

static void test_fail_nth_sweep(void **state)
{
	/* a 32-bit device: the scatterlist bounces through swiotlb */
	sweep(PLAT_X86, "dev32");
	/* a non-coherent device: pool blocks come from the uncached alias */
	sweep(PLAT_NC, "dev0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coherent_alloc_basic),
		cmocka_unit_test(test_coherent_alloc_noncoherent_device),
		cmocka_unit_test(test_coherent_mask_placement),
		cmocka_unit_test(test_coherent_alloc_errors),
		cmocka_unit_test(test_coherent_free_wrong_address),
		cmocka_unit_test(test_alloc_pages_noncoherent),
		cmocka_unit_test(test_alloc_pages_errors),
		cmocka_unit_test(test_pool_create_validation),
		cmocka_unit_test(test_pool_alloc_boundary_align),
		cmocka_unit_test(test_pool_zalloc_and_poison),
		cmocka_unit_test(test_pool_misuse),
		cmocka_unit_test(test_pool_noncoherent_device),
		cmocka_unit_test(test_pool_destroy_busy_keeps_all_pages),
		cmocka_unit_test(test_fail_nth_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
