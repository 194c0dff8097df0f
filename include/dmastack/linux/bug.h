/* SPDX-License-Identifier: MIT */
/*
 * WARN_ON() and friends: a warning about a condition that should not
 * hold, reported with the caller's file and line. On the calling thread's
 * current machine it is a warning report of that machine (counted, and
 * visible in its log); without one it goes to stderr. The caller carries
 * on, as in the kernel.
 *
 * The _ONCE forms warn every time here: a process runs many machines, and
 * each is a boot of its own, so "once" would hide one machine's warning
 * behind another's.
 *
 * BUG() and BUG_ON() are not offered: the kernel stops the task, which a
 * library cannot do to its caller.
 *
 * Self-contained (no <linux/compiler.h>): <dmastack/dmastack.h> includes
 * it, and programs that include that do not get the kernel's compiler
 * words.
 */
#ifndef _DMASTACK_LINUX_BUG_H
#define _DMASTACK_LINUX_BUG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The taint a WARN() leaves in the kernel; passed on, recorded nowhere. */
#define TAINT_WARN	9

void warn_slowpath_fmt(const char *file, const int line, unsigned int taint,
		       const char *fmt, ...)
	__attribute__((__format__(printf, 4, 5), __cold__));

/* A warning at this line, without a message. */
#define __WARN()	warn_slowpath_fmt(__FILE__, __LINE__, TAINT_WARN, NULL)
#define __WARN_printf(taint, ...)					\
	warn_slowpath_fmt(__FILE__, __LINE__, taint, __VA_ARGS__)

/* Warn if @condition is true; the value is whether it was. */
#define WARN_ON(condition)						\
	({								\
		int __warn_cond = !!(condition);			\
		if (__builtin_expect(__warn_cond, 0))			\
			__WARN();					\
		__builtin_expect(__warn_cond, 0);			\
	})

/* As WARN_ON(), with a printk-style message. */
#define WARN(condition, ...)						\
	WARN_TAINT(condition, TAINT_WARN, __VA_ARGS__)

#define WARN_TAINT(condition, taint, ...)				\
	({								\
		int __warn_cond = !!(condition);			\
		if (__builtin_expect(__warn_cond, 0))			\
			__WARN_printf(taint, __VA_ARGS__);		\
		__builtin_expect(__warn_cond, 0);			\
	})

/* Every time (see above). */
#define WARN_ON_ONCE(condition)		WARN_ON(condition)
#define WARN_ONCE(condition, ...)	WARN(condition, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_BUG_H */
