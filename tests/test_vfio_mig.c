// SPDX-License-Identifier: MIT
/*
 * VFIO migration data buffers (src/kernel/vfio/vfio_mig.c): vfio/mlx5's page list
 * mapped with the IOVA API, or page by page without an IOMMU; the device
 * saving its state into it by DMA and loading it back; growth; memory
 * held against a scatterlist; a fault-injection sweep.
 *
 * Every test runs on each variant: dma-direct, an x86 IOMMU in strict and
 * in lazy mode or passthrough, and arm64 SMMUs with 4K, 16K and 64K
 * granules (larger than a page), strict and lazy.
 */
#include "failnth.h"
#include "variants.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The PF is coherent, and not behind forced bouncing: the driver reads the
 * saved state from its pages while they are mapped, without a sync, as
 * mlx5 does.
 */
static const struct dma_variant *const mig_variants[] = {
	&variant_direct, &variant_x86_strict, &variant_x86_lazy,
	&variant_x86_passthrough, &variant_arm64_4k_strict,
	&variant_arm64_16k_lazy, &variant_arm64_64k_strict,
	&variant_arm64_64k_lazy,
};


struct fx {
	VARIANT_FX;		/* translated: the IOVA API is usable */
	struct device *pf;	/* the device that moves the state (mlx5's PF):
				 * nic0 of the HMM/ODP machine (variants.h) */
	unsigned long block;	/* pages per allocation block */
};

#define FX(state)	((struct fx *)*(state))

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_nic_machine);

	f->pf = dev_of(f->m, "nic0");
	f->block = f->translated ? f->v->granule / PAGE_SIZE : 1;
	return 0;
}

/* Nothing mapped, nothing reported (not even a warning), no IOMMU fault. */
static int fx_teardown(void **state)
{
	return variant_fx_teardown(state, TD_CLEAN | TD_WARN);
}

/* The CPU reads the buffer through its pages and finds image @seed. */
static void assert_image(struct vfio_mig_buf *buf, u32 seed, size_t len)
{
	size_t chunk = 64 * 1024;
	u8 *got = malloc(chunk), *want = malloc(chunk);

	assert_non_null(got);
	assert_non_null(want);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		assert_int_equal(vfio_mig_buf_read(buf, off, got, n), 0);
		vfio_mig_state_image(seed, off, want, n);
		if (memcmp(got, want, n))
			fail_msg("state differs in [%#zx, %#zx)", off, off + n);
	}
	free(got);
	free(want);
}

static u32 pages_for(const struct fx *f, size_t len)
{
	u32 n = (u32)((len + PAGE_SIZE - 1) / PAGE_SIZE);

	return (u32)((n + f->block - 1) / f->block * f->block);
}

/* ------------------------------------------------------------------------ */

/*
 * Save state, sizes from one page to many MiB: one IOVA range (byte N at
 * IOVA + N, each page where the IOMMU says), no invalidation to map, one to
 * unmap in strict mode; page by page without an IOMMU.
 */
