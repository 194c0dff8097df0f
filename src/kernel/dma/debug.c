// SPDX-License-Identifier: MIT
/*
 * dma-debug: every live mapping and allocation, keyed by device and DMA
 * address, checked on unmap, free and sync with the kernel's messages
 * (kernel/dma/debug.c), plus what only a simulator can check: each device
 * access against the mappings of that device.
 *
 * Entries hang in an interval tree (debug-tree.h) keyed by device, DMA
 * address and age, one tree and lock per shard of devices: every lookup,
 * a device access's included, costs O(log n) at any number of live
 * mappings. Lookups use the kernel's best-fit match so the same address
 * mapped twice is found as the kernel finds it, and meet candidates in
 * the order the kernel's hash of HASH_SIZE buckets (on bits 13 and up of
 * the DMA address, walked back from the address) would give them. The
 * first cache line of every mapping the device may write is tracked for
 * overlaps in a tree of its own (ACTIVE_CACHELINE_MAX_OVERLAP, the EEXIST
 * report, SKIP_CPU_SYNC exempt), as the kernel's radix tree does.
 * MMIO mappings have no cache lines and are not tracked: the kernel tracks
 * them too, which only produces false reports for two mappings of a BAR.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "dma.h"
#include "debug-hash.h"
#include "debug-tree.h"

#define HASH_SIZE	16384ULL
#define HASH_FN_SHIFT	13
#define HASH_FN_MASK	(HASH_SIZE - 1)
#define NR_SHARDS	64
#define ACTIVE_CACHELINE_MAX_OVERLAP 7

enum {
	dma_debug_single,
	dma_debug_sg,
	dma_debug_coherent,
	dma_debug_noncoherent,
	dma_debug_phy,
	dma_debug_iova,		/* a range linked with dma_iova_link() */
};

enum map_err_types {
	MAP_ERR_CHECK_NOT_APPLICABLE,
	MAP_ERR_NOT_CHECKED,
	MAP_ERR_CHECKED,
};

static const char *const maperr2str[] = {
	[MAP_ERR_CHECK_NOT_APPLICABLE] = "dma map error check not applicable",
	[MAP_ERR_NOT_CHECKED] = "dma map error not checked",
	[MAP_ERR_CHECKED] = "dma map error checked",
};

static const char *const type2name[] = {
	[dma_debug_single] = "single",
	[dma_debug_sg] = "scatter-gather",
	[dma_debug_coherent] = "coherent",
	[dma_debug_noncoherent] = "noncoherent",
	[dma_debug_phy] = "phy",
	[dma_debug_iova] = "iova",
};

static const char *const dir2name[] = {
	[DMA_BIDIRECTIONAL] = "DMA_BIDIRECTIONAL",
	[DMA_TO_DEVICE] = "DMA_TO_DEVICE",
	[DMA_FROM_DEVICE] = "DMA_FROM_DEVICE",
	[DMA_NONE] = "DMA_NONE",
};

struct dma_debug_entry {
	struct dtree_node node;		/* (dev, dev_addr, seq) in its shard */
	u64 seq;			/* when it was added */
	struct dma_debug_entry *next;	/* free list, removal batches */
	struct device *dev;
	u64 dev_addr;
	u64 size;
	int type;
	int direction;
	int sg_call_ents;
	int sg_mapped_ents;
	phys_addr_t paddr;
	enum map_err_types map_err_type;
	bool is_mmio;
	bool iova_unsynced;		/* linked, dma_iova_sync() not yet seen */
	struct iova_rec *iova;		/* the IOVA state it was linked into */
	const char *gone_by;		/* the call removing it (history) */
	/* ownership (see "Ownership of streaming mappings" below) */
	bool skip_cpu_sync;		/* mapped with DMA_ATTR_SKIP_CPU_SYNC */
	struct dma_own *own;		/* NULL: not tracked */
};

/* An IOVA state between dma_iova_try_alloc() and destroy/free. */
struct iova_rec {
	struct dtree_node node;		/* (state, dev) */
	struct iova_rec *prev, *next;	/* newest first */
	struct device *dev;
	struct dma_iova_state *state;
	dma_addr_t addr;
	size_t size;
	size_t linked;			/* bytes linked now */
	bool tail_unaligned;		/* a link ended inside a granule */
	size_t tail_end;		/* ...at this offset */
};

/* The entries of a shard of devices: all of a device's are in one. */
struct debug_shard {
	pthread_mutex_t lock;
	struct dtree tree;
};

/* An active cache line (debug-hash.h: the kernel keeps a radix tree). */
struct cln_node {
	struct dhash_node node;		/* key: the cache line */
	int overlap;
	struct cln_node *free_next;	/* nodes are kept, as entries are */
};

/* A mapping that is gone, for reports about late device accesses. */
struct dma_debug_history {
	struct device *dev;
	u64 dev_addr, size;
	phys_addr_t paddr;
	int type, direction;
	unsigned long seq;		/* removals so far when it went */
	u64 when_ns;			/* machine clock when it went */
	const char *gone_by;		/* the call that removed it */
};

/* The calls that make and remove each type of entry, for the history. */
static const char *const type2map_call[] = {
	[dma_debug_single] = "dma_map_single",
	[dma_debug_sg] = "dma_map_sg",
	[dma_debug_coherent] = "dma_alloc_coherent",
	[dma_debug_noncoherent] = "dma_alloc_pages",
	[dma_debug_phy] = "dma_map_phys",
	[dma_debug_iova] = "dma_iova_link",
};

static const char *const type2unmap_call[] = {
	[dma_debug_single] = "dma_unmap_single",
	[dma_debug_sg] = "dma_unmap_sg",
	[dma_debug_coherent] = "dma_free_coherent",
	[dma_debug_noncoherent] = "dma_free_pages",
	[dma_debug_phy] = "dma_unmap_phys",
	[dma_debug_iova] = "dma_iova_unlink",
};

#define DMA_DEBUG_HISTORY	512

struct dma_debug {
	struct sim_machine *m;
	struct sim_bus_observer obs;	/* device accesses, from the bus */
	_Atomic bool enabled;
	struct debug_shard shards[NR_SHARDS];
	_Atomic u64 seq;			/* entries added so far */
	_Atomic unsigned long visits;		/* tree nodes looked at */
	pthread_mutex_t free_lock;
	struct dma_debug_entry *free_list;
	_Atomic unsigned long nr_entries;
	pthread_mutex_t cln_lock;
	struct dhash cln;			/* under cln_lock */
	struct cln_node *cln_free;		/* under cln_lock */
	pthread_mutex_t iova_lock;
	struct iova_rec *iova_recs;		/* newest first */
	struct dtree iova_tree;
	pthread_mutex_t hist_lock;
	struct dma_debug_history hist[DMA_DEBUG_HISTORY];
	unsigned long hist_seq;
	struct dma_own_state *own;	/* ownership tracking; NULL: off */
};

static void iova_leaks(struct device *dev);

/* Ownership of streaming mappings and the check mode (at the end). */
struct dma_own_state;
static int own_init(struct dma_debug *d);
static void own_exit(struct dma_debug *d);
static void own_free(struct dma_debug *d, struct dma_debug_entry *e);
static void own_new(struct dma_debug *d, struct dma_debug_entry *e,
		    unsigned long attrs, bool contig);
static void own_synced(struct device *dev, dma_addr_t addr, size_t size,
		       bool to_cpu);
static void own_iova_gone(struct dma_debug *d, struct dma_debug_entry *e,
			  const char *at);
static bool own_bus_access(struct dma_debug *d, const struct sim_bus_access *a,
			   bool report);

static inline const char *dir_name(int dir)
{
	return dir >= 0 && dir <= DMA_NONE ? dir2name[dir] : "DMA_INVALID";
}

static inline u64 entry_addr(const struct dma_debug_entry *e)
{
	return e ? e->dev_addr : 0;
}

static inline u64 entry_size(const struct dma_debug_entry *e)
{
	return e ? e->size : 0;
}

#define err_printk(dev, entry, fmt, ...)				\
	sim_report((dev)->sim, SIM_REPORT_DMA_DEBUG, (dev),		\
		   entry_addr(entry), entry_size(entry),		\
		   "DMA-API: %s %s: " fmt, dev_driver_string(dev),	\
		   dev_name(dev), ##__VA_ARGS__)


static const struct sim_bus_observer_ops debug_observer_ops;

/* Teardown: a subtree of entries, children first (no rebalancing). */
static void entries_free(struct dma_debug *d, struct dtree_node *n)
{
	struct dma_debug_entry *e;

	if (!n)
		return;
	entries_free(d, n->left);
	entries_free(d, n->right);
	e = container_of(n, struct dma_debug_entry, node);
	own_free(d, e);
	free(e);
}

static void cln_node_free(struct dhash_node *n)
{
	free(container_of(n, struct cln_node, node));
}

int dma_debug_init_machine(struct sim_machine *m, bool enabled)
{
	struct dma_debug *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	d->m = m;
	d->obs.ops = &debug_observer_ops;
	d->obs.group = SIM_BUS_GROUP_DMA_API;
	ret = sim_bus_observer_add(m, &d->obs);
	if (ret) {
		free(d);
		return ret;
	}
	for (size_t i = 0; i < NR_SHARDS; i++)
		pthread_mutex_init(&d->shards[i].lock, NULL);
	pthread_mutex_init(&d->free_lock, NULL);
	pthread_mutex_init(&d->cln_lock, NULL);
	d->cln.fine_bits = PAGE_SHIFT - L1_CACHE_SHIFT;
	pthread_mutex_init(&d->iova_lock, NULL);
	pthread_mutex_init(&d->hist_lock, NULL);
	atomic_store(&d->enabled, enabled);
	atomic_store(&m->kernel->dma_debug_on, enabled);
	m->kernel->debug = d;
	own_init(d);	/* without memory: no ownership tracking */
	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->fn) {
			struct device *dev = &m->nodes[i]->fn->pdev.dev;

			dma_setup_need_sync(dev);
			/* machine dma-check=strict */
			if (dev->sim_dma_stats)
				dev->sim_dma_stats->dma_check = m->dma_check;
		}
	return 0;
}

void dma_debug_exit_machine(struct sim_machine *m)
{
	struct dma_debug *d = m->kernel->debug;

	if (!d)
		return;
	sim_bus_observer_del(m, &d->obs);
	for (size_t i = 0; i < NR_SHARDS; i++) {
		entries_free(d, d->shards[i].tree.root);
		pthread_mutex_destroy(&d->shards[i].lock);
	}
	for (struct dma_debug_entry *e = d->free_list, *n; e; e = n) {
		n = e->next;
		free(e);
	}
	dhash_destroy(&d->cln, cln_node_free);
	for (struct cln_node *c = d->cln_free, *n; c; c = n) {
		n = c->free_next;
		free(c);
	}
	for (struct iova_rec *r = d->iova_recs, *n; r; r = n) {
		n = r->next;
		free(r);
	}
	pthread_mutex_destroy(&d->free_lock);
	pthread_mutex_destroy(&d->cln_lock);
	pthread_mutex_destroy(&d->iova_lock);
	pthread_mutex_destroy(&d->hist_lock);
	own_exit(d);
	free(d);
	m->kernel->debug = NULL;
}

void sim_dma_debug_enable(struct sim_machine *m, bool on)
{
	if (m->kernel->debug)
		atomic_store(&m->kernel->debug->enabled, on);
	if (m->kernel->debug)
		atomic_store(&m->kernel->dma_debug_on, on);
}

bool sim_dma_debug_enabled(struct sim_machine *m)
{
	return dma_debug_on(m);
}

/* ------------------------------------------------------------------------ */
/* Entries and the hash                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Entries come from a per-machine free list and are not subject to fault
 * injection: like the kernel's preallocated pool, dma-debug must not change
 * the behaviour it observes.
 */
static struct dma_debug_entry *dma_entry_alloc(struct dma_debug *d)
{
	struct dma_debug_entry *e;

