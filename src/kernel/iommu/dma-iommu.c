// SPDX-License-Identifier: MIT
/*
 * iommu-dma (drivers/iommu/dma-iommu.c): the DMA API on top of an IOMMU
 * DMA domain.
 *
 * Streaming mappings allocate IOVA (32-bit space first for PCI devices),
 * map the granules covering the buffer and return the IOVA plus the
 * buffer's offset. Untrusted devices bounce buffers that do not fill whole
 * granules through swiotlb, with the padding zeroed, so they never see
 * neighbouring bytes. DMA_ATTR_MMIO maps with IOMMU_MMIO and is never
 * bounced. On unmap a strict domain invalidates the IOTLB at once; a lazy
 * (flush-queue) domain queues the IOVA and flushes when the queue is full
 * or its timeout expires, leaving the window the device model can hit.
 *
 * The two-step IOVA API allocates IOVA once (dma_iova_try_alloc), links
 * physical ranges into it without IOTLB maintenance (dma_iova_link), syncs
 * the IOTLB once (dma_iova_sync) and tears it all down in one go
 * (dma_iova_destroy), as the kernel's implementation does.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "iommu-priv.h"
#include "kernel/dma/dma.h"

/* The DMA API works on the default domain, whatever is attached. */
static inline struct iommu_domain *dma_domain(struct device *dev)
{
	return iommu_get_dma_domain(dev);
}

static inline struct iommu_dma_cookie *cookie_of(struct iommu_domain *d)
{
	return d->iova_cookie;
}

static inline size_t iova_offset(struct iommu_dma_cookie *c, u64 addr)
{
	return (size_t)(addr & (c->granule - 1));
}

static inline u64 iova_align(struct iommu_dma_cookie *c, u64 size)
{
	return ALIGN(size, (u64)c->granule);
}

static inline u64 iova_align_down(struct iommu_dma_cookie *c, u64 addr)
{
	return ALIGN_DOWN(addr, (u64)c->granule);
}

static inline bool dev_is_untrusted(struct device *dev)
{
	return dev_is_pci(dev) &&
	       container_of(dev, struct pci_dev, dev)->untrusted;
}

/* Untrusted devices bounce what does not fill whole granules. */
static bool dev_use_swiotlb(struct device *dev, size_t size,
			    enum dma_data_direction dir)
{
	(void)size;
	(void)dir;
	return dev_is_untrusted(dev) && is_swiotlb_active(dev);
}

static bool iova_unaligned(struct iommu_dma_cookie *c, phys_addr_t phys,
			   size_t size)
{
	return iova_offset(c, phys | size) != 0;
}

/* ------------------------------------------------------------------------ */
/* What was handed out: coherent allocations and IOVA states, by IOVA       */
/* ------------------------------------------------------------------------ */

enum iommu_dma_own_kind {
	OWN_COHERENT,		/* iommu_dma_alloc() */
	OWN_IOVA_STATE,		/* dma_iova_try_alloc() */
};

struct iommu_dma_owned {
	struct iommu_dma_owned *next;
	dma_addr_t iova;	/* granule-aligned start */
	size_t size;		/* granule-aligned */
	phys_addr_t phys;	/* OWN_COHERENT: the pages */
	/*
	 * OWN_IOVA_STATE: the state it was allocated into. A state freed
	 * already whose IOVA went to another state since must not free that
	 * one's: the state is known by where it is, as dma-debug knows it.
	 */
	const struct dma_iova_state *state;
	enum iommu_dma_own_kind kind;
};

static inline struct iommu_dma_owned **
owned_bucket(struct iommu_dma_cookie *c, dma_addr_t iova)
{
	return &c->owned[(iova >> c->shift) % IOMMU_DMA_OWNED_BUCKETS];
}

/* Record @o (filled in) as handed out. Takes owned_lock. */
static void owned_add(struct iommu_dma_cookie *c, struct iommu_dma_owned *o)
{
	struct iommu_dma_owned **b = owned_bucket(c, o->iova);

	sim_spin_lock(&c->owned_lock);
	o->next = *b;
	*b = o;
	sim_spin_unlock(&c->owned_lock);
}

/*
 * Take back what was handed out at @iova as @kind (into @state): the
 * record, now the caller's to free, or NULL if nothing is (freed already,
 * never allocated). Takes owned_lock.
 */
static struct iommu_dma_owned *owned_take(struct iommu_dma_cookie *c,
					  dma_addr_t iova,
					  enum iommu_dma_own_kind kind,
					  const struct dma_iova_state *state)
{
	struct iommu_dma_owned **pp, *o;

	sim_spin_lock(&c->owned_lock);
	for (pp = owned_bucket(c, iova); (o = *pp); pp = &o->next)
		if (o->iova == iova && o->kind == kind && o->state == state) {
			*pp = o->next;
			break;
		}
	sim_spin_unlock(&c->owned_lock);
	return o;
}

/*
 * A record, from plain malloc: it is the checker's state, not the kernel's,
 * and failing it by injection would change which paths the kernel's
 * allocations take (an IOVA-API user would fall back to streaming maps).
 */
static struct iommu_dma_owned *owned_new(void)
{
	return calloc(1, sizeof(struct iommu_dma_owned));
}

/* At domain teardown: the records of what was never given back. */
static void owned_free_all(struct iommu_dma_cookie *c)
{
	for (unsigned int i = 0; i < IOMMU_DMA_OWNED_BUCKETS; i++)
		while (c->owned[i]) {
			struct iommu_dma_owned *o = c->owned[i];

			c->owned[i] = o->next;
			free(o);
		}
}

/* ------------------------------------------------------------------------ */
/* Cookie: the IOVA space and the flush queue                               */
/* ------------------------------------------------------------------------ */

static void fq_timer_fn(struct sim_timer *t, void *data);

/**
 * iommu_dma_init_domain - give a DMA domain its IOVA space (once per domain)
 *
 * Reserves the unit's reserved regions and the bus addresses of @dev's host
 * bridge windows (so no IOVA can alias a peer BAR: iova_reserve_pci_windows).
 * A DMA_FQ domain also gets its flush queue. Returns 0 or -ENOMEM.
 */
int iommu_dma_init_domain(struct iommu_domain *domain, struct device *dev)
{
	struct sim_domain *sd = to_sim_domain(domain);
	struct iommu_dma_cookie *c = &sd->cookie;
	struct sim_iommu *u = sd->iommu;
	struct sim_machine *m = dev->sim;
	struct sim_hostbridge *hb = sim_node_of_dev(dev)->hb->hostbridge;

	if (domain->iova_cookie)
		return 0;
	c->granule = u->granule;
	c->shift = u->gshift;
	c->iovad = iova_domain_create(m, u->granule, 1, u->guard_pfns);
	if (!c->iovad)
		return -ENOMEM;
	for (unsigned int i = 0; i < u->nr_resv; i++)
		if (reserve_iova(c->iovad, u->resv[i].start >> c->shift,
				 u->resv[i].end >> c->shift))
			goto err_free;
	for (int k = 0; k < 2; k++) {
		struct sim_window *w = k ? &hb->win64 : &hb->win32;
		u64 bus = w->cpu_start - w->offset;

		if (!w->size || bus + w->size - 1 > domain->geometry.aperture_end)
			continue;
		if (reserve_iova(c->iovad, bus >> c->shift,
				 (bus + w->size - 1) >> c->shift))
			goto err_free;
	}
	if (domain->type == IOMMU_DOMAIN_DMA_FQ) {
		c->fq_size = u->fq_size;
		c->fq = true;
		sim_timer_init(m, &c->fq_timer, fq_timer_fn, domain);
	}
	sim_spin_lock_init(&c->fq_lock);
	sim_spin_lock_init(&c->owned_lock);
	domain->iova_cookie = c;
	return 0;

err_free:
	iova_domain_destroy(c->iovad);
	c->iovad = NULL;
	return -ENOMEM;
}

void iommu_dma_put_cookie(struct iommu_domain *domain)
{
	struct sim_domain *sd = to_sim_domain(domain);
	struct iommu_dma_cookie *c = &sd->cookie;

	if (!domain->iova_cookie)
		return;
	if (c->fq)
		sim_timer_cancel(&c->fq_timer);
	for (unsigned int i = 0; i <= IOMMU_FQ_SHARED; i++)
		sim_kfree(sd->iommu->m, atomic_load(&c->fqs[i]));
	owned_free_all(c);
	iova_domain_destroy(c->iovad);
	domain->iova_cookie = NULL;
}

/* The calling thread's queue slot (the shared one for a thread without). */
static inline unsigned int fq_slot(struct sim_machine *m)
{
	int id = sim_thread_id(m);

	return id < 0 ? IOMMU_FQ_SHARED : (unsigned int)id;
}

/* The calling thread's queue, created on first use; NULL without memory. */
static struct iommu_fq *fq_get(struct sim_domain *sd)
{
	struct iommu_dma_cookie *c = &sd->cookie;
	struct sim_machine *m = sd->iommu->m;
	unsigned int slot = fq_slot(m);
	struct iommu_fq *fq = atomic_load_explicit(&c->fqs[slot],
						   memory_order_acquire);

