/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/dma-mapping.h>: the kernel's <linux/dma-mapping.h> (dmastack/linux/dma-mapping.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_DMA_MAPPING_H
#define _DMASTACK_DMA_MAPPING_H

#include "linux/dma-mapping.h"

#endif /* _DMASTACK_DMA_MAPPING_H */
