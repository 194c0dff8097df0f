// SPDX-License-Identifier: MIT
/*
 * `current`: the calling thread's task. The task lives in the thread (the
 * kernel's per-thread state, the one exception to "state hangs off the
 * machine"); its pid comes from the machine the thread is in when it first
 * asks, so pids are deterministic for a deterministic program.
 */
#include <string.h>
#include <dmastack/linux/sched.h>
#include "internal.h"

static _Thread_local struct task_struct current_task;
static _Thread_local bool current_task_made;

struct task_struct *get_current(void)
{
	if (__builtin_expect(!current_task_made, 0)) {
		struct sim_machine *m = sim_current_machine();

		current_task.pid = m && m->kernel ?
			atomic_fetch_add(&m->kernel->last_pid, 1) + 1 : 0;
		current_task.tgid = current_task.pid;
		strcpy(current_task.comm, "dmastack");
		current_task_made = true;
	}
	return &current_task;
}

char *__get_task_comm(char *buf, size_t buf_size, struct task_struct *tsk)
{
	if (buf_size) {
		strncpy(buf, tsk->comm, buf_size - 1);
		buf[buf_size - 1] = '\0';
	}
	return buf;
}
