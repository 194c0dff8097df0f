// SPDX-License-Identifier: MIT
/*
 * The kernel's scatterlist helpers: sg_set_buf, sg_init_marker and
 * sg_nents_for_len; the page iterators (CPU and DMA side); the mapping
 * iterator and the copies made with it; tables built from pages, appended
 * to call by call and merged by runs and by max_segment, with their chunk
 * chaining and the unwinding of a failed call; lists of fresh pages
 * (sgl_alloc_order); every bad argument; a fail-Nth sweep over the
 * allocating helpers; threads on one machine.
 */
#include <limits.h>
#include <pthread.h>
#include "failnth.h"

#define SG_PER_CHUNK	((unsigned int)(PAGE_SIZE / sizeof(struct scatterlist)))

/* A machine, and what it held when the test began (checked at the end). */
struct fx {
	struct sim_machine *m;
	long live;
	unsigned long pages;
	unsigned long bugs_expected;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->m = machine_from(PLATFORM_SMALL);
	/* the kmalloc cache sg_set_buf's test uses, made before the baseline */
	kfree(kmalloc(3000, GFP_KERNEL));
	f->live = sim_alloc_live(f->m);
	f->pages = sim_ram_pages_allocated(f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int bad = 0;

	if (sim_alloc_live(f->m) != f->live) {
		fprintf(stderr, "teardown: %ld live allocations, %ld before\n",
			sim_alloc_live(f->m), f->live);
		bad = -1;
	}
	if (sim_ram_pages_allocated(f->m) != f->pages) {
		fprintf(stderr, "teardown: %lu RAM pages, %lu before\n",
			sim_ram_pages_allocated(f->m), f->pages);
		bad = -1;
	}
	if (machine_teardown_allowed(f->m, TD_CLEAN, f->bugs_expected, 0))
		bad = -1;
	free(f);
	return bad;
}

static unsigned long warns(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_WARN);
}

static unsigned long bugs(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_BUG);
}

/* The page @n frames after @page (any distance: through the memmap). */
static struct page *nth(struct page *page, unsigned long n)
{
	struct page *p = pfn_to_page(page_to_pfn(page) + n);

	assert_non_null(p);
	return p;
}

static struct page *pages_get(unsigned int order)
{
	struct page *p = alloc_pages(GFP_KERNEL, order);

	assert_non_null(p);
	return p;
}

/* ------------------------------------------------------------------------ */
/* sg_set_buf, sg_init_marker, sg_nents_for_len                             */
/* ------------------------------------------------------------------------ */

static void test_set_buf_and_marker(void **state)
{
	struct fx *f = *state;
	struct scatterlist sg[4], arr[5];
	struct page *pg = pages_get(1);
	u8 *buf = kmalloc(3000, GFP_KERNEL);
	char host[64];

	assert_non_null(buf);
	sg_init_table(sg, 4);
	sg_set_buf(&sg[0], buf, 3000);
	assert_ptr_equal(sg_page(&sg[0]), virt_to_page(buf));
	assert_int_equal(sg[0].offset, offset_in_page(buf));
	assert_int_equal(sg[0].length, 3000);
	assert_ptr_equal(sg_virt(&sg[0]), buf);
	assert_int_equal(sg_phys(&sg[0]), virt_to_phys(buf));
	/* the second page of a block, some bytes in */
	sg_set_buf(&sg[1], (u8 *)page_address(pg) + PAGE_SIZE + 5, 7);
	assert_ptr_equal(sg_page(&sg[1]), nth(pg, 1));
	assert_int_equal(sg[1].offset, 5);
	assert_int_equal(sg_phys(&sg[1]), page_to_phys(pg) + PAGE_SIZE + 5);
	/* host memory is not the machine's: no page */
	sg_set_buf(&sg[2], host, sizeof(host));
	assert_null(sg_page(&sg[2]));
	assert_int_equal(sg[2].offset, offset_in_page(host));
	assert_int_equal(sg[2].length, sizeof(host));
	/* the end mark stays */
	sg_set_buf(&sg[3], buf + 100, 10);
	assert_true(sg_is_last(&sg[3]));
	assert_int_equal(sg_nents(sg), 4);

	memset(arr, 0, sizeof(arr));
	sg_init_marker(arr, 3);
	assert_true(sg_is_last(&arr[2]));
	assert_int_equal(sg_nents(arr), 3);
	sg_unmark_end(&arr[2]);
	sg_init_marker(arr, 5);
	assert_int_equal(sg_nents(arr), 5);
	/* marking the end of a chain link makes it a plain last entry */
	arr[1].page_link = (unsigned long)&arr[3] | SG_CHAIN;
	assert_int_equal(sg_nents(arr), 3);
	sg_mark_end(&arr[1]);
	assert_false(sg_is_chain(&arr[1]));
	assert_int_equal(sg_nents(arr), 2);
	sg_init_marker(arr, 1);
	assert_int_equal(sg_nents(arr), 1);

	kfree(buf);
	__free_pages(pg, 1);
	assert_int_equal(bugs(f->m), 0);
}

