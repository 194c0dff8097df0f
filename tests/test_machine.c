// SPDX-License-Identifier: MIT
/*
 * The machine model (SPEC 3): the page allocator, the coherence model, MMIO
 * and config space, device DMA routing through the PCIe fabric, fault
 * injection, and machines living side by side in several threads.
 */
#include <pthread.h>
#include "failnth.h"

/* A coherent machine with one non-coherent DMA engine beside a coherent one. */
#define PLATFORM_NONCOH						\
	"machine name=nc arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=4M\n"						\
	"hostbridge id=hb0 p2p=allow\n"					\
	"rootport id=rp0 bus=hb0\n"					\
	"dmaengine id=nc0 bus=rp0 coherent=no\n"			\
	"rootport id=rp1 bus=hb0\n"					\
	"pcidev id=coh0 bus=rp1\n"

/*
 * Peers a and b under one switch, c behind another root port, and a 32-bit
 * device; the host bridge's p2p= and the switch's acs= are parameters.
 */
static struct sim_machine *p2p_machine(const char *p2p, const char *acs,
				       const char *hb_extra)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "machine name=p2p ram=256M ram-below-4g=128M\n"
		 "swiotlb size=4M\n"
		 "hostbridge id=hb0 p2p=%s %s\n"
		 "rootport id=rp0 bus=hb0\n"
		 "switch id=sw0 bus=rp0 acs=%s\n"
		 "pcidev id=a bus=sw0 bar0=64K\n"
		 "pcidev id=b bus=sw0 bar0=64K flr=yes\n"
		 "rootport id=rp1 bus=hb0\n"
		 "pcidev id=c bus=rp1 bar0=64K\n"
		 "rootport id=rp2 bus=hb0\n"
		 "pcidev id=low bus=rp2 dma-bits=32\n",
		 p2p, hb_extra ? hb_extra : "", acs);
	return machine_from(text);
}

static struct pci_dev *pdev_of(struct sim_machine *m, const char *id)
{
	struct pci_dev *p = to_pci_dev(dev_of(m, id));

	assert_non_null(p);
	return p;
}

static bool all_bytes(const void *p, int c, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != (unsigned char)c)
			return false;
	return true;
}

/*
 * A device access failed as it should: -EIO, one more access error, and a
 * DMA fault report that says why.
 */
static void expect_dma_fault_(struct sim_machine *m, int ret,
			      unsigned long errors_before, const char *why,
			      const char *file, int at)
{
	if (ret != -EIO)
		fail_msg("%s:%d: access returned %d, expected -EIO", file, at, ret);
	if (sim_dma_access_errors(m) != errors_before + 1)
		fail_msg("%s:%d: access errors %lu, expected %lu", file, at,
			 sim_dma_access_errors(m), errors_before + 1);
	if (!sim_report_find(m, SIM_REPORT_DMA_FAULT, why)) {
		sim_report_dump(m, stderr);
		fail_msg("%s:%d: no DMA fault report containing '%s'", file, at,
			 why);
	}
}
#define expect_dma_fault(m, ret, before, why) \
	expect_dma_fault_((m), (ret), (before), (why), __FILE__, __LINE__)

static void set_command(struct pci_dev *p, u16 set, u16 clear)
{
	u16 cmd = 0;

	assert_int_equal(pci_read_config_word(p, PCI_COMMAND, &cmd), 0);
	assert_int_equal(pci_write_config_word(p, PCI_COMMAND,
					       (u16)((cmd & ~clear) | set)), 0);
}

/* ------------------------------------------------------------------------ */
/* Page allocator                                                           */
/* ------------------------------------------------------------------------ */

static void test_alloc_pages_default_is_above_4g(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);

	(void)state;
	for (unsigned int order = 0; order <= 10; order += 5) {
		struct page *page = sim_alloc_pages(m, order);

		assert_non_null(page);
		assert_true(page_to_phys(page) >= SZ_4G);
		assert_int_equal(page_to_phys(page) % (PAGE_SIZE << order), 0);
		sim_free_pages(m, page, order);
	}
	sim_machine_destroy(m);
}

static void test_alloc_pages_falls_back_below_4g(void **state)
{
	struct sim_machine *m = machine_from("machine ram=64M\nswiotlb size=4M\n");
	struct page *page;

	(void)state;
	page = sim_alloc_pages(m, 3);
	assert_non_null(page);
	assert_true(page_to_phys(page) + (8 * PAGE_SIZE) <= 64 * SZ_1M);
	/* Never the reserved first MiB. */
	assert_true(page_to_phys(page) >= SZ_1M);
	sim_free_pages(m, page, 3);
	sim_machine_destroy(m);
}

#define MAX_ORDER_TESTED	10

static void check_range_alloc(struct sim_machine *m, phys_addr_t lo,
			      phys_addr_t hi)
{
	for (unsigned int order = 0; order <= MAX_ORDER_TESTED; order++) {
		u64 size = PAGE_SIZE << order;
		struct page *page = sim_alloc_pages_range(m, order, lo, hi);
		phys_addr_t phys;

		if (!page)
			fail_msg("order %u in [%#llx, %#llx) failed", order,
				 (unsigned long long)lo, (unsigned long long)hi);
		phys = page_to_phys(page);
		assert_true(phys >= lo);
		assert_true(phys + size <= hi);
		assert_int_equal(phys % size, 0);
		assert_true(page->flags & PG_head);
		assert_int_equal(page->order, order);
		sim_free_pages(m, page, order);
	}
}

static void test_alloc_pages_range_honours_bounds_and_alignment(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	unsigned long before = sim_ram_pages_allocated(m);

	(void)state;
	/* Unaligned bounds, below and above 4G. */
	check_range_alloc(m, 16 * SZ_1M + 3 * PAGE_SIZE, 100 * SZ_1M + 123);
	check_range_alloc(m, SZ_4G + PAGE_SIZE, SZ_4G + 64 * SZ_1M);
	/* A range spanning the hole between the two RAM regions. */
	check_range_alloc(m, 120 * SZ_1M, SZ_4G + 8 * SZ_1M);
	/* Exactly one block of each order. */
	for (unsigned int order = 0; order <= 10; order++) {
		phys_addr_t lo = 64 * SZ_1M;
		struct page *page =
			sim_alloc_pages_range(m, order, lo, lo + (PAGE_SIZE << order));

		assert_non_null(page);
		assert_int_equal(page_to_phys(page), lo);
		sim_free_pages(m, page, order);
	}
	assert_int_equal(sim_ram_pages_allocated(m), before);
	sim_machine_destroy(m);
}

static void test_alloc_order_above_max_fails(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	unsigned long before = sim_ram_pages_allocated(m);

	(void)state;
	assert_null(sim_alloc_pages(m, 11));
	assert_null(sim_alloc_pages(m, 31));
	assert_null(sim_alloc_pages_range(m, 11, 0, SZ_4G));
	assert_int_equal(sim_ram_pages_allocated(m), before);
	sim_machine_destroy(m);
}

static void test_alloc_range_without_free_ram_fails(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);

	(void)state;
	/* Empty or inverted ranges. */
	assert_null(sim_alloc_pages_range(m, 0, 32 * SZ_1M, 32 * SZ_1M));
	assert_null(sim_alloc_pages_range(m, 0, 33 * SZ_1M, 32 * SZ_1M));
	/* The hole between RAM below 4G and 4G, and beyond the end of RAM. */
	assert_null(sim_alloc_pages_range(m, 0, 128 * SZ_1M, SZ_4G));
	assert_null(sim_alloc_pages_range(m, 0, SZ_4G + 128 * SZ_1M, ~0ULL));
	/* The reserved first MiB. */
	assert_null(sim_alloc_pages_range(m, 0, 0, SZ_1M));
	/* A range smaller than one aligned block of the order. */
	assert_null(sim_alloc_pages_range(m, 1, 32 * SZ_1M, 32 * SZ_1M + PAGE_SIZE));
	assert_null(sim_alloc_pages_range(m, 1, 32 * SZ_1M + PAGE_SIZE,
					  32 * SZ_1M + 3 * PAGE_SIZE));
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	sim_machine_destroy(m);
}

static void test_alloc_range_exhaustion_and_recovery(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	const phys_addr_t lo = 32 * SZ_1M, hi = lo + 16 * PAGE_SIZE;
	struct page *pages[16], *again;

	(void)state;
	for (int i = 0; i < 16; i++) {
		pages[i] = sim_alloc_pages_range(m, 0, lo, hi);
		assert_non_null(pages[i]);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(pages[i], pages[j]);
	}
	assert_int_equal(sim_ram_pages_allocated(m), 16);
	assert_null(sim_alloc_pages_range(m, 0, lo, hi));
	/* A bigger block cannot come out of it either. */
	assert_null(sim_alloc_pages_range(m, 1, lo, hi));
	sim_free_pages(m, pages[5], 0);
	again = sim_alloc_pages_range(m, 0, lo, hi);
	assert_ptr_equal(again, pages[5]);
	assert_null(sim_alloc_pages_range(m, 0, lo, hi));
	/* Free two neighbours: an order-1 block fits again. */
	sim_free_pages(m, pages[2], 0);
	sim_free_pages(m, pages[3], 0);
	again = sim_alloc_pages_range(m, 1, lo, hi);
	assert_non_null(again);
	assert_int_equal(page_to_phys(again), lo + 2 * PAGE_SIZE);
	sim_free_pages(m, again, 1);
	for (int i = 0; i < 16; i++)
		if (i != 2 && i != 3)
			sim_free_pages(m, pages[i], 0);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 0);
	sim_machine_destroy(m);
}

