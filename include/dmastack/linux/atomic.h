/* SPDX-License-Identifier: MIT */
/*
 * atomic_t, atomic64_t and atomic_long_t with the kernel's operations, on
 * the compiler's __atomic builtins. The ordering is the kernel's:
 *
 *  - atomic_read()/atomic_set() and the operations that return nothing
 *    (atomic_add(), atomic_inc(), atomic_or()...) are relaxed;
 *  - the operations that return a value (atomic_add_return(),
 *    atomic_fetch_add(), atomic_xchg(), atomic_cmpxchg(),
 *    atomic_dec_and_test()...) are fully ordered;
 *  - the _relaxed, _acquire and _release forms are what they say.
 *
 * Arithmetic wraps (two's complement), as in the kernel. atomic_long_t is
 * atomic64_t, as on 64-bit kernels.
 *
 * Also the barriers of <asm/barrier.h> (smp_mb() and its kin,
 * smp_load_acquire()/smp_store_release()) and the kernel's xchg(),
 * cmpxchg() and try_cmpxchg() on plain variables.
 */
#ifndef _DMASTACK_LINUX_ATOMIC_H
#define _DMASTACK_LINUX_ATOMIC_H

#include "types.h"
#include "compiler.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef atomic64_t atomic_long_t;

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }
#define ATOMIC_LONG_INIT(i)	ATOMIC64_INIT(i)

/* ------------------------------------------------------------- barriers */

/* Full barrier: no load or store moves across it, either way. */
#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#define mb()		smp_mb()
#define rmb()		smp_rmb()
#define wmb()		smp_wmb()
/* Around an atomic operation that returns nothing (those are relaxed). */
#define smp_mb__before_atomic()	smp_mb()
#define smp_mb__after_atomic()	smp_mb()
/* A control dependency made an acquire: the loads after it stay after. */
#define smp_acquire__after_ctrl_dep()	smp_rmb()

/* Load-acquire and store-release of the scalar *@p. */
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)						\
	do {								\
		__typeof__(*(p)) __ssr_val = (v);			\
		__atomic_store_n(p, __ssr_val, __ATOMIC_RELEASE);	\
	} while (0)

/* --------------------------------------------- on plain scalar variables */

/* Store @new in *@ptr; the old value. Fully ordered. */
#define xchg(ptr, new)	__atomic_exchange_n(ptr, new, __ATOMIC_SEQ_CST)

/*
 * If *@ptr is @old, store @new; the value *@ptr had either way (fully
 * ordered when it stores).
 */
#define cmpxchg(ptr, old, new)	__cmpxchg(ptr, old, new, __UNIQUE_ID(cmpxchg_))
#define __cmpxchg(ptr, old, new, o)					\
	({								\
		__typeof__(*(ptr)) o = (old);				\
		__atomic_compare_exchange_n(ptr, &o, new, false,	\
					    __ATOMIC_SEQ_CST,		\
					    __ATOMIC_SEQ_CST);		\
		o;							\
	})

