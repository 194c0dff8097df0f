// SPDX-License-Identifier: MIT
/*
 * Threads of a machine: the per-CPU analogue.
 *
 * Per-CPU data in the kernel is reached with preemption off; a userspace
 * thread can migrate at any instruction, so per-CPU structures would need a
 * lock on every access. dmastack gives each thread that uses a machine a
 * small index instead (sim_thread_id()), kept in a pthread key of the
 * machine, and per-"CPU" structures are arrays indexed by it that only
 * their thread touches on the fast path. An index is recycled when its
 * thread exits: the next thread inherits whatever the structures hold,
 * which is safe because the hand-over goes through thread_lock.
 *
 * Another thread that must reach into such a structure (a cache flush)
 * uses an asymmetric Dekker handshake: the owner announces itself with a
 * plain store and a compiler barrier (sim_fence_owner()), the visitor with
 * a store and membarrier(2) (sim_fence_visitor()), which runs a full
 * barrier on every CPU running this process. Where membarrier is missing
 * both sides use a full fence instead - correct, only slower.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "hw/machine.h"

static void sim_thread_exit(void *arg)
{
	struct sim_thread *t = arg;
	struct sim_machine *m = t->m;

	if (t->id < 0)
		return;
	pthread_mutex_lock(&m->thread_lock);
	/* a later thread may get this TCB address: it must miss the hint */
	atomic_store_explicit(&t->tp, 0, memory_order_relaxed);
	m->thread_used[t->id / 64] &= ~(1ULL << (t->id % 64));
	pthread_mutex_unlock(&m->thread_lock);
}

static bool sim_membarrier_register(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return false;
	return syscall(SYS_membarrier,
		       MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/**
 * sim_threads_init - thread indices and the visitor fence of a new machine
 * @m: the machine, before any thread uses it
 *
 * Without a pthread key (the process ran out of them) every thread gets
 * index -1 and per-thread fast paths are simply not used.
 */
void sim_threads_init(struct sim_machine *m)
{
	pthread_mutex_init(&m->thread_lock, NULL);
	m->thread_key_ok = pthread_key_create(&m->thread_key,
					      sim_thread_exit) == 0;
	m->thread_none.m = m;
	m->thread_none.id = -1;
	for (int i = 0; i < SIM_MAX_THREADS; i++) {
		m->threads[i].m = m;
		m->threads[i].id = i;
	}
	m->membarrier = sim_membarrier_register();
}

/*
 * Deleting the key runs no destructor: threads still alive keep a value
 * glibc no longer hands out, and their exit leaves the freed machine alone.
 */
void sim_threads_fini(struct sim_machine *m)
{
	if (m->thread_key_ok)
		pthread_key_delete(m->thread_key);
	pthread_mutex_destroy(&m->thread_lock);
}

/*
 * A hint miss: the thread's index from the pthread key (refreshing the
 * hint), or on first use the lowest free index, or none.
 */
int sim_thread_id_slow(struct sim_machine *m)
{
	uintptr_t tp = sim_thread_pointer();
	struct sim_thread *t;

	if (!m->thread_key_ok)
		return -1;
	t = pthread_getspecific(m->thread_key);
	if (t)
		goto hint;
	t = &m->thread_none;
	pthread_mutex_lock(&m->thread_lock);
	for (int w = 0; w < SIM_MAX_THREADS / 64; w++) {
		if (m->thread_used[w] == ~0ULL)
			continue;
		int bit = __builtin_ctzll(~m->thread_used[w]);

		m->thread_used[w] |= 1ULL << bit;
		t = &m->threads[w * 64 + bit];
		atomic_store_explicit(&t->tp, tp, memory_order_relaxed);
		break;
	}
	pthread_mutex_unlock(&m->thread_lock);
	if (pthread_setspecific(m->thread_key, t)) {
		sim_thread_exit(t);
		return -1;
	}
hint:
	if (t->id >= 0)
		atomic_store_explicit(&m->thread_hint[sim_thread_hint_slot(tp)],
				      t, memory_order_relaxed);
	return t->id;
}

/**
 * sim_fence_visitor - the heavy side of the owner/visitor handshake
 * @m: the machine
 *
 * After the visitor's store, makes sure every owner either sees it or has
 * its own announcing store visible to the visitor.
 */
void sim_fence_visitor(struct sim_machine *m)
{
	if (m->membarrier &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
		return;
	atomic_thread_fence(memory_order_seq_cst);
}

/* Tests: force the full-fence variant of the handshake. */
void sim_threads_set_membarrier(struct sim_machine *m, bool on)
{
	m->membarrier = on && sim_membarrier_register();
}