static void test_double_free_is_reported_and_changes_nothing(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	const phys_addr_t lo = 32 * SZ_1M, hi = lo + 4 * PAGE_SIZE;
	struct page *page, *again;

	(void)state;
	page = sim_alloc_pages_range(m, 2, lo, hi);
	assert_non_null(page);
	sim_free_pages(m, page, 2);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	sim_free_pages(m, page, 2);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 1);
	assert_true(sim_report_find(m, SIM_REPORT_BUG, "double free"));
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	/* The block is free exactly once: one allocation, then none. */
	again = sim_alloc_pages_range(m, 2, lo, hi);
	assert_ptr_equal(again, page);
	assert_null(sim_alloc_pages_range(m, 0, lo, hi));
	assert_int_equal(sim_ram_pages_allocated(m), 4);
	sim_free_pages(m, again, 2);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	sim_machine_destroy(m);
}

static void test_wrong_order_free_is_reported_and_changes_nothing(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	const phys_addr_t lo = 32 * SZ_1M, hi = lo + 4 * PAGE_SIZE;
	struct page *page;

	(void)state;
	page = sim_alloc_pages_range(m, 2, lo, hi);
	assert_non_null(page);
	sim_free_pages(m, page, 1);
	sim_free_pages(m, page, 3);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 2);
	assert_true(sim_report_find(m, SIM_REPORT_BUG, "order mismatch"));
	/* A tail page is no block either. */
	sim_free_pages(m, page + 1, 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 3);
	/* Still allocated, all of it. */
	assert_int_equal(sim_ram_pages_allocated(m), 4);
	assert_true(page->flags & PG_head);
	assert_int_equal(page->order, 2);
	assert_null(sim_alloc_pages_range(m, 0, lo, hi));
	sim_free_pages(m, page, 2);
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 3);
	sim_machine_destroy(m);
}

static void test_free_of_another_machines_page_is_reported(void **state)
{
	struct sim_machine *m1 = machine_from(PLATFORM_SMALL);
	struct sim_machine *m2 = machine_from(PLATFORM_SMALL);
	struct page *page = sim_alloc_pages(m1, 0);

	(void)state;
	assert_non_null(page);
	sim_free_pages(m2, page, 0);
	assert_true(sim_report_find(m2, SIM_REPORT_BUG, "not RAM of this machine"));
	assert_int_equal(sim_report_count(m1), 0);
	assert_int_equal(sim_ram_pages_allocated(m1), 1);
	sim_free_pages(m1, page, 0);
	assert_int_equal(sim_ram_pages_allocated(m1), 0);
	/* NULL is nothing to free. */
	sim_free_pages(m1, NULL, 0);
	assert_int_equal(sim_report_count(m1), 0);
	sim_machine_destroy(m1);
	sim_machine_destroy(m2);
}

static void test_pages_allocated_accounting(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	static const unsigned int orders[] = { 0, 3, 10, 1 };
	struct page *pages[4];
	unsigned long expect = 0;

	(void)state;
	assert_int_equal(sim_ram_pages_allocated(m), 0);
	for (int i = 0; i < 4; i++) {
		pages[i] = sim_alloc_pages(m, orders[i]);
		assert_non_null(pages[i]);
		expect += 1UL << orders[i];
		assert_int_equal(sim_ram_pages_allocated(m), expect);
	}
	for (int i = 0; i < 4; i++) {
		sim_free_pages(m, pages[i], orders[i]);
		expect -= 1UL << orders[i];
		assert_int_equal(sim_ram_pages_allocated(m), expect);
	}
	sim_machine_destroy(m);
}

static void test_phys_to_virt_is_null_outside_ram(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	phys_addr_t bar = pci_resource_start(pdev_of(m, "dev0"), 0);

	(void)state;
	assert_int_not_equal(bar, 0);
	assert_null(sim_phys_to_virt(m, bar));		/* MMIO */
	assert_null(sim_phys_to_virt(m, 128 * SZ_1M));	/* the hole */
	assert_null(sim_phys_to_virt(m, SZ_4G - 1));
	assert_null(sim_phys_to_virt(m, SZ_4G + 128 * SZ_1M));	/* past the end */
	assert_null(sim_phys_to_virt(m, ~0ULL));
	assert_null(sim_phys_to_page(m, bar));
	assert_false(sim_pfn_valid(m, PHYS_PFN(bar)));
	assert_false(sim_pfn_valid(m, PHYS_PFN(128 * SZ_1M)));
	/* RAM, first and last bytes of both regions. */
	assert_non_null(sim_phys_to_virt(m, 0));
	assert_non_null(sim_phys_to_virt(m, 128 * SZ_1M - 1));
	assert_non_null(sim_phys_to_virt(m, SZ_4G));
	assert_non_null(sim_phys_to_virt(m, SZ_4G + 128 * SZ_1M - 1));
	assert_true(sim_pfn_valid(m, PHYS_PFN(SZ_4G)));
	sim_machine_destroy(m);
}

static void test_page_address_and_phys_round_trip(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct page *page = sim_alloc_pages(m, 2);
	phys_addr_t phys;
	unsigned char *va;
	int local;

	(void)state;
	assert_non_null(page);
	phys = page_to_phys(page);
	va = page_address(page);
	assert_non_null(va);
	assert_ptr_equal(va, sim_phys_to_virt(m, phys));
	assert_ptr_equal(va + 5000, sim_phys_to_virt(m, phys + 5000));
	assert_int_equal(sim_virt_to_phys(m, va), phys);
	assert_int_equal(sim_virt_to_phys(m, va + 12345), phys + 12345);
	assert_ptr_equal(sim_phys_to_page(m, phys), page);
	assert_ptr_equal(sim_phys_to_page(m, phys + PAGE_SIZE), page + 1);
	assert_ptr_equal(sim_virt_to_page(m, va + 100), page);
	assert_ptr_equal(sim_virt_to_page(m, va + 3 * PAGE_SIZE + 1), page + 3);
	assert_int_equal(page_to_pfn(page), PHYS_PFN(phys));
	/* Tail pages of the block. */
	assert_true(page[1].flags & PG_buddy);
	assert_false(page[1].flags & PG_head);
	/* The memory is usable, and the same through both routes. */
	fill_pattern(va, 4 * PAGE_SIZE, 7);
	assert_memory_equal(sim_phys_to_virt(m, phys + PAGE_SIZE),
			    va + PAGE_SIZE, PAGE_SIZE);
	/* Host memory that is no RAM of the machine. */
	assert_int_equal(sim_virt_to_phys(m, &local), (phys_addr_t)-1);
	assert_null(sim_virt_to_page(m, &local));
	sim_free_pages(m, page, 2);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Coherence                                                                */
/* ------------------------------------------------------------------------ */

static void test_noncoherent_device_misses_cpu_write_until_clean(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_NONCOH);
	struct device *nc = dev_of(m, "nc0");
	struct page *page = sim_alloc_pages(m, 0);
	unsigned char want[PAGE_SIZE], got[PAGE_SIZE];
	phys_addr_t phys;

	(void)state;
	assert_false(nc->dma_coherent);
	sim_dma_debug_enable(m, false);	/* unmapped accesses on purpose */
	assert_non_null(page);
	phys = page_to_phys(page);
	fill_pattern(want, sizeof(want), 1);
	memcpy(page_address(page), want, sizeof(want));
	/* DRAM still holds what was there before: zeroes. */
	assert_int_equal(sim_dma_read(nc, phys, got, sizeof(got)), 0);
	assert_true(all_bytes(got, 0, sizeof(got)));
	/* Clean to the point of coherency: now the device sees the data. */
	arch_sync_dma_for_device(nc, phys, PAGE_SIZE, DMA_TO_DEVICE);
	assert_int_equal(sim_dma_read(nc, phys, got, sizeof(got)), 0);
	assert_memory_equal(got, want, sizeof(got));
	/* Only the cleaned range: a partial clean leaves the rest stale. */
	fill_pattern(want, sizeof(want), 2);
	memcpy(page_address(page), want, sizeof(want));
	arch_sync_dma_for_device(nc, phys, 128, DMA_TO_DEVICE);
	assert_int_equal(sim_dma_read(nc, phys, got, sizeof(got)), 0);
	assert_memory_equal(got, want, 128);
	assert_memory_not_equal(got + 128, want + 128, sizeof(got) - 128);
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

static void test_noncoherent_stale_read_through_dma_api(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_NONCOH);
	struct device *nc = dev_of(m, "nc0");
	struct page *page = sim_alloc_pages(m, 0);
	unsigned char a[PAGE_SIZE], b[PAGE_SIZE], got[PAGE_SIZE];
	phys_addr_t phys;
	dma_addr_t dma;

	(void)state;
	assert_non_null(page);
	phys = page_to_phys(page);
	fill_pattern(a, sizeof(a), 3);
	fill_pattern(b, sizeof(b), 4);
	memcpy(page_address(page), a, sizeof(a));
	/* Mapping cleans the cache for a non-coherent device. */
	dma = dma_map_phys(nc, phys, PAGE_SIZE, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(nc, dma), 0);
	assert_int_equal(sim_dma_read(nc, dma, got, sizeof(got)), 0);
	assert_memory_equal(got, a, sizeof(got));
	assert_int_equal(sim_dma_debug_errors(m), 0);
	/* A CPU write after the map is not seen without a sync ... */
	memcpy(page_address(page), b, sizeof(b));
	assert_int_equal(sim_dma_read(nc, dma, got, sizeof(got)), 0);
	assert_memory_equal(got, a, sizeof(got));
	/* ... and dma-debug says so. */
	assert_int_equal(sim_dma_debug_errors(m), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "has not written back"));
	dma_sync_single_for_device(nc, dma, PAGE_SIZE, DMA_TO_DEVICE);
	assert_int_equal(sim_dma_read(nc, dma, got, sizeof(got)), 0);
	assert_memory_equal(got, b, sizeof(got));
	assert_int_equal(sim_dma_debug_errors(m), 1);
	dma_unmap_phys(nc, dma, PAGE_SIZE, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_entries(m, nc), 0);
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

