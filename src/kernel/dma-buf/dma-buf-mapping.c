// SPDX-License-Identifier: MIT
/*
 * Exporter helpers for MMIO (drivers/dma-buf/dma-buf-mapping.c, from the
 * 2025 series "vfio/pci: Allow MMIO regions to be exported through
 * dma-buf"): turn a list of physical ranges of a PCI BAR into a DMA-only
 * sg_table for an importer, choosing how the importer reaches the BAR from
 * the P2PDMA map type:
 *
 *  - PCI_P2PDMA_MAP_BUS_ADDR: the transfer stays below a switch; the
 *    entries are PCI bus addresses (CPU address + the provider's bus
 *    offset), nothing is mapped;
 *  - PCI_P2PDMA_MAP_THRU_HOST_BRIDGE: through the root complex; with an
 *    IOMMU domain one IOVA range with every range linked DMA_ATTR_MMIO and
 *    one sync, otherwise (dma-direct, passthrough) dma_map_phys() with
 *    DMA_ATTR_MMIO per range;
 *  - anything else: -EINVAL.
 *
 * The table has no CPU list: orig_nents is 0, every entry has a NULL page,
 * length and offset 0, only the DMA address and length are set, and
 * entries are split at the largest page multiple an unsigned int holds
 * (sg_dma_len is 32 bits: ALIGN_DOWN(UINT_MAX, PAGE_SIZE), as mainline),
 * so exports far larger than 4 GiB come out as several entries, each of
 * them page aligned in address and length when the ranges are.
 *
 * Where this differs from the series' code, on purpose (each a leak or a
 * wrong unmap in the original):
 *  - sizes and the linked length are size_t throughout;
 *  - the ranges must add up to @size, checked before anything is mapped;
 *  - the IOVA range is freed on every failure after it was allocated,
 *    including a failure of the first link or of sg_alloc_table();
 *  - the dma_map_phys() path remembers each range's address and length and
 *    unmaps exactly what it mapped, range by range: the entries of the
 *    table are pieces of the ranges (dma-debug would see partial
 *    unmaps), and on a failure in the middle the entries [i, nents) were
 *    never filled;
 *  - the IOVA is allocated with the first range's address, so that a first
 *    range not aligned to the IOMMU granule is linked inside the range;
 *  - the table is freed with its real entry count (orig_nents is 0, and
 *    sg_free_table() frees by orig_nents).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "internal.h"

/*
 * sg_dma_len() is an unsigned int: longer ranges take several entries, cut
 * at a page multiple so that every entry after the first of a range starts
 * page aligned (a cut at UINT_MAX would leave every later entry, and every
 * length, one byte short of a page boundary).
 */
#define DMA_BUF_SG_MAX		((size_t)ALIGN_DOWN(UINT_MAX, PAGE_SIZE))

/* One range mapped with dma_map_phys(), as it must be unmapped. */
struct dma_buf_dma_range {
	dma_addr_t addr;
	size_t len;
};

/**
 * struct dma_buf_dma - a table made by dma_buf_phys_vec_to_sgt()
 * @sgt: the table handed to the importer
 * @state: the IOVA state for THRU_HOST_BRIDGE, NULL for BUS_ADDR
 * @size: total length of the ranges
 * @nents: entries allocated in @sgt (its orig_nents is 0)
 * @ranges: THRU_HOST_BRIDGE without IOVA: what dma_map_phys() returned
 * @nr_mapped: entries of @ranges mapped
 */
struct dma_buf_dma {
	struct sg_table sgt;
	struct dma_iova_state *state;
	size_t size;
	unsigned int nents;
	struct dma_buf_dma_range *ranges;
	size_t nr_mapped;
};

/*
 * Fill entries from @sgl for @length bytes of DMA space at @addr, in
 * pieces of at most DMA_BUF_SG_MAX. Returns the entry after the last one
 * filled (NULL after the table's last entry).
 */
static struct scatterlist *fill_sg_entry(struct scatterlist *sgl,
					 size_t length, dma_addr_t addr)
{
	while (length) {
		size_t len = min(length, DMA_BUF_SG_MAX);

		/*
		 * No CPU list: importers must not find a page here. The
		 * physical-address DMA API needs none to map or unmap.
		 */
		sg_set_page(sgl, NULL, 0, 0);
		sg_dma_address(sgl) = addr;
		sg_dma_len(sgl) = (unsigned int)len;
		addr += len;
		length -= len;
		sgl = sg_next(sgl);
	}
	return sgl;
}

