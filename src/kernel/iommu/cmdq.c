// SPDX-License-Identifier: MIT
/*
 * The IOMMU's invalidation queue, the driver's side: how software tells the
 * hardware to drop IOTLB entries, and how it learns that the hardware has.
 * The unit's side (reading, decoding, executing) is src/hw/iommu/queue.c.
 *
 * Both hardware families do it the same way. Commands go into a ring in
 * RAM, software moves the tail register, the unit consumes entries from
 * its head, and a final wait/sync command makes the unit write a status
 * word to memory, which software polls. x86_64 units speak VT-d queued
 * invalidation (IOTLB descriptors with page-selective, domain-selective
 * or global granularity and an address mask, then an invalidation wait
 * descriptor); arm64 units speak the SMMUv3 command queue (TLBI_NH_VA per
 * granule, TLBI_NH_ASID for a whole address space, CMD_SYNC with an MSI
 * write). The driver side builds what Linux's drivers build for a range:
 * VT-d rounds it up to one naturally aligned power-of-two block and falls
 * back to domain-selective above the unit's maximum address mask; SMMUv3
 * without range invalidation issues one command per granule and falls
 * back to the ASID above CMDQ_MAX_TLBI_OPS.
 *
 * The unit is modelled as cache coherent with its queue (VT-d always is;
 * SMMUv3 with COHACC), and it processes the queue synchronously when the
 * tail moves. A command it cannot decode stops nothing else: it is
 * recorded as a queue error (VT-d IQE, SMMUv3 CERROR_ILL), reported, and
 * skipped, and a sync after it still completes.
 */
#include <errno.h>
#include <string.h>
#include "iommu-priv.h"
#include "hw/iommu/queue.h"

/* build()'s position once everything is queued */
#define CMDQ_BUILD_DONE		(~0ULL)
#define CMDQ_MAX_TLBI_OPS	512	/* 1 << (PAGE_SHIFT - 3) */

struct cmdq_format {
	/*
	 * The commands for [@iova, +@size) of @did (@all: the whole domain):
	 * up to @max of them from *@pos (bytes into the range, 0 at first),
	 * advancing it (to CMDQ_BUILD_DONE after a single covering command).
	 * Returns how many, 0 when the range is done.
	 */
	unsigned int (*build)(const struct sim_iommu *u, unsigned int did,
			      u64 iova, u64 size, bool all, u64 *pos,
			      struct cmdq_ent *ents, unsigned int max);
	void (*encode)(const struct sim_iommu *u, const struct cmdq_ent *e,
		       u64 d[2]);
};

/* ------------------------------------------------------------------------ */
/* VT-d                                                                     */
/* ------------------------------------------------------------------------ */

static unsigned int vtd_build(const struct sim_iommu *u, unsigned int did,
			      u64 iova, u64 size, bool all, u64 *pos,
			      struct cmdq_ent *ents, unsigned int max)
{
	u64 first = iova >> u->gshift, last = (iova + size - 1) >> u->gshift;
	unsigned int order = 0;

	/* one descriptor, whatever the size */
	if (*pos == CMDQ_BUILD_DONE || !max)
		return 0;
	*pos = CMDQ_BUILD_DONE;
	/* the smallest naturally aligned block holding the range */
	while (!all && (first >> order) != (last >> order))
		order++;
	if (all || order > VTD_MAMV) {
		ents[0] = (struct cmdq_ent){ .op = CMDQ_INV_DOMAIN, .did = did };
		return 1;
	}
	ents[0] = (struct cmdq_ent){
		.op = CMDQ_INV_RANGE, .did = did,
		.iova = (first >> order << order) << u->gshift, .order = order,
	};
	return 1;
}

