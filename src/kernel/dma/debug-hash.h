/* SPDX-License-Identifier: MIT */
/*
 * dma-debug's exact-key index: a hash table of chains, intrusive, that
 * doubles when it holds more nodes than half its slots (pages of a 2 MiB
 * run share a block of slots, and blocks of runs meeting make chains).
 * The kernel keeps active cache lines in a radix tree; a table answers
 * the same questions (is this line or page known, and its record) in one
 * or two cache misses at any number of live mappings.
 *
 * Keys are line or page numbers: a table made with @fine_bits spreads the
 * low @fine_bits of a key (the lines of a page) over the table and gives
 * consecutive pages of a 2 MiB run consecutive slots, so buffers mapped
 * one page after another stay in a few lines of the table.
 *
 * No locking: the owner serialises every call on a table.
 */
#ifndef _DMASTACK_DMA_DEBUG_HASH_H
#define _DMASTACK_DMA_DEBUG_HASH_H

#include <dmastack/types.h>

struct dhash_node {
	struct dhash_node *next;
	u64 key;
};

struct dhash {
	struct dhash_node **slot;
	unsigned long mask;		/* slots - 1 (0: no table yet) */
	unsigned long count;
	unsigned int fine_bits;
};

/* The node with @key, or NULL. */
struct dhash_node *dhash_find(const struct dhash *h, u64 key);
/*
 * Add @n (its key set, not in @h). Returns 0, or -ENOMEM if @h has no
 * table yet and none could be made; a table that cannot grow keeps its
 * size (its chains get longer, nothing is lost).
 */
int dhash_add(struct dhash *h, struct dhash_node *n);
/* Remove @n, which is in @h. */
void dhash_del(struct dhash *h, struct dhash_node *n);
/* The longest chain (for tests: the cost of a look-up). */
unsigned long dhash_longest(const struct dhash *h);
/* Free the table, handing every node still in it to @free_node. */
void dhash_destroy(struct dhash *h, void (*free_node)(struct dhash_node *n));

#endif
