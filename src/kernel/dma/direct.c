// SPDX-License-Identifier: MIT
/*
 * dma-direct: DMA without an IOMMU. The DMA address is the physical address
 * translated by the bus's DRAM offset; memory the device cannot reach (mask,
 * bus limit) is bounced through swiotlb; non-coherent devices get cache
 * maintenance. DMA_ATTR_MMIO mappings are never bounced or cache-maintained
 * and use the physical address untranslated, exactly as the kernel's
 * dma_direct_map_phys() does.
 */
#include <string.h>
#include "internal.h"
#include "dma.h"

/* ------------------------------------------------------------------------ */
/* Address translation (include/linux/dma-direct.h)                         */
/* ------------------------------------------------------------------------ */

dma_addr_t phys_to_dma(struct device *dev, phys_addr_t paddr)
{
	const struct bus_dma_region *map = dev->dma_range_map;

	if (!map)
		return paddr;
	for (int i = 0; i < 2 && map[i].size; i++)
		if (paddr >= map[i].cpu_start &&
		    paddr - map[i].cpu_start < map[i].size)
			return paddr - map[i].cpu_start + map[i].dma_start;
	return DMA_MAPPING_ERROR;
}

phys_addr_t dma_to_phys(struct device *dev, dma_addr_t dma_addr)
{
	const struct bus_dma_region *map = dev->dma_range_map;

	if (!map)
		return dma_addr;
	for (int i = 0; i < 2 && map[i].size; i++)
		if (dma_addr >= map[i].dma_start &&
		    dma_addr - map[i].dma_start < map[i].size)
			return dma_addr - map[i].dma_start + map[i].cpu_start;
	return (phys_addr_t)-1;
}

bool dma_capable(struct device *dev, dma_addr_t addr, size_t size,
		 bool is_ram)
{
	dma_addr_t end = addr + size - 1;

	(void)is_ram;
	if (addr == DMA_MAPPING_ERROR)
		return false;
	if (size && end < addr)
		return false;
	return end <= min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
}

/* ------------------------------------------------------------------------ */
/* Cache maintenance (arm64's arch_sync_dma_for_{device,cpu})               */
/* ------------------------------------------------------------------------ */

void arch_sync_dma_for_device(struct device *dev, phys_addr_t paddr,
			      size_t size, enum dma_data_direction dir)
{
	(void)dir;
	/* Clean to the point of coherency, whatever the direction. */
	sim_cache_clean(dev->sim, paddr, size);
}

void arch_sync_dma_for_cpu(struct device *dev, phys_addr_t paddr, size_t size,
			   enum dma_data_direction dir)
{
	if (dir == DMA_TO_DEVICE)
		return;
	sim_cache_inval(dev->sim, paddr, size);
}

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

dma_addr_t dma_direct_map_phys(struct device *dev, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	dma_addr_t dma_addr;

	if (is_swiotlb_force_bounce(dev)) {
		if (attrs & DMA_ATTR_MMIO)
			return DMA_MAPPING_ERROR;
		return swiotlb_map(dev, phys, size, dir, attrs);
	}

	if (attrs & DMA_ATTR_MMIO) {
		dma_addr = phys;
		if (unlikely(!dma_capable(dev, dma_addr, size, false)))
			goto err_overflow;
	} else {
		dma_addr = phys_to_dma(dev, phys);
		if (unlikely(!dma_capable(dev, dma_addr, size, true))) {
			if (is_swiotlb_active(dev))
				return swiotlb_map(dev, phys, size, dir, attrs);
			goto err_overflow;
		}
	}

	if (!dev_is_dma_coherent(dev) &&
	    !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO)))
		arch_sync_dma_for_device(dev, phys, size, dir);
	return dma_addr;

err_overflow:
	sim_dev_warn(dev, "%s %s: DMA addr %#llx+%zu overflow (mask %llx, bus limit %llx).",
		 dev_driver_string(dev), dev_name(dev),
		 (unsigned long long)dma_addr, size,
		 (unsigned long long)*dev->dma_mask,
		 (unsigned long long)dev->bus_dma_limit);
	return DMA_MAPPING_ERROR;
}

