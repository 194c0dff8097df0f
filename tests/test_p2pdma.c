// SPDX-License-Identifier: MIT
/*
 * PCI P2PDMA: providers, the map type and distance the topology gives
 * (each outcome on a platform built for it), the cache, the explanation,
 * the struct-page layer (add_resource, alloc/free, publish/find) and
 * scatterlists of P2P pages through dma-direct and iommu-dma, with the
 * device's DMA checked against the peer's BAR. Ends with a fail-Nth sweep.
 */
#include "failnth.h"
#include "variants.h"

#ifndef SZ_512K
#endif

/*
 * hb0: rp0 -> switch sw0 (ACS per test) with prov (64K bar0, 1M bar2) and
 * cli; rp1 -> far. hb1: rq0 -> other. Host-bridge P2P per test; hb0 may
 * sit behind a strict IOMMU and have a CPU-to-bus offset.
 */
struct plat {
	const char *acs;	/* switch acs= */
	bool hb0_allow, hb1_allow;
	bool iommu;
	const char *bus_offset;
};

static struct sim_machine *plat_new(const struct plat *p)
{
	char text[2048];
	int n;

	n = snprintf(text, sizeof(text),
		     "machine name=p2p arch=x86_64 ram=256M ram-below-4g=128M cpus=2\n"
		     "swiotlb size=4M\n"
		     "iommu id=io0 format=x86_64 mode=strict\n"
		     "hostbridge id=hb0 p2p=%s bus-offset=%s%s\n"
		     "rootport id=rp0 bus=hb0\n"
		     "switch id=sw0 bus=rp0 acs=%s\n"
		     "pcidev id=prov bus=sw0 bar0=64K bar2=1M\n"
		     "pcidev id=cli bus=sw0 dma-bits=64\n"
		     "rootport id=rp1 bus=hb0\n"
		     "pcidev id=far bus=rp1 bar0=64K\n"
		     "hostbridge id=hb1 p2p=%s\n"
		     "rootport id=rq0 bus=hb1\n"
		     "pcidev id=other bus=rq0 bar0=64K\n",
		     p->hb0_allow ? "allow" : "deny",
		     p->bus_offset ? p->bus_offset : "0",
		     p->iommu ? " iommu=io0" : "",
		     p->acs ? p->acs : "off",
		     p->hb1_allow ? "allow" : "deny");
	assert_true(n > 0 && (size_t)n < sizeof(text));
	return machine_from(text);
}

static struct pci_dev *pdev_of(struct sim_machine *m, const char *id)
{
	return to_pci_dev(dev_of(m, id));
}

static struct p2pdma_provider *provider(struct sim_machine *m, const char *id,
					int bar)
{
	struct pci_dev *pdev = pdev_of(m, id);

	assert_int_equal(pcim_p2pdma_init(pdev), 0);
	return pcim_p2pdma_provider(pdev, bar);
}

static void expect_type(struct sim_machine *m, const char *prov,
			const char *client, enum pci_p2pdma_map_type want,
			int want_dist)
{
	struct p2pdma_provider *p = provider(m, prov, 0);
	struct device *c = dev_of(m, client);
	struct sim_p2p_explain ex;
	enum pci_p2pdma_map_type got;

	assert_non_null(p);
	got = pci_p2pdma_map_type(p, c);
	if (got != want)
		fail_msg("%s -> %s: %s, expected %s", client, prov,
			 sim_p2pdma_map_type_name(got),
			 sim_p2pdma_map_type_name(want));
	/* The cached answer and the uncached explanation agree. */
	assert_int_equal(pci_p2pdma_map_type(p, c), want);
	assert_int_equal(sim_p2pdma_explain(p, c, &ex), 0);
	assert_int_equal(ex.type, want);
	assert_int_equal(ex.distance, want_dist);
	assert_true(ex.reason[0] && ex.change[0]);
	assert_int_equal(pci_p2pdma_distance(pdev_of(m, prov), c, false),
			 want_dist);
}

/* ------------------------------------------------------------------------ */
/* Providers                                                                */
/* ------------------------------------------------------------------------ */

static void test_provider_init(void **state)
{
	struct plat p = { .hb0_allow = true, .bus_offset = "256M" };
	struct sim_machine *m = plat_new(&p);
	struct pci_dev *prov = pdev_of(m, "prov");
	struct p2pdma_provider *p0, *p2;
	unsigned long warns;

	(void)state;
	/* Before init: NULL with a warning (the kernel WARNs). */
	warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	assert_null(pcim_p2pdma_provider(prov, 0));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns + 1);
	/* A BAR that is not memory: NULL, no warning needed. */
	assert_null(pcim_p2pdma_provider(prov, 1));
	assert_null(pcim_p2pdma_provider(prov, 7));

	assert_int_equal(pcim_p2pdma_init(prov), 0);
	p0 = pcim_p2pdma_provider(prov, 0);
	p2 = pcim_p2pdma_provider(prov, 2);
	assert_non_null(p0);
	assert_non_null(p2);
	assert_ptr_not_equal(p0, p2);
	assert_ptr_equal(p0->owner, &prov->dev);
	assert_null(pcim_p2pdma_provider(prov, 1));
	/* Idempotent: same providers after a second init. */
	assert_int_equal(pcim_p2pdma_init(prov), 0);
	assert_ptr_equal(pcim_p2pdma_provider(prov, 0), p0);

	/* The window's offset: bus = cpu - 256M; bus_addr_map gives it. */
	assert_int_equal(pci_bus_address(prov, 2),
			 pci_resource_start(prov, 2) - (256ULL << 20));
	assert_true(pci_bus_address(prov, 2) != pci_resource_start(prov, 2));
	assert_int_equal(pci_p2pdma_bus_addr_map(p2, pci_resource_start(prov, 2) + 0x1000),
			 pci_bus_address(prov, 2) + 0x1000);
	assert_int_equal(pci_p2pdma_bus_addr_map(p0, pci_resource_start(prov, 0)),
			 pci_bus_address(prov, 0));
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* The map type                                                             */
/* ------------------------------------------------------------------------ */

