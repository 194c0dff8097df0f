// SPDX-License-Identifier: MIT
/*
 * The NVMe controller model and the nvme-pci driver end to end: register
 * semantics and bring-up errors on a raw controller, then reads and writes
 * through the driver verified byte for byte against host memory and the
 * namespace store, on a direct machine, strict and lazy IOMMUs, arm64
 * SMMUs with 64K and 16K granules and untrusted controllers (x86, and a
 * non-coherent arm64 one); every mapping API
 * (iova, phys, sg), PRPs with lists spanning pages, SGLs, P2P from the
 * CMB, DMA faults in the middle of a command, and fail-Nth sweeps over
 * submit and completion.
 */
#include <pthread.h>
#include "failnth.h"
#include "variants.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Variants and fixture                                                     */
/* ------------------------------------------------------------------------ */

/* A shared variant, the controllers trusted or not. */
struct nvme_variant {
	const char *name;
	const struct dma_variant *dv;
	bool untrusted;
	bool iommu;		/* behind an IOMMU */
};

static const struct nvme_variant variants[] = {
	{ "direct", &variant_direct, false, false },
	{ "iommu x86_64 strict", &variant_x86_strict, false, true },
	{ "iommu x86_64 lazy", &variant_x86_lazy, false, true },
	{ "iommu arm64 64K strict", &variant_arm64_64k_strict_noncoherent,
	  false, true },
	{ "untrusted (strict, bounced)", &variant_x86_strict, true, true },
	{ "iommu arm64 16K lazy", &variant_arm64_16k_lazy, false, true },
	{ "untrusted arm64 4K lazy noncoherent",
	  &variant_arm64_4k_lazy_noncoherent, true, true },
};

/*
 * nvme0 (with a 1M CMB) and nvme1 below one switch without ACS, so each
 * reaches the other's BARs peer to peer with bus addresses.
 */
static struct sim_machine *nvme_machine(const struct nvme_variant *v)
{
	const char *ut = v->untrusted ? " untrusted=yes" : "";
	struct variant_machine vm = {
		.name = "nvme",
		.machine = "ram=256M ram-below-4g=128M cpus=2",
		.swiotlb = "16M",
		.iommu = "fq-size=16 fq-timeout=1ms",
	};
	char body[512];
	int n;

	n = snprintf(body, sizeof(body),
		     "hostbridge id=hb0 p2p=allow @iommu\n"
		     "rootport id=rp0 bus=hb0\n"
		     "switch id=sw0 bus=rp0\n"
		     "nvme id=nvme0 bus=sw0 cmb=1M%s\n"
		     "nvme id=nvme1 bus=sw0%s\n"
		     "rootport id=rp1 bus=hb0\n"
		     "pcidev id=other bus=rp1\n", ut, ut);
	assert_true(n > 0 && (size_t)n < sizeof(body));
	vm.body = body;
	return variant_machine_new(v->dv, &vm);
}

struct fx {
	const struct nvme_variant *v;
	struct sim_machine *m;
	struct device *d0, *d1;
	struct pci_dev *p0, *p1;
	struct nvme_dev *n0, *n1;
};

static struct fx *fx_new(const struct nvme_variant *v)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->v = v;
	f->m = nvme_machine(v);
	f->d0 = dev_of(f->m, "nvme0");
	f->d1 = dev_of(f->m, "nvme1");
	f->p0 = to_pci_dev(f->d0);
	f->p1 = to_pci_dev(f->d1);
	return f;
}

static int fx_setup(void **state)
{
	*state = fx_new((const struct nvme_variant *)*state);
	return 0;
}

/* Every test leaves nothing mapped or bounced, no BUG and no leak report. */
static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->n0)
		nvme_remove(f->n0);
	if (f->n1)
		nvme_remove(f->n1);
	return fixture_teardown(f, f->m, TD_BUG, 0, 0);
}

#define FX(state)	((struct fx *)*(state))

static void fx_probe(struct fx *f, const struct sim_nvme_params *p,
		     const struct nvme_probe_opts *o)
{
	assert_int_equal(sim_nvme_model_attach(f->d0, p), 0);
	assert_int_equal(nvme_probe(f->p0, o, &f->n0), 0);
}

/* ------------------------------------------------------------------------ */
/* Memory and requests                                                      */
/* ------------------------------------------------------------------------ */

/* One piece of a request: @len bytes at @off of a block. */
struct piece {
	size_t off;
	unsigned int len;
};

static void rq_build(struct nvme_dev *n, struct request *rq, blk_opf_t op,
		     struct ram_blk *b, const struct piece *pc, unsigned int nr)
{
	blk_rq_init(nvme_dev_queue(n), rq, op);
	for (unsigned int i = 0; i < nr; i++) {
		struct page *pg = &b->pg[pc[i].off >> PAGE_SHIFT];

		assert_int_equal(blk_rq_add_page(rq, pg, pc[i].len,
						 (unsigned int)(pc[i].off & (PAGE_SIZE - 1))),
				 0);
	}
}

static size_t pieces_total(const struct piece *pc, unsigned int nr)
{
	size_t t = 0;

	for (unsigned int i = 0; i < nr; i++)
		t += pc[i].len;
	return t;
}

/* Gather the pieces of @b into @out (what the device should see). */
static void gather(const struct ram_blk *b, const struct piece *pc,
		   unsigned int nr, u8 *out)
{
	for (unsigned int i = 0; i < nr; i++) {
		memcpy(out, b->cpu + pc[i].off, pc[i].len);
		out += pc[i].len;
	}
}

/* A lazy domain's flush queue drained (an untrusted device is strict). */
static void settle(struct fx *f, struct device *d)
{
	drain_flush_queue(d);
}

/*
 * Write @pc of a patterned block at @slba, check the namespace, read it
 * back into the same shape of a zeroed block, compare. The requests use
 * the driver's current API.
 */
static void write_read_verify(struct fx *f, struct nvme_dev *n, struct device *d,
			      const struct piece *pc, unsigned int nr, u64 slba,
			      unsigned int seed)
{
	size_t total = pieces_total(pc, nr), span = 0;
	struct request *wr = malloc(sizeof(*wr)), *rd = malloc(sizeof(*rd));
	struct nvme_rq_result res;
	struct ram_blk src, dst;
	u8 *want = malloc(total), *got = malloc(total), *ns;
	struct nvme_dev_info info;
	u64 nsbytes;

	assert_non_null(wr);
	assert_non_null(rd);
	assert_non_null(want);
	assert_non_null(got);
	for (unsigned int i = 0; i < nr; i++)
		if (pc[i].off + pc[i].len > span)
			span = pc[i].off + pc[i].len;
	src = ram_blk_get(f->m, span);
	dst = ram_blk_get(f->m, span);
	fill_pattern(src.cpu, src.size, seed);
	memset(dst.cpu, 0, dst.size);
	gather(&src, pc, nr, want);
	nvme_get_info(n, &info);

	rq_build(n, wr, REQ_OP_WRITE, &src, pc, nr);
	assert_int_equal(nvme_execute_rq(n, 1, wr, slba, &res), 0);
	assert_int_equal(res.status, 0);
	ns = sim_nvme_ns_data(d, &nsbytes);
	assert_non_null(ns);
	assert_memory_equal(ns + (slba << info.lba_shift), want, total);

	rq_build(n, rd, REQ_OP_READ, &dst, pc, nr);
	assert_int_equal(nvme_execute_rq(n, 1, rd, slba, &res), 0);
	assert_int_equal(res.status, 0);
	gather(&dst, pc, nr, got);
	assert_memory_equal(got, want, total);
	settle(f, d);

	ram_blk_put(f->m, &src);
	ram_blk_put(f->m, &dst);
	free(want);
	free(got);
	free(wr);
	free(rd);
}

