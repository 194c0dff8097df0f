// SPDX-License-Identifier: MIT
/*
 * The IOMMU page-table engine, format-independent part: table pages and
 * their metadata, deferred freeing, and the API. The map/unmap/lookup
 * algorithm is pt_generic.h, instantiated per format with the format's
 * entry operations inlined (pt_x86_64.c, pt_arm64.c), as the kernel's
 * generic_pt does; the API calls it through the format's struct pt_ops.
 *
 * Table pages are blocks of the machine's RAM (order granule_shift - 12),
 * holding little-endian 64-bit PTEs in the format's encoding; the tree is
 * linked only through those PTEs, so the IOMMU model can walk it from
 * io_pgtable_root() with the machine's RAM view, and so do the walks here.
 *
 * What the PTEs do not hold lives on the side: one struct pt_table per
 * table page (its struct page, host view and count of present entries), in
 * a hash keyed by the table's physical address, looked up only for a table
 * whose count changes.
 *
 * Every operation is all or nothing. map creates tables as it walks and,
 * if it meets a mapping (-EEXIST) or runs out of memory, takes back what it
 * wrote and frees the tables it made; unmap splits the leaves straddling
 * its ends before it clears anything, and puts them back if a split cannot
 * be allocated.
 *
 * A table counts its entries unless freeing is deferred. Counted, non-root
 * tables are never empty: map only creates a table to put something in
 * it, and unmap frees a table (at any level but the root) as soon as its
 * last entry goes. Operations on a counted table are serialised (op_lock).
 *
 * Concurrent operations. With deferred freeing (the IOMMU layer's tables)
 * operations on disjoint ranges run at once, as the kernel's io-pgtable
 * allows: the DMA API never maps or unmaps one range from two threads.
 * Nothing is counted, so two threads mapping next to each other write no
 * common line but the entries themselves; a new table goes into its empty
 * entry with a compare-and-exchange (the loser frees its own and uses the
 * winner's). Each unmap notes the range it cleared in its thread's reader
 * (struct pt_reader); io_pgtable_reclaim(), after the IOTLB flush, waits
 * until no operation is under way, then looks at those ranges only and
 * frees the tables in them that are empty, bottom up. Entering an
 * operation is one exchange on the thread's own line, as an uncontended
 * lock is, but no line is shared between threads.
 */
#include <stdlib.h>
#include <string.h>
#include "pt-priv.h"

/* ------------------------------------------------------------------------ */
/* Table metadata: a hash of struct pt_table keyed by physical address      */
/* ------------------------------------------------------------------------ */

static unsigned long pt_hash(const struct io_pgtable *pt, phys_addr_t phys)
{
	return pt_hash_bits(pt, phys, pt->hash_bits);
}

/*
 * Room for one more table at a load factor of at most two: the hash
 * doubles when it is full. Its allocation failing fails the operation
 * (-ENOMEM), which then undoes itself.
 */
