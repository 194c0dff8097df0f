// SPDX-License-Identifier: MIT
/*
 * swiotlb: forced bouncing in a confidential guest, the pool queries, the
 * mapping size limit and min_align_mask, exhaustion and recovery, the
 * direction rules of the copies, double unmaps, areas and concurrency,
 * and the alignment of page-sized mappings.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "api_scenario.h"
#include "failnth.h"
#include "variants.h"

/*
 * The confidential guest is the DMA API suites' machine on variant_cc
 * (variants.h: 4 CPUs, a 4M pool in 4 areas); these are the pools of a
 * size, area count or absence that only this suite needs.
 */
#define PLAT_CC_SMALL							\
	"machine name=ccs arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=256K force=yes\n"					\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0\n"

#define PLAT_PLAIN							\
	"machine name=pl arch=x86_64 ram=256M ram-below-4g=128M cpus=8\n" \
	"swiotlb size=4M\n"						\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0\n"					\
	"rootport id=rp1 bus=hb0\n"					\
	"pcidev id=dev32 bus=rp1 dma-bits=32\n"

#define PLAT_AREAS							\
	"machine name=ar arch=x86_64 ram=256M ram-below-4g=128M cpus=16\n" \
	"swiotlb size=4M areas=4\n"					\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0\n"

#define PLAT_NONE							\
	"machine name=no arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=0\n"						\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0\n"

/* ------------------------------------------------------------------------ */

static struct page *alloc_high(struct sim_machine *m, unsigned int order)
{
	struct page *p = sim_alloc_pages_range(m, order, SZ_4G, ~0ULL);

	assert_non_null(p);
	return p;
}

static void pool_range(struct sim_machine *m, phys_addr_t *start, u64 *size)
{
	struct sim_mem_range r;

	for (unsigned int i = 0; i < sim_mem_range_count(m); i++) {
		assert_int_equal(sim_mem_range_get(m, i, &r), 0);
		if (!strcmp(r.kind, "swiotlb")) {
			*start = r.start;
			*size = r.size;
			return;
		}
	}
	fail_msg("no swiotlb range");
}

static bool in_pool(struct sim_machine *m, dma_addr_t a, size_t len)
{
	phys_addr_t s;
	u64 sz;

	pool_range(m, &s, &sz);
	return a >= s && a + len <= s + sz;
}

static struct sim_dma_stats stats(struct sim_machine *m)
{
	struct sim_dma_stats s;

	sim_dma_stats_get(m, &s);
	return s;
}

/* ------------------------------------------------------------------------ */
/* Confidential guest                                                       */
/* ------------------------------------------------------------------------ */

static void test_confidential_bounces_everything(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 1);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	static const size_t sizes[] = { 1, 64, 2047, 2048, 3000, 4096, 8192 };
	static const enum dma_data_direction dirs[] = {
		DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL };
	u8 buf[8192], pat[8192];
	unsigned long n = 0;

	assert_true(sim_machine_is_confidential(m));
	assert_true(is_swiotlb_force_bounce(dev));

	/* The device cannot touch the guest's private memory. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(sim_dma_read(dev, phys, buf, 64), -EIO);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(sim_dma_write(dev, phys, buf, 64), -EIO);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_FAULT,
				    "private to the confidential guest"));
	/* and this is a fault, not a dma-debug finding */
	assert_int_equal(sim_dma_debug_errors(m), 0);

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (size_t d = 0; d < 3; d++) {
			size_t len = sizes[s];
			enum dma_data_direction dir = dirs[d];
			dma_addr_t a;

			fill_pattern(cpu, len, (unsigned int)(s * 3 + d));
			a = map_phys_ok(dev, phys, len, dir, 0);
			n++;
			assert_true(in_pool(m, a, len));
			assert_true(is_swiotlb_buffer(dev, dma_to_phys(dev, a)));
			if (dir != DMA_FROM_DEVICE) {
				assert_int_equal(sim_dma_read(dev, a, buf, len), 0);
				assert_memory_equal(buf, cpu, len);
			}
			if (dir != DMA_TO_DEVICE) {
				fill_pattern(pat, len, (unsigned int)(100 + s));
				assert_int_equal(sim_dma_write(dev, a, pat, len), 0);
			}
			dma_unmap_phys(dev, a, len, dir, 0);
			if (dir != DMA_TO_DEVICE)
				assert_memory_equal(cpu, pat, len);
		}
	}
	assert_int_equal(stats(m).bounced_maps, n);
	assert_int_equal(swiotlb_used(dev), 0);

	/* Scatterlists bounce entry by entry. */
	{
		struct sg_table sgt;
		struct scatterlist *sg;
		unsigned int i;

		assert_int_equal(sg_alloc_table(&sgt, 2, GFP_KERNEL), 0);
		sg_set_page(sgt.sgl, pg, 1000, 24);
		sg_set_page(sg_next(sgt.sgl), pg + 1, 3000, 0);
		fill_pattern(cpu, 8192, 77);
		assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), 0);
		for_each_sgtable_dma_sg(&sgt, sg, i) {
			assert_true(in_pool(m, sg_dma_address(sg), sg_dma_len(sg)));
			assert_int_equal(sim_dma_read(dev, sg_dma_address(sg), buf,
						      sg_dma_len(sg)), 0);
			assert_memory_equal(buf, sg_virt(sg), sg_dma_len(sg));
		}
		assert_true(swiotlb_used(dev) >= 2);
		dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
		sg_free_table(&sgt);
	}
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* Coherent memory is shared with the host: the device reaches it. */
	{
		dma_addr_t h;
		u8 *c = dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL);

		assert_non_null(c);
		assert_false(in_pool(m, h, 4096));
		fill_pattern(pat, 128, 5);
		assert_int_equal(sim_dma_write(dev, h, pat, 128), 0);
		assert_memory_equal(c, pat, 128);
		dma_free_coherent(dev, 4096, c, h);
	}
	sim_free_pages(m, pg, 1);
	sim_machine_destroy(m);
}

