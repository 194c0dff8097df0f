/* SPDX-License-Identifier: MIT */
/*
 * Jiffies of the current machine's clock (HZ = 1000).
 */
#ifndef _DMASTACK_LINUX_JIFFIES_H
#define _DMASTACK_LINUX_JIFFIES_H

#ifdef __cplusplus
extern "C" {
#endif

#define HZ			1000
#define MAX_JIFFY_OFFSET	((~0UL >> 1) - 1)

#include "types.h"

/* The current machine's clock in jiffies (0 without a current machine). */
u64 get_jiffies_64(void);
#define jiffies			((unsigned long)get_jiffies_64())

static inline unsigned long msecs_to_jiffies(unsigned int m)
{
	return m;
}

static inline unsigned long usecs_to_jiffies(unsigned int u)
{
	return (u + 999) / 1000;
}

static inline unsigned int jiffies_to_msecs(unsigned long j)
{
	return (unsigned int)j;
}

#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define time_before_eq(a, b)	time_after_eq(b, a)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_JIFFIES_H */
