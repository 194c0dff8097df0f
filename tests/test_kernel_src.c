// SPDX-License-Identifier: MIT
/*
 * Kernel-style sources (tests/kernel/, compiled with the dmastack-kernel
 * include directory alone) run on the platforms kernel developers care
 * about: x86 with a lazy and a strict IOMMU, arm64 with 64K granules,
 * dma-direct and a confidential guest. The harness creates the machine
 * (the creating thread's current machine) and plays the device.
 */
#include <pthread.h>
#include <dmastack/linux/map_benchmark.h>
#include "variants.h"
#include "failnth.h"
#include "kernel/kmod.h"

struct fx {
	VARIANT_FX;
	struct device *dev;
	unsigned long warns;	/* the WARN reports the test provoked */
};

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_api_machine);

	f->dev = dev_of(f->m, "dev0");
	return 0;
}

/*
 * TD_CLEAN, and exactly the WARNs the test provoked on purpose (f->warns):
 * none unless it says so.
 */
static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int bad = 0;

	if (f && sim_report_count_kind(f->m, SIM_REPORT_WARN) != f->warns) {
		fprintf(stderr, "teardown: %lu WARN reports, %lu expected\n",
			sim_report_count_kind(f->m, SIM_REPORT_WARN), f->warns);
		sim_report_dump(f->m, stderr);
		bad = -1;
	}
	if (variant_fx_teardown(state, TD_CLEAN))
		bad = -1;
	return bad;
}

static void test_page_allocator(void **state)
{
	struct fx *f = *state;
	unsigned long before = sim_ram_pages_allocated(f->m);

	assert_ptr_equal(sim_current_machine(), f->m);
	assert_int_equal(kpages_selftest(), 0);
	assert_int_equal(sim_ram_pages_allocated(f->m), before);
}

static void test_streaming_dma(void **state)
{
	struct fx *f = *state;
	struct kpages_buf b;
	u8 got[PAGE_SIZE], want[PAGE_SIZE];

	assert_int_equal(kpages_map(f->dev, &b, 11), 0);
	/* the device reads what the driver wrote, and answers */
	assert_int_equal(sim_dma_read(f->dev, b.dma, got, sizeof(got)), 0);
	for (unsigned int i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], (u8)(11 + i * 7));
	for (unsigned int i = 0; i < sizeof(want); i++)
		want[i] = (u8)(99 + i * 7);
	assert_int_equal(sim_dma_write(f->dev, b.dma, want, sizeof(want)), 0);
	assert_int_equal(kpages_unmap(f->dev, &b, 99), 0);
	if (f->translated)
		assert_int_equal(sim_iommu_faults(f->m), 0);
}

/* RAM pages in use, less the IOMMU's page tables (they stay after unmap). */
static unsigned long pages_in_use(struct fx *f)
{
	long pt = f->translated ? sim_iommu_pt_pages(f->dev) : 0;

	assert_true(pt >= 0);
	return sim_ram_pages_allocated(f->m) -
	       (unsigned long)pt * (f->v->granule / PAGE_SIZE);
}

static void test_slab_buffers(void **state)
{
	struct fx *f = *state;
	unsigned long before = pages_in_use(f);
	struct kslab_bufs b;
	u8 got[200];

	memset(&b, 0, sizeof(b));
	assert_int_equal(kslab_map(f->dev, &b), 0);
	/* the device reads the command block and writes its status */
	assert_int_equal(sim_dma_read(f->dev, b.cmd_dma, got, sizeof(got)), 0);
	assert_int_equal(got[0], 0xc1);
	assert_int_equal(got[1], 0);
	assert_int_equal(sim_dma_write(f->dev, b.cmd_dma + 1, "\x5c", 1), 0);
	for (int i = 0; i < 4; i++) {
		u8 v = (u8)(0x40 + i);

		assert_int_equal(sim_dma_write(f->dev, b.objs_dma[i] + 95, &v, 1),
				 0);
	}
	assert_int_equal(kslab_unmap(f->dev, &b), 0);
	/*
	 * The kmem_cache's pages went back with it; kmalloc-256 keeps its one
	 * empty slab for the next kmalloc(), as SLUB keeps a slab per cache.
	 */
	assert_int_equal(pages_in_use(f), before + 1);
	if (f->translated)
		assert_int_equal(sim_iommu_faults(f->m), 0);
}

