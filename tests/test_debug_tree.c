// SPDX-License-Identifier: MIT
/*
 * dma-debug's interval tree (src/kernel/dma/debug-tree.c) against a plain
 * array: random inserts, erases and range queries with every answer
 * compared, the whole tree checked (order, parent links, AVL balance,
 * cached ends, count) after each change, its height within the AVL bound,
 * and torn down to empty with nothing leaked. Then dma-debug itself at
 * 256 and 16Ki live mappings: the nodes a sync, a device access and an
 * unmap look at stay within a logarithmic bound (counted, never timed),
 * device reads are reported exactly where a list of the mapped ranges
 * says nothing covers them, and teardown leaves nothing. And its hash
 * table (debug-hash.c) against an array, and its device-write records
 * living no longer than the mappings they serve.
 */
#include <stdint.h>
#include "helpers.h"
#include "kernel/dma/debug-hash.h"
#include "kernel/dma/debug-tree.h"

/* dma-debug's test hooks (src/kernel/dma/dma.h declares them) */
unsigned long dma_debug_tree_visits(struct sim_machine *m);
void dma_debug_tree_heights(struct sim_machine *m, struct device *dev,
			    int *entries, int *clns);
unsigned long dma_debug_dw_pages(struct sim_machine *m, unsigned long *records);

struct rng {
	u64 s;
};

static u64 rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

struct item {
	struct dtree_node node;
	bool in;
};

/* AVL: height < 1.4405 log2(n + 2) - 0.3277, log2 rounded up here */
static void assert_avl_height(const struct dtree *t)
{
	int lg = 0;

	while ((1UL << lg) < t->nr + 2)
		lg++;
	assert_true(dtree_height(t) <= (int)(1.4405 * lg));
}

struct collect {
	struct item **out;
	size_t n, max;
	long stop_after;	/* stop the query after this many (-1: never) */
};

static bool collect_fn(struct dtree_node *n, void *arg)
{
	struct collect *c = arg;

	assert_true(c->n < c->max);
	c->out[c->n++] = container_of(n, struct item, node);
	return c->stop_after < 0 || (long)c->n < c->stop_after;
}

static int key_order(const struct item *a, const struct item *b)
{
	if (a->node.k1 != b->node.k1)
		return a->node.k1 < b->node.k1 ? -1 : 1;
	if (a->node.k2 != b->node.k2)
		return a->node.k2 < b->node.k2 ? -1 : 1;
	if (a->node.k3 != b->node.k3)
		return a->node.k3 < b->node.k3 ? -1 : 1;
	return 0;
}

