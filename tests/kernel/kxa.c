// SPDX-License-Identifier: MIT
/*
 * The XArray, the IDR and the IDA as drivers use them: a table of
 * objects keyed by handles from xa_alloc(), marks for the busy ones,
 * sparse indices and value entries, reservations, the locked forms under
 * xa_lock() with readers inside, cyclic allocation, minor numbers from an
 * IDA, an IDR with a base, allocation under the driver's spinlock after
 * idr_preload(); and the misuses the kernel WARNs about.
 */
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/err.h>
#include <linux/bug.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <linux/idr.h>
#include "kmod.h"

/* The failed line, so that a failure names its check. */
#define KXA_CHECK(cond)							\
	do {								\
		if (!(cond))						\
			return __LINE__;				\
	} while (0)

/* A module's tables: empty again whenever a call returns. */
static DEFINE_XARRAY_ALLOC1(kxa_handles);
static DEFINE_IDA(kxa_minors);
static DEFINE_IDR(kxa_idr);

struct kxa_obj {
	u32 handle;
	int val;
};

/* ---- the plain array ---------------------------------------------------- */

static int kxa_plain(void)
{
	DEFINE_XARRAY(xa);
	static int a, b, c;
	unsigned long index, count;
	void *entry;

	KXA_CHECK(xa_empty(&xa));
	KXA_CHECK(xa_load(&xa, 0) == NULL);
	/* sparse indices, the extremes included */
	KXA_CHECK(xa_store(&xa, 0, &a, GFP_KERNEL) == NULL);
	KXA_CHECK(xa_store(&xa, 1UL << 40, &b, GFP_KERNEL) == NULL);
	KXA_CHECK(xa_err(xa_store(&xa, ULONG_MAX, &c, GFP_KERNEL)) == 0);
	KXA_CHECK(!xa_empty(&xa));
	KXA_CHECK(xa_load(&xa, 0) == &a && xa_load(&xa, 1UL << 40) == &b &&
		  xa_load(&xa, ULONG_MAX) == &c && xa_load(&xa, 1) == NULL);
	/* replacing returns the old entry; storing NULL erases */
	KXA_CHECK(xa_store(&xa, 0, &c, GFP_KERNEL) == &a);
	KXA_CHECK(xa_store(&xa, 0, NULL, GFP_KERNEL) == &c);
	KXA_CHECK(xa_load(&xa, 0) == NULL);
	/* insert only where nothing is */
	KXA_CHECK(xa_insert(&xa, 1UL << 40, &a, GFP_KERNEL) == -EBUSY);
	KXA_CHECK(xa_insert(&xa, 7, &a, GFP_KERNEL) == 0);
	/* compare and exchange */
	KXA_CHECK(xa_cmpxchg(&xa, 7, &b, &c, GFP_KERNEL) == &a);
	KXA_CHECK(xa_load(&xa, 7) == &a);
	KXA_CHECK(xa_cmpxchg(&xa, 7, &a, &c, GFP_KERNEL) == &a);
	KXA_CHECK(xa_load(&xa, 7) == &c);
	KXA_CHECK(xa_cmpxchg(&xa, 8, NULL, &b, GFP_KERNEL) == NULL);
	KXA_CHECK(xa_load(&xa, 8) == &b);
	/* value entries */
	KXA_CHECK(xa_store(&xa, 100, xa_mk_value(42), GFP_KERNEL) == NULL);
	entry = xa_load(&xa, 100);
	KXA_CHECK(xa_is_value(entry) && xa_to_value(entry) == 42);
	KXA_CHECK(!xa_is_value(&a) && !xa_is_err(entry));
	/* iteration in index order: 7, 8, 100, 1 << 40, ULONG_MAX */
	count = 0;
	index = 0;
	xa_for_each(&xa, index, entry) {
		static const unsigned long want[] = {
			7, 8, 100, 1UL << 40, ULONG_MAX,
		};

		KXA_CHECK(count < ARRAY_SIZE(want) && index == want[count]);
		count++;
	}
	KXA_CHECK(count == 5);
	count = 0;
	xa_for_each_start(&xa, index, entry, 9)
		count++;
	KXA_CHECK(count == 3);
	count = 0;
	xa_for_each_range(&xa, index, entry, 8, 100)
		count++;
	KXA_CHECK(count == 2);
	index = 9;
	KXA_CHECK(xa_find(&xa, &index, ULONG_MAX, XA_PRESENT) == xa_mk_value(42) &&
		  index == 100);
	KXA_CHECK(xa_find_after(&xa, &index, 1UL << 40, XA_PRESENT) == &b &&
		  index == 1UL << 40);
	KXA_CHECK(xa_find_after(&xa, &index, 1UL << 40, XA_PRESENT) == NULL &&
		  index == 1UL << 40);
	/* marks: set, read, iterate, cleared with the entry */
	xa_set_mark(&xa, 8, XA_MARK_1);
	xa_set_mark(&xa, ULONG_MAX, XA_MARK_1);
	xa_set_mark(&xa, 9, XA_MARK_1);		/* nothing there: nothing */
	xa_set_mark(&xa, 100, XA_MARK_2);
	KXA_CHECK(xa_get_mark(&xa, 8, XA_MARK_1) && !xa_get_mark(&xa, 8, XA_MARK_2) &&
		  !xa_get_mark(&xa, 9, XA_MARK_1) && !xa_get_mark(&xa, 7, XA_MARK_1));
	count = 0;
	xa_for_each_marked(&xa, index, entry, XA_MARK_1) {
		KXA_CHECK(index == 8 || index == ULONG_MAX);
		count++;
	}
	KXA_CHECK(count == 2);
	xa_clear_mark(&xa, 8, XA_MARK_1);
	KXA_CHECK(!xa_get_mark(&xa, 8, XA_MARK_1));
	KXA_CHECK(xa_erase(&xa, 100) == xa_mk_value(42));
	KXA_CHECK(xa_store(&xa, 100, &a, GFP_KERNEL) == NULL);
	KXA_CHECK(!xa_get_mark(&xa, 100, XA_MARK_2));
	/* a reservation: loads as NULL, but the index is taken */
	KXA_CHECK(xa_reserve(&xa, 50, GFP_KERNEL) == 0);
	KXA_CHECK(xa_load(&xa, 50) == NULL);
	KXA_CHECK(xa_insert(&xa, 50, &a, GFP_KERNEL) == -EBUSY);
	index = 9;
	KXA_CHECK(xa_find(&xa, &index, 99, XA_PRESENT) == NULL && index == 9);
	xa_release(&xa, 50);
	KXA_CHECK(xa_insert(&xa, 50, &a, GFP_KERNEL) == 0);
	/* the locked forms, with readers inside the lock */
	xa_lock(&xa);
	KXA_CHECK(__xa_store(&xa, 51, &b, GFP_ATOMIC) == NULL);
	KXA_CHECK(xa_load(&xa, 51) == &b);
	KXA_CHECK(__xa_insert(&xa, 51, &c, GFP_ATOMIC) == -EBUSY);
	KXA_CHECK(__xa_cmpxchg(&xa, 51, &b, &c, GFP_ATOMIC) == &b);
	count = 0;
	xa_for_each(&xa, index, entry)
		count++;
	KXA_CHECK(count == 7);
	__xa_set_mark(&xa, 51, XA_MARK_0);
	KXA_CHECK(xa_get_mark(&xa, 51, XA_MARK_0));
	__xa_clear_mark(&xa, 51, XA_MARK_0);
	KXA_CHECK(__xa_erase(&xa, 51) == &c);
	xa_unlock(&xa);
	/* erase everything the way a driver's teardown does */
	xa_for_each(&xa, index, entry)
		xa_erase(&xa, index);
	KXA_CHECK(xa_empty(&xa));
	xa_destroy(&xa);
	return 0;
}

