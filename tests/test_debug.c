// SPDX-License-Identifier: MIT
/*
 * dma-debug: every check with the kernel's message text, the device-access
 * checks only a simulator can make, the entry count and the debugfs dump
 * format, and that nothing is reported while dma-debug is off.
 */
#include <stdarg.h>
#include <stdint.h>
#include "api_scenario.h"
#include "failnth.h"
#include "variants.h"

struct fixture {
	struct sim_machine *m;
	struct device *dev, *dev1;
	struct page *pg;	/* 4 pages, above 4G */
	phys_addr_t phys;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->m = api_machine_new(&variant_direct);
	f->dev = sim_device(f->m, "dev0");
	f->dev1 = sim_device(f->m, "dev1");
	f->pg = sim_alloc_pages_range(f->m, 2, SZ_4G, ~0ULL);
	if (!f->pg)
		return -1;
	f->phys = page_to_phys(f->pg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sim_free_pages(f->m, f->pg, 2);
	/* the tests provoke dma-debug errors and BUGs: those are theirs */
	return fixture_teardown(f, f->m, TD_IOMMU_FAULT, 0, 0);
}

/* Assert a dma-debug report whose text contains the formatted needle,
 * prefixed as the kernel's err_printk does: "DMA-API: <drv> <dev>: ". */
static void __attribute__((format(printf, 3, 4)))
expect_report(struct sim_machine *m, struct device *dev, const char *fmt, ...)
{
	char msg[320], needle[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(needle, sizeof(needle), "DMA-API: %s %s: %s",
		 dev_driver_string(dev), dev_name(dev), msg);
	if (!sim_report_find(m, SIM_REPORT_DMA_DEBUG, needle)) {
		sim_report_dump(m, stderr);
		fail_msg("no dma-debug report containing '%s'", needle);
	}
}

/* A dma-debug report containing @needle anywhere. */
static void expect_text(struct sim_machine *m, const char *needle)
{
	if (!sim_report_find(m, SIM_REPORT_DMA_DEBUG, needle)) {
		sim_report_dump(m, stderr);
		fail_msg("no dma-debug report containing '%s'", needle);
	}
}

#define ERRS(m)	sim_dma_debug_errors(m)

/* ------------------------------------------------------------------------ */
/* unmap checks                                                             */
/* ------------------------------------------------------------------------ */

static void test_unmap_unknown_and_invalid(void **state)
{
	struct fixture *f = *state;

	assert_true(sim_dma_debug_enabled(f->m));
	dma_unmap_phys(f->dev, f->phys + 0x40, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 1);
	expect_report(f->m, f->dev,
		      "device driver tries to free DMA memory it has not allocated [device address=0x%016llx] [size=512 bytes]",
		      (unsigned long long)f->phys + 0x40);

	dma_unmap_phys(f->dev, DMA_MAPPING_ERROR, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 2);
	expect_report(f->m, f->dev,
		      "device driver tries to free an invalid DMA memory address");

	/* An address another device mapped is unknown to this one. */
	{
		dma_addr_t a = map_phys_ok(f->dev1, f->phys, 64, DMA_TO_DEVICE, 0);

		dma_unmap_phys(f->dev, a, 64, DMA_TO_DEVICE, 0);
		assert_int_equal(ERRS(f->m), 3);
		assert_int_equal(sim_dma_debug_entries(f->m, f->dev1), 1);
		dma_unmap_phys(f->dev1, a, 64, DMA_TO_DEVICE, 0);
		assert_int_equal(ERRS(f->m), 3);
	}
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_unmap_size_and_direction_mismatch(void **state)
{
	struct fixture *f = *state;
	dma_addr_t a;

	a = map_phys_ok(f->dev, f->phys, 4096, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 2048, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 1);
	expect_report(f->m, f->dev,
		      "device driver frees DMA memory with different size [device address=0x%016llx] [map size=4096 bytes] [unmap size=2048 bytes]",
		      (unsigned long long)a);

	a = map_phys_ok(f->dev, f->phys, 4096, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 4096, DMA_FROM_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 2);
	expect_report(f->m, f->dev,
		      "device driver frees DMA memory with different direction [device address=0x%016llx] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_FROM_DEVICE]",
		      (unsigned long long)a);

	/* Both at once: two reports, the entry is gone either way. */
	a = map_phys_ok(f->dev, f->phys, 100, DMA_BIDIRECTIONAL, 0);
	dma_unmap_phys(f->dev, a, 99, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 4);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);

	/* A correct pair reports nothing. */
	a = map_phys_ok(f->dev, f->phys + 8, 100, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 100, DMA_FROM_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 4);
}

static void test_unmap_wrong_function(void **state)
{
	struct fixture *f = *state;
	struct scatterlist sg;
	dma_addr_t a, h;
	struct page *pg;
	void *c;

	/* map_phys, unmap_sg */
	a = map_phys_ok(f->dev, f->phys, 256, DMA_TO_DEVICE, 0);
	sg_init_one(&sg, f->pg, 256, 0);
	sg.dma_address = a;
	sg.dma_length = 256;
	dma_unmap_sg(f->dev, &sg, 1, DMA_TO_DEVICE);
	expect_report(f->m, f->dev,
		      "device driver frees DMA memory with wrong function [device address=0x%016llx] [size=256 bytes] [mapped as phy] [unmapped as scatter-gather]",
		      (unsigned long long)a);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);

	/* map_sg, unmap_phys */
	assert_int_equal(dma_map_sg(f->dev, &sg, 1, DMA_FROM_DEVICE), 1);
	dma_unmap_phys(f->dev, sg_dma_address(&sg), 256, DMA_FROM_DEVICE, 0);
	expect_text(f->m, "[mapped as scatter-gather] [unmapped as phy]");

	/* map_phys, free_coherent (which then frees the page) */
	pg = sim_alloc_pages(f->m, 0);
	assert_non_null(pg);
	a = map_phys_ok(f->dev, page_to_phys(pg), 4096, DMA_BIDIRECTIONAL, 0);
	dma_free_coherent(f->dev, 4096, page_address(pg), a);
	expect_report(f->m, f->dev,
		      "device driver frees DMA memory with wrong function [device address=0x%016llx] [size=4096 bytes] [mapped as phy] [unmapped as coherent]",
		      (unsigned long long)a);

	/* alloc_coherent, unmap_phys */
	c = dma_alloc_coherent(f->dev, 4096, &h, GFP_KERNEL);
	assert_non_null(c);
	dma_unmap_phys(f->dev, h, 4096, DMA_BIDIRECTIONAL, 0);
	expect_text(f->m, "[mapped as coherent] [unmapped as phy]");
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	/* ...and the free that follows no longer finds it */
	dma_free_coherent(f->dev, 4096, c, h);
	expect_report(f->m, f->dev,
		      "device driver tries to free DMA memory it has not allocated [device address=0x%016llx] [size=4096 bytes]",
		      (unsigned long long)h);
	assert_int_equal(sim_ram_pages_allocated(f->m), 4);
}

static void test_map_error_check(void **state)
{
	struct fixture *f = *state;
	dma_addr_t a;

	a = dma_map_phys(f->dev, f->phys, 512, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 1);
	expect_report(f->m, f->dev,
		      "device driver failed to check map error[device address=0x%016llx] [size=512 bytes] [mapped as phy]",
		      (unsigned long long)a);

	/* Checked: silence. */
	a = dma_map_phys(f->dev, f->phys, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(f->dev, a), 0);
	dma_unmap_phys(f->dev, a, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 1);

	/* Checking another device's handle does not count. */
	a = dma_map_phys(f->dev, f->phys, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(f->dev1, a), 0);
	dma_unmap_phys(f->dev, a, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 2);

	/* Scatterlists are not subject to the check. */
	{
		struct scatterlist sg;

		sg_init_one(&sg, f->pg, 512, 0);
		assert_int_equal(dma_map_sg(f->dev, &sg, 1, DMA_TO_DEVICE), 1);
		dma_unmap_sg(f->dev, &sg, 1, DMA_TO_DEVICE);
		assert_int_equal(ERRS(f->m), 2);
	}
	/* A failed mapping leaves no entry to check. */
	assert_int_equal(dma_mapping_error(f->dev, DMA_MAPPING_ERROR), -ENOMEM);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(ERRS(f->m), 2);
}

static void test_sg_entry_count_mismatch(void **state)
{
	struct fixture *f = *state;
	struct sg_table sgt;
	struct scatterlist *sg;
	unsigned int i;

	assert_int_equal(sg_alloc_table(&sgt, 3, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i)
		sg_set_page(sg, f->pg + i, 1024, 0);
	assert_int_equal(dma_map_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 3);

	dma_sync_sg_for_cpu(f->dev, sgt.sgl, 2, DMA_TO_DEVICE);
	expect_report(f->m, f->dev,
		      "device driver syncs DMA sg list with different entry count [map count=3] [sync count=2]");
	assert_int_equal(ERRS(f->m), 2);	/* once per synced entry */

	dma_unmap_sg(f->dev, sgt.sgl, 2, DMA_TO_DEVICE);
	expect_report(f->m, f->dev,
		      "device driver frees DMA sg list with different entry count [map count=3] [unmap count=2]");
	assert_int_equal(ERRS(f->m), 4);
	/* The third entry is still there (and would be a leak). */
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);
	sim_device_unbind(f->dev);
	expect_report(f->m, f->dev,
		      "device driver has pending DMA allocations while released from device [count=1]");
	/* Unmapped on its own: reported again, and gone. */
	dma_unmap_sg(f->dev, sg_next(sg_next(sgt.sgl)), 1, DMA_TO_DEVICE);
	assert_true(ERRS(f->m) > 5);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	sg_free_table(&sgt);
}

/* ------------------------------------------------------------------------ */
/* sync checks                                                              */
/* ------------------------------------------------------------------------ */

static void test_sync_checks(void **state)
{
	struct fixture *f = *state;
	dma_addr_t a;

	/* never mapped */
	dma_sync_single_for_cpu(f->dev, f->phys, 64, DMA_FROM_DEVICE);
	assert_int_equal(ERRS(f->m), 1);
	expect_report(f->m, f->dev,
		      "device driver tries to sync DMA memory it has not allocated [device address=0x%016llx] [size=64 bytes]",
		      (unsigned long long)f->phys);

	a = map_phys_ok(f->dev, f->phys, 4096, DMA_FROM_DEVICE, 0);
	/* inside the mapping, right direction: fine */
	dma_sync_single_for_cpu(f->dev, a + 1024, 1024, DMA_FROM_DEVICE);
	dma_sync_single_for_device(f->dev, a, 4096, DMA_FROM_DEVICE);
	assert_int_equal(ERRS(f->m), 1);

	/* running past the end is not contained in any mapping */
	dma_sync_single_for_cpu(f->dev, a + 2048, 4096, DMA_FROM_DEVICE);
	assert_int_equal(ERRS(f->m), 2);
	expect_report(f->m, f->dev,
		      "device driver tries to sync DMA memory it has not allocated [device address=0x%016llx] [size=4096 bytes]",
		      (unsigned long long)a + 2048);

	/* A size so large that address+size wraps still "contains" the
	 * start, and is then found to be larger than the mapping. */
	{
		size_t huge = (size_t)(0 - a) + 100;

		dma_sync_single_for_cpu(f->dev, a, huge, DMA_FROM_DEVICE);
		assert_int_equal(ERRS(f->m), 3);
		expect_report(f->m, f->dev,
			      "device driver syncs DMA memory outside allocated range [device address=0x%016llx] [allocation size=4096 bytes] [sync offset+size=%zu]",
			      (unsigned long long)a, huge);
	}

	/* wrong direction for cpu on a FROM_DEVICE mapping */
	dma_sync_single_for_cpu(f->dev, a, 4096, DMA_BIDIRECTIONAL);
	expect_report(f->m, f->dev,
		      "device driver syncs DMA memory with different direction [device address=0x%016llx] [size=4096 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_BIDIRECTIONAL]",
		      (unsigned long long)a);
	assert_int_equal(ERRS(f->m), 4);

	/* device write-only memory synced to the device as TO_DEVICE */
	dma_sync_single_for_device(f->dev, a, 4096, DMA_TO_DEVICE);
	assert_int_equal(ERRS(f->m), 6);
	expect_text(f->m, "[mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]");
	expect_report(f->m, f->dev,
		      "device driver syncs device write-only DMA memory to device [device address=0x%016llx] [size=4096 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]",
		      (unsigned long long)a);
	dma_unmap_phys(f->dev, a, 4096, DMA_FROM_DEVICE, 0);

	/* device read-only memory synced for the cpu as FROM_DEVICE */
	a = map_phys_ok(f->dev, f->phys, 4096, DMA_TO_DEVICE, 0);
	dma_sync_single_for_cpu(f->dev, a, 4096, DMA_FROM_DEVICE);
	assert_int_equal(ERRS(f->m), 8);
	expect_report(f->m, f->dev,
		      "device driver syncs device read-only DMA memory for cpu [device address=0x%016llx] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [synced with DMA_FROM_DEVICE]",
		      (unsigned long long)a);
	/* the same direction as mapped is fine both ways */
	dma_sync_single_for_cpu(f->dev, a, 4096, DMA_TO_DEVICE);
	dma_sync_single_for_device(f->dev, a, 4096, DMA_TO_DEVICE);
	assert_int_equal(ERRS(f->m), 8);
	dma_unmap_phys(f->dev, a, 4096, DMA_TO_DEVICE, 0);

	/* BIDIRECTIONAL mappings accept any direction */
	a = map_phys_ok(f->dev, f->phys, 4096, DMA_BIDIRECTIONAL, 0);
	dma_sync_single_for_cpu(f->dev, a, 4096, DMA_FROM_DEVICE);
	dma_sync_single_for_device(f->dev, a, 4096, DMA_TO_DEVICE);
	assert_int_equal(ERRS(f->m), 8);
	dma_unmap_phys(f->dev, a, 4096, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(ERRS(f->m), 8);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

/* ------------------------------------------------------------------------ */
/* leaks and overlaps                                                       */
/* ------------------------------------------------------------------------ */

static void test_leaks_at_unbind(void **state)
{
	struct fixture *f = *state;
	dma_addr_t a, b;

	sim_device_unbind(f->dev);	/* nothing pending: silence */
	assert_int_equal(ERRS(f->m), 0);

	a = map_phys_ok(f->dev, f->phys, 4096, DMA_TO_DEVICE, 0);
	b = map_phys_ok(f->dev, f->phys + 4096, 4096, DMA_TO_DEVICE, 0);
	sim_device_unbind(f->dev1);	/* not dev1's */
	assert_int_equal(ERRS(f->m), 0);
	sim_device_unbind(f->dev);
	assert_int_equal(ERRS(f->m), 1);
	expect_report(f->m, f->dev,
		      "device driver has pending DMA allocations while released from device [count=2] One of leaked entries details: [device address=0x");
	expect_text(f->m, "[size=4096 bytes] [mapped with DMA_TO_DEVICE] [mapped as phy]");
	dma_unmap_phys(f->dev, a, 4096, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, b, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 1);
	sim_device_unbind(f->dev);
	assert_int_equal(ERRS(f->m), 1);
}

static void test_cacheline_overlap(void **state)
{
	struct fixture *f = *state;
	phys_addr_t bar = pci_resource_start(to_pci_dev(sim_device(f->m, "peer")), 0);
	unsigned long warns;
	dma_addr_t a, b, r1, r2, many[9];

	/* Two FROM_DEVICE mappings starting in one cache line. */
	a = map_phys_ok(f->dev, f->phys, 16, DMA_FROM_DEVICE, 0);
	b = map_phys_ok(f->dev, f->phys + 16, 16, DMA_FROM_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 1);
	expect_report(f->m, f->dev,
		      "cacheline tracking EEXIST, overlapping mappings aren't supported");
	dma_unmap_phys(f->dev, b, 16, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 16, DMA_FROM_DEVICE, 0);
	/* BIDIRECTIONAL counts as device-writable too */
	a = map_phys_ok(f->dev, f->phys, 16, DMA_BIDIRECTIONAL, 0);
	b = map_phys_ok(f->dev, f->phys + 48, 16, DMA_FROM_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 2);
	dma_unmap_phys(f->dev, b, 16, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 16, DMA_BIDIRECTIONAL, 0);
	/* after both are gone the line is free again */
	a = map_phys_ok(f->dev, f->phys, 16, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 16, DMA_FROM_DEVICE, 0);
	/* the next line is a different line */
	a = map_phys_ok(f->dev, f->phys, 64, DMA_FROM_DEVICE, 0);
	b = map_phys_ok(f->dev, f->phys + 64, 64, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, b, 64, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 64, DMA_FROM_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 2);

	/* TO_DEVICE overlaps are legitimate. */
	a = map_phys_ok(f->dev, f->phys, 16, DMA_TO_DEVICE, 0);
	b = map_phys_ok(f->dev, f->phys + 16, 16, DMA_TO_DEVICE, 0);
	r1 = map_phys_ok(f->dev, f->phys + 32, 16, DMA_FROM_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 2);
	dma_unmap_phys(f->dev, r1, 16, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, b, 16, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 16, DMA_TO_DEVICE, 0);

	/* DMA_ATTR_SKIP_CPU_SYNC: the driver manages the cache itself. */
	a = map_phys_ok(f->dev, f->phys, 16, DMA_FROM_DEVICE, 0);
	b = map_phys_ok(f->dev, f->phys + 16, 16, DMA_FROM_DEVICE,
			DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(ERRS(f->m), 2);
	dma_unmap_phys(f->dev, b, 16, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	dma_unmap_phys(f->dev, a, 16, DMA_FROM_DEVICE, 0);

	/* MMIO has no cache lines: mapping a BAR twice is fine. */
	r1 = dma_map_resource(f->dev, bar, 4096, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(f->dev, r1));
	r2 = dma_map_resource(f->dev, bar + 8, 64, DMA_FROM_DEVICE, 0);
	assert_false(dma_mapping_error(f->dev, r2));
	assert_int_equal(ERRS(f->m), 2);
	dma_unmap_resource(f->dev, r2, 64, DMA_FROM_DEVICE, 0);
	dma_unmap_resource(f->dev, r1, 4096, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(ERRS(f->m), 2);

	/* More than 7 overlaps of one line is a leak warning. */
	warns = sim_report_count_kind(f->m, SIM_REPORT_WARN);
	for (int i = 0; i < 9; i++)
		many[i] = map_phys_ok(f->dev, f->phys + 4 * (phys_addr_t)i, 4,
				      DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "exceeded 7 overlapping mappings of cacheline"));
	for (int i = 0; i < 9; i++)
		dma_unmap_phys(f->dev, many[i], 4, DMA_FROM_DEVICE,
			       DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(ERRS(f->m), 2);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	/* and the line is tracked from scratch afterwards */
	a = map_phys_ok(f->dev, f->phys, 16, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 16, DMA_FROM_DEVICE, 0);
	assert_int_equal(ERRS(f->m), 2);
}

/* ------------------------------------------------------------------------ */
/* device-access checks                                                     */
/* ------------------------------------------------------------------------ */

static void test_device_access_checks(void **state)
{
	struct fixture *f = *state;
	phys_addr_t bar = pci_resource_start(to_pci_dev(sim_device(f->m, "peer")), 0);
	u8 buf[8192] = { 0 };
	dma_addr_t to, from, bi, a, b;

	/* nothing mapped */
	assert_int_equal(sim_dma_read(f->dev, f->phys, buf, 64), 0);
	assert_int_equal(ERRS(f->m), 1);
	expect_report(f->m, f->dev,
		      "device reads DMA memory that is not mapped for it [device address=0x%016llx] [size=64 bytes]",
		      (unsigned long long)f->phys);
	assert_int_equal(sim_dma_write(f->dev, f->phys + 4096, buf, 8), 0);
	expect_report(f->m, f->dev,
		      "device writes DMA memory that is not mapped for it [device address=0x%016llx] [size=8 bytes]",
		      (unsigned long long)f->phys + 4096);
	assert_int_equal(ERRS(f->m), 2);

	to = map_phys_ok(f->dev, f->phys, 1024, DMA_TO_DEVICE, 0);
	from = map_phys_ok(f->dev, f->phys + 4096, 1024, DMA_FROM_DEVICE, 0);
	bi = map_phys_ok(f->dev, f->phys + 8192, 1024, DMA_BIDIRECTIONAL, 0);

	/* allowed directions */
	assert_int_equal(sim_dma_read(f->dev, to, buf, 1024), 0);
	assert_int_equal(sim_dma_write(f->dev, from, buf, 1024), 0);
	assert_int_equal(sim_dma_read(f->dev, bi + 10, buf, 100), 0);
	assert_int_equal(sim_dma_write(f->dev, bi, buf, 1024), 0);
	assert_int_equal(ERRS(f->m), 2);

	/* against the direction */
	assert_int_equal(sim_dma_write(f->dev, to + 64, buf, 32), 0);
	expect_report(f->m, f->dev,
		      "device writes DMA memory mapped with DMA_TO_DEVICE [device address=0x%016llx] [size=32 bytes]",
		      (unsigned long long)to + 64);
	assert_int_equal(sim_dma_read(f->dev, from, buf, 16), 0);
	expect_report(f->m, f->dev,
		      "device reads DMA memory mapped with DMA_FROM_DEVICE [device address=0x%016llx] [size=16 bytes]",
		      (unsigned long long)from);
	assert_int_equal(ERRS(f->m), 4);

	/* past the end of a mapping */
	assert_int_equal(sim_dma_read(f->dev, to + 1000, buf, 48), 0);
	expect_report(f->m, f->dev,
		      "device reads DMA memory that is not mapped for it [device address=0x%016llx] [size=24 bytes]",
		      (unsigned long long)to + 1024);
	assert_int_equal(ERRS(f->m), 5);

	/* another device's mapping is not mapped for this one */
	assert_int_equal(sim_dma_read(f->dev1, to, buf, 16), 0);
	expect_report(f->m, f->dev1,
		      "device reads DMA memory that is not mapped for it");
	assert_int_equal(ERRS(f->m), 6);

	/* two adjacent mappings cover one access */
	a = map_phys_ok(f->dev, f->phys + 12288, 2048, DMA_TO_DEVICE, 0);
	b = map_phys_ok(f->dev, f->phys + 12288 + 2048, 2048, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_read(f->dev, a, buf, 4096), 0);
	assert_int_equal(ERRS(f->m), 6);
	dma_unmap_phys(f->dev, b, 2048, DMA_BIDIRECTIONAL, 0);
	dma_unmap_phys(f->dev, a, 2048, DMA_TO_DEVICE, 0);

	/* after unmap, the memory is no longer the device's */
	dma_unmap_phys(f->dev, to, 1024, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_read(f->dev, to, buf, 16), 0);
	assert_int_equal(ERRS(f->m), 7);

	/* a peer's BAR reached without a mapping */
	assert_int_equal(sim_dma_read(f->dev, bar, buf, 16), 0);
	assert_int_equal(ERRS(f->m), 8);
	a = dma_map_resource(f->dev, bar, 4096, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(f->dev, a));
	assert_int_equal(sim_dma_read(f->dev, a, buf, 16), 0);
	assert_int_equal(sim_dma_write(f->dev, a, buf, 16), 0);
	expect_report(f->m, f->dev, "device writes DMA memory mapped with DMA_TO_DEVICE");
	assert_int_equal(ERRS(f->m), 9);
	dma_unmap_resource(f->dev, a, 4096, DMA_TO_DEVICE, 0);

	/* coherent memory is mapped both ways */
	{
		dma_addr_t h;
		void *c = dma_alloc_coherent(f->dev, 8192, &h, GFP_KERNEL);

		assert_non_null(c);
		assert_int_equal(sim_dma_write(f->dev, h, buf, 8192), 0);
		assert_int_equal(sim_dma_read(f->dev, h + 4000, buf, 100), 0);
		assert_int_equal(ERRS(f->m), 9);
		dma_free_coherent(f->dev, 8192, c, h);
	}
	dma_unmap_phys(f->dev, from, 1024, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev, bi, 1024, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(ERRS(f->m), 9);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_noncoherent_not_written_back(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 0);
	u8 *cpu = page_address(pg);
	u8 buf[256];
	dma_addr_t a;

	assert_non_null(pg);
	fill_pattern(cpu, 256, 1);
	a = map_phys_ok(dev, page_to_phys(pg), 256, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_read(dev, a, buf, 256), 0);
	assert_int_equal(ERRS(m), 0);

	cpu[100] ^= 0xff;	/* dirty one line after the map */
	assert_int_equal(sim_dma_read(dev, a, buf, 64), 0);	/* other line */
	assert_int_equal(ERRS(m), 0);
	assert_int_equal(sim_dma_read(dev, a, buf, 256), 0);
	assert_int_equal(ERRS(m), 1);
	expect_report(m, dev,
		      "device reads memory the CPU has not written back [device address=0x%016llx] [size=256 bytes]",
		      (unsigned long long)a);
	dma_sync_single_for_device(dev, a, 256, DMA_TO_DEVICE);
	assert_int_equal(sim_dma_read(dev, a, buf, 256), 0);
	assert_int_equal(ERRS(m), 1);
	assert_int_equal(buf[100], cpu[100]);
	dma_unmap_phys(dev, a, 256, DMA_TO_DEVICE, 0);

	/* dma_map_single of the uncached alias (a remapped address) is
	 * refused with the kernel's WARN, before dma-debug sees it. */
	{
		dma_addr_t h;
		void *c = dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL);

		assert_non_null(c);
		assert_ptr_not_equal(c, sim_phys_to_virt(m, dma_to_phys(dev, h)));
		a = dma_map_single(dev, c, 64, DMA_TO_DEVICE);
		assert_int_equal(a, DMA_MAPPING_ERROR);
		assert_true(sim_report_find(m, SIM_REPORT_WARN,
					    "rejecting DMA map of vmalloc memory"));
		assert_int_equal(ERRS(m), 1);
		dma_free_coherent(dev, 4096, c, h);
	}
	assert_int_equal(ERRS(m), 1);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

static void test_map_resource_ram_and_invalid_area(void **state)
{
	struct fixture *f = *state;
	int local;
	dma_addr_t a;

	a = dma_map_resource(f->dev, f->phys, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	expect_report(f->m, f->dev,
		      "dma_map_resource called for RAM address 0x%016llx",
		      (unsigned long long)f->phys);
	a = dma_map_single(f->dev, &local, sizeof(local), DMA_TO_DEVICE);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	expect_report(f->m, f->dev,
		      "device driver maps memory from invalid area [addr=%p] [len=%zu]",
		      (void *)&local, sizeof(local));
	assert_int_equal(ERRS(f->m), 2);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

/* ------------------------------------------------------------------------ */
/* entries and the dump                                                     */
/* ------------------------------------------------------------------------ */

static char *dump_to_string(struct sim_machine *m, struct device *dev)
{
	FILE *fp = tmpfile();
	long len;
	char *s;

	assert_non_null(fp);
	sim_dma_debug_dump(m, dev, fp);
	fflush(fp);
	len = ftell(fp);
	s = calloc(1, (size_t)len + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	return s;
}

static void expect_line(const char *dump, struct device *dev,
			const char *type, phys_addr_t p, dma_addr_t d, u64 len,
			const char *dir, const char *maperr)
{
	char line[400];

	snprintf(line, sizeof(line),
		 "%s %s %s idx %llu P=0x%016llx D=%llx L=%llx cln=0x%016llx %s %s\n",
		 dev_driver_string(dev), dev_name(dev), type,
		 (unsigned long long)((d >> 13) & 16383),
		 (unsigned long long)p, (unsigned long long)d,
		 (unsigned long long)len, (unsigned long long)(p >> 6), dir,
		 maperr);
	if (!strstr(dump, line))
		fail_msg("dump lacks line '%s' in:\n%s", line, dump);
}

static void test_entries_and_dump(void **state)
{
	struct fixture *f = *state;
	struct scatterlist sg[2];
	dma_addr_t a, b, c1, h;
	void *cpu;
	char *out;

	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	a = dma_map_phys(f->dev, f->phys + 0x40, 0x100, DMA_TO_DEVICE, 0);
	b = map_phys_ok(f->dev, f->phys + 0x1000, 0x2000, DMA_FROM_DEVICE, 0);
	c1 = map_phys_ok(f->dev1, f->phys + 0x3000, 0x80, DMA_BIDIRECTIONAL, 0);
	cpu = dma_alloc_coherent(f->dev, 4096, &h, GFP_KERNEL);
	assert_non_null(cpu);
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], f->pg, 512, 0x200);
	sg_set_page(&sg[1], f->pg + 2, 256, 0x800);
	assert_int_equal(dma_map_sg(f->dev, sg, 2, DMA_TO_DEVICE), 2);

	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 6);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 5);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev1), 1);

	out = dump_to_string(f->m, f->dev);
	assert_int_equal(count_lines(out), 5);
	assert_string_equal(strstr(out, "pcidev"), out);
	expect_line(out, f->dev, "phy", f->phys + 0x40, a, 0x100,
		    "DMA_TO_DEVICE", "dma map error not checked");
	expect_line(out, f->dev, "phy", f->phys + 0x1000, b, 0x2000,
		    "DMA_FROM_DEVICE", "dma map error checked");
	expect_line(out, f->dev, "coherent", dma_to_phys(f->dev, h), h, 4096,
		    "DMA_BIDIRECTIONAL", "dma map error check not applicable");
	expect_line(out, f->dev, "scatter-gather", f->phys + 0x200,
		    sg_dma_address(&sg[0]), 512, "DMA_TO_DEVICE",
		    "dma map error check not applicable");
	expect_line(out, f->dev, "scatter-gather", f->phys + 0x2800,
		    sg_dma_address(&sg[1]), 256, "DMA_TO_DEVICE",
		    "dma map error check not applicable");
	assert_null(strstr(out, dev_name(f->dev1)));
	free(out);

	out = dump_to_string(f->m, NULL);
	assert_int_equal(count_lines(out), 6);
	expect_line(out, f->dev1, "phy", f->phys + 0x3000, c1, 0x80,
		    "DMA_BIDIRECTIONAL", "dma map error checked");
	free(out);

	assert_int_equal(dma_mapping_error(f->dev, a), 0);
	dma_unmap_sg(f->dev, sg, 2, DMA_TO_DEVICE);
	dma_free_coherent(f->dev, 4096, cpu, h);
	dma_unmap_phys(f->dev, a, 0x100, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, b, 0x2000, DMA_FROM_DEVICE, 0);
	dma_unmap_phys(f->dev1, c1, 0x80, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	out = dump_to_string(f->m, NULL);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(ERRS(f->m), 0);
}

/* ------------------------------------------------------------------------ */
/* dma-debug off                                                            */
/* ------------------------------------------------------------------------ */

/*
 * With dma-debug on this is 13 reports: unknown unmap, invalid unmap,
 * unknown sync, EEXIST, read of a FROM_DEVICE mapping, read of unmapped
 * memory, pending at unbind, sync direction + write-only, unmap size +
 * direction + unchecked, and unchecked again.
 */
static void misuse_everything(struct sim_machine *m, struct device *dev,
			      phys_addr_t phys)
{
	u8 buf[64] = { 0 };
	dma_addr_t a, b;

	dma_unmap_phys(dev, phys, 64, DMA_TO_DEVICE, 0);
	dma_unmap_phys(dev, DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE, 0);
	dma_sync_single_for_cpu(dev, phys + 4096, 64, DMA_FROM_DEVICE);
	a = dma_map_phys(dev, phys, 64, DMA_FROM_DEVICE, 0);
	b = dma_map_phys(dev, phys + 8, 64, DMA_FROM_DEVICE, 0);
	assert_true(a != DMA_MAPPING_ERROR && b != DMA_MAPPING_ERROR);
	sim_dma_read(dev, a, buf, sizeof(buf));
	sim_dma_read(dev, phys + 8192, buf, sizeof(buf));
	sim_device_unbind(dev);
	dma_sync_single_for_device(dev, a, 64, DMA_TO_DEVICE);
	dma_unmap_phys(dev, a, 32, DMA_TO_DEVICE, 0);
	dma_unmap_phys(dev, b, 64, DMA_FROM_DEVICE, 0);
}

static void test_debug_off(void **state)
{
	struct sim_machine_opts opts = { .dma_debug_off = true };
	char err[256] = "", text[2048];
	struct sim_machine *m;
	struct device *dev;
	struct page *pg;
	dma_addr_t a;

	variant_platform(text, sizeof(text), &variant_direct,
			 &variant_api_machine);
	m = sim_machine_parse_opts(text, &opts, err, sizeof(err));
	assert_non_null(m);
	dev = sim_device(m, "dev0");
	pg = sim_alloc_pages(m, 2);
	assert_non_null(pg);
	assert_false(sim_dma_debug_enabled(m));

	misuse_everything(m, dev, page_to_phys(pg));
	assert_int_equal(ERRS(m), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	/* RAM through dma_map_resource is not even checked */
	a = dma_map_resource(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	assert_int_equal(a, page_to_phys(pg));
	dma_unmap_resource(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(m), 0);

	/* Switched on at run time, the same misuse is counted. */
	sim_dma_debug_enable(m, true);
	assert_true(sim_dma_debug_enabled(m));
	misuse_everything(m, dev, page_to_phys(pg));
	assert_int_equal(ERRS(m), 13);
	assert_int_equal(ERRS(m), sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG));
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);

	/* and switched off again, nothing more */
	{
		unsigned long before = ERRS(m);

		sim_dma_debug_enable(m, false);
		misuse_everything(m, dev, page_to_phys(pg));
		assert_int_equal(ERRS(m), before);
	}
	sim_free_pages(m, pg, 2);
	sim_machine_destroy(m);
}

static void test_errors_count_reports(void **state)
{
	struct fixture *f = *state;
	unsigned long n = 0;

	for (int i = 0; i < 5; i++) {
		dma_unmap_phys(f->dev, f->phys + (phys_addr_t)i * 64, 64,
			       DMA_TO_DEVICE, 0);
		n++;
		assert_int_equal(ERRS(f->m), n);
	}
	/* sim_report_clear empties the log, not the counter */
	sim_report_clear(f->m);
	assert_int_equal(sim_report_count(f->m), 0);
	assert_int_equal(ERRS(f->m), n);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_DEBUG), n);
	/* each report names the device */
	dma_unmap_phys(f->dev1, f->phys, 64, DMA_TO_DEVICE, 0);
	{
		struct sim_report r;

		assert_int_equal(sim_report_count(f->m), 1);
		assert_int_equal(sim_report_get(f->m, 0, &r), 0);
		assert_int_equal(r.kind, SIM_REPORT_DMA_DEBUG);
		assert_string_equal(r.device, dev_name(f->dev1));
	}
	assert_int_equal(ERRS(f->m), n + 1);
}

/*
 * The same address mapped twice (drivers do it; so does the window between
 * one CPU's unmap and another's map of a just-released bounce slot): unmap
 * must remove the older entry first, and a device access covered by either
 * mapping is legitimate even though best-fit lookup cannot choose.
 */
static void test_same_address_mapped_twice(void **state)
{
	struct fixture *f = *state;
	unsigned long n = ERRS(f->m);
	u8 buf[256];
	dma_addr_t a1, a2;

	a1 = dma_map_phys(f->dev, f->phys, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(f->dev, a1), 0);
	a2 = dma_map_phys(f->dev, f->phys, 2048, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(f->dev, a2), 0);
	assert_int_equal(a1, a2);
	assert_int_equal(sim_dma_read(f->dev, a1 + 100, buf, sizeof(buf)), 0);
	assert_int_equal(sim_dma_read(f->dev, a1 + 3000, buf, sizeof(buf)), 0);
	assert_int_equal(ERRS(f->m), n);
	/* each unmap finds its own entry by size: no mismatch reports */
	dma_unmap_phys(f->dev, a2, 2048, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), n);
	assert_int_equal(sim_dma_read(f->dev, a1 + 3000, buf, sizeof(buf)), 0);
	assert_int_equal(ERRS(f->m), n);
	dma_unmap_phys(f->dev, a1, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(ERRS(f->m), n);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 0);
	/* now nothing covers it */
	assert_int_equal(sim_dma_read(f->dev, a1, buf, sizeof(buf)), 0);
	assert_int_equal(ERRS(f->m), n + 1);
}

/* A late access names the mapping that used to be there. */
static void test_access_after_unmap_has_history(void **state)
{
	struct fixture *f = *state;
	unsigned long n = ERRS(f->m);
	u8 buf[16];
	dma_addr_t a;

	a = dma_map_phys(f->dev, f->phys, 4096, DMA_FROM_DEVICE, 0);
	assert_int_equal(dma_mapping_error(f->dev, a), 0);
	dma_unmap_phys(f->dev, a, 4096, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_write(f->dev, a + 8, buf, sizeof(buf)), 0);
	assert_int_equal(ERRS(f->m), n + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "[history: mapped as phy DMA_FROM_DEVICE"));
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "unmapped 1 unmaps ago]"));
	/* the calls that made and took down the mapping, and when */
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "bytes at device address "));
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    " by dma_map_phys; dma_unmap_phys at "));
	/* another device's history is not this one's */
	assert_int_equal(sim_dma_write(f->dev1, a + 8, buf, sizeof(buf)), 0);
	assert_int_equal(ERRS(f->m), n + 2);
	{
		struct sim_report r;

		assert_int_equal(sim_report_get(f->m, sim_report_count(f->m) - 1, &r), 0);
		assert_null(strstr(r.text, "history"));
	}
}

