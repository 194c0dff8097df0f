// SPDX-License-Identifier: MIT
/*
 * Legacy struct dma_map_ops through the public DMA API (kernel/dma/mapping.c):
 * a recording "arch IOMMU" installed with set_dma_ops() must see every
 * streaming, sg, sync, allocation, mask and limit call with the caller's
 * arguments, while dma-debug and tracing keep working around it. Also: ops
 * with callbacks missing, map_sg error codes, dma_ops_bypass, dma_parms
 * accessors, the trace file, the report log, and the IOMMU queries on a
 * machine without an IOMMU.
 */
#include <limits.h>
#include <stdint.h>
#include "api_scenario.h"
#include "failnth.h"
#include "variants.h"

/* Recognisable DMA addresses handed out by the recording ops. */
#define IOVA_MAP	0x1000000000ULL	/* map_page, map_sg: + phys */
#define IOVA_RES	0x2000000000ULL	/* map_resource: + phys */
#define IOVA_COH	0x3000000000ULL	/* alloc: + phys */
#define IOVA_PAGES	0x4000000000ULL	/* alloc_pages_op: + phys */

#define REC_REQUIRED_MASK	DMA_BIT_MASK(36)
#define REC_MAX_MAPPING		(128 * SZ_1K)
#define REC_OPT_MAPPING		(32 * SZ_1K)

/* ------------------------------------------------------------------------ */
/* The recording "arch IOMMU"                                               */
/* ------------------------------------------------------------------------ */

struct call {
	int n;
	struct device *dev;
	struct page *page;
	unsigned long offset;
	phys_addr_t phys;
	dma_addr_t addr;
	size_t size;
	enum dma_data_direction dir;
	unsigned long attrs;
	struct scatterlist *sg;
	int nents;
	gfp_t gfp;
	void *vaddr;
	u64 mask;
};

static struct {
	struct call map_page, unmap_page, map_sg, unmap_sg;
	struct call map_resource, unmap_resource;
	struct call sync_single_for_cpu, sync_single_for_device;
	struct call sync_sg_for_cpu, sync_sg_for_device;
	struct call alloc, free, alloc_pages, free_pages;
	struct call dma_supported, get_required_mask;
	struct call max_mapping_size, opt_mapping_size;
	/* behaviour */
	int map_sg_ret;		/* nonzero: map_sg returns this, maps nothing */
	bool map_sg_zero;	/* map_sg returns 0 */
	bool map_sg_merge;	/* coalesce a contiguous list into one segment */
	unsigned int supported_min_bits;
	size_t opt_size;
	/* alloc and alloc_pages_op calls that got no memory */
	int alloc_failed, alloc_pages_failed;
} rec;

static void rec_reset(void)
{
	memset(&rec, 0, sizeof(rec));
	rec.supported_min_bits = 32;
	rec.opt_size = REC_OPT_MAPPING;
}

static dma_addr_t rec_map_page(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir, unsigned long attrs)
{
	struct call *c = &rec.map_page;

	c->n++;
	c->dev = dev;
	c->page = page;
	c->offset = offset;
	c->size = size;
	c->dir = dir;
	c->attrs = attrs;
	return IOVA_MAP + page_to_phys(page) + offset;
}

static void rec_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	struct call *c = &rec.unmap_page;

	c->n++;
	c->dev = dev;
	c->addr = addr;
	c->size = size;
	c->dir = dir;
	c->attrs = attrs;
}

static int rec_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct call *c = &rec.map_sg;
	struct scatterlist *s;
	int i;

	c->n++;
	c->dev = dev;
	c->sg = sgl;
	c->nents = nents;
	c->dir = dir;
	c->attrs = attrs;
	if (rec.map_sg_ret)
		return rec.map_sg_ret;
	if (rec.map_sg_zero)
		return 0;
	if (rec.map_sg_merge) {
		unsigned int total = 0;

		for_each_sg(sgl, s, nents, i) {
			total += s->length;
			if (i)
				sg_dma_len(s) = 0;
		}
		sg_dma_address(sgl) = IOVA_MAP + sg_phys(sgl);
		sg_dma_len(sgl) = total;
		return 1;
	}
	for_each_sg(sgl, s, nents, i) {
		sg_dma_address(s) = IOVA_MAP + sg_phys(s);
		sg_dma_len(s) = s->length;
	}
	return nents;
}

static void rec_unmap_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct call *c = &rec.unmap_sg;

	c->n++;
	c->dev = dev;
	c->sg = sgl;
	c->nents = nents;
	c->dir = dir;
	c->attrs = attrs;
}

static dma_addr_t rec_map_resource(struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	struct call *c = &rec.map_resource;

	c->n++;
	c->dev = dev;
	c->phys = phys;
	c->size = size;
	c->dir = dir;
	c->attrs = attrs;
	return IOVA_RES + phys;
}

static void rec_unmap_resource(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct call *c = &rec.unmap_resource;

	c->n++;
	c->dev = dev;
	c->addr = addr;
	c->size = size;
	c->dir = dir;
	c->attrs = attrs;
}

static void rec_sync_single(struct call *c, struct device *dev,
			    dma_addr_t addr, size_t size,
			    enum dma_data_direction dir)
{
	c->n++;
	c->dev = dev;
	c->addr = addr;
	c->size = size;
	c->dir = dir;
}

static void rec_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir)
{
	rec_sync_single(&rec.sync_single_for_cpu, dev, addr, size, dir);
}

static void rec_sync_single_for_device(struct device *dev, dma_addr_t addr,
				       size_t size,
				       enum dma_data_direction dir)
{
	rec_sync_single(&rec.sync_single_for_device, dev, addr, size, dir);
}

static void rec_sync_sg(struct call *c, struct device *dev,
			struct scatterlist *sg, int nents,
			enum dma_data_direction dir)
{
	c->n++;
	c->dev = dev;
	c->sg = sg;
	c->nents = nents;
	c->dir = dir;
}

static void rec_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
				int nents, enum dma_data_direction dir)
{
	rec_sync_sg(&rec.sync_sg_for_cpu, dev, sg, nents, dir);
}

static void rec_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
				   int nents, enum dma_data_direction dir)
{
	rec_sync_sg(&rec.sync_sg_for_device, dev, sg, nents, dir);
}

static void *rec_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		       gfp_t gfp, unsigned long attrs)
{
	struct call *c = &rec.alloc;
	struct page *page;

	c->n++;
	c->dev = dev;
	c->size = size;
	c->gfp = gfp;
	c->attrs = attrs;
	page = sim_alloc_pages(dev->sim, (unsigned int)get_order(size));
	if (!page) {
		rec.alloc_failed++;
		return NULL;
	}
	c->page = page;
	c->addr = IOVA_COH + page_to_phys(page);
	*handle = c->addr;
	return page_address(page);
}

static void rec_free(struct device *dev, size_t size, void *vaddr,
		     dma_addr_t handle, unsigned long attrs)
{
	struct call *c = &rec.free;

	c->n++;
	c->dev = dev;
	c->size = size;
	c->vaddr = vaddr;
	c->addr = handle;
	c->attrs = attrs;
	sim_free_pages(dev->sim, sim_virt_to_page(dev->sim, vaddr),
		       (unsigned int)get_order(size));
}

static struct page *rec_alloc_pages(struct device *dev, size_t size,
				    dma_addr_t *handle,
				    enum dma_data_direction dir, gfp_t gfp)
{
	struct call *c = &rec.alloc_pages;
	struct page *page;

	c->n++;
	c->dev = dev;
	c->size = size;
	c->dir = dir;
	c->gfp = gfp;
	page = sim_alloc_pages(dev->sim, (unsigned int)get_order(size));
	if (!page) {
		rec.alloc_pages_failed++;
		return NULL;
	}
	c->page = page;
	c->addr = IOVA_PAGES + page_to_phys(page);
	*handle = c->addr;
	return page;
}

static void rec_free_pages(struct device *dev, size_t size, struct page *page,
			   dma_addr_t handle, enum dma_data_direction dir)
{
	struct call *c = &rec.free_pages;

	c->n++;
	c->dev = dev;
	c->size = size;
	c->page = page;
	c->addr = handle;
	c->dir = dir;
	sim_free_pages(dev->sim, page, (unsigned int)get_order(size));
}

static int rec_dma_supported(struct device *dev, u64 mask)
{
	struct call *c = &rec.dma_supported;

	c->n++;
	c->dev = dev;
	c->mask = mask;
	return mask >= DMA_BIT_MASK(rec.supported_min_bits);
}

static u64 rec_get_required_mask(struct device *dev)
{
	rec.get_required_mask.n++;
	rec.get_required_mask.dev = dev;
	return REC_REQUIRED_MASK;
}

static size_t rec_max_mapping_size(struct device *dev)
{
	rec.max_mapping_size.n++;
	rec.max_mapping_size.dev = dev;
	return REC_MAX_MAPPING;
}

static size_t rec_opt_mapping_size(void)
{
	rec.opt_mapping_size.n++;
	return rec.opt_size;
}

static const struct dma_map_ops rec_ops = {
	.alloc = rec_alloc,
	.free = rec_free,
	.alloc_pages_op = rec_alloc_pages,
	.free_pages = rec_free_pages,
	.map_page = rec_map_page,
	.unmap_page = rec_unmap_page,
	.map_sg = rec_map_sg,
	.unmap_sg = rec_unmap_sg,
	.map_resource = rec_map_resource,
	.unmap_resource = rec_unmap_resource,
	.sync_single_for_cpu = rec_sync_single_for_cpu,
	.sync_single_for_device = rec_sync_single_for_device,
	.sync_sg_for_cpu = rec_sync_sg_for_cpu,
	.sync_sg_for_device = rec_sync_sg_for_device,
	.dma_supported = rec_dma_supported,
	.get_required_mask = rec_get_required_mask,
	.max_mapping_size = rec_max_mapping_size,
	.opt_mapping_size = rec_opt_mapping_size,
};

