// SPDX-License-Identifier: MIT
/*
 * Every planted bug is caught (issue 11): one small streaming-DMA driver,
 * correct, and with each of eight bugs planted, run on seven platforms:
 * x86 lazy and strict IOMMUs, no IOMMU coherent and non-coherent, an arm64
 * SMMU with a 64K granule, a 32-bit device bounced through swiotlb, and a
 * confidential guest. The device is in the DMA check mode everywhere (it
 * is what makes a missing sync show on the coherent ones; on the others it
 * adds the "data never taken by the CPU" report). Each bug must give a
 * report that names it; the correct driver must give none at all.
 */
#include "variants.h"

/* A 32-bit device whose buffer lies above 4G: every mapping bounces. */
static const struct dma_variant variant_swiotlb32 = {
	"32-bit device with swiotlb", "x86_64", NULL, NULL,
	NULL, SZ_4K, false, false,
};

static const struct dma_variant *const variants_planted[] = {
	&variant_x86_lazy, &variant_x86_strict, &variant_direct,
	&variant_direct_noncoherent, &variant_arm64_64k_strict,
	&variant_swiotlb32, &variant_cc,
};

#define BUF	4096

struct fx {
	VARIANT_FX;
	struct device *dev;
	struct page *pg;
	phys_addr_t phys;
	u8 *cpu;
	u8 a[BUF], b[BUF], got[BUF];
};

#define FX(s)	((struct fx *)*(s))

static int setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_api_machine);
	bool low32 = f->v == &variant_swiotlb32;

	f->dev = sim_device(f->m, low32 ? "dev32" : "dev0");
	assert_non_null(f->dev);
	f->pg = low32 ? sim_alloc_pages_range(f->m, 0, SZ_4G, SZ_4G + SZ_128M) :
			sim_alloc_pages(f->m, 0);
	assert_non_null(f->pg);
	f->phys = page_to_phys(f->pg);
	f->cpu = page_address(f->pg);
	assert_int_equal(sim_dma_check_set(f->dev, true), 0);
	assert_true(sim_dma_check_enabled(f->dev));
	fill_pattern(f->a, BUF, 11);
	fill_pattern(f->b, BUF, 12);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f && getenv("PLANTED_DUMP"))	/* the matrix, for a reader */
		sim_report_dump(f->m, stderr);
	if (f && f->pg)
		sim_free_pages(f->m, f->pg, 0);
	/* nothing left mapped, no swiotlb slot; the reports are the test's */
	return variant_fx_teardown(state, 0);
}

/* Does a report of any kind contain every one of @n1 (and @n2, if any)? */
static bool reported(struct sim_machine *m, const char *n1, const char *n2)
{
	struct sim_report r;

	for (unsigned long i = 0; i < sim_report_count(m); i++)
		if (!sim_report_get(m, i, &r) && strstr(r.text, n1) &&
		    (!n2 || strstr(r.text, n2)))
			return true;
	return false;
}

static dma_addr_t map(struct fx *f, enum dma_data_direction dir)
{
	dma_addr_t a = dma_map_phys(f->dev, f->phys, BUF, dir, 0);

	assert_int_equal(dma_mapping_error(f->dev, a), 0);
	return a;
}

static void dev_read(struct fx *f, dma_addr_t a, size_t off, size_t len)
{
	assert_int_equal(sim_dma_read(f->dev, a + off, f->got, len), 0);
}

static void dev_write(struct fx *f, dma_addr_t a, size_t off, const u8 *p,
		      size_t len)
{
	assert_int_equal(sim_dma_write(f->dev, a + off, p, len), 0);
}

/* ---- the correct driver ------------------------------------------------ */

