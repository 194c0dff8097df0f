/* SPDX-License-Identifier: MIT */
/*
 * Inside the page-table engine: what pt.c (the format-independent part:
 * table pages and their metadata, deferred freeing, the API) shares with
 * pt_generic.h (the map/unmap/lookup algorithm, instantiated once per
 * format by pt_x86_64.c and pt_arm64.c with the format's entry operations
 * inlined). Not for other users: they have pt.h.
 */
#ifndef _DMASTACK_IOMMU_PT_PRIV_H
#define _DMASTACK_IOMMU_PT_PRIV_H

#include "pt.h"

/*
 * What the PTEs do not hold, one per table page: its struct page and, when
 * the table counts (pt->defer_free off), its present entries and where it
 * hangs. Found from a table's physical address through a hash, only for a
 * table whose entry count changes (once per table an operation modifies)
 * or that is created or freed: the walks themselves go from entry to table
 * through the machine's RAM view (pt_host()).
 */
struct pt_table {
	struct pt_table *hnext;		/* hash chain */
	struct page *page;
	phys_addr_t phys;
	u64 *ptes;			/* CPU view of the table page */
	/* counted tables only (pt->defer_free off) */
	unsigned int live;		/* present entries */
	struct pt_table *parent;	/* NULL for the root */
	unsigned int pidx;		/* our entry in the parent */
};

/*
 * One thread's side of a deferred-freeing table (see pt.c, "Concurrent
 * operations"): whether it is inside an operation, and the ranges its
 * unmaps cleared, for io_pgtable_reclaim() to look at. Only its thread
 * writes it, but for reclaim, which runs while no operation does.
 */
#define PT_NR_CANDIDATES	32

struct pt_reader {
	_Atomic int active;
	_Atomic unsigned int nr;	/* read unlocked by reclaim's peek */
	struct { u64 start, end; } cand[PT_NR_CANDIDATES];
} __attribute__((aligned(64)));

/* The algorithm of one format (pt_generic.h), one indirect call per call. */
struct pt_ops {
	/* @rd: the caller's reader (deferred freeing), NULL when counted */
	int (*map)(struct io_pgtable *pt, struct pt_reader *rd, u64 iova,
		   phys_addr_t paddr, u64 size, int prot);
	/* the bytes that were mapped; *@first_phys (if asked) as documented */
	u64 (*unmap)(struct io_pgtable *pt, struct pt_reader *rd, u64 iova,
		     u64 size, phys_addr_t *first_phys);
	/* the bytes [@start, @end) holds no more tables that are empty */
	unsigned long (*prune)(struct io_pgtable *pt, u64 start, u64 end);
	int (*lookup)(struct io_pgtable *pt, u64 iova, phys_addr_t *phys,
		      int *prot, size_t *leaf_size);
	/* the PTE-write floor: @n leaves of one granule each into @ptes */
	void (*store_leaves)(u64 *ptes, unsigned int n, phys_addr_t paddr,
			     int prot);
};

#define PT_HASH_MIN_BITS	6
/* Each end of an unmap range splits at most one leaf per level. */
#define PT_MAX_SPLITS		(2 * (PT_MAX_LEVELS - 1))

/* One map call (pt_generic.h). */
struct pt_map_op {
	struct io_pgtable *pt;
	struct pt_reader *rd;		/* NULL: the table counts */
	const struct sim_ram_region *hint;	/* the walk's RAM region */
	int prot;
	u64 undo_end;	/* what this call wrote or created lies below */
};

/* A leaf an unmap split, to put back if a later split fails. */
struct pt_split {
	u64 *ptes;			/* the parent table ... */
	unsigned int idx;		/* ... and entry */
	u64 old;			/* the leaf */
	struct pt_table *t;		/* the table that replaced it */
};

/* One unmap call (pt_generic.h). */
struct pt_unmap_op {
	struct io_pgtable *pt;
	struct pt_reader *rd;		/* NULL: the table counts */
	const struct sim_ram_region *hint;
	u64 first;			/* the first granule's iova ... */
	phys_addr_t *first_phys;	/* ... and where it was mapped */
	bool now;		/* undoing a map: free its emptied tables too */
	bool resolved;		/* both boundaries' leaves are split */
	bool cleared;		/* an entry was cleared */
	bool failed;		/* a split could not be allocated */
	unsigned int nr_splits;
	/* the caller's PT_MAX_SPLITS, not zeroed: most unmaps split nothing */
	struct pt_split *splits;
};

struct io_pgtable {
	/*
	 * Read by every operation, written (but writer) only at set-up: the
	 * lines no table allocation or reclaim dirties.
	 */
	struct sim_machine *m;
	const struct pt_format *fmt;
	const struct pt_ops *ops;
	struct pt_table *root;
	/* RAM region of the root: nearly always every table's, so a walk's
	 * first guess; immutable after io_pgtable_alloc() */
	const struct sim_ram_region *root_region;
	unsigned int order;			/* page order of a table */
	u64 va_limit;				/* 1 << va_bits */
	u64 oa_limit;				/* 1 << oa_bits */
	unsigned long max_tables;		/* the machine's RAM can't hold more */
	/*
	 * Off: tables count their entries and go as soon as they empty;
	 * operations are serialised by op_lock. On (the IOMMU layer): no
	 * counts, operations on disjoint ranges run concurrently, and the
	 * tables they empty go at io_pgtable_reclaim() (pt.c).
	 */
	bool defer_free;
	_Atomic unsigned int nr_readers;	/* readers[] below this may be set */
	_Atomic(struct pt_reader *) readers[SIM_MAX_THREADS];
	/* deferred freeing: reclaim wants the operations out (its own line) */
	_Alignas(64) _Atomic int writer;

