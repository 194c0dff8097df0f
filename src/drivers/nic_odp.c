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
 */
#include <string.h>
#include "drivers/nic.h"

/* Faults begun again before giving up (an invalidation storm). */
#define ODP_MAX_RETRIES		(1U << 16)

struct sim_odp_mr {
	struct device *nic;
	struct sim_machine *m;
	struct nic_mkey mkey;
	struct mm_struct *proc;
	u64 start, end;
	unsigned long npages;
	enum sim_odp_strategy strategy;
	bool read_only;
	struct mmu_interval_notifier notifier;
	/* umem_mutex: the lists, the mapping and every NIC DMA. */
	pthread_mutex_t lock;
	struct hmm_dma_map map;			/* SIM_ODP_HMM_IOVA */
	unsigned long *pfn_list;		/* SIM_ODP_PER_PAGE */
	dma_addr_t *dma_list;			/* SIM_ODP_PER_PAGE */
	struct pci_p2pdma_map_state p2p;
	/* Counters, read without the lock. */
	_Atomic unsigned long faults, retries, invalidations, pages_unmapped,
		mapped;
	_Atomic unsigned long long dma_bytes;
};

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
		atomic_fetch_sub_explicit(&mr->mapped, 1, memory_order_relaxed);
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
		atomic_fetch_add_explicit(&mr->mapped, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&mr->faults, 1, memory_order_relaxed);
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
			atomic_fetch_add_explicit(&mr->retries, 1,
						  memory_order_relaxed);
			continue;
		}
		if (ret)
			return ret;

		pthread_mutex_lock(&mr->lock);
		if (mmu_interval_read_retry(&mr->notifier,
					    range.notifier_seq)) {
			/* The page moved or went since we looked. */
			pthread_mutex_unlock(&mr->lock);
			atomic_fetch_add_explicit(&mr->retries, 1,
						  memory_order_relaxed);
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
			SIM_WARN(mr->m, mr->nic,
				 "odp: entry %lu mapped to pfn %#lx, the process has %#lx",
				 idx, hmm_pfn_to_pfn(pfns[idx]),
				 hmm_pfn_to_pfn(pfn));
		pfns[idx] = (pfns[idx] & HMM_PFN_INOUT_FLAGS) |
			    (pfn & ~HMM_PFN_INOUT_FLAGS);
		ret = entry_map(mr, idx);
		if (ret) {
			pfns[idx] &= ~HMM_PFN_FLAGS;
			pthread_mutex_unlock(&mr->lock);
			return ret;
		}
		return 0;
	}
}