static void test_noncoherent_device_write_invisible_until_invalidate(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_NONCOH);
	struct device *nc = dev_of(m, "nc0");
	struct page *page = sim_alloc_pages(m, 0);
	unsigned char old[PAGE_SIZE], dev[PAGE_SIZE];
	phys_addr_t phys;
	dma_addr_t dma;

	(void)state;
	assert_non_null(page);
	phys = page_to_phys(page);
	fill_pattern(old, sizeof(old), 5);
	fill_pattern(dev, sizeof(dev), 6);
	memcpy(page_address(page), old, sizeof(old));
	dma = dma_map_phys(nc, phys, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	assert_int_equal(dma_mapping_error(nc, dma), 0);
	assert_int_equal(sim_dma_write(nc, dma, dev, sizeof(dev)), 0);
	/* The CPU still reads its cached lines. */
	assert_memory_equal(page_address(page), old, sizeof(old));
	dma_sync_single_for_cpu(nc, dma, PAGE_SIZE, DMA_FROM_DEVICE);
	assert_memory_equal(page_address(page), dev, sizeof(dev));
	dma_unmap_phys(nc, dma, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

/*
 * Invalidating a range that starts mid-line writes the CPU's dirty line back
 * first (arm64 dcache_inval_poc): the device's bytes in that line are lost.
 */
static void test_partial_line_invalidate_writes_back_first(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_NONCOH);
	struct device *nc = dev_of(m, "nc0");
	struct page *page = sim_alloc_pages(m, 0);
	unsigned char *va, dev[128];
	phys_addr_t phys;

	(void)state;
	sim_dma_debug_enable(m, false);
	assert_non_null(page);
	phys = page_to_phys(page);
	va = page_address(page);
	memset(dev, 0xd5, sizeof(dev));
	/* The CPU dirties bytes 0..31, sharing line 0 with the buffer. */
	memset(va, 0xc1, 32);
	assert_int_equal(sim_dma_write(nc, phys + 32, dev, 96), 0);
	arch_sync_dma_for_cpu(nc, phys + 32, 96, DMA_FROM_DEVICE);
	assert_true(all_bytes(va, 0xc1, 32));
	assert_true(all_bytes(va + 32, 0, 32));		/* lost */
	assert_true(all_bytes(va + 64, 0xd5, 64));	/* whole line: seen */
	/* DMA_TO_DEVICE needs no invalidation: nothing changes. */
	assert_int_equal(sim_dma_write(nc, phys + 256, dev, 64), 0);
	arch_sync_dma_for_cpu(nc, phys + 256, 64, DMA_TO_DEVICE);
	assert_true(all_bytes(va + 256, 0, 64));
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

static void test_coherent_device_sees_cpu_writes_immediately(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_NONCOH);
	struct device *coh = dev_of(m, "coh0");
	struct device *nc = dev_of(m, "nc0");
	struct page *page = sim_alloc_pages(m, 0);
	unsigned char want[PAGE_SIZE], got[PAGE_SIZE];
	phys_addr_t phys;

	(void)state;
	assert_true(coh->dma_coherent);
	sim_dma_debug_enable(m, false);
	assert_non_null(page);
	phys = page_to_phys(page);
	fill_pattern(want, sizeof(want), 8);
	memcpy(page_address(page), want, sizeof(want));
	/* The coherent device snoops the dirty lines; the other does not. */
	assert_int_equal(sim_dma_read(coh, phys, got, sizeof(got)), 0);
	assert_memory_equal(got, want, sizeof(got));
	assert_int_equal(sim_dma_read(nc, phys, got, sizeof(got)), 0);
	assert_memory_not_equal(got, want, sizeof(got));
	/* Its writes reach the CPU without any maintenance. */
	fill_pattern(want, sizeof(want), 9);
	assert_int_equal(sim_dma_write(coh, phys, want, sizeof(want)), 0);
	assert_memory_equal(page_address(page), want, sizeof(want));
	/* ... and DRAM, so the non-coherent device sees them too. */
	assert_int_equal(sim_dma_read(nc, phys, got, sizeof(got)), 0);
	assert_memory_equal(got, want, sizeof(got));
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* MMIO                                                                     */
/* ------------------------------------------------------------------------ */

static void test_mmio_reads_back_while_decoding(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	phys_addr_t bar = pci_resource_start(pdev_of(m, "b"), 0);
	unsigned char in[64], out[64];

	(void)state;
	fill_pattern(in, sizeof(in), 10);
	assert_int_equal(sim_mmio_write(m, bar + 0x100, in, sizeof(in)), 0);
	assert_int_equal(sim_mmio_read(m, bar + 0x100, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* The last bytes of the BAR are in it. */
	assert_int_equal(sim_mmio_write(m, bar + 64 * SZ_1K - 4, in, 4), 0);
	assert_int_equal(sim_report_count(m), 0);
	/* BARs are not RAM. */
	assert_null(sim_phys_to_virt(m, bar));
	sim_machine_destroy(m);
}

static void test_mmio_fails_when_memory_decoding_is_off(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct pci_dev *b = pdev_of(m, "b");
	phys_addr_t bar = pci_resource_start(b, 0);
	unsigned char in[16], out[16];

	(void)state;
	fill_pattern(in, sizeof(in), 11);
	assert_int_equal(sim_mmio_write(m, bar, in, sizeof(in)), 0);
	set_command(b, 0, PCI_COMMAND_MEMORY);
	memset(out, 0, sizeof(out));
	assert_int_equal(sim_mmio_read(m, bar, out, sizeof(out)), -EIO);
	assert_true(all_bytes(out, 0xff, sizeof(out)));
	assert_int_equal(sim_mmio_write(m, bar, "zzzz", 4), -EIO);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "is not decoding"));
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "memory disabled"));
	/* Decoding back on: the earlier data, the refused write never landed. */
	set_command(b, PCI_COMMAND_MEMORY, 0);
	assert_int_equal(sim_mmio_read(m, bar, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	sim_machine_destroy(m);
}

static void test_mmio_fails_in_d3hot(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct pci_dev *b = pdev_of(m, "b");
	phys_addr_t bar = pci_resource_start(b, 0);
	u8 pm = pci_find_capability(b, PCI_CAP_ID_PM);
	u16 pmcsr = 0;
	u32 out = 0;

	(void)state;
	assert_int_not_equal(pm, 0);
	assert_int_equal(pci_set_power_state(b, PCI_D3hot), 0);
	assert_int_equal(b->current_state, PCI_D3hot);
	assert_int_equal(pci_read_config_word(b, pm + PCI_PM_CTRL, &pmcsr), 0);
	assert_int_equal(pmcsr & PCI_PM_CTRL_STATE_MASK, PCI_D3hot);
	assert_int_equal(sim_mmio_read(m, bar, &out, 4), -EIO);
	assert_int_equal(out, 0xffffffffu);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "D3hot"));
	/* Unsupported states are refused and change nothing. */
	assert_int_equal(pci_set_power_state(b, PCI_D1), -EINVAL);
	assert_int_equal(pci_set_power_state(b, PCI_D3cold), -EINVAL);
	assert_int_equal(b->current_state, PCI_D3hot);
	assert_int_equal(pci_set_power_state(b, PCI_D0), 0);
	assert_int_equal(b->current_state, PCI_D0);
	assert_int_equal(sim_mmio_read(m, bar, &out, 4), 0);
	sim_machine_destroy(m);
}

static void test_mmio_fails_after_flr_until_reenabled(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct pci_dev *b = pdev_of(m, "b");
	phys_addr_t bar = pci_resource_start(b, 0);
	u16 cmd = 0xffff;
	u32 out = 0;

	(void)state;
	assert_true(pcie_has_flr(b));
	assert_int_equal(pcie_flr(b), 0);
	/* The reset cleared the command register. */
	assert_int_equal(pci_read_config_word(b, PCI_COMMAND, &cmd), 0);
	assert_int_equal(cmd, 0);
	assert_int_equal(sim_mmio_read(m, bar, &out, 4), -EIO);
	assert_int_equal(out, 0xffffffffu);
	/* The FLR bit itself reads back as zero. */
	{
		u8 exp = pci_find_capability(b, PCI_CAP_ID_EXP);
		u16 ctl = 0xffff;

		assert_int_equal(pci_read_config_word(b, exp + PCI_EXP_DEVCTL,
						      &ctl), 0);
		assert_int_equal(ctl & PCI_EXP_DEVCTL_BCR_FLR, 0);
	}
	assert_int_equal(pci_enable_device_mem(b), 0);
	assert_int_equal(sim_mmio_read(m, bar, &out, 4), 0);
	sim_machine_destroy(m);
}

