/* SPDX-License-Identifier: MIT */
/* The whole public API of dmastack: kernel-identical and sim_. */
#ifndef _DMASTACK_DMASTACK_H
#define _DMASTACK_DMASTACK_H

#include <dmastack/types.h>
#include <dmastack/mm.h>
#include <dmastack/linux/slab.h>
#include <dmastack/linux/vmalloc.h>
#include <dmastack/linux/printk.h>
#include <dmastack/linux/io.h>
#include <dmastack/linux/delay.h>
#include <dmastack/linux/jiffies.h>
#include <dmastack/linux/completion.h>
#include <dmastack/linux/bug.h>
#include <dmastack/device.h>
#include <dmastack/scatterlist.h>
#include <dmastack/dma-mapping.h>
#include <dmastack/dma-map-ops.h>
#include <dmastack/swiotlb.h>
#include <dmastack/dmapool.h>
#include <dmastack/pci.h>
#include <dmastack/iommu.h>
#include <dmastack/iova.h>
#include <dmastack/io-pgtable.h>
#include <dmastack/pci-p2pdma.h>
#include <dmastack/blk-mq-dma.h>
#include <dmastack/dma-resv.h>
#include <dmastack/dma-buf.h>
#include <dmastack/vfio.h>
#include <dmastack/uaccess.h>
#include <dmastack/nic.h>
#include <dmastack/nvme.h>
#include <dmastack/hmm.h>
#include <dmastack/odp.h>
#include <dmastack/interrupt.h>
#include <dmastack/sim.h>
#include <dmastack/sim-topology.h>
#include <dmastack/sim-timer.h>
#include <dmastack/sim-model.h>
#include <dmastack/sim-module.h>

#endif /* _DMASTACK_DMASTACK_H */