/* Streaming only: no resource, allocation, sync or limit callbacks. */
static const struct dma_map_ops min_ops = {
	.map_page = rec_map_page,
	.unmap_page = rec_unmap_page,
	.map_sg = rec_map_sg,
	.unmap_sg = rec_unmap_sg,
};

/* map_resource without unmap_resource. */
static const struct dma_map_ops res_no_unmap_ops = {
	.map_page = rec_map_page,
	.unmap_page = rec_unmap_page,
	.map_resource = rec_map_resource,
};

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

static struct page *alloc_pages_checked(struct sim_machine *m,
					unsigned int order)
{
	struct page *p = sim_alloc_pages(m, order);

	assert_non_null(p);
	return p;
}

/* The struct page of the @i-th page of a block. */
static struct page *nth_page(struct sim_machine *m, struct page *head, int i)
{
	struct page *p = sim_phys_to_page(m, page_to_phys(head) +
					  (phys_addr_t)i * PAGE_SIZE);

	assert_non_null(p);
	return p;
}

static struct sim_dma_stats stats(struct sim_machine *m)
{
	struct sim_dma_stats s;

	sim_dma_stats_get(m, &s);
	return s;
}

static long file_size(FILE *f)
{
	long len;

	assert_int_equal(fflush(f), 0);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	return len;
}

static char *slurp(FILE *f)
{
	long len = file_size(f);
	char *s = calloc(1, (size_t)len + 1);

	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
	return s;
}

/*
 * The (only) trace line of @event for @dev, copied into @buf; fails the test
 * when there is none or more than one.
 */
