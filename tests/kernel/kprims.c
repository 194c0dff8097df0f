// SPDX-License-Identifier: MIT
/*
 * The kernel's basic primitives as kernel code uses them: min/max/clamp,
 * container_of, ARRAY_SIZE, rounding, error pointers, lists and hlists,
 * atomics, refcount_t and kref, spinlocks, mutexes and rw_semaphores with
 * lockdep assertions; a structure shared by threads that each run the
 * same locked updates; and the misuses the kernel's debugging catches,
 * one WARN each.
 */
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/minmax.h>
#include <linux/container_of.h>
#include <linux/array_size.h>
#include <linux/math.h>
#include <linux/align.h>
#include <linux/err.h>
#include <linux/bug.h>
#include <linux/list.h>
#include <linux/atomic.h>
#include <linux/refcount.h>
#include <linux/kref.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include "kmod.h"

/* --------------------------------------------------------- one thread */

struct kp_item {
	int val;
	struct list_head node;
	struct hlist_node hnode;
};

struct kp_obj {
	long tag;
	struct kref ref;
	int *released;
};

static void kp_obj_release(struct kref *ref)
{
	struct kp_obj *o = container_of(ref, struct kp_obj, ref);

	(*o->released)++;
	kfree(o);
}

static int helpers_selftest(void)
{
	static const u16 table[] = { 1, 2, 3, 5, 8 };
	unsigned int u = 7;
	int s = -3;
	u8 b = 200;
	long l = -5;
	u64 big = 0x123456789abcdef0ULL;
	struct kp_item it = { .val = 42 };
	void *p;

	if (min(u, 3u) != 3 || max(s, -7) != -3 || min(b, 100) != 100)
		return 1;
	/* an unsigned char promotes to int: it compares with signed values */
	if (max(s, b) != 200 || min(l, s) != -5)
		return 2;
	/* signed and unsigned need the _t form */
	if (min_t(int, s, u) != -3 || max_t(unsigned int, s, u) != (unsigned int)-3)
		return 3;
	if (clamp(s, -1, 10) != -1 || clamp(u, 0u, 5u) != 5 ||
	    clamp_t(u8, 300, 1, 255) != 44 || clamp_val(b, 10, 100) != 100)
		return 4;
	if (min3(4, 2, 9) != 2 || max3(4, 2, 9) != 9 ||
	    min_not_zero(0u, u) != 7 || min_not_zero(u, 9u) != 7)
		return 5;
	swap(u, b);
	if (u != 200 || b != 7)
		return 6;
	if (ARRAY_SIZE(table) != 5 || container_of(&it.node, struct kp_item, node) != &it ||
	    container_of(&it.hnode, struct kp_item, hnode)->val != 42)
		return 7;
	if (DIV_ROUND_UP(10, 4) != 3 || round_up(13, 8) != 16 ||
	    round_down(13, 8) != 8 || roundup(13, 5) != 15 ||
	    rounddown(13, 5) != 10 || DIV_ROUND_CLOSEST(7, 2) != 4 ||
	    DIV_ROUND_CLOSEST(-7, 2) != -4 || DIV_ROUND_UP_ULL(big, 1ULL << 32) != 0x12345679)
		return 8;
	if (ALIGN(4097, PAGE_SIZE) != 2 * PAGE_SIZE || ALIGN_DOWN(4097u, 4096) != 4096 ||
	    !IS_ALIGNED(8192ul, PAGE_SIZE) || IS_ALIGNED(4100, 8) ||
	    PTR_ALIGN((char *)0x1001, 16) != (char *)0x1010)
		return 9;
	if (upper_32_bits(big) != 0x12345678 || lower_32_bits(big) != 0x9abcdef0 ||
	    U32_MAX != 0xffffffffu || S16_MIN != -32768)
		return 10;

	p = ERR_PTR(-ENOMEM);
	if (!IS_ERR(p) || PTR_ERR(p) != -ENOMEM || !IS_ERR_OR_NULL(p) ||
	    !IS_ERR_OR_NULL(NULL) || IS_ERR(&it) || IS_ERR_OR_NULL(&it))
		return 11;
	if (PTR_ERR_OR_ZERO(p) != -ENOMEM || PTR_ERR_OR_ZERO(&it) ||
	    PTR_ERR(ERR_CAST(p)) != -ENOMEM || !IS_ERR_VALUE((unsigned long)-EIO))
		return 12;

	WRITE_ONCE(it.val, 43);
	barrier();
	if (READ_ONCE(it.val) != 43 || !likely(it.val) || unlikely(!it.val))
		return 13;
	if (WARN_ON(0) || WARN(s > 0, "never: %d", s) || WARN_ON_ONCE(false))
		return 14;
	BUILD_BUG_ON(sizeof(u32) != 4);
	return 0;
}