	/* written when tables come and go */
	_Alignas(64) sim_spinlock_t alloc_lock;
	/* the metadata hash and the table count: under alloc_lock */
	struct pt_table **buckets;
	unsigned int hash_bits;
	_Atomic unsigned long nr_tables;
	sim_spinlock_t op_lock;
	sim_spinlock_t writer_lock;		/* one reclaim at a time */
	sim_spinlock_t anon_lock;		/* threads without an index */
	/* tables reclaim unlinked, freed once operations may run again */
	unsigned int nr_gather;			/* under writer_lock */
	phys_addr_t gather[64];
	struct pt_reader anon;
};

/* ------------------------------------------------------------------------ */
/* PTEs in RAM                                                              */
/* ------------------------------------------------------------------------ */

static inline u64 pt_cpu_to_le64(u64 v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

/*
 * Single-copy atomic, as on hardware: the IOMMU model walks the tables
 * while the CPU updates them.
 */
static inline u64 pt_load(const u64 *p)
{
	return pt_cpu_to_le64(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static inline void pt_store(u64 *p, u64 pte)
{
	__atomic_store_n(p, pt_cpu_to_le64(pte), __ATOMIC_RELEASE);
}

/*
 * The CPU view of the table at @phys (from a table PTE), through the
 * machine's RAM regions as the IOMMU unit reads it: the region of the
 * previous step (*@hint, per walk) is tried first. NULL outside RAM (a
 * corrupted entry).
 */
static inline u64 *pt_host(const struct io_pgtable *pt, phys_addr_t phys,
			   const struct sim_ram_region **hint)
{
	const struct sim_ram_region *r = *hint;

	if (unlikely(phys - r->base >= r->size)) {
		r = sim_ram_region_of(pt->m, phys, 1);
		if (!r)
			return NULL;
		*hint = r;
	}
	return (u64 *)(r->cpu + (phys - r->base));
}

/* ------------------------------------------------------------------------ */
/* Table metadata (pt.c)                                                    */
/* ------------------------------------------------------------------------ */

static inline unsigned long pt_hash_bits(const struct io_pgtable *pt,
					 phys_addr_t phys, unsigned int bits)
{
	u64 key = phys >> pt->fmt->granule_shift;

	return (unsigned long)((key * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

/* The metadata of the table page at @phys; NULL (a BUG) if none. */
static inline struct pt_table *pt_table_find(struct io_pgtable *pt,
					     phys_addr_t phys)
{
	struct pt_table *t = pt->buckets[pt_hash_bits(pt, phys, pt->hash_bits)];

	while (t && t->phys != phys)
		t = t->hnext;
	if (unlikely(!t))
		SIM_BUG(pt->m, NULL,
			"io-pgtable: a table PTE points to 0x%llx, not a table of this page table (corrupted?)",
			(unsigned long long)phys);
	return t;
}

/* A zeroed table page and its metadata; NULL when out of memory. */
struct pt_table *pt_table_alloc(struct io_pgtable *pt);
void pt_table_free(struct io_pgtable *pt, struct pt_table *t);
/* Counted tables: @t (not the root) has no entry left: unlink it from its
 * parent (whose metadata is @parent) and free it. */
void pt_table_emptied(struct io_pgtable *pt, struct pt_table *parent,
		      u64 *parent_ptes, struct pt_table *t);
/* The table page at @phys, unlinked by the caller: free it. */
void pt_table_free_phys(struct io_pgtable *pt, phys_addr_t phys);

/*
 * prune() unlinked the table at @phys with no operation under way: free it
 * once they may run again (io_pgtable_reclaim()), or now if the list is
 * full.
 */
static inline void pt_table_unlinked(struct io_pgtable *pt, phys_addr_t phys)
{
	if (pt->nr_gather < sizeof(pt->gather) / sizeof(pt->gather[0]))
		pt->gather[pt->nr_gather++] = phys;
	else
		pt_table_free_phys(pt, phys);
}

/*
 * An unmap under @rd cleared entries of [@start, @end); @merge is the span
 * of a leaf table: a range in the same one as the last noted widens it
 * (reclaim looks at each noted range once, the whole table either way).
 */
static inline void pt_note_cleared(struct pt_reader *rd, u64 start, u64 end,
				   u64 merge)
{
	unsigned int n = atomic_load_explicit(&rd->nr, memory_order_relaxed);

	if (n) {
		u64 *ls = &rd->cand[n - 1].start, *le = &rd->cand[n - 1].end;

		if (n == PT_NR_CANDIDATES ||
		    (ALIGN_DOWN(start, merge) == ALIGN_DOWN(*ls, merge) &&
		     ALIGN_DOWN(end - 1, merge) == ALIGN_DOWN(*le - 1, merge))) {
			/* full, or the same leaf table: widen the last */
			*ls = min(*ls, start);
			*le = max(*le, end);
			return;
		}
	}
	rd->cand[n].start = start;
	rd->cand[n].end = end;
	atomic_store_explicit(&rd->nr, n + 1, memory_order_relaxed);
}

/* Install @new in an empty (or expected) entry; false if it changed. */
static inline bool pt_cmpxchg(u64 *p, u64 old, u64 new)
{
	u64 o = pt_cpu_to_le64(old);

	return __atomic_compare_exchange_n(p, &o, pt_cpu_to_le64(new), false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

#endif /* _DMASTACK_IOMMU_PT_PRIV_H */
