// SPDX-License-Identifier: MIT
/*
 * The IOMMU page-table engine: one map/unmap/walk algorithm over the formats
 * of pt_x86_64.c and pt_arm64.c (drivers/iommu/generic_pt and
 * io-pgtable-arm.c semantics).
 *
 * Table pages are blocks of the machine's RAM (order granule_shift - 12),
 * holding little-endian 64-bit PTEs in the format's encoding; the tree is
 * linked only through those PTEs, so the IOMMU model can walk it from
 * io_pgtable_root() with sim_phys_to_virt() and the format's ops.
 *
 * What the PTEs do not hold lives on the side: one struct pt_table per
 * table page (its struct page, host view and count of present entries), in
 * a hash keyed by the table's physical address, so that following a table
 * PTE finds its metadata in O(1).
 *
 * Every operation is all or nothing. map first walks the range without
 * writing anything: it fails with -EEXIST if anything is mapped there and
 * counts the table pages it will need; unmap counts the leaves it must
 * split (at most two chains, one at each end of the range). Those tables
 * are allocated up front into a pool; only then is the tree written, and
 * the write phase cannot fail. An allocation failure therefore leaves
 * everything as it was, and the fail-Nth sweep has nothing to unwind but
 * the pool.
 *
 * Non-root tables are never empty: map only creates a table to put
 * something in it, and unmap frees a table (at any level but the root) as
 * soon as its last entry goes. Callers serialise per domain (iommu-dma
 * does); a mutex keeps the side structures consistent regardless.
 */
#include <string.h>
#include "pt.h"

struct pt_table {
	struct pt_table *hnext;		/* hash chain */
	struct pt_table *pool_next;	/* in a pool: allocated, not linked */
	struct page *page;
	phys_addr_t phys;
	u64 *ptes;			/* CPU view of the table page */
	unsigned int live;		/* present entries */
	struct pt_table *parent;	/* NULL for the root */
	unsigned int pidx;		/* our entry in the parent */
	struct pt_table *empty_next;	/* on the deferred-free list */
	bool empty_queued;
};

/* Tables allocated for one operation before the tree is touched. */
struct pt_pool {
	struct pt_table *head;
	unsigned long nr;
};

/* A leaf that unmap must split: the entry at @level covering @base. */
struct pt_split {
	unsigned int level;
	u64 base;
};

#define PT_HASH_MIN_BITS	6
/* Each end of an unmap range splits at most one leaf per level. */
#define PT_MAX_SPLITS		(2 * (PT_MAX_LEVELS - 1))

struct io_pgtable {
	struct sim_machine *m;
	const struct pt_format *fmt;
	struct pt_table *root;
	unsigned int top;			/* the root's level */
	unsigned int order;			/* page order of a table */
	unsigned int shift[PT_MAX_LEVELS];	/* log2 of an entry's span */
	u64 va_limit;				/* 1 << va_bits */
	u64 oa_limit;				/* 1 << oa_bits */
	unsigned long max_tables;		/* the machine's RAM can't hold more */
	struct pt_table **buckets;
	unsigned int hash_bits;
	unsigned long nr_tables;
	bool defer_free;			/* empty tables wait for reclaim */
	struct pt_table *empty_list;
	/* software walk cache: the last-level table of one region */
	u64 wc_base;
	struct pt_table *wc_table;
};

/* ------------------------------------------------------------------------ */
/* PTE access                                                               */
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
static inline u64 pte_get(const struct pt_table *t, unsigned int idx)
{
	return pt_cpu_to_le64(__atomic_load_n(&t->ptes[idx], __ATOMIC_ACQUIRE));
}

static inline void pte_set(struct pt_table *t, unsigned int idx, u64 pte)
{
	__atomic_store_n(&t->ptes[idx], pt_cpu_to_le64(pte), __ATOMIC_RELEASE);
}

static inline u64 pt_span(const struct io_pgtable *pt, unsigned int level)
{
	return 1ULL << pt->shift[level];
}

static inline unsigned int pt_index(const struct io_pgtable *pt,
				    unsigned int level, u64 iova)
{
	return (iova >> pt->shift[level]) &
	       ((1U << pt->fmt->bits_per_level[level]) - 1);
}