	pthread_mutex_lock(&d->free_lock);
	e = d->free_list;
	if (e)
		d->free_list = e->next;
	pthread_mutex_unlock(&d->free_lock);
	if (!e)
		e = malloc(sizeof(*e));
	if (!e) {
		sim_report(d->m, SIM_REPORT_WARN, NULL, 0, 0,
			   "DMA-API: debugging out of memory - disabling");
		atomic_store(&d->enabled, false);
		atomic_store(&d->m->kernel->dma_debug_on, false);
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	return e;
}

static inline struct debug_shard *shard_of(struct dma_debug *d,
					   const struct device *dev)
{
	uintptr_t p = (uintptr_t)dev;

	return &d->shards[((p >> 6) ^ (p >> 14)) % NR_SHARDS];
}

/* The kernel's bucket of an address: reported by the dump, and the order. */
static inline u64 bucket_idx(u64 dev_addr)
{
	return (dev_addr >> HASH_FN_SHIFT) & HASH_FN_MASK;
}

/* An interval end for the tree; one past 2^64 - 1 saturates. */
static inline u64 end_of(u64 addr, u64 size)
{
	return addr + size < addr ? ~0ULL : addr + size;
}

static bool exact_match(struct dma_debug_entry *a, struct dma_debug_entry *b)
{
	return a->dev_addr == b->dev_addr && a->dev == b->dev;
}

static bool containing_match(struct dma_debug_entry *a,
			     struct dma_debug_entry *b)
{
	if (a->dev != b->dev)
		return false;
	return b->dev_addr <= a->dev_addr &&
	       b->dev_addr + b->size >= a->dev_addr + a->size;
}

/*
 * Candidates of one lookup, in the order the kernel's hash would meet
 * them: by bucket, counted from the lookup's own bucket (back for a
 * containing lookup, forward for a range walk), then oldest first within
 * a bucket. Answers of one bucket share @order.
 */
struct cand {
	u64 order, seq;
	struct dma_debug_entry *e;
};

struct cands {
	struct cand *v;
	size_t n, cap;
	u64 base;		/* the bucket the walk starts at */
	bool forward;
	struct cand inl[8];
};

static bool cands_push(struct dtree_node *node, void *arg)
{
	struct dma_debug_entry *e = container_of(node, struct dma_debug_entry,
						 node);
	struct cands *c = arg;
	u64 b = e->dev_addr >> HASH_FN_SHIFT;

	if (c->n == c->cap) {
		/* libc, as entries: dma-debug is not fault-injected */
		struct cand *v = malloc(2 * c->cap * sizeof(*v));

		if (!v)
			return false;	/* out of memory: what was found */
		memcpy(v, c->v, c->n * sizeof(*v));
		if (c->v != c->inl)
			free(c->v);
		c->v = v;
		c->cap *= 2;
	}
	c->v[c->n++] = (struct cand){
		.order = (c->forward ? b - c->base : c->base - b) & HASH_FN_MASK,
		.seq = e->seq,
		.e = e,
	};
	return true;
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * @dev's entries starting in [lo, hi] whose end (saturated) is at least
 * @min_end, ordered from bucket @base (see struct cands). Shard locked.
 */
static void cands_collect(struct dma_debug *d, struct debug_shard *s,
			  struct device *dev, u64 lo, u64 hi, u64 min_end,
			  u64 base, bool forward, struct cands *c)
{
	struct dtree_query q = {
		.k1 = (uintptr_t)dev, .lo2 = lo, .hi2 = hi,
		.min_end = min_end, .fn = cands_push, .arg = c,
	};

	c->v = c->inl;
	c->cap = ARRAY_SIZE(c->inl);
	c->n = 0;
	c->base = base;
	c->forward = forward;
	dtree_query(&s->tree, &q);
	atomic_fetch_add_explicit(&d->visits, q.visits, memory_order_relaxed);
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), cand_cmp);
}

static void cands_free(struct cands *c)
{
	if (c->v != c->inl)
		free(c->v);
}

/* The end of the bucket group starting at @i. */
static size_t cands_group_end(const struct cands *c, size_t i)
{
	size_t j = i;

	while (j < c->n && c->v[j].order == c->v[i].order)
		j++;
	return j;
}

/*
 * Best fit among @v[0, n), as the kernel picks in a bucket: a perfect
 * match, else the only match; several matches without a perfect one ->
 * NULL.
 */
static struct dma_debug_entry *
best_fit(const struct cand *v, size_t n, struct dma_debug_entry *ref,
	 bool (*match)(struct dma_debug_entry *, struct dma_debug_entry *))
{
	struct dma_debug_entry *ret = NULL;
	int matches = 0, last_lvl = -1;

	for (size_t i = 0; i < n; i++) {
		struct dma_debug_entry *e = v[i].e;
		int lvl = 0;

		if (!match(ref, e))
			continue;
		matches++;
		lvl += e->size == ref->size;
		lvl += e->type == ref->type;
		lvl += e->direction == ref->direction;
		lvl += e->sg_call_ents == ref->sg_call_ents;
		if (lvl == 4)
			return e;
		if (lvl > last_lvl) {
			last_lvl = lvl;
			ret = e;
		}
	}
	return matches == 1 ? ret : NULL;
}

/* @ref->dev's entry at exactly @ref->dev_addr (best fit); shard locked. */
static struct dma_debug_entry *find_exact(struct dma_debug *d,
					  struct debug_shard *s,
					  struct dma_debug_entry *ref)
{
	struct dma_debug_entry *e;
	struct cands c;

	cands_collect(d, s, ref->dev, ref->dev_addr, ref->dev_addr, 0,
		      ref->dev_addr >> HASH_FN_SHIFT, false, &c);
	e = best_fit(c.v, c.n, ref, exact_match);
	cands_free(&c);
	return e;
}

/*
 * The entry containing @ref, bucket by bucket back from @ref's, best fit
 * in each (the kernel's walk back over buckets); shard locked.
 */
static struct dma_debug_entry *find_contain(struct dma_debug *d,
					    struct debug_shard *s,
					    struct dma_debug_entry *ref)
{
	u64 end = ref->dev_addr + ref->size;
	struct dma_debug_entry *e = NULL;
	struct cands c;

	/* a wrapping @ref matches by the kernel's wrapped sums: no pruning */
	cands_collect(d, s, ref->dev, 0, ref->dev_addr,
		      end < ref->dev_addr ? 0 : end,
		      ref->dev_addr >> HASH_FN_SHIFT, false, &c);
	for (size_t i = 0, j; i < c.n && !e; i = j) {
		j = cands_group_end(&c, i);
		e = best_fit(c.v + i, j - i, ref, containing_match);
	}
	cands_free(&c);
	return e;
}

/*
 * Add under the shard lock. The sequence number keeps the kernel's append
 * order: lookups meet the oldest entry first. That matters when one CPU
 * unmaps an address (its backend has already released it) while another
 * maps the same address again: the unmap must find its own, older entry.
 */
static void tree_add(struct dma_debug *d, struct debug_shard *s,
		     struct dma_debug_entry *e)
{
	e->seq = atomic_fetch_add_explicit(&d->seq, 1, memory_order_relaxed);
	e->node.k1 = (uintptr_t)e->dev;
	e->node.k2 = e->dev_addr;
	e->node.k3 = e->seq;
	e->node.end = end_of(e->dev_addr, e->size);
	dtree_insert(&s->tree, &e->node);
}

static void tree_del(struct debug_shard *s, struct dma_debug_entry *e)
{
	dtree_erase(&s->tree, &e->node);
}

/* ------------------------------------------------------------------------ */
/* Active cache lines                                                       */
/* ------------------------------------------------------------------------ */

static phys_addr_t to_cacheline_number(struct dma_debug_entry *e)
{
	return e->paddr >> L1_CACHE_SHIFT;
}

static bool cln_tracked(struct dma_debug_entry *e)
{
	return e->direction != DMA_TO_DEVICE && !e->is_mmio;
}

/* Returns 0, or -EEXIST when the line was already active. */
static int active_cacheline_insert(struct dma_debug *d,
				   struct dma_debug_entry *e)
{
	phys_addr_t cln = to_cacheline_number(e);
	struct dhash_node *n;
	struct cln_node *c;
	int rc = 0;

	if (!cln_tracked(e))
		return 0;
	pthread_mutex_lock(&d->cln_lock);
	n = dhash_find(&d->cln, cln);
	if (n) {
		c = container_of(n, struct cln_node, node);
		rc = -EEXIST;
		if (c->overlap < ACTIVE_CACHELINE_MAX_OVERLAP)
			c->overlap++;
		else
			sim_report(d->m, SIM_REPORT_WARN, e->dev, e->dev_addr,
				   e->size,
				   "DMA-API: exceeded %d overlapping mappings of cacheline 0x%016llx",
				   ACTIVE_CACHELINE_MAX_OVERLAP,
				   (unsigned long long)cln);
		goto out;
	}
	c = d->cln_free;
	if (c)
		d->cln_free = c->free_next;
	else
		c = malloc(sizeof(*c));
	if (c) {
		*c = (struct cln_node){ .node.key = cln };
		if (dhash_add(&d->cln, &c->node)) {
			c->free_next = d->cln_free;
			d->cln_free = c;
		}
	}
out:
	pthread_mutex_unlock(&d->cln_lock);
	return rc;
}

static void active_cacheline_remove(struct dma_debug *d,
				    struct dma_debug_entry *e)
{
	phys_addr_t cln = to_cacheline_number(e);
	struct dhash_node *n;

	if (!cln_tracked(e))
		return;
	pthread_mutex_lock(&d->cln_lock);
	n = dhash_find(&d->cln, cln);
	if (n) {
		struct cln_node *c = container_of(n, struct cln_node, node);

		if (c->overlap > 0) {
			c->overlap--;
		} else {
			dhash_del(&d->cln, n);
			c->free_next = d->cln_free;
			d->cln_free = c;
		}
	}
	pthread_mutex_unlock(&d->cln_lock);
}

