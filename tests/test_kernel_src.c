// SPDX-License-Identifier: MIT
/*
 * Kernel-style sources (tests/kernel/, compiled with the dmastack-kernel
 * include directory alone) run on the platforms kernel developers care
 * about: x86 with a lazy and a strict IOMMU, arm64 with 64K granules,
 * dma-direct and a confidential guest. The harness creates the machine
 * (the creating thread's current machine) and plays the device.
 */
#include "variants.h"
#include "kernel/kmod.h"

struct fx {
	VARIANT_FX;
	struct device *dev;
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

static void test_page_allocator(void **state)
{
	struct fx *f = *state;
	unsigned long before = sim_ram_pages_allocated(f->m);

	assert_ptr_equal(sim_current_machine(), f->m);
	assert_int_equal(kpages_selftest(), 0);
	assert_int_equal(sim_ram_pages_allocated(f->m), before);
}

static void test_streaming_dma(void **state)
{
	struct fx *f = *state;
	struct kpages_buf b;
	u8 got[PAGE_SIZE], want[PAGE_SIZE];

	assert_int_equal(kpages_map(f->dev, &b, 11), 0);
	/* the device reads what the driver wrote, and answers */
	assert_int_equal(sim_dma_read(f->dev, b.dma, got, sizeof(got)), 0);
	for (unsigned int i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], (u8)(11 + i * 7));
	for (unsigned int i = 0; i < sizeof(want); i++)
		want[i] = (u8)(99 + i * 7);
	assert_int_equal(sim_dma_write(f->dev, b.dma, want, sizeof(want)), 0);
	assert_int_equal(kpages_unmap(f->dev, &b, 99), 0);
	if (f->translated)
		assert_int_equal(sim_iommu_faults(f->m), 0);
}

/* Without a current machine the global calls have nothing to act on. */
static void test_no_current_machine(void **state)
{
	struct fx *f = *state;

	assert_ptr_equal(sim_set_current_machine(NULL), f->m);
	assert_null(alloc_pages(GFP_KERNEL, 0));
	assert_int_equal(__get_free_pages(GFP_KERNEL, 0), 0);
	assert_null(virt_to_page(f));
	assert_null(pfn_to_page(0));
	assert_false(pfn_valid(0));
	free_pages(0, 0);
	__free_pages(NULL, 0);
	assert_null(sim_set_current_machine(f->m));
	/* an address that is not RAM is not a page; freeing it is a BUG */
	assert_null(virt_to_page(f));
	assert_false(virt_addr_valid(f));
	free_pages((unsigned long)f, 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_BUG,
				    "is not the address of RAM"));
	/* the one BUG was provoked: end the fixture here */
	assert_int_equal(machine_teardown_allowed(f->m, TD_CLEAN, 1, 0), 0);
	free(f);
	*state = NULL;
}

static const struct dma_variant *const variants[] = {
	&variant_direct, &variant_x86_strict, &variant_x86_lazy,
	&variant_arm64_64k_strict, &variant_cc,
};

static const struct variant_test tests[] = {
	VARIANT_TEST(test_page_allocator),
	VARIANT_TEST(test_streaming_dma),
	VARIANT_TEST(test_no_current_machine),
};

int main(void)
{
	return variant_run_groups("kernel-src", VARIANT_TESTS(tests),
				  VARIANTS(variants), fx_setup, fx_teardown);
}
