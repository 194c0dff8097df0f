// SPDX-License-Identifier: MIT
/*
 * NVMe I/O through the nvme-pci driver, fio-like: requests built from
 * scattered pages (or in the controller's CMB), submitted up to a depth,
 * polled, and every byte verified against the namespace store.
 */
#include <stdlib.h>
#include "wl.h"

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
	const struct cli_wl_opts *o;
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
	u64 bs = c->o->nvme.bs;
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
	u64 off = blk * c->o->nvme.bs;
	int ret = 0;

	s->blk = blk;
	s->write = write;
	s->busy = false;
	if (write) {
		wl_fill(c->shadow + off, c->o->nvme.bs, c->o->seed * 7919 + blk * 3 + c->writes);
		ret = nv_copy(c, s, c->shadow + off, true);
	} else {
		/* stale bytes the read must overwrite */
		memset(c->tmp, 0xa5, c->o->nvme.bs);
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
	u64 off = s->blk * c->o->nvme.bs;

	if (!s->busy)
		return;
	s->busy = false;
	if (nvme_wait_rq(c->n, 1, s->tag, &res)) {
		c->io_err++;
		return;
	}
	if (s->write) {
		if (memcmp(c->ns + off, c->shadow + off, c->o->nvme.bs))
			c->bad_write++;
		return;
	}
	if (nv_copy(c, s, c->tmp, false) || memcmp(c->tmp, c->ns + off, c->o->nvme.bs) ||
	    memcmp(c->tmp, c->shadow + off, c->o->nvme.bs))
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
	u64 slot_bytes = ALIGN(c->o->nvme.bs, PAGE_SIZE);
	unsigned int order = (unsigned int)get_order(slot_bytes);

	c->slots = calloc(c->depth, sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	if (c->o->nvme.p2p) {
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

/*
 * cli_wl_nvme - probe the controller @o->dev (its model is attached on
 * first use), do @o->size bytes of I/O in @o->nvme.bs requests with up to
 * @o->nvme.iodepth in flight, mapped with @o->nvme.api, verify every byte
 * against the namespace store, remove it. @o->nvme.p2p puts the data in
 * the controller's CMB; -EOPNOTSUPP when it has none big enough.
 */
CLI_WORKLOAD(cli_wl_nvme)
{
	struct cli_wl_result scratch;
	__typeof__(&res->nvme) rs = res ? &res->nvme : &scratch.nvme;
	struct nv_ctx c = { .m = m, .o = o, .out = out };
	struct sim_nvme_params params = { 0 };
	struct nvme_probe_opts popts = { .nr_io_queues = 1, .api = o->nvme.api };
	struct iommu_domain *dom;
	u64 nsbytes = 0, nr, *order = NULL, rnd = o->seed * 2654435761ULL + 1;
	char b1[32], b2[32], b3[32];
	int ret;

	memset(rs, 0, sizeof(*rs));
	if (!o->dev) {
		snprintf(err, errlen, "which NVMe controller?");
		return -EINVAL;
	}
	c.dev = sim_device(m, o->dev);
	if (!c.dev || !to_pci_dev(c.dev)) {
		snprintf(err, errlen, "the platform has no PCI device '%s' (the NVMe controller)", o->dev);
		return -ENODEV;
	}
	if (o->nvme.bs % 512 || !o->nvme.bs || o->size < o->nvme.bs) {
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

	popts.io_queue_depth = o->nvme.iodepth + 1;	/* one slot stays free */
	ret = nvme_probe(to_pci_dev(c.dev), &popts, &c.n);
	if (!wl_check(out, "nvme_probe_controller_up", !ret, false, "nvme_probe(%s): controller up, admin and I/O queues created (%d)",
		       o->dev, ret))
		return 0;
	nvme_get_info(c.n, &c.info);
	rs->info = c.info;
	if (o->nvme.bs < (1u << c.info.lba_shift) || o->nvme.bs % (1u << c.info.lba_shift) ||
	    (c.info.max_hw_bytes && o->nvme.bs > c.info.max_hw_bytes)) {
		snprintf(err, errlen, "bs=%llu: the controller takes multiples of %u up to %s",
			 (unsigned long long)o->nvme.bs, 1u << c.info.lba_shift,
			 fmt_bytes(b1, sizeof(b1), c.info.max_hw_bytes));
		ret = -EINVAL;
		goto out_remove;
	}
	c.depth = min(o->nvme.iodepth, c.info.q_depth - 1);
	c.lba_per_blk = o->nvme.bs >> c.info.lba_shift;
	dom = iommu_get_domain_for_dev(c.dev);
	wl_say(out, "%s: %s, namespace %s (LBA %u), %u I/O queue%s of depth %u, SGLs %s, CMB %s%s",
		o->dev, c.info.mn, fmt_bytes(b1, sizeof(b1), c.info.nsze << c.info.lba_shift),
		1u << c.info.lba_shift, c.info.nr_io_queues, WL_S(c.info.nr_io_queues),
		c.info.q_depth,
		c.info.sgls ? "yes" : "no",
		/* a CMB goes to P2PDMA once; later probes find it given already */
		c.info.cmb_size ? fmt_bytes(b2, sizeof(b2), c.info.cmb_size) :
		"none mapped by this probe",
		c.info.cmb_published ? " (published for P2P)" : "");
	wl_say(out, "%s DMA: %s, %s, api=%s", o->dev,
		!dom ? "dma-direct (no IOMMU)" :
		!iommu_is_dma_domain(dom) ? "IOMMU passthrough" :
		dom->type == IOMMU_DOMAIN_DMA_FQ ? "IOMMU, lazy" : "IOMMU, strict",
		dev_is_dma_coherent(c.dev) ? "coherent" : "non-coherent",
		nvme_dma_api_name(o->nvme.api));
	if (c.depth < o->nvme.iodepth)
		wl_say(out, "iodepth %u capped to %u by the queue", o->nvme.iodepth, c.depth);

	nr = o->size / o->nvme.bs;
	c.shadow = malloc(o->size);
	c.tmp = malloc(o->nvme.bs);
	order = calloc(nr, sizeof(*order));
	ret = c.shadow && c.tmp && order ? nv_buffers(&c) : -ENOMEM;
	if (ret == -ENOMEM && o->nvme.p2p && !c.p2p) {
		/* the pool is the CMB: no CMB, or too small for the buffers */
		snprintf(err, errlen, "p2p=yes: %s has no P2P memory for %u x %s (no CMB, cmb=, or too small)",
			 o->dev, c.depth, fmt_bytes(b1, sizeof(b1), ALIGN(o->nvme.bs, PAGE_SIZE)));
		ret = -EOPNOTSUPP;
		goto out_remove;
	}
	if (!wl_check(out, "buffers_pages_reverse_order", !ret, false, "%u buffer%s of %s in %s, pages in reverse order (one segment per %s)",
		       c.depth, WL_S(c.depth), fmt_bytes(b1, sizeof(b1), o->nvme.bs),
		       o->nvme.p2p ? "the CMB (P2P memory)" : "RAM",
		       o->nvme.bs <= PAGE_SIZE ? "request" :
		       fmt_bytes(b2, sizeof(b2),
				DIV_ROUND_UP(DIV_ROUND_UP(o->nvme.bs, PAGE_SIZE), NV_MAX_PIECES) * PAGE_SIZE)))
		goto out_remove;

	/* the namespace as an earlier writer left it: the CPU fills the store */
	wl_fill(c.ns, o->size, o->seed + 1);
	memcpy(c.shadow, c.ns, o->size);
	for (u64 i = 0; i < nr; i++)
		order[i] = i;
	if (o->nvme.rw == CLI_NVME_RANDRW)	/* each block once, in random order */
		for (u64 i = nr - 1; i > 0; i--) {
			u64 j = wl_rand(&rnd) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
	nvme_reset_stats(c.n);
	nv_pass(&c, order, nr, o->nvme.rw, &rnd);
	rs->requests = nr;
	rs->reads = c.reads;
	rs->writes = c.writes;
	wl_say(out, "rw=%s: %llu request%s of %s over %s (%llu read%s, %llu write%s), up to %u in flight, submitted then polled",
		cli_nvme_rw_name(o->nvme.rw), (unsigned long long)nr, WL_S(nr),
		fmt_bytes(b1, sizeof(b1), o->nvme.bs), fmt_bytes(b2, sizeof(b2), nr * o->nvme.bs),
		(unsigned long long)c.reads, WL_S(c.reads), (unsigned long long)c.writes,
		WL_S(c.writes), c.depth);
	wl_check(out, "request_built_submitted_completed", !c.bad_build && !c.submit_err && !c.io_err, false,
		  "every request was built, submitted and completed successfully (%lu, %lu, %lu failed)",
		  c.bad_build, c.submit_err, c.io_err);
	if (c.reads)
		wl_check(out, "reads_byte_matched_namespace", !c.bad_read, false, "reads: every byte matched the namespace (%lu of %llu request%s differed)",
			  c.bad_read, (unsigned long long)c.reads, WL_S(c.reads));
	if (c.writes) {
		u64 w = c.writes;

		wl_check(out, "writes_namespace_holds_byte", !c.bad_write, false, "writes: the namespace holds every byte written (%lu of %llu request%s differed)",
			  c.bad_write, (unsigned long long)w, WL_S(w));
		/* read everything back, in order, with the same depth */
		for (u64 i = 0; i < nr; i++)
			order[i] = i;
		c.bad_read = c.io_err = c.submit_err = c.bad_build = 0;
		c.reads = 0;
		nv_pass(&c, order, nr, CLI_NVME_READ, &rnd);
		wl_check(out, "written_data_read_back", !c.bad_read && !c.io_err && !c.submit_err && !c.bad_build, false,
			  "written data read back: %s identical (%lu request%s differed, %lu failed)",
			  fmt_bytes(b3, sizeof(b3), nr * o->nvme.bs), c.bad_read, WL_S(c.bad_read),
			  c.io_err + c.submit_err + c.bad_build);
		rs->reads += c.reads;
	}
	wl_check(out, "namespace_store_holds_what", !memcmp(c.ns, c.shadow, o->size), false,
		  "the namespace store holds what it should: its old contents and every write (%s)",
		  fmt_bytes(b3, sizeof(b3), o->size));
	nvme_get_stats(c.n, &rs->drv);
	sim_nvme_model_stats(c.dev, &rs->model);
	wl_say(out, "driver: %lu command%s, %lu IOVA-coalesced request%s, %lu fast-path request%s, %lu PRP list%s, %lu SGL command%s, %lu map call%s",
		rs->drv.commands, WL_S(rs->drv.commands), rs->drv.iova_requests,
		WL_S(rs->drv.iova_requests), rs->drv.simple, WL_S(rs->drv.simple),
		rs->drv.prp_lists, WL_S(rs->drv.prp_lists), rs->drv.sgl_cmds,
		WL_S(rs->drv.sgl_cmds), rs->drv.map_calls, WL_S(rs->drv.map_calls));
	wl_check(out, "driver_completed_commands_errors", rs->drv.commands == rs->reads + rs->writes &&
		       !rs->drv.errors && !rs->drv.map_failures, false,
		  "the driver completed %lu command%s, %lu with errors, %lu mapping failure%s",
		  rs->drv.commands, WL_S(rs->drv.commands), rs->drv.errors,
		  rs->drv.map_failures, WL_S(rs->drv.map_failures));
	wl_check(out, "controllers_dma_never_faulted", !rs->model.dma_faults, false,
		  "the controller's DMA never faulted (%lu fault%s)", rs->model.dma_faults,
		  WL_S(rs->model.dma_faults));
	if (o->nvme.p2p)
		wl_check(out, "data_moved_within_cmb", rs->model.cmb_accesses >= rs->drv.commands, false,
			  "data moved within the CMB, never through host memory (%lu CMB transfers)",
			  rs->model.cmb_accesses);
	ret = 0;
out_remove:
	free(order);
	/* P2P memory goes back to the CMB's pool while the driver has it */
	nv_free(&c);
	nvme_remove(c.n);
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		return ret;
	sim_iommu_flush_queue(c.dev);
	return 0;
}