static void add_dma_entry(struct dma_debug *d, struct dma_debug_entry *e,
			  unsigned long attrs)
{
	struct debug_shard *s = shard_of(d, e->dev);

	pthread_mutex_lock(&s->lock);
	tree_add(d, s, e);
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add(&d->nr_entries, 1);
	if (e->dev->sim_dma_stats)
		atomic_fetch_add_explicit(&e->dev->sim_dma_stats->debug_changes,
					  1, memory_order_relaxed);

	if (active_cacheline_insert(d, e) == -EEXIST &&
	    !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		err_printk(e->dev, e,
			   "cacheline tracking EEXIST, overlapping mappings aren't supported");
}

static void dma_entry_free(struct dma_debug *d, struct dma_debug_entry *e)
{
	struct dma_debug_history *h;
	u64 now = sim_clock_now(d->m);

	pthread_mutex_lock(&d->hist_lock);
	h = &d->hist[d->hist_seq % DMA_DEBUG_HISTORY];
	*h = (struct dma_debug_history){ e->dev, e->dev_addr, e->size, e->paddr,
					 e->type, e->direction, d->hist_seq++,
					 now, e->gone_by ? e->gone_by :
					 type2unmap_call[e->type] };
	pthread_mutex_unlock(&d->hist_lock);
	active_cacheline_remove(d, e);
	own_free(d, e);
	atomic_fetch_sub(&d->nr_entries, 1);
	if (e->dev->sim_dma_stats)
		atomic_fetch_add_explicit(&e->dev->sim_dma_stats->debug_changes,
					  1, memory_order_relaxed);
	pthread_mutex_lock(&d->free_lock);
	e->next = d->free_list;
	d->free_list = e;
	pthread_mutex_unlock(&d->free_lock);
}

/* ------------------------------------------------------------------------ */
/* Checks                                                                   */
/* ------------------------------------------------------------------------ */

static void check_unmap(struct dma_debug *d, struct dma_debug_entry *ref)
{
	struct debug_shard *s = shard_of(d, ref->dev);
	struct device *dev = ref->dev;
	struct dma_debug_entry *e;

	pthread_mutex_lock(&s->lock);
	e = find_exact(d, s, ref);
	if (!e) {
		pthread_mutex_unlock(&s->lock);
		if (ref->dev_addr == DMA_MAPPING_ERROR)
			err_printk(dev, NULL,
				   "device driver tries to free an invalid DMA memory address");
		else
			err_printk(dev, NULL,
				   "device driver tries to free DMA memory it has not allocated [device address=0x%016llx] [size=%llu bytes]",
				   (unsigned long long)ref->dev_addr,
				   (unsigned long long)ref->size);
		return;
	}
	tree_del(s, e);
	pthread_mutex_unlock(&s->lock);

	if (ref->size != e->size)
		err_printk(dev, e,
			   "device driver frees DMA memory with different size [device address=0x%016llx] [map size=%llu bytes] [unmap size=%llu bytes]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)e->size,
			   (unsigned long long)ref->size);
	if (ref->type != e->type)
		err_printk(dev, e,
			   "device driver frees DMA memory with wrong function [device address=0x%016llx] [size=%llu bytes] [mapped as %s] [unmapped as %s]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)ref->size, type2name[e->type],
			   type2name[ref->type]);
	else if (e->type == dma_debug_coherent && ref->paddr != e->paddr)
		err_printk(dev, e,
			   "device driver frees DMA memory with different CPU address [device address=0x%016llx] [size=%llu bytes] [cpu alloc address=0x%016llx] [cpu free address=0x%016llx]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)ref->size,
			   (unsigned long long)e->paddr,
			   (unsigned long long)ref->paddr);
	if (ref->sg_call_ents && ref->type == dma_debug_sg &&
	    ref->sg_call_ents != e->sg_call_ents)
		err_printk(dev, e,
			   "device driver frees DMA sg list with different entry count [map count=%d] [unmap count=%d]",
			   e->sg_call_ents, ref->sg_call_ents);
	if (ref->direction != e->direction)
		err_printk(dev, e,
			   "device driver frees DMA memory with different direction [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [unmapped with %s]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)ref->size,
			   dir_name(e->direction), dir_name(ref->direction));
	if (e->map_err_type == MAP_ERR_NOT_CHECKED)
		err_printk(dev, e,
			   "device driver failed to check map error[device address=0x%016llx] [size=%llu bytes] [mapped as %s]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)ref->size, type2name[e->type]);
	e->gone_by = type2unmap_call[ref->type];
	dma_entry_free(d, e);
}

static void check_sync(struct dma_debug *d, struct dma_debug_entry *ref,
		       bool to_cpu)
{
	struct debug_shard *s = shard_of(d, ref->dev);
	struct device *dev = ref->dev;
	struct dma_debug_entry *e;

	pthread_mutex_lock(&s->lock);
	e = find_contain(d, s, ref);
	if (!e) {
		err_printk(dev, NULL,
			   "device driver tries to sync DMA memory it has not allocated [device address=0x%016llx] [size=%llu bytes]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)ref->size);
		goto out;
	}
	if (ref->size > e->size)
		err_printk(dev, e,
			   "device driver syncs DMA memory outside allocated range [device address=0x%016llx] [allocation size=%llu bytes] [sync offset+size=%llu]",
			   (unsigned long long)e->dev_addr,
			   (unsigned long long)e->size,
			   (unsigned long long)ref->size);
	if (e->direction == DMA_BIDIRECTIONAL)
		goto out;
	if (ref->direction != e->direction)
		err_printk(dev, e,
			   "device driver syncs DMA memory with different direction [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)e->size, dir_name(e->direction),
			   dir_name(ref->direction));
	if (to_cpu && e->direction != DMA_FROM_DEVICE &&
	    ref->direction != DMA_TO_DEVICE)
		err_printk(dev, e,
			   "device driver syncs device read-only DMA memory for cpu [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)e->size, dir_name(e->direction),
			   dir_name(ref->direction));
	if (!to_cpu && e->direction != DMA_TO_DEVICE &&
	    ref->direction != DMA_FROM_DEVICE)
		err_printk(dev, e,
			   "device driver syncs device write-only DMA memory to device [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			   (unsigned long long)ref->dev_addr,
			   (unsigned long long)e->size, dir_name(e->direction),
			   dir_name(ref->direction));
	if (ref->sg_call_ents && ref->type == dma_debug_sg &&
	    ref->sg_call_ents != e->sg_call_ents)
		err_printk(dev, e,
			   "device driver syncs DMA sg list with different entry count [map count=%d] [sync count=%d]",
			   e->sg_call_ents, ref->sg_call_ents);
out:
	pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------------ */
/* Hooks called by the mapping layer                                        */
/* ------------------------------------------------------------------------ */

void debug_dma_map_single(struct device *dev, const void *addr,
			  unsigned long len)
{
	struct sim_machine *m = dev->sim;
	phys_addr_t phys;

	if (!dma_debug_on(m))
		return;
	phys = sim_virt_to_phys(m, addr);
	if (phys == (phys_addr_t)-1)
		err_printk(dev, NULL,
			   "device driver maps memory from invalid area [addr=%p] [len=%lu]",
			   addr, len);
	else if (addr != sim_phys_to_virt(m, phys))
		err_printk(dev, NULL,
			   "device driver maps memory from vmalloc area [addr=%p] [len=%lu]",
			   addr, len);
}

bool debug_dma_resource_is_ram(struct device *dev, phys_addr_t phys)
{
	if (!sim_pfn_valid(dev->sim, PHYS_PFN(phys)))
		return false;
	err_printk(dev, NULL,
		   "dma_map_resource called for RAM address 0x%016llx",
		   (unsigned long long)phys);
	return true;
}

void debug_dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			int direction, dma_addr_t dma_addr, unsigned long attrs)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct dma_debug_entry *e;

	if (!dma_debug_on(dev->sim) || dma_addr == DMA_MAPPING_ERROR)
		return;
	e = dma_entry_alloc(d);
	if (!e)
		return;
	e->dev = dev;
	e->type = dma_debug_phy;
	e->paddr = phys;
	e->dev_addr = dma_addr;
	e->size = size;
	e->direction = direction;
	e->map_err_type = MAP_ERR_NOT_CHECKED;
	e->is_mmio = attrs & DMA_ATTR_MMIO;
	e->skip_cpu_sync = attrs & DMA_ATTR_SKIP_CPU_SYNC;
	own_new(d, e, attrs, true);
	add_dma_entry(d, e, attrs);
}

void debug_dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			  int direction)
{
	struct dma_debug_entry ref;

	/* off: not even the entry is built (it is large) */
	if (!dma_debug_on(dev->sim))
		return;
	ref = (struct dma_debug_entry){
		.type = dma_debug_phy,
		.dev = dev,
		.dev_addr = addr,
		.size = size,
		.direction = direction,
	};
	check_unmap(dev->sim->kernel->debug, &ref);
}

void debug_dma_mapping_error(struct device *dev, dma_addr_t dma_addr)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct debug_shard *s;
	struct cands c;

	if (!dma_debug_on(dev->sim))
		return;
	s = shard_of(d, dev);
	pthread_mutex_lock(&s->lock);
	cands_collect(d, s, dev, dma_addr, dma_addr, 0, 0, false, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct dma_debug_entry *e = c.v[i].e;

		/* The first unchecked entry of this address gets the mark. */
		if (e->map_err_type == MAP_ERR_NOT_CHECKED) {
			e->map_err_type = MAP_ERR_CHECKED;
			break;
		}
	}
	cands_free(&c);
	pthread_mutex_unlock(&s->lock);
}

void debug_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents,
		      int mapped_ents, int direction, unsigned long attrs)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct scatterlist *s;
	int i;

	if (!dma_debug_on(dev->sim))
		return;
	for_each_sg(sg, s, mapped_ents, i) {
		struct dma_debug_entry *e = dma_entry_alloc(d);

		if (!e)
			return;
		e->type = dma_debug_sg;
		e->dev = dev;
		e->paddr = sg_phys(s);
		e->size = sg_dma_len(s);
		e->dev_addr = sg_dma_address(s);
		e->direction = direction;
		e->sg_call_ents = nents;
		e->sg_mapped_ents = mapped_ents;
		e->is_mmio = sg_dma_is_bus_address(s);
		add_dma_entry(d, e, attrs);
	}
}

static int get_nr_mapped_entries(struct dma_debug *d,
				 struct dma_debug_entry *ref)
{
	struct debug_shard *s = shard_of(d, ref->dev);
	struct dma_debug_entry *e;
	int n = 0;

	pthread_mutex_lock(&s->lock);
	e = find_exact(d, s, ref);
	if (e)
		n = e->sg_mapped_ents;
	pthread_mutex_unlock(&s->lock);
	return n;
}

enum sg_check { SG_UNMAP, SG_SYNC_CPU, SG_SYNC_DEVICE };

/*
 * Check each mapped segment of a list as its own entry. As in the kernel,
 * the mapped count comes from the first segment's entry; an unmap of an
 * unknown list still checks (and reports) every segment, a sync does not.
 */
static void debug_sg_walk(struct device *dev, struct scatterlist *sglist,
			  int nelems, int dir, enum sg_check what)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct scatterlist *s;
	int mapped_ents = 0, i;

	if (!dma_debug_on(dev->sim))
		return;
	for_each_sg(sglist, s, nelems, i) {
		struct dma_debug_entry ref = {
			.type = dma_debug_sg,
			.dev = dev,
			.paddr = sg_phys(s),
			.dev_addr = sg_dma_address(s),
			.size = sg_dma_len(s),
			.direction = dir,
			.sg_call_ents = nelems,
		};

		if (what == SG_UNMAP && mapped_ents && i >= mapped_ents)
			break;
		if (!i)
			mapped_ents = get_nr_mapped_entries(d, &ref);
		if (what == SG_UNMAP) {
			check_unmap(d, &ref);
			continue;
		}
		if (i >= mapped_ents)
			break;
		check_sync(d, &ref, what == SG_SYNC_CPU);
		own_synced(dev, ref.dev_addr, ref.size, what == SG_SYNC_CPU);
	}
}

void debug_dma_unmap_sg(struct device *dev, struct scatterlist *sglist,
			int nelems, int dir)
{
	debug_sg_walk(dev, sglist, nelems, dir, SG_UNMAP);
}

void debug_dma_alloc_coherent(struct device *dev, size_t size,
			      dma_addr_t dma_addr, void *virt,
			      unsigned long attrs)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct dma_debug_entry *e;
	phys_addr_t phys;

	if (!dma_debug_on(dev->sim) || !virt)
		return;
	phys = sim_virt_to_phys(dev->sim, virt);
	if (phys == (phys_addr_t)-1)
		return;
	e = dma_entry_alloc(d);
	if (!e)
		return;
	e->type = dma_debug_coherent;
	e->dev = dev;
	e->paddr = phys;
	e->size = size;
	e->dev_addr = dma_addr;
	e->direction = DMA_BIDIRECTIONAL;
	add_dma_entry(d, e, attrs);
}

void debug_dma_free_coherent(struct device *dev, size_t size, void *virt,
			     dma_addr_t addr)
{
	struct dma_debug_entry ref;

	/* off: not even the entry is built (it is large) */
	if (!dma_debug_on(dev->sim))
		return;
	ref = (struct dma_debug_entry){
		.type = dma_debug_coherent,
		.dev = dev,
		.dev_addr = addr,
		.size = size,
		.direction = DMA_BIDIRECTIONAL,
	};
	ref.paddr = sim_virt_to_phys(dev->sim, virt);
	if (ref.paddr == (phys_addr_t)-1)
		return;
	check_unmap(dev->sim->kernel->debug, &ref);
}

void debug_dma_alloc_pages(struct device *dev, struct page *page, size_t size,
			   int direction, dma_addr_t dma_addr,
			   unsigned long attrs)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct dma_debug_entry *e;

	if (!dma_debug_on(dev->sim))
		return;
	e = dma_entry_alloc(d);
	if (!e)
		return;
	e->type = dma_debug_noncoherent;
	e->dev = dev;
	e->paddr = page_to_phys(page);
	e->size = size;
	e->dev_addr = dma_addr;
	e->direction = direction;
	e->map_err_type = MAP_ERR_CHECK_NOT_APPLICABLE;
	add_dma_entry(d, e, attrs);
}

void debug_dma_free_pages(struct device *dev, struct page *page, size_t size,
			  int direction, dma_addr_t dma_addr)
{
	struct dma_debug_entry ref;

	/* off: not even the entry is built (it is large) */
	if (!dma_debug_on(dev->sim))
		return;
	ref = (struct dma_debug_entry){
		.type = dma_debug_noncoherent,
		.dev = dev,
		.paddr = page_to_phys(page),
		.dev_addr = dma_addr,
		.size = size,
		.direction = direction,
	};
	check_unmap(dev->sim->kernel->debug, &ref);
}

static void sync_single(struct device *dev, dma_addr_t addr, size_t size,
			int direction, bool to_cpu)
{
	struct dma_debug_entry ref;

	/* off: not even the entry is built (it is large) */
	if (!dma_debug_on(dev->sim))
		return;
	ref = (struct dma_debug_entry){
		.type = dma_debug_phy,
		.dev = dev,
		.dev_addr = addr,
		.size = size,
		.direction = direction,
	};
	check_sync(dev->sim->kernel->debug, &ref, to_cpu);
	own_synced(dev, addr, size, to_cpu);
}

void debug_dma_sync_single_for_cpu(struct device *dev, dma_addr_t dma_handle,
				   size_t size, int direction)
{
	sync_single(dev, dma_handle, size, direction, true);
}

void debug_dma_sync_single_for_device(struct device *dev,
				      dma_addr_t dma_handle, size_t size,
				      int direction)
{
	sync_single(dev, dma_handle, size, direction, false);
}

void debug_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
			       int nelems, int direction)
{
	debug_sg_walk(dev, sg, nelems, direction, SG_SYNC_CPU);
}

void debug_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
				  int nelems, int direction)
{
	debug_sg_walk(dev, sg, nelems, direction, SG_SYNC_DEVICE);
}

/* ------------------------------------------------------------------------ */
/* Device-access checks                                                     */
/* ------------------------------------------------------------------------ */

/*
 * The latest mapping of @dev that is gone and covered @pos, widened to
 * whole granules of @granule (0: exactly) since a translated device's
 * access faults for the whole IOVA granule. Into *@out; false if none is
 * in the history.
 */
static bool history_find(struct dma_debug *d, struct device *dev, u64 pos,
			 unsigned long granule, struct dma_debug_history *out,
			 unsigned long *now)
{
	const struct dma_debug_history *best = NULL;

	pthread_mutex_lock(&d->hist_lock);
	*now = d->hist_seq;
	for (unsigned int i = 0; i < DMA_DEBUG_HISTORY; i++) {
		const struct dma_debug_history *h = &d->hist[i];
		u64 lo = h->dev_addr, hi = h->dev_addr + h->size;

		if (h->dev != dev || !h->size)
			continue;
		if (granule) {
			lo = ALIGN_DOWN(lo, granule);
			hi = ALIGN(hi, granule);
		}
		if (pos >= lo && pos < hi && (!best || h->seq > best->seq))
			best = h;
	}
	if (best)
		*out = *best;
	pthread_mutex_unlock(&d->hist_lock);
	return best;
}

/* What @dev last had mapped at @pos, if it was recent; "" otherwise. */
static const char *history_of(struct dma_debug *d, struct device *dev, u64 pos,
			      unsigned long granule, char *buf, size_t len)
{
	struct dma_debug_history h;
	unsigned long now;

	buf[0] = '\0';
	if (history_find(d, dev, pos, granule, &h, &now))
		snprintf(buf, len,
			 " [history: mapped as %s %s at phys 0x%016llx, %llu bytes at device address 0x%016llx by %s; %s at %llu ns, unmapped %lu unmaps ago]",
			 type2name[h.type], dir_name(h.direction),
			 (unsigned long long)h.paddr,
			 (unsigned long long)h.size,
			 (unsigned long long)h.dev_addr,
			 type2map_call[h.type], h.gone_by,
			 (unsigned long long)h.when_ns, now - h.seq);
	return buf;
}

