/* SPDX-License-Identifier: MIT */
/*
 * Compile-time assertions. The conditions must be integer constant
 * expressions (C11 _Static_assert), which is what nearly all kernel uses
 * are; the kernel's optimizer-dependent form is not available.
 */
#ifndef _DMASTACK_LINUX_BUILD_BUG_H
#define _DMASTACK_LINUX_BUILD_BUG_H

#include "compiler.h"

/*
 * 0 as an int if @cond is false; a compile error if it is true. Usable
 * where a statement is not (inside an expression).
 */
#define BUILD_BUG_ON_ZERO(cond)	((int)(sizeof(struct { int:(-!!(cond)); })))

/* A compile error with @msg if @cond is true. */
#define BUILD_BUG_ON_MSG(cond, msg)					\
	do {								\
		__dmastack_static_assert(!(cond), msg);				\
	} while (0)

#define BUILD_BUG_ON(cond)						\
	BUILD_BUG_ON_MSG(cond, "BUILD_BUG_ON failed: " #cond)

#define BUILD_BUG_ON_NOT_POWER_OF_2(n)					\
	BUILD_BUG_ON((n) == 0 || (((n) & ((n) - 1)) != 0))

#define BUILD_BUG()	BUILD_BUG_ON_MSG(1, "BUILD_BUG failed")

/* A compile error unless @a is an array (not a pointer); else 0. */
#define __must_be_array(a)	BUILD_BUG_ON_ZERO(__same_type((a), &(a)[0]))

#endif /* _DMASTACK_LINUX_BUILD_BUG_H */