/* ------------------------------------------------------------------------ */
/* A raw controller: queues and commands by hand, through MMIO              */
/* ------------------------------------------------------------------------ */

#define RAW_DEPTH	8

struct raw {
	struct sim_machine *m;
	struct device *dev;
	phys_addr_t bar;
	struct nvme_command *sq;
	struct nvme_completion *cq;
	dma_addr_t sq_dma, cq_dma;
	u16 tail, head;
	u8 phase;
};

static u32 rd32(struct raw *r, u32 off)
{
	u32 v = 0;

	assert_int_equal(sim_mmio_read(r->m, r->bar + off, &v, 4), 0);
	return v;
}

static u64 rd64(struct raw *r, u32 off)
{
	u64 v = 0;

	assert_int_equal(sim_mmio_read(r->m, r->bar + off, &v, 8), 0);
	return v;
}

static void wr32(struct raw *r, u32 off, u32 v)
{
	assert_int_equal(sim_mmio_write(r->m, r->bar + off, &v, 4), 0);
}

static void wr64(struct raw *r, u32 off, u64 v)
{
	assert_int_equal(sim_mmio_write(r->m, r->bar + off, &v, 8), 0);
}

static void raw_init(struct raw *r, struct sim_machine *m, struct device *d)
{
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->dev = d;
	r->bar = pci_resource_start(to_pci_dev(d), 0);
	r->sq = dma_alloc_coherent(d, 4096, &r->sq_dma, GFP_KERNEL);
	r->cq = dma_alloc_coherent(d, 4096, &r->cq_dma, GFP_KERNEL);
	assert_non_null(r->sq);
	assert_non_null(r->cq);
	memset(r->cq, 0, 4096);
	r->phase = 1;
}

static void raw_fini(struct raw *r)
{
	wr32(r, NVME_REG_CC, 0);
	dma_free_coherent(r->dev, 4096, r->sq, r->sq_dma);
	dma_free_coherent(r->dev, 4096, r->cq, r->cq_dma);
}

static void raw_enable(struct raw *r)
{
	wr32(r, NVME_REG_AQA, (RAW_DEPTH - 1) | ((RAW_DEPTH - 1) << 16));
	wr64(r, NVME_REG_ASQ, r->sq_dma);
	wr64(r, NVME_REG_ACQ, r->cq_dma);
	wr32(r, NVME_REG_CC, NVME_CC_ENABLE | NVME_CC_IOSQES | NVME_CC_IOCQES);
	assert_int_equal(rd32(r, NVME_REG_CSTS), NVME_CSTS_RDY);
}

/* Submit on the admin queue, return the status (-1: no completion). */
static int raw_cmd(struct raw *r, struct nvme_command *c, u32 *result)
{
	struct nvme_completion *cqe;

	c->command_id = r->tail;
	memcpy(&r->sq[r->tail], c, sizeof(*c));
	r->tail = (r->tail + 1) % RAW_DEPTH;
	wr32(r, NVME_REG_DBS, r->tail);
	cqe = &r->cq[r->head];
	if ((cqe->status & 1) != r->phase)
		return -1;
	assert_int_equal(cqe->command_id, c->command_id);
	assert_int_equal(cqe->sq_head, r->tail);
	if (result)
		*result = cqe->result;
	if (++r->head == RAW_DEPTH) {
		r->head = 0;
		r->phase ^= 1;
	}
	wr32(r, NVME_REG_DBS + 4, r->head);
	return cqe->status >> 1;
}

/* ------------------------------------------------------------------------ */
/* Model: attach, registers, raw commands                                   */
/* ------------------------------------------------------------------------ */

static void test_attach_errors(void **state)
{
	struct fx *f = FX(state);
	struct sim_nvme_params bad = { .lba_shift = 10 };
	struct sim_nvme_model_stats st;

	assert_int_equal(sim_nvme_model_attach(dev_of(f->m, "other"), NULL),
			 -EINVAL);
	assert_int_equal(sim_nvme_model_attach(f->d0, &bad), -EINVAL);
	bad = (struct sim_nvme_params){ .ns_bytes = 1000 };
	assert_int_equal(sim_nvme_model_attach(f->d0, &bad), -EINVAL);
	bad = (struct sim_nvme_params){ .max_queues = 65 };
	assert_int_equal(sim_nvme_model_attach(f->d0, &bad), -EINVAL);
	assert_null(sim_nvme_ns_data(f->d0, NULL));
	assert_int_equal(sim_nvme_model_stats(f->d0, &st), -ENODEV);
	assert_int_equal(sim_nvme_model_attach(f->d0, NULL), 0);
	assert_int_equal(sim_nvme_model_attach(f->d0, NULL), -EBUSY);
	assert_non_null(sim_nvme_ns_data(f->d0, NULL));

	/* no controller behind nvme1: the driver finds nothing */
	assert_int_equal(nvme_probe(f->p1, NULL, &f->n1), -ENODEV);
	assert_null(f->n1);
	assert_int_equal(sim_dma_debug_entries(f->m, f->d1), 0);
}

