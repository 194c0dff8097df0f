/* SPDX-License-Identifier: MIT */
/*
 * The page-table algorithm, written once and instantiated per format (the
 * idea of the kernel's generic_pt): a format file defines its geometry and
 * its entry operations, then includes this header, which generates that
 * format's map, unmap, lookup and PTE-store functions with the entry
 * operations inlined, and a const struct pt_ops PTG_NAME(ops) naming them.
 * An operation costs one indirect call (through pt->ops); no entry does.
 * The header may be included several times in one file (one format per
 * granule): it #undefs what it was given.
 *
 * The format defines, before the #include:
 *   PTG_NAME(x)           the prefix of what is generated (arm64_4k_##x)
 *   PTG_GSHIFT            log2 of the granule
 *   PTG_LEVELS            levels; level 0 holds granule leaves
 *   PTG_STRIDE            index bits of every level but the root
 *   PTG_TOP_BITS          index bits of the root
 *   PTG_LEAF_LEVELS       bitmask: level n may hold a leaf
 *   PTG_PRESENT(pte)      a valid entry (empty entries are 0 in every format)
 *   PTG_IS_TABLE(pte, l)  a valid entry at level l > 0 that points to a table
 *   PTG_MK_LEAF(pa, prot, l)  a leaf at level l
 *   PTG_MK_TABLE(pa)      a table entry
 *   PTG_ADDR(pte)         the output (leaf) or table address
 *   PTG_PROT(pte)         IOMMU_* of a leaf
 *
 * Walks go from an entry to the next table by the address in the entry,
 * turned into a host pointer by the machine's RAM view (pt_host(), the
 * region of the previous step first, as the IOMMU unit's walker does). The
 * metadata of a table (its count of present entries) is looked up only
 * for a table whose count changes, and only when the table counts (see
 * pt.c). Map and unmap take one walk each: map creates tables as it goes
 * and, on failure, takes back what it wrote; unmap clears each leaf table
 * in one pass, splits the leaves that straddle its ends before it clears
 * anything (so that a failed split leaves everything as it was), and
 * frees the counted tables that it empties. Tables that do not count are
 * installed with a compare-and-exchange, since operations on disjoint
 * ranges run concurrently; prune() frees them once empty.
 */
#ifndef PTG_NAME
#error "define the format (PTG_NAME and the rest) before including pt_generic.h"
#endif

#define PTG_TOP			(PTG_LEVELS - 1)
#define PTG_SHIFT(l)		(PTG_GSHIFT + PTG_STRIDE * (l))
#define PTG_SPAN(l)		(1ULL << PTG_SHIFT(l))
#define PTG_BITS(l)		((l) == PTG_TOP ? PTG_TOP_BITS : PTG_STRIDE)
#define PTG_IDX(l, a)		((unsigned int)((a) >> PTG_SHIFT(l)) & \
				 ((1U << PTG_BITS(l)) - 1))
#define PTG_CAN_LEAF(l)		((PTG_LEAF_LEVELS >> (l)) & 1)
/* [a, b) (b > a) inside one entry of level l */
#define PTG_ONE_ENTRY(l, a, b)	(((a) >> PTG_SHIFT(l)) == (((b) - 1) >> PTG_SHIFT(l)))

/* The metadata of a table, looked up the first time it is needed. */
static inline struct pt_table *PTG_NAME(meta)(struct io_pgtable *pt,
					      struct pt_table **meta,
					      phys_addr_t phys)
{
	if (!*meta)
		*meta = pt_table_find(pt, phys);
	return *meta;
}

/* ------------------------------------------------------------------------ */
/* map                                                                      */
/* ------------------------------------------------------------------------ */

/*
 * Map [@iova, @end) -> @pa under the table @ptes (at @tphys, metadata
 * @meta or NULL) of @level. Returns 0, -EEXIST or -ENOMEM; what it wrote
 * before failing lies below op->undo_end.
 */
