// SPDX-License-Identifier: MIT
/*
 * The IDR and the IDA (lib/idr.c's API) on the XArray of lib/xarray.c.
 *
 * An IDR is an allocating XArray whose index is the id less idr_base; a
 * NULL pointer is stored as a reservation, so its id stays allocated. An
 * IDA is an allocating XArray whose indices are its ids, each held by a
 * reservation (dmastack does not pack them into bitmaps as the kernel
 * does: the ids handed out are the same).
 *
 * Every call takes the array's lock unless the calling thread holds it
 * already (idr_lock()); callbacks and loop bodies run without it.
 */
#include <dmastack/linux/idr.h>
#include "xa_internal.h"

/* ---- IDR ------------------------------------------------------------------ */

/**
 * idr_alloc_u32() - allocate an id for @ptr
 * @idr: the IDR
 * @ptr: the pointer (NULL holds the id without a pointer)
 * @nextid: the lowest id wanted; set to the id allocated
 * @max: the highest id wanted (inclusive)
 * @gfp: for the memory
 *
 * Return: 0, -ENOSPC (no free id in [*@nextid, @max]), -ENOMEM.
 */
int idr_alloc_u32(struct idr *idr, void *ptr, u32 *nextid, unsigned long max,
		  gfp_t gfp)
{
	unsigned int base = idr->idr_base;
	unsigned long id = *nextid, index;
	bool taken;
	int err;

	if (max > UINT_MAX)
		max = UINT_MAX;
	if (max < base)
		return -ENOSPC;
	id = id < base ? 0 : id - base;
	taken = xa_lock_unless_held(&idr->idr_rt);
	err = xa_alloc_range(&idr->idr_rt, &index, ptr, id, max - base, gfp);
	xa_unlock_if_taken(&idr->idr_rt, taken);
	if (err == -EBUSY)
		return -ENOSPC;
	if (err)
		return err;
	*nextid = (u32)(index + base);
	return 0;
}

/**
 * idr_alloc() - allocate the lowest free id of [@start, @end) for @ptr
 * @idr: the IDR
 * @ptr: the pointer (NULL holds the id without a pointer)
 * @start: the lowest id (not negative)
 * @end: one above the highest id; 0 or less for up to INT_MAX
 * @gfp: for the memory
 *
 * Return: the id, -ENOSPC, -ENOMEM, or -EINVAL for a negative @start (a
 * WARN).
 */
int idr_alloc(struct idr *idr, void *ptr, int start, int end, gfp_t gfp)
{
	u32 id = (u32)start;
	int ret;

	if (WARN_ON_ONCE(start < 0))
		return -EINVAL;
	ret = idr_alloc_u32(idr, ptr, &id, end > 0 ? end - 1 : INT_MAX, gfp);
	if (ret)
		return ret;
	return (int)id;
}

/**
 * idr_alloc_cyclic() - allocate an id, searching on from the last one
 * @idr: the IDR
 * @ptr: the pointer
 * @start: the lowest id
 * @end: one above the highest id; 0 or less for up to INT_MAX
 * @gfp: for the memory
 *
 * The search starts after the id allocated last and wraps to @start.
 * Return: as idr_alloc().
 */
int idr_alloc_cyclic(struct idr *idr, void *ptr, int start, int end,
		     gfp_t gfp)
{
	u32 id = READ_ONCE(idr->idr_next);
	int err, max = end > 0 ? end - 1 : INT_MAX;

	if ((int)id < start)
		id = (u32)start;
	err = idr_alloc_u32(idr, ptr, &id, (unsigned long)max, gfp);
	if (err == -ENOSPC && id > (u32)start) {
		id = (u32)start;
		err = idr_alloc_u32(idr, ptr, &id, (unsigned long)max, gfp);
	}
	if (err)
		return err;
	WRITE_ONCE(idr->idr_next, id + 1);
	return (int)id;
}

void *idr_remove(struct idr *idr, unsigned long id)
{
	bool taken = xa_lock_unless_held(&idr->idr_rt);
	void *entry = __xa_erase(&idr->idr_rt, id - idr->idr_base);

	xa_unlock_if_taken(&idr->idr_rt, taken);
	return entry;
}

void *idr_find(const struct idr *idr, unsigned long id)
{
	return xa_load((struct xarray *)&idr->idr_rt, id - idr->idr_base);
}

