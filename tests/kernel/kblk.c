// SPDX-License-Identifier: MIT
/*
 * A kernel-style block driver: a RAM disk whose media sits in coherent
 * memory and which moves every request's data with the descriptor-chain
 * DMA engine. The driver is blk-mq's: a tag set whose pdu holds the
 * command's mapping and its descriptor chain, ->queue_rq() mapping the
 * request with the block DMA iterator (one IOVA range behind an IOMMU
 * when the segments allow it, dma_map_phys() per segment otherwise), the
 * MSI-X handler completing the request, ->complete() unmapping it.
 *
 * Probe exercises it with passthrough requests the ways kernel callers
 * make them: blk_rq_map_kern() of kmalloc()ed memory (mapped in place), of
 * a misaligned buffer and of vmalloc() memory (both bounced), and
 * requests of the driver's own bios of scattered pages appended with
 * blk_rq_append_bio(); every byte read back is checked.
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/interrupt.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/spinlock.h>
#include <linux/dma-mapping.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/blk-mq-dma.h>

#define KBLK_VENDOR		0x8086
#define KBLK_DEVICE		0x0b25

#define REG_ID			0x000
#define  ENGINE_ID		0x10a70001u
#define REG_CHAINADDR		0x008
#define REG_CMPLADDR		0x010
#define REG_CMD			0x018
#define  CMD_START		1
#define REG_STS			0x01c
#define  STS_DONE		2

struct kblk_desc {
	u32 size;
	u32 ctl;
#define CTL_INT			0x1
	u64 src;
	u64 dst;
	u64 next;
	u64 rsvd[4];
};

#define KBLK_MEDIA		(256 * 1024)
#define KBLK_MAX_SEGS		32
#define KBLK_DEPTH		2

/* The pdu: what a command needs from queue_rq to its completion. */
struct kblk_cmd {
	u64 offset;			/* media byte offset, the submitter's */
	struct dma_iova_state state;
	enum pci_p2pdma_map_type map;
	size_t mapped_len;
	unsigned int nr_segs;
	dma_addr_t seg_addr[KBLK_MAX_SEGS];
	u32 seg_len[KBLK_MAX_SEGS];
	struct kblk_desc *chain;	/* coherent, KBLK_MAX_SEGS entries */
	dma_addr_t chain_dma;
};

struct kblk {
	struct pci_dev *pdev;
	void __iomem *regs;
	int irq;
	u8 *media;
	dma_addr_t media_dma;
	u64 *record;
	dma_addr_t record_dma;
	spinlock_t lock;
	struct request *active;		/* under @lock: the engine runs one */
	struct blk_mq_tag_set set;
	struct request_queue *q;
	unsigned int requests, bytes;
};

static int kblk_init_request(struct blk_mq_tag_set *set, struct request *rq,
			     unsigned int hctx_idx, unsigned int numa_node)
{
	struct kblk *k = set->driver_data;
	struct kblk_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->chain = dma_alloc_coherent(&k->pdev->dev,
					KBLK_MAX_SEGS * sizeof(*cmd->chain),
					&cmd->chain_dma, GFP_KERNEL);
	return cmd->chain ? 0 : -ENOMEM;
}

static void kblk_exit_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx)
{
	struct kblk *k = set->driver_data;
	struct kblk_cmd *cmd = blk_mq_rq_to_pdu(rq);

	dma_free_coherent(&k->pdev->dev, KBLK_MAX_SEGS * sizeof(*cmd->chain),
			  cmd->chain, cmd->chain_dma);
}

static int kblk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			  unsigned int idx)
{
	hctx->driver_data = data;
	return 0;
}

/* Undo what kblk_map() mapped: the IOVA range, or each segment. */
static void kblk_unmap(struct kblk *k, struct request *rq)
{
	struct kblk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct device *dev = &k->pdev->dev;
	unsigned long attrs = cmd->map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ?
			      DMA_ATTR_MMIO : 0;

	if (blk_rq_dma_unmap(rq, dev, &cmd->state, cmd->mapped_len, cmd->map))
		return;
	for (unsigned int i = 0; i < cmd->nr_segs; i++)
		dma_unmap_phys(dev, cmd->seg_addr[i], cmd->seg_len[i],
			       rq_dma_dir(rq), attrs);
}

