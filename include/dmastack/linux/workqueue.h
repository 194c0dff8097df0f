/* SPDX-License-Identifier: MIT */
/*
 * Workqueues (include/linux/workqueue.h).
 *
 * Which thread runs what: every workqueue has one worker thread, a
 * kthread of the machine named "kworker/..." (PF_KTHREAD | PF_WQ_WORKER),
 * that runs the workqueue's works one at a time in the order they were
 * queued (so every workqueue is ordered here; alloc_ordered_workqueue()
 * promises it). queue_work() and the rest may be called from any thread,
 * an interrupt handler or a machine timer callback included; they never
 * sleep. A delayed work's delay is a timer on the machine's clock (jiffies
 * of machine time): its callback, on the thread that moves the clock,
 * queues the work, and the worker runs it after that. flush_work(),
 * cancel_work_sync() and destroy_workqueue() sleep until the work is done;
 * their caller does not move the machine's clock while a work or kthread
 * of the machine is busy, so a flush does not make unrelated device
 * timers or delayed works fire early (see <linux/sched.h> on time).
 *
 * The system workqueues are the current machine's (system_wq is a call
 * that finds them), made when first used, flushed when a module unloads
 * and drained when the machine is destroyed. A workqueue that a module
 * left undestroyed, a delayed work still pending on a workqueue being
 * destroyed and a work queued on a destroyed workqueue are WARNs, as the
 * kernel's (the work is then not queued, and queue_work() returns false).
 */
#ifndef _DMASTACK_LINUX_WORKQUEUE_H
#define _DMASTACK_LINUX_WORKQUEUE_H

#include "types.h"
#include "compiler.h"
#include "list.h"
#include "timer.h"
#include "container_of.h"

#ifdef __cplusplus
extern "C" {
#endif

struct work_struct;
struct workqueue_struct;
typedef void (*work_func_t)(struct work_struct *work);

/* work_struct::data bits; the rest is the workqueue it was last queued on */
#define WORK_STRUCT_PENDING_BIT		0
#define WORK_STRUCT_PENDING		(1UL << WORK_STRUCT_PENDING_BIT)
#define WORK_STRUCT_FLAG_MASK		7UL

/*
 * struct work_struct - a work item
 * @data: WORK_STRUCT_PENDING and where it was queued (private)
 * @entry: on its workqueue's list while queued (private)
 * @func: what the worker runs
 */
struct work_struct {
	unsigned long data;
	struct list_head entry;
	work_func_t func;
	unsigned long __seq;		/* private: its place in the queue */
};

/*
 * struct delayed_work - a work queued after a delay
 * @work: the work
 * @timer: the delay, on the machine's clock
 * @wq: the workqueue it goes to
 * @cpu: accepted, not used
 */
struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	struct workqueue_struct *wq;
	int cpu;
};

/* A work that runs at once on every CPU: here, a plain work. */
struct rcu_work {
	struct work_struct work;
	struct workqueue_struct *wq;
};

#define WORK_DATA_INIT()	0UL
#define __WORK_INITIALIZER(n, f) {					\
	.data = WORK_DATA_INIT(),					\
	.entry = { &(n).entry, &(n).entry },				\
	.func = (f) }
#define __DELAYED_WORK_INITIALIZER(n, f, tflags) {			\
	.work = __WORK_INITIALIZER((n).work, (f)),			\
	.timer = { .flags = (tflags) } }

#define DECLARE_WORK(n, f)						\
	struct work_struct n = __WORK_INITIALIZER(n, f)
#define DECLARE_DELAYED_WORK(n, f)					\
	struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, 0)
#define DECLARE_DEFERRABLE_WORK(n, f)	DECLARE_DELAYED_WORK(n, f)

static inline void __init_work_fn(struct work_struct *work, work_func_t func)
{
	work->data = WORK_DATA_INIT();
	INIT_LIST_HEAD(&work->entry);
	work->func = func;
	work->__seq = 0;
}

