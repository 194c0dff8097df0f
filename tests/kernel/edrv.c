// SPDX-License-Identifier: MIT
/*
 * A kernel-style PCI driver for a descriptor-chain DMA engine, written the
 * way a driver in drivers/dma/ is: its own register definitions, probe and
 * remove, pci_iomap() and readl()/writel(), MSI-X with request_irq(), a
 * descriptor chain and a completion record in coherent memory, kmalloc()ed
 * buffers mapped with dma_map_single(). Probe copies 8K through the
 * engine, waits for the interrupt and checks the copy.
 *
 * Built with -DEDRV_LEAK it forgets to unmap its source buffer in remove:
 * the bug dma-debug must name.
 */
#include <linux/types.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/interrupt.h>
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/dma-mapping.h>
#include <linux/device.h>

#define EDRV_VENDOR		0x8086
#define EDRV_DEVICE		0x0b25

/* The engine's registers. */
#define REG_ID			0x000
#define  ENGINE_ID		0x10a70001u
#define REG_CHAINADDR		0x008
#define REG_CMPLADDR		0x010
#define REG_CMD			0x018
#define  CMD_START		1
#define REG_STS			0x01c
#define  STS_DONE		2
#define REG_COMPLETED		0x028

struct edrv_desc {
	u32 size;
	u32 ctl;
#define CTL_INT			0x1
	u64 src;
	u64 dst;
	u64 next;
	u64 rsvd[4];
};

#define COPY_LEN		8192

struct edrv {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct edrv_desc *chain;
	dma_addr_t chain_dma;
	u64 *record;
	dma_addr_t record_dma;
	u8 *src, *dst;
	dma_addr_t src_dma, dst_dma;
	struct completion done;
	int irq;
};

static irqreturn_t edrv_irq(int irq, void *data)
{
	struct edrv *e = data;

	complete(&e->done);
	return IRQ_HANDLED;
}

static int edrv_copy(struct edrv *e)
{
	struct device *dev = &e->pdev->dev;
	unsigned int half = COPY_LEN / 2;

	for (unsigned int i = 0; i < COPY_LEN; i++)
		e->src[i] = (u8)(i * 13 + 1);
	e->src_dma = dma_map_single(dev, e->src, COPY_LEN, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, e->src_dma))
		return -ENOMEM;
	e->dst_dma = dma_map_single(dev, e->dst, COPY_LEN, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, e->dst_dma)) {
		dma_unmap_single(dev, e->src_dma, COPY_LEN, DMA_TO_DEVICE);
		return -ENOMEM;
	}
	e->chain[0] = (struct edrv_desc){
		.size = half, .src = e->src_dma, .dst = e->dst_dma,
		.next = e->chain_dma + sizeof(struct edrv_desc),
	};
	e->chain[1] = (struct edrv_desc){
		.size = half, .ctl = CTL_INT, .src = e->src_dma + half,
		.dst = e->dst_dma + half,
	};
	writeq(e->chain_dma, e->regs + REG_CHAINADDR);
	writeq(e->record_dma, e->regs + REG_CMPLADDR);
	writel(CMD_START, e->regs + REG_CMD);
	if (!wait_for_completion_timeout(&e->done, msecs_to_jiffies(100))) {
		dev_err(dev, "copy timed out (status %u)", readl(e->regs + REG_STS));
		return -ETIMEDOUT;
	}
	dma_unmap_single(dev, e->dst_dma, COPY_LEN, DMA_FROM_DEVICE);
	if (readl(e->regs + REG_STS) != STS_DONE ||
	    *e->record != ((e->chain_dma + sizeof(struct edrv_desc)) | STS_DONE))
		return -EIO;
	for (unsigned int i = 0; i < COPY_LEN; i++)
		if (e->dst[i] != e->src[i]) {
			dev_err(dev, "byte %u differs", i);
			return -EIO;
		}
	dev_info(dev, "copied %u bytes in %llu descriptors", COPY_LEN,
		 (unsigned long long)readq(e->regs + REG_COMPLETED));
	return 0;
}

static int edrv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct edrv *e;
	int ret;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	init_completion(&e->done);
	ret = pci_enable_device(pdev);
	if (ret)
		goto err_free;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret)
		goto err_disable;
	e->regs = pci_iomap(pdev, 0, 0);
	if (!e->regs) {
		ret = -ENOMEM;
		goto err_disable;
	}
	if (readl(e->regs + REG_ID) != ENGINE_ID) {
		ret = -ENODEV;
		goto err_unmap_regs;
	}
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret < 0)
		goto err_unmap_regs;
	e->irq = pci_irq_vector(pdev, 0);
	ret = request_irq(e->irq, edrv_irq, 0, "edrv", e);
	if (ret)
		goto err_vectors;
	ret = -ENOMEM;
	e->chain = dma_alloc_coherent(dev, 2 * sizeof(*e->chain), &e->chain_dma,
				      GFP_KERNEL);
	if (!e->chain)
		goto err_irq;
	e->record = dma_alloc_coherent(dev, sizeof(*e->record), &e->record_dma,
				       GFP_KERNEL);
	if (!e->record)
		goto err_chain;
	e->src = kmalloc(COPY_LEN, GFP_KERNEL);
	e->dst = kzalloc(COPY_LEN, GFP_KERNEL);
	if (!e->src || !e->dst)
		goto err_bufs;
	ret = edrv_copy(e);
	if (ret)
		goto err_bufs;
	pci_set_drvdata(pdev, e);
	return 0;

err_bufs:
	kfree(e->dst);
	kfree(e->src);
	dma_free_coherent(dev, sizeof(*e->record), e->record, e->record_dma);
err_chain:
	dma_free_coherent(dev, 2 * sizeof(*e->chain), e->chain, e->chain_dma);
err_irq:
	free_irq(e->irq, e);
err_vectors:
	pci_free_irq_vectors(pdev);
err_unmap_regs:
	pci_iounmap(pdev, e->regs);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(e);
	return ret;
}

static void edrv_remove(struct pci_dev *pdev)
{
	struct edrv *e = pci_get_drvdata(pdev);
	struct device *dev = &pdev->dev;

#ifndef EDRV_LEAK
	dma_unmap_single(dev, e->src_dma, COPY_LEN, DMA_TO_DEVICE);
#endif
	kfree(e->dst);
	kfree(e->src);
	dma_free_coherent(dev, sizeof(*e->record), e->record, e->record_dma);
	dma_free_coherent(dev, 2 * sizeof(*e->chain), e->chain, e->chain_dma);
	free_irq(e->irq, e);
	pci_free_irq_vectors(pdev);
	pci_iounmap(pdev, e->regs);
	pci_disable_device(pdev);
	kfree(e);
}

static const struct pci_device_id edrv_ids[] = {
	{ PCI_DEVICE(EDRV_VENDOR, EDRV_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edrv_ids);

static struct pci_driver edrv_driver = {
	.name = "edrv",
	.id_table = edrv_ids,
	.probe = edrv_probe,
	.remove = edrv_remove,
};
module_pci_driver(edrv_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A descriptor-chain DMA engine driver");
