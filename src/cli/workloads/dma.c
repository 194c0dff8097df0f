// SPDX-License-Identifier: MIT
/*
 * Workloads of the DMA API without an IOMMU: coherent and non-coherent
 * streaming DMA, swiotlb bouncing, coherent allocations and a dma_pool,
 * MMIO mapped as a resource, and a confidential guest.
 */
#include <stdlib.h>
#include "wl.h"

/*
 * cli_wl_coherent - streaming DMA on a coherent device (@o->dev, nic0):
 * 64K to the device and back, then a scatterlist of eight pages.
 */
CLI_WORKLOAD(cli_wl_coherent)
{
	struct device *nic = WL_DEV("nic0", "a coherent device");
	const size_t len = 64 * 1024;
	struct page *pg, *pages[8];
	struct sg_table sgt;
	struct scatterlist *sg;
	u8 *want, *got, *cpu;
	dma_addr_t a;
	int i;

	if (!nic)
		return -ENODEV;
	pg = sim_alloc_pages(m, 4);
	want = malloc(len);
	got = malloc(len);
	if (!wl_check(out, "allocated_64k_ram_above", pg && want && got, false, "allocated 64 KiB of RAM above 4 GiB"))
		goto out;
	cpu = page_address(pg);
	wl_fill(cpu, len, 1);
	a = wl_map(out, nic, page_to_phys(pg), len, DMA_TO_DEVICE, 0);
	wl_check(out, "dma_is_phys", a == page_to_phys(pg), false,
		 "dma-direct: the DMA address is the physical address");
	wl_check(out, "device_read_64k_matches", sim_dma_read(nic, a, got, len) == 0 && wl_same(got, cpu, len),
		 false, "device read 64 KiB and it matches what the CPU wrote");
	dma_unmap_phys(nic, a, len, DMA_TO_DEVICE, 0);

	a = wl_map(out, nic, page_to_phys(pg), len, DMA_FROM_DEVICE, 0);
	wl_fill(want, len, 2);
	wl_check(out, "device_wrote_64k", sim_dma_write(nic, a, want, len) == 0, false, "device wrote 64 KiB");
	dma_unmap_phys(nic, a, len, DMA_FROM_DEVICE, 0);
	wl_check(out, "cpu_sees_devices_data", wl_same(cpu, want, len), false,
		 "CPU sees the device's data after unmap");
	sim_free_pages(m, pg, 4);
	pg = NULL;

	/* A scatterlist of eight separate pages. */
	if (sg_alloc_table(&sgt, 8, GFP_KERNEL)) {
		wl_check(out, "sg_alloc_table", false, false, "sg_alloc_table");
		goto out;
	}
	for_each_sg(sgt.sgl, sg, 8, i) {
		pages[i] = sim_alloc_pages(m, 0);
		if (!pages[i]) {
			wl_check(out, "allocated_sg_pages", false, false, "allocated sg pages");
			while (i--)
				sim_free_pages(m, pages[i], 0);
			sg_free_table(&sgt);
			goto out;
		}
		wl_fill(page_address(pages[i]), PAGE_SIZE, 10 + (unsigned int)i);
		sg_set_page(sg, pages[i], PAGE_SIZE, 0);
	}
	if (wl_check(out, "dma_map_sgtable_8", dma_map_sgtable(nic, &sgt, DMA_BIDIRECTIONAL, 0) == 0,
		     false, "dma_map_sgtable of 8 pages")) {
		bool ok = true;

		for_each_sgtable_dma_sg(&sgt, sg, i) {
			ok &= sim_dma_read(nic, sg_dma_address(sg), got, sg_dma_len(sg)) == 0 &&
			      wl_same(got, page_address(sg_page(sg)), sg_dma_len(sg));
			wl_fill(want, PAGE_SIZE, 50 + (unsigned int)i);
			ok &= sim_dma_write(nic, sg_dma_address(sg), want, PAGE_SIZE) == 0;
		}
		wl_check(out, "device_read_rewrote_segment", ok, false, "device read and rewrote every segment");
		dma_sync_sgtable_for_cpu(nic, &sgt, DMA_BIDIRECTIONAL);
		ok = true;
		for (i = 0; i < 8; i++) {
			wl_fill(want, PAGE_SIZE, 50 + (unsigned int)i);
			ok &= wl_same(page_address(pages[i]), want, PAGE_SIZE);
		}
		wl_check(out, "cpu_sees_segment_after", ok, false,
			 "CPU sees every segment after dma_sync_sgtable_for_cpu");
		wl_record(out, nic, "dma_map_sgtable", page_to_phys(pages[0]),
			  8 * PAGE_SIZE, DMA_BIDIRECTIONAL, sg_dma_address(sgt.sgl), 0);
		dma_unmap_sgtable(nic, &sgt, DMA_BIDIRECTIONAL, 0);
	}
	for (i = 0; i < 8; i++)
		sim_free_pages(m, pages[i], 0);
	sg_free_table(&sgt);
out:
	if (pg)
		sim_free_pages(m, pg, 4);
	free(want);
	free(got);
	return 0;
}

