// SPDX-License-Identifier: MIT
/*
 * The IOMMU core (drivers/iommu/iommu.c). The units' driver is sim-iommu.c:
 * it programs the hardware (root and context tables, domain ids, the
 * invalidation queue); the unit (src/hw/iommu/unit.c) translates from what
 * was written, never from these structures.
 *
 * IOMMU groups follow topology and ACS the way pci_device_group()
 * forms them (the highest bridge on the path that lacks SV|RR|CR|UF owns
 * the group), each group gets a default domain from the unit's mode
 * (untrusted devices always get a strict DMA domain), and domains carry the
 * page table, the IOVA space and, in lazy mode, a flush queue.
 */
#include <stdlib.h>
#include <string.h>
#include "iommu-priv.h"

#define REQ_ACS_FLAGS	(PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

/* ------------------------------------------------------------------------ */
/* Domains                                                                  */
/* ------------------------------------------------------------------------ */

struct iommu_domain *iommu_get_domain_for_dev(struct device *dev)
{
	struct iommu_group *g = dev ? dev->iommu_group : NULL;

	return g ? atomic_load_explicit(&g->domain, memory_order_acquire) : NULL;
}

/*
 * The DMA API's domain: the group's default domain whatever is attached,
 * as iommu_get_dma_domain(). Mappings made while another domain is
 * attached land there and the device cannot use them, as on Linux.
 */
struct iommu_domain *iommu_get_dma_domain(struct device *dev)
{
	struct iommu_group *g = dev ? dev->iommu_group : NULL;

	return g ? g->default_domain : NULL;
}

struct iommu_group *iommu_group_get(struct device *dev)
{
	return dev ? dev->iommu_group : NULL;
}

int iommu_group_id(struct iommu_group *group)
{
	return group ? group->id : -1;
}

/**
 * iommu_map - map a physical range into a paging domain
 *
 * Runs concurrently with other maps and unmaps of the domain on disjoint
 * ranges (the page table's own exclusion, see pt.c). Returns 0, -EINVAL for a domain
 * without page tables or a misaligned range, -EEXIST, -ENOMEM (nothing
 * stays mapped on failure). No IOTLB flush is needed for a new mapping.
 */
int iommu_map(struct iommu_domain *domain, unsigned long iova,
	      phys_addr_t paddr, size_t size, int prot, gfp_t gfp)
{
	struct sim_domain *sd;
	int ret;

	(void)gfp;
	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
		return -EINVAL;
	/* As the kernel's: an empty range maps nothing, successfully. */
	if (!size)
		return 0;
	sd = to_sim_domain(domain);
	ret = io_pgtable_map(sd->pgt, iova, paddr, size, prot);
	if (!ret)
		trace_iommu_map(sd->iommu->m, iova, paddr, size);
	return ret;
}

/* Clear PTEs without invalidating the IOTLB (the caller syncs or queues). */
size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova,
			size_t size)
{
	struct sim_domain *sd;
	size_t ret;

	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
		return 0;
	sd = to_sim_domain(domain);
	ret = io_pgtable_unmap(sd->pgt, iova, size);
	trace_iommu_unmap(sd->iommu->m, iova, size, ret);
	return ret;
}

/* iommu_unmap_fast() that also returns the first granule's translation. */
size_t iommu_unmap_fast_phys(struct iommu_domain *domain, unsigned long iova,
			     size_t size, phys_addr_t *first_phys)
{
	struct sim_domain *sd = to_sim_domain(domain);
	size_t ret;

	ret = io_pgtable_unmap_phys(sd->pgt, iova, size, first_phys);
	trace_iommu_unmap(sd->iommu->m, iova, size, ret);
	return ret;
}

size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova,
		   size_t size)
{
	size_t ret = iommu_unmap_fast(domain, iova, size);

	if (ret)
		iommu_iotlb_sync_range(domain, iova, ret);
	return ret;
}

