// SPDX-License-Identifier: MIT
/*
 * DMA trace events, written in the kernel's trace text format
 * (include/trace/events/dma.h as printed by /sys/kernel/tracing/trace):
 *
 *   dmastack-1      [000] .....     0.012345: dma_map_phys: 0000:03:00.0 dir=TO_DEVICE ...
 *
 * Everything in a line depends only on the program and the platform, so
 * the same run gives the same trace on any host, pinned to any CPU: the
 * timestamp is the machine clock (sim_clock_now(), seconds.microseconds as
 * ftrace prints them), the CPU is the calling thread's index in the
 * machine (sim_thread_id(), hw/thread.c, the "CPU" per-CPU data is indexed
 * by), and the PID is that index plus one (a thread without an index
 * prints CPU 0, PID 0).
 *
 * Besides the DMA API's events (include/trace/events/dma.h) the trace has
 * the IOMMU's (include/trace/events/iommu.h: map, unmap, io_page_fault),
 * the IOVA API's (dma_iova_*, in the style of dma.h), and every report
 * (dma-debug, DMA and IOMMU faults, warnings) as a dmastack_report event at
 * the moment it is made, so a report reads beside the calls that led to it.
 *
 * Device accesses (every TLP that reaches RAM or a BAR) are events too
 * when asked for (sim_trace_set_accesses()): dmastack_dev_access, one per
 * TLP, on the requester's thread.
 *
 * Events are emitted only while a trace file is set, so the cost when
 * tracing is off is one pointer test.
 */
#include <string.h>
#include "dma.h"

static void trace_report(struct sim_machine *m, struct device *dev,
			 const struct sim_report *r, unsigned int flags);

/* A device's TLP, as an event when device accesses are traced. */
static bool trace_bus_access(struct sim_bus_observer *o,
			     const struct sim_bus_access *a, bool spoke)
{
	struct sim_trace *t = container_of(o, struct sim_trace, obs);
	struct sim_machine *m;
	char where[32];

	(void)spoke;
	if (!atomic_load_explicit(&t->accesses, memory_order_relaxed) ||
	    !a->txn || !a->txn->dev)
		return false;
	m = a->txn->dev->sim;
	if (a->target == SIM_BUS_RAM)
		snprintf(where, sizeof(where), "ram");
	else
		snprintf(where, sizeof(where), "%s bar%d",
			 a->owner ? dev_name(a->owner) : "?", a->bar);
	sim_trace_emit(m, "dmastack_dev_access",
		       "%s %s addr=%#llx phys=%#llx len=%zu target=%s%s",
		       dev_name(a->txn->dev), a->txn->write ? "write" : "read",
		       (unsigned long long)a->addr,
		       (unsigned long long)a->phys, a->len, where,
		       a->via_root ? "" : " peer");
	return false;
}

static const struct sim_bus_observer_ops trace_bus_ops = {
	.access = trace_bus_access,
};

void sim_trace_init(struct sim_machine *m)
{
	pthread_mutex_init(&m->kernel->trace.lock, NULL);
	pthread_mutex_lock(&m->log.lock);
	m->log.hook = trace_report;
	pthread_mutex_unlock(&m->log.lock);
	m->kernel->trace.obs.ops = &trace_bus_ops;
	m->kernel->trace.obs.group = SIM_BUS_GROUP_TRACE;
	/* an observer slot is all it needs: nothing to fail on but -ENOSPC */
	if (sim_bus_observer_add(m, &m->kernel->trace.obs))
		m->kernel->trace.obs.ops = NULL;
}

void sim_trace_fini(struct sim_machine *m)
{
	if (m->kernel->trace.obs.ops)
		sim_bus_observer_del(m, &m->kernel->trace.obs);
	pthread_mutex_lock(&m->log.lock);
	m->log.hook = NULL;
	pthread_mutex_unlock(&m->log.lock);
	pthread_mutex_destroy(&m->kernel->trace.lock);
}