	if (likely(fq))
		return fq;
	/* whole cache lines: another thread's queue never shares one */
	fq = sim_kzalloc_aligned(m, ALIGN(sizeof(*fq) + c->fq_size *
					  sizeof(fq->ring[0]), 64), 64);
	if (!fq)
		return NULL;
	sim_spin_lock_init(&fq->lock);
	sim_spin_lock(&c->fq_lock);
	/* an index handed over from an exited thread keeps its queue */
	if (atomic_load(&c->fqs[slot])) {
		sim_kfree(m, fq);
		fq = atomic_load(&c->fqs[slot]);
	} else {
		atomic_store_explicit(&c->fqs[slot], fq, memory_order_release);
	}
	sim_spin_unlock(&c->fq_lock);
	return fq;
}

/*
 * Operations on the domain, to say how long a lazy window stayed open:
 * counted per thread in its queue (only the owner writes it, so threads
 * share no line), and a window is the operations of the thread that
 * queued the entry since then (a single thread's count is every
 * operation after its first lazy unmap).
 */
static inline void count_op(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *c = cookie_of(domain);
	struct iommu_fq *fq;

	if (!c->fq)
		return;
	/* no queue yet: nothing of this thread's is queued to count for */
	fq = atomic_load_explicit(&c->fqs[fq_slot(to_sim_domain(domain)->iommu->m)],
				  memory_order_acquire);
	if (likely(fq))
		atomic_store_explicit(&fq->ops,
				      atomic_load_explicit(&fq->ops,
							   memory_order_relaxed) + 1,
				      memory_order_relaxed);
}

/*
 * Give the first @n entries of @fq back (the IOTLB was flushed after they
 * were queued). fq->lock held. The IOVAs go to the calling thread's cache.
 */
static void fq_free_locked(struct iommu_dma_cookie *c, struct iommu_fq *fq,
			   unsigned int n)
{
	while (n--) {
		struct fq_entry *e = &fq->ring[fq->head];

		free_iova_fast(c->iovad, e->pfn, e->pages);
		fq->head = (fq->head + 1) % c->fq_size;
		fq->count--;
		fq->freed++;
	}
}

/*
 * Of the flushes a full (or timed-out) queue makes on its owner's unmap,
 * one in this many also frees the page tables unmaps emptied: a table a
 * busy thread empties and refills between flushes is not freed and made
 * again each time. Every other flush (the timer's, iommu_dma_fq_flush(),
 * a strict unmap's) frees them.
 */
#define FQ_RECLAIM_EVERY	4

/* The owner flushes its own queue: invalidate once, free every entry. */
static void fq_flush_own_locked(struct iommu_domain *domain,
				struct iommu_fq *fq)
{
	struct iommu_dma_cookie *c = cookie_of(domain);

	if (!fq->count)
		return;
	if (++fq->own_flushes % FQ_RECLAIM_EVERY)
		sim_iommu_flush_iotlb_all_keep(domain);
	else
		iommu_flush_iotlb_all(domain);
	atomic_fetch_add(&c->fq_flushes, 1);
	__atomic_store_n(&fq->hold, 0, __ATOMIC_RELAXED);
	fq_free_locked(c, fq, fq->count);
}

/*
 * Flush every queue from any thread: note what each queue holds, invalidate
 * once, then free what was noted, but for its owner's unmap still under
 * way (see struct iommu_fq); the calling thread has none under way. What
 * is queued after the note waits for the next flush: the invalidation may
 * not cover it. Returns the entries left queued.
 */
static unsigned int fq_flush_all(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *c = cookie_of(domain);
	unsigned int self = fq_slot(to_sim_domain(domain)->iommu->m), left = 0;
	u64 upto[IOMMU_FQ_SHARED + 1];	/* free entries numbered below */
	bool any = false;

	for (unsigned int i = 0; i <= IOMMU_FQ_SHARED; i++) {
		struct iommu_fq *fq = atomic_load(&c->fqs[i]);

		upto[i] = 0;
		if (!fq)
			continue;
		sim_spin_lock(&fq->lock);
		if (i == self)
			__atomic_store_n(&fq->hold, 0, __ATOMIC_RELAXED);
		upto[i] = fq->freed + fq->count - min(fq->hold, fq->count);
		any |= fq->count != 0;
		sim_spin_unlock(&fq->lock);
	}
	if (!any)
		return 0;
	iommu_flush_iotlb_all(domain);
	atomic_fetch_add(&c->fq_flushes, 1);
	for (unsigned int i = 0; i <= IOMMU_FQ_SHARED; i++) {
		struct iommu_fq *fq = atomic_load(&c->fqs[i]);

		if (!fq)
			continue;
		sim_spin_lock(&fq->lock);
		/* the owner may have flushed them itself meanwhile */
		if (upto[i] > fq->freed)
			fq_free_locked(c, fq, (unsigned int)min(upto[i] - fq->freed,
							       (u64)fq->count));
		left += fq->count;
		sim_spin_unlock(&fq->lock);
	}
	return left;
}

int iommu_dma_fq_flush(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *c = cookie_of(domain);

	if (!c || !c->fq)
		return -EINVAL;
	fq_flush_all(domain);
	return 0;
}

/* Arm the flush-queue timer fq_timeout_ns from now, unless it is pending. */
static void fq_timer_arm(struct sim_domain *sd)
{
	struct iommu_dma_cookie *c = &sd->cookie;

	if (atomic_load_explicit(&c->fq_timer_armed, memory_order_relaxed) ||
	    atomic_exchange(&c->fq_timer_armed, true))
		return;
	sim_timer_arm(sd->iommu->m, &c->fq_timer,
		      sim_clock_now(sd->iommu->m) + sd->iommu->fq_timeout_ns);
}

/*
 * The flush-queue timer (a machine timer, on the thread that moves the
 * clock): flush every queue, as the kernel's fq_flush_timeout() does, and
 * wait again for what an unmap under way still holds.
 */
static void fq_timer_fn(struct sim_timer *t, void *data)
{
	struct iommu_domain *domain = data;
	struct sim_domain *sd = to_sim_domain(domain);
	struct iommu_dma_cookie *c = &sd->cookie;

	(void)t;
	atomic_store(&c->fq_timer_armed, false);
	if (fq_flush_all(domain))
		fq_timer_arm(sd);
}

/**
 * iommu_dma_queue_iova - lazy unmap: queue the IOVA until an IOTLB flush
 * @hold: the caller's dma-debug bookkeeping for this unmap is still to come;
 *        iommu_dma_unmap_done() ends the hold
 */
void iommu_dma_queue_iova(struct iommu_domain *domain, struct device *dev,
			  unsigned long pfn, unsigned long pages, bool hold)
{
	struct sim_domain *sd = to_sim_domain(domain);
	struct iommu_dma_cookie *c = &sd->cookie;
	u64 now = atomic_load(&sd->iommu->m->clock_ns);
	struct iommu_fq *fq = fq_get(sd);
	struct fq_entry *e;

	if (unlikely(!fq)) {
		/* no queue: invalidate at once, as a strict domain does */
		iommu_iotlb_sync_range(domain, pfn << c->shift,
				       pages << c->shift);
		free_iova_fast(c->iovad, pfn, pages);
		return;
	}
	sim_spin_lock(&fq->lock);
	if (fq->count &&
	    now - fq->ring[fq->head].queued_ns >= sd->iommu->fq_timeout_ns)
		fq_flush_own_locked(domain, fq);
	if (fq->count == c->fq_size)
		fq_flush_own_locked(domain, fq);
	e = &fq->ring[(fq->head + fq->count) % c->fq_size];
	e->pfn = pfn;
	e->pages = pages;
	e->queued_ns = now;
	e->queued_op = atomic_load_explicit(&fq->ops, memory_order_relaxed);
	e->dev = dev;
	fq->count++;
	if (hold)	/* written under the lock, read without it by the owner */
		__atomic_store_n(&fq->hold, fq->hold + 1, __ATOMIC_RELAXED);
	sim_spin_unlock(&fq->lock);
	fq_timer_arm(sd);
}

/**
 * iommu_dma_unmap_done - the unmap call's dma-debug bookkeeping is done
 * @dev: the device it unmapped for
 *
 * What the calling thread queued with a hold may now be freed by any flush.
 */
void iommu_dma_unmap_done(struct device *dev)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c = domain ? cookie_of(domain) : NULL;
	struct iommu_fq *fq;

	if (!c || !c->fq)
		return;
	fq = atomic_load_explicit(&c->fqs[fq_slot(dev->sim)],
				  memory_order_acquire);
	if (!fq || !__atomic_load_n(&fq->hold, __ATOMIC_RELAXED))
		return;
	sim_spin_lock(&fq->lock);
	__atomic_store_n(&fq->hold, 0, __ATOMIC_RELAXED);
	sim_spin_unlock(&fq->lock);
}

/*
 * A translation the IOTLB still holds although the page table no longer
 * has it: the lazy window. Report it with how long it has been open.
 */
