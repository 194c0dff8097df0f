// SPDX-License-Identifier: MIT
/*
 * The process model (include/dmastack/odp.h): demand faults, migration
 * with copied contents, zapping, mprotect, interval notifiers called
 * before the page table changes, the read_begin/retry sequence and
 * hmm_range_fault(); then the NIC as an ODP device mirroring a process
 * through NIC page faults and invalidations, with both mapping strategies
 * (one IOVA range through hmm_dma_map, or dma_map_phys per page), their
 * memory cost per page, a fault-injection sweep and a threaded stress
 * (run under TSan by `make test-tsan`).
 *
 * NIC tests run on each shared variant of a device that needs no sync: no
 * IOMMU, passthrough, x86 and arm64 4K strict and lazy, arm64 16K and 64K
 * granules (where 4K entries are mapped one by one inside hmm_dma_map).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "failnth.h"
#include "variants.h"

/* On the HMM/ODP machine of variants.h. */
struct fx {
	VARIANT_FX;
	struct device *nic, *dev0;
};

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_nic_machine);

	f->nic = dev_of(f->m, "nic0");
	f->dev0 = dev_of(f->m, "dev0");
	return 0;
}

static int fx_teardown(void **state)
{
	return variant_fx_teardown(state, TD_BUG);
}

#define VA	0x7f1200000000ULL
#define NP	64
#define PG(i)	(VA + (u64)(i) * PAGE_SIZE)

static struct sim_process *proc_new(struct fx *f, unsigned long npages)
{
	struct sim_process *p = sim_process_create(f->m, VA, npages * PAGE_SIZE);

	assert_false(IS_ERR_OR_NULL(p));
	return p;
}

static phys_addr_t phys_of(struct sim_process *p, u64 va)
{
	phys_addr_t phys = 0;

	assert_int_equal(sim_process_va_to_phys(p, va, &phys), 0);
	return phys;
}

/* ------------------------------------------------------------------------ */
/* The process                                                              */
/* ------------------------------------------------------------------------ */

