// SPDX-License-Identifier: MIT
/*
 * DMA trace events, written in the kernel's trace text format
 * (include/trace/events/dma.h as printed by /sys/kernel/tracing/trace):
 *
 *   dmastack-1      [000] .....     0.012345: dma_map_phys: 0000:03:00.0 dir=TO_DEVICE ...
 *
 * or as trace-cmd's trace.dat (src/kernel/dma/trace-dat.c), which
 * `trace-cmd report` and KernelShark open.
 *
 * Everything in a line depends only on the program and the platform, so
 * the same run gives the same trace on any host, pinned to any CPU: the
 * timestamp is the machine clock (sim_clock_now(), seconds.microseconds as
 * ftrace prints them), the CPU is the calling thread's index in the
 * machine (sim_thread_id(), hw/thread.c, the "CPU" per-CPU data is indexed
 * by; a thread without an index prints CPU 0), and the task is the
 * simulated one (sim_trace_task()): a kthread or kworker by its name and
 * pid, a user thread by the name it has (pthread_setname_np(); the
 * program's name unless set) and the pid its task got from the machine.
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
 * Every event is a record (trace-event.h): the table below gives each
 * event its fields as the kernel's format file names them, the print fmt
 * the trace.dat carries, and the function that prints the text line's
 * body from the same record. A trace_*() function fills the record and
 * sim_trace_record() hands it to the writers that are set.
 *
 * Events are emitted only while a trace file is set, so the cost when
 * tracing is off is one pointer test.
 */
#include <string.h>
#include "dma.h"
#include "trace-event.h"

static void trace_report(struct sim_machine *m, struct device *dev,
			 const struct sim_report *r, unsigned int flags);

/* ------------------------------------------------------------------------ */
/* Decoding, as the kernel's print fmts do                                  */
/* ------------------------------------------------------------------------ */

static const char *decode_dir(u64 dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL: return "BIDIRECTIONAL";
	case DMA_TO_DEVICE: return "TO_DEVICE";
	case DMA_FROM_DEVICE: return "FROM_DEVICE";
	case DMA_NONE: return "NONE";
	}
	return "INVALID";
}

static const char *decode_attrs(u64 attrs, char *buf, size_t len)
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

static const char *decode_gfp(u64 flags, char *buf, size_t len)
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
 * The print fmts' decoders, with the values of dmastack's headers (the
 * format file holds numbers, as the kernel's holds them once its enums
 * are evaluated).
 */
_Static_assert(DMA_BIDIRECTIONAL == 0 && DMA_TO_DEVICE == 1 &&
	       DMA_FROM_DEVICE == 2 && DMA_NONE == 3, "PF_DIR");
#define PF_DIR "__print_symbolic(REC->dir, { 0, \"BIDIRECTIONAL\" }, " \
	"{ 1, \"TO_DEVICE\" }, { 2, \"FROM_DEVICE\" }, { 3, \"NONE\" })"
_Static_assert(DMA_ATTR_WEAK_ORDERING == 0x2 && DMA_ATTR_WRITE_COMBINE == 0x4 &&
	       DMA_ATTR_NO_KERNEL_MAPPING == 0x10 &&
	       DMA_ATTR_SKIP_CPU_SYNC == 0x20 &&
	       DMA_ATTR_FORCE_CONTIGUOUS == 0x40 &&
	       DMA_ATTR_ALLOC_SINGLE_PAGES == 0x80 &&
	       DMA_ATTR_NO_WARN == 0x100 && DMA_ATTR_PRIVILEGED == 0x200 &&
	       DMA_ATTR_MMIO == 0x400, "PF_ATTRS");
#define PF_ATTRS "__print_flags(REC->attrs, \"|\", { 0x2, \"WEAK_ORDERING\" }, " \
	"{ 0x4, \"WRITE_COMBINE\" }, { 0x10, \"NO_KERNEL_MAPPING\" }, " \
	"{ 0x20, \"SKIP_CPU_SYNC\" }, { 0x40, \"FORCE_CONTIGUOUS\" }, " \
	"{ 0x80, \"ALLOC_SINGLE_PAGES\" }, { 0x100, \"NO_WARN\" }, " \
	"{ 0x200, \"PRIVILEGED\" }, { 0x400, \"MMIO\" })"
_Static_assert(GFP_ATOMIC == 0x800 && GFP_NOWAIT == 0x1000 &&
	       GFP_KERNEL == 0x10000 && __GFP_ZERO == 0x8000 &&
	       __GFP_NOWARN == 0x200 && __GFP_DMA32 == 0x4, "PF_GFP");
#define PF_GFP "__print_flags(REC->flags, \"|\", { 0x800, \"GFP_ATOMIC\" }, " \
	"{ 0x1000, \"GFP_NOWAIT\" }, { 0x10000, \"GFP_KERNEL\" }, " \
	"{ 0x8000, \"__GFP_ZERO\" }, { 0x200, \"__GFP_NOWARN\" }, " \
	"{ 0x4, \"GFP_DMA32\" })"
#define PF_ARRAY(f, sz) "__print_array(__get_dynamic_array(" f "), " \
	"__get_dynamic_array_len(" f ") / " #sz ", " #sz ")"

u64 trace_sg_value(struct scatterlist *sg, int what)
{
	return what == TSG_DMA ? sg_dma_address(sg) :
	       what == TSG_LEN ? sg_dma_len(sg) : sg_phys(sg);
}

/*
 * Arrays print as the kernel's __print_array() does: "{0x1000,0x2000}",
 * every element in hex. Very long lists end in ",..." here.
 */
