/* SPDX-License-Identifier: MIT */
/*
 * The machine (the hardware layer): RAM and CPU caches, the PCIe tree and
 * its config space, BARs, device models and MSI, timers, threads, the IOMMU
 * units, and struct sim_machine itself. Nothing here names the kernel's
 * state: it hangs off the machine as an opaque struct sim_kernel. Files of
 * src/hw/ include this and lib/lib.h only. Not installed.
 */
#ifndef _DMASTACK_HW_MACHINE_H
#define _DMASTACK_HW_MACHINE_H

#include "lib/lib.h"
#include "hw/bus.h"
#include "hw/iommu/unit.h"

struct sim_kernel;

/* ---------------------------------------------------------------- RAM --- */

/*
 * A contiguous range of RAM. The CPU view (what loads and stores see, the
 * cache) and, on machines with non-coherent DMA, the memory view (what DRAM
 * holds) and the last synchronised contents (to tell dirty lines) are
 * separate sparse host mappings.
 */
struct sim_ram_region {
	struct sim_machine *m;
	phys_addr_t base;
	u64 size;
	u8 *cpu;
	u8 *mem;		/* NULL on fully coherent machines */
	u8 *sync;
	u8 *shared;		/* confidential guest: a bit per shared page */
};

#define SIM_MAX_RAM_REGIONS	4

struct sim_ram {
	struct sim_ram_region regions[SIM_MAX_RAM_REGIONS];
	unsigned int nr_regions;
	u64 total;
	bool views;			/* mem/sync views exist */
};

int sim_ram_init(struct sim_machine *m, u64 below_4g, u64 above_4g);
void sim_ram_fini(struct sim_machine *m);
struct sim_ram_region *sim_ram_region_of(struct sim_machine *m,
					 phys_addr_t phys, size_t len);
bool sim_phys_is_ram(struct sim_machine *m, phys_addr_t phys, size_t len);
/* Pages a confidential guest shares with the host (hardware page state). */
void sim_ram_set_shared(struct sim_machine *m, phys_addr_t phys, u64 len,
			bool shared);
bool sim_ram_is_shared(struct sim_machine *m, phys_addr_t phys);

/* --------------------------------------------------------- coherence --- */
void sim_cache_clean(struct sim_machine *m, phys_addr_t phys, size_t size);
void sim_cache_inval(struct sim_machine *m, phys_addr_t phys, size_t size);
void sim_cache_flush(struct sim_machine *m, phys_addr_t phys, size_t size);
bool sim_cache_has_dirty(struct sim_machine *m, phys_addr_t phys, size_t len);
/* The uncached alias of RAM (what dma_alloc_coherent returns for a
 * non-coherent device): writes land in memory directly. */
void *sim_phys_to_uncached(struct sim_machine *m, phys_addr_t phys);
/* Device-side RAM access: snooping (coherent) or not. */
void sim_ram_dev_read(struct sim_machine *m, phys_addr_t phys, void *buf,
		      size_t len, bool coherent);
void sim_ram_dev_write(struct sim_machine *m, phys_addr_t phys,
		       const void *buf, size_t len, bool coherent);
/*
 * A device's own view of memory (the DMA check mode): the memory view of
 * RAM is what such a device sees. Push copies the CPU view of exactly
 * [phys, phys + len) to it, pull copies it back into the CPU view (both
 * leave those bytes clean); RAM only, nothing outside the range moves.
 * sim_ram_views_enable() creates the memory views on a machine that has
 * none (0, or -ENOMEM): every line the CPU wrote is then dirty, which
 * snooping devices see through, so nothing changes for them.
 */
void sim_ram_view_push(struct sim_machine *m, phys_addr_t phys, size_t len);
void sim_ram_view_pull(struct sim_machine *m, phys_addr_t phys, size_t len);
int sim_ram_views_enable(struct sim_machine *m);
/* CPU copy between two RAM ranges through the cache (memcpy on views). */
void sim_ram_cpu_copy(struct sim_machine *m, phys_addr_t dst, phys_addr_t src,
		      size_t len);

/* ---------------------------------------------------------------- PCI --- */

struct sim_bar;