/**
 * sim_trace_set_accesses - trace every device access (TLP) of @m too
 * @on: true to add dmastack_dev_access events to the trace
 *
 * Off by default: a 1 MiB transfer is 256 events.
 */
void sim_trace_set_accesses(struct sim_machine *m, bool on)
{
	if (m && m->kernel)
		atomic_store(&m->kernel->trace.accesses, on);
}

void sim_trace_set_file(struct sim_machine *m, FILE *f)
{
	pthread_mutex_lock(&m->kernel->trace.lock);
	m->kernel->trace.f = f;
	/* One header per file, even when several machines share it. */
	if (f && ftell(f) <= 0)
		fprintf(f, "# tracer: nop\n#\n"
			   "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
			   "#              | |         |   |||||     |         |\n");
	pthread_mutex_unlock(&m->kernel->trace.lock);
}

unsigned long sim_trace_events(struct sim_machine *m)
{
	return atomic_load(&m->kernel->trace.events);
}

void sim_trace_emit(struct sim_machine *m, const char *event,
		    const char *fmt, ...)
{
	char body[1024];
	int cpu = sim_thread_id(m);
	va_list ap;
	u64 t;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&m->kernel->trace.lock);
	/* read under the lock: the lines of a file stay in time order */
	t = sim_clock_now(m);
	if (m->kernel->trace.f) {
		fprintf(m->kernel->trace.f, "%16s-%-7d [%03d] ..... %5llu.%06llu: %s: %s\n",
			"dmastack", cpu < 0 ? 0 : cpu + 1, cpu < 0 ? 0 : cpu,
			(unsigned long long)(t / 1000000000ULL),
			(unsigned long long)(t % 1000000000ULL) / 1000, event,
			body);
		atomic_fetch_add(&m->kernel->trace.events, 1);
	}
	pthread_mutex_unlock(&m->kernel->trace.lock);
}

static const char *decode_dir(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL: return "BIDIRECTIONAL";
	case DMA_TO_DEVICE: return "TO_DEVICE";
	case DMA_FROM_DEVICE: return "FROM_DEVICE";
	case DMA_NONE: return "NONE";
	}
	return "INVALID";
}

static const char *decode_attrs(unsigned long attrs, char *buf, size_t len)
{
	static const struct { unsigned long bit; const char *name; } names[] = {
		{ DMA_ATTR_WEAK_ORDERING, "WEAK_ORDERING" },
		{ DMA_ATTR_WRITE_COMBINE, "WRITE_COMBINE" },
		{ DMA_ATTR_NO_KERNEL_MAPPING, "NO_KERNEL_MAPPING" },
		{ DMA_ATTR_SKIP_CPU_SYNC, "SKIP_CPU_SYNC" },
		{ DMA_ATTR_FORCE_CONTIGUOUS, "FORCE_CONTIGUOUS" },
		{ DMA_ATTR_ALLOC_SINGLE_PAGES, "ALLOC_SINGLE_PAGES" },
		{ DMA_ATTR_NO_WARN, "NO_WARN" },
		{ DMA_ATTR_PRIVILEGED, "PRIVILEGED" },
		{ DMA_ATTR_MMIO, "MMIO" },
	};
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (attrs & names[i].bit)
			pos += (size_t)snprintf(buf + pos, pos < len ? len - pos : 0,
						"%s%s", pos ? "|" : "",
						names[i].name);
	return buf;
}

void trace_dma_map_phys(struct device *dev, phys_addr_t phys, dma_addr_t addr,
			size_t size, enum dma_data_direction dir,
			unsigned long attrs)
{
	char a[160];

	if (!sim_trace_on(dev->sim))
		return;
	sim_trace_emit(dev->sim, "dma_map_phys",
		       "%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s",
		       dev_name(dev), decode_dir(dir), (unsigned long long)addr,
		       size, (unsigned long long)phys,
		       decode_attrs(attrs, a, sizeof(a)));
}