/* ---- the object table of a driver ---------------------------------------- */

static int kxa_objects(void)
{
	struct kxa_obj *obj;
	unsigned long index, busy = 0;
	unsigned long flags;
	int i;

	KXA_CHECK(xa_empty(&kxa_handles));
	for (i = 0; i < 200; i++) {
		obj = kzalloc(sizeof(*obj), GFP_KERNEL);
		KXA_CHECK(obj);
		obj->val = i;
		KXA_CHECK(xa_alloc(&kxa_handles, &obj->handle, obj, xa_limit_31b,
				   GFP_KERNEL) == 0);
		/* XA_FLAGS_ALLOC1: handle 0 is never given */
		KXA_CHECK(obj->handle == (u32)i + 1);
		if (i % 3 == 0)
			xa_set_mark(&kxa_handles, obj->handle, XA_MARK_1);
	}
	/* close a handle; the next object gets it */
	obj = xa_erase(&kxa_handles, 10);
	KXA_CHECK(obj && obj->handle == 10 && obj->val == 9);
	KXA_CHECK(xa_load(&kxa_handles, 10) == NULL);
	KXA_CHECK(xa_alloc(&kxa_handles, &obj->handle, obj, xa_limit_31b,
			   GFP_KERNEL) == 0 && obj->handle == 10);
	/* the lookup path of an ioctl, under the lock */
	xa_lock_irqsave(&kxa_handles, flags);
	obj = xa_load(&kxa_handles, 77);
	KXA_CHECK(obj && obj->val == 76);
	xa_unlock_irqrestore(&kxa_handles, flags);
	xa_for_each_marked(&kxa_handles, index, obj, XA_MARK_1) {
		KXA_CHECK(obj->handle == index && obj->val % 3 == 0);
		busy++;
	}
	KXA_CHECK(busy == 66);	/* 0, 3, ..., 198 less the one moved (9) */
	/* a narrow range fills up */
	{
		u32 id;

		KXA_CHECK(xa_alloc(&kxa_handles, &id, xa_mk_value(1),
				   XA_LIMIT(199, 202), GFP_KERNEL) == 0 && id == 201);
		KXA_CHECK(xa_alloc(&kxa_handles, &id, xa_mk_value(2),
				   XA_LIMIT(199, 202), GFP_KERNEL) == 0 && id == 202);
		KXA_CHECK(xa_alloc(&kxa_handles, &id, xa_mk_value(3),
				   XA_LIMIT(199, 202), GFP_KERNEL) == -EBUSY);
		KXA_CHECK(xa_erase(&kxa_handles, 201) == xa_mk_value(1));
		KXA_CHECK(xa_erase(&kxa_handles, 202) == xa_mk_value(2));
	}
	/* teardown: every object freed, the table empty */
	xa_for_each(&kxa_handles, index, obj) {
		KXA_CHECK(xa_erase(&kxa_handles, index) == obj);
		kfree(obj);
	}
	KXA_CHECK(xa_empty(&kxa_handles));
	xa_destroy(&kxa_handles);
	return 0;
}

