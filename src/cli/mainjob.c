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
	const char *label;		/* the machine variant it ran on */
	json_object *obj;
	struct cli_stats s0;
	unsigned int failed0, checks0, failed, checks;
	struct cli_stats delta;
	char skipped[200];		/* why it could not run ("": it ran) */
	unsigned long cmb_transfers;	/* NVMe: data moved within the CMB */
};

struct job {
	const struct cli_opts *o;
	/* the machines and what the headers call them ("epyc-server, IOMMU off") */
	struct sim_machine **mach;
	const char *const *labels;
	unsigned int nr_mach;
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
	w->delta.dma.map_errors = now.dma.map_errors - w->s0.dma.map_errors;
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
			       json_object_new_string(w->failed ? "fail" :
						      w->skipped[0] ? "skip" : "pass"));
	if (w->skipped[0])
		json_object_object_add(w->obj, "skipped",
				       json_object_new_string(w->skipped));
	json_object_object_add(w->obj, "stats", stats_delta_json(&w->delta));
	w->obj = NULL;
}

/* The variant @m is, as headers name it ("all" when NULL). */
static const char *label_of(const struct job *j, struct sim_machine *m)
{
	for (unsigned int i = 0; i < j->nr_mach; i++)
		if (j->mach[i] == m)
			return j->labels[i];
	return m ? sim_machine_name(m) : "every machine";
}

/* A workload begins on @m (@label: the header's name of it, NULL: @m's). */
static void workload(struct job *j, const char *name, struct sim_machine *m,
		     const char *label, const char *dev)
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
		jw->label = label ? label : label_of(j, m);
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
	job_printf(j, "\n== %s  [%s; %s]\n", name, label ? label : label_of(j, m), dev);
}

/* What a workload did, beside its checks. */
static void note(struct job *j, const char *msg)
{
	json_object_array_add(j->cur_notes, json_object_new_string(msg));
	job_printf(j, "   %s\n", msg);
}

/* The workload that just began cannot run here: say why, count no check. */
static void skip_step(struct job *j, const char *why)
{
	char msg[320];

	snprintf(msg, sizeof(msg), "skipped: %s", why);
	note(j, msg);
	if (j->nr_wls && j->wls[j->nr_wls - 1].obj)
		snprintf(j->wls[j->nr_wls - 1].skipped,
			 sizeof(j->wls[j->nr_wls - 1].skipped), "%s", why);
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
	job_printf(j, "   map  %-18s %-6s %-9s %-13s phys %#llx -> dma %#llx  %s\n",
		   call, sim_device_id(dev), fmt_bytes(sz, sizeof(sz), size),
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
	JM_PLATFORM,		/* the platform, every IOMMU lazy */
	JM_DIRECT,		/* the platform without IOMMU */
	JM_STRICT,		/* the platform, every IOMMU strict */
	JM_ARM64,		/* built-in arm64-64k: a 64K SMMU granule */
	JM_CC,			/* built-in cc-guest: a confidential guest */
	JM_P2P_SWITCH,		/* built-in p2p-switch: GPU and NIC below a switch */
	JM_NR,
};

/* What a step's device selection and conditions look at. */
struct job_env {
	struct sim_machine *m;		/* the step's machine */
	struct sim_machine *probe;	/* the platform, for P2P questions only */
	u64 ram_top;			/* the end of the step machine's RAM */
};

struct job_step;
typedef void job_after_fn(struct job *j, struct sim_machine *m,
			  const struct cli_wl_opts *o, const struct cli_wl_result *res);
/* Whether @d can be the step's device (@other: the device picked first). */
typedef bool job_fit_fn(const struct job_env *e, struct device *d,
			struct device *other);
/* NULL when the step can run with @dev and @peer, else why not (in @why). */
typedef const char *job_needs_fn(const struct job_env *e, struct device *dev,
				 struct device *peer, char *why, size_t len);

/*
 * How a step finds its device on whatever platform it runs: the main
 * job's usual one (@pref) when it fits, else the first that does; none
 * fitting skips the step, saying @none.
 */
struct job_pick {
	job_fit_fn *fit;		/* NULL: the workload's fixed devices */
	const char *pref;
	const char *none;
};

/* One workload of the tour: a library workload with its options. */
struct job_step {
	const char *name;		/* the header's and the summary's */
	enum job_machine mach;
	const char *devs;		/* the devices in the header: "%s", "%s -> %s" */
	cli_wl_fn *fn;
	struct cli_wl_opts o;
	struct job_pick dev, peer;	/* into o.dev and o.peer */
	bool iommu;			/* it needs an IOMMU on the platform */
	job_needs_fn *needs;		/* more the platform must have */
	const char *note;		/* said before it runs */
	const char *could_run;		/* a check that it could run, naming it */
	bool may_lack;			/* -EOPNOTSUPP: skipped, saying why */
	job_after_fn *after;		/* more checks on its result */
};

/* ---- what a platform has --------------------------------------------------- */

static bool ep_info(const struct job_env *e, struct device *d,
		    struct sim_endpoint_info *ep)
{
	struct sim_node *n = sim_node_find(e->m, sim_device_id(d));

	return sim_device_is_endpoint(d) && n && !sim_node_get_endpoint(n, ep);
}

static bool translated(struct device *d)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(d);

	return dom && iommu_is_dma_domain(dom);
}

