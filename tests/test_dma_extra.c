// SPDX-License-Identifier: MIT
/*
 * The less common parts of the kernel's DMA API, on every platform variant
 * (dma-direct coherent or not, the confidential guest that bounces
 * everything, IOMMUs strict and lazy with 4K/16K/64K granules,
 * passthrough): dma_get_merge_boundary(), the _range syncs, write-combining
 * allocations, dma_map_bvec(), dma_get_sgtable(), dma_pool_create_node(),
 * managed (devres) memory and pools released at unbind and shutdown, and
 * non-contiguous allocations. The device plays its part with
 * sim_dma_read()/sim_dma_write(); every test ends with nothing mapped,
 * no swiotlb slot held, no BUG and no dma-debug error it did not provoke;
 * fail-Nth sweeps cover the allocating calls.
 */
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <dmastack/linux/slab.h>
#include "failnth.h"
#include "variants.h"

struct fx {
	VARIANT_FX;
	struct device *dev;	/* dev0: 64-bit, trusted */
};

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_api_machine);

	f->dev = dev_of(f->m, "dev0");
	return 0;
}

static int fx_teardown(void **state)
{
	return variant_fx_teardown(state, TD_CLEAN);
}

/*
 * End the fixture inside a test that provoked @bugs BUG reports and
 * @dbg_errors dma-debug errors on purpose (the teardown then has nothing
 * left to do).
 */
static void fx_end(void **state, unsigned long bugs, unsigned long dbg_errors)
{
	struct fx *f = *state;

	assert_int_equal(machine_teardown_allowed(f->m, TD_CLEAN, bugs,
						  dbg_errors), 0);
	*state = NULL;
	free(f);
}

static unsigned long dbg_errors(struct fx *f)
{
	return sim_dma_debug_errors(f->m);
}

/* RAM pages in use, less the IOMMU's page tables (they stay after unmap). */
static unsigned long pages_in_use(struct fx *f)
{
	long pt = f->translated ? sim_iommu_pt_pages(f->dev) : 0;

	assert_true(pt >= 0);
	return sim_ram_pages_allocated(f->m) -
	       (unsigned long)pt * (f->v->granule / PAGE_SIZE);
}

/* Does the CPU see the device's writes without a sync for the CPU? */
static bool cpu_sees_device_writes(struct fx *f)
{
	return !f->v->noncoherent && !f->v->cc;
}

static char *slurp(FILE *fp)
{
	long len;
	char *s;

	fflush(fp);
	len = ftell(fp);
	assert_true(len >= 0);
	s = calloc(1, (size_t)len + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)len, fp), (size_t)len);
	return s;
}

/* ------------------------------------------------------------------------ */
/* dma_get_merge_boundary                                                   */
/* ------------------------------------------------------------------------ */

static unsigned long legacy_merge_boundary(struct device *dev)
{
	(void)dev;
	return SZ_4K - 1;
}

static void test_merge_boundary(void **state)
{
	struct fx *f = *state;
	static const char *const ids[] = { "dev0", "dev32", "dev1", "ut" };

	/*
	 * The IOVA granule - 1 behind a DMA domain (the untrusted device gets
	 * one even when the others pass through), 0 otherwise.
	 */
	assert_int_equal(dma_get_merge_boundary(f->dev),
			 f->translated ? f->v->granule - 1 : 0);
	for (unsigned int i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct device *d = dev_of(f->m, ids[i]);

		assert_int_equal(dma_get_merge_boundary(d),
				 dev_translated(d) ? f->v->granule - 1 : 0);
	}
	assert_int_equal(dma_get_merge_boundary(dev_of(f->m, "ut")),
			 f->iommu ? f->v->granule - 1 : 0);
	assert_int_equal(dma_get_merge_boundary(NULL), 0);

	if (!f->iommu) {
		/* legacy ops: theirs, or 0 without get_merge_boundary */
		static const struct dma_map_ops with = {
			.get_merge_boundary = legacy_merge_boundary,
		};
		static const struct dma_map_ops without = { 0 };

		set_dma_ops(f->dev, &with);
		assert_int_equal(dma_get_merge_boundary(f->dev), SZ_4K - 1);
		set_dma_ops(f->dev, &without);
		assert_int_equal(dma_get_merge_boundary(f->dev), 0);
		set_dma_ops(f->dev, NULL);
		assert_int_equal(dma_get_merge_boundary(f->dev), 0);
	}
}

/* ------------------------------------------------------------------------ */
/* dma_sync_single_range_for_{cpu,device}                                   */
/* ------------------------------------------------------------------------ */

#define RBUF	(2 * PAGE_SIZE)
#define ROFF	(PAGE_SIZE + 128)	/* cache-line aligned, second page */
#define RLEN	512

static void test_sync_range_for_cpu(void **state)
{
	struct fx *f = *state;
	struct ram_blk b = ram_blk_get(f->m, RBUF);
	u8 old[RBUF], dev_data[RBUF];
	dma_addr_t a;

	fill_pattern(old, RBUF, 1);
	memcpy(b.cpu, old, RBUF);
	a = map_phys_ok(f->dev, b.phys, RBUF, DMA_FROM_DEVICE, 0);

	/* the device writes the whole buffer; the CPU syncs a part of it */
	fill_pattern(dev_data, RBUF, 2);
	assert_int_equal(sim_dma_write(f->dev, a, dev_data, RBUF), 0);
	dma_sync_single_range_for_cpu(f->dev, a, ROFF, RLEN, DMA_FROM_DEVICE);
	assert_memory_equal(b.cpu + ROFF, dev_data + ROFF, RLEN);
	/* the rest is what the CPU had, unless it snoops the device */
	if (cpu_sees_device_writes(f)) {
		assert_memory_equal(b.cpu, dev_data, RBUF);
	} else {
		assert_memory_equal(b.cpu, old, ROFF);
		assert_memory_equal(b.cpu + ROFF + RLEN, old + ROFF + RLEN,
				    RBUF - ROFF - RLEN);
	}

	/* a range at the very end of the mapping, and an empty one */
	dma_sync_single_range_for_cpu(f->dev, a, RBUF - 64, 64, DMA_FROM_DEVICE);
	assert_memory_equal(b.cpu + RBUF - 64, dev_data + RBUF - 64, 64);
	dma_sync_single_range_for_cpu(f->dev, a, 64, 0, DMA_FROM_DEVICE);
	assert_int_equal(dbg_errors(f), 0);

	/* the unmap syncs all of it */
	dma_unmap_phys(f->dev, a, RBUF, DMA_FROM_DEVICE, 0);
	assert_memory_equal(b.cpu, dev_data, RBUF);
	ram_blk_put(f->m, &b);
}

