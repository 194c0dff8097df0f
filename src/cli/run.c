// SPDX-License-Identifier: MIT
/*
 * dmastack run: one named workload with key=value parameters.
 *
 *   dmastack run [-p FILE] WORKLOAD [key=value ...] [--json] [--trace FILE]
 *
 * Each workload builds its machine (a built-in platform, or -p FILE), does
 * its DMA, verifies every byte a device moved, and prints what it did, the
 * DMA statistics of the run (deltas over the workload) and a verdict: exit
 * 0 when every check passed and nothing was reported that the workload did
 * not expect, 1 otherwise, 2 for bad usage (an unknown workload or key, a
 * bad or out-of-range value, a platform that cannot be loaded or lacks the
 * devices the workload needs).
 *
 * Parameters are declared per workload (name, kind, range, default), so
 * that parsing, validation, usage text and the JSON echo of the values all
 * come from one table.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* ---- parameters ---------------------------------------------------------- */

enum param_kind {
	P_SIZE,		/* bytes: a number with an optional K/M/G suffix */
	P_UINT,		/* a plain count */
	P_ENUM,		/* one of @choices */
	P_STR,		/* a device id */
};

#define RUN_MAX_PARAMS	8
#define RUN_MAX_CHOICES	6

struct run_param {
	const char *key;
	enum param_kind kind;
	u64 min, max;			/* P_SIZE, P_UINT */
	u64 align;			/* P_SIZE: must be a multiple (0: any) */
	const char *def;		/* default, as the user would write it */
	const char *choices[RUN_MAX_CHOICES];	/* P_ENUM, NULL-terminated */
	const char *help;
};

/* A parsed value: the number, or the string (never freed: argv or def). */
struct run_val {
	u64 n;
	const char *s;
};

/* ---- one run ------------------------------------------------------------- */

struct run {
	const struct cli_opts *o;
	const struct workload *w;
	struct run_val v[RUN_MAX_PARAMS];
	struct sim_machine *m;
	struct device *stats_dev;	/* whose IOMMU domain the stats show */
	json_object *actions, *checks;
	unsigned int nchecks, failed;
	/* reports the workload provokes on purpose (none do so far) */
	unsigned long expected_debug, expected_faults;
	json_object *driver;		/* the workload's own statistics, or NULL */
};

struct workload {
	const char *name;
	const char *what;
	struct run_param params[RUN_MAX_PARAMS];
	/*
	 * The built-in platform text (-p overrides it); the workload's params
	 * may pick between two (@alt_key=@alt_value selects @alt_platform).
	 */
	const char *platform;
	const char *alt_key, *alt_value, *alt_platform;
	/* The param naming the device whose IOMMU domain the stats show. */
	const char *stats_key;
	/* Set up, do the DMA, check; 0, or 2 for a platform it cannot use. */
	int (*fn)(struct run *r);
};

static void say(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What the workload did: a line of text, or an entry of "actions". */
static void say(struct run *r, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r->o->json)
		json_object_array_add(r->actions, json_object_new_string(buf));
	else
		printf("   %s\n", buf);
}