static int list_selftest(void)
{
	struct kp_item items[6], *pos, *n;
	struct list_head *lp, *ln;
	struct hlist_node *hn;
	LIST_HEAD(a);
	LIST_HEAD(b);
	HLIST_HEAD(h);
	int i;

	if (!list_empty(&a) || list_first_entry_or_null(&a, struct kp_item, node))
		return 20;
	for (i = 0; i < 6; i++) {
		items[i].val = i;
		list_add_tail(&items[i].node, i < 3 ? &a : &b);
	}
	if (list_count_nodes(&a) != 3 ||
	    list_first_entry(&a, struct kp_item, node)->val != 0 ||
	    list_last_entry(&b, struct kp_item, node)->val != 5 ||
	    list_first_entry_or_null(&b, struct kp_item, node) != &items[3])
		return 21;
	list_splice_tail_init(&b, &a);
	if (!list_empty(&b) || list_count_nodes(&a) != 6)
		return 22;
	i = 0;
	list_for_each_entry(pos, &a, node)
		if (pos->val != i++)
			return 23;
	list_for_each_entry_reverse(pos, &a, node)
		if (pos->val != --i)
			return 24;
	/* the odd ones out, deleting while walking */
	list_for_each_entry_safe(pos, n, &a, node)
		if (pos->val % 2)
			list_del(&pos->node);
	list_move_tail(&items[0].node, &a);		/* 2 4 0 */
	if (list_first_entry(&a, struct kp_item, node) != &items[2] ||
	    !list_is_last(&items[0].node, &a) ||
	    !list_is_first(&items[2].node, &a))
		return 25;
	list_add(&items[1].node, &b);			/* a deleted entry again */
	if (!list_is_singular(&b))
		return 26;
	list_replace(&items[1].node, &items[3].node);
	if (list_first_entry(&b, struct kp_item, node) != &items[3])
		return 27;
	list_del_init(&items[3].node);
	if (!list_empty(&b) || !list_empty(&items[3].node))
		return 28;
	list_rotate_left(&a);				/* 4 0 2 */
	if (list_next_entry(&items[4], node) != &items[0] ||
	    list_prev_entry(&items[2], node) != &items[0])
		return 29;
	pos = &items[4];
	i = 0;
	list_for_each_entry_continue(pos, &a, node)
		i += pos->val;
	if (i != 2)
		return 30;
	list_move(&items[2].node, &b);
	list_splice_init(&b, &a);			/* 2 4 0 */
	if (list_first_entry(&a, struct kp_item, node) != &items[2] || !list_empty(&b))
		return 31;
	i = 0;
	list_for_each(lp, &a)
		i++;
	list_for_each_safe(lp, ln, &a)
		list_del_init(lp);
	if (i != 3 || !list_empty(&a) || !list_empty_careful(&a))
		return 32;

	for (i = 0; i < 4; i++)
		hlist_add_head(&items[i].hnode, &h);		/* 3 2 1 0 */
	hlist_add_behind(&items[4].hnode, &items[3].hnode);	/* 3 4 2 1 0 */
	hlist_add_before(&items[5].hnode, &items[3].hnode);	/* 5 3 4 2 1 0 */
	i = 0;
	hlist_for_each_entry(pos, &h, hnode)
		i = i * 10 + pos->val;
	if (i != 534210)
		return 33;
	hlist_del(&items[4].hnode);
	hlist_del_init(&items[2].hnode);
	if (!hlist_unhashed(&items[2].hnode) || hlist_unhashed(&items[1].hnode))
		return 34;
	i = 0;
	hlist_for_each_entry_safe(pos, hn, &h, hnode) {
		i = i * 10 + pos->val;
		hlist_del_init(&pos->hnode);
	}
	if (i != 5310 || !hlist_empty(&h))
		return 35;
	return 0;
}

