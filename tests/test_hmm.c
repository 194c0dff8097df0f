// SPDX-License-Identifier: MIT
/*
 * HMM DMA mapping (include/dmastack/hmm.h): hmm_dma_map_alloc/free,
 * hmm_dma_map_pfn/hmm_dma_unmap_pfn over RAM and P2P pages, the sticky
 * flags across hmm_range_fault(), argument checks and a fault-injection
 * sweep.
 *
 * Every test runs on a fresh machine built from a shared variant of a
 * device that needs no sync: no IOMMU or passthrough (dma-direct, a
 * dma_addr_t kept per entry), x86 and arm64 4K IOMMUs in strict and lazy
 * mode (one IOVA range for the map), and arm64 SMMUs with 16K and 64K
 * granules (4K entries cannot be linked at their own offset there, so they
 * are mapped one by one; granule-sized entries use the IOVA range).
 */
#include "failnth.h"
#include "variants.h"

/* On the HMM/ODP machine of variants.h. */
struct fx {
	VARIANT_FX;
	struct device *nic, *gpu, *far, *dev32, *nc;
};

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_nic_machine);

	f->nic = dev_of(f->m, "nic0");
	f->gpu = dev_of(f->m, "gpu0");
	f->far = dev_of(f->m, "far");
	f->dev32 = dev_of(f->m, "dev32");
	f->nc = dev_of(f->m, "nc");
	return 0;
}

static int fx_teardown(void **state)
{
	return variant_fx_teardown(state, TD_BUG);
}

/* Does this variant map 4K entries through one IOVA range? */
static bool iova_4k(const struct fx *f)
{
	return f->translated && f->v->granule == SZ_4K;
}

#define NPAGES	16

struct pages {
	struct page *pg[NPAGES];
};

static void pages_get(struct fx *f, struct pages *p)
{
	for (int i = 0; i < NPAGES; i++) {
		p->pg[i] = sim_alloc_pages(f->m, 0);
		assert_non_null(p->pg[i]);
		fill_pattern(page_address(p->pg[i]), PAGE_SIZE, 100 + i);
	}
}

static void pages_put(struct fx *f, struct pages *p)
{
	for (int i = 0; i < NPAGES; i++)
		sim_free_pages(f->m, p->pg[i], 0);
}

/* ------------------------------------------------------------------------ */

static void test_alloc_free(void **state)
{
	struct fx *f = *state;
	long live = sim_alloc_live(f->m);
	struct hmm_dma_map map;

	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 64, PAGE_SIZE), 0);
	assert_non_null(map.pfn_list);
	assert_int_equal(map.dma_entry_size, PAGE_SIZE);
	for (int i = 0; i < 64; i++)
		assert_int_equal(map.pfn_list[i], 0);
	if (iova_4k(f)) {
		/* One IOVA range, nothing stored per page but the pfn. */
		assert_true(dma_use_iova(&map.state));
		assert_int_equal(dma_iova_size(&map.state), 64 * PAGE_SIZE);
		assert_null(map.dma_list);
		assert_int_equal(sim_hmm_dma_map_entry_bytes(&map),
				 sizeof(unsigned long));
	} else {
		/* dma-debug is on: dma_need_unmap(), addresses are kept. */
		assert_false(dma_use_iova(&map.state));
		assert_true(dma_need_unmap(f->nic));
		assert_non_null(map.dma_list);
		assert_int_equal(sim_hmm_dma_map_entry_bytes(&map),
				 sizeof(unsigned long) + sizeof(dma_addr_t));
	}
	hmm_dma_map_free(f->nic, &map);
	assert_null(map.pfn_list);
	assert_null(map.dma_list);
	assert_false(dma_use_iova(&map.state));
	hmm_dma_map_free(f->nic, &map);	/* a second free does nothing */
	assert_int_equal(sim_alloc_live(f->m), live);

	/*
	 * Entries of a whole granule use the IOVA range on the SMMU too.
	 * (The first IOVA allocation there sets up the IOVA caches, which
	 * stay: the count is taken again after it.)
	 */
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 64, SZ_64K), 0);
	assert_int_equal(dma_use_iova(&map.state), f->translated);
	hmm_dma_map_free(f->nic, &map);
	live = sim_alloc_live(f->m);

	/* Direct without dma-debug: stateless, no address list at all. */
	if (!f->translated) {
		sim_dma_debug_enable(f->m, false);
		assert_false(dma_need_unmap(f->nic));
		assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 8, PAGE_SIZE),
				 0);
		assert_null(map.dma_list);
		assert_int_equal(sim_hmm_dma_map_entry_bytes(&map),
				 sizeof(unsigned long));
		hmm_dma_map_free(f->nic, &map);
		sim_dma_debug_enable(f->m, true);
	}
	assert_int_equal(sim_alloc_live(f->m), live);
}

