// SPDX-License-Identifier: MIT
/*
 * dma-debug's AVL interval tree (debug-tree.h). Parent links make erase
 * and the walk to the next node iterative; every change retraces to the
 * root, rebalancing and recomputing heights and cached ends on the way,
 * so each costs O(log n).
 */
#include "debug-tree.h"

static inline int h_of(const struct dtree_node *n)
{
	return n ? n->height : 0;
}

static inline u64 max_of(const struct dtree_node *n)
{
	return n ? n->max_end : 0;
}

static void update(struct dtree_node *n)
{
	int hl = h_of(n->left), hr = h_of(n->right);
	u64 m = n->end;

	n->height = 1 + (hl > hr ? hl : hr);
	if (max_of(n->left) > m)
		m = max_of(n->left);
	if (max_of(n->right) > m)
		m = max_of(n->right);
	n->max_end = m;
}

/* -1, 0, 1 as (a1, a2, a3) is below, equal to, above (b1, b2, b3). */
static inline int key_cmp(u64 a1, u64 a2, u64 a3, const struct dtree_node *b)
{
	if (a1 != b->k1)
		return a1 < b->k1 ? -1 : 1;
	if (a2 != b->k2)
		return a2 < b->k2 ? -1 : 1;
	if (a3 != b->k3)
		return a3 < b->k3 ? -1 : 1;
	return 0;
}

static void replace_child(struct dtree *t, struct dtree_node *parent,
			  struct dtree_node *old, struct dtree_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

static struct dtree_node *rotate_left(struct dtree *t, struct dtree_node *x)
{
	struct dtree_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

static struct dtree_node *rotate_right(struct dtree *t, struct dtree_node *x)
{
	struct dtree_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

/* Rebalance the subtree at @x; returns its (possibly new) root. */
static struct dtree_node *rebalance(struct dtree *t, struct dtree_node *x)
{
	int bf = h_of(x->left) - h_of(x->right);

	if (bf > 1) {
		if (h_of(x->left->left) < h_of(x->left->right))
			rotate_left(t, x->left);
		return rotate_right(t, x);
	}
	if (bf < -1) {
		if (h_of(x->right->right) < h_of(x->right->left))
			rotate_right(t, x->right);
		return rotate_left(t, x);
	}
	update(x);
	return x;
}

/*
 * From @n up: heights, balance and cached ends, as far as they change (a
 * subtree whose root keeps its height and largest end changes nothing
 * above it), but at least up to and including @must (NULL: none), whose
 * own cached values are not yet its subtree's.
 */
static void retrace(struct dtree *t, struct dtree_node *n,
		    const struct dtree_node *must)
{
	while (n) {
		int h = n->height;
		u64 m = n->max_end;
		bool passed = !must || n == must;
		struct dtree_node *top = rebalance(t, n);

		if (passed)
			must = NULL;
		if (!must && top->height == h && top->max_end == m)
			return;
		n = top->parent;
	}
}

void dtree_insert(struct dtree *t, struct dtree_node *n)
{
	struct dtree_node *p = NULL, **link = &t->root;

	while (*link) {
		p = *link;
		link = key_cmp(n->k1, n->k2, n->k3, p) < 0 ? &p->left :
							     &p->right;
	}
	n->left = n->right = NULL;
	n->parent = p;
	n->height = 1;
	n->max_end = n->end;
	*link = n;
	t->nr++;
	retrace(t, p, NULL);
}

void dtree_erase(struct dtree *t, struct dtree_node *z)
{
	struct dtree_node *start, *must = NULL;

	if (z->left && z->right) {
		/* The successor (no left child) takes @z's place. */
		struct dtree_node *s = z->right;

		while (s->left)
			s = s->left;
		if (s->parent == z) {
			start = s;
		} else {
			start = s->parent;
			start->left = s->right;
			if (s->right)
				s->right->parent = start;
			s->right = z->right;
			z->right->parent = s;
		}
		s->left = z->left;
		z->left->parent = s;
		replace_child(t, z->parent, z, s);
		/* what @z's parent saw; @s itself is recomputed on the way */
		s->height = z->height;
		s->max_end = z->max_end;
		must = s;
	} else {
		start = z->parent;
		replace_child(t, z->parent, z, z->left ? z->left : z->right);
	}
	z->left = z->right = z->parent = NULL;
	t->nr--;
	retrace(t, start, must);
}

struct dtree_node *dtree_find(const struct dtree *t, u64 k1, u64 k2, u64 k3)
{
	struct dtree_node *n = t->root;

	while (n) {
		int c = key_cmp(k1, k2, k3, n);

		if (!c)
			return n;
		n = c < 0 ? n->left : n->right;
	}
	return NULL;
}

struct dtree_node *dtree_first(const struct dtree *t)
{
	struct dtree_node *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}

struct dtree_node *dtree_next(const struct dtree_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct dtree_node *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

/*
 * In key order: the left subtree only if keys in range can be there, the
 * right likewise, and no subtree whose ends are all below @min_end. A
 * subtree wholly inside the key range whose largest end qualifies holds
 * an answer, so the cost is O(log n) per answer.
 */
static bool query(const struct dtree_node *n, struct dtree_query *q)
{
	int lo, hi;

	if (!n)
		return true;
	q->visits++;
	if (n->max_end < q->min_end)
		return true;
	lo = key_cmp(q->k1, q->lo2, 0, n);		/* range start vs node */
	hi = key_cmp(q->k1, q->hi2, ~0ULL, n);		/* range end vs node */
	if (lo < 0 && !query(n->left, q))
		return false;
	if (lo <= 0 && hi >= 0 && n->end >= q->min_end &&
	    !q->fn((struct dtree_node *)n, q->arg))
		return false;
	if (hi > 0)
		return query(n->right, q);
	return true;
}

bool dtree_query(const struct dtree *t, struct dtree_query *q)
{
	return query(t->root, q);
}

int dtree_height(const struct dtree *t)
{
	return h_of(t->root);
}

static long check(const struct dtree_node *n, const struct dtree_node *parent,
		  const struct dtree_node **prev)
{
	long l, r;
	int hl, hr;
	u64 m;

	if (!n)
		return 0;
	if (n->parent != parent)
		return -1;
	l = check(n->left, n, prev);
	if (l < 0)
		return -1;
	if (*prev && key_cmp((*prev)->k1, (*prev)->k2, (*prev)->k3, n) >= 0)
		return -1;
	*prev = n;
	r = check(n->right, n, prev);
	if (r < 0)
		return -1;
	hl = h_of(n->left);
	hr = h_of(n->right);
	if (n->height != 1 + (hl > hr ? hl : hr) || hl - hr > 1 || hr - hl > 1)
		return -1;
	m = n->end;
	if (max_of(n->left) > m)
		m = max_of(n->left);
	if (max_of(n->right) > m)
		m = max_of(n->right);
	if (n->max_end != m)
		return -1;
	return l + r + 1;
}

long dtree_check(const struct dtree *t)
{
	const struct dtree_node *prev = NULL;
	long n = check(t->root, NULL, &prev);

	return n < 0 || (unsigned long)n != t->nr ? -1 : n;
}