/*
 * An IOMMU is about to report that @f->dev's access has no translation:
 * if dma-debug saw a mapping there go, the report carries its history,
 * as a late access in direct mode does (the address is the IOVA).
 */
static void debug_dma_iommu_fault(struct sim_bus_observer *o,
				  struct sim_bus_fault *f)
{
	struct dma_debug *d = container_of(o, struct dma_debug, obs);
	size_t used;

	if (f->kind != SIM_BUS_FAULT_NOT_MAPPED || !dma_debug_on(d->m) ||
	    !f->note || f->note_len < 2)
		return;
	used = strlen(f->note);
	history_of(d, f->dev, f->iova, f->granule, f->note + used,
		   f->note_len - used);
	/* history_of() starts with a space: drop it at the note's start */
	if (!used && f->note[0] == ' ')
		memmove(f->note, f->note + 1, strlen(f->note));
}

/*
 * The entries of @dev containing @pos, bucket by bucket back from @pos's
 * as find_contain() meets them. Unlike the best-fit lookup used for unmap
 * and sync, any entry will do here: during the window in which one
 * mapping has been released by its backend but not yet by dma-debug, a
 * new mapping may already cover the same address, and the device's access
 * is legitimate. Returns 1 if an entry allows the access (its end in
 * *@end), 0 if only entries of the wrong direction exist (one in *@dir),
 * -1 if none.
 */
static int find_access_entry(struct dma_debug *d, struct device *dev, u64 pos,
			     bool write, int *dir, u64 *end)
{
	struct debug_shard *s = shard_of(d, dev);
	struct cands c;
	int ret = -1;

	pthread_mutex_lock(&s->lock);
	cands_collect(d, s, dev, 0, pos, pos + 1, pos >> HASH_FN_SHIFT, false,
		      &c);
	for (size_t i = 0, j; i < c.n && ret != 1; i = j) {
		j = cands_group_end(&c, i);
		for (size_t k = i; k < j; k++) {
			struct dma_debug_entry *e = c.v[k].e;
			bool allowed;

			if (pos < e->dev_addr || pos - e->dev_addr >= e->size)
				continue;
			allowed = write ? e->direction != DMA_TO_DEVICE :
					  e->direction != DMA_FROM_DEVICE;
			if (allowed && e->iova_unsynced) {
				if (ret == -1) {
					*dir = -1;	/* linked, not synced */
					*end = e->dev_addr + e->size;
					ret = 0;
				}
			} else if (allowed) {
				if (ret != 1 || e->dev_addr + e->size > *end)
					*end = e->dev_addr + e->size;
				ret = 1;
			} else if (ret == -1) {
				*dir = e->direction;
				*end = e->dev_addr + e->size;
				ret = 0;
			}
		}
	}
	cands_free(&c);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/*
 * debug_dma_check_access - may @dev touch [@addr, @addr + @len) this way?
 *
 * Each byte must lie in a live mapping of @dev whose direction allows the
 * access. Returns true if it reported a problem. Takes the shard lock.
 */
static bool debug_dma_check_access(struct device *dev, dma_addr_t addr,
				   size_t len, bool write)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	u64 pos = addr, end = addr + len;

	if (!dma_debug_on(dev->sim) || !len)
		return false;
	while (pos < end) {
		int dir = DMA_NONE;
		u64 e_end = 0;

		switch (find_access_entry(d, dev, pos, write, &dir, &e_end)) {
		case -1: {
			char hist[320];

			err_printk(dev, NULL,
				   "device %s DMA memory that is not mapped for it [device address=0x%016llx] [size=%llu bytes]%s",
				   write ? "writes" : "reads",
				   (unsigned long long)pos,
				   (unsigned long long)(end - pos),
				   history_of(d, dev, pos, 0, hist,
					      sizeof(hist)));
			return true;
		}
		case 0:
			if (dir == -1) {
				err_printk(dev, NULL,
					   "device %s IOVA linked with dma_iova_link before dma_iova_sync [device address=0x%016llx] [size=%llu bytes]",
					   write ? "writes" : "reads",
					   (unsigned long long)pos,
					   (unsigned long long)(min(end, e_end) - pos));
				return true;
			}
			err_printk(dev, NULL,
				   "device %s DMA memory mapped with %s [device address=0x%016llx] [size=%llu bytes]",
				   write ? "writes" : "reads", dir_name(dir),
				   (unsigned long long)pos,
				   (unsigned long long)(min(end, e_end) - pos));
			return true;
		}
		pos = min(end, e_end);
	}
	return false;
}

/*
 * The bus observer: every TLP that reaches RAM or a BAR through the host
 * bridge is checked against @dev's live mappings; a non-coherent device
 * reading lines the CPU has not written back is reported too. One report
 * per device access, shared with the lazy-IOTLB window report.
 */
static bool debug_dma_bus_access(struct sim_bus_observer *o,
				 const struct sim_bus_access *a, bool spoke)
{
	struct dma_debug *d = container_of(o, struct dma_debug, obs);
	struct device *dev = a->txn->dev;
	struct sim_machine *m = d->m;

	bool reported = false;

	if (!a->via_root || !dma_debug_on(m))
		return false;
	if (!spoke)
		reported = debug_dma_check_access(dev, a->addr, a->len,
						  a->txn->write);
	if (!spoke && !reported && a->target == SIM_BUS_RAM &&
	    !a->txn->write && !a->coherent &&
	    sim_cache_has_dirty(m, a->phys, a->len)) {
		sim_report(m, SIM_REPORT_DMA_DEBUG, dev, a->addr, a->len,
			   "DMA-API: %s %s: device reads memory the CPU has not written back [device address=0x%016llx] [size=%zu bytes] (missing dma_sync_*_for_device?)",
			   dev_driver_string(dev), dev_name(dev),
			   (unsigned long long)a->addr, a->len);
		reported = true;
	}
	/* Ownership: after the checks above, which it does not repeat. */
	if (d->own && a->target == SIM_BUS_RAM &&
	    own_bus_access(d, a, !spoke && !reported))
		reported = true;
	return reported;
}

static const struct sim_bus_observer_ops debug_observer_ops = {
	.access = debug_dma_bus_access,
	.fault = debug_dma_iommu_fault,
};

/* ------------------------------------------------------------------------ */
/* Leaks and dumps                                                          */
/* ------------------------------------------------------------------------ */

/*
 * The driver is gone from @dev (after its managed resources were released,
 * see sim_device_unbind()): what it still has mapped or allocated is its
 * leak.
 */
void debug_dma_device_unbound(struct device *dev)
{
	struct dma_debug *d;
	struct dma_debug_entry copy = { 0 };
	int count = 0;

	if (!dev || !dev->sim || !dma_debug_on(dev->sim))
		return;
	d = dev->sim->kernel->debug;
	iova_leaks(dev);
	{
		struct debug_shard *s = shard_of(d, dev);
		struct dma_debug_entry *last = NULL;
		struct cands c;

		/* the kernel reports the last it meets, bucket by bucket */
		pthread_mutex_lock(&s->lock);
		cands_collect(d, s, dev, 0, ~0ULL, 0, 0, true, &c);
		count = (int)c.n;
		for (size_t i = 0; i < c.n; i++)
			last = c.v[i].e;
		if (last)
			copy = *last;
		cands_free(&c);
		pthread_mutex_unlock(&s->lock);
	}
	/*
	 * The same leak (nothing mapped or unmapped since) was reported at an
	 * earlier unbind: once is enough (a driver's remove, then shutdown).
	 */
	if (!count)
		return;
	if (dev->sim_dma_stats) {
		unsigned long now = atomic_load(&dev->sim_dma_stats->debug_changes);

		if (now == dev->sim_dma_stats->leak_reported_at)
			return;
		dev->sim_dma_stats->leak_reported_at = now;
	}
	err_printk(dev, &copy,
		   "device driver has pending DMA allocations while released from device [count=%d] One of leaked entries details: [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [mapped as %s]",
		   count, (unsigned long long)copy.dev_addr,
		   (unsigned long long)copy.size, dir_name(copy.direction),
		   type2name[copy.type]);
}

static bool count_one(struct dtree_node *node, void *arg)
{
	(void)node;
	++*(unsigned long *)arg;
	return true;
}

unsigned long sim_dma_debug_entries(struct sim_machine *m, struct device *dev)
{
	struct dma_debug *d = m->kernel->debug;
	unsigned long n = 0;

	if (!d)
		return 0;
	if (!dev)
		return atomic_load(&d->nr_entries);
	{
		struct debug_shard *s = shard_of(d, dev);
		struct dtree_query q = {
			.k1 = (uintptr_t)dev, .lo2 = 0, .hi2 = ~0ULL,
			.fn = count_one, .arg = &n,
		};

		pthread_mutex_lock(&s->lock);
		dtree_query(&s->tree, &q);
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

static bool dump_push(struct dtree_node *node, void *arg)
{
	struct dma_debug_entry *e = container_of(node, struct dma_debug_entry,
						 node);
	struct cands *c = arg;

	/* by the kernel's bucket, then age, as it prints */
	c->base = 0;
	c->forward = true;
	if (!cands_push(node, c))
		return false;
	c->v[c->n - 1].order = bucket_idx(e->dev_addr);
	return true;
}

void sim_dma_debug_dump(struct sim_machine *m, struct device *dev, FILE *f)
{
	struct dma_debug *d = m->kernel->debug;
	struct cands c = { .v = c.inl, .cap = ARRAY_SIZE(c.inl) };

	if (!d)
		return;
	/* every shard, in order, so nothing goes while it prints */
	for (size_t i = 0; i < NR_SHARDS; i++)
		pthread_mutex_lock(&d->shards[i].lock);
	for (size_t i = 0; i < NR_SHARDS; i++) {
		struct dtree_query q = {
			.k1 = (uintptr_t)dev, .lo2 = 0, .hi2 = ~0ULL,
			.fn = dump_push, .arg = &c,
		};

		if (dev && &d->shards[i] != shard_of(d, dev))
			continue;
		if (dev) {
			dtree_query(&d->shards[i].tree, &q);
			continue;
		}
		for (struct dtree_node *n = dtree_first(&d->shards[i].tree); n;
		     n = dtree_next(n))
			if (!dump_push(n, &c))
				break;
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), cand_cmp);
	for (size_t i = 0; i < c.n; i++) {
		struct dma_debug_entry *e = c.v[i].e;

		/* "P=%pa D=%llx L=%llx cln=%pa" since the kernel keeps
		 * a phys_addr_t per entry (no more N=pfn). */
		fprintf(f, "%s %s %s idx %llu P=0x%016llx D=%llx L=%llx cln=0x%016llx %s %s\n",
			dev_driver_string(e->dev), dev_name(e->dev),
			type2name[e->type],
			(unsigned long long)bucket_idx(e->dev_addr),
			(unsigned long long)e->paddr,
			(unsigned long long)e->dev_addr,
			(unsigned long long)e->size,
			(unsigned long long)to_cacheline_number(e),
			dir_name(e->direction),
			maperr2str[e->map_err_type]);
	}
	cands_free(&c);
	for (size_t i = NR_SHARDS; i-- > 0;)
		pthread_mutex_unlock(&d->shards[i].lock);
}

/* ------------------------------------------------------------------------ */
/* The IOVA API                                                             */
/* ------------------------------------------------------------------------ */

static bool iova_rec_last(struct dtree_node *node, void *arg)
{
	*(struct dtree_node **)arg = node;
	return true;
}

/* The newest record of (@state, @dev), as a list pushed at its head. */
static struct iova_rec *iova_rec_find(struct dma_debug *d,
				      struct dma_iova_state *state,
				      struct device *dev, bool unlink)
{
	struct dtree_node *found = NULL;
	struct dtree_query q = {
		.k1 = (uintptr_t)state, .lo2 = (uintptr_t)dev,
		.hi2 = (uintptr_t)dev, .fn = iova_rec_last, .arg = &found,
	};
	struct iova_rec *r = NULL;

	pthread_mutex_lock(&d->iova_lock);
	dtree_query(&d->iova_tree, &q);
	if (found) {
		r = container_of(found, struct iova_rec, node);
		if (unlink) {
			dtree_erase(&d->iova_tree, found);
			if (r->prev)
				r->prev->next = r->next;
			else
				d->iova_recs = r->next;
			if (r->next)
				r->next->prev = r->prev;
		}
	}
	pthread_mutex_unlock(&d->iova_lock);
	return r;
}

void debug_dma_iova_alloc(struct device *dev, struct dma_iova_state *state)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct iova_rec *r;

	if (!dma_debug_on(dev->sim))
		return;
	r = calloc(1, sizeof(*r));
	if (!r)
		return;
	r->dev = dev;
	r->state = state;
	r->addr = state->addr;
	r->size = dma_iova_size(state);
	r->node.k1 = (uintptr_t)state;
	r->node.k2 = (uintptr_t)dev;
	r->node.k3 = atomic_fetch_add_explicit(&d->seq, 1,
					       memory_order_relaxed);
	pthread_mutex_lock(&d->iova_lock);
	dtree_insert(&d->iova_tree, &r->node);
	r->prev = NULL;
	r->next = d->iova_recs;
	if (r->next)
		r->next->prev = r;
	d->iova_recs = r;
	pthread_mutex_unlock(&d->iova_lock);
}

