// SPDX-License-Identifier: MIT
/*
 * The block layer's scatterlist-less DMA iterator (blk-mq-dma.h):
 * requests of RAM and P2PDMA pages mapped with blk_rq_dma_map_iter_start()/
 * _next() and unmapped with blk_rq_dma_unmap() on every DMA path: direct,
 * strict and lazy IOMMU, arm64 SMMUs with 64K and 16K granules and a
 * non-coherent one, passthrough, an
 * untrusted device (IOVA with swiotlb bouncing) and a 32-bit device
 * (dma-direct bouncing). Every device access goes through the returned
 * addresses and is checked byte for byte; fault-injection sweeps check that
 * nothing (IOVA, page-table pages, bounce slots, dma-debug entries) is left
 * behind on any failure.
 */
#include <limits.h>
#include "failnth.h"
#include "variants.h"

/* ------------------------------------------------------------------------ */
/* Variants and fixture                                                     */
/* ------------------------------------------------------------------------ */

/* The IOVA space the fixture gives translated devices: 64M. */
#define IOVA_MASK	SWEEP_IOVA_MASK
#define MAX_SEGS	600

/*
 * hb0 (behind io0 unless direct) allows P2P: dev0 and an NVMe with a CMB
 * below one switch (bus addresses), a GPU on its own root port (through the
 * host bridge), an untrusted device and a 32-bit one. hb1 denies P2P: its
 * device's BAR is not reachable from dev0.
 */
static const struct variant_machine blk_machine = {
	.name = "blk",
	.machine = "ram=512M ram-below-4g=256M cpus=1",
	.swiotlb = "4M",
	.iommu = "fq-size=8 fq-timeout=1ms",
	.body = "hostbridge id=hb0 p2p=allow @iommu\n"
		"rootport id=rp0 bus=hb0\n"
		"switch id=sw0 bus=rp0 acs=off\n"
		"pcidev id=dev0 bus=sw0 dma-bits=64\n"
		"nvme id=nvme0 bus=sw0 cmb=1M\n"
		"rootport id=rp1 bus=hb0 acs=on\n"
		"gpu id=gpu0 bus=rp1 bar2=16M\n"
		"rootport id=rp2 bus=hb0 acs=on\n"
		"pcidev id=ut bus=rp2 untrusted=yes\n"
		"rootport id=rp3 bus=hb0 acs=on\n"
		"pcidev id=dev32 bus=rp3 dma-bits=32\n"
		"hostbridge id=hb1 p2p=deny\n"
		"rootport id=rq0 bus=hb1\n"
		"pcidev id=far bus=rq0 bar0=1M\n",
};

struct fx {
	VARIANT_FX;
	struct device *dev, *ut, *dev32;
	struct pci_dev *nvme, *gpu, *far;
	struct request_queue q;		/* NVMe-like limits */
	unsigned long g;		/* IOVA granule (4K without IOMMU) */
};

/* NVMe: 4K PRP virt boundary, unlimited segment size, dword alignment. */
static void nvme_limits(struct queue_limits *lim)
{
	blk_set_default_limits(lim);
	lim->virt_boundary_mask = SZ_4K - 1;
	lim->max_segment_size = UINT32_MAX;
	lim->seg_boundary_mask = ~0UL;
	lim->dma_alignment = 3;
	lim->max_segments = 0;
}

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &blk_machine);

	f->g = f->v->granule;
	f->dev = dev_of(f->m, "dev0");
	f->ut = dev_of(f->m, "ut");
	f->dev32 = dev_of(f->m, "dev32");
	f->nvme = to_pci_dev(dev_of(f->m, "nvme0"));
	f->gpu = to_pci_dev(dev_of(f->m, "gpu0"));
	f->far = to_pci_dev(dev_of(f->m, "far"));
	/* A small IOVA space, so that "all of it is free" is one check. */
	if (dev_translated(f->dev))
		assert_int_equal(dma_set_mask(f->dev, IOVA_MASK), 0);
	if (dev_translated(f->ut))
		assert_int_equal(dma_set_mask(f->ut, IOVA_MASK), 0);
	if (dev_translated(f->dev32))
		assert_int_equal(dma_set_mask(f->dev32, IOVA_MASK), 0);
	/*
	 * As nvme-pci: bounce buffers keep the offset inside a granule, so
	 * an untrusted device's bounced head links at its IOVA offset.
	 */
	dma_set_min_align_mask(f->ut, (unsigned int)f->g - 1);
	nvme_limits(&f->q.limits);
	return 0;
}

/* The whole IOVA space of @dev is free again (nothing leaked there). */
/* Behind a translating IOMMU: the flush queue drained, no IOVA left. */
static void iova_space_free(struct device *dev)
{
	if (!dev_translated(dev))
		return;
	if (iommu_get_domain_for_dev(dev)->type == IOMMU_DOMAIN_DMA_FQ)
		assert_int_equal(sim_iommu_flush_queue(dev), 0);
	check_iova_space_free(dev);
}

/*
 * Nothing mapped, linked, bounced or leaked in IOVA space, and no report
 * since the last sim_report_clear() but warnings when @allow_warn (an
 * injected allocation failure is warned about).
 */
static void check_clean_warn(struct fx *f, bool allow_warn)
{
	unsigned long nr = sim_report_count(f->m);

	if (sim_dma_debug_entries(f->m, NULL)) {
		sim_dma_debug_dump(f->m, NULL, stderr);
		fail_msg("%lu dma-debug entries left",
			 sim_dma_debug_entries(f->m, NULL));
	}
	assert_int_equal(swiotlb_used(f->dev), 0);
	iova_space_free(f->dev);
	iova_space_free(f->ut);
	iova_space_free(f->dev32);
	for (unsigned long i = 0; i < nr; i++) {
		struct sim_report r;

		assert_int_equal(sim_report_get(f->m, i, &r), 0);
		if (r.kind == SIM_REPORT_INFO ||
		    (allow_warn && r.kind == SIM_REPORT_WARN))
			continue;
		sim_report_dump(f->m, stderr);
		fail_msg("%s: unexpected report: %s", f->v->name, r.text);
	}
}

