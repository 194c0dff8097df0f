// SPDX-License-Identifier: MIT
/*
 * A simulated process address space: one range of virtual pages backed by
 * machine RAM, its page fault handler, page migration and zapping, MMU
 * interval notifiers (mm/mmu_notifier.c, the interval-tree part) and
 * hmm_range_fault() (mm/hmm.c, the page-table walk).
 *
 * The address space is the kernel's struct mm_struct. Its page table is an
 * array of struct page pointers, one per virtual page, and protection bits
 * per page (mapped, writable: the VMAs, page by page). vm_mmap() and
 * vm_munmap() of current->mm map and unmap ranges of it (first fit).
 *
 * Locking: p->mmap_lock is the kernel's mmap lock (a rw_semaphore), taken
 * for writing by vm_mmap()/vm_munmap() around their page-table lock
 * section, and by kernel code for reading around hmm_range_fault().
 * p->lock is the page-table lock. It is held
 * for a whole invalidation: the sequence goes odd, every overlapping
 * notifier's callback runs (taking the mirror's own lock inside this one),
 * the page table changes, the sequence goes even. So a mirror that has
 * returned from its callback can be sure the page is still where it was
 * until it does, and nothing can fault the page back in while it moves.
 * hmm_range_fault() and mmu_interval_read_begin() take the lock as
 * readers would take mmap_lock; a mirror must never hold its own lock
 * while calling them (the callback takes the locks in the other order).
 *
 * Sequence numbers: p->inv_seq is even while no invalidation runs and odd
 * during one; each callback gets the odd value and stores it in its
 * notifier (mmu_interval_set_seq()), which is what read_retry() compares
 * against the value mmu_interval_read_begin() returned. Because an
 * invalidation holds p->lock throughout, read_begin() (which takes it)
 * never observes one in progress: it has waited for it to end.
 */
#include <string.h>
#include <dmastack/linux/mman.h>
#include <dmastack/linux/rwsem.h>
#include <dmastack/linux/sched.h>
#include "internal.h"

/* The page table is flat: keep it below 64 GiB of address space. */
#define SIM_PROCESS_MAX_PAGES	(1UL << 24)

/* Per-page protection (mm_struct::prot). */
#define PTE_MAPPED	0x1	/* inside a mapping: readable */
#define PTE_WRITE	0x2	/* writable */

struct mm_struct {
	struct sim_machine *m;
	u64 start, size;
	unsigned long npages;
	struct rw_semaphore mmap_lock;
	pthread_mutex_t lock;
	/* Under @lock (and changed under mmap_lock for writing by vm_*). */
	struct page **pages;
	u8 *prot;
	unsigned long inv_seq;
	struct mmu_interval_notifier *subs;
	/* Counters, read without the lock. */
	_Atomic unsigned long faults, migrations, zapped, invalidations,
		callbacks, present;
};

static bool range_ok(struct mm_struct *p, u64 va, u64 len)
{
	return len && va + len > va && va >= p->start &&
	       va + len <= p->start + p->size;
}

/* Under p->lock: the page at @idx is mapped (and writable if @write). */
static bool prot_ok(struct mm_struct *p, unsigned long idx, bool write)
{
	return (p->prot[idx] & PTE_MAPPED) &&
	       (!write || (p->prot[idx] & PTE_WRITE));
}

static unsigned long idx_of(struct mm_struct *p, u64 va)
{
	return (unsigned long)((va - p->start) >> PAGE_SHIFT);
}

/* An address space of @m: [@start, @start + @size), every page @prot. */
static struct mm_struct *mm_create(struct sim_machine *m, u64 start,
				   u64 size, u8 prot)
{
	struct mm_struct *p;

	if (!m || !size || start + size < start ||
	    !IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
	    (size >> PAGE_SHIFT) > SIM_PROCESS_MAX_PAGES)
		return ERR_PTR(-EINVAL);
	p = sim_kzalloc(m, sizeof(*p));
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->m = m;
	p->start = start;
	p->size = size;
	p->npages = (unsigned long)(size >> PAGE_SHIFT);
	p->pages = sim_kcalloc(m, p->npages, sizeof(*p->pages));
	if (!p->pages)
		goto err_free_proc;
	p->prot = sim_kcalloc(m, p->npages, sizeof(*p->prot));
	if (!p->prot)
		goto err_free_pages;
	memset(p->prot, prot, p->npages);
	p->inv_seq = 2;
	init_rwsem(&p->mmap_lock);
	pthread_mutex_init(&p->lock, NULL);
	return p;

err_free_pages:
	sim_kfree(m, p->pages);
err_free_proc:
	sim_kfree(m, p);
	return ERR_PTR(-ENOMEM);
}

