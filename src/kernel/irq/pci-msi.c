// SPDX-License-Identifier: MIT
/*
 * PCI MSI, the kernel side (drivers/pci/msi/): pci_alloc_irq_vectors()
 * finds the function's MSI capability, takes a block of irq numbers
 * aligned to the power of two that Multiple Message Enable covers, and
 * programs the capability through config space as the kernel does: the
 * x86 interrupt address, the block's first irq as message data (vector N
 * sends data + N), every vector masked, then MSI enabled. request_irq()
 * unmasks a vector, free_irq() and disable_irq() mask it again.
 */
#include <string.h>
#include "irq.h"

static unsigned int roundup_pow2(unsigned int n)
{
	unsigned int p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static unsigned int ilog2_u(unsigned int n)
{
	unsigned int l = 0;

	while ((1u << (l + 1)) <= n)
		l++;
	return l;
}

/**
 * pci_msi_update_mask - mask @desc's vector unless it is requested and
 *	enabled; unmasking sends what the device kept pending (its handlers
 *	run before this returns)
 */
void pci_msi_update_mask(struct irq_state *st, struct irq_desc *desc)
{
	struct pci_dev *pdev = desc->pdev;
	u8 cap = pci_find_capability(pdev, PCI_CAP_ID_MSI);
	u32 mask;
	bool masked;

	if (!cap)
		return;
	pthread_mutex_lock(&st->mask_lock);
	pthread_mutex_lock(&desc->lock);
	masked = desc->depth || !atomic_load(&desc->action);
	pthread_mutex_unlock(&desc->lock);
	pci_read_config_dword(pdev, cap + PCI_MSI_MASK_64, &mask);
	if (masked)
		mask |= 1u << desc->index;
	else
		mask &= ~(1u << desc->index);
	pci_write_config_dword(pdev, cap + PCI_MSI_MASK_64, mask);
	pthread_mutex_unlock(&st->mask_lock);
}

/* A free block of @blk irqs aligned to @blk (st->lock held), or 0. */
static unsigned int irq_block_find(struct irq_state *st, unsigned int blk)
{
	for (unsigned int base = ALIGN(SIM_IRQ_FIRST_MSI, blk);
	     base + blk <= SIM_NR_IRQS; base += blk) {
		unsigned int i;

		for (i = 0; i < blk && !st->descs[base + i]; i++)
			;
		if (i == blk)
			return base;
	}
	return 0;
}

static int msi_enable_range(struct pci_dev *dev, unsigned int minvec,
			    unsigned int maxvec)
{
	struct sim_machine *m = dev->dev.sim;
	struct irq_desc *descs[SIM_MSI_MAX_VECTORS] = { 0 };
	struct irq_state *st;
	unsigned int hw, nvec, blk, base;
	u16 flags;
	u8 cap;
	int ret;

	if (maxvec < minvec)
		return -ERANGE;
	if (dev->msi_enabled) {
		SIM_WARN(m, &dev->dev, "%s: MSI is already enabled",
			 pci_name(dev));
		return -EINVAL;
	}
	if (!minvec || dev->current_state != PCI_D0)
		return -EINVAL;
	if (dev->msix_enabled) {
		SIM_WARN(m, &dev->dev, "%s: can't enable MSI (MSI-X already enabled)",
			 pci_name(dev));
		return -EINVAL;
	}
	cap = pci_find_capability(dev, PCI_CAP_ID_MSI);
	if (!cap)
		return -EINVAL;
	pci_read_config_word(dev, cap + PCI_MSI_FLAGS, &flags);
	hw = 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	if (hw < minvec)
		return -ENOSPC;
	nvec = min(hw, maxvec);
	blk = roundup_pow2(nvec);

	st = irq_state_get(m, true);
	if (!st)
		return -ENOMEM;
	for (unsigned int i = 0; i < blk; i++) {
		descs[i] = irq_desc_alloc(st, 0);
		if (!descs[i]) {
			ret = -ENOMEM;
			goto free_descs;
		}
		descs[i]->pdev = dev;
		descs[i]->index = i;
		descs[i]->nvec = nvec;
	}
	pthread_mutex_lock(&st->lock);
	base = irq_block_find(st, blk);
	if (!base) {
		pthread_mutex_unlock(&st->lock);
		ret = -ENOSPC;
		goto free_descs;
	}
	for (unsigned int i = 0; i < blk; i++) {
		descs[i]->irq = base + i;
		st->descs[base + i] = descs[i];
	}
	pthread_mutex_unlock(&st->lock);

	/* program the capability, every vector masked, then enable */
	pci_write_config_dword(dev, cap + PCI_MSI_ADDRESS_LO,
			       (u32)SIM_MSI_ADDR_BASE);
	pci_write_config_dword(dev, cap + PCI_MSI_ADDRESS_HI, 0);
	pci_write_config_word(dev, cap + PCI_MSI_DATA_64, (u16)base);
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		pci_write_config_dword(dev, cap + PCI_MSI_MASK_64,
				       hw >= 32 ? ~0u : (1u << hw) - 1);
	flags &= ~PCI_MSI_FLAGS_QSIZE;
	flags |= (u16)(ilog2_u(blk) << 4) | PCI_MSI_FLAGS_ENABLE;
	pci_write_config_word(dev, cap + PCI_MSI_FLAGS, flags);
	dev->irq = base;
	dev->msi_enabled = true;
	return (int)nvec;

free_descs:
	for (unsigned int i = 0; i < blk; i++)
		if (descs[i])
			irq_desc_free(st, descs[i]);
	return ret;
}

int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs,
			  unsigned int max_vecs, unsigned int flags)
{
	int nvecs = -ENOSPC;

	if (!dev || !dev->sim || !dev->dev.sim)
		return -EINVAL;
	sim_set_current_machine(dev->dev.sim);
	if (flags & PCI_IRQ_MSIX) {
		/* no function has an MSI-X capability */
		if (max_vecs < min_vecs)
			return -ERANGE;
		nvecs = -EINVAL;
	}
	if (flags & PCI_IRQ_MSI) {
		nvecs = msi_enable_range(dev, min_vecs, max_vecs);
		if (nvecs > 0)
			return nvecs;
	}
	/* INTx: dev->irq would be the pin's line; no function has one */
	if ((flags & PCI_IRQ_INTX) && min_vecs == 1 && dev->irq &&
	    !dev->msi_enabled)
		return 1;
	return nvecs;
}

