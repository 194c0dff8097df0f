// SPDX-License-Identifier: MIT
/*
 * Workloads behind an IOMMU: translation and the lazy-mode flush-queue
 * window, the IOVA API against per-page mappings, strict-mode faults, an
 * untrusted device's bounce buffers, a 64K granule, and a VFIO migration
 * page list.
 */
#include <stdlib.h>
#include "wl.h"

static unsigned long iommu_fault_reports(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_IOMMU_FAULT);
}

/* The device's DMA domain, or -ENODEV explained: the workload needs one. */
static struct iommu_domain *wl_dma_domain(struct device *dev, char *err,
					  size_t errlen)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	if (!dom || !iommu_is_dma_domain(dom)) {
		snprintf(err, errlen, "%s is not behind a translating IOMMU",
			 sim_device_id(dev));
		return NULL;
	}
	return dom;
}

/*
 * A page of @order for @dev, which must be behind a translating IOMMU:
 * -ENODEV (explained) when it is not; else 0 and the page in *@pg, NULL
 * after a failed check that it was "allocated @what".
 */
static int wl_iommu_page(struct sim_machine *m, struct device *dev,
			 unsigned int order, const char *what,
			 const struct cli_out *out, struct page **pg,
			 char *err, size_t errlen)
{
	*pg = NULL;
	if (!dev || !wl_dma_domain(dev, err, errlen))
		return -ENODEV;
	*pg = sim_alloc_pages(m, order);
	wl_check(out, "alloc", *pg != NULL, false, "allocated %s", what);
	return 0;
}

/*
 * cli_wl_iommu_lazy - nic0 behind a lazy IOMMU (its switch peer nvme0 and
 * gpu0 on its own root port): IOVAs, the page table, the window in which
 * an unmapped IOVA still works until the flush-queue timer fires (both
 * provoked and reported), and a BAR mapped with IOMMU_MMIO.
 */
