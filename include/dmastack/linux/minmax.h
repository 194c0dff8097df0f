/* SPDX-License-Identifier: MIT */
/*
 * min(), max() and clamp() as the kernel's: each argument evaluated once,
 * and a comparison whose operands the usual conversions could change is a
 * compile error. Operands mix when both are usable as signed (a signed
 * type, or an unsigned one narrower than int, which promotes to int) or
 * both as unsigned (an unsigned type, or a signed integer constant that
 * is not negative). Anything else needs min_t()/max_t()/clamp_t(), which
 * convert to the type they are given first.
 *
 * They are statement expressions: not for file-scope constants.
 */
#ifndef _DMASTACK_LINUX_MINMAX_H
#define _DMASTACK_LINUX_MINMAX_H

#include "compiler.h"

/* Are values of type @t signed? (integer types only) */
#define __minmax_signed_type(t)		((t)-1 < (t)1)

/* @x after the integer promotions is signed */
#define __minmax_as_signed(x)	__minmax_signed_type(__typeof__((x) + 0))

/* @x is of an unsigned type, or a constant that is not negative */
#define __minmax_as_unsigned(x)						\
	(!__minmax_signed_type(__typeof__(x)) ||			\
	 __builtin_choose_expr(__is_constexpr(x),			\
		__builtin_choose_expr(__minmax_signed_type(__typeof__(x)), \
				      (x), 0) >= 0,			\
		0))

#define __minmax_types_ok(x, y)						\
	((__minmax_as_signed(x) && __minmax_as_signed(y)) ||		\
	 (__minmax_as_unsigned(x) && __minmax_as_unsigned(y)))

#define __minmax_check(x, y, what)					\
	__dmastack_static_assert(__minmax_types_ok(x, y),				\
		       what "(): a signed and an unsigned operand; "	\
		       "use " what "_t()")

/*
 * Compared and returned in the type the usual conversions give (what the
 * checks above made safe), spelled out so that no warning says otherwise.
 */
#define __minmax_once(op, x, y, ux, uy)					\
	({								\
		__typeof__(x) ux = (x);					\
		__typeof__(y) uy = (y);					\
		(__typeof__(ux + uy))ux op (__typeof__(ux + uy))uy ?	\
			(__typeof__(ux + uy))ux : (__typeof__(ux + uy))uy; \
	})

/* min(@x, @y) of two values whose types may be compared */
#define min(x, y)							\
	({								\
		__minmax_check(x, y, "min");				\
		__minmax_once(<, x, y, __UNIQUE_ID(min_x_),		\
			      __UNIQUE_ID(min_y_));			\
	})

#define max(x, y)							\
	({								\
		__minmax_check(x, y, "max");				\
		__minmax_once(>, x, y, __UNIQUE_ID(max_x_),		\
			      __UNIQUE_ID(max_y_));			\
	})

/* Both converted to @type first: no check. */
#define min_t(type, x, y)						\
	__minmax_once(<, (type)(x), (type)(y), __UNIQUE_ID(min_t_x_),	\
		      __UNIQUE_ID(min_t_y_))
#define max_t(type, x, y)						\
	__minmax_once(>, (type)(x), (type)(y), __UNIQUE_ID(max_t_x_),	\
		      __UNIQUE_ID(max_t_y_))

/* Unsigned comparison of any two integers (both widened to u64 first). */
#define umin(x, y)	min((x) + 0u + 0ul + 0ull, (y) + 0u + 0ul + 0ull)
#define umax(x, y)	max((x) + 0u + 0ul + 0ull, (y) + 0u + 0ul + 0ull)

#define min3(x, y, z)	min(min(x, y), z)
#define max3(x, y, z)	max(max(x, y), z)

/* The smaller of @x and @y that is not 0 (0 only when both are). */
#define min_not_zero(x, y)						\
	__min_not_zero(x, y, __UNIQUE_ID(mnz_x_), __UNIQUE_ID(mnz_y_))
#define __min_not_zero(x, y, ux, uy)					\
	({								\
		__typeof__(x) ux = (x);					\
		__typeof__(y) uy = (y);					\
		ux == 0 ? uy : (uy == 0 ? ux : min(ux, uy));		\
	})

#define __clamp_once(val, lo, hi, uv, ul, uh, r)			\
	({								\
		__typeof__(val) uv = (val);				\
		__typeof__(lo) ul = (lo);				\
		__typeof__(hi) uh = (hi);				\
		__typeof__(uv + ul + uh) r = uv;			\
		if (r < (__typeof__(uv + ul + uh))ul)			\
			r = ul;						\
		else if (r > (__typeof__(uv + ul + uh))uh)		\
			r = uh;						\
		r;							\
	})

/* Constant bounds must be in order. */
#define __clamp_bounds_check(lo, hi)					\
	__dmastack_static_assert(__clamp_const(lo, hi, lo) <= __clamp_const(lo, hi, hi), \
		       "clamp(): lower bound above the upper bound")
/* @x if both bounds are constants, else 0 (so the check holds) */
#define __clamp_const(lo, hi, x)					\
	__builtin_choose_expr(__is_constexpr(lo) && __is_constexpr(hi), (x), 0)

/*
 * @val limited to [@lo, @hi]: @lo if below, @hi if above. The three
 * types are checked as min()'s.
 */
#define clamp(val, lo, hi)						\
	({								\
		__minmax_check(val, lo, "clamp");			\
		__minmax_check(val, hi, "clamp");			\
		__clamp_bounds_check(lo, hi);				\
		__clamp_once(val, lo, hi, __UNIQUE_ID(clamp_v_),	\
			     __UNIQUE_ID(clamp_l_), __UNIQUE_ID(clamp_h_), \
			     __UNIQUE_ID(clamp_r_));			\
	})

#define clamp_t(type, val, lo, hi)					\
	__clamp_once((type)(val), (type)(lo), (type)(hi),		\
		     __UNIQUE_ID(clamp_v_), __UNIQUE_ID(clamp_l_),	\
		     __UNIQUE_ID(clamp_h_), __UNIQUE_ID(clamp_r_))

/* clamp_t() in the type of @val */
#define clamp_val(val, lo, hi)	clamp_t(__typeof__(val), val, lo, hi)

/* Exchange the values of @a and @b (lvalues of one type). */
#define swap(a, b) __swap(a, b, __UNIQUE_ID(swap_))
#define __swap(a, b, tmp)						\
	do {								\
		__typeof__(a) tmp = (a);				\
		(a) = (b);						\
		(b) = tmp;						\
	} while (0)

#endif /* _DMASTACK_LINUX_MINMAX_H */