static void test_save_sizes(void **state)
{
	static const size_t sizes[] = { 1, PAGE_SIZE, 3 * PAGE_SIZE + 100,
					SZ_64K, SZ_1M, 5 * SZ_1M + 4321,
					24 * SZ_1M };
	struct fx *f = FX(state);
	unsigned long pages0 = sim_ram_pages_allocated(f->m);

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t len = sizes[i];
		u32 npages = (u32)((len + PAGE_SIZE - 1) / PAGE_SIZE);
		unsigned long inv0 = sim_iommu_invalidations(f->m), inv1;
		struct vfio_mig_buf *buf;
		dma_addr_t base;

		buf = vfio_mig_buf_alloc(f->pf, npages, DMA_FROM_DEVICE);
		assert_false(IS_ERR(buf));
		assert_int_equal(vfio_mig_buf_npages(buf), pages_for(f, len));
		assert_true(vfio_mig_buf_mapped(buf));
		assert_int_equal(vfio_mig_buf_uses_iova(buf), f->translated);
		assert_int_equal(sim_iommu_invalidations(f->m), inv0);
		base = vfio_mig_buf_dma_addr(buf, 0);
		assert_true(base != DMA_MAPPING_ERROR);
		for (u32 p = 0; p < vfio_mig_buf_npages(buf);
		     p += (p < 64 ? 1 : 97)) {
			u64 off = (u64)p * PAGE_SIZE;
			dma_addr_t a = vfio_mig_buf_dma_addr(buf, off + 8);
			phys_addr_t phys;
			int prot;

			if (!f->translated) {
				assert_int_equal(a, page_to_phys(vfio_mig_buf_page(buf, off)) + 8);
				continue;
			}
			assert_int_equal(a, base + off + 8);
			assert_int_equal(sim_iommu_lookup(f->pf, a, &phys, &prot), 0);
			assert_int_equal(phys, page_to_phys(vfio_mig_buf_page(buf, off)) + 8);
			assert_true(prot & IOMMU_WRITE);
		}
		assert_int_equal(vfio_mig_buf_dma_addr(buf, (u64)vfio_mig_buf_npages(buf) *
							 PAGE_SIZE), DMA_MAPPING_ERROR);

		assert_int_equal(vfio_mig_device_save(buf, 7 + i, len), 0);
		assert_image(buf, 7 + i, len);
		/* a load buffer it is not */
		assert_int_equal(vfio_mig_device_load(buf, 7 + i, len), -EINVAL);
		assert_int_equal(vfio_mig_device_save(buf, 1,
			(size_t)vfio_mig_buf_npages(buf) * PAGE_SIZE + 1), -EINVAL);

		inv1 = sim_iommu_invalidations(f->m);
		vfio_mig_buf_free(buf);
		if (f->translated && !f->lazy)
			assert_int_equal(sim_iommu_invalidations(f->m) - inv1, 1);
		else if (f->lazy)
			assert_int_equal(sim_iommu_flush_queue(f->pf), 0);
		assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	}
	/* page-table pages too: freed once empty after the unmap's flush */
	assert_int_equal(sim_ram_pages_allocated(f->m), pages0);
}

/*
 * Load state: the CPU fills an unmapped buffer (the migration stream), maps
 * it to the device, and the device reads its state back; a corrupted byte
 * is what the device notices.
 */
static void test_load(void **state)
{
	struct fx *f = FX(state);
	const size_t len = 300 * 1024 + 17;
	u32 npages = (u32)((len + PAGE_SIZE - 1) / PAGE_SIZE);
	struct vfio_mig_buf *buf;
	u8 *img = malloc(len), bad;

	assert_non_null(img);
	buf = vfio_mig_buf_alloc(f->pf, npages, DMA_NONE);
	assert_false(IS_ERR(buf));
	assert_false(vfio_mig_buf_mapped(buf));
	assert_int_equal(vfio_mig_buf_dma_addr(buf, 0), DMA_MAPPING_ERROR);
	assert_int_equal(vfio_mig_device_load(buf, 3, len), -EINVAL);
	vfio_mig_state_image(3, 0, img, len);
	assert_int_equal(vfio_mig_buf_write(buf, 0, img, len), 0);
	assert_int_equal(vfio_mig_buf_map(buf, DMA_TO_DEVICE), 0);
	assert_int_equal(vfio_mig_buf_map(buf, DMA_TO_DEVICE), -EINVAL);
	assert_int_equal(vfio_mig_buf_uses_iova(buf), f->translated);
	assert_int_equal(vfio_mig_device_load(buf, 3, len), 0);
	assert_int_equal(vfio_mig_device_load(buf, 4, len), -EBADMSG);
	assert_int_equal(vfio_mig_device_save(buf, 3, len), -EINVAL);

	/* one byte in the middle of a page in the middle */
	assert_int_equal(vfio_mig_buf_read(buf, len / 2, &bad, 1), 0);
	bad ^= 0x5a;
	assert_int_equal(vfio_mig_buf_write(buf, len / 2, &bad, 1), 0);
	assert_int_equal(vfio_mig_device_load(buf, 3, len), -EBADMSG);
	assert_int_equal(vfio_mig_buf_write(buf, len / 2, img + len / 2, 1), 0);
	assert_int_equal(vfio_mig_device_load(buf, 3, len), 0);
	vfio_mig_buf_free(buf);
	free(img);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->pf), 0);
}

/*
 * Growth: pages added to a mapped buffer keep what the device saved, the
 * whole buffer is mapped again as one range, and the device then saves a
 * larger state across old and new pages.
 */
