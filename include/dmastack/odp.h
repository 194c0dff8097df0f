/* SPDX-License-Identifier: MIT */
/*
 * A simulated process address space (the kernel's struct mm_struct), and
 * the NIC as an RDMA On-Demand-Paging device mirroring that address space.
 *
 * The process: one range of virtual pages, each backed (once touched) by
 * a page of machine RAM. Pages are faulted in on demand (zeroed), moved to
 * another physical page with their contents (migration, compaction), and
 * zapped (MADV_DONTNEED: the next touch faults in a zero page). Before a
 * page moves or goes, every interval notifier covering it is called
 * (include/linux/mmu_notifier.h): a mirror must stop using and unmap those
 * pages there and then; the change happens only after the callbacks
 * return. hmm_range_fault() (dmastack/hmm.h) reads the page table.
 *
 * The ODP NIC: a memory region over [va, va + len) of a process that the
 * NIC reads and writes by DMA without pinning anything. A NIC access to a
 * page that is not mapped yet is a NIC page fault: hmm_range_fault() for
 * the page, then hmm_dma_map_pfn() (with an IOMMU: a page-table write into
 * the IOVA range allocated at registration). An invalidation unmaps the
 * pages it covers with hmm_dma_unmap_pfn(); the next access faults again.
 *
 * Locking: the page-table lock of the process is held across an
 * invalidation, its callbacks and the page-table change (the mmap lock,
 * <linux/mmap_lock.h>, is another: vm_mmap()/vm_munmap() take it); a notifier's sequence (mmu_interval_read_begin()/retry()) tells
 * a mirror whether what it read is still current. The NIC region has its
 * own mutex (umem_mutex), taken inside the process lock by the callback
 * and never held while taking the process lock.
 */
#ifndef _DMASTACK_ODP_H
#define _DMASTACK_ODP_H

#include <dmastack/types.h>
#include <dmastack/device.h>
#include <dmastack/hmm.h>
#include "linux/mm_types.h"
#include "linux/mmap_lock.h"
#include "linux/mmu_notifier.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;

/*
 * The process is the kernel's address space: "struct sim_process" is
 * dmastack's earlier name of struct mm_struct (<linux/mm_types.h>), kept
 * for programs written against it. The sim_process_*() functions take
 * either spelling.
 */
#define sim_process mm_struct

/* ---- the process -------------------------------------------------------- */

/*
 * An address space as a new process has one, for kernel code to map user
 * memory into with vm_mmap() (<linux/mm.h>): SIM_MM_SIZE bytes at
 * SIM_MM_START, nothing mapped. The module loader gives a module's init
 * and exit one as current->mm. ERR_PTR(-EINVAL, -ENOMEM); destroyed with
 * sim_process_destroy().
 */
#define SIM_MM_START	0x7f0000000000ULL
#define SIM_MM_SIZE	(64ULL << 20)
struct mm_struct *sim_mm_create(struct sim_machine *m);

/*
 * Make @mm the calling thread's current->mm (and active_mm), as a task
 * that runs in that process; NULL: none. Returns the previous one. The
 * thread's task keeps no reference: destroying the mm clears it from the
 * destroying thread's task only.
 */
struct mm_struct *sim_set_current_mm(struct mm_struct *mm);

/*
 * A process of @m with @size bytes of address space at @start (both page
 * aligned, non-zero size up to 64 GiB, no wrap), all of it mapped (one
 * anonymous mapping: vm_mmap() finds no room), all pages readable and
 * writable and none present. ERR_PTR(-EINVAL, -ENOMEM). The caller owns it.
 */
struct mm_struct *sim_process_create(struct sim_machine *m, u64 start,
				       u64 size);
/*
 * Tear down: every notifier still registered is told (MMU_NOTIFY_RELEASE)
 * and reported, then every page is freed. NULL or ERR_PTR: no-op.
 */
void sim_process_destroy(struct mm_struct *p);

/*
 * CPU loads and stores of the process: fault pages in as needed (a store
 * to a read-only page is -EFAULT, as a SIGSEGV would be). 0, -EFAULT
 * (outside the address space), -ENOMEM.
 */
int sim_process_read(struct mm_struct *p, u64 va, void *buf, size_t len);
int sim_process_write(struct mm_struct *p, u64 va, const void *buf,
		      size_t len);
/* The page fault handler: make the page at @va present (zeroed if new). */
int sim_process_fault(struct mm_struct *p, u64 va, bool write);
/*
 * Move the page at @va to a newly allocated physical page: notifiers are
 * called first (MMU_NOTIFY_MIGRATE), then the contents are copied and the
 * old page freed. 0, -EFAULT (outside), -ENOENT (not present), -ENOMEM
 * (nothing was changed or notified).
 */
int sim_process_migrate(struct mm_struct *p, u64 va);
/*
 * Zap [@va, @va + @len) (MADV_DONTNEED): notifiers first (MMU_NOTIFY_CLEAR),
 * then the pages are freed. 0 or -EFAULT/-EINVAL.
 */