static void correct_driver(struct fx *f)
{
	struct sg_table sgt;
	dma_addr_t a;

	/* TX: filled, mapped, read by the device; refilled, synced, read */
	memcpy(f->cpu, f->a, BUF);
	a = map(f, DMA_TO_DEVICE);
	dev_read(f, a, 0, BUF);
	assert_memory_equal(f->got, f->a, BUF);
	memcpy(f->cpu, f->b, BUF);
	dma_sync_single_for_device(f->dev, a, BUF, DMA_TO_DEVICE);
	dev_read(f, a, 0, BUF);
	assert_memory_equal(f->got, f->b, BUF);
	dma_unmap_phys(f->dev, a, BUF, DMA_TO_DEVICE, 0);

	/* RX ring: the device writes, the CPU takes it, gives it back */
	a = map(f, DMA_FROM_DEVICE);
	dev_write(f, a, 0, f->a, BUF);
	dma_sync_single_for_cpu(f->dev, a, BUF, DMA_FROM_DEVICE);
	assert_memory_equal(f->cpu, f->a, BUF);
	dma_sync_single_for_device(f->dev, a, BUF, DMA_FROM_DEVICE);
	dev_write(f, a, 512, f->b, 1024);
	dma_sync_single_for_cpu(f->dev, a + 512, 1024, DMA_FROM_DEVICE);
	assert_memory_equal(f->cpu + 512, f->b, 1024);
	dma_sync_single_for_device(f->dev, a + 512, 1024, DMA_FROM_DEVICE);
	dma_unmap_phys(f->dev, a, BUF, DMA_FROM_DEVICE, 0);

	/* BIDIRECTIONAL: device reads and writes, the CPU in between */
	memcpy(f->cpu, f->a, BUF);
	a = map(f, DMA_BIDIRECTIONAL);
	dev_read(f, a, 0, BUF);
	assert_memory_equal(f->got, f->a, BUF);
	dev_write(f, a, 0, f->b, 256);
	dma_sync_single_for_cpu(f->dev, a, BUF, DMA_BIDIRECTIONAL);
	assert_memory_equal(f->cpu, f->b, 256);
	memcpy(f->cpu + 256, f->b + 256, 256);
	dma_sync_single_for_device(f->dev, a, BUF, DMA_BIDIRECTIONAL);
	dev_read(f, a, 0, 512);
	assert_memory_equal(f->got, f->b, 512);
	dma_unmap_phys(f->dev, a, BUF, DMA_BIDIRECTIONAL, 0);
	assert_memory_equal(f->cpu, f->b, 512);

	/* a scatterlist of two halves */
	assert_int_equal(sg_alloc_table(&sgt, 2, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, f->pg, BUF / 2, 0);
	sg_set_page(sg_next(sgt.sgl), f->pg, BUF / 2, BUF / 2);
	assert_int_equal(dma_map_sgtable(f->dev, &sgt, DMA_FROM_DEVICE, 0), 0);
	{
		struct scatterlist *sg;
		unsigned int i;
		size_t off = 0;

		for_each_sgtable_dma_sg(&sgt, sg, i) {
			dev_write(f, sg_dma_address(sg), 0, f->a + off,
				  sg_dma_len(sg));
			off += sg_dma_len(sg);
		}
	}
	dma_sync_sgtable_for_cpu(f->dev, &sgt, DMA_FROM_DEVICE);
	assert_memory_equal(f->cpu, f->a, BUF);
	dma_unmap_sgtable(f->dev, &sgt, DMA_FROM_DEVICE, 0);
	sg_free_table(&sgt);

	/* the IOVA API, where there is one: link, sync, use, unlink */
	if (f->translated) {
		struct dma_iova_state st = { 0 };

		memcpy(f->cpu, f->b, BUF);
		assert_true(dma_iova_try_alloc(f->dev, &st, f->phys, BUF));
		assert_int_equal(dma_iova_link(f->dev, &st, f->phys, 0, BUF,
					       DMA_BIDIRECTIONAL, 0), 0);
		assert_int_equal(dma_iova_sync(f->dev, &st, 0, BUF), 0);
		dev_read(f, st.addr, 0, BUF);
		assert_memory_equal(f->got, f->b, BUF);
		dev_write(f, st.addr, 0, f->a, 128);
		dma_iova_destroy(f->dev, &st, BUF, DMA_BIDIRECTIONAL, 0);
		assert_memory_equal(f->cpu, f->a, 128);
	}

	if (sim_report_count(f->m))
		sim_report_dump(f->m, stderr);
	assert_int_equal(sim_report_count(f->m), 0);
	assert_int_equal(sim_iommu_faults(f->m), 0);
}

static void test_correct_driver(void **state)
{
	correct_driver(FX(state));
}

/*
 * Without the check mode a coherent device's writes reach the CPU view at
 * once: the CPU-write check must tell them from the CPU's own.
 */
static void test_correct_driver_check_off(void **state)
{
	struct fx *f = FX(state);

	assert_int_equal(sim_dma_check_set(f->dev, false), 0);
	assert_false(sim_dma_check_enabled(f->dev));
	correct_driver(f);
}

/* ---- the planted bugs --------------------------------------------------- */

/* The device wrote; the CPU reads without dma_sync_single_for_cpu(). */
static void test_missing_sync_for_cpu(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	memcpy(f->cpu, f->a, BUF);
	a = map(f, DMA_FROM_DEVICE);
	dev_write(f, a, 0, f->b, BUF);
	/* BUG: no dma_sync_single_for_cpu() before the CPU looks */
	/*
	 * Stale data on every platform of the list: the device's own view
	 * (check mode), the non-coherent cache, or the bounce slot.
	 */
	assert_memory_equal(f->cpu, f->a, BUF);
	/* the driver recycles the buffer for the next packet */
	dma_sync_single_for_device(f->dev, a, BUF, DMA_FROM_DEVICE);
	assert_true(reported(f->m, "the CPU never took back",
			     "missing dma_sync_single_for_cpu()"));
	dma_unmap_phys(f->dev, a, BUF, DMA_FROM_DEVICE, 0);
}

/* The CPU took the buffer, wrote, and lets the device read it again. */
static void test_missing_sync_for_device(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	memcpy(f->cpu, f->a, BUF);
	a = map(f, DMA_TO_DEVICE);
	dev_read(f, a, 0, BUF);
	dma_sync_single_for_cpu(f->dev, a, BUF, DMA_TO_DEVICE);
	memcpy(f->cpu, f->b, BUF);
	/* BUG: no dma_sync_single_for_device() */
	dev_read(f, a, 0, BUF);
	assert_memory_equal(f->got, f->a, BUF);	/* stale everywhere here */
	/*
	 * The non-coherent machine's own check (dirty lines the device
	 * reads) speaks first there, and names the same call family.
	 */
	if (f->v->noncoherent)
		assert_true(reported(f->m, "has not written back",
				     "missing dma_sync_*_for_device"));
	else
		assert_true(reported(f->m, "while the CPU owns it",
				     "missing dma_sync_single_for_device()"));
	dma_unmap_phys(f->dev, a, BUF, DMA_TO_DEVICE, 0);
}

/* The device touches the buffer after the driver unmapped it. */
static void test_use_after_unmap(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	a = map(f, DMA_TO_DEVICE);
	dma_unmap_phys(f->dev, a, BUF, DMA_TO_DEVICE, 0);
	if (f->translated) {
		/* Strict: the IOMMU refuses it; lazy: the IOTLB was never
		 * filled (no access before the unmap), so it refuses too. */
		assert_int_not_equal(sim_dma_read(f->dev, a, f->got, 64), 0);
		assert_true(reported(f->m, "not mapped", NULL));
		assert_true(sim_iommu_faults(f->m) > 0);
	} else {
		/* No IOMMU: the read lands; dma-debug names it. */
		dev_read(f, a, 0, 64);
		assert_true(reported(f->m, "not mapped for it", NULL));
	}
}

/* The device writes into a buffer mapped DMA_TO_DEVICE. */
static void test_wrong_direction(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	a = map(f, DMA_TO_DEVICE);
	if (f->translated) {
		/* The IOMMU maps it read-only: the write faults. */
		assert_int_not_equal(sim_dma_write(f->dev, a, f->b, 64), 0);
		assert_true(sim_iommu_faults(f->m) > 0);
		assert_true(reported(f->m, "not writable", "DMA_TO_DEVICE"));
	} else {
		dev_write(f, a, 0, f->b, 64);
		assert_true(reported(f->m, "device writes DMA memory mapped with DMA_TO_DEVICE",
				     NULL));
	}
	dma_unmap_phys(f->dev, a, BUF, DMA_TO_DEVICE, 0);
}

/* A sync whose direction is not the mapping's. */
static void test_sync_wrong_direction(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	a = map(f, DMA_TO_DEVICE);
	dma_sync_single_for_cpu(f->dev, a, BUF, DMA_FROM_DEVICE);
	assert_true(reported(f->m, "syncs DMA memory with different direction",
			     "[mapped with DMA_TO_DEVICE] [synced with DMA_FROM_DEVICE]"));
	dma_unmap_phys(f->dev, a, BUF, DMA_TO_DEVICE, 0);
}

/* The driver goes away with a mapping still live. */
static void test_leak_at_unbind(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	a = map(f, DMA_FROM_DEVICE);
	sim_device_unbind(f->dev);
	assert_true(reported(f->m, "pending DMA allocations while released",
			     "DMA_FROM_DEVICE"));
	dma_unmap_phys(f->dev, a, BUF, DMA_FROM_DEVICE, 0);
}

/*
 * The device re-runs a DMA into a buffer after its unmap. In lazy mode the
 * IOTLB still holds the translation until the flush queue drains: the
 * re-run lands, and the stale-IOTLB window is reported. Strict mode
 * invalidated at the unmap (the re-run faults); without an IOMMU there is
 * no IOTLB at all: a stale IOTLB entry cannot exist by nature there, and
 * the re-run is the plain use after unmap that dma-debug names.
 */
static void test_stale_iotlb_rerun(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	a = map(f, DMA_FROM_DEVICE);
	dev_write(f, a, 0, f->a, 64);		/* fills the IOTLB */
	dma_unmap_phys(f->dev, a, BUF, DMA_FROM_DEVICE, 0);
	if (f->lazy) {
		dev_write(f, a, 0, f->b, 64);	/* lands: a stale entry */
		assert_true(reported(f->m, "through a stale IOTLB entry",
				     "lazy mode"));
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	} else if (f->translated) {
		assert_int_not_equal(sim_dma_write(f->dev, a, f->b, 64), 0);
		assert_true(sim_iommu_faults(f->m) > 0);
		assert_false(reported(f->m, "stale IOTLB", NULL));
	} else {
		dev_write(f, a, 0, f->b, 64);
		assert_true(reported(f->m, "not mapped for it", NULL));
		assert_false(reported(f->m, "stale IOTLB", NULL));
	}
}

/* The CPU writes into a receive buffer the device owns. */
static void test_cpu_write_while_device_owns(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	memcpy(f->cpu, f->a, BUF);
	a = map(f, DMA_FROM_DEVICE);
	dev_write(f, a, 0, f->b, 512);
	/* BUG: the CPU writes before taking the buffer back */
	memset(f->cpu + 2048, 0x5a, 256);
	dma_sync_single_for_cpu(f->dev, a, BUF, DMA_FROM_DEVICE);
	assert_memory_equal(f->cpu, f->b, 512);
	assert_true(reported(f->m, "CPU wrote DMA memory while the device owns it",
			     "[changed: 256 bytes from offset 2048]"));
	assert_true(reported(f->m, "lost at dma_sync_single_for_cpu()",
			     "missing dma_sync_single_for_cpu() before the CPU write"));
	/* the write is lost where device data comes back: stale data too */
	assert_memory_equal(f->cpu + 2048, f->a + 2048, 256);
	dma_unmap_phys(f->dev, a, BUF, DMA_FROM_DEVICE, 0);
}

/*
 * A CPU write into a cache line the device also wrote, while the device
 * owns it: which bytes whose are cannot be told, so no CPU-write report
 * (not knowing is not a bug); a line only the CPU wrote is reported.
 */
static void test_cpu_write_in_line_device_wrote(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a;

	memcpy(f->cpu, f->a, BUF);
	a = map(f, DMA_FROM_DEVICE);
	dev_write(f, a, 0, f->b, 8);
	memset(f->cpu + 32, 0x5a, 8);		/* the line the device wrote */
	memset(f->cpu + 1024, 0x5a, 8);		/* a line only the CPU wrote */
	dma_sync_single_for_cpu(f->dev, a, BUF, DMA_FROM_DEVICE);
	assert_true(reported(f->m, "CPU wrote DMA memory while the device owns it",
			     "[changed: 64 bytes from offset 1024]"));
	assert_false(reported(f->m, "CPU wrote DMA memory while the device owns it",
			      "from offset 0]"));
	dma_unmap_phys(f->dev, a, BUF, DMA_FROM_DEVICE, 0);
}

/*
 * A device write recorded for another live mapping just before a second
 * mapping of the same line is made does not hide a CPU write after it.
 */
static void test_cpu_write_after_map_of_written_line(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t a, b;

	memcpy(f->cpu, f->a, BUF);
	a = map(f, DMA_FROM_DEVICE);
	dev_write(f, a, 0, f->b, 64);		/* recorded: a is live */
	b = dma_map_phys(f->dev, f->phys, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(f->dev, b), 0);
	/* BUG: the CPU writes after giving b to the device */
	memset(f->cpu, 0x5a, 8);
	assert_false(reported(f->m, "device read of DMA memory the CPU wrote",
			      NULL));
	dev_read(f, b, 0, 64);
	/* a non-coherent device's cache model sees the line not written back */
	assert_true(reported(f->m,
			     "device read of DMA memory the CPU wrote after giving it to the device",
			     "missing dma_sync_single_for_device()") ||
		    (f->v == &variant_direct_noncoherent &&
		     reported(f->m, "device reads memory the CPU has not written back",
			      NULL)));
	dma_unmap_phys(f->dev, b, 64, DMA_TO_DEVICE, 0);
	dma_sync_single_for_cpu(f->dev, a, BUF, DMA_FROM_DEVICE);
	dma_unmap_phys(f->dev, a, BUF, DMA_FROM_DEVICE, 0);
}

int main(void)
{
	static const struct variant_test tests[] = {
		VARIANT_TEST(test_correct_driver),
		VARIANT_TEST(test_correct_driver_check_off),
		VARIANT_TEST(test_missing_sync_for_cpu),
		VARIANT_TEST(test_missing_sync_for_device),
		VARIANT_TEST(test_use_after_unmap),
		VARIANT_TEST(test_wrong_direction),
		VARIANT_TEST(test_sync_wrong_direction),
		VARIANT_TEST(test_leak_at_unbind),
		VARIANT_TEST(test_stale_iotlb_rerun),
		VARIANT_TEST(test_cpu_write_while_device_owns),
		VARIANT_TEST(test_cpu_write_after_map_of_written_line),
		VARIANT_TEST(test_cpu_write_in_line_device_wrote),
	};

	return variant_run_groups("planted", VARIANT_TESTS(tests),
				  VARIANTS(variants_planted), setup, teardown);
}
