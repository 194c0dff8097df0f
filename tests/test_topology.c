// SPDX-License-Identifier: MIT
/*
 * The read-only view of a machine (include/dmastack/sim-topology.h): the
 * topology the platform text built, its nodes' properties and BARs, host
 * bridges, and the IOMMU groups, through the public API alone.
 */
#include "helpers.h"

/* The default platform: a switch with nvme0 and nic0, gpu0, tb0. */
static int setup(void **state)
{
	*state = sim_machine_default();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	sim_machine_destroy(*state);
	return 0;
}

static void test_machine_info(void **state)
{
	struct sim_machine_info mi;

	sim_machine_get_info(*state, &mi);
	assert_string_equal(mi.name, "epyc-server");
	assert_string_equal(mi.arch, "x86_64");
	assert_int_equal(mi.ram, 64ULL << 30);
	assert_int_equal(mi.cpus, 8);
	assert_false(mi.confidential);
}

static void test_nodes_in_platform_order_parents_first(void **state)
{
	struct sim_machine *m = *state;
	unsigned int n = sim_node_count(m), endpoints = 0;

	assert_true(n >= 10);	/* hb0, 3 root ports, a switch, 2 ports, 4 endpoints */
	assert_null(sim_node_at(m, n));
	for (unsigned int i = 0; i < n; i++) {
		struct sim_node *node = sim_node_at(m, i), *p = sim_node_parent(node);

		assert_non_null(node);
		assert_ptr_equal(sim_node_find(m, sim_node_id(node)), node);
		if (sim_node_kind(node) == SIM_NODE_HOSTBRIDGE) {
			assert_null(p);
			assert_null(sim_node_pci_dev(node));
			continue;
		}
		assert_non_null(p);
		assert_non_null(sim_node_pci_dev(node));
		/* the parent came first, and lists @node among its children */
		for (unsigned int k = i; k < n; k++)
			assert_ptr_not_equal(sim_node_at(m, k), p);
		for (struct sim_node *c = sim_node_first_child(p); c != node;
		     c = sim_node_next_sibling(c))
			assert_non_null(c);
		endpoints += sim_node_kind(node) == SIM_NODE_ENDPOINT;
	}
	assert_int_equal(endpoints, 4);
	assert_null(sim_node_find(m, "nosuch"));
}

static void test_kinds_and_acs(void **state)
{
	struct sim_machine *m = *state;
	struct sim_node *sw = sim_node_find(m, "sw0");
	struct sim_node *nvme = sim_node_find(m, "nvme0");
	struct sim_node *dsp = sim_node_parent(nvme);

	assert_int_equal(sim_node_kind(sim_node_find(m, "hb0")), SIM_NODE_HOSTBRIDGE);
	assert_int_equal(sim_node_kind(sim_node_find(m, "rp1")), SIM_NODE_ROOTPORT);
	assert_int_equal(sim_node_kind(sw), SIM_NODE_SWITCH_UP);
	assert_int_equal(sim_node_kind(dsp), SIM_NODE_SWITCH_DOWN);
	assert_ptr_equal(sim_node_parent(dsp), sw);
	assert_int_equal(sim_node_kind(nvme), SIM_NODE_ENDPOINT);
	assert_string_equal(sim_node_kind_name(nvme), "nvme");
	assert_string_equal(sim_node_kind_name(dsp), "switch-port");
	assert_int_equal(sim_node_acs_ctrl(sim_node_find(m, "rp1")), PCI_ACS_RR | PCI_ACS_CR);
	assert_int_equal(sim_node_acs_ctrl(sim_node_find(m, "rp0")), 0);
	assert_int_equal(sim_node_acs_ctrl(dsp), 0);
	/* an endpoint has no ACS control of its own to report */
	assert_int_equal(sim_node_acs_ctrl(nvme), 0);
	assert_ptr_equal(&sim_node_pci_dev(nvme)->dev, sim_device(m, "nvme0"));
}

static void test_endpoint_info(void **state)
{
	struct sim_machine *m = *state;
	struct sim_endpoint_info ep;

	assert_int_equal(sim_node_get_endpoint(sim_node_find(m, "tb0"), &ep), 0);
	assert_int_equal(ep.dma_bits, 32);
	assert_true(ep.untrusted);
	assert_false(ep.coherent);
	assert_false(ep.flr);
	assert_int_equal(sim_node_get_endpoint(sim_node_find(m, "gpu0"), &ep), 0);
	assert_true(ep.flr);
	assert_int_equal(ep.dma_bits, 64);
	assert_int_equal(sim_node_get_endpoint(sim_node_find(m, "sw0"), &ep), -EINVAL);
}