static bool check(struct run *r, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool check(struct run *r, bool ok, const char *fmt, ...)
{
	json_object *c;
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->nchecks++;
	if (!ok)
		r->failed++;
	if (r->o->json) {
		c = json_object_new_object();
		json_object_object_add(c, "what", json_object_new_string(what));
		json_object_object_add(c, "ok", json_object_new_boolean(ok));
		json_object_array_add(r->checks, c);
	} else {
		printf("   %s %s\n", ok ? "ok  " : "FAIL", what);
	}
	return ok;
}

static u64 val(const struct run *r, const char *key)
{
	for (unsigned int i = 0; i < RUN_MAX_PARAMS && r->w->params[i].key; i++)
		if (!strcmp(r->w->params[i].key, key))
			return r->v[i].n;
	return 0;
}

static const char *sval(const struct run *r, const char *key)
{
	for (unsigned int i = 0; i < RUN_MAX_PARAMS && r->w->params[i].key; i++)
		if (!strcmp(r->w->params[i].key, key))
			return r->v[i].s;
	return "";
}

/* A device the workload needs: a usage error (2) when the platform lacks it. */
static struct device *need_dev(struct run *r, const char *id, const char *role)
{
	struct device *d = sim_device(r->m, id);

	if (!d)
		fprintf(stderr, "dmastack: run %s: the platform has no device '%s' (%s)\n",
			r->w->name, id, role);
	return d;
}

/* Bytes whose value depends on the position and on @seed. */
static void fill(void *p, size_t n, unsigned int seed)
{
	u8 *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (u8)((i * 29 + seed * 101) ^ (i >> 10));
}

static const char *sz(char *buf, size_t len, u64 bytes)
{
	return fmt_size(buf, len, bytes);
}

/* ---- statistics ------------------------------------------------------------ */

/* What the IOMMU domain of the device the stats are about holds. */
struct run_dom {
	long pt_pages;			/* -1: no page table */
	bool iova;			/* a DMA domain with an IOVA space */
	struct sim_iommu_iova_stats is;
};

static void dom_take(struct device *dev, struct run_dom *d)
{
	d->pt_pages = dev ? sim_iommu_pt_pages(dev) : -ENOENT;
	if (d->pt_pages < 0)
		d->pt_pages = -1;
	d->iova = dev && !sim_iommu_iova_stats(dev, &d->is);
}

static json_object *stats_json(const struct cli_stats *a,
			       const struct cli_stats *b,
			       const struct run_dom *d0, const struct run_dom *d1)
{
	json_object *s = json_object_new_object();

#define ADD(k, v) json_object_object_add(s, k, json_object_new_uint64(v))
	ADD("mappings", b->dma.maps - a->dma.maps);
	ADD("unmaps", b->dma.unmaps - a->dma.unmaps);
	ADD("map_errors", b->dma.map_errors - a->dma.map_errors);
	ADD("syncs", b->dma.syncs - a->dma.syncs);
	ADD("cache_ops", b->dma.cache_ops - a->dma.cache_ops);
	ADD("bounced_maps", b->dma.bounced_maps - a->dma.bounced_maps);
	ADD("bounced_bytes", b->dma.bounced_bytes - a->dma.bounced_bytes);
	ADD("swiotlb_full", b->dma.swiotlb_full - a->dma.swiotlb_full);
	ADD("device_bytes", b->dma.dev_bytes - a->dma.dev_bytes);
	ADD("p2p_transactions", b->dma.p2p_accesses - a->dma.p2p_accesses);
	ADD("iotlb_invalidations", b->invalidations - a->invalidations);
	ADD("inval_commands", b->inval_commands - a->inval_commands);
	ADD("iommu_faults", b->iommu_faults - a->iommu_faults);
	ADD("dma_faults", b->access_errors - a->access_errors);
	ADD("dma_debug_reports", b->debug_reports - a->debug_reports);
	ADD("warnings", b->warns - a->warns);
	ADD("trace_events", b->trace_events - a->trace_events);
#undef ADD
#define OPT(k, ok, v) json_object_object_add(s, k, (ok) ? json_object_new_int64(v) : NULL)
	OPT("page_table_pages", d1->pt_pages >= 0, d1->pt_pages);
	OPT("page_table_pages_delta", d0->pt_pages >= 0 && d1->pt_pages >= 0,
	    d1->pt_pages - d0->pt_pages);
	OPT("iova_ranges_live", d1->iova, (long long)d1->is.ranges);
	OPT("iova_bytes_live", d1->iova, (long long)d1->is.live);
	OPT("iova_bytes_held", d1->iova, (long long)d1->is.held);
	OPT("iova_bytes_peak_held", d1->iova, (long long)d1->is.peak_held);
#undef OPT
	return s;
}

static void stats_print(const struct cli_stats *a, const struct cli_stats *b,
			const struct run_dom *d0, const struct run_dom *d1)
{
	char b1[32], b2[32], b3[32];

	printf("\nDMA statistics (this run):\n");
	printf("  mappings %lu, unmaps %lu, map errors %lu, syncs %lu, cache ops %lu\n",
	       b->dma.maps - a->dma.maps, b->dma.unmaps - a->dma.unmaps,
	       b->dma.map_errors - a->dma.map_errors, b->dma.syncs - a->dma.syncs,
	       b->dma.cache_ops - a->dma.cache_ops);
	printf("  bounced: %lu mappings, %llu bytes (swiotlb full %lu)\n",
	       b->dma.bounced_maps - a->dma.bounced_maps,
	       b->dma.bounced_bytes - a->dma.bounced_bytes,
	       b->dma.swiotlb_full - a->dma.swiotlb_full);
	printf("  device bytes %llu, P2P transactions %lu\n",
	       b->dma.dev_bytes - a->dma.dev_bytes,
	       b->dma.p2p_accesses - a->dma.p2p_accesses);
	printf("  IOTLB invalidations %lu (%lu queued commands)\n",
	       b->invalidations - a->invalidations,
	       b->inval_commands - a->inval_commands);
	if (d1->pt_pages >= 0)
		printf("  page-table pages %ld (%+ld over the run)\n", d1->pt_pages,
		       d0->pt_pages >= 0 ? d1->pt_pages - d0->pt_pages : d1->pt_pages);
	else
		printf("  page-table pages: none (no IOMMU domain)\n");
	if (d1->iova)
		printf("  IOVA: %lu ranges, %s live; %s taken from the allocator (peak %s)\n",
		       d1->is.ranges, fmt_size(b1, sizeof(b1), d1->is.live),
		       fmt_size(b2, sizeof(b2), d1->is.held),
		       fmt_size(b3, sizeof(b3), d1->is.peak_held));
	printf("  faults: %lu IOMMU, %lu DMA; dma-debug reports %lu, warnings %lu\n",
	       b->iommu_faults - a->iommu_faults,
	       b->access_errors - a->access_errors,
	       b->debug_reports - a->debug_reports, b->warns - a->warns);
}

/* ---- dmabuf-p2p -------------------------------------------------------- */

/* The GPU and NIC on separate root ports: through the host bridge. */
static const char plat_hostbridge[] =
	"machine    name=run-p2p-hostbridge arch=x86_64 ram=4G cpus=2\n"
	"iommu      id=iommu0 format=x86_64 mode=lazy\n"
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"
	"rootport   id=rp0 bus=hb0 acs=on\n"
	"gpu        id=gpu0 bus=rp0 bar0=16M bar2=4G flr=yes\n"
	"rootport   id=rp1 bus=hb0 acs=on\n"
	"nic        id=nic0 bus=rp1 bar0=1M dma-bits=64\n";

/* The NIC reads the GPU's bytes and writes new ones; both verified. */
static void p2p_both_ways(struct run *r, struct sim_nic_mr *mr,
			  phys_addr_t bar, const u64 off[2], u64 size,
			  u8 *want, u8 *got, unsigned int seed)
{
	struct sim_machine *m = r->m;
	char b[32];

	fill(want, 2 * size, seed);
	sim_mmio_write(m, bar + off[0], want, size);
	sim_mmio_write(m, bar + off[1], want + size, size);
	check(r, sim_nic_mr_read(mr, 0, got, 2 * size) == 0 &&
		 !memcmp(got, want, 2 * size),
	      "NIC read %s of GPU memory across both ranges", sz(b, sizeof(b), 2 * size));
	fill(want, 2 * size, seed + 1);
	check(r, sim_nic_mr_write(mr, 0, want, 2 * size) == 0 &&
		 sim_mmio_read(m, bar + off[0], got, size) == 0 &&
		 sim_mmio_read(m, bar + off[1], got + size, size) == 0 &&
		 !memcmp(got, want, 2 * size),
	      "NIC wrote %s into GPU memory; the CPU reads it back from the BAR",
	      sz(b, sizeof(b), 2 * size));
}

static int wl_dmabuf_p2p(struct run *r)
{
	const bool sw = !strcmp(sval(r, "path"), "switch");
	const enum pci_p2pdma_map_type want_type =
		sw ? PCI_P2PDMA_MAP_BUS_ADDR : PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	const u64 size = val(r, "size");
	struct device *gdev, *nic;
	struct vfio_pci_core_device *v;
	struct vfio_region_dma_range rg[2];
	struct sim_nic_mr_stats st;
	struct sim_nic_mr *mr;
	enum pci_p2pdma_map_type type;
	phys_addr_t bar;
	u64 off[2];
	u8 *want = NULL, *got = NULL;
	char b[32];
	u16 cmd;
	int fd;

	gdev = need_dev(r, sval(r, "gpu"), "the exporter, with a memory BAR 2");
	nic = need_dev(r, sval(r, "nic"), "the importer, a nic");
	if (!gdev || !nic)
		return 2;
	if (!to_pci_dev(gdev) || pci_resource_len(to_pci_dev(gdev), 2) < 4 * size) {
		fprintf(stderr, "dmastack: run dmabuf-p2p: %s has no BAR 2 of at least 4 x size (%s)\n",
			sim_device_id(gdev), sz(b, sizeof(b), 4 * size));
		return 2;
	}
	/* two ranges with a hole between them: the export is not one range */
	off[0] = size;
	off[1] = 3 * size;
	rg[0] = (struct vfio_region_dma_range){ .offset = off[0], .length = size };
	rg[1] = (struct vfio_region_dma_range){ .offset = off[1], .length = size };
	want = malloc(2 * size);
	got = malloc(2 * size);
	if (!want || !got) {
		check(r, false, "allocated %s of buffers", sz(b, sizeof(b), 4 * size));
		goto out_free;
	}

	v = vfio_pci_core_alloc_device(sizeof(*v), gdev, &vfio_pci_dev_ops);
	if (!check(r, !IS_ERR(v), "vfio-pci bound to %s", sim_device_id(gdev)))
		goto out_free;
	if (!check(r, vfio_pci_core_register_device(v) == 0 &&
		      vfio_pci_core_open_device(v) == 0,
		   "device opened (DMA ownership of its IOMMU group claimed)"))
		goto out_unregister;
	bar = pci_resource_start(to_pci_dev(gdev), 2);
	type = pci_p2pdma_map_type(pcim_p2pdma_provider(to_pci_dev(gdev), 2), nic);
	if (!check(r, type == want_type, "%s reaches %s's BAR 2 as %s (path=%s wants %s)",
		   sim_device_id(nic), sim_device_id(gdev),
		   sim_p2pdma_map_type_name(type), sval(r, "path"),
		   sim_p2pdma_map_type_name(want_type)))
		goto out_close;
	fd = cli_vfio_export(v, 2, rg, 2);
	if (!check(r, fd >= 0, "exported 2 ranges of %s of BAR 2 as dma-buf fd %d",
		   sz(b, sizeof(b), size), fd))
		goto out_close;
	say(r, "dma-buf fd %d: BAR 2 + [%#llx, +%s) and [%#llx, +%s)", fd,
	    (unsigned long long)off[0], sz(b, sizeof(b), size),
	    (unsigned long long)off[1], sz(b, sizeof(b), size));
	mr = sim_nic_reg_dmabuf_mr(nic, fd, 0, 2 * size, DMA_BIDIRECTIONAL);
	sim_fd_close(r->m, fd);
	if (!check(r, !IS_ERR(mr), "%s registered it as a memory region (dynamic attach, peer2peer)",
		   sim_device_id(nic)))
		goto out_close;

	p2p_both_ways(r, mr, bar, off, size, want, got, 1);

	/* revoke in the middle: memory decode off through VFIO, then on */
	pci_read_config_word(to_pci_dev(gdev), PCI_COMMAND, &cmd);
	cli_vfio_set_command(v, cmd & ~PCI_COMMAND_MEMORY);
	say(r, "memory decode off through VFIO (revoke)");
	sim_nic_mr_stats(mr, &st);
	check(r, st.invalidations == 1 && !sim_nic_mr_mapped(mr),
	      "revoke: move_notify reached the NIC, its mapping is gone");
	check(r, sim_nic_mr_read(mr, 0, got, 64) == -ENODEV,
	      "while revoked the NIC cannot map it again (-ENODEV)");
	cli_vfio_set_command(v, cmd);
	say(r, "memory decode on through VFIO (restore)");
	p2p_both_ways(r, mr, bar, off, size, want, got, 3);
	sim_nic_mr_stats(mr, &st);
	check(r, st.remaps >= 1, "restore: the NIC mapped again on its next access (%lu remaps)",
	      st.remaps);

	vfio_pci_core_close_device(v);
	say(r, "VFIO device closed");
	check(r, sim_nic_mr_read(mr, 0, got, 64) == -ENODEV,
	      "close revoked the export for good");
	sim_nic_dereg_mr(mr);
	check(r, vfio_device_registration_count(&v->vdev) == 1,
	      "the export's registration reference is gone");
	goto out_unregister;

out_close:
	vfio_pci_core_close_device(v);
out_unregister:
	vfio_pci_core_unregister_device(v);
	vfio_put_device(&v->vdev);
out_free:
	free(want);
	free(got);
	sim_iommu_flush_queue(nic);
	return 0;
}

/* ---- bounce -------------------------------------------------------------- */

/*
 * dma32: a 32-bit device without an IOMMU, buffers above 4G; untrusted: an
 * untrusted device behind a strict IOMMU, buffers that share their granule
 * with other data (iommu-dma bounces what it cannot map whole).
 */
static const char plat_bounce[] =
	"machine    name=run-bounce arch=x86_64 ram=8G cpus=2\n"
	"swiotlb    size=64M\n"
	"iommu      id=iommu0 format=x86_64 mode=strict\n"
	"hostbridge id=hb0\n"
	"rootport   id=rp0 bus=hb0\n"
	"dmaengine  id=tb0 bus=rp0 dma-bits=32 coherent=yes\n"
	"hostbridge id=hb1 iommu=iommu0\n"
	"rootport   id=rp1 bus=hb1 acs=on\n"
	"dmaengine  id=ut0 bus=rp1 untrusted=yes dma-bits=64 coherent=yes\n";

static int wl_bounce(struct run *r)
{
	const u64 size = val(r, "size"), count = val(r, "count");
	struct device *dev = need_dev(r, sval(r, "dev"), "the bounced device");
	unsigned int order;
	struct page *pg;
	u8 *cpu, *want, *got;
	unsigned long bad_place = 0, bad_in = 0, bad_out = 0, failed_maps = 0;
	struct sim_dma_stats st0, st1;
	u64 i;
	char b[32];

	if (!dev)
		return 2;
	/* one byte of head room: the buffer starts mid-page, as real ones do */
	order = (unsigned int)get_order(size + 64);
	pg = sim_alloc_pages(r->m, order);
	want = malloc(size);
	got = malloc(size);
	if (!check(r, pg && want && got, "allocated %s above 4G",
		   sz(b, sizeof(b), PAGE_SIZE << order)))
		goto out;
	cpu = (u8 *)page_address(pg) + 64;
	say(r, "%s (%u-bit DMA%s%s), buffer at phys %#llx",
	    sim_device_id(dev), sim_device_dma_bits(dev),
	    to_pci_dev(dev) && to_pci_dev(dev)->untrusted ? ", untrusted" : "",
	    iommu_get_domain_for_dev(dev) ? ", behind an IOMMU" : "",
	    (unsigned long long)page_to_phys(pg) + 64);
	sim_dma_stats_get(r->m, &st0);
	for (i = 0; i < count; i++) {
		dma_addr_t a;

		fill(cpu, size, (unsigned int)i);
		a = dma_map_phys(dev, page_to_phys(pg) + 64, size, DMA_BIDIRECTIONAL, 0);
		if (dma_mapping_error(dev, a)) {
			failed_maps++;
			continue;
		}
		if (!iommu_get_domain_for_dev(dev) &&
		    !is_swiotlb_buffer(dev, dma_to_phys(dev, a)))
			bad_place++;
		if (sim_dma_read(dev, a, got, size) || memcmp(got, cpu, size))
			bad_in++;
		fill(want, size, (unsigned int)i + 1000);
		if (sim_dma_write(dev, a, want, size))
			bad_out++;
		dma_unmap_phys(dev, a, size, DMA_BIDIRECTIONAL, 0);
		if (memcmp(cpu, want, size))
			bad_out++;
	}
	say(r, "%llu x map %s BIDIRECTIONAL, device read, device write, unmap",
	    (unsigned long long)count, sz(b, sizeof(b), size));
	check(r, !failed_maps, "every mapping succeeded (%lu failed)", failed_maps);
	if (!iommu_get_domain_for_dev(dev))
		check(r, !bad_place, "every mapping was a bounce buffer (%lu were not)",
		      bad_place);
	check(r, !bad_in, "the device read the CPU's data every time (%lu differed)", bad_in);
	check(r, !bad_out, "unmap copied the device's data back every time (%lu differed)",
	      bad_out);
	sim_dma_stats_get(r->m, &st1);
	/* the buffer starts mid-granule: even behind an IOMMU all of it bounces */
	check(r, st1.bounced_bytes - st0.bounced_bytes == 2 * size * count,
	      "swiotlb copied %llu bytes (in and out, every mapping)",
	      (unsigned long long)(st1.bounced_bytes - st0.bounced_bytes));
	check(r, swiotlb_used(dev) == 0, "all bounce slots released");
out:
	if (pg)
		sim_free_pages(r->m, pg, order);
	free(want);
	free(got);
	return 0;
}

/* ---- noncoherent ------------------------------------------------------- */

static const char plat_noncoherent[] =
	"machine    name=run-arm64-noncoherent arch=arm64 ram=4G cpus=2\n"
	"swiotlb    size=16M\n"
	"hostbridge id=pcie0\n"
	"rootport   id=rp0 bus=pcie0\n"
	"dmaengine  id=dma0 bus=rp0 dma-bits=64 coherent=no\n";

static int wl_noncoherent(struct run *r)
{
	const u64 size = val(r, "size"), count = val(r, "count");
	struct device *dev = need_dev(r, sval(r, "dev"), "the non-coherent device");
	unsigned long bad_to = 0, bad_from = 0, bad_bidi = 0, failed_maps = 0;
	unsigned int order;
	struct page *pg;
	u8 *cpu, *want = NULL, *got = NULL;
	phys_addr_t phys;
	char b[32];

	if (!dev)
		return 2;
	if (dev_is_dma_coherent(dev)) {
		fprintf(stderr, "dmastack: run noncoherent: %s is coherent (use a platform with a coherent=no device, or dev=)\n",
			sim_device_id(dev));
		return 2;
	}
	order = (unsigned int)get_order(size);
	pg = sim_alloc_pages(r->m, order);
	want = malloc(size);
	got = malloc(size);
	if (!check(r, pg && want && got, "allocated %s", sz(b, sizeof(b), PAGE_SIZE << order)))
		goto out;
	cpu = page_address(pg);
	phys = page_to_phys(pg);
	for (u64 i = 0; i < count; i++) {
		unsigned int seed = (unsigned int)i * 3;
		dma_addr_t a;

		/* TO_DEVICE: the map cleans the CPU's lines */
		fill(cpu, size, seed);
		a = dma_map_phys(dev, phys, size, DMA_TO_DEVICE, 0);
		if (dma_mapping_error(dev, a)) {
			failed_maps++;
			continue;
		}
		if (sim_dma_read(dev, a, got, size) || memcmp(got, cpu, size))
			bad_to++;
		dma_unmap_phys(dev, a, size, DMA_TO_DEVICE, 0);

		/* FROM_DEVICE: sync for the CPU before it looks */
		a = dma_map_phys(dev, phys, size, DMA_FROM_DEVICE, 0);
		if (dma_mapping_error(dev, a)) {
			failed_maps++;
			continue;
		}
		fill(want, size, seed + 1);
		if (sim_dma_write(dev, a, want, size))
			bad_from++;
		dma_sync_single_for_cpu(dev, a, size, DMA_FROM_DEVICE);
		if (memcmp(cpu, want, size))
			bad_from++;
		dma_unmap_phys(dev, a, size, DMA_FROM_DEVICE, 0);

		/* BIDIRECTIONAL, reused: sync for the device after CPU writes */
		a = dma_map_phys(dev, phys, size, DMA_BIDIRECTIONAL, 0);
		if (dma_mapping_error(dev, a)) {
			failed_maps++;
			continue;
		}
		fill(cpu, size, seed + 2);
		dma_sync_single_for_device(dev, a, size, DMA_BIDIRECTIONAL);
		if (sim_dma_read(dev, a, got, size) || memcmp(got, cpu, size))
			bad_bidi++;
		fill(want, size, seed + 3);
		if (sim_dma_write(dev, a, want, size))
			bad_bidi++;
		dma_unmap_phys(dev, a, size, DMA_BIDIRECTIONAL, 0);
		if (memcmp(cpu, want, size))
			bad_bidi++;
	}
	say(r, "%s (%s, non-coherent): %llu rounds of %s TO_DEVICE, FROM_DEVICE with dma_sync_single_for_cpu, BIDIRECTIONAL with dma_sync_single_for_device",
	    sim_device_id(dev), sim_machine_arch(r->m), (unsigned long long)count,
	    sz(b, sizeof(b), size));
	check(r, !failed_maps, "every mapping succeeded (%lu failed)", failed_maps);
	check(r, !bad_to, "TO_DEVICE: the device read what the CPU wrote (%lu differed)", bad_to);
	check(r, !bad_from, "FROM_DEVICE: after the sync the CPU saw the device's data (%lu differed)",
	      bad_from);
	check(r, !bad_bidi, "BIDIRECTIONAL: both ways after the syncs (%lu differed)", bad_bidi);
out:
	if (pg)
		sim_free_pages(r->m, pg, order);
	free(want);
	free(got);
	return 0;
}

/* ---- nvme and odp (src/cli/workloads.c does the work) ------------------- */

static void run_out_say(void *ctx, const char *msg)
{
	say(ctx, "%s", msg);
}

static bool run_out_check(void *ctx, bool ok, const char *msg)
{
	return check(ctx, ok, "%s", msg);
}

static int wl_nvme(struct run *r)
{
	struct cli_out out = { r, run_out_say, run_out_check };
	struct cli_nvme_opts o = {
		.dev = sval(r, "dev"),
		.rw = (enum cli_nvme_rw)val(r, "rw"),
		.bs = val(r, "bs"),
		.size = val(r, "size"),
		.iodepth = (unsigned int)val(r, "iodepth"),
		.p2p = val(r, "p2p") == 1,
		.seed = 1,
	};
	struct cli_nvme_result res;
	char err[256] = "";
	json_object *d;
	int ret;

	if (nvme_parse_dma_api(sval(r, "api"), &o.api))
		return 2;	/* the table's choices are the driver's */
	ret = cli_nvme_workload(r->m, &o, &out, &res, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "dmastack: run nvme: %s\n", err);
		return 2;
	}
	d = json_object_new_object();
#define ADD(k, v) json_object_object_add(d, k, json_object_new_uint64(v))
	ADD("requests", res.requests);
	ADD("reads", res.reads);
	ADD("writes", res.writes);
	ADD("commands", res.drv.commands);
	ADD("errors", res.drv.errors);
	ADD("bytes", res.drv.bytes);
	ADD("map_calls", res.drv.map_calls);
	ADD("iova_requests", res.drv.iova_requests);
	ADD("fast_path_requests", res.drv.simple);
	ADD("prp_lists", res.drv.prp_lists);
	ADD("sgl_commands", res.drv.sgl_cmds);
	ADD("map_failures", res.drv.map_failures);
	ADD("prp_list_pages_fetched", res.model.prp_list_pages);
	ADD("sgl_segments_fetched", res.model.sgl_segments);
	ADD("cmb_transfers", res.model.cmb_accesses);
	ADD("controller_dma_faults", res.model.dma_faults);
#undef ADD
	r->driver = d;
	return 0;
}