static int PTG_NAME(map_level)(struct pt_map_op *op, u64 *ptes,
			       phys_addr_t tphys, struct pt_table *meta,
			       unsigned int level, u64 iova, u64 end,
			       phys_addr_t pa)
{
	struct io_pgtable *pt = op->pt;
	u64 span;

	if (!level) {
		u64 *p = ptes + PTG_IDX(0, iova);
		unsigned int n = (unsigned int)((end - iova) >> PTG_GSHIFT);

		for (unsigned int i = 0; i < n; i++)
			if (pt_load(p + i))
				return -EEXIST;
		if (!op->rd && !PTG_NAME(meta)(pt, &meta, tphys))
			return -EEXIST;
		for (unsigned int i = 0; i < n; i++)
			pt_store(p + i, PTG_MK_LEAF(pa + ((u64)i << PTG_GSHIFT),
						    op->prot, 0));
		if (!op->rd)
			meta->live += n;
		op->undo_end = end;
		return 0;
	}

	span = PTG_SPAN(level);
	while (iova < end) {
		u64 next = min(ALIGN_DOWN(iova, span) + span, end);
		unsigned int idx = PTG_IDX(level, iova);
		u64 pte = pt_load(ptes + idx);
		struct pt_table *child = NULL;
		phys_addr_t cphys;
		u64 *cptes;
		int ret;

		if (!PTG_PRESENT(pte)) {
			if (!op->rd && !PTG_NAME(meta)(pt, &meta, tphys))
				return -EEXIST;
			if (PTG_CAN_LEAF(level) && next - iova == span &&
			    IS_ALIGNED(pa, span)) {
				u64 leaf = PTG_MK_LEAF(pa, op->prot, level);

				if (op->rd) {
					if (!pt_cmpxchg(ptes + idx, 0, leaf))
						return -EEXIST;
				} else {
					pt_store(ptes + idx, leaf);
					meta->live++;
				}
				op->undo_end = next;
				goto next;
			}
			child = pt_table_alloc(pt);
			if (!child)
				return -ENOMEM;
			if (op->rd) {
				/* a map next to ours may install one first */
				if (!pt_cmpxchg(ptes + idx, 0,
						PTG_MK_TABLE(child->phys))) {
					pt_table_free(pt, child);
					child = NULL;
					pte = pt_load(ptes + idx);
					if (!PTG_IS_TABLE(pte, level))
						return -EEXIST;
					goto descend;
				}
			} else {
				child->parent = meta;
				child->pidx = idx;
				pt_store(ptes + idx, PTG_MK_TABLE(child->phys));
				meta->live++;
			}
			op->undo_end = next;
			cptes = child->ptes;
			cphys = child->phys;
			/* a table that does not count is nobody's to free */
			if (op->rd)
				child = NULL;
		} else if (PTG_IS_TABLE(pte, level)) {
descend:
			cphys = PTG_ADDR(pte);
			cptes = pt_host(pt, cphys, &op->hint);
			if (!cptes)
				return -EEXIST;	/* refuse to touch it */
		} else {
			return -EEXIST;
		}
		ret = PTG_NAME(map_level)(op, cptes, cphys, child, level - 1,
					  iova, next, pa);
		if (ret)
			return ret;
next:
		pa += next - iova;
		iova = next;
	}
	return 0;
}

static u64 PTG_NAME(unmap_op)(struct pt_unmap_op *op, u64 iova, u64 end);

static int PTG_NAME(map)(struct io_pgtable *pt, struct pt_reader *rd,
			 u64 iova, phys_addr_t pa, u64 size, int prot)
{
	struct pt_map_op op = { .pt = pt, .rd = rd, .hint = pt->root_region,
				.prot = prot, .undo_end = iova };
	struct pt_table *meta = pt->root;
	u64 *ptes = meta->ptes, end = iova + size;
	phys_addr_t tphys = meta->phys;
	unsigned int level = PTG_TOP;
	int ret;

	/* Down the tables that hold all of the range: one walk, no calls. */
	while (level && PTG_ONE_ENTRY(level, iova, end)) {
		u64 pte = pt_load(ptes + PTG_IDX(level, iova));

		if (!PTG_IS_TABLE(pte, level))
			break;
		tphys = PTG_ADDR(pte);
		ptes = pt_host(pt, tphys, &op.hint);
		if (!ptes)
			return -EEXIST;
		meta = NULL;
		level--;
	}
	/* One block into an empty entry: no loop. */
	if (level && PTG_CAN_LEAF(level) && size == PTG_SPAN(level) &&
	    !((iova | pa) & (PTG_SPAN(level) - 1))) {
		u64 *p = ptes + PTG_IDX(level, iova);

		if (rd) {
			if (pt_cmpxchg(p, 0, PTG_MK_LEAF(pa, prot, level)))
				return 0;
		} else if (!pt_load(p) && PTG_NAME(meta)(pt, &meta, tphys)) {
			pt_store(p, PTG_MK_LEAF(pa, prot, level));
			meta->live++;
			return 0;
		}
	}
	ret = PTG_NAME(map_level)(&op, ptes, tphys, meta, level, iova, end, pa);
	if (ret && op.undo_end > iova) {
		/* take back what this call wrote, and its tables, now (or,
		 * not counted, at the next prune: others may use them) */
		struct pt_split splits[PT_MAX_SPLITS];
		struct pt_unmap_op u = { .pt = pt, .rd = rd,
					 .hint = pt->root_region,
					 .now = true, .resolved = true,
					 .splits = splits };

		PTG_NAME(unmap_op)(&u, iova, op.undo_end);
		if (rd)
			pt_note_cleared(rd, iova, op.undo_end, PTG_SPAN(1));
	}
	return ret;
}

