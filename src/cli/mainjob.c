// SPDX-License-Identifier: MIT
/*
 * The main job: built-in workloads on the default platform (and a
 * confidential guest), each device's DMA verified byte for byte, a table of
 * what was mapped how, and a verdict. After the DMA API's own workloads come
 * the systems built on it: NVMe I/O through the block layer's DMA iterator
 * with each mapping API and from the CMB, the NIC mirroring a process
 * through ODP, a VFIO migration page list; then a summary per workload. Some steps provoke a bug on purpose
 * (a missing sync, a device touching memory it may not): those must be
 * caught, and anything reported that was not provoked fails the job.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* One workload as the summary shows it: its verdict and DMA statistics. */
struct job_wl {
	const char *name;
	struct sim_machine *m;
	json_object *obj;
	struct cli_stats s0;
	unsigned int failed0, checks0, failed, checks;
	struct cli_stats delta;
};

struct job {
	const struct cli_opts *o;
	json_object *workloads;
	json_object *cur_checks;
	json_object *cur_maps;
	json_object *cur_notes;
	json_object *maps_all;
	unsigned int checks, failed, provoked;
	unsigned long expected_debug, expected_faults;
	struct job_wl *wls;
	unsigned int nr_wls, cap_wls;
};

static void job_printf(struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void job_printf(struct job *j, const char *fmt, ...)
{
	va_list ap;

	if (j->o->json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static json_object *stats_delta_json(const struct cli_stats *d)
{
	json_object *s = json_object_new_object();

#define ADD(k, v) json_object_object_add(s, k, json_object_new_uint64(v))
	ADD("mappings", d->dma.maps);
	ADD("unmaps", d->dma.unmaps);
	ADD("syncs", d->dma.syncs);
	ADD("bounced_bytes", d->dma.bounced_bytes);
	ADD("device_bytes", d->dma.dev_bytes);
	ADD("p2p_transactions", d->dma.p2p_accesses);
	ADD("iotlb_invalidations", d->invalidations);
	ADD("inval_commands", d->inval_commands);
	ADD("iommu_faults", d->iommu_faults);
	ADD("dma_faults", d->access_errors);
	ADD("dma_debug_reports", d->debug_reports);
#undef ADD
	return s;
}

/* The workload that is running ends: its checks and statistics are final. */
static void workload_end(struct job *j)
{
	struct job_wl *w;
	struct cli_stats now;

	if (!j->nr_wls)
		return;
	w = &j->wls[j->nr_wls - 1];
	if (w->obj == NULL)
		return;		/* ended already */
	cli_stats_take(w->m, &now);
	w->failed = j->failed - w->failed0;
	w->checks = j->checks - w->checks0;
	w->delta.dma.maps = now.dma.maps - w->s0.dma.maps;
	w->delta.dma.unmaps = now.dma.unmaps - w->s0.dma.unmaps;
	w->delta.dma.syncs = now.dma.syncs - w->s0.dma.syncs;
	w->delta.dma.bounced_bytes = now.dma.bounced_bytes - w->s0.dma.bounced_bytes;
	w->delta.dma.dev_bytes = now.dma.dev_bytes - w->s0.dma.dev_bytes;
	w->delta.dma.p2p_accesses = now.dma.p2p_accesses - w->s0.dma.p2p_accesses;
	w->delta.invalidations = now.invalidations - w->s0.invalidations;
	w->delta.inval_commands = now.inval_commands - w->s0.inval_commands;
	w->delta.iommu_faults = now.iommu_faults - w->s0.iommu_faults;
	w->delta.access_errors = now.access_errors - w->s0.access_errors;
	w->delta.debug_reports = now.debug_reports - w->s0.debug_reports;
	json_object_object_add(w->obj, "verdict",
			       json_object_new_string(w->failed ? "fail" : "pass"));
	json_object_object_add(w->obj, "stats", stats_delta_json(&w->delta));
	w->obj = NULL;
}

static void workload(struct job *j, const char *name, struct sim_machine *m,
		     const char *dev)
{
	json_object *w = json_object_new_object();
	struct job_wl *jw;

	workload_end(j);
	if (j->nr_wls == j->cap_wls) {
		unsigned int cap = j->cap_wls ? 2 * j->cap_wls : 32;
		struct job_wl *n = realloc(j->wls, cap * sizeof(*n));

		if (n) {
			j->wls = n;
			j->cap_wls = cap;
		}
	}
	if (j->nr_wls < j->cap_wls) {
		jw = &j->wls[j->nr_wls++];
		memset(jw, 0, sizeof(*jw));
		jw->name = name;
		jw->m = m;
		jw->obj = w;
		jw->failed0 = j->failed;
		jw->checks0 = j->checks;
		cli_stats_take(m, &jw->s0);
	}
	j->cur_checks = json_object_new_array();
	j->cur_maps = json_object_new_array();
	j->cur_notes = json_object_new_array();
	json_object_object_add(w, "name", json_object_new_string(name));
	json_object_object_add(w, "machine", json_object_new_string(sim_machine_name(m)));
	json_object_object_add(w, "device", json_object_new_string(dev));
	json_object_object_add(w, "checks", j->cur_checks);
	json_object_object_add(w, "mappings", j->cur_maps);
	json_object_object_add(w, "notes", j->cur_notes);
	json_object_array_add(j->workloads, w);
	job_printf(j, "\n== %s  [%s, %s]\n", name, sim_machine_name(m), dev);
}

/* What a workload did, beside its checks. */
static void note(struct job *j, const char *msg)
{
	json_object_array_add(j->cur_notes, json_object_new_string(msg));
	job_printf(j, "   %s\n", msg);
}

static bool check(struct job *j, bool ok, bool provoked, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool check(struct job *j, bool ok, bool provoked, const char *fmt, ...)
{
	json_object *c = json_object_new_object();
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	j->checks++;
	if (!ok)
		j->failed++;
	else if (provoked)
		j->provoked++;
	json_object_object_add(c, "what", json_object_new_string(what));
	json_object_object_add(c, "ok", json_object_new_boolean(ok));
	json_object_object_add(c, "provoked", json_object_new_boolean(provoked));
	json_object_array_add(j->cur_checks, c);
	job_printf(j, "   %s %s%s\n", ok ? "ok  " : "FAIL", what,
		   provoked && ok ? "  (provoked, caught)" : "");
	return ok;
}

static const char *dir_str(enum dma_data_direction dir)
{
	static const char *const names[] = { "BIDIRECTIONAL", "TO_DEVICE",
					     "FROM_DEVICE", "NONE" };

	return names[dir & 3];
}

/* Describe how a mapping was made: the path through the DMA layers. */
static const char *map_path(struct device *dev, dma_addr_t dma,
			    unsigned long attrs)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	if (dma == DMA_MAPPING_ERROR)
		return "failed";
	if (dom && iommu_is_dma_domain(dom)) {
		bool lazy = dom->type == IOMMU_DOMAIN_DMA_FQ;
		phys_addr_t p = iommu_iova_to_phys(dom, dma);

		if (p && is_swiotlb_buffer(dev, p))
			return lazy ? "iommu lazy + bounce" : "iommu strict + bounce";
		if (attrs & DMA_ATTR_MMIO)
			return lazy ? "iommu lazy, IOMMU_MMIO" : "iommu strict, IOMMU_MMIO";
		return lazy ? "iommu lazy" : "iommu strict";
	}
	if (attrs & DMA_ATTR_MMIO)
		return "mmio (no sync, no bounce)";
	if (is_swiotlb_buffer(dev, dma_to_phys(dev, dma)))
		return is_swiotlb_force_bounce(dev) ? "swiotlb (forced)" :
						      "swiotlb (mask)";
	return dev_is_dma_coherent(dev) ? "direct" : "direct + cache maint.";
}

static void record_map(struct job *j, struct device *dev, const char *call,
		       phys_addr_t phys, size_t size,
		       enum dma_data_direction dir, dma_addr_t dma,
		       unsigned long attrs)
{
	json_object *r = json_object_new_object();
	char sz[32];

	json_object_object_add(r, "device", json_object_new_string(sim_device_id(dev)));
	json_object_object_add(r, "bdf", json_object_new_string(dev_name(dev)));
	json_object_object_add(r, "call", json_object_new_string(call));
	json_object_object_add(r, "phys", json_object_new_uint64(phys));
	json_object_object_add(r, "size", json_object_new_uint64(size));
	json_object_object_add(r, "dir", json_object_new_string(dir_str(dir)));
	json_object_object_add(r, "dma", json_object_new_uint64(dma));
	json_object_object_add(r, "path", json_object_new_string(map_path(dev, dma, attrs)));
	json_object_array_add(j->cur_maps, json_object_get(r));
	json_object_array_add(j->maps_all, r);
	job_printf(j, "   map  %-18s %-6s %-6s %-13s phys %#llx -> dma %#llx  %s\n",
		   call, sim_device_id(dev), fmt_size(sz, sizeof(sz), size),
		   dir_str(dir), (unsigned long long)phys,
		   (unsigned long long)dma, map_path(dev, dma, attrs));
}

static dma_addr_t map(struct job *j, struct device *dev, phys_addr_t phys,
		      size_t size, enum dma_data_direction dir,
		      unsigned long attrs)
{
	dma_addr_t a = dma_map_phys(dev, phys, size, dir, attrs);

	record_map(j, dev, (attrs & DMA_ATTR_MMIO) ? "dma_map_phys(MMIO)" :
						     "dma_map_phys", phys, size,
		   dir, a, attrs);
	dma_mapping_error(dev, a);
	return a;
}

/* Expect a provoked problem to show as exactly @n new reports of @kind. */
static void expect_reports(struct job *j, struct sim_machine *m,
			   enum sim_report_kind kind, unsigned long before,
			   unsigned long n, const char *what)
{
	unsigned long now = sim_report_count_kind(m, kind);

	if (kind == SIM_REPORT_DMA_DEBUG)
		j->expected_debug += n;
	else
		j->expected_faults += n;
	check(j, now - before == n, true, "%s reported (%lu %s report%s)",
	      what, now - before,
	      kind == SIM_REPORT_DMA_DEBUG ? "dma-debug" : "DMA fault",
	      now - before == 1 ? "" : "s");
}

static bool same(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static void pattern(void *p, size_t n, unsigned int seed)
{
	u8 *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (u8)(seed * 37 + i * 13 + (i >> 9));
}

/* ------------------------------------------------------------------------ */

static void wl_coherent(struct job *j, struct sim_machine *m)
{
	struct device *nic = sim_device(m, "nic0");
	const size_t len = 64 * 1024;
	struct page *pg = sim_alloc_pages(m, 4);
	static u8 want[64 * 1024], got[64 * 1024];
	struct page *pages[8];
	struct sg_table sgt;
	struct scatterlist *sg;
	dma_addr_t a;
	u8 *cpu;
	int i;

	workload(j, "coherent streaming DMA", m, "nic0");
	if (!check(j, pg != NULL, false, "allocated 64K of RAM above 4G"))
		return;
	cpu = page_address(pg);
	pattern(cpu, len, 1);
	a = map(j, nic, page_to_phys(pg), len, DMA_TO_DEVICE, 0);
	check(j, a == page_to_phys(pg), false,
	      "dma-direct: the DMA address is the physical address");
	check(j, sim_dma_read(nic, a, got, len) == 0 && same(got, cpu, len),
	      false, "device read 64K and it matches what the CPU wrote");
	dma_unmap_phys(nic, a, len, DMA_TO_DEVICE, 0);

	a = map(j, nic, page_to_phys(pg), len, DMA_FROM_DEVICE, 0);
	pattern(want, len, 2);
	check(j, sim_dma_write(nic, a, want, len) == 0, false, "device wrote 64K");
	dma_unmap_phys(nic, a, len, DMA_FROM_DEVICE, 0);
	check(j, same(cpu, want, len), false, "CPU sees the device's data after unmap");
	sim_free_pages(m, pg, 4);

	/* A scatterlist of eight separate pages. */
	if (sg_alloc_table(&sgt, 8, GFP_KERNEL)) {
		check(j, false, false, "sg_alloc_table");
		return;
	}
	for_each_sg(sgt.sgl, sg, 8, i) {
		pages[i] = sim_alloc_pages(m, 0);
		if (!pages[i]) {
			check(j, false, false, "allocated sg pages");
			while (i--)
				sim_free_pages(m, pages[i], 0);
			sg_free_table(&sgt);
			return;
		}
		pattern(page_address(pages[i]), PAGE_SIZE, 10 + (unsigned int)i);
		sg_set_page(sg, pages[i], PAGE_SIZE, 0);
	}
	if (check(j, dma_map_sgtable(nic, &sgt, DMA_BIDIRECTIONAL, 0) == 0, false,
		  "dma_map_sgtable of 8 pages")) {
		bool ok = true;

		for_each_sgtable_dma_sg(&sgt, sg, i) {
			ok &= sim_dma_read(nic, sg_dma_address(sg), got, sg_dma_len(sg)) == 0 &&
			      same(got, page_address(sg_page(sg)), sg_dma_len(sg));
			pattern(want, PAGE_SIZE, 50 + (unsigned int)i);
			ok &= sim_dma_write(nic, sg_dma_address(sg), want, PAGE_SIZE) == 0;
		}
		check(j, ok, false, "device read and rewrote every segment");
		dma_sync_sgtable_for_cpu(nic, &sgt, DMA_BIDIRECTIONAL);
		ok = true;
		for (i = 0; i < 8; i++) {
			pattern(want, PAGE_SIZE, 50 + (unsigned int)i);
			ok &= same(page_address(pages[i]), want, PAGE_SIZE);
		}
		check(j, ok, false, "CPU sees every segment after dma_sync_sgtable_for_cpu");
		record_map(j, nic, "dma_map_sgtable", page_to_phys(pages[0]),
			   8 * PAGE_SIZE, DMA_BIDIRECTIONAL, sg_dma_address(sgt.sgl), 0);
		dma_unmap_sgtable(nic, &sgt, DMA_BIDIRECTIONAL, 0);
	}
	for (i = 0; i < 8; i++)
		sim_free_pages(m, pages[i], 0);
	sg_free_table(&sgt);
}

static void wl_noncoherent(struct job *j, struct sim_machine *m)
{
	struct device *tb = sim_device(m, "tb0");
	struct page *pg = sim_alloc_pages_range(m, 0, SZ_16M, SZ_4G);
	u8 a_buf[256], b_buf[256], got[256];
	unsigned long before;
	dma_addr_t a;
	u8 *cpu;

	workload(j, "non-coherent streaming DMA with cache maintenance", m, "tb0");
	if (!check(j, pg != NULL, false, "allocated a page below 4G"))
		return;
	cpu = page_address(pg);
	pattern(a_buf, sizeof(a_buf), 3);
	pattern(b_buf, sizeof(b_buf), 4);
	memcpy(cpu, a_buf, sizeof(a_buf));
	a = map(j, tb, page_to_phys(pg), PAGE_SIZE, DMA_TO_DEVICE, 0);
	check(j, sim_dma_read(tb, a, got, sizeof(got)) == 0 && same(got, a_buf, sizeof(got)),
	      false, "map cleaned the CPU cache: device reads the CPU's data");

	memcpy(cpu, b_buf, sizeof(b_buf));	/* no dma_sync_single_for_device */
	before = sim_dma_debug_errors(m);
	check(j, sim_dma_read(tb, a, got, sizeof(got)) == 0 && same(got, a_buf, sizeof(got)),
	      true, "CPU wrote again without dma_sync_single_for_device: device reads stale data");
	expect_reports(j, m, SIM_REPORT_DMA_DEBUG, before, 1, "the device reading unflushed lines");
	dma_sync_single_for_device(tb, a, PAGE_SIZE, DMA_TO_DEVICE);
	check(j, sim_dma_read(tb, a, got, sizeof(got)) == 0 && same(got, b_buf, sizeof(got)),
	      false, "after dma_sync_single_for_device the device reads the new data");
	dma_unmap_phys(tb, a, PAGE_SIZE, DMA_TO_DEVICE, 0);

	a = map(j, tb, page_to_phys(pg), PAGE_SIZE, DMA_FROM_DEVICE, 0);
	check(j, sim_dma_write(tb, a, a_buf, sizeof(a_buf)) == 0, false, "device wrote 256 bytes");
	check(j, same(cpu, b_buf, sizeof(b_buf)), true,
	      "before dma_sync_single_for_cpu the CPU still reads its stale cache lines");
	dma_sync_single_for_cpu(tb, a, PAGE_SIZE, DMA_FROM_DEVICE);
	check(j, same(cpu, a_buf, sizeof(a_buf)), false,
	      "after dma_sync_single_for_cpu the CPU sees the device's data");
	dma_unmap_phys(tb, a, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	sim_free_pages(m, pg, 0);
}

static void wl_bounce(struct job *j, struct sim_machine *m)
{
	struct device *tb = sim_device(m, "tb0");
	struct page *pg = sim_alloc_pages(m, 1);
	static u8 want[8192], got[8192];
	struct sim_dma_stats st0, st1;
	dma_addr_t a;
	u8 *cpu;

	workload(j, "32-bit device bounced through swiotlb", m, "tb0");
	if (!check(j, pg && page_to_phys(pg) >= SZ_4G, false,
		   "allocated 8K above 4G, out of reach of a 32-bit device"))
		goto out;
	cpu = page_address(pg);
	pattern(cpu, sizeof(want), 5);
	sim_dma_stats_get(m, &st0);
	a = map(j, tb, page_to_phys(pg), sizeof(want), DMA_BIDIRECTIONAL, 0);
	check(j, a != DMA_MAPPING_ERROR && a + sizeof(want) <= SZ_4G &&
		 is_swiotlb_buffer(tb, dma_to_phys(tb, a)), false,
	      "the mapping is a bounce buffer below 4G (swiotlb)");
	check(j, sim_dma_read(tb, a, got, sizeof(got)) == 0 && same(got, cpu, sizeof(got)),
	      false, "device reads the original data from the bounce buffer");
	pattern(want, sizeof(want), 6);
	check(j, sim_dma_write(tb, a, want, sizeof(want)) == 0, false, "device wrote 8K");
	check(j, !same(cpu, want, sizeof(want)), true,
	      "before unmap the original buffer does not have the device's data");
	dma_unmap_phys(tb, a, sizeof(want), DMA_BIDIRECTIONAL, 0);
	check(j, same(cpu, want, sizeof(want)), false, "unmap copied the device's data back");
	sim_dma_stats_get(m, &st1);
	check(j, st1.bounced_bytes - st0.bounced_bytes == 2 * sizeof(want), false,
	      "swiotlb copied %llu bytes (8K in, 8K out)",
	      (unsigned long long)(st1.bounced_bytes - st0.bounced_bytes));
	check(j, swiotlb_used(tb) == 0, false, "all bounce slots released");
out:
	if (pg)
		sim_free_pages(m, pg, 1);
}

static void wl_coherent_alloc(struct job *j, struct sim_machine *m)
{
	struct device *tb = sim_device(m, "tb0");
	struct device *nvme = sim_device(m, "nvme0");
	struct dma_pool *pool;
	dma_addr_t handle, handles[100];
	void *blocks[100];
	u8 want[512], got[512];
	u8 *cpu;
	bool ok = true;
	int i, n = 0;

	workload(j, "coherent allocations and a dma_pool", m, "tb0, nvme0");
	cpu = dma_alloc_coherent(tb, 16384, &handle, GFP_KERNEL);
	if (!check(j, cpu != NULL, false, "dma_alloc_coherent(16K) for the non-coherent device"))
		return;
	record_map(j, tb, "dma_alloc_coherent", sim_virt_to_phys(m, cpu), 16384,
		   DMA_BIDIRECTIONAL, handle, 0);
	check(j, handle + 16384 <= SZ_4G, false, "below the device's 32-bit coherent mask");
	pattern(cpu, sizeof(want), 7);
	check(j, sim_dma_read(tb, handle, got, sizeof(got)) == 0 && same(got, cpu, sizeof(got)),
	      false, "device sees CPU writes at once (uncached mapping, no sync)");
	pattern(want, sizeof(want), 8);
	check(j, sim_dma_write(tb, handle + 4096, want, sizeof(want)) == 0 &&
		 same(cpu + 4096, want, sizeof(want)), false,
	      "CPU sees device writes at once");
	dma_free_coherent(tb, 16384, cpu, handle);

	pool = dma_pool_create("nvme-prp", nvme, 64, 64, 4096);
	if (!check(j, pool != NULL, false, "dma_pool_create(64-byte blocks, 64-byte aligned)"))
		return;
	for (i = 0; i < 100; i++) {
		blocks[i] = dma_pool_alloc(pool, GFP_KERNEL, &handles[i]);
		if (!blocks[i])
			break;
		n++;
		ok &= !(handles[i] & 63);
		pattern(want, 64, 100 + (unsigned int)i);
		ok &= sim_dma_write(nvme, handles[i], want, 64) == 0 &&
		      same(blocks[i], want, 64);
	}
	check(j, n == 100 && ok, false,
	      "100 blocks allocated, aligned, and written by the device");
	for (i = 0; i < n; i++)
		dma_pool_free(pool, blocks[i], handles[i]);
	dma_pool_destroy(pool);
}

static void wl_mmio(struct job *j, struct sim_machine *m)
{
	struct device *nic = sim_device(m, "nic0");
	struct pci_dev *nvme = to_pci_dev(sim_device(m, "nvme0"));
	struct pci_dev *gpu = to_pci_dev(sim_device(m, "gpu0"));
	phys_addr_t cmb = pci_resource_start(nvme, 2);
	phys_addr_t vram = pci_resource_start(gpu, 2) + SZ_1M;
	static u8 want[65536], got[65536];
	struct page *pg;
	unsigned long before;
	dma_addr_t a;
	u16 cmd;

	workload(j, "MMIO mapped as a resource (DMA_ATTR_MMIO)", m, "nic0");
	a = dma_map_resource(nic, cmb, sizeof(want), DMA_BIDIRECTIONAL, 0);
	record_map(j, nic, "dma_map_resource", cmb, sizeof(want), DMA_BIDIRECTIONAL,
		   a, DMA_ATTR_MMIO);
	dma_mapping_error(nic, a);
	check(j, a == cmb, false, "dma-direct returns the BAR's physical address");
	pattern(want, sizeof(want), 9);
	check(j, sim_dma_write(nic, a, want, sizeof(want)) == 0, false,
	      "NIC wrote 64K into the NVMe CMB, peer-to-peer below switch sw0");
	check(j, sim_mmio_read(m, cmb, got, sizeof(got)) == 0 && same(got, want, sizeof(got)),
	      false, "CPU reads the same bytes from the CMB");

	pci_read_config_word(nvme, PCI_COMMAND, &cmd);
	pci_write_config_word(nvme, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	before = sim_report_count_kind(m, SIM_REPORT_DMA_FAULT);
	check(j, sim_dma_write(nic, a, want, 64) == -EIO, true,
	      "with nvme0's memory decoding off the peer write fails");
	expect_reports(j, m, SIM_REPORT_DMA_FAULT, before, 1, "the write to a BAR that does not decode");
	pci_write_config_word(nvme, PCI_COMMAND, cmd);
	dma_unmap_resource(nic, a, sizeof(want), DMA_BIDIRECTIONAL, 0);

	pattern(want, 4096, 11);
	sim_mmio_write(m, vram, want, 4096);
	a = map(j, nic, vram, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	check(j, sim_dma_read(nic, a, got, 4096) == 0 && same(got, want, 4096), false,
	      "NIC read 4K of GPU memory through the root complex (host bridge allows P2P)");
	dma_unmap_phys(nic, a, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO);

	pg = sim_alloc_pages(m, 0);
	before = sim_dma_debug_errors(m);
	a = pg ? dma_map_resource(nic, page_to_phys(pg), 4096, DMA_TO_DEVICE, 0) : 0;
	check(j, pg && a == DMA_MAPPING_ERROR, true, "dma_map_resource of RAM is refused");
	expect_reports(j, m, SIM_REPORT_DMA_DEBUG, before, 1, "mapping RAM as a resource");
	if (pg)
		sim_free_pages(m, pg, 0);
}

static const char cc_guest[] =
	"machine    name=cc-guest arch=x86_64 ram=8G cpus=4\n"
	"swiotlb    size=64M force=yes\n"
	"hostbridge id=hb0\n"
	"rootport   id=rp0 bus=hb0\n"
	"nvme       id=nvme0 bus=rp0 bar0=16K\n";

static void wl_confidential(struct job *j, struct sim_machine *m)
{
	struct device *nvme = sim_device(m, "nvme0");
	struct page *pg = sim_alloc_pages(m, 0);
	u8 want[4096], got[4096];
	unsigned long before;
	dma_addr_t a, h;
	u8 *cpu, *coh;

	workload(j, "confidential guest: every streaming mapping bounces", m, "nvme0");
	if (!check(j, pg != NULL, false, "allocated a private page"))
		return;
	cpu = page_address(pg);
	pattern(cpu, PAGE_SIZE, 12);
	a = map(j, nvme, page_to_phys(pg), PAGE_SIZE, DMA_TO_DEVICE, 0);
	check(j, a != DMA_MAPPING_ERROR && is_swiotlb_buffer(nvme, a), false,
	      "a 64-bit device is bounced anyway (swiotlb force)");
	check(j, sim_dma_read(nvme, a, got, sizeof(got)) == 0 && same(got, cpu, sizeof(got)),
	      false, "device reads the data from shared memory");
	dma_unmap_phys(nvme, a, PAGE_SIZE, DMA_TO_DEVICE, 0);

	a = map(j, nvme, page_to_phys(pg), PAGE_SIZE, DMA_FROM_DEVICE, 0);
	pattern(want, sizeof(want), 13);
	check(j, sim_dma_write(nvme, a, want, sizeof(want)) == 0, false, "device wrote 4K");
	dma_unmap_phys(nvme, a, PAGE_SIZE, DMA_FROM_DEVICE, 0);
	check(j, same(cpu, want, sizeof(want)), false, "the private page got the data at unmap");

	sim_dma_debug_enable(m, false);
	before = sim_report_count_kind(m, SIM_REPORT_DMA_FAULT);
	check(j, sim_dma_read(nvme, page_to_phys(pg), got, 64) == -EIO, true,
	      "the device cannot reach the private page itself");
	expect_reports(j, m, SIM_REPORT_DMA_FAULT, before, 1, "the access to private memory");
	sim_dma_debug_enable(m, true);

	a = dma_map_resource(nvme, pci_resource_start(to_pci_dev(nvme), 0), 4096,
			     DMA_BIDIRECTIONAL, 0);
	record_map(j, nvme, "dma_map_resource", pci_resource_start(to_pci_dev(nvme), 0),
		   4096, DMA_BIDIRECTIONAL, a, DMA_ATTR_MMIO);
	check(j, a == DMA_MAPPING_ERROR, true, "MMIO cannot be bounced: the mapping fails");

	coh = dma_alloc_coherent(nvme, 8192, &h, GFP_KERNEL);
	if (check(j, coh != NULL, false, "dma_alloc_coherent shares its pages with the host")) {
		record_map(j, nvme, "dma_alloc_coherent", sim_virt_to_phys(m, coh), 8192,
			   DMA_BIDIRECTIONAL, h, 0);
		check(j, sim_dma_write(nvme, h, want, sizeof(want)) == 0 &&
			 same(coh, want, sizeof(want)), false,
		      "device writes the coherent buffer directly");
		dma_free_coherent(nvme, 8192, coh, h);
	}
	sim_free_pages(m, pg, 0);
}

/* ------------------------------------------------------------------------ */
/* IOMMU workloads                                                          */
/* ------------------------------------------------------------------------ */

static unsigned long iommu_faults_of(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_IOMMU_FAULT);
}

static void wl_iommu_lazy(struct job *j, struct sim_machine *m)
{
	struct device *nic = sim_device(m, "nic0"), *nvme = sim_device(m, "nvme0");
	struct pci_dev *gpu = to_pci_dev(sim_device(m, "gpu0"));
	struct page *pg = sim_alloc_pages(m, 2);
	u8 want[16384], got[16384];
	unsigned long before, flushes, stale;
	unsigned int queued;
	u64 wops, wns;
	phys_addr_t phys;
	dma_addr_t a;
	int prot;

	workload(j, "IOMMU, lazy mode: translation, the flush-queue window", m, "nic0");
	if (!check(j, pg != NULL, false, "allocated 16K"))
		return;
	check(j, iommu_get_domain_for_dev(nic) &&
		 iommu_get_domain_for_dev(nic)->type == IOMMU_DOMAIN_DMA_FQ,
	      false, "nic0 is in a DMA_FQ (lazy) domain");
	check(j, iommu_group_get(nic) == iommu_group_get(nvme), false,
	      "nic0 and nvme0 share IOMMU group %d (their switch ports lack ACS)",
	      iommu_group_id(iommu_group_get(nic)));
	check(j, iommu_group_get(nic) != iommu_group_get(&gpu->dev), false,
	      "gpu0 has its own group (%d)", iommu_group_id(iommu_group_get(&gpu->dev)));
	pattern(page_address(pg), sizeof(want), 21);
	a = map(j, nic, page_to_phys(pg) + 64, 8192, DMA_BIDIRECTIONAL, 0);
	check(j, a != DMA_MAPPING_ERROR && a != page_to_phys(pg) + 64 && (a & 4095) == 64,
	      false, "the DMA address is an IOVA keeping the offset in the page");
	check(j, !sim_iommu_lookup(nic, a, &phys, &prot) &&
		 phys == page_to_phys(pg) + 64 &&
		 prot == (IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE), false,
	      "the page table maps it read-write, cacheable");
	check(j, sim_dma_read(nic, a, got, 8192) == 0 &&
		 same(got, (u8 *)page_address(pg) + 64, 8192), false,
	      "device read 8K through the IOMMU");
	dma_unmap_phys(nic, a, 8192, DMA_BIDIRECTIONAL, 0);

	before = sim_dma_debug_errors(m);
	check(j, sim_dma_read(nic, a, got, 64) == 0, true,
	      "after unmap the device still reads through the IOTLB (flush deferred)");
	expect_reports(j, m, SIM_REPORT_DMA_DEBUG, before, 1, "the stale-IOTLB access");
	sim_iommu_fq_stats(nic, &flushes, &queued, &wops, &wns, &stale);
	check(j, queued > 0 && stale == 1, false,
	      "the flush queue holds %u entries; the window was open %llu operations",
	      queued, (unsigned long long)wops);
	sim_clock_advance(m, 10000000ULL);	/* IOVA_FQ_TIMEOUT */
	before = iommu_faults_of(m);
	check(j, sim_dma_read(nic, a, got, 64) == -EFAULT, true,
	      "10 ms later the flush-queue timer has flushed: the access faults");
	expect_reports(j, m, SIM_REPORT_IOMMU_FAULT, before, 1, "the IOMMU fault");

	/* Peer-to-peer through the IOMMU: IOMMU_MMIO, not cacheable. */
	pattern(want, 4096, 22);
	sim_mmio_write(m, pci_resource_start(gpu, 2), want, 4096);
	a = dma_map_resource(nic, pci_resource_start(gpu, 2), 4096, DMA_TO_DEVICE, 0);
	record_map(j, nic, "dma_map_resource", pci_resource_start(gpu, 2), 4096,
		   DMA_TO_DEVICE, a, DMA_ATTR_MMIO);
	dma_mapping_error(nic, a);
	check(j, !sim_iommu_lookup(nic, a, &phys, &prot) &&
		 prot == (IOMMU_READ | IOMMU_MMIO), false,
	      "a BAR maps with IOMMU_MMIO instead of IOMMU_CACHE");
	check(j, sim_dma_read(nic, a, got, 4096) == 0 && same(got, want, 4096), false,
	      "NIC read GPU memory through the IOMMU and the root complex");
	dma_unmap_resource(nic, a, 4096, DMA_TO_DEVICE, 0);
	sim_iommu_flush_queue(nic);
	sim_free_pages(m, pg, 2);
}

/* 1 MiB as 256 pages: the IOVA API against per-page streaming mappings. */
static void wl_iova_api(struct job *j, struct sim_machine *m, const char *what)
{
	struct device *nvme = sim_device(m, "nvme0");
	struct page *pages[256];
	static u8 got[SZ_1M];
	struct dma_iova_state st;
	unsigned long inv0, inv_iova, inv_map;
	dma_addr_t addr[256];
	bool ok = true;
	int n;

	workload(j, what, m, "nvme0");
	for (n = 0; n < 256; n++) {
		pages[n] = sim_alloc_pages(m, 0);
		if (!pages[n])
			break;
		pattern(page_address(pages[n]), PAGE_SIZE, 300 + (unsigned int)n);
	}
	if (!check(j, n == 256, false, "256 scattered pages"))
		goto out;
	inv0 = sim_iommu_invalidations(m);
	if (!check(j, dma_iova_try_alloc(nvme, &st, page_to_phys(pages[0]), SZ_1M),
		   false, "dma_iova_try_alloc(1 MiB)"))
		goto out;
	for (int i = 0; i < 256; i++)
		ok &= !dma_iova_link(nvme, &st, page_to_phys(pages[i]),
				     (size_t)i * PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0);
	check(j, ok && sim_iommu_invalidations(m) == inv0, false,
	      "256 dma_iova_link calls, no IOTLB invalidation");
	dma_iova_sync(nvme, &st, 0, SZ_1M);
	record_map(j, nvme, "dma_iova_link x256", page_to_phys(pages[0]), SZ_1M,
		   DMA_TO_DEVICE, st.addr, 0);
	ok = sim_dma_read(nvme, st.addr, got, SZ_1M) == 0;
	for (int i = 0; i < 256 && ok; i++)
		ok &= same(got + (size_t)i * PAGE_SIZE, page_address(pages[i]), PAGE_SIZE);
	check(j, ok, false, "after one dma_iova_sync the device reads all 1 MiB, in order");
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
	check(j, inv_iova == 1, false,
	      "the whole IOVA-API transfer cost %lu IOTLB invalidation%s; per-page mapping cost %lu",
	      inv_iova, inv_iova == 1 ? "" : "s", inv_map);
out:
	while (n--)
		sim_free_pages(m, pages[n], 0);
}

static void wl_iommu_strict(struct job *j, struct sim_machine *m)
{
	struct device *nic = sim_device(m, "nic0");
	struct page *pg = sim_alloc_pages(m, 0);
	unsigned long before, inv0;
	u8 got[64];
	dma_addr_t a;

	workload(j, "IOMMU, strict mode: unmap invalidates at once", m, "nic0");
	if (!check(j, pg != NULL, false, "allocated a page"))
		return;
	check(j, iommu_get_domain_for_dev(nic)->type == IOMMU_DOMAIN_DMA, false,
	      "nic0 is in a strict DMA domain");
	a = map(j, nic, page_to_phys(pg), PAGE_SIZE, DMA_TO_DEVICE, 0);
	check(j, sim_dma_read(nic, a, got, sizeof(got)) == 0, false, "device read it");
	before = iommu_faults_of(m);
	check(j, sim_dma_write(nic, a, got, sizeof(got)) == -EFAULT, true,
	      "a device write to a DMA_TO_DEVICE mapping is refused by the IOMMU");
	expect_reports(j, m, SIM_REPORT_IOMMU_FAULT, before, 1, "the permission fault");
	inv0 = sim_iommu_invalidations(m);
	dma_unmap_phys(nic, a, PAGE_SIZE, DMA_TO_DEVICE, 0);
	check(j, sim_iommu_invalidations(m) == inv0 + 1, false,
	      "dma_unmap_phys issued one IOTLB invalidation");
	before = iommu_faults_of(m);
	check(j, sim_dma_read(nic, a, got, sizeof(got)) == -EFAULT, true,
	      "a device access after unmap faults immediately");
	expect_reports(j, m, SIM_REPORT_IOMMU_FAULT, before, 1, "the use-after-unmap fault");
	sim_free_pages(m, pg, 0);
}

static void wl_untrusted(struct job *j, struct sim_machine *m)
{
	struct device *tb = sim_device(m, "tb0");
	struct page *pg = sim_alloc_pages(m, 0);
	u8 got[4096], *cpu;
	unsigned long before;
	dma_addr_t a, base;
	bool zeros = true;

	workload(j, "untrusted device: sub-page buffers bounced, neighbours hidden", m, "tb0");
	if (!check(j, pg != NULL, false, "allocated a page"))
		return;
	check(j, iommu_get_domain_for_dev(tb)->type == IOMMU_DOMAIN_DMA, false,
	      "untrusted tb0 gets a strict DMA domain even though the unit is lazy");
	cpu = page_address(pg);
	memset(cpu, 0x5a, PAGE_SIZE);			/* "secrets" */
	pattern(cpu + 1000, 200, 23);			/* the buffer */
	a = map(j, tb, page_to_phys(pg) + 1000, 200, DMA_TO_DEVICE, 0);
	check(j, a != DMA_MAPPING_ERROR && swiotlb_used(tb) > 0, false,
	      "the 200-byte buffer was bounced into whole granules of swiotlb");
	base = a & ~(dma_addr_t)4095;
	dma_sync_single_for_device(tb, a, 200, DMA_TO_DEVICE);
	before = sim_dma_debug_errors(m);
	check(j, sim_dma_read(tb, base, got, 4096) == 0, false,
	      "the device can read its whole IOMMU page");
	for (size_t i = 0; i < 4096; i++) {
		bool inside = i >= a - base && i < a - base + 200;

		if (!inside && got[i] != 0)
			zeros = false;
	}
	check(j, zeros && same(got + (a - base), cpu + 1000, 200), true,
	      "it sees its 200 bytes and zeros, never the neighbouring bytes");
	expect_reports(j, m, SIM_REPORT_DMA_DEBUG, before, 1,
		       "the read beyond the mapping");
	dma_unmap_phys(tb, a, 200, DMA_TO_DEVICE, 0);
	check(j, swiotlb_used(tb) == 0, false, "bounce slots released");
	sim_free_pages(m, pg, 0);
}

static const char arm64_64k[] =
	"machine    name=arm64-64k arch=arm64 ram=8G cpus=4\n"
	"swiotlb    size=32M\n"
	"iommu      id=smmu0 format=arm64-lpae granule=64K mode=lazy\n"
	"hostbridge id=pcie0 iommu=smmu0 p2p=allow\n"
	"rootport   id=rp0 bus=pcie0 acs=on\n"
	"nvme       id=nvme0 bus=rp0 bar0=16K coherent=yes\n";

static void wl_arm64_64k(struct job *j, struct sim_machine *m)
{
	struct device *nvme = sim_device(m, "nvme0");
	struct page *pg = sim_alloc_pages(m, 4);	/* 64K */
	struct sg_table sgt;
	struct page *list[16];
	u8 got[4096];
	phys_addr_t phys;
	dma_addr_t a;
	int prot, i;

	workload(j, "arm64 SMMU with a 64K granule", m, "nvme0");
	if (!check(j, pg != NULL, false, "allocated 64K"))
		return;
	pattern(page_address(pg), SZ_64K, 24);
	a = map(j, nvme, page_to_phys(pg) + 3 * PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0);
	check(j, (a & (SZ_64K - 1)) == 3 * PAGE_SIZE, false,
	      "a 4K buffer keeps its offset inside the 64K IOMMU page");
	check(j, !sim_iommu_lookup(nvme, a, &phys, &prot) &&
		 phys == page_to_phys(pg) + 3 * PAGE_SIZE && !(prot & IOMMU_WRITE),
	      false, "mapped read-only, granule-sized");
	check(j, sim_dma_read(nvme, a, got, sizeof(got)) == 0 &&
		 same(got, (u8 *)page_address(pg) + 3 * PAGE_SIZE, sizeof(got)),
	      false, "device read through a 64K-granule page table");
	dma_unmap_phys(nvme, a, PAGE_SIZE, DMA_TO_DEVICE, 0);

	for (i = 0; i < 16; i++)
		list[i] = pg + i;
	if (sg_alloc_table_from_pages(&sgt, list, 16, 0, SZ_64K, GFP_KERNEL) == 0) {
		if (check(j, dma_map_sgtable(nvme, &sgt, DMA_TO_DEVICE, 0) == 0, false,
			  "dma_map_sgtable of 16 contiguous pages")) {
			check(j, sgt.nents == 1 && sg_dma_len(sgt.sgl) == SZ_64K &&
				 !(sg_dma_address(sgt.sgl) & (SZ_64K - 1)), false,
			      "one 64K DMA segment, granule-aligned in IOVA");
			dma_unmap_sgtable(nvme, &sgt, DMA_TO_DEVICE, 0);
		}
		sg_free_table(&sgt);
	}
	sim_iommu_flush_queue(nvme);
	sim_free_pages(m, pg, 4);
}

/*
 * The seed's flow: a GPU BAR exported through VFIO as a dma-buf, imported
 * by the NIC as a memory region, DMA both ways, memory decode turned off
 * and an FLR in the middle revoking and restoring it, close revoking it
 * for good.
 */
static void wl_vfio_dmabuf(struct job *j, struct sim_machine *m,
			   const char *what, enum pci_p2pdma_map_type type,
			   const char *path)
{
	struct device *gdev = sim_device(m, "gpu0"), *nic = sim_device(m, "nic0");
	const struct vfio_region_dma_range r[2] = {
		{ .offset = SZ_1M, .length = SZ_64K },
		{ .offset = 4 * SZ_1M, .length = SZ_64K },
	};
	struct vfio_pci_core_device *v;
	struct sim_nic_mr_stats st;
	struct sim_nic_mr *mr;
	static u8 want[2 * SZ_64K], got[2 * SZ_64K];
	phys_addr_t bar2;
	u16 cmd;
	int fd;

	workload(j, what, m, "gpu0 -> nic0");
	v = vfio_pci_core_alloc_device(sizeof(*v), gdev, &vfio_pci_dev_ops);
	if (!check(j, !IS_ERR(v), false, "vfio-pci bound to gpu0"))
		return;
	if (!check(j, vfio_pci_core_register_device(v) == 0 &&
		      vfio_pci_core_open_device(v) == 0, false,
		   "device opened (DMA ownership of its IOMMU group claimed)"))
		goto out_put;
	bar2 = pci_resource_start(to_pci_dev(gdev), 2);
	check(j, pci_p2pdma_map_type(pcim_p2pdma_provider(to_pci_dev(gdev), 2),
				     nic) == type, false,
	      "nic0 reaches gpu0's BAR 2 as %s", sim_p2pdma_map_type_name(type));
	fd = cli_vfio_export(v, 2, r, 2);
	if (!check(j, fd >= 0, false,
		   "VFIO_DEVICE_FEATURE_DMA_BUF: 2 ranges of BAR 2 exported as dma-buf fd %d", fd))
		goto out_close;
	mr = sim_nic_reg_dmabuf_mr(nic, fd, 0, 2 * SZ_64K, DMA_BIDIRECTIONAL);
	sim_fd_close(m, fd);
	if (!check(j, !IS_ERR(mr), false,
		   "nic0 registered it as a memory region (dynamic attach, peer2peer, %s)", path))
		goto out_close;

	pattern(want, sizeof(want), 40);
	sim_mmio_write(m, bar2 + r[0].offset, want, SZ_64K);
	sim_mmio_write(m, bar2 + r[1].offset, want + SZ_64K, SZ_64K);
	check(j, sim_nic_mr_read(mr, 0, got, sizeof(got)) == 0 &&
		 same(got, want, sizeof(got)), false,
	      "NIC read 128K of GPU memory across both ranges");
	pattern(want, sizeof(want), 41);
	check(j, sim_nic_mr_write(mr, 0, want, sizeof(want)) == 0 &&
		 sim_mmio_read(m, bar2 + r[0].offset, got, SZ_64K) == 0 &&
		 sim_mmio_read(m, bar2 + r[1].offset, got + SZ_64K, SZ_64K) == 0 &&
		 same(got, want, sizeof(got)), false,
	      "NIC wrote 128K into GPU memory; the CPU reads it back from the BAR");

	pci_read_config_word(to_pci_dev(gdev), PCI_COMMAND, &cmd);
	cli_vfio_set_command(v, cmd & ~PCI_COMMAND_MEMORY);
	sim_nic_mr_stats(mr, &st);
	check(j, st.invalidations == 1 && !sim_nic_mr_mapped(mr), false,
	      "memory decode off through VFIO: move_notify, the NIC unmapped");
	check(j, sim_nic_mr_read(mr, 0, got, 64) == -ENODEV, false,
	      "while revoked the NIC cannot map it again (-ENODEV), nothing reaches the BAR");
	cli_vfio_set_command(v, cmd);
	check(j, sim_nic_mr_read(mr, 0, got, SZ_64K) == 0 && same(got, want, SZ_64K),
	      false, "memory decode on: the NIC maps again on its next access");

	check(j, vfio_pci_core_ioctl(v, VFIO_DEVICE_RESET, NULL, 0) == 0, false,
	      "VFIO_DEVICE_RESET: an FLR, exports revoked around it");
	sim_nic_mr_stats(mr, &st);
	check(j, st.invalidations == 2, false, "the NIC was told (move_notify) before the reset");
	pattern(want, SZ_64K, 42);
	sim_mmio_write(m, bar2 + r[1].offset, want, SZ_64K);
	check(j, sim_nic_mr_read(mr, SZ_64K, got, SZ_64K) == 0 &&
		 same(got, want, SZ_64K), false,
	      "after the FLR the NIC maps again and reads the GPU's new contents");

	vfio_pci_core_close_device(v);
	check(j, sim_nic_mr_read(mr, 0, got, 64) == -ENODEV, false,
	      "close revoked the export for good: the NIC's region is dead");
	sim_nic_dereg_mr(mr);
	check(j, vfio_device_registration_count(&v->vdev) == 1, false,
	      "the export's registration reference is gone");
	goto out_unregister;

out_close:
	vfio_pci_core_close_device(v);
out_unregister:
	vfio_pci_core_unregister_device(v);
out_put:
	vfio_put_device(&v->vdev);
	sim_iommu_flush_queue(nic);
}

/* ---- the seed systems: NVMe, ODP, VFIO migration (src/cli/workloads.c) -- */

static void job_out_say(void *ctx, const char *msg)
{
	note(ctx, msg);
}

static bool job_out_check(void *ctx, bool ok, const char *msg)
{
	return check(ctx, ok, false, "%s", msg);
}

/*
 * NVMe I/O through nvme-pci and the block layer's DMA iterator: random
 * reads and writes (each block once), read back, every byte compared with
 * the namespace store. @p2p puts the data in the controller's CMB.
 */
static void wl_nvme(struct job *j, struct sim_machine *m, enum nvme_dma_api api,
		    bool p2p)
{
	struct cli_out out = { j, job_out_say, job_out_check };
	struct cli_nvme_opts o = {
		.dev = "nvme0", .rw = CLI_NVME_RANDRW, .api = api, .p2p = p2p,
		.bs = p2p ? 32 * 1024 : 128 * 1024, .size = p2p ? SZ_1M : SZ_4M,
		.iodepth = p2p ? 4 : 8, .seed = 3 + api,
	};
	struct cli_nvme_result res;
	char what[160], err[256] = "";
	int ret;

	snprintf(what, sizeof(what), p2p ?
		 "NVMe peer-to-peer: data in the controller's CMB (api=%s)" :
		 "NVMe reads and writes through the block DMA iterator, api=%s",
		 nvme_dma_api_name(api));
	/* the workload's name must outlive it (the summary prints it) */
	workload(j, api == NVME_DMA_API_IOVA ? (p2p ? "NVMe P2P from the CMB" :
						"NVMe I/O, api=iova") :
		 api == NVME_DMA_API_PHYS ? "NVMe I/O, api=phys" : "NVMe I/O, api=sg",
		 m, "nvme0");
	note(j, what);
	ret = cli_nvme_workload(m, &o, &out, &res, err, sizeof(err));
	if (ret == -EOPNOTSUPP && p2p) {
		note(j, "skipped: nvme0 has no controller memory buffer on this platform");
		return;
	}
	if (!check(j, ret == 0, false, "the NVMe workload could run (%s)", ret ? err : "ok"))
		return;
	if (!p2p && api == NVME_DMA_API_IOVA) {
		struct iommu_domain *dom = iommu_get_domain_for_dev(sim_device(m, "nvme0"));

		if (dom && iommu_is_dma_domain(dom))
			check(j, res.drv.iova_requests == res.drv.commands, false,
			      "behind the IOMMU every request was one IOVA range, one sync (%lu of %lu)",
			      res.drv.iova_requests, res.drv.commands);
	}
	sim_iommu_flush_queue(sim_device(m, "nvme0"));
}

/* The NIC mirroring a process through ODP: NIC page faults and invalidations. */
static void wl_odp(struct job *j, struct sim_machine *m, enum sim_odp_strategy strategy)
{
	struct cli_out out = { j, job_out_say, job_out_check };
	struct cli_odp_opts o = {
		.nic = "nic0", .strategy = strategy, .seed = 5,
		.size = strategy == SIM_ODP_HMM_IOVA ? SZ_4M : SZ_1M,
		.faults = strategy == SIM_ODP_HMM_IOVA ? 1000 : 256,
		.invalidations = strategy == SIM_ODP_HMM_IOVA ? 100 : 32,
	};
	struct cli_odp_result res;
	char err[256] = "";
	int ret;

	workload(j, strategy == SIM_ODP_HMM_IOVA ?
		 "ODP: the NIC mirrors a process, one IOVA range (hmm_dma_map)" :
		 "ODP: the NIC mirrors a process, dma_map_phys per page",
		 m, "nic0");
	ret = cli_odp_workload(m, &o, &out, &res, err, sizeof(err));
	check(j, ret == 0, false, "the ODP workload could run (%s)", ret ? err : "ok");
	sim_iommu_flush_queue(sim_device(m, "nic0"));
}

/*
 * A VFIO migration data buffer as vfio/mlx5 keeps it: a page list filled
 * by the device's DMA (save) and read back by it (load).
 */
static void wl_vfio_mig(struct job *j, struct sim_machine *m, const char *what)
{
	struct device *dev = sim_device(m, "nic0");
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);
	bool translated = dom && iommu_is_dma_domain(dom);
	const size_t len = 300 * 1024 + 17;
	const u32 npages = (u32)DIV_ROUND_UP(len, PAGE_SIZE);
	unsigned long inv0;
	struct vfio_mig_buf *buf;
	u8 *want = malloc(len), *got = malloc(len);

	workload(j, what, m, "nic0");
	if (!check(j, want && got, false, "host memory for the state image"))
		goto out;
	vfio_mig_state_image(21, 0, want, len);
	inv0 = sim_iommu_invalidations(m);
	buf = vfio_mig_buf_alloc(dev, npages, DMA_FROM_DEVICE);
	if (!check(j, !IS_ERR(buf), false, "a %u-page buffer mapped for the device (%s)", npages,
		   translated ? "one IOVA range, a link per page, one sync" :
				"page by page, addresses in the translation table"))
		goto out;
	check(j, vfio_mig_buf_uses_iova(buf) == translated, false,
	      "%s", translated ? "mapped with the IOVA API" : "mapped page by page (no IOMMU)");
	check(j, sim_iommu_invalidations(m) == inv0, false,
	      "mapping invalidated nothing (%lu invalidations)", sim_iommu_invalidations(m) - inv0);
	check(j, vfio_mig_device_save(buf, 21, len) == 0 &&
		 vfio_mig_buf_read(buf, 0, got, len) == 0 && same(got, want, len), false,
	      "save state: the device wrote %zu bytes by DMA, the CPU reads them intact", len);
	vfio_mig_buf_free(buf);

	buf = vfio_mig_buf_alloc(dev, npages, DMA_NONE);
	if (!check(j, !IS_ERR(buf) && vfio_mig_buf_write(buf, 0, want, len) == 0 &&
		      vfio_mig_buf_map(buf, DMA_TO_DEVICE) == 0, false,
		   "load state: the CPU filled a buffer, then mapped it for the device")) {
		if (!IS_ERR(buf))
			vfio_mig_buf_free(buf);
		goto out;
	}
	check(j, vfio_mig_device_load(buf, 21, len) == 0, false,
	      "the device read the whole image back by DMA and found it intact");
	vfio_mig_buf_free(buf);
	sim_iommu_flush_queue(dev);
out:
	free(want);
	free(got);
}

static void print_summary(struct job *j, struct sim_machine *m)
{
	struct device *nvme = sim_device(m, "nvme0"), *nic = sim_device(m, "nic0");
	struct sim_iommu_iova_stats is;
	char b1[32], b2[32];

	workload_end(j);
	printf("\nSummary, per workload (DMA statistics of each):\n");
	for (unsigned int i = 0; i < j->nr_wls; i++) {
		const struct job_wl *w = &j->wls[i];

		printf("  %s  %-64s %s\n", w->failed ? "FAIL" : "PASS", w->name,
		       sim_machine_name(w->m));
		printf("        %lu maps, %lu syncs, %lu IOTLB invalidations (%lu cmds), %s bounced, %s moved, %lu P2P, %lu faults, %lu dma-debug\n",
		       w->delta.dma.maps, w->delta.dma.syncs, w->delta.invalidations,
		       w->delta.inval_commands,
		       fmt_size(b1, sizeof(b1), w->delta.dma.bounced_bytes),
		       fmt_size(b2, sizeof(b2), w->delta.dma.dev_bytes),
		       w->delta.dma.p2p_accesses,
		       w->delta.iommu_faults + w->delta.access_errors,
		       w->delta.debug_reports);
	}
	for (int k = 0; k < 2; k++) {
		struct device *d = k ? nic : nvme;

		/* below one switch without ACS they share a group and domain */
		if (k && nvme && iommu_get_domain_for_dev(nvme) == iommu_get_domain_for_dev(d))
			continue;
		if (d && !sim_iommu_iova_stats(d, &is))
			printf("  %s's DMA domain: %ld page-table pages, IOVA %s live, peak %s taken from the allocator\n",
			       sim_device_id(d), sim_iommu_pt_pages(d),
			       fmt_size(b1, sizeof(b1), is.live),
			       fmt_size(b2, sizeof(b2), is.peak_held));
	}
}

static void finish_machine(struct job *j, struct sim_machine *m,
			   unsigned long *debug, unsigned long *faults)
{
	for (unsigned int i = 0; i < sim_device_count(m); i++)
		sim_device_unbind(sim_device_at(m, i));
	*debug += sim_dma_debug_errors(m);
	*faults += sim_dma_access_errors(m) + iommu_faults_of(m);
	(void)j;
}

int cmd_mainjob(const struct cli_opts *o)
{
	struct job j = { .o = o };
	struct { const char *role; struct sim_machine *m; } mach[6] = { { 0 } };
	struct sim_machine *m, *direct, *strict, *arm, *cc, *sw;
	unsigned long debug = 0, faults = 0, unexpected;
	struct sim_dma_stats st;
	FILE *trace = NULL;
	json_object *root;
	char err[256];
	char *text, *t_direct = NULL, *t_strict = NULL;
	int ret = 2, nm = 0;

	m = cli_load_machine(o);
	if (!m)
		return 2;
	text = cli_platform_text(o);
	if (text) {
		t_direct = cli_text_with_iommu_mode(text, "off");
		t_strict = cli_text_with_iommu_mode(text, "strict");
	}
	direct = t_direct ? sim_machine_parse(t_direct, err, sizeof(err)) : NULL;
	strict = t_strict ? sim_machine_parse(t_strict, err, sizeof(err)) : NULL;
	arm = sim_machine_parse(arm64_64k, err, sizeof(err));
	cc = sim_machine_parse(cc_guest, err, sizeof(err));
	sw = sim_machine_parse(cli_p2p_switch_platform, err, sizeof(err));
	free(text);
	free(t_direct);
	free(t_strict);
	mach[nm++] = (typeof(mach[0])){ "platform", m };
	mach[nm++] = (typeof(mach[0])){ "without IOMMU", direct };
	mach[nm++] = (typeof(mach[0])){ "strict IOMMU", strict };
	mach[nm++] = (typeof(mach[0])){ "arm64 64K", arm };
	mach[nm++] = (typeof(mach[0])){ "confidential guest", cc };
	mach[nm++] = (typeof(mach[0])){ "P2P below a switch", sw };
	for (int i = 0; i < nm; i++)
		if (!mach[i].m) {
			fprintf(stderr, "dmastack: cannot build the %s machine: %s\n",
				mach[i].role, err);
			goto out;
		}
	for (int i = 0; i < 3; i++)
		if (!sim_device(mach[i].m, "nic0") || !sim_device(mach[i].m, "tb0") ||
		    !sim_device(mach[i].m, "nvme0") || !sim_device(mach[i].m, "gpu0")) {
			fprintf(stderr, "dmastack: the main job needs devices nic0, tb0, nvme0 and gpu0 (the default platform has them)\n");
			goto out;
		}
	if (!iommu_get_domain_for_dev(sim_device(m, "nic0"))) {
		fprintf(stderr, "dmastack: the main job needs an IOMMU in front of nic0 (the default platform has one)\n");
		goto out;
	}
	trace = cli_open_trace(o, m);
	for (int i = 0; i < nm; i++) {
		if (trace)
			sim_trace_set_file(mach[i].m, trace);
		if (o->verbose)
			sim_report_echo(mach[i].m, stderr);
	}
	j.workloads = json_object_new_array();
	j.maps_all = json_object_new_array();

	job_printf(&j, "dmastack main job on %s (%s, %llu GiB RAM, %u devices), its variants without IOMMU and in strict mode, %s and %s\n",
		   sim_machine_name(m), sim_machine_arch(m),
		   (unsigned long long)(sim_ram_size(m) >> 30), sim_device_count(m),
		   sim_machine_name(arm), sim_machine_name(cc));
	wl_coherent(&j, direct);
	wl_noncoherent(&j, direct);
	wl_bounce(&j, direct);
	wl_coherent_alloc(&j, direct);
	wl_mmio(&j, direct);
	wl_iommu_lazy(&j, m);
	wl_iova_api(&j, m, "the IOVA API, lazy: 1 MiB as 256 pages, one sync");
	wl_untrusted(&j, m);
	wl_iommu_strict(&j, strict);
	wl_iova_api(&j, strict, "the IOVA API, strict: 1 MiB with one invalidation");
	wl_arm64_64k(&j, arm);
	wl_confidential(&j, cc);
	wl_vfio_dmabuf(&j, sw, "VFIO dma-buf export of GPU memory, peer-to-peer below a switch",
		       PCI_P2PDMA_MAP_BUS_ADDR, "bus addresses");
	wl_vfio_dmabuf(&j, m, "VFIO dma-buf export across the host bridge, through the IOMMU",
		       PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, "one IOVA range, IOMMU_MMIO");

	wl_nvme(&j, m, NVME_DMA_API_IOVA, false);
	wl_nvme(&j, m, NVME_DMA_API_PHYS, false);
	wl_nvme(&j, m, NVME_DMA_API_SG, false);
	wl_nvme(&j, m, NVME_DMA_API_IOVA, true);
	wl_odp(&j, m, SIM_ODP_HMM_IOVA);
	wl_odp(&j, m, SIM_ODP_PER_PAGE);
	wl_vfio_mig(&j, m, "VFIO migration: a page list filled by device DMA, through the IOMMU");
	wl_vfio_mig(&j, direct, "VFIO migration without an IOMMU: page by page");

	workload(&j, "teardown: nothing left behind", m, "all");
	{
		bool clean = true, pages = true;

		for (int i = 0; i < nm; i++) {
			clean &= sim_dma_debug_entries(mach[i].m, NULL) == 0;
			/* page tables stay allocated with their domains */
			pages &= sim_iommu_group_count(mach[i].m) ||
				 sim_ram_pages_allocated(mach[i].m) == 0;
		}
		check(&j, clean, false, "no live mappings or allocations remain (dma-debug)");
		check(&j, pages, false, "every page returned to the allocator");
	}
	sim_dma_stats_get(m, &st);
	for (int i = 0; i < nm; i++)
		finish_machine(&j, mach[i].m, &debug, &faults);
	unexpected = (debug - j.expected_debug) + (faults - j.expected_faults);
	check(&j, debug == j.expected_debug && faults == j.expected_faults, false,
	      "no unexpected dma-debug reports or faults (%lu dma-debug, %lu faults, all provoked)",
	      debug, faults);

	root = json_object_new_object();
	json_object_object_add(root, "machine", json_object_new_string(sim_machine_name(m)));
	json_object_object_add(root, "workloads", j.workloads);
	json_object_object_add(root, "mappings", j.maps_all);
	{
		json_object *s = json_object_new_object();

		json_object_object_add(s, "maps", json_object_new_uint64(st.maps));
		json_object_object_add(s, "unmaps", json_object_new_uint64(st.unmaps));
		json_object_object_add(s, "map_errors", json_object_new_uint64(st.map_errors));
		json_object_object_add(s, "syncs", json_object_new_uint64(st.syncs));
		json_object_object_add(s, "iotlb_invalidations",
				       json_object_new_uint64(sim_iommu_invalidations(m)));
		json_object_object_add(s, "iommu_faults", json_object_new_uint64(iommu_faults_of(m)));
		json_object_object_add(s, "bounced_bytes", json_object_new_uint64(st.bounced_bytes));
		json_object_object_add(s, "device_bytes", json_object_new_uint64(st.dev_bytes));
		json_object_object_add(s, "p2p_transactions", json_object_new_uint64(st.p2p_accesses));
		json_object_object_add(root, "stats", s);
	}
	json_object_object_add(root, "checks", json_object_new_int((int)j.checks));
	json_object_object_add(root, "failed", json_object_new_int((int)j.failed));
	json_object_object_add(root, "provoked_caught", json_object_new_int((int)j.provoked));
	json_object_object_add(root, "unexpected_reports", json_object_new_uint64(unexpected));
	json_object_object_add(root, "verdict", json_object_new_string(j.failed ? "fail" : "pass"));

	workload_end(&j);
	{
		json_object *s = json_object_new_object();
		struct sim_iommu_iova_stats is;
		struct device *d = sim_device(m, "nvme0");

		if (!sim_iommu_iova_stats(d, &is)) {
			json_object_object_add(s, "page_table_pages",
					       json_object_new_int64(sim_iommu_pt_pages(d)));
			json_object_object_add(s, "iova_bytes_live", json_object_new_uint64(is.live));
			json_object_object_add(s, "iova_bytes_peak_held",
					       json_object_new_uint64(is.peak_held));
		}
		json_object_object_add(root, "nvme0_domain", s);
	}
	if (o->json) {
		json_print(root);
	} else {
		print_summary(&j, m);
		printf("\nTotals (%s): %lu maps, %lu unmaps, %lu map errors, %lu syncs, %lu IOTLB invalidations,\n"
		       "  %lu IOMMU faults, %llu bytes moved by devices, %lu P2P transactions\n",
		       sim_machine_name(m), st.maps, st.unmaps, st.map_errors, st.syncs,
		       sim_iommu_invalidations(m), iommu_faults_of(m), st.dev_bytes,
		       st.p2p_accesses);
		printf("\nverdict: %s — %u checks, %u failed, %u provoked bugs caught, %lu unexpected reports\n",
		       j.failed ? "FAIL" : "PASS", j.checks, j.failed, j.provoked, unexpected);
		if (j.failed && !o->verbose)
			for (int i = 0; i < nm; i++) {
				printf("\nreports from %s (%s):\n",
				       sim_machine_name(mach[i].m), mach[i].role);
				sim_report_dump(mach[i].m, stdout);
			}
	}
	json_object_put(root);
	ret = j.failed ? 1 : 0;
out:
	free(j.wls);
	for (int i = 0; i < nm; i++)
		sim_machine_destroy(mach[i].m);
	if (trace)
		fclose(trace);
	return ret;
}