/*
 * Visit the linked entries of @r inside [lo, hi) of IOVA, bucket by bucket
 * from @lo's as the kernel's hash would; @fn returns true to remove the
 * entry (each bucket's removals freed newest first after it).
 */
static size_t iova_entries(struct dma_debug *d, struct iova_rec *r, u64 lo,
			   u64 hi, bool (*fn)(struct dma_debug_entry *e,
					      void *arg), void *arg)
{
	struct debug_shard *s = shard_of(d, r->dev);
	size_t bytes = 0;
	struct cands c;

	if (hi <= lo)
		return 0;
	pthread_mutex_lock(&s->lock);
	cands_collect(d, s, r->dev, lo, hi - 1, 0, lo >> HASH_FN_SHIFT, true,
		      &c);
	for (size_t i = 0, j; i < c.n; i = j) {
		struct dma_debug_entry *gone = NULL, *e, *n;

		j = cands_group_end(&c, i);
		for (size_t k = i; k < j; k++) {
			e = c.v[k].e;
			if (e->iova != r)
				continue;
			bytes += e->size;
			if (fn && fn(e, arg)) {
				tree_del(s, e);
				e->next = gone;
				gone = e;
			}
		}
		for (e = gone; e; e = n) {
			n = e->next;
			dma_entry_free(d, e);
		}
	}
	cands_free(&c);
	pthread_mutex_unlock(&s->lock);
	return bytes;
}

/*
 * dma_iova_free(): what is still linked goes (a leak, reported). @arg: the
 * call that removes it, for the history and ownership reports.
 */
static bool iova_remove(struct dma_debug_entry *e, void *arg)
{
	e->gone_by = arg;
	own_iova_gone(e->dev->sim->kernel->debug, e, arg);
	return true;
}

static bool iova_mark_synced(struct dma_debug_entry *e, void *arg)
{
	(void)arg;
	e->iova_unsynced = false;
	return false;
}

struct iova_unlink_ctx {
	u64 end;
	int dir;
	bool straddles, wrong_dir;
};

static bool iova_unlink_one(struct dma_debug_entry *e, void *arg)
{
	struct iova_unlink_ctx *c = arg;

	if (e->dev_addr + e->size > c->end) {
		c->straddles = true;
		return false;
	}
	if (e->direction != c->dir)
		c->wrong_dir = true;
	e->gone_by = "dma_iova_unlink";
	own_iova_gone(e->dev->sim->kernel->debug, e, "dma_iova_unlink");
	return true;
}

/*
 * A link the IOVA layer refused with an error that does not say which rule
 * was broken (-EINVAL from the page table for an IOVA start inside a
 * granule, -EEXIST for a granule already linked). Name the rule; -EIO (a
 * later link whose physical start is inside a granule) has its own report.
 * The link left nothing behind, so nothing is recorded.
 */
static void iova_link_refused(struct dma_debug *d, struct device *dev,
			      struct iova_rec *r, size_t offset, size_t size,
			      unsigned long granule, int ret)
{
	u64 start = r->addr + offset;

	if (!granule || ret == -EIO || ret == -ENOMEM || ret == -EPERM)
		return;
	if (offset + size > r->size || offset + size < offset) {
		/* into IOVA space the state does not own */
		err_printk(dev, NULL,
			   "dma_iova_link beyond the allocated IOVA range [IOVA state=0x%016llx] [offset=%zu] [size=%zu] [allocated=%zu] [error=%d]",
			   (unsigned long long)r->addr, offset, size, r->size,
			   ret);
		return;
	}
	if (start & (granule - 1)) {
		if (r->tail_unaligned && offset >= r->tail_end)
			err_printk(dev, NULL,
				   "dma_iova_link after a link that ended inside an IOVA granule (only the last link may end unaligned) [IOVA state=0x%016llx] [IOVA size=%zu bytes] [previous end=%zu] [offset=%zu] [size=%zu] [granule=%lu] [error=%d]",
				   (unsigned long long)r->addr, r->size,
				   r->tail_end, offset, size, granule, ret);
		else
			err_printk(dev, NULL,
				   "dma_iova_link at an IOVA offset inside a granule (only the first link may start unaligned, every other starts where a granule does) [IOVA state=0x%016llx] [IOVA size=%zu bytes] [offset=%zu] [size=%zu] [granule=%lu] [error=%d]",
				   (unsigned long long)r->addr, r->size,
				   offset, size, granule, ret);
		return;
	}
	if (ret == -EEXIST ||
	    iova_entries(d, r, ALIGN_DOWN(start, granule), start + size, NULL,
			 NULL))
		err_printk(dev, NULL,
			   "dma_iova_link over an already linked range [IOVA state=0x%016llx] [IOVA size=%zu bytes] [offset=%zu] [size=%zu] [error=%d]",
			   (unsigned long long)r->addr, r->size, offset, size,
			   ret);
}

void debug_dma_iova_link(struct device *dev, struct dma_iova_state *state,
			 phys_addr_t phys, size_t offset, size_t size,
			 enum dma_data_direction dir, unsigned long attrs,
			 int ret)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	unsigned long granule = sim_iommu_granule(dev);
	struct dma_debug_entry *e;
	struct iova_rec *r;
	u64 start;

	if (!dma_debug_on(dev->sim))
		return;
	r = iova_rec_find(d, state, dev, false);
	if (!r) {
		err_printk(dev, NULL,
			   "dma_iova_link on an IOVA state not allocated by dma_iova_try_alloc [offset=%zu] [size=%zu]",
			   offset, size);
		return;
	}
	if (ret == -EIO) {
		err_printk(dev, NULL,
			   "dma_iova_link at offset %zu of a range that does not start on an IOVA granule boundary [phys=0x%016llx] [granule=%lu] (only the first link may)",
			   offset, (unsigned long long)phys, granule);
		return;
	}
	if (ret) {
		iova_link_refused(d, dev, r, offset, size, granule, ret);
		return;
	}
	if (offset + size > r->size || offset + size < offset)
		err_printk(dev, NULL,
			   "dma_iova_link beyond the allocated IOVA range [offset=%zu] [size=%zu] [allocated=%zu]",
			   offset, size, r->size);
	if (r->tail_unaligned && offset >= r->tail_end)
		err_printk(dev, NULL,
			   "dma_iova_link after a link that ended inside an IOVA granule [previous end=%zu] [offset=%zu] (only the last link may end unaligned)",
			   r->tail_end, offset);
	start = r->addr + offset;
	if (iova_entries(d, r, ALIGN_DOWN(start, granule), start + size, NULL,
			 NULL))
		err_printk(dev, NULL,
			   "dma_iova_link over an already linked range [offset=%zu] [size=%zu]",
			   offset, size);
	if (granule && ((phys + size) & (granule - 1))) {
		r->tail_unaligned = true;
		r->tail_end = offset + size;
	}
	e = dma_entry_alloc(d);
	if (!e)
		return;
	e->type = dma_debug_iova;
	e->dev = dev;
	e->paddr = phys;
	e->dev_addr = start;
	e->size = size;
	e->direction = dir;
	e->is_mmio = attrs & DMA_ATTR_MMIO;
	e->iova_unsynced = true;
	e->iova = r;
	e->map_err_type = MAP_ERR_CHECK_NOT_APPLICABLE;
	e->skip_cpu_sync = attrs & DMA_ATTR_SKIP_CPU_SYNC;
	own_new(d, e, attrs, true);
	pthread_mutex_lock(&d->iova_lock);
	r->linked += size;
	pthread_mutex_unlock(&d->iova_lock);
	add_dma_entry(d, e, attrs);
}

void debug_dma_iova_sync(struct device *dev, struct dma_iova_state *state,
			 size_t offset, size_t size)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct iova_rec *r;

	if (!dma_debug_on(dev->sim))
		return;
	r = iova_rec_find(d, state, dev, false);
	if (!r)
		return;
	iova_entries(d, r, r->addr + offset, r->addr + offset + size,
		     iova_mark_synced, NULL);
}

void debug_dma_iova_unlink(struct device *dev, struct dma_iova_state *state,
			   size_t offset, size_t size,
			   enum dma_data_direction dir)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct iova_unlink_ctx ctx = { .dir = dir };
	struct iova_rec *r;
	size_t bytes;

	if (!dma_debug_on(dev->sim))
		return;
	r = iova_rec_find(d, state, dev, false);
	if (!r)
		return;
	ctx.end = r->addr + offset + size;
	bytes = iova_entries(d, r, r->addr + offset, ctx.end, iova_unlink_one,
			     &ctx);
	pthread_mutex_lock(&d->iova_lock);
	r->linked -= min(r->linked, bytes);
	pthread_mutex_unlock(&d->iova_lock);
	if (!bytes)
		err_printk(dev, NULL,
			   "dma_iova_unlink of a range that is not linked [offset=%zu] [size=%zu]",
			   offset, size);
	else if (ctx.straddles || bytes != size)
		err_printk(dev, NULL,
			   "dma_iova_unlink length does not match what was linked [offset=%zu] [linked=%zu bytes] [unlink size=%zu bytes]",
			   offset, bytes, size);
	if (ctx.wrong_dir)
		err_printk(dev, NULL,
			   "dma_iova_unlink with a different direction than dma_iova_link [offset=%zu] [unlinked with %s]",
			   offset, dir_name(dir));
}

/* Destroy: every entry goes; one linked with another direction is noted. */
static bool iova_destroy_one(struct dma_debug_entry *e, void *arg)
{
	struct iova_unlink_ctx *c = arg;

	if (e->direction != c->dir)
		c->wrong_dir = true;
	e->gone_by = "dma_iova_destroy";
	own_iova_gone(e->dev->sim->kernel->debug, e, "dma_iova_destroy");
	return true;
}

void debug_dma_iova_destroy(struct device *dev, struct dma_iova_state *state,
			    size_t mapped_len, enum dma_data_direction dir)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct iova_unlink_ctx ctx = { .dir = dir };
	struct iova_rec *r;

	if (!dma_debug_on(dev->sim))
		return;
	r = iova_rec_find(d, state, dev, true);
	if (!r) {
		err_printk(dev, NULL,
			   "dma_iova_destroy of an IOVA state not allocated by dma_iova_try_alloc [mapped_len=%zu]",
			   mapped_len);
		return;
	}
	if (mapped_len != r->linked)
		err_printk(dev, NULL,
			   "dma_iova_destroy length does not match what is linked [linked=%zu bytes] [mapped_len=%zu bytes]",
			   r->linked, mapped_len);
	iova_entries(d, r, r->addr, r->addr + r->size + 1, iova_destroy_one,
		     &ctx);
	if (ctx.wrong_dir)
		err_printk(dev, NULL,
			   "dma_iova_destroy with a different direction than dma_iova_link [IOVA state=0x%016llx] [IOVA size=%zu bytes] [destroyed with %s]",
			   (unsigned long long)r->addr, r->size,
			   dir_name(dir));
	free(r);
}

void debug_dma_iova_free(struct device *dev, struct dma_iova_state *state)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct iova_rec *r;

	if (!dma_debug_on(dev->sim))
		return;
	r = iova_rec_find(d, state, dev, true);
	if (!r) {
		/* freed twice, or after dma_iova_destroy(): iommu-dma ignores it */
		err_printk(dev, NULL,
			   "dma_iova_free of an IOVA state not allocated by dma_iova_try_alloc [IOVA=0x%016llx] [size=%zu bytes]",
			   (unsigned long long)state->addr,
			   dma_iova_size(state));
		return;
	}
	if (r->linked)
		err_printk(dev, NULL,
			   "dma_iova_free of an IOVA range with %zu bytes still linked (dma_iova_destroy unlinks first)",
			   r->linked);
	iova_entries(d, r, r->addr, r->addr + r->size + 1, iova_remove,
		     "dma_iova_free");
	free(r);
}

/* IOVA states the device still holds (reported at unbind). */
static void iova_leaks(struct device *dev)
{
	struct dma_debug *d = dev->sim->kernel->debug;

	pthread_mutex_lock(&d->iova_lock);
	for (struct iova_rec *r = d->iova_recs; r; r = r->next)
		if (r->dev == dev)
			sim_report(dev->sim, SIM_REPORT_DMA_DEBUG, dev, r->addr,
				   r->size,
				   "DMA-API: %s %s: device driver has an IOVA state left allocated while released from device [device address=0x%016llx] [size=%zu bytes] [linked=%zu bytes]",
				   dev_driver_string(dev), dev_name(dev),
				   (unsigned long long)r->addr, r->size,
				   r->linked);
	pthread_mutex_unlock(&d->iova_lock);
}

/* ------------------------------------------------------------------------ */
/* Ownership of streaming mappings, and the DMA check mode                  */
/* ------------------------------------------------------------------------ */

