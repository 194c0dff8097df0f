/* SPDX-License-Identifier: MIT */
/*
 * Delays move the machine's clock: the calling thread waits that long of
 * machine time on its current machine, and the device models' timers that
 * fall due run meanwhile (a driver polling a register with udelay() sees
 * its device finish). Inside an interrupt handler or a timer callback the
 * clock cannot move; a delay there passes no machine time.
 */
#ifndef _DMASTACK_LINUX_DELAY_H
#define _DMASTACK_LINUX_DELAY_H

#ifdef __cplusplus
extern "C" {
#endif

void ndelay(unsigned long nsecs);
void udelay(unsigned long usecs);
void mdelay(unsigned long msecs);
void msleep(unsigned int msecs);
/* msleep() that a signal could cut short: there are none, 0 ms left. */
static inline unsigned long msleep_interruptible(unsigned int msecs)
{
	msleep(msecs);
	return 0;
}
void usleep_range(unsigned long min, unsigned long max);
static inline void fsleep(unsigned long usecs)
{
	usleep_range(usecs, usecs);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DELAY_H */
