// SPDX-License-Identifier: MIT
/*
 * Misuse of the DMA API that must neither crash the program nor corrupt
 * anything silently: every case is reported (as the kernel's oops, WARN or
 * dma-debug report reads where the kernel has one) and refused with an
 * error, and what was correctly allocated stays correct.
 *
 * - devices that cannot do DMA: NULL, no DMA mask, a device a driver made
 *   (no machine, no DMA configuration), with and without a current machine;
 * - NULL pages, scatterlist entries without pages, counts beyond the list;
 * - sim_iommu_fq_stats() with NULL outputs;
 * - dma_iova_free() twice, or of a state never allocated, and
 *   dma_free_coherent() twice through an IOMMU: the IOVA is freed once;
 * - physical ranges that wrap or are not RAM, on every streaming path;
 * - a dma_pool still alive when the machine is destroyed.
 */
#include <stdint.h>
#include <dmastack/linux/slab.h>
#include "failnth.h"
#include "variants.h"

struct fx {
	VARIANT_FX;
	struct device *dev;	/* dev0: 64-bit, trusted */
	struct page *pg;	/* one page of RAM above 4G */
	phys_addr_t phys;
};

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_api_machine);

	f->dev = dev_of(f->m, "dev0");
	f->pg = sim_alloc_pages_range(f->m, 0, SZ_4G, ~0ULL);
	assert_non_null(f->pg);
	f->phys = page_to_phys(f->pg);
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f)
		sim_free_pages(f->m, f->pg, 0);
	return variant_fx_teardown(state, TD_IOMMU_FAULT);
}

static unsigned long nr(struct fx *f, enum sim_report_kind kind)
{
	return sim_report_count_kind(f->m, kind);
}

/* A report of @kind containing @needle, or the test fails. */
static void expect(struct sim_machine *m, enum sim_report_kind kind,
		   const char *needle)
{
	if (!sim_report_find(m, kind, needle)) {
		sim_report_dump(m, stderr);
		fail_msg("no report of kind %d containing '%s'", (int)kind,
			 needle);
	}
}

/* Nothing mapped, no swiotlb slot held, no IOVA live on @dev. */
static void expect_nothing_held(struct fx *f, struct device *dev)
{
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(swiotlb_used(dev), 0);
	if (f->translated) {
		struct sim_iommu_iova_stats st;

		drain_flush_queue(dev);
		assert_int_equal(sim_iommu_iova_stats(dev, &st), 0);
		assert_int_equal(st.live, 0);
	}
}

/* ------------------------------------------------------------------------ */
/* Devices that cannot do DMA                                               */
/* ------------------------------------------------------------------------ */

/*
 * Every DMA API call on a device that has no machine (one a driver declared
 * itself), without a DMA mask (@no_mask) or with one: reported on the
 * current machine with the call named, refused.
 */
