// SPDX-License-Identifier: MIT
/*
 * The NIC driver's core: binding to a NIC (the PCI id, then the ID
 * register) and the mkey commands of models/nic.h, as mlx5_core gives its
 * memory-region users mkeys, MTT updates (UMR) and work queues.
 *
 * Registers are reached by CPU MMIO of BAR0. An mkey's registers are used
 * only by the region that owns it, under that region's lock; the NIC
 * hands out mkeys atomically (a read of MKEY_ALLOC).
 */
#include <string.h>
#include "drivers/nic.h"

#define PCI_VENDOR_ID_MELLANOX	0x15b3
#define NIC_PCI_DEVICE		0x1021

static u32 nic_readl(struct sim_machine *m, phys_addr_t a)
{
	u32 v;

	if (sim_mmio_read(m, a, &v, 4))
		return ~0u;
	return v;
}

static void nic_writel(struct sim_machine *m, phys_addr_t a, u32 v)
{
	sim_mmio_write(m, a, &v, 4);
}

/**
 * nic_probe - is @dev a NIC this driver drives? Bind it if so.
 * @dev: a device
 *
 * Matches the PCI id, then checks the ID register. The driver's name is
 * the device's from then on, so reports name it.
 *
 * Return: 0, -EINVAL (no machine), -ENODEV (not a NIC of ours).
 */
int nic_probe(struct device *dev)
{
	struct pci_dev *pdev;

	if (!dev || !dev->sim || !dev_is_pci(dev))
		return dev && dev->sim ? -ENODEV : -EINVAL;
	pdev = to_pci_dev(dev);
	if (pdev->vendor != PCI_VENDOR_ID_MELLANOX ||
	    pdev->device != NIC_PCI_DEVICE ||
	    pci_resource_len(pdev, 0) < NIC_BAR0_MIN ||
	    nic_readl(dev->sim, pci_resource_start(pdev, 0) + NIC_REG_ID) !=
	    NIC_ID)
		return -ENODEV;
	dev->driver_name = "mlx5_core";
	return 0;
}

/**
 * nic_mkey_alloc - take a free mkey of @nic
 * @nic: a NIC that nic_probe() accepted
 * @mk: filled with the mkey's registers
 *
 * Return: 0, or -ENOSPC when the NIC has none free.
 */
int nic_mkey_alloc(struct device *nic, struct nic_mkey *mk)
{
	phys_addr_t bar = pci_resource_start(to_pci_dev(nic), 0);
	u32 idx = nic_readl(nic->sim, bar + NIC_REG_MKEY_ALLOC);

	if (idx == NIC_MKEY_NONE)
		return -ENOSPC;
	mk->nic = nic;
	mk->m = nic->sim;
	mk->index = idx;
	mk->regs = bar + NIC_MKEY_BASE + (phys_addr_t)idx * NIC_MKEY_STRIDE;
	return 0;
}

static u32 mkey_status(struct nic_mkey *mk)
{
	return nic_readl(mk->m, mk->regs + NIC_MKEY_STATUS);
}

static int synd_errno(u32 synd)
{
	switch (synd) {
	case NIC_SYND_OK:		return 0;
	case NIC_SYND_PAGE_FAULT:	return -EAGAIN;
	case NIC_SYND_ACCESS:		return -EACCES;
	case NIC_SYND_RANGE:		return -EINVAL;
	case NIC_SYND_NO_RESOURCES:	return -ENOMEM;
	case NIC_SYND_BAD_MKEY:		return -ENXIO;
	case NIC_SYND_BAD_REQUEST:	return -EINVAL;
	default:			return -EIO;	/* NIC_SYND_DMA */
	}
}

/**
 * nic_mkey_create - give @mk a new, empty MTT
 * @mk: the mkey (its old MTT, if any, is dropped)
 * @nentries: entries
 * @shift: log2 of every entry's bytes, or 0 for entries placed by
 *	nic_mkey_set()'s start and length
 * @access: NIC_ACCESS_READ | NIC_ACCESS_WRITE
 *
 * Return: 0, -ENOMEM (the NIC is out of MTT memory), -EINVAL.
 */