/*
 * Register behaviour of a BAR owned by a device model (an NVMe controller's
 * BAR0): CPU MMIO through sim_mmio_read/write() calls these instead of
 * copying to or from the BAR's backing store, after the decode checks and
 * with no machine lock held, so a handler may perform device DMA. @off is
 * the offset in the BAR; the access never crosses its end. Return 0 or
 * -errno (passed back to the CPU access). A peer's DMA to the BAR (P2P,
 * at most 4 KiB per TLP) calls them too; an error there fails the DMA.
 */
struct sim_bar_ops {
	int (*read)(struct sim_bar *bar, u64 off, void *buf, size_t len);
	int (*write)(struct sim_bar *bar, u64 off, const void *buf, size_t len);
};

struct sim_bar {
	int index;
	u64 size;
	u64 align;		/* placement alignment, 0: @size (VF apertures) */
	bool is64;
	bool prefetch;
	phys_addr_t cpu_start;
	u8 *backing;		/* host mapping of the BAR's contents */
	const char *role;	/* "regs", "cmb", "vram", ... */
	struct sim_node *owner;	/* its function's node (set when indexed) */
	const struct sim_bar_ops *ops;	/* NULL: plain memory */
	void *ops_data;		/* the model's, for @ops */
};

/*
 * sim_bar_set_ops - let a device model own BAR @bar's register behaviour
 * (see struct sim_bar_ops); @ops NULL gives the BAR back to plain memory.
 * Set before the model's function is used from other threads. 0, -EINVAL
 * (no such memory BAR), -EBUSY (another model owns it).
 */
int sim_bar_set_ops(struct pci_dev *pdev, int bar, const struct sim_bar_ops *ops,
		    void *data);

/*
 * A device model attached to a PCI function: @release frees @data when the
 * function goes away (machine teardown), before the BARs are unmapped.
 */
struct sim_pci_model {
	void *data;
	void (*release)(struct sim_machine *m, void *data);
};

struct sim_window {
	phys_addr_t cpu_start;
	u64 size;
	u64 offset;		/* CPU address minus bus address */
	phys_addr_t next;	/* allocation cursor */
	bool is64;
	bool base_set;		/* cpu_start given by the platform text */
};

struct sim_node;

struct sim_pci_fn {
	struct pci_dev pdev;
	struct sim_node *node;
	u8 config[4096];
	u16 cfg_write_mask_cmd;
	u8 pm_cap, exp_cap, af_cap;
	u16 acs_cap;
	struct sim_bar bars[PCI_STD_NUM_BARS];
	/*
	 * SR-IOV PF: the VF BAR apertures (Linux's PCI_IOV_RESOURCES), one
	 * per VF BAR, NumVFs VF BARs in a row; never decoded themselves.
	 */
	struct sim_bar iov_bars[PCI_STD_NUM_BARS];
	u16 sriov_cap;			/* its extended capability, 0 none */
	/*
	 * SR-IOV VF: @vf_absent while the PF's VF Enable is clear or the VF's
	 * index is >= NumVFs (no function answers at its routing ID);
	 * @vf_nomse while the PF's VF MSE is clear (its BARs do not decode).
	 * Written with the PF's registers (config lock held), read whole
	 * without a lock by the router and BAR decode. Always false on a PF
	 * or an ordinary function.
	 */
	bool vf_absent, vf_nomse;
	pci_power_t d_state;		/* PMCSR power state (D0, D3hot) */
	bool in_reset;
	unsigned long flr_count;
	sim_pci_notifier_fn notify;
	void *notify_data;
	unsigned long events;
	struct pci_p2pdma *p2pdma;	/* src/kernel/pci/p2pdma.c, NULL until init */
	struct sim_pci_model model;	/* device model, if one is attached */
	struct sim_model_dev *mdev;	/* model bound by platform text */
};

/*
 * What a peer's TLP looks at while the config mechanism writes: the
 * command register, the power state and the reset flag are single
 * hardware registers, read and written whole (atomically), so the router
 * needs no lock to see either the old or the new value.
 */
typedef u16 __attribute__((may_alias)) cfg_u16_alias;

