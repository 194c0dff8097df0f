// SPDX-License-Identifier: MIT
/*
 * The arch-independent DMA mapping entry points (kernel/dma/mapping.c):
 * dispatch to dma-direct, to iommu-dma (the use_dma_iommu() branch, which
 * the IOMMU layer fills in) or to a device's legacy dma_map_ops; then trace
 * and dma-debug, on the failure paths too, in the kernel's order.
 *
 * A kernel BUG_ON() (an invalid direction) cannot stop the process here: it
 * is recorded as a SIM_REPORT_BUG and the call does nothing (a map returns
 * DMA_MAPPING_ERROR). WARN_ON_ONCE() is recorded every time it triggers.
 * So is what would oops the kernel (a NULL device, page or table, a
 * scatterlist shorter than its count or with an entry without a page): a
 * BUG report worded as the oops, and the call refused.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "dma.h"

/* Count one @what for @dev, in the calling thread's shard. */
#define dma_stat_inc(dev, what)						\
	atomic_fetch_add_explicit(						\
		&(dev)->sim_dma_stats->shard[(unsigned int)sim_thread_id((dev)->sim) % \
					     SIM_DMA_STAT_SHARDS].what,	\
		1, memory_order_relaxed)

static bool dma_go_direct(struct device *dev, dma_addr_t mask,
			  const struct dma_map_ops *ops)
{
	if (use_dma_iommu(dev))
		return false;
	if (likely(!ops))
		return true;
	if (dev->dma_ops_bypass)
		return min_not_zero(mask, dev->bus_dma_limit) >=
		       dma_direct_get_required_mask(dev);
	return false;
}

static inline bool dma_alloc_direct(struct device *dev,
				    const struct dma_map_ops *ops)
{
	return dma_go_direct(dev, dev->coherent_dma_mask, ops);
}

static inline bool dma_map_direct(struct device *dev,
				  const struct dma_map_ops *ops)
{
	return dma_go_direct(dev, *dev->dma_mask, ops);
}

/*
 * Misuse the kernel would oops or WARN on. The report goes to the device's
 * machine, else the calling thread's current one (a device the driver made
 * itself, or none, has no machine), else stderr, as printk does. The
 * device is named only when it is one of the machine's.
 */
static void __attribute__((format(printf, 3, 4)))
dma_misuse(struct device *dev, enum sim_report_kind kind, const char *fmt, ...)
{
	struct sim_machine *m = dev && dev->sim ? dev->sim :
						  sim_current_machine();
	char msg[288];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m)
		sim_report(m, kind, dev && dev->sim == m && dev->sim_dma_stats ?
			   dev : NULL, 0, 0, "%s", msg);
	else
		fprintf(stderr, "[%s] %s\n", sim_report_kind_name(kind), msg);
}

static inline const char *dname(const struct device *dev)
{
	return dev->name ? dev->name : "(unnamed device)";
}

/* The kernel's oops on a NULL pointer, as a BUG report of @func. */
#define dma_null_deref(dev, func, what)					\
	dma_misuse((dev), SIM_REPORT_BUG,					\
		   "BUG: kernel NULL pointer dereference, address: 0000000000000000: %s: %s is NULL", \
		   (func), (what))

enum dma_dev_use {
	DMA_USE_MAP,		/* a map: the kernel WARNs on a missing mask */
	DMA_USE_OTHER,		/* unmap, sync: the kernel dereferences it */
	DMA_USE_ALLOC,		/* coherent memory: the mask is not needed */
};

/*
 * Can @dev do DMA at all? A NULL device (the kernel oopses), a device
 * without a DMA mask (the kernel's map calls WARN, its unmap and sync calls
 * oops on the NULL mask) and a device that is not one of the machine's
 * DMA-capable functions (one a driver made: it has no DMA configuration)
 * are reported once each, and the caller refuses the call.
 */
static bool dma_dev_unusable(struct device *dev, enum dma_dev_use use,
			     const char *func)
{
	if (unlikely(!dev)) {
		dma_null_deref(NULL, func, "the struct device *");
		return true;
	}
	if (unlikely(!dev->dma_mask) && use != DMA_USE_ALLOC) {
		if (use == DMA_USE_MAP)
			dma_misuse(dev, SIM_REPORT_WARN, "%s: %s has no DMA mask",
				   func, dname(dev));
		else
			dma_misuse(dev, SIM_REPORT_BUG,
				   "BUG: kernel NULL pointer dereference, address: 0000000000000000: %s: %s has no DMA mask",
				   func, dname(dev));
		return true;
	}
	if (unlikely(!dev->sim || !dev->sim_dma_stats)) {
		dma_misuse(dev, SIM_REPORT_WARN,
			   "%s: %s has no DMA configuration (not a DMA-capable device of the machine)",
			   func, dname(dev));
		return true;
	}
	return false;
}

static bool bad_direction(struct device *dev, enum dma_data_direction dir,
			  const char *func)
{
	if (likely(valid_dma_direction(dir)))
		return false;
	SIM_BUG(dev->sim, dev, "%s: %s %s: invalid DMA direction %d", func,
		dev_driver_string(dev), dev_name(dev), (int)dir);
	return true;
}

/* Always call DMA sync operations when debugging is enabled. */
static inline bool dma_dev_need_sync(struct device *dev)
{
	return !dev->dma_skip_sync || dma_debug_on(dev->sim);
}

void dma_setup_need_sync(struct device *dev)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (dma_map_direct(dev, ops) || use_dma_iommu(dev))
		/* Reset to false by the first swiotlb mapping. */
		dev->dma_skip_sync = dev_is_dma_coherent(dev);
	else if (!ops->sync_single_for_device && !ops->sync_single_for_cpu &&
		 !ops->sync_sg_for_device && !ops->sync_sg_for_cpu)
		dev->dma_skip_sync = true;
	else
		dev->dma_skip_sync = false;
}

void set_dma_ops(struct device *dev, const struct dma_map_ops *dma_ops)
{
	dev->dma_ops = dma_ops;
	dma_setup_need_sync(dev);
}

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

/*
 * What a streaming map may be given: a range that does not wrap past the
 * end of the physical address space, and RAM unless @is_mmio (the kernel
 * checks neither: it would hand the device an address of nothing, or bounce
 * from nothing). Reported (WARN) and refused.
 */