int pci_irq_vector(struct pci_dev *dev, unsigned int nr)
{
	struct irq_state *st;
	struct irq_desc *desc = NULL;
	unsigned int irq;

	if (!dev || !dev->sim || !dev->dev.sim)
		return -EINVAL;
	sim_set_current_machine(dev->dev.sim);
	if (!dev->msi_enabled)
		return nr == 0 && dev->irq ? (int)dev->irq : -EINVAL;
	st = irq_state_get(dev->dev.sim, false);
	irq = dev->irq + nr;
	if (!st || nr >= SIM_MSI_MAX_VECTORS || irq >= SIM_NR_IRQS)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	desc = st->descs[irq];
	if (desc && (desc->pdev != dev || nr >= desc->nvec))
		desc = NULL;
	pthread_mutex_unlock(&st->lock);
	return desc ? (int)irq : -EINVAL;
}

void pci_free_irq_vectors(struct pci_dev *dev)
{
	struct sim_machine *m;
	struct irq_desc *descs[SIM_MSI_MAX_VECTORS] = { 0 };
	struct irq_state *st;
	unsigned int n = 0;
	u16 flags;
	u8 cap;

	if (!dev || !dev->sim || !dev->msi_enabled)
		return;
	m = dev->dev.sim;
	st = irq_state_get(m, false);
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	for (unsigned int i = 0; i < SIM_MSI_MAX_VECTORS; i++) {
		struct irq_desc *desc = dev->irq + i < SIM_NR_IRQS ?
					st->descs[dev->irq + i] : NULL;
		bool self;

		if (!desc || desc->pdev != dev)
			break;
		pthread_mutex_lock(&desc->lock);
		self = desc->running && desc->runner == sim_thread_pointer();
		pthread_mutex_unlock(&desc->lock);
		if (self) {
			pthread_mutex_unlock(&st->lock);
			SIM_WARN(m, &dev->dev,
				 "%s: pci_free_irq_vectors from the handler of irq %u: refused",
				 pci_name(dev), desc->irq);
			return;
		}
	}
	pthread_mutex_unlock(&st->lock);
	cap = pci_find_capability(dev, PCI_CAP_ID_MSI);
	/* the device sends nothing more */
	pci_read_config_word(dev, cap + PCI_MSI_FLAGS, &flags);
	pci_write_config_word(dev, cap + PCI_MSI_FLAGS,
			      flags & ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE));
	pthread_mutex_lock(&st->lock);
	for (unsigned int i = 0; i < SIM_MSI_MAX_VECTORS; i++) {
		unsigned int irq = dev->irq + i;

		if (irq >= SIM_NR_IRQS || !st->descs[irq] ||
		    st->descs[irq]->pdev != dev)
			break;
		descs[n++] = st->descs[irq];
		st->descs[irq] = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	for (unsigned int i = 0; i < n; i++) {
		struct irq_desc *desc = descs[i];
		struct irqaction *a;

		pthread_mutex_lock(&desc->lock);
		while (desc->running)
			pthread_cond_wait(&desc->idle, &desc->lock);
		a = atomic_load(&desc->action);
		pthread_mutex_unlock(&desc->lock);
		if (a)
			SIM_WARN(m, &dev->dev,
				 "%s: pci_free_irq_vectors: irq %u still has an action (%s)",
				 pci_name(dev), desc->irq, a->name ? a->name : "");
		irq_desc_free(st, desc);
	}
	dev->irq = 0;
	dev->msi_enabled = false;
}
