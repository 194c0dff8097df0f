/* SPDX-License-Identifier: MIT */
/*
 * dma-debug's ordered index: an intrusive AVL tree whose nodes carry a
 * three-part key and an interval end, each node caching the largest end
 * of its subtree (an interval tree, as the kernel's interval_tree_generic
 * augments its rbtree). dma-debug keeps its entries in it keyed by
 * (device, DMA address, sequence) so that every lookup, a device access
 * included, costs O(log n + k) at any number of live mappings, k being the
 * entries that answer; and its cache lines, IOVA states and device-write
 * pages keyed by what identifies them.
 *
 * No locking: the owner serialises every call on a tree. No allocation:
 * nodes are embedded in the owner's objects.
 */
#ifndef _DMASTACK_DMA_DEBUG_TREE_H
#define _DMASTACK_DMA_DEBUG_TREE_H

#include <stdbool.h>
#include <dmastack/types.h>

struct dtree_node {
	struct dtree_node *left, *right, *parent;
	u64 k1, k2, k3;		/* the key, compared in this order */
	u64 end;		/* interval end (0 when not an interval) */
	u64 max_end;		/* the largest end in this subtree */
	int height;		/* a leaf is 1 */
};

struct dtree {
	struct dtree_node *root;
	unsigned long nr;
};

/*
 * A range query: nodes with k1 == @k1, @lo2 <= k2 <= @hi2 and end >=
 * @min_end, visited in key order; @fn returns false to stop. @visits
 * counts the nodes looked at (the cost, for tests).
 */
struct dtree_query {
	u64 k1, lo2, hi2, min_end;
	bool (*fn)(struct dtree_node *n, void *arg);
	void *arg;
	unsigned long visits;
};

/* Insert @n, whose key (unique in @t) and end the caller has set. */
void dtree_insert(struct dtree *t, struct dtree_node *n);
/* Remove @n, which is in @t. */
void dtree_erase(struct dtree *t, struct dtree_node *n);
/* The node with exactly this key, or NULL. */
struct dtree_node *dtree_find(const struct dtree *t, u64 k1, u64 k2, u64 k3);
/* The first node in key order, the one after @n, or NULL. */
struct dtree_node *dtree_first(const struct dtree *t);
struct dtree_node *dtree_next(const struct dtree_node *n);
/* Run @q over @t; false if @q->fn stopped it. */
bool dtree_query(const struct dtree *t, struct dtree_query *q);
/* The tree's height (0 when empty). */
int dtree_height(const struct dtree *t);
/*
 * Check every invariant (order, parent links, heights, AVL balance, the
 * cached ends, the count): the number of nodes, or -1 if one is broken.
 */
long dtree_check(const struct dtree *t);

#endif /* _DMASTACK_DMA_DEBUG_TREE_H */
