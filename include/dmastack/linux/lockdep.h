/* SPDX-License-Identifier: MIT */
/*
 * Lock assertions that check: every lock of <linux/spinlock.h>,
 * <linux/mutex.h> and <linux/rwsem.h> has a struct lockdep_map (its
 * dep_map) recording the thread that holds it exclusively and how many
 * hold it shared. lockdep_assert_held(&lock) is true when the calling
 * thread holds it exclusively, or when it is held for reading (by some
 * thread: readers are counted, not named); a failed assertion is a WARN
 * at the caller's line, as the kernel's.
 *
 * Lock classes, ordering (deadlock prediction), interrupt state and
 * preemption are not tracked: lockdep_set_class() and the like, and
 * lockdep_assert_irqs_disabled() and the like, do nothing.
 */
#ifndef _DMASTACK_LINUX_LOCKDEP_H
#define _DMASTACK_LINUX_LOCKDEP_H

#include <pthread.h>
#include "types.h"
#include "compiler.h"
#include "bug.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A lock class; only its address would matter, and nothing uses it. */
struct lock_class_key {
	char dummy;
};

struct lockdep_map {
	const char *name;
	unsigned long owner;	/* the exclusive holder (a thread), or 0 */
	int read_count;		/* shared holders */
};

#define STATIC_LOCKDEP_MAP_INIT(_name, _key)	{ .name = (_name) }

/* The calling thread as a nonzero token (pthread_self()). */
static inline unsigned long __lockdep_self(void)
{
	return (unsigned long)pthread_self();
}

static inline void lockdep_init_map(struct lockdep_map *map, const char *name,
				    struct lock_class_key *key, int subclass)
{
	(void)key;
	(void)subclass;
	map->name = name;
	__atomic_store_n(&map->owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&map->read_count, 0, __ATOMIC_RELAXED);
}

/* Taken (after the lock is): exclusively by this thread, or shared. */
static inline void __lockdep_acquire(struct lockdep_map *map, int read)
{
	if (read)
		__atomic_fetch_add(&map->read_count, 1, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&map->owner, __lockdep_self(),
				 __ATOMIC_RELAXED);
}

/* Released (before the lock is). */
static inline void __lockdep_release(struct lockdep_map *map, int read)
{
	if (read)
		__atomic_fetch_sub(&map->read_count, 1, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&map->owner, 0, __ATOMIC_RELAXED);
}

/* Does the calling thread hold it exclusively? */
static inline bool __lockdep_owned(const struct lockdep_map *map)
{
	return __atomic_load_n(&map->owner, __ATOMIC_RELAXED) ==
	       __lockdep_self();
}

/* Is another thread the exclusive holder? */
static inline bool __lockdep_owned_by_other(const struct lockdep_map *map)
{
	unsigned long owner = __atomic_load_n(&map->owner, __ATOMIC_RELAXED);

	return owner && owner != __lockdep_self();
}

static inline int __lockdep_readers(const struct lockdep_map *map)
{
	return __atomic_load_n(&map->read_count, __ATOMIC_RELAXED);
}

/*
 * Held as @read says: 0 exclusively by this thread, 1 shared (by any
 * thread), -1 either.
 */
static inline int lock_is_held_type(const struct lockdep_map *map, int read)
{
	if (read != 1 && __lockdep_owned(map))
		return 1;
	if (read != 0 && __lockdep_readers(map) > 0)
		return 1;
	return 0;
}

static inline int lock_is_held(const struct lockdep_map *map)
{
	return lock_is_held_type(map, -1);
}

/* A lockdep_map standing for something that is not a lock. */
#define lock_map_acquire(map)		__lockdep_acquire(map, 0)
#define lock_map_acquire_read(map)	__lockdep_acquire(map, 1)
#define lock_map_release(map)		__lockdep_release(map, 0)

#define lockdep_is_held(lock)		lock_is_held(&(lock)->dep_map)
#define lockdep_is_held_type(lock, r)	lock_is_held_type(&(lock)->dep_map, (r))

#define lockdep_assert(cond)						\
	do {								\
		WARN(!(cond), "lockdep_assert(%s) failed", #cond);	\
	} while (0)
#define lockdep_assert_once(cond)	lockdep_assert(cond)

/* The calling thread holds @l (or it is read-locked). */
#define lockdep_assert_held(l)						\
	do {								\
		WARN(!lockdep_is_held(l),				\
		     "lockdep_assert_held(%s): not held", #l);		\
	} while (0)

/* The calling thread holds @l exclusively. */
#define lockdep_assert_held_write(l)					\
	do {								\
		WARN(!lockdep_is_held_type(l, 0),			\
		     "lockdep_assert_held_write(%s): not held for writing by this thread", \
		     #l);						\
	} while (0)

/* @l is read-locked. */
#define lockdep_assert_held_read(l)					\
	do {								\
		WARN(!lockdep_is_held_type(l, 1),			\
		     "lockdep_assert_held_read(%s): not held for reading", \
		     #l);						\
	} while (0)

#define lockdep_assert_held_once(l)	lockdep_assert_held(l)

/* The calling thread does not hold @l exclusively. */
#define lockdep_assert_not_held(l)					\
	do {								\
		WARN(lockdep_is_held_type(l, 0),			\
		     "lockdep_assert_not_held(%s): held by this thread", #l); \
	} while (0)

/* Not tracked here (see above). */
#define lockdep_set_class(lock, key)	do { (void)(key); } while (0)
#define lockdep_set_class_and_name(lock, key, n)			\
	do {								\
		(void)(key);						\
		(lock)->dep_map.name = (n);				\
	} while (0)
#define lockdep_set_subclass(lock, sub)	do { (void)(sub); } while (0)
#define lockdep_set_novalidate_class(lock)	do { } while (0)
#define lockdep_off()			do { } while (0)
#define lockdep_on()			do { } while (0)
#define might_lock(lock)		do { } while (0)
#define might_lock_read(lock)		do { } while (0)
#define might_lock_nested(lock, sub)	do { } while (0)
#define lockdep_assert_irqs_enabled()	do { } while (0)
#define lockdep_assert_irqs_disabled()	do { } while (0)
#define lockdep_assert_in_irq()		do { } while (0)
#define lockdep_assert_preemption_enabled()	do { } while (0)
#define lockdep_assert_preemption_disabled()	do { } while (0)

#define SINGLE_DEPTH_NESTING	1

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_LOCKDEP_H */