#define INIT_WORK(_work, _func)		__init_work_fn((_work), (_func))
#define INIT_WORK_ONSTACK(_work, _func)	INIT_WORK(_work, _func)
static inline void destroy_work_on_stack(struct work_struct *work)
{
	(void)work;
}

/* The delayed work's timer callback (its timer's function). */
void delayed_work_timer_fn(struct timer_list *t);

#define INIT_DELAYED_WORK(_work, _func)					\
	do {								\
		INIT_WORK(&(_work)->work, (_func));			\
		timer_setup(&(_work)->timer, delayed_work_timer_fn, 0);	\
		(_work)->wq = NULL;					\
		(_work)->cpu = 0;					\
	} while (0)
#define INIT_DELAYED_WORK_ONSTACK(_work, _func)	INIT_DELAYED_WORK(_work, _func)
#define INIT_DEFERRABLE_WORK(_work, _func)	INIT_DELAYED_WORK(_work, _func)
static inline void destroy_delayed_work_on_stack(struct delayed_work *work)
{
	(void)work;
}
#define INIT_RCU_WORK(_work, _func)	INIT_WORK(&(_work)->work, (_func))

static inline struct delayed_work *to_delayed_work(struct work_struct *work)
{
	return container_of(work, struct delayed_work, work);
}

static inline struct rcu_work *to_rcu_work(struct work_struct *work)
{
	return container_of(work, struct rcu_work, work);
}

/* Queued, or its delay running (and not yet taken by the worker)? */
#define work_pending(work)						\
	((__atomic_load_n(&(work)->data, __ATOMIC_ACQUIRE) &		\
	  WORK_STRUCT_PENDING) != 0)
#define delayed_work_pending(w)		work_pending(&(w)->work)

/* alloc_workqueue() flags (the kernel's values; all accepted) */
enum wq_flags {
	WQ_BH			= 1 << 0,
	WQ_UNBOUND		= 1 << 1,
	WQ_FREEZABLE		= 1 << 2,
	WQ_MEM_RECLAIM		= 1 << 3,
	WQ_HIGHPRI		= 1 << 4,
	WQ_CPU_INTENSIVE	= 1 << 5,
	WQ_SYSFS		= 1 << 6,
	WQ_POWER_EFFICIENT	= 1 << 7,
	WQ_PERCPU		= 1 << 8,
	__WQ_DESTROYING		= 1 << 15,
	__WQ_DRAINING		= 1 << 16,
	__WQ_ORDERED		= 1 << 17,
	__WQ_LEGACY		= 1 << 18,
};

enum wq_consts {
	WQ_MAX_ACTIVE		= 512,
	WQ_UNBOUND_MAX_ACTIVE	= WQ_MAX_ACTIVE,
	WQ_DFL_ACTIVE		= WQ_MAX_ACTIVE / 2,
	WQ_NAME_LEN		= 32,
};

/*
 * A workqueue of the current machine, named from @fmt (truncated to
 * WQ_NAME_LEN - 1), with its worker thread. NULL if out of memory or
 * without a current machine.
 */
__printf(1, 4) struct workqueue_struct *
alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...);
#define alloc_ordered_workqueue(fmt, flags, args...)			\
	alloc_workqueue(fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1, ##args)
#define create_workqueue(name)						\
	alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, 1, (name))
#define create_freezable_workqueue(name)				\
	alloc_workqueue("%s", __WQ_LEGACY | WQ_FREEZABLE | WQ_UNBOUND |	\
			WQ_MEM_RECLAIM, 1, (name))
#define create_singlethread_workqueue(name)				\
	alloc_ordered_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, name)

/* Runs what is queued (and what that queues on it), then frees it. */
void destroy_workqueue(struct workqueue_struct *wq);
/* Waits for every work queued before the call. */
void flush_workqueue(struct workqueue_struct *wq);
/* Waits until nothing is queued, works queued by its works included. */
void drain_workqueue(struct workqueue_struct *wq);
static inline void workqueue_set_max_active(struct workqueue_struct *wq,
					    int max_active)
{
	(void)wq;
	(void)max_active;
}