static void test_same_device(void **state)
{
	struct plat p = { .hb0_allow = false };
	struct sim_machine *m = plat_new(&p);
	struct sim_p2p_explain ex;

	(void)state;
	expect_type(m, "prov", "prov", PCI_P2PDMA_MAP_BUS_ADDR, 0);
	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "prov"), &ex), 0);
	assert_string_equal(ex.common, "prov");
	assert_int_equal(ex.nr_hops, 1);
	sim_machine_destroy(m);
}

static void test_switch_bus_addr(void **state)
{
	struct plat p = { .hb0_allow = false };
	struct sim_machine *m = plat_new(&p);
	struct sim_p2p_explain ex;
	unsigned long warns = sim_report_count_kind(m, SIM_REPORT_WARN);

	(void)state;
	/* cli -> dsp -> usp <- dsp <- prov: 2 + 2, even with p2p=deny. */
	expect_type(m, "prov", "cli", PCI_P2PDMA_MAP_BUS_ADDR, 4);
	expect_type(m, "cli", "prov", PCI_P2PDMA_MAP_BUS_ADDR, 4);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), warns);

	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "cli"), &ex), 0);
	assert_string_equal(ex.common, "sw0");
	assert_null(ex.host_bridge);
	/* cli, its downstream port, the switch, prov's port, prov. */
	assert_int_equal(ex.nr_hops, 5);
	assert_string_equal(ex.hops[0].id, "cli");
	assert_string_equal(ex.hops[1].kind, "switch-down");
	assert_string_equal(ex.hops[2].id, "sw0");
	assert_string_equal(ex.hops[2].kind, "switch-up");
	assert_string_equal(ex.hops[4].id, "prov");
	for (unsigned int i = 0; i < ex.nr_hops; i++)
		assert_false(ex.hops[i].redirects);
	assert_non_null(strstr(ex.reason, "sw0"));
	assert_non_null(strstr(ex.change, "NOT_SUPPORTED"));
	sim_machine_destroy(m);
}

static void acs_case(const char *acs, u16 bit)
{
	struct plat allow = { .acs = acs, .hb0_allow = true };
	struct plat deny = { .acs = acs, .hb0_allow = false };
	struct sim_machine *m = plat_new(&allow);
	struct sim_p2p_explain ex;
	bool seen = false;

	expect_type(m, "prov", "cli", PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 4);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "ACS redirect"));
	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "cli"), &ex), 0);
	assert_string_equal(ex.common, "sw0");
	assert_string_equal(ex.host_bridge, "hb0");
	assert_true(ex.host_bridge_p2p);
	for (unsigned int i = 0; i < ex.nr_hops; i++)
		if (ex.hops[i].redirects) {
			assert_true(ex.hops[i].acs_ctrl & bit);
			assert_string_equal(ex.hops[i].kind, "switch-down");
			seen = true;
		}
	assert_true(seen);
	assert_non_null(strstr(ex.change, "BUS_ADDR"));
	assert_non_null(strstr(ex.change, "sw0.dp"));
	sim_machine_destroy(m);

	m = plat_new(&deny);
	expect_type(m, "prov", "cli", PCI_P2PDMA_MAP_NOT_SUPPORTED, -1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "allowlist"));
	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "cli"), &ex), 0);
	assert_false(ex.host_bridge_p2p);
	assert_non_null(strstr(ex.change, "p2p=allow on host bridge hb0"));
	sim_machine_destroy(m);
}

static void test_acs_rr(void **state)
{
	(void)state;
	acs_case("rr", PCI_ACS_RR);
}

static void test_acs_cr(void **state)
{
	(void)state;
	acs_case("cr", PCI_ACS_CR);
}

static void test_acs_ec(void **state)
{
	(void)state;
	acs_case("ec", PCI_ACS_EC);
}

static void test_acs_sv_only(void **state)
{
	struct plat p = { .acs = "sv,tb,uf", .hb0_allow = false };
	struct sim_machine *m = plat_new(&p);

	(void)state;
	/* SV/TB/UF are not redirection in the kernel's sense. */
	expect_type(m, "prov", "cli", PCI_P2PDMA_MAP_BUS_ADDR, 4);
	sim_machine_destroy(m);
}

static void test_root_ports(void **state)
{
	struct plat allow = { .hb0_allow = true };
	struct plat deny = { .hb0_allow = false, .hb1_allow = true };
	struct sim_machine *m = plat_new(&allow);
	struct sim_p2p_explain ex;

	(void)state;
	/* prov, dsp, usp, rp0 (4) + far, rp1 (2); no common bridge. */
	expect_type(m, "prov", "far", PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 6);
	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "far"), &ex), 0);
	assert_null(ex.common);
	assert_string_equal(ex.host_bridge, "hb0");
	assert_string_equal(ex.hops[0].id, "far");
	assert_string_equal(ex.hops[ex.nr_hops - 1].id, "prov");
	assert_non_null(strstr(ex.reason, "share no upstream bridge"));
	sim_machine_destroy(m);

	/* ACS redirect on the provider's side changes nothing without a
	 * common bridge: the explanation must not blame it */
	allow.acs = "rr";
	m = plat_new(&allow);
	expect_type(m, "prov", "far", PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 6);
	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "far"), &ex), 0);
	assert_non_null(strstr(ex.reason, "share no upstream bridge"));
	assert_null(strstr(ex.change, "clearing ACS"));
	sim_machine_destroy(m);

	m = plat_new(&deny);
	expect_type(m, "prov", "far", PCI_P2PDMA_MAP_NOT_SUPPORTED, -1);
	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "far"), &ex), 0);
	assert_non_null(strstr(ex.change, "p2p=allow on host bridge hb0"));
	sim_machine_destroy(m);
}