static void test_map_unmap_ram(void **state)
{
	struct fx *f = *state;
	unsigned long faults = sim_iommu_faults(f->m);
	struct hmm_dma_map map;
	dma_addr_t addr[NPAGES];
	struct pages p;
	u8 buf[PAGE_SIZE], want[PAGE_SIZE];

	pages_get(f, &p);
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, NPAGES, PAGE_SIZE), 0);
	/* Map in a scattered order: slots do not depend on map order. */
	for (int k = 0; k < NPAGES; k++) {
		int i = (k * 7) % NPAGES;

		map.pfn_list[i] = page_to_pfn(p.pg[i]) | HMM_PFN_VALID |
				  HMM_PFN_WRITE;
		addr[i] = hmm_dma_map_pfn(f->nic, &map, i, NULL);
		assert_int_not_equal(addr[i], DMA_MAPPING_ERROR);
		assert_true(map.pfn_list[i] & HMM_PFN_DMA_MAPPED);
		assert_false(map.pfn_list[i] &
			     (HMM_PFN_P2PDMA | HMM_PFN_P2PDMA_BUS));
		if (dma_use_iova(&map.state))
			assert_int_equal(addr[i],
					 map.state.addr + (size_t)i * PAGE_SIZE);
		else if (map.dma_list)
			assert_int_equal(map.dma_list[i], addr[i]);
	}
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), NPAGES);

	/* The device reads each page and writes it back, byte for byte. */
	for (int i = 0; i < NPAGES; i++) {
		assert_int_equal(sim_dma_read(f->nic, addr[i], buf, PAGE_SIZE), 0);
		assert_memory_equal(buf, page_address(p.pg[i]), PAGE_SIZE);
		fill_pattern(want, PAGE_SIZE, 200 + i);
		assert_int_equal(sim_dma_write(f->nic, addr[i], want, PAGE_SIZE),
				 0);
		assert_memory_equal(page_address(p.pg[i]), want, PAGE_SIZE);
	}

	for (int i = 0; i < NPAGES; i++) {
		unsigned long pfn = map.pfn_list[i];

		assert_true(hmm_dma_unmap_pfn(f->nic, &map, i));
		/* Only the DMA flags go; the pfn and the CPU flags stay. */
		assert_int_equal(map.pfn_list[i], pfn & ~HMM_PFN_DMA_MAPPED);
	}
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 0);
	if (dma_use_iova(&map.state)) {
		/* dma_iova_unlink() invalidated the IOTLB: gone in any mode. */
		assert_int_equal(sim_dma_read(f->nic, addr[3], buf, 64), -EFAULT);
		assert_true(sim_iommu_faults(f->m) > faults);
	}
	hmm_dma_map_free(f->nic, &map);
	pages_put(f, &p);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/* Entries of 64K: contiguous blocks, one slot of the IOVA range each. */
