// SPDX-License-Identifier: MIT
/*
 * The IOMMU unit: what the hardware does with a device access.
 *
 * The requester's context entry is read from the tables in RAM that the
 * driver programmed (unit.h); a translating context gives the domain id
 * and the page-table root. The IOTLB (direct-mapped, tagged by domain id
 * and input page) answers first; a miss walks the page table in RAM, in
 * the unit's format, and fills the IOTLB. Nothing is looked up in the
 * driver's structures: a PTE changed behind the driver's back is what the
 * next walk sees, and an entry the IOTLB holds stays usable until an
 * invalidation command from the unit's queue (src/kernel/iommu/cmdq.c) drops it,
 * which is exactly the lazy-mode window. Every translation is offered to
 * the bus observers, so a checker can compare an IOTLB hit with what the
 * driver meant.
 *
 * A missing translation or a permission the entry lacks is a fault:
 * recorded with device, address, access and reason, and the access fails
 * with -EFAULT.
 */
#include <string.h>
#include <stdlib.h>
#include "hw/machine.h"
#include "unit.h"

#define TLB_TAG(did, pfn) ((((u64)(did) + 1) << 48) | ((pfn) & ((1ULL << 48) - 1)))

/* ------------------------------------------------------------------------ */
/* IOTLB                                                                    */
/* ------------------------------------------------------------------------ */

static inline unsigned int tlb_slot(struct sim_iommu_hw *u, u64 tag)
{
	u64 h = tag * 0x9e3779b97f4a7c15ULL;

	return (unsigned int)(h >> 40) & (u->tlb_entries - 1);
}

/* Is slot @e a live entry (its domain's generation)? tlb_lock held. */
static inline bool tlb_entry_live(struct sim_iommu_hw *u, const struct iotlb_entry *e)
{
	unsigned int did;

	if (!e->tag)
		return false;
	did = (unsigned int)(e->tag >> 48) - 1;
	return e->gen == atomic_load_explicit(&u->did_gen[did],
					      memory_order_relaxed);
}

/* Empty slot @e, keeping the per-domain count. tlb_lock held. */
static inline void tlb_entry_drop(struct sim_iommu_hw *u, struct iotlb_entry *e)
{
	if (tlb_entry_live(u, e))
		u->did_entries[(e->tag >> 48) - 1]--;
	e->tag = 0;
}

/**
 * sim_iotlb_inval_range - the hardware drops IOTLB entries
 * @u: the unit, executing an invalidation command from its queue
 * @did: the domain id the entries are tagged with
 * @pfn: first granule frame, @pages granules
 *
 * A domain with no live entry costs nothing (real IOTLBs match all their
 * entries at once); small ranges probe the slot of each frame; ranges as
 * large as the IOTLB scan it once. Takes the IOTLB lock.
 */
void sim_iotlb_inval_range(struct sim_iommu_hw *u, unsigned int did, u64 pfn,
			   u64 pages)
{
	u64 last = pfn + pages - 1;

	if (did >= SIM_IOMMU_DIDS)
		return;
	pthread_mutex_lock(&u->tlb_lock);
	if (!u->did_entries[did]) {
		/* nothing of this domain is cached */
	} else if (pages >= u->tlb_entries) {
		u64 lo = TLB_TAG(did, pfn), hi = TLB_TAG(did, last);

		for (unsigned int i = 0; i < u->tlb_entries; i++)
			if (u->tlb[i].tag >= lo && u->tlb[i].tag <= hi)
				tlb_entry_drop(u, &u->tlb[i]);
	} else {
		for (u64 f = pfn; f <= last; f++) {
			u64 tag = TLB_TAG(did, f);
			struct iotlb_entry *e = &u->tlb[tlb_slot(u, tag)];

			if (e->tag == tag)
				tlb_entry_drop(u, e);
		}
	}
	pthread_mutex_unlock(&u->tlb_lock);
}

/*
 * sim_iotlb_inval_domain - the hardware drops every entry of @did in O(1):
 * entries carry their domain id's generation, and this bumps it. Takes the
 * IOTLB lock.
 */
void sim_iotlb_inval_domain(struct sim_iommu_hw *u, unsigned int did)
{
	if (did >= SIM_IOMMU_DIDS)
		return;
	pthread_mutex_lock(&u->tlb_lock);
	atomic_fetch_add(&u->did_gen[did], 1);
	u->did_entries[did] = 0;
	pthread_mutex_unlock(&u->tlb_lock);
}

