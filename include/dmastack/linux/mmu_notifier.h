/* SPDX-License-Identifier: MIT */
/*
 * MMU interval notifiers (include/linux/mmu_notifier.h): a mirror of part
 * of an address space (a device's page table, an ODP memory region) is
 * told before pages of it move or go, and a sequence count tells the
 * mirror whether what it read of the page table is still current:
 *
 *	seq = mmu_interval_read_begin(&sub);
 *	hmm_range_fault(&range)			(-EBUSY: begin again)
 *	lock the mirror; if mmu_interval_read_retry(&sub, seq): unlock and
 *	begin again; else program the device; unlock.
 *
 * The invalidate callback takes the mirror's lock, calls
 * mmu_interval_set_seq() and stops the device using the pages before it
 * returns; the page table changes only afterwards.
 */
#ifndef _DMASTACK_LINUX_MMU_NOTIFIER_H
#define _DMASTACK_LINUX_MMU_NOTIFIER_H

#include "types.h"
#include "mm_types.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mmu_notifier_event {
	MMU_NOTIFY_UNMAP = 0,
	MMU_NOTIFY_CLEAR,
	MMU_NOTIFY_PROTECTION_VMA,
	MMU_NOTIFY_PROTECTION_PAGE,
	MMU_NOTIFY_SOFT_DIRTY,
	MMU_NOTIFY_RELEASE,
	MMU_NOTIFY_MIGRATE,
	MMU_NOTIFY_EXCLUSIVE,
};

/* mmu_notifier_range::flags */
#define MMU_NOTIFIER_RANGE_BLOCKABLE	(1 << 0)

/*
 * What changes: [@start, @end) of @mm, for @event. Every invalidation
 * here may sleep (@flags has MMU_NOTIFIER_RANGE_BLOCKABLE); @owner is
 * NULL (no device-private migration).
 */
struct mmu_notifier_range {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	unsigned int flags;
	enum mmu_notifier_event event;
	void *owner;
};

static inline bool
mmu_notifier_range_blockable(const struct mmu_notifier_range *range)
{
	return range->flags & MMU_NOTIFIER_RANGE_BLOCKABLE;
}

struct mmu_interval_notifier;

struct mmu_interval_notifier_ops {
	/*
	 * Called with the process lock held before pages of [start, end)
	 * that overlap the notifier change. The mirror takes its own lock,
	 * calls mmu_interval_set_seq(@cur_seq), stops using and unmaps the
	 * pages, and returns true (every invalidation here may block).
	 */
	bool (*invalidate)(struct mmu_interval_notifier *interval_sub,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq);
};

/* Owned by the caller; fields are the process's while inserted. */
struct mmu_interval_notifier {
	const struct mmu_interval_notifier_ops *ops;
	struct mm_struct *mm;
	unsigned long start, last;	/* inclusive */
	unsigned long invalidate_seq;	/* use the helpers below */
	struct mmu_interval_notifier *next;
};

/*
 * Watch [@start, @start + @length) of @mm. 0, -EINVAL (empty, wrapping,
 * or already inserted). Takes the process lock.
 */
int mmu_interval_notifier_insert(struct mmu_interval_notifier *interval_sub,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long length,
				 const struct mmu_interval_notifier_ops *ops);
/* Stop watching; waits for a running invalidation (process lock). */
void mmu_interval_notifier_remove(struct mmu_interval_notifier *interval_sub);
/*
 * Begin a read side critical section: the sequence to pass to
 * mmu_interval_read_retry() once the mirror's lock is held. Waits for an
 * invalidation in progress (takes the process lock).
 */
unsigned long
mmu_interval_read_begin(struct mmu_interval_notifier *interval_sub);

/* In the invalidate callback, under the mirror's lock. */
static inline void
mmu_interval_set_seq(struct mmu_interval_notifier *interval_sub,
		     unsigned long cur_seq)
{
	__atomic_store_n(&interval_sub->invalidate_seq, cur_seq,
			 __ATOMIC_RELEASE);
}

/*
 * Under the mirror's lock: true if an invalidation ran since @seq was
 * read, and what was read must be read again.
 */
static inline bool
mmu_interval_read_retry(struct mmu_interval_notifier *interval_sub,
			unsigned long seq)
{
	return __atomic_load_n(&interval_sub->invalidate_seq,
			       __ATOMIC_ACQUIRE) != seq;
}

/* The same test without the mirror's lock: only a hint to stop early. */
static inline bool
mmu_interval_check_retry(struct mmu_interval_notifier *interval_sub,
			 unsigned long seq)
{
	return __atomic_load_n(&interval_sub->invalidate_seq,
			       __ATOMIC_RELAXED) != seq;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_MMU_NOTIFIER_H */
