// SPDX-License-Identifier: MIT
/*
 * The unit's side of the invalidation queue (queue.h): read the commands
 * the driver put in RAM, decode them in the unit's format, and execute
 * them on the IOTLB; a sync writes its status word to RAM.
 */
#include <string.h>
#include "hw/machine.h"
#include "unit.h"
#include "queue.h"

static int vtd_decode(const struct sim_iommu_hw *u, const u64 d[2],
		      struct cmdq_ent *e)
{
	memset(e, 0, sizeof(*e));
	switch (d[0] & QI_TYPE_MASK) {
	case QI_IOTLB_TYPE:
		e->did = (unsigned int)(d[0] >> 16) & 0xffff;
		switch ((d[0] >> 4) & 3) {
		case QI_IOTLB_GRAN_GLOBAL:
			e->op = CMDQ_INV_ALL;
			return 0;
		case QI_IOTLB_GRAN_DSI:
			e->op = CMDQ_INV_DOMAIN;
			return 0;
		case QI_IOTLB_GRAN_PSI:
			e->op = CMDQ_INV_RANGE;
			e->iova = d[1] & ~0xfffULL;
			e->order = (unsigned int)(d[1] & 0x3f);
			/* the address must be aligned to the mask */
			if (e->order > VTD_MAMV ||
			    (e->iova >> u->gshift) & ((1ULL << e->order) - 1))
				return -EINVAL;
			return 0;
		}
		return -EINVAL;
	case QI_IWD_TYPE:
		/* without the status write it only orders (fence) */
		e->op = CMDQ_SYNC;
		e->signal = d[0] & QI_IWD_STATUS_WRITE;
		if (e->signal && (d[1] & 3))
			return -EINVAL;
		e->status = d[1];
		e->data = (u32)(d[0] >> 32);
		return 0;
	}
	return -EINVAL;
}


static int smmu_decode(const struct sim_iommu_hw *u, const u64 d[2],
		       struct cmdq_ent *e)
{
	(void)u;
	memset(e, 0, sizeof(*e));
	switch (CMDQ_0_OP(d[0])) {
	case CMDQ_OP_TLBI_NH_VA:
		e->op = CMDQ_INV_RANGE;
		e->did = (unsigned int)(d[0] >> 48);
		e->iova = d[1] & CMDQ_TLBI_1_VA_MASK;
		/* NUM/SCALE (bits 24:12) need RIL, which this unit lacks */
		return (d[0] >> 12) & 0x1fff ? -EINVAL : 0;
	case CMDQ_OP_TLBI_NH_ASID:
		e->op = CMDQ_INV_DOMAIN;
		e->did = (unsigned int)(d[0] >> 48);
		return 0;
	case CMDQ_OP_CMD_SYNC:
		/* CS: 0 none, 1 IRQ (the MSI write polled here), 2 SEV, 3 reserved */
		e->op = CMDQ_SYNC;
		if ((d[0] & CMDQ_SYNC_0_CS_MASK) == CMDQ_SYNC_0_CS_MASK)
			return -EINVAL;
		e->signal = (d[0] & CMDQ_SYNC_0_CS_MASK) == CMDQ_SYNC_0_CS_IRQ;
		e->status = d[1] & CMDQ_SYNC_1_MSIADDR;
		e->data = (u32)(d[0] >> 32);
		return 0;
	}
	return -EINVAL;
}


/* Counters change under the queue lock; readers take them lock-free. */
static inline void cmdq_count(_Atomic unsigned long *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void cmdq_hw_exec(struct sim_iommu_hw *u, const struct cmdq_ent *e)
{
	switch (e->op) {
	case CMDQ_INV_RANGE:
		sim_iotlb_inval_range(u, e->did, e->iova >> u->gshift,
				      1ULL << e->order);
		break;
	case CMDQ_INV_DOMAIN:
		if (e->did < SIM_IOMMU_DIDS)
			sim_iotlb_inval_domain(u, e->did);
		break;
	case CMDQ_INV_ALL:
		for (unsigned int did = 0; did < SIM_IOMMU_DIDS; did++)
			sim_iotlb_inval_domain(u, did);
		break;
	case CMDQ_SYNC: {
		u32 *status;

		/* what came before is done, walks included */
		sim_iommu_hw_walks_drain(u);
		if (!e->signal)
			break;
		status = sim_phys_to_virt(u->m, e->status);
		if (status) {
			__atomic_store_n(status, e->data, __ATOMIC_RELEASE);
			break;
		}
		cmdq_count(&u->q.errors);
		sim_report(u->m, SIM_REPORT_IOMMU_FAULT, NULL, e->status, 4,
			   "iommu %s: %s error: sync status address %#llx is not RAM",
			   u->id, sim_iommu_hw_queue_name(u),
			   (unsigned long long)e->status);
		break;
	}
	}
}

void sim_iommu_hw_queue_base(struct sim_iommu_hw *u, phys_addr_t ring)
{
	u->q.base = ring;
	u->q.head = u->q.tail = 0;
}

unsigned int sim_iommu_hw_queue_head(struct sim_iommu_hw *u)
{
	return u->q.head;
}

const char *sim_iommu_hw_queue_name(const struct sim_iommu_hw *u)
{
	return u->x86 ? "VT-d queued invalidation" : "SMMUv3 command queue";
}

/*
 * The tail register write: consume everything up to @tail, reading each
 * entry from RAM. An entry that does not decode (or cannot be read) is an
 * error the unit reports and skips. The driver serialises tail writes.
 */
void sim_iommu_hw_queue_tail(struct sim_iommu_hw *u, unsigned int tail)
{
	__typeof__(u->q) *q = &u->q;
	struct cmdq_ent e;

	q->tail = tail % CMDQ_LEN;
	while (q->head != q->tail) {
		const u64 *slot = sim_phys_to_virt(u->m, q->base +
						   q->head * CMDQ_ENT_BYTES);
		u64 d[2] = { slot ? slot[0] : 0, slot ? slot[1] : 0 };
		int bad = !slot || (u->x86 ? vtd_decode(u, d, &e) :
						  smmu_decode(u, d, &e));

		if (bad) {
			cmdq_count(&q->errors);
			sim_report(u->m, SIM_REPORT_IOMMU_FAULT, NULL, 0, 0,
				   "iommu %s: %s error: invalid command %016llx %016llx at index %u, skipped",
				   u->id, sim_iommu_hw_queue_name(u),
				   (unsigned long long)d[0],
				   (unsigned long long)d[1], q->head);
		} else {
			cmdq_hw_exec(u, &e);
			cmdq_count(&q->cmds);
		}
		q->head = (q->head + 1) % CMDQ_LEN;
	}
}