static void check_clean(struct fx *f)
{
	check_clean_warn(f, false);
}

static int fx_teardown(void **state)
{
	return variant_fx_teardown(state, TD_BUG);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* A naturally aligned block of RAM (or of P2P memory). */
struct blk {
	struct page *pg;
	unsigned int order;
	phys_addr_t phys;
	bool p2p;
	void *p2p_virt;
	size_t size;
};

static struct blk ram_get(struct sim_machine *m, size_t bytes)
{
	struct blk b = { .order = (unsigned int)get_order(bytes) };

	b.pg = sim_alloc_pages(m, b.order);
	assert_non_null(b.pg);
	b.phys = page_to_phys(b.pg);
	b.size = PAGE_SIZE << b.order;
	return b;
}

/* The first @bytes of @pdev's BAR @bar as P2PDMA pages. */
static struct blk p2p_get(struct pci_dev *pdev, int bar, size_t bytes)
{
	struct sim_machine *m = pdev->dev.sim;
	struct blk b = { .p2p = true, .size = bytes };

	assert_int_equal(pcim_p2pdma_init(pdev), 0);
	assert_int_equal(pci_p2pdma_add_resource(pdev, bar, bytes, 0), 0);
	b.p2p_virt = pci_alloc_p2pmem(pdev, bytes);
	assert_non_null(b.p2p_virt);
	b.phys = sim_virt_to_phys(m, b.p2p_virt);
	assert_int_equal(b.phys, pci_resource_start(pdev, bar));
	b.pg = sim_virt_to_page(m, b.p2p_virt);
	assert_true(is_pci_p2pdma_page(b.pg));
	return b;
}

static void blk_put(struct sim_machine *m, struct pci_dev *pdev,
		    struct blk *b)
{
	if (b->p2p)
		pci_free_p2pmem(pdev, b->p2p_virt, b->size);
	else
		sim_free_pages(m, b->pg, b->order);
}

static struct page *page_at(struct sim_machine *m, const struct blk *b,
			    size_t off)
{
	struct page *pg;

	if (b->p2p)
		return sim_virt_to_page(m, (char *)b->p2p_virt +
					(off & PAGE_MASK));
	pg = sim_phys_to_page(m, b->phys + (off & PAGE_MASK));
	assert_non_null(pg);
	return pg;
}

/*
 * Add @n chunks of @chunk bytes, @stride apart, from @b to @rq; the first
 * starts @first_off into its chunk and the last is cut to @last_len bytes
 * of its chunk (0: whole).
 */
static void add_chunks(struct sim_machine *m, struct request *rq,
		       const struct blk *b, size_t chunk, unsigned int n,
		       size_t stride, size_t first_off, size_t last_len)
{
	for (unsigned int i = 0; i < n; i++) {
		size_t start = i * stride, off = i ? 0 : first_off;
		size_t end = (i == n - 1 && last_len) ? last_len : chunk;

		assert_true(start + end <= b->size);
		assert_int_equal(blk_rq_add_page(rq, page_at(m, b, start),
						 (unsigned int)(end - off),
						 (unsigned int)off), 0);
	}
}

/* CPU access to the bytes of a bvec: cached RAM, or MMIO. */
static void cpu_access(struct sim_machine *m, const struct bio_vec *bv,
		       void *buf, bool write)
{
	phys_addr_t phys = bvec_phys(bv);

	if (is_pci_p2pdma_page(bv->bv_page)) {
		if (write)
			assert_int_equal(sim_mmio_write(m, phys, buf, bv->bv_len), 0);
		else
			assert_int_equal(sim_mmio_read(m, phys, buf, bv->bv_len), 0);
	} else if (write) {
		memcpy(sim_phys_to_virt(m, phys), buf, bv->bv_len);
	} else {
		memcpy(buf, sim_phys_to_virt(m, phys), bv->bv_len);
	}
}

static void rq_cpu_io(struct sim_machine *m, const struct request *rq,
		      u8 *buf, bool write)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < rq->nr_bvecs; i++) {
		cpu_access(m, &rq->bvecs[i], buf + pos, write);
		pos += rq->bvecs[i].bv_len;
	}
	assert_int_equal(pos, blk_rq_bytes(rq));
}

/* What a driver keeps of a mapping (nvme_iod's dma_vecs and state). */
struct mapping {
	struct dma_iova_state st;
	enum pci_p2pdma_map_type map;
	bool coalesced;
	unsigned int nsegs;
	size_t total;
	dma_addr_t addr[MAX_SEGS];
	size_t len[MAX_SEGS];
};

static void unmap_rq(struct request *rq, struct device *dev,
		     struct mapping *mp)
{
	unsigned long attrs = mp->map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ?
			      DMA_ATTR_MMIO : 0;

	if (blk_rq_dma_unmap(rq, dev, &mp->st, mp->total, mp->map))
		return;
	for (unsigned int i = 0; i < mp->nsegs; i++)
		dma_unmap_phys(dev, mp->addr[i], mp->len[i], rq_dma_dir(rq),
			       attrs);
}

/*
 * Map @rq for @dev as nvme_map_data() does. On a failure in the middle the
 * segments already returned are unmapped (the caller's part of the
 * contract) and the status is returned.
 */
