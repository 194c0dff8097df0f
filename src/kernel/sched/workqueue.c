// SPDX-License-Identifier: MIT
/*
 * Workqueues: one worker thread per workqueue, a kworker of the machine,
 * runs its works one at a time in queueing order.
 *
 * Which thread runs what:
 *  - queue_work() and the rest run on the caller's thread (any thread, a
 *    machine timer callback or an interrupt handler included) and never
 *    sleep: they put the work on its workqueue's list and signal the
 *    worker, under the machine's scheduler lock (sched->lock).
 *  - A delayed work's delay is its timer_list on the machine's clock; the
 *    timer's callback (delayed_work_timer_fn()) runs on the thread that
 *    moves the clock and queues the work.
 *  - The worker thread (worker_main()) takes the works off its list and
 *    runs each function with no lock held, in its kworker task: current
 *    is the kworker (PF_KTHREAD | PF_WQ_WORKER), current_work() the work.
 *  - flush_work(), cancel_*_sync(), flush/drain/destroy_workqueue() wait
 *    on the caller's thread with sim_wait_machine(): while a work or a
 *    kthread of the machine is busy the clock stays where it is, so a
 *    flush does not make a device's timer or a delayed work fire early.
 *
 * Every work's data holds the workqueue it was last queued on and
 * WORK_STRUCT_PENDING; both change only under sched->lock. The PENDING
 * bit is owned by whoever set it: the queue (the work is listed, or its
 * delayed work's timer is armed), or a canceller between taking the work
 * off and letting it go (queueing it fails meanwhile, as the kernel's).
 * The machine timer of a delayed work is never cancelled under the lock
 * (its callback takes it).
 *
 * Memory: alloc_workqueue() allocates from the machine's allocator
 * (fail-Nth reaches it); the system workqueues, made on first use, are
 * the machine's own (host memory, as its report log).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dmastack/linux/workqueue.h>
#include "kernel/sched/sched.h"

struct workqueue_struct {
	struct sim_machine *m;
	struct sim_sched *s;
	char name[WQ_NAME_LEN];
	unsigned int flags;
	bool system;			/* host memory, one of s->system[] */
	const void *creator;		/* where alloc_workqueue() was called */
	struct list_head node;		/* s->wqs */
	struct list_head works;		/* queued, in order */
	struct list_head delayed;	/* delayed works whose timer is armed */
	pthread_cond_t more;		/* works queued, or @exit */
	bool exit, draining;
	pthread_t thread;
	struct task_struct task;	/* the kworker */
	struct work_struct *cur_work;	/* running now, or NULL */
	unsigned long queued_seq, running_seq;
};

/* work_struct::data: on its workqueue's delayed list, its timer armed */
#define WORK_STRUCT_DELAYED	2UL

#define WORK_WQ(data)	((struct workqueue_struct *)((data) & ~WORK_STRUCT_FLAG_MASK))

static unsigned long work_data(struct work_struct *work)
{
	return __atomic_load_n(&work->data, __ATOMIC_ACQUIRE);
}

static void set_work_data(struct work_struct *work, struct workqueue_struct *wq,
			  unsigned long flags)
{
	__atomic_store_n(&work->data, (unsigned long)wq | flags,
			 __ATOMIC_RELEASE);
}

/* A function's name for a report (its address if it has none). */
static const char *fn_name(work_func_t fn, char *buf, size_t len)
{
	Dl_info info;

	if (dladdr(*(void **)&fn, &info) && info.dli_sname)
		snprintf(buf, len, "%s", info.dli_sname);
	else
		snprintf(buf, len, "%p", *(void **)&fn);
	return buf;
}

static void busy_add(struct workqueue_struct *wq, int n)
{
	__atomic_add_fetch(&wq->m->kernel->nr_busy, n, __ATOMIC_SEQ_CST);
}

/* ---- the worker ------------------------------------------------------------ */

