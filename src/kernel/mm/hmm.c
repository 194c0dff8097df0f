// SPDX-License-Identifier: MIT
/*
 * HMM DMA mapping (mm/hmm.c: hmm_dma_map_alloc/free, hmm_dma_map_pfn,
 * hmm_dma_unmap_pfn), as the series "Provide a new two step DMA mapping
 * API" added it for RDMA ODP:
 *
 *  - a mirror of N pages allocates ONE IOVA range up front when the device
 *    is behind an IOMMU (dma_iova_try_alloc()). Entry idx always lives at
 *    state.addr + idx * dma_entry_size, so mapping a page that faulted in
 *    is dma_iova_link() + dma_iova_sync() of that page: a page-table write,
 *    no IOVA allocation, and no dma_addr_t kept per page;
 *  - without an IOMMU (or when the IOVA range cannot be had) each entry is
 *    mapped with dma_map_phys() and, if dma_need_unmap(), its address is
 *    kept in dma_list for the unmap;
 *  - P2P pages are mapped by their map type: below a common switch the bus
 *    address is used as is (HMM_PFN_P2PDMA_BUS, nothing to unmap); through
 *    the host bridge they are MMIO (HMM_PFN_P2PDMA, DMA_ATTR_MMIO);
 *  - HMM_PFN_DMA_MAPPED marks a mapped entry and survives hmm_range_fault()
 *    refilling the pfn (src/kernel/mm/process.c), so a fault on an entry that is
 *    already mapped costs nothing.
 *
 * Locking: as in the kernel, none. The caller serialises all calls on one
 * map (RDMA ODP holds umem_mutex); different maps are independent.
 *
 * Where dmastack differs: the kernel's hmm_dma_map_alloc() always tries the
 * IOVA range; here an entry smaller than the IOMMU granule (4K entries on a
 * 64K-granule SMMU) cannot be linked at its own offset, so such a map uses
 * per-entry dma_map_phys() instead (and an untrusted device, which would
 * then bounce sub-granule entries, is refused as a device that needs
 * syncs is). struct hmm_dma_map also remembers nr_entries, so that an index
 * out of range is reported rather than written past the arrays.
 */
#include <string.h>
#include "internal.h"

/**
 * sim_pfn_to_page - pfn_to_page() of a machine
 * @m: the machine
 * @pfn: a page frame number
 *
 * Return: the struct page of RAM or of a P2PDMA pgmap (which may take the
 * provider's mutex), NULL for anything else.
 */
struct page *sim_pfn_to_page(struct sim_machine *m, unsigned long pfn)
{
	if (!m)
		return NULL;
	if (sim_pfn_valid(m, pfn))
		return sim_phys_to_page(m, PFN_PHYS(pfn));
	return sim_p2pdma_pfn_to_page(m, pfn);
}

static bool dev_untrusted(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);

	return pdev && pdev->untrusted;
}

/**
 * hmm_dma_map_alloc - allocate the lists of an HMM DMA map
 * @dev: the device that will DMA to the mirrored pages
 * @map: the map to set up; zeroed here, owned by the caller, and must not
 *	move until hmm_dma_map_free() (the IOVA state is tracked by address)
 * @nr_entries: pages the mirror covers
 * @dma_entry_size: bytes one entry maps: PAGE_SIZE or a multiple of it
 *
 * Allocates pfn_list, then tries one IOVA range of @nr_entries pages for
 * the whole mirror; without one (no IOMMU, passthrough, no IOVA space, an
 * entry smaller than the IOMMU granule) it allocates dma_list when
 * dma_need_unmap() says mapped addresses must be kept. Takes no lock.
 *
 * Return: 0; -EINVAL for bad arguments; -EOPNOTSUPP when the device needs
 * cache syncs, is addressing limited or would bounce (HMM cannot hand
 * buffer ownership back and forth); -ENOMEM.
 */