static void test_host_bridges(void **state)
{
	struct plat both = { .hb0_allow = true, .hb1_allow = true };
	struct plat one = { .hb0_allow = true, .hb1_allow = false };
	struct plat none = { 0 };
	struct sim_machine *m = plat_new(&both);
	struct sim_p2p_explain ex;

	(void)state;
	expect_type(m, "prov", "other", PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 6);
	expect_type(m, "other", "far", PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 4);
	sim_machine_destroy(m);

	/* Two host bridges: both must be on the allowlist. */
	m = plat_new(&one);
	expect_type(m, "prov", "other", PCI_P2PDMA_MAP_NOT_SUPPORTED, -1);
	expect_type(m, "other", "prov", PCI_P2PDMA_MAP_NOT_SUPPORTED, -1);
	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "other"), &ex), 0);
	assert_non_null(strstr(ex.change, "hb1"));
	assert_null(strstr(ex.change, "hb0"));
	sim_machine_destroy(m);

	m = plat_new(&none);
	assert_int_equal(sim_p2pdma_explain(provider(m, "prov", 0),
					    dev_of(m, "other"), &ex), 0);
	assert_int_equal(ex.type, PCI_P2PDMA_MAP_NOT_SUPPORTED);
	assert_non_null(strstr(ex.change, "hb0"));
	assert_non_null(strstr(ex.change, "hb1"));
	sim_machine_destroy(m);
}

static void test_non_pci_client(void **state)
{
	struct plat p = { .hb0_allow = true };
	struct sim_machine *m = plat_new(&p);
	struct p2pdma_provider *prov = provider(m, "prov", 0);
	struct device plat = { .name = "dw-dmac.0", .bus_type = SIM_BUS_PLATFORM,
			       .sim = m };
	struct device *clients[1] = { &plat };
	struct sim_p2p_explain ex;

	(void)state;
	/* The platform has no non-PCI device kind: make one, as a platform
	 * driver's struct device would be. */
	assert_false(dev_is_pci(&plat));
	assert_int_equal(pci_p2pdma_map_type(prov, &plat),
			 PCI_P2PDMA_MAP_NOT_SUPPORTED);
	assert_int_equal(sim_p2pdma_explain(prov, &plat, &ex), 0);
	assert_int_equal(ex.type, PCI_P2PDMA_MAP_NOT_SUPPORTED);
	assert_int_equal(ex.distance, -1);
	assert_int_equal(pci_p2pdma_distance_many(pdev_of(m, "prov"), clients,
						  1, true), -1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "not a PCI device"));
	/* A platform device below a PCI function counts as that function. */
	plat.parent = dev_of(m, "cli");
	assert_int_equal(pci_p2pdma_distance_many(pdev_of(m, "prov"), clients,
						  1, false), 4);
	/* A provider without P2PDMA state. */
	{
		struct p2pdma_provider fake = { .owner = dev_of(m, "far") };

		assert_int_equal(pci_p2pdma_map_type(&fake, dev_of(m, "cli")),
				 PCI_P2PDMA_MAP_NOT_SUPPORTED);
		assert_int_equal(sim_p2pdma_explain(&fake, dev_of(m, "cli"), &ex), 0);
		assert_int_equal(ex.type, PCI_P2PDMA_MAP_NOT_SUPPORTED);
		fake.owner = &plat;
		assert_int_equal(sim_p2pdma_explain(&fake, dev_of(m, "cli"), &ex),
				 -EINVAL);
	}
	sim_machine_destroy(m);
}

static void test_cache(void **state)
{
	struct plat p = { .hb0_allow = true };
	struct sim_machine *m = plat_new(&p);
	struct p2pdma_provider *prov = provider(m, "prov", 0);
	struct pci_dev *dsp = pci_upstream_bridge(pdev_of(m, "cli"));
	struct device *cli = dev_of(m, "cli");
	struct sim_p2p_explain ex;
	u16 pos = pci_find_ext_capability(dsp, PCI_EXT_CAP_ID_ACS);

	(void)state;
	assert_int_equal(pci_p2pdma_map_type(prov, cli), PCI_P2PDMA_MAP_BUS_ADDR);
	/* Turn on ACS RR behind the cache's back: the kernel keeps the cached
	 * answer (the map_types xarray is never invalidated); the
	 * explanation is computed afresh and sees the redirect. */
	assert_true(pos != 0);
	assert_int_equal(pci_write_config_word(dsp, pos + PCI_ACS_CTRL, PCI_ACS_RR), 0);
	assert_int_equal(pci_p2pdma_map_type(prov, cli), PCI_P2PDMA_MAP_BUS_ADDR);
	assert_int_equal(sim_p2pdma_explain(prov, cli, &ex), 0);
	assert_int_equal(ex.type, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	/* A client never asked before is computed with the redirect. */
	assert_int_equal(pci_p2pdma_map_type(provider(m, "cli", 0),
					     dev_of(m, "prov")),
			 PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	/* The same provider's other BAR shares the function's cache. */
	assert_int_equal(pci_p2pdma_map_type(pcim_p2pdma_provider(pdev_of(m, "prov"), 2),
					     cli), PCI_P2PDMA_MAP_BUS_ADDR);
	sim_machine_destroy(m);
}

static void test_distance_many(void **state)
{
	struct plat p = { .hb0_allow = true, .hb1_allow = false };
	struct sim_machine *m = plat_new(&p);
	struct pci_dev *prov = pdev_of(m, "prov");
	struct device *ok[3] = { dev_of(m, "cli"), dev_of(m, "far"),
				 dev_of(m, "prov") };
	struct device *bad[3] = { dev_of(m, "cli"), dev_of(m, "other"),
				  dev_of(m, "far") };

	(void)state;
	assert_int_equal(pci_p2pdma_distance_many(prov, ok, 3, false), 4 + 6 + 0);
	assert_int_equal(pci_p2pdma_distance_many(prov, ok, 0, false), -1);
	assert_false(sim_report_find(m, SIM_REPORT_WARN, "cannot be used"));
	assert_int_equal(pci_p2pdma_distance_many(prov, bad, 3, false), -1);
	assert_int_equal(pci_p2pdma_distance_many(prov, bad, 3, true), -1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "do not share an upstream bridge or whitelisted host bridge"));
	/* distance_many caches: the map type now comes from the cache. */
	assert_int_equal(pcim_p2pdma_init(prov), 0);
	assert_int_equal(pci_p2pdma_map_type(pcim_p2pdma_provider(prov, 0),
					     dev_of(m, "other")),
			 PCI_P2PDMA_MAP_NOT_SUPPORTED);
	sim_machine_destroy(m);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sim_p2pdma_map_type_name(PCI_P2PDMA_MAP_BUS_ADDR), "BUS_ADDR");
	assert_string_equal(sim_p2pdma_map_type_name(PCI_P2PDMA_MAP_THRU_HOST_BRIDGE),
			    "THRU_HOST_BRIDGE");
	assert_string_equal(sim_p2pdma_map_type_name(PCI_P2PDMA_MAP_NOT_SUPPORTED),
			    "NOT_SUPPORTED");
	assert_string_equal(sim_p2pdma_map_type_name(PCI_P2PDMA_MAP_NONE), "NONE");
	assert_string_equal(sim_p2pdma_map_type_name(PCI_P2PDMA_MAP_UNKNOWN), "UNKNOWN");
}