static inline u16 sim_pci_fn_command(const struct sim_pci_fn *fn)
{
	return __atomic_load_n((const cfg_u16_alias *)(fn->config + PCI_COMMAND),
			       __ATOMIC_ACQUIRE);
}

static inline void sim_pci_fn_set_command(struct sim_pci_fn *fn, u16 v)
{
	__atomic_store_n((cfg_u16_alias *)(fn->config + PCI_COMMAND), v,
			 __ATOMIC_RELEASE);
}

static inline pci_power_t sim_pci_fn_d_state(const struct sim_pci_fn *fn)
{
	return __atomic_load_n(&fn->d_state, __ATOMIC_ACQUIRE);
}

static inline bool sim_pci_fn_in_reset(const struct sim_pci_fn *fn)
{
	return __atomic_load_n(&fn->in_reset, __ATOMIC_ACQUIRE);
}

/* Is there a function at all (false: a VF its PF has not enabled)? */
static inline bool sim_pci_fn_present(const struct sim_pci_fn *fn)
{
	return !__atomic_load_n(&fn->vf_absent, __ATOMIC_ACQUIRE);
}

/* Is a VF's memory space off in its PF (VF MSE clear)? */
static inline bool sim_pci_fn_vf_nomse(const struct sim_pci_fn *fn)
{
	return __atomic_load_n(&fn->vf_nomse, __ATOMIC_ACQUIRE);
}

/* Why a VF does not decode, for reports: "" when that is not why. */
static inline const char *sim_pci_fn_vf_note(const struct sim_pci_fn *fn)
{
	return !sim_pci_fn_present(fn) ? ", VF not enabled" :
	       sim_pci_fn_vf_nomse(fn) ? ", VF MSE clear in its PF" : "";
}

/* ------------------------------------------ device models and MSI --- */

/*
 * A function's MSI capability (src/hw/msi.c): its registers live in config
 * space at @cap; @lock serialises the function's raises and the driver's
 * writes of them (config space has no lock of its own). What a raise needs
 * of the rest of the function is mirrored here by the config hooks
 * (@master, @d0), and the pending bits live here (config reads see them
 * through sim_msi_cfg_read()), so a raise touches no config byte that the
 * config-space code writes without this lock.
 */
struct sim_msi {
	pthread_mutex_t lock;
	bool master;		/* bus mastering on */
	bool d0;		/* in D0 (not D3hot) */
	u8 cap;			/* 0: no MSI */
	unsigned int nvec;	/* vectors the function is capable of */
	u32 pending;		/* MSI pending bits */
	/* MSI-X: capability at @xcap, table and PBA in BAR @xbar */
	u8 xcap;		/* 0: no MSI-X */
	unsigned int xnvec;
	int xbar;
	u64 xtable, xpba;	/* their offsets in the BAR */
	u32 *xentries;		/* 4 dwords per vector: addr lo/hi, data, ctrl */
	u64 *xpending;		/* the PBA */
};

/* An instance of a model bound to a function (src/hw/model.c). */
struct sim_model_dev {
	struct sim_machine *m;
	struct sim_pci_fn *fn;
	const struct sim_model *model;
	void *priv;
	char **keys, **vals;	/* the model's keys of its platform line */
	unsigned int nr_params;
	bool realized;		/* init succeeded: exit is owed */
	char error[160];
	struct sim_msi msi;
};

/* Where the MSI address window is (the x86 interrupt address range). */
#define SIM_MSI_ADDR_BASE	0xfee00000ULL
#define SIM_MSI_ADDR_SIZE	0x100000ULL

/*
 * The machine's interrupt controller, registered by the kernel's IRQ layer:
 * @deliver runs the handlers of the message (@addr, @data) synchronously;
 * @release frees @data at machine teardown. Hardware calls them through
 * these pointers only.
 */
struct sim_msi_controller {
	void (*deliver)(struct sim_machine *m, u64 addr, u32 data, void *ctl);
	void (*release)(struct sim_machine *m, void *ctl);
};

/* 0, -EEXIST (@ops is registered already), -EBUSY (another controller). */
int sim_msi_set_controller(struct sim_machine *m,
			   const struct sim_msi_controller *ops, void *data);
