// SPDX-License-Identifier: MIT
/*
 * The XArray (lib/xarray.c's API) on dmastack's own storage: one block of
 * slots, (index, entry, marks), sorted by index and searched by bisection.
 * The block comes from kmalloc() on the current machine with the caller's
 * gfp; it doubles when full and halves when a quarter full (an erase never
 * fails: when the smaller block is not to be had, the larger one stays;
 * the sizes are the kmalloc sizes it grew through, never below the first),
 * and goes when the last entry does. Every change that needs memory gets
 * it before it touches anything, so a failed allocation changes nothing.
 *
 * Allocating arrays keep no free mark: the lowest free index at or above
 * a minimum is found by bisection too, since below the first gap the
 * slots from the minimum on hold consecutive indices.
 */
#include <string.h>
#include <dmastack/linux/xarray.h>
#include <dmastack/linux/slab.h>
#include "xa_internal.h"

struct xa_slot {
	unsigned long index;
	void *entry;
	unsigned long marks;	/* bit n: XA_MARK_n */
};

struct xa_block {
	unsigned long nr;	/* slots in use, sorted by index */
	unsigned long size;	/* slots the block holds */
	struct xa_slot slot[];
};

#define XA_MIN_SLOTS	8UL

static struct xa_block *xa_block(const struct xarray *xa)
{
	return xa->xa_head;
}

static bool xa_track_free(const struct xarray *xa)
{
	return xa->xa_flags & XA_FLAGS_TRACK_FREE;
}

static void *xa_zero_to_null(void *entry)
{
	return xa_is_zero(entry) ? NULL : entry;
}

/* The kernel's own entries cannot be stored; XA_ZERO_ENTRY reserves. */
static bool xa_refused(const void *entry)
{
	return WARN(xa_is_internal(entry) && entry != XA_ZERO_ENTRY,
		    "xarray: %p is an internal entry, it cannot be stored",
		    entry);
}

static bool xa_mark_valid(xa_mark_t mark)
{
	return !WARN((__force unsigned int)mark > (__force unsigned int)XA_MARK_MAX,
		     "xarray: mark %u is not one of XA_MARK_0..XA_MARK_2",
		     (__force unsigned int)mark);
}

