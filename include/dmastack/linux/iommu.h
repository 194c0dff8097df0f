/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU API a DMA user sees (include/linux/iommu.h): protection bits,
 * domains and their types, lookups. Each `iommu` line of the platform is a
 * hardware unit with real page tables in RAM, an IOTLB, invalidation
 * commands and a fault log; each device gets its group's default domain at
 * machine creation from the host bridge's iommu= and the unit's mode.
 */
#ifndef _DMASTACK_LINUX_IOMMU_H
#define _DMASTACK_LINUX_IOMMU_H

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOMMU_READ	(1 << 0)
#define IOMMU_WRITE	(1 << 1)
#define IOMMU_CACHE	(1 << 2)	/* DMA cache coherency */
#define IOMMU_NOEXEC	(1 << 3)
#define IOMMU_MMIO	(1 << 4)	/* e.g. things like MSI doorbells, P2P BARs */
#define IOMMU_PRIV	(1 << 5)

#define __IOMMU_DOMAIN_PAGING	(1U << 0)
#define __IOMMU_DOMAIN_DMA_API	(1U << 1)
#define __IOMMU_DOMAIN_PT	(1U << 2)
#define __IOMMU_DOMAIN_DMA_FQ	(1U << 3)

#define IOMMU_DOMAIN_BLOCKED	(0U)
#define IOMMU_DOMAIN_IDENTITY	(__IOMMU_DOMAIN_PT)
#define IOMMU_DOMAIN_UNMANAGED	(__IOMMU_DOMAIN_PAGING)
#define IOMMU_DOMAIN_DMA	(__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API)
#define IOMMU_DOMAIN_DMA_FQ	(__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API | \
				 __IOMMU_DOMAIN_DMA_FQ)

struct iommu_domain_geometry {
	dma_addr_t aperture_start;
	dma_addr_t aperture_end;
	bool force_aperture;
};

struct sim_iommu;
struct iommu_dma_cookie;
struct iommu_group;

struct iommu_domain {
	unsigned int type;
	unsigned long pgsize_bitmap;
	struct iommu_domain_geometry geometry;
	struct iommu_dma_cookie *iova_cookie;	/* iommu-dma's IOVA space */
	struct sim_iommu *iommu;		/* the hardware unit */
	void *priv;				/* machine-private */
};

/* The domain @dev's group is attached to, or NULL without an IOMMU. */
struct iommu_domain *iommu_get_domain_for_dev(struct device *dev);
/* Walk @domain's page table (not the IOTLB); 0 if nothing is mapped. */
phys_addr_t iommu_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova);
/* Map/unmap in a paging domain; the IOTLB is invalidated on unmap. */
int iommu_map(struct iommu_domain *domain, unsigned long iova,
	      phys_addr_t paddr, size_t size, int prot, gfp_t gfp);
size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova,
		   size_t size);
struct iommu_group *iommu_group_get(struct device *dev);
int iommu_group_id(struct iommu_group *group);

/*
 * Domains beyond the default one (what VFIO and iommufd use). A paging
 * domain for @dev's unit, empty; ERR_PTR(-ENODEV) without a translating
 * IOMMU, ERR_PTR(-ENOMEM). Free only when no group has it attached.
 */
struct iommu_domain *iommu_paging_domain_alloc(struct device *dev);
void iommu_domain_free(struct iommu_domain *domain);
/*
 * Attach @domain to every device of @group: 0, -EINVAL (another unit's
 * domain, or not a paging domain), -EBUSY (the group already has a domain
 * other than its default or blocking one). Detach goes back to the
 * default domain, or to the blocking domain while the group is owned.
 */
int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group);
void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group);
/*
 * Exclusive use of a group by a user such as VFIO: the group moves to the
 * unit's blocking domain (no DMA reaches memory) until a domain is attached
 * or ownership is released (back to the default domain). -EINVAL for a
 * NULL owner, -EPERM when already owned, -EBUSY when the group is attached
 * to a domain other than its default one.
 */
int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner);
void iommu_group_release_dma_owner(struct iommu_group *group);
bool iommu_group_dma_owner_claimed(struct iommu_group *group);
static inline bool iommu_is_dma_domain(struct iommu_domain *domain)
{
	return domain->type & __IOMMU_DOMAIN_DMA_API;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_IOMMU_H */
