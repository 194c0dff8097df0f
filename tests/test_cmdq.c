// SPDX-License-Identifier: MIT
/*
 * The IOMMU invalidation queue, per command format (VT-d queued
 * invalidation on x86_64 units, the SMMUv3 command queue on arm64 units):
 * the commands a strict unmap puts in the ring, decoded from RAM; ranges
 * rounded to one aligned block (VT-d) or one command per granule with the
 * fallback to a whole-ASID invalidation (SMMUv3); batches larger than the
 * ring; the IOTLB emptied by them so the device faults afterwards; and
 * commands the hardware rejects, reported and skipped.
 */
#include "helpers.h"
#include "kernel/iommu/iommu-priv.h"

struct variant {
	const char *name;
	const char *arch, *format;
	bool vtd;
};

static const struct variant variants[] = {
	{ "cmdq vt-d (x86_64)", "x86_64", "x86_64", true },
	{ "cmdq smmuv3 (arm64)", "arm64", "arm64-lpae", false },
};

struct fx {
	const struct variant *v;
	struct sim_machine *m;
	struct device *dev;
	struct iommu_domain *domain;
	struct sim_iommu *u;
	unsigned int did;
};

#define FX(state)	((struct fx *)*(state))
#define PAGES		640	/* more than the ring, more than 512 */

static int setup(void **state, const struct variant *v)
{
	struct fx *f = calloc(1, sizeof(*f));
	char text[1024];

	assert_non_null(f);
	snprintf(text, sizeof(text),
		 "machine name=cmdq arch=%s ram=256M ram-below-4g=128M cpus=1\n"
		 "iommu id=io0 format=%s mode=strict granule=4K\n"
		 "hostbridge id=hb0 iommu=io0\n"
		 "rootport id=rp0 bus=hb0 acs=on\n"
		 "pcidev id=dev0 bus=rp0 dma-bits=64\n", v->arch, v->format);
	f->v = v;
	f->m = machine_from(text);
	f->dev = sim_device(f->m, "dev0");
	assert_non_null(f->dev);
	f->domain = iommu_get_domain_for_dev(f->dev);
	assert_non_null(f->domain);
	f->u = sim_iommu_of_dev(f->dev);
	f->did = to_sim_domain(f->domain)->id;
	*state = f;
	return 0;
}

static int setup_vtd(void **state) { return setup(state, &variants[0]); }
static int setup_smmu(void **state) { return setup(state, &variants[1]); }

static int teardown(void **state)
{
	struct fx *f = FX(state);

	assert_int_equal(f->u->hw->q.errors, 0);
	return fixture_teardown(f, f->m, TD_BUG, 0, 0);
}

/* The ring entry @back slots before the hardware's head. */
static void ring_entry(struct fx *f, unsigned int back, u64 d[2])
{
	unsigned int idx = (f->u->hw->q.head + 256 - back) % 256;

	memcpy(d, f->u->cmdq.ring + idx * 16, 16);
}

static unsigned long cmds(struct fx *f)
{
	return f->u->hw->q.cmds;
}

/* Map @pages pages at @iova on the domain, each read once by the device. */
static phys_addr_t map_and_touch(struct fx *f, unsigned long iova,
				 unsigned int pages)
{
	struct page *pg = sim_alloc_pages(f->m, 10);
	phys_addr_t phys;
	u8 b;

	assert_non_null(pg);
	assert_true(pages <= 1024);
	phys = page_to_phys(pg);
	assert_int_equal(iommu_map(f->domain, iova, phys, (size_t)pages * SZ_4K,
				   IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE, 0), 0);
	for (unsigned int i = 0; i < pages; i++)
		assert_int_equal(sim_dma_read(f->dev, iova + (u64)i * SZ_4K, &b, 1), 0);
	assert_true(f->u->hw->did_entries[f->did] > 0);
	return phys;
}

static void expect_faults(struct fx *f, unsigned long iova, unsigned int pages)
{
	unsigned long faults = sim_iommu_faults(f->m);
	u8 b;

	for (unsigned int i = 0; i < pages; i++)
		assert_int_not_equal(sim_dma_read(f->dev, iova + (u64)i * SZ_4K, &b, 1), 0);
	assert_int_equal(sim_iommu_faults(f->m) - faults, pages);
}

static void check_sync(struct fx *f, const u64 d[2])
{
	if (f->v->vtd) {
		/* invalidation wait: status write of QI_DONE to its slot's word */
		assert_int_equal(d[0] & 0xf, 0x5);
		assert_true(d[0] & (1ULL << 5));
		assert_int_equal(d[0] >> 32, 2);
	} else {
		/* CMD_SYNC, CS=IRQ: the MSI write is what software polls */
		assert_int_equal(d[0] & 0xff, 0x46);
		assert_int_equal((d[0] >> 12) & 3, 1);
		assert_int_equal(d[0] >> 32, 2);
	}
	assert_true(d[1] >= f->u->cmdq.status_phys &&
		    d[1] < f->u->cmdq.status_phys + PAGE_SIZE);
	assert_int_equal(*(u32 *)sim_phys_to_virt(f->m, d[1]), 2);
}

