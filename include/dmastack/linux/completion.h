/* SPDX-License-Identifier: MIT */
/*
 * Completions. A waiter runs its machine meanwhile: the device models'
 * timers that fall due run (their interrupts complete it), and the wait
 * ends when it is completed or, with a timeout, when the machine's clock
 * reaches the deadline. Another thread's complete() wakes it too. With no
 * timer left and nobody completing it, a wait without timeout is a hung
 * task: reported after a few seconds, and it returns.
 */
#ifndef _DMASTACK_LINUX_COMPLETION_H
#define _DMASTACK_LINUX_COMPLETION_H

#include <pthread.h>
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct completion {
	unsigned int done;
	pthread_mutex_t lock;
	pthread_cond_t wait;
};

#define COMPLETION_INITIALIZER(work) \
	{ 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER }
#define DECLARE_COMPLETION(work) \
	struct completion work = COMPLETION_INITIALIZER(work)
#define DECLARE_COMPLETION_ONSTACK(work) DECLARE_COMPLETION(work)

void init_completion(struct completion *x);
void reinit_completion(struct completion *x);
void complete(struct completion *x);
void complete_all(struct completion *x);
void wait_for_completion(struct completion *x);
/* Jiffies left (at least 1) if completed, 0 on timeout. */
unsigned long wait_for_completion_timeout(struct completion *x,
					  unsigned long timeout);
bool try_wait_for_completion(struct completion *x);
bool completion_done(struct completion *x);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_COMPLETION_H */
