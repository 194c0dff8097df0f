/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/swiotlb.h>: the kernel's <linux/swiotlb.h> (dmastack/linux/swiotlb.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_SWIOTLB_H
#define _DMASTACK_SWIOTLB_H

#include "linux/swiotlb.h"

#endif /* _DMASTACK_SWIOTLB_H */
