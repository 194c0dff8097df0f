// SPDX-License-Identifier: MIT
/*
 * IOVA allocator: a randomized run against a frame-by-frame reference
 * model (every result checked: bounds, alignment, freeness, highest fit on
 * the tree path), exhaustion and recovery, 32-bit limits in a 64-bit
 * space, reserved windows and their merging, guard gaps, size rounding,
 * the per-thread caches (indices, inheritance, flushing a live or exited
 * thread's cache, more threads than indices) and the depot, concurrent alloc/free, a fail-Nth
 * sweep, and a million live ranges.
 *
 * The domains here turn the per-mutation tree check on at run time with
 * iova_domain_set_debug() (the library is not rebuilt with -DIOVA_DEBUG),
 * except where a test is about volume.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include "failnth.h"
#include "kernel/iommu/iova.h"

#define GRANULE		4096UL
/* Sizes below it are rounded up; power-of-two sizes up to it are cached. */
#define CACHE_LIMIT	(1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1))

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

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

static unsigned long rnd_range(struct rng *r, unsigned long lo,
			       unsigned long hi)
{
	return lo + (unsigned long)(rnd(r) % (hi - lo + 1));
}

static unsigned long pow2_roundup(unsigned long x)
{
	unsigned long p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* What alloc_iova_fast() really allocates for @size. */
static unsigned long fast_size(unsigned long size)
{
	return size < CACHE_LIMIT ? pow2_roundup(size) : size;
}

static unsigned int class_of(unsigned long rounded)
{
	return (unsigned int)__builtin_ctzl(rounded);
}

#define CHECK(iovad)	assert_int_equal(iova_domain_check(iovad), 0)

struct live {
	unsigned long pfn;
	unsigned long size;	/* frames really allocated */
	unsigned long req;	/* size asked for */
	bool fast;
};

static int live_cmp(const void *a, const void *b)
{
	const struct live *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* Sort and check that no two ranges (plus @guard) touch. */
static void assert_disjoint(struct live *l, unsigned long nr,
			    unsigned long guard)
{
	unsigned long i;

	qsort(l, nr, sizeof(*l), live_cmp);
	for (i = 1; i < nr; i++) {
		if (l[i - 1].pfn + l[i - 1].size - 1 + guard >= l[i].pfn)
			fail_msg("[%#lx+%lu] and [%#lx+%lu] overlap (guard %lu)",
				 l[i - 1].pfn, l[i - 1].size, l[i].pfn,
				 l[i].size, guard);
	}
}

/* ------------------------------------------------------------------------ */
/* Reference model: one byte per frame                                      */
/* ------------------------------------------------------------------------ */

#define MODEL_FRAMES	(1UL << 14)	/* limits stay below this */
#define MODEL_SLACK	64		/* guard frames above the top limit */

enum { MF_FREE, MF_USED, MF_RES };

struct model {
	unsigned long start, guard;
	u8 occ[MODEL_FRAMES + MODEL_SLACK];
	u8 cached[MODEL_FRAMES + MODEL_SLACK];	/* class + 1 at a cached start */
	unsigned long cached_frames;
	unsigned long used;			/* frames MF_USED */
	struct live *live;
	unsigned long nr_live, cap;
	/* what the run went through */
	unsigned long tree_allocs, cache_hits, fast_tree, fails, flushed;
	unsigned long spills, reserved, busy;
};

static void model_set(struct model *md, unsigned long pfn, unsigned long size,
		      u8 val)
{
	unsigned long i, n = size + (val == MF_RES ? 0 : md->guard);

	assert_true(pfn + n <= MODEL_FRAMES + MODEL_SLACK);
	for (i = pfn; i < pfn + n; i++) {
		if (md->occ[i] == MF_USED)
			md->used--;
		md->occ[i] = val;
		if (val == MF_USED)
			md->used++;
	}
}

/* Is the range with its guard free in the model? */
static bool model_free_at(const struct model *md, unsigned long pfn,
			  unsigned long size)
{
	unsigned long i;

	for (i = pfn; i < pfn + size + md->guard; i++)
		if (md->occ[i] != MF_FREE)
			return false;
	return true;
}

/* The highest aligned start that fits, as the allocator must find it. */
static unsigned long model_fit(const struct model *md, unsigned long size,
			       unsigned long align, unsigned long limit)
{
	unsigned long top = limit + md->guard, run = 0, p;

	if (size > limit)
		return 0;
	for (p = top + 1; p-- > md->start;) {
		run = md->occ[p] == MF_FREE ? run + 1 : 0;
		if (!(p & (align - 1)) && p + size - 1 <= limit &&
		    run >= size + md->guard)
			return p;
	}
	return 0;
}

static void model_uncache_all(struct model *md)
{
	unsigned long p;

	for (p = 0; p < MODEL_FRAMES; p++) {
		if (!md->cached[p])
			continue;
		model_set(md, p, 1UL << (md->cached[p] - 1), MF_FREE);
		md->cached[p] = 0;
	}
	md->cached_frames = 0;
}

/* Maximal runs of reserved frames: what merging must leave in the tree. */
static unsigned long model_reserved_runs(const struct model *md)
{
	unsigned long p, runs = 0;

	for (p = 0; p < MODEL_FRAMES; p++)
		if (md->occ[p] == MF_RES && (!p || md->occ[p - 1] != MF_RES))
			runs++;
	return runs;
}

static void model_add_live(struct model *md, unsigned long pfn,
			   unsigned long size, unsigned long req, bool fast)
{
	if (md->nr_live == md->cap) {
		md->cap = md->cap ? md->cap * 2 : 256;
		md->live = realloc(md->live, md->cap * sizeof(*md->live));
		assert_non_null(md->live);
	}
	md->live[md->nr_live++] = (struct live){ pfn, size, req, fast };
}

/* ------------------------------------------------------------------------ */
/* Randomized run against the model                                         */
/* ------------------------------------------------------------------------ */

static unsigned long pick_limit(struct rng *r, struct model *md)
{
	switch (rnd(r) % 4) {
	case 0:
	case 1:
		return MODEL_FRAMES - 1;
	case 2:
		return rnd_range(r, md->start + 64, MODEL_FRAMES - 1);
	default:
		return rnd_range(r, md->start + 1024, MODEL_FRAMES / 2);
	}
}

static void random_tree_alloc(struct iova_domain *iovad, struct model *md,
			      struct rng *r, unsigned long step)
{
	unsigned long size, limit, pfn, want, align;
	bool aligned = rnd(r) & 1;
	unsigned int k = rnd(r) % 100;

	size = k < 70 ? rnd_range(r, 1, 16) : k < 95 ? rnd_range(r, 17, 128) :
							rnd_range(r, 129, 1024);
	limit = pick_limit(r, md);
	align = aligned ? pow2_roundup(size) : 1;
	want = model_fit(md, size, align, limit);
	pfn = alloc_iova(iovad, size, limit, aligned);
	if (pfn != want)
		fail_msg("step %lu: alloc_iova(%lu, %#lx, %d) = %#lx, highest fit %#lx",
			 step, size, limit, aligned, pfn, want);
	if (!pfn) {
		md->fails++;
		return;
	}
	md->tree_allocs++;
	model_set(md, pfn, size, MF_USED);
	model_add_live(md, pfn, size, size, false);
}

static void random_fast_alloc(struct iova_domain *iovad, struct model *md,
			      struct rng *r, unsigned long step)
{
	unsigned long req, rs, limit, pfn, want, before, after;
	bool flush = rnd(r) & 1;

	req = rnd(r) % 5 ? rnd_range(r, 1, CACHE_LIMIT - 1) :
			   rnd_range(r, CACHE_LIMIT, 100);
	rs = fast_size(req);
	limit = pick_limit(r, md);
	before = iova_domain_cached(iovad);
	pfn = alloc_iova_fast(iovad, req, limit, flush);
	after = iova_domain_cached(iovad);

	if (pfn && rs <= CACHE_LIMIT && md->cached[pfn] == class_of(rs) + 1 &&
	    after == before - rs) {
		/* from the cache: any cached range of the class under limit */
		if (pfn + rs - 1 > limit || pfn & (rs - 1))
			fail_msg("step %lu: cached %#lx+%lu breaks limit %#lx/alignment",
				 step, pfn, rs, limit);
		md->cached[pfn] = 0;
		md->cached_frames -= rs;
		md->cache_hits++;
	} else {
		if (after != before) {
			/* the tree was full: everything was flushed first */
			if (!flush || after)
				fail_msg("step %lu: cache went %lu -> %lu (flush %d)",
					 step, before, after, flush);
			model_uncache_all(md);
			md->flushed++;
		}
		want = model_fit(md, rs, pow2_roundup(rs), limit);
		if (pfn != want)
			fail_msg("step %lu: alloc_iova_fast(%lu, %#lx, %d) = %#lx, highest fit %#lx",
				 step, req, limit, flush, pfn, want);
		if (!pfn) {
			md->fails++;
			return;
		}
		md->fast_tree++;
		model_set(md, pfn, rs, MF_USED);
	}
	model_add_live(md, pfn, rs, req, true);
}

static void random_free(struct iova_domain *iovad, struct model *md,
			struct rng *r, unsigned long step)
{
	unsigned long i = rnd(r) % md->nr_live, before, after;
	struct live l = md->live[i];

	md->live[i] = md->live[--md->nr_live];
	if (!l.fast || l.size > CACHE_LIMIT) {
		if (l.fast)
			free_iova_fast(iovad, l.pfn, l.req);
		else
			assert_int_equal(free_iova(iovad, l.pfn + rnd(r) % l.size),
					 l.size);
		model_set(md, l.pfn, l.size, MF_FREE);
		return;
	}
	before = iova_domain_cached(iovad);
	free_iova_fast(iovad, l.pfn, l.req);
	after = iova_domain_cached(iovad);
	if (after == before + l.size) {
		md->cached[l.pfn] = class_of(l.size) + 1;
		md->cached_frames += l.size;
		return;
	}
	/* the depot overflowed into the tree: resynchronise by a flush */
	iova_cache_flush(iovad);
	md->cached[l.pfn] = class_of(l.size) + 1;
	model_uncache_all(md);
	md->spills++;
	(void)step;
}

static void random_reserve(struct iova_domain *iovad, struct model *md,
			   struct rng *r, unsigned long step)
{
	unsigned long lo = rnd_range(r, md->start, MODEL_FRAMES - 1);
	unsigned long hi = min(lo + rnd_range(r, 0, 15), MODEL_FRAMES - 1);
	unsigned long p;
	int want = 0, ret;

	for (p = lo; p <= hi; p++)
		if (md->occ[p] == MF_USED)
			want = -EBUSY;
	ret = reserve_iova(iovad, lo, hi);
	if (ret != want)
		fail_msg("step %lu: reserve_iova(%#lx, %#lx) = %d, expected %d",
			 step, lo, hi, ret, want);
	if (!ret)
		model_set(md, lo, hi - lo + 1, MF_RES);
	md->reserved += !ret;
	md->busy += ret == -EBUSY;
	assert_int_equal(iova_domain_reservations(iovad),
			 model_reserved_runs(md));
}

/*
 * @fill: percentage of the space kept in use (more means more failures
 * and flush-retries); @mag, @depot: cache limits (small ones spill).
 */
static void run_random(unsigned long seed, unsigned long start,
		       unsigned long guard, unsigned long steps,
		       unsigned int fill, unsigned int mag, unsigned int depot)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct model *md = calloc(1, sizeof(*md));
	struct iova_domain *iovad;
	struct rng r = { seed };
	unsigned long step, i;
	unsigned int k;

	assert_non_null(md);
	md->start = start;
	md->guard = guard;
	iovad = iova_domain_create(m, GRANULE, start, guard);
	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	assert_int_equal(iova_domain_set_rcache_limits(iovad, mag, depot), 0);

	for (step = 0; step < steps; step++) {
		k = rnd(&r) % 100;
		/* keep the space around @fill percent full */
		if (md->used > MODEL_FRAMES * fill / 100 && k < 60)
			k = 60;
		if (k < 25)
			random_tree_alloc(iovad, md, &r, step);
		else if (k < 55)
			random_fast_alloc(iovad, md, &r, step);
		else if (k < 97) {
			if (md->nr_live)
				random_free(iovad, md, &r, step);
		} else if (k < 98) {
			random_reserve(iovad, md, &r, step);
		} else if (k < 99) {
			iova_cache_flush(iovad);
			model_uncache_all(md);
		} else {
			/* a burst of frees */
			for (i = 0; i < 40 && md->nr_live; i++)
				random_free(iovad, md, &r, step);
		}
		CHECK(iovad);
		if (iova_domain_allocations(iovad) != md->nr_live ||
		    iova_domain_cached(iovad) != md->cached_frames)
			fail_msg("step %lu: %lu allocations/%lu cached, model %lu/%lu",
				 step, iova_domain_allocations(iovad),
				 iova_domain_cached(iovad), md->nr_live,
				 md->cached_frames);
	}
	print_message("seed %#lx: %lu tree, %lu cache hits, %lu fast from tree, %lu failed, %lu flush-retries, %lu spills, %lu reserved, %lu busy\n",
		      seed, md->tree_allocs, md->cache_hits, md->fast_tree,
		      md->fails, md->flushed, md->spills, md->reserved,
		      md->busy);
	/* every model range really is allocated in the tree */
	for (i = 0; i < md->nr_live; i++)
		assert_false(model_free_at(md, md->live[i].pfn,
					   md->live[i].size));
	assert_disjoint(md->live, md->nr_live, guard);

	/* free half, then destroy with ranges live and cached */
	for (i = 0; i < md->nr_live / 2; i++) {
		struct live *l = &md->live[i];

		if (l->fast)
			free_iova_fast(iovad, l->pfn, l->req);
		else
			assert_int_equal(free_iova(iovad, l->pfn), l->size);
	}
	assert_int_equal(iova_domain_allocations(iovad), md->nr_live - i);
	CHECK(iovad);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	free(md->live);
	free(md);
	sim_machine_destroy(m);
}

static void test_random_model(void **state)
{
	run_random(0x1234567, 1, 0, 10000, 50, IOVA_MAG_SIZE, IOVA_DEPOT_MAX);
	run_random(0xdeadbeef, 17, 0, 6000, 50, IOVA_MAG_SIZE, IOVA_DEPOT_MAX);
	run_random(0xc0ffee, 1, 1, 6000, 90, IOVA_MAG_SIZE, IOVA_DEPOT_MAX);
	run_random(0x5eed, 3, 3, 5000, 70, 4, 1);
	run_random(0xfeed, 1, 0, 6000, 95, 3, 2);
}

/* ------------------------------------------------------------------------ */
/* Randomized run against a sorted list of ranges, in a 40-bit space        */
/* ------------------------------------------------------------------------ */

/*
 * The frame-by-frame model above keeps to 16Ki frames; this one is a
 * sorted array of the occupied ranges, so sizes up to 64Ki frames, 32- and
 * 40-bit limits and alignments as large come in. Only the tree calls:
 * alloc_iova() (every result must be the highest aligned fit the model
 * finds), free_iova() by any frame (and of frames nothing holds),
 * reserve_iova() (merging, -EBUSY on an allocation or its guard), with
 * the whole-tree check after every mutation and after every step.
 */
#define LM_SPACE	(1UL << 40)

struct lm_range {
	unsigned long lo, hi;	/* hi: last frame, guard not included */
	bool res;
};

struct list_model {
	unsigned long start, guard;
	struct lm_range *r;
	unsigned long nr, cap, allocs, reserved;
	/* what the run went through */
	unsigned long got, full, freed, busy, merged, peak;
};

/* Last frame a range occupies (an allocation's guard frames included). */
static unsigned long lm_end(const struct list_model *lm,
			    const struct lm_range *r)
{
	return r->hi + (r->res ? 0 : lm->guard);
}

/* Index of the first range with lo > @pfn. */
static unsigned long lm_upper(const struct list_model *lm, unsigned long pfn)
{
	unsigned long a = 0, b = lm->nr;

	while (a < b) {
		unsigned long mid = (a + b) / 2;

		if (lm->r[mid].lo <= pfn)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

static void lm_insert(struct list_model *lm, unsigned long lo,
		      unsigned long hi, bool res)
{
	unsigned long i = lm_upper(lm, lo);

	if (lm->nr == lm->cap) {
		lm->cap = lm->cap ? 2 * lm->cap : 64;
		lm->r = realloc(lm->r, lm->cap * sizeof(*lm->r));
		assert_non_null(lm->r);
	}
	memmove(&lm->r[i + 1], &lm->r[i], (lm->nr - i) * sizeof(*lm->r));
	lm->r[i] = (struct lm_range){ lo, hi, res };
	lm->nr++;
	if (res)
		lm->reserved++;
	else
		lm->allocs++;
}

static void lm_remove(struct list_model *lm, unsigned long i)
{
	if (lm->r[i].res)
		lm->reserved--;
	else
		lm->allocs--;
	memmove(&lm->r[i], &lm->r[i + 1], (lm->nr - i - 1) * sizeof(*lm->r));
	lm->nr--;
}

/*
 * The highest start of an @align-aligned @size-frame range, with its guard
 * free above it and ending at or below @limit, in the free run [a, b];
 * 0 when none.
 */
static unsigned long lm_fit_run(const struct list_model *lm, unsigned long a,
				unsigned long b, unsigned long size,
				unsigned long align, unsigned long limit)
{
	unsigned long top, lo;

	if (b < a || b - a < lm->guard)
		return 0;
	top = min(b - lm->guard, limit);	/* the range's last frame */
	if (top < a || top - a + 1 < size)
		return 0;
	lo = (top - size + 1) / align * align;
	return lo >= a ? lo : 0;
}

/* What alloc_iova() must return: the highest fit, over the runs top down. */
static unsigned long lm_fit(const struct list_model *lm, unsigned long size,
			    unsigned long align, unsigned long limit)
{
	unsigned long i = lm->nr, a, b = ULONG_MAX - 1, pfn;

	for (;;) {
		a = i ? lm_end(lm, &lm->r[i - 1]) + 1 : lm->start;
		pfn = lm_fit_run(lm, a, b, size, align, limit);
		if (pfn)
			return pfn;
		if (!i)
			return 0;
		b = lm->r[--i].lo - 1;
		if (b + 1 < lm->start)
			return 0;
	}
}

static unsigned long lm_size(struct rng *r)
{
	/* mostly small, some up to 64Ki frames */
	return rnd_range(r, 1, 1UL << rnd_range(r, 0, rnd(r) % 4 ? 6 : 16));
}

static void lm_step_alloc(struct iova_domain *iovad, struct list_model *lm,
			  struct rng *r, unsigned long step)
{
	unsigned long size = lm_size(r), limit, want, pfn;
	bool aligned = rnd(r) & 1;
	unsigned long align = aligned ? pow2_roundup(size) : 1;

	switch (rnd(r) % 5) {
	case 0:
		limit = (1UL << 32) - 1;
		break;
	case 4:
		/* a crowded bottom: no room now and then */
		limit = lm->start + rnd_range(r, 0, 2048);
		break;
	case 1:
		limit = LM_SPACE - 1;
		break;
	default:
		limit = rnd_range(r, lm->start, LM_SPACE - 1);
		/* now and then close under what is allocated, to fill holes */
		if (lm->nr && rnd(r) % 2)
			limit = min(LM_SPACE - 1,
				    lm->r[rnd(r) % lm->nr].lo +
				    rnd_range(r, 0, 4096));
		break;
	}
	want = lm_fit(lm, size, align, limit);
	pfn = alloc_iova(iovad, size, limit, aligned);
	if (pfn != want)
		fail_msg("step %lu: alloc_iova(%lu, %#lx, %d) = %#lx, the model's highest fit %#lx",
			 step, size, limit, aligned, pfn, want);
	if (!pfn) {
		lm->full++;
		return;
	}
	lm->got++;
	lm->peak = max(lm->peak, lm->allocs + 1);
	/* within the limit, aligned, and free in the model */
	assert_true(pfn >= lm->start && pfn + size - 1 <= limit);
	assert_int_equal(pfn % align, 0);
	lm_insert(lm, pfn, pfn + size - 1, false);
}

static void lm_step_free(struct iova_domain *iovad, struct list_model *lm,
			 struct rng *r, unsigned long step)
{
	unsigned long i, pfn, got;

	if (!lm->allocs)
		return;
	do {
		i = rnd(r) % lm->nr;
	} while (lm->r[i].res);
	pfn = rnd_range(r, lm->r[i].lo, lm->r[i].hi);
	got = free_iova(iovad, pfn);
	if (got != lm->r[i].hi - lm->r[i].lo + 1)
		fail_msg("step %lu: free_iova(%#lx) = %lu, [%#lx, %#lx] allocated",
			 step, pfn, got, lm->r[i].lo, lm->r[i].hi);
	lm_remove(lm, i);
	lm->freed++;
}

/* A frame no allocation holds (guard frames and reservations included). */
static void lm_step_free_nothing(struct iova_domain *iovad,
				 struct list_model *lm, struct rng *r,
				 unsigned long step)
{
	unsigned long pfn = rnd_range(r, 0, LM_SPACE), i;

	i = lm_upper(lm, pfn);
	if (i && !lm->r[i - 1].res && pfn <= lm->r[i - 1].hi)
		return;		/* allocated after all */
	if (free_iova(iovad, pfn))
		fail_msg("step %lu: free_iova(%#lx) freed frames nothing holds",
			 step, pfn);
}

static void lm_step_reserve(struct iova_domain *iovad, struct list_model *lm,
			    struct rng *r, unsigned long step)
{
	unsigned long lo = rnd_range(r, lm->start, LM_SPACE - 1), hi, i;
	int want = 0, ret;

	/* mostly next to what is there: merges and refusals */
	if (lm->nr && rnd(r) % 4) {
		const struct lm_range *near = &lm->r[rnd(r) % lm->nr];

		lo = near->lo + rnd_range(r, 0, 2 * 64) - 64;
		if (rnd(r) & 1)
			lo = lm_end(lm, near) + 1 + rnd_range(r, 0, 3);
		lo = clamp(lo, lm->start, LM_SPACE - 1);
	}
	hi = min(lo + rnd_range(r, 0, 64), LM_SPACE - 1);

	/* ranges that touch [lo - 1, hi + 1]: allocations refuse, reservations merge */
	for (i = lm_upper(lm, hi + 1); i-- > 0;) {
		if (lm_end(lm, &lm->r[i]) + 1 < lo)
			break;
		if (!lm->r[i].res && lm->r[i].lo <= hi &&
		    lm_end(lm, &lm->r[i]) >= lo)
			want = -EBUSY;
	}
	ret = reserve_iova(iovad, lo, hi);
	if (ret != want)
		fail_msg("step %lu: reserve_iova(%#lx, %#lx) = %d, expected %d",
			 step, lo, hi, ret, want);
	if (ret) {
		lm->busy++;
		return;
	}
	for (i = lm_upper(lm, hi + 1); i-- > 0;) {
		if (lm_end(lm, &lm->r[i]) + 1 < lo)
			break;
		if (!lm->r[i].res)
			continue;
		lo = min(lo, lm->r[i].lo);
		hi = max(hi, lm->r[i].hi);
		lm_remove(lm, i);
		lm->merged++;
	}
	lm_insert(lm, lo, hi, true);
}

static void run_list_model(unsigned long seed, unsigned long start,
			   unsigned long guard, unsigned long steps)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct list_model lm = { .start = start, .guard = guard };
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, start, guard);
	struct rng r = { seed };
	unsigned long step, i, k, used, spare;

	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	for (step = 0; step < steps; step++) {
		k = rnd(&r) % 100;
		/* grow for the first half, then shrink */
		if (k < (step < steps / 2 ? 55 : 35))
			lm_step_alloc(iovad, &lm, &r, step);
		else if (k < 92)
			lm_step_free(iovad, &lm, &r, step);
		else if (k < 96)
			lm_step_free_nothing(iovad, &lm, &r, step);
		else
			lm_step_reserve(iovad, &lm, &r, step);
		if (step % 64 == 0 || step == steps - 1) {
			CHECK(iovad);
			assert_int_equal(iova_domain_allocations(iovad),
					 lm.allocs);
			assert_int_equal(iova_domain_reservations(iovad),
					 lm.reserved);
		}
	}
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 0);
	print_message("seed %#lx: %lu allocated (peak %lu live), %lu no room, %lu freed, %lu reserved (%lu merged), %lu busy\n",
		      seed, lm.got, lm.peak, lm.full, lm.freed, lm.reserved,
		      lm.merged, lm.busy);
	/* everything back, in a random order; the reservations stay */
	while (lm.allocs)
		lm_step_free(iovad, &lm, &r, step);
	assert_int_equal(iova_domain_allocations(iovad), 0);
	CHECK(iovad);
	for (i = 0; i < lm.nr; i++)
		assert_true(lm.r[i].res);
	/* the node pool: what the tree holds, and chunks given back */
	iova_domain_nodes(iovad, &used, &spare);
	assert_int_equal(used, lm.nr);
	assert_true(spare < lm.peak);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 0);
	assert_int_equal(sim_alloc_live(m), base);
	free(lm.r);
	sim_machine_destroy(m);
}

