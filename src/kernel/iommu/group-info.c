// SPDX-License-Identifier: MIT
/* The IOMMU groups of a machine, read-only (include/dmastack/sim-topology.h). */
#include <errno.h>
#include "iommu-priv.h"

struct iommu_group *sim_iommu_group_at(struct sim_machine *m, unsigned int idx)
{
	return idx < m->kernel->nr_groups ? m->kernel->groups[idx] : NULL;
}

int sim_iommu_group_get_info(struct iommu_group *group,
			     struct sim_iommu_group_info *info)
{
	struct iommu_domain *dom;

	if (!group)
		return -EINVAL;
	dom = atomic_load(&group->domain);
	*info = (struct sim_iommu_group_info){
		.id = group->id,
		.iommu = group->iommu->id,
		.format = group->iommu->format,
		.granule = group->iommu->granule,
		.domain_type = dom ? dom->type : 0,
		.nr_devices = group->nr_devices,
	};
	return 0;
}
