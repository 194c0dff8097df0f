/* SPDX-License-Identifier: MIT */
/* The edma driver's interface to the example program. */
#ifndef EDMA_DRIVER_H
#define EDMA_DRIVER_H

#include <pthread.h>
#include "edma.h"

#define EDMA_RING	64

struct edma_job {
	dma_addr_t src_dma, dst_dma;
	size_t len;
	u32 status;			/* EDMA_STATUS_*, 0 while in flight */
	void (*done)(struct edma_job *job);
	void *priv;
};

struct edma_dev {
	struct pci_dev *pdev;
	struct device *dev;
	phys_addr_t regs;
	struct edma_desc *ring;
	dma_addr_t ring_dma;
	int irq;
	pthread_mutex_t lock;		/* the ring and the jobs */
	unsigned int tail, reaped;
	unsigned long irqs;		/* handler runs */
	struct edma_job jobs[EDMA_RING];
};

int edma_probe(struct pci_dev *pdev, struct edma_dev *ed);
int edma_submit(struct edma_dev *ed, struct edma_job *job, void *src,
		void *dst, size_t len);
unsigned int edma_outstanding(struct edma_dev *ed);
void edma_remove(struct edma_dev *ed);

#endif
