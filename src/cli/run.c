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
	/*
	 * P_STR (a device id): the platform kinds it may have ("nvme",
	 * "nic|gpu"; NULL: any endpoint), and what else the workload needs of
	 * it (NEED_*). Checked before the workload starts: a device of the
	 * wrong kind is bad usage, not a failed run.
	 */
	const char *kinds;
	unsigned int need;
};

#define NEED_COHERENT		(1u << 0)	/* snoops the CPU caches */
#define NEED_NONCOHERENT	(1u << 1)
#define NEED_UNTRUSTED		(1u << 2)	/* external-facing */
#define NEED_64BIT		(1u << 3)	/* reaches all of RAM directly */

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
	/* reports the workload provoked on purpose */
	struct cli_expected expected;
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
	/* The library workload, and its options from the params. */
	cli_wl_fn *fn;
	void (*opts)(const struct run *r, struct cli_wl_opts *o);
	/* The workload's own statistics for --json "driver" (NULL: none). */
	json_object *(*driver)(const struct cli_wl_result *res);
	/*
	 * dev=auto (the default) names the platform's first device this is
	 * true of, so the default exists whatever platform -p gives;
	 * @auto_what says which in the usage and when there is none.
	 */
	bool (*auto_dev)(struct device *dev);
	const char *auto_what;
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

static bool check(struct run *r, const char *id, bool ok, bool provoked,
		  const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* One check, @id its stable id ("workload.check"). */
static bool check(struct run *r, const char *id, bool ok, bool provoked,
		  const char *fmt, ...)
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
		json_object_object_add(c, "id", json_object_new_string(id));
		json_object_object_add(c, "what", json_object_new_string(what));
		json_object_object_add(c, "ok", json_object_new_boolean(ok));
		json_object_object_add(c, "provoked", json_object_new_boolean(provoked));
		json_object_array_add(r->checks, c);
	} else {
		printf("   %s %s%s\n", ok ? "ok  " : "FAIL", what,
		       provoked && ok ? "  (provoked, caught)" : "");
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
	ADD("maps", b->dma.maps - a->dma.maps);
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
	printf("  bounced: %lu mappings, %s (swiotlb full %lu)\n",
	       b->dma.bounced_maps - a->dma.bounced_maps,
	       fmt_bytes(b1, sizeof(b1), b->dma.bounced_bytes - a->dma.bounced_bytes),
	       b->dma.swiotlb_full - a->dma.swiotlb_full);
	printf("  moved by devices %s, P2P transactions %lu\n",
	       fmt_bytes(b1, sizeof(b1), b->dma.dev_bytes - a->dma.dev_bytes),
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
		       d1->is.ranges, fmt_bytes(b1, sizeof(b1), d1->is.live),
		       fmt_bytes(b2, sizeof(b2), d1->is.held),
		       fmt_bytes(b3, sizeof(b3), d1->is.peak_held));
	printf("  faults: %lu IOMMU, %lu DMA; dma-debug reports %lu, warnings %lu\n",
	       b->iommu_faults - a->iommu_faults,
	       b->access_errors - a->access_errors,
	       b->debug_reports - a->debug_reports, b->warns - a->warns);
}

static bool has_key(const struct workload *w, const char *key);

/* ---- the workloads' options and statistics ----------------------------- */

static void run_out_say(void *ctx, const char *msg)
{
	say(ctx, "%s", msg);
}

static bool run_out_check(void *ctx, const char *id, bool ok, bool provoked,
			  const char *msg)
{
	return check(ctx, id, ok, provoked, "%s", msg);
}

static void run_out_expect(void *ctx, enum sim_report_kind kind, unsigned long n)
{
	struct run *r = ctx;

	cli_expected_add(&r->expected, kind, n);
}

/* The main job's workloads: a device (and a pool's device), nothing else. */
static void opts_tour(const struct run *r, struct cli_wl_opts *o)
{
	if (has_key(r->w, "dev"))
		o->dev = sval(r, "dev");
	if (has_key(r->w, "pool"))
		o->peer = sval(r, "pool");
}

static void opts_dmabuf_p2p(const struct run *r, struct cli_wl_opts *o)
{
	const bool sw = !strcmp(sval(r, "path"), "switch");

	o->dev = sval(r, "gpu");
	o->peer = sval(r, "nic");
	o->size = val(r, "size");
	/* two ranges with a hole between them: the export is not one range */
	o->dmabuf.off[0] = o->size;
	o->dmabuf.off[1] = 3 * o->size;
	o->dmabuf.type = sw ? PCI_P2PDMA_MAP_BUS_ADDR : PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	o->dmabuf.path = sw ? "bus addresses" : "one IOVA range, IOMMU_MMIO";
}

