/* SPDX-License-Identifier: MIT */
/*
 * Heterogeneous Memory Management, the part a DMA mirror needs
 * (include/linux/hmm.h; the DMA side is <linux/hmm-dma.h>):
 *
 *  - hmm_range_fault() fills an array of "hmm pfns" (a page frame number
 *    with flags in the top bits) for a range of a process address space,
 *    faulting pages in when asked, through the range's interval notifier
 *    (<linux/mmu_notifier.h>) on its address space (struct mm_struct).
 *  - (<linux/hmm-dma.h>) struct hmm_dma_map keeps a mirror's pfns and, when it must, their DMA
 *    addresses. hmm_dma_map_alloc() allocates ONE IOVA range for the whole
 *    mirror when the device is behind an IOMMU, so that mapping a page
 *    later is a page-table write (dma_iova_link() + dma_iova_sync()) and
 *    no DMA address needs storing: it is state.addr + idx * entry size.
 *    Without an IOMMU each entry is mapped with dma_map_phys() and its
 *    address kept in dma_list (only when dma_need_unmap()).
 *  - Three "sticky" flags (HMM_PFN_DMA_MAPPED, HMM_PFN_P2PDMA,
 *    HMM_PFN_P2PDMA_BUS) are the mirror's own: hmm_range_fault() carries
 *    them from input to output, so a refill of an entry never forgets that
 *    it is DMA mapped.
 */
#ifndef _DMASTACK_LINUX_HMM_H
#define _DMASTACK_LINUX_HMM_H

#include "types.h"
#include "mm.h"
#include "mmu_notifier.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HMM_BITS_PER_LONG	(8 * (int)sizeof(unsigned long))

/*
 * hmm pfn flags, the kernel's enum (its values do not fit an int: GNU C,
 * as the kernel is written in).
 *
 * On output:
 * 0                  - the page is not present (no fault was asked for)
 * HMM_PFN_VALID      - the pfn field is a page the CPU maps
 * HMM_PFN_WRITE      - the CPU may write it (requires HMM_PFN_VALID)
 * HMM_PFN_ERROR      - the address cannot be accessed (no mapping there)
 * HMM_PFN_DMA_MAPPED - sticky: the mirror has DMA mapped this entry
 * HMM_PFN_P2PDMA     - sticky: P2P page mapped through the host bridge
 * HMM_PFN_P2PDMA_BUS - sticky: P2P page reached with a PCI bus address
 *
 * On input:
 * 0                  - report the current state, do not fault
 * HMM_PFN_REQ_FAULT  - fault the page in (read) if it is not present
 * HMM_PFN_REQ_WRITE  - fault it in for write (with HMM_PFN_REQ_FAULT)
 */
enum hmm_pfn_flags {
	HMM_PFN_VALID = 1UL << (HMM_BITS_PER_LONG - 1),
	HMM_PFN_WRITE = 1UL << (HMM_BITS_PER_LONG - 2),
	HMM_PFN_ERROR = 1UL << (HMM_BITS_PER_LONG - 3),
	/* Sticky flags, carried from input to output */
	HMM_PFN_DMA_MAPPED = 1UL << (HMM_BITS_PER_LONG - 4),
	HMM_PFN_P2PDMA = 1UL << (HMM_BITS_PER_LONG - 5),
	HMM_PFN_P2PDMA_BUS = 1UL << (HMM_BITS_PER_LONG - 6),
	HMM_PFN_ORDER_SHIFT = (HMM_BITS_PER_LONG - 11),
	HMM_PFN_REQ_FAULT = HMM_PFN_VALID,
	HMM_PFN_REQ_WRITE = HMM_PFN_WRITE,
	/* Every bit that is not the pfn: flags and the mapping order. */
	HMM_PFN_FLAGS = ~((1UL << HMM_PFN_ORDER_SHIFT) - 1),
	/* The flags hmm_range_fault() leaves as it found them. */
	HMM_PFN_INOUT_FLAGS = HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA |
			      HMM_PFN_P2PDMA_BUS,
};

static inline unsigned long hmm_pfn_to_pfn(unsigned long hmm_pfn)
{
	return hmm_pfn & ~HMM_PFN_FLAGS;
}

/* hmm_pfn_to_phys() - the physical address an entry points to */
static inline phys_addr_t hmm_pfn_to_phys(unsigned long hmm_pfn)
{
	return PFN_PHYS(hmm_pfn & ~HMM_PFN_FLAGS);
}

/* hmm_pfn_to_map_order() - log2 of the CPU mapping's size in pages */
static inline unsigned int hmm_pfn_to_map_order(unsigned long hmm_pfn)
{
	return (unsigned int)((hmm_pfn >> HMM_PFN_ORDER_SHIFT) & 0x1F);
}

/* The page an entry points to, of the current machine (<linux/mm.h>). */
static inline struct page *hmm_pfn_to_page(unsigned long hmm_pfn)
{
	return pfn_to_page(hmm_pfn_to_pfn(hmm_pfn));
}

/*
 * struct hmm_range - what hmm_range_fault() walks
 * @notifier: the interval notifier covering the range
 * @notifier_seq: mmu_interval_read_begin() of @notifier
 * @start: first address (page aligned)
 * @end: one past the last address (page aligned)
 * @hmm_pfns: (end - start) >> PAGE_SHIFT entries, in and out
 * @default_flags: HMM_PFN_REQ_* applied to every entry
 * @pfn_flags_mask: which input bits of each entry are requests too
 * @dev_private_owner: unused (no device-private memory here)
 */
struct hmm_range {
	struct mmu_interval_notifier *notifier;
	unsigned long notifier_seq;
	unsigned long start;
	unsigned long end;
	unsigned long *hmm_pfns;
	unsigned long default_flags;
	unsigned long pfn_flags_mask;
	void *dev_private_owner;
};

/*
 * Fill @range->hmm_pfns from the process page table of the notifier's
 * process, faulting in what the requests ask for. 0, -EINVAL (unaligned or
 * empty range), -EBUSY (an invalidation ran since notifier_seq: begin
 * again), -EFAULT (a fault asked for outside the address space), -EPERM
 * (write asked for a read-only page), -ENOMEM. The caller holds
 * mmap_read_lock() of the notifier's mm as in the kernel (not checked
 * here: the page-table lock is taken inside).
 */
int hmm_range_fault(struct hmm_range *range);

/*
 * How long a mirror keeps retrying hmm_range_fault() on -EBUSY, in ms
 * (the kernel's value).
 */
#define HMM_RANGE_DEFAULT_TIMEOUT 1000

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_HMM_H */
