// SPDX-License-Identifier: MIT
/*
 * The IOMMU as hardware and the bus observers: what the driver wrote to RAM
 * is what the unit uses. Context entries (translate with the domain's id
 * and root, passthrough, abort while a group is owned, absent); a leaf PTE
 * changed in RAM behind the driver's back changes the device's access only
 * after an invalidation (and the IOTLB hit in between is reported as
 * stale); a table pointer redirected to a table the driver never made is
 * followed by the walk; the observer list's rules and its once-per-access
 * reports. Every test runs on each page-table format and granule.
 */
#include "helpers.h"
#include "kernel/iommu/iommu-priv.h"

struct variant {
	const char *name, *arch, *format, *granule_s;
	unsigned long granule;
};

static const struct variant variants[] = {
	{ "hw x86_64/4K", "x86_64", "x86_64", "4K", SZ_4K },
	{ "hw arm64-lpae/4K", "arm64", "arm64-lpae", "4K", SZ_4K },
	{ "hw arm64-lpae/16K", "arm64", "arm64-lpae", "16K", SZ_16K },
	{ "hw arm64-lpae/64K", "arm64", "arm64-lpae", "64K", SZ_64K },
};

struct fx {
	const struct variant *v;
	struct sim_machine *m;
	struct device *dev, *pt, *off;
	unsigned int order;		/* page order of one granule */
};

static int fx_setup(void **state)
{
	const struct variant *v = *state;
	struct fx *f = calloc(1, sizeof(*f));
	char text[2048];
	int n;

	assert_non_null(f);
	n = snprintf(text, sizeof(text),
		"machine name=hw arch=%s ram=256M ram-below-4g=128M cpus=1 coherent=yes\n"
		"swiotlb size=4M\n"
		"iommu id=io0 format=%s mode=strict granule=%s\n"
		"iommu id=iopt format=%s mode=passthrough granule=%s\n"
		"iommu id=iooff format=%s mode=off granule=%s\n"
		"hostbridge id=hb0 iommu=io0\n"
		"rootport id=rp0 bus=hb0 acs=on\n"
		"pcidev id=dev0 bus=rp0\n"
		"hostbridge id=hb1 iommu=iopt\n"
		"rootport id=rp1 bus=hb1 acs=on\n"
		"pcidev id=pt bus=rp1\n"
		"hostbridge id=hb2 iommu=iooff\n"
		"rootport id=rp2 bus=hb2\n"
		"pcidev id=off bus=rp2\n",
		v->arch, v->format, v->granule_s, v->format, v->granule_s,
		v->format, v->granule_s);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	f->v = v;
	f->m = machine_from(text);
	f->dev = dev_of(f->m, "dev0");
	f->pt = dev_of(f->m, "pt");
	f->off = dev_of(f->m, "off");
	f->order = (unsigned int)__builtin_ctzl(v->granule) - PAGE_SHIFT;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int bad = teardown_no_mappings(f->m);

	if (sim_report_count_kind(f->m, SIM_REPORT_BUG))
		bad = -1;
	sim_machine_destroy(f->m);
	free(f);
	return bad;
}

#define FX(state)	((struct fx *)*(state))

static struct sim_iommu_hw *unit_of(struct device *dev)
{
	return sim_node_of_dev(dev)->hb->hostbridge->iommu;
}

static u64 *ram64(struct sim_machine *m, phys_addr_t pa)
{
	u64 *p = sim_phys_to_virt(m, pa);

	assert_non_null(p);
	return p;
}

/* @dev's context entry, as the unit finds it from its root register. */
static u64 *ctx_entry(struct fx *f, struct device *dev)
{
	struct sim_iommu_hw *u = unit_of(dev);
	struct pci_dev *pdev = to_pci_dev(dev);
	phys_addr_t rt = atomic_load(&u->root_table);
	u64 re;

	assert_true(rt != 0);
	re = *ram64(f->m, rt + pdev->bus_nr * SIM_IOMMU_CTX_ENTRY_SIZE);
	assert_true(re & SIM_IOMMU_RT_PRESENT);
	return ram64(f->m, (re & SIM_IOMMU_CTX_ADDR) +
			   pdev->devfn * SIM_IOMMU_CTX_ENTRY_SIZE);
}

static u64 ctx_mode(const u64 *ce)
{
	return (ce[0] & SIM_IOMMU_CTX_MODE_MASK) >> SIM_IOMMU_CTX_MODE_SHIFT;
}

/* One granule-aligned block with a byte pattern; its physical address. */
static phys_addr_t pattern_block(struct fx *f, struct page **pg, u8 pat)
{
	*pg = sim_alloc_pages(f->m, f->order);
	assert_non_null(*pg);
	memset(page_address(*pg), pat, f->v->granule);
	return page_to_phys(*pg);
}