static void test_large_entries(void **state)
{
	struct fx *f = *state;
	struct hmm_dma_map map;
	struct page *blk[4];
	u8 *buf = malloc(SZ_64K);

	assert_non_null(buf);
	/* 64 pages of IOVA hold four 64K entries. */
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 64, SZ_64K), 0);
	for (int i = 0; i < 4; i++) {
		dma_addr_t a;

		blk[i] = sim_alloc_pages(f->m, 4);
		assert_non_null(blk[i]);
		fill_pattern(page_address(blk[i]), SZ_64K, 60 + i);
		map.pfn_list[i] = page_to_pfn(blk[i]) | HMM_PFN_VALID;
		a = hmm_dma_map_pfn(f->nic, &map, i, NULL);
		assert_int_not_equal(a, DMA_MAPPING_ERROR);
		if (dma_use_iova(&map.state))
			assert_int_equal(a, map.state.addr + (size_t)i * SZ_64K);
		assert_int_equal(sim_dma_read(f->nic, a, buf, SZ_64K), 0);
		assert_memory_equal(buf, page_address(blk[i]), SZ_64K);
	}
	/* Entry 4 would lie past the range. */
	map.pfn_list[4] = page_to_pfn(blk[0]) | HMM_PFN_VALID;
	assert_int_equal(hmm_dma_map_pfn(f->nic, &map, 4, NULL),
			 DMA_MAPPING_ERROR);
	for (int i = 0; i < 4; i++) {
		assert_true(hmm_dma_unmap_pfn(f->nic, &map, i));
		sim_free_pages(f->m, blk[i], 4);
	}
	hmm_dma_map_free(f->nic, &map);
	free(buf);
}

static void test_double_map_unmap(void **state)
{
	struct fx *f = *state;
	unsigned long maps_before;
	struct sim_dma_stats st;
	struct hmm_dma_map map;
	struct pages p;
	dma_addr_t a, b;

	pages_get(f, &p);
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, NPAGES, PAGE_SIZE), 0);
	map.pfn_list[2] = page_to_pfn(p.pg[2]) | HMM_PFN_VALID;
	a = hmm_dma_map_pfn(f->nic, &map, 2, NULL);
	assert_int_not_equal(a, DMA_MAPPING_ERROR);
	sim_dma_stats_get(f->m, &st);
	maps_before = st.maps;
	/* Mapping a mapped entry again (a write fault after a read fault,
	 * say) returns the same address and maps nothing. */
	map.pfn_list[2] |= HMM_PFN_WRITE;
	b = hmm_dma_map_pfn(f->nic, &map, 2, NULL);
	assert_int_equal(a, b);
	sim_dma_stats_get(f->m, &st);
	assert_int_equal(st.maps, maps_before);
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 1);

	assert_true(hmm_dma_unmap_pfn(f->nic, &map, 2));
	assert_false(hmm_dma_unmap_pfn(f->nic, &map, 2));	/* twice */
	assert_false(hmm_dma_unmap_pfn(f->nic, &map, 3));	/* never mapped */
	/* DMA_MAPPED without VALID is not a mapping to undo either. */
	map.pfn_list[5] = HMM_PFN_DMA_MAPPED;
	assert_false(hmm_dma_unmap_pfn(f->nic, &map, 5));
	map.pfn_list[5] = 0;
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 0);
	assert_int_equal(sim_dma_debug_errors(f->m), 0);

	/* Map again after the unmap: a fresh mapping at the same slot. */
	b = hmm_dma_map_pfn(f->nic, &map, 2, NULL);
	assert_int_not_equal(b, DMA_MAPPING_ERROR);
	if (dma_use_iova(&map.state))
		assert_int_equal(a, b);
	/* Freeing with an entry still mapped reports and unmaps it. */
	hmm_dma_map_free(f->nic, &map);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "still DMA mapped"));
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 0);
	pages_put(f, &p);
}

