// SPDX-License-Identifier: MIT
/*
 * `current`: the calling thread's task. A user thread's task lives in the
 * thread (the kernel's per-thread state, the one exception to "state hangs
 * off the machine"); its pid comes from the machine the thread is in when
 * it first asks, so pids are deterministic for a deterministic program. A
 * kthread's or kworker's task is the machine's (kthread.c, workqueue.c)
 * and the thread enters it (sim_task_enter()).
 *
 * Sleeping and waking: a task sleeps in the state set_current_state() set
 * until wake_up_state() makes it TASK_RUNNING (under the task's sleep
 * lock, so a wakeup between setting the state and schedule() is not
 * lost). The sleep itself is sim_wait_machine() (wait.c): the machine's
 * time passes for it as for a completion's waiter.
 */
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <dmastack/linux/sched.h>
#include <dmastack/linux/wait.h>
#include "internal.h"
#include "kernel/sched/sched.h"

static _Thread_local struct task_struct user_task = {
	.__sleep_lock = PTHREAD_MUTEX_INITIALIZER,
	.__sleep_wake = PTHREAD_COND_INITIALIZER,
};
static _Thread_local bool user_task_made;
/* A kthread's or kworker's task, NULL for a user thread. */
static _Thread_local struct task_struct *entered_task;

/* The thread's name, as the kernel's comm of a user task is its own. */
static void user_task_comm(char comm[TASK_COMM_LEN])
{
	char name[16] = "";

	_Static_assert(TASK_COMM_LEN >= sizeof(name), "PR_GET_NAME's 16 bytes");
	if (prctl(PR_GET_NAME, name, 0, 0, 0) || !name[0])
		strcpy(name, "dmastack");
	memcpy(comm, name, sizeof(name));
}

/* The user thread's task, made with @m's next pid the first time. */
static struct task_struct *user_task_of(struct sim_machine *m)
{
	if (__builtin_expect(!user_task_made, 0)) {
		user_task.pid = m && m->kernel ?
			atomic_fetch_add(&m->kernel->last_pid, 1) + 1 : 0;
		user_task.tgid = user_task.pid;
		user_task_comm(user_task.comm);
		user_task_made = true;
	}
	return &user_task;
}

struct task_struct *get_current(void)
{
	if (entered_task)
		return entered_task;
	return user_task_of(sim_current_machine());
}

/**
 * sim_trace_task - the task an event @m traces now is made in
 * @m: the machine whose trace it is (gives a user thread's task its pid)
 * @comm: gets the task's name (TASK_COMM_LEN bytes)
 *
 * A kthread's or kworker's task, or the calling user thread's with the
 * name the thread has now (a thread that renames itself shows the new
 * name, as the kernel's comm follows prctl(PR_SET_NAME)). Returns its pid.
 */
int sim_trace_task(struct sim_machine *m, char *comm)
{
	struct task_struct *p = entered_task;

	if (!p) {
		p = user_task_of(m);
		user_task_comm(p->comm);
	}
	memcpy(comm, p->comm, TASK_COMM_LEN);
	return p->pid;
}

void sim_task_enter(struct task_struct *p)
{
	entered_task = p;
}

