// SPDX-License-Identifier: MIT
/*
 * The machine clock and its timers.
 *
 * The clock is a counter of nanoseconds that moves only when a program
 * moves it. Pending timers sit in one list sorted by expiry, then by
 * arming order, so that a run is the same every time. Moving the clock
 * takes the timers that are due off the list one at a time and runs each
 * callback with the timer lock dropped, the clock reading the timer's
 * expiry meanwhile; one thread moves the clock at a time. The kernel's
 * timers (the IOMMU's lazy flush queues) are machine timers like a
 * model's: hardware code calls nothing above it by name.
 */
#include <string.h>
#include "hw/machine.h"

void sim_timers_init(struct sim_machine *m)
{
	struct sim_timer_base *tb = &m->timers;

	pthread_mutex_init(&tb->lock, NULL);
	pthread_cond_init(&tb->idle, NULL);
	pthread_mutex_init(&tb->advance, NULL);
}

/*
 * Machine teardown: the device models have gone and cancelled their
 * timers; whatever is still listed belongs to memory its owner has freed,
 * so the list is dropped without touching it.
 */
void sim_timers_fini(struct sim_machine *m)
{
	struct sim_timer_base *tb = &m->timers;

	tb->head = tb->tail = NULL;
	pthread_mutex_destroy(&tb->advance);
	pthread_cond_destroy(&tb->idle);
	pthread_mutex_destroy(&tb->lock);
}

void sim_timer_init(struct sim_machine *m, struct sim_timer *t, sim_timer_fn fn,
		    void *data)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->fn = fn;
	t->data = data;
}

/* Caller holds the lock. */
static void timer_unlink(struct sim_timer_base *tb, struct sim_timer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		tb->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		tb->tail = t->prev;
	t->prev = t->next = NULL;
	t->pending = false;
}

/* Caller holds the lock; @t is not listed. Scans from the tail: new
 * timers usually expire last. */
static void timer_link(struct sim_timer_base *tb, struct sim_timer *t)
{
	struct sim_timer *after = tb->tail;

	while (after && after->expires > t->expires)
		after = after->prev;
	t->prev = after;
	t->next = after ? after->next : tb->head;
	if (t->next)
		t->next->prev = t;
	else
		tb->tail = t;
	if (after)
		after->next = t;
	else
		tb->head = t;
	t->pending = true;
}

/* Arm at @expires, or @delay after now when @relative; lock taken here. */
static int timer_arm(struct sim_machine *m, struct sim_timer *t, u64 ns,
		     bool relative)
{
	struct sim_timer_base *tb;
	int was;

	if (!m || !t || t->m != m || !t->fn)
		return -EINVAL;
	tb = &m->timers;
	pthread_mutex_lock(&tb->lock);
	if (relative) {
		u64 now = atomic_load(&m->clock_ns);

		ns = now + ns < now ? ~0ULL : now + ns;
	}
	was = t->pending;
	if (was)
		timer_unlink(tb, t);
	t->expires = ns;
	t->seq = ++tb->seq;
	timer_link(tb, t);
	pthread_mutex_unlock(&tb->lock);
	return was;
}

int sim_timer_arm(struct sim_machine *m, struct sim_timer *t, u64 expires_ns)
{
	return timer_arm(m, t, expires_ns, false);
}

int sim_timer_arm_in(struct sim_machine *m, struct sim_timer *t, u64 delay_ns)
{
	return timer_arm(m, t, delay_ns, true);
}

bool sim_timer_cancel(struct sim_timer *t)
{
	struct sim_timer_base *tb;
	bool was;

	if (!t || !t->m)
		return false;
	tb = &t->m->timers;
	pthread_mutex_lock(&tb->lock);
	was = t->pending;
	if (was)
		timer_unlink(tb, t);
	/* From its own callback the callback is "running": do not wait. */
	while (tb->running == t &&
	       atomic_load(&tb->advancer) != sim_thread_pointer())
		pthread_cond_wait(&tb->idle, &tb->lock);
	pthread_mutex_unlock(&tb->lock);
	return was;
}