static void test_reset_function_restores_command_register(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct pci_dev *b = pdev_of(m, "b");
	phys_addr_t bar = pci_resource_start(b, 0);
	u16 before = 0, after = 0;
	u32 out = 0;

	(void)state;
	assert_int_equal(pci_read_config_word(b, PCI_COMMAND, &before), 0);
	assert_true(before & PCI_COMMAND_MEMORY);
	assert_int_equal(pci_reset_function(b), 0);
	assert_int_equal(pci_read_config_word(b, PCI_COMMAND, &after), 0);
	assert_int_equal(after, before);
	assert_int_equal(sim_mmio_read(m, bar, &out, 4), 0);
	/* Bus mastering came back too. */
	{
		struct page *page = sim_alloc_pages(m, 0);

		assert_non_null(page);
		sim_dma_debug_enable(m, false);
		assert_int_equal(sim_dma_read(&b->dev, page_to_phys(page), &out, 4), 0);
		sim_free_pages(m, page, 0);
	}
	sim_machine_destroy(m);
}

struct ev_log {
	struct sim_machine *m;
	phys_addr_t bar;
	int n;
	enum sim_pci_event ev[16];
	bool decoding[16];	/* did the BAR answer inside the callback? */
};

static void ev_record(struct pci_dev *pdev, enum sim_pci_event ev, void *data)
{
	struct ev_log *l = data;
	u32 v;

	(void)pdev;
	if (l->n < 16) {
		l->ev[l->n] = ev;
		l->decoding[l->n] = sim_mmio_read(l->m, l->bar, &v, 4) == 0;
		l->n++;
	}
}

static void ev_other(struct pci_dev *pdev, enum sim_pci_event ev, void *data)
{
	(void)pdev;
	(void)ev;
	(void)data;
}

/* The notifier sees every decode-relevant change, in order: "going away"
 * events while the BAR still answers, "back" events once it answers. */
static void test_pci_notifier_events(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct pci_dev *b = pdev_of(m, "b");
	struct ev_log l = { .m = m, .bar = pci_resource_start(b, 0) };
	u16 cmd;

	(void)state;
	assert_int_equal(sim_pci_set_notifier(b, ev_record, &l), 0);
	assert_int_equal(sim_pci_set_notifier(b, ev_other, NULL), -EBUSY);
	assert_int_equal(sim_pci_set_notifier(NULL, ev_record, &l), -EINVAL);
	pci_read_config_word(b, PCI_COMMAND, &cmd);
	pci_write_config_word(b, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	pci_write_config_word(b, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY); /* no change */
	pci_write_config_word(b, PCI_COMMAND, cmd);
	assert_int_equal(pci_set_power_state(b, PCI_D3hot), 0);
	assert_int_equal(pci_set_power_state(b, PCI_D3hot), 0);	/* no change */
	assert_int_equal(pci_set_power_state(b, PCI_D0), 0);
	assert_int_equal(pcie_flr(b), 0);
	assert_int_equal(l.n, 8);
	assert_int_equal(l.ev[0], SIM_PCI_MEMORY_DISABLE);
	assert_true(l.decoding[0]);
	/* each announcement is closed once the register changed */
	assert_int_equal(l.ev[1], SIM_PCI_CHANGE_DONE);
	assert_false(l.decoding[1]);
	assert_int_equal(l.ev[2], SIM_PCI_MEMORY_ENABLE);
	assert_true(l.decoding[2]);
	assert_int_equal(l.ev[3], SIM_PCI_D3HOT);
	assert_true(l.decoding[3]);
	assert_int_equal(l.ev[4], SIM_PCI_CHANGE_DONE);
	assert_false(l.decoding[4]);
	assert_int_equal(l.ev[5], SIM_PCI_D0);
	assert_true(l.decoding[5]);
	assert_int_equal(l.ev[6], SIM_PCI_FLR_START);
	assert_true(l.decoding[6]);
	/* The reset cleared the command register as part of the FLR: no
	 * separate MEMORY_DISABLE, and the BAR stays off afterwards. */
	assert_int_equal(l.ev[7], SIM_PCI_FLR_DONE);
	assert_false(l.decoding[7]);
	assert_int_equal(sim_pci_events(b), 8);
	assert_int_equal(sim_pci_set_notifier(b, NULL, NULL), 0);
	pci_write_config_word(b, PCI_COMMAND, cmd);
	assert_int_equal(l.n, 8);
	sim_machine_destroy(m);
}

static void test_flr_needs_the_capability(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct pci_dev *a = pdev_of(m, "a");
	u16 cmd = 0;

	(void)state;
	assert_false(pcie_has_flr(a));
	assert_int_equal(pcie_flr(a), -ENOTTY);
	assert_int_equal(pci_reset_function(a), -ENOTTY);
	/* Nothing was reset. */
	assert_int_equal(pci_read_config_word(a, PCI_COMMAND, &cmd), 0);
	assert_true(cmd & PCI_COMMAND_MEMORY);
	sim_machine_destroy(m);
}

static void test_mmio_to_unassigned_address_fails(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	phys_addr_t bar = pci_resource_start(pdev_of(m, "b"), 0);
	unsigned char out[8];

	(void)state;
	memset(out, 0, sizeof(out));
	assert_int_equal(sim_mmio_read(m, 0x60000000, out, sizeof(out)), -EIO);
	assert_true(all_bytes(out, 0xff, sizeof(out)));
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "no BAR decodes it"));
	/* Straddling the end of a BAR is no access to it. */
	assert_int_equal(sim_mmio_read(m, bar + 64 * SZ_1K - 4, out, 8), -EIO);
	/* RAM is not MMIO. */
	assert_int_equal(sim_mmio_write(m, 32 * SZ_1M, out, 8), -EIO);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), 3);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Config space                                                             */
/* ------------------------------------------------------------------------ */

static void test_config_ids_are_readable(void **state)
{
	struct sim_machine *m = sim_machine_default();
	struct pci_dev *nvme, *rp;
	u16 v = 0;
	u32 class = 0;
	u8 hdr = 0xff;

	(void)state;
	assert_non_null(m);
	nvme = pdev_of(m, "nvme0");
	rp = pdev_of(m, "rp0");
	assert_int_equal(pci_read_config_word(nvme, PCI_VENDOR_ID, &v), 0);
	assert_int_equal(v, 0x144d);
	assert_int_equal(v, nvme->vendor);
	assert_int_equal(pci_read_config_word(nvme, PCI_DEVICE_ID, &v), 0);
	assert_int_equal(v, nvme->device);
	assert_int_equal(pci_read_config_dword(nvme, PCI_CLASS_REVISION, &class), 0);
	assert_int_equal(class >> 8, 0x010802);
	assert_int_equal(nvme->class, 0x010802);
	assert_int_equal(pci_read_config_byte(nvme, PCI_HEADER_TYPE, &hdr), 0);
	assert_int_equal(hdr, 0);
	assert_int_equal(pci_read_config_byte(rp, PCI_HEADER_TYPE, &hdr), 0);
	assert_int_equal(hdr, 1);
	assert_int_equal(pci_read_config_word(nvme, PCI_STATUS, &v), 0);
	assert_true(v & PCI_STATUS_CAP_LIST);
	/* A driver-bound function decodes memory and masters the bus. */
	assert_int_equal(pci_read_config_word(nvme, PCI_COMMAND, &v), 0);
	assert_int_equal(v & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	sim_machine_destroy(m);
}

static void test_config_capability_lists(void **state)
{
	struct sim_machine *m = sim_machine_default();
	static const struct {
		const char *id;
		int port_type;
		bool acs;
		bool msi;	/* the GPU model's copy engine interrupts */
	} fns[] = {
		{ "rp0", 4, true, false }, { "sw0", 5, false, false },
		{ "sw0.dp0", 6, true, false }, { "nvme0", 0, false, false },
		{ "gpu0", 0, false, true }, { "tb0", 0, false, false },
	};

	(void)state;
	assert_non_null(m);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		struct pci_dev *p = pdev_of(m, fns[i].id);
		u8 pm = pci_find_capability(p, PCI_CAP_ID_PM);
		u8 exp = pci_find_capability(p, PCI_CAP_ID_EXP);
		u16 acs = pci_find_ext_capability(p, PCI_EXT_CAP_ID_ACS);
		u8 id = 0;
		u16 flags = 0;

		assert_true(pm >= 0x40);
		assert_true(exp >= 0x40);
		assert_int_not_equal(pm, exp);
		assert_int_equal(pci_read_config_byte(p, pm, &id), 0);
		assert_int_equal(id, PCI_CAP_ID_PM);
		assert_int_equal(pci_read_config_byte(p, exp, &id), 0);
		assert_int_equal(id, PCI_CAP_ID_EXP);
		assert_int_equal(pci_read_config_word(p, exp + PCI_EXP_FLAGS, &flags), 0);
		assert_int_equal((flags >> 4) & 0xf, fns[i].port_type);
		assert_int_equal(pci_find_capability(p, PCI_CAP_ID_AF), 0);
		assert_int_equal(pci_find_capability(p, PCI_CAP_ID_MSI) != 0,
				 fns[i].msi);
		assert_int_equal(acs != 0, fns[i].acs);
		if (acs)
			assert_true(acs >= 0x100);
		assert_int_equal(pci_find_ext_capability(p, 0x01), 0);	/* AER */
	}
	/* ACS control holds the platform's acs= (rp1: rr,cr). */
	{
		struct pci_dev *rp1 = pdev_of(m, "rp1");
		u16 pos = pci_find_ext_capability(rp1, PCI_EXT_CAP_ID_ACS);
		u16 ctrl = 0;

		assert_int_equal(pci_read_config_word(rp1, pos + PCI_ACS_CTRL, &ctrl), 0);
		assert_int_equal(ctrl, PCI_ACS_RR | PCI_ACS_CR);
	}
	/* FLR is advertised where the text says flr=yes. */
	assert_true(pcie_has_flr(pdev_of(m, "nvme0")));
	assert_true(pcie_has_flr(pdev_of(m, "gpu0")));
	assert_false(pcie_has_flr(pdev_of(m, "nic0")));
	sim_machine_destroy(m);
}