static void test_registers(void **state)
{
	struct fx *f = FX(state);
	struct sim_nvme_params p = { .mqes = 64, .dstrd = 1 };
	struct sim_nvme_model_stats st;
	struct raw r;
	u64 cap;
	u32 v;

	assert_int_equal(sim_nvme_model_attach(f->d0, &p), 0);
	raw_init(&r, f->m, f->d0);
	cap = rd64(&r, NVME_REG_CAP);
	assert_int_equal(NVME_CAP_MQES(cap), 63);
	assert_int_equal(NVME_CAP_CQR(cap), 1);
	assert_int_equal(NVME_CAP_STRIDE(cap), 1);
	assert_true(NVME_CAP_CSS(cap) & NVME_CAP_CSS_NVM);
	assert_int_equal(NVME_CAP_MPSMIN(cap), 0);
	assert_int_equal(NVME_CAP_CMBS(cap), 1);
	/* a 64-bit register read as two dwords */
	assert_int_equal(rd32(&r, NVME_REG_CAP + 4), (u32)(cap >> 32));
	assert_int_equal(rd32(&r, NVME_REG_VS), 0x00010400);
	assert_int_equal(rd32(&r, NVME_REG_CSTS), 0);

	/* read-only registers ignore writes */
	wr32(&r, NVME_REG_VS, 0x12345678);
	wr32(&r, NVME_REG_CSTS, NVME_CSTS_RDY);
	assert_int_equal(rd32(&r, NVME_REG_VS), 0x00010400);
	assert_int_equal(rd32(&r, NVME_REG_CSTS), 0);

	/* CMBLOC/CMBSZ read zero until CMBMSC.CRE */
	assert_int_equal(rd32(&r, NVME_REG_CMBSZ), 0);
	wr32(&r, NVME_REG_CMBMSC, (u32)NVME_CMBMSC_CRE);
	v = rd32(&r, NVME_REG_CMBSZ);
	assert_true(v & NVME_CMBSZ_RDS);
	assert_true(v & NVME_CMBSZ_WDS);
	assert_int_equal(NVME_CMB_BIR(rd32(&r, NVME_REG_CMBLOC)), 2);
	assert_int_equal(((v >> 12) & 0xfffff) << (12 + 4 * ((v >> 8) & 0xf)),
			 SZ_1M);

	/* enabling with no admin queue: controller fatal status, not ready */
	wr32(&r, NVME_REG_CC, NVME_CC_ENABLE);
	assert_int_equal(rd32(&r, NVME_REG_CSTS), NVME_CSTS_CFS);
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO, "AQA"));
	wr32(&r, NVME_REG_CC, 0);
	assert_int_equal(rd32(&r, NVME_REG_CSTS), 0);
	/* a page size beyond CAP.MPSMAX */
	wr32(&r, NVME_REG_AQA, 0x00070007);
	wr64(&r, NVME_REG_ASQ, r.sq_dma);
	wr64(&r, NVME_REG_ACQ, r.cq_dma);
	wr32(&r, NVME_REG_CC, NVME_CC_ENABLE | (5 << NVME_CC_MPS_SHIFT));
	assert_int_equal(rd32(&r, NVME_REG_CSTS), NVME_CSTS_CFS);
	wr32(&r, NVME_REG_CC, 0);
	/* ASQ keeps only page-aligned bits */
	wr64(&r, NVME_REG_ASQ, r.sq_dma | 0x123);
	assert_int_equal(rd64(&r, NVME_REG_ASQ), r.sq_dma);
	wr64(&r, NVME_REG_ASQ, r.sq_dma);

	/* doorbells while disabled are dropped */
	wr32(&r, NVME_REG_DBS, 1);
	assert_int_equal(sim_nvme_model_stats(f->d0, &st), 0);
	assert_int_equal(st.bad_doorbells, 1);

	raw_enable(&r);
	assert_int_equal(rd32(&r, NVME_REG_CC) & NVME_CC_ENABLE, 1);
	/* doorbell beyond the queue size, and a misaligned doorbell */
	wr32(&r, NVME_REG_DBS, RAW_DEPTH);
	wr32(&r, NVME_REG_DBS + 4, 0);	/* stride 8: not a doorbell */
	assert_int_equal(sim_nvme_model_stats(f->d0, &st), 0);
	assert_int_equal(st.bad_doorbells, 3);
	assert_int_equal(st.admin_cmds, 0);

	/* shutdown completes, disable clears everything */
	wr32(&r, NVME_REG_CC, NVME_CC_ENABLE | NVME_CC_IOSQES | NVME_CC_IOCQES |
			      NVME_CC_SHN_NORMAL);
	assert_int_equal(rd32(&r, NVME_REG_CSTS) & NVME_CSTS_SHST_MASK,
			 NVME_CSTS_SHST_CMPLT);
	wr32(&r, NVME_REG_CC, 0);
	assert_int_equal(rd32(&r, NVME_REG_CSTS), 0);
	raw_fini(&r);
}

static void test_raw_admin(void **state)
{
	struct fx *f = FX(state);
	struct sim_nvme_params p = { .max_queues = 2, .ns_bytes = SZ_1M };
	struct nvme_command c;
	struct raw r;
	dma_addr_t id_dma, q_dma;
	u8 *id;
	void *q;
	u32 res;

	assert_int_equal(sim_nvme_model_attach(f->d0, &p), 0);
	raw_init(&r, f->m, f->d0);
	raw_enable(&r);
	id = dma_alloc_coherent(f->d0, 4096, &id_dma, GFP_KERNEL);
	q = dma_alloc_coherent(f->d0, 8192, &q_dma, GFP_KERNEL);
	assert_non_null(id);
	assert_non_null(q);

	c = (struct nvme_command){ .opcode = nvme_admin_identify,
				   .dptr.prp1 = id_dma, .cdw10 = NVME_ID_CNS_CTRL };
	assert_int_equal(raw_cmd(&r, &c, NULL), 0);
	assert_int_equal(id[77], 10);		/* MDTS */
	assert_int_equal(id[512], 0x66);
	assert_int_equal(id[536] & 3, NVME_CTRL_SGLS_BYTE_ALIGNED);
	assert_memory_equal(id + 24, "dmastack NVMe", 13);
	c = (struct nvme_command){ .opcode = nvme_admin_identify, .nsid = 1,
				   .dptr.prp1 = id_dma, .cdw10 = NVME_ID_CNS_NS };
	assert_int_equal(raw_cmd(&r, &c, NULL), 0);
	assert_int_equal(*(u64 *)id, SZ_1M / 512);
	c.nsid = 2;
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_INVALID_NS | NVME_SC_DNR);
	c = (struct nvme_command){ .opcode = nvme_admin_identify,
				   .dptr.prp1 = id_dma, .cdw10 = 0x77 };
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_INVALID_FIELD | NVME_SC_DNR);
	/* PRP1 must be dword aligned */
	c = (struct nvme_command){ .opcode = nvme_admin_identify,
				   .dptr.prp1 = id_dma + 2, .cdw10 = NVME_ID_CNS_CTRL };
	assert_int_equal(raw_cmd(&r, &c, NULL),
			 NVME_SC_PRP_INVALID_OFFSET | NVME_SC_DNR);
	/* admin commands take no SGL */
	c = (struct nvme_command){ .opcode = nvme_admin_identify,
				   .flags = NVME_CMD_SGL_METABUF,
				   .dptr.prp1 = id_dma, .cdw10 = NVME_ID_CNS_CTRL };
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_INVALID_FIELD | NVME_SC_DNR);
	c = (struct nvme_command){ .opcode = 0x7f };
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_INVALID_OPCODE | NVME_SC_DNR);

	/* number of queues: the controller gives what it has */
	c = (struct nvme_command){ .opcode = nvme_admin_set_features,
				   .cdw10 = NVME_FEAT_NUM_QUEUES,
				   .cdw11 = 7 | (7 << 16) };
	assert_int_equal(raw_cmd(&r, &c, &res), 0);
	assert_int_equal(res, 1 | (1 << 16));

	/* queue creation rules */
	c = (struct nvme_command){ .opcode = nvme_admin_create_sq,
				   .dptr.prp1 = q_dma, .cdw10 = 1 | (7 << 16),
				   .cdw11 = 1 | (1 << 16) };
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_CQ_INVALID | NVME_SC_DNR);
	c = (struct nvme_command){ .opcode = nvme_admin_create_cq,
				   .dptr.prp1 = q_dma, .cdw10 = 3 | (7 << 16),
				   .cdw11 = 1 };
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_QID_INVALID | NVME_SC_DNR);
	c.cdw10 = 1 | (2000u << 16);
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_QUEUE_SIZE | NVME_SC_DNR);
	c.cdw10 = 1 | (7 << 16);
	c.cdw11 = 0;			/* not physically contiguous */
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_INVALID_FIELD | NVME_SC_DNR);
	c.cdw11 = 1;
	assert_int_equal(raw_cmd(&r, &c, NULL), 0);
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_QID_INVALID | NVME_SC_DNR);
	c = (struct nvme_command){ .opcode = nvme_admin_create_sq,
				   .dptr.prp1 = q_dma + 4096, .cdw10 = 1 | (7 << 16),
				   .cdw11 = 1 | (1 << 16) };
	assert_int_equal(raw_cmd(&r, &c, NULL), 0);
	c = (struct nvme_command){ .opcode = nvme_admin_delete_cq, .cdw10 = 1 };
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_DELETE_INVALID | NVME_SC_DNR);
	c = (struct nvme_command){ .opcode = nvme_admin_delete_sq, .cdw10 = 1 };
	assert_int_equal(raw_cmd(&r, &c, NULL), 0);
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_QID_INVALID | NVME_SC_DNR);
	c = (struct nvme_command){ .opcode = nvme_admin_delete_cq, .cdw10 = 1 };
	assert_int_equal(raw_cmd(&r, &c, NULL), 0);

	/* more commands than the ring: the phase tag flips */
	for (int i = 0; i < 2 * RAW_DEPTH; i++) {
		c = (struct nvme_command){ .opcode = nvme_admin_identify,
					   .dptr.prp1 = id_dma,
					   .cdw10 = NVME_ID_CNS_CTRL };
		assert_int_equal(raw_cmd(&r, &c, NULL), 0);
	}

	/* Identify into memory the device cannot reach: data transfer error */
	c = (struct nvme_command){ .opcode = nvme_admin_identify,
				   .dptr.prp1 = f->v->iommu ? 0x7000000 : 1ULL << 50,
				   .cdw10 = NVME_ID_CNS_CTRL };
	assert_int_equal(raw_cmd(&r, &c, NULL), NVME_SC_DATA_XFER_ERROR);

	/* an admin SQ the device cannot reach: fatal status, no completion */
	wr32(&r, NVME_REG_CC, 0);
	wr64(&r, NVME_REG_ASQ, f->v->iommu ? 0x7000000 : 1ULL << 50);
	wr32(&r, NVME_REG_CC, NVME_CC_ENABLE | NVME_CC_IOSQES | NVME_CC_IOCQES);
	assert_int_equal(rd32(&r, NVME_REG_CSTS), NVME_CSTS_RDY);
	r.tail = r.head = 0;
	r.phase = 1;
	memset(r.cq, 0, 4096);
	c = (struct nvme_command){ .opcode = nvme_admin_identify,
				   .dptr.prp1 = id_dma, .cdw10 = NVME_ID_CNS_CTRL };
	assert_int_equal(raw_cmd(&r, &c, NULL), -1);
	assert_int_equal(rd32(&r, NVME_REG_CSTS), NVME_CSTS_RDY | NVME_CSTS_CFS);
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO,
				    "submission queue entry fetch failed"));
	/* doorbells of a failed controller are ignored; a reset recovers */
	wr32(&r, NVME_REG_DBS, 0);
	wr32(&r, NVME_REG_CC, 0);
	assert_int_equal(rd32(&r, NVME_REG_CSTS), 0);
	dma_free_coherent(f->d0, 4096, id, id_dma);
	dma_free_coherent(f->d0, 8192, q, q_dma);
	raw_fini(&r);
}