/* The first slot whose index is @index or above (b->nr if none). */
static unsigned long xa_lower_bound(const struct xa_block *b,
				    unsigned long index)
{
	unsigned long lo = 0, hi = b->nr;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (b->slot[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The slot of @index, or NULL. */
static struct xa_slot *xa_slot_of(const struct xarray *xa, unsigned long index)
{
	struct xa_block *b = xa_block(xa);
	unsigned long i;

	if (!b)
		return NULL;
	i = xa_lower_bound(b, index);
	if (i < b->nr && b->slot[i].index == index)
		return &b->slot[i];
	return NULL;
}

static unsigned long xa_slots_fit(size_t bytes)
{
	return (bytes - sizeof(struct xa_block)) / sizeof(struct xa_slot);
}

/* The bytes of a block of @slots slots. */
static size_t xa_block_bytes(unsigned long slots)
{
	return sizeof(struct xa_block) + slots * sizeof(struct xa_slot);
}

/* A block of @bytes (or more, as ksize() says) holding @old's slots. */
static struct xa_block *xa_block_new(const struct xa_block *old, size_t bytes,
				     gfp_t gfp)
{
	struct xa_block *n;

	n = kmalloc(bytes, gfp & ~__GFP_ZERO);
	if (!n)
		return NULL;
	n->size = xa_slots_fit(ksize(n));
	n->nr = 0;
	if (old) {
		n->nr = old->nr;
		memcpy(n->slot, old->slot, old->nr * sizeof(old->slot[0]));
	}
	return n;
}

static void xa_block_set(struct xarray *xa, struct xa_block *n)
{
	WRITE_ONCE(xa->xa_head, (void *)n);
}

/* Room for one more slot: 0 or -ENOMEM (nothing changed). */
static int xa_room(struct xarray *xa, gfp_t gfp)
{
	struct xa_block *b = xa_block(xa), *n;

	if (b && b->nr < b->size)
		return 0;
	n = xa_block_new(b, xa_block_bytes(b ? b->size * 2 : XA_MIN_SLOTS), gfp);
	if (!n)
		return -ENOMEM;
	xa_block_set(xa, n);
	kfree(b);
	return 0;
}

/* Put a new slot at @pos (xa_room() made room). */
static void xa_insert_at(struct xarray *xa, unsigned long pos,
			 unsigned long index, void *entry)
{
	struct xa_block *b = xa_block(xa);

	memmove(&b->slot[pos + 1], &b->slot[pos],
		(b->nr - pos) * sizeof(b->slot[0]));
	b->slot[pos] = (struct xa_slot){ .index = index, .entry = entry };
	b->nr++;
}

/* Take the slot of @index out; what it held (as stored), or NULL. */
static void *xa_remove(struct xarray *xa, unsigned long index)
{
	struct xa_block *b = xa_block(xa), *n;
	unsigned long pos;
	void *entry;

	if (!b)
		return NULL;
	pos = xa_lower_bound(b, index);
	if (pos == b->nr || b->slot[pos].index != index)
		return NULL;
	entry = b->slot[pos].entry;
	b->nr--;
	memmove(&b->slot[pos], &b->slot[pos + 1],
		(b->nr - pos) * sizeof(b->slot[0]));
	if (!b->nr) {
		xa_block_set(xa, NULL);
		kfree(b);
	} else if (b->nr <= b->size / 4 &&
		   ksize(b) / 2 >= xa_block_bytes(XA_MIN_SLOTS)) {
		/* half the bytes: the kmalloc size the array grew through */
		n = xa_block_new(b, ksize(b) / 2, GFP_NOWAIT | __GFP_NOWARN);
		if (n && n->size < b->size) {
			xa_block_set(xa, n);
			kfree(b);
		} else {
			kfree(n);
		}
	}
	return entry;
}

bool xa_lock_unless_held(struct xarray *xa)
{
	if (lockdep_is_held(&xa->xa_lock))
		return false;
	xa_lock(xa);
	return true;
}

void xa_unlock_if_taken(struct xarray *xa, bool taken)
{
	if (taken)
		xa_unlock(xa);
}

bool xa_occupied(struct xarray *xa, unsigned long index)
{
	return xa_slot_of(xa, index) != NULL;
}

/* ---- reading ------------------------------------------------------------ */

/**
 * xa_load() - the entry at @index
 * @xa: the array
 * @index: the index
 *
 * Context: any; takes xa_lock unless the calling thread holds it.
 * Return: the entry, or NULL (nothing there, or a reserved index).
 */
void *xa_load(struct xarray *xa, unsigned long index)
{
	bool taken = xa_lock_unless_held(xa);
	struct xa_slot *s = xa_slot_of(xa, index);
	void *entry = s ? xa_zero_to_null(s->entry) : NULL;

	xa_unlock_if_taken(xa, taken);
	return entry;
}

/* The first entry of [@start, @max] with @filter; its index in *@found. */
static void *xa_find_from(struct xarray *xa, unsigned long start,
			  unsigned long max, xa_mark_t filter,
			  unsigned long *found)
{
	struct xa_block *b = xa_block(xa);
	unsigned long i;

	if (!b || start > max)
		return NULL;
	if (filter != XA_PRESENT && !xa_mark_valid(filter))
		return NULL;
	for (i = xa_lower_bound(b, start);
	     i < b->nr && b->slot[i].index <= max; i++) {
		const struct xa_slot *s = &b->slot[i];

		if (xa_is_zero(s->entry))
			continue;
		if (filter != XA_PRESENT &&
		    !(s->marks & (1UL << (__force unsigned int)filter)))
			continue;
		*found = s->index;
		return s->entry;
	}
	return NULL;
}

/**
 * xa_find() - the first entry at or after *@indexp
 * @xa: the array
 * @indexp: where to start; set to the index of the entry found
 * @max: the last index to look at
 * @filter: a mark the entry must have, or XA_PRESENT
 *
 * Reserved indices are skipped. Context: as xa_load().
 * Return: the entry, or NULL (*@indexp unchanged).
 */
void *xa_find(struct xarray *xa, unsigned long *indexp, unsigned long max,
	      xa_mark_t filter)
{
	bool taken = xa_lock_unless_held(xa);
	void *entry = xa_find_from(xa, *indexp, max, filter, indexp);

	xa_unlock_if_taken(xa, taken);
	return entry;
}

/**
 * xa_find_after() - the first entry after *@indexp
 * @xa: the array
 * @indexp: the index to look past; set to the index of the entry found
 * @max: the last index to look at
 * @filter: a mark the entry must have, or XA_PRESENT
 *
 * Return: as xa_find().
 */
void *xa_find_after(struct xarray *xa, unsigned long *indexp,
		    unsigned long max, xa_mark_t filter)
{
	bool taken;
	void *entry;

	if (*indexp == ULONG_MAX)
		return NULL;
	taken = xa_lock_unless_held(xa);
	entry = xa_find_from(xa, *indexp + 1, max, filter, indexp);
	xa_unlock_if_taken(xa, taken);
	return entry;
}

/**
 * xa_extract() - copy entries out
 * @xa: the array
 * @dst: where to put them
 * @start: the first index to look at
 * @max: the last index to look at
 * @n: the room in @dst
 * @filter: a mark the entries must have, or XA_PRESENT
 *
 * Return: how many entries were copied.
 */
unsigned int xa_extract(struct xarray *xa, void **dst, unsigned long start,
			unsigned long max, unsigned int n, xa_mark_t filter)
{
	bool taken = xa_lock_unless_held(xa);
	unsigned int copied = 0;
	unsigned long index = start;
	void *entry;

	while (copied < n &&
	       (entry = xa_find_from(xa, index, max, filter, &index))) {
		dst[copied++] = entry;
		if (index == ULONG_MAX)
			break;
		index++;
	}
	xa_unlock_if_taken(xa, taken);
	return copied;
}

/* ---- storing (xa_lock held) ---------------------------------------------- */

/**
 * __xa_erase() - erase the entry at @index, xa_lock held
 * @xa: the array
 * @index: the index
 *
 * Return: the entry that was there (NULL for a reserved index).
 */
void *__xa_erase(struct xarray *xa, unsigned long index)
{
	lockdep_assert_held(&xa->xa_lock);
	return xa_zero_to_null(xa_remove(xa, index));
}

/**
 * __xa_store() - store @entry at @index, xa_lock held
 * @xa: the array
 * @index: the index
 * @entry: the new entry; NULL erases (reserves, in an allocating array)
 * @gfp: for the memory a new index needs
 *
 * Return: the entry that was there (NULL for a reserved index), or
 * XA_ERROR(-EINVAL) for an internal entry, XA_ERROR(-ENOMEM).
 */
void *__xa_store(struct xarray *xa, unsigned long index, void *entry,
		 gfp_t gfp)
{
	struct xa_block *b;
	unsigned long pos;
	void *curr;

	lockdep_assert_held(&xa->xa_lock);
	if (xa_refused(entry))
		return XA_ERROR(-EINVAL);
	if (!entry && xa_track_free(xa))
		entry = XA_ZERO_ENTRY;
	if (!entry)
		return xa_zero_to_null(xa_remove(xa, index));
	b = xa_block(xa);
	pos = b ? xa_lower_bound(b, index) : 0;
	if (b && pos < b->nr && b->slot[pos].index == index) {
		curr = b->slot[pos].entry;
		b->slot[pos].entry = entry;
		return xa_zero_to_null(curr);
	}
	if (xa_room(xa, gfp))
		return XA_ERROR(-ENOMEM);
	xa_insert_at(xa, pos, index, entry);
	return NULL;
}

/**
 * xa_store() - store @entry at @index
 * @xa: the array
 * @index: the index
 * @entry: the new entry; NULL erases (reserves, in an allocating array)
 * @gfp: for the memory a new index needs
 *
 * Context: takes xa_lock.
 * Return: as __xa_store().
 */
void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	void *curr;

	xa_lock(xa);
	curr = __xa_store(xa, index, entry, gfp);
	xa_unlock(xa);
	return curr;
}

/**
 * xa_erase() - erase the entry at @index
 * @xa: the array
 * @index: the index
 *
 * Context: takes xa_lock.
 * Return: the entry that was there (NULL for a reserved index).
 */
void *xa_erase(struct xarray *xa, unsigned long index)
{
	void *entry;

	xa_lock(xa);
	entry = __xa_erase(xa, index);
	xa_unlock(xa);
	return entry;
}

/**
 * __xa_cmpxchg() - store @entry at @index if @old is there, xa_lock held
 * @xa: the array
 * @index: the index
 * @old: what must be there (as stored: XA_ZERO_ENTRY for a reservation)
 * @entry: the new entry (NULL erases)
 * @gfp: for the memory a new index needs
 *
 * Return: what was there (NULL for a reserved index), or an error entry.
 */
void *__xa_cmpxchg(struct xarray *xa, unsigned long index, void *old,
		   void *entry, gfp_t gfp)
{
	struct xa_block *b;
	unsigned long pos;
	void *curr = NULL;

	lockdep_assert_held(&xa->xa_lock);
	if (xa_refused(entry))
		return XA_ERROR(-EINVAL);
	b = xa_block(xa);
	pos = b ? xa_lower_bound(b, index) : 0;
	if (b && pos < b->nr && b->slot[pos].index == index)
		curr = b->slot[pos].entry;
	if (curr != old)
		return xa_zero_to_null(curr);
	if (!entry)
		xa_remove(xa, index);
	else if (curr)
		b->slot[pos].entry = entry;
	else if (xa_room(xa, gfp))
		return XA_ERROR(-ENOMEM);
	else
		xa_insert_at(xa, pos, index, entry);
	return xa_zero_to_null(curr);
}

/**
 * __xa_insert() - store @entry at @index if nothing is there, xa_lock held
 * @xa: the array
 * @index: the index
 * @entry: the new entry (NULL reserves the index)
 * @gfp: for the memory a new index needs
 *
 * Return: 0, -EBUSY if @index is in use (reserved included), -ENOMEM,
 * -EINVAL for an internal entry.
 */
int __xa_insert(struct xarray *xa, unsigned long index, void *entry,
		gfp_t gfp)
{
	struct xa_block *b;
	unsigned long pos;

	lockdep_assert_held(&xa->xa_lock);
	if (xa_refused(entry))
		return -EINVAL;
	if (!entry)
		entry = XA_ZERO_ENTRY;
	b = xa_block(xa);
	pos = b ? xa_lower_bound(b, index) : 0;
	if (b && pos < b->nr && b->slot[pos].index == index)
		return -EBUSY;
	if (xa_room(xa, gfp))
		return -ENOMEM;
	xa_insert_at(xa, pos, index, entry);
	return 0;
}

int xa_alloc_range(struct xarray *xa, unsigned long *id, void *entry,
		   unsigned long min, unsigned long max, gfp_t gfp)
{
	struct xa_block *b;
	unsigned long lo, l, h;

	if (xa_refused(entry))
		return -EINVAL;
	if (WARN(!xa_track_free(xa),
		 "xarray: allocating from an array without XA_FLAGS_ALLOC"))
		return -EINVAL;
	if (!entry)
		entry = XA_ZERO_ENTRY;
	if (!min && (xa->xa_flags & XA_FLAGS_ZERO_BUSY))
		min = 1;
	if (min > max)
		return -EBUSY;
	b = xa_block(xa);
	lo = l = h = 0;
	if (b) {
		/*
		 * From @lo on the indices are @min, @min + 1, ... up to the
		 * first gap: bisect for the first slot i whose index is above
		 * @min + (i - @lo); the free index is there.
		 */
		lo = l = xa_lower_bound(b, min);
		h = b->nr;
		while (l < h) {
			unsigned long mid = l + (h - l) / 2;

			if (b->slot[mid].index - (mid - lo) > min)
				h = mid;
			else
				l = mid + 1;
		}
	}
	if (l - lo > max - min)
		return -EBUSY;
	if (xa_room(xa, gfp))
		return -ENOMEM;
	xa_insert_at(xa, l, min + (l - lo), entry);
	*id = min + (l - lo);
	return 0;
}

/**
 * __xa_alloc() - store @entry at the lowest free index of @limit, locked
 * @xa: an allocating array (XA_FLAGS_ALLOC or XA_FLAGS_ALLOC1)
 * @id: set to the index
 * @entry: the entry (NULL reserves the index)
 * @limit: the indices allowed
 * @gfp: for the memory
 *
 * Return: 0, -EBUSY (no free index in @limit), -ENOMEM, -EINVAL (an
 * internal entry, or an array that does not allocate: a WARN).
 */
int __xa_alloc(struct xarray *xa, u32 *id, void *entry, struct xa_limit limit,
	       gfp_t gfp)
{
	unsigned long index;
	int err;

	lockdep_assert_held(&xa->xa_lock);
	err = xa_alloc_range(xa, &index, entry, limit.min, limit.max, gfp);
	if (!err)
		*id = (u32)index;
	return err;
}

/**
 * __xa_alloc_cyclic() - __xa_alloc() from *@next, wrapping around
 * @xa: an allocating array
 * @id: set to the index
 * @entry: the entry (NULL reserves the index)
 * @limit: the indices allowed
 * @next: where the search starts; moved past the index allocated
 * @gfp: for the memory
 *
 * Return: 0, 1 if the allocation wrapped, or the errors of __xa_alloc().
 */
int __xa_alloc_cyclic(struct xarray *xa, u32 *id, void *entry,
		      struct xa_limit limit, u32 *next, gfp_t gfp)
{
	u32 min = limit.min;
	int ret;

	limit.min = *next > min ? *next : min;
	ret = __xa_alloc(xa, id, entry, limit, gfp);
	if ((xa->xa_flags & XA_FLAGS_ALLOC_WRAPPED) && ret == 0) {
		xa->xa_flags &= ~XA_FLAGS_ALLOC_WRAPPED;
		ret = 1;
	}
	if (ret < 0 && limit.min > min) {
		limit.min = min;
		ret = __xa_alloc(xa, id, entry, limit, gfp);
		if (ret == 0)
			ret = 1;
	}
	if (ret >= 0) {
		*next = *id + 1;
		if (*next == 0)
			xa->xa_flags |= XA_FLAGS_ALLOC_WRAPPED;
	}
	return ret;
}

/* ---- marks --------------------------------------------------------------- */

void __xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_slot *s;

	lockdep_assert_held(&xa->xa_lock);
	if (!xa_mark_valid(mark))
		return;
	s = xa_slot_of(xa, index);
	if (s)
		s->marks |= 1UL << (__force unsigned int)mark;
}

void __xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_slot *s;

	lockdep_assert_held(&xa->xa_lock);
	if (!xa_mark_valid(mark))
		return;
	s = xa_slot_of(xa, index);
	if (s)
		s->marks &= ~(1UL << (__force unsigned int)mark);
}

