/* SPDX-License-Identifier: MIT */
/* Integer square roots, rounded down (include/linux/int_sqrt.h). */
#ifndef _DMASTACK_LINUX_INT_SQRT_H
#define _DMASTACK_LINUX_INT_SQRT_H

#include "types.h"

/* The largest r with r * r <= @x (bit by bit, no floating point). */
static inline u64 int_sqrt64(u64 x)
{
	u64 r = 0, bit = 1ULL << 62;

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

static inline unsigned long int_sqrt(unsigned long x)
{
	return (unsigned long)int_sqrt64(x);
}

#endif /* _DMASTACK_LINUX_INT_SQRT_H */
