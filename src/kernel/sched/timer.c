// SPDX-License-Identifier: MIT
/*
 * struct timer_list on a machine timer (<dmastack/sim-timer.h>): the
 * timer_list's private words hold the struct sim_timer, bound to the
 * machine it is first armed on; the callback runs on the thread that
 * moves that machine's clock.
 */
#include <string.h>
#include <dmastack/linux/timer.h>
#include "internal.h"

_Static_assert(sizeof(((struct timer_list *)0)->__timer) >=
	       sizeof(struct sim_timer), "timer_list holds a sim_timer");
_Static_assert(_Alignof(struct sim_timer) <= _Alignof(unsigned long long),
	       "timer_list aligns a sim_timer");

static struct sim_timer *st_of(const struct timer_list *t)
{
	return (struct sim_timer *)(void *)t->__timer;
}

static void timer_list_fn(struct sim_timer *st, void *data)
{
	struct timer_list *t = data;

	(void)st;
	t->function(t);
}

void timer_setup(struct timer_list *timer,
		 void (*callback)(struct timer_list *timer), unsigned int flags)
{
	memset(timer->__timer, 0, sizeof(timer->__timer));
	timer->function = callback;
	timer->flags = flags;
	timer->expires = 0;
}

int sim_timer_list_arm(struct sim_machine *m, struct timer_list *t,
		       u64 expires_ns)
{
	struct sim_timer *st = st_of(t);

	/* bound on first use (a statically initialised timer has no machine) */
	if (!st->m || (st->m != m && !sim_timer_pending(st)))
		sim_timer_init(m, st, timer_list_fn, t);
	return sim_timer_arm(st->m, st, expires_ns) == 1;
}

int sim_timer_list_cancel(struct timer_list *t)
{
	struct sim_timer *st = st_of(t);

	return st->m ? sim_timer_cancel(st) : 0;
}

int mod_timer(struct timer_list *timer, unsigned long expires)
{
	struct sim_timer *st = st_of(timer);
	struct sim_machine *m = st->m ? st->m : sim_current_machine();
	u64 ns = (u64)expires * NSEC_PER_JIFFY;

	if (!m) {
		WARN(1, "mod_timer: no machine to run the timer on");
		return 0;
	}
	if (ns / NSEC_PER_JIFFY != (u64)expires)
		ns = ~0ULL;
	timer->expires = expires;
	return sim_timer_list_arm(m, timer, ns);
}

void add_timer(struct timer_list *timer)
{
	mod_timer(timer, timer->expires);
}

/*
 * From the timer's own callback, sim_timer_cancel() does not wait; from
 * elsewhere it waits for a running callback: both are timer_delete_sync().
 * timer_delete() does the same (the wait is short: callbacks do not sleep).
 */
int __timer_delete(struct timer_list *timer)
{
	return sim_timer_list_cancel(timer);
}

int timer_delete_sync(struct timer_list *timer)
{
	return sim_timer_list_cancel(timer);
}

int timer_pending(const struct timer_list *timer)
{
	struct sim_timer *st = st_of(timer);

	return st->m ? sim_timer_pending(st) : 0;
}