static bool bad_phys_range(struct device *dev, phys_addr_t phys, size_t size,
			   bool is_mmio)
{
	if (size && phys + size - 1 < phys) {
		SIM_WARN(dev->sim, dev,
			 "dma_map_phys: %s %s: [phys=%#llx] [size=%zu bytes] wraps past the end of the physical address space: refused",
			 dev_driver_string(dev), dev_name(dev),
			 (unsigned long long)phys, size);
		return true;
	}
	if (!is_mmio && !sim_phys_is_ram(dev->sim, phys, size)) {
		SIM_WARN(dev->sim, dev,
			 "dma_map_phys: %s %s: [phys=%#llx] [size=%zu bytes] is not RAM (MMIO is mapped with DMA_ATTR_MMIO): refused",
			 dev_driver_string(dev), dev_name(dev),
			 (unsigned long long)phys, size);
		return true;
	}
	return false;
}

/**
 * dma_map_phys - map a physical range for streaming DMA
 * @dev: the device that will access it
 * @phys: CPU physical address: RAM, or MMIO when @attrs has DMA_ATTR_MMIO
 * @size: bytes
 * @dir: DMA direction
 * @attrs: DMA_ATTR_*
 *
 * Returns the address the device must use, or DMA_MAPPING_ERROR (check it
 * with dma_mapping_error()). What the kernel would oops or WARN on is
 * reported and refused: a NULL @dev (BUG), a device without a DMA mask or
 * without a DMA configuration (WARN); so is what the kernel does not check:
 * a range that wraps past the end of the physical address space, or that is
 * not RAM without DMA_ATTR_MMIO (WARN). With DMA_ATTR_MMIO the range is
 * never bounced or cache-maintained, and a device with legacy ops needs
 * map_resource.
 * The caller owns the mapping until dma_unmap_phys() with the same size,
 * direction and attributes.
 */
dma_addr_t dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			enum dma_data_direction dir, unsigned long attrs)
{
	const struct dma_map_ops *ops;
	bool is_mmio = attrs & DMA_ATTR_MMIO;
	dma_addr_t addr;

	if (dma_dev_unusable(dev, DMA_USE_MAP, __func__))
		return DMA_MAPPING_ERROR;
	ops = get_dma_ops(dev);
	if (bad_direction(dev, dir, __func__))
		return DMA_MAPPING_ERROR;
	if (unlikely(bad_phys_range(dev, phys, size, is_mmio)))
		return DMA_MAPPING_ERROR;

	if (dma_map_direct(dev, ops)) {
		addr = dma_direct_map_phys(dev, phys, size, dir, attrs);
	} else if (use_dma_iommu(dev)) {
		addr = iommu_dma_map_phys(dev, phys, size, dir, attrs);
	} else if (is_mmio) {
		if (!ops->map_resource)
			return DMA_MAPPING_ERROR;
		addr = ops->map_resource(dev, phys, size, dir, attrs);
	} else {
		/* ops->map_page() requires kmappable memory: a struct page. */
		struct page *page = sim_phys_to_page(dev->sim, phys);

		if (!page || !ops->map_page)
			return DMA_MAPPING_ERROR;
		addr = ops->map_page(dev, page, offset_in_page(phys), size, dir,
				     attrs);
	}

	if (addr == DMA_MAPPING_ERROR)
		dma_stat_inc(dev, map_errors);
	else
		dma_stat_inc(dev, maps);
	trace_dma_map_phys(dev, phys, addr, size, dir, attrs);
	debug_dma_map_phys(dev, phys, size, dir, addr, attrs);
	return addr;
}

void dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
		    enum dma_data_direction dir, unsigned long attrs)
{
	const struct dma_map_ops *ops;
	bool is_mmio = attrs & DMA_ATTR_MMIO;

	if (dma_dev_unusable(dev, DMA_USE_OTHER, __func__))
		return;
	ops = get_dma_ops(dev);
	if (bad_direction(dev, dir, __func__))
		return;
	if (dma_debug_on(dev->sim))
		debug_dma_unmap_begin(dev, addr, size, dir, attrs);
	if (dma_map_direct(dev, ops)) {
		dma_direct_unmap_phys(dev, addr, size, dir, attrs);
	} else if (use_dma_iommu(dev)) {
		iommu_dma_unmap_phys(dev, addr, size, dir, attrs);
	} else if (is_mmio) {
		if (ops->unmap_resource)
			ops->unmap_resource(dev, addr, size, dir, attrs);
	} else if (ops->unmap_page) {
		ops->unmap_page(dev, addr, size, dir, attrs);
	}
	dma_stat_inc(dev, unmaps);
	trace_dma_unmap_phys(dev, addr, size, dir, attrs);
	debug_dma_unmap_phys(dev, addr, size, dir);
	if (use_dma_iommu(dev))
		iommu_dma_unmap_done(dev);
}

dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
			      size_t offset, size_t size,
			      enum dma_data_direction dir, unsigned long attrs)
{
	if (dma_dev_unusable(dev, DMA_USE_MAP, __func__))
		return DMA_MAPPING_ERROR;
	if (unlikely(!page)) {
		dma_null_deref(dev, __func__, "the struct page *");
		return DMA_MAPPING_ERROR;
	}
	if (unlikely(attrs & DMA_ATTR_MMIO))
		return DMA_MAPPING_ERROR;
	/* P2PDMA (ZONE_DEVICE) pages go through the P2P map-type helpers. */
	if (dma_debug_on(dev->sim) && page->pgmap) {
		SIM_WARN(dev->sim, dev,
			 "%s: %s: ZONE_DEVICE page pfn %#lx passed to dma_map_page_attrs",
			 __func__, dev_name(dev), page->pfn);
		return DMA_MAPPING_ERROR;
	}
	return dma_map_phys(dev, page_to_phys(page) + offset, size, dir, attrs);
}

void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs)
{
	if (unlikely(attrs & DMA_ATTR_MMIO))
		return;
	dma_unmap_phys(dev, addr, size, dir, attrs);
}

dma_addr_t dma_map_single_attrs(struct device *dev, void *ptr, size_t size,
				enum dma_data_direction dir,
				unsigned long attrs)
{
	struct sim_machine *m;
	phys_addr_t phys;

	if (dma_dev_unusable(dev, DMA_USE_MAP, __func__))
		return DMA_MAPPING_ERROR;
	m = dev->sim;
	phys = sim_virt_to_phys(m, ptr);

	/* DMA must never operate on areas that might be remapped
	 * (the kernel WARNs and returns before debug_dma_map_single). */
	if ((phys != (phys_addr_t)-1 && ptr != sim_phys_to_virt(m, phys)) ||
	    sim_vmalloc_addr(m, ptr)) {
		SIM_WARN(m, dev, "%s %s: rejecting DMA map of vmalloc memory",
			 dev_driver_string(dev), dev_name(dev));
		return DMA_MAPPING_ERROR;
	}
	debug_dma_map_single(dev, ptr, size);
	if (phys == (phys_addr_t)-1) {
		SIM_WARN(m, dev,
			 "%s %s: rejecting DMA map of %p: not in the machine's linear map",
			 dev_driver_string(dev), dev_name(dev), ptr);
		return DMA_MAPPING_ERROR;
	}
	return dma_map_page_attrs(dev, sim_phys_to_page(m, phys),
				  offset_in_page(phys), size, dir, attrs);
}

