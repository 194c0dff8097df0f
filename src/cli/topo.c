// SPDX-License-Identifier: MIT
/*
 * dmastack topo: the platform as a tree (like lspci -tv), the physical
 * memory map, and the IOMMU groups.
 */
#include <string.h>
#include "cli.h"
#include "kernel/iommu/iommu-priv.h"

static const char *node_role(struct sim_node *n)
{
	switch (n->kind) {
	case SIM_NODE_HOSTBRIDGE: return "host bridge";
	case SIM_NODE_ROOTPORT: return "root port";
	case SIM_NODE_SWITCH_UP: return "switch upstream port";
	case SIM_NODE_SWITCH_DOWN: return "switch downstream port";
	case SIM_NODE_ENDPOINT: return n->kindname;
	}
	return "?";
}

static void print_node(struct sim_node *n, const char *prefix, bool last)
{
	char acs[40], sz[32], child_prefix[256];
	struct pci_dev *pdev = n->fn ? &n->fn->pdev : NULL;

	printf("%s%s %s  %s", prefix, last ? "`--" : "|--",
	       pdev ? dev_name(&pdev->dev) : "", n->id);
	printf("  %s", node_role(n));
	if (pdev)
		printf(" [%04x:%04x]", pdev->vendor, pdev->device);
	if (n->kind == SIM_NODE_ROOTPORT || n->kind == SIM_NODE_SWITCH_DOWN) {
		cli_acs_str(n->acs_ctrl, acs, sizeof(acs));
		printf("  acs=%s", acs);
	}
	if (n->kind == SIM_NODE_ENDPOINT)
		printf("  %s, %u-bit DMA%s%s", n->coherent ? "coherent" : "non-coherent",
		       n->dma_bits, n->untrusted ? ", untrusted" : "",
		       n->flr ? ", FLR" : "");
	printf("\n");
	snprintf(child_prefix, sizeof(child_prefix), "%s%s", prefix,
		 last ? "    " : "|   ");
	if (n->fn) {
		for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
			struct sim_bar *bar = &n->fn->bars[b];

			if (!bar->size)
				continue;
			printf("%s%s    bar%d 0x%012llx %6s  %s%s  bus %#llx\n",
			       child_prefix, n->first_child ? "|" : " ", b,
			       (unsigned long long)bar->cpu_start,
			       fmt_size(sz, sizeof(sz), bar->size),
			       bar->is64 ? "64-bit pref" : "32-bit",
			       bar->role && strcmp(bar->role, "bar") ?
				       (strcmp(bar->role, "cmb") ? "  (registers)" : "  (controller memory buffer)") : "",
			       (unsigned long long)pci_bus_address(&n->fn->pdev, b));
		}
	}
	for (struct sim_node *c = n->first_child; c; c = c->next_sibling)
		print_node(c, child_prefix, !c->next_sibling);
}