static void test_nents_for_len(void **state)
{
	struct scatterlist sg[4];
	static const unsigned int len[4] = { 100, 200, 300, 400 };
	struct sg_table sgt;
	struct scatterlist *s;
	unsigned int i;

	(void)state;
	sg_init_table(sg, 4);
	for (i = 0; i < 4; i++)
		sg[i].length = len[i];
	assert_int_equal(sg_nents_for_len(sg, 0), 0);
	assert_int_equal(sg_nents_for_len(sg, 1), 1);
	assert_int_equal(sg_nents_for_len(sg, 100), 1);
	assert_int_equal(sg_nents_for_len(sg, 101), 2);
	assert_int_equal(sg_nents_for_len(sg, 300), 2);
	assert_int_equal(sg_nents_for_len(sg, 301), 3);
	assert_int_equal(sg_nents_for_len(sg, 1000), 4);
	assert_int_equal(sg_nents_for_len(sg, 1001), -EINVAL);
	assert_int_equal(sg_nents_for_len(sg, ~0ULL), -EINVAL);
	assert_int_equal(sg_nents_for_len(NULL, 0), 0);
	assert_int_equal(sg_nents_for_len(NULL, 1), -EINVAL);

	/* across chunks, and sums past 32 bits */
	assert_int_equal(sg_alloc_table(&sgt, 300, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, s, i)
		s->length = UINT_MAX;
	assert_int_equal(sg_nents_for_len(sgt.sgl, UINT_MAX), 1);
	assert_int_equal(sg_nents_for_len(sgt.sgl, 2ULL * UINT_MAX + 1), 3);
	assert_int_equal(sg_nents_for_len(sgt.sgl, 300ULL * UINT_MAX), 300);
	assert_int_equal(sg_nents_for_len(sgt.sgl, 300ULL * UINT_MAX + 1),
			 -EINVAL);
	sg_free_table(&sgt);
}

/* ------------------------------------------------------------------------ */
/* Page iterators                                                           */
/* ------------------------------------------------------------------------ */

struct pg_step {
	unsigned int entry;
	unsigned int pgoff;
};

/* Walk @sgl with for_each_sg_page and compare with @want. */
static void check_page_walk(struct scatterlist *sgl, unsigned int nents,
			    unsigned long pgoffset, const struct pg_step *want,
			    unsigned int nwant)
{
	struct sg_page_iter piter;
	unsigned int n = 0;

	for_each_sg_page(sgl, &piter, nents, pgoffset) {
		assert_true(n < nwant);
		assert_ptr_equal(piter.sg, &sgl[want[n].entry]);
		assert_int_equal(piter.sg_pgoffset, want[n].pgoff);
		assert_ptr_equal(sg_page_iter_page(&piter),
				 nth(sg_page(piter.sg), want[n].pgoff));
		n++;
	}
	assert_int_equal(n, nwant);
	/* done stays done */
	assert_false(__sg_page_iter_next(&piter));
}

static void test_page_iter(void **state)
{
	struct fx *f = *state;
	struct page *a = pages_get(2), *b = pages_get(0), *c = pages_get(1);
	struct scatterlist sg[3];
	static const struct pg_step all[] = {
		{ 0, 0 }, { 0, 1 }, { 0, 2 }, { 2, 0 }, { 2, 1 },
	};
	struct sg_page_iter piter;
	struct sg_table sgt;
	struct scatterlist *s;
	unsigned int i, n;

	sg_init_table(sg, 3);
	/* three pages: 100 bytes in, two pages long */
	sg_set_page(&sg[0], a, 2 * PAGE_SIZE, 100);
	/* no bytes: no page */
	sg_set_page(&sg[1], b, 0, 0);
	/* an offset past the first page: that page counts as well */
	sg_set_page(&sg[2], c, 20, PAGE_SIZE + 10);

	check_page_walk(sg, 3, 0, all, 5);
	check_page_walk(sg, 3, 2, all + 2, 3);
	check_page_walk(sg, 3, 3, all + 3, 2);
	check_page_walk(sg, 3, 5, NULL, 0);
	check_page_walk(sg, 3, 1000, NULL, 0);
	check_page_walk(sg, 3, (unsigned long)UINT_MAX + 1, NULL, 0);
	/* the entry limit */
	check_page_walk(sg, 1, 0, all, 3);
	check_page_walk(sg, 2, 0, all, 3);
	check_page_walk(sg, 0, 0, NULL, 0);
	check_page_walk(NULL, 3, 0, NULL, 0);

	/* a chained table: one page an entry */
	assert_int_equal(sg_alloc_table(&sgt, 300, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, s, i)
		sg_set_page(s, nth(a, i % 4), 64, (i / 4) * 8);
	n = 0;
	for_each_sgtable_page(&sgt, &piter, 0) {
		assert_ptr_equal(sg_page_iter_page(&piter), nth(a, n % 4));
		n++;
	}
	assert_int_equal(n, 300);
	n = 0;
	for_each_sgtable_page(&sgt, &piter, 250)
		n++;
	assert_int_equal(n, 50);
	sg_free_table(&sgt);

	__free_pages(a, 2);
	__free_pages(b, 0);
	__free_pages(c, 1);
	assert_int_equal(bugs(f->m), 0);
}

static void test_dma_page_iter(void **state)
{
	struct fx *f = *state;
	struct device *dev = dev_of(f->m, "dev0");
	struct page *blk = pages_get(3);
	struct page *list[5] = { blk, nth(blk, 1), nth(blk, 3), nth(blk, 5),
				 nth(blk, 6) };
	struct sg_dma_page_iter it;
	struct sg_table sgt;
	unsigned int n;

	/* set by hand: the DMA side alone counts, nents entries of it */
	assert_int_equal(sg_alloc_table(&sgt, 3, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, blk, 5 * PAGE_SIZE, 0);
	sgt.sgl[0].dma_address = 0x10000;
	sgt.sgl[0].dma_length = 2 * PAGE_SIZE;
	sgt.sgl[1].dma_address = 0x40000;
	sgt.sgl[1].dma_length = 1;
	sgt.sgl[2].dma_address = 0x80000;
	sgt.sgl[2].dma_length = PAGE_SIZE;
	sgt.nents = 2;
	{
		static const dma_addr_t want[] = { 0x10000, 0x11000, 0x40000 };

		n = 0;
		for_each_sgtable_dma_page(&sgt, &it, 0) {
			assert_true(n < 3);
			assert_int_equal(sg_page_iter_dma_address(&it), want[n]);
			n++;
		}
		assert_int_equal(n, 3);
		n = 0;
		for_each_sg_dma_page(sgt.sgl, &it, 3, 1) {
			n++;
		}
		assert_int_equal(n, 3);	/* 0x11000, 0x40000, 0x80000 */
		assert_false(__sg_page_iter_dma_next(&it));
	}
	sg_free_table(&sgt);

	/* a real mapping: direct, so each DMA page is its CPU page */
	assert_int_equal(sg_alloc_table_from_pages(&sgt, list, 5, 0,
						   5 * PAGE_SIZE, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 3);
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), 0);
	n = 0;
	for_each_sgtable_dma_page(&sgt, &it, 0) {
		assert_true(n < 5);
		assert_int_equal(sg_page_iter_dma_address(&it),
				 page_to_phys(list[n]));
		n++;
	}
	assert_int_equal(n, 5);
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	sg_free_table(&sgt);
	__free_pages(blk, 3);
}

/* ------------------------------------------------------------------------ */
/* The mapping iterator and the copies                                      */
/* ------------------------------------------------------------------------ */

/* 5200 bytes: 96 + 104 across a page boundary, nothing, 4086 + 914. */
struct copy_list {
	struct scatterlist sg[3];
	struct page *a, *b;
	u8 *where[2];		/* CPU addresses of the two runs */
};

#define COPY_TOTAL	5200

static void copy_list_make(struct copy_list *l)
{
	l->a = pages_get(1);
	l->b = pages_get(1);
	sg_init_table(l->sg, 3);
	sg_set_page(&l->sg[0], l->a, 200, 4000);
	sg_set_page(&l->sg[1], nth(l->b, 1), 0, 0);
	sg_set_page(&l->sg[2], l->b, 5000, 10);
	l->where[0] = (u8 *)page_address(l->a) + 4000;
	l->where[1] = (u8 *)page_address(l->b) + 10;
}

static void copy_list_free(struct copy_list *l)
{
	__free_pages(l->a, 1);
	__free_pages(l->b, 1);
}

/* The list's bytes, read through the CPU view directly. */
static void copy_list_read(struct copy_list *l, u8 *out)
{
	memcpy(out, l->where[0], 200);
	memcpy(out + 200, l->where[1], 5000);
}

static void test_copy(void **state)
{
	struct fx *f = *state;
	struct copy_list l;
	u8 pat[COPY_TOTAL + 100], got[COPY_TOTAL + 100], zero[300] = { 0 };

	copy_list_make(&l);
	fill_pattern(pat, sizeof(pat), 1);
	assert_int_equal(sg_copy_from_buffer(l.sg, 3, pat, COPY_TOTAL),
			 COPY_TOTAL);
	copy_list_read(&l, got);
	assert_memory_equal(got, pat, COPY_TOTAL);
	memset(got, 0, sizeof(got));
	assert_int_equal(sg_copy_to_buffer(l.sg, 3, got, COPY_TOTAL),
			 COPY_TOTAL);
	assert_memory_equal(got, pat, COPY_TOTAL);
	/* more asked than the list holds: what it holds */
	assert_int_equal(sg_copy_to_buffer(l.sg, 3, got, sizeof(got)),
			 COPY_TOTAL);
	assert_int_equal(sg_copy_buffer(l.sg, 3, got, sizeof(got), 0, true),
			 COPY_TOTAL);
	/* fewer: those */
	assert_int_equal(sg_copy_to_buffer(l.sg, 3, got, 150), 150);

	/* with a skip, across the page boundary and the empty entry */
	memset(got, 0, sizeof(got));
	assert_int_equal(sg_pcopy_to_buffer(l.sg, 3, got, 100, 150), 100);
	assert_memory_equal(got, pat + 150, 100);
	assert_int_equal(sg_pcopy_to_buffer(l.sg, 3, got, 1000, 4700), 500);
	assert_memory_equal(got, pat + 4700, 500);
	fill_pattern(pat, sizeof(pat), 2);
	assert_int_equal(sg_pcopy_from_buffer(l.sg, 3, pat, 300, 190), 300);
	copy_list_read(&l, got);
	assert_memory_equal(got + 190, pat, 300);
	assert_int_equal(sg_copy_buffer(l.sg, 3, pat, 10, 4, false), 10);
	copy_list_read(&l, got);
	assert_memory_equal(got + 4, pat, 10);

	/* skip to the end, past it, negative: nothing */
	assert_int_equal(sg_pcopy_to_buffer(l.sg, 3, got, 10, COPY_TOTAL), 0);
	assert_int_equal(sg_pcopy_to_buffer(l.sg, 3, got, 10, COPY_TOTAL + 1), 0);
	assert_int_equal(sg_pcopy_to_buffer(l.sg, 3, got, 10, -1), 0);
	assert_int_equal(sg_pcopy_from_buffer(l.sg, 3, pat, 10, -5), 0);
	assert_int_equal(sg_zero_buffer(l.sg, 3, 10, -5), 0);
	/* bad buffers and lengths */
	assert_int_equal(sg_copy_to_buffer(l.sg, 3, NULL, 10), 0);
	assert_int_equal(sg_copy_from_buffer(l.sg, 3, NULL, 10), 0);
	assert_int_equal(sg_copy_to_buffer(l.sg, 3, got, 0), 0);
	assert_int_equal(sg_copy_to_buffer(NULL, 3, got, 10), 0);
	assert_int_equal(sg_zero_buffer(NULL, 3, 10, 0), 0);
	/* the entry limit */
	assert_int_equal(sg_copy_to_buffer(l.sg, 0, got, 10), 0);
	assert_int_equal(sg_copy_to_buffer(l.sg, 1, got, sizeof(got)), 200);
	assert_int_equal(sg_copy_to_buffer(l.sg, 2, got, sizeof(got)), 200);
	assert_int_equal(sg_pcopy_to_buffer(l.sg, 1, got, 10, 200), 0);

	/* zeroing, the bytes around untouched */
	copy_list_read(&l, pat);
	assert_int_equal(sg_zero_buffer(l.sg, 3, 300, 50), 300);
	copy_list_read(&l, got);
	assert_memory_equal(got + 50, zero, 300);
	assert_memory_equal(got, pat, 50);
	assert_memory_equal(got + 350, pat + 350, COPY_TOTAL - 350);
	assert_int_equal(sg_zero_buffer(l.sg, 3, 1000, COPY_TOTAL - 10), 10);
	assert_int_equal(sg_zero_buffer(l.sg, 3, 0, 0), 0);

	copy_list_free(&l);
	assert_int_equal(bugs(f->m), 0);
	assert_int_equal(warns(f->m), 0);
}

static void test_miter(void **state)
{
	struct fx *f = *state;
	struct sg_mapping_iter miter;
	struct copy_list l;
	static const size_t piece[] = { 96, 104, 4086, 914 };
	unsigned int n = 0;
	size_t total = 0;

	copy_list_make(&l);
	sg_miter_start(&miter, l.sg, 3, SG_MITER_FROM_SG);
	assert_null(miter.addr);
	assert_int_equal(miter.length, 0);
	/* stopping before a piece does nothing */
	sg_miter_stop(&miter);
	while (sg_miter_next(&miter)) {
		assert_true(n < 4);
		assert_int_equal(miter.length, piece[n]);
		assert_int_equal(miter.consumed, piece[n]);
		assert_ptr_equal(miter.addr,
				 (u8 *)page_address(miter.page) +
				 (n == 0 ? 4000 : n == 2 ? 10 : 0));
		total += miter.length;
		n++;
	}
	assert_int_equal(n, 4);
	assert_int_equal(total, COPY_TOTAL);
	assert_null(miter.addr);
	assert_null(miter.page);
	assert_false(sg_miter_next(&miter));
	sg_miter_stop(&miter);
	sg_miter_stop(&miter);

	/* using part of a piece: the rest comes next */
	sg_miter_start(&miter, l.sg, 3, SG_MITER_TO_SG | SG_MITER_ATOMIC);
	assert_true(sg_miter_next(&miter));
	assert_ptr_equal(miter.page, l.a);
	miter.consumed = 10;
	assert_true(sg_miter_next(&miter));
	assert_ptr_equal(miter.page, l.a);
	assert_int_equal(miter.length, 86);
	assert_ptr_equal(miter.addr, l.where[0] + 10);
	/* a skip from the middle of a piece, into the next page */
	miter.consumed = 6;
	assert_true(sg_miter_skip(&miter, 100));
	assert_true(sg_miter_next(&miter));
	assert_ptr_equal(miter.page, nth(l.a, 1));
	assert_ptr_equal(miter.addr, (u8 *)page_address(nth(l.a, 1)) + 20);
	assert_int_equal(miter.length, 84);
	/* consuming more than the piece: a WARN, and the piece is used */
	miter.consumed = miter.length + 1;
	assert_true(sg_miter_next(&miter));
	assert_int_equal(warns(f->m), 1);
	assert_ptr_equal(miter.addr, l.where[1]);
	assert_int_equal(miter.length, 4086);
	/* 914 bytes are left */
	assert_false(sg_miter_skip(&miter, 915));
	assert_null(miter.addr);
	sg_miter_stop(&miter);

	sg_miter_start(&miter, l.sg, 3, 0);
	assert_true(sg_miter_skip(&miter, 0));
	assert_false(sg_miter_skip(&miter, -1));
	assert_true(sg_miter_skip(&miter, COPY_TOTAL));
	assert_false(sg_miter_next(&miter));
	sg_miter_stop(&miter);

	copy_list_free(&l);
	assert_int_equal(bugs(f->m), 0);
}

/* An entry without a page: a BUG report, and the walk ends there. */
static void test_miter_no_page(void **state)
{
	struct fx *f = *state;
	struct scatterlist sg[2];
	struct sg_mapping_iter miter;
	struct page *pg = pages_get(0);
	u8 buf[64];

	sg_init_table(sg, 2);
	sg_set_page(&sg[0], pg, 16, 0);
	sg[1].length = 16;		/* no page */
	assert_int_equal(sg_copy_to_buffer(sg, 2, buf, sizeof(buf)), 16);
	assert_int_equal(bugs(f->m), 1);
	sg_miter_start(&miter, &sg[1], 1, SG_MITER_FROM_SG);
	assert_false(sg_miter_next(&miter));
	assert_false(sg_miter_next(&miter));
	sg_miter_stop(&miter);
	assert_int_equal(bugs(f->m), 2);
	/* a page after the end of RAM below 4G: no struct page either */
	assert_non_null(pfn_to_page(PHYS_PFN(SZ_128M) - 1));
	assert_null(pfn_to_page(PHYS_PFN(SZ_128M)));
	sg_set_page(&sg[1], pfn_to_page(PHYS_PFN(SZ_128M) - 1), 16, PAGE_SIZE);
	assert_int_equal(sg_copy_to_buffer(&sg[1], 1, buf, sizeof(buf)), 0);
	assert_int_equal(bugs(f->m), 3);
	f->bugs_expected = 3;
	__free_pages(pg, 0);
}

/* ------------------------------------------------------------------------ */
/* Tables from pages                                                        */
/* ------------------------------------------------------------------------ */

/* Entry @i of a list: its page, offset, length. */
static void check_entry(struct scatterlist *sg, struct page *page,
			unsigned int offset, unsigned int length)
{
	assert_non_null(sg);
	assert_ptr_equal(sg_page(sg), page);
	assert_int_equal(sg->offset, offset);
	assert_int_equal(sg->length, length);
}

static void test_append_merges(void **state)
{
	struct fx *f = *state;
	struct page *b = pages_get(4);
	struct sg_append_table app = { 0 };
	struct page *p1[] = { b, nth(b, 1), nth(b, 2) };
	struct page *p2[] = { nth(b, 3), nth(b, 4), nth(b, 8) };
	struct page *p3[] = { nth(b, 9), nth(b, 12) };
	struct page *p4[] = { nth(b, 13) };
	struct scatterlist *sg;

	/* nothing yet: freeing does nothing */
	sg_free_append_table(&app);
	sg_free_append_table(NULL);

	assert_int_equal(sg_alloc_append_table_from_pages(&app, p1, 3, 0,
							  3 * PAGE_SIZE, UINT_MAX,
							  5, GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 1);
	assert_int_equal(app.sgt.orig_nents, 1);
	assert_int_equal(app.total_nents, 6);	/* sized for what comes */
	assert_ptr_equal(app.prv, app.sgt.sgl);
	assert_false(sg_is_last(app.prv));
	check_entry(app.sgt.sgl, b, 0, 3 * PAGE_SIZE);
	assert_int_equal(sim_alloc_live(f->m), f->live + 1);

	/* b3 and b4 extend the last entry, b8 starts one */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, p2, 3, 0,
							  3 * PAGE_SIZE, UINT_MAX,
							  2, GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 2);
	assert_int_equal(app.total_nents, 6);
	check_entry(app.sgt.sgl, b, 0, 5 * PAGE_SIZE);
	check_entry(&app.sgt.sgl[1], nth(b, 8), 0, PAGE_SIZE);
	assert_ptr_equal(app.prv, &app.sgt.sgl[1]);

	/* the last call: b9 extends, b12 holds 100 bytes; the list ends */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, p3, 2, 0,
							  PAGE_SIZE + 100, UINT_MAX,
							  0, GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 3);
	assert_int_equal(app.sgt.orig_nents, 3);
	check_entry(&app.sgt.sgl[1], nth(b, 8), 0, 2 * PAGE_SIZE);
	sg = sg_next(&app.sgt.sgl[1]);
	check_entry(sg, nth(b, 12), 0, 100);
	assert_true(sg_is_last(sg));
	assert_ptr_equal(app.prv, sg);
	assert_int_equal(sg_nents(app.sgt.sgl), 3);
	assert_int_equal(sg_nents_for_len(app.sgt.sgl, 7 * PAGE_SIZE + 100), 3);

	/* nothing may follow the last call */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, p4, 1, 0,
							  PAGE_SIZE, UINT_MAX,
							  0, GFP_KERNEL), -EINVAL);
	assert_int_equal(app.sgt.nents, 3);
	assert_int_equal(sg_nents(app.sgt.sgl), 3);

	sg_free_append_table(&app);
	assert_null(app.sgt.sgl);
	assert_null(app.prv);
	assert_int_equal(app.total_nents, 0);
	assert_int_equal(app.sgt.nents, 0);
	assert_int_equal(sim_alloc_live(f->m), f->live);

	/* a call whose pages all extend the last entry, then the end */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, p1, 2, 0,
							  2 * PAGE_SIZE, UINT_MAX,
							  1, GFP_KERNEL), 0);
	assert_int_equal(sg_alloc_append_table_from_pages(&app, &p1[2], 1, 0,
							  10, UINT_MAX, 0,
							  GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 1);
	check_entry(app.sgt.sgl, b, 0, 2 * PAGE_SIZE + 10);
	assert_true(sg_is_last(app.sgt.sgl));
	sg_free_append_table(&app);

	/* a last entry ending inside its page is not extended */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, p1, 1, 0, 10,
							  UINT_MAX, 1,
							  GFP_KERNEL), 0);
	assert_int_equal(sg_alloc_append_table_from_pages(&app, &p1[1], 1, 0,
							  PAGE_SIZE, UINT_MAX,
							  0, GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 2);
	check_entry(app.sgt.sgl, b, 0, 10);
	check_entry(&app.sgt.sgl[1], nth(b, 1), 0, PAGE_SIZE);
	sg_free_append_table(&app);

	__free_pages(b, 4);
	assert_int_equal(warns(f->m), 0);
}