static void test_swiotlb_queries(void **state)
{
	struct sim_machine *cc = api_machine_new(&variant_cc);
	struct sim_machine *pl = machine_from(PLAT_PLAIN);
	struct sim_machine *no = machine_from(PLAT_NONE);
	struct device *ccd = sim_device(cc, "dev0");
	struct device *pld = sim_device(pl, "dev0");
	struct device *nod = sim_device(no, "dev0");
	phys_addr_t start;
	u64 size;

	assert_true(is_swiotlb_active(ccd));
	assert_true(is_swiotlb_force_bounce(ccd));
	assert_true(is_swiotlb_active(pld));
	assert_false(is_swiotlb_force_bounce(pld));
	assert_false(is_swiotlb_active(nod));
	assert_false(is_swiotlb_force_bounce(nod));
	assert_false(is_swiotlb_buffer(nod, 0x100000));
	assert_int_equal(swiotlb_nslabs(nod), 0);
	assert_int_equal(swiotlb_used(nod), 0);
	assert_int_equal(swiotlb_nareas(nod), 0);
	assert_false(sim_machine_is_confidential(pl));

	pool_range(pl, &start, &size);
	assert_int_equal(size, 4 * SZ_1M);
	assert_true(start + size <= 128 * SZ_1M);
	assert_int_equal(start % (2 * SZ_1M), 0);
	assert_true(is_swiotlb_buffer(pld, start));
	assert_true(is_swiotlb_buffer(pld, start + size - 1));
	assert_false(is_swiotlb_buffer(pld, start + size));
	assert_false(is_swiotlb_buffer(pld, start - 1));
	assert_int_equal(swiotlb_nslabs(pld), size / IO_TLB_SIZE);
	assert_int_equal(swiotlb_used(pld), 0);
	/* The pool is reserved: the page allocator never hands it out. */
	{
		struct page *p = sim_alloc_pages_range(pl, 0, start, start + size);

		assert_null(p);
	}
	/* No range without a pool. */
	for (unsigned int i = 0; i < sim_mem_range_count(no); i++) {
		struct sim_mem_range r;

		assert_int_equal(sim_mem_range_get(no, i, &r), 0);
		assert_string_not_equal(r.kind, "swiotlb");
	}
	sim_machine_destroy(no);
	sim_machine_destroy(pl);
	sim_machine_destroy(cc);
}

static void test_max_mapping_size(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct device *dev = sim_device(m, "dev0");
	struct page *blk = alloc_high(m, 7);	/* 512K */
	size_t max = 256 * SZ_1K;
	unsigned long warns;
	u8 *chk = malloc(max);
	dma_addr_t a;

	assert_non_null(chk);
	assert_int_equal(swiotlb_max_mapping_size(dev), max);
	assert_int_equal(dma_max_mapping_size(dev), max);
	assert_int_equal(IO_TLB_SIZE * IO_TLB_SEGSIZE, max);

	fill_pattern(page_address(blk), max, 3);
	a = map_phys_ok(dev, page_to_phys(blk), max, DMA_BIDIRECTIONAL, 0);
	assert_true(in_pool(m, a, max));
	assert_int_equal(swiotlb_used(dev), IO_TLB_SEGSIZE);
	assert_int_equal(sim_dma_read(dev, a, chk, max), 0);
	assert_memory_equal(chk, page_address(blk), max);
	dma_unmap_phys(dev, a, max, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(swiotlb_used(dev), 0);

	warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	a = dma_map_phys(dev, page_to_phys(blk), max + 1, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), -ENOMEM);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "swiotlb buffer is full (sz: 262145 bytes)"));
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	free(chk);
	sim_free_pages(m, blk, 7);
	sim_machine_destroy(m);
}