static void test_config_bad_offsets_are_rejected(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct pci_dev *p = pdev_of(m, "dev0");
	u8 b = 0x5a;
	u16 w = 0x5a5a;
	u32 d = 0x5a5a5a5a;

	(void)state;
	assert_int_equal(pci_read_config_byte(p, -1, &b), -EINVAL);
	assert_int_equal(pci_read_config_byte(p, 4096, &b), -EINVAL);
	assert_int_equal(pci_read_config_word(p, 4095, &w), -EINVAL);
	assert_int_equal(pci_read_config_word(p, 1, &w), -EINVAL);
	assert_int_equal(pci_read_config_dword(p, 4093, &d), -EINVAL);
	assert_int_equal(pci_read_config_dword(p, 2, &d), -EINVAL);
	assert_int_equal(pci_read_config_dword(p, 4096, &d), -EINVAL);
	assert_int_equal(pci_read_config_dword(NULL, 0, &d), -EINVAL);
	/* Nothing was stored on failure. */
	assert_int_equal(b, 0x5a);
	assert_int_equal(w, 0x5a5a);
	assert_int_equal(d, 0x5a5a5a5au);
	assert_int_equal(pci_write_config_byte(p, 4096, 0), -EINVAL);
	assert_int_equal(pci_write_config_word(p, PCI_COMMAND + 1, 0), -EINVAL);
	assert_int_equal(pci_write_config_dword(p, -4, 0), -EINVAL);
	assert_int_equal(pci_write_config_word(NULL, PCI_COMMAND, 0), -EINVAL);
	/* The last valid offsets. */
	assert_int_equal(pci_read_config_byte(p, 4095, &b), 0);
	assert_int_equal(pci_read_config_word(p, 4094, &w), 0);
	assert_int_equal(pci_read_config_dword(p, 4092, &d), 0);
	/* The command register survived the refused write. */
	assert_int_equal(pci_read_config_word(p, PCI_COMMAND, &w), 0);
	assert_true(w & PCI_COMMAND_MEMORY);
	sim_machine_destroy(m);
}