static const char *sg_list(char *buf, size_t len, const union trace_val *v)
{
	struct scatterlist *sg;
	size_t pos = 0;
	int i;

	pos += (size_t)snprintf(buf, len, "{");
	for_each_sg(v->sg.sgl, sg, v->sg.n, i) {
		unsigned long long x = trace_sg_value(sg, v->sg.what);

		if (pos + 24 >= len) {
			pos += (size_t)snprintf(buf + pos, len - pos, ",...");
			break;
		}
		pos += (size_t)snprintf(buf + pos, len - pos, "%s0x%llx",
					i ? "," : "", x);
	}
	if (pos + 2 < len)
		snprintf(buf + pos, len - pos, "}");
	return buf;
}

/*
 * The kernel prints virt_addr with %p. A host pointer differs from run to
 * run, so a buffer in machine RAM prints as its x86-64 direct-map address
 * (0xffff888000000000 + phys), anything else as %p before the hash key is
 * ready does. The record holds the address (TRACE_VIRT_NONE: not in RAM).
 */
#define TRACE_VIRT_NONE (~0ULL)

static u64 trace_virt(struct sim_machine *m, const void *virt)
{
	phys_addr_t phys;

	if (!virt)
		return 0;
	phys = sim_virt_to_phys(m, virt);
	if (phys == (phys_addr_t)-1)
		return TRACE_VIRT_NONE;
	return 0xffff888000000000ULL + (u64)phys;
}

static const char *virt_str(u64 v, char *buf, size_t len)
{
	if (v == TRACE_VIRT_NONE)
		snprintf(buf, len, "(____ptrval____)");
	else
		snprintf(buf, len, "%016llx", (unsigned long long)v);
	return buf;
}

/* ------------------------------------------------------------------------ */
/* The events: fields, print fmt, text                                       */
/* ------------------------------------------------------------------------ */

#define F_NUM(t, n, sz, sgn) { t, n, sz, 0, sgn, TF_NUM }
#define F_U64(n)	F_NUM("u64", n, 8, false)
#define F_SIZE(n)	F_NUM("size_t", n, 8, false)
#define F_INT(n)	F_NUM("int", n, 4, true)
#define F_BOOL(n)	F_NUM("bool", n, 1, false)
#define F_UINT(n)	F_NUM("unsigned int", n, 4, false)
#define F_DIR		F_NUM("enum dma_data_direction", "dir", 4, false)
#define F_ATTRS		F_NUM("unsigned long", "attrs", 8, false)
#define F_GFP		F_NUM("gfp_t", "flags", 4, false)
#define F_STR(n)	{ "__data_loc char[]", n, 4, 0, false, TF_STR }
#define F_SG64(n)	{ "__data_loc u64[]", n, 4, 8, false, TF_SG }
#define F_SG32(n)	{ "__data_loc unsigned int[]", n, 4, 4, false, TF_SG }

#define ULL(x) ((unsigned long long)(x))

/* dma_map_phys: device, phys_addr, dma_addr, size, dir, attrs */
static const struct trace_field f_map_phys[] = {
	F_STR("device"), F_U64("phys_addr"), F_U64("dma_addr"), F_SIZE("size"),
	F_DIR, F_ATTRS,
};
static void t_map_phys(char *b, size_t n, const union trace_val *v)
{
	char a[160];

	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s",
		 v[0].s, decode_dir(v[4].u), ULL(v[2].u), (size_t)v[3].u,
		 ULL(v[1].u), decode_attrs(v[5].u, a, sizeof(a)));
}
#define P_MAP_PHYS "\"%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s\", " \
	"__get_str(device), " PF_DIR ", REC->dma_addr, REC->size, REC->phys_addr, " PF_ATTRS

/* dma_unmap_phys: device, addr, size, dir, attrs */
static const struct trace_field f_unmap_phys[] = {
	F_STR("device"), F_U64("addr"), F_SIZE("size"), F_DIR, F_ATTRS,
};
static void t_unmap_phys(char *b, size_t n, const union trace_val *v)
{
	char a[160];

	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu attrs=%s", v[0].s,
		 decode_dir(v[3].u), ULL(v[1].u), (size_t)v[2].u,
		 decode_attrs(v[4].u, a, sizeof(a)));
}
#define P_UNMAP_PHYS "\"%s dir=%s dma_addr=%llx size=%zu attrs=%s\", " \
	"__get_str(device), " PF_DIR ", REC->addr, REC->size, " PF_ATTRS

/*
 * dma_map_sg, as the kernel has it since its arrays were capped at
 * DMA_TRACE_MAX_ENTRIES: device, full_nents, full_ents, truncated,
 * phys_addrs[], dma_addrs[], lengths[] (at most 128 entries each), dir,
 * attrs. The kernel's print fmt spells the cap as min_t(); here it is a
 * conditional, which libtraceevent evaluates.
 */
