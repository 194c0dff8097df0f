// SPDX-License-Identifier: MIT
/*
 * Kernel threads: a pthread per kthread that enters its creator's machine
 * (sim_set_current_machine()) and its own task (sim_task_enter()). The
 * struct kthread, with the task in it, is allocated from the machine's
 * allocator (fail-Nth reaches kthread_create()) and listed on the machine
 * until kthread_stop() (or the machine's shutdown) joins the thread and
 * frees it.
 *
 * Threads: the kthread's pthread runs only the kthread function (after
 * its first wakeup); kthread_stop() runs on the caller's thread and waits
 * there, running the machine as a completion's waiter does.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <dmastack/linux/err.h>
#include <dmastack/linux/kthread.h>
#include "kernel/sched/sched.h"

struct kthread {
	struct task_struct task;	/* task.worker_private is this */
	struct sim_machine *m;
	int (*threadfn)(void *data);
	void *data;
	int result;
	/* under @lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* @exited or @parked changed */
	bool should_stop, should_park, parked, exited;
	pthread_t thread;
	struct list_head node;		/* sched->kthreads */
};

static struct kthread *to_kthread(struct task_struct *p)
{
	if (!p || (p->flags & (PF_KTHREAD | PF_WQ_WORKER)) != PF_KTHREAD)
		return NULL;
	return p->worker_private;
}

static void *kthread_main(void *arg)
{
	struct kthread *kt = arg;
	struct task_struct *p = &kt->task;
	bool stop;

	sim_set_current_machine(kt->m);
	sim_task_enter(p);
	/* created asleep: the first wake_up_process() starts it */
	pthread_mutex_lock(&p->__sleep_lock);
	while (!task_is_running(p))
		pthread_cond_wait(&p->__sleep_wake, &p->__sleep_lock);
	pthread_mutex_unlock(&p->__sleep_lock);
	pthread_mutex_lock(&kt->lock);
	stop = kt->should_stop;
	pthread_mutex_unlock(&kt->lock);
	kt->result = stop ? -EINTR : kt->threadfn(kt->data);
	sim_task_set_busy(p, false);
	pthread_mutex_lock(&kt->lock);
	kt->exited = true;
	pthread_cond_broadcast(&kt->cond);
	pthread_mutex_unlock(&kt->lock);
	return NULL;
}

struct task_struct *kthread_create_on_node(int (*threadfn)(void *data),
					   void *data, int node,
					   const char namefmt[], ...)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_sched *s = sim_sched_of(m);
	char comm[TASK_COMM_LEN];
	struct kthread *kt;
	va_list ap;

	(void)node;
	if (!s)
		return ERR_PTR(-EINVAL);
	kt = sim_kzalloc(m, sizeof(*kt));
	if (!kt)
		return ERR_PTR(-ENOMEM);
	va_start(ap, namefmt);
	vsnprintf(comm, sizeof(comm), namefmt, ap);
	va_end(ap);
	sim_task_init_kernel(m, &kt->task, 0, comm);
	kt->task.__state = TASK_UNINTERRUPTIBLE;
	kt->task.worker_private = kt;
	kt->m = m;
	kt->threadfn = threadfn;
	kt->data = data;
	pthread_mutex_init(&kt->lock, NULL);
	pthread_cond_init(&kt->cond, NULL);
	if (pthread_create(&kt->thread, NULL, kthread_main, kt)) {
		pthread_cond_destroy(&kt->cond);
		pthread_mutex_destroy(&kt->lock);
		sim_task_fini_kernel(&kt->task);
		sim_kfree(m, kt);
		return ERR_PTR(-ENOMEM);
	}
	pthread_mutex_lock(&s->lock);
	list_add_tail(&kt->node, &s->kthreads);
	pthread_mutex_unlock(&s->lock);
	return &kt->task;
}

static bool kthread_exited(void *arg)
{
	struct kthread *kt = arg;
	bool exited;

	pthread_mutex_lock(&kt->lock);
	exited = kt->exited;
	pthread_mutex_unlock(&kt->lock);
	return exited;
}