/* The sticky flags survive hmm_range_fault() refilling the entries. */
static bool nop_invalidate(struct mmu_interval_notifier *sub,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq)
{
	mmu_interval_set_seq(sub, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops nop_ops = {
	.invalidate = nop_invalidate,
};

#define VA	0x7f0000000000ULL

static void test_sticky_flags(void **state)
{
	struct fx *f = *state;
	struct mmu_interval_notifier sub = { 0 };
	struct sim_process *p = sim_process_create(f->m, VA, NPAGES * PAGE_SIZE);
	struct hmm_dma_map map;
	struct hmm_range range = {
		.notifier = &sub, .start = VA, .end = VA + NPAGES * PAGE_SIZE,
		.default_flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
	};
	unsigned long before[NPAGES];
	dma_addr_t a[NPAGES];
	u8 buf[64], want[64];

	assert_false(IS_ERR(p));
	assert_int_equal(mmu_interval_notifier_insert(&sub, p, VA,
						      NPAGES * PAGE_SIZE,
						      &nop_ops), 0);
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, NPAGES, PAGE_SIZE), 0);
	range.hmm_pfns = map.pfn_list;
	range.notifier_seq = mmu_interval_read_begin(&sub);
	assert_int_equal(hmm_range_fault(&range), 0);
	for (int i = 0; i < NPAGES; i++) {
		phys_addr_t phys;

		assert_int_equal(map.pfn_list[i] & (HMM_PFN_VALID | HMM_PFN_WRITE),
				 HMM_PFN_VALID | HMM_PFN_WRITE);
		assert_int_equal(sim_process_va_to_phys(p, VA + i * PAGE_SIZE,
							&phys), 0);
		assert_int_equal(hmm_pfn_to_phys(map.pfn_list[i]), phys);
		assert_int_equal(hmm_pfn_to_map_order(map.pfn_list[i]), 0);
		if (i % 2 == 0) {
			a[i] = hmm_dma_map_pfn(f->nic, &map, i, NULL);
			assert_int_not_equal(a[i], DMA_MAPPING_ERROR);
		}
		before[i] = map.pfn_list[i];
	}

	/* The refill: same pages, DMA_MAPPED kept on the mapped ones. */
	range.notifier_seq = mmu_interval_read_begin(&sub);
	assert_int_equal(hmm_range_fault(&range), 0);
	for (int i = 0; i < NPAGES; i++) {
		assert_int_equal(map.pfn_list[i], before[i]);
		assert_int_equal(!!(map.pfn_list[i] & HMM_PFN_DMA_MAPPED),
				 i % 2 == 0);
	}
	/* Every sticky flag is carried, whatever the rest of the entry. */
	map.pfn_list[1] = HMM_PFN_INOUT_FLAGS | HMM_PFN_ERROR | 0x1234;
	assert_int_equal(hmm_range_fault(&range), 0);
	assert_int_equal(map.pfn_list[1] & HMM_PFN_FLAGS,
			 HMM_PFN_INOUT_FLAGS | HMM_PFN_VALID | HMM_PFN_WRITE);
	assert_int_equal(hmm_pfn_to_pfn(map.pfn_list[1]),
			 hmm_pfn_to_pfn(before[1]));
	map.pfn_list[1] = before[1];

	/* The device still sees the process's bytes through the mapping. */
	fill_pattern(want, sizeof(want), 77);
	assert_int_equal(sim_process_write(p, VA + 4 * PAGE_SIZE + 8, want,
					   sizeof(want)), 0);
	assert_int_equal(sim_dma_read(f->nic, a[4] + 8, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, want, sizeof(want));

	/* A changed sequence makes the walk stop with -EBUSY. */
	assert_int_equal(sim_process_migrate(p, VA + 3 * PAGE_SIZE), 0);
	assert_int_equal(hmm_range_fault(&range), -EBUSY);

	for (int i = 0; i < NPAGES; i++)
		assert_int_equal(hmm_dma_unmap_pfn(f->nic, &map, i), i % 2 == 0);
	hmm_dma_map_free(f->nic, &map);
	mmu_interval_notifier_remove(&sub);
	sim_process_destroy(p);
}

/* BAR pages of a P2P provider as HMM pfns. */
/* P2P memory of @prov: the GPU's memory BAR 2, a plain device's BAR 0. */
static struct page *p2p_page(struct fx *f, struct device *prov, void **va)
{
	struct pci_dev *pdev = to_pci_dev(prov);
	int bar = pci_resource_len(pdev, 2) ? 2 : 0;

	assert_int_equal(pcim_p2pdma_init(pdev), 0);
	assert_int_equal(pci_p2pdma_add_resource(pdev, bar, SZ_64K, 0), 0);
	*va = pci_alloc_p2pmem(pdev, 2 * PAGE_SIZE);
	assert_non_null(*va);
	return sim_p2pmem_virt_to_page(f->m, *va);
}

static void test_p2p_bus_addr(void **state)
{
	struct fx *f = *state;
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;
	u8 want[256], buf[256];
	struct page *pg;
	void *va;
	dma_addr_t a;

	pg = p2p_page(f, f->gpu, &va);
	assert_non_null(pg);
	assert_true(is_pci_p2pdma_page(pg));
	assert_ptr_equal(sim_pfn_to_page(f->m, page_to_pfn(pg)), pg);
	fill_pattern(want, sizeof(want), 9);
	assert_int_equal(sim_mmio_write(f->m, page_to_phys(pg), want,
					sizeof(want)), 0);

	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, NPAGES, PAGE_SIZE), 0);
	map.pfn_list[5] = page_to_pfn(pg) | HMM_PFN_VALID | HMM_PFN_WRITE;
	a = hmm_dma_map_pfn(f->nic, &map, 5, &p2p);
	/* Below the switch: the PCI bus address, nothing mapped. */
	assert_int_equal(p2p.map, PCI_P2PDMA_MAP_BUS_ADDR);
	assert_int_equal(a, pci_p2pmem_virt_to_bus(to_pci_dev(f->gpu), va));
	assert_true(map.pfn_list[5] & HMM_PFN_P2PDMA_BUS);
	assert_true(map.pfn_list[5] & HMM_PFN_DMA_MAPPED);
	assert_false(map.pfn_list[5] & HMM_PFN_P2PDMA);
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 0);
	assert_int_equal(sim_dma_read(f->nic, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, want, sizeof(want));
	/* A bus-address entry is mapped afresh, never looked up. */
	assert_int_equal(hmm_dma_map_pfn(f->nic, &map, 5, &p2p), a);

	assert_true(hmm_dma_unmap_pfn(f->nic, &map, 5));
	assert_false(map.pfn_list[5] & (HMM_PFN_DMA_MAPPED |
					HMM_PFN_P2PDMA_BUS));
	hmm_dma_map_free(f->nic, &map);
	pci_free_p2pmem(to_pci_dev(f->gpu), va, 2 * PAGE_SIZE);
}