/* The system workqueues of the current machine (NULL without one). */
enum system_wq_id {
	SYSTEM_WQ, SYSTEM_HIGHPRI_WQ, SYSTEM_LONG_WQ, SYSTEM_UNBOUND_WQ,
	SYSTEM_FREEZABLE_WQ, SYSTEM_POWER_EFFICIENT_WQ, NR_SYSTEM_WQS,
};
struct workqueue_struct *__system_workqueue(enum system_wq_id id);
#define system_wq			__system_workqueue(SYSTEM_WQ)
#define system_percpu_wq		__system_workqueue(SYSTEM_WQ)
#define system_highpri_wq		__system_workqueue(SYSTEM_HIGHPRI_WQ)
#define system_long_wq			__system_workqueue(SYSTEM_LONG_WQ)
#define system_unbound_wq		__system_workqueue(SYSTEM_UNBOUND_WQ)
#define system_dfl_wq			__system_workqueue(SYSTEM_UNBOUND_WQ)
#define system_freezable_wq		__system_workqueue(SYSTEM_FREEZABLE_WQ)
#define system_power_efficient_wq					\
	__system_workqueue(SYSTEM_POWER_EFFICIENT_WQ)
#define system_freezable_power_efficient_wq				\
	__system_workqueue(SYSTEM_POWER_EFFICIENT_WQ)

/* false if @work was pending already (it stays where it is). */
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool queue_work_on(int cpu, struct workqueue_struct *wq,
		   struct work_struct *work);
#define queue_work_node(node, wq, work)	queue_work((wq), (work))
/* Queue @dwork @delay jiffies of machine time from now (0: at once). */
bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
			unsigned long delay);
bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq,
			   struct delayed_work *dwork, unsigned long delay);
/* Queue it with this delay, pending or not; true if it was pending. */
bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
		      unsigned long delay);
bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq,
			 struct delayed_work *dwork, unsigned long delay);
static inline bool queue_rcu_work(struct workqueue_struct *wq,
				  struct rcu_work *rwork)
{
	rwork->wq = wq;
	return queue_work(wq, &rwork->work);
}

static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

static inline bool schedule_work_on(int cpu, struct work_struct *work)
{
	return queue_work_on(cpu, system_wq, work);
}

static inline bool schedule_delayed_work(struct delayed_work *dwork,
					 unsigned long delay)
{
	return queue_delayed_work(system_wq, dwork, delay);
}

static inline bool schedule_delayed_work_on(int cpu, struct delayed_work *dwork,
					    unsigned long delay)
{
	return queue_delayed_work_on(cpu, system_wq, dwork, delay);
}

/*
 * Wait until the instance of @work queued or running at the call has run;
 * false if it was idle. (A delayed work's delay is not waited for: see
 * flush_delayed_work().)
 */
bool flush_work(struct work_struct *work);
/* Queue it now if its delay runs, then flush_work(). */
bool flush_delayed_work(struct delayed_work *dwork);
static inline bool flush_rcu_work(struct rcu_work *rwork)
{
	return flush_work(&rwork->work);
}
/*
 * Take @work off its queue (or @dwork's delay off the clock), then wait
 * for a run in progress; it is idle on return (true if it was pending).
 * Queueing it meanwhile fails.
 */
bool cancel_work_sync(struct work_struct *work);
bool cancel_delayed_work_sync(struct delayed_work *dwork);
/* As the _sync forms without waiting for a run in progress. */
bool cancel_work(struct work_struct *work);
bool cancel_delayed_work(struct delayed_work *dwork);
#define disable_work_sync(work)		cancel_work_sync(work)
#define disable_delayed_work_sync(dw)	cancel_delayed_work_sync(dw)

/* The work the calling kworker runs, NULL outside one. */
struct work_struct *current_work(void);
/* Is the calling thread a kworker running @wq's work? */
bool current_is_workqueue_rescuer(void);
/* Is @work queued or running? */
unsigned int work_busy(struct work_struct *work);
#define WORK_BUSY_PENDING	(1U << 0)
#define WORK_BUSY_RUNNING	(1U << 1)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_WORKQUEUE_H */