/* Wait up to @ms of real time for @kt's @exited or @parked. */
static bool kthread_block(struct kthread *kt, unsigned int ms, bool park)
{
	struct timespec ts;
	bool got;

	sim_realtime_deadline(&ts, ms);
	pthread_mutex_lock(&kt->lock);
	while (!kt->exited && !(park && kt->parked) &&
	       pthread_cond_timedwait(&kt->cond, &kt->lock, &ts) == 0)
		;
	got = kt->exited || (park && kt->parked);
	pthread_mutex_unlock(&kt->lock);
	return got;
}

static bool kthread_exit_block(void *arg, unsigned int ms)
{
	return kthread_block(arg, ms, false);
}

/* Stop @kt, join and free it; false if it did not stop (reported). */
static bool kthread_reap_result(struct kthread *kt, int *result)
{
	struct sim_sched *s = sim_sched_of(kt->m);

	pthread_mutex_lock(&kt->lock);
	kt->should_stop = true;
	kt->should_park = false;
	pthread_cond_broadcast(&kt->cond);
	pthread_mutex_unlock(&kt->lock);
	wake_up_process(&kt->task);
	if (!sim_wait_machine(kthread_exited, kthread_exit_block, kt, ~0ULL,
			      "kthread_stop"))
		return false;
	pthread_join(kt->thread, NULL);
	pthread_mutex_lock(&s->lock);
	list_del(&kt->node);
	pthread_mutex_unlock(&s->lock);
	*result = kt->result;
	put_task_struct(&kt->task);
	return true;
}

/* The last reference to a kthread's task is gone (it was reaped). */
static void kthread_free(struct kthread *kt)
{
	pthread_cond_destroy(&kt->cond);
	pthread_mutex_destroy(&kt->lock);
	sim_task_fini_kernel(&kt->task);
	sim_kfree(kt->m, kt);
}

/**
 * put_task_struct - drop a reference taken with get_task_struct()
 *
 * A kthread's task (and its struct kthread) is freed when kthread_stop()
 * has reaped it and no reference is left, so a task pointer kept across
 * kthread_stop() stays readable, as in the kernel. The tasks of user
 * threads and kworkers live as long as their thread or workqueue.
 */
void put_task_struct(struct task_struct *t)
{
	struct kthread *kt = to_kthread(t);
	int left;

	if (!t)
		return;
	left = __atomic_sub_fetch(&t->usage.refs.counter, 1, __ATOMIC_ACQ_REL);
	if (WARN(left < 0, "put_task_struct: %s: reference count underflow\n",
		 t->comm)) {
		__atomic_store_n(&t->usage.refs.counter, 0, __ATOMIC_RELAXED);
		return;
	}
	if (!left && kt)
		kthread_free(kt);
}

static bool kthread_reap(struct kthread *kt)
{
	int result;

	return kthread_reap_result(kt, &result);
}

int kthread_stop(struct task_struct *k)
{
	struct kthread *kt = to_kthread(k);
	int ret;

	if (!kt) {
		WARN(1, "kthread_stop: %s is not a kthread", k ? k->comm : "NULL");
		return -EINVAL;
	}
	if (k == current) {
		WARN(1, "kthread_stop: %s stops itself", k->comm);
		return -EDEADLK;
	}
	/* reported (hung task) if it does not stop: it keeps its memory */
	if (!kthread_reap_result(kt, &ret))
		return -EINTR;
	return ret;
}

/* kthread_stop() and the put of the reference the caller took. */
int kthread_stop_put(struct task_struct *k)
{
	int ret = kthread_stop(k);

	if (ret != -EINVAL && ret != -EDEADLK)
		put_task_struct(k);
	return ret;
}

unsigned int num_online_cpus(void)
{
	struct sim_machine *m = sim_current_machine();

	return m && m->ncpus ? m->ncpus : 1;
}

static struct kthread *current_kthread(const char *who)
{
	struct kthread *kt = to_kthread(current);

	if (!kt)
		WARN(1, "%s: not called from a kthread", who);
	return kt;
}