static bool untrusted(const struct job_env *e, struct device *d)
{
	struct sim_endpoint_info ep;

	return ep_info(e, d, &ep) && ep.untrusted;
}

static bool is_kind(struct device *d, const char *kind)
{
	return sim_device_is_endpoint(d) && !strcmp(sim_device_kind(d), kind);
}

static u64 bar_len(const struct job_env *e, struct device *d, int bar)
{
	struct sim_node *n = sim_node_find(e->m, sim_device_id(d));
	struct sim_bar_info info;

	return n && !sim_node_get_bar(n, bar, &info) ? info.size : 0;
}

/* dma-direct gives @d DMA addresses equal to physical ones for all RAM. */
static bool direct_identity(const struct job_env *e, struct device *d)
{
	struct sim_node *n = sim_node_find(e->m, sim_device_id(d));
	struct sim_hostbridge_info hb;

	if (is_swiotlb_force_bounce(d))
		return false;	/* a confidential guest bounces everything */
	while (n && sim_node_get_hostbridge(n, &hb))
		n = sim_node_parent(n);
	return n && !hb.dram_bus_offset && (!hb.dma_limit || hb.dma_limit >= e->ram_top - 1);
}

/* How @client reaches @provider's P2P BAR, on the probe machine. */
static enum pci_p2pdma_map_type p2p_type(const struct job_env *e,
					 struct device *provider,
					 struct device *client)
{
	struct sim_node *p = sim_node_find(e->probe, sim_device_id(provider));
	struct sim_node *q = sim_node_find(e->probe, sim_device_id(client));
	enum pci_p2pdma_map_type type;
	int dist;

	if (!p || !q || cli_p2p_pair(p, q, &type, &dist))
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;
	return type;
}

static bool fit_any(const struct job_env *e, struct device *d, struct device *o)
{
	return sim_device_is_endpoint(d);
}

static bool fit_other(const struct job_env *e, struct device *d, struct device *o)
{
	return sim_device_is_endpoint(d) && d != o;
}

static bool fit_coherent64(const struct job_env *e, struct device *d, struct device *o)
{
	return sim_device_is_endpoint(d) && dev_is_dma_coherent(d) &&
	       sim_device_dma_bits(d) >= 64 && direct_identity(e, d);
}

static bool fit_noncoherent(const struct job_env *e, struct device *d, struct device *o)
{
	return sim_device_is_endpoint(d) && !dev_is_dma_coherent(d);
}

/* A 32-bit device on a machine with RAM above 4G: swiotlb bounces for it. */
static bool fit_dma32(const struct job_env *e, struct device *d, struct device *o)
{
	return sim_device_is_endpoint(d) && sim_device_dma_bits(d) <= 32 &&
	       e->ram_top > SZ_4G && direct_identity(e, d);
}

static bool fit_translated(const struct job_env *e, struct device *d, struct device *o)
{
	return sim_device_is_endpoint(d) && translated(d) && !untrusted(e, d);
}

/* Behind an IOMMU whose granule is the CPU page: pages link one by one. */
static bool granule_4k(struct device *d)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(d);

	return dom && (dom->pgsize_bitmap & -dom->pgsize_bitmap) == PAGE_SIZE;
}

static bool fit_translated_4k(const struct job_env *e, struct device *d, struct device *o)
{
	return fit_translated(e, d, o) && granule_4k(d);
}

static bool fit_untrusted(const struct job_env *e, struct device *d, struct device *o)
{
	return sim_device_is_endpoint(d) && translated(d) && untrusted(e, d) &&
	       granule_4k(d);
}

static bool fit_nvme(const struct job_env *e, struct device *d, struct device *o)
{
	return is_kind(d, "nvme");
}

static bool fit_nic(const struct job_env *e, struct device *d, struct device *o)
{
	return is_kind(d, "nic");
}

static bool fit_nic_translated(const struct job_env *e, struct device *d, struct device *o)
{
	return is_kind(d, "nic") && translated(d);
}

/* A GPU whose BAR 2 holds the two exported ranges, with FLR for the reset. */
static bool fit_gpu_export(const struct job_env *e, struct device *d, struct device *o)
{
	struct sim_endpoint_info ep;

	return is_kind(d, "gpu") && ep_info(e, d, &ep) && ep.flr &&
	       bar_len(e, d, 2) >= 4 * SZ_1M + SZ_64K;
}

/* A NIC behind the IOMMU reaching the GPU @o through the host bridge. */
static bool fit_nic_thru_hb(const struct job_env *e, struct device *d, struct device *o)
{
	return is_kind(d, "nic") && translated(d) &&
	       p2p_type(e, o, d) == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
}