void dma_unmap_single_attrs(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	dma_unmap_page_attrs(dev, addr, size, dir, attrs);
}

dma_addr_t dma_map_resource(struct device *dev, phys_addr_t phys_addr,
			    size_t size, enum dma_data_direction dir,
			    unsigned long attrs)
{
	if (dma_dev_unusable(dev, DMA_USE_MAP, __func__))
		return DMA_MAPPING_ERROR;
	if (dma_debug_on(dev->sim) && debug_dma_resource_is_ram(dev, phys_addr))
		return DMA_MAPPING_ERROR;
	return dma_map_phys(dev, phys_addr, size, dir, attrs | DMA_ATTR_MMIO);
}

void dma_unmap_resource(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir, unsigned long attrs)
{
	dma_unmap_phys(dev, addr, size, dir, attrs | DMA_ATTR_MMIO);
}

int dma_mapping_error(struct device *dev, dma_addr_t dma_addr)
{
	if (dev && dev->sim && dev->sim_dma_stats)
		debug_dma_mapping_error(dev, dma_addr);
	if (unlikely(dma_addr == DMA_MAPPING_ERROR))
		return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Scatterlists                                                             */
/* ------------------------------------------------------------------------ */

/*
 * The entries a scatterlist call walks: @nents of them must be there, each
 * with a page (to map, or as mapped). The kernel walks off the end of a
 * short list into a NULL pointer, and maps an entry without a page at an
 * address computed from NULL. Returns how many entries the list has up to
 * @nents (@nents if all are there), or -EINVAL for an entry without a
 * page; each is reported as the kernel's oops would read.
 */
static int sg_walk_check(struct device *dev, struct scatterlist *sgl,
			 int nents, const char *func)
{
	struct scatterlist *sg = sgl;
	int i;

	for (i = 0; i < nents; i++, sg = sg_next(sg)) {
		if (!sg) {
			dma_misuse(dev, SIM_REPORT_BUG,
				   "BUG: kernel NULL pointer dereference, address: 0000000000000000: %s: %s %s: %d entries asked for, the list ends after %d",
				   func, dev_driver_string(dev), dname(dev),
				   nents, i);
			return i;
		}
		if (!sg_page(sg)) {
			dma_misuse(dev, SIM_REPORT_BUG,
				   "kernel BUG: %s: %s %s: entry %d of %d has no page",
				   func, dev_driver_string(dev), dname(dev), i,
				   nents);
			return -EINVAL;
		}
	}
	return nents;
}

static int __dma_map_sg_attrs(struct device *dev, struct scatterlist *sg,
			      int nents, enum dma_data_direction dir,
			      unsigned long attrs)
{
	const struct dma_map_ops *ops;
	int ents;

	if (unlikely(!dev)) {
		dma_null_deref(NULL, "dma_map_sg_attrs", "the struct device *");
		return -EINVAL;
	}
	if (bad_direction(dev, dir, "dma_map_sg_attrs"))
		return -EINVAL;
	if (unlikely(!dev->dma_mask)) {
		/* The kernel maps nothing: 0 entries (dma_map_sgtable: 0). */
		dma_misuse(dev, SIM_REPORT_WARN,
			   "dma_map_sg_attrs: %s has no DMA mask", dname(dev));
		return 0;
	}
	if (dma_dev_unusable(dev, DMA_USE_MAP, "dma_map_sg_attrs"))
		return -EINVAL;
	ops = get_dma_ops(dev);
	if (nents > 0 && sg && sg_walk_check(dev, sg, nents,
					     "dma_map_sg_attrs") != nents) {
		dma_stat_inc(dev, map_errors);
		return -EINVAL;
	}
	if (nents <= 0 || !sg) {
		/*
		 * The kernel has no such check: dma-direct maps nothing and
		 * returns 0, which the WARN_ON_ONCE below turns into -EIO.
		 */
		SIM_WARN(dev->sim, dev,
			 "dma_map_sg_attrs: %s: unexpected return %d from the map_sg implementation (%d entries)",
			 dev_name(dev), 0, nents);
		dma_stat_inc(dev, map_errors);
		trace_dma_map_sg_err(dev, sg, sg ? nents : 0, 0, dir, attrs);
		return -EIO;
	}

	if (dma_map_direct(dev, ops))
		ents = dma_direct_map_sg(dev, sg, nents, dir, attrs);
	else if (use_dma_iommu(dev))
		ents = iommu_dma_map_sg(dev, sg, nents, dir, attrs);
	else if (ops->map_sg)
		ents = ops->map_sg(dev, sg, nents, dir, attrs);
	else
		ents = -EIO;

	if (ents > 0) {
		dma_stat_inc(dev, maps);
		trace_dma_map_sg(dev, sg, nents, ents, dir, attrs);
		debug_dma_map_sg(dev, sg, nents, ents, dir, attrs);
		debug_dma_own_map_sg(dev, sg, nents, ents, attrs);
	} else if (ents != -EINVAL && ents != -ENOMEM && ents != -EIO &&
		   ents != -EREMOTEIO) {
		SIM_WARN(dev->sim, dev,
			 "dma_map_sg_attrs: %s: unexpected return %d from the map_sg implementation",
			 dev_name(dev), ents);
		dma_stat_inc(dev, map_errors);
		trace_dma_map_sg_err(dev, sg, nents, ents, dir, attrs);
		return -EIO;
	} else {
		dma_stat_inc(dev, map_errors);
		trace_dma_map_sg_err(dev, sg, nents, ents, dir, attrs);
	}
	return ents;
}

unsigned int dma_map_sg_attrs(struct device *dev, struct scatterlist *sg,
			      int nents, enum dma_data_direction dir,
			      unsigned long attrs)
{
	int ret = __dma_map_sg_attrs(dev, sg, nents, dir, attrs);

	if (ret < 0)
		return 0;
	return (unsigned int)ret;
}

int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
		    enum dma_data_direction dir, unsigned long attrs)
{
	int nents;

	if (unlikely(!sgt)) {
		dma_null_deref(dev, __func__, "the struct sg_table *");
		return -EINVAL;
	}
	nents = __dma_map_sg_attrs(dev, sgt->sgl, (int)sgt->orig_nents, dir,
				   attrs);
	/* A device without a mask yields 0 entries and success, as in Linux. */
	if (nents < 0)
		return nents;
	sgt->nents = (unsigned int)nents;
	return 0;
}