static void test_small_headers(void **state)
{
	struct fx *f = *state;
	unsigned long before = pages_in_use(f);

	assert_int_equal(kmisc_selftest(), 0);
	assert_int_equal(pages_in_use(f), before);
}

static void test_vmalloc_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kslab_vmalloc_map(f->dev), -ENOMEM);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "rejecting DMA map of vmalloc memory"));
	f->warns = 1;
}

/* Without a current machine the global calls have nothing to act on. */
static void test_no_current_machine(void **state)
{
	struct fx *f = *state;

	assert_ptr_equal(sim_set_current_machine(NULL), f->m);
	assert_null(alloc_pages(GFP_KERNEL, 0));
	assert_int_equal(__get_free_pages(GFP_KERNEL, 0), 0);
	assert_null(virt_to_page(f));
	assert_null(pfn_to_page(0));
	assert_false(pfn_valid(0));
	free_pages(0, 0);
	__free_pages(NULL, 0);
	assert_null(sim_set_current_machine(f->m));
	/* an address that is not RAM is not a page; freeing it is a BUG */
	assert_null(virt_to_page(f));
	assert_false(virt_addr_valid(f));
	free_pages((unsigned long)f, 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_BUG,
				    "is not the address of RAM"));
	/* the one BUG was provoked: end the fixture here */
	assert_int_equal(machine_teardown_allowed(f->m, TD_CLEAN, 1, 0), 0);
	free(f);
	*state = NULL;
}

/* The map benchmark's uAPI argument has the kernel's layout. */
_Static_assert(sizeof(struct map_benchmark) == 136, "struct map_benchmark");
_Static_assert(__builtin_offsetof(struct map_benchmark, threads) == 32,
	       "map_benchmark.threads");
_Static_assert(__builtin_offsetof(struct map_benchmark, expansion) == 60,
	       "map_benchmark.expansion");

/* 7.0's struct phys_vec and the name before it are one type. */
_Static_assert(__builtin_types_compatible_p(struct phys_vec,
					   struct dma_buf_phys_vec),
	      "struct dma_buf_phys_vec is struct phys_vec");

/* ------------------------------------------ the kernel's primitives --- */

static unsigned long warns(struct fx *f)
{
	return sim_report_count_kind(f->m, SIM_REPORT_WARN);
}

/* One thread: every primitive as kernel code uses it, and no WARN. */
static void test_prims_selftest(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kprims_selftest(), 0);
	assert_int_equal(warns(f), 0);
}

struct kp_thread {
	pthread_t t;
	struct sim_machine *m;
	struct kprims_shared *s;
	int id, iters, ret;
};

static void *kp_worker(void *arg)
{
	struct kp_thread *t = arg;

	/* a CPU of the machine: its WARNs are the machine's */
	sim_set_current_machine(t->m);
	kprims_worker(t->s, t->id, t->iters);
	return NULL;
}

static void *kp_assert_other(void *arg)
{
	struct kp_thread *t = arg;

	sim_set_current_machine(t->m);
	t->ret = kprims_assert_other(t->s);
	return NULL;
}

/* Threads at once on one structure: the locks keep every total exact. */
static void test_prims_threads(void **state)
{
	struct fx *f = *state;
	struct kprims_shared *s = kprims_shared_new();
	struct kp_thread t[4];
	const int iters = 2000;

	assert_non_null(s);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct kp_thread){ .m = f->m, .s = s, .id = i,
					   .iters = iters };
		assert_int_equal(pthread_create(&t[i].t, NULL, kp_worker, &t[i]),
				 0);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i].t, NULL), 0);
	assert_int_equal(kprims_shared_free(s, 4, iters), 0);
	assert_int_equal(warns(f), 0);
}

/*
 * The lockdep assertions check the calling thread: locks another thread
 * holds are not held by this one, nor its to release.
 */
static void test_lockdep_other_thread(void **state)
{
	struct fx *f = *state;
	struct kprims_shared *s = kprims_shared_new();
	struct kp_thread t = { .m = f->m };

	assert_non_null(s);
	t.s = s;
	kprims_hold(s);
	assert_int_equal(pthread_create(&t.t, NULL, kp_assert_other, &t), 0);
	assert_int_equal(pthread_join(t.t, NULL), 0);
	assert_int_equal(t.ret, 0);
	kprims_unhold(s);
	assert_int_equal(kprims_shared_free(s, 0, 0), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "lockdep_assert_held(&s->lock): not held"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "lockdep_assert_held(&s->mutex): not held"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "lockdep_assert_held_write(&s->sem): not held for writing"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "mutex_unlock(&s->mutex) by a thread that does not hold it (held by another thread)"));
	assert_int_equal(warns(f), 4);
	f->warns = 4;
}