static void test_sync_range_for_device(void **state)
{
	struct fx *f = *state;
	struct ram_blk b = ram_blk_get(f->m, RBUF);
	u8 data[RBUF], got[RBUF];
	dma_addr_t a;

	memset(b.cpu, 0x11, RBUF);
	a = map_phys_ok(f->dev, b.phys, RBUF, DMA_TO_DEVICE, 0);
	/* the CPU fills a part of the buffer and hands that part over */
	fill_pattern(data, RLEN, 3);
	memcpy(b.cpu + ROFF, data, RLEN);
	dma_sync_single_range_for_device(f->dev, a, ROFF, RLEN, DMA_TO_DEVICE);
	assert_int_equal(sim_dma_read(f->dev, a + ROFF, got, RLEN), 0);
	assert_memory_equal(got, data, RLEN);
	/* the first page was handed over at map time */
	assert_int_equal(sim_dma_read(f->dev, a, got, PAGE_SIZE), 0);
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(got[i], 0x11);
	dma_unmap_phys(f->dev, a, RBUF, DMA_TO_DEVICE, 0);

	/* bidirectional: both ways through the same range */
	a = map_phys_ok(f->dev, b.phys, RBUF, DMA_BIDIRECTIONAL, 0);
	fill_pattern(data, RLEN, 4);
	memcpy(b.cpu + ROFF, data, RLEN);
	dma_sync_single_range_for_device(f->dev, a, ROFF, RLEN,
					 DMA_BIDIRECTIONAL);
	assert_int_equal(sim_dma_read(f->dev, a + ROFF, got, RLEN), 0);
	assert_memory_equal(got, data, RLEN);
	fill_pattern(data, RLEN, 5);
	assert_int_equal(sim_dma_write(f->dev, a + ROFF, data, RLEN), 0);
	dma_sync_single_range_for_cpu(f->dev, a, ROFF, RLEN, DMA_BIDIRECTIONAL);
	assert_memory_equal(b.cpu + ROFF, data, RLEN);
	dma_unmap_phys(f->dev, a, RBUF, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(dbg_errors(f), 0);
	ram_blk_put(f->m, &b);
}

/*
 * Ranges that are not inside the mapping, as dma-debug reports them: a
 * range running past the end and an offset that wraps the address around
 * are not contained in any mapping ("tries to sync DMA memory it has not
 * allocated"); the wrong direction is reported as such; an invalid
 * direction is a BUG and nothing is done. A bounced mapping's overrun is
 * also swiotlb's "Buffer overflow detected" (clamped to the slot).
 */
static void test_sync_range_misuse(void **state)
{
	struct fx *f = *state;
	struct ram_blk b = ram_blk_get(f->m, RBUF);
	unsigned long warns = sim_report_count_kind(f->m, SIM_REPORT_WARN);
	unsigned long errs = 0;
	dma_addr_t a;

	memset(b.cpu, 0, RBUF);
	a = map_phys_ok(f->dev, b.phys, RBUF, DMA_FROM_DEVICE, 0);

	/* past the end: [RBUF - 100, RBUF + 100) */
	dma_sync_single_range_for_cpu(f->dev, a, RBUF - 100, 200,
				      DMA_FROM_DEVICE);
	assert_int_equal(dbg_errors(f), ++errs);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "device driver tries to sync DMA memory it has not allocated"));
	if (f->v->cc) {
		assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
					    "Buffer overflow detected"));
		warns++;
	}
	/* an offset that wraps around: 16 bytes before the mapping */
	dma_sync_single_range_for_cpu(f->dev, a, (unsigned long)-16, 8,
				      DMA_FROM_DEVICE);
	assert_int_equal(dbg_errors(f), ++errs);
	dma_sync_single_range_for_device(f->dev, a, (unsigned long)-16, 8,
					 DMA_FROM_DEVICE);
	assert_int_equal(dbg_errors(f), ++errs);
	/* a huge offset far beyond the mapping */
	dma_sync_single_range_for_device(f->dev, a, 1UL << 40, 8,
					 DMA_FROM_DEVICE);
	assert_int_equal(dbg_errors(f), ++errs);
	/* the wrong direction, inside the mapping */
	dma_sync_single_range_for_device(f->dev, a, ROFF, RLEN, DMA_TO_DEVICE);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "device driver syncs DMA memory with different direction"));
	errs = dbg_errors(f);
	assert_true(errs >= 5);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), warns);

	/* an invalid direction is a BUG: refused */
	dma_sync_single_range_for_cpu(f->dev, a, ROFF, RLEN, DMA_NONE);
	assert_true(sim_report_find(f->m, SIM_REPORT_BUG,
				    "invalid DMA direction"));
	assert_int_equal(dbg_errors(f), errs);

	dma_unmap_phys(f->dev, a, RBUF, DMA_FROM_DEVICE, 0);
	ram_blk_put(f->m, &b);
	fx_end(state, 1, errs);
}

/* ------------------------------------------------------------------------ */
/* dma_alloc_wc / dma_free_wc                                               */
/* ------------------------------------------------------------------------ */

static void test_alloc_wc(void **state)
{
	struct fx *f = *state;
	unsigned long entries = sim_dma_debug_entries(f->m, f->dev);
	unsigned long pages = pages_in_use(f);
	FILE *tf = tmpfile();
	u8 buf[3000], got[3000];
	dma_addr_t h = 0;
	char *trace;
	u8 *p;

	assert_non_null(tf);
	sim_trace_set_file(f->m, tf);
	p = dma_alloc_wc(f->dev, sizeof(buf), &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_not_equal(h, DMA_MAPPING_ERROR);
	if (f->translated)
		assert_int_equal(h & (f->v->granule - 1), 0);
	else
		assert_int_equal(h & (PAGE_SIZE - 1), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), entries + 1);
	for (unsigned int i = 0; i < sizeof(buf); i++)
		assert_int_equal(p[i], 0);

	/* coherent both ways, no sync */
	fill_pattern(buf, sizeof(buf), 6);
	memcpy(p, buf, sizeof(buf));
	assert_int_equal(sim_dma_read(f->dev, h, got, sizeof(got)), 0);
	assert_memory_equal(got, buf, sizeof(buf));
	fill_pattern(buf, sizeof(buf), 7);
	assert_int_equal(sim_dma_write(f->dev, h + 10, buf, 100), 0);
	assert_memory_equal(p + 10, buf, 100);
	dma_free_wc(f->dev, sizeof(buf), p, h);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), entries);

	/* __GFP_NOWARN adds DMA_ATTR_NO_WARN */
	p = dma_alloc_wc(f->dev, PAGE_SIZE, &h, GFP_KERNEL | __GFP_NOWARN);
	assert_non_null(p);
	dma_free_wc(f->dev, PAGE_SIZE, p, h);
	sim_trace_set_file(f->m, NULL);
	trace = slurp(tf);
	fclose(tf);
	assert_non_null(strstr(trace, "attrs=WRITE_COMBINE\n"));
	assert_non_null(strstr(trace, "attrs=WRITE_COMBINE|NO_WARN\n"));
	assert_non_null(strstr(trace, "dma_free: "));
	free(trace);

	/* nothing for zero, an overflowing or a too-large size */
	h = 0x1234;
	assert_null(dma_alloc_wc(f->dev, 0, &h, GFP_KERNEL));
	assert_null(dma_alloc_wc(f->dev, SIZE_MAX, &h, GFP_KERNEL));
	assert_null(dma_alloc_wc(f->dev, SIZE_MAX - PAGE_SIZE + 2, &h,
				 GFP_KERNEL));
	assert_null(dma_alloc_wc(f->dev, (size_t)1 << 40, &h, GFP_KERNEL));
	assert_int_equal(h, 0x1234);
	/* freeing NULL does nothing */
	dma_free_wc(f->dev, PAGE_SIZE, NULL, 0);
	assert_int_equal(pages_in_use(f), pages);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);

	/* __GFP_COMP is refused with a warning, as by dma_alloc_attrs() */
	assert_null(dma_alloc_wc(f->dev, PAGE_SIZE, &h, GFP_KERNEL | __GFP_COMP));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "__GFP_COMP"));
}

/*
 * Freed with another size (of the same pages): dma-debug reports it as for
 * any coherent allocation, and the memory still goes back.
 */
static void test_free_wc_wrong_size(void **state)
{
	struct fx *f = *state;
	dma_addr_t h;
	void *p = dma_alloc_wc(f->dev, PAGE_SIZE, &h, GFP_KERNEL);

	assert_non_null(p);
	dma_free_wc(f->dev, PAGE_SIZE - 96, p, h);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "DMA memory with different size"));
	fx_end(state, 0, 1);
}

/* ------------------------------------------------------------------------ */
/* dma_get_sgtable                                                          */
/* ------------------------------------------------------------------------ */

#define SGT_SIZE	(3 * PAGE_SIZE + 100)

/*
 * The sg_table of coherent memory is one entry over its pages; another
 * device maps it (what a dma-buf exporter does) and reads what the CPU
 * wrote through the coherent mapping.
 */
