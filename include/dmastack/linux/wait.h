/* SPDX-License-Identifier: MIT */
/*
 * Wait queues (include/linux/wait.h): a wait_queue_head_t is a spinlock and
 * a list of entries, each naming a sleeping task (<linux/sched.h>) and the
 * function that wakes it. wait_event() and its forms put the caller on
 * the queue, set its state, test the condition and schedule() until the
 * condition holds; wake_up() wakes the sleepers (all the non-exclusive
 * ones and one exclusive one), which test their condition again.
 *
 * Time passes for a sleeper as schedule() says (<linux/sched.h>): a user
 * thread's wait runs the machine's timers, so a condition that a device's
 * interrupt handler makes true (and wakes the queue) comes true while it
 * waits; a kthread's wait without timeout waits for the thread that
 * drives the machine. The _timeout forms count jiffies of the machine's
 * clock and return as the kernel's: 0 if the condition was still false
 * when the time was up, else the jiffies left (at least 1). No signal is
 * ever pending: the _interruptible and _killable forms return 0 or the
 * jiffies left, never -ERESTARTSYS.
 *
 * A wait without timeout that nothing can end any more (no timer left on
 * the machine, no other thread waking it for a few seconds) is reported
 * as a hung task and returns with the condition false.
 */
#ifndef _DMASTACK_LINUX_WAIT_H
#define _DMASTACK_LINUX_WAIT_H

#include "compiler.h"
#include "types.h"
#include "list.h"
#include "spinlock.h"
#include "sched.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wait_queue_entry wait_queue_entry_t;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry,
				 unsigned int mode, int flags, void *key);

/* wait_queue_entry::flags */
#define WQ_FLAG_EXCLUSIVE	0x01
#define WQ_FLAG_WOKEN		0x02

struct wait_queue_entry {
	unsigned int flags;
	void *__cxx_field(private);	/* the task (C++: private_) */
	wait_queue_func_t func;
	struct list_head entry;
};

struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;
};
typedef struct wait_queue_head wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) {				\
	.lock = __SPIN_LOCK_INITIALIZER(name.lock),			\
	.head = LIST_HEAD_INIT(name.head) }
#define DECLARE_WAIT_QUEUE_HEAD(name)					\
	struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER(name)
#define DECLARE_WAIT_QUEUE_HEAD_ONSTACK(name)	DECLARE_WAIT_QUEUE_HEAD(name)

static inline void __init_waitqueue_head(struct wait_queue_head *wq_head,
					 const char *name,
					 struct lock_class_key *key)
{
	(void)key;
	__raw_spin_lock_init(&wq_head->lock.rlock, name);
	INIT_LIST_HEAD(&wq_head->head);
}
#define init_waitqueue_head(wq_head)					\
	__init_waitqueue_head((wq_head), #wq_head, NULL)

int default_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode,
			  int flags, void *key);
int autoremove_wake_function(struct wait_queue_entry *wq_entry,
			     unsigned int mode, int flags, void *key);

#define __WAITQUEUE_INITIALIZER(name, tsk) {				\
	.__cxx_field(private) = (tsk), .func = default_wake_function,		\
	.entry = { NULL, NULL } }
#define DECLARE_WAITQUEUE(name, tsk)					\
	struct wait_queue_entry name = __WAITQUEUE_INITIALIZER(name, tsk)

static inline void init_waitqueue_entry(struct wait_queue_entry *wq_entry,
					struct task_struct *p)
{
	wq_entry->flags = 0;
	wq_entry->__cxx_field(private) = p;
	wq_entry->func = default_wake_function;
}

static inline void init_waitqueue_func_entry(struct wait_queue_entry *wq_entry,
					     wait_queue_func_t func)
{
	wq_entry->flags = 0;
	wq_entry->__cxx_field(private) = NULL;
	wq_entry->func = func;
}

