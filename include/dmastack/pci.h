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
 * synchronously from the config write or reset that caused them:
 * MEMORY_DISABLE, D3HOT and FLR_START while the BARs still decode (so a
 * revoke can finish first), MEMORY_ENABLE, D0 and FLR_DONE once they
 * decode again.
 */
enum sim_pci_event {
	SIM_PCI_MEMORY_DISABLE,	/* command register memory bit cleared */
	SIM_PCI_MEMORY_ENABLE,	/* command register memory bit set */
	SIM_PCI_D3HOT,		/* entering D3hot */
	SIM_PCI_D0,		/* back in D0 */
	SIM_PCI_FLR_START,	/* function level reset begins */
	SIM_PCI_FLR_DONE,	/* function level reset completed */
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
