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

/* The CPU address of the MSI-X table of @dev (its capability at @cap). */
static phys_addr_t msix_table(struct pci_dev *dev, u8 cap)
{
	u32 table;

	pci_read_config_dword(dev, cap + PCI_MSIX_TABLE, &table);
	return pci_resource_start(dev, (int)(table & PCI_MSIX_TABLE_BIR)) +
	       (table & PCI_MSIX_TABLE_OFFSET);
}

static void msix_write_entry(struct pci_dev *dev, phys_addr_t entry, u32 off,
			     u32 v)
{
	/* writel(): a table the BAR does not decode loses it, as hardware */
	sim_mmio_write(dev->dev.sim, entry + off, &v, sizeof(v));
}

/**
 * pci_msi_update_mask - mask @desc's vector unless it is requested and
 *	enabled; unmasking sends what the device kept pending (its handlers
 *	run before this returns)
 */
void pci_msi_update_mask(struct irq_state *st, struct irq_desc *desc)
{
	struct pci_dev *pdev = desc->pdev;
	u8 cap = pci_find_capability(pdev, desc->msix ? PCI_CAP_ID_MSIX :
							 PCI_CAP_ID_MSI);
	u32 mask;
	bool masked;

	if (!cap)
		return;
	pthread_mutex_lock(&st->mask_lock);
	pthread_mutex_lock(&desc->lock);
	masked = desc->depth || !atomic_load(&desc->action);
	pthread_mutex_unlock(&desc->lock);
	if (desc->msix) {
		msix_write_entry(pdev, msix_table(pdev, cap) +
				 (u64)PCI_MSIX_ENTRY_SIZE * desc->index,
				 PCI_MSIX_ENTRY_VECTOR_CTRL,
				 masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
	} else {
		pci_read_config_dword(pdev, cap + PCI_MSI_MASK_64, &mask);
		if (masked)
			mask |= 1u << desc->index;
		else
			mask &= ~(1u << desc->index);
		pci_write_config_dword(pdev, cap + PCI_MSI_MASK_64, mask);
	}
	pthread_mutex_unlock(&st->mask_lock);
}

/* A free block of @blk irqs aligned to @align (st->lock held), or 0. */
static unsigned int irq_block_find(struct irq_state *st, unsigned int blk,
				   unsigned int align)
{
	for (unsigned int base = ALIGN(SIM_IRQ_FIRST_MSI, align);
	     base + blk <= SIM_NR_IRQS; base += align) {
		unsigned int i;

		for (i = 0; i < blk && !st->descs[base + i]; i++)
			;
		if (i == blk)
			return base;
	}
	return 0;
}

/*
 * Irqs for @blk vectors of @dev (the first @nvec usable), numbered from a
 * free block aligned to @align: the first irq, or -ENOMEM, -ENOSPC.
 */
static int irqs_alloc(struct pci_dev *dev, unsigned int nvec, unsigned int blk,
		      unsigned int align, bool msix)
{
	struct irq_state *st = irq_state_get(dev->dev.sim, true);
	struct irq_desc **descs;
	unsigned int base;
	int ret;

	if (!st)
		return -ENOMEM;
	descs = sim_kcalloc(st->m, blk, sizeof(*descs));
	if (!descs)
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
		descs[i]->msix = msix;
	}
	pthread_mutex_lock(&st->lock);
	base = irq_block_find(st, blk, align);
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
	sim_kfree(st->m, descs);
	return (int)base;

free_descs:
	for (unsigned int i = 0; i < blk; i++)
		if (descs[i])
			irq_desc_free(st, descs[i]);
	sim_kfree(st->m, descs);
	return ret;
}

/* The checks every enable makes (__pci_enable_msi{,x}_range()). */
static int enable_checks(struct pci_dev *dev, unsigned int minvec,
			 unsigned int maxvec, bool msix)
{
	struct sim_machine *m = dev->dev.sim;

	if (maxvec < minvec)
		return -ERANGE;
	if (msix ? dev->msix_enabled : dev->msi_enabled) {
		SIM_WARN(m, &dev->dev, "%s: %s is already enabled",
			 pci_name(dev), msix ? "MSI-X" : "MSI");
		return -EINVAL;
	}
	if (!minvec || pci_current_state(dev) != PCI_D0)
		return -EINVAL;
	if (msix ? dev->msi_enabled : dev->msix_enabled) {
		SIM_WARN(m, &dev->dev, "%s: can't enable %s (%s already enabled)",
			 pci_name(dev), msix ? "MSI-X" : "MSI",
			 msix ? "MSI" : "MSI-X");
		return -EINVAL;
	}
	return 0;
}