/* ------------------------------------------------------------------------ */
/* The struct-page layer                                                    */
/* ------------------------------------------------------------------------ */

/* One pci_p2pmem_alloc_sgl() and its free: 0, or -ENOMEM when refused. */
static int p2pmem_sgl_life(void *ctx)
{
	struct pci_dev *prov = ctx;
	unsigned int nents = 0;
	struct scatterlist *sgl = pci_p2pmem_alloc_sgl(prov, &nents, SZ_16K);

	if (!sgl)
		return -ENOMEM;
	pci_p2pmem_free_sgl(prov, sgl);
	return 0;
}

static void test_p2pmem_sgl_failnth(void **state)
{
	struct plat p = { .hb0_allow = true, .bus_offset = "256M" };
	struct sim_machine *m = plat_new(&p);
	struct pci_dev *prov = pdev_of(m, "prov");
	struct failnth fn = {
		.name = "p2pmem sgl", .m = m, .ctx = prov,
		.run = p2pmem_sgl_life,
	};

	(void)state;
	assert_int_equal(pci_p2pdma_add_resource(prov, 2, SZ_64K, 0), 0);
	failnth_sweep(&fn);
	/* the list; the P2P pages come from the pool, not the allocator */
	assert_true(fn.count >= 1);
	assert_int_equal(fn.failed, fn.count);
	assert_int_equal(machine_teardown(m, TD_CLEAN), 0);
}

static void test_add_resource(void **state)
{
	struct plat p = { .hb0_allow = true, .bus_offset = "256M" };
	struct sim_machine *m = plat_new(&p);
	struct pci_dev *prov = pdev_of(m, "prov");
	phys_addr_t bar2 = pci_resource_start(prov, 2);
	struct page *pg;
	void *a, *b, *c;

	(void)state;
	assert_int_equal(pci_p2pdma_add_resource(prov, 1, 0, 0), -EINVAL);
	assert_int_equal(pci_p2pdma_add_resource(prov, 2, 0, SZ_1M), -EINVAL);
	assert_int_equal(pci_p2pdma_add_resource(prov, 2, SZ_1M, 4096), -EINVAL);
	assert_int_equal(pci_p2pdma_add_resource(prov, 2, 4096, 100), -EINVAL);
	assert_int_equal(pci_p2pdma_add_resource(prov, 2, 1000, 0), -EINVAL);
	/* Nothing to allocate from yet. */
	assert_null(pci_alloc_p2pmem(prov, 4096));

	assert_int_equal(pci_p2pdma_add_resource(prov, 2, SZ_64K, SZ_64K), 0);
	/* An overlapping range conflicts, an adjacent one is fine. */
	assert_int_equal(pci_p2pdma_add_resource(prov, 2, SZ_64K, SZ_64K + 4096),
			 -ENOMEM);
	assert_int_equal(pci_p2pdma_add_resource(prov, 2, 0, SZ_512K), 0);

	a = pci_alloc_p2pmem(prov, 4096);
	b = pci_alloc_p2pmem(prov, 3 * 4096 - 5);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	/* The newest range first: the second half of the BAR. */
	assert_int_equal(sim_virt_to_phys(m, a), bar2 + SZ_512K);
	assert_int_equal(sim_virt_to_phys(m, (char *)b + 5), bar2 + SZ_512K + 4096 + 5);
	assert_int_equal(pci_p2pmem_virt_to_bus(prov, a),
			 pci_bus_address(prov, 2) + SZ_512K);
	assert_int_equal(pci_p2pmem_virt_to_bus(prov, NULL), 0);
	assert_int_equal(pci_p2pmem_virt_to_bus(prov, &p), (u64)-1);

	pg = sim_virt_to_page(m, b);
	assert_non_null(pg);
	assert_true(is_pci_p2pdma_page(pg));
	assert_int_equal(page_to_phys(pg), bar2 + SZ_512K + 4096);
	assert_ptr_equal(page_address(pg), b);
	{
		struct page *ram = sim_alloc_pages(m, 0);

		assert_non_null(ram);
		assert_false(is_pci_p2pdma_page(ram));
		sim_free_pages(m, ram, 0);
	}

	/* The pool as a one-entry scatterlist (nvmet's use). */
	{
		unsigned int nents = 0;
		long live = sim_alloc_live(m);
		struct scatterlist *sgl = pci_p2pmem_alloc_sgl(prov, &nents,
							       2 * 4096 + 7);

		assert_non_null(sgl);
		assert_int_equal(nents, 1);
		assert_true(sg_is_last(sgl));
		assert_true(is_pci_p2pdma_page(sg_page(sgl)));
		assert_int_equal(sgl->length, 2 * 4096 + 7);
		assert_int_equal(sgl->offset, 0);
		pci_p2pmem_free_sgl(prov, sgl);
		assert_int_equal(sim_alloc_live(m), live);
		assert_null(pci_p2pmem_alloc_sgl(prov, &nents, 0));
		assert_null(pci_p2pmem_alloc_sgl(prov, NULL, 4096));
		assert_null(pci_p2pmem_alloc_sgl(NULL, &nents, 4096));
		/* a function without a pool has nothing to give */
		assert_null(pci_p2pmem_alloc_sgl(pdev_of(m, "far"), &nents, 4096));
		pci_p2pmem_free_sgl(prov, NULL);
		assert_int_equal(sim_alloc_live(m), live);
	}

	/* CPU access is MMIO, on the physical address. */
	{
		u8 in[64], out[64];

		fill_pattern(in, sizeof(in), 3);
		assert_int_equal(sim_mmio_write(m, sim_virt_to_phys(m, b), in, 64), 0);
		assert_int_equal(sim_mmio_read(m, bar2 + SZ_512K + 4096, out, 64), 0);
		assert_memory_equal(in, out, 64);
	}

	pci_free_p2pmem(prov, a, 4096);
	c = pci_alloc_p2pmem(prov, 4096);
	assert_ptr_equal(c, a);
	/* A double free is refused and reported. */
	pci_free_p2pmem(prov, c, 4096);
	pci_free_p2pmem(prov, c, 4096);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 1);
	pci_free_p2pmem(prov, b, 3 * 4096 - 5);
	/* All 512K + 64K + rest can be allocated, then nothing more. */
	a = pci_alloc_p2pmem(prov, SZ_512K);
	b = pci_alloc_p2pmem(prov, SZ_64K);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(pci_alloc_p2pmem(prov, 4096));
	pci_free_p2pmem(prov, a, SZ_512K);
	pci_free_p2pmem(prov, b, SZ_64K);
	assert_null(pci_alloc_p2pmem(prov, 0));
	sim_machine_destroy(m);
}

