// SPDX-License-Identifier: MIT
/*
 * Reservation objects (drivers/dma-buf/dma-resv.c), reduced to the lock.
 *
 * The kernel's dma_resv lock is a ww_mutex; lockdep is what notices a
 * caller that does not hold it. Here the lock is a pthread mutex plus the
 * holder's thread id, so dma_resv_assert_held() can tell "held by me" from
 * "held by someone" and report the former's absence as a warning, and a
 * thread locking an object it already holds is reported instead of
 * deadlocking the process.
 *
 * @holder is written only by the thread owning the mutex (after locking,
 * before unlocking) and read by any thread, hence __atomic accesses: a
 * thread comparing it with its own id can only see its own id if it wrote
 * it itself, so relaxed loads are enough for that question.
 */
#include <errno.h>
#include "internal.h"

static inline unsigned long resv_self(void)
{
	return (unsigned long)pthread_self();
}

static inline struct sim_machine *resv_sim(struct dma_resv *obj)
{
	return __atomic_load_n(&obj->sim, __ATOMIC_ACQUIRE);
}

/**
 * dma_resv_init - initialise a reservation object, unlocked
 * @obj: the object; its @sim is cleared: set it afterwards for reports
 *       (dma_buf_export() fills it for an object that has none)
 */
void dma_resv_init(struct dma_resv *obj)
{
	pthread_mutex_init(&obj->lock, NULL);
	__atomic_store_n(&obj->holder, 0UL, __ATOMIC_RELAXED);
	__atomic_store_n(&obj->sim, NULL, __ATOMIC_RELAXED);
}

/**
 * dma_resv_fini - destroy a reservation object nobody holds
 */
void dma_resv_fini(struct dma_resv *obj)
{
	struct sim_machine *m = resv_sim(obj);

	if (__atomic_load_n(&obj->holder, __ATOMIC_RELAXED) && m)
		SIM_WARN(m, NULL, "dma_resv_fini: reservation object still locked");
	pthread_mutex_destroy(&obj->lock);
}

/**
 * dma_resv_lock - take the reservation lock
 * @obj: the object
 * @ctx: a wound/wait acquire context; not modelled, must be NULL
 *
 * Sleeps until the lock is free. Returns 0, or -EDEADLK (reported as a
 * bug when @obj->sim is set) if the calling thread already holds it: the
 * kernel would deadlock there (or return -EALREADY with a context).
 */
int dma_resv_lock(struct dma_resv *obj, struct ww_acquire_ctx *ctx)
{
	struct sim_machine *m = resv_sim(obj);

	if (ctx && m)
		SIM_WARN(m, NULL,
			 "dma_resv_lock: wound/wait contexts are not modelled, ignored");
	if (dma_resv_is_locked_by_me(obj)) {
		if (m)
			SIM_BUG(m, NULL,
				"dma_resv_lock: recursive locking of a reservation object");
		return -EDEADLK;
	}
	pthread_mutex_lock(&obj->lock);
	__atomic_store_n(&obj->holder, resv_self(), __ATOMIC_RELAXED);
	return 0;
}

/**
 * dma_resv_trylock - take the reservation lock if it is free
 *
 * Returns 1 if the caller now holds it, 0 otherwise (including when the
 * caller already held it, as ww_mutex_trylock()).
 */
int dma_resv_trylock(struct dma_resv *obj)
{
	if (dma_resv_is_locked_by_me(obj))
		return 0;
	if (pthread_mutex_trylock(&obj->lock))
		return 0;
	__atomic_store_n(&obj->holder, resv_self(), __ATOMIC_RELAXED);
	return 1;
}

/**
 * dma_resv_unlock - drop the reservation lock the caller holds
 *
 * Unlocking an object the caller does not hold is reported (a bug) and
 * ignored: pthread mutexes give undefined behaviour there.
 */
void dma_resv_unlock(struct dma_resv *obj)
{
	struct sim_machine *m;

	if (!dma_resv_is_locked_by_me(obj)) {
		m = resv_sim(obj);
		if (m)
			SIM_BUG(m, NULL,
				"dma_resv_unlock: reservation object not held by the caller");
		return;
	}
	__atomic_store_n(&obj->holder, 0UL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&obj->lock);
}

/**
 * dma_resv_is_locked_by_me - does the calling thread hold @obj?
 */
bool dma_resv_is_locked_by_me(struct dma_resv *obj)
{
	return __atomic_load_n(&obj->holder, __ATOMIC_RELAXED) == resv_self();
}

/**
 * dma_resv_assert_held - lockdep_assert_held() on the reservation lock
 *
 * Reports a warning (SIM_REPORT_WARN) when the calling thread does not
 * hold @obj and @obj->sim names a machine; the caller carries on, as in
 * the kernel.
 */
void dma_resv_assert_held(struct dma_resv *obj)
{
	struct sim_machine *m;

	if (dma_resv_is_locked_by_me(obj))
		return;
	m = resv_sim(obj);
	if (m)
		SIM_WARN(m, NULL,
			 "dma_resv_assert_held: reservation lock not held by the calling thread");
}