static void test_growth(void **state)
{
	struct fx *f = FX(state);
	struct vfio_mig_buf *buf;
	size_t len;
	u32 n;

	buf = vfio_mig_buf_alloc(f->pf, 2, DMA_FROM_DEVICE);
	assert_false(IS_ERR(buf));
	len = 2 * PAGE_SIZE - 5;
	assert_int_equal(vfio_mig_device_save(buf, 11, len), 0);
	for (int step = 0; step < 6; step++) {
		u32 before = vfio_mig_buf_npages(buf);
		u32 add = 3u << (2 * step);	/* 3, 12, 48 ... 3072 pages */

		assert_int_equal(vfio_mig_buf_add_pages(buf, add), 0);
		n = vfio_mig_buf_npages(buf);
		assert_int_equal(n, before + pages_for(f, (size_t)add * PAGE_SIZE));
		assert_true(vfio_mig_buf_mapped(buf));
		assert_int_equal(vfio_mig_buf_uses_iova(buf), f->translated);
		assert_image(buf, 11 + step, len);	/* kept across the remap */
		len = (size_t)n * PAGE_SIZE - step;
		assert_int_equal(vfio_mig_device_save(buf, 12 + step, len), 0);
		assert_image(buf, 12 + step, len);
		/*
		 * The old mapping is gone, nothing is mapped twice: dma-debug
		 * has one entry per link (a block) or per mapped page.
		 */
		assert_int_equal(sim_dma_debug_entries(f->m, NULL), n / f->block);
	}
	assert_int_equal(vfio_mig_buf_add_pages(buf, 0), -EINVAL);
	vfio_mig_buf_free(buf);

	/* an unmapped buffer just grows */
	buf = vfio_mig_buf_alloc(f->pf, 1, DMA_NONE);
	assert_false(IS_ERR(buf));
	assert_int_equal(vfio_mig_buf_add_pages(buf, 1), 0);
	assert_false(vfio_mig_buf_mapped(buf));
	assert_int_equal(vfio_mig_buf_npages(buf), 2 * f->block);
	vfio_mig_buf_free(buf);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->pf), 0);
}

/*
 * What the buffer holds for bookkeeping: the page list, and a DMA address
 * per page only where there is no IOVA range; against the scatterlist
 * mlx5 used to keep for the same pages (one 32-byte entry per physically
 * contiguous run, DMA address included). The pages are made discontiguous
 * first, as the kernel's bulk allocator usually hands them out.
 */
static void test_memory_held(void **state)
{
	struct fx *f = FX(state);
	const u32 want = 512 * (u32)f->block;
	struct page **holes = calloc(2 * want, sizeof(*holes));
	unsigned int order = (unsigned int)get_order(f->block * PAGE_SIZE);
	struct vfio_mig_buf *buf;
	struct page **list = calloc(want, sizeof(*list));
	struct sg_table sgt;
	unsigned int runs = 1;
	size_t held, sg_bytes;

	assert_non_null(holes);
	assert_non_null(list);
	for (u32 i = 0; i < 2 * want / f->block; i++)
		holes[i] = sim_alloc_pages(f->m, order);
	for (u32 i = 0; i < 2 * want / f->block; i += 2)
		sim_free_pages(f->m, holes[i], order);

	buf = vfio_mig_buf_alloc(f->pf, want, DMA_FROM_DEVICE);
	assert_false(IS_ERR(buf));
	assert_int_equal(vfio_mig_buf_npages(buf), want);
	for (u32 i = 0; i < want; i++) {
		list[i] = vfio_mig_buf_page(buf, (u64)i * PAGE_SIZE);
		if (i && page_to_phys(list[i]) != page_to_phys(list[i - 1]) + PAGE_SIZE)
			runs++;
	}
	/* the holes were used: one run per allocation block */
	assert_int_equal(runs, want / f->block);

	held = vfio_mig_buf_meta_bytes(buf);
	/* beyond the page list: the structure, and the MTT without IOVA */
	if (f->translated)
		assert_true(held - want * sizeof(struct page *) < 256);
	else
		assert_true(held - want * (sizeof(struct page *) + sizeof(dma_addr_t)) < 256);

	assert_int_equal(sg_alloc_table_from_pages(&sgt, list, want, 0,
						   (unsigned long)want * PAGE_SIZE,
						   GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, runs);
	sg_bytes = sgt.orig_nents * sizeof(struct scatterlist);
	sg_free_table(&sgt);
	print_message("%s: %u pages: buffer holds %zu bytes, a scatterlist %zu (%.1fx)\n",
		      f->v->name, want, held, sg_bytes, (double)sg_bytes / held);
	/*
	 * Per page, a page pointer (8 bytes) against a scatterlist entry (32);
	 * without an IOMMU the MTT adds a DMA address (8). In granule-sized
	 * blocks a scatterlist merges each block into one entry, the list
	 * does not: there the list is the larger (printed above).
	 */
	if (f->block == 1 && f->translated)
		assert_true(held * 3 < sg_bytes);
	else if (f->block == 1)
		assert_true(held * 3 < sg_bytes * 2);
	else
		assert_true(held < want * sizeof(struct page *) + 256);

	vfio_mig_device_save(buf, 5, (size_t)want * PAGE_SIZE);
	assert_image(buf, 5, (size_t)want * PAGE_SIZE);
	vfio_mig_buf_free(buf);
	for (u32 i = 1; i < 2 * want / f->block; i += 2)
		sim_free_pages(f->m, holes[i], order);
	free(holes);
	free(list);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->pf), 0);
}