CLI_WORKLOAD(cli_wl_iommu_lazy)
{
	struct device *nic = WL_FIXED_DEV("nic0", "the NIC");
	struct device *nvme = WL_FIXED_DEV("nvme0", "the NIC's switch peer");
	struct device *gdev = WL_FIXED_DEV("gpu0", "the GPU");
	struct pci_dev *gpu;
	struct page *pg;
	u8 want[16384], got[16384];
	unsigned long before, flushes, stale;
	unsigned int queued;
	u64 wops, wns;
	phys_addr_t phys;
	dma_addr_t a;
	int prot;

	int ret;

	if (!nvme || !gdev)
		return -ENODEV;
	gpu = to_pci_dev(gdev);
	ret = wl_iommu_page(m, nic, 2, "16 KiB", out, &pg, err, errlen);
	if (ret || !pg)
		return ret;
	wl_check(out, "dma_fq_domain", iommu_get_domain_for_dev(nic)->type == IOMMU_DOMAIN_DMA_FQ,
		 false, "nic0 is in a DMA_FQ (lazy) domain");
	wl_check(out, "group_shared_no_acs", iommu_group_get(nic) == iommu_group_get(nvme), false,
		 "nic0 and nvme0 share IOMMU group %d (their switch ports lack ACS)",
		 iommu_group_id(iommu_group_get(nic)));
	wl_check(out, "gpu_own_group", iommu_group_get(nic) != iommu_group_get(&gpu->dev), false,
		 "gpu0 has its own group (%d)", iommu_group_id(iommu_group_get(&gpu->dev)));
	wl_fill(page_address(pg), sizeof(want), 21);
	a = wl_map(out, nic, page_to_phys(pg) + 64, 8192, DMA_BIDIRECTIONAL, 0);
	wl_check(out, "iova_keeps_offset", a != DMA_MAPPING_ERROR && a != page_to_phys(pg) + 64 && (a & 4095) == 64,
		 false, "the DMA address is an IOVA keeping the offset in the page");
	wl_check(out, "page_table_maps_read", !sim_iommu_lookup(nic, a, &phys, &prot) &&
		      phys == page_to_phys(pg) + 64 &&
		      prot == (IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE), false,
		 "the page table maps it read-write, cacheable");
	wl_check(out, "device_read_8k_through", sim_dma_read(nic, a, got, 8192) == 0 &&
		      wl_same(got, (u8 *)page_address(pg) + 64, 8192), false,
		 "device read 8 KiB through the IOMMU");
	dma_unmap_phys(nic, a, 8192, DMA_BIDIRECTIONAL, 0);

	before = sim_dma_debug_errors(m);
	wl_check(out, "read_after_unmap_deferred", sim_dma_read(nic, a, got, 64) == 0, true,
		 "after unmap the device still reads through the IOTLB (flush deferred)");
	wl_expect(out, "stale_iotlb", m, SIM_REPORT_DMA_DEBUG, before, 1, "the stale-IOTLB access");
	sim_iommu_fq_stats(nic, &flushes, &queued, &wops, &wns, &stale);
	wl_check(out, "fq_window", queued > 0 && stale == 1, false,
		 "the flush queue holds %u entr%s; the window was open %llu operation%s",
		 queued, queued == 1 ? "y" : "ies", (unsigned long long)wops, WL_S(wops));
	sim_clock_advance(m, 10000000ULL);	/* IOVA_FQ_TIMEOUT */
	before = iommu_fault_reports(m);
	wl_check(out, "fq_timer_flushed", sim_dma_read(nic, a, got, 64) == -EFAULT, true,
		 "10 ms later the flush-queue timer has flushed: the access faults");
	wl_expect(out, "iommu_fault", m, SIM_REPORT_IOMMU_FAULT, before, 1, "the IOMMU fault");

	/* Peer-to-peer through the IOMMU: IOMMU_MMIO, not cacheable. */
	wl_fill(want, 4096, 22);
	sim_mmio_write(m, pci_resource_start(gpu, 2), want, 4096);
	a = dma_map_resource(nic, pci_resource_start(gpu, 2), 4096, DMA_TO_DEVICE, 0);
	wl_record(out, nic, "dma_map_resource", pci_resource_start(gpu, 2), 4096,
		  DMA_TO_DEVICE, a, DMA_ATTR_MMIO);
	dma_mapping_error(nic, a);
	wl_check(out, "bar_maps_iommu_mmio", !sim_iommu_lookup(nic, a, &phys, &prot) &&
		      prot == (IOMMU_READ | IOMMU_MMIO), false,
		 "a BAR maps with IOMMU_MMIO instead of IOMMU_CACHE");
	wl_check(out, "nic_read_gpu_memory", sim_dma_read(nic, a, got, 4096) == 0 && wl_same(got, want, 4096), false,
		 "NIC read GPU memory through the IOMMU and the root complex");
	dma_unmap_resource(nic, a, 4096, DMA_TO_DEVICE, 0);
	sim_iommu_flush_queue(nic);
	sim_free_pages(m, pg, 2);
	return 0;
}

/*
 * cli_wl_iova_api - 1 MiB as 256 scattered pages for @o->dev (nvme0): one
 * IOVA range linked page by page and synced once, read back by the device,
 * against 256 dma_map_phys() calls, in IOTLB invalidations.
 */