static void test_min_align_mask(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct device *dev = sim_device(m, "dev0");
	struct page *blk = alloc_high(m, 7);
	phys_addr_t phys = page_to_phys(blk);
	u8 *cpu = page_address(blk);
	static const unsigned int offs[] = { 0x934, 0x234, 0x7ff, 0x800, 0xfff };
	u8 *buf = malloc(256 * SZ_1K);
	size_t max;
	dma_addr_t a;

	assert_non_null(buf);
	assert_int_equal(dma_get_min_align_mask(dev), 0);
	dma_set_min_align_mask(dev, 0xfff);	/* NVMe's PRP rule */
	assert_int_equal(dma_get_min_align_mask(dev), 0xfff);
	max = swiotlb_max_mapping_size(dev);
	assert_int_equal(max, 256 * SZ_1K - SZ_4K);
	assert_int_equal(dma_max_mapping_size(dev), max);

	fill_pattern(cpu, 128 * SZ_1K, 9);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		static const size_t lens[] = { 512, 8192 };

		for (size_t l = 0; l < 2; l++) {
			a = map_phys_ok(dev, phys + offs[i], lens[l], DMA_TO_DEVICE, 0);
			assert_true(in_pool(m, a, lens[l]));
			assert_int_equal(a & 0xfff, offs[i]);
			assert_int_equal(sim_dma_read(dev, a, buf, lens[l]), 0);
			assert_memory_equal(buf, cpu + offs[i], lens[l]);
			dma_unmap_phys(dev, a, lens[l], DMA_TO_DEVICE, 0);
		}
	}
	/* The largest guaranteed mapping fits at the worst offset. */
	a = map_phys_ok(dev, phys + 0xfff, max, DMA_FROM_DEVICE, 0);
	assert_int_equal(a & 0xfff, 0xfff);
	fill_pattern(buf, max, 10);
	assert_int_equal(sim_dma_write(dev, a, buf, max), 0);
	dma_unmap_phys(dev, a, max, DMA_FROM_DEVICE, 0);
	assert_memory_equal(cpu + 0xfff, buf, max);
	assert_int_equal(swiotlb_used(dev), 0);

	dma_set_min_align_mask(dev, 0x7ff);
	assert_int_equal(swiotlb_max_mapping_size(dev), 256 * SZ_1K - SZ_2K);
	a = map_phys_ok(dev, phys + 0x3ab, 100, DMA_TO_DEVICE, 0);
	assert_int_equal(a & 0x7ff, 0x3ab);
	dma_unmap_phys(dev, a, 100, DMA_TO_DEVICE, 0);

	/* Without the mask the low bits are not kept. */
	dma_set_min_align_mask(dev, 0);
	assert_int_equal(swiotlb_max_mapping_size(dev), 256 * SZ_1K);
	a = map_phys_ok(dev, phys + 0x3ab, 100, DMA_TO_DEVICE, 0);
	assert_int_equal(a & (IO_TLB_SIZE - 1), 0);
	assert_int_equal(sim_dma_read(dev, a, buf, 100), 0);
	assert_memory_equal(buf, cpu + 0x3ab, 100);
	dma_unmap_phys(dev, a, 100, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	free(buf);
	sim_free_pages(m, blk, 7);
	sim_machine_destroy(m);
}

