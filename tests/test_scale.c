// SPDX-License-Identifier: MIT
/*
 * Platforms as big as real ones (issue 14, scale): RAM up to phys-bits
 * that costs host memory only where used, several PCI segments, SR-IOV
 * virtual functions, and a parser that stays O(n log n) on large text.
 */
#include "helpers.h"
#include <dmastack/sim-topology.h>

/* ---------------------------------------------------------- sparse RAM --- */

/*
 * 64 TiB of RAM described: no memmap exists for RAM nobody touched, and a
 * page near the top costs one section's memmap and one chunk of the
 * section table, no more.
 */
static void test_ram_64t_is_sparse(void **state)
{
	struct sim_machine *small, *m;
	unsigned long small_secs, secs, chunks, secs2, chunks2;
	phys_addr_t top;
	struct page *pg;
	u8 *va;

	(void)state;
	small = machine_from("machine name=s ram=4G ram-below-4g=2G\n");
	small_secs = sim_ram_memmap_sections(small, NULL);
	sim_machine_destroy(small);

	m = machine_from("machine name=big ram=64T ram-below-4g=2G phys-bits=48\n");
	assert_int_equal(sim_ram_size(m), 64ULL << 40);
	/* what boot touched (firmware, swiotlb) does not grow with RAM */
	secs = sim_ram_memmap_sections(m, &chunks);
	assert_int_equal(secs, small_secs);
	assert_true(chunks <= 2);

	top = SZ_4G + (64ULL << 40) - 2 * SZ_1G;
	pg = sim_alloc_pages_range(m, 0, top - SZ_4M, top);
	assert_non_null(pg);
	assert_true(page_to_phys(pg) >= top - SZ_4M);
	assert_true(page_to_phys(pg) < top);
	va = sim_phys_to_virt(m, page_to_phys(pg));
	assert_non_null(va);
	memset(va, 0xa5, PAGE_SIZE);
	assert_int_equal(va[PAGE_SIZE - 1], 0xa5);
	secs2 = sim_ram_memmap_sections(m, &chunks2);
	assert_int_equal(secs2, secs + 1);
	assert_int_equal(chunks2, chunks + 1);
	sim_free_pages(m, pg, 0);
	/* the memmap stays (as SPARSEMEM's), nothing more is made */
	assert_int_equal(sim_ram_memmap_sections(m, NULL), secs2);
	sim_machine_destroy(m);
}

/* The RAM limit is the machine's physical address width. */
static void test_ram_cap_is_phys_bits(void **state)
{
	struct sim_machine *m;

	(void)state;
	expect_platform_error("machine name=b ram=64T phys-bits=46\n",
			      "does not fit 46 physical address bits");
	m = machine_from("machine name=b ram=32T ram-below-4g=2G phys-bits=46\n");
	assert_int_equal(sim_ram_size(m), 32ULL << 40);
	sim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram_64t_is_sparse),
		cmocka_unit_test(test_ram_cap_is_phys_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