/*
 * The MMIO step's layout, the default platform's: nic0 and nvme0 (with a
 * CMB) below one switch, gpu0's BAR 2 reachable through the host bridge.
 */
static const char *needs_mmio(const struct job_env *e, struct device *dev,
			      struct device *peer, char *why, size_t len)
{
	struct device *nic = sim_device(e->m, "nic0");
	struct device *nvme = sim_device(e->m, "nvme0");
	struct device *gpu = sim_device(e->m, "gpu0");

	if (!nic || !nvme || !gpu || !is_kind(nvme, "nvme") || !is_kind(gpu, "gpu"))
		snprintf(why, len, "it needs nic0, nvme0 and gpu0, which this platform lacks");
	else if (bar_len(e, nvme, 2) < SZ_64K || bar_len(e, gpu, 2) < 2 * SZ_1M)
		snprintf(why, len, "it needs nvme0's CMB and gpu0's BAR 2 (2 MiB or more)");
	else if (p2p_type(e, nvme, nic) != PCI_P2PDMA_MAP_BUS_ADDR)
		snprintf(why, len, "nic0 and nvme0 are not below one switch on this platform");
	else if (p2p_type(e, gpu, nic) != PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		snprintf(why, len, "nic0 cannot reach gpu0's BAR 2 through the host bridge here");
	else
		return NULL;
	return why;
}

/*
 * The lazy IOMMU step's layout, the default platform's: nic0 behind the
 * IOMMU, sharing its group with nvme0, gpu0 in a group of its own and its
 * BAR 2 reachable from nic0 through the host bridge.
 */
static const char *needs_iommu_lazy(const struct job_env *e, struct device *dev,
				    struct device *peer, char *why, size_t len)
{
	struct device *nic = sim_device(e->m, "nic0");
	struct device *nvme = sim_device(e->m, "nvme0");
	struct device *gpu = sim_device(e->m, "gpu0");