/* A lockdep assertion on a lock nobody holds: a WARN at the caller's line. */
static void test_lockdep_unheld(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kprims_assert_unheld(), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "lockdep_assert_held(&kp_mutex): not held"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "kprims.c:"));
	assert_int_equal(warns(f), 1);
	f->warns = 1;
}

/* Unlocking a mutex nobody holds: a WARN, and nothing is released. */
static void test_unlock_unheld(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kprims_unlock_unheld(), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "bad unlock balance detected: mutex_unlock(&kp_mutex) by a thread that does not hold it (not locked)"));
	assert_int_equal(warns(f), 1);
	f->warns = 1;
}

/* One put too many: a WARN, and the count saturates (nothing is freed). */
static void test_refcount_underflow(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kprims_refcount_underflow(), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "refcount_t: underflow (use-after-free)"));
	assert_int_equal(warns(f), 1);
	f->warns = 1;
}

/* The other misuses the kernel's debugging catches, each counted. */
static void test_prims_misuse(void **state)
{
	static const struct {
		int (*fn)(void);
		unsigned long warns;
		const char *needle;
	} cases[] = {
		{ kprims_refcount_overflow, 2,
		  "refcount_t: overflow, saturated (the object leaks)" },
		{ kprims_mutex_recursion, 1,
		  "possible recursive locking detected: mutex_lock(&kp_mutex)" },
		{ kprims_spin_recursion, 1,
		  "BUG: spinlock recursion: &kp_spin already held by this thread" },
		{ kprims_list_double_del, 1, "list_del corruption" },
		{ kprims_up_read_unlocked, 1,
		  "up_read(&kp_rwsem) of a rwsem that is not read-locked" },
		{ kprims_mutex_uninitialized, 2,
		  "mutex_trylock(&l->mutex) of a mutex never initialized" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long before = warns(f);

		assert_int_equal(cases[i].fn(), 0);
		assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
					    cases[i].needle));
		assert_int_equal(warns(f), before + cases[i].warns);
		f->warns += cases[i].warns;
	}
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "refcount_t: increment from 0 (use-after-free)"));
}

/*
 * WARN() of kernel code: its value, a report of the current machine with
 * the file and line, on stderr without a current machine.
 */
static void test_warn(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kprims_warn(0), 0);
	assert_int_equal(warns(f), 0);
	assert_int_equal(kprims_warn(7), 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "WARNING: at "));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "kprims.c:"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, ": kprims_warn(7)"));
	assert_ptr_equal(sim_set_current_machine(NULL), f->m);
	assert_int_equal(kprims_warn(8), 1);
	assert_null(sim_set_current_machine(f->m));
	assert_int_equal(warns(f), 1);
	f->warns = 1;
}

/* ------------------------- wait queues, kthreads, workqueues, cleanup --- */

/* A producer kthread and this thread consuming on a wait queue. */
static void test_kthread_producer(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kwork_producer(), 0);
	assert_int_equal(warns(f), 0);
}

/* A consumer kthread; kthread_stop() returns its result (or -EINTR). */
static void test_kthread_consumer(void **state)
{
	struct fx *f = *state;

	/* (the kthreads' memory going with kthread_stop(): the fail-Nth sweep) */
	assert_int_equal(kwork_consumer(), 0);
	assert_int_equal(warns(f), 0);
}

/* Timeouts count jiffies of the machine's clock, exactly. */
static void test_wait_timeouts(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kwork_timeouts(), 0);
	assert_int_equal(warns(f), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
}

/* A delayed work fires after its delay of machine time, not before. */
static void test_delayed_work(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kwork_delayed(), 0);
	assert_int_equal(warns(f), 0);
}

/* cancel_work_sync() of a pending work and of a running one. */
static void test_cancel_work(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kwork_cancel(), 0);
	assert_int_equal(warns(f), 0);
}

/* An ordered workqueue runs its works in order; destroy drains. */
static void test_ordered_wq(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kwork_ordered(), 0);
	assert_int_equal(warns(f), 0);
}

/* Guards release on every return path; __free() frees unless taken. */
static void test_cleanup_guards(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kwork_cleanup(), 0);
	assert_int_equal(warns(f), 0);
}