static int wl_odp(struct run *r)
{
	struct cli_out out = { r, run_out_say, run_out_check };
	struct cli_odp_opts o = {
		.nic = sval(r, "nic"),
		.size = val(r, "size"),
		.faults = (unsigned long)val(r, "faults"),
		.invalidations = (unsigned long)val(r, "invalidations"),
		.strategy = val(r, "strategy") ? SIM_ODP_PER_PAGE : SIM_ODP_HMM_IOVA,
		.seed = 1,
	};
	struct cli_odp_result res;
	char err[256] = "";
	json_object *d;

	if (cli_odp_workload(r->m, &o, &out, &res, err, sizeof(err))) {
		fprintf(stderr, "dmastack: run odp: %s\n", err);
		return 2;
	}
	d = json_object_new_object();
#define ADD(k, v) json_object_object_add(d, k, json_object_new_uint64(v))
	ADD("nic_faults", res.st.faults);
	ADD("fault_retries", res.st.fault_retries);
	ADD("invalidations", res.st.invalidations);
	ADD("pages_unmapped", res.st.pages_unmapped);
	ADD("pages_mapped", res.st.pages_mapped);
	ADD("pages", res.st.npages);
	ADD("migrations", res.migrations);
	ADD("zaps", res.zaps);
	ADD("nic_dma_bytes", res.st.dma_bytes);
	ADD("iova_ranges", res.st.iova_ranges);
	ADD("meta_bytes", res.st.meta_bytes);
	ADD("meta_bytes_per_page", res.st.meta_bytes_per_page);
	ADD("bytes_per_mapped_page", res.st.bytes_per_mapped_page);
	ADD("process_faults", res.ps.faults);
	ADD("notifier_callbacks", res.ps.callbacks);
#undef ADD
	json_object_object_add(d, "uses_iova", json_object_new_boolean(res.st.uses_iova));
	r->driver = d;
	return 0;
}