static void trace_line(const char *out, const char *event, struct device *dev,
		       char *buf, size_t len)
{
	char needle[128];
	const char *p, *end;

	snprintf(needle, sizeof(needle), ": %s: %s ", event, dev_name(dev));
	p = strstr(out, needle);
	if (!p)
		fail_msg("no trace line for '%s'", needle);
	if (strstr(p + strlen(needle), needle))
		fail_msg("more than one trace line for '%s'", needle);
	while (p > out && p[-1] != '\n')
		p--;
	end = strchr(p, '\n');
	assert_non_null(end);
	assert_true((size_t)(end - p) < len);
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* ------------------------------------------------------------------------ */
/* 1. Streaming dispatch                                                    */
/* ------------------------------------------------------------------------ */

static void test_map_phys_page_single_dispatch(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 1);
	struct page *pg1 = nth_page(m, pg, 1);
	phys_addr_t phys = page_to_phys(pg);
	struct sim_dma_stats s0 = stats(m), s1;
	dma_addr_t a1, a2, a3, a4;

	rec_reset();
	set_dma_ops(dev, &rec_ops);
	assert_ptr_equal(get_dma_ops(dev), &rec_ops);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* dma_map_phys: RAM goes to map_page with its struct page and offset */
	a1 = dma_map_phys(dev, phys + 0x40, 512, DMA_FROM_DEVICE,
			  DMA_ATTR_WEAK_ORDERING);
	assert_int_equal(dma_mapping_error(dev, a1), 0);
	assert_int_equal(a1, IOVA_MAP + phys + 0x40);
	assert_int_equal(rec.map_page.n, 1);
	assert_ptr_equal(rec.map_page.dev, dev);
	assert_ptr_equal(rec.map_page.page, pg);
	assert_int_equal(rec.map_page.offset, 0x40);
	assert_int_equal(rec.map_page.size, 512);
	assert_int_equal(rec.map_page.dir, DMA_FROM_DEVICE);
	assert_int_equal(rec.map_page.attrs, DMA_ATTR_WEAK_ORDERING);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);

	/* An address in the second page gives map_page that page. */
	a2 = dma_map_phys(dev, phys + PAGE_SIZE + 0x80, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a2), 0);
	assert_int_equal(a2, IOVA_MAP + phys + PAGE_SIZE + 0x80);
	assert_int_equal(rec.map_page.n, 2);
	assert_ptr_equal(rec.map_page.page, pg1);
	assert_int_equal(rec.map_page.offset, 0x80);
	assert_int_equal(rec.map_page.size, 64);
	assert_int_equal(rec.map_page.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.map_page.attrs, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 2);

	/* dma_map_page_attrs: page + offset, attributes passed through */
	a3 = dma_map_page_attrs(dev, pg, 0x100, 256, DMA_TO_DEVICE,
				DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(dma_mapping_error(dev, a3), 0);
	assert_int_equal(a3, IOVA_MAP + phys + 0x100);
	assert_int_equal(rec.map_page.n, 3);
	assert_ptr_equal(rec.map_page.page, pg);
	assert_int_equal(rec.map_page.offset, 0x100);
	assert_int_equal(rec.map_page.size, 256);
	assert_int_equal(rec.map_page.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.map_page.attrs, DMA_ATTR_SKIP_CPU_SYNC);

	/* dma_map_single_attrs: the linear-map address becomes page+offset */
	a4 = dma_map_single_attrs(dev, (char *)page_address(pg) + 0x200, 128,
				  DMA_BIDIRECTIONAL, DMA_ATTR_NO_WARN);
	assert_int_equal(dma_mapping_error(dev, a4), 0);
	assert_int_equal(a4, IOVA_MAP + phys + 0x200);
	assert_int_equal(rec.map_page.n, 4);
	assert_ptr_equal(rec.map_page.page, pg);
	assert_int_equal(rec.map_page.offset, 0x200);
	assert_int_equal(rec.map_page.size, 128);
	assert_int_equal(rec.map_page.dir, DMA_BIDIRECTIONAL);
	assert_int_equal(rec.map_page.attrs, DMA_ATTR_NO_WARN);
	assert_int_equal(sim_dma_debug_entries(m, dev), 4);

	/* DMA_ATTR_MMIO is refused by the page wrapper before any op. */
	assert_int_equal(dma_map_page_attrs(dev, pg, 0, 64, DMA_TO_DEVICE,
					    DMA_ATTR_MMIO),
			 DMA_MAPPING_ERROR);
	assert_int_equal(rec.map_page.n, 4);
	assert_int_equal(rec.map_resource.n, 0);
	assert_int_equal(rec.map_sg.n, 0);

	/* Unmaps reach unmap_page with the caller's arguments. */
	dma_unmap_phys(dev, a1, 512, DMA_FROM_DEVICE, DMA_ATTR_WEAK_ORDERING);
	assert_int_equal(rec.unmap_page.n, 1);
	assert_ptr_equal(rec.unmap_page.dev, dev);
	assert_int_equal(rec.unmap_page.addr, a1);
	assert_int_equal(rec.unmap_page.size, 512);
	assert_int_equal(rec.unmap_page.dir, DMA_FROM_DEVICE);
	assert_int_equal(rec.unmap_page.attrs, DMA_ATTR_WEAK_ORDERING);
	assert_int_equal(sim_dma_debug_entries(m, dev), 3);

	dma_unmap_page(dev, a2, 64, DMA_TO_DEVICE);
	assert_int_equal(rec.unmap_page.n, 2);
	assert_int_equal(rec.unmap_page.addr, a2);
	assert_int_equal(rec.unmap_page.size, 64);
	assert_int_equal(rec.unmap_page.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.unmap_page.attrs, 0);

	dma_unmap_page_attrs(dev, a3, 256, DMA_TO_DEVICE,
			     DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(rec.unmap_page.n, 3);
	assert_int_equal(rec.unmap_page.addr, a3);
	assert_int_equal(rec.unmap_page.size, 256);
	assert_int_equal(rec.unmap_page.attrs, DMA_ATTR_SKIP_CPU_SYNC);

	dma_unmap_single_attrs(dev, a4, 128, DMA_BIDIRECTIONAL,
			       DMA_ATTR_NO_WARN);
	assert_int_equal(rec.unmap_page.n, 4);
	assert_int_equal(rec.unmap_page.addr, a4);
	assert_int_equal(rec.unmap_page.size, 128);
	assert_int_equal(rec.unmap_page.dir, DMA_BIDIRECTIONAL);
	assert_int_equal(rec.unmap_page.attrs, DMA_ATTR_NO_WARN);

	/* Nothing went elsewhere; dma-debug saw every map and unmap. */
	assert_int_equal(rec.unmap_resource.n, 0);
	assert_int_equal(rec.unmap_sg.n, 0);
	assert_int_equal(rec.sync_single_for_cpu.n, 0);
	assert_int_equal(rec.sync_single_for_device.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	s1 = stats(m);
	assert_int_equal(s1.maps - s0.maps, 4);
	assert_int_equal(s1.unmaps - s0.unmaps, 4);
	assert_int_equal(s1.bounced_maps, s0.bounced_maps);
	sim_free_pages(m, pg, 1);
	sim_machine_destroy(m);
}

static void test_map_resource_dispatch(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	phys_addr_t bar = bar_of(m, "peer", 0);
	struct page *pg = alloc_pages_checked(m, 0);
	dma_addr_t a, b;

	rec_reset();
	set_dma_ops(dev, &rec_ops);

	/* dma_map_resource -> map_resource with DMA_ATTR_MMIO added */
	a = dma_map_resource(dev, bar + 0x100, 0x200, DMA_BIDIRECTIONAL,
			     DMA_ATTR_PRIVILEGED);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(a, IOVA_RES + bar + 0x100);
	assert_int_equal(rec.map_resource.n, 1);
	assert_ptr_equal(rec.map_resource.dev, dev);
	assert_int_equal(rec.map_resource.phys, bar + 0x100);
	assert_int_equal(rec.map_resource.size, 0x200);
	assert_int_equal(rec.map_resource.dir, DMA_BIDIRECTIONAL);
	assert_int_equal(rec.map_resource.attrs,
			 DMA_ATTR_PRIVILEGED | DMA_ATTR_MMIO);
	assert_int_equal(rec.map_page.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);

	/* dma_map_phys with DMA_ATTR_MMIO takes the same path. */
	b = dma_map_phys(dev, bar + 0x1000, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_int_equal(dma_mapping_error(dev, b), 0);
	assert_int_equal(b, IOVA_RES + bar + 0x1000);
	assert_int_equal(rec.map_resource.n, 2);
	assert_int_equal(rec.map_resource.phys, bar + 0x1000);
	assert_int_equal(rec.map_resource.size, 4096);
	assert_int_equal(rec.map_resource.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.map_resource.attrs, DMA_ATTR_MMIO);
	assert_int_equal(rec.map_page.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 2);

	dma_unmap_resource(dev, a, 0x200, DMA_BIDIRECTIONAL,
			   DMA_ATTR_PRIVILEGED);
	assert_int_equal(rec.unmap_resource.n, 1);
	assert_ptr_equal(rec.unmap_resource.dev, dev);
	assert_int_equal(rec.unmap_resource.addr, a);
	assert_int_equal(rec.unmap_resource.size, 0x200);
	assert_int_equal(rec.unmap_resource.dir, DMA_BIDIRECTIONAL);
	assert_int_equal(rec.unmap_resource.attrs,
			 DMA_ATTR_PRIVILEGED | DMA_ATTR_MMIO);
	dma_unmap_phys(dev, b, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_int_equal(rec.unmap_resource.n, 2);
	assert_int_equal(rec.unmap_resource.addr, b);
	assert_int_equal(rec.unmap_resource.size, 4096);
	assert_int_equal(rec.unmap_resource.attrs, DMA_ATTR_MMIO);
	assert_int_equal(rec.unmap_page.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);

	/* dma-debug on: dma_map_resource of RAM is refused before the ops. */
	a = dma_map_resource(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(rec.map_resource.n, 2);
	assert_int_equal(rec.map_page.n, 0);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "dma_map_resource called for RAM address"));
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Scatterlists                                                             */
/* ------------------------------------------------------------------------ */

static void test_sg_dispatch(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 2);
	struct scatterlist sg[3];
	struct sg_table sgt;
	int i;

	rec_reset();
	set_dma_ops(dev, &rec_ops);

	sg_init_table(sg, 3);
	sg_set_page(&sg[0], pg, 1024, 0);
	sg_set_page(&sg[1], nth_page(m, pg, 1), 512, 0x100);
	sg_set_page(&sg[2], nth_page(m, pg, 2), 2048, 0x800);

	assert_int_equal(dma_map_sg(dev, sg, 3, DMA_TO_DEVICE), 3);
	assert_int_equal(rec.map_sg.n, 1);
	assert_ptr_equal(rec.map_sg.dev, dev);
	assert_ptr_equal(rec.map_sg.sg, sg);
	assert_int_equal(rec.map_sg.nents, 3);
	assert_int_equal(rec.map_sg.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.map_sg.attrs, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(sg_dma_address(&sg[i]),
				 IOVA_MAP + sg_phys(&sg[i]));
		assert_int_equal(sg_dma_len(&sg[i]), sg[i].length);
	}
	assert_int_equal(rec.map_page.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 3);

	dma_unmap_sg(dev, sg, 3, DMA_TO_DEVICE);
	assert_int_equal(rec.unmap_sg.n, 1);
	assert_ptr_equal(rec.unmap_sg.dev, dev);
	assert_ptr_equal(rec.unmap_sg.sg, sg);
	assert_int_equal(rec.unmap_sg.nents, 3);
	assert_int_equal(rec.unmap_sg.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.unmap_sg.attrs, 0);
	assert_int_equal(rec.unmap_page.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* dma_map_sg_attrs passes the attributes. */
	assert_int_equal(dma_map_sg_attrs(dev, sg, 2, DMA_FROM_DEVICE,
					  DMA_ATTR_SKIP_CPU_SYNC), 2);
	assert_int_equal(rec.map_sg.n, 2);
	assert_int_equal(rec.map_sg.nents, 2);
	assert_int_equal(rec.map_sg.dir, DMA_FROM_DEVICE);
	assert_int_equal(rec.map_sg.attrs, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(sim_dma_debug_entries(m, dev), 2);
	dma_unmap_sg_attrs(dev, sg, 2, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(rec.unmap_sg.n, 2);
	assert_int_equal(rec.unmap_sg.nents, 2);
	assert_int_equal(rec.unmap_sg.dir, DMA_FROM_DEVICE);
	assert_int_equal(rec.unmap_sg.attrs, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* dma_map_sgtable: orig_nents in, nents out */
	assert_int_equal(sg_alloc_table(&sgt, 2, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, nth_page(m, pg, 3), 4096, 0);
	sg_set_page(sg_next(sgt.sgl), pg, 64, 0xf00);
	sgt.nents = 0;
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL,
					 DMA_ATTR_NO_WARN), 0);
	assert_int_equal(sgt.nents, 2);
	assert_int_equal(rec.map_sg.n, 3);
	assert_ptr_equal(rec.map_sg.sg, sgt.sgl);
	assert_int_equal(rec.map_sg.nents, 2);
	assert_int_equal(rec.map_sg.dir, DMA_BIDIRECTIONAL);
	assert_int_equal(rec.map_sg.attrs, DMA_ATTR_NO_WARN);
	assert_int_equal(sg_dma_address(sgt.sgl),
			 IOVA_MAP + page_to_phys(pg) + 3 * PAGE_SIZE);
	assert_int_equal(sim_dma_debug_entries(m, dev), 2);
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, DMA_ATTR_NO_WARN);
	assert_int_equal(rec.unmap_sg.n, 3);
	assert_ptr_equal(rec.unmap_sg.sg, sgt.sgl);
	assert_int_equal(rec.unmap_sg.nents, 2);
	assert_int_equal(rec.unmap_sg.attrs, DMA_ATTR_NO_WARN);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	sg_free_table(&sgt);

	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 2);
	sim_machine_destroy(m);
}

/* An IOMMU may coalesce: fewer DMA segments than CPU segments. */
static void test_sg_merged_by_ops(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 2);
	struct sg_table sgt;
	struct scatterlist *s;
	int i;

	rec_reset();
	rec.map_sg_merge = true;
	set_dma_ops(dev, &rec_ops);

	assert_int_equal(sg_alloc_table(&sgt, 3, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, s, i)
		sg_set_page(s, nth_page(m, pg, i), PAGE_SIZE, 0);
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_FROM_DEVICE, 0), 0);
	assert_int_equal(sgt.orig_nents, 3);
	assert_int_equal(sgt.nents, 1);
	assert_int_equal(sg_dma_address(sgt.sgl), IOVA_MAP + page_to_phys(pg));
	assert_int_equal(sg_dma_len(sgt.sgl), 3 * PAGE_SIZE);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);

	/* The sgtable syncs pass orig_nents, as the kernel's do. */
	dma_sync_sgtable_for_cpu(dev, &sgt, DMA_FROM_DEVICE);
	assert_int_equal(rec.sync_sg_for_cpu.n, 1);
	assert_ptr_equal(rec.sync_sg_for_cpu.sg, sgt.sgl);
	assert_int_equal(rec.sync_sg_for_cpu.nents, 3);
	assert_int_equal(rec.sync_sg_for_cpu.dir, DMA_FROM_DEVICE);
	dma_sync_sgtable_for_device(dev, &sgt, DMA_FROM_DEVICE);
	assert_int_equal(rec.sync_sg_for_device.n, 1);
	assert_ptr_equal(rec.sync_sg_for_device.sg, sgt.sgl);
	assert_int_equal(rec.sync_sg_for_device.nents, 3);
	assert_int_equal(rec.sync_sg_for_device.dir, DMA_FROM_DEVICE);

	dma_unmap_sgtable(dev, &sgt, DMA_FROM_DEVICE, 0);
	assert_int_equal(rec.unmap_sg.n, 1);
	assert_int_equal(rec.unmap_sg.nents, 3);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sg_free_table(&sgt);
	sim_free_pages(m, pg, 2);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Syncs                                                                    */
/* ------------------------------------------------------------------------ */

static void test_sync_dispatch(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 1);
	struct scatterlist sg[2];
	struct sg_table sgt;
	struct sim_dma_stats s0, s1;
	dma_addr_t a;

	rec_reset();
	set_dma_ops(dev, &rec_ops);
	/* The ops have sync callbacks: syncs are never skipped. */
	assert_false(dev->dma_skip_sync);

	a = dma_map_phys(dev, page_to_phys(pg), 1024, DMA_FROM_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_true(dma_need_sync(dev, a));
	assert_true(dma_need_unmap(dev));
	s0 = stats(m);

	dma_sync_single_for_cpu(dev, a, 1024, DMA_FROM_DEVICE);
	assert_int_equal(rec.sync_single_for_cpu.n, 1);
	assert_ptr_equal(rec.sync_single_for_cpu.dev, dev);
	assert_int_equal(rec.sync_single_for_cpu.addr, a);
	assert_int_equal(rec.sync_single_for_cpu.size, 1024);
	assert_int_equal(rec.sync_single_for_cpu.dir, DMA_FROM_DEVICE);
	assert_int_equal(rec.sync_single_for_device.n, 0);

	dma_sync_single_for_device(dev, a, 512, DMA_FROM_DEVICE);
	assert_int_equal(rec.sync_single_for_device.n, 1);
	assert_ptr_equal(rec.sync_single_for_device.dev, dev);
	assert_int_equal(rec.sync_single_for_device.addr, a);
	assert_int_equal(rec.sync_single_for_device.size, 512);
	assert_int_equal(rec.sync_single_for_device.dir, DMA_FROM_DEVICE);
	assert_int_equal(rec.sync_single_for_cpu.n, 1);

	sg_init_table(sg, 2);
	sg_set_page(&sg[0], nth_page(m, pg, 1), 256, 0);
	sg_set_page(&sg[1], nth_page(m, pg, 1), 256, 0x400);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 2);

	dma_sync_sg_for_cpu(dev, sg, 2, DMA_TO_DEVICE);
	assert_int_equal(rec.sync_sg_for_cpu.n, 1);
	assert_ptr_equal(rec.sync_sg_for_cpu.dev, dev);
	assert_ptr_equal(rec.sync_sg_for_cpu.sg, sg);
	assert_int_equal(rec.sync_sg_for_cpu.nents, 2);
	assert_int_equal(rec.sync_sg_for_cpu.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.sync_sg_for_device.n, 0);

	dma_sync_sg_for_device(dev, sg, 2, DMA_TO_DEVICE);
	assert_int_equal(rec.sync_sg_for_device.n, 1);
	assert_ptr_equal(rec.sync_sg_for_device.dev, dev);
	assert_ptr_equal(rec.sync_sg_for_device.sg, sg);
	assert_int_equal(rec.sync_sg_for_device.nents, 2);
	assert_int_equal(rec.sync_sg_for_device.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.sync_sg_for_cpu.n, 1);

	/* The sgtable forms go to the sg callbacks. */
	sgt.sgl = sg;
	sgt.orig_nents = 2;
	sgt.nents = 2;
	dma_sync_sgtable_for_cpu(dev, &sgt, DMA_TO_DEVICE);
	assert_int_equal(rec.sync_sg_for_cpu.n, 2);
	assert_ptr_equal(rec.sync_sg_for_cpu.sg, sg);
	assert_int_equal(rec.sync_sg_for_cpu.nents, 2);
	dma_sync_sgtable_for_device(dev, &sgt, DMA_TO_DEVICE);
	assert_int_equal(rec.sync_sg_for_device.n, 2);
	assert_int_equal(rec.sync_sg_for_device.nents, 2);

	/* Single syncs never reach the sg callbacks and vice versa. */
	assert_int_equal(rec.sync_single_for_cpu.n, 1);
	assert_int_equal(rec.sync_single_for_device.n, 1);
	s1 = stats(m);
	assert_int_equal(s1.syncs - s0.syncs, 6);
	assert_int_equal(sim_dma_debug_errors(m), 0);

	/* dma-debug still checks syncs: the wrong direction is reported,
	 * and the op is still called. */
	dma_sync_single_for_cpu(dev, a, 1024, DMA_TO_DEVICE);
	assert_int_equal(rec.sync_single_for_cpu.n, 2);
	assert_int_equal(rec.sync_single_for_cpu.dir, DMA_TO_DEVICE);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "syncs DMA memory with different direction"));

	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	dma_unmap_phys(dev, a, 1024, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	sim_free_pages(m, pg, 1);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Allocations                                                              */
/* ------------------------------------------------------------------------ */

static void test_alloc_coherent_dispatch(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct sim_dma_stats s0 = stats(m), s1;
	unsigned long ram0 = sim_ram_pages_allocated(m);
	dma_addr_t h = 0, h2 = 0;
	void *cpu, *cpu2;

	rec_reset();
	set_dma_ops(dev, &rec_ops);

	cpu = dma_alloc_coherent(dev, 3000, &h, GFP_KERNEL);
	assert_non_null(cpu);
	assert_int_equal(rec.alloc.n, 1);
	assert_ptr_equal(rec.alloc.dev, dev);
	assert_int_equal(rec.alloc.size, 3000);
	assert_int_equal(rec.alloc.gfp, GFP_KERNEL);
	assert_int_equal(rec.alloc.attrs, 0);
	assert_ptr_equal(cpu, page_address(rec.alloc.page));
	assert_int_equal(h, IOVA_COH + page_to_phys(rec.alloc.page));
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);

	/* Zone modifiers are the implementation's choice: they are dropped;
	 * attributes pass through. */
	cpu2 = dma_alloc_attrs(dev, 2 * PAGE_SIZE, &h2,
			       GFP_KERNEL | __GFP_DMA32 | __GFP_ZERO,
			       DMA_ATTR_WRITE_COMBINE);
	assert_non_null(cpu2);
	assert_int_equal(rec.alloc.n, 2);
	assert_int_equal(rec.alloc.size, 2 * PAGE_SIZE);
	assert_int_equal(rec.alloc.gfp, GFP_KERNEL | __GFP_ZERO);
	assert_int_equal(rec.alloc.attrs, DMA_ATTR_WRITE_COMBINE);
	assert_int_equal(h2, IOVA_COH + page_to_phys(rec.alloc.page));
	assert_int_equal(sim_dma_debug_entries(m, dev), 2);
	assert_int_equal(rec.alloc_pages.n, 0);
	assert_int_equal(rec.map_page.n, 0);

	dma_free_coherent(dev, 3000, cpu, h);
	assert_int_equal(rec.free.n, 1);
	assert_ptr_equal(rec.free.dev, dev);
	assert_int_equal(rec.free.size, 3000);
	assert_ptr_equal(rec.free.vaddr, cpu);
	assert_int_equal(rec.free.addr, h);
	assert_int_equal(rec.free.attrs, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);

	dma_free_attrs(dev, 2 * PAGE_SIZE, cpu2, h2, DMA_ATTR_WRITE_COMBINE);
	assert_int_equal(rec.free.n, 2);
	assert_int_equal(rec.free.size, 2 * PAGE_SIZE);
	assert_ptr_equal(rec.free.vaddr, cpu2);
	assert_int_equal(rec.free.addr, h2);
	assert_int_equal(rec.free.attrs, DMA_ATTR_WRITE_COMBINE);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* Freeing NULL never reaches the ops. */
	dma_free_coherent(dev, 4096, NULL, 0);
	assert_int_equal(rec.free.n, 2);

	/* __GFP_COMP is refused with a WARN before the ops. */
	h = 0;
	assert_null(dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL | __GFP_COMP));
	assert_int_equal(rec.alloc.n, 2);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "__GFP_COMP"));

	s1 = stats(m);
	assert_int_equal(s1.coherent_allocs - s0.coherent_allocs, 2);
	assert_int_equal(sim_ram_pages_allocated(m), ram0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_alloc_pages_dispatch(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	unsigned long ram0 = sim_ram_pages_allocated(m);
	unsigned long w0 = sim_report_count_kind(m, SIM_REPORT_WARN);
	struct page *page;
	dma_addr_t h = 0, h2 = 0;
	void *va;

	rec_reset();
	set_dma_ops(dev, &rec_ops);

	/* The size reaches the ops page aligned. */
	page = dma_alloc_pages(dev, 5000, &h, DMA_FROM_DEVICE, GFP_KERNEL);
	assert_non_null(page);
	assert_int_equal(rec.alloc_pages.n, 1);
	assert_ptr_equal(rec.alloc_pages.dev, dev);
	assert_int_equal(rec.alloc_pages.size, 2 * PAGE_SIZE);
	assert_int_equal(rec.alloc_pages.dir, DMA_FROM_DEVICE);
	assert_int_equal(rec.alloc_pages.gfp, GFP_KERNEL);
	assert_ptr_equal(page, rec.alloc_pages.page);
	assert_int_equal(h, IOVA_PAGES + page_to_phys(page));
	assert_int_equal(rec.alloc.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);

	dma_free_pages(dev, 5000, page, h, DMA_FROM_DEVICE);
	assert_int_equal(rec.free_pages.n, 1);
	assert_ptr_equal(rec.free_pages.dev, dev);
	assert_int_equal(rec.free_pages.size, 2 * PAGE_SIZE);
	assert_ptr_equal(rec.free_pages.page, page);
	assert_int_equal(rec.free_pages.addr, h);
	assert_int_equal(rec.free_pages.dir, DMA_FROM_DEVICE);
	assert_int_equal(rec.free.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* dma_alloc_noncoherent / dma_free_noncoherent use the same ops. */
	va = dma_alloc_noncoherent(dev, 100, &h2, DMA_TO_DEVICE,
				   GFP_KERNEL | __GFP_NOWARN);
	assert_non_null(va);
	assert_int_equal(rec.alloc_pages.n, 2);
	assert_int_equal(rec.alloc_pages.size, PAGE_SIZE);
	assert_int_equal(rec.alloc_pages.dir, DMA_TO_DEVICE);
	assert_int_equal(rec.alloc_pages.gfp, GFP_KERNEL | __GFP_NOWARN);
	assert_ptr_equal(va, page_address(rec.alloc_pages.page));
	assert_int_equal(h2, IOVA_PAGES + page_to_phys(rec.alloc_pages.page));
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);
	dma_free_noncoherent(dev, 100, va, h2, DMA_TO_DEVICE);
	assert_int_equal(rec.free_pages.n, 2);
	assert_int_equal(rec.free_pages.size, PAGE_SIZE);
	assert_ptr_equal(page_address(rec.free_pages.page), va);
	assert_int_equal(rec.free_pages.addr, h2);
	assert_int_equal(rec.free_pages.dir, DMA_TO_DEVICE);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* Zone modifiers are refused with a WARN, the ops are not called. */
	h = 0;
	assert_null(dma_alloc_pages(dev, 4096, &h, DMA_TO_DEVICE,
				    GFP_KERNEL | __GFP_DMA32));
	assert_int_equal(rec.alloc_pages.n, 2);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), w0 + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "zone modifiers"));

	assert_int_equal(sim_ram_pages_allocated(m), ram0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Masks and limits                                                         */
/* ------------------------------------------------------------------------ */

static void test_masks_and_limits_dispatch(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	u64 *mask_ptr;
	int max_calls;

	rec_reset();
	set_dma_ops(dev, &rec_ops);

	/* dma_set_mask consults ops->dma_supported */
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(40)), 0);
	assert_int_equal(rec.dma_supported.n, 1);
	assert_ptr_equal(rec.dma_supported.dev, dev);
	assert_int_equal(rec.dma_supported.mask, DMA_BIT_MASK(40));
	assert_int_equal(*dev->dma_mask, DMA_BIT_MASK(40));
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(40));

	/* ... and returns -EIO, leaving the mask alone, when it says no */
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(24)), -EIO);
	assert_int_equal(rec.dma_supported.n, 2);
	assert_int_equal(rec.dma_supported.mask, DMA_BIT_MASK(24));
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(40));

	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(24)), -EIO);
	assert_int_equal(rec.dma_supported.n, 3);
	assert_int_equal(rec.dma_supported.mask, DMA_BIT_MASK(24));
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(64));
	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(36)), 0);
	assert_int_equal(rec.dma_supported.n, 4);
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(36));

	/* dma_set_mask_and_coherent stops at the first refusal */
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(28)),
			 -EIO);
	assert_int_equal(rec.dma_supported.n, 5);
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(40));
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(36));
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	assert_int_equal(rec.dma_supported.n, 7);
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(32));
	assert_int_equal(dev->coherent_dma_mask, DMA_BIT_MASK(32));

	/* the public dma_supported() */
	assert_int_equal(dma_supported(dev, DMA_BIT_MASK(31)), 0);
	assert_int_equal(dma_supported(dev, DMA_BIT_MASK(33)), 1);
	assert_int_equal(rec.dma_supported.n, 9);

	/* no mask pointer: -EIO without asking the ops */
	mask_ptr = dev->dma_mask;
	dev->dma_mask = NULL;
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(64)), -EIO);
	assert_int_equal(rec.dma_supported.n, 9);
	dev->dma_mask = mask_ptr;
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(32));

	/* required mask, addressing limits */
	assert_int_equal(dma_get_required_mask(dev), REC_REQUIRED_MASK);
	assert_int_equal(rec.get_required_mask.n, 1);
	assert_ptr_equal(rec.get_required_mask.dev, dev);
	assert_true(dma_addressing_limited(dev));	/* 32 < 36 bits */
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(40)), 0);
	assert_false(dma_addressing_limited(dev));
	assert_int_equal(rec.dma_supported.n, 10);
	assert_int_equal(rec.get_required_mask.n, 3);

	/* max and opt mapping sizes */
	assert_int_equal(dma_max_mapping_size(dev), REC_MAX_MAPPING);
	assert_int_equal(rec.max_mapping_size.n, 1);
	assert_ptr_equal(rec.max_mapping_size.dev, dev);
	assert_int_equal(dma_opt_mapping_size(dev), REC_OPT_MAPPING);
	assert_int_equal(rec.opt_mapping_size.n, 1);
	assert_int_equal(rec.max_mapping_size.n, 2);
	/* opt is capped by max, and max is asked once (kernel min()). */
	rec.opt_size = 4 * REC_MAX_MAPPING;
	assert_int_equal(dma_opt_mapping_size(dev), REC_MAX_MAPPING);
	assert_int_equal(rec.opt_mapping_size.n, 2);
	assert_int_equal(rec.max_mapping_size.n, 3);
	max_calls = rec.max_mapping_size.n;

	/* Ops without those callbacks: the kernel's defaults. */
	set_dma_ops(dev, &min_ops);
	assert_int_equal(dma_get_required_mask(dev), DMA_BIT_MASK(32));
	assert_int_equal(dma_max_mapping_size(dev), SIZE_MAX);
	assert_int_equal(dma_opt_mapping_size(dev), SIZE_MAX);
	/* no dma_supported: every mask is accepted */
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(20)), 0);
	assert_int_equal(dma_get_mask(dev), DMA_BIT_MASK(20));
	assert_int_equal(rec.dma_supported.n, 10);
	assert_int_equal(rec.get_required_mask.n, 3);
	assert_int_equal(rec.max_mapping_size.n, max_calls);
	assert_int_equal(rec.opt_mapping_size.n, 2);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* dma-debug around the ops                                                 */