CLI_WORKLOAD(cli_wl_iova_api)
{
	struct device *nvme = WL_DEV("nvme0", "the mapping device");
	struct page *pages[256];
	struct dma_iova_state st;
	unsigned long inv0, inv_iova, inv_map;
	dma_addr_t addr[256];
	bool ok = true;
	u8 *got;
	int n;

	if (!nvme)
		return -ENODEV;
	got = malloc(SZ_1M);
	for (n = 0; got && n < 256; n++) {
		pages[n] = sim_alloc_pages(m, 0);
		if (!pages[n])
			break;
		wl_fill(page_address(pages[n]), PAGE_SIZE, 300 + (unsigned int)n);
	}
	if (!wl_check(out, "256_scattered_pages", n == 256, false, "256 scattered pages"))
		goto out;
	inv0 = sim_iommu_invalidations(m);
	if (!wl_check(out, "dma_iova_try_alloc", dma_iova_try_alloc(nvme, &st, page_to_phys(pages[0]), SZ_1M),
		      false, "dma_iova_try_alloc(1 MiB)"))
		goto out;
	for (int i = 0; i < 256; i++)
		ok &= !dma_iova_link(nvme, &st, page_to_phys(pages[i]),
				     (size_t)i * PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0);
	wl_check(out, "link_no_invalidation", ok && sim_iommu_invalidations(m) == inv0, false,
		 "256 dma_iova_link calls, no IOTLB invalidation");
	dma_iova_sync(nvme, &st, 0, SZ_1M);
	wl_record(out, nvme, "dma_iova_link x256", page_to_phys(pages[0]), SZ_1M,
		  DMA_TO_DEVICE, st.addr, 0);
	ok = sim_dma_read(nvme, st.addr, got, SZ_1M) == 0;
	for (int i = 0; i < 256 && ok; i++)
		ok &= wl_same(got + (size_t)i * PAGE_SIZE, page_address(pages[i]), PAGE_SIZE);
	wl_check(out, "one_sync_reads_all", ok, false, "after one dma_iova_sync the device reads all 1 MiB, in order");
	dma_iova_destroy(nvme, &st, SZ_1M, DMA_TO_DEVICE, 0);
	sim_iommu_flush_queue(nvme);
	inv_iova = sim_iommu_invalidations(m) - inv0;

	inv0 = sim_iommu_invalidations(m);
	for (int i = 0; i < 256; i++)
		addr[i] = dma_map_phys(nvme, page_to_phys(pages[i]), PAGE_SIZE,
				       DMA_TO_DEVICE, 0);
	for (int i = 0; i < 256; i++) {
		dma_mapping_error(nvme, addr[i]);
		dma_unmap_phys(nvme, addr[i], PAGE_SIZE, DMA_TO_DEVICE, 0);
	}
	sim_iommu_flush_queue(nvme);
	inv_map = sim_iommu_invalidations(m) - inv0;
	wl_check(out, "invalidation_cost", inv_iova == 1, false,
		 "the whole IOVA-API transfer cost %lu IOTLB invalidation%s; per-page mapping cost %lu",
		 inv_iova, inv_iova == 1 ? "" : "s", inv_map);
out:
	while (n--)
		sim_free_pages(m, pages[n], 0);
	free(got);
	return 0;
}

/*
 * cli_wl_iommu_strict - @o->dev (nic0) behind a strict IOMMU: a write to a
 * DMA_TO_DEVICE mapping and an access after unmap fault at once (both
 * provoked), the unmap invalidating the IOTLB.
 */
CLI_WORKLOAD(cli_wl_iommu_strict)
{
	struct device *nic = WL_DEV("nic0", "the device behind the IOMMU");
	unsigned long before, inv0;
	struct page *pg;
	u8 got[64];
	dma_addr_t a;

	int ret = wl_iommu_page(m, nic, 0, "a page", out, &pg, err, errlen);

	if (ret || !pg)
		return ret;
	wl_check(out, "strict_dma_domain", iommu_get_domain_for_dev(nic)->type == IOMMU_DOMAIN_DMA, false,
		 "%s is in a strict DMA domain", sim_device_id(nic));
	a = wl_map(out, nic, page_to_phys(pg), PAGE_SIZE, DMA_TO_DEVICE, 0);
	wl_check(out, "device_read", sim_dma_read(nic, a, got, sizeof(got)) == 0, false, "device read it");
	before = iommu_fault_reports(m);
	wl_check(out, "device_write_dma_device", sim_dma_write(nic, a, got, sizeof(got)) == -EFAULT, true,
		 "a device write to a DMA_TO_DEVICE mapping is refused by the IOMMU");
	wl_expect(out, "permission_fault", m, SIM_REPORT_IOMMU_FAULT, before, 1, "the permission fault");
	inv0 = sim_iommu_invalidations(m);
	dma_unmap_phys(nic, a, PAGE_SIZE, DMA_TO_DEVICE, 0);
	wl_check(out, "dma_unmap_phys_issued", sim_iommu_invalidations(m) == inv0 + 1, false,
		 "dma_unmap_phys issued one IOTLB invalidation");
	before = iommu_fault_reports(m);
	wl_check(out, "device_access_after_unmap", sim_dma_read(nic, a, got, sizeof(got)) == -EFAULT, true,
		 "a device access after unmap faults immediately");
	wl_expect(out, "use_after_unmap_fault", m, SIM_REPORT_IOMMU_FAULT, before, 1, "the use-after-unmap fault");
	sim_free_pages(m, pg, 0);
	return 0;
}

/*
 * cli_wl_untrusted - an untrusted device (@o->dev, tb0) behind a lazy
 * IOMMU: a strict domain all the same, a 200-byte buffer bounced into
 * whole granules, and a read of its whole IOMMU page (provoked) that finds
 * zeros around its bytes, never their neighbours.
 */