/* ---- the table ----------------------------------------------------------- */

/*
 * A workload with an "iommu" key runs on its platform (built-in, or -p)
 * with every IOMMU's mode= replaced, unless the value is "platform".
 * .platform NULL: the embedded default platform.
 */
#define IOMMU_PARAM							\
	{ "iommu", P_ENUM, .def = "platform",				\
	  .choices = { "platform", "lazy", "strict", "off" },		\
	  .help = "IOMMU mode: as the platform says, or set for every IOMMU" }

static const struct workload workloads[] = {
	{
		.name = "nvme",
		.what = "fio-like I/O through the NVMe driver",
		.params = {
			{ "rw", P_ENUM, .def = "read", .choices = { "read", "write", "randrw" },
			  .help = "I/O pattern (randrw: each block once, random order, half writes)" },
			{ "bs", P_SIZE, 512, SZ_4M, 512, "4K",
			  .help = "block size (the controller's MDTS is 4M)" },
			{ "iodepth", P_UINT, 1, 1023, 0, "1",
			  .help = "requests in flight (submitted, then polled)" },
			{ "size", P_SIZE, 4096, SZ_1G, 512, "1M", .help = "total bytes" },
			{ "api", P_ENUM, .def = "iova", .choices = { "iova", "phys", "sg" },
			  .help = "how requests are mapped" },
			{ "p2p", P_ENUM, .def = "no", .choices = { "no", "yes" },
			  .help = "data buffers in the controller's CMB (peer-to-peer)" },
			{ "dev", P_STR, .def = "nvme0", .help = "the NVMe controller" },
			IOMMU_PARAM,
		},
		.stats_key = "dev",
		.fn = wl_nvme,
	},
	{
		.name = "odp",
		.what = "an ODP memory region mirroring a process through HMM",
		.params = {
			{ "size", P_SIZE, 4096, SZ_1G, 4096, "4M", .help = "mirrored bytes" },
			{ "faults", P_UINT, 0, 1000000, 0, "1000",
			  .help = "NIC page faults (first touches, plus one per invalidation)" },
			{ "invalidations", P_UINT, 0, 1000000, 0, "100",
			  .help = "migrations and zaps of NIC-mapped pages (fewer than faults)" },
			{ "strategy", P_ENUM, .def = "iova", .choices = { "iova", "per-page" },
			  .help = "one IOVA range (hmm_dma_map) or dma_map_phys per page" },
			{ "nic", P_STR, .def = "nic0", .help = "the ODP NIC" },
			IOMMU_PARAM,
		},
		.stats_key = "nic",
		.fn = wl_odp,
	},
	{
		.name = "dmabuf-p2p",
		.what = "a GPU BAR exported through VFIO as a dma-buf, imported by the NIC",
		.params = {
			{ "size", P_SIZE, 4096, SZ_1G, 4096, "64K",
			  .help = "bytes per exported range (two ranges)" },
			{ "path", P_ENUM, .def = "switch", .choices = { "switch", "hostbridge" },
			  .help = "below a switch (bus addresses) or through the host bridge and IOMMU" },
			{ "gpu", P_STR, .def = "gpu0", .help = "the exporting device" },
			{ "nic", P_STR, .def = "nic0", .help = "the importing NIC" },
		},
		.platform = cli_p2p_switch_platform,
		.alt_key = "path", .alt_value = "hostbridge", .alt_platform = plat_hostbridge,
		.stats_key = "nic",
		.fn = wl_dmabuf_p2p,
	},
	{
		.name = "bounce",
		.what = "a 32-bit or untrusted device bounced through swiotlb",
		.params = {
			{ "size", P_SIZE, 1, 256 * 1024, 0, "64K",
			  .help = "bytes per mapping (swiotlb's largest is 256K)" },
			{ "count", P_UINT, 1, 100000, 0, "16", .help = "mappings" },
			{ "dev", P_STR, .def = "tb0",
			  .help = "the device (tb0: 32-bit; ut0: untrusted behind an IOMMU)" },
		},
		.platform = plat_bounce,
		.stats_key = "dev",
		.fn = wl_bounce,
	},
	{
		.name = "noncoherent",
		.what = "a non-coherent arm64 device with the right syncs",
		.params = {
			{ "size", P_SIZE, 1, SZ_4M, 0, "16K", .help = "bytes per mapping" },
			{ "count", P_UINT, 1, 100000, 0, "16", .help = "rounds of three mappings" },
			{ "dev", P_STR, .def = "dma0", .help = "the non-coherent device" },
		},
		.platform = plat_noncoherent,
		.stats_key = "dev",
		.fn = wl_noncoherent,
	},
};