/* ------------------------------------------------------------------------ */

static void test_debug_tracks_ops_mappings(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 0);
	phys_addr_t phys = page_to_phys(pg);
	dma_addr_t a, b;
	unsigned long e0;

	rec_reset();
	set_dma_ops(dev, &rec_ops);
	e0 = sim_dma_debug_entries(m, NULL);

	/* An unmap with the wrong size: reported, the entry goes, the op
	 * gets exactly what the driver passed. */
	a = dma_map_phys(dev, phys, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), e0 + 1);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);
	dma_unmap_phys(dev, a, 256, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "frees DMA memory with different size"));
	assert_int_equal(rec.unmap_page.n, 1);
	assert_int_equal(rec.unmap_page.size, 256);
	assert_int_equal(sim_dma_debug_entries(m, NULL), e0);

	/* The wrong direction. */
	a = dma_map_phys(dev, phys, 512, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_phys(dev, a, 512, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 2);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "frees DMA memory with different direction"));

	/* A mapping whose error was never checked. */
	a = dma_map_phys(dev, phys + 0x100, 64, DMA_TO_DEVICE, 0);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 3);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "failed to check map error"));

	/* Unmapping an address the ops never handed out. */
	dma_unmap_phys(dev, IOVA_MAP + 0x5000, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 4);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "tries to free DMA memory it has not allocated"));

	/* A mapping left behind is reported at unbind. */
	b = dma_map_phys(dev, phys + 0x200, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, b), 0);
	sim_device_unbind(dev);
	assert_int_equal(sim_dma_debug_errors(m), 5);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "has pending DMA allocations"));
	dma_unmap_phys(dev, b, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_errors(m), 5);
	assert_int_equal(sim_dma_debug_entries(m, NULL), e0);
	assert_int_equal(rec.unmap_page.n, 5);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* 2. Ops with callbacks missing                                            */
