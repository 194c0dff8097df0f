// SPDX-License-Identifier: MIT
/*
 * The edma driver: kernel-style code against dmastack's kernel API.
 * Probe enables the function, sets its DMA mask, allocates the descriptor
 * ring in coherent memory, gets an MSI vector and requests its irq, and
 * starts the engine. Each copy maps its buffers for streaming DMA (the
 * source to the device, the destination from it), fills a descriptor and
 * rings the doorbell; the interrupt handler reaps completed descriptors
 * and unmaps their buffers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"

static void edma_writel(struct edma_dev *ed, u32 off, u32 v)
{
	sim_mmio_write(ed->pdev->dev.sim, ed->regs + off, &v, sizeof(v));
}

static void edma_writeq(struct edma_dev *ed, u32 off, u64 v)
{
	sim_mmio_write(ed->pdev->dev.sim, ed->regs + off, &v, sizeof(v));
}

static u32 edma_readl(struct edma_dev *ed, u32 off)
{
	u32 v;

	sim_mmio_read(ed->pdev->dev.sim, ed->regs + off, &v, sizeof(v));
	return v;
}

/* Reap what the engine completed (ed->lock held). */
static unsigned int edma_reap(struct edma_dev *ed)
{
	unsigned int n = 0;

	while (ed->reaped != ed->tail) {
		unsigned int slot = ed->reaped % EDMA_RING;
		volatile struct edma_desc *d = &ed->ring[slot];
		struct edma_job *job = &ed->jobs[slot];
		u32 status = d->status;

		if (!status)
			break;
		dma_unmap_single(ed->dev, job->src_dma, job->len, DMA_TO_DEVICE);
		dma_unmap_single(ed->dev, job->dst_dma, job->len, DMA_FROM_DEVICE);
		job->status = status;
		if (job->done)
			job->done(job);
		ed->reaped++;
		n++;
	}
	return n;
}

static irqreturn_t edma_irq(int irq, void *dev_id)
{
	struct edma_dev *ed = dev_id;
	unsigned int n;

	pthread_mutex_lock(&ed->lock);
	ed->irqs++;
	n = edma_reap(ed);
	pthread_mutex_unlock(&ed->lock);
	return n ? IRQ_HANDLED : IRQ_NONE;
}

int edma_probe(struct pci_dev *pdev, struct edma_dev *ed)
{
	int ret;

	memset(ed, 0, sizeof(*ed));
	ed->pdev = pdev;
	ed->dev = &pdev->dev;
	pthread_mutex_init(&ed->lock, NULL);

	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ed->regs = pci_resource_start(pdev, 0);
	if (edma_readl(ed, EDMA_REG_ID) != EDMA_ID) {
		ret = -ENODEV;
		goto disable_device;
	}
	ret = dma_set_mask_and_coherent(ed->dev, DMA_BIT_MASK(64));
	if (ret)
		goto disable_device;

	ed->ring = dma_alloc_coherent(ed->dev, EDMA_RING * sizeof(*ed->ring),
				      &ed->ring_dma, GFP_KERNEL);
	if (!ed->ring) {
		ret = -ENOMEM;
		goto disable_device;
	}
	memset(ed->ring, 0, EDMA_RING * sizeof(*ed->ring));

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX | PCI_IRQ_MSI);
	if (ret < 0)
		goto free_ring;
	ed->irq = pci_irq_vector(pdev, 0);
	ret = request_irq(ed->irq, edma_irq, 0, "edma", ed);
	if (ret)
		goto free_vectors;

	edma_writeq(ed, EDMA_REG_RING_BASE, ed->ring_dma);
	edma_writel(ed, EDMA_REG_RING_SIZE, EDMA_RING);
	edma_writel(ed, EDMA_REG_CTRL, EDMA_CTRL_RUN);
	return 0;

free_vectors:
	pci_free_irq_vectors(pdev);
free_ring:
	dma_free_coherent(ed->dev, EDMA_RING * sizeof(*ed->ring), ed->ring,
			  ed->ring_dma);
disable_device:
	pci_clear_master(pdev);
	pci_disable_device(pdev);
	pthread_mutex_destroy(&ed->lock);
	return ret;
}

int edma_submit(struct edma_dev *ed, struct edma_job *job, void *src,
		void *dst, size_t len)
{
	struct edma_desc *d;
	unsigned int slot;
	int ret = 0;

	pthread_mutex_lock(&ed->lock);
	if (ed->tail - ed->reaped == EDMA_RING) {
		ret = -EBUSY;
		goto unlock;
	}
	job->len = len;
	job->status = 0;
	job->src_dma = dma_map_single(ed->dev, src, len, DMA_TO_DEVICE);
	if (dma_mapping_error(ed->dev, job->src_dma)) {
		ret = -ENOMEM;
		goto unlock;
	}
	job->dst_dma = dma_map_single(ed->dev, dst, len, DMA_FROM_DEVICE);
	if (dma_mapping_error(ed->dev, job->dst_dma)) {
		ret = -ENOMEM;
		goto unmap_src;
	}
	slot = ed->tail % EDMA_RING;
	ed->jobs[slot] = *job;
	d = &ed->ring[slot];
	d->src = job->src_dma;
	d->dst = job->dst_dma;
	d->len = (u32)len;
	d->cookie = ed->tail;
	d->status = 0;
	ed->tail++;
	/* the descriptor is in coherent memory: visible before the doorbell */
	edma_writel(ed, EDMA_REG_DOORBELL, ed->tail);
	pthread_mutex_unlock(&ed->lock);
	return 0;

unmap_src:
	dma_unmap_single(ed->dev, job->src_dma, len, DMA_TO_DEVICE);
unlock:
	pthread_mutex_unlock(&ed->lock);
	return ret;
}

unsigned int edma_outstanding(struct edma_dev *ed)
{
	unsigned int n;

	pthread_mutex_lock(&ed->lock);
	n = ed->tail - ed->reaped;
	pthread_mutex_unlock(&ed->lock);
	return n;
}

void edma_remove(struct edma_dev *ed)
{
	edma_writel(ed, EDMA_REG_CTRL, 0);
	free_irq(ed->irq, ed);
	pci_free_irq_vectors(ed->pdev);
	dma_free_coherent(ed->dev, EDMA_RING * sizeof(*ed->ring), ed->ring,
			  ed->ring_dma);
	pci_clear_master(ed->pdev);
	pci_disable_device(ed->pdev);
	pthread_mutex_destroy(&ed->lock);
}