static void test_append_max_segment(void **state)
{
	struct fx *f = *state;
	struct page *b = pages_get(3);
	struct page *p[8], *more[2];
	struct sg_append_table app = { 0 };
	struct sg_table sgt;
	struct scatterlist *sg;
	unsigned int i;

	for (i = 0; i < 8; i++)
		p[i] = nth(b, i);
	/* 3 pages and 5 bytes: whole pages, 3 of them an entry */
	assert_int_equal(sg_alloc_table_from_pages_segment(&sgt, p, 8, 100,
							   8 * PAGE_SIZE - 150,
							   3 * PAGE_SIZE + 5,
							   GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 3);
	assert_int_equal(sgt.nents, 3);
	sg = sgt.sgl;
	check_entry(sg, p[0], 100, 3 * PAGE_SIZE - 100);
	sg = sg_next(sg);
	check_entry(sg, p[3], 0, 3 * PAGE_SIZE);
	sg = sg_next(sg);
	check_entry(sg, p[6], 0, 2 * PAGE_SIZE - 50);
	assert_true(sg_is_last(sg));
	sg_free_table(&sgt);

	/* one page an entry */
	assert_int_equal(sg_alloc_table_from_pages_segment(&sgt, p, 8, 0,
							   8 * PAGE_SIZE,
							   PAGE_SIZE,
							   GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 8);
	for_each_sgtable_sg(&sgt, sg, i)
		check_entry(sg, p[i], 0, PAGE_SIZE);
	sg_free_table(&sgt);

	/* below a page: a WARN, as the kernel's */
	assert_int_equal(sg_alloc_table_from_pages_segment(&sgt, p, 8, 0,
							   8 * PAGE_SIZE,
							   PAGE_SIZE - 1,
							   GFP_KERNEL), -EINVAL);
	assert_int_equal(warns(f->m), 1);
	assert_int_equal(sg_alloc_append_table_from_pages(&app, p, 8, 0,
							  8 * PAGE_SIZE, 0, 0,
							  GFP_KERNEL), -EINVAL);
	assert_int_equal(warns(f->m), 2);
	assert_null(app.sgt.sgl);

	/* the last entry is extended up to max_segment only */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, p, 2, 0,
							  2 * PAGE_SIZE,
							  3 * PAGE_SIZE, 6,
							  GFP_KERNEL), 0);
	more[0] = p[2];
	more[1] = p[3];
	assert_int_equal(sg_alloc_append_table_from_pages(&app, more, 2, 0,
							  2 * PAGE_SIZE,
							  3 * PAGE_SIZE, 0,
							  GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 2);
	check_entry(app.sgt.sgl, p[0], 0, 3 * PAGE_SIZE);
	check_entry(&app.sgt.sgl[1], p[3], 0, PAGE_SIZE);
	sg_free_append_table(&app);

	__free_pages(b, 3);
}

/* Every other page of a 4M block: @n pages no two of which merge. */
static struct page *sparse_pages(struct page **out, unsigned int n)
{
	struct page *b = pages_get(10);

	assert_true(n <= 512);
	for (unsigned int i = 0; i < n; i++)
		out[i] = nth(b, 2 * i);
	return b;
}

/* The list of @sgl is @n entries, one page each, of @pages. */
static void check_sparse_list(struct scatterlist *sgl, struct page **pages,
			      unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	assert_int_equal(sg_nents(sgl), n);
	for_each_sg(sgl, sg, n, i)
		check_entry(sg, pages[i], 0, PAGE_SIZE);
	assert_true(sg_is_last(sg_last(sgl, n)));
}

static void test_append_chains(void **state)
{
	struct fx *f = *state;
	struct page *pages[300];
	struct page *b = sparse_pages(pages, 300);
	struct sg_append_table app = { 0 };
	struct sg_table sgt;
	unsigned int i;

	/* told what is to come: full chunks, chained */
	for (i = 0; i < 3; i++)
		assert_int_equal(sg_alloc_append_table_from_pages(&app,
				pages + 100 * i, 100, 0, 100 * PAGE_SIZE,
				UINT_MAX, 200 - 100 * i, GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 300);
	assert_int_equal(app.sgt.orig_nents, 300);
	assert_true(sg_is_chain(&app.sgt.sgl[SG_PER_CHUNK - 1]));
	assert_int_equal(app.total_nents, 300);
	check_sparse_list(app.sgt.sgl, pages, 300);
	assert_int_equal(sim_alloc_live(f->m), f->live + 3);
	sg_free_append_table(&app);
	assert_int_equal(sim_alloc_live(f->m), f->live);

	/*
	 * Told too little (one page more each time): chunks of 101, 101
	 * and 100 entries, chained at their ends; all of them are freed.
	 */
	for (i = 0; i < 3; i++)
		assert_int_equal(sg_alloc_append_table_from_pages(&app,
				pages + 100 * i, 100, 0, 100 * PAGE_SIZE,
				UINT_MAX, i < 2 ? 1 : 0, GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 300);
	assert_true(sg_is_chain(&app.sgt.sgl[100]));
	assert_int_equal(app.total_nents, 101 + 100 + 99);
	check_sparse_list(app.sgt.sgl, pages, 300);
	assert_int_equal(sim_alloc_live(f->m), f->live + 3);
	sg_free_append_table(&app);
	assert_int_equal(sim_alloc_live(f->m), f->live);

	/* the plain form: sg_alloc_table()'s chunks, sg_free_table() frees */
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 300, 0,
						   300 * PAGE_SIZE,
						   GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 300);
	assert_true(sg_is_chain(&sgt.sgl[SG_PER_CHUNK - 1]));
	assert_true(sg_is_chain(&sg_chain_ptr(&sgt.sgl[SG_PER_CHUNK - 1])
				[SG_PER_CHUNK - 1]));
	check_sparse_list(sgt.sgl, pages, 300);
	assert_int_equal(sim_alloc_live(f->m), f->live);
	sg_free_table(&sgt);
	/* exactly one chunk's worth: no link */
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, SG_PER_CHUNK, 0,
						   SG_PER_CHUNK * PAGE_SIZE,
						   GFP_KERNEL), 0);
	for (i = 0; i < SG_PER_CHUNK; i++)
		assert_false(sg_is_chain(&sgt.sgl[i]));
	check_sparse_list(sgt.sgl, pages, SG_PER_CHUNK);
	sg_free_table(&sgt);

	__free_pages(b, 10);
}

