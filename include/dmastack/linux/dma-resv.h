/* SPDX-License-Identifier: MIT */
/*
 * Reservation objects (include/linux/dma-resv.h), reduced to what dma-buf
 * importers and exporters rely on here: the lock that serialises mapping,
 * unmapping and move_notify of a buffer. Fences are not modelled.
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

struct dma_resv {
	pthread_mutex_t lock;
	/* the holder's thread (pthread_self()), 0 if free; __atomic access */
	unsigned long holder;
	/*
	 * For reports; may be NULL. Cleared by dma_resv_init(), filled by
	 * dma_buf_export() when unset; __atomic access.
	 */
	struct sim_machine *sim;
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

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DMA_RESV_H */