CLI_WORKLOAD(cli_wl_untrusted)
{
	struct device *tb = WL_DEV("tb0", "the untrusted device");
	struct page *pg;
	u8 got[4096], *cpu;
	unsigned long before;
	dma_addr_t a, base;
	bool zeros = true;

	int ret = wl_iommu_page(m, tb, 0, "a page", out, &pg, err, errlen);

	if (ret || !pg)
		return ret;
	wl_check(out, "untrusted_gets_strict_dma", iommu_get_domain_for_dev(tb)->type == IOMMU_DOMAIN_DMA, false,
		 "untrusted %s gets a strict DMA domain even though the unit is lazy",
		 sim_device_id(tb));
	cpu = page_address(pg);
	memset(cpu, 0x5a, PAGE_SIZE);			/* "secrets" */
	wl_fill(cpu + 1000, 200, 23);			/* the buffer */
	a = wl_map(out, tb, page_to_phys(pg) + 1000, 200, DMA_TO_DEVICE, 0);
	wl_check(out, "200_byte_buffer_bounced", a != DMA_MAPPING_ERROR && swiotlb_used(tb) > 0, false,
		 "the 200-byte buffer was bounced into whole granules of swiotlb");
	base = a & ~(dma_addr_t)4095;
	dma_sync_single_for_device(tb, a, 200, DMA_TO_DEVICE);
	before = sim_dma_debug_errors(m);
	wl_check(out, "device_can_read_whole", sim_dma_read(tb, base, got, 4096) == 0, false,
		 "the device can read its whole IOMMU page");
	for (size_t i = 0; i < 4096; i++) {
		bool inside = i >= a - base && i < a - base + 200;

		if (!inside && got[i] != 0)
			zeros = false;
	}
	wl_check(out, "sees_200_bytes_zeros", zeros && wl_same(got + (a - base), cpu + 1000, 200), true,
		 "it sees its 200 bytes and zeros, never the neighbouring bytes");
	wl_expect(out, "read_beyond_mapping", m, SIM_REPORT_DMA_DEBUG, before, 1, "the read beyond the mapping");
	dma_unmap_phys(tb, a, 200, DMA_TO_DEVICE, 0);
	wl_check(out, "bounce_slots_released", swiotlb_used(tb) == 0, false, "bounce slots released");
	sim_free_pages(m, pg, 0);
	return 0;
}

/*
 * cli_wl_granule_64k - @o->dev (nvme0) behind an IOMMU with a 64K granule:
 * a 4K buffer keeps its offset in the IOMMU page and is mapped read-only,
 * 16 contiguous pages become one granule-aligned segment.
 */
CLI_WORKLOAD(cli_wl_granule_64k)
{
	struct device *nvme = WL_DEV("nvme0", "the device behind the IOMMU");
	struct iommu_domain *dom;
	struct sg_table sgt;
	struct page *pg, *list[16];
	u8 got[4096];
	phys_addr_t phys;
	dma_addr_t a;
	int prot, i;

	if (!nvme)
		return -ENODEV;
	dom = wl_dma_domain(nvme, err, errlen);
	if (!dom)
		return -ENODEV;
	if ((dom->pgsize_bitmap & -dom->pgsize_bitmap) != SZ_64K) {
		snprintf(err, errlen, "%s's IOMMU does not use a 64 KiB granule",
			 sim_device_id(nvme));
		return -ENODEV;
	}
	pg = sim_alloc_pages(m, 4);	/* 64K */
	if (!wl_check(out, "allocated_64k", pg != NULL, false, "allocated 64 KiB"))
		return 0;
	wl_fill(page_address(pg), SZ_64K, 24);
	a = wl_map(out, nvme, page_to_phys(pg) + 3 * PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0);
	wl_check(out, "4k_buffer_keeps_offset", (a & (SZ_64K - 1)) == 3 * PAGE_SIZE, false,
		 "a 4 KiB buffer keeps its offset inside the 64 KiB IOMMU page");
	wl_check(out, "mapped_read_only_granule", !sim_iommu_lookup(nvme, a, &phys, &prot) &&
		      phys == page_to_phys(pg) + 3 * PAGE_SIZE && !(prot & IOMMU_WRITE),
		 false, "mapped read-only, granule-sized");
	wl_check(out, "device_read_through_64k", sim_dma_read(nvme, a, got, sizeof(got)) == 0 &&
		      wl_same(got, (u8 *)page_address(pg) + 3 * PAGE_SIZE, sizeof(got)),
		 false, "device read through a 64 KiB-granule page table");
	dma_unmap_phys(nvme, a, PAGE_SIZE, DMA_TO_DEVICE, 0);

	for (i = 0; i < 16; i++)
		list[i] = pg + i;
	if (sg_alloc_table_from_pages(&sgt, list, 16, 0, SZ_64K, GFP_KERNEL) == 0) {
		if (wl_check(out, "dma_map_sgtable_16", dma_map_sgtable(nvme, &sgt, DMA_TO_DEVICE, 0) == 0, false,
			     "dma_map_sgtable of 16 contiguous pages")) {
			wl_check(out, "one_64k_dma_segment", sgt.nents == 1 && sg_dma_len(sgt.sgl) == SZ_64K &&
				      !(sg_dma_address(sgt.sgl) & (SZ_64K - 1)), false,
				 "one 64 KiB DMA segment, granule-aligned in IOVA");
			dma_unmap_sgtable(nvme, &sgt, DMA_TO_DEVICE, 0);
		}
		sg_free_table(&sgt);
	}
	sim_iommu_flush_queue(nvme);
	sim_free_pages(m, pg, 4);
	return 0;
}

