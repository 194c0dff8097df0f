// SPDX-License-Identifier: MIT
/*
 * dma-direct through the public DMA API: dma_map_phys and its wrappers,
 * DMA_ATTR_MMIO / dma_map_resource, legacy dma_map_ops dispatch, masks,
 * bouncing for limited devices, bus offsets and limits, the non-coherent
 * cache model, scatterlists, the dma_need_* queries and trace events.
 */
#include <stdint.h>
#include "api_scenario.h"
#include "failnth.h"
#include "variants.h"

/*
 * Most tests run on the DMA API suites' machine (variants.h), coherent
 * (variant_direct), non-coherent arm64 (variant_direct_noncoherent) or a
 * confidential guest (variant_cc); these are the machines of one test.
 */
#define PLAT_NO_SWIOTLB							\
	"machine name=ns arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=0\n"						\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev32 bus=rp0 dma-bits=32\n"

#define DRAM_OFF	(256ULL << 20)
#define PLAT_DRAM_OFFSET						\
	"machine name=off arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=4M\n"						\
	"hostbridge id=hb0 p2p=allow dram-bus-offset=256M\n"		\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0\n"					\
	"rootport id=rp1 bus=hb0\n"					\
	"pcidev id=peer bus=rp1 bar0=64K\n"

#define PLAT_DMA_LIMIT							\
	"machine name=lim arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=4M\n"						\
	"hostbridge id=hb0 dma-limit=4G\n"				\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0 dma-bits=64\n"

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

static struct page *alloc_high(struct sim_machine *m, unsigned int order)
{
	struct page *p = sim_alloc_pages_range(m, order, SZ_4G, ~0ULL);

	assert_non_null(p);
	assert_true(page_to_phys(p) >= SZ_4G);
	return p;
}

static struct page *alloc_low(struct sim_machine *m, unsigned int order)
{
	struct page *p = sim_alloc_pages_range(m, order, SZ_16M, 64 * SZ_1M);

	assert_non_null(p);
	assert_true(page_to_phys(p) < 64 * SZ_1M);
	return p;
}

static void swiotlb_range_of(struct sim_machine *m, phys_addr_t *start,
			     u64 *size)
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
	fail_msg("machine has no swiotlb range");
}

static bool in_swiotlb(struct sim_machine *m, dma_addr_t addr, size_t len)
{
	phys_addr_t s = 0;
	u64 sz = 0;

	swiotlb_range_of(m, &s, &sz);
	return addr >= s && addr + len <= s + sz;
}

static struct sim_dma_stats stats(struct sim_machine *m)
{
	struct sim_dma_stats s;

	sim_dma_stats_get(m, &s);
	return s;
}

/* ------------------------------------------------------------------------ */
/* dma_map_phys on a coherent device                                        */
/* ------------------------------------------------------------------------ */