int sim_process_zap(struct mm_struct *p, u64 va, u64 len);
/*
 * Make [@va, @va + @len) read-only or writable (mprotect). Removing write
 * permission notifies first (MMU_NOTIFY_PROTECTION_VMA).
 */
int sim_process_mprotect(struct mm_struct *p, u64 va, u64 len,
			 bool writable);
/* The physical address behind @va now: 0 and *@phys, or -EFAULT/-ENOENT. */
int sim_process_va_to_phys(struct mm_struct *p, u64 va, phys_addr_t *phys);

struct sim_process_stats {
	unsigned long faults;		/* pages faulted in */
	unsigned long migrations;	/* pages moved */
	unsigned long zapped;		/* pages freed by zap */
	unsigned long invalidations;	/* invalidate_start rounds */
	unsigned long callbacks;	/* notifier callbacks made */
	unsigned long pages_present;
};
/* A snapshot (no lock: each counter is exact, the set is not atomic). */
void sim_process_stats(struct mm_struct *p, struct sim_process_stats *out);
struct sim_machine *sim_process_machine(struct mm_struct *p);

/* ---- the NIC as an ODP device ------------------------------------------ */

struct sim_odp_mr;

enum sim_odp_strategy {
	/*
	 * hmm_dma_map: one IOVA range for the whole region at registration;
	 * a fault links one page (no dma_addr_t kept). Without an IOMMU it
	 * is per-page dma_map_phys inside hmm_dma_map.
	 */
	SIM_ODP_HMM_IOVA = 0,
	/*
	 * What ODP did before the series: dma_map_phys() per faulted page,
	 * its dma_addr_t stored per page (an IOVA allocation per page).
	 */
	SIM_ODP_PER_PAGE,
};

struct sim_odp_mr_opts {
	enum sim_odp_strategy strategy;
	bool read_only;		/* the NIC may only read (no write faults) */
};

/*
 * Register [@va, @va + @len) of @p as an ODP memory region of @nic (a
 * platform device of kind nic). Nothing is faulted or mapped yet. @opts
 * NULL: SIM_ODP_HMM_IOVA, writable. ERR_PTR: -EINVAL (no device or
 * process, empty/wrapping range or outside the process), -ENODEV (not a
 * NIC), -EOPNOTSUPP (hmm_dma_map_alloc() refused the device), -ENOMEM.
 */
struct sim_odp_mr *sim_nic_reg_odp_mr(struct device *nic,
				      struct mm_struct *p, u64 va, u64 len,
				      const struct sim_odp_mr_opts *opts);
/* Unmap every page, remove the notifier, free. NULL or ERR_PTR: no-op. */
void sim_nic_dereg_odp_mr(struct sim_odp_mr *mr);

/*
 * The NIC reads (a send) or writes (a receive) @len bytes at process
 * address @va of the region, by DMA through the mapped pages, faulting
 * pages in first as needed. 0, -EINVAL (outside the region), -EACCES
 * (write to a read-only region), what the fault returned (-EFAULT, -EPERM,
 * -ENOMEM, -EIO for a mapping failure), or the DMA error.
 */
int sim_nic_odp_read(struct sim_odp_mr *mr, u64 va, void *buf, size_t len);
int sim_nic_odp_write(struct sim_odp_mr *mr, u64 va, const void *buf,
		      size_t len);
/* Fault and map [@va, @va + @len) ahead of use (ibv_advise_mr prefetch). */
int sim_nic_odp_prefetch(struct sim_odp_mr *mr, u64 va, u64 len, bool write);

struct sim_odp_mr_stats {
	unsigned long faults;		/* NIC page faults that mapped a page */
	unsigned long fault_retries;	/* faults begun again (sequence) */
	unsigned long invalidations;	/* callbacks that unmapped pages */
	unsigned long pages_unmapped;	/* by invalidations */
	unsigned long pages_mapped;	/* mapped now */
	unsigned long npages;		/* pages in the region */
	unsigned long long dma_bytes;	/* bytes the NIC moved */
	bool uses_iova;			/* one IOVA range for the region */
	unsigned long iova_ranges;	/* IOVA allocations held now */
	/*
	 * Bookkeeping the region holds: the pfn list, the stored DMA
	 * addresses (per-page strategy, or hmm_dma_map without IOVA), the
	 * IOVA state. meta_bytes_per_page is meta_bytes / npages;
	 * bytes_per_mapped_page what one more mapped page costs the region.
	 */
	size_t meta_bytes;
	size_t meta_bytes_per_page;
	size_t bytes_per_mapped_page;
};
void sim_nic_odp_mr_stats(struct sim_odp_mr *mr, struct sim_odp_mr_stats *out);
/* The address the NIC uses for the page at @va now, or DMA_MAPPING_ERROR. */
dma_addr_t sim_nic_odp_dma_addr(struct sim_odp_mr *mr, u64 va);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_ODP_H */
