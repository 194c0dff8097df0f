/* SPDX-License-Identifier: MIT */
/*
 * How an IOMMU unit is programmed: what its driver writes to RAM and to the
 * unit's registers, and what the unit reads back. This is the hardware's
 * side of the contract, as the VT-d and SMMUv3 specifications are; the
 * driver (src/kernel/iommu/sim-iommu.c) uses nothing else to make the unit translate.
 *
 * Requesters are named by their requester id, bus << 8 | devfn. The unit's
 * root-table register holds the physical address of a 4 KiB root table in
 * RAM: 256 entries of 16 bytes, one per bus, whose low word is
 *
 *   bit 0        present
 *   bits 63:12   physical address of the bus's context table (4 KiB)
 *
 * A context table has 256 entries of 16 bytes, one per devfn:
 *
 *   low word   bit 0       present (clear: every access faults)
 *              bits 3:1    mode: translate, passthrough or abort (below)
 *              bits 63:12  physical address of the page-table root
 *   high word  bits 15:0   domain id the IOTLB tags the entries with
 *
 * This is VT-d's root/context layout (legacy mode) with the translation
 * type widened to the three behaviours an SMMUv3 stream-table entry's
 * Config field gives (abort, bypass, translate), so both kinds of units
 * are programmed alike. The page-table root points to tables in the
 * unit's format (x86_64 second level, or arm64 LPAE with the unit's
 * granule), walked in RAM on an IOTLB miss. A write of 0 to the register
 * turns translation off: the unit then passes bus addresses through.
 *
 * Entries are read by the unit on every translation (there is no context
 * cache), the low word with acquire semantics: a driver writes the high
 * word first and the low word last, with a release store.
 */
#ifndef _DMASTACK_HW_IOMMU_UNIT_H
#define _DMASTACK_HW_IOMMU_UNIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <dmastack/types.h>

#define SIM_IOMMU_RT_PRESENT		(1ULL << 0)
#define SIM_IOMMU_CTX_PRESENT		(1ULL << 0)
#define SIM_IOMMU_CTX_MODE_SHIFT	1
#define SIM_IOMMU_CTX_MODE_MASK		(7ULL << SIM_IOMMU_CTX_MODE_SHIFT)
#define SIM_IOMMU_CTX_TRANSLATE		0ULL
#define SIM_IOMMU_CTX_PASSTHROUGH	1ULL
#define SIM_IOMMU_CTX_ABORT		2ULL
#define SIM_IOMMU_CTX_ADDR		(~0xfffULL)
#define SIM_IOMMU_CTX_DID_MASK		0xffffULL
#define SIM_IOMMU_CTX_ENTRY_SIZE	16

struct sim_machine;
struct sim_iommu_cfg;

/* Domain ids a unit can tag IOTLB entries with (VT-d DID, SMMUv3 ASID). */
#define SIM_IOMMU_DIDS		1024
#define SIM_IOMMU_MAX_LEVELS	6

struct iotlb_entry {
	u64 tag;		/* domain id << 48 | iova page frame, 0 = empty */
	phys_addr_t phys;	/* output page */
	int prot;
	unsigned int gen;	/* the domain's flush generation at fill */
};

/*
 * One IOMMU unit (platform line "iommu"): its registers, its IOTLB and its
 * counters. Made with the machine, whether or not a driver uses it.
 */
struct sim_iommu_hw {
	struct sim_machine *m;
	char id[32];
	bool x86;			/* VT-d; else SMMUv3 */
	unsigned long granule;
	unsigned int gshift;

	/* registers */
	_Atomic phys_addr_t root_table;	/* 0: translation off */
	struct {
		phys_addr_t base;	/* queue-base register */
		unsigned int head, tail;
		_Atomic unsigned long cmds, errors;
	} q;

	/* the walker's geometry, from the format and granule */
	unsigned int walk_levels;
	unsigned int walk_bits[SIM_IOMMU_MAX_LEVELS];
	unsigned int walk_shift[SIM_IOMMU_MAX_LEVELS];

	/* IOTLB: direct-mapped; a domain-selective invalidation bumps the
	 * domain id's generation; live entries are counted per domain id */
	/*
	 * Walks in flight hold it for reading; a sync command from the queue
	 * takes it for writing, so once a sync has completed no walk that
	 * began before it still reads the tables (the driver may free them).
	 */
	pthread_rwlock_t walk_lock;
	pthread_mutex_t tlb_lock;
	struct iotlb_entry *tlb;
	unsigned int tlb_entries;	/* power of two */
	_Atomic unsigned int did_gen[SIM_IOMMU_DIDS];
	unsigned int did_entries[SIM_IOMMU_DIDS];	/* tlb_lock */

	_Atomic unsigned long faults, tlb_hits, tlb_misses;
};

/* The units of @m, one per iommu line (machine construction/teardown). */
int sim_iommu_hw_create_all(struct sim_machine *m);
void sim_iommu_hw_destroy_all(struct sim_machine *m);
struct sim_iommu_hw *sim_iommu_hw_by_id(struct sim_machine *m, const char *id);

/* The root-table address register: 0 turns translation off. */
void sim_iommu_hw_set_root_table(struct sim_iommu_hw *u, phys_addr_t root);

/* What a walk of the page table in RAM found for one input address. */
struct sim_iommu_walk {
	phys_addr_t out;		/* output address of the granule */
	int prot;			/* IOMMU_READ|WRITE|CACHE|MMIO|... */
	u64 leaf_size;			/* bytes the leaf maps */
	phys_addr_t pte_phys;		/* where the leaf PTE is in RAM */
	phys_addr_t parent_pte_phys;	/* the table entry that led to the
					 * leaf's table, 0 for a root leaf */
	unsigned int level;		/* 0: the last level */
};

/*
 * sim_iommu_hw_walk - walk @u's format from @root for @iova, as the unit
 * does on an IOTLB miss: 0 and *@w, or -ENOENT (no valid leaf; the walk
 * stops at the first invalid entry or at one it cannot read).
 */
int sim_iommu_hw_walk(struct sim_iommu_hw *u, phys_addr_t root, u64 iova,
		      struct sim_iommu_walk *w);

/* A sync command: wait for the walks in flight. */
void sim_iommu_hw_walks_drain(struct sim_iommu_hw *u);

/* IOTLB invalidations, as the unit executes its queue's commands. */
void sim_iotlb_inval_range(struct sim_iommu_hw *u, unsigned int did, u64 pfn,
			   u64 pages);
void sim_iotlb_inval_domain(struct sim_iommu_hw *u, unsigned int did);

#endif /* _DMASTACK_HW_IOMMU_UNIT_H */