static void test_map_phys_coherent(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 buf[PAGE_SIZE], pat[PAGE_SIZE];
	struct sim_dma_stats s0 = stats(m), s1;
	dma_addr_t a;

	/* TO_DEVICE: the device reads what the CPU wrote. */
	fill_pattern(cpu, PAGE_SIZE, 1);
	a = map_phys_ok(dev, phys, PAGE_SIZE, DMA_TO_DEVICE, 0);
	assert_int_equal(a, phys);
	assert_int_equal(sim_dma_read(dev, a, buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, cpu, PAGE_SIZE);
	dma_unmap_phys(dev, a, PAGE_SIZE, DMA_TO_DEVICE, 0);

	/* FROM_DEVICE: device writes are visible to the CPU at once. */
	a = map_phys_ok(dev, phys, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	fill_pattern(pat, PAGE_SIZE, 2);
	assert_int_equal(sim_dma_write(dev, a, pat, PAGE_SIZE), 0);
	assert_memory_equal(cpu, pat, PAGE_SIZE);
	dma_unmap_phys(dev, a, PAGE_SIZE, DMA_FROM_DEVICE, 0);

	/* A sub-page mapping keeps the offset. */
	a = map_phys_ok(dev, phys + 100, 200, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(a, phys + 100);
	fill_pattern(pat, 200, 3);
	assert_int_equal(sim_dma_write(dev, a, pat, 200), 0);
	assert_memory_equal(cpu + 100, pat, 200);
	assert_int_equal(sim_dma_read(dev, a, buf, 200), 0);
	assert_memory_equal(buf, pat, 200);
	dma_unmap_phys(dev, a, 200, DMA_BIDIRECTIONAL, 0);

	s1 = stats(m);
	assert_int_equal(s1.maps - s0.maps, 3);
	assert_int_equal(s1.unmaps - s0.unmaps, 3);
	assert_int_equal(s1.map_errors, s0.map_errors);
	assert_int_equal(s1.bounced_maps, s0.bounced_maps);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_map_page_and_single_wrappers(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 stackbuf[64], buf[64];
	unsigned long warns, entries;
	dma_addr_t a, b;
	void *heap;

	a = dma_map_page_attrs(dev, pg, 0x80, 256, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(a, phys + 0x80);
	b = dma_map_single(dev, cpu + 0x200, 64, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, b));
	assert_int_equal(b, phys + 0x200);
	fill_pattern(cpu + 0x200, 64, 9);
	assert_int_equal(sim_dma_read(dev, b, buf, 64), 0);
	assert_memory_equal(buf, cpu + 0x200, 64);
	assert_int_equal(sim_dma_debug_entries(m, dev), 2);
	dma_unmap_single(dev, b, 64, DMA_TO_DEVICE);
	dma_unmap_page_attrs(dev, a, 256, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* A pointer outside the machine's linear map is refused with a WARN. */
	warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	a = dma_map_single(dev, stackbuf, sizeof(stackbuf), DMA_TO_DEVICE);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "not in the machine's linear map"));
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "device driver maps memory from invalid area"));
	heap = malloc(128);
	assert_non_null(heap);
	a = dma_map_single_attrs(dev, heap, 128, DMA_FROM_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 2);
	free(heap);

	/* The page wrappers refuse DMA_ATTR_MMIO: MMIO has no struct page. */
	entries = sim_dma_debug_entries(m, NULL);
	a = dma_map_page_attrs(dev, pg, 0, 64, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_dma_debug_entries(m, NULL), entries);
	/* and the matching unmap is a no-op, not a dma-debug error */
	{
		unsigned long errs = sim_dma_debug_errors(m);

		dma_unmap_page_attrs(dev, phys, 64, DMA_TO_DEVICE,
				     DMA_ATTR_MMIO);
		assert_int_equal(sim_dma_debug_errors(m), errs);
	}
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* DMA_ATTR_MMIO and dma_map_resource                                       */
/* ------------------------------------------------------------------------ */

static void test_mmio_resource_p2p(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	phys_addr_t bar = bar_of(m, "peer", 0);
	struct sim_dma_stats s0 = stats(m), s1;
	u8 pat[256], buf[256];
	dma_addr_t a, b;

	assert_true(bar < SZ_4G);
	assert_null(sim_phys_to_virt(m, bar));

	/* dma_map_resource returns the physical address untranslated. */
	a = dma_map_resource(dev, bar, 4096, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(a, bar);
	b = dma_map_phys(dev, bar + 8192, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_false(dma_mapping_error(dev, b));
	assert_int_equal(b, bar + 8192);

	/* The device reaches the peer's BAR through the returned address. */
	fill_pattern(pat, sizeof(pat), 5);
	assert_int_equal(sim_dma_write(dev, a + 16, pat, sizeof(pat)), 0);
	assert_int_equal(sim_mmio_read(m, bar + 16, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	fill_pattern(pat, sizeof(pat), 6);
	assert_int_equal(sim_mmio_write(m, bar + 8192, pat, sizeof(pat)), 0);
	assert_int_equal(sim_dma_read(dev, b, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));

	s1 = stats(m);
	assert_int_equal(s1.bounced_maps, s0.bounced_maps);
	assert_true(s1.p2p_accesses >= s0.p2p_accesses + 2);
	assert_int_equal(sim_dma_debug_entries(m, dev), 2);

	dma_unmap_phys(dev, b, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	dma_unmap_resource(dev, a, 4096, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_FAULT), 0);
	sim_machine_destroy(m);
}

static void test_mmio_no_cache_maintenance(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	phys_addr_t bar = bar_of(m, "peer", 0);
	struct page *pg = alloc_high(m, 0);
	struct sim_dma_stats s0, s1;
	dma_addr_t a;

	assert_false(dev_is_dma_coherent(dev));
	s0 = stats(m);
	a = dma_map_resource(dev, bar, 4096, DMA_FROM_DEVICE, 0);
	assert_int_equal(a, bar);
	assert_false(dma_mapping_error(dev, a));
	dma_unmap_resource(dev, a, 4096, DMA_FROM_DEVICE, 0);
	a = dma_map_phys(dev, bar, 4096, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
	assert_int_equal(a, bar);
	assert_false(dma_mapping_error(dev, a));
	dma_unmap_phys(dev, a, 4096, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
	s1 = stats(m);
	assert_int_equal(s1.cache_ops, s0.cache_ops);
	assert_int_equal(s1.maps - s0.maps, 2);

	/* RAM on the same device does get maintenance: the model works. */
	a = dma_map_phys(dev, page_to_phys(pg), 4096, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(dev, a));
	s0 = stats(m);
	assert_true(s0.cache_ops > s1.cache_ops);
	dma_unmap_phys(dev, a, 4096, DMA_TO_DEVICE, 0);
	sim_free_pages(m, pg, 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_mmio_never_bounced_confidential(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_cc);
	struct device *dev = sim_device(m, "dev0");
	phys_addr_t bar = bar_of(m, "peer", 0);
	struct page *pg = alloc_high(m, 0);
	struct sim_dma_stats s0 = stats(m), s1;
	dma_addr_t a;

	assert_true(is_swiotlb_force_bounce(dev));
	a = dma_map_resource(dev, bar, 4096, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	a = dma_map_phys(dev, bar, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	s1 = stats(m);
	assert_int_equal(s1.bounced_maps, s0.bounced_maps);
	assert_int_equal(s1.map_errors - s0.map_errors, 2);
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* RAM is bounced on the same machine. */
	a = map_phys_ok(dev, page_to_phys(pg), 4096, DMA_TO_DEVICE, 0);
	assert_true(in_swiotlb(m, a, 4096));
	assert_int_equal(stats(m).bounced_maps, s0.bounced_maps + 1);
	dma_unmap_phys(dev, a, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_mmio_32bit_mask_bar_above_4g(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev32");
	phys_addr_t hi = bar_of(m, "gpu0", 2), lo = bar_of(m, "gpu0", 0);
	struct sim_dma_stats s0 = stats(m);
	unsigned long warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	dma_addr_t a;

	assert_true(hi >= SZ_4G);
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(32));
	a = dma_map_resource(dev, hi, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "overflow"));
	assert_int_equal(stats(m).bounced_maps, s0.bounced_maps);
	assert_int_equal(swiotlb_used(dev), 0);

	/* The BAR below 4G is reachable as is. */
	a = dma_map_resource(dev, lo, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(a, lo);
	assert_false(dma_mapping_error(dev, a));
	dma_unmap_resource(dev, a, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_map_resource_of_ram(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	dma_addr_t a;

	a = dma_map_resource(dev, phys, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "dma_map_resource called for RAM address"));
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* Without dma-debug the check (CONFIG_DMA_API_DEBUG) is compiled
	 * out: the address is mapped as MMIO, untranslated. */
	sim_dma_debug_enable(m, false);
	a = dma_map_resource(dev, phys, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(a, phys);
	dma_unmap_resource(dev, a, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Legacy dma_map_ops                                                       */
/* ------------------------------------------------------------------------ */

static struct {
	int map_page, unmap_page, map_resource, unmap_resource, map_sg;
	struct page *page;
	unsigned long offset;
	phys_addr_t res_phys;
	unsigned long attrs;
	size_t size;
	enum dma_data_direction dir;
} ops_log;

#define FAKE_IOVA	0x7f000000ULL

static dma_addr_t fake_map_page(struct device *dev, struct page *page,
				unsigned long offset, size_t size,
				enum dma_data_direction dir,
				unsigned long attrs)
{
	ops_log.map_page++;
	ops_log.page = page;
	ops_log.offset = offset;
	ops_log.size = size;
	ops_log.dir = dir;
	ops_log.attrs = attrs;
	return FAKE_IOVA + offset;
}

static void fake_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	ops_log.unmap_page++;
}

static dma_addr_t fake_map_resource(struct device *dev, phys_addr_t phys,
				    size_t size, enum dma_data_direction dir,
				    unsigned long attrs)
{
	ops_log.map_resource++;
	ops_log.res_phys = phys;
	ops_log.size = size;
	ops_log.dir = dir;
	ops_log.attrs = attrs;
	return FAKE_IOVA + 0x100000;
}

static void fake_unmap_resource(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir,
				unsigned long attrs)
{
	ops_log.unmap_resource++;
}

static size_t fake_max_mapping_size(struct device *dev)
{
	return 12345;
}

static const struct dma_map_ops ops_page_only = {
	.map_page = fake_map_page,
	.unmap_page = fake_unmap_page,
	.max_mapping_size = fake_max_mapping_size,
};

static const struct dma_map_ops ops_with_resource = {
	.map_page = fake_map_page,
	.unmap_page = fake_unmap_page,
	.map_resource = fake_map_resource,
	.unmap_resource = fake_unmap_resource,
};

static void test_legacy_ops_dispatch(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	phys_addr_t bar = bar_of(m, "peer", 0);
	struct page *pg = alloc_high(m, 0);
	struct sg_table sgt;
	dma_addr_t a;

	memset(&ops_log, 0, sizeof(ops_log));
	set_dma_ops(dev, &ops_page_only);
	assert_ptr_equal(get_dma_ops(dev), &ops_page_only);

	/* No map_resource: MMIO cannot be mapped, map_page is not used. */
	a = dma_map_resource(dev, bar, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	a = dma_map_phys(dev, bar, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(ops_log.map_page, 0);
	sim_dma_debug_enable(m, false);	/* nothing was mapped */
	dma_unmap_resource(dev, bar, 4096, DMA_TO_DEVICE, 0);
	sim_dma_debug_enable(m, true);
	assert_int_equal(ops_log.unmap_page, 0);
	assert_int_equal(ops_log.unmap_resource, 0);

	/* RAM goes to map_page with the page and offset. */
	a = dma_map_phys(dev, page_to_phys(pg) + 0x30, 512, DMA_FROM_DEVICE, 0);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(a, FAKE_IOVA + 0x30);
	assert_int_equal(ops_log.map_page, 1);
	assert_ptr_equal(ops_log.page, pg);
	assert_int_equal(ops_log.offset, 0x30);
	assert_int_equal(ops_log.size, 512);
	assert_int_equal(ops_log.dir, DMA_FROM_DEVICE);
	dma_unmap_phys(dev, a, 512, DMA_FROM_DEVICE, 0);
	assert_int_equal(ops_log.unmap_page, 1);

	/* A non-RAM address without DMA_ATTR_MMIO has no page to give. */
	a = dma_map_phys(dev, bar, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(ops_log.map_page, 1);

	/* No map_sg: the sg path fails with -EIO. */
	assert_int_equal(sg_alloc_table(&sgt, 1, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, pg, 256, 0);
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), -EIO);
	assert_int_equal(dma_map_sg(dev, sgt.sgl, 1, DMA_TO_DEVICE), 0);
	sg_free_table(&sgt);

	assert_true(dma_need_unmap(dev));
	assert_int_equal(dma_max_mapping_size(dev), 12345);

	/* With map_resource, MMIO goes there. */
	set_dma_ops(dev, &ops_with_resource);
	a = dma_map_resource(dev, bar + 0x1000, 2048, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(a, FAKE_IOVA + 0x100000);
	assert_int_equal(ops_log.map_resource, 1);
	assert_int_equal(ops_log.res_phys, bar + 0x1000);
	assert_int_equal(ops_log.size, 2048);
	assert_int_equal(ops_log.dir, DMA_BIDIRECTIONAL);
	assert_true(ops_log.attrs & DMA_ATTR_MMIO);
	assert_int_equal(ops_log.map_page, 1);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_resource(dev, a, 2048, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(ops_log.unmap_resource, 1);
	assert_int_equal(ops_log.unmap_page, 1);
	/* default max_mapping_size without the op */
	assert_int_equal(dma_max_mapping_size(dev), SIZE_MAX);

	set_dma_ops(dev, NULL);
	assert_null(get_dma_ops(dev));
	a = map_phys_ok(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	assert_int_equal(a, page_to_phys(pg));
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(ops_log.map_page, 1);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Argument errors                                                          */
/* ------------------------------------------------------------------------ */

static void test_invalid_direction(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	unsigned long bugs = sim_report_count_kind(m, SIM_REPORT_BUG);
	dma_addr_t a;

	a = dma_map_phys(dev, phys, 64, (enum dma_data_direction)7, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), bugs + 1);
	assert_true(sim_report_find(m, SIM_REPORT_BUG, "invalid DMA direction 7"));
	a = dma_map_phys(dev, phys, 64, DMA_NONE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), bugs + 2);
	a = dma_map_page(dev, pg, 0, 64, (enum dma_data_direction)-1);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), bugs + 3);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* Unmap and sync with a bad direction are refused too. */
	a = map_phys_ok(dev, phys, 64, DMA_TO_DEVICE, 0);
	dma_unmap_phys(dev, a, 64, (enum dma_data_direction)7, 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), bugs + 4);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);
	dma_sync_single_for_cpu(dev, a, 64, (enum dma_data_direction)5);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), bugs + 5);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_null_dma_mask(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	u64 *saved = dev->dma_mask;
	unsigned long warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	struct scatterlist sg;
	dma_addr_t a;

	dev->dma_mask = NULL;
	a = dma_map_phys(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "has no DMA mask"));
	sg_init_one(&sg, pg, 64, 0);
	assert_int_equal(dma_map_sg(dev, &sg, 1, DMA_TO_DEVICE), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 2);
	{
		/* Linux: dma_map_sgtable "succeeds" with no entries mapped. */
		struct sg_table sgt = { .sgl = &sg, .nents = 1, .orig_nents = 1 };

		assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), 0);
		assert_int_equal(sgt.nents, 0);
		assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 3);
	}
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(64)), -EIO);
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), -EIO);
	/* dma_get_mask falls back to 32 bits */
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(32));
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	dev->dma_mask = saved;
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(64));
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_masks(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");

	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(64));
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(64));

	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(32));
	assert_int_equal(*dev->dma_mask, DMA_BIT_MASK(32));
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(64));

	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(32));

	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(40)), 0);
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(40));
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(40));

	/* Below ZONE_DMA (16M): unsupported, nothing changes. */
	assert_false(dma_supported(dev, DMA_BIT_MASK(20)));
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(20)), -EIO);
	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(20)), -EIO);
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(20)), -EIO);
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(40));
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(40));

	/* Exactly ZONE_DMA is fine. */
	assert_true(dma_supported(dev, DMA_BIT_MASK(24)));
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(24)), 0);
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(24));
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Bouncing for devices that cannot reach the memory                        */
/* ------------------------------------------------------------------------ */