/* The data registered with @ops, NULL if @ops is not the controller. */
void *sim_msi_controller_data(struct sim_machine *m,
			      const struct sim_msi_controller *ops);
void sim_msi_fini(struct sim_machine *m);
void sim_msi_install(struct sim_model_dev *md, unsigned int nvec);
int sim_msix_install(struct sim_model_dev *md, unsigned int nvec, int bar,
		     u64 offset);
void sim_msix_free(struct sim_model_dev *md);
/*
 * CPU MMIO to a BAR of a model's function (src/hw/pci.c): 0 or -EIO
 * when the MSI-X table or PBA took it, -ENOENT when it is not theirs.
 */
int sim_msix_mmio(struct sim_model_dev *md, int bar, u64 off, void *buf,
		  size_t len, bool write);
void sim_msi_reset(struct sim_model_dev *md);
void sim_msi_set_state(struct sim_model_dev *md, bool master, bool d0);
/* A config read of a model's function: the MSI pending bits overlaid. */
void sim_msi_cfg_read(struct sim_model_dev *md, int where, int size,
		      void *val);
bool sim_msi_cfg_write(struct sim_model_dev *md, const u8 *img, int where,
		       int size);
/* Send the pending vectors that can be sent now (no config lock held). */
void sim_msi_flush_pending(struct sim_model_dev *md);

/* Models (src/hw/model.c): lookup and binding from the platform parser. */
/* A number with an optional K/M/G/T suffix; 0, -EINVAL or -ERANGE. */
int sim_parse_size(const char *s, u64 *out);
int sim_models_check(struct sim_machine *m, char *err, size_t errlen);
const struct sim_model *sim_model_find(struct sim_machine *m,
				       const char *name);
bool sim_model_has_param(const struct sim_model *model, const char *key);
int sim_model_bind(struct sim_machine *m, struct sim_node *node,
		   const struct sim_model *model, char **keys, char **vals,
		   unsigned int nr);
int sim_model_bind_kind(struct sim_machine *m, struct sim_node *node,
			char *err, size_t errlen);
int sim_models_realize(struct sim_machine *m, char *err, size_t errlen);
/* Config-space events of a model's function (src/hw/pci.c). */
void sim_model_cfg_command(struct sim_model_dev *md, u16 old, u16 new_cmd);
void sim_model_cfg_power(struct sim_model_dev *md, pci_power_t old,
			 pci_power_t new_state);
void sim_model_cfg_reset(struct sim_model_dev *md, enum sim_model_reset how);

struct sim_hostbridge {
	struct sim_window win32, win64;
	bool p2p_allow;
	u64 dma_offset;			/* cpu = dma + dma_offset for DRAM */
	u64 dma_limit;			/* bus_dma_limit of devices below */
	struct bus_dma_region dma_map[2];
	u8 busnr;
	u16 domain;			/* the PCI segment */
	unsigned int index;		/* among the host bridges (BAR placement) */
	char iommu_id[32];
	struct sim_iommu_hw *iommu;	/* the unit translating for it, if any */
};

struct sim_node {
	enum sim_node_kind kind;
	char id[48];
	char kindname[16];		/* platform kind: nvme, gpu, ... */
	int line;			/* platform text line */
	struct sim_node *parent;
	struct sim_node *first_child, *next_sibling;
	struct sim_node *last_child;	/* appending stays O(1) */
	struct sim_node *hash_next;	/* m->node_hash chain */
	struct sim_node *hb;		/* owning host bridge */
	unsigned int depth;
	u16 acs_ctrl;			/* downstream ports and root ports */
	u8 secondary_bus;
	struct sim_hostbridge *hostbridge;	/* HOSTBRIDGE only */
	struct sim_pci_fn *fn;		/* every PCI function */
	/* endpoint properties */
	unsigned int dma_bits;
	bool coherent;
	bool untrusted;
	bool flr;
	bool vendor_set, device_set;	/* vendor=, device= on the line */
	unsigned int dsp_count;		/* SWITCH_UP: downstream ports made */
	/* SR-IOV: a PF's VFs follow it in m->nodes, siblings on its link */
	unsigned int nr_vfs;		/* PF: NumVFs */
	u16 vf_offset, vf_stride;	/* PF: First VF Offset, VF Stride */
	u16 vf_device;			/* PF: VF Device ID */
	unsigned int vfs_enabled;	/* PF: NumVFs enabled at boot */
	struct sim_node *pf;		/* VF: its physical function */
	unsigned int vf_index;		/* VF: 0 .. nr_vfs - 1 */
};

