/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/dma-map-ops.h>: the kernel's <linux/dma-map-ops.h> (dmastack/linux/dma-map-ops.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_DMA_MAP_OPS_H
#define _DMASTACK_DMA_MAP_OPS_H

#include "linux/dma-map-ops.h"

#endif /* _DMASTACK_DMA_MAP_OPS_H */