static void test_32bit_mask_bounces(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 buf[PAGE_SIZE], pat[PAGE_SIZE], orig[PAGE_SIZE];
	struct sim_dma_stats s0;
	dma_addr_t a;

	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(32)), 0);
	s0 = stats(m);

	/* TO_DEVICE: the bounce buffer holds the data at map time. */
	fill_pattern(cpu, PAGE_SIZE, 11);
	memcpy(orig, cpu, PAGE_SIZE);
	a = map_phys_ok(dev, phys, PAGE_SIZE, DMA_TO_DEVICE, 0);
	assert_true(a < SZ_4G);
	assert_true(in_swiotlb(m, a, PAGE_SIZE));
	assert_true(is_swiotlb_buffer(dev, dma_to_phys(dev, a)));
	assert_int_equal(sim_dma_read(dev, a, buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, orig, PAGE_SIZE);
	/* The device scribbling on a TO_DEVICE bounce is not copied back. */
	sim_dma_debug_enable(m, false);
	fill_pattern(pat, PAGE_SIZE, 12);
	assert_int_equal(sim_dma_write(dev, a, pat, PAGE_SIZE), 0);
	sim_dma_debug_enable(m, true);
	dma_unmap_phys(dev, a, PAGE_SIZE, DMA_TO_DEVICE, 0);
	assert_memory_equal(cpu, orig, PAGE_SIZE);

	/* FROM_DEVICE: the CPU sees the data only at unmap. */
	a = map_phys_ok(dev, phys, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	assert_true(in_swiotlb(m, a, PAGE_SIZE));
	fill_pattern(pat, PAGE_SIZE, 13);
	assert_int_equal(sim_dma_write(dev, a, pat, PAGE_SIZE), 0);
	assert_memory_equal(cpu, orig, PAGE_SIZE);
	dma_unmap_phys(dev, a, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	assert_memory_equal(cpu, pat, PAGE_SIZE);

	/* BIDIRECTIONAL: both ways, with a sub-page offset. */
	fill_pattern(cpu, PAGE_SIZE, 14);
	a = map_phys_ok(dev, phys + 0x123, 1000, DMA_BIDIRECTIONAL, 0);
	assert_true(in_swiotlb(m, a, 1000));
	assert_int_equal(sim_dma_read(dev, a, buf, 1000), 0);
	assert_memory_equal(buf, cpu + 0x123, 1000);
	fill_pattern(pat, 1000, 15);
	assert_int_equal(sim_dma_write(dev, a, pat, 1000), 0);
	dma_unmap_phys(dev, a, 1000, DMA_BIDIRECTIONAL, 0);
	assert_memory_equal(cpu + 0x123, pat, 1000);

	assert_int_equal(stats(m).bounced_maps - s0.bounced_maps, 3);
	assert_int_equal(swiotlb_used(dev), 0);

	/* Low memory is not bounced. */
	{
		struct page *lo = alloc_low(m, 0);

		a = map_phys_ok(dev, page_to_phys(lo), 64, DMA_TO_DEVICE, 0);
		assert_int_equal(a, page_to_phys(lo));
		dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
		sim_free_pages(m, lo, 0);
	}
	assert_int_equal(stats(m).bounced_maps - s0.bounced_maps, 3);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_no_swiotlb_overflow(void **state)
{
	struct sim_machine *m = machine_from(PLAT_NO_SWIOTLB);
	struct device *dev = sim_device(m, "dev32");
	struct page *hi = alloc_high(m, 0), *lo = alloc_low(m, 0);
	unsigned long warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	dma_addr_t a;

	assert_false(is_swiotlb_active(dev));
	assert_int_equal(swiotlb_nslabs(dev), 0);
	a = dma_map_phys(dev, page_to_phys(hi), 64, DMA_FROM_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "overflow"));
	assert_int_equal(stats(m).map_errors, 1);
	/* without a pool there is no size limit to report */
	assert_int_equal(dma_max_mapping_size(dev), SIZE_MAX);
	assert_true(dma_addressing_limited(dev));

	a = map_phys_ok(dev, page_to_phys(lo), 64, DMA_FROM_DEVICE, 0);
	assert_int_equal(a, page_to_phys(lo));
	dma_unmap_phys(dev, a, 64, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, hi, 0);
	sim_free_pages(m, lo, 0);
	sim_machine_destroy(m);
}

static void test_dram_bus_offset(void **state)
{
	struct sim_machine *m = machine_from(PLAT_DRAM_OFFSET);
	struct device *dev = sim_device(m, "dev0");
	phys_addr_t bar = bar_of(m, "peer", 0);
	struct page *pg = alloc_high(m, 0), *lo = alloc_low(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 buf[128];
	dma_addr_t a;

	assert_non_null(dev->dma_range_map);
	assert_int_equal(phys_to_dma(dev, phys), phys + DRAM_OFF);
	assert_int_equal(dma_to_phys(dev, phys + DRAM_OFF), phys);
	assert_int_equal(phys_to_dma(dev, page_to_phys(lo)),
			 page_to_phys(lo) + DRAM_OFF);
	assert_int_equal(dma_to_phys(dev, page_to_phys(lo) + DRAM_OFF),
			 page_to_phys(lo));
	/* Not DRAM as the bus sees it. */
	assert_int_equal(dma_to_phys(dev, 0x1000), (phys_addr_t)-1);

	fill_pattern(page_address(pg), 128, 21);
	a = map_phys_ok(dev, phys, 128, DMA_TO_DEVICE, 0);
	assert_int_equal(a, phys + DRAM_OFF);
	assert_int_equal(sim_dma_read(dev, a, buf, 128), 0);
	assert_memory_equal(buf, page_address(pg), 128);
	dma_unmap_phys(dev, a, 128, DMA_TO_DEVICE, 0);

	/* The required mask covers the top of RAM as the bus sees it. */
	{
		u64 req = dma_get_required_mask(dev);
		phys_addr_t top = SZ_4G + 128 * SZ_1M - 1 + DRAM_OFF;

		assert_true(req >= top);
		assert_true(req / 2 < top);
	}

	/* MMIO is not translated by the DRAM offset. */
	a = dma_map_resource(dev, bar, 4096, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(a, bar);
	assert_false(dma_mapping_error(dev, a));
	dma_unmap_resource(dev, a, 4096, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 0);
	sim_free_pages(m, lo, 0);
	sim_machine_destroy(m);
}

static void test_bus_dma_limit_bounces(void **state)
{
	struct sim_machine *m = machine_from(PLAT_DMA_LIMIT);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 buf[256];
	dma_addr_t a;

	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(64));
	assert_int_equal(dev->bus_dma_limit, SZ_4G - 1);
	assert_true(dma_addressing_limited(dev));
	assert_int_equal(dma_max_mapping_size(dev), 256 * SZ_1K);

	/* The root complex refuses the high address outright... */
	assert_int_equal(sim_dma_read(dev, phys, buf, sizeof(buf)), -EIO);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_FAULT, "DMA limit"));

	/* ...so the mapping bounces below the limit. */
	fill_pattern(page_address(pg), 256, 31);
	a = map_phys_ok(dev, phys, 256, DMA_BIDIRECTIONAL, 0);
	assert_true(a < SZ_4G);
	assert_true(in_swiotlb(m, a, 256));
	assert_int_equal(sim_dma_read(dev, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, page_address(pg), 256);
	fill_pattern(buf, sizeof(buf), 32);
	assert_int_equal(sim_dma_write(dev, a, buf, sizeof(buf)), 0);
	dma_unmap_phys(dev, a, 256, DMA_BIDIRECTIONAL, 0);
	assert_memory_equal(page_address(pg), buf, 256);
	assert_int_equal(stats(m).bounced_maps, 1);
	assert_int_equal(swiotlb_used(dev), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Non-coherent devices                                                     */
/* ------------------------------------------------------------------------ */

static void test_noncoherent_cpu_to_device(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 a_pat[512], b_pat[512], buf[512];
	dma_addr_t a;

	assert_false(dev_is_dma_coherent(dev));
	fill_pattern(a_pat, sizeof(a_pat), 41);
	fill_pattern(b_pat, sizeof(b_pat), 42);

	/* The map cleans the CPU's lines: the device sees A. */
	memcpy(cpu, a_pat, sizeof(a_pat));
	a = map_phys_ok(dev, phys, sizeof(a_pat), DMA_TO_DEVICE, 0);
	assert_int_equal(a, phys);
	assert_int_equal(sim_dma_read(dev, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, a_pat, sizeof(buf));

	/* A CPU write after the map stays in the cache: stale data. */
	memcpy(cpu, b_pat, sizeof(b_pat));
	assert_int_equal(sim_dma_read(dev, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, a_pat, sizeof(buf));
	assert_memory_not_equal(buf, b_pat, sizeof(buf));

	/* After the sync for the device it sees B. */
	dma_sync_single_for_device(dev, a, sizeof(b_pat), DMA_TO_DEVICE);
	assert_int_equal(sim_dma_read(dev, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, b_pat, sizeof(buf));

	/* Handing a TO_DEVICE buffer back to the CPU does not invalidate:
	 * what the CPU wrote meanwhile stays (arch_sync_dma_for_cpu). */
	memcpy(cpu, a_pat, sizeof(a_pat));
	{
		struct sim_dma_stats s0, s1;

		sim_dma_stats_get(m, &s0);
		dma_sync_single_for_cpu(dev, a, sizeof(b_pat), DMA_TO_DEVICE);
		assert_memory_equal(cpu, a_pat, sizeof(a_pat));
		dma_unmap_phys(dev, a, sizeof(b_pat), DMA_TO_DEVICE, 0);
		sim_dma_stats_get(m, &s1);
		assert_memory_equal(cpu, a_pat, sizeof(a_pat));
		assert_int_equal(s1.cache_ops, s0.cache_ops);
	}
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_noncoherent_device_to_cpu(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 old[1024], pat[1024];
	dma_addr_t a;

	fill_pattern(cpu, sizeof(old), 51);
	memcpy(old, cpu, sizeof(old));

	/* sync_single_for_cpu makes the device's data visible */
	a = map_phys_ok(dev, phys, sizeof(pat), DMA_FROM_DEVICE, 0);
	fill_pattern(pat, sizeof(pat), 52);
	assert_int_equal(sim_dma_write(dev, a, pat, sizeof(pat)), 0);
	assert_memory_equal(cpu, old, sizeof(old));
	dma_sync_single_for_cpu(dev, a, sizeof(pat), DMA_FROM_DEVICE);
	assert_memory_equal(cpu, pat, sizeof(pat));

	/* give it back to the device, and this time the unmap syncs */
	dma_sync_single_for_device(dev, a, sizeof(pat), DMA_FROM_DEVICE);
	fill_pattern(pat, sizeof(pat), 53);
	assert_int_equal(sim_dma_write(dev, a, pat, sizeof(pat)), 0);
	assert_memory_not_equal(cpu, pat, sizeof(pat));
	dma_unmap_phys(dev, a, sizeof(pat), DMA_FROM_DEVICE, 0);
	assert_memory_equal(cpu, pat, sizeof(pat));
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_noncoherent_skip_cpu_sync(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 pat[256], buf[256], zero[256] = { 0 };
	struct sim_dma_stats s0, s1;
	dma_addr_t a;

	/* Fresh DRAM is zero; the CPU's data sits in dirty lines. */
	fill_pattern(pat, sizeof(pat), 61);
	memcpy(cpu, pat, sizeof(pat));
	s0 = stats(m);
	a = map_phys_ok(dev, phys, sizeof(pat), DMA_TO_DEVICE,
			DMA_ATTR_SKIP_CPU_SYNC);
	s1 = stats(m);
	assert_int_equal(s1.cache_ops, s0.cache_ops);
	sim_dma_debug_enable(m, false);	/* the stale read is the point */
	assert_int_equal(sim_dma_read(dev, a, buf, sizeof(buf)), 0);
	sim_dma_debug_enable(m, true);
	assert_memory_equal(buf, zero, sizeof(buf));
	dma_unmap_phys(dev, a, sizeof(pat), DMA_TO_DEVICE,
		       DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(stats(m).cache_ops, s0.cache_ops);

	/* The unmap with SKIP_CPU_SYNC does not invalidate either. */
	a = map_phys_ok(dev, phys, sizeof(pat), DMA_FROM_DEVICE, 0);
	fill_pattern(buf, sizeof(buf), 62);
	assert_int_equal(sim_dma_write(dev, a, buf, sizeof(buf)), 0);
	s0 = stats(m);
	dma_unmap_phys(dev, a, sizeof(pat), DMA_FROM_DEVICE,
		       DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(stats(m).cache_ops, s0.cache_ops);
	assert_memory_equal(cpu, pat, sizeof(pat));
	/* an explicit invalidate afterwards shows the device's data */
	arch_sync_dma_for_cpu(dev, phys, sizeof(buf), DMA_FROM_DEVICE);
	assert_memory_equal(cpu, buf, sizeof(buf));
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_noncoherent_partial_cacheline(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	u8 *cpu = page_address(pg);
	u8 dev_data[64], neighbour[32], old[64];
	dma_addr_t a;

	/* Bytes [0,32) of line 0 belong to the CPU; the DMA buffer is
	 * [32,96): the second half of line 0 and the first half of line 1. */
	memset(cpu, 0x11, 128);
	memcpy(old, cpu + 32, sizeof(old));
	a = map_phys_ok(dev, phys + 32, 64, DMA_FROM_DEVICE, 0);
	/* The CPU updates its neighbouring field after the map. */
	memset(neighbour, 0x22, sizeof(neighbour));
	memcpy(cpu, neighbour, sizeof(neighbour));
	fill_pattern(dev_data, sizeof(dev_data), 71);
	assert_int_equal(sim_dma_write(dev, a, dev_data, sizeof(dev_data)), 0);
	dma_unmap_phys(dev, a, 64, DMA_FROM_DEVICE, 0);

	/* The CPU's bytes survive... */
	assert_memory_equal(cpu, neighbour, sizeof(neighbour));
	/* ...the device's bytes in the shared, dirty line are lost... */
	assert_memory_equal(cpu + 32, old, 32);
	assert_memory_not_equal(cpu + 32, dev_data, 32);
	/* ...and those in the clean line arrived. */
	assert_memory_equal(cpu + 64, dev_data + 32, 32);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Scatterlists                                                             */
/* ------------------------------------------------------------------------ */

static void test_sg_alloc_table_chains(void **state)
{
	struct sg_table sgt;
	struct scatterlist *sg, *last = NULL;
	unsigned int i, n = 0, per_chunk = PAGE_SIZE / sizeof(struct scatterlist);

	assert_int_equal(sg_alloc_table(&sgt, 300, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 300);
	assert_int_equal(sgt.nents, 300);
	assert_true(sg_is_chain(&sgt.sgl[per_chunk - 1]));
	assert_int_equal(sg_nents(sgt.sgl), 300);
	for_each_sgtable_sg(&sgt, sg, i) {
		assert_false(sg_is_chain(sg));
		assert_null(sg_page(sg));
		last = sg;
		n++;
	}
	assert_int_equal(n, 300);
	assert_true(sg_is_last(last));
	assert_ptr_equal(sg_last(sgt.sgl, 300), last);
	assert_null(sg_next(last));
	sg_free_table(&sgt);
	assert_null(sgt.sgl);
	assert_int_equal(sgt.orig_nents, 0);

	/* Exactly one chunk: no chain entry. */
	assert_int_equal(sg_alloc_table(&sgt, per_chunk, GFP_KERNEL), 0);
	for (i = 0; i < per_chunk; i++)
		assert_false(sg_is_chain(&sgt.sgl[i]));
	assert_true(sg_is_last(&sgt.sgl[per_chunk - 1]));
	assert_int_equal(sg_nents(sgt.sgl), per_chunk);
	sg_free_table(&sgt);

	assert_int_equal(sg_alloc_table(&sgt, 0, GFP_KERNEL), -EINVAL);
	assert_null(sgt.sgl);
	sg_free_table(&sgt);
}

static void test_sg_from_pages_merges(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct page *blk = alloc_high(m, 3);	/* 8 contiguous pages */
	struct page *pages[6] = { &blk[0], &blk[1], &blk[2], &blk[4], &blk[5],
				  &blk[7] };
	unsigned long size = 6 * PAGE_SIZE - 100 - 300;
	struct sg_table sgt;
	struct scatterlist *sg;
	unsigned int i;

	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 6, 100, size,
						   GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 3);
	sg = sgt.sgl;
	assert_ptr_equal(sg_page(sg), &blk[0]);
	assert_int_equal(sg->offset, 100);
	assert_int_equal(sg->length, 3 * PAGE_SIZE - 100);
	sg = sg_next(sg);
	assert_ptr_equal(sg_page(sg), &blk[4]);
	assert_int_equal(sg->offset, 0);
	assert_int_equal(sg->length, 2 * PAGE_SIZE);
	sg = sg_next(sg);
	assert_ptr_equal(sg_page(sg), &blk[7]);
	assert_int_equal(sg->length, PAGE_SIZE - 300);
	assert_true(sg_is_last(sg));
	{
		unsigned long total = 0;

		for_each_sgtable_sg(&sgt, sg, i)
			total += sg->length;
		assert_int_equal(total, size);
	}
	sg_free_table(&sgt);

	/* All contiguous: one entry. */
	{
		struct page *all[4] = { &blk[0], &blk[1], &blk[2], &blk[3] };

		assert_int_equal(sg_alloc_table_from_pages(&sgt, all, 4, 0,
							   4 * PAGE_SIZE,
							   GFP_KERNEL), 0);
		assert_int_equal(sgt.orig_nents, 1);
		assert_int_equal(sgt.sgl->length, 4 * PAGE_SIZE);
		assert_int_equal(sg_phys(sgt.sgl), page_to_phys(blk));
		sg_free_table(&sgt);
	}

	/* Bad arguments. */
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 0, 0, 0,
						   GFP_KERNEL), -EINVAL);
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 2, PAGE_SIZE,
						   16, GFP_KERNEL), -EINVAL);
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 2, 0,
						   2 * PAGE_SIZE + 1,
						   GFP_KERNEL), -EINVAL);
	sim_free_pages(m, blk, 3);
	sim_machine_destroy(m);
}

static void test_map_sgtable_coherent(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *blk = alloc_high(m, 3);
	struct page *pages[5] = { &blk[0], &blk[1], &blk[3], &blk[5], &blk[6] };
	struct sg_table sgt;
	struct scatterlist *sg;
	unsigned int i;
	u8 *buf = malloc(3 * PAGE_SIZE);

	assert_non_null(buf);
	for (i = 0; i < 8; i++)
		fill_pattern(page_address(&blk[i]), PAGE_SIZE, 80 + i);
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 5, 0,
						   5 * PAGE_SIZE, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 3);
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(sgt.nents, 3);
	assert_int_equal(sim_dma_debug_entries(m, dev), 3);
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		assert_int_equal(sg_dma_address(sg), sg_phys(sg));
		assert_int_equal(sg_dma_len(sg), sg->length);
		assert_int_equal(sim_dma_read(dev, sg_dma_address(sg), buf,
					      sg_dma_len(sg)), 0);
		assert_memory_equal(buf, sg_virt(sg), sg_dma_len(sg));
	}
	dma_sync_sgtable_for_cpu(dev, &sgt, DMA_TO_DEVICE);
	dma_sync_sgtable_for_device(dev, &sgt, DMA_TO_DEVICE);
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	sg_free_table(&sgt);

	/* A chained table through dma_map_sg. */
	assert_int_equal(sg_alloc_table(&sgt, 200, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i)
		sg_set_page(sg, &blk[i % 8], 64, (i / 8) * 128);
	assert_int_equal(dma_map_sg(dev, sgt.sgl, 200, DMA_FROM_DEVICE), 200);
	assert_int_equal(sim_dma_debug_entries(m, dev), 200);
	for_each_sgtable_sg(&sgt, sg, i) {
		u8 pat[64];

		fill_pattern(pat, sizeof(pat), i);
		assert_int_equal(sim_dma_write(dev, sg_dma_address(sg), pat,
					       sizeof(pat)), 0);
		assert_memory_equal(sg_virt(sg), pat, sizeof(pat));
	}
	dma_unmap_sg(dev, sgt.sgl, 200, DMA_FROM_DEVICE);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	sg_free_table(&sgt);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	free(buf);
	sim_free_pages(m, blk, 3);
	sim_machine_destroy(m);
}

static void test_sg_noncoherent_sync(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	struct page *a = alloc_high(m, 0), *b = alloc_high(m, 0);
	struct sg_table sgt;
	struct scatterlist *sg;
	u8 pat[512], buf[512];
	unsigned int i;

	assert_int_equal(sg_alloc_table(&sgt, 2, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, a, 512, 0);
	sg_set_page(sg_next(sgt.sgl), b, 512, 1024);

	/* TO_DEVICE: stale until dma_sync_sgtable_for_device. */
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0), 0);
	for_each_sgtable_sg(&sgt, sg, i)
		fill_pattern(sg_virt(sg), 512, 90 + i);
	sim_dma_debug_enable(m, false);
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		assert_int_equal(sim_dma_read(dev, sg_dma_address(sg), buf, 512), 0);
		assert_memory_not_equal(buf, sg_virt(sg), 512);
	}
	sim_dma_debug_enable(m, true);
	dma_sync_sgtable_for_device(dev, &sgt, DMA_BIDIRECTIONAL);
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		assert_int_equal(sim_dma_read(dev, sg_dma_address(sg), buf, 512), 0);
		assert_memory_equal(buf, sg_virt(sg), 512);
	}

	/* FROM the device: stale until dma_sync_sgtable_for_cpu. */
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		fill_pattern(pat, sizeof(pat), 95 + i);
		assert_int_equal(sim_dma_write(dev, sg_dma_address(sg), pat, 512), 0);
		assert_memory_not_equal(sg_virt(sg), pat, 512);
	}
	dma_sync_sgtable_for_cpu(dev, &sgt, DMA_BIDIRECTIONAL);
	for_each_sgtable_sg(&sgt, sg, i) {
		fill_pattern(pat, sizeof(pat), 95 + i);
		assert_memory_equal(sg_virt(sg), pat, 512);
	}
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	sg_free_table(&sgt);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	sim_free_pages(m, a, 0);
	sim_free_pages(m, b, 0);
	sim_machine_destroy(m);
}

static void test_sgtable_errors(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev32");
	struct page *p0 = alloc_high(m, 0), *p1 = alloc_high(m, 0);
	struct page *big = alloc_high(m, 7);	/* 512K: beyond swiotlb */
	unsigned long bugs = sim_report_count_kind(m, SIM_REPORT_BUG);
	unsigned long warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	struct sg_table sgt;
	struct sim_dma_stats s0;

	assert_int_equal(sg_alloc_table(&sgt, 3, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, p0, PAGE_SIZE, 0);
	sg_set_page(sg_next(sgt.sgl), p1, 2048, 512);
	sg_set_page(sg_next(sg_next(sgt.sgl)), big, 512 * SZ_1K, 0);

	assert_int_equal(dma_map_sgtable(dev, &sgt, (enum dma_data_direction)7,
					 0), -EINVAL);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), bugs + 1);

	/* Entries 0 and 1 bounce, entry 2 cannot: -EIO, and the first two
	 * are unwound (pool empty, nothing left in dma-debug). */
	s0 = stats(m);
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), -EIO);
	assert_int_equal(stats(m).bounced_maps - s0.bounced_maps, 2);
	assert_int_equal(stats(m).map_errors - s0.map_errors, 1);
	assert_true(sim_report_count_kind(m, SIM_REPORT_WARN) > warns);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "swiotlb buffer is full"));
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sgt.nents, 3);	/* untouched on failure */
	/* dma_map_sg reports the failure as 0 */
	assert_int_equal(dma_map_sg(dev, sgt.sgl, 3, DMA_TO_DEVICE), 0);
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* The first two alone map (bounced) and unmap cleanly. */
	sg_mark_end(sg_next(sgt.sgl));
	assert_int_equal(dma_map_sg(dev, sgt.sgl, 2, DMA_TO_DEVICE), 2);
	assert_true(swiotlb_used(dev) > 0);
	dma_unmap_sg(dev, sgt.sgl, 2, DMA_TO_DEVICE);
	assert_int_equal(swiotlb_used(dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);

	/* Table rebuilt with 3 entries for sg_free_table. */
	sg_unmark_end(sg_next(sgt.sgl));
	sg_free_table(&sgt);
	sim_free_pages(m, p0, 0);
	sim_free_pages(m, p1, 0);
	sim_free_pages(m, big, 7);
	sim_machine_destroy(m);
}

