// SPDX-License-Identifier: MIT
/*
 * The slab allocator on machine RAM (kmalloc, kmem_cache, kvmalloc) and
 * vmalloc: sizes and alignment, the memory being RAM a device can reach,
 * zeroing, krealloc, every misuse SLUB reports (double free, a pointer
 * inside an object, memory that is not kmalloc's, the wrong cache, a cache
 * destroyed with objects), the pages slabs hold, gfp flags the kernel fixes up, vmalloc outside
 * the linear map, a fail-Nth sweep, threads, and a machine destroyed with
 * objects still allocated.
 */
#include <pthread.h>
#include "failnth.h"

#define SLAB_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0 dma-bits=64\n"

static int setup(void **state)
{
	*state = machine_from(SLAB_PLATFORM);
	return 0;
}

static int teardown(void **state)
{
	return machine_teardown(*state, TD_CLEAN);
}

static unsigned long bugs(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_BUG);
}

static void test_sizes_and_alignment(void **state)
{
	struct sim_machine *m = *state;
	static const size_t sizes[] = {
		1, 8, 9, 16, 33, 64, 65, 96, 100, 128, 192, 200, 256, 500,
		1024, 2000, 4096, 5000, 8192,
	};

	assert_ptr_equal(kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	assert_int_equal(ksize(NULL), 0);
	assert_int_equal(ksize(ZERO_SIZE_PTR), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		u8 *p = kmalloc(n, GFP_KERNEL);
		size_t k;

		assert_non_null(p);
		k = ksize(p);
		assert_true(k >= n && k <= 8192);
		/* power-of-two classes are naturally aligned */
		if (!(k & (k - 1)))
			assert_int_equal((uintptr_t)p % k, 0);
		else
			assert_int_equal((uintptr_t)p % 8, 0);
		/* RAM of the machine, in its linear map */
		assert_non_null(virt_to_page(p + n - 1));
		assert_true(virt_addr_valid(p));
		memset(p, 0xa5, n);
		kfree(p);
	}
	/* above 8K: whole pages */
	{
		u8 *p = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);

		assert_non_null(p);
		assert_int_equal(ksize(p), 4 * PAGE_SIZE);
		assert_ptr_equal(page_address(virt_to_page(p)), p);
		kfree(p);
	}
	assert_null(kmalloc(PAGE_SIZE << 11, GFP_KERNEL));
	assert_int_equal(bugs(m), 0);
}

static void test_objects_distinct(void **state)
{
	struct sim_machine *m = *state;
	unsigned long before = sim_ram_pages_allocated(m);
	enum { N = 1000 };
	u8 *p[N];

	for (int i = 0; i < N; i++) {
		p[i] = kmalloc(64, GFP_KERNEL);
		assert_non_null(p[i]);
		memset(p[i], i & 0xff, 64);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < 64; j++)
			assert_int_equal(p[i][j], i & 0xff);
	/* 64 objects a page: 16 pages */
	assert_int_equal(sim_ram_pages_allocated(m) - before, (N + 63) / 64);
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	/* the cache keeps one empty slab */
	assert_int_equal(sim_ram_pages_allocated(m) - before, 1);
}

