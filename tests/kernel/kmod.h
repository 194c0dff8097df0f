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

/*
 * The XArray, IDR and IDA as drivers use them (tests/kernel/kxa.c): an
 * object table keyed by xa_alloc() handles with marks, sparse and value
 * entries, reservations, the locked forms, cyclic ids, an IDR with a base,
 * minors from an IDA. kxa_selftest(): no WARN, everything freed; 0 or the
 * failed line. kxa_misuse(): five WARNs (an internal entry stored and
 * inserted, xa_alloc() on an array that does not allocate, an IDA id freed
 * twice, idr_alloc() from a negative start), each refused and nothing
 * stored; 0 or the failed line.
 */
int kxa_selftest(void);
int kxa_misuse(void);

/* ktime on the machine clock, math64, highmem, init annotations. */
int kmisc_selftest(void);

/*
 * A device's HMM mirror of user memory (tests/kernel/khmm.c): @npages
 * pages vm_mmap()ed into current->mm, watched by an interval notifier and
 * mapped for @dev with hmm_dma_map. ERR_PTR: -EINVAL (no current->mm),
 * what vm_mmap(), hmm_dma_map_alloc() (-EOPNOTSUPP for a device that
 * bounces or needs syncs) or the notifier said.
 */
struct khmm_mirror;
struct khmm_mirror *khmm_mirror_new(struct device *dev, unsigned long npages);
unsigned long khmm_mirror_addr(struct khmm_mirror *mirror);
/*
 * Fault entries [@idx, @idx + @n) (up to 16) in and map them for the
 * device; *@dma is entry @idx's DMA address. khmm_fill() faults one entry
 * and writes it first (byte b: @seed + b * 3) through kmap_local_page().
 */
int khmm_fault(struct khmm_mirror *mirror, unsigned long idx,
	       unsigned long n, unsigned long long *dma);
int khmm_fill(struct khmm_mirror *mirror, unsigned long idx,
	      unsigned char seed, unsigned long long *dma);
/* Whether the device has entry @idx mapped now. */
_Bool khmm_mapped(struct khmm_mirror *mirror, unsigned long idx);
void khmm_counters(struct khmm_mirror *mirror, unsigned long *invalidations,
		   unsigned long *unmapped, unsigned long *retries);
/* Remove the notifier, unmap, free, vm_munmap() (on current->mm). */
void khmm_mirror_free(struct khmm_mirror *mirror);

/*
 * A dma-buf exporter (tests/kernel/kdmabuf.c): @npages pages from
 * alloc_pages(), exported with a clear job still running (a
 * DMA_RESV_USAGE_KERNEL fence) and a descriptor (kdmabuf_exp_fd());
 * *@released is set true when the buffer's release ran.
 * kdmabuf_exp_finish_clear() fills every page (byte b of page i:
 * @seed + i * 5 + b) and signals the fence; kdmabuf_exp_move() moves the
 * buffer (move_notify); kdmabuf_exp_read() is a CPU read of it;
 * kdmabuf_exp_put() drops the exporter's reference.
 */
struct kdmabuf_exp;
struct kdmabuf_exp *kdmabuf_export(unsigned int npages, _Bool *released);
int kdmabuf_exp_fd(struct kdmabuf_exp *exp);
void kdmabuf_exp_finish_clear(struct kdmabuf_exp *exp, unsigned char seed);
void kdmabuf_exp_move(struct kdmabuf_exp *exp);
unsigned int kdmabuf_exp_attachments(struct kdmabuf_exp *exp);
void kdmabuf_exp_read(struct kdmabuf_exp *exp, unsigned long off, void *buf,
		      unsigned long len);
void kdmabuf_exp_put(struct kdmabuf_exp *exp);

/*
 * A dynamic importer of the buffer behind @fd for @dev. kdmabuf_imp_map()
 * waits for the kernel fences, then maps (*@nsegs DMA segments, each from
 * kdmabuf_imp_seg()); move_notify unmaps (kdmabuf_imp_moves() counts
 * them); kdmabuf_imp_free() unmaps, detaches and puts.
 */
struct kdmabuf_imp;
struct kdmabuf_imp *kdmabuf_import(struct device *dev, int fd);
int kdmabuf_imp_map(struct kdmabuf_imp *imp, unsigned int *nsegs);
_Bool kdmabuf_imp_idle(struct kdmabuf_imp *imp);
int kdmabuf_imp_seg(struct kdmabuf_imp *imp, unsigned int i,
		    unsigned long long *dma, unsigned int *len);
unsigned int kdmabuf_imp_moves(struct kdmabuf_imp *imp);
void kdmabuf_imp_unmap(struct kdmabuf_imp *imp);
void kdmabuf_imp_free(struct kdmabuf_imp *imp);

/*
 * A VFIO PCI variant driver (tests/kernel/kvfio.c) for functions
 * KVFIO_VENDOR:KVFIO_DEVICE; it exports BAR KVFIO_EXPORT_BAR only.
 * kvfio_vfio_device(): the registered device of a function it is bound
 * to, else NULL; opens and closes: how often open_device and
 * close_device ran.
 */
#define KVFIO_VENDOR		0x1dea
#define KVFIO_DEVICE		0x7f10
#define KVFIO_EXPORT_BAR	2
struct vfio_device;
int kvfio_register(void);
void kvfio_unregister(void);
struct vfio_device *kvfio_vfio_device(struct device *dev);
unsigned int kvfio_opens(struct vfio_device *vdev);
unsigned int kvfio_closes(struct vfio_device *vdev);

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