/*
 * Every streaming mapping (single, page, phys, sg segment, IOVA link) is
 * owned by the device from map, dma_sync_*_for_device() or dma_iova_link()
 * until dma_sync_*_for_cpu() or unmap, and by the CPU in between, per
 * range: ownership is kept per chunk, a chunk being the part of one CPU
 * cache line inside the mapping. A partial sync leaves a chunk MIXED, and
 * a MIXED chunk is never reported (not knowing is not a bug).
 *
 * Two reports follow from it:
 *  - a device access to a chunk the CPU owns (seen on the bus), naming
 *    the sync for the device that is missing;
 *  - a CPU write to a chunk the device owns: when a chunk goes to the
 *    device, a hash of its CPU view is taken; the next sync or unmap
 *    compares (before the kernel moves any data). Bytes a device wrote
 *    in the meantime (any device: the bus records, per RAM line, the
 *    last device write) and bytes the kernel itself brought to the CPU
 *    are not compared. Mappings made with DMA_ATTR_SKIP_CPU_SYNC (whose
 *    driver syncs sub-ranges itself, as page_pool does) are not hashed.
 *
 * The check mode (per device, sim_dma_check_set(), or per machine,
 * "machine dma-check=strict"): a coherent device gets its own view of
 * memory for its streaming mappings: the memory view of RAM, which its
 * accesses to them use without snooping. Map and every sync for the
 * device copy the mapping's bytes from the CPU view to it (after any
 * bounce), sync for the CPU and unmap copy them back (before any bounce,
 * not for DMA_TO_DEVICE, not with DMA_ATTR_SKIP_CPU_SYNC), exactly where a
 * non-coherent device's cache maintenance happens but byte-exact, so data
 * sharing a cache line with the buffer is left alone as a coherent device
 * leaves it. A missing sync then gives stale data as well as a report. In
 * the check mode a sync for the device of chunks the device wrote and the
 * CPU never took back (no sync for the CPU in between) is reported too:
 * the CPU cannot have read that data (a driver that deliberately drops
 * data unread should sync it for the CPU, or not hand it back by sync).
 * No answer of the API changes (dev_is_dma_coherent(), DMA addresses,
 * dma_need_sync()); the mode needs dma-debug on, which is what makes
 * every sync call reach the DMA layer.
 */

#define OWN_CHUNK	L1_CACHE_BYTES
#define OWN_MAX_SIZE	(64ULL << 20)	/* larger mappings: not tracked */
#define DW_SHARDS	64
#define DW_LINES	(PAGE_SIZE / OWN_CHUNK)

enum {
	OWN_DEV = 0,
	OWN_CPU = 1,
	OWN_MIXED = 2,
	OWN_STATE = 3,
	OWN_SNAP = 4,		/* hash[] and gen[] hold the device's snapshot */
	OWN_WROTE = 8,		/* the device wrote it since it got it */
};

struct dma_own {
	u32 nchunks;
	u32 lead;		/* paddr % OWN_CHUNK */
	bool hashed;		/* CPU writes are looked for */
	bool view;		/* the device works on its own view */
	bool strict;		/* the check mode's extra report */
	bool pooled;		/* a block of the pool's size */
	struct dma_own *next;	/* on the pool's free list */
	u8 *st;
	u32 *hash;
	u32 *gen;
};

/*
 * Device writes, for the snapshots: per RAM page, how many hashed
 * mappings cover it (a counter in an array per RAM region, reserved
 * sparse, so that counting costs one atomic and no lock), and for a page
 * under snapshots that a device wrote, the last write (a generation) of
 * each of its lines, in a record that goes when the last mapping does.
 * Pages no snapshot covers have no record: a write there can make no
 * report wrong.
 */
#define DW_HAS_GEN	0x80000000u	/* in a counter: the page has a record */
#define DW_COUNT	0x7fffffffu

struct dw_page {
	struct dhash_node node;		/* key: the pfn */
	struct dw_page *free_next;
	u32 gen[DW_LINES];
};

struct dw_shard {
	pthread_mutex_t lock;
	struct dhash pages;
	struct dw_page *free;		/* records kept for reuse */
};

/*
 * Blocks for mappings of up to a page (any alignment) come from a pool
 * that only grows, as the kernel's dma-debug entries do: a machine that
 * keeps many mappings live pays for the memory once.
 */
#define OWN_POOL_CHUNKS	(PAGE_SIZE / OWN_CHUNK + 1)
#define OWN_POOL_BLOCK	(sizeof(struct dma_own) + \
			 OWN_POOL_CHUNKS * (2 * sizeof(u32) + 1))

struct dma_own_state {
	_Atomic unsigned long nr_hashed;	/* live entries with hashes */
	_Atomic u32 gen;
	pthread_mutex_t pool_lock;
	struct dma_own *pool;			/* free blocks */
	struct dw_shard dw[DW_SHARDS];
	_Atomic u32 *covers[SIM_MAX_RAM_REGIONS];	/* per page; NULL: none */
	size_t covers_bytes[SIM_MAX_RAM_REGIONS];
};

static int own_init(struct dma_debug *d)
{
	d->own = calloc(1, sizeof(*d->own));
	if (!d->own)
		return -ENOMEM;
	atomic_store(&d->own->gen, 1);
	pthread_mutex_init(&d->own->pool_lock, NULL);
	for (unsigned int i = 0; i < DW_SHARDS; i++)
		pthread_mutex_init(&d->own->dw[i].lock, NULL);
	/* a region without its counters is not hashed (dw_cover() fails) */
	for (unsigned int i = 0; i < d->m->ram.nr_regions; i++) {
		size_t bytes = (d->m->ram.regions[i].size >> PAGE_SHIFT) *
			       sizeof(u32);
		void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		if (p != MAP_FAILED) {
			d->own->covers[i] = p;
			d->own->covers_bytes[i] = bytes;
		}
	}
	return 0;
}

static void dw_page_free(struct dhash_node *n)
{
	free(container_of(n, struct dw_page, node));
}

static void dw_shard_free(struct dw_shard *sh)
{
	dhash_destroy(&sh->pages, dw_page_free);
	for (struct dw_page *pg = sh->free, *n; pg; pg = n) {
		n = pg->free_next;
		free(pg);
	}
	pthread_mutex_destroy(&sh->lock);
}

static void own_exit(struct dma_debug *d)
{
	if (!d->own)
		return;
	for (unsigned int i = 0; i < DW_SHARDS; i++)
		dw_shard_free(&d->own->dw[i]);
	for (unsigned int i = 0; i < SIM_MAX_RAM_REGIONS; i++)
		if (d->own->covers[i])
			munmap((void *)d->own->covers[i],
			       d->own->covers_bytes[i]);
	for (struct dma_own *o = d->own->pool, *n; o; o = n) {
		n = o->next;
		free(o);
	}
	pthread_mutex_destroy(&d->own->pool_lock);
	free(d->own);
	d->own = NULL;
}

/* The shard of a page: 2 MiB runs of pages share one. */
static inline struct dw_shard *dw_shard_of(struct dma_own_state *s, u64 pfn)
{
	return &s->dw[(pfn >> 9) % DW_SHARDS];
}

/* The counter of the page at @phys, or NULL (not RAM, or no counters). */
static _Atomic u32 *dw_counter(struct dma_debug *d, phys_addr_t phys)
{
	struct sim_ram_region *r = sim_ram_region_of(d->m, phys, 1);
	unsigned int i;

	if (!r)
		return NULL;
	i = (unsigned int)(r - d->m->ram.regions);
	if (!d->own->covers[i])
		return NULL;
	return &d->own->covers[i][(phys - r->base) >> PAGE_SHIFT];
}

/* The record of @pfn (shard locked), made if @make; NULL without one. */
static struct dw_page *dw_page_get(struct dw_shard *sh, u64 pfn, bool make)
{
	struct dhash_node *n = dhash_find(&sh->pages, pfn);
	struct dw_page *pg;

	if (n || !make)
		return n ? container_of(n, struct dw_page, node) : NULL;
	pg = sh->free;
	if (pg)
		sh->free = pg->free_next;
	else
		pg = malloc(sizeof(*pg));
	if (!pg)
		return NULL;
	memset(pg, 0, sizeof(*pg));
	pg->node.key = pfn;
	if (dhash_add(&sh->pages, &pg->node)) {
		pg->free_next = sh->free;
		sh->free = pg;
		return NULL;
	}
	return pg;
}

/*
 * The last hashed mapping of the page at @phys went (@c: its counter, just
 * taken to zero with the record flag): the record goes, unless another
 * mapping came meanwhile.
 */
static void dw_page_drop(struct dma_own_state *s, _Atomic u32 *c, u64 pfn)
{
	struct dw_shard *sh = dw_shard_of(s, pfn);
	struct dw_page *pg;

	pthread_mutex_lock(&sh->lock);
	if (!(atomic_load(c) & DW_COUNT)) {
		pg = dw_page_get(sh, pfn, false);
		if (pg) {
			dhash_del(&sh->pages, &pg->node);
			pg->free_next = sh->free;
			sh->free = pg;
		}
		atomic_fetch_and(c, ~DW_HAS_GEN);
	}
	pthread_mutex_unlock(&sh->lock);
}

/*
 * A hashed mapping covers [phys, phys + len) from now on (@get) or no
 * longer. False if the range has no counters (the mapping cannot be
 * hashed).
 */
static bool dw_cover(struct dma_debug *d, phys_addr_t phys, u64 len, bool get)
{
	_Atomic u32 *c = dw_counter(d, phys);
	u64 first = phys >> PAGE_SHIFT, last = (phys + len - 1) >> PAGE_SHIFT;

	/* a hashed range is in one region (sim_ram_region_of() said so) */
	if (!c || dw_counter(d, phys + len - 1) != c + (last - first))
		return false;
	for (u64 pfn = first; pfn <= last; pfn++, c++) {
		u32 v;

		if (get) {
			atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
			continue;
		}
		v = atomic_fetch_sub(c, 1);
		if ((v & DW_COUNT) == 1 && (v & DW_HAS_GEN))
			dw_page_drop(d->own, c, pfn);
	}
	return true;
}

/*
 * A device (or the kernel, for the CPU) changed [phys, phys + len): the
 * lines of pages under snapshots remember it. @self: the caller's own
 * hashed mapping covers the range (an unmap or a sync for the CPU, which
 * needs no record for itself): pages only it covers are left alone.
 */
static void dw_mark(struct dma_debug *d, phys_addr_t phys, size_t len,
		    bool self)
{
	struct dma_own_state *s = d->own;
	u32 g;

	if (!len || !atomic_load_explicit(&s->nr_hashed, memory_order_relaxed))
		return;
	g = atomic_fetch_add(&s->gen, 1) + 1;
	for (phys_addr_t p = ALIGN_DOWN(phys, OWN_CHUNK); p < phys + len;) {
		u64 pfn = p >> PAGE_SHIFT;
		_Atomic u32 *c = dw_counter(d, p);
		struct dw_shard *sh = dw_shard_of(s, pfn);
		struct dw_page *pg = NULL;

		if (c && (atomic_load(c) & DW_COUNT) > self) {
			pthread_mutex_lock(&sh->lock);
			pg = dw_page_get(sh, pfn, true);
			if (!pg) {
				/* Cannot remember: look for CPU writes no more. */
				pthread_mutex_unlock(&sh->lock);
				atomic_store(&s->nr_hashed, 0);
				return;
			}
			atomic_fetch_or(c, DW_HAS_GEN);
		}
		for (; p < phys + len && (p >> PAGE_SHIFT) == pfn;
		     p += OWN_CHUNK)
			if (pg)
				pg->gen[(p & ~PAGE_MASK) / OWN_CHUNK] = g;
		if (pg)
			pthread_mutex_unlock(&sh->lock);
	}
}

/* Was the line at @phys changed by a device since generation @since? */
static bool dw_since(struct dma_debug *d, phys_addr_t phys, u32 since)
{
	u64 pfn = phys >> PAGE_SHIFT;
	_Atomic u32 *c = dw_counter(d, phys);
	struct dw_shard *sh = dw_shard_of(d->own, pfn);
	struct dw_page *pg;
	bool ret = false;

	if (!c || !(atomic_load(c) & DW_HAS_GEN))
		return false;
	pthread_mutex_lock(&sh->lock);
	pg = dw_page_get(sh, pfn, false);
	/* marks after a snapshot taken at @since are above it */
	if (pg)
		ret = pg->gen[(phys & ~PAGE_MASK) / OWN_CHUNK] > since;
	pthread_mutex_unlock(&sh->lock);
	return ret;
}

static void own_free(struct dma_debug *d, struct dma_debug_entry *e)
{
	struct dma_own *o = e->own;

	if (!o)
		return;
	if (o->hashed) {
		dw_cover(d, e->paddr, e->size, false);
		atomic_fetch_sub(&d->own->nr_hashed, 1);
	}
	e->own = NULL;
	if (!o->pooled) {
		free(o);	/* st, hash and gen are in its block */
		return;
	}
	pthread_mutex_lock(&d->own->pool_lock);
	o->next = d->own->pool;
	d->own->pool = o;
	pthread_mutex_unlock(&d->own->pool_lock);
}

/* Entry offsets [*lo, *hi) of chunk @c of @e. */
static void own_chunk(const struct dma_debug_entry *e, u32 c, u64 *lo, u64 *hi)
{
	u64 start = (u64)c * OWN_CHUNK, end = start + OWN_CHUNK;

	*lo = start > e->own->lead ? start - e->own->lead : 0;
	*hi = min(e->size, end - e->own->lead);
}