bool sim_timer_pending(struct sim_timer *t)
{
	bool p;

	if (!t || !t->m)
		return false;
	pthread_mutex_lock(&t->m->timers.lock);
	p = t->pending;
	pthread_mutex_unlock(&t->m->timers.lock);
	return p;
}

u64 sim_timer_expires(struct sim_timer *t)
{
	u64 e;

	if (!t || !t->m)
		return 0;
	pthread_mutex_lock(&t->m->timers.lock);
	e = t->expires;
	pthread_mutex_unlock(&t->m->timers.lock);
	return e;
}

u64 sim_clock_now(struct sim_machine *m)
{
	return atomic_load(&m->clock_ns);
}

/*
 * Run every timer due by @target, then set the clock to @target and run
 * the clock hook. Caller holds the advance lock. The callback may free the
 * timer, so nothing touches it after the call but the @running pointer.
 */
static void clock_run_until(struct sim_machine *m, u64 target)
{
	struct sim_timer_base *tb = &m->timers;

	for (;;) {
		struct sim_timer *t;
		sim_timer_fn fn;
		void *data;

		pthread_mutex_lock(&tb->lock);
		t = tb->head;
		if (!t || t->expires > target) {
			pthread_mutex_unlock(&tb->lock);
			break;
		}
		timer_unlink(tb, t);
		if (t->expires > atomic_load(&m->clock_ns))
			atomic_store(&m->clock_ns, t->expires);
		tb->running = t;
		fn = t->fn;
		data = t->data;
		pthread_mutex_unlock(&tb->lock);

		fn(t, data);

		pthread_mutex_lock(&tb->lock);
		tb->running = NULL;
		pthread_cond_broadcast(&tb->idle);
		pthread_mutex_unlock(&tb->lock);
	}
	pthread_mutex_lock(&tb->lock);
	if (target > atomic_load(&m->clock_ns))
		atomic_store(&m->clock_ns, target);
	pthread_mutex_unlock(&tb->lock);
}

/* Is this thread running @m's timers (a callback, or a handler it raised)? */
bool sim_clock_moving_here(struct sim_machine *m)
{
	return atomic_load(&m->timers.advancer) == sim_thread_pointer();
}

/* A callback moving the clock would run timers inside a timer. */
static bool clock_move_begin(struct sim_machine *m, const char *what)
{
	if (atomic_load(&m->timers.advancer) == sim_thread_pointer()) {
		SIM_WARN(m, NULL, "%s called from a timer callback: the clock does not move",
			 what);
		return false;
	}
	pthread_mutex_lock(&m->timers.advance);
	atomic_store(&m->timers.advancer, sim_thread_pointer());
	return true;
}

static void clock_move_end(struct sim_machine *m)
{
	atomic_store(&m->timers.advancer, 0);
	pthread_mutex_unlock(&m->timers.advance);
}

void sim_clock_advance(struct sim_machine *m, u64 ns)
{
	u64 now, target;

	if (!clock_move_begin(m, "sim_clock_advance"))
		return;
	now = atomic_load(&m->clock_ns);
	target = now + ns < now ? ~0ULL : now + ns;
	clock_run_until(m, target);
	clock_move_end(m);
}

bool sim_clock_next_expiry(struct sim_machine *m, u64 *expires)
{
	struct sim_timer_base *tb = &m->timers;
	bool any;

	pthread_mutex_lock(&tb->lock);
	any = tb->head != NULL;
	if (any)
		*expires = tb->head->expires;
	pthread_mutex_unlock(&tb->lock);
	return any;
}

bool sim_clock_run_next(struct sim_machine *m)
{
	struct sim_timer_base *tb = &m->timers;
	u64 target;

	if (!clock_move_begin(m, "sim_clock_run_next"))
		return false;
	pthread_mutex_lock(&tb->lock);
	if (!tb->head) {
		pthread_mutex_unlock(&tb->lock);
		clock_move_end(m);
		return false;
	}
	target = max(tb->head->expires, (u64)atomic_load(&m->clock_ns));
	pthread_mutex_unlock(&tb->lock);
	clock_run_until(m, target);
	clock_move_end(m);
	return true;
}