static void calls_on_unusable(struct fx *f, struct device *d, bool no_mask)
{
	unsigned long warns = nr(f, SIM_REPORT_WARN);
	unsigned long bugs = nr(f, SIM_REPORT_BUG);
	struct scatterlist sg;
	dma_addr_t h = 0;

	assert_int_equal(dma_map_phys(d, f->phys, 64, DMA_TO_DEVICE, 0),
			 DMA_MAPPING_ERROR);
	assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 1);
	expect(f->m, SIM_REPORT_WARN, no_mask ? "dma_map_phys: bare has no DMA mask" :
		"dma_map_phys: bare has no DMA configuration");
	assert_int_equal(dma_map_page(d, f->pg, 0, 64, DMA_TO_DEVICE),
			 DMA_MAPPING_ERROR);
	expect(f->m, SIM_REPORT_WARN, "dma_map_page_attrs: bare has no");
	assert_int_equal(dma_map_single(d, page_address(f->pg), 64,
					DMA_TO_DEVICE), DMA_MAPPING_ERROR);
	expect(f->m, SIM_REPORT_WARN, "dma_map_single_attrs: bare has no");
	assert_int_equal(dma_map_resource(d, f->phys, 64, DMA_TO_DEVICE, 0),
			 DMA_MAPPING_ERROR);
	sg_init_one(&sg, f->pg, 64, 0);
	assert_int_equal(dma_map_sg(d, &sg, 1, DMA_TO_DEVICE), 0);
	assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 5);
	/* coherent memory needs no streaming mask, but a DMA configuration */
	assert_null(dma_alloc_coherent(d, PAGE_SIZE, &h, GFP_KERNEL));
	assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 6);
	/* the kernel's unmap and sync dereference the missing mask */
	dma_unmap_phys(d, 0x1000, 64, DMA_TO_DEVICE, 0);
	dma_sync_single_for_cpu(d, 0x1000, 64, DMA_FROM_DEVICE);
	dma_unmap_sg(d, &sg, 1, DMA_TO_DEVICE);
	if (no_mask) {
		assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 3);
		assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 6);
		expect(f->m, SIM_REPORT_BUG,
		       "NULL pointer dereference, address: 0000000000000000: dma_unmap_phys: bare has no DMA mask");
		expect(f->m, SIM_REPORT_BUG,
		       "dma_sync_single_for_cpu: bare has no DMA mask");
	} else {
		assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 9);
	}
	dma_free_coherent(d, PAGE_SIZE, page_address(f->pg), 0x1000);
	expect(f->m, SIM_REPORT_WARN, "dma_free_attrs: bare has no DMA configuration");
	warns = nr(f, SIM_REPORT_WARN);
	assert_null(dma_alloc_pages(d, PAGE_SIZE, &h, DMA_TO_DEVICE,
				    GFP_KERNEL));
	assert_null(dma_alloc_noncontiguous(d, PAGE_SIZE, DMA_TO_DEVICE,
					    GFP_KERNEL, 0));
	assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 2);
	expect(f->m, SIM_REPORT_WARN,
	       "dma_alloc_noncontiguous: bare has no DMA configuration");
	assert_int_equal(dma_mapping_error(d, DMA_MAPPING_ERROR), -ENOMEM);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_device_without_dma(void **state)
{
	struct fx *f = *state;
	struct device bare = { .name = "bare" };
	u64 mask = DMA_BIT_MASK(64);
	struct sim_machine *prev;
	unsigned long all;

	/* no mask, no machine: reported on the current machine */
	assert_ptr_equal(sim_current_machine(), f->m);
	calls_on_unusable(f, &bare, true);
	/* a mask, still no DMA configuration */
	bare.dma_mask = &mask;
	calls_on_unusable(f, &bare, false);

	/* without a current machine the reports go to stderr: no crash */
	all = sim_report_count(f->m);
	prev = sim_set_current_machine(NULL);
	bare.dma_mask = NULL;
	assert_int_equal(dma_map_phys(&bare, f->phys, 64, DMA_TO_DEVICE, 0),
			 DMA_MAPPING_ERROR);
	assert_int_equal(dma_map_phys(NULL, f->phys, 64, DMA_TO_DEVICE, 0),
			 DMA_MAPPING_ERROR);
	dma_unmap_phys(&bare, 0x1000, 64, DMA_TO_DEVICE, 0);
	sim_set_current_machine(prev);
	assert_int_equal(sim_report_count(f->m), all);
	expect_nothing_held(f, f->dev);
}

static void child_release(struct device *dev)
{
	(void)dev;
}

/* A device the driver made (device_initialize()): its parent's machine. */
static void test_driver_made_device(void **state)
{
	struct fx *f = *state;
	struct device child = { .parent = f->dev, .init_name = "child0",
				.release = child_release };
	unsigned long warns;

	device_initialize(&child);
	assert_int_equal(device_add(&child), 0);
	assert_ptr_equal(child.sim, f->m);
	warns = nr(f, SIM_REPORT_WARN);
	assert_int_equal(dma_map_phys(&child, f->phys, 64, DMA_TO_DEVICE, 0),
			 DMA_MAPPING_ERROR);
	assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 1);
	expect(f->m, SIM_REPORT_WARN, "dma_map_phys: child0 has no DMA mask");
	/* the same call on the parent works */
	dma_unmap_phys(f->dev, map_phys_ok(f->dev, f->phys, 64, DMA_TO_DEVICE, 0),
		       64, DMA_TO_DEVICE, 0);
	device_del(&child);
	put_device(&child);
	assert_int_equal(nr(f, SIM_REPORT_BUG), 0);
	expect_nothing_held(f, f->dev);
}

