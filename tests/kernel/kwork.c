// SPDX-License-Identifier: MIT
/*
 * Wait queues, kthreads, workqueues, timers and scope-based cleanup, as
 * kernel code uses them. Each entry point returns 0 or the step that
 * failed.
 */
#include <linux/kernel.h>
#include <linux/cleanup.h>
#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "kmod.h"

#define CHECK(step, cond)						\
	do {								\
		if (!(cond))						\
			return (step);					\
	} while (0)

/* ---- a producer kthread, a consumer waiting on a wait queue ----------- */

#define RING	64
#define ITEMS	200

struct ring {
	spinlock_t lock;
	wait_queue_head_t wq;		/* items, or room */
	wait_queue_head_t done_wq;	/* all consumed */
	unsigned int head, tail;
	int items[RING];
	long sum;
	unsigned int consumed;
	/* what the kthread saw of itself */
	unsigned int flags;
	char comm[TASK_COMM_LEN];
	bool has_mm;
	pid_t pid;
};

static void ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->wq);
	init_waitqueue_head(&r->done_wq);
}

static bool ring_has_items(struct ring *r)
{
	guard(spinlock)(&r->lock);
	return r->head != r->tail;
}

static bool ring_has_room(struct ring *r)
{
	guard(spinlock)(&r->lock);
	return r->head - r->tail < RING;
}

static void note_self(struct ring *r)
{
	r->flags = current->flags;
	get_task_comm(r->comm, current);
	r->has_mm = current->mm != NULL;
	r->pid = task_pid_nr(current);
}

static int producer_fn(void *data)
{
	struct ring *r = data;

	note_self(r);
	for (int i = 1; i <= ITEMS; i++) {
		wait_event(r->wq, ring_has_room(r));
		scoped_guard(spinlock_irqsave, &r->lock)
			r->items[r->head++ % RING] = i;
		wake_up(&r->wq);
		if (i % 16 == 0)
			msleep(1);
	}
	return 1000 + ITEMS;
}

int kwork_producer(void)
{
	struct ring *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct task_struct *k;
	long sum = 0;
	int ret;

	CHECK(1, r);
	ring_init(r);
	k = kthread_run(producer_fn, r, "kwork-producer-%d", 7);
	CHECK(2, !IS_ERR(k));
	/* the name is truncated to TASK_COMM_LEN - 1 */
	CHECK(3, !strcmp(k->comm, "kwork-producer-"));
	CHECK(4, k->flags & PF_KTHREAD);
	for (int n = 0; n < ITEMS; n++) {
		int v;

		wait_event(r->wq, ring_has_items(r));
		spin_lock(&r->lock);
		v = r->items[r->tail++ % RING];
		spin_unlock(&r->lock);
		wake_up(&r->wq);
		CHECK(5, v == n + 1);
		sum += v;
	}
	ret = kthread_stop(k);
	CHECK(6, ret == 1000 + ITEMS);
	CHECK(7, sum == (long)ITEMS * (ITEMS + 1) / 2);
	CHECK(8, (r->flags & PF_KTHREAD) && !r->has_mm);
	CHECK(9, !strcmp(r->comm, "kwork-producer-"));
	CHECK(10, r->pid > 0);
	CHECK(11, !(current->flags & PF_KTHREAD));
	kfree(r);
	return 0;
}

static int consumer_fn(void *data)
{
	struct ring *r = data;

	note_self(r);
	while (!kthread_should_stop()) {
		wait_event_interruptible(r->wq, ring_has_items(r) ||
					 kthread_should_stop());
		spin_lock(&r->lock);
		while (r->tail != r->head) {
			r->sum += r->items[r->tail++ % RING];
			WRITE_ONCE(r->consumed, r->consumed + 1);
		}
		spin_unlock(&r->lock);
		wake_up_all(&r->done_wq);
	}
	return (int)r->sum;
}