static void test_get_sgtable(void **state)
{
	struct fx *f = *state;
	struct device *peer = dev_of(f->m, "dev1");
	u8 want[SGT_SIZE], got[SGT_SIZE];
	struct sg_table sgt;
	dma_addr_t h;
	u8 *p = dma_alloc_coherent(f->dev, SGT_SIZE, &h, GFP_KERNEL);

	assert_non_null(p);
	memset(&sgt, 0xa5, sizeof(sgt));
	assert_int_equal(dma_get_sgtable(f->dev, &sgt, p, h, SGT_SIZE), 0);
	assert_int_equal(sgt.orig_nents, 1);
	assert_int_equal(sgt.nents, 1);
	assert_true(sg_is_last(sgt.sgl));
	assert_int_equal(sgt.sgl->offset, 0);
	assert_int_equal(sgt.sgl->length, 4 * PAGE_SIZE);
	assert_int_equal(sg_phys(sgt.sgl), sim_virt_to_phys(f->m, p));
	if (!f->v->noncoherent)
		assert_ptr_equal(sg_virt(sgt.sgl), p);

	fill_pattern(want, sizeof(want), 10);
	memcpy(p, want, sizeof(want));
	assert_int_equal(dma_map_sgtable(peer, &sgt, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(sgt.nents, 1);
	assert_int_equal(sim_dma_read(peer, sg_dma_address(sgt.sgl), got,
				      sizeof(got)), 0);
	assert_memory_equal(got, want, sizeof(got));
	dma_unmap_sgtable(peer, &sgt, DMA_TO_DEVICE, 0);
	sg_free_table(&sgt);

	/* the attrs variant, on write-combining memory */
	dma_free_coherent(f->dev, SGT_SIZE, p, h);
	p = dma_alloc_wc(f->dev, PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(dma_get_sgtable_attrs(f->dev, &sgt, p, h, 10,
					       DMA_ATTR_WRITE_COMBINE), 0);
	assert_int_equal(sgt.sgl->length, PAGE_SIZE);
	assert_int_equal(sg_phys(sgt.sgl), sim_virt_to_phys(f->m, p));
	sg_free_table(&sgt);
	dma_free_wc(f->dev, PAGE_SIZE, p, h);
}

static int legacy_get_sgtable(struct device *dev, struct sg_table *sgt,
			      void *cpu_addr, dma_addr_t dma_addr, size_t size,
			      unsigned long attrs)
{
	(void)dev;
	(void)sgt;
	(void)cpu_addr;
	return dma_addr == 0x1000 && size == 77 &&
	       attrs == DMA_ATTR_WRITE_COMBINE ? -E2BIG : -EFAULT;
}

static void test_get_sgtable_errors(void **state)
{
	struct fx *f = *state;
	struct sg_table sgt = { 0 };
	dma_addr_t h;
	u8 local[64];
	u8 *p = dma_alloc_coherent(f->dev, PAGE_SIZE, &h, GFP_KERNEL);

	assert_non_null(p);
	assert_int_equal(dma_get_sgtable(NULL, &sgt, p, h, PAGE_SIZE), -EINVAL);
	assert_int_equal(dma_get_sgtable(f->dev, NULL, p, h, PAGE_SIZE),
			 -EINVAL);
	assert_int_equal(dma_get_sgtable(f->dev, &sgt, NULL, h, PAGE_SIZE),
			 -EINVAL);
	assert_int_equal(dma_get_sgtable(f->dev, &sgt, p, h, 0), -EINVAL);
	assert_int_equal(dma_get_sgtable(f->dev, &sgt, p, h, SIZE_MAX), -EINVAL);
	assert_int_equal(dma_get_sgtable(f->dev, &sgt, p, h,
					 (size_t)UINT_MAX + 1), -EINVAL);
	/*
	 * Memory that is not the machine's: dma-direct looks at the DMA
	 * address, iommu-dma at the CPU address, as in the kernel.
	 */
	if (f->translated)
		assert_int_equal(dma_get_sgtable(f->dev, &sgt, local, h,
						 PAGE_SIZE), -ENXIO);
	else
		assert_int_equal(dma_get_sgtable(f->dev, &sgt, p, 1ULL << 50,
						 PAGE_SIZE), -ENXIO);
	assert_null(sgt.sgl);
	dma_free_coherent(f->dev, PAGE_SIZE, p, h);

	if (!f->iommu) {
		/* legacy ops: theirs, or -ENXIO without get_sgtable */
		static const struct dma_map_ops with = {
			.get_sgtable = legacy_get_sgtable,
		};
		static const struct dma_map_ops without = { 0 };

		set_dma_ops(f->dev, &with);
		assert_int_equal(dma_get_sgtable_attrs(f->dev, &sgt, local,
						       0x1000, 77,
						       DMA_ATTR_WRITE_COMBINE),
				 -E2BIG);
		set_dma_ops(f->dev, &without);
		assert_int_equal(dma_get_sgtable(f->dev, &sgt, local, 0x1000,
						 77), -ENXIO);
		set_dma_ops(f->dev, NULL);
	}
}

/* ------------------------------------------------------------------------ */
/* dma_map_bvec                                                             */
/* ------------------------------------------------------------------------ */

static void test_map_bvec(void **state)
{
	struct fx *f = *state;
	struct ram_blk b = ram_blk_get(f->m, 4 * PAGE_SIZE);
	/* a multi-page bvec: 2 pages and a bit, from inside the first */
	struct bio_vec bv = {
		.bv_page = ram_blk_page(&b, PAGE_SIZE),
		.bv_offset = 300,
		.bv_len = 2 * PAGE_SIZE + 100,
	};
	u8 *cpu = b.cpu + PAGE_SIZE + 300;
	u8 want[2 * PAGE_SIZE + 100], got[sizeof(want)];
	dma_addr_t a;

	fill_pattern(want, sizeof(want), 8);
	memcpy(cpu, want, sizeof(want));
	a = dma_map_bvec(f->dev, &bv, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(f->dev, a), 0);
	if (!f->translated && !f->v->cc)
		assert_int_equal(a, bvec_phys(&bv));
	assert_int_equal(sim_dma_read(f->dev, a, got, sizeof(got)), 0);
	assert_memory_equal(got, want, sizeof(got));
	dma_unmap_page(f->dev, a, bv.bv_len, DMA_TO_DEVICE);

	/* FROM_DEVICE with attributes */
	a = dma_map_bvec(f->dev, &bv, DMA_FROM_DEVICE, DMA_ATTR_WEAK_ORDERING);
	assert_int_equal(dma_mapping_error(f->dev, a), 0);
	fill_pattern(want, sizeof(want), 9);
	assert_int_equal(sim_dma_write(f->dev, a, want, sizeof(want)), 0);
	dma_unmap_page_attrs(f->dev, a, bv.bv_len, DMA_FROM_DEVICE,
			     DMA_ATTR_WEAK_ORDERING);
	assert_memory_equal(cpu, want, sizeof(want));
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	ram_blk_put(f->m, &b);
}

/* ------------------------------------------------------------------------ */
/* dma_pool_create_node                                                     */
/* ------------------------------------------------------------------------ */

static void test_pool_create_node(void **state)
{
	struct fx *f = *state;
	static const int nodes[] = { NUMA_NO_NODE, 0, 3 };

	for (unsigned int n = 0; n < sizeof(nodes) / sizeof(nodes[0]); n++) {
		struct dma_pool *pool;
		dma_addr_t h[40];
		u8 *v[40], got[96];

		/* 96-byte blocks, 32-aligned, never crossing 1K */
		pool = dma_pool_create_node("xtra", f->dev, 96, 32, 1024,
					    nodes[n]);
		assert_non_null(pool);
		for (unsigned int i = 0; i < 40; i++) {
			v[i] = dma_pool_zalloc(pool, GFP_KERNEL, &h[i]);
			assert_non_null(v[i]);
			assert_int_equal(h[i] & 31, 0);
			assert_int_equal(h[i] / 1024, (h[i] + 95) / 1024);
			for (unsigned int j = 0; j < 96; j++)
				assert_int_equal(v[i][j], 0);
			memset(v[i], (int)i, 96);
		}
		/* the device sees each block at its DMA address */
		for (unsigned int i = 0; i < 40; i++) {
			assert_int_equal(sim_dma_read(f->dev, h[i], got, 96), 0);
			for (unsigned int j = 0; j < 96; j++)
				assert_int_equal(got[j], i);
		}
		for (unsigned int i = 0; i < 40; i++)
			dma_pool_free(pool, v[i], h[i]);
		dma_pool_destroy(pool);
	}
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_pool_create_node_errors(void **state)
{
	struct fx *f = *state;

	assert_null(dma_pool_create_node("x", NULL, 64, 8, 0, NUMA_NO_NODE));
	assert_null(dma_pool_create_node(NULL, f->dev, 64, 8, 0, 0));
	assert_null(dma_pool_create_node("x", f->dev, 0, 8, 0, 0));
	assert_null(dma_pool_create_node("x", f->dev, (size_t)INT_MAX + 1, 8,
					 0, 0));
	assert_null(dma_pool_create_node("x", f->dev, SIZE_MAX, 8, 0, 0));
	assert_null(dma_pool_create_node("x", f->dev, 64, 24, 0, 0));
	assert_null(dma_pool_create_node("x", f->dev, 64, 8, 32, 0));
	assert_null(dma_pool_create_node("x", f->dev, 64, 8, 96, 0));
	assert_int_equal(sim_alloc_live(f->m), 0);
	/* destroying NULL does nothing */
	dma_pool_destroy(NULL);
}

/* fail-Nth: every allocation of a pool's life fails in turn. */
struct pool_sweep {
	struct device *dev;
	int node;
};

static int pool_sweep_run(void *ctx)
{
	struct pool_sweep *w = ctx;
	struct dma_pool *pool;
	dma_addr_t h[3];
	void *v[3];
	int ret = 0, i;

	pool = dma_pool_create_node("sweep", w->dev, 2048, 64, 0, w->node);
	if (!pool)
		return -ENOMEM;
	for (i = 0; i < 3; i++) {
		v[i] = dma_pool_alloc(pool, GFP_KERNEL, &h[i]);
		if (!v[i]) {
			ret = -ENOMEM;
			break;
		}
		if (sim_dma_write(w->dev, h[i], "ok", 2))
			fail_msg("block %d not reachable", i);
	}
	while (--i >= 0)
		dma_pool_free(pool, v[i], h[i]);
	dma_pool_destroy(pool);
	return ret;
}

static void pool_sweep_settle(void *ctx)
{
	struct pool_sweep *w = ctx;

	drain_flush_queue(w->dev);
}

static void test_pool_create_node_failnth(void **state)
{
	struct fx *f = *state;
	struct pool_sweep w = { .dev = f->dev, .node = 0 };
	struct failnth fn = {
		.name = "dma_pool_create_node", .m = f->m, .ctx = &w,
		.run = pool_sweep_run, .settle = pool_sweep_settle,
		.flags = FAILNTH_MAY_SHRINK,
	};

	failnth_sweep(&fn);
	assert_true(fn.count >= 4);
	assert_true(fn.failed > 0);
}

/* ------------------------------------------------------------------------ */
/* Managed (devres) coherent memory and pools                               */
/* ------------------------------------------------------------------------ */

static void test_dmam_alloc_free(void **state)
{
	struct fx *f = *state;
	unsigned long pages = pages_in_use(f);
	u8 buf[5000], got[5000];
	dma_addr_t h, h2;
	u8 *p, *q;

	p = dmam_alloc_coherent(f->dev, sizeof(buf), &h, GFP_KERNEL);
	assert_non_null(p);
	for (unsigned int i = 0; i < sizeof(buf); i++)
		assert_int_equal(p[i], 0);
	/* coherent memory, as dma_alloc_coherent()'s */
	fill_pattern(buf, sizeof(buf), 11);
	memcpy(p, buf, sizeof(buf));
	assert_int_equal(sim_dma_read(f->dev, h, got, sizeof(got)), 0);
	assert_memory_equal(got, buf, sizeof(got));
	fill_pattern(buf, 64, 12);
	assert_int_equal(sim_dma_write(f->dev, h + 4096, buf, 64), 0);
	assert_memory_equal(p + 4096, buf, 64);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);

	/* with attributes, kept for the release */
	q = dmam_alloc_attrs(f->dev, 100, &h2, GFP_KERNEL,
			     DMA_ATTR_WRITE_COMBINE);
	assert_non_null(q);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 2);
	dmam_free_coherent(f->dev, 100, q, h2);
	dmam_free_coherent(f->dev, sizeof(buf), p, h);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	assert_int_equal(pages_in_use(f), pages);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);

	/* nothing for a NULL device, a zero or an overflowing size */
	assert_null(dmam_alloc_coherent(NULL, 64, &h, GFP_KERNEL));
	assert_null(dmam_alloc_coherent(f->dev, 0, &h, GFP_KERNEL));
	assert_null(dmam_alloc_coherent(f->dev, SIZE_MAX, &h, GFP_KERNEL));
	assert_null(dmam_alloc_attrs(f->dev, (size_t)1 << 40, &h, GFP_KERNEL,
				     0));
	dmam_free_coherent(NULL, 64, p, h);
	assert_int_equal(pages_in_use(f), pages);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	/* a refused allocation keeps no resource for the unbind */
	sim_device_unbind(f->dev);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/*
 * dmam_free_coherent() of what is not a managed allocation (or with other
 * arguments) is a WARN; the memory is freed all the same, as the kernel
 * does, so dma-debug sees the usual checks.
 */
static void test_dmam_free_misuse(void **state)
{
	struct fx *f = *state;
	dma_addr_t h;
	void *p;

	/* unmanaged memory through the managed free */
	p = dma_alloc_coherent(f->dev, PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(p);
	dmam_free_coherent(f->dev, PAGE_SIZE, p, h);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "is not a managed allocation of the device"));
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);

	/* managed memory, freed with another size: WARN, dma-debug's too */
	p = dmam_alloc_coherent(f->dev, PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(p);
	dmam_free_coherent(f->dev, PAGE_SIZE - 8, p, h);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "freed as 4088 bytes"));
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "DMA memory with different size"));
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	/* and it is gone from the device's resources: nothing at unbind */
	sim_device_unbind(f->dev);
	/* a NULL address is nobody's */
	dmam_free_coherent(f->dev, PAGE_SIZE, NULL, 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 3);
	fx_end(state, 0, 1);
}

