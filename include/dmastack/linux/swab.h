/* SPDX-License-Identifier: MIT */
/* Byte swapping (include/linux/swab.h). */
#ifndef _DMASTACK_LINUX_SWAB_H
#define _DMASTACK_LINUX_SWAB_H

#include "types.h"

#define swab16(x)	((u16)__builtin_bswap16((u16)(x)))
#define swab32(x)	((u32)__builtin_bswap32((u32)(x)))
#define swab64(x)	((u64)__builtin_bswap64((u64)(x)))

static inline void swab16s(u16 *p) { *p = swab16(*p); }
static inline void swab32s(u32 *p) { *p = swab32(*p); }
static inline void swab64s(u64 *p) { *p = swab64(*p); }

#endif /* _DMASTACK_LINUX_SWAB_H */