void dma_unmap_sg_attrs(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	const struct dma_map_ops *ops;
	int have;

	if (dma_dev_unusable(dev, DMA_USE_OTHER, __func__))
		return;
	if (bad_direction(dev, dir, __func__))
		return;
	ops = get_dma_ops(dev);
	/*
	 * A count beyond the list is reported and cut to the list, so what
	 * was mapped is still unmapped; an entry without a page was never
	 * mapped (dma_map_sg_attrs() refuses it): nothing is unmapped.
	 */
	if (nents > 0 && sg) {
		have = sg_walk_check(dev, sg, nents, __func__);
		if (have < 0)
			return;
		nents = have;
	}
	trace_dma_unmap_sg(dev, sg, nents, dir, attrs);
	debug_dma_unmap_sg_begin(dev, sg, nents, dir, attrs);
	debug_dma_unmap_sg(dev, sg, nents, dir);
	if (dma_map_direct(dev, ops))
		dma_direct_unmap_sg(dev, sg, nents, dir, attrs);
	else if (use_dma_iommu(dev))
		iommu_dma_unmap_sg(dev, sg, nents, dir, attrs);
	else if (ops->unmap_sg)
		ops->unmap_sg(dev, sg, nents, dir, attrs);
	dma_stat_inc(dev, unmaps);
}

void dma_unmap_sgtable(struct device *dev, struct sg_table *sgt,
		       enum dma_data_direction dir, unsigned long attrs)
{
	if (unlikely(!sgt)) {
		dma_null_deref(dev, __func__, "the struct sg_table *");
		return;
	}
	dma_unmap_sg_attrs(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs);
}

/* ------------------------------------------------------------------------ */
/* Syncs                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * The four sync entry points share one shape: skip when the device never
 * needs syncs (and dma-debug is off), dispatch, trace, check.
 */
static bool dma_sync_prologue(struct device *dev, enum dma_data_direction dir,
			      const char *func)
{
	if (dma_dev_unusable(dev, DMA_USE_OTHER, func))
		return false;
	if (!dma_dev_need_sync(dev))
		return false;
	if (bad_direction(dev, dir, func))
		return false;
	dma_stat_inc(dev, syncs);
	return true;
}

static void dma_sync_single(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, bool for_cpu)
{
	const struct dma_map_ops *ops;
	const char *event = for_cpu ? "dma_sync_single_for_cpu" :
				      "dma_sync_single_for_device";
	void (*op)(struct device *, dma_addr_t, size_t, enum dma_data_direction);

	if (!dma_sync_prologue(dev, dir, event))
		return;
	ops = get_dma_ops(dev);
	debug_dma_sync_single_begin(dev, addr, size, dir, for_cpu);
	if (dma_map_direct(dev, ops))
		op = for_cpu ? dma_direct_sync_single_for_cpu :
			       dma_direct_sync_single_for_device;
	else if (use_dma_iommu(dev))
		op = for_cpu ? iommu_dma_sync_single_for_cpu :
			       iommu_dma_sync_single_for_device;
	else
		op = for_cpu ? ops->sync_single_for_cpu :
			       ops->sync_single_for_device;
	if (op)
		op(dev, addr, size, dir);
	trace_dma_sync_single(dev, event, addr, size, dir);
	if (for_cpu)
		debug_dma_sync_single_for_cpu(dev, addr, size, dir);
	else
		debug_dma_sync_single_for_device(dev, addr, size, dir);
}

static void dma_sync_sg(struct device *dev, struct scatterlist *sg, int nelems,
			enum dma_data_direction dir, bool for_cpu)
{
	const struct dma_map_ops *ops;
	const char *event = for_cpu ? "dma_sync_sg_for_cpu" :
				      "dma_sync_sg_for_device";
	void (*op)(struct device *, struct scatterlist *, int,
		   enum dma_data_direction);

	if (!dma_sync_prologue(dev, dir, event))
		return;
	/* as for an unmap: a count beyond the list is cut to the list */
	if (nelems > 0 && sg) {
		int have = sg_walk_check(dev, sg, nelems, event);

		if (have < 0)
			return;
		nelems = have;
	}
	ops = get_dma_ops(dev);
	debug_dma_sync_sg_begin(dev, sg, nelems, dir, for_cpu);
	if (dma_map_direct(dev, ops))
		op = for_cpu ? dma_direct_sync_sg_for_cpu :
			       dma_direct_sync_sg_for_device;
	else if (use_dma_iommu(dev))
		op = for_cpu ? iommu_dma_sync_sg_for_cpu :
			       iommu_dma_sync_sg_for_device;
	else
		op = for_cpu ? ops->sync_sg_for_cpu : ops->sync_sg_for_device;
	if (op)
		op(dev, sg, nelems, dir);
	trace_dma_sync_sg(dev, event, sg, nelems, dir);
	if (for_cpu)
		debug_dma_sync_sg_for_cpu(dev, sg, nelems, dir);
	else
		debug_dma_sync_sg_for_device(dev, sg, nelems, dir);
}

void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
			     enum dma_data_direction dir)
{
	dma_sync_single(dev, addr, size, dir, true);
}

void dma_sync_single_for_device(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir)
{
	dma_sync_single(dev, addr, size, dir, false);
}

void dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
			 int nelems, enum dma_data_direction dir)
{
	dma_sync_sg(dev, sg, nelems, dir, true);
}

void dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
			    int nelems, enum dma_data_direction dir)
{
	dma_sync_sg(dev, sg, nelems, dir, false);
}

void dma_sync_sgtable_for_cpu(struct device *dev, struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	if (unlikely(!sgt)) {
		dma_null_deref(dev, __func__, "the struct sg_table *");
		return;
	}
	dma_sync_sg_for_cpu(dev, sgt->sgl, (int)sgt->orig_nents, dir);
}

void dma_sync_sgtable_for_device(struct device *dev, struct sg_table *sgt,
				 enum dma_data_direction dir)
{
	if (unlikely(!sgt)) {
		dma_null_deref(dev, __func__, "the struct sg_table *");
		return;
	}
	dma_sync_sg_for_device(dev, sgt->sgl, (int)sgt->orig_nents, dir);
}

bool dma_need_sync(struct device *dev, dma_addr_t dma_addr)
{
	if (!dma_dev_need_sync(dev))
		return false;
	if (dma_map_direct(dev, get_dma_ops(dev)))
		/* skip_sync may have been reset by an unrelated bounce */
		return dma_direct_need_sync(dev, dma_addr);
	return true;
}

bool dma_need_unmap(struct device *dev)
{
	if (!dma_map_direct(dev, get_dma_ops(dev)))
		return true;
	if (!dev->dma_skip_sync)
		return true;
	return dma_debug_on(dev->sim);
}

/* ------------------------------------------------------------------------ */
/* Masks and limits                                                         */
/* ------------------------------------------------------------------------ */