/* devm_kmalloc() memory and actions: released at unbind, newest first. */
static int devm_order[4];
static int devm_nr;

static void devm_note(void *data)
{
	devm_order[devm_nr++] = (int)(long)data;
}

static void test_devm_memory_actions(void **state)
{
	struct fx *f = *state;
	unsigned long pages;
	dma_addr_t h;
	u8 got[64];
	char *name;
	u8 *buf, *early;

	devm_nr = 0;
	buf = devm_kzalloc(f->dev, 3000, GFP_KERNEL);
	assert_non_null(buf);
	for (unsigned int i = 0; i < 3000; i++)
		assert_int_equal(buf[i], 0);
	/* kmalloc memory: the driver may DMA map it */
	memset(buf, 0x5a, 64);
	h = dma_map_single(f->dev, buf, 64, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(f->dev, h));
	assert_int_equal(sim_dma_read(f->dev, h, got, sizeof(got)), 0);
	assert_int_equal(got[63], 0x5a);
	dma_unmap_single(f->dev, h, 64, DMA_TO_DEVICE);
	name = devm_kstrdup(f->dev, "devm-name", GFP_KERNEL);
	assert_string_equal(name, "devm-name");
	early = devm_kcalloc(f->dev, 4, 100, GFP_KERNEL);
	assert_non_null(early);
	devm_kfree(f->dev, early);
	assert_int_equal(devm_add_action(f->dev, devm_note, (void *)1L), 0);
	assert_int_equal(devm_add_action_or_reset(f->dev, devm_note, (void *)2L), 0);
	assert_int_equal(devm_add_action(f->dev, devm_note, (void *)3L), 0);
	devm_remove_action(f->dev, devm_note, (void *)3L);
	devm_release_action(f->dev, devm_note, (void *)2L);
	assert_int_equal(devm_nr, 1);
	assert_int_equal(devm_order[0], 2);
	/* what is not there, and bad arguments */
	assert_null(devm_kmalloc(NULL, 16, GFP_KERNEL));
	assert_null(devm_kmalloc(f->dev, 0, GFP_KERNEL));
	assert_null(devm_kmalloc_array(f->dev, SIZE_MAX / 2, 4, GFP_KERNEL));
	assert_null(devm_kstrdup(f->dev, NULL, GFP_KERNEL));
	assert_int_equal(devm_add_action(NULL, devm_note, NULL), -EINVAL);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	devm_kfree(f->dev, got);	/* not devm memory: WARN */
	devm_remove_action(f->dev, devm_note, (void *)9L);	/* WARN */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 2);
	/* the unbind runs action 1 and frees the memory */
	sim_device_unbind(f->dev);
	assert_int_equal(devm_nr, 2);
	assert_int_equal(devm_order[1], 1);
	/*
	 * The slabs stay for the next kmalloc() (as SLUB keeps a slab per
	 * cache): the same managed allocations again leave no more pages.
	 */
	pages = pages_in_use(f);
	assert_non_null(devm_kzalloc(f->dev, 3000, GFP_KERNEL));
	assert_non_null(devm_kstrdup(f->dev, "devm-name", GFP_KERNEL));
	assert_non_null(devm_kcalloc(f->dev, 4, 100, GFP_KERNEL));
	sim_device_unbind(f->dev);
	assert_int_equal(pages_in_use(f), pages);
	fx_end(state, 0, 0);
}

