/* SPDX-License-Identifier: MIT */
/*
 * The machine as the platform text built it, read-only: its PCIe topology
 * (host bridges, root ports, switch ports and endpoints, their ACS control
 * and BARs), its properties, and the IOMMU groups it formed.
 *
 * Nodes are opaque and owned by the machine: they live until
 * sim_machine_destroy() and are walked with accessors, as libnvme walks
 * its host/subsystem/controller tree. Nothing here changes the machine;
 * the kernel's own view of a function is its struct pci_dev
 * (sim_node_pci_dev()).
 */
#ifndef _DMASTACK_SIM_TOPOLOGY_H
#define _DMASTACK_SIM_TOPOLOGY_H

#include <dmastack/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct sim_node;
struct pci_dev;
struct iommu_group;

/* What a node of the topology is. */
enum sim_node_kind {
	SIM_NODE_HOSTBRIDGE,
	SIM_NODE_ROOTPORT,
	SIM_NODE_SWITCH_UP,	/* switch upstream port */
	SIM_NODE_SWITCH_DOWN,	/* switch downstream port (implicit) */
	SIM_NODE_ENDPOINT,
};

/* ---- the machine ---------------------------------------------------------- */

/* What the machine line of the platform text said, and the RAM it got. */
struct sim_machine_info {
	const char *name;
	const char *arch;		/* "x86_64", "arm64" */
	u64 ram;			/* bytes of RAM */
	unsigned int cpus;
	bool coherent;			/* devices' default */
	bool confidential;		/* a confidential guest (swiotlb force) */
};

/**
 * sim_machine_get_info() - the machine's properties
 * @m: machine
 * @info: filled in; its strings live as long as @m
 */
void sim_machine_get_info(struct sim_machine *m, struct sim_machine_info *info);

/* ---- nodes ------------------------------------------------------------------ */

/**
 * sim_node_count() - number of nodes of the topology
 * @m: machine
 *
 * Return: host bridges, ports and endpoints, implicit switch downstream
 * ports included.
 */
unsigned int sim_node_count(struct sim_machine *m);

/**
 * sim_node_at() - a node by index
 * @m: machine
 * @idx: 0 to sim_node_count() - 1, in the order the platform made them
 *	(a parent before its children)
 *
 * Return: the node, or NULL when @idx is out of range.
 */
struct sim_node *sim_node_at(struct sim_machine *m, unsigned int idx);

/**
 * sim_node_find() - a node by its platform id
 * @m: machine
 * @id: the id= of the platform line ("sw0.1" for a switch's second
 *	downstream port)
 *
 * Return: the node, or NULL when there is none.
 */
struct sim_node *sim_node_find(struct sim_machine *m, const char *id);

/**
 * sim_node_kind() - what @n is
 * @n: node
 *
 * Return: its enum sim_node_kind.
 */
enum sim_node_kind sim_node_kind(const struct sim_node *n);

/**
 * sim_node_id() - the platform id of @n
 * @n: node
 *
 * Return: the id, a string that lives as long as the machine.
 */
const char *sim_node_id(const struct sim_node *n);

/**
 * sim_node_kind_name() - the platform kind of @n
 * @n: node
 *
 * Return: the kind as the platform line spells it ("nvme", "gpu",
 * "rootport", "switch", ...; "switch-port" for a downstream port).
 */
const char *sim_node_kind_name(const struct sim_node *n);

/**
 * sim_node_parent() - the node above @n
 * @n: node
 *
 * Return: the parent, or NULL for a host bridge.
 */
struct sim_node *sim_node_parent(const struct sim_node *n);

/**
 * sim_node_first_child() - the first node below @n
 * @n: node
 *
 * Return: the first child in platform order, or NULL.
 */
struct sim_node *sim_node_first_child(const struct sim_node *n);

/**
 * sim_node_next_sibling() - the next node below @n's parent
 * @n: node
 *
 * Return: the next sibling in platform order, or NULL after the last.
 */