static int msix_enable_range(struct pci_dev *dev, unsigned int minvec,
			     unsigned int maxvec)
{
	unsigned int hw, nvec;
	phys_addr_t table;
	u16 flags;
	int base;
	u8 cap;

	base = enable_checks(dev, minvec, maxvec, true);
	if (base)
		return base;
	cap = pci_find_capability(dev, PCI_CAP_ID_MSIX);
	if (!cap)
		return -EINVAL;
	pci_read_config_word(dev, cap + PCI_MSIX_FLAGS, &flags);
	hw = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	if (hw < minvec)
		return -ENOSPC;
	nvec = min(hw, maxvec);
	base = irqs_alloc(dev, nvec, nvec, 1, true);
	if (base < 0)
		return base;

	/* enabled with every vector masked, entries written, mask dropped */
	pci_write_config_word(dev, cap + PCI_MSIX_FLAGS,
			      PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	table = msix_table(dev, cap);
	for (unsigned int i = 0; i < nvec; i++) {
		phys_addr_t e = table + (u64)PCI_MSIX_ENTRY_SIZE * i;

		msix_write_entry(dev, e, PCI_MSIX_ENTRY_VECTOR_CTRL,
				 PCI_MSIX_ENTRY_CTRL_MASKBIT);
		msix_write_entry(dev, e, PCI_MSIX_ENTRY_LOWER_ADDR,
				 (u32)SIM_MSI_ADDR_BASE);
		msix_write_entry(dev, e, PCI_MSIX_ENTRY_UPPER_ADDR, 0);
		msix_write_entry(dev, e, PCI_MSIX_ENTRY_DATA, (u32)base + i);
	}
	pci_write_config_word(dev, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE);
	dev->irq = (unsigned int)base;
	dev->msix_enabled = true;
	return (int)nvec;
}

static int msi_enable_range(struct pci_dev *dev, unsigned int minvec,
			    unsigned int maxvec)
{
	unsigned int hw, nvec, blk;
	u16 flags;
	int base;
	u8 cap;

	base = enable_checks(dev, minvec, maxvec, false);
	if (base)
		return base;
	cap = pci_find_capability(dev, PCI_CAP_ID_MSI);
	if (!cap)
		return -EINVAL;
	pci_read_config_word(dev, cap + PCI_MSI_FLAGS, &flags);
	hw = 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	if (hw < minvec)
		return -ENOSPC;
	nvec = min(hw, maxvec);
	blk = roundup_pow2(nvec);
	base = irqs_alloc(dev, nvec, blk, blk, false);
	if (base < 0)
		return base;

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
	dev->irq = (unsigned int)base;
	dev->msi_enabled = true;
	return (int)nvec;
}

int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs,
			  unsigned int max_vecs, unsigned int flags)
{
	int nvecs = -ENOSPC;

	if (!dev || !dev->sim || !dev->dev.sim)
		return -EINVAL;
	sim_set_current_machine(dev->dev.sim);
	if (flags & PCI_IRQ_MSIX) {
		nvecs = msix_enable_range(dev, min_vecs, max_vecs);
		if (nvecs > 0)
			return nvecs;
	}
	if (flags & PCI_IRQ_MSI) {
		nvecs = msi_enable_range(dev, min_vecs, max_vecs);
		if (nvecs > 0)
			return nvecs;
	}
	/* INTx: dev->irq would be the pin's line; no function has one */
	if ((flags & PCI_IRQ_INTX) && min_vecs == 1 && dev->irq &&
	    !dev->msi_enabled && !dev->msix_enabled)
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
	if (!dev->msi_enabled && !dev->msix_enabled)
		return nr == 0 && dev->irq ? (int)dev->irq : -EINVAL;
	st = irq_state_get(dev->dev.sim, false);
	irq = dev->irq + nr;
	if (!st || nr >= SIM_MSIX_MAX_VECTORS || irq >= SIM_NR_IRQS)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	desc = st->descs[irq];
	if (desc && (desc->pdev != dev || nr >= desc->nvec))
		desc = NULL;
	pthread_mutex_unlock(&st->lock);
	return desc ? (int)irq : -EINVAL;
}

/* @dev's irq number @i, if it is one of its vectors (st->lock held). */
static struct irq_desc *dev_desc(struct irq_state *st, struct pci_dev *dev,
				 unsigned int i)
{
	struct irq_desc *desc;

	if (i >= SIM_MSIX_MAX_VECTORS || dev->irq + i >= SIM_NR_IRQS)
		return NULL;
	desc = st->descs[dev->irq + i];
	return desc && desc->pdev == dev ? desc : NULL;
}

void pci_free_irq_vectors(struct pci_dev *dev)
{
	struct sim_machine *m;
	struct irq_desc *desc;
	struct irq_state *st;
	bool msix;
	u16 flags;
	u8 cap;

	if (!dev || !dev->sim || (!dev->msi_enabled && !dev->msix_enabled))
		return;
	m = dev->dev.sim;
	st = irq_state_get(m, false);
	if (!st)
		return;
	msix = dev->msix_enabled;
	pthread_mutex_lock(&st->lock);
	for (unsigned int i = 0; (desc = dev_desc(st, dev, i)); i++) {
		bool self;

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

	/* the device sends nothing more */
	cap = pci_find_capability(dev, msix ? PCI_CAP_ID_MSIX : PCI_CAP_ID_MSI);
	if (msix) {
		pci_write_config_word(dev, cap + PCI_MSIX_FLAGS, 0);
	} else {
		pci_read_config_word(dev, cap + PCI_MSI_FLAGS, &flags);
		pci_write_config_word(dev, cap + PCI_MSI_FLAGS,
				      flags & ~(PCI_MSI_FLAGS_ENABLE |
						PCI_MSI_FLAGS_QSIZE));
	}
	for (unsigned int i = 0;; i++) {
		struct irqaction *a;

		pthread_mutex_lock(&st->lock);
		desc = dev_desc(st, dev, i);
		if (desc)
			st->descs[desc->irq] = NULL;
		pthread_mutex_unlock(&st->lock);
		if (!desc)
			break;
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
	dev->msix_enabled = false;
}