/* The unbind frees what is managed, newest first, and nothing else. */
static void test_dmam_unbind_releases(void **state)
{
	struct fx *f = *state;
	unsigned long pages = pages_in_use(f);
	FILE *tf = tmpfile();
	dma_addr_t h[3], hu;
	void *p[3], *u;
	char *trace, *at[3];

	assert_non_null(tf);
	for (int i = 0; i < 3; i++) {
		p[i] = dmam_alloc_coherent(f->dev, (size_t)(i + 1) * 1000, &h[i],
					   GFP_KERNEL);
		assert_non_null(p[i]);
	}
	u = dma_alloc_coherent(f->dev, 512, &hu, GFP_KERNEL);
	assert_non_null(u);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 4);
	sim_trace_set_file(f->m, tf);
	sim_device_unbind(f->dev);
	sim_trace_set_file(f->m, NULL);
	/* the unmanaged one is left, and reported as the driver's leak */
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "pending DMA allocations while released from device [count=1]"));
	trace = slurp(tf);
	fclose(tf);
	for (int i = 0; i < 3; i++) {
		char needle[96];

		snprintf(needle, sizeof(needle), "dma_addr=%llx size=%d ",
			 (unsigned long long)h[i], (i + 1) * 1000);
		at[i] = strstr(trace, needle);
		assert_non_null(at[i]);
	}
	assert_true(at[2] < at[1] && at[1] < at[0]);
	free(trace);
	dma_free_coherent(f->dev, 512, u, hu);
	assert_int_equal(pages_in_use(f), pages);
	/* a second unbind has nothing left to release */
	sim_device_unbind(f->dev);
	fx_end(state, 0, 1);
}

static void test_dmam_pool(void **state)
{
	struct fx *f = *state;
	struct dma_pool *pool, *plain;
	dma_addr_t h[8];
	void *v[8];

	pool = dmam_pool_create("managed", f->dev, 200, 8, 4096);
	assert_non_null(pool);
	for (int i = 0; i < 8; i++) {
		v[i] = dma_pool_alloc(pool, GFP_KERNEL, &h[i]);
		assert_non_null(v[i]);
		memset(v[i], i, 200);
		assert_int_equal(sim_dma_write(f->dev, h[i], "x", 1), 0);
		assert_int_equal(*(u8 *)v[i], 'x');
	}
	for (int i = 0; i < 8; i++)
		dma_pool_free(pool, v[i], h[i]);
	dmam_pool_destroy(pool);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);

	/* a pool that is not managed: WARN, and it stays */
	plain = dma_pool_create("plain", f->dev, 64, 0, 0);
	assert_non_null(plain);
	v[0] = dma_pool_alloc(plain, GFP_KERNEL, &h[0]);
	assert_non_null(v[0]);
	dmam_pool_destroy(plain);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "pool plain is not a managed pool of the device"));
	assert_int_equal(sim_dma_write(f->dev, h[0], "y", 1), 0);
	dma_pool_free(plain, v[0], h[0]);
	dma_pool_destroy(plain);
	dmam_pool_destroy(NULL);

	/* bad arguments: NULL, and no resource is left behind */
	assert_null(dmam_pool_create("bad", f->dev, 64, 3, 0));
	assert_null(dmam_pool_create("bad", f->dev, 0, 8, 0));
	assert_null(dmam_pool_create("bad", NULL, 64, 8, 0));
	assert_null(dmam_pool_create(NULL, f->dev, 64, 8, 0));
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 1);

	/* managed pools go at unbind, newest first: the later one's pages */
	pool = dmam_pool_create("a", f->dev, 64, 0, 0);
	assert_non_null(pool);
	v[0] = dma_pool_alloc(pool, GFP_KERNEL, &h[0]);
	assert_non_null(v[0]);
	dma_pool_free(pool, v[0], h[0]);
	assert_non_null(dmam_pool_create("b", f->dev, 64, 0, 0));
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);
	sim_device_unbind(f->dev);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 1);
}

/* ---- a PCI driver that uses managed resources --------------------------- */

struct mdrv {
	struct pci_driver drv;
	struct pci_device_id ids[2];
	struct device *target;
	int fail_probe;		/* probe allocates, then fails with this */
	int probed, removed;
	void *buf;
	dma_addr_t buf_dma;
	struct dma_pool *pool;
	unsigned long entries_in_remove;
};

static struct mdrv *mdrv_of(struct pci_dev *pdev)
{
	struct pci_driver *drv = to_pci_driver(pdev->dev.driver);

	return (struct mdrv *)((char *)drv - offsetof(struct mdrv, drv));
}

static int mdrv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct mdrv *d = mdrv_of(pdev);
	dma_addr_t h;
	void *blk;

	(void)id;
	if (&pdev->dev != d->target)
		return -ENODEV;
	d->probed++;
	d->buf = dmam_alloc_coherent(&pdev->dev, 3 * PAGE_SIZE, &d->buf_dma,
				     GFP_KERNEL);
	if (!d->buf)
		return -ENOMEM;
	d->pool = dmam_pool_create("mdrv", &pdev->dev, 128, 64, 0);
	if (!d->pool)
		return -ENOMEM;
	/* a block that stays until the pool goes */
	blk = dma_pool_alloc(d->pool, GFP_KERNEL, &h);
	if (!blk)
		return -ENOMEM;
	dma_pool_free(d->pool, blk, h);
	return d->fail_probe;
}

static void mdrv_remove(struct pci_dev *pdev)
{
	struct mdrv *d = mdrv_of(pdev);

	d->removed++;
	/* still the driver's during remove */
	d->entries_in_remove = sim_dma_debug_entries(pdev->dev.sim, &pdev->dev);
	memset(d->buf, 0x5a, 3 * PAGE_SIZE);
	assert_int_equal(sim_dma_write(&pdev->dev, d->buf_dma, "bye", 3), 0);
}

static void mdrv_init(struct mdrv *d, struct device *target, int fail)
{
	struct pci_dev *pdev = to_pci_dev(target);

	memset(d, 0, sizeof(*d));
	d->ids[0] = (struct pci_device_id){ PCI_DEVICE(pdev->vendor,
						       pdev->device) };
	d->drv.name = "mdrv";
	d->drv.id_table = d->ids;
	d->drv.probe = mdrv_probe;
	d->drv.remove = mdrv_remove;
	d->target = target;
	d->fail_probe = fail;
}

static void test_dmam_driver_unbind(void **state)
{
	struct fx *f = *state;
	unsigned long pages = pages_in_use(f);
	struct mdrv d;

	mdrv_init(&d, f->dev, 0);
	assert_int_equal(pci_register_driver(&d.drv), 0);
	assert_int_equal(d.probed, 1);
	assert_ptr_equal(f->dev->driver, &d.drv.driver);
	/* the coherent buffer and the pool's page */
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 2);
	assert_int_equal(sim_dma_write(f->dev, d.buf_dma, "hi", 2), 0);
	assert_memory_equal(d.buf, "hi", 2);

	pci_unregister_driver(&d.drv);
	assert_int_equal(d.removed, 1);
	/* released after remove, not before */
	assert_int_equal(d.entries_in_remove, 2);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	assert_int_equal(pages_in_use(f), pages);
	assert_false(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				     "pending DMA allocations"));
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/* A probe that fails after allocating: the driver core releases it. */
static void test_dmam_probe_fails(void **state)
{
	struct fx *f = *state;
	unsigned long pages = pages_in_use(f);
	struct mdrv d;

	mdrv_init(&d, f->dev, -EIO);
	assert_int_equal(pci_register_driver(&d.drv), 0);
	assert_int_equal(d.probed, 1);
	assert_null(f->dev->driver);
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO,
				    "probe with driver mdrv failed with error -5"));
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	assert_int_equal(pages_in_use(f), pages);
	pci_unregister_driver(&d.drv);
	assert_int_equal(d.removed, 0);
}