/* Map @rq and build its descriptor chain; a blk_status_t. */
static blk_status_t kblk_map(struct kblk *k, struct request *rq)
{
	struct kblk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct device *dev = &k->pdev->dev;
	bool write = rq_data_dir(rq);
	struct blk_dma_iter iter;
	u64 off = cmd->offset;

	cmd->nr_segs = 0;
	cmd->mapped_len = 0;
	if (!blk_rq_dma_map_iter_start(rq, dev, &cmd->state, &iter))
		return iter.status ? iter.status : BLK_STS_IOERR;
	cmd->map = iter.p2pdma.map;
	do {
		struct kblk_desc *d = &cmd->chain[cmd->nr_segs];

		if (cmd->nr_segs == KBLK_MAX_SEGS) {
			/* the segment just mapped is ours to undo too */
			cmd->nr_segs++;
			iter.status = BLK_STS_RESOURCE;
			break;
		}
		cmd->seg_addr[cmd->nr_segs] = iter.addr;
		cmd->seg_len[cmd->nr_segs] = (u32)iter.len;
		*d = (struct kblk_desc){
			.size = (u32)iter.len,
			.src = write ? iter.addr : k->media_dma + off,
			.dst = write ? k->media_dma + off : iter.addr,
			.next = cmd->chain_dma +
				(cmd->nr_segs + 1) * sizeof(*d),
		};
		off += iter.len;
		cmd->mapped_len += iter.len;
		cmd->nr_segs++;
	} while (blk_rq_dma_map_iter_next(rq, dev, &cmd->state, &iter));

	if (iter.status) {
		if (cmd->nr_segs > KBLK_MAX_SEGS)
			dma_unmap_phys(dev, iter.addr, iter.len, rq_dma_dir(rq), 0);
		cmd->nr_segs = min(cmd->nr_segs, (unsigned int)KBLK_MAX_SEGS);
		kblk_unmap(k, rq);
		return iter.status;
	}
	cmd->chain[cmd->nr_segs - 1].next = 0;
	cmd->chain[cmd->nr_segs - 1].ctl = CTL_INT;
	return BLK_STS_OK;
}

static blk_status_t kblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				  const struct blk_mq_queue_data *bd)
{
	struct kblk *k = hctx->driver_data;
	struct request *rq = bd->rq;
	struct kblk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	unsigned long flags;
	blk_status_t sts;

	if (cmd->offset > KBLK_MEDIA || blk_rq_bytes(rq) > KBLK_MEDIA - cmd->offset)
		return BLK_STS_IOERR;
	spin_lock_irqsave(&k->lock, flags);
	if (k->active) {
		spin_unlock_irqrestore(&k->lock, flags);
		return BLK_STS_DEV_RESOURCE;
	}
	k->active = rq;
	spin_unlock_irqrestore(&k->lock, flags);

	blk_mq_start_request(rq);
	sts = kblk_map(k, rq);
	if (sts) {
		spin_lock_irqsave(&k->lock, flags);
		k->active = NULL;
		spin_unlock_irqrestore(&k->lock, flags);
		return sts;
	}
	writeq(cmd->chain_dma, k->regs + REG_CHAINADDR);
	writeq(k->record_dma, k->regs + REG_CMPLADDR);
	writel(CMD_START, k->regs + REG_CMD);
	return BLK_STS_OK;
}

static void kblk_complete(struct request *rq)
{
	struct kblk *k = rq->q->queuedata;

	kblk_unmap(k, rq);
	if (readl(k->regs + REG_STS) != STS_DONE) {
		dev_err(&k->pdev->dev, "engine status %u", readl(k->regs + REG_STS));
		blk_mq_end_request(rq, BLK_STS_IOERR);
		return;
	}
	k->requests++;
	k->bytes += blk_rq_bytes(rq);
	blk_mq_end_request(rq, BLK_STS_OK);
}

static irqreturn_t kblk_irq(int irq, void *data)
{
	struct kblk *k = data;
	struct request *rq;
	unsigned long flags;

	spin_lock_irqsave(&k->lock, flags);
	rq = k->active;
	k->active = NULL;
	spin_unlock_irqrestore(&k->lock, flags);
	if (!rq)
		return IRQ_NONE;
	blk_mq_complete_request(rq);
	return IRQ_HANDLED;
}