static blk_status_t map_rq(struct request *rq, struct device *dev,
			   struct mapping *mp)
{
	struct blk_dma_iter iter;

	memset(mp, 0, sizeof(*mp));
	if (!blk_rq_dma_map_iter_start(rq, dev, &mp->st, &iter)) {
		/* nothing may be left behind by a failed start */
		assert_false(dma_use_iova(&mp->st));
		assert_int_not_equal(iter.status, BLK_STS_OK);
		return iter.status;
	}
	mp->map = iter.p2pdma.map;
	mp->coalesced = blk_rq_dma_map_coalesce(&mp->st);
	do {
		assert_true(mp->nsegs < MAX_SEGS);
		assert_true(iter.len > 0);
		mp->addr[mp->nsegs] = iter.addr;
		mp->len[mp->nsegs++] = iter.len;
		mp->total += iter.len;
	} while (blk_rq_dma_map_iter_next(rq, dev, &mp->st, &iter));
	if (iter.status != BLK_STS_OK) {
		assert_int_equal(iter.status, BLK_STS_RESOURCE);
		unmap_rq(rq, dev, mp);
		return iter.status;
	}
	assert_int_equal(mp->total, blk_rq_payload_bytes(rq));
	if (mp->coalesced)
		assert_int_equal(mp->nsegs, 1);
	return BLK_STS_OK;
}

struct expect {
	bool coalesced;
	unsigned int nsegs;	/* when not coalesced; 0: don't check */
	enum pci_p2pdma_map_type map;
};

/*
 * The whole life of a request: CPU data in, map, the device's DMA through
 * every returned (addr, len), unmap, CPU data out, and nothing left behind.
 */
static void do_io(struct fx *f, struct device *dev, struct request *rq,
		  const struct expect *e, unsigned int seed)
{
	size_t total = blk_rq_bytes(rq), pos = 0;
	bool to_dev = rq_dma_dir(rq) == DMA_TO_DEVICE;
	u8 *want = malloc(total), *got = malloc(total);
	struct mapping *mp = malloc(sizeof(*mp));

	assert_non_null(want);
	assert_non_null(got);
	assert_non_null(mp);
	fill_pattern(want, total, seed);
	if (to_dev) {
		rq_cpu_io(f->m, rq, want, true);
	} else {
		memset(got, 0xee, total);
		rq_cpu_io(f->m, rq, got, true);
	}

	if (map_rq(rq, dev, mp) != BLK_STS_OK) {
		sim_report_dump(f->m, stderr);
		fail_msg("%s: mapping %u bytes in %u bvecs for %s failed",
			 f->v->name, blk_rq_bytes(rq), rq->nr_bvecs,
			 dev_name(dev));
	}
	assert_int_equal(mp->map, e->map);
	assert_int_equal(mp->coalesced, e->coalesced);
	if (!e->coalesced && e->nsegs)
		assert_int_equal(mp->nsegs, e->nsegs);
	assert_int_equal(!!(rq->cmd_flags & REQ_P2PDMA),
			 e->map == PCI_P2PDMA_MAP_BUS_ADDR);

	for (unsigned int i = 0; i < mp->nsegs; i++) {
		if (to_dev)
			assert_int_equal(sim_dma_read(dev, mp->addr[i],
						      got + pos, mp->len[i]), 0);
		else
			assert_int_equal(sim_dma_write(dev, mp->addr[i],
						       want + pos, mp->len[i]), 0);
		pos += mp->len[i];
	}
	assert_int_equal(pos, total);

	unmap_rq(rq, dev, mp);
	if (!to_dev)
		rq_cpu_io(f->m, rq, got, false);
	assert_memory_equal(want, got, total);
	check_clean(f);
	free(mp);
	free(want);
	free(got);
}

static bool iova(struct fx *f, struct device *dev)
{
	return dev_translated(dev);
}

/* ------------------------------------------------------------------------ */
/* Requests of RAM                                                          */
/* ------------------------------------------------------------------------ */

static void test_one_page(void **state)
{
	struct fx *f = *state;
	struct blk b = ram_get(f->m, SZ_4K);
	struct request rq;
	struct expect e = { .nsegs = 1, .map = PCI_P2PDMA_MAP_NONE };

	for (int op = REQ_OP_READ; op <= REQ_OP_WRITE; op++) {
		blk_rq_init(&f->q, &rq, (blk_opf_t)op);
		add_chunks(f->m, &rq, &b, SZ_4K, 1, 0, 0, 0);
		e.coalesced = iova(f, f->dev);
		do_io(f, f->dev, &rq, &e, 1 + op);
	}
	blk_put(f->m, NULL, &b);
}

/*
 * @n chunks of the variant's granule, every other one (never physically
 * contiguous): one IOVA range behind a DMA domain, @n segments otherwise.
 */
static void granule_chunks(struct fx *f, struct device *dev, unsigned int n,
			   blk_opf_t op, size_t first_off, size_t last_len)
{
	struct blk b = ram_get(f->m, 2 * n * f->g);
	struct request rq;
	struct expect e = { .map = PCI_P2PDMA_MAP_NONE };

	blk_rq_init(&f->q, &rq, op);
	add_chunks(f->m, &rq, &b, f->g, n, 2 * f->g, first_off, last_len);
	assert_int_equal(rq.nr_bvecs, n);
	assert_int_equal(blk_rq_nr_phys_segments(&rq), n);
	e.coalesced = iova(f, dev);
	e.nsegs = n;
	do_io(f, dev, &rq, &e, n);
	blk_put(f->m, NULL, &b);
}

