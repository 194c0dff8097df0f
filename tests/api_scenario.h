/* SPDX-License-Identifier: MIT */
/*
 * One end-to-end scenario over the DMA API's allocating paths, for the
 * fail-Nth sweeps of the dma-direct, swiotlb, dma-debug and legacy-ops
 * suites: dma_map_single, _page and _phys, dma_map_sg and dma_map_sgtable,
 * dma_map_resource, dma_alloc_coherent, dma_alloc_pages,
 * dma_alloc_noncoherent and a dma_pool, all held at once, then undone in
 * reverse. With check_data, the device's accesses through every address
 * are checked byte for byte (TO_DEVICE data read by the device, FROM_DEVICE
 * data written by it seen by the CPU after the unmap).
 */
#ifndef DMASTACK_TEST_API_SCENARIO_H
#define DMASTACK_TEST_API_SCENARIO_H

#include <dmastack/dmapool.h>
#include "helpers.h"

enum api_step {
	API_SINGLE, API_PAGE, API_PHYS, API_SG, API_SGTABLE, API_RESOURCE,
	API_COHERENT, API_PAGES, API_NONCOHERENT, API_POOL, API_NSTEPS
};

#define API_ALL		((1u << API_NSTEPS) - 1)
#define API_STREAMING	((1u << API_SINGLE) | (1u << API_PAGE) |	\
			 (1u << API_PHYS) | (1u << API_SG) |		\
			 (1u << API_SGTABLE))

/* api_scn_init() flags */
#define API_CHECK_DATA	(1u << 0)	/* check the device's accesses */
#define API_HIGH_RAM	(1u << 1)	/* the buffers above 4G */

#define API_ORDER	4		/* 16 pages of RAM */
#define API_POOL_BLKS	24		/* two pages of 200-byte blocks */

struct api_scn {
	struct sim_machine *m;
	struct device *dev;
	phys_addr_t bar;		/* a peer's 64K BAR, for map_resource */
	unsigned int steps;		/* 1 << enum api_step */
	bool check_data;		/* check the device's accesses */
	struct page *pg;		/* API_ORDER block, patterns in it */
	u8 *cpu;
	struct sg_table sg, sgt;
	int sg_mapped;
	/* what a run holds */
	dma_addr_t single, page, phys, res, coh_h, pages_h, nc_h;
	void *coh, *nc;
	struct page *pages;
	struct dma_pool *pool;
	void *blk[API_POOL_BLKS];
	dma_addr_t blk_h[API_POOL_BLKS];
	unsigned long failed_at[API_NSTEPS];	/* failed runs, by step */
	/* called with what the run got (all of it, or up to a failed step) */
	void (*held)(struct api_scn *s, int failed);
	void *priv;
};

static inline struct page *api_page(struct api_scn *s, unsigned int i)
{
	struct page *p = sim_phys_to_page(s->m, page_to_phys(s->pg) +
					  (phys_addr_t)i * PAGE_SIZE);

	assert_non_null(p);
	return p;
}

/* Fill @t with (page, offset, length) triples from @seg. */
static inline void api_sg_build(struct api_scn *s, struct sg_table *t,
				const unsigned int (*seg)[3], unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	assert_int_equal(sg_alloc_table(t, n, GFP_KERNEL), 0);
	for_each_sg(t->sgl, sg, n, i)
		sg_set_page(sg, api_page(s, seg[i][0]), seg[i][2], seg[i][1]);
}

/* The scenario on @dev of @m (@bar 0: no dma_map_resource), API_* @flags. */
static inline void api_scn_init(struct api_scn *s, struct sim_machine *m,
				struct device *dev, phys_addr_t bar,
				unsigned int steps, unsigned int flags)
{
	/* sg: pages 4-10, two contiguous; sgtable: pages 12-15 */
	static const unsigned int sg_seg[4][3] = {
		{ 4, 0, PAGE_SIZE }, { 5, 0, PAGE_SIZE },
		{ 7, 0x200, 1000 }, { 9, 0, 2 * PAGE_SIZE },
	};
	static const unsigned int sgt_seg[3][3] = {
		{ 12, 0x10, 0x300 }, { 13, 0, PAGE_SIZE }, { 15, 0x800, 0x800 },
	};

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->dev = dev;
	s->bar = bar;
	s->steps = bar ? steps : steps & ~(1u << API_RESOURCE);
	s->check_data = flags & API_CHECK_DATA;
	if (flags & API_HIGH_RAM)
		s->pg = sim_alloc_pages_range(m, API_ORDER, SZ_4G, ~0ULL);
	else
		s->pg = sim_alloc_pages(m, API_ORDER);
	assert_non_null(s->pg);
	s->cpu = page_address(s->pg);
	fill_pattern(s->cpu, PAGE_SIZE << API_ORDER, 77);
	api_sg_build(s, &s->sg, sg_seg, 4);
	api_sg_build(s, &s->sgt, sgt_seg, 3);
}

static inline void api_scn_fini(struct api_scn *s)
{
	sg_free_table(&s->sg);
	sg_free_table(&s->sgt);
	sim_free_pages(s->m, s->pg, API_ORDER);
}