static void test_p2p_host_bridge(void **state)
{
	struct fx *f = *state;
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;
	u8 want[256], buf[256];
	struct page *pg;
	void *va;
	dma_addr_t a;

	pg = p2p_page(f, f->far, &va);
	fill_pattern(want, sizeof(want), 10);
	assert_int_equal(sim_mmio_write(f->m, page_to_phys(pg), want,
					sizeof(want)), 0);

	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, NPAGES, PAGE_SIZE), 0);
	map.pfn_list[0] = page_to_pfn(pg) | HMM_PFN_VALID | HMM_PFN_WRITE;
	a = hmm_dma_map_pfn(f->nic, &map, 0, &p2p);
	assert_int_equal(p2p.map, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	assert_int_not_equal(a, DMA_MAPPING_ERROR);
	assert_true(map.pfn_list[0] & HMM_PFN_P2PDMA);
	assert_true(map.pfn_list[0] & HMM_PFN_DMA_MAPPED);
	assert_false(map.pfn_list[0] & HMM_PFN_P2PDMA_BUS);
	if (dma_use_iova(&map.state))
		assert_int_equal(a, map.state.addr);
	else if (!f->translated)
		assert_int_equal(a, page_to_phys(pg));	/* bus offset 0 */
	assert_int_equal(sim_dma_read(f->nic, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, want, sizeof(want));
	/* A RAM page in the next entry keeps its own attributes. */
	{
		struct page *ram = sim_alloc_pages(f->m, 0);

		assert_non_null(ram);
		map.pfn_list[1] = page_to_pfn(ram) | HMM_PFN_VALID;
		assert_int_not_equal(hmm_dma_map_pfn(f->nic, &map, 1, &p2p),
				     DMA_MAPPING_ERROR);
		assert_false(map.pfn_list[1] & HMM_PFN_P2PDMA);
		assert_true(hmm_dma_unmap_pfn(f->nic, &map, 1));
		sim_free_pages(f->m, ram, 0);
	}
	assert_true(hmm_dma_unmap_pfn(f->nic, &map, 0));
	assert_false(map.pfn_list[0] & (HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA));
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 0);
	assert_int_equal(sim_dma_debug_errors(f->m), 0);
	hmm_dma_map_free(f->nic, &map);
	pci_free_p2pmem(to_pci_dev(f->far), va, 2 * PAGE_SIZE);
}

