// SPDX-License-Identifier: MIT
/*
 * An ODP memory region of the NIC mirroring a process: NIC page faults,
 * migrations and zaps of pages it has mapped, every byte verified.
 */
#include <stdlib.h>
#include "wl.h"

#define ODP_VA	0x7f3a00000000ULL

/*
 * cli_wl_odp - a process with @o->size bytes of memory, an ODP region of
 * the NIC @o->dev (nic0) over it mapped by @o->odp.strategy, NIC accesses
 * taking @o->odp.faults page faults and @o->odp.invalidations migrations
 * and zaps of mapped pages among them, every byte verified.
 */
CLI_WORKLOAD(cli_wl_odp)
{
	struct cli_wl_result scratch;
	__typeof__(&res->odp) rs = res ? &res->odp : &scratch.odp;
	const char *nic_id = o->dev ? o->dev : "nic0";
	struct device *nic = sim_device(m, nic_id);
	struct sim_odp_mr_opts mo = { .strategy = o->odp.strategy };
	unsigned long npages = (unsigned long)(o->size >> PAGE_SHIFT);
	unsigned long first = o->odp.faults - o->odp.invalidations;
	unsigned long bad_nic_read = 0, bad_nic_write = 0, still_mapped = 0;
	unsigned long op_err = 0, j = 0;
	u64 rnd = o->seed * 0x9e3779b97f4a7c15ULL + 7;
	struct iommu_domain *dom;
	struct mm_struct *p;
	struct sim_odp_mr *mr;
	u8 *shadow = NULL, *page = NULL;
	char b1[32], b2[32], b3[32], b4[32];
	bool want_iova;

	memset(rs, 0, sizeof(*rs));
	if (!nic) {
		snprintf(err, errlen, "the platform has no device '%s' (the NIC)", nic_id);
		return -ENODEV;
	}
	if (o->odp.invalidations && o->odp.invalidations >= o->odp.faults) {
		snprintf(err, errlen, "invalidations=%lu: each invalidated page faults again, so faults= must be larger",
			 o->odp.invalidations);
		return -EINVAL;
	}
	if (first > npages) {
		snprintf(err, errlen, "faults=%lu with invalidations=%lu touches %lu pages, the region has %lu (size=)",
			 o->odp.faults, o->odp.invalidations, first, npages);
		return -EINVAL;
	}
	p = sim_process_create(m, ODP_VA, o->size);
	if (!wl_check(out, "process_address_space", !IS_ERR_OR_NULL(p), false, "a process with %s of address space",
		       fmt_bytes(b1, sizeof(b1), o->size)))
		return 0;
	shadow = malloc(o->size);
	page = malloc(PAGE_SIZE);
	if (!wl_check(out, "host_memory_expected_contents", shadow && page, false, "host memory for the expected contents"))
		goto out_proc;
	/* the process wrote its memory before the NIC ever sees it */
	wl_fill(shadow, o->size, o->seed + 11);
	if (!wl_check(out, "process_wrote_cpu_page", !sim_process_write(p, ODP_VA, shadow, o->size), false,
		       "the process wrote all of it (CPU page faults, not the NIC's)"))
		goto out_proc;
	mr = sim_nic_reg_odp_mr(nic, p, ODP_VA, o->size, &mo);
	if (IS_ERR(mr)) {
		if (PTR_ERR(mr) == -ENODEV || PTR_ERR(mr) == -EINVAL ||
		    PTR_ERR(mr) == -EOPNOTSUPP) {
			snprintf(err, errlen, "%s cannot register an ODP region: %s",
				 nic_id, PTR_ERR(mr) == -EOPNOTSUPP ?
				 "hmm_dma_map_alloc() refused the device (a non-coherent device cannot mirror)" :
				 "it must be a device of kind nic");
			sim_process_destroy(p);
			free(shadow);
			free(page);
			return -ENODEV;
		}
		wl_check(out, "registered_odp_memory_region", false, false, "%s registered an ODP memory region (%ld)", nic_id, PTR_ERR(mr));
		goto out_proc;
	}
	dom = iommu_get_domain_for_dev(nic);
	/*
	 * hmm_dma_map links pages into one IOVA range only when a page is a
	 * whole IOMMU granule (a 4K page cannot sit alone in a 64K one)
	 */
	want_iova = o->odp.strategy == SIM_ODP_HMM_IOVA && dom && iommu_is_dma_domain(dom) &&
		    (dom->pgsize_bitmap & -dom->pgsize_bitmap) <= PAGE_SIZE;
	wl_say(out, "%s: ODP region over %s of the process (%lu pages), %s, %s",
		nic_id, fmt_bytes(b1, sizeof(b1), o->size), npages,
		o->odp.strategy != SIM_ODP_HMM_IOVA ? "dma_map_phys per faulted page" :
		want_iova ? "hmm_dma_map: one IOVA range, a link per faulted page" :
		"hmm_dma_map: dma_map_phys per faulted page (no IOMMU, or its granule is above a page)",
		!dom ? "no IOMMU" : !iommu_is_dma_domain(dom) ? "IOMMU passthrough" :
		dom->type == IOMMU_DOMAIN_DMA_FQ ? "IOMMU lazy" : "IOMMU strict");

	/*
	 * The NIC touches pages 0..first-1 once each (a fault each), even
	 * pages by receiving into them, odd ones by sending from them; the
	 * invalidations are spread among them, each of a page the NIC has
	 * mapped (migration and zap in turn), which the NIC then reads again
	 * (a fault each).
	 */
	for (unsigned long t = 0; t < first; t++) {
		u64 va = ODP_VA + (u64)t * PAGE_SIZE;
		u8 *want = shadow + t * PAGE_SIZE;
		unsigned long due = (unsigned long)((u64)(t + 1) * o->odp.invalidations / first);

		if (t & 1) {
			if (sim_nic_odp_read(mr, va, page, PAGE_SIZE) ||
			    memcmp(page, want, PAGE_SIZE))
				bad_nic_read++;
		} else {
			wl_fill(want, PAGE_SIZE, o->seed * 131 + t);
			if (sim_nic_odp_write(mr, va, want, PAGE_SIZE) ||
			    sim_process_read(p, va, page, PAGE_SIZE) ||
			    memcmp(page, want, PAGE_SIZE))
				bad_nic_write++;
		}
		for (; j < due; j++) {
			unsigned long q = (unsigned long)(wl_rand(&rnd) % (t + 1));
			u64 qva = ODP_VA + (u64)q * PAGE_SIZE;
			int ret;

			if (j & 1) {
				ret = sim_process_zap(p, qva, PAGE_SIZE);
				/* MADV_DONTNEED: the next touch sees zeros */
				memset(shadow + q * PAGE_SIZE, 0, PAGE_SIZE);
				rs->zaps++;
			} else {
				ret = sim_process_migrate(p, qva);
				rs->migrations++;
			}
			if (ret)
				op_err++;
			if (sim_nic_odp_dma_addr(mr, qva) != DMA_MAPPING_ERROR)
				still_mapped++;
			if (sim_nic_odp_read(mr, qva, page, PAGE_SIZE) ||
			    memcmp(page, shadow + q * PAGE_SIZE, PAGE_SIZE))
				bad_nic_read++;
		}
	}
	sim_nic_odp_mr_stats(mr, &rs->st);
	sim_process_stats(p, &rs->ps);
	wl_say(out, "the NIC touched %lu page%s; %lu migration%s and %lu zap%s of pages it had mapped, each read again",
		first, WL_S(first), rs->migrations, WL_S(rs->migrations), rs->zaps, WL_S(rs->zaps));
	wl_check(out, "migration_zap_done_failed", !op_err, false, "every migration and zap was done (%lu failed)", op_err);
	wl_check(out, "nic_receives_process_reads", !bad_nic_write, false, "NIC receives: the process reads what the NIC wrote (%lu page%s differed)",
		  bad_nic_write, WL_S(bad_nic_write));
	wl_check(out, "nic_sends_nic_read", !bad_nic_read, false,
		  "NIC sends: the NIC read the process's data, migrated pages intact and zapped ones zero (%lu differed)",
		  bad_nic_read);
	wl_check(out, "invalidation_unmapped_page_nic", !still_mapped, false, "every invalidation unmapped the page from the NIC before it changed (%lu not)",
		  still_mapped);
	wl_check(out, "nic_page_faults_asked", rs->st.faults == o->odp.faults, false,
		  "%lu NIC page fault%s (%lu asked for; %lu retried)", rs->st.faults,
		  WL_S(rs->st.faults),
		  o->odp.faults, rs->st.fault_retries);
	wl_check(out, "invalidations_unmapped_pages_asked", rs->st.invalidations == o->odp.invalidations &&
		       rs->st.pages_unmapped == o->odp.invalidations, false,
		  "%lu invalidation%s unmapped %lu page%s (%lu asked for)",
		  rs->st.invalidations, WL_S(rs->st.invalidations), rs->st.pages_unmapped,
		  WL_S(rs->st.pages_unmapped), o->odp.invalidations);
	wl_check(out, "pages_mapped_now_touched", rs->st.pages_mapped == first, false, "%lu page%s mapped now (%lu touched)",
		  rs->st.pages_mapped, WL_S(rs->st.pages_mapped), first);
	if (want_iova)
		wl_check(out, "one_iova_range_whole", rs->st.uses_iova && rs->st.iova_ranges == 1, false,
			  "one IOVA range for the whole region (%lu held)",
			  rs->st.iova_ranges);
	else if (dom && iommu_is_dma_domain(dom))
		wl_check(out, "iova_range_per_mapped", !rs->st.uses_iova && rs->st.iova_ranges == rs->st.pages_mapped, false,
			  "an IOVA range per mapped page (%lu held)", rs->st.iova_ranges);
	else
		wl_check(out, "physical_addresses_iova_ranges", !rs->st.uses_iova && !rs->st.iova_ranges, false,
			  "physical addresses, no IOVA (%lu held)", rs->st.iova_ranges);
	wl_say(out, "bookkeeping: %s for the region, %s per page, %s more per mapped page; the NIC moved %s",
		fmt_bytes(b1, sizeof(b1), rs->st.meta_bytes),
		fmt_bytes(b3, sizeof(b3), rs->st.meta_bytes_per_page),
		fmt_bytes(b4, sizeof(b4), rs->st.bytes_per_mapped_page), fmt_bytes(b2, sizeof(b2), rs->st.dma_bytes));
	{
		u8 *all = malloc(o->size);

		wl_check(out, "processs_memory_what_nic", all && !sim_process_read(p, ODP_VA, all, o->size) &&
			       !memcmp(all, shadow, o->size), false,
			  "the process's memory is what the NIC and CPU left in it (%s)",
			  fmt_bytes(b1, sizeof(b1), o->size));
		free(all);
	}
	sim_nic_dereg_odp_mr(mr);
	wl_check(out, "deregistered_nothing_region_stays", sim_dma_debug_entries(m, nic) == 0, false,
		  "deregistered: nothing of the region stays mapped");
out_proc:
	sim_process_destroy(p);
	free(shadow);
	free(page);
	sim_iommu_flush_queue(nic);
	return 0;
}
