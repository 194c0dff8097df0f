// SPDX-License-Identifier: MIT
/*
 * dma-fence and the reservation object's fences: signaling and callbacks,
 * status and errors, the exporter's ops (signaled, enable_signaling,
 * release), waits that run the machine until a device signals (and time
 * out at the deadline on the machine's clock), the stub, contexts, and
 * dma_resv_reserve_fences/add_fence/wait_timeout/test_signaled by usage.
 */
#include <dmastack/linux/bitops.h>
#include <dmastack/linux/dma-fence.h>
#include "helpers.h"

#define FENCE_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0\n"

struct tfence {
	struct dma_fence base;
	spinlock_t lock;
	int releases, enables, polls;
	bool done_by_poll, refuse_enable;
};

static const char *tname(struct dma_fence *f)
{
	(void)f;
	return "test";
}

static void trelease(struct dma_fence *f)
{
	container_of(f, struct tfence, base)->releases++;
}

static bool tenable(struct dma_fence *f)
{
	struct tfence *t = container_of(f, struct tfence, base);

	t->enables++;
	return !t->refuse_enable;
}

static bool tsignaled(struct dma_fence *f)
{
	struct tfence *t = container_of(f, struct tfence, base);

	t->polls++;
	return t->done_by_poll;
}

static const struct dma_fence_ops tops = {
	.get_driver_name = tname,
	.get_timeline_name = tname,
	.enable_signaling = tenable,
	.signaled = tsignaled,
	.release = trelease,
};

static void tfence_init(struct tfence *t, u64 ctx, u64 seq)
{
	memset(t, 0, sizeof(*t));
	spin_lock_init(&t->lock);
	dma_fence_init(&t->base, &tops, &t->lock, ctx, seq);
}

static int setup(void **state)
{
	*state = machine_from(FENCE_PLATFORM);
	return 0;
}

static int teardown(void **state)
{
	return machine_teardown(*state, TD_CLEAN);
}

static int cb_runs;

static void count_cb(struct dma_fence *f, struct dma_fence_cb *cb)
{
	(void)f;
	(void)cb;
	cb_runs++;
}

static void test_signal_and_callbacks(void **state)
{
	struct sim_machine *m = *state;
	struct dma_fence_cb a, b, c;
	struct tfence t;

	cb_runs = 0;
	tfence_init(&t, dma_fence_context_alloc(1), 1);
	assert_false(dma_fence_is_signaled(&t.base));
	assert_int_equal(t.polls, 1);
	assert_int_equal(dma_fence_get_status(&t.base), 0);
	assert_int_equal(dma_fence_add_callback(&t.base, &a, count_cb), 0);
	assert_int_equal(t.enables, 1);
	assert_int_equal(dma_fence_add_callback(&t.base, &b, count_cb), 0);
	assert_int_equal(t.enables, 1);		/* once */
	assert_true(dma_fence_remove_callback(&t.base, &b));
	assert_false(dma_fence_remove_callback(&t.base, &b));
	dma_fence_set_error(&t.base, -EIO);
	sim_clock_advance(m, 1234);
	assert_int_equal(dma_fence_signal(&t.base), 0);
	assert_int_equal(cb_runs, 1);
	assert_int_equal(t.base.timestamp, (ktime_t)sim_clock_now(m));
	assert_int_equal(dma_fence_signal(&t.base), -EINVAL);
	assert_int_equal(cb_runs, 1);
	assert_int_equal(dma_fence_get_status(&t.base), -EIO);
	/* after signaling: no callback, no error */
	assert_int_equal(dma_fence_add_callback(&t.base, &c, count_cb), -ENOENT);
	assert_false(dma_fence_remove_callback(&t.base, &c));
	dma_fence_set_error(&t.base, -EINVAL);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "dma_fence_set_error(-22): the fence is signaled already"));
	assert_int_equal(dma_fence_add_callback(NULL, &c, count_cb), -EINVAL);
	/* the last reference: the exporter's release */
	dma_fence_get(&t.base);
	dma_fence_put(&t.base);
	assert_int_equal(t.releases, 0);
	dma_fence_put(&t.base);
	assert_int_equal(t.releases, 1);
	dma_fence_put(NULL);
	assert_null(dma_fence_get(NULL));
}