/* ---- allocating arrays: reservations, cyclic ids ------------------------- */

static int kxa_alloc(void)
{
	struct xarray xa;
	static int a, b;
	u32 id, next = 0;
	int ret;

	xa_init_flags(&xa, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_IRQ);
	KXA_CHECK(xa_alloc(&xa, &id, &a, xa_limit_32b, GFP_KERNEL) == 0 && id == 0);
	KXA_CHECK(xa_alloc(&xa, &id, NULL, xa_limit_32b, GFP_KERNEL) == 0 && id == 1);
	/* a NULL entry keeps its index: loads NULL, not allocatable */
	KXA_CHECK(xa_load(&xa, 1) == NULL && !xa_empty(&xa));
	KXA_CHECK(xa_alloc(&xa, &id, &b, xa_limit_32b, GFP_KERNEL) == 0 && id == 2);
	KXA_CHECK(xa_store(&xa, 1, &b, GFP_KERNEL) == NULL);
	/* storing NULL in an allocating array keeps the index too */
	KXA_CHECK(xa_store(&xa, 1, NULL, GFP_KERNEL) == &b);
	KXA_CHECK(xa_alloc(&xa, &id, &b, xa_limit_16b, GFP_KERNEL) == 0 && id == 3);
	KXA_CHECK(xa_erase(&xa, 1) == NULL);
	KXA_CHECK(xa_alloc(&xa, &id, &b, xa_limit_16b, GFP_KERNEL) == 0 && id == 1);
	xa_destroy(&xa);
	KXA_CHECK(xa_empty(&xa));

	/* cyclic: 0..3 once round, then the wrap says 1 */
	xa_init_flags(&xa, XA_FLAGS_ALLOC);
	for (int i = 0; i < 4; i++) {
		ret = xa_alloc_cyclic(&xa, &id, &a, XA_LIMIT(0, 3), &next,
				      GFP_KERNEL);
		KXA_CHECK(ret == 0 && id == (u32)i && next == (u32)i + 1);
	}
	KXA_CHECK(xa_alloc_cyclic(&xa, &id, &a, XA_LIMIT(0, 3), &next,
				  GFP_KERNEL) == -EBUSY);
	KXA_CHECK(xa_erase(&xa, 2) == &a && xa_erase(&xa, 0) == &a);
	ret = xa_alloc_cyclic(&xa, &id, &b, XA_LIMIT(0, 3), &next, GFP_KERNEL);
	KXA_CHECK(ret == 1 && id == 0 && next == 1);
	ret = xa_alloc_cyclic(&xa, &id, &b, XA_LIMIT(0, 3), &next, GFP_KERNEL);
	KXA_CHECK(ret == 0 && id == 2 && next == 3);
	/* at the top of the id space the next search wraps */
	next = UINT_MAX;
	ret = xa_alloc_cyclic(&xa, &id, &b, xa_limit_32b, &next, GFP_KERNEL);
	KXA_CHECK(ret == 0 && id == UINT_MAX && next == 0);
	ret = xa_alloc_cyclic(&xa, &id, &b, xa_limit_32b, &next, GFP_KERNEL);
	KXA_CHECK(ret == 1 && id == 4 && next == 5);
	xa_lock(&xa);
	KXA_CHECK(__xa_alloc(&xa, &id, &a, xa_limit_32b, GFP_ATOMIC) == 0 && id == 5);
	KXA_CHECK(__xa_alloc_cyclic(&xa, &id, &a, xa_limit_32b, &next,
				    GFP_ATOMIC) == 0 && id == 6);
	xa_unlock(&xa);
	xa_destroy(&xa);
	KXA_CHECK(xa_empty(&xa));
	return 0;
}

