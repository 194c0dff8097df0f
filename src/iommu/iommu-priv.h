/* SPDX-License-Identifier: MIT */
/*
 * IOMMU hardware units, groups, domains and the iommu-dma cookie: what the
 * iommu core (iommu.c), iommu-dma (dma-iommu.c) and the machine's routing
 * share. Not installed.
 */
#ifndef _DMASTACK_IOMMU_PRIV_H
#define _DMASTACK_IOMMU_PRIV_H

#include "../internal.h"
#include "pt.h"
#include "iova.h"

enum sim_iommu_mode {
	SIM_IOMMU_OFF,
	SIM_IOMMU_PASSTHROUGH,
	SIM_IOMMU_STRICT,
	SIM_IOMMU_LAZY,
};

struct iotlb_entry {
	u64 tag;		/* domain id << 48 | iova page frame, 0 = empty */
	phys_addr_t phys;	/* output page */
	int prot;
	unsigned int gen;	/* the domain's flush generation at fill */
};

struct sim_iommu_resv {
	u64 start, end;		/* inclusive IOVA range */
	const char *why;
};

/* One hardware unit (platform line "iommu"). */
struct sim_iommu {
	struct sim_machine *m;
	char id[32];
	char format[16];
	enum sim_iommu_mode mode;
	unsigned long granule;
	unsigned int gshift;
	unsigned int va_bits;

	pthread_mutex_t tlb_lock;
	struct iotlb_entry *tlb;	/* direct-mapped, tlb_entries slots */
	unsigned int tlb_entries;
	_Atomic unsigned long invalidations, faults, tlb_hits, tlb_misses;
	_Atomic unsigned long sync_maps;	/* dma_iova_sync / iotlb_sync_map */
	_Atomic unsigned int next_domain_id;

	struct sim_iommu_resv resv[4];
	unsigned int nr_resv;
	unsigned int fq_size;		/* flush queue entries */
	u64 fq_timeout_ns;		/* flush queue timeout (machine clock) */
	unsigned long guard_pfns;	/* IOVA guard frames after each range */
};

struct iommu_group {
	int id;
	struct sim_iommu *iommu;
	struct sim_node *top;		/* bridge (or device) the group is for */
	struct iommu_domain *default_domain;
	struct iommu_domain *domain;
	unsigned int nr_devices;
};

/* A lazy-mode flush queue entry: IOVA unmapped, IOTLB not yet flushed. */
struct fq_entry {
	unsigned long pfn, pages;
	u64 queued_ns;		/* machine clock at unmap */
	u64 queued_op;		/* cookie op counter at unmap */
	struct device *dev;
};

struct iommu_dma_cookie {
	struct iova_domain *iovad;
	unsigned long granule;
	unsigned int shift;
	bool fq;			/* lazy: unmaps go through the queue */
	pthread_spinlock_t fq_lock;
	struct fq_entry *fq_ring;
	unsigned int fq_head, fq_count, fq_size;
	_Atomic u64 ops;		/* map/unmap operations, for windows */
	_Atomic unsigned long fq_flushes;
	u64 max_window_ops, max_window_ns;	/* longest stale window seen */
	unsigned long stale_hits;
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
	_Alignas(64) pthread_spinlock_t lock;	/* page-table updates (short) */
	_Atomic unsigned int tlb_gen;	/* bumped by a flush-all */
	_Alignas(64) struct iommu_dma_cookie cookie;
	char pad[64];
};

static inline struct sim_domain *to_sim_domain(struct iommu_domain *d)
{
	return container_of(d, struct sim_domain, domain);
}

/* iommu.c */
int sim_iommu_init_machine(struct sim_machine *m, char *err, size_t errlen);
void sim_iommu_exit_machine(struct sim_machine *m);
struct sim_iommu *sim_iommu_of_dev(struct device *dev);
size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova,
			size_t size);
size_t iommu_unmap_fast_phys(struct iommu_domain *domain, unsigned long iova,
			     size_t size, phys_addr_t *first_phys);
void iommu_iotlb_sync_range(struct iommu_domain *domain, unsigned long iova,
			    size_t size);
void iommu_flush_iotlb_all(struct iommu_domain *domain);
int iommu_dma_fq_flush(struct iommu_domain *domain);
void iommu_dma_fq_timer(struct iommu_domain *domain);
/* Translation by the hardware for a device access; -EFAULT on a fault. */
int sim_iommu_translate(struct device *dev, u64 iova, size_t len, bool write,
			phys_addr_t *phys, bool *translated, bool *reported);

/* dma-iommu.c */
int iommu_dma_init_domain(struct iommu_domain *domain, struct device *dev);
void iommu_dma_put_cookie(struct iommu_domain *domain);
void iommu_dma_queue_iova(struct iommu_domain *domain, struct device *dev,
			  unsigned long pfn, unsigned long pages);

#endif /* _DMASTACK_IOMMU_PRIV_H */
