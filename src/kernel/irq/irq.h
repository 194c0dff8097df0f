/* SPDX-License-Identifier: MIT */
/*
 * The kernel's interrupt layer, private to src/kernel/irq/: irq descriptors
 * of one machine (manage.c) and the PCI MSI irq domain (pci-msi.c).
 */
#ifndef _DMASTACK_KERNEL_IRQ_H
#define _DMASTACK_KERNEL_IRQ_H

#include "internal.h"

/* Linux irq numbers of a machine; MSI ones start above the legacy 0-23. */
#define SIM_NR_IRQS		1024
#define SIM_IRQ_FIRST_MSI	24

struct irqaction {
	irq_handler_t handler;
	irq_handler_t thread_fn;
	void *dev_id;
	const char *name;
	unsigned long flags;
	struct irqaction *_Atomic next;
};

/*
 * One irq. @lock guards the action list (read without it by the handler
 * run, hence the atomics), @depth and the run state; @idle is signalled
 * when a run ends.
 */
struct irq_desc {
	unsigned int irq;
	struct pci_dev *pdev;		/* the function, vector @index */
	unsigned int index;
	unsigned int nvec;		/* the function's vectors */
	bool msix;			/* an MSI-X table entry, else MSI */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct irqaction *_Atomic action;
	unsigned int depth;		/* disables; 1 until requested */
	bool running;			/* handlers run now (on @runner) */
	uintptr_t runner;
	bool replay;			/* a message came during the run */
	bool pending;			/* a message came while disabled */
	_Atomic unsigned long delivered, handled, unhandled, spurious;
};

/*
 * The irq state of a machine: registered as its MSI controller on first
 * use. @lock guards @descs; @mask_lock (recursive: an unmask may run a
 * handler that disables) serialises the MSI mask updates.
 */
struct irq_state {
	struct sim_machine *m;
	pthread_mutex_t lock;
	pthread_mutex_t mask_lock;
	struct irq_desc *descs[SIM_NR_IRQS];
	_Atomic unsigned long stray;	/* messages for no irq */
};

struct irq_state *irq_state_get(struct sim_machine *m, bool create);
struct irq_desc *irq_desc_alloc(struct irq_state *st, unsigned int irq);
void irq_desc_free(struct irq_state *st, struct irq_desc *desc);
/* Mask or unmask @desc's vector as its state says (pci-msi.c). */
void pci_msi_update_mask(struct irq_state *st, struct irq_desc *desc);

#endif /* _DMASTACK_KERNEL_IRQ_H */
