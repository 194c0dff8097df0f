/* SPDX-License-Identifier: MIT */
/*
 * "edma", an example DMA engine: the contract between its model (model.c,
 * the hardware) and its driver (driver.c, kernel-style code).
 *
 * BAR0 registers (32-bit unless said otherwise):
 *   0x00 ID          reads EDMA_ID
 *   0x08 RING_BASE   64-bit bus address of the descriptor ring
 *   0x10 RING_SIZE   entries, a power of two from 2 to 4096
 *   0x14 CTRL        bit 0: the engine runs
 *   0x18 DOORBELL    write the new tail: descriptors up to it are ready
 *   0x1c HEAD        the next descriptor the engine works on (read-only)
 *   0x20 COMPLETED   jobs completed since reset (read-only)
 *
 * A job: the engine fetches the descriptor at HEAD by DMA, spends its
 * latency (a machine timer), copies len bytes from src to dst by DMA,
 * writes the descriptor's status by DMA and raises MSI vector 0.
 */
#ifndef EDMA_H
#define EDMA_H

#include <dmastack/dmastack.h>

#define EDMA_VENDOR		0x1de5
#define EDMA_DEVICE		0xed0a
#define EDMA_ID			0xed3a0001u

#define EDMA_REG_ID		0x00
#define EDMA_REG_RING_BASE	0x08
#define EDMA_REG_RING_SIZE	0x10
#define EDMA_REG_CTRL		0x14
#define  EDMA_CTRL_RUN		0x1
#define EDMA_REG_DOORBELL	0x18
#define EDMA_REG_HEAD		0x1c
#define EDMA_REG_COMPLETED	0x20

#define EDMA_STATUS_DONE	1	/* copied */
#define EDMA_STATUS_ERROR	2	/* a DMA of the job failed */

/* A descriptor, 32 bytes, little-endian in the ring. */
struct edma_desc {
	u64 src;
	u64 dst;
	u32 len;
	u32 status;		/* 0 until the engine completes the job */
	u64 cookie;		/* the driver's */
};

extern const struct sim_model edma_model;

/* What the model did, for the example's report. */
struct edma_model_stats {
	unsigned long doorbells;
	unsigned long jobs;
	unsigned long dma_errors;
	unsigned long msi_sent;
};
void edma_model_stats(struct sim_model_dev *md, struct edma_model_stats *out);

#endif