	if (!nic || !nvme || !gpu || !is_kind(gpu, "gpu"))
		snprintf(why, len, "it needs nic0, nvme0 and gpu0, which this platform lacks");
	else if (!translated(nic))
		snprintf(why, len, "nic0 is not behind an IOMMU on this platform");
	else if (iommu_group_get(nic) != iommu_group_get(nvme) ||
		 iommu_group_get(nic) == iommu_group_get(gpu))
		snprintf(why, len, "it needs nic0 and nvme0 in one IOMMU group, gpu0 in another");
	else if (p2p_type(e, gpu, nic) != PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		snprintf(why, len, "nic0 cannot reach gpu0's BAR 2 through the host bridge here");
	else
		return NULL;
	return why;
}

/* Behind the IOMMU, api=iova maps every request as one IOVA range. */
static void nvme_one_range(struct job *j, struct sim_machine *m,
			   const struct cli_wl_opts *o, const struct cli_wl_result *res)
{
	struct device *dev = sim_device(m, o->dev);

	/* with a larger granule, 4K segments cannot be linked into one range */
	if (translated(dev) && granule_4k(dev))
		check(j, "nvme.one_iova_range_per_request", res->nvme.drv.iova_requests == res->nvme.drv.commands, false,
		      "behind the IOMMU every request was one IOVA range, one sync (%lu of %lu)",
		      res->nvme.drv.iova_requests, res->nvme.drv.commands);
}

/* A step of the tour: its name, machine, devices, workload and the rest. */
#define STEP(_name, _mach, _devs, _fn, ...)				\
	{ .name = (_name), .mach = (_mach), .devs = (_devs), .fn = (_fn),	\
	  __VA_ARGS__ }
#define PICK(_fit, _pref, _none)	{ .fit = (_fit), .pref = (_pref), .none = (_none) }
#define NO_IOMMU_DEV	"no trusted device behind an IOMMU on this platform"
#define NO_IOMMU_4K	"no trusted device behind an IOMMU with a 4 KiB granule on this platform"
#define NO_NVME		"no NVMe controller on this platform"
#define NO_NIC		"no NIC on this platform"

#define NVME_STEP(_name, _api, _apiname, _after)				\
	STEP(_name, JM_PLATFORM, "%s", cli_wl_nvme,				\
	     .o = { .size = SZ_4M, .seed = 3 + (_api),				\
		    .nvme = { .rw = CLI_NVME_RANDRW, .bs = 128 * 1024,		\
			      .iodepth = 8, .api = (_api) } },			\
	     .dev = PICK(fit_nvme, "nvme0", NO_NVME),				\
	     .note = "NVMe reads and writes through the block DMA iterator, api=" _apiname, \
	     .could_run = "NVMe", .after = (_after))

#define ODP_STEP(_name, _size, _faults, _invalidations, _strategy, _fit, _none, ...) \
	STEP(_name, JM_PLATFORM, "%s", cli_wl_odp,				\
	     .o = { .size = (_size), .seed = 5,					\
		    .odp = { .faults = (_faults),				\
			     .invalidations = (_invalidations),		\
			     .strategy = (_strategy) } },			\
	     .dev = PICK(_fit, "nic0", _none), .could_run = "ODP", __VA_ARGS__)

/* gpu0's BAR 2, 64K at 1M and at 4M, exported and imported by nic0. */
#define DMABUF_OPTS(_type, _path)						\
	.o = { .dev = "gpu0", .peer = "nic0", .size = SZ_64K,			\
	       .dmabuf = { .off = { SZ_1M, 4 * SZ_1M }, .type = (_type),	\
			   .path = (_path) } }

/* The tour, in order. */
static const struct job_step job_steps[] = {
	/* the DMA API without an IOMMU */
	STEP("coherent streaming DMA", JM_DIRECT, "%s", cli_wl_coherent,
	     .dev = PICK(fit_coherent64, "nic0",
			 "no coherent device with 64-bit DMA to all of RAM on this platform")),
	STEP("non-coherent streaming DMA with cache maintenance", JM_DIRECT, "%s",
	     cli_wl_noncoherent,
	     .o = { .size = PAGE_SIZE, .provoke = true, .noncoherent = { .xfer = 256 } },
	     .dev = PICK(fit_noncoherent, "tb0",
			 "no non-coherent device on this platform (all snoop the CPU caches)")),
	STEP("32-bit device bounced through swiotlb", JM_DIRECT, "%s", cli_wl_bounce,
	     .o = { .size = 8192, .provoke = true },
	     .dev = PICK(fit_dma32, "tb0",
			 "no 32-bit device with RAM above 4 GiB to bounce on this platform")),
	STEP("coherent allocations and a dma_pool", JM_DIRECT, "%s, %s",
	     cli_wl_coherent_alloc,
	     .dev = PICK(fit_any, "tb0", "no device on this platform"),
	     .peer = PICK(fit_other, "nvme0", NULL)),
	STEP("MMIO mapped as a resource (DMA_ATTR_MMIO)", JM_DIRECT, "nic0", cli_wl_mmio,
	     .needs = needs_mmio),
	/* through the IOMMU */
	STEP("IOMMU, lazy mode: translation, the flush-queue window", JM_PLATFORM, "nic0",
	     cli_wl_iommu_lazy, .iommu = true, .needs = needs_iommu_lazy),
	STEP("the IOVA API, lazy: 1 MiB as 256 pages, one sync", JM_PLATFORM, "%s",
	     cli_wl_iova_api, .iommu = true, .dev = PICK(fit_translated_4k, "nvme0", NO_IOMMU_4K)),
	STEP("untrusted device: sub-page buffers bounced, neighbours hidden", JM_PLATFORM,
	     "%s", cli_wl_untrusted, .iommu = true,
	     .dev = PICK(fit_untrusted, "tb0",
			 "no untrusted device behind an IOMMU with a 4 KiB granule on this platform")),
	STEP("IOMMU, strict mode: unmap invalidates at once", JM_STRICT, "%s",
	     cli_wl_iommu_strict, .iommu = true, .dev = PICK(fit_translated, "nic0", NO_IOMMU_DEV)),
	STEP("the IOVA API, strict: 1 MiB with one invalidation", JM_STRICT, "%s",
	     cli_wl_iova_api, .iommu = true, .dev = PICK(fit_translated_4k, "nvme0", NO_IOMMU_4K)),
	STEP("arm64 SMMU with a 64 KiB granule", JM_ARM64, "nvme0", cli_wl_granule_64k,
	     .o = { .dev = "nvme0" }),
	STEP("confidential guest: every streaming mapping bounces", JM_CC, "nvme0",
	     cli_wl_confidential, .o = { .dev = "nvme0" }),
	/* the seed's peer-to-peer flow */
	STEP("VFIO dma-buf export of GPU memory, peer-to-peer below a switch",
	     JM_P2P_SWITCH, "gpu0 -> nic0", cli_wl_dmabuf_p2p,
	     DMABUF_OPTS(PCI_P2PDMA_MAP_BUS_ADDR, "bus addresses")),
	STEP("VFIO dma-buf export across the host bridge, through the IOMMU",
	     JM_PLATFORM, "%s -> %s", cli_wl_dmabuf_p2p, .iommu = true,
	     DMABUF_OPTS(PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, "one IOVA range, IOMMU_MMIO"),
	     .dev = PICK(fit_gpu_export, "gpu0",
			 "no GPU with FLR and a BAR 2 of 4 MiB or more on this platform"),
	     .peer = PICK(fit_nic_thru_hb, "nic0",
			  "no NIC behind an IOMMU that reaches the GPU through the host bridge")),
	/* the systems built on the DMA API */
	NVME_STEP("NVMe I/O, api=iova", NVME_DMA_API_IOVA, "iova", nvme_one_range),
	NVME_STEP("NVMe I/O, api=phys", NVME_DMA_API_PHYS, "phys", NULL),
	NVME_STEP("NVMe I/O, api=sg", NVME_DMA_API_SG, "sg", NULL),
	STEP("NVMe P2P from the CMB", JM_PLATFORM, "%s", cli_wl_nvme,
	     .o = { .size = SZ_1M, .seed = 3 + NVME_DMA_API_IOVA,
		    .nvme = { .rw = CLI_NVME_RANDRW, .bs = 32 * 1024, .iodepth = 4,
			      .api = NVME_DMA_API_IOVA, .p2p = true } },
	     .dev = PICK(fit_nvme, "nvme0", NO_NVME),
	     .note = "NVMe peer-to-peer: data in the controller's CMB (api=iova)",
	     .could_run = "NVMe", .may_lack = true),
	ODP_STEP("ODP: the NIC mirrors a process, one IOVA range (hmm_dma_map)",
		 SZ_4M, 1000, 100, SIM_ODP_HMM_IOVA, fit_nic_translated,
		 "no NIC behind an IOMMU on this platform", .iommu = true),
	ODP_STEP("ODP: the NIC mirrors a process, dma_map_phys per page",
		 SZ_1M, 256, 32, SIM_ODP_PER_PAGE, fit_nic, NO_NIC),
	STEP("VFIO migration: a page list filled by device DMA, through the IOMMU",
	     JM_PLATFORM, "%s", cli_wl_vfio_mig, .iommu = true,
	     .dev = PICK(fit_translated_4k, "nic0", NO_IOMMU_4K)),
	STEP("VFIO migration without an IOMMU: page by page", JM_DIRECT, "%s",
	     cli_wl_vfio_mig,
	     .dev = PICK(fit_coherent64, "nic0",
			 "no coherent device with 64-bit DMA to all of RAM on this platform")),
};

/* The device @p picks on @e's machine (@other: picked before), or NULL. */
static struct device *pick(const struct job_env *e, const struct job_pick *p,
			   struct device *other)
{
	struct device *d = p->pref ? sim_device(e->m, p->pref) : NULL;

