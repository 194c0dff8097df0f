/* SPDX-License-Identifier: MIT */
/*
 * The XArray: an array of pointers indexed by unsigned long, with the
 * kernel's normal API (xa_load(), xa_store(), xa_alloc(), the iterators,
 * marks) and its locked forms (__xa_store() and friends, under xa_lock()).
 *
 * The storage is dmastack's own: one block of (index, entry, marks)
 * slots kept sorted by index, grown and shrunk with kmalloc() on the
 * current machine (<linux/slab.h>) as the gfp argument says. A store that
 * needs more room and does not get it returns the -ENOMEM error entry and
 * changes nothing. An empty array holds no memory.
 *
 * Entries are pointers aligned to 4 bytes, value entries (xa_mk_value())
 * and tagged pointers. The kernel's internal entries (low bits 10) are not
 * entries: storing one is refused with -EINVAL and a WARN (the reserved
 * entry, XA_ZERO_ENTRY, is the one exception: it reserves an index).
 *
 * Locking is the kernel's: the writers take xa_lock; the __ forms expect
 * the caller to hold it (a WARN otherwise, as lockdep's). The readers
 * (xa_load(), xa_find(), the iterators, xa_get_mark()) are RCU readers in
 * the kernel and may run with or without xa_lock held: here they take it
 * unless the calling thread holds it already. xa_empty() reads without it.
 *
 * Allocating arrays (XA_FLAGS_ALLOC, XA_FLAGS_ALLOC1) find the lowest free
 * index of a range; XA_FLAGS_ALLOC1 never hands out index 0. Storing NULL
 * in an allocating array keeps the index allocated (reserved); xa_erase()
 * frees it. XA_FLAGS_LOCK_IRQ and XA_FLAGS_LOCK_BH are accepted (the lock
 * forms are all one here).
 */
#ifndef _DMASTACK_LINUX_XARRAY_H
#define _DMASTACK_LINUX_XARRAY_H

#include <limits.h>
#include "types.h"
#include "compiler.h"
#include "bug.h"
#include "spinlock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- entries ------------------------------------------------------------ */

#define BITS_PER_XA_VALUE	(8 * (int)sizeof(long) - 1)

/* An integer (up to LONG_MAX) as an entry. */
static inline void *xa_mk_value(unsigned long v)
{
	WARN_ON((long)v < 0);
	return (void *)((v << 1) | 1);
}

static inline unsigned long xa_to_value(const void *entry)
{
	return (unsigned long)entry >> 1;
}

static inline bool xa_is_value(const void *entry)
{
	return (unsigned long)entry & 1;
}

/* A pointer with a tag (0, 1 or 3) in its low bits. */
static inline void *xa_tag_pointer(void *p, unsigned long tag)
{
	return (void *)((unsigned long)p | tag);
}

static inline void *xa_untag_pointer(void *entry)
{
	return (void *)((unsigned long)entry & ~3UL);
}

static inline unsigned int xa_pointer_tag(void *entry)
{
	return (unsigned long)entry & 3UL;
}

/* The XArray's own entries: never stored by its users. */
static inline void *xa_mk_internal(unsigned long v)
{
	return (void *)((v << 2) | 2);
}

static inline unsigned long xa_to_internal(const void *entry)
{
	return (unsigned long)entry >> 2;
}

static inline bool xa_is_internal(const void *entry)
{
	return ((unsigned long)entry & 3) == 2;
}

/* A reserved index: loads as NULL, but the index is in use. */
#define XA_ZERO_ENTRY		xa_mk_internal(257)

static inline bool xa_is_zero(const void *entry)
{
	return unlikely(entry == XA_ZERO_ENTRY);
}

/* An errno as the entry a store returns. */
#define XA_ERROR(errno)		((struct xa_node *)(((unsigned long)(errno) << 2) | 2UL))

static inline bool xa_is_err(const void *entry)
{
	return unlikely(xa_is_internal(entry) &&
			entry >= xa_mk_internal(-MAX_ERRNO));
}

/* The errno in @entry, or 0 when it is not an error. */
static inline int xa_err(void *entry)
{
	if (xa_is_err(entry))
		return (long)entry >> 2;
	return 0;
}

/* ---- limits and marks ------------------------------------------------- */