/* ---- IDR and IDA ---------------------------------------------------------- */

static int kxa_count_cb(int id, void *p, void *data)
{
	int *sum = data;

	*sum += id;
	return p == (void *)data ? -EEXIST : 0;
}

static int kxa_idr_ops(void)
{
	static int a, b, c;
	struct idr based;
	DEFINE_SPINLOCK(lock);
	int id, sum;
	u32 uid;
	void *p;

	KXA_CHECK(idr_is_empty(&kxa_idr));
	KXA_CHECK(idr_alloc(&kxa_idr, &a, 0, 0, GFP_KERNEL) == 0);
	KXA_CHECK(idr_alloc(&kxa_idr, &b, 0, 0, GFP_KERNEL) == 1);
	KXA_CHECK(idr_alloc(&kxa_idr, &c, 5, 6, GFP_KERNEL) == 5);
	KXA_CHECK(idr_alloc(&kxa_idr, &c, 5, 6, GFP_KERNEL) == -ENOSPC);
	/* a NULL pointer holds its id */
	KXA_CHECK(idr_alloc(&kxa_idr, NULL, 0, 0, GFP_KERNEL) == 2);
	KXA_CHECK(idr_find(&kxa_idr, 2) == NULL && idr_find(&kxa_idr, 5) == &c);
	KXA_CHECK(idr_find(&kxa_idr, 3) == NULL);
	KXA_CHECK(idr_replace(&kxa_idr, &a, 2) == NULL);
	KXA_CHECK(idr_replace(&kxa_idr, &b, 2) == &a);
	KXA_CHECK(PTR_ERR(idr_replace(&kxa_idr, &a, 3)) == -ENOENT);
	/* the walks: 0, 1, 2, 5 */
	sum = 0;
	KXA_CHECK(idr_for_each(&kxa_idr, kxa_count_cb, &sum) == 0 && sum == 8);
	sum = 0;
	idr_for_each_entry(&kxa_idr, p, id)
		sum += id;
	KXA_CHECK(sum == 8);
	id = 3;
	KXA_CHECK(idr_get_next(&kxa_idr, &id) == &c && id == 5);
	id++;
	KXA_CHECK(idr_get_next(&kxa_idr, &id) == NULL);
	KXA_CHECK(idr_remove(&kxa_idr, 1) == &b && idr_remove(&kxa_idr, 1) == NULL);
	/* under the driver's spinlock, preloaded */
	idr_preload(GFP_KERNEL);
	spin_lock(&lock);
	id = idr_alloc(&kxa_idr, &a, 1, 0, GFP_NOWAIT);
	spin_unlock(&lock);
	idr_preload_end();
	KXA_CHECK(id == 1);
	/* and under the IDR's own lock */
	idr_lock(&kxa_idr);
	KXA_CHECK(idr_alloc(&kxa_idr, &a, 0, 0, GFP_ATOMIC) == 3);
	KXA_CHECK(idr_find(&kxa_idr, 3) == &a);
	KXA_CHECK(idr_remove(&kxa_idr, 3) == &a);
	idr_unlock(&kxa_idr);
	/*
	 * cyclic ids go on past freed ones (from 0: the cursor outlives
	 * idr_destroy(), as the kernel's does, and this runs more than once)
	 */
	idr_set_cursor(&kxa_idr, 0);
	KXA_CHECK(idr_alloc_cyclic(&kxa_idr, &a, 0, 0, GFP_KERNEL) == 3);
	KXA_CHECK(idr_remove(&kxa_idr, 3) == &a);
	KXA_CHECK(idr_alloc_cyclic(&kxa_idr, &a, 0, 0, GFP_KERNEL) == 4);
	KXA_CHECK(idr_alloc_cyclic(&kxa_idr, &a, 0, 7, GFP_KERNEL) == 6);
	KXA_CHECK(idr_alloc_cyclic(&kxa_idr, &a, 0, 8, GFP_KERNEL) == 7);
	KXA_CHECK(idr_alloc_cyclic(&kxa_idr, &a, 0, 8, GFP_KERNEL) == 3);
	KXA_CHECK(idr_get_cursor(&kxa_idr) == 4);
	uid = 100;
	KXA_CHECK(idr_alloc_u32(&kxa_idr, &b, &uid, 100, GFP_KERNEL) == 0 &&
		  uid == 100);
	KXA_CHECK(idr_alloc_u32(&kxa_idr, &b, &uid, 100, GFP_KERNEL) == -ENOSPC &&
		  uid == 100);
	idr_for_each_entry(&kxa_idr, p, id)
		idr_remove(&kxa_idr, id);
	KXA_CHECK(idr_is_empty(&kxa_idr));
	idr_destroy(&kxa_idr);

	/* an IDR whose ids start at 1 */
	idr_init_base(&based, 1);
	KXA_CHECK(idr_alloc(&based, &a, 0, 0, GFP_KERNEL) == 1);
	KXA_CHECK(idr_alloc(&based, &b, 0, 0, GFP_KERNEL) == 2);
	KXA_CHECK(idr_find(&based, 1) == &a && idr_find(&based, 0) == NULL);
	id = 0;
	KXA_CHECK(idr_get_next(&based, &id) == &a && id == 1);
	sum = 0;
	KXA_CHECK(idr_for_each(&based, kxa_count_cb, &sum) == 0 && sum == 3);
	KXA_CHECK(idr_alloc(&based, &c, 0, 2, GFP_KERNEL) == -ENOSPC);
	idr_destroy(&based);
	KXA_CHECK(idr_is_empty(&based));
	return 0;
}

