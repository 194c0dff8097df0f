// SPDX-License-Identifier: MIT
/*
 * The NIC driver's core: binding to a NIC (the PCI id, then the ID
 * register) and the mkey commands of <dmastack/nic-regs.h>, as mlx5_core
 * gives its memory-region users mkeys, MTT updates (UMR) and work queues.
 *
 * Kernel code, built as a module is (<linux/...> headers, and <dmastack/...>
 * for the NIC's register contract and the drivers' interface to programs).
 * Registers are reached through BAR0 mapped with pci_iomap() and
 * readl()/writel(); an mkey keeps its own mapping. An mkey's registers are
 * used only by the region that owns it, under that region's lock; the NIC
 * hands out mkeys atomically (a read of MKEY_ALLOC).
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <dmastack/sim.h>
#include "nic.h"

#define PCI_VENDOR_ID_MELLANOX	0x15b3
#define NIC_PCI_DEVICE		0x1021

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
	void __iomem *bar;
	u32 id;

	if (!dev || !dev->sim || !dev_is_pci(dev))
		return dev && dev->sim ? -ENODEV : -EINVAL;
	pdev = to_pci_dev(dev);
	if (pdev->vendor != PCI_VENDOR_ID_MELLANOX ||
	    pdev->device != NIC_PCI_DEVICE ||
	    pci_resource_len(pdev, 0) < NIC_BAR0_MIN)
		return -ENODEV;
	bar = pci_iomap(pdev, 0, NIC_REG_ID + 4);
	if (!bar)
		return -ENOMEM;
	id = readl(bar + NIC_REG_ID);
	pci_iounmap(pdev, bar);
	if (id != NIC_ID)
		return -ENODEV;
	dev->driver_name = "mlx5_core";
	return 0;
}

/**
 * nic_mkey_alloc - take a free mkey of @nic
 * @nic: a NIC that nic_probe() accepted
 * @mk: filled with the mkey's registers
 *
 * BAR0 is mapped for the mkey's life; nic_mkey_destroy() unmaps it.
 *
 * Return: 0, -ENOSPC when the NIC has none free, -ENOMEM (no mapping).
 */
int nic_mkey_alloc(struct device *nic, struct nic_mkey *mk)
{
	struct pci_dev *pdev = to_pci_dev(nic);
	void __iomem *bar = pci_iomap(pdev, 0, 0);
	u32 idx;

	if (!bar)
		return -ENOMEM;
	idx = readl(bar + NIC_REG_MKEY_ALLOC);
	if (idx == NIC_MKEY_NONE) {
		pci_iounmap(pdev, bar);
		return -ENOSPC;
	}
	mk->nic = nic;
	mk->bar = bar;
	mk->index = idx;
	mk->regs = bar + NIC_MKEY_BASE + (size_t)idx * NIC_MKEY_STRIDE;
	return 0;
}

static u32 mkey_status(struct nic_mkey *mk)
{
	return readl(mk->regs + NIC_MKEY_STATUS);
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
	writel(nentries, mk->regs + NIC_MKEY_NENTRIES);
	writel(shift, mk->regs + NIC_MKEY_SHIFT);
	writel(access, mk->regs + NIC_MKEY_ACCESS);
	writel(NIC_CTRL_CREATE, mk->regs + NIC_MKEY_CTRL);
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

	/* the entry is one posted write of the whole of it */
	memcpy_toio(mk->regs + NIC_MKEY_MTT, &e, sizeof(e));
}

/* nic_mkey_status - 0, or the errno of the mkey's last command's syndrome */
int nic_mkey_status(struct nic_mkey *mk)
{
	return synd_errno(mkey_status(mk));
}

/* nic_mkey_zap - invalidate every entry of @mk's MTT (move_notify's UMR) */
int nic_mkey_zap(struct nic_mkey *mk)
{
	writel(NIC_CTRL_ZAP, mk->regs + NIC_MKEY_CTRL);
	return synd_errno(mkey_status(mk));
}

/*
 * nic_mkey_destroy - free @mk's MTT, give the mkey back to the NIC and
 * unmap BAR0
 */
void nic_mkey_destroy(struct nic_mkey *mk)
{
	writel(NIC_CTRL_DESTROY, mk->regs + NIC_MKEY_CTRL);
	pci_iounmap(to_pci_dev(mk->nic), mk->bar);
	mk->bar = mk->regs = NULL;
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

	/* the doorbell: the NIC runs the request before the write returns */
	memcpy_toio(mk->regs + NIC_MKEY_WQE, &w, sizeof(w));
	synd = mkey_status(mk);
	*bytes = readq(mk->regs + NIC_MKEY_BYTES);
	/* all ones: the read failed (the NIC does not answer), nothing moved */
	if (*bytes == ~0ULL)
		*bytes = 0;
	*fault = readl(mk->regs + NIC_MKEY_FAULT);
	return synd_errno(synd);
}

/* ------------------------------------------------------------------------ */
/* Entry from programs and callbacks                                        */
/* ------------------------------------------------------------------------ */

/*
 * The regions' entry points are called by programs, and their callbacks
 * (move_notify, the interval notifier) by whatever thread moves the
 * buffer or the process: like a system call or an interrupt entering the
 * kernel, they run on the NIC's machine, so the MMIO accessors and the
 * allocators act on it whatever thread calls.
 */
struct sim_machine *nic_enter(struct device *nic)
{
	return sim_set_current_machine(nic->sim);
}

void nic_leave(struct sim_machine *prev)
{
	sim_set_current_machine(prev);
}