/*
 * At shutdown: a driver still bound is removed and its resources released,
 * a device without a driver has its resources released too; dma-debug,
 * which looks at every device as the machine goes, finds nothing.
 */
static void test_dmam_shutdown(void **state)
{
	struct fx *f = *state;
	struct device *other = dev_of(f->m, "dev1");
	FILE *tf = tmpfile(), *ef = tmpfile();
	dma_addr_t h;
	struct mdrv d;
	char *trace, *echo;

	assert_non_null(tf);
	assert_non_null(ef);
	mdrv_init(&d, f->dev, 0);
	assert_int_equal(pci_register_driver(&d.drv), 0);
	assert_non_null(dmam_alloc_coherent(other, 12345, &h, GFP_KERNEL));
	assert_non_null(dmam_pool_create("unbound", other, 32, 0, 0));
	sim_trace_set_file(f->m, tf);
	sim_report_echo(f->m, ef);
	sim_machine_destroy(f->m);
	f->m = NULL;
	assert_int_equal(d.removed, 1);
	trace = slurp(tf);
	echo = slurp(ef);
	fclose(tf);
	fclose(ef);
	assert_non_null(strstr(trace, "size=12345 "));
	assert_non_null(strstr(trace, "size=12288 "));	/* mdrv's buffer */
	assert_null(strstr(echo, "[dma-debug]"));
	assert_null(strstr(echo, "[bug]"));
	assert_null(strstr(echo, "[warning]"));
	free(trace);
	free(echo);
}

/* fail-Nth over a driver's managed setup; the unbind undoes any prefix. */
static int dmam_sweep_run(void *ctx)
{
	struct device *dev = ctx;
	struct dma_pool *pool;
	dma_addr_t h, hb;
	void *blk;
	int ret = -ENOMEM;

	if (!dmam_alloc_coherent(dev, 2 * PAGE_SIZE, &h, GFP_KERNEL))
		goto out_unbind;
	if (!dmam_alloc_attrs(dev, 64, &h, GFP_KERNEL, DMA_ATTR_WRITE_COMBINE))
		goto out_unbind;
	pool = dmam_pool_create("sweep", dev, 512, 0, 0);
	if (!pool)
		goto out_unbind;
	blk = dma_pool_alloc(pool, GFP_KERNEL, &hb);
	if (!blk)
		goto out_unbind;
	if (sim_dma_write(dev, hb, "ok", 2))
		fail_msg("pool block not reachable");
	dma_pool_free(pool, blk, hb);
	ret = 0;
out_unbind:
	sim_device_unbind(dev);
	return ret;
}

static void dmam_sweep_settle(void *ctx)
{
	drain_flush_queue(ctx);
}

static void test_dmam_failnth(void **state)
{
	struct fx *f = *state;
	struct failnth fn = {
		.name = "dmam", .m = f->m, .ctx = f->dev,
		.run = dmam_sweep_run, .settle = dmam_sweep_settle,
		.flags = FAILNTH_MAY_SHRINK,
	};

	failnth_sweep(&fn);
	assert_true(fn.count >= 7);
	assert_true(fn.failed > 0);
	assert_false(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				     "pending DMA allocations"));
}

/*
 * devm memory and actions, and exact page allocations, under fail-Nth:
 * whichever allocation fails, what was made goes at the unbind (or the
 * caller's free) and nothing is left; a failed devm_add_action_or_reset()
 * ran its action at once.
 */
static int devm_sweep_actions;

static void devm_sweep_action(void *data)
{
	(void)data;
	devm_sweep_actions++;
}

static int devm_sweep_run(void *ctx)
{
	struct device *dev = ctx;
	int ret = -ENOMEM;
	void *exact;

	devm_sweep_actions = 0;
	if (!devm_kzalloc(dev, 3000, GFP_KERNEL) ||
	    !devm_kstrdup(dev, "devm-sweep", GFP_KERNEL) ||
	    !devm_kcalloc(dev, 8, 64, GFP_KERNEL))
		goto out_unbind;
	ret = devm_add_action_or_reset(dev, devm_sweep_action, NULL);
	if (ret) {
		/* reset: the action ran right away */
		if (devm_sweep_actions != 1)
			fail_msg("devm_add_action_or_reset failed without running the action");
		goto out_unbind;
	}
	exact = alloc_pages_exact(3 * PAGE_SIZE + 100, GFP_KERNEL);
	if (!exact) {
		ret = -ENOMEM;
		goto out_unbind;
	}
	free_pages_exact(exact, 3 * PAGE_SIZE + 100);
out_unbind:
	sim_device_unbind(dev);
	return ret;
}

static void test_devm_failnth(void **state)
{
	struct fx *f = *state;
	struct failnth fn = {
		.name = "devm", .m = f->m, .ctx = f->dev,
		.run = devm_sweep_run,
	};

	failnth_sweep(&fn);
	assert_true(fn.count >= 6);
	assert_true(fn.failed >= 6);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/* Drivers of several threads allocate and free managed memory at once. */
#define DMAM_THREADS	4
#define DMAM_ROUNDS	40

struct dmam_thread {
	struct device *dev;
	pthread_t tid;
	int failures;
};

static void *dmam_thread_fn(void *arg)
{
	struct dmam_thread *t = arg;

	for (int i = 0; i < DMAM_ROUNDS; i++) {
		size_t size = 256 + (size_t)i * 64;
		dma_addr_t h;
		u8 *p = dmam_alloc_coherent(t->dev, size, &h, GFP_KERNEL);

		if (!p || sim_dma_write(t->dev, h, "t", 1) || p[0] != 't') {
			t->failures++;
			continue;
		}
		/* every other one is left for the unbind */
		if (i & 1)
			dmam_free_coherent(t->dev, size, p, h);
	}
	return NULL;
}

static void test_dmam_threads(void **state)
{
	struct fx *f = *state;
	struct dmam_thread t[DMAM_THREADS];

	for (int i = 0; i < DMAM_THREADS; i++) {
		t[i] = (struct dmam_thread){ .dev = f->dev };
		assert_int_equal(pthread_create(&t[i].tid, NULL, dmam_thread_fn,
						&t[i]), 0);
	}
	for (int i = 0; i < DMAM_THREADS; i++) {
		assert_int_equal(pthread_join(t[i].tid, NULL), 0);
		assert_int_equal(t[i].failures, 0);
	}
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev),
			 DMAM_THREADS * DMAM_ROUNDS / 2);
	sim_device_unbind(f->dev);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/* ------------------------------------------------------------------------ */
/* dma_alloc_noncontiguous and the rest                                     */
/* ------------------------------------------------------------------------ */

#define NC_SIZE		(5 * PAGE_SIZE + 100)

/* What a non-contiguous allocation of @size takes on this variant. */
static size_t nc_alloc_size(struct fx *f, struct device *dev, size_t size)
{
	size_t unit = dev_translated(dev) ? f->v->granule : PAGE_SIZE;

	return (size + unit - 1) / unit * unit;
}

/* The table covers @len bytes of whole pages; the device sees one range. */
static void nc_check_table(struct fx *f, struct device *dev,
			   struct sg_table *sgt, size_t len)
{
	struct scatterlist *sg;
	size_t total = 0, off = 0;
	unsigned int i;

	assert_int_equal(sgt->nents, 1);
	assert_true(sgt->orig_nents >= 1);
	assert_int_equal(sg_dma_len(sgt->sgl), len);
	if (dev_translated(dev))
		assert_int_equal(sg_dma_address(sgt->sgl) & (f->v->granule - 1),
				 0);
	for_each_sgtable_sg(sgt, sg, i) {
		assert_int_equal(sg->offset, 0);
		assert_int_equal(sg->length & (PAGE_SIZE - 1), 0);
		total += sg->length;
	}
	assert_int_equal(total, len);
	/* behind an IOMMU each page is where the range says */
	if (!dev_translated(dev))
		return;
	for_each_sgtable_sg(sgt, sg, i) {
		for (size_t p = 0; p < sg->length; p += PAGE_SIZE) {
			phys_addr_t phys = 0;
			int prot = 0;

			assert_int_equal(sim_iommu_lookup(dev,
							  sg_dma_address(sgt->sgl) + off + p,
							  &phys, &prot), 0);
			assert_int_equal(phys, sg_phys(sg) + p);
		}
		off += sg->length;
	}
}

