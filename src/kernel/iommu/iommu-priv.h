/* SPDX-License-Identifier: MIT */
/*
 * IOMMU hardware units, groups, domains and the iommu-dma cookie: what the
 * iommu core (iommu.c), iommu-dma (dma-iommu.c) and the machine's routing
 * share. Not installed.
 */
#ifndef _DMASTACK_IOMMU_PRIV_H
#define _DMASTACK_IOMMU_PRIV_H

#include "internal.h"
#include "hw/iommu/unit.h"
#include "pt.h"
#include "iova.h"

enum sim_iommu_mode {
	SIM_IOMMU_OFF,
	SIM_IOMMU_PASSTHROUGH,
	SIM_IOMMU_STRICT,
	SIM_IOMMU_LAZY,
};

struct sim_iommu_resv {
	u64 start, end;		/* inclusive IOVA range */
	const char *why;
};

struct cmdq_format;

/* The invalidation queue (cmdq.c): a ring in RAM and the unit's registers. */
struct sim_cmdq {
	const struct cmdq_format *fmt;
	pthread_mutex_t lock;		/* the driver's queue lock */
	struct page *pages;		/* order 1: ring, then status words */
	u8 *ring;
	u32 *status;			/* one per ring slot */
	phys_addr_t ring_phys, status_phys;
	unsigned int sw_tail;		/* driver: next free slot */
	_Atomic unsigned long syncs;
};

/* The driver's state for one unit (platform line "iommu"). */
struct sim_iommu {
	struct sim_machine *m;
	struct sim_iommu_hw *hw;	/* the unit it programs */
	char id[32];
	char format[16];
	enum sim_iommu_mode mode;
	unsigned long granule;
	unsigned int gshift;
	unsigned int va_bits;

	_Atomic unsigned long invalidations;
	_Atomic unsigned long sync_maps;	/* dma_iova_sync / iotlb_sync_map */
	struct sim_cmdq cmdq;
	struct iommu_domain *blocked;	/* the unit's blocking domain */

	/* domain ids in use */
	pthread_mutex_t did_lock;
	bool did_used[SIM_IOMMU_DIDS];

	struct sim_iommu_resv resv[4];
	unsigned int nr_resv;
	unsigned int fq_size;		/* flush queue entries */
	u64 fq_timeout_ns;		/* flush queue timeout (machine clock) */
	unsigned long guard_pfns;	/* IOVA guard frames after each range */
	/* the root table and one context table per bus */
	struct page *rt_page;
	struct page *ctx_pages[256];
};

struct iommu_group {
	int id;
	struct sim_iommu *iommu;
	struct sim_node *top;		/* bridge (or device) the group is for */
	struct iommu_domain *default_domain;
	/* what the hardware uses; changed under @lock, read lock-free */
	struct iommu_domain *_Atomic domain;
	pthread_mutex_t lock;		/* group->mutex: attach, ownership */
	void *owner;			/* DMA owner (VFIO), NULL if none */
	unsigned int nr_devices;
};

/* A lazy-mode flush queue entry: IOVA unmapped, IOTLB not yet flushed. */
struct fq_entry {
	unsigned long pfn, pages;
	u64 queued_ns;		/* machine clock at unmap */
	u64 queued_op;		/* cookie op counter at unmap */
	struct device *dev;
};

/*
 * One thread's flush queue (the kernel's are per CPU): a ring only its
 * owner appends to and, when it fills or its oldest entry has waited the
 * timeout, flushes. Other threads (the timer, an explicit flush) take
 * @lock to flush it too; they invalidate everything but leave the owner's
 * @hold newest entries queued, the IOVAs of an unmap call still under way
 * (its dma-debug bookkeeping follows the backend's unmap, as in the
 * kernel), so no IOVA is reused before that bookkeeping is done.
 */
struct iommu_fq {
	sim_spinlock_t lock;
	unsigned int head, count, hold;
	u64 freed;		/* entries ever freed: the head's number */
	/* the owner's map/unmap operations (only it writes), for windows */
	_Atomic u64 ops;
	unsigned int own_flushes;	/* under lock: tables go every few */
	struct fq_entry ring[];
};

/* the slot of threads without an index (sim_thread_id() < 0): shared */
#define IOMMU_FQ_SHARED		SIM_MAX_THREADS

#define IOMMU_DMA_OWNED_BUCKETS	256
struct iommu_dma_owned;

