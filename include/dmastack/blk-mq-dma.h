/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/blk-mq-dma.h>: the kernel's <linux/blk-mq-dma.h> (dmastack/linux/blk-mq-dma.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_BLK_MQ_DMA_H
#define _DMASTACK_BLK_MQ_DMA_H

#include "linux/blk-mq-dma.h"

#endif /* _DMASTACK_BLK_MQ_DMA_H */
