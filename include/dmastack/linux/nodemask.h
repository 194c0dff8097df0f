/* SPDX-License-Identifier: MIT */
/*
 * Which NUMA nodes exist (include/linux/nodemask.h): node 0, possible and
 * online, with memory and CPUs; no other.
 */
#ifndef _DMASTACK_LINUX_NODEMASK_H
#define _DMASTACK_LINUX_NODEMASK_H

#include "numa.h"

#define node_possible(node)	((node) == 0)
#define node_online(node)	((node) == 0)
#define num_possible_nodes()	1
#define num_online_nodes()	1
#define first_online_node	0
#define first_memory_node	0
#define for_each_node(node)	for ((node) = 0; (node) < MAX_NUMNODES; (node)++)
#define for_each_online_node(node)	for_each_node(node)

#endif /* _DMASTACK_LINUX_NODEMASK_H */
