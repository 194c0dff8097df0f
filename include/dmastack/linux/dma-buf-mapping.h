/* SPDX-License-Identifier: MIT */
/*
 * The exporter helper that maps MMIO ranges for a dma-buf importer
 * (dma_buf_phys_vec_to_sgt(), dma_buf_free_sgt()): declared with the rest
 * of dma-buf in "dma-buf.h", this is the kernel's header name for them.
 */
#ifndef _DMASTACK_LINUX_DMA_BUF_MAPPING_H
#define _DMASTACK_LINUX_DMA_BUF_MAPPING_H

#include "dma-buf.h"

#endif /* _DMASTACK_LINUX_DMA_BUF_MAPPING_H */