#define DEFINE_WAIT_FUNC(name, function)				\
	struct wait_queue_entry name = {				\
		.__cxx_field(private) = current, .func = function,			\
		.entry = LIST_HEAD_INIT((name).entry) }
#define DEFINE_WAIT(name)	DEFINE_WAIT_FUNC(name, autoremove_wake_function)

/* Is anybody waiting? (Racy without the caller's own ordering.) */
static inline int waitqueue_active(struct wait_queue_head *wq_head)
{
	return !list_empty(&wq_head->head);
}

static inline bool wq_has_sleeper(struct wait_queue_head *wq_head)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return waitqueue_active(wq_head);
}

void add_wait_queue(struct wait_queue_head *wq_head,
		    struct wait_queue_entry *wq_entry);
void add_wait_queue_exclusive(struct wait_queue_head *wq_head,
			      struct wait_queue_entry *wq_entry);
void remove_wait_queue(struct wait_queue_head *wq_head,
		       struct wait_queue_entry *wq_entry);
void init_wait_entry(struct wait_queue_entry *wq_entry, int flags);
void prepare_to_wait(struct wait_queue_head *wq_head,
		     struct wait_queue_entry *wq_entry, int state);
bool prepare_to_wait_exclusive(struct wait_queue_head *wq_head,
			       struct wait_queue_entry *wq_entry, int state);
long prepare_to_wait_event(struct wait_queue_head *wq_head,
			   struct wait_queue_entry *wq_entry, int state);
void finish_wait(struct wait_queue_head *wq_head,
		 struct wait_queue_entry *wq_entry);

/*
 * Wake the sleepers of @wq_head that sleep in a state of @mode: every
 * non-exclusive one and up to @nr_exclusive exclusive ones (0: all).
 * Any thread, an interrupt handler or a machine timer callback included.
 * Return: how many were woken.
 */
int __wake_up(struct wait_queue_head *wq_head, unsigned int mode,
	      int nr_exclusive, void *key);
/* As __wake_up(), with @wq_head's lock held by the caller. */
void __wake_up_locked(struct wait_queue_head *wq_head, unsigned int mode,
		      int nr);

#define wake_up(x)			__wake_up(x, TASK_NORMAL, 1, NULL)
#define wake_up_nr(x, nr)		__wake_up(x, TASK_NORMAL, nr, NULL)
#define wake_up_all(x)			__wake_up(x, TASK_NORMAL, 0, NULL)
#define wake_up_locked(x)		__wake_up_locked((x), TASK_NORMAL, 1)
#define wake_up_all_locked(x)		__wake_up_locked((x), TASK_NORMAL, 0)
#define wake_up_interruptible(x)	__wake_up(x, TASK_INTERRUPTIBLE, 1, NULL)
#define wake_up_interruptible_nr(x, nr)	__wake_up(x, TASK_INTERRUPTIBLE, nr, NULL)
#define wake_up_interruptible_all(x)	__wake_up(x, TASK_INTERRUPTIBLE, 0, NULL)
#define wake_up_interruptible_sync(x)	wake_up_interruptible(x)

/*
 * One sleep of a wait without timeout: schedule(), and -1 if it was
 * reported as a hung task (the wait ends with its condition false).
 */
int __wait_event_schedule(void);

/*
 * The loop of every wait_event form: @cmd sleeps (and may break out of
 * the loop); the timeout forms keep the jiffies left in their __ret.
 */
#define ___wait_event(wq_head, condition, state, exclusive, cmd)	\
do {									\
	struct wait_queue_entry __wq_entry;				\
									\
	init_wait_entry(&__wq_entry, exclusive ? WQ_FLAG_EXCLUSIVE : 0);\
	for (;;) {							\
		prepare_to_wait_event(&(wq_head), &__wq_entry, state);	\
		if (condition)						\
			break;						\
		cmd;							\
	}								\
	finish_wait(&(wq_head), &__wq_entry);				\
} while (0)

#define __wait_event_sleep()						\
	if (__wait_event_schedule() < 0)				\
		break