/* ------------------------------------------------------------------------ */
/* unmap                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Replace the leaf @pte at @ptes[@idx] (@level, table metadata *@meta) by
 * a table of next-level leaves mapping the same with the same protection.
 * The table is complete before the entry switches to it, so a walker sees
 * the same translation throughout. NULL when out of memory.
 */
static struct pt_table *PTG_NAME(split)(struct pt_unmap_op *op, u64 *ptes,
					phys_addr_t tphys,
					struct pt_table **meta,
					unsigned int level, unsigned int idx,
					u64 pte)
{
	struct io_pgtable *pt = op->pt;
	const phys_addr_t pa = PTG_ADDR(pte);
	const int prot = PTG_PROT(pte);
	const unsigned int n = 1U << PTG_STRIDE;
	struct pt_table *child;

	if (!op->rd && !PTG_NAME(meta)(pt, meta, tphys))
		return NULL;
	if (op->nr_splits == PT_MAX_SPLITS) {
		SIM_BUG(pt->m, NULL, "io-pgtable: more than %u splits in one unmap",
			PT_MAX_SPLITS);
		return NULL;
	}
	child = pt_table_alloc(pt);
	if (!child)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		pt_store(child->ptes + i,
			 PTG_MK_LEAF(pa + i * PTG_SPAN(level - 1), prot,
				     level - 1));
	if (op->rd) {
		/* an unmap of the leaf's other part may split it first */
		if (!pt_cmpxchg(ptes + idx, pte, PTG_MK_TABLE(child->phys))) {
			pt_table_free(pt, child);
			return NULL;
		}
	} else {
		child->live = n;
		child->parent = *meta;
		child->pidx = idx;
		pt_store(ptes + idx, PTG_MK_TABLE(child->phys));
	}
	op->splits[op->nr_splits++] = (struct pt_split){ ptes, idx, pte, child };
	return child;
}

/*
 * Split every leaf that contains the boundary @addr, from @level down,
 * under the table @ptes: after this no leaf straddles @addr. -ENOMEM if a
 * table could not be allocated.
 */
static int PTG_NAME(split_path)(struct pt_unmap_op *op, u64 *ptes,
				phys_addr_t tphys, struct pt_table *meta,
				unsigned int level, u64 addr)
{
	for (; level && !IS_ALIGNED(addr, PTG_SPAN(level)); level--) {
		unsigned int idx = PTG_IDX(level, addr);
		u64 pte = pt_load(ptes + idx);

		if (!PTG_PRESENT(pte))
			return 0;
		if (PTG_IS_TABLE(pte, level)) {
			tphys = PTG_ADDR(pte);
			ptes = pt_host(op->pt, tphys, &op->hint);
			if (!ptes)
				return 0;
			meta = NULL;
		} else {
			struct pt_table *child = PTG_NAME(split)(op, ptes, tphys,
								 &meta, level,
								 idx, pte);

			if (!child)
				return -ENOMEM;
			ptes = child->ptes;
			tphys = child->phys;
			meta = child;
		}
	}
	return 0;
}

/*
 * Clear [@iova, @end) under the table @ptes (at @tphys) of @level; *@meta
 * is its metadata, or NULL until it is needed (then set: the caller sees
 * whether the table changed). Returns the bytes that were mapped.
 */