/**
 * idr_for_each() - call @fn for each pointer in @idr
 * @idr: the IDR
 * @fn: called with the id, the pointer and @data; nonzero stops
 * @data: for @fn
 *
 * Ids held with a NULL pointer are skipped. @fn may change @idr.
 * Return: the first nonzero value of @fn, or 0.
 */
int idr_for_each(const struct idr *idr,
		 int (*fn)(int id, void *p, void *data), void *data)
{
	struct xarray *xa = (struct xarray *)&idr->idr_rt;
	unsigned long index = 0;
	void *entry;

	while ((entry = xa_find(xa, &index, ULONG_MAX, XA_PRESENT))) {
		unsigned long id = index + idr->idr_base;
		int ret;

		if (WARN_ON_ONCE(id > INT_MAX))
			break;
		ret = fn((int)id, entry, data);
		if (ret)
			return ret;
		if (index == ULONG_MAX)
			break;
		index++;
	}
	return 0;
}

void *idr_get_next_ul(struct idr *idr, unsigned long *nextid)
{
	unsigned long base = idr->idr_base;
	unsigned long index = *nextid < base ? 0 : *nextid - base;
	void *entry = xa_find(&idr->idr_rt, &index, ULONG_MAX, XA_PRESENT);

	if (!entry)
		return NULL;
	*nextid = index + base;
	return entry;
}

void *idr_get_next(struct idr *idr, int *nextid)
{
	unsigned long id = (unsigned long)(long)*nextid;
	void *entry = idr_get_next_ul(idr, &id);

	if (WARN_ON_ONCE(id > INT_MAX))
		return NULL;
	*nextid = (int)id;
	return entry;
}

/**
 * idr_replace() - put @ptr at an allocated id
 * @idr: the IDR
 * @ptr: the new pointer (NULL keeps the id allocated)
 * @id: the id
 *
 * Return: the old pointer (NULL if there was none), or ERR_PTR(-ENOENT)
 * when @id is not allocated.
 */
void *idr_replace(struct idr *idr, void *ptr, unsigned long id)
{
	struct xarray *xa = &idr->idr_rt;
	bool taken = xa_lock_unless_held(xa);
	void *old;

	id -= idr->idr_base;
	if (!xa_occupied(xa, id))
		old = ERR_PTR(-ENOENT);
	else
		old = __xa_store(xa, id, ptr, GFP_NOWAIT);
	xa_unlock_if_taken(xa, taken);
	return old;
}

/* Free the IDR's memory (not the pointers); it is empty afterwards. */
void idr_destroy(struct idr *idr)
{
	xa_destroy(&idr->idr_rt);
}

/* ---- IDA ------------------------------------------------------------------ */

/**
 * ida_alloc_range() - allocate the lowest free id of [@min, @max]
 * @ida: the IDA
 * @min: the lowest id
 * @max: the highest id (above INT_MAX: INT_MAX)
 * @gfp: for the memory
 *
 * Context: any; takes the IDA's lock.
 * Return: the id, -ENOSPC (none free; @min above INT_MAX or above @max),
 * -ENOMEM.
 */
int ida_alloc_range(struct ida *ida, unsigned int min, unsigned int max,
		    gfp_t gfp)
{
	unsigned long id;
	bool taken;
	int err;

	if ((int)min < 0)
		return -ENOSPC;
	if ((int)max < 0)
		max = INT_MAX;
	taken = xa_lock_unless_held(&ida->xa);
	err = xa_alloc_range(&ida->xa, &id, NULL, min, max, gfp);
	xa_unlock_if_taken(&ida->xa, taken);
	if (err == -EBUSY)
		return -ENOSPC;
	if (err)
		return err;
	return (int)id;
}

/**
 * ida_free() - give an id back
 * @ida: the IDA
 * @id: an id ida_alloc_range() gave
 *
 * An id that is not allocated is a WARN, as the kernel's. Context: any.
 */
void ida_free(struct ida *ida, unsigned int id)
{
	bool taken, held;

	if ((int)id < 0)
		return;
	taken = xa_lock_unless_held(&ida->xa);
	held = xa_occupied(&ida->xa, id);
	if (held)
		__xa_erase(&ida->xa, id);
	xa_unlock_if_taken(&ida->xa, taken);
	WARN(!held, "ida_free called for id=%d which is not allocated.\n",
	     (int)id);
}

/* Free every id and the IDA's memory. */
void ida_destroy(struct ida *ida)
{
	xa_destroy(&ida->xa);
}