void trace_dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs)
{
	char a[160];

	if (!sim_trace_on(dev->sim))
		return;
	sim_trace_emit(dev->sim, "dma_unmap_phys",
		       "%s dir=%s dma_addr=%llx size=%zu attrs=%s",
		       dev_name(dev), decode_dir(dir), (unsigned long long)addr,
		       size, decode_attrs(attrs, a, sizeof(a)));
}

/*
 * Arrays print as the kernel's __print_array() does: "{0x1000,0x2000}",
 * every element in hex. Very long lists end in ",..." here.
 */
static void sg_list(char *buf, size_t len, struct scatterlist *sgl, int n,
		    int what)
{
	struct scatterlist *sg;
	size_t pos = 0;
	int i;

	pos += (size_t)snprintf(buf, len, "{");
	for_each_sg(sgl, sg, n, i) {
		unsigned long long v = what == 0 ? sg_dma_address(sg) :
				       what == 1 ? sg_dma_len(sg) : sg_phys(sg);

		if (pos + 24 >= len) {
			pos += (size_t)snprintf(buf + pos, len - pos, ",...");
			break;
		}
		pos += (size_t)snprintf(buf + pos, len - pos, "%s0x%llx",
					i ? "," : "", v);
	}
	if (pos + 2 < len)
		snprintf(buf + pos, len - pos, "}");
}

void trace_dma_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      int ents, enum dma_data_direction dir,
		      unsigned long attrs)
{
	char d[1024], s[1024], p[1024], a[160];

	if (!sim_trace_on(dev->sim))
		return;
	sg_list(d, sizeof(d), sgl, ents, 0);
	sg_list(s, sizeof(s), sgl, ents, 1);
	sg_list(p, sizeof(p), sgl, nents, 2);
	sim_trace_emit(dev->sim, "dma_map_sg",
		       "%s dir=%s dma_addrs=%s sizes=%s phys_addrs=%s attrs=%s",
		       dev_name(dev), decode_dir(dir), d, s, p,
		       decode_attrs(attrs, a, sizeof(a)));
}

void trace_dma_map_sg_err(struct device *dev, struct scatterlist *sgl,
			  int nents, int err, enum dma_data_direction dir,
			  unsigned long attrs)
{
	char p[1024], a[160];

	if (!sim_trace_on(dev->sim))
		return;
	sg_list(p, sizeof(p), sgl, nents, 2);
	sim_trace_emit(dev->sim, "dma_map_sg_err",
		       "%s dir=%s dma_addrs=%s err=%d attrs=%s", dev_name(dev),
		       decode_dir(dir), p, err,
		       decode_attrs(attrs, a, sizeof(a)));
}

void trace_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			int nents, enum dma_data_direction dir,
			unsigned long attrs)
{
	char p[1024], a[160];

	if (!sim_trace_on(dev->sim))
		return;
	sg_list(p, sizeof(p), sgl, nents, 2);
	sim_trace_emit(dev->sim, "dma_unmap_sg", "%s dir=%s phys_addrs=%s attrs=%s",
		       dev_name(dev), decode_dir(dir), p,
		       decode_attrs(attrs, a, sizeof(a)));
}

void trace_dma_sync_single(struct device *dev, const char *event,
			   dma_addr_t addr, size_t size,
			   enum dma_data_direction dir)
{
	if (!sim_trace_on(dev->sim))
		return;
	sim_trace_emit(dev->sim, event, "%s dir=%s dma_addr=%llx size=%zu",
		       dev_name(dev), decode_dir(dir), (unsigned long long)addr,
		       size);
}

void trace_dma_sync_sg(struct device *dev, const char *event,
		       struct scatterlist *sgl, int nents,
		       enum dma_data_direction dir)
{
	char d[1024], s[1024];

	if (!sim_trace_on(dev->sim))
		return;
	sg_list(d, sizeof(d), sgl, nents, 0);
	sg_list(s, sizeof(s), sgl, nents, 1);
	sim_trace_emit(dev->sim, event, "%s dir=%s dma_addrs=%s sizes=%s",
		       dev_name(dev), decode_dir(dir), d, s);
}