static void test_exhaustion_and_recovery(void **state)
{
	struct sim_machine *m = machine_from(PLAT_CC_SMALL);
	struct device *dev = sim_device(m, "dev0");
	struct page *blk = alloc_high(m, 7);
	phys_addr_t phys = page_to_phys(blk);
	unsigned long nslabs = swiotlb_nslabs(dev);
	dma_addr_t addrs[200];
	unsigned long warns;
	unsigned int n = 0;
	dma_addr_t a;

	assert_int_equal(nslabs, 128);
	assert_int_equal(swiotlb_nareas(dev), 1);
	fill_pattern(page_address(blk), 512 * SZ_1K, 1);

	for (;;) {
		assert_true(n < 200);
		a = dma_map_phys(dev, phys + n * 2048, 2048, DMA_TO_DEVICE, 0);
		if (dma_mapping_error(dev, a))
			break;
		addrs[n++] = a;
	}
	assert_int_equal(n, nslabs);
	assert_int_equal(swiotlb_used(dev), swiotlb_nslabs(dev));
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "swiotlb buffer is full (sz: 2048 bytes), total 128 (slots), used 128 (slots)"));
	assert_int_equal(stats(m).swiotlb_full, 1);
	assert_int_equal(sim_dma_debug_entries(m, dev), n);

	/* DMA_ATTR_NO_WARN: the same failure, silently. */
	warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	a = dma_map_phys(dev, phys, 64, DMA_TO_DEVICE, DMA_ATTR_NO_WARN);
	assert_true(dma_mapping_error(dev, a));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns);
	assert_int_equal(stats(m).swiotlb_full, 2);

	/* Every slot still carries the right data. */
	for (unsigned int i = 0; i < n; i++) {
		u8 buf[2048];

		assert_true(in_pool(m, addrs[i], 2048));
		assert_int_equal(sim_dma_read(dev, addrs[i], buf, 2048), 0);
		assert_memory_equal(buf, (u8 *)page_address(blk) + i * 2048, 2048);
	}
	/* Free in an interleaved order, then everything is back. */
	for (unsigned int i = 0; i < n; i += 2)
		dma_unmap_phys(dev, addrs[i], 2048, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), n / 2);
	for (unsigned int i = 1; i < n; i += 2)
		dma_unmap_phys(dev, addrs[i], 2048, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 0);

	/* Recovery: the whole segment is one free run again. */
	a = map_phys_ok(dev, phys, 256 * SZ_1K, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 128);
	dma_unmap_phys(dev, a, 256 * SZ_1K, DMA_TO_DEVICE, 0);
	a = map_phys_ok(dev, phys, 100, DMA_TO_DEVICE, 0);
	dma_unmap_phys(dev, a, 100, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	sim_free_pages(m, blk, 7);
	sim_machine_destroy(m);
}