static void test_32_pages(void **state)
{
	struct fx *f = *state;
	struct blk b = ram_get(f->m, 64 * SZ_4K);
	struct request rq;
	struct expect e = { .map = PCI_P2PDMA_MAP_NONE, .nsegs = 32 };

	/* 4K pages: coalesced only where the granule is 4K */
	blk_rq_init(&f->q, &rq, REQ_OP_WRITE);
	add_chunks(f->m, &rq, &b, SZ_4K, 32, 2 * SZ_4K, 0, 0);
	e.coalesced = iova(f, f->dev) && f->g == SZ_4K;
	do_io(f, f->dev, &rq, &e, 32);
	blk_put(f->m, NULL, &b);
	/* and 32 granules */
	granule_chunks(f, f->dev, 32, REQ_OP_READ, 0, 0);
}

/* 1 MiB of 4K pages; on strict: one sync, one invalidation at unmap. */
static void test_1m(void **state)
{
	struct fx *f = *state;
	struct blk b = ram_get(f->m, 2 * SZ_1M);
	struct request rq;
	struct mapping *mp = malloc(sizeof(*mp));
	unsigned long inval;
	bool coalesce = iova(f, f->dev) && f->g == SZ_4K;
	struct expect e = { .map = PCI_P2PDMA_MAP_NONE, .nsegs = 256,
			    .coalesced = coalesce };

	assert_non_null(mp);
	blk_rq_init(&f->q, &rq, REQ_OP_READ);
	add_chunks(f->m, &rq, &b, SZ_4K, 256, 2 * SZ_4K, 0, 0);
	assert_int_equal(blk_rq_bytes(&rq), SZ_1M);
	do_io(f, f->dev, &rq, &e, 7);

	if (coalesce && !strcmp(f->v->mode, "strict")) {
		inval = sim_iommu_invalidations(f->m);
		assert_int_equal(map_rq(&rq, f->dev, mp), BLK_STS_OK);
		assert_true(mp->coalesced);
		assert_int_equal(mp->len[0], SZ_1M);
		/* linking new entries needs no invalidation */
		assert_int_equal(sim_iommu_invalidations(f->m), inval);
		unmap_rq(&rq, f->dev, mp);
		assert_int_equal(sim_iommu_invalidations(f->m), inval + 1);
		check_clean(f);
	}
	/* 1 MiB in granules: one range on every IOMMU variant */
	blk_put(f->m, NULL, &b);
	granule_chunks(f, f->dev, (unsigned int)(SZ_1M / f->g), REQ_OP_WRITE,
		       0, 0);
	free(mp);
}

/* Only the first may start and only the last may end inside a granule. */
static void test_unaligned_first_last(void **state)
{
	struct fx *f = *state;

	granule_chunks(f, f->dev, 8, REQ_OP_WRITE, 512, 1024);
	granule_chunks(f, f->dev, 8, REQ_OP_READ, f->g - 512, 512);
	/* a single unaligned segment */
	granule_chunks(f, f->dev, 1, REQ_OP_READ, 512, 2048);
}

/*
 * A middle segment starting inside a granule: without a virt boundary the
 * request is valid (NVMe with SGLs), but cannot be one IOVA range.
 */
static void test_middle_unaligned(void **state)
{
	struct fx *f = *state;
	struct request_queue q = f->q;
	struct blk b = ram_get(f->m, 8 * f->g);
	struct request rq;
	struct expect e = { .map = PCI_P2PDMA_MAP_NONE, .nsegs = 3 };

	/* with the PRP virt boundary the gap is refused when building */
	blk_rq_init(&f->q, &rq, REQ_OP_WRITE);
	assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, 0), SZ_4K, 0), 0);
	assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, 2 * f->g),
					 SZ_2K, 512), -EINVAL);
	assert_int_equal(rq.nr_bvecs, 1);
	assert_int_equal(blk_rq_bytes(&rq), SZ_4K);

	q.limits.virt_boundary_mask = 0;
	for (int op = REQ_OP_READ; op <= REQ_OP_WRITE; op++) {
		blk_rq_init(&q, &rq, (blk_opf_t)op);
		assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, 0),
						 (unsigned int)f->g, 0), 0);
		assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, 2 * f->g),
						 SZ_2K, 512), 0);
		assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, 4 * f->g),
						 (unsigned int)f->g, 0), 0);
		/* lowest interior boundary bit: 512 */
		assert_int_equal(req_phys_gap_mask(&rq), ~(unsigned long)511);
		e.coalesced = false;
		do_io(f, f->dev, &rq, &e, 40 + op);
	}
	blk_put(f->m, NULL, &b);
}

/*
 * The gap mask blk_rq_add_page() keeps (O(1) for the mapping path) equals
 * what a walk over the DMA segments finds: random pages, lengths, offsets
 * and limits; the same bvecs copied into a hand-filled request are walked.
 */