static int kxa_ida(void)
{
	struct ida local;

	KXA_CHECK(ida_is_empty(&kxa_minors));
	KXA_CHECK(ida_alloc(&kxa_minors, GFP_KERNEL) == 0);
	KXA_CHECK(ida_alloc(&kxa_minors, GFP_KERNEL) == 1);
	KXA_CHECK(ida_alloc(&kxa_minors, GFP_KERNEL) == 2);
	ida_free(&kxa_minors, 1);
	KXA_CHECK(ida_alloc(&kxa_minors, GFP_KERNEL) == 1);
	KXA_CHECK(ida_alloc_min(&kxa_minors, 10, GFP_KERNEL) == 10);
	KXA_CHECK(ida_alloc_max(&kxa_minors, 2, GFP_KERNEL) == -ENOSPC);
	KXA_CHECK(ida_alloc_max(&kxa_minors, 3, GFP_KERNEL) == 3);
	KXA_CHECK(ida_alloc_range(&kxa_minors, 5, 5, GFP_KERNEL) == 5);
	KXA_CHECK(ida_alloc_range(&kxa_minors, 5, 5, GFP_KERNEL) == -ENOSPC);
	KXA_CHECK(ida_alloc_range(&kxa_minors, 7, 6, GFP_KERNEL) == -ENOSPC);
	KXA_CHECK(ida_alloc_range(&kxa_minors, (unsigned int)INT_MAX + 1, ~0u,
				  GFP_KERNEL) == -ENOSPC);
	KXA_CHECK(ida_alloc_range(&kxa_minors, INT_MAX, ~0u, GFP_KERNEL) == INT_MAX);
	KXA_CHECK(ida_alloc_min(&kxa_minors, INT_MAX, GFP_KERNEL) == -ENOSPC);
	KXA_CHECK(!ida_is_empty(&kxa_minors));
	for (int id = 0; id <= 10; id++)
		if (id != 4 && id != 6 && id != 7 && id != 8 && id != 9)
			ida_free(&kxa_minors, id);
	ida_free(&kxa_minors, INT_MAX);
	KXA_CHECK(ida_is_empty(&kxa_minors));

	ida_init(&local);
	for (int i = 0; i < 100; i++)
		KXA_CHECK(ida_alloc(&local, GFP_KERNEL) == i);
	ida_destroy(&local);
	KXA_CHECK(ida_is_empty(&local));
	KXA_CHECK(ida_alloc(&local, GFP_KERNEL) == 0);
	ida_destroy(&local);
	return 0;
}

