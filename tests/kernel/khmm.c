// SPDX-License-Identifier: MIT
/*
 * A device's mirror of user memory, as HMM drivers write it: an interval
 * notifier on the task's mm, a fault path that reads the CPU page table
 * with hmm_range_fault() and maps what it found with hmm_dma_map_pfn()
 * (an IOVA range linked page by page behind an IOMMU, dma_map_phys()
 * without), and an invalidate callback that stops the device and unmaps
 * before the CPU page table changes. The user memory is vm_mmap()ed into
 * current->mm.
 */
#include <linux/container_of.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/hmm-dma.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "kmod.h"

#define KHMM_MAX_FAULT	16	/* pages one fault reads */

struct khmm_mirror {
	struct mmu_interval_notifier notifier;
	struct mutex lock;		/* the device's view: map and counters */
	struct device *dev;
	struct hmm_dma_map map;
	unsigned long start;		/* user address of entry 0 */
	unsigned long npages;
	unsigned long invalidations;	/* callbacks that unmapped a page */
	unsigned long unmapped;		/* pages they unmapped */
	unsigned long retries;		/* faults begun again */
};

static bool khmm_invalidate(struct mmu_interval_notifier *mni,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	struct khmm_mirror *mirror =
		container_of(mni, struct khmm_mirror, notifier);
	unsigned long start = max(range->start, mirror->start);
	unsigned long end = min(range->end,
				mirror->start + mirror->npages * PAGE_SIZE);
	unsigned long addr, n = 0;

	if (!mmu_notifier_range_blockable(range))
		return false;

	mutex_lock(&mirror->lock);
	mmu_interval_set_seq(mni, cur_seq);
	for (addr = start; addr < end; addr += PAGE_SIZE)
		if (hmm_dma_unmap_pfn(mirror->dev, &mirror->map,
				      (addr - mirror->start) >> PAGE_SHIFT))
			n++;
	if (n) {
		mirror->invalidations++;
		mirror->unmapped += n;
	}
	mutex_unlock(&mirror->lock);
	return true;
}

static const struct mmu_interval_notifier_ops khmm_notifier_ops = {
	.invalidate = khmm_invalidate,
};

struct khmm_mirror *khmm_mirror_new(struct device *dev, unsigned long npages)
{
	struct mm_struct *mm = current->mm;
	struct khmm_mirror *mirror;
	unsigned long addr;
	int ret;

	if (!mm)
		return ERR_PTR(-EINVAL);
	mirror = kzalloc(sizeof(*mirror), GFP_KERNEL);
	if (!mirror)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mirror->lock);
	mirror->dev = dev;
	mirror->npages = npages;

	addr = vm_mmap(NULL, 0, npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(addr)) {
		ret = (int)addr;
		goto err_free;
	}
	mirror->start = addr;

	ret = hmm_dma_map_alloc(dev, &mirror->map, npages, PAGE_SIZE);
	if (ret)
		goto err_munmap;
	ret = mmu_interval_notifier_insert(&mirror->notifier, mm, addr,
					   npages * PAGE_SIZE,
					   &khmm_notifier_ops);
	if (ret)
		goto err_map_free;
	return mirror;

err_map_free:
	hmm_dma_map_free(dev, &mirror->map);
err_munmap:
	vm_munmap(addr, npages * PAGE_SIZE);
err_free:
	kfree(mirror);
	return ERR_PTR(ret);
}

unsigned long khmm_mirror_addr(struct khmm_mirror *mirror)
{
	return mirror->start;
}

/*
 * Fault [idx, idx + n) in for the device and map it. With @fill, the
 * pages are written (through their kernel mapping, under the mirror's
 * lock, so the device sees them before any invalidation can run) with
 * bytes from @seed. The DMA address of entry @idx goes to *@dma.
 */