/* An inclusive range of ids for xa_alloc(). */
struct xa_limit {
	u32 max;
	u32 min;
};

#define XA_LIMIT(_min, _max)	(struct xa_limit) { .min = _min, .max = _max }
#define xa_limit_32b	XA_LIMIT(0, UINT_MAX)
#define xa_limit_31b	XA_LIMIT(0, INT_MAX)
#define xa_limit_16b	XA_LIMIT(0, USHRT_MAX)

typedef unsigned __bitwise xa_mark_t;
#define XA_MARK_0		((__force xa_mark_t)0U)
#define XA_MARK_1		((__force xa_mark_t)1U)
#define XA_MARK_2		((__force xa_mark_t)2U)
#define XA_PRESENT		((__force xa_mark_t)8U)
#define XA_MARK_MAX		XA_MARK_2
#define XA_FREE_MARK		XA_MARK_0

enum xa_lock_type {
	XA_LOCK_IRQ = 1,
	XA_LOCK_BH = 2,
};

#define XA_FLAGS_LOCK_IRQ	((__force gfp_t)XA_LOCK_IRQ)
#define XA_FLAGS_LOCK_BH	((__force gfp_t)XA_LOCK_BH)
#define XA_FLAGS_TRACK_FREE	((__force gfp_t)4U)
#define XA_FLAGS_ZERO_BUSY	((__force gfp_t)8U)
#define XA_FLAGS_ALLOC_WRAPPED	((__force gfp_t)16U)
#define XA_FLAGS_ACCOUNT	((__force gfp_t)32U)
#define XA_FLAGS_MARK(mark)	((__force gfp_t)((1U << 26) << (__force unsigned)(mark)))

#define XA_FLAGS_ALLOC		(XA_FLAGS_TRACK_FREE | XA_FLAGS_MARK(XA_FREE_MARK))
#define XA_FLAGS_ALLOC1		(XA_FLAGS_TRACK_FREE | XA_FLAGS_ZERO_BUSY)

/* ---- the array --------------------------------------------------------- */

struct xa_node;

struct xarray {
	spinlock_t xa_lock;
	gfp_t xa_flags;
	void __rcu *xa_head;	/* the slot block; NULL when empty */
};

#define XARRAY_INIT(name, flags) {					\
	.xa_lock = __SPIN_LOCK_INITIALIZER(name.xa_lock),		\
	.xa_flags = flags,						\
	.xa_head = NULL,						\
}

#define DEFINE_XARRAY_FLAGS(name, flags)				\
	struct xarray name = XARRAY_INIT(name, flags)
#define DEFINE_XARRAY(name)		DEFINE_XARRAY_FLAGS(name, 0)
#define DEFINE_XARRAY_ALLOC(name)	DEFINE_XARRAY_FLAGS(name, XA_FLAGS_ALLOC)
#define DEFINE_XARRAY_ALLOC1(name)	DEFINE_XARRAY_FLAGS(name, XA_FLAGS_ALLOC1)

static inline void xa_init_flags(struct xarray *xa, gfp_t flags)
{
	spin_lock_init(&xa->xa_lock);
	xa->xa_flags = flags;
	WRITE_ONCE(xa->xa_head, NULL);
}

static inline void xa_init(struct xarray *xa)
{
	xa_init_flags(xa, 0);
}

/* Nothing stored (reserved indices count as stored). */
static inline bool xa_empty(const struct xarray *xa)
{
	return READ_ONCE(xa->xa_head) == NULL;
}

#define xa_trylock(xa)		spin_trylock(&(xa)->xa_lock)
#define xa_lock(xa)		spin_lock(&(xa)->xa_lock)
#define xa_unlock(xa)		spin_unlock(&(xa)->xa_lock)
#define xa_lock_bh(xa)		spin_lock_bh(&(xa)->xa_lock)
#define xa_unlock_bh(xa)	spin_unlock_bh(&(xa)->xa_lock)
#define xa_lock_irq(xa)		spin_lock_irq(&(xa)->xa_lock)
#define xa_unlock_irq(xa)	spin_unlock_irq(&(xa)->xa_lock)
#define xa_lock_irqsave(xa, flags)					\
	spin_lock_irqsave(&(xa)->xa_lock, flags)
#define xa_unlock_irqrestore(xa, flags)					\
	spin_unlock_irqrestore(&(xa)->xa_lock, flags)