bool kthread_should_stop(void)
{
	struct kthread *kt = current_kthread("kthread_should_stop");
	bool stop;

	if (!kt)
		return false;
	pthread_mutex_lock(&kt->lock);
	stop = kt->should_stop;
	pthread_mutex_unlock(&kt->lock);
	return stop;
}

bool kthread_should_park(void)
{
	struct kthread *kt = current_kthread("kthread_should_park");
	bool park;

	if (!kt)
		return false;
	pthread_mutex_lock(&kt->lock);
	park = kt->should_park;
	pthread_mutex_unlock(&kt->lock);
	return park;
}

void kthread_parkme(void)
{
	struct kthread *kt = current_kthread("kthread_parkme");

	if (!kt)
		return;
	/* parked is waiting: not busy, and nobody needs the clock for it */
	sim_task_set_busy(&kt->task, false);
	pthread_mutex_lock(&kt->lock);
	while (kt->should_park) {
		kt->parked = true;
		__atomic_store_n(&kt->task.__state, TASK_PARKED,
				 __ATOMIC_RELEASE);
		pthread_cond_broadcast(&kt->cond);
		pthread_cond_wait(&kt->cond, &kt->lock);
	}
	kt->parked = false;
	__atomic_store_n(&kt->task.__state, TASK_RUNNING, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&kt->lock);
	sim_task_set_busy(&kt->task, true);
}

static bool kthread_parked(void *arg)
{
	struct kthread *kt = arg;
	bool got;

	pthread_mutex_lock(&kt->lock);
	got = kt->parked || kt->exited;
	pthread_mutex_unlock(&kt->lock);
	return got;
}

static bool kthread_park_block(void *arg, unsigned int ms)
{
	return kthread_block(arg, ms, true);
}

int kthread_park(struct task_struct *k)
{
	struct kthread *kt = to_kthread(k);
	bool exited;

	if (!kt) {
		WARN(1, "kthread_park: not a kthread");
		return -EINVAL;
	}
	pthread_mutex_lock(&kt->lock);
	exited = kt->exited;
	kt->should_park = !exited;
	pthread_mutex_unlock(&kt->lock);
	if (exited)
		return -ENOSYS;
	wake_up_process(k);
	sim_wait_machine(kthread_parked, kthread_park_block, kt, ~0ULL,
			 "kthread_park");
	pthread_mutex_lock(&kt->lock);
	exited = kt->exited && !kt->parked;
	pthread_mutex_unlock(&kt->lock);
	return exited ? -ENOSYS : 0;
}

void kthread_unpark(struct task_struct *k)
{
	struct kthread *kt = to_kthread(k);

	if (!kt)
		return;
	pthread_mutex_lock(&kt->lock);
	kt->should_park = false;
	pthread_cond_broadcast(&kt->cond);
	pthread_mutex_unlock(&kt->lock);
}

void *kthread_data(struct task_struct *k)
{
	struct kthread *kt = to_kthread(k);

	return kt ? kt->data : NULL;
}

void sim_kthreads_stop_all(struct sim_machine *m, const char *why,
			   bool (*owns)(void *mod, const void *addr),
			   void *mod)
{
	struct sim_sched *s = sim_sched_of(m);

	if (!s)
		return;
	for (;;) {
		struct kthread *kt, *found = NULL;
		bool running = false;

		pthread_mutex_lock(&s->lock);
		list_for_each_entry(kt, &s->kthreads, node) {
			if (owns && !owns(mod, (const void *)kt->threadfn))
				continue;
			found = kt;
			break;
		}
		pthread_mutex_unlock(&s->lock);
		if (!found)
			break;
		pthread_mutex_lock(&found->lock);
		running = !found->exited;
		pthread_mutex_unlock(&found->lock);
		/* one that returned by itself is only reaped */
		if (running)
			SIM_WARN(m, NULL, "kthread %s (pid %d) still running %s: stopped",
				 found->task.comm, found->task.pid, why);
		if (!kthread_reap(found))
			break;	/* it did not stop (reported): leave it */
	}
}