static void opts_bounce(const struct run *r, struct cli_wl_opts *o)
{
	o->dev = sval(r, "dev");
	o->size = val(r, "size");
	o->count = val(r, "count");
	o->bounce.offset = 64;	/* mid-page, as real buffers start */
}

static void opts_noncoherent(const struct run *r, struct cli_wl_opts *o)
{
	o->dev = sval(r, "dev");
	o->size = val(r, "size");
	o->count = val(r, "count");
	o->noncoherent.bidi = true;
	o->provoke = val(r, "provoke") == 1;
}

static void opts_nvme(const struct run *r, struct cli_wl_opts *o)
{
	o->dev = sval(r, "dev");
	o->size = val(r, "size");
	o->seed = 1;
	o->nvme.rw = (enum cli_nvme_rw)val(r, "rw");
	o->nvme.bs = val(r, "bs");
	o->nvme.iodepth = (unsigned int)val(r, "iodepth");
	o->nvme.p2p = val(r, "p2p") == 1;
	/* the table's choices are the driver's */
	nvme_parse_dma_api(sval(r, "api"), &o->nvme.api);
}

static json_object *driver_nvme(const struct cli_wl_result *res)
{
	json_object *d = json_object_new_object();

#define ADD(k, v) json_object_object_add(d, k, json_object_new_uint64(v))
	ADD("requests", res->nvme.requests);
	ADD("reads", res->nvme.reads);
	ADD("writes", res->nvme.writes);
	ADD("commands", res->nvme.drv.commands);
	ADD("errors", res->nvme.drv.errors);
	ADD("bytes", res->nvme.drv.bytes);
	ADD("map_calls", res->nvme.drv.map_calls);
	ADD("iova_requests", res->nvme.drv.iova_requests);
	ADD("fast_path_requests", res->nvme.drv.simple);
	ADD("prp_lists", res->nvme.drv.prp_lists);
	ADD("sgl_commands", res->nvme.drv.sgl_cmds);
	ADD("map_failures", res->nvme.drv.map_failures);
	ADD("prp_list_pages_fetched", res->nvme.model.prp_list_pages);
	ADD("sgl_segments_fetched", res->nvme.model.sgl_segments);
	ADD("cmb_transfers", res->nvme.model.cmb_accesses);
	ADD("controller_dma_faults", res->nvme.model.dma_faults);
#undef ADD
	return d;
}

static void opts_odp(const struct run *r, struct cli_wl_opts *o)
{
	o->dev = sval(r, "nic");
	o->size = val(r, "size");
	o->seed = 1;
	o->odp.faults = (unsigned long)val(r, "faults");
	o->odp.invalidations = (unsigned long)val(r, "invalidations");
	o->odp.strategy = val(r, "strategy") ? SIM_ODP_PER_PAGE : SIM_ODP_HMM_IOVA;
}

static json_object *driver_odp(const struct cli_wl_result *res)
{
	json_object *d = json_object_new_object();

#define ADD(k, v) json_object_object_add(d, k, json_object_new_uint64(v))
	ADD("nic_faults", res->odp.st.faults);
	ADD("fault_retries", res->odp.st.fault_retries);
	ADD("invalidations", res->odp.st.invalidations);
	ADD("pages_unmapped", res->odp.st.pages_unmapped);
	ADD("pages_mapped", res->odp.st.pages_mapped);
	ADD("pages", res->odp.st.npages);
	ADD("migrations", res->odp.migrations);
	ADD("zaps", res->odp.zaps);
	ADD("nic_dma_bytes", res->odp.st.dma_bytes);
	ADD("iova_ranges", res->odp.st.iova_ranges);
	ADD("meta_bytes", res->odp.st.meta_bytes);
	ADD("meta_bytes_per_page", res->odp.st.meta_bytes_per_page);
	ADD("bytes_per_mapped_page", res->odp.st.bytes_per_mapped_page);
	ADD("process_faults", res->odp.ps.faults);
	ADD("notifier_callbacks", res->odp.ps.callbacks);
#undef ADD
	json_object_object_add(d, "uses_iova", json_object_new_boolean(res->odp.st.uses_iova));
	return d;
}

/* ---- the table ----------------------------------------------------------- */

static bool dev_noncoherent(struct device *dev)
{
	return sim_device_is_endpoint(dev) && !dev_is_dma_coherent(dev);
}