static const char *decode_gfp(gfp_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
		 (flags & GFP_ATOMIC) ? "GFP_ATOMIC" :
		 (flags & GFP_NOWAIT) ? "GFP_NOWAIT" : "GFP_KERNEL",
		 (flags & __GFP_ZERO) ? "|__GFP_ZERO" : "",
		 (flags & __GFP_NOWARN) ? "|__GFP_NOWARN" : "",
		 (flags & __GFP_DMA32) ? "|GFP_DMA32" : "");
	return buf;
}

/*
 * The kernel prints virt_addr with %p. A host pointer differs from run to
 * run, so a buffer in machine RAM prints as its x86-64 direct-map address
 * (0xffff888000000000 + phys), anything else as %p before the hash key is
 * ready does.
 */
static const char *trace_virt(struct sim_machine *m, const void *virt,
			      char *buf, size_t len)
{
	phys_addr_t phys = virt ? sim_virt_to_phys(m, virt) : 0;

	if (!virt)
		snprintf(buf, len, "0000000000000000");
	else if (phys == (phys_addr_t)-1)
		snprintf(buf, len, "(____ptrval____)");
	else
		snprintf(buf, len, "%016llx",
			 0xffff888000000000ULL + (unsigned long long)phys);
	return buf;
}

void trace_dma_alloc(struct device *dev, const char *event, void *virt,
		     dma_addr_t addr, size_t size,
		     enum dma_data_direction dir, gfp_t flags,
		     unsigned long attrs)
{
	char a[160], g[96], v[24];

	if (!sim_trace_on(dev->sim))
		return;
	sim_trace_emit(dev->sim, event,
		       "%s dir=%s dma_addr=%llx size=%zu virt_addr=%s flags=%s attrs=%s",
		       dev_name(dev), decode_dir(dir), (unsigned long long)addr,
		       size, trace_virt(dev->sim, virt, v, sizeof(v)),
		       decode_gfp(flags, g, sizeof(g)),
		       decode_attrs(attrs, a, sizeof(a)));
}

void trace_dma_free(struct device *dev, const char *event, void *virt,
		    dma_addr_t addr, size_t size,
		    enum dma_data_direction dir, unsigned long attrs)
{
	char a[160], v[24];

	if (!sim_trace_on(dev->sim))
		return;
	sim_trace_emit(dev->sim, event,
		       "%s dir=%s dma_addr=%llx size=%zu virt_addr=%s attrs=%s",
		       dev_name(dev), decode_dir(dir), (unsigned long long)addr,
		       size, trace_virt(dev->sim, virt, v, sizeof(v)),
		       decode_attrs(attrs, a, sizeof(a)));
}

/*
 * A non-contiguous allocation (NULL @sgt: it failed, dma_alloc_sgt_err):
 * its DMA range and the physical address of every entry.
 */
void trace_dma_alloc_sgt(struct device *dev, struct sg_table *sgt,
			 size_t size, enum dma_data_direction dir, gfp_t flags,
			 unsigned long attrs)
{
	char p[1024], a[160], g[96];

	if (!sim_trace_on(dev->sim))
		return;
	if (sgt)
		sg_list(p, sizeof(p), sgt->sgl, (int)sgt->orig_nents, 2);
	else
		snprintf(p, sizeof(p), "{}");
	sim_trace_emit(dev->sim, sgt ? "dma_alloc_sgt" : "dma_alloc_sgt_err",
		       "%s dir=%s dma_addr=%llx size=%zu phys_addrs=%s flags=%s attrs=%s",
		       dev_name(dev), decode_dir(dir),
		       sgt ? (unsigned long long)sg_dma_address(sgt->sgl) : 0ULL,
		       size, p, decode_gfp(flags, g, sizeof(g)),
		       decode_attrs(attrs, a, sizeof(a)));
}

