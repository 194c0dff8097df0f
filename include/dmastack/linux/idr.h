/* SPDX-License-Identifier: MIT */
/*
 * ID allocators, on the XArray (<linux/xarray.h>) as the kernel's are.
 *
 * struct idr maps ids (int, from idr_base on) to pointers: idr_alloc()
 * takes the lowest free id of [start, end) (end <= 0: up to INT_MAX),
 * idr_alloc_cyclic() the next one after the last it gave. A NULL pointer
 * holds its id (idr_find() gives NULL, idr_replace() fills it). The
 * kernel's IDR leaves locking to its user (or idr_lock()); here each call
 * also takes the array's lock unless the calling thread holds it
 * (idr_lock()), so concurrent callers cannot corrupt it. idr_preload() is
 * accepted and does nothing: an allocation under a spinlock simply
 * allocates.
 *
 * struct ida hands out bare ids: ida_alloc_range() the lowest free id of
 * [min, max] (max clamped to INT_MAX; -ENOSPC when there is none or min is
 * above INT_MAX), ida_free() gives it back and WARNs, as the kernel does,
 * for an id that is not allocated.
 */
#ifndef _DMASTACK_LINUX_IDR_H
#define _DMASTACK_LINUX_IDR_H

#include <limits.h>
#include "types.h"
#include "compiler.h"
#include "xarray.h"

#ifdef __cplusplus
extern "C" {
#endif

struct idr {
	struct xarray idr_rt;
	unsigned int idr_base;
	unsigned int idr_next;
};

#define IDR_INIT_BASE(name, base) {					\
	.idr_rt = XARRAY_INIT(name.idr_rt, XA_FLAGS_ALLOC),		\
	.idr_base = (base),						\
	.idr_next = 0,							\
}
#define IDR_INIT(name)		IDR_INIT_BASE(name, 0)
#define DEFINE_IDR(name)	struct idr name = IDR_INIT(name)

static inline void idr_init_base(struct idr *idr, int base)
{
	xa_init_flags(&idr->idr_rt, XA_FLAGS_ALLOC);
	idr->idr_base = base;
	idr->idr_next = 0;
}

static inline void idr_init(struct idr *idr)
{
	idr_init_base(idr, 0);
}

/* Where idr_alloc_cyclic() searches from next. */
static inline unsigned int idr_get_cursor(const struct idr *idr)
{
	return READ_ONCE(idr->idr_next);
}

static inline void idr_set_cursor(struct idr *idr, unsigned int val)
{
	WRITE_ONCE(idr->idr_next, val);
}

#define idr_lock(idr)		xa_lock(&(idr)->idr_rt)
#define idr_unlock(idr)		xa_unlock(&(idr)->idr_rt)
#define idr_lock_bh(idr)	xa_lock_bh(&(idr)->idr_rt)
#define idr_unlock_bh(idr)	xa_unlock_bh(&(idr)->idr_rt)
#define idr_lock_irq(idr)	xa_lock_irq(&(idr)->idr_rt)
#define idr_unlock_irq(idr)	xa_unlock_irq(&(idr)->idr_rt)
#define idr_lock_irqsave(idr, flags)					\
	xa_lock_irqsave(&(idr)->idr_rt, flags)
#define idr_unlock_irqrestore(idr, flags)				\
	xa_unlock_irqrestore(&(idr)->idr_rt, flags)

/* Nothing to preload: allocations here do not depend on the context. */
static inline void idr_preload(gfp_t gfp_mask)
{
	(void)gfp_mask;
}

static inline void idr_preload_end(void)
{
}

/* The new id, or -ENOSPC (none free), -ENOMEM, -EINVAL (@start < 0). */
int idr_alloc(struct idr *idr, void *ptr, int start, int end, gfp_t gfp);
/* The lowest free id of [*@id, @max] in *@id: 0, -ENOSPC, -ENOMEM. */
int __must_check idr_alloc_u32(struct idr *idr, void *ptr, u32 *id,
			       unsigned long max, gfp_t gfp);
int idr_alloc_cyclic(struct idr *idr, void *ptr, int start, int end,
		     gfp_t gfp);
/* The pointer at @id taken out, or NULL. */
void *idr_remove(struct idr *idr, unsigned long id);
void *idr_find(const struct idr *idr, unsigned long id);
/* @fn for each id holding a pointer (not NULL), until it returns nonzero. */
int idr_for_each(const struct idr *idr,
		 int (*fn)(int id, void *p, void *data), void *data);
/* The first pointer at or after *@nextid (set to its id), or NULL. */
void *idr_get_next(struct idr *idr, int *nextid);
void *idr_get_next_ul(struct idr *idr, unsigned long *nextid);
/* The old pointer at @id, or ERR_PTR(-ENOENT) if @id is not allocated. */
void *idr_replace(struct idr *idr, void *ptr, unsigned long id);
void idr_destroy(struct idr *idr);

static inline bool idr_is_empty(const struct idr *idr)
{
	return xa_empty(&idr->idr_rt);
}

#define idr_for_each_entry(idr, entry, id)				\
	for (id = 0; ((entry) = idr_get_next(idr, &(id))) != NULL; id += 1U)
#define idr_for_each_entry_ul(idr, entry, tmp, id)			\
	for (tmp = 0, id = 0;						\
	     ((entry) = tmp <= id ? idr_get_next_ul(idr, &(id)) : NULL) != NULL; \
	     tmp = id, ++id)
#define idr_for_each_entry_continue(idr, entry, id)			\
	for ((entry) = idr_get_next((idr), &(id));			\
	     entry;							\
	     ++id, (entry) = idr_get_next((idr), &(id)))

struct ida {
	struct xarray xa;
};

#define IDA_INIT_FLAGS	(XA_FLAGS_LOCK_IRQ | XA_FLAGS_ALLOC)
#define IDA_INIT(name)	{						\
	.xa = XARRAY_INIT(name.xa, IDA_INIT_FLAGS)			\
}
#define DEFINE_IDA(name)	struct ida name = IDA_INIT(name)

/* The lowest free id of [@min, @max], or -ENOSPC, -ENOMEM. */
int ida_alloc_range(struct ida *ida, unsigned int min, unsigned int max,
		    gfp_t gfp);
void ida_free(struct ida *ida, unsigned int id);
void ida_destroy(struct ida *ida);

static inline int ida_alloc(struct ida *ida, gfp_t gfp)
{
	return ida_alloc_range(ida, 0, ~0, gfp);
}

static inline int ida_alloc_min(struct ida *ida, unsigned int min, gfp_t gfp)
{
	return ida_alloc_range(ida, min, ~0, gfp);
}

static inline int ida_alloc_max(struct ida *ida, unsigned int max, gfp_t gfp)
{
	return ida_alloc_range(ida, 0, max, gfp);
}

static inline void ida_init(struct ida *ida)
{
	xa_init_flags(&ida->xa, IDA_INIT_FLAGS);
}

static inline bool ida_is_empty(struct ida *ida)
{
	return xa_empty(&ida->xa);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_IDR_H */
