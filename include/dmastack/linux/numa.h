/* SPDX-License-Identifier: MIT */
/* NUMA nodes (include/linux/numa.h): dmastack's machines have one. */
#ifndef _DMASTACK_LINUX_NUMA_H
#define _DMASTACK_LINUX_NUMA_H

#include "types.h"

#define NODES_SHIFT	0
#define MAX_NUMNODES	(1 << NODES_SHIFT)
#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE	(-1)
#endif

static inline bool numa_valid_node(int nid)
{
	return nid >= 0 && nid < MAX_NUMNODES;
}

#endif /* _DMASTACK_LINUX_NUMA_H */