/* Per-device machine state (dev->sim_state). */
struct sim_dev_state {
	struct sim_node *node;
	struct sim_machine *m;
	const char *id;
};

/* ------------------------------------------------------------ machine --- */
struct dma_debug;
struct io_tlb_mem;

/* What the hardware counts: CPU cache maintenance, device accesses. */
struct sim_stats {
	_Atomic unsigned long cache_ops;
	_Atomic unsigned long long dev_bytes;
	_Atomic unsigned long dev_reads, dev_writes, p2p_accesses;
	_Atomic unsigned long dma_access_errors;
};

struct sim_iommu_cfg {
	char id[32];
	char format[16];
	char mode[16];
	u64 granule;
	unsigned int iotlb_entries;	/* power of two */
	unsigned int fq_size;		/* lazy flush queue entries */
	u64 fq_timeout_ns;
	unsigned long guard_pfns;	/* IOVA guard granules */
	int line;
	int segment;			/* the PCI segment it serves, -1 none yet */
};

struct sim_iommu;
struct iommu_group;

/* ------------------------------------------------------------ threads --- */

/* Threads of one machine that get a per-thread index (the per-CPU analogue). */
#define SIM_MAX_THREADS		128

/* Direct-mapped hints from the thread pointer to the thread's index. */
#define SIM_THREAD_HINTS	256

struct sim_thread {
	struct sim_machine *m;
	int id;				/* 0..SIM_MAX_THREADS - 1, or -1 */
	_Atomic uintptr_t tp;		/* holder's thread pointer, 0 if free */
};

struct sim_timer_base {
	pthread_mutex_t lock;
	pthread_cond_t idle;		/* signalled when @running ends */
	pthread_mutex_t advance;
	struct sim_timer *head, *tail;	/* sorted by (expires, seq) */
	u64 seq;
	struct sim_timer *running;	/* whose callback runs now */
	_Atomic uintptr_t advancer;	/* thread moving the clock, 0 none */
};

/* The calling thread stops naming @m as its current machine (hw/current.c). */
void sim_current_forget(struct sim_machine *m);

void sim_timers_init(struct sim_machine *m);
void sim_timers_fini(struct sim_machine *m);

/* One thread's allocation counters (struct sim_machine.alloc_shard). */
struct sim_alloc_shard {
	_Alignas(64) _Atomic unsigned long count;	/* allocations made */
	_Atomic long live;		/* made less freed, by this thread */
};

struct sim_machine {
	char name[64];
	char arch[16];
	bool coherent;			/* default for devices */
	unsigned int ncpus;
	unsigned int phys_bits;
	bool confidential;		/* swiotlb force=yes */
	/*
	 * machine dma-check=strict: devices start in the DMA check mode
	 * (dma-debug gives each coherent device its own view of memory for
	 * its streaming mappings; see sim_dma_check_set()).
	 */
	bool dma_check;

	struct sim_ram ram;
	u64 ram_below_4g, ram_above_4g;

	/* swiotlb */
	u64 swiotlb_size;
	unsigned int swiotlb_areas;
	bool swiotlb_force;

	/* topology */
	pthread_mutex_t topo_lock;
	struct sim_node **nodes;
	unsigned int nr_nodes, cap_nodes;
	struct sim_node **node_hash;	/* by id, chained; cap_nodes buckets */
	/* every BAR by CPU address, built once they are placed (sim_bar_find) */
	struct sim_bar **bar_index;
	unsigned int nr_bar_index;
	struct sim_node **hostbridges;	/* in platform order, with bar_index */
	unsigned int nr_hostbridges;
	struct device **devices;	/* endpoints, in platform order */
	unsigned int nr_devices;
	struct sim_iommu_cfg iommus[8];
	unsigned int nr_iommus;
	struct sim_iommu_hw **iommu_hw;	/* the units (src/hw/iommu/unit.c) */
	unsigned int nr_iommu_hw;
	_Atomic u64 clock_ns;		/* machine time (src/hw/timer.c) */
	struct sim_timer_base timers;

