/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks: spinlock_t and raw_spinlock_t, a word taken with one atomic
 * exchange; a waiter spins, then yields the CPU (its holder may have been
 * preempted: threads here are not CPUs with interrupts off).
 *
 * The _irq, _irqsave and _bh forms are the plain ones (no interrupt runs
 * on a thread that holds a lock); *_irqsave() stores 0 in its flags.
 *
 * Checked as by the kernel's spinlock debugging, each a WARN at the
 * caller's line: taking a lock the thread holds already (the kernel
 * would spin forever; here the call returns without taking it), and
 * releasing a lock the thread does not hold (not released).
 * lockdep_assert_held() sees the holder (<linux/lockdep.h>).
 */
#ifndef _DMASTACK_LINUX_SPINLOCK_H
#define _DMASTACK_LINUX_SPINLOCK_H

#include <sched.h>
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

typedef struct raw_spinlock {
	struct lockdep_map dep_map;	/* first: spinlock_t overlays it */
	int locked;
} raw_spinlock_t;

typedef struct spinlock {
	union {
		struct raw_spinlock rlock;
		struct lockdep_map dep_map;
	};
} spinlock_t;

#define __RAW_SPIN_LOCK_INITIALIZER(lockname)				\
	{ .dep_map = { .name = #lockname }, .locked = 0 }
#define __RAW_SPIN_LOCK_UNLOCKED(lockname)				\
	((raw_spinlock_t)__RAW_SPIN_LOCK_INITIALIZER(lockname))
#define DEFINE_RAW_SPINLOCK(x)						\
	raw_spinlock_t x = __RAW_SPIN_LOCK_INITIALIZER(x)

#define __SPIN_LOCK_INITIALIZER(lockname)				\
	{ { .rlock = __RAW_SPIN_LOCK_INITIALIZER(lockname) } }
#define __SPIN_LOCK_UNLOCKED(lockname)					\
	((spinlock_t)__SPIN_LOCK_INITIALIZER(lockname))
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_INITIALIZER(x)

static inline void __raw_spin_lock_init(raw_spinlock_t *lock,
					const char *name)
{
	lockdep_init_map(&lock->dep_map, name, NULL, 0);
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

#define raw_spin_lock_init(lock)	__raw_spin_lock_init(lock, #lock)
#define spin_lock_init(lock)		__raw_spin_lock_init(&(lock)->rlock, #lock)

static inline void __spin_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" : : : "memory");
#else
	barrier();
#endif
}

static inline void __raw_spin_lock_at(raw_spinlock_t *lock, const char *what,
				      const char *file, int line)
{
	unsigned int spins = 0;

	if (unlikely(__lockdep_owned(&lock->dep_map))) {
		warn_slowpath_fmt(file, line, TAINT_WARN,
				  "BUG: spinlock recursion: %s already held by this thread",
				  what);
		return;
	}
	while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED)) {
			if (++spins < 128) {
				__spin_relax();
			} else {
				sched_yield();
				spins = 0;
			}
		}
	}
	__lockdep_acquire(&lock->dep_map, 0);
}

static inline int __raw_spin_trylock(raw_spinlock_t *lock)
{
	if (__lockdep_owned(&lock->dep_map) ||
	    __atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		return 0;
	__lockdep_acquire(&lock->dep_map, 0);
	return 1;
}

static inline void __raw_spin_unlock_at(raw_spinlock_t *lock, const char *what,
					const char *file, int line)
{
	if (unlikely(!__lockdep_owned(&lock->dep_map))) {
		warn_slowpath_fmt(file, line, TAINT_WARN,
				  "BUG: spinlock wrong owner: %s released by a thread that does not hold it (%s)",
				  what,
				  __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) ?
				  "held by another thread" : "not locked");
		return;
	}
	__lockdep_release(&lock->dep_map, 0);
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

static inline int raw_spin_is_locked(raw_spinlock_t *lock)
{
	return __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) != 0;
}