static void *worker_main(void *arg)
{
	struct workqueue_struct *wq = arg;
	struct sim_sched *s = wq->s;

	sim_set_current_machine(wq->m);
	sim_task_enter(&wq->task);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct work_struct *work;
		work_func_t fn;

		while (list_empty(&wq->works) && !wq->exit)
			pthread_cond_wait(&wq->more, &s->lock);
		if (list_empty(&wq->works))
			break;
		work = list_first_entry(&wq->works, struct work_struct, entry);
		list_del_init(&work->entry);
		/* not pending once taken: it may queue itself again */
		set_work_data(work, wq, 0);
		wq->cur_work = work;
		wq->running_seq = work->__seq;
		fn = work->func;
		/* the queued work's busy count becomes the worker's */
		sim_task_set_busy(&wq->task, true);
		busy_add(wq, -1);
		pthread_mutex_unlock(&s->lock);

		fn(work);

		pthread_mutex_lock(&s->lock);
		wq->cur_work = NULL;
		sim_task_set_busy(&wq->task, false);
		pthread_cond_broadcast(&s->idle);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static bool current_is_worker_of(struct workqueue_struct *wq)
{
	return current == &wq->task;
}

/* ---- creation and destruction ------------------------------------------- */

static struct workqueue_struct *wq_create(struct sim_machine *m, bool system,
					  unsigned int flags, const char *name,
					  const void *creator)
{
	struct sim_sched *s = sim_sched_of(m);
	struct workqueue_struct *wq;
	char comm[TASK_COMM_LEN];
	unsigned int id;

	if (!s)
		return NULL;
	wq = system ? calloc(1, sizeof(*wq)) : sim_kzalloc(m, sizeof(*wq));
	if (!wq)
		return NULL;
	wq->m = m;
	wq->s = s;
	wq->system = system;
	wq->flags = flags;
	wq->creator = creator;
	snprintf(wq->name, sizeof(wq->name), "%s", name);
	INIT_LIST_HEAD(&wq->works);
	INIT_LIST_HEAD(&wq->delayed);
	pthread_cond_init(&wq->more, NULL);
	pthread_mutex_lock(&s->lock);
	id = s->nr_kworkers++;
	pthread_mutex_unlock(&s->lock);
	/* the kernel's spelling: kworker/CPU:ID, u for unbound, H for highpri */
	if (flags & (WQ_UNBOUND | __WQ_ORDERED))
		snprintf(comm, sizeof(comm), "kworker/u%u:%u", m->ncpus, id);
	else
		snprintf(comm, sizeof(comm), "kworker/0:%u%s", id,
			 flags & WQ_HIGHPRI ? "H" : "");
	sim_task_init_kernel(m, &wq->task, PF_WQ_WORKER, comm);
	wq->task.worker_private = wq;
	if (pthread_create(&wq->thread, NULL, worker_main, wq)) {
		sim_task_fini_kernel(&wq->task);
		pthread_cond_destroy(&wq->more);
		if (system)
			free(wq);
		else
			sim_kfree(m, wq);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	/* a new workqueue at a destroyed one's address is not destroyed */
	for (unsigned int i = 0; i < SIM_WQ_DESTROYED_MAX; i++)
		if (s->destroyed[i].addr == (uintptr_t)wq)
			s->destroyed[i].addr = 0;
	list_add_tail(&wq->node, &s->wqs);
	pthread_mutex_unlock(&s->lock);
	return wq;
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...)
{
	char name[WQ_NAME_LEN];
	va_list ap;

	(void)max_active;
	va_start(ap, max_active);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return wq_create(sim_current_machine(), false, flags, name,
			 __builtin_return_address(0));
}

static const struct {
	const char *name;
	unsigned int flags;
} system_wqs[NR_SYSTEM_WQS] = {
	[SYSTEM_WQ] = { "events", 0 },
	[SYSTEM_HIGHPRI_WQ] = { "events_highpri", WQ_HIGHPRI },
	[SYSTEM_LONG_WQ] = { "events_long", 0 },
	[SYSTEM_UNBOUND_WQ] = { "events_unbound", WQ_UNBOUND },
	[SYSTEM_FREEZABLE_WQ] = { "events_freezable", WQ_FREEZABLE },
	[SYSTEM_POWER_EFFICIENT_WQ] = { "events_power_efficient",
					WQ_POWER_EFFICIENT },
};

struct workqueue_struct *__system_workqueue(enum system_wq_id id)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_sched *s = sim_sched_of(m);
	struct workqueue_struct *wq;

	if (!s || (unsigned int)id >= NR_SYSTEM_WQS)
		return NULL;
	pthread_mutex_lock(&s->lock);
	wq = s->system[id];
	pthread_mutex_unlock(&s->lock);
	if (wq)
		return wq;
	wq = wq_create(m, true, system_wqs[id].flags, system_wqs[id].name,
		       NULL);
	if (!wq) {
		SIM_BUG(m, NULL, "workqueue: cannot create %s", system_wqs[id].name);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	if (!s->system[id]) {
		s->system[id] = wq;
		wq = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (wq) {
		/* another thread made it first */
		destroy_workqueue(wq);
	}
	pthread_mutex_lock(&s->lock);
	wq = s->system[id];
	pthread_mutex_unlock(&s->lock);
	return wq;
}

/* ---- waiting ------------------------------------------------------------- */

struct wq_wait {
	struct sim_sched *s;
	bool (*done)(struct wq_wait *w);	/* under s->lock */
	struct workqueue_struct *wq;
	struct work_struct *work;
	unsigned long seq;
};

static bool wq_wait_done(void *arg)
{
	struct wq_wait *w = arg;
	bool done;

	pthread_mutex_lock(&w->s->lock);
	done = w->done(w);
	pthread_mutex_unlock(&w->s->lock);
	return done;
}

static bool wq_wait_block(void *arg, unsigned int ms)
{
	struct wq_wait *w = arg;
	struct timespec ts;
	bool done;

	sim_realtime_deadline(&ts, ms);
	pthread_mutex_lock(&w->s->lock);
	while (!(done = w->done(w)) &&
	       pthread_cond_timedwait(&w->s->idle, &w->s->lock, &ts) == 0)
		;
	pthread_mutex_unlock(&w->s->lock);
	return done;
}

/* Sleep (running the machine as waiters do) until @w->done. */
static void wq_wait(struct wq_wait *w, const char *who)
{
	sim_wait_machine(wq_wait_done, wq_wait_block, w, ~0ULL, who);
}

/* The instance @w->seq of @w->work is neither queued nor running. */
static bool work_instance_done(struct wq_wait *w)
{
	struct workqueue_struct *wq = w->wq;

	if (!list_empty(&w->work->entry) && w->work->__seq == w->seq &&
	    WORK_WQ(work_data(w->work)) == wq)
		return false;
	return !(wq->cur_work == w->work && wq->running_seq == w->seq);
}

/* Nothing queued on @w->wq up to @w->seq is left. */
static bool wq_flushed(struct wq_wait *w)
{
	struct workqueue_struct *wq = w->wq;
	struct work_struct *first;

	first = list_first_entry_or_null(&wq->works, struct work_struct, entry);
	if (first && first->__seq <= w->seq)
		return false;
	return !(wq->cur_work && wq->running_seq <= w->seq);
}

static bool wq_drained(struct wq_wait *w)
{
	return list_empty(&w->wq->works) && !w->wq->cur_work;
}

/* The work's workqueue if it is one of @s's (NULL: idle, or not found). */
static struct workqueue_struct *work_wq_locked(struct sim_sched *s,
					       struct work_struct *work)
{
	struct workqueue_struct *wq = WORK_WQ(work_data(work)), *pos;

	if (!wq)
		return NULL;
	list_for_each_entry(pos, &s->wqs, node)
		if (pos == wq)
			return wq;
	return NULL;
}

static struct sim_sched *work_sched(struct work_struct *work)
{
	struct sim_sched *s = sim_sched_of(sim_current_machine());

	if (!s && WORK_WQ(work_data(work)))
		s = WORK_WQ(work_data(work))->s;
	return s;
}

/*
 * Wait for the instance of @work queued or running now. Return: true if
 * there was one. @who for reports.
 */
static bool flush_work_instance(struct work_struct *work, const char *who)
{
	char fnb[64];
	struct sim_sched *s = work_sched(work);
	struct wq_wait w = { .s = s, .done = work_instance_done, .work = work };
	struct workqueue_struct *wq;
	bool queued, running;

	if (!s)
		return false;
	pthread_mutex_lock(&s->lock);
	wq = work_wq_locked(s, work);
	queued = wq && !list_empty(&work->entry);
	running = wq && wq->cur_work == work;
	if (wq && (queued || running)) {
		w.wq = wq;
		w.seq = queued ? work->__seq : wq->running_seq;
	}
	pthread_mutex_unlock(&s->lock);
	if (!w.wq)
		return false;
	if (current_is_worker_of(wq)) {
		WARN(1, "workqueue: %s(%s) from a work of its own workqueue %s: possible recursive locking detected (would deadlock)",
		     who, fn_name(work->func, fnb, sizeof(fnb)), wq->name);
		return false;
	}
	wq_wait(&w, who);
	return true;
}

bool flush_work(struct work_struct *work)
{
	might_sleep();
	return flush_work_instance(work, "flush_work");
}

static void wq_flush(struct workqueue_struct *wq, const char *who)
{
	struct wq_wait w = { .s = wq->s, .done = wq_flushed, .wq = wq };

	if (current_is_worker_of(wq)) {
		WARN(1, "workqueue: %s(%s) from its own worker: possible recursive locking detected (would deadlock)",
		     who, wq->name);
		return;
	}
	pthread_mutex_lock(&wq->s->lock);
	w.seq = wq->queued_seq;
	pthread_mutex_unlock(&wq->s->lock);
	wq_wait(&w, who);
}

void flush_workqueue(struct workqueue_struct *wq)
{
	might_sleep();
	if (wq)
		wq_flush(wq, "flush_workqueue");
}

void drain_workqueue(struct workqueue_struct *wq)
{
	struct wq_wait w = { .done = wq_drained, .wq = wq };

	if (!wq)
		return;
	might_sleep();
	w.s = wq->s;
	if (current_is_worker_of(wq)) {
		WARN(1, "workqueue: drain_workqueue(%s) from its own worker: possible recursive locking detected (would deadlock)",
		     wq->name);
		return;
	}
	pthread_mutex_lock(&wq->s->lock);
	wq->draining = true;
	pthread_mutex_unlock(&wq->s->lock);
	wq_wait(&w, "drain_workqueue");
	pthread_mutex_lock(&wq->s->lock);
	wq->draining = false;
	pthread_mutex_unlock(&wq->s->lock);
}

/* ---- queueing ----------------------------------------------------------- */

/*
 * Was @wq destroyed (remembered by address, never dereferenced)? Caller
 * holds s->lock; the name it had, if so.
 */
static const char *wq_destroyed_locked(struct sim_sched *s,
				       struct workqueue_struct *wq)
{
	for (unsigned int i = 0; i < SIM_WQ_DESTROYED_MAX; i++)
		if (s->destroyed[i].addr == (uintptr_t)wq)
			return s->destroyed[i].name;
	return NULL;
}

/* Put @work (whose PENDING the caller owns) on @wq. Caller holds s->lock. */
static void insert_work_locked(struct workqueue_struct *wq,
			       struct work_struct *work)
{
	work->__seq = ++wq->queued_seq;
	list_add_tail(&work->entry, &wq->works);
	set_work_data(work, wq, WORK_STRUCT_PENDING);
	busy_add(wq, 1);
	pthread_cond_signal(&wq->more);
}

/*
 * May @work go on @wq? Not while it drains or is destroyed, unless its
 * own worker queues it (chained work). Caller holds s->lock. A WARN and
 * false if not.
 */
static bool wq_accepts_locked(struct workqueue_struct *wq,
			      struct work_struct *work)
{
	char fnb[64];
	if ((wq->draining || wq->exit) && !current_is_worker_of(wq)) {
		WARN(1, "workqueue: __queue_work(%s) on %s while it is %s",
		     fn_name(work->func, fnb, sizeof(fnb)), wq->name,
		     wq->exit ? "destroyed" : "drained");
		return false;
	}
	return true;
}

/* The sched of a queue call, NULL (and a WARN) if @wq is no workqueue. */
static struct sim_sched *queue_sched(struct workqueue_struct *wq,
				     struct work_struct *work)
{
	char fnb[64];
	struct sim_sched *s = sim_sched_of(sim_current_machine());
	const char *gone;

	if (!wq) {
		WARN(1, "workqueue: queueing %s on no workqueue",
		     fn_name(work->func, fnb, sizeof(fnb)));
		return NULL;
	}
	if (s) {
		pthread_mutex_lock(&s->lock);
		gone = wq_destroyed_locked(s, wq);
		if (gone) {
			char name[WQ_NAME_LEN];

			memcpy(name, gone, sizeof(name));
			pthread_mutex_unlock(&s->lock);
			WARN(1, "workqueue: __queue_work(%s) on destroyed workqueue %s: not queued",
			     fn_name(work->func, fnb, sizeof(fnb)), name);
			return NULL;
		}
		pthread_mutex_unlock(&s->lock);
	}
	return wq->s;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	struct sim_sched *s = queue_sched(wq, work);
	bool queued = false;

	if (!s)
		return false;
	pthread_mutex_lock(&s->lock);
	if (!(work_data(work) & WORK_STRUCT_PENDING) &&
	    wq_accepts_locked(wq, work)) {
		insert_work_locked(wq, work);
		queued = true;
	}
	pthread_mutex_unlock(&s->lock);
	return queued;
}

bool queue_work_on(int cpu, struct workqueue_struct *wq,
		   struct work_struct *work)
{
	(void)cpu;
	return queue_work(wq, work);
}

void delayed_work_timer_fn(struct timer_list *t)
{
	struct delayed_work *dwork = container_of(t, struct delayed_work, timer);
	struct workqueue_struct *wq = dwork->wq;
	struct sim_sched *s = wq->s;

	pthread_mutex_lock(&s->lock);
	list_del_init(&dwork->work.entry);
	if (wq_accepts_locked(wq, &dwork->work))
		insert_work_locked(wq, &dwork->work);
	else
		set_work_data(&dwork->work, wq, 0);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Queue @dwork (whose PENDING the caller owns, s->lock held) on @wq
 * after @delay jiffies: at once for 0, else on the delayed list with its
 * timer armed.
 */
static void queue_delayed_locked(struct workqueue_struct *wq,
				 struct delayed_work *dwork,
				 unsigned long delay)
{
	u64 ns = (u64)delay * NSEC_PER_JIFFY, now;

	dwork->wq = wq;
	if (!delay) {
		insert_work_locked(wq, &dwork->work);
		return;
	}
	if (ns / NSEC_PER_JIFFY != (u64)delay)
		ns = ~0ULL / 2;
	now = sim_clock_now(wq->m);
	dwork->timer.function = delayed_work_timer_fn;
	dwork->timer.expires = (unsigned long)((now + ns) / NSEC_PER_JIFFY);
	list_add_tail(&dwork->work.entry, &wq->delayed);
	set_work_data(&dwork->work, wq,
		      WORK_STRUCT_PENDING | WORK_STRUCT_DELAYED);
	sim_timer_list_arm(wq->m, &dwork->timer,
			   now + ns < now ? ~0ULL : now + ns);
}

bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
			unsigned long delay)
{
	struct sim_sched *s = queue_sched(wq, &dwork->work);
	bool queued = false;

	if (!s)
		return false;
	pthread_mutex_lock(&s->lock);
	if (!(work_data(&dwork->work) & WORK_STRUCT_PENDING) &&
	    wq_accepts_locked(wq, &dwork->work)) {
		queue_delayed_locked(wq, dwork, delay);
		queued = true;
	}
	pthread_mutex_unlock(&s->lock);
	return queued;
}

bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq,
			   struct delayed_work *dwork, unsigned long delay)
{
	(void)cpu;
	return queue_delayed_work(wq, dwork, delay);
}

/* ---- cancelling ---------------------------------------------------------- */

/*
 * Take @work's PENDING: off its queue, or its delayed work's timer off
 * the clock, or set on an idle work. The caller owns PENDING afterwards
 * (the work is on no list, no timer). Return: true if it was queued or
 * delayed. Sleeps only while another canceller owns it.
 */
static bool grab_pending(struct sim_sched *s, struct work_struct *work)
{
	for (;;) {
		struct workqueue_struct *wq;
		unsigned long data;

		pthread_mutex_lock(&s->lock);
		data = work_data(work);
		wq = work_wq_locked(s, work);
		if (!(data & WORK_STRUCT_PENDING)) {
			set_work_data(work, wq, WORK_STRUCT_PENDING);
			pthread_mutex_unlock(&s->lock);
			return false;
		}
		if (data & WORK_STRUCT_DELAYED) {
			struct delayed_work *dwork = to_delayed_work(work);

			pthread_mutex_unlock(&s->lock);
			if (sim_timer_list_cancel(&dwork->timer)) {
				/* the delay is off the clock: off the list */
				pthread_mutex_lock(&s->lock);
				list_del_init(&work->entry);
				set_work_data(work, wq, WORK_STRUCT_PENDING);
				pthread_mutex_unlock(&s->lock);
				return true;
			}
			/* its callback runs: it is queued in a moment */
			sched_yield();
			continue;
		}
		if (wq && !list_empty(&work->entry)) {
			list_del_init(&work->entry);
			busy_add(wq, -1);
			pthread_cond_broadcast(&s->idle);
			pthread_mutex_unlock(&s->lock);
			return true;
		}
		pthread_mutex_unlock(&s->lock);
		/* another canceller owns it */
		sched_yield();
	}
}

/* Let go of the PENDING grab_pending() took. */
static void release_pending(struct sim_sched *s, struct work_struct *work)
{
	pthread_mutex_lock(&s->lock);
	set_work_data(work, work_wq_locked(s, work), 0);
	pthread_mutex_unlock(&s->lock);
}

/* Wait for a run of @work in progress (PENDING held by the caller). */
static void wait_running(struct sim_sched *s, struct work_struct *work,
			 const char *who)
{
	char fnb[64];
	struct wq_wait w = { .s = s, .done = work_instance_done, .work = work };
	struct workqueue_struct *wq;

	pthread_mutex_lock(&s->lock);
	wq = work_wq_locked(s, work);
	if (wq && wq->cur_work == work) {
		w.wq = wq;
		w.seq = wq->running_seq;
	}
	pthread_mutex_unlock(&s->lock);
	if (!w.wq)
		return;
	if (current_is_worker_of(wq)) {
		WARN(1, "workqueue: %s(%s) from the work itself: would deadlock",
		     who, fn_name(work->func, fnb, sizeof(fnb)));
		return;
	}
	wq_wait(&w, who);
}

static bool cancel(struct work_struct *work, bool sync, const char *who)
{
	struct sim_sched *s = work_sched(work);
	bool was;

	if (!s)
		return false;
	if (sync)
		might_sleep();
	was = grab_pending(s, work);
	if (sync)
		wait_running(s, work, who);
	release_pending(s, work);
	return was;
}

bool cancel_work_sync(struct work_struct *work)
{
	return cancel(work, true, "cancel_work_sync");
}

bool cancel_work(struct work_struct *work)
{
	return cancel(work, false, "cancel_work");
}

bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	return cancel(&dwork->work, true, "cancel_delayed_work_sync");
}

bool cancel_delayed_work(struct delayed_work *dwork)
{
	return cancel(&dwork->work, false, "cancel_delayed_work");
}

bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
		      unsigned long delay)
{
	struct sim_sched *s = queue_sched(wq, &dwork->work);
	bool was;

	if (!s)
		return false;
	was = grab_pending(s, &dwork->work);
	pthread_mutex_lock(&s->lock);
	if (wq_accepts_locked(wq, &dwork->work))
		queue_delayed_locked(wq, dwork, delay);
	else
		set_work_data(&dwork->work, work_wq_locked(s, &dwork->work), 0);
	pthread_mutex_unlock(&s->lock);
	return was;
}

bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq,
			 struct delayed_work *dwork, unsigned long delay)
{
	(void)cpu;
	return mod_delayed_work(wq, dwork, delay);
}

bool flush_delayed_work(struct delayed_work *dwork)
{
	struct sim_sched *s = work_sched(&dwork->work);

	if (!s)
		return false;
	might_sleep();
	/* its delay still runs: queue it now */
	if (sim_timer_list_cancel(&dwork->timer)) {
		pthread_mutex_lock(&s->lock);
		list_del_init(&dwork->work.entry);
		insert_work_locked(dwork->wq, &dwork->work);
		pthread_mutex_unlock(&s->lock);
	}
	return flush_work_instance(&dwork->work, "flush_delayed_work");
}

struct work_struct *current_work(void)
{
	struct task_struct *p = current;
	struct workqueue_struct *wq;
	struct work_struct *work;

	if (!(p->flags & PF_WQ_WORKER))
		return NULL;
	wq = p->worker_private;
	pthread_mutex_lock(&wq->s->lock);
	work = wq->cur_work;
	pthread_mutex_unlock(&wq->s->lock);
	return work;
}

bool current_is_workqueue_rescuer(void)
{
	return false;
}

unsigned int work_busy(struct work_struct *work)
{
	struct sim_sched *s = work_sched(work);
	struct workqueue_struct *wq;
	unsigned int busy = 0;

	if (work_pending(work))
		busy |= WORK_BUSY_PENDING;
	if (!s)
		return busy;
	pthread_mutex_lock(&s->lock);
	wq = work_wq_locked(s, work);
	if (wq && wq->cur_work == work)
		busy |= WORK_BUSY_RUNNING;
	pthread_mutex_unlock(&s->lock);
	return busy;
}