struct sim_node *sim_node_next_sibling(const struct sim_node *n);

/**
 * sim_node_pci_dev() - the PCI function of @n
 * @n: node
 *
 * Return: the function, or NULL for a host bridge (which has none).
 */
struct pci_dev *sim_node_pci_dev(const struct sim_node *n);

/**
 * sim_node_acs_ctrl() - the ACS control register of a port
 * @n: node
 *
 * Return: the PCI_ACS_* control bits of a root port or switch downstream
 * port, 0 for every other node.
 */
u16 sim_node_acs_ctrl(const struct sim_node *n);

/* What the platform said of an endpoint. */
struct sim_endpoint_info {
	unsigned int dma_bits;		/* DMA addressing capability */
	bool coherent;			/* snoops the CPU caches */
	bool untrusted;			/* external-facing (iommu-dma bounces) */
	bool flr;			/* function-level reset capable */
};

/**
 * sim_node_get_endpoint() - the properties of an endpoint
 * @n: node
 * @info: filled in
 *
 * Return: 0, or -EINVAL when @n is not an endpoint.
 */
int sim_node_get_endpoint(const struct sim_node *n,
			  struct sim_endpoint_info *info);

/* A memory BAR of a node's function. */
struct sim_bar_info {
	int index;			/* 0 to 5 */
	u64 size;
	phys_addr_t cpu_start;		/* where the CPU sees it */
	u64 bus_addr;			/* what a peer on the bus puts on the wire */
	bool is64;
	bool prefetch;
	const char *role;		/* "regs", "cmb", "vram", "bar" */
};

/**
 * sim_node_get_bar() - a memory BAR of @n's function
 * @n: node
 * @bar: BAR index, 0 to 5
 * @info: filled in
 *
 * Return: 0; -ENOENT when the function has no memory BAR @bar; -EINVAL
 * when @bar is out of range or @n has no PCI function.
 */
int sim_node_get_bar(const struct sim_node *n, int bar,
		     struct sim_bar_info *info);

/* What the platform said of a host bridge. */
struct sim_hostbridge_info {
	u16 domain;			/* PCI segment */
	u8 busnr;			/* root bus number */
	bool p2p_allow;			/* on the kernel's P2P allowlist */
	const char *iommu;		/* id of its IOMMU, NULL: none */
	u64 bus_offset;			/* 64-bit window: CPU minus bus address */
	u64 dram_bus_offset;		/* DRAM: CPU minus DMA address */
	u64 dma_limit;			/* highest DMA address below it, 0: none */
};

/**
 * sim_node_get_hostbridge() - the properties of a host bridge
 * @n: node
 * @info: filled in; its strings live as long as the machine
 *
 * Return: 0, or -EINVAL when @n is not a host bridge.
 */
int sim_node_get_hostbridge(const struct sim_node *n,
			    struct sim_hostbridge_info *info);

/* ---- IOMMU groups ------------------------------------------------------------ */

/**
 * sim_iommu_group_at() - an IOMMU group by index
 * @m: machine
 * @idx: 0 to sim_iommu_group_count() - 1, in the order they were formed
 *
 * Return: the group, or NULL when @idx is out of range.
 */
struct iommu_group *sim_iommu_group_at(struct sim_machine *m, unsigned int idx);

/* An IOMMU group and the unit that translates for it. */
struct sim_iommu_group_info {
	int id;
	const char *iommu;		/* the unit's platform id */
	const char *format;		/* its page-table format */
	unsigned long granule;		/* its smallest page */
	unsigned int domain_type;	/* IOMMU_DOMAIN_* of the attached domain */
	unsigned int nr_devices;	/* devices in the group */
};

/**
 * sim_iommu_group_get_info() - what an IOMMU group is
 * @group: group
 * @info: filled in; its strings live as long as the machine
 *
 * Return: 0, or -EINVAL for a NULL @group.
 */
int sim_iommu_group_get_info(struct iommu_group *group,
			     struct sim_iommu_group_info *info);

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_SIM_TOPOLOGY_H */