static void vtd_encode(const struct sim_iommu *u, const struct cmdq_ent *e,
		       u64 d[2])
{
	(void)u;
	switch (e->op) {
	case CMDQ_INV_RANGE:
		d[0] = QI_IOTLB_TYPE | QI_IOTLB_GRAN(QI_IOTLB_GRAN_PSI) |
		       QI_IOTLB_DID(e->did);
		d[1] = (e->iova & ~0xfffULL) | QI_IOTLB_AM(e->order);
		break;
	case CMDQ_INV_DOMAIN:
		d[0] = QI_IOTLB_TYPE | QI_IOTLB_GRAN(QI_IOTLB_GRAN_DSI) |
		       QI_IOTLB_DID(e->did);
		d[1] = 0;
		break;
	case CMDQ_INV_ALL:
		d[0] = QI_IOTLB_TYPE | QI_IOTLB_GRAN(QI_IOTLB_GRAN_GLOBAL);
		d[1] = 0;
		break;
	case CMDQ_SYNC:
		d[0] = QI_IWD_TYPE | QI_IWD_STATUS_DATA(e->data) |
		       (e->signal ? QI_IWD_STATUS_WRITE : 0);
		d[1] = e->status;
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* SMMUv3                                                                   */
/* ------------------------------------------------------------------------ */

static unsigned int smmu_build(const struct sim_iommu *u, unsigned int did,
			       u64 iova, u64 size, bool all, u64 *pos,
			       struct cmdq_ent *ents, unsigned int max)
{
	unsigned int n = 0;

	if (*pos == CMDQ_BUILD_DONE || !max)
		return 0;
	if (all || (size >> u->gshift) > CMDQ_MAX_TLBI_OPS) {
		ents[0] = (struct cmdq_ent){ .op = CMDQ_INV_DOMAIN, .did = did };
		*pos = CMDQ_BUILD_DONE;
		return 1;
	}
	if (*pos >= size)
		return 0;
	/* one TLBI_NH_VA per granule, as without range invalidation */
	for (; n < max && *pos < size; n++, *pos += u->granule)
		ents[n] = (struct cmdq_ent){
			.op = CMDQ_INV_RANGE, .did = did, .iova = iova + *pos,
		};
	return n;
}

static void smmu_encode(const struct sim_iommu *u, const struct cmdq_ent *e,
			u64 d[2])
{
	(void)u;
	switch (e->op) {
	case CMDQ_INV_RANGE:
		/* NUM, SCALE and TG stay 0: no range invalidation (RIL) */
		d[0] = CMDQ_OP_TLBI_NH_VA | CMDQ_TLBI_0_ASID(e->did);
		d[1] = e->iova & CMDQ_TLBI_1_VA_MASK;
		break;
	case CMDQ_INV_DOMAIN:
	case CMDQ_INV_ALL:
		d[0] = CMDQ_OP_TLBI_NH_ASID | CMDQ_TLBI_0_ASID(e->did);
		d[1] = 0;
		break;
	case CMDQ_SYNC:
		d[0] = CMDQ_OP_CMD_SYNC | CMDQ_SYNC_0_MSIDATA(e->data) |
		       (e->signal ? CMDQ_SYNC_0_CS_IRQ : 0);
		d[1] = e->status & CMDQ_SYNC_1_MSIADDR;
		break;
	}
}

static const struct cmdq_format vtd_qi = {
	.build = vtd_build, .encode = vtd_encode,
};

static const struct cmdq_format smmu_cmdq = {
	.build = smmu_build, .encode = smmu_encode,
};

/* Counters change under the queue lock; readers take them lock-free. */
static inline void cmdq_count(_Atomic unsigned long *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* The driver side                                                          */
/* ------------------------------------------------------------------------ */

/* Put one entry at the tail; the unit runs first if the ring is full. */
static void cmdq_put(struct sim_iommu *u, const u64 d[2])
{
	struct sim_cmdq *q = &u->cmdq;

	/* one slot stays free: head == tail means empty */
	if ((q->sw_tail + 1) % CMDQ_LEN == sim_iommu_hw_queue_head(u->hw))
		sim_iommu_hw_queue_tail(u->hw, q->sw_tail);
	memcpy(q->ring + q->sw_tail * CMDQ_ENT_BYTES, d, CMDQ_ENT_BYTES);
	q->sw_tail = (q->sw_tail + 1) % CMDQ_LEN;
}

/*
 * The sync that ends a batch: a wait/CMD_SYNC writing DONE to the status
 * word of its slot, the tail register write, then the poll
 * (qi_submit_sync(), arm_smmu_cmdq_issue_cmdlist() with sync). q->lock
 * held. Returns 0, or -ETIMEDOUT if the status never changed (reported).
 */
static int cmdq_sync(struct sim_iommu *u)
{
	struct sim_cmdq *q = &u->cmdq;
	unsigned int wait;
	u64 d[2];

	wait = q->sw_tail;	/* cmdq_put() makes room without moving it */
	__atomic_store_n(&q->status[wait], CMDQ_STATUS_PENDING, __ATOMIC_RELAXED);
	q->fmt->encode(u, &(struct cmdq_ent){
			.op = CMDQ_SYNC, .signal = true,
			.status = q->status_phys + wait * 4,
			.data = CMDQ_STATUS_DONE }, d);
	cmdq_put(u, d);
	sim_iommu_hw_queue_tail(u->hw, q->sw_tail);
	cmdq_count(&q->syncs);
	if (__atomic_load_n(&q->status[wait], __ATOMIC_ACQUIRE) != CMDQ_STATUS_DONE) {
		sim_report(u->m, SIM_REPORT_IOMMU_FAULT, NULL, 0, 0,
			   "iommu %s: %s: sync at index %u never completed",
			   u->id, sim_iommu_hw_queue_name(u->hw), wait);
		return -ETIMEDOUT;
	}
	return 0;
}

/**
 * sim_cmdq_inval_sync - invalidate the IOTLB for a range and wait for it
 * @u: the unit
 * @did: domain id (VT-d DID, SMMUv3 ASID)
 * @iova: start (granule aligned), @size bytes; @all: the whole domain
 *
 * Queues the commands the unit's driver would, then a sync, and polls the
 * sync's status word. Takes the queue lock. Returns 0, or -ETIMEDOUT if
 * the unit never wrote the status (reported).
 */
int sim_cmdq_inval_sync(struct sim_iommu *u, unsigned int did, u64 iova,
			u64 size, bool all)
{
	const struct cmdq_format *fmt = u->cmdq.fmt;
	struct cmdq_ent ents[64];
	unsigned int n;
	u64 pos = 0, d[2];
	int ret;

	pthread_mutex_lock(&u->cmdq.lock);
	while ((n = fmt->build(u, did, iova, size, all, &pos, ents,
			       ARRAY_SIZE(ents)))) {
		for (unsigned int i = 0; i < n; i++) {
			fmt->encode(u, &ents[i], d);
			cmdq_put(u, d);
		}
	}
	ret = cmdq_sync(u);
	pthread_mutex_unlock(&u->cmdq.lock);
	return ret;
}

/*
 * Tests: put one raw 16-byte entry on the queue, followed by a sync.
 * Returns what the sync returned.
 */
int sim_cmdq_submit_raw(struct sim_iommu *u, u64 d0, u64 d1)
{
	struct sim_cmdq *q = &u->cmdq;
	int ret;

	pthread_mutex_lock(&q->lock);
	cmdq_put(u, (u64[2]){ d0, d1 });
	ret = cmdq_sync(u);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/**
 * sim_cmdq_init - the queue and its status words, in the machine's RAM
 * @u: the unit, whose format picks the command encoding
 *
 * Two pages: the ring (256 entries of 16 bytes) and one status word per
 * ring slot. Returns 0 or -ENOMEM.
 */
int sim_cmdq_init(struct sim_iommu *u)
{
	struct sim_cmdq *q = &u->cmdq;

	q->fmt = strcmp(u->format, "x86_64") ? &smmu_cmdq : &vtd_qi;
	q->pages = sim_alloc_pages(u->m, 1);
	if (!q->pages)
		return -ENOMEM;
	q->ring_phys = page_to_phys(q->pages);
	q->status_phys = q->ring_phys + PAGE_SIZE;
	q->ring = sim_phys_to_virt(u->m, q->ring_phys);
	q->status = sim_phys_to_virt(u->m, q->status_phys);
	memset(q->ring, 0, 2 * PAGE_SIZE);
	pthread_mutex_init(&q->lock, NULL);
	sim_iommu_hw_queue_base(u->hw, q->ring_phys);
	return 0;
}

void sim_cmdq_fini(struct sim_iommu *u)
{
	if (!u->cmdq.pages)
		return;
	pthread_mutex_destroy(&u->cmdq.lock);
	sim_free_pages(u->m, u->cmdq.pages, 1);
	u->cmdq.pages = NULL;
}

const char *sim_cmdq_name(struct sim_iommu *u)
{
	return sim_iommu_hw_queue_name(u->hw);
}
