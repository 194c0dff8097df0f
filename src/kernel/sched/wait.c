// SPDX-License-Identifier: MIT
/*
 * Time as kernel code spends it: delays and jiffies on the current
 * machine's clock, and completions whose waiters run the machine's timers
 * (the device models finish their jobs and interrupt) until they are
 * completed or their deadline passes on that clock. Deterministic as long
 * as one thread drives the machine; another thread's complete() wakes a
 * waiter that has nothing left to run.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <dmastack/linux/ktime.h>
#include <dmastack/linux/sched.h>
#include <dmastack/linux/wait.h>
#include "internal.h"


/* Let @ns of machine time pass for the calling thread. */
static void delay_ns(u64 ns)
{
	struct sim_machine *m = sim_current_machine();

	/* inside a timer callback or the handler it raised: no time passes */
	if (!m || sim_clock_moving_here(m))
		return;
	sim_clock_advance(m, ns);
}

void ndelay(unsigned long nsecs)
{
	delay_ns(nsecs);
}

void udelay(unsigned long usecs)
{
	delay_ns((u64)usecs * 1000);
}

void mdelay(unsigned long msecs)
{
	delay_ns((u64)msecs * 1000000);
}

void msleep(unsigned int msecs)
{
	delay_ns((u64)msecs * 1000000);
}

/* The shortest sleep: the machine's clock is exact. */
void usleep_range(unsigned long min, unsigned long max)
{
	(void)max;
	delay_ns((u64)min * 1000);
}

ktime_t ktime_get(void)
{
	struct sim_machine *m = sim_current_machine();

	return m ? (ktime_t)sim_clock_now(m) : 0;
}

u64 get_jiffies_64(void)
{
	struct sim_machine *m = sim_current_machine();

	return m ? sim_clock_now(m) / NSEC_PER_JIFFY : 0;
}

/* ---- completions --------------------------------------------------------- */

void init_completion(struct completion *x)
{
	x->done = 0;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wait, NULL);
}

void reinit_completion(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	x->done = 0;
	pthread_mutex_unlock(&x->lock);
}

void complete(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	if (x->done != ~0U)
		x->done++;
	pthread_cond_signal(&x->wait);
	pthread_mutex_unlock(&x->lock);
}

void complete_all(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	x->done = ~0U;
	pthread_cond_broadcast(&x->wait);
	pthread_mutex_unlock(&x->lock);
}

/* Take one completion if there is one. */
static bool take(struct completion *x)
{
	bool got;

	pthread_mutex_lock(&x->lock);
	got = x->done != 0;
	if (got && x->done != ~0U)
		x->done--;
	pthread_mutex_unlock(&x->lock);
	return got;
}

bool try_wait_for_completion(struct completion *x)
{
	return take(x);
}

bool completion_done(struct completion *x)
{
	bool done;

	pthread_mutex_lock(&x->lock);
	done = x->done != 0;
	pthread_mutex_unlock(&x->lock);
	return done;
}

/*
 * The absolute CLOCK_REALTIME time @ms from now, for pthread_cond_timedwait():
 * how long a waiter blocks for another thread (never what the machine sees).
 */