static void test_sync_directions(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 p1[1024], p2[1024], p3[1024], buf[1024];
	unsigned long long bytes;
	dma_addr_t a;

	fill_pattern(p1, sizeof(p1), 1);
	fill_pattern(p2, sizeof(p2), 2);
	fill_pattern(p3, sizeof(p3), 3);

	/* TO_DEVICE */
	memcpy(cpu, p1, 1024);
	a = map_phys_ok(dev, phys, 1024, DMA_TO_DEVICE, 0);
	memcpy(cpu, p2, 1024);
	assert_int_equal(sim_dma_read(dev, a, buf, 1024), 0);
	assert_memory_equal(buf, p1, 1024);		/* copied at map */
	/* the CPU wrote after the map: a missing sync, and reported */
	assert_int_equal(sim_dma_debug_errors(m), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "device read of DMA memory the CPU wrote after giving it to the device"));
	dma_sync_single_for_device(dev, a, 1024, DMA_TO_DEVICE);
	assert_int_equal(sim_dma_read(dev, a, buf, 1024), 0);
	assert_memory_equal(buf, p2, 1024);		/* copied at sync */
	sim_dma_debug_enable(m, false);
	assert_int_equal(sim_dma_write(dev, a, p3, 1024), 0);
	sim_dma_debug_enable(m, true);
	bytes = stats(m).bounced_bytes;
	dma_sync_single_for_cpu(dev, a, 1024, DMA_TO_DEVICE);
	assert_int_equal(stats(m).bounced_bytes, bytes);	/* no copy back */
	assert_memory_equal(cpu, p2, 1024);
	dma_unmap_phys(dev, a, 1024, DMA_TO_DEVICE, 0);
	assert_memory_equal(cpu, p2, 1024);
	assert_int_equal(stats(m).bounced_bytes, bytes);

	/* FROM_DEVICE: the bounce starts as a copy of the buffer, so stale
	 * pool contents never leak to the CPU (the kernel's info-leak fix). */
	memcpy(cpu, p1, 1024);
	a = map_phys_ok(dev, phys, 1024, DMA_FROM_DEVICE, 0);
	sim_dma_debug_enable(m, false);
	assert_int_equal(sim_dma_read(dev, a, buf, 1024), 0);
	sim_dma_debug_enable(m, true);
	assert_memory_equal(buf, p1, 1024);
	assert_int_equal(sim_dma_write(dev, a, p2, 512), 0);
	assert_memory_equal(cpu, p1, 1024);
	dma_sync_single_for_cpu(dev, a, 1024, DMA_FROM_DEVICE);
	assert_memory_equal(cpu, p2, 512);
	assert_memory_equal(cpu + 512, p1 + 512, 512);	/* untouched half */
	memcpy(cpu, p3, 1024);
	bytes = stats(m).bounced_bytes;
	dma_sync_single_for_device(dev, a, 1024, DMA_FROM_DEVICE);
	assert_int_equal(stats(m).bounced_bytes, bytes);	/* no copy out */
	sim_dma_debug_enable(m, false);
	assert_int_equal(sim_dma_read(dev, a, buf, 1024), 0);
	sim_dma_debug_enable(m, true);
	assert_memory_equal(buf, p2, 512);
	dma_unmap_phys(dev, a, 1024, DMA_FROM_DEVICE, 0);
	/* the unmap copies the bounce back over the CPU's writes */
	assert_memory_equal(cpu, p2, 512);
	assert_memory_equal(cpu + 512, p1 + 512, 512);

	/* BIDIRECTIONAL: both syncs copy. */
	memcpy(cpu, p1, 1024);
	a = map_phys_ok(dev, phys, 1024, DMA_BIDIRECTIONAL, 0);
	memcpy(cpu, p2, 1024);
	dma_sync_single_for_device(dev, a, 1024, DMA_BIDIRECTIONAL);
	assert_int_equal(sim_dma_read(dev, a, buf, 1024), 0);
	assert_memory_equal(buf, p2, 1024);
	assert_int_equal(sim_dma_write(dev, a, p3, 1024), 0);
	dma_sync_single_for_cpu(dev, a, 1024, DMA_BIDIRECTIONAL);
	assert_memory_equal(cpu, p3, 1024);
	/* a partial sync at an offset inside the mapping */
	memcpy(cpu + 256, p1, 128);
	dma_sync_single_for_device(dev, a + 256, 128, DMA_BIDIRECTIONAL);
	assert_int_equal(sim_dma_read(dev, a + 256, buf, 128), 0);
	assert_memory_equal(buf, p1, 128);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	/*
	 * The rest still belongs to the CPU (synced for the CPU, never given
	 * back): the device's read is an ownership report, and the bounce
	 * slot still has the device's own data.
	 */
	assert_int_equal(sim_dma_read(dev, a, buf, 256), 0);
	assert_memory_equal(buf, p3, 256);
	assert_int_equal(sim_dma_debug_errors(m), 2);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "device read of DMA memory while the CPU owns it"));
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "missing dma_sync_single_for_device()"));
	dma_unmap_phys(dev, a, 1024, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 2);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_double_unmap(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 buf[3000];
	dma_addr_t a, b;

	fill_pattern(page_address(pg), PAGE_SIZE, 4);
	a = map_phys_ok(dev, phys, 2048, DMA_TO_DEVICE, 0);
	b = map_phys_ok(dev, phys + 1000, 3000, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 1 + 2);
	dma_unmap_phys(dev, a, 2048, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 2);

	dma_unmap_phys(dev, a, 2048, DMA_TO_DEVICE, 0);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "device driver tries to free DMA memory it has not allocated"));
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "not a mapped bounce buffer"));
	/* b's slots are untouched and its data intact. */
	assert_int_equal(swiotlb_used(dev), 2);
	assert_int_equal(sim_dma_read(dev, b, buf, 3000), 0);
	assert_memory_equal(buf, (u8 *)page_address(pg) + 1000, 3000);
	dma_unmap_phys(dev, b, 3000, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 0);

	/* An address in the pool that was never handed out. */
	{
		phys_addr_t s;
		u64 sz;

		pool_range(m, &s, &sz);
		dma_unmap_phys(dev, s + sz - IO_TLB_SIZE, 64, DMA_TO_DEVICE, 0);
		assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 2);
		assert_int_equal(swiotlb_used(dev), 0);
	}

	/* The pool still works. */
	a = map_phys_ok(dev, phys, PAGE_SIZE, DMA_TO_DEVICE, 0);
	dma_unmap_phys(dev, a, PAGE_SIZE, DMA_TO_DEVICE, 0);
	{
		dma_addr_t many[16];

		for (int i = 0; i < 16; i++)
			many[i] = map_phys_ok(dev, phys + (phys_addr_t)i * 256, 256,
					 DMA_TO_DEVICE, 0);
		for (int i = 0; i < 16; i++)
			for (int j = 0; j < i; j++)
				assert_true(many[i] != many[j]);
		for (int i = 0; i < 16; i++)
			dma_unmap_phys(dev, many[i], 256, DMA_TO_DEVICE, 0);
	}
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_areas(void **state)
{
	struct sim_machine *m = machine_from(PLAT_AREAS);
	struct sim_machine *pl = machine_from(PLAT_PLAIN);
	struct sim_machine *sm = machine_from(PLAT_CC_SMALL);

	assert_int_equal(swiotlb_nareas(sim_device(m, "dev0")), 4);
	/* by default one area per CPU (8 here) */
	assert_int_equal(swiotlb_nareas(sim_device(pl, "dev0")), 8);
	/* an area holds at least one 128-slot segment */
	assert_int_equal(swiotlb_nareas(sim_device(sm, "dev0")), 1);
	sim_machine_destroy(sm);
	sim_machine_destroy(pl);
	sim_machine_destroy(m);

	expect_platform_error(
		"machine ram=256M ram-below-4g=128M\nswiotlb size=4M areas=3\n",
		"power of two");
}