static void test_bad_args(void **state)
{
	struct fx *f = *state;
	struct hmm_dma_map map;
	struct page *pg = sim_alloc_pages(f->m, 0);
	struct device fake = { .name = "fake" };

	assert_non_null(pg);
	assert_int_equal(hmm_dma_map_alloc(NULL, &map, 4, PAGE_SIZE), -EINVAL);
	assert_int_equal(hmm_dma_map_alloc(&fake, &map, 4, PAGE_SIZE), -EINVAL);
	assert_int_equal(hmm_dma_map_alloc(f->nic, NULL, 4, PAGE_SIZE), -EINVAL);
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 0, PAGE_SIZE), -EINVAL);
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 4, 0), -EINVAL);
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 4, 1000), -EINVAL);
	/* Four pages cannot hold one 64K entry (the kernel's WARN). */
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 4, SZ_64K), -EINVAL);
	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, SIZE_MAX / 2,
					   PAGE_SIZE), -EINVAL);
	/* Devices that need syncs or bounce buffers: HMM cannot hand
	 * buffer ownership over. */
	assert_int_equal(hmm_dma_map_alloc(f->nc, &map, 4, PAGE_SIZE),
			 -EOPNOTSUPP);
	if (!f->translated)
		assert_int_equal(hmm_dma_map_alloc(f->dev32, &map, 4,
						   PAGE_SIZE), -EOPNOTSUPP);

	assert_int_equal(hmm_dma_map_alloc(f->nic, &map, 4, PAGE_SIZE), 0);
	/* Out of range, no page, a pfn that is neither RAM nor P2P. */
	map.pfn_list[0] = page_to_pfn(pg) | HMM_PFN_VALID;
	assert_int_equal(hmm_dma_map_pfn(f->nic, &map, 4, NULL),
			 DMA_MAPPING_ERROR);
	assert_false(hmm_dma_unmap_pfn(f->nic, &map, 4));
	assert_int_equal(hmm_dma_map_pfn(f->nic, &map, 1, NULL),
			 DMA_MAPPING_ERROR);
	map.pfn_list[2] = PHYS_PFN(pci_resource_start(to_pci_dev(f->far), 0)) |
			  HMM_PFN_VALID;
	assert_int_equal(hmm_dma_map_pfn(f->nic, &map, 2, NULL),
			 DMA_MAPPING_ERROR);
	assert_false(map.pfn_list[2] & HMM_PFN_DMA_MAPPED);
	assert_int_equal(hmm_dma_map_pfn(NULL, &map, 0, NULL),
			 DMA_MAPPING_ERROR);
	assert_int_equal(hmm_dma_map_pfn(f->nic, NULL, 0, NULL),
			 DMA_MAPPING_ERROR);
	assert_false(hmm_dma_unmap_pfn(f->nic, NULL, 0));
	hmm_dma_map_free(f->nic, &map);
	/* A freed map maps nothing. */
	assert_int_equal(hmm_dma_map_pfn(f->nic, &map, 0, NULL),
			 DMA_MAPPING_ERROR);
	hmm_dma_map_free(NULL, &map);
	hmm_dma_map_free(f->nic, NULL);
	assert_true(sim_report_count_kind(f->m, SIM_REPORT_WARN) > 0);
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 0);
	sim_free_pages(f->m, pg, 0);
}