static void test_sg_nents_zero(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_high(m, 0);
	struct scatterlist sg;
	struct sg_table sgt = { .sgl = &sg, .nents = 0, .orig_nents = 0 };
	unsigned long warns = sim_report_count_kind(m, SIM_REPORT_WARN);

	sg_init_one(&sg, pg, 64, 0);
	assert_int_equal(dma_map_sg(dev, &sg, 0, DMA_TO_DEVICE), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	/* the kernel WARNs on a 0 return from map_sg and turns it into -EIO */
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), -EIO);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(stats(m).maps, 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                  */
/* ------------------------------------------------------------------------ */

static void test_need_sync_and_unmap(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct sim_machine *nc = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	struct device *ncd = sim_device(nc, "dev0");
	struct page *pg = alloc_high(m, 0);
	dma_addr_t direct, bounce;

	/* Coherent dma-direct: nothing to sync. With dma-debug on the
	 * per-address check runs and still says no. */
	direct = map_phys_ok(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	assert_true(dev->dma_skip_sync);
	assert_true(sim_dma_debug_enabled(m));
	assert_false(dma_need_sync(dev, direct));
	assert_true(dma_need_unmap(dev));	/* dma-debug wants the unmap */
	sim_dma_debug_enable(m, false);
	assert_false(dma_need_sync(dev, direct));
	assert_false(dma_need_unmap(dev));
	/* dma_dev_need_sync(): without dma-debug the syncs are skipped
	 * altogether on a coherent device, with it they run. */
	{
		unsigned long syncs = stats(m).syncs;

		dma_sync_single_for_cpu(dev, direct, 64, DMA_TO_DEVICE);
		dma_sync_single_for_device(dev, direct, 64, DMA_TO_DEVICE);
		assert_int_equal(stats(m).syncs, syncs);
		sim_dma_debug_enable(m, true);
		dma_sync_single_for_cpu(dev, direct, 64, DMA_TO_DEVICE);
		dma_sync_single_for_device(dev, direct, 64, DMA_TO_DEVICE);
		assert_int_equal(stats(m).syncs, syncs + 2);
	}

	/* Non-coherent: always. */
	assert_false(ncd->dma_skip_sync);
	assert_true(dma_need_sync(ncd, 0x100000));
	assert_true(dma_need_unmap(ncd));
	sim_dma_debug_enable(nc, false);
	assert_true(dma_need_sync(ncd, 0x100000));
	assert_true(dma_need_unmap(ncd));

	/* A bounce resets dma_skip_sync for good; the address still decides. */
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(32)), 0);
	bounce = map_phys_ok(dev, page_to_phys(pg) + 64, 64, DMA_TO_DEVICE, 0);
	assert_true(in_swiotlb(m, bounce, 64));
	assert_false(dev->dma_skip_sync);
	assert_true(dma_need_sync(dev, bounce));
	assert_false(dma_need_sync(dev, direct));
	sim_dma_debug_enable(m, false);
	assert_true(dma_need_sync(dev, bounce));
	assert_false(dma_need_sync(dev, direct));
	assert_true(dma_need_unmap(dev));
	{
		unsigned long syncs = stats(m).syncs;

		dma_sync_single_for_cpu(dev, direct, 64, DMA_TO_DEVICE);
		assert_int_equal(stats(m).syncs, syncs + 1);
	}
	sim_dma_debug_enable(m, true);
	dma_unmap_phys(dev, bounce, 64, DMA_TO_DEVICE, 0);
	dma_unmap_phys(dev, direct, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(nc);
	sim_machine_destroy(m);
}

#define PLAT_LOW_ONLY							\
	"machine name=lo arch=x86_64 ram=128M ram-below-4g=128M\n"	\
	"swiotlb size=4M\n"						\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev32 bus=rp0 dma-bits=32\n"

static void test_max_mapping_size_and_required_mask(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct sim_machine *cc = api_machine_new(&variant_cc);
	struct sim_machine *lo = machine_from(PLAT_LOW_ONLY);
	struct device *dev = sim_device(m, "dev0");
	struct device *dev32 = sim_device(m, "dev32");

	/* RAM tops out at 4G + 128M: 33 bits are needed. */
	assert_int_equal(dma_get_required_mask(dev), DMA_BIT_MASK(33));
	assert_int_equal(dma_get_required_mask(dev32), DMA_BIT_MASK(33));
	assert_int_equal(dma_get_required_mask(sim_device(lo, "dev32")),
			 DMA_BIT_MASK(27));

	assert_false(dma_addressing_limited(dev));
	assert_int_equal(dma_max_mapping_size(dev), SIZE_MAX);
	assert_int_equal(dma_opt_mapping_size(dev), SIZE_MAX);
	assert_true(dma_addressing_limited(dev32));
	assert_int_equal(dma_max_mapping_size(dev32), 256 * SZ_1K);
	assert_int_equal(dma_opt_mapping_size(dev32), 256 * SZ_1K);

	/* A 32-bit device on a machine with RAM only below 4G is fine. */
	assert_false(dma_addressing_limited(sim_device(lo, "dev32")));
	assert_int_equal(dma_max_mapping_size(sim_device(lo, "dev32")), SIZE_MAX);

	/* Everything bounces in a confidential guest. */
	assert_false(dma_addressing_limited(sim_device(cc, "dev0")));
	assert_int_equal(dma_max_mapping_size(sim_device(cc, "dev0")),
			 256 * SZ_1K);

	/* Narrowing the mask of the 64-bit device changes its answer. */
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_max_mapping_size(dev), 256 * SZ_1K);
	sim_machine_destroy(lo);
	sim_machine_destroy(cc);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Tracing                                                                  */
/* ------------------------------------------------------------------------ */

static char *slurp(FILE *f)
{
	long len;
	char *s;

	fflush(f);
	len = ftell(f);
	assert_true(len >= 0);
	s = calloc(1, (size_t)len + 1);
	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
	return s;
}

static void test_trace_events(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct device *dev32 = sim_device(m, "dev32");
	struct page *pg = alloc_high(m, 0);
	FILE *f = tmpfile();
	char needle[160], *out;
	dma_addr_t a;

	assert_non_null(f);
	sim_trace_set_file(m, f);
	a = map_phys_ok(dev, page_to_phys(pg), 256, DMA_TO_DEVICE, 0);
	dma_sync_single_for_cpu(dev, a, 256, DMA_TO_DEVICE);
	dma_sync_single_for_device(dev, a, 256, DMA_TO_DEVICE);
	dma_unmap_phys(dev, a, 256, DMA_TO_DEVICE, 0);
	/* a failing map (MMIO above 4G for a 32-bit device) is traced too */
	a = dma_map_resource(dev32, bar_of(m, "gpu0", 2), 4096,
			     DMA_FROM_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	/* five calls, and the failing map's report as an event of its own */
	assert_int_equal(sim_trace_events(m), 6);
	sim_trace_set_file(m, NULL);

	/* Nothing is written once the file is cleared. */
	a = map_phys_ok(dev, page_to_phys(pg), 256, DMA_TO_DEVICE, 0);
	dma_unmap_phys(dev, a, 256, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_trace_events(m), 6);

	out = slurp(f);
	assert_non_null(strstr(out, "# tracer: nop"));
	snprintf(needle, sizeof(needle),
		 "dma_map_phys: %s dir=TO_DEVICE dma_addr=%llx size=256 phys_addr=%llx",
		 dev_name(dev), (unsigned long long)page_to_phys(pg),
		 (unsigned long long)page_to_phys(pg));
	assert_non_null(strstr(out, needle));
	snprintf(needle, sizeof(needle), "dma_unmap_phys: %s dir=TO_DEVICE",
		 dev_name(dev));
	assert_non_null(strstr(out, needle));
	snprintf(needle, sizeof(needle),
		 "dma_sync_single_for_cpu: %s dir=TO_DEVICE dma_addr=",
		 dev_name(dev));
	assert_non_null(strstr(out, needle));
	assert_non_null(strstr(out, "dma_sync_single_for_device: "));
	snprintf(needle, sizeof(needle),
		 "dma_map_phys: %s dir=FROM_DEVICE dma_addr=ffffffffffffffff",
		 dev_name(dev32));
	assert_non_null(strstr(out, needle));
	assert_non_null(strstr(out, "attrs=MMIO"));
	snprintf(needle, sizeof(needle), "dmastack_report: kind=warning device=%s ",
		 dev_name(dev32));
	assert_non_null(strstr(out, needle));
	/* one line per event after the 4 header lines */
	{
		int lines = 0;

		for (char *p = out; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 4 + 6);
	}
	free(out);
	fclose(f);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* fault injection                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Every allocating path of dma-direct with the Nth allocation failing:
 * streaming maps (single, page, phys, sg, sgtable), MMIO, coherent,
 * page and non-coherent allocations and a dma_pool, on a coherent and a
 * non-coherent machine and a confidential guest; for the 64-bit device
 * and for a 32-bit one whose buffers sit above 4G (bounced).
 */
static void sweep_direct(const struct dma_variant *v, const char *id,
			 unsigned int flags)
{
	struct sim_machine *m = api_machine_new(v);
	struct device *dev = dev_of(m, id);
	struct api_scn s;
	char name[96];
	struct failnth fn = { .name = name, .m = m, .ctx = &s,
			      .run = api_scn_run };

	snprintf(name, sizeof(name), "%s %s", v->name, id);
	/* a confidential guest cannot map MMIO (never bounced) */
	api_scn_init(&s, m, dev, v->cc ? 0 : bar_of(m, "peer", 0), API_ALL,
		     API_CHECK_DATA | flags);
	failnth_sweep(&fn);
	print_message("%s: %lu fail-nth runs, %lu allocations a run\n", name,
		      fn.runs, fn.count);
	/*
	 * Streaming maps take nothing from the allocator here (the bounce
	 * slots are swiotlb's own): only the allocations fail.
	 */
	assert_int_equal(api_scn_failed_steps(&s), API_ALLOCS);
	assert_int_equal(fn.failed, fn.runs - 1);
	api_scn_fini(&s);
	assert_int_equal(machine_teardown(m, TD_CLEAN), 0);
}

static void test_failnth_direct(void **state)
{
	(void)state;
	sweep_direct(&variant_direct, "dev0", 0);
	sweep_direct(&variant_direct, "dev32", API_HIGH_RAM);
	sweep_direct(&variant_direct_noncoherent, "dev0", 0);
	sweep_direct(&variant_direct_noncoherent, "dev32", API_HIGH_RAM);
	sweep_direct(&variant_cc, "dev0", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_phys_coherent),
		cmocka_unit_test(test_map_page_and_single_wrappers),
		cmocka_unit_test(test_mmio_resource_p2p),
		cmocka_unit_test(test_mmio_no_cache_maintenance),
		cmocka_unit_test(test_mmio_never_bounced_confidential),
		cmocka_unit_test(test_mmio_32bit_mask_bar_above_4g),
		cmocka_unit_test(test_map_resource_of_ram),
		cmocka_unit_test(test_legacy_ops_dispatch),
		cmocka_unit_test(test_invalid_direction),
		cmocka_unit_test(test_null_dma_mask),
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_32bit_mask_bounces),
		cmocka_unit_test(test_no_swiotlb_overflow),
		cmocka_unit_test(test_dram_bus_offset),
		cmocka_unit_test(test_bus_dma_limit_bounces),
		cmocka_unit_test(test_noncoherent_cpu_to_device),
		cmocka_unit_test(test_noncoherent_device_to_cpu),
		cmocka_unit_test(test_noncoherent_skip_cpu_sync),
		cmocka_unit_test(test_noncoherent_partial_cacheline),
		cmocka_unit_test(test_sg_alloc_table_chains),
		cmocka_unit_test(test_sg_from_pages_merges),
		cmocka_unit_test(test_map_sgtable_coherent),
		cmocka_unit_test(test_sg_noncoherent_sync),
		cmocka_unit_test(test_sgtable_errors),
		cmocka_unit_test(test_sg_nents_zero),
		cmocka_unit_test(test_need_sync_and_unmap),
		cmocka_unit_test(test_max_mapping_size_and_required_mask),
		cmocka_unit_test(test_trace_events),
		cmocka_unit_test(test_failnth_direct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
