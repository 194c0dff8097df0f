/* SPDX-License-Identifier: MIT */
/*
 * The NIC driver's core (drivers/nic_core.c): finding the NIC, its memory
 * keys and work requests, over the registers of <dmastack/nic-regs.h>.
 * Memory regions (nic_mr.c over a dma-buf, nic_odp.c over a process) each
 * own one mkey and serialise every use of it with their own lock.
 *
 * Kernel code: the mkey calls run on the NIC's machine (the region's
 * entry points and callbacks enter it, nic_enter()).
 */
#ifndef _DMASTACK_DRIVERS_NIC_H
#define _DMASTACK_DRIVERS_NIC_H

#include <linux/types.h>
#include <linux/device.h>
#include <linux/io.h>
#include <dmastack/nic-regs.h>

struct sim_machine;

struct nic_mkey {
	struct device *nic;
	void __iomem *bar;	/* BAR0, pci_iomap()ed for the mkey's life */
	void __iomem *regs;	/* the mkey's registers in it */
	u32 index;
};

int nic_probe(struct device *dev);
int nic_mkey_alloc(struct device *nic, struct nic_mkey *mk);
int nic_mkey_create(struct nic_mkey *mk, u32 nentries, u32 shift,
		    u32 access);
void nic_mkey_set(struct nic_mkey *mk, u32 index, u64 addr, u64 start,
		  u32 len, u32 flags);
int nic_mkey_status(struct nic_mkey *mk);
int nic_mkey_zap(struct nic_mkey *mk);
void nic_mkey_destroy(struct nic_mkey *mk);
int nic_mkey_post(struct nic_mkey *mk, u32 opcode, u64 offset, void *wire,
		  u64 len, u64 *bytes, u32 *fault);

/*
 * Entry from programs and from callbacks of other threads: run on @nic's
 * machine (as a system call or an interrupt enters the kernel), so MMIO
 * and the allocators act on it; nic_leave() restores the caller's.
 */
struct sim_machine *nic_enter(struct device *nic);
void nic_leave(struct sim_machine *prev);

#endif /* _DMASTACK_DRIVERS_NIC_H */