phys_addr_t iommu_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	struct sim_domain *sd;
	phys_addr_t phys;
	int prot;

	if (!domain)
		return 0;
	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return iova;
	if (!(domain->type & __IOMMU_DOMAIN_PAGING))
		return 0;
	sd = to_sim_domain(domain);
	if (io_pgtable_lookup(sd->pgt, iova, &phys, &prot, NULL))
		phys = 0;
	return phys;
}

int sim_iommu_lookup(struct device *dev, dma_addr_t iova, phys_addr_t *phys,
		     int *prot)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct sim_domain *sd;
	int ret;

	if (!domain)
		return -ENOENT;
	if (domain->type == IOMMU_DOMAIN_IDENTITY) {
		*phys = iova;
		*prot = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE;
		return 0;
	}
	if (!(domain->type & __IOMMU_DOMAIN_PAGING))
		return -ENOENT;
	sd = to_sim_domain(domain);
	ret = io_pgtable_lookup(sd->pgt, iova, phys, prot, NULL);
	return ret ? -ENOENT : 0;
}

long sim_iommu_pt_pages(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct sim_domain *sd;
	long n;

	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
		return -ENOENT;
	sd = to_sim_domain(domain);
	if (!sd->pgt)
		return -ENOENT;
	n = (long)io_pgtable_table_pages(sd->pgt);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Domains for other users, attach, DMA ownership                           */
/* ------------------------------------------------------------------------ */

/**
 * iommu_paging_domain_alloc - an empty paging domain for @dev's unit
 * @dev: a device behind a translating IOMMU
 *
 * Returns the domain (the caller frees it with iommu_domain_free() once
 * no group has it attached), ERR_PTR(-ENODEV) for a device without a
 * translating unit, or ERR_PTR(-ENOMEM).
 */
struct iommu_domain *iommu_paging_domain_alloc(struct device *dev)
{
	struct iommu_group *g = iommu_group_get(dev);
	struct iommu_domain *d;

	if (!g || !g->iommu || g->iommu->mode == SIM_IOMMU_OFF)
		return ERR_PTR(-ENODEV);
	d = sim_iommu_domain_alloc(g->iommu, IOMMU_DOMAIN_UNMANAGED);
	return d ? d : ERR_PTR(-ENOMEM);
}

/* Is @domain attached to any group of its unit? */
static bool domain_in_use(struct iommu_domain *domain)
{
	struct sim_machine *m = domain->iommu->m;

	for (unsigned int i = 0; i < m->kernel->nr_groups; i++)
		if (atomic_load(&m->kernel->groups[i]->domain) == domain)
			return true;
	return false;
}

/**
 * iommu_domain_free - free a domain from iommu_paging_domain_alloc()
 * @domain: the domain (NULL or an error pointer is ignored)
 *
 * Still attached, or a default/blocking domain: a WARN, nothing freed.
 */
void iommu_domain_free(struct iommu_domain *domain)
{
	struct sim_machine *m;

	if (IS_ERR_OR_NULL(domain))
		return;
	m = domain->iommu->m;
	if (domain->type != IOMMU_DOMAIN_UNMANAGED || domain_in_use(domain)) {
		SIM_WARN(m, NULL, "iommu_domain_free: domain is %s",
			 domain->type != IOMMU_DOMAIN_UNMANAGED ?
			 "a default or blocking domain" : "still attached");
		return;
	}
	sim_iommu_domain_free(m, domain);
}

/*
 * Switch what the hardware uses for @g: every device's context entry.
 * Entries cached for the old domain are tagged with its id, so nothing
 * stale carries over. The context tables exist since boot, so this cannot
 * fail. g->lock held.
 */
static void group_set_domain(struct iommu_group *g, struct iommu_domain *d)
{
	struct sim_machine *m = g->iommu->m;

	atomic_store_explicit(&g->domain, d, memory_order_release);
	for (unsigned int i = 0; i < m->nr_devices; i++)
		if (m->devices[i]->iommu_group == g)
			sim_iommu_attach_dev(g->iommu, m->devices[i], d);
}

/* Detach target: the blocking domain while owned, else the default. */
static struct iommu_domain *group_core_domain(struct iommu_group *g)
{
	return g->owner ? g->iommu->blocked : g->default_domain;
}

/**
 * iommu_attach_group - make @group's devices translate through @domain
 *
 * Takes the group's lock. Returns 0, -EINVAL (NULL, not a paging domain,
 * or a domain of another unit), -EBUSY (already attached to a domain other
 * than its default or blocking one).
 */
int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	struct iommu_domain *cur;
	int ret = 0;

	if (IS_ERR_OR_NULL(domain) || !group)
		return -EINVAL;
	if (!(domain->type & __IOMMU_DOMAIN_PAGING) ||
	    domain->iommu != group->iommu)
		return -EINVAL;
	pthread_mutex_lock(&group->lock);
	cur = atomic_load(&group->domain);
	if (cur != group->default_domain && cur != group->iommu->blocked)
		ret = -EBUSY;
	else
		group_set_domain(group, domain);
	pthread_mutex_unlock(&group->lock);
	return ret;
}