static const struct blk_mq_ops kblk_mq_ops = {
	.queue_rq = kblk_queue_rq,
	.complete = kblk_complete,
	.init_hctx = kblk_init_hctx,
	.init_request = kblk_init_request,
	.exit_request = kblk_exit_request,
};

/* One passthrough request over kernel memory; 0 or -errno. */
static int kblk_rw_kern(struct kblk *k, bool write, void *buf,
			unsigned int len, u64 offset)
{
	struct request *rq;
	blk_status_t sts;
	int ret;

	rq = blk_mq_alloc_request(k->q, write ? REQ_OP_DRV_OUT : REQ_OP_DRV_IN, 0);
	if (IS_ERR(rq))
		return PTR_ERR(rq);
	((struct kblk_cmd *)blk_mq_rq_to_pdu(rq))->offset = offset;
	ret = blk_rq_map_kern(rq, buf, len, GFP_KERNEL);
	if (ret) {
		blk_mq_free_request(rq);
		return ret;
	}
	sts = blk_execute_rq(rq, false);
	blk_mq_free_request(rq);
	return blk_status_to_errno(sts);
}

static u8 pattern(unsigned int i, unsigned int seed)
{
	return (u8)(i * 31 + seed * 7 + 1);
}

static int kblk_check(struct kblk *k, const u8 *buf, unsigned int len,
		      unsigned int seed, const char *what)
{
	for (unsigned int i = 0; i < len; i++)
		if (buf[i] != pattern(i, seed)) {
			dev_err(&k->pdev->dev, "%s: byte %u is %#x, not %#x",
				what, i, buf[i], pattern(i, seed));
			return -EIO;
		}
	return 0;
}

/* kmalloc()ed memory in place, then a misaligned and a vmalloc() bounce. */
static int kblk_test_kern(struct kblk *k)
{
	const unsigned int len = 3 * PAGE_SIZE;
	u8 *a = kmalloc(len, GFP_KERNEL), *b = kzalloc(len + 1, GFP_KERNEL);
	u8 *v = vmalloc(len);
	int ret = -ENOMEM;

	if (!a || !b || !v)
		goto out;
	for (unsigned int i = 0; i < len; i++) {
		a[i] = pattern(i, 1);
		v[i] = pattern(i, 2);
	}
	ret = kblk_rw_kern(k, true, a, len, 0);
	if (!ret)
		ret = kblk_rw_kern(k, false, b + 1, len, 0);
	if (!ret)
		ret = kblk_check(k, b + 1, len, 1, "misaligned read");
	if (!ret)
		ret = kblk_rw_kern(k, true, v, len, 64 * 1024);
	if (!ret) {
		memset(a, 0, len);
		ret = kblk_rw_kern(k, false, a, len, 64 * 1024);
	}
	if (!ret)
		ret = kblk_check(k, a, len, 2, "vmalloc write, in-place read");
out:
	vfree(v);
	kfree(b);
	kfree(a);
	return ret;
}

/*
 * Two bios of order-0 pages, appended to one request: written, read back
 * into other pages, compared. The pages are whatever the allocator gives,
 * so segments merge only when they happen to be contiguous.
 */
#define KBLK_BIO_PAGES		4