/*
 * A workload with an "iommu" key runs on its platform (built-in, or -p)
 * with every IOMMU's mode= replaced, unless the value is "platform".
 * .platform NULL: the embedded default platform.
 */
#define IOMMU_PARAM_DEF(_def)						\
	{ "iommu", P_ENUM, .def = (_def),				\
	  .choices = { "platform", "lazy", "strict", "off" },		\
	  .help = "IOMMU mode: as the platform says, or set for every IOMMU" }
#define IOMMU_PARAM	IOMMU_PARAM_DEF("platform")
#define DEV_PARAM(_def, _help)	{ "dev", P_STR, .def = (_def), .help = (_help) }
#define DEV_PARAM_NEED(_def, _help, _need)				\
	{ "dev", P_STR, .def = (_def), .help = (_help), .need = (_need) }

/* The main job's workloads, each on its machine as the main job runs it. */
#define TOUR_WORKLOAD(_name, _what, _fn, _platform, ...)		\
	{ .name = (_name), .what = (_what), .platform = (_platform),	\
	  .stats_key = "dev", .fn = (_fn), .opts = opts_tour,		\
	  .params = { __VA_ARGS__ } }

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
			{ "dev", P_STR, .def = "nvme0", .help = "the NVMe controller",
			  .kinds = "nvme" },
			IOMMU_PARAM,
		},
		.stats_key = "dev",
		.fn = cli_wl_nvme, .opts = opts_nvme, .driver = driver_nvme,
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
			{ "nic", P_STR, .def = "nic0", .help = "the ODP NIC", .kinds = "nic" },
			IOMMU_PARAM,
		},
		.stats_key = "nic",
		.fn = cli_wl_odp, .opts = opts_odp, .driver = driver_odp,
	},
	{
		.name = "dmabuf-p2p",
		.what = "a GPU BAR exported through VFIO as a dma-buf, imported by the NIC",
		.params = {
			{ "size", P_SIZE, 4096, SZ_1G, 4096, "64K",
			  .help = "bytes per exported range (two ranges)" },
			{ "path", P_ENUM, .def = "switch", .choices = { "switch", "hostbridge" },
			  .help = "below a switch (bus addresses) or through the host bridge and IOMMU" },
			{ "gpu", P_STR, .def = "gpu0", .help = "the exporting device",
			  .kinds = "gpu" },
			{ "nic", P_STR, .def = "nic0", .help = "the importing NIC",
			  .kinds = "nic" },
		},
		.platform = cli_p2p_switch_platform,
		.alt_key = "path", .alt_value = "hostbridge",
		.alt_platform = cli_p2p_hostbridge_platform,
		.stats_key = "nic",
		.fn = cli_wl_dmabuf_p2p, .opts = opts_dmabuf_p2p,
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
		.platform = cli_bounce_platform,
		.stats_key = "dev",
		.fn = cli_wl_bounce, .opts = opts_bounce,
	},
	{
		.name = "noncoherent",
		.what = "a non-coherent arm64 device with the right syncs",
		.params = {
			{ "size", P_SIZE, 1, SZ_4M, 0, "16K", .help = "bytes per mapping" },
			{ "count", P_UINT, 1, 100000, 0, "16", .help = "rounds of three mappings" },
			{ "dev", P_STR, .def = "auto", .help = "the non-coherent device",
			  .need = NEED_NONCOHERENT },
			{ "provoke", P_ENUM, .def = "no", .choices = { "no", "yes" },
			  .help = "also leave a sync out: dma-debug must catch the stale read" },
		},
		.platform = cli_noncoherent_platform,
		.stats_key = "dev",
		.fn = cli_wl_noncoherent, .opts = opts_noncoherent,
		.auto_dev = dev_noncoherent, .auto_what = "non-coherent device",
	},
	TOUR_WORKLOAD("coherent", "coherent streaming DMA and a scatterlist",
		      cli_wl_coherent, NULL,
		      DEV_PARAM_NEED("nic0", "a coherent device", NEED_COHERENT | NEED_64BIT),
		      IOMMU_PARAM_DEF("off")),
	TOUR_WORKLOAD("coherent-alloc", "dma_alloc_coherent and a dma_pool",
		      cli_wl_coherent_alloc, NULL,
		      DEV_PARAM("tb0", "the coherent allocation's device"),
		      { "pool", P_STR, .def = "nvme0", .help = "the dma_pool's device" },
		      IOMMU_PARAM_DEF("off")),
	TOUR_WORKLOAD("mmio", "MMIO as a DMA target: nic0 into nvme0's CMB and gpu0's BAR",
		      cli_wl_mmio, NULL, IOMMU_PARAM_DEF("off")),
	TOUR_WORKLOAD("iommu-lazy", "translation and the lazy IOMMU's flush-queue window (provoked)",
		      cli_wl_iommu_lazy, NULL, IOMMU_PARAM_DEF("lazy")),
	TOUR_WORKLOAD("iova-api", "1 MiB of 256 pages: one IOVA range against per-page mappings",
		      cli_wl_iova_api, NULL, DEV_PARAM("nvme0", "the mapping device"),
		      IOMMU_PARAM_DEF("strict")),
	TOUR_WORKLOAD("iommu-strict", "strict-mode IOMMU faults (provoked) and invalidations",
		      cli_wl_iommu_strict, NULL, DEV_PARAM("nic0", "a device behind the IOMMU"),
		      IOMMU_PARAM_DEF("strict")),
	TOUR_WORKLOAD("untrusted", "an untrusted device's bounce buffers hide their neighbours",
		      cli_wl_untrusted, NULL,
		      DEV_PARAM_NEED("tb0", "an untrusted device", NEED_UNTRUSTED),
		      IOMMU_PARAM_DEF("lazy")),
	TOUR_WORKLOAD("granule-64k", "an arm64 SMMU with a 64K granule",
		      cli_wl_granule_64k, cli_arm64_64k_platform,
		      DEV_PARAM("nvme0", "a device behind the SMMU")),
	TOUR_WORKLOAD("confidential", "a confidential guest: every streaming mapping bounces",
		      cli_wl_confidential, cli_cc_guest_platform,
		      DEV_PARAM("nvme0", "a device of the guest")),
	TOUR_WORKLOAD("vfio-mig", "a VFIO migration page list filled and read by device DMA",
		      cli_wl_vfio_mig, NULL,
		      /* its driver reads the saved state without a sync, as mlx5 */
		      DEV_PARAM_NEED("nic0", "the migrated device", NEED_COHERENT),
		      IOMMU_PARAM),
};