/* ------------------------------------------------------------------------ */
/* Driver bring-up                                                          */
/* ------------------------------------------------------------------------ */

static void test_probe(void **state)
{
	struct fx *f = FX(state);
	struct sim_nvme_params p = { .max_queues = 2, .lba_shift = 12,
				     .ns_bytes = 8 * SZ_1M, .mqes = 128 };
	struct nvme_probe_opts o = { .nr_io_queues = 4, .io_queue_depth = 4096 };
	struct nvme_dev_info info;
	struct sim_nvme_model_stats st;
	unsigned long entries;

	fx_probe(f, &p, &o);
	nvme_get_info(f->n0, &info);
	assert_int_equal(info.nr_io_queues, 2);
	assert_int_equal(info.q_depth, 128);
	assert_int_equal(info.lba_shift, 12);
	assert_int_equal(info.nsze, 8 * SZ_1M / 4096);
	assert_int_equal(info.nn, 1);
	assert_true(info.sgls);
	assert_int_equal(info.max_hw_bytes, 4 * SZ_1M);
	assert_string_equal(info.mn, "dmastack NVMe controller");
	assert_int_equal(info.cmb_size, SZ_1M);
	assert_true(info.cmb_published);
	assert_int_equal(nvme_get_dma_api(f->n0), NVME_DMA_API_IOVA);
	assert_int_equal(sim_nvme_model_stats(f->d0, &st), 0);
	/* identify x2, set features, 2 x (create CQ, create SQ) */
	assert_int_equal(st.admin_cmds, 7);
	assert_int_equal(st.errors, 0);
	/* published CMB: a client below the switch finds it */
	assert_ptr_equal(pci_p2pmem_find(f->d1), f->p0);

	entries = sim_dma_debug_entries(f->m, f->d0);
	assert_true(entries > 0);	/* queues and identify buffer gone */
	nvme_remove(f->n0);
	f->n0 = NULL;
	assert_int_equal(sim_dma_debug_entries(f->m, f->d0), 0);
	assert_int_equal(sim_nvme_model_stats(f->d0, &st), 0);
	assert_int_equal(st.admin_cmds, 11);	/* + delete SQ/CQ x2 */
	assert_int_equal(st.errors, 0);

	/* a second probe of the same controller works (CMB already given) */
	assert_int_equal(nvme_probe(f->p0, NULL, &f->n0), 0);
	nvme_get_info(f->n0, &info);
	assert_int_equal(info.nr_io_queues, 1);
}