static void test_null_device(void **state)
{
	struct fx *f = *state;
	unsigned long bugs = nr(f, SIM_REPORT_BUG);
	unsigned long warns = nr(f, SIM_REPORT_WARN);
	struct scatterlist sg;
	dma_addr_t h = 0;

	assert_int_equal(dma_map_phys(NULL, f->phys, 64, DMA_TO_DEVICE, 0),
			 DMA_MAPPING_ERROR);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 1);
	expect(f->m, SIM_REPORT_BUG,
	       "BUG: kernel NULL pointer dereference, address: 0000000000000000: dma_map_phys: the struct device * is NULL");
	assert_int_equal(dma_map_page(NULL, f->pg, 0, 64, DMA_TO_DEVICE),
			 DMA_MAPPING_ERROR);
	expect(f->m, SIM_REPORT_BUG, "dma_map_page_attrs: the struct device * is NULL");
	assert_int_equal(dma_map_single(NULL, page_address(f->pg), 64,
					DMA_TO_DEVICE), DMA_MAPPING_ERROR);
	expect(f->m, SIM_REPORT_BUG, "dma_map_single_attrs: the struct device * is NULL");
	dma_unmap_phys(NULL, 0x1000, 64, DMA_TO_DEVICE, 0);
	expect(f->m, SIM_REPORT_BUG, "dma_unmap_phys: the struct device * is NULL");
	sg_init_one(&sg, f->pg, 64, 0);
	assert_int_equal(dma_map_sg(NULL, &sg, 1, DMA_TO_DEVICE), 0);
	expect(f->m, SIM_REPORT_BUG, "dma_map_sg_attrs: the struct device * is NULL");
	dma_unmap_sg(NULL, &sg, 1, DMA_TO_DEVICE);
	dma_sync_single_for_device(NULL, 0x1000, 64, DMA_TO_DEVICE);
	dma_sync_sg_for_cpu(NULL, &sg, 1, DMA_TO_DEVICE);
	assert_null(dma_alloc_coherent(NULL, PAGE_SIZE, &h, GFP_KERNEL));
	dma_free_coherent(NULL, PAGE_SIZE, page_address(f->pg), 0x1000);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 10);
	assert_null(dma_alloc_pages(NULL, PAGE_SIZE, &h, DMA_TO_DEVICE,
				    GFP_KERNEL));
	expect(f->m, SIM_REPORT_BUG, "dma_alloc_pages: the struct device * is NULL");
	assert_null(dma_alloc_noncoherent(NULL, PAGE_SIZE, &h, DMA_TO_DEVICE,
					  GFP_KERNEL));
	dma_free_pages(NULL, PAGE_SIZE, f->pg, 0x1000, DMA_TO_DEVICE);
	dma_free_noncoherent(NULL, PAGE_SIZE, page_address(f->pg), 0x1000,
			     DMA_TO_DEVICE);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 14);
	bugs += 4;
	assert_int_equal(dma_mapping_error(NULL, DMA_MAPPING_ERROR), -ENOMEM);
	/* no table */
	assert_int_equal(dma_map_sgtable(f->dev, NULL, DMA_TO_DEVICE, 0),
			 -EINVAL);
	dma_unmap_sgtable(f->dev, NULL, DMA_TO_DEVICE, 0);
	dma_sync_sgtable_for_cpu(f->dev, NULL, DMA_FROM_DEVICE);
	dma_sync_sgtable_for_device(f->dev, NULL, DMA_TO_DEVICE);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 14);
	expect(f->m, SIM_REPORT_BUG, "dma_map_sgtable: the struct sg_table * is NULL");
	assert_int_equal(nr(f, SIM_REPORT_WARN), warns);
	expect_nothing_held(f, f->dev);
}

static void test_null_page(void **state)
{
	struct fx *f = *state;

	for (int on = 1; on >= 0; on--) {
		unsigned long bugs = nr(f, SIM_REPORT_BUG);

		sim_dma_debug_enable(f->m, on);
		assert_int_equal(dma_map_page(f->dev, NULL, 0, 64,
					      DMA_TO_DEVICE),
				 DMA_MAPPING_ERROR);
		assert_int_equal(dma_map_page_attrs(f->dev, NULL, 128, 64,
						    DMA_FROM_DEVICE,
						    DMA_ATTR_SKIP_CPU_SYNC),
				 DMA_MAPPING_ERROR);
		assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 2);
		expect(f->m, SIM_REPORT_BUG,
		       "NULL pointer dereference, address: 0000000000000000: dma_map_page_attrs: the struct page * is NULL");
	}
	sim_dma_debug_enable(f->m, true);
	expect_nothing_held(f, f->dev);
}