static void test_zeroing_and_arrays(void **state)
{
	struct sim_machine *m = *state;
	u8 *p, *q;

	p = kmalloc(300, GFP_KERNEL);
	memset(p, 0xff, 300);
	kfree(p);
	/* the same object comes back, zeroed */
	q = kzalloc(300, GFP_KERNEL);
	assert_ptr_equal(q, p);
	for (int i = 0; i < 300; i++)
		assert_int_equal(q[i], 0);
	kfree(q);
	q = kcalloc(10, 30, GFP_KERNEL);
	for (int i = 0; i < 300; i++)
		assert_int_equal(q[i], 0);
	kfree(q);
	assert_null(kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	assert_null(kcalloc(SIZE_MAX / 8, 16, GFP_KERNEL));
	assert_null(kvcalloc(SIZE_MAX / 8, 16, GFP_KERNEL));
	assert_int_equal(bugs(m), 0);
}

static void test_krealloc(void **state)
{
	struct sim_machine *m = *state;
	u8 *p = krealloc(NULL, 20, GFP_KERNEL), *q;

	assert_non_null(p);
	memcpy(p, "abcdefghijklmnopqrs", 20);
	/* within its object: the same pointer */
	assert_ptr_equal(krealloc(p, 24, GFP_KERNEL), p);
	q = krealloc(p, 3000, GFP_KERNEL | __GFP_ZERO);
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_memory_equal(q, "abcdefghijklmnopqrs", 20);
	for (int i = 32; i < 3000; i++)
		assert_int_equal(q[i], 0);
	/* too large: NULL, and the old object is still the caller's */
	assert_null(krealloc(q, PAGE_SIZE << 11, GFP_KERNEL));
	assert_memory_equal(q, "abcdefghijklmnopqrs", 20);
	assert_ptr_equal(krealloc(q, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	kfree_sensitive(NULL);
	p = kmalloc(40, GFP_KERNEL);
	kfree_sensitive(p);
	assert_int_equal(bugs(m), 0);
}

static void test_misuse(void **state)
{
	struct sim_machine *m = *state;
	struct page *pg = alloc_page(GFP_KERNEL);
	u8 *p = kmalloc(100, GFP_KERNEL), *big = kmalloc(SZ_16K, GFP_KERNEL);
	void *v = vmalloc(100);
	int local;

	kfree(p + 8);
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "is not the start of an object of kmalloc-128"));
	kfree(p);
	kfree(p);
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "of kmalloc-128 is already free (double free)"));
	kfree(page_address(pg));
	kfree(&local);
	kfree(v);
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "(vmalloc memory: use vfree or kvfree)"));
	kfree(big + PAGE_SIZE);
	assert_int_equal(bugs(m), 6);
	/* none of them freed anything */
	kfree(big);
	vfree(v);
	__free_page(pg);
	vfree(&local);
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "Trying to vfree() nonexistent vm area"));
	assert_int_equal(bugs(m), 7);
	assert_int_equal(machine_teardown_allowed(m, TD_CLEAN, 7, 0), 0);
	*state = NULL;
}

static int ctor_runs;

static void obj_ctor(void *p)
{
	ctor_runs++;
	memset(p, 0x77, 40);
}

static void test_kmem_cache(void **state)
{
	struct sim_machine *m = *state;
	struct kmem_cache *c, *other;
	u8 *a, *b;

	assert_null(kmem_cache_create(NULL, 40, 0, 0, NULL));
	assert_null(kmem_cache_create("x", 0, 0, 0, NULL));
	assert_null(kmem_cache_create("x", 40, 24, 0, NULL));
	assert_null(kmem_cache_create("x", (unsigned int)(PAGE_SIZE << 11), 0,
				      0, NULL));
	c = kmem_cache_create("test-obj", 40, 0, SLAB_HWCACHE_ALIGN, obj_ctor);
	other = kmem_cache_create("other", 40, 0, SLAB_CACHE_DMA, NULL);
	assert_non_null(c);
	assert_non_null(other);
	a = kmem_cache_alloc(c, GFP_KERNEL);
	assert_int_equal(ctor_runs, 1);
	assert_int_equal(a[39], 0x77);
	assert_int_equal((uintptr_t)a % 64, 0);
	b = kmem_cache_zalloc(c, GFP_KERNEL);
	assert_int_equal(ctor_runs, 1);
	assert_int_equal(b[39], 0);
	assert_int_equal((uintptr_t)b - (uintptr_t)a, 64);
	/* GFP_DMA's zone: below 16M */
	{
		u8 *d = kmem_cache_alloc(other, GFP_KERNEL);

		assert_true(virt_to_phys(d) < SZ_16M);
		kmem_cache_free(other, d);
	}
	/* the wrong cache, and kfree() of a cache's object */
	kmem_cache_free(other, a);
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "is not an object of other"));
	kmem_cache_destroy(c);
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "kmem_cache_destroy test-obj: Slab cache still has objects (2)"));
	kfree(a);
	kmem_cache_free(c, b);
	kmem_cache_destroy(c);
	kmem_cache_destroy(other);
	kmem_cache_destroy(NULL);
	kmem_cache_free(NULL, NULL);
	assert_null(kmem_cache_alloc(NULL, GFP_KERNEL));
	assert_int_equal(machine_teardown_allowed(m, TD_CLEAN, 2, 0), 0);
	*state = NULL;
}

/*
 * sim_slab_pages(): the pages in slabs, whatever is in them; a cache keeps
 * its last empty slab, whole-page kmalloc()s are not slab pages, and a
 * destroyed cache gives its slabs back.
 */