static void report_stale(struct device *dev, struct sim_domain *sd, u64 iova,
			 size_t len, bool write)
{
	struct iommu_dma_cookie *c = &sd->cookie;
	struct sim_machine *m = dev->sim;
	u64 now = atomic_load(&m->clock_ns);
	unsigned long pfn = iova >> sd->iommu->gshift;
	bool found = false;
	u64 w_ops = 0, w_ns = 0;

	for (unsigned int q = 0; q <= IOMMU_FQ_SHARED; q++) {
		struct iommu_fq *fq = atomic_load(&c->fqs[q]);

		if (!fq)
			continue;
		sim_spin_lock(&fq->lock);
		for (unsigned int i = 0; i < fq->count; i++) {
			struct fq_entry *e =
				&fq->ring[(fq->head + i) % c->fq_size];

			if (pfn >= e->pfn && pfn < e->pfn + e->pages) {
				w_ops = atomic_load_explicit(&fq->ops,
							     memory_order_relaxed) -
					e->queued_op;
				w_ns = now - e->queued_ns;
				found = true;
			}
		}
		sim_spin_unlock(&fq->lock);
	}
	sim_spin_lock(&c->fq_lock);
	c->stale_hits++;
	if (w_ops > c->max_window_ops)
		c->max_window_ops = w_ops;
	if (w_ns > c->max_window_ns)
		c->max_window_ns = w_ns;
	sim_spin_unlock(&c->fq_lock);
	if (found)
		sim_report(m, SIM_REPORT_DMA_DEBUG, dev, iova, len,
			   "DMA-API: %s %s: device %s IOVA %#llx+%zu after it was unmapped, through a stale IOTLB entry (lazy mode: unmapped %llu DMA operations and %llu ns ago, still waiting in the flush queue)",
			   dev_driver_string(dev), dev_name(dev),
			   write ? "writes" : "reads", (unsigned long long)iova,
			   len, (unsigned long long)w_ops,
			   (unsigned long long)w_ns);
	else
		sim_report(m, SIM_REPORT_DMA_DEBUG, dev, iova, len,
			   "DMA-API: %s %s: device %s IOVA %#llx+%zu through a stale IOTLB entry: the page table no longer maps it and no invalidation was issued",
			   dev_driver_string(dev), dev_name(dev),
			   write ? "writes" : "reads", (unsigned long long)iova,
			   len);
}

/*
 * The bus observer for IOMMU translations: an IOTLB hit is compared with
 * what the page table (as this driver keeps it) says now. A difference is
 * a device using a translation the driver took away: reported once per
 * device access, with dma-debug's reports (one group).
 */
static bool iommu_dma_bus_translated(struct sim_bus_observer *o,
				     const struct sim_bus_translation *t,
				     bool spoke)
{
	struct device *dev = t->txn->dev;
	struct iommu_domain *domain;
	struct sim_domain *sd;
	phys_addr_t walk;
	int wprot;
	bool stale;

	if (!t->iotlb_hit)
		return false;
	domain = iommu_get_domain_for_dev(dev);
	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
		return false;
	sd = to_sim_domain(domain);
	stale = io_pgtable_lookup(sd->pgt, t->iova, &walk, &wprot, NULL) ||
		walk != t->out || wprot != t->prot;
	if (!stale)
		return false;
	/* one report per access: the stale use says it all */
	if (!spoke)
		report_stale(dev, sd, t->addr, t->len, t->txn->write);
	return true;
}

static const struct sim_bus_observer_ops iommu_dma_observer_ops = {
	.translated = iommu_dma_bus_translated,
};

/* Observe the machine's IOMMU translations (at IOMMU init). */
int iommu_dma_observe(struct sim_machine *m)
{
	m->kernel->iommu_dma_obs.ops = &iommu_dma_observer_ops;
	m->kernel->iommu_dma_obs.group = SIM_BUS_GROUP_DMA_API;
	return sim_bus_observer_add(m, &m->kernel->iommu_dma_obs);
}

void iommu_dma_unobserve(struct sim_machine *m)
{
	sim_bus_observer_del(m, &m->kernel->iommu_dma_obs);
}

/* ------------------------------------------------------------------------ */
/* IOVA allocation                                                          */
/* ------------------------------------------------------------------------ */

static dma_addr_t iommu_dma_alloc_iova(struct iommu_domain *domain,
				       size_t size, u64 dma_limit,
				       struct device *dev)
{
	struct iommu_dma_cookie *c = cookie_of(domain);
	unsigned long shift = c->shift, iova_len = size >> shift, iova = 0;

	dma_limit = min_not_zero(dma_limit, dev->bus_dma_limit);
	if (domain->geometry.force_aperture)
		dma_limit = min(dma_limit, (u64)domain->geometry.aperture_end);
	/* Try to get PCI devices a SAC (32-bit) address first. */
	if (dma_limit > DMA_BIT_MASK(32) && dev_is_pci(dev))
		iova = alloc_iova_fast(c->iovad, iova_len,
				       DMA_BIT_MASK(32) >> shift, false);
	if (!iova)
		iova = alloc_iova_fast(c->iovad, iova_len, dma_limit >> shift,
				       true);
	return (dma_addr_t)iova << shift;
}

static void iommu_dma_free_iova(struct iommu_domain *domain, struct device *dev,
				dma_addr_t iova, size_t size, bool queued,
				bool hold)
{
	struct iommu_dma_cookie *c = cookie_of(domain);

	if (queued)
		iommu_dma_queue_iova(domain, dev, iova >> c->shift,
				     size >> c->shift, hold);
	else
		free_iova_fast(c->iovad, iova >> c->shift, size >> c->shift);
}

/*
 * Unmap IOVA, then invalidate now (strict) or queue it (lazy). Returns what
 * the mapping's first byte translated to (0 if it was not mapped). @hold:
 * the caller's dma-debug unmap comes after this (dma_unmap_phys(), as in
 * the kernel), so a lazy IOVA stays queued until iommu_dma_unmap_done().
 */
static phys_addr_t __iommu_dma_unmap(struct device *dev, dma_addr_t dma_addr,
				     size_t size, bool hold)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c = cookie_of(domain);
	size_t iova_off = iova_offset(c, dma_addr);
	phys_addr_t phys = 0;
	size_t unmapped;

	count_op(domain);
	dma_addr -= iova_off;
	size = iova_align(c, size + iova_off);
	unmapped = iommu_unmap_fast_phys(domain, dma_addr, size, &phys);
	if (unmapped != size)
		SIM_WARN(dev->sim, dev,
			 "%s %s: iommu-dma unmapped %zu of %zu bytes at IOVA %#llx",
			 dev_driver_string(dev), dev_name(dev), unmapped, size,
			 (unsigned long long)dma_addr);
	if (!c->fq)
		iommu_iotlb_sync_range(domain, dma_addr, size);
	iommu_dma_free_iova(domain, dev, dma_addr, size, c->fq, hold);
	return phys ? phys + iova_off : 0;
}

static dma_addr_t __iommu_dma_map(struct device *dev, phys_addr_t phys,
				  size_t size, int prot, u64 dma_mask)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c = cookie_of(domain);
	size_t iova_off = iova_offset(c, phys);
	dma_addr_t iova;

	if (dma_get_min_align_mask(dev) > c->granule - 1) {
		SIM_WARN(dev->sim, dev, "%s %s: Unsupported alignment constraint",
			 dev_driver_string(dev), dev_name(dev));
		return DMA_MAPPING_ERROR;
	}
	count_op(domain);
	size = iova_align(c, size + iova_off);
	iova = iommu_dma_alloc_iova(domain, size, dma_mask, dev);
	if (!iova)
		return DMA_MAPPING_ERROR;
	if (iommu_map(domain, iova, phys - iova_off, size, prot, GFP_ATOMIC)) {
		iommu_dma_free_iova(domain, dev, iova, size, false, false);
		return DMA_MAPPING_ERROR;
	}
	return iova + iova_off;
}

/*
 * Bounce for an untrusted device: whole granules of swiotlb, the bytes
 * around the buffer zeroed, so nothing else in those granules is visible.
 */
static phys_addr_t iommu_dma_map_swiotlb(struct device *dev, phys_addr_t phys,
					 size_t size,
					 enum dma_data_direction dir,
					 unsigned long attrs)
{
	struct iommu_dma_cookie *c = cookie_of(dma_domain(dev));
	struct sim_machine *m = dev->sim;
	phys_addr_t tlb;

	if (!is_swiotlb_active(dev)) {
		SIM_WARN(m, dev, "%s %s: DMA bounce buffers are inactive, unable to map unaligned transaction.",
			 dev_driver_string(dev), dev_name(dev));
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}
	tlb = __swiotlb_tbl_map_single(dev, phys, size,
				       iova_align(c, size + iova_offset(c, phys)),
				       (unsigned int)(c->granule - 1), dir, attrs);
	if (tlb != (phys_addr_t)DMA_MAPPING_ERROR && dev_is_untrusted(dev)) {
		u8 *virt = sim_phys_to_virt(m, tlb);
		u64 start = iova_align_down(c, tlb);
		u64 end = tlb + size;

		memset(virt - (tlb - start), 0, tlb - start);
		memset(virt + size, 0, iova_align(c, end) - end);
		/* The device reads the zeroes, not stale lines. */
		sim_cache_clean(m, start, iova_align(c, end) - start);
	}
	return tlb;
}

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