static void test_from_pages_bad_args(void **state)
{
	struct fx *f = *state;
	struct page *b = pages_get(2);
	struct page *p[4] = { b, nth(b, 2), nth(b, 3), NULL };
	struct page *far[3];
	struct page *fb;
	struct sg_append_table app = { 0 };
	struct sg_table sgt;
	unsigned long w = warns(f->m);

#define SEG(n, off, size)						\
	sg_alloc_table_from_pages_segment(&sgt, p, (n), (off), (size),	\
					  UINT_MAX, GFP_KERNEL)
#define APP(n, off, size, left)						\
	sg_alloc_append_table_from_pages(&app, p, (n), (off), (size),	\
					 UINT_MAX, (left), GFP_KERNEL)

	memset(&sgt, 0xa5, sizeof(sgt));
	assert_int_equal(SEG(0, 0, 1), -EINVAL);
	/* zeroed on failure */
	assert_null(sgt.sgl);
	assert_int_equal(sgt.nents, 0);
	assert_int_equal(sgt.orig_nents, 0);
	sg_free_table(&sgt);
	assert_int_equal(SEG(2, PAGE_SIZE, 16), -EINVAL);
	assert_int_equal(SEG(2, 0, 0), -EINVAL);
	/* the bytes fill all pages but the last, and some of it */
	assert_int_equal(SEG(2, 10, 2 * PAGE_SIZE - 9), -EINVAL);
	assert_int_equal(SEG(2, 10, PAGE_SIZE - 10), -EINVAL);
	assert_int_equal(SEG(2, 10, PAGE_SIZE - 9), 0);
	assert_int_equal(sgt.orig_nents, 2);
	sg_free_table(&sgt);
	assert_int_equal(SEG(2, 10, 2 * PAGE_SIZE - 10), 0);
	sg_free_table(&sgt);
	assert_int_equal(SEG(1, 4095, 1), 0);
	check_entry(sgt.sgl, b, 4095, 1);
	sg_free_table(&sgt);
	assert_int_equal(SEG(1, 0, ~0UL), -EINVAL);
	/* a NULL page, a NULL array, a NULL table */
	assert_int_equal(SEG(4, 0, 4 * PAGE_SIZE), -EINVAL);
	assert_int_equal(sg_alloc_table_from_pages_segment(&sgt, NULL, 1, 0, 1,
							   UINT_MAX,
							   GFP_KERNEL), -EINVAL);
	assert_int_equal(sg_alloc_table_from_pages_segment(NULL, p, 1, 0, 1,
							   UINT_MAX,
							   GFP_KERNEL), -EINVAL);
	assert_int_equal(sg_alloc_table_from_pages(&sgt, p, 0, 0, 0,
						   GFP_KERNEL), -EINVAL);

	assert_int_equal(APP(0, 0, 1, 0), -EINVAL);
	assert_int_equal(APP(2, PAGE_SIZE, 16, 0), -EINVAL);
	assert_int_equal(APP(2, 0, 0, 0), -EINVAL);
	assert_int_equal(APP(2, 0, 2 * PAGE_SIZE + 1, 0), -EINVAL);
	assert_int_equal(APP(2, 0, PAGE_SIZE, 0), -EINVAL);
	assert_int_equal(APP(4, 0, 4 * PAGE_SIZE, 0), -EINVAL);
	assert_int_equal(sg_alloc_append_table_from_pages(NULL, p, 1, 0, 1,
							  UINT_MAX, 0,
							  GFP_KERNEL), -EINVAL);
	assert_int_equal(sg_alloc_append_table_from_pages(&app, NULL, 1, 0, 1,
							  UINT_MAX, 0,
							  GFP_KERNEL), -EINVAL);
	assert_null(app.sgt.sgl);
	/* a table with entries but no last one was not zeroed first */
	{
		struct scatterlist one[1];
		struct sg_append_table odd = { .sgt = { .sgl = one } };

		assert_int_equal(sg_alloc_append_table_from_pages(&odd, p, 1, 0,
								  1, UINT_MAX,
								  0, GFP_KERNEL),
				 -EINVAL);
		assert_ptr_equal(odd.sgt.sgl, one);
	}
	assert_int_equal(warns(f->m), w);
	assert_int_equal(sim_alloc_live(f->m), f->live);

	/* appending: no offset (a WARN), the table untouched */
	assert_int_equal(APP(1, 0, PAGE_SIZE, 3), 0);
	assert_int_equal(APP(1, 10, 10, 0), -EINVAL);
	assert_int_equal(warns(f->m), w + 1);
	assert_int_equal(app.sgt.nents, 1);
	check_entry(app.sgt.sgl, b, 0, PAGE_SIZE);
	/* more entries than an unsigned int counts */
	fb = pages_get(3);
	far[0] = fb;
	far[1] = nth(fb, 2);
	far[2] = nth(fb, 4);
	app.sgt.nents = UINT_MAX - 1;
	assert_int_equal(sg_alloc_append_table_from_pages(&app, far, 3, 0,
							  3 * PAGE_SIZE,
							  UINT_MAX, 0,
							  GFP_KERNEL), -EINVAL);
	assert_int_equal(app.sgt.nents, UINT_MAX - 1);
	app.sgt.nents = app.sgt.orig_nents;
	assert_int_equal(sg_alloc_append_table_from_pages(&app, far, 3, 0,
							  3 * PAGE_SIZE,
							  UINT_MAX, 0,
							  GFP_KERNEL), 0);
	assert_int_equal(app.sgt.nents, 4);
	sg_free_append_table(&app);
	assert_int_equal(sim_alloc_live(f->m), f->live);
#undef SEG
#undef APP

	/* no current machine: an append table has nowhere to come from */
	assert_ptr_equal(sim_set_current_machine(NULL), f->m);
	assert_int_equal(sg_alloc_append_table_from_pages(&app, far, 3, 0,
							  3 * PAGE_SIZE,
							  UINT_MAX, 0,
							  GFP_KERNEL), -ENOMEM);
	assert_null(app.sgt.sgl);
	assert_int_equal(app.total_nents, 0);
	/* and no WARN to report to */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, far, 3, 0,
							  3 * PAGE_SIZE, 1, 0,
							  GFP_KERNEL), -EINVAL);
	/* a plain table is host memory */
	assert_int_equal(sg_alloc_table_from_pages(&sgt, far, 3, 0,
						   3 * PAGE_SIZE,
						   GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 3);
	sg_free_table(&sgt);
	assert_null(sim_set_current_machine(f->m));
	assert_int_equal(warns(f->m), w + 1);

	__free_pages(fb, 3);
	__free_pages(b, 2);
}

