/* SPDX-License-Identifier: MIT */
/*
 * Kernel threads (include/linux/kthread.h). A kthread is a thread of the
 * machine that created it (the creator's current machine) with a task of
 * its own: PF_KTHREAD, comm its name (truncated to TASK_COMM_LEN - 1), no
 * mm, the machine's next pid. kthread_create() returns it asleep;
 * wake_up_process() (kthread_run() does) starts @threadfn(@data).
 * kthread_stop() makes kthread_should_stop() true, wakes it, waits for
 * @threadfn to return and returns what it returned (-EINTR if it never
 * ran); the task is freed then. A kthread still running when the module
 * whose function it runs unloads, or when its machine is destroyed, is
 * reported (a WARN) and stopped.
 *
 * Time: a kthread's delays and timed sleeps move the machine's clock; its
 * sleeps without timeout wait for the thread that drives the machine
 * (<linux/sched.h>).
 */
#ifndef _DMASTACK_LINUX_KTHREAD_H
#define _DMASTACK_LINUX_KTHREAD_H

#include "types.h"
#include "compiler.h"
#include "err.h"
#include "sched.h"
#include "sched/task.h"
#include "cpumask.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The new kthread, asleep, or ERR_PTR(-ENOMEM) (-EINVAL without a machine). */
__printf(4, 5) struct task_struct *
kthread_create_on_node(int (*threadfn)(void *data), void *data, int node,
		       const char namefmt[], ...);
#define kthread_create(threadfn, data, namefmt, arg...)			\
	kthread_create_on_node(threadfn, data, NUMA_NO_NODE, namefmt, ##arg)

/* kthread_create() and wake_up_process(). */
#define kthread_run(threadfn, data, namefmt, ...)			\
({									\
	struct task_struct *__k						\
		= kthread_create(threadfn, data, namefmt, ## __VA_ARGS__); \
	if (!IS_ERR(__k))						\
		wake_up_process(__k);					\
	__k;								\
})

static inline void kthread_bind(struct task_struct *k, unsigned int cpu)
{
	(void)k;
	(void)cpu;
}

/* Stop @k and wait for it; what its function returned. */
int kthread_stop(struct task_struct *k);
/* kthread_stop(), then put_task_struct() of the reference the caller took. */
int kthread_stop_put(struct task_struct *k);
/* In a kthread: has kthread_stop() been called on it? */
bool kthread_should_stop(void);
/* In a kthread: has kthread_park() been called on it? */
bool kthread_should_park(void);
/* In a kthread: sleep TASK_PARKED until kthread_unpark(). */
void kthread_parkme(void);
/* Ask @k to park and wait until it does (0), or -ENOSYS if it exited. */
int kthread_park(struct task_struct *k);
void kthread_unpark(struct task_struct *k);
/* The data @k was created with. */
void *kthread_data(struct task_struct *k);

/* Affinity: accepted, changes nothing (threads are not bound to CPUs). */
static inline void kthread_bind_mask(struct task_struct *k,
				     const struct cpumask *mask)
{
	(void)k;
	(void)mask;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_KTHREAD_H */
