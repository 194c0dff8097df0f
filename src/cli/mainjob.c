// SPDX-License-Identifier: MIT
/*
 * The main job: built-in workloads on the default platform (and a
 * confidential guest), each device's DMA verified byte for byte, a table of
 * what was mapped how, and a verdict. After the DMA API's own workloads come
 * the systems built on it: NVMe I/O through the block layer's DMA iterator
 * with each mapping API and from the CMB, the NIC mirroring a process
 * through ODP, a VFIO migration page list; then a summary per workload.
 * Some steps provoke a bug on purpose (a missing sync, a device touching
 * memory it may not): those must be caught, and anything reported that was
 * not provoked fails the job.
 *
 * The tour is a table (job_steps): each step names a workload of the
 * library in src/cli/workloads/, the machine it runs on and its options;
 * this file only says what happened, through a struct cli_out.
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
	struct cli_expected expected;	/* provoked reports */
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
	ADD("maps", d->dma.maps);
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

static bool check(struct job *j, const char *id, bool ok, bool provoked,
		  const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* One check; @id: its stable id, "workload.check" (the JSON's "id"). */
static bool check(struct job *j, const char *id, bool ok, bool provoked,
		  const char *fmt, ...)
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
	json_object_object_add(c, "id", json_object_new_string(id));
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
	json_object_object_add(r, "phys", cli_json_hex(phys));
	json_object_object_add(r, "size", cli_json_hex(size));
	json_object_object_add(r, "dir", json_object_new_string(dir_str(dir)));
	json_object_object_add(r, "dma", cli_json_hex(dma));
	json_object_object_add(r, "path", json_object_new_string(map_path(dev, dma, attrs)));
	json_object_array_add(j->cur_maps, json_object_get(r));
	json_object_array_add(j->maps_all, r);
	job_printf(j, "   map  %-18s %-6s %-6s %-13s phys %#llx -> dma %#llx  %s\n",
		   call, sim_device_id(dev), fmt_size(sz, sizeof(sz), size),
		   dir_str(dir), (unsigned long long)phys,
		   (unsigned long long)dma, map_path(dev, dma, attrs));
}

/* ---- the workloads, through the workload library ------------------------- */

static void job_out_say(void *ctx, const char *msg)
{
	note(ctx, msg);
}

static bool job_out_check(void *ctx, const char *id, bool ok, bool provoked,
			  const char *msg)
{
	return check(ctx, id, ok, provoked, "%s", msg);
}

static void job_out_mapped(void *ctx, const struct cli_map_rec *rec)
{
	record_map(ctx, rec->dev, rec->call, rec->phys, rec->size, rec->dir,
		   rec->dma, rec->attrs);
}

static void job_out_expect(void *ctx, enum sim_report_kind kind, unsigned long n)
{
	struct job *j = ctx;

	cli_expected_add(&j->expected, kind, n);
}

/* The machines of the main job (see cmd_mainjob). */
enum job_machine {
	JM_PLATFORM,		/* the platform, lazy IOMMU */
	JM_DIRECT,		/* the platform without IOMMU */
	JM_STRICT,		/* the platform, strict IOMMU */
	JM_ARM64,		/* arm64, 64K SMMU granule */
	JM_CC,			/* a confidential guest */
	JM_P2P_SWITCH,		/* a GPU and a NIC below one switch */
	JM_NR,
};

struct job_step;
typedef void job_after_fn(struct job *j, struct sim_machine *m,
			  const struct job_step *s, const struct cli_wl_result *res);

/* One workload of the tour: a library workload with its options. */
struct job_step {
	const char *name;		/* the header's and the summary's */
	enum job_machine mach;
	const char *devs;		/* the devices it uses, in the header */
	cli_wl_fn *fn;
	struct cli_wl_opts o;
	const char *note;		/* said before it runs */
	const char *could_run;		/* a check that it could run, naming it */
	const char *skipped;		/* -EOPNOTSUPP skips it, saying this */
	job_after_fn *after;		/* more checks on its result */
};

/* Behind the IOMMU, api=iova maps every request as one IOVA range. */
static void nvme_one_range(struct job *j, struct sim_machine *m,
			   const struct job_step *s, const struct cli_wl_result *res)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(sim_device(m, s->o.dev));

	if (dom && iommu_is_dma_domain(dom))
		check(j, "nvme.one_iova_range_per_request", res->nvme.drv.iova_requests == res->nvme.drv.commands, false,
		      "behind the IOMMU every request was one IOVA range, one sync (%lu of %lu)",
		      res->nvme.drv.iova_requests, res->nvme.drv.commands);
}

