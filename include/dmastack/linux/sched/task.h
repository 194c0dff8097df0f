/* SPDX-License-Identifier: MIT */
/* References to tasks (include/linux/sched/task.h). */
#ifndef _DMASTACK_LINUX_SCHED_TASK_H
#define _DMASTACK_LINUX_SCHED_TASK_H

#include "../sched.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Keep @t (a kthread's task stays after kthread_stop() until the put). */
static inline struct task_struct *get_task_struct(struct task_struct *t)
{
	__atomic_add_fetch(&t->usage.refs.counter, 1, __ATOMIC_RELAXED);
	return t;
}

void put_task_struct(struct task_struct *t);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_SCHED_TASK_H */
