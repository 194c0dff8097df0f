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

/* RAM pages in use, less the IOMMU's page tables (they stay after unmap). */
static unsigned long pages_in_use(struct fx *f)
{
	long pt = f->translated ? sim_iommu_pt_pages(f->dev) : 0;

	assert_true(pt >= 0);
	return sim_ram_pages_allocated(f->m) -
	       (unsigned long)pt * (f->v->granule / PAGE_SIZE);
}

static void test_slab_buffers(void **state)
{
	struct fx *f = *state;
	unsigned long before = pages_in_use(f);
	struct kslab_bufs b;
	u8 got[200];

	memset(&b, 0, sizeof(b));
	assert_int_equal(kslab_map(f->dev, &b), 0);
	/* the device reads the command block and writes its status */
	assert_int_equal(sim_dma_read(f->dev, b.cmd_dma, got, sizeof(got)), 0);
	assert_int_equal(got[0], 0xc1);
	assert_int_equal(got[1], 0);
	assert_int_equal(sim_dma_write(f->dev, b.cmd_dma + 1, "\x5c", 1), 0);
	for (int i = 0; i < 4; i++) {
		u8 v = (u8)(0x40 + i);

		assert_int_equal(sim_dma_write(f->dev, b.objs_dma[i] + 95, &v, 1),
				 0);
	}
	assert_int_equal(kslab_unmap(f->dev, &b), 0);
	/*
	 * The kmem_cache's pages went back with it; kmalloc-256 keeps its one
	 * empty slab for the next kmalloc(), as SLUB keeps a slab per cache.
	 */
	assert_int_equal(pages_in_use(f), before + 1);
	if (f->translated)
		assert_int_equal(sim_iommu_faults(f->m), 0);
}

static void test_vmalloc_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kslab_vmalloc_map(f->dev), -ENOMEM);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "rejecting DMA map of vmalloc memory"));
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

/* 7.0's struct phys_vec and the name before it are one type. */
_Static_assert(__builtin_types_compatible_p(struct phys_vec,
					   struct dma_buf_phys_vec),
	      "struct dma_buf_phys_vec is struct phys_vec");

static const struct dma_variant *const variants[] = {
	&variant_direct, &variant_x86_strict, &variant_x86_lazy,
	&variant_arm64_64k_strict, &variant_cc,
};

static const struct variant_test tests[] = {
	VARIANT_TEST(test_page_allocator),
	VARIANT_TEST(test_streaming_dma),
	VARIANT_TEST(test_slab_buffers),
	VARIANT_TEST(test_vmalloc_refused),
	VARIANT_TEST(test_no_current_machine),
};

int main(void)
{
	return variant_run_groups("kernel-src", VARIANT_TESTS(tests),
				  VARIANTS(variants), fx_setup, fx_teardown);
}
