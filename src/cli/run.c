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
#include "iommu/iommu-priv.h"

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

/* The counters a run reports, taken before and after the workload. */
struct run_stats {
	struct sim_dma_stats dma;
	unsigned long invalidations, inval_commands;
	unsigned long iommu_faults, access_errors;
	unsigned long debug_reports, warns, bugs, faults_reported;
	unsigned long trace_events;
};

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
	/* Non-NULL: the workload is not built yet; this says why. */
	const char *unavailable;
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

static void stats_take(struct sim_machine *m, struct run_stats *s)
{
	sim_dma_stats_get(m, &s->dma);
	s->invalidations = sim_iommu_invalidations(m);
	s->inval_commands = sim_iommu_inval_commands(m);
	s->iommu_faults = sim_iommu_faults(m);
	s->access_errors = sim_dma_access_errors(m);
	s->debug_reports = sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG);
	s->warns = sim_report_count_kind(m, SIM_REPORT_WARN);
	s->bugs = sim_report_count_kind(m, SIM_REPORT_BUG);
	s->faults_reported = sim_report_count_kind(m, SIM_REPORT_DMA_FAULT) +
			     sim_report_count_kind(m, SIM_REPORT_IOMMU_FAULT);
	s->trace_events = sim_trace_events(m);
}

/*
 * Page-table pages of @dev's DMA domain now. There is no public accessor
 * (the CLI reads the domain as topo and bench do); -1 without an IOMMU
 * domain that has a page table.
 */
static long pt_pages(struct device *dev)
{
	struct iommu_domain *d = dev ? iommu_get_domain_for_dev(dev) : NULL;

	if (!d || !(d->type & __IOMMU_DOMAIN_PAGING) || !to_sim_domain(d)->pgt)
		return -1;
	return (long)io_pgtable_table_pages(to_sim_domain(d)->pgt);
}

/* IOVA ranges live in @dev's DMA domain (cached free ranges not counted). */
static long iova_ranges(struct device *dev)
{
	struct iommu_domain *d = dev ? iommu_get_domain_for_dev(dev) : NULL;

	if (!d || !iommu_is_dma_domain(d) || !to_sim_domain(d)->cookie.iovad)
		return -1;
	return (long)iova_domain_allocations(to_sim_domain(d)->cookie.iovad);
}

static json_object *stats_json(const struct run_stats *a,
			       const struct run_stats *b, long pt0, long pt1,
			       long iova1)
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
	/* not exposed by the library: see pt_pages() and the README */
	json_object_object_add(s, "iova_bytes", NULL);
	json_object_object_add(s, "page_table_pages",
			       pt1 < 0 ? NULL : json_object_new_int64(pt1));
	json_object_object_add(s, "page_table_pages_delta",
			       pt0 < 0 ? NULL : json_object_new_int64(pt1 - pt0));
	json_object_object_add(s, "iova_ranges_live",
			       iova1 < 0 ? NULL : json_object_new_int64(iova1));
	return s;
}

static void stats_print(const struct run_stats *a, const struct run_stats *b,
			long pt0, long pt1, long iova1)
{
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
	if (pt1 >= 0)
		printf("  page-table pages %ld (%+ld over the run), IOVA ranges live %ld\n",
		       pt1, pt1 - pt0, iova1);
	else
		printf("  page-table pages: none (no IOMMU domain)\n");
	printf("  IOVA bytes: not exposed by the library\n");
	printf("  faults: %lu IOMMU, %lu DMA; dma-debug reports %lu, warnings %lu\n",
	       b->iommu_faults - a->iommu_faults,
	       b->access_errors - a->access_errors,
	       b->debug_reports - a->debug_reports, b->warns - a->warns);
}

/* ---- dmabuf-p2p -------------------------------------------------------- */

/* A GPU and a NIC below one switch without ACS: P2P stays below it. */
static const char plat_switch[] =
	"machine    name=run-p2p-switch arch=x86_64 ram=4G cpus=2\n"
	"iommu      id=iommu0 format=x86_64 mode=strict\n"
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"
	"rootport   id=rp0 bus=hb0\n"
	"switch     id=sw0 bus=rp0 acs=off\n"
	"gpu        id=gpu0 bus=sw0 bar0=16M bar2=4G flr=yes\n"
	"nic        id=nic0 bus=sw0 bar0=1M dma-bits=64\n";