static json_object *node_json(struct sim_node *n)
{
	json_object *o = json_object_new_object();
	json_object *kids = json_object_new_array();
	char acs[40];

	json_object_object_add(o, "id", json_object_new_string(n->id));
	json_object_object_add(o, "kind", json_object_new_string(
		n->kind == SIM_NODE_ENDPOINT ? n->kindname :
		n->kind == SIM_NODE_HOSTBRIDGE ? "hostbridge" :
		n->kind == SIM_NODE_ROOTPORT ? "rootport" :
		n->kind == SIM_NODE_SWITCH_UP ? "switch" : "switch-port"));
	if (n->fn) {
		struct pci_dev *pdev = &n->fn->pdev;
		json_object *bars = json_object_new_array();
		char id[16];

		json_object_object_add(o, "bdf", json_object_new_string(dev_name(&pdev->dev)));
		snprintf(id, sizeof(id), "%04x:%04x", pdev->vendor, pdev->device);
		json_object_object_add(o, "pci_id", json_object_new_string(id));
		for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
			struct sim_bar *bar = &n->fn->bars[b];
			json_object *jb;

			if (!bar->size)
				continue;
			jb = json_object_new_object();
			json_object_object_add(jb, "index", json_object_new_int(b));
			json_object_object_add(jb, "start", json_object_new_uint64(bar->cpu_start));
			json_object_object_add(jb, "size", json_object_new_uint64(bar->size));
			json_object_object_add(jb, "bus_address",
					       json_object_new_uint64(pci_bus_address(pdev, b)));
			json_object_object_add(jb, "64bit", json_object_new_boolean(bar->is64));
			json_object_object_add(jb, "prefetchable", json_object_new_boolean(bar->prefetch));
			json_object_array_add(bars, jb);
		}
		json_object_object_add(o, "bars", bars);
	}
	if (n->kind == SIM_NODE_ROOTPORT || n->kind == SIM_NODE_SWITCH_DOWN) {
		cli_acs_str(n->acs_ctrl, acs, sizeof(acs));
		json_object_object_add(o, "acs", json_object_new_string(acs));
	}
	if (n->kind == SIM_NODE_HOSTBRIDGE) {
		struct sim_hostbridge *hb = n->hostbridge;

		json_object_object_add(o, "p2p", json_object_new_string(hb->p2p_allow ? "allow" : "deny"));
		json_object_object_add(o, "iommu", hb->iommu_id[0] ?
				       json_object_new_string(hb->iommu_id) : NULL);
		json_object_object_add(o, "bus_offset", json_object_new_uint64(hb->win64.offset));
		json_object_object_add(o, "dram_bus_offset", json_object_new_int64((s64)hb->dma_offset));
		if (hb->dma_limit)
			json_object_object_add(o, "dma_limit", json_object_new_uint64(hb->dma_limit));
	}
	if (n->kind == SIM_NODE_ENDPOINT) {
		json_object_object_add(o, "coherent", json_object_new_boolean(n->coherent));
		json_object_object_add(o, "dma_bits", json_object_new_int((int)n->dma_bits));
		json_object_object_add(o, "untrusted", json_object_new_boolean(n->untrusted));
		json_object_object_add(o, "flr", json_object_new_boolean(n->flr));
	}
	for (struct sim_node *c = n->first_child; c; c = c->next_sibling)
		json_object_array_add(kids, node_json(c));
	json_object_object_add(o, "children", kids);
	return o;
}

static const char *domain_type_name(unsigned int type)
{
	switch (type) {
	case IOMMU_DOMAIN_BLOCKED: return "blocked";
	case IOMMU_DOMAIN_IDENTITY: return "identity";
	case IOMMU_DOMAIN_DMA: return "DMA (strict)";
	case IOMMU_DOMAIN_DMA_FQ: return "DMA_FQ (lazy)";
	default: return "unmanaged";
	}
}

static json_object *groups_json(struct sim_machine *m)
{
	json_object *arr = json_object_new_array();

	for (unsigned int i = 0; i < m->kernel->nr_groups; i++) {
		struct iommu_group *g = m->kernel->groups[i];
		json_object *jg = json_object_new_object(), *devs = json_object_new_array();

		json_object_object_add(jg, "id", json_object_new_int(g->id));
		json_object_object_add(jg, "iommu", json_object_new_string(g->iommu->id));
		json_object_object_add(jg, "domain", json_object_new_string(
			domain_type_name(g->domain->type)));
		json_object_object_add(jg, "granule", json_object_new_uint64(g->iommu->granule));
		for (unsigned int k = 0; k < m->nr_devices; k++)
			if (m->devices[k]->sim_state->group == g)
				json_object_array_add(devs, json_object_new_string(
					sim_device_id(m->devices[k])));
		json_object_object_add(jg, "devices", devs);
		json_object_array_add(arr, jg);
	}
	return arr;
}

static void print_groups(struct sim_machine *m)
{
	if (!m->kernel->nr_groups) {
		printf("\nIOMMU groups: none (no IOMMU translates DMA on this platform)\n");
		return;
	}
	printf("\nIOMMU groups:\n");
	for (unsigned int i = 0; i < m->kernel->nr_groups; i++) {
		struct iommu_group *g = m->kernel->groups[i];

		printf("  group %d  %s (%s, %s granule)  %-14s  devices:", g->id,
		       g->iommu->id, g->iommu->format,
		       g->iommu->granule == SZ_4K ? "4K" :
		       g->iommu->granule == SZ_16K ? "16K" : "64K",
		       domain_type_name(g->domain->type));
		for (unsigned int k = 0; k < m->nr_devices; k++)
			if (m->devices[k]->sim_state->group == g)
				printf(" %s", sim_device_id(m->devices[k]));
		printf("%s\n", g->nr_devices > 1 ?
		       "  (shared: no ACS isolation between them)" : "");
	}
}