/**
 * sim_process_create - a process with an empty address space
 * @m: the machine whose RAM backs it
 * @start: first virtual address (page aligned)
 * @size: bytes (page aligned, non-zero, at most 64 GiB)
 *
 * Every page is readable and writable and not present. The caller owns the
 * process and destroys it with sim_process_destroy().
 *
 * Return: the process, or ERR_PTR(-EINVAL or -ENOMEM).
 */
struct mm_struct *sim_process_create(struct sim_machine *m, u64 start,
				     u64 size)
{
	return mm_create(m, start, size, PTE_MAPPED | PTE_WRITE);
}

/**
 * sim_mm_create - an address space as a new process has it
 * @m: the machine whose RAM backs it
 *
 * SIM_MM_SIZE bytes at SIM_MM_START with nothing mapped: kernel code maps
 * ranges of it with vm_mmap() when it is current->mm.
 *
 * Return: the mm (destroy it with sim_process_destroy()), or
 * ERR_PTR(-EINVAL or -ENOMEM).
 */
struct mm_struct *sim_mm_create(struct sim_machine *m)
{
	return mm_create(m, SIM_MM_START, SIM_MM_SIZE, 0);
}

/**
 * sim_set_current_mm - the calling thread's current->mm
 * @mm: the address space its task now runs in, or NULL
 *
 * Return: the previous current->mm.
 */
struct mm_struct *sim_set_current_mm(struct mm_struct *mm)
{
	struct task_struct *tsk = get_current();
	struct mm_struct *old = tsk->mm;

	tsk->mm = IS_ERR(mm) ? NULL : mm;
	tsk->active_mm = tsk->mm;
	return old;
}

/* Under p->lock: the sequence goes odd and the mirrors are told. */
static unsigned long invalidate_start(struct mm_struct *p, u64 start,
				      u64 end, enum mmu_notifier_event event)
{
	struct mmu_notifier_range range = {
		.mm = p, .start = start, .end = end,
		.flags = MMU_NOTIFIER_RANGE_BLOCKABLE, .event = event,
	};
	unsigned long cur_seq = ++p->inv_seq;

	atomic_fetch_add_explicit(&p->invalidations, 1, memory_order_relaxed);
	for (struct mmu_interval_notifier *sub = p->subs; sub; sub = sub->next) {
		if (sub->start >= end || sub->last < start)
			continue;
		atomic_fetch_add_explicit(&p->callbacks, 1,
					  memory_order_relaxed);
		if (!sub->ops->invalidate(sub, &range, cur_seq))
			SIM_WARN(p->m, NULL,
				 "mmu notifier: a callback refused a blockable invalidation of [%#llx, %#llx)",
				 (unsigned long long)start,
				 (unsigned long long)end);
	}
	return cur_seq;
}

/* Under p->lock: the page table has changed; the sequence goes even. */
static void invalidate_end(struct mm_struct *p)
{
	p->inv_seq++;
}

/**
 * sim_process_destroy - tear a process down
 * @p: the process (NULL or ERR_PTR: nothing)
 *
 * Notifiers still registered get MMU_NOTIFY_RELEASE for their whole range
 * (so their mirrors unmap), are reported and detached (a later
 * mmu_interval_notifier_remove() of them does nothing); then every page
 * goes back to the machine. Nothing may use @p afterwards.
 */
void sim_process_destroy(struct mm_struct *p)
{
	struct sim_machine *m;

	if (IS_ERR_OR_NULL(p))
		return;
	m = p->m;
	pthread_mutex_lock(&p->lock);
	if (p->subs) {
		SIM_WARN(m, NULL,
			 "process destroyed with interval notifiers still registered");
		invalidate_start(p, p->start, p->start + p->size,
				 MMU_NOTIFY_RELEASE);
		invalidate_end(p);
		while (p->subs) {
			struct mmu_interval_notifier *sub = p->subs;

			p->subs = sub->next;
			sub->next = NULL;
			sub->mm = NULL;
		}
	}
	for (unsigned long i = 0; i < p->npages; i++)
		if (p->pages[i])
			sim_free_pages(m, p->pages[i], 0);
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_destroy(&p->lock);
	if (get_current()->mm == p)
		sim_set_current_mm(NULL);
	sim_kfree(m, p->prot);
	sim_kfree(m, p->pages);
	sim_kfree(m, p);
}