static void test_publish_find(void **state)
{
	struct plat p = { .hb0_allow = true, .hb1_allow = true };
	struct sim_machine *m = plat_new(&p);
	struct pci_dev *prov = pdev_of(m, "prov"), *far = pdev_of(m, "far");
	struct pci_dev *other = pdev_of(m, "other");
	struct device *cli = dev_of(m, "cli");
	struct device *two[2] = { dev_of(m, "cli"), dev_of(m, "other") };

	(void)state;
	assert_int_equal(pci_p2pdma_add_resource(far, 0, 0, 0), 0);
	assert_int_equal(pci_p2pdma_add_resource(other, 0, 0, 0), 0);
	assert_int_equal(pci_p2pdma_add_resource(prov, 0, 0, 0), 0);
	/* Unpublished pools are private. */
	assert_null(pci_p2pmem_find(cli));
	pci_p2pmem_publish(far, true);
	pci_p2pmem_publish(other, true);
	assert_ptr_equal(pci_p2pmem_find(cli), far);
	pci_p2pmem_publish(prov, true);
	/* prov is 4 away below the switch, far 6, other 6. */
	assert_ptr_equal(pci_p2pmem_find(cli), prov);
	/* For cli and other together: other is its own client (0 + 6). */
	assert_ptr_equal(pci_p2pmem_find_many(two, 2), other);
	pci_p2pmem_publish(prov, false);
	assert_ptr_equal(pci_p2pmem_find(cli), far);
	assert_null(pci_p2pmem_find_many(two, 0));
	sim_machine_destroy(m);

	/* With hb1 off the list nothing is reachable from other's side. */
	p.hb1_allow = false;
	m = plat_new(&p);
	assert_int_equal(pci_p2pdma_add_resource(pdev_of(m, "far"), 0, 0, 0), 0);
	pci_p2pmem_publish(pdev_of(m, "far"), true);
	assert_null(pci_p2pmem_find(dev_of(m, "other")));
	assert_ptr_equal(pci_p2pmem_find(dev_of(m, "cli")), pdev_of(m, "far"));
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Scatterlists of P2P pages                                                */
/* ------------------------------------------------------------------------ */

#define NPAGES	3

/* P2P memory of prov's bar2 in an sg_table of NPAGES pages. */
static void *p2p_sgt(struct sim_machine *m, struct sg_table *sgt)
{
	struct pci_dev *prov = pdev_of(m, "prov");
	struct page *pages[NPAGES];
	void *va;

	assert_int_equal(pci_p2pdma_add_resource(prov, 2, 0, 0), 0);
	va = pci_alloc_p2pmem(prov, NPAGES * PAGE_SIZE);
	assert_non_null(va);
	for (int i = 0; i < NPAGES; i++)
		pages[i] = sim_virt_to_page(m, (char *)va + i * PAGE_SIZE);
	assert_int_equal(sg_alloc_table_from_pages(sgt, pages, NPAGES, 0,
						   NPAGES * PAGE_SIZE, 0), 0);
	return va;
}

/* The client writes through the mapping; the bytes land in the BAR. */
static void device_writes(struct sim_machine *m, struct device *dev,
			  struct sg_table *sgt, phys_addr_t bar_phys)
{
	struct scatterlist *sg;
	u8 buf[NPAGES * PAGE_SIZE], got[NPAGES * PAGE_SIZE];
	size_t off = 0;
	unsigned int i;

	fill_pattern(buf, sizeof(buf), 7);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		assert_int_equal(sim_dma_write(dev, sg_dma_address(sg), buf + off,
					       sg_dma_len(sg)), 0);
		off += sg_dma_len(sg);
	}
	assert_int_equal(off, sizeof(buf));
	assert_int_equal(sim_mmio_read(m, bar_phys, got, sizeof(got)), 0);
	assert_memory_equal(buf, got, sizeof(got));
	/* And reads it back. */
	memset(got, 0, sizeof(got));
	sg = sgt->sgl;
	assert_int_equal(sim_dma_read(dev, sg_dma_address(sg), got, sg_dma_len(sg)), 0);
	assert_memory_equal(buf, got, sg_dma_len(sg));
}