#define raw_spin_lock(lock)						\
	__raw_spin_lock_at(lock, #lock, __FILE__, __LINE__)
#define raw_spin_unlock(lock)						\
	__raw_spin_unlock_at(lock, #lock, __FILE__, __LINE__)
#define raw_spin_trylock(lock)		__raw_spin_trylock(lock)
#define raw_spin_lock_nested(lock, subclass)	raw_spin_lock(lock)
#define raw_spin_lock_irq(lock)		raw_spin_lock(lock)
#define raw_spin_unlock_irq(lock)	raw_spin_unlock(lock)
#define raw_spin_lock_bh(lock)		raw_spin_lock(lock)
#define raw_spin_unlock_bh(lock)	raw_spin_unlock(lock)
#define raw_spin_lock_irqsave(lock, flags)				\
	do {								\
		__spin_flags_save(&(flags));				\
		raw_spin_lock(lock);					\
	} while (0)
#define raw_spin_unlock_irqrestore(lock, flags)				\
	do {								\
		(void)(flags);						\
		raw_spin_unlock(lock);					\
	} while (0)

/* The interrupt state that _irqsave saves: none here. */
static inline void __spin_flags_save(unsigned long *flags)
{
	*flags = 0;
}

static inline spinlock_t *__spinlock_check(spinlock_t *lock)
{
	return lock;
}

#define spin_lock(lock)							\
	__raw_spin_lock_at(&__spinlock_check(lock)->rlock, #lock,	\
			   __FILE__, __LINE__)
#define spin_unlock(lock)						\
	__raw_spin_unlock_at(&__spinlock_check(lock)->rlock, #lock,	\
			     __FILE__, __LINE__)
#define spin_trylock(lock)	__raw_spin_trylock(&__spinlock_check(lock)->rlock)
#define spin_is_locked(lock)	raw_spin_is_locked(&__spinlock_check(lock)->rlock)
#define spin_lock_nested(lock, subclass)	spin_lock(lock)
#define spin_lock_irq(lock)		spin_lock(lock)
#define spin_unlock_irq(lock)		spin_unlock(lock)
#define spin_lock_bh(lock)		spin_lock(lock)
#define spin_unlock_bh(lock)		spin_unlock(lock)
#define spin_trylock_irq(lock)		spin_trylock(lock)
#define spin_trylock_bh(lock)		spin_trylock(lock)
#define spin_lock_irqsave(lock, flags)					\
	do {								\
		__spin_flags_save(&(flags));				\
		spin_lock(lock);					\
	} while (0)
#define spin_lock_irqsave_nested(lock, flags, subclass)			\
	spin_lock_irqsave(lock, flags)
#define spin_unlock_irqrestore(lock, flags)				\
	do {								\
		(void)(flags);						\
		spin_unlock(lock);					\
	} while (0)
#define spin_trylock_irqsave(lock, flags)				\
	({								\
		__spin_flags_save(&(flags));				\
		spin_trylock(lock);					\
	})

/* Locked by any thread (the kernel BUGs; here a WARN). */
#define assert_spin_locked(lock)					\
	do {								\
		WARN(!spin_is_locked(lock),				\
		     "assert_spin_locked(%s): not locked", #lock);	\
	} while (0)
#define assert_raw_spin_locked(lock)					\
	do {								\
		WARN(!raw_spin_is_locked(lock),				\
		     "assert_raw_spin_locked(%s): not locked", #lock);	\
	} while (0)

/*
 * Decrement; if that reaches 0, return true with @lock held (the caller
 * frees, then unlocks). The count only reaches 0 under the lock.
 */
static inline bool atomic_dec_and_lock(atomic_t *atomic, spinlock_t *lock)
{
	if (atomic_add_unless(atomic, -1, 1))
		return false;
	spin_lock(lock);
	if (atomic_dec_and_test(atomic))
		return true;
	spin_unlock(lock);
	return false;
}

/* As atomic_dec_and_lock(), for a refcount_t (<linux/refcount.h>). */
static inline bool __must_check refcount_dec_and_lock(refcount_t *r,
						       spinlock_t *lock)
{
	if (refcount_dec_not_one(r))
		return false;
	spin_lock(lock);
	if (refcount_dec_and_test(r))
		return true;
	spin_unlock(lock);
	return false;
}

static inline bool __must_check
refcount_dec_and_lock_irqsave(refcount_t *r, spinlock_t *lock,
			      unsigned long *flags)
{
	*flags = 0;
	return refcount_dec_and_lock(r, lock);
}

/* guard(spinlock)(&lock) and the rest (<linux/cleanup.h>). */
DEFINE_LOCK_GUARD_1(raw_spinlock, raw_spinlock_t, raw_spin_lock(_T->lock),
		    raw_spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1(spinlock, spinlock_t, spin_lock(_T->lock),
		    spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1(spinlock_irq, spinlock_t, spin_lock_irq(_T->lock),
		    spin_unlock_irq(_T->lock))
DEFINE_LOCK_GUARD_1(spinlock_bh, spinlock_t, spin_lock_bh(_T->lock),
		    spin_unlock_bh(_T->lock))
DEFINE_LOCK_GUARD_1(spinlock_irqsave, spinlock_t,
		    spin_lock_irqsave(_T->lock, _T->flags),
		    spin_unlock_irqrestore(_T->lock, _T->flags),
		    unsigned long flags)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_SPINLOCK_H */
