/* SPDX-License-Identifier: MIT */
/*
 * dma-fence: a point on a timeline that an exporter signals when its work
 * is done, and importers wait on (include/linux/dma-fence.h). Waiting runs
 * the current machine: the device models' timers that fall due run (a
 * device's interrupt handler signals the fence), until it is signaled or
 * the deadline passes on the machine's clock.
 */
#ifndef _DMASTACK_LINUX_DMA_FENCE_H
#define _DMASTACK_LINUX_DMA_FENCE_H

#include "types.h"
#include "kref.h"
#include "list.h"
#include "spinlock.h"
#include "ktime.h"
#include "sched.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dma_fence;
struct dma_fence_cb;

typedef void (*dma_fence_func_t)(struct dma_fence *fence,
				 struct dma_fence_cb *cb);

/* A callback on a fence (dma_fence_add_callback()). */
struct dma_fence_cb {
	struct list_head node;
	dma_fence_func_t func;
};

enum dma_fence_flag_bits {
	DMA_FENCE_FLAG_INITIALIZED_BIT,
	DMA_FENCE_FLAG_SIGNALED_BIT,
	DMA_FENCE_FLAG_TIMESTAMP_BIT,
	DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
	DMA_FENCE_FLAG_USER_BITS,
};

/**
 * struct dma_fence - a fence
 * @lock: the exporter's lock over @cb_list and signaling
 * @ops: the exporter's operations
 * @cb_list: callbacks still to run
 * @timestamp: when it was signaled (the machine's clock, ns)
 * @context: its timeline (dma_fence_context_alloc())
 * @seqno: its point on the timeline
 * @flags: DMA_FENCE_FLAG_*_BIT
 * @refcount: dma_fence_get()/dma_fence_put()
 * @error: 0, or the -errno the work ended with (dma_fence_set_error())
 */
struct dma_fence {
	spinlock_t *lock;
	const struct dma_fence_ops *ops;
	struct list_head cb_list;
	ktime_t timestamp;
	u64 context;
	u64 seqno;
	unsigned long flags;
	struct kref refcount;
	int error;
};

/**
 * struct dma_fence_ops - what an exporter provides
 * @get_driver_name: mandatory
 * @get_timeline_name: mandatory
 * @enable_signaling: called once, with @lock held, when someone first
 *	waits or adds a callback; false: the fence is signaled already
 * @signaled: poll whether the work is done (optional)
 * @wait: a custom wait (optional; dma_fence_default_wait() otherwise)
 * @release: free the fence (optional; kfree() of it otherwise)
 */
struct dma_fence_ops {
	bool use_64bit_seqno;
	const char *(*get_driver_name)(struct dma_fence *fence);
	const char *(*get_timeline_name)(struct dma_fence *fence);
	bool (*enable_signaling)(struct dma_fence *fence);
	bool (*signaled)(struct dma_fence *fence);
	long (*wait)(struct dma_fence *fence, bool intr, long timeout);
	void (*release)(struct dma_fence *fence);
};

void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    spinlock_t *lock, u64 context, u64 seqno);
/* @num new timeline contexts of the current machine; the first returned. */
u64 dma_fence_context_alloc(unsigned int num);

void dma_fence_release(struct kref *kref);
void dma_fence_free(struct dma_fence *fence);

static inline struct dma_fence *dma_fence_get(struct dma_fence *fence)
{
	if (fence)
		kref_get(&fence->refcount);
	return fence;
}

static inline void dma_fence_put(struct dma_fence *fence)
{
	if (fence)
		kref_put(&fence->refcount, dma_fence_release);
}

/* 0, or -EINVAL when it was signaled already. */
int dma_fence_signal(struct dma_fence *fence);
int dma_fence_signal_locked(struct dma_fence *fence);
int dma_fence_signal_timestamp(struct dma_fence *fence, ktime_t timestamp);
bool dma_fence_is_signaled(struct dma_fence *fence);
bool dma_fence_is_signaled_locked(struct dma_fence *fence);
void dma_fence_enable_sw_signaling(struct dma_fence *fence);
/* 0, or -ENOENT when signaled already (@func is then not called). */
int dma_fence_add_callback(struct dma_fence *fence, struct dma_fence_cb *cb,
			   dma_fence_func_t func);
/* True if @cb was still pending (and now is not). */
bool dma_fence_remove_callback(struct dma_fence *fence,
			       struct dma_fence_cb *cb);
/*
 * Jiffies left (at least 1) once signaled, 0 on timeout, -EINVAL for a
 * negative @timeout; MAX_SCHEDULE_TIMEOUT waits without a deadline.
 */
long dma_fence_wait_timeout(struct dma_fence *fence, bool intr, long timeout);
long dma_fence_default_wait(struct dma_fence *fence, bool intr, long timeout);

static inline long dma_fence_wait(struct dma_fence *fence, bool intr)
{
	long ret = dma_fence_wait_timeout(fence, intr, MAX_SCHEDULE_TIMEOUT);

	return ret < 0 ? ret : 0;
}

/* Before signaling: the work failed with @error (a -errno). */
void dma_fence_set_error(struct dma_fence *fence, int error);
/* 0 while pending, 1 when signaled fine, the error when signaled with one. */
int dma_fence_get_status(struct dma_fence *fence);
/* A fence that is always signaled (a reference, of the current machine). */
struct dma_fence *dma_fence_get_stub(void);
struct dma_fence *dma_fence_allocate_private_stub(ktime_t timestamp);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DMA_FENCE_H */