/**
 * iommu_detach_group - undo iommu_attach_group()
 *
 * Back to the blocking domain while the group is owned, else to the
 * default domain. A @domain that is not attached is a WARN.
 */
void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	if (!group)
		return;
	pthread_mutex_lock(&group->lock);
	if (IS_ERR_OR_NULL(domain) || atomic_load(&group->domain) != domain)
		SIM_WARN(group->iommu->m, NULL,
			 "iommu_detach_group: group %d is not attached to that domain",
			 group->id);
	else
		group_set_domain(group, group_core_domain(group));
	pthread_mutex_unlock(&group->lock);
}

/*
 * A device of @g bound to a driver that does not manage DMA itself (the
 * kernel counts these in the group's owner_cnt; VFIO's drivers set
 * driver_managed_dma and do not count). g->lock held.
 */
static bool group_driver_bound(struct iommu_group *g)
{
	struct sim_machine *m = g->iommu->m;

	for (unsigned int i = 0; i < m->nr_devices; i++) {
		struct device *dev = m->devices[i];

		/* an absent VF (not enabled) is no member */
		if (dev->iommu_group == g && dev->driver && dev_is_pci(dev) &&
		    sim_device_present(dev) &&
		    !to_pci_driver(dev->driver)->driver_managed_dma)
			return true;
	}
	return false;
}

/*
 * Does the DMA API hold anything in @g: a device of the group with live
 * mappings or allocations (dma-debug's entries), or IOVA held in the
 * default domain (dma-debug off)? Here devices are often driven without
 * binding a driver, so this is what makes a group a kernel DMA user
 * beyond group_driver_bound(). Unmapped IOVA waiting in a lazy flush
 * queue is flushed first: it is no longer in use. g->lock held.
 */
static bool group_dma_api_live(struct iommu_group *g)
{
	struct sim_machine *m = g->iommu->m;
	struct iommu_domain *d = g->default_domain;
	struct iommu_dma_cookie *c = d ? d->iova_cookie : NULL;

	for (unsigned int i = 0; i < m->nr_devices; i++)
		if (m->devices[i]->iommu_group == g &&
		    sim_device_present(m->devices[i]) &&
		    sim_dma_debug_entries(m, m->devices[i]))
			return true;
	if (c && c->iovad) {
		unsigned long live, held, peak;

		if (c->fq)
			iommu_dma_fq_flush(d);
		iova_domain_frames(c->iovad, &live, &held, &peak);
		if (live)
			return true;
	}
	return false;
}

static int group_claim(struct iommu_group *group, void *owner, bool viable)
{
	int ret = 0;

	if (!group || !owner)
		return -EINVAL;
	pthread_mutex_lock(&group->lock);
	if (group->owner || group_driver_bound(group) ||
	    (viable && group_dma_api_live(group)))
		ret = -EPERM;
	else if (atomic_load(&group->domain) != group->default_domain)
		ret = -EBUSY;
	else if (!group->iommu->blocked)
		ret = -ENODEV;
	else {
		group->owner = owner;
		group_set_domain(group, group->iommu->blocked);
	}
	pthread_mutex_unlock(&group->lock);
	return ret;
}

