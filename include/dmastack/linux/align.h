/* SPDX-License-Identifier: MIT */
/*
 * Alignment to a power of two, computed in the type of the value aligned
 * (a pointer through unsigned long).
 */
#ifndef _DMASTACK_LINUX_ALIGN_H
#define _DMASTACK_LINUX_ALIGN_H

/* @a - 1 in the type of @x */
#define __align_mask(x, a)	((__typeof__(x))(a) - 1)

/* @x up (down) to a multiple of @a, a power of two */
#define ALIGN(x, a)		(((x) + __align_mask(x, a)) & ~__align_mask(x, a))
#define ALIGN_DOWN(x, a)	((x) & ~__align_mask(x, a))
/* Is @x a multiple of @a? */
#define IS_ALIGNED(x, a)	(((x) & __align_mask(x, a)) == 0)

#define PTR_ALIGN(p, a)		((__typeof__(p))ALIGN((unsigned long)(p), (a)))
#define PTR_ALIGN_DOWN(p, a)	((__typeof__(p))ALIGN_DOWN((unsigned long)(p), (a)))
#define PTR_IS_ALIGNED(p, a)	IS_ALIGNED((unsigned long)(p), (a))

#endif /* _DMASTACK_LINUX_ALIGN_H */