/* True when the condition holds or the time is up; __ret at least 1 if it holds. */
#define ___wait_cond_timeout(condition)					\
({									\
	bool __cond = (condition);					\
	if (__cond && !__ret)						\
		__ret = 1;						\
	__cond || !__ret;						\
})

#define __wait_event_state(wq_head, condition, state, exclusive)	\
do {									\
	might_sleep();							\
	if (condition)							\
		break;							\
	___wait_event(wq_head, condition, state, exclusive,		\
		      __wait_event_sleep());				\
} while (0)

/* Sleep until @condition is true (tested after every wake_up()). */
#define wait_event(wq_head, condition)					\
	__wait_event_state(wq_head, condition, TASK_UNINTERRUPTIBLE, 0)
#define wait_event_idle(wq_head, condition)				\
	__wait_event_state(wq_head, condition, TASK_IDLE, 0)
#define wait_event_freezable(wq_head, condition)			\
	wait_event_interruptible(wq_head, condition)

/* As wait_event(); 0 (no signal interrupts it). */
#define wait_event_interruptible(wq_head, condition)			\
({									\
	__wait_event_state(wq_head, condition, TASK_INTERRUPTIBLE, 0);	\
	0;								\
})
#define wait_event_killable(wq_head, condition)				\
({									\
	__wait_event_state(wq_head, condition, TASK_KILLABLE, 0);	\
	0;								\
})
#define wait_event_interruptible_exclusive(wq_head, condition)		\
({									\
	__wait_event_state(wq_head, condition, TASK_INTERRUPTIBLE, 1);	\
	0;								\
})

#define __wait_event_timeout_state(wq_head, condition, timeout, state)	\
({									\
	long __ret = timeout;						\
	might_sleep();							\
	if (!___wait_cond_timeout(condition))				\
		___wait_event(wq_head, ___wait_cond_timeout(condition),	\
			      state, 0, __ret = schedule_timeout(__ret)); \
	__ret;								\
})

/*
 * Sleep until @condition is true or @timeout jiffies of machine time
 * passed. Return: 0 if @condition was false when the time was up, else
 * the jiffies left (at least 1).
 */
#define wait_event_timeout(wq_head, condition, timeout)			\
	__wait_event_timeout_state(wq_head, condition, timeout,		\
				   TASK_UNINTERRUPTIBLE)
#define wait_event_idle_timeout(wq_head, condition, timeout)		\
	__wait_event_timeout_state(wq_head, condition, timeout, TASK_IDLE)
/* As wait_event_timeout() (never -ERESTARTSYS). */
#define wait_event_interruptible_timeout(wq_head, condition, timeout)	\
	__wait_event_timeout_state(wq_head, condition, timeout,		\
				   TASK_INTERRUPTIBLE)
#define wait_event_killable_timeout(wq_head, condition, timeout)	\
	__wait_event_timeout_state(wq_head, condition, timeout,		\
				   TASK_KILLABLE)

/*
 * With @lock (a spinlock_t the caller holds) released while sleeping and
 * held again to test @condition; held on return.
 */
#define __wait_event_lock_irq(wq_head, condition, lock, state)		\
	___wait_event(wq_head, condition, state, 0, {			\
		int __gave;						\
		spin_unlock_irq(&(lock));				\
		__gave = __wait_event_schedule();			\
		spin_lock_irq(&(lock));					\
		if (__gave < 0)						\
			break;						\
	})

#define wait_event_lock_irq(wq_head, condition, lock)			\
do {									\
	if (condition)							\
		break;							\
	__wait_event_lock_irq(wq_head, condition, lock,			\
			      TASK_UNINTERRUPTIBLE);			\
} while (0)

#define wait_event_interruptible_lock_irq(wq_head, condition, lock)	\
({									\
	if (!(condition))						\
		__wait_event_lock_irq(wq_head, condition, lock,		\
				      TASK_INTERRUPTIBLE);		\
	0;								\
})

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_WAIT_H */
