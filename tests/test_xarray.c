// SPDX-License-Identifier: MIT
/*
 * The XArray, the IDR and the IDA (<linux/xarray.h>, <linux/idr.h>):
 * thousands of random operations checked against a plain model (a plain
 * array with marks, an allocating array with cyclic ids, an IDA), every
 * error path (-EBUSY, -ENOSPC, -EINVAL with its WARN, -ENOMEM changing
 * nothing, an IDA id freed twice), a fail-Nth sweep of a driver-like
 * scenario that fills and empties them, and threads allocating and
 * erasing in one array while another reads it.
 */
#include <pthread.h>
#include <dmastack/linux/xarray.h>
#include <dmastack/linux/idr.h>
#include "failnth.h"

#define XA_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0 dma-bits=64\n"

static int setup(void **state)
{
	*state = machine_from(XA_PLATFORM);
	return 0;
}

/* Clean, and no WARN unless the test provoked it (then it counts them). */
static int teardown(void **state)
{
	struct sim_machine *m = *state;

	if (m && sim_report_count_kind(m, SIM_REPORT_WARN)) {
		sim_report_dump(m, stderr);
		sim_machine_destroy(m);
		return -1;
	}
	return machine_teardown(m, TD_CLEAN);
}

static unsigned long warns(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_WARN);
}

/* @n more WARNs, provoked on purpose: *@seen counts them all. */
static void expect_warns(struct sim_machine *m, unsigned long *seen,
			 unsigned long n)
{
	*seen += n;
	assert_int_equal(warns(m), *seen);
}

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* ---- random operations against a model ----------------------------------- */

#define NIDX	700

/* Entries: pointers into a table (4-byte aligned) or value entries. */
static void *rnd_entry(unsigned int *seed)
{
	static u32 targets[64];
	unsigned int r = rnd(seed);

	return r & 1 ? xa_mk_value(r % 5000) : (void *)&targets[r % 64];
}

/* An index: mostly small, some far apart (the sparse case). */
static unsigned long idx_of(unsigned int i)
{
	return i < NIDX - 20 ? i : (1UL << 32) + (unsigned long)i * 977;
}

struct plain_model {
	void *e[NIDX];
	unsigned int marks[NIDX];
};

/* The whole array against the model: iteration, marks, find. */
static void plain_check(struct xarray *xa, struct plain_model *pm)
{
	unsigned long index, n = 0, want = 0;
	unsigned int i = 0;
	void *entry;

	for (unsigned int k = 0; k < NIDX; k++)
		if (pm->e[k])
			want++;
	xa_for_each(xa, index, entry) {
		while (i < NIDX && !pm->e[i])
			i++;
		assert_true(i < NIDX);
		assert_int_equal(index, idx_of(i));
		assert_ptr_equal(entry, pm->e[i]);
		i++;
		n++;
	}
	assert_int_equal(n, want);
	assert_int_equal(xa_empty(xa), want == 0);
	for (unsigned int mk = 0; mk <= 2; mk++) {
		i = 0;
		xa_for_each_marked(xa, index, entry, (xa_mark_t)mk) {
			while (i < NIDX && !(pm->marks[i] & (1u << mk)))
				i++;
			assert_true(i < NIDX);
			assert_int_equal(index, idx_of(i));
			i++;
		}
		while (i < NIDX)
			assert_false(pm->marks[i++] & (1u << mk));
	}
}