static void test_map_bus_addr(void **state)
{
	struct plat p = { .hb0_allow = false, .bus_offset = "256M" };
	struct sim_machine *m = plat_new(&p);
	struct device *cli = dev_of(m, "cli");
	struct pci_dev *prov = pdev_of(m, "prov");
	struct sg_table sgt;
	void *va;

	(void)state;
	va = p2p_sgt(m, &sgt);
	assert_int_equal(dma_map_sgtable(cli, &sgt, DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(sgt.nents, 1);
	assert_true(sg_dma_is_bus_address(sgt.sgl));
	/* The bus address, not the CPU address (the window has an offset). */
	assert_int_equal(sg_dma_address(sgt.sgl),
			 pci_p2pmem_virt_to_bus(prov, va));
	assert_true(sg_dma_address(sgt.sgl) != sim_virt_to_phys(m, va));
	device_writes(m, cli, &sgt, sim_virt_to_phys(m, va));
	dma_unmap_sgtable(cli, &sgt, DMA_BIDIRECTIONAL, 0);
	assert_false(sg_dma_is_bus_address(sgt.sgl));
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG), 0);
	sg_free_table(&sgt);
	pci_free_p2pmem(prov, va, NPAGES * PAGE_SIZE);
	sim_machine_destroy(m);
}

static void thru_host_bridge(bool iommu)
{
	struct plat p = { .acs = "rr", .hb0_allow = true, .iommu = iommu };
	struct sim_machine *m = plat_new(&p);
	struct device *cli = dev_of(m, "cli");
	struct pci_dev *prov = pdev_of(m, "prov");
	struct sg_table sgt;
	phys_addr_t phys;
	void *va;

	va = p2p_sgt(m, &sgt);
	phys = sim_virt_to_phys(m, va);
	assert_int_equal(dma_map_sgtable(cli, &sgt, DMA_BIDIRECTIONAL, 0), 0);
	assert_false(sg_dma_is_bus_address(sgt.sgl));
	if (iommu) {
		phys_addr_t got;
		int prot;

		assert_int_equal(sim_iommu_lookup(cli, sg_dma_address(sgt.sgl),
						  &got, &prot), 0);
		assert_int_equal(got, phys);
		assert_true(prot & IOMMU_MMIO);
	} else {
		/* dma-direct: the CPU physical address, as MMIO. */
		assert_int_equal(sg_dma_address(sgt.sgl), phys);
	}
	device_writes(m, cli, &sgt, phys);
	dma_unmap_sgtable(cli, &sgt, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 0);
	sg_free_table(&sgt);
	pci_free_p2pmem(prov, va, NPAGES * PAGE_SIZE);
	sim_machine_destroy(m);
}

static void test_map_thru_host_bridge_direct(void **state)
{
	(void)state;
	thru_host_bridge(false);
}

static void test_map_thru_host_bridge_iommu(void **state)
{
	(void)state;
	thru_host_bridge(true);
}

static void not_supported(bool iommu)
{
	struct plat p = { .acs = "rr", .hb0_allow = false, .iommu = iommu };
	struct sim_machine *m = plat_new(&p);
	struct device *cli = dev_of(m, "cli");
	struct page *ram = sim_alloc_pages(m, 0);
	struct scatterlist *sg;
	struct sg_table sgt, mixed;
	unsigned int i;
	void *va;

	va = p2p_sgt(m, &sgt);
	assert_int_equal(dma_map_sgtable(cli, &sgt, DMA_TO_DEVICE, 0), -EREMOTEIO);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	/* RAM first, then the P2P pages: the RAM mapping is undone too. */
	assert_int_equal(sg_alloc_table(&mixed, 2, 0), 0);
	sg_set_page(mixed.sgl, ram, PAGE_SIZE, 0);
	sg_set_page(sg_next(mixed.sgl), sg_page(sgt.sgl), PAGE_SIZE, 0);
	assert_int_equal(dma_map_sgtable(cli, &mixed, DMA_TO_DEVICE, 0), -EREMOTEIO);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	for_each_sgtable_sg(&mixed, sg, i)
		assert_false(sg_dma_is_bus_address(sg));
	sg_free_table(&mixed);
	sg_free_table(&sgt);
	sim_free_pages(m, ram, 0);
	pci_free_p2pmem(pdev_of(m, "prov"), va, NPAGES * PAGE_SIZE);
	sim_machine_destroy(m);
}

static void test_map_not_supported(void **state)
{
	(void)state;
	not_supported(false);
	not_supported(true);
}