static int atomic_selftest(void)
{
	atomic_t a = ATOMIC_INIT(5);
	atomic64_t a64 = ATOMIC64_INIT(1LL << 40);
	atomic_long_t al = ATOMIC_LONG_INIT(-1);
	int old = 0, x = 1;

	if (atomic_read(&a) != 5 || atomic_inc_return(&a) != 6 ||
	    atomic_dec_return(&a) != 5)
		return 40;
	atomic_add(10, &a);
	atomic_sub(3, &a);
	if (atomic_fetch_add(3, &a) != 12 || atomic_read(&a) != 15 ||
	    atomic_fetch_sub(5, &a) != 15 || atomic_sub_return(5, &a) != 5)
		return 41;
	if (atomic_cmpxchg(&a, 5, 1) != 5 || atomic_cmpxchg(&a, 5, 2) != 1 ||
	    atomic_xchg(&a, 0) != 1)
		return 42;
	/* a failed try_cmpxchg says what it found */
	if (!atomic_try_cmpxchg(&a, &old, 1) || atomic_try_cmpxchg(&a, &old, 2) ||
	    old != 1)
		return 43;
	if (!atomic_dec_and_test(&a) || atomic_inc_and_test(&a) ||
	    !atomic_sub_and_test(1, &a) || !atomic_add_negative(-1, &a))
		return 44;
	atomic_set(&a, 0);
	if (atomic_inc_not_zero(&a) || atomic_add_unless(&a, 1, 0) ||
	    atomic_fetch_add_unless(&a, 1, 5) != 0 || atomic_read(&a) != 1)
		return 45;
	if (atomic_dec_if_positive(&a) != 0 || atomic_dec_if_positive(&a) != -1 ||
	    atomic_read(&a) != 0)
		return 46;
	/* the kernel's atomics wrap */
	atomic_set(&a, INT_MAX);
	atomic_inc(&a);
	if (atomic_read(&a) != INT_MIN)
		return 47;
	atomic_set_release(&a, 0xf0);
	atomic_or(0x0f, &a);
	atomic_andnot(0x11, &a);
	atomic_xor(0xff, &a);
	atomic_and(0x10, &a);
	if (atomic_read_acquire(&a) != 0x10 || atomic_fetch_or(1, &a) != 0x10)
		return 48;
	if (atomic64_add_return(1LL << 40, &a64) != 1LL << 41 ||
	    atomic64_read(&a64) != 1LL << 41 || !atomic64_inc_not_zero(&a64))
		return 49;
	if (atomic_long_inc_return(&al) != 0 || atomic_long_fetch_sub(5, &al) != 0 ||
	    atomic_long_read(&al) != -5 || atomic_long_xchg(&al, 7) != -5)
		return 50;
	if (xchg(&x, 2) != 1 || cmpxchg(&x, 2, 3) != 2 || cmpxchg(&x, 2, 4) != 3 ||
	    x != 3)
		return 51;
	smp_store_release(&x, 9);
	if (smp_load_acquire(&x) != 9)
		return 52;
	return 0;
}

