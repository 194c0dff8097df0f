/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/nic-regs.h>: the NIC's registers, the contract between its
 * model (src/models/nic.c, the hardware) and its drivers (src/drivers/
 * nic_core.c, nic_mr.c, nic_odp.c, kernel code that includes this and
 * <linux/...> only), an RDMA NIC reduced to what memory regions need
 * (compare mlx5's memory keys and their MTTs).
 *
 * The NIC reaches memory through memory keys (mkeys). An mkey is a
 * translation table of the NIC's own (the MTT, device memory the driver
 * fills through registers): entry i says where bytes of the region are on
 * the bus (a DMA address), and whether they may be written. A work request
 * names an mkey and a range of its region; the NIC walks the MTT and moves
 * the bytes by DMA. An entry that is not valid (or not writable, for a
 * write) stops the request with a page fault: the driver maps the page,
 * writes the entry and posts the rest (ODP). Invalidating an entry is one
 * register write, so once it returns the NIC does not use the old address.
 *
 * BAR0 (registers, at least NIC_BAR0_MIN bytes; 32-bit unless said):
 *   0x000 ID          reads NIC_ID
 *   0x004 MKEYS       mkeys the NIC has (slots fitting BAR0)
 *   0x008 MKEY_ALLOC  reading takes a free mkey and returns its index,
 *                     or NIC_MKEY_NONE when none is free
 *   0x1000 + i * NIC_MKEY_STRIDE: mkey i's registers
 *     +0x00 CTRL      w: NIC_CTRL_CREATE (a new MTT of NENTRIES entries of
 *                     1 << SHIFT bytes each, SHIFT 0: entries of any
 *                     length, placed by their start; all invalid; the
 *                     access bits of ACCESS), NIC_CTRL_ZAP (every entry
 *                     invalid), NIC_CTRL_DESTROY (free the MTT and the mkey)
 *     +0x04 NENTRIES  rw
 *     +0x08 SHIFT     rw
 *     +0x0c ACCESS    rw  NIC_ACCESS_READ | NIC_ACCESS_WRITE
 *     +0x10 STATUS    r   syndrome of the last command or work request
 *     +0x14 FAULT     r   the entry a NIC_SYND_PAGE_FAULT stopped at
 *     +0x18 BYTES     r   64-bit: bytes the last work request moved
 *     +0x20 MTT       w   a struct nic_mtte, written whole: one entry
 *     +0x40 WQE       w   a struct nic_wqe, written whole: the doorbell.
 *                     The NIC runs the request before the write returns
 *                     (a polled completion: STATUS, FAULT, BYTES).
 *
 * The far end of the link is outside the machine: a work request names it
 * by NIC_WQE wire, the address of the program's buffer that the bytes come
 * from (a receive) or go to (a send). Nothing of the machine is there.
 */
#ifndef _DMASTACK_NIC_REGS_H
#define _DMASTACK_NIC_REGS_H

#include <dmastack/types.h>

#define NIC_ID			0x4e1c0001u
#define NIC_BAR0_MIN		(64 * 1024)

#define NIC_REG_ID		0x000
#define NIC_REG_MKEYS		0x004
#define NIC_REG_MKEY_ALLOC	0x008
#define NIC_MKEY_NONE		0xffffffffu

#define NIC_MKEY_BASE		0x1000
#define NIC_MKEY_STRIDE		0x80
#define NIC_MKEY_CTRL		0x00
#define  NIC_CTRL_CREATE	1
#define  NIC_CTRL_ZAP		2
#define  NIC_CTRL_DESTROY	3
#define NIC_MKEY_NENTRIES	0x04
#define NIC_MKEY_SHIFT		0x08
#define NIC_MKEY_ACCESS		0x0c
#define  NIC_ACCESS_READ	0x1	/* the NIC may read the region */
#define  NIC_ACCESS_WRITE	0x2	/* the NIC may write it */
#define NIC_MKEY_STATUS		0x10
#define NIC_MKEY_FAULT		0x14
#define NIC_MKEY_BYTES		0x18
#define NIC_MKEY_MTT		0x20
#define NIC_MKEY_WQE		0x40

/* Most entries one MTT may have. */
#define NIC_MTT_MAX		(1u << 24)

/* STATUS syndromes */
#define NIC_SYND_OK		0
#define NIC_SYND_PAGE_FAULT	1	/* an entry is invalid or read-only */
#define NIC_SYND_ACCESS		2	/* the mkey forbids the access */
#define NIC_SYND_RANGE		3	/* outside the MTT */
#define NIC_SYND_DMA		4	/* a DMA failed (the bus said no) */
#define NIC_SYND_BAD_MKEY	5	/* the mkey has no MTT */
#define NIC_SYND_NO_RESOURCES	6	/* the MTT could not be made */
#define NIC_SYND_BAD_REQUEST	7	/* a malformed command or request */

/* An MTT entry, as written to NIC_MKEY_MTT (32 bytes). */
struct nic_mtte {
	u64 addr;		/* DMA address of the entry's first byte */
	u64 start;		/* its offset in the region (SHIFT 0 only) */
	u32 len;		/* its bytes (SHIFT 0 only) */
	u32 index;		/* which entry */
	u32 flags;		/* NIC_MTT_* */
	u32 rsvd;
};
#define NIC_MTT_VALID		0x1
#define NIC_MTT_WRITE		0x2

/* A work request, as written to NIC_MKEY_WQE (32 bytes). */
struct nic_wqe {
	u32 opcode;		/* NIC_OP_* */
	u32 rsvd;
	u64 offset;		/* in the region */
	u64 len;
	u64 wire;		/* the far end's buffer (see above) */
};
#define NIC_OP_SEND		1	/* read the region, out on the wire */
#define NIC_OP_RECV		2	/* from the wire, write the region */

#endif /* _DMASTACK_NIC_REGS_H */
