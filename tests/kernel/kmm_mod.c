// SPDX-License-Identifier: MIT
/*
 * A module that uses its task's address space, as code run by insmod can:
 * init maps user memory with vm_mmap(), faults it in through an interval
 * notifier and hmm_range_fault() and writes it through the kernel
 * mapping; exit checks it is still there and unmaps it.
 */
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/sched.h>

#define KMM_PAGES	4

static unsigned long kmm_addr;
static unsigned long kmm_pfns[KMM_PAGES];

static bool kmm_invalidate(struct mmu_interval_notifier *mni,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq)
{
	mmu_interval_set_seq(mni, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops kmm_ops = {
	.invalidate = kmm_invalidate,
};

/* Fault the pages in; with @fill write them, else check what is there. */
static int kmm_touch(bool fill)
{
	struct mmu_interval_notifier sub;
	struct hmm_range range = {
		.notifier = &sub,
		.start = kmm_addr,
		.end = kmm_addr + KMM_PAGES * PAGE_SIZE,
		.hmm_pfns = kmm_pfns,
		.default_flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
	};
	int ret, i;

	ret = mmu_interval_notifier_insert(&sub, current->mm, kmm_addr,
					   KMM_PAGES * PAGE_SIZE, &kmm_ops);
	if (ret)
		return ret;
	do {
		range.notifier_seq = mmu_interval_read_begin(&sub);
		mmap_read_lock(current->mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(current->mm);
	} while (ret == -EBUSY);
	for (i = 0; !ret && i < KMM_PAGES; i++) {
		unsigned char *va = kmap_local_page(hmm_pfn_to_page(kmm_pfns[i]));

		if (fill)
			memset(va, 0xa0 + i, PAGE_SIZE);
		else if (va[0] != 0xa0 + i || va[PAGE_SIZE - 1] != 0xa0 + i)
			ret = -EIO;
		kunmap_local(va);
	}
	mmu_interval_notifier_remove(&sub);
	return ret;
}

static int __init kmm_init(void)
{
	int ret;

	if (!current->mm)
		return -EINVAL;
	kmm_addr = vm_mmap(NULL, 0, KMM_PAGES * PAGE_SIZE,
			   PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE,
			   0);
	if (IS_ERR_VALUE(kmm_addr))
		return (int)kmm_addr;
	ret = kmm_touch(true);
	if (ret) {
		vm_munmap(kmm_addr, KMM_PAGES * PAGE_SIZE);
		return ret;
	}
	pr_info("kmm: %d pages of user memory at %#lx\n", KMM_PAGES, kmm_addr);
	return 0;
}

static void __exit kmm_exit(void)
{
	int ret = kmm_touch(false);

	pr_info("kmm: user memory %s at exit\n", ret ? "lost" : "intact");
	vm_munmap(kmm_addr, KMM_PAGES * PAGE_SIZE);
}

module_init(kmm_init);
module_exit(kmm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("User memory of the loading task");