/*
 * Fail every allocation in turn: the map's lists, the IOVA range, the
 * page-table pages, dma-debug's entries. Whatever fails, the scenario
 * unwinds to the machine it started from.
 */
static int hmm_scenario(struct fx *f, struct pages *p)
{
	struct hmm_dma_map map;
	int mapped = 0, ret;
	u8 buf[64];

	ret = hmm_dma_map_alloc(f->nic, &map, NPAGES, PAGE_SIZE);
	if (ret) {
		assert_int_equal(ret, -ENOMEM);
		assert_null(map.pfn_list);
		return 0;
	}
	for (int i = 0; i < NPAGES; i++) {
		dma_addr_t a;

		map.pfn_list[i] = page_to_pfn(p->pg[i]) | HMM_PFN_VALID;
		a = hmm_dma_map_pfn(f->nic, &map, i, NULL);
		if (a == DMA_MAPPING_ERROR) {
			assert_false(map.pfn_list[i] & HMM_PFN_DMA_MAPPED);
			continue;
		}
		mapped++;
		assert_int_equal(sim_dma_read(f->nic, a, buf, sizeof(buf)), 0);
		assert_memory_equal(buf, page_address(p->pg[i]), sizeof(buf));
	}
	for (int i = 0; i < NPAGES; i++)
		hmm_dma_unmap_pfn(f->nic, &map, i);
	hmm_dma_map_free(f->nic, &map);
	return mapped;
}

struct hmm_sweep {
	struct fx *f;
	struct pages p;
	bool partial;		/* some run mapped part of the pages */
};

static int hmm_sweep_run(void *ctx)
{
	struct hmm_sweep *s = ctx;
	int mapped = hmm_scenario(s->f, &s->p);

	if (mapped > 0 && mapped < NPAGES)
		s->partial = true;
	return mapped == NPAGES ? 0 : -ENOMEM;
}

static void hmm_sweep_settle(void *ctx)
{
	struct hmm_sweep *s = ctx;

	if (s->f->translated)
		sim_iommu_flush_queue(s->f->nic);
}

static void test_failnth(void **state)
{
	struct fx *f = *state;
	struct hmm_sweep s = { .f = f };
	struct failnth fn = {
		.name = f->v->name, .m = f->m, .ctx = &s,
		.run = hmm_sweep_run, .settle = hmm_sweep_settle,
	};

	pages_get(f, &s.p);
	failnth_sweep(&fn);
	assert_true(fn.runs > 1);
	assert_true(fn.failed > 0);
	/* Behind an IOMMU some link failed half way (a page-table page). */
	if (f->translated)
		assert_true(s.partial);
	pages_put(f, &s.p);
}

#define T(fn) VARIANT_TEST(fn)
static const struct variant_test tests[] = {
	T(test_alloc_free),
	T(test_map_unmap_ram),
	T(test_large_entries),
	T(test_double_map_unmap),
	T(test_sticky_flags),
	T(test_p2p_bus_addr),
	T(test_p2p_host_bridge),
	T(test_bad_args),
	T(test_failnth),
};
#undef T

int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return variant_run_groups("hmm", VARIANT_TESTS(tests),
				  VARIANTS(variants_coherent), fx_setup,
				  fx_teardown);
}