static void test_config_writes_follow_register_semantics(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct pci_dev *p = pdev_of(m, "dev0");
	u32 bar0 = 0, v32 = 0;
	u16 v = 0;

	(void)state;
	/* Only the implemented command bits stick. */
	assert_int_equal(pci_write_config_word(p, PCI_COMMAND, 0xffff), 0);
	assert_int_equal(pci_read_config_word(p, PCI_COMMAND, &v), 0);
	assert_int_equal(v, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
			 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	/* BARs are read-only: placement belongs to the platform. */
	assert_int_equal(pci_read_config_dword(p, PCI_BASE_ADDRESS_0, &bar0), 0);
	assert_int_equal(bar0 & ~0xfu, (u32)pci_bus_address(p, 0));
	assert_int_equal(pci_write_config_dword(p, PCI_BASE_ADDRESS_0, 0xffffffff), 0);
	assert_int_equal(pci_read_config_dword(p, PCI_BASE_ADDRESS_0, &v32), 0);
	assert_int_equal(v32, bar0);
	/* IDs are read-only. */
	assert_int_equal(pci_write_config_word(p, PCI_VENDOR_ID, 0x1111), 0);
	assert_int_equal(pci_read_config_word(p, PCI_VENDOR_ID, &v), 0);
	assert_int_equal(v, p->vendor);
	/* pci_clear_master / pci_set_master touch only the master bit. */
	pci_clear_master(p);
	assert_int_equal(pci_read_config_word(p, PCI_COMMAND, &v), 0);
	assert_int_equal(v & (PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY),
			 PCI_COMMAND_MEMORY);
	pci_set_master(p);
	pci_disable_device(p);
	assert_int_equal(pci_read_config_word(p, PCI_COMMAND, &v), 0);
	assert_int_equal(v & (PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY), 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Device DMA routing                                                       */
/* ------------------------------------------------------------------------ */

static void test_dma_to_ram_reaches_memory(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct device *dev = dev_of(m, "dev0");
	struct page *page = sim_alloc_pages(m, 1);
	unsigned char in[2 * PAGE_SIZE], out[2 * PAGE_SIZE];
	struct sim_dma_stats st;
	phys_addr_t phys;
	dma_addr_t dma;

	(void)state;
	assert_non_null(page);
	phys = page_to_phys(page);
	fill_pattern(in, sizeof(in), 12);
	/* Unmapped: the access works, and dma-debug reports it ... */
	assert_int_equal(sim_dma_write(dev, phys, in, 64), 0);
	assert_memory_equal(page_address(page), in, 64);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "device writes DMA memory that is not mapped for it"));
	/* ... once per access, however many 4 KiB TLPs it takes. */
	assert_int_equal(sim_dma_write(dev, phys, in, sizeof(in)), 0);
	assert_memory_equal(page_address(page), in, sizeof(in));
	assert_int_equal(sim_dma_debug_errors(m), 2);
	/* Mapped: no complaint. */
	dma = dma_map_phys(dev, phys, sizeof(in), DMA_BIDIRECTIONAL, 0);
	assert_int_equal(dma_mapping_error(dev, dma), 0);
	assert_int_equal(dma, phys);
	assert_int_equal(sim_dma_read(dev, dma, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* Crossing a page boundary inside the mapping. */
	assert_int_equal(sim_dma_write(dev, dma + PAGE_SIZE - 8, "0123456789abcdef", 16), 0);
	assert_memory_equal((char *)page_address(page) + PAGE_SIZE - 8,
			    "0123456789abcdef", 16);
	assert_int_equal(sim_dma_debug_errors(m), 2);
	dma_unmap_phys(dev, dma, sizeof(in), DMA_BIDIRECTIONAL, 0);
	sim_dma_stats_get(m, &st);
	assert_true(st.dev_reads >= 2);	/* one per 4K TLP at least */
	assert_true(st.dev_writes >= 4);
	assert_int_equal(st.dev_bytes, 2 * sizeof(in) + 64 + 16);
	assert_int_equal(st.p2p_accesses, 0);
	assert_int_equal(sim_dma_access_errors(m), 0);
	sim_free_pages(m, page, 1);
	sim_machine_destroy(m);
}

static void test_dma_with_debug_off_reports_nothing(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct device *dev = dev_of(m, "dev0");
	struct page *page = sim_alloc_pages(m, 0);
	u64 v = 0x1122334455667788ULL, r = 0;

	(void)state;
	assert_non_null(page);
	sim_dma_debug_enable(m, false);
	assert_false(sim_dma_debug_enabled(m));
	assert_int_equal(sim_dma_write(dev, page_to_phys(page), &v, 8), 0);
	assert_int_equal(sim_dma_read(dev, page_to_phys(page), &r, 8), 0);
	assert_int_equal(r, v);
	assert_int_equal(sim_report_count(m), 0);
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

static void test_p2p_below_switch_needs_no_hostbridge_p2p(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct device *a = dev_of(m, "a");
	struct pci_dev *b = pdev_of(m, "b");
	unsigned char in[256], out[256];
	struct sim_dma_stats st;

	(void)state;
	fill_pattern(in, sizeof(in), 13);
	assert_int_equal(sim_dma_write(a, pci_bus_address(b, 0) + 0x80, in,
				       sizeof(in)), 0);
	/* It landed in b's BAR. */
	assert_int_equal(sim_mmio_read(m, pci_resource_start(b, 0) + 0x80, out,
				       sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	memset(out, 0, sizeof(out));
	assert_int_equal(sim_dma_read(a, pci_bus_address(b, 0) + 0x80, out,
				      sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	sim_dma_stats_get(m, &st);
	assert_int_equal(st.p2p_accesses, 2);
	/* Below the switch, nothing reaches the root complex or dma-debug. */
	assert_int_equal(sim_report_count(m), 0);
	assert_int_equal(sim_dma_access_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_p2p_acs_redirect_with_p2p_denied_fails(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "rr", NULL);
	struct device *a = dev_of(m, "a");
	struct pci_dev *b = pdev_of(m, "b");
	unsigned char out[16];
	unsigned long before = sim_dma_access_errors(m);
	int ret;

	(void)state;
	memset(out, 0, sizeof(out));
	ret = sim_dma_read(a, pci_bus_address(b, 0), out, sizeof(out));
	expect_dma_fault(m, ret, before, "ACS redirect at sw0.dp0");
	assert_true(sim_report_find(m, SIM_REPORT_DMA_FAULT,
				    "does not forward peer-to-peer"));
	assert_true(all_bytes(out, 0xff, sizeof(out)));
	sim_machine_destroy(m);
}

static void test_p2p_acs_redirect_with_p2p_allowed_succeeds(void **state)
{
	struct sim_machine *m = p2p_machine("allow", "rr", NULL);
	struct device *a = dev_of(m, "a");
	struct pci_dev *b = pdev_of(m, "b");
	unsigned char in[32], out[32];
	struct sim_dma_stats st;

	(void)state;
	sim_dma_debug_enable(m, false);
	fill_pattern(in, sizeof(in), 14);
	assert_int_equal(sim_dma_write(a, pci_bus_address(b, 0), in, sizeof(in)), 0);
	assert_int_equal(sim_mmio_read(m, pci_resource_start(b, 0), out,
				       sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	sim_dma_stats_get(m, &st);
	assert_int_equal(st.p2p_accesses, 1);
	assert_int_equal(sim_dma_access_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_p2p_acs_set_through_config_space_redirects(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct device *a = dev_of(m, "a");
	struct pci_dev *b = pdev_of(m, "b");
	struct pci_dev *dp0 = pdev_of(m, "sw0.dp0");
	u16 pos = pci_find_ext_capability(dp0, PCI_EXT_CAP_ID_ACS);
	u32 v = 0;
	unsigned long before;

	(void)state;
	assert_int_not_equal(pos, 0);
	assert_int_equal(sim_dma_read(a, pci_bus_address(b, 0), &v, 4), 0);
	/* The kernel's pci_enable_acs() sets RR on a's ingress port. */
	assert_int_equal(pci_write_config_word(dp0, pos + PCI_ACS_CTRL,
					       PCI_ACS_SV | PCI_ACS_RR), 0);
	before = sim_dma_access_errors(m);
	expect_dma_fault(m, sim_dma_read(a, pci_bus_address(b, 0), &v, 4),
			 before, "ACS redirect at sw0.dp0");
	/* b's own ingress port has no RR: b still reaches a directly. */
	assert_int_equal(sim_dma_read(&b->dev, pci_bus_address(pdev_of(m, "a"), 0),
				      &v, 4), 0);
	assert_int_equal(pci_write_config_word(dp0, pos + PCI_ACS_CTRL, 0), 0);
	assert_int_equal(sim_dma_read(a, pci_bus_address(b, 0), &v, 4), 0);
	sim_machine_destroy(m);
}

static void test_p2p_across_root_ports_needs_hostbridge_p2p(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	unsigned char in[64], out[64];
	unsigned long before = sim_dma_access_errors(m);
	struct pci_dev *c;

	(void)state;
	fill_pattern(in, sizeof(in), 15);
	c = pdev_of(m, "c");
	expect_dma_fault(m, sim_dma_write(dev_of(m, "a"), pci_bus_address(c, 0),
					  in, sizeof(in)),
			 before, "c bar0 is reached through the root complex, and host bridge hb0 does not forward peer-to-peer");
	sim_machine_destroy(m);

	m = p2p_machine("allow", "off", NULL);
	sim_dma_debug_enable(m, false);
	c = pdev_of(m, "c");
	assert_int_equal(sim_dma_write(dev_of(m, "a"), pci_bus_address(c, 0),
				       in, sizeof(in)), 0);
	assert_int_equal(sim_mmio_read(m, pci_resource_start(c, 0), out,
				       sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* And back the other way. */
	assert_int_equal(sim_dma_read(&c->dev, pci_bus_address(pdev_of(m, "b"), 0),
				      out, 4), 0);
	assert_int_equal(sim_dma_access_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_p2p_through_root_complex_is_checked_by_dma_debug(void **state)
{
	struct sim_machine *m = p2p_machine("allow", "off", NULL);
	struct device *a = dev_of(m, "a");
	struct pci_dev *c = pdev_of(m, "c");
	dma_addr_t dma;
	u32 v = 0;

	(void)state;
	assert_int_equal(sim_dma_read(a, pci_bus_address(c, 0), &v, 4), 0);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	dma = dma_map_phys(a, pci_resource_start(c, 0), 4096, DMA_BIDIRECTIONAL,
			   DMA_ATTR_MMIO);
	assert_int_equal(dma_mapping_error(a, dma), 0);
	assert_int_equal(sim_dma_read(a, dma, &v, 4), 0);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	dma_unmap_phys(a, dma, 4096, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
	sim_machine_destroy(m);
}

static void test_dma_with_bus_mastering_disabled_fails(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct pci_dev *p = pdev_of(m, "dev0");
	struct page *page = sim_alloc_pages(m, 0);
	unsigned char in[16], out[16];
	unsigned long before = sim_dma_access_errors(m);

	(void)state;
	assert_non_null(page);
	sim_dma_debug_enable(m, false);
	memset(page_address(page), 0x11, PAGE_SIZE);
	memset(in, 0x22, sizeof(in));
	pci_clear_master(p);
	memset(out, 0x33, sizeof(out));
	expect_dma_fault(m, sim_dma_read(&p->dev, page_to_phys(page), out,
					 sizeof(out)),
			 before, "bus mastering is disabled");
	/* A failed read completes with all ones, whatever stopped it. */
	assert_true(all_bytes(out, 0xff, sizeof(out)));
	expect_dma_fault(m, sim_dma_write(&p->dev, page_to_phys(page), in,
					  sizeof(in)),
			 before + 1, "bus mastering is disabled");
	/* The write did not land. */
	assert_true(all_bytes(page_address(page), 0x11, PAGE_SIZE));
	pci_set_master(p);
	assert_int_equal(sim_dma_read(&p->dev, page_to_phys(page), out,
				      sizeof(out)), 0);
	assert_true(all_bytes(out, 0x11, sizeof(out)));
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

static void test_dma_from_function_in_d3hot_fails(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct pci_dev *p = pdev_of(m, "dev0");
	unsigned long before = sim_dma_access_errors(m);
	u32 v;

	(void)state;
	sim_dma_debug_enable(m, false);
	assert_int_equal(pci_set_power_state(p, PCI_D3hot), 0);
	expect_dma_fault(m, sim_dma_read(&p->dev, 32 * SZ_1M, &v, 4), before,
			 "the function is in D3hot");
	assert_int_equal(pci_set_power_state(p, PCI_D0), 0);
	assert_int_equal(sim_dma_read(&p->dev, 32 * SZ_1M, &v, 4), 0);
	sim_machine_destroy(m);
}

static void test_dma_to_bar_not_decoding_fails(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct pci_dev *b = pdev_of(m, "b");
	unsigned long before = sim_dma_access_errors(m);
	u32 v = 0x12345678;

	(void)state;
	set_command(b, 0, PCI_COMMAND_MEMORY);
	expect_dma_fault(m, sim_dma_write(dev_of(m, "a"), pci_bus_address(b, 0),
					  &v, 4),
			 before, "b bar0 (peer-to-peer below the switch) is not decoding: memory disabled");
	set_command(b, PCI_COMMAND_MEMORY, 0);
	assert_int_equal(pci_set_power_state(b, PCI_D3hot), 0);
	expect_dma_fault(m, sim_dma_write(dev_of(m, "a"), pci_bus_address(b, 0),
					  &v, 4),
			 before + 1, "is not decoding: memory enabled, D3hot");
	sim_machine_destroy(m);
}

static void test_dma_beyond_dma_bits_fails(void **state)
{
	struct sim_machine *m = p2p_machine("deny", "off", NULL);
	struct device *low = dev_of(m, "low");
	unsigned long before = sim_dma_access_errors(m);
	unsigned char buf[32];

	(void)state;
	sim_dma_debug_enable(m, false);
	assert_int_equal(sim_device_dma_bits(low), 32);
	expect_dma_fault(m, sim_dma_read(low, SZ_4G, buf, sizeof(buf)), before,
			 "the device generates only 32-bit addresses");
	/* Straddling the 4G line is just as bad. */
	expect_dma_fault(m, sim_dma_read(low, SZ_4G - 16, buf, sizeof(buf)),
			 before + 1, "only 32-bit addresses");
	/* Below it, RAM answers. */
	assert_int_equal(sim_dma_read(low, 32 * SZ_1M, buf, sizeof(buf)), 0);
	sim_machine_destroy(m);
}

static void test_dma_to_unassigned_address_is_master_abort(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct device *dev = dev_of(m, "dev0");
	unsigned long before = sim_dma_access_errors(m);
	unsigned char buf[64];

	(void)state;
	memset(buf, 0, sizeof(buf));
	expect_dma_fault(m, sim_dma_read(dev, 0x60000000, buf, sizeof(buf)),
			 before, "master abort: no RAM or BAR answers at bus address 0x60000000");
	assert_true(all_bytes(buf, 0xff, sizeof(buf)));
	/* Running off the end of RAM: the second TLP aborts. */
	expect_dma_fault(m, sim_dma_write(dev, SZ_4G + 128 * SZ_1M - 32, buf,
					  sizeof(buf)),
			 before + 1, "no RAM or BAR answers");
	sim_machine_destroy(m);
}

static void test_dma_wrapping_range_fails(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	unsigned long before = sim_dma_access_errors(m);
	unsigned char buf[32];

	(void)state;
	expect_dma_fault(m, sim_dma_read(dev_of(m, "dev0"), ~0ULL - 15, buf,
					 sizeof(buf)),
			 before, "wraps around the address space");
	sim_machine_destroy(m);
}

static void test_dma_of_zero_length_does_nothing(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct pci_dev *p = pdev_of(m, "dev0");
	struct sim_dma_stats st;

	(void)state;
	assert_int_equal(sim_dma_read(&p->dev, 0x60000000, NULL, 0), 0);
	assert_int_equal(sim_dma_write(&p->dev, ~0ULL, NULL, 0), 0);
	pci_clear_master(p);
	assert_int_equal(sim_dma_read(&p->dev, 32 * SZ_1M, NULL, 0), 0);
	sim_dma_stats_get(m, &st);
	assert_int_equal(st.dev_reads + st.dev_writes, 0);
	assert_int_equal(sim_dma_access_errors(m), 0);
	assert_int_equal(sim_report_count(m), 0);
	sim_machine_destroy(m);
}

static void test_dma_bad_arguments_are_einval(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	unsigned char buf[8];

	(void)state;
	assert_int_equal(sim_dma_read(NULL, 32 * SZ_1M, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sim_dma_write(NULL, 32 * SZ_1M, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sim_dma_read(dev_of(m, "dev0"), 32 * SZ_1M, NULL, 8),
			 -EINVAL);
	/* Only endpoints master the bus here. */
	assert_int_equal(sim_dma_read(dev_of(m, "rp0"), 32 * SZ_1M, buf,
				      sizeof(buf)), -EINVAL);
	assert_int_equal(sim_dma_access_errors(m), 0);
	assert_int_equal(sim_report_count(m), 0);
	sim_machine_destroy(m);
}

static void test_dma_beyond_hostbridge_dma_limit_fails(void **state)
{
	struct sim_machine *m = machine_from(
		"machine ram=256M ram-below-4g=128M\nswiotlb size=4M\n"
		"hostbridge id=hb0 dma-limit=64M\nrootport id=rp0 bus=hb0\n"
		"pcidev id=d0 bus=rp0\n");
	struct device *d0 = dev_of(m, "d0");
	unsigned long before = sim_dma_access_errors(m);
	u32 v;

	(void)state;
	sim_dma_debug_enable(m, false);
	assert_int_equal(sim_dma_read(d0, 64 * SZ_1M - 4, &v, 4), 0);
	expect_dma_fault(m, sim_dma_read(d0, 64 * SZ_1M - 2, &v, 4), before,
			 "beyond the DMA limit 0x3ffffff of host bridge hb0");
	sim_machine_destroy(m);
}

static void test_failed_access_is_reported_with_who_and_where(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct device *dev = dev_of(m, "dev0");
	struct sim_report r;
	char buf[8];

	(void)state;
	assert_int_equal(sim_dma_read(dev, 0x60000010, buf, 8), -EIO);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_FAULT), 1);
	assert_int_equal(sim_report_get(m, sim_report_count(m) - 1, &r), 0);
	assert_int_equal(r.kind, SIM_REPORT_DMA_FAULT);
	assert_string_equal(r.device, dev_name(dev));
	assert_int_equal(r.addr, 0x60000010);
	assert_int_equal(r.len, 8);
	assert_non_null(strstr(r.text, "(dev0)"));
	assert_non_null(strstr(r.text, "read from 0x60000010+8"));
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Bus offsets                                                              */
/* ------------------------------------------------------------------------ */

static void test_peer_bar_is_reached_at_its_bus_address(void **state)
{
	struct sim_machine *m = p2p_machine("allow", "off", "bus-offset=0x40000000");
	struct device *a = dev_of(m, "a");
	struct pci_dev *b = pdev_of(m, "b");
	struct pci_dev *c = pdev_of(m, "c");
	unsigned char in[16], out[16];
	unsigned long before;

	(void)state;
	sim_dma_debug_enable(m, false);
	assert_int_equal(pci_bus_address(b, 0), pci_resource_start(b, 0) - 0x40000000);
	fill_pattern(in, sizeof(in), 16);
	/* Below the switch and across root ports, the bus address works. */
	assert_int_equal(sim_dma_write(a, pci_bus_address(b, 0), in, sizeof(in)), 0);
	assert_int_equal(sim_mmio_read(m, pci_resource_start(b, 0), out,
				       sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(sim_dma_write(a, pci_bus_address(c, 0), in, sizeof(in)), 0);
	assert_int_equal(sim_mmio_read(m, pci_resource_start(c, 0), out,
				       sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* The CPU address means nothing on the bus. */
	before = sim_dma_access_errors(m);
	expect_dma_fault(m, sim_dma_write(a, pci_resource_start(b, 0), in,
					  sizeof(in)), before, "master abort");
	expect_dma_fault(m, sim_dma_write(a, pci_resource_start(c, 0), in,
					  sizeof(in)), before + 1, "master abort");
	sim_machine_destroy(m);
}

static void test_ram_is_reached_at_dram_bus_offset(void **state)
{
	struct sim_machine *m = machine_from(
		"machine ram=256M ram-below-4g=128M\nswiotlb size=4M\n"
		"hostbridge id=hb0 dram-bus-offset=0x1000000000\n"
		"rootport id=rp0 bus=hb0\npcidev id=d0 bus=rp0\n");
	struct device *d0 = dev_of(m, "d0");
	struct page *page = sim_alloc_pages(m, 0);
	unsigned char in[64];
	unsigned long before;
	phys_addr_t phys;
	dma_addr_t dma;

	(void)state;
	assert_non_null(page);
	phys = page_to_phys(page);
	fill_pattern(in, sizeof(in), 17);
	assert_int_equal(phys_to_dma(d0, phys), phys + 0x1000000000ULL);
	dma = dma_map_phys(d0, phys, sizeof(in), DMA_FROM_DEVICE, 0);
	assert_int_equal(dma_mapping_error(d0, dma), 0);
	assert_int_equal(dma, phys + 0x1000000000ULL);
	assert_int_equal(sim_dma_write(d0, dma, in, sizeof(in)), 0);
	assert_memory_equal(page_address(page), in, sizeof(in));
	assert_int_equal(sim_dma_debug_errors(m), 0);
	dma_unmap_phys(d0, dma, sizeof(in), DMA_FROM_DEVICE, 0);
	/* The CPU physical address is not where the device finds RAM. */
	sim_dma_debug_enable(m, false);
	before = sim_dma_access_errors(m);
	expect_dma_fault(m, sim_dma_write(d0, phys, in, sizeof(in)), before,
			 "master abort");
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Confidential guests                                                      */
/* ------------------------------------------------------------------------ */

static void test_confidential_guest_hides_private_pages(void **state)
{
	struct sim_machine *m = machine_from(
		"machine ram=256M ram-below-4g=128M\nswiotlb size=4M force=yes\n"
		"hostbridge id=hb0\nrootport id=rp0 bus=hb0\npcidev id=d0 bus=rp0\n");
	struct device *d0 = dev_of(m, "d0");
	struct page *page = sim_alloc_pages(m, 0);
	unsigned char in[128], out[128];
	unsigned long before = sim_dma_access_errors(m);
	phys_addr_t phys;
	dma_addr_t dma;

	(void)state;
	assert_true(sim_machine_is_confidential(m));
	assert_non_null(page);
	phys = page_to_phys(page);
	fill_pattern(in, sizeof(in), 18);
	memcpy(page_address(page), in, sizeof(in));
	/* Private memory: the device gets nothing. */
	memset(out, 0, sizeof(out));
	expect_dma_fault(m, sim_dma_read(d0, phys, out, sizeof(out)), before,
			 "is private to the confidential guest");
	assert_true(all_bytes(out, 0xff, sizeof(out)));
	/* Mapped, it is bounced through the shared pool and readable. */
	dma = dma_map_phys(d0, phys, sizeof(in), DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(d0, dma), 0);
	assert_int_not_equal(dma, phys);
	assert_true(dma < 128 * SZ_1M);
	assert_int_equal(sim_dma_read(d0, dma, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(sim_dma_access_errors(m), before + 1);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	dma_unmap_phys(d0, dma, sizeof(in), DMA_TO_DEVICE, 0);
	sim_free_pages(m, page, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Fault injection                                                          */
/* ------------------------------------------------------------------------ */

static void test_fail_nth_fails_exactly_the_nth_allocation(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	unsigned long count = sim_alloc_count(m);
	struct page *p[4];

	(void)state;
	assert_int_equal(sim_alloc_live(m), 0);
	sim_fail_nth_alloc(m, 3);
	assert_false(sim_fail_nth_triggered(m));
	p[0] = sim_alloc_pages(m, 0);
	p[1] = sim_alloc_pages(m, 0);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_false(sim_fail_nth_triggered(m));
	p[2] = sim_alloc_pages(m, 0);
	assert_null(p[2]);
	assert_true(sim_fail_nth_triggered(m));
	/* Only that one. */
	p[3] = sim_alloc_pages(m, 0);
	assert_non_null(p[3]);
	assert_true(sim_fail_nth_triggered(m));
	/* Failed allocations count too. */
	assert_int_equal(sim_alloc_count(m), count + 4);
	assert_int_equal(sim_ram_pages_allocated(m), 3);
	sim_free_pages(m, p[0], 0);
	sim_free_pages(m, p[1], 0);
	sim_free_pages(m, p[3], 0);
	sim_machine_destroy(m);
}

static void test_fail_nth_is_relative_to_now_and_rearms(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct page *p;

	(void)state;
	/* Allocations before arming do not count towards N. */
	p = sim_alloc_pages(m, 0);
	sim_free_pages(m, p, 0);
	sim_fail_nth_alloc(m, 1);
	assert_null(sim_alloc_pages_range(m, 0, 32 * SZ_1M, 64 * SZ_1M));
	assert_true(sim_fail_nth_triggered(m));
	/* Re-arming clears the triggered flag. */
	sim_fail_nth_alloc(m, 2);
	assert_false(sim_fail_nth_triggered(m));
	p = sim_alloc_pages(m, 0);
	assert_non_null(p);
	sim_free_pages(m, p, 0);
	assert_null(sim_alloc_pages(m, 0));
	assert_true(sim_fail_nth_triggered(m));
	sim_machine_destroy(m);
}

static void test_fail_nth_zero_disarms(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct page *p[3];

	(void)state;
	sim_fail_nth_alloc(m, 1);
	sim_fail_nth_alloc(m, 0);
	assert_false(sim_fail_nth_triggered(m));
	for (int i = 0; i < 3; i++) {
		p[i] = sim_alloc_pages(m, 0);
		assert_non_null(p[i]);
	}
	assert_false(sim_fail_nth_triggered(m));
	for (int i = 0; i < 3; i++)
		sim_free_pages(m, p[i], 0);
	sim_machine_destroy(m);
}

struct map_sweep {
	struct device *dev;
	struct page *page;
};

static int map_sweep_run(void *ctx)
{
	struct map_sweep *w = ctx;
	dma_addr_t dma = dma_map_phys(w->dev, page_to_phys(w->page), 512,
				      DMA_TO_DEVICE, 0);

	if (dma_mapping_error(w->dev, dma))
		return -ENOMEM;
	dma_unmap_phys(w->dev, dma, 512, DMA_TO_DEVICE, 0);
	return 0;
}

static void test_fail_nth_on_a_mapping_is_clean(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct map_sweep w = { .dev = dev_of(m, "dev0"),
			       .page = sim_alloc_pages(m, 0) };
	struct failnth fn = {
		.name = "map", .m = m, .ctx = &w, .run = map_sweep_run,
		.max = 100,
	};

	(void)state;
	assert_non_null(w.page);
	/* Sweep a map/unmap pair: every failure must leave nothing behind. */
	failnth_sweep(&fn);
	sim_free_pages(m, w.page, 0);
	assert_int_equal(machine_teardown(m, TD_CLEAN), 0);
}

/* ------------------------------------------------------------------------ */
/* Machines in parallel                                                     */
/* ------------------------------------------------------------------------ */

#define THREADS		8
#define ROUNDS		6

struct worker {
	pthread_t tid;
	unsigned int seed;
	int failed_line;	/* 0 when every check passed */
};

#define CHECK(w, cond)					\
	do {						\
		if (!(cond)) {				\
			(w)->failed_line = __LINE__;	\
			goto out;			\
		}					\
	} while (0)

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < ROUNDS && !w->failed_line; round++) {
		struct sim_machine *m = NULL;
		struct page *page = NULL;
		unsigned char in[3000], out[3000];
		struct device *dev;
		dma_addr_t dma;
		u32 v;

		m = (round % 3 == 2) ? sim_machine_default() :
			sim_machine_parse(PLATFORM_SMALL, NULL, 0);
		CHECK(w, m);
		dev = sim_device_at(m, 0);
		CHECK(w, dev);
		sim_dma_debug_enable(m, false);
		page = sim_alloc_pages(m, 0);
		CHECK(w, page);
		fill_pattern(in, sizeof(in), w->seed + (unsigned int)round);
		/* The default platform has an IOMMU: go through a mapping. */
		dma = dma_map_phys(dev, page_to_phys(page), PAGE_SIZE,
				   DMA_BIDIRECTIONAL, 0);
		CHECK(w, !dma_mapping_error(dev, dma));
		CHECK(w, sim_dma_write(dev, dma + 100, in, sizeof(in)) == 0);
		CHECK(w, !memcmp((char *)page_address(page) + 100, in, sizeof(in)));
		CHECK(w, sim_dma_read(dev, dma + 100, out, sizeof(out)) == 0);
		CHECK(w, !memcmp(in, out, sizeof(in)));
		/* One fault of its own, and nobody else's. */
		if (iommu_get_domain_for_dev(dev)) {
			CHECK(w, sim_dma_read(dev, 0xf0000000, &v, 4) == -EFAULT);
			CHECK(w, sim_iommu_faults(m) == 1);
		} else {
			CHECK(w, sim_dma_read(dev, 0xf0000000, &v, 4) == -EIO);
			CHECK(w, sim_dma_access_errors(m) == 1);
		}
		CHECK(w, sim_report_count(m) == 1);
		/* (page tables live in RAM too when there is an IOMMU) */
		CHECK(w, iommu_get_domain_for_dev(dev) ||
			 sim_ram_pages_allocated(m) == 1);
		dma_unmap_phys(dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
out:
		if (page)
			sim_free_pages(m, page, 0);
		sim_machine_destroy(m);
	}
	return NULL;
}

static void test_machines_in_parallel_threads_are_independent(void **state)
{
	struct worker w[THREADS];

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		w[i].seed = (unsigned int)i * 17 + 1;
		w[i].failed_line = 0;
		assert_int_equal(pthread_create(&w[i].tid, NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(w[i].tid, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		if (w[i].failed_line)
			fail_msg("thread %d failed the check on line %d", i,
				 w[i].failed_line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_pages_default_is_above_4g),
		cmocka_unit_test(test_alloc_pages_falls_back_below_4g),
		cmocka_unit_test(test_alloc_pages_range_honours_bounds_and_alignment),
		cmocka_unit_test(test_alloc_order_above_max_fails),
		cmocka_unit_test(test_alloc_range_without_free_ram_fails),
		cmocka_unit_test(test_alloc_range_exhaustion_and_recovery),
		cmocka_unit_test(test_double_free_is_reported_and_changes_nothing),
		cmocka_unit_test(test_wrong_order_free_is_reported_and_changes_nothing),
		cmocka_unit_test(test_free_of_another_machines_page_is_reported),
		cmocka_unit_test(test_pages_allocated_accounting),
		cmocka_unit_test(test_phys_to_virt_is_null_outside_ram),
		cmocka_unit_test(test_page_address_and_phys_round_trip),
		cmocka_unit_test(test_noncoherent_device_misses_cpu_write_until_clean),
		cmocka_unit_test(test_noncoherent_stale_read_through_dma_api),
		cmocka_unit_test(test_noncoherent_device_write_invisible_until_invalidate),
		cmocka_unit_test(test_partial_line_invalidate_writes_back_first),
		cmocka_unit_test(test_coherent_device_sees_cpu_writes_immediately),
		cmocka_unit_test(test_mmio_reads_back_while_decoding),
		cmocka_unit_test(test_mmio_fails_when_memory_decoding_is_off),
		cmocka_unit_test(test_mmio_fails_in_d3hot),
		cmocka_unit_test(test_mmio_fails_after_flr_until_reenabled),
		cmocka_unit_test(test_reset_function_restores_command_register),
		cmocka_unit_test(test_flr_needs_the_capability),
		cmocka_unit_test(test_pci_notifier_events),
		cmocka_unit_test(test_mmio_to_unassigned_address_fails),
		cmocka_unit_test(test_config_ids_are_readable),
		cmocka_unit_test(test_config_capability_lists),
		cmocka_unit_test(test_config_bad_offsets_are_rejected),
		cmocka_unit_test(test_config_writes_follow_register_semantics),
		cmocka_unit_test(test_dma_to_ram_reaches_memory),
		cmocka_unit_test(test_dma_with_debug_off_reports_nothing),
		cmocka_unit_test(test_p2p_below_switch_needs_no_hostbridge_p2p),
		cmocka_unit_test(test_p2p_acs_redirect_with_p2p_denied_fails),
		cmocka_unit_test(test_p2p_acs_redirect_with_p2p_allowed_succeeds),
		cmocka_unit_test(test_p2p_acs_set_through_config_space_redirects),
		cmocka_unit_test(test_p2p_across_root_ports_needs_hostbridge_p2p),
		cmocka_unit_test(test_p2p_through_root_complex_is_checked_by_dma_debug),
		cmocka_unit_test(test_dma_with_bus_mastering_disabled_fails),
		cmocka_unit_test(test_dma_from_function_in_d3hot_fails),
		cmocka_unit_test(test_dma_to_bar_not_decoding_fails),
		cmocka_unit_test(test_dma_beyond_dma_bits_fails),
		cmocka_unit_test(test_dma_to_unassigned_address_is_master_abort),
		cmocka_unit_test(test_dma_wrapping_range_fails),
		cmocka_unit_test(test_dma_of_zero_length_does_nothing),
		cmocka_unit_test(test_dma_bad_arguments_are_einval),
		cmocka_unit_test(test_dma_beyond_hostbridge_dma_limit_fails),
		cmocka_unit_test(test_failed_access_is_reported_with_who_and_where),
		cmocka_unit_test(test_peer_bar_is_reached_at_its_bus_address),
		cmocka_unit_test(test_ram_is_reached_at_dram_bus_offset),
		cmocka_unit_test(test_confidential_guest_hides_private_pages),
		cmocka_unit_test(test_fail_nth_fails_exactly_the_nth_allocation),
		cmocka_unit_test(test_fail_nth_is_relative_to_now_and_rearms),
		cmocka_unit_test(test_fail_nth_zero_disarms),
		cmocka_unit_test(test_fail_nth_on_a_mapping_is_clean),
		cmocka_unit_test(test_machines_in_parallel_threads_are_independent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