/* ------------------------------------------------------------------------ */
/* Page-table walk in RAM                                                   */
/* ------------------------------------------------------------------------ */

/*
 * The unit's format as its walker sees it. x86_64 (VT-d second level):
 * 4 levels of 9 bits, R/W in bits 0/1, PS (bit 7) marks a 2M/1G leaf, SNP
 * (bit 11) a snooped access, bit 52 (ignored by hardware, left to
 * software) MMIO, address in bits 51:12. arm64 LPAE: valid (bit 0),
 * table/page (bit 1), AttrIndx (4:2: 0 cacheable, 1 device), AP[1]
 * unprivileged (6), AP[2] read-only (7), XN (54:53), software no-read
 * (55), address in bits 47:granule.
 */
static int walk_init(struct sim_iommu_hw *u, const char *format)
{
	static const struct {
		const char *format;
		unsigned long granule;
		unsigned char levels, bits[4];
	} geo[] = {
		{ "x86_64", SZ_4K, 4, { 9, 9, 9, 9 } },
		{ "arm64-lpae", SZ_4K, 4, { 9, 9, 9, 9 } },
		{ "arm64-lpae", SZ_16K, 4, { 11, 11, 11, 1 } },
		{ "arm64-lpae", SZ_64K, 3, { 13, 13, 6 } },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(geo); i++) {
		unsigned int shift = u->gshift;

		if (strcmp(geo[i].format, format) ||
		    geo[i].granule != u->granule)
			continue;
		u->walk_levels = geo[i].levels;
		for (unsigned int l = 0; l < geo[i].levels; l++) {
			u->walk_bits[l] = geo[i].bits[l];
			u->walk_shift[l] = shift;
			shift += geo[i].bits[l];
		}
		return 0;
	}
	return -EINVAL;
}