static u64 PTG_NAME(unmap_level)(struct pt_unmap_op *op, u64 *ptes,
				 phys_addr_t tphys, struct pt_table **meta,
				 unsigned int level, u64 iova, u64 end)
{
	struct io_pgtable *pt = op->pt;
	u64 span, done = 0;

	if (!level) {
		u64 *p = ptes + PTG_IDX(0, iova);
		unsigned int n = (unsigned int)((end - iova) >> PTG_GSHIFT);
		unsigned int cleared = 0;

		/* one pass: clear what is there, count it */
		if (op->first_phys && iova == op->first) {
			u64 pte = pt_load(p);

			if (PTG_PRESENT(pte))
				*op->first_phys = PTG_ADDR(pte);
		}
		for (unsigned int i = 0; i < n; i++) {
			u64 pte = pt_load(p + i);

			if (PTG_PRESENT(pte)) {
				pt_store(p + i, 0);
				cleared++;
			}
		}
		if (cleared) {
			op->cleared = true;
			if (!op->rd && PTG_NAME(meta)(pt, meta, tphys))
				(*meta)->live -= cleared;
		}
		return (u64)cleared << PTG_GSHIFT;
	}

	span = PTG_SPAN(level);
	/*
	 * Where the range first spans several entries, split the leaves at
	 * both of its ends before anything is cleared: a split that cannot
	 * be allocated then leaves every translation as it was.
	 */
	if (!op->resolved && !PTG_ONE_ENTRY(level, iova, end)) {
		op->resolved = true;
		if (PTG_NAME(split_path)(op, ptes, tphys, *meta, level, end) ||
		    PTG_NAME(split_path)(op, ptes, tphys, *meta, level, iova)) {
			op->failed = true;
			return 0;
		}
	}
	while (iova < end) {
		u64 next = min(ALIGN_DOWN(iova, span) + span, end);
		unsigned int idx = PTG_IDX(level, iova);
		u64 pte = pt_load(ptes + idx);
		struct pt_table *cmeta = NULL;
		phys_addr_t cphys;
		u64 *cptes;

		if (!PTG_PRESENT(pte))
			goto next;
		if (!PTG_IS_TABLE(pte, level)) {
			if (next - iova == span) {
				if (!op->rd && !PTG_NAME(meta)(pt, meta, tphys))
					goto next;
				if (op->first_phys && iova == op->first)
					*op->first_phys = PTG_ADDR(pte);
				pt_store(ptes + idx, 0);
				if (!op->rd)
					(*meta)->live--;
				op->cleared = true;
				done += span;
				goto next;
			}
			/* a leaf holding both ends (or a bug: see resolved) */
			cmeta = PTG_NAME(split)(op, ptes, tphys, meta, level,
						idx, pte);
			if (!cmeta) {
				if (op->cleared)
					SIM_BUG(pt->m, NULL,
						"io-pgtable: unmap could not split a leaf after clearing entries");
				op->failed = true;
				return done;
			}
			cptes = cmeta->ptes;
			cphys = cmeta->phys;
		} else {
			cphys = PTG_ADDR(pte);
			cptes = pt_host(pt, cphys, &op->hint);
			if (!cptes)
				goto next;
		}
		done += PTG_NAME(unmap_level)(op, cptes, cphys, &cmeta,
					      level - 1, iova, next);
		if (op->failed)
			return done;
		if (op->rd)
			goto next;	/* prune() frees what emptied */
		/* a map's undo also frees the empty tables the map made */
		if (op->now && !cmeta)
			cmeta = pt_table_find(pt, cphys);
		if (cmeta && !cmeta->live && PTG_NAME(meta)(pt, meta, tphys))
			pt_table_emptied(pt, *meta, ptes, cmeta);
next:
		iova = next;
	}
	return done;
}

