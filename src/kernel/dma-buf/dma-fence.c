// SPDX-License-Identifier: MIT
/*
 * dma-fence (drivers/dma-buf/dma-fence.c): signaling under the exporter's
 * lock runs the callbacks once; waiting runs the current machine until the
 * fence is signaled (sim_wait_machine()); the last reference frees it
 * through the exporter's release or kfree().
 */
#include <time.h>
#include <dmastack/linux/dma-fence.h>
#include <dmastack/linux/slab.h>
#include "internal.h"

#define NSEC_PER_JIFFY	1000000ULL

void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    spinlock_t *lock, u64 context, u64 seqno)
{
	if (!fence || !ops || !ops->get_driver_name ||
	    !ops->get_timeline_name || !lock) {
		struct sim_machine *m = sim_current_machine();

		if (m)
			SIM_BUG(m, NULL, "dma_fence_init: a fence needs ops with get_driver_name and get_timeline_name, and a lock");
		return;
	}
	fence->ops = ops;
	fence->lock = lock;
	fence->context = context;
	fence->seqno = seqno;
	fence->flags = BIT(DMA_FENCE_FLAG_INITIALIZED_BIT);
	fence->error = 0;
	fence->timestamp = 0;
	INIT_LIST_HEAD(&fence->cb_list);
	kref_init(&fence->refcount);
}

u64 dma_fence_context_alloc(unsigned int num)
{
	struct sim_machine *m = sim_current_machine();

	if (!m || !m->kernel || !num)
		return 0;
	/* 0 is no context: the first one handed out is 1 */
	return atomic_fetch_add(&m->kernel->fence_context, num) + 1;
}

void dma_fence_free(struct dma_fence *fence)
{
	kfree(fence);
}

void dma_fence_release(struct kref *kref)
{
	struct dma_fence *fence = container_of(kref, struct dma_fence, refcount);

	if (!list_empty(&fence->cb_list) &&
	    !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)) {
		struct sim_machine *m = sim_current_machine();

		/* the kernel WARNs and signals it with -EDEADLK */
		if (m)
			SIM_WARN(m, NULL, "dma_fence_release: fence %s:%s %llu:%llu released with pending callbacks",
				 fence->ops->get_driver_name(fence),
				 fence->ops->get_timeline_name(fence),
				 (unsigned long long)fence->context,
				 (unsigned long long)fence->seqno);
		fence->error = -EDEADLK;
		dma_fence_signal(fence);
	}
	if (fence->ops->release)
		fence->ops->release(fence);
	else
		dma_fence_free(fence);
}

static ktime_t now_ns(void)
{
	struct sim_machine *m = sim_current_machine();

	return m ? (ktime_t)sim_clock_now(m) : 0;
}

/* Under fence->lock. */
static int signal_locked(struct dma_fence *fence, ktime_t timestamp)
{
	struct dma_fence_cb *cb, *tmp;
	struct list_head cbs;

	if (test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return -EINVAL;
	fence->timestamp = timestamp;
	set_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags);
	/* the callbacks run once, each off the list first */
	INIT_LIST_HEAD(&cbs);
	list_splice_init(&fence->cb_list, &cbs);
	list_for_each_entry_safe(cb, tmp, &cbs, node) {
		INIT_LIST_HEAD(&cb->node);
		cb->func(fence, cb);
	}
	return 0;
}

int dma_fence_signal_locked(struct dma_fence *fence)
{
	if (!fence)
		return -EINVAL;
	lockdep_assert_held(fence->lock);
	return signal_locked(fence, now_ns());
}

int dma_fence_signal_timestamp(struct dma_fence *fence, ktime_t timestamp)
{
	unsigned long flags;
	int ret;

	if (!fence)
		return -EINVAL;
	spin_lock_irqsave(fence->lock, flags);
	ret = signal_locked(fence, timestamp);
	spin_unlock_irqrestore(fence->lock, flags);
	return ret;
}

int dma_fence_signal(struct dma_fence *fence)
{
	return dma_fence_signal_timestamp(fence, now_ns());
}

bool dma_fence_is_signaled_locked(struct dma_fence *fence)
{
	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return true;
	if (fence->ops->signaled && fence->ops->signaled(fence)) {
		dma_fence_signal_locked(fence);
		return true;
	}
	return false;
}

bool dma_fence_is_signaled(struct dma_fence *fence)
{
	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return true;
	if (fence->ops->signaled && fence->ops->signaled(fence)) {
		dma_fence_signal(fence);
		return true;
	}
	return false;
}

/* Under fence->lock: ask the exporter to signal it (once). */
static bool enable_signaling_locked(struct dma_fence *fence)
{
	if (test_and_set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags) ||
	    test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return true;
	if (fence->ops->enable_signaling && !fence->ops->enable_signaling(fence)) {
		signal_locked(fence, now_ns());
		return false;
	}
	return true;
}

