/* SPDX-License-Identifier: MIT */
/* The limits of the kernel's integer types (include/linux/limits.h). */
#ifndef _DMASTACK_LINUX_LIMITS_H
#define _DMASTACK_LINUX_LIMITS_H

/* the uAPI's (PATH_MAX, NAME_MAX...; the C library includes this too) */
#include_next <linux/limits.h>
#include <stdint.h>
#include "types.h"

#define U8_MAX		((u8)0xff)
#define S8_MAX		((s8)0x7f)
#define S8_MIN		((s8)(-0x7f - 1))
#define U16_MAX		((u16)0xffff)
#define S16_MAX		((s16)0x7fff)
#define S16_MIN		((s16)(-0x7fff - 1))
#define U32_MAX		((u32)0xffffffffU)
#define U32_MIN		((u32)0)
#define S32_MAX		((s32)0x7fffffff)
#define S32_MIN		((s32)(-0x7fffffff - 1))
#define U64_MAX		((u64)0xffffffffffffffffULL)
#define U64_MIN		((u64)0)
#define S64_MAX		((s64)0x7fffffffffffffffLL)
#define S64_MIN		((s64)(-0x7fffffffffffffffLL - 1))
#define PHYS_ADDR_MAX	((phys_addr_t)U64_MAX)

#endif /* _DMASTACK_LINUX_LIMITS_H */