static int kblk_test_bios(struct kblk *k)
{
	struct page *wp[2 * KBLK_BIO_PAGES] = { NULL }, *rp[2 * KBLK_BIO_PAGES] = { NULL };
	struct bio *wb[2] = { NULL }, *rb[2] = { NULL };
	struct req_iterator it;
	struct bio_vec bv;
	struct request *rq = NULL;
	unsigned int n = 0, i;
	int ret = -ENOMEM;

	for (i = 0; i < 2 * KBLK_BIO_PAGES; i++) {
		wp[i] = alloc_page(GFP_KERNEL);
		rp[i] = alloc_page(GFP_KERNEL);
		if (!wp[i] || !rp[i])
			goto out;
		for (unsigned int j = 0; j < PAGE_SIZE; j++)
			((u8 *)page_address(wp[i]))[j] = pattern(i * PAGE_SIZE + j, 3);
	}
	for (i = 0; i < 2; i++) {
		wb[i] = bio_alloc(NULL, KBLK_BIO_PAGES, REQ_OP_DRV_OUT, GFP_KERNEL);
		rb[i] = bio_alloc(NULL, KBLK_BIO_PAGES, REQ_OP_DRV_IN, GFP_KERNEL);
		if (!wb[i] || !rb[i])
			goto out;
		for (unsigned int j = 0; j < KBLK_BIO_PAGES; j++)
			if (bio_add_page(wb[i], wp[i * KBLK_BIO_PAGES + j], PAGE_SIZE, 0) != PAGE_SIZE ||
			    bio_add_page(rb[i], rp[i * KBLK_BIO_PAGES + j], PAGE_SIZE, 0) != PAGE_SIZE)
				goto out;
	}

	for (int pass = 0; pass < 2; pass++) {
		struct bio **bios = pass ? rb : wb;

		rq = blk_mq_alloc_request(k->q, pass ? REQ_OP_DRV_IN : REQ_OP_DRV_OUT, 0);
		if (IS_ERR(rq)) {
			ret = PTR_ERR(rq);
			rq = NULL;
			goto out;
		}
		((struct kblk_cmd *)blk_mq_rq_to_pdu(rq))->offset = 128 * 1024;
		ret = blk_rq_append_bio(rq, bios[0]);
		if (!ret)
			ret = blk_rq_append_bio(rq, bios[1]);
		if (ret)
			goto out;
		n = 0;
		rq_for_each_bvec(bv, rq, it)
			n += bv.bv_len;
		if (n != 2 * KBLK_BIO_PAGES * PAGE_SIZE || blk_rq_bytes(rq) != n ||
		    rq->bio != bios[0] || rq->biotail != bios[1] ||
		    blk_rq_nr_phys_segments(rq) < 1) {
			ret = -EINVAL;
			goto out;
		}
		ret = blk_status_to_errno(blk_execute_rq(rq, false));
		blk_mq_free_request(rq);
		rq = NULL;
		if (ret)
			goto out;
	}
	for (i = 0; i < 2 * KBLK_BIO_PAGES && !ret; i++)
		for (unsigned int j = 0; j < PAGE_SIZE; j++)
			if (((u8 *)page_address(rp[i]))[j] != pattern(i * PAGE_SIZE + j, 3)) {
				dev_err(&k->pdev->dev, "bio read: page %u byte %u", i, j);
				ret = -EIO;
				break;
			}
out:
	if (rq)
		blk_mq_free_request(rq);
	for (i = 0; i < 2; i++) {
		bio_put(wb[i]);
		bio_put(rb[i]);
	}
	for (i = 0; i < 2 * KBLK_BIO_PAGES; i++) {
		if (wp[i])
			__free_page(wp[i]);
		if (rp[i])
			__free_page(rp[i]);
	}
	return ret;
}

/* What the block layer refuses, with the kernel's answers. */
static int kblk_test_misuse(struct kblk *k)
{
	struct request *rq[KBLK_DEPTH + 1];
	u8 *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	/* a request past the end of the media fails in queue_rq */
	if (kblk_rw_kern(k, true, buf, PAGE_SIZE, KBLK_MEDIA) != -EIO)
		ret = -EINVAL;
	/* nothing to map */
	rq[0] = blk_mq_alloc_request(k->q, REQ_OP_DRV_OUT, 0);
	if (IS_ERR(rq[0]))
		ret = -EINVAL;
	else {
		if (blk_rq_map_kern(rq[0], buf, 0, GFP_KERNEL) != -EINVAL ||
		    blk_rq_map_kern(rq[0], buf, UINT_MAX, GFP_KERNEL) != -EINVAL)
			ret = -EINVAL;
		blk_mq_free_request(rq[0]);
	}
	/* every tag taken: the next allocation does not sleep here */
	for (int i = 0; i < KBLK_DEPTH; i++)
		rq[i] = blk_mq_alloc_request(k->q, REQ_OP_DRV_IN, 0);
	rq[KBLK_DEPTH] = blk_mq_alloc_request(k->q, REQ_OP_DRV_IN, BLK_MQ_REQ_NOWAIT);
	if (PTR_ERR(rq[KBLK_DEPTH]) != -EWOULDBLOCK)
		ret = -EINVAL;
	for (int i = 0; i < KBLK_DEPTH; i++)
		if (!IS_ERR(rq[i]))
			blk_mq_free_request(rq[i]);
		else
			ret = -EINVAL;
	if (blk_queue_pci_p2pdma(k->q))
		ret = -EINVAL;
	kfree(buf);
	return ret;
}