void sim_realtime_deadline(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Block up to @ms of real time for another thread; true if completed. */
static bool wait_other_thread(struct completion *x, unsigned int ms)
{
	struct timespec ts;
	bool got;

	sim_realtime_deadline(&ts, ms);
	pthread_mutex_lock(&x->lock);
	while (!x->done &&
	       pthread_cond_timedwait(&x->wait, &x->lock, &ts) != ETIMEDOUT)
		;
	got = x->done != 0;
	if (got && x->done != ~0U)
		x->done--;
	pthread_mutex_unlock(&x->lock);
	return got;
}

/* Block for another thread in slices this long while others are busy. */
#define BUSY_SLICE_MS		2
/* ... for at most this long before moving the clock anyway. */
#define BUSY_PATIENCE_MS	5000

/**
 * sim_wait_machine - wait for @done, running the current machine
 * @done: true once the awaited thing happened (consumes it if it must)
 * @block: wait up to @ms of real time for another thread to make @done
 *	true; true if it did (and it was consumed)
 * @arg: for both
 * @deadline: the machine time to give up at (~0: none)
 * @who: the kernel call, for reports
 *
 * Timers already due run. A timer due later runs, moving the clock to it,
 * if it falls before the deadline and no kthread or work of the machine
 * is busy (running rather than waiting: it may still make @done true, or
 * arm an earlier timer; a few seconds of it busy and the wait moves on
 * anyway); a kthread's or kworker's own wait without a deadline never
 * moves the clock, it waits for whoever drives the machine. When no
 * timer is left, another thread may still make @done true; with a
 * deadline the clock then moves to it. Called from a timer callback or
 * the handler it raised, it is a BUG (sleeping in atomic context) and
 * returns false. Without a deadline and with nothing left to happen, a
 * user thread's wait reports a hung task after 5 s of real time. The
 * caller, if a kthread or kworker, is not busy while it waits.
 *
 * Return: true if @done, false on timeout.
 */
bool sim_wait_machine(bool (*done)(void *arg),
		      bool (*block)(void *arg, unsigned int ms), void *arg,
		      u64 deadline, const char *who)
{
	struct sim_machine *m = sim_current_machine();
	struct task_struct *p;
	unsigned int busy_ms = 0;
	bool kthread, ret;
	u64 next, now;

	/* might_sleep(): whether or not it would have to wait */
	if (m && sim_clock_moving_here(m)) {
		SIM_BUG(m, NULL, "%s: sleeping function called from invalid context (a timer callback or interrupt handler)",
			who);
		return false;
	}
	if (done(arg))
		return true;
	if (!m)
		return block(arg, 5000);
	p = get_current();
	kthread = p->flags & PF_KTHREAD;
	sim_task_set_busy(p, false);
	for (;;) {
		bool others, may_move;

		if (done(arg)) {
			ret = true;
			break;
		}
		now = sim_clock_now(m);
		if (now >= deadline) {
			ret = false;
			break;
		}
		others = m->kernel && __atomic_load_n(&m->kernel->nr_busy,
						      __ATOMIC_SEQ_CST) > 0;
		may_move = !(kthread && deadline == ~0ULL) &&
			   (!others || busy_ms >= BUSY_PATIENCE_MS);
		/* the next device event, if it comes before the deadline */
		if (sim_clock_next_expiry(m, &next) && next <= deadline &&
		    (next <= now || may_move)) {
			sim_clock_run_next(m);
			continue;
		}
		if (!may_move) {
			/* a busy thread of the machine, or a kthread's wait */
			if (block(arg, others ? BUSY_SLICE_MS : 1000)) {
				ret = true;
				break;
			}
			if (others)
				busy_ms += BUSY_SLICE_MS;
			continue;
		}
		/* nothing the machine will do: another thread, or the deadline */
		if (block(arg, deadline == ~0ULL ? 5000 : 100)) {
			ret = true;
			break;
		}
		if (deadline == ~0ULL) {
			SIM_BUG(m, NULL, "%s: task blocked with nothing left to complete it (hung task)",
				who);
			ret = false;
			break;
		}
		now = sim_clock_now(m);
		if (deadline > now)
			sim_clock_advance(m, deadline - now);
	}
	sim_task_set_busy(p, true);
	return ret;
}

static bool completion_take(void *arg)
{
	return take(arg);
}

static bool completion_block(void *arg, unsigned int ms)
{
	return wait_other_thread(arg, ms);
}

static bool wait_until(struct completion *x, u64 deadline, const char *who)
{
	return sim_wait_machine(completion_take, completion_block, x, deadline,
				who);
}

void wait_for_completion(struct completion *x)
{
	wait_until(x, ~0ULL, "wait_for_completion");
}

unsigned long wait_for_completion_timeout(struct completion *x,
					  unsigned long timeout)
{
	struct sim_machine *m = sim_current_machine();
	u64 now = m ? sim_clock_now(m) : 0;
	u64 deadline = now + (u64)timeout * NSEC_PER_JIFFY;
	u64 left;

	if (deadline < now)
		deadline = ~0ULL - 1;
	if (!wait_until(x, deadline, "wait_for_completion_timeout"))
		return 0;
	now = m ? sim_clock_now(m) : 0;
	left = deadline > now ? (deadline - now) / NSEC_PER_JIFFY : 0;
	return left ? (unsigned long)left : 1;
}

/* ---- wait queues --------------------------------------------------------- */

void add_wait_queue(struct wait_queue_head *wq_head,
		    struct wait_queue_entry *wq_entry)
{
	wq_entry->flags &= ~WQ_FLAG_EXCLUSIVE;
	spin_lock(&wq_head->lock);
	list_add(&wq_entry->entry, &wq_head->head);
	spin_unlock(&wq_head->lock);
}

void add_wait_queue_exclusive(struct wait_queue_head *wq_head,
			      struct wait_queue_entry *wq_entry)
{
	wq_entry->flags |= WQ_FLAG_EXCLUSIVE;
	spin_lock(&wq_head->lock);
	list_add_tail(&wq_entry->entry, &wq_head->head);
	spin_unlock(&wq_head->lock);
}

void remove_wait_queue(struct wait_queue_head *wq_head,
		       struct wait_queue_entry *wq_entry)
{
	spin_lock(&wq_head->lock);
	list_del(&wq_entry->entry);
	spin_unlock(&wq_head->lock);
}

int default_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode,
			  int flags, void *key)
{
	(void)flags;
	(void)key;
	return wake_up_state(wq_entry->private, mode);
}

