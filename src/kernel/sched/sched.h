/* SPDX-License-Identifier: MIT */
/*
 * What kthread.c and workqueue.c share: the machine's scheduler state
 * (m->kernel->sched). Not installed.
 */
#ifndef _DMASTACK_KERNEL_SCHED_SCHED_H
#define _DMASTACK_KERNEL_SCHED_SCHED_H

#include <dmastack/linux/list.h>
#include <dmastack/linux/sched.h>
#include <dmastack/linux/workqueue.h>
#include "internal.h"

/* Destroyed workqueues remembered by address, to catch a queue on one. */
#define SIM_WQ_DESTROYED_MAX	32

struct sim_sched {
	/*
	 * Guards both lists, every workqueue's works and every work's
	 * data; never held while a work or a kthread function runs, nor
	 * while a machine timer is cancelled (its callback takes it).
	 */
	pthread_mutex_t lock;
	pthread_cond_t idle;		/* a work finished or was cancelled */
	struct list_head kthreads;	/* struct kthread, creation order */
	struct list_head wqs;		/* struct workqueue_struct */
	struct workqueue_struct *system[NR_SYSTEM_WQS];
	unsigned int nr_kworkers;
	struct {
		uintptr_t addr;
		char name[WQ_NAME_LEN];
	} destroyed[SIM_WQ_DESTROYED_MAX];
	unsigned int next_destroyed;
};

static inline struct sim_sched *sim_sched_of(struct sim_machine *m)
{
	return m && m->kernel ? m->kernel->sched : NULL;
}

/* Fill in a kthread's or kworker's task for @m (pid, comm, flags). */
void sim_task_init_kernel(struct sim_machine *m, struct task_struct *p,
			  unsigned int flags, const char *comm);
void sim_task_fini_kernel(struct task_struct *p);

#endif /* _DMASTACK_KERNEL_SCHED_SCHED_H */