dma_addr_t iommu_dma_map_phys(struct device *dev, phys_addr_t phys,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs)
{
	bool coherent = dev_is_dma_coherent(dev);
	int prot = dma_info_to_prot(dir, coherent, attrs);
	struct iommu_dma_cookie *c = cookie_of(dma_domain(dev));
	dma_addr_t iova;

	if (dev_use_swiotlb(dev, size, dir) && iova_unaligned(c, phys, size)) {
		if (attrs & DMA_ATTR_MMIO)
			return DMA_MAPPING_ERROR;
		phys = iommu_dma_map_swiotlb(dev, phys, size, dir, attrs);
		if (phys == (phys_addr_t)DMA_MAPPING_ERROR)
			return DMA_MAPPING_ERROR;
	}
	if (!coherent && !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO)))
		arch_sync_dma_for_device(dev, phys, size, dir);
	iova = __iommu_dma_map(dev, phys, size, prot, dma_get_mask(dev));
	if (iova == DMA_MAPPING_ERROR && !(attrs & DMA_ATTR_MMIO) &&
	    is_swiotlb_buffer(dev, phys))
		swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs);
	return iova;
}

/* @hold: called by dma_unmap_phys(), whose dma-debug unmap comes after */
static void __iommu_dma_unmap_phys(struct device *dev, dma_addr_t dma_handle,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs, bool hold)
{
	phys_addr_t phys;

	if (attrs & DMA_ATTR_MMIO) {
		__iommu_dma_unmap(dev, dma_handle, size, hold);
		return;
	}
	/* One walk finds the buffer and clears the PTEs; the CPU side of
	 * the unmap (cache maintenance, bounce back) follows. */
	phys = __iommu_dma_unmap(dev, dma_handle, size, hold);
	if (!phys) {
		SIM_WARN(dev->sim, dev, "%s %s: unmap of IOVA %#llx which is not mapped",
			 dev_driver_string(dev), dev_name(dev),
			 (unsigned long long)dma_handle);
		return;
	}
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) && !dev_is_dma_coherent(dev))
		arch_sync_dma_for_cpu(dev, phys, size, dir);
	if (unlikely(is_swiotlb_buffer(dev, phys)))
		swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs);
}

void iommu_dma_unmap_phys(struct device *dev, dma_addr_t dma_handle,
			  size_t size, enum dma_data_direction dir,
			  unsigned long attrs)
{
	__iommu_dma_unmap_phys(dev, dma_handle, size, dir, attrs, true);
}

void iommu_dma_sync_single_for_cpu(struct device *dev, dma_addr_t dma_handle,
				   size_t size, enum dma_data_direction dir)
{
	phys_addr_t phys;

	if (dev_is_dma_coherent(dev) && !dev_use_swiotlb(dev, size, dir))
		return;
	phys = iommu_iova_to_phys(dma_domain(dev), dma_handle);
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_cpu(dev, phys, size, dir);
	if (is_swiotlb_buffer(dev, phys))
		swiotlb_sync_single_for_cpu(dev, phys, size, dir);
}

void iommu_dma_sync_single_for_device(struct device *dev,
				      dma_addr_t dma_handle, size_t size,
				      enum dma_data_direction dir)
{
	phys_addr_t phys;

	if (dev_is_dma_coherent(dev) && !dev_use_swiotlb(dev, size, dir))
		return;
	phys = iommu_iova_to_phys(dma_domain(dev), dma_handle);
	if (is_swiotlb_buffer(dev, phys))
		swiotlb_sync_single_for_device(dev, phys, size, dir);
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_device(dev, phys, size, dir);
}

/* ------------------------------------------------------------------------ */
/* Scatterlists: one contiguous IOVA range for the whole list                */
/* ------------------------------------------------------------------------ */

void iommu_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
			       int nelems, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	if (sgl->dma_flags & SG_DMA_SWIOTLB) {
		for_each_sg(sgl, sg, nelems, i)
			iommu_dma_sync_single_for_cpu(dev, sg_dma_address(sg),
						      sg->length, dir);
	} else if (!dev_is_dma_coherent(dev)) {
		for_each_sg(sgl, sg, nelems, i)
			arch_sync_dma_for_cpu(dev, sg_phys(sg), sg->length, dir);
	}
}

void iommu_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sgl,
				  int nelems, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	if (sgl->dma_flags & SG_DMA_SWIOTLB) {
		for_each_sg(sgl, sg, nelems, i)
			iommu_dma_sync_single_for_device(dev, sg_dma_address(sg),
							 sg->length, dir);
	} else if (!dev_is_dma_coherent(dev)) {
		for_each_sg(sgl, sg, nelems, i)
			arch_sync_dma_for_device(dev, sg_phys(sg), sg->length,
						 dir);
	}
}

/*
 * Write the DMA side of the list: segments that follow each other in IOVA
 * without padding merge into one DMA segment while it stays within the
 * maximum segment size and does not start a new segment-boundary window.
 * The layout pass parked each segment's offset into its first granule in
 * sg_dma_address and its padded IOVA length in sg_dma_len.
 */
static int finalise_sg(struct device *dev, struct scatterlist *sg, int nents,
		       dma_addr_t dma_addr)
{
	unsigned long seg_mask = dma_get_seg_boundary(dev);
	unsigned int max_len = dma_get_max_seg_size(dev), cur_len = 0;
	struct scatterlist *s, *cur = sg;
	int i, count = 0;

	for_each_sg(sg, s, nents, i) {
		dma_addr_t s_dma_addr = sg_dma_address(s);
		unsigned int s_iova_off = (unsigned int)sg_dma_address(s);
		unsigned int s_iova_len = sg_dma_len(s);
		unsigned int s_length = s->length;

		sg_dma_address(s) = DMA_MAPPING_ERROR;
		sg_dma_len(s) = 0;
		/* A P2P bus address: its own DMA segment, no IOVA used. */
		if (sg_dma_is_bus_address(s)) {
			if (i > 0)
				cur = sg_next(cur);
			sg_dma_unmark_bus_address(s);
			sg_dma_address(cur) = s_dma_addr;
			sg_dma_len(cur) = s_iova_len;
			sg_dma_mark_bus_address(cur);
			count++;
			cur_len = 0;
			continue;
		}
		if (cur_len && !s_iova_off && (dma_addr & seg_mask) &&
		    max_len - cur_len >= s_length) {
			cur_len += s_length;
		} else {
			if (i > 0)
				cur = sg_next(cur);
			cur_len = s_length;
			count++;
			sg_dma_address(cur) = dma_addr + s_iova_off;
		}
		sg_dma_len(cur) = cur_len;
		dma_addr += s_iova_len;
		/* Padding after this segment: the next cannot merge into it. */
		if (s_length + s_iova_off < s_iova_len)
			cur_len = 0;
	}
	return count;
}

static void invalidate_sg(struct scatterlist *sg, int nents)
{
	struct scatterlist *s;
	int i;

	for_each_sg(sg, s, nents, i) {
		sg_dma_address(s) = DMA_MAPPING_ERROR;
		sg_dma_len(s) = 0;
	}
}

static int iommu_dma_map_sg_swiotlb(struct device *dev, struct scatterlist *sg,
				    int nents, enum dma_data_direction dir,
				    unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	struct pci_p2pdma_map_state p2pdma_state = {};
	int ret = -EIO;

	sg->dma_flags |= SG_DMA_SWIOTLB;
	for_each_sg(sg, s, nents, i) {
		unsigned long a = attrs;

		/*
		 * The kernel's swiotlb list path maps P2PDMA pages like RAM;
		 * here they keep their P2P treatment, so MMIO is never
		 * bounced: bus-address segments bypass the IOMMU, host-bridge
		 * ones are mapped as MMIO (and fail if not granule aligned).
		 */
		switch (pci_p2pdma_state(&p2pdma_state, dev, sg_page(s))) {
		case PCI_P2PDMA_MAP_BUS_ADDR:
			sg_map_p2p_bus_addr(s, &p2pdma_state);
			continue;
		case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
			a |= DMA_ATTR_MMIO;
			break;
		case PCI_P2PDMA_MAP_NONE:
			break;
		default:
			ret = -EREMOTEIO;
			goto out_unmap;
		}
		sg_dma_address(s) = iommu_dma_map_phys(dev, sg_phys(s), s->length,
						       dir, a);
		if (sg_dma_address(s) == DMA_MAPPING_ERROR)
			goto out_unmap;
		sg_dma_len(s) = s->length;
	}
	return nents;

out_unmap:
	for (struct scatterlist *t = sg; t != s; t = sg_next(t)) {
		if (sg_dma_is_bus_address(t)) {
			sg_dma_unmark_bus_address(t);
			continue;
		}
		__iommu_dma_unmap_phys(dev, sg_dma_address(t), sg_dma_len(t),
				       dir, attrs | DMA_ATTR_SKIP_CPU_SYNC |
				       (is_pci_p2pdma_page(sg_page(t)) ?
						DMA_ATTR_MMIO : 0), false);
	}
	sg->dma_flags &= ~SG_DMA_SWIOTLB;
	return ret;
}