#define DMA_TRACE_MAX_ENTRIES 128
static const struct trace_field f_map_sg[] = {
	F_STR("device"), F_INT("full_nents"), F_INT("full_ents"),
	F_BOOL("truncated"), F_SG64("phys_addrs"), F_SG64("dma_addrs"),
	F_SG32("lengths"), F_DIR, F_ATTRS,
};
static void t_map_sg(char *b, size_t n, const union trace_val *v)
{
	char d[1024], s[1024], p[1024], a[160];
	int nents = (int)v[1].u, ents = (int)v[2].u;

	snprintf(b, n, "%s dir=%s nents=%d/%d ents=%d/%d%s dma_addrs=%s sizes=%s phys_addrs=%s attrs=%s",
		 v[0].s, decode_dir(v[7].u),
		 min(nents, DMA_TRACE_MAX_ENTRIES), nents,
		 min(ents, DMA_TRACE_MAX_ENTRIES), ents,
		 v[3].u ? " [TRUNCATED]" : "", sg_list(d, sizeof(d), &v[5]),
		 sg_list(s, sizeof(s), &v[6]), sg_list(p, sizeof(p), &v[4]),
		 decode_attrs(v[8].u, a, sizeof(a)));
}
#define PF_CAP(f) "REC->" f " > 128 ? 128 : REC->" f
_Static_assert(DMA_TRACE_MAX_ENTRIES == 128, "PF_CAP");
#define P_MAP_SG "\"%s dir=%s nents=%d/%d ents=%d/%d%s dma_addrs=%s sizes=%s " \
	"phys_addrs=%s attrs=%s\", __get_str(device), " PF_DIR ", " \
	PF_CAP("full_nents") ", REC->full_nents, " PF_CAP("full_ents") \
	", REC->full_ents, REC->truncated ? \" [TRUNCATED]\" : \"\", " \
	PF_ARRAY("dma_addrs", 8) ", " PF_ARRAY("lengths", 4) ", " \
	PF_ARRAY("phys_addrs", 8) ", " PF_ATTRS

/* dma_map_sg_err: device, phys_addrs[], err, dir, attrs */
static const struct trace_field f_map_sg_err[] = {
	F_STR("device"), F_SG64("phys_addrs"), F_INT("err"), F_DIR, F_ATTRS,
};
static void t_map_sg_err(char *b, size_t n, const union trace_val *v)
{
	char p[1024], a[160];

	snprintf(b, n, "%s dir=%s dma_addrs=%s err=%d attrs=%s", v[0].s,
		 decode_dir(v[3].u), sg_list(p, sizeof(p), &v[1]), (int)v[2].u,
		 decode_attrs(v[4].u, a, sizeof(a)));
}
#define P_MAP_SG_ERR "\"%s dir=%s dma_addrs=%s err=%d attrs=%s\", " \
	"__get_str(device), " PF_DIR ", " PF_ARRAY("phys_addrs", 8) \
	", REC->err, " PF_ATTRS

/* dma_unmap_sg: device, addrs[], dir, attrs */
static const struct trace_field f_unmap_sg[] = {
	F_STR("device"), F_SG64("addrs"), F_DIR, F_ATTRS,
};
static void t_unmap_sg(char *b, size_t n, const union trace_val *v)
{
	char p[1024], a[160];

	snprintf(b, n, "%s dir=%s phys_addrs=%s attrs=%s", v[0].s,
		 decode_dir(v[2].u), sg_list(p, sizeof(p), &v[1]),
		 decode_attrs(v[3].u, a, sizeof(a)));
}
#define P_UNMAP_SG "\"%s dir=%s phys_addrs=%s attrs=%s\", __get_str(device), " \
	PF_DIR ", " PF_ARRAY("addrs", 8) ", " PF_ATTRS

/* dma_sync_single_for_{cpu,device}: device, dma_addr, size, dir */
static const struct trace_field f_sync_single[] = {
	F_STR("device"), F_U64("dma_addr"), F_SIZE("size"), F_DIR,
};
static void t_sync_single(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu", v[0].s,
		 decode_dir(v[3].u), ULL(v[1].u), (size_t)v[2].u);
}
#define P_SYNC_SINGLE "\"%s dir=%s dma_addr=%llx size=%zu\", __get_str(device), " \
	PF_DIR ", REC->dma_addr, REC->size"

/* dma_sync_sg_for_{cpu,device}: device, dma_addrs[], lengths[], dir */
static const struct trace_field f_sync_sg[] = {
	F_STR("device"), F_SG64("dma_addrs"), F_SG32("lengths"), F_DIR,
};
static void t_sync_sg(char *b, size_t n, const union trace_val *v)
{
	char d[1024], s[1024];

	snprintf(b, n, "%s dir=%s dma_addrs=%s sizes=%s", v[0].s,
		 decode_dir(v[3].u), sg_list(d, sizeof(d), &v[1]),
		 sg_list(s, sizeof(s), &v[2]));
}
#define P_SYNC_SG "\"%s dir=%s dma_addrs=%s sizes=%s\", __get_str(device), " \
	PF_DIR ", " PF_ARRAY("dma_addrs", 8) ", " PF_ARRAY("lengths", 4)

/* dma_alloc, dma_alloc_pages: device, virt_addr, dma_addr, size, dir, flags, attrs */
static const struct trace_field f_alloc[] = {
	F_STR("device"), F_U64("virt_addr"), F_U64("dma_addr"), F_SIZE("size"),
	F_DIR, F_GFP, F_ATTRS,
};
static void t_alloc(char *b, size_t n, const union trace_val *v)
{
	char a[160], g[96], va[24];

	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu virt_addr=%s flags=%s attrs=%s",
		 v[0].s, decode_dir(v[4].u), ULL(v[2].u), (size_t)v[3].u,
		 virt_str(v[1].u, va, sizeof(va)), decode_gfp(v[5].u, g, sizeof(g)),
		 decode_attrs(v[6].u, a, sizeof(a)));
}
#define P_ALLOC "\"%s dir=%s dma_addr=%llx size=%zu virt_addr=%016llx flags=%s attrs=%s\", " \
	"__get_str(device), " PF_DIR ", REC->dma_addr, REC->size, REC->virt_addr, " \
	PF_GFP ", " PF_ATTRS

