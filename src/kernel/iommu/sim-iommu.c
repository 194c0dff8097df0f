// SPDX-License-Identifier: MIT
/*
 * The IOMMU driver for dmastack's units (what drivers/iommu/intel and
 * arm-smmu-v3 are for their hardware): a unit's driver state, its root and
 * context tables in RAM and the root-table register (src/hw/iommu/unit.h),
 * domain ids, the domains' page tables, attaching a domain to a device by
 * writing its context entry, and IOTLB maintenance through the unit's
 * invalidation queue (cmdq.c). The core (iommu.c) calls these entry points
 * as Linux's core calls a driver's iommu_ops and iommu_domain_ops.
 */
#include <stdlib.h>
#include <string.h>
#include "iommu-priv.h"

/* ------------------------------------------------------------------------ */
/* Units                                                                    */
/* ------------------------------------------------------------------------ */

static enum sim_iommu_mode parse_mode(const char *s)
{
	if (!strcmp(s, "passthrough"))
		return SIM_IOMMU_PASSTHROUGH;
	if (!strcmp(s, "strict"))
		return SIM_IOMMU_STRICT;
	if (!strcmp(s, "lazy"))
		return SIM_IOMMU_LAZY;
	return SIM_IOMMU_OFF;
}

/*
 * A zeroed page for a root or context table. From the top of RAM, out of
 * the way of the buffers programs allocate, so that adding these tables
 * moved no address a program prints.
 */
static struct page *ctx_table_alloc(struct sim_machine *m)
{
	struct page *pg = sim_alloc_pages_zone(m, 0, 0, ~(phys_addr_t)0, true);

	if (pg)
		memset(sim_phys_to_virt(m, page_to_phys(pg)), 0, PAGE_SIZE);
	return pg;
}

struct sim_iommu *sim_iommu_unit_create(struct sim_machine *m,
				     const struct sim_iommu_cfg *cfg)
{
	const struct pt_format *fmt = pt_format_get(cfg->format, cfg->granule);
	struct sim_iommu *u;

	if (!fmt)
		return NULL;
	u = sim_kzalloc(m, sizeof(*u));
	if (!u)
		return NULL;
	u->m = m;
	u->hw = sim_iommu_hw_by_id(m, cfg->id);
	snprintf(u->id, sizeof(u->id), "%s", cfg->id);
	snprintf(u->format, sizeof(u->format), "%s", cfg->format);
	u->mode = parse_mode(cfg->mode);
	u->granule = cfg->granule;
	u->gshift = (unsigned int)__builtin_ctzl(cfg->granule);
	u->va_bits = fmt->va_bits;
	u->fq_size = cfg->fq_size ? cfg->fq_size : 256;
	u->fq_timeout_ns = cfg->fq_timeout_ns ? cfg->fq_timeout_ns : 10000000ULL;
	u->guard_pfns = cfg->guard_pfns;
	/* a unit that is off has no driver, so no queue or tables either */
	if (u->mode != SIM_IOMMU_OFF) {
		if (sim_cmdq_init(u))
			goto err_free;
		u->rt_page = ctx_table_alloc(m);
		if (!u->rt_page)
			goto err_cmdq_fini;
	}
	pthread_mutex_init(&u->did_lock, NULL);
	/* The interrupt (MSI) window is never DMA-mapped. */
	if (!strcmp(cfg->format, "x86_64"))
		u->resv[u->nr_resv++] = (struct sim_iommu_resv){
			0xfee00000ULL, 0xfeefffffULL, "x86 MSI window" };
	else
		u->resv[u->nr_resv++] = (struct sim_iommu_resv){
			0x08000000ULL, 0x080fffffULL, "software MSI window" };
	return u;

err_cmdq_fini:
	sim_cmdq_fini(u);
err_free:
	sim_kfree(m, u);
	return NULL;
}

void sim_iommu_unit_destroy(struct sim_machine *m, struct sim_iommu *u)
{
	if (!u)
		return;
	sim_iommu_hw_set_root_table(u->hw, 0);
	for (unsigned int bus = 0; bus < ARRAY_SIZE(u->ctx_pages); bus++)
		if (u->ctx_pages[bus])
			sim_free_pages(m, u->ctx_pages[bus], 0);
	if (u->rt_page)
		sim_free_pages(m, u->rt_page, 0);
	sim_cmdq_fini(u);
	pthread_mutex_destroy(&u->did_lock);
	sim_kfree(m, u);
}

struct sim_iommu *sim_iommu_unit_by_id(struct sim_machine *m, const char *id)
{
	for (unsigned int i = 0; i < m->kernel->nr_iommu_units; i++)
		if (!strcmp(m->kernel->iommu_units[i]->id, id))
			return m->kernel->iommu_units[i];
	return NULL;
}

struct sim_iommu *sim_iommu_of_dev(struct device *dev)
{
	struct iommu_group *g = dev->iommu_group;

	return g ? g->iommu : NULL;
}

/* ------------------------------------------------------------------------ */
/* IOTLB and invalidation                                                   */
/* ------------------------------------------------------------------------ */

/* One invalidation request: its commands and a sync through the queue. */
static void iotlb_inval(struct sim_iommu *u, unsigned int did, u64 iova,
			u64 size, bool all)
{
	atomic_fetch_add(&u->invalidations, 1);
	sim_cmdq_inval_sync(u, did, iova, size, all);
}

/* After an invalidation, table pages emptied by unmaps can go. */
static void reclaim_tables(struct sim_domain *sd)
{
	io_pgtable_reclaim(sd->pgt);
}