void dma_direct_sync_single_for_device(struct device *dev, dma_addr_t addr,
				       size_t size,
				       enum dma_data_direction dir)
{
	phys_addr_t paddr = dma_to_phys(dev, addr);

	if (unlikely(is_swiotlb_buffer(dev, paddr)))
		swiotlb_sync_single_for_device(dev, paddr, size, dir);
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_device(dev, paddr, size, dir);
}

void dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir)
{
	phys_addr_t paddr = dma_to_phys(dev, addr);

	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_cpu(dev, paddr, size, dir);
	if (unlikely(is_swiotlb_buffer(dev, paddr)))
		swiotlb_sync_single_for_cpu(dev, paddr, size, dir);
}

void dma_direct_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	phys_addr_t phys;

	if (attrs & DMA_ATTR_MMIO)
		return;	/* nothing to do: uncached and never bounced */
	phys = dma_to_phys(dev, addr);
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		dma_direct_sync_single_for_cpu(dev, addr, size, dir);
	if (unlikely(is_swiotlb_buffer(dev, phys)))
		swiotlb_tbl_unmap_single(dev, phys, size, dir,
					 attrs | DMA_ATTR_SKIP_CPU_SYNC);
}

void dma_direct_unmap_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		if (sg_dma_is_bus_address(sg))
			sg_dma_unmark_bus_address(sg);
		else
			/*
			 * A P2PDMA page mapped through the host bridge was
			 * mapped as MMIO: no cache maintenance, no swiotlb.
			 */
			dma_direct_unmap_phys(dev, sg->dma_address,
					      sg_dma_len(sg), dir,
					      is_pci_p2pdma_page(sg_page(sg)) ?
						      attrs | DMA_ATTR_MMIO :
						      attrs);
	}
}

/*
 * P2PDMA pages as the kernel maps them: a bus-address segment (both
 * devices below a common switch) bypasses the DMA layer and is marked so
 * that unmap skips it; one through the host bridge is MMIO (CPU physical
 * address, never bounced or cache-maintained); one the topology cannot
 * carry fails the whole list with -EREMOTEIO.
 */
int dma_direct_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct pci_p2pdma_map_state p2pdma_state = {};
	struct scatterlist *sg;
	int i, ret;

	for_each_sg(sgl, sg, nents, i) {
		switch (pci_p2pdma_state(&p2pdma_state, dev, sg_page(sg))) {
		case PCI_P2PDMA_MAP_BUS_ADDR:
			sg_map_p2p_bus_addr(sg, &p2pdma_state);
			continue;
		case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
			sg->dma_address = dma_direct_map_phys(dev, sg_phys(sg),
							      sg->length, dir,
							      attrs | DMA_ATTR_MMIO);
			break;
		case PCI_P2PDMA_MAP_NONE:
			sg->dma_address = dma_direct_map_phys(dev, sg_phys(sg),
							      sg->length, dir,
							      attrs);
			break;
		default:
			ret = -EREMOTEIO;
			goto out_unmap;
		}
		if (sg->dma_address == DMA_MAPPING_ERROR) {
			ret = -EIO;
			goto out_unmap;
		}
		sg_dma_len(sg) = sg->length;
	}
	return nents;

out_unmap:
	dma_direct_unmap_sg(dev, sgl, i, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return ret;
}

void dma_direct_sync_sg_for_device(struct device *dev, struct scatterlist *sgl,
				   int nents, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		dma_direct_sync_single_for_device(dev, sg->dma_address,
						  sg->length, dir);
}

void dma_direct_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
				int nents, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		dma_direct_sync_single_for_cpu(dev, sg->dma_address, sg->length,
					       dir);
}

bool dma_direct_need_sync(struct device *dev, dma_addr_t dma_addr)
{
	return !dev_is_dma_coherent(dev) ||
	       is_swiotlb_buffer(dev, dma_to_phys(dev, dma_addr));
}

