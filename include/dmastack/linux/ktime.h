/* SPDX-License-Identifier: MIT */
/*
 * ktime_t: nanoseconds of the current machine's clock (the one delays and
 * device models run on), so time measured by kernel code is machine time.
 */
#ifndef _DMASTACK_LINUX_KTIME_H
#define _DMASTACK_LINUX_KTIME_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef s64 ktime_t;

#define NSEC_PER_USEC	1000L
#define NSEC_PER_MSEC	1000000L
#define NSEC_PER_SEC	1000000000L
#define USEC_PER_SEC	1000000L
#define MSEC_PER_SEC	1000L

/* The current machine's clock (0 without a current machine). */
ktime_t ktime_get(void);

static inline u64 ktime_get_ns(void)
{
	return (u64)ktime_get();
}

#define ktime_get_boottime()	ktime_get()
#define ktime_get_raw()		ktime_get()
#define ktime_get_mono_fast_ns()	ktime_get_ns()

static inline ktime_t ns_to_ktime(u64 ns)
{
	return (ktime_t)ns;
}

static inline s64 ktime_to_ns(ktime_t kt)
{
	return kt;
}

static inline s64 ktime_to_us(ktime_t kt)
{
	return kt / NSEC_PER_USEC;
}

static inline s64 ktime_to_ms(ktime_t kt)
{
	return kt / NSEC_PER_MSEC;
}

#define ktime_add(a, b)		((a) + (b))
#define ktime_sub(a, b)		((a) - (b))
#define ktime_add_ns(kt, ns)	((kt) + (ktime_t)(ns))
#define ktime_add_us(kt, us)	((kt) + (ktime_t)(us) * NSEC_PER_USEC)
#define ktime_compare(a, b)	((a) < (b) ? -1 : (a) > (b) ? 1 : 0)
#define ktime_after(a, b)	((a) > (b))
#define ktime_before(a, b)	((a) < (b))

static inline s64 ktime_us_delta(ktime_t later, ktime_t earlier)
{
	return ktime_to_us(later - earlier);
}

static inline s64 ktime_ms_delta(ktime_t later, ktime_t earlier)
{
	return ktime_to_ms(later - earlier);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_KTIME_H */
