// SPDX-License-Identifier: MIT
/*
 * Time as kernel code spends it: delays and jiffies on the current
 * machine's clock, and completions whose waiters run the machine's timers
 * (the device models finish their jobs and interrupt) until they are
 * completed or their deadline passes on that clock. Deterministic as long
 * as one thread drives the machine; another thread's complete() wakes a
 * waiter that has nothing left to run.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <dmastack/linux/ktime.h>
#include "internal.h"

#define NSEC_PER_JIFFY	1000000ULL	/* HZ = 1000 */

/* Let @ns of machine time pass for the calling thread. */
static void delay_ns(u64 ns)
{
	struct sim_machine *m = sim_current_machine();

	/* inside a timer callback or the handler it raised: no time passes */
	if (!m || sim_clock_moving_here(m))
		return;
	sim_clock_advance(m, ns);
}

void ndelay(unsigned long nsecs)
{
	delay_ns(nsecs);
}

void udelay(unsigned long usecs)
{
	delay_ns((u64)usecs * 1000);
}

void mdelay(unsigned long msecs)
{
	delay_ns((u64)msecs * 1000000);
}

void msleep(unsigned int msecs)
{
	delay_ns((u64)msecs * 1000000);
}

/* The shortest sleep: the machine's clock is exact. */
void usleep_range(unsigned long min, unsigned long max)
{
	(void)max;
	delay_ns((u64)min * 1000);
}

ktime_t ktime_get(void)
{
	struct sim_machine *m = sim_current_machine();

	return m ? (ktime_t)sim_clock_now(m) : 0;
}

u64 get_jiffies_64(void)
{
	struct sim_machine *m = sim_current_machine();

	return m ? sim_clock_now(m) / NSEC_PER_JIFFY : 0;
}

/* ---- completions --------------------------------------------------------- */

void init_completion(struct completion *x)
{
	x->done = 0;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wait, NULL);
}

void reinit_completion(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	x->done = 0;
	pthread_mutex_unlock(&x->lock);
}

void complete(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	if (x->done != ~0U)
		x->done++;
	pthread_cond_signal(&x->wait);
	pthread_mutex_unlock(&x->lock);
}

void complete_all(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	x->done = ~0U;
	pthread_cond_broadcast(&x->wait);
	pthread_mutex_unlock(&x->lock);
}

/* Take one completion if there is one. */
static bool take(struct completion *x)
{
	bool got;

	pthread_mutex_lock(&x->lock);
	got = x->done != 0;
	if (got && x->done != ~0U)
		x->done--;
	pthread_mutex_unlock(&x->lock);
	return got;
}

bool try_wait_for_completion(struct completion *x)
{
	return take(x);
}

bool completion_done(struct completion *x)
{
	bool done;

	pthread_mutex_lock(&x->lock);
	done = x->done != 0;
	pthread_mutex_unlock(&x->lock);
	return done;
}

/* Block up to @ms of real time for another thread; true if completed. */
static bool wait_other_thread(struct completion *x, unsigned int ms)
{
	struct timespec ts;
	bool got;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&x->lock);
	while (!x->done &&
	       pthread_cond_timedwait(&x->wait, &x->lock, &ts) != ETIMEDOUT)
		;
	got = x->done != 0;
	if (got && x->done != ~0U)
		x->done--;
	pthread_mutex_unlock(&x->lock);
	return got;
}

/**
 * sim_wait_machine - wait for @done, running the current machine
 * @done: true once the awaited thing happened (consumes it if it must)
 * @block: wait up to @ms of real time for another thread to make @done
 *	true; true if it did (and it was consumed)
 * @arg: for both
 * @deadline: the machine time to give up at (~0: none)
 * @who: the kernel call, for reports
 *
 * The machine's timers run while they fall before the deadline (devices
 * finish their jobs and interrupt); when none is left, another thread
 * may still do it; with a deadline the clock then moves to it. Called
 * from a timer callback or the handler it raised, it is a BUG (sleeping
 * in atomic context) and returns false. Without a deadline and with
 * nothing left to happen, it reports a hung task after 5 s of real time.
 *
 * Return: true if @done, false on timeout.
 */
bool sim_wait_machine(bool (*done)(void *arg),
		      bool (*block)(void *arg, unsigned int ms), void *arg,
		      u64 deadline, const char *who)
{
	struct sim_machine *m = sim_current_machine();
	u64 next;

	/* might_sleep(): whether or not it would have to wait */
	if (m && sim_clock_moving_here(m)) {
		SIM_BUG(m, NULL, "%s: sleeping function called from invalid context (a timer callback or interrupt handler)",
			who);
		return false;
	}
	if (done(arg))
		return true;
	if (!m)
		return block(arg, 5000);
	for (;;) {
		if (done(arg))
			return true;
		if (sim_clock_now(m) >= deadline)
			return false;
		/* the next device event, if it comes before the deadline */
		if (sim_clock_next_expiry(m, &next) && next <= deadline) {
			sim_clock_run_next(m);
			continue;
		}
		/* nothing the machine will do: another thread, or the deadline */
		if (block(arg, deadline == ~0ULL ? 5000 : 100))
			return true;
		if (deadline == ~0ULL) {
			SIM_BUG(m, NULL, "%s: task blocked with nothing left to complete it (hung task)",
				who);
			return false;
		}
		sim_clock_advance(m, deadline - sim_clock_now(m));
	}
}

static bool completion_take(void *arg)
{
	return take(arg);
}

static bool completion_block(void *arg, unsigned int ms)
{
	return wait_other_thread(arg, ms);
}

static bool wait_until(struct completion *x, u64 deadline, const char *who)
{
	return sim_wait_machine(completion_take, completion_block, x, deadline,
				who);
}

void wait_for_completion(struct completion *x)
{
	wait_until(x, ~0ULL, "wait_for_completion");
}

unsigned long wait_for_completion_timeout(struct completion *x,
					  unsigned long timeout)
{
	struct sim_machine *m = sim_current_machine();
	u64 now = m ? sim_clock_now(m) : 0;
	u64 deadline = now + (u64)timeout * NSEC_PER_JIFFY;
	u64 left;

	if (deadline < now)
		deadline = ~0ULL - 1;
	if (!wait_until(x, deadline, "wait_for_completion_timeout"))
		return 0;
	now = m ? sim_clock_now(m) : 0;
	left = deadline > now ? (deadline - now) / NSEC_PER_JIFFY : 0;
	return left ? (unsigned long)left : 1;
}