int dma_supported(struct device *dev, u64 mask)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (use_dma_iommu(dev))
		return ops ? 0 : 1;
	if (ops) {
		if (!ops->dma_supported)
			return 1;
		return ops->dma_supported(dev, mask);
	}
	return dma_direct_supported(dev, mask);
}

int dma_set_mask(struct device *dev, u64 mask)
{
	if (!dev->dma_mask || !dma_supported(dev, mask))
		return -EIO;
	*dev->dma_mask = mask;
	dma_setup_need_sync(dev);
	return 0;
}

int dma_set_coherent_mask(struct device *dev, u64 mask)
{
	if (!dma_supported(dev, mask))
		return -EIO;
	dev->coherent_dma_mask = mask;
	return 0;
}

int dma_set_mask_and_coherent(struct device *dev, u64 mask)
{
	int rc = dma_set_mask(dev, mask);

	if (rc == 0)
		dma_set_coherent_mask(dev, mask);
	return rc;
}

u64 dma_get_mask(struct device *dev)
{
	if (dev->dma_mask && *dev->dma_mask)
		return *dev->dma_mask;
	return DMA_BIT_MASK(32);
}

u64 dma_get_required_mask(struct device *dev)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (dma_alloc_direct(dev, ops))
		return dma_direct_get_required_mask(dev);
	if (use_dma_iommu(dev))
		return DMA_BIT_MASK(32);
	if (ops && ops->get_required_mask)
		return ops->get_required_mask(dev);
	return DMA_BIT_MASK(32);
}

/**
 * dma_get_merge_boundary - the DMA merge boundary of @dev
 * @dev: the device (NULL: 0)
 *
 * Behind a translating IOMMU (iommu-dma) physically separate segments that
 * start and end on this mask + 1 become one contiguous IOVA range: the
 * IOVA granule - 1. 0 means the DMA layer cannot merge (dma-direct,
 * passthrough, legacy ops without get_merge_boundary). Takes no lock.
 */
unsigned long dma_get_merge_boundary(struct device *dev)
{
	const struct dma_map_ops *ops;

	if (!dev)
		return 0;
	if (use_dma_iommu(dev))
		return iommu_dma_get_merge_boundary(dev);
	ops = get_dma_ops(dev);
	if (!ops || !ops->get_merge_boundary)
		return 0;	/* can't merge */
	return ops->get_merge_boundary(dev);
}

bool dma_addressing_limited(struct device *dev)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (min_not_zero(dma_get_mask(dev), dev->bus_dma_limit) <
	    dma_get_required_mask(dev))
		return true;
	if (unlikely(ops) || use_dma_iommu(dev))
		return false;
	return !dma_direct_all_ram_mapped(dev);
}

size_t dma_max_mapping_size(struct device *dev)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	size_t size = SIZE_MAX;

	if (dma_map_direct(dev, ops))
		size = dma_direct_max_mapping_size(dev);
	else if (use_dma_iommu(dev))
		size = iommu_dma_max_mapping_size(dev);
	else if (ops && ops->max_mapping_size)
		size = ops->max_mapping_size(dev);
	return size;
}

size_t dma_opt_mapping_size(struct device *dev)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	size_t size = SIZE_MAX;

	if (use_dma_iommu(dev))
		/* the largest size the IOVA caches serve */
		size = PAGE_SIZE << (IOVA_CACHE_ORDER_MAX);
	else if (ops && ops->opt_mapping_size)
		size = ops->opt_mapping_size();
	return min(dma_max_mapping_size(dev), size);
}

unsigned int dma_get_max_seg_size(struct device *dev)
{
	if (dev->dma_parms && dev->dma_parms->max_segment_size)
		return dev->dma_parms->max_segment_size;
	return SZ_64K;
}

int dma_set_max_seg_size(struct device *dev, unsigned int size)
{
	if (!dev->dma_parms) {
		SIM_WARN(dev->sim, dev, "dma_set_max_seg_size: %s has no dma_parms",
			 dev_name(dev));
		return -EIO;
	}
	dev->dma_parms->max_segment_size = size;
	return 0;
}

unsigned long dma_get_seg_boundary(struct device *dev)
{
	if (dev->dma_parms && dev->dma_parms->segment_boundary_mask)
		return dev->dma_parms->segment_boundary_mask;
	return ~0UL;
}

int dma_set_seg_boundary(struct device *dev, unsigned long mask)
{
	if (!dev->dma_parms) {
		SIM_WARN(dev->sim, dev, "dma_set_seg_boundary: %s has no dma_parms",
			 dev_name(dev));
		return -EIO;
	}
	dev->dma_parms->segment_boundary_mask = mask;
	return 0;
}

unsigned int dma_get_min_align_mask(struct device *dev)
{
	if (dev->dma_parms)
		return dev->dma_parms->min_align_mask;
	return 0;
}

void dma_set_min_align_mask(struct device *dev, unsigned int min_align_mask)
{
	if (!dev->dma_parms) {
		SIM_WARN(dev->sim, dev, "dma_set_min_align_mask: %s has no dma_parms",
			 dev_name(dev));
		return;
	}
	dev->dma_parms->min_align_mask = min_align_mask;
}

/* ------------------------------------------------------------------------ */
/* Allocations                                                              */
/* ------------------------------------------------------------------------ */

void *dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle,
		      gfp_t flag, unsigned long attrs)
{
	const struct dma_map_ops *ops;
	dma_addr_t handle = DMA_MAPPING_ERROR;
	void *cpu_addr;

	if (dma_dev_unusable(dev, DMA_USE_ALLOC, __func__))
		return NULL;
	ops = get_dma_ops(dev);
	if (!dev->coherent_dma_mask)
		SIM_WARN(dev->sim, dev, "dma_alloc_attrs: %s has no coherent DMA mask",
			 dev_name(dev));
	/* DMA allocations can never be turned back into a page pointer. */
	if (flag & __GFP_COMP) {
		SIM_WARN(dev->sim, dev, "dma_alloc_attrs: %s: __GFP_COMP",
			 dev_name(dev));
		return NULL;
	}
	/* Let the implementation decide on the zone to allocate from. */
	flag &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);

	if (!size) {
		cpu_addr = NULL;
	} else if (dma_alloc_direct(dev, ops)) {
		cpu_addr = dma_direct_alloc(dev, size, &handle, flag, attrs);
	} else if (use_dma_iommu(dev)) {
		cpu_addr = iommu_dma_alloc(dev, size, &handle, flag, attrs);
	} else if (ops->alloc) {
		cpu_addr = ops->alloc(dev, size, &handle, flag, attrs);
	} else {
		trace_dma_alloc(dev, "dma_alloc", NULL, 0, size,
				DMA_BIDIRECTIONAL, flag, attrs);
		return NULL;
	}
	trace_dma_alloc(dev, "dma_alloc", cpu_addr, cpu_addr ? handle : 0, size,
			DMA_BIDIRECTIONAL, flag, attrs);
	if (!cpu_addr)
		return NULL;
	*dma_handle = handle;
	atomic_fetch_add(&dev->sim->kernel->stats.coherent_allocs, 1);
	debug_dma_alloc_coherent(dev, size, handle, cpu_addr, attrs);
	return cpu_addr;
}