/* dma_free, dma_free_pages: device, virt_addr, dma_addr, size, dir, attrs */
static const struct trace_field f_free[] = {
	F_STR("device"), F_U64("virt_addr"), F_U64("dma_addr"), F_SIZE("size"),
	F_DIR, F_ATTRS,
};
static void t_free(char *b, size_t n, const union trace_val *v)
{
	char a[160], va[24];

	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu virt_addr=%s attrs=%s",
		 v[0].s, decode_dir(v[4].u), ULL(v[2].u), (size_t)v[3].u,
		 virt_str(v[1].u, va, sizeof(va)),
		 decode_attrs(v[5].u, a, sizeof(a)));
}
#define P_FREE "\"%s dir=%s dma_addr=%llx size=%zu virt_addr=%016llx attrs=%s\", " \
	"__get_str(device), " PF_DIR ", REC->dma_addr, REC->size, REC->virt_addr, " PF_ATTRS

/* dma_alloc_sgt(_err): device, phys_addrs[], dma_addr, size, dir, flags, attrs */
static const struct trace_field f_alloc_sgt[] = {
	F_STR("device"), F_SG64("phys_addrs"), F_U64("dma_addr"), F_SIZE("size"),
	F_DIR, F_GFP, F_ATTRS,
};
static void t_alloc_sgt(char *b, size_t n, const union trace_val *v)
{
	char p[1024], a[160], g[96];

	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu phys_addrs=%s flags=%s attrs=%s",
		 v[0].s, decode_dir(v[4].u), ULL(v[2].u), (size_t)v[3].u,
		 sg_list(p, sizeof(p), &v[1]), decode_gfp(v[5].u, g, sizeof(g)),
		 decode_attrs(v[6].u, a, sizeof(a)));
}
#define P_ALLOC_SGT "\"%s dir=%s dma_addr=%llx size=%zu phys_addrs=%s flags=%s attrs=%s\", " \
	"__get_str(device), " PF_DIR ", REC->dma_addr, REC->size, " \
	PF_ARRAY("phys_addrs", 8) ", " PF_GFP ", " PF_ATTRS

/* dma_free_sgt: device, phys_addrs[], dma_addr, size, dir */
static const struct trace_field f_free_sgt[] = {
	F_STR("device"), F_SG64("phys_addrs"), F_U64("dma_addr"), F_SIZE("size"),
	F_DIR,
};
static void t_free_sgt(char *b, size_t n, const union trace_val *v)
{
	char p[1024];

	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu phys_addrs=%s", v[0].s,
		 decode_dir(v[4].u), ULL(v[2].u), (size_t)v[3].u,
		 sg_list(p, sizeof(p), &v[1]));
}
#define P_FREE_SGT "\"%s dir=%s dma_addr=%llx size=%zu phys_addrs=%s\", " \
	"__get_str(device), " PF_DIR ", REC->dma_addr, REC->size, " \
	PF_ARRAY("phys_addrs", 8)

/*
 * swiotlb_bounced, as include/trace/events/swiotlb.h has it: dev_name,
 * dma_mask, dev_addr, size, force.
 */
static const struct trace_field f_swiotlb[] = {
	F_STR("dev_name"), F_U64("dma_mask"), F_NUM("dma_addr_t", "dev_addr", 8, false),
	F_SIZE("size"), F_BOOL("force"),
};
static void t_swiotlb(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "dev_name: %s dma_mask=%llx dev_addr=%llx size=%zu %s",
		 v[0].s, ULL(v[1].u), ULL(v[2].u), (size_t)v[3].u,
		 v[4].u ? "FORCE" : "NORMAL");
}
#define P_SWIOTLB "\"dev_name: %s dma_mask=%llx dev_addr=%llx size=%zu %s\", " \
	"__get_str(dev_name), REC->dma_mask, (unsigned long long)REC->dev_addr, " \
	"REC->size, REC->force ? \"FORCE\" : \"NORMAL\""

/* dma_iova_alloc: device, dma_addr, size, phys_addr, err */
static const struct trace_field f_iova_alloc[] = {
	F_STR("device"), F_U64("dma_addr"), F_SIZE("size"), F_U64("phys_addr"),
	F_INT("err"),
};
static const char *err_str(u64 err, char *buf, size_t len)
{
	buf[0] = '\0';
	if (err)
		snprintf(buf, len, " err=%d", (int)err);
	return buf;
}
static void t_iova_alloc(char *b, size_t n, const union trace_val *v)
{
	char e[24];

	snprintf(b, n, "%s dma_addr=%llx size=%zu phys_addr=%llx%s", v[0].s,
		 ULL(v[1].u), (size_t)v[2].u, ULL(v[3].u),
		 err_str(v[4].u, e, sizeof(e)));
}
#define P_IOVA_ALLOC "\"%s dma_addr=%llx size=%zu phys_addr=%llx err=%d\", " \
	"__get_str(device), REC->dma_addr, REC->size, REC->phys_addr, REC->err"

/* dma_iova_free, dma_iova_sync: device, dma_addr, size, err */
static const struct trace_field f_iova_range[] = {
	F_STR("device"), F_U64("dma_addr"), F_SIZE("size"), F_INT("err"),
};
static void t_iova_range(char *b, size_t n, const union trace_val *v)
{
	char e[24];

	snprintf(b, n, "%s dma_addr=%llx size=%zu%s", v[0].s, ULL(v[1].u),
		 (size_t)v[2].u, err_str(v[3].u, e, sizeof(e)));
}
#define P_IOVA_RANGE "\"%s dma_addr=%llx size=%zu err=%d\", __get_str(device), " \
	"REC->dma_addr, REC->size, REC->err"