static void test_random_list_model(void **state)
{
	run_list_model(0x10ad, 1, 0, 8000);
	run_list_model(0xa11ce, 1, 1, 6000);
	run_list_model(0xb0b, 0x1000, 3, 6000);
}

/* ------------------------------------------------------------------------ */
/* Directed tests                                                           */
/* ------------------------------------------------------------------------ */

static void test_basics(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad;

	assert_null(iova_domain_create(m, 1000, 1, 0));
	assert_null(iova_domain_create(m, 2048, 1, 0));
	assert_null(iova_domain_create(m, GRANULE, 0, 0));
	assert_int_equal(sim_alloc_live(m), base);

	iovad = iova_domain_create(m, 16384, 1, 0);
	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	assert_int_equal(iova_shift(iovad), 14);
	CHECK(iovad);

	/* top-down, inclusive limit */
	assert_int_equal(alloc_iova(iovad, 1, 100, false), 100);
	assert_int_equal(alloc_iova(iovad, 4, 100, true), 96);
	assert_int_equal(alloc_iova(iovad, 3, 100, false), 93);
	assert_int_equal(alloc_iova(iovad, 3, 100, true), 88);
	assert_int_equal(iova_domain_allocations(iovad), 4);
	/* nothing silly */
	assert_int_equal(alloc_iova(iovad, 0, 100, false), 0);
	assert_int_equal(alloc_iova(iovad, 200, 100, false), 0);
	assert_int_equal(alloc_iova_fast(iovad, 0, 100, true), 0);
	assert_int_equal(free_iova(iovad, 50), 0);
	assert_int_equal(free_iova(iovad, 0), 0);
	assert_int_equal(reserve_iova(iovad, 10, 9), -EINVAL);
	/* frees by any frame of the range */
	assert_int_equal(free_iova(iovad, 95), 3);
	assert_int_equal(free_iova(iovad, 99), 4);
	assert_int_equal(free_iova(iovad, 99), 0);
	/* the gap is found again, highest first */
	assert_int_equal(alloc_iova(iovad, 7, 100, false), 93);
	assert_int_equal(iova_domain_allocations(iovad), 3);
	CHECK(iovad);
	/* frame 0 never */
	assert_int_equal(alloc_iova(iovad, 1, 0, false), 0);
	assert_int_equal(alloc_iova(iovad, 87, 87, false), 1);
	assert_int_equal(alloc_iova(iovad, 1, 87, false), 0);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

static void test_exhaustion(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	const unsigned long limit = 1023;
	unsigned long pfn, n = 0, i;

	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	while ((pfn = alloc_iova(iovad, 1, limit, false)))
		assert_int_equal(pfn, limit - n++);
	assert_int_equal(n, limit);
	assert_int_equal(alloc_iova(iovad, 1, limit, false), 0);
	assert_int_equal(alloc_iova_fast(iovad, 1, limit, true), 0);
	CHECK(iovad);
	/* free one frame: exactly it comes back */
	assert_int_equal(free_iova(iovad, 500), 1);
	assert_int_equal(alloc_iova(iovad, 2, limit, false), 0);
	assert_int_equal(alloc_iova(iovad, 1, limit, false), 500);
	/* free two aligned frames: an aligned pair fits, a quad does not */
	free_iova(iovad, 600);
	free_iova(iovad, 601);
	assert_int_equal(alloc_iova_fast(iovad, 4, limit, true), 0);
	assert_int_equal(alloc_iova_fast(iovad, 2, limit, true), 600);
	CHECK(iovad);
	/* free everything: the whole space is one gap again */
	for (i = 1; i <= limit; i++)
		free_iova(iovad, i);
	assert_int_equal(iova_domain_allocations(iovad), 0);
	assert_int_equal(alloc_iova(iovad, limit, limit, false), 1);
	assert_int_equal(free_iova(iovad, 1), limit);

	/*
	 * Cached ranges are unusable to the tree until flushed: fill the space
	 * with single frames, cache every other one, ask for a pair.
	 */
	for (i = 0; i < limit; i++)
		assert_int_not_equal(alloc_iova_fast(iovad, 1, limit, false), 0);
	for (i = 2; i <= limit; i += 2)
		free_iova_fast(iovad, i, 1);
	assert_int_equal(iova_domain_cached(iovad), limit / 2);
	for (i = 3; i <= limit; i += 4)
		assert_int_equal(free_iova(iovad, i), 1);
	assert_int_equal(alloc_iova_fast(iovad, 2, limit, false), 0);
	assert_int_equal(alloc_iova_fast(iovad, 2, limit, true), 1022);
	assert_int_equal(iova_domain_cached(iovad), 0);
	CHECK(iovad);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

static void test_limit_32bit(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	const unsigned long lim32 = (1UL << 32 >> 12) - 1;
	const unsigned long lim48 = (1UL << 48 >> 12) - 1;
	struct rng r = { 42 };
	unsigned long pfn, size, i;

	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	/* the 64-bit space is used from the top of each limit */
	assert_int_equal(alloc_iova(iovad, 16, lim48, true), lim48 - 15);
	assert_int_equal(alloc_iova_fast(iovad, 1, lim32, false), lim32);
	assert_int_equal(alloc_iova_fast(iovad, 1, ~0UL - 1, false), ~0UL - 1);
	assert_int_equal(alloc_iova_fast(iovad, 1, ~0UL, false), ~0UL - 2);
	for (i = 0; i < 3000; i++) {
		size = rnd_range(&r, 1, 512);
		if (i & 1) {
			pfn = alloc_iova(iovad, size, lim32, i & 2);
			assert_int_not_equal(pfn, 0);
			assert_true(pfn + size - 1 <= lim32);
		} else {
			pfn = alloc_iova_fast(iovad, size, lim48, false);
			assert_int_not_equal(pfn, 0);
			assert_true(pfn + fast_size(size) - 1 <= lim48);
			assert_true(pfn > lim32);
			assert_int_equal(pfn & (pow2_roundup(size) - 1), 0);
		}
	}
	CHECK(iovad);
	/* a 32-bit request that cannot fit fails without touching 64-bit */
	assert_int_equal(alloc_iova(iovad, lim32, lim32, false), 0);
	assert_int_equal(alloc_iova(iovad, 1UL << 40, lim48, true), 0);
	assert_int_equal(alloc_iova(iovad, 1UL << 34, lim48, true),
			 1UL << 35);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

static void test_reserved(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	const unsigned long msi_lo = 0xfee00000UL >> 12;
	const unsigned long msi_hi = 0xfeefffffUL >> 12;
	const unsigned long lim32 = 0xfffff;
	unsigned long pfn, n = 0, small = 0;

	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	assert_int_equal(reserve_iova(iovad, msi_lo, msi_hi), 0);
	assert_int_equal(iova_domain_reservations(iovad), 1);
	/* again, overlapping: merges */
	assert_int_equal(reserve_iova(iovad, msi_lo + 16, msi_hi - 16), 0);
	assert_int_equal(iova_domain_reservations(iovad), 1);
	/* fill the 32-bit space with 1 MiB blocks: all but the window's
	 * (checked at the end: a whole-tree check per step is quadratic) */
	iova_domain_set_debug(iovad, false);
	while ((pfn = alloc_iova(iovad, 256, lim32, true))) {
		assert_true(pfn + 255 < msi_lo || pfn > msi_hi);
		n++;
	}
	/* 4096 slots, minus the one holding frame 0, minus the window */
	assert_int_equal(n, 4094);
	/* smaller ones take the rest of slot 0, never the window */
	while ((pfn = alloc_iova_fast(iovad, 1, lim32, false))) {
		assert_true(pfn < 256);
		small++;
	}
	assert_int_equal(small, 255);
	iova_domain_set_debug(iovad, true);
	assert_int_equal(iova_domain_allocations(iovad), n + small);
	CHECK(iovad);
	/* allocations may not be reserved over */
	assert_int_equal(reserve_iova(iovad, msi_lo - 1, msi_lo), -EBUSY);
	assert_int_equal(reserve_iova(iovad, 1, 1), -EBUSY);
	assert_int_equal(iova_domain_reservations(iovad), 1);
	iova_domain_destroy(iovad);

	/* merging: adjacent, overlapping, bridging, clipped below start */
	iovad = iova_domain_create(m, GRANULE, 5, 2);
	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	assert_int_equal(reserve_iova(iovad, 100, 199), 0);
	assert_int_equal(reserve_iova(iovad, 200, 299), 0);
	assert_int_equal(iova_domain_reservations(iovad), 1);
	assert_int_equal(reserve_iova(iovad, 50, 120), 0);
	assert_int_equal(reserve_iova(iovad, 400, 500), 0);
	assert_int_equal(reserve_iova(iovad, 600, 700), 0);
	assert_int_equal(iova_domain_reservations(iovad), 3);
	assert_int_equal(reserve_iova(iovad, 300, 650), 0);
	assert_int_equal(iova_domain_reservations(iovad), 1);
	assert_int_equal(reserve_iova(iovad, 0, 3), 0);	/* below start */
	assert_int_equal(iova_domain_reservations(iovad), 1);
	assert_int_equal(reserve_iova(iovad, 0, 10), 0);
	assert_int_equal(iova_domain_reservations(iovad), 2);
	CHECK(iovad);
	/* [50, 700] and [5, 10] are out; guard 2 below a reservation */
	assert_int_equal(alloc_iova(iovad, 1, 700, false), 47);
	assert_int_equal(alloc_iova(iovad, 1, 800, false), 800);
	/* guard frames count as the allocation's: 801-802 */
	assert_int_equal(reserve_iova(iovad, 802, 900), -EBUSY);
	assert_int_equal(reserve_iova(iovad, 803, 900), 0);
	assert_int_equal(reserve_iova(iovad, 797, 799), 0);
	assert_int_equal(iova_domain_reservations(iovad), 4);
	assert_int_equal(free_iova(iovad, 100), 0);	/* not an allocation */
	assert_int_equal(alloc_iova(iovad, 1, 900, false), 794);
	assert_int_equal(alloc_iova(iovad, 37, 900, false), 755);
	assert_int_equal(alloc_iova(iovad, 1, 900, false), 752);
	/* [11, 46] holds 36 frames: 34 plus the guard, not 36 */
	assert_int_equal(alloc_iova(iovad, 36, 700, false), 0);
	assert_int_equal(alloc_iova(iovad, 34, 700, false), 11);
	/* the whole top of the space, clipped at ULONG_MAX */
	assert_int_equal(reserve_iova(iovad, 1UL << 40, ~0UL), 0);
	assert_int_equal(alloc_iova(iovad, 1, ~0UL, false), (1UL << 40) - 3);
	CHECK(iovad);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

static void test_guard_gaps(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	unsigned long guards[] = { 1, 3, 16 };
	struct live l[600];
	struct rng r = { 7 };
	unsigned int gi, i, n;

	for (gi = 0; gi < ARRAY_SIZE(guards); gi++) {
		unsigned long g = guards[gi];
		struct iova_domain *iovad =
			iova_domain_create(m, GRANULE, 1, g);

		assert_non_null(iovad);
		iova_domain_set_debug(iovad, true);
		/* the guard may stick out above the limit ... */
		assert_int_equal(alloc_iova(iovad, 1, 1000, false), 1000);
		/* ... but is kept free below the next range */
		assert_int_equal(alloc_iova(iovad, 1, 1000, false), 999 - g);
		assert_int_equal(alloc_iova(iovad, 4, 2000, true), 1996);
		assert_int_equal(alloc_iova(iovad, 4, 2000, true),
				 ALIGN_DOWN(1995 - g - 3, 4));
		n = 0;
		l[n++] = (struct live){ 1000, 1, 1, false };
		l[n++] = (struct live){ 999 - g, 1, 1, false };
		l[n++] = (struct live){ 1996, 4, 4, false };
		l[n++] = (struct live){ ALIGN_DOWN(1995 - g - 3, 4), 4, 4,
					false };
		for (i = 0; i < 400; i++) {
			unsigned long size = rnd_range(&r, 1, 40);
			unsigned long limit = rnd_range(&r, 100, 20000);
			unsigned long pfn = i & 1 ?
				alloc_iova(iovad, size, limit, i & 2) :
				alloc_iova_fast(iovad, size, limit, true);

			if (!pfn)
				continue;
			if (!(i & 1))
				size = fast_size(size);
			l[n++] = (struct live){ pfn, size, size, !(i & 1) };
			/* churn the caches so ranges come back from them */
			if (n > 8 && (i % 3) == 0) {
				struct live *v = &l[--n];

				if (v->fast)
					free_iova_fast(iovad, v->pfn, v->req);
				else
					free_iova(iovad, v->pfn);
			}
		}
		CHECK(iovad);
		assert_int_equal(iova_domain_allocations(iovad), n);
		/* no two allocations closer than the guard */
		assert_disjoint(l, n, g);
		iova_domain_destroy(iovad);
	}
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

static void test_rounding(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	unsigned long size, pfn, c;

	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	for (size = 1; size <= 70; size++) {
		unsigned long rs = fast_size(size);

		pfn = alloc_iova_fast(iovad, size, 0xfffff, false);
		assert_int_not_equal(pfn, 0);
		/* rounded and naturally aligned below the cache limit ... */
		if (size < CACHE_LIMIT)
			assert_int_equal(rs, pow2_roundup(size));
		/* ... and aligned to the power of two above it, as Linux */
		assert_int_equal(pfn & (pow2_roundup(size) - 1), 0);
		/* the tree holds the rounded size: check by freeing */
		if (rs > CACHE_LIMIT) {
			assert_int_equal(free_iova(iovad, pfn + rs - 1), rs);
			continue;
		}
		c = iova_domain_cached(iovad);
		free_iova_fast(iovad, pfn, size);
		assert_int_equal(iova_domain_cached(iovad), c + rs);
		/* the same thread, the same class: the same range */
		assert_int_equal(alloc_iova_fast(iovad, size, 0xfffff, false),
				 pfn);
		assert_int_equal(iova_domain_cached(iovad), c);
		/* a size of the same class shares it */
		free_iova_fast(iovad, pfn, size);
		assert_int_equal(alloc_iova_fast(iovad, rs, 0xfffff, false),
				 pfn);
		free_iova_fast(iovad, pfn, rs);
		assert_int_equal(iova_domain_cached(iovad), c + rs);
	}
	/* one range per class (1 to 32 frames): later sizes reused it */
	assert_int_equal(iova_domain_cached(iovad), 63);
	assert_int_equal(iova_domain_allocations(iovad), 0);
	CHECK(iovad);
	/* a cached range above the limit is not handed out */
	pfn = alloc_iova_fast(iovad, 1, 100, false);
	assert_int_equal(pfn, 100);
	free_iova_fast(iovad, pfn, 1);
	assert_int_equal(alloc_iova_fast(iovad, 1, 99, false), 99);
	iova_cache_flush(iovad);
	assert_int_equal(iova_domain_cached(iovad), 0);
	assert_int_equal(iova_domain_allocations(iovad), 1);
	/* debug mode refuses a free of something not allocated so */
	free_iova_fast(iovad, 99, 2);
	free_iova_fast(iovad, 12345, 1);
	assert_int_equal(iova_domain_cached(iovad), 0);
	assert_int_equal(iova_domain_allocations(iovad), 1);
	CHECK(iovad);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

/* Magazines, their swap, the depot and its overflow, flush. */
static void test_cache_depot(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	const unsigned int mag = 4, depot = 2;
	unsigned long pfns[64], i, c;

	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	assert_int_equal(iova_domain_set_rcache_limits(iovad, 0, 1), -EINVAL);
	assert_int_equal(iova_domain_set_rcache_limits(iovad, 1,
						       IOVA_DEPOT_MAX + 1),
			 -EINVAL);
	assert_int_equal(iova_domain_set_rcache_limits(iovad, mag, depot), 0);
	for (i = 0; i < 64; i++) {
		pfns[i] = alloc_iova_fast(iovad, 1, 0xffff, false);
		assert_int_equal(pfns[i], 0xffff - i);
	}
	/* loaded and prev take 2 * mag, then the depot 2 * mag more */
	for (i = 0; i < 2 * mag + depot * mag; i++) {
		free_iova_fast(iovad, pfns[i], 1);
		assert_int_equal(iova_domain_cached(iovad), i + 1);
		CHECK(iovad);
	}
	assert_int_equal(iova_domain_allocations(iovad), 64 - i);
	/* the depot is full: a loaded magazine now spills into the tree */
	free_iova_fast(iovad, pfns[i++], 1);
	assert_int_equal(iova_domain_cached(iovad), 2 * mag + depot * mag + 1 - mag);
	assert_int_equal(iova_domain_allocations(iovad), 64 - i);
	CHECK(iovad);
	for (; i < 64; i++)
		free_iova_fast(iovad, pfns[i], 1);
	c = iova_domain_cached(iovad);
	assert_true(c <= 2 * mag + depot * mag);
	assert_int_equal(iova_domain_allocations(iovad), 0);
	CHECK(iovad);
	/* everything cached is handed out again, newest first, from the
	 * magazines and then the depot, without touching the tree */
	assert_int_equal(alloc_iova_fast(iovad, 1, 0xffff, false), pfns[63]);
	for (i = 1; i < c; i++)
		assert_int_not_equal(alloc_iova_fast(iovad, 1, 0xffff, false), 0);
	assert_int_equal(iova_domain_cached(iovad), 0);
	assert_int_equal(iova_domain_allocations(iovad), c);
	/*
	 * prev kept pfns[0..3], the depot [4..7] and [8..11], loaded the
	 * last four; [12..59] spilled to the tree, whose highest free frame
	 * comes next.
	 */
	assert_int_equal(c, 16);
	assert_int_equal(alloc_iova_fast(iovad, 1, 0xffff, false),
			 0xffff - 12);
	CHECK(iovad);
	iova_cache_flush(iovad);
	assert_int_equal(iova_domain_cached(iovad), 0);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

/* Flush moves every cached range back, and the counts follow. */
static void test_cache_flush_counts(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	unsigned long pfn[300], sz[300], i, cached = 0;

	assert_non_null(iovad);
	iova_domain_set_debug(iovad, true);
	for (i = 0; i < 300; i++) {
		sz[i] = 1 + i % 20;
		pfn[i] = alloc_iova_fast(iovad, sz[i], 0xfffff, false);
		assert_int_not_equal(pfn[i], 0);
	}
	assert_int_equal(iova_domain_allocations(iovad), 300);
	for (i = 0; i < 300; i += 2) {
		free_iova_fast(iovad, pfn[i], sz[i]);
		cached += fast_size(sz[i]);
	}
	assert_int_equal(iova_domain_cached(iovad), cached);
	assert_int_equal(iova_domain_allocations(iovad), 150);
	CHECK(iovad);
	iova_cache_flush(iovad);
	assert_int_equal(iova_domain_cached(iovad), 0);
	assert_int_equal(iova_domain_allocations(iovad), 150);
	CHECK(iovad);
	/* the flushed ranges are free in the tree: reservable now */
	for (i = 0; i < 300; i += 2)
		assert_int_equal(reserve_iova(iovad, pfn[i], pfn[i]), 0);
	for (i = 1; i < 300; i += 2)
		assert_int_equal(reserve_iova(iovad, pfn[i], pfn[i]), -EBUSY);
	/* destroy with allocations outstanding */
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

/* A node allocation that fails is not "no room": the caches stay. */
static void test_nomem_keeps_caches(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	unsigned long pfn;

	assert_non_null(iovad);
	pfn = alloc_iova_fast(iovad, 2, 0xfffff, false);
	assert_int_not_equal(pfn, 0);
	free_iova_fast(iovad, pfn, 2);
	assert_int_equal(iova_domain_cached(iovad), 2);
	sim_fail_nth_alloc(m, 1);
	assert_int_equal(alloc_iova_fast(iovad, 64, 0xfffff, true), 0);
	assert_true(sim_fail_nth_triggered(m));
	sim_fail_nth_alloc(m, 0);
	assert_int_equal(iova_domain_cached(iovad), 2);
	/* with memory, no room under the limit does flush */
	assert_int_equal(alloc_iova_fast(iovad, 4, 3, true), 0);
	assert_int_equal(alloc_iova_fast(iovad, 2, 3, true), 2);
	assert_int_equal(iova_domain_cached(iovad), 0);
	CHECK(iovad);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Per-thread caches                                                        */
/* ------------------------------------------------------------------------ */

#define PT_N		8
#define PT_LIMIT	63UL	/* 15 naturally aligned quads: 4..60 */

struct pt_arg {
	struct iova_domain *iovad;
	unsigned long pfn[PT_N];
	unsigned long got;
	int ok;
	/* for the live-owner case: main <-> thread hand-offs */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int phase;
};

static void pt_wait_phase(struct pt_arg *a, int phase)
{
	pthread_mutex_lock(&a->lock);
	while (a->phase < phase)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
}

static void pt_set_phase(struct pt_arg *a, int phase)
{
	pthread_mutex_lock(&a->lock);
	a->phase = phase;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/* Allocate PT_N quads, free them into this thread's cache, get them back. */
static bool pt_fill_own_cache(struct pt_arg *a)
{
	unsigned long i;

	for (i = 0; i < PT_N; i++) {
		a->pfn[i] = alloc_iova_fast(a->iovad, 4, PT_LIMIT, false);
		if (!a->pfn[i])
			return false;
	}
	for (i = 0; i < PT_N; i++)
		free_iova_fast(a->iovad, a->pfn[i], 4);
	/* newest first, from this thread's own magazine */
	for (i = PT_N; i-- > 0;)
		if (alloc_iova_fast(a->iovad, 3, PT_LIMIT, false) != a->pfn[i])
			return false;
	for (i = 0; i < PT_N; i++)
		free_iova_fast(a->iovad, a->pfn[i], 4);
	return true;
}

static void *pt_owner_exits(void *p)
{
	struct pt_arg *a = p;

	a->ok = pt_fill_own_cache(a);
	return NULL;
}

/* A later thread inherits the exited thread's index, and its cache. */
static void *pt_heir(void *p)
{
	struct pt_arg *a = p;

	a->got = alloc_iova_fast(a->iovad, 4, PT_LIMIT, false);
	return NULL;
}

/*
 * Caches are per thread: another thread does not see them until a flush,
 * an exited thread's cache passes to the next thread, a flush empties the
 * cache of a thread that is gone.
 */
static void test_cache_per_thread(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct pt_arg a = { .iovad = iova_domain_create(m, GRANULE, 1, 0) };
	unsigned long own, i;
	pthread_t t;

	assert_non_null(a.iovad);
	iova_domain_set_debug(a.iovad, true);
	/* this thread takes an index (and has no cache: nothing freed yet) */
	own = alloc_iova_fast(a.iovad, 4, PT_LIMIT, false);
	assert_int_equal(own, 60);

	assert_int_equal(pthread_create(&t, NULL, pt_owner_exits, &a), 0);
	pthread_join(t, NULL);
	assert_true(a.ok);
	assert_int_equal(iova_domain_cached(a.iovad), PT_N * 4);
	assert_int_equal(iova_domain_allocations(a.iovad), 1);
	CHECK(a.iovad);
	/* the exited thread's ranges are not ours: the tree serves, below them */
	for (i = 0; i < 15 - PT_N - 1; i++) {
		unsigned long pfn = alloc_iova_fast(a.iovad, 4, PT_LIMIT, false);

		assert_int_not_equal(pfn, 0);
		for (unsigned long k = 0; k < PT_N; k++)
			assert_int_not_equal(pfn, a.pfn[k]);
	}
	assert_int_equal(alloc_iova_fast(a.iovad, 4, PT_LIMIT, false), 0);

	/* the next new thread gets the free index and the cache with it */
	assert_int_equal(pthread_create(&t, NULL, pt_heir, &a), 0);
	pthread_join(t, NULL);
	assert_int_equal(a.got, a.pfn[PT_N - 1]);
	assert_int_equal(iova_domain_cached(a.iovad), (PT_N - 1) * 4);
	CHECK(a.iovad);

	/* a flush reaches the cache of a thread that has exited; the tree
	 * then hands out the highest of its ranges */
	assert_int_equal(alloc_iova_fast(a.iovad, 4, PT_LIMIT, true), a.pfn[0]);
	assert_int_equal(iova_domain_cached(a.iovad), 0);
	for (i = 1; i < PT_N - 1; i++)
		assert_int_equal(reserve_iova(a.iovad, a.pfn[i], a.pfn[i]), 0);
	CHECK(a.iovad);
	iova_domain_destroy(a.iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

static void *pt_owner_waits(void *p)
{
	struct pt_arg *a = p;

	a->ok = pt_fill_own_cache(a);
	pt_set_phase(a, 1);
	pt_wait_phase(a, 2);
	/* the flusher emptied this cache while we slept: tree, and it is full */
	a->got = alloc_iova_fast(a->iovad, 4, PT_LIMIT, false);
	return NULL;
}

/* A failing allocation flushes the cache of a live, idle thread. */
static void test_cache_flush_live_thread(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct pt_arg a = { .iovad = iova_domain_create(m, GRANULE, 1, 0),
			    .got = ~0UL };
	unsigned long pfn, n = 0;
	pthread_t t;

	assert_non_null(a.iovad);
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	assert_int_equal(pthread_create(&t, NULL, pt_owner_waits, &a), 0);
	pt_wait_phase(&a, 1);
	assert_true(a.ok);
	while (alloc_iova_fast(a.iovad, 4, PT_LIMIT, false))
		n++;
	assert_int_equal(n, 15 - PT_N);
	/* without the flush the thread's ranges stay out of reach */
	assert_int_equal(alloc_iova_fast(a.iovad, 4, PT_LIMIT, false), 0);
	/* flushed into the tree, which hands out the highest */
	pfn = alloc_iova_fast(a.iovad, 4, PT_LIMIT, true);
	assert_int_equal(pfn, a.pfn[0]);
	assert_int_equal(iova_domain_cached(a.iovad), 0);
	assert_int_equal(iova_domain_allocations(a.iovad), 15 - PT_N + 1);
	CHECK(a.iovad);
	pt_set_phase(&a, 2);
	pthread_join(t, NULL);
	/* 7 free quads remain (the flushed ones); the owner got the highest */
	assert_int_equal(a.got, a.pfn[1]);
	CHECK(a.iovad);
	pthread_cond_destroy(&a.cond);
	pthread_mutex_destroy(&a.lock);
	iova_domain_destroy(a.iovad);
	assert_int_equal(sim_alloc_live(m), base);
	sim_machine_destroy(m);
}

/* More threads at once than indices: the ones without an index use the tree. */
struct tl_arg {
	struct iova_domain *iovad;
	pthread_barrier_t *bar;
	unsigned long pfn;
};

static void *tl_thread(void *p)
{
	struct tl_arg *a = p;

	a->pfn = alloc_iova_fast(a->iovad, 1, 0xfffff, false);
	pthread_barrier_wait(a->bar);	/* all alive, all with or without an index */
	free_iova_fast(a->iovad, a->pfn, 1);
	pthread_barrier_wait(a->bar);
	return NULL;
}

static void test_cache_thread_limit(void **state)
{
	enum { N = SIM_MAX_THREADS + 1 };
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	struct tl_arg *a = calloc(N, sizeof(*a));
	pthread_t *t = calloc(N, sizeof(*t));
	pthread_barrier_t bar;
	unsigned long i;

	assert_non_null(iovad);
	assert_non_null(a);
	assert_non_null(t);
	pthread_barrier_init(&bar, NULL, N);
	for (i = 0; i < N; i++) {
		a[i] = (struct tl_arg){ iovad, &bar, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, tl_thread, &a[i]), 0);
	}
	for (i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&bar);
	for (i = 0; i < N; i++)
		assert_int_not_equal(a[i].pfn, 0);
	/*
	 * A range cached per index, the index-less threads' freed; this
	 * thread holds an index too (its allocations on the machine took one)
	 */
	assert_true(sim_thread_id(m) >= 0);
	assert_int_equal(iova_domain_cached(iovad), SIM_MAX_THREADS - 1);
	assert_int_equal(iova_domain_allocations(iovad), 0);
	CHECK(iovad);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	free(t);
	free(a);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Concurrency                                                              */
/* ------------------------------------------------------------------------ */

#define CT_THREADS	4
#define CT_OPS		20000
#define CT_LIVE_MAX	256
#define CT_FRAMES	(1UL << 16)
#define CT_GUARD	1UL

struct ct_shared {
	struct iova_domain *iovad;
	_Atomic unsigned char owner[CT_FRAMES + 16];
	atomic_ulong overlaps;
	atomic_ulong bad;
	atomic_uint running;
};

struct ct_thread {
	struct ct_shared *sh;
	pthread_t tid;
	unsigned char id;
	struct rng r;
	struct live live[CT_LIVE_MAX];
	unsigned long nr_live;
	unsigned long allocs, fails;
};

static void ct_claim(struct ct_thread *t, const struct live *l)
{
	unsigned long i;

	for (i = l->pfn; i < l->pfn + l->size + CT_GUARD; i++) {
		unsigned char expect = 0;

		if (!atomic_compare_exchange_strong(&t->sh->owner[i], &expect,
						    t->id))
			atomic_fetch_add(&t->sh->overlaps, 1);
	}
}

static void ct_release(struct ct_thread *t, const struct live *l)
{
	unsigned long i;

	for (i = l->pfn; i < l->pfn + l->size + CT_GUARD; i++)
		atomic_store(&t->sh->owner[i], 0);
}

static void *ct_worker(void *p)
{
	struct ct_thread *t = p;
	struct iova_domain *iovad = t->sh->iovad;
	unsigned long op;

	for (op = 0; op < CT_OPS; op++) {
		bool do_alloc = t->nr_live < CT_LIVE_MAX &&
				(!t->nr_live || (rnd(&t->r) & 1));

		if (do_alloc) {
			struct live l;
			unsigned long limit = rnd(&t->r) % 3 ? CT_FRAMES - 1 :
							       CT_FRAMES / 2 - 1;

			l.fast = rnd(&t->r) % 4;
			l.req = rnd(&t->r) % 8 ? rnd_range(&t->r, 1, 20) :
						 rnd_range(&t->r, 21, 80);
			if (l.fast) {
				l.size = fast_size(l.req);
				l.pfn = alloc_iova_fast(iovad, l.req, limit,
							rnd(&t->r) & 1);
			} else {
				l.size = l.req;
				l.pfn = alloc_iova(iovad, l.req, limit,
						   rnd(&t->r) & 1);
			}
			if (!l.pfn) {
				t->fails++;
				continue;
			}
			if (l.pfn + l.size - 1 > limit ||
			    (l.fast && (l.pfn & (pow2_roundup(l.req) - 1))))
				atomic_fetch_add(&t->sh->bad, 1);
			ct_claim(t, &l);
			t->live[t->nr_live++] = l;
			t->allocs++;
		} else {
			unsigned long i = rnd(&t->r) % t->nr_live;
			struct live l = t->live[i];

			t->live[i] = t->live[--t->nr_live];
			ct_release(t, &l);
			if (l.fast)
				free_iova_fast(iovad, l.pfn, l.req);
			else if (free_iova(iovad, l.pfn) != l.size)
				atomic_fetch_add(&t->sh->bad, 1);
		}
	}
	atomic_fetch_sub(&t->sh->running, 1);
	return NULL;
}

static void run_concurrency(bool membarrier)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct ct_shared *sh = calloc(1, sizeof(*sh));
	struct ct_thread *t = calloc(CT_THREADS, sizeof(*t));
	struct live *all;
	unsigned long nr = 0, i, j, checks = 0;

	assert_non_null(sh);
	assert_non_null(t);
	/* the full-fence handshake where membarrier(2) is missing */
	if (!membarrier)
		sim_threads_set_membarrier(m, false);
	sh->iovad = iova_domain_create(m, GRANULE, 1, CT_GUARD);
	assert_non_null(sh->iovad);
	atomic_store(&sh->running, CT_THREADS);
	for (i = 0; i < CT_THREADS; i++) {
		t[i].sh = sh;
		t[i].id = (unsigned char)(i + 1);
		t[i].r.s = 0x9e3779b97f4a7c15ULL * (i + 1);
		assert_int_equal(pthread_create(&t[i].tid, NULL, ct_worker,
						&t[i]), 0);
	}
	/* the whole-domain check may run while they allocate */
	while (atomic_load(&sh->running)) {
		CHECK(sh->iovad);
		checks++;
		nanosleep(&(struct timespec){ .tv_nsec = 200000 }, NULL);
	}
	for (i = 0; i < CT_THREADS; i++)
		pthread_join(t[i].tid, NULL);
	print_message("%lu concurrent checks\n", checks);

	assert_int_equal(atomic_load(&sh->overlaps), 0);
	assert_int_equal(atomic_load(&sh->bad), 0);
	CHECK(sh->iovad);
	all = calloc(CT_THREADS * CT_LIVE_MAX, sizeof(*all));
	assert_non_null(all);
	for (i = 0; i < CT_THREADS; i++) {
		assert_true(t[i].allocs > CT_OPS / 4);
		for (j = 0; j < t[i].nr_live; j++) {
			const struct live *l = &t[i].live[j];
			unsigned long f;

			for (f = l->pfn; f < l->pfn + l->size + CT_GUARD; f++)
				assert_int_equal(atomic_load(&sh->owner[f]),
						 t[i].id);
			all[nr++] = *l;
		}
	}
	assert_int_equal(iova_domain_allocations(sh->iovad), nr);
	assert_disjoint(all, nr, CT_GUARD);
	/* every still-live range is an allocation of the tree */
	iova_cache_flush(sh->iovad);
	assert_int_equal(iova_domain_cached(sh->iovad), 0);
	assert_int_equal(iova_domain_allocations(sh->iovad), nr);
	for (i = 0; i < nr; i++) {
		assert_int_equal(reserve_iova(sh->iovad, all[i].pfn,
					      all[i].pfn + all[i].size - 1),
				 -EBUSY);
	}
	for (i = 0; i < nr; i++) {
		if (all[i].fast)
			free_iova_fast(sh->iovad, all[i].pfn, all[i].req);
		else
			assert_int_equal(free_iova(sh->iovad, all[i].pfn),
					 all[i].size);
	}
	assert_int_equal(iova_domain_allocations(sh->iovad), 0);
	iova_cache_flush(sh->iovad);
	/* nothing is left: the whole space can be reserved in one piece */
	assert_int_equal(reserve_iova(sh->iovad, 1, CT_FRAMES + 64), 0);
	assert_int_equal(iova_domain_reservations(sh->iovad), 1);
	CHECK(sh->iovad);
	iova_domain_destroy(sh->iovad);
	assert_int_equal(sim_alloc_live(m), base);
	free(all);
	free(t);
	free(sh);
	sim_machine_destroy(m);
}

static void test_concurrency(void **state)
{
	run_concurrency(true);
}

static void test_concurrency_fenced(void **state)
{
	run_concurrency(false);
}

/* ------------------------------------------------------------------------ */
/* Fault injection                                                          */
/* ------------------------------------------------------------------------ */

#define FS_NR		90
#define FS_LIMIT	0xfffffUL

static void fs_check_held(const unsigned long *pfn, const unsigned long *req,
			  unsigned long nr)
{
	struct live l[FS_NR + 8];
	unsigned long i, n = 0;

	for (i = 0; i < nr; i++) {
		if (!pfn[i])
			continue;
		assert_true(pfn[i] + fast_size(req[i]) - 1 <= FS_LIMIT);
		assert_int_equal(pfn[i] & (pow2_roundup(req[i]) - 1), 0);
		l[n++] = (struct live){ pfn[i], fast_size(req[i]), req[i], true };
	}
	assert_disjoint(l, n, 1);
}

/*
 * Create, reserve, allocate, free into magazines/depot (and over it into
 * the tree), allocate again from the caches, tree allocations, flush,
 * destroy with ranges outstanding. Every step must either work or fail
 * cleanly; the caller checks for leaks.
 */
static void fail_scenario(struct sim_machine *m, unsigned int mag,
			  unsigned int depot, unsigned long nr, bool check_each)
{
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 1);
	unsigned long pfn[FS_NR] = { 0 }, req[FS_NR] = { 0 }, big[4], held = 0, i;
	int ret;

	assert_true(nr <= FS_NR);
	if (!iovad)
		return;
	iova_domain_set_debug(iovad, check_each);
	assert_int_equal(iova_domain_set_rcache_limits(iovad, mag, depot), 0);
	ret = reserve_iova(iovad, 0xfee00, 0xfeeff);
	assert_true(ret == 0 || ret == -ENOMEM);
	CHECK(iovad);

	for (i = 0; i < nr; i++) {
		req[i] = i % 5 == 4 ? 3 : 1 + i % 2;
		pfn[i] = alloc_iova_fast(iovad, req[i], FS_LIMIT, i & 1);
		held += !!pfn[i];
		if (check_each)
			CHECK(iovad);
	}
	fs_check_held(pfn, req, nr);
	assert_int_equal(iova_domain_allocations(iovad), held);
	for (i = 0; i < nr; i++) {
		if (pfn[i])
			free_iova_fast(iovad, pfn[i], req[i]);
		if (check_each)
			CHECK(iovad);
	}
	assert_int_equal(iova_domain_allocations(iovad), 0);
	CHECK(iovad);
	held = 0;
	for (i = 0; i < nr; i++) {
		pfn[i] = alloc_iova_fast(iovad, req[i], FS_LIMIT, !(i & 1));
		held += !!pfn[i];
		if (check_each)
			CHECK(iovad);
	}
	fs_check_held(pfn, req, nr);
	for (i = 0; i < ARRAY_SIZE(big); i++) {
		big[i] = alloc_iova(iovad, 300 + i, FS_LIMIT, i & 1);
		held += !!big[i];
	}
	assert_int_equal(iova_domain_allocations(iovad), held);
	ret = reserve_iova(iovad, FS_LIMIT + 2, FS_LIMIT + 100);
	assert_true(ret == 0 || ret == -ENOMEM);
	CHECK(iovad);
	for (i = 0; i < nr; i += 3) {
		if (pfn[i])
			free_iova_fast(iovad, pfn[i], req[i]);
	}
	CHECK(iovad);
	iova_cache_flush(iovad);
	assert_int_equal(iova_domain_cached(iovad), 0);
	CHECK(iovad);
	for (i = 1; i < nr; i += 3)
		if (pfn[i])
			free_iova_fast(iovad, pfn[i], req[i]);
	CHECK(iovad);
	iova_domain_destroy(iovad);
}

struct iova_sweep {
	struct sim_machine *m;
	unsigned int mag, depot;
	unsigned long nr;
	bool check_each;
};

/* The domain is made and destroyed in the run: nothing stays. */
static int iova_sweep_run(void *ctx)
{
	struct iova_sweep *w = ctx;

	fail_scenario(w->m, w->mag, w->depot, w->nr, w->check_each);
	return 0;
}

static unsigned long fail_sweep(unsigned int mag, unsigned int depot,
				unsigned long nr, bool check_each)
{
	struct iova_sweep w = {
		.m = machine_from(PLATFORM_SMALL), .mag = mag, .depot = depot,
		.nr = nr, .check_each = check_each,
	};
	struct failnth fn = {
		.name = "iova", .m = w.m, .ctx = &w, .run = iova_sweep_run,
	};

	failnth_sweep(&fn);
	assert_int_equal(machine_teardown(w.m, TD_BUG), 0);
	return fn.runs;
}

static void test_fail_nth(void **state)
{
	/* small magazines and depot: every cache transition, each step checked */
	assert_true(fail_sweep(4, 2, FS_NR, true) > 100);
	/* Linux's sizes (fewer ranges than fill a magazine: create and tree) */
	assert_true(fail_sweep(IOVA_MAG_SIZE, IOVA_DEPOT_MAX, 40, false) > 40);
}

/* ------------------------------------------------------------------------ */
/* Volume                                                                   */
/* ------------------------------------------------------------------------ */

/* 1 Mi; ThreadSanitizer's instrumentation makes each op ~10x slower */
#if defined(__SANITIZE_THREAD__)
#define VOLUME		(1UL << 18)
#else
#define VOLUME		(1UL << 20)
#endif

static void test_million(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	long base = sim_alloc_live(m);
	struct iova_domain *iovad = iova_domain_create(m, GRANULE, 1, 0);
	const unsigned long limit = (1UL << 36) - 1;
	unsigned long *pfns = malloc(VOLUME * sizeof(*pfns));
	unsigned long i, bad = 0;

	assert_non_null(iovad);
	assert_non_null(pfns);
	/* 1 Mi live single frames, packed downwards from the limit */
	for (i = 0; i < VOLUME; i++) {
		pfns[i] = alloc_iova_fast(iovad, 1, limit, false);
		bad += pfns[i] != limit - i;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(iova_domain_allocations(iovad), VOLUME);
	CHECK(iovad);
	/* free every other one to the tree: 512 Ki one-frame holes */
	for (i = 0; i < VOLUME; i += 2)
		bad += free_iova(iovad, pfns[i]) != 1;
	assert_int_equal(bad, 0);
	/* a pair fits in none of them: found below, in O(log n) */
	assert_int_equal(alloc_iova(iovad, 2, limit, false),
			 limit - VOLUME - 1);
	/* singles refill the holes from the top */
	for (i = 0; i < VOLUME; i += 2)
		bad += alloc_iova(iovad, 1, limit, false) != pfns[i];
	assert_int_equal(bad, 0);
	CHECK(iovad);
	/* all back through the caches (most spill over into the tree) */
	for (i = 0; i < VOLUME; i++)
		free_iova_fast(iovad, pfns[i], 1);
	assert_int_equal(iova_domain_allocations(iovad), 1);
	assert_true(iova_domain_cached(iovad) <=
		    (2 * 2 + IOVA_DEPOT_MAX) * IOVA_MAG_SIZE);
	CHECK(iovad);
	iova_domain_destroy(iovad);
	assert_int_equal(sim_alloc_live(m), base);
	free(pfns);
	sim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_limit_32bit),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_guard_gaps),
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_cache_depot),
		cmocka_unit_test(test_cache_flush_counts),
		cmocka_unit_test(test_nomem_keeps_caches),
		cmocka_unit_test(test_cache_per_thread),
		cmocka_unit_test(test_cache_flush_live_thread),
		cmocka_unit_test(test_cache_thread_limit),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_random_list_model),
		cmocka_unit_test(test_concurrency),
		cmocka_unit_test(test_concurrency_fenced),
		cmocka_unit_test(test_fail_nth),
		cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