void dma_free_attrs(struct device *dev, size_t size, void *cpu_addr,
		    dma_addr_t dma_handle, unsigned long attrs)
{
	const struct dma_map_ops *ops;

	if (dma_dev_unusable(dev, DMA_USE_ALLOC, __func__))
		return;
	ops = get_dma_ops(dev);
	trace_dma_free(dev, "dma_free", cpu_addr, dma_handle, size,
		       DMA_BIDIRECTIONAL, attrs);
	if (!cpu_addr)
		return;
	debug_dma_free_coherent(dev, size, cpu_addr, dma_handle);
	if (dma_alloc_direct(dev, ops))
		dma_direct_free(dev, size, cpu_addr, dma_handle);
	else if (use_dma_iommu(dev))
		iommu_dma_free(dev, size, cpu_addr, dma_handle);
	else if (ops->free)
		ops->free(dev, size, cpu_addr, dma_handle, attrs);
}

static struct page *__dma_alloc_pages(struct device *dev, size_t size,
				      dma_addr_t *dma_handle,
				      enum dma_data_direction dir, gfp_t gfp)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (!dev->coherent_dma_mask ||
	    (gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)) ||
	    (gfp & __GFP_COMP)) {
		SIM_WARN(dev->sim, dev,
			 "dma_alloc_pages: %s: %s", dev_name(dev),
			 !dev->coherent_dma_mask ? "no coherent DMA mask" :
			 (gfp & __GFP_COMP) ? "__GFP_COMP" :
			 "zone modifiers are the DMA layer's choice");
		return NULL;
	}
	if (!size)
		return NULL;
	size = ALIGN(size, PAGE_SIZE);
	if (dma_alloc_direct(dev, ops))
		return dma_direct_alloc_pages(dev, size, dma_handle, dir, gfp);
	if (use_dma_iommu(dev))
		return iommu_dma_alloc_pages(dev, size, dma_handle, dir, gfp);
	if (!ops->alloc_pages_op)
		return NULL;
	return ops->alloc_pages_op(dev, size, dma_handle, dir, gfp);
}

struct page *dma_alloc_pages(struct device *dev, size_t size,
			     dma_addr_t *dma_handle,
			     enum dma_data_direction dir, gfp_t gfp)
{
	dma_addr_t handle = 0;
	struct page *page;

	if (dma_dev_unusable(dev, DMA_USE_ALLOC, __func__))
		return NULL;
	page = __dma_alloc_pages(dev, size, &handle, dir, gfp);
	if (page) {
		*dma_handle = handle;
		trace_dma_alloc(dev, "dma_alloc_pages", page_address(page),
				handle, size, dir, gfp, 0);
		debug_dma_alloc_pages(dev, page, size, dir, handle, 0);
	} else {
		trace_dma_alloc(dev, "dma_alloc_pages", NULL, 0, size, dir, gfp,
				0);
	}
	return page;
}

static void __dma_free_pages(struct device *dev, size_t size,
			     struct page *page, dma_addr_t dma_handle,
			     enum dma_data_direction dir)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	size = ALIGN(size, PAGE_SIZE);
	if (dma_alloc_direct(dev, ops))
		dma_direct_free_pages(dev, size, page, dma_handle, dir);
	else if (use_dma_iommu(dev))
		iommu_dma_free_pages(dev, size, page, dma_handle, dir);
	else if (ops->free_pages)
		ops->free_pages(dev, size, page, dma_handle, dir);
}

void dma_free_pages(struct device *dev, size_t size, struct page *page,
		    dma_addr_t dma_handle, enum dma_data_direction dir)
{
	if (!page || dma_dev_unusable(dev, DMA_USE_ALLOC, __func__))
		return;
	trace_dma_free(dev, "dma_free_pages", page_address(page), dma_handle,
		       size, dir, 0);
	debug_dma_free_pages(dev, page, size, dir, dma_handle);
	__dma_free_pages(dev, size, page, dma_handle, dir);
}

void *dma_alloc_noncoherent(struct device *dev, size_t size,
			    dma_addr_t *dma_handle,
			    enum dma_data_direction dir, gfp_t gfp)
{
	struct page *page = dma_alloc_pages(dev, size, dma_handle, dir, gfp);

	return page ? page_address(page) : NULL;
}

void dma_free_noncoherent(struct device *dev, size_t size, void *vaddr,
			  dma_addr_t dma_handle, enum dma_data_direction dir)
{
	if (!vaddr || dma_dev_unusable(dev, DMA_USE_ALLOC, __func__))
		return;
	dma_free_pages(dev, size, sim_virt_to_page(dev->sim, vaddr), dma_handle,
		       dir);
}

/* ------------------------------------------------------------------------ */
/* Non-contiguous allocations                                               */
/* ------------------------------------------------------------------------ */

/* Without an IOMMU: one contiguous block, as dma_alloc_pages() gives it. */
static struct sg_table *alloc_single_sgt(struct device *dev, size_t size,
					 enum dma_data_direction dir, gfp_t gfp)
{
	struct sim_machine *m = dev->sim;
	struct sg_table *sgt;
	struct page *page;

	sgt = sim_kzalloc(m, sizeof(*sgt));
	if (!sgt)
		return NULL;
	if (sg_alloc_table(sgt, 1, gfp))
		goto err_free_sgt;
	page = __dma_alloc_pages(dev, size, &sgt->sgl->dma_address, dir, gfp);
	if (!page)
		goto err_free_table;
	sg_set_page(sgt->sgl, page, (unsigned int)ALIGN(size, PAGE_SIZE), 0);
	sg_dma_len(sgt->sgl) = sgt->sgl->length;
	return sgt;

err_free_table:
	sg_free_table(sgt);
err_free_sgt:
	sim_kfree(m, sgt);
	return NULL;
}

static void free_single_sgt(struct device *dev, size_t size,
			    struct sg_table *sgt, enum dma_data_direction dir)
{
	unsigned int len = sgt->sgl->length;