/* ------------------------------------------------------------------------ */
/* Masks and limits                                                         */
/* ------------------------------------------------------------------------ */

static phys_addr_t ram_top(struct sim_machine *m)
{
	struct sim_ram *ram = &m->ram;
	struct sim_ram_region *r = &ram->regions[ram->nr_regions - 1];

	return r->base + r->size;
}

u64 dma_direct_get_required_mask(struct device *dev)
{
	phys_addr_t phys = ram_top(dev->sim) - 1;
	u64 max_dma = phys_to_dma(dev, phys);
	int bits = 64 - __builtin_clzll(max_dma | 1);

	return (1ULL << (bits - 1)) * 2 - 1;
}

int dma_direct_supported(struct device *dev, u64 mask)
{
	u64 min_mask = ram_top(dev->sim) - 1;

	/* Every architecture must satisfy 32-bit masks. */
	if (mask >= DMA_BIT_MASK(32))
		return 1;
	/* ZONE_DMA (16 MiB) is the lowest memory a mask must reach. */
	min_mask = min(min_mask, (u64)SZ_16M - 1);
	return mask >= phys_to_dma(dev, min_mask);
}

bool dma_direct_all_ram_mapped(struct device *dev)
{
	struct sim_ram *ram = &dev->sim->ram;

	for (unsigned int i = 0; i < ram->nr_regions; i++)
		if (!dma_capable(dev, phys_to_dma(dev, ram->regions[i].base),
				 ram->regions[i].size, true))
			return false;
	return true;
}

size_t dma_direct_max_mapping_size(struct device *dev)
{
	if (is_swiotlb_active(dev) &&
	    (dma_addressing_limited(dev) || is_swiotlb_force_bounce(dev)))
		return swiotlb_max_mapping_size(dev);
	return SIZE_MAX;
}

/* ------------------------------------------------------------------------ */
/* Allocations                                                              */
/* ------------------------------------------------------------------------ */

static bool dma_coherent_ok(struct device *dev, phys_addr_t phys, size_t size)
{
	dma_addr_t dma_addr = phys_to_dma(dev, phys);

	if (dma_addr == DMA_MAPPING_ERROR)
		return false;
	return dma_addr + size - 1 <=
	       min_not_zero(dev->coherent_dma_mask, dev->bus_dma_limit);
}

/*
 * Pages for a coherent or non-coherent allocation: pick the zone from the
 * mask, retry lower zones if the block landed above it (the kernel's
 * __dma_direct_alloc_pages()).
 */
static struct page *__dma_direct_alloc_pages(struct device *dev, size_t size,
					     gfp_t gfp, u64 mask)
{
	struct sim_machine *m = dev->sim;
	unsigned int order = (unsigned int)get_order(size);
	u64 limit = min_not_zero(mask, dev->bus_dma_limit);
	struct page *page;

	if (order > MAX_PAGE_ORDER)
		return NULL;
	gfp &= ~(__GFP_DMA | __GFP_DMA32);
	if (limit < DMA_BIT_MASK(32))
		gfp |= limit < SZ_16M ? __GFP_DMA : __GFP_DMA32;
	else if (limit < ~0ULL && phys_to_dma(dev, SZ_4G) > limit)
		gfp |= __GFP_DMA32;
	page = sim_alloc_pages_gfp(m, gfp, order, 0);
	if (page && !dma_coherent_ok(dev, page_to_phys(page), size)) {
		sim_free_pages(m, page, order);
		page = sim_alloc_pages_gfp(m, gfp | __GFP_DMA32, order, 0);
		if (page && !dma_coherent_ok(dev, page_to_phys(page), size)) {
			sim_free_pages(m, page, order);
			page = NULL;
		}
	}
	return page;
}

/* set_memory_decrypted()/encrypted(): the guest asks the hardware. */
static void set_decrypted(struct sim_machine *m, struct page *page,
			  unsigned int order, bool on)
{
	sim_ram_set_shared(m, page_to_phys(page), PAGE_SIZE << order, on);
}