int kwork_consumer(void)
{
	struct ring *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct task_struct *k;

	CHECK(1, r);
	ring_init(r);
	k = kthread_create(consumer_fn, r, "kwork-cons");
	CHECK(2, !IS_ERR(k));
	/* created asleep: nothing runs until woken */
	CHECK(3, r->pid == 0);
	wake_up_process(k);
	for (int i = 1; i <= 50; i++) {
		spin_lock(&r->lock);
		r->items[r->head++ % RING] = i;
		spin_unlock(&r->lock);
		wake_up_interruptible(&r->wq);
		wait_event(r->done_wq, READ_ONCE(r->consumed) == (unsigned int)i);
	}
	CHECK(4, kthread_stop(k) == 50 * 51 / 2);
	CHECK(5, !strcmp(r->comm, "kwork-cons") && !r->has_mm);
	kfree(r);
	/* stopped before it ever ran: -EINTR, and its function never runs */
	ring_init(r = kzalloc(sizeof(*r), GFP_KERNEL));
	k = kthread_create(consumer_fn, r, "kwork-never");
	CHECK(6, !IS_ERR(k));
	CHECK(7, kthread_stop(k) == -EINTR);
	CHECK(8, r->pid == 0);
	kfree(r);
	return 0;
}

/* ---- timed waits on the machine's clock --------------------------------- */

struct tick {
	struct timer_list timer;
	wait_queue_head_t wq;
	bool fired;
};

static void tick_fn(struct timer_list *t)
{
	struct tick *tk = from_timer(tk, t, timer);

	WRITE_ONCE(tk->fired, true);
	wake_up(&tk->wq);
}

int kwork_timeouts(void)
{
	DECLARE_WAIT_QUEUE_HEAD(never_wq);
	struct tick tk = { .fired = false };
	unsigned long start = jiffies;
	long left;

	/* nothing wakes it: 0 after exactly the timeout of machine time */
	left = wait_event_timeout(never_wq, false, 10);
	CHECK(1, left == 0);
	CHECK(2, jiffies == start + 10);
	/* true at once: the timeout itself (at least 1) */
	CHECK(3, wait_event_timeout(never_wq, true, 10) == 10);
	CHECK(4, wait_event_interruptible(never_wq, true) == 0);
	/* a timer 3 jiffies out wakes it: 7 jiffies left */
	init_waitqueue_head(&tk.wq);
	timer_setup(&tk.timer, tick_fn, 0);
	start = jiffies;
	CHECK(5, mod_timer(&tk.timer, start + 3) == 0);
	CHECK(6, timer_pending(&tk.timer));
	left = wait_event_interruptible_timeout(tk.wq, READ_ONCE(tk.fired), 10);
	CHECK(7, left == 7);
	CHECK(8, jiffies == start + 3);
	CHECK(9, !timer_pending(&tk.timer));
	/* a deleted timer does not fire */
	tk.fired = false;
	mod_timer(&tk.timer, jiffies + 2);
	CHECK(10, del_timer_sync(&tk.timer) == 1);
	msleep(5);
	CHECK(11, !tk.fired);
	/* sleeping: woken by nobody, the full timeout */
	start = jiffies;
	CHECK(12, schedule_timeout_uninterruptible(5) == 0);
	CHECK(13, jiffies == start + 5);
	set_current_state(TASK_INTERRUPTIBLE);
	wake_up_process(current);
	CHECK(14, task_is_running(current));
	schedule();		/* woken already: returns at once */
	CHECK(15, jiffies == start + 5);
	CHECK(16, !signal_pending(current));
	cond_resched();
	return 0;
}

/* ---- works --------------------------------------------------------------- */

struct kw {
	struct work_struct work;
	struct delayed_work dwork;
	struct completion started;
	atomic_t runs;
	unsigned long ran_at;
	bool was_current, in_kworker, finished;
	int sleep_ms;
};

static void kw_fn(struct work_struct *work)
{
	struct kw *k = container_of(work, struct kw, work);

	k->was_current = current_work() == work;
	k->in_kworker = (current->flags & (PF_KTHREAD | PF_WQ_WORKER)) ==
			(PF_KTHREAD | PF_WQ_WORKER) &&
			!strncmp(current->comm, "kworker/", 8);
	complete(&k->started);
	if (k->sleep_ms)
		msleep(k->sleep_ms);
	k->ran_at = jiffies;
	WRITE_ONCE(k->finished, true);
	atomic_inc(&k->runs);
}

