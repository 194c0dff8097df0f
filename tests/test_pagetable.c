// SPDX-License-Identifier: MIT
/*
 * The IOMMU page-table engine (src/kernel/iommu/pt.c) and its formats.
 *
 * As the kernel's iommufd selftests do with FIXTURE_VARIANT, the same suite
 * runs once per format variant (x86_64/4K, arm64-lpae/4K, /16K, /64K), and
 * each once with tables that count their entries and once with deferred
 * freeing (the IOMMU layer's: every unmap here is followed by
 * io_pgtable_reclaim(), after which the tables are the same): every
 * test gets a fresh machine and an empty page table built by the fixture
 * from its variant, and ends by freeing the table and checking that every
 * RAM page and allocation went back and that nothing was reported.
 *
 * Every lookup is also checked against a walk of the PTEs in the machine's
 * RAM through the format's ops alone, which is what the IOMMU model does.
 */
#include <pthread.h>
#include <sched.h>
#include "failnth.h"
#include "kernel/iommu/pt.h"

#define ULL(x)	((unsigned long long)(x))
#define RW	(IOMMU_READ | IOMMU_WRITE)

struct pt_variant {
	const char *name;
	const char *format;
	unsigned long granule;
	bool lpae;		/* MMIO, NOEXEC, PRIV and write-only encodable */
	unsigned long pgsizes;	/* expected io_pgtable_pgsize_bitmap() */
	u64 seed;		/* the randomized test's */
	bool deferred;		/* io_pgtable_set_defer_free() */
};

static const struct pt_variant variants[] = {
	{ "x86_64/4K", "x86_64", SZ_4K, false,
	  SZ_4K | SZ_2M | SZ_1G, 0x5eed00000001ULL, false },
	{ "arm64-lpae/4K", "arm64-lpae", SZ_4K, true,
	  SZ_4K | SZ_2M | SZ_1G, 0x5eed00000002ULL, false },
	{ "arm64-lpae/16K", "arm64-lpae", SZ_16K, true,
	  SZ_16K | (32UL << 20), 0x5eed00000003ULL, false },
	{ "arm64-lpae/64K", "arm64-lpae", SZ_64K, true,
	  SZ_64K | (512UL << 20), 0x5eed00000004ULL, false },
	{ "x86_64/4K deferred", "x86_64", SZ_4K, false,
	  SZ_4K | SZ_2M | SZ_1G, 0x5eed00000011ULL, true },
	{ "arm64-lpae/4K deferred", "arm64-lpae", SZ_4K, true,
	  SZ_4K | SZ_2M | SZ_1G, 0x5eed00000012ULL, true },
	{ "arm64-lpae/16K deferred", "arm64-lpae", SZ_16K, true,
	  SZ_16K | (32UL << 20), 0x5eed00000013ULL, true },
	{ "arm64-lpae/64K deferred", "arm64-lpae", SZ_64K, true,
	  SZ_64K | (512UL << 20), 0x5eed00000014ULL, true },
};

struct pt_fixture {
	const struct pt_variant *v;
	struct sim_machine *m;
	struct io_pgtable *pt;
	const struct pt_format *fmt;
	u64 g;				/* granule */
	unsigned int top;		/* root level */
	u64 span[PT_MAX_LEVELS];	/* bytes one entry maps, per level */
	u64 va_limit;
	u64 oa_limit;
	u64 leaf[PT_MAX_LEVELS];	/* leaf sizes, ascending */
	unsigned int leaf_level[PT_MAX_LEVELS];
	unsigned int nleaf;
	unsigned long ram_base;		/* RAM pages in use before the table */
	long live_base;			/* machine allocations before it */
	u64 rng;
};

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

static int pt_setup(void **state)
{
	const struct pt_variant *v = *state;
	struct pt_fixture *f = calloc(1, sizeof(*f));
	char err[256] = "";

	if (!f)
		return -1;
	f->v = v;
	f->m = sim_machine_parse("machine name=pt ram=4G\n", err, sizeof(err));
	if (!f->m) {
		print_error("platform rejected: %s\n", err);
		free(f);
		return -1;
	}
	f->ram_base = sim_ram_pages_allocated(f->m);
	f->live_base = sim_alloc_live(f->m);
	f->pt = io_pgtable_alloc(f->m, v->format, v->granule);
	if (!f->pt) {
		sim_machine_destroy(f->m);
		free(f);
		return -1;
	}
	if (v->deferred && io_pgtable_set_defer_free(f->pt, true)) {
		io_pgtable_free(f->pt);
		sim_machine_destroy(f->m);
		free(f);
		return -1;
	}
	/* the thread's reader comes with its first operation, and stays */
	if (v->deferred)
		(void)io_pgtable_lookup(f->pt, 0, NULL, NULL, NULL);
	f->fmt = io_pgtable_format(f->pt);
	f->g = v->granule;
	f->top = f->fmt->levels - 1;
	f->span[0] = f->g;
	for (unsigned int l = 1; l < f->fmt->levels; l++)
		f->span[l] = f->span[l - 1] << f->fmt->bits_per_level[l - 1];
	f->va_limit = 1ULL << f->fmt->va_bits;
	f->oa_limit = 1ULL << f->fmt->oa_bits;
	for (unsigned int l = 0; l < f->fmt->levels; l++) {
		if (f->fmt->leaf_levels & (1U << l)) {
			f->leaf[f->nleaf] = f->span[l];
			f->leaf_level[f->nleaf++] = l;
		}
	}
	f->rng = v->seed;
	*state = f;
	return 0;
}

static int pt_teardown(void **state)
{
	struct pt_fixture *f = *state;

	if (!f)
		return 0;
	io_pgtable_free(f->pt);
	return fixture_teardown(f, f->m, TD_CLEAN, 0, 0);
}

static void no_empty_tables(struct pt_fixture *f);