/*
 * cli_wl_noncoherent - a device that does not snoop the CPU caches
 * (@o->dev, tb0): @o->count rounds (one) of a @o->size mapping (a page)
 * of which the device moves @o->noncoherent.xfer bytes (all): TO_DEVICE,
 * FROM_DEVICE with dma_sync_single_for_cpu() and, with .bidi, a reused
 * BIDIRECTIONAL one. @o->provoke leaves a sync out (the device reads
 * stale data, dma-debug reports it) and looks before the sync for the CPU.
 */
CLI_WORKLOAD(cli_wl_noncoherent)
{
	struct device *dev = WL_DEV("tb0", "the non-coherent device");
	const u64 size = o->size ? o->size : PAGE_SIZE;
	const u64 xfer = o->noncoherent.xfer ? o->noncoherent.xfer : size;
	struct wl_rounds r = { .out = out, .count = o->count ? o->count : 1 };
	u8 *cpu, *a_buf = NULL, *b_buf = NULL, *c_buf = NULL, *got = NULL;
	unsigned int order;
	struct page *pg;
	phys_addr_t phys;
	char b1[32], b2[40];
	bool low;

	if (!dev)
		return -ENODEV;
	if (dev_is_dma_coherent(dev)) {
		snprintf(err, errlen, "%s is coherent (use a platform with a coherent=no device, or dev=)",
			 sim_device_id(dev));
		return -EINVAL;
	}
	if (xfer > size) {
		snprintf(err, errlen, "the device cannot move more than the mapping");
		return -EINVAL;
	}
	low = sim_device_dma_bits(dev) <= 32;
	order = (unsigned int)get_order(size);
	pg = low ? sim_alloc_pages_range(m, order, SZ_16M, SZ_4G) :
		   sim_alloc_pages(m, order);
	a_buf = malloc(xfer);
	b_buf = malloc(xfer);
	c_buf = malloc(xfer);
	got = malloc(xfer);
	snprintf(b2, sizeof(b2), "%s", order ? fmt_bytes(b1, sizeof(b1), PAGE_SIZE << order) :
					       "a page");
	if (!wl_check(out, "alloc", pg && a_buf && b_buf && c_buf && got, false, "allocated %s%s",
		      b2, low ? " below 4 GiB" : ""))
		goto out;
	cpu = page_address(pg);
	phys = page_to_phys(pg);
	for (; r.round < r.count; r.round++) {
		u64 seed = o->seed + r.round * 5;
		const u8 *cpu_has = a_buf;
		unsigned long before;
		dma_addr_t a;

		/* TO_DEVICE: the map cleans the CPU's lines */
		wl_fill(a_buf, xfer, seed + 3);
		memcpy(cpu, a_buf, xfer);
		a = wl_map(out, dev, phys, size, DMA_TO_DEVICE, 0);
		if (a == DMA_MAPPING_ERROR) {
			wl_step(&r, "map_to_device", false, false, "dma_map_phys(TO_DEVICE) failed");
			continue;
		}
		wl_step(&r, "map_cleaned_cpu_cache", sim_dma_read(dev, a, got, xfer) == 0 && wl_same(got, a_buf, xfer),
			false, "map cleaned the CPU cache: device reads the CPU's data");
		if (o->provoke) {
			wl_fill(b_buf, xfer, seed + 4);
			memcpy(cpu, b_buf, xfer);	/* no dma_sync_single_for_device */
			cpu_has = b_buf;
			before = sim_dma_debug_errors(m);
			wl_step(&r, "stale_without_sync", sim_dma_read(dev, a, got, xfer) == 0 && wl_same(got, a_buf, xfer),
				true, "CPU wrote again without dma_sync_single_for_device: device reads stale data");
			wl_step_expect(&r, "unflushed_read_reported", m, SIM_REPORT_DMA_DEBUG, before, 1,
				       "the device reading unflushed lines");
			dma_sync_single_for_device(dev, a, size, DMA_TO_DEVICE);
			wl_step(&r, "sync_for_device_fresh", sim_dma_read(dev, a, got, xfer) == 0 && wl_same(got, b_buf, xfer),
				false, "after dma_sync_single_for_device the device reads the new data");
		}
		dma_unmap_phys(dev, a, size, DMA_TO_DEVICE, 0);

		/* FROM_DEVICE: the CPU looks after dma_sync_single_for_cpu */
		a = wl_map(out, dev, phys, size, DMA_FROM_DEVICE, 0);
		if (a == DMA_MAPPING_ERROR) {
			wl_step(&r, "map_from_device", false, false, "dma_map_phys(FROM_DEVICE) failed");
			continue;
		}
		wl_fill(c_buf, xfer, seed + 5);
		wl_step(&r, "device_wrote", sim_dma_write(dev, a, c_buf, xfer) == 0, false, "device wrote %s",
			fmt_bytes(b1, sizeof(b1), xfer));
		if (o->provoke)
			wl_step(&r, "stale_before_sync_for_cpu", wl_same(cpu, cpu_has, xfer), true,
				"before dma_sync_single_for_cpu the CPU still reads its stale cache lines");
		dma_sync_single_for_cpu(dev, a, size, DMA_FROM_DEVICE);
		wl_step(&r, "sync_for_cpu_fresh", wl_same(cpu, c_buf, xfer), false,
			"after dma_sync_single_for_cpu the CPU sees the device's data");
		dma_unmap_phys(dev, a, size, DMA_FROM_DEVICE, 0);
		if (!o->noncoherent.bidi)
			continue;

		/* BIDIRECTIONAL, reused: sync for the device after CPU writes */
		a = wl_map(out, dev, phys, size, DMA_BIDIRECTIONAL, 0);
		if (a == DMA_MAPPING_ERROR) {
			wl_step(&r, "map_bidirectional", false, false, "dma_map_phys(BIDIRECTIONAL) failed");
			continue;
		}
		wl_fill(cpu, xfer, seed + 6);
		dma_sync_single_for_device(dev, a, size, DMA_BIDIRECTIONAL);
		wl_step(&r, "bidirectional_reused_after_dma", sim_dma_read(dev, a, got, xfer) == 0 && wl_same(got, cpu, xfer),
			false, "BIDIRECTIONAL, reused: after dma_sync_single_for_device the device reads the CPU's new data");
		wl_fill(c_buf, xfer, seed + 7);
		wl_step(&r, "bidirectional_device_wrote", sim_dma_write(dev, a, c_buf, xfer) == 0, false,
			"BIDIRECTIONAL: device wrote %s", fmt_bytes(b1, sizeof(b1), xfer));
		dma_unmap_phys(dev, a, size, DMA_BIDIRECTIONAL, 0);
		wl_step(&r, "bidirectional_after_unmap_cpu", wl_same(cpu, c_buf, xfer), false,
			"BIDIRECTIONAL: after unmap the CPU sees the device's data");
	}
	wl_rounds_end(&r);
out:
	if (pg)
		sim_free_pages(m, pg, order);
	free(a_buf);
	free(b_buf);
	free(c_buf);
	free(got);
	return 0;
}