/* ------------------------------------------------------------------------ */
/* Concurrency                                                              */
/* ------------------------------------------------------------------------ */

struct worker {
	struct device *dev;
	struct page *pg;
	unsigned int id;
	_Atomic unsigned long *errors;
};

#define ITERS	300

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	u8 *cpu = page_address(w->pg);
	phys_addr_t phys = page_to_phys(w->pg);
	u8 buf[8192], pat[8192];

	for (unsigned int it = 0; it < ITERS; it++) {
		size_t len = 512 + (size_t)((it * 977 + w->id * 131) % 7680);
		size_t off = (it * 64) % (8192 - len + 1);
		dma_addr_t a;

		fill_pattern(cpu + off, len, w->id * 1000 + it);
		a = dma_map_phys(w->dev, phys + off, len, DMA_BIDIRECTIONAL, 0);
		if (dma_mapping_error(w->dev, a)) {
			atomic_fetch_add(w->errors, 1);
			continue;
		}
		if (sim_dma_read(w->dev, a, buf, len) ||
		    memcmp(buf, cpu + off, len))
			atomic_fetch_add(w->errors, 1);
		fill_pattern(pat, len, w->id * 7 + it + 1);
		if (sim_dma_write(w->dev, a, pat, len))
			atomic_fetch_add(w->errors, 1);
		dma_unmap_phys(w->dev, a, len, DMA_BIDIRECTIONAL, 0);
		if (memcmp(cpu + off, pat, len))
			atomic_fetch_add(w->errors, 1);
	}
	return NULL;
}

static void test_concurrent_map_unmap(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct device *dev = sim_device(m, "dev0");
	_Atomic unsigned long errors = 0;
	struct worker w[4];
	pthread_t th[4];

	assert_int_equal(swiotlb_nareas(dev), 4);
	for (unsigned int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .dev = dev, .pg = alloc_high(m, 1),
					.id = i, .errors = &errors };
	}
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_fn, &w[i]), 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);

	assert_int_equal(atomic_load(&errors), 0);
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(stats(m).bounced_maps, 4 * ITERS);
	assert_int_equal(stats(m).maps, 4 * ITERS);
	assert_int_equal(stats(m).unmaps, 4 * ITERS);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 0);
	/* No slot was lost: the whole pool maps again, segment by segment. */
	{
		unsigned long segs = swiotlb_nslabs(dev) / IO_TLB_SEGSIZE;
		struct page *blk = alloc_high(m, 6);
		dma_addr_t *a = calloc(segs, sizeof(*a));

		assert_non_null(a);
		for (unsigned long i = 0; i < segs; i++)
			a[i] = map_phys_ok(dev, page_to_phys(blk), 256 * SZ_1K,
				      DMA_TO_DEVICE, 0);
		assert_int_equal(swiotlb_used(dev), swiotlb_nslabs(dev));
		for (unsigned long i = 0; i < segs; i++)
			dma_unmap_phys(dev, a[i], 256 * SZ_1K, DMA_TO_DEVICE, 0);
		assert_int_equal(swiotlb_used(dev), 0);
		free(a);
		sim_free_pages(m, blk, 6);
	}
	for (unsigned int i = 0; i < 4; i++)
		sim_free_pages(m, w[i].pg, 1);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Alignment                                                                */
/* ------------------------------------------------------------------------ */