/**
 * iommu_dma_map_sg - map a whole scatterlist into one IOVA range
 *
 * Returns the number of DMA segments, or -EINVAL/-ENOMEM/-EIO with nothing
 * left mapped and the list restored.
 */
int iommu_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents,
		     enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c = cookie_of(domain);
	int prot = dma_info_to_prot(dir, dev_is_dma_coherent(dev), attrs);
	int prot_mmio = dma_info_to_prot(dir, dev_is_dma_coherent(dev),
					 attrs | DMA_ATTR_MMIO);
	unsigned long mask = dma_get_seg_boundary(dev);
	struct scatterlist *s, *prev = NULL;
	struct pci_p2pdma_map_state p2pdma_state = {};
	size_t iova_len = 0, mapped = 0;
	dma_addr_t iova;
	int i, ret;

	if (dev_use_swiotlb(dev, 0, dir)) {
		for_each_sg(sg, s, nents, i)
			if (iova_unaligned(c, sg_phys(s), s->length))
				return iommu_dma_map_sg_swiotlb(dev, sg, nents,
								dir, attrs);
	}
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		iommu_dma_sync_sg_for_device(dev, sg, nents, dir);

	/*
	 * Lay the segments out back to back in IOVA, each padded to whole
	 * granules. The offset into the first granule comes from the physical
	 * address: pages (4K) may be smaller than the IOMMU granule.
	 * P2PDMA pages: a bus-address segment takes no IOVA (finalise_sg()
	 * copies its address through), one through the host bridge gets IOVA
	 * mapped IOMMU_MMIO, one the topology cannot carry fails the list.
	 */
	for_each_sg(sg, s, nents, i) {
		size_t s_iova_off = iova_offset(c, sg_phys(s));
		size_t s_iova_len = iova_align(c, s->length + s_iova_off);
		size_t pad_len = (mask - iova_len + 1) & mask;

		switch (pci_p2pdma_state(&p2pdma_state, dev, sg_page(s))) {
		case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		case PCI_P2PDMA_MAP_NONE:
			break;
		case PCI_P2PDMA_MAP_BUS_ADDR:
			sg_map_p2p_bus_addr(s, &p2pdma_state);
			continue;
		default:
			ret = -EREMOTEIO;
			goto out_restore_sg;
		}
		sg_dma_address(s) = s_iova_off;
		/* Keep a segment from straddling the device's boundary. */
		if (pad_len && pad_len < s_iova_len - 1 && prev) {
			sg_dma_len(prev) += (unsigned int)pad_len;
			iova_len += pad_len;
		}
		sg_dma_len(s) = (unsigned int)s_iova_len;
		iova_len += s_iova_len;
		prev = s;
	}
	if (!iova_len)
		return finalise_sg(dev, sg, nents, 0);

	count_op(domain);
	iova = iommu_dma_alloc_iova(domain, iova_len, dma_get_mask(dev), dev);
	if (!iova) {
		ret = -ENOMEM;
		goto out_restore_sg;
	}
	for_each_sg(sg, s, nents, i) {
		if (sg_dma_is_bus_address(s))
			continue;
		ret = iommu_map(domain, iova + mapped,
				sg_phys(s) - sg_dma_address(s), sg_dma_len(s),
				is_pci_p2pdma_page(sg_page(s)) ? prot_mmio : prot,
				GFP_ATOMIC);
		if (ret)
			goto out_unmap;
		mapped += sg_dma_len(s);
	}
	return finalise_sg(dev, sg, nents, iova);

out_unmap:
	if (mapped)
		iommu_unmap(domain, iova, mapped);
	iommu_dma_free_iova(domain, dev, iova, iova_len, false, false);
out_restore_sg:
	for_each_sg(sg, s, nents, i)
		sg_dma_unmark_bus_address(s);
	invalidate_sg(sg, nents);
	if (ret != -ENOMEM && ret != -EREMOTEIO)
		return -EINVAL;
	return ret;
}

void iommu_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	dma_addr_t end = 0, start = DMA_MAPPING_ERROR;
	struct scatterlist *tmp;
	int i;

	if (sg->dma_flags & SG_DMA_SWIOTLB) {
		for_each_sg(sg, tmp, nents, i) {
			if (sg_dma_is_bus_address(tmp)) {
				sg_dma_unmark_bus_address(tmp);
				continue;
			}
			__iommu_dma_unmap_phys(dev, sg_dma_address(tmp),
					       sg_dma_len(tmp), dir,
					       is_pci_p2pdma_page(sg_page(tmp)) ?
						       attrs | DMA_ATTR_MMIO :
						       attrs, false);
		}
		sg->dma_flags &= ~SG_DMA_SWIOTLB;
		return;
	}
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		iommu_dma_sync_sg_for_cpu(dev, sg, nents, dir);
	/*
	 * One contiguous IOVA range: find where it starts and ends. P2P
	 * bus-address segments have no IOVA; they are only unmarked.
	 */
	for_each_sg(sg, tmp, nents, i) {
		if (sg_dma_is_bus_address(tmp)) {
			sg_dma_unmark_bus_address(tmp);
			continue;
		}
		if (sg_dma_len(tmp) == 0)
			break;
		if (start == DMA_MAPPING_ERROR)
			start = sg_dma_address(tmp);
		end = sg_dma_address(tmp) + sg_dma_len(tmp);
	}
	if (start != DMA_MAPPING_ERROR && end)
		__iommu_dma_unmap(dev, start, end - start, false);
}

/* ------------------------------------------------------------------------ */
/* Allocations                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Allocations through the IOMMU come in whole IOMMU granules: the mapping
 * covers whole granules, so anything smaller would let the device see the
 * rest of the granule (other allocations' memory) on 16K/64K granules.
 * A buddy block of that order is naturally aligned, hence granule-aligned.
 */
static unsigned int iommu_alloc_order(struct device *dev, size_t size)
{
	struct iommu_dma_cookie *c = cookie_of(dma_domain(dev));

	return (unsigned int)get_order(iova_align(c, ALIGN(size, PAGE_SIZE)));
}

/*
 * Coherent memory through the IOMMU: physically contiguous whole granules
 * from any zone (the IOMMU gives the addressing), uncached alias for a
 * non-coherent device, mapped for the coherent mask.
 */
void *iommu_dma_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		      gfp_t gfp, unsigned long attrs)
{
	struct sim_machine *m = dev->sim;
	struct iommu_dma_cookie *c = cookie_of(dma_domain(dev));
	bool coherent = dev_is_dma_coherent(dev);
	int prot = dma_info_to_prot(DMA_BIDIRECTIONAL, coherent, attrs);
	struct iommu_dma_owned *o;
	unsigned int order;
	struct page *page;
	phys_addr_t phys;
	dma_addr_t iova;

	order = iommu_alloc_order(dev, size);
	size = PAGE_SIZE << order;
	if (order > MAX_PAGE_ORDER)
		return NULL;
	o = owned_new();
	if (!o)
		return NULL;
	page = sim_alloc_pages_gfp(m, gfp & ~__GFP_ZERO, order, 0);
	if (!page)
		goto err_free_owned;
	phys = page_to_phys(page);
	memset(page_address(page), 0, size);
	if (!coherent)
		sim_cache_flush(m, phys, size);
	iova = __iommu_dma_map(dev, phys, size, prot, dev->coherent_dma_mask);
	if (iova == DMA_MAPPING_ERROR)
		goto err_free_pages;
	o->iova = iova;
	o->size = size;
	o->phys = phys;
	o->kind = OWN_COHERENT;
	owned_add(c, o);
	*handle = iova;
	return coherent ? page_address(page) : sim_phys_to_uncached(m, phys);

err_free_pages:
	sim_free_pages(m, page, order);
err_free_owned:
	free(o);
	return NULL;
}

/*
 * The allocation at @handle goes, as it was made (its size and pages, so
 * a wrong size or CPU address frees nothing else). One that is not there
 * (freed already, or never allocated) is left alone: dma-debug reported it
 * when it is on, a WARN here when it is off; the IOVA is never freed twice.
 */
void iommu_dma_free(struct device *dev, size_t size, void *cpu_addr,
		    dma_addr_t handle)
{
	struct sim_machine *m = dev->sim;
	struct iommu_dma_cookie *c = cookie_of(dma_domain(dev));
	struct iommu_dma_owned *o;

	o = owned_take(c, handle, OWN_COHERENT, NULL);
	if (!o) {
		if (!dma_debug_on(m))
			SIM_WARN(m, dev,
				 "dma_free_attrs: %s %s: no coherent allocation at IOVA %#llx (%p, %zu bytes): freed already or never allocated: ignored",
				 dev_driver_string(dev), dev_name(dev),
				 (unsigned long long)handle, cpu_addr, size);
		return;
	}
	__iommu_dma_unmap(dev, o->iova, o->size, false);
	sim_free_pages(m, sim_phys_to_page(m, o->phys),
		       (unsigned int)get_order(o->size));
	free(o);
}

