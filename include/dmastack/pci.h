/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/pci.h>: the kernel's <linux/pci.h> (dmastack/linux/pci.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_PCI_H
#define _DMASTACK_PCI_H

#include "linux/pci.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * State changes of a function that decide whether its BARs answer, for the
 * layers that must react (VFIO revokes dma-bufs on them). Callbacks run
 * synchronously from the config write or reset that caused them, with no
 * lock of the config mechanism held: MEMORY_DISABLE, D3HOT and FLR_START
 * while the BARs still decode (so a revoke can finish first), each closed
 * once the registers changed: FLR_START by FLR_DONE, the other two by
 * CHANGE_DONE. A notifier may hold a lock of its own from the opening
 * event to the closing one (VFIO holds memory_lock across the change).
 * MEMORY_ENABLE and D0 come after the change, once the BARs decode again.
 */
enum sim_pci_event {
	SIM_PCI_MEMORY_DISABLE,	/* command register memory bit cleared */
	SIM_PCI_MEMORY_ENABLE,	/* command register memory bit set */
	SIM_PCI_D3HOT,		/* entering D3hot */
	SIM_PCI_D0,		/* back in D0 */
	SIM_PCI_FLR_START,	/* function level reset begins */
	SIM_PCI_FLR_DONE,	/* function level reset completed */
	SIM_PCI_CHANGE_DONE,	/* MEMORY_DISABLE's or D3HOT's write is done */
};

typedef void (*sim_pci_notifier_fn)(struct pci_dev *pdev,
				    enum sim_pci_event ev, void *data);

/* Register (or with @fn NULL, remove) the one notifier of @pdev. */
int sim_pci_set_notifier(struct pci_dev *pdev, sim_pci_notifier_fn fn,
			 void *data);
/* Events delivered to @pdev's notifier so far. */
unsigned long sim_pci_events(struct pci_dev *pdev);

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_PCI_H */