static u8 dev_read_byte(struct device *dev, dma_addr_t a, int expect_ret)
{
	u8 b = 0;

	assert_int_equal(sim_dma_read(dev, a, &b, 1), expect_ret);
	return b;
}

/* ------------------------------------------------------------------------ */
/* Context entries                                                          */
/* ------------------------------------------------------------------------ */

static void test_context_entries(void **state)
{
	struct fx *f = FX(state);
	struct iommu_domain *d = iommu_get_domain_for_dev(f->dev);
	struct sim_domain *sd = to_sim_domain(d);
	struct iommu_group *g = iommu_group_get(f->dev);
	u64 *ce = ctx_entry(f, f->dev), saved;
	int owner;

	/* translate, with the domain's id and page-table root */
	assert_true(ce[0] & SIM_IOMMU_CTX_PRESENT);
	assert_int_equal(ctx_mode(ce), SIM_IOMMU_CTX_TRANSLATE);
	assert_int_equal(ce[0] & SIM_IOMMU_CTX_ADDR, io_pgtable_root(sd->pgt));
	assert_int_equal(ce[1] & SIM_IOMMU_CTX_DID_MASK, sd->id);
	/* the passthrough unit: a passthrough entry; the unit that is off
	 * has no driver, so no root table and no translation */
	assert_int_equal(ctx_mode(ctx_entry(f, f->pt)),
			 SIM_IOMMU_CTX_PASSTHROUGH);
	assert_int_equal(atomic_load(&unit_of(f->off)->root_table), 0);

	/* owned: the blocking domain, an abort entry, every access faults */
	assert_int_equal(iommu_group_claim_dma_owner(g, &owner), 0);
	assert_int_equal(ctx_mode(ce), SIM_IOMMU_CTX_ABORT);
	assert_int_equal(dev_read_byte(f->dev, 0x1000, -EFAULT), 0xff);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT,
				    "blocks all DMA"));
	iommu_group_release_dma_owner(g);
	assert_int_equal(ctx_mode(ce), SIM_IOMMU_CTX_TRANSLATE);
	assert_int_equal(ce[1] & SIM_IOMMU_CTX_DID_MASK, sd->id);

	/* the entry cleared in RAM behind the driver: the unit sees it */
	saved = ce[0];
	ce[0] = 0;
	assert_int_equal(dev_read_byte(f->dev, 0x1000, -EFAULT), 0xff);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT,
				    "context entry not present"));
	ce[0] = saved;
	/* a domain id the unit does not have */
	saved = ce[1];
	ce[1] = SIM_IOMMU_DIDS;
	assert_int_equal(dev_read_byte(f->dev, 0x1000, -EFAULT), 0xff);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT,
				    "invalid domain id"));
	ce[1] = saved;
	/* a passthrough device's bus address is a physical address */
	{
		struct page *pg;
		phys_addr_t pa = pattern_block(f, &pg, 0x5a);

		assert_int_equal(dev_read_byte(f->pt, pa, 0), 0x5a);
		sim_free_pages(f->m, pg, f->order);
	}
}

/* ------------------------------------------------------------------------ */
/* The walk reads RAM                                                       */
/* ------------------------------------------------------------------------ */

