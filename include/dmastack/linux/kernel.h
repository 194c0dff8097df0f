/* SPDX-License-Identifier: MIT */
/*
 * What nearly every kernel source includes: the types, the compiler's
 * words, min/max/clamp, container_of, ARRAY_SIZE, rounding and alignment,
 * WARN_ON, printk, bit operations, the kernel's integer limits and a few
 * helpers of its own.
 *
 * Note: with this directory on the include path, <linux/kernel.h> is this
 * header, not the system's uAPI one (which <sys/sysinfo.h> includes).
 */
#ifndef _DMASTACK_LINUX_KERNEL_H
#define _DMASTACK_LINUX_KERNEL_H

#include <limits.h>
#include <stdarg.h>
#include "types.h"
#include "limits.h"
#include "compiler.h"
#include "build_bug.h"
#include "bug.h"
#include "err.h"
#include "minmax.h"
#include "container_of.h"
#include "array_size.h"
#include "math.h"
#include "align.h"
#include "bitops.h"
#include "printk.h"
#include "byteorder/generic.h"
#include "string.h"
#include "int_sqrt.h"
#include "math64.h"


/* Bits 63..32 and 31..0 of the integer @n (at most 64 bits wide). */
#define upper_32_bits(n)	((u32)((u64)(n) >> 32))
#define lower_32_bits(n)	((u32)((u64)(n) & 0xffffffffU))
#define upper_16_bits(n)	((u16)((u32)(n) >> 16))
#define lower_16_bits(n)	((u16)((u32)(n) & 0xffffU))

/* The text of its arguments after macro expansion. */
#define __stringify(...)	__stringify_text(__VA_ARGS__)
#define __stringify_text(...)	#__VA_ARGS__

/*
 * 1, and a compiler warning (incompatible pointer types) unless @x has
 * type @type.
 */
#define typecheck(type, x)						\
	({								\
		const volatile type *__typecheck_p = (__typeof__(x) *)0; \
		(void)__typecheck_p;					\
		1;							\
	})

/*
 * A thread never runs with interrupts off or preemption disabled, so
 * sleeping is allowed everywhere but in a machine timer callback or the
 * interrupt handler it raised (which run while the clock moves): there
 * might_sleep() is a BUG report naming the caller's file and line.
 */
#ifdef __cplusplus
extern "C" {
#endif
void __might_sleep(const char *file, int line);
#ifdef __cplusplus
}
#endif
#define might_sleep()		__might_sleep(__FILE__, __LINE__)
#define might_sleep_if(cond)	do { if (cond) might_sleep(); } while (0)

#endif /* _DMASTACK_LINUX_KERNEL_H */
