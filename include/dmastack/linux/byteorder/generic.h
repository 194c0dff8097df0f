/* SPDX-License-Identifier: MIT */
/*
 * CPU <-> little/big-endian conversions (include/linux/byteorder/generic.h
 * with the byte order of the host, which runs the simulated CPUs).
 */
#ifndef _DMASTACK_LINUX_BYTEORDER_GENERIC_H
#define _DMASTACK_LINUX_BYTEORDER_GENERIC_H

#include "../types.h"
#include "../swab.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define cpu_to_le16(x)	((__le16)(u16)(x))
#define cpu_to_le32(x)	((__le32)(u32)(x))
#define cpu_to_le64(x)	((__le64)(u64)(x))
#define le16_to_cpu(x)	((u16)(__le16)(x))
#define le32_to_cpu(x)	((u32)(__le32)(x))
#define le64_to_cpu(x)	((u64)(__le64)(x))
#define cpu_to_be16(x)	((__be16)swab16(x))
#define cpu_to_be32(x)	((__be32)swab32(x))
#define cpu_to_be64(x)	((__be64)swab64(x))
#define be16_to_cpu(x)	swab16((u16)(__be16)(x))
#define be32_to_cpu(x)	swab32((u32)(__be32)(x))
#define be64_to_cpu(x)	swab64((u64)(__be64)(x))
#else
#define cpu_to_le16(x)	((__le16)swab16(x))
#define cpu_to_le32(x)	((__le32)swab32(x))
#define cpu_to_le64(x)	((__le64)swab64(x))
#define le16_to_cpu(x)	swab16((u16)(__le16)(x))
#define le32_to_cpu(x)	swab32((u32)(__le32)(x))
#define le64_to_cpu(x)	swab64((u64)(__le64)(x))
#define cpu_to_be16(x)	((__be16)(u16)(x))
#define cpu_to_be32(x)	((__be32)(u32)(x))
#define cpu_to_be64(x)	((__be64)(u64)(x))
#define be16_to_cpu(x)	((u16)(__be16)(x))
#define be32_to_cpu(x)	((u32)(__be32)(x))
#define be64_to_cpu(x)	((u64)(__be64)(x))
#endif

#define le16_to_cpup(p)	le16_to_cpu(*(const __le16 *)(p))
#define le32_to_cpup(p)	le32_to_cpu(*(const __le32 *)(p))
#define le64_to_cpup(p)	le64_to_cpu(*(const __le64 *)(p))
#define be16_to_cpup(p)	be16_to_cpu(*(const __be16 *)(p))
#define be32_to_cpup(p)	be32_to_cpu(*(const __be32 *)(p))
#define be64_to_cpup(p)	be64_to_cpu(*(const __be64 *)(p))

static inline void le16_add_cpu(__le16 *var, u16 val)
{
	*var = cpu_to_le16(le16_to_cpu(*var) + val);
}

static inline void le32_add_cpu(__le32 *var, u32 val)
{
	*var = cpu_to_le32(le32_to_cpu(*var) + val);
}

static inline void le64_add_cpu(__le64 *var, u64 val)
{
	*var = cpu_to_le64(le64_to_cpu(*var) + val);
}

#endif /* _DMASTACK_LINUX_BYTEORDER_GENERIC_H */