static void test_random_plain(void **state)
{
	struct plain_model *pm = calloc(1, sizeof(*pm));
	unsigned int seed = 20240607;
	struct xarray xa;

	assert_non_null(pm);
	xa_init(&xa);
	for (int op = 0; op < 30000; op++) {
		unsigned int r = rnd(&seed), i = rnd(&seed) % NIDX;
		unsigned long index = idx_of(i);
		void *entry = rnd_entry(&seed), *old = pm->e[i], *got;
		unsigned int mk = rnd(&seed) % 3;

		switch (r % 10) {
		case 0: case 1: case 2:		/* store (NULL: erase) */
			if (r % 7 == 0)
				entry = NULL;
			assert_ptr_equal(xa_store(&xa, index, entry, GFP_KERNEL),
					 old);
			pm->e[i] = entry;
			if (!entry)
				pm->marks[i] = 0;
			break;
		case 3:
			assert_ptr_equal(xa_erase(&xa, index), old);
			pm->e[i] = NULL;
			pm->marks[i] = 0;
			break;
		case 4:
			assert_int_equal(xa_insert(&xa, index, entry, GFP_KERNEL),
					 old ? -EBUSY : 0);
			if (!old)
				pm->e[i] = entry;
			break;
		case 5: {
			void *expect = r & 8 ? old : entry;

			got = xa_cmpxchg(&xa, index, expect, entry, GFP_KERNEL);
			assert_ptr_equal(got, old);
			if (expect == old) {
				pm->e[i] = entry;
				if (!entry)
					pm->marks[i] = 0;
			}
			break;
		}
		case 6:
			assert_ptr_equal(xa_load(&xa, index), old);
			assert_int_equal(xa_get_mark(&xa, index, (xa_mark_t)mk),
					 !!(pm->marks[i] & (1u << mk)));
			break;
		case 7:
			xa_set_mark(&xa, index, (xa_mark_t)mk);
			if (old)
				pm->marks[i] |= 1u << mk;
			break;
		case 8:
			xa_clear_mark(&xa, index, (xa_mark_t)mk);
			pm->marks[i] &= ~(1u << mk);
			break;
		case 9: {			/* find from @index */
			unsigned long at = index, max = idx_of(rnd(&seed) % NIDX);
			xa_mark_t filter = r & 16 ? XA_PRESENT : (xa_mark_t)mk;
			unsigned int k = i;

			for (; k < NIDX && idx_of(k) <= max; k++)
				if (pm->e[k] && (filter == XA_PRESENT ||
						 (pm->marks[k] & (1u << mk))))
					break;
			got = xa_find(&xa, &at, max, filter);
			if (k < NIDX && idx_of(k) <= max) {
				assert_ptr_equal(got, pm->e[k]);
				assert_int_equal(at, idx_of(k));
			} else {
				assert_null(got);
				assert_int_equal(at, index);
			}
			break;
		}
		}
		if (op % 1000 == 999)
			plain_check(&xa, pm);
	}
	plain_check(&xa, pm);
	xa_destroy(&xa);
	assert_true(xa_empty(&xa));
	free(pm);
	assert_int_equal(warns(*state), 0);
}

/* An allocating array: ids in [0, 300), with NULL reservations. */
#define NALLOC	300

struct alloc_model {
	bool used[NALLOC];
	void *e[NALLOC];	/* NULL for a reservation */
};

static int model_lowest_free(struct alloc_model *am, u32 min, u32 max)
{
	for (u32 k = min; k <= max && k < NALLOC; k++)
		if (!am->used[k])
			return (int)k;
	return -1;
}

static void test_random_alloc(void **state)
{
	struct alloc_model *am = calloc(1, sizeof(*am));
	unsigned int seed = 77;
	u32 next = 0;
	struct xarray xa;

	assert_non_null(am);
	xa_init_flags(&xa, XA_FLAGS_ALLOC);
	for (int op = 0; op < 30000; op++) {
		unsigned int r = rnd(&seed), k = rnd(&seed) % NALLOC;
		void *entry = r % 9 == 0 ? NULL : rnd_entry(&seed);
		u32 min = rnd(&seed) % NALLOC, max, id = 12345;
		int want, ret;

		max = min + rnd(&seed) % 40;
		if (max >= NALLOC)
			max = NALLOC - 1;
		switch (r % 6) {
		case 0: case 1:
			want = model_lowest_free(am, min, max);
			ret = xa_alloc(&xa, &id, entry, XA_LIMIT(min, max),
				       GFP_KERNEL);
			if (want < 0) {
				assert_int_equal(ret, -EBUSY);
				assert_int_equal(id, 12345);
			} else {
				assert_int_equal(ret, 0);
				assert_int_equal(id, want);
				am->used[id] = true;
				am->e[id] = entry;
			}
			break;
		case 2: {			/* cyclic over the whole range */
			/* from *next; if that fails, from 0 (wrapped: 1) */
			int first = next < NALLOC ?
				    model_lowest_free(am, next, NALLOC - 1) : -1;
			int again = next ? model_lowest_free(am, 0, NALLOC - 1) : -1;

			ret = xa_alloc_cyclic(&xa, &id, entry,
					      XA_LIMIT(0, NALLOC - 1), &next,
					      GFP_KERNEL);
			if (first >= 0) {
				assert_int_equal(ret, 0);
				assert_int_equal(id, first);
			} else if (again >= 0) {
				assert_int_equal(ret, 1);
				assert_int_equal(id, again);
			} else {
				assert_int_equal(ret, -EBUSY);
				break;
			}
			am->used[id] = true;
			am->e[id] = entry;
			assert_int_equal(next, id + 1);
			break;
		}
		case 3:
			assert_ptr_equal(xa_erase(&xa, k), am->e[k]);
			am->used[k] = false;
			am->e[k] = NULL;
			break;
		case 4:			/* NULL keeps the id */
			assert_ptr_equal(xa_store(&xa, k, entry, GFP_KERNEL),
					 am->e[k]);
			am->used[k] = true;
			am->e[k] = entry;
			break;
		case 5:
			assert_ptr_equal(xa_load(&xa, k), am->e[k]);
			break;
		}
	}
	for (u32 k = 0; k < NALLOC; k++) {
		assert_ptr_equal(xa_load(&xa, k), am->e[k]);
		if (am->used[k])
			assert_int_equal(xa_insert(&xa, k, NULL, GFP_KERNEL),
					 -EBUSY);
	}
	xa_destroy(&xa);
	free(am);
	assert_int_equal(warns(*state), 0);
}