/* An sg entry without a page maps nothing, on any path. */
static void test_sg_entry_without_page(void **state)
{
	struct fx *f = *state;
	unsigned long bugs = nr(f, SIM_REPORT_BUG);
	struct scatterlist sg[3];
	struct sg_table sgt = { .sgl = sg, .nents = 3, .orig_nents = 3 };
	struct sim_dma_stats st0, st1;
	char needle[160];

	sim_dma_stats_get(f->m, &st0);
	sg_init_table(sg, 3);
	sg_set_page(&sg[0], f->pg, 64, 0);
	sg[1].length = 64;		/* no page */
	sg_set_page(&sg[2], f->pg, 64, 128);
	assert_int_equal(dma_map_sg(f->dev, sg, 3, DMA_TO_DEVICE), 0);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 1);
	snprintf(needle, sizeof(needle),
		 "kernel BUG: dma_map_sg_attrs: %s %s: entry 1 of 3 has no page",
		 dev_driver_string(f->dev), dev_name(f->dev));
	expect(f->m, SIM_REPORT_BUG, needle);
	assert_int_equal(dma_map_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0),
			 -EINVAL);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 2);
	sim_dma_stats_get(f->m, &st1);
	assert_int_equal(st1.map_errors, st0.map_errors + 2);
	assert_int_equal(st1.maps, st0.maps);
	assert_int_equal(st1.bounced_maps, st0.bounced_maps);
	/* unmapping it unmaps nothing (it was never mapped) */
	dma_unmap_sg(f->dev, sg, 3, DMA_TO_DEVICE);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 3);
	/* with the page set, the same list maps */
	sg_set_page(&sg[1], f->pg, 64, 64);
	sgt.nents = 0;
	assert_int_equal(dma_map_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0), 0);
	assert_true(sgt.nents >= 1);
	dma_unmap_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 3);
	assert_int_equal(sim_dma_debug_errors(f->m), 0);
	expect_nothing_held(f, f->dev);
}

/*
 * dma_unmap_sg() and the sg syncs with more entries than the list: the
 * kernel runs off its end; here the count is cut to the list, reported,
 * and what was mapped is unmapped.
 */
static void test_sg_count_beyond_list(void **state)
{
	struct fx *f = *state;
	unsigned long bugs = nr(f, SIM_REPORT_BUG);
	struct scatterlist sg[2];
	int n;

	sg_init_table(sg, 2);
	sg_set_page(&sg[0], f->pg, 512, 0);
	sg_set_page(&sg[1], f->pg, 512, 1024);
	/* mapping more entries than the list is refused the same way */
	assert_int_equal(dma_map_sg(f->dev, sg, 4, DMA_TO_DEVICE), 0);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 1);
	expect(f->m, SIM_REPORT_BUG,
	       "NULL pointer dereference, address: 0000000000000000: dma_map_sg_attrs:");
	expect(f->m, SIM_REPORT_BUG, "4 entries asked for, the list ends after 2");
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);

	n = (int)dma_map_sg(f->dev, sg, 2, DMA_BIDIRECTIONAL);
	assert_true(n >= 1);
	dma_sync_sg_for_cpu(f->dev, sg, 7, DMA_BIDIRECTIONAL);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 2);
	expect(f->m, SIM_REPORT_BUG,
	       "dma_sync_sg_for_cpu: ");
	dma_sync_sg_for_device(f->dev, sg, 2, DMA_BIDIRECTIONAL);
	dma_unmap_sg(f->dev, sg, 5, DMA_BIDIRECTIONAL);
	assert_int_equal(nr(f, SIM_REPORT_BUG), bugs + 3);
	expect(f->m, SIM_REPORT_BUG,
	       "dma_unmap_sg_attrs:");
	expect(f->m, SIM_REPORT_BUG, "5 entries asked for, the list ends after 2");
	/* nothing else is wrong: the unmap matched the map */
	assert_int_equal(sim_dma_debug_errors(f->m), 0);
	expect_nothing_held(f, f->dev);
}

/* ------------------------------------------------------------------------ */
/* sim_iommu_fq_stats() outputs                                             */
/* ------------------------------------------------------------------------ */

static void test_fq_stats_null_outputs(void **state)
{
	struct fx *f = *state;
	unsigned long flushes = 99, stale = 99;
	unsigned int queued = 99;
	u64 wops = 99, wns = 99;
	dma_addr_t a;

	assert_int_equal(sim_iommu_fq_stats(NULL, &flushes, &queued, &wops,
					    &wns, &stale), -EINVAL);
	if (!f->translated) {
		assert_int_equal(sim_iommu_fq_stats(f->dev, NULL, NULL, NULL,
						    NULL, NULL), -ENOENT);
		assert_int_equal(queued, 99);
		return;
	}
	assert_int_equal(sim_iommu_fq_stats(f->dev, NULL, NULL, NULL, NULL,
					    NULL), 0);
	a = map_phys_ok(f->dev, f->phys, 64, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 64, DMA_TO_DEVICE, 0);
	/* one output at a time: only it is stored */
	assert_int_equal(sim_iommu_fq_stats(f->dev, NULL, &queued, NULL, NULL,
					    NULL), 0);
	assert_int_equal(queued, f->lazy ? 1 : 0);
	assert_int_equal(flushes, 99);
	assert_int_equal(sim_iommu_fq_stats(f->dev, &flushes, NULL, NULL, NULL,
					    NULL), 0);
	assert_int_equal(flushes, 0);
	assert_int_equal(sim_iommu_fq_stats(f->dev, NULL, NULL, &wops, &wns,
					    &stale), 0);
	assert_int_equal(stale, 0);
	drain_flush_queue(f->dev);
	assert_int_equal(sim_iommu_fq_stats(f->dev, &flushes, &queued, NULL,
					    NULL, NULL), 0);
	assert_int_equal(queued, 0);
	assert_int_equal(flushes, f->lazy ? 1 : 0);
	expect_nothing_held(f, f->dev);
}