/*
 * cli_wl_vfio_mig - a VFIO migration data buffer as vfio/mlx5 keeps it,
 * for @o->dev (nic0): a page list filled by the device's DMA (save) and
 * read back by it (load); one IOVA range behind an IOMMU, page by page
 * without one.
 */
CLI_WORKLOAD(cli_wl_vfio_mig)
{
	struct device *dev = WL_DEV("nic0", "the migrated device");
	struct iommu_domain *dom;
	bool translated;
	const size_t len = 300 * 1024 + 17;
	const u32 npages = (u32)DIV_ROUND_UP(len, PAGE_SIZE);
	unsigned long inv0;
	struct vfio_mig_buf *buf;
	u8 *want, *got;
	char b1[32];

	if (!dev)
		return -ENODEV;
	dom = iommu_get_domain_for_dev(dev);
	translated = dom && iommu_is_dma_domain(dom);
	want = malloc(len);
	got = malloc(len);
	if (!wl_check(out, "host_memory_state_image", want && got, false, "host memory for the state image"))
		goto out;
	vfio_mig_state_image(21, 0, want, len);
	inv0 = sim_iommu_invalidations(m);
	buf = vfio_mig_buf_alloc(dev, npages, DMA_FROM_DEVICE);
	if (!wl_check(out, "page_buffer_mapped_device", !IS_ERR(buf), false, "a %u-page buffer mapped for the device (%s)",
		      npages, translated ? "one IOVA range, a link per page, one sync" :
					   "page by page, addresses in the translation table"))
		goto out;
	wl_check(out, "iova_use", vfio_mig_buf_uses_iova(buf) == translated, false, "%s",
		 translated ? "mapped with the IOVA API" : "mapped page by page (no IOMMU)");
	wl_check(out, "map_no_invalidation", sim_iommu_invalidations(m) == inv0, false,
		 "mapping invalidated nothing (%lu invalidation%s)",
		 sim_iommu_invalidations(m) - inv0, WL_S(sim_iommu_invalidations(m) - inv0));
	wl_check(out, "save_state_device_wrote", vfio_mig_device_save(buf, 21, len) == 0 &&
		      vfio_mig_buf_read(buf, 0, got, len) == 0 && wl_same(got, want, len), false,
		 "save state: the device wrote %s by DMA, the CPU reads them intact",
		 fmt_bytes(b1, sizeof(b1), len));
	vfio_mig_buf_free(buf);

	buf = vfio_mig_buf_alloc(dev, npages, DMA_NONE);
	if (!wl_check(out, "load_state_cpu_filled", !IS_ERR(buf) && vfio_mig_buf_write(buf, 0, want, len) == 0 &&
			   vfio_mig_buf_map(buf, DMA_TO_DEVICE) == 0, false,
		      "load state: the CPU filled a buffer, then mapped it for the device")) {
		if (!IS_ERR(buf))
			vfio_mig_buf_free(buf);
		goto out;
	}
	wl_check(out, "device_read_whole_image", vfio_mig_device_load(buf, 21, len) == 0, false,
		 "the device read the whole image back by DMA and found it intact");
	vfio_mig_buf_free(buf);
	sim_iommu_flush_queue(dev);
out:
	free(want);
	free(got);
	return 0;
}