/* Free the table: everything it held goes back and nothing was reported. */
static void pt_done(struct pt_fixture *f)
{
	no_empty_tables(f);
	io_pgtable_free(f->pt);
	f->pt = NULL;
	assert_int_equal(sim_ram_pages_allocated(f->m), f->ram_base);
	assert_int_equal(sim_alloc_live(f->m), f->live_base);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

static u64 rnd(struct pt_fixture *f)
{
	u64 x = f->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static u64 rnd_below(struct pt_fixture *f, u64 n)
{
	return rnd(f) % n;
}

/* What the format can say about @prot (lookup reports exactly this). */
static int expect_prot(const struct pt_fixture *f, int prot)
{
	int r = prot & (IOMMU_READ | IOMMU_WRITE);

	if (f->v->lpae) {
		if (prot & IOMMU_MMIO)
			r |= IOMMU_MMIO;
		else if (prot & IOMMU_CACHE)
			r |= IOMMU_CACHE;
		r |= prot & (IOMMU_NOEXEC | IOMMU_PRIV);
	} else if (prot & IOMMU_MMIO) {
		r |= IOMMU_MMIO;	/* the software bit */
	} else if (prot & IOMMU_CACHE) {
		r |= IOMMU_CACHE;
	}
	return r;
}

static unsigned long tables(struct pt_fixture *f)
{
	return io_pgtable_table_pages(f->pt);
}

/* The leaf PTE for @iova, read from RAM as the IOMMU model does. */
static bool raw_walk(struct pt_fixture *f, u64 iova, u64 *pte_out,
		     unsigned int *level_out)
{
	phys_addr_t table = io_pgtable_root(f->pt);

	for (unsigned int level = f->top;; level--) {
		const u8 *p = sim_phys_to_virt(f->m, table);
		unsigned int idx = (iova / f->span[level]) &
				   ((1U << f->fmt->bits_per_level[level]) - 1);
		u64 pte = 0;

		assert_non_null(p);
		for (int i = 7; i >= 0; i--)	/* little-endian */
			pte = pte << 8 | p[idx * 8 + i];
		if (!f->fmt->present(pte))
			return false;
		if (f->fmt->is_table(pte, level)) {
			assert_true(level > 0);
			table = f->fmt->pte_addr(pte);
			continue;
		}
		*pte_out = pte;
		*level_out = level;
		return true;
	}
}

/* The raw leaf PTE at @iova (which must be mapped). */
static u64 raw_pte(struct pt_fixture *f, u64 iova, unsigned int *level)
{
	u64 pte = 0;

	if (!raw_walk(f, iova, &pte, level))
		fail_msg("%s: iova %#llx: no PTE in RAM", f->v->name, ULL(iova));
	return pte;
}

/* @iova translates to @phys with (what the format keeps of) @prot. */
static void check_mapped(struct pt_fixture *f, u64 iova, phys_addr_t phys,
			 int prot, u64 leaf)
{
	phys_addr_t got = 0;
	size_t size = 0;
	unsigned int level;
	int gprot = 0, ret;
	u64 pte;

	ret = io_pgtable_lookup(f->pt, iova, &got, &gprot, &size);
	if (ret)
		fail_msg("%s: iova %#llx: lookup %d, expected %#llx",
			 f->v->name, ULL(iova), ret, ULL(phys));
	if (got != phys)
		fail_msg("%s: iova %#llx -> %#llx, expected %#llx",
			 f->v->name, ULL(iova), ULL(got), ULL(phys));
	if (gprot != expect_prot(f, prot))
		fail_msg("%s: iova %#llx: prot %#x, expected %#x (from %#x)",
			 f->v->name, ULL(iova), gprot, expect_prot(f, prot),
			 prot);
	if (leaf && size != leaf)
		fail_msg("%s: iova %#llx: leaf %#llx, expected %#llx",
			 f->v->name, ULL(iova), ULL(size), ULL(leaf));
	pte = raw_pte(f, iova, &level);
	assert_int_equal(f->span[level], size);
	assert_int_equal(f->fmt->pte_addr(pte) + (iova & (size - 1)), phys);
	assert_int_equal(f->fmt->pte_prot(pte), gprot);
}

static void check_unmapped(struct pt_fixture *f, u64 iova)
{
	phys_addr_t got = 0;
	unsigned int level;
	u64 pte;
	int ret = io_pgtable_lookup(f->pt, iova, &got, NULL, NULL);

	if (ret != -ENOENT)
		fail_msg("%s: iova %#llx: lookup %d (-> %#llx), expected -ENOENT",
			 f->v->name, ULL(iova), ret, ULL(got));
	assert_false(raw_walk(f, iova, &pte, &level));
}

static void map_ok(struct pt_fixture *f, u64 iova, phys_addr_t pa, u64 size,
		   int prot)
{
	int ret = io_pgtable_map(f->pt, iova, pa, size, prot);

	if (ret)
		fail_msg("%s: map %#llx+%#llx -> %#llx: %d", f->v->name,
			 ULL(iova), ULL(size), ULL(pa), ret);
}

/* The IOMMU layer's reclaim after the flush that follows an unmap. */
static void reclaim(struct pt_fixture *f)
{
	if (f->v->deferred)
		io_pgtable_reclaim(f->pt);
	else
		assert_int_equal(io_pgtable_reclaim(f->pt), 0);
}

static void unmap_expect(struct pt_fixture *f, u64 iova, u64 size, u64 bytes)
{
	size_t got = io_pgtable_unmap(f->pt, iova, size);

	if (got != bytes)
		fail_msg("%s: unmap %#llx+%#llx returned %#llx, expected %#llx",
			 f->v->name, ULL(iova), ULL(size), ULL(got), ULL(bytes));
	reclaim(f);
}

/* Every table but the root holds an entry (after reclaim, when deferred). */
static unsigned long empty_under(struct pt_fixture *f, phys_addr_t table,
				 unsigned int level, bool root)
{
	const u8 *p = sim_phys_to_virt(f->m, table);
	unsigned int n = 1U << f->fmt->bits_per_level[level];
	unsigned long empty = 0, present = 0;

	assert_non_null(p);
	for (unsigned int i = 0; i < n; i++) {
		u64 pte = 0;

		for (int b = 7; b >= 0; b--)
			pte = pte << 8 | p[i * 8 + b];
		if (!f->fmt->present(pte))
			continue;
		present++;
		if (level && f->fmt->is_table(pte, level))
			empty += empty_under(f, f->fmt->pte_addr(pte),
					     level - 1, false);
	}
	return empty + (!root && !present);
}

static void no_empty_tables(struct pt_fixture *f)
{
	unsigned long n = empty_under(f, io_pgtable_root(f->pt), f->top, true);

	if (n)
		fail_msg("%s: %lu empty tables hang in the tree", f->v->name, n);
}

/* ------------------------------------------------------------------------ */
/* Formats and the empty table                                              */
/* ------------------------------------------------------------------------ */

static void test_formats(void **state)
{
	struct pt_fixture *f = *state;
	phys_addr_t root = io_pgtable_root(f->pt);
	const u8 *r;
	unsigned int bits = f->fmt->granule_shift;

	assert_ptr_equal(pt_format_get(f->v->format, f->v->granule), f->fmt);
	assert_string_equal(f->fmt->name, f->v->format);
	assert_int_equal(1UL << f->fmt->granule_shift, f->g);
	assert_int_equal(f->fmt->va_bits, 48);
	for (unsigned int l = 0; l < f->fmt->levels; l++)
		bits += f->fmt->bits_per_level[l];
	assert_int_equal(bits, 48);
	assert_int_equal(io_pgtable_pgsize_bitmap(f->pt), f->v->pgsizes);

	/* one root page, zeroed, granule-sized and aligned, in RAM */
	assert_int_equal(tables(f), 1);
	assert_int_equal(io_pgtable_table_bytes(f->pt), f->g);
	assert_int_equal(sim_ram_pages_allocated(f->m) - f->ram_base,
			 f->g / SZ_4K);
	assert_int_equal(root & (f->g - 1), 0);
	r = sim_phys_to_virt(f->m, root);
	assert_non_null(r);
	for (u64 i = 0; i < f->g; i++)
		assert_int_equal(r[i], 0);
	check_unmapped(f, 0);
	check_unmapped(f, f->va_limit - f->g);
	assert_int_equal(io_pgtable_lookup(f->pt, f->va_limit, NULL, NULL,
					   NULL), -ENOENT);
	assert_int_equal(io_pgtable_lookup(f->pt, ~0ULL, NULL, NULL, NULL),
			 -ENOENT);

	/* the format table */
	assert_non_null(pt_format_get("x86_64", SZ_4K));
	assert_null(pt_format_get("x86_64", SZ_16K));
	assert_null(pt_format_get("x86_64", SZ_64K));
	assert_null(pt_format_get("x86_64", SZ_2M));
	assert_null(pt_format_get("arm64-lpae", SZ_8K));
	assert_null(pt_format_get("arm64-lpae", 0));
	assert_null(pt_format_get("riscv", SZ_4K));
	assert_null(pt_format_get("", SZ_4K));
	assert_null(pt_format_get(NULL, SZ_4K));
	for (unsigned long g = SZ_4K; g <= SZ_64K; g <<= 1) {
		const struct pt_format *a = pt_format_get("arm64-lpae", g);

		assert_ptr_equal(pt_format_get("arm64", g), a);
		if (g == SZ_8K || g == 2 * SZ_16K)
			assert_null(a);
		else
			assert_non_null(a);
	}
	assert_null(io_pgtable_alloc(f->m, "x86_64", SZ_16K));
	assert_null(io_pgtable_alloc(f->m, "bogus", SZ_4K));
	pt_done(f);
}

static int pt_alloc_run(void *ctx)
{
	struct pt_fixture *f = ctx;

	f->pt = io_pgtable_alloc(f->m, f->v->format, f->v->granule);
	return f->pt ? 0 : -ENOMEM;
}

/* A failed run left nothing: the machine as the fixture found it. */
static void pt_alloc_check(void *ctx, unsigned long n, int ret)
{
	struct pt_fixture *f = ctx;

	if (!ret)
		return;
	assert_int_equal(sim_ram_pages_allocated(f->m), f->ram_base);
	assert_int_equal(sim_alloc_live(f->m), f->live_base);
}

/* io_pgtable_alloc under fail-Nth: NULL and nothing left, at every N. */
static void test_alloc_fail_nth(void **state)
{
	struct pt_fixture *f = *state;
	struct failnth fn = {
		.name = f->v->name, .m = f->m, .ctx = f, .run = pt_alloc_run,
		.check = pt_alloc_check, .flags = FAILNTH_UNTIL_DONE,
	};

	io_pgtable_free(f->pt);
	f->pt = NULL;
	failnth_sweep(&fn);
	assert_non_null(f->pt);
	/* every run but the last failed */
	assert_int_equal(fn.failed, fn.runs - 1);
	/* the object, the hash, the root's metadata and its page */
	assert_true(fn.runs > 4);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

/* ------------------------------------------------------------------------ */
/* map / unmap / lookup                                                     */
/* ------------------------------------------------------------------------ */

static void test_single_granule(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g;
	const u64 iovas[] = {
		0, g, 0x1234 * g, f->span[1] - g, f->span[f->top] + 5 * g,
		f->va_limit - g,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(iovas); i++) {
		u64 iova = iovas[i];
		phys_addr_t pa = (0x4321 + 3 * i) * g;

		map_ok(f, iova, pa, g, RW);
		/* a chain of one table per level */
		assert_int_equal(tables(f), f->top + 1);
		check_mapped(f, iova, pa, RW, g);
		check_mapped(f, iova + g / 2 + 3, pa + g / 2 + 3, RW, g);
		check_mapped(f, iova + g - 1, pa + g - 1, RW, g);
		if (iova)
			check_unmapped(f, iova - g);
		if (iova + g < f->va_limit)
			check_unmapped(f, iova + g);
		unmap_expect(f, iova, g, g);
		check_unmapped(f, iova);
		assert_int_equal(tables(f), 1);
		unmap_expect(f, iova, g, 0);
	}

	/* neighbours share the leaf table; unmapping one keeps it */
	map_ok(f, 0, 7 * g, g, IOMMU_READ);
	map_ok(f, g, 3 * g, g, IOMMU_WRITE);
	assert_int_equal(tables(f), f->top + 1);
	unmap_expect(f, 0, g, g);
	assert_int_equal(tables(f), f->top + 1);
	check_unmapped(f, 0);
	check_mapped(f, g, 3 * g, IOMMU_WRITE, g);
	unmap_expect(f, g, g, g);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

static void test_large_leaves(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g;
	u64 lmax = f->leaf[f->nleaf - 1], iova, pa;

	for (unsigned int i = 1; i < f->nleaf; i++) {
		u64 L = f->leaf[i], Lprev = f->leaf[i - 1];

		iova = 3 * L;
		pa = 5 * L;
		/* aligned iova and paddr: one leaf of that size */
		map_ok(f, iova, pa, L, RW);
		assert_int_equal(tables(f), 1 + f->top - f->leaf_level[i]);
		check_mapped(f, iova, pa, RW, L);
		check_mapped(f, iova + L / 2 + 123, pa + L / 2 + 123, RW, L);
		check_mapped(f, iova + L - g, pa + L - g, RW, L);
		check_unmapped(f, iova - g);
		check_unmapped(f, iova + L);
		unmap_expect(f, iova, L, L);
		assert_int_equal(tables(f), 1);

		/* paddr aligned only to the next smaller leaf: that leaf */
		map_ok(f, iova, pa + Lprev, L, RW);
		check_mapped(f, iova, pa + Lprev, RW, Lprev);
		check_mapped(f, iova + L - g, pa + Lprev + L - g, RW, Lprev);
		unmap_expect(f, iova, L, L);
		assert_int_equal(tables(f), 1);

		/* both off by a granule: granules, then Lprev leaves, granules */
		map_ok(f, iova + g, pa + g, L, RW);
		check_mapped(f, iova + g, pa + g, RW, g);
		if (Lprev > g)
			check_mapped(f, iova + Lprev - g, pa + Lprev - g, RW, g);
		check_mapped(f, iova + Lprev, pa + Lprev, RW, Lprev);
		check_mapped(f, iova + L - g, pa + L - g, RW, Lprev);
		check_mapped(f, iova + L, pa + L, RW, g);
		check_unmapped(f, iova);
		check_unmapped(f, iova + L + g);
		unmap_expect(f, iova + g, L, L);
		assert_int_equal(tables(f), 1);

		/* a misaligned paddr falls back to granules throughout */
		map_ok(f, iova, pa + g, L, RW);
		check_mapped(f, iova, pa + g, RW, g);
		check_mapped(f, iova + L / 2, pa + g + L / 2, RW, g);
		check_mapped(f, iova + L - g, pa + L, RW, g);
		unmap_expect(f, iova, L, L);
		assert_int_equal(tables(f), 1);
	}

	/* granule, largest leaf, granule */
	iova = 4 * lmax - g;
	pa = 8 * lmax - g;
	map_ok(f, iova, pa, lmax + 2 * g, IOMMU_READ);
	check_mapped(f, iova, pa, IOMMU_READ, g);
	check_mapped(f, iova + g, pa + g, IOMMU_READ, lmax);
	check_mapped(f, iova + lmax, pa + lmax, IOMMU_READ, lmax);
	check_mapped(f, iova + lmax + g, pa + lmax + g, IOMMU_READ, g);
	unmap_expect(f, iova, lmax + 2 * g, lmax + 2 * g);
	assert_int_equal(tables(f), 1);

	/* the whole leaf table worth of granules at the top of the space */
	iova = f->va_limit - f->span[1];
	map_ok(f, iova, f->span[1] + g, f->span[1], RW);
	check_mapped(f, f->va_limit - g, 2 * f->span[1], RW, g);
	unmap_expect(f, 0, f->va_limit, f->span[1]);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

static void test_prot(void **state)
{
	static const int prots[] = {
		IOMMU_READ, IOMMU_WRITE, RW,
		IOMMU_READ | IOMMU_CACHE, RW | IOMMU_CACHE,
		IOMMU_WRITE | IOMMU_CACHE, RW | IOMMU_MMIO,
		IOMMU_READ | IOMMU_MMIO | IOMMU_CACHE, RW | IOMMU_NOEXEC,
		IOMMU_READ | IOMMU_CACHE | IOMMU_NOEXEC, RW | IOMMU_PRIV,
		IOMMU_WRITE | IOMMU_PRIV | IOMMU_NOEXEC | IOMMU_MMIO,
		RW | IOMMU_CACHE | IOMMU_NOEXEC | IOMMU_PRIV,
	};
	struct pt_fixture *f = *state;
	const u64 g = f->g, L1 = f->leaf[1];
	u64 mapped = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(prots); i++) {
		u64 iova = 2 * L1 * (i + 1);
		phys_addr_t pa = 16 * L1 * (i + 1);
		int prot = prots[i];

		map_ok(f, iova, pa + g, g, prot);
		check_mapped(f, iova, pa + g, prot, g);
		map_ok(f, iova + L1, pa + L1, L1, prot);
		check_mapped(f, iova + L1, pa + L1, prot, L1);
		/* a split keeps the protection */
		unmap_expect(f, iova + L1, g, g);
		check_mapped(f, iova + L1 + g, pa + L1 + g, prot, g);
		check_mapped(f, iova + 2 * L1 - g, pa + 2 * L1 - g, prot, g);
		mapped += L1;
	}
	if (f->v->lpae) {
		/* everything round-trips but CACHE under MMIO */
		assert_int_equal(expect_prot(f, IOMMU_WRITE | IOMMU_PRIV |
					     IOMMU_NOEXEC | IOMMU_MMIO),
				 IOMMU_WRITE | IOMMU_PRIV | IOMMU_NOEXEC |
				 IOMMU_MMIO);
	} else {
		assert_int_equal(expect_prot(f, RW | IOMMU_MMIO | IOMMU_NOEXEC |
					     IOMMU_PRIV), RW | IOMMU_MMIO);
	}
	unmap_expect(f, 0, f->va_limit, mapped);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

/* The PTE bits themselves: what the IOMMU model decodes. */
static void test_encoding(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, L1 = f->leaf[1];
	const u8 *root = sim_phys_to_virt(f->m, io_pgtable_root(f->pt));
	u64 addr_mask = ((1ULL << f->fmt->oa_bits) - 1) & ~(g - 1);
	phys_addr_t pa0 = 0x40 * L1 + 5 * g, pa1 = 0x80 * L1;
	unsigned int level;
	u64 pte, root0 = 0;

	map_ok(f, 0, pa0, g, RW | IOMMU_CACHE);
	map_ok(f, L1, pa1, L1, IOMMU_READ | IOMMU_MMIO);
	map_ok(f, 2 * L1, pa0 + g, g, IOMMU_WRITE);
	map_ok(f, 2 * L1 + g, pa0 + 2 * g, g, IOMMU_READ | IOMMU_NOEXEC);
	map_ok(f, 2 * L1 + 2 * g, pa0 + 3 * g, g, RW | IOMMU_PRIV);
	map_ok(f, 2 * L1 + 3 * g, pa0 + 4 * g, g, RW);

	for (int i = 7; i >= 0; i--)
		root0 = root0 << 8 | root[i];
	assert_true(f->fmt->present(root0));
	assert_true(f->fmt->is_table(root0, f->top));
	assert_false(f->fmt->is_table(root0, 0));
	assert_non_null(sim_phys_to_virt(f->m, f->fmt->pte_addr(root0)));

	if (!f->v->lpae) {
		/* R|W table entry, PS clear */
		assert_int_equal(root0 & ~addr_mask, 0x3);
		pte = raw_pte(f, 0, &level);
		assert_int_equal(level, 0);
		assert_int_equal(pte, pa0 | 0x3 | (1ULL << 11));
		pte = raw_pte(f, L1, &level);
		assert_int_equal(level, 1);
		assert_int_equal(pte, pa1 | 0x1 | (1ULL << 7) | (1ULL << 52));
		assert_int_equal(raw_pte(f, 2 * L1, &level), (pa0 + g) | 0x2);
		assert_int_equal(raw_pte(f, 2 * L1 + g, &level),
				 (pa0 + 2 * g) | 0x1);
		assert_int_equal(raw_pte(f, 2 * L1 + 2 * g, &level),
				 (pa0 + 3 * g) | 0x3);
		assert_int_equal(raw_pte(f, 2 * L1 + 3 * g, &level),
				 (pa0 + 4 * g) | 0x3);
	} else {
		const u64 valid = 1, tbl = 2, unpriv = 1ULL << 6;
		const u64 rdonly = 1ULL << 7, sh_is = 3ULL << 8;
		const u64 sh_os = 2ULL << 8, af = 1ULL << 10;
		const u64 xn = 3ULL << 53, noread = 1ULL << 55;

		assert_int_equal(root0 & ~addr_mask, valid | tbl);
		/* page descriptor, normal cacheable (AttrIndx 0) */
		pte = raw_pte(f, 0, &level);
		assert_int_equal(level, 0);
		assert_int_equal(pte, pa0 | valid | tbl | (0 << 2) | unpriv |
				 sh_is | af);
		/* block descriptor, device (AttrIndx 1), read-only */
		pte = raw_pte(f, L1, &level);
		assert_int_equal(level, 1);
		assert_int_equal(pte, pa1 | valid | (1 << 2) | unpriv | rdonly |
				 sh_os | af);
		/* write-only: software no-read bit; non-cacheable (2) */
		assert_int_equal(raw_pte(f, 2 * L1, &level),
				 (pa0 + g) | valid | tbl | (2 << 2) | unpriv |
				 sh_os | af | noread);
		assert_int_equal(raw_pte(f, 2 * L1 + g, &level),
				 (pa0 + 2 * g) | valid | tbl | (2 << 2) |
				 unpriv | rdonly | sh_os | af | xn);
		/* privileged: AP[1] clear */
		assert_int_equal(raw_pte(f, 2 * L1 + 2 * g, &level),
				 (pa0 + 3 * g) | valid | tbl | (2 << 2) |
				 sh_os | af);
		assert_int_equal(raw_pte(f, 2 * L1 + 3 * g, &level),
				 (pa0 + 4 * g) | valid | tbl | (2 << 2) |
				 unpriv | sh_os | af);
	}
	unmap_expect(f, 0, 4 * L1, L1 + 5 * g);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

static void test_einval(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, top = ~0ULL - g + 1;
	const struct { u64 iova, pa, size; int prot; } bad[] = {
		{ g / 2, 0, g, RW },			/* unaligned iova */
		{ 0, g / 2, g, RW },			/* unaligned paddr */
		{ 0, 0, g + g / 2, RW },		/* unaligned size */
		{ 0, 0, g / 2, RW },			/* below a granule */
		{ 0, 0, 0, RW },			/* empty */
		{ f->va_limit - g, 0, 2 * g, RW },	/* beyond the input */
		{ f->va_limit, 0, g, RW },
		{ top, 0, 2 * g, RW },			/* wraps */
		{ g, 0, top, RW },			/* size wraps */
		{ 0, f->oa_limit - g, 2 * g, RW },	/* beyond the output */
		{ 0, top, 2 * g, RW },			/* paddr wraps */
		{ 0, 0, g, 0 },				/* no access */
		{ 0, 0, g, IOMMU_CACHE },
		{ 0, 0, g, IOMMU_NOEXEC | IOMMU_MMIO | IOMMU_PRIV },
	};
	unsigned long ram = sim_ram_pages_allocated(f->m);
	long live = sim_alloc_live(f->m);

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = io_pgtable_map(f->pt, bad[i].iova, bad[i].pa,
					 bad[i].size, bad[i].prot);

		if (ret != -EINVAL)
			fail_msg("%s: bad map #%u returned %d", f->v->name, i,
				 ret);
		assert_int_equal(tables(f), 1);
		assert_int_equal(sim_ram_pages_allocated(f->m), ram);
		assert_int_equal(sim_alloc_live(f->m), live);
		check_unmapped(f, 0);
	}

	/* paddr 0 and the very top of both ranges are fine */
	map_ok(f, 0, 0, 2 * g, RW);
	map_ok(f, f->va_limit - g, f->oa_limit - g, g, RW);
	check_mapped(f, f->va_limit - g, f->oa_limit - g, RW, g);

	/* a bad unmap unmaps nothing */
	unmap_expect(f, g / 2, g, 0);
	unmap_expect(f, 0, g / 2, 0);
	unmap_expect(f, 0, g + 1, 0);
	unmap_expect(f, 0, 0, 0);
	unmap_expect(f, f->va_limit - g, 2 * g, 0);
	unmap_expect(f, top, 2 * g, 0);
	unmap_expect(f, g, top, 0);
	check_mapped(f, 0, 0, RW, g);
	check_mapped(f, g, g, RW, g);
	check_mapped(f, f->va_limit - g, f->oa_limit - g, RW, g);
	assert_int_equal(io_pgtable_lookup(f->pt, f->va_limit, NULL, NULL,
					   NULL), -ENOENT);
	unmap_expect(f, 0, f->va_limit, 3 * g);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

static void test_eexist(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, L1 = f->leaf[1], lmax = f->leaf[f->nleaf - 1];
	const u64 base = 4 * L1, A = base + 8 * g, B = 8 * L1;
	const phys_addr_t paA = 64 * L1 + 8 * g, paB = 128 * L1;
	const struct { u64 iova, size; phys_addr_t pa; } clash[] = {
		{ A, 4 * g, paA },			/* the same */
		{ A - 2 * g, 3 * g, paA },		/* over the start */
		{ A + 3 * g, 3 * g, paA },		/* over the end */
		{ A - 8 * g, 16 * g, paA },		/* around it */
		{ A + g, g, paA },			/* inside */
		{ base, L1, 256 * L1 },			/* a leaf over its table */
		{ 0, 8 * L1, g },			/* many tables, granules */
		{ base - L1, 3 * L1, 256 * L1 },	/* a leaf first, then */
		{ B + 5 * g, g, g },			/* inside a large leaf */
		{ B - g, 2 * g, g },			/* into its start */
		{ B + L1 - g, 2 * g, g },		/* out of its end */
		{ B - L1, 3 * L1, 512 * L1 },		/* around it, as leaves */
	};
	unsigned long nt, ram;

	map_ok(f, A, paA, 4 * g, RW);
	map_ok(f, B, paB, L1, IOMMU_READ);
	nt = tables(f);
	ram = sim_ram_pages_allocated(f->m);

	for (unsigned int i = 0; i < ARRAY_SIZE(clash); i++) {
		u64 iova = clash[i].iova, end = iova + clash[i].size;
		int ret = io_pgtable_map(f->pt, iova, clash[i].pa,
					 clash[i].size, IOMMU_WRITE);

		if (ret != -EEXIST)
			fail_msg("%s: clash #%u returned %d", f->v->name, i,
				 ret);
		/* nothing of it stayed */
		assert_int_equal(tables(f), nt);
		assert_int_equal(sim_ram_pages_allocated(f->m), ram);
		for (u64 a = A; a < A + 4 * g; a += g)
			check_mapped(f, a, paA + (a - A), RW, g);
		check_mapped(f, B, paB, IOMMU_READ, L1);
		check_mapped(f, B + L1 - g, paB + L1 - g, IOMMU_READ, L1);
		if (iova < A || iova >= A + 4 * g) {
			if (iova < B || iova >= B + L1)
				check_unmapped(f, iova);
		}
		if (end - g < B || end - g >= B + L1) {
			if (end - g < A || end - g >= A + 4 * g)
				check_unmapped(f, end - g);
		}
	}
	check_unmapped(f, A - g);
	check_unmapped(f, A + 4 * g);
	check_unmapped(f, B - g);
	check_unmapped(f, B + L1);

	/* into the largest leaf */
	map_ok(f, 2 * lmax, 3 * lmax, lmax, RW);
	assert_int_equal(io_pgtable_map(f->pt, 2 * lmax + lmax / 2, g,
					lmax / 2, RW), -EEXIST);
	assert_int_equal(io_pgtable_map(f->pt, 3 * lmax - g, g, 2 * g, RW),
			 -EEXIST);
	check_mapped(f, 2 * lmax + lmax / 2, 3 * lmax + lmax / 2, RW, lmax);
	check_unmapped(f, 3 * lmax);

	unmap_expect(f, 0, f->va_limit, 4 * g + L1 + lmax);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

static void test_split(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, lmax = f->leaf[f->nleaf - 1];
	const u64 lnext = f->leaf[f->nleaf - 2];
	const unsigned int lvl = f->leaf_level[f->nleaf - 1];
	const u64 iova = 2 * lmax, hole = iova + lmax / 2 + g;
	const phys_addr_t pa = 3 * lmax;
	const int prot = RW | IOMMU_CACHE | IOMMU_NOEXEC;
	const unsigned long before = 1 + f->top - lvl;

	/* one granule out of the largest leaf: split down to granules */
	map_ok(f, iova, pa, lmax, prot);
	assert_int_equal(tables(f), before);
	unmap_expect(f, hole, g, g);
	assert_int_equal(tables(f), before + lvl);
	check_unmapped(f, hole);
	check_mapped(f, hole - g, pa + lmax / 2, prot, g);
	check_mapped(f, hole + g, pa + lmax / 2 + 2 * g, prot, g);
	check_mapped(f, hole - 2 * g, pa + lmax / 2 - g, prot, lnext);
	check_mapped(f, iova, pa, prot, lnext);
	check_mapped(f, iova + lmax - g, pa + lmax - g, prot, lnext);

	/* both ends inside the leaf: each end splits its own chain */
	unmap_expect(f, iova + 3 * g, lmax - 6 * g, lmax - 7 * g);
	assert_int_equal(tables(f), f->top + lvl);
	check_mapped(f, iova, pa, prot, g);
	check_mapped(f, iova + 2 * g, pa + 2 * g, prot, g);
	check_unmapped(f, iova + 3 * g);
	check_unmapped(f, hole);
	check_unmapped(f, iova + lmax - 4 * g);
	check_mapped(f, iova + lmax - 3 * g, pa + lmax - 3 * g, prot, g);
	unmap_expect(f, iova, lmax, 6 * g);
	assert_int_equal(tables(f), 1);

	/* a piece aligned to the next leaf size: one split */
	map_ok(f, iova, pa, lmax, prot);
	unmap_expect(f, iova + lnext, lnext, lnext);
	assert_int_equal(tables(f), before + 1);
	check_mapped(f, iova, pa, prot, lnext);
	check_unmapped(f, iova + lnext);
	check_mapped(f, iova + 2 * lnext, pa + 2 * lnext, prot, lnext);
	unmap_expect(f, iova, lmax, lmax - lnext);
	assert_int_equal(tables(f), 1);

	/* a range straddling two leaves splits both */
	map_ok(f, iova, pa, 2 * lmax, prot);
	check_mapped(f, iova + lmax, pa + lmax, prot, lmax);
	unmap_expect(f, iova + lmax - g, 2 * g, 2 * g);
	check_mapped(f, iova + lmax - 2 * g, pa + lmax - 2 * g, prot, g);
	check_unmapped(f, iova + lmax - g);
	check_unmapped(f, iova + lmax);
	check_mapped(f, iova + lmax + g, pa + lmax + g, prot, g);
	check_mapped(f, iova, pa, prot, lnext);
	check_mapped(f, iova + 2 * lmax - g, pa + 2 * lmax - g, prot, lnext);
	unmap_expect(f, 0, f->va_limit, 2 * lmax - 2 * g);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

static void test_holes(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, L1 = f->leaf[1], base = 16 * L1;
	u64 total = 0;

	map_ok(f, base + 2 * g, 5 * g, 2 * g, RW);
	map_ok(f, base + 7 * g, 9 * g, g, RW);
	map_ok(f, base + L1, 7 * L1, L1, RW);
	map_ok(f, base + 3 * L1 - g, 3 * g, 2 * g, RW);	/* across the end */
	unmap_expect(f, base, 3 * L1, 4 * g + L1);
	check_unmapped(f, base + 2 * g);
	check_unmapped(f, base + 7 * g);
	check_unmapped(f, base + L1);
	check_unmapped(f, base + 3 * L1 - g);
	check_mapped(f, base + 3 * L1, 4 * g, RW, g);
	unmap_expect(f, base, 3 * L1, 0);
	unmap_expect(f, base + 3 * L1, g, g);
	assert_int_equal(tables(f), 1);

	/* nothing there at all */
	unmap_expect(f, 0, f->va_limit, 0);
	unmap_expect(f, f->span[f->top], f->span[f->top], 0);
	assert_int_equal(tables(f), 1);

	/* scattered over the whole space, unmapped in one call */
	for (unsigned int i = 0; i < 16; i++) {
		u64 iova = (f->va_limit / 16) * i + f->span[1] * i + g * i;
		u64 size = (i % 3 + 1) * g;

		map_ok(f, iova, (i + 1) * L1 + g, size, IOMMU_READ);
		total += size;
	}
	map_ok(f, 5 * f->leaf[f->nleaf - 1], 0, f->leaf[f->nleaf - 1], RW);
	total += f->leaf[f->nleaf - 1];
	unmap_expect(f, 0, f->va_limit, total);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

static void test_tables_freed(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g;
	static const unsigned int order[] = { 3, 0, 7, 5, 1, 6, 2, 4 };
	u64 iova[8];
	unsigned long peak, ram_root = sim_ram_pages_allocated(f->m);

	for (unsigned int i = 0; i < 8; i++) {
		iova[i] = (f->va_limit / 8) * i + f->span[1] * i + g * i;
		map_ok(f, iova[i], (i + 1) * 0x1000 * g, g, RW);
	}
	peak = tables(f);
	assert_true(peak >= 2 * f->top + 1);
	assert_int_equal(sim_ram_pages_allocated(f->m) - ram_root,
			 (peak - 1) * (g / SZ_4K));
	for (unsigned int k = 0; k < 8; k++) {
		unsigned long nt = tables(f);

		unmap_expect(f, iova[order[k]], g, g);
		check_unmapped(f, iova[order[k]]);
		assert_true(tables(f) <= nt);
	}
	/* the intermediate levels went too; the root stays */
	assert_int_equal(tables(f), 1);
	assert_int_equal(sim_ram_pages_allocated(f->m), ram_root);

	/* granules over several leaf tables, unmapped from the top down */
	{
		const u64 start = 5 * f->span[2] - f->span[1] - 2 * g;
		const u64 size = 3 * f->span[1] + 4 * g;
		unsigned long nt = 0;

		map_ok(f, start, g, size, RW);
		peak = tables(f);
		for (u64 a = start + size; a > start; a -= f->span[1] / 4) {
			u64 lo = a - start > f->span[1] / 4 ?
				 a - f->span[1] / 4 : start;

			nt = tables(f);
			unmap_expect(f, lo, a - lo, a - lo);
			assert_true(tables(f) <= nt);
			if (lo == start)
				break;
		}
		assert_int_equal(tables(f), 1);
		assert_true(peak > 1 + f->top);
	}

	/* whatever is left mapped, io_pgtable_free returns it (pt_done) */
	map_ok(f, 0, 0, 3 * f->leaf[f->nleaf - 1] + 5 * g, RW);
	map_ok(f, f->va_limit - f->span[1] - g, g, 2 * g, RW);
	unmap_expect(f, f->leaf[f->nleaf - 1] / 2 + g, g, g);
	assert_true(tables(f) > 1);
	pt_done(f);
}

/* ------------------------------------------------------------------------ */
/* Randomized, against a reference model                                    */
/* ------------------------------------------------------------------------ */

struct slot {
	phys_addr_t phys;
	int prot;			/* 0: not mapped */
};

struct model {
	u64 base;			/* iova of slot 0 */
	unsigned long n;
	struct slot *s;
};

static const int rand_prots[] = {
	IOMMU_READ, IOMMU_WRITE, RW, RW | IOMMU_CACHE,
	IOMMU_READ | IOMMU_CACHE, RW | IOMMU_MMIO, RW | IOMMU_NOEXEC,
	IOMMU_WRITE | IOMMU_PRIV | IOMMU_CACHE,
};

/* The lookup at slot @i (plus @off) agrees with the model. */
static void model_check(struct pt_fixture *f, struct model *md,
			unsigned long i, u64 off)
{
	u64 iova = md->base + i * f->g + off;
	struct slot *s = &md->s[i];
	phys_addr_t phys;
	size_t leaf;
	int prot;
	unsigned long first, nslots;

	if (!s->prot) {
		check_unmapped(f, iova);
		return;
	}
	check_mapped(f, iova, s->phys + off, s->prot, 0);
	assert_int_equal(io_pgtable_lookup(f->pt, iova, &phys, &prot, &leaf),
			 0);
	assert_true(leaf & io_pgtable_pgsize_bitmap(f->pt));
	/* the leaf maps only what the model has, contiguously */
	first = (ALIGN_DOWN(iova, leaf) - md->base) / f->g;
	nslots = leaf / f->g;
	assert_true(ALIGN_DOWN(iova, leaf) >= md->base);
	assert_true(first + nslots <= md->n);
	for (unsigned long k = 0; k < nslots;
	     k = (nslots > 64 && k == 0) ? nslots - 1 : k + 1) {
		struct slot *t = &md->s[first + k];

		assert_int_equal(t->prot, s->prot);
		assert_int_equal(t->phys + (i - first) * f->g,
				 s->phys + k * f->g);
	}
}

static void test_random(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, L1 = f->leaf[1], lmax = f->leaf[f->nleaf - 1];
	struct model md;
	unsigned long maps = 0, clashes = 0, unmaps = 0, lookups = 0;
	unsigned long splits_seen = 0;
	u64 unmapped = 0;

	/* two largest leaves across a boundary of the root entries */
	md.base = f->span[f->top] - lmax;
	md.n = 2 * lmax / g;
	md.s = calloc(md.n, sizeof(*md.s));
	assert_non_null(md.s);

	for (unsigned int op = 0; op < 4000; op++) {
		unsigned int c = rnd_below(f, 100);

		if (c < 45) {
			/* map */
			u64 align = g, n;
			unsigned long s0;
			unsigned int k = rnd_below(f, 20);
			phys_addr_t pa;
			bool busy = false;
			int prot = rand_prots[rnd_below(f, ARRAY_SIZE(rand_prots))];
			int ret;

			if (k < 12) {
				n = 1 + rnd_below(f, 16);
			} else if (k < 16) {
				n = 1 + rnd_below(f, 2 * L1 / g);
			} else if (k < 19) {
				align = f->leaf[1 + rnd_below(f, f->nleaf - 1)];
				if (align == lmax && rnd_below(f, 4))
					align = L1;
				n = align / g;
			} else {
				align = lmax;
				n = lmax / g;
			}
			n = min(n, md.n);
			s0 = rnd_below(f, (md.n - n) / (align / g) + 1) *
			     (align / g);
			if (rnd_below(f, 3))	/* congruent: large leaves */
				pa = rnd_below(f, 256) * 4 * lmax +
				     ((md.base + s0 * g) & (lmax - 1));
			else
				pa = rnd_below(f, 1ULL << 28) * g;
			for (u64 k2 = 0; k2 < n && !busy; k2++)
				busy = md.s[s0 + k2].prot;
			ret = io_pgtable_map(f->pt, md.base + s0 * g, pa, n * g,
					     prot);
			if (ret != (busy ? -EEXIST : 0))
				fail_msg("%s: op %u: map %#llx+%#llx: %d, expected %d",
					 f->v->name, op, ULL(md.base + s0 * g),
					 ULL(n * g), ret, busy ? -EEXIST : 0);
			if (busy) {
				clashes++;
				continue;
			}
			maps++;
			for (u64 k2 = 0; k2 < n; k2++)
				md.s[s0 + k2] = (struct slot){ pa + k2 * g, prot };
		} else if (c < 75) {
			/* unmap */
			unsigned int k = rnd_below(f, 10);
			unsigned long s0 = rnd_below(f, md.n), n;
			u64 expect = 0;
			unsigned long nt = tables(f);

			if (k < 7)
				n = 1 + rnd_below(f, 32);
			else if (k < 9)
				n = 1 + rnd_below(f, 4 * L1 / g);
			else
				n = 1 + rnd_below(f, md.n);
			n = min(n, md.n - s0);
			for (unsigned long k2 = 0; k2 < n; k2++) {
				if (md.s[s0 + k2].prot)
					expect += g;
				md.s[s0 + k2].prot = 0;
			}
			unmap_expect(f, md.base + s0 * g, n * g, expect);
			if (tables(f) > nt)
				splits_seen++;
			unmapped += expect;
			unmaps++;
		} else {
			for (unsigned int k = 0; k < 8; k++) {
				model_check(f, &md, rnd_below(f, md.n),
					    rnd_below(f, g));
				lookups++;
			}
		}
		if (op == 2000) {
			for (unsigned long i = 0; i < md.n; i++)
				model_check(f, &md, i, 0);
		}
	}
	for (unsigned long i = 0; i < md.n; i++)
		model_check(f, &md, i, (i * 977) % g);
	check_unmapped(f, md.base - g);
	check_unmapped(f, md.base + md.n * g);

	{
		u64 left = 0;

		for (unsigned long i = 0; i < md.n; i++)
			left += md.s[i].prot ? g : 0;
		unmap_expect(f, md.base, md.n * g, left);
	}
	assert_int_equal(tables(f), 1);
	print_message("%s: %lu maps, %lu -EEXIST, %lu unmaps (%llu MiB, %lu splitting), %lu lookups\n",
		      f->v->name, maps, clashes, unmaps, ULL(unmapped >> 20),
		      splits_seen, lookups);
	assert_true(maps > 100 && clashes > 10 && splits_seen > 0);
	free(md.s);
	pt_done(f);
}

/* ------------------------------------------------------------------------ */
/* Fault injection                                                          */
/* ------------------------------------------------------------------------ */

struct pt_sweep {
	struct pt_fixture *f;
	u64 iova, size;
	phys_addr_t pa;
	unsigned long nt;	/* tables before the run */
	int prot;
};

static int pt_map_run(void *ctx)
{
	struct pt_sweep *w = ctx;
	int ret;

	w->nt = tables(w->f);
	ret = io_pgtable_map(w->f->pt, w->iova, w->pa, w->size, RW);
	if (ret && ret != -ENOMEM)
		fail_msg("%s: map with an allocation failing: %d",
			 w->f->v->name, ret);
	return ret;
}

/* A failed map left no table and mapped nothing. */
static void pt_map_check(void *ctx, unsigned long n, int ret)
{
	struct pt_sweep *w = ctx;
	struct pt_fixture *f = w->f;

	if (!ret)
		return;
	assert_int_equal(tables(f), w->nt);
	check_unmapped(f, w->iova);
	check_unmapped(f, w->iova + w->size / 2);
	check_unmapped(f, w->iova + w->size - f->g);
}

/*
 * Map [@iova, +@size) with the Nth allocation failing, for every N: each
 * failure is -ENOMEM with nothing mapped and nothing allocated. Returns
 * the number of failure points (allocations) the map made.
 */
static unsigned long sweep_map(struct pt_fixture *f, u64 iova,
			       phys_addr_t pa, u64 size)
{
	struct pt_sweep w = { .f = f, .iova = iova, .pa = pa, .size = size };
	struct failnth fn = {
		.name = f->v->name, .m = f->m, .ctx = &w, .run = pt_map_run,
		.check = pt_map_check, .flags = FAILNTH_UNTIL_DONE,
	};
	unsigned long n;

	failnth_sweep(&fn);
	n = fn.runs;
	assert_int_equal(fn.failed, n - 1);
	check_mapped(f, iova, pa, RW, 0);
	check_mapped(f, iova + size / 2, pa + size / 2, RW, 0);
	check_mapped(f, iova + size - f->g, pa + size - f->g, RW, 0);
	return n - 1;
}

static void test_fail_nth_map(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g;
	unsigned long nt, points;
	u64 iova, size;

	/* across a root entry: a chain of tables on each side */
	iova = f->span[f->top] - 2 * g;
	size = 4 * g;
	nt = tables(f);
	points = sweep_map(f, iova, 7 * g, size);
	assert_int_equal(tables(f) - nt, 2 * f->top);
	assert_true(points >= 2 * 2 * f->top);
	unmap_expect(f, iova, size, size);
	assert_int_equal(tables(f), nt);

	/* 130 leaf tables of granules: the metadata hash grows too */
	map_ok(f, 5 * g, 9 * g, g, IOMMU_READ);
	iova = 64 * f->span[1] - g;
	size = 130 * f->span[1];
	nt = tables(f);
	points = sweep_map(f, iova, 8 * f->span[1] + g, size);
	assert_true(tables(f) - nt >= 131);
	/*
	 * Two allocations per table, plus the hash growing; a grown hash
	 * stays grown (it is not mapping state), so one later position is
	 * skipped and the count is exactly two per table.
	 */
	assert_int_equal(points, 2 * (tables(f) - nt));
	check_mapped(f, 5 * g, 9 * g, IOMMU_READ, g);
	unmap_expect(f, iova, size, size);
	assert_int_equal(tables(f), nt);
	print_message("%s: map sweeps: %lu failure points for %llu MiB\n",
		      f->v->name, points, ULL(size >> 20));
	pt_done(f);
}

static int pt_split_run(void *ctx)
{
	struct pt_sweep *w = ctx;
	size_t got = io_pgtable_unmap(w->f->pt, w->iova + w->f->g,
				      w->size / 2);

	reclaim(w->f);
	if (got == w->size / 2)
		return 0;
	assert_int_equal(got, 0);
	return -ENOMEM;
}

/* A failed split changed nothing: no table, the leaf still mapped. */
static void pt_split_check(void *ctx, unsigned long n, int ret)
{
	struct pt_sweep *w = ctx;
	struct pt_fixture *f = w->f;
	const u64 g = f->g, lmax = w->size, iova = w->iova;
	const phys_addr_t pa = w->pa;

	if (!ret)
		return;
	assert_int_equal(tables(f), w->nt);
	check_mapped(f, iova, pa, w->prot, lmax);
	check_mapped(f, iova + g, pa + g, w->prot, lmax);
	check_mapped(f, iova + lmax / 2 + g, pa + lmax / 2 + g, w->prot, lmax);
	check_mapped(f, iova + lmax - g, pa + lmax - g, w->prot, lmax);
}

static void test_fail_nth_split(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, lmax = f->leaf[f->nleaf - 1];
	const unsigned int lvl = f->leaf_level[f->nleaf - 1];
	const u64 iova = 2 * lmax;
	const phys_addr_t pa = 3 * lmax;
	const int prot = IOMMU_READ | IOMMU_CACHE;
	unsigned long n, nt;
	struct pt_sweep w;
	struct failnth fn = {
		.name = f->v->name, .m = f->m, .ctx = &w, .run = pt_split_run,
		.check = pt_split_check, .flags = FAILNTH_UNTIL_DONE,
	};

	map_ok(f, iova, pa, lmax, prot);
	map_ok(f, iova + lmax, g, g, RW);
	nt = tables(f);

	/* both ends inside the leaf: 2 * lvl - 1 tables */
	w = (struct pt_sweep){ .f = f, .iova = iova, .pa = pa, .size = lmax,
			       .nt = nt, .prot = prot };
	failnth_sweep(&fn);
	n = fn.runs;
	assert_int_equal(fn.failed, n - 1);
	assert_int_equal(n - 1, 2 * (2 * lvl - 1));
	assert_int_equal(tables(f), nt + 2 * lvl - 1);
	check_mapped(f, iova, pa, prot, g);
	check_unmapped(f, iova + g);
	check_unmapped(f, iova + lmax / 2);
	check_mapped(f, iova + lmax / 2 + g, pa + lmax / 2 + g, prot, g);
	check_mapped(f, iova + lmax - g, pa + lmax - g, prot,
		     f->leaf[f->nleaf - 2]);
	check_mapped(f, iova + lmax, g, RW, g);
	unmap_expect(f, iova, 2 * lmax, lmax / 2 + g);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

/* ------------------------------------------------------------------------ */
/* Page-table memory                                                        */
/* ------------------------------------------------------------------------ */

/* Tables for @size at a 4G-aligned iova with leaves at @level: root + ... */
static unsigned long expect_tables(struct pt_fixture *f, u64 size,
				   unsigned int level)
{
	unsigned long n = 1;

	for (unsigned int l = level; l < f->top; l++)
		n += DIV_ROUND_UP(size, f->span[l + 1]);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Deferred freeing and concurrent operations                               */
/* ------------------------------------------------------------------------ */

/*
 * Deferred: an unmap leaves its emptied tables for reclaim, which frees
 * exactly those still empty. Counted: they went at once, reclaim has
 * nothing to do, and the mode cannot change on a table in use.
 */
static void test_reclaim(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, L1 = f->span[1];
	const u64 a = f->va_limit / 4, b = a + L1 / 2;

	map_ok(f, a, 0, g, RW);
	assert_int_equal(tables(f), 1 + f->top);
	assert_int_equal(io_pgtable_set_defer_free(f->pt, !f->v->deferred),
			 -EBUSY);
	assert_int_equal(io_pgtable_unmap(f->pt, a, g), g);
	check_unmapped(f, a);
	if (!f->v->deferred) {
		assert_int_equal(tables(f), 1);
		assert_int_equal(io_pgtable_reclaim(f->pt), 0);
		pt_done(f);
		return;
	}
	/* still there, and reused by the next map without a new table */
	assert_int_equal(tables(f), 1 + f->top);
	map_ok(f, b, 5 * g, g, RW);
	assert_int_equal(tables(f), 1 + f->top);
	assert_int_equal(io_pgtable_reclaim(f->pt), 0);
	assert_int_equal(tables(f), 1 + f->top);
	/* a neighbour's unmap leaves the table that still holds @b */
	map_ok(f, a, 0, g, RW);
	assert_int_equal(io_pgtable_unmap(f->pt, a, g), g);
	assert_int_equal(io_pgtable_reclaim(f->pt), 0);
	check_mapped(f, b, 5 * g, RW, g);
	/* the last entry goes: so do the leaf table and those above it */
	assert_int_equal(io_pgtable_unmap(f->pt, b, g), g);
	assert_int_equal(tables(f), 1 + f->top);
	assert_int_equal(io_pgtable_reclaim(f->pt), f->top);
	assert_int_equal(tables(f), 1);
	assert_int_equal(io_pgtable_reclaim(f->pt), 0);
	/* an unmap of nothing notes nothing */
	assert_int_equal(io_pgtable_unmap(f->pt, a, g), 0);
	assert_int_equal(io_pgtable_reclaim(f->pt), 0);
	/* a big unmap over many tables: reclaim takes them all */
	map_ok(f, a, g, 4 * L1 + 3 * g, RW);	/* granule leaves */
	assert_true(tables(f) >= f->top + 5);
	assert_int_equal(io_pgtable_unmap(f->pt, a, 4 * L1 + 3 * g),
			 4 * L1 + 3 * g);
	io_pgtable_reclaim(f->pt);
	assert_int_equal(tables(f), 1);
	pt_done(f);
}

/* A thread whose reader cannot be allocated: it works under anon_lock. */
struct anon_run {
	struct pt_fixture *f;
	u64 iova;
	int map_ret, looked;
	size_t unmapped;
	bool map_failed_alloc, unmap_failed_alloc;
};

static void *anon_worker(void *arg)
{
	struct anon_run *a = arg;
	struct pt_fixture *f = a->f;
	phys_addr_t phys = 0;

	/* the first allocation of this thread's first operation: its reader */
	sim_fail_nth_alloc(f->m, 1);
	a->map_ret = io_pgtable_map(f->pt, a->iova, 7 * f->g, f->g, RW);
	a->map_failed_alloc = sim_fail_nth_triggered(f->m);
	sim_fail_nth_alloc(f->m, 1);	/* the lookup's reader too */
	a->looked = io_pgtable_lookup(f->pt, a->iova, &phys, NULL, NULL) == 0 &&
		    phys == 7 * f->g;
	sim_fail_nth_alloc(f->m, 1);
	a->unmapped = io_pgtable_unmap(f->pt, a->iova, f->g);
	a->unmap_failed_alloc = sim_fail_nth_triggered(f->m);
	sim_fail_nth_alloc(f->m, 0);
	return NULL;
}

/*
 * Deferred: a thread whose reader cannot be allocated still maps and
 * unmaps (the shared reader, under its lock), and reclaim frees what its
 * unmap emptied. (Counted tables have no readers: test_fail_nth_map walks
 * their allocations.)
 */
static void test_reader_alloc_fails(void **state)
{
	struct pt_fixture *f = *state;
	struct anon_run a = { .f = f, .iova = f->va_limit / 8 };
	long live = sim_alloc_live(f->m);
	pthread_t th;

	if (!f->v->deferred) {
		pt_done(f);
		return;
	}
	assert_int_equal(pthread_create(&th, NULL, anon_worker, &a), 0);
	pthread_join(th, NULL);
	assert_int_equal(a.map_ret, 0);
	assert_true(a.looked);
	assert_int_equal(a.unmapped, f->g);
	/* the reader was the failed allocation both times */
	assert_true(a.map_failed_alloc);
	assert_true(a.unmap_failed_alloc);
	check_unmapped(f, a.iova);
	assert_true(tables(f) > 1);	/* left for reclaim */
	reclaim(f);
	assert_int_equal(tables(f), 1);
	/* no reader was made for that thread */
	assert_int_equal(sim_alloc_live(f->m), live);
	pt_done(f);
}

#define CC_THREADS	4
#define CC_CHUNK	3	/* granules: threads share PTE lines */
#define CC_CHUNKS	(CC_THREADS * 96)
#ifdef __SANITIZE_THREAD__
#define CC_OPS		1000	/* TSan: every access is checked */
#else
#define CC_OPS		6000
#endif

struct cc_shared {
	struct pt_fixture *f;
	u64 base;		/* chunks: [base, base + CC_CHUNKS * CC_CHUNK * g) */
	u64 blocks;		/* a level-1 block per thread, in turn */
	_Atomic int done;
	_Atomic unsigned long reclaimed;
};

struct cc_thread {
	struct cc_shared *sh;
	pthread_t th;
	unsigned int id;
	u64 rng;
	unsigned long errors, maps, splits;
	char what[160];
};

static void cc_error(struct cc_thread *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->errors++) {
		va_start(ap, fmt);
		vsnprintf(t->what, sizeof(t->what), fmt, ap);
		va_end(ap);
	}
}

static u64 cc_rnd(struct cc_thread *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

/* Each thread maps, checks and unmaps only what it owns. */
static void *cc_worker(void *arg)
{
	struct cc_thread *t = arg;
	struct cc_shared *sh = t->sh;
	struct pt_fixture *f = sh->f;
	const u64 g = f->g, L1 = f->span[1];
	bool mapped[CC_CHUNKS / CC_THREADS] = { false };
	const u64 blk = sh->blocks + t->id * L1;

	for (unsigned int op = 0; op < CC_OPS && !t->errors; op++) {
		unsigned int k = (unsigned int)(cc_rnd(t) % (CC_CHUNKS / CC_THREADS));
		u64 iova = sh->base + ((u64)k * CC_THREADS + t->id) * CC_CHUNK * g;
		phys_addr_t pa = (((u64)t->id << 20) + k * CC_CHUNK) * g, got;

		if (!mapped[k]) {
			if (io_pgtable_map(f->pt, iova, pa, CC_CHUNK * g, RW))
				cc_error(t, "map %#llx failed", ULL(iova));
			mapped[k] = true;
			t->maps++;
		} else {
			if (io_pgtable_lookup(f->pt, iova + g, &got, NULL, NULL) ||
			    got != pa + g)
				cc_error(t, "lookup %#llx: %#llx, expected %#llx",
					 ULL(iova + g), ULL(got), ULL(pa + g));
			if (io_pgtable_unmap(f->pt, iova, CC_CHUNK * g) !=
			    CC_CHUNK * g)
				cc_error(t, "unmap %#llx", ULL(iova));
			if (!io_pgtable_lookup(f->pt, iova, NULL, NULL, NULL))
				cc_error(t, "%#llx mapped after its unmap", ULL(iova));
			mapped[k] = false;
		}
		if (op % 64 == 0) {
			/* a block of its own, then a granule out of it: a split
			 * next to the other threads' blocks */
			if (io_pgtable_map(f->pt, blk, 0, L1, RW) ||
			    io_pgtable_unmap(f->pt, blk + g, g) != g ||
			    io_pgtable_lookup(f->pt, blk + 2 * g, &got, NULL, NULL) ||
			    got != 2 * g ||
			    io_pgtable_unmap(f->pt, blk, L1) != L1 - g)
				cc_error(t, "block %#llx", ULL(blk));
			else
				t->splits++;
		}
	}
	for (unsigned int k = 0; k < CC_CHUNKS / CC_THREADS; k++) {
		u64 iova = sh->base + ((u64)k * CC_THREADS + t->id) * CC_CHUNK * g;

		if (mapped[k] &&
		    io_pgtable_unmap(f->pt, iova, CC_CHUNK * g) != CC_CHUNK * g)
			cc_error(t, "final unmap %#llx", ULL(iova));
	}
	return NULL;
}

/* The flush thread: reclaim while the others work. */
static void *cc_reclaimer(void *arg)
{
	struct cc_shared *sh = arg;

	while (!atomic_load(&sh->done)) {
		atomic_fetch_add(&sh->reclaimed, io_pgtable_reclaim(sh->f->pt));
		sched_yield();
	}
	return NULL;
}

/*
 * Four threads map and unmap next to each other (chunks of three granules
 * interleaved, so they share leaf tables and PTE lines, and blocks side by
 * side that they split), each checking its own translations, while another
 * thread reclaims: nothing is lost, and at the end only the root is left.
 * Both modes allow it (counted tables serialise).
 */
static void test_concurrent(void **state)
{
	struct pt_fixture *f = *state;
	struct cc_shared sh = { .f = f, .base = f->va_limit / 2 - 7 * f->g,
				.blocks = f->va_limit / 4 * 3 };
	struct cc_thread t[CC_THREADS];
	pthread_t rec;
	unsigned long maps = 0, splits = 0;

	assert_int_equal(pthread_create(&rec, NULL, cc_reclaimer, &sh), 0);
	for (unsigned int i = 0; i < CC_THREADS; i++) {
		t[i] = (struct cc_thread){ .sh = &sh, .id = i,
					   .rng = f->v->seed + i + 1 };
		assert_int_equal(pthread_create(&t[i].th, NULL, cc_worker, &t[i]), 0);
	}
	for (unsigned int i = 0; i < CC_THREADS; i++)
		pthread_join(t[i].th, NULL);
	atomic_store(&sh.done, 1);
	pthread_join(rec, NULL);
	for (unsigned int i = 0; i < CC_THREADS; i++) {
		if (t[i].errors)
			fail_msg("%s: thread %u: %lu errors, first: %s",
				 f->v->name, i, t[i].errors, t[i].what);
		maps += t[i].maps;
		splits += t[i].splits;
	}
	reclaim(f);
	assert_int_equal(tables(f), 1);
	print_message("%s: %lu maps, %lu block splits from %u threads; %lu tables reclaimed under way\n",
		      f->v->name, maps, splits, CC_THREADS,
		      atomic_load(&sh.reclaimed));
	pt_done(f);
}

static void test_memory(void **state)
{
	struct pt_fixture *f = *state;
	const u64 g = f->g, L1 = f->leaf[1], iova = SZ_4G;
	u64 small, large;

	/* 1 GiB of granules (paddr aligned to nothing larger) */
	map_ok(f, iova, 8 * SZ_1G + g, SZ_1G, RW);
	check_mapped(f, iova + SZ_1G / 2, 8 * SZ_1G + g + SZ_1G / 2, RW, g);
	small = io_pgtable_table_bytes(f->pt);
	assert_int_equal(tables(f), expect_tables(f, SZ_1G, 0));
	unmap_expect(f, iova, SZ_1G, SZ_1G);
	assert_int_equal(tables(f), 1);

	/* 1 GiB contiguous, aligned to the second leaf size only */
	map_ok(f, iova, 3 * SZ_1G + L1, SZ_1G, RW);
	check_mapped(f, iova + SZ_1G / 2, 3 * SZ_1G + L1 + SZ_1G / 2, RW, L1);
	large = io_pgtable_table_bytes(f->pt);
	assert_int_equal(tables(f), expect_tables(f, SZ_1G, 1));
	unmap_expect(f, iova, SZ_1G, SZ_1G);

	if (g == SZ_4K) {
		/* 512 leaf tables + one per level above + the root */
		assert_true(small <= 2 * SZ_1M + SZ_1M / 10);
		assert_int_equal(small, 2 * SZ_1M + 3 * SZ_4K);
		assert_true(large <= SZ_16K);
	}
	print_message("%s: 1 GiB as %llu KiB pages: %llu KiB of tables; 1 GiB as %llu MiB leaves: %llu KiB of tables\n",
		      f->v->name, ULL(g >> 10), ULL(small >> 10),
		      ULL(L1 >> 20), ULL(large >> 10));
	pt_done(f);
}

/* ------------------------------------------------------------------------ */

#define PT_TEST(fn, v) \
	cmocka_unit_test_prestate_setup_teardown(fn, pt_setup, pt_teardown, \
						 (void *)(v))

static int run_variant(const struct pt_variant *v)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_formats, v),
		PT_TEST(test_alloc_fail_nth, v),
		PT_TEST(test_single_granule, v),
		PT_TEST(test_large_leaves, v),
		PT_TEST(test_prot, v),
		PT_TEST(test_encoding, v),
		PT_TEST(test_einval, v),
		PT_TEST(test_eexist, v),
		PT_TEST(test_split, v),
		PT_TEST(test_holes, v),
		PT_TEST(test_tables_freed, v),
		PT_TEST(test_random, v),
		PT_TEST(test_fail_nth_map, v),
		PT_TEST(test_fail_nth_split, v),
		PT_TEST(test_memory, v),
		PT_TEST(test_reclaim, v),
		PT_TEST(test_concurrent, v),
		PT_TEST(test_reader_alloc_fails, v),
	};

	return cmocka_run_group_tests_name(v->name, tests, NULL, NULL);
}

int main(void)
{
	int failed = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(variants); i++)
		failed += run_variant(&variants[i]);
	return failed;
}