/* ---- destruction --------------------------------------------------------- */

void destroy_workqueue(struct workqueue_struct *wq)
{
	char fnb[64];
	struct sim_sched *s;
	unsigned int slot;

	if (!wq)
		return;
	s = wq->s;
	if (current_is_worker_of(wq)) {
		WARN(1, "workqueue: destroy_workqueue(%s) from its own worker: would deadlock",
		     wq->name);
		return;
	}
	drain_workqueue(wq);
	/* delayed works whose timers would queue on it once it is freed */
	for (;;) {
		struct delayed_work *dwork = NULL;
		struct work_struct *work;

		pthread_mutex_lock(&s->lock);
		work = list_first_entry_or_null(&wq->delayed,
						struct work_struct, entry);
		if (work)
			dwork = to_delayed_work(work);
		pthread_mutex_unlock(&s->lock);
		if (!dwork)
			break;
		WARN(1, "workqueue: destroy_workqueue(%s): delayed work %s still pending: cancelled",
		     wq->name, fn_name(work->func, fnb, sizeof(fnb)));
		cancel(work, false, "destroy_workqueue");
	}
	drain_workqueue(wq);
	pthread_mutex_lock(&s->lock);
	wq->exit = true;
	pthread_cond_signal(&wq->more);
	pthread_mutex_unlock(&s->lock);
	pthread_join(wq->thread, NULL);
	pthread_mutex_lock(&s->lock);
	list_del(&wq->node);
	for (unsigned int i = 0; i < NR_SYSTEM_WQS; i++)
		if (s->system[i] == wq)
			s->system[i] = NULL;
	slot = s->next_destroyed++ % SIM_WQ_DESTROYED_MAX;
	s->destroyed[slot].addr = (uintptr_t)wq;
	memcpy(s->destroyed[slot].name, wq->name, WQ_NAME_LEN);
	pthread_mutex_unlock(&s->lock);
	sim_task_fini_kernel(&wq->task);
	pthread_cond_destroy(&wq->more);
	if (wq->system)
		free(wq);
	else
		sim_kfree(wq->m, wq);
}

