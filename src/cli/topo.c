// SPDX-License-Identifier: MIT
/*
 * dmastack topo: the platform as a tree (like lspci -tv), the physical
 * memory map, and the IOMMU groups.
 */
#include <string.h>
#include "cli.h"

static const char *node_role(struct sim_node *n)
{
	switch (sim_node_kind(n)) {
	case SIM_NODE_HOSTBRIDGE: return "host bridge";
	case SIM_NODE_ROOTPORT: return "root port";
	case SIM_NODE_SWITCH_UP: return "switch upstream port";
	case SIM_NODE_SWITCH_DOWN: return "switch downstream port";
	case SIM_NODE_ENDPOINT: return sim_node_kind_name(n);
	}
	return "?";
}

static bool node_has_acs(struct sim_node *n)
{
	return sim_node_kind(n) == SIM_NODE_ROOTPORT ||
	       sim_node_kind(n) == SIM_NODE_SWITCH_DOWN;
}

static const char *bar_role(const struct sim_bar_info *bar)
{
	if (!bar->role || !strcmp(bar->role, "bar"))
		return "";
	return strcmp(bar->role, "cmb") ? "  (registers)" : "  (controller memory buffer)";
}

static void print_node(struct sim_node *n, const char *prefix, bool last)
{
	char acs[40], sz[32], child_prefix[256];
	struct pci_dev *pdev = sim_node_pci_dev(n);
	struct sim_endpoint_info ep;
	struct sim_bar_info bar;

	printf("%s%s %s  %s", prefix, last ? "`--" : "|--",
	       pdev ? dev_name(&pdev->dev) : "", sim_node_id(n));
	printf("  %s", node_role(n));
	if (pdev)
		printf(" [%04x:%04x]", pdev->vendor, pdev->device);
	if (node_has_acs(n)) {
		cli_acs_str(sim_node_acs_ctrl(n), acs, sizeof(acs));
		printf("  acs=%s", acs);
	}
	if (!sim_node_get_endpoint(n, &ep))
		printf("  %s, %u-bit DMA%s%s", ep.coherent ? "coherent" : "non-coherent",
		       ep.dma_bits, ep.untrusted ? ", untrusted" : "",
		       ep.flr ? ", FLR" : "");
	printf("\n");
	snprintf(child_prefix, sizeof(child_prefix), "%s%s", prefix,
		 last ? "    " : "|   ");
	for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
		if (sim_node_get_bar(n, b, &bar))
			continue;
		printf("%s%s    bar%d 0x%012llx %6s  %s%s  bus %#llx\n",
		       child_prefix, sim_node_first_child(n) ? "|" : " ", b,
		       (unsigned long long)bar.cpu_start,
		       fmt_size(sz, sizeof(sz), bar.size),
		       bar.is64 ? "64-bit pref" : "32-bit", bar_role(&bar),
		       (unsigned long long)bar.bus_addr);
	}
	for (struct sim_node *c = sim_node_first_child(n); c; c = sim_node_next_sibling(c))
		print_node(c, child_prefix, !sim_node_next_sibling(c));
}

static const char *node_kind_json(struct sim_node *n)
{
	switch (sim_node_kind(n)) {
	case SIM_NODE_ENDPOINT: return sim_node_kind_name(n);
	case SIM_NODE_HOSTBRIDGE: return "hostbridge";
	case SIM_NODE_ROOTPORT: return "rootport";
	case SIM_NODE_SWITCH_UP: return "switch";
	case SIM_NODE_SWITCH_DOWN: return "switch-port";
	}
	return "?";
}

static json_object *bars_json(struct sim_node *n)
{
	json_object *bars = json_object_new_array();
	struct sim_bar_info bar;

	for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
		json_object *jb;

		if (sim_node_get_bar(n, b, &bar))
			continue;
		jb = json_object_new_object();
		json_object_object_add(jb, "index", json_object_new_int(b));
		json_object_object_add(jb, "start", json_object_new_uint64(bar.cpu_start));
		json_object_object_add(jb, "size", json_object_new_uint64(bar.size));
		json_object_object_add(jb, "bus_address", json_object_new_uint64(bar.bus_addr));
		json_object_object_add(jb, "64bit", json_object_new_boolean(bar.is64));
		json_object_object_add(jb, "prefetchable", json_object_new_boolean(bar.prefetch));
		json_object_array_add(bars, jb);
	}
	return bars;
}