/* dma_iova_link: device, dma_addr, size, phys_addr, dir, attrs, err */
static const struct trace_field f_iova_link[] = {
	F_STR("device"), F_U64("dma_addr"), F_SIZE("size"), F_U64("phys_addr"),
	F_DIR, F_ATTRS, F_INT("err"),
};
static void t_iova_link(char *b, size_t n, const union trace_val *v)
{
	char a[160], e[24];

	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s%s",
		 v[0].s, decode_dir(v[4].u), ULL(v[1].u), (size_t)v[2].u,
		 ULL(v[3].u), decode_attrs(v[5].u, a, sizeof(a)),
		 err_str(v[6].u, e, sizeof(e)));
}
#define P_IOVA_LINK "\"%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s err=%d\", " \
	"__get_str(device), " PF_DIR ", REC->dma_addr, REC->size, REC->phys_addr, " \
	PF_ATTRS ", REC->err"

/* dma_iova_unlink, dma_iova_destroy: device, dma_addr, size, dir, attrs, err */
static const struct trace_field f_iova_unlink[] = {
	F_STR("device"), F_U64("dma_addr"), F_SIZE("size"), F_DIR, F_ATTRS,
	F_INT("err"),
};
static void t_iova_unlink(char *b, size_t n, const union trace_val *v)
{
	char a[160], e[24];

	snprintf(b, n, "%s dir=%s dma_addr=%llx size=%zu attrs=%s%s", v[0].s,
		 decode_dir(v[3].u), ULL(v[1].u), (size_t)v[2].u,
		 decode_attrs(v[4].u, a, sizeof(a)), err_str(v[5].u, e, sizeof(e)));
}
#define P_IOVA_UNLINK "\"%s dir=%s dma_addr=%llx size=%zu attrs=%s err=%d\", " \
	"__get_str(device), " PF_DIR ", REC->dma_addr, REC->size, " PF_ATTRS \
	", REC->err"

/* iommu map: iova, paddr, size */
static const struct trace_field f_iommu_map[] = {
	F_U64("iova"), F_U64("paddr"), F_SIZE("size"),
};
static void t_iommu_map(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu",
		 ULL(v[0].u), ULL(v[0].u + v[2].u), ULL(v[1].u), (size_t)v[2].u);
}
#define P_IOMMU_MAP "\"IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu\", " \
	"REC->iova, REC->iova + REC->size, REC->paddr, REC->size"

/* iommu unmap: iova, size, unmapped_size */
static const struct trace_field f_iommu_unmap[] = {
	F_U64("iova"), F_SIZE("size"), F_SIZE("unmapped_size"),
};
static void t_iommu_unmap(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu",
		 ULL(v[0].u), ULL(v[0].u + v[1].u), (size_t)v[1].u,
		 (size_t)v[2].u);
}
#define P_IOMMU_UNMAP "\"IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu\", " \
	"REC->iova, REC->iova + REC->size, REC->size, REC->unmapped_size"

/* io_page_fault: device, driver, iova, flags */
static const struct trace_field f_io_page_fault[] = {
	F_STR("device"), F_STR("driver"), F_U64("iova"), F_INT("flags"),
};
static void t_io_page_fault(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "IOMMU:%s %s iova=0x%016llx flags=0x%04x", v[1].s,
		 v[0].s, ULL(v[2].u), (unsigned int)v[3].u);
}
#define P_IO_PAGE_FAULT "\"IOMMU:%s %s iova=0x%016llx flags=0x%04x\", " \
	"__get_str(driver), __get_str(device), REC->iova, REC->flags"

/* irq_handler_entry: irq, name; irq_handler_exit: irq, ret */
static const struct trace_field f_irq_entry[] = {
	F_INT("irq"), F_STR("name"),
};
static void t_irq_entry(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "irq=%u name=%s", (unsigned int)v[0].u, v[1].s);
}
#define P_IRQ_ENTRY "\"irq=%d name=%s\", REC->irq, __get_str(name)"
static const struct trace_field f_irq_exit[] = {
	F_INT("irq"), F_INT("ret"),
};
static void t_irq_exit(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "irq=%u ret=%s", (unsigned int)v[0].u,
		 v[1].u ? "handled" : "unhandled");
}
#define P_IRQ_EXIT "\"irq=%d ret=%s\", REC->irq, __print_symbolic(REC->ret, " \
	"{ 0, \"unhandled\" }, { 1, \"handled\" })"

/* dmastack_report: kind, device, addr, len, text */
static const struct trace_field f_report[] = {
	F_STR("kind"), F_STR("device"), F_U64("addr"), F_U64("len"),
	F_STR("text"),
};
static void t_report(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "kind=%s device=%s addr=0x%llx len=%llu text=\"%s\"",
		 v[0].s, v[1].s, ULL(v[2].u), ULL(v[3].u), v[4].s);
}
#define P_REPORT "\"kind=%s device=%s addr=0x%llx len=%llu text=\\\"%s\\\"\", " \
	"__get_str(kind), __get_str(device), REC->addr, REC->len, __get_str(text)"

/* dmastack_dev_access: device, write, addr, phys, len, target, peer */
static const struct trace_field f_dev_access[] = {
	F_STR("device"), F_INT("write"), F_U64("addr"), F_U64("phys"),
	F_SIZE("len"), F_STR("target"), F_INT("peer"),
};
static void t_dev_access(char *b, size_t n, const union trace_val *v)
{
	snprintf(b, n, "%s %s addr=%#llx phys=%#llx len=%zu target=%s%s",
		 v[0].s, v[1].u ? "write" : "read", ULL(v[2].u), ULL(v[3].u),
		 (size_t)v[4].u, v[5].s, v[6].u ? " peer" : "");
}
#define P_DEV_ACCESS "\"%s %s addr=0x%llx phys=0x%llx len=%zu target=%s%s\", " \
	"__get_str(device), __print_symbolic(REC->write, { 0, \"read\" }, " \
	"{ 1, \"write\" }), REC->addr, REC->phys, REC->len, __get_str(target), " \
	"__print_symbolic(REC->peer, { 0, \"\" }, { 1, \" peer\" })"