static void test_gap_mask_incremental(void **state)
{
	struct fx *f = *state;
	struct blk b = ram_get(f->m, SZ_1M);
	struct request_queue q;
	struct request rq, *hand = malloc(sizeof(*hand));
	u64 r = 0x9e3779b97f4a7c15ULL;

	assert_non_null(hand);
	for (int round = 0; round < 300; round++) {
		blk_set_default_limits(&q.limits);
		r ^= r << 13; r ^= r >> 7; r ^= r << 17;
		q.limits.max_segment_size = (r & 1) ? SZ_64K : 3 * SZ_4K + 512;
		q.limits.seg_boundary_mask = (r & 2) ? ~0UL : SZ_64K - 1;
		q.limits.dma_alignment = 511;
		blk_rq_init(&q, &rq, REQ_OP_WRITE);
		for (int i = 0; i < 24; i++) {
			unsigned int pg, off, len;

			r ^= r << 13; r ^= r >> 7; r ^= r << 17;
			pg = (unsigned int)(r % 200);
			off = (unsigned int)((r >> 8) % 8) * 512;
			len = (unsigned int)(1 + (r >> 16) % 8) * 512;
			if (off + len > SZ_4K)
				len = SZ_4K - off;
			/* half the time the next page, so merges happen */
			if ((r >> 32) & 1 && rq.nr_bvecs) {
				struct bio_vec *bv = &rq.bvecs[rq.nr_bvecs - 1];
				phys_addr_t end = bvec_phys(bv) + bv->bv_len;

				if ((end - b.phys) + SZ_4K <= SZ_1M) {
					pg = (unsigned int)((end - b.phys) / SZ_4K);
					off = (unsigned int)(end & (SZ_4K - 1));
					len = SZ_4K - off;
				}
			}
			blk_rq_add_page(&rq, page_at(f->m, &b, (size_t)pg * SZ_4K),
					len, off);
		}
		*hand = rq;
		hand->__gaps_nr_bvecs = UINT_MAX;	/* as if filled by hand */
		assert_int_equal(req_phys_gap_mask(&rq), req_phys_gap_mask(hand));
	}
	free(hand);
	blk_put(f->m, NULL, &b);
}

/* Physically contiguous bvecs are one segment, split at the limits. */
static void test_merge_contiguous(void **state)
{
	struct fx *f = *state;
	struct request_queue q;
	struct blk b = ram_get(f->m, SZ_1M);
	struct request rq;
	struct expect e = { .map = PCI_P2PDMA_MAP_NONE };

	/* bio_add_page() merging: 32 adjacent pages are one bvec */
	blk_rq_init(&f->q, &rq, REQ_OP_WRITE);
	for (unsigned int i = 0; i < 32; i++)
		assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, i * SZ_4K),
						 SZ_4K, 0), 0);
	assert_int_equal(rq.nr_bvecs, 1);
	assert_int_equal(rq.bvecs[0].bv_len, 32 * SZ_4K);
	assert_int_equal(blk_rq_nr_phys_segments(&rq), 1);
	assert_int_equal(req_phys_gap_mask(&rq), 0);
	e.coalesced = iova(f, f->dev);
	e.nsegs = 1;
	do_io(f, f->dev, &rq, &e, 50);

	/* the kernel's default limits: 64K segments */
	blk_set_default_limits(&q.limits);
	blk_rq_init(&q, &rq, REQ_OP_READ);
	for (unsigned int i = 0; i < 32; i++)
		assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, i * SZ_4K),
						 SZ_4K, 0), 0);
	assert_int_equal(blk_rq_nr_phys_segments(&rq), 2);
	/* 64K-aligned interior boundary: one IOVA range on every IOMMU */
	e.coalesced = iova(f, f->dev);
	e.nsegs = 2;
	do_io(f, f->dev, &rq, &e, 51);

	/* a segment boundary splits contiguous bvecs (and the IOVA) */
	q.limits.seg_boundary_mask = SZ_16K - 1;
	q.limits.max_segment_size = UINT32_MAX;
	blk_rq_init(&q, &rq, REQ_OP_WRITE);
	assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, 0), 3 * SZ_4K,
					 SZ_4K), 0);
	assert_int_equal(blk_rq_add_page(&rq, page_at(f->m, &b, 4 * SZ_4K),
					 SZ_4K, 0), 0);
	assert_int_equal(rq.nr_bvecs, 1);
	assert_int_equal(blk_rq_nr_phys_segments(&rq), 2);
	/* one IOVA range where the 16K boundary is granule aligned */
	e.coalesced = iova(f, f->dev) && SZ_16K % f->g == 0;
	e.nsegs = 2;
	do_io(f, f->dev, &rq, &e, 52);

	/*
	 * A hand-built request whose bvecs are not packed tight: the
	 * iterator merges them (blk_map_iter_next()).
	 */
	blk_rq_init(&f->q, &rq, REQ_OP_READ);
	for (unsigned int i = 0; i < 8; i++)
		rq.bvecs[i] = (struct bio_vec) {
			.bv_page = page_at(f->m, &b, i * SZ_4K),
			.bv_len = SZ_4K,
		};
	rq.nr_bvecs = 8;
	rq.__data_len = 8 * SZ_4K;
	rq.nr_phys_segments = 1;
	e.coalesced = iova(f, f->dev);
	e.nsegs = 1;
	do_io(f, f->dev, &rq, &e, 53);
	blk_put(f->m, NULL, &b);
}

/* The untrusted device: IOVA with the unaligned head and tail bounced. */
static void test_untrusted(void **state)
{
	struct fx *f = *state;

	granule_chunks(f, f->ut, 8, REQ_OP_WRITE, 0, 0);
	granule_chunks(f, f->ut, 8, REQ_OP_READ, 512, 1024);
	granule_chunks(f, f->ut, 8, REQ_OP_WRITE, 1024, 512);
	/* 32-bit device: dma-direct bounces RAM above 4G per segment */
	granule_chunks(f, f->dev32, 4, REQ_OP_READ, 512, 1024);
	granule_chunks(f, f->dev32, 4, REQ_OP_WRITE, 0, 0);
}