void iommu_iotlb_sync_range(struct iommu_domain *domain, unsigned long iova,
			    size_t size)
{
	struct sim_domain *sd = to_sim_domain(domain);

	if (!size)
		return;
	iotlb_inval(sd->iommu, sd->id, iova, size, false);
	reclaim_tables(sd);
}

/*
 * A domain-selective invalidation. The hardware tags every IOTLB entry
 * with its domain id's generation, so executing it is O(1).
 */
void iommu_flush_iotlb_all(struct iommu_domain *domain)
{
	struct sim_domain *sd = to_sim_domain(domain);

	iotlb_inval(sd->iommu, sd->id, 0, 0, true);
	reclaim_tables(sd);
}

void sim_iommu_flush_iotlb_all_keep(struct iommu_domain *domain)
{
	struct sim_domain *sd = to_sim_domain(domain);

	iotlb_inval(sd->iommu, sd->id, 0, 0, true);
}

/*
 * Give a domain id back. Its IOTLB entries go first (a domain-selective
 * invalidation), so the next domain with this id never hits them.
 */
static void domain_put_id(struct sim_iommu *u, unsigned int did)
{
	iotlb_inval(u, did, 0, 0, true);
	pthread_mutex_lock(&u->did_lock);
	u->did_used[did] = false;
	pthread_mutex_unlock(&u->did_lock);
}

struct iommu_domain *sim_iommu_domain_alloc(struct sim_iommu *u, unsigned int type)
{
	struct sim_machine *m = u->m;
	struct sim_domain *sd = sim_kzalloc_aligned(m, sizeof(*sd), 64);

	if (!sd)
		return NULL;
	sd->iommu = u;
	pthread_mutex_lock(&u->did_lock);
	for (sd->id = 0; sd->id < SIM_IOMMU_DIDS && u->did_used[sd->id]; sd->id++)
		;
	if (sd->id < SIM_IOMMU_DIDS)
		u->did_used[sd->id] = true;
	pthread_mutex_unlock(&u->did_lock);
	if (sd->id == SIM_IOMMU_DIDS) {
		sim_kfree(m, sd);
		return NULL;
	}
	sd->domain.type = type;
	sd->domain.iommu = u;
	sd->domain.priv = sd;
	if (type & __IOMMU_DOMAIN_PAGING) {
		sd->pgt = io_pgtable_alloc(m, u->format, u->granule);
		if (!sd->pgt) {
			domain_put_id(u, sd->id);
			sim_kfree(m, sd);
			return NULL;
		}
		/* a new table holds only its root: this cannot fail */
		(void)io_pgtable_set_defer_free(sd->pgt, true);
		sd->domain.pgsize_bitmap = io_pgtable_pgsize_bitmap(sd->pgt);
		sd->domain.geometry.aperture_start = 0;
		sd->domain.geometry.aperture_end = (1ULL << u->va_bits) - 1;
		sd->domain.geometry.force_aperture = true;
	}
	return &sd->domain;
}

void sim_iommu_domain_free(struct sim_machine *m, struct iommu_domain *domain)
{
	struct sim_domain *sd;

	if (!domain)
		return;
	sd = to_sim_domain(domain);
	iommu_dma_put_cookie(domain);
	/* the unit forgets the domain (and ends its walks) before the
	 * tables go; then the id may serve another domain */
	domain_put_id(sd->iommu, sd->id);
	if (sd->pgt)
		io_pgtable_free(sd->pgt);
	sim_kfree(m, sd);
}

/*
 * Write @dev's context entry for @d (unit.h): the bus's context table is
 * allocated the first time (at boot, where failing is allowed); 0 or
 * -ENOMEM with nothing changed.
 */
int sim_iommu_attach_dev(struct sim_iommu *u, struct device *dev,
		       struct iommu_domain *d)
{
	struct sim_machine *m = u->m;
	struct pci_dev *pdev = to_pci_dev(dev);
	unsigned int bus = pdev->bus_nr;
	u64 *rte = sim_phys_to_virt(m, page_to_phys(u->rt_page));
	u64 *ce, lo, hi = 0;

	if (!u->ctx_pages[bus]) {
		struct page *pg = ctx_table_alloc(m);

		if (!pg)
			return -ENOMEM;
		u->ctx_pages[bus] = pg;
		__atomic_store_n(&rte[bus * 2], page_to_phys(pg) |
				 SIM_IOMMU_RT_PRESENT, __ATOMIC_RELEASE);
	}
	ce = (u64 *)sim_phys_to_virt(m, page_to_phys(u->ctx_pages[bus])) +
	     pdev->devfn * 2;
	if (d->type & __IOMMU_DOMAIN_PAGING) {
		struct sim_domain *sd = to_sim_domain(d);

		lo = io_pgtable_root(sd->pgt) |
		     SIM_IOMMU_CTX_TRANSLATE << SIM_IOMMU_CTX_MODE_SHIFT;
		hi = sd->id;
	} else if (d->type == IOMMU_DOMAIN_IDENTITY) {
		lo = SIM_IOMMU_CTX_PASSTHROUGH << SIM_IOMMU_CTX_MODE_SHIFT;
	} else {
		lo = SIM_IOMMU_CTX_ABORT << SIM_IOMMU_CTX_MODE_SHIFT;
	}
	/* the unit reads the low word last-written: did first */
	__atomic_store_n(&ce[1], hi, __ATOMIC_RELAXED);
	__atomic_store_n(&ce[0], lo | SIM_IOMMU_CTX_PRESENT, __ATOMIC_RELEASE);
	return 0;
}

