// SPDX-License-Identifier: MIT
/*
 * The NIC as an RDMA On-Demand-Paging device (drivers/infiniband/core/
 * umem_odp.c and the fault handling of an ODP driver such as mlx5): a
 * memory region mirrors [va, va + len) of a process without pinning it.
 *
 *  - Registration allocates the mirror's lists with hmm_dma_map_alloc(),
 *    which (behind an IOMMU) also allocates ONE IOVA range for the whole
 *    region, and inserts an interval notifier over the region.
 *  - A NIC access to a page that is not mapped is a NIC page fault:
 *    mmu_interval_read_begin(), hmm_range_fault() for that page, then under
 *    the region's mutex (umem_mutex) mmu_interval_read_retry() and
 *    hmm_dma_map_pfn(): with the IOVA range a dma_iova_link() of one page
 *    into its fixed slot, i.e. a page-table write.
 *  - The region owns an mkey of the NIC (models/nic.h) with an MTT entry
 *    per page: a fault writes the page's DMA address there (valid, and
 *    writable if the page is), and an access the NIC finds no usable
 *    entry for stops with a page fault naming the entry, which the driver
 *    maps before posting the rest of the request.
 *  - The notifier's callback runs before the process moves or drops a
 *    page: under the mutex it bumps the sequence, zaps the pages' MTT
 *    entries (mlx5's UMR) and unmaps them (hmm_dma_unmap_pfn()). Work
 *    requests are posted with the same mutex held, so none is in flight
 *    once the callback returns.
 *
 * The strategy before the series is kept for comparison
 * (SIM_ODP_PER_PAGE): dma_map_phys() of every faulted page, an IOVA
 * allocation each, and a dma_addr_t stored per page.
 *
 * hmm_range_fault() fills a pfn private to the faulting thread, merged into
 * the region's list under the mutex once the sequence says it is current:
 * the kernel lets hmm_range_fault() write the shared list unlocked, which
 * is a data race with other faulting threads and with the NIC reading it
 * (benign there, reported by TSan here).
 *
 * Kernel code, built as a module is: the program-facing sim_nic_*() calls
 * enter the NIC's machine, and so does the notifier's callback, which runs
 * on the thread that moves or zaps the process's pages. What the kernel
 * has no call for (the process's machine and its page table's extent, the
 * hmm_dma_map's bytes per entry) comes from dmastack's own interface, at
 * the end of the file.
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/err.h>
#include <linux/align.h>
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mmap_lock.h>
#include <linux/mmu_notifier.h>
#include <linux/hmm.h>
#include <linux/hmm-dma.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/swiotlb.h>
#include <linux/pci-p2pdma.h>
#include <dmastack/odp.h>
#include "nic.h"

/* Faults begun again before giving up (an invalidation storm). */
#define ODP_MAX_RETRIES		(1U << 16)

struct sim_odp_mr {
	struct device *nic;
	struct nic_mkey mkey;
	struct mm_struct *proc;
	u64 start, end;
	unsigned long npages;
	enum sim_odp_strategy strategy;
	bool read_only;
	struct mmu_interval_notifier notifier;
	/* umem_mutex: the lists, the mapping and every NIC DMA. */
	struct mutex lock;
	struct hmm_dma_map map;			/* SIM_ODP_HMM_IOVA */
	unsigned long *pfn_list;		/* SIM_ODP_PER_PAGE */
	dma_addr_t *dma_list;			/* SIM_ODP_PER_PAGE */
	struct pci_p2pdma_map_state p2p;
	/* Counters, read without the lock. */
	atomic_long_t faults, retries, invalidations, pages_unmapped, mapped;
	atomic64_t dma_bytes;
};

static bool odp_in_process(struct mm_struct *mm, struct device *nic,
			   u64 start, u64 end);
static size_t odp_hmm_entry_bytes(const struct hmm_dma_map *map);

static unsigned long *mr_pfns(struct sim_odp_mr *mr)
{
	return mr->strategy == SIM_ODP_PER_PAGE ? mr->pfn_list :
						  mr->map.pfn_list;
}

/* Under mr->lock: may the NIC use entry @idx as it is? */
static bool entry_usable(struct sim_odp_mr *mr, unsigned long idx, bool write)
{
	const unsigned long need = HMM_PFN_VALID | HMM_PFN_DMA_MAPPED;
	unsigned long pfn = mr_pfns(mr)[idx];

	return (pfn & need) == need && (!write || (pfn & HMM_PFN_WRITE));
}

