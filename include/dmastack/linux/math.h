/* SPDX-License-Identifier: MIT */
/*
 * Integer rounding and division as the kernel's <linux/math.h>:
 * round_up()/round_down() take a power of two, roundup()/rounddown() any
 * positive step.
 */
#ifndef _DMASTACK_LINUX_MATH_H
#define _DMASTACK_LINUX_MATH_H

#include "compiler.h"

/* @y - 1 in the type of @x: the low bits a power of two @y covers */
#define __round_mask(x, y)	((__typeof__(x))((y) - 1))

/* @x up (down) to a multiple of @y, a power of two */
#define round_up(x, y)		((((x) - 1) | __round_mask(x, y)) + 1)
#define round_down(x, y)	((x) & ~__round_mask(x, y))

/* @n / @d, rounded up */
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define DIV_ROUND_UP_ULL(ll, d)	DIV_ROUND_UP((unsigned long long)(ll), (d))
#define DIV_ROUND_DOWN_ULL(ll, d) ((unsigned long long)(ll) / (d))

/* @x up (down) to a multiple of @y, any positive step */
#define roundup(x, y)	__roundup(x, y, __UNIQUE_ID(roundup_y_))
#define __roundup(x, y, uy)						\
	({								\
		__typeof__(y) uy = (y);					\
		(((x) + (uy - 1)) / uy) * uy;				\
	})
#define rounddown(x, y)	__rounddown(x, y, __UNIQUE_ID(rounddown_x_))
#define __rounddown(x, y, ux)						\
	({								\
		__typeof__(x) ux = (x);					\
		ux - (ux % (y));					\
	})

/*
 * @x / @divisor to the nearest integer, halves away from zero; either
 * may be negative if its type is signed (not both unsigned and negative).
 */
#define DIV_ROUND_CLOSEST(x, divisor)					\
	__div_round_closest(x, divisor, __UNIQUE_ID(drc_x_),		\
			    __UNIQUE_ID(drc_d_))
#define __div_round_closest(x, divisor, ux, ud)				\
	({								\
		__typeof__(x) ux = (x);					\
		__typeof__(divisor) ud = (divisor);			\
		(((__typeof__(x))-1) > 0 ||				\
		 ((__typeof__(divisor))-1) > 0 ||			\
		 ((ux > 0) == (ud > 0))) ?				\
			((ux + (ud / 2)) / ud) :			\
			((ux - (ud / 2)) / ud);				\
	})

#endif /* _DMASTACK_LINUX_MATH_H */