static void kw_dfn(struct work_struct *work)
{
	struct kw *k = container_of(to_delayed_work(work), struct kw, dwork);

	k->was_current = current_work() == work;
	k->ran_at = jiffies;
	atomic_inc(&k->runs);
}

static void kw_init(struct kw *k)
{
	memset(k, 0, sizeof(*k));
	INIT_WORK(&k->work, kw_fn);
	INIT_DELAYED_WORK(&k->dwork, kw_dfn);
	init_completion(&k->started);
	atomic_set(&k->runs, 0);
}

int kwork_delayed(void)
{
	struct kw *k = kmalloc(sizeof(*k), GFP_KERNEL);
	unsigned long start;

	CHECK(1, k);
	kw_init(k);
	start = jiffies;
	CHECK(2, schedule_delayed_work(&k->dwork, msecs_to_jiffies(10)));
	CHECK(3, !schedule_delayed_work(&k->dwork, 1));	/* pending */
	CHECK(4, delayed_work_pending(&k->dwork));
	msleep(5);
	/* 5 ms of machine time: not yet */
	CHECK(5, atomic_read(&k->runs) == 0);
	msleep(6);
	flush_work(&k->dwork.work);
	CHECK(6, atomic_read(&k->runs) == 1);
	CHECK(7, time_after_eq(k->ran_at, start + 10) &&
		 time_before_eq(k->ran_at, start + 11));
	CHECK(8, k->was_current && !delayed_work_pending(&k->dwork));
	/* moved further, then cancelled: never runs */
	CHECK(9, schedule_delayed_work(&k->dwork, 20));
	CHECK(10, mod_delayed_work(system_wq, &k->dwork, 50));
	CHECK(11, cancel_delayed_work_sync(&k->dwork));
	CHECK(12, !cancel_delayed_work_sync(&k->dwork));
	msleep(60);
	CHECK(13, atomic_read(&k->runs) == 1);
	/* flushing a delayed work runs it now */
	start = jiffies;
	CHECK(14, queue_delayed_work(system_unbound_wq, &k->dwork, 1000));
	flush_delayed_work(&k->dwork);	/* false if it ran already */
	CHECK(16, atomic_read(&k->runs) == 2 && time_before(k->ran_at, start + 1000));
	/* a work: runs in a kworker */
	CHECK(17, schedule_work(&k->work));
	flush_work(&k->work);		/* false if it ran already */
	CHECK(19, atomic_read(&k->runs) == 3 && k->was_current && k->in_kworker);
	CHECK(20, !flush_work(&k->work));		/* idle */
	CHECK(21, current_work() == NULL);
	kfree(k);
	return 0;
}

/* A work that blocks its ordered workqueue until told to go. */
struct blocker {
	struct work_struct work;
	struct completion started, go;
};

static void blocker_fn(struct work_struct *work)
{
	struct blocker *b = container_of(work, struct blocker, work);

	complete(&b->started);
	wait_for_completion(&b->go);
}