int hmm_dma_map_alloc(struct device *dev, struct hmm_dma_map *map,
		      size_t nr_entries, size_t dma_entry_size)
{
	unsigned long granule;
	struct sim_machine *m;
	bool use_iova = false;

	if (!dev || !dev->sim || !map)
		return -EINVAL;
	m = dev->sim;
	memset(map, 0, sizeof(*map));
	if (!nr_entries || !dma_entry_size ||
	    dma_entry_size % PAGE_SIZE ||
	    nr_entries > SIZE_MAX / PAGE_SIZE ||
	    !(nr_entries * PAGE_SIZE / dma_entry_size)) {
		SIM_WARN(m, dev,
			 "hmm_dma_map_alloc: %s: %zu entries of %zu bytes",
			 dev_name(dev), nr_entries, dma_entry_size);
		return -EINVAL;
	}
	/*
	 * The HMM API violates the normal DMA buffer ownership rules and
	 * cannot transfer ownership: a device that needs syncs or bouncing
	 * is refused (dma_addressing_limited() stands in for "no swiotlb").
	 */
	if (!dev->dma_skip_sync || dma_addressing_limited(dev) ||
	    is_swiotlb_force_bounce(dev))
		return -EOPNOTSUPP;

	granule = device_iommu_mapped(dev) ? sim_iommu_granule(dev) : 0;
	if (granule && dma_entry_size % granule && dev_untrusted(dev))
		return -EOPNOTSUPP;

	map->dma_entry_size = dma_entry_size;
	map->nr_entries = nr_entries;
	map->pfn_list = sim_kcalloc(m, nr_entries, sizeof(*map->pfn_list));
	if (!map->pfn_list)
		goto err_clear;

	if (!granule || dma_entry_size % granule == 0)
		use_iova = dma_iova_try_alloc(dev, &map->state, 0,
					      nr_entries * PAGE_SIZE);
	if (!use_iova && dma_need_unmap(dev)) {
		map->dma_list = sim_kcalloc(m, nr_entries,
					    sizeof(*map->dma_list));
		if (!map->dma_list)
			goto err_free_pfns;
	}
	return 0;

err_free_pfns:
	sim_kfree(m, map->pfn_list);
err_clear:
	memset(map, 0, sizeof(*map));
	return -ENOMEM;
}

/**
 * hmm_dma_map_free - free what hmm_dma_map_alloc() allocated
 * @dev: the device the map was allocated for
 * @map: the map; zeroed on return, so a second free does nothing
 *
 * The caller unmaps its entries first (hmm_dma_unmap_pfn()). Entries still
 * mapped are reported and unmapped here, so that no IOVA, page-table entry
 * or dma-debug entry outlives the map. Same locking as the other calls.
 */
void hmm_dma_map_free(struct device *dev, struct hmm_dma_map *map)
{
	size_t left = 0, usable;

	if (!dev || !dev->sim || !map || !map->pfn_list)
		return;
	usable = map->nr_entries * PAGE_SIZE / map->dma_entry_size;
	for (size_t i = 0; i < usable; i++)
		if (hmm_dma_unmap_pfn(dev, map, i))
			left++;
	if (left)
		SIM_WARN(dev->sim, dev,
			 "hmm_dma_map_free: %s: %zu entries were still DMA mapped",
			 dev_name(dev), left);
	if (dma_use_iova(&map->state))
		dma_iova_free(dev, &map->state);
	sim_kfree(dev->sim, map->pfn_list);
	sim_kfree(dev->sim, map->dma_list);
	memset(map, 0, sizeof(*map));
}

/* The usable entries: the IOVA range is nr_entries pages long. */
static bool idx_ok(struct device *dev, struct hmm_dma_map *map, size_t idx,
		   const char *who)
{
	if (map->pfn_list && idx < map->nr_entries &&
	    (idx + 1) * map->dma_entry_size <= map->nr_entries * PAGE_SIZE)
		return true;
	SIM_WARN(dev->sim, dev, "%s: %s: entry %zu outside the map (%zu entries)",
		 who, dev_name(dev), idx, map->nr_entries);
	return false;
}