static void test_page_sized_mappings_page_aligned(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct sim_machine *pl = machine_from(PLAT_PLAIN);
	struct device *dev = sim_device(m, "dev0");
	struct page *blk = alloc_high(m, 2);
	phys_addr_t phys = page_to_phys(blk);
	static const unsigned int offs[] = { 0, 0x100, 0x800, 0xc00 };
	static const size_t lens[] = { PAGE_SIZE, PAGE_SIZE + 1, 2 * PAGE_SIZE };
	u8 *buf = malloc(2 * PAGE_SIZE);
	dma_addr_t small, a;

	assert_non_null(buf);
	fill_pattern(page_address(blk), 4 * PAGE_SIZE, 8);
	/* Move the search cursor off a page boundary first. */
	small = map_phys_ok(dev, phys, 100, DMA_TO_DEVICE, 0);
	assert_int_equal(small & (IO_TLB_SIZE - 1), 0);
	for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			a = map_phys_ok(dev, phys + offs[o], lens[l], DMA_TO_DEVICE, 0);
			assert_int_equal(a & (PAGE_SIZE - 1), 0);
			assert_int_equal(sim_dma_read(dev, a, buf, lens[l]), 0);
			assert_memory_equal(buf, (u8 *)page_address(blk) + offs[o],
					    lens[l]);
			dma_unmap_phys(dev, a, lens[l], DMA_TO_DEVICE, 0);
		}
	}
	/* Sub-page mappings are only slot aligned. */
	{
		dma_addr_t b = map_phys_ok(dev, phys + 0x800, 2048, DMA_TO_DEVICE, 0);

		assert_int_equal(b & (IO_TLB_SIZE - 1), 0);
		dma_unmap_phys(dev, b, 2048, DMA_TO_DEVICE, 0);
	}
	dma_unmap_phys(dev, small, 100, DMA_TO_DEVICE, 0);

	/* The same for a 32-bit device bouncing on an ordinary machine. */
	{
		struct device *d32 = sim_device(pl, "dev32");
		struct page *hp = alloc_high(pl, 1);

		small = map_phys_ok(d32, page_to_phys(hp), 64, DMA_TO_DEVICE, 0);
		a = map_phys_ok(d32, page_to_phys(hp) + 0x800, PAGE_SIZE,
			   DMA_TO_DEVICE, 0);
		assert_true(is_swiotlb_buffer(d32, a));
		assert_int_equal(a & (PAGE_SIZE - 1), 0);
		dma_unmap_phys(d32, a, PAGE_SIZE, DMA_TO_DEVICE, 0);
		dma_unmap_phys(d32, small, 64, DMA_TO_DEVICE, 0);
		assert_int_equal(swiotlb_used(d32), 0);
		sim_free_pages(pl, hp, 1);
	}
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	free(buf);
	sim_free_pages(m, blk, 2);
	sim_machine_destroy(pl);
	sim_machine_destroy(m);
}