int kwork_cancel(void)
{
	struct workqueue_struct *wq;
	struct blocker b;
	struct kw *k = kmalloc(sizeof(*k), GFP_KERNEL);

	CHECK(1, k);
	kw_init(k);
	wq = alloc_ordered_workqueue("kwork-cancel", WQ_MEM_RECLAIM);
	CHECK(2, wq);
	INIT_WORK(&b.work, blocker_fn);
	init_completion(&b.started);
	init_completion(&b.go);
	CHECK(3, queue_work(wq, &b.work));
	wait_for_completion(&b.started);
	/* pending behind the blocker: taken off, never runs */
	CHECK(4, queue_work(wq, &k->work));
	CHECK(5, !queue_work(wq, &k->work));
	CHECK(6, work_pending(&k->work));
	CHECK(7, cancel_work_sync(&k->work));
	CHECK(8, !work_pending(&k->work));
	CHECK(9, work_busy(&b.work) & WORK_BUSY_RUNNING);
	complete(&b.go);
	flush_workqueue(wq);
	CHECK(10, atomic_read(&k->runs) == 0);
	/* running: the cancel waits for the run to end */
	k->sleep_ms = 20;
	reinit_completion(&k->started);
	CHECK(11, queue_work(wq, &k->work));
	wait_for_completion(&k->started);
	CHECK(12, !cancel_work_sync(&k->work));
	CHECK(13, READ_ONCE(k->finished) && atomic_read(&k->runs) == 1);
	CHECK(14, !cancel_work_sync(&k->work));
	destroy_workqueue(wq);
	kfree(k);
	return 0;
}

#define ORDERED	8

struct ord;
struct ord_work {
	struct work_struct work;
	struct ord *o;
	int idx;
};

struct ord {
	struct ord_work works[ORDERED];
	struct mutex lock;
	int seen[3 * ORDERED];
	int n;
};

static void ord_fn(struct work_struct *work)
{
	struct ord_work *w = container_of(work, struct ord_work, work);
	struct ord *o = w->o;

	guard(mutex)(&o->lock);
	lockdep_assert_held(&o->lock);
	o->seen[o->n++] = w->idx;
}

int kwork_ordered(void)
{
	struct workqueue_struct *wq;
	struct ord *o = kzalloc(sizeof(*o), GFP_KERNEL);

	CHECK(1, o);
	mutex_init(&o->lock);
	wq = alloc_ordered_workqueue("kwork-ord%d", 0, 3);
	CHECK(2, wq);
	for (int i = 0; i < ORDERED; i++) {
		INIT_WORK(&o->works[i].work, ord_fn);
		o->works[i].o = o;
		o->works[i].idx = i;
	}
	for (int i = 0; i < ORDERED; i++)
		CHECK(3, queue_work(wq, &o->works[i].work));
	flush_workqueue(wq);
	CHECK(4, o->n == ORDERED);
	for (int i = 0; i < ORDERED; i++)
		CHECK(5, o->seen[i] == i);
	/* destroy drains what is queued */
	for (int i = 0; i < ORDERED; i++)
		queue_work(wq, &o->works[i].work);
	destroy_workqueue(wq);
	CHECK(6, o->n == 2 * ORDERED);
	/* unbound, highpri: accepted */
	wq = alloc_workqueue("kwork-ub", WQ_UNBOUND | WQ_HIGHPRI, 0);
	CHECK(7, wq);
	queue_work(wq, &o->works[0].work);
	drain_workqueue(wq);
	destroy_workqueue(wq);
	CHECK(8, o->n == 2 * ORDERED + 1);
	mutex_destroy(&o->lock);
	kfree(o);
	return 0;
}

/* ---- scope-based cleanup ------------------------------------------------- */

static DEFINE_MUTEX(kw_mutex);
static DEFINE_SPINLOCK(kw_spin);
static DECLARE_RWSEM(kw_rwsem);

static int guarded(int path)
{
	guard(mutex)(&kw_mutex);
	lockdep_assert_held(&kw_mutex);
	if (path == 0)
		return 10;
	scoped_guard(spinlock, &kw_spin) {
		lockdep_assert_held(&kw_spin);
		if (path == 1)
			return 11;
	}
	lockdep_assert_not_held(&kw_spin);
	{
		guard(rwsem_write)(&kw_rwsem);
		lockdep_assert_held_write(&kw_rwsem);
		if (path == 2)
			return 12;
	}
	scoped_guard(rwsem_read, &kw_rwsem) {
		lockdep_assert_held_read(&kw_rwsem);
		if (path == 3)
			return 13;
	}
	scoped_guard(spinlock_irqsave, &kw_spin)
		if (path == 4)
			return 14;
	return 15;
}

