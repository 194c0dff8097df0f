/* SPDX-License-Identifier: MIT */
/*
 * Arithmetic that says when it overflowed (include/linux/overflow.h), and
 * the saturating size helpers allocations use: an overflowing size becomes
 * SIZE_MAX, which every allocator refuses.
 */
#ifndef _DMASTACK_LINUX_OVERFLOW_H
#define _DMASTACK_LINUX_OVERFLOW_H

#include <stdint.h>
#include "types.h"

/* Store a + b (a - b, a * b) in *d; true if it did not fit. */
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d)	__builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

/* Would a + b (...) overflow the type of @t? */
#define add_would_overflow(a, b)					\
	({ __typeof__(a) __d; check_add_overflow(a, b, &__d); })

static inline size_t size_mul(size_t a, size_t b)
{
	size_t bytes;

	if (check_mul_overflow(a, b, &bytes))
		return SIZE_MAX;
	return bytes;
}

static inline size_t size_add(size_t a, size_t b)
{
	size_t bytes;

	if (check_add_overflow(a, b, &bytes))
		return SIZE_MAX;
	return bytes;
}

static inline size_t size_sub(size_t a, size_t b)
{
	size_t bytes;

	if (a == SIZE_MAX || b == SIZE_MAX || check_sub_overflow(a, b, &bytes))
		return SIZE_MAX;
	return bytes;
}

#define array_size(a, b)	size_mul(a, b)
#define array3_size(a, b, c)	size_mul(size_mul(a, b), c)

/* Bytes of @count elements of the flexible array @member of *@p. */
#define flex_array_size(p, member, count)				\
	size_mul(count, sizeof(*(p)->member))

/* Bytes of *@p with @count elements in its flexible array @member. */
#define struct_size(p, member, count)					\
	size_add(sizeof(*(p)), flex_array_size(p, member, count))

#define struct_size_t(type, member, count)				\
	struct_size((type *)NULL, member, count)

#endif /* _DMASTACK_LINUX_OVERFLOW_H */