/* A failed call leaves the table as it was: entries, chunks, links. */
static void test_append_unwinds(void **state)
{
	struct fx *f = *state;
	struct page *pages[300];
	struct page *b = sparse_pages(pages, 300);
	struct sg_append_table app = { 0 }, before;
	struct scatterlist snap[SG_PER_CHUNK];
	struct sg_table sgt;

	/* the first chunk of an empty table */
	sim_fail_nth_alloc(f->m, 1);
	assert_int_equal(sg_alloc_append_table_from_pages(&app, pages, 2, 0,
							  2 * PAGE_SIZE,
							  UINT_MAX, 2,
							  GFP_KERNEL), -ENOMEM);
	assert_true(sim_fail_nth_triggered(f->m));
	assert_null(app.sgt.sgl);
	assert_int_equal(app.total_nents, 0);

	/* entries filled in an old chunk are cleared again */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, pages, 2, 0,
							  2 * PAGE_SIZE,
							  UINT_MAX, 2,
							  GFP_KERNEL), 0);
	assert_int_equal(app.total_nents, 4);
	before = app;
	memcpy(snap, app.sgt.sgl, 4 * sizeof(snap[0]));
	sim_fail_nth_alloc(f->m, 1);
	assert_int_equal(sg_alloc_append_table_from_pages(&app, pages + 2, 4, 0,
							  4 * PAGE_SIZE,
							  UINT_MAX, 0,
							  GFP_KERNEL), -ENOMEM);
	assert_memory_equal(&app, &before, sizeof(app));
	assert_memory_equal(app.sgt.sgl, snap, 4 * sizeof(snap[0]));
	assert_int_equal(sim_alloc_live(f->m), f->live + 1);
	/* and the same call goes through after */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, pages + 2, 4, 0,
							  4 * PAGE_SIZE,
							  UINT_MAX, 0,
							  GFP_KERNEL), 0);
	check_sparse_list(app.sgt.sgl, pages, 6);
	sg_free_append_table(&app);

	/* two new chunks, the second failing: the first goes, the link too */
	assert_int_equal(sg_alloc_append_table_from_pages(&app, pages, 2, 0,
							  2 * PAGE_SIZE,
							  UINT_MAX, 298,
							  GFP_KERNEL), 0);
	assert_int_equal(app.total_nents, SG_PER_CHUNK);
	before = app;
	memcpy(snap, app.sgt.sgl, sizeof(snap));
	sim_fail_nth_alloc(f->m, 2);
	assert_int_equal(sg_alloc_append_table_from_pages(&app, pages + 2, 298,
							  0, 298 * PAGE_SIZE,
							  UINT_MAX, 0,
							  GFP_KERNEL), -ENOMEM);
	assert_memory_equal(&app, &before, sizeof(app));
	assert_memory_equal(app.sgt.sgl, snap, sizeof(snap));
	assert_int_equal(sim_alloc_live(f->m), f->live + 1);
	/* a merge into the last entry is undone as well */
	sim_fail_nth_alloc(f->m, 1);
	{
		struct page *run[130];

		run[0] = nth(pages[1], 1);
		for (unsigned int i = 1; i < 130; i++)
			run[i] = pages[2 + i];
		assert_int_equal(sg_alloc_append_table_from_pages(&app, run, 130,
				0, 130 * PAGE_SIZE, UINT_MAX, 0, GFP_KERNEL),
				 -ENOMEM);
	}
	assert_memory_equal(&app, &before, sizeof(app));
	assert_memory_equal(app.sgt.sgl, snap, sizeof(snap));
	sim_fail_nth_alloc(f->m, 0);
	sg_free_append_table(&app);

	/* the plain form: -ENOMEM, nothing left, the table zeroed */
	sim_fail_nth_alloc(f->m, 2);
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 300, 0,
						   300 * PAGE_SIZE,
						   GFP_KERNEL), -ENOMEM);
	assert_true(sim_fail_nth_triggered(f->m));
	assert_null(sgt.sgl);
	assert_int_equal(sgt.orig_nents, 0);
	sim_fail_nth_alloc(f->m, 0);
	assert_int_equal(sim_alloc_live(f->m), f->live);

	__free_pages(b, 10);
}