	if (d && p->fit(e, d, other))
		return d;
	for (unsigned int i = 0; i < sim_device_count(e->m); i++) {
		d = sim_device_at(e->m, i);
		if (sim_device_present(d) && p->fit(e, d, other))
			return d;
	}
	return NULL;
}

static u64 ram_top(struct sim_machine *m)
{
	struct sim_mem_range r;
	u64 top = 0;

	for (unsigned int i = 0; i < sim_mem_range_count(m); i++)
		if (!sim_mem_range_get(m, i, &r) && !strcmp(r.kind, "ram"))
			top = max(top, (u64)(r.start + r.size));
	return top;
}

/*
 * Pick the step's devices into @o: NULL, or why the step cannot run on
 * this platform (in @why).
 */
static const char *step_devices(const struct job_env *e, const struct job_step *s,
				struct cli_wl_opts *o, char *why, size_t len)
{
	struct device *dev = NULL, *peer = NULL;

	if (s->iommu && !sim_iommu_group_count(e->m))
		return "this platform has no IOMMU";
	if (s->dev.fit) {
		dev = pick(e, &s->dev, NULL);
		/* the steps that want dma-direct's own addresses */
		if (!dev && sim_machine_is_confidential(e->m) &&
		    (s->dev.fit == fit_coherent64 || s->dev.fit == fit_dma32))
			return "this confidential guest bounces every streaming mapping";
		if (!dev)
			return s->dev.none;
		o->dev = sim_device_id(dev);
	}
	if (s->peer.fit) {
		peer = pick(e, &s->peer, dev);
		if (!peer && !s->peer.none)
			peer = dev;	/* the same device serves both */
		if (!peer)
			return s->peer.none;
		o->peer = sim_device_id(peer);
	}
	return s->needs ? s->needs(e, dev, peer, why, len) : NULL;
}

static void run_step(struct job *j, const struct job_step *s, struct sim_machine *m,
		     struct sim_machine *probe)
{
	const struct cli_out out = {
		.ctx = j, .id = cli_wl_id(s->fn), .say = job_out_say, .check = job_out_check,
		.mapped = job_out_mapped, .expect = job_out_expect,
	};
	const struct job_env e = { .m = m, .probe = probe, .ram_top = ram_top(m) };
	struct cli_wl_opts o = s->o;
	struct cli_wl_result res;
	char err[256] = "", why[256], devs[96];
	const char *skip;
	int ret;