/* Under mr->lock: the address of a mapped entry. */
static dma_addr_t entry_addr(struct sim_odp_mr *mr, unsigned long idx)
{
	if (mr->strategy == SIM_ODP_PER_PAGE)
		return mr->dma_list[idx];
	/* Already mapped: hmm_dma_map_pfn() only computes the address. */
	return hmm_dma_map_pfn(mr->nic, &mr->map, idx, &mr->p2p);
}

/* Under mr->lock: unmap entry @idx; true if it was mapped. */
static bool entry_unmap(struct sim_odp_mr *mr, unsigned long idx)
{
	const unsigned long valid_dma = HMM_PFN_VALID | HMM_PFN_DMA_MAPPED;
	unsigned long *pfns = mr_pfns(mr);
	bool was;

	/* The NIC stops using the page before its mapping goes. */
	if (pfns[idx] & HMM_PFN_DMA_MAPPED)
		nic_mkey_set(&mr->mkey, (u32)idx, 0, 0, 0, 0);
	if (mr->strategy == SIM_ODP_HMM_IOVA) {
		was = hmm_dma_unmap_pfn(mr->nic, &mr->map, idx);
	} else {
		was = (pfns[idx] & valid_dma) == valid_dma;
		if (was)
			dma_unmap_phys(mr->nic, mr->dma_list[idx], PAGE_SIZE,
				       DMA_BIDIRECTIONAL, 0);
	}
	/* As ib_umem_odp_unmap_dma_pages(): the entry says nothing now. */
	pfns[idx] &= ~HMM_PFN_FLAGS;
	if (was)
		atomic_long_dec(&mr->mapped);
	return was;
}

/*
 * Under mr->lock: map entry @idx, whose pfn is current, and give the NIC
 * its address (writable if the page is).
 */