/* ------------------------------------------------------------------------ */

static void test_missing_resource_and_alloc_ops(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	phys_addr_t bar = bar_of(m, "peer", 0);
	struct sim_dma_stats s0, s1;
	struct page *page;
	dma_addr_t a, h = 0x1234;

	rec_reset();
	set_dma_ops(dev, &min_ops);
	s0 = stats(m);

	/* No map_resource: MMIO cannot be mapped, map_page is never tried. */
	a = dma_map_resource(dev, bar, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_not_equal(dma_mapping_error(dev, a), 0);
	a = dma_map_phys(dev, bar + 0x1000, 4096, DMA_FROM_DEVICE,
			 DMA_ATTR_MMIO);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(rec.map_page.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* No alloc: dma_alloc_coherent returns NULL, handle untouched. */
	assert_null(dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL));
	assert_int_equal(h, 0x1234);
	/* No alloc_pages_op: dma_alloc_pages and _noncoherent return NULL. */
	page = dma_alloc_pages(dev, 4096, &h, DMA_TO_DEVICE, GFP_KERNEL);
	assert_null(page);
	assert_null(dma_alloc_noncoherent(dev, 4096, &h, DMA_TO_DEVICE,
					  GFP_KERNEL));
	assert_int_equal(h, 0x1234);
	assert_int_equal(rec.alloc.n, 0);
	assert_int_equal(rec.alloc_pages.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	s1 = stats(m);
	assert_int_equal(s1.coherent_allocs, s0.coherent_allocs);
	assert_int_equal(s1.maps, s0.maps);

	/* map_resource without unmap_resource: the unmap is fine. */
	set_dma_ops(dev, &res_no_unmap_ops);
	a = dma_map_resource(dev, bar + 0x40, 64, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(a, IOVA_RES + bar + 0x40);
	assert_int_equal(rec.map_resource.n, 1);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);
	dma_unmap_resource(dev, a, 64, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(rec.unmap_page.n, 0);
	assert_int_equal(rec.unmap_resource.n, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_machine_destroy(m);
}

static void test_missing_sync_ops(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct_noncoherent);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 0);
	struct scatterlist sg[1];
	struct sim_dma_stats s0, s1;
	FILE *f = tmpfile();
	dma_addr_t a;

	assert_non_null(f);
	rec_reset();
	/* A non-coherent device on dma-direct needs syncs. */
	assert_false(dev->dma_coherent);
	assert_false(dev->dma_skip_sync);

	/* Ops without any sync callback: syncs can be skipped. */
	set_dma_ops(dev, &min_ops);
	assert_true(dev->dma_skip_sync);
	assert_true(sim_dma_debug_enabled(m));

	a = dma_map_phys(dev, page_to_phys(pg), 256, DMA_FROM_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	sg_init_table(sg, 1);
	sg_set_page(sg, pg, 256, 0x800);
	assert_int_equal(dma_map_sg(dev, sg, 1, DMA_FROM_DEVICE), 1);

	/* dma-debug on: the sync calls still run (and are checked). */
	assert_true(dma_need_sync(dev, a));
	assert_true(dma_need_unmap(dev));
	s0 = stats(m);
	dma_sync_single_for_cpu(dev, a, 256, DMA_FROM_DEVICE);
	dma_sync_single_for_device(dev, a, 256, DMA_FROM_DEVICE);
	dma_sync_sg_for_cpu(dev, sg, 1, DMA_FROM_DEVICE);
	dma_sync_sg_for_device(dev, sg, 1, DMA_FROM_DEVICE);
	s1 = stats(m);
	assert_int_equal(s1.syncs - s0.syncs, 4);
	/* a bad sync (beyond the mapping) is seen by dma-debug */
	dma_sync_single_for_cpu(dev, a, 4096, DMA_FROM_DEVICE);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "tries to sync DMA memory it has not allocated"));

	/* dma-debug off: nothing needs a sync and nothing happens. */
	sim_dma_debug_enable(m, false);
	assert_false(dma_need_sync(dev, a));
	assert_true(dma_need_unmap(dev));
	sim_trace_set_file(m, f);
	s0 = stats(m);
	dma_sync_single_for_cpu(dev, a, 4096, DMA_FROM_DEVICE);
	dma_sync_single_for_device(dev, a, 256, DMA_FROM_DEVICE);
	dma_sync_sg_for_cpu(dev, sg, 1, DMA_FROM_DEVICE);
	dma_sync_sg_for_device(dev, sg, 1, DMA_FROM_DEVICE);
	s1 = stats(m);
	assert_int_equal(s1.syncs, s0.syncs);
	assert_int_equal(s1.cache_ops, s0.cache_ops);
	assert_int_equal(sim_trace_events(m), 0);
	sim_trace_set_file(m, NULL);
	assert_int_equal(sim_dma_debug_errors(m), 1);

	/* Installing ops that can sync turns skipping off again. */
	set_dma_ops(dev, &rec_ops);
	assert_false(dev->dma_skip_sync);
	assert_true(dma_need_sync(dev, a));
	dma_sync_single_for_cpu(dev, a, 256, DMA_FROM_DEVICE);
	assert_int_equal(rec.sync_single_for_cpu.n, 1);
	assert_int_equal(rec.sync_single_for_cpu.addr, a);
	dma_sync_sg_for_device(dev, sg, 1, DMA_FROM_DEVICE);
	assert_int_equal(rec.sync_sg_for_device.n, 1);

	/* Back to the bare ops, then debug on again to unmap. */
	set_dma_ops(dev, &min_ops);
	assert_true(dev->dma_skip_sync);
	sim_dma_debug_enable(m, true);
	dma_unmap_sg(dev, sg, 1, DMA_FROM_DEVICE);
	dma_unmap_phys(dev, a, 256, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);

	/* Without ops, the non-coherent device needs syncs again. */
	set_dma_ops(dev, NULL);
	assert_false(dev->dma_skip_sync);
	assert_int_equal(sim_dma_debug_errors(m), 1);
	fclose(f);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* dma_need_unmap: always true off dma-direct, unlike a coherent direct
 * device with dma-debug off. */
static void test_need_unmap_coherent(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 0);
	dma_addr_t a;

	rec_reset();
	sim_dma_debug_enable(m, false);
	assert_true(dev->dma_coherent);
	assert_true(dev->dma_skip_sync);
	assert_false(dma_need_unmap(dev));
	a = dma_map_phys(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	assert_int_equal(a, page_to_phys(pg));
	assert_false(dma_need_sync(dev, a));
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);

	set_dma_ops(dev, &min_ops);
	assert_true(dev->dma_skip_sync);
	assert_true(dma_need_unmap(dev));
	assert_false(dma_need_sync(dev, IOVA_MAP));

	set_dma_ops(dev, &rec_ops);
	assert_false(dev->dma_skip_sync);
	assert_true(dma_need_unmap(dev));
	assert_true(dma_need_sync(dev, IOVA_MAP));

	set_dma_ops(dev, NULL);
	assert_true(dev->dma_skip_sync);
	assert_false(dma_need_unmap(dev));
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* 3. map_sg error codes                                                    */
/* ------------------------------------------------------------------------ */

static void test_map_sg_error_codes(void **state)
{
	static const struct {
		int ret;		/* what ops->map_sg returns */
		int sgtable;		/* what dma_map_sgtable returns */
		bool warn;
	} cases[] = {
		{ -ENOSPC, -EIO, true },
		{ -EFAULT, -EIO, true },
		{ -ENOMEM, -ENOMEM, false },
		{ -EINVAL, -EINVAL, false },
		{ -EIO, -EIO, false },
		{ -EREMOTEIO, -EREMOTEIO, false },
	};
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 0);
	struct sg_table sgt;
	char needle[64];

	rec_reset();
	set_dma_ops(dev, &rec_ops);
	assert_int_equal(sg_alloc_table(&sgt, 2, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, pg, 512, 0);
	sg_set_page(sg_next(sgt.sgl), pg, 512, 0x800);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long w0 = sim_report_count_kind(m, SIM_REPORT_WARN);
		unsigned long e0 = stats(m).map_errors;
		int calls = rec.map_sg.n;

		rec.map_sg_ret = cases[i].ret;
		sgt.nents = 77;
		assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0),
				 cases[i].sgtable);
		assert_int_equal(sgt.nents, 77);
		assert_int_equal(rec.map_sg.n, calls + 1);
		assert_int_equal(rec.map_sg.nents, 2);
		assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN),
				 w0 + (cases[i].warn ? 1 : 0));
		if (cases[i].warn) {
			snprintf(needle, sizeof(needle), "unexpected return %d",
				 cases[i].ret);
			assert_true(sim_report_find(m, SIM_REPORT_WARN, needle));
		}
		/* dma_map_sg turns every error into 0 */
		assert_int_equal(dma_map_sg(dev, sgt.sgl, 2, DMA_TO_DEVICE), 0);
		assert_int_equal(rec.map_sg.n, calls + 2);
		assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN),
				 w0 + (cases[i].warn ? 2 : 0));
		assert_int_equal(stats(m).map_errors, e0 + 2);
		assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	}

	/* A map_sg that maps nothing (returns 0) is unexpected too. */
	rec.map_sg_ret = 0;
	rec.map_sg_zero = true;
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), -EIO);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "unexpected return 0"));
	assert_int_equal(dma_map_sg(dev, sgt.sgl, 2, DMA_TO_DEVICE), 0);
	rec.map_sg_zero = false;

	/* and a working map still works afterwards */
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(sgt.nents, 2);
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	assert_int_equal(rec.unmap_sg.n, 1);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sg_free_table(&sgt);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* 4. dma_ops_bypass                                                        */
/* ------------------------------------------------------------------------ */