	skip = step_devices(&e, s, &o, why, sizeof(why));
	if (!skip)
		snprintf(devs, sizeof(devs), s->devs, o.dev, o.peer);
	workload(j, s->name, m, NULL, skip ? "-" : devs);
	if (skip) {
		skip_step(j, skip);
		return;
	}
	if (s->note)
		note(j, s->note);
	ret = cli_wl_run(s->fn, m, &o, &out, &res, err, sizeof(err));
	if (ret == -EOPNOTSUPP && s->may_lack) {
		skip_step(j, err);
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
	if (s->fn == cli_wl_nvme && j->nr_wls && j->wls[j->nr_wls - 1].obj)
		j->wls[j->nr_wls - 1].cmb_transfers = res.nvme.model.cmb_accesses;
	if (s->after)
		s->after(j, m, &o, &res);
}

/* The sums of the workloads' statistics, for the totals line. */
struct job_totals {
	unsigned long maps, unmaps, map_errors, syncs, inval, faults, p2p;
	unsigned long long bounced, moved;
};

static void print_summary(struct job *j, struct sim_machine *m, struct job_totals *t)
{
	struct device *nvme = sim_device(m, "nvme0"), *nic = sim_device(m, "nic0");
	struct sim_iommu_iova_stats is;
	char c[8][48], b1[32], b2[32];

	workload_end(j);
	memset(t, 0, sizeof(*t));
	printf("\nSummary, per workload (DMA statistics of each):\n");
	for (unsigned int i = 0; i < j->nr_wls; i++) {
		const struct job_wl *w = &j->wls[i];
		const struct cli_stats *d = &w->delta;
		unsigned long p2p = d->dma.p2p_accesses + w->cmb_transfers;
		unsigned long faults = d->iommu_faults + d->access_errors;
		char cmds[64] = "";

		printf("  %s  %s  [%s]\n", w->failed ? "FAIL" : w->skipped[0] ? "SKIP" : "PASS",
		       w->name, w->label);
		if (w->skipped[0]) {
			printf("        %s\n", w->skipped);
			continue;
		}
		if (d->invalidations)
			snprintf(cmds, sizeof(cmds), " (%s)",
				 fmt_count(c[7], sizeof(c[7]), d->inval_commands,
					   "queued command", NULL));
		/* what each did; counters it left at zero are not shown */
		printf("        %s, %s moved by devices",
		       fmt_count(c[0], sizeof(c[0]), d->dma.maps, "streaming mapping", NULL),
		       fmt_bytes(b2, sizeof(b2), d->dma.dev_bytes));
		if (d->dma.syncs)
			printf(", %s", fmt_count(c[1], sizeof(c[1]), d->dma.syncs, "sync", NULL));
		if (d->invalidations)
			printf(", %s%s", fmt_count(c[2], sizeof(c[2]), d->invalidations,
						   "IOTLB invalidation", NULL), cmds);
		if (d->dma.bounced_bytes)
			printf(", %s bounced", fmt_bytes(b1, sizeof(b1), d->dma.bounced_bytes));
		if (p2p)
			printf(", %s%s", fmt_count(c[3], sizeof(c[3]), p2p, "P2P transfer", NULL),
			       w->cmb_transfers ? " (within the CMB)" : "");
		if (faults)
			printf(", %s", fmt_count(c[4], sizeof(c[4]), faults, "fault", NULL));
		if (d->debug_reports)
			printf(", %s", fmt_count(c[5], sizeof(c[5]), d->debug_reports,
						 "dma-debug report", NULL));
		printf("\n");
		t->maps += d->dma.maps;
		t->unmaps += d->dma.unmaps;
		t->map_errors += d->dma.map_errors;
		t->syncs += d->dma.syncs;
		t->inval += d->invalidations;
		t->faults += faults;
		t->p2p += p2p;
		t->bounced += d->dma.bounced_bytes;
		t->moved += d->dma.dev_bytes;
	}
	for (int k = 0; k < 2; k++) {
		struct device *dv = k ? nic : nvme;

		/* below one switch without ACS they share a group and domain */
		if (k && nvme && iommu_get_domain_for_dev(nvme) == iommu_get_domain_for_dev(dv))
			continue;
		if (dv && !sim_iommu_iova_stats(dv, &is))
			printf("  %s's DMA domain [%s]: %s, %s of IOVA live, at most %s taken from the allocator\n",
			       sim_device_id(dv), label_of(j, m),
			       fmt_count(c[0], sizeof(c[0]), (unsigned long long)sim_iommu_pt_pages(dv),
					 "page-table page", NULL),
			       fmt_bytes(b1, sizeof(b1), is.live),
			       fmt_bytes(b2, sizeof(b2), is.peak_held));
	}
}

static void next_line(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "  COMMAND   what it shows", the commands in a column. */
static void next_line(const char *what, const char *fmt, ...)
{
	char cmd[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	printf("  %-46s  %s\n", cmd, what);
}

/* The last lines: what to try next, on this platform. */
static void print_next(const struct job *j, struct sim_machine *m)
{
	const char *p = j->o->platform;
	struct device *prov = NULL, *cli = NULL, *nvme = sim_device(m, "nvme0");
	char pf[520] = "";

	if (p)
		snprintf(pf, sizeof(pf), " -p %s", p);
	/* a P2P pair to explain: an NVMe drive or GPU with a P2P BAR, and another */
	for (unsigned int i = 0; i < sim_device_count(m) && !prov; i++) {
		struct device *d = sim_device_at(m, i);
		struct sim_node *n = sim_node_find(m, sim_device_id(d));

		if ((is_kind(d, "nvme") || is_kind(d, "gpu")) && n &&
		    sim_device_present(d) &&
		    cli_p2p_provider_bar(n) >= 0)
			prov = d;
	}
	for (unsigned int i = 0; i < sim_device_count(m) && prov && !cli; i++) {
		struct device *d = sim_device_at(m, i);

		if (sim_device_is_endpoint(d) && sim_device_present(d) && d != prov)
			cli = d;
	}
	printf("\nNext:\n");
	if (j->failed && !j->o->verbose)
		next_line("every report as it happens", "dmastack -v%s", pf);
	next_line("the workloads, one at a time, and their parameters", "dmastack run --help");
	if (nvme && is_kind(nvme, "nvme"))
		next_line("one of them, on this platform", "dmastack run%s nvme rw=randrw bs=64K iodepth=8",
			  pf);
	else
		next_line("one of them, on its built-in platform", "dmastack run bounce count=4");
	next_line("the platform as a picture", "dmastack topo%s --dot | dot -Tsvg > topo.svg", pf);
	if (prov && cli)
		next_line("how one device reaches another's P2P memory", "dmastack p2p%s --explain %s %s",
			  pf, sim_device_id(prov), sim_device_id(cli));
	next_line("map and unmap latencies, as dma_map_benchmark", "dmastack bench");
	next_line("the built-in platforms, to print, edit and use with -p", "dmastack platforms");
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

/*
 * @text with every IOMMU in @mode, parsed; @what names the variant when it
 * cannot be built.
 */
static struct sim_machine *variant(const char *text, const char *mode, const char *what,
				   char *err, size_t len)
{
	char *t = text ? cli_text_with_iommu_mode(text, mode) : NULL;
	struct sim_machine *m = t ? sim_machine_parse(t, err, len) : NULL;

	if (!t)
		snprintf(err, len, "out of memory");
	if (!m)
		fprintf(stderr, "dmastack: cannot build the %s machine: %s\n", what, err);
	free(t);
	return m;
}

static struct sim_machine *builtin(const char *text, const char *what)
{
	char err[256];
	struct sim_machine *m = sim_machine_parse(text, err, sizeof(err));

	if (!m)
		fprintf(stderr, "dmastack: cannot build the %s machine: %s\n", what, err);
	return m;
}

int cmd_mainjob(const struct cli_opts *o)
{
	static const char *const roles[JM_NR] = {
		[JM_PLATFORM] = "lazy IOMMU", [JM_DIRECT] = "without IOMMU",
		[JM_STRICT] = "strict IOMMU", [JM_ARM64] = "arm64 64K",
		[JM_CC] = "confidential guest", [JM_P2P_SWITCH] = "P2P below a switch",
	};
	struct job j = { .o = o };
	struct sim_machine *mach[JM_NR] = { NULL }, *m, *probe;
	char labels[JM_NR][96];
	const char *label_ptrs[JM_NR];
	unsigned long debug = 0, faults = 0, unexpected;
	unsigned int skipped = 0;
	struct sim_dma_stats st;
	struct cli_trace trace = { 0 };
	struct job_totals tot;
	json_object *root;
	char err[256];
	char *text;
	const int nm = JM_NR;
	int ret = 2;

	/* the platform as -p names it (its errors name the file), then its variants */
	probe = cli_load_machine(o);
	if (!probe)
		return 2;
	text = cli_platform_text(o);
	if (!text) {
		fprintf(stderr, "dmastack: cannot read %s: %s\n", o->platform, strerror(errno));
		goto out;
	}
	mach[JM_PLATFORM] = variant(text, "lazy", roles[JM_PLATFORM], err, sizeof(err));
	mach[JM_DIRECT] = variant(text, "off", roles[JM_DIRECT], err, sizeof(err));
	mach[JM_STRICT] = variant(text, "strict", roles[JM_STRICT], err, sizeof(err));
	free(text);
	mach[JM_ARM64] = builtin(cli_arm64_64k_platform, roles[JM_ARM64]);
	mach[JM_CC] = builtin(cli_cc_guest_platform, roles[JM_CC]);
	mach[JM_P2P_SWITCH] = builtin(cli_p2p_switch_platform, roles[JM_P2P_SWITCH]);
	for (int i = 0; i < nm; i++)
		if (!mach[i])
			goto out;
	m = mach[JM_PLATFORM];
	/* each section names the variant it runs on */
	for (int i = 0; i < nm; i++) {
		bool iommu = sim_iommu_group_count(mach[i]) > 0;

		if (i == JM_PLATFORM || i == JM_STRICT)
			snprintf(labels[i], sizeof(labels[i]), "%s, %s", sim_machine_name(mach[i]),
				 !iommu ? "no IOMMU" : i == JM_STRICT ? "IOMMU strict" : "IOMMU lazy");
		else if (i == JM_DIRECT)
			snprintf(labels[i], sizeof(labels[i]), "%s, IOMMU off",
				 sim_machine_name(mach[i]));
		else	/* the same name as a -p platform's, maybe: say which */
			snprintf(labels[i], sizeof(labels[i]), "%s (built-in)",
				 sim_machine_name(mach[i]));
		label_ptrs[i] = labels[i];
	}
	j.mach = mach;
	j.labels = label_ptrs;
	j.nr_mach = JM_NR;
	if (cli_trace_open(o, &trace))
		goto out;
	for (int i = 0; i < nm; i++) {
		cli_trace_attach(o, &trace, mach[i]);
		if (o->verbose)
			sim_report_echo(mach[i], stderr);
	}
	j.workloads = json_object_new_array();
	j.maps_all = json_object_new_array();

	job_printf(&j, "dmastack main job on %s (%s, %s RAM, %s)%s\n"
		   "then on the built-in %s, %s and %s platforms\n",
		   sim_machine_name(m), sim_machine_arch(m),
		   fmt_bytes(err, sizeof(err), sim_ram_size(m)),
		   fmt_count(err + 64, sizeof(err) - 64, sim_device_count(m), "device", NULL),
		   sim_iommu_group_count(m) ? ", with every IOMMU lazy, strict and off,"
					    : ", which has no IOMMU,",
		   sim_machine_name(mach[JM_ARM64]), sim_machine_name(mach[JM_CC]),
		   sim_machine_name(mach[JM_P2P_SWITCH]));
	for (unsigned int i = 0; i < ARRAY_SIZE(job_steps); i++)
		run_step(&j, &job_steps[i], mach[job_steps[i].mach], probe);

	workload(&j, "teardown: nothing left behind", m, "every machine", "all");
	{
		bool clean = true, pages = true;

		for (int i = 0; i < nm; i++)
			clean &= sim_dma_debug_entries(mach[i], NULL) == 0;
		check(&j, "job.no_live_mappings", clean, false, "no live mappings or allocations remain (dma-debug)");
		sim_dma_stats_get(m, &st);
		/* the drivers' own pages (queues, pools) go with their unbind */
		for (int i = 0; i < nm; i++) {
			finish_machine(&j, mach[i], &debug, &faults);
			/*
			 * the slab caches keep their last slabs; page tables
			 * and queues stay allocated with the IOMMU's domains
			 */
			pages &= sim_iommu_group_count(mach[i]) ||
				 sim_ram_pages_allocated(mach[i]) == sim_slab_pages(mach[i]);
		}
		check(&j, "job.pages_returned", pages, false, "every page returned to the allocator (devices unbound)");
	}
	unexpected = (debug - j.expected.debug) + (faults - j.expected.faults);
	{
		char c1[48], c2[48];

		check(&j, "job.no_unexpected_reports", debug == j.expected.debug && faults == j.expected.faults, false,
		      "no unexpected dma-debug reports or faults (%s, %s, all provoked)",
		      fmt_count(c1, sizeof(c1), debug, "dma-debug report", NULL),
		      fmt_count(c2, sizeof(c2), faults, "fault", NULL));
	}

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
		char c[6][48], b1[32], b2[32];


		print_summary(&j, m, &tot);
		for (unsigned int i = 0; i < j.nr_wls; i++)
			skipped += j.wls[i].skipped[0] != 0;
		printf("\nTotals over every workload: %s, %s, %s, %s,\n"
		       "  %s, %s bounced, %s moved by devices, %s\n",
		       fmt_count(c[0], sizeof(c[0]), tot.maps, "streaming mapping", NULL),
		       fmt_count(c[1], sizeof(c[1]), tot.unmaps, "unmap", NULL),
		       fmt_count(c[2], sizeof(c[2]), tot.map_errors, "map error", NULL),
		       fmt_count(c[3], sizeof(c[3]), tot.syncs, "sync", NULL),
		       fmt_count(c[4], sizeof(c[4]), tot.inval, "IOTLB invalidation", NULL),
		       fmt_bytes(b1, sizeof(b1), tot.bounced),
		       fmt_bytes(b2, sizeof(b2), tot.moved),
		       fmt_count(c[5], sizeof(c[5]), tot.p2p, "P2P transfer", NULL));
		printf("\nverdict: %s — %s, %u failed, %s caught, %s",
		       j.failed ? "FAIL" : "PASS",
		       fmt_count(c[0], sizeof(c[0]), j.checks, "check", NULL), j.failed,
		       fmt_count(c[1], sizeof(c[1]), j.provoked, "provoked bug", NULL),
		       fmt_count(c[2], sizeof(c[2]), unexpected, "unexpected report", NULL));
		if (skipped)
			printf(", %s skipped (the platform lacks what they need)",
			       fmt_count(c[3], sizeof(c[3]), skipped, "workload", NULL));
		printf("\n");
		if (j.failed && !o->verbose)
			for (int i = 0; i < nm; i++) {
				printf("\nreports from %s (%s):\n", labels[i], roles[i]);
				sim_report_dump(mach[i], stdout);
			}
		print_next(&j, m);
	}
	json_object_put(root);
	ret = j.failed ? 1 : 0;
out:
	free(j.wls);
	for (int i = 0; i < nm; i++)
		sim_machine_destroy(mach[i]);
	sim_machine_destroy(probe);
	/* the machines are gone: the trace.dat has every event */
	if (cli_trace_close(o, &trace) && !ret)
		ret = 1;
	return ret;
}
