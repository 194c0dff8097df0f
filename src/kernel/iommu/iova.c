// SPDX-License-Identifier: MIT
/*
 * IOVA space allocator: drivers/iommu/iova.c semantics on the structure of
 * FreeBSD's iommu_gas.c.
 *
 * The tree. Every allocated or reserved range is a node of an AVL tree
 * ordered by its first frame. Two sentinel nodes, embedded in the domain,
 * bound the space: "head" covers [0, start_pfn - 1] (frame 0 is never
 * handed out) and "tail" covers the single frame ULONG_MAX. Every free frame
 * therefore lies between two in-order neighbours of the tree, and every
 * free run ("gap") is internal to the root's subtree.
 *
 * The augmentation. Each node caches, for its subtree, the lowest first
 * frame (first), the highest occupied frame (last) and the length of the
 * largest gap between two in-order neighbours that both lie in the subtree
 * (max_gap), leaving out the two edge runs: the one below the tail and the
 * one above the head, which alloc_iova() tries directly. They depend on
 * the children only, so they are recomputed bottom-up by
 * iova_node_update() on both nodes of a rotation and on the path from an
 * insertion or a deletion upwards, as far as something changes: the
 * common top-down allocation at an edge run stops after a node or two,
 * so the tree's size shows only in the cheap descents.
 *
 * Guard gaps. An allocation occupies guard_pfns frames above its last
 * frame ("end" = pfn_hi + guard_pfns); gaps are measured between ends and
 * first frames, so no other range can be placed in the guard.
 *
 * The search. iova_find_down() visits the gaps of a subtree from the
 * highest down: the right subtree's, the gap between the node and its
 * right subtree, the gap between its left subtree and the node, then the
 * left subtree's. A subtree is skipped unless its max_gap can hold the
 * request (size plus guard) and its first frame is below the limit, so
 * the walk follows one root-to-leaf path to the limit and then descends
 * only into subtrees that hold a large-enough gap. A large-enough gap may
 * still fail to fit the aligned block under the limit; the walk then just
 * goes on with the next lower gap, so the answer is exactly the highest
 * fit, as Linux's top-down walk gives. Cost: O(log n) per gap examined,
 * where gaps examined are the one that fits plus those that were long
 * enough but failed alignment/limit - never a scan of the ranges.
 *
 * The caches. As in Linux, a range freed through free_iova_fast() stays
 * in the tree and its first frame goes into a magazine of its size class
 * in the freeing thread's cache; alloc_iova_fast() pops from there first
 * (the newest range that ends at or below the limit). A size class is a
 * log2 size: sizes below 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1) are rounded up
 * to a power of two, so the classes are 0..IOVA_RANGE_CACHE_MAX_SIZE - 1
 * (1 to 32 frames), as order_base_2(size) < IOVA_RANGE_CACHE_MAX_SIZE in
 * Linux. Each thread's cache has a "loaded" and a "prev" magazine per
 * class, allocated with the cache on the thread's first free; each class
 * has a depot of at most depot_max full magazines under its own mutex. On
 * free: loaded if not full, else swap with prev if that is not full, else
 * a new magazine becomes loaded and the full one goes to the depot. On
 * alloc: loaded if not empty, else swap with prev if that is not, else the
 * empty loaded is freed and a full one is taken from the depot. Ranges go
 * back to the tree when the depot is full (the whole magazine), when no
 * magazine can be allocated (that range), and on iova_cache_flush()
 * (everything, every thread's cache included).
 *
 * Threads. The kernel's caches are per CPU, reached with preemption off
 * and an uncontended per-CPU spinlock. Here they are per thread (indexed
 * by sim_thread_id(), see machine/thread.c) and the owner takes no lock at
 * all: it raises its cache's busy flag with a plain store and a compiler
 * barrier and checks the steal flag. A flusher (iova_cache_flush(),
 * iova_domain_check()) takes the domain's freeze_lock, raises every
 * cache's steal flag, runs the visitor fence (membarrier) once and waits
 * for each busy flag to drop; an owner that finds steal raised withdraws
 * and waits on freeze_lock before trying again. So a cache hit is a few
 * loads and stores with no locked instruction, and flushing still reaches
 * every thread's cache, as Linux's flush reaches every CPU's.
 *
 * Locking. Lock order is freeze_lock -> depot -> tree. An owner inside
 * the fast path (busy) may wait for a depot lock (and malloc), never for
 * freeze_lock; flushers wait for owners only while holding freeze_lock,
 * before taking any depot or tree lock. Nothing counts the cached ranges on the fast path: the counts
 * (tests, statistics) freeze everything and walk the magazines.
 *
 * Debugging. With IOVA_DEBUG defined at compile time, or after
 * iova_domain_set_debug(iovad, true), every mutating tree operation ends
 * with a check of the whole tree (order, balance, augmentation, counts)
 * that reports to stderr, and free_iova_fast() verifies that the range it
 * is handed is an allocation of that size.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <dmastack/linux/list.h>
#include "iova.h"

/*
 * As Linux: sizes below IOVA_CACHE_LIMIT are rounded up to a power of two,
 * and power-of-two sizes up to and including it are cached, one class per
 * log2 size, 0..IOVA_RANGE_CACHE_MAX_SIZE - 1 (order_base_2(size) <
 * IOVA_RANGE_CACHE_MAX_SIZE in iova_rcache_insert()).
 */
#define IOVA_NR_CLASSES		IOVA_RANGE_CACHE_MAX_SIZE
#define IOVA_CACHE_LIMIT	(1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1))
#define IOVA_LONG_BITS		((int)(sizeof(unsigned long) * CHAR_BIT))
/* Largest request considered: keeps size + guard and the alignment sane. */
#define IOVA_MAX_SIZE		(1UL << (IOVA_LONG_BITS - 2))
#define IOVA_CHECK_REPORT_MAX	8
#define IOVA_CHECK_DEPTH_MAX	160
/* The node pool's chunks: one page each, aligned, so a node finds its own. */
#define IOVA_CHUNK_BYTES	4096UL

enum iova_kind {
	IOVA_KIND_ALLOC,
	IOVA_KIND_RESERVED,
	IOVA_KIND_SENTINEL,
	IOVA_KIND_FREE,		/* on the node pool's free list */
};

struct iova_node {
	struct iova_node *left, *right, *parent;
	unsigned long pfn_lo, pfn_hi;	/* the range, inclusive */
	unsigned long end;		/* last occupied frame: pfn_hi + guard */
	/* augmentation, over the subtree rooted here */
	unsigned long first;		/* lowest pfn_lo */
	unsigned long last;		/* highest end */
	unsigned long max_gap;		/* largest free run between its nodes */
	int height;			/* AVL height, leaf = 1 */
	u8 kind;			/* enum iova_kind; IOVA_KIND_FREE in the pool */
	bool mark;			/* iova_domain_check() scratch */
};

/*
 * Tree nodes come from the domain's own pool, a small slab: page-sized,
 * page-aligned chunks allocated through the machine (so fail-Nth reaches
 * them and the leak checks count them), each with its own free list, all
 * under tree_lock. A node's chunk is its address rounded down to the page.
 * An alloc/free pair through the tree then costs no allocator call and no
 * locked instruction beyond the tree lock. A chunk whose nodes are all
 * free is given back unless the other chunks hold less than half a chunk
 * of free nodes (so one node coming and going at a chunk's edge does not
 * allocate and free a page each time), and a domain keeps at most the
 * chunks its live nodes need plus about one: after a burst of allocations
 * the machine's memory goes back to where it was.
 */
struct iova_node_chunk {
	struct list_head all;		/* iova_domain.chunks */
	struct list_head partial;	/* iova_domain.partial, if nr_free */
	struct iova_node *free;		/* linked through ->parent */
	unsigned int nr_free;
	unsigned int nr;
	struct iova_node nodes[];
};

#define IOVA_CHUNK_NODES						\
	((IOVA_CHUNK_BYTES - sizeof(struct iova_node_chunk)) /		\
	 sizeof(struct iova_node))


struct iova_magazine {
	unsigned long size;
	unsigned long pfns[IOVA_MAG_SIZE];
};

/*
 * One thread's cache (see "Threads" above). Only the owner thread touches
 * it on the fast path, with no locked instruction; a flusher freezes it
 * with freeze_lock and the @steal/@busy handshake.
 */
struct iova_thread_rcache {
	_Atomic bool busy;		/* owner inside the fast path */
	_Atomic bool steal;		/* a flusher holds freeze_lock, wants in */
	struct iova_magazine *loaded[IOVA_NR_CLASSES];
	struct iova_magazine *prev[IOVA_NR_CLASSES];
};

struct iova_depot {
	pthread_mutex_t lock;
	unsigned int nr;
	struct iova_magazine *mags[IOVA_DEPOT_MAX];
};

struct iova_domain {
	struct sim_machine *m;
	unsigned long granule;
	unsigned long start_pfn;
	unsigned long guard_pfns;
	unsigned int shift;
	unsigned int mag_size;		/* capacity used, <= IOVA_MAG_SIZE */
	unsigned int depot_max;		/* depth used, <= IOVA_DEPOT_MAX */
	_Atomic bool debug;

