// SPDX-License-Identifier: MIT
/*
 * An NVMe controller (NVM Express Base Specification 1.4, PCIe transport)
 * as a device model of the machine.
 *
 * BAR0 holds the controller registers (CAP, VS, CC, CSTS, AQA, ASQ, ACQ,
 * CMBLOC, CMBSZ, CMBMSC) and the doorbells at 0x1000 + (2y (+1)) *
 * (4 << CAP.DSTRD). The controller is a device model written on the
 * public model API (<dmastack/sim-model.h>), attached at run time to a
 * function of platform kind nvme: BAR0 is its register BAR, so CPU reads
 * are composed from the controller's state, writes have the register's
 * semantics, and a doorbell write runs the controller at once. Only public
 * headers are used here, as by a model written outside the tree.
 *
 * Everything the controller touches in host memory goes through device
 * DMA (sim_dma_read/sim_dma_write, so the IOMMU, the root complex and
 * dma-debug's access checks see it): SQEs fetched from the queue's base,
 * PRP list pages and SGL segments, the data, and completion entries with
 * the phase tag. Data moving to or from the controller's own CMB (the bus
 * range the host programmed in CMBMSC) stays inside the controller.
 *
 * Errors are completion statuses: Invalid Field, PRP Offset Invalid, the
 * SGL statuses, Data Transfer Error when a DMA faults, LBA Out of Range.
 * A controller that cannot fetch an SQE or post a CQE sets CSTS.CFS and
 * stops, as hardware does when its queues are unreachable.
 *
 * Locking: one mutex per controller, taken by every MMIO access; commands
 * run under it (DMA included), so a controller executes one thing at a
 * time, like a single-threaded firmware.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <dmastack/dmastack.h>

/* The kernel's helpers a model outside the library would define too. */
#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a > _b ? _a : _b; })
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#define NVME_VS_1_4		0x00010400
#define NVME_MAX_QUEUES		64
#define NVME_SGL_MAX_DESCS	4096	/* guards against looping segments */
#define NVME_REGS_END		0x58	/* registers below the doorbells */

struct nvme_m_sq {
	bool valid;
	u64 dma;
	u32 size;		/* entries */
	u32 head, tail;
	u16 cqid;
};

struct nvme_m_cq {
	bool valid;
	u64 dma;
	u32 size;
	u32 head, tail;
	u8 phase;
	unsigned int nr_sqs;	/* submission queues posting here */
};

/* One data range a command's PRPs or SGL described. */
struct nvme_m_seg {
	u64 addr;
	u32 len;
};

struct nvme_m_ctrl {
	struct sim_machine *m;
	struct sim_model_dev *md;	/* the model instance (set by init) */
	struct device *dev;
	u16 vendor;
	pthread_mutex_t lock;
	struct sim_nvme_params p;

	/* registers */
	u64 cap;
	u32 cc, csts, aqa, intms;
	u64 asq, acq, cmbmsc;
	u32 cmbloc, cmbsz;

	/* the CMB: BAR @cmb_bar from offset 0, @cmb_size bytes at @cmb_mem */
	int cmb_bar;
	u64 cmb_size;
	u8 *cmb_mem;

	struct nvme_m_sq sq[NVME_MAX_QUEUES + 1];
	struct nvme_m_cq cq[NVME_MAX_QUEUES + 1];

	/* namespace 1 */
	u8 *ns;
	u64 ns_bytes;
	u64 nsze;

	/* per-command scratch, under @lock */
	struct nvme_m_seg *segs;
	unsigned int max_segs;
	u8 *xfer;		/* write data, staged before it is committed */
	u64 *prp;		/* one PRP list page */
	struct nvme_sgl_desc *sgl;

	struct sim_nvme_model_stats st;
};

static u32 page_size(struct nvme_m_ctrl *c)
{
	return 1u << (12 + ((c->cc & NVME_CC_MPS_MASK) >> NVME_CC_MPS_SHIFT));
}

static u64 max_xfer(struct nvme_m_ctrl *c)
{
	/* MDTS is in units of the minimum page size (CAP.MPSMIN = 4K). */
	return (u64)SZ_4K << c->p.mdts;
}

static const struct sim_model nvme_model;

static struct nvme_m_ctrl *ctrl_of(struct device *dev)
{
	struct sim_model_dev *md = dev ? sim_model_dev_of(dev) : NULL;

	if (!md || sim_model_of(md) != &nvme_model)
		return NULL;
	return sim_model_priv(md);
}

/* ------------------------------------------------------------------------ */
/* Device DMA                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Is [addr, addr + len) in the CMB as the host programmed it? Accesses
 * there never leave the controller (CMBSZ.RDS/WDS); a range that only
 * partly overlaps it is an invalid use of the CMB.
 */
static int cmb_lookup(struct nvme_m_ctrl *c, u64 addr, size_t len, u8 **p)
{
	u64 base = c->cmbmsc & ~0xfffULL;

	*p = NULL;
	if (!c->cmb_size || !(c->cmbmsc & NVME_CMBMSC_CMSE))
		return 0;
	if (addr + len <= base || addr >= base + c->cmb_size)
		return 0;
	if (addr < base || addr + len > base + c->cmb_size)
		return -EINVAL;
	*p = c->cmb_mem + (addr - base);
	return 0;
}

