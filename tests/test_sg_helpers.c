// SPDX-License-Identifier: MIT
/*
 * The kernel's scatterlist helpers: sg_set_buf, sg_init_marker and
 * sg_nents_for_len; the page iterators (CPU and DMA side).
 */
#include <limits.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_buf_and_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nents_for_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_iter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_page_iter, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