static void test_bars(void **state)
{
	struct sim_machine *m = *state;
	struct sim_node *gpu = sim_node_find(m, "gpu0");
	struct pci_dev *pdev = sim_node_pci_dev(gpu);
	struct sim_bar_info bar;

	assert_int_equal(sim_node_get_bar(gpu, 2, &bar), 0);
	assert_int_equal(bar.index, 2);
	assert_int_equal(bar.size, 64ULL << 30);
	assert_true(bar.is64);
	assert_true(bar.prefetch);
	assert_int_equal(bar.cpu_start, pci_resource_start(pdev, 2));
	assert_int_equal(bar.size, pci_resource_len(pdev, 2));
	assert_int_equal(bar.bus_addr, pci_bus_address(pdev, 2));
	assert_int_equal(sim_node_get_bar(gpu, 0, &bar), 0);
	assert_int_equal(bar.size, 16 << 20);
	assert_int_equal(sim_node_get_bar(gpu, 4, &bar), -ENOENT);
	assert_int_equal(sim_node_get_bar(gpu, 6, &bar), -EINVAL);
	assert_int_equal(sim_node_get_bar(gpu, -1, &bar), -EINVAL);
	assert_int_equal(sim_node_get_bar(sim_node_find(m, "hb0"), 0, &bar), -EINVAL);
	assert_int_equal(sim_node_get_bar(sim_node_find(m, "nvme0"), 2, &bar), 0);
	assert_string_equal(bar.role, "cmb");
	assert_int_equal(bar.size, 64 << 20);
}

static void test_hostbridge_info(void **state)
{
	struct sim_machine *m = *state;
	struct sim_hostbridge_info hb;

	assert_int_equal(sim_node_get_hostbridge(sim_node_find(m, "hb0"), &hb), 0);
	assert_true(hb.p2p_allow);
	assert_string_equal(hb.iommu, "iommu0");
	assert_int_equal(hb.domain, 0);
	assert_int_equal(hb.dram_bus_offset, 0);
	assert_int_equal(sim_node_get_hostbridge(sim_node_find(m, "rp0"), &hb), -EINVAL);
}

static void test_hostbridge_without_iommu(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct sim_hostbridge_info hb;

	assert_int_equal(sim_node_get_hostbridge(sim_node_find(m, "hb0"), &hb), 0);
	assert_null(hb.iommu);
	assert_int_equal(sim_iommu_group_count(m), 0);
	assert_null(sim_iommu_group_at(m, 0));
	sim_machine_destroy(m);
}

static void test_iommu_groups(void **state)
{
	struct sim_machine *m = *state;
	struct iommu_group *shared = iommu_group_get(sim_device(m, "nic0"));
	struct sim_iommu_group_info gi;
	unsigned int seen = 0, devices = 0;

	assert_int_equal(sim_iommu_group_get_info(NULL, &gi), -EINVAL);
	assert_null(sim_iommu_group_at(m, sim_iommu_group_count(m)));
	for (unsigned int i = 0; i < sim_iommu_group_count(m); i++) {
		struct iommu_group *g = sim_iommu_group_at(m, i);

		assert_int_equal(sim_iommu_group_get_info(g, &gi), 0);
		assert_int_equal(gi.id, iommu_group_id(g));
		assert_string_equal(gi.iommu, "iommu0");
		assert_string_equal(gi.format, "x86_64");
		assert_int_equal(gi.granule, 4096);
		devices += gi.nr_devices;
		if (g != shared)
			continue;
		seen++;
		/* nvme0 and nic0 below a switch without ACS: one lazy group */
		assert_int_equal(gi.nr_devices, 2);
		assert_int_equal(gi.domain_type, IOMMU_DOMAIN_DMA_FQ);
	}
	assert_int_equal(seen, 1);
	assert_int_equal(devices, sim_device_count(m));
	/* the untrusted tb0 gets a strict domain */
	assert_int_equal(sim_iommu_group_get_info(iommu_group_get(sim_device(m, "tb0")), &gi), 0);
	assert_int_equal(gi.domain_type, IOMMU_DOMAIN_DMA);
	assert_int_equal(gi.nr_devices, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_machine_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodes_in_platform_order_parents_first,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kinds_and_acs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostbridge_info, setup, teardown),
		cmocka_unit_test(test_hostbridge_without_iommu),
		cmocka_unit_test_setup_teardown(test_iommu_groups, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
