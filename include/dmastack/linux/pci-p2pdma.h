/* SPDX-License-Identifier: MIT */
/*
 * PCI peer-to-peer DMA (include/linux/pci-p2pdma.h, as the 2025 series
 * "vfio/pci: Allow MMIO regions to be exported through dma-buf" left it).
 *
 * The core layer: one struct p2pdma_provider per memory BAR, created by
 * pcim_p2pdma_init(), and pci_p2pdma_map_type() deciding from the topology
 * how a client reaches a provider's MMIO. The optional upper layer gives
 * BAR memory struct pages in a P2PDMA pgmap (pci_p2pdma_add_resource()),
 * an allocator over them, publishing, and pci_p2pdma_state() for mapping
 * scatterlists of such pages.
 */
#ifndef _DMASTACK_LINUX_PCI_P2PDMA_H
#define _DMASTACK_LINUX_PCI_P2PDMA_H

#include "pci.h"
#include "mm.h"

#ifdef __cplusplus
extern "C" {
#endif


/**
 * struct p2pdma_provider - a range of MMIO address space available to peers
 * @owner: the PCI function whose BAR it is
 * @bus_offset: bus address minus CPU physical address for that BAR
 */
struct p2pdma_provider {
	struct device *owner;
	u64 bus_offset;
};

enum pci_p2pdma_map_type {
	/* internal: not computed yet; never returned by the API */
	PCI_P2PDMA_MAP_UNKNOWN = 0,
	/* not a PCI P2PDMA transfer */
	PCI_P2PDMA_MAP_NONE,
	/* would traverse a host bridge that is not on the allowlist */
	PCI_P2PDMA_MAP_NOT_SUPPORTED,
	/* stays below a common switch: program PCI bus addresses */
	PCI_P2PDMA_MAP_BUS_ADDR,
	/* through an allowed host bridge: CPU physical address or IOVA */
	PCI_P2PDMA_MAP_THRU_HOST_BRIDGE,
};

struct pci_p2pdma_map_state {
	struct p2pdma_provider *mem;
	enum pci_p2pdma_map_type map;
};

/* ---- core layer -------------------------------------------------------- */

/*
 * Set up P2PDMA for @pdev: a provider for each memory BAR. Idempotent.
 * Returns 0 or -ENOMEM. Freed with the device (machine teardown).
 */
int pcim_p2pdma_init(struct pci_dev *pdev);
/* The provider of memory BAR @bar; NULL for a non-memory BAR or before init. */
struct p2pdma_provider *pcim_p2pdma_provider(struct pci_dev *pdev, int bar);
/*
 * How @dev reaches @provider's MMIO. Computed from the topology on first
 * use and cached per client, as the kernel's map_types xarray. Never
 * PCI_P2PDMA_MAP_UNKNOWN; PCI_P2PDMA_MAP_NOT_SUPPORTED for a non-PCI client
 * or a provider whose device has no P2PDMA state.
 */
enum pci_p2pdma_map_type pci_p2pdma_map_type(struct p2pdma_provider *provider,
					     struct device *dev);

/* A PCI_P2PDMA_MAP_BUS_ADDR transfer: the bus address of @paddr. */
static inline dma_addr_t pci_p2pdma_bus_addr_map(struct p2pdma_provider *provider,
						 phys_addr_t paddr)
{
	return paddr + provider->bus_offset;
}

/*
 * The distance between @provider and each client (the sum of the hops to
 * their common upstream bridge, with the kernel's penalty for going
 * through the host bridge), or -1 if any client cannot reach it. With
 * @verbose, a report says why.
 */
int pci_p2pdma_distance_many(struct pci_dev *provider, struct device **clients,
			     int num_clients, bool verbose);
static inline int pci_p2pdma_distance(struct pci_dev *provider,
				      struct device *client, bool verbose)
{
	return pci_p2pdma_distance_many(provider, &client, 1, verbose);
}

/* ---- upper layer: struct pages for BAR memory -------------------------- */

/*
 * Give @size bytes of BAR @bar from @offset struct pages in a P2PDMA pgmap
 * and add them to the device's P2P memory pool. 0, -EINVAL (not a memory
 * BAR, size/offset outside it or not page aligned), -ENOMEM.
 */
int pci_p2pdma_add_resource(struct pci_dev *pdev, int bar, size_t size,
			    u64 offset);
/* Allocate/free from the pool (CPU address of the BAR memory, or NULL). */
void *pci_alloc_p2pmem(struct pci_dev *pdev, size_t size);
void pci_free_p2pmem(struct pci_dev *pdev, void *addr, size_t size);
/*
 * @length bytes of @pdev's P2P memory as a one-entry scatterlist (*@nents
 * = 1), or NULL; free with pci_p2pmem_free_sgl().
 */
struct scatterlist *pci_p2pmem_alloc_sgl(struct pci_dev *pdev,
					 unsigned int *nents, u32 length);
void pci_p2pmem_free_sgl(struct pci_dev *pdev, struct scatterlist *sgl);
/* The bus address of P2P memory returned by pci_alloc_p2pmem(). */
u64 pci_p2pmem_virt_to_bus(struct pci_dev *pdev, void *addr);
/* Publish the pool for pci_p2pmem_find(); unpublished pools are private. */
void pci_p2pmem_publish(struct pci_dev *pdev, bool publish);
/* The closest published provider all @clients can reach, or NULL. */
struct pci_dev *pci_p2pmem_find_many(struct device **clients, int num_clients);
static inline struct pci_dev *pci_p2pmem_find(struct device *client)
{
	return pci_p2pmem_find_many(&client, 1);
}
/* Is @page P2PDMA memory (a page of a P2PDMA pgmap)? */
bool is_pci_p2pdma_page(const struct page *page);
/*
 * The map type for @page as seen by @dev, or PCI_P2PDMA_MAP_NONE for a
 * page that is not P2PDMA memory; updates @state (provider, type) only
 * when the page belongs to another provider than last time.
 */
enum pci_p2pdma_map_type pci_p2pdma_state(struct pci_p2pdma_map_state *state,
					  struct device *dev, struct page *page);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_PCI_P2PDMA_H */
