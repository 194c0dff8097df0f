/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/iommu.h>: the kernel's <linux/iommu.h> (dmastack/linux/iommu.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_IOMMU_H
#define _DMASTACK_IOMMU_H

#include "linux/iommu.h"

#endif /* _DMASTACK_IOMMU_H */
