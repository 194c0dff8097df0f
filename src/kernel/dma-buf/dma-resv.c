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
#include <limits.h>
#include <stdlib.h>
#include <dmastack/linux/dma-fence.h>
#include "internal.h"

void dma_resv_fences_fini(struct dma_resv *obj);

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
	obj->fences = NULL;
}

/**
 * dma_resv_fini - destroy a reservation object nobody holds
 */
void dma_resv_fini(struct dma_resv *obj)
{
	struct sim_machine *m = resv_sim(obj);

	if (__atomic_load_n(&obj->holder, __ATOMIC_RELAXED) && m)
		SIM_WARN(m, NULL, "dma_resv_fini: reservation object still locked");
	dma_resv_fences_fini(obj);
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

/* ------------------------------------------------------------------------ */
/* Fences                                                                   */
/* ------------------------------------------------------------------------ */

#define RESV_MAX_FENCES	((4u << 20) / sizeof(struct resv_fence))

struct resv_fence {
	struct dma_fence *fence;
	enum dma_resv_usage usage;
};

/* Host memory: a reservation object may belong to no machine. */
struct dma_resv_fences {
	pthread_mutex_t lock;		/* readers vs the holder's changes */
	unsigned int nr, max;
	struct resv_fence *f;
};

static bool resv_held_or_warn(struct dma_resv *obj, const char *who)
{
	if (dma_resv_is_locked_by_me(obj))
		return true;
	if (resv_sim(obj))
		SIM_WARN(resv_sim(obj), NULL, "%s: the reservation lock is not held",
			 who);
	return false;
}

int dma_resv_reserve_fences(struct dma_resv *obj, unsigned int num_fences)
{
	struct dma_resv_fences *fl;
	struct resv_fence *n;
	unsigned int want;

	if (!obj || !resv_held_or_warn(obj, "dma_resv_reserve_fences"))
		return -EINVAL;
	fl = obj->fences;
	if (!fl) {
		fl = calloc(1, sizeof(*fl));
		if (!fl)
			return -ENOMEM;
		pthread_mutex_init(&fl->lock, NULL);
		obj->fences = fl;
	}
	/* the kernel's list is one kmalloc(): at most 4M of entries */
	if (num_fences > RESV_MAX_FENCES - fl->nr)
		return -ENOMEM;
	want = fl->nr + num_fences;
	if (want <= fl->max)
		return 0;
	n = realloc(fl->f, (size_t)want * sizeof(*n));
	if (!n)
		return -ENOMEM;
	pthread_mutex_lock(&fl->lock);
	fl->f = n;
	fl->max = want;
	pthread_mutex_unlock(&fl->lock);
	return 0;
}

void dma_resv_add_fence(struct dma_resv *obj, struct dma_fence *fence,
			enum dma_resv_usage usage)
{
	struct dma_resv_fences *fl;
	struct dma_fence *old = NULL;
	unsigned int i;

	if (!obj || !fence ||
	    !resv_held_or_warn(obj, "dma_resv_add_fence"))
		return;
	fl = obj->fences;
	if (fl) {
		pthread_mutex_lock(&fl->lock);
		for (i = 0; i < fl->nr; i++)
			if (fl->f[i].fence->context == fence->context)
				break;
		if (i < fl->nr || fl->nr < fl->max) {
			if (i < fl->nr)
				old = fl->f[i].fence;
			else
				fl->nr++;
			fl->f[i].fence = dma_fence_get(fence);
			fl->f[i].usage = usage;
			pthread_mutex_unlock(&fl->lock);
			dma_fence_put(old);
			return;
		}
		pthread_mutex_unlock(&fl->lock);
	}
	if (resv_sim(obj))
		SIM_WARN(resv_sim(obj), NULL, "dma_resv_add_fence: no slot reserved (dma_resv_reserve_fences())");
}

/* The fences of @usage or lower, each with a reference; @n of them. */
static struct dma_fence **resv_snapshot(struct dma_resv *obj,
					enum dma_resv_usage usage,
					unsigned int *n)
{
	struct dma_resv_fences *fl = obj->fences;
	struct dma_fence **out = NULL;

	*n = 0;
	if (!fl)
		return NULL;
	pthread_mutex_lock(&fl->lock);
	if (fl->nr)
		out = calloc(fl->nr, sizeof(*out));
	for (unsigned int i = 0; out && i < fl->nr; i++)
		if (fl->f[i].usage <= usage)
			out[(*n)++] = dma_fence_get(fl->f[i].fence);
	pthread_mutex_unlock(&fl->lock);
	return out;
}

long dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage,
			   bool intr, unsigned long timeout)
{
	long left;
	struct dma_fence **fs;
	unsigned int n;

	if (!obj)
		return -EINVAL;
	if (!timeout)
		return dma_resv_test_signaled(obj, usage) ? 1 : 0;
	left = timeout > (unsigned long)MAX_SCHEDULE_TIMEOUT ?
	       MAX_SCHEDULE_TIMEOUT : (long)timeout;
	fs = resv_snapshot(obj, usage, &n);
	for (unsigned int i = 0; i < n; i++) {
		if (left > 0) {
			long r = dma_fence_wait_timeout(fs[i], intr, left);

			if (r <= 0)
				left = 0;
			else if (left != MAX_SCHEDULE_TIMEOUT)
				left = r;
		}
		dma_fence_put(fs[i]);
	}
	free(fs);
	return left;
}

bool dma_resv_test_signaled(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_fence **fs;
	unsigned int n;
	bool all = true;

	if (!obj)
		return true;
	fs = resv_snapshot(obj, usage, &n);
	for (unsigned int i = 0; i < n; i++) {
		all &= dma_fence_is_signaled(fs[i]);
		dma_fence_put(fs[i]);
	}
	free(fs);
	return all;
}

/* At dma_resv_fini(): the object's references go. */
void dma_resv_fences_fini(struct dma_resv *obj)
{
	struct dma_resv_fences *fl = obj->fences;

	if (!fl)
		return;
	for (unsigned int i = 0; i < fl->nr; i++)
		dma_fence_put(fl->f[i].fence);
	pthread_mutex_destroy(&fl->lock);
	free(fl->f);
	free(fl);
	obj->fences = NULL;
}
