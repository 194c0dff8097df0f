/* SPDX-License-Identifier: MIT */
/*
 * Read-write semaphores: many readers or one writer, on a pthread mutex
 * and condition variable. A waiting writer holds new readers back (as
 * the kernel's rwsem keeps readers from starving writers), so a thread
 * must not take the read side twice, as in the kernel.
 * downgrade_write() turns the write hold into a read hold atomically.
 *
 * The writer is recorded and readers are counted for the lockdep
 * assertions (<linux/lockdep.h>): lockdep_assert_held_write() checks the
 * calling thread writes, lockdep_assert_held_read() that it is
 * read-locked. Checked, each a WARN at the caller's line: taking a
 * rwsem the thread holds for writing (returns without taking it),
 * up_write() or downgrade_write() by a thread that is not the writer,
 * up_read() of a rwsem that is not read-locked (nothing is released).
 *
 * Any thread may release a read hold (up_read_non_owner() is up_read()).
 * The _killable and _interruptible forms return 0.
 */
#ifndef _DMASTACK_LINUX_RWSEM_H
#define _DMASTACK_LINUX_RWSEM_H

#include <errno.h>
#include <pthread.h>
#include "types.h"
#include "compiler.h"
#include "bug.h"
#include "lockdep.h"
#include "cleanup.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rw_semaphore {
	pthread_mutex_t wait_lock;	/* guards count and writers_waiting */
	pthread_cond_t wait;		/* readers and writers wait here */
	long count;			/* readers holding it, -1 for a writer */
	unsigned int writers_waiting;
	struct lockdep_map dep_map;
};