/**
 * xa_set_mark() - set @mark on the entry at @index
 * @xa: the array
 * @index: the index (nothing happens if nothing is there)
 * @mark: XA_MARK_0, XA_MARK_1 or XA_MARK_2
 *
 * Context: takes xa_lock.
 */
void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	xa_lock(xa);
	__xa_set_mark(xa, index, mark);
	xa_unlock(xa);
}

void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	xa_lock(xa);
	__xa_clear_mark(xa, index, mark);
	xa_unlock(xa);
}

/**
 * xa_get_mark() - is @mark set on the entry at @index?
 * @xa: the array
 * @index: the index
 * @mark: XA_MARK_0, XA_MARK_1 or XA_MARK_2
 *
 * Context: as xa_load(). Return: false when nothing is there.
 */
bool xa_get_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	bool taken, set = false;
	struct xa_slot *s;

	if (!xa_mark_valid(mark))
		return false;
	taken = xa_lock_unless_held(xa);
	s = xa_slot_of(xa, index);
	if (s)
		set = s->marks & (1UL << (__force unsigned int)mark);
	xa_unlock_if_taken(xa, taken);
	return set;
}

/**
 * xa_destroy() - free the array's memory
 * @xa: the array
 *
 * The entries themselves are the caller's. The array is empty afterwards
 * and may be used again. Context: takes xa_lock.
 */
void xa_destroy(struct xarray *xa)
{
	struct xa_block *b;

	xa_lock(xa);
	b = xa_block(xa);
	xa_block_set(xa, NULL);
	xa_unlock(xa);
	kfree(b);
}
