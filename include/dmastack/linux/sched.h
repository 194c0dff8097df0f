/* SPDX-License-Identifier: MIT */
/*
 * The task: `current` is the calling thread's task (include/linux/sched.h).
 *
 * Every thread that runs kernel code has one, made the first time it asks:
 * a user thread's task has the machine's next pid and the comm "dmastack";
 * a kthread's (<linux/kthread.h>) has PF_KTHREAD and its own name. @mm is
 * the address space user-memory calls act on: NULL for a kthread, and for
 * a thread that has none (the loader gives a module's init and exit one,
 * as insmod's task has).
 */
#ifndef _DMASTACK_LINUX_SCHED_H
#define _DMASTACK_LINUX_SCHED_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TASK_COMM_LEN	16

/* task_struct::flags (the kernel's values) */
#define PF_EXITING	0x00000004
#define PF_KTHREAD	0x00200000

struct mm_struct;

/*
 * struct task_struct - what kernel code reads of a task
 * @pid: the task's id (per machine, from 1, in creation order)
 * @tgid: the thread group's (the same as @pid here)
 * @flags: PF_*
 * @comm: its name
 * @mm: its user address space, or NULL
 * @active_mm: @mm, or the address space a kthread borrows (none here)
 */
struct task_struct {
	pid_t pid;
	pid_t tgid;
	unsigned int flags;
	char comm[TASK_COMM_LEN];
	struct mm_struct *mm;
	struct mm_struct *active_mm;
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

/* Copies @tsk's comm into @buf (at least TASK_COMM_LEN bytes). */
char *__get_task_comm(char *buf, size_t buf_size, struct task_struct *tsk);
#define get_task_comm(buf, tsk)	__get_task_comm((buf), sizeof(buf), (tsk))

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_SCHED_H */