/*
 * dma_alloc_pages() through the IOMMU, as dma_common_alloc_pages(): pages
 * from anywhere, mapped like a streaming mapping (so an untrusted device
 * gets bounced sub-granule memory and the owner syncs, as the API requires).
 */
struct page *iommu_dma_alloc_pages(struct device *dev, size_t size,
				   dma_addr_t *handle,
				   enum dma_data_direction dir, gfp_t gfp)
{
	struct sim_machine *m = dev->sim;
	unsigned int order = (unsigned int)get_order(size);
	struct page *page;
	dma_addr_t iova;

	if (order > MAX_PAGE_ORDER)
		return NULL;
	page = sim_alloc_pages_gfp(m, gfp & ~__GFP_ZERO, order, 0);
	if (!page)
		return NULL;
	memset(page_address(page), 0, PAGE_SIZE << order);
	iova = iommu_dma_map_phys(dev, page_to_phys(page), size, dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
	if (iova == DMA_MAPPING_ERROR) {
		sim_free_pages(m, page, order);
		return NULL;
	}
	*handle = iova;
	return page;
}

void iommu_dma_free_pages(struct device *dev, size_t size, struct page *page,
			  dma_addr_t handle, enum dma_data_direction dir)
{
	__iommu_dma_unmap_phys(dev, handle, size, dir, DMA_ATTR_SKIP_CPU_SYNC,
			       false);
	sim_free_pages(dev->sim, page, (unsigned int)get_order(size));
}

/*
 * The sg_table of an iommu_dma_alloc() allocation: its pages are physically
 * contiguous, found from the CPU address (cached or uncached alias).
 */
int iommu_dma_get_sgtable(struct device *dev, struct sg_table *sgt,
			  void *cpu_addr, dma_addr_t dma_addr, size_t size,
			  unsigned long attrs)
{
	phys_addr_t phys = sim_virt_to_phys(dev->sim, cpu_addr);
	struct page *page;

	(void)dma_addr;
	(void)attrs;
	if (phys == (phys_addr_t)-1 ||
	    !(page = sim_phys_to_page(dev->sim, phys)))
		return -ENXIO;
	return dma_contig_sgtable(sgt, page, size);
}

/* ------------------------------------------------------------------------ */
/* Non-contiguous allocations                                               */
/* ------------------------------------------------------------------------ */

/* The table of an allocation and its pages, one per PAGE_SIZE. */
struct dma_sgt_handle {
	struct sg_table sgt;
	struct page **pages;
	unsigned int count;
};

static inline struct dma_sgt_handle *sgt_handle(struct sg_table *sgt)
{
	return container_of(sgt, struct dma_sgt_handle, sgt);
}

/* Free the blocks behind @pages[0, @count): each block's head has its order. */
static void iommu_dma_free_blocks(struct sim_machine *m, struct page **pages,
				  unsigned int count)
{
	unsigned int i = 0;

	while (i < count) {
		unsigned int order = pages[i]->order;

		sim_free_pages(m, pages[i], order);
		i += 1U << order;
	}
}

/*
 * Fill @pages with @count pages in zeroed blocks of the orders of
 * @order_mask: the largest that fits what is left first, smaller ones when
 * the allocator has none (__iommu_dma_alloc_pages()). 0, or -ENOMEM with
 * nothing allocated.
 */
static int iommu_dma_alloc_blocks(struct sim_machine *m, struct page **pages,
				  unsigned int count, unsigned long order_mask,
				  gfp_t gfp)
{
	unsigned int i = 0;

	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_ZERO);
	while (i < count) {
		unsigned int left = count - i, order;
		/* orders whose block still fits in what is left */
		unsigned long mask = order_mask &
				     ((2UL << (31 - __builtin_clz(left))) - 1);
		struct page *page = NULL;

		while (mask && !page) {
			order = 63 - (unsigned int)__builtin_clzl(mask);
			page = sim_alloc_pages_gfp(m, gfp, order, 0);
			mask &= ~(1UL << order);
		}
		if (!page) {
			iommu_dma_free_blocks(m, pages, i);
			return -ENOMEM;
		}
		memset(page_address(page), 0, PAGE_SIZE << order);
		for (unsigned int j = 0; j < 1U << order; j++)
			pages[i++] = page + j;
	}
	return 0;
}

/**
 * iommu_dma_alloc_noncontiguous - scattered blocks at one IOVA range
 *
 * Blocks of whole granules (DMA_ATTR_ALLOC_SINGLE_PAGES: one granule
 * each), flushed from the caches for a non-coherent device, mapped back to
 * back from an IOVA range below the coherent mask; one sg_table entry per
 * physically contiguous run, the DMA range in the first. NULL on failure,
 * with nothing left allocated or mapped.
 */
struct sg_table *iommu_dma_alloc_noncontiguous(struct device *dev,
					       size_t size,
					       enum dma_data_direction dir,
					       gfp_t gfp, unsigned long attrs)
{
	struct sim_machine *m = dev->sim;
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c = cookie_of(domain);
	bool coherent = dev_is_dma_coherent(dev);
	int prot = dma_info_to_prot(dir, coherent, 0);
	unsigned int gorder = c->shift - PAGE_SHIFT;
	unsigned long order_mask = (domain->pgsize_bitmap >> PAGE_SHIFT) &
				   ((2UL << MAX_PAGE_ORDER) - 1) &
				   ~((1UL << gorder) - 1);
	struct dma_sgt_handle *sh;
	struct scatterlist *sg;
	size_t mapped = 0;
	dma_addr_t iova;
	int i;

	if ((attrs & DMA_ATTR_ALLOC_SINGLE_PAGES) || !order_mask)
		order_mask = 1UL << gorder;
	size = iova_align(c, size);
	if (size > UINT_MAX)
		return NULL;
	sh = sim_kzalloc(m, sizeof(*sh));
	if (!sh)
		return NULL;
	sh->count = (unsigned int)(size >> PAGE_SHIFT);
	sh->pages = sim_kcalloc(m, sh->count, sizeof(*sh->pages));
	if (!sh->pages)
		goto err_free_handle;
	if (iommu_dma_alloc_blocks(m, sh->pages, sh->count, order_mask, gfp))
		goto err_free_page_array;
	count_op(domain);
	iova = iommu_dma_alloc_iova(domain, size, dev->coherent_dma_mask, dev);
	if (!iova)
		goto err_free_blocks;
	if (sg_alloc_table_from_pages(&sh->sgt, sh->pages, sh->count, 0, size,
				      gfp))
		goto err_free_iova;
	for_each_sgtable_sg(&sh->sgt, sg, i) {
		if (!coherent)
			sim_cache_flush(m, sg_phys(sg), sg->length);
		if (iommu_map(domain, iova + mapped, sg_phys(sg), sg->length, prot,
			      gfp))
			goto err_unmap;
		mapped += sg->length;
	}
	sh->sgt.sgl->dma_address = iova;
	sh->sgt.sgl->dma_length = (unsigned int)size;
	return &sh->sgt;

err_unmap:
	if (mapped)
		iommu_unmap(domain, iova, mapped);
	sg_free_table(&sh->sgt);
err_free_iova:
	iommu_dma_free_iova(domain, dev, iova, size, false, false);
err_free_blocks:
	iommu_dma_free_blocks(m, sh->pages, sh->count);
err_free_page_array:
	sim_kfree(m, sh->pages);
err_free_handle:
	sim_kfree(m, sh);
	return NULL;
}

void iommu_dma_free_noncontiguous(struct device *dev, size_t size,
				  struct sg_table *sgt,
				  enum dma_data_direction dir)
{
	struct sim_machine *m = dev->sim;
	struct dma_sgt_handle *sh = sgt_handle(sgt);
	size_t len = (size_t)sh->count << PAGE_SHIFT;

	(void)dir;
	if (iova_align(cookie_of(dma_domain(dev)), size) != len)
		SIM_WARN(m, dev,
			 "dma_free_noncontiguous: %s %s: freed as %zu bytes, allocated as %zu: freeing %zu",
			 dev_driver_string(dev), dev_name(dev), size, len, len);
	__iommu_dma_unmap(dev, sgt->sgl->dma_address, len, false);
	iommu_dma_free_blocks(m, sh->pages, sh->count);
	sim_kfree(m, sh->pages);
	sg_free_table(&sh->sgt);
	sim_kfree(m, sh);
}

/*
 * The simulated CPU has no vmap() of RAM: blocks that happen to be one
 * physically contiguous run have their linear-map address; scattered ones
 * cannot be seen as one range (NULL, noted in the log).
 */
void *iommu_dma_vmap_noncontiguous(struct device *dev, size_t size,
				   struct sg_table *sgt)
{
	if (sgt->orig_nents == 1)
		return page_address(sg_page(sgt->sgl));
	sim_report(dev->sim, SIM_REPORT_INFO, dev, 0, size,
		   "dma_vmap_noncontiguous: %s %s: %u separate ranges cannot be mapped as one by the simulated CPU",
		   dev_driver_string(dev), dev_name(dev), sgt->orig_nents);
	return NULL;
}

