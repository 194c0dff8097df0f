/* SPDX-License-Identifier: MIT */
/*
 * The task: `current` is the calling thread's task (include/linux/sched.h).
 *
 * Every thread that runs kernel code has one, made the first time it asks:
 * a user thread's task has the machine's next pid and the thread's name as
 * its comm (pthread_setname_np(), prctl(PR_SET_NAME): the program's name
 * unless it set another);
 * a kthread's (<linux/kthread.h>) has PF_KTHREAD and its own name. @mm is
 * the address space user-memory calls act on: NULL for a kthread, and for
 * a thread that has none (the loader gives a module's init and exit one,
 * as insmod's task has).
 *
 * Sleeping is the kernel's: set_current_state() then schedule(), and
 * wake_up_process() (or a wait queue's wake_up(), <linux/wait.h>) makes
 * the task TASK_RUNNING again; a wakeup between the two is not lost.
 * Time on the machine's clock passes for a sleeper as for a completion's
 * waiter (<linux/completion.h>): a sleep with a timeout runs the machine's
 * timers up to its deadline and then moves the clock there; a user
 * thread's sleep without one runs the timers (the device models' jobs and
 * interrupts) while no kthread or work is busy, and reports a hung task
 * when nothing is left to wake it; a kthread's or kworker's sleep without
 * a timeout does not move the clock (it waits for the thread that drives
 * the machine). No signal is ever pending: an interruptible sleep ends
 * only when woken or timed out.
 */
#ifndef _DMASTACK_LINUX_SCHED_H
#define _DMASTACK_LINUX_SCHED_H

#include <pthread.h>
#include <limits.h>
#include "types.h"
#include "refcount_types.h"
/*
 * The kernel's atomics come with the scheduler's header, except into a
 * file that already uses C11's <stdatomic.h>, whose generic macros take
 * the same names (atomic_fetch_add(), ...).
 */
#if !defined(_STDATOMIC_H) && !defined(__CLANG_STDATOMIC_H)
#include "atomic.h"
#endif
#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TASK_COMM_LEN	16

/* task_struct::flags (the kernel's values) */
#define PF_EXITING	0x00000004
#define PF_WQ_WORKER	0x00000020
#define PF_KTHREAD	0x00200000

/* task_struct::__state (the kernel's values) */
#define TASK_RUNNING		0x00000000
#define TASK_INTERRUPTIBLE	0x00000001
#define TASK_UNINTERRUPTIBLE	0x00000002
#define TASK_PARKED		0x00000040
#define TASK_DEAD		0x00000080
#define TASK_WAKEKILL		0x00000100
#define TASK_NOLOAD		0x00000400
#define TASK_KILLABLE		(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_IDLE		(TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
#define TASK_NORMAL		(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)

#define MAX_SCHEDULE_TIMEOUT	((long)(~0UL >> 1))

struct mm_struct;

/*
 * struct task_struct - what kernel code reads of a task
 * @pid: the task's id (per machine, from 1, in creation order)
 * @tgid: the thread group's (the same as @pid here)
 * @flags: PF_*
 * @comm: its name
 * @mm: its user address space, or NULL
 * @active_mm: @mm, or the address space a kthread borrows (none here)
 * @__state: TASK_RUNNING, or the state it sleeps (or is about to) in
 * @worker_private: a kthread's <linux/kthread.h> state, a kworker's
 *	workqueue
 *
 * The rest is private: how the task sleeps and is woken.
 */
struct task_struct {
	pid_t pid;
	pid_t tgid;
	unsigned int flags;
	char comm[TASK_COMM_LEN];
	struct mm_struct *mm;
	struct mm_struct *active_mm;
	unsigned int __state;
	void *worker_private;
	pthread_mutex_t __sleep_lock;
	pthread_cond_t __sleep_wake;
	bool __busy;		/* counted as busy by its machine */
	int *__nr_busy;		/* the machine's count (NULL: not counted) */
	/* get_task_struct()/put_task_struct() (<linux/sched/task.h>) */
	refcount_t usage;
};

/* The calling thread's task (never NULL). */
struct task_struct *get_current(void);
#define current get_current()

static inline pid_t task_pid_nr(const struct task_struct *tsk)
{
	return tsk->pid;
}

static inline pid_t task_tgid_nr(const struct task_struct *tsk)
{
	return tsk->tgid;
}

/* Is @tsk TASK_RUNNING (not asleep, nor about to sleep)? */
#define task_is_running(tsk)						\
	(__atomic_load_n(&(tsk)->__state, __ATOMIC_ACQUIRE) == TASK_RUNNING)

/* The state for the next schedule(); a full barrier as the kernel's. */
#define __set_current_state(state_value)				\
	__atomic_store_n(&current->__state, (state_value), __ATOMIC_RELEASE)
#define set_current_state(state_value)					\
	__atomic_store_n(&current->__state, (state_value), __ATOMIC_SEQ_CST)

/*
 * Sleep in the state set_current_state() set until woken (return at once
 * if TASK_RUNNING). schedule_timeout(): until woken or @timeout jiffies of
 * machine time passed; the jiffies left (0 if it timed out). The task is
 * TASK_RUNNING on return.
 */
void schedule(void);
long schedule_timeout(long timeout);
long schedule_timeout_interruptible(long timeout);
long schedule_timeout_uninterruptible(long timeout);
long schedule_timeout_killable(long timeout);
long schedule_timeout_idle(long timeout);
void io_schedule(void);
long io_schedule_timeout(long timeout);

/* Make @p TASK_RUNNING if it sleeps in a state of @state; 1 if it did. */
int wake_up_state(struct task_struct *p, unsigned int state);
/* wake_up_state(@p, TASK_NORMAL). */
int wake_up_process(struct task_struct *p);

/* Nothing to yield to: the thread runs as long as it likes. */
static inline int _cond_resched(void)
{
	return 0;
}
#define cond_resched()		_cond_resched()
static inline void yield(void)
{
}

/* No signals here. */
static inline int signal_pending(struct task_struct *p)
{
	(void)p;
	return 0;
}

static inline int fatal_signal_pending(struct task_struct *p)
{
	(void)p;
	return 0;
}

static inline int signal_pending_state(unsigned int state,
				       struct task_struct *p)
{
	(void)state;
	(void)p;
	return 0;
}

/* Copies @tsk's comm into @buf (at least TASK_COMM_LEN bytes). */
char *__get_task_comm(char *buf, size_t buf_size, struct task_struct *tsk);
#define get_task_comm(buf, tsk)	__get_task_comm((buf), sizeof(buf), (tsk))

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_SCHED_H */