/* Under p->lock: the fault handler proper. */
static int fault_locked(struct mm_struct *p, unsigned long idx, bool write)
{
	struct page *pg;

	if (!prot_ok(p, idx, write))
		return -EFAULT;
	if (p->pages[idx])
		return 0;
	pg = sim_alloc_pages(p->m, 0);
	if (!pg)
		return -ENOMEM;
	/* Anonymous memory: the process never sees a previous owner's data. */
	memset(page_address(pg), 0, PAGE_SIZE);
	p->pages[idx] = pg;
	atomic_fetch_add_explicit(&p->faults, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->present, 1, memory_order_relaxed);
	return 0;
}

/**
 * sim_process_fault - handle a CPU page fault at @va
 * @p: the process
 * @va: the faulting address
 * @write: a store (needs a writable page)
 *
 * Allocates and zeroes a page if none is present. Takes p->lock.
 *
 * Return: 0, -EFAULT (outside the address space, or a store to a
 * read-only page), -ENOMEM.
 */
int sim_process_fault(struct mm_struct *p, u64 va, bool write)
{
	int ret;

	if (IS_ERR_OR_NULL(p))
		return -EINVAL;
	if (!range_ok(p, va, 1))
		return -EFAULT;
	pthread_mutex_lock(&p->lock);
	ret = fault_locked(p, idx_of(p, va), write);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static int cpu_access(struct mm_struct *p, u64 va, void *rbuf,
		      const void *wbuf, size_t len)
{
	size_t done = 0;
	int ret = 0;

	if (IS_ERR_OR_NULL(p) || (!rbuf && !wbuf && len))
		return -EINVAL;
	if (!len)
		return 0;
	if (!range_ok(p, va, len))
		return -EFAULT;
	pthread_mutex_lock(&p->lock);
	while (done < len) {
		u64 a = va + done;
		unsigned long idx = idx_of(p, a);
		size_t off = offset_in_page(a);
		size_t n = min(len - done, PAGE_SIZE - off);
		u8 *cpu;

		ret = fault_locked(p, idx, wbuf != NULL);
		if (ret)
			break;
		cpu = (u8 *)page_address(p->pages[idx]) + off;
		if (wbuf)
			memcpy(cpu, (const u8 *)wbuf + done, n);
		else
			memcpy((u8 *)rbuf + done, cpu, n);
		done += n;
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/**
 * sim_process_read - CPU loads from the process
 * @p: the process
 * @va: first address
 * @buf: where the bytes go
 * @len: how many
 *
 * Faults pages in (zeroed) as a load would. Takes p->lock.
 *
 * Return: 0, -EFAULT (outside the address space), -ENOMEM.
 */
int sim_process_read(struct mm_struct *p, u64 va, void *buf, size_t len)
{
	return cpu_access(p, va, buf, NULL, len);
}

/**
 * sim_process_write - CPU stores to the process
 * @p: the process
 * @va: first address
 * @buf: the bytes
 * @len: how many
 *
 * Faults pages in for write. Takes p->lock.
 *
 * Return: 0, -EFAULT (outside, or a read-only page), -ENOMEM.
 */
int sim_process_write(struct mm_struct *p, u64 va, const void *buf,
		      size_t len)
{
	return cpu_access(p, va, NULL, buf, len);
}

/**
 * sim_process_migrate - move one page to another physical page
 * @p: the process
 * @va: an address in the page
 *
 * Allocates the destination first (a failure changes nothing and tells
 * nobody), then, with p->lock held throughout: notifiers overlapping the
 * page run (MMU_NOTIFY_MIGRATE) and must stop using it; only after they
 * have returned are the contents copied by the CPU, the page table
 * pointed at the new page and the old page freed.
 *
 * Return: 0, -EFAULT (outside), -ENOENT (no page there), -ENOMEM.
 */
int sim_process_migrate(struct mm_struct *p, u64 va)
{
	struct page *old, *new;
	unsigned long idx;
	u64 start;

	if (IS_ERR_OR_NULL(p))
		return -EINVAL;
	if (!range_ok(p, va, 1))
		return -EFAULT;
	idx = idx_of(p, va);
	start = ALIGN_DOWN(va, PAGE_SIZE);
	pthread_mutex_lock(&p->lock);
	old = p->pages[idx];
	if (!old) {
		pthread_mutex_unlock(&p->lock);
		return -ENOENT;
	}
	new = sim_alloc_pages(p->m, 0);
	if (!new) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	invalidate_start(p, start, start + PAGE_SIZE, MMU_NOTIFY_MIGRATE);
	sim_ram_cpu_copy(p->m, page_to_phys(new), page_to_phys(old),
			 PAGE_SIZE);
	p->pages[idx] = new;
	sim_free_pages(p->m, old, 0);
	atomic_fetch_add_explicit(&p->migrations, 1, memory_order_relaxed);
	invalidate_end(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/*
 * Under p->lock: notifiers of [start, end) first, then the pages there are
 * freed and their protection masked with @keep_prot.
 */
static void zap_locked(struct mm_struct *p, u64 start, u64 end,
		       enum mmu_notifier_event event, u8 keep_prot)
{
	invalidate_start(p, start, end, event);
	for (u64 a = start; a < end; a += PAGE_SIZE) {
		unsigned long idx = idx_of(p, a);

		p->prot[idx] &= keep_prot;
		if (!p->pages[idx])
			continue;
		sim_free_pages(p->m, p->pages[idx], 0);
		p->pages[idx] = NULL;
		atomic_fetch_add_explicit(&p->zapped, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&p->present, 1,
					  memory_order_relaxed);
	}
	invalidate_end(p);
}

/**
 * sim_process_zap - drop the pages of a range (MADV_DONTNEED)
 * @p: the process
 * @va: start (rounded down to a page)
 * @len: length (the end is rounded up to a page)
 *
 * Notifiers overlapping the range run first (MMU_NOTIFY_CLEAR), then the
 * present pages are freed; the next touch faults in a zero page. Takes
 * p->lock for the whole operation.
 *
 * Return: 0, -EINVAL (empty), -EFAULT (outside the address space).
 */
int sim_process_zap(struct mm_struct *p, u64 va, u64 len)
{
	u64 start, end;

	if (IS_ERR_OR_NULL(p) || !len)
		return -EINVAL;
	if (!range_ok(p, va, len))
		return -EFAULT;
	start = ALIGN_DOWN(va, PAGE_SIZE);
	end = ALIGN(va + len, PAGE_SIZE);
	pthread_mutex_lock(&p->lock);
	zap_locked(p, start, end, MMU_NOTIFY_CLEAR, 0xff);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/**
 * sim_process_mprotect - change write permission of a range
 * @p: the process
 * @va: start (rounded down to a page)
 * @len: length (the end is rounded up)
 * @writable: the new permission
 *
 * Taking write permission away notifies first (MMU_NOTIFY_PROTECTION_VMA),
 * since a mirror may hold the pages writable; granting it does not (a
 * mirror faults for write when it needs to). Takes p->lock.
 *
 * Return: 0, -EINVAL, -EFAULT.
 */
int sim_process_mprotect(struct mm_struct *p, u64 va, u64 len,
			 bool writable)
{
	u64 start, end;

	if (IS_ERR_OR_NULL(p) || !len)
		return -EINVAL;
	if (!range_ok(p, va, len))
		return -EFAULT;
	start = ALIGN_DOWN(va, PAGE_SIZE);
	end = ALIGN(va + len, PAGE_SIZE);
	pthread_mutex_lock(&p->lock);
	if (!writable)
		invalidate_start(p, start, end, MMU_NOTIFY_PROTECTION_VMA);
	for (u64 a = start; a < end; a += PAGE_SIZE) {
		unsigned long idx = idx_of(p, a);

		if (!(p->prot[idx] & PTE_MAPPED))
			continue;
		if (writable)
			p->prot[idx] |= PTE_WRITE;
		else
			p->prot[idx] &= (u8)~PTE_WRITE;
	}
	if (!writable)
		invalidate_end(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/**
 * sim_process_va_to_phys - the physical address behind @va now
 * @p: the process
 * @va: the address
 * @phys: out
 *
 * A snapshot: the page may move once p->lock (taken here) is dropped.
 *
 * Return: 0, -EFAULT (outside), -ENOENT (not present).
 */
int sim_process_va_to_phys(struct mm_struct *p, u64 va, phys_addr_t *phys)
{
	struct page *pg;

	if (IS_ERR_OR_NULL(p) || !phys)
		return -EINVAL;
	if (!range_ok(p, va, 1))
		return -EFAULT;
	pthread_mutex_lock(&p->lock);
	if (!(p->prot[idx_of(p, va)] & PTE_MAPPED)) {
		pthread_mutex_unlock(&p->lock);
		return -EFAULT;
	}
	pg = p->pages[idx_of(p, va)];
	if (pg)
		*phys = page_to_phys(pg) + offset_in_page(va);
	pthread_mutex_unlock(&p->lock);
	return pg ? 0 : -ENOENT;
}

/**
 * sim_process_stats - the process's counters
 * @p: the process (NULL or ERR_PTR: zeroes)
 * @out: filled; each counter exact, the set not one snapshot (no lock)
 */
void sim_process_stats(struct mm_struct *p, struct sim_process_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (IS_ERR_OR_NULL(p))
		return;
	out->faults = atomic_load_explicit(&p->faults, memory_order_relaxed);
	out->migrations = atomic_load_explicit(&p->migrations,
					       memory_order_relaxed);
	out->zapped = atomic_load_explicit(&p->zapped, memory_order_relaxed);
	out->invalidations = atomic_load_explicit(&p->invalidations,
						  memory_order_relaxed);
	out->callbacks = atomic_load_explicit(&p->callbacks,
					      memory_order_relaxed);
	out->pages_present = atomic_load_explicit(&p->present,
						  memory_order_relaxed);
}

/**
 * sim_process_machine - the machine whose RAM backs @p
 * @p: the process
 *
 * Return: the machine, NULL for NULL or ERR_PTR.
 */
struct sim_machine *sim_process_machine(struct mm_struct *p)
{
	return IS_ERR_OR_NULL(p) ? NULL : p->m;
}

/* ------------------------------------------------------------------------ */
/* MMU interval notifiers                                                   */
/* ------------------------------------------------------------------------ */

/**
 * mmu_interval_notifier_insert - watch a range of a process
 * @interval_sub: the notifier, owned by the caller until removed
 * @mm: the process
 * @start: first address watched
 * @length: bytes watched
 * @ops: the callbacks (invalidate)
 *
 * Takes the process lock; an invalidation running now has already told
 * whom it tells.
 *
 * Return: 0, or -EINVAL (bad arguments, empty or wrapping range).
 */
int mmu_interval_notifier_insert(struct mmu_interval_notifier *interval_sub,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long length,
				 const struct mmu_interval_notifier_ops *ops)
{
	if (!interval_sub || IS_ERR_OR_NULL(mm) || !ops || !ops->invalidate ||
	    !length || start + length < start)
		return -EINVAL;
	interval_sub->ops = ops;
	interval_sub->start = start;
	interval_sub->last = start + (length - 1);
	pthread_mutex_lock(&mm->lock);
	interval_sub->mm = mm;
	/* Any value the process's sequence is not: no invalidation seen. */
	mmu_interval_set_seq(interval_sub, mm->inv_seq - 1);
	interval_sub->next = mm->subs;
	mm->subs = interval_sub;
	pthread_mutex_unlock(&mm->lock);
	return 0;
}

/**
 * mmu_interval_notifier_remove - stop watching
 * @interval_sub: an inserted notifier (or one its process detached)
 *
 * Takes the process lock, so an invalidation calling this notifier has
 * finished when this returns; the caller may free it then. Must not be
 * called from an invalidate callback.
 */
void mmu_interval_notifier_remove(struct mmu_interval_notifier *interval_sub)
{
	struct mm_struct *mm;

	if (!interval_sub || !(mm = interval_sub->mm))
		return;
	pthread_mutex_lock(&mm->lock);
	for (struct mmu_interval_notifier **pp = &mm->subs; *pp;
	     pp = &(*pp)->next) {
		if (*pp == interval_sub) {
			*pp = interval_sub->next;
			break;
		}
	}
	interval_sub->next = NULL;
	interval_sub->mm = NULL;
	pthread_mutex_unlock(&mm->lock);
}

/**
 * mmu_interval_read_begin - start reading the page table for a mirror
 * @interval_sub: the mirror's notifier
 *
 * Waits for an invalidation in progress (by taking the process lock, which
 * an invalidation holds from its start to its end).
 *
 * Return: the sequence for mmu_interval_read_retry().
 */
unsigned long mmu_interval_read_begin(struct mmu_interval_notifier *interval_sub)
{
	struct mm_struct *mm = interval_sub->mm;
	unsigned long seq;

	if (!mm)
		return __atomic_load_n(&interval_sub->invalidate_seq,
				       __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&mm->lock);
	seq = __atomic_load_n(&interval_sub->invalidate_seq, __ATOMIC_ACQUIRE);
	pthread_mutex_unlock(&mm->lock);
	return seq;
}

/* ------------------------------------------------------------------------ */
/* hmm_range_fault                                                          */
/* ------------------------------------------------------------------------ */

/**
 * hmm_range_fault - fill hmm pfns for a range of the notifier's process
 * @range: the range; @range->notifier must be inserted
 *
 * For each page: the request is (input & pfn_flags_mask) | default_flags.
 * A present page gives its pfn with HMM_PFN_VALID (and HMM_PFN_WRITE when
 * writable); a missing page is faulted in when HMM_PFN_REQ_FAULT asks,
 * else gives 0; an address outside the process gives HMM_PFN_ERROR (or
 * -EFAULT if a fault was asked for). The sticky flags
 * (HMM_PFN_INOUT_FLAGS) of every entry are kept as they were. On error,
 * entries before the failing page are filled and the rest untouched.
 *
 * The kernel's caller holds mmap_read_lock; here the process lock is taken
 * inside, so the caller must not hold it (nor its mirror lock: see the
 * file comment).
 *
 * Return: 0, -EINVAL, -EBUSY (an invalidation ran since
 * range->notifier_seq), -EFAULT, -EPERM (write asked of a read-only page),
 * -ENOMEM.
 */
int hmm_range_fault(struct hmm_range *range)
{
	const unsigned long req_mask = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE;
	struct mm_struct *p;
	int ret = 0;

	if (!range || !range->notifier || !range->hmm_pfns ||
	    !(p = range->notifier->mm) || range->start >= range->end ||
	    !IS_ALIGNED(range->start, PAGE_SIZE) ||
	    !IS_ALIGNED(range->end, PAGE_SIZE))
		return -EINVAL;

	pthread_mutex_lock(&p->lock);
	if (mmu_interval_check_retry(range->notifier, range->notifier_seq)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	for (u64 va = range->start; va < range->end; va += PAGE_SIZE) {
		unsigned long *hmm_pfn =
			&range->hmm_pfns[(va - range->start) >> PAGE_SHIFT];
		unsigned long req, out = 0;

		req = ((*hmm_pfn & range->pfn_flags_mask) |
		       range->default_flags) & req_mask;
		if (!range_ok(p, va, PAGE_SIZE) ||
		    !(p->prot[idx_of(p, va)] & PTE_MAPPED)) {
			if (req & HMM_PFN_REQ_FAULT) {
				ret = -EFAULT;
				break;
			}
			out = HMM_PFN_ERROR;
		} else {
			unsigned long idx = idx_of(p, va);

			if ((req & HMM_PFN_REQ_FAULT) &&
			    (req & HMM_PFN_REQ_WRITE) &&
			    !(p->prot[idx] & PTE_WRITE)) {
				ret = -EPERM;
				break;
			}
			if (!p->pages[idx] && (req & HMM_PFN_REQ_FAULT)) {
				ret = fault_locked(p, idx, false);
				if (ret)
					break;
			}
			if (p->pages[idx])
				out = page_to_pfn(p->pages[idx]) |
				      HMM_PFN_VALID |
				      (p->prot[idx] & PTE_WRITE ?
				       HMM_PFN_WRITE : 0);
		}
		*hmm_pfn = (*hmm_pfn & HMM_PFN_INOUT_FLAGS) | out;
	}
out_unlock:
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* The mmap lock, vm_mmap() and vm_munmap()                                 */
/* ------------------------------------------------------------------------ */

void mmap_read_lock(struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
}

bool mmap_read_trylock(struct mm_struct *mm)
{
	return down_read_trylock(&mm->mmap_lock);
}

void mmap_read_unlock(struct mm_struct *mm)
{
	up_read(&mm->mmap_lock);
}

void mmap_write_lock(struct mm_struct *mm)
{
	down_write(&mm->mmap_lock);
}

void mmap_write_unlock(struct mm_struct *mm)
{
	up_write(&mm->mmap_lock);
}

void mmap_write_downgrade(struct mm_struct *mm)
{
	downgrade_write(&mm->mmap_lock);
}

void __mmap_assert_locked(struct mm_struct *mm, const char *file, int line)
{
	if (!lockdep_is_held(&mm->mmap_lock))
		warn_slowpath_fmt(file, line, TAINT_WARN,
				  "mmap_assert_locked(): the mmap lock is not held");
}

void __mmap_assert_write_locked(struct mm_struct *mm, const char *file,
				int line)
{
	if (!lockdep_is_held_type(&mm->mmap_lock, 0))
		warn_slowpath_fmt(file, line, TAINT_WARN,
				  "mmap_assert_write_locked(): the mmap lock is not held for writing by this thread");
}

/* Under p->lock: the first run of @n unmapped pages, or -1UL. */
static unsigned long find_hole(struct mm_struct *p, unsigned long n)
{
	unsigned long run = 0;

	for (unsigned long i = 0; i < p->npages; i++) {
		run = (p->prot[i] & PTE_MAPPED) ? 0 : run + 1;
		if (run == n)
			return i + 1 - n;
	}
	return -1UL;
}

/**
 * vm_mmap - map anonymous memory into current->mm
 * @file: NULL (anonymous memory only)
 * @addr: a hint, or with MAP_FIXED the address
 * @len: bytes (rounded up to pages)
 * @prot: PROT_READ, with PROT_WRITE for writable memory
 * @flag: MAP_ANONYMOUS and MAP_PRIVATE or MAP_SHARED, maybe MAP_FIXED
 * @offset: 0
 *
 * First fit over the address space. Pages are faulted in (zeroed) on
 * first touch. Takes mmap_write_lock().
 *
 * Return: the address, or -EINVAL, -ENODEV, -ENOMEM as IS_ERR_VALUE().
 */
unsigned long vm_mmap(struct file *file, unsigned long addr,
		      unsigned long len, unsigned long prot,
		      unsigned long flag, unsigned long offset)
{
	struct mm_struct *p = get_current()->mm;
	u8 pte = PTE_MAPPED | ((prot & PROT_WRITE) ? PTE_WRITE : 0);
	unsigned long n, idx;

	if (file)
		return (unsigned long)-ENODEV;
	if (!p || !len || offset || !(flag & MAP_ANONYMOUS) ||
	    !(flag & (MAP_PRIVATE | MAP_SHARED)) || !(prot & PROT_READ) ||
	    len > p->size)
		return (unsigned long)-EINVAL;
	n = (unsigned long)(PAGE_ALIGN((u64)len) >> PAGE_SHIFT);
	if ((flag & MAP_FIXED) &&
	    (!IS_ALIGNED(addr, PAGE_SIZE) || !range_ok(p, addr, (u64)n << PAGE_SHIFT)))
		return (unsigned long)-EINVAL;
	mmap_write_lock(p);
	pthread_mutex_lock(&p->lock);
	if (flag & MAP_FIXED) {
		zap_locked(p, addr, addr + ((u64)n << PAGE_SHIFT),
			   MMU_NOTIFY_UNMAP, 0);
		idx = idx_of(p, addr);
	} else {
		idx = find_hole(p, n);
	}
	if (idx != -1UL)
		memset(p->prot + idx, pte, n);
	pthread_mutex_unlock(&p->lock);
	mmap_write_unlock(p);
	if (idx == -1UL)
		return (unsigned long)-ENOMEM;
	return (unsigned long)(p->start + ((u64)idx << PAGE_SHIFT));
}

/**
 * vm_munmap - unmap a range of current->mm
 * @start: first address (page aligned)
 * @len: bytes (rounded up to pages)
 *
 * The interval notifiers covering the range are told (MMU_NOTIFY_UNMAP)
 * before its pages are freed; the range is unmapped afterwards (a touch
 * there is a fault). Takes mmap_write_lock().
 *
 * Return: 0, or -EINVAL (no current->mm, unaligned, outside).
 */
int vm_munmap(unsigned long start, size_t len)
{
	struct mm_struct *p = get_current()->mm;
	u64 end;

	if (!p || !IS_ALIGNED(start, PAGE_SIZE) || !len)
		return -EINVAL;
	end = PAGE_ALIGN((u64)start + len);
	if (!range_ok(p, start, end - start))
		return -EINVAL;
	mmap_write_lock(p);
	pthread_mutex_lock(&p->lock);
	zap_locked(p, start, end, MMU_NOTIFY_UNMAP, 0);
	pthread_mutex_unlock(&p->lock);
	mmap_write_unlock(p);
	return 0;
}