/* A step of the tour: its name, machine, devices, workload and the rest. */
#define STEP(_name, _mach, _devs, _fn, ...)				\
	{ .name = (_name), .mach = (_mach), .devs = (_devs), .fn = (_fn),	\
	  __VA_ARGS__ }

#define NVME_STEP(_name, _api, _apiname, _after)				\
	STEP(_name, JM_PLATFORM, "nvme0", cli_wl_nvme,				\
	     .o = { .dev = "nvme0", .size = SZ_4M, .seed = 3 + (_api),		\
		    .nvme = { .rw = CLI_NVME_RANDRW, .bs = 128 * 1024,		\
			      .iodepth = 8, .api = (_api) } },			\
	     .note = "NVMe reads and writes through the block DMA iterator, api=" _apiname, \
	     .could_run = "NVMe", .after = (_after))

#define ODP_STEP(_name, _size, _faults, _invalidations, _strategy)	\
	STEP(_name, JM_PLATFORM, "nic0", cli_wl_odp,				\
	     .o = { .dev = "nic0", .size = (_size), .seed = 5,			\
		    .odp = { .faults = (_faults),				\
			     .invalidations = (_invalidations),		\
			     .strategy = (_strategy) } },			\
	     .could_run = "ODP")

/* gpu0's BAR 2, 64K at 1M and at 4M, exported and imported by nic0. */
#define DMABUF_STEP(_name, _mach, _type, _path)				\
	STEP(_name, _mach, "gpu0 -> nic0", cli_wl_dmabuf_p2p,			\
	     .o = { .dev = "gpu0", .peer = "nic0", .size = SZ_64K,		\
		    .dmabuf = { .off = { SZ_1M, 4 * SZ_1M }, .type = (_type),	\
				.path = (_path) } })

/* The tour, in order. */
static const struct job_step job_steps[] = {
	/* the DMA API without an IOMMU */
	STEP("coherent streaming DMA", JM_DIRECT, "nic0", cli_wl_coherent,
	     .o = { .dev = "nic0" }),
	STEP("non-coherent streaming DMA with cache maintenance", JM_DIRECT, "tb0",
	     cli_wl_noncoherent,
	     .o = { .dev = "tb0", .size = PAGE_SIZE, .provoke = true,
		    .noncoherent = { .xfer = 256 } }),
	STEP("32-bit device bounced through swiotlb", JM_DIRECT, "tb0", cli_wl_bounce,
	     .o = { .dev = "tb0", .size = 8192, .provoke = true }),
	STEP("coherent allocations and a dma_pool", JM_DIRECT, "tb0, nvme0",
	     cli_wl_coherent_alloc, .o = { .dev = "tb0", .peer = "nvme0" }),
	STEP("MMIO mapped as a resource (DMA_ATTR_MMIO)", JM_DIRECT, "nic0", cli_wl_mmio),
	/* through the IOMMU */
	STEP("IOMMU, lazy mode: translation, the flush-queue window", JM_PLATFORM, "nic0",
	     cli_wl_iommu_lazy),
	STEP("the IOVA API, lazy: 1 MiB as 256 pages, one sync", JM_PLATFORM, "nvme0",
	     cli_wl_iova_api, .o = { .dev = "nvme0" }),
	STEP("untrusted device: sub-page buffers bounced, neighbours hidden", JM_PLATFORM,
	     "tb0", cli_wl_untrusted, .o = { .dev = "tb0" }),
	STEP("IOMMU, strict mode: unmap invalidates at once", JM_STRICT, "nic0",
	     cli_wl_iommu_strict, .o = { .dev = "nic0" }),
	STEP("the IOVA API, strict: 1 MiB with one invalidation", JM_STRICT, "nvme0",
	     cli_wl_iova_api, .o = { .dev = "nvme0" }),
	STEP("arm64 SMMU with a 64K granule", JM_ARM64, "nvme0", cli_wl_granule_64k,
	     .o = { .dev = "nvme0" }),
	STEP("confidential guest: every streaming mapping bounces", JM_CC, "nvme0",
	     cli_wl_confidential, .o = { .dev = "nvme0" }),
	/* the seed's peer-to-peer flow */
	DMABUF_STEP("VFIO dma-buf export of GPU memory, peer-to-peer below a switch",
		    JM_P2P_SWITCH, PCI_P2PDMA_MAP_BUS_ADDR, "bus addresses"),
	DMABUF_STEP("VFIO dma-buf export across the host bridge, through the IOMMU",
		    JM_PLATFORM, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE,
		    "one IOVA range, IOMMU_MMIO"),
	/* the systems built on the DMA API */
	NVME_STEP("NVMe I/O, api=iova", NVME_DMA_API_IOVA, "iova", nvme_one_range),
	NVME_STEP("NVMe I/O, api=phys", NVME_DMA_API_PHYS, "phys", NULL),
	NVME_STEP("NVMe I/O, api=sg", NVME_DMA_API_SG, "sg", NULL),
	STEP("NVMe P2P from the CMB", JM_PLATFORM, "nvme0", cli_wl_nvme,
	     .o = { .dev = "nvme0", .size = SZ_1M, .seed = 3 + NVME_DMA_API_IOVA,
		    .nvme = { .rw = CLI_NVME_RANDRW, .bs = 32 * 1024, .iodepth = 4,
			      .api = NVME_DMA_API_IOVA, .p2p = true } },
	     .note = "NVMe peer-to-peer: data in the controller's CMB (api=iova)",
	     .could_run = "NVMe",
	     .skipped = "skipped: nvme0 has no controller memory buffer on this platform"),
	ODP_STEP("ODP: the NIC mirrors a process, one IOVA range (hmm_dma_map)",
		 SZ_4M, 1000, 100, SIM_ODP_HMM_IOVA),
	ODP_STEP("ODP: the NIC mirrors a process, dma_map_phys per page",
		 SZ_1M, 256, 32, SIM_ODP_PER_PAGE),
	STEP("VFIO migration: a page list filled by device DMA, through the IOMMU",
	     JM_PLATFORM, "nic0", cli_wl_vfio_mig, .o = { .dev = "nic0" }),
	STEP("VFIO migration without an IOMMU: page by page", JM_DIRECT, "nic0",
	     cli_wl_vfio_mig, .o = { .dev = "nic0" }),
};