/* The GPU and NIC on separate root ports: through the host bridge. */
static const char plat_hostbridge[] =
	"machine    name=run-p2p-hostbridge arch=x86_64 ram=4G cpus=2\n"
	"iommu      id=iommu0 format=x86_64 mode=lazy\n"
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"
	"rootport   id=rp0 bus=hb0 acs=on\n"
	"gpu        id=gpu0 bus=rp0 bar0=16M bar2=4G flr=yes\n"
	"rootport   id=rp1 bus=hb0 acs=on\n"
	"nic        id=nic0 bus=rp1 bar0=1M dma-bits=64\n";

static const struct vfio_pci_device_ops run_vfio_ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};

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

	v = vfio_pci_core_alloc_device(sizeof(*v), gdev, &run_vfio_ops);
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

/* ---- the table ----------------------------------------------------------- */

/*
 * nvme and odp plug in here: replace .unavailable with .fn (and .platform)
 * once the NVMe driver (dmastack/nvme.h) and the HMM/ODP NIC (dmastack/
 * hmm.h) exist; their keys are already declared and validated.
 */
static const struct workload workloads[] = {
	{
		.name = "nvme",
		.what = "fio-like I/O through the NVMe driver",
		.params = {
			{ "rw", P_ENUM, .def = "read", .choices = { "read", "write", "randrw" },
			  .help = "I/O pattern" },
			{ "bs", P_SIZE, 512, SZ_1M * 8ULL, 512, "4K", .help = "block size" },
			{ "iodepth", P_UINT, 1, 1024, 0, "1", .help = "requests in flight" },
			{ "size", P_SIZE, 4096, 1ULL << 34, 512, "1M", .help = "total bytes" },
			{ "api", P_ENUM, .def = "iova", .choices = { "iova", "phys", "sg" },
			  .help = "how requests are mapped" },
		},
		.unavailable = "the NVMe driver (dmastack/nvme.h, src/drivers/nvme-pci.c) is not wired into 'run' yet",
	},
	{
		.name = "odp",
		.what = "an ODP memory region mirroring a process through HMM",
		.params = {
			{ "size", P_SIZE, 4096, 1ULL << 34, 4096, "4M", .help = "mirrored bytes" },
			{ "faults", P_UINT, 0, 1000000, 0, "1000", .help = "NIC page faults" },
			{ "invalidations", P_UINT, 0, 1000000, 0, "100",
			  .help = "mmu-notifier invalidations" },
		},
		.unavailable = "the HMM/ODP NIC (dmastack/hmm.h, src/devices/nic_odp.c) is not wired into 'run' yet",
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
		.platform = plat_switch,
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

		fprintf(f, "  %-12s %s%s\n", w->name, w->what,
			w->unavailable ? " (not available yet)" : "");
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

static struct sim_machine *run_machine(const struct run *r)
{
	const struct workload *w = r->w;
	const char *text = w->platform;
	char err[512] = "";
	struct sim_machine *m;

	if (r->o->platform)
		return cli_load_machine(r->o);
	if (w->alt_key && !strcmp(sval(r, w->alt_key), w->alt_value))
		text = w->alt_platform;
	m = sim_machine_parse(text, err, sizeof(err));
	if (!m)
		fprintf(stderr, "dmastack: run %s: built-in platform: %s\n", w->name, err);
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
	struct run_stats s0, s1;
	char **kv = calloc((size_t)argc + 1, sizeof(*kv));
	const char *name = NULL;
	long pt0, pt1, iova1;
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
	if (r.w->unavailable) {
		fprintf(stderr, "dmastack: run %s: not available yet: %s\n",
			r.w->name, r.w->unavailable);
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
	stats_take(r.m, &s0);
	pt0 = pt_pages(r.stats_dev);
	ret = r.w->fn(&r);
	if (ret) {
		json_object_put(r.actions);
		json_object_put(r.checks);
		goto out_trace;
	}
	/* nothing may be left mapped once the workload is done */
	check(&r, sim_dma_debug_entries(r.m, NULL) == 0,
	      "nothing left mapped (%lu dma-debug entries)",
	      sim_dma_debug_entries(r.m, NULL));
	stats_take(r.m, &s1);
	pt1 = pt_pages(r.stats_dev);
	iova1 = iova_ranges(r.stats_dev);
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
	json_object_object_add(root, "stats", stats_json(&s0, &s1, pt0, pt1, iova1));
	json_object_object_add(root, "failed", json_object_new_int((int)r.failed));
	json_object_object_add(root, "verdict", json_object_new_string(r.failed ? "fail" : "pass"));
	if (opts.json) {
		json_print(root);
	} else {
		stats_print(&s0, &s1, pt0, pt1, iova1);
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