static void test_probe_errors(void **state)
{
	struct fx *f = FX(state);
	struct nvme_dev *n = NULL;
	struct nvme_probe_opts o = { .api = 7 };
	u16 cmd;

	assert_int_equal(sim_nvme_model_attach(f->d0, NULL), 0);
	assert_int_equal(nvme_probe(NULL, NULL, &n), -EINVAL);
	assert_int_equal(nvme_probe(f->p0, NULL, NULL), -EINVAL);
	assert_int_equal(nvme_probe(f->p0, &o, &n), -EINVAL);

	/*
	 * A function in D3hot does not decode its BARs: probe puts it back
	 * in D0 first (pci_enable_device_mem()), as the kernel does.
	 */
	assert_int_equal(pci_set_power_state(f->p0, PCI_D3hot), 0);
	assert_int_equal(nvme_probe(f->p0, NULL, &n), 0);
	nvme_remove(n);
	n = NULL;

	/* bus mastering left off: probe turns it on (pci_set_master()) */
	pci_read_config_word(f->p0, PCI_COMMAND, &cmd);
	pci_write_config_word(f->p0, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
	assert_int_equal(nvme_probe(f->p0, NULL, &n), 0);
	nvme_remove(n);
	assert_int_equal(sim_dma_debug_entries(f->m, f->d0), 0);
}

struct nvme_sweep {
	struct fx *f;
	struct request *wr, *rd;
	const struct nvme_probe_opts *o;
};

static int probe_sweep_run(void *ctx)
{
	struct nvme_sweep *w = ctx;
	struct nvme_dev *dev = NULL;
	int ret = nvme_probe(w->f->p0, w->o, &dev);

	if (!ret)
		nvme_remove(dev);
	else
		assert_true(ret == -ENOMEM || ret == -EIO || ret == -ENODEV);
	return ret;
}

static void probe_sweep_settle(void *ctx)
{
	struct nvme_sweep *w = ctx;

	settle(w->f, w->f->d0);
}

/* Fail every allocation of a probe in turn: nothing may stay behind. */
static void test_probe_failnth(void **state)
{
	struct fx *f = FX(state);
	struct nvme_probe_opts o = { .nr_io_queues = 2 };
	struct nvme_sweep w = { .f = f, .o = &o };
	struct failnth fn = {
		.name = f->v->name, .m = f->m, .ctx = &w,
		.run = probe_sweep_run, .settle = probe_sweep_settle,
	};

	assert_int_equal(sim_nvme_model_attach(f->d0, NULL), 0);
	/* the warm-up makes the CMB's P2P pages and caches once */
	failnth_sweep(&fn);
	assert_true(fn.failed > 0);
}

/* ------------------------------------------------------------------------ */
/* Reads and writes                                                         */
/* ------------------------------------------------------------------------ */

static const enum nvme_dma_api apis[] = {
	NVME_DMA_API_IOVA, NVME_DMA_API_PHYS, NVME_DMA_API_SG,
};

static void each_api(struct fx *f, const struct piece *pc, unsigned int nr,
		     u64 slba, unsigned int seed)
{
	for (size_t a = 0; a < ARRAY_SIZE(apis); a++) {
		assert_int_equal(nvme_set_dma_api(f->n0, apis[a]), 0);
		write_read_verify(f, f->n0, f->d0, pc, nr, slba + a * 64,
				  seed + (unsigned int)a);
	}
	assert_int_equal(nvme_set_dma_api(f->n0, NVME_DMA_API_IOVA), 0);
}

static void test_rw_sizes(void **state)
{
	struct fx *f = FX(state);
	const struct piece p4k[] = { { 0, SZ_4K } };
	const struct piece p8k_off[] = { { 0x200, SZ_8K - 0x200 + 0x200 } };
	const struct piece p128k[] = { { 0, 128 * 1024 } };
	const struct piece p1m[] = { { 0, SZ_1M } };
	const struct piece unaligned[] = { { 0x600, 3 * SZ_4K + 0x200 } };
	struct nvme_stats st;

	fx_probe(f, NULL, NULL);
	each_api(f, p4k, 1, 0, 1);
	each_api(f, p8k_off, 1, 1000, 2);
	each_api(f, p128k, 1, 2000, 3);
	each_api(f, p1m, 1, 4000, 4);
	each_api(f, unaligned, 1, 8000, 5);
	nvme_get_stats(f->n0, &st);
	assert_int_equal(st.commands, 5 * 3 * 2);
	assert_int_equal(st.errors, 0);
	assert_true(st.simple >= 2 * 2);	/* 4K in iova and phys */
	assert_true(st.bytes > 3 * 2 * SZ_1M);
}

/* Scattered pages: one segment per page, PRP lists or SGL segments. */
static void test_rw_multiseg(void **state)
{
	struct fx *f = FX(state);
	struct piece pc[64];
	struct nvme_stats st;
	struct sim_nvme_model_stats ms;
	struct nvme_probe_opts o = { .sgl_threshold_set = true };

	/* PRPs only (sgl_threshold=0): every other page of a block */
	assert_int_equal(sim_nvme_model_attach(f->d0, NULL), 0);
	assert_int_equal(nvme_probe(f->p0, &o, &f->n0), 0);
	for (unsigned int i = 0; i < 64; i++)
		pc[i] = (struct piece){ (size_t)i * 2 * SZ_4K, SZ_4K };
	each_api(f, pc, 64, 100, 10);
	/* first page partial, last page partial */
	pc[0] = (struct piece){ 0x800, SZ_4K - 0x800 };
	pc[63].len = 0x400;
	each_api(f, pc, 64, 200, 11);
	nvme_get_stats(f->n0, &st);
	assert_int_equal(st.sgl_cmds, 0);
	assert_true(st.prp_lists > 0);
	assert_int_equal(sim_nvme_model_stats(f->d0, &ms), 0);
	assert_true(ms.prp_list_pages > 0);
	assert_int_equal(ms.sgl_segments, 0);
	assert_int_equal(ms.errors, 0);
}

/* 4 MiB (MDTS) of scattered 8K pieces: PRP lists chained over pages. */
static void test_prp_chain(void **state)
{
	struct fx *f = FX(state);
	struct nvme_probe_opts o = { .sgl_threshold_set = true };
	struct piece *pc = calloc(512, sizeof(*pc));
	struct sim_nvme_model_stats ms;
	struct nvme_stats st;

	assert_non_null(pc);
	assert_int_equal(sim_nvme_model_attach(f->d0, NULL), 0);
	assert_int_equal(nvme_probe(f->p0, &o, &f->n0), 0);
	/* 256 pieces of 12K at 16K strides: 768 PRP entries, 2 list pages */
	for (unsigned int i = 0; i < 256; i++)
		pc[i] = (struct piece){ (size_t)i * 16 * 1024, 12 * 1024 };
	each_api(f, pc, 256, 0, 20);
	nvme_get_stats(f->n0, &st);
	assert_int_equal(sim_nvme_model_stats(f->d0, &ms), 0);
	/* two list pages per command at least (phys: no coalescing) */
	assert_true(ms.prp_list_pages >= 2);
	assert_true(st.prp_lists >= 2);
	assert_int_equal(ms.errors, 0);
	free(pc);
}

/* SGLs: by the threshold, and forced by gaps PRPs cannot describe. */
static void test_sgl(void **state)
{
	struct fx *f = FX(state);
	const struct piece big[] = { { 0, 64 * 1024 }, { 128 * 1024, 64 * 1024 } };
	/* 512-byte pieces at 1K strides: gaps inside a page */
	struct piece gaps[16];
	struct nvme_stats st;
	struct sim_nvme_model_stats ms;

	fx_probe(f, NULL, NULL);
	each_api(f, big, 2, 0, 30);
	nvme_get_stats(f->n0, &st);
	assert_int_equal(st.sgl_cmds, 3 * 2);
	for (unsigned int i = 0; i < 16; i++)
		gaps[i] = (struct piece){ (size_t)i * 1024 + 8, 512 };
	each_api(f, gaps, 16, 500, 31);
	nvme_get_stats(f->n0, &st);
	assert_int_equal(st.sgl_cmds, 3 * 2 * 2);
	assert_int_equal(st.errors, 0);
	assert_int_equal(sim_nvme_model_stats(f->d0, &ms), 0);
	assert_true(ms.sgl_segments > 0);
	assert_int_equal(ms.errors, 0);
}

/* Without SGLs the queue's virt boundary keeps such requests out. */
static void test_no_sgl(void **state)
{
	struct fx *f = FX(state);
	struct sim_nvme_params p = { .no_sgl = true };
	const struct piece big[] = { { 0, 64 * 1024 }, { 128 * 1024, 64 * 1024 } };
	struct ram_blk b;
	struct request *rq = malloc(sizeof(*rq));
	struct nvme_stats st;
	struct nvme_dev_info info;

	assert_non_null(rq);
	fx_probe(f, &p, NULL);
	nvme_get_info(f->n0, &info);
	assert_false(info.sgls);
	each_api(f, big, 2, 0, 40);
	nvme_get_stats(f->n0, &st);
	assert_int_equal(st.sgl_cmds, 0);
	b = ram_blk_get(f->m, SZ_8K);
	blk_rq_init(nvme_dev_queue(f->n0), rq, REQ_OP_WRITE);
	assert_int_equal(blk_rq_add_page(rq, b.pg, 512, 0), 0);
	assert_int_equal(blk_rq_add_page(rq, b.pg + 1, 512, 0), -EINVAL);
	ram_blk_put(f->m, &b);
	free(rq);
}

static void test_io_errors(void **state)
{
	struct fx *f = FX(state);
	struct sim_nvme_params p = { .ns_bytes = SZ_1M };
	struct request *rq = malloc(sizeof(*rq));
	struct nvme_rq_result res;
	struct nvme_stats st;
	unsigned int tag;
	unsigned long entries;
	struct ram_blk b;

	assert_non_null(rq);
	fx_probe(f, &p, NULL);
	entries = sim_dma_debug_entries(f->m, f->d0);
	b = ram_blk_get(f->m, SZ_8K);
	blk_rq_init(nvme_dev_queue(f->n0), rq, REQ_OP_WRITE);
	assert_int_equal(blk_rq_add_page(rq, b.pg, SZ_8K, 0), 0);
	/* LBA out of range, completed with an error and unmapped */
	assert_int_equal(nvme_execute_rq(f->n0, 1, rq, SZ_1M / 512 - 8, &res), -EIO);
	assert_int_equal(res.status, NVME_SC_LBA_RANGE | NVME_SC_DNR);
	assert_int_equal(nvme_execute_rq(f->n0, 1, rq, SZ_1M / 512 - 16, &res), 0);
	/* bad queues and tags */
	assert_int_equal(nvme_execute_rq(f->n0, 0, rq, 0, &res), -EINVAL);
	assert_int_equal(nvme_execute_rq(f->n0, 2, rq, 0, &res), -EINVAL);
	assert_int_equal(nvme_wait_rq(f->n0, 1, 3, &res), -EINVAL);
	assert_int_equal(nvme_poll(f->n0, 5), -EINVAL);
	/* asynchronous: submit, the controller has run, poll then wait */
	assert_int_equal(nvme_submit_rq(f->n0, 1, rq, 0, &tag), 0);
	assert_int_equal(nvme_poll(f->n0, 1), 1);
	assert_int_equal(nvme_wait_rq(f->n0, 1, tag, &res), 0);
	assert_int_equal(nvme_wait_rq(f->n0, 1, tag, &res), -EINVAL);
	nvme_get_stats(f->n0, &st);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.commands, 3);
	/* only the queues, pools and nothing of the requests stay mapped */
	assert_int_equal(sim_dma_debug_entries(f->m, f->d0), entries);
	ram_blk_put(f->m, &b);
	free(rq);
}

