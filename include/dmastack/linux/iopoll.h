/* SPDX-License-Identifier: MIT */
/*
 * Polling a register until a condition holds or a timeout passes
 * (include/linux/iopoll.h). Time is the machine's: the sleeps between
 * reads move its clock, so a device model's timer that sets the awaited
 * bit runs meanwhile and the poll ends at the same machine time on every
 * run. The _atomic forms delay with udelay(), which moves the clock too.
 */
#ifndef _DMASTACK_LINUX_IOPOLL_H
#define _DMASTACK_LINUX_IOPOLL_H

#include "types.h"
#include "ktime.h"
#include "delay.h"
#include "io.h"

/*
 * The poll loop both forms share: @val = @op(@args...) until @cond or
 * @timeout_us of machine time passed (0: none), waiting @wait(@us) between
 * reads, first too if @before. 0, or -ETIMEDOUT with @val read once more
 * after the deadline, as the kernel's.
 */
#define __read_poll_timeout(op, val, cond, wait, us, timeout_us, before,	\
			    args...)					\
({									\
	u64 __timeout_us = (timeout_us);				\
	unsigned long __us = (us);					\
	ktime_t __timeout = ktime_add_us(ktime_get(), __timeout_us);	\
	int __ret = 0;							\
									\
	if ((before) && __us)						\
		wait(__us);						\
	for (;;) {							\
		(val) = op(args);					\
		if (cond)						\
			break;						\
		if (__timeout_us &&					\
		    ktime_compare(ktime_get(), __timeout) > 0) {	\
			(val) = op(args);				\
			__ret = (cond) ? 0 : -ETIMEDOUT;		\
			break;						\
		}							\
		/* no wait asked for: still let machine time pass */	\
		wait(__us ? __us : 1);					\
	}								\
	__ret;								\
})

/* A sleep of about @us: usleep_range() as the kernel's form uses it. */
static inline void __poll_sleep_us(unsigned long us)
{
	usleep_range((us >> 2) + 1, us);
}

/*
 * read_poll_timeout - @val = @op(@args...) until @cond or @timeout_us
 * passed, sleeping @sleep_us between reads, first if @sleep_before_read.
 * Returns 0, or -ETIMEDOUT with @val the last read (taken after the
 * deadline, as the kernel's).
 */
#define read_poll_timeout(op, val, cond, sleep_us, timeout_us,		\
			  sleep_before_read, args...)			\
	__read_poll_timeout(op, val, cond, __poll_sleep_us, sleep_us,	\
			    timeout_us, sleep_before_read, args)

/* The same, delaying with udelay() (atomic context). */
#define read_poll_timeout_atomic(op, val, cond, delay_us, timeout_us,	\
				 delay_before_read, args...)		\
	__read_poll_timeout(op, val, cond, udelay, delay_us, timeout_us,	\
			    delay_before_read, args)

#define readx_poll_timeout(op, addr, val, cond, sleep_us, timeout_us)	\
	read_poll_timeout(op, val, cond, sleep_us, timeout_us, false, addr)

#define readx_poll_timeout_atomic(op, addr, val, cond, delay_us, timeout_us) \
	read_poll_timeout_atomic(op, val, cond, delay_us, timeout_us, false, addr)

#define readb_poll_timeout(addr, val, cond, delay_us, timeout_us)	\
	readx_poll_timeout(readb, addr, val, cond, delay_us, timeout_us)
#define readw_poll_timeout(addr, val, cond, delay_us, timeout_us)	\
	readx_poll_timeout(readw, addr, val, cond, delay_us, timeout_us)
#define readl_poll_timeout(addr, val, cond, delay_us, timeout_us)	\
	readx_poll_timeout(readl, addr, val, cond, delay_us, timeout_us)
#define readq_poll_timeout(addr, val, cond, delay_us, timeout_us)	\
	readx_poll_timeout(readq, addr, val, cond, delay_us, timeout_us)
#define readl_relaxed_poll_timeout(addr, val, cond, delay_us, timeout_us) \
	readx_poll_timeout(readl_relaxed, addr, val, cond, delay_us, timeout_us)

#define readb_poll_timeout_atomic(addr, val, cond, delay_us, timeout_us) \
	readx_poll_timeout_atomic(readb, addr, val, cond, delay_us, timeout_us)
#define readw_poll_timeout_atomic(addr, val, cond, delay_us, timeout_us) \
	readx_poll_timeout_atomic(readw, addr, val, cond, delay_us, timeout_us)
#define readl_poll_timeout_atomic(addr, val, cond, delay_us, timeout_us) \
	readx_poll_timeout_atomic(readl, addr, val, cond, delay_us, timeout_us)
#define readq_poll_timeout_atomic(addr, val, cond, delay_us, timeout_us) \
	readx_poll_timeout_atomic(readq, addr, val, cond, delay_us, timeout_us)

#endif /* _DMASTACK_LINUX_IOPOLL_H */
