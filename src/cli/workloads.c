// SPDX-License-Identifier: MIT
/*
 * Workloads shared by `dmastack run` and the main job: the DMA statistics
 * a run reports, NVMe I/O through the nvme-pci driver (fio-like, verified
 * byte for byte) and an ODP memory region of the NIC mirroring a process
 * through page faults and invalidations. Each reports what it did and its
 * checks through a struct cli_out, so that the two commands phrase and
 * count them their own way without a second copy of the workload.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* ---- output ------------------------------------------------------------- */

static void out_say(const struct cli_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_say(const struct cli_out *out, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out->say(out->ctx, buf);
}

static bool out_check(const struct cli_out *out, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool out_check(const struct cli_out *out, bool ok, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return out->check(out->ctx, ok, buf);
}

/* ---- statistics ----------------------------------------------------------- */

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

/* ---- helpers ------------------------------------------------------------- */

/* Bytes whose value depends on the position and on @seed. */
static void wl_fill(u8 *b, size_t n, u64 seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (u8)((i * 31 + seed * 97) ^ (i >> 9) ^ (seed >> 3));
}

/* xorshift64: deterministic choices, the same every run. */
static u64 wl_rand(u64 *s)
{
	u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

const char *cli_nvme_rw_name(enum cli_nvme_rw rw)
{
	static const char *const names[] = { "read", "write", "randrw" };

	return rw <= CLI_NVME_RANDRW ? names[rw] : "?";
}

/* ---- NVMe ---------------------------------------------------------------- */

/*
 * Data pieces of one request: at most this many. Buffers are built from
 * pages in reverse order, as user memory is scattered, so every piece is
 * its own DMA segment and the IOVA API has something to coalesce (the
 * driver's queue takes 256 segments).
 */
#define NV_MAX_PIECES	128

struct nv_piece {
	struct page *pg;
	phys_addr_t phys;
	unsigned int off, len;
};

struct nv_slot {
	struct request *rq;
	struct page *pg;		/* RAM buffer (NULL: in the CMB) */
	unsigned int order;
	struct nv_piece pc[NV_MAX_PIECES];
	unsigned int npc;
	unsigned int tag;
	u64 blk;
	bool write, busy;
};

struct nv_ctx {
	struct sim_machine *m;
	const struct cli_nvme_opts *o;
	const struct cli_out *out;
	struct device *dev;
	struct nvme_dev *n;
	struct nvme_dev_info info;
	struct nv_slot *slots;
	unsigned int depth;
	void *p2p;			/* CMB memory (p2p=yes) */
	size_t p2p_len;
	u8 *shadow, *tmp, *ns;
	u64 lba_per_blk;
	/* what went wrong, by kind */
	unsigned long submit_err, io_err, bad_read, bad_write, bad_build;
	u64 reads, writes;
};

/* The CPU's copy into (@to_dev) or out of a slot's buffer. */
static int nv_copy(struct nv_ctx *c, struct nv_slot *s, u8 *buf, bool to_dev)
{
	for (unsigned int i = 0; i < s->npc; i++) {
		struct nv_piece *p = &s->pc[i];
		int ret = 0;

		if (c->p2p)
			ret = to_dev ? sim_mmio_write(c->m, p->phys, buf, p->len) :
				       sim_mmio_read(c->m, p->phys, buf, p->len);
		else if (to_dev)
			memcpy(sim_phys_to_virt(c->m, p->phys), buf, p->len);
		else
			memcpy(buf, sim_phys_to_virt(c->m, p->phys), p->len);
		if (ret)
			return ret;
		buf += p->len;
	}
	return 0;
}

/*
 * Cut @bytes of slot buffer starting at @base (page @pg0 for RAM, the CMB
 * address for P2P) into pieces in reverse page order.
 */
static void nv_pieces(struct nv_ctx *c, struct nv_slot *s, u8 *p2p_base,
		      struct page *pg0, unsigned int slot)
{
	u64 bs = c->o->bs;
	unsigned long npg = DIV_ROUND_UP(bs, PAGE_SIZE);
	unsigned long per = DIV_ROUND_UP(npg, NV_MAX_PIECES);
	unsigned long nch = DIV_ROUND_UP(npg, per);

	s->npc = 0;
	if (bs < PAGE_SIZE) {
		/* odd slots end at their page's end: PRP1 with an offset */
		unsigned int off = (slot & 1) ? (unsigned int)ALIGN_DOWN(PAGE_SIZE - bs, 512) : 0;

		s->pc[0] = (struct nv_piece){ .off = off, .len = (unsigned int)bs };
		s->npc = 1;
	} else {
		for (unsigned long k = 0; k < nch; k++) {
			u64 start = (u64)k * per * PAGE_SIZE;
			u64 len = min((u64)per * PAGE_SIZE, bs - start);
			/* piece k sits at chunk (nch - 1 - k) of the buffer */
			u64 at = (u64)(nch - 1 - k) * per * PAGE_SIZE;

			s->pc[s->npc++] = (struct nv_piece){ .off = (unsigned int)at,
							     .len = (unsigned int)len };
		}
	}
	for (unsigned int i = 0; i < s->npc; i++) {
		struct nv_piece *p = &s->pc[i];

		if (p2p_base) {
			u8 *va = p2p_base + p->off;

			p->pg = sim_p2pmem_virt_to_page(c->m, va);
			p->phys = sim_virt_to_phys(c->m, va);
		} else {
			p->pg = pg0 + (p->off >> PAGE_SHIFT);
			p->phys = page_to_phys(pg0) + p->off;
		}
		/* blk_rq_add_page() takes the offset within the first page */
		p->off &= PAGE_SIZE - 1;
	}
}

/* Submit slot @s for block @blk; the data of a write is in the shadow. */
static void nv_submit(struct nv_ctx *c, struct nv_slot *s, u64 blk, bool write)
{
	u64 off = blk * c->o->bs;
	int ret = 0;

	s->blk = blk;
	s->write = write;
	s->busy = false;
	if (write) {
		wl_fill(c->shadow + off, c->o->bs, c->o->seed * 7919 + blk * 3 + c->writes);
		ret = nv_copy(c, s, c->shadow + off, true);
	} else {
		/* stale bytes the read must overwrite */
		memset(c->tmp, 0xa5, c->o->bs);
		ret = nv_copy(c, s, c->tmp, true);
	}
	blk_rq_init(nvme_dev_queue(c->n), s->rq, write ? REQ_OP_WRITE : REQ_OP_READ);
	for (unsigned int i = 0; !ret && i < s->npc; i++)
		ret = blk_rq_add_page(s->rq, s->pc[i].pg, s->pc[i].len, s->pc[i].off);
	if (ret) {
		c->bad_build++;
		return;
	}
	if (nvme_submit_rq(c->n, 1, s->rq, blk * c->lba_per_blk, &s->tag)) {
		c->submit_err++;
		return;
	}
	s->busy = true;
	if (write)
		c->writes++;
	else
		c->reads++;
}

/* Wait for slot @s and compare its data with the namespace store. */
static void nv_complete(struct nv_ctx *c, struct nv_slot *s)
{
	struct nvme_rq_result res;
	u64 off = s->blk * c->o->bs;

	if (!s->busy)
		return;
	s->busy = false;
	if (nvme_wait_rq(c->n, 1, s->tag, &res)) {
		c->io_err++;
		return;
	}
	if (s->write) {
		if (memcmp(c->ns + off, c->shadow + off, c->o->bs))
			c->bad_write++;
		return;
	}
	if (nv_copy(c, s, c->tmp, false) || memcmp(c->tmp, c->ns + off, c->o->bs) ||
	    memcmp(c->tmp, c->shadow + off, c->o->bs))
		c->bad_read++;
}

/*
 * One pass over @nr blocks in the order of @order: submit up to the depth,
 * then poll and complete them (the driver is polled).
 */
static void nv_pass(struct nv_ctx *c, const u64 *order, u64 nr, int mode,
		    u64 *rnd)
{
	for (u64 i = 0; i < nr; i += c->depth) {
		unsigned int k = (unsigned int)min((u64)c->depth, nr - i);

		for (unsigned int j = 0; j < k; j++) {
			bool write = mode == CLI_NVME_WRITE ||
				     (mode == CLI_NVME_RANDRW && (wl_rand(rnd) & 1));

			nv_submit(c, &c->slots[j], order[i + j], write);
		}
		nvme_poll(c->n, 1);
		for (unsigned int j = 0; j < k; j++)
			nv_complete(c, &c->slots[j]);
	}
}

static void nv_free(struct nv_ctx *c)
{
	if (c->slots) {
		for (unsigned int i = 0; i < c->depth; i++) {
			if (c->slots[i].pg)
				sim_free_pages(c->m, c->slots[i].pg, c->slots[i].order);
			free(c->slots[i].rq);
		}
		free(c->slots);
	}
	if (c->p2p)
		pci_free_p2pmem(to_pci_dev(c->dev), c->p2p, c->p2p_len);
	free(c->shadow);
	free(c->tmp);
}

/* Buffers for every slot, in RAM or in the CMB. 0 or -ENOMEM. */
static int nv_buffers(struct nv_ctx *c)
{
	u64 slot_bytes = ALIGN(c->o->bs, PAGE_SIZE);
	unsigned int order = (unsigned int)get_order(slot_bytes);

	c->slots = calloc(c->depth, sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	if (c->o->p2p) {
		c->p2p_len = (size_t)(slot_bytes * c->depth);
		c->p2p = pci_alloc_p2pmem(to_pci_dev(c->dev), c->p2p_len);
		if (!c->p2p)
			return -ENOMEM;
	}
	for (unsigned int i = 0; i < c->depth; i++) {
		struct nv_slot *s = &c->slots[i];

		s->rq = calloc(1, sizeof(*s->rq));
		if (!s->rq)
			return -ENOMEM;
		if (!c->p2p) {
			s->pg = sim_alloc_pages(c->m, order);
			if (!s->pg)
				return -ENOMEM;
			s->order = order;
		}
		nv_pieces(c, s, c->p2p ? (u8 *)c->p2p + i * slot_bytes : NULL,
			  s->pg, i);
	}
	return 0;
}

int cli_nvme_workload(struct sim_machine *m, const struct cli_nvme_opts *o,
		      const struct cli_out *out, struct cli_nvme_result *res,
		      char *err, size_t errlen)
{
	struct nv_ctx c = { .m = m, .o = o, .out = out };
	struct sim_nvme_params params = { 0 };
	struct nvme_probe_opts popts = { .nr_io_queues = 1, .api = o->api };
	struct iommu_domain *dom;
	u64 nsbytes = 0, nr, *order = NULL, rnd = o->seed * 2654435761ULL + 1;
	char b1[32], b2[32], b3[32];
	int ret;

	memset(res, 0, sizeof(*res));
	c.dev = sim_device(m, o->dev);
	if (!c.dev || !to_pci_dev(c.dev)) {
		snprintf(err, errlen, "the platform has no PCI device '%s' (the NVMe controller)", o->dev);
		return -ENODEV;
	}
	if (o->bs % 512 || !o->bs || o->size < o->bs) {
		snprintf(err, errlen, "bs must be a multiple of 512 and at most size");
		return -EINVAL;
	}
	/* the namespace: at least 16M, all of size, the model's 1M steps */
	params.ns_bytes = ALIGN(max(o->size, (u64)SZ_16M), (u64)SZ_1M);
	ret = sim_nvme_model_attach(c.dev, &params);
	if (ret == -EINVAL) {
		snprintf(err, errlen, "%s is not an NVMe controller (kind nvme)", o->dev);
		return -ENODEV;
	}
	c.ns = sim_nvme_ns_data(c.dev, &nsbytes);
	if (ret && ret != -EBUSY)	/* -EBUSY: built by an earlier run */
		snprintf(err, errlen, "cannot build the controller on %s: %s",
			 o->dev, strerror(-ret));
	else if (!c.ns || nsbytes < o->size)
		snprintf(err, errlen, "the namespace of %s holds %llu bytes, size=%llu",
			 o->dev, (unsigned long long)nsbytes,
			 (unsigned long long)o->size);
	if (ret && ret != -EBUSY)
		return ret;
	if (!c.ns || nsbytes < o->size)
		return -E2BIG;

	popts.io_queue_depth = o->iodepth + 1;	/* one slot stays free */
	ret = nvme_probe(to_pci_dev(c.dev), &popts, &c.n);
	if (!out_check(out, !ret, "nvme_probe(%s): controller up, admin and I/O queues created (%d)",
		       o->dev, ret))
		return 0;
	nvme_get_info(c.n, &c.info);
	res->info = c.info;
	if (o->bs < (1u << c.info.lba_shift) || o->bs % (1u << c.info.lba_shift) ||
	    (c.info.max_hw_bytes && o->bs > c.info.max_hw_bytes)) {
		snprintf(err, errlen, "bs=%llu: the controller takes multiples of %u up to %s",
			 (unsigned long long)o->bs, 1u << c.info.lba_shift,
			 fmt_size(b1, sizeof(b1), c.info.max_hw_bytes));
		ret = -EINVAL;
		goto out_remove;
	}
	c.depth = min(o->iodepth, c.info.q_depth - 1);
	c.lba_per_blk = o->bs >> c.info.lba_shift;
	dom = iommu_get_domain_for_dev(c.dev);
	out_say(out, "%s: %s, namespace %s (LBA %u), %u I/O queue of depth %u, SGLs %s, CMB %s%s",
		o->dev, c.info.mn, fmt_size(b1, sizeof(b1), c.info.nsze << c.info.lba_shift),
		1u << c.info.lba_shift, c.info.nr_io_queues, c.info.q_depth,
		c.info.sgls ? "yes" : "no",
		/* a CMB goes to P2PDMA once; later probes find it given already */
		c.info.cmb_size ? fmt_size(b2, sizeof(b2), c.info.cmb_size) :
		"none mapped by this probe",
		c.info.cmb_published ? " (published for P2P)" : "");
	out_say(out, "%s DMA: %s, %s, api=%s", o->dev,
		!dom ? "dma-direct (no IOMMU)" :
		!iommu_is_dma_domain(dom) ? "IOMMU passthrough" :
		dom->type == IOMMU_DOMAIN_DMA_FQ ? "IOMMU, lazy" : "IOMMU, strict",
		dev_is_dma_coherent(c.dev) ? "coherent" : "non-coherent",
		nvme_dma_api_name(o->api));
	if (c.depth < o->iodepth)
		out_say(out, "iodepth %u capped to %u by the queue", o->iodepth, c.depth);

	nr = o->size / o->bs;
	c.shadow = malloc(o->size);
	c.tmp = malloc(o->bs);
	order = calloc(nr, sizeof(*order));
	ret = c.shadow && c.tmp && order ? nv_buffers(&c) : -ENOMEM;
	if (ret == -ENOMEM && o->p2p && !c.p2p) {
		/* the pool is the CMB: no CMB, or too small for the buffers */
		snprintf(err, errlen, "p2p=yes: %s has no P2P memory for %u x %s (no CMB, cmb=, or too small)",
			 o->dev, c.depth, fmt_size(b1, sizeof(b1), ALIGN(o->bs, PAGE_SIZE)));
		ret = -EOPNOTSUPP;
		goto out_remove;
	}
	if (!out_check(out, !ret, "%u buffers of %s in %s, pages in reverse order (one segment per %s)",
		       c.depth, fmt_size(b1, sizeof(b1), o->bs),
		       o->p2p ? "the CMB (P2P memory)" : "RAM",
		       o->bs <= PAGE_SIZE ? "request" :
		       fmt_size(b2, sizeof(b2),
				DIV_ROUND_UP(DIV_ROUND_UP(o->bs, PAGE_SIZE), NV_MAX_PIECES) * PAGE_SIZE)))
		goto out_remove;

	/* the namespace as an earlier writer left it: the CPU fills the store */
	wl_fill(c.ns, o->size, o->seed + 1);
	memcpy(c.shadow, c.ns, o->size);
	for (u64 i = 0; i < nr; i++)
		order[i] = i;
	if (o->rw == CLI_NVME_RANDRW)	/* each block once, in random order */
		for (u64 i = nr - 1; i > 0; i--) {
			u64 j = wl_rand(&rnd) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
	nvme_reset_stats(c.n);
	nv_pass(&c, order, nr, o->rw, &rnd);
	res->requests = nr;
	res->reads = c.reads;
	res->writes = c.writes;
	out_say(out, "rw=%s: %llu requests of %s over %s (%llu reads, %llu writes), up to %u in flight, submitted then polled",
		cli_nvme_rw_name(o->rw), (unsigned long long)nr,
		fmt_size(b1, sizeof(b1), o->bs), fmt_size(b2, sizeof(b2), nr * o->bs),
		(unsigned long long)c.reads, (unsigned long long)c.writes, c.depth);
	out_check(out, !c.bad_build && !c.submit_err && !c.io_err,
		  "every request was built, submitted and completed successfully (%lu, %lu, %lu failed)",
		  c.bad_build, c.submit_err, c.io_err);
	if (c.reads)
		out_check(out, !c.bad_read, "reads: every byte matched the namespace (%lu of %llu requests differed)",
			  c.bad_read, (unsigned long long)c.reads);
	if (c.writes) {
		u64 w = c.writes;

		out_check(out, !c.bad_write, "writes: the namespace holds every byte written (%lu of %llu requests differed)",
			  c.bad_write, (unsigned long long)w);
		/* read everything back, in order, with the same depth */
		for (u64 i = 0; i < nr; i++)
			order[i] = i;
		c.bad_read = c.io_err = c.submit_err = c.bad_build = 0;
		c.reads = 0;
		nv_pass(&c, order, nr, CLI_NVME_READ, &rnd);
		out_check(out, !c.bad_read && !c.io_err && !c.submit_err && !c.bad_build,
			  "written data read back: %s identical (%lu requests differed, %lu failed)",
			  fmt_size(b3, sizeof(b3), nr * o->bs), c.bad_read,
			  c.io_err + c.submit_err + c.bad_build);
		res->reads += c.reads;
	}
	out_check(out, !memcmp(c.ns, c.shadow, o->size),
		  "the namespace store holds what it should: its old contents and every write (%s)",
		  fmt_size(b3, sizeof(b3), o->size));
	nvme_get_stats(c.n, &res->drv);
	sim_nvme_model_stats(c.dev, &res->model);
	out_say(out, "driver: %lu commands, %lu IOVA-coalesced requests, %lu fast-path requests, %lu PRP lists, %lu SGL commands, %lu map calls",
		res->drv.commands, res->drv.iova_requests, res->drv.simple,
		res->drv.prp_lists, res->drv.sgl_cmds, res->drv.map_calls);
	out_check(out, res->drv.commands == res->reads + res->writes &&
		       !res->drv.errors && !res->drv.map_failures,
		  "the driver completed %lu commands, %lu with errors, %lu mapping failures",
		  res->drv.commands, res->drv.errors, res->drv.map_failures);
	out_check(out, !res->model.dma_faults,
		  "the controller's DMA never faulted (%lu faults)", res->model.dma_faults);
	if (o->p2p)
		out_check(out, res->model.cmb_accesses >= res->drv.commands,
			  "data moved within the CMB, never through host memory (%lu CMB transfers)",
			  res->model.cmb_accesses);
	ret = 0;
out_remove:
	free(order);
	/* P2P memory goes back to the CMB's pool while the driver has it */
	nv_free(&c);
	nvme_remove(c.n);
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		return ret;
	return 0;
}

/* ---- ODP ----------------------------------------------------------------- */

#define ODP_VA	0x7f3a00000000ULL

int cli_odp_workload(struct sim_machine *m, const struct cli_odp_opts *o,
		     const struct cli_out *out, struct cli_odp_result *res,
		     char *err, size_t errlen)
{
	struct device *nic = sim_device(m, o->nic);
	struct sim_odp_mr_opts mo = { .strategy = o->strategy };
	unsigned long npages = (unsigned long)(o->size >> PAGE_SHIFT);
	unsigned long first = o->faults - o->invalidations;
	unsigned long bad_nic_read = 0, bad_nic_write = 0, still_mapped = 0;
	unsigned long op_err = 0, j = 0;
	u64 rnd = o->seed * 0x9e3779b97f4a7c15ULL + 7;
	struct iommu_domain *dom;
	struct sim_process *p;
	struct sim_odp_mr *mr;
	u8 *shadow = NULL, *page = NULL;
	char b1[32], b2[32];
	bool want_iova;

	memset(res, 0, sizeof(*res));
	if (!nic) {
		snprintf(err, errlen, "the platform has no device '%s' (the NIC)", o->nic);
		return -ENODEV;
	}
	if (o->invalidations && o->invalidations >= o->faults) {
		snprintf(err, errlen, "invalidations=%lu: each invalidated page faults again, so faults= must be larger",
			 o->invalidations);
		return -EINVAL;
	}
	if (first > npages) {
		snprintf(err, errlen, "faults=%lu with invalidations=%lu touches %lu pages, the region has %lu (size=)",
			 o->faults, o->invalidations, first, npages);
		return -EINVAL;
	}
	p = sim_process_create(m, ODP_VA, o->size);
	if (!out_check(out, !IS_ERR_OR_NULL(p), "a process with %s of address space",
		       fmt_size(b1, sizeof(b1), o->size)))
		return 0;
	shadow = malloc(o->size);
	page = malloc(PAGE_SIZE);
	if (!out_check(out, shadow && page, "host memory for the expected contents"))
		goto out_proc;
	/* the process wrote its memory before the NIC ever sees it */
	wl_fill(shadow, o->size, o->seed + 11);
	if (!out_check(out, !sim_process_write(p, ODP_VA, shadow, o->size),
		       "the process wrote all of it (CPU page faults, not the NIC's)"))
		goto out_proc;
	mr = sim_nic_reg_odp_mr(nic, p, ODP_VA, o->size, &mo);
	if (IS_ERR(mr)) {
		if (PTR_ERR(mr) == -ENODEV || PTR_ERR(mr) == -EINVAL ||
		    PTR_ERR(mr) == -EOPNOTSUPP) {
			snprintf(err, errlen, "%s cannot register an ODP region: %s",
				 o->nic, PTR_ERR(mr) == -EOPNOTSUPP ?
				 "hmm_dma_map_alloc() refused the device (a non-coherent device cannot mirror)" :
				 "it must be a device of kind nic");
			sim_process_destroy(p);
			free(shadow);
			free(page);
			return -ENODEV;
		}
		out_check(out, false, "%s registered an ODP memory region (%ld)", o->nic, PTR_ERR(mr));
		goto out_proc;
	}
	dom = iommu_get_domain_for_dev(nic);
	/*
	 * hmm_dma_map links pages into one IOVA range only when a page is a
	 * whole IOMMU granule (a 4K page cannot sit alone in a 64K one)
	 */
	want_iova = o->strategy == SIM_ODP_HMM_IOVA && dom && iommu_is_dma_domain(dom) &&
		    (dom->pgsize_bitmap & -dom->pgsize_bitmap) <= PAGE_SIZE;
	out_say(out, "%s: ODP region over %s of the process (%lu pages), %s, %s",
		o->nic, fmt_size(b1, sizeof(b1), o->size), npages,
		o->strategy != SIM_ODP_HMM_IOVA ? "dma_map_phys per faulted page" :
		want_iova ? "hmm_dma_map: one IOVA range, a link per faulted page" :
		"hmm_dma_map: dma_map_phys per faulted page (no IOMMU, or its granule is above a page)",
		!dom ? "no IOMMU" : !iommu_is_dma_domain(dom) ? "IOMMU passthrough" :
		dom->type == IOMMU_DOMAIN_DMA_FQ ? "IOMMU lazy" : "IOMMU strict");

	/*
	 * The NIC touches pages 0..first-1 once each (a fault each), even
	 * pages by receiving into them, odd ones by sending from them; the
	 * invalidations are spread among them, each of a page the NIC has
	 * mapped (migration and zap in turn), which the NIC then reads again
	 * (a fault each).
	 */
	for (unsigned long t = 0; t < first; t++) {
		u64 va = ODP_VA + (u64)t * PAGE_SIZE;
		u8 *want = shadow + t * PAGE_SIZE;
		unsigned long due = (unsigned long)((u64)(t + 1) * o->invalidations / first);

		if (t & 1) {
			if (sim_nic_odp_read(mr, va, page, PAGE_SIZE) ||
			    memcmp(page, want, PAGE_SIZE))
				bad_nic_read++;
		} else {
			wl_fill(want, PAGE_SIZE, o->seed * 131 + t);
			if (sim_nic_odp_write(mr, va, want, PAGE_SIZE) ||
			    sim_process_read(p, va, page, PAGE_SIZE) ||
			    memcmp(page, want, PAGE_SIZE))
				bad_nic_write++;
		}
		for (; j < due; j++) {
			unsigned long q = (unsigned long)(wl_rand(&rnd) % (t + 1));
			u64 qva = ODP_VA + (u64)q * PAGE_SIZE;
			int ret;

			if (j & 1) {
				ret = sim_process_zap(p, qva, PAGE_SIZE);
				/* MADV_DONTNEED: the next touch sees zeros */
				memset(shadow + q * PAGE_SIZE, 0, PAGE_SIZE);
				res->zaps++;
			} else {
				ret = sim_process_migrate(p, qva);
				res->migrations++;
			}
			if (ret)
				op_err++;
			if (sim_nic_odp_dma_addr(mr, qva) != DMA_MAPPING_ERROR)
				still_mapped++;
			if (sim_nic_odp_read(mr, qva, page, PAGE_SIZE) ||
			    memcmp(page, shadow + q * PAGE_SIZE, PAGE_SIZE))
				bad_nic_read++;
		}
	}
	sim_nic_odp_mr_stats(mr, &res->st);
	sim_process_stats(p, &res->ps);
	out_say(out, "the NIC touched %lu pages; %lu migrations and %lu zaps of pages it had mapped, each read again",
		first, res->migrations, res->zaps);
	out_check(out, !op_err, "every migration and zap was done (%lu failed)", op_err);
	out_check(out, !bad_nic_write, "NIC receives: the process reads what the NIC wrote (%lu pages differed)",
		  bad_nic_write);
	out_check(out, !bad_nic_read,
		  "NIC sends: the NIC read the process's data, migrated pages intact and zapped ones zero (%lu differed)",
		  bad_nic_read);
	out_check(out, !still_mapped, "every invalidation unmapped the page from the NIC before it changed (%lu not)",
		  still_mapped);
	out_check(out, res->st.faults == o->faults,
		  "%lu NIC page faults (%lu asked for; %lu retried)", res->st.faults,
		  o->faults, res->st.fault_retries);
	out_check(out, res->st.invalidations == o->invalidations &&
		       res->st.pages_unmapped == o->invalidations,
		  "%lu invalidations unmapped %lu pages (%lu asked for)",
		  res->st.invalidations, res->st.pages_unmapped, o->invalidations);
	out_check(out, res->st.pages_mapped == first, "%lu pages mapped now (%lu touched)",
		  res->st.pages_mapped, first);
	if (want_iova)
		out_check(out, res->st.uses_iova && res->st.iova_ranges == 1,
			  "one IOVA range for the whole region (%lu IOVA ranges held)",
			  res->st.iova_ranges);
	else if (dom && iommu_is_dma_domain(dom))
		out_check(out, !res->st.uses_iova && res->st.iova_ranges == res->st.pages_mapped,
			  "an IOVA range per mapped page (%lu held)", res->st.iova_ranges);
	else
		out_check(out, !res->st.uses_iova && !res->st.iova_ranges,
			  "physical addresses, no IOVA (%lu ranges held)", res->st.iova_ranges);
	out_say(out, "bookkeeping: %s for the region, %zu bytes per page, %zu more per mapped page; the NIC moved %s",
		fmt_size(b1, sizeof(b1), res->st.meta_bytes), res->st.meta_bytes_per_page,
		res->st.bytes_per_mapped_page, fmt_size(b2, sizeof(b2), res->st.dma_bytes));
	{
		u8 *all = malloc(o->size);

		out_check(out, all && !sim_process_read(p, ODP_VA, all, o->size) &&
			       !memcmp(all, shadow, o->size),
			  "the process's memory is what the NIC and CPU left in it (%s)",
			  fmt_size(b1, sizeof(b1), o->size));
		free(all);
	}
	sim_nic_dereg_odp_mr(mr);
	out_check(out, sim_dma_debug_entries(m, nic) == 0,
		  "deregistered: nothing of the region stays mapped");
out_proc:
	sim_process_destroy(p);
	free(shadow);
	free(page);
	return 0;
}