/* A one-page strict unmap: one invalidation command and one sync. */
static void test_single_page(void **state)
{
	struct fx *f = FX(state);
	struct page *pg = sim_alloc_pages(f->m, 0);
	unsigned long before = cmds(f), inv = sim_iommu_invalidations(f->m);
	dma_addr_t addr;
	u64 d[2];
	u8 b;

	addr = dma_map_phys(f->dev, page_to_phys(pg), SZ_4K, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(f->dev, addr));
	assert_int_equal(sim_dma_read(f->dev, addr, &b, 1), 0);
	assert_int_equal(f->u->hw->did_entries[f->did], 1);
	dma_unmap_phys(f->dev, addr, SZ_4K, DMA_TO_DEVICE, 0);
	assert_int_equal(cmds(f) - before, 2);
	assert_int_equal(sim_iommu_inval_commands(f->m) - before, 2);
	assert_int_equal(sim_iommu_invalidations(f->m) - inv, 1);
	assert_int_equal(f->u->hw->did_entries[f->did], 0);

	ring_entry(f, 2, d);
	if (f->v->vtd) {
		/* IOTLB invalidate, page-selective, this DID, AM 0 */
		assert_int_equal(d[0] & 0xf, 0x2);
		assert_int_equal((d[0] >> 4) & 3, 3);
		assert_int_equal((d[0] >> 16) & 0xffff, f->did);
		assert_int_equal(d[1], addr);
	} else {
		/* TLBI_NH_VA for this ASID, no range (NUM/SCALE 0) */
		assert_int_equal(d[0] & 0xff, 0x12);
		assert_int_equal(d[0] >> 48, f->did);
		assert_int_equal((d[0] >> 12) & 0x1fff, 0);
		assert_int_equal(d[1], addr);
	}
	ring_entry(f, 1, d);
	check_sync(f, d);
	expect_faults(f, addr, 1);
	sim_free_pages(f->m, pg, 0);
}

/*
 * Three pages across an alignment boundary: VT-d covers them with the
 * smallest aligned block (8 pages at 0x10000000, AM 3); SMMUv3 sends one
 * TLBI_NH_VA per page.
 */
static void test_range(void **state)
{
	struct fx *f = FX(state);
	const unsigned long iova = 0x10003000;
	unsigned long before;
	u64 d[2];

	map_and_touch(f, iova, 3);
	before = cmds(f);
	assert_int_equal(iommu_unmap(f->domain, iova, 3 * SZ_4K), 3 * SZ_4K);
	if (f->v->vtd) {
		assert_int_equal(cmds(f) - before, 2);
		ring_entry(f, 2, d);
		assert_int_equal((d[0] >> 4) & 3, 3);
		assert_int_equal(d[1], 0x10000000ULL | 3);
	} else {
		assert_int_equal(cmds(f) - before, 4);
		for (unsigned int i = 0; i < 3; i++) {
			ring_entry(f, 4 - i, d);
			assert_int_equal(d[0] & 0xff, 0x12);
			assert_int_equal(d[1], iova + i * SZ_4K);
		}
	}
	ring_entry(f, 1, d);
	check_sync(f, d);
	assert_int_equal(f->u->hw->did_entries[f->did], 0);
	expect_faults(f, iova, 3);
}

/*
 * More commands than the ring holds (SMMUv3, 300 pages): the driver lets
 * the unit consume as it goes; every entry is still invalidated.
 */
static void test_wraps_the_ring(void **state)
{
	struct fx *f = FX(state);
	const unsigned long iova = 0x20000000;
	unsigned long before, syncs;

	map_and_touch(f, iova, 300);
	before = cmds(f);
	syncs = f->u->cmdq.syncs;
	assert_int_equal(iommu_unmap(f->domain, iova, 300 * SZ_4K), 300 * SZ_4K);
	assert_int_equal(cmds(f) - before, f->v->vtd ? 2 : 301);
	assert_int_equal(f->u->cmdq.syncs - syncs, 1);
	assert_int_equal(f->u->hw->q.head, f->u->hw->q.tail);
	assert_int_equal(f->u->hw->did_entries[f->did], 0);
	expect_faults(f, iova, 300);
}

/*
 * Above the limits the driver switches to a whole-domain invalidation:
 * SMMUv3 above CMDQ_MAX_TLBI_OPS (512) pages, VT-d above its address mask
 * (flush-all here).
 */
