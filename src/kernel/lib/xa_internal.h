/* SPDX-License-Identifier: MIT */
/*
 * What lib/idr.c uses of lib/xarray.c beyond the kernel's API. Private to
 * the library (not installed, not exported).
 */
#ifndef _DMASTACK_XA_INTERNAL_H
#define _DMASTACK_XA_INTERNAL_H

#include <dmastack/linux/xarray.h>

/*
 * Take @xa's lock unless the calling thread holds it already (a reader,
 * or an IDR caller inside idr_lock()); true if it was taken, for
 * xa_unlock_if_taken().
 */
bool xa_lock_unless_held(struct xarray *xa);
void xa_unlock_if_taken(struct xarray *xa, bool taken);

/* Is @index in use (an entry, or reserved)? The caller holds the lock. */
bool xa_occupied(struct xarray *xa, unsigned long index);

/*
 * __xa_alloc() over an unsigned long range, the lowest free index of
 * [@min, @max] in *@id: 0, -EBUSY, -ENOMEM, -EINVAL. The caller holds the
 * lock.
 */
int xa_alloc_range(struct xarray *xa, unsigned long *id, void *entry,
		   unsigned long min, unsigned long max, gfp_t gfp);

#endif /* _DMASTACK_XA_INTERNAL_H */