	/* device models the program registered (sim_machine_opts) */
	const struct sim_model *const *models;
	/* the interrupt controller (src/hw/msi.c) */
	sim_spinlock_t msi_ctl_lock;
	const struct sim_msi_controller *msi_ctl;
	void *msi_ctl_data;
	_Atomic unsigned long msi_lost;	/* sent with no controller */

	/*
	 * Allocation statistics, per thread (by sim_thread_id(), the last
	 * for threads without one) and summed when read: the allocation
	 * path writes only its thread's line. Fault injection counts its own
	 * sequence, only while armed.
	 */
	struct sim_alloc_shard alloc_shard[SIM_MAX_THREADS + 1];
	_Atomic unsigned long fail_at;	/* the armed allocation, 1-based; 0 none */
	_Atomic unsigned long fail_seq;	/* allocations since arming */
	_Atomic bool fail_triggered;
	bool constructed;

	struct sim_report_log log;
	struct sim_stats stats;
	char text_name[64];


	/* the bus observers (src/hw/bus.c) */
	struct sim_bus bus;
	/* the kernel running on it */
	struct sim_kernel *kernel;

	/* threads (thread.c) */
	pthread_key_t thread_key;
	bool thread_key_ok;
	bool membarrier;		/* visitor fence is membarrier(2) */
	pthread_mutex_t thread_lock;
	u64 thread_used[SIM_MAX_THREADS / 64];
	struct sim_thread thread_none;
	struct sim_thread threads[SIM_MAX_THREADS];
	struct sim_thread *_Atomic thread_hint[SIM_THREAD_HINTS];
};

void sim_threads_init(struct sim_machine *m);
void sim_threads_fini(struct sim_machine *m);
int sim_thread_id_slow(struct sim_machine *m);
void sim_fence_visitor(struct sim_machine *m);
void sim_threads_set_membarrier(struct sim_machine *m, bool on);

/* The calling thread's identity while it lives: its TCB address. */
bool sim_clock_moving_here(struct sim_machine *m);
/* When the machine's next timer is due (false: none is armed). */
bool sim_clock_next_expiry(struct sim_machine *m, u64 *expires);

static inline uintptr_t sim_thread_pointer(void)
{
#if defined(__has_builtin) && __has_builtin(__builtin_thread_pointer)
	return (uintptr_t)__builtin_thread_pointer();
#else
	return (uintptr_t)pthread_self();
#endif
}

static inline unsigned int sim_thread_hint_slot(uintptr_t tp)
{
	return (unsigned int)(((u64)tp * 0x9e3779b97f4a7c15ULL) >> 56) &
	       (SIM_THREAD_HINTS - 1);
}

/*
 * sim_thread_id - the calling thread's index in @m, -1 if it has none
 * (more than SIM_MAX_THREADS threads use the machine at once). Stable
 * until the thread exits. The common case is a hint-table hit keyed by
 * the thread pointer (two loads, no call); a miss asks the pthread key.
 */
static inline int sim_thread_id(struct sim_machine *m)
{
	uintptr_t tp = sim_thread_pointer();
	struct sim_thread *t;

	t = atomic_load_explicit(&m->thread_hint[sim_thread_hint_slot(tp)],
				 memory_order_relaxed);
	if (likely(t) && likely(atomic_load_explicit(&t->tp,
						     memory_order_relaxed) == tp))
		return t->id;
	return sim_thread_id_slow(m);
}

/*
 * sim_fence_owner - the light side of the handshake (see thread.c): a
 * compiler barrier when visitors use membarrier, else a full fence.
 */