/* ---- parsing ------------------------------------------------------------- */

static void run_usage(FILE *f)
{
	char b1[32], b2[32];

	fprintf(f, "usage: dmastack run [-p FILE] WORKLOAD [key=value ...] [--json] [--trace FILE]\n\nworkloads:\n");
	for (unsigned int i = 0; i < ARRAY_SIZE(workloads); i++) {
		const struct workload *w = &workloads[i];

		fprintf(f, "  %-12s %s\n", w->name, w->what);
		for (unsigned int k = 0; k < RUN_MAX_PARAMS && w->params[k].key; k++) {
			const struct run_param *p = &w->params[k];

			fprintf(f, "      %s=", p->key);
			if (p->kind == P_ENUM) {
				for (unsigned int c = 0; p->choices[c]; c++)
					fprintf(f, "%s%s", c ? "|" : "", p->choices[c]);
			} else if (p->kind == P_SIZE) {
				fprintf(f, "SIZE (%s..%s)", fmt_size(b1, sizeof(b1), p->min),
					fmt_size(b2, sizeof(b2), p->max));
			} else if (p->kind == P_UINT) {
				fprintf(f, "N (%llu..%llu)", (unsigned long long)p->min,
					(unsigned long long)p->max);
			} else {
				fprintf(f, "ID");
			}
			fprintf(f, "  %s (default %s)\n", p->help, p->def);
		}
	}
	fprintf(f, "\nSizes take K, M or G (powers of 1024). Exit 0: PASS, 1: FAIL, 2: bad usage.\n");
}