/* The request helpers' argument checks. */
static void test_build_request(void **state)
{
	struct fx *f = *state;
	struct blk b = ram_get(f->m, SZ_4M);
	struct request_queue q = f->q;
	struct request *rq = malloc(sizeof(*rq));
	unsigned int i;

	assert_non_null(rq);
	blk_rq_init(&f->q, rq, REQ_OP_WRITE | REQ_FUA);
	assert_int_equal(req_op(rq), REQ_OP_WRITE);
	assert_int_equal(rq_dma_dir(rq), DMA_TO_DEVICE);
	assert_int_equal(blk_rq_add_page(rq, NULL, SZ_4K, 0), -EINVAL);
	assert_int_equal(blk_rq_add_page(rq, b.pg, 0, 0), -EINVAL);
	/* dma_alignment 3 */
	assert_int_equal(blk_rq_add_page(rq, b.pg, 6, 0), -EINVAL);
	assert_int_equal(blk_rq_add_page(rq, b.pg, 8, 2), -EINVAL);
	assert_int_equal(rq->nr_bvecs, 0);
	/* a short first bvec: the next one would leave a gap */
	assert_int_equal(blk_rq_add_page(rq, b.pg, 512, 0), 0);
	assert_int_equal(blk_rq_add_page(rq, page_at(f->m, &b, 2 * SZ_4K),
					 SZ_4K, 0), -EINVAL);
	/* the bvec table is bounded */
	blk_rq_init(&f->q, rq, REQ_OP_READ);
	for (i = 0; i < BLK_RQ_MAX_BVECS; i++)
		assert_int_equal(blk_rq_add_page(rq, page_at(f->m, &b, 2 * i * SZ_4K),
						 SZ_4K, 0), 0);
	assert_int_equal(blk_rq_add_page(rq, page_at(f->m, &b, 2 * i * SZ_4K - SZ_4K * 3),
					 SZ_4K, 0), -ENOMEM);
	assert_int_equal(rq->nr_bvecs, BLK_RQ_MAX_BVECS);
	assert_int_equal(blk_rq_bytes(rq), BLK_RQ_MAX_BVECS * SZ_4K);
	/* and so is max_segments */
	q.limits.max_segments = 2;
	blk_rq_init(&q, rq, REQ_OP_READ);
	assert_int_equal(blk_rq_add_page(rq, page_at(f->m, &b, 0), SZ_4K, 0), 0);
	assert_int_equal(blk_rq_add_page(rq, page_at(f->m, &b, 2 * SZ_4K), SZ_4K, 0), 0);
	assert_int_equal(blk_rq_add_page(rq, page_at(f->m, &b, 4 * SZ_4K), SZ_4K, 0),
			 -ENOMEM);
	/* merging into the last bvec costs no segment */
	assert_int_equal(blk_rq_add_page(rq, page_at(f->m, &b, 3 * SZ_4K), SZ_4K, 0), 0);
	assert_int_equal(blk_rq_nr_phys_segments(rq), 2);
	/* an empty request maps nothing, with BLK_STS_OK */
	{
		struct dma_iova_state st;
		struct blk_dma_iter iter;

		blk_rq_init(&f->q, rq, REQ_OP_READ);
		assert_false(blk_rq_dma_map_iter_start(rq, f->dev, &st, &iter));
		assert_int_equal(iter.status, BLK_STS_OK);
		assert_false(dma_use_iova(&st));
	}
	/* status <-> errno, the kernel's table */
	assert_int_equal(errno_to_blk_status(0), BLK_STS_OK);
	assert_int_equal(errno_to_blk_status(-ENOMEM), BLK_STS_RESOURCE);
	assert_int_equal(errno_to_blk_status(-EINVAL), BLK_STS_INVAL);
	assert_int_equal(errno_to_blk_status(-EPERM), BLK_STS_IOERR);
	assert_int_equal(blk_status_to_errno(BLK_STS_RESOURCE), -ENOMEM);
	assert_int_equal(blk_status_to_errno(BLK_STS_INVAL), -EINVAL);
	assert_int_equal(blk_status_to_errno(200), -EIO);
	free(rq);
	blk_put(f->m, NULL, &b);
}

/* ------------------------------------------------------------------------ */
/* P2PDMA                                                                   */
/* ------------------------------------------------------------------------ */

static int bar_of_size(struct pci_dev *pdev, resource_size_t size)
{
	for (int bar = 0; bar < 6; bar++)
		if (pci_resource_len(pdev, bar) == size)
			return bar;
	fail_msg("no BAR of %#llx bytes", (unsigned long long)size);
	return -1;
}

/* The NVMe's CMB below the same switch: PCI bus addresses, no unmap. */
static void test_p2p_bus_addr(void **state)
{
	struct fx *f = *state;
	int bar = bar_of_size(f->nvme, SZ_1M);
	struct blk b = p2p_get(f->nvme, bar, SZ_1M);
	struct request rq;
	struct mapping *mp = malloc(sizeof(*mp));
	struct expect e = { .map = PCI_P2PDMA_MAP_BUS_ADDR, .nsegs = 4 };
	struct sim_dma_stats before, after;

	assert_non_null(mp);
	assert_int_equal(pci_p2pdma_map_type(pcim_p2pdma_provider(f->nvme, bar),
					     f->dev), PCI_P2PDMA_MAP_BUS_ADDR);
	for (int op = REQ_OP_READ; op <= REQ_OP_WRITE; op++) {
		blk_rq_init(&f->q, &rq, (blk_opf_t)op);
		add_chunks(f->m, &rq, &b, f->g, 4, 2 * f->g, 0, 0);
		sim_dma_stats_get(f->m, &before);
		do_io(f, f->dev, &rq, &e, 60 + op);
		sim_dma_stats_get(f->m, &after);
		assert_true(after.p2p_accesses > before.p2p_accesses);
		assert_int_equal(after.maps, before.maps);
	}
	/* the addresses are the CMB's bus addresses; nothing is mapped */
	assert_int_equal(map_rq(&rq, f->dev, mp), BLK_STS_OK);
	assert_true(rq.cmd_flags & REQ_P2PDMA);
	for (unsigned int i = 0; i < mp->nsegs; i++)
		assert_int_equal(mp->addr[i], pci_bus_address(f->nvme, bar) +
				 2 * i * f->g);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_true(blk_rq_dma_unmap(&rq, f->dev, &mp->st, mp->total, mp->map));
	/* a RAM page never joins a P2P request */
	{
		struct blk r = ram_get(f->m, SZ_4K);

		assert_int_equal(blk_rq_add_page(&rq, r.pg, SZ_4K, 0), -EINVAL);
		blk_put(f->m, NULL, &r);
	}
	free(mp);
	blk_put(f->m, f->nvme, &b);
}

