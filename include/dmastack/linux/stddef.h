/* SPDX-License-Identifier: MIT */
/* Structure layout helpers (include/linux/stddef.h). */
#ifndef _DMASTACK_LINUX_STDDEF_H
#define _DMASTACK_LINUX_STDDEF_H

#include <stddef.h>

/* The size of member @MEMBER of struct type @TYPE. */
#define sizeof_field(TYPE, MEMBER)	sizeof((((TYPE *)0)->MEMBER))

/* The offset just past @MEMBER of @TYPE. */
#define offsetofend(TYPE, MEMBER)					\
	(offsetof(TYPE, MEMBER) + sizeof_field(TYPE, MEMBER))

/*
 * struct_group(NAME, MEMBERS...) - MEMBERS reachable one by one and, as
 * NAME, together (for memset() of a range of members).
 */
#define __struct_group(TAG, NAME, ATTRS, MEMBERS...)			\
	union {								\
		struct { MEMBERS } ATTRS;				\
		struct TAG { MEMBERS } ATTRS NAME;			\
	}
#define struct_group(NAME, MEMBERS...)					\
	__struct_group(/* no tag */, NAME, /* no attrs */, MEMBERS)
#define struct_group_tagged(TAG, NAME, MEMBERS...)			\
	__struct_group(TAG, NAME, /* no attrs */, MEMBERS)

/* A flexible array member, also inside a union. */
#define DECLARE_FLEX_ARRAY(TYPE, NAME)					\
	struct {							\
		struct { } __empty_ ## NAME;				\
		TYPE NAME[];						\
	}

#endif /* _DMASTACK_LINUX_STDDEF_H */