	if (ALIGN(size, PAGE_SIZE) != len) {
		SIM_WARN(dev->sim, dev,
			 "dma_free_noncontiguous: %s %s: freed as %zu bytes, allocated as %u: freeing %u",
			 dev_driver_string(dev), dev_name(dev), size, len, len);
		size = len;
	}
	__dma_free_pages(dev, size, sg_page(sgt->sgl), sgt->sgl->dma_address,
			 dir);
	sg_free_table(sgt);
	sim_kfree(dev->sim, sgt);
}

/**
 * dma_alloc_noncontiguous - memory the device sees as one DMA range
 * @dev: the device (NULL: nothing)
 * @size: bytes (rounded up to pages, and to IOVA granules behind an IOMMU)
 * @dir: how the device will use it (the direction of the syncs)
 * @gfp: allocation flags (zone modifiers are the DMA layer's choice)
 * @attrs: 0 or DMA_ATTR_ALLOC_SINGLE_PAGES (the smallest blocks only)
 *
 * Behind an IOMMU DMA domain: zeroed blocks of whole IOVA granules (the
 * largest the domain maps first, as the kernel does), wherever the page
 * allocator finds them, mapped at one IOVA range below the coherent mask.
 * Otherwise one physically contiguous zeroed allocation (dma-direct, or a
 * device's legacy ops' alloc_pages_op). Either way sgt->nents is 1: the
 * device's range is sg_dma_address(sgt->sgl), sg_dma_len(sgt->sgl) bytes;
 * the CPU's pages are the sgt->orig_nents entries. The memory is not
 * coherent: dma_sync_sgtable_for_device() after the CPU wrote it,
 * dma_sync_sgtable_for_cpu() before the CPU reads what the device wrote.
 *
 * Returns the table, which the caller owns with the memory until
 * dma_free_noncontiguous(); or NULL: allocation failure, a size of 0 or
 * too large for one entry, and (WARN) attributes other than
 * DMA_ATTR_ALLOC_SINGLE_PAGES, __GFP_COMP, an invalid direction (the last
 * one dmastack's check). Takes the page allocator's and IOVA locks.
 */
struct sg_table *dma_alloc_noncontiguous(struct device *dev, size_t size,
					 enum dma_data_direction dir,
					 gfp_t gfp, unsigned long attrs)
{
	struct sg_table *sgt;

	if (!dev || dma_dev_unusable(dev, DMA_USE_ALLOC, __func__))
		return NULL;
	if (attrs & ~DMA_ATTR_ALLOC_SINGLE_PAGES) {
		SIM_WARN(dev->sim, dev,
			 "dma_alloc_noncontiguous: %s: unsupported attributes %#lx",
			 dev_name(dev), attrs);
		return NULL;
	}
	if (gfp & __GFP_COMP) {
		SIM_WARN(dev->sim, dev, "dma_alloc_noncontiguous: %s: __GFP_COMP",
			 dev_name(dev));
		return NULL;
	}
	if (!valid_dma_direction(dir)) {
		SIM_WARN(dev->sim, dev,
			 "dma_alloc_noncontiguous: %s: invalid DMA direction %d",
			 dev_name(dev), (int)dir);
		return NULL;
	}
	if (!size || size > (size_t)(UINT_MAX & PAGE_MASK))
		sgt = NULL;
	else if (use_dma_iommu(dev))
		sgt = iommu_dma_alloc_noncontiguous(dev, size, dir, gfp, attrs);
	else
		sgt = alloc_single_sgt(dev, size, dir, gfp);

	if (sgt) {
		sgt->nents = 1;
		trace_dma_alloc_sgt(dev, sgt, size, dir, gfp, attrs);
		debug_dma_map_sg(dev, sgt->sgl, (int)sgt->orig_nents, 1, dir,
				 attrs);
	} else {
		trace_dma_alloc_sgt(dev, NULL, size, dir, gfp, attrs);
	}
	return sgt;
}

/**
 * dma_free_noncontiguous - free what dma_alloc_noncontiguous() gave
 * @dev: the device it was allocated for (NULL: nothing)
 * @size: the size that was asked for
 * @sgt: the table (NULL: nothing); freed with the memory
 * @dir: the direction it was allocated with
 *
 * The device must be done with it; a vmap of it must be gone. A @size that
 * does not round to what was allocated is reported (WARN) and the
 * allocation's own size is freed (the kernel would free the wrong size).
 * Takes dma-debug's, the IOVA and the page allocator's locks.
 */
void dma_free_noncontiguous(struct device *dev, size_t size,
			    struct sg_table *sgt, enum dma_data_direction dir)
{
	if (!dev || !sgt || dma_dev_unusable(dev, DMA_USE_ALLOC, __func__))
		return;
	trace_dma_free_sgt(dev, sgt, size, dir);
	debug_dma_unmap_sg(dev, sgt->sgl, (int)sgt->orig_nents, dir);
	if (use_dma_iommu(dev))
		iommu_dma_free_noncontiguous(dev, size, sgt, dir);
	else
		free_single_sgt(dev, size, sgt, dir);
}

/**
 * dma_vmap_noncontiguous - one CPU range over a non-contiguous allocation
 * @dev: the device it was allocated for
 * @size: the size that was asked for
 * @sgt: the table of dma_alloc_noncontiguous()
 *
 * Without an IOMMU the memory is contiguous: its linear-map address. The
 * simulated CPU cannot remap scattered pages into one range (it has no
 * vmap() of RAM): behind an IOMMU this works only when the blocks happen to
 * be physically contiguous (sgt->orig_nents == 1), else NULL (as a failed
 * vmap; noted in the machine's log). The caller syncs the range with the
 * sg_table as for the pages. Undo with dma_vunmap_noncontiguous(). Takes
 * no lock.
 */
void *dma_vmap_noncontiguous(struct device *dev, size_t size,
			     struct sg_table *sgt)
{
	if (!dev || !sgt || !sgt->sgl)
		return NULL;
	if (use_dma_iommu(dev))
		return iommu_dma_vmap_noncontiguous(dev, size, sgt);
	return page_address(sg_page(sgt->sgl));
}

/**
 * dma_vunmap_noncontiguous - end a dma_vmap_noncontiguous() mapping
 * @dev: the device the memory was allocated for
 * @vaddr: what dma_vmap_noncontiguous() returned
 *
 * The range was the pages' own linear-map address: nothing to undo. Takes
 * no lock.
 */
void dma_vunmap_noncontiguous(struct device *dev, void *vaddr)
{
	(void)dev;
	(void)vaddr;
}

/* ------------------------------------------------------------------------ */
/* Managed (devres) coherent memory                                         */
/* ------------------------------------------------------------------------ */

struct dma_devres {
	size_t size;
	void *vaddr;
	dma_addr_t dma_handle;
	unsigned long attrs;
};

static void dmam_release(struct device *dev, void *res)
{
	struct dma_devres *this = res;

	dma_free_attrs(dev, this->size, this->vaddr, this->dma_handle,
		       this->attrs);
}