#define xa_lock_nested(xa, subclass)					\
	spin_lock_nested(&(xa)->xa_lock, subclass)

/* The normal API: each call takes and releases xa_lock. */
void *xa_load(struct xarray *xa, unsigned long index);
void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
void *xa_erase(struct xarray *xa, unsigned long index);
bool xa_get_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
/*
 * The first entry at or after *@indexp (after it: xa_find_after()), up
 * to @max, that has @filter (a mark, or XA_PRESENT); *@indexp is set to
 * its index. NULL if there is none (*@indexp is then unchanged).
 */
void *xa_find(struct xarray *xa, unsigned long *indexp, unsigned long max,
	      xa_mark_t filter);
void *xa_find_after(struct xarray *xa, unsigned long *indexp,
		    unsigned long max, xa_mark_t filter);
/* Up to @n entries of [@start, @max] with @filter into @dst; how many. */
unsigned int xa_extract(struct xarray *xa, void **dst, unsigned long start,
			unsigned long max, unsigned int n, xa_mark_t filter);
/* Free the array's memory (not the entries): empty again. */
void xa_destroy(struct xarray *xa);

/* The advanced API's locked forms: the caller holds xa_lock. */
void *__xa_erase(struct xarray *xa, unsigned long index);
void *__xa_store(struct xarray *xa, unsigned long index, void *entry,
		 gfp_t gfp);
void *__xa_cmpxchg(struct xarray *xa, unsigned long index, void *old,
		   void *entry, gfp_t gfp);
int __must_check __xa_insert(struct xarray *xa, unsigned long index,
			     void *entry, gfp_t gfp);
int __must_check __xa_alloc(struct xarray *xa, u32 *id, void *entry,
			    struct xa_limit limit, gfp_t gfp);
int __must_check __xa_alloc_cyclic(struct xarray *xa, u32 *id, void *entry,
				   struct xa_limit limit, u32 *next,
				   gfp_t gfp);
void __xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void __xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);

#define xa_for_each_range(xa, index, entry, start, last)		\
	for (index = start,						\
	     entry = xa_find(xa, &index, last, XA_PRESENT);		\
	     entry;							\
	     entry = xa_find_after(xa, &index, last, XA_PRESENT))

#define xa_for_each_start(xa, index, entry, start)			\
	xa_for_each_range(xa, index, entry, start, ULONG_MAX)

#define xa_for_each(xa, index, entry)					\
	xa_for_each_start(xa, index, entry, 0)

#define xa_for_each_marked(xa, index, entry, filter)			\
	for (index = 0, entry = xa_find(xa, &index, ULONG_MAX, filter);	\
	     entry; entry = xa_find_after(xa, &index, ULONG_MAX, filter))

static inline void *xa_store_bh(struct xarray *xa, unsigned long index,
				void *entry, gfp_t gfp)
{
	void *curr;

	xa_lock_bh(xa);
	curr = __xa_store(xa, index, entry, gfp);
	xa_unlock_bh(xa);
	return curr;
}

static inline void *xa_store_irq(struct xarray *xa, unsigned long index,
				 void *entry, gfp_t gfp)
{
	void *curr;

	xa_lock_irq(xa);
	curr = __xa_store(xa, index, entry, gfp);
	xa_unlock_irq(xa);
	return curr;
}

static inline void *xa_erase_bh(struct xarray *xa, unsigned long index)
{
	void *entry;

	xa_lock_bh(xa);
	entry = __xa_erase(xa, index);
	xa_unlock_bh(xa);
	return entry;
}

static inline void *xa_erase_irq(struct xarray *xa, unsigned long index)
{
	void *entry;

	xa_lock_irq(xa);
	entry = __xa_erase(xa, index);
	xa_unlock_irq(xa);
	return entry;
}

/*
 * Store @entry at @index if what is there is @old (compared as stored: a
 * reserved index holds XA_ZERO_ENTRY, not NULL). Returns what was there
 * (NULL for a reserved index), or an error entry.
 */
static inline void *xa_cmpxchg(struct xarray *xa, unsigned long index,
			       void *old, void *entry, gfp_t gfp)
{
	void *curr;

	xa_lock(xa);
	curr = __xa_cmpxchg(xa, index, old, entry, gfp);
	xa_unlock(xa);
	return curr;
}

