// SPDX-License-Identifier: MIT
/*
 * The workload library's shared pieces: output through a struct cli_out,
 * recorded mappings, provoked reports, rounds, data patterns, and the DMA
 * statistics a run reports.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include "wl.h"

void wl_say(const struct cli_out *out, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out->say(out->ctx, buf);
}

static bool wl_vcheck(const struct cli_out *out, const char *id, bool ok,
		      bool provoked, const char *fmt, va_list ap)
{
	char buf[320], full[96];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	snprintf(full, sizeof(full), "%s.%s", out->id ? out->id : "workload", id);
	return out->check(out->ctx, full, ok, provoked, buf);
}

bool wl_check(const struct cli_out *out, const char *id, bool ok, bool provoked,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ok = wl_vcheck(out, id, ok, provoked, fmt, ap);
	va_end(ap);
	return ok;
}

void wl_record(const struct cli_out *out, struct device *dev, const char *call,
	       phys_addr_t phys, size_t size, enum dma_data_direction dir,
	       dma_addr_t dma, unsigned long attrs)
{
	const struct cli_map_rec rec = {
		.dev = dev, .call = call, .phys = phys, .size = size,
		.dir = dir, .dma = dma, .attrs = attrs,
	};

	if (out->mapped)
		out->mapped(out->ctx, &rec);
}

dma_addr_t wl_map(const struct cli_out *out, struct device *dev,
		  phys_addr_t phys, size_t size, enum dma_data_direction dir,
		  unsigned long attrs)
{
	dma_addr_t a = dma_map_phys(dev, phys, size, dir, attrs);

	wl_record(out, dev, (attrs & DMA_ATTR_MMIO) ? "dma_map_phys(MMIO)" :
						      "dma_map_phys",
		  phys, size, dir, a, attrs);
	dma_mapping_error(dev, a);
	return a;
}

void wl_expect(const struct cli_out *out, const char *id, struct sim_machine *m,
	       enum sim_report_kind kind, unsigned long before,
	       unsigned long n, const char *what)
{
	unsigned long now = sim_report_count_kind(m, kind);

	if (out->expect)
		out->expect(out->ctx, kind, n);
	wl_check(out, id, now - before == n, true, "%s reported (%lu %s report%s)",
		 what, now - before,
		 kind == SIM_REPORT_DMA_DEBUG ? "dma-debug" : "DMA fault",
		 now - before == 1 ? "" : "s");
}

void cli_expected_add(struct cli_expected *e, enum sim_report_kind kind,
		      unsigned long n)
{
	if (kind == SIM_REPORT_DMA_DEBUG)
		e->debug += n;
	else
		e->faults += n;
}

void wl_fill(void *p, size_t n, u64 seed)
{
	u8 *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (u8)((i * 31 + seed * 97) ^ (i >> 9) ^ (seed >> 3));
}

u64 wl_rand(u64 *s)
{
	u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

struct device *wl_need_dev(struct sim_machine *m, const char *id,
			   const char *def, const char *role, char *err,
			   size_t errlen)
{
	struct device *d;

	if (!id)
		id = def;
	d = sim_device(m, id);
	if (!d)
		snprintf(err, errlen, "the platform has no device '%s' (%s)", id, role);
	return d;
}

bool wl_step(struct wl_rounds *r, const char *id, bool ok, bool provoked,
	     const char *fmt, ...)
{
	va_list ap;

	if (r->round) {
		if (!ok)
			r->failed++;
		return ok;
	}
	va_start(ap, fmt);
	ok = wl_vcheck(r->out, id, ok, provoked, fmt, ap);
	va_end(ap);
	return ok;
}

void wl_step_expect(struct wl_rounds *r, const char *id, struct sim_machine *m,
		    enum sim_report_kind kind, unsigned long before,
		    unsigned long n, const char *what)
{
	if (!r->round) {
		wl_expect(r->out, id, m, kind, before, n, what);
		return;
	}
	if (r->out->expect)
		r->out->expect(r->out->ctx, kind, n);
	if (sim_report_count_kind(m, kind) - before != n)
		r->failed++;
}

void wl_rounds_end(struct wl_rounds *r)
{
	if (r->count > 1)
		wl_check(r->out, "more_rounds", !r->failed, false,
			 "%llu more rounds, every step as in the first (%lu failed)",
			 (unsigned long long)(r->count - 1), r->failed);
}

const char *cli_wl_id(cli_wl_fn *fn)
{
	static const struct { cli_wl_fn *fn; const char *id; } ids[] = {
#define WL_ID(n) { cli_wl_##n, #n }
		WL_ID(coherent), WL_ID(noncoherent), WL_ID(bounce),
		WL_ID(coherent_alloc), WL_ID(mmio), WL_ID(confidential),
		WL_ID(iommu_lazy), WL_ID(iova_api), WL_ID(iommu_strict),
		WL_ID(untrusted), WL_ID(granule_64k), WL_ID(vfio_mig),
		WL_ID(dmabuf_p2p), WL_ID(nvme), WL_ID(odp),
#undef WL_ID
	};

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		if (ids[i].fn == fn)
			return ids[i].id;
	return "workload";
}

struct wl_call {
	cli_wl_fn *fn;
	struct sim_machine *m;
	const struct cli_wl_opts *o;
	const struct cli_out *out;
	struct cli_wl_result *res;
	char *err;
	size_t errlen;
	int ret;
};

static void *wl_thread(void *arg)
{
	struct wl_call *c = arg;
	char name[16];

	/* before any event: the task's comm (TASK_COMM_LEN, 15 characters) */
	snprintf(name, sizeof(name), "%s", cli_wl_id(c->fn));
	pthread_setname_np(pthread_self(), name);
	sim_set_current_machine(c->m);
	c->ret = c->fn(c->m, c->o, c->out, c->res, c->err, c->errlen);
	return NULL;
}

int cli_wl_run(cli_wl_fn *fn, struct sim_machine *m, const struct cli_wl_opts *o,
	       const struct cli_out *out, struct cli_wl_result *res, char *err,
	       size_t errlen)
{
	struct wl_call c = { fn, m, o, out, res, err, errlen, 0 };
	pthread_t th;

	if (pthread_create(&th, NULL, wl_thread, &c)) {
		c.ret = fn(m, o, out, res, err, errlen);
		return c.ret;
	}
	pthread_join(th, NULL);
	return c.ret;
}

void cli_stats_take(struct sim_machine *m, struct cli_stats *s)
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
