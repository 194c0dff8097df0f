/* SPDX-License-Identifier: MIT */
/*
 * The DMA engine: the contract between its model (models/dmaengine.c) and
 * whoever drives it. One channel that walks a chain of descriptors in host
 * memory (as Intel's I/OAT does): each descriptor names a copy and the
 * next descriptor; after each one the engine writes a completion record to
 * host memory, and descriptors that ask for it raise MSI-X vector 0.
 *
 * BAR0 registers (at least DMAE_BAR0_MIN bytes; 32-bit unless said):
 *   0x000 ID         reads DMAE_ID
 *   0x008 CHAINADDR  64-bit: bus address of the first descriptor (64-aligned)
 *   0x010 CMPLADDR   64-bit: bus address of the completion record (8-aligned)
 *   0x018 CMD        write DMAE_CMD_START (walk from CHAINADDR),
 *                    DMAE_CMD_APPEND (the chain ended: read the last
 *                    descriptor's next again and go on if it is set),
 *                    DMAE_CMD_ABORT (stop; the descriptor under way is
 *                    not completed)
 *   0x01c STS        DMAE_STS_*
 *   0x020 ERR        DMAE_ERR_* of the halt (cleared by START)
 *   0x028 COMPLETED  64-bit: descriptors completed since reset
 *   0x2000           the MSI-X table (one vector), its PBA after it
 *
 * The completion record is a 64-bit word: the bus address of the last
 * completed descriptor, ORed with DMAE_STS_ACTIVE, DMAE_STS_DONE (the
 * chain ended there) or DMAE_STS_HALTED (an error stopped the engine; the
 * address is of the descriptor that failed). A halt always interrupts.
 *
 * A descriptor takes DMAE_LATENCY_NS plus a nanosecond per
 * DMAE_BYTES_PER_NS bytes of machine time.
 */
#ifndef _DMASTACK_MODELS_DMAENGINE_H
#define _DMASTACK_MODELS_DMAENGINE_H

#include <dmastack/types.h>

#define DMAE_ID			0x10a70001u
#define DMAE_BAR0_MIN		(64 * 1024)

#define DMAE_REG_ID		0x000
#define DMAE_REG_CHAINADDR	0x008
#define DMAE_REG_CMPLADDR	0x010
#define DMAE_REG_CMD		0x018
#define  DMAE_CMD_START		1
#define  DMAE_CMD_APPEND	2
#define  DMAE_CMD_ABORT		3
#define DMAE_REG_STS		0x01c
#define  DMAE_STS_IDLE		0
#define  DMAE_STS_ACTIVE	1
#define  DMAE_STS_DONE		2
#define  DMAE_STS_HALTED	3
#define DMAE_REG_ERR		0x020
#define  DMAE_ERR_CHAINADDR	0x1	/* CHAINADDR or a next not 64-aligned */
#define  DMAE_ERR_DESC_READ	0x2	/* a descriptor could not be read */
#define  DMAE_ERR_DESC		0x4	/* a descriptor is malformed */
#define  DMAE_ERR_SRC		0x8	/* reading the source failed */
#define  DMAE_ERR_DST		0x10	/* writing the destination failed */
#define  DMAE_ERR_CMPL		0x20	/* the completion record failed */
#define DMAE_REG_COMPLETED	0x028
#define DMAE_MSIX_OFFSET	0x2000

#define DMAE_MAX_SIZE		(1u << 20)
#define DMAE_LATENCY_NS		500
#define DMAE_BYTES_PER_NS	8

/* A descriptor, 64 bytes, little-endian in host memory. */
struct dmae_desc {
	u32 size;
	u32 ctl;		/* DMAE_CTL_* */
	u64 src;
	u64 dst;
	u64 next;		/* 0: the chain ends here (for now) */
	u64 rsvd[4];
};
#define DMAE_CTL_INT		0x1	/* interrupt when completed */
#define DMAE_CTL_NULL		0x2	/* no copy: completes at once */

#endif /* _DMASTACK_MODELS_DMAENGINE_H */
