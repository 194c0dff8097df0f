// SPDX-License-Identifier: MIT
/*
 * The machine and its PCIe topology, read-only, for tools
 * (include/dmastack/sim-topology.h).
 */
#include <errno.h>
#include "hw/machine.h"

void sim_machine_get_info(struct sim_machine *m, struct sim_machine_info *info)
{
	*info = (struct sim_machine_info){
		.name = m->name,
		.arch = m->arch,
		.ram = m->ram.total,
		.cpus = m->ncpus,
		.coherent = m->coherent,
		.confidential = m->confidential,
	};
}

unsigned int sim_node_count(struct sim_machine *m)
{
	return m->nr_nodes;
}

struct sim_node *sim_node_at(struct sim_machine *m, unsigned int idx)
{
	return idx < m->nr_nodes ? m->nodes[idx] : NULL;
}

enum sim_node_kind sim_node_kind(const struct sim_node *n)
{
	return n->kind;
}

const char *sim_node_id(const struct sim_node *n)
{
	return n->id;
}

const char *sim_node_kind_name(const struct sim_node *n)
{
	return n->kindname;
}

struct sim_node *sim_node_parent(const struct sim_node *n)
{
	return n->parent;
}

struct sim_node *sim_node_first_child(const struct sim_node *n)
{
	return n->first_child;
}

struct sim_node *sim_node_next_sibling(const struct sim_node *n)
{
	return n->next_sibling;
}

struct pci_dev *sim_node_pci_dev(const struct sim_node *n)
{
	return n->fn ? &n->fn->pdev : NULL;
}

u16 sim_node_acs_ctrl(const struct sim_node *n)
{
	if (n->kind != SIM_NODE_ROOTPORT && n->kind != SIM_NODE_SWITCH_DOWN)
		return 0;
	return n->acs_ctrl;
}

int sim_node_get_endpoint(const struct sim_node *n,
			  struct sim_endpoint_info *info)
{
	if (n->kind != SIM_NODE_ENDPOINT)
		return -EINVAL;
	*info = (struct sim_endpoint_info){
		.dma_bits = n->dma_bits,
		.coherent = n->coherent,
		.untrusted = n->untrusted,
		.flr = n->flr,
	};
	return 0;
}

int sim_node_get_bar(const struct sim_node *n, int bar,
		     struct sim_bar_info *info)
{
	const struct sim_bar *b;

	if (!n->fn || bar < 0 || bar >= PCI_STD_NUM_BARS)
		return -EINVAL;
	b = &n->fn->bars[bar];
	if (!b->size)
		return -ENOENT;
	*info = (struct sim_bar_info){
		.index = bar,
		.size = b->size,
		.cpu_start = b->cpu_start,
		.bus_addr = sim_bar_bus_addr(n, b),
		.is64 = b->is64,
		.prefetch = b->prefetch,
		.role = b->role,
	};
	return 0;
}

int sim_node_get_hostbridge(const struct sim_node *n,
			    struct sim_hostbridge_info *info)
{
	const struct sim_hostbridge *hb = n->hostbridge;

	if (n->kind != SIM_NODE_HOSTBRIDGE || !hb)
		return -EINVAL;
	*info = (struct sim_hostbridge_info){
		.domain = hb->domain,
		.busnr = hb->busnr,
		.p2p_allow = hb->p2p_allow,
		.iommu = hb->iommu_id[0] ? hb->iommu_id : NULL,
		.bus_offset = hb->win64.offset,
		.dram_bus_offset = hb->dma_offset,
		.dma_limit = hb->dma_limit,
	};
	return 0;
}