static void test_pte_changed_in_ram(void **state)
{
	struct fx *f = FX(state);
	struct iommu_domain *d = iommu_get_domain_for_dev(f->dev);
	struct sim_iommu_hw *u = unit_of(f->dev);
	u64 amask = ((1ULL << 48) - 1) & ~((u64)f->v->granule - 1);
	struct page *pa_pg, *pb_pg;
	phys_addr_t a = pattern_block(f, &pa_pg, 0xaa);
	phys_addr_t b = pattern_block(f, &pb_pg, 0xbb);
	struct sim_iommu_walk w;
	unsigned long stale0;
	dma_addr_t dma;
	u64 *pte, old;

	dma = dma_map_phys(f->dev, a, f->v->granule, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(f->dev, dma));
	assert_int_equal(dev_read_byte(f->dev, dma, 0), 0xaa);

	/* the leaf, found in RAM from the context's root */
	assert_int_equal(sim_iommu_hw_walk(u, ctx_entry(f, f->dev)[0] &
					   SIM_IOMMU_CTX_ADDR, dma, &w), 0);
	assert_int_equal(w.out, a);
	assert_true(w.prot & IOMMU_READ);
	assert_false(w.prot & IOMMU_WRITE);
	pte = ram64(f->m, w.pte_phys);
	old = *pte;
	assert_int_equal(old & amask, a);

	/* pointed at B behind the driver: the IOTLB still says A ... */
	*pte = (old & ~amask) | b;
	stale0 = sim_dma_debug_errors(f->m);
	assert_int_equal(dev_read_byte(f->dev, dma + 1, 0), 0xaa);
	/* ... and that hit no longer matches the table: reported */
	assert_int_equal(sim_dma_debug_errors(f->m), stale0 + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_DEBUG,
				    "stale IOTLB entry"));
	/* after an invalidation through the queue, the walk finds B */
	iommu_flush_iotlb_all(d);
	assert_int_equal(dev_read_byte(f->dev, dma + 2, 0), 0xbb);
	assert_int_equal(sim_dma_debug_errors(f->m), stale0 + 1);

	*pte = old;
	iommu_flush_iotlb_all(d);
	assert_int_equal(dev_read_byte(f->dev, dma + 3, 0), 0xaa);
	dma_unmap_phys(f->dev, dma, f->v->granule, DMA_TO_DEVICE, 0);
	/* unmapped: the walk finds nothing, the device faults */
	assert_int_equal(dev_read_byte(f->dev, dma, -EFAULT), 0xff);
	assert_int_equal(sim_iommu_hw_walk(u, ctx_entry(f, f->dev)[0] &
					   SIM_IOMMU_CTX_ADDR, dma, &w),
			 -ENOENT);
	sim_free_pages(f->m, pa_pg, f->order);
	sim_free_pages(f->m, pb_pg, f->order);
}

/* A table the driver never made: only the hardware walk can follow it. */
static void test_table_redirected_in_ram(void **state)
{
	struct fx *f = FX(state);
	struct iommu_domain *d = iommu_get_domain_for_dev(f->dev);
	struct sim_iommu_hw *u = unit_of(f->dev);
	u64 amask = ((1ULL << 48) - 1) & ~((u64)f->v->granule - 1);
	struct page *pa_pg, *pb_pg, *t_pg;
	phys_addr_t a = pattern_block(f, &pa_pg, 0x11);
	phys_addr_t b = pattern_block(f, &pb_pg, 0x22);
	phys_addr_t t = pattern_block(f, &t_pg, 0);
	struct sim_iommu_walk w;
	u64 *parent, old, *table;
	unsigned int idx;
	dma_addr_t dma;

	dma = dma_map_phys(f->dev, a, 64, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(f->dev, dma));
	assert_int_equal(sim_iommu_hw_walk(u, ctx_entry(f, f->dev)[0] &
					   SIM_IOMMU_CTX_ADDR, dma, &w), 0);
	assert_int_equal(w.level, 0);
	assert_true(w.parent_pte_phys != 0);

	/* a copy of the leaf table, with our entry sent to B */
	table = ram64(f->m, t);
	memcpy(table, ram64(f->m, ALIGN_DOWN(w.pte_phys, f->v->granule)),
	       f->v->granule);
	idx = (unsigned int)((w.pte_phys & (f->v->granule - 1)) / 8);
	table[idx] = (table[idx] & ~amask) | b;
	parent = ram64(f->m, w.parent_pte_phys);
	old = *parent;
	*parent = (old & ~amask) | t;
	iommu_flush_iotlb_all(d);
	/* one access, a miss: the walk goes through our table */
	assert_int_equal(dev_read_byte(f->dev, dma, 0), 0x22);

	*parent = old;
	iommu_flush_iotlb_all(d);
	assert_int_equal(dev_read_byte(f->dev, dma, 0), 0x11);
	dma_unmap_phys(f->dev, dma, 64, DMA_BIDIRECTIONAL, 0);
	sim_free_pages(f->m, pa_pg, f->order);
	sim_free_pages(f->m, pb_pg, f->order);
	sim_free_pages(f->m, t_pg, f->order);
}

/* ------------------------------------------------------------------------ */
/* Bus observers                                                            */
/* ------------------------------------------------------------------------ */

struct probe {
	struct sim_bus_observer obs;
	unsigned int calls, spoke_calls, translations;
	bool speak;
	struct sim_bus_access last;
};

static bool probe_access(struct sim_bus_observer *o,
			 const struct sim_bus_access *a, bool spoke)
{
	struct probe *p = (struct probe *)o;

	p->calls++;
	p->spoke_calls += spoke;
	p->last = *a;
	return p->speak;
}

static bool probe_translated(struct sim_bus_observer *o,
			     const struct sim_bus_translation *t, bool spoke)
{
	((struct probe *)o)->translations++;
	return false;
}

static const struct sim_bus_observer_ops probe_ops = {
	.access = probe_access,
	.translated = probe_translated,
};

static const struct sim_bus_observer_ops empty_ops = { 0 };