/* ------------------------------------------------------------------------ */
/* sgl_alloc                                                                */
/* ------------------------------------------------------------------------ */

static void test_sgl_alloc(void **state)
{
	struct fx *f = *state;
	struct scatterlist *sgl, *other, *sg;
	unsigned int n = 77, i;
	u8 *p;

	sgl = sgl_alloc(1, GFP_KERNEL, &n);
	assert_non_null(sgl);
	assert_int_equal(n, 1);
	check_entry(sgl, sg_page(sgl), 0, 1);
	assert_true(sg_is_last(sgl));
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages + 1);
	assert_int_equal(sim_alloc_live(f->m), f->live + 1);
	sgl_free(sgl);
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages);
	assert_int_equal(sim_alloc_live(f->m), f->live);

	/* zeroed pages, the last one partly used */
	sgl = sgl_alloc(3 * PAGE_SIZE + 1, GFP_KERNEL | __GFP_ZERO, &n);
	assert_non_null(sgl);
	assert_int_equal(n, 4);
	assert_int_equal(sg_nents(sgl), 4);
	for_each_sg(sgl, sg, 4, i) {
		assert_non_null(sg_page(sg));
		assert_int_equal(sg->offset, 0);
		assert_int_equal(sg->length, i < 3 ? PAGE_SIZE : 1);
		p = sg_virt(sg);
		for (unsigned int k = 0; k < sg->length; k++)
			assert_int_equal(p[k], 0);
	}
	assert_true(sg_is_last(sg_last(sgl, 4)));
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages + 4);
	/* a list to copy through */
	{
		u8 pat[3 * PAGE_SIZE + 1], got[sizeof(pat)];

		fill_pattern(pat, sizeof(pat), 5);
		assert_int_equal(sg_copy_from_buffer(sgl, n, pat, sizeof(pat)),
				 sizeof(pat));
		assert_int_equal(sg_copy_to_buffer(sgl, n, got, sizeof(got)),
				 sizeof(got));
		assert_memory_equal(got, pat, sizeof(pat));
	}
	sgl_free(sgl);

	/* blocks of order 2, one entry more to chain with */
	sgl = sgl_alloc_order(5 * 4 * PAGE_SIZE - 3, 2, true, GFP_KERNEL, &n);
	assert_non_null(sgl);
	assert_int_equal(n, 5);
	assert_int_equal(sg_nents(sgl), 6);
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages + 20);
	for_each_sg(sgl, sg, 5, i) {
		assert_int_equal(sg->length, i < 4 ? 4 * PAGE_SIZE :
					       4 * PAGE_SIZE - 3);
		assert_false(sg_is_last(sg));
		assert_int_equal(page_to_phys(sg_page(sg)) % (4 * PAGE_SIZE), 0);
	}
	assert_null(sg_page(&sgl[5]));
	assert_true(sg_is_last(&sgl[5]));
	other = sgl_alloc(PAGE_SIZE, GFP_KERNEL, NULL);
	assert_non_null(other);
	sg_chain(sgl, 6, other);
	assert_int_equal(sg_nents(sgl), 6);
	assert_ptr_equal(sg_next(&sgl[4]), other);
	/* the first five entries only: the chained list stays */
	sgl_free_n_order(sgl, 5, 2);
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages + 1);
	sgl_free(other);
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages);

	/* a limit of 1: the rest stays the caller's */
	sgl = sgl_alloc(2 * PAGE_SIZE, GFP_KERNEL, &n);
	assert_non_null(sgl);
	{
		struct page *second = sg_page(&sgl[1]);

		sgl_free_n_order(sgl, 1, 0);
		assert_int_equal(sim_ram_pages_allocated(f->m), f->pages + 1);
		__free_pages(second, 0);
	}
	sgl_free(NULL);
	sgl_free_order(NULL, 3);
	sgl_free_n_order(NULL, 1, 0);
	assert_int_equal(sim_alloc_live(f->m), f->live);
	assert_int_equal(bugs(f->m), 0);
}