#define EV(sys, name, f, p, t) { sys, name, f, ARRAY_SIZE(f), p, t }

enum {
	EV_MAP_PHYS, EV_UNMAP_PHYS, EV_MAP_SG, EV_MAP_SG_ERR, EV_UNMAP_SG,
	EV_ALLOC_SGT, EV_ALLOC_SGT_ERR, EV_FREE_SGT, EV_SWIOTLB, EV_IOMMU_MAP,
	EV_IOMMU_UNMAP, EV_IO_PAGE_FAULT, EV_IRQ_ENTRY, EV_IRQ_EXIT,
	EV_REPORT, EV_DEV_ACCESS,
	/* the events a caller names */
	EV_NAMED,
};

const struct trace_event trace_event_table[] = {
	[EV_MAP_PHYS] = EV("dma", "dma_map_phys", f_map_phys, P_MAP_PHYS, t_map_phys),
	[EV_UNMAP_PHYS] = EV("dma", "dma_unmap_phys", f_unmap_phys, P_UNMAP_PHYS, t_unmap_phys),
	[EV_MAP_SG] = EV("dma", "dma_map_sg", f_map_sg, P_MAP_SG, t_map_sg),
	[EV_MAP_SG_ERR] = EV("dma", "dma_map_sg_err", f_map_sg_err, P_MAP_SG_ERR, t_map_sg_err),
	[EV_UNMAP_SG] = EV("dma", "dma_unmap_sg", f_unmap_sg, P_UNMAP_SG, t_unmap_sg),
	[EV_ALLOC_SGT] = EV("dma", "dma_alloc_sgt", f_alloc_sgt, P_ALLOC_SGT, t_alloc_sgt),
	[EV_ALLOC_SGT_ERR] = EV("dma", "dma_alloc_sgt_err", f_alloc_sgt, P_ALLOC_SGT, t_alloc_sgt),
	[EV_FREE_SGT] = EV("dma", "dma_free_sgt", f_free_sgt, P_FREE_SGT, t_free_sgt),
	[EV_SWIOTLB] = EV("swiotlb", "swiotlb_bounced", f_swiotlb, P_SWIOTLB, t_swiotlb),
	[EV_IOMMU_MAP] = EV("iommu", "map", f_iommu_map, P_IOMMU_MAP, t_iommu_map),
	[EV_IOMMU_UNMAP] = EV("iommu", "unmap", f_iommu_unmap, P_IOMMU_UNMAP, t_iommu_unmap),
	[EV_IO_PAGE_FAULT] = EV("iommu", "io_page_fault", f_io_page_fault, P_IO_PAGE_FAULT, t_io_page_fault),
	[EV_IRQ_ENTRY] = EV("irq", "irq_handler_entry", f_irq_entry, P_IRQ_ENTRY, t_irq_entry),
	[EV_IRQ_EXIT] = EV("irq", "irq_handler_exit", f_irq_exit, P_IRQ_EXIT, t_irq_exit),
	[EV_REPORT] = EV("dmastack", "dmastack_report", f_report, P_REPORT, t_report),
	[EV_DEV_ACCESS] = EV("dmastack", "dmastack_dev_access", f_dev_access, P_DEV_ACCESS, t_dev_access),
	EV("dma", "dma_sync_single_for_cpu", f_sync_single, P_SYNC_SINGLE, t_sync_single),
	EV("dma", "dma_sync_single_for_device", f_sync_single, P_SYNC_SINGLE, t_sync_single),
	EV("dma", "dma_sync_sg_for_cpu", f_sync_sg, P_SYNC_SG, t_sync_sg),
	EV("dma", "dma_sync_sg_for_device", f_sync_sg, P_SYNC_SG, t_sync_sg),
	EV("dma", "dma_alloc", f_alloc, P_ALLOC, t_alloc),
	EV("dma", "dma_alloc_pages", f_alloc, P_ALLOC, t_alloc),
	EV("dma", "dma_free", f_free, P_FREE, t_free),
	EV("dma", "dma_free_pages", f_free, P_FREE, t_free),
	EV("dmastack", "dma_iova_alloc", f_iova_alloc, P_IOVA_ALLOC, t_iova_alloc),
	EV("dmastack", "dma_iova_free", f_iova_range, P_IOVA_RANGE, t_iova_range),
	EV("dmastack", "dma_iova_sync", f_iova_range, P_IOVA_RANGE, t_iova_range),
	EV("dmastack", "dma_iova_link", f_iova_link, P_IOVA_LINK, t_iova_link),
	EV("dmastack", "dma_iova_unlink", f_iova_unlink, P_IOVA_UNLINK, t_iova_unlink),
	EV("dmastack", "dma_iova_destroy", f_iova_unlink, P_IOVA_UNLINK, t_iova_unlink),
};
const unsigned int trace_event_count = ARRAY_SIZE(trace_event_table);