static int ctrl_dma(struct nvme_m_ctrl *c, u64 addr, void *buf, size_t len,
		    bool write)
{
	u8 *cmb;
	int ret;

	if (cmb_lookup(c, addr, len, &cmb)) {
		c->st.dma_faults++;
		return -EINVAL;
	}
	if (cmb) {
		if (write)
			memcpy(cmb, buf, len);
		else
			memcpy(buf, cmb, len);
		c->st.cmb_accesses++;
		return 0;
	}
	ret = write ? sim_dma_write(c->dev, addr, buf, len) :
		      sim_dma_read(c->dev, addr, buf, len);
	if (ret)
		c->st.dma_faults++;
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Data pointers: PRPs and SGLs into a list of ranges                       */
/* ------------------------------------------------------------------------ */

static u16 add_seg(struct nvme_m_ctrl *c, unsigned int *nr, u64 addr, u32 len)
{
	if (*nr && c->segs[*nr - 1].addr + c->segs[*nr - 1].len == addr) {
		c->segs[*nr - 1].len += len;
		return 0;
	}
	if (*nr == c->max_segs)
		return NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	c->segs[*nr].addr = addr;
	c->segs[*nr].len = len;
	(*nr)++;
	return 0;
}

/*
 * PRP1 may start anywhere dword aligned and runs to its page's end; PRP2
 * is the second page when that is enough, else a PRP list whose entries
 * are page aligned; the last entry of a list page points to the next list
 * page when more entries follow.
 */
static u16 parse_prps(struct nvme_m_ctrl *c, const struct nvme_command *cmd,
		      u64 len, unsigned int *nr)
{
	u32 ps = page_size(c);
	u64 prp1 = cmd->dptr.prp1, prp2 = cmd->dptr.prp2, list;
	u64 n = min(len, (u64)(ps - (prp1 & (ps - 1))));
	u16 sc;

	*nr = 0;
	if (prp1 & 3)
		return NVME_SC_PRP_INVALID_OFFSET | NVME_SC_DNR;
	sc = add_seg(c, nr, prp1, (u32)n);
	if (sc)
		return sc;
	len -= n;
	if (!len)
		return 0;
	if (len <= ps) {
		if (prp2 & (ps - 1))
			return NVME_SC_PRP_INVALID_OFFSET | NVME_SC_DNR;
		return add_seg(c, nr, prp2, (u32)len);
	}
	list = prp2;
	if (list & 7)
		return NVME_SC_PRP_INVALID_OFFSET | NVME_SC_DNR;
	while (len) {
		u64 left = DIV_ROUND_UP(len, ps);	/* entries still needed */
		u32 slots = (ps - (u32)(list & (ps - 1))) / 8;
		u32 take = (u32)min((u64)slots, left);

		if (ctrl_dma(c, list, c->prp, take * 8, false))
			return NVME_SC_DATA_XFER_ERROR;
		c->st.prp_list_pages++;
		for (u32 i = 0; i < take; i++) {
			u64 e = c->prp[i];

			if (i == slots - 1 && left > 1) {
				/* the page's last entry chains to the next list */
				if (e & 7)
					return NVME_SC_PRP_INVALID_OFFSET | NVME_SC_DNR;
				list = e;
				break;
			}
			if (e & (ps - 1))
				return NVME_SC_PRP_INVALID_OFFSET | NVME_SC_DNR;
			n = min(len, (u64)ps);
			sc = add_seg(c, nr, e, (u32)n);
			if (sc)
				return sc;
			len -= n;
			left--;
		}
	}
	return 0;
}

static u16 sgl_desc_check(const struct nvme_sgl_desc *d)
{
	if ((d->type & 0xf) != NVME_SGL_FMT_ADDRESS)
		return NVME_SC_SGL_INVALID_TYPE | NVME_SC_DNR;
	return 0;
}

/*
 * The SGL in DPTR: a data block (the whole transfer), or a (last) segment
 * descriptor pointing to a list of descriptors; a segment's last
 * descriptor may point to the next segment, a last segment holds data
 * blocks only. The data blocks must add up to the transfer exactly.
 */
static u16 parse_sgl(struct nvme_m_ctrl *c, const struct nvme_command *cmd,
		     u64 len, unsigned int *nr)
{
	struct nvme_sgl_desc d = cmd->dptr.sgl;
	unsigned int descs = 0;
	u64 total = 0;
	u16 sc;

	*nr = 0;
	for (;;) {
		unsigned int type = d.type >> 4, cnt;
		bool last, chained = false;

		sc = sgl_desc_check(&d);
		if (sc)
			return sc;
		if (type == NVME_SGL_FMT_DATA_DESC) {
			/* the one descriptor in the command */
			if (d.length != len)
				return NVME_SC_SGL_INVALID_DATA | NVME_SC_DNR;
			return add_seg(c, nr, d.addr, d.length);
		}
		if (type != NVME_SGL_FMT_SEG_DESC &&
		    type != NVME_SGL_FMT_LAST_SEG_DESC)
			return NVME_SC_SGL_INVALID_TYPE | NVME_SC_DNR;
		last = type == NVME_SGL_FMT_LAST_SEG_DESC;
		if (!d.length || d.length % sizeof(d) || (d.addr & 3))
			return NVME_SC_SGL_INVALID_COUNT | NVME_SC_DNR;
		cnt = d.length / sizeof(d);
		descs += cnt;
		if (descs > NVME_SGL_MAX_DESCS)
			return NVME_SC_SGL_INVALID_COUNT | NVME_SC_DNR;
		if (ctrl_dma(c, d.addr, c->sgl, d.length, false))
			return NVME_SC_DATA_XFER_ERROR;
		c->st.sgl_segments++;
		for (unsigned int i = 0; i < cnt; i++) {
			const struct nvme_sgl_desc *e = &c->sgl[i];
			unsigned int et = e->type >> 4;

			sc = sgl_desc_check(e);
			if (sc)
				return sc;
			if (et == NVME_SGL_FMT_DATA_DESC) {
				if (total + e->length > len)
					return NVME_SC_SGL_INVALID_DATA | NVME_SC_DNR;
				if (e->length) {
					sc = add_seg(c, nr, e->addr, e->length);
					if (sc)
						return sc;
				}
				total += e->length;
				continue;
			}
			/* only a segment's last descriptor may chain */
			if ((et == NVME_SGL_FMT_SEG_DESC ||
			     et == NVME_SGL_FMT_LAST_SEG_DESC) && !last &&
			    i == cnt - 1) {
				d = *e;
				chained = true;
				break;
			}
			return (last ? NVME_SC_SGL_INVALID_LAST :
				       NVME_SC_SGL_INVALID_TYPE) | NVME_SC_DNR;
		}
		if (last)
			break;
		/* a segment that is not the last must point to the next */
		if (!chained)
			return NVME_SC_SGL_INVALID_LAST | NVME_SC_DNR;
	}
	if (total != len)
		return NVME_SC_SGL_INVALID_DATA | NVME_SC_DNR;
	return 0;
}

/*
 * Move @len bytes between the command's data buffer and @buf: @to_host
 * means a controller-to-host transfer (DMA writes).
 */
static u16 xfer(struct nvme_m_ctrl *c, const struct nvme_command *cmd,
		void *buf, u64 len, bool to_host, bool allow_sgl)
{
	unsigned int psdt = cmd->flags & NVME_CMD_SGL_ALL, nr;
	u8 *p = buf;
	u16 sc;

	if (psdt == NVME_CMD_SGL_METABUF && allow_sgl && !c->p.no_sgl)
		sc = parse_sgl(c, cmd, len, &nr);
	else if (psdt == 0)
		sc = parse_prps(c, cmd, len, &nr);
	else
		sc = NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	if (sc)
		return sc;
	for (unsigned int i = 0; i < nr; i++) {
		if (ctrl_dma(c, c->segs[i].addr, p, c->segs[i].len, to_host))
			return NVME_SC_DATA_XFER_ERROR;
		p += c->segs[i].len;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Admin commands                                                           */
/* ------------------------------------------------------------------------ */

static void put_le16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static void put_le32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static void put_le64(u8 *p, u64 v) { memcpy(p, &v, 8); }

static void pad_str(u8 *dst, size_t len, const char *s)
{
	size_t n = strlen(s);

	memset(dst, ' ', len);
	memcpy(dst, s, min(n, len));
}

static u16 admin_identify(struct nvme_m_ctrl *c, const struct nvme_command *cmd)
{
	u8 *id = c->xfer;
	unsigned int cns = cmd->cdw10 & 0xff;

	memset(id, 0, NVME_IDENTIFY_DATA_SIZE);
	switch (cns) {
	case NVME_ID_CNS_CTRL:
		put_le16(id + 0, c->vendor);
		put_le16(id + 2, c->vendor);
		pad_str(id + 4, 20, sim_device_id(c->dev));
		pad_str(id + 24, 40, "dmastack NVMe controller");
		pad_str(id + 64, 8, "1.0");
		id[77] = (u8)c->p.mdts;
		put_le16(id + 78, 1);			/* CNTLID */
		put_le32(id + 80, NVME_VS_1_4);
		id[512] = 0x66;				/* SQES: 64 bytes */
		id[513] = 0x44;				/* CQES: 16 bytes */
		put_le32(id + 516, 1);			/* NN */
		put_le32(id + 536, c->p.no_sgl ? 0 :
				   NVME_CTRL_SGLS_BYTE_ALIGNED);
		break;
	case NVME_ID_CNS_NS:
		if (cmd->nsid != 1)
			return NVME_SC_INVALID_NS | NVME_SC_DNR;
		put_le64(id + 0, c->nsze);		/* NSZE */
		put_le64(id + 8, c->nsze);		/* NCAP */
		put_le64(id + 16, c->nsze);		/* NUSE */
		id[25] = 0;				/* NLBAF: one format */
		id[26] = 0;				/* FLBAS: format 0 */
		put_le32(id + 128, (u32)c->p.lba_shift << 16);	/* LBAF0.LBADS */
		break;
	case NVME_ID_CNS_NS_ACTIVE_LIST:
		if (cmd->nsid < 1)
			put_le32(id, 1);
		break;
	default:
		return NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	}
	return xfer(c, cmd, id, NVME_IDENTIFY_DATA_SIZE, true, false);
}

static u16 admin_create_cq(struct nvme_m_ctrl *c, const struct nvme_command *cmd)
{
	u32 qid = cmd->cdw10 & 0xffff, qsize = (cmd->cdw10 >> 16) + 1;
	struct nvme_m_cq *cq;

	if (!qid || qid > c->p.max_queues || c->cq[qid].valid)
		return NVME_SC_QID_INVALID | NVME_SC_DNR;
	if (qsize < 2 || qsize > NVME_CAP_MQES(c->cap) + 1)
		return NVME_SC_QUEUE_SIZE | NVME_SC_DNR;
	/* CAP.CQR: queues must be physically contiguous */
	if (!(cmd->cdw11 & NVME_QUEUE_PHYS_CONTIG) ||
	    (cmd->dptr.prp1 & (page_size(c) - 1)) || !cmd->dptr.prp1 ||
	    (c->cc & NVME_CC_IOCQES_MASK) != NVME_CC_IOCQES)
		return NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	cq = &c->cq[qid];
	*cq = (struct nvme_m_cq){ .valid = true, .dma = cmd->dptr.prp1,
				  .size = qsize, .phase = 1 };
	return 0;
}

static u16 admin_create_sq(struct nvme_m_ctrl *c, const struct nvme_command *cmd)
{
	u32 qid = cmd->cdw10 & 0xffff, qsize = (cmd->cdw10 >> 16) + 1;
	u32 cqid = cmd->cdw11 >> 16;

	if (!qid || qid > c->p.max_queues || c->sq[qid].valid)
		return NVME_SC_QID_INVALID | NVME_SC_DNR;
	if (!cqid || cqid > c->p.max_queues || !c->cq[cqid].valid)
		return NVME_SC_CQ_INVALID | NVME_SC_DNR;
	if (qsize < 2 || qsize > NVME_CAP_MQES(c->cap) + 1)
		return NVME_SC_QUEUE_SIZE | NVME_SC_DNR;
	if (!(cmd->cdw11 & NVME_QUEUE_PHYS_CONTIG) ||
	    (cmd->dptr.prp1 & (page_size(c) - 1)) || !cmd->dptr.prp1 ||
	    (c->cc & NVME_CC_IOSQES_MASK) != NVME_CC_IOSQES)
		return NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	c->sq[qid] = (struct nvme_m_sq){ .valid = true, .dma = cmd->dptr.prp1,
					 .size = qsize, .cqid = (u16)cqid };
	c->cq[cqid].nr_sqs++;
	return 0;
}

static u16 admin_delete_sq(struct nvme_m_ctrl *c, const struct nvme_command *cmd)
{
	u32 qid = cmd->cdw10 & 0xffff;

	if (!qid || qid > c->p.max_queues || !c->sq[qid].valid)
		return NVME_SC_QID_INVALID | NVME_SC_DNR;
	c->cq[c->sq[qid].cqid].nr_sqs--;
	c->sq[qid].valid = false;
	return 0;
}

static u16 admin_delete_cq(struct nvme_m_ctrl *c, const struct nvme_command *cmd)
{
	u32 qid = cmd->cdw10 & 0xffff;

	if (!qid || qid > c->p.max_queues || !c->cq[qid].valid)
		return NVME_SC_QID_INVALID | NVME_SC_DNR;
	if (c->cq[qid].nr_sqs)
		return NVME_SC_DELETE_INVALID | NVME_SC_DNR;
	c->cq[qid].valid = false;
	return 0;
}

static u16 admin_set_features(struct nvme_m_ctrl *c,
			      const struct nvme_command *cmd, u32 *result)
{
	u32 nsq, ncq;

	if ((cmd->cdw10 & 0xff) != NVME_FEAT_NUM_QUEUES)
		return NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	nsq = (cmd->cdw11 & 0xffff) + 1;
	ncq = (cmd->cdw11 >> 16) + 1;
	if (nsq == 0x10000 || ncq == 0x10000)
		return NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	/* the controller allocates what it has; the result is 0's based */
	nsq = min(nsq, c->p.max_queues);
	ncq = min(ncq, c->p.max_queues);
	*result = (nsq - 1) | ((ncq - 1) << 16);
	return 0;
}

static u16 exec_admin(struct nvme_m_ctrl *c, const struct nvme_command *cmd,
		      u32 *result)
{
	c->st.admin_cmds++;
	if (cmd->flags & NVME_CMD_SGL_ALL)	/* PRPs only for admin (PCIe) */
		return NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	switch (cmd->opcode) {
	case nvme_admin_identify:
		return admin_identify(c, cmd);
	case nvme_admin_create_cq:
		return admin_create_cq(c, cmd);
	case nvme_admin_create_sq:
		return admin_create_sq(c, cmd);
	case nvme_admin_delete_sq:
		return admin_delete_sq(c, cmd);
	case nvme_admin_delete_cq:
		return admin_delete_cq(c, cmd);
	case nvme_admin_set_features:
		return admin_set_features(c, cmd, result);
	default:
		return NVME_SC_INVALID_OPCODE | NVME_SC_DNR;
	}
}

/* ------------------------------------------------------------------------ */
/* NVM commands                                                             */
/* ------------------------------------------------------------------------ */

static u16 exec_io(struct nvme_m_ctrl *c, const struct nvme_command *cmd)
{
	u64 slba = cmd->cdw10 | ((u64)cmd->cdw11 << 32);
	u64 nlb = (cmd->cdw12 & 0xffff) + 1;
	u64 off, len;
	u16 sc;

	c->st.io_cmds++;
	switch (cmd->opcode) {
	case nvme_cmd_flush:
		return cmd->nsid == 1 || cmd->nsid == 0xffffffff ? 0 :
			NVME_SC_INVALID_NS | NVME_SC_DNR;
	case nvme_cmd_read:
	case nvme_cmd_write:
		break;
	default:
		return NVME_SC_INVALID_OPCODE | NVME_SC_DNR;
	}
	if (cmd->nsid != 1)
		return NVME_SC_INVALID_NS | NVME_SC_DNR;
	if (slba >= c->nsze || nlb > c->nsze - slba)
		return NVME_SC_LBA_RANGE | NVME_SC_DNR;
	off = slba << c->p.lba_shift;
	len = nlb << c->p.lba_shift;
	if (len > max_xfer(c))
		return NVME_SC_INVALID_FIELD | NVME_SC_DNR;
	if (cmd->opcode == nvme_cmd_read) {
		sc = xfer(c, cmd, c->ns + off, len, true, true);
		if (!sc)
			c->st.bytes_read += len;
		return sc;
	}
	/* stage the data: a write that faults leaves the namespace alone */
	sc = xfer(c, cmd, c->xfer, len, false, true);
	if (sc)
		return sc;
	memcpy(c->ns + off, c->xfer, len);
	c->st.bytes_written += len;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Queues                                                                   */
/* ------------------------------------------------------------------------ */

static void fatal(struct nvme_m_ctrl *c, const char *why, u64 addr)
{
	c->csts |= NVME_CSTS_CFS;
	sim_model_log(c->md, addr, "nvme %s: controller fatal status: %s at %#llx",
		      sim_device_id(c->dev), why, (unsigned long long)addr);
}

static bool cq_full(const struct nvme_m_cq *cq)
{
	return (cq->tail + 1) % cq->size == cq->head;
}

static void post_cqe(struct nvme_m_ctrl *c, struct nvme_m_cq *cq, u16 sqid,
		     u16 sqhd, u16 cid, u16 status, u32 result)
{
	struct nvme_completion cqe = {
		.result = result,
		.sq_head = sqhd,
		.sq_id = sqid,
		.command_id = cid,
		.status = (u16)(status << 1) | cq->phase,
	};

	if (ctrl_dma(c, cq->dma + (u64)cq->tail * sizeof(cqe), &cqe,
		     sizeof(cqe), true)) {
		fatal(c, "completion queue entry write failed",
		      cq->dma + (u64)cq->tail * sizeof(cqe));
		return;
	}
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
	if (status)
		c->st.errors++;
	c->st.last_status = status;
}

/* Run submission queue @qid from its head to its tail (or a full CQ). */
static void run_sq(struct nvme_m_ctrl *c, u16 qid)
{
	struct nvme_m_sq *sq = &c->sq[qid];
	struct nvme_m_cq *cq = &c->cq[sq->cqid];

	while (sq->valid && sq->head != sq->tail &&
	       !(c->csts & NVME_CSTS_CFS)) {
		struct nvme_command cmd;
		u64 at = sq->dma + (u64)sq->head * sizeof(cmd);
		u32 result = 0;
		u16 status;

		if (cq_full(cq)) {
			c->st.cq_full_stalls++;
			return;
		}
		if (ctrl_dma(c, at, &cmd, sizeof(cmd), false)) {
			fatal(c, "submission queue entry fetch failed", at);
			return;
		}
		sq->head = (sq->head + 1) % sq->size;
		status = qid ? exec_io(c, &cmd) : exec_admin(c, &cmd, &result);
		post_cqe(c, cq, qid, (u16)sq->head, cmd.command_id, status,
			 result);
	}
}

static void ctrl_reset(struct nvme_m_ctrl *c)
{
	memset(c->sq, 0, sizeof(c->sq));
	memset(c->cq, 0, sizeof(c->cq));
	c->csts = 0;
}

/* CC.EN 0 -> 1: check the configuration, set up the admin queue. */
static void ctrl_enable(struct nvme_m_ctrl *c)
{
	u32 mps = (c->cc & NVME_CC_MPS_MASK) >> NVME_CC_MPS_SHIFT;
	u32 asqs = (c->aqa & 0xfff) + 1, acqs = ((c->aqa >> 16) & 0xfff) + 1;
	u32 ps = 1u << (12 + mps);
	const char *why = NULL;

	if (mps < NVME_CAP_MPSMIN(c->cap) || mps > NVME_CAP_MPSMAX(c->cap))
		why = "CC.MPS outside CAP.MPSMIN..MPSMAX";
	else if (c->cc & NVME_CC_CSS_MASK)
		why = "CC.CSS is not the NVM command set";
	else if (c->cc & NVME_CC_AMS_MASK)
		why = "CC.AMS is not round robin";
	else if (asqs < 2 || acqs < 2)
		why = "AQA: admin queues need at least 2 entries";
	else if (!c->asq || !c->acq || (c->asq & (ps - 1)) ||
		 (c->acq & (ps - 1)))
		why = "ASQ/ACQ: zero or not aligned to the page size";
	if (why) {
		fatal(c, why, 0);
		return;
	}
	c->sq[0] = (struct nvme_m_sq){ .valid = true, .dma = c->asq,
				       .size = asqs, .cqid = 0 };
	c->cq[0] = (struct nvme_m_cq){ .valid = true, .dma = c->acq,
				       .size = acqs, .phase = 1, .nr_sqs = 1 };
	c->csts = NVME_CSTS_RDY;
}

static void write_cc(struct nvme_m_ctrl *c, u32 val)
{
	u32 old = c->cc;

	c->cc = val;
	if ((old & NVME_CC_ENABLE) && !(val & NVME_CC_ENABLE)) {
		ctrl_reset(c);
		return;
	}
	if (!(old & NVME_CC_ENABLE) && (val & NVME_CC_ENABLE))
		ctrl_enable(c);
	if ((val & NVME_CC_SHN_MASK) && !(old & NVME_CC_SHN_MASK)) {
		/* nothing is cached: shutdown completes at once */
		c->csts = (c->csts & ~NVME_CSTS_SHST_MASK) | NVME_CSTS_SHST_CMPLT;
	} else if (!(val & NVME_CC_SHN_MASK)) {
		c->csts &= ~NVME_CSTS_SHST_MASK;
	}
}

static void doorbell(struct nvme_m_ctrl *c, u64 off, u32 val)
{
	u32 stride = 4u << c->p.dstrd;
	u64 idx = (off - NVME_REG_DBS) / stride;
	u16 qid = (u16)(idx / 2);

	if ((off - NVME_REG_DBS) % stride || qid > c->p.max_queues ||
	    !(c->csts & NVME_CSTS_RDY) || (c->csts & NVME_CSTS_CFS))
		goto bad;
	if (!(idx & 1)) {
		struct nvme_m_sq *sq = &c->sq[qid];

		if (!sq->valid || val >= sq->size)
			goto bad;
		sq->tail = val;
		run_sq(c, qid);
		return;
	}
	{
		struct nvme_m_cq *cq = &c->cq[qid];

		if (!cq->valid || val >= cq->size)
			goto bad;
		cq->head = val;
		/* room again: resume the queues that stalled on it */
		for (u16 q = 0; q <= c->p.max_queues; q++)
			if (c->sq[q].valid && c->sq[q].cqid == qid)
				run_sq(c, q);
	}
	return;
bad:
	c->st.bad_doorbells++;
}

/* ------------------------------------------------------------------------ */
/* BAR0                                                                     */
/* ------------------------------------------------------------------------ */

static void regs_image(struct nvme_m_ctrl *c, u8 *img)
{
	bool cre = c->cmbmsc & NVME_CMBMSC_CRE;

	memset(img, 0, NVME_REGS_END);
	put_le64(img + NVME_REG_CAP, c->cap);
	put_le32(img + NVME_REG_VS, NVME_VS_1_4);
	put_le32(img + NVME_REG_INTMS, c->intms);
	put_le32(img + NVME_REG_INTMC, c->intms);
	put_le32(img + NVME_REG_CC, c->cc);
	put_le32(img + NVME_REG_CSTS, c->csts);
	put_le32(img + NVME_REG_AQA, c->aqa);
	put_le64(img + NVME_REG_ASQ, c->asq);
	put_le64(img + NVME_REG_ACQ, c->acq);
	/* NVMe 1.4: CMBLOC/CMBSZ read 0 until CMBMSC.CRE is set */
	put_le32(img + NVME_REG_CMBLOC, cre ? c->cmbloc : 0);
	put_le32(img + NVME_REG_CMBSZ, cre ? c->cmbsz : 0);
	put_le64(img + NVME_REG_CMBMSC, c->cmbmsc);
}

static int bar0_read(struct sim_model_dev *md, int bar, u64 off, void *buf,
		     size_t len)
{
	struct nvme_m_ctrl *c = sim_model_priv(md);
	u8 img[NVME_REGS_END];

	pthread_mutex_lock(&c->lock);
	regs_image(c, img);
	for (size_t i = 0; i < len; i++)
		((u8 *)buf)[i] = off + i < NVME_REGS_END ? img[off + i] : 0;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static bool overlaps(u64 off, size_t len, u64 reg, size_t size)
{
	return off < reg + size && reg < off + len;
}

static int bar0_write(struct sim_model_dev *md, int bar, u64 off,
		      const void *buf, size_t len)
{
	struct nvme_m_ctrl *c = sim_model_priv(md);
	u8 img[NVME_REGS_END];
	u32 v32;
	u64 v64;

	pthread_mutex_lock(&c->lock);
	if (off >= NVME_REG_DBS) {
		/* doorbells are written as dwords */
		if (len == 4 && !(off & 3)) {
			memcpy(&v32, buf, 4);
			doorbell(c, off, v32);
		} else {
			c->st.bad_doorbells++;
		}
		goto out;
	}
	regs_image(c, img);
	for (size_t i = 0; i < len && off + i < NVME_REGS_END; i++)
		img[off + i] = ((const u8 *)buf)[i];

	if (overlaps(off, len, NVME_REG_INTMS, 4)) {
		memcpy(&v32, img + NVME_REG_INTMS, 4);
		c->intms |= v32;
	}
	if (overlaps(off, len, NVME_REG_INTMC, 4)) {
		memcpy(&v32, img + NVME_REG_INTMC, 4);
		c->intms &= ~v32;
	}
	if (overlaps(off, len, NVME_REG_AQA, 4)) {
		memcpy(&v32, img + NVME_REG_AQA, 4);
		c->aqa = v32 & 0x0fff0fff;
	}
	if (overlaps(off, len, NVME_REG_ASQ, 8)) {
		memcpy(&v64, img + NVME_REG_ASQ, 8);
		c->asq = v64 & ~0xfffULL;
	}
	if (overlaps(off, len, NVME_REG_ACQ, 8)) {
		memcpy(&v64, img + NVME_REG_ACQ, 8);
		c->acq = v64 & ~0xfffULL;
	}
	if (overlaps(off, len, NVME_REG_CMBMSC, 8) && c->cmb_size) {
		memcpy(&v64, img + NVME_REG_CMBMSC, 8);
		c->cmbmsc = v64 & (~0xfffULL | NVME_CMBMSC_CRE |
				   NVME_CMBMSC_CMSE);
	}
	/* CC last: enabling latches AQA/ASQ/ACQ written in the same access */
	if (overlaps(off, len, NVME_REG_CC, 4)) {
		memcpy(&v32, img + NVME_REG_CC, 4);
		write_cc(c, v32);
	}
	/* CAP, VS, CSTS, CMBLOC, CMBSZ are read-only; NSSR unsupported */
out:
	pthread_mutex_unlock(&c->lock);
	return 0;
}


/* ------------------------------------------------------------------------ */
/* Attach and release                                                       */
/* ------------------------------------------------------------------------ */

static void ctrl_free(struct sim_machine *m, struct nvme_m_ctrl *c)
{
	if (!c)
		return;
	if (c->ns)
		munmap(c->ns, c->ns_bytes);
	sim_free(m, c->sgl);
	sim_free(m, c->prp);
	sim_free(m, c->segs);
	sim_free(m, c->xfer);
	pthread_mutex_destroy(&c->lock);
	sim_free(m, c);
}

/* The model's init: the controller was made by the attach, with @priv. */
static int nvme_model_init(struct sim_model_dev *md)
{
	struct nvme_m_ctrl *c = sim_model_priv(md);

	c->md = md;
	if (c->cmb_bar >= 0) {
		c->cmb_mem = sim_model_bar_mem(md, c->cmb_bar);
		if (!c->cmb_mem) {
			sim_model_error(md, "no memory behind the CMB's bar%d",
					c->cmb_bar);
			return -EINVAL;
		}
	}
	return 0;
}

static void nvme_model_exit(struct sim_model_dev *md)
{
	struct nvme_m_ctrl *c = sim_model_priv(md);

	ctrl_free(c->m, c);
	sim_model_set_priv(md, NULL);
}

/*
 * The controller as a model: BAR0 (at least 8K: registers, then the
 * doorbells) is its register BAR; a CMB BAR is found on the function.
 * The identity is the platform kind's.
 */
static const struct sim_model nvme_model = {
	.name = "nvme",
	.vendor = 0x144d,
	.device = 0xa80a,
	.class_code = 0x010802,
	.bars = { [0] = { .size = 2 * SZ_4K, .flags = SIM_BAR_REGS } },
	.init = nvme_model_init,
	.exit = nvme_model_exit,
	.bar_read = bar0_read,
	.bar_write = bar0_write,
};

static int params_check(struct sim_nvme_params *p)
{
	if (!p->lba_shift)
		p->lba_shift = 9;
	if (!p->ns_bytes)
		p->ns_bytes = 16 * SZ_1M;
	if (!p->mqes)
		p->mqes = 1024;
	if (!p->max_queues)
		p->max_queues = 4;
	if (!p->mdts)
		p->mdts = 10;
	if ((p->lba_shift != 9 && p->lba_shift != 12) ||
	    p->ns_bytes % (1ULL << p->lba_shift) || p->ns_bytes > SZ_1G * 64ULL ||
	    p->mqes < 2 || p->mqes > 65536 || p->max_queues > NVME_MAX_QUEUES ||
	    p->dstrd > 8 || p->mdts > 10)
		return -EINVAL;
	return 0;
}

/* CMBSZ for @size bytes: the smallest unit that keeps SZ in 20 bits. */
static u32 cmbsz_of(u64 size)
{
	unsigned int szu = 0;

	while ((size >> (12 + 4 * szu)) > NVME_CMBSZ_SZ_MASK)
		szu++;
	return NVME_CMBSZ_RDS | NVME_CMBSZ_WDS |
	       (szu << NVME_CMBSZ_SZU_SHIFT) |
	       ((u32)(size >> (12 + 4 * szu)) << NVME_CMBSZ_SZ_SHIFT);
}

/**
 * sim_nvme_model_attach - make @dev an NVMe controller
 * @dev: a PCI function of platform kind `nvme`
 * @params: controller shape, NULL for the defaults
 *
 * Creates the controller state on the function (freed with the machine),
 * takes over BAR0's registers and, when the platform gave `cmb=`, offers
 * that BAR as the CMB (CMBLOC/CMBSZ; read and write data). The controller
 * starts disabled (CC.EN = 0). Not serialised against MMIO to @dev: attach
 * before anything uses the function.
 *
 * Return: 0, -EINVAL (not an nvme function, bad parameters), -EBUSY
 * (a model is attached already), -ENOMEM.
 */
int sim_nvme_model_attach(struct device *dev, const struct sim_nvme_params *params)
{
	struct sim_nvme_params p = params ? *params : (struct sim_nvme_params){ 0 };
	struct sim_machine *m;
	struct sim_node *node;
	struct nvme_m_ctrl *c;
	u64 xfer_max;
	int ret;

	if (!dev || !dev->sim || !dev_is_pci(dev) ||
	    strcmp(sim_device_kind(dev), "nvme"))
		return -EINVAL;
	m = dev->sim;
	node = sim_node_find(m, sim_device_id(dev));
	if (!node || params_check(&p))
		return -EINVAL;
	if (sim_model_dev_of(dev))
		return -EBUSY;

	c = sim_zalloc(m, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->m = m;
	c->dev = dev;
	c->vendor = nvme_model.vendor;
	c->p = p;
	pthread_mutex_init(&c->lock, NULL);
	xfer_max = (u64)SZ_4K << p.mdts;
	/* PRP entries or SGL data blocks: at most one per 4K, plus slack */
	c->max_segs = (unsigned int)(xfer_max / SZ_4K) + 2;
	c->segs = sim_zalloc(m, c->max_segs * sizeof(*c->segs));
	c->xfer = sim_zalloc(m, max(xfer_max, (u64)NVME_IDENTIFY_DATA_SIZE));
	c->prp = sim_zalloc(m, 1u << 16);	/* the largest page, 64K */
	c->sgl = sim_zalloc(m, NVME_SGL_MAX_DESCS * sizeof(*c->sgl));
	if (!c->segs || !c->xfer || !c->prp || !c->sgl) {
		ret = -ENOMEM;
		goto free_ctrl;
	}
	/* sparse: a namespace costs only what is written */
	c->ns = mmap(NULL, p.ns_bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (c->ns == MAP_FAILED) {
		c->ns = NULL;
		ret = -ENOMEM;
		goto free_ctrl;
	}
	c->ns_bytes = p.ns_bytes;
	c->nsze = p.ns_bytes >> p.lba_shift;

	c->cap = (u64)(p.mqes - 1) |
		 (1ULL << 16) |			/* CQR */
		 (20ULL << 24) |		/* TO: 10 s */
		 ((u64)p.dstrd << 32) |
		 (1ULL << 37) |			/* CSS: NVM */
		 (0ULL << 48) |			/* MPSMIN: 4K */
		 (4ULL << 52);			/* MPSMAX: 64K */
	c->cmb_bar = -1;
	for (int b = 1; b < PCI_STD_NUM_BARS; b++) {
		struct sim_bar_info bi;

		if (sim_node_get_bar(node, b, &bi) || !bi.role ||
		    strcmp(bi.role, "cmb"))
			continue;
		c->cmb_bar = b;
		c->cmb_size = bi.size;
		c->cap |= 1ULL << 57;	/* CMBS */
		c->cmbloc = (u32)b;	/* BIR, offset 0 */
		c->cmbsz = cmbsz_of(bi.size);
		break;
	}

	ret = sim_model_attach(dev, &nvme_model, c);
	if (ret)
		goto free_ctrl;
	return 0;

free_ctrl:
	ctrl_free(m, c);
	return ret;
}

/**
 * sim_nvme_ns_data - the namespace store of @dev's controller
 * @dev: a function with an attached controller
 * @bytes: if not NULL, set to the namespace's size in bytes
 *
 * The bytes are the model's; reading them while commands run races with
 * the controller, as reading a disk's platters would.
 *
 * Return: the store, or NULL without a controller.
 */
u8 *sim_nvme_ns_data(struct device *dev, u64 *bytes)
{
	struct nvme_m_ctrl *c = ctrl_of(dev);

	if (!c)
		return NULL;
	if (bytes)
		*bytes = c->ns_bytes;
	return c->ns;
}

/**
 * sim_nvme_model_stats - what @dev's controller has done
 *
 * Return: 0, or -ENODEV without a controller.
 */
int sim_nvme_model_stats(struct device *dev, struct sim_nvme_model_stats *out)
{
	struct nvme_m_ctrl *c = ctrl_of(dev);

	if (!c || !out)
		return -ENODEV;
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
	return 0;
}