/* Fill the queue: one slot stays free; everything completes in order. */
static void test_queue_full(void **state)
{
	struct fx *f = FX(state);
	struct nvme_probe_opts o = { .io_queue_depth = 8 };
	struct request *rq = calloc(8, sizeof(*rq));
	unsigned int tags[8];
	struct ram_blk b;
	int i;

	assert_non_null(rq);
	fx_probe(f, NULL, &o);
	b = ram_blk_get(f->m, 8 * SZ_4K);
	fill_pattern(b.cpu, b.size, 50);
	for (i = 0; i < 7; i++) {
		blk_rq_init(nvme_dev_queue(f->n0), &rq[i], REQ_OP_WRITE);
		assert_int_equal(blk_rq_add_page(&rq[i], b.pg + i, SZ_4K, 0), 0);
		assert_int_equal(nvme_submit_rq(f->n0, 1, &rq[i], i * 8, &tags[i]), 0);
	}
	blk_rq_init(nvme_dev_queue(f->n0), &rq[7], REQ_OP_WRITE);
	assert_int_equal(blk_rq_add_page(&rq[7], b.pg + 7, SZ_4K, 0), 0);
	assert_int_equal(nvme_submit_rq(f->n0, 1, &rq[7], 56, &tags[7]), -EBUSY);
	for (i = 0; i < 7; i++)
		assert_int_equal(nvme_wait_rq(f->n0, 1, tags[i], NULL), 0);
	assert_memory_equal(sim_nvme_ns_data(f->d0, NULL), b.cpu, 7 * SZ_4K);
	/* the ring wraps many times */
	for (i = 0; i < 40; i++)
		assert_int_equal(nvme_execute_rq(f->n0, 1, &rq[i % 7], 0, NULL), 0);
	ram_blk_put(f->m, &b);
	free(rq);
}

/* ------------------------------------------------------------------------ */
/* P2P from the CMB                                                         */
/* ------------------------------------------------------------------------ */

static void cmb_rw(struct fx *f, struct nvme_dev *n, struct device *d,
		   struct pci_dev *provider, u64 slba)
{
	struct request *rq = malloc(sizeof(*rq));
	struct nvme_rq_result res;
	struct nvme_dev_info info;
	size_t len = 3 * SZ_4K;
	u8 *want = malloc(len), *got = malloc(len);
	void *p2p = pci_alloc_p2pmem(provider, len);
	phys_addr_t phys;
	struct page *pg;

	assert_non_null(rq);
	assert_non_null(p2p);
	nvme_get_info(n, &info);
	phys = sim_virt_to_phys(f->m, p2p);
	pg = sim_p2pmem_virt_to_page(f->m, p2p);
	assert_non_null(pg);
	assert_true(is_pci_p2pdma_page(pg));
	fill_pattern(want, len, (unsigned int)slba);
	assert_int_equal(sim_mmio_write(f->m, phys, want, len), 0);

	/* write from the CMB */
	blk_rq_init(nvme_dev_queue(n), rq, REQ_OP_WRITE);
	assert_int_equal(blk_rq_add_page(rq, pg, (unsigned int)len, 0), 0);
	assert_int_equal(nvme_execute_rq(n, 1, rq, slba, &res), 0);
	assert_memory_equal(sim_nvme_ns_data(d, NULL) + (slba << info.lba_shift),
			    want, len);
	/* read into the CMB */
	assert_int_equal(sim_mmio_write(f->m, phys, memset(got, 0, len), len), 0);
	blk_rq_init(nvme_dev_queue(n), rq, REQ_OP_READ);
	assert_int_equal(blk_rq_add_page(rq, pg, (unsigned int)len, 0), 0);
	assert_int_equal(nvme_execute_rq(n, 1, rq, slba, &res), 0);
	assert_int_equal(sim_mmio_read(f->m, phys, got, len), 0);
	assert_memory_equal(got, want, len);
	pci_free_p2pmem(provider, p2p, len);
	free(rq);
	free(want);
	free(got);
}

static void test_p2p_cmb(void **state)
{
	struct fx *f = FX(state);
	struct sim_nvme_model_stats ms;
	unsigned long p2p_before;
	struct sim_dma_stats ds;

	fx_probe(f, NULL, NULL);
	assert_int_equal(sim_nvme_model_attach(f->d1, NULL), 0);
	assert_int_equal(nvme_probe(f->p1, NULL, &f->n1), 0);

	/* nvme0 moving data within its own CMB: never leaves the device */
	for (size_t a = 0; a < ARRAY_SIZE(apis); a++) {
		assert_int_equal(nvme_set_dma_api(f->n0, apis[a]), 0);
		cmb_rw(f, f->n0, f->d0, f->p0, 16 + a * 64);
	}
	assert_int_equal(sim_nvme_model_stats(f->d0, &ms), 0);
	assert_int_equal(ms.cmb_accesses, 3 * 2);

	/* nvme1 using nvme0's CMB: peer to peer below the switch */
	sim_dma_stats_get(f->m, &ds);
	p2p_before = ds.p2p_accesses;
	for (size_t a = 0; a < ARRAY_SIZE(apis); a++) {
		assert_int_equal(nvme_set_dma_api(f->n1, apis[a]), 0);
		cmb_rw(f, f->n1, f->d1, f->p0, 16 + a * 64);
	}
	sim_dma_stats_get(f->m, &ds);
	assert_true(ds.p2p_accesses >= p2p_before + 3 * 2 * 3);
	assert_int_equal(sim_nvme_model_stats(f->d1, &ms), 0);
	assert_int_equal(ms.cmb_accesses, 0);
	assert_int_equal(ms.errors, 0);
	settle(f, f->d1);
}

/* ------------------------------------------------------------------------ */
/* DMA faults                                                               */
/* ------------------------------------------------------------------------ */

/*
 * A command whose data the device cannot reach: nvme1 writes from nvme0's
 * CMB while nvme0 does not decode its BARs. The DMA faults in the middle
 * of the command; it completes with Data Transfer Error, the namespace is
 * unchanged, and nothing is left mapped.
 */