/**
 * hmm_dma_map_pfn - DMA map the page of one entry
 * @dev: the device
 * @map: the map; pfn_list[@idx] holds the page (HMM_PFN_VALID set), as
 *	hmm_range_fault() or the caller filled it
 * @idx: the entry
 * @p2pdma_state: the P2P provider last seen for this mapping (zeroed by the
 *	caller before the first page; NULL when no P2P page is expected)
 *
 * An entry already mapped (HMM_PFN_DMA_MAPPED, not a bus address) is not
 * mapped again: its address is returned. Otherwise a RAM page or a P2P page
 * through the host bridge (DMA_ATTR_MMIO, HMM_PFN_P2PDMA) is linked at its
 * offset of the IOVA range and synced, or mapped with dma_map_phys() and
 * its address stored; a P2P page below a common switch is reached with its
 * bus address (HMM_PFN_P2PDMA_BUS). P2P pages take DMA_ATTR_SKIP_CPU_SYNC:
 * MMIO is never cached. Sets HMM_PFN_DMA_MAPPED on success. The caller
 * serialises calls on @map.
 *
 * Return: the address the device uses for the entry, or DMA_MAPPING_ERROR
 * (bad arguments, a page that is neither RAM nor P2P memory, a P2P path
 * that is not supported, a failing link or map).
 */
dma_addr_t hmm_dma_map_pfn(struct device *dev, struct hmm_dma_map *map,
			   size_t idx,
			   struct pci_p2pdma_map_state *p2pdma_state)
{
	struct pci_p2pdma_map_state local = { 0 };
	struct dma_iova_state *state;
	unsigned long attrs = 0;
	unsigned long *pfns;
	size_t offset, size;
	struct page *page;
	dma_addr_t dma_addr;
	phys_addr_t paddr;
	int ret;

	if (!dev || !dev->sim || !map || !idx_ok(dev, map, idx,
						 "hmm_dma_map_pfn"))
		return DMA_MAPPING_ERROR;
	state = &map->state;
	pfns = map->pfn_list;
	size = map->dma_entry_size;
	offset = idx * size;
	paddr = hmm_pfn_to_phys(pfns[idx]);

	if ((pfns[idx] & HMM_PFN_DMA_MAPPED) &&
	    !(pfns[idx] & HMM_PFN_P2PDMA_BUS)) {
		/*
		 * Already programmed (e.g. a read fault mapped it and now a
		 * write fault resyncs the flags): nothing to link again.
		 */
		if (dma_use_iova(state))
			return state->addr + offset;
		if (map->dma_list)
			return map->dma_list[idx];
		/* Stateless direct mapping: regenerate the address below. */
	}
	if (!(pfns[idx] & HMM_PFN_VALID)) {
		SIM_WARN(dev->sim, dev,
			 "hmm_dma_map_pfn: %s: entry %zu has no valid page",
			 dev_name(dev), idx);
		return DMA_MAPPING_ERROR;
	}
	page = sim_pfn_to_page(dev->sim, hmm_pfn_to_pfn(pfns[idx]));
	if (!page) {
		SIM_WARN(dev->sim, dev,
			 "hmm_dma_map_pfn: %s: entry %zu: pfn %#lx is neither RAM nor P2P memory",
			 dev_name(dev), idx, hmm_pfn_to_pfn(pfns[idx]));
		return DMA_MAPPING_ERROR;
	}
	if (!p2pdma_state)
		p2pdma_state = &local;

	switch (pci_p2pdma_state(p2pdma_state, dev, page)) {
	case PCI_P2PDMA_MAP_NONE:
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		attrs |= DMA_ATTR_MMIO | DMA_ATTR_SKIP_CPU_SYNC;
		pfns[idx] |= HMM_PFN_P2PDMA;
		break;
	case PCI_P2PDMA_MAP_BUS_ADDR:
		pfns[idx] |= HMM_PFN_P2PDMA_BUS | HMM_PFN_DMA_MAPPED;
		return pci_p2pdma_bus_addr_map(p2pdma_state->mem, paddr);
	default:
		return DMA_MAPPING_ERROR;
	}