/* Unmap [@iova, @end) for @op: one walk from the root. */
static u64 PTG_NAME(unmap_op)(struct pt_unmap_op *op, u64 iova, u64 end)
{
	struct io_pgtable *pt = op->pt;
	struct {
		u64 *ptes;
		phys_addr_t phys;
		struct pt_table *meta;
	} path[PTG_LEVELS];
	unsigned int level = PTG_TOP, l;
	u64 done;

	path[level].ptes = pt->root->ptes;
	path[level].phys = pt->root->phys;
	path[level].meta = pt->root;
	/* Down the tables that hold all of the range, remembering them. */
	while (level && PTG_ONE_ENTRY(level, iova, end)) {
		u64 pte = pt_load(path[level].ptes + PTG_IDX(level, iova));
		u64 *ptes;

		if (!PTG_IS_TABLE(pte, level))
			break;
		ptes = pt_host(pt, PTG_ADDR(pte), &op->hint);
		if (!ptes)
			return 0;
		level--;
		path[level].ptes = ptes;
		path[level].phys = PTG_ADDR(pte);
		path[level].meta = NULL;
	}
	if (level && end - iova == PTG_SPAN(level) &&
	    !(iova & (PTG_SPAN(level) - 1))) {
		/* exactly one entry: a block goes with no loop */
		u64 *p = path[level].ptes + PTG_IDX(level, iova);
		u64 pte = pt_load(p);

		if (!PTG_PRESENT(pte))
			return 0;
		if (!PTG_IS_TABLE(pte, level) &&
		    (op->rd || PTG_NAME(meta)(pt, &path[level].meta,
					      path[level].phys))) {
			if (op->first_phys)
				*op->first_phys = PTG_ADDR(pte);
			pt_store(p, 0);
			op->cleared = true;
			if (op->rd)
				return end - iova;
			path[level].meta->live--;
			done = end - iova;
			goto up;
		}
	}
	done = PTG_NAME(unmap_level)(op, path[level].ptes, path[level].phys,
				     &path[level].meta, level, iova, end);
	if (op->failed) {
		/* put the split leaves back, the last split first */
		while (op->nr_splits) {
			struct pt_split *s = &op->splits[--op->nr_splits];

			pt_store(s->ptes + s->idx, s->old);
			pt_table_free(pt, s->t);
		}
		if (op->first_phys)
			*op->first_phys = 0;
		return 0;
	}
	if (op->rd)
		return done;
up:
	/* Up the path: the tables this emptied go. */
	for (l = level; l < PTG_TOP; l++) {
		struct pt_table *t = path[l].meta;

		if (!t && op->now)
			t = pt_table_find(pt, path[l].phys);

		if (!t || t->live)
			break;
		if (!PTG_NAME(meta)(pt, &path[l + 1].meta, path[l + 1].phys))
			break;
		pt_table_emptied(pt, path[l + 1].meta, path[l + 1].ptes, t);
	}
	return done;
}

static u64 PTG_NAME(unmap)(struct io_pgtable *pt, struct pt_reader *rd,
			   u64 iova, u64 size, phys_addr_t *first_phys)
{
	struct pt_split splits[PT_MAX_SPLITS];
	struct pt_unmap_op op = { .pt = pt, .rd = rd, .hint = pt->root_region,
				  .first = iova, .first_phys = first_phys,
				  .splits = splits };
	u64 done;

	if (first_phys)
		*first_phys = 0;
	done = PTG_NAME(unmap_op)(&op, iova, iova + size);
	if (rd && op.cleared)
		pt_note_cleared(rd, iova, iova + size, PTG_SPAN(1));
	return done;
}

/* ------------------------------------------------------------------------ */
/* prune: free the tables that do not count once they are empty             */
/* ------------------------------------------------------------------------ */

/* Nothing present in the table @ptes of @level. */
static inline bool PTG_NAME(table_empty)(const u64 *ptes, unsigned int level)
{
	const unsigned int n = 1U << PTG_BITS(level);

	if (n < 8) {		/* a small root */
		for (unsigned int i = 0; i < n; i++)
			if (ptes[i])
				return false;
		return true;
	}
	/*
	 * A cache line at a time: the OR vectorises, a present entry ends it.
	 * From the top down, where IOVAs are allocated first.
	 */
	for (unsigned int i = n; i; i -= 8) {
		u64 any = 0;

		for (unsigned int k = 0; k < 8; k++)
			any |= ptes[i - 8 + k];
		if (any)
			return false;
	}
	return true;
}

/*
 * Free the empty tables under [@iova, @end) of the table @ptes of @level,
 * bottom up; returns the tables freed and sets *@empty when @ptes is left
 * empty. Runs with no operation under way.
 */
static unsigned long PTG_NAME(prune_level)(struct io_pgtable *pt,
					   const struct sim_ram_region **hint,
					   u64 *ptes, unsigned int level,
					   u64 iova, u64 end, bool *empty)
{
	unsigned long freed = 0;

	for (u64 a = iova; level && a < end;) {
		u64 next = min(ALIGN_DOWN(a, PTG_SPAN(level)) + PTG_SPAN(level), end);
		unsigned int idx = PTG_IDX(level, a);
		u64 pte = pt_load(ptes + idx);

		if (PTG_IS_TABLE(pte, level)) {
			u64 *cptes = pt_host(pt, PTG_ADDR(pte), hint);
			bool cempty = false;

			if (cptes) {
				freed += PTG_NAME(prune_level)(pt, hint, cptes,
							       level - 1, a,
							       next, &cempty);
				if (cempty) {
					pt_store(ptes + idx, 0);
					pt_table_unlinked(pt, PTG_ADDR(pte));
					freed++;
				}
			}
		}
		if (next < a)
			break;	/* the top of the address space */
		a = next;
	}
	*empty = PTG_NAME(table_empty)(ptes, level);
	return freed;
}