/**
 * iommu_group_claim_dma_owner - take @group's DMA for @owner
 *
 * The group goes to the blocking domain. Takes the group's lock.
 *
 * Return: 0; -EINVAL; -EPERM (owned already, or a device of it is bound
 * to a driver that does not manage DMA itself, as the kernel's owner_cnt);
 * -EBUSY (a domain is attached); -ENODEV (no blocking domain).
 */
int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)
{
	return group_claim(group, owner, false);
}

/**
 * sim_iommu_group_claim_viable - VFIO's claim: iommu_group_claim_dma_owner()
 * that also refuses a group the DMA API holds anything in
 *
 * The kernel's VFIO cannot open a device whose group a kernel driver uses
 * (the group is not viable, -EPERM); a device here may be used without a
 * bound driver, so live DMA-API state counts too (group_dma_api_live()):
 * claiming would make those mappings fault. Checked and claimed under the
 * group's lock. Return: as iommu_group_claim_dma_owner().
 */
int sim_iommu_group_claim_viable(struct iommu_group *group, void *owner)
{
	return group_claim(group, owner, true);
}

/*
 * Give the group back to the DMA API. An attached domain is detached (a
 * WARN: the owner should have done it).
 */
void iommu_group_release_dma_owner(struct iommu_group *group)
{
	if (!group)
		return;
	pthread_mutex_lock(&group->lock);
	if (!group->owner) {
		SIM_WARN(group->iommu->m, NULL,
			 "iommu_group_release_dma_owner: group %d is not owned",
			 group->id);
	} else {
		if (atomic_load(&group->domain) != group->iommu->blocked)
			SIM_WARN(group->iommu->m, NULL,
				 "iommu_group_release_dma_owner: group %d still has a domain attached",
				 group->id);
		group->owner = NULL;
		group_set_domain(group, group->default_domain);
	}
	pthread_mutex_unlock(&group->lock);
}

bool iommu_group_dma_owner_claimed(struct iommu_group *group)
{
	bool owned;

	if (!group)
		return false;
	pthread_mutex_lock(&group->lock);
	owned = group->owner != NULL;
	pthread_mutex_unlock(&group->lock);
	return owned;
}

/* ------------------------------------------------------------------------ */
/* Groups                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * The node that owns @ep's group: climbing from the endpoint, every bridge
 * whose ACS lacks SV|RR|CR|UF lets peers below it reach each other
 * without the IOMMU seeing it, so the group moves up to it.
 */
static struct sim_node *group_top(struct sim_node *ep)
{
	struct sim_node *top = ep;

	for (struct sim_node *p = ep->parent; p && p->kind != SIM_NODE_HOSTBRIDGE;
	     p = p->parent) {
		if (p->kind == SIM_NODE_SWITCH_UP)
			continue;	/* ACS lives on downstream ports */
		if ((p->acs_ctrl & REQ_ACS_FLAGS) != REQ_ACS_FLAGS)
			top = p;
	}
	/* Below a non-isolating downstream port, the whole switch shares. */
	if (top->kind == SIM_NODE_SWITCH_DOWN)
		top = top->parent;
	return top;
}

/*
 * Groups by their top node while they are formed (one top, one unit: the
 * top's host bridge names it): open addressing over 2 x devices slots.
 */
struct group_map {
	struct iommu_group **slot;
	unsigned int mask;
};

static struct iommu_group **group_slot(struct group_map *gm,
				       const struct sim_node *top)
{
	unsigned int i = (unsigned int)(((uintptr_t)top >> 4) *
					0x9e3779b1u) & gm->mask;

	while (gm->slot[i] && gm->slot[i]->top != top)
		i = (i + 1) & gm->mask;
	return &gm->slot[i];
}

static int attach_device(struct sim_machine *m, struct sim_node *ep,
			 struct sim_iommu *u, struct group_map *gm)
{
	struct sim_node *top = group_top(ep);
	struct device *dev = &ep->fn->pdev.dev;
	struct iommu_group **slot = group_slot(gm, top);
	struct iommu_group *g = *slot;