int cmd_topo(const struct cli_opts *o)
{
	struct sim_machine *m = cli_load_machine(o);
	unsigned int nranges;
	char sz[32];

	if (!m)
		return 2;
	nranges = sim_mem_range_count(m);
	if (o->json) {
		json_object *root = json_object_new_object();
		json_object *tree = json_object_new_array();
		json_object *map = json_object_new_array();

		json_object_object_add(root, "machine", json_object_new_string(m->name));
		json_object_object_add(root, "arch", json_object_new_string(m->arch));
		json_object_object_add(root, "ram", json_object_new_uint64(m->ram.total));
		json_object_object_add(root, "cpus", json_object_new_int((int)m->ncpus));
		json_object_object_add(root, "confidential", json_object_new_boolean(m->confidential));
		for (unsigned int i = 0; i < m->nr_nodes; i++)
			if (m->nodes[i]->kind == SIM_NODE_HOSTBRIDGE)
				json_object_array_add(tree, node_json(m->nodes[i]));
		json_object_object_add(root, "topology", tree);
		for (unsigned int i = 0; i < nranges; i++) {
			struct sim_mem_range r;
			json_object *jr;

			if (sim_mem_range_get(m, i, &r))
				continue;
			jr = json_object_new_object();
			json_object_object_add(jr, "kind", json_object_new_string(r.kind));
			json_object_object_add(jr, "owner", json_object_new_string(r.owner));
			json_object_object_add(jr, "start", json_object_new_uint64(r.start));
			json_object_object_add(jr, "size", json_object_new_uint64(r.size));
			json_object_object_add(jr, "bus_offset", json_object_new_uint64(r.bus_offset));
			json_object_array_add(map, jr);
		}
		json_object_object_add(root, "memory_map", map);
		json_object_object_add(root, "iommu_groups", groups_json(m));
		json_print(root);
		json_object_put(root);
		sim_machine_destroy(m);
		return 0;
	}

	printf("%s  (%s, %s RAM, %u CPUs%s%s)\n\n", m->name, m->arch,
	       fmt_size(sz, sizeof(sz), m->ram.total), m->ncpus,
	       m->coherent ? ", coherent by default" : ", non-coherent by default",
	       m->confidential ? ", confidential guest" : "");
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];
		struct sim_hostbridge *hb = n->hostbridge;

		if (n->kind != SIM_NODE_HOSTBRIDGE)
			continue;
		printf("%s  host bridge [%04x:%02x]  p2p=%s  iommu=%s",
		       n->id, hb->domain, hb->busnr, hb->p2p_allow ? "allow" : "deny",
		       hb->iommu_id[0] ? hb->iommu_id : "none");
		if (hb->dma_offset)
			printf("  dram-bus-offset=%#llx", (unsigned long long)hb->dma_offset);
		if (hb->dma_limit)
			printf("  dma-limit=%#llx", (unsigned long long)hb->dma_limit);
		printf("\n");
		for (struct sim_node *c = n->first_child; c; c = c->next_sibling)
			print_node(c, "", !c->next_sibling);
		printf("\n");
	}
	printf("Memory map:\n");
	for (unsigned int i = 0; i < nranges; i++) {
		struct sim_mem_range r;

		if (sim_mem_range_get(m, i, &r))
			continue;
		printf("  0x%012llx-0x%012llx  %-8s %6s  %s", (unsigned long long)r.start,
		       (unsigned long long)(r.start + r.size - 1), r.kind,
		       fmt_size(sz, sizeof(sz), r.size), r.owner);
		if (r.bus_offset)
			printf("  (bus = cpu - %#llx)", (unsigned long long)r.bus_offset);
		printf("\n");
	}
	print_groups(m);
	sim_machine_destroy(m);
	return 0;
}