/* ---- the machine --------------------------------------------------------- */

int sim_sched_init_machine(struct sim_machine *m)
{
	struct sim_sched *s = sim_kzalloc(m, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	INIT_LIST_HEAD(&s->kthreads);
	INIT_LIST_HEAD(&s->wqs);
	m->kernel->sched = s;
	return 0;
}

/* The first workqueue of @s that @pick takes, NULL if none. */
static struct workqueue_struct *
find_wq(struct sim_sched *s, bool (*pick)(struct workqueue_struct *wq,
					  void *arg), void *arg)
{
	struct workqueue_struct *wq, *found = NULL;

	pthread_mutex_lock(&s->lock);
	list_for_each_entry(wq, &s->wqs, node) {
		if (pick(wq, arg)) {
			found = wq;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

static bool pick_user(struct workqueue_struct *wq, void *arg)
{
	(void)arg;
	return !wq->system;
}

static bool pick_any(struct workqueue_struct *wq, void *arg)
{
	(void)wq;
	(void)arg;
	return true;
}

struct module_owner {
	bool (*owns)(void *mod, const void *addr);
	void *mod;
};

static bool pick_module(struct workqueue_struct *wq, void *arg)
{
	struct module_owner *o = arg;

	return !wq->system && wq->creator && o->owns(o->mod, wq->creator);
}

void sim_sched_exit_machine(struct sim_machine *m)
{
	struct sim_sched *s = sim_sched_of(m);
	struct sim_machine *prev;
	struct workqueue_struct *wq;

	if (!s)
		return;
	/* the waits below run on this machine */
	prev = sim_set_current_machine(m);
	sim_kthreads_stop_all(m, "at machine shutdown", NULL, NULL);
	while ((wq = find_wq(s, pick_user, NULL))) {
		SIM_WARN(m, NULL, "workqueue %s not destroyed at machine shutdown: destroyed",
			 wq->name);
		destroy_workqueue(wq);
	}
	while ((wq = find_wq(s, pick_any, NULL)))
		destroy_workqueue(wq);
	/* kthreads that works started */
	sim_kthreads_stop_all(m, "at machine shutdown", NULL, NULL);
	sim_set_current_machine(prev == m ? m : prev);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	m->kernel->sched = NULL;
	sim_kfree(m, s);
}

void sim_sched_module_unload(struct sim_machine *m, const char *name,
			     bool (*owns)(void *mod, const void *addr),
			     void *mod)
{
	char fnb[64];
	struct sim_sched *s = sim_sched_of(m);
	struct module_owner o = { owns, mod };
	struct workqueue_struct *wq;
	char why[96];

	if (!s)
		return;
	snprintf(why, sizeof(why), "at unload of %s", name);
	/* what the module queued on the system workqueues runs first */
	for (unsigned int i = 0; i < NR_SYSTEM_WQS; i++) {
		pthread_mutex_lock(&s->lock);
		wq = s->system[i];
		pthread_mutex_unlock(&s->lock);
		if (wq)
			flush_workqueue(wq);
	}
	/* delayed works of its functions on any workqueue */
	for (;;) {
		struct delayed_work *found = NULL;
		struct work_struct *work;

		pthread_mutex_lock(&s->lock);
		list_for_each_entry(wq, &s->wqs, node) {
			list_for_each_entry(work, &wq->delayed, entry) {
				if (owns(mod, (const void *)work->func)) {
					found = to_delayed_work(work);
					break;
				}
			}
			if (found)
				break;
		}
		pthread_mutex_unlock(&s->lock);
		if (!found)
			break;
		SIM_WARN(m, NULL, "delayed work %p still pending %s: cancelled",
			 fn_name(found->work.func, fnb, sizeof(fnb)), why);
		cancel(&found->work, true, "module unload");
	}
	while ((wq = find_wq(s, pick_module, &o))) {
		SIM_WARN(m, NULL, "workqueue %s not destroyed %s: destroyed",
			 wq->name, why);
		destroy_workqueue(wq);
	}
	sim_kthreads_stop_all(m, why, owns, mod);
}
