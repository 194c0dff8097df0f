/* SPDX-License-Identifier: MIT */
/*
 * refcount_t: a reference count that refuses to wrap, as the kernel's.
 *
 * An increment past REFCOUNT_MAX, an increment from 0 (the object may be
 * gone) and a decrement below 0 or to 0 where the caller cannot free are
 * bugs: the count is set to REFCOUNT_SATURATED, far from both 0 and the
 * top, and stays there (the object leaks rather than being freed while in
 * use), and a WARN says which. A saturated count is reported when it
 * saturates, not again on each later use.
 *
 * Ordering as the kernel's: increments are relaxed; decrements release,
 * and the one that reaches 0 also acquires (what the releaser wrote is
 * seen by the code that frees). Here the decrement that may reach 0 is
 * one acquire-release operation rather than a release and a fence, which
 * ThreadSanitizer does not model.
 */
#ifndef _DMASTACK_LINUX_REFCOUNT_H
#define _DMASTACK_LINUX_REFCOUNT_H

#include <limits.h>
#include "types.h"
#include "compiler.h"
#include "atomic.h"
#include "bug.h"
#include "refcount_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REFCOUNT_INIT(n)	{ .refs = ATOMIC_INIT(n) }
#define REFCOUNT_MAX		INT_MAX
#define REFCOUNT_SATURATED	(INT_MIN / 2)

enum refcount_saturation_type {
	REFCOUNT_ADD_NOT_ZERO_OVF,
	REFCOUNT_ADD_OVF,
	REFCOUNT_ADD_UAF,
	REFCOUNT_SUB_UAF,
	REFCOUNT_DEC_LEAK,
};

/* Saturate @r and WARN about @t. */
static inline void refcount_warn_saturate(refcount_t *r,
					  enum refcount_saturation_type t)
{
	const char *what;

	atomic_set(&r->refs, REFCOUNT_SATURATED);
	switch (t) {
	case REFCOUNT_ADD_UAF:
		what = "increment from 0 (use-after-free)";
		break;
	case REFCOUNT_SUB_UAF:
		what = "underflow (use-after-free)";
		break;
	case REFCOUNT_DEC_LEAK:
		what = "refcount_dec() to 0, the object never freed (leak)";
		break;
	default:
		what = "overflow, saturated (the object leaks)";
		break;
	}
	WARN(1, "refcount_t: %s; at %p", what, (void *)r);
}

/*
 * Saturate, and warn unless the count was negative already (saturated,
 * and reported then).
 */
static inline void __refcount_saturate(refcount_t *r,
				       enum refcount_saturation_type t,
				       int old)
{
	if (old < 0)
		atomic_set(&r->refs, REFCOUNT_SATURATED);
	else
		refcount_warn_saturate(r, t);
}

/* @a + @b wrapping, as the counter itself does */
static inline int __refcount_wrap(int a, int b)
{
	int r;

	(void)__builtin_add_overflow(a, b, &r);
	return r;
}

static inline void refcount_set(refcount_t *r, int n)
{
	atomic_set(&r->refs, n);
}

static inline void refcount_set_release(refcount_t *r, int n)
{
	atomic_set_release(&r->refs, n);
}

static inline unsigned int refcount_read(const refcount_t *r)
{
	return (unsigned int)atomic_read(&r->refs);
}

/* Add @i unless the count is 0; false if it was 0. */
static inline bool __must_check __refcount_add_not_zero(int i, refcount_t *r,
							 int *oldp)
{
	int old = atomic_read(&r->refs);

	do {
		if (!old)
			break;
	} while (!atomic_try_cmpxchg_relaxed(&r->refs, &old,
					     __refcount_wrap(old, i)));
	if (oldp)
		*oldp = old;
	if (unlikely(old < 0 || __refcount_wrap(old, i) < 0))
		__refcount_saturate(r, REFCOUNT_ADD_NOT_ZERO_OVF, old);
	return old;
}

static inline bool __must_check refcount_add_not_zero(int i, refcount_t *r)
{
	return __refcount_add_not_zero(i, r, NULL);
}

/* A reference, unless the count is 0 (the object is going): false then. */
static inline bool __must_check refcount_inc_not_zero(refcount_t *r)
{
	return __refcount_add_not_zero(1, r, NULL);
}

static inline void __refcount_add(int i, refcount_t *r, int *oldp)
{
	int old = atomic_fetch_add_relaxed(i, &r->refs);

	if (oldp)
		*oldp = old;
	if (unlikely(!old))
		__refcount_saturate(r, REFCOUNT_ADD_UAF, old);
	else if (unlikely(old < 0 || __refcount_wrap(old, i) < 0))
		__refcount_saturate(r, REFCOUNT_ADD_OVF, old);
}

/* @i references more; the count must not be 0. */
static inline void refcount_add(int i, refcount_t *r)
{
	__refcount_add(i, r, NULL);
}

static inline void refcount_inc(refcount_t *r)
{
	__refcount_add(1, r, NULL);
}

/* Drop @i references; true if that was the last (free the object). */
static inline bool __must_check __refcount_sub_and_test(int i, refcount_t *r,
							 int *oldp)
{
	/* release, and acquire for the one that frees: both in one */
	int old = __atomic_fetch_sub(&r->refs.counter, i, __ATOMIC_ACQ_REL);

	if (oldp)
		*oldp = old;
	if (old == i)
		return true;
	if (unlikely(old < 0 || __refcount_wrap(old, -i) < 0))
		__refcount_saturate(r, REFCOUNT_SUB_UAF, old);
	return false;
}

static inline bool __must_check refcount_sub_and_test(int i, refcount_t *r)
{
	return __refcount_sub_and_test(i, r, NULL);
}

static inline bool __must_check refcount_dec_and_test(refcount_t *r)
{
	return __refcount_sub_and_test(1, r, NULL);
}

/* Drop a reference that is not the last one. */
static inline void refcount_dec(refcount_t *r)
{
	int old = atomic_fetch_sub_release(1, &r->refs);

	if (unlikely(old <= 1))
		__refcount_saturate(r, REFCOUNT_DEC_LEAK, old);
}

/* 1 -> 0 if the count is 1: true then; anything else is left. */
static inline bool __must_check refcount_dec_if_one(refcount_t *r)
{
	int one = 1;

	return atomic_try_cmpxchg_release(&r->refs, &one, 0);
}

/*
 * Drop a reference unless it is the last: false (and nothing done) if
 * the count is 1. A saturated count stays so (true).
 */
static inline bool __must_check refcount_dec_not_one(refcount_t *r)
{
	int old = atomic_read(&r->refs);

	do {
		if (unlikely(old == REFCOUNT_SATURATED))
			return true;
		if (old == 1)
			return false;
		if (unlikely(old <= 0)) {
			__refcount_saturate(r, REFCOUNT_SUB_UAF, old);
			return true;
		}
	} while (!atomic_try_cmpxchg_release(&r->refs, &old, old - 1));
	return true;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_REFCOUNT_H */