/* The device reads @len bytes at @addr: what the CPU has at @want. */
static inline void api_dev_reads(struct api_scn *s, dma_addr_t addr,
				 const void *want, size_t len)
{
	u8 *buf;

	if (!s->check_data)
		return;
	buf = malloc(len);
	assert_non_null(buf);
	assert_int_equal(sim_dma_read(s->dev, addr, buf, len), 0);
	assert_memory_equal(buf, want, len);
	free(buf);
}

/* The device writes a pattern at @addr; it must land at @cpu (checked
 * by the caller's api_cpu_sees() once the CPU may look). */
static inline void api_dev_writes(struct api_scn *s, dma_addr_t addr,
				  size_t len, unsigned int seed)
{
	u8 *buf;

	if (!s->check_data)
		return;
	buf = malloc(len);
	assert_non_null(buf);
	fill_pattern(buf, len, seed);
	assert_int_equal(sim_dma_write(s->dev, addr, buf, len), 0);
	free(buf);
}

static inline void api_cpu_sees(struct api_scn *s, const void *cpu,
				size_t len, unsigned int seed)
{
	u8 *want;

	if (!s->check_data)
		return;
	want = malloc(len);
	assert_non_null(want);
	fill_pattern(want, len, seed);
	assert_memory_equal(cpu, want, len);
	free(want);
}

/* The device reads a mapped list: the bytes of its segments, in order. */
static inline void api_dev_reads_sg(struct api_scn *s, struct scatterlist *sgl,
				    unsigned int orig, int mapped)
{
	struct scatterlist *sg;
	size_t total = 0, pos = 0;
	u8 *want, *got;
	int i;

	if (!s->check_data)
		return;
	for_each_sg(sgl, sg, orig, i)
		total += sg->length;
	want = malloc(total);
	got = malloc(total);
	assert_non_null(want);
	assert_non_null(got);
	for_each_sg(sgl, sg, orig, i) {
		memcpy(want + pos, (u8 *)page_address(sg_page(sg)) + sg->offset,
		       sg->length);
		pos += sg->length;
	}
	pos = 0;
	for_each_sg(sgl, sg, mapped, i) {
		assert_true(pos + sg_dma_len(sg) <= total);
		assert_int_equal(sim_dma_read(s->dev, sg_dma_address(sg),
					      got + pos, sg_dma_len(sg)), 0);
		pos += sg_dma_len(sg);
	}
	assert_int_equal(pos, total);
	assert_memory_equal(got, want, total);
	free(want);
	free(got);
}

/* Step @st: 0 when done (and checked), -ENOMEM when an allocation failed. */
static inline int api_step_do(struct api_scn *s, enum api_step st)
{
	struct device *dev = s->dev;
	int ret;

	switch (st) {
	case API_SINGLE:
		s->single = dma_map_single(dev, s->cpu + 0x80, 3000,
					   DMA_TO_DEVICE);
		if (dma_mapping_error(dev, s->single))
			return -ENOMEM;
		api_dev_reads(s, s->single, s->cpu + 0x80, 3000);
		return 0;
	case API_PAGE:
		s->page = dma_map_page(dev, api_page(s, 1), 0x100, 2048,
				       DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, s->page))
			return -ENOMEM;
		api_dev_reads(s, s->page, s->cpu + PAGE_SIZE + 0x100, 2048);
		return 0;
	case API_PHYS:
		/* across a page boundary; the device writes, the CPU reads */
		s->phys = dma_map_phys(dev, page_to_phys(s->pg) +
				       2 * PAGE_SIZE + 0x40, 6000,
				       DMA_FROM_DEVICE, 0);
		if (dma_mapping_error(dev, s->phys))
			return -ENOMEM;
		api_dev_writes(s, s->phys, 6000, 78);
		return 0;
	case API_SG:
		s->sg_mapped = dma_map_sg(dev, s->sg.sgl, (int)s->sg.orig_nents,
					  DMA_TO_DEVICE);
		if (!s->sg_mapped)
			return -ENOMEM;
		api_dev_reads_sg(s, s->sg.sgl, s->sg.orig_nents, s->sg_mapped);
		return 0;
	case API_SGTABLE:
		ret = dma_map_sgtable(dev, &s->sgt, DMA_TO_DEVICE, 0);
		if (ret) {
			assert_true(ret == -ENOMEM || ret == -EIO);
			return ret;
		}
		api_dev_reads_sg(s, s->sgt.sgl, s->sgt.orig_nents,
				 (int)s->sgt.nents);
		return 0;
	case API_RESOURCE:
		s->res = dma_map_resource(dev, s->bar, SZ_64K,
					  DMA_BIDIRECTIONAL, 0);
		return dma_mapping_error(dev, s->res) ? -ENOMEM : 0;
	case API_COHERENT:
		s->coh = dma_alloc_coherent(dev, 2 * PAGE_SIZE, &s->coh_h,
					    GFP_KERNEL);
		if (!s->coh)
			return -ENOMEM;
		api_dev_writes(s, s->coh_h, 2 * PAGE_SIZE, 79);
		api_cpu_sees(s, s->coh, 2 * PAGE_SIZE, 79);
		return 0;
	case API_PAGES:
		s->pages = dma_alloc_pages(dev, 2 * PAGE_SIZE, &s->pages_h,
					   DMA_BIDIRECTIONAL, GFP_KERNEL);
		if (!s->pages)
			return -ENOMEM;
		fill_pattern(page_address(s->pages), 2 * PAGE_SIZE, 80);
		dma_sync_single_for_device(dev, s->pages_h, 2 * PAGE_SIZE,
					   DMA_BIDIRECTIONAL);
		api_dev_reads(s, s->pages_h, page_address(s->pages),
			      2 * PAGE_SIZE);
		return 0;
	case API_NONCOHERENT:
		s->nc = dma_alloc_noncoherent(dev, PAGE_SIZE, &s->nc_h,
					      DMA_FROM_DEVICE, GFP_KERNEL);
		if (!s->nc)
			return -ENOMEM;
		api_dev_writes(s, s->nc_h, PAGE_SIZE, 81);
		dma_sync_single_for_cpu(dev, s->nc_h, PAGE_SIZE,
					DMA_FROM_DEVICE);
		api_cpu_sees(s, s->nc, PAGE_SIZE, 81);
		return 0;
	case API_POOL:
		s->pool = dma_pool_create("scn", dev, 200, 64, 0);
		if (!s->pool)
			return -ENOMEM;
		for (int i = 0; i < API_POOL_BLKS; i++) {
			s->blk[i] = dma_pool_alloc(s->pool, GFP_KERNEL,
						   &s->blk_h[i]);
			if (!s->blk[i]) {
				while (i-- > 0)
					dma_pool_free(s->pool, s->blk[i],
						      s->blk_h[i]);
				dma_pool_destroy(s->pool);
				return -ENOMEM;
			}
			api_dev_writes(s, s->blk_h[i], 200, 82 + i);
			api_cpu_sees(s, s->blk[i], 200, 82 + i);
		}
		return 0;
	case API_NSTEPS:
		break;
	}
	return -EINVAL;
}