static void test_random_ida(void **state)
{
	bool used[200] = { false };
	unsigned int seed = 4242;
	struct ida ida;

	ida_init(&ida);
	for (int op = 0; op < 20000; op++) {
		unsigned int r = rnd(&seed);
		unsigned int min = rnd(&seed) % 200, max = min + rnd(&seed) % 30;
		int want = -ENOSPC;

		if (r % 3) {
			for (unsigned int k = min; k <= max && k < 200; k++)
				if (!used[k]) {
					want = (int)k;
					break;
				}
			if (max >= 200)
				max = 199;
			assert_int_equal(ida_alloc_range(&ida, min, max,
							 GFP_KERNEL), want);
			if (want >= 0)
				used[want] = true;
		} else if (used[min]) {
			ida_free(&ida, min);
			used[min] = false;
		}
	}
	for (unsigned int k = 0; k < 200; k++)
		if (used[k])
			ida_free(&ida, k);
	assert_true(ida_is_empty(&ida));
	ida_destroy(&ida);
	assert_int_equal(warns(*state), 0);
}

/* ---- errors ----------------------------------------------------------------- */

static void test_errors(void **state)
{
	struct sim_machine *m = *state;
	DEFINE_XARRAY(plain);
	DEFINE_XARRAY_ALLOC(xa);
	DEFINE_IDR(idr);
	DEFINE_IDA(ida);
	void *internal = xa_mk_internal(5);
	unsigned long index, seen = 0;
	u32 id = 99;

	/* the error entries */
	assert_true(xa_is_err(XA_ERROR(-ENOMEM)));
	assert_int_equal(xa_err(XA_ERROR(-ENOMEM)), -ENOMEM);
	assert_int_equal(xa_err(XA_ERROR(-EINVAL)), -EINVAL);
	assert_int_equal(xa_err(NULL), 0);
	assert_int_equal(xa_err(xa_mk_value(3)), 0);
	assert_int_equal(xa_err(&id), 0);
	assert_false(xa_is_err(XA_ZERO_ENTRY));
	assert_true(xa_is_value(xa_mk_value(LONG_MAX)));
	assert_int_equal(xa_to_value(xa_mk_value(LONG_MAX)), LONG_MAX);

	/* -EBUSY: an index in use, a range full */
	assert_int_equal(xa_insert(&plain, 3, &id, GFP_KERNEL), 0);
	assert_int_equal(xa_insert(&plain, 3, &id, GFP_KERNEL), -EBUSY);
	assert_int_equal(xa_insert(&plain, 4, NULL, GFP_KERNEL), 0);
	assert_int_equal(xa_insert(&plain, 4, &id, GFP_KERNEL), -EBUSY);
	assert_null(xa_erase(&plain, 4));
	assert_int_equal(xa_alloc(&xa, &id, &id, XA_LIMIT(5, 6), GFP_KERNEL), 0);
	assert_int_equal(xa_alloc(&xa, &id, &id, XA_LIMIT(5, 6), GFP_KERNEL), 0);
	id = 99;
	assert_int_equal(xa_alloc(&xa, &id, &id, XA_LIMIT(5, 6), GFP_KERNEL),
			 -EBUSY);
	assert_int_equal(xa_alloc(&xa, &id, &id, XA_LIMIT(7, 6), GFP_KERNEL),
			 -EBUSY);
	assert_int_equal(id, 99);
	expect_warns(m, &seen, 0);

	/* -EINVAL: internal entries, each a WARN, nothing stored */
	assert_int_equal(xa_err(xa_store(&plain, 10, internal, GFP_KERNEL)),
			 -EINVAL);
	assert_int_equal(xa_insert(&plain, 10, internal, GFP_KERNEL), -EINVAL);
	assert_int_equal(xa_err(xa_cmpxchg(&plain, 10, NULL, internal,
					   GFP_KERNEL)), -EINVAL);
	assert_int_equal(xa_alloc(&xa, &id, internal, xa_limit_32b, GFP_KERNEL),
			 -EINVAL);
	assert_null(xa_load(&plain, 10));
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "is an internal entry, it cannot be stored"));
	expect_warns(m, &seen, 4);
	/* allocating from an array that does not allocate */
	assert_int_equal(xa_alloc(&plain, &id, &id, xa_limit_32b, GFP_KERNEL),
			 -EINVAL);
	assert_int_equal(id, 99);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "allocating from an array without XA_FLAGS_ALLOC"));
	expect_warns(m, &seen, 1);
	/* a mark that is not one */
	xa_set_mark(&plain, 3, (xa_mark_t)3);
	assert_false(xa_get_mark(&plain, 3, (xa_mark_t)5));
	index = 0;
	assert_null(xa_find(&plain, &index, ULONG_MAX, (xa_mark_t)4));
	expect_warns(m, &seen, 3);
	/* a locked form without the lock: lockdep's WARN, then done */
	assert_ptr_equal(__xa_store(&plain, 3, &index, GFP_KERNEL), &id);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "lockdep_assert_held(&xa->xa_lock): not held"));
	expect_warns(m, &seen, 1);

	/* -ENOSPC and -EINVAL of the IDR */
	assert_int_equal(idr_alloc(&idr, &id, 0, 1, GFP_KERNEL), 0);
	assert_int_equal(idr_alloc(&idr, &id, 0, 1, GFP_KERNEL), -ENOSPC);
	assert_int_equal(idr_alloc(&idr, &id, INT_MAX, 0, GFP_KERNEL), INT_MAX);
	assert_int_equal(idr_alloc(&idr, &id, INT_MAX, 0, GFP_KERNEL), -ENOSPC);
	assert_int_equal(idr_alloc_cyclic(&idr, &id, 0, 1, GFP_KERNEL), -ENOSPC);
	assert_ptr_equal(idr_replace(&idr, &index, 5), ERR_PTR(-ENOENT));
	expect_warns(m, &seen, 0);
	assert_int_equal(idr_alloc(&idr, &id, -5, 0, GFP_KERNEL), -EINVAL);
	expect_warns(m, &seen, 1);
	idr_destroy(&idr);

	/* -ENOSPC of the IDA, and an id freed twice */
	assert_int_equal(ida_alloc_range(&ida, 3, 2, GFP_KERNEL), -ENOSPC);
	assert_int_equal(ida_alloc_range(&ida, 0x80000000u, ~0u, GFP_KERNEL),
			 -ENOSPC);
	assert_int_equal(ida_alloc_max(&ida, 0, GFP_KERNEL), 0);
	assert_int_equal(ida_alloc_max(&ida, 0, GFP_KERNEL), -ENOSPC);
	ida_free(&ida, 0x80000000u);	/* negative: ignored, as the kernel's */
	expect_warns(m, &seen, 0);
	ida_free(&ida, 0);
	ida_free(&ida, 0);
	ida_free(&ida, 12);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "ida_free called for id=0 which is not allocated."));
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "ida_free called for id=12 which is not allocated."));
	expect_warns(m, &seen, 2);
	assert_true(ida_is_empty(&ida));

	/* -ENOMEM: the allocation fails, nothing changes */
	sim_fail_nth_alloc(m, 1);
	assert_int_equal(xa_err(xa_store(&plain, 1000, &id, GFP_KERNEL)), 0);
	sim_fail_nth_alloc(m, 0);
	for (int i = 0; i < 64; i++) {
		void *curr;

		sim_fail_nth_alloc(m, 1);
		curr = xa_store(&plain, 2000 + i, &id, GFP_KERNEL);
		if (!sim_fail_nth_triggered(m)) {
			assert_null(curr);	/* there was room */
			continue;
		}
		sim_fail_nth_alloc(m, 0);
		assert_int_equal(xa_err(curr), -ENOMEM);
		assert_null(xa_load(&plain, 2000 + i));
		assert_int_equal(xa_insert(&plain, 2000 + i, &id, GFP_KERNEL), 0);
		break;
	}
	sim_fail_nth_alloc(m, 0);
	xa_destroy(&plain);
	xa_destroy(&xa);
	sim_fail_nth_alloc(m, 1);
	assert_int_equal(xa_alloc(&xa, &id, &id, xa_limit_32b, GFP_KERNEL), -ENOMEM);
	assert_true(xa_empty(&xa));
	sim_fail_nth_alloc(m, 1);
	assert_int_equal(xa_insert(&xa, 1, &id, GFP_KERNEL), -ENOMEM);
	sim_fail_nth_alloc(m, 1);
	assert_int_equal(xa_reserve(&xa, 1, GFP_KERNEL), -ENOMEM);
	sim_fail_nth_alloc(m, 1);
	assert_int_equal(idr_alloc(&idr, &id, 0, 0, GFP_KERNEL), -ENOMEM);
	sim_fail_nth_alloc(m, 1);
	assert_int_equal(ida_alloc(&ida, GFP_KERNEL), -ENOMEM);
	sim_fail_nth_alloc(m, 0);
	assert_true(xa_empty(&xa) && idr_is_empty(&idr) && ida_is_empty(&ida));
	/* no current machine: no memory */
	assert_ptr_equal(sim_set_current_machine(NULL), m);
	assert_int_equal(xa_err(xa_store(&xa, 1, &id, GFP_KERNEL)), -ENOMEM);
	assert_null(sim_set_current_machine(m));
	assert_true(xa_empty(&xa));
	expect_warns(m, &seen, 0);
	/* the WARNs were wanted: the machine ends here */
	assert_int_equal(machine_teardown(m, TD_CLEAN), 0);
	*state = NULL;
}