/*
 * cli_wl_bounce - a device that swiotlb bounces for (@o->dev, tb0: 32-bit;
 * or an untrusted one behind an IOMMU): @o->count rounds (one) of a
 * @o->size (8K) BIDIRECTIONAL buffer starting @o->bounce.offset bytes into
 * its page, read and written by the device, verified on both sides.
 * @o->provoke also looks at the original buffer before the unmap.
 */
CLI_WORKLOAD(cli_wl_bounce)
{
	struct device *dev = WL_DEV("tb0", "the bounced device");
	const u64 size = o->size ? o->size : 8192, off = o->bounce.offset;
	struct wl_rounds r = { .out = out, .count = o->count ? o->count : 1 };
	struct sim_dma_stats st0, st1;
	unsigned int order;
	struct page *pg;
	phys_addr_t phys = 0;
	u8 *cpu, *want, *got;
	char b1[32], b2[32];
	bool low, translated;

	if (!dev)
		return -ENODEV;
	low = sim_device_dma_bits(dev) <= 32;
	translated = iommu_get_domain_for_dev(dev) != NULL;
	order = (unsigned int)get_order(off + size);
	pg = sim_alloc_pages(m, order);
	want = malloc(size);
	got = malloc(size);
	if (pg)
		phys = page_to_phys(pg) + off;
	fmt_bytes(b1, sizeof(b1), size);
	if (!wl_check(out, "alloc", pg && want && got && (!low || phys >= SZ_4G), false,
		      "allocated %s%s", b1,
		      low ? " above 4 GiB, out of reach of a 32-bit device" : ""))
		goto out;
	cpu = (u8 *)page_address(pg) + off;
	sim_dma_stats_get(m, &st0);
	for (; r.round < r.count; r.round++) {
		dma_addr_t a;

		wl_fill(cpu, size, o->seed + 5 + 2 * r.round);
		a = wl_map(out, dev, phys, size, DMA_BIDIRECTIONAL, 0);
		if (a == DMA_MAPPING_ERROR) {
			wl_step(&r, "dma_map_phys_failed", false, false, "dma_map_phys of %s failed", b1);
			continue;
		}
		if (!translated)
			wl_step(&r, "mapping_bounce_buffer_swiotlb", is_swiotlb_buffer(dev, dma_to_phys(dev, a)) &&
				    (!low || a + size <= SZ_4G), false,
				"the mapping is a bounce buffer%s (swiotlb)",
				low ? " below 4 GiB" : "");
		wl_step(&r, "device_reads_original_data", sim_dma_read(dev, a, got, size) == 0 && wl_same(got, cpu, size),
			false, "device reads the original data from the bounce buffer");
		wl_fill(want, size, o->seed + 6 + 2 * r.round);
		wl_step(&r, "device_wrote", sim_dma_write(dev, a, want, size) == 0, false, "device wrote %s", b1);
		if (o->provoke)
			wl_step(&r, "before_unmap_original_buffer", !wl_same(cpu, want, size), true,
				"before unmap the original buffer does not have the device's data");
		dma_unmap_phys(dev, a, size, DMA_BIDIRECTIONAL, 0);
		wl_step(&r, "unmap_copied_devices_data", wl_same(cpu, want, size), false, "unmap copied the device's data back");
	}
	wl_rounds_end(&r);
	sim_dma_stats_get(m, &st1);
	/* a buffer that starts mid-granule bounces even behind an IOMMU */
	fmt_bytes(b2, sizeof(b2), size * r.count);
	wl_check(out, "swiotlb_copied_bytes_out", st1.bounced_bytes - st0.bounced_bytes == 2 * size * r.count, false,
		 "swiotlb copied %s (%s in, %s out)",
		 fmt_bytes(b1, sizeof(b1), st1.bounced_bytes - st0.bounced_bytes), b2, b2);
	wl_check(out, "bounce_slots_released", swiotlb_used(dev) == 0, false, "all bounce slots released");
out:
	if (pg)
		sim_free_pages(m, pg, order);
	free(want);
	free(got);
	return 0;
}

