/* SPDX-License-Identifier: MIT */
/* Shared fixtures for the cmocka suites. */
#ifndef DMASTACK_TEST_HELPERS_H
#define DMASTACK_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dmastack/dmastack.h>

/* A small coherent x86 machine with one plain PCI device "dev0". */
#define PLATFORM_SMALL					\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=4M\n"					\
	"hostbridge id=hb0 p2p=allow\n"				\
	"rootport id=rp0 bus=hb0\n"				\
	"pcidev id=dev0 bus=rp0 dma-bits=64\n"

static inline struct sim_machine *machine_from(const char *text)
{
	char err[256] = "";
	struct sim_machine *m = sim_machine_parse(text, err, sizeof(err));

	if (!m)
		fail_msg("platform rejected: %s", err);
	return m;
}

/* Expect the text to be rejected with an error containing @needle. */
static inline void expect_platform_error(const char *text, const char *needle)
{
	char err[256] = "";
	struct sim_machine *m = sim_machine_parse(text, err, sizeof(err));

	if (m) {
		sim_machine_destroy(m);
		fail_msg("platform accepted, expected error containing '%s'",
			 needle);
	}
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
}

/* The device @id of @m; the test fails if there is none. */
static inline struct device *dev_of(struct sim_machine *m, const char *id)
{
	struct device *d = sim_device(m, id);

	if (!d)
		fail_msg("no device '%s'", id);
	return d;
}

/* The start of BAR @bar of the PCI device @id of @m (the test fails if none). */
static inline phys_addr_t bar_of(struct sim_machine *m, const char *id, int bar)
{
	phys_addr_t p = pci_resource_start(to_pci_dev(dev_of(m, id)), bar);

	assert_true(p != 0);
	return p;
}

/* CPU MMIO of a register that must answer (the test fails if not). */
static inline u32 mmio_r32(struct sim_machine *m, phys_addr_t a)
{
	u32 v = 0;

	assert_int_equal(sim_mmio_read(m, a, &v, 4), 0);
	return v;
}

static inline u64 mmio_r64(struct sim_machine *m, phys_addr_t a)
{
	u64 v = 0;

	assert_int_equal(sim_mmio_read(m, a, &v, 8), 0);
	return v;
}

static inline void mmio_w32(struct sim_machine *m, phys_addr_t a, u32 v)
{
	assert_int_equal(sim_mmio_write(m, a, &v, 4), 0);
}

static inline void mmio_w64(struct sim_machine *m, phys_addr_t a, u64 v)
{
	assert_int_equal(sim_mmio_write(m, a, &v, 8), 0);
}

/* Teardown: nothing may still be mapped (dma-debug entries); -1 if so. */
static inline int teardown_no_mappings(struct sim_machine *m)
{
	unsigned long n = sim_dma_debug_entries(m, NULL);

	if (!n)
		return 0;
	fprintf(stderr, "teardown: %lu dma-debug entries left\n", n);
	sim_dma_debug_dump(m, NULL, stderr);
	return -1;
}

/* What machine_teardown() checks besides mappings and swiotlb slots. */
#define TD_BUG		(1u << 0)	/* BUG reports: as many as allowed */
#define TD_DMA_DEBUG	(1u << 1)	/* dma-debug errors: as many as allowed */
#define TD_WARN		(1u << 2)	/* no WARN report */
#define TD_IOMMU_FAULT	(1u << 3)	/* no IOMMU fault */
#define TD_CLEAN	(TD_BUG | TD_DMA_DEBUG | TD_IOMMU_FAULT)

/*
 * The one teardown of a test's machine: nothing mapped (dma-debug), no
 * swiotlb slot held by any device, and the counted reports @check asks
 * for (@bugs BUGs and @dbg_errors dma-debug errors the test provoked on
 * purpose); then the machine is destroyed. 0, or -1 if a check failed.
 */