/* ------------------------------------------------------------------------ */
/* fault injection                                                          */
/* ------------------------------------------------------------------------ */

struct dbg_sweep {
	struct api_scn s;
	const struct dma_variant *v;
	unsigned long leak_reports;	/* unbinds with something held */
	unsigned long errs;		/* dma-debug errors after the unbind */
};

/*
 * The driver is unbound with what the run holds (all of it, or what it
 * got before the failure): one leak report naming as many entries as
 * dma-debug tracks for the device, none when it holds nothing; and no
 * other dma-debug error, whatever failed.
 */
static void dbg_unbind_held(struct api_scn *s, int failed)
{
	struct dbg_sweep *d = s->priv;
	unsigned long entries = sim_dma_debug_entries(s->m, s->dev);
	unsigned long errs = sim_dma_debug_errors(s->m);
	char needle[96];

	if (!failed)
		assert_true(entries >= API_NSTEPS);
	sim_device_unbind(s->dev);
	d->errs = sim_dma_debug_errors(s->m);
	if (!entries) {
		assert_int_equal(d->errs, errs);
		return;
	}
	assert_int_equal(d->errs, errs + 1);
	snprintf(needle, sizeof(needle),
		 "while released from device [count=%lu]", entries);
	expect_text(s->m, needle);
	sim_report_clear(s->m);
	d->leak_reports++;
}

