/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/dma-resv.h>: the kernel's <linux/dma-resv.h> (dmastack/linux/dma-resv.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_DMA_RESV_H
#define _DMASTACK_DMA_RESV_H

#include "linux/dma-resv.h"

#endif /* _DMASTACK_DMA_RESV_H */