int kxa_selftest(void)
{
	int ret;

	if ((ret = kxa_plain()) || (ret = kxa_objects()) ||
	    (ret = kxa_alloc()) || (ret = kxa_idr_ops()) || (ret = kxa_ida()))
		return ret;
	return 0;
}

/* ---- misuse ---------------------------------------------------------------- */

int kxa_misuse(void)
{
	DEFINE_XARRAY(xa);
	DEFINE_IDA(ida);
	DEFINE_IDR(idr);
	static int a;
	u32 id = 77;

	/* an internal entry (low bits 10) is not an entry: -EINVAL */
	KXA_CHECK(xa_err(xa_store(&xa, 1, (void *)0x1002UL, GFP_KERNEL)) == -EINVAL);
	KXA_CHECK(xa_insert(&xa, 1, (void *)0x1002UL, GFP_KERNEL) == -EINVAL);
	KXA_CHECK(xa_empty(&xa));
	/* allocating from an array that does not allocate: -EINVAL */
	KXA_CHECK(xa_alloc(&xa, &id, &a, xa_limit_32b, GFP_KERNEL) == -EINVAL &&
		  id == 77);
	KXA_CHECK(xa_empty(&xa));
	/* an id freed twice */
	KXA_CHECK(ida_alloc(&ida, GFP_KERNEL) == 0);
	ida_free(&ida, 0);
	ida_free(&ida, 0);
	KXA_CHECK(ida_is_empty(&ida));
	/* a negative start */
	KXA_CHECK(idr_alloc(&idr, &a, -1, 0, GFP_KERNEL) == -EINVAL);
	KXA_CHECK(idr_is_empty(&idr));
	return 0;
}
