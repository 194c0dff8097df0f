// SPDX-License-Identifier: MIT
/*
 * The machine's memory map as the kernel sees it (what /proc/iomem lists):
 * the RAM regions, the host bridges' MMIO windows and the swiotlb pool.
 */
#include <string.h>
#include "internal.h"

unsigned int sim_mem_range_count(struct sim_machine *m)
{
	unsigned int n = m->ram.nr_regions + (m->kernel->swiotlb_present ? 1 : 0);

	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->kind == SIM_NODE_HOSTBRIDGE)
			n += (m->nodes[i]->hostbridge->win32.size ? 1 : 0) +
			     (m->nodes[i]->hostbridge->win64.size ? 1 : 0);
	return n;
}

int sim_mem_range_get(struct sim_machine *m, unsigned int idx,
		      struct sim_mem_range *out)
{
	memset(out, 0, sizeof(*out));
	if (idx < m->ram.nr_regions) {
		out->kind = "ram";
		out->owner = "";
		out->start = m->ram.regions[idx].base;
		out->size = m->ram.regions[idx].size;
		return 0;
	}
	idx -= m->ram.nr_regions;
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];

		if (n->kind != SIM_NODE_HOSTBRIDGE)
			continue;
		for (int k = 0; k < 2; k++) {
			struct sim_window *w = k ? &n->hostbridge->win64 :
						   &n->hostbridge->win32;

			if (!w->size)
				continue;
			if (idx-- == 0) {
				out->kind = k ? "mmio64" : "mmio32";
				out->owner = n->id;
				out->start = w->cpu_start;
				out->size = w->size;
				out->bus_offset = w->offset;
				return 0;
			}
		}
	}
	if (m->kernel->swiotlb_present && idx == 0) {
		out->kind = "swiotlb";
		out->owner = "";
		return swiotlb_range(m, &out->start, &out->size);
	}
	return -ENOENT;
}