/* The allocation at the CPU address; a different size or handle is a WARN. */
static int dmam_match(struct device *dev, void *res, void *match_data)
{
	struct dma_devres *this = res, *match = match_data;

	if (this->vaddr != match->vaddr)
		return 0;
	if (this->size != match->size || this->dma_handle != match->dma_handle)
		SIM_WARN(dev->sim, dev,
			 "dmam_free_coherent: %s %s: %p freed as %zu bytes at %#llx, allocated as %zu bytes at %#llx",
			 dev_driver_string(dev), dev_name(dev), match->vaddr,
			 match->size, (unsigned long long)match->dma_handle,
			 this->size, (unsigned long long)this->dma_handle);
	return 1;
}

/**
 * dmam_alloc_attrs - managed dma_alloc_attrs()
 * @dev: the device to allocate for (NULL: nothing)
 * @size: bytes
 * @dma_handle: where the DMA address goes
 * @gfp: allocation flags
 * @attrs: DMA_ATTR_*
 *
 * The memory is the device's: the driver core frees it (with @attrs) when
 * the driver is unbound or the machine shuts down, unless the driver frees
 * it before with dmam_free_coherent(). Returns the CPU address, or NULL.
 * Takes the machine's devres lock to add the resource.
 */
void *dmam_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle,
		       gfp_t gfp, unsigned long attrs)
{
	struct dma_devres *dr;
	void *vaddr;

	if (!dev)
		return NULL;
	dr = devres_alloc_machine(dev->sim, dmam_release, sizeof(*dr));
	if (!dr)
		return NULL;
	vaddr = dma_alloc_attrs(dev, size, dma_handle, gfp, attrs);
	if (!vaddr)
		goto err_free_devres;
	dr->vaddr = vaddr;
	dr->dma_handle = *dma_handle;
	dr->size = size;
	dr->attrs = attrs;
	devres_add(dev, dr);
	return vaddr;

err_free_devres:
	devres_free(dr);
	return NULL;
}

/**
 * dmam_free_coherent - free managed coherent memory before the unbind does
 * @dev: the device it was allocated for (NULL: nothing)
 * @size, @vaddr, @dma_handle: as allocated
 *
 * The resource is forgotten first (WARN if @dev has no managed allocation
 * at @vaddr, or it had another size or handle), then the memory is freed
 * with dma_free_coherent() in any case, as the kernel does. Takes the
 * machine's devres lock.
 */
void dmam_free_coherent(struct device *dev, size_t size, void *vaddr,
			dma_addr_t dma_handle)
{
	struct dma_devres match_data = {
		.size = size, .vaddr = vaddr, .dma_handle = dma_handle,
	};

	if (!dev)
		return;
	if (devres_destroy(dev, dmam_release, dmam_match, &match_data))
		SIM_WARN(dev->sim, dev,
			 "dmam_free_coherent: %s %s: %p is not a managed allocation of the device",
			 dev_driver_string(dev), dev_name(dev), vaddr);
	dma_free_coherent(dev, size, vaddr, dma_handle);
}

/**
 * dma_get_sgtable_attrs - an sg_table for memory from dma_alloc_attrs()
 * @dev: the device the memory was allocated for
 * @sgt: the caller's table, filled here; its entries are the caller's to
 *	free (sg_free_table()) once done
 * @cpu_addr: the CPU address dma_alloc_attrs() returned
 * @dma_addr: the DMA address it returned
 * @size: the size that was asked for
 * @attrs: the attributes it was allocated with
 *
 * One entry of PAGE_ALIGN(@size) bytes at offset 0 of the first page (the
 * memory is physically contiguous). Returns 0, -ENOMEM, -ENXIO (legacy ops
 * without get_sgtable, or an address that is not RAM), -EINVAL (NULL
 * @dev, @sgt or @cpu_addr; @size 0 or beyond what an entry can hold: the
 * kernel does not check these). On failure @sgt holds nothing to free.
 * Takes no lock of its own.
 */
int dma_get_sgtable_attrs(struct device *dev, struct sg_table *sgt,
			  void *cpu_addr, dma_addr_t dma_addr, size_t size,
			  unsigned long attrs)
{
	const struct dma_map_ops *ops;

	if (!dev || !sgt || !cpu_addr || !size ||
	    size > (size_t)(UINT_MAX & PAGE_MASK))
		return -EINVAL;
	memset(sgt, 0, sizeof(*sgt));
	ops = get_dma_ops(dev);
	if (dma_alloc_direct(dev, ops))
		return dma_direct_get_sgtable(dev, sgt, cpu_addr, dma_addr,
					      size, attrs);
	if (use_dma_iommu(dev))
		return iommu_dma_get_sgtable(dev, sgt, cpu_addr, dma_addr, size,
					     attrs);
	if (!ops->get_sgtable)
		return -ENXIO;
	return ops->get_sgtable(dev, sgt, cpu_addr, dma_addr, size, attrs);
}

/**
 * sim_dma_stats_get - what the DMA API and the hardware counted on @m
 * @m: the machine
 * @out: filled: the API's counters summed over the functions, the
 *	kernel's (bounces, coherent allocations) and the hardware's (cache
 *	maintenance, device accesses)
 *
 * Each counter is read once without a lock: exact, the set not atomic.
 */
void sim_dma_stats_get(struct sim_machine *m, struct sim_dma_stats *out)
{
	const struct sim_stats *hw = &m->stats;

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		const struct sim_dma_dev_stats *st;

		if (!m->nodes[i]->fn ||
		    !(st = m->nodes[i]->fn->pdev.dev.sim_dma_stats))
			continue;
		for (unsigned int k = 0; k < SIM_DMA_STAT_SHARDS; k++) {
			const struct sim_dma_stat_shard *sh = &st->shard[k];

			out->maps += atomic_load(&sh->maps);
			out->unmaps += atomic_load(&sh->unmaps);
			out->map_errors += atomic_load(&sh->map_errors);
			out->syncs += atomic_load(&sh->syncs);
		}
	}
	out->bounced_maps = atomic_load(&m->kernel->stats.bounced_maps);
	out->bounced_bytes = atomic_load(&m->kernel->stats.bounced_bytes);
	out->swiotlb_full = atomic_load(&m->kernel->stats.swiotlb_full);
	out->coherent_allocs = atomic_load(&m->kernel->stats.coherent_allocs);
	out->cache_ops = atomic_load(&hw->cache_ops);
	out->dev_reads = atomic_load(&hw->dev_reads);
	out->dev_writes = atomic_load(&hw->dev_writes);
	out->dev_bytes = atomic_load(&hw->dev_bytes);
	out->p2p_accesses = atomic_load(&hw->p2p_accesses);
}