/* The chunks [*c0, *c1] that [off, off + len) of @e touches; false if none. */
static bool own_chunks(const struct dma_debug_entry *e, u64 off, u64 len,
		       u32 *c0, u32 *c1)
{
	if (!e->own || !len || off >= e->size)
		return false;
	len = min(len, e->size - off);
	*c0 = (u32)((e->own->lead + off) / OWN_CHUNK);
	*c1 = (u32)((e->own->lead + off + len - 1) / OWN_CHUNK);
	return true;
}

/*
 * A chunk's hash: each 8-byte word times its own odd constant, summed;
 * the 32 bits kept are the high half of the sum times one more odd
 * constant. A change of one word changes the sum (an odd multiple of a
 * nonzero difference is nonzero), and the multiply carries every bit of
 * the sum into the bits kept. The products are independent and nothing
 * is serial after them, so a chunk costs about what reading it costs.
 * Whole chunks (all but a mapping's first and last) take the unrolled way.
 */
#define OWN_M0	0x9e3779b97f4a7c15ULL
#define OWN_M1	0xc2b2ae3d27d4eb4fULL
#define OWN_M2	0x165667b19e3779f9ULL
#define OWN_M3	0xd6e8feb86659fd93ULL
#define OWN_M4	0xff51afd7ed558ccdULL
#define OWN_M5	0xc4ceb9fe1a85ec53ULL
#define OWN_M6	0x2545f4914f6cdd1dULL
#define OWN_M7	0x94d049bb133111ebULL
#define OWN_FOLD 0xbf58476d1ce4e5b9ULL

static inline u64 own_word(const u8 *p, unsigned int i)
{
	u64 w;

	memcpy(&w, p + 8 * i, sizeof(w));
	return w;
}

static inline u32 own_hash_fin(u64 h)
{
	return (u32)((h * OWN_FOLD) >> 32);
}

static inline u32 own_hash(const u8 *p, size_t n)
{
	static const u64 mul[8] = { OWN_M0, OWN_M1, OWN_M2, OWN_M3,
				    OWN_M4, OWN_M5, OWN_M6, OWN_M7 };
	u64 h = 0xcbf29ce484222325ULL ^ n;
	size_t i = 0;

	if (n == OWN_CHUNK) {
		h += (own_word(p, 0) * OWN_M0 + own_word(p, 1) * OWN_M1) +
		     (own_word(p, 2) * OWN_M2 + own_word(p, 3) * OWN_M3) +
		     (own_word(p, 4) * OWN_M4 + own_word(p, 5) * OWN_M5) +
		     (own_word(p, 6) * OWN_M6 + own_word(p, 7) * OWN_M7);
		return own_hash_fin(h);
	}
	for (; n >= 8; n -= 8, p += 8, i++)
		h += (own_word(p, 0) + i) * mul[i & 7];
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return own_hash_fin(h);
}

/*
 * The lines of [p, p + n) (its first page) are asked for at once before
 * they are hashed: a mapping's bytes are rarely in the cache when it is
 * mapped or unmapped, and reading them one line after the other would
 * wait on memory for each.
 */
static inline void own_prefetch(const u8 *p, size_t n)
{
	n = min(n, (size_t)PAGE_SIZE);
	for (size_t o = 0; o < n; o += OWN_CHUNK)
		__builtin_prefetch(p + o);
}

static const u8 *own_cpu_view(struct dma_debug *d, struct dma_debug_entry *e)
{
	return sim_phys_to_virt(d->m, e->paddr);
}

/* Snapshot the chunks of [off, off + len) that the device now owns whole. */
static void own_snap(struct dma_debug *d, struct dma_debug_entry *e, u64 off,
		     u64 len)
{
	struct dma_own *o = e->own;
	const u8 *cpu;
	u32 c0, c1, g;

	if (!o->hashed || !own_chunks(e, off, len, &c0, &c1))
		return;
	cpu = own_cpu_view(d, e);
	own_prefetch(cpu + off, min(len, e->size - off));
	g = atomic_load(&d->own->gen);
	for (u32 c = c0; c <= c1; c++) {
		u64 lo, hi;

		if ((o->st[c] & OWN_STATE) != OWN_DEV)
			continue;
		own_chunk(e, c, &lo, &hi);
		o->hash[c] = own_hash(cpu + lo, hi - lo);
		o->gen[c] = g;
		o->st[c] |= OWN_SNAP;
	}
}

/*
 * Did the CPU change chunk @c of @e (hashed; its CPU view at @cpu) since
 * the device got it?
 */
static inline bool own_cpu_wrote(struct dma_debug *d,
				 struct dma_debug_entry *e, const u8 *cpu,
				 u32 c)
{
	u64 lo, hi;

	/*
	 * A chunk this mapping's device wrote since its snapshot would not
	 * be compared (dw_since() says so): no need to hash it.
	 */
	if ((e->own->st[c] & (OWN_SNAP | OWN_WROTE)) != OWN_SNAP)
		return false;
	own_chunk(e, c, &lo, &hi);
	return own_hash(cpu + lo, hi - lo) != e->own->hash[c] &&
	       !dw_since(d, e->paddr + lo, e->own->gen[c]);
}

static const char *own_sync_name(const struct dma_debug_entry *e, bool to_cpu)
{
	if (e->type == dma_debug_sg)
		return to_cpu ? "dma_sync_sg_for_cpu" : "dma_sync_sg_for_device";
	return to_cpu ? "dma_sync_single_for_cpu" :
			"dma_sync_single_for_device";
}

/*
 * Before ownership of [off, off + len) of @e moves, or the mapping goes
 * (@at names the call): report what the CPU wrote into chunks the device
 * owned whole since their snapshot; the snapshots are used up.
 */
static void own_cpu_check(struct dma_debug *d, struct dma_debug_entry *e,
			  u64 off, u64 len, const char *at)
{
	struct dma_own *o = e->own;
	u64 first = 0, bytes = 0;
	const u8 *cpu;
	u32 c0, c1;

	if (!o->hashed || !own_chunks(e, off, len, &c0, &c1))
		return;		/* unhashed: no chunk has a snapshot */
	cpu = own_cpu_view(d, e);
	own_prefetch(cpu + off, min(len, e->size - off));
	for (u32 c = c0; c <= c1; c++) {
		u64 lo, hi;

		if (!own_cpu_wrote(d, e, cpu, c)) {
			o->st[c] &= (u8)~OWN_SNAP;
			continue;
		}
		o->st[c] &= (u8)~OWN_SNAP;
		own_chunk(e, c, &lo, &hi);
		if (!bytes)
			first = lo;
		bytes += hi - lo;
	}
	if (bytes)
		err_printk(e->dev, e,
			   "CPU wrote DMA memory while the device owns it [device address=0x%016llx] [size=%llu bytes] [changed: %llu bytes from offset %llu] [mapped as %s %s], lost at %s(): missing %s() before the CPU write",
			   (unsigned long long)e->dev_addr,
			   (unsigned long long)e->size,
			   (unsigned long long)bytes,
			   (unsigned long long)first, type2name[e->type],
			   dir_name(e->direction), at,
			   own_sync_name(e, true));
}

/* Ownership of [off, off + len) of @e goes to the CPU (true) or device. */
static void own_move(struct dma_debug_entry *e, u64 off, u64 len, bool to_cpu)
{
	struct dma_own *o = e->own;
	u32 c0, c1;

	if (!own_chunks(e, off, len, &c0, &c1))
		return;
	len = min(len, e->size - off);
	for (u32 c = c0; c <= c1; c++) {
		u64 lo, hi;
		u8 st = o->st[c] & OWN_STATE;

		own_chunk(e, c, &lo, &hi);
		o->st[c] &= (u8)~OWN_SNAP;
		if (off <= lo && off + len >= hi)
			o->st[c] = to_cpu ? OWN_CPU : OWN_DEV;
		else if (st != (to_cpu ? OWN_CPU : OWN_DEV))
			o->st[c] = OWN_MIXED;
	}
}

/*
 * The device's own view of [addr, addr + len) of device addresses: push
 * the CPU view to it, or pull it into the CPU view. The bytes the device
 * reaches are found as it reaches them: through its IOMMU domain's page
 * table, or the direct mapping (a bounce slot, if bounced).
 */
static void own_view_move(struct device *dev, dma_addr_t addr, u64 len,
			  bool push)
{
	struct sim_machine *m = dev->sim;

	while (len) {
		u64 n = len;
		phys_addr_t p;

		if (use_dma_iommu(dev)) {
			unsigned long g = sim_iommu_granule(dev);

			if (!g)
				g = PAGE_SIZE;
			n = min(len, (u64)(g - (addr & (g - 1))));
			p = iommu_iova_to_phys(iommu_get_domain_for_dev(dev),
					       addr);
			if (!p)
				p = (phys_addr_t)-1;
		} else {
			p = dma_to_phys(dev, addr);
		}
		if (p != (phys_addr_t)-1) {
			if (push)
				sim_ram_view_push(m, p, n);
			else
				sim_ram_view_pull(m, p, n);
		}
		addr += n;
		len -= n;
	}
}

static bool own_dev_check_mode(struct device *dev)
{
	return dev->sim_dma_stats &&
	       __atomic_load_n(&dev->sim_dma_stats->dma_check,
			       __ATOMIC_RELAXED);
}

/* A block for @n chunks: from the pool if it is of the pool's size. */
static struct dma_own *own_block(struct dma_debug *d, size_t n, bool hashed)
{
	struct dma_own *o;

	if (n > OWN_POOL_CHUNKS)
		return malloc(sizeof(*o) + n * (hashed ? 2 * sizeof(u32) + 1 : 1));
	pthread_mutex_lock(&d->own->pool_lock);
	o = d->own->pool;
	if (o)
		d->own->pool = o->next;
	pthread_mutex_unlock(&d->own->pool_lock);
	return o ? o : malloc(OWN_POOL_BLOCK);
}

/*
 * A new streaming mapping @e (already in the hash, map done): the device
 * owns it. @contig: [paddr, paddr + size) is what the device reaches.
 */
static void own_new(struct dma_debug *d, struct dma_debug_entry *e,
		    unsigned long attrs, bool contig)
{
	struct device *dev = e->dev;
	struct dma_own *o;
	bool strict = own_dev_check_mode(dev);
	bool view = strict && dev_is_dma_coherent(dev) &&
		    (use_dma_iommu(dev) || !dev->dma_ops) &&
		    __atomic_load_n(&d->m->ram.views, __ATOMIC_ACQUIRE);

	if (e->is_mmio || !e->size || e->size > OWN_MAX_SIZE || !d->own)
		return;
	if (view && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		own_view_move(dev, e->dev_addr, e->size, true);
	{
		u32 lead = (u32)(e->paddr % OWN_CHUNK);
		size_t n = DIV_ROUND_UP(lead + e->size, OWN_CHUNK);
		bool hashed = contig && !(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
			      sim_ram_region_of(d->m, e->paddr, e->size);

		/* one block: the state, then hashes and generations, then states */
		o = own_block(d, n, hashed);
		if (!o)
			return;
		if (hashed && !dw_cover(d, e->paddr, e->size, true))
			hashed = false;	/* its pages cannot be followed */
		*o = (struct dma_own){
			.lead = lead, .nchunks = (u32)n, .view = view,
			.strict = strict, .hashed = hashed,
			.pooled = n <= OWN_POOL_CHUNKS,
		};
		if (hashed) {
			o->hash = (u32 *)(o + 1);
			o->gen = o->hash + n;
			o->st = (u8 *)(o->gen + n);
		} else {
			o->st = (u8 *)(o + 1);
		}
		memset(o->st, 0, n);
	}
	if (o->hashed)
		atomic_fetch_add(&d->own->nr_hashed, 1);
	e->own = o;
	own_snap(d, e, 0, e->size);
}

/* Find @dev's entry at [addr, addr + size), shard locked (*@b); NULL if none. */
static struct dma_debug_entry *own_find(struct dma_debug *d,
					struct device *dev, dma_addr_t addr,
					size_t size, bool exact,
					struct debug_shard **b)
{
	struct dma_debug_entry ref = {
		.type = dma_debug_phy,
		.dev = dev,
		.dev_addr = addr,
		.size = size,
	};
	struct dma_debug_entry *e;

	*b = shard_of(d, dev);
	pthread_mutex_lock(&(*b)->lock);
	if (exact)
		return find_exact(d, *b, &ref);
	e = find_contain(d, *b, &ref);
	return e;
}

/*
 * Before the DMA layer moves data for a sync (@to_cpu: for the CPU) or an
 * unmap (@unmap) of [addr, addr + size): what the CPU wrote while the
 * device owned it, what the device wrote and the CPU never took (check
 * mode), then the device's view back to the CPU.
 */
static void own_begin(struct device *dev, dma_addr_t addr, size_t size,
		      int dir, bool to_cpu, bool unmap, unsigned long attrs,
		      const char *at)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct dma_debug_entry *e;
	struct debug_shard *b;
	u64 off, len, unread = 0;
	bool moves;

	if (!dma_debug_on(dev->sim) || !d->own)
		return;
	/* nothing moves for the CPU, and the check mode's report is for the device */
	if (to_cpu && (attrs & DMA_ATTR_SKIP_CPU_SYNC))
		return;
	e = own_find(d, dev, addr, size, unmap, &b);
	if (!e || !e->own) {
		pthread_mutex_unlock(&b->lock);
		return;
	}
	off = addr - e->dev_addr;
	len = unmap ? e->size : min((u64)size, e->size - off);
	moves = to_cpu && dir != DMA_TO_DEVICE &&
		e->direction != DMA_TO_DEVICE &&
		!(attrs & DMA_ATTR_SKIP_CPU_SYNC);
	/*
	 * A CPU write into a buffer the device owns is lost where device
	 * data comes back to the CPU; for the device, a sync after the CPU
	 * wrote is what the API asks (dma_sync_single_for_device() "after
	 * writing values that will be written to the device"), and a device
	 * read before it is reported on the bus.
	 */
	if (moves)
		own_cpu_check(d, e, off, len, at);
	if (!to_cpu && e->own->strict) {
		u32 c0, c1;

		if (own_chunks(e, off, len, &c0, &c1))
			for (u32 c = c0; c <= c1; c++)
				if ((e->own->st[c] & (OWN_STATE | OWN_WROTE)) ==
				    (OWN_DEV | OWN_WROTE)) {
					u64 lo, hi;

					own_chunk(e, c, &lo, &hi);
					unread += hi - lo;
				}
		if (unread)
			err_printk(dev, e,
				   "device wrote DMA memory the CPU never took back [device address=0x%016llx] [size=%llu bytes] [unread: %llu bytes] [mapped as %s %s]: %s() gives it to the device again: missing %s() before the CPU reads it",
				   (unsigned long long)e->dev_addr,
				   (unsigned long long)e->size,
				   (unsigned long long)unread,
				   type2name[e->type], dir_name(e->direction),
				   at, own_sync_name(e, true));
	}
	if (moves) {
		if (e->own->view)
			own_view_move(dev, e->dev_addr + off, len, false);
		/* The kernel is about to bring device data to the CPU. */
		dw_mark(d, e->paddr + off, len, e->own->hashed);
	}
	pthread_mutex_unlock(&b->lock);
}

/* After a sync of [addr, addr + size): ownership moves (and data, for the
 * device in the check mode). */
static void own_synced(struct device *dev, dma_addr_t addr, size_t size,
		       bool to_cpu)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct dma_debug_entry *e;
	struct debug_shard *b;
	u64 off, len;

	if (!d->own)
		return;
	e = own_find(d, dev, addr, size, false, &b);
	if (e && e->own) {
		off = addr - e->dev_addr;
		len = min((u64)size, e->size - off);
		if (!to_cpu && e->own->view)
			own_view_move(dev, addr, len, true);
		own_move(e, off, len, to_cpu);
		if (!to_cpu)
			own_snap(d, e, off, len);
	}
	pthread_mutex_unlock(&b->lock);
}