/* A GPU BAR through the host bridge: mapped as MMIO (IOVA when translated). */
static void test_p2p_thru_host_bridge(void **state)
{
	struct fx *f = *state;
	struct blk b = p2p_get(f->gpu, 2, SZ_1M);
	struct request rq;
	struct expect e = { .map = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, .nsegs = 4 };
	struct sim_dma_stats before, after;

	assert_int_equal(pci_p2pdma_map_type(pcim_p2pdma_provider(f->gpu, 0),
					     f->dev),
			 PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	e.coalesced = iova(f, f->dev);
	for (int op = REQ_OP_READ; op <= REQ_OP_WRITE; op++) {
		blk_rq_init(&f->q, &rq, (blk_opf_t)op);
		add_chunks(f->m, &rq, &b, f->g, 4, 2 * f->g, 0, 0);
		sim_dma_stats_get(f->m, &before);
		do_io(f, f->dev, &rq, &e, 70 + op);
		sim_dma_stats_get(f->m, &after);
		assert_true(after.p2p_accesses > before.p2p_accesses);
		/* MMIO is never bounced */
		assert_int_equal(after.bounced_maps, before.bounced_maps);
	}
	blk_put(f->m, f->gpu, &b);
}

/* A BAR behind a host bridge that denies P2P: refused, nothing mapped. */
static void test_p2p_not_supported(void **state)
{
	struct fx *f = *state;
	struct blk b = p2p_get(f->far, 0, SZ_64K);
	struct blk r = ram_get(f->m, SZ_4K);
	struct request rq;
	struct mapping *mp = malloc(sizeof(*mp));

	assert_non_null(mp);
	assert_int_equal(pci_p2pdma_map_type(pcim_p2pdma_provider(f->far, 0),
					     f->dev),
			 PCI_P2PDMA_MAP_NOT_SUPPORTED);
	blk_rq_init(&f->q, &rq, REQ_OP_WRITE);
	add_chunks(f->m, &rq, &b, SZ_4K, 4, SZ_8K, 0, 0);
	assert_int_equal(map_rq(&rq, f->dev, mp), BLK_STS_INVAL);
	assert_false(rq.cmd_flags & REQ_P2PDMA);
	/* the P2PDMA layer says why, once */
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "cannot be used for peer-to-peer DMA"));
	sim_report_clear(f->m);
	check_clean(f);

	/* a hand-made mix of RAM and P2P is refused before mapping */
	blk_rq_init(&f->q, &rq, REQ_OP_WRITE);
	assert_int_equal(blk_rq_add_page(&rq, r.pg, SZ_4K, 0), 0);
	rq.bvecs[1] = (struct bio_vec){ .bv_page = b.pg, .bv_len = SZ_4K };
	rq.nr_bvecs = 2;
	rq.__data_len += SZ_4K;
	assert_int_equal(map_rq(&rq, f->dev, mp), BLK_STS_INVAL);
	check_clean(f);
	free(mp);
	blk_put(f->m, NULL, &r);
	blk_put(f->m, f->far, &b);
}

/* ------------------------------------------------------------------------ */
/* Failures                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * A link failing in the middle: the first segment is linked, the second
 * needs a bounce slot (the untrusted device, a tail ending inside a
 * granule) and the swiotlb pool is full. Everything linked is unlinked, the
 * IOVA freed, the status says so, and nothing is unmapped twice.
 */