/* ---- parsing ------------------------------------------------------------- */

/* The name `dmastack platforms` gives a built-in platform's @text. */
static const char *builtin_name(const char *text)
{
	for (unsigned int i = 0; i < cli_nr_platforms; i++)
		if (cli_platforms[i].text == text)
			return cli_platforms[i].name;
	return "?";
}

static void run_usage(FILE *f)
{
	char b1[32], b2[32];

	fprintf(f, "usage: dmastack run [-p FILE] WORKLOAD [key=value ...] [--json] [-v]\n"
		"                    [--trace FILE [--trace-format text|dat] [--trace-accesses]]\n"
		"\n"
		"One workload on its built-in platform (dmastack platforms prints them) or\n"
		"on -p FILE, every byte verified, its DMA statistics and a verdict.\n"
		"\n"
		"  -p, --platform FILE  platform description (default: the workload's own)\n"
		"  --json               machine-readable output\n"
		"  --trace FILE         DMA trace events (a trace.dat when FILE ends in .dat)\n"
		"  --trace-format text|dat  the trace's format whatever FILE's name\n"
		"  --trace-accesses     with --trace: every device access too\n"
		"  -v, --verbose        echo every report as it happens\n"
		"  -h, --help           this text\n"
		"\nworkloads:\n");
	for (unsigned int i = 0; i < ARRAY_SIZE(workloads); i++) {
		const struct workload *w = &workloads[i];

		fprintf(f, "  %-14s %s\n", w->name, w->what);
		fprintf(f, "      on the built-in platform %s", builtin_name(w->platform));
		if (w->alt_platform)
			fprintf(f, " (%s=%s: %s)", w->alt_key, w->alt_value,
				builtin_name(w->alt_platform));
		fprintf(f, "\n");
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
				fprintf(f, "ID%s%s", p->kinds ? " of kind " : "",
					p->kinds ? p->kinds : "");
			}
			if (!strcmp(p->key, "dev") && w->auto_dev && !strcmp(p->def, "auto"))
				fprintf(f, "  %s (default auto: the platform's first %s)\n",
					p->help, w->auto_what);
			else
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
		if (!file)
			return NULL;	/* said why */
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
		fprintf(stderr, "dmastack run %s: %s%s: %s\n", w->name,
			r->o->platform ? r->o->platform : "built-in platform",
			changed ? " (iommu= applied)" : "", err);
	free(file);
	free(changed);
	return m;
}