static DEFINE_SPINLOCK(kp_spin);
static DEFINE_RAW_SPINLOCK(kp_raw);
static DEFINE_MUTEX(kp_mutex);
static DECLARE_RWSEM(kp_rwsem);

/* kref_put_mutex()/kref_put_lock() release with the lock held */
static void kp_obj_release_mutex(struct kref *ref)
{
	lockdep_assert_held(&kp_mutex);
	kp_obj_release(ref);
	mutex_unlock(&kp_mutex);
}

static void kp_obj_release_spin(struct kref *ref)
{
	lockdep_assert_held(&kp_spin);
	kp_obj_release(ref);
	spin_unlock(&kp_spin);
}

static struct kp_obj *kp_obj_new(int *released)
{
	struct kp_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return NULL;
	kref_init(&o->ref);
	o->released = released;
	return o;
}

static int refcount_selftest(void)
{
	refcount_t r = REFCOUNT_INIT(1);
	atomic_t cnt = ATOMIC_INIT(2);
	struct kp_obj *o;
	int released = 0;

	refcount_inc(&r);
	refcount_add(2, &r);
	if (refcount_read(&r) != 4 || refcount_dec_and_test(&r))
		return 60;
	refcount_dec(&r);
	if (refcount_sub_and_test(1, &r) || refcount_read(&r) != 1)
		return 61;
	/* the last reference is not dropped by dec_not_one */
	if (refcount_dec_not_one(&r) || !refcount_dec_if_one(&r) ||
	    refcount_inc_not_zero(&r) || refcount_read(&r) != 0)
		return 62;
	refcount_set(&r, 2);
	if (!refcount_inc_not_zero(&r) || !refcount_sub_and_test(3, &r))
		return 63;

	o = kp_obj_new(&released);
	if (!o || kref_read(&o->ref) != 1)
		return 64;
	kref_get(&o->ref);
	kref_get(&o->ref);
	if (kref_read(&o->ref) != 3 || kref_put(&o->ref, kp_obj_release) ||
	    kref_put(&o->ref, kp_obj_release) || released)
		return 65;
	if (!kref_get_unless_zero(&o->ref) || kref_put(&o->ref, kp_obj_release))
		return 66;
	if (!kref_put(&o->ref, kp_obj_release) || released != 1)
		return 67;

	o = kp_obj_new(&released);
	if (!o)
		return 68;
	kref_get(&o->ref);
	if (kref_put_mutex(&o->ref, kp_obj_release_mutex, &kp_mutex) ||
	    mutex_is_locked(&kp_mutex) ||
	    !kref_put_mutex(&o->ref, kp_obj_release_mutex, &kp_mutex) ||
	    mutex_is_locked(&kp_mutex) || released != 2)
		return 69;
	o = kp_obj_new(&released);
	if (!o || !kref_put_lock(&o->ref, kp_obj_release_spin, &kp_spin) ||
	    spin_is_locked(&kp_spin) || released != 3)
		return 70;

	/* the count reaches 0 with the lock taken, and only then */
	if (atomic_dec_and_lock(&cnt, &kp_spin) || spin_is_locked(&kp_spin) ||
	    !atomic_dec_and_lock(&cnt, &kp_spin))
		return 71;
	lockdep_assert_held(&kp_spin);
	spin_unlock(&kp_spin);
	atomic_set(&cnt, 1);
	if (!atomic_dec_and_mutex_lock(&cnt, &kp_mutex))
		return 72;
	lockdep_assert_held(&kp_mutex);
	mutex_unlock(&kp_mutex);
	return 0;
}

struct kp_locks {
	spinlock_t lock;
	struct mutex mutex;
	struct rw_semaphore sem;
};