int nic_mkey_create(struct nic_mkey *mk, u32 nentries, u32 shift, u32 access)
{
	nic_writel(mk->m, mk->regs + NIC_MKEY_NENTRIES, nentries);
	nic_writel(mk->m, mk->regs + NIC_MKEY_SHIFT, shift);
	nic_writel(mk->m, mk->regs + NIC_MKEY_ACCESS, access);
	nic_writel(mk->m, mk->regs + NIC_MKEY_CTRL, NIC_CTRL_CREATE);
	return synd_errno(mkey_status(mk));
}

/**
 * nic_mkey_set - write MTT entry @index (the UMR of one entry)
 * @mk: the mkey
 * @index: the entry
 * @addr: DMA address of its first byte
 * @start: its offset in the region (entries of any length only)
 * @len: its bytes (entries of any length only)
 * @flags: NIC_MTT_VALID, NIC_MTT_WRITE; 0 invalidates the entry
 *
 * A posted write: once it returns the NIC uses the new entry and never the
 * old one. An entry the NIC refuses (the driver's bug) is reported by it,
 * and nic_mkey_status() says so.
 */
void nic_mkey_set(struct nic_mkey *mk, u32 index, u64 addr, u64 start,
		  u32 len, u32 flags)
{
	struct nic_mtte e = {
		.addr = addr, .start = start, .len = len, .index = index,
		.flags = flags,
	};

	sim_mmio_write(mk->m, mk->regs + NIC_MKEY_MTT, &e, sizeof(e));
}

/* nic_mkey_status - 0, or the errno of the mkey's last command's syndrome */
int nic_mkey_status(struct nic_mkey *mk)
{
	return synd_errno(mkey_status(mk));
}

/* nic_mkey_zap - invalidate every entry of @mk's MTT (move_notify's UMR) */
int nic_mkey_zap(struct nic_mkey *mk)
{
	nic_writel(mk->m, mk->regs + NIC_MKEY_CTRL, NIC_CTRL_ZAP);
	return synd_errno(mkey_status(mk));
}

/* nic_mkey_destroy - free @mk's MTT and give the mkey back to the NIC */
void nic_mkey_destroy(struct nic_mkey *mk)
{
	nic_writel(mk->m, mk->regs + NIC_MKEY_CTRL, NIC_CTRL_DESTROY);
}

/**
 * nic_mkey_post - post a work request on @mk and wait for its completion
 * @mk: the mkey
 * @opcode: NIC_OP_SEND (the NIC reads the region) or NIC_OP_RECV (writes)
 * @offset: where in the region
 * @wire: the far end's @len bytes
 * @len: bytes
 * @bytes: the bytes moved
 * @fault: the MTT entry a page fault stopped at
 *
 * Return: 0; -EAGAIN (a page fault: map entry @fault, post the rest);
 * -EACCES (the mkey forbids it); -EINVAL (outside the MTT); -EIO (a DMA
 * failed); -ENXIO (the mkey has no MTT).
 */
int nic_mkey_post(struct nic_mkey *mk, u32 opcode, u64 offset, void *wire,
		  u64 len, u64 *bytes, u32 *fault)
{
	struct nic_wqe w = {
		.opcode = opcode, .offset = offset, .len = len,
		.wire = (u64)(uintptr_t)wire,
	};
	u32 synd;

	sim_mmio_write(mk->m, mk->regs + NIC_MKEY_WQE, &w, sizeof(w));
	synd = mkey_status(mk);
	if (sim_mmio_read(mk->m, mk->regs + NIC_MKEY_BYTES, bytes, 8))
		*bytes = 0;
	*fault = nic_readl(mk->m, mk->regs + NIC_MKEY_FAULT);
	return synd_errno(synd);
}
