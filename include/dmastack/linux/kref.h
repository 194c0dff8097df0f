/* SPDX-License-Identifier: MIT */
/*
 * struct kref: an object's reference count (a refcount_t, saturating as
 * <linux/refcount.h> says) and the release function called when the last
 * reference goes.
 */
#ifndef _DMASTACK_LINUX_KREF_H
#define _DMASTACK_LINUX_KREF_H

#include "types.h"
#include "compiler.h"
#include "refcount.h"
#include "spinlock.h"
#include "mutex.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kref {
	refcount_t refcount;
};

#define KREF_INIT(n)	{ .refcount = REFCOUNT_INIT(n) }

/* One reference: the creator's. */
static inline void kref_init(struct kref *kref)
{
	refcount_set(&kref->refcount, 1);
}

static inline unsigned int kref_read(const struct kref *kref)
{
	return refcount_read(&kref->refcount);
}

/* Another reference; the caller holds one already. */
static inline void kref_get(struct kref *kref)
{
	refcount_inc(&kref->refcount);
}

/*
 * Drop a reference; the last one calls @release(@kref), which frees the
 * object. 1 if it was released (the caller must not touch it), else 0.
 */
static inline int kref_put(struct kref *kref,
			   void (*release)(struct kref *kref))
{
	if (!refcount_dec_and_test(&kref->refcount))
		return 0;
	release(kref);
	return 1;
}

/*
 * As kref_put(), with @release called with @lock held (lookups that find
 * the object under @lock cannot race with its release); @release unlocks.
 */
static inline int kref_put_mutex(struct kref *kref,
				 void (*release)(struct kref *kref),
				 struct mutex *lock)
{
	if (!refcount_dec_and_mutex_lock(&kref->refcount, lock))
		return 0;
	release(kref);
	return 1;
}

static inline int kref_put_lock(struct kref *kref,
				void (*release)(struct kref *kref),
				spinlock_t *lock)
{
	if (!refcount_dec_and_lock(&kref->refcount, lock))
		return 0;
	release(kref);
	return 1;
}

/*
 * A reference unless the count already reached 0 (the object is being
 * released: a lookup under a lock must not revive it). 1 if taken.
 */
static inline int __must_check kref_get_unless_zero(struct kref *kref)
{
	return refcount_inc_not_zero(&kref->refcount);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_KREF_H */