/* If *@ptr is *@oldp, store @new and be true; else *@oldp = *@ptr. */
#define try_cmpxchg(ptr, oldp, new)					\
	__atomic_compare_exchange_n(ptr, oldp, new, false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

/* ---------------------------------------------------------- the types */

/* @a + @b in the type of @a, wrapping as the kernel's arithmetic does */
#define __linux_wrap_add(a, b)	__linux_wrap_add_(a, b, __UNIQUE_ID(wrap_))
#define __linux_wrap_add_(a, b, r)					\
	({								\
		__typeof__(a) r;					\
		(void)__builtin_add_overflow(a, b, &r);			\
		r;							\
	})

/*
 * The operations of one type @pfx (atomic, atomic64, atomic_long) on
 * struct type @at holding a counter of type @t: written once here and
 * instantiated for the three.
 */
#define __LINUX_ATOMIC_ORDERED_OPS(pfx, at, t, sfx, ord, ford)		\
static inline t pfx##_fetch_add##sfx(t i, at *v)			\
{									\
	return __atomic_fetch_add(&v->counter, i, ord);			\
}									\
static inline t pfx##_fetch_sub##sfx(t i, at *v)			\
{									\
	return __atomic_fetch_sub(&v->counter, i, ord);			\
}									\
static inline t pfx##_fetch_inc##sfx(at *v)				\
{									\
	return __atomic_fetch_add(&v->counter, 1, ord);			\
}									\
static inline t pfx##_fetch_dec##sfx(at *v)				\
{									\
	return __atomic_fetch_sub(&v->counter, 1, ord);			\
}									\
static inline t pfx##_fetch_and##sfx(t i, at *v)			\
{									\
	return __atomic_fetch_and(&v->counter, i, ord);			\
}									\
static inline t pfx##_fetch_or##sfx(t i, at *v)				\
{									\
	return __atomic_fetch_or(&v->counter, i, ord);			\
}									\
static inline t pfx##_fetch_xor##sfx(t i, at *v)			\
{									\
	return __atomic_fetch_xor(&v->counter, i, ord);			\
}									\
static inline t pfx##_fetch_andnot##sfx(t i, at *v)			\
{									\
	return __atomic_fetch_and(&v->counter, ~i, ord);		\
}									\
static inline t pfx##_add_return##sfx(t i, at *v)			\
{									\
	return __atomic_add_fetch(&v->counter, i, ord);			\
}									\
static inline t pfx##_sub_return##sfx(t i, at *v)			\
{									\
	return __atomic_sub_fetch(&v->counter, i, ord);			\
}									\
static inline t pfx##_inc_return##sfx(at *v)				\
{									\
	return __atomic_add_fetch(&v->counter, 1, ord);			\
}									\
static inline t pfx##_dec_return##sfx(at *v)				\
{									\
	return __atomic_sub_fetch(&v->counter, 1, ord);			\
}									\
static inline t pfx##_xchg##sfx(at *v, t n)				\
{									\
	return __atomic_exchange_n(&v->counter, n, ord);		\
}									\
static inline t pfx##_cmpxchg##sfx(at *v, t old, t n)			\
{									\
	__atomic_compare_exchange_n(&v->counter, &old, n, false,	\
				    ord, ford);				\
	return old;							\
}									\
static inline bool pfx##_try_cmpxchg##sfx(at *v, t *old, t n)		\
{									\
	return __atomic_compare_exchange_n(&v->counter, old, n, false, \
					   ord, ford);			\
}

#define __LINUX_ATOMIC_OPS(pfx, at, t)					\
static inline t pfx##_read(const at *v)					\
{									\
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);		\
}									\
static inline t pfx##_read_acquire(const at *v)				\
{									\
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);		\
}									\
static inline void pfx##_set(at *v, t i)				\
{									\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_set_release(at *v, t i)			\
{									\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);		\
}									\
static inline void pfx##_add(t i, at *v)				\
{									\
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_sub(t i, at *v)				\
{									\
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_inc(at *v)					\
{									\
	__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_dec(at *v)					\
{									\
	__atomic_fetch_sub(&v->counter, 1, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_and(t i, at *v)				\
{									\
	__atomic_fetch_and(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_or(t i, at *v)					\
{									\
	__atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_xor(t i, at *v)				\
{									\
	__atomic_fetch_xor(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_andnot(t i, at *v)				\
{									\
	__atomic_fetch_and(&v->counter, ~i, __ATOMIC_RELAXED);		\
}									\
__LINUX_ATOMIC_ORDERED_OPS(pfx, at, t, , __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) \
__LINUX_ATOMIC_ORDERED_OPS(pfx, at, t, _relaxed, __ATOMIC_RELAXED,	\
		     __ATOMIC_RELAXED)					\
__LINUX_ATOMIC_ORDERED_OPS(pfx, at, t, _acquire, __ATOMIC_ACQUIRE,	\
		     __ATOMIC_ACQUIRE)					\
__LINUX_ATOMIC_ORDERED_OPS(pfx, at, t, _release, __ATOMIC_RELEASE,	\
		     __ATOMIC_RELAXED)					\
/* true if the result is 0 (or negative, for add_negative) */		\
static inline bool pfx##_sub_and_test(t i, at *v)			\
{									\
	return pfx##_sub_return(i, v) == 0;				\
}									\
static inline bool pfx##_dec_and_test(at *v)				\
{									\
	return pfx##_dec_return(v) == 0;				\
}									\
static inline bool pfx##_inc_and_test(at *v)				\
{									\
	return pfx##_inc_return(v) == 0;				\
}									\
static inline bool pfx##_add_negative(t i, at *v)			\
{									\
	return pfx##_add_return(i, v) < 0;				\
}									\
/* add @a unless the value is @u; the value before */			\
static inline t pfx##_fetch_add_unless(at *v, t a, t u)			\
{									\
	t c = pfx##_read(v);						\
									\
	do {								\
		if (c == u)						\
			break;						\
	} while (!pfx##_try_cmpxchg(v, &c, __linux_wrap_add(c, a)));	\
	return c;							\
}									\
static inline bool pfx##_add_unless(at *v, t a, t u)			\
{									\
	return pfx##_fetch_add_unless(v, a, u) != u;			\
}									\
static inline bool pfx##_inc_not_zero(at *v)				\
{									\
	return pfx##_add_unless(v, 1, 0);				\
}									\
static inline bool pfx##_inc_unless_negative(at *v)			\
{									\
	t c = pfx##_read(v);						\
									\
	do {								\
		if (c < 0)						\
			return false;					\
	} while (!pfx##_try_cmpxchg(v, &c, __linux_wrap_add(c, 1)));	\
	return true;							\
}									\
static inline bool pfx##_dec_unless_positive(at *v)			\
{									\
	t c = pfx##_read(v);						\
									\
	do {								\
		if (c > 0)						\
			return false;					\
	} while (!pfx##_try_cmpxchg(v, &c, __linux_wrap_add(c, -1)));	\
	return true;							\
}									\
/* decrement if that leaves it >= 0; the value minus 1 either way */	\
static inline t pfx##_dec_if_positive(at *v)				\
{									\
	t c = pfx##_read(v);						\
									\
	do {								\
		if (c <= 0)						\
			return __linux_wrap_add(c, -1);			\
	} while (!pfx##_try_cmpxchg(v, &c, c - 1));			\
	return c - 1;							\
}

__LINUX_ATOMIC_OPS(atomic, atomic_t, int)
__LINUX_ATOMIC_OPS(atomic64, atomic64_t, s64)
__LINUX_ATOMIC_OPS(atomic_long, atomic_long_t, long)

#undef __LINUX_ATOMIC_OPS
#undef __LINUX_ATOMIC_ORDERED_OPS

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_ATOMIC_H */