static void dbg_settle(void *ctx)
{
	struct dbg_sweep *d = ctx;

	drain_flush_queue(d->s.dev);
}

/* Nothing reported by the unwind, and a second unbind finds nothing. */
static void dbg_check(void *ctx, unsigned long n, int ret)
{
	struct dbg_sweep *d = ctx;

	sim_device_unbind(d->s.dev);
	if (sim_dma_debug_errors(d->s.m) != d->errs) {
		sim_report_dump(d->s.m, stderr);
		fail_msg("%s fail-nth %lu (ret %d): dma-debug reported",
			 d->v->name, n, ret);
	}
}

static void sweep_debug(const struct dma_variant *v)
{
	struct sim_machine *m = api_machine_new(v);
	struct dbg_sweep d = { .v = v };
	struct failnth fn = {
		.name = v->name, .m = m, .ctx = &d, .run = api_scn_run,
		.settle = dbg_settle, .check = dbg_check,
	};

	api_scn_init(&d.s, m, dev_of(m, "dev0"), bar_of(m, "peer", 0),
		     API_ALL, API_CHECK_DATA);
	d.s.held = dbg_unbind_held;
	d.s.priv = &d;
	failnth_sweep(&fn);
	print_message("%s: %lu fail-nth runs, %lu leak reports\n", v->name,
		      fn.runs, d.leak_reports);
	/* the clean runs and every failure past the first step held something */
	assert_true(d.leak_reports > fn.runs - fn.failed);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	api_scn_fini(&d.s);
	assert_int_equal(machine_teardown_allowed(m, TD_CLEAN, 0,
						  d.leak_reports), 0);
}

/*
 * dma-debug's entries for every kind of mapping and allocation, and its
 * leak-at-unbind report, with the Nth allocation failing: on dma-direct
 * (allocations fail) and behind IOMMUs (every mapping can fail part way).
 */
static void test_failnth_debug(void **state)
{
	(void)state;
	sweep_debug(&variant_direct);
	sweep_debug(&variant_direct_noncoherent);
	sweep_debug(&variant_x86_strict);
	sweep_debug(&variant_arm64_16k_lazy);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unmap_unknown_and_invalid),
		T(test_unmap_size_and_direction_mismatch),
		T(test_unmap_wrong_function),
		T(test_map_error_check),
		T(test_sg_entry_count_mismatch),
		T(test_sync_checks),
		T(test_leaks_at_unbind),
		T(test_cacheline_overlap),
		T(test_device_access_checks),
		cmocka_unit_test(test_noncoherent_not_written_back),
		T(test_map_resource_ram_and_invalid_area),
		T(test_entries_and_dump),
		cmocka_unit_test(test_debug_off),
		T(test_errors_count_reports),
		T(test_same_address_mapped_twice),
		T(test_access_after_unmap_has_history),
		cmocka_unit_test(test_failnth_debug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