void sim_task_set_busy(struct task_struct *p, bool busy)
{
	if (!p->__nr_busy)
		return;
	pthread_mutex_lock(&p->__sleep_lock);
	if (p->__busy != busy) {
		p->__busy = busy;
		__atomic_add_fetch(p->__nr_busy, busy ? 1 : -1,
				   __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&p->__sleep_lock);
}

char *__get_task_comm(char *buf, size_t buf_size, struct task_struct *tsk)
{
	if (buf_size) {
		strncpy(buf, tsk->comm, buf_size - 1);
		buf[buf_size - 1] = '\0';
	}
	return buf;
}

/* ---- sleeping and waking ------------------------------------------------ */

int wake_up_state(struct task_struct *p, unsigned int state)
{
	int woken = 0;

	pthread_mutex_lock(&p->__sleep_lock);
	if (__atomic_load_n(&p->__state, __ATOMIC_ACQUIRE) & state) {
		__atomic_store_n(&p->__state, TASK_RUNNING, __ATOMIC_RELEASE);
		/* it runs from now on: the machine counts it busy */
		if (p->__nr_busy && !p->__busy) {
			p->__busy = true;
			__atomic_add_fetch(p->__nr_busy, 1, __ATOMIC_SEQ_CST);
		}
		pthread_cond_broadcast(&p->__sleep_wake);
		woken = 1;
	}
	pthread_mutex_unlock(&p->__sleep_lock);
	return woken;
}

int wake_up_process(struct task_struct *p)
{
	return wake_up_state(p, TASK_NORMAL);
}

static bool task_woken(void *arg)
{
	struct task_struct *p = arg;

	return task_is_running(p);
}

static bool task_block(void *arg, unsigned int ms)
{
	struct task_struct *p = arg;
	struct timespec ts;
	bool running;

	sim_realtime_deadline(&ts, ms);
	pthread_mutex_lock(&p->__sleep_lock);
	while (!task_is_running(p) &&
	       pthread_cond_timedwait(&p->__sleep_wake, &p->__sleep_lock,
				      &ts) == 0)
		;
	running = task_is_running(p);
	pthread_mutex_unlock(&p->__sleep_lock);
	return running;
}

/*
 * Sleep until woken or @timeout jiffies passed. Return: the jiffies left
 * (0 on timeout; MAX_SCHEDULE_TIMEOUT for none), or -1 if a sleep without
 * timeout was reported as a hung task or refused (atomic context).
 */
static long task_sleep(long timeout, const char *who)
{
	struct task_struct *p = get_current();
	struct sim_machine *m = sim_current_machine();
	u64 now = m ? sim_clock_now(m) : 0, deadline = ~0ULL;
	bool woken;

	if (timeout < 0) {
		WARN(1, "%s: wrong timeout value %lx", who, timeout);
		__atomic_store_n(&p->__state, TASK_RUNNING, __ATOMIC_RELEASE);
		return 0;
	}
	if (timeout != MAX_SCHEDULE_TIMEOUT) {
		u64 ns = (u64)timeout * NSEC_PER_JIFFY;

		deadline = ns / NSEC_PER_JIFFY != (u64)timeout ||
			   now + ns < now ? ~0ULL - 1 : now + ns;
	}
	woken = sim_wait_machine(task_woken, task_block, p, deadline, who);
	/* a timeout (or a refusal) wakes it */
	pthread_mutex_lock(&p->__sleep_lock);
	__atomic_store_n(&p->__state, TASK_RUNNING, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->__sleep_lock);
	if (timeout == MAX_SCHEDULE_TIMEOUT)
		return woken ? MAX_SCHEDULE_TIMEOUT : -1;
	if (!woken)
		return 0;
	now = m ? sim_clock_now(m) : 0;
	return deadline > now ? (long)((deadline - now) / NSEC_PER_JIFFY) : 0;
}

void schedule(void)
{
	task_sleep(MAX_SCHEDULE_TIMEOUT, "schedule");
}

void io_schedule(void)
{
	schedule();
}

int __wait_event_schedule(void)
{
	return task_sleep(MAX_SCHEDULE_TIMEOUT, "wait_event") < 0 ? -1 : 0;
}

long schedule_timeout(long timeout)
{
	long left = task_sleep(timeout, "schedule_timeout");

	return left < 0 ? 0 : left;
}

long io_schedule_timeout(long timeout)
{
	return schedule_timeout(timeout);
}

long schedule_timeout_interruptible(long timeout)
{
	set_current_state(TASK_INTERRUPTIBLE);
	return schedule_timeout(timeout);
}

long schedule_timeout_uninterruptible(long timeout)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	return schedule_timeout(timeout);
}

long schedule_timeout_killable(long timeout)
{
	set_current_state(TASK_KILLABLE);
	return schedule_timeout(timeout);
}

long schedule_timeout_idle(long timeout)
{
	set_current_state(TASK_IDLE);
	return schedule_timeout(timeout);
}

void __might_sleep(const char *file, int line)
{
	struct sim_machine *m = sim_current_machine();

	if (m && sim_clock_moving_here(m))
		SIM_BUG(m, NULL, "sleeping function called from invalid context at %s:%d (a timer callback or interrupt handler)",
			file, line);
}

void sim_task_init_kernel(struct sim_machine *m, struct task_struct *p,
			  unsigned int flags, const char *comm)
{
	p->pid = atomic_fetch_add(&m->kernel->last_pid, 1) + 1;
	p->tgid = p->pid;
	p->flags = PF_KTHREAD | flags;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->mm = p->active_mm = NULL;
	p->__state = TASK_RUNNING;
	pthread_mutex_init(&p->__sleep_lock, NULL);
	pthread_cond_init(&p->__sleep_wake, NULL);
	p->__busy = false;
	p->__nr_busy = &m->kernel->nr_busy;
	p->usage.refs.counter = 1;	/* the creator's: kthread_stop() drops it */
}

void sim_task_fini_kernel(struct task_struct *p)
{
	pthread_cond_destroy(&p->__sleep_wake);
	pthread_mutex_destroy(&p->__sleep_lock);
}
