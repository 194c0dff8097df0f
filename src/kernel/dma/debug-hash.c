// SPDX-License-Identifier: MIT
/* dma-debug's exact-key index (debug-hash.h). */
#include <stdlib.h>
#include <errno.h>
#include "debug-hash.h"

#define DHASH_FIRST	1024UL

/*
 * The pages of one 2 MiB run share a block of 512 slots that a
 * multiplicative hash of the run picks (whatever bits a caller's sharding
 * keeps constant), each page its own slot of it, neighbours in the same
 * cache line of the table; a run with one page in use lands anywhere.
 * The fine bits (the lines of a page) spread over the whole table.
 */
static inline unsigned long dhash_slot(const struct dhash *h, unsigned long mask,
				       u64 key)
{
	u64 coarse = key >> h->fine_bits;
	u64 fine = key & ((1ULL << h->fine_bits) - 1);
	u64 run = ((coarse >> 9) * 0x9e3779b97f4a7c15ULL) >> 20;

	return (unsigned long)((run ^ (coarse & 511)) + fine * 0x9e3779b1ULL) &
	       mask;
}

struct dhash_node *dhash_find(const struct dhash *h, u64 key)
{
	struct dhash_node *n;

	if (!h->slot)
		return NULL;
	for (n = h->slot[dhash_slot(h, h->mask, key)]; n; n = n->next)
		if (n->key == key)
			return n;
	return NULL;
}

/* Twice the slots; false (and @h as it was) without memory. */
static bool dhash_grow(struct dhash *h)
{
	unsigned long size = h->slot ? 2 * (h->mask + 1) : DHASH_FIRST;
	struct dhash_node **slot = calloc(size, sizeof(*slot));

	if (!slot)
		return false;
	for (unsigned long i = 0; h->slot && i <= h->mask; i++)
		for (struct dhash_node *n = h->slot[i], *next; n; n = next) {
			unsigned long s = dhash_slot(h, size - 1, n->key);

			next = n->next;
			n->next = slot[s];
			slot[s] = n;
		}
	free(h->slot);
	h->slot = slot;
	h->mask = size - 1;
	return true;
}

int dhash_add(struct dhash *h, struct dhash_node *n)
{
	struct dhash_node **head;

	if ((!h->slot || h->count > h->mask / 2) && !dhash_grow(h) && !h->slot)
		return -ENOMEM;
	head = &h->slot[dhash_slot(h, h->mask, n->key)];
	n->next = *head;
	*head = n;
	h->count++;
	return 0;
}

void dhash_del(struct dhash *h, struct dhash_node *n)
{
	struct dhash_node **pp = &h->slot[dhash_slot(h, h->mask, n->key)];

	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	h->count--;
}

unsigned long dhash_longest(const struct dhash *h)
{
	unsigned long most = 0;

	for (unsigned long i = 0; h->slot && i <= h->mask; i++) {
		unsigned long len = 0;

		for (struct dhash_node *n = h->slot[i]; n; n = n->next)
			len++;
		if (len > most)
			most = len;
	}
	return most;
}

void dhash_destroy(struct dhash *h, void (*free_node)(struct dhash_node *n))
{
	for (unsigned long i = 0; h->slot && i <= h->mask; i++)
		for (struct dhash_node *n = h->slot[i], *next; n; n = next) {
			next = n->next;
			free_node(n);
		}
	free(h->slot);
	h->slot = NULL;
	h->mask = h->count = 0;
}
