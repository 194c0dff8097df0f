/* SPDX-License-Identifier: MIT */
/*
 * container_of(): from a pointer to a member back to the structure that
 * holds it. The pointer must point to the member's type (or be void *),
 * as the kernel checks at compile time.
 */
#ifndef _DMASTACK_LINUX_CONTAINER_OF_H
#define _DMASTACK_LINUX_CONTAINER_OF_H

#include <stddef.h>
#include "compiler.h"

#define container_of(ptr, type, member)					\
	__container_of(ptr, type, member, __UNIQUE_ID(container_of_))
#define __container_of(ptr, type, member, mptr)				\
	({								\
		void *mptr = (void *)(ptr);				\
		__dmastack_static_assert(__same_type(*(ptr), ((type *)0)->member) || \
			       __same_type(*(ptr), void),		\
			       "container_of(): " #ptr " is not a pointer " \
			       "to " #type "." #member);		\
		(type *)((char *)mptr - offsetof(type, member));	\
	})

#endif /* _DMASTACK_LINUX_CONTAINER_OF_H */