size_t iommu_dma_max_mapping_size(struct device *dev)
{
	if (dev_is_untrusted(dev) && is_swiotlb_active(dev))
		return swiotlb_max_mapping_size(dev);
	return SIZE_MAX;
}

/*
 * Segments can be merged into one IOVA range when they meet at this mask:
 * the smallest page size the domain maps, i.e. the IOVA granule.
 */
unsigned long iommu_dma_get_merge_boundary(struct device *dev)
{
	return cookie_of(dma_domain(dev))->granule - 1;
}

/* ------------------------------------------------------------------------ */
/* The two-step IOVA API                                                    */
/* ------------------------------------------------------------------------ */

/**
 * dma_iova_try_alloc - try to allocate an IOVA range for the IOVA API
 * @phys: the physical address of the first range to be linked (its offset
 *	inside a granule is carried into state->addr)
 * @size: the total size to be linked
 *
 * Zeroes @state. Returns false (and leaves the state unused) when the device
 * does not go through iommu-dma, for a zero size or one with the
 * DMA_IOVA_USE_SWIOTLB bit, or when no IOVA is left; the caller then uses
 * the streaming API.
 */
bool dma_iova_try_alloc(struct device *dev, struct dma_iova_state *state,
			phys_addr_t phys, size_t size)
{
	struct iommu_domain *domain;
	struct iommu_dma_cookie *c;
	struct iommu_dma_owned *o;
	size_t iova_off;
	dma_addr_t addr;

	memset(state, 0, sizeof(*state));
	if (!use_dma_iommu(dev))
		return false;
	domain = dma_domain(dev);
	c = cookie_of(domain);
	iova_off = iova_offset(c, phys);
	if (!size) {
		SIM_WARN(dev->sim, dev, "dma_iova_try_alloc: %s: zero size",
			 dev_name(dev));
		return false;
	}
	if ((u64)size & DMA_IOVA_USE_SWIOTLB) {
		SIM_WARN(dev->sim, dev,
			 "dma_iova_try_alloc: %s: size %#zx has DMA_IOVA_USE_SWIOTLB set",
			 dev_name(dev), size);
		return false;
	}
	o = owned_new();
	if (!o)
		return false;
	count_op(domain);
	addr = iommu_dma_alloc_iova(domain, iova_align(c, size + iova_off),
				    dma_get_mask(dev), dev);
	if (!addr) {
		free(o);
		return false;
	}
	o->iova = addr;
	o->size = iova_align(c, size + iova_off);
	o->kind = OWN_IOVA_STATE;
	o->state = state;
	owned_add(c, o);
	state->addr = addr + iova_off;
	state->__size = size;
	trace_dma_iova(dev, "dma_iova_alloc", state->addr, size, phys,
		       DMA_NONE, 0, 0);
	debug_dma_iova_alloc(dev, state);
	return true;
}

/*
 * Take back the IOVA range of @state for @func: its record, or NULL (and
 * a WARN when dma-debug is off: dma-debug reports it when on) if @state
 * holds none (freed or destroyed already, never allocated).
 */
static struct iommu_dma_owned *iova_state_take(struct device *dev,
					       struct dma_iova_state *state,
					       const char *func)
{
	struct iommu_dma_cookie *c = cookie_of(dma_domain(dev));
	struct iommu_dma_owned *o;

	o = owned_take(c, iova_align_down(c, state->addr), OWN_IOVA_STATE,
		       state);
	if (!o && !dma_debug_on(dev->sim))
		SIM_WARN(dev->sim, dev,
			 "%s: %s %s: no IOVA state allocated at %#llx (%zu bytes): freed already or never allocated: ignored",
			 func, dev_driver_string(dev), dev_name(dev),
			 (unsigned long long)state->addr,
			 dma_iova_size(state));
	return o;
}

/**
 * dma_iova_free - give back the IOVA range of dma_iova_try_alloc()
 * @dev: the device it was allocated for
 * @state: the state; nothing may be linked into it any more
 *
 * A state whose range was given back already (a second dma_iova_free(),
 * or after dma_iova_destroy()) or never allocated is reported (dma-debug,
 * or a WARN when dma-debug is off) and ignored: the range is freed once,
 * as it was allocated. The state is the one dma_iova_try_alloc() filled
 * in, where it was (a copy elsewhere is not it: reported and ignored).
 * Takes the cookie's owned_lock, the IOVA locks.
 */
void dma_iova_free(struct device *dev, struct dma_iova_state *state)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_owned *o;
	size_t size = dma_iova_size(state);

	if (!domain || !domain->iova_cookie || !dma_use_iova(state))
		return;
	trace_dma_iova(dev, "dma_iova_free", state->addr, size, 0, DMA_NONE,
		       0, 0);
	debug_dma_iova_free(dev, state);
	o = iova_state_take(dev, state, "dma_iova_free");
	if (!o)
		return;
	iommu_dma_free_iova(domain, dev, o->iova, o->size, false, false);
	free(o);
}

static inline __attribute__((always_inline)) int
__dma_iova_link(struct device *dev, dma_addr_t addr, phys_addr_t phys,
		size_t size, enum dma_data_direction dir, unsigned long attrs)
{
	bool coherent = dev_is_dma_coherent(dev);
	int prot = dma_info_to_prot(dir, coherent, attrs);

	if (!coherent && !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO)))
		arch_sync_dma_for_device(dev, phys, size, dir);
	/* No IOTLB maintenance: dma_iova_sync() does it once. */
	return iommu_map(dma_domain(dev), addr, phys, size, prot, GFP_ATOMIC);
}

static int iova_bounce_and_link(struct device *dev, dma_addr_t addr,
				phys_addr_t phys, size_t bounce_len,
				enum dma_data_direction dir,
				unsigned long attrs, size_t iova_start_pad)
{
	struct iommu_dma_cookie *c = cookie_of(dma_domain(dev));
	phys_addr_t bounce;
	int error;

	bounce = iommu_dma_map_swiotlb(dev, phys, bounce_len, dir, attrs);
	if (bounce == (phys_addr_t)DMA_MAPPING_ERROR)
		return -ENOMEM;
	error = __dma_iova_link(dev, addr - iova_start_pad,
				bounce - iova_start_pad,
				iova_align(c, bounce_len), dir, attrs);
	if (error)
		swiotlb_tbl_unmap_single(dev, bounce, bounce_len, dir, attrs);
	return error;
}

static void __iommu_dma_iova_unlink(struct device *dev,
				    struct dma_iova_state *state,
				    size_t offset, size_t size,
				    enum dma_data_direction dir,
				    unsigned long attrs, size_t free_len);

/* Bounce the unaligned head and tail of a range, link the middle. */
static int iova_link_swiotlb(struct device *dev, struct dma_iova_state *state,
			     phys_addr_t phys, size_t offset, size_t size,
			     enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_dma_cookie *c = cookie_of(dma_domain(dev));
	size_t iova_start_pad = iova_offset(c, phys);
	size_t iova_end_pad = iova_offset(c, phys + size);
	dma_addr_t addr = state->addr + offset;
	size_t mapped = 0;
	int error;

	if (iova_start_pad) {
		size_t bounce_len = min(size, (size_t)c->granule - iova_start_pad);

		error = iova_bounce_and_link(dev, addr, phys, bounce_len, dir,
					     attrs, iova_start_pad);
		if (error)
			return error;
		state->__size |= DMA_IOVA_USE_SWIOTLB;
		mapped += bounce_len;
		size -= bounce_len;
		if (!size)
			return 0;
	}
	size -= iova_end_pad;
	error = __dma_iova_link(dev, addr + mapped, phys + mapped, size, dir,
				attrs);
	if (error)
		goto out_unmap;
	mapped += size;
	if (iova_end_pad) {
		error = iova_bounce_and_link(dev, addr + mapped, phys + mapped,
					     iova_end_pad, dir, attrs, 0);
		if (error)
			goto out_unmap;
		state->__size |= DMA_IOVA_USE_SWIOTLB;
	}
	return 0;

out_unmap:
	if (mapped)
		__iommu_dma_iova_unlink(dev, state, offset, mapped, dir, attrs,
					0);
	return error;
}

/**
 * dma_iova_link - link a physical range into an allocated IOVA range
 * @offset: where in the IOVA range; every link but the first (offset 0)
 *	must start on a granule boundary
 *
 * No IOTLB maintenance: call dma_iova_sync() before the device uses it.
 * Returns 0, -EIO for the alignment rule, -EPERM for MMIO that an untrusted
 * device would need bounced, -ENOMEM; a failing link leaves nothing of
 * itself mapped.
 */