static void test_process_fault(void **state)
{
	struct fx *f = *state;
	unsigned long pages = sim_ram_pages_allocated(f->m);
	struct sim_process_stats st;
	struct sim_process *p;
	u8 buf[PAGE_SIZE], want[PAGE_SIZE];
	phys_addr_t phys;

	assert_ptr_equal(sim_process_create(NULL, VA, PAGE_SIZE),
			 ERR_PTR(-EINVAL));
	assert_ptr_equal(sim_process_create(f->m, VA + 1, PAGE_SIZE),
			 ERR_PTR(-EINVAL));
	assert_ptr_equal(sim_process_create(f->m, VA, 0), ERR_PTR(-EINVAL));
	assert_ptr_equal(sim_process_create(f->m, ~0ULL & PAGE_MASK,
					    2 * PAGE_SIZE), ERR_PTR(-EINVAL));
	p = proc_new(f, NP);
	assert_ptr_equal(sim_process_machine(p), f->m);
	assert_int_equal(sim_process_va_to_phys(p, PG(0), &phys), -ENOENT);
	assert_int_equal(sim_process_va_to_phys(p, VA - 1, &phys), -EFAULT);

	/* A load from an untouched page faults in a zeroed page. */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(sim_process_read(p, PG(2), buf, PAGE_SIZE), 0);
	memset(want, 0, sizeof(want));
	assert_memory_equal(buf, want, PAGE_SIZE);
	sim_process_stats(p, &st);
	assert_int_equal(st.faults, 1);
	assert_int_equal(st.pages_present, 1);
	assert_int_equal(sim_ram_pages_allocated(f->m), pages + 1);

	/* A store across a page boundary faults both pages in. */
	fill_pattern(want, sizeof(want), 3);
	assert_int_equal(sim_process_write(p, PG(5) + 100, want, PAGE_SIZE), 0);
	assert_int_equal(sim_process_read(p, PG(5) + 100, buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, want, PAGE_SIZE);
	phys = phys_of(p, PG(5) + 100);
	assert_memory_equal(sim_phys_to_virt(f->m, phys), want,
			    PAGE_SIZE - 100);
	sim_process_stats(p, &st);
	assert_int_equal(st.faults, 3);

	assert_int_equal(sim_process_fault(p, PG(9), true), 0);
	assert_int_equal(sim_process_fault(p, PG(9), false), 0);
	sim_process_stats(p, &st);
	assert_int_equal(st.faults, 4);
	assert_int_equal(st.pages_present, 4);

	/* Outside the address space: a segfault. */
	assert_int_equal(sim_process_read(p, PG(NP), buf, 1), -EFAULT);
	assert_int_equal(sim_process_write(p, PG(NP - 1) + 1, buf, PAGE_SIZE),
			 -EFAULT);
	assert_int_equal(sim_process_fault(p, VA - PAGE_SIZE, false), -EFAULT);
	assert_int_equal(sim_process_read(p, PG(0), NULL, 4), -EINVAL);
	assert_int_equal(sim_process_read(p, PG(0), buf, 0), 0);

	sim_process_destroy(p);
	sim_process_destroy(NULL);
	assert_int_equal(sim_ram_pages_allocated(f->m), pages);
}

static void test_process_migrate_zap(void **state)
{
	struct fx *f = *state;
	struct sim_process_stats st;
	struct sim_process *p = proc_new(f, NP);
	u8 buf[PAGE_SIZE], want[PAGE_SIZE], zero[PAGE_SIZE] = { 0 };
	phys_addr_t before, after;

	fill_pattern(want, sizeof(want), 4);
	assert_int_equal(sim_process_write(p, PG(1), want, PAGE_SIZE), 0);
	before = phys_of(p, PG(1));
	assert_int_equal(sim_process_migrate(p, PG(1) + 17), 0);
	after = phys_of(p, PG(1));
	assert_int_not_equal(before, after);
	assert_int_equal(sim_process_read(p, PG(1), buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, want, PAGE_SIZE);
	assert_int_equal(sim_process_migrate(p, PG(2)), -ENOENT);
	assert_int_equal(sim_process_migrate(p, PG(NP)), -EFAULT);

	/* A migration that cannot get a page changes nothing. */
	sim_fail_nth_alloc(f->m, 1);
	assert_int_equal(sim_process_migrate(p, PG(1)), -ENOMEM);
	sim_fail_nth_alloc(f->m, 0);
	assert_int_equal(phys_of(p, PG(1)), after);

	assert_int_equal(sim_process_write(p, PG(3), want, PAGE_SIZE), 0);
	assert_int_equal(sim_process_zap(p, PG(1), 2 * PAGE_SIZE + 1), 0);
	assert_int_equal(sim_process_va_to_phys(p, PG(1), &after), -ENOENT);
	assert_int_equal(sim_process_va_to_phys(p, PG(3), &after), -ENOENT);
	assert_int_equal(sim_process_read(p, PG(3), buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, zero, PAGE_SIZE);
	assert_int_equal(sim_process_zap(p, PG(0), 0), -EINVAL);
	assert_int_equal(sim_process_zap(p, PG(NP - 1), 2 * PAGE_SIZE),
			 -EFAULT);
	sim_process_stats(p, &st);
	assert_int_equal(st.migrations, 1);
	assert_int_equal(st.zapped, 2);
	assert_int_equal(st.pages_present, 1);
	sim_process_destroy(p);
}

/* A mirror that records what it was told and checks the page is unmoved. */
struct watcher {
	struct mmu_interval_notifier sub;
	struct sim_process *p;
	struct device *dev;
	dma_addr_t dma;			/* the mirror's mapping of PG(1) */
	const u8 *want;
	unsigned int calls;
	struct mmu_notifier_range last;
	unsigned long last_seq;
	bool page_unmoved;		/* at callback time */
	bool data_ok;
};

static bool watch_invalidate(struct mmu_interval_notifier *sub,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	struct watcher *w = (struct watcher *)sub;
	struct sim_process_stats st;
	u8 buf[PAGE_SIZE];

	mmu_interval_set_seq(sub, cur_seq);
	w->calls++;
	w->last = *range;
	w->last_seq = cur_seq;
	sim_process_stats(w->p, &st);
	w->page_unmoved = st.migrations == 0 && st.zapped == 0;
	/* The device still reads the old page, contents intact. */
	if (w->dma != DMA_MAPPING_ERROR) {
		w->data_ok = !sim_dma_read(w->dev, w->dma, buf, PAGE_SIZE) &&
			     !memcmp(buf, w->want, PAGE_SIZE);
		dma_unmap_phys(w->dev, w->dma, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
		w->dma = DMA_MAPPING_ERROR;
	}
	return true;
}

static const struct mmu_interval_notifier_ops watch_ops = {
	.invalidate = watch_invalidate,
};

static void test_notifier_order(void **state)
{
	struct fx *f = *state;
	struct watcher w = { .dev = f->dev0, .dma = DMA_MAPPING_ERROR };
	struct sim_process *p = proc_new(f, NP);
	u8 want[PAGE_SIZE], buf[PAGE_SIZE];
	phys_addr_t old;

	w.p = p;
	w.want = want;
	fill_pattern(want, sizeof(want), 5);
	assert_int_equal(mmu_interval_notifier_insert(&w.sub, p, PG(1),
						      2 * PAGE_SIZE, &watch_ops),
			 0);
	assert_int_equal(mmu_interval_notifier_insert(&w.sub, p, PG(1), 0,
						      &watch_ops), -EINVAL);
	assert_int_equal(sim_process_write(p, PG(1), want, PAGE_SIZE), 0);
	old = phys_of(p, PG(1));
	w.dma = dma_map_phys(f->dev0, old, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(f->dev0, w.dma));

	assert_int_equal(sim_process_migrate(p, PG(1)), 0);
	assert_int_equal(w.calls, 1);
	assert_true(w.page_unmoved);	/* the callback ran first */
	assert_true(w.data_ok);
	assert_int_equal(w.last.event, MMU_NOTIFY_MIGRATE);
	assert_ptr_equal(w.last.mm, p);
	assert_int_equal(w.last.start, PG(1));
	assert_int_equal(w.last.end, PG(2));
	assert_true(w.last_seq & 1);	/* odd while invalidating */
	assert_int_not_equal(phys_of(p, PG(1)), old);
	assert_int_equal(sim_process_read(p, PG(1), buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, want, PAGE_SIZE);

	/* Outside the notifier's range: not called. */
	assert_int_equal(sim_process_write(p, PG(4), want, 8), 0);
	assert_int_equal(sim_process_migrate(p, PG(4)), 0);
	assert_int_equal(sim_process_zap(p, PG(3), PAGE_SIZE), 0);
	assert_int_equal(w.calls, 1);
	/* Overlapping zap and mprotect are. */
	assert_int_equal(sim_process_zap(p, PG(0), 2 * PAGE_SIZE), 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.last.event, MMU_NOTIFY_CLEAR);
	assert_int_equal(sim_process_mprotect(p, PG(2), PAGE_SIZE, false), 0);
	assert_int_equal(w.calls, 3);
	assert_int_equal(w.last.event, MMU_NOTIFY_PROTECTION_VMA);
	assert_int_equal(sim_process_write(p, PG(2), want, 1), -EFAULT);
	assert_int_equal(sim_process_read(p, PG(2), buf, 1), 0);
	assert_int_equal(sim_process_mprotect(p, PG(2), PAGE_SIZE, true), 0);
	assert_int_equal(w.calls, 3);	/* granting write tells nobody */
	assert_int_equal(sim_process_write(p, PG(2), want, 1), 0);

	mmu_interval_notifier_remove(&w.sub);
	assert_null(w.sub.mm);
	assert_int_equal(sim_process_migrate(p, PG(2)), 0);
	assert_int_equal(w.calls, 3);
	mmu_interval_notifier_remove(&w.sub);	/* twice: nothing */

	/* Destroying a process with a notifier still in: released, reported. */
	w.dma = DMA_MAPPING_ERROR;
	assert_int_equal(mmu_interval_notifier_insert(&w.sub, p, PG(0),
						      PAGE_SIZE, &watch_ops), 0);
	sim_process_destroy(p);
	assert_int_equal(w.calls, 4);
	assert_int_equal(w.last.event, MMU_NOTIFY_RELEASE);
	assert_null(w.sub.mm);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "notifiers still registered"));
	mmu_interval_notifier_remove(&w.sub);
}

static void test_sequence_retry(void **state)
{
	struct fx *f = *state;
	struct watcher w = { .dma = DMA_MAPPING_ERROR };
	struct sim_process *p = proc_new(f, NP);
	unsigned long pfns[4] = { 0 }, seq;
	struct hmm_range range = {
		.notifier = &w.sub, .start = PG(0), .end = PG(4),
		.hmm_pfns = pfns,
	};

	w.p = p;
	assert_int_equal(mmu_interval_notifier_insert(&w.sub, p, PG(0),
						      4 * PAGE_SIZE, &watch_ops),
			 0);
	seq = mmu_interval_read_begin(&w.sub);
	assert_false(mmu_interval_read_retry(&w.sub, seq));

	/* Without a fault request nothing is faulted in. */
	range.notifier_seq = seq;
	assert_int_equal(hmm_range_fault(&range), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pfns[i], 0);
	/* Per-entry requests through pfn_flags_mask. */
	pfns[1] = HMM_PFN_REQ_FAULT;
	range.pfn_flags_mask = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE;
	assert_int_equal(hmm_range_fault(&range), 0);
	assert_int_equal(pfns[0], 0);
	assert_int_equal(pfns[1] & HMM_PFN_FLAGS,
			 HMM_PFN_VALID | HMM_PFN_WRITE);
	assert_int_equal(hmm_pfn_to_phys(pfns[1]), phys_of(p, PG(1)));
	assert_ptr_equal(hmm_pfn_to_page(f->m, pfns[1]),
			 sim_phys_to_page(f->m, phys_of(p, PG(1))));
	/* the kernel's form, on the current machine */
	assert_ptr_equal(hmm_pfn_to_page(pfns[1]),
			 sim_phys_to_page(f->m, phys_of(p, PG(1))));
	assert_false(mmu_interval_read_retry(&w.sub, seq));

	/* Activity outside the range leaves the sequence alone... */
	assert_int_equal(sim_process_fault(p, PG(10), true), 0);
	assert_int_equal(sim_process_migrate(p, PG(10)), 0);
	assert_false(mmu_interval_read_retry(&w.sub, seq));
	/* ...a move inside it does not. */
	assert_int_equal(sim_process_migrate(p, PG(1)), 0);
	assert_true(mmu_interval_read_retry(&w.sub, seq));
	assert_true(mmu_interval_check_retry(&w.sub, seq));
	assert_int_equal(hmm_range_fault(&range), -EBUSY);
	range.notifier_seq = mmu_interval_read_begin(&w.sub);
	assert_int_not_equal(range.notifier_seq, seq);
	assert_int_equal(hmm_range_fault(&range), 0);
	assert_int_equal(hmm_pfn_to_phys(pfns[1]), phys_of(p, PG(1)));

	/* Read-only pages: no write fault, and no WRITE flag. */
	assert_int_equal(sim_process_mprotect(p, PG(2), PAGE_SIZE, false), 0);
	range.notifier_seq = mmu_interval_read_begin(&w.sub);
	range.default_flags = HMM_PFN_REQ_FAULT;
	assert_int_equal(hmm_range_fault(&range), 0);
	assert_int_equal(pfns[2] & HMM_PFN_FLAGS, HMM_PFN_VALID);
	range.default_flags |= HMM_PFN_REQ_WRITE;
	assert_int_equal(hmm_range_fault(&range), -EPERM);

	/* Outside the process: an error entry, or -EFAULT when faulting. */
	range.start = PG(NP - 2);
	range.end = PG(NP + 2);
	range.default_flags = 0;
	range.pfn_flags_mask = 0;
	memset(pfns, 0, sizeof(pfns));
	range.notifier_seq = mmu_interval_read_begin(&w.sub);
	assert_int_equal(hmm_range_fault(&range), 0);
	assert_int_equal(pfns[2], HMM_PFN_ERROR);
	assert_int_equal(pfns[3], HMM_PFN_ERROR);
	range.default_flags = HMM_PFN_REQ_FAULT;
	assert_int_equal(hmm_range_fault(&range), -EFAULT);

	range.start = PG(0) + 1;
	assert_int_equal(hmm_range_fault(&range), -EINVAL);
	range.start = range.end;
	assert_int_equal(hmm_range_fault(&range), -EINVAL);
	assert_int_equal(hmm_range_fault(NULL), -EINVAL);

	mmu_interval_notifier_remove(&w.sub);
	sim_process_destroy(p);
}

/* ------------------------------------------------------------------------ */
/* The ODP NIC                                                              */
/* ------------------------------------------------------------------------ */

static const enum sim_odp_strategy strategies[] = {
	SIM_ODP_HMM_IOVA, SIM_ODP_PER_PAGE,
};

static struct sim_odp_mr *mr_new(struct fx *f, struct sim_process *p,
				 u64 va, u64 len, enum sim_odp_strategy s)
{
	struct sim_odp_mr_opts o = { .strategy = s };
	struct sim_odp_mr *mr = sim_nic_reg_odp_mr(f->nic, p, va, len, &o);

	assert_false(IS_ERR_OR_NULL(mr));
	return mr;
}

static void mirror_once(struct fx *f, enum sim_odp_strategy s)
{
	struct sim_process *p = proc_new(f, NP);
	struct sim_odp_mr *mr = mr_new(f, p, VA, NP * PAGE_SIZE, s);
	struct sim_odp_mr_stats st;
	u8 buf[PAGE_SIZE], want[PAGE_SIZE], zero[PAGE_SIZE] = { 0 };
	dma_addr_t slot3;
	phys_addr_t old, new;
	int prot;

	sim_nic_odp_mr_stats(mr, &st);
	assert_int_equal(st.npages, NP);
	assert_int_equal(st.pages_mapped, 0);
	assert_int_equal(st.uses_iova,
			 s == SIM_ODP_HMM_IOVA && f->translated &&
			 f->v->granule == SZ_4K);

	/* The NIC writes eight pages (a receive): each one a NIC fault. */
	for (int i = 0; i < 8; i++) {
		fill_pattern(want, PAGE_SIZE, 300 + i);
		assert_int_equal(sim_nic_odp_write(mr, PG(i), want, PAGE_SIZE),
				 0);
	}
	sim_nic_odp_mr_stats(mr, &st);
	assert_int_equal(st.faults, 8);
	assert_int_equal(st.pages_mapped, 8);
	/* The CPU reads what the NIC wrote. */
	for (int i = 0; i < 8; i++) {
		fill_pattern(want, PAGE_SIZE, 300 + i);
		assert_int_equal(sim_process_read(p, PG(i), buf, PAGE_SIZE), 0);
		assert_memory_equal(buf, want, PAGE_SIZE);
	}
	/* The NIC reads what the CPU wrote, across a page boundary. */
	fill_pattern(want, PAGE_SIZE, 400);
	assert_int_equal(sim_process_write(p, PG(10) + 2000, want, PAGE_SIZE),
			 0);
	assert_int_equal(sim_nic_odp_read(mr, PG(10) + 2000, buf, PAGE_SIZE),
			 0);
	assert_memory_equal(buf, want, PAGE_SIZE);
	sim_nic_odp_mr_stats(mr, &st);
	assert_int_equal(st.faults, 10);
	/* Mapped pages cost no fault. */
	assert_int_equal(sim_nic_odp_read(mr, PG(0), buf, 64), 0);
	sim_nic_odp_mr_stats(mr, &st);
	assert_int_equal(st.faults, 10);

	/* The page moves: the NIC is told first and unmaps it. */
	slot3 = sim_nic_odp_dma_addr(mr, PG(3));
	assert_int_not_equal(slot3, DMA_MAPPING_ERROR);
	old = phys_of(p, PG(3));
	assert_int_equal(sim_process_migrate(p, PG(3)), 0);
	new = phys_of(p, PG(3));
	assert_int_not_equal(old, new);
	sim_nic_odp_mr_stats(mr, &st);
	assert_int_equal(st.invalidations, 1);
	assert_int_equal(st.pages_unmapped, 1);
	assert_int_equal(st.pages_mapped, 9);
	assert_int_equal(sim_nic_odp_dma_addr(mr, PG(3)), DMA_MAPPING_ERROR);
	/* a lazy domain keeps the per-page path's IOTLB entry until a flush */
	if (st.uses_iova ||
	    (f->translated && !variant_lazy(f->v))) {
		/* Unlinked (IOTLB invalidated): the old address faults. */
		assert_int_equal(sim_dma_read(f->nic, slot3, buf, 8), -EFAULT);
	}
	/* The NIC reads the moved page's data through a new mapping. */
	fill_pattern(want, PAGE_SIZE, 303);
	assert_int_equal(sim_nic_odp_read(mr, PG(3), buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, want, PAGE_SIZE);
	sim_nic_odp_mr_stats(mr, &st);
	assert_int_equal(st.faults, 11);
	if (st.uses_iova) {
		/* Same slot of the one IOVA range, pointing elsewhere now. */
		assert_int_equal(sim_nic_odp_dma_addr(mr, PG(3)), slot3);
		assert_int_equal(sim_iommu_lookup(f->nic, slot3, &new, &prot),
				 0);
		assert_int_equal(new, phys_of(p, PG(3)));
	}

	/* The page goes: the NIC next reads a fresh zero page. */
	assert_int_equal(sim_process_zap(p, PG(4), PAGE_SIZE), 0);
	assert_int_equal(sim_nic_odp_read(mr, PG(4), buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, zero, PAGE_SIZE);
	sim_nic_odp_mr_stats(mr, &st);
	assert_int_equal(st.invalidations, 2);
	assert_int_equal(st.dma_bytes, 11 * PAGE_SIZE + 64);

	/* A zap of the whole region unmaps all; dereg frees all. */
	assert_int_equal(sim_process_zap(p, VA, NP * PAGE_SIZE), 0);
	sim_nic_odp_mr_stats(mr, &st);
	assert_int_equal(st.pages_mapped, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 0);
	assert_int_equal(sim_nic_odp_write(mr, PG(63), want, 8), 0);
	sim_nic_dereg_odp_mr(mr);
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic), 0);
	sim_process_destroy(p);
	assert_int_equal(sim_dma_debug_errors(f->m), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

static void test_odp_mirror(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++)
		mirror_once(f, strategies[i]);
}

/* What each strategy holds per page, and the IOVA allocations it keeps. */
static void test_odp_memory(void **state)
{
	struct fx *f = *state;
	struct sim_odp_mr_stats si, sp;
	struct sim_process *p = proc_new(f, NP);
	struct sim_odp_mr *a = mr_new(f, p, VA, NP * PAGE_SIZE,
				      SIM_ODP_HMM_IOVA);
	struct sim_odp_mr *b = mr_new(f, p, VA, NP * PAGE_SIZE,
				      SIM_ODP_PER_PAGE);

	assert_int_equal(sim_nic_odp_prefetch(a, VA, NP * PAGE_SIZE, true), 0);
	assert_int_equal(sim_nic_odp_prefetch(b, VA, NP * PAGE_SIZE, true), 0);
	sim_nic_odp_mr_stats(a, &si);
	sim_nic_odp_mr_stats(b, &sp);
	assert_int_equal(si.pages_mapped, NP);
	assert_int_equal(sp.pages_mapped, NP);
	assert_int_equal(sp.bytes_per_mapped_page,
			 sizeof(unsigned long) + sizeof(dma_addr_t));
	assert_int_equal(sp.meta_bytes, NP * sp.bytes_per_mapped_page);
	if (si.uses_iova) {
		/* The seed's point: no dma_addr_t per page, one IOVA range. */
		assert_int_equal(si.bytes_per_mapped_page,
				 sizeof(unsigned long));
		assert_true(si.bytes_per_mapped_page < sp.bytes_per_mapped_page);
		assert_true(si.meta_bytes < sp.meta_bytes);
		assert_int_equal(si.iova_ranges, 1);
		assert_int_equal(sp.iova_ranges, NP);
	} else if (f->translated) {
		/* 64K granule: 4K entries are mapped one by one. */
		assert_int_equal(si.iova_ranges, NP);
	} else {
		assert_int_equal(si.iova_ranges, 0);
		assert_int_equal(sp.iova_ranges, 0);
	}
	print_message("%s: %zu bytes per mapped page with %s, %zu with per-page dma_map_phys\n",
		      f->v->name, si.bytes_per_mapped_page,
		      si.uses_iova ? "one IOVA range" : "hmm_dma_map (no IOVA)",
		      sp.bytes_per_mapped_page);
	/* Both mirrors of one page are told when it moves. */
	assert_int_equal(sim_process_migrate(p, PG(7)), 0);
	sim_nic_odp_mr_stats(a, &si);
	sim_nic_odp_mr_stats(b, &sp);
	assert_int_equal(si.pages_mapped, NP - 1);
	assert_int_equal(sp.pages_mapped, NP - 1);
	sim_nic_dereg_odp_mr(a);
	sim_nic_dereg_odp_mr(b);
	sim_process_destroy(p);

	/* Direct without dma-debug: hmm_dma_map keeps no addresses either. */
	if (!f->translated) {
		sim_dma_debug_enable(f->m, false);
		p = proc_new(f, NP);
		a = mr_new(f, p, VA, NP * PAGE_SIZE, SIM_ODP_HMM_IOVA);
		sim_nic_odp_mr_stats(a, &si);
		assert_int_equal(si.bytes_per_mapped_page,
				 sizeof(unsigned long));
		assert_int_equal(sim_nic_odp_write(a, PG(1), "direct", 7), 0);
		sim_nic_dereg_odp_mr(a);
		sim_process_destroy(p);
		sim_dma_debug_enable(f->m, true);
	}
}

static void test_odp_errors(void **state)
{
	struct fx *f = *state;
	struct sim_odp_mr_opts ro = { .read_only = true },
			       bad = { .strategy = 7 };
	struct sim_process *p = proc_new(f, NP);
	struct sim_odp_mr *mr;
	u8 buf[64] = { 0 };

	assert_ptr_equal(sim_nic_reg_odp_mr(NULL, p, VA, PAGE_SIZE, NULL),
			 ERR_PTR(-EINVAL));
	assert_ptr_equal(sim_nic_reg_odp_mr(f->nic, NULL, VA, PAGE_SIZE, NULL),
			 ERR_PTR(-EINVAL));
	assert_ptr_equal(sim_nic_reg_odp_mr(f->dev0, p, VA, PAGE_SIZE, NULL),
			 ERR_PTR(-ENODEV));
	assert_ptr_equal(sim_nic_reg_odp_mr(f->nic, p, VA, 0, NULL),
			 ERR_PTR(-EINVAL));
	assert_ptr_equal(sim_nic_reg_odp_mr(f->nic, p, VA - PAGE_SIZE,
					    2 * PAGE_SIZE, NULL),
			 ERR_PTR(-EINVAL));
	assert_ptr_equal(sim_nic_reg_odp_mr(f->nic, p, PG(NP - 1),
					    2 * PAGE_SIZE, NULL),
			 ERR_PTR(-EINVAL));
	assert_ptr_equal(sim_nic_reg_odp_mr(f->nic, p, VA, PAGE_SIZE, &bad),
			 ERR_PTR(-EINVAL));

	/* A region over part of the process, unaligned ends rounded out. */
	mr = sim_nic_reg_odp_mr(f->nic, p, PG(4) + 100, 2 * PAGE_SIZE, NULL);
	assert_false(IS_ERR(mr));
	assert_int_equal(sim_nic_odp_read(mr, PG(4), buf, 8), 0);
	assert_int_equal(sim_nic_odp_read(mr, PG(6) + PAGE_SIZE - 8, buf, 8),
			 0);
	assert_int_equal(sim_nic_odp_read(mr, PG(3), buf, 8), -EINVAL);
	assert_int_equal(sim_nic_odp_read(mr, PG(6) + PAGE_SIZE - 8, buf, 9),
			 -EINVAL);
	assert_int_equal(sim_nic_odp_read(NULL, PG(4), buf, 8), -EINVAL);
	assert_int_equal(sim_nic_odp_prefetch(mr, PG(7), PAGE_SIZE, false),
			 -EINVAL);
	/* A read-only page of the process: reads work, writes fail. */
	assert_int_equal(sim_process_mprotect(p, PG(5), PAGE_SIZE, false), 0);
	assert_int_equal(sim_nic_odp_read(mr, PG(5), buf, 8), 0);
	assert_int_equal(sim_nic_odp_write(mr, PG(5), buf, 8), -EPERM);
	/* Writable again: a write fault upgrades the entry in place. */
	assert_int_equal(sim_process_mprotect(p, PG(5), PAGE_SIZE, true), 0);
	assert_int_equal(sim_nic_odp_write(mr, PG(5), "upgrade", 8), 0);
	assert_int_equal(sim_process_read(p, PG(5), buf, 8), 0);
	assert_string_equal((char *)buf, "upgrade");
	sim_nic_dereg_odp_mr(mr);
	sim_nic_dereg_odp_mr(NULL);

	mr = sim_nic_reg_odp_mr(f->nic, p, VA, PAGE_SIZE, &ro);
	assert_false(IS_ERR(mr));
	assert_int_equal(sim_nic_odp_write(mr, VA, buf, 8), -EACCES);
	assert_int_equal(sim_nic_odp_prefetch(mr, VA, 8, true), -EACCES);
	assert_int_equal(sim_nic_odp_read(mr, VA, buf, 8), 0);
	sim_nic_dereg_odp_mr(mr);
	sim_process_destroy(p);
}

/* Fault injection over registration, faults, a move and deregistration. */
static int odp_scenario(struct fx *f, enum sim_odp_strategy s)
{
	struct sim_odp_mr_opts o = { .strategy = s };
	struct sim_process *p;
	struct sim_odp_mr *mr;
	u8 buf[256], want[256];
	int ret = 0;

	p = sim_process_create(f->m, VA, 8 * PAGE_SIZE);
	if (IS_ERR(p))
		return (int)PTR_ERR(p);
	mr = sim_nic_reg_odp_mr(f->nic, p, VA, 8 * PAGE_SIZE, &o);
	if (IS_ERR(mr)) {
		ret = (int)PTR_ERR(mr);
		goto out_proc;
	}
	for (int i = 0; i < 4 && !ret; i++) {
		fill_pattern(want, sizeof(want), 500 + i);
		ret = sim_nic_odp_write(mr, PG(i), want, sizeof(want));
	}
	if (!ret)
		ret = sim_process_migrate(p, PG(1));
	if (!ret) {
		ret = sim_nic_odp_read(mr, PG(1), buf, sizeof(buf));
		fill_pattern(want, sizeof(want), 501);
		if (!ret)
			assert_memory_equal(buf, want, sizeof(buf));
	}
	sim_nic_dereg_odp_mr(mr);
out_proc:
	sim_process_destroy(p);
	return ret;
}

struct odp_sweep {
	struct fx *f;
	enum sim_odp_strategy s;
};

static int odp_sweep_run(void *ctx)
{
	struct odp_sweep *o = ctx;
	int ret = odp_scenario(o->f, o->s);

	if (ret && ret != -ENOMEM && ret != -EIO)
		fail_msg("odp scenario: %d", ret);
	return ret;
}

static void odp_sweep_settle(void *ctx)
{
	struct odp_sweep *o = ctx;

	if (o->f->translated)
		sim_iommu_flush_queue(o->f->nic);
}

static void test_odp_failnth(void **state)
{
	struct fx *f = *state;

	for (size_t k = 0; k < sizeof(strategies) / sizeof(strategies[0]); k++) {
		struct odp_sweep o = { .f = f, .s = strategies[k] };
		struct failnth fn = {
			.name = f->v->name, .m = f->m, .ctx = &o,
			.run = odp_sweep_run, .settle = odp_sweep_settle,
		};

		failnth_sweep(&fn);
		assert_true(fn.failed > 0);
	}
}

/* ------------------------------------------------------------------------ */
/* Threads: NIC accesses while pages move and go                           */
/* ------------------------------------------------------------------------ */

#define ST_THREADS	3
#define ST_OWN		4		/* pages each NIC thread verifies */
#define ST_SCRATCH	4		/* pages that are also zapped */
#define ST_PAGES	(ST_THREADS * ST_OWN + ST_SCRATCH)
#define ST_ITERS	400		/* at least, per NIC thread */
#define ST_MOVES	300		/* at least, while the NICs run */
#define ST_MAX_ITERS	100000000	/* a bound, never expected */

struct stress {
	struct sim_process *p;
	struct sim_odp_mr *mr;
	_Atomic bool stop;
	_Atomic unsigned long moves;
	_Atomic unsigned long errors;
};

struct nic_worker {
	struct stress *s;
	int id;
	unsigned int iters;		/* done, for the final check */
};

static u64 st_off(unsigned int it)
{
	return (it * 64) % (PAGE_SIZE - 512);
}

static void *nic_thread(void *arg)
{
	struct nic_worker *w = arg;
	struct stress *s = w->s;
	u8 buf[512], want[512];
	unsigned int it;

	for (it = 0; it < ST_MAX_ITERS; it++) {
		int page = w->id * ST_OWN + (int)(it % ST_OWN);
		int scratch = ST_THREADS * ST_OWN + (int)(it % ST_SCRATCH);
		u64 off = st_off(it);

		if (it >= ST_ITERS && it % ST_OWN == 0 &&
		    atomic_load(&s->moves) >= ST_MOVES)
			break;
		/* let the mover run even on a loaded machine with few CPUs */
		if (it % 64 == 63)
			sched_yield();
		/* Own page: what the NIC wrote survives any move. */
		fill_pattern(want, sizeof(want), w->id * 1000 + it);
		if (sim_nic_odp_write(s->mr, PG(page) + off, want, sizeof(want)) ||
		    sim_nic_odp_read(s->mr, PG(page) + off, buf, sizeof(buf)) ||
		    memcmp(buf, want, sizeof(buf)))
			atomic_fetch_add(&s->errors, 1);
		/* Scratch pages are also zapped: only the access is checked. */
		if (sim_nic_odp_write(s->mr, PG(scratch) + off, want, 8) ||
		    sim_nic_odp_read(s->mr, PG(scratch) + off, buf, 8))
			atomic_fetch_add(&s->errors, 1);
	}
	w->iters = it;
	return NULL;
}

static void *mover_thread(void *arg)
{
	struct stress *s = arg;
	unsigned int i = 0;

	while (!atomic_load(&s->stop)) {
		int page = (int)((i * 7) % ST_PAGES);
		int ret = sim_process_migrate(s->p, PG(page));

		if (!ret)
			atomic_fetch_add(&s->moves, 1);
		else if (ret != -ENOENT)
			atomic_fetch_add(&s->errors, 1);
		if (i % 5 == 0)
			sim_process_zap(s->p,
					PG(ST_THREADS * ST_OWN + i % ST_SCRATCH),
					PAGE_SIZE);
		i++;
		sched_yield();
	}
	return NULL;
}

static void test_odp_stress(void **state)
{
	struct fx *f = *state;

	for (size_t k = 0; k < sizeof(strategies) / sizeof(strategies[0]); k++) {
		struct stress s = { 0 };
		struct nic_worker w[ST_THREADS];
		pthread_t nt[ST_THREADS], mt;
		struct sim_process_stats ps;
		struct sim_odp_mr_stats st;

		s.p = proc_new(f, ST_PAGES);
		s.mr = mr_new(f, s.p, VA, ST_PAGES * PAGE_SIZE, strategies[k]);
		assert_int_equal(pthread_create(&mt, NULL, mover_thread, &s), 0);
		for (int i = 0; i < ST_THREADS; i++) {
			w[i] = (struct nic_worker){ .s = &s, .id = i };
			assert_int_equal(pthread_create(&nt[i], NULL,
							nic_thread, &w[i]), 0);
		}
		for (int i = 0; i < ST_THREADS; i++)
			pthread_join(nt[i], NULL);
		atomic_store(&s.stop, true);
		pthread_join(mt, NULL);

		assert_int_equal(atomic_load(&s.errors), 0);
		sim_nic_odp_mr_stats(s.mr, &st);
		sim_process_stats(s.p, &ps);
		assert_true(ps.migrations >= ST_MOVES);
		assert_true(st.faults >= ST_PAGES);
		assert_true(st.invalidations > 0);
		print_message("%s/%s: %lu faults, %lu retries, %lu invalidations, %lu moves\n",
			      f->v->name,
			      strategies[k] == SIM_ODP_HMM_IOVA ? "hmm" : "per-page",
			      st.faults, st.fault_retries, st.invalidations,
			      ps.migrations);
		/* The last data of every own page, read by the CPU. */
		for (int t = 0; t < ST_THREADS; t++) {
			assert_true(w[t].iters < ST_MAX_ITERS);
			for (int j = 0; j < ST_OWN; j++) {
				unsigned int it = w[t].iters - ST_OWN + j;
				int page = t * ST_OWN + (int)(it % ST_OWN);
				u8 want[512], buf[512];

				fill_pattern(want, sizeof(want), t * 1000 + it);
				assert_int_equal(sim_process_read(s.p,
						 PG(page) + st_off(it), buf,
						 sizeof(buf)), 0);
				assert_memory_equal(buf, want, sizeof(buf));
			}
		}
		sim_nic_dereg_odp_mr(s.mr);
		sim_process_destroy(s.p);
		assert_int_equal(sim_dma_debug_errors(f->m), 0);
	}
}

#define T(fn) VARIANT_TEST(fn)
static const struct variant_test process_tests[] = {
	T(test_process_fault),
	T(test_process_migrate_zap),
	T(test_notifier_order),
	T(test_sequence_retry),
}, nic_tests[] = {
	T(test_odp_mirror),
	T(test_odp_memory),
	T(test_odp_errors),
	T(test_odp_failnth),
	T(test_odp_stress),
};
#undef T

int main(int argc, char **argv)
{
	static const struct dma_variant *const one[] = { &variant_x86_strict };
	int failed = 0;

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	/* The process model does not depend on the IOMMU: one variant. */
	failed += variant_run_groups("odp process", VARIANT_TESTS(process_tests),
				     VARIANTS(one), fx_setup, fx_teardown);
	failed += variant_run_groups("odp", VARIANT_TESTS(nic_tests),
				     VARIANTS(variants_coherent), fx_setup,
				     fx_teardown);
	return failed;
}