static void test_ops_bypass(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = sim_alloc_pages_range(m, 0, SZ_4G, ~0ULL);
	phys_addr_t phys;
	struct scatterlist sg[1];
	dma_addr_t a, h = 0;
	u64 required;
	void *cpu;

	assert_non_null(pg);
	phys = page_to_phys(pg);
	assert_true(phys >= SZ_4G);
	rec_reset();
	set_dma_ops(dev, &rec_ops);

	/* Without bypass, even a 64-bit mask goes to the ops. */
	assert_false(dev->dma_ops_bypass);
	a = dma_map_phys(dev, phys, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(a, IOVA_MAP + phys);
	assert_int_equal(rec.map_page.n, 1);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(rec.unmap_page.n, 1);

	dev->dma_ops_bypass = true;
	/* With a 64-bit coherent mask the required mask is dma-direct's:
	 * RAM ends at 4G + 128M. */
	required = dma_get_required_mask(dev);
	assert_int_equal(required, DMA_BIT_MASK(33));
	assert_int_equal(rec.get_required_mask.n, 0);

	/* A mask covering all RAM: dma-direct, the ops are not called. */
	assert_int_equal(dma_set_mask_and_coherent(dev, required), 0);
	assert_int_equal(rec.dma_supported.n, 2);
	assert_int_equal(rec.dma_supported.mask, required);
	assert_true(dev->dma_skip_sync);	/* coherent, direct */
	a = dma_map_phys(dev, phys + 0x10, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(a, phys + 0x10);
	assert_int_equal(rec.map_page.n, 1);
	assert_int_equal(sim_dma_debug_entries(m, dev), 1);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(rec.unmap_page.n, 1);
	sg_init_table(sg, 1);
	sg_set_page(sg, pg, 128, 0x100);
	assert_int_equal(dma_map_sg(dev, sg, 1, DMA_TO_DEVICE), 1);
	assert_int_equal(sg_dma_address(sg), phys + 0x100);
	assert_int_equal(rec.map_sg.n, 0);
	dma_unmap_sg(dev, sg, 1, DMA_TO_DEVICE);
	assert_int_equal(rec.unmap_sg.n, 0);
	cpu = dma_alloc_coherent(dev, PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(cpu);
	assert_int_equal(rec.alloc.n, 0);
	assert_int_equal(h, sim_virt_to_phys(m, cpu));
	dma_free_coherent(dev, PAGE_SIZE, cpu, h);
	assert_int_equal(rec.free.n, 0);
	assert_int_not_equal(dma_max_mapping_size(dev), REC_MAX_MAPPING);
	assert_int_equal(rec.max_mapping_size.n, 0);
	assert_int_equal(dma_get_required_mask(dev), required);
	assert_int_equal(rec.get_required_mask.n, 0);

	/* A bus limit below the RAM top sends it back to the ops. */
	dev->bus_dma_limit = DMA_BIT_MASK(32);
	a = dma_map_phys(dev, phys, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(a, IOVA_MAP + phys);
	assert_int_equal(rec.map_page.n, 2);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(rec.unmap_page.n, 2);
	dev->bus_dma_limit = 0;

	/* A 32-bit mask: the ops. */
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	assert_false(dev->dma_skip_sync);	/* the ops have syncs */
	a = dma_map_phys(dev, phys + 0x20, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(a, IOVA_MAP + phys + 0x20);
	assert_int_equal(rec.map_page.n, 3);
	assert_ptr_equal(rec.map_page.page, pg);
	assert_int_equal(rec.map_page.offset, 0x20);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(rec.unmap_page.n, 3);
	cpu = dma_alloc_coherent(dev, PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(cpu);
	assert_int_equal(rec.alloc.n, 1);
	assert_int_equal(h, IOVA_COH + sim_virt_to_phys(m, cpu));
	dma_free_coherent(dev, PAGE_SIZE, cpu, h);
	assert_int_equal(rec.free.n, 1);
	assert_int_equal(dma_max_mapping_size(dev), REC_MAX_MAPPING);
	assert_int_equal(dma_get_required_mask(dev), REC_REQUIRED_MASK);
	assert_int_equal(rec.get_required_mask.n, 1);

	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* 5. dma_parms accessors                                                   */
/* ------------------------------------------------------------------------ */

static void test_dma_parms(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct device_dma_parameters *parms = dev->dma_parms;
	unsigned long w0;

	assert_non_null(parms);
	/* PCI defaults */
	assert_int_equal(dma_get_max_seg_size(dev), 65536);
	assert_int_equal(dma_get_seg_boundary(dev), 0xffffffffUL);
	assert_int_equal(dma_get_min_align_mask(dev), 0);

	assert_int_equal(dma_set_max_seg_size(dev, SZ_1M), 0);
	assert_int_equal(dma_get_max_seg_size(dev), SZ_1M);
	assert_int_equal(parms->max_segment_size, SZ_1M);
	assert_int_equal(dma_set_max_seg_size(dev, 0), 0);
	assert_int_equal(dma_get_max_seg_size(dev), SZ_64K);

	assert_int_equal(dma_set_seg_boundary(dev, 0xffff), 0);
	assert_int_equal(dma_get_seg_boundary(dev), 0xffff);
	assert_int_equal(dma_set_seg_boundary(dev, 0), 0);
	assert_int_equal(dma_get_seg_boundary(dev), ULONG_MAX);

	dma_set_min_align_mask(dev, 0xfff);
	assert_int_equal(dma_get_min_align_mask(dev), 0xfff);
	assert_int_equal(parms->min_align_mask, 0xfff);

	assert_int_equal(dma_set_max_seg_size(dev, 8192), 0);
	assert_int_equal(dma_set_seg_boundary(dev, 0x3fff), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), 0);

	/* No dma_parms: kernel defaults; setters WARN (and -EIO). */
	dev->dma_parms = NULL;
	assert_int_equal(dma_get_max_seg_size(dev), SZ_64K);
	assert_int_equal(dma_get_seg_boundary(dev), ULONG_MAX);
	assert_int_equal(dma_get_min_align_mask(dev), 0);
	w0 = sim_report_count_kind(m, SIM_REPORT_WARN);
	assert_int_equal(dma_set_max_seg_size(dev, SZ_1M), -EIO);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), w0 + 1);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "dma_set_max_seg_size"));
	assert_int_equal(dma_set_seg_boundary(dev, 0xfff), -EIO);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), w0 + 2);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "dma_set_seg_boundary"));
	dma_set_min_align_mask(dev, 0x3f);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), w0 + 3);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "dma_set_min_align_mask"));
	assert_int_equal(dma_get_max_seg_size(dev), SZ_64K);
	assert_int_equal(dma_get_min_align_mask(dev), 0);

	/* nothing was written anywhere */
	dev->dma_parms = parms;
	assert_int_equal(dma_get_max_seg_size(dev), 8192);
	assert_int_equal(dma_get_seg_boundary(dev), 0x3fff);
	assert_int_equal(dma_get_min_align_mask(dev), 0xfff);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* 6. Tracing                                                               */
