/* SPDX-License-Identifier: MIT */
/*
 * The bus observer interface: how the machine offers every device
 * transaction to whoever wants to check it, without naming any checker.
 *
 * The router (route.c) builds one struct sim_bus_txn per sim_dma_read/write
 * call and, for every TLP of it that reaches a target (RAM or a BAR), one
 * struct sim_bus_access, offered to the observers in registration order
 * before any data moves. Observers are the kernel's business (dma-debug's
 * device-access checks, the revoked-MMIO registry); hardware code only
 * calls through this list. The precedents are the kernel's bus notifiers
 * and report_iommu_fault()'s domain handler.
 *
 * The list is built while the machine boots and is fixed afterwards, so the
 * router reads it without a lock.
 */
#ifndef _DMASTACK_HW_BUS_H
#define _DMASTACK_HW_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <dmastack/types.h>

struct device;
struct sim_machine;

/* Observers per machine; each gets one "spoke" bit per transaction. */
#define SIM_BUS_MAX_OBSERVERS	8

/* One device access: a sim_dma_read() or sim_dma_write() call. */
struct sim_bus_txn {
	struct device *dev;		/* the requester */
	bool write;
	/*
	 * Report groups that have spoken for this access (bit = group):
	 * a checker reports one problem per access, however many TLPs it
	 * takes, and checkers of one group speak once between them.
	 */
	unsigned int spoke;
};

enum sim_bus_target {
	SIM_BUS_RAM,
	SIM_BUS_BAR,
};

/* One TLP of a transaction, at its target, before data moves. */
struct sim_bus_access {
	struct sim_bus_txn *txn;
	dma_addr_t addr;		/* on the link: bus address or IOVA */
	phys_addr_t phys;		/* where it lands (CPU physical) */
	size_t len;			/* never crosses a 4 KiB boundary */
	enum sim_bus_target target;
	bool via_root;			/* through the root complex, not a peer
					 * below a switch */
	bool coherent;			/* the requester snoops CPU caches */
	/* SIM_BUS_BAR only */
	struct device *owner;		/* the function the BAR belongs to */
	int bar;
	bool decodes;			/* false: the access will fail */
	const char *path;		/* how it got there, for reports */
	/*
	 * Out: what an observer adds to the router's failure report when
	 * the BAR does not decode (empty: nothing). @note_len bytes.
	 */
	char *note;
	size_t note_len;
	/*
	 * Out (SIM_BUS_RAM only): an observer sets *@own_view to have this
	 * TLP of a snooping requester use the memory view of RAM without
	 * snooping, as a non-coherent device's does (a check mode that
	 * gives a device its own view of memory). NULL: not offered.
	 */
	bool *own_view;
};

/* An IOMMU unit's answer for one TLP of a transaction. */
struct sim_bus_translation {
	struct sim_bus_txn *txn;
	dma_addr_t addr;		/* the TLP's address and length */
	size_t len;
	u64 iova;			/* granule-aligned input address */
	phys_addr_t out;		/* what the unit translated it to */
	int prot;			/* IOMMU_* bits it used */
	bool iotlb_hit;			/* from the IOTLB, not a walk */
};

/*
 * An IOMMU fault on one TLP, offered to the observers before it is
 * reported, so that the kernel side can say what the address used to be
 * (the hardware only knows there is no translation). Like a BAR access's
 * @note, what observers write into @note is added to the fault report.
 */
enum sim_bus_fault_kind {
	SIM_BUS_FAULT_NOT_MAPPED,	/* the page table has no translation */
	SIM_BUS_FAULT_PERMISSION,	/* mapped without the access's right */
	SIM_BUS_FAULT_CONTEXT,		/* no context, or a blocking domain */
};

struct sim_bus_fault {
	struct sim_bus_txn *txn;	/* NULL when not from a transaction */
	struct device *dev;		/* the requester */
	u64 iova;			/* the TLP's address and length */
	size_t len;
	bool write;
	enum sim_bus_fault_kind kind;
	unsigned long granule;		/* the unit's translation granule */
	/* Out: text for the fault report, @note_len bytes (empty: none). */
	char *note;
	size_t note_len;
};

struct sim_bus_observer;

struct sim_bus_observer_ops {
	/*
	 * A TLP reaches its target. @spoke: this observer's group already
	 * reported for the transaction. Return true if it reported now.
	 * Called with no machine lock held, from the requester's thread.
	 */
	bool (*access)(struct sim_bus_observer *o,
		       const struct sim_bus_access *a, bool spoke);
	/*
	 * Optional: an IOMMU translated a TLP (before its permission
	 * check). Same return convention and context as @access.
	 */
	bool (*translated)(struct sim_bus_observer *o,
			   const struct sim_bus_translation *t, bool spoke);
	/*
	 * Optional: an IOMMU is about to report a fault. The observer may
	 * append to @f->note (keeping it NUL-terminated); it reports
	 * nothing itself. Same context as @access.
	 */
	void (*fault)(struct sim_bus_observer *o, struct sim_bus_fault *f);
};

struct sim_bus_observer {
	const struct sim_bus_observer_ops *ops;
	unsigned int group;		/* < 32: observers that speak once
					 * per transaction between them */
};

struct sim_bus {
	struct sim_bus_observer *observers[SIM_BUS_MAX_OBSERVERS];
	unsigned int nr_observers;
};

/**
 * sim_bus_observer_add - offer @m's device transactions to @o
 * @m: the machine, while it boots (before any device may DMA)
 * @o: owned by the caller, which keeps it until sim_bus_observer_del()
 *
 * Return: 0, -EINVAL (bad group), -ENOSPC (too many observers), -EBUSY
 * (already added).
 */
int sim_bus_observer_add(struct sim_machine *m, struct sim_bus_observer *o);

/**
 * sim_bus_observer_del - stop offering transactions to @o
 * @m: the machine, at teardown (no device accesses any more)
 * Removing an observer that was never added does nothing.
 */
void sim_bus_observer_del(struct sim_machine *m, struct sim_bus_observer *o);

/*
 * sim_bus_offer - the router offers one TLP to every observer, in order.
 * Returns true if any observer reported.
 */
bool sim_bus_offer(struct sim_machine *m, struct sim_bus_access *a);
/* The same for a translation (observers with a @translated op). */
bool sim_bus_offer_translation(struct sim_machine *m,
			       const struct sim_bus_translation *t);

/* The same for an IOMMU fault: each observer with a @fault op may add a note. */
void sim_bus_offer_fault(struct sim_machine *m, struct sim_bus_fault *f);

/* An observer of group @group may now consider the transaction spoken for. */
static inline void sim_bus_txn_mark_spoken(struct sim_bus_txn *t,
					   unsigned int group)
{
	t->spoke |= 1u << group;
}

static inline bool sim_bus_txn_spoken(const struct sim_bus_txn *t,
				      unsigned int group)
{
	return t->spoke & (1u << group);
}

#endif /* _DMASTACK_HW_BUS_H */