static void test_dma_fault(void **state)
{
	struct fx *f = FX(state);
	struct request *rq = malloc(sizeof(*rq));
	struct nvme_rq_result res;
	size_t len = 2 * SZ_4K;
	void *p2p;
	struct page *pg;
	u8 zero[64] = { 0 };
	u16 cmd;
	struct sim_nvme_model_stats ms;

	assert_non_null(rq);
	fx_probe(f, NULL, NULL);
	assert_int_equal(sim_nvme_model_attach(f->d1, NULL), 0);
	assert_int_equal(nvme_probe(f->p1, NULL, &f->n1), 0);
	p2p = pci_alloc_p2pmem(f->p0, len);
	assert_non_null(p2p);
	pg = sim_p2pmem_virt_to_page(f->m, p2p);
	pci_read_config_word(f->p0, PCI_COMMAND, &cmd);
	pci_write_config_word(f->p0, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);

	for (size_t a = 0; a < ARRAY_SIZE(apis); a++) {
		assert_int_equal(nvme_set_dma_api(f->n1, apis[a]), 0);
		blk_rq_init(nvme_dev_queue(f->n1), rq, REQ_OP_WRITE);
		assert_int_equal(blk_rq_add_page(rq, pg, (unsigned int)len, 0), 0);
		assert_int_equal(nvme_execute_rq(f->n1, 1, rq, 0, &res), -EIO);
		assert_int_equal(res.status, NVME_SC_DATA_XFER_ERROR);
		assert_memory_equal(sim_nvme_ns_data(f->d1, NULL), zero,
				    sizeof(zero));
	}
	assert_int_equal(sim_nvme_model_stats(f->d1, &ms), 0);
	assert_int_equal(ms.dma_faults, 3);
	assert_true(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT) >= 3);
	pci_write_config_word(f->p0, PCI_COMMAND, cmd);
	pci_free_p2pmem(f->p0, p2p, len);
	free(rq);
}

/*
 * A PRP list whose second entry points at memory that is not mapped for
 * the device: the first page moves, then the DMA faults; the controller
 * reports Data Transfer Error and leaves the namespace alone.
 */
static void test_prp_fault_raw(void **state)
{
	struct fx *f = FX(state);
	struct sim_nvme_params p = { .max_queues = 1, .ns_bytes = SZ_1M };
	struct nvme_command c;
	struct raw r;
	struct ram_blk b = ram_blk_get(f->m, 4 * SZ_4K);
	dma_addr_t data, list_dma, cq_dma, sq_dma, bad;
	u64 *list;
	void *iocq, *iosq;
	struct nvme_completion *cqe;
	u8 *ns;
	u32 db;

	assert_int_equal(sim_nvme_model_attach(f->d0, &p), 0);
	raw_init(&r, f->m, f->d0);
	raw_enable(&r);
	iocq = dma_alloc_coherent(f->d0, 4096, &cq_dma, GFP_KERNEL);
	iosq = dma_alloc_coherent(f->d0, 4096, &sq_dma, GFP_KERNEL);
	list = dma_alloc_coherent(f->d0, 4096, &list_dma, GFP_KERNEL);
	memset(iocq, 0, 4096);
	c = (struct nvme_command){ .opcode = nvme_admin_create_cq,
				   .dptr.prp1 = cq_dma, .cdw10 = 1 | (7 << 16),
				   .cdw11 = 1 };
	assert_int_equal(raw_cmd(&r, &c, NULL), 0);
	c = (struct nvme_command){ .opcode = nvme_admin_create_sq,
				   .dptr.prp1 = sq_dma, .cdw10 = 1 | (7 << 16),
				   .cdw11 = 1 | (1 << 16) };
	assert_int_equal(raw_cmd(&r, &c, NULL), 0);

	fill_pattern(b.cpu, b.size, 60);
	data = dma_map_phys(f->d0, page_to_phys(b.pg), 4 * SZ_4K,
			    DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(f->d0, data));
	/* an address nothing maps for the device */
	bad = f->v->iommu ? 0x7000000 : 1ULL << 50;
	list[0] = data + SZ_4K;
	list[1] = bad;
	list[2] = data + 3 * SZ_4K;
	c = (struct nvme_command){ .opcode = nvme_cmd_write, .nsid = 1,
				   .dptr.prp1 = data, .dptr.prp2 = list_dma,
				   .cdw12 = 4 * 8 - 1 };
	memcpy(iosq, &c, sizeof(c));
	db = 1;
	assert_int_equal(sim_mmio_write(f->m, r.bar + NVME_REG_DBS + 8, &db, 4), 0);
	cqe = iocq;
	assert_int_equal(cqe->status & 1, 1);
	assert_int_equal(cqe->status >> 1, NVME_SC_DATA_XFER_ERROR);
	ns = sim_nvme_ns_data(f->d0, NULL);
	for (int i = 0; i < 4 * SZ_4K; i++)
		assert_int_equal(ns[i], 0);
	assert_true(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT) +
		    sim_iommu_faults(f->m) > 0);

	/* a list entry with an offset: PRP Offset Invalid */
	list[1] = data + 2 * SZ_4K + 8;
	c.command_id = 1;
	memcpy((u8 *)iosq + 64, &c, sizeof(c));
	db = 2;
	assert_int_equal(sim_mmio_write(f->m, r.bar + NVME_REG_DBS + 8, &db, 4), 0);
	assert_int_equal(cqe[1].status >> 1, NVME_SC_PRP_INVALID_OFFSET | NVME_SC_DNR);
	/* fixed: the write goes through */
	list[1] = data + 2 * SZ_4K;
	c.command_id = 2;
	memcpy((u8 *)iosq + 128, &c, sizeof(c));
	db = 3;
	assert_int_equal(sim_mmio_write(f->m, r.bar + NVME_REG_DBS + 8, &db, 4), 0);
	assert_int_equal(cqe[2].status >> 1, 0);
	assert_memory_equal(ns, b.cpu, 4 * SZ_4K);

	dma_unmap_phys(f->d0, data, 4 * SZ_4K, DMA_TO_DEVICE, 0);
	settle(f, f->d0);
	dma_free_coherent(f->d0, 4096, list, list_dma);
	dma_free_coherent(f->d0, 4096, iosq, sq_dma);
	dma_free_coherent(f->d0, 4096, iocq, cq_dma);
	raw_fini(&r);
	ram_blk_put(f->m, &b);
}

/* ------------------------------------------------------------------------ */
/* Fault injection over submit -> complete                                  */
/* ------------------------------------------------------------------------ */

#define SWEEP_MASK	DMA_BIT_MASK(26)

static void sweep_settle(struct fx *f)
{
	settle(f, f->d0);
	/* the upper half of the streaming IOVA space is free */
	if (dev_translated(f->d0))
		check_iova_space_free(f->d0);
	assert_int_equal(swiotlb_used(f->d0), 0);
}

/* Behind an IOMMU: a small IOVA space whose upper half can be checked. */
static void sweep_mask(struct fx *f)
{
	if (dev_translated(f->d0))
		assert_int_equal(dma_set_mask(f->d0, SWEEP_MASK), 0);
}

static int sweep_one(struct fx *f, struct request *wr, struct request *rd)
{
	struct nvme_rq_result res;
	int ret;

	ret = nvme_execute_rq(f->n0, 1, wr, 0, &res);
	if (ret)
		return ret;
	return nvme_execute_rq(f->n0, 1, rd, 0, &res);
}