/* Copy between a buffer and the pages of @sgt (@to_pages: into them). */
static void nc_copy(struct sg_table *sgt, u8 *buf, size_t len, bool to_pages)
{
	struct scatterlist *sg;
	size_t off = 0;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i) {
		size_t n = sg->length < len - off ? sg->length : len - off;

		if (to_pages)
			memcpy(sg_virt(sg), buf + off, n);
		else
			memcpy(buf + off, sg_virt(sg), n);
		off += n;
		if (off == len)
			break;
	}
}

static void nc_roundtrip(struct fx *f, struct device *dev, size_t size,
			 unsigned long attrs)
{
	size_t len = nc_alloc_size(f, dev, size);
	unsigned long entries = sim_dma_debug_entries(f->m, dev);
	u8 *want = malloc(len), *got = malloc(len);
	struct sg_table *sgt;

	assert_non_null(want);
	assert_non_null(got);
	sgt = dma_alloc_noncontiguous(dev, size, DMA_BIDIRECTIONAL, GFP_KERNEL,
				      attrs);
	assert_non_null(sgt);
	nc_check_table(f, dev, sgt, len);
	assert_int_equal(sim_dma_debug_entries(f->m, dev), entries + 1);
	/* zeroed */
	nc_copy(sgt, got, len, false);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(got[i], 0);

	/* the CPU fills the pages; the device reads one range */
	fill_pattern(want, len, 13);
	nc_copy(sgt, want, len, true);
	dma_sync_sgtable_for_device(dev, sgt, DMA_BIDIRECTIONAL);
	assert_int_equal(sim_dma_read(dev, sg_dma_address(sgt->sgl), got, len),
			 0);
	assert_memory_equal(got, want, len);
	/* the device writes it; the CPU reads the pages after a sync */
	fill_pattern(want, len, 14);
	assert_int_equal(sim_dma_write(dev, sg_dma_address(sgt->sgl), want, len),
			 0);
	dma_sync_sgtable_for_cpu(dev, sgt, DMA_BIDIRECTIONAL);
	nc_copy(sgt, got, len, false);
	assert_memory_equal(got, want, len);
	dma_free_noncontiguous(dev, size, sgt, DMA_BIDIRECTIONAL);
	assert_int_equal(sim_dma_debug_entries(f->m, dev), entries);
	free(want);
	free(got);
}

static void test_noncontiguous(void **state)
{
	struct fx *f = *state;
	unsigned long pages = pages_in_use(f);

	nc_roundtrip(f, f->dev, NC_SIZE, 0);
	nc_roundtrip(f, f->dev, NC_SIZE, DMA_ATTR_ALLOC_SINGLE_PAGES);
	nc_roundtrip(f, f->dev, 1, 0);
	/* 2M and a bit: a 2M block where the domain maps 2M pages */
	nc_roundtrip(f, f->dev, SZ_2M + PAGE_SIZE, 0);
	/* the untrusted device is not bounced: whole granules */
	nc_roundtrip(f, dev_of(f->m, "ut"), NC_SIZE, 0);
	assert_int_equal(pages_in_use(f), pages);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/* A 32-bit device gets memory (or IOVA) below 4G. */
static void test_noncontiguous_dev32(void **state)
{
	struct fx *f = *state;
	struct device *dev32 = dev_of(f->m, "dev32");
	struct sg_table *sgt;

	nc_roundtrip(f, dev32, NC_SIZE, 0);
	sgt = dma_alloc_noncontiguous(dev32, SZ_1M, DMA_TO_DEVICE, GFP_KERNEL,
				      0);
	assert_non_null(sgt);
	assert_true(sg_dma_address(sgt->sgl) + SZ_1M <= SZ_4G);
	dma_free_noncontiguous(dev32, SZ_1M, sgt, DMA_TO_DEVICE);
}

/*
 * Scattered blocks behind an IOMMU: holes left in the allocator's memory
 * are reused, and the device still sees one range; the CPU cannot vmap them.
 */
static void test_noncontiguous_scattered(void **state)
{
	struct fx *f = *state;
	unsigned int gorder = (unsigned int)get_order(f->v->granule);
	struct page *blk[64];
	struct sg_table *sgt;
	size_t len = 4 * f->v->granule;
	u8 *want = malloc(len), *got = malloc(len);

	assert_non_null(want);
	assert_non_null(got);
	if (!f->translated) {
		free(want);
		free(got);
		skip();
	}
	for (int i = 0; i < 64; i++) {
		blk[i] = sim_alloc_pages(f->m, gorder);
		assert_non_null(blk[i]);
	}
	for (int i = 0; i < 64; i += 2)
		sim_free_pages(f->m, blk[i], gorder);
	sgt = dma_alloc_noncontiguous(f->dev, len, DMA_FROM_DEVICE, GFP_KERNEL,
				      DMA_ATTR_ALLOC_SINGLE_PAGES);
	assert_non_null(sgt);
	assert_true(sgt->orig_nents > 1);
	nc_check_table(f, f->dev, sgt, len);
	assert_null(dma_vmap_noncontiguous(f->dev, len, sgt));
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO,
				    "cannot be mapped as one by the simulated CPU"));
	fill_pattern(want, len, 15);
	assert_int_equal(sim_dma_write(f->dev, sg_dma_address(sgt->sgl), want,
				       len), 0);
	dma_sync_sgtable_for_cpu(f->dev, sgt, DMA_FROM_DEVICE);
	nc_copy(sgt, got, len, false);
	assert_memory_equal(got, want, len);
	dma_free_noncontiguous(f->dev, len, sgt, DMA_FROM_DEVICE);
	for (int i = 1; i < 64; i += 2)
		sim_free_pages(f->m, blk[i], gorder);
	free(want);
	free(got);
}

static void test_vmap_noncontiguous(void **state)
{
	struct fx *f = *state;
	size_t len = nc_alloc_size(f, f->dev, NC_SIZE);
	u8 *want = malloc(len), *got = malloc(len), *v;
	struct sg_table *sgt;

	assert_non_null(want);
	assert_non_null(got);
	sgt = dma_alloc_noncontiguous(f->dev, NC_SIZE, DMA_BIDIRECTIONAL,
				      GFP_KERNEL, 0);
	assert_non_null(sgt);
	v = dma_vmap_noncontiguous(f->dev, NC_SIZE, sgt);
	if (!v) {
		/* only scattered blocks behind an IOMMU cannot be mapped */
		assert_true(f->translated && sgt->orig_nents > 1);
	} else {
		assert_ptr_equal(v, sg_virt(sgt->sgl));
		fill_pattern(want, len, 16);
		memcpy(v, want, len);
		dma_sync_sgtable_for_device(f->dev, sgt, DMA_BIDIRECTIONAL);
		assert_int_equal(sim_dma_read(f->dev, sg_dma_address(sgt->sgl),
					      got, len), 0);
		assert_memory_equal(got, want, len);
		fill_pattern(want, len, 17);
		assert_int_equal(sim_dma_write(f->dev, sg_dma_address(sgt->sgl),
					       want, len), 0);
		dma_sync_sgtable_for_cpu(f->dev, sgt, DMA_BIDIRECTIONAL);
		assert_memory_equal(v, want, len);
		dma_vunmap_noncontiguous(f->dev, v);
	}
	dma_free_noncontiguous(f->dev, NC_SIZE, sgt, DMA_BIDIRECTIONAL);
	assert_null(dma_vmap_noncontiguous(NULL, NC_SIZE, sgt));
	assert_null(dma_vmap_noncontiguous(f->dev, NC_SIZE, NULL));
	free(want);
	free(got);
}