	if (!g) {
		g = sim_kzalloc(m, sizeof(*g));
		if (!g)
			return -ENOMEM;
		g->id = (int)m->kernel->nr_groups;
		g->iommu = u;
		g->top = top;
		pthread_mutex_init(&g->lock, NULL);
		m->kernel->groups[m->kernel->nr_groups++] = g;
		*slot = g;
	}
	g->nr_devices++;
	dev->iommu_group = g;
	return 0;
}

static unsigned int group_domain_type(struct iommu_group *g,
				      struct device **devs, unsigned int nr)
{
	bool untrusted = false;

	for (unsigned int i = 0; i < nr; i++)
		if (to_pci_dev(devs[i])->untrusted)
			untrusted = true;
	/* Untrusted devices always get a strict DMA domain (Linux). */
	if (untrusted)
		return IOMMU_DOMAIN_DMA;
	switch (g->iommu->mode) {
	case SIM_IOMMU_PASSTHROUGH:
		return IOMMU_DOMAIN_IDENTITY;
	case SIM_IOMMU_STRICT:
		return IOMMU_DOMAIN_DMA;
	default:
		return IOMMU_DOMAIN_DMA_FQ;
	}
}


/**
 * sim_iommu_init_machine - create units, groups and default domains
 *
 * Runs after the PCI functions exist. Devices below a host bridge whose
 * iommu= names a unit not in mode=off are attached; a DMA domain makes
 * them use iommu-dma (dev->dma_iommu). On failure everything made so far
 * is left for sim_iommu_exit_machine().
 */
int sim_iommu_init_machine(struct sim_machine *m, char *err, size_t errlen)
{
	struct group_map gm = { 0 };
	/* each group's devices in device order: @order from @start[id] */
	unsigned int *start = NULL, *pos = NULL;
	struct device **order = NULL;
	unsigned int slots = 4;
	int ret;

	if (!m->nr_iommus)
		return 0;
	ret = iommu_dma_observe(m);
	if (ret)
		goto err_nomem;
	m->kernel->iommu_units = sim_kcalloc(m, m->nr_iommus, sizeof(*m->kernel->iommu_units));
	m->kernel->groups = sim_kcalloc(m, m->nr_devices ? m->nr_devices : 1,
				sizeof(*m->kernel->groups));
	while (slots < 2 * m->nr_devices)
		slots *= 2;
	gm.slot = sim_kcalloc(m, slots, sizeof(*gm.slot));
	gm.mask = slots - 1;
	if (!m->kernel->iommu_units || !m->kernel->groups || !gm.slot)
		goto err_nomem;
	for (unsigned int i = 0; i < m->nr_iommus; i++) {
		struct sim_iommu *u = sim_iommu_unit_create(m, &m->iommus[i]);

		if (!u)
			goto err_nomem;
		m->kernel->iommu_units[m->kernel->nr_iommu_units++] = u;
		if (u->mode != SIM_IOMMU_OFF) {
			u->blocked = sim_iommu_domain_alloc(u, IOMMU_DOMAIN_BLOCKED);
			if (!u->blocked)
				goto err_nomem;
		}
	}
	for (unsigned int i = 0; i < m->nr_devices; i++) {
		struct sim_node *ep = sim_node_of_dev(m->devices[i]);
		struct sim_hostbridge *hb = ep->hb->hostbridge;
		struct sim_iommu *u;

		if (!hb->iommu_id[0])
			continue;
		u = sim_iommu_unit_by_id(m, hb->iommu_id);
		if (!u || u->mode == SIM_IOMMU_OFF)
			continue;
		ret = attach_device(m, ep, u, &gm);
		if (ret)
			goto err_nomem;
	}
	start = sim_kcalloc(m, m->kernel->nr_groups + 1, sizeof(*start));
	pos = sim_kcalloc(m, m->kernel->nr_groups + 1, sizeof(*pos));
	order = sim_kcalloc(m, m->nr_devices + 1, sizeof(*order));
	if (!start || !pos || !order)
		goto err_nomem;
	for (unsigned int i = 0; i < m->nr_devices; i++)
		if (m->devices[i]->iommu_group)
			start[m->devices[i]->iommu_group->id + 1]++;
	for (unsigned int i = 0; i < m->kernel->nr_groups; i++)
		start[i + 1] += start[i];
	memcpy(pos, start, m->kernel->nr_groups * sizeof(*pos));
	for (unsigned int i = 0; i < m->nr_devices; i++)
		if (m->devices[i]->iommu_group)
			order[pos[m->devices[i]->iommu_group->id]++] = m->devices[i];
	for (unsigned int i = 0; i < m->kernel->nr_groups; i++) {
		struct iommu_group *g = m->kernel->groups[i];
		struct device **devs = order + start[i];
		unsigned int nr = start[i + 1] - start[i];
		unsigned int type = group_domain_type(g, devs, nr);
		struct iommu_domain *d = sim_iommu_domain_alloc(g->iommu, type);

		if (!d)
			goto err_nomem;
		g->default_domain = d;
		atomic_store(&g->domain, d);
		for (unsigned int k = 0; k < nr; k++) {
			struct device *dev = devs[k];

			if (sim_iommu_attach_dev(g->iommu, dev, d))
				goto err_nomem;
			if (iommu_is_dma_domain(d)) {
				if (iommu_dma_init_domain(d, dev))
					goto err_nomem;
				dev->dma_iommu = true;
			}
		}
	}
	/* Turn translation on. */
	for (unsigned int i = 0; i < m->kernel->nr_iommu_units; i++) {
		struct sim_iommu *u = m->kernel->iommu_units[i];

		if (u->rt_page)
			sim_iommu_hw_set_root_table(u->hw,
						    page_to_phys(u->rt_page));
	}
	sim_kfree(m, gm.slot);
	sim_kfree(m, start);
	sim_kfree(m, pos);
	sim_kfree(m, order);
	return 0;

err_nomem:
	sim_kfree(m, gm.slot);
	sim_kfree(m, start);
	sim_kfree(m, pos);
	sim_kfree(m, order);
	snprintf(err, errlen, "out of memory creating IOMMU state");
	return -ENOMEM;
}