static void test_random_against_array(void **state)
{
	enum { N = 3000, STEPS = 30000 };
	struct item *it = calloc(N, sizeof(*it));
	struct item **want = calloc(N, sizeof(*want)), **got = calloc(N, sizeof(*got));
	struct dtree t = { 0 };
	struct rng r = { 0x5eed1234abcdULL };
	size_t live = 0;

	(void)state;
	assert_non_null(it);
	assert_non_null(want);
	assert_non_null(got);
	/* few k1 and k2 values: many equal prefixes, as entries of one device */
	for (size_t i = 0; i < N; i++) {
		it[i].node.k1 = rnd(&r) % 4;
		it[i].node.k2 = rnd(&r) % 512;
		it[i].node.k3 = i;
		it[i].node.end = it[i].node.k2 + rnd(&r) % 64;
	}
	for (int step = 0; step < STEPS; step++) {
		struct item *x = &it[rnd(&r) % N];
		u64 op = rnd(&r) % 8;

		if (op < 3) {
			if (!x->in) {
				dtree_insert(&t, &x->node);
				x->in = true;
				live++;
			}
		} else if (op < 5) {
			if (x->in) {
				dtree_erase(&t, &x->node);
				x->in = false;
				live--;
			}
		} else if (op < 6) {
			struct dtree_node *f = dtree_find(&t, x->node.k1,
							  x->node.k2, x->node.k3);

			assert_ptr_equal(f, x->in ? &x->node : NULL);
		} else {
			/* a range query against a filter of the array */
			u64 k1 = rnd(&r) % 4, lo = rnd(&r) % 512;
			u64 hi = lo + rnd(&r) % 128, min_end = rnd(&r) % 600;
			struct collect c = { got, 0, N, -1 };
			struct dtree_query q = { k1, lo, hi, min_end, collect_fn, &c, 0 };
			size_t nw = 0;

			if (rnd(&r) % 4 == 0)
				c.stop_after = 1 + (long)(rnd(&r) % 3);
			for (size_t i = 0; i < N; i++)
				if (it[i].in && it[i].node.k1 == k1 &&
				    it[i].node.k2 >= lo && it[i].node.k2 <= hi &&
				    it[i].node.end >= min_end)
					want[nw++] = &it[i];
			/* the reference in key order */
			for (size_t i = 1; i < nw; i++)
				for (size_t j = i; j > 0 &&
				     key_order(want[j - 1], want[j]) > 0; j--) {
					struct item *tmp = want[j];

					want[j] = want[j - 1];
					want[j - 1] = tmp;
				}
			assert_int_equal(dtree_query(&t, &q),
					 c.stop_after < 0 || (long)nw < c.stop_after);
			if (c.stop_after >= 0 && (long)nw > c.stop_after)
				nw = (size_t)c.stop_after;
			assert_int_equal(c.n, nw);
			for (size_t i = 0; i < nw; i++)
				assert_ptr_equal(got[i], want[i]);
		}
		assert_int_equal(dtree_check(&t), (long)live);
		assert_avl_height(&t);
	}
	/* in-order walk: every live item once, in key order */
	{
		size_t n = 0;
		const struct item *prev = NULL;

		for (struct dtree_node *x = dtree_first(&t); x; x = dtree_next(x)) {
			const struct item *cur = container_of(x, struct item, node);

			if (prev)
				assert_true(key_order(prev, cur) < 0);
			assert_true(cur->in);
			prev = cur;
			n++;
		}
		assert_int_equal(n, live);
	}
	/* teardown: erase everything, checking as it empties */
	for (size_t i = 0; i < N; i++)
		if (it[i].in) {
			dtree_erase(&t, &it[i].node);
			it[i].in = false;
			live--;
			if (i % 97 == 0)
				assert_int_equal(dtree_check(&t), (long)live);
		}
	assert_null(t.root);
	assert_int_equal(t.nr, 0);
	assert_int_equal(dtree_check(&t), 0);
	free(it);
	free(want);
	free(got);
}

/* Sorted inserts (the common case: addresses handed out in order). */
static void test_sequential_depth(void **state)
{
	enum { N = 1 << 16 };
	struct item *it = calloc(N, sizeof(*it));
	struct dtree t = { 0 };
	struct collect c;
	struct item *one;
	struct dtree_query q;

	(void)state;
	assert_non_null(it);
	for (size_t i = 0; i < N; i++) {
		it[i].node.k2 = i * 4096;
		it[i].node.end = i * 4096 + 4096;
		dtree_insert(&t, &it[i].node);
	}
	assert_int_equal(dtree_check(&t), N);
	assert_avl_height(&t);
	assert_true(dtree_height(&t) <= 17 + 1);
	/* a stabbing query visits O(log n) nodes, not n */
	c = (struct collect){ &one, 0, 1, -1 };
	q = (struct dtree_query){ 0, 0, 12345 * 4096 + 7, 12345 * 4096 + 8,
				  collect_fn, &c, 0 };
	dtree_query(&t, &q);
	assert_int_equal(c.n, 1);
	assert_ptr_equal(one, &it[12345]);
	assert_true(q.visits <= 4 * 17);
	for (size_t i = 0; i < N; i += 2)
		dtree_erase(&t, &it[i].node);
	assert_int_equal(dtree_check(&t), N / 2);
	assert_avl_height(&t);
	for (size_t i = 1; i < N; i += 2)
		dtree_erase(&t, &it[i].node);
	assert_null(t.root);
	free(it);
}

/* ------------------------------------------------------------------------ */
/* dma-debug on the tree                                                    */
/* ------------------------------------------------------------------------ */