static inline void api_step_undo(struct api_scn *s, enum api_step st)
{
	struct device *dev = s->dev;
	u8 *phys_cpu = s->cpu + 2 * PAGE_SIZE + 0x40;

	switch (st) {
	case API_SINGLE:
		dma_unmap_single(dev, s->single, 3000, DMA_TO_DEVICE);
		break;
	case API_PAGE:
		dma_unmap_page(dev, s->page, 2048, DMA_BIDIRECTIONAL);
		break;
	case API_PHYS:
		dma_unmap_phys(dev, s->phys, 6000, DMA_FROM_DEVICE, 0);
		api_cpu_sees(s, phys_cpu, 6000, 78);
		break;
	case API_SG:
		dma_unmap_sg(dev, s->sg.sgl, (int)s->sg.orig_nents,
			     DMA_TO_DEVICE);
		break;
	case API_SGTABLE:
		dma_unmap_sgtable(dev, &s->sgt, DMA_TO_DEVICE, 0);
		break;
	case API_RESOURCE:
		dma_unmap_resource(dev, s->res, SZ_64K, DMA_BIDIRECTIONAL, 0);
		break;
	case API_COHERENT:
		dma_free_coherent(dev, 2 * PAGE_SIZE, s->coh, s->coh_h);
		break;
	case API_PAGES:
		dma_free_pages(dev, 2 * PAGE_SIZE, s->pages, s->pages_h,
			       DMA_BIDIRECTIONAL);
		break;
	case API_NONCOHERENT:
		dma_free_noncoherent(dev, PAGE_SIZE, s->nc, s->nc_h,
				     DMA_FROM_DEVICE);
		break;
	case API_POOL:
		for (int i = API_POOL_BLKS - 1; i >= 0; i--)
			dma_pool_free(s->pool, s->blk[i], s->blk_h[i]);
		dma_pool_destroy(s->pool);
		break;
	case API_NSTEPS:
		break;
	}
}

/* The steps at which some run failed (1 << enum api_step). */
static inline unsigned int api_scn_failed_steps(const struct api_scn *s)
{
	unsigned int mask = 0;

	for (int st = 0; st < API_NSTEPS; st++)
		if (s->failed_at[st])
			mask |= 1u << st;
	return mask;
}

#define API_ALLOCS	((1u << API_COHERENT) | (1u << API_PAGES) |	\
			 (1u << API_NONCOHERENT) | (1u << API_POOL))

/* The fail-Nth scenario (struct failnth.run): 0, or the failed step + 1. */
static inline int api_scn_run(void *ctx)
{
	struct api_scn *s = ctx;
	int st, failed = 0;

	for (st = 0; st < API_NSTEPS; st++) {
		if (!(s->steps & (1u << st)))
			continue;
		if (api_step_do(s, (enum api_step)st)) {
			failed = st + 1;
			s->failed_at[st]++;
			break;
		}
	}
	if (s->held)
		s->held(s, failed);
	while (st-- > 0)
		if (s->steps & (1u << st))
			api_step_undo(s, (enum api_step)st);
	return failed;
}

#endif