static int kblk_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct queue_limits lim = {
		.logical_block_size = 512,
		.max_segments = KBLK_MAX_SEGS,
		.max_hw_sectors = KBLK_MEDIA >> SECTOR_SHIFT,
		.max_segment_size = 64 * 1024,
	};
	struct kblk *k;
	int ret;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	k->pdev = pdev;
	spin_lock_init(&k->lock);
	ret = pci_enable_device(pdev);
	if (ret)
		goto err_free;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_disable;
	k->regs = pci_iomap(pdev, 0, 0);
	if (!k->regs) {
		ret = -ENOMEM;
		goto err_disable;
	}
	if (readl(k->regs + REG_ID) != ENGINE_ID) {
		ret = -ENODEV;
		goto err_unmap_regs;
	}
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret < 0)
		goto err_unmap_regs;
	k->irq = pci_irq_vector(pdev, 0);
	ret = request_irq(k->irq, kblk_irq, 0, "kblk", k);
	if (ret)
		goto err_vectors;
	ret = -ENOMEM;
	k->media = dmam_alloc_coherent(dev, KBLK_MEDIA, &k->media_dma, GFP_KERNEL);
	k->record = dmam_alloc_coherent(dev, sizeof(*k->record), &k->record_dma,
					GFP_KERNEL);
	if (!k->media || !k->record)
		goto err_irq;

	k->set.ops = &kblk_mq_ops;
	k->set.nr_hw_queues = 1;
	k->set.queue_depth = KBLK_DEPTH;
	k->set.cmd_size = sizeof(struct kblk_cmd);
	k->set.numa_node = NUMA_NO_NODE;
	k->set.driver_data = k;
	ret = blk_mq_alloc_tag_set(&k->set);
	if (ret)
		goto err_irq;
	k->q = blk_mq_alloc_queue(&k->set, &lim, k);
	if (IS_ERR(k->q)) {
		ret = PTR_ERR(k->q);
		goto err_tag_set;
	}
	ret = kblk_test_kern(k);
	if (!ret)
		ret = kblk_test_bios(k);
	if (!ret)
		ret = kblk_test_misuse(k);
	if (ret)
		goto err_queue;
	dev_info(dev, "%u requests, %u bytes moved by DMA and verified",
		 k->requests, k->bytes);
	pci_set_drvdata(pdev, k);
	return 0;

err_queue:
	blk_mq_destroy_queue(k->q);
	blk_put_queue(k->q);
err_tag_set:
	blk_mq_free_tag_set(&k->set);
err_irq:
	free_irq(k->irq, k);
err_vectors:
	pci_free_irq_vectors(pdev);
err_unmap_regs:
	pci_iounmap(pdev, k->regs);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(k);
	return ret;
}

static void kblk_remove(struct pci_dev *pdev)
{
	struct kblk *k = pci_get_drvdata(pdev);

	blk_mq_destroy_queue(k->q);
	blk_put_queue(k->q);
	blk_mq_free_tag_set(&k->set);
	free_irq(k->irq, k);
	pci_free_irq_vectors(pdev);
	pci_iounmap(pdev, k->regs);
	pci_disable_device(pdev);
	kfree(k);
}

static const struct pci_device_id kblk_ids[] = {
	{ PCI_DEVICE(KBLK_VENDOR, KBLK_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, kblk_ids);

static struct pci_driver kblk_driver = {
	.name = "kblk",
	.id_table = kblk_ids,
	.probe = kblk_probe,
	.remove = kblk_remove,
};
module_pci_driver(kblk_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A RAM disk behind a DMA engine, on blk-mq and the block DMA iterator");