static void test_mid_request_link_failure(void **state)
{
	struct fx *f = *state;
	struct blk hog, b;
	struct dma_iova_state *hogs;
	unsigned int nhogs = 0, max_hogs;
	struct mapping *mp;
	struct request rq;
	unsigned long pages;
	long live;

	if (!dev_translated(f->ut))
		skip();
	hog = ram_get(f->m, SZ_4M);
	b = ram_get(f->m, 4 * f->g);
	max_hogs = (unsigned int)(hog.size / SZ_2K);
	hogs = calloc(max_hogs, sizeof(*hogs));
	mp = malloc(sizeof(*mp));
	assert_non_null(hogs);
	assert_non_null(mp);
	blk_rq_init(&f->q, &rq, REQ_OP_WRITE);
	add_chunks(f->m, &rq, &b, f->g, 2, 2 * f->g, 0, 1024);
	/* it works while there are bounce slots; then take the baseline */
	assert_int_equal(map_rq(&rq, f->ut, mp), BLK_STS_OK);
	assert_true(mp->coalesced);
	assert_true(swiotlb_used(f->ut) > 0);
	unmap_rq(&rq, f->ut, mp);
	check_clean(f);
	pages = sim_ram_pages_allocated(f->m);
	live = sim_alloc_live(f->m);

	/*
	 * Fill the pool with the untrusted device's own bounced tails: IOVA
	 * ranges each linking 1K, bounced in one slot as the request's tail.
	 */
	for (;;) {
		struct dma_iova_state *st = &hogs[nhogs];
		phys_addr_t phys = hog.phys + (nhogs % (hog.size / f->g)) * f->g;

		assert_true(nhogs < max_hogs);
		assert_true(dma_iova_try_alloc(f->ut, st, phys, 1024));
		if (dma_iova_link(f->ut, st, phys, 0, 1024, DMA_TO_DEVICE, 0)) {
			dma_iova_free(f->ut, st);
			break;
		}
		assert_int_equal(dma_iova_sync(f->ut, st, 0, 1024), 0);
		nhogs++;
	}
	assert_true(nhogs > 0);

	assert_int_equal(map_rq(&rq, f->ut, mp), BLK_STS_RESOURCE);
	/* nothing of the request is linked, and the state says so */
	assert_false(dma_use_iova(&mp->st));
	assert_int_equal(sim_dma_debug_entries(f->m, f->ut), nhogs);
	/* a driver that unmaps anyway finds nothing to undo */
	assert_false(blk_rq_dma_unmap(&rq, f->ut, &mp->st, 0,
				      PCI_P2PDMA_MAP_NONE));
	while (nhogs--)
		dma_iova_destroy(f->ut, &hogs[nhogs], 1024, DMA_TO_DEVICE, 0);
	/* only the "swiotlb buffer is full" warnings */
	check_clean_warn(f, true);
	sim_report_clear(f->m);
	assert_int_equal(sim_ram_pages_allocated(f->m), pages);
	assert_int_equal(sim_alloc_live(f->m), live);

	/* and with slots again, the same request maps */
	assert_int_equal(map_rq(&rq, f->ut, mp), BLK_STS_OK);
	unmap_rq(&rq, f->ut, mp);
	check_clean(f);
	free(hogs);
	free(mp);
	blk_put(f->m, NULL, &hog);
	blk_put(f->m, NULL, &b);
}

struct blk_sweep {
	struct fx *f;
	struct device *dev;
	struct request *rq;
	struct mapping *mp;
};

static int blk_sweep_run(void *ctx)
{
	struct blk_sweep *w = ctx;
	blk_status_t st = map_rq(w->rq, w->dev, w->mp);

	if (st == BLK_STS_OK) {
		unmap_rq(w->rq, w->dev, w->mp);
		return 0;
	}
	assert_int_equal(st, BLK_STS_RESOURCE);
	return -ENOMEM;
}

/* An injected failure may be warned about (swiotlb full), nothing else. */
static void blk_sweep_check(void *ctx, unsigned long n, int ret)
{
	struct blk_sweep *w = ctx;

	check_clean_warn(w->f, n != 0);
	sim_report_clear(w->f->m);
}

/* start/next/unmap with the Nth allocation failing, for every N. */
static void sweep(struct fx *f, struct device *dev, size_t first_off,
		  size_t last_len)
{
	struct blk b = ram_get(f->m, 16 * f->g);
	struct mapping *mp = malloc(sizeof(*mp));
	struct request rq;
	struct blk_sweep w = { .f = f, .dev = dev, .rq = &rq, .mp = mp };
	char name[96];
	/*
	 * A failed allocation may drop cached memory (IOVA magazines): the
	 * baseline only ever goes down, and must never go up.
	 */
	struct failnth fn = {
		.name = name, .m = f->m, .ctx = &w, .run = blk_sweep_run,
		.check = blk_sweep_check, .flags = FAILNTH_MAY_SHRINK,
	};

	assert_non_null(mp);
	snprintf(name, sizeof(name), "%s %s", f->v->name, dev_name(dev));
	blk_rq_init(&f->q, &rq, REQ_OP_WRITE);
	add_chunks(f->m, &rq, &b, f->g, 8, 2 * f->g, first_off, last_len);
	failnth_sweep(&fn);
	/* something in the mapping allocates on every path but the direct */
	if (dev_translated(dev) && !fn.failed)
		fail_msg("%s: no failure in %lu runs", name, fn.runs);
	free(mp);
	blk_put(f->m, NULL, &b);
}

static void test_fail_nth_sweep(void **state)
{
	struct fx *f = *state;

	sweep(f, f->dev, 0, 0);
	sweep(f, f->dev, 512, 1024);
	sweep(f, f->ut, 512, 1024);
	sweep(f, f->dev32, 512, 1024);
}

/* ------------------------------------------------------------------------ */

#define VT(fn, v, name) { #fn " [" name "]", fn, fx_setup, fx_teardown, \
			  (void *)&(v) }
#define ALL(fn)	VT(fn, variant_direct, "direct"), \
		VT(fn, variant_x86_strict, "x86_64/4K/strict"), \
		VT(fn, variant_x86_lazy, "x86_64/4K/lazy"), \
		VT(fn, variant_arm64_64k_strict_noncoherent, "arm64-lpae/64K/strict"), \
		VT(fn, variant_x86_passthrough, "passthrough"), \
		VT(fn, variant_arm64_16k_lazy, "arm64-lpae/16K/lazy"), \
		VT(fn, variant_arm64_4k_lazy_noncoherent, \
		   "arm64-lpae/4K/lazy noncoherent")

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_one_page),
		ALL(test_32_pages),
		ALL(test_1m),
		ALL(test_unaligned_first_last),
		ALL(test_middle_unaligned),
		ALL(test_merge_contiguous),
		VT(test_gap_mask_incremental, variant_direct, "direct"),
		ALL(test_untrusted),
		VT(test_build_request, variant_direct, "direct"),
		ALL(test_p2p_bus_addr),
		ALL(test_p2p_thru_host_bridge),
		ALL(test_p2p_not_supported),
		ALL(test_mid_request_link_failure),
		ALL(test_fail_nth_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