struct iommu_dma_cookie {
	struct iova_domain *iovad;
	unsigned long granule;
	unsigned int shift;
	bool fq;			/* lazy: unmaps go through the queues */
	unsigned int fq_size;		/* entries per queue */
	sim_spinlock_t fq_lock;		/* creating queues; window stats */
	/* by sim_thread_id(), created on the thread's first DMA operation */
	struct iommu_fq *_Atomic fqs[SIM_MAX_THREADS + 1];
	_Atomic unsigned long fq_flushes;
	/*
	 * The kernel's fq_timer: armed by an unmap when it is not pending,
	 * for fq_timeout_ns later; when it fires, every queue is flushed.
	 */
	struct sim_timer fq_timer;
	atomic_bool fq_timer_armed;
	u64 max_window_ops, max_window_ns;	/* longest stale window seen */
	unsigned long stale_hits;
	/*
	 * What iommu-dma handed out and must get back exactly once, by IOVA:
	 * coherent allocations and IOVA-API states (dma-iommu.c). A second
	 * free finds nothing there: it is reported and ignored, so the IOVA
	 * is never freed twice (the next two allocations would share it).
	 */
	sim_spinlock_t owned_lock;
	struct iommu_dma_owned *owned[IOMMU_DMA_OWNED_BUCKETS];
};

/*
 * A paging/identity/blocked domain. Domains are used from different CPUs at
 * once; the hot lock and the cookie start on their own cache lines, and the
 * allocation is padded, so two domains never share one.
 */
struct sim_domain {
	struct iommu_domain domain;
	struct sim_iommu *iommu;
	unsigned int id;
	struct io_pgtable *pgt;
	_Alignas(64) struct iommu_dma_cookie cookie;
	char pad[64];
};

static inline struct sim_domain *to_sim_domain(struct iommu_domain *d)
{
	return container_of(d, struct sim_domain, domain);
}

/* sim-iommu.c: the units' driver */
struct sim_iommu *sim_iommu_unit_create(struct sim_machine *m,
					const struct sim_iommu_cfg *cfg);
void sim_iommu_unit_destroy(struct sim_machine *m, struct sim_iommu *u);
struct sim_iommu *sim_iommu_unit_by_id(struct sim_machine *m, const char *id);
struct iommu_domain *sim_iommu_domain_alloc(struct sim_iommu *u,
					    unsigned int type);
void sim_iommu_domain_free(struct sim_machine *m, struct iommu_domain *domain);
int sim_iommu_attach_dev(struct sim_iommu *u, struct device *dev,
			 struct iommu_domain *d);

/* iommu.c */
int sim_iommu_init_machine(struct sim_machine *m, char *err, size_t errlen);
void sim_iommu_exit_machine(struct sim_machine *m);
struct sim_iommu *sim_iommu_of_dev(struct device *dev);
struct iommu_domain *iommu_get_dma_domain(struct device *dev);
size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova,
			size_t size);
size_t iommu_unmap_fast_phys(struct iommu_domain *domain, unsigned long iova,
			     size_t size, phys_addr_t *first_phys);
void iommu_iotlb_sync_range(struct iommu_domain *domain, unsigned long iova,
			    size_t size);
void iommu_flush_iotlb_all(struct iommu_domain *domain);
/* The invalidation alone: emptied tables wait for a later flush. */
void sim_iommu_flush_iotlb_all_keep(struct iommu_domain *domain);
int iommu_dma_fq_flush(struct iommu_domain *domain);
/* Translation by the hardware for a device access; -EFAULT on a fault. */
int sim_iommu_translate(struct device *dev, u64 iova, size_t len, bool write,
			phys_addr_t *phys, bool *translated,
			struct sim_bus_txn *txn);

/* cmdq.c */
int sim_cmdq_init(struct sim_iommu *u);
void sim_cmdq_fini(struct sim_iommu *u);
int sim_cmdq_inval_sync(struct sim_iommu *u, unsigned int did, u64 iova,
			u64 size, bool all);
int sim_cmdq_submit_raw(struct sim_iommu *u, u64 d0, u64 d1);
const char *sim_cmdq_name(struct sim_iommu *u);

/* dma-iommu.c */
int iommu_dma_init_domain(struct iommu_domain *domain, struct device *dev);
void iommu_dma_put_cookie(struct iommu_domain *domain);
void iommu_dma_queue_iova(struct iommu_domain *domain, struct device *dev,
			  unsigned long pfn, unsigned long pages, bool hold);
/* The lazy-window report on IOTLB hits, a bus observer (at IOMMU init). */
int iommu_dma_observe(struct sim_machine *m);
void iommu_dma_unobserve(struct sim_machine *m);

#endif /* _DMASTACK_IOMMU_PRIV_H */