static void test_sgl_alloc_bad(void **state)
{
	struct fx *f = *state;
	unsigned int n = 77;
	struct scatterlist *sgl;
	struct page *page;

	assert_null(sgl_alloc(0, GFP_KERNEL, &n));
	assert_null(sgl_alloc_order(0, 0, true, GFP_KERNEL, &n));
	assert_null(sgl_alloc_order(PAGE_SIZE, 11, false, GFP_KERNEL, &n));
	assert_null(sgl_alloc_order(PAGE_SIZE, UINT_MAX, false, GFP_KERNEL, &n));
	/* sizes past RAM, past what an entry count holds, past 64 bits */
	assert_null(sgl_alloc(sim_ram_size(f->m) + 1, GFP_KERNEL, &n));
	assert_null(sgl_alloc((unsigned long long)UINT_MAX * PAGE_SIZE + 1,
			      GFP_KERNEL, &n));
	assert_null(sgl_alloc(~0ULL, GFP_KERNEL, &n));
	assert_null(sgl_alloc_order(~0ULL, 10, true, GFP_KERNEL, &n));
	assert_int_equal(n, 77);
	assert_int_equal(sim_alloc_live(f->m), f->live);
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages);

	/* out of memory on the way: what was taken goes back */
	sim_fail_nth_alloc(f->m, 3);
	assert_null(sgl_alloc(4 * PAGE_SIZE, GFP_KERNEL, &n));
	assert_true(sim_fail_nth_triggered(f->m));
	sim_fail_nth_alloc(f->m, 1);
	assert_null(sgl_alloc(4 * PAGE_SIZE, GFP_KERNEL, &n));
	sim_fail_nth_alloc(f->m, 0);
	assert_int_equal(n, 77);
	assert_int_equal(sim_alloc_live(f->m), f->live);
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages);

	/* no current machine */
	assert_ptr_equal(sim_set_current_machine(NULL), f->m);
	assert_null(sgl_alloc(PAGE_SIZE, GFP_KERNEL, &n));
	assert_null(sim_set_current_machine(f->m));

	/* freed with another order: the page allocator's BUG, block kept */
	sgl = sgl_alloc_order(2 * PAGE_SIZE, 1, false, GFP_KERNEL, &n);
	assert_non_null(sgl);
	assert_int_equal(n, 1);
	page = sg_page(sgl);
	sgl_free(sgl);
	assert_int_equal(bugs(f->m), 1);
	assert_int_equal(sim_ram_pages_allocated(f->m), f->pages + 2);
	__free_pages(page, 1);
	f->bugs_expected = 1;
}