static void test_ops(void **state)
{
	struct sim_machine *m = *state;
	struct dma_fence_cb a;
	struct tfence t;

	/* polled done: is_signaled signals it */
	tfence_init(&t, 1, 1);
	t.done_by_poll = true;
	assert_true(dma_fence_is_signaled(&t.base));
	assert_int_equal(dma_fence_get_status(&t.base), 1);
	/* an exporter that refuses to enable signaling: signaled now */
	tfence_init(&t, 1, 2);
	t.refuse_enable = true;
	assert_int_equal(dma_fence_add_callback(&t.base, &a, count_cb), -ENOENT);
	assert_true(test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &t.base.flags));
	/* a fence without the mandatory ops is a BUG, and not initialised */
	{
		static const struct dma_fence_ops bad = { .release = trelease };
		struct dma_fence f = { 0 };
		spinlock_t l;

		spin_lock_init(&l);
		dma_fence_init(&f, &bad, &l, 1, 1);
		assert_null(f.ops);
		dma_fence_init(&f, &tops, NULL, 1, 1);
		assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 2);
	}
	/* a kmalloc()ed fence without release: kfree()d */
	{
		static const struct dma_fence_ops plain = {
			.get_driver_name = tname, .get_timeline_name = tname,
		};
		struct tfence *k = kzalloc(sizeof(*k), GFP_KERNEL);

		spin_lock_init(&k->lock);
		dma_fence_init(&k->base, &plain, &k->lock, 3, 1);
		dma_fence_signal(&k->base);
		dma_fence_put(&k->base);
		assert_false(sim_report_find(m, SIM_REPORT_BUG, "kfree"));
	}
	assert_int_equal(machine_teardown_allowed(m, TD_CLEAN, 2, 0), 0);
	*state = NULL;
}

struct signaler {
	struct sim_timer t;
	struct dma_fence *f;
	long in_cb;
};

static void signal_cb(struct sim_timer *t, void *data)
{
	struct signaler *s = data;

	(void)t;
	dma_fence_signal(s->f);
	/* waiting in a timer callback is a BUG */
	s->in_cb = dma_fence_wait_timeout(s->f, false, 5);
}

static void test_wait_runs_machine(void **state)
{
	struct sim_machine *m = *state;
	struct signaler s = { 0 };
	struct tfence t;
	u64 t0;

	tfence_init(&t, 1, 1);
	s.f = &t.base;
	sim_timer_init(m, &s.t, signal_cb, &s);
	assert_int_equal(sim_timer_arm_in(m, &s.t, 3000000), 0);
	t0 = sim_clock_now(m);
	/* a device signals it 3 ms on: 7 jiffies of 10 left */
	assert_int_equal(dma_fence_wait_timeout(&t.base, true, 10), 7);
	assert_int_equal(sim_clock_now(m) - t0, 3000000);
	assert_int_equal(s.in_cb, 0);
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "dma_fence_wait: sleeping function called from invalid context"));
	assert_int_equal(dma_fence_wait(&t.base, true), 0);

	/* nobody signals it: 0 at the deadline */
	tfence_init(&t, 1, 2);
	t0 = sim_clock_now(m);
	assert_int_equal(dma_fence_wait_timeout(&t.base, false, 4), 0);
	assert_int_equal(sim_clock_now(m) - t0, 4000000);
	assert_int_equal(dma_fence_wait_timeout(&t.base, false, 0), 0);
	assert_int_equal(dma_fence_wait_timeout(&t.base, false, -1), -EINVAL);
	assert_int_equal(dma_fence_wait_timeout(NULL, false, 1), -EINVAL);
	dma_fence_signal(&t.base);
	assert_int_equal(dma_fence_wait_timeout(&t.base, false, 0), 1);
	assert_int_equal(machine_teardown_allowed(m, TD_CLEAN, 1, 0), 0);
	*state = NULL;
}