static void test_bad_args(void **state)
{
	struct fx *f = FX(state);
	struct vfio_mig_buf *buf;
	u8 b[8];

	assert_int_equal(PTR_ERR(vfio_mig_buf_alloc(NULL, 1, DMA_FROM_DEVICE)), -EINVAL);
	assert_int_equal(PTR_ERR(vfio_mig_buf_alloc(f->pf, 0, DMA_FROM_DEVICE)), -EINVAL);
	assert_int_equal(PTR_ERR(vfio_mig_buf_alloc(f->pf, 1, 7)), -EINVAL);
	vfio_mig_buf_free(NULL);
	vfio_mig_buf_free(ERR_PTR(-ENOMEM));
	buf = vfio_mig_buf_alloc(f->pf, 1, DMA_BIDIRECTIONAL);
	assert_false(IS_ERR(buf));
	assert_null(vfio_mig_buf_page(buf, (u64)vfio_mig_buf_npages(buf) * PAGE_SIZE));
	assert_int_equal(vfio_mig_buf_read(buf, (u64)vfio_mig_buf_npages(buf) * PAGE_SIZE - 4,
					   b, 8), -EINVAL);
	assert_int_equal(vfio_mig_buf_write(buf, ~0ULL, b, 8), -EINVAL);
	/* bidirectional: save, then load the same image */
	assert_int_equal(vfio_mig_device_save(buf, 9, PAGE_SIZE), 0);
	assert_int_equal(vfio_mig_device_load(buf, 9, PAGE_SIZE), 0);
	assert_int_equal(vfio_mig_device_save(buf, 9, 0), 0);
	vfio_mig_buf_free(buf);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->pf), 0);
}

/* ------------------------------------------------------------------------ */
/* Fault injection                                                          */
/* ------------------------------------------------------------------------ */

#define SWEEP_MASK	SWEEP_IOVA_MASK	/* 64M of IOVA */

/* The upper half of the limited IOVA space is free: nothing leaked there. */
static void pf_iova_space_free(struct fx *f)
{
	if (f->translated)
		check_iova_space_free(f->pf);
}

enum scn_result { SCN_ALLOC, SCN_SAVE, SCN_GROW, SCN_REMAP, SCN_DONE };

/* alloc 8 blocks, save, verify, grow by 5 blocks, save, verify, free. */
static enum scn_result run_scenario(struct fx *f, bool *iova)
{
	u32 n = 8 * (u32)f->block;
	struct vfio_mig_buf *buf;
	enum scn_result res = SCN_DONE;
	size_t len;
	int ret;

