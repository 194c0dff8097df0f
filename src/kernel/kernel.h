/* SPDX-License-Identifier: MIT */
/*
 * The kernel layer's shared state and declarations: struct sim_kernel (what
 * hangs off a machine once it booted), the init table, and what the
 * subsystems of src/kernel/ share across files (mm, swiotlb, dma-debug,
 * trace, the IOMMU core, P2PDMA, dma-buf, VFIO, the revoked-MMIO
 * registry). The kernel sees the hardware (hw/machine.h); the hardware
 * never includes this. Not installed.
 */
#ifndef _DMASTACK_KERNEL_KERNEL_H
#define _DMASTACK_KERNEL_KERNEL_H

#include "hw/machine.h"

/* Page allocator granule: a section is 4 MiB, the largest buddy block. */
#define SECTION_SHIFT		22
#define PAGES_PER_SECTION	(1UL << (SECTION_SHIFT - PAGE_SHIFT))
#define MAX_PAGE_ORDER		10

enum sim_zone { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, MAX_NR_ZONES };


struct page *sim_alloc_pages_zone(struct sim_machine *m, unsigned int order,
				  phys_addr_t lo, phys_addr_t hi, bool top_down);
struct page *sim_alloc_pages_gfp(struct sim_machine *m, gfp_t gfp,
				 unsigned int order, u64 limit);

/* The page allocator's (src/kernel/mm/page_alloc.c). */
void sim_ram_reserve(struct sim_machine *m, phys_addr_t start, u64 size);
int sim_mm_init_machine(struct sim_machine *m);
void sim_mm_exit_machine(struct sim_machine *m);
/* src/kernel/mm/slab.c */
int sim_slab_init_machine(struct sim_machine *m);
void sim_slab_exit_machine(struct sim_machine *m);
bool sim_vmalloc_addr(struct sim_machine *m, const void *p);

/* P2PDMA state of every function goes at shutdown (src/kernel/pci/p2pdma.c). */
void pci_p2pdma_exit_machine(struct sim_machine *m);

/* pfn_to_page() of P2PDMA (ZONE_DEVICE) memory, NULL if not (p2pdma.c). */
struct page *sim_p2pdma_pfn_to_page(struct sim_machine *m, unsigned long pfn);
/*
 * MMIO that a dma-buf export covered and that its exporter revoked (VFIO):
 * a device access there is reported with the export's name, whether or not
 * the BAR still decodes. @revoked false forgets the range again (the export
 * is restored, or a new one covers it). src/kernel/vfio/revoke.c.
 */
int sim_mmio_set_revoked(struct sim_machine *m, phys_addr_t cpu, u64 len,
			 bool revoked, const char *who);

/*
 * Secondary bus reset below @bridge (src/hw/pci.c): every endpoint
 * function below gets SIM_PCI_FLR_START, is reset (command register
 * cleared, D0), then gets SIM_PCI_FLR_DONE. Used by VFIO's hot reset.
 */
int pci_bridge_secondary_bus_reset(struct pci_dev *bridge);
/* VFIO's claim of a group: refused while the DMA API holds anything in it */
int sim_iommu_group_claim_viable(struct iommu_group *group, void *owner);
/* current_state from the function, under pci_lock (src/kernel/pci/pci.c) */
void pci_sync_current_state(struct pci_dev *dev);
/* The kernel's record of @dev's power state, loaded whole. */
static inline pci_power_t pci_current_state(struct pci_dev *dev)
{
	return __atomic_load_n(&dev->current_state, __ATOMIC_ACQUIRE);
}

/*
 * VFIO (src/kernel/vfio/): what vfio_pci_core.c and vfio_pci_dmabuf.c share.
 */
void vfio_pci_memory_lock_write(struct vfio_pci_core_device *vdev);
void vfio_pci_memory_unlock_write(struct vfio_pci_core_device *vdev);
bool vfio_pci_memory_write_locked_by_me(struct vfio_pci_core_device *vdev);
bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev);
int vfio_pci_core_feature_dma_buf(struct vfio_pci_core_device *vdev,
				  u32 flags,
				  struct vfio_device_feature_dma_buf __user *arg,
				  size_t argsz);
void vfio_pci_dma_buf_move(struct vfio_pci_core_device *vdev, bool revoked);
void vfio_pci_dma_buf_cleanup(struct vfio_pci_core_device *vdev);
/*
 * The machine's VFIO state (src/kernel/vfio/vfio_main.c): every VFIO
 * device not yet put and every vfio-pci export not yet released, so that
 * teardown closes, reports and frees what the program left.
 */