static bool odp_invalidate(struct mmu_interval_notifier *sub,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq)
{
	struct sim_odp_mr *mr = container_of(sub, struct sim_odp_mr, notifier);
	u64 start = max((u64)range->start, mr->start);
	u64 end = min((u64)range->end, mr->end);
	unsigned long n = 0;

	pthread_mutex_lock(&mr->lock);
	mmu_interval_set_seq(sub, cur_seq);
	for (u64 a = start; a < end; a += PAGE_SIZE)
		if (entry_unmap(mr, (unsigned long)((a - mr->start) >>
						    PAGE_SHIFT)))
			n++;
	pthread_mutex_unlock(&mr->lock);
	if (n) {
		atomic_fetch_add_explicit(&mr->invalidations, 1,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&mr->pages_unmapped, n,
					  memory_order_relaxed);
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
struct sim_odp_mr *sim_nic_reg_odp_mr(struct device *nic,
				      struct mm_struct *p, u64 va, u64 len,
				      const struct sim_odp_mr_opts *opts)
{
	static const struct sim_odp_mr_opts defaults;
	struct sim_odp_mr *mr;
	struct sim_machine *m;
	phys_addr_t phys;
	u64 start, end;
	int ret;

	if (!nic || !nic->sim || IS_ERR_OR_NULL(p))
		return ERR_PTR(-EINVAL);
	m = nic->sim;
	/* the NIC's driver is bound from its first use: reports name it */
	ret = nic_probe(nic);
	if (ret)
		return ERR_PTR(ret);
	if (!opts)
		opts = &defaults;
	if (sim_process_machine(p) != m ||
	    (opts->strategy != SIM_ODP_HMM_IOVA &&
	     opts->strategy != SIM_ODP_PER_PAGE) ||
	    !len || va + len < va || ALIGN(va + len, PAGE_SIZE) < va)
		return ERR_PTR(-EINVAL);
	start = ALIGN_DOWN(va, PAGE_SIZE);
	end = ALIGN(va + len, PAGE_SIZE);
	/* Both ends inside the process (present or not). */
	if (sim_process_va_to_phys(p, start, &phys) == -EFAULT ||
	    sim_process_va_to_phys(p, end - 1, &phys) == -EFAULT)
		return ERR_PTR(-EINVAL);

	mr = sim_kzalloc(m, sizeof(*mr));
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->nic = nic;
	mr->m = m;
	mr->proc = p;
	mr->start = start;
	mr->end = end;
	mr->npages = (unsigned long)((end - start) >> PAGE_SHIFT);
	mr->strategy = opts->strategy;
	mr->read_only = opts->read_only;
	pthread_mutex_init(&mr->lock, NULL);

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
		mr->pfn_list = sim_kcalloc(m, mr->npages,
					   sizeof(*mr->pfn_list));
		if (!mr->pfn_list)
			goto err_free_mr;
		mr->dma_list = sim_kcalloc(m, mr->npages,
					   sizeof(*mr->dma_list));
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
		sim_kfree(m, mr->dma_list);
		sim_kfree(m, mr->pfn_list);
	}
err_free_mr:
	pthread_mutex_destroy(&mr->lock);
	sim_kfree(m, mr);
	return ERR_PTR(ret);
}

/**
 * sim_nic_dereg_odp_mr - unmap everything and free a region
 * @mr: the region (NULL or ERR_PTR: nothing)
 *
 * The caller has stopped the NIC's accesses to it. Unmaps every page under
 * the region's mutex, removes the notifier (waiting for a running
 * invalidation), frees the lists and the IOVA range.
 */
void sim_nic_dereg_odp_mr(struct sim_odp_mr *mr)
{
	struct sim_machine *m;

	if (IS_ERR_OR_NULL(mr))
		return;
	m = mr->m;
	pthread_mutex_lock(&mr->lock);
	for (unsigned long i = 0; i < mr->npages; i++)
		entry_unmap(mr, i);
	pthread_mutex_unlock(&mr->lock);
	mmu_interval_notifier_remove(&mr->notifier);
	nic_mkey_destroy(&mr->mkey);
	if (mr->strategy == SIM_ODP_HMM_IOVA) {
		hmm_dma_map_free(mr->nic, &mr->map);
	} else {
		sim_kfree(m, mr->dma_list);
		sim_kfree(m, mr->pfn_list);
	}
	pthread_mutex_destroy(&mr->lock);
	sim_kfree(m, mr);
}

/*
 * A NIC access: a work request on the region's mkey, posted under the
 * region's mutex. The NIC stops at a page with no usable MTT entry; the
 * fault maps it (and returns with the mutex held again), and the rest of
 * the request is posted.
 */
static int odp_access(struct sim_odp_mr *mr, u64 va, void *rbuf,
		      const void *wbuf, size_t len)
{
	bool write = wbuf != NULL;
	u8 *wire = write ? (u8 *)wbuf : rbuf;
	u64 done = 0, bytes;
	u32 fault;
	int ret;

	if (IS_ERR_OR_NULL(mr) || (!rbuf && !wbuf && len))
		return -EINVAL;
	if (!len)
		return 0;
	if (va < mr->start || va + len < va || va + len > mr->end)
		return -EINVAL;
	if (write && mr->read_only)
		return -EACCES;

	pthread_mutex_lock(&mr->lock);
	for (;;) {
		ret = nic_mkey_post(&mr->mkey, write ? NIC_OP_RECV : NIC_OP_SEND,
				    va - mr->start + done, wire + done,
				    len - done, &bytes, &fault);
		bytes = min(bytes, len - done);
		done += bytes;
		atomic_fetch_add_explicit(&mr->dma_bytes, bytes,
					  memory_order_relaxed);
		if (ret != -EAGAIN)
			break;
		pthread_mutex_unlock(&mr->lock);
		if (fault >= mr->npages)
			return -EIO;
		ret = odp_fault(mr, fault, write);
		if (ret)
			return ret;
	}
	pthread_mutex_unlock(&mr->lock);
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
int sim_nic_odp_prefetch(struct sim_odp_mr *mr, u64 va, u64 len, bool write)
{
	int ret;

	if (IS_ERR_OR_NULL(mr) || !len || va < mr->start || va + len < va ||
	    va + len > mr->end)
		return -EINVAL;
	if (write && mr->read_only)
		return -EACCES;
	for (u64 a = ALIGN_DOWN(va, PAGE_SIZE); a < va + len; a += PAGE_SIZE) {
		unsigned long idx = (unsigned long)((a - mr->start) >>
						    PAGE_SHIFT);

		pthread_mutex_lock(&mr->lock);
		if (!entry_usable(mr, idx, write)) {
			pthread_mutex_unlock(&mr->lock);
			ret = odp_fault(mr, idx, write);
			if (ret)
				return ret;
		}
		pthread_mutex_unlock(&mr->lock);
	}
	return 0;
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
	unsigned long idx;

	if (IS_ERR_OR_NULL(mr) || va < mr->start || va >= mr->end)
		return DMA_MAPPING_ERROR;
	idx = (unsigned long)((va - mr->start) >> PAGE_SHIFT);
	pthread_mutex_lock(&mr->lock);
	if (entry_usable(mr, idx, false))
		dma = entry_addr(mr, idx) + offset_in_page(va);
	pthread_mutex_unlock(&mr->lock);
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
	mapped = atomic_load_explicit(&mr->mapped, memory_order_relaxed);
	out->faults = atomic_load_explicit(&mr->faults, memory_order_relaxed);
	out->fault_retries = atomic_load_explicit(&mr->retries,
						  memory_order_relaxed);
	out->invalidations = atomic_load_explicit(&mr->invalidations,
						  memory_order_relaxed);
	out->pages_unmapped = atomic_load_explicit(&mr->pages_unmapped,
						   memory_order_relaxed);
	out->pages_mapped = mapped;
	out->npages = mr->npages;
	out->dma_bytes = atomic_load_explicit(&mr->dma_bytes,
					      memory_order_relaxed);
	if (mr->strategy == SIM_ODP_HMM_IOVA) {
		/* The state is written only by alloc and free. */
		out->uses_iova = dma_use_iova(&mr->map.state);
		entry = sim_hmm_dma_map_entry_bytes(&mr->map);
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