/* Is @kind one of the '|'-separated @kinds? */
static bool kind_in(const char *kind, const char *kinds)
{
	size_t n = strlen(kind);

	for (const char *k = kinds; *k;) {
		size_t len = strcspn(k, "|");

		if (len == n && !strncmp(k, kind, n))
			return true;
		k += len + (k[len] == '|');
	}
	return false;
}

/*
 * Every device the parameters name exists on @r->m, is an endpoint of an
 * allowed kind and has what the workload needs: 0, or -EINVAL with one
 * line in @err.
 */
static int check_devices(const struct run *r, char *err, size_t errlen)
{
	for (unsigned int k = 0; k < RUN_MAX_PARAMS && r->w->params[k].key; k++) {
		const struct run_param *p = &r->w->params[k];
		const char *id = r->v[k].s, *kind, *lack = NULL;
		struct device *dev;

		if (p->kind != P_STR)
			continue;
		dev = sim_device(r->m, id);
		if (!dev) {
			snprintf(err, errlen, "%s=%s: the platform has no device '%s' (%s)",
				 p->key, id, id, p->help);
			return -EINVAL;
		}
		kind = sim_device_kind(dev);
		if (!sim_device_is_endpoint(dev) || (p->kinds && !kind_in(kind, p->kinds))) {
			snprintf(err, errlen, "%s=%s: %s is a %s, not %s%s (%s)",
				 p->key, id, id, kind,
				 p->kinds ? "a device of kind " : "an endpoint",
				 p->kinds ? p->kinds : "", p->help);
			return -EINVAL;
		}
		if ((p->need & NEED_COHERENT) && !dev_is_dma_coherent(dev))
			lack = "coherent";
		else if ((p->need & NEED_NONCOHERENT) && dev_is_dma_coherent(dev))
			lack = "non-coherent";
		else if ((p->need & NEED_UNTRUSTED) && !to_pci_dev(dev)->untrusted)
			lack = "untrusted";
		else if ((p->need & NEED_64BIT) && sim_device_dma_bits(dev) < 64)
			lack = "a 64-bit DMA master";
		if (lack) {
			snprintf(err, errlen, "%s=%s: %s is not %s, which workload %s needs",
				 p->key, id, id, lack, r->w->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* The workload itself: 0, or 2 for what the platform or options cannot do. */
static int run_workload(struct run *r)
{
	const struct cli_out out = {
		.ctx = r, .id = cli_wl_id(r->w->fn), .say = run_out_say,
		.check = run_out_check,
		.expect = run_out_expect,
	};
	struct cli_wl_opts o = { 0 };
	struct cli_wl_result res;
	char err[512] = "";
	int ret;

	r->w->opts(r, &o);
	ret = cli_wl_run(r->w->fn, r->m, &o, &out, &res, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "dmastack run %s: %s\n", r->w->name, err);
		return 2;
	}
	if (r->w->driver)
		r->driver = r->w->driver(&res);
	return 0;
}

/* dev=auto: the first device of the machine the workload's test picks. */
static int resolve_auto_dev(struct run *r)
{
	unsigned int k;

	if (!r->w->auto_dev)
		return 0;
	for (k = 0; k < RUN_MAX_PARAMS && r->w->params[k].key; k++)
		if (!strcmp(r->w->params[k].key, "dev"))
			break;
	if (k == RUN_MAX_PARAMS || !r->w->params[k].key || strcmp(r->v[k].s, "auto"))
		return 0;
	for (unsigned int i = 0; i < sim_device_count(r->m); i++) {
		struct device *dev = sim_device_at(r->m, i);

		if (sim_device_present(dev) && r->w->auto_dev(dev)) {
			r->v[k].s = sim_device_id(dev);
			return 0;
		}
	}
	return cli_usage_error("run", "%s: %s has no %s (give dev=ID)", r->w->name,
			       sim_machine_name(r->m), r->w->auto_what);
}

static json_object *params_json(const struct run *r)
{
	json_object *p = json_object_new_object();

	for (unsigned int k = 0; k < RUN_MAX_PARAMS && r->w->params[k].key; k++) {
		const struct run_param *rp = &r->w->params[k];

		if (rp->kind == P_SIZE || rp->kind == P_UINT)
			json_object_object_add(p, rp->key, rp->kind == P_SIZE ?
					       cli_json_hex(r->v[k].n) :
					       json_object_new_uint64(r->v[k].n));
		else
			json_object_object_add(p, rp->key, json_object_new_string(r->v[k].s));
	}
	return p;
}

int cmd_run(int argc, char **argv, const struct cli_opts *o)
{
	static const struct option longopts[] = {
		CLI_LONGOPT_PLATFORM, CLI_LONGOPT_JSON, CLI_LONGOPTS_TRACE,
		CLI_LONGOPT_VERBOSE, CLI_LONGOPT_HELP,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts opts = *o;
	struct run r = { .o = &opts };
	struct cli_stats s0, s1;
	struct run_dom d0, d1;
	char **kv = calloc((size_t)argc + 1, sizeof(*kv));
	const char *name = NULL;
	unsigned long unexpected;
	json_object *root;
	struct cli_trace trace = { 0 };
	char err[512] = "";
	int nkv = 0, ret = 2, c;

	if (!kv)
		return 1;
	optind = 0;
	while ((c = cli_getopt("run", argc, argv, ":hvp:", longopts)) != -1) {
		if (c == 'h') {
			run_usage(stdout);
			ret = 0;
			goto out_free;
		}
		if (c == '?' || cli_common_opt("run", c, &opts))
			goto out_free;
	}
	if (cli_check_trace_opts("run", &opts))
		goto out_free;
	/* the workload, then its key=value parameters */
	for (int i = optind; i < argc; i++) {
		if (!name)
			name = argv[i];
		else
			kv[nkv++] = argv[i];
	}
	if (!name) {
		cli_usage_error("run", "which workload? (dmastack run --help lists them)");
		goto out_free;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(workloads[i].name, name))
			r.w = &workloads[i];
	if (!r.w) {
		fprintf(stderr, "dmastack run: unknown workload '%s' (", name);
		for (unsigned int i = 0; i < ARRAY_SIZE(workloads); i++)
			fprintf(stderr, "%s%s", i ? ", " : "", workloads[i].name);
		fprintf(stderr, ")\n");
		goto out_free;
	}
	if (parse_params(r.w, nkv, kv, r.v, err, sizeof(err))) {
		fprintf(stderr, "dmastack run %s: %s\n", r.w->name, err);
		goto out_free;
	}

	r.m = run_machine(&r);
	if (!r.m)
		goto out_free;
	if (resolve_auto_dev(&r))
		goto out_destroy;
	if (check_devices(&r, err, sizeof(err))) {
		fprintf(stderr, "dmastack: run %s: %s\n", r.w->name, err);
		goto out_destroy;
	}
	if (cli_trace_open(&opts, &trace))
		goto out_destroy;
	cli_trace_attach(&opts, &trace, r.m);
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
	ret = run_workload(&r);
	if (ret) {
		json_object_put(r.actions);
		json_object_put(r.checks);
		goto out_trace;
	}
	/* nothing may be left mapped once the workload is done */
	check(&r, "run.nothing_left_mapped", sim_dma_debug_entries(r.m, NULL) == 0, false,
	      "nothing left mapped (%lu dma-debug entries)",
	      sim_dma_debug_entries(r.m, NULL));
	cli_stats_take(r.m, &s1);
	dom_take(r.stats_dev, &d1);
	unexpected = (s1.debug_reports - s0.debug_reports - r.expected.debug) +
		     (s1.iommu_faults - s0.iommu_faults +
		      s1.access_errors - s0.access_errors - r.expected.faults) +
		     (s1.warns - s0.warns) + (s1.bugs - s0.bugs);
	check(&r, "run.no_unexpected_reports", unexpected == 0, false,
	      "no dma-debug reports, faults or warnings (%lu)", unexpected);

	root = cli_json_root("run");
	json_object_object_add(root, "workload", json_object_new_string(r.w->name));
	json_object_object_add(root, "workload_id", json_object_new_string(cli_wl_id(r.w->fn)));
	json_object_object_add(root, "machine", json_object_new_string(sim_machine_name(r.m)));
	json_object_object_add(root, "params", params_json(&r));
	json_object_object_add(root, "actions", r.actions);
	json_object_object_add(root, "checks", r.checks);
	json_object_object_add(root, "stats", stats_json(&s0, &s1, &d0, &d1));
	if (r.driver)
		json_object_object_add(root, "driver", r.driver);
	json_object_object_add(root, "checks_total", json_object_new_int((int)r.nchecks));
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
	cli_trace_detach(&trace, r.m);
	if (cli_trace_close(&opts, &trace) && !ret)
		ret = 1;
out_destroy:
	sim_machine_destroy(r.m);
out_free:
	free(kv);
	return ret;
}