struct sim_vfio {
	pthread_mutex_t lock;
	struct list_head devices;	/* vfio_device.sim_elm */
	struct list_head exports;	/* vfio_pci_dma_buf.machine_elm */
};
int vfio_init_machine(struct sim_machine *m);
/* The program's fds go: every open device is reported and closed. */
void vfio_close_machine(struct sim_machine *m);
/* Is a VFIO device of @dev open (a user holds its fd)? */
bool vfio_device_is_open_on(struct sim_machine *m, struct device *dev);
/* After drivers unbound: leaked exports released, devices freed. */
void vfio_exit_machine(struct sim_machine *m);
/* Every export of the machine released (vfio_pci_dmabuf.c), single-threaded. */
void vfio_pci_dma_buf_exit_machine(struct sim_machine *m);

/* dma-buf fds and buffers of a machine go with it (src/kernel/dma-buf/dma-buf.c). */
void dma_buf_exit_machine(struct sim_machine *m);
/* Release a leaked buffer of the library's own exporter at teardown. */
void dma_buf_exit_release(struct dma_buf *dmabuf);


/* ------------------------------------------------------------- trace --- */
struct sim_trace {
	pthread_mutex_t lock;
	FILE *f;			/* text, or NULL */
	struct sim_trace_dat *dat;	/* trace.dat writer, or NULL */
	u64 dat_off;			/* machine clock to the writer's (trace-dat.c) */
	_Atomic unsigned long events;
	_Atomic bool accesses;		/* device accesses as events too */
	struct sim_bus_observer obs;	/* sees them (src/kernel/dma/trace.c) */
};


/*
 * The kernel's state on a machine (m->kernel): made by sim_kernel_boot()
 * before the init table runs, freed after the exits; NULL before boot.
 */
/*
 * The DMA API's counters of one device, in shards of a cache line each,
 * picked by thread index (the per-CPU counters' analogue): threads mapping
 * for one device do not share a line. sim_dma_stats_get() sums them.
 */
#define SIM_DMA_STAT_SHARDS	4

struct sim_dma_stat_shard {
	_Alignas(64) _Atomic unsigned long maps, unmaps, map_errors, syncs;
};

struct sim_dma_dev_stats {
	struct sim_dma_stat_shard shard[SIM_DMA_STAT_SHARDS];
	/*
	 * dma-debug: entries added or removed for the device, and that count
	 * when an unbind last reported a leak (the same leak is reported once)
	 */
	_Alignas(64) _Atomic unsigned long debug_changes;
	unsigned long leak_reported_at;
	bool dma_check;		/* the DMA check mode (dma-debug) */
};

struct sim_kernel {
	unsigned int nr_initcalls_done;	/* src/kernel/init.c */
	_Atomic int last_pid;		/* tasks (src/kernel/sched/core.c) */
	/*
	 * kthreads, workqueues (src/kernel/sched/kthread.c, workqueue.c),
	 * and how many of their tasks and queued works are busy (running,
	 * not waiting: __atomic builtins): while any is, a waiter does not
	 * move the clock (src/kernel/sched/wait.c)
	 */
	struct sim_sched *sched;
	int nr_busy;
	/* every function's counters (src/kernel/pci/pci.c allocates them) */
	struct sim_dma_dev_stats *dev_stats;
	/* the kernel's machine-wide counters */
	struct {
		_Atomic unsigned long bounced_maps, swiotlb_full;
		_Atomic unsigned long coherent_allocs;
		_Atomic unsigned long long bounced_bytes;
	} stats;
	struct sim_mm *mm;		/* memmap and page allocator */
	struct sim_slab *slab;		/* kmalloc, kmem_cache, vmalloc */
	struct sim_pci_drivers *pci_drivers;	/* pci_register_driver() */
	/*
	 * The kernel's pci_lock (drivers/pci/access.c): every configuration
	 * read and the register change of every configuration write; never
	 * held while a PCI notifier runs (src/kernel/pci/pci.c)
	 */
	sim_spinlock_t pci_lock;
	/* every device's devres list (src/kernel/base/devres.c) */
	pthread_mutex_t devres_lock;
	bool devres_up;			/* the lock is initialised */
	struct sim_iomaps *iomaps;	/* ioremap() cookies (src/kernel/io.c) */
	/* dma-fence (src/kernel/dma-buf/dma-fence.c) */
	_Atomic u64 fence_context;
	struct dma_fence *fence_stub;
	struct io_tlb_mem *swiotlb;	/* the default swiotlb pool */
	bool swiotlb_present;
	/* IOMMU drivers' units, groups (src/kernel/iommu/iommu.c) */
	struct sim_iommu **iommu_units;
	unsigned int nr_iommu_units;
	struct iommu_group **groups;
	unsigned int nr_groups;
	struct sim_bus_observer iommu_dma_obs;	/* IOTLB hits (dma-iommu.c) */
	struct sim_trace trace;
	struct dma_debug *debug;
	_Atomic bool dma_debug_on;	/* mirrors debug->enabled, read inline */
	struct sim_dmabuf_state *dmabuf;	/* fd table, live buffers */
	/* dma_pools not yet destroyed (src/kernel/dma/pool.c), pools_lock */
	struct dma_pool *pools;
	sim_spinlock_t pools_lock;
	struct sim_vfio *vfio;		/* VFIO devices and exports (vfio_main.c) */
	struct mmio_revoke *revoke;	/* src/kernel/vfio/revoke.c */
};