static int khmm_fault_fill(struct khmm_mirror *mirror, unsigned long idx,
			   unsigned long n, const unsigned char *seed,
			   unsigned long long *dma)
{
	unsigned long pfns[KHMM_MAX_FAULT];
	struct hmm_range range = {
		.notifier = &mirror->notifier,
		.start = mirror->start + idx * PAGE_SIZE,
		.end = mirror->start + (idx + n) * PAGE_SIZE,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
	};
	struct mm_struct *mm = mirror->notifier.mm;
	unsigned long timeout =
		jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	unsigned long i;
	dma_addr_t addr;
	int ret;

	if (!n || n > KHMM_MAX_FAULT || idx + n > mirror->npages)
		return -EINVAL;
again:
	memset(pfns, 0, sizeof(pfns));
	range.notifier_seq = mmu_interval_read_begin(range.notifier);
	mmap_read_lock(mm);
	ret = hmm_range_fault(&range);
	mmap_read_unlock(mm);
	if (ret) {
		if (ret == -EBUSY && !time_after(jiffies, timeout)) {
			mutex_lock(&mirror->lock);
			mirror->retries++;
			mutex_unlock(&mirror->lock);
			goto again;
		}
		return ret;
	}

	mutex_lock(&mirror->lock);
	if (mmu_interval_read_retry(range.notifier, range.notifier_seq)) {
		mirror->retries++;
		mutex_unlock(&mirror->lock);
		goto again;
	}
	for (i = 0; i < n; i++) {
		unsigned long *entry = &mirror->map.pfn_list[idx + i];

		/* the new pfn, with what the map keeps of the entry */
		*entry = (*entry & HMM_PFN_INOUT_FLAGS) |
			 (pfns[i] & ~HMM_PFN_INOUT_FLAGS);
		if (seed) {
			unsigned char *va =
				kmap_local_page(hmm_pfn_to_page(*entry));
			unsigned int b;

			for (b = 0; b < PAGE_SIZE; b++)
				va[b] = (unsigned char)(*seed + i + b * 3);
			kunmap_local(va);
		}
		addr = hmm_dma_map_pfn(mirror->dev, &mirror->map, idx + i,
				       NULL);
		if (dma_mapping_error(mirror->dev, addr)) {
			ret = -EFAULT;
			break;
		}
		if (i == 0 && dma)
			*dma = addr;
	}
	mutex_unlock(&mirror->lock);
	return ret;
}

int khmm_fault(struct khmm_mirror *mirror, unsigned long idx,
	       unsigned long n, unsigned long long *dma)
{
	return khmm_fault_fill(mirror, idx, n, NULL, dma);
}

int khmm_fill(struct khmm_mirror *mirror, unsigned long idx,
	      unsigned char seed, unsigned long long *dma)
{
	return khmm_fault_fill(mirror, idx, 1, &seed, dma);
}

_Bool khmm_mapped(struct khmm_mirror *mirror, unsigned long idx)
{
	bool mapped;

	mutex_lock(&mirror->lock);
	mapped = mirror->map.pfn_list[idx] & HMM_PFN_DMA_MAPPED;
	mutex_unlock(&mirror->lock);
	return mapped;
}

void khmm_counters(struct khmm_mirror *mirror, unsigned long *invalidations,
		   unsigned long *unmapped, unsigned long *retries)
{
	mutex_lock(&mirror->lock);
	*invalidations = mirror->invalidations;
	*unmapped = mirror->unmapped;
	*retries = mirror->retries;
	mutex_unlock(&mirror->lock);
}

void khmm_mirror_free(struct khmm_mirror *mirror)
{
	unsigned long i;

	if (IS_ERR_OR_NULL(mirror))
		return;
	/* no callback runs after this; then the device lets go */
	mmu_interval_notifier_remove(&mirror->notifier);
	mutex_lock(&mirror->lock);
	for (i = 0; i < mirror->npages; i++)
		hmm_dma_unmap_pfn(mirror->dev, &mirror->map, i);
	mutex_unlock(&mirror->lock);
	hmm_dma_map_free(mirror->dev, &mirror->map);
	vm_munmap(mirror->start, mirror->npages * PAGE_SIZE);
	mutex_destroy(&mirror->lock);
	kfree(mirror);
}