int dma_iova_link(struct device *dev, struct dma_iova_state *state,
		  phys_addr_t phys, size_t offset, size_t size,
		  enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c;
	size_t iova_start_pad;
	int ret;

	if (!domain || !domain->iova_cookie || !dma_use_iova(state))
		return -EINVAL;
	c = cookie_of(domain);
	iova_start_pad = iova_offset(c, phys);
	if (iova_start_pad && offset > 0) {
		SIM_WARN(dev->sim, dev,
			 "dma_iova_link: %s: phys %#llx at offset %#zx is not granule aligned",
			 dev_name(dev), (unsigned long long)phys, offset);
		ret = -EIO;
		goto out;
	}
	if (dev_use_swiotlb(dev, size, dir) && iova_unaligned(c, phys, size)) {
		if (attrs & DMA_ATTR_MMIO) {
			ret = -EPERM;
			goto out;
		}
		ret = iova_link_swiotlb(dev, state, phys, offset, size, dir,
					attrs);
		goto out;
	}
	ret = __dma_iova_link(dev, state->addr + offset - iova_start_pad,
			      phys - iova_start_pad,
			      iova_align(c, size + iova_start_pad), dir, attrs);
out:
	trace_dma_iova(dev, "dma_iova_link", state->addr + offset, size, phys,
		       dir, attrs, ret);
	if (dma_debug_on(dev->sim))
		debug_dma_iova_link(dev, state, phys, offset, size, dir, attrs,
				    ret);
	return ret;
}

/**
 * dma_iova_sync - make linked ranges visible to the device
 *
 * One ranged IOTLB sync for everything linked in [offset, offset + size).
 */
int dma_iova_sync(struct device *dev, struct dma_iova_state *state,
		  size_t offset, size_t size)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c;
	dma_addr_t addr;
	size_t pad;

	if (!domain || !domain->iova_cookie)
		return -EINVAL;
	c = cookie_of(domain);
	addr = state->addr + offset;
	pad = iova_offset(c, addr);
	/*
	 * iommu_sync_map(): new mappings need no IOTLB invalidation (the
	 * IOTLB never caches a non-present entry); units that must flush
	 * write buffers would do it here, once for the whole range.
	 */
	(void)pad;
	atomic_fetch_add(&to_sim_domain(domain)->iommu->sync_maps, 1);
	trace_dma_iova(dev, "dma_iova_sync", addr, size, 0, DMA_NONE, 0, 0);
	debug_dma_iova_sync(dev, state, offset, size);
	return 0;
}

/* Slow path: undo cache maintenance and bounce buffers granule by granule. */
static void iova_unlink_range_slow(struct device *dev, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c = cookie_of(domain);
	size_t iova_start_pad = iova_offset(c, addr);
	dma_addr_t end = addr + size;

	do {
		phys_addr_t phys = iommu_iova_to_phys(domain, addr);
		size_t len = min((size_t)(end - addr),
				 (size_t)c->granule - iova_start_pad);

		if (!phys) {
			SIM_WARN(dev->sim, dev,
				 "dma_iova_unlink: %s: IOVA %#llx is not linked",
				 dev_name(dev), (unsigned long long)addr);
			return;
		}
		if (!dev_is_dma_coherent(dev) &&
		    !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO)))
			arch_sync_dma_for_cpu(dev, phys, len, dir);
		if (is_swiotlb_buffer(dev, phys))
			swiotlb_tbl_unmap_single(dev, phys, len, dir, attrs);
		addr += len;
		iova_start_pad = 0;
	} while (addr < end);
}

/*
 * Unlink [@offset, +@size) of @state; @free_len: 0, or the bytes of the
 * whole IOVA range to free after it (dma_iova_destroy(): the range as it
 * was allocated, whatever was linked), queued in lazy mode.
 */
static void __iommu_dma_iova_unlink(struct device *dev,
				    struct dma_iova_state *state,
				    size_t offset, size_t size,
				    enum dma_data_direction dir,
				    unsigned long attrs, size_t free_len)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_cookie *c = cookie_of(domain);
	dma_addr_t addr = state->addr + offset;
	size_t iova_start_pad = iova_offset(c, addr);
	bool queued = free_len && c->fq;
	size_t unmapped;

	count_op(domain);
	if ((state->__size & DMA_IOVA_USE_SWIOTLB) ||
	    (!dev_is_dma_coherent(dev) &&
	     !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO))))
		iova_unlink_range_slow(dev, addr, size, dir, attrs);
	size = iova_align(c, size + iova_start_pad);
	addr -= iova_start_pad;
	unmapped = iommu_unmap_fast(domain, addr, size);
	if (unmapped != size)
		SIM_WARN(dev->sim, dev,
			 "dma_iova_unlink: %s: unlinked %zu of %zu bytes at IOVA %#llx",
			 dev_name(dev), unmapped, size, (unsigned long long)addr);
	if (!queued)
		iommu_iotlb_sync_range(domain, addr, size);
	if (free_len)
		iommu_dma_free_iova(domain, dev,
				    iova_align_down(c, state->addr), free_len,
				    queued, false);
}

void dma_iova_unlink(struct device *dev, struct dma_iova_state *state,
		     size_t offset, size_t size, enum dma_data_direction dir,
		     unsigned long attrs)
{
	struct iommu_domain *domain = dma_domain(dev);

	if (!domain || !domain->iova_cookie || !dma_use_iova(state))
		return;
	trace_dma_iova(dev, "dma_iova_unlink", state->addr + offset, size, 0,
		       dir, attrs, 0);
	debug_dma_iova_unlink(dev, state, offset, size, dir);
	__iommu_dma_iova_unlink(dev, state, offset, size, dir, attrs, 0);
}

/**
 * dma_iova_destroy - unlink everything and free the IOVA range
 * @mapped_len: the bytes linked, from offset 0 (0 if the first link failed)
 */
void dma_iova_destroy(struct device *dev, struct dma_iova_state *state,
		      size_t mapped_len, enum dma_data_direction dir,
		      unsigned long attrs)
{
	struct iommu_domain *domain = dma_domain(dev);
	struct iommu_dma_owned *o;

	if (!domain || !domain->iova_cookie || !dma_use_iova(state))
		return;
	if (!mapped_len) {
		/* The first link failed: there is nothing to unlink. */
		dma_iova_free(dev, state);
		return;
	}
	trace_dma_iova(dev, "dma_iova_destroy", state->addr, mapped_len, 0,
		       dir, attrs, 0);
	debug_dma_iova_destroy(dev, state, mapped_len, dir);
	/* a state given back already: unlinking would hit another's IOVA */
	o = iova_state_take(dev, state, "dma_iova_destroy");
	if (!o)
		return;
	/* the whole range goes: linked or not (the kernel frees mapped_len) */
	__iommu_dma_iova_unlink(dev, state, 0, mapped_len, dir, attrs,
				o->size);
	free(o);
}

/**
 * sim_iommu_fq_stats - the lazy flush queues' statistics of @dev's domain
 * @dev: the device (NULL: -EINVAL)
 * @flushes: flushes of the queues so far
 * @queued: IOVA ranges waiting in the queues now
 * @max_window_ops: the most DMA operations a stale IOTLB window stayed open
 * @max_window_ns: the longest such window, in machine nanoseconds
 * @stale_hits: device accesses through a stale IOTLB entry
 *
 * Any output may be NULL: that value is not stored. A strict domain reports
 * zeroes. Returns 0, -EINVAL, or -ENOENT (no DMA domain: no IOMMU or
 * passthrough). Takes each queue's lock, then the cookie's fq_lock.
 */
int sim_iommu_fq_stats(struct device *dev, unsigned long *flushes,
		       unsigned int *queued, u64 *max_window_ops,
		       u64 *max_window_ns, unsigned long *stale_hits)
{
	struct iommu_domain *domain;
	struct iommu_dma_cookie *c;
	unsigned int n = 0;

	if (!dev)
		return -EINVAL;
	domain = dma_domain(dev);
	if (!domain || !domain->iova_cookie)
		return -ENOENT;
	c = cookie_of(domain);
	for (unsigned int q = 0; queued && q <= IOMMU_FQ_SHARED; q++) {
		struct iommu_fq *fq = atomic_load(&c->fqs[q]);

		if (!fq)
			continue;
		sim_spin_lock(&fq->lock);
		n += fq->count;
		sim_spin_unlock(&fq->lock);
	}
	if (queued)
		*queued = n;
	sim_spin_lock(&c->fq_lock);
	if (flushes)
		*flushes = atomic_load(&c->fq_flushes);
	if (max_window_ops)
		*max_window_ops = c->max_window_ops;
	if (max_window_ns)
		*max_window_ns = c->max_window_ns;
	if (stale_hits)
		*stale_hits = c->stale_hits;
	sim_spin_unlock(&c->fq_lock);
	return 0;
}

int sim_iommu_iova_stats(struct device *dev, struct sim_iommu_iova_stats *out)
{
	struct iommu_domain *domain = dev ? dma_domain(dev) : NULL;
	struct iommu_dma_cookie *c;
	unsigned long live, held, peak;

	if (!out)
		return -EINVAL;
	if (!domain || !domain->iova_cookie)
		return -ENOENT;
	c = cookie_of(domain);
	iova_domain_frames(c->iovad, &live, &held, &peak);
	out->live = (u64)live << c->shift;
	out->held = (u64)held << c->shift;
	out->peak_held = (u64)peak << c->shift;
	out->ranges = iova_domain_allocations(c->iovad);
	return 0;
}

int sim_iommu_flush_queue(struct device *dev)
{
	struct iommu_domain *domain = dma_domain(dev);

	if (!domain || !domain->iova_cookie)
		return -ENOENT;
	return iommu_dma_fq_flush(domain);
}