static inline void *xa_cmpxchg_bh(struct xarray *xa, unsigned long index,
				  void *old, void *entry, gfp_t gfp)
{
	return xa_cmpxchg(xa, index, old, entry, gfp);
}

static inline void *xa_cmpxchg_irq(struct xarray *xa, unsigned long index,
				   void *old, void *entry, gfp_t gfp)
{
	return xa_cmpxchg(xa, index, old, entry, gfp);
}

/* Store @entry at @index if nothing is there: 0, -EBUSY, -ENOMEM, -EINVAL. */
static inline int __must_check xa_insert(struct xarray *xa,
					 unsigned long index, void *entry,
					 gfp_t gfp)
{
	int err;

	xa_lock(xa);
	err = __xa_insert(xa, index, entry, gfp);
	xa_unlock(xa);
	return err;
}

static inline int __must_check xa_insert_bh(struct xarray *xa,
					    unsigned long index, void *entry,
					    gfp_t gfp)
{
	return xa_insert(xa, index, entry, gfp);
}

static inline int __must_check xa_insert_irq(struct xarray *xa,
					     unsigned long index, void *entry,
					     gfp_t gfp)
{
	return xa_insert(xa, index, entry, gfp);
}

/*
 * Store @entry at the lowest free index of @limit, written to *@id:
 * 0, -EBUSY (no free index), -ENOMEM, -EINVAL (not an allocating array).
 */
static inline int __must_check xa_alloc(struct xarray *xa, u32 *id,
					void *entry, struct xa_limit limit,
					gfp_t gfp)
{
	int err;

	xa_lock(xa);
	err = __xa_alloc(xa, id, entry, limit, gfp);
	xa_unlock(xa);
	return err;
}

static inline int __must_check xa_alloc_bh(struct xarray *xa, u32 *id,
					   void *entry, struct xa_limit limit,
					   gfp_t gfp)
{
	return xa_alloc(xa, id, entry, limit, gfp);
}

static inline int __must_check xa_alloc_irq(struct xarray *xa, u32 *id,
					    void *entry, struct xa_limit limit,
					    gfp_t gfp)
{
	return xa_alloc(xa, id, entry, limit, gfp);
}

/*
 * As xa_alloc(), searching from *@next and wrapping to @limit's minimum;
 * *@next moves past the new id. 0, or 1 if the search wrapped, or the
 * errors of xa_alloc().
 */
static inline int xa_alloc_cyclic(struct xarray *xa, u32 *id, void *entry,
				  struct xa_limit limit, u32 *next, gfp_t gfp)
{
	int err;

	xa_lock(xa);
	err = __xa_alloc_cyclic(xa, id, entry, limit, next, gfp);
	xa_unlock(xa);
	return err;
}

static inline int xa_alloc_cyclic_bh(struct xarray *xa, u32 *id, void *entry,
				     struct xa_limit limit, u32 *next,
				     gfp_t gfp)
{
	return xa_alloc_cyclic(xa, id, entry, limit, next, gfp);
}

static inline int xa_alloc_cyclic_irq(struct xarray *xa, u32 *id, void *entry,
				      struct xa_limit limit, u32 *next,
				      gfp_t gfp)
{
	return xa_alloc_cyclic(xa, id, entry, limit, next, gfp);
}

/* Reserve @index (loads as NULL) unless something is there: 0 or -ENOMEM. */
static inline __must_check int xa_reserve(struct xarray *xa,
					  unsigned long index, gfp_t gfp)
{
	return xa_err(xa_cmpxchg(xa, index, NULL, XA_ZERO_ENTRY, gfp));
}

static inline __must_check int xa_reserve_bh(struct xarray *xa,
					     unsigned long index, gfp_t gfp)
{
	return xa_reserve(xa, index, gfp);
}

static inline __must_check int xa_reserve_irq(struct xarray *xa,
					      unsigned long index, gfp_t gfp)
{
	return xa_reserve(xa, index, gfp);
}

/* Give a reservation back (nothing if something was stored there). */
static inline void xa_release(struct xarray *xa, unsigned long index)
{
	xa_cmpxchg(xa, index, XA_ZERO_ENTRY, NULL, 0);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_XARRAY_H */