/*
 * Machine timers (src/hw/timer.c). @lock guards the list and @running;
 * @advance serialises clock moves (held while callbacks run, @lock not).
 * The clock hook is how a kernel layer hears that the clock moved (the
 * IOMMU's lazy flush queues), registered by that layer: the hardware names
 * no kernel function.
 */

/*
 * The kernel on a machine (src/kernel/init.c): the init table runs in
 * order once the hardware is finalized; shutdown unbinds the drivers, then
 * runs the exits of what was initialised, in reverse.
 */
int sim_kernel_boot(struct sim_machine *m, const struct sim_machine_opts *o,
		    char *err, size_t errlen);
void sim_kernel_shutdown(struct sim_machine *m);

/* IOMMU units, groups, default domains (src/kernel/iommu/iommu.c) */
int sim_iommu_init_machine(struct sim_machine *m, char *err, size_t errlen);
void sim_iommu_exit_machine(struct sim_machine *m);

/*
 * Bus observer groups of the kernel's checkers: dma-debug and the lazy-IOTLB
 * window speak once per device access between them; the revoked-MMIO
 * registry speaks on its own.
 */
#define SIM_BUS_GROUP_DMA_API	0
#define SIM_BUS_GROUP_REVOKE	1
#define SIM_BUS_GROUP_TRACE	2	/* reports nothing */

/* The revoked-MMIO registry (src/kernel/vfio/revoke.c). */
int mmio_revoke_init_machine(struct sim_machine *m);
void mmio_revoke_exit_machine(struct sim_machine *m);
unsigned int mmio_revoke_count(struct sim_machine *m);
int mmio_revoke_range(struct sim_machine *m, unsigned int idx,
		      phys_addr_t *start, phys_addr_t *end, char *who,
		      size_t wholen);

/* swiotlb pool lifetime */
int swiotlb_init_machine(struct sim_machine *m);
void swiotlb_exit_machine(struct sim_machine *m);
/* dma_pools never destroyed: reported and freed at shutdown (pool.c) */
void dma_pool_shutdown_machine(struct sim_machine *m);
bool sim_phys_is_swiotlb(struct sim_machine *m, phys_addr_t phys);
int swiotlb_range(struct sim_machine *m, phys_addr_t *start, u64 *size);
phys_addr_t __swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig_addr,
				     size_t mapping_size, size_t alloc_size,
				     unsigned int alloc_align_mask,
				     enum dma_data_direction dir,
				     unsigned long attrs);
void dma_setup_need_sync(struct device *dev);
/* The IOMMU granule of @dev's DMA domain, 0 without one. */
unsigned long sim_iommu_granule(struct device *dev);

/* dma-debug */
int dma_debug_init_machine(struct sim_machine *m, bool enabled);
void dma_debug_exit_machine(struct sim_machine *m);

/* Is dma-debug on? Read on every DMA API call, so inline and relaxed. */
static inline bool dma_debug_on(struct sim_machine *m)
{
	return atomic_load_explicit(&m->kernel->dma_debug_on,
				    memory_order_relaxed);
}

/* trace */
void sim_trace_init(struct sim_machine *m);
void sim_trace_fini(struct sim_machine *m);
static inline bool sim_trace_on(struct sim_machine *m)
{
	return m->kernel->trace.f != NULL || m->kernel->trace.dat != NULL;
}
/* One event's record to the writers that are set (src/kernel/dma/trace-event.h). */
struct trace_event;
union trace_val;
void sim_trace_record(struct sim_machine *m, const struct trace_event *ev,
		      const union trace_val *v);