/* A list with RAM, P2P (bus address) and RAM through the IOMMU. */
static void test_map_mixed_iommu(void **state)
{
	struct plat p = { .hb0_allow = true, .iommu = true };
	struct sim_machine *m = plat_new(&p);
	struct device *cli = dev_of(m, "cli");
	struct page *ram = sim_alloc_pages(m, 0);
	struct sg_table sgt, mixed;
	struct scatterlist *s;
	u8 buf[PAGE_SIZE], got[PAGE_SIZE];
	void *va;

	(void)state;
	va = p2p_sgt(m, &sgt);
	assert_int_equal(sg_alloc_table(&mixed, 3, 0), 0);
	s = mixed.sgl;
	sg_set_page(s, ram, PAGE_SIZE, 0);
	s = sg_next(s);
	sg_set_page(s, sg_page(sgt.sgl), PAGE_SIZE, 0);
	s = sg_next(s);
	sg_set_page(s, ram, 512, 512);
	assert_int_equal(dma_map_sgtable(cli, &mixed, DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(mixed.nents, 3);
	s = sg_next(mixed.sgl);
	assert_true(sg_dma_is_bus_address(s));
	assert_int_equal(sg_dma_address(s), pci_p2pmem_virt_to_bus(pdev_of(m, "prov"), va));
	fill_pattern(buf, sizeof(buf), 9);
	assert_int_equal(sim_dma_write(cli, sg_dma_address(s), buf, PAGE_SIZE), 0);
	assert_int_equal(sim_mmio_read(m, sim_virt_to_phys(m, va), got, PAGE_SIZE), 0);
	assert_memory_equal(buf, got, PAGE_SIZE);
	assert_int_equal(sim_dma_write(cli, sg_dma_address(mixed.sgl), buf, PAGE_SIZE), 0);
	assert_memory_equal(page_address(ram), buf, PAGE_SIZE);
	dma_unmap_sgtable(cli, &mixed, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG), 0);
	sg_free_table(&mixed);
	sg_free_table(&sgt);
	sim_free_pages(m, ram, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Fault injection                                                          */
/* ------------------------------------------------------------------------ */

/* init + add_resource + alloc + map, unwinding whatever succeeded. */
static int scenario(struct sim_machine *m, bool iommu)
{
	struct pci_dev *prov = pdev_of(m, "prov");
	struct device *cli = dev_of(m, iommu ? "far" : "cli");
	struct page *pages[NPAGES];
	struct sg_table sgt;
	void *va;
	int ret;

	ret = pcim_p2pdma_init(prov);
	if (ret)
		return ret;
	ret = pci_p2pdma_add_resource(prov, 2, SZ_64K, 0);
	if (ret)
		return ret;
	va = pci_alloc_p2pmem(prov, NPAGES * PAGE_SIZE);
	if (!va)
		return -ENOMEM;
	for (int i = 0; i < NPAGES; i++)
		pages[i] = sim_virt_to_page(m, (char *)va + i * PAGE_SIZE);
	ret = sg_alloc_table_from_pages(&sgt, pages, NPAGES, 0,
					NPAGES * PAGE_SIZE, 0);
	if (ret)
		goto out_free_mem;
	ret = dma_map_sgtable(cli, &sgt, DMA_TO_DEVICE, 0);
	if (!ret)
		dma_unmap_sgtable(cli, &sgt, DMA_TO_DEVICE, 0);
	sg_free_table(&sgt);
out_free_mem:
	pci_free_p2pmem(prov, va, NPAGES * PAGE_SIZE);
	return ret;
}

struct p2p_sweep {
	struct plat p;
	struct sim_machine *m;
	int ret;		/* of the last run */
};

static struct sim_machine *p2p_sweep_machine(void *ctx)
{
	struct p2p_sweep *w = ctx;

	w->m = plat_new(&w->p);
	return w->m;
}

static int p2p_sweep_run(void *ctx)
{
	struct p2p_sweep *w = ctx;

	w->ret = scenario(w->m, w->p.iommu);
	assert_true(w->ret == 0 || w->ret == -ENOMEM || w->ret == -EIO);
	return w->ret;
}

/* After a failure, a retry without failures works from the state left. */
static void p2p_sweep_release(void *ctx)
{
	struct p2p_sweep *w = ctx;

	if (w->ret)
		assert_int_equal(scenario(w->m, w->p.iommu) == 0 ||
				 sim_report_find(w->m, SIM_REPORT_WARN,
						 "Conflicting"), 1);
}

/*
 * A fresh machine for every run; a successful run leaves state live
 * (pgmap, caches) until the machine goes: a failed one leaves no more.
 */
static void sweep(bool iommu)
{
	struct p2p_sweep w = { .p = { .hb0_allow = true, .iommu = iommu } };
	struct failnth fn = {
		.name = iommu ? "p2pdma iommu" : "p2pdma", .ctx = &w,
		.machine = p2p_sweep_machine, .release = p2p_sweep_release,
		.run = p2p_sweep_run, .flags = FAILNTH_MAY_SHRINK, .max = 200,
	};

	failnth_sweep(&fn);
	assert_true(fn.runs > 2);
}

static void test_fail_nth(void **state)
{
	(void)state;
	sweep(false);
	sweep(true);
}

/*
 * A list mixing RAM and P2P pages of a provider below the client's switch
 * (bus addresses) or behind another root port (through the host bridge),
 * mapped on every shared variant with the Nth allocation failing: a
 * failed map leaves the list as it was (no bus-address mark either), a
 * good one maps every byte, and nothing stays mapped or allocated.
 */
static const struct variant_machine mixed_machine = {
	.name = "mixed",
	.machine = "ram=256M ram-below-4g=128M cpus=2",
	.swiotlb = "4M",
	.iommu = "fq-size=8",
	.body = "hostbridge id=hb0 p2p=allow @iommu\n"
		"rootport id=rp0 bus=hb0\n"
		"switch id=sw0 bus=rp0 acs=off\n"
		"pcidev id=prov bus=sw0 bar0=64K bar2=1M\n"
		"pcidev id=cli bus=sw0 dma-bits=64\n"
		"rootport id=rp1 bus=hb0 acs=on\n"
		"pcidev id=far bus=rp1 bar0=64K\n",
};

#define MIXED	7	/* RAM, P2P, RAM, ... */

struct mixed_sweep {
	struct sim_machine *m;
	struct device *dev;
	struct sg_table t;
	struct page *pg[MIXED];
	unsigned int off[MIXED], len[MIXED];
	unsigned int bus_segs;	/* bus-address segments of the last map */
};

static int mixed_run(void *ctx)
{
	struct mixed_sweep *w = ctx;
	struct scatterlist *sg;
	size_t mapped = 0, total = 0;
	unsigned int i;
	int ret = dma_map_sgtable(w->dev, &w->t, DMA_TO_DEVICE, 0);

	if (ret) {
		assert_true(ret == -ENOMEM || ret == -EIO);
		for_each_sgtable_sg(&w->t, sg, i) {
			assert_ptr_equal(sg_page(sg), w->pg[i]);
			assert_int_equal(sg->offset, w->off[i]);
			assert_int_equal(sg->length, w->len[i]);
			assert_int_equal(sg->dma_flags, 0);
		}
		return ret;
	}
	w->bus_segs = 0;
	for_each_sgtable_sg(&w->t, sg, i)
		total += sg->length;
	for_each_sgtable_dma_sg(&w->t, sg, i) {
		mapped += sg_dma_len(sg);
		w->bus_segs += sg_dma_is_bus_address(sg);
	}
	assert_int_equal(mapped, total);
	dma_unmap_sgtable(w->dev, &w->t, DMA_TO_DEVICE, 0);
	for_each_sgtable_sg(&w->t, sg, i)
		assert_int_equal(sg->dma_flags, 0);
	return 0;
}

static void mixed_settle(void *ctx)
{
	struct mixed_sweep *w = ctx;

	drain_flush_queue(w->dev);
}

static void mixed_check(void *ctx, unsigned long n, int ret)
{
	struct mixed_sweep *w = ctx;

	if (dev_translated(w->dev))
		check_iova_space_free(w->dev);
}

/* Returns the bus-address segments of a good map. */
static unsigned int sweep_mixed(const struct dma_variant *v, const char *id)
{
	struct mixed_sweep w = { .m = variant_machine_new(v, &mixed_machine) };
	struct failnth fn = {
		.name = v->name, .ctx = &w, .run = mixed_run,
		.settle = mixed_settle, .check = mixed_check,
	};
	struct pci_dev *prov;
	struct page *ram;
	struct scatterlist *sg;
	unsigned int i;
	void *va;

	fn.m = w.m;
	w.dev = dev_of(w.m, id);
	prov = pdev_of(w.m, "prov");
	if (dev_translated(w.dev))
		assert_int_equal(dma_set_mask(w.dev, SWEEP_IOVA_MASK), 0);
	assert_int_equal(pcim_p2pdma_init(prov), 0);
	assert_int_equal(pci_p2pdma_add_resource(prov, 2, SZ_1M, 0), 0);
	va = pci_alloc_p2pmem(prov, 4 * PAGE_SIZE);
	assert_non_null(va);
	ram = sim_alloc_pages(w.m, 3);
	assert_non_null(ram);
	for (i = 0; i < MIXED; i++) {
		w.pg[i] = i % 2 ?
			sim_virt_to_page(w.m, (char *)va + i / 2 * PAGE_SIZE) :
			sim_phys_to_page(w.m, page_to_phys(ram) +
					 (phys_addr_t)i * PAGE_SIZE);
		w.off[i] = i ? 0 : 0x100;	/* unaligned head, short tail */
		w.len[i] = i == MIXED - 1 ? 0x300 : PAGE_SIZE - w.off[i];
	}
	assert_int_equal(sg_alloc_table(&w.t, MIXED, GFP_KERNEL), 0);
	for_each_sgtable_sg(&w.t, sg, i)
		sg_set_page(sg, w.pg[i], w.len[i], w.off[i]);
	failnth_sweep(&fn);
	print_message("%s %s: %lu fail-nth runs\n", v->name, id, fn.runs);
	/* without an IOMMU nothing allocates: nothing could fail */
	if (dev_translated(w.dev))
		assert_true(fn.failed > 0);
	sg_free_table(&w.t);
	sim_free_pages(w.m, ram, 3);
	pci_free_p2pmem(prov, va, 4 * PAGE_SIZE);
	assert_int_equal(machine_teardown(w.m, TD_CLEAN), 0);
	return w.bus_segs;
}

static void test_fail_nth_mixed_sg(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(variants_all) / sizeof(variants_all[0]);
	     i++) {
		const struct dma_variant *v = variants_all[i];

		if (v->cc)	/* no P2P for a confidential guest */
			continue;
		/* below the switch: the P2P pages at their bus addresses */
		assert_int_equal(sweep_mixed(v, "cli"), MIXED / 2);
		/* through the host bridge: mapped like RAM */
		assert_int_equal(sweep_mixed(v, "far"), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_init),
		cmocka_unit_test(test_same_device),
		cmocka_unit_test(test_switch_bus_addr),
		cmocka_unit_test(test_acs_rr),
		cmocka_unit_test(test_acs_cr),
		cmocka_unit_test(test_acs_ec),
		cmocka_unit_test(test_acs_sv_only),
		cmocka_unit_test(test_root_ports),
		cmocka_unit_test(test_host_bridges),
		cmocka_unit_test(test_non_pci_client),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_distance_many),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_add_resource),
		cmocka_unit_test(test_p2pmem_sgl_failnth),
		cmocka_unit_test(test_publish_find),
		cmocka_unit_test(test_map_bus_addr),
		cmocka_unit_test(test_map_thru_host_bridge_direct),
		cmocka_unit_test(test_map_thru_host_bridge_iommu),
		cmocka_unit_test(test_map_not_supported),
		cmocka_unit_test(test_map_mixed_iommu),
		cmocka_unit_test(test_fail_nth),
		cmocka_unit_test(test_fail_nth_mixed_sg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