static void nvme_sweep_settle(void *ctx)
{
	struct nvme_sweep *w = ctx;

	sweep_settle(w->f);
}

static int io_sweep_run(void *ctx)
{
	struct nvme_sweep *w = ctx;
	int ret = sweep_one(w->f, w->wr, w->rd);

	assert_true(ret == 0 || ret == -ENOMEM);
	return ret;
}

static void test_failnth_io(void **state)
{
	struct fx *f = FX(state);
	struct request *wr = malloc(sizeof(*wr)), *rd = malloc(sizeof(*rd));
	struct piece pc[40];
	struct ram_blk src, dst;
	struct nvme_sweep w = { .f = f, .wr = wr, .rd = rd };
	/* caches may shrink on a failure, never grow */
	struct failnth fn = {
		.m = f->m, .ctx = &w, .run = io_sweep_run,
		.settle = nvme_sweep_settle, .flags = FAILNTH_MAY_SHRINK,
	};

	assert_non_null(wr);
	assert_non_null(rd);
	fx_probe(f, NULL, NULL);
	/* 40 scattered 8K pieces: lists, vectors and IOVA links to fail */
	for (unsigned int i = 0; i < 40; i++)
		pc[i] = (struct piece){ (size_t)i * 16 * 1024, 8 * 1024 };
	src = ram_blk_get(f->m, 40 * 16 * 1024);
	dst = ram_blk_get(f->m, 40 * 16 * 1024);
	fill_pattern(src.cpu, src.size, 70);
	rq_build(f->n0, wr, REQ_OP_WRITE, &src, pc, 40);
	rq_build(f->n0, rd, REQ_OP_READ, &dst, pc, 40);

	for (size_t a = 0; a < ARRAY_SIZE(apis); a++) {
		for (int sgl = 0; sgl < 2; sgl++) {
			struct nvme_dev_info info;

			/* PRPs (the threshold above the pieces) or SGLs */
			nvme_remove(f->n0);
			f->n0 = NULL;
			{
				struct nvme_probe_opts o = {
					.api = apis[a], .sgl_threshold_set = true,
					.sgl_threshold = sgl ? 4096 : 0,
				};

				assert_int_equal(nvme_probe(f->p0, &o, &f->n0), 0);
			}
			nvme_get_info(f->n0, &info);
			sweep_mask(f);
			wr->q = rd->q = nvme_dev_queue(f->n0);
			/*
			 * Warm up pools and caches with every API (a failed
			 * IOVA allocation falls back to per-segment mapping,
			 * which needs what api=phys needs), then the baseline.
			 */
			for (size_t k = 0; k < ARRAY_SIZE(apis); k++) {
				assert_int_equal(nvme_set_dma_api(f->n0, apis[k]), 0);
				assert_int_equal(sweep_one(f, wr, rd), 0);
			}
			assert_int_equal(nvme_set_dma_api(f->n0, apis[a]), 0);
			assert_int_equal(sweep_one(f, wr, rd), 0);
			fn.name = nvme_dma_api_name(apis[a]);
			failnth_sweep(&fn);
			assert_true(fn.failed > 0 || fn.runs == 1);
			/* the data survived the sweep */
			assert_memory_equal(sim_nvme_ns_data(f->d0, NULL),
					    src.cpu, 8 * 1024);
		}
	}
	assert_int_equal(dma_set_mask(f->d0, DMA_BIT_MASK(64)), 0);
	ram_blk_put(f->m, &src);
	ram_blk_put(f->m, &dst);
	free(wr);
	free(rd);
}

/* ------------------------------------------------------------------------ */
/* Concurrency                                                              */
/* ------------------------------------------------------------------------ */

struct worker {
	struct fx *f;
	unsigned int qid, idx;
	int failures;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	struct request *wr = malloc(sizeof(*wr)), *rd = malloc(sizeof(*rd));
	struct ram_blk src = ram_blk_get(f->m, 64 * 1024), dst = ram_blk_get(f->m, 64 * 1024);

	for (int round = 0; round < 30 && wr && rd; round++) {
		/* each worker its own LBAs; two workers share each queue */
		u64 slba = (u64)w->idx * 4096 + (u64)(round % 8) * 128;

		fill_pattern(src.cpu, src.size, w->qid * 100 + (unsigned int)round);
		memset(dst.cpu, 0, dst.size);
		blk_rq_init(nvme_dev_queue(f->n0), wr, REQ_OP_WRITE);
		blk_rq_init(nvme_dev_queue(f->n0), rd, REQ_OP_READ);
		for (int i = 0; i < 8; i++) {
			if (blk_rq_add_page(wr, src.pg + 2 * i, SZ_4K, 0) ||
			    blk_rq_add_page(rd, dst.pg + 2 * i, SZ_4K, 0))
				w->failures++;
		}
		if (nvme_execute_rq(f->n0, w->qid, wr, slba, NULL) ||
		    nvme_execute_rq(f->n0, w->qid, rd, slba, NULL))
			w->failures++;
		for (int i = 0; i < 8; i++)
			if (memcmp(src.cpu + 2 * i * SZ_4K, dst.cpu + 2 * i * SZ_4K,
				   SZ_4K))
				w->failures++;
	}
	ram_blk_put(f->m, &src);
	ram_blk_put(f->m, &dst);
	free(wr);
	free(rd);
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *f = FX(state);
	struct nvme_probe_opts o = { .nr_io_queues = 2 };
	struct worker w[4];
	pthread_t t[4];

	fx_probe(f, NULL, &o);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .f = f, .qid = 1 + (unsigned int)i % 2,
					.idx = (unsigned int)i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_fn, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(w[i].failures, 0);
	settle(f, f->d0);
}

static void test_api_names(void **state)
{
	enum nvme_dma_api api;

	(void)state;
	assert_int_equal(nvme_parse_dma_api("api=phys", &api), 0);
	assert_int_equal(api, NVME_DMA_API_PHYS);
	assert_int_equal(nvme_parse_dma_api("sg", &api), 0);
	assert_int_equal(api, NVME_DMA_API_SG);
	assert_int_equal(nvme_parse_dma_api("iova", &api), 0);
	assert_int_equal(api, NVME_DMA_API_IOVA);
	assert_int_equal(nvme_parse_dma_api("map", &api), -EINVAL);
	assert_string_equal(nvme_dma_api_name(NVME_DMA_API_SG), "sg");
}

/* ------------------------------------------------------------------------ */

#define VT(fn, i) \
	cmocka_unit_test_prestate_setup_teardown(fn, fx_setup, fx_teardown, \
						 (void *)&variants[i])
#define ALL(fn) VT(fn, 0), VT(fn, 1), VT(fn, 2), VT(fn, 3), VT(fn, 4), \
		VT(fn, 5), VT(fn, 6)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_names),
		VT(test_attach_errors, 0),
		ALL(test_registers),
		ALL(test_raw_admin),
		ALL(test_probe),
		VT(test_probe_errors, 0),
		VT(test_probe_errors, 1),
		VT(test_probe_failnth, 0),
		VT(test_probe_failnth, 1),
		ALL(test_rw_sizes),
		ALL(test_rw_multiseg),
		ALL(test_prp_chain),
		ALL(test_sgl),
		VT(test_no_sgl, 0),
		VT(test_no_sgl, 3),
		ALL(test_io_errors),
		ALL(test_queue_full),
		ALL(test_p2p_cmb),
		ALL(test_dma_fault),
		ALL(test_prp_fault_raw),
		ALL(test_failnth_io),
		ALL(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