/*
 * cli_wl_coherent_alloc - dma_alloc_coherent() for @o->dev (tb0, a
 * non-coherent device below 4G) and a dma_pool of 64-byte blocks for
 * @o->peer (nvme0), every block written by the device.
 */
CLI_WORKLOAD(cli_wl_coherent_alloc)
{
	struct device *tb = WL_DEV("tb0", "a coherent allocation's device");
	struct device *nvme = WL_PEER("nvme0", "the dma_pool's device");
	struct dma_pool *pool;
	dma_addr_t handle, handles[100];
	void *blocks[100];
	u8 want[512], got[512];
	u8 *cpu;
	bool ok = true;
	int i, n = 0;

	if (!tb || !nvme)
		return -ENODEV;
	cpu = dma_alloc_coherent(tb, 16384, &handle, GFP_KERNEL);
	if (!wl_check(out, "dma_alloc_coherent_16k", cpu != NULL, false, "dma_alloc_coherent(16 KiB) for the %s device",
		      dev_is_dma_coherent(tb) ? "coherent" : "non-coherent"))
		return 0;
	wl_record(out, tb, "dma_alloc_coherent", sim_virt_to_phys(m, cpu), 16384,
		  DMA_BIDIRECTIONAL, handle, 0);
	wl_check(out, "below_devices_bit_coherent", handle + 16384 - 1 <= tb->coherent_dma_mask, false,
		 "below the device's %u-bit coherent mask", sim_device_dma_bits(tb));
	wl_fill(cpu, sizeof(want), 7);
	wl_check(out, "device_sees_cpu_writes", sim_dma_read(tb, handle, got, sizeof(got)) == 0 &&
		      wl_same(got, cpu, sizeof(got)),
		 false, "device sees CPU writes at once (uncached mapping, no sync)");
	wl_fill(want, sizeof(want), 8);
	wl_check(out, "cpu_sees_device_writes", sim_dma_write(tb, handle + 4096, want, sizeof(want)) == 0 &&
		      wl_same(cpu + 4096, want, sizeof(want)), false,
		 "CPU sees device writes at once");
	dma_free_coherent(tb, 16384, cpu, handle);

	pool = dma_pool_create("nvme-prp", nvme, 64, 64, 4096);
	if (!wl_check(out, "dma_pool_create_64", pool != NULL, false, "dma_pool_create(64-byte blocks, 64-byte aligned)"))
		return 0;
	for (i = 0; i < 100; i++) {
		blocks[i] = dma_pool_alloc(pool, GFP_KERNEL, &handles[i]);
		if (!blocks[i])
			break;
		n++;
		ok &= !(handles[i] & 63);
		wl_fill(want, 64, 100 + (unsigned int)i);
		ok &= sim_dma_write(nvme, handles[i], want, 64) == 0 &&
		      wl_same(blocks[i], want, 64);
	}
	wl_check(out, "100_blocks_allocated_aligned", n == 100 && ok, false,
		 "100 blocks allocated, aligned, and written by the device");
	for (i = 0; i < n; i++)
		dma_pool_free(pool, blocks[i], handles[i]);
	dma_pool_destroy(pool);
	return 0;
}