static void test_slab_pages(void **state)
{
	struct sim_machine *m = *state;
	unsigned long base = sim_slab_pages(m), ram = sim_ram_pages_allocated(m);
	struct kmem_cache *c;
	void *objs[600], *big;
	unsigned long grown;

	assert_int_equal(sim_slab_pages(NULL), 0);
	/* 600 objects of 64 bytes: more than one slab of kmalloc-64 */
	for (int i = 0; i < 600; i++) {
		objs[i] = kmalloc(64, GFP_KERNEL);
		assert_non_null(objs[i]);
	}
	grown = sim_slab_pages(m) - base;
	assert_true(grown >= 600 * 64 / PAGE_SIZE);
	assert_int_equal(sim_ram_pages_allocated(m) - ram, grown);
	/* a whole-page kmalloc is the page allocator's, not a slab */
	big = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	assert_non_null(big);
	assert_int_equal(sim_slab_pages(m) - base, grown);
	assert_true(sim_ram_pages_allocated(m) - ram > grown);
	kfree(big);
	for (int i = 0; i < 600; i++)
		kfree(objs[i]);
	/* empty slabs go back but the last one, which the cache keeps */
	assert_true(sim_slab_pages(m) - base < grown);
	assert_true(sim_slab_pages(m) >= base);
	assert_int_equal(sim_ram_pages_allocated(m) - ram, sim_slab_pages(m) - base);
	/* a named cache's slabs are counted until it is destroyed */
	base = sim_slab_pages(m);
	c = kmem_cache_create("pages", 512, 0, 0, NULL);
	assert_non_null(c);
	objs[0] = kmem_cache_alloc(c, GFP_KERNEL);
	assert_non_null(objs[0]);
	assert_true(sim_slab_pages(m) > base);
	kmem_cache_free(c, objs[0]);
	kmem_cache_destroy(c);
	assert_int_equal(sim_slab_pages(m), base);
}

static void test_gfp(void **state)
{
	struct sim_machine *m = *state;
	u8 *d = kmalloc(100, GFP_KERNEL | GFP_DMA);
	u8 *w = kmalloc(100, GFP_KERNEL | GFP_DMA32);

	assert_non_null(d);
	assert_true(virt_to_phys(d) < SZ_16M);
	assert_non_null(w);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "Unexpected gfp: 0x"));
	kfree(d);
	kfree(w);
}

static void test_vmalloc(void **state)
{
	struct sim_machine *m = *state;
	struct device *dev = dev_of(m, "dev0");
	u8 *v = vzalloc(5000), *k;

	assert_non_null(v);
	assert_true(is_vmalloc_addr(v + 4999));
	assert_false(is_vmalloc_addr(v + 8192));
	assert_null(virt_to_page(v));
	assert_null(vmalloc_to_page(v));
	assert_false(virt_addr_valid(v));
	for (int i = 0; i < 5000; i++)
		assert_int_equal(v[i], 0);
	assert_true(dma_mapping_error(dev, dma_map_single(dev, v + 100, 64,
							  DMA_TO_DEVICE)));
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "rejecting DMA map of vmalloc memory"));
	assert_null(vmalloc(0));
	vfree(NULL);
	vfree(v);
	/* kvmalloc: small from kmalloc, large from vmalloc */
	k = kvmalloc(100, GFP_KERNEL);
	assert_false(is_vmalloc_addr(k));
	assert_non_null(virt_to_page(k));
	v = kvzalloc(SZ_1M, GFP_KERNEL);
	assert_true(is_vmalloc_addr(v));
	kvfree(k);
	kvfree(v);
	kvfree(NULL);
	assert_int_equal(bugs(m), 0);
}

/* kmalloc memory is DMA-able: map it, let the device write, unmap. */
static void test_dma_of_kmalloc(void **state)
{
	struct sim_machine *m = *state;
	struct device *dev = dev_of(m, "dev0");
	u8 *p = kmalloc(512, GFP_KERNEL);
	dma_addr_t a;

	memset(p, 1, 512);
	a = dma_map_single(dev, p, 512, DMA_BIDIRECTIONAL);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(sim_dma_write(dev, a + 10, "dev", 3), 0);
	dma_unmap_single(dev, a, 512, DMA_BIDIRECTIONAL);
	assert_memory_equal(p + 10, "dev", 3);
	kfree(p);
	assert_int_equal(sim_dma_debug_errors(m), 0);
}

/* ---- fail-Nth ------------------------------------------------------------ */