static inline int machine_teardown_allowed(struct sim_machine *m,
					   unsigned int check,
					   unsigned long bugs,
					   unsigned long dbg_errors)
{
	int bad = 0;

	if (!m)
		return 0;
	if (teardown_no_mappings(m))
		bad = -1;
	for (unsigned int i = 0; i < sim_device_count(m); i++) {
		struct device *d = sim_device_at(m, i);
		unsigned long used = d ? swiotlb_used(d) : 0;

		if (used) {
			fprintf(stderr, "teardown: %lu swiotlb slots left (%s)\n",
				used, sim_device_id(d));
			bad = -1;
			break;
		}
	}
	if (((check & TD_BUG) &&
	     sim_report_count_kind(m, SIM_REPORT_BUG) != bugs) ||
	    ((check & TD_DMA_DEBUG) && sim_dma_debug_errors(m) != dbg_errors) ||
	    ((check & TD_WARN) && sim_report_count_kind(m, SIM_REPORT_WARN)) ||
	    ((check & TD_IOMMU_FAULT) && sim_iommu_faults(m))) {
		fprintf(stderr, "teardown: unexpected reports\n");
		sim_report_dump(m, stderr);
		bad = -1;
	}
	sim_machine_destroy(m);
	return bad;
}

static inline int machine_teardown(struct sim_machine *m, unsigned int check)
{
	return machine_teardown_allowed(m, check, 0, 0);
}

/* A fixture's teardown: machine_teardown_allowed() of its @m, @f freed. */
static inline int fixture_teardown(void *f, struct sim_machine *m,
				   unsigned int check, unsigned long bugs,
				   unsigned long dbg_errors)
{
	int bad = machine_teardown_allowed(m, check, bugs, dbg_errors);

	free(f);
	return bad;
}

/*
 * The fail-Nth sweeps narrow a device to a small IOVA space (64M) so that
 * "nothing leaked" can be checked by one allocation of its upper half.
 */
#define SWEEP_IOVA_MASK		DMA_BIT_MASK(26)

/* Does @dev's DMA go through iommu-dma (a DMA or DMA_FQ domain)? */
static inline bool dev_translated(struct device *dev)
{
	struct iommu_domain *d = iommu_get_domain_for_dev(dev);

	return d && (d->type & __IOMMU_DOMAIN_DMA_API);
}

/* Behind a lazy (flush-queue) domain: the queue drained. */
static inline void drain_flush_queue(struct device *dev)
{
	struct iommu_domain *d = iommu_get_domain_for_dev(dev);

	if (d && d->type == IOMMU_DOMAIN_DMA_FQ)
		assert_int_equal(sim_iommu_flush_queue(dev), 0);
}

/* @dev (mask SWEEP_IOVA_MASK) has no IOVA left allocated or cached. */
static inline void check_iova_space_free(struct device *dev)
{
	struct dma_iova_state st;

	assert_true(dma_iova_try_alloc(dev, &st, 0, SWEEP_IOVA_MASK / 2 + 1));
	assert_int_equal(st.addr, (SWEEP_IOVA_MASK + 1) / 2);
	dma_iova_free(dev, &st);
}

/* dma_map_phys() that must work. */
static inline dma_addr_t map_phys_ok(struct device *dev, phys_addr_t phys,
				     size_t size, enum dma_data_direction dir,
				     unsigned long attrs)
{
	dma_addr_t a = dma_map_phys(dev, phys, size, dir, attrs);

	assert_int_equal(dma_mapping_error(dev, a), 0);
	return a;
}

/* A naturally aligned block of RAM. */
struct ram_blk {
	struct page *pg;
	unsigned int order;
	phys_addr_t phys;
	u8 *cpu;
	size_t size;
};

static inline struct ram_blk ram_blk_get(struct sim_machine *m, size_t bytes)
{
	struct ram_blk b = { 0 };

	b.order = (unsigned int)get_order(bytes);
	b.pg = sim_alloc_pages(m, b.order);
	assert_non_null(b.pg);
	b.phys = page_to_phys(b.pg);
	b.size = PAGE_SIZE << b.order;
	assert_int_equal(b.phys & (b.size - 1), 0);
	b.cpu = page_address(b.pg);
	assert_non_null(b.cpu);
	return b;
}

static inline void ram_blk_put(struct sim_machine *m, struct ram_blk *b)
{
	sim_free_pages(m, b->pg, b->order);
	b->pg = NULL;
}

static inline struct page *ram_blk_page(struct ram_blk *b, size_t off)
{
	return &b->pg[off >> PAGE_SHIFT];
}

static inline int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static inline void fill_pattern(void *p, size_t len, unsigned int seed)
{
	unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

#endif