static inline void sim_fence_owner(struct sim_machine *m)
{
	if (likely(m->membarrier))
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/*
 * sim_fail_armed - is a fail-Nth injection pending? A relaxed load: a
 * layer that recycles objects without the allocator (the IOVA tree's node
 * pool) asks sim_should_fail_alloc() only then, so that an injection
 * still reaches each object it hands out while its hot path takes no
 * locked instruction otherwise.
 */
static inline bool sim_fail_armed(struct sim_machine *m)
{
	return atomic_load_explicit(&m->fail_at, memory_order_relaxed) != 0;
}

/*
 * Add @d to a counter of the calling thread's allocation shard: a plain
 * relaxed update, since only the thread writes its shard; threads without
 * an index share the last one, with a locked add.
 */
static inline void sim_alloc_shard_add(struct sim_machine *m, bool live,
				       long d)
{
	int id = sim_thread_id(m);

	if (likely(id >= 0)) {
		struct sim_alloc_shard *sh = &m->alloc_shard[id];

		if (live)
			atomic_store_explicit(&sh->live,
					      atomic_load_explicit(&sh->live,
								   memory_order_relaxed) + d,
					      memory_order_relaxed);
		else
			atomic_store_explicit(&sh->count,
					      atomic_load_explicit(&sh->count,
								   memory_order_relaxed) + (unsigned long)d,
					      memory_order_relaxed);
	} else if (live) {
		atomic_fetch_add(&m->alloc_shard[SIM_MAX_THREADS].live, d);
	} else {
		atomic_fetch_add(&m->alloc_shard[SIM_MAX_THREADS].count,
				 (unsigned long)d);
	}
}

/* A live allocation more (@d 1) or less (-1), for sim_alloc_live(). */
static inline void sim_alloc_live_add(struct sim_machine *m, long d)
{
	sim_alloc_shard_add(m, true, d);
}

/* Leak accounting starts again from zero (a constructed machine). */
void sim_alloc_live_reset(struct sim_machine *m);

/* Machine construction pieces. */
struct sim_machine *sim_machine_alloc(void);
int sim_platform_parse(struct sim_machine *m, const char *text, char *err,
		       size_t errlen);
int sim_machine_finalize(struct sim_machine *m, char *err, size_t errlen);
void sim_hw_destroy(struct sim_machine *m);

void sim_topology_fini(struct sim_machine *m);
int sim_pci_assign(struct sim_machine *m, char *err, size_t errlen);
struct sim_node *sim_node_new(struct sim_machine *m, enum sim_node_kind kind,
			      const char *id, struct sim_node *parent);
struct sim_node *sim_node_of_dev(struct device *dev);

/* The hardware function behind a PCI function's struct device. */
static inline struct sim_pci_fn *sim_fn_of_dev(struct device *dev)
{
	return container_of(dev, struct pci_dev, dev)->sim;
}
struct sim_bar *sim_bar_find(struct sim_machine *m, phys_addr_t cpu,
			     size_t len, struct sim_node **owner);
bool sim_bar_decodes(struct sim_node *node);
/*
 * Data of one access to @owner's @bar at @off, after the decode checks:
 * the MSI-X table, the model's register handlers, or the backing store.
 * CPU MMIO and peer DMA both come here, so a peer's doorbell write reaches
 * the model as the CPU's would. No machine lock held. 0 or -errno.
 */
int sim_bar_io(struct sim_node *owner, struct sim_bar *bar, u64 off,
	       void *buf, size_t len, bool write);
u64 sim_bar_bus_addr(const struct sim_node *owner, const struct sim_bar *bar);
int sim_pci_fn_init(struct sim_machine *m, struct sim_node *node);
/* Configuration requests and the bridge's bus reset (src/hw/pci.c). */
int sim_pci_cfg_read(struct sim_pci_fn *fn, int where, int size, u32 *val);
int sim_pci_cfg_write(struct sim_pci_fn *fn, int where, int size, u32 val,
		      sim_spinlock_t *lock);
pci_power_t sim_pci_fn_power(const struct sim_pci_fn *fn);
int sim_pci_secondary_bus_reset(struct sim_pci_fn *bridge,
				sim_spinlock_t *lock);
void sim_pci_fn_fini(struct sim_machine *m, struct sim_node *node);

int sim_iommu_translate(struct device *dev, u64 iova, size_t len, bool write,
			phys_addr_t *phys, bool *translated,
			struct sim_bus_txn *txn);

#endif /* _DMASTACK_HW_MACHINE_H */
