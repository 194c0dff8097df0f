/* SPDX-License-Identifier: MIT */
/*
 * What the kernel-style sources of tests/kernel/ offer their test harness
 * (tests/test_kernel_src.c): entry points with kernel types only, as a
 * module's exported functions.
 */
#ifndef KMOD_H
#define KMOD_H

struct device;

/* The page allocator's calls and translations; 0 or the failed step. */
int kpages_selftest(void);

/* A page with @pattern at offset 0..len-1, mapped for @dev both ways. */
struct kpages_buf {
	void *cpu;
	unsigned long long dma;		/* dma_addr_t */
	unsigned int len;
};
int kpages_map(struct device *dev, struct kpages_buf *b, unsigned char seed);
/* Unmap; 0 if the CPU now sees what the device wrote (@seed's pattern). */
int kpages_unmap(struct device *dev, struct kpages_buf *b, unsigned char seed);

/*
 * A driver's usual buffers: a kmalloc()ed command block, objects of a
 * kmem_cache, mapped for @dev; the harness plays the device between map
 * and unmap. kslab_vmalloc_map() tries to map vmalloc() memory and
 * returns what dma_map_single() said (the kernel refuses it).
 */
struct kslab_bufs {
	void *cmd;			/* kmalloc(200) */
	unsigned long long cmd_dma;
	void *objs[4];			/* kmem_cache "kslab-obj", 96 bytes */
	unsigned long long objs_dma[4];
	void *cache;			/* struct kmem_cache */
};
int kslab_map(struct device *dev, struct kslab_bufs *b);
int kslab_unmap(struct device *dev, struct kslab_bufs *b);
int kslab_vmalloc_map(struct device *dev);

/*
 * The kernel's basic primitives (tests/kernel/kprims.c). kprims_selftest():
 * min/max/clamp, container_of, rounding, error pointers, lists, atomics,
 * refcount_t, kref and the locks with their lockdep assertions on the
 * calling thread, with no WARN; 0 or the failed step.
 */
int kprims_selftest(void);

/*
 * A structure that up to KPRIMS_THREADS_MAX threads update at once, each
 * running kprims_worker() with its own @id: a spinlocked counter, a list
 * under a mutex, a generation under a rw_semaphore (some writers
 * downgrade), atomics, a refcount_t and a kref'd object. The lockdep
 * assertions of every step hold. kprims_shared_free() checks the totals,
 * drops the last reference (the object is released then) and frees it;
 * 0 or the failed step.
 */
#define KPRIMS_THREADS_MAX	8
struct kprims_shared;
struct kprims_shared *kprims_shared_new(void);
void kprims_worker(struct kprims_shared *s, int id, int iters);
int kprims_shared_free(struct kprims_shared *s, int nthreads, int iters);

/*
 * The calling thread takes @s's mutex, rw_semaphore (for writing) and
 * spinlock; kprims_assert_other(), on another thread, asserts each held
 * (three WARNs: held, but not by it) and unlocks the mutex (a WARN: not
 * released); 0 if all three are still held afterwards.
 */
void kprims_hold(struct kprims_shared *s);
void kprims_unhold(struct kprims_shared *s);
int kprims_assert_other(struct kprims_shared *s);

/*
 * Misuses the kernel's debugging reports, each a WARN and no harm done;
 * 0 if the state afterwards is what the kernel leaves.
 */
int kprims_assert_unheld(void);		/* lockdep_assert_held(), not held */
int kprims_unlock_unheld(void);		/* mutex_unlock() of an unlocked one */
int kprims_refcount_underflow(void);	/* one put too many: saturated */
int kprims_refcount_overflow(void);	/* past REFCOUNT_MAX, and from 0: 2 */
int kprims_mutex_recursion(void);	/* mutex_lock() of one held */
int kprims_spin_recursion(void);	/* spin_lock() of one held */
int kprims_list_double_del(void);	/* list_del() of a deleted entry */
int kprims_up_read_unlocked(void);	/* up_read() of an unlocked rwsem */
int kprims_mutex_uninitialized(void);	/* trylock and unlock: 2 */
/* WARN(@cond, ...): what it returns, and a WARN if @cond. */
int kprims_warn(int cond);

/* ktime on the machine clock, math64, highmem, init annotations. */
int kmisc_selftest(void);

/*
 * Wait queues, kthreads, workqueues, timers and cleanup guards
 * (tests/kernel/kwork.c); 0 or the failed step. kwork_queue_destroyed()
 * makes one WARN (a queue on a destroyed workqueue); kwork_leave_kthread()
 * leaves a kthread running for the machine's shutdown to report;
 * kwork_alloc_run() returns the step whose allocation failed (1-3).
 */
int kwork_producer(void);
int kwork_consumer(void);
int kwork_timeouts(void);
int kwork_delayed(void);
int kwork_cancel(void);
int kwork_ordered(void);
int kwork_cleanup(void);
int kwork_queue_destroyed(void);
int kwork_leave_kthread(void);
int kwork_alloc_run(void);

#endif /* KMOD_H */
