/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU unit's invalidation queue as hardware: a ring of 16-byte
 * commands in RAM at the queue-base register, consumed from the head when
 * the driver writes the tail register. x86_64 units decode VT-d queued
 * invalidation descriptors, arm64 units SMMUv3 commands; the encodings
 * below are the specifications' (the fields this model uses). A sync
 * command with a status write stores its data at the given address when
 * the unit reaches it; a command the unit cannot decode is reported as a
 * queue error (VT-d IQE, SMMUv3 CERROR_ILL) and skipped.
 */
#ifndef _DMASTACK_HW_IOMMU_QUEUE_H
#define _DMASTACK_HW_IOMMU_QUEUE_H

#include <dmastack/types.h>

#define CMDQ_LEN		256	/* entries of 16 bytes: one 4K page */
#define CMDQ_ENT_BYTES		16
#define CMDQ_STATUS_PENDING	1	/* QI_IN_USE */
#define CMDQ_STATUS_DONE	2	/* QI_DONE */

/* VT-d queued invalidation */
#define QI_IOTLB_TYPE		0x2
#define QI_IWD_TYPE		0x5
#define QI_TYPE_MASK		0xfULL
#define QI_IOTLB_GRAN_GLOBAL	1
#define QI_IOTLB_GRAN_DSI	2
#define QI_IOTLB_GRAN_PSI	3
#define QI_IOTLB_GRAN(g)	((u64)(g) << 4)
#define QI_IOTLB_DID(did)	((u64)(did) << 16)
#define QI_IOTLB_AM(am)		((u64)(am) & 0x3f)
#define QI_IWD_STATUS_WRITE	(1ULL << 5)
#define QI_IWD_STATUS_DATA(d)	((u64)(d) << 32)
#define VTD_MAMV		18	/* cap_max_amask_val of the unit */

/* SMMUv3 command queue */
#define CMDQ_OP_TLBI_NH_ASID	0x11
#define CMDQ_OP_TLBI_NH_VA	0x12
#define CMDQ_OP_CMD_SYNC	0x46
#define CMDQ_0_OP(d)		((d) & 0xff)
#define CMDQ_TLBI_0_ASID(a)	((u64)(a) << 48)
#define CMDQ_TLBI_1_VA_MASK	(~0xfffULL)
#define CMDQ_SYNC_0_CS_IRQ	(1ULL << 12)
#define CMDQ_SYNC_0_CS_MASK	(3ULL << 12)
#define CMDQ_SYNC_0_MSIDATA(d)	((u64)(d) << 32)
#define CMDQ_SYNC_1_MSIADDR	(((1ULL << 52) - 1) & ~3ULL)

enum cmdq_op { CMDQ_INV_RANGE, CMDQ_INV_DOMAIN, CMDQ_INV_ALL, CMDQ_SYNC };

/* A command as the hardware understands it, whatever its encoding. */
struct cmdq_ent {
	enum cmdq_op op;
	unsigned int did;
	u64 iova;		/* CMDQ_INV_RANGE: 2^order granules from here */
	unsigned int order;
	bool signal;		/* CMDQ_SYNC: write @data to @status */
	phys_addr_t status;
	u32 data;
};

struct sim_iommu_hw;

/* The queue-base register: the ring's physical address (CMDQ_LEN entries). */
void sim_iommu_hw_queue_base(struct sim_iommu_hw *u, phys_addr_t ring);
/* The tail register: the unit consumes every entry up to @tail. */
void sim_iommu_hw_queue_tail(struct sim_iommu_hw *u, unsigned int tail);
/* The head register: the next entry the unit will read. */
unsigned int sim_iommu_hw_queue_head(struct sim_iommu_hw *u);
/* The queue's name in reports ("VT-d queued invalidation", ...). */
const char *sim_iommu_hw_queue_name(const struct sim_iommu_hw *u);

#endif /* _DMASTACK_HW_IOMMU_QUEUE_H */