/* A 64-bit word of RAM region @r at @pa, as the unit reads it. */
static inline u64 region_load(const struct sim_ram_region *r, phys_addr_t pa)
{
	u64 v = __atomic_load_n((u64 *)(r->cpu + (pa - r->base)),
				__ATOMIC_ACQUIRE);

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/*
 * One 64-bit entry the unit reads from RAM. Tables of one walk are nearly
 * always in one RAM region, so the region found last (@hint, the caller's)
 * is tried before the look-up.
 */
static inline u64 read_pte(struct sim_machine *m, phys_addr_t pa, bool *ok,
			   const struct sim_ram_region **hint)
{
	const struct sim_ram_region *r = *hint;

	if (!r || pa < r->base || pa - r->base > r->size - sizeof(u64)) {
		r = sim_ram_region_of(m, pa, sizeof(u64));
		*hint = r;
	}
	*ok = r != NULL;
	return *ok ? region_load(r, pa) : 0;
}

/* Decode an x86 entry: 1 leaf, 0 table, -1 invalid. */
static int x86_decode(u64 pte, unsigned int level, struct sim_iommu_walk *w)
{
	if (!(pte & 3))
		return -1;
	w->out = pte & 0x000ffffffffff000ULL;
	if (level && !(pte & (1ULL << 7)))
		return 0;
	if (level > 2)
		return -1;
	w->prot = ((pte & 1) ? IOMMU_READ : 0) | ((pte & 2) ? IOMMU_WRITE : 0) |
		  ((pte & (1ULL << 11)) ? IOMMU_CACHE : 0) |
		  ((pte & (1ULL << 52)) ? IOMMU_MMIO : 0);
	return 1;
}

static int arm_decode(u64 pte, unsigned int level, unsigned int gshift,
		      struct sim_iommu_walk *w)
{
	unsigned int attr = (unsigned int)(pte >> 2) & 7;

	if (!(pte & 1))
		return -1;
	w->out = pte & (((1ULL << 48) - 1) & ~((1ULL << gshift) - 1));
	if (level && (pte & 2))
		return 0;
	/* level 0 needs the page type; a block must not be at level 0 */
	if (!level && !(pte & 2))
		return -1;
	w->prot = 0;
	if (!(pte & (1ULL << 55)))
		w->prot |= IOMMU_READ;
	if (!(pte & (1ULL << 7)))
		w->prot |= IOMMU_WRITE;
	if (attr == 0)
		w->prot |= IOMMU_CACHE;
	else if (attr == 1)
		w->prot |= IOMMU_MMIO;
	if (((pte >> 53) & 3) == 3)
		w->prot |= IOMMU_NOEXEC;
	if (!(pte & (1ULL << 6)))
		w->prot |= IOMMU_PRIV;
	return 1;
}

int sim_iommu_hw_walk(struct sim_iommu_hw *u, phys_addr_t root, u64 iova,
		      struct sim_iommu_walk *w)
{
	const struct sim_ram_region *hint = NULL;
	phys_addr_t table = root;

	w->parent_pte_phys = 0;
	if (!u->walk_levels)
		return -ENOENT;
	for (int level = u->walk_levels - 1; level >= 0; level--) {
		unsigned int idx = (unsigned int)(iova >> u->walk_shift[level]) &
				   ((1U << u->walk_bits[level]) - 1);
		phys_addr_t pa = table + (phys_addr_t)idx * sizeof(u64);
		bool ok;
		u64 pte = read_pte(u->m, pa, &ok, &hint);
		int kind;

		if (!ok)
			return -ENOENT;
		kind = u->x86 ? x86_decode(pte, level, w) :
				     arm_decode(pte, level, u->gshift, w);
		if (kind < 0)
			return -ENOENT;
		if (kind == 0) {
			table = w->out;
			w->parent_pte_phys = pa;
			continue;
		}
		w->leaf_size = 1ULL << u->walk_shift[level];
		w->pte_phys = pa;
		w->level = (unsigned int)level;
		return 0;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------------ */
/* The units of a machine                                                   */
/* ------------------------------------------------------------------------ */

static struct sim_iommu_hw *unit_create(struct sim_machine *m,
					const struct sim_iommu_cfg *cfg)
{
	struct sim_iommu_hw *u = sim_kzalloc(m, sizeof(*u));

	if (!u)
		return NULL;
	u->m = m;
	snprintf(u->id, sizeof(u->id), "%s", cfg->id);
	u->x86 = !strcmp(cfg->format, "x86_64");
	u->granule = cfg->granule;
	u->gshift = (unsigned int)__builtin_ctzl(cfg->granule);
	u->tlb_entries = cfg->iotlb_entries ? cfg->iotlb_entries : 4096;
	if (walk_init(u, cfg->format))
		goto err_free;
	u->tlb = sim_kcalloc(m, u->tlb_entries, sizeof(*u->tlb));
	if (!u->tlb)
		goto err_free;
	pthread_mutex_init(&u->tlb_lock, NULL);
	pthread_rwlock_init(&u->walk_lock, NULL);
	return u;

err_free:
	sim_kfree(m, u);
	return NULL;
}

static void unit_destroy(struct sim_machine *m, struct sim_iommu_hw *u)
{
	pthread_rwlock_destroy(&u->walk_lock);
	pthread_mutex_destroy(&u->tlb_lock);
	sim_kfree(m, u->tlb);
	sim_kfree(m, u);
}

/**
 * sim_iommu_hw_create_all - make the units the platform lists
 * @m: the machine under construction (host bridges placed)
 *
 * Each host bridge whose iommu= names a unit is wired to it. Translation
 * stays off until a driver writes a root table. Return: 0 or -ENOMEM;
 * what was made is left for sim_iommu_hw_destroy_all().
 */
int sim_iommu_hw_create_all(struct sim_machine *m)
{
	if (!m->nr_iommus)
		return 0;
	m->iommu_hw = sim_kcalloc(m, m->nr_iommus, sizeof(*m->iommu_hw));
	if (!m->iommu_hw)
		return -ENOMEM;
	for (unsigned int i = 0; i < m->nr_iommus; i++) {
		struct sim_iommu_hw *u = unit_create(m, &m->iommus[i]);

		if (!u)
			return -ENOMEM;
		m->iommu_hw[m->nr_iommu_hw++] = u;
	}
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_hostbridge *hb = m->nodes[i]->hostbridge;

		if (m->nodes[i]->kind == SIM_NODE_HOSTBRIDGE && hb->iommu_id[0])
			hb->iommu = sim_iommu_hw_by_id(m, hb->iommu_id);
	}
	return 0;
}

void sim_iommu_hw_destroy_all(struct sim_machine *m)
{
	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->kind == SIM_NODE_HOSTBRIDGE)
			m->nodes[i]->hostbridge->iommu = NULL;
	for (unsigned int i = 0; i < m->nr_iommu_hw; i++)
		unit_destroy(m, m->iommu_hw[i]);
	sim_kfree(m, m->iommu_hw);
	m->iommu_hw = NULL;
	m->nr_iommu_hw = 0;
}

struct sim_iommu_hw *sim_iommu_hw_by_id(struct sim_machine *m, const char *id)
{
	for (unsigned int i = 0; i < m->nr_iommu_hw; i++)
		if (!strcmp(m->iommu_hw[i]->id, id))
			return m->iommu_hw[i];
	return NULL;
}

void sim_iommu_hw_walks_drain(struct sim_iommu_hw *u)
{
	pthread_rwlock_wrlock(&u->walk_lock);
	pthread_rwlock_unlock(&u->walk_lock);
}

/* ------------------------------------------------------------------------ */
/* Context entries                                                          */
/* ------------------------------------------------------------------------ */

void sim_iommu_hw_set_root_table(struct sim_iommu_hw *u, phys_addr_t root)
{
	atomic_store_explicit(&u->root_table, root, memory_order_release);
}

struct hw_ctx {
	u64 mode;
	unsigned int did;
	phys_addr_t root;
};

/*
 * The context entry of @rid: 0, or -ENOENT when absent or unreadable. Read
 * from RAM on every access (there is no context cache); the entry's two
 * words are one 16-byte read.
 */
static int read_ctx(struct sim_iommu_hw *u, phys_addr_t rt, unsigned int rid,
		    struct hw_ctx *c)
{
	const struct sim_ram_region *r = NULL;
	bool ok;
	u64 re = read_pte(u->m, rt + (rid >> 8) * SIM_IOMMU_CTX_ENTRY_SIZE, &ok,
			  &r);
	phys_addr_t ce_pa;
	u64 lo, hi;

	if (!ok || !(re & SIM_IOMMU_RT_PRESENT))
		return -ENOENT;
	ce_pa = (re & SIM_IOMMU_CTX_ADDR) + (rid & 0xff) * SIM_IOMMU_CTX_ENTRY_SIZE;
	if (ce_pa < r->base ||
	    ce_pa - r->base > r->size - SIM_IOMMU_CTX_ENTRY_SIZE)
		r = sim_ram_region_of(u->m, ce_pa, SIM_IOMMU_CTX_ENTRY_SIZE);
	if (!r)
		return -ENOENT;
	lo = region_load(r, ce_pa);
	if (!(lo & SIM_IOMMU_CTX_PRESENT))
		return -ENOENT;
	hi = region_load(r, ce_pa + 8);
	c->mode = (lo & SIM_IOMMU_CTX_MODE_MASK) >> SIM_IOMMU_CTX_MODE_SHIFT;
	c->root = lo & SIM_IOMMU_CTX_ADDR;
	c->did = (unsigned int)(hi & SIM_IOMMU_CTX_DID_MASK);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Translating a device access                                              */
/* ------------------------------------------------------------------------ */

/*
 * Record and report a fault. The bus observers are asked first what they
 * know of the address (dma-debug: the mapping that was there, for a
 * translation that is gone); their note ends the report.
 */
static int iommu_fault(struct device *dev, struct sim_iommu_hw *u,
		       struct sim_bus_txn *txn, u64 iova, size_t len,
		       bool write, enum sim_bus_fault_kind kind,
		       const char *why)
{
	char note[384];
	struct sim_bus_fault f = {
		.txn = txn,
		.dev = dev,
		.iova = iova,
		.len = len,
		.write = write,
		.kind = kind,
		.granule = u->granule,
		.note = note,
		.note_len = sizeof(note),
	};

	atomic_fetch_add(&u->faults, 1);
	sim_bus_offer_fault(dev->sim, &f);
	sim_report_flags(dev->sim, SIM_REPORT_IOMMU_FAULT,
			 write ? SIM_REPORT_F_WRITE : 0, dev, iova, len,
		   "%s: IOMMU fault: %s %s (%s) %s IOVA %#llx+%zu: %s%s%s",
		   u->id, dev_driver_string(dev), dev_name(dev),
		   sim_device_id(dev), write ? "write to" : "read from",
		   (unsigned long long)iova, len, why, note[0] ? " " : "",
		   note);
	return -EFAULT;
}

/**
 * sim_iommu_translate - the IOMMU's answer for a device access
 * @dev: the requester, a PCI function
 * @translated: set false when the unit does not translate for @dev (no
 *	unit, translation off, a passthrough context): the address is used
 *	as is
 * @txn: the device access, offered to the bus observers with the result
 *
 * The access must stay within one IOMMU page. Returns 0 with *@phys, or
 * -EFAULT after recording a fault. Reads the context and, on a miss, the
 * page table from RAM; takes the IOTLB lock, no driver lock.
 */
int sim_iommu_translate(struct device *dev, u64 iova, size_t len, bool write,
			phys_addr_t *phys, bool *translated,
			struct sim_bus_txn *txn)
{
	struct sim_node *node = sim_node_of_dev(dev);
	struct sim_iommu_hw *u = node->hb->hostbridge->iommu;
	struct pci_dev *pdev = &node->fn->pdev;
	struct sim_bus_translation t;
	struct iotlb_entry *e;
	struct hw_ctx ctx;
	phys_addr_t rt;
	u64 tag, off;
	phys_addr_t out;
	unsigned int gen;
	int prot;
	bool hit;

	*translated = false;
	rt = u ? atomic_load_explicit(&u->root_table, memory_order_acquire) : 0;
	if (!rt)
		return 0;
	if (read_ctx(u, rt, ((unsigned int)pdev->bus_nr << 8) | pdev->devfn,
		     &ctx))
		return iommu_fault(dev, u, txn, iova, len, write,
				   SIM_BUS_FAULT_CONTEXT,
				   "context entry not present");
	if (ctx.mode == SIM_IOMMU_CTX_PASSTHROUGH)
		return 0;
	if (ctx.mode != SIM_IOMMU_CTX_TRANSLATE)
		return iommu_fault(dev, u, txn, iova, len, write,
				   SIM_BUS_FAULT_CONTEXT,
				   "the device's domain blocks all DMA");
	if (ctx.did >= SIM_IOMMU_DIDS)
		return iommu_fault(dev, u, txn, iova, len, write,
				   SIM_BUS_FAULT_CONTEXT,
				   "context entry with an invalid domain id");
	*translated = true;
	off = iova & (u->granule - 1);
	tag = TLB_TAG(ctx.did, iova >> u->gshift);

	/* before the walk: an invalidation during it makes the fill stale */
	gen = atomic_load(&u->did_gen[ctx.did]);
	pthread_mutex_lock(&u->tlb_lock);
	e = &u->tlb[tlb_slot(u, tag)];
	hit = e->tag == tag && e->gen == gen;
	if (hit) {
		out = e->phys;
		prot = e->prot;
	}
	pthread_mutex_unlock(&u->tlb_lock);

	if (hit) {
		atomic_fetch_add(&u->tlb_hits, 1);
	} else {
		struct sim_iommu_walk w;

		atomic_fetch_add(&u->tlb_misses, 1);
		pthread_rwlock_rdlock(&u->walk_lock);
		if (sim_iommu_hw_walk(u, ctx.root, iova & ~(u64)(u->granule - 1),
				      &w)) {
			pthread_rwlock_unlock(&u->walk_lock);
			return iommu_fault(dev, u, txn, iova, len, write,
					   SIM_BUS_FAULT_NOT_MAPPED,
					   "no translation (not mapped)");
		}
		pthread_rwlock_unlock(&u->walk_lock);
		/* the granule inside a larger leaf */
		out = w.out + ((iova & (w.leaf_size - 1)) & ~(u64)(u->granule - 1));
		prot = w.prot;
		pthread_mutex_lock(&u->tlb_lock);
		/* not if the domain was invalidated since the walk began */
		if (gen == atomic_load(&u->did_gen[ctx.did])) {
			tlb_entry_drop(u, e);
			e->tag = tag;
			e->gen = gen;
			e->phys = out;
			e->prot = prot;
			u->did_entries[ctx.did]++;
		}
		pthread_mutex_unlock(&u->tlb_lock);
	}
	t = (struct sim_bus_translation){
		.txn = txn,
		.addr = iova,
		.len = len,
		.iova = iova & ~(u64)(u->granule - 1),
		.out = out,
		.prot = prot,
		.iotlb_hit = hit,
	};
	sim_bus_offer_translation(dev->sim, &t);
	if (write && !(prot & IOMMU_WRITE))
		return iommu_fault(dev, u, txn, iova, len, write,
				   SIM_BUS_FAULT_PERMISSION,
				   "permission: the mapping is not writable (mapped for DMA_TO_DEVICE?)");
	if (!write && !(prot & IOMMU_READ))
		return iommu_fault(dev, u, txn, iova, len, write,
				   SIM_BUS_FAULT_PERMISSION,
				   "permission: the mapping is not readable (mapped for DMA_FROM_DEVICE?)");
	*phys = out + off;
	return 0;
}