/*
 * A number as the user wrote it: decimal or 0x hex, and for sizes one
 * suffix K/M/G (either case, an optional B/iB after it). 0 or -EINVAL.
 */
static int parse_number(const char *s, bool size, u64 *out)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	/* base 10 unless 0x: a leading zero is not octal here */
	n = strtoull(s, &end, strncasecmp(s, "0x", 2) ? 10 : 16);
	if (errno)
		return -EINVAL;
	if (size && *end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		default: return -EINVAL;
		}
		end++;
		if (!strcasecmp(end, "b") || !strcasecmp(end, "ib"))
			end += strlen(end);
	}
	if (*end)
		return -EINVAL;
	if (shift && n > (~0ULL >> shift))
		return -EINVAL;
	*out = (u64)n << shift;
	return 0;
}

/* Parse @s into @out for @p; a message in @err on failure. 0 or -EINVAL. */
static int parse_value(const struct run_param *p, const char *s,
		       struct run_val *out, char *err, size_t errlen)
{
	char b1[32], b2[32];

	out->s = s;
	out->n = 0;
	switch (p->kind) {
	case P_ENUM:
		for (unsigned int c = 0; p->choices[c]; c++)
			if (!strcmp(s, p->choices[c])) {
				out->n = c;
				return 0;
			}
		snprintf(err, errlen, "%s=%s: expected one of", p->key, s);
		for (unsigned int c = 0; p->choices[c]; c++) {
			size_t l = strlen(err);

			snprintf(err + l, errlen - l, "%s%s", c ? "|" : " ",
				 p->choices[c]);
		}
		return -EINVAL;
	case P_STR:
		if (!*s) {
			snprintf(err, errlen, "%s=: a device id is needed", p->key);
			return -EINVAL;
		}
		return 0;
	case P_SIZE:
	case P_UINT:
		if (parse_number(s, p->kind == P_SIZE, &out->n)) {
			snprintf(err, errlen, "%s=%s: not a %s", p->key, s,
				 p->kind == P_SIZE ? "size (like 4096, 4K, 1M)" :
						     "number");
			return -EINVAL;
		}
		if (out->n < p->min || out->n > p->max) {
			if (p->kind == P_SIZE)
				snprintf(err, errlen, "%s=%s: out of range (%s..%s)",
					 p->key, s, fmt_size(b1, sizeof(b1), p->min),
					 fmt_size(b2, sizeof(b2), p->max));
			else
				snprintf(err, errlen, "%s=%s: out of range (%llu..%llu)",
					 p->key, s, (unsigned long long)p->min,
					 (unsigned long long)p->max);
			return -EINVAL;
		}
		if (p->align && out->n % p->align) {
			snprintf(err, errlen, "%s=%s: must be a multiple of %s",
				 p->key, s, fmt_size(b1, sizeof(b1), p->align));
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

/*
 * Every key=value of @argv against @w's table, then the defaults of the
 * keys not given. A key given twice is an error (which one wins would be
 * a guess). 0 or -EINVAL with @err set.
 */
static int parse_params(const struct workload *w, int argc, char **argv,
			struct run_val *v, char *err, size_t errlen)
{
	bool given[RUN_MAX_PARAMS] = { false };
	unsigned int k;

	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t klen;

		if (!eq || eq == argv[i]) {
			snprintf(err, errlen, "'%s': expected key=value", argv[i]);
			return -EINVAL;
		}
		klen = (size_t)(eq - argv[i]);
		for (k = 0; k < RUN_MAX_PARAMS && w->params[k].key; k++)
			if (strlen(w->params[k].key) == klen &&
			    !strncmp(w->params[k].key, argv[i], klen))
				break;
		if (k == RUN_MAX_PARAMS || !w->params[k].key) {
			snprintf(err, errlen, "unknown key '%.*s' for workload %s (keys:",
				 (int)klen, argv[i], w->name);
			for (unsigned int j = 0; j < RUN_MAX_PARAMS && w->params[j].key; j++) {
				size_t l = strlen(err);

				snprintf(err + l, errlen - l, " %s", w->params[j].key);
			}
			strncat(err, ")", errlen - strlen(err) - 1);
			return -EINVAL;
		}
		if (given[k]) {
			snprintf(err, errlen, "%s= given twice", w->params[k].key);
			return -EINVAL;
		}
		given[k] = true;
		if (parse_value(&w->params[k], eq + 1, &v[k], err, errlen))
			return -EINVAL;
	}
	for (k = 0; k < RUN_MAX_PARAMS && w->params[k].key; k++)
		if (!given[k] && parse_value(&w->params[k], w->params[k].def,
					     &v[k], err, errlen))
			return -EINVAL;	/* a bad default: a bug in the table */
	return 0;
}

/* ---- the command ------------------------------------------------------- */

static bool has_key(const struct workload *w, const char *key)
{
	for (unsigned int k = 0; k < RUN_MAX_PARAMS && w->params[k].key; k++)
		if (!strcmp(w->params[k].key, key))
			return true;
	return false;
}

static struct sim_machine *run_machine(const struct run *r)
{
	const struct workload *w = r->w;
	const char *text = w->platform ? w->platform : sim_default_platform_text();
	const char *mode = has_key(w, "iommu") ? sval(r, "iommu") : "platform";
	char *file = NULL, *changed = NULL;
	char err[512] = "";
	struct sim_machine *m;

	if (r->o->platform && !strcmp(mode, "platform"))
		return cli_load_machine(r->o);
	if (!r->o->platform && w->alt_key && !strcmp(sval(r, w->alt_key), w->alt_value))
		text = w->alt_platform;
	if (r->o->platform) {
		file = cli_platform_text(r->o);
		if (!file) {
			fprintf(stderr, "dmastack: cannot read %s: %s\n", r->o->platform,
				strerror(errno));
			return NULL;
		}
		text = file;
	}
	if (strcmp(mode, "platform")) {
		changed = cli_text_with_iommu_mode(text, mode);
		if (!changed) {
			free(file);
			return NULL;
		}
		text = changed;
	}
	m = sim_machine_parse(text, err, sizeof(err));
	if (!m)
		fprintf(stderr, "dmastack: run %s: %s%s: %s\n", w->name,
			r->o->platform ? r->o->platform : "built-in platform",
			changed ? " (iommu= applied)" : "", err);
	free(file);
	free(changed);
	return m;
}

static json_object *params_json(const struct run *r)
{
	json_object *p = json_object_new_object();

	for (unsigned int k = 0; k < RUN_MAX_PARAMS && r->w->params[k].key; k++) {
		const struct run_param *rp = &r->w->params[k];

		if (rp->kind == P_SIZE || rp->kind == P_UINT)
			json_object_object_add(p, rp->key, json_object_new_uint64(r->v[k].n));
		else
			json_object_object_add(p, rp->key, json_object_new_string(r->v[k].s));
	}
	return p;
}

int cmd_run(int argc, char **argv, const struct cli_opts *o)
{
	struct cli_opts opts = *o;
	struct run r = { .o = &opts };
	struct cli_stats s0, s1;
	struct run_dom d0, d1;
	char **kv = calloc((size_t)argc + 1, sizeof(*kv));
	const char *name = NULL;
	unsigned long unexpected;
	json_object *root;
	FILE *trace = NULL;
	char err[512] = "";
	int nkv = 0, ret = 2;

	if (!kv)
		return 1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			run_usage(stdout);
			ret = 0;
			goto out_free;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			opts.verbose = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--platform") ||
			   !strcmp(a, "--trace")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "dmastack: run: %s needs an argument\n", a);
				goto out_free;
			}
			if (!strcmp(a, "--trace"))
				opts.trace = argv[++i];
			else
				opts.platform = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "dmastack: run: unknown option %s\n", a);
			goto out_free;
		} else if (!name) {
			name = a;
		} else {
			kv[nkv++] = argv[i];
		}
	}
	if (!name) {
		fprintf(stderr, "dmastack: run: which workload?\n");
		run_usage(stderr);
		goto out_free;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(workloads[i].name, name))
			r.w = &workloads[i];
	if (!r.w) {
		fprintf(stderr, "dmastack: run: unknown workload '%s' (", name);
		for (unsigned int i = 0; i < ARRAY_SIZE(workloads); i++)
			fprintf(stderr, "%s%s", i ? ", " : "", workloads[i].name);
		fprintf(stderr, ")\n");
		goto out_free;
	}
	if (parse_params(r.w, nkv, kv, r.v, err, sizeof(err))) {
		fprintf(stderr, "dmastack: run %s: %s\n", r.w->name, err);
		goto out_free;
	}

	r.m = run_machine(&r);
	if (!r.m)
		goto out_free;
	if (opts.trace) {
		trace = cli_open_trace(&opts, r.m);
		if (!trace)
			goto out_destroy;
	}
	if (opts.verbose)
		sim_report_echo(r.m, stderr);
	r.actions = json_object_new_array();
	r.checks = json_object_new_array();
	if (!opts.json)
		printf("dmastack run %s: %s\n   on %s (%s)\n", r.w->name, r.w->what,
		       sim_machine_name(r.m), sim_machine_arch(r.m));

	r.stats_dev = r.w->stats_key ? sim_device(r.m, sval(&r, r.w->stats_key)) : NULL;
	cli_stats_take(r.m, &s0);
	dom_take(r.stats_dev, &d0);
	ret = r.w->fn(&r);
	if (ret) {
		json_object_put(r.actions);
		json_object_put(r.checks);
		json_object_put(r.driver);
		goto out_trace;
	}
	/* nothing may be left mapped once the workload is done */
	check(&r, sim_dma_debug_entries(r.m, NULL) == 0,
	      "nothing left mapped (%lu dma-debug entries)",
	      sim_dma_debug_entries(r.m, NULL));
	cli_stats_take(r.m, &s1);
	dom_take(r.stats_dev, &d1);
	unexpected = (s1.debug_reports - s0.debug_reports - r.expected_debug) +
		     (s1.iommu_faults - s0.iommu_faults) +
		     (s1.access_errors - s0.access_errors - r.expected_faults) +
		     (s1.warns - s0.warns) + (s1.bugs - s0.bugs);
	check(&r, unexpected == 0,
	      "no dma-debug reports, faults or warnings (%lu)", unexpected);

	root = json_object_new_object();
	json_object_object_add(root, "workload", json_object_new_string(r.w->name));
	json_object_object_add(root, "machine", json_object_new_string(sim_machine_name(r.m)));
	json_object_object_add(root, "params", params_json(&r));
	json_object_object_add(root, "actions", r.actions);
	json_object_object_add(root, "checks", r.checks);
	json_object_object_add(root, "stats", stats_json(&s0, &s1, &d0, &d1));
	if (r.driver)
		json_object_object_add(root, "driver", r.driver);
	json_object_object_add(root, "failed", json_object_new_int((int)r.failed));
	json_object_object_add(root, "verdict", json_object_new_string(r.failed ? "fail" : "pass"));
	if (opts.json) {
		json_print(root);
	} else {
		stats_print(&s0, &s1, &d0, &d1);
		printf("\nverdict: %s — %u checks, %u failed\n",
		       r.failed ? "FAIL" : "PASS", r.nchecks, r.failed);
		if (r.failed && !opts.verbose)
			sim_report_dump(r.m, stdout);
	}
	json_object_put(root);
	ret = r.failed ? 1 : 0;
out_trace:
	if (trace) {
		sim_trace_set_file(r.m, NULL);
		fclose(trace);
	}
out_destroy:
	sim_machine_destroy(r.m);
out_free:
	free(kv);
	return ret;
}