static int entry_map(struct sim_odp_mr *mr, unsigned long idx)
{
	unsigned long *pfns = mr_pfns(mr);
	bool was = pfns[idx] & HMM_PFN_DMA_MAPPED;
	dma_addr_t dma;

	if (mr->strategy == SIM_ODP_HMM_IOVA) {
		dma = hmm_dma_map_pfn(mr->nic, &mr->map, idx, &mr->p2p);
		if (dma == DMA_MAPPING_ERROR)
			return -EIO;
	} else if (!was) {
		dma = dma_map_phys(mr->nic, hmm_pfn_to_phys(pfns[idx]),
				   PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
		if (dma_mapping_error(mr->nic, dma))
			return -EIO;
		mr->dma_list[idx] = dma;
		pfns[idx] |= HMM_PFN_DMA_MAPPED;
	} else {
		dma = mr->dma_list[idx];
	}
	nic_mkey_set(&mr->mkey, (u32)idx, dma, 0, 0,
		     NIC_MTT_VALID |
		     (pfns[idx] & HMM_PFN_WRITE ? NIC_MTT_WRITE : 0));
	if (!was) {
		atomic_long_inc(&mr->mapped);
		atomic_long_inc(&mr->faults);
	}
	return 0;
}

/*
 * The NIC page fault for entry @idx (ib_umem_odp_map_dma_and_lock() and
 * the driver's mapping of the result). Called without mr->lock; returns 0
 * with mr->lock held and the entry mapped, or an error without the lock.
 */
static int odp_fault(struct sim_odp_mr *mr, unsigned long idx, bool write)
{
	u64 va = mr->start + ((u64)idx << PAGE_SHIFT);
	unsigned int tries = 0;
	int ret;

	for (;;) {
		unsigned long pfn = 0, *pfns;
		struct hmm_range range = {
			.notifier = &mr->notifier,
			.start = va,
			.end = va + PAGE_SIZE,
			.hmm_pfns = &pfn,
			.default_flags = HMM_PFN_REQ_FAULT |
					 (write ? HMM_PFN_REQ_WRITE : 0),
		};

		if (tries++ == ODP_MAX_RETRIES)
			return -EBUSY;
		range.notifier_seq = mmu_interval_read_begin(&mr->notifier);
		mmap_read_lock(mr->proc);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(mr->proc);
		if (ret == -EBUSY) {
			atomic_long_inc(&mr->retries);
			continue;
		}
		if (ret)
			return ret;

		mutex_lock(&mr->lock);
		if (mmu_interval_read_retry(&mr->notifier,
					    range.notifier_seq)) {
			/* The page moved or went since we looked. */
			mutex_unlock(&mr->lock);
			atomic_long_inc(&mr->retries);
			continue;
		}
		pfns = mr_pfns(mr);
		/*
		 * No invalidation since the walk: a mapped entry maps this
		 * very page (another thread faulted it), so its sticky flags
		 * stay and only the CPU's view is refreshed.
		 */
		if ((pfns[idx] & HMM_PFN_DMA_MAPPED) &&
		    hmm_pfn_to_pfn(pfns[idx]) != hmm_pfn_to_pfn(pfn))
			WARN(1, "%s: odp: entry %lu mapped to pfn %#lx, the process has %#lx\n",
			     dev_name(mr->nic), idx,
			     hmm_pfn_to_pfn(pfns[idx]), hmm_pfn_to_pfn(pfn));
		pfns[idx] = (pfns[idx] & HMM_PFN_INOUT_FLAGS) |
			    (pfn & ~HMM_PFN_INOUT_FLAGS);
		ret = entry_map(mr, idx);
		if (ret) {
			pfns[idx] &= ~HMM_PFN_FLAGS;
			mutex_unlock(&mr->lock);
			return ret;
		}
		return 0;
	}
}

/*
 * The notifier's callback runs on the thread that moves or zaps the
 * process's pages (a program's, with no machine of its own entered): it
 * enters the NIC's machine for the MTT writes and the unmapping.
 */
static bool odp_invalidate(struct mmu_interval_notifier *sub,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq)
{
	struct sim_odp_mr *mr = container_of(sub, struct sim_odp_mr, notifier);
	u64 start = max((u64)range->start, mr->start);
	u64 end = min((u64)range->end, mr->end);
	struct sim_machine *prev;
	unsigned long n = 0;

	prev = nic_enter(mr->nic);
	mutex_lock(&mr->lock);
	mmu_interval_set_seq(sub, cur_seq);
	for (u64 a = start; a < end; a += PAGE_SIZE)
		if (entry_unmap(mr, (unsigned long)((a - mr->start) >>
						    PAGE_SHIFT)))
			n++;
	mutex_unlock(&mr->lock);
	nic_leave(prev);
	if (n) {
		atomic_long_inc(&mr->invalidations);
		atomic_long_add((long)n, &mr->pages_unmapped);
	}
	return true;
}

static const struct mmu_interval_notifier_ops odp_notifier_ops = {
	.invalidate = odp_invalidate,
};

/**
 * sim_nic_reg_odp_mr - register a range of a process as an ODP region
 * @nic: the NIC (platform kind "nic")
 * @p: the process; it must outlive the region
 * @va: start of the region (rounded down to a page)
 * @len: its length (the end is rounded up to a page)
 * @opts: strategy and access; NULL for SIM_ODP_HMM_IOVA, read-write
 *
 * Nothing is faulted in or mapped: the NIC's first access to each page
 * does it. The caller owns the region and frees it with
 * sim_nic_dereg_odp_mr(). Takes the process lock (notifier insertion).
 *
 * Return: the region or ERR_PTR(-EINVAL, -ENODEV, -EOPNOTSUPP, -ENOMEM).
 */
static struct sim_odp_mr *nic_reg_odp_mr(struct device *nic,
					 struct mm_struct *p, u64 va, u64 len,
					 const struct sim_odp_mr_opts *opts)
{
	static const struct sim_odp_mr_opts defaults;
	struct sim_odp_mr *mr;
	u64 start, end;
	int ret;

	/* the NIC's driver is bound from its first use: reports name it */
	ret = nic_probe(nic);
	if (ret)
		return ERR_PTR(ret);
	if (!opts)
		opts = &defaults;
	if ((opts->strategy != SIM_ODP_HMM_IOVA &&
	     opts->strategy != SIM_ODP_PER_PAGE) ||
	    !len || va + len < va || ALIGN(va + len, PAGE_SIZE) < va)
		return ERR_PTR(-EINVAL);
	start = ALIGN_DOWN(va, PAGE_SIZE);
	end = ALIGN(va + len, PAGE_SIZE);
	/* The NIC's machine's process, both ends inside it. */
	if (!odp_in_process(p, nic, start, end))
		return ERR_PTR(-EINVAL);

	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->nic = nic;
	mr->proc = p;
	mr->start = start;
	mr->end = end;
	mr->npages = (unsigned long)((end - start) >> PAGE_SHIFT);
	mr->strategy = opts->strategy;
	mr->read_only = opts->read_only;
	mutex_init(&mr->lock);

	if (mr->strategy == SIM_ODP_HMM_IOVA) {
		ret = hmm_dma_map_alloc(nic, &mr->map, mr->npages, PAGE_SIZE);
		if (ret)
			goto err_free_mr;
	} else {
		/* The same ownership rule as hmm_dma_map_alloc(). */
		if (!nic->dma_skip_sync || dma_addressing_limited(nic) ||
		    is_swiotlb_force_bounce(nic)) {
			ret = -EOPNOTSUPP;
			goto err_free_mr;
		}
		ret = -ENOMEM;
		/* as ib_init_umem_odp(): a region's lists may be large */
		mr->pfn_list = kvcalloc(mr->npages, sizeof(*mr->pfn_list),
					GFP_KERNEL);
		if (!mr->pfn_list)
			goto err_free_mr;
		mr->dma_list = kvcalloc(mr->npages, sizeof(*mr->dma_list),
					GFP_KERNEL);
		if (!mr->dma_list)
			goto err_free_lists;
	}

	ret = nic_mkey_alloc(nic, &mr->mkey);
	if (ret) {
		ret = -ENOMEM;
		goto err_free_lists;
	}
	if (mr->npages > NIC_MTT_MAX) {
		ret = -EINVAL;
		goto err_mkey;
	}
	ret = nic_mkey_create(&mr->mkey, (u32)mr->npages, PAGE_SHIFT,
			      NIC_ACCESS_READ |
			      (mr->read_only ? 0 : NIC_ACCESS_WRITE));
	if (ret)
		goto err_mkey;
	ret = mmu_interval_notifier_insert(&mr->notifier, p, start,
					   end - start, &odp_notifier_ops);
	if (ret)
		goto err_mkey;
	return mr;

err_mkey:
	nic_mkey_destroy(&mr->mkey);
err_free_lists:
	if (mr->strategy == SIM_ODP_HMM_IOVA) {
		hmm_dma_map_free(nic, &mr->map);
	} else {
		kvfree(mr->dma_list);
		kvfree(mr->pfn_list);
	}
err_free_mr:
	mutex_destroy(&mr->lock);
	kfree(mr);
	return ERR_PTR(ret);
}

struct sim_odp_mr *sim_nic_reg_odp_mr(struct device *nic,
				      struct mm_struct *p, u64 va, u64 len,
				      const struct sim_odp_mr_opts *opts)
{
	struct sim_machine *prev;
	struct sim_odp_mr *mr;

	if (!nic || !nic->sim || IS_ERR_OR_NULL(p))
		return ERR_PTR(-EINVAL);
	prev = nic_enter(nic);
	mr = nic_reg_odp_mr(nic, p, va, len, opts);
	nic_leave(prev);
	return mr;
}

/**
 * sim_nic_dereg_odp_mr - unmap everything and free a region
 * @mr: the region (NULL or ERR_PTR: nothing)
 *
 * The caller has stopped the NIC's accesses to it. Unmaps every page under
 * the region's mutex, removes the notifier (waiting for a running
 * invalidation), frees the lists and the IOVA range.
 */
static void nic_dereg_odp_mr(struct sim_odp_mr *mr)
{
	mutex_lock(&mr->lock);
	for (unsigned long i = 0; i < mr->npages; i++)
		entry_unmap(mr, i);
	mutex_unlock(&mr->lock);
	mmu_interval_notifier_remove(&mr->notifier);
	nic_mkey_destroy(&mr->mkey);
	if (mr->strategy == SIM_ODP_HMM_IOVA) {
		hmm_dma_map_free(mr->nic, &mr->map);
	} else {
		kvfree(mr->dma_list);
		kvfree(mr->pfn_list);
	}
	mutex_destroy(&mr->lock);
	kfree(mr);
}

void sim_nic_dereg_odp_mr(struct sim_odp_mr *mr)
{
	struct sim_machine *prev;

	if (IS_ERR_OR_NULL(mr))
		return;
	prev = nic_enter(mr->nic);
	nic_dereg_odp_mr(mr);
	nic_leave(prev);
}

/*
 * A NIC access: a work request on the region's mkey, posted under the
 * region's mutex. The NIC stops at a page with no usable MTT entry; the
 * fault maps it (and returns with the mutex held again), and the rest of
 * the request is posted.
 */
static int __odp_access(struct sim_odp_mr *mr, u64 va, void *rbuf,
			const void *wbuf, size_t len)
{
	bool write = wbuf != NULL;
	u8 *wire = write ? (u8 *)wbuf : rbuf;
	u64 done = 0, bytes;
	u32 fault;
	int ret;

	if (!rbuf && !wbuf && len)
		return -EINVAL;
	if (!len)
		return 0;
	if (va < mr->start || va + len < va || va + len > mr->end)
		return -EINVAL;
	if (write && mr->read_only)
		return -EACCES;

	mutex_lock(&mr->lock);
	for (;;) {
		ret = nic_mkey_post(&mr->mkey, write ? NIC_OP_RECV : NIC_OP_SEND,
				    va - mr->start + done, wire + done,
				    len - done, &bytes, &fault);
		bytes = min(bytes, len - done);
		done += bytes;
		atomic64_add((s64)bytes, &mr->dma_bytes);
		if (ret != -EAGAIN)
			break;
		mutex_unlock(&mr->lock);
		if (fault >= mr->npages)
			return -EIO;
		ret = odp_fault(mr, fault, write);
		if (ret)
			return ret;
	}
	mutex_unlock(&mr->lock);
	return ret;
}

static int odp_access(struct sim_odp_mr *mr, u64 va, void *rbuf,
		      const void *wbuf, size_t len)
{
	struct sim_machine *prev;
	int ret;

	if (IS_ERR_OR_NULL(mr))
		return -EINVAL;
	prev = nic_enter(mr->nic);
	ret = __odp_access(mr, va, rbuf, wbuf, len);
	nic_leave(prev);
	return ret;
}

/**
 * sim_nic_odp_read - the NIC reads process memory through the region
 * @mr: the region
 * @va: process address
 * @buf: where the bytes go
 * @len: how many
 *
 * Faults and maps pages as needed (read access); the DMA runs under the
 * region's mutex. The caller owns @buf.
 *
 * Return: 0, -EINVAL (outside the region), the fault's error, -EIO (a
 * mapping failed), or the DMA's error.
 */
int sim_nic_odp_read(struct sim_odp_mr *mr, u64 va, void *buf, size_t len)
{
	return odp_access(mr, va, buf, NULL, len);
}

/**
 * sim_nic_odp_write - the NIC writes process memory through the region
 * @mr: the region
 * @va: process address
 * @buf: the bytes
 * @len: how many
 *
 * As sim_nic_odp_read(), faulting pages for write; -EACCES for a region
 * registered read-only, -EPERM for a read-only page of the process.
 */
int sim_nic_odp_write(struct sim_odp_mr *mr, u64 va, const void *buf,
		      size_t len)
{
	return odp_access(mr, va, NULL, buf, len);
}

/**
 * sim_nic_odp_prefetch - fault and map a range ahead of the NIC's use
 * @mr: the region
 * @va: start
 * @len: length
 * @write: map for write
 *
 * Return: 0, -EINVAL, -EACCES, or the first fault's error.
 */
static int odp_prefetch(struct sim_odp_mr *mr, u64 va, u64 len, bool write)
{
	int ret;

	for (u64 a = ALIGN_DOWN(va, PAGE_SIZE); a < va + len; a += PAGE_SIZE) {
		unsigned long idx = (unsigned long)((a - mr->start) >>
						    PAGE_SHIFT);

		mutex_lock(&mr->lock);
		if (!entry_usable(mr, idx, write)) {
			mutex_unlock(&mr->lock);
			ret = odp_fault(mr, idx, write);
			if (ret)
				return ret;
		}
		mutex_unlock(&mr->lock);
	}
	return 0;
}

int sim_nic_odp_prefetch(struct sim_odp_mr *mr, u64 va, u64 len, bool write)
{
	struct sim_machine *prev;
	int ret;

	if (IS_ERR_OR_NULL(mr) || !len || va < mr->start || va + len < va ||
	    va + len > mr->end)
		return -EINVAL;
	if (write && mr->read_only)
		return -EACCES;
	prev = nic_enter(mr->nic);
	ret = odp_prefetch(mr, va, len, write);
	nic_leave(prev);
	return ret;
}

/**
 * sim_nic_odp_dma_addr - the NIC's address for a process address now
 * @mr: the region
 * @va: process address
 *
 * A snapshot under the region's mutex; an invalidation may unmap it next.
 *
 * Return: the address, or DMA_MAPPING_ERROR if the page is not mapped.
 */
dma_addr_t sim_nic_odp_dma_addr(struct sim_odp_mr *mr, u64 va)
{
	dma_addr_t dma = DMA_MAPPING_ERROR;
	struct sim_machine *prev;
	unsigned long idx;

	if (IS_ERR_OR_NULL(mr) || va < mr->start || va >= mr->end)
		return DMA_MAPPING_ERROR;
	idx = (unsigned long)((va - mr->start) >> PAGE_SHIFT);
	prev = nic_enter(mr->nic);
	mutex_lock(&mr->lock);
	if (entry_usable(mr, idx, false))
		dma = entry_addr(mr, idx) + offset_in_page(va);
	mutex_unlock(&mr->lock);
	nic_leave(prev);
	return dma;
}

/**
 * sim_nic_odp_mr_stats - the region's counters and memory bookkeeping
 * @mr: the region
 * @out: filled (zeroed for NULL or ERR_PTR)
 *
 * Counters are read without the lock (each exact, the set not atomic).
 */
void sim_nic_odp_mr_stats(struct sim_odp_mr *mr, struct sim_odp_mr_stats *out)
{
	unsigned long mapped;
	size_t entry;

	memset(out, 0, sizeof(*out));
	if (IS_ERR_OR_NULL(mr))
		return;
	mapped = (unsigned long)atomic_long_read(&mr->mapped);
	out->faults = (unsigned long)atomic_long_read(&mr->faults);
	out->fault_retries = (unsigned long)atomic_long_read(&mr->retries);
	out->invalidations = (unsigned long)atomic_long_read(&mr->invalidations);
	out->pages_unmapped = (unsigned long)atomic_long_read(&mr->pages_unmapped);
	out->pages_mapped = mapped;
	out->npages = mr->npages;
	out->dma_bytes = (unsigned long long)atomic64_read(&mr->dma_bytes);
	if (mr->strategy == SIM_ODP_HMM_IOVA) {
		/* The state is written only by alloc and free. */
		out->uses_iova = dma_use_iova(&mr->map.state);
		entry = odp_hmm_entry_bytes(&mr->map);
		out->meta_bytes = mr->npages * entry;
		if (out->uses_iova)
			out->meta_bytes += sizeof(mr->map.state);
	} else {
		entry = sizeof(*mr->pfn_list) + sizeof(*mr->dma_list);
		out->meta_bytes = mr->npages * entry;
	}
	out->bytes_per_mapped_page = entry;
	out->meta_bytes_per_page = out->meta_bytes / mr->npages;
	if (out->uses_iova)
		out->iova_ranges = 1;
	else if (device_iommu_mapped(mr->nic))
		out->iova_ranges = mapped;
}

/* ------------------------------------------------------------------------ */
/* Glue: what the kernel has no call for                                    */
/* ------------------------------------------------------------------------ */

/*
 * Is @mm a process of @nic's machine whose address space holds [@start,
 * @end) (pages present or not)? The kernel's umem_odp takes any range and
 * lets the first fault fail; registration here refuses it, and the
 * process's machine and extent are dmastack's (<dmastack/odp.h>).
 */
static bool odp_in_process(struct mm_struct *mm, struct device *nic,
			   u64 start, u64 end)
{
	phys_addr_t phys;

	return sim_process_machine(mm) == nic->sim &&
	       sim_process_va_to_phys(mm, start, &phys) != -EFAULT &&
	       sim_process_va_to_phys(mm, end - 1, &phys) != -EFAULT;
}

/* The bytes hmm_dma_map keeps per entry (<dmastack/hmm.h>). */
static size_t odp_hmm_entry_bytes(const struct hmm_dma_map *map)
{
	return sim_hmm_dma_map_entry_bytes(map);
}