/**
 * dma_direct_alloc - coherent memory for dma-direct
 *
 * A coherent device gets ordinary cached memory. A non-coherent device gets
 * the uncached alias of freshly flushed pages (arch_dma_prep_coherent +
 * remap), so CPU stores reach DRAM directly. In a confidential guest the
 * pages are shared with the host (set_memory_decrypted) so devices can
 * reach them.
 */
void *dma_direct_alloc(struct device *dev, size_t size, dma_addr_t *dma_handle,
		       gfp_t gfp, unsigned long attrs)
{
	struct sim_machine *m = dev->sim;
	struct page *page;
	phys_addr_t phys;
	void *ret;

	(void)attrs;
	size = ALIGN(size, PAGE_SIZE);
	page = __dma_direct_alloc_pages(dev, size, gfp & ~__GFP_ZERO,
					dev->coherent_dma_mask);
	if (!page)
		return NULL;
	phys = page_to_phys(page);
	if (m->confidential)
		set_decrypted(m, page, page->order, true);
	memset(page_address(page), 0, size);
	if (!dev_is_dma_coherent(dev)) {
		sim_cache_flush(m, phys, size);
		ret = sim_phys_to_uncached(m, phys);
	} else {
		ret = page_address(page);
	}
	*dma_handle = phys_to_dma(dev, phys);
	return ret;
}

void dma_direct_free(struct device *dev, size_t size, void *cpu_addr,
		     dma_addr_t dma_addr)
{
	struct sim_machine *m = dev->sim;
	phys_addr_t phys = sim_virt_to_phys(m, cpu_addr);
	struct page *page;
	unsigned int order = (unsigned int)get_order(ALIGN(size, PAGE_SIZE));

	(void)dma_addr;
	if (phys == (phys_addr_t)-1) {
		SIM_WARN(m, dev, "dma_free_coherent: %p is not memory of this machine",
			 cpu_addr);
		return;
	}
	page = sim_phys_to_page(m, phys);
	if (m->confidential)
		set_decrypted(m, page, order, false);
	sim_free_pages(m, page, order);
}

struct page *dma_direct_alloc_pages(struct device *dev, size_t size,
				    dma_addr_t *dma_handle,
				    enum dma_data_direction dir, gfp_t gfp)
{
	struct sim_machine *m = dev->sim;
	struct page *page;

	(void)dir;
	size = ALIGN(size, PAGE_SIZE);
	page = __dma_direct_alloc_pages(dev, size, gfp, dev->coherent_dma_mask);
	if (!page)
		return NULL;
	if (m->confidential)
		set_decrypted(m, page, page->order, true);
	memset(page_address(page), 0, size);
	*dma_handle = phys_to_dma(dev, page_to_phys(page));
	return page;
}

void dma_direct_free_pages(struct device *dev, size_t size, struct page *page,
			   dma_addr_t dma_addr, enum dma_data_direction dir)
{
	unsigned int order = (unsigned int)get_order(ALIGN(size, PAGE_SIZE));

	(void)dma_addr;
	(void)dir;
	if (dev->sim->confidential)
		set_decrypted(dev->sim, page, order, false);
	sim_free_pages(dev->sim, page, order);
}

/*
 * The sg_table of a dma_direct_alloc() allocation: the page comes from the
 * DMA address, as in the kernel, so it is right for the uncached alias of
 * a non-coherent device too.
 */
int dma_direct_get_sgtable(struct device *dev, struct sg_table *sgt,
			   void *cpu_addr, dma_addr_t dma_addr, size_t size,
			   unsigned long attrs)
{
	phys_addr_t phys = dma_to_phys(dev, dma_addr);
	struct page *page;

	(void)cpu_addr;
	(void)attrs;
	if (phys == (phys_addr_t)-1 ||
	    !(page = sim_phys_to_page(dev->sim, phys)))
		return -ENXIO;
	return dma_contig_sgtable(sgt, page, size);
}
