// SPDX-License-Identifier: MIT
/*
 * NVMe over PCIe host driver (drivers/nvme/host/pci.c, as the 2025 series
 * converted it to blk_rq_dma_map): controller bring-up, admin and I/O
 * queues in coherent memory, polled completions, and the data path that
 * builds PRPs or SGLs straight from the block layer's DMA iterator, with
 * the single-segment fast path and PRP lists from dma_pools.
 *
 * Beside the iterator (api=iova) the same request can be mapped per
 * segment with dma_map_phys() (api=phys) or through a scatterlist and
 * dma_map_sgtable() (api=sg), so a benchmark compares the three.
 *
 * Locking: each queue has a mutex (the kernel's sq_lock and the polling
 * side in one) covering its ring indices, tags and command slots; the
 * doorbell write runs the controller synchronously under it. Statistics
 * are atomics. nvme_probe()/nvme_remove() must not race with I/O.
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/scatterlist.h>
#include <linux/blk-mq-dma.h>
#include <dmastack/nvme.h>
#include <dmastack/blk-mq-dma.h>
#include <dmastack/sim.h>

#define NVME_AQ_DEPTH		32
#define NVME_SMALL_POOL_SIZE	256
#define NVME_MAX_NR_DESCRIPTORS	5
#define NVME_MAX_SEGS		(NVME_CTRL_PAGE_SIZE / sizeof(struct nvme_sgl_desc))
#define NVME_DEFAULT_SGL_THRESHOLD	(32 * 1024)
#define NVME_POLL_TRIES		4
/* NVME_SC_HOST_ABORTED_CMD: a command cancelled by the host (SCT 3). */
#define NVME_SC_HOST_ABORTED_CMD	0x371

enum {
	IOD_SINGLE_SEGMENT	= 1 << 0,	/* mapped by the fast path */
	IOD_SMALL_DESCRIPTOR	= 1 << 1,	/* descriptor from the small pool */
};

struct nvme_dma_vec {
	dma_addr_t addr;
	size_t len;
};

/*
 * struct nvme_iod - one command slot of a queue (the kernel's request pdu)
 * Under the queue's lock.
 */
struct nvme_iod {
	struct request *req;
	struct nvme_command cmd;
	bool busy;			/* the tag is allocated */
	bool inflight;			/* submitted, not reaped */
	u8 flags;
	enum nvme_dma_api api;		/* how the data was mapped */
	u16 status;
	u32 result;
	int error;

	unsigned int nr_descriptors;
	void *descriptors[NVME_MAX_NR_DESCRIPTORS];
	dma_addr_t descriptor_dma[NVME_MAX_NR_DESCRIPTORS];
	size_t total_len;		/* bytes mapped */

	struct dma_iova_state dma_state;
	enum pci_p2pdma_map_type p2p_map;
	struct nvme_dma_vec *dma_vecs;	/* segments to unmap one by one */
	unsigned int nr_dma_vecs;

	/* api=phys: the next bvec; api=sg: the table and the next entry */
	unsigned int next_bvec;
	struct pci_p2pdma_map_state p2p_state;
	struct sg_table sgt;
	struct scatterlist *next_sg;
	unsigned int sg_left;
};

struct nvme_queue {
	struct nvme_dev *dev;
	struct mutex lock;
	struct nvme_command *sq_cmds;
	dma_addr_t sq_dma;
	struct nvme_completion *cqes;
	dma_addr_t cq_dma;
	u32 __iomem *q_db;		/* the SQ tail doorbell */
	u16 q_depth;
	u16 qid;
	u16 sq_tail;
	u16 cq_head;
	u8 cq_phase;
	bool created;			/* the controller knows the queue */
	struct nvme_iod *iods;		/* q_depth slots, tag = index = CID */
};

struct nvme_dev {
	struct pci_dev *pdev;
	struct device *dev;
	const char *unbound_name;	/* the device's name before the probe */
	void __iomem *bar;		/* BAR0, pci_iomap()ed */
	u64 cap;
	u32 db_stride;
	u32 q_depth;
	bool dead;			/* READ_ONCE/WRITE_ONCE */

	struct nvme_queue *queues;	/* [0] admin, then I/O */
	unsigned int nr_queues;		/* allocated */
	unsigned int online_queues;	/* created on the controller */

	struct dma_pool *pool_large;	/* PRP list pages, SGL segments */
	struct dma_pool *pool_small;	/* up to 256 bytes of descriptors */

	struct request_queue rq_queue;	/* the limits requests are built with */
	atomic_t api;
	unsigned int sgl_threshold;
	u32 sgls;
	u32 max_hw_bytes;
	u16 vid;
	char mn[41];
	u32 nn;
	u64 nsze;
	unsigned int lba_shift;

	u64 cmb_size;
	bool cmb_published;

	struct {
		atomic_long_t commands, errors, map_calls, iova_requests,
			simple, prp_lists, sgl_cmds, map_failures;
		atomic64_t bytes;
	} stats;
};

/* ------------------------------------------------------------------------ */
/* Registers                                                                */
/* ------------------------------------------------------------------------ */

static u32 nvme_readl(struct nvme_dev *dev, u32 off)
{
	return readl(dev->bar + off);
}

static void nvme_writel(struct nvme_dev *dev, u32 val, u32 off)
{
	writel(val, dev->bar + off);
}

/* The kernel's lo_hi_readq/lo_hi_writeq: 64-bit registers as two dwords. */
static u64 lo_hi_readq(struct nvme_dev *dev, u32 off)
{
	u64 lo = nvme_readl(dev, off), hi = nvme_readl(dev, off + 4);

	return lo | (hi << 32);
}

static void lo_hi_writeq(struct nvme_dev *dev, u64 val, u32 off)
{
	nvme_writel(dev, (u32)val, off);
	nvme_writel(dev, (u32)(val >> 32), off + 4);
}

/*
 * nvme_wait_ready - poll CSTS until (CSTS & @mask) == @val. The model
 * answers synchronously, so a bounded number of reads stands in for
 * CAP.TO; all ones (the function stopped decoding) and fatal status end
 * the wait at once.
 */
static int nvme_wait_ready(struct nvme_dev *dev, u32 mask, u32 val)
{
	for (unsigned int i = 0; i < 1000; i++) {
		u32 csts = nvme_readl(dev, NVME_REG_CSTS);

		if (csts == ~0u)
			return -ENODEV;
		if ((csts & mask) == val)
			return 0;
		if (csts & NVME_CSTS_CFS)
			return -ENODEV;
	}
	return -ENODEV;
}