void sim_iommu_exit_machine(struct sim_machine *m)
{
	for (unsigned int i = 0; i < m->kernel->nr_iommu_units; i++)
		sim_iommu_hw_set_root_table(m->kernel->iommu_units[i]->hw, 0);
	iommu_dma_unobserve(m);
	for (unsigned int i = 0; i < m->kernel->nr_groups; i++) {
		sim_iommu_domain_free(m, m->kernel->groups[i]->default_domain);
		pthread_mutex_destroy(&m->kernel->groups[i]->lock);
		sim_kfree(m, m->kernel->groups[i]);
	}
	for (unsigned int i = 0; i < m->kernel->nr_iommu_units; i++) {
		sim_iommu_domain_free(m, m->kernel->iommu_units[i]->blocked);
		sim_iommu_unit_destroy(m, m->kernel->iommu_units[i]);
	}
	sim_kfree(m, m->kernel->groups);
	sim_kfree(m, m->kernel->iommu_units);
	m->kernel->groups = NULL;
	m->kernel->iommu_units = NULL;
	m->kernel->nr_groups = m->kernel->nr_iommu_units = 0;
}

/* ------------------------------------------------------------------------ */
/* Counters                                                                 */
/* ------------------------------------------------------------------------ */

unsigned long sim_iommu_faults(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_IOMMU_FAULT);
}

unsigned long sim_iommu_invalidations(struct sim_machine *m)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < m->kernel->nr_iommu_units; i++)
		n += atomic_load(&m->kernel->iommu_units[i]->invalidations);
	return n;
}

unsigned long sim_iommu_inval_commands(struct sim_machine *m)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < m->kernel->nr_iommu_units; i++)
		n += atomic_load(&m->kernel->iommu_units[i]->hw->q.cmds);
	return n;
}

unsigned long sim_iommu_granule(struct device *dev)
{
	struct sim_iommu *u = sim_iommu_of_dev(dev);

	return u ? u->granule : 0;
}

unsigned int sim_iommu_group_count(struct sim_machine *m)
{
	return m->kernel->nr_groups;
}