/* Can [@iova, @iova + @len) be one leaf at @level, mapping @paddr? */
static bool pt_can_leaf(const struct io_pgtable *pt, unsigned int level,
			u64 iova, phys_addr_t paddr, u64 len)
{
	u64 span = pt_span(pt, level);

	return (pt->fmt->leaf_levels & (1U << level)) && len == span &&
	       IS_ALIGNED(iova, span) && IS_ALIGNED(paddr, span);
}

/* ------------------------------------------------------------------------ */
/* Table metadata: a hash of struct pt_table keyed by physical address      */
/* ------------------------------------------------------------------------ */

static unsigned long pt_hash_bits(const struct io_pgtable *pt,
				  phys_addr_t phys, unsigned int bits)
{
	u64 key = phys >> pt->fmt->granule_shift;

	return (unsigned long)((key * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

static unsigned long pt_hash(const struct io_pgtable *pt, phys_addr_t phys)
{
	return pt_hash_bits(pt, phys, pt->hash_bits);
}

static struct pt_table *table_find(struct io_pgtable *pt, phys_addr_t phys)
{
	struct pt_table *t = pt->buckets[pt_hash(pt, phys)];

	while (t && t->phys != phys)
		t = t->hnext;
	return t;
}

/* The table a table PTE at @level points to. */
static struct pt_table *table_of(struct io_pgtable *pt, u64 pte,
				 unsigned int level)
{
	phys_addr_t phys = pt->fmt->pte_addr(pte);
	struct pt_table *t = table_find(pt, phys);

	if (unlikely(!t))
		SIM_BUG(pt->m, NULL,
			"io-pgtable: level %u PTE 0x%llx points to 0x%llx, not a table of this page table (corrupted?)",
			level, (unsigned long long)pte,
			(unsigned long long)phys);
	return t;
}

/*
 * Make room for @n more tables at a load factor of at most two. Resizing
 * allocates, so it happens with the pool, before anything is written.
 */
static int hash_reserve(struct io_pgtable *pt, unsigned long n)
{
	unsigned long want = min(pt->nr_tables + n, pt->max_tables);
	unsigned int bits = pt->hash_bits;
	struct pt_table **nb;

	while ((2UL << bits) < want)
		bits++;
	if (bits == pt->hash_bits)
		return 0;
	nb = sim_kcalloc(pt->m, 1UL << bits, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	for (unsigned long i = 0; i < (1UL << pt->hash_bits); i++) {
		struct pt_table *t = pt->buckets[i], *next;

		for (; t; t = next) {
			unsigned long h = pt_hash_bits(pt, t->phys, bits);

			next = t->hnext;
			t->hnext = nb[h];
			nb[h] = t;
		}
	}
	sim_kfree(pt->m, pt->buckets);
	pt->buckets = nb;
	pt->hash_bits = bits;
	return 0;
}

static void hash_del(struct io_pgtable *pt, struct pt_table *t)
{
	struct pt_table **pp = &pt->buckets[pt_hash(pt, t->phys)];

	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
}

/* A zeroed table page and its metadata, entered in the hash. */
static struct pt_table *table_alloc(struct io_pgtable *pt)
{
	struct pt_table *t = sim_kzalloc(pt->m, sizeof(*t));
	unsigned long h;

	if (!t)
		return NULL;
	t->page = sim_alloc_pages(pt->m, pt->order);
	if (!t->page) {
		sim_kfree(pt->m, t);
		return NULL;
	}
	t->phys = page_to_phys(t->page);
	t->ptes = page_address(t->page);
	memset(t->ptes, 0, PAGE_SIZE << pt->order);
	h = pt_hash(pt, t->phys);
	t->hnext = pt->buckets[h];
	pt->buckets[h] = t;
	pt->nr_tables++;
	return t;
}

static void table_free(struct io_pgtable *pt, struct pt_table *t)
{
	if (pt->wc_table == t)
		pt->wc_table = NULL;
	hash_del(pt, t);
	sim_free_pages(pt->m, t->page, pt->order);
	sim_kfree(pt->m, t);
	pt->nr_tables--;
}

/* ------------------------------------------------------------------------ */
/* The pool of tables one operation needs                                   */
/* ------------------------------------------------------------------------ */

static int pool_fill(struct io_pgtable *pt, struct pt_pool *pool,
		     unsigned long n)
{
	if (!n)
		return 0;
	if (n > pt->max_tables || hash_reserve(pt, n))
		return -ENOMEM;
	while (pool->nr < n) {
		struct pt_table *t = table_alloc(pt);

		if (!t)
			return -ENOMEM;
		t->pool_next = pool->head;
		pool->head = t;
		pool->nr++;
	}
	return 0;
}

static struct pt_table *pool_take(struct io_pgtable *pt, struct pt_pool *pool)
{
	struct pt_table *t = pool->head;

	if (unlikely(!t)) {
		SIM_BUG(pt->m, NULL, "io-pgtable: table pool ran dry");
		return NULL;
	}
	pool->head = t->pool_next;
	t->pool_next = NULL;
	pool->nr--;
	return t;
}

static void pool_drain(struct io_pgtable *pt, struct pt_pool *pool)
{
	while (pool->head) {
		struct pt_table *t = pool->head;

		pool->head = t->pool_next;
		table_free(pt, t);
	}
	pool->nr = 0;
}

/* ------------------------------------------------------------------------ */
/* map                                                                      */
/* ------------------------------------------------------------------------ */

/*
 * Check [@iova, @end) under @t (NULL: a table still to be created, so all
 * empty) and count in *@need the tables a map of it creates. Nothing is
 * written. Returns 0, -EEXIST, or -ENOMEM when more tables would be needed
 * than the machine's RAM holds.
 */
static int map_count(struct io_pgtable *pt, struct pt_table *t,
		     unsigned int level, u64 iova, phys_addr_t paddr, u64 end,
		     unsigned long *need)
{
	const struct pt_format *fmt = pt->fmt;
	u64 span = pt_span(pt, level);

	if (!t && !level)
		return 0;		/* a new leaf table: only leaves */
	while (iova < end) {
		u64 len = min(ALIGN_DOWN(iova, span) + span, end) - iova;
		u64 pte = t ? pte_get(t, pt_index(pt, level, iova)) : 0;
		int ret;

		if (t && fmt->present(pte)) {
			struct pt_table *child;

			if (!fmt->is_table(pte, level))
				return -EEXIST;
			child = table_of(pt, pte, level);
			if (!child)
				return -EEXIST;		/* refuse to touch it */
			ret = map_count(pt, child, level - 1, iova, paddr,
					iova + len, need);
			if (ret)
				return ret;
		} else if (!pt_can_leaf(pt, level, iova, paddr, len)) {
			if (++*need > pt->max_tables)
				return -ENOMEM;
			ret = map_count(pt, NULL, level - 1, iova, paddr,
					iova + len, need);
			if (ret)
				return ret;
		}
		iova += len;
		paddr += len;
	}
	return 0;
}

/*
 * Write [@iova, @end) -> @paddr under @t, taking new tables from @pool.
 * map_count() has checked the range and sized the pool, so this only fails
 * if that accounting is wrong (reported as a BUG).
 */
static int map_apply(struct io_pgtable *pt, struct pt_table *t,
		     unsigned int level, u64 iova, phys_addr_t paddr, u64 end,
		     int prot, struct pt_pool *pool)
{
	const struct pt_format *fmt = pt->fmt;
	u64 span = pt_span(pt, level);

	while (iova < end) {
		u64 len = min(ALIGN_DOWN(iova, span) + span, end) - iova;
		unsigned int idx = pt_index(pt, level, iova);
		u64 pte = pte_get(t, idx);
		struct pt_table *child;
		int ret;

		if (!fmt->present(pte)) {
			if (pt_can_leaf(pt, level, iova, paddr, len)) {
				pte_set(t, idx, fmt->mk_leaf(paddr, prot, level));
				t->live++;
				goto next;
			}
			child = pool_take(pt, pool);
			if (!child)
				return -ENOMEM;
			child->parent = t;
			child->pidx = idx;
			pte_set(t, idx, fmt->mk_table(child->phys));
			t->live++;
		} else {
			if (!fmt->is_table(pte, level))
				return -EEXIST;
			child = table_of(pt, pte, level);
			if (!child)
				return -EEXIST;
		}
		ret = map_apply(pt, child, level - 1, iova, paddr, iova + len,
				prot, pool);
		if (ret)
			return ret;
next:
		iova += len;
		paddr += len;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* unmap                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * The leaves an unmap with a boundary at @addr must split: the leaf that
 * contains @addr if @addr is inside it, then the next-level leaf that
 * contains @addr, and so on down to a level whose entries @addr is aligned
 * to. Added to @splits unless already there (both ends in one leaf).
 */
static int count_splits(struct io_pgtable *pt, u64 addr,
			struct pt_split *splits, unsigned int *nr)
{
	const struct pt_format *fmt = pt->fmt;
	struct pt_table *t = pt->root;
	unsigned int level = pt->top;
	int leaf_level;

	for (;;) {
		u64 pte = pte_get(t, pt_index(pt, level, addr));

		if (!fmt->present(pte))
			return -1;
		if (!fmt->is_table(pte, level))
			break;
		t = table_of(pt, pte, level);
		if (!t)
			return -1;
		level--;
	}
	leaf_level = (int)level;
	for (; level > 0 && !IS_ALIGNED(addr, pt_span(pt, level)); level--) {
		u64 base = ALIGN_DOWN(addr, pt_span(pt, level));
		unsigned int i;

		for (i = 0; i < *nr; i++)
			if (splits[i].level == level && splits[i].base == base)
				break;
		if (i == *nr && *nr < PT_MAX_SPLITS)
			splits[(*nr)++] = (struct pt_split){ level, base };
	}
	return leaf_level;
}

/*
 * Replace the leaf @pte at @t[@idx] (level @level) by a table of leaves of
 * the next level mapping the same range with the same protection. The new
 * table is complete before the PTE switches to it, so a walker sees the
 * same translation throughout.
 */
static struct pt_table *split_leaf(struct io_pgtable *pt, struct pt_table *t,
				   unsigned int idx, unsigned int level,
				   u64 pte, struct pt_pool *pool)
{
	const struct pt_format *fmt = pt->fmt;
	struct pt_table *child = pool_take(pt, pool);
	phys_addr_t pa = fmt->pte_addr(pte);
	int prot = fmt->pte_prot(pte);
	u64 cspan = pt_span(pt, level - 1);
	unsigned int n = 1U << fmt->bits_per_level[level - 1];

	if (!child)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		pte_set(child, i, fmt->mk_leaf(pa + i * cspan, prot, level - 1));
	child->live = n;
	child->parent = t;
	child->pidx = idx;
	pte_set(t, idx, fmt->mk_table(child->phys));
	return child;
}

/*
 * Clear [@iova, @end) under @t, splitting leaves that straddle an end
 * (tables from @pool) and freeing tables that become empty. Returns the
 * bytes that were mapped; sets *@stop if a split could not be done.
 */
static u64 unmap_apply(struct io_pgtable *pt, struct pt_table *t,
		       unsigned int level, u64 iova, u64 end,
		       struct pt_pool *pool, bool *stop)
{
	const struct pt_format *fmt = pt->fmt;
	u64 span = pt_span(pt, level);
	u64 done = 0;

	while (iova < end && !*stop) {
		u64 len = min(ALIGN_DOWN(iova, span) + span, end) - iova;
		unsigned int idx = pt_index(pt, level, iova);
		u64 pte = pte_get(t, idx);
		struct pt_table *child;

		if (!fmt->present(pte))
			goto next;
		if (!fmt->is_table(pte, level)) {
			if (len == span) {
				pte_set(t, idx, 0);
				t->live--;
				done += span;
				goto next;
			}
			child = split_leaf(pt, t, idx, level, pte, pool);
			if (!child) {
				*stop = true;
				break;
			}
		} else {
			child = table_of(pt, pte, level);
			if (!child)
				goto next;
		}
		done += unmap_apply(pt, child, level - 1, iova, iova + len,
				    pool, stop);
		if (!child->live) {
			if (pt->defer_free) {
				/* freed by io_pgtable_reclaim() after the flush */
				if (!child->empty_queued) {
					child->empty_queued = true;
					child->empty_next = pt->empty_list;
					pt->empty_list = child;
				}
			} else {
				pte_set(t, idx, 0);
				t->live--;
				table_free(pt, child);
			}
		}
next:
		iova += len;
	}
	return done;
}

/* ------------------------------------------------------------------------ */
/* The API                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * pt_format_get - look up a page-table format
 * @name: "x86_64", or "arm64-lpae" (alias "arm64")
 * @granule: the translation granule in bytes
 *
 * Returns a static const format, owned by the library and never freed, or
 * NULL when the pair is not supported (x86_64 has only a 4K granule).
 */
const struct pt_format *pt_format_get(const char *name, unsigned long granule)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "x86_64"))
		return pt_x86_64_format(granule);
	if (!strcmp(name, "arm64-lpae") || !strcmp(name, "arm64"))
		return pt_arm64_lpae_format(granule);
	return NULL;
}

/* What the algorithm relies on: a split leaf becomes next-level leaves. */
static bool pt_format_ok(const struct pt_format *fmt)
{
	unsigned int bits = fmt->granule_shift;

	if (fmt->levels < 2 || fmt->levels > PT_MAX_LEVELS ||
	    fmt->granule_shift < PAGE_SHIFT || fmt->va_bits >= 64 ||
	    fmt->oa_bits >= 64 || !(fmt->leaf_levels & 1) ||
	    (fmt->leaf_levels & (fmt->leaf_levels + 1)) ||
	    fmt->leaf_levels >> fmt->levels)
		return false;
	for (unsigned int l = 0; l < fmt->levels; l++) {
		if (!fmt->bits_per_level[l] ||
		    fmt->bits_per_level[l] > fmt->granule_shift - 3)
			return false;
		bits += fmt->bits_per_level[l];
	}
	return bits == fmt->va_bits;
}

/**
 * io_pgtable_alloc - an empty page table (just a root table page)
 * @m: the machine whose RAM holds the tables and whose allocation hook
 *	every allocation goes through
 * @format: format name, see pt_format_get()
 * @granule: translation granule in bytes
 *
 * The caller owns the returned table and releases it, with every table
 * page it still holds, with io_pgtable_free(). Returns NULL for an unknown
 * format/granule or when an allocation fails (nothing is left allocated).
 */
struct io_pgtable *io_pgtable_alloc(struct sim_machine *m, const char *format,
				    unsigned long granule)
{
	const struct pt_format *fmt = pt_format_get(format, granule);
	struct io_pgtable *pt;
	u64 ram_tables;

	if (!m || !fmt || !pt_format_ok(fmt))
		return NULL;
	pt = sim_kzalloc(m, sizeof(*pt));
	if (!pt)
		return NULL;
	pt->m = m;
	pt->fmt = fmt;
	pt->top = fmt->levels - 1;
	pt->order = fmt->granule_shift - PAGE_SHIFT;
	pt->shift[0] = fmt->granule_shift;
	for (unsigned int l = 1; l < fmt->levels; l++)
		pt->shift[l] = pt->shift[l - 1] + fmt->bits_per_level[l - 1];
	pt->va_limit = 1ULL << fmt->va_bits;
	pt->oa_limit = 1ULL << fmt->oa_bits;
	ram_tables = sim_ram_size(m) >> fmt->granule_shift;
	pt->max_tables = max(ram_tables, (u64)1);
	pt->hash_bits = PT_HASH_MIN_BITS;
	pt->buckets = sim_kcalloc(m, 1UL << pt->hash_bits,
				  sizeof(*pt->buckets));
	if (!pt->buckets)
		goto err_pt;
	pt->root = table_alloc(pt);
	if (!pt->root)
		goto err_buckets;
	return pt;

err_buckets:
	sim_kfree(m, pt->buckets);
err_pt:
	sim_kfree(m, pt);
	return NULL;
}

/**
 * io_pgtable_free - free a page table
 * @pt: table from io_pgtable_alloc(), or NULL
 *
 * Frees every table page (whatever is still mapped), the metadata and the
 * object itself. The caller must have detached it from any IOMMU context.
 */
void io_pgtable_free(struct io_pgtable *pt)
{
	struct sim_machine *m;

	if (!pt)
		return;
	m = pt->m;
	for (unsigned long i = 0; i < (1UL << pt->hash_bits); i++) {
		struct pt_table *t = pt->buckets[i], *next;

		for (; t; t = next) {
			next = t->hnext;
			sim_free_pages(m, t->page, pt->order);
			sim_kfree(m, t);
		}
	}
	sim_kfree(m, pt->buckets);
	sim_kfree(m, pt);
}

/**
 * io_pgtable_format - the format of @pt (static, owned by the library)
 */
const struct pt_format *io_pgtable_format(struct io_pgtable *pt)
{
	return pt->fmt;
}

/**
 * io_pgtable_root - physical address of @pt's root table page
 *
 * The page belongs to @pt for its whole life; an IOMMU context may point
 * at it until io_pgtable_free().
 */
phys_addr_t io_pgtable_root(struct io_pgtable *pt)
{
	return pt->root->phys;
}

/**
 * io_pgtable_pgsize_bitmap - leaf sizes of @pt's format, one bit per size
 */
unsigned long io_pgtable_pgsize_bitmap(struct io_pgtable *pt)
{
	unsigned long bitmap = 0;

	for (unsigned int l = 0; l < pt->fmt->levels; l++)
		if (pt->fmt->leaf_levels & (1U << l))
			bitmap |= 1UL << pt->shift[l];
	return bitmap;
}

/**
 * io_pgtable_table_pages - table pages @pt holds now, the root included
 */
unsigned long io_pgtable_table_pages(struct io_pgtable *pt)
{
	unsigned long n;

	n = pt->nr_tables;
	return n;
}

/**
 * io_pgtable_table_bytes - bytes of RAM in @pt's table pages
 */
u64 io_pgtable_table_bytes(struct io_pgtable *pt)
{
	return (u64)io_pgtable_table_pages(pt) << pt->fmt->granule_shift;
}

/* Granule-aligned, non-empty, inside [0, @limit) without wrapping. */
static bool pt_range_ok(const struct io_pgtable *pt, u64 addr, u64 size,
			u64 limit)
{
	u64 gmask = (1ULL << pt->fmt->granule_shift) - 1;

	return size && !(addr & gmask) && !(size & gmask) && size <= limit &&
	       addr <= limit - size;
}

/**
 * io_pgtable_map - map [@iova, @iova + @size) to @paddr with @prot
 * @pt: the page table (the caller serialises operations on one table)
 *
 * Uses the largest leaf that the alignment of the iova and the physical
 * address and the remaining size allow. The table pages it creates belong
 * to @pt. Returns 0, -EINVAL (bad alignment, empty, out of the input or
 * output range, prot without IOMMU_READ|IOMMU_WRITE), -EEXIST (part of the
 * range is already mapped) or -ENOMEM; on error the table is unchanged.
 */
/*
 * The existing last-level table that holds all of [@iova, @iova + @size),
 * or NULL (the range crosses tables, or a level on the way is missing or a
 * leaf). The fast paths of map and unmap work inside it with one walk.
 */
static inline __attribute__((always_inline)) struct pt_table *
last_level_table(struct io_pgtable *pt, u64 iova, u64 size)
{
	const struct pt_format *fmt = pt->fmt;
	struct pt_table *t = pt->root;
	u64 base = ALIGN_DOWN(iova, pt_span(pt, 1));

	if (base != ALIGN_DOWN(iova + size - 1, pt_span(pt, 1)))
		return NULL;
	/* Consecutive operations in one region skip the walk. */
	if (pt->wc_table && pt->wc_base == base)
		return pt->wc_table;
	for (unsigned int level = pt->top; level > 0; level--) {
		u64 pte = pte_get(t, pt_index(pt, level, iova));

		if (!fmt->present(pte) || !fmt->is_table(pte, level))
			return NULL;
		t = table_of(pt, pte, level);
		if (!t)
			return NULL;
	}
	pt->wc_base = base;
	pt->wc_table = t;
	return t;
}

/* Map into an existing last-level table: no new tables, one walk. */
static inline __attribute__((always_inline)) int
map_fast(struct io_pgtable *pt, struct pt_table *t, u64 iova,
	 phys_addr_t paddr, u64 size, int prot)
{
	const struct pt_format *fmt = pt->fmt;
	unsigned int first = pt_index(pt, 0, iova);
	unsigned int n = (unsigned int)(size >> pt->shift[0]);

	/* empty entries are 0 in every format: nothing else clears them */
	for (unsigned int i = 0; i < n; i++)
		if (pte_get(t, first + i))
			return -EEXIST;
	for (unsigned int i = 0; i < n; i++)
		pte_set(t, first + i,
			fmt->mk_leaf(paddr + ((u64)i << pt->shift[0]), prot, 0));
	t->live += n;
	return 0;
}

int io_pgtable_map(struct io_pgtable *pt, u64 iova, phys_addr_t paddr,
		   size_t size, int prot)
{
	struct pt_pool pool = { NULL, 0 };
	unsigned long need = 0;
	struct pt_table *t;
	int ret;

	if (!pt_range_ok(pt, iova, size, pt->va_limit) ||
	    !pt_range_ok(pt, paddr, size, pt->oa_limit) ||
	    !(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	/* Fast path: small mappings into a table that is already there. */
	t = last_level_table(pt, iova, size);
	if (t && !pt_can_leaf(pt, 1, iova, paddr, size))
		return map_fast(pt, t, iova, paddr, size, prot);

	ret = map_count(pt, pt->root, pt->top, iova, paddr, iova + size, &need);
	if (!ret)
		ret = pool_fill(pt, &pool, need);
	if (!ret) {
		ret = map_apply(pt, pt->root, pt->top, iova, paddr,
				iova + size, prot, &pool);
		if (ret) {
			bool stop = false;

			/* Only after a BUG above: nothing else was there. */
			unmap_apply(pt, pt->root, pt->top, iova, iova + size,
				    &pool, &stop);
		} else if (pool.head) {
			SIM_BUG(pt->m, NULL,
				"io-pgtable: map left %lu preallocated tables unused",
				pool.nr);
		}
	}
	pool_drain(pt, &pool);
	return ret;
}

/**
 * io_pgtable_unmap - unmap [@iova, @iova + @size)
 * @pt: the page table (the caller serialises operations on one table)
 *
 * Granule-aligned. Leaves straddling either end are split first, with the
 * tables for that allocated before anything changes: if that allocation
 * fails, nothing is unmapped and 0 is returned. Table pages that become
 * empty are freed (never the root). Returns the bytes that were mapped in
 * the range (holes count as nothing); 0 for a misaligned, empty or
 * out-of-range request.
 */
/*
 * Unmap inside one last-level table (no split possible there). An emptied
 * table is queued for reclaim when freeing is deferred; otherwise the slow
 * path, which can free it, is used instead (returns -1).
 */
static s64 unmap_fast(struct io_pgtable *pt, struct pt_table *t, u64 iova,
		      u64 size, phys_addr_t *first_phys)
{
	const struct pt_format *fmt = pt->fmt;
	unsigned int first = pt_index(pt, 0, iova);
	unsigned int n = (unsigned int)(size >> pt->shift[0]), cleared = 0;

	for (unsigned int i = 0; i < n; i++)
		cleared += fmt->present(pte_get(t, first + i));
	if (cleared == t->live && !pt->defer_free)
		return -1;
	if (first_phys) {
		u64 pte = pte_get(t, first);

		*first_phys = fmt->present(pte) ? fmt->pte_addr(pte) : 0;
	}
	for (unsigned int i = 0; i < n; i++)
		if (fmt->present(pte_get(t, first + i)))
			pte_set(t, first + i, 0);
	t->live -= cleared;
	if (!t->live && !t->empty_queued) {
		t->empty_queued = true;
		t->empty_next = pt->empty_list;
		pt->empty_list = t;
	}
	return (s64)cleared << pt->shift[0];
}

/**
 * io_pgtable_unmap_phys - unmap, also returning what the first granule
 * translated to (0 if it was not mapped): iommu-dma needs both and this
 * takes one walk instead of two.
 */
size_t io_pgtable_unmap_phys(struct io_pgtable *pt, u64 iova, size_t size,
			     phys_addr_t *first_phys)
{
	struct pt_table *t;
	s64 done;
	int prot;

	if (!pt_range_ok(pt, iova, size, pt->va_limit))
		return 0;
	t = last_level_table(pt, iova, size);
	if (t) {
		done = unmap_fast(pt, t, iova, size, first_phys);
		if (done >= 0)
			return (size_t)done;
	}
	if (first_phys && io_pgtable_lookup(pt, iova, first_phys, &prot, NULL))
		*first_phys = 0;
	return io_pgtable_unmap(pt, iova, size);
}

size_t io_pgtable_unmap(struct io_pgtable *pt, u64 iova, size_t size)
{
	struct pt_split splits[PT_MAX_SPLITS];
	struct pt_pool pool = { NULL, 0 };
	unsigned int nr = 0;
	bool stop = false;
	u64 done = 0;
	struct pt_table *t;

	if (!pt_range_ok(pt, iova, size, pt->va_limit))
		return 0;
	t = last_level_table(pt, iova, size);
	if (t) {
		s64 fast = unmap_fast(pt, t, iova, size, NULL);

		if (fast >= 0)
			return (size_t)fast;
	}

	/*
	 * The end needs its own walk unless the range ends inside the same
	 * last-level table the start reached: then nothing there can split.
	 */
	if (count_splits(pt, iova, splits, &nr) != 0 ||
	    ALIGN_DOWN(iova, pt_span(pt, 1)) !=
		    ALIGN_DOWN(iova + size - 1, pt_span(pt, 1))) {
		if (iova + size < pt->va_limit)
			count_splits(pt, iova + size, splits, &nr);
	}
	if (!pool_fill(pt, &pool, nr)) {
		done = unmap_apply(pt, pt->root, pt->top, iova, iova + size,
				   &pool, &stop);
		if (pool.head)
			SIM_BUG(pt->m, NULL,
				"io-pgtable: unmap left %lu preallocated tables unused",
				pool.nr);
	}
	pool_drain(pt, &pool);
	return done;
}

/**
 * io_pgtable_set_defer_free - keep emptied tables until io_pgtable_reclaim()
 *
 * The IOMMU layer frees table pages only after the IOTLB flush that follows
 * an unmap, as the kernel does with its gather freelist; a table emptied and
 * refilled before that is simply reused.
 */
void io_pgtable_set_defer_free(struct io_pgtable *pt, bool defer)
{
	pt->defer_free = defer;
	if (!defer)
		io_pgtable_reclaim(pt);
}

/**
 * io_pgtable_reclaim - free the tables emptied by unmaps and still empty
 *
 * Walks up from each one: a parent left empty goes too (never the root).
 * Returns the number of table pages freed.
 */
unsigned long io_pgtable_reclaim(struct io_pgtable *pt)
{
	unsigned long freed = 0;

	while (pt->empty_list) {
		struct pt_table *t = pt->empty_list;

		pt->empty_list = t->empty_next;
		t->empty_queued = false;
		while (t && t != pt->root && !t->live) {
			struct pt_table *parent = t->parent;

			pte_set(parent, t->pidx, 0);
			parent->live--;
			if (parent->empty_queued) {
				/* still queued further down the list: it is
				 * handled here, unlink it from the list */
				struct pt_table **pp = &pt->empty_list;

				while (*pp && *pp != parent)
					pp = &(*pp)->empty_next;
				if (*pp)
					*pp = parent->empty_next;
				parent->empty_queued = false;
			}
			table_free(pt, t);
			freed++;
			t = parent;
		}
	}
	return freed;
}

/**
 * io_pgtable_lookup - walk the table for @iova
 * @phys: out, the physical address @iova translates to (may be NULL)
 * @prot: out, the leaf's IOMMU_* bits as the format encodes them (may be NULL)
 * @leaf_size: out, the size of the leaf (may be NULL)
 *
 * Returns 0, or -ENOENT when nothing is mapped at @iova (or it is outside
 * the input range).
 */
int io_pgtable_lookup(struct io_pgtable *pt, u64 iova, phys_addr_t *phys,
		      int *prot, size_t *leaf_size)
{
	const struct pt_format *fmt = pt->fmt;
	struct pt_table *t = pt->root;
	unsigned int level = pt->top;
	int ret = -ENOENT;

	if (iova >= pt->va_limit)
		return -ENOENT;
	for (;;) {
		u64 pte = pte_get(t, pt_index(pt, level, iova));
		u64 span = pt_span(pt, level);

		if (!fmt->present(pte))
			break;
		if (fmt->is_table(pte, level)) {
			t = table_of(pt, pte, level);
			if (!t)
				break;
			level--;
			continue;
		}
		if (phys)
			*phys = fmt->pte_addr(pte) + (iova & (span - 1));
		if (prot)
			*prot = fmt->pte_prot(pte);
		if (leaf_size)
			*leaf_size = span;
		ret = 0;
		break;
	}
	return ret;
}