static int nvme_disable_ctrl(struct nvme_dev *dev, bool shutdown)
{
	u32 cc = nvme_readl(dev, NVME_REG_CC);

	if (cc == ~0u)
		return -ENODEV;
	if (shutdown && (cc & NVME_CC_ENABLE)) {
		nvme_writel(dev, (cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL,
		       NVME_REG_CC);
		if (nvme_wait_ready(dev, NVME_CSTS_SHST_MASK,
				    NVME_CSTS_SHST_CMPLT))
			dev_warn(dev->dev, "shutdown did not complete\n");
	}
	nvme_writel(dev, 0, NVME_REG_CC);
	return nvme_wait_ready(dev, NVME_CSTS_RDY, 0);
}

/* ------------------------------------------------------------------------ */
/* Queues                                                                   */
/* ------------------------------------------------------------------------ */

static int nvme_alloc_queue(struct nvme_dev *dev, unsigned int qid, u16 depth)
{
	struct nvme_queue *nvmeq = &dev->queues[qid];

	nvmeq->dev = dev;
	nvmeq->qid = (u16)qid;
	nvmeq->q_depth = depth;
	nvmeq->iods = kcalloc(depth, sizeof(*nvmeq->iods), GFP_KERNEL);
	if (!nvmeq->iods)
		return -ENOMEM;
	nvmeq->cqes = dma_alloc_coherent(dev->dev, depth * sizeof(struct nvme_completion),
					 &nvmeq->cq_dma, GFP_KERNEL);
	if (!nvmeq->cqes)
		goto free_iods;
	nvmeq->sq_cmds = dma_alloc_coherent(dev->dev, depth * sizeof(struct nvme_command),
					    &nvmeq->sq_dma, GFP_KERNEL);
	if (!nvmeq->sq_cmds)
		goto free_cqes;
	memset(nvmeq->cqes, 0, depth * sizeof(struct nvme_completion));
	nvmeq->q_db = dev->bar + NVME_REG_DBS + qid * 2 * dev->db_stride * 4;
	nvmeq->cq_phase = 1;
	mutex_init(&nvmeq->lock);
	dev->nr_queues = max(dev->nr_queues, qid + 1);
	return 0;

free_cqes:
	dma_free_coherent(dev->dev, depth * sizeof(struct nvme_completion),
			  nvmeq->cqes, nvmeq->cq_dma);
	nvmeq->cqes = NULL;
free_iods:
	kfree(nvmeq->iods);
	nvmeq->iods = NULL;
	return -ENOMEM;
}

static void nvme_free_queue(struct nvme_dev *dev, struct nvme_queue *nvmeq)
{
	if (!nvmeq->iods)
		return;
	dma_free_coherent(dev->dev, nvmeq->q_depth * sizeof(struct nvme_command),
			  nvmeq->sq_cmds, nvmeq->sq_dma);
	dma_free_coherent(dev->dev, nvmeq->q_depth * sizeof(struct nvme_completion),
			  nvmeq->cqes, nvmeq->cq_dma);
	kfree(nvmeq->iods);
	nvmeq->iods = NULL;
	mutex_destroy(&nvmeq->lock);
}

/* A free tag, or -EBUSY. Under the queue lock. */
static int nvme_get_tag(struct nvme_queue *nvmeq)
{
	/* one slot stays empty: a full SQ has tail + 1 == head */
	unsigned int used = 0;
	int tag = -EBUSY;

	for (unsigned int i = 0; i < nvmeq->q_depth; i++) {
		if (nvmeq->iods[i].busy)
			used++;
		else if (tag < 0)
			tag = (int)i;
	}
	if (used >= nvmeq->q_depth - 1u)
		return -EBUSY;
	return tag;
}

/* Copy the command into the SQ and ring the doorbell. Under the queue lock. */
static void nvme_sq_submit(struct nvme_queue *nvmeq, const struct nvme_command *cmd)
{
	u32 tail;

	memcpy(&nvmeq->sq_cmds[nvmeq->sq_tail], cmd, sizeof(*cmd));
	if (++nvmeq->sq_tail == nvmeq->q_depth)
		nvmeq->sq_tail = 0;
	tail = nvmeq->sq_tail;
	writel(tail, nvmeq->q_db);
}

static void nvme_unmap_data(struct nvme_dev *dev, struct nvme_iod *iod);

/*
 * Reap every new completion of @nvmeq: record the status in its command
 * slot and unmap its data (the kernel's nvme_pci_complete_rq), then tell
 * the controller how far the head moved. Under the queue lock.
 */
static unsigned int nvme_process_cq(struct nvme_queue *nvmeq)
{
	struct nvme_dev *dev = nvmeq->dev;
	unsigned int found = 0;

	for (;;) {
		struct nvme_completion *cqe = &nvmeq->cqes[nvmeq->cq_head];
		struct nvme_iod *iod;
		u16 status = cqe->status;

		if ((status & 1) != nvmeq->cq_phase)
			break;
		if (cqe->command_id >= nvmeq->q_depth ||
		    !nvmeq->iods[cqe->command_id].inflight) {
			dev_warn(dev->dev, "invalid id %d completed on queue %d\n",
				 cqe->command_id, nvmeq->qid);
		} else {
			iod = &nvmeq->iods[cqe->command_id];
			iod->status = status >> 1;
			iod->result = cqe->result;
			iod->error = iod->status ? -EIO : 0;
			iod->inflight = false;
			if (iod->req)
				nvme_unmap_data(dev, iod);
			if (nvmeq->qid) {
				atomic_long_inc(&dev->stats.commands);
				if (iod->status)
					atomic_long_inc(&dev->stats.errors);
				else if (iod->req)
					atomic64_add(blk_rq_bytes(iod->req), &dev->stats.bytes);
			}
		}
		found++;
		if (++nvmeq->cq_head == nvmeq->q_depth) {
			nvmeq->cq_head = 0;
			nvmeq->cq_phase ^= 1;
		}
	}
	if (found) {
		u32 head = nvmeq->cq_head;

		writel(head, nvmeq->q_db + dev->db_stride);
	}
	return found;
}

/*
 * Wait for @tag's completion, polling. The controller runs synchronously
 * on the doorbell, so a command that has not completed after a few polls
 * never will (fatal status, or its queue is gone): it is cancelled like the
 * kernel's nvme_cancel_request() after a reset, its data unmapped.
 */
static void nvme_wait_tag(struct nvme_queue *nvmeq, unsigned int tag)
{
	struct nvme_iod *iod = &nvmeq->iods[tag];

	for (unsigned int i = 0; iod->inflight && i < NVME_POLL_TRIES; i++)
		nvme_process_cq(nvmeq);
	if (iod->inflight) {
		iod->inflight = false;
		iod->status = NVME_SC_HOST_ABORTED_CMD;
		iod->error = -EIO;
		if (iod->req)
			nvme_unmap_data(nvmeq->dev, iod);
		WRITE_ONCE(nvmeq->dev->dead, true);
	}
}

/* An admin command, waited for. 0, -EIO (status in *@status), -EBUSY. */
static int nvme_submit_sync_cmd(struct nvme_dev *dev, struct nvme_command *cmd,
				u32 *result, u16 *status)
{
	struct nvme_queue *nvmeq = &dev->queues[0];
	struct nvme_iod *iod;
	int tag, ret;

	mutex_lock(&nvmeq->lock);
	tag = nvme_get_tag(nvmeq);
	if (tag < 0) {
		mutex_unlock(&nvmeq->lock);
		return tag;
	}
	iod = &nvmeq->iods[tag];
	memset(iod, 0, sizeof(*iod));
	iod->busy = iod->inflight = true;
	cmd->command_id = (u16)tag;
	nvme_sq_submit(nvmeq, cmd);
	nvme_wait_tag(nvmeq, (unsigned int)tag);
	if (result)
		*result = iod->result;
	if (status)
		*status = iod->status;
	ret = iod->error;
	iod->busy = false;
	mutex_unlock(&nvmeq->lock);
	return ret;
}

static int adapter_alloc_cq(struct nvme_dev *dev, struct nvme_queue *nvmeq)
{
	struct nvme_command c = {
		.opcode = nvme_admin_create_cq,
		.dptr.prp1 = nvmeq->cq_dma,
		.cdw10 = nvmeq->qid | ((u32)(nvmeq->q_depth - 1) << 16),
		.cdw11 = NVME_QUEUE_PHYS_CONTIG,	/* polled: no interrupt */
	};

	return nvme_submit_sync_cmd(dev, &c, NULL, NULL);
}

static int adapter_alloc_sq(struct nvme_dev *dev, struct nvme_queue *nvmeq)
{
	struct nvme_command c = {
		.opcode = nvme_admin_create_sq,
		.dptr.prp1 = nvmeq->sq_dma,
		.cdw10 = nvmeq->qid | ((u32)(nvmeq->q_depth - 1) << 16),
		.cdw11 = NVME_QUEUE_PHYS_CONTIG | ((u32)nvmeq->qid << 16),
	};

	return nvme_submit_sync_cmd(dev, &c, NULL, NULL);
}

static int adapter_delete_queue(struct nvme_dev *dev, u8 opcode, u16 qid)
{
	struct nvme_command c = { .opcode = opcode, .cdw10 = qid };

	return nvme_submit_sync_cmd(dev, &c, NULL, NULL);
}

static int nvme_create_queue(struct nvme_dev *dev, struct nvme_queue *nvmeq)
{
	int ret;

	ret = adapter_alloc_cq(dev, nvmeq);
	if (ret)
		return ret;
	ret = adapter_alloc_sq(dev, nvmeq);
	if (ret)
		goto release_cq;
	nvmeq->created = true;
	dev->online_queues++;
	return 0;

release_cq:
	adapter_delete_queue(dev, nvme_admin_delete_cq, nvmeq->qid);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Bring-up                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * nvme_map_cmb - offer the controller memory buffer as P2P memory, as the
 * kernel does: turn the registers on (CMBMSC.CRE), read where it is, tell
 * the controller the bus address it decodes (CMBMSC.CBA, CMSE), add it to
 * P2PDMA and publish it when it can hold read and write data.
 */
static void nvme_map_cmb(struct nvme_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	u32 cmbsz, cmbloc;
	u64 size, offset, bar_size, szu;
	int bar;

	if (NVME_CAP_CMBS(dev->cap))
		nvme_writel(dev, (u32)NVME_CMBMSC_CRE, NVME_REG_CMBMSC);
	cmbsz = nvme_readl(dev, NVME_REG_CMBSZ);
	if (!cmbsz || cmbsz == ~0u)
		return;
	cmbloc = nvme_readl(dev, NVME_REG_CMBLOC);
	szu = 1ULL << (12 + 4 * ((cmbsz >> NVME_CMBSZ_SZU_SHIFT) &
				 NVME_CMBSZ_SZU_MASK));
	size = szu * ((cmbsz >> NVME_CMBSZ_SZ_SHIFT) & NVME_CMBSZ_SZ_MASK);
	offset = szu * NVME_CMB_OFST(cmbloc);
	bar = NVME_CMB_BIR(cmbloc);
	bar_size = pci_resource_len(pdev, bar);
	if (offset > bar_size)
		return;
	if (NVME_CAP_CMBS(dev->cap))
		lo_hi_writeq(dev, NVME_CMBMSC_CRE | NVME_CMBMSC_CMSE |
				  (pci_bus_address(pdev, bar) + offset),
			     NVME_REG_CMBMSC);
	if (size > bar_size - offset)
		size = bar_size - offset;
	if (pci_p2pdma_add_resource(pdev, bar, size, offset)) {
		dev_warn(dev->dev, "failed to register the CMB\n");
		return;
	}
	dev->cmb_size = size;
	if ((cmbsz & (NVME_CMBSZ_WDS | NVME_CMBSZ_RDS)) ==
	    (NVME_CMBSZ_WDS | NVME_CMBSZ_RDS)) {
		pci_p2pmem_publish(pdev, true);
		dev->cmb_published = true;
	}
}

static int nvme_pci_configure_admin_queue(struct nvme_dev *dev)
{
	struct nvme_queue *nvmeq;
	u32 aqa, cc;
	int ret;

	/* a controller left enabled (by firmware, a previous driver) first */
	ret = nvme_disable_ctrl(dev, false);
	if (ret)
		return ret;
	ret = nvme_alloc_queue(dev, 0, NVME_AQ_DEPTH);
	if (ret)
		return ret;
	nvmeq = &dev->queues[0];
	aqa = (nvmeq->q_depth - 1) | ((u32)(nvmeq->q_depth - 1) << 16);
	nvme_writel(dev, aqa, NVME_REG_AQA);
	lo_hi_writeq(dev, nvmeq->sq_dma, NVME_REG_ASQ);
	lo_hi_writeq(dev, nvmeq->cq_dma, NVME_REG_ACQ);
	cc = NVME_CC_CSS_NVM | ((NVME_CTRL_PAGE_SHIFT - 12) << NVME_CC_MPS_SHIFT) |
	     NVME_CC_IOSQES | NVME_CC_IOCQES;
	nvme_writel(dev, cc, NVME_REG_CC);
	nvme_writel(dev, cc | NVME_CC_ENABLE, NVME_REG_CC);
	ret = nvme_wait_ready(dev, NVME_CSTS_RDY, NVME_CSTS_RDY);
	if (ret)
		return ret;
	nvmeq->created = true;
	dev->online_queues = 1;
	return 0;
}

static u16 get_le16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static u32 get_le32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 get_le64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

static int nvme_identify(struct nvme_dev *dev, u8 cns, u32 nsid, u8 *id,
			 dma_addr_t id_dma)
{
	struct nvme_command c = {
		.opcode = nvme_admin_identify,
		.nsid = nsid,
		.dptr.prp1 = id_dma,
		.cdw10 = cns,
	};

	memset(id, 0, NVME_IDENTIFY_DATA_SIZE);
	return nvme_submit_sync_cmd(dev, &c, NULL, NULL);
}

static int nvme_identify_all(struct nvme_dev *dev)
{
	dma_addr_t id_dma;
	u8 *id;
	int ret;
	u8 mdts;

	id = dma_alloc_coherent(dev->dev, NVME_IDENTIFY_DATA_SIZE, &id_dma,
				GFP_KERNEL);
	if (!id)
		return -ENOMEM;
	ret = nvme_identify(dev, NVME_ID_CNS_CTRL, 0, id, id_dma);
	if (ret)
		goto free_id;
	dev->vid = get_le16(id);
	memcpy(dev->mn, id + 24, 40);
	dev->mn[40] = '\0';
	for (int i = 39; i >= 0 && dev->mn[i] == ' '; i--)
		dev->mn[i] = '\0';
	mdts = id[77];
	dev->max_hw_bytes = mdts ? (u32)min((u64)NVME_CTRL_PAGE_SIZE <<
					    (mdts + NVME_CAP_MPSMIN(dev->cap)),
					    (u64)UINT32_MAX) : 0;
	dev->nn = get_le32(id + 516);
	dev->sgls = get_le32(id + 536);

	ret = nvme_identify(dev, NVME_ID_CNS_NS, 1, id, id_dma);
	if (ret)
		goto free_id;
	dev->nsze = get_le64(id);
	dev->lba_shift = (get_le32(id + 128 + 4 * (id[26] & 0xf)) >> 16) & 0xff;
	if (dev->lba_shift < 9 || dev->lba_shift > 16)
		ret = -EIO;
free_id:
	dma_free_coherent(dev->dev, NVME_IDENTIFY_DATA_SIZE, id, id_dma);
	return ret;
}

/* Set Features, Number of Queues: how many I/O queues the controller gives. */
static int nvme_set_queue_count(struct nvme_dev *dev, unsigned int *count)
{
	u32 q = *count - 1, result = 0;
	struct nvme_command c = {
		.opcode = nvme_admin_set_features,
		.cdw10 = NVME_FEAT_NUM_QUEUES,
		.cdw11 = q | (q << 16),
	};
	int ret;

	ret = nvme_submit_sync_cmd(dev, &c, &result, NULL);
	if (ret)
		return ret;
	u32 given = (result & 0xffff) < (result >> 16) ? (result & 0xffff) :
						       (result >> 16);

	*count = min(*count, given + 1);
	return 0;
}

static bool nvme_ctrl_sgl_supported(struct nvme_dev *dev)
{
	return dev->sgls & NVME_CTRL_SGLS_MASK;
}

static void nvme_setup_limits(struct nvme_dev *dev)
{
	struct queue_limits *lim = &dev->rq_queue.limits;

	blk_set_default_limits(lim);
	lim->max_segment_size = UINT32_MAX;
	lim->max_segments = NVME_MAX_SEGS;
	/*
	 * PRPs describe page-aligned pieces: without SGLs no request may have
	 * a gap inside a controller page. With SGLs such requests are sent
	 * as SGLs (nvme_pci_use_sgls()).
	 */
	lim->virt_boundary_mask = nvme_ctrl_sgl_supported(dev) ?
				  0 : NVME_CTRL_PAGE_SIZE - 1;
	lim->dma_alignment = 3;
}

static void nvme_teardown(struct nvme_dev *dev)
{
	for (unsigned int i = dev->nr_queues; i-- > 0;)
		nvme_free_queue(dev, &dev->queues[i]);
	if (dev->pool_small)
		dma_pool_destroy(dev->pool_small);
	if (dev->pool_large)
		dma_pool_destroy(dev->pool_large);
	kfree(dev->queues);
	/* unbound */
	dev->pdev->dev.driver_name = dev->unbound_name;
	pci_iounmap(dev->pdev, dev->bar);
	kfree(dev);
}

/**
 * nvme_probe - bring up the NVMe controller of @pdev
 * @pdev: a function with an NVMe controller
 * @opts: queue count/depth, mapping API, SGL threshold; NULL for defaults
 * @out: the driver state on success, owned by the caller
 *
 * As nvme_probe() and nvme_reset_work(): enable memory and bus mastering,
 * a 64-bit DMA mask and 4K segment alignment, map the CMB, reset and
 * enable the controller with the admin queue, Identify, set the number of
 * queues, create the I/O queue pairs, create the descriptor pools.
 *
 * Return: 0, -ENODEV (no controller answers or it does not become ready),
 * -EIO (an admin command failed), -ENOMEM. On failure the controller is
 * disabled and nothing stays allocated.
 */
static int __nvme_probe(struct pci_dev *pdev, const struct nvme_probe_opts *opts,
			struct nvme_dev **out)
{
	struct nvme_probe_opts o = opts ? *opts : (struct nvme_probe_opts){ 0 };
	struct nvme_dev *dev;
	unsigned int nr_io, q;
	int ret;

	if (!pdev || !out || o.api > NVME_DMA_API_SG)
		return -EINVAL;
	if (!pci_resource_len(pdev, 0))
		return -ENODEV;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->pdev = pdev;
	dev->dev = &pdev->dev;
	dev->bar = pci_iomap(pdev, 0, 0);
	if (!dev->bar) {
		kfree(dev);
		return -ENOMEM;
	}
	atomic_set(&dev->api, (int)o.api);
	dev->sgl_threshold = o.sgl_threshold_set || o.sgl_threshold ?
			     o.sgl_threshold : NVME_DEFAULT_SGL_THRESHOLD;

	/* bound: reports name the device by its driver, until it goes */
	dev->unbound_name = pdev->dev.driver_name;
	pdev->dev.driver_name = "nvme";
	pci_enable_device_mem(pdev);
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(dev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto free_dev;
	dma_set_max_seg_size(dev->dev, 0xffffffff);
	/* bounce buffers keep the offset within a controller page (PRPs) */
	dma_set_min_align_mask(dev->dev, NVME_CTRL_PAGE_SIZE - 1);

	dev->cap = lo_hi_readq(dev, NVME_REG_CAP);
	if (dev->cap == ~0ULL || !dev->cap ||
	    !(NVME_CAP_CSS(dev->cap) & NVME_CAP_CSS_NVM)) {
		ret = -ENODEV;
		goto free_dev;
	}
	if (NVME_CAP_MPSMIN(dev->cap) > NVME_CTRL_PAGE_SHIFT - 12) {
		ret = -ENODEV;
		goto free_dev;
	}
	dev->db_stride = 1u << NVME_CAP_STRIDE(dev->cap);
	dev->q_depth = min((u32)NVME_CAP_MQES(dev->cap) + 1,
			   o.io_queue_depth ? o.io_queue_depth : 1024u);
	if (dev->q_depth < 2) {
		ret = -EINVAL;
		goto free_dev;
	}
	nr_io = o.nr_io_queues ? o.nr_io_queues : 1;
	dev->queues = kcalloc(nr_io + 1, sizeof(*dev->queues), GFP_KERNEL);
	if (!dev->queues) {
		ret = -ENOMEM;
		goto free_dev;
	}

	if (!o.no_cmb)
		nvme_map_cmb(dev);
	ret = nvme_pci_configure_admin_queue(dev);
	if (ret)
		goto disable;
	ret = nvme_identify_all(dev);
	if (ret)
		goto disable;
	if (dev->nn < 1 || !dev->nsze) {
		ret = -ENODEV;
		goto disable;
	}
	ret = nvme_set_queue_count(dev, &nr_io);
	if (ret)
		goto disable;

	dev->pool_large = dma_pool_create("nvme descriptor page", dev->dev,
					  NVME_CTRL_PAGE_SIZE,
					  NVME_CTRL_PAGE_SIZE, 0);
	dev->pool_small = dma_pool_create("nvme descriptor small", dev->dev,
					  NVME_SMALL_POOL_SIZE,
					  NVME_SMALL_POOL_SIZE, 0);
	if (!dev->pool_large || !dev->pool_small) {
		ret = -ENOMEM;
		goto disable;
	}
	for (q = 1; q <= nr_io; q++) {
		ret = nvme_alloc_queue(dev, q, (u16)min(dev->q_depth, 65535u));
		if (ret)
			goto delete_queues;
		ret = nvme_create_queue(dev, &dev->queues[q]);
		if (ret)
			goto delete_queues;
	}
	nvme_setup_limits(dev);
	*out = dev;
	return 0;

delete_queues:
	for (unsigned int i = dev->nr_queues; i-- > 1;) {
		if (!dev->queues[i].created)
			continue;
		adapter_delete_queue(dev, nvme_admin_delete_sq, (u16)i);
		adapter_delete_queue(dev, nvme_admin_delete_cq, (u16)i);
	}
disable:
	nvme_disable_ctrl(dev, false);
	if (ret == -EIO && READ_ONCE(dev->dead))
		ret = -ENODEV;
	nvme_teardown(dev);
	return ret;
free_dev:
	pdev->dev.driver_name = dev->unbound_name;
	pci_iounmap(pdev, dev->bar);
	kfree(dev);
	return ret;
}

/**
 * nvme_remove - tear down what nvme_probe() built
 * @dev: the driver state; freed
 *
 * Deletes the I/O queues (SQ before CQ), shuts the controller down and
 * disables it, frees the queues and the descriptor pools. The caller must
 * have waited for every request. The CMB stays P2P memory of the function
 * (the kernel's devm resource lives as long as the device).
 */
static void __nvme_remove(struct nvme_dev *dev)
{
	if (!dev)
		return;
	for (unsigned int i = dev->nr_queues; i-- > 1;) {
		if (!dev->queues[i].created || READ_ONCE(dev->dead))
			continue;
		adapter_delete_queue(dev, nvme_admin_delete_sq, (u16)i);
		adapter_delete_queue(dev, nvme_admin_delete_cq, (u16)i);
	}
	nvme_disable_ctrl(dev, true);
	if (dev->cmb_published)
		pci_p2pmem_publish(dev->pdev, false);
	nvme_teardown(dev);
}

/* ------------------------------------------------------------------------ */
/* Data mapping                                                             */
/* ------------------------------------------------------------------------ */

enum nvme_use_sgl {
	SGL_UNSUPPORTED,
	SGL_SUPPORTED,
	SGL_FORCED,
};

/*
 * I/O queues use SGLs when the controller has them; a request whose
 * segments leave gaps inside a controller page cannot be described by
 * PRPs at all and must use them.
 */
static enum nvme_use_sgl nvme_pci_use_sgls(struct nvme_dev *dev,
					   struct nvme_queue *nvmeq,
					   struct request *req)
{
	if (nvmeq->qid && nvme_ctrl_sgl_supported(dev)) {
		if (req_phys_gap_mask(req) & (NVME_CTRL_PAGE_SIZE - 1))
			return SGL_FORCED;
		return SGL_SUPPORTED;
	}
	return SGL_UNSUPPORTED;
}

static unsigned int nvme_pci_avg_seg_size(struct request *req)
{
	return DIV_ROUND_UP(blk_rq_payload_bytes(req),
			    blk_rq_nr_phys_segments(req));
}

static struct dma_pool *nvme_dma_pool(struct nvme_dev *dev, struct nvme_iod *iod)
{
	return iod->flags & IOD_SMALL_DESCRIPTOR ? dev->pool_small :
						   dev->pool_large;
}

static void *nvme_alloc_descriptor(struct nvme_dev *dev, struct nvme_iod *iod,
				   struct dma_pool *pool, dma_addr_t *dma)
{
	void *p;

	if (iod->nr_descriptors == NVME_MAX_NR_DESCRIPTORS)
		return NULL;
	p = dma_pool_alloc(pool, GFP_ATOMIC, dma);
	if (!p)
		return NULL;
	iod->descriptors[iod->nr_descriptors] = p;
	iod->descriptor_dma[iod->nr_descriptors++] = *dma;
	atomic_long_inc(&dev->stats.prp_lists);
	return p;
}

static void nvme_free_descriptors(struct nvme_dev *dev, struct nvme_iod *iod)
{
	/* only a single descriptor can come from the small pool */
	for (unsigned int i = 0; i < iod->nr_descriptors; i++)
		dma_pool_free(i ? dev->pool_large : nvme_dma_pool(dev, iod),
			      iod->descriptors[i], iod->descriptor_dma[i]);
	iod->nr_descriptors = 0;
}

static void nvme_record_vec(struct nvme_iod *iod, struct blk_dma_iter *iter)
{
	if (!iod->dma_vecs)
		return;
	iod->dma_vecs[iod->nr_dma_vecs].addr = iter->addr;
	iod->dma_vecs[iod->nr_dma_vecs].len = iter->len;
	iod->nr_dma_vecs++;
}

/* api=phys: map the next bvec with dma_map_phys() (P2P by its map type). */
static bool nvme_phys_iter_next(struct nvme_dev *dev, struct nvme_iod *iod,
				struct blk_dma_iter *iter)
{
	struct request *req = iod->req;
	const struct bio_vec *bv;
	phys_addr_t phys;
	unsigned long attrs = 0;

	iter->status = BLK_STS_OK;
	if (iod->next_bvec == req->nr_bvecs)
		return false;
	bv = &req->bvecs[iod->next_bvec];
	phys = bvec_phys(bv);
	switch (pci_p2pdma_state(&iod->p2p_state, dev->dev, bv->bv_page)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		iter->addr = pci_p2pdma_bus_addr_map(iod->p2p_state.mem, phys);
		iter->len = bv->bv_len;
		iod->p2p_map = PCI_P2PDMA_MAP_BUS_ADDR;
		iod->next_bvec++;
		return true;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		attrs = DMA_ATTR_MMIO;
		iod->p2p_map = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
		break;
	case PCI_P2PDMA_MAP_NONE:
		break;
	default:
		iter->status = BLK_STS_INVAL;
		return false;
	}
	atomic_long_inc(&dev->stats.map_calls);
	iter->addr = dma_map_phys(dev->dev, phys, bv->bv_len, rq_dma_dir(req),
				  attrs);
	if (dma_mapping_error(dev->dev, iter->addr)) {
		iter->status = BLK_STS_RESOURCE;
		return false;
	}
	iter->len = bv->bv_len;
	iod->next_bvec++;
	return true;
}

static bool nvme_sg_iter_next(struct nvme_iod *iod, struct blk_dma_iter *iter)
{
	iter->status = BLK_STS_OK;
	if (!iod->sg_left)
		return false;
	iter->addr = sg_dma_address(iod->next_sg);
	iter->len = sg_dma_len(iod->next_sg);
	iod->next_sg = sg_next(iod->next_sg);
	iod->sg_left--;
	return true;
}

/* api=sg: a scatterlist of the bvecs, mapped in one dma_map_sgtable(). */
static bool nvme_sg_iter_start(struct nvme_dev *dev, struct nvme_iod *iod,
			       struct blk_dma_iter *iter)
{
	struct request *req = iod->req;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	if (sg_alloc_table(&iod->sgt, req->nr_bvecs, GFP_ATOMIC)) {
		iter->status = BLK_STS_RESOURCE;
		return false;
	}
	for_each_sgtable_sg(&iod->sgt, sg, i)
		sg_set_page(sg, req->bvecs[i].bv_page, req->bvecs[i].bv_len,
			    req->bvecs[i].bv_offset);
	atomic_long_inc(&dev->stats.map_calls);
	ret = dma_map_sgtable(dev->dev, &iod->sgt, rq_dma_dir(req), 0);
	if (ret) {
		sg_free_table(&iod->sgt);
		iter->status = ret == -ENOMEM ? BLK_STS_RESOURCE : BLK_STS_INVAL;
		return false;
	}
	iod->next_sg = iod->sgt.sgl;
	iod->sg_left = iod->sgt.nents;
	return nvme_sg_iter_next(iod, iter);
}

/* The next DMA segment of the request, whichever API maps it. */
static bool nvme_iter_next(struct nvme_dev *dev, struct nvme_iod *iod,
			   struct blk_dma_iter *iter)
{
	switch (iod->api) {
	case NVME_DMA_API_PHYS:
		return nvme_phys_iter_next(dev, iod, iter);
	case NVME_DMA_API_SG:
		return nvme_sg_iter_next(iod, iter);
	default:
		if (!blk_rq_dma_map_iter_next(iod->req, dev->dev,
					      &iod->dma_state, iter))
			return false;
		atomic_long_inc(&dev->stats.map_calls);
		return true;
	}
}

/* nvme_pci_prp_iter_next: the next piece, recording it for unmap. */
static bool nvme_pci_prp_iter_next(struct nvme_dev *dev, struct nvme_iod *iod,
				   struct blk_dma_iter *iter)
{
	if (iter->len)
		return true;
	if (!nvme_iter_next(dev, iod, iter))
		return false;
	nvme_record_vec(iod, iter);
	return true;
}

static blk_status_t nvme_pci_setup_data_prp(struct nvme_dev *dev,
					    struct nvme_iod *iod,
					    struct blk_dma_iter *iter)
{
	struct request *req = iod->req;
	unsigned int length = blk_rq_payload_bytes(req);
	dma_addr_t prp1_dma, prp2_dma = 0;
	unsigned int prp_len, i;
	u64 *prp_list;

	/*
	 * PRP1 always points to the start of the DMA transfers; it is the
	 * only PRP (list entries aside) that can start inside a page.
	 */
	prp1_dma = iter->addr;
	prp_len = (unsigned int)min((size_t)length, (size_t)(NVME_CTRL_PAGE_SIZE -
				    (iter->addr & (NVME_CTRL_PAGE_SIZE - 1))));
	iod->total_len += prp_len;
	iter->addr += prp_len;
	iter->len -= prp_len;
	length -= prp_len;
	if (!length)
		goto done;

	if (!nvme_pci_prp_iter_next(dev, iod, iter)) {
		if (!iter->status)
			goto bad_sgl;
		goto done;
	}

	/* PRP2 points at data when PRP1 + PRP2 cover it all, else a list. */
	if (length <= NVME_CTRL_PAGE_SIZE) {
		prp2_dma = iter->addr;
		iod->total_len += length;
		goto done;
	}

	if (DIV_ROUND_UP(length, NVME_CTRL_PAGE_SIZE) <=
	    NVME_SMALL_POOL_SIZE / sizeof(u64))
		iod->flags |= IOD_SMALL_DESCRIPTOR;
	prp_list = nvme_alloc_descriptor(dev, iod, nvme_dma_pool(dev, iod),
					 &prp2_dma);
	if (!prp_list) {
		iter->status = BLK_STS_RESOURCE;
		goto done;
	}

	i = 0;
	for (;;) {
		prp_list[i++] = iter->addr;
		prp_len = min(length, NVME_CTRL_PAGE_SIZE);
		if (iter->len < prp_len)
			goto bad_sgl;
		iod->total_len += prp_len;
		iter->addr += prp_len;
		iter->len -= prp_len;
		length -= prp_len;
		if (!length)
			break;

		if (!nvme_pci_prp_iter_next(dev, iod, iter)) {
			if (!iter->status)
				goto bad_sgl;
			goto done;
		}

		/*
		 * A full list page: chain a new one through the last entry,
		 * which moves to the new page as its first entry.
		 */
		if (i == NVME_CTRL_PAGE_SIZE >> 3) {
			u64 *old_prp_list = prp_list;
			dma_addr_t prp_list_dma;

			prp_list = nvme_alloc_descriptor(dev, iod, dev->pool_large,
							 &prp_list_dma);
			if (!prp_list) {
				iter->status = BLK_STS_RESOURCE;
				goto done;
			}
			prp_list[0] = old_prp_list[i - 1];
			old_prp_list[i - 1] = prp_list_dma;
			i = 1;
		}
	}
done:
	/* nvme_unmap_data() looks at the data pointer: set it even on failure */
	iod->cmd.dptr.prp1 = prp1_dma;
	iod->cmd.dptr.prp2 = prp2_dma;
	return iter->status;

bad_sgl:
	WARN(1, "%s: Incorrectly formed request for payload:%u nents:%u\n",
	     dev_name(dev->dev), blk_rq_payload_bytes(req),
	     blk_rq_nr_phys_segments(req));
	iod->cmd.dptr.prp1 = prp1_dma;
	iod->cmd.dptr.prp2 = prp2_dma;
	iter->status = BLK_STS_IOERR;
	return BLK_STS_IOERR;
}

static void nvme_pci_sgl_set_data(struct nvme_sgl_desc *sge,
				  struct blk_dma_iter *iter)
{
	sge->addr = iter->addr;
	sge->length = (u32)iter->len;
	sge->type = NVME_SGL_FMT_DATA_DESC << 4;
}

static void nvme_pci_sgl_set_seg(struct nvme_sgl_desc *sge, dma_addr_t dma_addr,
				 unsigned int entries)
{
	sge->addr = dma_addr;
	sge->length = entries * (u32)sizeof(*sge);
	sge->type = NVME_SGL_FMT_LAST_SEG_DESC << 4;
}

static blk_status_t nvme_pci_setup_data_sgl(struct nvme_dev *dev,
					    struct nvme_iod *iod,
					    struct blk_dma_iter *iter)
{
	struct request *req = iod->req;
	unsigned int entries = blk_rq_nr_phys_segments(req), mapped = 0;
	struct nvme_sgl_desc *sg_list;
	dma_addr_t sgl_dma;

	/* the api=phys and api=sg paths have their own segment counts */
	if (iod->api == NVME_DMA_API_PHYS)
		entries = req->nr_bvecs;
	else if (iod->api == NVME_DMA_API_SG)
		entries = iod->sg_left + 1;

	iod->cmd.flags = NVME_CMD_SGL_METABUF;
	atomic_long_inc(&dev->stats.sgl_cmds);
	if (entries == 1 || blk_rq_dma_map_coalesce(&iod->dma_state)) {
		nvme_pci_sgl_set_data(&iod->cmd.dptr.sgl, iter);
		iod->total_len += iter->len;
		return BLK_STS_OK;
	}
	if (entries > NVME_MAX_SEGS) {
		iter->status = BLK_STS_INVAL;
		return iter->status;
	}
	if (entries <= NVME_SMALL_POOL_SIZE / sizeof(*sg_list))
		iod->flags |= IOD_SMALL_DESCRIPTOR;
	sg_list = nvme_alloc_descriptor(dev, iod, nvme_dma_pool(dev, iod),
					&sgl_dma);
	if (!sg_list) {
		iter->status = BLK_STS_RESOURCE;
		return iter->status;
	}
	for (;;) {
		if (mapped == entries) {
			iter->status = BLK_STS_IOERR;
			break;
		}
		nvme_pci_sgl_set_data(&sg_list[mapped++], iter);
		iod->total_len += iter->len;
		if (!nvme_iter_next(dev, iod, iter))
			break;
		nvme_record_vec(iod, iter);
	}
	nvme_pci_sgl_set_seg(&iod->cmd.dptr.sgl, sgl_dma, mapped);
	return iter->status;
}

/*
 * The single-segment fast path (nvme_setup_prp_simple and
 * nvme_setup_sgl_simple): one dma_map_phys(), no iterator, no descriptor.
 * Returns BLK_STS_OK with @handled set, or leaves the request to the
 * general path.
 */
static blk_status_t nvme_map_simple(struct nvme_dev *dev, struct nvme_queue *nvmeq,
				    struct nvme_iod *iod, bool *handled)
{
	struct request *req = iod->req;
	const struct bio_vec *bv = &req->bvecs[0];
	unsigned int offset = bv->bv_offset & (NVME_CTRL_PAGE_SIZE - 1);
	bool prp;
	dma_addr_t dma;

	*handled = false;
	if (req->nr_bvecs != 1 || blk_rq_nr_phys_segments(req) != 1 ||
	    is_pci_p2pdma_page(bv->bv_page) || iod->api == NVME_DMA_API_SG)
		return BLK_STS_OK;
	prp = offset + bv->bv_len <= NVME_CTRL_PAGE_SIZE * 2;
	if (!prp && !(nvmeq->qid && dev->sgl_threshold &&
		      nvme_ctrl_sgl_supported(dev)))
		return BLK_STS_OK;

	*handled = true;
	atomic_long_inc(&dev->stats.map_calls);
	dma = dma_map_phys(dev->dev, bvec_phys(bv), bv->bv_len, rq_dma_dir(req), 0);
	if (dma_mapping_error(dev->dev, dma))
		return BLK_STS_RESOURCE;
	iod->total_len = bv->bv_len;
	iod->flags |= IOD_SINGLE_SEGMENT;
	atomic_long_inc(&dev->stats.simple);
	if (prp) {
		unsigned int first_prp_len = NVME_CTRL_PAGE_SIZE - offset;

		iod->cmd.dptr.prp1 = dma;
		if (bv->bv_len > first_prp_len)
			iod->cmd.dptr.prp2 = dma + first_prp_len;
		return BLK_STS_OK;
	}
	iod->cmd.flags = NVME_CMD_SGL_METABUF;
	iod->cmd.dptr.sgl.addr = dma;
	iod->cmd.dptr.sgl.length = bv->bv_len;
	iod->cmd.dptr.sgl.type = NVME_SGL_FMT_DATA_DESC << 4;
	atomic_long_inc(&dev->stats.sgl_cmds);
	return BLK_STS_OK;
}

/* Unmap every segment recorded one by one (the kernel's nvme_free_prps/sgls). */
static void nvme_unmap_vecs(struct nvme_dev *dev, struct nvme_iod *iod)
{
	unsigned long attrs = iod->p2p_map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ?
			      DMA_ATTR_MMIO : 0;

	for (unsigned int i = 0; i < iod->nr_dma_vecs; i++)
		dma_unmap_phys(dev->dev, iod->dma_vecs[i].addr,
			       iod->dma_vecs[i].len, rq_dma_dir(iod->req), attrs);
	iod->nr_dma_vecs = 0;
}

/**
 * nvme_unmap_data - undo what nvme_map_data() mapped for @iod
 *
 * The fast path's one mapping; an IOVA range or nothing at all
 * (blk_rq_dma_unmap() true); else every recorded segment; the table of
 * api=sg; the descriptors. Safe on a partly mapped request.
 */
static void nvme_unmap_data(struct nvme_dev *dev, struct nvme_iod *iod)
{
	struct request *req = iod->req;

	if (iod->flags & IOD_SINGLE_SEGMENT) {
		dma_unmap_phys(dev->dev, iod->cmd.dptr.prp1, iod->total_len,
			       rq_dma_dir(req), 0);
		iod->flags &= ~IOD_SINGLE_SEGMENT;
		return;
	}
	switch (iod->api) {
	case NVME_DMA_API_SG:
		if (iod->sgt.sgl) {
			dma_unmap_sgtable(dev->dev, &iod->sgt, rq_dma_dir(req), 0);
			sg_free_table(&iod->sgt);
		}
		break;
	case NVME_DMA_API_PHYS:
		if (iod->p2p_map != PCI_P2PDMA_MAP_BUS_ADDR)
			nvme_unmap_vecs(dev, iod);
		break;
	default:
		/*
		 * An IOVA range holds the whole request, also when building
		 * the PRPs failed half way: destroy all of it.
		 */
		if (!blk_rq_dma_unmap(req, dev->dev, &iod->dma_state,
				      dma_use_iova(&iod->dma_state) ?
				      blk_rq_bytes(req) : iod->total_len,
				      iod->p2p_map))
			nvme_unmap_vecs(dev, iod);
		break;
	}
	kfree(iod->dma_vecs);
	iod->dma_vecs = NULL;
	if (iod->nr_descriptors)
		nvme_free_descriptors(dev, iod);
}

/*
 * nvme_map_data - map @iod's request and fill in the command's data
 * pointer. On failure nothing stays mapped or allocated.
 */
static blk_status_t nvme_map_data(struct nvme_dev *dev, struct nvme_queue *nvmeq,
				  struct nvme_iod *iod)
{
	struct request *req = iod->req;
	enum nvme_use_sgl use_sgl = nvme_pci_use_sgls(dev, nvmeq, req);
	struct blk_dma_iter iter = { 0 };
	blk_status_t ret;
	bool handled, ok;

	if (use_sgl != SGL_FORCED) {
		ret = nvme_map_simple(dev, nvmeq, iod, &handled);
		if (handled)
			return ret;
	}
	if (use_sgl == SGL_UNSUPPORTED &&
	    (req_phys_gap_mask(req) & (NVME_CTRL_PAGE_SIZE - 1)))
		return BLK_STS_INVAL;	/* the queue limits forbid it */

	/* segments mapped one by one are remembered for unmap */
	if (iod->api != NVME_DMA_API_SG) {
		iod->dma_vecs = kcalloc(max(req->nr_bvecs,
					    (unsigned int)blk_rq_nr_phys_segments(req)),
					    sizeof(*iod->dma_vecs), GFP_ATOMIC);
		if (!iod->dma_vecs)
			return BLK_STS_RESOURCE;
	}
	iod->p2p_map = PCI_P2PDMA_MAP_NONE;
	switch (iod->api) {
	case NVME_DMA_API_PHYS:
		ok = nvme_phys_iter_next(dev, iod, &iter);
		break;
	case NVME_DMA_API_SG:
		ok = nvme_sg_iter_start(dev, iod, &iter);
		break;
	default:
		ok = blk_rq_dma_map_iter_start(req, dev->dev, &iod->dma_state,
					       &iter);
		if (ok) {
			atomic_long_inc(&dev->stats.map_calls);
			iod->p2p_map = iter.p2pdma.map;
			if (blk_rq_dma_map_coalesce(&iod->dma_state))
				atomic_long_inc(&dev->stats.iova_requests);
		}
		break;
	}
	if (!ok) {
		kfree(iod->dma_vecs);
		iod->dma_vecs = NULL;
		return iter.status ? iter.status : BLK_STS_IOERR;
	}
	/* the IOVA range is unmapped as a whole, not per recorded segment */
	if (iod->api == NVME_DMA_API_IOVA && (blk_rq_dma_map_coalesce(&iod->dma_state) ||
					       (req->cmd_flags & REQ_P2PDMA))) {
		kfree(iod->dma_vecs);
		iod->dma_vecs = NULL;
	}
	nvme_record_vec(iod, &iter);

	if (use_sgl == SGL_FORCED ||
	    (use_sgl == SGL_SUPPORTED && dev->sgl_threshold &&
	     nvme_pci_avg_seg_size(req) >= dev->sgl_threshold))
		ret = nvme_pci_setup_data_sgl(dev, iod, &iter);
	else
		ret = nvme_pci_setup_data_prp(dev, iod, &iter);
	if (ret)
		nvme_unmap_data(dev, iod);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* I/O                                                                      */
/* ------------------------------------------------------------------------ */

static struct nvme_queue *io_queue(struct nvme_dev *dev, unsigned int qid)
{
	if (!dev || !qid || qid >= dev->nr_queues || !dev->queues[qid].created)
		return NULL;
	return &dev->queues[qid];
}

/**
 * nvme_dev_queue - the request queue of @dev's namespace
 *
 * Requests for nvme_submit_rq() are built against it (blk_rq_init()), so
 * that they respect the controller's limits (the virt boundary without
 * SGLs). Owned by @dev.
 */
struct request_queue *nvme_dev_queue(struct nvme_dev *dev)
{
	return &dev->rq_queue;
}

/**
 * nvme_submit_rq - map @req and submit it as a Read or Write at @slba
 * @dev: the controller
 * @qid: an I/O queue, 1..nr_io_queues
 * @req: the request (REQ_OP_READ or REQ_OP_WRITE), owned by the caller
 *	until nvme_wait_rq() returned for the tag
 * @slba: first logical block; the length is blk_rq_bytes() in LBAs
 * @tag: set to the command's tag on success
 *
 * The doorbell runs the controller, so on return the command has usually
 * completed; nvme_wait_rq() reaps it, unmaps the data and returns the
 * outcome. Takes the queue's lock.
 *
 * Return: 0; -EINVAL (bad queue, empty or misaligned request, a request
 * the controller cannot describe), -EBUSY (queue full), -ENODEV (the
 * controller is dead), -ENOMEM (mapping or descriptors failed). On an
 * error nothing stays mapped.
 */
static int __nvme_submit_rq(struct nvme_dev *dev, unsigned int qid,
			    struct request *req, u64 slba, unsigned int *tag)
{
	struct nvme_queue *nvmeq = io_queue(dev, qid);
	unsigned int len = req ? blk_rq_bytes(req) : 0;
	struct nvme_iod *iod;
	blk_status_t sts;
	int t;

	if (!nvmeq || !tag || !len || !dev->lba_shift ||
	    (len & ((1u << dev->lba_shift) - 1)) ||
	    (len >> dev->lba_shift) > 0x10000 ||
	    (dev->max_hw_bytes && len > dev->max_hw_bytes) ||
	    (req_op(req) != REQ_OP_READ && req_op(req) != REQ_OP_WRITE))
		return -EINVAL;
	if (READ_ONCE(dev->dead))
		return -ENODEV;
	mutex_lock(&nvmeq->lock);
	t = nvme_get_tag(nvmeq);
	if (t < 0) {
		mutex_unlock(&nvmeq->lock);
		return t;
	}
	iod = &nvmeq->iods[t];
	memset(iod, 0, sizeof(*iod));
	iod->req = req;
	iod->api = (enum nvme_dma_api)atomic_read(&dev->api);
	iod->cmd.opcode = req_op(req) == REQ_OP_WRITE ? nvme_cmd_write :
							 nvme_cmd_read;
	iod->cmd.nsid = 1;
	iod->cmd.command_id = (u16)t;
	iod->cmd.cdw10 = (u32)slba;
	iod->cmd.cdw11 = (u32)(slba >> 32);
	iod->cmd.cdw12 = (len >> dev->lba_shift) - 1;
	sts = nvme_map_data(dev, nvmeq, iod);
	if (sts) {
		mutex_unlock(&nvmeq->lock);
		atomic_long_inc(&dev->stats.map_failures);
		return blk_status_to_errno(sts);
	}
	iod->busy = iod->inflight = true;
	nvme_sq_submit(nvmeq, &iod->cmd);
	mutex_unlock(&nvmeq->lock);
	*tag = (unsigned int)t;
	return 0;
}

/**
 * nvme_poll - reap the completions waiting on I/O queue @qid
 *
 * Return: the number reaped, or -EINVAL for a bad queue.
 */
static int __nvme_poll(struct nvme_dev *dev, unsigned int qid)
{
	struct nvme_queue *nvmeq = io_queue(dev, qid);
	unsigned int n;

	if (!nvmeq)
		return -EINVAL;
	mutex_lock(&nvmeq->lock);
	n = nvme_process_cq(nvmeq);
	mutex_unlock(&nvmeq->lock);
	return (int)n;
}

/**
 * nvme_wait_rq - wait for command @tag of queue @qid and release the tag
 * @res: if not NULL, the outcome (host error and NVMe status)
 *
 * Polls until the command completed; one that cannot complete any more
 * (the controller stopped) is cancelled with NVME_SC_HOST_ABORTED_CMD.
 * The data is unmapped either way.
 *
 * Return: 0, -EIO (a non-zero status), -EINVAL (no such command).
 */
static int __nvme_wait_rq(struct nvme_dev *dev, unsigned int qid,
			  unsigned int tag, struct nvme_rq_result *res)
{
	struct nvme_queue *nvmeq = io_queue(dev, qid);
	struct nvme_iod *iod;
	int ret;

	if (!nvmeq || tag >= nvmeq->q_depth)
		return -EINVAL;
	mutex_lock(&nvmeq->lock);
	iod = &nvmeq->iods[tag];
	if (!iod->busy || !iod->req) {
		mutex_unlock(&nvmeq->lock);
		return -EINVAL;
	}
	nvme_wait_tag(nvmeq, tag);
	ret = iod->error;
	if (res) {
		res->error = iod->error;
		res->status = iod->status;
	}
	iod->busy = false;
	iod->req = NULL;
	mutex_unlock(&nvmeq->lock);
	return ret;
}

/**
 * nvme_execute_rq - nvme_submit_rq() and nvme_wait_rq() in one
 *
 * Return: as nvme_submit_rq() when the request could not be submitted
 * (@res->error the same), else as nvme_wait_rq().
 */
int nvme_execute_rq(struct nvme_dev *dev, unsigned int qid, struct request *req,
		    u64 slba, struct nvme_rq_result *res)
{
	unsigned int tag;
	int ret;

	ret = nvme_submit_rq(dev, qid, req, slba, &tag);
	if (ret) {
		if (res) {
			res->error = ret;
			res->status = 0;
		}
		return ret;
	}
	return nvme_wait_rq(dev, qid, tag, res);
}

/* ------------------------------------------------------------------------ */
/* Information and statistics                                               */
/* ------------------------------------------------------------------------ */

static const char *const api_names[] = {
	[NVME_DMA_API_IOVA] = "iova",
	[NVME_DMA_API_PHYS] = "phys",
	[NVME_DMA_API_SG] = "sg",
};

int nvme_parse_dma_api(const char *s, enum nvme_dma_api *api)
{
	if (!s || !api)
		return -EINVAL;
	if (!strncmp(s, "api=", 4))
		s += 4;
	for (size_t i = 0; i < ARRAY_SIZE(api_names); i++)
		if (!strcmp(s, api_names[i])) {
			*api = (enum nvme_dma_api)i;
			return 0;
		}
	return -EINVAL;
}

const char *nvme_dma_api_name(enum nvme_dma_api api)
{
	return (unsigned int)api < ARRAY_SIZE(api_names) ? api_names[api] : "?";
}

int nvme_set_dma_api(struct nvme_dev *dev, enum nvme_dma_api api)
{
	if (!dev || (unsigned int)api >= ARRAY_SIZE(api_names))
		return -EINVAL;
	atomic_set(&dev->api, (int)api);
	return 0;
}

enum nvme_dma_api nvme_get_dma_api(struct nvme_dev *dev)
{
	return (enum nvme_dma_api)atomic_read(&dev->api);
}

void nvme_get_info(struct nvme_dev *dev, struct nvme_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->vid = dev->vid;
	memcpy(info->mn, dev->mn, sizeof(info->mn));
	info->nn = dev->nn;
	info->nsze = dev->nsze;
	info->lba_shift = dev->lba_shift;
	info->max_hw_bytes = dev->max_hw_bytes;
	info->sgls = nvme_ctrl_sgl_supported(dev);
	info->nr_io_queues = dev->online_queues ? dev->online_queues - 1 : 0;
	info->q_depth = dev->q_depth;
	info->cmb_size = dev->cmb_size;
	info->cmb_published = dev->cmb_published;
}

void nvme_get_stats(struct nvme_dev *dev, struct nvme_stats *st)
{
	st->commands = (unsigned long)atomic_long_read(&dev->stats.commands);
	st->errors = (unsigned long)atomic_long_read(&dev->stats.errors);
	st->bytes = (u64)atomic64_read(&dev->stats.bytes);
	st->map_calls = (unsigned long)atomic_long_read(&dev->stats.map_calls);
	st->iova_requests = (unsigned long)atomic_long_read(&dev->stats.iova_requests);
	st->simple = (unsigned long)atomic_long_read(&dev->stats.simple);
	st->prp_lists = (unsigned long)atomic_long_read(&dev->stats.prp_lists);
	st->sgl_cmds = (unsigned long)atomic_long_read(&dev->stats.sgl_cmds);
	st->map_failures = (unsigned long)atomic_long_read(&dev->stats.map_failures);
}

void nvme_reset_stats(struct nvme_dev *dev)
{
	atomic_long_set(&dev->stats.commands, 0);
	atomic_long_set(&dev->stats.errors, 0);
	atomic64_set(&dev->stats.bytes, 0);
	atomic_long_set(&dev->stats.map_calls, 0);
	atomic_long_set(&dev->stats.iova_requests, 0);
	atomic_long_set(&dev->stats.simple, 0);
	atomic_long_set(&dev->stats.prp_lists, 0);
	atomic_long_set(&dev->stats.sgl_cmds, 0);
	atomic_long_set(&dev->stats.map_failures, 0);
}

/* ------------------------------------------------------------------------ */
/* Entry from programs                                                      */
/* ------------------------------------------------------------------------ */

/*
 * The calls above are kernel code; a program calling the driver is like a
 * system call entering the kernel: it runs on the device's machine, so the
 * MMIO accessors and the allocators act on it whatever thread calls.
 */
static struct sim_machine *nvme_enter(struct pci_dev *pdev)
{
	return sim_set_current_machine(pdev->dev.sim);
}

static void nvme_leave(struct sim_machine *prev)
{
	sim_set_current_machine(prev);
}

int nvme_probe(struct pci_dev *pdev, const struct nvme_probe_opts *opts,
	       struct nvme_dev **out)
{
	struct sim_machine *prev;
	int ret;

	if (!pdev || !pdev->dev.sim)
		return -EINVAL;
	prev = nvme_enter(pdev);
	ret = __nvme_probe(pdev, opts, out);
	nvme_leave(prev);
	return ret;
}

void nvme_remove(struct nvme_dev *dev)
{
	struct sim_machine *prev;

	if (!dev)
		return;
	prev = nvme_enter(dev->pdev);
	__nvme_remove(dev);
	nvme_leave(prev);
}

int nvme_submit_rq(struct nvme_dev *dev, unsigned int qid, struct request *req,
		   u64 slba, unsigned int *tag)
{
	struct sim_machine *prev;
	int ret;

	if (!dev)
		return -EINVAL;
	prev = nvme_enter(dev->pdev);
	ret = __nvme_submit_rq(dev, qid, req, slba, tag);
	nvme_leave(prev);
	return ret;
}

int nvme_poll(struct nvme_dev *dev, unsigned int qid)
{
	struct sim_machine *prev;
	int ret;

	if (!dev)
		return -EINVAL;
	prev = nvme_enter(dev->pdev);
	ret = __nvme_poll(dev, qid);
	nvme_leave(prev);
	return ret;
}

int nvme_wait_rq(struct nvme_dev *dev, unsigned int qid, unsigned int tag,
		 struct nvme_rq_result *res)
{
	struct sim_machine *prev;
	int ret;

	if (!dev)
		return -EINVAL;
	prev = nvme_enter(dev->pdev);
	ret = __nvme_wait_rq(dev, qid, tag, res);
	nvme_leave(prev);
	return ret;
}