/* ------------------------------------------------------------------------ */

static void test_trace_ops_events(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 1);
	struct scatterlist sg[2];
	FILE *f = tmpfile();
	char line[4096], needle[256], iova0[32], iova1[32], *out;
	dma_addr_t h = 0, h2 = 0, h3 = 0;
	struct page *page;
	long size;
	void *cpu;

	assert_non_null(f);
	rec_reset();
	set_dma_ops(dev, &rec_ops);
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], pg, 1024, 0);
	sg_set_page(&sg[1], nth_page(m, pg, 1), 512, 0x200);

	assert_int_equal(sim_trace_events(m), 0);
	sim_trace_set_file(m, f);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 2);
	dma_sync_sg_for_cpu(dev, sg, 2, DMA_TO_DEVICE);
	dma_sync_sg_for_device(dev, sg, 2, DMA_TO_DEVICE);
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	cpu = dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL);
	assert_non_null(cpu);
	dma_free_coherent(dev, 4096, cpu, h);
	page = dma_alloc_pages(dev, 4096, &h2, DMA_FROM_DEVICE, GFP_KERNEL);
	assert_non_null(page);
	dma_free_pages(dev, 4096, page, h2, DMA_FROM_DEVICE);
	rec.map_sg_ret = -ENOMEM;
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_FROM_DEVICE), 0);
	rec.map_sg_ret = 0;
	assert_int_equal(sim_trace_events(m), 9);

	/* Cleared: nothing more is written or counted. */
	sim_trace_set_file(m, NULL);
	size = file_size(f);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 2);
	dma_sync_sg_for_cpu(dev, sg, 2, DMA_TO_DEVICE);
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	cpu = dma_alloc_coherent(dev, 4096, &h3, GFP_KERNEL);
	assert_non_null(cpu);
	dma_free_coherent(dev, 4096, cpu, h3);
	assert_int_equal(sim_trace_events(m), 9);
	assert_int_equal(file_size(f), size);

	out = slurp(f);
	assert_int_equal(count_lines(out), 4 + 9);
	assert_non_null(strstr(out, "# tracer: nop"));

	/* The sg events list the IOVAs the ops handed out. */
	snprintf(iova0, sizeof(iova0), "0x%llx",
		 (unsigned long long)(IOVA_MAP + page_to_phys(pg)));
	snprintf(iova1, sizeof(iova1), "0x%llx",
		 (unsigned long long)(IOVA_MAP + page_to_phys(pg) + PAGE_SIZE +
				      0x200));
	trace_line(out, "dma_map_sg", dev, line, sizeof(line));
	assert_contains(line, "dir=TO_DEVICE");
	assert_contains(line, "dma_addrs={");
	assert_contains(line, iova0);
	assert_contains(line, iova1);

	trace_line(out, "dma_sync_sg_for_cpu", dev, line, sizeof(line));
	assert_contains(line, "dir=TO_DEVICE");
	assert_contains(line, iova0);
	assert_contains(line, iova1);
	trace_line(out, "dma_sync_sg_for_device", dev, line, sizeof(line));
	assert_contains(line, "dir=TO_DEVICE");
	assert_contains(line, iova0);
	trace_line(out, "dma_unmap_sg", dev, line, sizeof(line));
	assert_contains(line, "dir=TO_DEVICE");

	trace_line(out, "dma_alloc", dev, line, sizeof(line));
	snprintf(needle, sizeof(needle),
		 "dir=BIDIRECTIONAL dma_addr=%llx size=4096",
		 (unsigned long long)h);
	assert_contains(line, needle);
	assert_contains(line, "flags=GFP_KERNEL attrs=");
	trace_line(out, "dma_free", dev, line, sizeof(line));
	assert_contains(line, needle);

	trace_line(out, "dma_alloc_pages", dev, line, sizeof(line));
	snprintf(needle, sizeof(needle),
		 "dir=FROM_DEVICE dma_addr=%llx size=4096",
		 (unsigned long long)h2);
	assert_contains(line, needle);
	assert_contains(line, "flags=GFP_KERNEL");
	trace_line(out, "dma_free_pages", dev, line, sizeof(line));
	assert_contains(line, needle);

	trace_line(out, "dma_map_sg_err", dev, line, sizeof(line));
	assert_contains(line, "dir=FROM_DEVICE");
	assert_contains(line, "err=-12");

	free(out);
	fclose(f);
	assert_int_equal(sim_dma_debug_entries(m, dev), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 1);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* 7. The report log                                                        */
/* ------------------------------------------------------------------------ */

