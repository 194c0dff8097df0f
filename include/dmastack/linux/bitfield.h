/* SPDX-License-Identifier: MIT */
/*
 * Register fields by mask (include/linux/bitfield.h): FIELD_PREP() puts a
 * value into the field a constant mask describes, FIELD_GET() takes it out.
 * A value that does not fit the field is a build error when it is a
 * constant, as the kernel's checks make it.
 */
#ifndef _DMASTACK_LINUX_BITFIELD_H
#define _DMASTACK_LINUX_BITFIELD_H

#include "types.h"
#include "bits.h"
#include "build_bug.h"

/* The shift of a mask's lowest set bit. */
#define __bf_shf(x)	(__builtin_ffsll(x) - 1)

#define __BF_FIELD_CHECK(_mask, _val)					\
	BUILD_BUG_ON_MSG(__builtin_constant_p(_mask) && !(_mask),	\
			 "mask is zero");				\
	BUILD_BUG_ON_MSG(__builtin_constant_p(_val) &&			\
			 __builtin_constant_p(_mask) &&			\
			 ((unsigned long long)(_val) &			\
			  ~((unsigned long long)(_mask) >> __bf_shf(_mask))), \
			 "value too large for the field")

/* The largest value the field holds. */
#define FIELD_MAX(_mask)	((__typeof__(_mask))((_mask) >> __bf_shf(_mask)))

/* Does @_val fit the field? */
#define FIELD_FIT(_mask, _val)						\
	(!((((unsigned long long)(_val)) << __bf_shf(_mask)) & ~(unsigned long long)(_mask)))

#define FIELD_PREP(_mask, _val)						\
	({								\
		__BF_FIELD_CHECK(_mask, _val);				\
		((__typeof__(_mask))(_val) << __bf_shf(_mask)) & (_mask); \
	})

#define FIELD_GET(_mask, _reg)						\
	({								\
		__BF_FIELD_CHECK(_mask, 0U);				\
		(__typeof__(_mask))(((_reg) & (_mask)) >> __bf_shf(_mask)); \
	})

/* The constant forms, for initialisers. */
#define FIELD_PREP_CONST(_mask, _val)					\
	((__typeof__(_mask))(((_val) << __bf_shf(_mask)) & (_mask)))

static inline u32 u32_encode_bits(u32 v, u32 field)
{
	return (v << __bf_shf(field)) & field;
}

static inline u32 u32_get_bits(u32 v, u32 field)
{
	return (v & field) >> __bf_shf(field);
}

static inline u32 u32_replace_bits(u32 old, u32 val, u32 field)
{
	return (old & ~field) | u32_encode_bits(val, field);
}

static inline u64 u64_encode_bits(u64 v, u64 field)
{
	return (v << __bf_shf(field)) & field;
}

static inline u64 u64_get_bits(u64 v, u64 field)
{
	return (v & field) >> __bf_shf(field);
}

static inline u64 u64_replace_bits(u64 old, u64 val, u64 field)
{
	return (old & ~field) | u64_encode_bits(val, field);
}

#endif /* _DMASTACK_LINUX_BITFIELD_H */