/* Entries the table needs, 0 if that does not fit an unsigned int. */
static unsigned int calc_sg_nents(struct dma_iova_state *state,
				  const struct dma_buf_phys_vec *phys_vec,
				  size_t nr_ranges, size_t size)
{
	size_t nents = 0, i;

	if (state && dma_use_iova(state)) {
		/* one IOVA range for everything, cut at DMA_BUF_SG_MAX */
		nents = DIV_ROUND_UP(size, DMA_BUF_SG_MAX);
	} else {
		for (i = 0; i < nr_ranges; i++) {
			nents += DIV_ROUND_UP(phys_vec[i].len, DMA_BUF_SG_MAX);
			if (nents > UINT_MAX)
				return 0;
		}
	}
	return nents > UINT_MAX ? 0 : (unsigned int)nents;
}

/*
 * The ranges' lengths add up to @size, none is empty, nothing overflows.
 * A mismatch is the exporter's bug, so it is reported.
 */
static int check_ranges(struct dma_buf_attachment *attach,
			const struct dma_buf_phys_vec *phys_vec,
			size_t nr_ranges, size_t size)
{
	size_t total = 0, i;

	if (!phys_vec || !nr_ranges || !size)
		return -EINVAL;
	for (i = 0; i < nr_ranges; i++) {
		if (!phys_vec[i].len ||
		    __builtin_add_overflow(total, phys_vec[i].len, &total))
			return -EINVAL;
	}
	if (total != size) {
		SIM_WARN(attach->dev->sim, attach->dev,
			 "dma_buf_phys_vec_to_sgt: ranges add up to %#zx, size is %#zx",
			 total, size);
		return -EINVAL;
	}
	return 0;
}

/* Unmap the ranges dma_map_phys() mapped, in the way they were mapped. */
static void unmap_ranges(struct dma_buf_attachment *attach,
			 struct dma_buf_dma *dma, enum dma_data_direction dir)
{
	while (dma->nr_mapped) {
		struct dma_buf_dma_range *r = &dma->ranges[--dma->nr_mapped];

		dma_unmap_phys(attach->dev, r->addr, r->len, dir,
			       DMA_ATTR_MMIO);
	}
}

/**
 * dma_buf_phys_vec_to_sgt - a DMA-only sg_table of MMIO ranges for
 * @attach->dev
 * @attach: the attachment being mapped (the exporter's map_dma_buf op)
 * @provider: the P2PDMA provider the ranges belong to
 * @phys_vec: the ranges (CPU physical addresses of the BAR); read only
 * @nr_ranges: entries of @phys_vec
 * @size: their total length
 * @dir: direction of the DMA
 *
 * The caller holds @attach->dmabuf->resv (asserted). Exporters that need
 * the transfer to stay below a switch check pci_p2pdma_map_type() first.
 *
 * Returns the table, owned by the caller until dma_buf_free_sgt(), or
 * ERR_PTR(-EINVAL) (no provider, ranges not adding up to @size, a map type
 * other than BUS_ADDR or THRU_HOST_BRIDGE), ERR_PTR(-ENOMEM), or the error
 * of dma_iova_link()/dma_iova_sync()/dma_map_phys(); on error whatever was
 * allocated or mapped is undone.
 */
struct sg_table *dma_buf_phys_vec_to_sgt(struct dma_buf_attachment *attach,
					 struct p2pdma_provider *provider,
					 struct dma_buf_phys_vec *phys_vec,
					 size_t nr_ranges, size_t size,
					 enum dma_data_direction dir)
{
	struct sim_machine *m;
	struct dma_buf_dma *dma;
	struct scatterlist *sgl;
	size_t mapped_len = 0, i;
	unsigned int nents;
	dma_addr_t addr;
	int ret;

	if (!attach || !attach->dmabuf || !attach->dev)
		return ERR_PTR(-EINVAL);
	m = attach->dev->sim;
	dma_resv_assert_held(attach->dmabuf->resv);
	if (!provider) {
		/* the helper is for MMIO only */
		SIM_WARN(m, attach->dev, "dma_buf_phys_vec_to_sgt: no provider");
		return ERR_PTR(-EINVAL);
	}
	ret = check_ranges(attach, phys_vec, nr_ranges, size);
	if (ret)
		return ERR_PTR(ret);

	dma = sim_kzalloc(m, sizeof(*dma));
	if (!dma)
		return ERR_PTR(-ENOMEM);

	switch (pci_p2pdma_map_type(provider, attach->dev)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		/* below a common switch: bus addresses, no IOVA */
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		dma->state = sim_kzalloc(m, sizeof(*dma->state));
		if (!dma->state) {
			ret = -ENOMEM;
			goto err_free_dma;
		}
		/* false (no IOMMU domain, no space) leaves it unused */
		dma_iova_try_alloc(attach->dev, dma->state, phys_vec[0].paddr,
				   size);
		if (!dma_use_iova(dma->state)) {
			dma->ranges = sim_kcalloc(m, nr_ranges,
						  sizeof(*dma->ranges));
			if (!dma->ranges) {
				ret = -ENOMEM;
				goto err_free_state;
			}
		}
		break;
	default:
		ret = -EINVAL;
		goto err_free_dma;
	}

