/* SPDX-License-Identifier: MIT */
/* Single bits and contiguous masks (include/linux/bits.h). */
#ifndef _DMASTACK_LINUX_BITS_H
#define _DMASTACK_LINUX_BITS_H

#define BITS_PER_BYTE		8
#define BITS_PER_LONG		(8 * (int)sizeof(long))
#define BITS_PER_LONG_LONG	64
#define BIT(nr)			(1UL << (nr))
#define BIT_ULL(nr)		(1ULL << (nr))
#define BIT_MASK(nr)		(1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#define BIT_ULL_MASK(nr)	(1ULL << ((nr) % BITS_PER_LONG_LONG))
#define BIT_ULL_WORD(nr)	((nr) / BITS_PER_LONG_LONG)
/* Bits @h down to @l set (h >= l). */
#define GENMASK(h, l)		((~0UL << (l)) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l)	((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define GENMASK_U8(h, l)	((unsigned char)GENMASK(h, l))
#define GENMASK_U16(h, l)	((unsigned short)GENMASK(h, l))
#define GENMASK_U32(h, l)	((unsigned int)GENMASK(h, l))
#define GENMASK_U64(h, l)	GENMASK_ULL(h, l)

#endif /* _DMASTACK_LINUX_BITS_H */
