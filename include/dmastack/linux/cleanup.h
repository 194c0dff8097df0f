/* SPDX-License-Identifier: MIT */
/*
 * Scope-based cleanup (include/linux/cleanup.h), on the compiler's
 * __attribute__((cleanup)): a variable declared __free(name) is freed by
 * DEFINE_FREE(name)'s expression when it goes out of scope, unless
 * no_free_ptr()/return_ptr() took it; guard(name)(args) holds a lock from
 * there to the end of the scope, scoped_guard(name, args) for the
 * statement that follows. Every return path releases, as in the kernel.
 *
 * The guards of the locks live with them: mutex in <linux/mutex.h>,
 * spinlock, spinlock_irq, spinlock_irqsave in <linux/spinlock.h>,
 * rwsem_read, rwsem_write in <linux/rwsem.h>; DEFINE_FREE(kfree) in
 * <linux/slab.h>.
 */
#ifndef _DMASTACK_LINUX_CLEANUP_H
#define _DMASTACK_LINUX_CLEANUP_H

#include "compiler.h"

#define __cleanup(func)		__attribute__((__cleanup__(func)))

/* ---- __free() ---------------------------------------------------------- */

/* @_free runs on _T, the variable's value, when it goes out of scope. */
#define DEFINE_FREE(_name, _type, _free)				\
	static inline void __free_##_name(void *p)			\
	{								\
		_type _T = *(_type *)p;					\
		_free;							\
	}

#define __free(_name)		__cleanup(__free_##_name)

#define __get_and_null(p, nullvalue)					\
	({								\
		__auto_type __ptr = &(p);				\
		__auto_type __val = *__ptr;				\
		*__ptr = nullvalue;					\
		__val;							\
	})

/* The value, and nothing left for the cleanup to free. */
#define no_free_ptr(p)		((__typeof__(p))__get_and_null(p, NULL))
#define return_ptr(p)		return no_free_ptr(p)
/* Keep the pointer @p and retain ownership elsewhere (no_free_ptr()). */
#define retain_and_null_ptr(p)	((void)__get_and_null(p, NULL))

/* ---- classes ----------------------------------------------------------- */

/*
 * A type with a constructor (@_init from @_init_args) and a destructor
 * (@_exit on _T) run at the end of the variable's scope.
 */
#define DEFINE_CLASS(_name, _type, _exit, _init, _init_args...)	\
	typedef _type class_##_name##_t;				\
	static inline void class_##_name##_destructor(_type *p)	\
	{								\
		_type _T = *p;						\
		_exit;							\
	}								\
	static inline _type class_##_name##_constructor(_init_args)	\
	{								\
		_type t = _init;					\
		return t;						\
	}

#define CLASS(_name, var)						\
	class_##_name##_t var						\
		__cleanup(class_##_name##_destructor) =			\
		class_##_name##_constructor

/* ---- guards ------------------------------------------------------------ */

/* A lock taken by @_lock on _T (a @_type), released by @_unlock. */
#define DEFINE_GUARD(_name, _type, _lock, _unlock)			\
	DEFINE_CLASS(_name, _type, if (_T) { _unlock; },		\
		     ({ _lock; _T; }), _type _T);			\
	static inline void *class_##_name##_lock_ptr(class_##_name##_t *_T) \
	{								\
		return (void *)(unsigned long)*_T;			\
	}

/* A lock with state beside it (the irqsave flags): _T->lock, _T->... */
#define __DEFINE_UNLOCK_GUARD(_name, _type, _unlock, ...)		\
	typedef struct {						\
		_type *lock;						\
		__VA_ARGS__;						\
	} class_##_name##_t;						\
	static inline void class_##_name##_destructor(class_##_name##_t *_T) \
	{								\
		if (_T->lock) {						\
			_unlock;					\
		}							\
	}								\
	static inline void *class_##_name##_lock_ptr(class_##_name##_t *_T) \
	{								\
		return (void *)_T->lock;				\
	}

#define __DEFINE_LOCK_GUARD_1(_name, _type, _lock)			\
	static inline class_##_name##_t class_##_name##_constructor(_type *l) \
	{								\
		class_##_name##_t _t, *_T = &_t;			\
		__builtin_memset(&_t, 0, sizeof(_t));			\
		_t.lock = l;						\
		_lock;							\
		return _t;						\
	}

#define DEFINE_LOCK_GUARD_1(_name, _type, _lock, _unlock, ...)		\
	__DEFINE_UNLOCK_GUARD(_name, _type, _unlock, __VA_ARGS__)	\
	__DEFINE_LOCK_GUARD_1(_name, _type, _lock)

/* Hold @_name's lock from here to the end of the scope: guard(mutex)(&m); */
#define guard(_name)		CLASS(_name, __UNIQUE_ID(guard))

/* Hold it for the statement (or block) that follows. */
#define scoped_guard(_name, args...)					\
	__scoped_guard(_name, __UNIQUE_ID(scope), __UNIQUE_ID(done), args)
#define __scoped_guard(_name, _scope, _done, args...)			\
	for (CLASS(_name, _scope)(args), *_done = NULL; !_done;		\
	     _done = (void *)1)

#endif /* _DMASTACK_LINUX_CLEANUP_H */