static json_object *node_json(struct sim_node *n)
{
	json_object *o = json_object_new_object();
	json_object *kids = json_object_new_array();
	struct pci_dev *pdev = sim_node_pci_dev(n);
	struct sim_hostbridge_info hb;
	struct sim_endpoint_info ep;
	char acs[40];

	json_object_object_add(o, "id", json_object_new_string(sim_node_id(n)));
	json_object_object_add(o, "kind", json_object_new_string(node_kind_json(n)));
	if (pdev) {
		char id[16];

		json_object_object_add(o, "bdf", json_object_new_string(dev_name(&pdev->dev)));
		snprintf(id, sizeof(id), "%04x:%04x", pdev->vendor, pdev->device);
		json_object_object_add(o, "pci_id", json_object_new_string(id));
		json_object_object_add(o, "bars", bars_json(n));
	}
	if (node_has_acs(n)) {
		cli_acs_str(sim_node_acs_ctrl(n), acs, sizeof(acs));
		json_object_object_add(o, "acs", json_object_new_string(acs));
	}
	if (!sim_node_get_hostbridge(n, &hb)) {
		json_object_object_add(o, "p2p", json_object_new_string(hb.p2p_allow ? "allow" : "deny"));
		json_object_object_add(o, "iommu", hb.iommu ? json_object_new_string(hb.iommu) : NULL);
		json_object_object_add(o, "bus_offset", json_object_new_uint64(hb.bus_offset));
		json_object_object_add(o, "dram_bus_offset",
				       json_object_new_int64((s64)hb.dram_bus_offset));
		if (hb.dma_limit)
			json_object_object_add(o, "dma_limit", json_object_new_uint64(hb.dma_limit));
	}
	if (!sim_node_get_endpoint(n, &ep)) {
		json_object_object_add(o, "coherent", json_object_new_boolean(ep.coherent));
		json_object_object_add(o, "dma_bits", json_object_new_int((int)ep.dma_bits));
		json_object_object_add(o, "untrusted", json_object_new_boolean(ep.untrusted));
		json_object_object_add(o, "flr", json_object_new_boolean(ep.flr));
	}
	for (struct sim_node *c = sim_node_first_child(n); c; c = sim_node_next_sibling(c))
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

static const char *granule_name(unsigned long granule)
{
	return granule == SZ_4K ? "4K" : granule == SZ_16K ? "16K" : "64K";
}

static json_object *groups_json(struct sim_machine *m)
{
	json_object *arr = json_object_new_array();
	struct sim_iommu_group_info gi;

	for (unsigned int i = 0; i < sim_iommu_group_count(m); i++) {
		struct iommu_group *g = sim_iommu_group_at(m, i);
		json_object *jg = json_object_new_object(), *devs = json_object_new_array();

		sim_iommu_group_get_info(g, &gi);
		json_object_object_add(jg, "id", json_object_new_int(gi.id));
		json_object_object_add(jg, "iommu", json_object_new_string(gi.iommu));
		json_object_object_add(jg, "domain", json_object_new_string(
			domain_type_name(gi.domain_type)));
		json_object_object_add(jg, "granule", json_object_new_uint64(gi.granule));
		for (unsigned int k = 0; k < sim_device_count(m); k++)
			if (iommu_group_get(sim_device_at(m, k)) == g)
				json_object_array_add(devs, json_object_new_string(
					sim_device_id(sim_device_at(m, k))));
		json_object_object_add(jg, "devices", devs);
		json_object_array_add(arr, jg);
	}
	return arr;
}

static void print_groups(struct sim_machine *m)
{
	struct sim_iommu_group_info gi;

	if (!sim_iommu_group_count(m)) {
		printf("\nIOMMU groups: none (no IOMMU translates DMA on this platform)\n");
		return;
	}
	printf("\nIOMMU groups:\n");
	for (unsigned int i = 0; i < sim_iommu_group_count(m); i++) {
		struct iommu_group *g = sim_iommu_group_at(m, i);

		sim_iommu_group_get_info(g, &gi);
		printf("  group %d  %s (%s, %s granule)  %-14s  devices:", gi.id,
		       gi.iommu, gi.format, granule_name(gi.granule),
		       domain_type_name(gi.domain_type));
		for (unsigned int k = 0; k < sim_device_count(m); k++)
			if (iommu_group_get(sim_device_at(m, k)) == g)
				printf(" %s", sim_device_id(sim_device_at(m, k)));
		printf("%s\n", gi.nr_devices > 1 ?
		       "  (shared: no ACS isolation between them)" : "");
	}
}

int cmd_topo(const struct cli_opts *o)
{
	struct sim_machine *m = cli_load_machine(o);
	struct sim_machine_info mi;
	unsigned int nranges;
	char sz[32];

	if (!m)
		return 2;
	sim_machine_get_info(m, &mi);
	nranges = sim_mem_range_count(m);
	if (o->json) {
		json_object *root = json_object_new_object();
		json_object *tree = json_object_new_array();
		json_object *map = json_object_new_array();

		json_object_object_add(root, "machine", json_object_new_string(mi.name));
		json_object_object_add(root, "arch", json_object_new_string(mi.arch));
		json_object_object_add(root, "ram", json_object_new_uint64(mi.ram));
		json_object_object_add(root, "cpus", json_object_new_int((int)mi.cpus));
		json_object_object_add(root, "confidential", json_object_new_boolean(mi.confidential));
		for (unsigned int i = 0; i < sim_node_count(m); i++)
			if (sim_node_kind(sim_node_at(m, i)) == SIM_NODE_HOSTBRIDGE)
				json_object_array_add(tree, node_json(sim_node_at(m, i)));
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

	printf("%s  (%s, %s RAM, %u CPUs%s%s)\n\n", mi.name, mi.arch,
	       fmt_size(sz, sizeof(sz), mi.ram), mi.cpus,
	       mi.coherent ? ", coherent by default" : ", non-coherent by default",
	       mi.confidential ? ", confidential guest" : "");
	for (unsigned int i = 0; i < sim_node_count(m); i++) {
		struct sim_node *n = sim_node_at(m, i);
		struct sim_hostbridge_info hb;

		if (sim_node_get_hostbridge(n, &hb))
			continue;
		printf("%s  host bridge [%04x:%02x]  p2p=%s  iommu=%s",
		       sim_node_id(n), hb.domain, hb.busnr, hb.p2p_allow ? "allow" : "deny",
		       hb.iommu ? hb.iommu : "none");
		if (hb.dram_bus_offset)
			printf("  dram-bus-offset=%#llx", (unsigned long long)hb.dram_bus_offset);
		if (hb.dma_limit)
			printf("  dma-limit=%#llx", (unsigned long long)hb.dma_limit);
		printf("\n");
		for (struct sim_node *c = sim_node_first_child(n); c; c = sim_node_next_sibling(c))
			print_node(c, "", !sim_node_next_sibling(c));
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