int autoremove_wake_function(struct wait_queue_entry *wq_entry,
			     unsigned int mode, int flags, void *key)
{
	int ret = default_wake_function(wq_entry, mode, flags, key);

	if (ret)
		list_del_init(&wq_entry->entry);
	return ret;
}

void init_wait_entry(struct wait_queue_entry *wq_entry, int flags)
{
	wq_entry->flags = (unsigned int)flags;
	wq_entry->private = current;
	wq_entry->func = autoremove_wake_function;
	INIT_LIST_HEAD(&wq_entry->entry);
}

void prepare_to_wait(struct wait_queue_head *wq_head,
		     struct wait_queue_entry *wq_entry, int state)
{
	wq_entry->flags &= ~WQ_FLAG_EXCLUSIVE;
	spin_lock(&wq_head->lock);
	if (list_empty(&wq_entry->entry))
		list_add(&wq_entry->entry, &wq_head->head);
	set_current_state((unsigned int)state);
	spin_unlock(&wq_head->lock);
}

bool prepare_to_wait_exclusive(struct wait_queue_head *wq_head,
			       struct wait_queue_entry *wq_entry, int state)
{
	bool was_empty = false;

	wq_entry->flags |= WQ_FLAG_EXCLUSIVE;
	spin_lock(&wq_head->lock);
	if (list_empty(&wq_entry->entry)) {
		was_empty = list_empty(&wq_head->head);
		list_add_tail(&wq_entry->entry, &wq_head->head);
	}
	set_current_state((unsigned int)state);
	spin_unlock(&wq_head->lock);
	return was_empty;
}

/* No signal is ever pending: always 0. */
long prepare_to_wait_event(struct wait_queue_head *wq_head,
			   struct wait_queue_entry *wq_entry, int state)
{
	spin_lock(&wq_head->lock);
	if (list_empty(&wq_entry->entry)) {
		if (wq_entry->flags & WQ_FLAG_EXCLUSIVE)
			list_add_tail(&wq_entry->entry, &wq_head->head);
		else
			list_add(&wq_entry->entry, &wq_head->head);
	}
	set_current_state((unsigned int)state);
	spin_unlock(&wq_head->lock);
	return 0;
}

void finish_wait(struct wait_queue_head *wq_head,
		 struct wait_queue_entry *wq_entry)
{
	__set_current_state(TASK_RUNNING);
	spin_lock(&wq_head->lock);
	if (!list_empty(&wq_entry->entry))
		list_del_init(&wq_entry->entry);
	spin_unlock(&wq_head->lock);
}

/* Caller holds the lock. */
static int wake_locked(struct wait_queue_head *wq_head, unsigned int mode,
		       int nr_exclusive, void *key)
{
	struct wait_queue_entry *curr, *next;
	int woken = 0;

	list_for_each_entry_safe(curr, next, &wq_head->head, entry) {
		unsigned int flags = curr->flags;
		int ret = curr->func(curr, mode, 0, key);

		if (ret < 0)
			break;
		if (ret)
			woken++;
		if (ret && (flags & WQ_FLAG_EXCLUSIVE) && !--nr_exclusive)
			break;
	}
	return woken;
}

int __wake_up(struct wait_queue_head *wq_head, unsigned int mode,
	      int nr_exclusive, void *key)
{
	int woken;

	spin_lock(&wq_head->lock);
	woken = wake_locked(wq_head, mode, nr_exclusive, key);
	spin_unlock(&wq_head->lock);
	return woken;
}

void __wake_up_locked(struct wait_queue_head *wq_head, unsigned int mode,
		      int nr)
{
	wake_locked(wq_head, mode, nr, NULL);
}