/* An event a caller names ("dma_sync_single_for_cpu"); NULL if unknown. */
static const struct trace_event *trace_event_named(const char *name)
{
	for (unsigned int i = EV_NAMED; i < trace_event_count; i++)
		if (!strcmp(trace_event_table[i].name, name))
			return &trace_event_table[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Writers                                                                  */
/* ------------------------------------------------------------------------ */

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
	if (!sim_trace_on(m))
		return false;
	if (a->target == SIM_BUS_RAM)
		snprintf(where, sizeof(where), "ram");
	else
		snprintf(where, sizeof(where), "%s bar%d",
			 a->owner ? dev_name(a->owner) : "?", a->bar);
	sim_trace_record(m, &trace_event_table[EV_DEV_ACCESS],
			 (union trace_val[]){
				 { .s = dev_name(a->txn->dev) },
				 { .u = a->txn->write ? 1 : 0 },
				 { .u = a->addr }, { .u = a->phys },
				 { .u = a->len }, { .s = where },
				 { .u = a->via_root ? 0 : 1 } });
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

/**
 * sim_trace_set_dat - write @m's trace events to the trace.dat writer @d
 * @d: from sim_trace_dat_open(), or NULL to stop
 *
 * Independent of sim_trace_set_file(): a machine may write both.
 */
void sim_trace_set_dat(struct sim_machine *m, struct sim_trace_dat *d)
{
	pthread_mutex_lock(&m->kernel->trace.lock);
	m->kernel->trace.dat = d;
	pthread_mutex_unlock(&m->kernel->trace.lock);
}

unsigned long sim_trace_events(struct sim_machine *m)
{
	return atomic_load(&m->kernel->trace.events);
}

/*
 * One event: its record @v (the fields of @ev, in order) to the text file
 * and to the trace.dat writer of @m, whichever are set.
 */
void sim_trace_record(struct sim_machine *m, const struct trace_event *ev,
		      const union trace_val *v)
{
	struct sim_trace *tr = &m->kernel->trace;
	int cpu = sim_thread_id(m);
	char body[1024], comm[16];	/* TASK_COMM_LEN */
	int pid = sim_trace_task(m, comm);
	u64 t;

	pthread_mutex_lock(&tr->lock);
	/* read under the lock: the lines of a file stay in time order */
	t = sim_clock_now(m);
	if (tr->f) {
		ev->text(body, sizeof(body), v);
		fprintf(tr->f, "%16s-%-7d [%03d] ..... %5llu.%06llu: %s: %s\n",
			comm, pid, cpu < 0 ? 0 : cpu,
			(unsigned long long)(t / 1000000000ULL),
			(unsigned long long)(t % 1000000000ULL) / 1000, ev->name,
			body);
	}
	if (tr->dat)
		trace_dat_add(tr->dat, m, cpu < 0 ? 0 : cpu, pid, comm, t, ev, v);
	if (tr->f || tr->dat)
		atomic_fetch_add(&tr->events, 1);
	pthread_mutex_unlock(&tr->lock);
}

/* ------------------------------------------------------------------------ */
/* The DMA API's events (include/trace/events/dma.h)                        */
/* ------------------------------------------------------------------------ */

#define DEV(d) { .s = dev_name(d) }
#define U(x) { .u = (u64)(x) }
#define SG(l, cnt, w) { .sg = { (l), (cnt), (w) } }
#define EMIT(m, idx, ...) \
	sim_trace_record(m, &trace_event_table[idx], (union trace_val[]){ __VA_ARGS__ })

void trace_dma_map_phys(struct device *dev, phys_addr_t phys, dma_addr_t addr,
			size_t size, enum dma_data_direction dir,
			unsigned long attrs)
{
	if (!sim_trace_on(dev->sim))
		return;
	EMIT(dev->sim, EV_MAP_PHYS, DEV(dev), U(phys), U(addr), U(size), U(dir),
	     U(attrs));
}

void trace_dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs)
{
	if (!sim_trace_on(dev->sim))
		return;
	EMIT(dev->sim, EV_UNMAP_PHYS, DEV(dev), U(addr), U(size), U(dir),
	     U(attrs));
}

void trace_dma_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      int ents, enum dma_data_direction dir,
		      unsigned long attrs)
{
	int tn = min(nents, DMA_TRACE_MAX_ENTRIES), te = min(ents, DMA_TRACE_MAX_ENTRIES);

	if (!sim_trace_on(dev->sim))
		return;
	EMIT(dev->sim, EV_MAP_SG, DEV(dev), U(nents), U(ents),
	     U(nents > DMA_TRACE_MAX_ENTRIES || ents > DMA_TRACE_MAX_ENTRIES),
	     SG(sgl, tn, TSG_PHYS), SG(sgl, te, TSG_DMA), SG(sgl, te, TSG_LEN),
	     U(dir), U(attrs));
}

void trace_dma_map_sg_err(struct device *dev, struct scatterlist *sgl,
			  int nents, int err, enum dma_data_direction dir,
			  unsigned long attrs)
{
	if (!sim_trace_on(dev->sim))
		return;
	EMIT(dev->sim, EV_MAP_SG_ERR, DEV(dev), SG(sgl, nents, TSG_PHYS),
	     U((s64)err), U(dir), U(attrs));
}

void trace_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			int nents, enum dma_data_direction dir,
			unsigned long attrs)
{
	if (!sim_trace_on(dev->sim))
		return;
	EMIT(dev->sim, EV_UNMAP_SG, DEV(dev), SG(sgl, nents, TSG_PHYS), U(dir),
	     U(attrs));
}

void trace_dma_sync_single(struct device *dev, const char *event,
			   dma_addr_t addr, size_t size,
			   enum dma_data_direction dir)
{
	const struct trace_event *ev;

	if (!sim_trace_on(dev->sim) || !(ev = trace_event_named(event)))
		return;
	sim_trace_record(dev->sim, ev, (union trace_val[]){
		DEV(dev), U(addr), U(size), U(dir) });
}

void trace_dma_sync_sg(struct device *dev, const char *event,
		       struct scatterlist *sgl, int nents,
		       enum dma_data_direction dir)
{
	const struct trace_event *ev;