void debug_dma_sync_single_begin(struct device *dev, dma_addr_t addr,
				 size_t size, int dir, bool to_cpu)
{
	own_begin(dev, addr, size, dir, to_cpu, false, 0,
		  to_cpu ? "dma_sync_single_for_cpu" :
			   "dma_sync_single_for_device");
}

/* Ownership moves for the mapped entries of an sg list (sync or unmap). */
static void own_sg_begin(struct device *dev, struct scatterlist *sg,
			 int nelems, int dir, bool to_cpu, bool unmap,
			 unsigned long attrs, const char *at)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct scatterlist *s;
	int mapped = 0, i;

	if (!dma_debug_on(dev->sim))
		return;
	for_each_sg(sg, s, nelems, i) {
		struct dma_debug_entry ref = {
			.type = dma_debug_sg,
			.dev = dev,
			.dev_addr = sg_dma_address(s),
			.sg_call_ents = nelems,
		};

		if (!i)
			mapped = get_nr_mapped_entries(d, &ref);
		if (i >= mapped)
			break;
		own_begin(dev, sg_dma_address(s), sg_dma_len(s), dir, to_cpu,
			  unmap, attrs, at);
	}
}

void debug_dma_sync_sg_begin(struct device *dev, struct scatterlist *sg,
			     int nelems, int dir, bool to_cpu)
{
	own_sg_begin(dev, sg, nelems, dir, to_cpu, false, 0,
		     to_cpu ? "dma_sync_sg_for_cpu" : "dma_sync_sg_for_device");
}

void debug_dma_unmap_begin(struct device *dev, dma_addr_t addr, size_t size,
			   int dir, unsigned long attrs)
{
	if (addr == DMA_MAPPING_ERROR)
		return;
	own_begin(dev, addr, size, dir, true, true, attrs, "dma_unmap_phys");
}

void debug_dma_unmap_sg_begin(struct device *dev, struct scatterlist *sg,
			      int nelems, int dir, unsigned long attrs)
{
	own_sg_begin(dev, sg, nelems, dir, true, true, attrs, "dma_unmap_sg");
}

/* The streaming sg mapping made by dma_map_sg_attrs(): the device owns it. */
void debug_dma_own_map_sg(struct device *dev, struct scatterlist *sg,
			  int nents, int mapped_ents, unsigned long attrs)
{
	struct dma_debug *d = dev->sim->kernel->debug;
	struct scatterlist *s;
	int i;

	if (!dma_debug_on(dev->sim))
		return;
	for_each_sg(sg, s, mapped_ents, i) {
		struct debug_shard *b;
		struct dma_debug_entry *e;

		if (sg_dma_is_bus_address(s))
			continue;
		e = own_find(d, dev, sg_dma_address(s), sg_dma_len(s), true,
			     &b);
		/* Segment i is the i-th page range only if none merged. */
		if (e && !e->own)
			own_new(d, e, attrs,
				mapped_ents == nents &&
				sg_dma_len(s) == s->length);
		pthread_mutex_unlock(&b->lock);
	}
}

/* An IOVA-linked range @e goes (unlink, destroy, free): as an unmap. */
static void own_iova_gone(struct dma_debug *d, struct dma_debug_entry *e,
			  const char *at)
{
	if (!e->own)
		return;
	if (e->direction != DMA_TO_DEVICE && !e->skip_cpu_sync) {
		own_cpu_check(d, e, 0, e->size, at);
		if (e->own->view)
			own_view_move(e->dev, e->dev_addr, e->size, false);
		dw_mark(d, e->paddr, e->size, e->own->hashed);
	}
}

/*
 * A device access on the bus: writes are remembered per RAM line (for the
 * CPU-write check of every mapping of those lines); chunks the device
 * owns and writes are marked; an access to chunks the CPU owns is
 * reported (if @report) unless another mapping of the device gives it
 * those bytes; and a device in the check mode gets its own view.
 */
static bool own_bus_access(struct dma_debug *d, const struct sim_bus_access *a,
			   bool report)
{
	struct device *dev = a->txn->dev;
	bool write = a->txn->write, found_lo = false, dev_ok = false;
	u64 lo = a->addr, hi = a->addr + a->len;
	struct dma_debug_entry bad = { 0 };
	struct debug_shard *s = shard_of(d, dev);
	u64 bad_bytes = 0;
	bool stale = false;		/* bad: the CPU wrote, not owns */
	struct cands cs;

	if (write)
		dw_mark(d, a->phys, a->len, false);
	if (!a->len)
		return false;
	/* bucket by bucket back from the last byte's, as the kernel's hash */
	pthread_mutex_lock(&s->lock);
	cands_collect(d, s, dev, 0, hi - 1, lo + 1, (hi - 1) >> HASH_FN_SHIFT,
		      false, &cs);
	for (size_t i = 0, j; i < cs.n; i = j) {
		j = cands_group_end(&cs, i);
		for (size_t k = i; k < j; k++) {
			struct dma_debug_entry *e = cs.v[k].e;
			u64 olo, ohi, cpu_bytes = 0, stale_bytes = 0;
			u32 c0, c1;

			if (e->dev != dev || e->dev_addr >= hi ||
			    e->dev_addr + e->size <= lo)
				continue;
			if (e->dev_addr <= lo)
				found_lo = true;
			if (!e->own || (write ? e->direction == DMA_TO_DEVICE :
					e->direction == DMA_FROM_DEVICE))
				continue;
			if (e->own->view && a->own_view)
				*a->own_view = true;
			olo = max(lo, e->dev_addr) - e->dev_addr;
			ohi = min(hi, e->dev_addr + e->size) - e->dev_addr;
			if (!own_chunks(e, olo, ohi - olo, &c0, &c1))
				continue;
			for (u32 c = c0; c <= c1; c++) {
				u8 st = e->own->st[c] & OWN_STATE;
				u64 clo, chi;

				if (st == OWN_DEV && write)
					e->own->st[c] |= OWN_WROTE;
				own_chunk(e, c, &clo, &chi);
				if (st == OWN_DEV && !write && e->own->hashed &&
				    own_cpu_wrote(d, e, own_cpu_view(d, e),
						  c)) {
					/* reported once, until the next sync */
					e->own->st[c] &= (u8)~OWN_SNAP;
					stale_bytes += min(chi, ohi) -
						       max(clo, olo);
				}
				if (st != OWN_CPU)
					continue;
				cpu_bytes += min(chi, ohi) - max(clo, olo);
			}
			if (!cpu_bytes && !stale_bytes)
				dev_ok = true;
			else if (!bad_bytes) {
				bad = *e;
				bad.own = NULL;
				bad_bytes = cpu_bytes ? cpu_bytes : stale_bytes;
				stale = !cpu_bytes;
			}
		}
		if (found_lo && (dev_ok || !bad_bytes))
			break;
	}
	cands_free(&cs);
	pthread_mutex_unlock(&s->lock);
	if (!report || !bad_bytes || dev_ok)
		return false;
	if (stale) {
		err_printk(dev, &bad,
			   "device read of DMA memory the CPU wrote after giving it to the device [device address=0x%016llx] [size=%llu bytes] [mapped as %s %s] (the device may see stale data): missing %s() after the CPU write",
			   (unsigned long long)max(lo, bad.dev_addr),
			   (unsigned long long)bad_bytes, type2name[bad.type],
			   dir_name(bad.direction), own_sync_name(&bad, false));
		return true;
	}
	err_printk(dev, &bad,
		   "device %s of DMA memory while the CPU owns it [device address=0x%016llx] [size=%llu bytes] [mapped as %s %s] (the CPU took it with %s()): missing %s()",
		   write ? "write" : "read", (unsigned long long)max(lo, bad.dev_addr),
		   (unsigned long long)bad_bytes, type2name[bad.type],
		   dir_name(bad.direction), own_sync_name(&bad, true),
		   own_sync_name(&bad, false));
	return true;
}

/**
 * sim_dma_check_set - the DMA check mode for @dev (see the section above)
 * @on: true: the device works on its own view of memory, and the check
 *	mode's reports are on; false: back to the device's own coherence
 *
 * Mappings keep the mode they were made in. Call while the device does no
 * DMA. Returns 0, -EINVAL (no device, or not one of a machine), -ENOMEM
 * (the memory views could not be made).
 */
int sim_dma_check_set(struct device *dev, bool on)
{
	int ret;

	if (!dev || !dev->sim || !dev->sim->kernel || !dev->sim_dma_stats)
		return -EINVAL;
	if (on) {
		ret = sim_ram_views_enable(dev->sim);
		if (ret)
			return ret;
	}
	__atomic_store_n(&dev->sim_dma_stats->dma_check, on, __ATOMIC_RELAXED);
	return 0;
}

bool sim_dma_check_enabled(struct device *dev)
{
	return dev && own_dev_check_mode(dev);
}

/*
 * For tests: tree nodes dma-debug's lookups have looked at so far, and
 * the height of @dev's shard tree (entries) and the longest chain of the
 * cache-line table.
 */
unsigned long dma_debug_tree_visits(struct sim_machine *m)
{
	struct dma_debug *d = m->kernel->debug;

	return d ? atomic_load(&d->visits) : 0;
}

void dma_debug_tree_heights(struct sim_machine *m, struct device *dev,
			    int *entries, int *clns)
{
	struct dma_debug *d = m->kernel->debug;
	struct debug_shard *s;

	*entries = *clns = 0;
	if (!d)
		return;
	s = shard_of(d, dev);
	pthread_mutex_lock(&s->lock);
	*entries = dtree_height(&s->tree);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&d->cln_lock);
	*clns = (int)dhash_longest(&d->cln);
	pthread_mutex_unlock(&d->cln_lock);
}

/*
 * For tests: the RAM pages hashed mappings cover, and (*@records) the
 * pages with a device-write record.
 */
unsigned long dma_debug_dw_pages(struct sim_machine *m, unsigned long *records)
{
	struct dma_debug *d = m->kernel->debug;
	unsigned long n = 0;

	*records = 0;
	if (!d || !d->own)
		return 0;
	for (unsigned int i = 0; i < DW_SHARDS; i++) {
		pthread_mutex_lock(&d->own->dw[i].lock);
		*records += d->own->dw[i].pages.count;
		pthread_mutex_unlock(&d->own->dw[i].lock);
	}
	for (unsigned int i = 0; i < SIM_MAX_RAM_REGIONS; i++)
		for (size_t k = 0; d->own->covers[i] &&
		     k < d->own->covers_bytes[i] / sizeof(u32); k++)
			if (atomic_load(&d->own->covers[i][k]) & DW_COUNT)
				n++;
	return n;
}