	/* the tree: iova_rbtree_lock, a short spinlock (nothing sleeps under it) */
	sim_spinlock_t tree_lock;
	struct iova_node *root;
	struct iova_node head, tail;	/* sentinels */
	unsigned long nr_allocs;	/* IOVA_KIND_ALLOC nodes, cached too */
	/*
	 * Frames of those nodes, and the most there ever were: counted where
	 * nr_allocs is, under tree_lock, so a cache hit (the hot path) costs
	 * nothing and the numbers are exact.
	 */
	unsigned long nr_frames, peak_frames;
	unsigned long nr_reserved;	/* IOVA_KIND_RESERVED nodes */
	/* the node pool (tree_lock) */
	struct list_head chunks;	/* every chunk */
	struct list_head partial;	/* chunks with free nodes, fullest first */
	unsigned long nr_chunks;
	unsigned long nr_free;		/* free nodes, all chunks */

	struct iova_depot depot[IOVA_NR_CLASSES];
	pthread_mutex_t freeze_lock;	/* a flusher; publishing a cache */
	/* by sim_thread_id(); created by their thread on its first free */
	struct iova_thread_rcache *_Atomic threads[SIM_MAX_THREADS];
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

static inline int iova_fls_long(unsigned long x)
{
	return x ? IOVA_LONG_BITS - __builtin_clzl(x) : 0;
}

static inline unsigned long iova_roundup_pow_of_two(unsigned long x)
{
	return 1UL << iova_fls_long(x - 1);
}

static inline bool iova_debug(struct iova_domain *iovad)
{
	return atomic_load_explicit(&iovad->debug, memory_order_relaxed);
}

static inline unsigned long iova_node_size(const struct iova_node *n)
{
	return n->pfn_hi - n->pfn_lo + 1;
}

/* ------------------------------------------------------------------------ */
/* AVL tree with gap augmentation (tree_lock held throughout)               */
/* ------------------------------------------------------------------------ */

static inline int iova_height(const struct iova_node *n)
{
	return n ? n->height : 0;
}

/*
 * Recompute @n's augmentation from its children's; true if it changed.
 * Of a child it reads only the augmentation - and, for the head sentinel
 * alone, its range and right link, which change only with the head's
 * last - so a parent needs recomputing only when a child's augmentation
 * changed.
 */
static inline bool iova_aug_update(struct iova_node *n)
{
	struct iova_node *l = n->left, *r = n->right;
	unsigned long gap = 0, first = n->pfn_lo, last = n->end, g;
	bool changed;

	/*
	 * The two edge runs are not counted: the one that ends at the tail
	 * sentinel (above every range) and the one that starts after the
	 * head (below every range; only the head has pfn_lo 0, and it has
	 * no left child, so "l is the head, alone" is l->pfn_lo == 0 with no
	 * right child). alloc tries them directly, first and last, so the
	 * search prunes the spines instead of walking them, and the common
	 * top-down allocation next to an edge changes no node's max_gap: the
	 * fix-up after it stops early instead of climbing to the root.
	 */
	if (l) {
		first = l->first;
		gap = l->max_gap;
		g = n->pfn_lo - l->last - 1;
		if (g > gap && n->pfn_lo != ULONG_MAX &&
		    !(l->pfn_lo == 0 && !l->right))
			gap = g;
	}
	if (r) {
		last = r->last;
		if (r->max_gap > gap)
			gap = r->max_gap;
		g = r->first - n->end - 1;
		if (g > gap && r->first != ULONG_MAX && n->pfn_lo != 0)
			gap = g;
	}
	changed = n->first != first || n->last != last || n->max_gap != gap;
	n->first = first;
	n->last = last;
	n->max_gap = gap;
	return changed;
}

/* Recompute @n's augmentation and height from its children's. */
static inline void iova_node_update(struct iova_node *n)
{
	int hl = iova_height(n->left), hr = iova_height(n->right);

	iova_aug_update(n);
	n->height = 1 + (hl > hr ? hl : hr);
}

static void iova_replace_child(struct iova_domain *iovad,
			       struct iova_node *parent, struct iova_node *old,
			       struct iova_node *new)
{
	if (!parent)
		iovad->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

static struct iova_node *iova_rotate_left(struct iova_domain *iovad,
					  struct iova_node *x)
{
	struct iova_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	iova_replace_child(iovad, x->parent, x, y);
	y->left = x;
	x->parent = y;
	iova_node_update(x);
	iova_node_update(y);
	return y;
}

static struct iova_node *iova_rotate_right(struct iova_domain *iovad,
					   struct iova_node *x)
{
	struct iova_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	iova_replace_child(iovad, x->parent, x, y);
	y->right = x;
	x->parent = y;
	iova_node_update(x);
	iova_node_update(y);
	return y;
}

/*
 * @x's left child's right child z goes up to @x's place, with @x's left
 * child on its left and @x on its right: the left-right double rotation
 * (rotate left at the child, then right at @x), each of the three nodes
 * recomputed once.
 */
static struct iova_node *iova_rotate_left_right(struct iova_domain *iovad,
						struct iova_node *x)
{
	struct iova_node *y = x->left, *z = y->right;

	y->right = z->left;
	if (z->left)
		z->left->parent = y;
	x->left = z->right;
	if (z->right)
		z->right->parent = x;
	iova_replace_child(iovad, x->parent, x, z);
	z->left = y;
	z->right = x;
	y->parent = z;
	x->parent = z;
	iova_node_update(y);
	iova_node_update(x);
	iova_node_update(z);
	return z;
}

/* The mirror image: @x's right child's left child goes up. */
static struct iova_node *iova_rotate_right_left(struct iova_domain *iovad,
						struct iova_node *x)
{
	struct iova_node *y = x->right, *z = y->left;

	y->left = z->right;
	if (z->right)
		z->right->parent = y;
	x->right = z->left;
	if (z->left)
		z->left->parent = x;
	iova_replace_child(iovad, x->parent, x, z);
	z->right = y;
	z->left = x;
	y->parent = z;
	x->parent = z;
	iova_node_update(y);
	iova_node_update(x);
	iova_node_update(z);
	return z;
}

/*
 * Rebalance and re-augment from @n up; @aug: @n's augmentation may be
 * stale (a child's changed, or its own range did). A node's parent reads
 * only the node's height and augmentation, so each step recomputes the
 * height (a compare), the augmentation only while the step below changed
 * it, and the walk stops at the first node whose height and augmentation
 * both come out as its parent last saw them. A rotation keeps the
 * subtree's set of ranges, so it changes the augmentation its parent sees
 * only when that was stale already; it recomputes the nodes it moves and
 * is compared like any step. This needs each node on the way to hold what
 * its parent last saw, which iova_erase() arranges for the node it moves.
 */
static void iova_fixup(struct iova_domain *iovad, struct iova_node *n,
		       bool aug)
{
	while (n) {
		struct iova_node *parent = n->parent, *top;
		int hl = iova_height(n->left), hr = iova_height(n->right);
		int height = n->height, h;

		if (likely(hl - hr <= 1 && hr - hl <= 1)) {
			h = 1 + (hl > hr ? hl : hr);
			if (aug) {
				/*
				 * Grown two above its sibling: the parent
				 * rotates, recomputing this node on the way.
				 */
				if (parent && h - iova_height(parent->left == n ?
							      parent->right :
							      parent->left) > 1) {
					n->height = h;
					n = parent;
					continue;
				}
				aug = iova_aug_update(n);
			}
			if (h == height && !aug)
				return;
			n->height = h;
		} else {
			unsigned long first = n->first, last = n->last;
			unsigned long max_gap = n->max_gap;

			if (hl > hr)
				top = iova_height(n->left->left) <
				      iova_height(n->left->right) ?
				      iova_rotate_left_right(iovad, n) :
				      iova_rotate_right(iovad, n);
			else
				top = iova_height(n->right->right) <
				      iova_height(n->right->left) ?
				      iova_rotate_right_left(iovad, n) :
				      iova_rotate_left(iovad, n);
			aug = top->first != first || top->last != last ||
			      top->max_gap != max_gap;
			if (top->height == height && !aug)
				return;
		}
		n = parent;
	}
}

/* A new leaf under @parent: its augmentation is its own range. */
static inline void iova_leaf_init(struct iova_node *new,
				  struct iova_node *parent)
{
	new->left = new->right = NULL;
	new->parent = parent;
	new->first = new->pfn_lo;
	new->last = new->end;
	new->max_gap = 0;
	new->height = 1;
}

/*
 * Link @new right after @pred in order, found by the search: as its right
 * child, or as the left child of its successor (which then has none).
 * Saves the descent from the root.
 */
static void iova_insert_after(struct iova_domain *iovad,
			      struct iova_node *pred, struct iova_node *new)
{
	struct iova_node *parent = pred;