static void test_noncontiguous_errors(void **state)
{
	struct fx *f = *state;
	unsigned long pages = pages_in_use(f);
	unsigned long warns = 0;
	struct sg_table *sgt;

	assert_null(dma_alloc_noncontiguous(NULL, PAGE_SIZE, DMA_TO_DEVICE,
					    GFP_KERNEL, 0));
	assert_null(dma_alloc_noncontiguous(f->dev, 0, DMA_TO_DEVICE,
					    GFP_KERNEL, 0));
	assert_null(dma_alloc_noncontiguous(f->dev, SIZE_MAX, DMA_TO_DEVICE,
					    GFP_KERNEL, 0));
	assert_null(dma_alloc_noncontiguous(f->dev, (size_t)UINT_MAX + 1,
					    DMA_TO_DEVICE, GFP_KERNEL, 0));
	/* more than the machine has: nothing kept */
	assert_null(dma_alloc_noncontiguous(f->dev, SZ_512M, DMA_TO_DEVICE,
					    GFP_KERNEL, 0));
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), warns);
	/* refused with a warning */
	assert_null(dma_alloc_noncontiguous(f->dev, PAGE_SIZE, DMA_TO_DEVICE,
					    GFP_KERNEL, DMA_ATTR_WRITE_COMBINE));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "unsupported attributes 0x4"));
	assert_null(dma_alloc_noncontiguous(f->dev, PAGE_SIZE, DMA_TO_DEVICE,
					    GFP_KERNEL | __GFP_COMP, 0));
	assert_null(dma_alloc_noncontiguous(f->dev, PAGE_SIZE, DMA_NONE,
					    GFP_KERNEL, 0));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "invalid DMA direction 3"));
	warns += 3;
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), warns);
	/* zone modifiers: the IOMMU ignores them, dma-direct refuses them */
	sgt = dma_alloc_noncontiguous(f->dev, PAGE_SIZE, DMA_TO_DEVICE,
				      GFP_KERNEL | GFP_DMA32, 0);
	if (f->translated) {
		assert_non_null(sgt);
		dma_free_noncontiguous(f->dev, PAGE_SIZE, sgt, DMA_TO_DEVICE);
	} else {
		assert_null(sgt);
		assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
					    "zone modifiers are the DMA layer's choice"));
		warns++;
	}
	/* freeing nothing */
	dma_free_noncontiguous(f->dev, PAGE_SIZE, NULL, DMA_TO_DEVICE);
	dma_free_noncontiguous(NULL, PAGE_SIZE, NULL, DMA_TO_DEVICE);
	/* freed with a size of other pages: WARN, the right size is freed */
	sgt = dma_alloc_noncontiguous(f->dev, 3 * f->v->granule, DMA_TO_DEVICE,
				      GFP_KERNEL, 0);
	assert_non_null(sgt);
	dma_free_noncontiguous(f->dev, f->v->granule, sgt, DMA_TO_DEVICE);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "dma_free_noncontiguous"));
	warns++;
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), warns);
	assert_int_equal(pages_in_use(f), pages);
}

/* dma-debug sees the allocation as a one-entry list of the device's. */
static void test_noncontiguous_debug(void **state)
{
	struct fx *f = *state;
	struct sg_table *sgt;
	FILE *tf = tmpfile();
	char *trace;
	u8 b[16];

	assert_non_null(tf);
	sim_trace_set_file(f->m, tf);
	sgt = dma_alloc_noncontiguous(f->dev, NC_SIZE, DMA_TO_DEVICE,
				      GFP_KERNEL, 0);
	assert_non_null(sgt);
	/*
	 * The device may not write a TO_DEVICE allocation: the IOMMU faults
	 * it, without one dma-debug reports it.
	 */
	memset(b, 0, sizeof(b));
	if (f->translated) {
		assert_int_not_equal(sim_dma_write(f->dev,
						   sg_dma_address(sgt->sgl) + 8,
						   b, sizeof(b)), 0);
		assert_int_equal(sim_iommu_faults(f->m), 1);
	} else {
		sim_dma_write(f->dev, sg_dma_address(sgt->sgl) + 8, b,
			      sizeof(b));
		assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
					    "device writes DMA memory mapped with DMA_TO_DEVICE"));
	}
	/* a sync in another direction */
	dma_sync_sgtable_for_cpu(f->dev, sgt, DMA_FROM_DEVICE);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "syncs DMA memory with different direction"));
	dma_free_noncontiguous(f->dev, NC_SIZE, sgt, DMA_TO_DEVICE);
	sim_trace_set_file(f->m, NULL);
	trace = slurp(tf);
	fclose(tf);
	assert_non_null(strstr(trace, "dma_alloc_sgt: "));
	assert_non_null(strstr(trace, "dma_free_sgt: "));
	free(trace);
	assert_int_equal(machine_teardown_allowed(f->m, TD_BUG | TD_DMA_DEBUG, 0,
						  dbg_errors(f)), 0);
	*state = NULL;
	free(f);
}

/* fail-Nth over allocation, use and free. */
struct nc_sweep {
	struct device *dev;
	unsigned long attrs;
	size_t size;
};

static int nc_sweep_run(void *ctx)
{
	struct nc_sweep *w = ctx;
	struct sg_table *sgt;

	sgt = dma_alloc_noncontiguous(w->dev, w->size, DMA_FROM_DEVICE,
				      GFP_KERNEL, w->attrs);
	if (!sgt)
		return -ENOMEM;
	if (sim_dma_write(w->dev, sg_dma_address(sgt->sgl) + w->size - 2,
			  "ok", 2))
		fail_msg("the end of the range is not reachable");
	dma_sync_sgtable_for_cpu(w->dev, sgt, DMA_FROM_DEVICE);
	dma_free_noncontiguous(w->dev, w->size, sgt, DMA_FROM_DEVICE);
	return 0;
}

static void nc_sweep_settle(void *ctx)
{
	struct nc_sweep *w = ctx;

	drain_flush_queue(w->dev);
}

static void test_noncontiguous_failnth(void **state)
{
	struct fx *f = *state;
	static const unsigned long attrs[] = { 0, DMA_ATTR_ALLOC_SINGLE_PAGES };

	for (unsigned int i = 0; i < 2; i++) {
		struct nc_sweep w = {
			.dev = f->dev, .attrs = attrs[i],
			.size = 3 * f->v->granule + 100,
		};
		struct failnth fn = {
			.name = "dma_alloc_noncontiguous", .m = f->m, .ctx = &w,
			.run = nc_sweep_run, .settle = nc_sweep_settle,
			.flags = FAILNTH_MAY_SHRINK,
		};

		failnth_sweep(&fn);
		assert_true(fn.count >= 2);
		assert_true(fn.failed > 0);
	}
}

static const struct variant_test tests[] = {
	VARIANT_TEST(test_merge_boundary),
	VARIANT_TEST(test_sync_range_for_cpu),
	VARIANT_TEST(test_sync_range_for_device),
	VARIANT_TEST(test_sync_range_misuse),
	VARIANT_TEST(test_alloc_wc),
	VARIANT_TEST(test_free_wc_wrong_size),
	VARIANT_TEST(test_map_bvec),
	VARIANT_TEST(test_get_sgtable),
	VARIANT_TEST(test_get_sgtable_errors),
	VARIANT_TEST(test_pool_create_node),
	VARIANT_TEST(test_pool_create_node_errors),
	VARIANT_TEST(test_pool_create_node_failnth),
	VARIANT_TEST(test_dmam_alloc_free),
	VARIANT_TEST(test_dmam_free_misuse),
	VARIANT_TEST(test_dmam_unbind_releases),
	VARIANT_TEST(test_dmam_pool),
	VARIANT_TEST(test_dmam_driver_unbind),
	VARIANT_TEST(test_devm_memory_actions),
	VARIANT_TEST(test_devm_failnth),
	VARIANT_TEST(test_dmam_probe_fails),
	VARIANT_TEST(test_dmam_shutdown),
	VARIANT_TEST(test_dmam_failnth),
	VARIANT_TEST(test_dmam_threads),
	VARIANT_TEST(test_noncontiguous),
	VARIANT_TEST(test_noncontiguous_dev32),
	VARIANT_TEST(test_noncontiguous_scattered),
	VARIANT_TEST(test_vmap_noncontiguous),
	VARIANT_TEST(test_noncontiguous_errors),
	VARIANT_TEST(test_noncontiguous_debug),
	VARIANT_TEST(test_noncontiguous_failnth),
};

int main(void)
{
	return variant_run_groups("dma-extra", VARIANT_TESTS(tests),
				  VARIANTS(variants_all), fx_setup,
				  fx_teardown);
}
