/* SPDX-License-Identifier: MIT */
/*
 * The NIC driver's core (drivers/nic_core.c): finding the NIC, its memory
 * keys and work requests, over the registers of models/nic.h. Memory
 * regions (nic_mr.c over a dma-buf, nic_odp.c over a process) each own one
 * mkey and serialise every use of it with their own lock.
 */
#ifndef _DMASTACK_DRIVERS_NIC_H
#define _DMASTACK_DRIVERS_NIC_H

#include "internal.h"
#include "models/nic.h"

struct nic_mkey {
	struct device *nic;
	struct sim_machine *m;
	phys_addr_t regs;	/* CPU address of the mkey's registers */
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

#endif /* _DMASTACK_DRIVERS_NIC_H */