	nents = calc_sg_nents(dma->state, phys_vec, nr_ranges, size);
	if (!nents) {
		ret = -EINVAL;
		goto err_free_iova;
	}
	ret = sg_alloc_table(&dma->sgt, nents, GFP_KERNEL);
	if (ret)
		goto err_free_iova;
	dma->nents = nents;
	sgl = dma->sgt.sgl;

	for (i = 0; i < nr_ranges; i++) {
		if (!dma->state) {
			addr = pci_p2pdma_bus_addr_map(provider,
						       phys_vec[i].paddr);
		} else if (dma_use_iova(dma->state)) {
			ret = dma_iova_link(attach->dev, dma->state,
					    phys_vec[i].paddr, mapped_len,
					    phys_vec[i].len, dir,
					    DMA_ATTR_MMIO);
			if (ret)
				goto err_unmap;
			mapped_len += phys_vec[i].len;
			continue;
		} else {
			addr = dma_map_phys(attach->dev, phys_vec[i].paddr,
					    phys_vec[i].len, dir,
					    DMA_ATTR_MMIO);
			ret = dma_mapping_error(attach->dev, addr);
			if (ret)
				goto err_unmap;
			dma->ranges[dma->nr_mapped].addr = addr;
			dma->ranges[dma->nr_mapped].len = phys_vec[i].len;
			dma->nr_mapped++;
		}
		sgl = fill_sg_entry(sgl, phys_vec[i].len, addr);
	}

	if (dma->state && dma_use_iova(dma->state)) {
		/* cannot differ after check_ranges(); recover if it does */
		if (mapped_len != size) {
			SIM_WARN(m, attach->dev,
				 "dma_buf_phys_vec_to_sgt: linked %#zx of %#zx",
				 mapped_len, size);
			ret = -EINVAL;
			goto err_unmap;
		}
		ret = dma_iova_sync(attach->dev, dma->state, 0, mapped_len);
		if (ret)
			goto err_unmap;
		sgl = fill_sg_entry(sgl, mapped_len, dma->state->addr);
	}

	/* every entry allocated was filled, and no more */
	if (sgl) {
		SIM_WARN(m, attach->dev,
			 "dma_buf_phys_vec_to_sgt: %u entries allocated, fewer filled",
			 nents);
		ret = -EINVAL;
		goto err_unmap;
	}
	dma->size = size;
	/* no CPU list: importers see that from orig_nents == 0 */
	dma->sgt.orig_nents = 0;
	return &dma->sgt;

err_unmap:
	/* exactly what was linked or mapped; nothing in the BUS_ADDR case */
	if (dma->state && dma_use_iova(dma->state)) {
		/* with mapped_len 0 this only frees the IOVA range */
		dma_iova_destroy(attach->dev, dma->state, mapped_len, dir,
				 DMA_ATTR_MMIO);
		memset(dma->state, 0, sizeof(*dma->state));
	} else if (dma->ranges) {
		unmap_ranges(attach, dma, dir);
	}
	sg_free_table(&dma->sgt);
err_free_iova:
	if (dma->state && dma_use_iova(dma->state))
		dma_iova_free(attach->dev, dma->state);
	sim_kfree(m, dma->ranges);
err_free_state:
	sim_kfree(m, dma->state);
err_free_dma:
	sim_kfree(m, dma);
	return ERR_PTR(ret);
}

/**
 * dma_buf_free_sgt - undo dma_buf_phys_vec_to_sgt()
 * @attach: the attachment the table was made for
 * @sgt: the table; freed
 * @dir: the direction it was made with
 *
 * The caller holds @attach->dmabuf->resv (asserted). Destroys the IOVA
 * range (unlink, IOTLB invalidation, free) or unmaps each dma_map_phys()
 * range; bus addresses need nothing.
 */
void dma_buf_free_sgt(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	struct dma_buf_dma *dma;
	struct sim_machine *m;

	if (!attach || !attach->dmabuf || !sgt)
		return;
	dma = container_of(sgt, struct dma_buf_dma, sgt);
	m = attach->dev->sim;
	dma_resv_assert_held(attach->dmabuf->resv);

	if (dma->state && dma_use_iova(dma->state))
		dma_iova_destroy(attach->dev, dma->state, dma->size, dir,
				 DMA_ATTR_MMIO);
	else if (dma->ranges)
		unmap_ranges(attach, dma, dir);

	/* sg_free_table() frees orig_nents entries: give it the real count */
	dma->sgt.orig_nents = dma->nents;
	sg_free_table(&dma->sgt);
	sim_kfree(m, dma->ranges);
	sim_kfree(m, dma->state);
	sim_kfree(m, dma);
}
