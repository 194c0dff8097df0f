/* SPDX-License-Identifier: MIT */
/* Integer base-2 logarithms and powers of two (include/linux/log2.h). */
#ifndef _DMASTACK_LINUX_LOG2_H
#define _DMASTACK_LINUX_LOG2_H

#include "types.h"

/* The index of the highest set bit of @n (n > 0). */
static inline int __ilog2_u32(u32 n)
{
	return 31 - __builtin_clz(n);
}

static inline int __ilog2_u64(u64 n)
{
	return 63 - __builtin_clzll(n);
}

/* log2 of @n rounded down; -1 for 0, as the kernel's run-time form. */
#define ilog2(n)							\
	((n) < 1 ? -1 :							\
	 sizeof(n) <= 4 ? __ilog2_u32((u32)(n)) : __ilog2_u64((u64)(n)))

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && !(n & (n - 1));
}

/* The smallest power of two >= @n (n > 0). */
static inline unsigned long __roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << (64 - __builtin_clzl(n - 1));
}

/* The largest power of two <= @n (n > 0). */
static inline unsigned long __rounddown_pow_of_two(unsigned long n)
{
	return 1UL << (63 - __builtin_clzl(n));
}

#define roundup_pow_of_two(n)	__roundup_pow_of_two(n)
#define rounddown_pow_of_two(n)	__rounddown_pow_of_two(n)

/* log2 of @n rounded up; 0 for 0 and 1. */
#define order_base_2(n)	((n) > 1 ? ilog2((n) - 1) + 1 : 0)

/* The number of bits needed to hold @n (0 for 0). */
#define bits_per(n)	((n) < 2 ? 1 : order_base_2((n) + 1))

#endif /* _DMASTACK_LINUX_LOG2_H */