	buf = vfio_mig_buf_alloc(f->pf, n, DMA_FROM_DEVICE);
	if (IS_ERR(buf)) {
		assert_int_equal(PTR_ERR(buf), -ENOMEM);
		return SCN_ALLOC;
	}
	*iova = vfio_mig_buf_uses_iova(buf);
	len = (size_t)n * PAGE_SIZE - 3;
	ret = vfio_mig_device_save(buf, 21, len);
	if (ret) {
		/* only the device's own buffer can fail: nothing else allocates */
		res = SCN_SAVE;
		goto out;
	}
	assert_image(buf, 21, len);
	ret = vfio_mig_buf_add_pages(buf, 5 * (u32)f->block);
	if (ret == -ENOMEM && vfio_mig_buf_npages(buf) == n) {
		/* nothing given up: the buffer still has the state, mapped */
		assert_true(vfio_mig_buf_mapped(buf));
		assert_image(buf, 21, len);
		assert_int_equal(vfio_mig_device_save(buf, 21, len), 0);
		res = SCN_GROW;
		goto out;
	}
	if (ret) {
		/* grown, the state kept, but the new mapping failed */
		assert_int_equal(vfio_mig_buf_npages(buf), 13 * f->block);
		assert_false(vfio_mig_buf_mapped(buf));
		assert_image(buf, 21, len);
		res = SCN_REMAP;
		goto out;
	}
	assert_image(buf, 21, len);
	len = (size_t)vfio_mig_buf_npages(buf) * PAGE_SIZE;
	assert_int_equal(vfio_mig_device_save(buf, 22, len), 0);
	assert_image(buf, 22, len);
out:
	vfio_mig_buf_free(buf);
	return res;
}

struct mig_sweep {
	struct fx *f;
	unsigned int results[SCN_DONE + 1];
	unsigned int fallback;	/* runs that mapped page by page */
};

static int mig_sweep_run(void *ctx)
{
	struct mig_sweep *w = ctx;
	bool iova = w->f->translated;
	enum scn_result res = run_scenario(w->f, &iova);

	w->results[res]++;
	/* a run without a failure uses the IOVA API where there is one */
	if (res == SCN_DONE && !sim_fail_nth_triggered(w->f->m))
		assert_int_equal(iova, w->f->translated);
	/* a failed IOVA allocation falls back to page-by-page mapping */
	if (res != SCN_ALLOC && iova != w->f->translated)
		w->fallback++;
	return res == SCN_DONE ? 0 : (int)res + 1;
}

static void mig_sweep_settle(void *ctx)
{
	struct mig_sweep *w = ctx;

	if (w->f->lazy)
		assert_int_equal(sim_iommu_flush_queue(w->f->pf), 0);
}

/* page-table pages included in the baseline's RAM pages */
static void mig_sweep_check(void *ctx, unsigned long n, int ret)
{
	struct mig_sweep *w = ctx;

	pf_iova_space_free(w->f);
}

static void test_failnth_sweep(void **state)
{
	struct fx *f = FX(state);
	struct mig_sweep w = { .f = f };
	/* the warm-up makes the page-table levels and IOVA caches */
	struct failnth fn = {
		.name = f->v->name, .m = f->m, .ctx = &w,
		.run = mig_sweep_run, .settle = mig_sweep_settle,
		.check = mig_sweep_check,
	};

	if (f->translated)
		assert_int_equal(dma_set_mask(f->pf, SWEEP_MASK), 0);
	failnth_sweep(&fn);
	print_message("%s: %lu injected failures: alloc %u, grow %u, remap %u, done %u, fallback %u\n",
		      f->v->name, fn.runs - 1, w.results[SCN_ALLOC],
		      w.results[SCN_GROW], w.results[SCN_REMAP],
		      w.results[SCN_DONE], w.fallback);
	assert_true(w.results[SCN_ALLOC] > 0);
	assert_true(w.results[SCN_GROW] > 0);
	if (f->translated)
		assert_true(w.fallback > 0);
	/*
	 * Lazy mode keeps the old page-table pages until the flush queue
	 * flushes, so mapping again after growth needs no new ones there.
	 */
	if (f->translated && !f->lazy)
		assert_true(w.results[SCN_REMAP] > 0);
	assert_int_equal(w.results[SCN_SAVE], 0);
	/* the page-by-page fallback through the IOMMU leaves nothing either */
	sim_report_clear(f->m);
	if (f->translated)
		assert_int_equal(dma_set_mask(f->pf, DMA_BIT_MASK(64)), 0);
}

#define T(fn) VARIANT_TEST(fn)
static const struct variant_test tests[] = {
	T(test_save_sizes),
	T(test_load),
	T(test_growth),
	T(test_memory_held),
	T(test_bad_args),
	T(test_failnth_sweep),
};
#undef T

int main(void)
{
	return variant_run_groups("vfio_mig", VARIANT_TESTS(tests),
				  VARIANTS(mig_variants), fx_setup,
				  fx_teardown);
}