static int lock_selftest(void)
{
	struct kp_locks *l = kmalloc(sizeof(*l), GFP_KERNEL);
	unsigned long flags;

	if (!l)
		return 80;
	spin_lock_init(&l->lock);
	mutex_init(&l->mutex);
	init_rwsem(&l->sem);

	spin_lock(&l->lock);
	lockdep_assert_held(&l->lock);
	assert_spin_locked(&l->lock);
	/* a trylock of a lock the thread holds fails, quietly */
	if (!spin_is_locked(&l->lock) || spin_trylock(&l->lock) ||
	    !lockdep_is_held(&l->lock))
		return 81;
	spin_unlock(&l->lock);
	lockdep_assert_not_held(&l->lock);
	if (spin_is_locked(&l->lock) || lockdep_is_held(&l->lock))
		return 82;
	spin_lock_irqsave(&l->lock, flags);
	lockdep_assert_held(&l->lock);
	spin_unlock_irqrestore(&l->lock, flags);
	spin_lock_irq(&kp_spin);
	spin_lock_bh(&l->lock);
	lockdep_assert_held(&kp_spin);
	spin_unlock_bh(&l->lock);
	spin_unlock_irq(&kp_spin);
	if (!spin_trylock(&l->lock))
		return 83;
	spin_unlock(&l->lock);
	raw_spin_lock(&kp_raw);
	lockdep_assert_held(&kp_raw);
	raw_spin_unlock(&kp_raw);

	mutex_lock(&l->mutex);
	lockdep_assert_held(&l->mutex);
	if (!mutex_is_locked(&l->mutex) || mutex_trylock(&l->mutex))
		return 84;
	mutex_unlock(&l->mutex);
	if (mutex_is_locked(&l->mutex) || !mutex_trylock(&l->mutex))
		return 85;
	mutex_unlock(&l->mutex);
	if (mutex_lock_interruptible(&l->mutex))
		return 86;
	mutex_lock_nested(&kp_mutex, SINGLE_DEPTH_NESTING);
	lockdep_assert_held(&kp_mutex);
	mutex_unlock(&kp_mutex);
	mutex_unlock(&l->mutex);
	if (mutex_lock_killable(&l->mutex))
		return 87;
	mutex_unlock(&l->mutex);
	lockdep_assert_not_held(&l->mutex);

	down_read(&l->sem);
	lockdep_assert_held(&l->sem);
	lockdep_assert_held_read(&l->sem);
	if (down_write_trylock(&l->sem) || !down_read_trylock(&l->sem))
		return 88;
	up_read(&l->sem);
	up_read(&l->sem);
	down_write(&l->sem);
	lockdep_assert_held(&l->sem);
	lockdep_assert_held_write(&l->sem);
	if (!rwsem_is_locked(&l->sem) || down_read_trylock(&l->sem) ||
	    lockdep_is_held_type(&l->sem, 1))
		return 89;
	downgrade_write(&l->sem);
	lockdep_assert_held_read(&l->sem);
	lockdep_assert_not_held(&l->sem);
	up_read(&l->sem);
	if (rwsem_is_locked(&l->sem) || down_write_killable(&l->sem))
		return 90;
	up_write(&l->sem);
	if (down_read_killable(&kp_rwsem) || !down_write_trylock(&l->sem))
		return 91;
	lockdep_assert_held_read(&kp_rwsem);
	up_write(&l->sem);
	up_read(&kp_rwsem);
	lockdep_assert(!rwsem_is_locked(&kp_rwsem));

	mutex_destroy(&l->mutex);
	kfree(l);
	return 0;
}

int kprims_selftest(void)
{
	int ret;

	ret = helpers_selftest();
	if (!ret)
		ret = list_selftest();
	if (!ret)
		ret = atomic_selftest();
	if (!ret)
		ret = refcount_selftest();
	if (!ret)
		ret = lock_selftest();
	return ret;
}

/* ---------------------------------------------------------- threads */