void trace_dma_free_sgt(struct device *dev, struct sg_table *sgt,
			size_t size, enum dma_data_direction dir)
{
	char p[1024];

	if (!sim_trace_on(dev->sim))
		return;
	sg_list(p, sizeof(p), sgt->sgl, (int)sgt->orig_nents, 2);
	sim_trace_emit(dev->sim, "dma_free_sgt",
		       "%s dir=%s dma_addr=%llx size=%zu phys_addrs=%s",
		       dev_name(dev), decode_dir(dir),
		       (unsigned long long)sg_dma_address(sgt->sgl), size, p);
}

/* ------------------------------------------------------------------------ */
/* IOMMU (include/trace/events/iommu.h), the IOVA API, reports              */
/* ------------------------------------------------------------------------ */

void trace_iommu_map(struct sim_machine *m, unsigned long iova,
		     phys_addr_t paddr, size_t size)
{
	if (!sim_trace_on(m))
		return;
	sim_trace_emit(m, "map",
		       "IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu",
		       (unsigned long long)iova,
		       (unsigned long long)iova + size,
		       (unsigned long long)paddr, size);
}

void trace_iommu_unmap(struct sim_machine *m, unsigned long iova, size_t size,
		       size_t unmapped_size)
{
	if (!sim_trace_on(m))
		return;
	sim_trace_emit(m, "unmap",
		       "IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu",
		       (unsigned long long)iova,
		       (unsigned long long)iova + size, size, unmapped_size);
}

void trace_dma_iova(struct device *dev, const char *event, dma_addr_t addr,
		    size_t size, phys_addr_t phys, enum dma_data_direction dir,
		    unsigned long attrs, int ret)
{
	char a[160], p[40] = "", e[24] = "";
	bool link = !strcmp(event, "dma_iova_link");
	bool alloc = !strcmp(event, "dma_iova_alloc");

	if (!sim_trace_on(dev->sim))
		return;
	if (link || alloc)
		snprintf(p, sizeof(p), " phys_addr=%llx",
			 (unsigned long long)phys);
	if (ret)
		snprintf(e, sizeof(e), " err=%d", ret);
	if (alloc || !strcmp(event, "dma_iova_free") ||
	    !strcmp(event, "dma_iova_sync"))
		sim_trace_emit(dev->sim, event, "%s dma_addr=%llx size=%zu%s%s",
			       dev_name(dev), (unsigned long long)addr, size,
			       p, e);
	else
		sim_trace_emit(dev->sim, event,
			       "%s dir=%s dma_addr=%llx size=%zu%s attrs=%s%s",
			       dev_name(dev), decode_dir(dir),
			       (unsigned long long)addr, size, p,
			       decode_attrs(attrs, a, sizeof(a)), e);
}

/*
 * Every report as an event, when it is made. An IOMMU fault on a device
 * is first the kernel's io_page_fault (report_iommu_fault(): flags
 * IOMMU_FAULT_READ 0x0, IOMMU_FAULT_WRITE 0x1).
 */
static void trace_report(struct sim_machine *m, struct device *dev,
			 const struct sim_report *r, unsigned int flags)
{
	if (!m->kernel || !sim_trace_on(m))
		return;
	if (r->kind == SIM_REPORT_IOMMU_FAULT && dev)
		sim_trace_emit(m, "io_page_fault",
			       "IOMMU:%s %s iova=0x%016llx flags=0x%04x",
			       dev_driver_string(dev), dev_name(dev),
			       (unsigned long long)r->addr,
			       (flags & SIM_REPORT_F_WRITE) ? 1 : 0);
	sim_trace_emit(m, "dmastack_report",
		       "kind=%s device=%s addr=0x%llx len=%llu text=\"%s\"",
		       sim_report_kind_name(r->kind),
		       r->device[0] ? r->device : "-",
		       (unsigned long long)r->addr,
		       (unsigned long long)r->len, r->text);
}