static void test_bus_observers(void **state)
{
	struct fx *f = FX(state);
	struct sim_machine *m = f->m;
	struct probe p = { .obs = { .ops = &probe_ops, .group = 7 } };
	struct probe extra[SIM_BUS_MAX_OBSERVERS];
	struct sim_bus_observer bad = { .ops = &empty_ops };
	struct page *pg;
	phys_addr_t pa = pattern_block(f, &pg, 0x77);
	unsigned int room;
	dma_addr_t dma;
	u8 buf[3 * SZ_4K];

	/* bad observers */
	assert_int_equal(sim_bus_observer_add(m, NULL), -EINVAL);
	assert_int_equal(sim_bus_observer_add(m, &bad), -EINVAL);
	bad.ops = &probe_ops;
	bad.group = 32;
	assert_int_equal(sim_bus_observer_add(m, &bad), -EINVAL);
	/* removing one never added: nothing happens */
	sim_bus_observer_del(m, &bad);

	assert_int_equal(sim_bus_observer_add(m, &p.obs), 0);
	assert_int_equal(sim_bus_observer_add(m, &p.obs), -EBUSY);
	/* the list has room for SIM_BUS_MAX_OBSERVERS, the kernel's included */
	room = SIM_BUS_MAX_OBSERVERS - m->bus.nr_observers;
	for (unsigned int i = 0; i < room; i++) {
		extra[i] = (struct probe){ .obs = { .ops = &probe_ops } };
		assert_int_equal(sim_bus_observer_add(m, &extra[i].obs), 0);
	}
	bad.group = 0;
	assert_int_equal(sim_bus_observer_add(m, &bad), -ENOSPC);
	for (unsigned int i = 0; i < room; i++)
		sim_bus_observer_del(m, &extra[i].obs);

	/* a mapped read of three pages: three TLPs, one transaction */
	dma = dma_map_phys(f->dev, pa, sizeof(buf) <= f->v->granule ?
			   sizeof(buf) : f->v->granule, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(f->dev, dma));
	p.speak = true;
	assert_int_equal(sim_dma_read(f->dev, dma, buf,
				      min(sizeof(buf), (size_t)f->v->granule)),
			 0);
	assert_int_equal(p.calls, min(sizeof(buf), (size_t)f->v->granule) /
				  SZ_4K);
	/* it spoke on the first TLP: the rest are marked spoken for it */
	assert_int_equal(p.spoke_calls, p.calls - 1);
	assert_int_equal(p.translations, p.calls);
	assert_int_equal(p.last.target, SIM_BUS_RAM);
	assert_true(p.last.via_root);
	assert_int_equal(p.last.phys & ~(u64)(SZ_4K - 1),
			 (pa + (p.calls - 1) * SZ_4K));
	assert_false(p.last.txn->write);
	/* a second transaction starts unspoken */
	assert_int_equal(dev_read_byte(f->dev, dma, 0), 0x77);
	assert_int_equal(p.spoke_calls, p.calls - 2);
	/* and a passthrough device: seen, not translated */
	p.translations = 0;
	assert_int_equal(dev_read_byte(f->pt, pa, 0), 0x77);
	assert_int_equal(p.translations, 0);
	assert_int_equal(p.last.addr, pa);

	sim_bus_observer_del(m, &p.obs);
	p.calls = 0;
	assert_int_equal(dev_read_byte(f->dev, dma, 0), 0x77);
	assert_int_equal(p.calls, 0);
	dma_unmap_phys(f->dev, dma, sizeof(buf) <= f->v->granule ?
		       sizeof(buf) : f->v->granule, DMA_TO_DEVICE, 0);
	sim_free_pages(m, pg, f->order);
}

int main(void)
{
	static const struct {
		const char *name;
		CMUnitTestFunction fn;
	} tests[] = {
		{ "test_context_entries", test_context_entries },
		{ "test_pte_changed_in_ram", test_pte_changed_in_ram },
		{ "test_table_redirected_in_ram", test_table_redirected_in_ram },
		{ "test_bus_observers", test_bus_observers },
	};
	struct CMUnitTest group[ARRAY_SIZE(tests)];
	int failed = 0;

	for (size_t v = 0; v < ARRAY_SIZE(variants); v++) {
		for (size_t i = 0; i < ARRAY_SIZE(tests); i++)
			group[i] = (struct CMUnitTest){
				.name = tests[i].name,
				.test_func = tests[i].fn,
				.setup_func = fx_setup,
				.teardown_func = fx_teardown,
				.initial_state = (void *)&variants[v],
			};
		failed += _cmocka_run_group_tests(variants[v].name, group,
						  ARRAY_SIZE(tests), NULL,
						  NULL);
	}
	return failed;
}