struct kprims_shared {
	spinlock_t lock;
	long spin_count;		/* under lock */
	struct mutex mutex;
	long mutex_count;		/* under mutex */
	struct list_head list;		/* under mutex */
	struct rw_semaphore sem;
	unsigned long gen, shadow;	/* written under sem for writing */
	atomic_t torn;			/* readers that saw gen != shadow */
	atomic_t hits;
	atomic64_t sum;
	atomic_long_t ops;
	refcount_t users;
	struct kp_obj *obj;
	int released;
	struct kp_item items[KPRIMS_THREADS_MAX];
};

struct kprims_shared *kprims_shared_new(void)
{
	struct kprims_shared *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	spin_lock_init(&s->lock);
	mutex_init(&s->mutex);
	INIT_LIST_HEAD(&s->list);
	init_rwsem(&s->sem);
	refcount_set(&s->users, 1);
	s->obj = kp_obj_new(&s->released);
	if (!s->obj) {
		kfree(s);
		return NULL;
	}
	return s;
}

void kprims_worker(struct kprims_shared *s, int id, int iters)
{
	struct kp_item *mine = &s->items[id];

	for (int i = 0; i < iters; i++) {
		unsigned long flags;

		spin_lock_irqsave(&s->lock, flags);
		lockdep_assert_held(&s->lock);
		s->spin_count++;
		spin_unlock_irqrestore(&s->lock, flags);

		mutex_lock(&s->mutex);
		lockdep_assert_held(&s->mutex);
		list_add_tail(&mine->node, &s->list);
		s->mutex_count++;
		list_del(&mine->node);
		mutex_unlock(&s->mutex);

		if (i % 8 == 0) {
			down_write(&s->sem);
			lockdep_assert_held_write(&s->sem);
			s->gen++;
			s->shadow = s->gen;
			if (i % 16 == 0) {
				downgrade_write(&s->sem);
				lockdep_assert_held_read(&s->sem);
				if (s->shadow != s->gen)
					atomic_inc(&s->torn);
				up_read(&s->sem);
			} else {
				up_write(&s->sem);
			}
		} else {
			down_read(&s->sem);
			lockdep_assert_held_read(&s->sem);
			if (s->shadow != s->gen)
				atomic_inc(&s->torn);
			up_read(&s->sem);
		}

		atomic_inc(&s->hits);
		atomic64_add(id + 1, &s->sum);
		atomic_long_inc_return(&s->ops);
		refcount_inc(&s->users);
		kref_get(&s->obj->ref);
		kref_put(&s->obj->ref, kp_obj_release);
		refcount_dec(&s->users);
	}
}

int kprims_shared_free(struct kprims_shared *s, int nthreads, int iters)
{
	long n = (long)nthreads * iters;
	long sum = 0;
	int ret = 0;

	for (int id = 0; id < nthreads; id++)
		sum += (long)(id + 1) * iters;
	if (s->spin_count != n || s->mutex_count != n || !list_empty(&s->list))
		ret = 100;
	else if (s->gen != (unsigned long)nthreads * DIV_ROUND_UP(iters, 8) ||
		 atomic_read(&s->torn))
		ret = 101;
	else if (atomic_read(&s->hits) != n || atomic64_read(&s->sum) != sum ||
		 atomic_long_read(&s->ops) != n)
		ret = 102;
	else if (refcount_read(&s->users) != 1 || kref_read(&s->obj->ref) != 1 ||
		 s->released)
		ret = 103;
	else if (!kref_put(&s->obj->ref, kp_obj_release) || s->released != 1)
		ret = 104;
	if (!s->released)
		kfree(s->obj);
	mutex_destroy(&s->mutex);
	kfree(s);
	return ret;
}

void kprims_hold(struct kprims_shared *s)
{
	mutex_lock(&s->mutex);
	down_write(&s->sem);
	spin_lock(&s->lock);
}

void kprims_unhold(struct kprims_shared *s)
{
	spin_unlock(&s->lock);
	up_write(&s->sem);
	mutex_unlock(&s->mutex);
}