static int slab_scenario(void *ctx)
{
	struct sim_machine *m = ctx;
	struct kmem_cache *c;
	void *a, *b, *big, *v, *o1, *o2;
	int ret = 0;

	sim_set_current_machine(m);
	a = kmalloc(64, GFP_KERNEL);
	b = kzalloc(3000, GFP_KERNEL);
	big = kmalloc(SZ_64K, GFP_KERNEL);
	v = vmalloc(SZ_16K);
	c = kmem_cache_create("sweep", 200, 0, 0, NULL);
	o1 = c ? kmem_cache_alloc(c, GFP_KERNEL) : NULL;
	o2 = c ? kmem_cache_alloc(c, GFP_KERNEL) : NULL;
	if (!a || !b || !big || !v || !c || !o1 || !o2)
		ret = -ENOMEM;
	if (c) {
		kmem_cache_free(c, o1);
		kmem_cache_free(c, o2);
		kmem_cache_destroy(c);
	}
	vfree(v);
	kfree(big);
	kfree(b);
	kfree(a);
	return ret;
}

static void test_failnth(void **state)
{
	struct failnth fn = {
		.name = "slab",
		.m = *state,
		.ctx = *state,
		.run = slab_scenario,
	};

	failnth_sweep(&fn);
	/* a large kmalloc, vmalloc (2), a cache and its first slab (2) */
	assert_true(fn.count >= 6);
	/* every delivered failure made the run fail, and nothing leaked */
	assert_int_equal(fn.failed, fn.count);
}

/* ---- threads ------------------------------------------------------------- */

struct worker {
	struct sim_machine *m;
	struct kmem_cache *c;
	unsigned int seed;
	int bad;
};

/* What a thread writes into the object it holds in @slot. */
static unsigned int tag(const struct worker *w, int slot)
{
	return (unsigned int)(uintptr_t)w ^ ((unsigned int)slot << 24);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	void *held[32] = { 0 };

	sim_set_current_machine(w->m);
	for (int i = 0; i < 4000; i++) {
		unsigned int r = (w->seed = w->seed * 1103515245u + 12345u) >> 8;
		int slot = (int)(r % 32);

		if (held[slot]) {
			/* what this thread wrote is still there */
			if (*(unsigned int *)held[slot] != tag(w, slot))
				w->bad++;
			if (slot & 1)
				kmem_cache_free(w->c, held[slot]);
			else
				kfree(held[slot]);
			held[slot] = NULL;
			continue;
		}
		held[slot] = slot & 1 ? kmem_cache_alloc(w->c, GFP_KERNEL) :
					kmalloc(8 + r % 2000, GFP_KERNEL);
		if (!held[slot]) {
			w->bad++;
			continue;
		}
		*(unsigned int *)held[slot] = tag(w, slot);
	}
	for (int s = 0; s < 32; s++)
		if (held[s]) {
			if (s & 1)
				kmem_cache_free(w->c, held[s]);
			else
				kfree(held[s]);
		}
	return NULL;
}

static void test_threads(void **state)
{
	struct sim_machine *m = *state;
	struct kmem_cache *c = kmem_cache_create("threads", 48, 0, 0, NULL);
	struct worker w[4];
	pthread_t t[4];

	assert_non_null(c);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .m = m, .c = c, .seed = 7u + (unsigned)i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_fn, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	kmem_cache_destroy(c);
	assert_int_equal(bugs(m), 0);
}

/* Objects still allocated go with the machine, leaking nothing. */
static void test_destroy_with_objects(void **state)
{
	struct sim_machine *m = *state;
	struct kmem_cache *c = kmem_cache_create("left", 100, 0, 0, NULL);

	assert_non_null(kmalloc(100, GFP_KERNEL));
	assert_non_null(kmalloc(SZ_32K, GFP_KERNEL));
	assert_non_null(kmem_cache_alloc(c, GFP_KERNEL));
	assert_non_null(vmalloc(SZ_64K));
	sim_machine_destroy(m);
	*state = NULL;
	/* with no machine, the calls have nothing to act on */
	sim_set_current_machine(NULL);
	assert_null(kmalloc(8, GFP_KERNEL));
	assert_null(vmalloc(8));
	assert_null(kmem_cache_create("none", 8, 0, 0, NULL));
	assert_false(is_vmalloc_addr(&c));
	kfree(&c);
	vfree(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sizes_and_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_objects_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zeroing_and_arrays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_krealloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmem_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slab_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gfp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_of_kmalloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failnth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_objects, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