/*
 * cli_wl_mmio - MMIO as a DMA target without an IOMMU: nic0 writes into
 * nvme0's CMB (BAR 2) below their switch, with memory decoding turned off
 * once (a provoked fault), and reads gpu0's BAR 2 through the root
 * complex; mapping RAM as a resource is refused (provoked).
 */
CLI_WORKLOAD(cli_wl_mmio)
{
	struct device *nic = WL_FIXED_DEV("nic0", "the NIC");
	struct device *nvme_dev = WL_FIXED_DEV("nvme0", "the NVMe drive with a CMB");
	struct device *gpu_dev = WL_FIXED_DEV("gpu0", "the GPU");
	struct pci_dev *nvme, *gpu;
	phys_addr_t cmb, vram;
	u8 *want, *got;
	struct page *pg;
	unsigned long before;
	dma_addr_t a;
	u16 cmd;

	if (!nic || !nvme_dev || !gpu_dev)
		return -ENODEV;
	nvme = to_pci_dev(nvme_dev);
	gpu = to_pci_dev(gpu_dev);
	if (pci_resource_len(nvme, 2) < SZ_64K || pci_resource_len(gpu, 2) < 2 * SZ_1M) {
		snprintf(err, errlen, "nvme0 needs a CMB and gpu0 a BAR 2 of 2 MiB or more");
		return -ENODEV;
	}
	cmb = pci_resource_start(nvme, 2);
	vram = pci_resource_start(gpu, 2) + SZ_1M;
	want = malloc(SZ_64K);
	got = malloc(SZ_64K);
	if (!want || !got) {
		wl_check(out, "allocated_128k_buffers", false, false, "allocated 128 KiB of buffers");
		goto out;
	}
	a = dma_map_resource(nic, cmb, SZ_64K, DMA_BIDIRECTIONAL, 0);
	wl_record(out, nic, "dma_map_resource", cmb, SZ_64K, DMA_BIDIRECTIONAL,
		  a, DMA_ATTR_MMIO);
	dma_mapping_error(nic, a);
	wl_check(out, "dma_direct_returns_bars", a == cmb, false, "dma-direct returns the BAR's physical address");
	wl_fill(want, SZ_64K, 9);
	wl_check(out, "nic_wrote_64k_into", sim_dma_write(nic, a, want, SZ_64K) == 0, false,
		 "NIC wrote 64 KiB into the NVMe CMB, peer-to-peer below their switch");
	wl_check(out, "cpu_reads_same_bytes", sim_mmio_read(m, cmb, got, SZ_64K) == 0 && wl_same(got, want, SZ_64K),
		 false, "CPU reads the same bytes from the CMB");

	pci_read_config_word(nvme, PCI_COMMAND, &cmd);
	pci_write_config_word(nvme, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	before = sim_report_count_kind(m, SIM_REPORT_DMA_FAULT);
	wl_check(out, "nvme0s_memory_decoding_off", sim_dma_write(nic, a, want, 64) == -EIO, true,
		 "with nvme0's memory decoding off the peer write fails");
	wl_expect(out, "bar_not_decoding_reported", m, SIM_REPORT_DMA_FAULT, before, 1,
		  "the write to a BAR that does not decode");
	pci_write_config_word(nvme, PCI_COMMAND, cmd);
	dma_unmap_resource(nic, a, SZ_64K, DMA_BIDIRECTIONAL, 0);

	wl_fill(want, 4096, 11);
	sim_mmio_write(m, vram, want, 4096);
	a = wl_map(out, nic, vram, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	wl_check(out, "nic_read_4k_gpu", sim_dma_read(nic, a, got, 4096) == 0 && wl_same(got, want, 4096), false,
		 "NIC read 4 KiB of GPU memory through the root complex (host bridge allows P2P)");
	dma_unmap_phys(nic, a, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);

	pg = sim_alloc_pages(m, 0);
	before = sim_dma_debug_errors(m);
	a = pg ? dma_map_resource(nic, page_to_phys(pg), 4096, DMA_TO_DEVICE, 0) : 0;
	wl_check(out, "dma_map_resource_ram", pg && a == DMA_MAPPING_ERROR, true, "dma_map_resource of RAM is refused");
	wl_expect(out, "ram_as_resource_reported", m, SIM_REPORT_DMA_DEBUG, before, 1, "mapping RAM as a resource");
	if (pg)
		sim_free_pages(m, pg, 0);
out:
	free(want);
	free(got);
	return 0;
}

/*
 * cli_wl_confidential - a device (@o->dev, nvme0) in a confidential guest:
 * every streaming mapping bounces through shared memory, the device cannot
 * reach private memory (provoked), MMIO cannot be bounced, coherent
 * allocations are shared.
 */
CLI_WORKLOAD(cli_wl_confidential)
{
	struct device *nvme = WL_DEV("nvme0", "a device of the guest");
	struct page *pg;
	u8 want[4096], got[4096];
	unsigned long before;
	dma_addr_t a, h;
	u8 *cpu, *coh;

	if (!nvme)
		return -ENODEV;
	if (!sim_machine_is_confidential(m)) {
		snprintf(err, errlen, "the platform is no confidential guest (swiotlb force=yes)");
		return -EINVAL;
	}
	pg = sim_alloc_pages(m, 0);
	if (!wl_check(out, "allocated_private_page", pg != NULL, false, "allocated a private page"))
		return 0;
	cpu = page_address(pg);
	wl_fill(cpu, PAGE_SIZE, 12);
	a = wl_map(out, nvme, page_to_phys(pg), PAGE_SIZE, DMA_TO_DEVICE, 0);
	wl_check(out, "bit_device_bounced_anyway", a != DMA_MAPPING_ERROR && is_swiotlb_buffer(nvme, a), false,
		 "a %u-bit device is bounced anyway (swiotlb force)", sim_device_dma_bits(nvme));
	wl_check(out, "device_reads_data_shared", sim_dma_read(nvme, a, got, sizeof(got)) == 0 &&
		      wl_same(got, cpu, sizeof(got)),
		 false, "device reads the data from shared memory");
	dma_unmap_phys(nvme, a, PAGE_SIZE, DMA_TO_DEVICE, 0);

	a = wl_map(out, nvme, page_to_phys(pg), PAGE_SIZE, DMA_FROM_DEVICE, 0);
	wl_fill(want, sizeof(want), 13);
	wl_check(out, "device_wrote_4k", sim_dma_write(nvme, a, want, sizeof(want)) == 0, false, "device wrote 4 KiB");
	dma_unmap_phys(nvme, a, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	wl_check(out, "private_page_got_data", wl_same(cpu, want, sizeof(want)), false,
		 "the private page got the data at unmap");

	sim_dma_debug_enable(m, false);
	before = sim_report_count_kind(m, SIM_REPORT_DMA_FAULT);
	wl_check(out, "device_cannot_reach_private", sim_dma_read(nvme, page_to_phys(pg), got, 64) == -EIO, true,
		 "the device cannot reach the private page itself");
	wl_expect(out, "access_private_memory", m, SIM_REPORT_DMA_FAULT, before, 1, "the access to private memory");
	sim_dma_debug_enable(m, true);

	a = dma_map_resource(nvme, pci_resource_start(to_pci_dev(nvme), 0), 4096,
			     DMA_BIDIRECTIONAL, 0);
	wl_record(out, nvme, "dma_map_resource", pci_resource_start(to_pci_dev(nvme), 0),
		  4096, DMA_BIDIRECTIONAL, a, DMA_ATTR_MMIO);
	wl_check(out, "mmio_cannot_bounced_mapping", a == DMA_MAPPING_ERROR, true, "MMIO cannot be bounced: the mapping fails");

	coh = dma_alloc_coherent(nvme, 8192, &h, GFP_KERNEL);
	if (wl_check(out, "dma_alloc_coherent_shares", coh != NULL, false, "dma_alloc_coherent shares its pages with the host")) {
		wl_record(out, nvme, "dma_alloc_coherent", sim_virt_to_phys(m, coh), 8192,
			  DMA_BIDIRECTIONAL, h, 0);
		wl_check(out, "device_writes_coherent_buffer", sim_dma_write(nvme, h, want, sizeof(want)) == 0 &&
			      wl_same(coh, want, sizeof(want)), false,
			 "device writes the coherent buffer directly");
		dma_free_coherent(nvme, 8192, coh, h);
	}
	sim_free_pages(m, pg, 0);
	return 0;
}