int kprims_assert_other(struct kprims_shared *s)
{
	/* held, but not by this thread: three WARNs */
	lockdep_assert_held(&s->lock);
	lockdep_assert_held(&s->mutex);
	lockdep_assert_held_write(&s->sem);
	/* and not this thread's to release: a WARN, the mutex stays held */
	mutex_unlock(&s->mutex);
	if (!mutex_is_locked(&s->mutex) || !spin_is_locked(&s->lock) ||
	    !rwsem_is_locked(&s->sem))
		return 1;
	/* another thread's hold is no reason for a false assertion here */
	lockdep_assert_not_held(&s->mutex);
	return 0;
}

/* ------------------------------------------------------------- misuse */

int kprims_assert_unheld(void)
{
	lockdep_assert_held(&kp_mutex);
	return mutex_is_locked(&kp_mutex);
}

int kprims_unlock_unheld(void)
{
	mutex_unlock(&kp_mutex);
	/* nothing was released: the mutex works as before */
	if (mutex_is_locked(&kp_mutex) || !mutex_trylock(&kp_mutex))
		return 1;
	mutex_unlock(&kp_mutex);
	return 0;
}

int kprims_refcount_underflow(void)
{
	refcount_t r = REFCOUNT_INIT(1);

	if (!refcount_dec_and_test(&r))
		return 1;
	/* one put too many: a WARN, and the count saturates */
	if (refcount_dec_and_test(&r) ||
	    refcount_read(&r) != (unsigned int)REFCOUNT_SATURATED)
		return 2;
	/* saturated it stays, without another report, and frees nothing */
	refcount_inc(&r);
	refcount_dec(&r);
	if (refcount_dec_and_test(&r) ||
	    refcount_read(&r) != (unsigned int)REFCOUNT_SATURATED)
		return 3;
	return 0;
}

int kprims_refcount_overflow(void)
{
	refcount_t r = REFCOUNT_INIT(REFCOUNT_MAX);

	refcount_inc(&r);
	if (refcount_read(&r) != (unsigned int)REFCOUNT_SATURATED)
		return 1;
	/* an increment from 0: the object may be gone */
	refcount_set(&r, 0);
	refcount_inc(&r);
	return refcount_read(&r) != (unsigned int)REFCOUNT_SATURATED;
}

int kprims_mutex_recursion(void)
{
	mutex_lock(&kp_mutex);
	mutex_lock(&kp_mutex);		/* the kernel would deadlock */
	lockdep_assert_held(&kp_mutex);
	mutex_unlock(&kp_mutex);
	return mutex_is_locked(&kp_mutex);
}

int kprims_spin_recursion(void)
{
	spin_lock(&kp_spin);
	spin_lock(&kp_spin);		/* the kernel would spin forever */
	spin_unlock(&kp_spin);
	return spin_is_locked(&kp_spin);
}

int kprims_list_double_del(void)
{
	struct kp_item a = { .val = 1 }, b = { .val = 2 };
	LIST_HEAD(head);

	list_add(&a.node, &head);
	list_add(&b.node, &head);
	list_del(&a.node);
	list_del(&a.node);		/* refused: poisoned */
	return !list_is_singular(&head) ||
	       list_first_entry(&head, struct kp_item, node) != &b;
}

int kprims_up_read_unlocked(void)
{
	up_read(&kp_rwsem);
	return rwsem_is_locked(&kp_rwsem);
}

int kprims_mutex_uninitialized(void)
{
	struct kp_locks *l = kzalloc(sizeof(*l), GFP_KERNEL);
	int ret;

	if (!l)
		return -ENOMEM;
	/* a mutex never mutex_init()ed: a WARN each time, and it still locks */
	ret = !mutex_trylock(&l->mutex);
	mutex_unlock(&l->mutex);
	kfree(l);
	return ret;
}

int kprims_warn(int cond)
{
	return WARN(cond, "kprims_warn(%d)", cond);
}
