/* SPDX-License-Identifier: MIT */
/*
 * Sleeping locks: struct mutex on a pthread mutex, with the holder
 * recorded for lockdep_assert_held() (<linux/lockdep.h>) and
 * mutex_is_locked().
 *
 * Checked as by the kernel's mutex debugging and lockdep, each a WARN at
 * the caller's line: locking a mutex the thread holds already (the
 * kernel would deadlock; here the call returns without taking it, and
 * the _interruptible/_killable forms return -EDEADLK), unlocking a mutex
 * the thread does not hold (not unlocked), using one that was never
 * initialized (mutex_init()/DEFINE_MUTEX()) or was destroyed, and
 * destroying a locked one.
 *
 * mutex_lock_interruptible() and mutex_lock_killable() return 0: no
 * signal interrupts a wait here.
 */
#ifndef _DMASTACK_LINUX_MUTEX_H
#define _DMASTACK_LINUX_MUTEX_H

#include <errno.h>
#include <pthread.h>
#include "types.h"
#include "compiler.h"
#include "bug.h"
#include "lockdep.h"
#include "cleanup.h"
#include "atomic.h"
#include "refcount.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mutex {
	pthread_mutex_t wait_lock;	/* what waiters sleep on */
	const void *magic;		/* the mutex itself once initialized */
	struct lockdep_map dep_map;
};

#define __MUTEX_INITIALIZER(lockname)					\
	{ .wait_lock = PTHREAD_MUTEX_INITIALIZER, .magic = &(lockname),	\
	  .dep_map = { .name = #lockname } }
#define DEFINE_MUTEX(mutexname)						\
	struct mutex mutexname = __MUTEX_INITIALIZER(mutexname)

static inline void __mutex_init(struct mutex *lock, const char *name,
				struct lock_class_key *key)
{
	pthread_mutex_init(&lock->wait_lock, NULL);
	lockdep_init_map(&lock->dep_map, name, key, 0);
	__atomic_store_n(&lock->magic, (const void *)lock, __ATOMIC_RELAXED);
}

#define mutex_init(mutex)	__mutex_init((mutex), #mutex, NULL)

/* Initialized and not destroyed? A WARN naming @op if not. */
static inline bool __mutex_check_magic(struct mutex *lock, const char *op,
				       const char *what, const char *file,
				       int line)
{
	if (likely(__atomic_load_n(&lock->magic, __ATOMIC_RELAXED) ==
		   (const void *)lock))
		return true;
	warn_slowpath_fmt(file, line, TAINT_WARN,
			  "DEBUG_LOCKS_WARN_ON: %s(%s) of a mutex never initialized or destroyed",
			  op, what);
	return false;
}

/* 0 with the mutex held, or -EDEADLK if the thread held it already. */
static inline int __mutex_lock_at(struct mutex *lock, const char *op,
				  const char *what, const char *file, int line)
{
	__mutex_check_magic(lock, op, what, file, line);
	if (unlikely(__lockdep_owned(&lock->dep_map))) {
		warn_slowpath_fmt(file, line, TAINT_WARN,
				  "possible recursive locking detected: %s(%s) by the thread that holds it",
				  op, what);
		return -EDEADLK;
	}
	pthread_mutex_lock(&lock->wait_lock);
	__lockdep_acquire(&lock->dep_map, 0);
	return 0;
}

static inline void __mutex_unlock_at(struct mutex *lock, const char *what,
				     const char *file, int line)
{
	__mutex_check_magic(lock, "mutex_unlock", what, file, line);
	if (unlikely(!__lockdep_owned(&lock->dep_map))) {
		warn_slowpath_fmt(file, line, TAINT_WARN,
				  "bad unlock balance detected: mutex_unlock(%s) by a thread that does not hold it (%s)",
				  what,
				  __lockdep_owned_by_other(&lock->dep_map) ?
				  "held by another thread" : "not locked");
		return;
	}
	__lockdep_release(&lock->dep_map, 0);
	pthread_mutex_unlock(&lock->wait_lock);
}

/* 1 if taken, 0 if another thread (or this one) holds it. */
static inline int __mutex_trylock_at(struct mutex *lock, const char *what,
				     const char *file, int line)
{
	__mutex_check_magic(lock, "mutex_trylock", what, file, line);
	if (__lockdep_owned(&lock->dep_map) ||
	    pthread_mutex_trylock(&lock->wait_lock))
		return 0;
	__lockdep_acquire(&lock->dep_map, 0);
	return 1;
}

#define mutex_lock(lock)						\
	((void)__mutex_lock_at(lock, "mutex_lock", #lock, __FILE__, __LINE__))
#define mutex_lock_nested(lock, subclass)	mutex_lock(lock)
#define mutex_lock_io(lock)			mutex_lock(lock)
#define mutex_lock_interruptible(lock)					\
	__mutex_lock_at(lock, "mutex_lock_interruptible", #lock,	\
			__FILE__, __LINE__)
#define mutex_lock_interruptible_nested(lock, subclass)			\
	mutex_lock_interruptible(lock)
#define mutex_lock_killable(lock)					\
	__mutex_lock_at(lock, "mutex_lock_killable", #lock, __FILE__,	\
			__LINE__)
#define mutex_lock_killable_nested(lock, subclass)			\
	mutex_lock_killable(lock)
#define mutex_trylock(lock)						\
	__mutex_trylock_at(lock, #lock, __FILE__, __LINE__)
#define mutex_unlock(lock)						\
	__mutex_unlock_at(lock, #lock, __FILE__, __LINE__)

/* Held by some thread? */
static inline bool mutex_is_locked(struct mutex *lock)
{
	return __atomic_load_n(&lock->dep_map.owner, __ATOMIC_RELAXED) != 0;
}

static inline void __mutex_destroy_at(struct mutex *lock, const char *what,
				      const char *file, int line)
{
	if (!__mutex_check_magic(lock, "mutex_destroy", what, file, line))
		return;
	if (unlikely(mutex_is_locked(lock))) {
		warn_slowpath_fmt(file, line, TAINT_WARN,
				  "DEBUG_LOCKS_WARN_ON: mutex_destroy(%s) of a locked mutex",
				  what);
		return;
	}
	__atomic_store_n(&lock->magic, (const void *)NULL, __ATOMIC_RELAXED);
	pthread_mutex_destroy(&lock->wait_lock);
}

/* The mutex is not used again (unless mutex_init() again). */
#define mutex_destroy(lock)						\
	__mutex_destroy_at(lock, #lock, __FILE__, __LINE__)

/*
 * Decrement; if that reaches 0, return true with @lock held (the caller
 * frees, then unlocks). The count only reaches 0 under the mutex.
 */
static inline bool atomic_dec_and_mutex_lock(atomic_t *cnt, struct mutex *lock)
{
	if (atomic_add_unless(cnt, -1, 1))
		return false;
	mutex_lock(lock);
	if (atomic_dec_and_test(cnt))
		return true;
	mutex_unlock(lock);
	return false;
}

/* As atomic_dec_and_mutex_lock(), for a refcount_t (<linux/refcount.h>). */
static inline bool __must_check refcount_dec_and_mutex_lock(refcount_t *r,
							     struct mutex *lock)
{
	if (refcount_dec_not_one(r))
		return false;
	mutex_lock(lock);
	if (refcount_dec_and_test(r))
		return true;
	mutex_unlock(lock);
	return false;
}

/* guard(mutex)(&lock): held to the end of the scope (<linux/cleanup.h>). */
DEFINE_GUARD(mutex, struct mutex *, mutex_lock(_T), mutex_unlock(_T))

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_MUTEX_H */