void dma_fence_enable_sw_signaling(struct dma_fence *fence)
{
	unsigned long flags;

	spin_lock_irqsave(fence->lock, flags);
	enable_signaling_locked(fence);
	spin_unlock_irqrestore(fence->lock, flags);
}

int dma_fence_add_callback(struct dma_fence *fence, struct dma_fence_cb *cb,
			   dma_fence_func_t func)
{
	unsigned long flags;
	int ret = 0;

	if (!fence || !cb || !func)
		return -EINVAL;
	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)) {
		INIT_LIST_HEAD(&cb->node);
		return -ENOENT;
	}
	spin_lock_irqsave(fence->lock, flags);
	if (enable_signaling_locked(fence) &&
	    !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)) {
		cb->func = func;
		list_add_tail(&cb->node, &fence->cb_list);
	} else {
		INIT_LIST_HEAD(&cb->node);
		ret = -ENOENT;
	}
	spin_unlock_irqrestore(fence->lock, flags);
	return ret;
}

bool dma_fence_remove_callback(struct dma_fence *fence,
			       struct dma_fence_cb *cb)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(fence->lock, flags);
	ret = !list_empty(&cb->node);
	if (ret)
		list_del_init(&cb->node);
	spin_unlock_irqrestore(fence->lock, flags);
	return ret;
}

static bool fence_done(void *arg)
{
	return dma_fence_is_signaled(arg);
}

/* Another thread may signal it: look every millisecond of real time. */
static bool fence_block(void *arg, unsigned int ms)
{
	const struct timespec tick = { 0, 1000000L };

	for (unsigned int i = 0; i < ms; i++) {
		if (dma_fence_is_signaled(arg))
			return true;
		nanosleep(&tick, NULL);
	}
	return dma_fence_is_signaled(arg);
}

long dma_fence_default_wait(struct dma_fence *fence, bool intr, long timeout)
{
	struct sim_machine *m = sim_current_machine();
	u64 now = m ? sim_clock_now(m) : 0;
	u64 deadline = timeout == MAX_SCHEDULE_TIMEOUT ? ~0ULL :
		       now + (u64)timeout * NSEC_PER_JIFFY;
	u64 left;

	(void)intr;
	dma_fence_enable_sw_signaling(fence);
	if (!sim_wait_machine(fence_done, fence_block, fence, deadline,
			      "dma_fence_wait"))
		return 0;
	if (timeout == MAX_SCHEDULE_TIMEOUT)
		return MAX_SCHEDULE_TIMEOUT;
	now = m ? sim_clock_now(m) : 0;
	left = deadline > now ? (deadline - now) / NSEC_PER_JIFFY : 0;
	return left ? (long)left : 1;
}

long dma_fence_wait_timeout(struct dma_fence *fence, bool intr, long timeout)
{
	if (!fence || timeout < 0)
		return -EINVAL;
	if (!timeout)
		return dma_fence_is_signaled(fence) ? 1 : 0;
	if (fence->ops->wait)
		return fence->ops->wait(fence, intr, timeout);
	return dma_fence_default_wait(fence, intr, timeout);
}

void dma_fence_set_error(struct dma_fence *fence, int error)
{
	struct sim_machine *m = sim_current_machine();

	if ((test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags) ||
	     error >= 0 || error < -4095) && m) {
		SIM_WARN(m, NULL, "dma_fence_set_error(%d): %s", error,
			 error >= 0 || error < -4095 ? "not an error code" :
						       "the fence is signaled already");
		return;
	}
	fence->error = error;
}

int dma_fence_get_status(struct dma_fence *fence)
{
	if (!dma_fence_is_signaled(fence))
		return 0;
	return fence->error ? fence->error : 1;
}

static const char *stub_name(struct dma_fence *fence)
{
	(void)fence;
	return "stub";
}

static const struct dma_fence_ops stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
};

struct dma_fence *dma_fence_allocate_private_stub(ktime_t timestamp)
{
	struct {
		struct dma_fence fence;
		spinlock_t lock;
	} *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	spin_lock_init(&s->lock);
	dma_fence_init(&s->fence, &stub_ops, &s->lock, 0, 0);
	dma_fence_signal_timestamp(&s->fence, timestamp);
	return &s->fence;
}

struct dma_fence *dma_fence_get_stub(void)
{
	struct sim_machine *m = sim_current_machine();
	struct dma_fence *stub;

	if (!m || !m->kernel)
		return NULL;
	stub = __atomic_load_n(&m->kernel->fence_stub, __ATOMIC_ACQUIRE);
	if (!stub) {
		struct dma_fence *none = NULL;

		stub = dma_fence_allocate_private_stub(0);
		if (!stub)
			return NULL;
		/* one stub per machine; its memory goes with the slab */
		if (!__atomic_compare_exchange_n(&m->kernel->fence_stub, &none,
						 stub, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			dma_fence_put(stub);
			stub = none;
		}
	}
	return dma_fence_get(stub);
}