static unsigned int lg2_up(unsigned long n)
{
	unsigned int lg = 0;

	while ((1UL << lg) < n)
		lg++;
	return lg;
}

static unsigned long umax(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

static unsigned long dbg_errs(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG);
}

/*
 * @n live 4K mappings: a sync, a device read and an unmap in the middle
 * each look at O(log n) tree nodes, and the trees are AVL-high. Returns
 * the most nodes one of them looked at.
 */
static unsigned long visits_at(unsigned long n)
{
	struct sim_machine *m = machine_from(
		"machine name=t arch=x86_64 ram=512M\n"
		"hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
		"pcidev id=dev0 bus=rp0 dma-bits=64\n");
	struct device *dev = sim_device(m, "dev0");
	unsigned long nblk = (n + 1023) / 1024;
	struct page **blk = calloc(nblk, sizeof(*blk));
	dma_addr_t *a = calloc(n, sizeof(*a));
	unsigned long most = 0, v;
	int he, hc;
	u8 buf[64];

	assert_non_null(blk);
	assert_non_null(a);
	for (unsigned long i = 0; i < nblk; i++)
		assert_non_null(blk[i] = sim_alloc_pages(m, 10));
	pci_set_master(to_pci_dev(dev));
	for (unsigned long i = 0; i < n; i++) {
		a[i] = dma_map_phys(dev, page_to_phys(blk[i / 1024] + i % 1024),
				    PAGE_SIZE,
				    DMA_BIDIRECTIONAL, 0);
		assert_false(dma_mapping_error(dev, a[i]));
	}
	assert_int_equal(sim_dma_debug_entries(m, dev), n);
	dma_debug_tree_heights(m, dev, &he, &hc);
	assert_true(he <= (int)(1.4405 * (lg2_up(n) + 1)));
	assert_true(hc <= (int)(1.4405 * (lg2_up(n) + 1)));

	v = dma_debug_tree_visits(m);
	dma_sync_single_for_cpu(dev, a[n / 2] + 100, 64, DMA_BIDIRECTIONAL);
	dma_sync_single_for_device(dev, a[n / 2] + 100, 64, DMA_BIDIRECTIONAL);
	most = umax(most, dma_debug_tree_visits(m) - v);
	v = dma_debug_tree_visits(m);
	assert_int_equal(sim_dma_read(dev, a[n / 3] + 8, buf, sizeof(buf)), 0);
	most = umax(most, dma_debug_tree_visits(m) - v);
	for (unsigned long i = 0; i < n; i++) {
		v = dma_debug_tree_visits(m);
		dma_unmap_phys(dev, a[i], PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
		if (i == n / 2)
			most = umax(most, dma_debug_tree_visits(m) - v);
	}
	assert_int_equal(dbg_errs(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	dma_debug_tree_heights(m, dev, &he, &hc);
	assert_int_equal(he, 0);
	assert_int_equal(hc, 0);
	for (unsigned long i = 0; i < nblk; i++)
		sim_free_pages(m, blk[i], 10);
	free(blk);
	free(a);
	sim_machine_destroy(m);
	return most;
}

static void test_debug_lookups_logarithmic(void **state)
{
	unsigned long small = visits_at(256), large = visits_at(16384);

	(void)state;
	/* 64 times the mappings: a few more levels, not 64 times the work */
	assert_true(small > 0);
	assert_true(large <= 16 * (lg2_up(16384) + 2));
	assert_true(large <= small + 16 * (lg2_up(16384) - lg2_up(256)));
}

/*
 * Random mappings of 1 to 4 pages, some overlapping in DMA space only
 * through separate devices' addresses, then random device reads: dma-debug
 * reports exactly the reads that no mapping of the device covers, as a
 * list of the mapped ranges says.
 */
static void test_debug_access_against_list(void **state)
{
	enum { PAGES = 1024, MAPS = 200, READS = 3000 };
	struct sim_machine *m = machine_from(
		"machine name=t arch=x86_64 ram=512M\n"
		"hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
		"pcidev id=dev0 bus=rp0 dma-bits=64\n");
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 10);
	struct { dma_addr_t a; size_t len; } map[MAPS];
	bool used[PAGES] = { false };
	struct rng r = { 0xd1ce5eedULL };
	unsigned int nr = 0;
	u8 buf[16];

	(void)state;
	assert_non_null(pg);
	pci_set_master(to_pci_dev(dev));
	while (nr < MAPS) {
		unsigned long first = rnd(&r) % (PAGES - 4), pages = 1 + rnd(&r) % 4;
		size_t len = pages * PAGE_SIZE - rnd(&r) % 64;
		bool free_run = true;

		for (unsigned long i = 0; i < pages; i++)
			free_run &= !used[first + i];
		if (!free_run)
			continue;
		for (unsigned long i = 0; i < pages; i++)
			used[first + i] = true;
		map[nr].a = dma_map_phys(dev, page_to_phys(pg + first), len,
					 DMA_BIDIRECTIONAL, 0);
		assert_false(dma_mapping_error(dev, map[nr].a));
		map[nr++].len = len;
	}
	for (int i = 0; i < READS; i++) {
		dma_addr_t at = page_to_phys(pg) + rnd(&r) % ((u64)PAGES * PAGE_SIZE - 16);
		unsigned long before = dbg_errs(m);
		bool covered = false;

		for (unsigned int k = 0; k < nr; k++)
			covered |= at >= map[k].a && at + 16 <= map[k].a + map[k].len;
		/* straddling an end: covered only in part, also a report */
		assert_int_equal(sim_dma_read(dev, at, buf, sizeof(buf)), 0);
		if (covered)
			assert_int_equal(dbg_errs(m), before);
		else
			assert_int_equal(dbg_errs(m), before + 1);
	}
	{
		unsigned long before = dbg_errs(m);

		for (unsigned int k = 0; k < nr; k++)
			dma_unmap_phys(dev, map[k].a, map[k].len,
				       DMA_BIDIRECTIONAL, 0);
		assert_int_equal(dbg_errs(m), before);
	}
	sim_report_clear(m);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	sim_free_pages(m, pg, 10);
	sim_machine_destroy(m);
}

/*
 * The exact-key table (debug-hash.c) against a plain array: random adds,
 * deletes and look-ups of line numbers (clustered in pages, as mappings
 * are) and of page numbers, every answer compared; chains stay short as
 * it grows; destroy hands back every node still in it.
 */
struct hitem {
	struct dhash_node node;
	bool in;
};

static unsigned long hfreed;

static void hfree(struct dhash_node *n)
{
	container_of(n, struct hitem, node)->in = false;
	hfreed++;
}

static void hash_against_array(unsigned int fine_bits, u64 stride)
{
	enum { N = 8192, OPS = 60000 };
	struct hitem *it = calloc(N, sizeof(*it));
	struct dhash h = { .fine_bits = fine_bits };
	struct rng r = { 0x5eed0000ULL + fine_bits };
	unsigned long in = 0;

	assert_non_null(it);
	for (unsigned int i = 0; i < N; i++)	/* distinct keys, in runs */
		it[i].node.key = (u64)(i / 64) * stride + (i % 64) +
				 (fine_bits ? 0 : (u64)(i / 64) << 20);
	for (int op = 0; op < OPS; op++) {
		struct hitem *x = &it[rnd(&r) % N];
		struct dhash_node *f = dhash_find(&h, x->node.key);

		assert_ptr_equal(f, x->in ? &x->node : NULL);
		if (x->in) {
			dhash_del(&h, &x->node);
			x->in = false;
			in--;
		} else if (rnd(&r) % 4) {
			assert_int_equal(dhash_add(&h, &x->node), 0);
			x->in = true;
			in++;
		}
		assert_int_equal(h.count, in);
	}
	for (unsigned int i = 0; i < N; i++)
		assert_ptr_equal(dhash_find(&h, it[i].node.key),
				 it[i].in ? &it[i].node : NULL);
	assert_true(h.count <= (h.mask + 1) / 2 + 1);	/* at most half full */
	assert_true(dhash_longest(&h) <= 8);
	hfreed = 0;
	dhash_destroy(&h, hfree);
	assert_int_equal(hfreed, in);
	for (unsigned int i = 0; i < N; i++)
		assert_false(it[i].in);
	assert_null(h.slot);
	assert_null(dhash_find(&h, it[0].node.key));
	free(it);
}

static void test_hash_against_array(void **state)
{
	(void)state;
	hash_against_array(6, 64);		/* cache lines of pages */
	hash_against_array(6, 64 * 512);	/* one line per 2 MiB */
	hash_against_array(0, 1);		/* pages in runs */
}

/*
 * dma-debug follows the pages hashed mappings cover, and keeps a record
 * of device writes for a page only while such a mapping covers it:
 * mapped, written by the device, synced and unmapped, nothing stays; a
 * page two mappings cover keeps its record until the second goes;
 * mappings that are not hashed are not followed.
 */
static void expect_dw(struct sim_machine *m, unsigned long covered,
		      unsigned long records)
{
	unsigned long rec;

	assert_int_equal(dma_debug_dw_pages(m, &rec), covered);
	assert_int_equal(rec, records);
}

static void test_dw_pages_follow_mappings(void **state)
{
	enum { PAGES = 64 };
	struct sim_machine *m = machine_from(
		"machine name=t arch=x86_64 ram=512M\n"
		"hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
		"pcidev id=dev0 bus=rp0 dma-bits=64\n");
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 6);
	dma_addr_t a[PAGES], b, c;
	u8 buf[64] = { 1, 2, 3 };

	(void)state;
	assert_non_null(pg);
	pci_set_master(to_pci_dev(dev));
	expect_dw(m, 0, 0);
	for (int i = 0; i < PAGES; i++) {
		a[i] = dma_map_phys(dev, page_to_phys(pg + i), PAGE_SIZE,
				    DMA_BIDIRECTIONAL, 0);
		assert_false(dma_mapping_error(dev, a[i]));
	}
	expect_dw(m, PAGES, 0);
	for (int i = 0; i < PAGES; i++) {
		assert_int_equal(sim_dma_write(dev, a[i] + 128, buf,
					       sizeof(buf)), 0);
		if (!i)
			expect_dw(m, PAGES, 1);
		dma_sync_single_for_cpu(dev, a[i], PAGE_SIZE,
					DMA_BIDIRECTIONAL);
		dma_unmap_phys(dev, a[i], PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	}
	expect_dw(m, 0, 0);

	/* two mappings of one page (the second read-only, as rings share) */
	b = dma_map_phys(dev, page_to_phys(pg), PAGE_SIZE, DMA_FROM_DEVICE, 0);
	c = dma_map_phys(dev, page_to_phys(pg) + 256, 512, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(dev, b));
	assert_false(dma_mapping_error(dev, c));
	expect_dw(m, 1, 0);
	assert_int_equal(sim_dma_write(dev, b, buf, sizeof(buf)), 0);
	expect_dw(m, 1, 1);
	dma_sync_single_for_cpu(dev, b, PAGE_SIZE, DMA_FROM_DEVICE);
	dma_unmap_phys(dev, b, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	expect_dw(m, 1, 1);
	dma_unmap_phys(dev, c, 512, DMA_TO_DEVICE, 0);
	expect_dw(m, 0, 0);

	/* not hashed: the driver syncs sub-ranges itself */
	b = dma_map_phys(dev, page_to_phys(pg), PAGE_SIZE, DMA_FROM_DEVICE,
			 DMA_ATTR_SKIP_CPU_SYNC);
	assert_false(dma_mapping_error(dev, b));
	expect_dw(m, 0, 0);
	dma_unmap_phys(dev, b, PAGE_SIZE, DMA_FROM_DEVICE,
		       DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(dbg_errs(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	sim_free_pages(m, pg, 6);
	sim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_against_array),
		cmocka_unit_test(test_dw_pages_follow_mappings),
		cmocka_unit_test(test_random_against_array),
		cmocka_unit_test(test_sequential_depth),
		cmocka_unit_test(test_debug_lookups_logarithmic),
		cmocka_unit_test(test_debug_access_against_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