static unsigned long PTG_NAME(prune)(struct io_pgtable *pt, u64 iova, u64 end)
{
	const struct sim_ram_region *hint = pt->root_region;
	struct {
		u64 *ptes;
		unsigned int idx;
	} path[PTG_LEVELS];
	unsigned int level = PTG_TOP;
	u64 *ptes = pt->root->ptes;
	unsigned long freed;
	bool empty;

	/* down the tables that hold all of the range */
	while (level && PTG_ONE_ENTRY(level, iova, end)) {
		unsigned int idx = PTG_IDX(level, iova);
		u64 pte = pt_load(ptes + idx);
		u64 *c;

		if (!PTG_IS_TABLE(pte, level))
			break;	/* this table may be what emptied */
		c = pt_host(pt, PTG_ADDR(pte), &hint);
		if (!c)
			return 0;
		path[level].ptes = ptes;
		path[level].idx = idx;
		ptes = c;
		level--;
	}
	freed = PTG_NAME(prune_level)(pt, &hint, ptes, level, iova, end, &empty);
	/* up the path: the tables this left empty go (never the root) */
	for (; empty && level < PTG_TOP; level++) {
		u64 *pp = path[level + 1].ptes + path[level + 1].idx;

		phys_addr_t t = PTG_ADDR(pt_load(pp));

		pt_store(pp, 0);
		pt_table_unlinked(pt, t);
		freed++;
		/* the root stays, empty or not: no need to look */
		empty = level + 1 < PTG_TOP &&
			PTG_NAME(table_empty)(path[level + 1].ptes, level + 1);
	}
	return freed;
}

/* ------------------------------------------------------------------------ */
/* lookup and the PTE-write floor                                           */
/* ------------------------------------------------------------------------ */

static int PTG_NAME(lookup)(struct io_pgtable *pt, u64 iova,
			    phys_addr_t *phys, int *prot, size_t *leaf_size)
{
	const struct sim_ram_region *hint = pt->root_region;
	const u64 *ptes = pt->root->ptes;

	for (unsigned int level = PTG_TOP;; level--) {
		u64 pte = pt_load(ptes + PTG_IDX(level, iova));

		if (!PTG_PRESENT(pte))
			return -ENOENT;
		if (PTG_IS_TABLE(pte, level)) {
			ptes = pt_host(pt, PTG_ADDR(pte), &hint);
			if (!ptes)
				return -ENOENT;
			continue;
		}
		if (phys)
			*phys = PTG_ADDR(pte) + (iova & (PTG_SPAN(level) - 1));
		if (prot)
			*prot = PTG_PROT(pte);
		if (leaf_size)
			*leaf_size = PTG_SPAN(level);
		return 0;
	}
}

static void PTG_NAME(store_leaves)(u64 *ptes, unsigned int n,
				   phys_addr_t pa, int prot)
{
	for (unsigned int i = 0; i < n; i++)
		pt_store(ptes + i,
			 PTG_MK_LEAF(pa + ((u64)i << PTG_GSHIFT), prot, 0));
}

static const struct pt_ops PTG_NAME(ops) = {
	.map = PTG_NAME(map),
	.unmap = PTG_NAME(unmap),
	.prune = PTG_NAME(prune),
	.lookup = PTG_NAME(lookup),
	.store_leaves = PTG_NAME(store_leaves),
};

#undef PTG_TOP
#undef PTG_SHIFT
#undef PTG_SPAN
#undef PTG_BITS
#undef PTG_IDX
#undef PTG_CAN_LEAF
#undef PTG_ONE_ENTRY
#undef PTG_NAME
#undef PTG_GSHIFT
#undef PTG_LEVELS
#undef PTG_STRIDE
#undef PTG_TOP_BITS
#undef PTG_LEAF_LEVELS
#undef PTG_PRESENT
#undef PTG_IS_TABLE
#undef PTG_MK_LEAF
#undef PTG_MK_TABLE
#undef PTG_ADDR
#undef PTG_PROT
