/* SPDX-License-Identifier: MIT */
/*
 * Reservation objects (include/linux/dma-resv.h): the lock that serialises
 * mapping, unmapping and move_notify of a buffer, and the fences of the
 * work that uses it, each with its usage (KERNEL < WRITE < READ <
 * BOOKKEEP: waiting for a usage waits for every fence of that usage or a
 * lower one).
 */
#ifndef _DMASTACK_LINUX_DMA_RESV_H
#define _DMASTACK_LINUX_DMA_RESV_H

#include <pthread.h>
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ww_acquire_ctx;
struct sim_machine;
struct dma_fence;
struct dma_resv_fences;

enum dma_resv_usage {
	DMA_RESV_USAGE_KERNEL,
	DMA_RESV_USAGE_WRITE,
	DMA_RESV_USAGE_READ,
	DMA_RESV_USAGE_BOOKKEEP,
};

/* The usage an implicit-sync user of @write access waits for. */
static inline enum dma_resv_usage dma_resv_usage_rw(bool write)
{
	return write ? DMA_RESV_USAGE_READ : DMA_RESV_USAGE_WRITE;
}

struct dma_resv {
	pthread_mutex_t lock;
	/* the holder's thread (pthread_self()), 0 if free; __atomic access */
	unsigned long holder;
	/*
	 * For reports; may be NULL. Cleared by dma_resv_init(), filled by
	 * dma_buf_export() when unset; __atomic access.
	 */
	struct sim_machine *sim;
	/* the fences, under @lock (a reader copies them under their lock) */
	struct dma_resv_fences *fences;
};

void dma_resv_init(struct dma_resv *obj);
void dma_resv_fini(struct dma_resv *obj);
/*
 * No wound/wait contexts (@ctx must be NULL). 0, or -EDEADLK (reported as
 * a bug) when the calling thread already holds @obj: the kernel would
 * deadlock there.
 */
int dma_resv_lock(struct dma_resv *obj, struct ww_acquire_ctx *ctx);
/* 1 if taken, 0 if someone else holds it. */
int dma_resv_trylock(struct dma_resv *obj);
void dma_resv_unlock(struct dma_resv *obj);
/* True if the calling thread holds @obj. */
bool dma_resv_is_locked_by_me(struct dma_resv *obj);
/* A WARN (SIM_REPORT_WARN) when the caller does not hold @obj. */
void dma_resv_assert_held(struct dma_resv *obj);

/*
 * Room for @num_fences more fences; the lock held. 0, -ENOMEM, -EINVAL
 * (the lock not held: reported).
 */
int dma_resv_reserve_fences(struct dma_resv *obj, unsigned int num_fences);
/*
 * Add @fence (a reference is taken) with @usage; it replaces the fence of
 * the same context. The lock held and room reserved (else a WARN and
 * nothing is added).
 */
void dma_resv_add_fence(struct dma_resv *obj, struct dma_fence *fence,
			enum dma_resv_usage usage);
/*
 * Wait for the fences of @usage or lower, running the machine (no lock
 * needed): jiffies left (at least 1), 0 on timeout.
 */
long dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage,
			   bool intr, unsigned long timeout);
/* True if every fence of @usage or lower is signaled. */
bool dma_resv_test_signaled(struct dma_resv *obj, enum dma_resv_usage usage);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DMA_RESV_H */
