/* SPDX-License-Identifier: MIT */
/*
 * Machine timers: callbacks on the machine clock.
 *
 * The machine clock (sim_clock_now(), in ns) moves only when a program
 * moves it (sim_clock_advance(), sim_clock_run_next()), so everything that
 * runs on it - a device model completing a job after its latency, the lazy
 * IOMMU flush-queue timeout - happens at the same machine time on every
 * run. A timer is embedded in its owner's structure (as the kernel's
 * struct timer_list) and never allocates.
 */
#ifndef _DMASTACK_SIM_TIMER_H
#define _DMASTACK_SIM_TIMER_H

#include <dmastack/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct sim_timer;

/*
 * A timer callback. Runs on the thread that moves the clock, with no
 * machine lock held, while sim_clock_now() reads the timer's expiry (or
 * the current time if the timer was armed in the past). It may arm,
 * re-arm or cancel timers, its own included, raise interrupts and perform
 * device DMA; it must not move the clock.
 */
typedef void (*sim_timer_fn)(struct sim_timer *t, void *data);

/*
 * struct sim_timer - one timer, owned (embedded) by its user. Initialise
 * with sim_timer_init(); every field is private to the machine.
 */
struct sim_timer {
	sim_timer_fn fn;
	void *data;
	struct sim_machine *m;
	u64 expires;
	u64 seq;			/* arming order, breaks expiry ties */
	struct sim_timer *prev, *next;
	bool pending;
};

/**
 * sim_timer_init - prepare @t to run @fn(@t, @data) on @m's clock
 * @m: the machine whose clock the timer follows
 * @t: the timer, owned by the caller (not pending)
 * @fn: the callback
 * @data: passed to @fn
 *
 * Call once before arming; never on a pending timer.
 */
void sim_timer_init(struct sim_machine *m, struct sim_timer *t, sim_timer_fn fn,
		    void *data);

/**
 * sim_timer_arm - run @t when the clock reaches @expires_ns
 * @m: the timer's machine
 * @t: an initialised timer
 * @expires_ns: absolute machine time; in the past (or now), the timer runs
 *	at the next sim_clock_advance() or sim_clock_run_next(), even one of
 *	0 ns (that is deferred work)
 *
 * Arming a pending timer moves it (the kernel's mod_timer()). Timers that
 * expire at the same time run in the order they were armed. Any thread, a
 * timer callback included; takes the machine's timer lock.
 *
 * Return: 1 if @t was pending (it was moved), 0 if it was not, -EINVAL
 * if @t was not initialised for @m.
 */
int sim_timer_arm(struct sim_machine *m, struct sim_timer *t, u64 expires_ns);

/**
 * sim_timer_arm_in - run @t @delay_ns after the clock's current time
 * @m: the timer's machine
 * @t: an initialised timer
 * @delay_ns: from now (saturating); 0 is deferred work: @t runs at the next
 *	clock move, after the callback or MMIO handler that armed it returned
 *
 * The clock is read under the timer lock, so a concurrent clock move
 * cannot fall between reading it and arming. Return: as sim_timer_arm().
 */
int sim_timer_arm_in(struct sim_machine *m, struct sim_timer *t, u64 delay_ns);

/**
 * sim_timer_cancel - take @t off the clock
 * @t: an initialised timer
 *
 * After it returns, @t is not pending and its callback is not running,
 * unless sim_timer_cancel() was called from that callback (it then only
 * takes the timer off the clock): like the kernel's timer_delete_sync(),
 * it waits for a callback running on another thread. It must therefore
 * not be called while holding a lock that the callback takes.
 *
 * Return: true if @t was pending.
 */
bool sim_timer_cancel(struct sim_timer *t);

/**
 * sim_timer_pending - is @t armed and not yet run?
 * @t: an initialised timer
 */
bool sim_timer_pending(struct sim_timer *t);

/**
 * sim_timer_expires - the machine time @t is (or was last) armed for
 * @t: an initialised timer
 */
u64 sim_timer_expires(struct sim_timer *t);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_SIM_TIMER_H */