	if (dma_use_iova(state)) {
		unsigned long granule = sim_iommu_granule(dev);

		/* Only the first link may start inside a granule. */
		if (granule && offset && !IS_ALIGNED(paddr, granule)) {
			SIM_WARN(dev->sim, dev,
				 "hmm_dma_map_pfn: %s: entry %zu at %#llx is not aligned to the IOMMU granule",
				 dev_name(dev), idx, (unsigned long long)paddr);
			goto error;
		}
		ret = dma_iova_link(dev, state, paddr, offset, size,
				    DMA_BIDIRECTIONAL, attrs);
		if (ret)
			goto error;
		ret = dma_iova_sync(dev, state, offset, size);
		if (ret) {
			dma_iova_unlink(dev, state, offset, size,
					DMA_BIDIRECTIONAL, attrs);
			goto error;
		}
		dma_addr = state->addr + offset;
	} else {
		if (dma_need_unmap(dev) && !map->dma_list) {
			/* Allocated before dma-debug was switched on. */
			SIM_WARN(dev->sim, dev,
				 "hmm_dma_map_pfn: %s: the device needs unmapping but the map keeps no addresses",
				 dev_name(dev));
			goto error;
		}
		dma_addr = dma_map_phys(dev, paddr, size, DMA_BIDIRECTIONAL,
					attrs);
		if (dma_mapping_error(dev, dma_addr))
			goto error;
		if (map->dma_list)
			map->dma_list[idx] = dma_addr;
	}
	pfns[idx] |= HMM_PFN_DMA_MAPPED;
	return dma_addr;

error:
	pfns[idx] &= ~HMM_PFN_P2PDMA;
	return DMA_MAPPING_ERROR;
}

/**
 * hmm_dma_unmap_pfn - DMA unmap the page of one entry
 * @dev: the device
 * @map: the map
 * @idx: the entry
 *
 * Unlinks the entry from the IOVA range (with the IOTLB invalidation that
 * dma_iova_unlink() does), or dma_unmap_phys()s its stored address; a bus
 * address needs nothing. Clears HMM_PFN_DMA_MAPPED, HMM_PFN_P2PDMA and
 * HMM_PFN_P2PDMA_BUS; the pfn and the CPU flags stay for the caller to
 * clear. The caller serialises calls on @map.
 *
 * Return: true if the entry was mapped (HMM_PFN_VALID and
 * HMM_PFN_DMA_MAPPED) and is unmapped now, false otherwise.
 */
bool hmm_dma_unmap_pfn(struct device *dev, struct hmm_dma_map *map, size_t idx)
{
	const unsigned long valid_dma = HMM_PFN_VALID | HMM_PFN_DMA_MAPPED;
	unsigned long attrs = 0;
	unsigned long *pfns;

	if (!dev || !dev->sim || !map ||
	    !idx_ok(dev, map, idx, "hmm_dma_unmap_pfn"))
		return false;
	pfns = map->pfn_list;
	if ((pfns[idx] & valid_dma) != valid_dma)
		return false;

	if (pfns[idx] & HMM_PFN_P2PDMA)
		attrs |= DMA_ATTR_MMIO | DMA_ATTR_SKIP_CPU_SYNC;

	if (pfns[idx] & HMM_PFN_P2PDMA_BUS)
		; /* a bus address was never mapped */
	else if (dma_use_iova(&map->state))
		dma_iova_unlink(dev, &map->state, idx * map->dma_entry_size,
				map->dma_entry_size, DMA_BIDIRECTIONAL, attrs);
	else if (map->dma_list)
		dma_unmap_phys(dev, map->dma_list[idx], map->dma_entry_size,
			       DMA_BIDIRECTIONAL, attrs);

	pfns[idx] &= ~(HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA |
		       HMM_PFN_P2PDMA_BUS);
	return true;
}