static void run_step(struct job *j, const struct job_step *s, struct sim_machine *m)
{
	const struct cli_out out = {
		.ctx = j, .id = cli_wl_id(s->fn), .say = job_out_say, .check = job_out_check,
		.mapped = job_out_mapped, .expect = job_out_expect,
	};
	struct cli_wl_result res;
	char err[256] = "";
	int ret;

	workload(j, s->name, m, s->devs);
	if (j->nr_wls && j->wls[j->nr_wls - 1].obj)
		json_object_object_add(j->wls[j->nr_wls - 1].obj, "workload",
				       json_object_new_string(out.id));
	if (s->note)
		note(j, s->note);
	ret = cli_wl_run(s->fn, m, &s->o, &out, &res, err, sizeof(err));
	if (ret == -EOPNOTSUPP && s->skipped) {
		note(j, s->skipped);
		return;
	}
	if (s->could_run) {
		if (!check(j, "job.workload_ran", ret == 0, false, "the %s workload could run (%s)",
			   s->could_run, ret ? err : "ok"))
			return;
	} else if (ret) {
		check(j, "job.workload_ran", false, false, "the workload could run (%s)", err);
		return;
	}
	if (s->after)
		s->after(j, m, s, &res);
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

static unsigned long iommu_faults_of(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_IOMMU_FAULT);
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
	static const char *const roles[JM_NR] = {
		[JM_PLATFORM] = "platform", [JM_DIRECT] = "without IOMMU",
		[JM_STRICT] = "strict IOMMU", [JM_ARM64] = "arm64 64K",
		[JM_CC] = "confidential guest", [JM_P2P_SWITCH] = "P2P below a switch",
	};
	struct job j = { .o = o };
	struct sim_machine *mach[JM_NR] = { NULL }, *m;
	unsigned long debug = 0, faults = 0, unexpected;
	struct sim_dma_stats st;
	struct cli_trace trace = { 0 };
	json_object *root;
	char err[256];
	char *text, *t_direct = NULL, *t_strict = NULL;
	const int nm = JM_NR;
	int ret = 2;

	m = mach[JM_PLATFORM] = cli_load_machine(o);
	if (!m)
		return 2;
	text = cli_platform_text(o);
	if (text) {
		t_direct = cli_text_with_iommu_mode(text, "off");
		t_strict = cli_text_with_iommu_mode(text, "strict");
	}
	mach[JM_DIRECT] = t_direct ? sim_machine_parse(t_direct, err, sizeof(err)) : NULL;
	mach[JM_STRICT] = t_strict ? sim_machine_parse(t_strict, err, sizeof(err)) : NULL;
	mach[JM_ARM64] = sim_machine_parse(cli_arm64_64k_platform, err, sizeof(err));
	mach[JM_CC] = sim_machine_parse(cli_cc_guest_platform, err, sizeof(err));
	mach[JM_P2P_SWITCH] = sim_machine_parse(cli_p2p_switch_platform, err, sizeof(err));
	free(text);
	free(t_direct);
	free(t_strict);
	for (int i = 0; i < nm; i++)
		if (!mach[i]) {
			fprintf(stderr, "dmastack: cannot build the %s machine: %s\n",
				roles[i], err);
			goto out;
		}
	for (int i = 0; i < 3; i++)
		if (!sim_device(mach[i], "nic0") || !sim_device(mach[i], "tb0") ||
		    !sim_device(mach[i], "nvme0") || !sim_device(mach[i], "gpu0")) {
			fprintf(stderr, "dmastack: the main job needs devices nic0, tb0, nvme0 and gpu0 (the default platform has them)\n");
			goto out;
		}
	if (!iommu_get_domain_for_dev(sim_device(m, "nic0"))) {
		fprintf(stderr, "dmastack: the main job needs an IOMMU in front of nic0 (the default platform has one)\n");
		goto out;
	}
	if (cli_trace_open(o, &trace))
		goto out;
	for (int i = 0; i < nm; i++) {
		cli_trace_attach(o, &trace, mach[i]);
		if (o->verbose)
			sim_report_echo(mach[i], stderr);
	}
	j.workloads = json_object_new_array();
	j.maps_all = json_object_new_array();

	job_printf(&j, "dmastack main job on %s (%s, %llu GiB RAM, %u devices), its variants without IOMMU and in strict mode, %s and %s\n",
		   sim_machine_name(m), sim_machine_arch(m),
		   (unsigned long long)(sim_ram_size(m) >> 30), sim_device_count(m),
		   sim_machine_name(mach[JM_ARM64]), sim_machine_name(mach[JM_CC]));
	for (unsigned int i = 0; i < ARRAY_SIZE(job_steps); i++)
		run_step(&j, &job_steps[i], mach[job_steps[i].mach]);

	workload(&j, "teardown: nothing left behind", m, "all");
	{
		bool clean = true, pages = true;

		for (int i = 0; i < nm; i++) {
			clean &= sim_dma_debug_entries(mach[i], NULL) == 0;
			/* page tables stay allocated with their domains */
			pages &= sim_iommu_group_count(mach[i]) ||
				 sim_ram_pages_allocated(mach[i]) == 0;
		}
		check(&j, "job.no_live_mappings", clean, false, "no live mappings or allocations remain (dma-debug)");
		check(&j, "job.pages_returned", pages, false, "every page returned to the allocator");
	}
	sim_dma_stats_get(m, &st);
	for (int i = 0; i < nm; i++)
		finish_machine(&j, mach[i], &debug, &faults);
	unexpected = (debug - j.expected.debug) + (faults - j.expected.faults);
	check(&j, "job.no_unexpected_reports", debug == j.expected.debug && faults == j.expected.faults, false,
	      "no unexpected dma-debug reports or faults (%lu dma-debug, %lu faults, all provoked)",
	      debug, faults);

	root = cli_json_root("mainjob");
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
	json_object_object_add(root, "checks_total", json_object_new_int((int)j.checks));
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
				       sim_machine_name(mach[i]), roles[i]);
				sim_report_dump(mach[i], stdout);
			}
	}
	json_object_put(root);
	ret = j.failed ? 1 : 0;
out:
	free(j.wls);
	for (int i = 0; i < nm; i++)
		sim_machine_destroy(mach[i]);
	/* the machines are gone: the trace.dat has every event */
	if (cli_trace_close(o, &trace) && !ret)
		ret = 1;
	return ret;
}