/* ------------------------------------------------------------------------ */
/* Fail-Nth over the allocating helpers                                     */
/* ------------------------------------------------------------------------ */

struct sweep {
	struct page *pages[300];
};

static int sweep_run(void *ctx)
{
	struct sweep *s = ctx;
	struct sg_append_table app = { 0 };
	struct scatterlist *sgl;
	struct sg_table sgt;
	unsigned int i, n;
	u8 pat[3000], got[3000];
	int ret = 0;

	/* an append table over three chunks, in three calls */
	for (i = 0; i < 3 && !ret; i++) {
		unsigned int had = app.sgt.nents;

		ret = sg_alloc_append_table_from_pages(&app, s->pages + 100 * i,
						       100, 0, 100 * PAGE_SIZE,
						       UINT_MAX, 200 - 100 * i,
						       GFP_KERNEL);
		if (ret)
			assert_int_equal(app.sgt.nents, had);
	}
	if (ret)
		goto out_app;
	check_sparse_list(app.sgt.sgl, s->pages, 300);

	/* a plain table of the same pages, 4 pages an entry at most */
	ret = sg_alloc_table_from_pages_segment(&sgt, s->pages, 300, 0,
						300 * PAGE_SIZE, 4 * PAGE_SIZE,
						GFP_KERNEL);
	if (ret) {
		assert_null(sgt.sgl);
		goto out_app;
	}
	assert_int_equal(sgt.orig_nents, 300);

	/* a chainable list of order-1 blocks, copied through */
	sgl = sgl_alloc_order(sizeof(pat), 1, true, GFP_KERNEL, &n);
	if (!sgl) {
		ret = -ENOMEM;
		goto out_sgt;
	}
	assert_int_equal(n, 1);
	fill_pattern(pat, sizeof(pat), 9);
	assert_int_equal(sg_copy_from_buffer(sgl, n, pat, sizeof(pat)),
			 sizeof(pat));
	assert_int_equal(sg_pcopy_to_buffer(sgl, n, got, sizeof(got) - 5, 5),
			 sizeof(got) - 5);
	assert_memory_equal(got, pat + 5, sizeof(got) - 5);
	sgl_free_order(sgl, 1);

	sgl = sgl_alloc(3 * PAGE_SIZE, GFP_KERNEL, &n);
	if (!sgl) {
		ret = -ENOMEM;
		goto out_sgt;
	}
	assert_int_equal(n, 3);
	sgl_free(sgl);
out_sgt:
	sg_free_table(&sgt);
out_app:
	sg_free_append_table(&app);
	return ret;
}

static void test_failnth(void **state)
{
	struct fx *f = *state;
	struct sweep s;
	struct page *b = sparse_pages(s.pages, 300);
	struct failnth fn = {
		.name = "sg helpers", .m = f->m, .ctx = &s, .run = sweep_run,
	};

	failnth_sweep(&fn);
	/* 3 append chunks, 3 plain ones, 1 + 1 list, 1 + 3 blocks */
	assert_int_equal(fn.count, 12);
	assert_int_equal(fn.failed, 12);
	__free_pages(b, 10);
}

/* ------------------------------------------------------------------------ */
/* Threads on one machine                                                   */
/* ------------------------------------------------------------------------ */

struct worker {
	struct sim_machine *m;
	unsigned int seed;
	int errors;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	u8 pat[5 * PAGE_SIZE], got[sizeof(pat)];

	sim_set_current_machine(w->m);
	fill_pattern(pat, sizeof(pat), w->seed);
	for (int iter = 0; iter < 40; iter++) {
		struct sg_append_table app = { 0 };
		struct sg_page_iter piter;
		struct scatterlist *sgl;
		unsigned int n, pages = 0;
		struct page *list[5];

		sgl = sgl_alloc(sizeof(pat), GFP_KERNEL, &n);
		if (!sgl || n != 5) {
			w->errors++;
			break;
		}
		if (sg_copy_from_buffer(sgl, n, pat, sizeof(pat)) != sizeof(pat) ||
		    sg_pcopy_to_buffer(sgl, n, got, sizeof(got) - 7, 7) !=
		    sizeof(got) - 7 || memcmp(got, pat + 7, sizeof(got) - 7))
			w->errors++;
		for_each_sg_page(sgl, &piter, n, 0)
			list[pages++] = sg_page_iter_page(&piter);
		if (pages != 5 ||
		    sg_alloc_append_table_from_pages(&app, list, 5, 0,
						     sizeof(pat), UINT_MAX, 0,
						     GFP_KERNEL) ||
		    sg_nents_for_len(app.sgt.sgl, sizeof(pat)) !=
		    (int)app.sgt.nents)
			w->errors++;
		sg_free_append_table(&app);
		sgl_free(sgl);
	}
	sim_set_current_machine(NULL);
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *f = *state;
	struct worker w[4];
	pthread_t t[4];

	for (unsigned int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .m = f->m, .seed = i + 20 };
		assert_int_equal(pthread_create(&t[i], NULL, worker_fn, &w[i]), 0);
	}
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].errors, 0);
	}
	assert_int_equal(bugs(f->m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_buf_and_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nents_for_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_iter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_page_iter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_miter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_miter_no_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_max_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_pages_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_unwinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sgl_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sgl_alloc_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failnth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