static void test_whole_domain(void **state)
{
	struct fx *f = FX(state);
	const unsigned long iova = 0x40000000;
	unsigned long before;
	u64 d[2];

	map_and_touch(f, iova, PAGES);
	before = cmds(f);
	assert_int_equal(iommu_unmap(f->domain, iova, PAGES * SZ_4K),
			 PAGES * SZ_4K);
	assert_int_equal(cmds(f) - before, 2);
	ring_entry(f, 2, d);
	if (f->v->vtd) {
		/* 640 pages at a 1G boundary: one PSI with AM 10 */
		assert_int_equal(d[1], iova | 10);
	} else {
		assert_int_equal(d[0] & 0xff, 0x11);	/* TLBI_NH_ASID */
		assert_int_equal(d[0] >> 48, f->did);
	}
	expect_faults(f, iova, PAGES);

	/* flush-all: one domain-selective command */
	map_and_touch(f, iova, 4);
	before = cmds(f);
	iommu_flush_iotlb_all(f->domain);
	assert_int_equal(cmds(f) - before, 2);
	ring_entry(f, 2, d);
	if (f->v->vtd)
		assert_int_equal((d[0] >> 4) & 3, 2);	/* DSI */
	else
		assert_int_equal(d[0] & 0xff, 0x11);
	assert_int_equal(f->u->hw->did_entries[f->did], 0);
	assert_int_equal(iommu_unmap(f->domain, iova, 4 * SZ_4K), 4 * SZ_4K);
}

/* Commands the unit rejects are reported and skipped; the sync completes. */
static void test_bad_commands(void **state)
{
	struct fx *f = FX(state);
	const u64 vtd_bad[][2] = {
		{ 0xf, 0 },				/* no such type */
		{ 0x2 | (3 << 4), 0x1000 | 1 },		/* PSI, addr not AM-aligned */
		{ 0x2 | (3 << 4), 19 },			/* AM above the unit's MAMV */
		{ 0x2, 0 },				/* granularity 0 */
		{ 0x5 | (1 << 5), 0x1002 },		/* status address not a dword */
	};
	const u64 smmu_bad[][2] = {
		{ 0x0f, 0 },				/* no such opcode */
		{ 0x12 | (1ULL << 12), 0x1000 },	/* NUM set: needs RIL */
		{ 0x46 | (3ULL << 12), 0 },		/* CS reserved */
	};
	const u64 (*bad)[2] = f->v->vtd ? vtd_bad : smmu_bad;
	unsigned int n = f->v->vtd ? ARRAY_SIZE(vtd_bad) : ARRAY_SIZE(smmu_bad);
	unsigned long reports = sim_report_count_kind(f->m, SIM_REPORT_IOMMU_FAULT);

	for (unsigned int i = 0; i < n; i++) {
		unsigned long before = cmds(f);

		assert_int_equal(sim_cmdq_submit_raw(f->u, bad[i][0], bad[i][1]), 0);
		assert_int_equal(f->u->hw->q.errors, i + 1);
		/* only the sync executed */
		assert_int_equal(cmds(f) - before, 1);
	}
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_IOMMU_FAULT) - reports, n);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT, "invalid command"));

	/* a sync whose status write goes nowhere is an error too */
	if (f->v->vtd)
		assert_int_equal(sim_cmdq_submit_raw(f->u, 0x5 | (1 << 5) | (2ULL << 32),
						     0xfff00000000ULL), 0);
	else
		assert_int_equal(sim_cmdq_submit_raw(f->u, 0x46 | (1ULL << 12) | (2ULL << 32),
						     0xfff00000000ULL), 0);
	assert_int_equal(f->u->hw->q.errors, n + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT, "is not RAM"));
	/* syncs that only order are fine */
	if (f->v->vtd)
		assert_int_equal(sim_cmdq_submit_raw(f->u, 0x5, 0), 0);
	else
		assert_int_equal(sim_cmdq_submit_raw(f->u, 0x46, 0), 0);
	assert_int_equal(f->u->hw->q.errors, n + 1);
	f->u->hw->q.errors = 0;	/* for teardown's check */
}

/* The IOVA API's destroy of 1 MiB: one invalidation request for it all. */
static void test_iova_destroy_one_request(void **state)
{
	struct fx *f = FX(state);
	struct page *pg = sim_alloc_pages(f->m, 8);
	struct dma_iova_state st;
	unsigned long before, inv;

	assert_true(dma_iova_try_alloc(f->dev, &st, page_to_phys(pg), SZ_1M));
	assert_int_equal(dma_iova_link(f->dev, &st, page_to_phys(pg), 0, SZ_1M,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, SZ_1M), 0);
	before = cmds(f);
	inv = sim_iommu_invalidations(f->m);
	dma_iova_destroy(f->dev, &st, SZ_1M, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_iommu_invalidations(f->m) - inv, 1);
	/* VT-d: one PSI (AM 8) + wait; SMMUv3: 256 TLBI_NH_VA + sync */
	assert_int_equal(cmds(f) - before, f->v->vtd ? 2 : 257);
	sim_free_pages(f->m, pg, 8);
}

#define T(fn, s) cmocka_unit_test_setup_teardown(fn, s, teardown)
#define BOTH(fn) T(fn, setup_vtd), T(fn, setup_smmu)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_single_page),
		BOTH(test_range),
		BOTH(test_wraps_the_ring),
		BOTH(test_whole_domain),
		BOTH(test_bad_commands),
		BOTH(test_iova_destroy_one_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