static int hash_grow(struct io_pgtable *pt)
{
	unsigned int bits = pt->hash_bits + 1;
	struct pt_table **nb;

	if ((2UL << pt->hash_bits) > pt->nr_tables ||
	    (2UL << pt->hash_bits) >= pt->max_tables)
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

/* A zeroed table page and its metadata; takes alloc_lock. */
struct pt_table *pt_table_alloc(struct io_pgtable *pt)
{
	struct pt_table *t;
	struct page *page;
	unsigned long h;

	/* zeroed outside the lock: the table is nobody else's yet */
	page = sim_alloc_pages(pt->m, pt->order);
	if (!page)
		return NULL;
	memset(page_address(page), 0, PAGE_SIZE << pt->order);
	sim_spin_lock(&pt->alloc_lock);
	if (atomic_load_explicit(&pt->nr_tables, memory_order_relaxed) >=
	    pt->max_tables || hash_grow(pt))
		goto err_page;
	t = sim_kzalloc(pt->m, sizeof(*t));
	if (!t)
		goto err_page;
	t->page = page;
	t->phys = page_to_phys(page);
	t->ptes = page_address(page);
	h = pt_hash(pt, t->phys);
	t->hnext = pt->buckets[h];
	pt->buckets[h] = t;
	atomic_fetch_add_explicit(&pt->nr_tables, 1, memory_order_relaxed);
	sim_spin_unlock(&pt->alloc_lock);
	return t;

err_page:
	sim_spin_unlock(&pt->alloc_lock);
	sim_free_pages(pt->m, page, pt->order);
	return NULL;
}

/* Free @t, unlinked by the caller; takes alloc_lock. */
void pt_table_free(struct io_pgtable *pt, struct pt_table *t)
{
	sim_spin_lock(&pt->alloc_lock);
	hash_del(pt, t);
	atomic_fetch_sub_explicit(&pt->nr_tables, 1, memory_order_relaxed);
	sim_spin_unlock(&pt->alloc_lock);
	sim_free_pages(pt->m, t->page, pt->order);
	sim_kfree(pt->m, t);
}

void pt_table_free_phys(struct io_pgtable *pt, phys_addr_t phys)
{
	struct pt_table *t;

	sim_spin_lock(&pt->alloc_lock);
	t = pt_table_find(pt, phys);
	sim_spin_unlock(&pt->alloc_lock);
	if (t)
		pt_table_free(pt, t);
}

void pt_table_emptied(struct io_pgtable *pt, struct pt_table *parent,
		      u64 *parent_ptes, struct pt_table *t)
{
	pt_store(parent_ptes + t->pidx, 0);
	parent->live--;
	pt_table_free(pt, t);
}

/* ------------------------------------------------------------------------ */
/* Concurrent operations (deferred freeing): readers and reclaim            */
/* ------------------------------------------------------------------------ */

/*
 * The calling thread's reader, created on first use; the shared one
 * (anon, under anon_lock for the whole operation) for a thread without an
 * index or when that allocation fails.
 */
static struct pt_reader *pt_reader_get(struct io_pgtable *pt)
{
	int id = sim_thread_id(pt->m);
	struct pt_reader *r;

	if (unlikely(id < 0))
		return NULL;
	r = atomic_load_explicit(&pt->readers[id], memory_order_acquire);
	if (likely(r))
		return r;
	r = sim_kzalloc_aligned(pt->m, sizeof(*r), 64);
	if (!r)
		return NULL;
	/* seq_cst: reclaim, which reads the array, must see it */
	atomic_store(&pt->readers[id], r);
	for (unsigned int n = atomic_load(&pt->nr_readers); n < (unsigned int)id + 1;)
		if (atomic_compare_exchange_weak(&pt->nr_readers, &n,
						 (unsigned int)id + 1))
			break;
	return r;
}

/* Spin a little, then yield: the other side may not be running. */
static void pt_wait_clear(_Atomic int *flag)
{
	for (unsigned int spins = 0; atomic_load(flag); spins++) {
		if (spins < 256) {
			sim_cpu_relax();
		} else {
			sched_yield();
			spins = 0;
		}
	}
}

/*
 * Enter an operation: the reader says so, then looks for a reclaim (both
 * sequentially consistent, as reclaim does the same the other way round:
 * one of the two sees the other).
 */
static struct pt_reader *pt_read_enter(struct io_pgtable *pt)
{
	struct pt_reader *r = pt_reader_get(pt);

	if (unlikely(!r)) {
		sim_spin_lock(&pt->anon_lock);
		return &pt->anon;
	}
	for (;;) {
		atomic_store(&r->active, 1);
		if (likely(!atomic_load(&pt->writer)))
			return r;
		atomic_store_explicit(&r->active, 0, memory_order_release);
		pt_wait_clear(&pt->writer);
	}
}

static void pt_read_exit(struct io_pgtable *pt, struct pt_reader *r)
{
	if (unlikely(r == &pt->anon))
		sim_spin_unlock(&pt->anon_lock);
	else
		atomic_store_explicit(&r->active, 0, memory_order_release);
}

/* Wait until no operation is under way, and keep new ones out. */
static void pt_write_enter(struct io_pgtable *pt)
{
	sim_spin_lock(&pt->writer_lock);
	atomic_store(&pt->writer, 1);
	for (unsigned int i = 0; i < atomic_load(&pt->nr_readers); i++) {
		struct pt_reader *r = atomic_load(&pt->readers[i]);

		if (r)
			pt_wait_clear(&r->active);
	}
	sim_spin_lock(&pt->anon_lock);
}

/* A batch of noted ranges, sorted and merged before they are pruned. */
#define PT_PRUNE_BATCH	256

struct pt_range {
	u64 start, end;
};

static int pt_range_cmp(const void *a, const void *b)
{
	const struct pt_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Prune @n ranges: sorted, and those in one leaf table merged, so that a
 * table the threads' unmaps all noted is looked at once.
 */
static unsigned long pt_prune_batch(struct io_pgtable *pt, struct pt_range *rg,
				    unsigned int n)
{
	u64 span = 1ULL << (pt->fmt->granule_shift + pt->fmt->bits_per_level[0]);
	unsigned long freed = 0;
	unsigned int i, k = 0;

	if (!n)
		return 0;
	qsort(rg, n, sizeof(*rg), pt_range_cmp);
	for (i = 1; i < n; i++) {
		if (rg[i].start <= rg[k].end ||
		    ALIGN_DOWN(rg[i].start, span) == ALIGN_DOWN(rg[k].end - 1, span))
			rg[k].end = max(rg[k].end, rg[i].end);
		else
			rg[++k] = rg[i];
	}
	for (i = 0; i <= k; i++)
		freed += pt->ops->prune(pt, rg[i].start, rg[i].end);
	return freed;
}

/* Take what @r's unmaps noted into @rg (pruning a full batch); no
 * operation is under way. */
static unsigned long pt_reader_take(struct io_pgtable *pt, struct pt_reader *r,
				    struct pt_range *rg, unsigned int *n)
{
	unsigned int nr = atomic_load_explicit(&r->nr, memory_order_relaxed);
	unsigned long freed = 0;

	for (unsigned int i = 0; i < nr; i++) {
		if (*n == PT_PRUNE_BATCH) {
			freed += pt_prune_batch(pt, rg, *n);
			*n = 0;
		}
		rg[(*n)++] = (struct pt_range){ r->cand[i].start, r->cand[i].end };
	}
	atomic_store_explicit(&r->nr, 0, memory_order_relaxed);
	return freed;
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
	    fmt->leaf_levels >> fmt->levels || !fmt->ops)
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
	pt->ops = fmt->ops;
	pt->order = fmt->granule_shift - PAGE_SHIFT;
	pt->va_limit = 1ULL << fmt->va_bits;
	pt->oa_limit = 1ULL << fmt->oa_bits;
	ram_tables = sim_ram_size(m) >> fmt->granule_shift;
	pt->max_tables = max(ram_tables, (u64)1);
	sim_spin_lock_init(&pt->alloc_lock);
	sim_spin_lock_init(&pt->op_lock);
	sim_spin_lock_init(&pt->writer_lock);
	sim_spin_lock_init(&pt->anon_lock);
	pt->hash_bits = PT_HASH_MIN_BITS;
	pt->buckets = sim_kcalloc(m, 1UL << pt->hash_bits,
				  sizeof(*pt->buckets));
	if (!pt->buckets)
		goto err_pt;
	pt->root = pt_table_alloc(pt);
	if (!pt->root)
		goto err_buckets;
	pt->root_region = sim_ram_region_of(m, pt->root->phys, 1);
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
	for (unsigned int i = 0; i < SIM_MAX_THREADS; i++)
		sim_kfree(m, atomic_load(&pt->readers[i]));
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
	unsigned int shift = pt->fmt->granule_shift;

	for (unsigned int l = 0; l < pt->fmt->levels; l++) {
		if (pt->fmt->leaf_levels & (1U << l))
			bitmap |= 1UL << shift;
		shift += pt->fmt->bits_per_level[l];
	}
	return bitmap;
}

/**
 * io_pgtable_table_pages - table pages @pt holds now, the root included
 */
unsigned long io_pgtable_table_pages(struct io_pgtable *pt)
{
	return atomic_load_explicit(&pt->nr_tables, memory_order_relaxed);
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
 * @pt: the page table: operations on one table are serialised (op_lock)
 *	or, with deferred freeing, run concurrently on disjoint ranges
 *
 * Uses the largest leaf that the alignment of the iova and the physical
 * address and the remaining size allow. The table pages it creates belong
 * to @pt. Returns 0, -EINVAL (bad alignment, empty, out of the input or
 * output range, prot without IOMMU_READ|IOMMU_WRITE), -EEXIST (part of the
 * range is already mapped) or -ENOMEM; on error the table is as it was.
 */
int io_pgtable_map(struct io_pgtable *pt, u64 iova, phys_addr_t paddr,
		   size_t size, int prot)
{
	if (!pt_range_ok(pt, iova, size, pt->va_limit) ||
	    !pt_range_ok(pt, paddr, size, pt->oa_limit) ||
	    !(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	if (pt->defer_free) {
		struct pt_reader *r = pt_read_enter(pt);
		int ret = pt->ops->map(pt, r, iova, paddr, size, prot);

		pt_read_exit(pt, r);
		/* a failed map leaves no table it made (unless another uses it) */
		if (unlikely(ret == -ENOMEM || ret == -EEXIST))
			io_pgtable_reclaim(pt);
		return ret;
	} else {
		int ret;

		sim_spin_lock(&pt->op_lock);
		ret = pt->ops->map(pt, NULL, iova, paddr, size, prot);
		sim_spin_unlock(&pt->op_lock);
		return ret;
	}
}

static size_t pt_unmap(struct io_pgtable *pt, u64 iova, size_t size,
		       phys_addr_t *first_phys)
{
	size_t ret;

	if (pt->defer_free) {
		struct pt_reader *r = pt_read_enter(pt);

		ret = (size_t)pt->ops->unmap(pt, r, iova, size, first_phys);
		pt_read_exit(pt, r);
	} else {
		sim_spin_lock(&pt->op_lock);
		ret = (size_t)pt->ops->unmap(pt, NULL, iova, size, first_phys);
		sim_spin_unlock(&pt->op_lock);
	}
	return ret;
}

/**
 * io_pgtable_unmap - unmap [@iova, @iova + @size)
 * @pt: the page table (as for io_pgtable_map())
 *
 * Granule-aligned. Leaves straddling either end are split first: if a
 * table for that cannot be allocated, nothing is unmapped and 0 is
 * returned. Table pages that become empty are freed (never the root), or
 * left for io_pgtable_reclaim() when freeing is deferred. Returns the
 * bytes that were mapped in the range (holes count as nothing); 0 for a
 * misaligned, empty or out-of-range request.
 */
size_t io_pgtable_unmap(struct io_pgtable *pt, u64 iova, size_t size)
{
	if (!pt_range_ok(pt, iova, size, pt->va_limit))
		return 0;
	return pt_unmap(pt, iova, size, NULL);
}

/**
 * io_pgtable_unmap_phys - unmap, also returning what the first granule
 * translated to (0 if it was not mapped): iommu-dma needs both and this
 * takes one walk instead of two.
 */
size_t io_pgtable_unmap_phys(struct io_pgtable *pt, u64 iova, size_t size,
			     phys_addr_t *first_phys)
{
	if (first_phys)
		*first_phys = 0;
	if (!pt_range_ok(pt, iova, size, pt->va_limit))
		return 0;
	return pt_unmap(pt, iova, size, first_phys);
}

/**
 * io_pgtable_set_defer_free - concurrent operations, tables freed at reclaim
 *
 * The IOMMU layer frees table pages only after the IOTLB flush that follows
 * an unmap, as the kernel does with its gather freelist; a table emptied and
 * refilled before that is simply reused. Tables then keep no count, and
 * operations on disjoint ranges run concurrently (see "Concurrent
 * operations" above). Switched while the table holds only its root, before
 * any other use: returns 0, or -EBUSY.
 */
int io_pgtable_set_defer_free(struct io_pgtable *pt, bool defer)
{
	if (atomic_load(&pt->nr_tables) != 1 || pt->root->live)
		return -EBUSY;
	pt->defer_free = defer;
	return 0;
}

/**
 * io_pgtable_reclaim - free the tables unmaps left empty (deferred freeing)
 *
 * Looks at the ranges the unmaps since the last reclaim cleared, and frees
 * the tables in them that are empty now, bottom up (never the root).
 * Waits until no operation is under way, and holds new ones off while it
 * works; nothing to do costs no wait. Must not be called from inside an
 * operation. Returns the number of table pages freed.
 */
unsigned long io_pgtable_reclaim(struct io_pgtable *pt)
{
	struct pt_range rg[PT_PRUNE_BATCH];
	unsigned long freed = 0;
	unsigned int n = 0;
	bool any = atomic_load_explicit(&pt->anon.nr, memory_order_relaxed);

	if (!pt->defer_free)
		return 0;	/* counted tables went at once */
	/* a range noted after this peek waits for the next reclaim */
	for (unsigned int i = 0; i < atomic_load_explicit(&pt->nr_readers,
							  memory_order_acquire) && !any; i++) {
		struct pt_reader *r = atomic_load_explicit(&pt->readers[i],
							   memory_order_acquire);

		any = r && atomic_load_explicit(&r->nr, memory_order_relaxed);
	}
	if (!any)
		return 0;
	pt_write_enter(pt);
	for (unsigned int i = 0; i < atomic_load(&pt->nr_readers); i++) {
		struct pt_reader *r = atomic_load(&pt->readers[i]);

		if (r)
			freed += pt_reader_take(pt, r, rg, &n);
	}
	freed += pt_reader_take(pt, &pt->anon, rg, &n);
	freed += pt_prune_batch(pt, rg, n);
	/* let operations run again, then free what was unlinked */
	sim_spin_unlock(&pt->anon_lock);
	atomic_store_explicit(&pt->writer, 0, memory_order_release);
	for (unsigned int i = 0; i < pt->nr_gather; i++)
		pt_table_free_phys(pt, pt->gather[i]);
	pt->nr_gather = 0;
	sim_spin_unlock(&pt->writer_lock);
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
	struct pt_reader *r;
	int ret;

	if (iova >= pt->va_limit)
		return -ENOENT;
	if (!pt->defer_free) {
		sim_spin_lock(&pt->op_lock);
		ret = pt->ops->lookup(pt, iova, phys, prot, leaf_size);
		sim_spin_unlock(&pt->op_lock);
		return ret;
	}
	r = pt_read_enter(pt);
	ret = pt->ops->lookup(pt, iova, phys, prot, leaf_size);
	pt_read_exit(pt, r);
	return ret;
}

/**
 * sim_io_pgtable_store_leaves - the PTE-write floor of @pt's format
 * @pt: a page table (only its format is used)
 * @table: a table page of the machine's RAM (a granule, not one of @pt's)
 * @n: entries to store, from the first
 * @paddr: output address of the first, granule-aligned
 * @prot: IOMMU_* bits
 *
 * Stores @n granule leaves in the format's encoding, as map does, and
 * nothing else: what a benchmark compares map and unmap with.
 *
 * Return: 0, or -EINVAL (@table not a RAM page of the granule's order,
 * @n more than a table holds, @paddr misaligned).
 */
int sim_io_pgtable_store_leaves(struct io_pgtable *pt, struct page *table,
				unsigned int n, phys_addr_t paddr, int prot)
{
	const struct pt_format *fmt = pt->fmt;
	u64 *ptes;

	if (!table || n > (1U << fmt->bits_per_level[0]) ||
	    !IS_ALIGNED(paddr, 1ULL << fmt->granule_shift) ||
	    !IS_ALIGNED(page_to_phys(table), 1ULL << fmt->granule_shift) ||
	    !sim_phys_is_ram(pt->m, page_to_phys(table),
			     1ULL << fmt->granule_shift))
		return -EINVAL;
	ptes = page_address(table);
	pt->ops->store_leaves(ptes, n, paddr, prot);
	return 0;
}