/* ---- fail-Nth ---------------------------------------------------------------- */

#define SWEEP_OBJS	160

struct sweep {
	struct sim_machine *m;
};

struct sweep_obj {
	u32 handle;
	int id;
	int minor;
};

/*
 * A driver's tables: objects from a kmem_cache in an allocating array
 * (handles), an IDR (ids) and an IDA (minors), plus a sparse array of
 * value entries; half of them closed, then everything torn down. A failed
 * allocation unwinds what was made; each failed call changed nothing.
 */
static int sweep_run(void *ctx)
{
	struct sweep_obj *objs[SWEEP_OBJS] = { NULL };
	struct kmem_cache *cache;
	struct xarray handles, sparse;
	struct idr idr;
	struct ida ida;
	unsigned long index;
	void *entry;
	int ret = 0, n = 0;

	(void)ctx;
	cache = kmem_cache_create("xa-sweep", sizeof(struct sweep_obj), 0, 0,
				  NULL);
	if (!cache)
		return -ENOMEM;
	xa_init_flags(&handles, XA_FLAGS_ALLOC1);
	xa_init(&sparse);
	idr_init(&idr);
	ida_init(&ida);
	for (n = 0; n < SWEEP_OBJS; n++) {
		struct sweep_obj *o = kmem_cache_zalloc(cache, GFP_KERNEL);
		void *curr;

		if (!o) {
			ret = -ENOMEM;
			break;
		}
		ret = xa_alloc(&handles, &o->handle, o, xa_limit_31b,
			       GFP_KERNEL);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			kmem_cache_free(cache, o);
			break;
		}
		objs[n] = o;
		o->id = o->minor = -1;
		o->id = idr_alloc(&idr, o, 0, 0, GFP_KERNEL);
		if (o->id < 0) {
			ret = o->id;
			break;
		}
		o->minor = ida_alloc(&ida, GFP_KERNEL);
		if (o->minor < 0) {
			ret = o->minor;
			break;
		}
		curr = xa_store(&sparse, (unsigned long)n << 20,
				xa_mk_value(o->handle), GFP_KERNEL);
		if (xa_is_err(curr)) {
			ret = xa_err(curr);
			assert_null(xa_load(&sparse, (unsigned long)n << 20));
			break;
		}
		assert_ptr_equal(xa_load(&handles, o->handle), o);
		assert_ptr_equal(idr_find(&idr, o->id), o);
	}
	assert_true(ret == 0 || ret == -ENOMEM);
	/* close every other object (a run that failed closes what it has) */
	for (int i = 0; i < SWEEP_OBJS; i += 2) {
		struct sweep_obj *o = objs[i];

		if (!o)
			continue;
		assert_ptr_equal(xa_erase(&handles, o->handle), o);
		if (o->id >= 0)
			assert_ptr_equal(idr_remove(&idr, o->id), o);
		if (o->minor >= 0)
			ida_free(&ida, o->minor);
		xa_erase(&sparse, (unsigned long)i << 20);
		kmem_cache_free(cache, o);
		objs[i] = NULL;
	}
	/* teardown as a driver's remove does it */
	xa_for_each(&handles, index, entry) {
		struct sweep_obj *o = entry;

		assert_ptr_equal(objs[(o->handle - 1)], o);
		if (o->minor >= 0)
			ida_free(&ida, o->minor);
		kmem_cache_free(cache, o);
	}
	xa_destroy(&handles);
	xa_destroy(&sparse);
	idr_destroy(&idr);
	ida_destroy(&ida);
	kmem_cache_destroy(cache);
	return ret;
}