/* ------------------------------------------------------------------------ */
/* Double frees through the IOMMU                                           */
/* ------------------------------------------------------------------------ */

/*
 * The report of a second free: a dma-debug error when dma-debug is on, a
 * WARN from iommu-dma when it is off. @before: the counts before.
 */
static void expect_free_report(struct fx *f, bool debug, unsigned long errs,
			       unsigned long warns, const char *dbg_needle,
			       const char *warn_needle)
{
	if (debug) {
		assert_int_equal(sim_dma_debug_errors(f->m), errs + 1);
		assert_int_equal(nr(f, SIM_REPORT_WARN), warns);
		expect(f->m, SIM_REPORT_DMA_DEBUG, dbg_needle);
	} else {
		assert_int_equal(sim_dma_debug_errors(f->m), errs);
		assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 1);
		expect(f->m, SIM_REPORT_WARN, warn_needle);
	}
}

static void test_iova_free_twice(void **state)
{
	struct fx *f = *state;

	if (!f->translated) {
		struct dma_iova_state st;

		/* no IOVA API: nothing to free, nothing reported */
		assert_false(dma_iova_try_alloc(f->dev, &st, f->phys, SZ_64K));
		dma_iova_free(f->dev, &st);
		assert_int_equal(sim_report_count(f->m), 0);
		return;
	}
	for (int on = 1; on >= 0; on--) {
		struct dma_iova_state a, copy, b, c;
		unsigned long errs, warns;
		size_t size = 2 * f->v->granule;

		sim_dma_debug_enable(f->m, on);
		assert_true(dma_iova_try_alloc(f->dev, &a, f->phys, size));
		copy = a;
		dma_iova_free(f->dev, &a);
		errs = sim_dma_debug_errors(f->m);
		warns = nr(f, SIM_REPORT_WARN);
		dma_iova_free(f->dev, &a);
		expect_free_report(f, on, errs, warns,
				   "dma_iova_free of an IOVA state not allocated by dma_iova_try_alloc",
				   "dma_iova_free: ");
		/* a copy of the freed state, freed again */
		errs = sim_dma_debug_errors(f->m);
		warns = nr(f, SIM_REPORT_WARN);
		dma_iova_free(f->dev, &copy);
		expect_free_report(f, on, errs, warns,
				   "dma_iova_free of an IOVA state not allocated",
				   "freed already or never allocated: ignored");
		/* the IOVA was given back once: two states, two ranges */
		assert_true(dma_iova_try_alloc(f->dev, &b, f->phys, size));
		assert_true(dma_iova_try_alloc(f->dev, &c, f->phys, size));
		assert_true(b.addr + size <= c.addr || c.addr + size <= b.addr);
		/*
		 * destroying the freed state unlinks nothing of another's,
		 * even where that one has the same IOVA
		 */
		assert_int_equal(dma_iova_link(f->dev, &b, f->phys, 0, PAGE_SIZE,
					       DMA_TO_DEVICE, 0), 0);
		assert_int_equal(dma_iova_sync(f->dev, &b, 0, PAGE_SIZE), 0);
		errs = sim_dma_debug_errors(f->m);
		warns = nr(f, SIM_REPORT_WARN);
		dma_iova_destroy(f->dev, &a, PAGE_SIZE, DMA_TO_DEVICE, 0);
		expect_free_report(f, on, errs, warns,
				   "dma_iova_destroy of an IOVA state not allocated by dma_iova_try_alloc",
				   "dma_iova_destroy: ");
		{
			char got[2];

			assert_int_equal(sim_dma_read(f->dev, b.addr, got, 2),
					 0);
		}
		dma_iova_destroy(f->dev, &b, PAGE_SIZE, DMA_TO_DEVICE, 0);
		dma_iova_free(f->dev, &c);
		/* a state never allocated */
		errs = sim_dma_debug_errors(f->m);
		warns = nr(f, SIM_REPORT_WARN);
		c.addr += 64 * f->v->granule;
		dma_iova_free(f->dev, &c);
		expect_free_report(f, on, errs, warns,
				   "dma_iova_free of an IOVA state not allocated",
				   "no IOVA state allocated at");
		drain_flush_queue(f->dev);
		expect_nothing_held(f, f->dev);
	}
	sim_dma_debug_enable(f->m, true);
	assert_int_equal(nr(f, SIM_REPORT_BUG), 0);
}