/* The swiotlb primitives iommu-dma uses, called directly. */
static void test_tbl_map_unmap_single(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 orig[512], pat[512], buf[512];
	phys_addr_t tlb;

	/* no dma-debug entries exist for raw bounce slots */
	sim_dma_debug_enable(m, false);
	fill_pattern(cpu, 512, 1);
	memcpy(orig, cpu, 512);
	fill_pattern(pat, 512, 2);

	/* BIDIRECTIONAL: copied in at map, out at unmap */
	tlb = swiotlb_tbl_map_single(dev, phys, 512, 0, DMA_BIDIRECTIONAL, 0);
	assert_true(tlb != (phys_addr_t)DMA_MAPPING_ERROR);
	assert_true(is_swiotlb_buffer(dev, tlb));
	assert_int_equal(swiotlb_used(dev), 1);
	assert_int_equal(sim_dma_read(dev, phys_to_dma(dev, tlb), buf, 512), 0);
	assert_memory_equal(buf, orig, 512);
	assert_int_equal(sim_dma_write(dev, phys_to_dma(dev, tlb), pat, 512), 0);
	assert_memory_equal(cpu, orig, 512);
	swiotlb_tbl_unmap_single(dev, tlb, 512, DMA_BIDIRECTIONAL, 0);
	assert_memory_equal(cpu, pat, 512);
	assert_int_equal(swiotlb_used(dev), 0);

	/* FROM_DEVICE: copied out at unmap */
	memcpy(cpu, orig, 512);
	tlb = swiotlb_tbl_map_single(dev, phys, 512, 0, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_write(dev, phys_to_dma(dev, tlb), pat, 512), 0);
	swiotlb_tbl_unmap_single(dev, tlb, 512, DMA_FROM_DEVICE, 0);
	assert_memory_equal(cpu, pat, 512);

	/* TO_DEVICE, or SKIP_CPU_SYNC: never copied out */
	memcpy(cpu, orig, 512);
	tlb = swiotlb_tbl_map_single(dev, phys, 512, 0, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_write(dev, phys_to_dma(dev, tlb), pat, 512), 0);
	swiotlb_tbl_unmap_single(dev, tlb, 512, DMA_TO_DEVICE, 0);
	assert_memory_equal(cpu, orig, 512);
	tlb = swiotlb_tbl_map_single(dev, phys, 512, 0, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_write(dev, phys_to_dma(dev, tlb), pat, 512), 0);
	swiotlb_tbl_unmap_single(dev, tlb, 512, DMA_FROM_DEVICE,
				 DMA_ATTR_SKIP_CPU_SYNC);
	assert_memory_equal(cpu, orig, 512);

	/* an explicit allocation alignment */
	tlb = swiotlb_tbl_map_single(dev, phys + 0x10, 64, 0xfff,
				     DMA_TO_DEVICE, 0);
	assert_true(tlb != (phys_addr_t)DMA_MAPPING_ERROR);
	assert_int_equal(tlb & 0xfff, 0);
	assert_int_equal(sim_dma_read(dev, phys_to_dma(dev, tlb), buf, 64), 0);
	assert_memory_equal(buf, orig + 0x10, 64);
	swiotlb_tbl_unmap_single(dev, tlb, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 0);

	/* swiotlb_map gives the device address and does the same */
	{
		dma_addr_t a = swiotlb_map(dev, phys, 512, DMA_TO_DEVICE, 0);

		assert_true(a != DMA_MAPPING_ERROR);
		assert_true(in_pool(m, a, 512));
		assert_int_equal(sim_dma_read(dev, a, buf, 512), 0);
		assert_memory_equal(buf, orig, 512);
		swiotlb_tbl_unmap_single(dev, dma_to_phys(dev, a), 512,
					 DMA_TO_DEVICE, 0);
	}
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* fault injection                                                          */
/* ------------------------------------------------------------------------ */

struct bounce_sweep {
	struct api_scn s;
	const struct dma_variant *v;
	struct device *dev;
};

static void bounce_settle(void *ctx)
{
	struct bounce_sweep *b = ctx;

	drain_flush_queue(b->dev);
}

/* No slot left in use, no IOVA left allocated (behind an IOMMU). */
static void bounce_check(void *ctx, unsigned long n, int ret)
{
	struct bounce_sweep *b = ctx;

	if (swiotlb_used(b->dev))
		fail_msg("%s fail-nth %lu (ret %d): %lu swiotlb slots in use",
			 b->v->name, n, ret, swiotlb_used(b->dev));
	if (dev_translated(b->dev))
		check_iova_space_free(b->dev);
}

/*
 * Bouncing with the Nth allocation failing: a confidential guest (every
 * mapping bounced), a 32-bit device with its buffers above 4G, an
 * untrusted device behind an IOMMU (sub-granule parts bounced, keeping
 * the offset below @align when it is not 0). Returns the steps that
 * failed.
 */
static unsigned int sweep_bounce(const struct dma_variant *v, const char *id,
				 unsigned int flags, unsigned int align)
{
	struct sim_machine *m = api_machine_new(v);
	struct bounce_sweep b = { .v = v, .dev = dev_of(m, id) };
	struct failnth fn = {
		.name = v->name, .m = m, .ctx = &b, .run = api_scn_run,
		.settle = bounce_settle, .check = bounce_check,
	};
	unsigned int failed;

	if (dev_translated(b.dev))
		assert_int_equal(dma_set_mask(b.dev, SWEEP_IOVA_MASK), 0);
	if (align)
		dma_set_min_align_mask(b.dev, align - 1);
	api_scn_init(&b.s, m, b.dev, v->cc ? 0 : bar_of(m, "peer", 0),
		     API_ALL, API_CHECK_DATA | flags);
	failnth_sweep(&fn);
	print_message("%s %s (align %u): %lu fail-nth runs\n", v->name, id,
		      align, fn.runs);
	failed = api_scn_failed_steps(&b.s);
	/* behind an IOMMU every step needs IOVA and page-table pages */
	if (dev_translated(b.dev))
		assert_int_equal(failed, API_ALL);
	api_scn_fini(&b.s);
	assert_int_equal(machine_teardown(m, TD_CLEAN), 0);
	return failed;
}

static void test_failnth_bounce(void **state)
{
	(void)state;
	/* dma-direct bounces without allocating: only the allocations fail */
	assert_int_equal(sweep_bounce(&variant_cc, "dev0", 0, 0), API_ALLOCS);
	assert_int_equal(sweep_bounce(&variant_direct, "dev32", API_HIGH_RAM,
				      0), API_ALLOCS);
	assert_int_equal(sweep_bounce(&variant_direct_noncoherent, "dev32",
				      API_HIGH_RAM, 0), API_ALLOCS);
	/* the untrusted device, with and without nvme-pci's alignment */
	for (size_t i = 0; i < sizeof(variants_all) / sizeof(variants_all[0]); i++) {
		const struct dma_variant *v = variants_all[i];

		if (v->cc || !v->format)
			continue;
		sweep_bounce(v, "ut", 0, 0);
		sweep_bounce(v, "ut", API_HIGH_RAM, (unsigned int)v->granule);
		sweep_bounce(v, "dev32", API_HIGH_RAM, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confidential_bounces_everything),
		cmocka_unit_test(test_swiotlb_queries),
		cmocka_unit_test(test_max_mapping_size),
		cmocka_unit_test(test_min_align_mask),
		cmocka_unit_test(test_exhaustion_and_recovery),
		cmocka_unit_test(test_sync_directions),
		cmocka_unit_test(test_double_unmap),
		cmocka_unit_test(test_areas),
		cmocka_unit_test(test_concurrent_map_unmap),
		cmocka_unit_test(test_page_sized_mappings_page_aligned),
		cmocka_unit_test(test_tbl_map_unmap_single),
		cmocka_unit_test(test_failnth_bounce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