#define __RWSEM_INITIALIZER(semname)					\
	{ .wait_lock = PTHREAD_MUTEX_INITIALIZER,			\
	  .wait = PTHREAD_COND_INITIALIZER, .count = 0,			\
	  .writers_waiting = 0, .dep_map = { .name = #semname } }
#define DECLARE_RWSEM(semname)						\
	struct rw_semaphore semname = __RWSEM_INITIALIZER(semname)

static inline void __init_rwsem(struct rw_semaphore *sem, const char *name,
				struct lock_class_key *key)
{
	pthread_mutex_init(&sem->wait_lock, NULL);
	pthread_cond_init(&sem->wait, NULL);
	__atomic_store_n(&sem->count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sem->writers_waiting, 0, __ATOMIC_RELAXED);
	lockdep_init_map(&sem->dep_map, name, key, 0);
}

#define init_rwsem(sem)		__init_rwsem((sem), #sem, NULL)

/* Taken by this thread for writing? Then taking it again is a WARN. */
static inline bool __rwsem_recursion(struct rw_semaphore *sem,
				     const char *op, const char *what,
				     const char *file, int line)
{
	if (likely(!__lockdep_owned(&sem->dep_map)))
		return false;
	warn_slowpath_fmt(file, line, TAINT_WARN,
			  "possible recursive locking detected: %s(%s) by the thread that holds it for writing",
			  op, what);
	return true;
}

/*
 * count and writers_waiting change under wait_lock, and are read outside
 * it too (rwsem_is_locked(), rwsem_is_contended()): atomics
 */
static inline long __rwsem_count(struct rw_semaphore *sem)
{
	return __atomic_load_n(&sem->count, __ATOMIC_RELAXED);
}

static inline unsigned int __rwsem_writers_waiting(struct rw_semaphore *sem)
{
	return __atomic_load_n(&sem->writers_waiting, __ATOMIC_RELAXED);
}

static inline void __rwsem_set_count(struct rw_semaphore *sem, long count)
{
	__atomic_store_n(&sem->count, count, __ATOMIC_RELAXED);
}

static inline int __down_read_at(struct rw_semaphore *sem, const char *op,
				 const char *what, const char *file, int line)
{
	if (__rwsem_recursion(sem, op, what, file, line))
		return -EDEADLK;
	pthread_mutex_lock(&sem->wait_lock);
	while (__rwsem_count(sem) < 0 || __rwsem_writers_waiting(sem))
		pthread_cond_wait(&sem->wait, &sem->wait_lock);
	__rwsem_set_count(sem, __rwsem_count(sem) + 1);
	__lockdep_acquire(&sem->dep_map, 1);
	pthread_mutex_unlock(&sem->wait_lock);
	return 0;
}

/* 1 if read-locked now, 0 if a writer holds it or waits for it. */
static inline int down_read_trylock(struct rw_semaphore *sem)
{
	int ok = 0;

	if (__lockdep_owned(&sem->dep_map))
		return 0;
	pthread_mutex_lock(&sem->wait_lock);
	if (__rwsem_count(sem) >= 0 && !__rwsem_writers_waiting(sem)) {
		__rwsem_set_count(sem, __rwsem_count(sem) + 1);
		__lockdep_acquire(&sem->dep_map, 1);
		ok = 1;
	}
	pthread_mutex_unlock(&sem->wait_lock);
	return ok;
}

static inline void __up_read_at(struct rw_semaphore *sem, const char *what,
				const char *file, int line)
{
	pthread_mutex_lock(&sem->wait_lock);
	if (unlikely(__rwsem_count(sem) <= 0)) {
		pthread_mutex_unlock(&sem->wait_lock);
		warn_slowpath_fmt(file, line, TAINT_WARN,
				  "bad unlock balance detected: up_read(%s) of a rwsem that is not read-locked",
				  what);
		return;
	}
	__lockdep_release(&sem->dep_map, 1);
	__rwsem_set_count(sem, __rwsem_count(sem) - 1);
	if (!__rwsem_count(sem))
		pthread_cond_broadcast(&sem->wait);
	pthread_mutex_unlock(&sem->wait_lock);
}

static inline int __down_write_at(struct rw_semaphore *sem, const char *op,
				  const char *what, const char *file, int line)
{
	if (__rwsem_recursion(sem, op, what, file, line))
		return -EDEADLK;
	pthread_mutex_lock(&sem->wait_lock);
	__atomic_fetch_add(&sem->writers_waiting, 1, __ATOMIC_RELAXED);
	while (__rwsem_count(sem) != 0)
		pthread_cond_wait(&sem->wait, &sem->wait_lock);
	__atomic_fetch_sub(&sem->writers_waiting, 1, __ATOMIC_RELAXED);
	__rwsem_set_count(sem, -1);
	__lockdep_acquire(&sem->dep_map, 0);
	pthread_mutex_unlock(&sem->wait_lock);
	return 0;
}

/* 1 if write-locked now, 0 if anyone holds it. */
static inline int down_write_trylock(struct rw_semaphore *sem)
{
	int ok = 0;

	pthread_mutex_lock(&sem->wait_lock);
	if (__rwsem_count(sem) == 0) {
		__rwsem_set_count(sem, -1);
		__lockdep_acquire(&sem->dep_map, 0);
		ok = 1;
	}
	pthread_mutex_unlock(&sem->wait_lock);
	return ok;
}

/* Is the calling thread the writer? A WARN naming @op if not. */
static inline bool __rwsem_check_writer(struct rw_semaphore *sem,
					const char *op, const char *what,
					const char *file, int line)
{
	if (likely(__lockdep_owned(&sem->dep_map)))
		return true;
	warn_slowpath_fmt(file, line, TAINT_WARN,
			  "bad unlock balance detected: %s(%s) by a thread that does not hold it for writing",
			  op, what);
	return false;
}

static inline void __up_write_at(struct rw_semaphore *sem, const char *what,
				 const char *file, int line)
{
	if (!__rwsem_check_writer(sem, "up_write", what, file, line))
		return;
	pthread_mutex_lock(&sem->wait_lock);
	__lockdep_release(&sem->dep_map, 0);
	__rwsem_set_count(sem, 0);
	pthread_cond_broadcast(&sem->wait);
	pthread_mutex_unlock(&sem->wait_lock);
}

/* The writer becomes a reader, with no other writer in between. */
static inline void __downgrade_write_at(struct rw_semaphore *sem,
					const char *what, const char *file,
					int line)
{
	if (!__rwsem_check_writer(sem, "downgrade_write", what, file, line))
		return;
	pthread_mutex_lock(&sem->wait_lock);
	__lockdep_release(&sem->dep_map, 0);
	__rwsem_set_count(sem, 1);
	__lockdep_acquire(&sem->dep_map, 1);
	/* readers that queued behind a waiting writer still wait for it */
	pthread_cond_broadcast(&sem->wait);
	pthread_mutex_unlock(&sem->wait_lock);
}

/* Held by anyone? */
static inline int rwsem_is_locked(struct rw_semaphore *sem)
{
	return __rwsem_count(sem) != 0;
}

/* Waited for by a writer? */
static inline int rwsem_is_contended(struct rw_semaphore *sem)
{
	return __rwsem_writers_waiting(sem) != 0;
}

#define down_read(sem)							\
	((void)__down_read_at(sem, "down_read", #sem, __FILE__, __LINE__))
#define down_read_interruptible(sem)					\
	__down_read_at(sem, "down_read_interruptible", #sem, __FILE__,	\
		       __LINE__)
#define down_read_killable(sem)						\
	__down_read_at(sem, "down_read_killable", #sem, __FILE__, __LINE__)
#define down_read_nested(sem, subclass)	down_read(sem)
#define down_read_non_owner(sem)	down_read(sem)
#define up_read(sem)	__up_read_at(sem, #sem, __FILE__, __LINE__)
#define up_read_non_owner(sem)		up_read(sem)
#define down_write(sem)							\
	((void)__down_write_at(sem, "down_write", #sem, __FILE__, __LINE__))
#define down_write_killable(sem)					\
	__down_write_at(sem, "down_write_killable", #sem, __FILE__, __LINE__)
#define down_write_nested(sem, subclass)	down_write(sem)
#define up_write(sem)	__up_write_at(sem, #sem, __FILE__, __LINE__)
#define downgrade_write(sem)						\
	__downgrade_write_at(sem, #sem, __FILE__, __LINE__)

/* guard(rwsem_read)(&sem), guard(rwsem_write)(&sem) (<linux/cleanup.h>). */
DEFINE_GUARD(rwsem_read, struct rw_semaphore *, down_read(_T), up_read(_T))
DEFINE_GUARD(rwsem_write, struct rw_semaphore *, down_write(_T), up_write(_T))

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_RWSEM_H */