	if (!sim_trace_on(dev->sim) || !(ev = trace_event_named(event)))
		return;
	sim_trace_record(dev->sim, ev, (union trace_val[]){
		DEV(dev), SG(sgl, nents, TSG_DMA), SG(sgl, nents, TSG_LEN),
		U(dir) });
}

void trace_dma_alloc(struct device *dev, const char *event, void *virt,
		     dma_addr_t addr, size_t size,
		     enum dma_data_direction dir, gfp_t flags,
		     unsigned long attrs)
{
	const struct trace_event *ev;

	if (!sim_trace_on(dev->sim) || !(ev = trace_event_named(event)))
		return;
	sim_trace_record(dev->sim, ev, (union trace_val[]){
		DEV(dev), U(trace_virt(dev->sim, virt)), U(addr), U(size),
		U(dir), U(flags), U(attrs) });
}

void trace_dma_free(struct device *dev, const char *event, void *virt,
		    dma_addr_t addr, size_t size,
		    enum dma_data_direction dir, unsigned long attrs)
{
	const struct trace_event *ev;

	if (!sim_trace_on(dev->sim) || !(ev = trace_event_named(event)))
		return;
	sim_trace_record(dev->sim, ev, (union trace_val[]){
		DEV(dev), U(trace_virt(dev->sim, virt)), U(addr), U(size),
		U(dir), U(attrs) });
}

/*
 * A non-contiguous allocation (NULL @sgt: it failed, dma_alloc_sgt_err):
 * its DMA range and the physical address of every entry.
 */
void trace_dma_alloc_sgt(struct device *dev, struct sg_table *sgt,
			 size_t size, enum dma_data_direction dir, gfp_t flags,
			 unsigned long attrs)
{
	if (!sim_trace_on(dev->sim))
		return;
	EMIT(dev->sim, sgt ? EV_ALLOC_SGT : EV_ALLOC_SGT_ERR, DEV(dev),
	     SG(sgt ? sgt->sgl : NULL, sgt ? (int)sgt->orig_nents : 0, TSG_PHYS),
	     U(sgt ? sg_dma_address(sgt->sgl) : 0), U(size), U(dir), U(flags),
	     U(attrs));
}

void trace_dma_free_sgt(struct device *dev, struct sg_table *sgt,
			size_t size, enum dma_data_direction dir)
{
	if (!sim_trace_on(dev->sim))
		return;
	EMIT(dev->sim, EV_FREE_SGT, DEV(dev),
	     SG(sgt->sgl, (int)sgt->orig_nents, TSG_PHYS),
	     U(sg_dma_address(sgt->sgl)), U(size), U(dir));
}

void trace_swiotlb_bounced(struct device *dev, dma_addr_t addr, size_t size,
			   bool force)
{
	if (!sim_trace_on(dev->sim))
		return;
	EMIT(dev->sim, EV_SWIOTLB, DEV(dev), U(dev->dma_mask ? *dev->dma_mask : 0),
	     U(addr), U(size), U(force ? 1 : 0));
}

void trace_irq_handler_entry(struct sim_machine *m, unsigned int irq,
			     const char *name)
{
	if (!sim_trace_on(m))
		return;
	EMIT(m, EV_IRQ_ENTRY, U(irq), { .s = name ? name : "" });
}

void trace_irq_handler_exit(struct sim_machine *m, unsigned int irq, int ret)
{
	if (!sim_trace_on(m))
		return;
	EMIT(m, EV_IRQ_EXIT, U(irq), U(ret ? 1 : 0));
}

/* ------------------------------------------------------------------------ */
/* IOMMU (include/trace/events/iommu.h), the IOVA API, reports              */
/* ------------------------------------------------------------------------ */

void trace_iommu_map(struct sim_machine *m, unsigned long iova,
		     phys_addr_t paddr, size_t size)
{
	if (!sim_trace_on(m))
		return;
	EMIT(m, EV_IOMMU_MAP, U(iova), U(paddr), U(size));
}

void trace_iommu_unmap(struct sim_machine *m, unsigned long iova, size_t size,
		       size_t unmapped_size)
{
	if (!sim_trace_on(m))
		return;
	EMIT(m, EV_IOMMU_UNMAP, U(iova), U(size), U(unmapped_size));
}

void trace_dma_iova(struct device *dev, const char *event, dma_addr_t addr,
		    size_t size, phys_addr_t phys, enum dma_data_direction dir,
		    unsigned long attrs, int ret)
{
	const struct trace_event *ev;

	if (!sim_trace_on(dev->sim) || !(ev = trace_event_named(event)))
		return;
	if (ev->fields == f_iova_alloc)
		sim_trace_record(dev->sim, ev, (union trace_val[]){
			DEV(dev), U(addr), U(size), U(phys), U((s64)ret) });
	else if (ev->fields == f_iova_range)
		sim_trace_record(dev->sim, ev, (union trace_val[]){
			DEV(dev), U(addr), U(size), U((s64)ret) });
	else if (ev->fields == f_iova_link)
		sim_trace_record(dev->sim, ev, (union trace_val[]){
			DEV(dev), U(addr), U(size), U(phys), U(dir), U(attrs),
			U((s64)ret) });
	else
		sim_trace_record(dev->sim, ev, (union trace_val[]){
			DEV(dev), U(addr), U(size), U(dir), U(attrs),
			U((s64)ret) });
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
		EMIT(m, EV_IO_PAGE_FAULT, DEV(dev),
		     { .s = dev_driver_string(dev) }, U(r->addr),
		     U((flags & SIM_REPORT_F_WRITE) ? 1 : 0));
	EMIT(m, EV_REPORT, { .s = sim_report_kind_name(r->kind) },
	     { .s = r->device[0] ? r->device : "-" }, U(r->addr), U(r->len),
	     { .s = r->text });
}