static void test_report_log(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct device_dma_parameters *parms = dev->dma_parms;
	FILE *dump = tmpfile(), *echo = tmpfile(), *empty = tmpfile();
	unsigned long n0, w0, d0;
	struct sim_report r;
	char needle[256], *out;
	long echo_size;

	assert_non_null(dump);
	assert_non_null(echo);
	assert_non_null(empty);
	rec_reset();
	set_dma_ops(dev, &rec_ops);
	n0 = sim_report_count(m);
	w0 = sim_report_count_kind(m, SIM_REPORT_WARN);
	d0 = sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG);

	/* one warning, one dma-debug report */
	dev->dma_parms = NULL;
	assert_int_equal(dma_set_max_seg_size(dev, 4096), -EIO);
	dev->dma_parms = parms;
	dma_unmap_phys(dev, IOVA_MAP + 0x3000, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_report_count(m), n0 + 2);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), w0 + 1);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG), d0 + 1);

	assert_int_equal(sim_report_get(m, n0, &r), 0);
	assert_int_equal(r.kind, SIM_REPORT_WARN);
	assert_string_equal(r.device, dev_name(dev));
	snprintf(needle, sizeof(needle),
		 "dma_set_max_seg_size: %s has no dma_parms", dev_name(dev));
	assert_string_equal(r.text, needle);
	assert_int_equal(sim_report_get(m, n0 + 1, &r), 0);
	assert_int_equal(r.kind, SIM_REPORT_DMA_DEBUG);
	assert_string_equal(r.device, dev_name(dev));
	assert_contains(r.text, "tries to free DMA memory it has not allocated");
	assert_int_equal(sim_report_get(m, n0 + 2, &r), -ENOENT);
	assert_int_equal(sim_report_get(m, n0 + 100, &r), -ENOENT);

	/* dump: "[kind] text" per report */
	sim_report_dump(m, dump);
	out = slurp(dump);
	assert_int_equal(count_lines(out), (int)(n0 + 2));
	snprintf(needle, sizeof(needle),
		 "[warning] dma_set_max_seg_size: %s has no dma_parms\n",
		 dev_name(dev));
	assert_contains(out, needle);
	snprintf(needle, sizeof(needle),
		 "[dma-debug] DMA-API: %s %s: device driver tries to free DMA memory it has not allocated",
		 dev_driver_string(dev), dev_name(dev));
	assert_contains(out, needle);
	free(out);

	/* echo as they happen, and stop */
	sim_report_echo(m, echo);
	dev->dma_parms = NULL;
	assert_int_equal(dma_set_seg_boundary(dev, 0xfff), -EIO);
	sim_report_echo(m, NULL);
	echo_size = file_size(echo);
	dma_set_min_align_mask(dev, 0x3f);
	dev->dma_parms = parms;
	assert_int_equal(file_size(echo), echo_size);
	out = slurp(echo);
	snprintf(needle, sizeof(needle),
		 "[warning] dma_set_seg_boundary: %s has no dma_parms\n",
		 dev_name(dev));
	assert_string_equal(out, needle);
	free(out);
	assert_int_equal(sim_report_count(m), n0 + 4);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "dma_set_min_align_mask"));

	/* clear empties the log, the per-kind counters keep counting */
	sim_report_clear(m);
	assert_int_equal(sim_report_count(m), 0);
	assert_int_equal(sim_report_get(m, 0, &r), -ENOENT);
	assert_false(sim_report_find(m, SIM_REPORT_WARN, "dma_set_max_seg_size"));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), w0 + 3);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG), d0 + 1);
	assert_int_equal(sim_dma_debug_errors(m), d0 + 1);
	sim_report_dump(m, empty);
	assert_int_equal(file_size(empty), 0);

	dma_unmap_phys(dev, IOVA_MAP + 0x7000, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_report_count(m), 1);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG), d0 + 2);
	assert_int_equal(sim_report_get(m, 0, &r), 0);
	assert_int_equal(r.kind, SIM_REPORT_DMA_DEBUG);
	assert_int_equal(sim_report_get(m, 1, &r), -ENOENT);
	/* the echo file saw nothing more */
	assert_int_equal(file_size(echo), echo_size);

	fclose(dump);
	fclose(echo);
	fclose(empty);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* 8. No IOMMU                                                              */
/* ------------------------------------------------------------------------ */

static void test_no_iommu(void **state)
{
	struct sim_machine *m = api_machine_new(&variant_direct);
	struct device *dev = sim_device(m, "dev0");
	struct page *pg = alloc_pages_checked(m, 0);
	u8 buf[64];
	phys_addr_t phys = 0;
	int prot = 0;
	dma_addr_t a;

	assert_int_equal(sim_iommu_faults(m), 0);
	assert_int_equal(sim_iommu_invalidations(m), 0);
	assert_false(device_iommu_mapped(dev));

	/* dma-direct: a working mapping, still nothing to look up */
	a = dma_map_phys(dev, page_to_phys(pg), sizeof(buf), DMA_BIDIRECTIONAL,
			 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(sim_iommu_lookup(dev, a, &phys, &prot), -ENOENT);
	fill_pattern(buf, sizeof(buf), 5);
	assert_int_equal(sim_dma_write(dev, a, buf, sizeof(buf)), 0);
	assert_int_equal(sim_dma_read(dev, a, buf, sizeof(buf)), 0);
	dma_unmap_phys(dev, a, sizeof(buf), DMA_BIDIRECTIONAL, 0);

	/* legacy ops hand out IOVAs, but there is no IOMMU behind them */
	rec_reset();
	set_dma_ops(dev, &rec_ops);
	a = dma_map_phys(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(sim_iommu_lookup(dev, a, &phys, &prot), -ENOENT);
	assert_int_equal(sim_iommu_lookup(dev, 0, &phys, &prot), -ENOENT);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);

	assert_int_equal(sim_iommu_faults(m), 0);
	assert_int_equal(sim_iommu_invalidations(m), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_IOMMU_FAULT), 0);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* 6. Fault injection                                                       */
/* ------------------------------------------------------------------------ */

/* Every call went to the ops, each map and allocation with its undo. */
static void rec_check_balanced(void *ctx, unsigned long n, int ret)
{
	(void)ctx;
	if (rec.map_page.n != rec.unmap_page.n ||
	    rec.map_sg.n != rec.unmap_sg.n ||
	    rec.map_resource.n != rec.unmap_resource.n ||
	    rec.alloc.n - rec.alloc_failed != rec.free.n ||
	    rec.alloc_pages.n - rec.alloc_pages_failed != rec.free_pages.n)
		fail_msg("fail-nth %lu (ret %d): ops calls unbalanced: map_page %d/%d map_sg %d/%d resource %d/%d alloc %d/%d alloc_pages %d/%d",
			 n, ret, rec.map_page.n, rec.unmap_page.n, rec.map_sg.n,
			 rec.unmap_sg.n, rec.map_resource.n,
			 rec.unmap_resource.n, rec.alloc.n, rec.free.n,
			 rec.alloc_pages.n, rec.free_pages.n);
}

/*
 * The whole API through the recording ops with the Nth allocation
 * failing (the ops' own page allocations, dma_pool's), on a coherent and a
 * non-coherent machine: the failures reach the caller, nothing stays
 * allocated, mapped or tracked, and the ops see every undo.
 */
static void sweep_legacy(const struct dma_variant *v)
{
	struct sim_machine *m = api_machine_new(v);
	struct device *dev = dev_of(m, "dev0");
	struct api_scn s;
	struct failnth fn = {
		.name = v->name, .m = m, .ctx = &s, .run = api_scn_run,
		.check = rec_check_balanced,
	};

	rec_reset();
	set_dma_ops(dev, &rec_ops);
	/* the ops' addresses are made up: no device access */
	api_scn_init(&s, m, dev, bar_of(m, "peer", 0), API_ALL, 0);
	failnth_sweep(&fn);
	print_message("%s: %lu fail-nth runs\n", v->name, fn.runs);
	assert_int_equal(api_scn_failed_steps(&s), API_ALLOCS);
	/* single, page and phys in both clean runs and every fail-nth run */
	assert_int_equal(rec.map_page.n, (2 + (int)fn.runs) * 3);
	assert_true(rec.map_sg.n >= 3 * 2);
	assert_true(rec.map_resource.n >= 3);
	assert_true(rec.alloc.n >= 3 * 2);	/* coherent, the pool's page */
	assert_true(rec.alloc_pages.n >= 3 * 2);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	api_scn_fini(&s);
	set_dma_ops(dev, NULL);
	assert_int_equal(machine_teardown(m, TD_CLEAN), 0);
}

static void test_failnth_legacy(void **state)
{
	(void)state;
	sweep_legacy(&variant_direct);
	sweep_legacy(&variant_direct_noncoherent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_phys_page_single_dispatch),
		cmocka_unit_test(test_map_resource_dispatch),
		cmocka_unit_test(test_sg_dispatch),
		cmocka_unit_test(test_sg_merged_by_ops),
		cmocka_unit_test(test_sync_dispatch),
		cmocka_unit_test(test_alloc_coherent_dispatch),
		cmocka_unit_test(test_alloc_pages_dispatch),
		cmocka_unit_test(test_masks_and_limits_dispatch),
		cmocka_unit_test(test_debug_tracks_ops_mappings),
		cmocka_unit_test(test_missing_resource_and_alloc_ops),
		cmocka_unit_test(test_missing_sync_ops),
		cmocka_unit_test(test_need_unmap_coherent),
		cmocka_unit_test(test_map_sg_error_codes),
		cmocka_unit_test(test_ops_bypass),
		cmocka_unit_test(test_dma_parms),
		cmocka_unit_test(test_trace_ops_events),
		cmocka_unit_test(test_report_log),
		cmocka_unit_test(test_no_iommu),
		cmocka_unit_test(test_failnth_legacy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
