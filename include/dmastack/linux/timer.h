/* SPDX-License-Identifier: MIT */
/*
 * Timers (include/linux/timer.h) on the machine's clock: @expires is in
 * jiffies of the machine the timer was first armed on (the current
 * machine then), and the callback runs when that machine's clock reaches
 * it, on the thread that moves the clock (a delay, a waiter), where it
 * must not sleep (might_sleep() there is a BUG report). The timer is
 * embedded in its owner and never allocates.
 */
#ifndef _DMASTACK_LINUX_TIMER_H
#define _DMASTACK_LINUX_TIMER_H

#include <time.h>	/* its timer_delete() is POSIX's: ours is a macro */
#include "types.h"
#include "container_of.h"

#ifdef __cplusplus
extern "C" {
#endif

/* timer_list::flags (accepted, no effect) */
#define TIMER_DEFERRABLE	0x00080000
#define TIMER_PINNED		0x00100000
#define TIMER_IRQSAFE		0x00200000

/*
 * struct timer_list - a timer
 * @expires: when it runs (jiffies)
 * @function: what runs
 * @flags: TIMER_*
 *
 * The rest is private: the machine timer it runs on.
 */
struct timer_list {
	unsigned long expires;
	void (*function)(struct timer_list *timer);
	unsigned int flags;
	unsigned long long __timer[8];
};

void timer_setup(struct timer_list *timer,
		 void (*callback)(struct timer_list *timer),
		 unsigned int flags);
#define timer_setup_on_stack(timer, callback, flags)			\
	timer_setup((timer), (callback), (flags))
static inline void destroy_timer_on_stack(struct timer_list *timer)
{
	(void)timer;
}

#define from_timer(var, callback_timer, timer_fieldname)		\
	container_of(callback_timer, __typeof__(*var), timer_fieldname)
#define timer_container_of(var, callback_timer, timer_fieldname)	\
	from_timer(var, callback_timer, timer_fieldname)

/* Arm (or move) to @expires; 1 if it was pending. */
int mod_timer(struct timer_list *timer, unsigned long expires);
/* Arm to timer->expires. */
void add_timer(struct timer_list *timer);
/* Take off the clock; 1 if it was pending. */
int __timer_delete(struct timer_list *timer);
#define timer_delete(timer)	__timer_delete(timer)
/* ... and wait for a callback running on another thread. */
int timer_delete_sync(struct timer_list *timer);
#define del_timer(t)		timer_delete(t)
#define del_timer_sync(t)	timer_delete_sync(t)
#define timer_shutdown_sync(t)	timer_delete_sync(t)
#define timer_shutdown(t)	timer_delete(t)
int timer_pending(const struct timer_list *timer);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_TIMER_H */