/* Queueing on a destroyed workqueue: a WARN, and nothing queued. */
static void test_queue_destroyed_wq(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kwork_queue_destroyed(), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "on destroyed workqueue kwork-gone: not queued"));
	assert_int_equal(warns(f), 1);
	f->warns = 1;
}

/* A kthread still running when its machine goes: reported, stopped. */
static void test_kthread_left_running(void **state)
{
	struct fx *f = *state;
	FILE *echo = tmpfile();
	char line[512];
	bool found = false;

	assert_non_null(echo);
	assert_int_equal(kwork_leave_kthread(), 0);
	sim_report_echo(f->m, echo);
	/* the shutdown's WARN is its only one */
	assert_int_equal(machine_teardown_allowed(f->m, TD_CLEAN, 0, 0), 0);
	rewind(echo);
	while (fgets(line, sizeof(line), echo))
		if (strstr(line, "kthread kwork-left (pid ") &&
		    strstr(line, "still running at machine shutdown: stopped"))
			found = true;
	fclose(echo);
	assert_true(found);
	free(f);
	*state = NULL;
}

static int kwork_alloc_scenario(void *ctx)
{
	(void)ctx;
	return kwork_alloc_run();
}

/* alloc_workqueue() and kthread_create() fail cleanly at every allocation. */
static void test_kwork_fail_nth(void **state)
{
	struct fx *f = *state;
	struct failnth fn = {
		.name = "kwork", .m = f->m, .run = kwork_alloc_scenario,
	};

	failnth_sweep(&fn);
	assert_true(fn.failed >= 2);
	assert_int_equal(warns(f), 0);
}

/* ------------------------------------------ XArray, IDR and IDA --- */

/*
 * A driver's tables, handles and ids: no WARN, and the second run (the
 * module's static tables empty and usable again) ends with the pages the
 * first ended with: the kmalloc caches keep their one empty slab, nothing
 * more.
 */
static void test_xarray_idr(void **state)
{
	struct fx *f = *state;
	unsigned long after;

	assert_int_equal(kxa_selftest(), 0);
	assert_int_equal(warns(f), 0);
	after = pages_in_use(f);
	assert_int_equal(kxa_selftest(), 0);
	assert_int_equal(warns(f), 0);
	assert_int_equal(pages_in_use(f), after);
}

/* What the kernel refuses with a WARN: refused here, one WARN each. */
static void test_xarray_misuse(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kxa_misuse(), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "is an internal entry, it cannot be stored"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "allocating from an array without XA_FLAGS_ALLOC"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "ida_free called for id=0 which is not allocated."));
	assert_int_equal(warns(f), 5);
	f->warns = 5;
}

static const struct dma_variant *const variants[] = {
	&variant_direct, &variant_x86_strict, &variant_x86_lazy,
	&variant_arm64_64k_strict, &variant_cc,
};

static const struct variant_test tests[] = {
	VARIANT_TEST(test_page_allocator),
	VARIANT_TEST(test_streaming_dma),
	VARIANT_TEST(test_slab_buffers),
	VARIANT_TEST(test_vmalloc_refused),
	VARIANT_TEST(test_small_headers),
	VARIANT_TEST(test_no_current_machine),
	VARIANT_TEST(test_prims_selftest),
	VARIANT_TEST(test_prims_threads),
	VARIANT_TEST(test_lockdep_other_thread),
	VARIANT_TEST(test_lockdep_unheld),
	VARIANT_TEST(test_unlock_unheld),
	VARIANT_TEST(test_refcount_underflow),
	VARIANT_TEST(test_prims_misuse),
	VARIANT_TEST(test_warn),
	VARIANT_TEST(test_kthread_producer),
	VARIANT_TEST(test_kthread_consumer),
	VARIANT_TEST(test_wait_timeouts),
	VARIANT_TEST(test_delayed_work),
	VARIANT_TEST(test_cancel_work),
	VARIANT_TEST(test_ordered_wq),
	VARIANT_TEST(test_cleanup_guards),
	VARIANT_TEST(test_queue_destroyed_wq),
	VARIANT_TEST(test_kthread_left_running),
	VARIANT_TEST(test_kwork_fail_nth),
	VARIANT_TEST(test_xarray_idr),
	VARIANT_TEST(test_xarray_misuse),
};

int main(void)
{
	return variant_run_groups("kernel-src", VARIANT_TESTS(tests),
				  VARIANTS(variants), fx_setup, fx_teardown);
}