/* include/trace/events/irq.h (irq/manage.c), swiotlb.h (dma/swiotlb.c) */
void trace_irq_handler_entry(struct sim_machine *m, unsigned int irq,
			     const char *name);
void trace_irq_handler_exit(struct sim_machine *m, unsigned int irq, int ret);
void trace_swiotlb_bounced(struct device *dev, dma_addr_t addr, size_t size,
			   bool force);
/* include/trace/events/iommu.h: map, unmap (iommu.c) */
void trace_iommu_map(struct sim_machine *m, unsigned long iova,
		     phys_addr_t paddr, size_t size);
void trace_iommu_unmap(struct sim_machine *m, unsigned long iova, size_t size,
		       size_t unmapped_size);

/* DMA configuration of every PCI function at boot (src/kernel/pci/pci.c). */
int pci_dma_configure_machine(struct sim_machine *m);
/* src/kernel/sched/: HZ = 1000 */
#define NSEC_PER_JIFFY	1000000ULL
struct task_struct;
struct timer_list;
/* The calling thread's task is @p from now on (a kthread, a kworker). */
void sim_task_enter(struct task_struct *p);
/* The current task's pid and comm, for @m's trace (sched/core.c). */
int sim_trace_task(struct sim_machine *m, char *comm);	/* TASK_COMM_LEN bytes */
/* Count @p (a kthread's or kworker's task) as busy or not. */
void sim_task_set_busy(struct task_struct *p, bool busy);
/* Arm @t on @m's clock at @expires_ns (src/kernel/sched/timer.c). */
int sim_timer_list_arm(struct sim_machine *m, struct timer_list *t,
		       u64 expires_ns);
/* Cancel @t's machine timer (waits for a running callback if @sync). */
int sim_timer_list_cancel(struct timer_list *t);
/* kthreads and workqueues of @m (src/kernel/sched/workqueue.c) */
int sim_sched_init_machine(struct sim_machine *m);
void sim_sched_exit_machine(struct sim_machine *m);
/*
 * A module unloads: flush the system workqueues, and report and stop what
 * @owns says is the module's (kthreads running its function, workqueues
 * it created, delayed works of its functions).
 */
void sim_sched_module_unload(struct sim_machine *m, const char *name,
			     bool (*owns)(void *mod, const void *addr),
			     void *mod);
/* src/kernel/sched/kthread.c: report and stop; @mod/@owns as above or NULL */
void sim_kthreads_stop_all(struct sim_machine *m, const char *why,
			   bool (*owns)(void *mod, const void *addr),
			   void *mod);
/* src/kernel/sched/wait.c */
struct timespec;
void sim_realtime_deadline(struct timespec *ts, unsigned int ms);
bool sim_wait_machine(bool (*done)(void *arg),
		      bool (*block)(void *arg, unsigned int ms), void *arg,
		      u64 deadline, const char *who);
/* src/kernel/io.c */
int sim_iomap_init_machine(struct sim_machine *m);
void sim_iomap_exit_machine(struct sim_machine *m);
/*
 * Managed device resources (src/kernel/base/devres.c), the kernel's names:
 * devres_alloc_machine() is devres_alloc() on @m's allocator. Released
 * newest first by sim_device_unbind() (a driver's unbind, shutdown).
 */
int devres_init_machine(struct sim_machine *m);
void devres_exit_machine(struct sim_machine *m);
void *devres_alloc_machine(struct sim_machine *m, dr_release_t release,
			   size_t size);
int devres_release_all(struct device *dev);
/* dma-debug's part of an unbind: report what @dev left (dma/debug.c). */
void debug_dma_device_unbound(struct device *dev);

/* src/kernel/pci/pci-driver.c */
int pci_drivers_init_machine(struct sim_machine *m);
void pci_drivers_unbind_machine(struct sim_machine *m);
void pci_drivers_exit_machine(struct sim_machine *m);
/* SR-IOV (src/kernel/pci/iov.c): a VF added to or removed from the bus. */
void pci_bus_add_virtfn(struct pci_dev *pdev);
void pci_bus_remove_virtfn(struct pci_dev *pdev);
void pci_dma_deconfigure_machine(struct sim_machine *m);

#endif /* _DMASTACK_KERNEL_KERNEL_H */