static void test_failnth(void **state)
{
	struct sweep sw = { .m = *state };
	struct failnth fn = {
		.name = "xarray",
		.m = *state,
		.ctx = &sw,
		.run = sweep_run,
	};

	failnth_sweep(&fn);
	/* the objects, and the blocks the arrays grew through */
	assert_true(fn.count > SWEEP_OBJS);
	assert_int_equal(warns(*state), 0);
}

/* ---- threads --------------------------------------------------------------- */

struct xa_worker {
	struct sim_machine *m;
	struct xarray *xa;
	struct idr *idr;
	unsigned int seed;
	int bad;
	bool reader;
	int *stop;
};

static void *xa_worker_fn(void *arg)
{
	struct xa_worker *w = arg;
	u32 held[64];
	int nheld = 0;

	sim_set_current_machine(w->m);
	if (w->reader) {
		while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
			unsigned long index, last = 0, n = 0;
			void *entry;

			xa_for_each(w->xa, index, entry) {
				if (n++ && index <= last)
					w->bad++;
				last = index;
				if (!xa_is_value(entry))
					w->bad++;
			}
			(void)idr_find(w->idr, rnd(&w->seed) % 64);
		}
		return NULL;
	}
	for (int i = 0; i < 3000; i++) {
		unsigned int r = rnd(&w->seed);

		if (nheld < 64 && (r & 3)) {
			u32 id;
			void *mine = xa_mk_value(((unsigned long)w->seed & 0xffff) << 8 | (r & 0xff));

			if (xa_alloc(w->xa, &id, mine, xa_limit_32b, GFP_KERNEL)) {
				w->bad++;
				continue;
			}
			/* the id is this thread's until it erases it */
			if (xa_load(w->xa, id) != mine)
				w->bad++;
			held[nheld++] = id;
		} else if (nheld) {
			int k = (int)(r % (unsigned int)nheld);

			if (!xa_is_value(xa_erase(w->xa, held[k])))
				w->bad++;
			held[k] = held[--nheld];
		}
		if (r % 5 == 0) {
			int id = idr_alloc(w->idr, w, 0, 0, GFP_KERNEL);

			if (id < 0 || idr_find(w->idr, id) != w ||
			    idr_remove(w->idr, id) != w)
				w->bad++;
		}
	}
	while (nheld)
		xa_erase(w->xa, held[--nheld]);
	return NULL;
}

static void test_threads(void **state)
{
	struct sim_machine *m = *state;
	DEFINE_XARRAY_ALLOC(xa);
	DEFINE_IDR(idr);
	struct xa_worker w[3];
	pthread_t t[3];
	int stop = 0;

	for (int i = 0; i < 3; i++) {
		w[i] = (struct xa_worker){ .m = m, .xa = &xa, .idr = &idr,
					   .seed = 11u + (unsigned)i,
					   .reader = i == 2, .stop = &stop };
		assert_int_equal(pthread_create(&t[i], NULL, xa_worker_fn,
						&w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(t[2], NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(w[i].bad, 0);
	assert_true(xa_empty(&xa));
	assert_true(idr_is_empty(&idr));
	assert_int_equal(warns(m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_ida, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failnth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