static void test_coherent_free_twice(void **state)
{
	struct fx *f = *state;
	unsigned long pages = sim_ram_pages_allocated(f->m);

	for (int on = 1; on >= 0; on--) {
		unsigned long errs, warns, bugs = nr(f, SIM_REPORT_BUG);
		dma_addr_t h, h1, h2;
		void *cpu, *c1, *c2;

		sim_dma_debug_enable(f->m, on);
		cpu = dma_alloc_coherent(f->dev, PAGE_SIZE, &h, GFP_KERNEL);
		assert_non_null(cpu);
		dma_free_coherent(f->dev, PAGE_SIZE, cpu, h);
		errs = sim_dma_debug_errors(f->m);
		warns = nr(f, SIM_REPORT_WARN);
		dma_free_coherent(f->dev, PAGE_SIZE, cpu, h);
		if (f->translated)
			expect_free_report(f, on, errs, warns,
					   "device driver tries to free DMA memory it has not allocated",
					   "dma_free_attrs: ");
		else if (on)	/* dma-direct: dma-debug, then the page allocator */
			assert_int_equal(sim_dma_debug_errors(f->m), errs + 1);
		if (f->translated)	/* the pages were not freed twice */
			assert_int_equal(nr(f, SIM_REPORT_BUG), bugs);
		expect_nothing_held(f, f->dev);
		/* later allocations work, at distinct addresses */
		c1 = dma_alloc_coherent(f->dev, PAGE_SIZE, &h1, GFP_KERNEL);
		c2 = dma_alloc_coherent(f->dev, PAGE_SIZE, &h2, GFP_KERNEL);
		assert_non_null(c1);
		assert_non_null(c2);
		assert_true(h1 != h2);
		assert_ptr_not_equal(c1, c2);
		dma_free_coherent(f->dev, PAGE_SIZE, c2, h2);
		dma_free_coherent(f->dev, PAGE_SIZE, c1, h1);
		expect_nothing_held(f, f->dev);
	}
	sim_dma_debug_enable(f->m, true);
	if (f->translated)
		assert_int_equal(nr(f, SIM_REPORT_BUG), 0);
	/* the IOMMU's page tables may stay: the memory freed is the same */
	if (!f->translated)
		assert_int_equal(sim_ram_pages_allocated(f->m), pages);
}

/*
 * Freed with the wrong size or CPU address through an IOMMU: the
 * allocation is freed as it was made (dma-debug says what was wrong).
 */