	if (!pred->right) {
		pred->right = new;
	} else {
		for (parent = pred->right; parent->left; parent = parent->left)
			;
		parent->left = new;
	}
	iova_leaf_init(new, parent);
	iova_fixup(iovad, parent, true);
}

static void iova_insert(struct iova_domain *iovad, struct iova_node *new)
{
	struct iova_node **link = &iovad->root, *parent = NULL;

	while (*link) {
		parent = *link;
		link = new->pfn_lo < parent->pfn_lo ? &parent->left :
						      &parent->right;
	}
	iova_leaf_init(new, parent);
	*link = new;
	iova_fixup(iovad, parent, true);
}

static void iova_erase(struct iova_domain *iovad, struct iova_node *z)
{
	struct iova_node *fix;

	if (!z->left || !z->right) {
		fix = z->parent;
		iova_replace_child(iovad, z->parent, z,
				   z->left ? z->left : z->right);
	} else {
		struct iova_node *y = z->right;

		while (y->left)
			y = y->left;
		if (y->parent == z) {
			fix = y;
		} else {
			fix = y->parent;
			fix->left = y->right;
			if (y->right)
				y->right->parent = fix;
			y->right = z->right;
			z->right->parent = y;
		}
		y->left = z->left;
		z->left->parent = y;
		iova_replace_child(iovad, z->parent, z, y);
		/*
		 * z's parent saw z's values: the fix-up compares y with them.
		 * It does reach y: y was the lowest of z's right subtree, so
		 * the first frame of each subtree on the way up changed.
		 */
		y->first = z->first;
		y->last = z->last;
		y->max_gap = z->max_gap;
		y->height = z->height;
	}
	z->left = z->right = z->parent = NULL;
	iova_fixup(iovad, fix, true);
}

/* The node with the greatest pfn_lo <= @pfn (never NULL: head is at 0). */
static struct iova_node *iova_floor(struct iova_domain *iovad,
				    unsigned long pfn)
{
	struct iova_node *n = iovad->root, *best = NULL;

	while (n) {
		if (n->pfn_lo <= pfn) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

static struct iova_node *iova_prev(struct iova_node *n)
{
	struct iova_node *p;

	if (n->left) {
		for (n = n->left; n->right; n = n->right)
			;
		return n;
	}
	for (p = n->parent; p && n == p->left; p = p->parent)
		n = p;
	return p;
}

/* ---------------------------------------------------------- search --- */

struct iova_fit {
	unsigned long size;		/* frames of the range */
	unsigned long guard;		/* free frames it needs above it */
	unsigned long need;		/* size + guard: the gap it takes */
	unsigned long align_mask;
	unsigned long limit;		/* the range ends at or below it */
};

static bool iova_fit_init(struct iova_domain *iovad, struct iova_fit *f,
			  unsigned long size, unsigned long limit_pfn,
			  bool size_aligned)
{
	if (!size || size > IOVA_MAX_SIZE || size > limit_pfn)
		return false;
	f->size = size;
	f->guard = iovad->guard_pfns;
	f->need = size + iovad->guard_pfns;
	/* as Linux: aligned to the power of two that holds the size */
	f->align_mask = size_aligned ? ~(iova_roundup_pow_of_two(size) - 1) :
				       ~0UL;
	f->limit = limit_pfn;
	return true;
}

/*
 * The highest aligned start of a range that fits, with its guard, in the
 * free run [@a, @b] (empty when b < a) and ends at or below the limit; 0 if
 * none (a >= 1 always: the head sentinel occupies frame 0).
 */
static unsigned long iova_gap_fit(const struct iova_fit *f, unsigned long a,
				  unsigned long b)
{
	unsigned long top, lo;

	if (b < a || b - a + 1 < f->need)
		return 0;
	top = b - f->guard;
	if (top > f->limit)
		top = f->limit;
	if (top < a || top - a + 1 < f->size)
		return 0;
	lo = (top - f->size + 1) & f->align_mask;
	return lo >= a ? lo : 0;
}

/* The tail sentinel's in-order predecessor: the highest range. */
static struct iova_node *iova_top_node(struct iova_domain *iovad)
{
	struct iova_node *n = &iovad->tail;

	if (n->left) {
		for (n = n->left; n->right; n = n->right)
			;
		return n;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;	/* never NULL: the head is lower */
}

/* The lowest pfn_lo above the head sentinel: its in-order successor. */
static unsigned long iova_bottom_first(const struct iova_domain *iovad)
{
	const struct iova_node *n = &iovad->head;

	if (n->right) {
		for (n = n->right; n->left; n = n->left)
			;
		return n->pfn_lo;
	}
	/* the head is the leftmost node: its parent is its successor */
	return n->parent->pfn_lo;
}

/*
 * Highest fit among the gaps counted in @n's subtree, or 0; *@pred is set
 * to the range just below the fit.
 */
static unsigned long iova_find_down(struct iova_node *n,
				    const struct iova_fit *f,
				    struct iova_node **pred)
{
	unsigned long pfn;

	while (n && n->max_gap >= f->need && n->first < f->limit) {
		if (n->right) {
			pfn = iova_find_down(n->right, f, pred);
			if (pfn)
				return pfn;
			pfn = iova_gap_fit(f, n->end + 1, n->right->first - 1);
			if (pfn) {
				*pred = n;
				return pfn;
			}
		}
		if (!n->left)
			return 0;
		pfn = iova_gap_fit(f, n->left->last + 1, n->pfn_lo - 1);
		if (pfn) {
			struct iova_node *p;

			for (p = n->left; p->right; p = p->right)
				;
			*pred = p;
			return pfn;
		}
		n = n->left;
	}
	return 0;
}

/* ----------------------------------------------------------- check --- */

struct iova_check {
	const char *who;
	const struct iova_node *prev;
	unsigned long nodes;
	unsigned long allocs;
	unsigned long reserved;
	unsigned int errors;
};

static void __attribute__((format(printf, 3, 4)))
iova_check_report(struct iova_check *c, const struct iova_node *n,
		  const char *fmt, ...)
{
	va_list ap;

	if (c->errors++ >= IOVA_CHECK_REPORT_MAX)
		return;
	if (n)
		fprintf(stderr, "iova: check (%s): node [%#lx-%#lx]: ", c->who,
			n->pfn_lo, n->pfn_hi);
	else
		fprintf(stderr, "iova: check (%s): ", c->who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Returns the real height of @n's subtree; reports what does not hold. */
static int iova_check_subtree(struct iova_domain *iovad, struct iova_check *c,
			      const struct iova_node *n,
			      const struct iova_node *parent, int depth)
{
	const struct iova_node *l, *r;
	unsigned long first, last, gap = 0, end;
	int hl, hr, h;

	if (!n)
		return 0;
	if (depth > IOVA_CHECK_DEPTH_MAX) {
		iova_check_report(c, n, "tree deeper than %d (cycle?)", depth);
		return 0;
	}
	l = n->left;
	r = n->right;
	if (n->parent != parent)
		iova_check_report(c, n, "parent pointer is wrong");
	hl = iova_check_subtree(iovad, c, l, n, depth + 1);

	/* in order: the node itself */
	c->nodes++;
	if (n->kind == IOVA_KIND_ALLOC)
		c->allocs++;
	else if (n->kind == IOVA_KIND_RESERVED)
		c->reserved++;
	if (n->pfn_lo > n->pfn_hi)
		iova_check_report(c, n, "empty range");
	end = n->pfn_hi + (n->kind == IOVA_KIND_ALLOC ? iovad->guard_pfns : 0);
	if (n->end != end)
		iova_check_report(c, n, "end %#lx, expected %#lx", n->end, end);
	if (c->prev && c->prev->end >= n->pfn_lo)
		iova_check_report(c, n, "overlaps [%#lx-%#lx] (ends at %#lx)",
				  c->prev->pfn_lo, c->prev->pfn_hi,
				  c->prev->end);
	if (!c->prev && n != &iovad->head)
		iova_check_report(c, n, "lowest node is not the head sentinel");
	if (n->kind == IOVA_KIND_SENTINEL && n != &iovad->head &&
	    n != &iovad->tail)
		iova_check_report(c, n, "stray sentinel");
	c->prev = n;

	hr = iova_check_subtree(iovad, c, r, n, depth + 1);

	if (hl - hr > 1 || hr - hl > 1)
		iova_check_report(c, n, "unbalanced: left height %d, right %d",
				  hl, hr);
	h = 1 + (hl > hr ? hl : hr);
	if (n->height != h)
		iova_check_report(c, n, "stored height %d, real %d",
				  n->height, h);

	/* children were checked against their own recomputation */
	first = l ? l->first : n->pfn_lo;
	last = r ? r->last : n->end;
	/*
	 * (the runs ending at the tail and starting after the head are not
	 * part of max_gap: l's last is the head's end only when l holds the
	 * head alone)
	 */
	if (l && l->last < n->pfn_lo && n != &iovad->tail &&
	    l->last != iovad->head.end && n->pfn_lo - l->last - 1 > gap)
		gap = n->pfn_lo - l->last - 1;
	if (l && l->max_gap > gap)
		gap = l->max_gap;
	if (r && r->first > n->end && r->first != ULONG_MAX &&
	    n != &iovad->head && r->first - n->end - 1 > gap)
		gap = r->first - n->end - 1;
	if (r && r->max_gap > gap)
		gap = r->max_gap;
	if (n->first != first)
		iova_check_report(c, n, "stored first %#lx, real %#lx",
				  n->first, first);
	if (n->last != last)
		iova_check_report(c, n, "stored last %#lx, real %#lx",
				  n->last, last);
	if (n->max_gap != gap)
		iova_check_report(c, n, "stored max gap %#lx, real %#lx",
				  n->max_gap, gap);
	return h;
}

/* The tree alone; tree_lock held. Returns the number of problems. */
static unsigned int iova_tree_check(struct iova_domain *iovad,
				    const char *who)
{
	struct iova_check c = { .who = who };

	iova_check_subtree(iovad, &c, iovad->root, NULL, 0);
	if (c.prev != &iovad->tail)
		iova_check_report(&c, NULL, "highest node is not the tail sentinel");
	if (c.allocs != iovad->nr_allocs)
		iova_check_report(&c, NULL, "%lu allocations in the tree, %lu counted",
				  c.allocs, iovad->nr_allocs);
	if (c.reserved != iovad->nr_reserved)
		iova_check_report(&c, NULL, "%lu reservations in the tree, %lu counted",
				  c.reserved, iovad->nr_reserved);
	if (c.errors > IOVA_CHECK_REPORT_MAX)
		fprintf(stderr, "iova: check (%s): %u more problems\n", who,
			c.errors - IOVA_CHECK_REPORT_MAX);
	return c.errors;
}

/*
 * End of a mutating tree operation; tree_lock held. What does not hold is
 * printed, and reported as a BUG on the machine so a test sees it.
 */
static inline void iova_debug_check(struct iova_domain *iovad,
				    const char *who)
{
	unsigned int errors;

	if (likely(!iova_debug(iovad)))
		return;
	errors = iova_tree_check(iovad, who);
	if (errors)
		SIM_BUG(iovad->m, NULL, "iova: tree check after %s: %u problems",
			who, errors);
}

/* ------------------------------------------------------------------------ */
/* The node pool (tree_lock held)                                           */
/* ------------------------------------------------------------------------ */

static inline struct iova_node_chunk *iova_chunk_of(struct iova_node *n)
{
	return (struct iova_node_chunk *)((uintptr_t)n &
					  ~(IOVA_CHUNK_BYTES - 1));
}

/*
 * The pool is empty: drops tree_lock to allocate a chunk through the
 * machine (fail-Nth reaches it), takes it again and adds the chunk: the
 * caller searches afterwards, so whatever happened meanwhile is seen.
 * False when out of memory (the lock is held either way).
 */
static noinline bool iova_pool_refill(struct iova_domain *iovad)
{
	struct iova_node_chunk *c;
	unsigned int i;

	while (list_empty(&iovad->partial)) {
		sim_spin_unlock(&iovad->tree_lock);
		c = sim_kzalloc_aligned(iovad->m, IOVA_CHUNK_BYTES,
					IOVA_CHUNK_BYTES);
		sim_spin_lock(&iovad->tree_lock);
		if (!c)
			return false;
		c->nr = c->nr_free = IOVA_CHUNK_NODES;
		for (i = c->nr; i-- > 0;) {
			c->nodes[i].kind = IOVA_KIND_FREE;
			c->nodes[i].parent = c->free;
			c->free = &c->nodes[i];
		}
		list_add(&c->all, &iovad->chunks);
		list_add_tail(&c->partial, &iovad->partial);
		iovad->nr_chunks++;
		iovad->nr_free += c->nr;
	}
	return true;
}

/*
 * A free node at hand; false when out of memory. As each node was an
 * allocation in Linux (and before the pool here), a fail-Nth injection
 * that is armed counts each node handed out as an allocation that may
 * fail; when none is armed this is a load and a branch.
 */
static inline bool iova_pool_ready(struct iova_domain *iovad)
{
	if (unlikely(sim_fail_armed(iovad->m)) &&
	    sim_should_fail_alloc(iovad->m))
		return false;
	return likely(!list_empty(&iovad->partial)) || iova_pool_refill(iovad);
}

/* A free node (iova_pool_ready() said there is one), from the fullest chunk. */
static inline struct iova_node *iova_node_get(struct iova_domain *iovad)
{
	struct iova_node_chunk *c = list_first_entry(&iovad->partial,
						     struct iova_node_chunk,
						     partial);
	struct iova_node *n = c->free;

	c->free = n->parent;
	if (!--c->nr_free)
		list_del(&c->partial);
	iovad->nr_free--;
	n->mark = false;
	return n;
}

/*
 * Back to its chunk, out of the tree already. Returns the chunk if it is
 * now all free and should go back to the machine: unlinked from the pool,
 * for the caller to sim_kfree() once it has dropped tree_lock (chain
 * several through ->all.next with iova_chunk_defer()).
 */
static inline struct iova_node_chunk *iova_node_put(struct iova_domain *iovad,
						    struct iova_node *n)
{
	struct iova_node_chunk *c = iova_chunk_of(n);

	n->kind = IOVA_KIND_FREE;
	n->left = n->right = NULL;
	n->parent = c->free;
	c->free = n;
	iovad->nr_free++;
	if (!c->nr_free++) {
		/* the last to fill up goes last: allocation drains the others */
		list_add_tail(&c->partial, &iovad->partial);
		return NULL;
	}
	if (likely(c->nr_free < c->nr) ||
	    iovad->nr_free - c->nr < IOVA_CHUNK_NODES / 2)
		return NULL;
	list_del(&c->partial);
	list_del(&c->all);
	iovad->nr_chunks--;
	iovad->nr_free -= c->nr;
	return c;
}

/* Chain a chunk iova_node_put() returned onto *@dead. */
static inline void iova_chunk_defer(struct iova_node_chunk **dead,
				    struct iova_node_chunk *c)
{
	if (c) {
		c->all.next = (struct list_head *)*dead;
		*dead = c;
	}
}

/* Free what iova_chunk_defer() chained, tree_lock dropped. */
static void iova_chunks_free(struct iova_domain *iovad,
			     struct iova_node_chunk *dead)
{
	struct iova_node_chunk *c;

	while ((c = dead)) {
		dead = (struct iova_node_chunk *)c->all.next;
		sim_kfree(iovad->m, c);
	}
}

/* ------------------------------------------------------------------------ */
/* The tree allocator                                                       */
/* ------------------------------------------------------------------------ */

static unsigned long iova_alloc_node(struct iova_domain *iovad,
				     unsigned long size,
				     unsigned long limit_pfn,
				     bool size_aligned, bool *nomem);

/**
 * alloc_iova - allocate @size frames from the tree, highest fit first
 * @iovad: the domain
 * @size: frames, used as given
 * @limit_pfn: the range ends at or below this frame
 * @size_aligned: align the start to the power of two holding @size
 *
 * Takes tree_lock for the search and the insertion; the node comes from
 * the domain's pool (a new chunk of them is allocated, with the lock
 * dropped, when it is empty). The range belongs to the caller until it
 * hands it back with free_iova() (or free_iova_fast() with the same size).
 * Returns the first frame, or 0 when nothing fits or memory is short.
 */
unsigned long alloc_iova(struct iova_domain *iovad, unsigned long size,
			 unsigned long limit_pfn, bool size_aligned)
{
	return iova_alloc_node(iovad, size, limit_pfn, size_aligned, NULL);
}

/* alloc_iova(), telling "out of memory" (*@nomem) from "no room". */
static unsigned long iova_alloc_node(struct iova_domain *iovad,
				     unsigned long size,
				     unsigned long limit_pfn,
				     bool size_aligned, bool *nomem)
{
	struct iova_node *new, *pred;
	struct iova_fit f;
	unsigned long pfn;

	if (!iova_fit_init(iovad, &f, size, limit_pfn, size_aligned))
		return 0;

	sim_spin_lock(&iovad->tree_lock);
	if (unlikely(!iova_pool_ready(iovad))) {
		sim_spin_unlock(&iovad->tree_lock);
		if (nomem)
			*nomem = true;
		return 0;
	}
	/*
	 * Highest first: the run above every range, the gaps between ranges,
	 * then the run below every range (the edge runs are outside max_gap).
	 */
	pred = iova_top_node(iovad);
	pfn = iova_gap_fit(&f, pred->end + 1, ULONG_MAX - 1);
	if (!pfn)
		pfn = iova_find_down(iovad->root, &f, &pred);
	if (!pfn) {
		pred = &iovad->head;
		pfn = iova_gap_fit(&f, pred->end + 1,
				   iova_bottom_first(iovad) - 1);
	}
	if (pfn) {
		new = iova_node_get(iovad);
		new->pfn_lo = pfn;
		new->pfn_hi = pfn + size - 1;
		new->end = new->pfn_hi + iovad->guard_pfns;
		new->kind = IOVA_KIND_ALLOC;
		iova_insert_after(iovad, pred, new);
		iovad->nr_allocs++;
		iovad->nr_frames += size;
		if (iovad->nr_frames > iovad->peak_frames)
			iovad->peak_frames = iovad->nr_frames;
		iova_debug_check(iovad, "alloc_iova");
	}
	sim_spin_unlock(&iovad->tree_lock);
	return pfn;
}

/**
 * free_iova - give the allocation containing @pfn back to the tree
 * @iovad: the domain
 * @pfn: any frame of the allocation
 *
 * Takes tree_lock; the node goes back to the pool. Reservations and
 * frames that are not allocated are refused. The range must not be sitting
 * in a cache (it was freed with free_iova_fast()): that is a double free.
 * Returns the allocation's size in frames, or 0.
 */
unsigned long free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova_node_chunk *dead = NULL;
	struct iova_node *n;
	unsigned long size = 0;

	sim_spin_lock(&iovad->tree_lock);
	n = iova_floor(iovad, pfn);
	if (n && pfn <= n->pfn_hi && n->kind == IOVA_KIND_ALLOC) {
		size = iova_node_size(n);
		iova_erase(iovad, n);
		iovad->nr_allocs--;
		iovad->nr_frames -= size;
		dead = iova_node_put(iovad, n);
		iova_debug_check(iovad, "free_iova");
	}
	sim_spin_unlock(&iovad->tree_lock);
	if (unlikely(dead))
		sim_kfree(iovad->m, dead);
	return size;
}

/*
 * Return the ranges starting at @pfns to the tree under one hold of
 * tree_lock (the caller holds at most a cache and a depot lock).
 */
static void iova_free_pfns(struct iova_domain *iovad,
			   const unsigned long *pfns, unsigned long nr)
{
	struct iova_node_chunk *dead = NULL;
	struct iova_node *n;
	unsigned long i;

	if (!nr)
		return;
	sim_spin_lock(&iovad->tree_lock);
	for (i = 0; i < nr; i++) {
		n = iova_floor(iovad, pfns[i]);
		if (!n || n->pfn_lo != pfns[i] || n->kind != IOVA_KIND_ALLOC) {
			fprintf(stderr,
				"iova: cached frame %#lx is not an allocation\n",
				pfns[i]);
			continue;
		}
		iova_erase(iovad, n);
		iovad->nr_allocs--;
		iovad->nr_frames -= iova_node_size(n);
		iova_chunk_defer(&dead, iova_node_put(iovad, n));
	}
	iova_debug_check(iovad, "cache to tree");
	sim_spin_unlock(&iovad->tree_lock);
	iova_chunks_free(iovad, dead);
}

/**
 * reserve_iova - take [@pfn_lo, @pfn_hi] out of the space for good
 * @iovad: the domain
 * @pfn_lo: first frame
 * @pfn_hi: last frame
 *
 * Frames below start_pfn are outside the space already and are ignored,
 * as is ULONG_MAX (the tail sentinel). Overlapping or adjacent reservations
 * merge into one node owned by the tree until iova_domain_destroy(). An
 * overlap with an allocation, its guard frames included, and with a range
 * parked in a cache (still an allocation of the tree), is -EBUSY. A free
 * node is made sure of before the range is looked at, so -ENOMEM (the
 * pool was empty and no chunk could be allocated) may come back even when
 * the reservation would have merged.
 */
int reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
		 unsigned long pfn_hi)
{
	struct iova_node *new, *n, *p, *keep = NULL;
	struct iova_node_chunk *dead = NULL;
	unsigned long lo, hi;
	int ret = 0;

	if (pfn_lo > pfn_hi)
		return -EINVAL;
	if (pfn_hi < iovad->start_pfn)
		return 0;
	lo = max(pfn_lo, iovad->start_pfn);
	hi = min(pfn_hi, ULONG_MAX - 1);
	if (lo > hi)
		return 0;

	sim_spin_lock(&iovad->tree_lock);
	if (!iova_pool_ready(iovad)) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	/*
	 * Nodes starting at or below hi + 1, walked downwards, have
	 * decreasing ends: those that end at or above lo - 1 touch the range.
	 */
	n = iova_floor(iovad, hi + 1);
	for (p = n; p && p->end >= lo - 1; p = iova_prev(p)) {
		if (p->kind == IOVA_KIND_ALLOC && p->pfn_lo <= hi &&
		    p->end >= lo) {
			ret = -EBUSY;
			goto out_unlock;
		}
	}
	for (p = n; p && p->end >= lo - 1; p = n) {
		n = iova_prev(p);
		if (p->kind != IOVA_KIND_RESERVED)
			continue;
		lo = min(lo, p->pfn_lo);
		hi = max(hi, p->pfn_hi);
		if (!keep) {
			keep = p;
			continue;
		}
		iova_erase(iovad, p);
		iovad->nr_reserved--;
		iova_chunk_defer(&dead, iova_node_put(iovad, p));
	}
	if (keep) {
		/* the merged neighbours are gone: grow it in place */
		keep->pfn_lo = lo;
		keep->pfn_hi = hi;
		keep->end = hi;
		iova_fixup(iovad, keep, true);
	} else {
		new = iova_node_get(iovad);
		new->pfn_lo = lo;
		new->pfn_hi = new->end = hi;
		new->kind = IOVA_KIND_RESERVED;
		iova_insert(iovad, new);
		iovad->nr_reserved++;
	}
	iova_debug_check(iovad, "reserve_iova");
out_unlock:
	sim_spin_unlock(&iovad->tree_lock);
	iova_chunks_free(iovad, dead);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Per-thread magazine caches and the depot                                 */
/* ------------------------------------------------------------------------ */

static struct iova_magazine *iova_magazine_alloc(struct sim_machine *m)
{
	/* whole cache lines: another thread's magazine never shares one */
	struct iova_magazine *mag =
		sim_kzalloc_aligned(m, ALIGN(sizeof(*mag), 64), 64);

	if (mag)
		mag->size = 0;
	return mag;
}

static inline bool iova_magazine_full(struct iova_domain *iovad,
				      const struct iova_magazine *mag)
{
	return mag->size >= iovad->mag_size;
}

/* A cached start at or below @max_pfn, newest first, or 0. */
static unsigned long iova_magazine_pop(struct iova_magazine *mag,
				       unsigned long max_pfn)
{
	unsigned long i, pfn;

	for (i = mag->size; i-- > 0;) {
		if (mag->pfns[i] > max_pfn)
			continue;
		pfn = mag->pfns[i];
		mag->pfns[i] = mag->pfns[--mag->size];
		return pfn;
	}
	return 0;
}

static inline struct iova_thread_rcache *iova_rc_at(struct iova_domain *iovad,
						    unsigned int id)
{
	return atomic_load_explicit(&iovad->threads[id], memory_order_acquire);
}

/* Size class of a power-of-two size up to IOVA_CACHE_LIMIT. */
static inline unsigned int iova_class(unsigned long size)
{
	return (unsigned int)__builtin_ctzl(size);
}

static void iova_rc_free(struct sim_machine *m, struct iova_thread_rcache *rc)
{
	for (unsigned int cls = 0; cls < IOVA_NR_CLASSES; cls++) {
		sim_kfree(m, rc->loaded[cls]);
		sim_kfree(m, rc->prev[cls]);
	}
	sim_kfree(m, rc);
}

/*
 * The calling thread's first free into @iovad: its cache with two empty
 * magazines per class, published for flushers under freeze_lock so a
 * freeze sees a fixed set. NULL when out of memory (the tree serves).
 */
static struct iova_thread_rcache *iova_rc_create(struct iova_domain *iovad,
						 unsigned int id)
{
	struct sim_machine *m = iovad->m;
	/* busy is written on every hit: keep it off other threads' lines */
	struct iova_thread_rcache *rc =
		sim_kzalloc_aligned(m, ALIGN(sizeof(*rc), 64), 64);
	unsigned int cls;

	if (!rc)
		return NULL;
	for (cls = 0; cls < IOVA_NR_CLASSES; cls++) {
		rc->loaded[cls] = iova_magazine_alloc(m);
		rc->prev[cls] = iova_magazine_alloc(m);
		if (!rc->loaded[cls] || !rc->prev[cls])
			goto err_free_rc;
	}
	pthread_mutex_lock(&iovad->freeze_lock);
	atomic_store_explicit(&iovad->threads[id], rc, memory_order_release);
	pthread_mutex_unlock(&iovad->freeze_lock);
	return rc;

err_free_rc:
	iova_rc_free(m, rc);
	return NULL;
}

static inline struct iova_thread_rcache *iova_rc_mine(struct iova_domain *iovad)
{
	int id = sim_thread_id(iovad->m);

	if (unlikely(id < 0))
		return NULL;
	/* written by this thread, or by the one it inherited the index from */
	return atomic_load_explicit(&iovad->threads[id], memory_order_relaxed);
}

/*
 * The owner's side of the handshake: announce with a plain store, then
 * look for a flusher. True if the owner may go on alone (call
 * iova_rc_exit(rc, false) when done); false, with the announcement
 * withdrawn, if a flusher is at work.
 */
static inline bool iova_rc_try_busy(struct iova_domain *iovad,
				    struct iova_thread_rcache *rc)
{
	atomic_store_explicit(&rc->busy, true, memory_order_relaxed);
	sim_fence_owner(iovad->m);
	if (likely(!atomic_load_explicit(&rc->steal, memory_order_acquire)))
		return true;
	atomic_store_explicit(&rc->busy, false, memory_order_release);
	return false;
}

/*
 * Enter the calling thread's cache, creating it if @create; if a flusher
 * is at work, wait for it on freeze_lock and try again. Returns NULL when
 * the thread has no cache (the tree serves); else leave with iova_rc_exit().
 */
static inline struct iova_thread_rcache *
iova_rc_enter(struct iova_domain *iovad, bool create)
{
	struct iova_thread_rcache *rc = iova_rc_mine(iovad);
	int id;

	if (unlikely(!rc)) {
		id = sim_thread_id(iovad->m);
		if (!create || id < 0 ||
		    !(rc = iova_rc_create(iovad, (unsigned int)id)))
			return NULL;
	}
	while (unlikely(!iova_rc_try_busy(iovad, rc))) {
		pthread_mutex_lock(&iovad->freeze_lock);
		pthread_mutex_unlock(&iovad->freeze_lock);
	}
	return rc;
}

static inline void iova_rc_exit(struct iova_thread_rcache *rc)
{
	atomic_store_explicit(&rc->busy, false, memory_order_release);
}

/* Every thread's cache; the set is fixed while freeze_lock is held. */
#define for_each_rc(iovad, id, rc)					\
	for ((id) = 0; (id) < SIM_MAX_THREADS; (id)++)			\
		if (((rc) = iova_rc_at((iovad), (id))))

/*
 * Freeze every thread's cache: the visitor's side of the handshake. Takes
 * freeze_lock (no cache can appear), raises every steal flag, one visitor
 * fence for all, then waits for owners inside the fast path to leave it
 * (they never wait for a flusher while busy). Undo with iova_rc_thaw_all().
 */
static void iova_rc_freeze_all(struct iova_domain *iovad)
{
	struct iova_thread_rcache *rc;
	unsigned int id;

	pthread_mutex_lock(&iovad->freeze_lock);
	for_each_rc(iovad, id, rc)
		atomic_store_explicit(&rc->steal, true, memory_order_relaxed);
	sim_fence_visitor(iovad->m);
	for_each_rc(iovad, id, rc)
		while (atomic_load_explicit(&rc->busy, memory_order_acquire))
			sched_yield();
}

static void iova_rc_thaw_all(struct iova_domain *iovad)
{
	struct iova_thread_rcache *rc;
	unsigned int id;

	for_each_rc(iovad, id, rc)
		atomic_store_explicit(&rc->steal, false, memory_order_release);
	pthread_mutex_unlock(&iovad->freeze_lock);
}

/*
 * The cache hit, kept small so the common alloc/free compiles to a short
 * leaf: the calling thread's loaded magazine, its newest range (which must
 * lie under the limit), no flusher at work. Anything else - the other
 * magazine, the depot, an older range, a cache to create, a flusher - is
 * left to iova_rcache_get()/iova_rcache_insert().
 */
static inline unsigned long iova_rcache_pop_fast(struct iova_domain *iovad,
						 unsigned int cls,
						 unsigned long limit_pfn,
						 unsigned long size)
{
	struct iova_thread_rcache *rc = iova_rc_mine(iovad);
	struct iova_magazine *mag;
	unsigned long pfn = 0, n;

	if (unlikely(!rc) || unlikely(limit_pfn < size) ||
	    unlikely(!iova_rc_try_busy(iovad, rc)))
		return 0;
	mag = rc->loaded[cls];
	n = mag->size;
	if (likely(n) && mag->pfns[n - 1] <= limit_pfn - size + 1) {
		pfn = mag->pfns[n - 1];
		mag->size = n - 1;
	}
	iova_rc_exit(rc);
	return pfn;
}

static inline bool iova_rcache_push_fast(struct iova_domain *iovad,
					 unsigned int cls, unsigned long pfn)
{
	struct iova_thread_rcache *rc = iova_rc_mine(iovad);
	struct iova_magazine *mag;
	bool done = false;

	if (unlikely(!rc) || unlikely(!iova_rc_try_busy(iovad, rc)))
		return false;
	mag = rc->loaded[cls];
	if (likely(!iova_magazine_full(iovad, mag))) {
		mag->pfns[mag->size++] = pfn;
		done = true;
	}
	iova_rc_exit(rc);
	return done;
}

static noinline unsigned long
iova_rcache_get(struct iova_domain *iovad,
				     unsigned int cls, unsigned long limit_pfn)
{
	struct iova_depot *depot = &iovad->depot[cls];
	unsigned long size = 1UL << cls, pfn;
	struct iova_magazine *empty = NULL;
	struct iova_thread_rcache *rc;

	if (limit_pfn < size)
		return 0;
	rc = iova_rc_enter(iovad, false);
	if (!rc)
		return 0;
	if (!rc->loaded[cls]->size) {
		if (rc->prev[cls]->size) {
			struct iova_magazine *tmp = rc->loaded[cls];

			rc->loaded[cls] = rc->prev[cls];
			rc->prev[cls] = tmp;
		} else {
			pthread_mutex_lock(&depot->lock);
			if (depot->nr) {
				empty = rc->loaded[cls];
				rc->loaded[cls] = depot->mags[--depot->nr];
				depot->mags[depot->nr] = NULL;
			}
			pthread_mutex_unlock(&depot->lock);
		}
	}
	pfn = iova_magazine_pop(rc->loaded[cls], limit_pfn - size + 1);
	iova_rc_exit(rc);
	sim_kfree(iovad->m, empty);
	return pfn;
}

/* Park @pfn in this thread's cache; false if it must go to the tree instead. */
static noinline bool iova_rcache_insert(struct iova_domain *iovad, unsigned int cls,
			       unsigned long pfn)
{
	struct iova_depot *depot = &iovad->depot[cls];
	struct iova_magazine *spill = NULL;
	struct iova_thread_rcache *rc;
	bool can_insert = false;

	rc = iova_rc_enter(iovad, true);
	if (!rc)
		return false;
	if (!iova_magazine_full(iovad, rc->loaded[cls])) {
		can_insert = true;
	} else if (!iova_magazine_full(iovad, rc->prev[cls])) {
		struct iova_magazine *tmp = rc->loaded[cls];

		rc->loaded[cls] = rc->prev[cls];
		rc->prev[cls] = tmp;
		can_insert = true;
	} else {
		struct iova_magazine *new = iova_magazine_alloc(iovad->m);

		if (new) {
			pthread_mutex_lock(&depot->lock);
			if (depot->nr < iovad->depot_max) {
				depot->mags[depot->nr++] = rc->loaded[cls];
			} else {
				spill = rc->loaded[cls];
			}
			pthread_mutex_unlock(&depot->lock);
			rc->loaded[cls] = new;
			can_insert = true;
		}
	}
	if (can_insert) {
		struct iova_magazine *mag = rc->loaded[cls];

		mag->pfns[mag->size++] = pfn;
	}
	iova_rc_exit(rc);

	if (spill) {
		/* depot full: that magazine's ranges go back to the tree */
		iova_free_pfns(iovad, spill->pfns, spill->size);
		sim_kfree(iovad->m, spill);
	}
	return can_insert;
}

/**
 * iova_cache_flush - empty every thread's cache and the depot into the tree
 * @iovad: the domain
 *
 * Freezes every thread's cache (freeze_lock and the owner handshake),
 * frees their ranges under tree_lock, thaws them, then takes each depot
 * lock in turn with tree_lock nested inside. The
 * per-thread magazines stay (empty); the depot's are freed. Must not be
 * called from inside a cache operation of the same thread (it is not).
 */
void iova_cache_flush(struct iova_domain *iovad)
{
	struct iova_thread_rcache *rc;
	unsigned int id, cls, i;

	iova_rc_freeze_all(iovad);
	for_each_rc(iovad, id, rc) {
		for (cls = 0; cls < IOVA_NR_CLASSES; cls++) {
			struct iova_magazine *mags[2] = {
				rc->loaded[cls], rc->prev[cls]
			};

			for (i = 0; i < 2; i++) {
				iova_free_pfns(iovad, mags[i]->pfns,
					       mags[i]->size);
				mags[i]->size = 0;
			}
		}
	}
	iova_rc_thaw_all(iovad);
	for (cls = 0; cls < IOVA_NR_CLASSES; cls++) {
		struct iova_depot *depot = &iovad->depot[cls];

		pthread_mutex_lock(&depot->lock);
		while (depot->nr) {
			struct iova_magazine *mag = depot->mags[--depot->nr];

			depot->mags[depot->nr] = NULL;
			iova_free_pfns(iovad, mag->pfns, mag->size);
			sim_kfree(iovad->m, mag);
		}
		pthread_mutex_unlock(&depot->lock);
	}
}

/*
 * Debug builds: is [@pfn, +@size) exactly an allocation of the tree?
 * Takes tree_lock (no cache lock held).
 */
static bool iova_is_allocation(struct iova_domain *iovad, unsigned long pfn,
			       unsigned long size)
{
	struct iova_node *n;
	unsigned long lo = 0, hi = 0;
	int kind = -1;
	bool ok;

	sim_spin_lock(&iovad->tree_lock);
	n = iova_floor(iovad, pfn);
	ok = n && n->kind == IOVA_KIND_ALLOC && n->pfn_lo == pfn &&
	     iova_node_size(n) == size;
	if (n && pfn <= n->pfn_hi) {
		lo = n->pfn_lo;
		hi = n->pfn_hi;
		kind = n->kind;
	}
	sim_spin_unlock(&iovad->tree_lock);
	if (!ok && kind < 0)
		fprintf(stderr, "iova: free_iova_fast(%#lx, %lu): nothing is allocated there\n",
			pfn, size);
	else if (!ok)
		fprintf(stderr, "iova: free_iova_fast(%#lx, %lu): the frame is in %s [%#lx-%#lx]\n",
			pfn, size, kind == IOVA_KIND_ALLOC ? "the allocation" :
			"the reservation", lo, hi);
	return ok;
}

/*
 * The tree, and as Linux: if nothing fits and the caller allows it, every
 * thread's cache and the depot go back to the tree and it is tried once
 * more. Unlike Linux, a failure to allocate the node does not flush (the
 * caches hold space, not memory).
 */
static noinline unsigned long
iova_alloc_tree(struct iova_domain *iovad, unsigned long size,
		unsigned long limit_pfn, bool flush_rcache)
{
	bool nomem = false;
	unsigned long pfn = iova_alloc_node(iovad, size, limit_pfn, true,
					    &nomem);

	if (pfn || !flush_rcache || nomem)
		return pfn;
	iova_cache_flush(iovad);
	return alloc_iova(iovad, size, limit_pfn, true);
}

/**
 * alloc_iova_fast - allocate @size frames ending at or below @limit_pfn
 * @iovad: the domain
 * @size: frames; below IOVA_CACHE_LIMIT rounded up to a power of two
 * @limit_pfn: highest frame the range may use
 * @flush_rcache: on failure, flush every cache into the tree and retry once
 *
 * The calling thread's cache is tried first, with no lock (loaded, then
 * prev, then a full magazine from the depot); then the tree (tree_lock),
 * always size-aligned as Linux does. The caller owns the range until
 * free_iova_fast() with the same @size. Returns the first frame, or 0.
 */
unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache)
{
	unsigned long pfn;

	if (!size || size > IOVA_MAX_SIZE)
		return 0;
	if (size < IOVA_CACHE_LIMIT)
		size = iova_roundup_pow_of_two(size);
	if (likely(size <= IOVA_CACHE_LIMIT)) {
		pfn = iova_rcache_pop_fast(iovad, iova_class(size),
					   limit_pfn, size);
		if (likely(pfn))
			return pfn;
		pfn = iova_rcache_get(iovad, iova_class(size), limit_pfn);
		if (pfn)
			return pfn;
	}
	return iova_alloc_tree(iovad, size, limit_pfn, flush_rcache);
}

/**
 * free_iova_fast - give back what alloc_iova_fast() returned
 * @iovad: the domain
 * @pfn: the first frame alloc_iova_fast() returned
 * @size: the size passed to alloc_iova_fast()
 *
 * Cacheable sizes go to the calling thread's cache (no lock; the range
 * stays allocated in the tree, owned by the cache); larger sizes, and
 * ranges for which no magazine could be allocated, go to the tree
 * (tree_lock). In debug mode a range that is not an allocation of that
 * size is reported and refused.
 */
void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size)
{
	if (!pfn || !size || size > IOVA_MAX_SIZE)
		return;
	if (size < IOVA_CACHE_LIMIT)
		size = iova_roundup_pow_of_two(size);
	if (unlikely(iova_debug(iovad)) &&
	    !iova_is_allocation(iovad, pfn, size)) {
		fprintf(stderr,
			"iova: free_iova_fast(%#lx, %lu): not an allocation of that size\n",
			pfn, size);
		return;
	}
	if (likely(size <= IOVA_CACHE_LIMIT) &&
	    (iova_rcache_push_fast(iovad, iova_class(size), pfn) ||
	     iova_rcache_insert(iovad, iova_class(size), pfn)))
		return;
	free_iova(iovad, pfn);
}

/* ------------------------------------------------------------------------ */
/* Domain                                                                   */
/* ------------------------------------------------------------------------ */

/* Nodes of @n's subtree other than the sentinels (iteratively: no stack). */
static unsigned long iova_count_nodes(const struct iova_node *n)
{
	const struct iova_node *p;
	unsigned long nr = 0;

	if (!n)
		return 0;
	while (n->left)
		n = n->left;
	while (n) {
		nr += n->kind != IOVA_KIND_SENTINEL;
		if (n->right) {
			for (n = n->right; n->left; n = n->left)
				;
			continue;
		}
		for (p = n->parent; p && n == p->right; p = p->parent)
			n = p;
		n = p;
	}
	return nr;
}

/**
 * iova_domain_create - an empty IOVA space
 * @m: machine, for the allocation hook (fail-Nth)
 * @granule: bytes per frame (power of two, >= 4K)
 * @start_pfn: lowest frame that may be allocated (>= 1)
 * @guard_pfns: free frames kept above every allocation
 *
 * Allocates the domain through @m (each thread's cache comes with its
 * first free); the caller owns the result until iova_domain_destroy().
 * Returns NULL for bad arguments or no memory.
 */
struct iova_domain *iova_domain_create(struct sim_machine *m,
				       unsigned long granule,
				       unsigned long start_pfn,
				       unsigned long guard_pfns)
{
	struct iova_domain *iovad;
	unsigned int cls;

	if (!m || granule < 4096 || (granule & (granule - 1)) || !start_pfn ||
	    start_pfn > ULONG_MAX / 2 || guard_pfns > IOVA_MAX_SIZE)
		return NULL;
	iovad = sim_kzalloc(m, sizeof(*iovad));
	if (!iovad)
		return NULL;
	iovad->m = m;
	iovad->granule = granule;
	iovad->shift = (unsigned int)__builtin_ctzl(granule);
	iovad->start_pfn = start_pfn;
	iovad->guard_pfns = guard_pfns;
	iovad->mag_size = IOVA_MAG_SIZE;
	iovad->depot_max = IOVA_DEPOT_MAX;
	INIT_LIST_HEAD(&iovad->chunks);
	INIT_LIST_HEAD(&iovad->partial);
#ifdef IOVA_DEBUG
	atomic_store(&iovad->debug, true);
#endif
	/* tests turn the check on for every domain a run creates */
	if (getenv("DMASTACK_IOVA_CHECK"))
		atomic_store(&iovad->debug, true);
	sim_spin_lock_init(&iovad->tree_lock);
	pthread_mutex_init(&iovad->freeze_lock, NULL);
	for (cls = 0; cls < IOVA_NR_CLASSES; cls++)
		pthread_mutex_init(&iovad->depot[cls].lock, NULL);

	iovad->head.kind = IOVA_KIND_SENTINEL;
	iovad->head.pfn_lo = 0;
	iovad->head.pfn_hi = iovad->head.end = start_pfn - 1;
	iovad->tail.kind = IOVA_KIND_SENTINEL;
	iovad->tail.pfn_lo = iovad->tail.pfn_hi = iovad->tail.end = ULONG_MAX;
	iova_insert(iovad, &iovad->head);
	iova_insert(iovad, &iovad->tail);

	return iovad;
}

/**
 * iova_domain_destroy - free the domain and everything it holds
 * @iovad: the domain (NULL is fine)
 *
 * Every node - allocations still outstanding, cached ranges, reservations
 * - every thread's cache and the depot go. No lock is taken: nobody else
 * may be using the domain. The node pool's chunks are freed whole, after
 * a check that every node is either in the tree or on the free list (a
 * BUG report on the machine if not).
 */
void iova_domain_destroy(struct iova_domain *iovad)
{
	struct sim_machine *m;
	struct iova_node_chunk *c, *tmp;
	unsigned long in_tree, nr_free = 0, nr_nodes = 0, chunks = 0;
	unsigned int id, cls, i;

	if (!iovad)
		return;
	m = iovad->m;
	in_tree = iova_count_nodes(iovad->root);
	list_for_each_entry(c, &iovad->chunks, all) {
		struct iova_node *n;
		unsigned int free = 0;

		for (n = c->free; n && free <= c->nr; n = n->parent)
			free++;
		if (free != c->nr_free)
			SIM_BUG(m, NULL, "iova: domain teardown: a chunk's free list holds %u nodes, %u counted",
				free, c->nr_free);
		nr_free += free;
		nr_nodes += c->nr;
		chunks++;
	}
	if (in_tree + nr_free != nr_nodes || nr_free != iovad->nr_free ||
	    chunks != iovad->nr_chunks ||
	    in_tree != iovad->nr_allocs + iovad->nr_reserved)
		SIM_BUG(m, NULL,
			"iova: domain teardown: %lu nodes in the tree and %lu free of %lu in %lu chunks (counted: %lu allocations, %lu reservations, %lu free, %lu chunks)",
			in_tree, nr_free, nr_nodes, chunks, iovad->nr_allocs,
			iovad->nr_reserved, iovad->nr_free, iovad->nr_chunks);
	list_for_each_entry_safe(c, tmp, &iovad->chunks, all)
		sim_kfree(m, c);
	iovad->root = NULL;
	for (id = 0; id < SIM_MAX_THREADS; id++) {
		struct iova_thread_rcache *rc = iova_rc_at(iovad, id);

		if (rc)
			iova_rc_free(m, rc);
	}
	for (cls = 0; cls < IOVA_NR_CLASSES; cls++) {
		for (i = 0; i < iovad->depot[cls].nr; i++)
			sim_kfree(m, iovad->depot[cls].mags[i]);
		pthread_mutex_destroy(&iovad->depot[cls].lock);
	}
	pthread_mutex_destroy(&iovad->freeze_lock);
	sim_kfree(m, iovad);
}

/**
 * iova_domain_set_debug - check the tree after every mutation
 * @iovad: the domain
 * @on: true to check (the default when built with IOVA_DEBUG)
 *
 * May be called at any time; each check runs under tree_lock.
 */
void iova_domain_set_debug(struct iova_domain *iovad, bool on)
{
	atomic_store(&iovad->debug, on);
}

/**
 * iova_domain_set_rcache_limits - shrink the magazines and the depot
 * @iovad: the domain, before any cache use
 * @mag_size: ranges per magazine, 1..IOVA_MAG_SIZE
 * @depot_max: full magazines per depot, 0..IOVA_DEPOT_MAX
 *
 * For tests that want to reach the depot's limits quickly. Returns 0 or
 * -EINVAL; nothing changes on error.
 */
int iova_domain_set_rcache_limits(struct iova_domain *iovad,
				  unsigned int mag_size,
				  unsigned int depot_max)
{
	if (!mag_size || mag_size > IOVA_MAG_SIZE || depot_max > IOVA_DEPOT_MAX)
		return -EINVAL;
	iovad->mag_size = mag_size;
	iovad->depot_max = depot_max;
	return 0;
}

/**
 * iova_domain_nodes - the node pool's use
 * @iovad: the domain
 * @used: nodes in the tree (allocations, cached ranges and reservations;
 *	not the sentinels)
 * @free: free nodes in the pool's chunks
 */
void iova_domain_nodes(struct iova_domain *iovad, unsigned long *used,
		       unsigned long *free)
{
	sim_spin_lock(&iovad->tree_lock);
	*used = iovad->nr_chunks * IOVA_CHUNK_NODES - iovad->nr_free;
	*free = iovad->nr_free;
	sim_spin_unlock(&iovad->tree_lock);
}

/**
 * iova_shift - log2 of the domain's granule
 * @iovad: the domain
 */
unsigned long iova_shift(struct iova_domain *iovad)
{
	return iovad->shift;
}

/*
 * Stop every cache from changing: freeze each thread's cache, take each
 * depot lock, then tree_lock (the lock order). For counts and checks.
 */
static void iova_lock_all(struct iova_domain *iovad)
{
	iova_rc_freeze_all(iovad);
	for (unsigned int cls = 0; cls < IOVA_NR_CLASSES; cls++)
		pthread_mutex_lock(&iovad->depot[cls].lock);
	sim_spin_lock(&iovad->tree_lock);
}

static void iova_unlock_all(struct iova_domain *iovad)
{
	sim_spin_unlock(&iovad->tree_lock);
	for (unsigned int cls = IOVA_NR_CLASSES; cls-- > 0;)
		pthread_mutex_unlock(&iovad->depot[cls].lock);
	iova_rc_thaw_all(iovad);
}

/* Ranges and frames parked in the caches and the depot (all locked). */
static void iova_cached_count(struct iova_domain *iovad,
			      unsigned long *ranges, unsigned long *frames)
{
	unsigned long r, n = 0, f = 0;
	unsigned int id, cls, i;

	for (cls = 0; cls < IOVA_NR_CLASSES; cls++) {
		r = 0;
		for (id = 0; id < SIM_MAX_THREADS; id++) {
			struct iova_thread_rcache *rc = iova_rc_at(iovad, id);

			if (rc)
				r += rc->loaded[cls]->size + rc->prev[cls]->size;
		}
		for (i = 0; i < iovad->depot[cls].nr; i++)
			r += iovad->depot[cls].mags[i]->size;
		n += r;
		f += r << cls;
	}
	*ranges = n;
	*frames = f;
}

/**
 * iova_domain_allocations - allocations held by callers
 * @iovad: the domain
 *
 * Allocation nodes of the tree minus the ranges parked in caches, counted
 * with everything locked (iova_lock_all(): a membarrier per call). For
 * tests and statistics.
 */
unsigned long iova_domain_allocations(struct iova_domain *iovad)
{
	unsigned long nr, cached, frames;

	iova_lock_all(iovad);
	nr = iovad->nr_allocs;
	iova_cached_count(iovad, &cached, &frames);
	iova_unlock_all(iovad);
	return nr > cached ? nr - cached : 0;
}

/**
 * iova_domain_frames - frames of the space in use
 * @iovad: the domain
 * @live: frames held by callers (the tree's allocations minus the cached)
 * @held: frames taken from the tree (live and cached)
 * @peak: the most frames ever taken from the tree at once
 *
 * Counted with everything locked, as iova_domain_allocations(). A cache
 * hit does not change @held, so its peak costs the hot path nothing; the
 * peak of @live is not kept (it would need a shared counter there).
 */
void iova_domain_frames(struct iova_domain *iovad, unsigned long *live,
			unsigned long *held, unsigned long *peak)
{
	unsigned long cached, frames;

	iova_lock_all(iovad);
	iova_cached_count(iovad, &cached, &frames);
	*held = iovad->nr_frames;
	*peak = iovad->peak_frames;
	*live = iovad->nr_frames > frames ? iovad->nr_frames - frames : 0;
	iova_unlock_all(iovad);
}

/**
 * iova_domain_reservations - reserved nodes in the tree
 * @iovad: the domain
 *
 * After merging: a count of disjoint, non-adjacent reserved ranges. Reads
 * the count under tree_lock.
 */
unsigned long iova_domain_reservations(struct iova_domain *iovad)
{
	unsigned long nr;

	sim_spin_lock(&iovad->tree_lock);
	nr = iovad->nr_reserved;
	sim_spin_unlock(&iovad->tree_lock);
	return nr;
}

/**
 * iova_domain_cached - frames parked in the thread caches and the depot
 * @iovad: the domain
 *
 * Counted with everything locked, as iova_domain_allocations().
 */
unsigned long iova_domain_cached(struct iova_domain *iovad)
{
	unsigned long ranges, frames;

	iova_lock_all(iovad);
	iova_cached_count(iovad, &ranges, &frames);
	iova_unlock_all(iovad);
	return frames;
}

/* Cross-check one magazine against the tree (all locks held). */
static void iova_check_magazine(struct iova_domain *iovad,
				struct iova_check *c,
				const struct iova_magazine *mag,
				unsigned int cls, unsigned long *ranges,
				bool set)
{
	unsigned long i;
	struct iova_node *n;

	if (set && mag->size > iovad->mag_size)
		iova_check_report(c, NULL, "magazine holds %lu of %u",
				  mag->size, iovad->mag_size);
	for (i = 0; i < mag->size && i < IOVA_MAG_SIZE; i++) {
		n = iova_floor(iovad, mag->pfns[i]);
		if (!n || n->pfn_lo != mag->pfns[i] ||
		    n->kind != IOVA_KIND_ALLOC ||
		    iova_node_size(n) != 1UL << cls) {
			if (set)
				iova_check_report(c, NULL,
						  "cached frame %#lx (class %u) is not an allocation of that size",
						  mag->pfns[i], cls);
			continue;
		}
		if (set) {
			if (n->mark)
				iova_check_report(c, n, "cached twice");
			n->mark = true;
			(*ranges)++;
		} else {
			n->mark = false;
		}
	}
}

static void iova_check_caches(struct iova_domain *iovad, struct iova_check *c,
			      bool set, unsigned long *ranges,
			      unsigned long *frames)
{
	unsigned int id, cls, i;
	unsigned long before;

	for (cls = 0; cls < IOVA_NR_CLASSES; cls++) {
		before = *ranges;
		for (id = 0; id < SIM_MAX_THREADS; id++) {
			struct iova_thread_rcache *rc = iova_rc_at(iovad, id);

			if (!rc)
				continue;
			iova_check_magazine(iovad, c, rc->loaded[cls], cls,
					    ranges, set);
			iova_check_magazine(iovad, c, rc->prev[cls], cls,
					    ranges, set);
		}
		for (i = 0; i < iovad->depot[cls].nr; i++)
			iova_check_magazine(iovad, c, iovad->depot[cls].mags[i],
					    cls, ranges, set);
		*frames += (*ranges - before) << cls;
	}
}

/**
 * iova_domain_check - verify the tree and the caches
 * @iovad: the domain
 *
 * Freezes every thread's cache, takes every depot lock, then
 * tree_lock, so it may run while other threads allocate. Verifies that the
 * in-order ranges do not overlap (guards included), that sentinels bound
 * them, AVL balance and heights, that each node's first/last/max gap
 * equal the values recomputed from its children, the allocation count,
 * and that every cached frame starts a distinct allocation of its class's
 * size, and magazine and depot fill levels. Returns 0, or -EUCLEAN after
 * printing what is wrong to stderr.
 */
int iova_domain_check(struct iova_domain *iovad)
{
	struct iova_check c = { .who = "iova_domain_check" };
	unsigned long ranges = 0, frames = 0, dummy = 0, dummy_frames = 0;
	unsigned int cls, errors;

	iova_lock_all(iovad);
	errors = iova_tree_check(iovad, "iova_domain_check");
	iova_check_caches(iovad, &c, true, &ranges, &frames);
	iova_check_caches(iovad, &c, false, &dummy, &dummy_frames);
	for (cls = 0; cls < IOVA_NR_CLASSES; cls++)
		if (iovad->depot[cls].nr > iovad->depot_max)
			iova_check_report(&c, NULL, "depot %u holds %u magazines",
					  cls, iovad->depot[cls].nr);
	iova_unlock_all(iovad);

	return (errors || c.errors) ? -EUCLEAN : 0;
}