static void test_stub_and_contexts(void **state)
{
	struct sim_machine *m = *state;
	struct dma_fence *s1 = dma_fence_get_stub(), *s2 = dma_fence_get_stub();
	u64 c1 = dma_fence_context_alloc(3), c2 = dma_fence_context_alloc(1);

	assert_non_null(s1);
	assert_ptr_equal(s1, s2);
	assert_true(dma_fence_is_signaled(s1));
	assert_int_equal(dma_fence_get_status(s1), 1);
	dma_fence_put(s1);
	dma_fence_put(s2);
	assert_true(c1 > 0);
	assert_int_equal(c2, c1 + 3);
	assert_int_equal(dma_fence_context_alloc(0), 0);
	sim_set_current_machine(NULL);
	assert_null(dma_fence_get_stub());
	assert_int_equal(dma_fence_context_alloc(1), 0);
	sim_set_current_machine(m);
}

static void test_resv_fences(void **state)
{
	struct sim_machine *m = *state;
	struct tfence w, r, w2;
	struct signaler s = { 0 };
	struct dma_resv resv;

	dma_resv_init(&resv);
	resv.sim = m;
	tfence_init(&w, 10, 1);
	tfence_init(&r, 11, 1);
	tfence_init(&w2, 10, 2);

	/* without the lock: refused and reported */
	assert_int_equal(dma_resv_reserve_fences(&resv, 2), -EINVAL);
	dma_resv_add_fence(&resv, &w.base, DMA_RESV_USAGE_WRITE);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), 2);

	assert_int_equal(dma_resv_lock(&resv, NULL), 0);
	/* no slot reserved: reported, nothing added */
	dma_resv_add_fence(&resv, &w.base, DMA_RESV_USAGE_WRITE);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "no slot reserved"));
	assert_int_equal(dma_resv_reserve_fences(&resv, 2), 0);
	assert_int_equal(dma_resv_reserve_fences(&resv, UINT_MAX), -ENOMEM);
	dma_resv_add_fence(&resv, &w.base, DMA_RESV_USAGE_WRITE);
	dma_resv_add_fence(&resv, &r.base, DMA_RESV_USAGE_READ);
	/* a later fence of a context replaces the earlier one */
	dma_resv_add_fence(&resv, &w2.base, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(&resv);
	/* the object's reference to the replaced one went: ours is left */
	assert_int_equal(kref_read(&w.base.refcount), 1);
	assert_int_equal(kref_read(&w2.base.refcount), 2);

	dma_fence_signal(&r.base);
	/* readers wait for writers; writers for readers and writers */
	assert_true(dma_resv_test_signaled(&resv, DMA_RESV_USAGE_KERNEL));
	assert_false(dma_resv_test_signaled(&resv, DMA_RESV_USAGE_WRITE));
	assert_false(dma_resv_test_signaled(&resv, DMA_RESV_USAGE_READ));
	assert_int_equal(dma_resv_usage_rw(false), DMA_RESV_USAGE_WRITE);
	assert_int_equal(dma_resv_wait_timeout(&resv, DMA_RESV_USAGE_READ, false, 0), 0);
	assert_int_equal(dma_resv_wait_timeout(&resv, DMA_RESV_USAGE_KERNEL, false, 5), 5);
	/* the write fence signaled by a device 2 ms on */
	s.f = &w2.base;
	sim_timer_init(m, &s.t, signal_cb, &s);
	assert_int_equal(sim_timer_arm_in(m, &s.t, 2000000), 0);
	assert_int_equal(dma_resv_wait_timeout(&resv, DMA_RESV_USAGE_BOOKKEEP,
					       true, 10), 8);
	assert_true(dma_resv_test_signaled(&resv, DMA_RESV_USAGE_BOOKKEEP));
	assert_int_equal(dma_resv_wait_timeout(NULL, DMA_RESV_USAGE_READ, true, 1),
			 -EINVAL);
	/* the object's references go with it; ours are the last */
	dma_resv_fini(&resv);
	assert_int_equal(kref_read(&w2.base.refcount), 1);
	assert_int_equal(kref_read(&r.base.refcount), 1);
	dma_fence_put(&w.base);
	dma_fence_put(&w2.base);
	dma_fence_put(&r.base);
	assert_int_equal(w.releases + w2.releases + r.releases, 3);
	assert_int_equal(machine_teardown_allowed(m, TD_CLEAN, 1, 0), 0);
	*state = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signal_and_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_runs_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stub_and_contexts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resv_fences, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