static void test_coherent_free_wrong_args(void **state)
{
	struct fx *f = *state;
	unsigned long pages;
	dma_addr_t h;
	void *cpu;

	if (!f->translated)
		return;
	pages = sim_ram_pages_allocated(f->m);
	cpu = dma_alloc_coherent(f->dev, 3 * PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(cpu);
	dma_free_coherent(f->dev, PAGE_SIZE, (u8 *)cpu + PAGE_SIZE, h);
	assert_true(sim_dma_debug_errors(f->m) >= 1);
	expect(f->m, SIM_REPORT_DMA_DEBUG, "different size");
	expect_nothing_held(f, f->dev);
	assert_true(sim_ram_pages_allocated(f->m) <= pages);
	assert_int_equal(nr(f, SIM_REPORT_BUG), 0);
}

/* ------------------------------------------------------------------------ */
/* Physical ranges that do not exist                                        */
/* ------------------------------------------------------------------------ */

static void expect_refused(struct fx *f, phys_addr_t phys, size_t size,
			   unsigned long attrs, const char *needle)
{
	unsigned long warns = nr(f, SIM_REPORT_WARN);
	struct sim_dma_stats st0, st1;

	sim_dma_stats_get(f->m, &st0);
	assert_int_equal(dma_map_phys(f->dev, phys, size, DMA_TO_DEVICE,
				      attrs), DMA_MAPPING_ERROR);
	assert_int_equal(nr(f, SIM_REPORT_WARN), warns + 1);
	expect(f->m, SIM_REPORT_WARN, needle);
	sim_dma_stats_get(f->m, &st1);
	/* nothing bounced, nothing mapped */
	assert_int_equal(st1.bounced_maps, st0.bounced_maps);
	assert_int_equal(st1.maps, st0.maps);
	assert_int_equal(swiotlb_used(f->dev), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_map_wrapping_range(void **state)
{
	struct fx *f = *state;
	char needle[200];

	snprintf(needle, sizeof(needle),
		 "dma_map_phys: %s %s: [phys=%#llx] [size=4096 bytes] wraps past the end of the physical address space: refused",
		 dev_driver_string(f->dev), dev_name(f->dev),
		 (unsigned long long)~0ULL - 100);
	expect_refused(f, ~0ULL - 100, 4096, 0, needle);
	expect_refused(f, ~0ULL - 100, 4096, DMA_ATTR_MMIO,
		       "[size=4096 bytes] wraps past the end");
	/* RAM at the start does not make the wrap right */
	expect_refused(f, f->phys, (size_t)(~0ULL - f->phys) + 2, 0,
		       "wraps past the end of the physical address space");
	/* the last byte of the address space alone is no wrap (not RAM) */
	expect_refused(f, ~0ULL, 1, 0, "is not RAM");
	dma_unmap_phys(f->dev, map_phys_ok(f->dev, f->phys, 4096, DMA_TO_DEVICE, 0),
		       4096, DMA_TO_DEVICE, 0);
	expect_nothing_held(f, f->dev);
}

static void test_map_not_ram(void **state)
{
	struct fx *f = *state;
	/* (the top of low RAM is the swiotlb pool's) */
	const phys_addr_t hole = SZ_512M, below_end = SZ_4G + SZ_128M;
	dma_addr_t a;

	/* the platform: 128M below 4G, 128M at 4G, nothing at 512M */
	assert_null(sim_phys_to_virt(f->m, hole));
	assert_non_null(sim_phys_to_virt(f->m, below_end - 1));
	assert_null(sim_phys_to_virt(f->m, below_end));
	expect_refused(f, hole, 4096, 0, "[size=4096 bytes] is not RAM (MMIO is mapped with DMA_ATTR_MMIO): refused");
	/* a range that runs off the end of RAM */
	expect_refused(f, below_end - 2048, 4096, 0, "is not RAM");
	/* RAM up to its last byte maps */
	a = map_phys_ok(f->dev, below_end - 2048, 2048, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 2048, DMA_TO_DEVICE, 0);
	/* MMIO is mapped with DMA_ATTR_MMIO (a peer's BAR) */
	if (!f->v->cc) {
		a = dma_map_resource(f->dev, bar_of(f->m, "peer", 0), 64,
				     DMA_TO_DEVICE, 0);
		assert_int_equal(dma_mapping_error(f->dev, a), 0);
		dma_unmap_resource(f->dev, a, 64, DMA_TO_DEVICE, 0);
	}
	if (nr(f, SIM_REPORT_BUG) || sim_dma_debug_errors(f->m)) {
		sim_report_dump(f->m, stderr);
		fail_msg("unexpected reports");
	}
	expect_nothing_held(f, f->dev);
}

/* ------------------------------------------------------------------------ */
/* A pool alive at machine destruction                                      */
/* ------------------------------------------------------------------------ */

static char *destroy_capturing(struct sim_machine *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	sim_report_echo(m, out);
	sim_machine_destroy(m);
	fclose(out);
	return text;
}

static void test_pool_alive_at_destroy(void **state)
{
	struct fx *f = *state;
	struct dma_pool *busy, *idle, *managed;
	char needle[200], *text;
	dma_addr_t h, h2;
	void *blk, *blk2;

	busy = dma_pool_create("leaky", f->dev, 64, 8, 0);
	idle = dma_pool_create("idle", f->dev, 128, 8, 0);
	managed = dmam_pool_create("managed", f->dev, 64, 8, 0);
	assert_non_null(busy);
	assert_non_null(idle);
	assert_non_null(managed);
	blk = dma_pool_alloc(busy, GFP_KERNEL, &h);
	assert_non_null(blk);
	blk2 = dma_pool_alloc(idle, GFP_KERNEL, &h2);
	assert_non_null(blk2);
	dma_pool_free(idle, blk2, h2);
	blk2 = dma_pool_alloc(managed, GFP_KERNEL, &h2);
	assert_non_null(blk2);
	dma_pool_free(managed, blk2, h2);
	assert_int_equal(sim_dma_write(f->dev, h, "ok", 2), 0);
	sim_free_pages(f->m, f->pg, 0);

	snprintf(needle, sizeof(needle),
		 "[warning] %s %s: dma_pool_destroy leaky, %p busy (never destroyed: freed at shutdown)",
		 dev_driver_string(f->dev), dev_name(f->dev), blk);
	text = destroy_capturing(f->m);
	/* the machine is gone: so is the fixture */
	free(f);
	*state = NULL;
	assert_non_null(text);
	if (!strstr(text, needle))
		fail_msg("no '%s' in the shutdown reports:\n%s", needle, text);
	if (!strstr(text, "dma_pool idle never destroyed: freed at shutdown"))
		fail_msg("the idle pool was not reported:\n%s", text);
	/* its memory went back through the DMA API: dma-debug saw no leak */
	if (strstr(text, "[dma-debug]"))
		fail_msg("dma-debug reported the pools' memory:\n%s", text);
	/* the managed pool is the unbind's to destroy: not a leak */
	if (strstr(text, "managed"))
		fail_msg("a managed pool was reported leaked:\n%s", text);
	free(text);
}

/* ------------------------------------------------------------------------ */
/* Fail-Nth over the allocations the tracking added                         */
/* ------------------------------------------------------------------------ */

struct track_sweep {
	struct device *dev;
	phys_addr_t phys;
	size_t granule;
};

static int track_sweep_run(void *ctx)
{
	struct track_sweep *w = ctx;
	struct dma_iova_state st;
	dma_addr_t h;
	void *cpu;
	int ret = 0;

	cpu = dma_alloc_coherent(w->dev, 2 * PAGE_SIZE, &h, GFP_KERNEL);
	if (!cpu)
		return -ENOMEM;
	if (sim_dma_write(w->dev, h, "ok", 2))
		fail_msg("coherent memory not reachable");
	if (dma_iova_try_alloc(w->dev, &st, w->phys, w->granule)) {
		ret = dma_iova_link(w->dev, &st, w->phys, 0, w->granule,
				    DMA_TO_DEVICE, 0);
		if (!ret)
			ret = dma_iova_sync(w->dev, &st, 0, w->granule);
		if (!ret)
			dma_iova_destroy(w->dev, &st, w->granule,
					 DMA_TO_DEVICE, 0);
		else
			dma_iova_destroy(w->dev, &st, 0, DMA_TO_DEVICE, 0);
	} else {
		ret = -ENOMEM;
	}
	dma_free_coherent(w->dev, 2 * PAGE_SIZE, cpu, h);
	return ret;
}

static void track_sweep_settle(void *ctx)
{
	struct track_sweep *w = ctx;

	drain_flush_queue(w->dev);
}

static void test_tracking_failnth(void **state)
{
	struct fx *f = *state;
	struct ram_blk blk;
	struct track_sweep w = { .dev = f->dev, .granule = f->v->granule };
	struct failnth fn = {
		.name = "coherent and IOVA state tracking", .m = f->m,
		.ctx = &w, .run = track_sweep_run,
		.settle = track_sweep_settle, .flags = FAILNTH_MAY_SHRINK,
	};

	if (!f->translated)
		return;
	blk = ram_blk_get(f->m, f->v->granule);
	w.phys = blk.phys;
	failnth_sweep(&fn);
	assert_true(fn.count >= 2);
	assert_true(fn.failed > 0);
	ram_blk_put(f->m, &blk);
	expect_nothing_held(f, f->dev);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	assert_int_equal(sim_dma_debug_errors(f->m), 0);
}

/* Every streaming path: direct, forced bouncing, IOMMUs. */
static const struct variant_test tests_all[] = {
	VARIANT_TEST(test_device_without_dma),
	VARIANT_TEST(test_driver_made_device),
	VARIANT_TEST(test_null_device),
	VARIANT_TEST(test_null_page),
	VARIANT_TEST(test_sg_entry_without_page),
	VARIANT_TEST(test_sg_count_beyond_list),
	VARIANT_TEST(test_fq_stats_null_outputs),
	VARIANT_TEST(test_iova_free_twice),
	VARIANT_TEST(test_coherent_free_twice),
	VARIANT_TEST(test_coherent_free_wrong_args),
	VARIANT_TEST(test_map_wrapping_range),
	VARIANT_TEST(test_map_not_ram),
	VARIANT_TEST(test_pool_alive_at_destroy),
	VARIANT_TEST(test_tracking_failnth),
};

int main(void)
{
	return variant_run_groups("misuse", VARIANT_TESTS(tests_all),
				  VARIANTS(variants_all), fx_setup,
				  fx_teardown);
}
