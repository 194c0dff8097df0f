/* SPDX-License-Identifier: MIT */
/*
 * The GPU: the contract between its model (models/gpu.c) and whoever drives
 * it. A GPU function is its video memory behind a large BAR (BAR2, what
 * VFIO exports as a dma-buf and peers reach peer-to-peer) and a copy
 * engine that moves bytes between that memory and bus addresses by DMA,
 * raising MSI vector 0 when a job completes.
 *
 * BAR0 registers (at least GPU_BAR0_MIN bytes; 32-bit unless said):
 *   0x000 ID         reads GPU_ID
 *   0x008 VRAM_SIZE  64-bit: BAR2's size (0: no video memory)
 *   0x100 CE_SRC     64-bit: a bus address, or a VRAM offset (GPU_CE_SRC_VRAM)
 *   0x108 CE_DST     64-bit: the same for the destination (GPU_CE_DST_VRAM)
 *   0x110 CE_LEN     bytes, 1 .. GPU_CE_MAX_LEN
 *   0x114 CE_FLAGS   GPU_CE_SRC_VRAM | GPU_CE_DST_VRAM | GPU_CE_IRQ
 *   0x118 CE_LAUNCH  write: start the job the registers describe
 *   0x11c CE_STATUS  GPU_CE_* state of the last job
 *   0x120 CE_DONE    jobs completed since reset
 *
 * A job takes GPU_CE_LATENCY_NS plus a nanosecond per GPU_CE_BYTES_PER_NS
 * bytes of machine time, then copies (a failed DMA ends it with
 * GPU_CE_ERROR) and, with GPU_CE_IRQ, raises MSI vector 0. A launch while
 * a job runs is ignored (and logged); a reset ends the job unfinished.
 */
#ifndef _DMASTACK_MODELS_GPU_H
#define _DMASTACK_MODELS_GPU_H

#define GPU_ID			0x6b0c0001u
#define GPU_BAR0_MIN		(64 * 1024)

#define GPU_REG_ID		0x000
#define GPU_REG_VRAM_SIZE	0x008
#define GPU_REG_CE_SRC		0x100
#define GPU_REG_CE_DST		0x108
#define GPU_REG_CE_LEN		0x110
#define GPU_REG_CE_FLAGS	0x114
#define  GPU_CE_SRC_VRAM	0x1
#define  GPU_CE_DST_VRAM	0x2
#define  GPU_CE_IRQ		0x4
#define GPU_REG_CE_LAUNCH	0x118
#define GPU_REG_CE_STATUS	0x11c
#define  GPU_CE_IDLE		0
#define  GPU_CE_BUSY		1
#define  GPU_CE_DONE		2
#define  GPU_CE_ERROR		3	/* a DMA of the job failed */
#define  GPU_CE_BAD		4	/* the registers describe no job */
#define GPU_REG_CE_DONE		0x120

#define GPU_CE_MAX_LEN		(16u << 20)
#define GPU_CE_LATENCY_NS	2000
#define GPU_CE_BYTES_PER_NS	16

#endif /* _DMASTACK_MODELS_GPU_H */