static void *made(bool keep)
{
	char *p __free(kfree) = kmalloc(32, GFP_KERNEL);

	if (!p)
		return NULL;
	strcpy(p, "kept");
	if (!keep)
		return NULL;	/* freed here */
	return_ptr(p);
}

int kwork_cleanup(void)
{
	for (int path = 0; path <= 5; path++) {
		CHECK(1, guarded(path) == 10 + path);
		CHECK(2, !mutex_is_locked(&kw_mutex));
		CHECK(3, !spin_is_locked(&kw_spin));
		CHECK(4, !rwsem_is_locked(&kw_rwsem));
	}
	lockdep_assert_not_held(&kw_mutex);
	CHECK(5, made(false) == NULL);
	{
		char *p = made(true);

		CHECK(6, p && !strcmp(p, "kept"));
		kfree(p);
	}
	{
		void *q __free(kfree) = kmalloc(8, GFP_KERNEL);
		void *r = no_free_ptr(q);

		CHECK(7, q == NULL);
		kfree(r);
	}
	/* the standard check values of CRC-32 and CRC-32/BZIP2 */
	CHECK(8, (crc32_le(~0U, "123456789", 9) ^ ~0U) == 0xcbf43926U);
	CHECK(9, (crc32_be(~0U, "123456789", 9) ^ ~0U) == 0xfc891918U);
	/* no debugfs: CONFIG_DEBUG_FS=n */
	CHECK(10, PTR_ERR(debugfs_create_dir("kwork", NULL)) == -ENODEV);
	debugfs_remove(debugfs_create_dir("kwork", NULL));
	return 0;
}

/* ---- misuse and lifetimes ------------------------------------------------ */

static void noop_fn(struct work_struct *work)
{
}

static struct work_struct kw_orphan;

/* Queue on a destroyed workqueue: a WARN, not queued. */
int kwork_queue_destroyed(void)
{
	struct workqueue_struct *wq = alloc_workqueue("kwork-gone", 0, 0);

	CHECK(1, wq);
	INIT_WORK(&kw_orphan, noop_fn);
	destroy_workqueue(wq);
	CHECK(2, !queue_work(wq, &kw_orphan));
	CHECK(3, !work_pending(&kw_orphan));
	return 0;
}

static int idler_fn(void *data)
{
	wait_queue_head_t *wq = data;

	while (!kthread_should_stop())
		wait_event_interruptible(*wq, kthread_should_stop());
	return 0;
}

static DECLARE_WAIT_QUEUE_HEAD(kw_idle_wq);

/* A kthread left running: its machine's shutdown reports and stops it. */
int kwork_leave_kthread(void)
{
	struct task_struct *k = kthread_run(idler_fn, &kw_idle_wq, "kwork-left");

	return IS_ERR(k) ? 1 : 0;
}

/*
 * A workqueue and a kthread made, used and freed; 0, or the step at which
 * an allocation failed (everything undone).
 */
static int counter_fn(void *data)
{
	atomic_t *n = data;

	atomic_inc(n);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return atomic_read(n);
}

int kwork_alloc_run(void)
{
	struct workqueue_struct *wq;
	struct task_struct *k;
	struct kw *w = kmalloc(sizeof(*w), GFP_KERNEL);
	atomic_t n;
	int ret;

	if (!w)
		return 1;
	kw_init(w);
	wq = alloc_workqueue("kwork-%s", WQ_UNBOUND, 0, "fail");
	if (!wq) {
		kfree(w);
		return 2;
	}
	atomic_set(&n, 0);
	k = kthread_run(counter_fn, &n, "kwork-fail");
	if (IS_ERR(k)) {
		destroy_workqueue(wq);
		kfree(w);
		return PTR_ERR(k) == -ENOMEM ? 3 : 30;
	}
	queue_work(wq, &w->work);
	flush_work(&w->work);
	/* stopped before its first run it returns -EINTR, as the kernel's */
	ret = kthread_stop(k);
	if ((ret != 1 && ret != -EINTR) || atomic_read(&w->runs) != 1)
		return 40;
	destroy_workqueue(wq);
	kfree(w);
	return 0;
}
