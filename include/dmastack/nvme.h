/* SPDX-License-Identifier: MIT */
/*
 * NVMe over PCIe: a controller model for platform devices of kind `nvme`
 * (the machine's, sim_ prefix) and the nvme-pci driver that runs it
 * (drivers/nvme/host/pci.c's names where it has one).
 *
 * The model answers BAR0 (the NVMe registers and doorbells) through CPU
 * MMIO, fetches submission queue entries, PRP lists and SGL segments by
 * device DMA (through the IOMMU like any other DMA), moves data between
 * host memory and a namespace kept in host memory, and posts completion
 * entries with the phase tag. A doorbell write is processed synchronously:
 * when sim_mmio_write() returns, every command up to the new tail has
 * completed (or the controller stalled on a full completion queue).
 *
 * The driver brings the controller up (admin queue, Identify, the number
 * of queues, I/O queue pairs), maps a struct request with the block layer's
 * DMA iterator (include/dmastack/blk-mq-dma.h) into PRPs or SGLs, submits
 * it and polls for its completion.
 */
#ifndef _DMASTACK_NVME_H
#define _DMASTACK_NVME_H

#include <dmastack/types.h>
#include <dmastack/device.h>
#include <dmastack/pci.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the specification ------------------------------------------------ */

/* Controller registers (BAR0). */
#define NVME_REG_CAP	0x0000	/* Controller Capabilities, 64 bit */
#define NVME_REG_VS	0x0008	/* Version */
#define NVME_REG_INTMS	0x000c	/* Interrupt Mask Set */
#define NVME_REG_INTMC	0x0010	/* Interrupt Mask Clear */
#define NVME_REG_CC	0x0014	/* Controller Configuration */
#define NVME_REG_CSTS	0x001c	/* Controller Status */
#define NVME_REG_NSSR	0x0020	/* NVM Subsystem Reset */
#define NVME_REG_AQA	0x0024	/* Admin Queue Attributes */
#define NVME_REG_ASQ	0x0028	/* Admin SQ Base Address, 64 bit */
#define NVME_REG_ACQ	0x0030	/* Admin CQ Base Address, 64 bit */
#define NVME_REG_CMBLOC	0x0038	/* Controller Memory Buffer Location */
#define NVME_REG_CMBSZ	0x003c	/* Controller Memory Buffer Size */
#define NVME_REG_CMBMSC	0x0050	/* CMB Memory Space Control, 64 bit */
#define NVME_REG_DBS	0x1000	/* SQ 0 Tail Doorbell */

#define NVME_CAP_MQES(cap)	((cap) & 0xffff)
#define NVME_CAP_CQR(cap)	(((cap) >> 16) & 0x1)
#define NVME_CAP_TIMEOUT(cap)	(((cap) >> 24) & 0xff)
#define NVME_CAP_STRIDE(cap)	(((cap) >> 32) & 0xf)
#define NVME_CAP_CSS(cap)	(((cap) >> 37) & 0xff)
#define NVME_CAP_MPSMIN(cap)	(((cap) >> 48) & 0xf)
#define NVME_CAP_MPSMAX(cap)	(((cap) >> 52) & 0xf)
#define NVME_CAP_CMBS(cap)	(((cap) >> 57) & 0x1)
#define NVME_CAP_CSS_NVM	(1 << 0)

#define NVME_CC_ENABLE		(1 << 0)
#define NVME_CC_CSS_NVM		(0 << 4)
#define NVME_CC_CSS_MASK	(7 << 4)
#define NVME_CC_MPS_SHIFT	7
#define NVME_CC_MPS_MASK	(0xf << NVME_CC_MPS_SHIFT)
#define NVME_CC_AMS_MASK	(7 << 11)
#define NVME_CC_SHN_NORMAL	(1 << 14)
#define NVME_CC_SHN_ABRUPT	(2 << 14)
#define NVME_CC_SHN_MASK	(3 << 14)
#define NVME_CC_IOSQES		(6 << 16)	/* 2^6 = 64 byte SQEs */
#define NVME_CC_IOCQES		(4 << 20)	/* 2^4 = 16 byte CQEs */
#define NVME_CC_IOSQES_MASK	(0xf << 16)
#define NVME_CC_IOCQES_MASK	(0xf << 20)

#define NVME_CSTS_RDY		(1 << 0)
#define NVME_CSTS_CFS		(1 << 1)
#define NVME_CSTS_SHST_OCCUR	(1 << 2)
#define NVME_CSTS_SHST_CMPLT	(2 << 2)
#define NVME_CSTS_SHST_MASK	(3 << 2)

#define NVME_CMB_BIR(cmbloc)	((cmbloc) & 0x7)
#define NVME_CMB_OFST(cmbloc)	(((cmbloc) >> 12) & 0xfffff)
#define NVME_CMBSZ_SQS		(1 << 0)
#define NVME_CMBSZ_CQS		(1 << 1)
#define NVME_CMBSZ_LISTS	(1 << 2)
#define NVME_CMBSZ_RDS		(1 << 3)
#define NVME_CMBSZ_WDS		(1 << 4)
#define NVME_CMBSZ_SZU_SHIFT	8
#define NVME_CMBSZ_SZU_MASK	0xf
#define NVME_CMBSZ_SZ_SHIFT	12
#define NVME_CMBSZ_SZ_MASK	0xfffff
#define NVME_CMBMSC_CRE		(1ULL << 0)
#define NVME_CMBMSC_CMSE	(1ULL << 1)

/* The driver's page: CC.MPS = 0 whatever the CPU's page size. */
#define NVME_CTRL_PAGE_SHIFT	12
#define NVME_CTRL_PAGE_SIZE	(1u << NVME_CTRL_PAGE_SHIFT)

/* Admin and NVM command set opcodes. */
enum nvme_admin_opcode {
	nvme_admin_delete_sq		= 0x00,
	nvme_admin_create_sq		= 0x01,
	nvme_admin_delete_cq		= 0x04,
	nvme_admin_create_cq		= 0x05,
	nvme_admin_identify		= 0x06,
	nvme_admin_set_features		= 0x09,
};

enum nvme_opcode {
	nvme_cmd_flush		= 0x00,
	nvme_cmd_write		= 0x01,
	nvme_cmd_read		= 0x02,
};

#define NVME_ID_CNS_NS			0x00
#define NVME_ID_CNS_CTRL		0x01
#define NVME_ID_CNS_NS_ACTIVE_LIST	0x02
#define NVME_IDENTIFY_DATA_SIZE		4096
#define NVME_FEAT_NUM_QUEUES		0x07

#define NVME_QUEUE_PHYS_CONTIG	(1 << 0)
#define NVME_CQ_IRQ_ENABLED	(1 << 1)

/* Command flags (SQE byte 1): PSDT in bits 7:6. */
#define NVME_CMD_SGL_METABUF	(1 << 6)	/* PSDT 01b: SGL for data */
#define NVME_CMD_SGL_METASEG	(1 << 7)	/* PSDT 10b */
#define NVME_CMD_SGL_ALL	(NVME_CMD_SGL_METABUF | NVME_CMD_SGL_METASEG)

/* SGL descriptor types (identifier bits 7:4) and subtypes (3:0). */
enum {
	NVME_SGL_FMT_ADDRESS		= 0x00,
	NVME_SGL_FMT_OFFSET		= 0x01,
	NVME_SGL_FMT_DATA_DESC		= 0x00,
	NVME_SGL_FMT_BIT_BUCKET_DESC	= 0x01,
	NVME_SGL_FMT_SEG_DESC		= 0x02,
	NVME_SGL_FMT_LAST_SEG_DESC	= 0x03,
};

/* struct nvme_id_ctrl SGLS field: SGL support (bits 1:0). */
#define NVME_CTRL_SGLS_BYTE_ALIGNED	1
#define NVME_CTRL_SGLS_DWORD_ALIGNED	2
#define NVME_CTRL_SGLS_MASK		3

/* One SGL descriptor (16 bytes, little endian). */
struct nvme_sgl_desc {
	u64 addr;
	u32 length;
	u8 rsvd[3];
	u8 type;
};

/* A submission queue entry: 64 bytes, the common layout. */
struct nvme_command {
	u8 opcode;
	u8 flags;		/* FUSE 1:0, PSDT 7:6 */
	u16 command_id;
	u32 nsid;
	u32 cdw2, cdw3;
	u64 metadata;
	union {
		struct {
			u64 prp1;
			u64 prp2;
		};
		struct nvme_sgl_desc sgl;
	} dptr;
	u32 cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

/* A completion queue entry: 16 bytes. */
struct nvme_completion {
	u32 result;		/* command specific */
	u32 rsvd;
	u16 sq_head;
	u16 sq_id;
	u16 command_id;
	u16 status;		/* phase tag bit 0, status field 15:1 */
};

/*
 * Status codes as the kernel keeps them: status field >> 1, that is
 * SC in bits 7:0, SCT in 10:8, DNR in bit 14.
 */
enum {
	NVME_SC_SUCCESS			= 0x0,
	NVME_SC_INVALID_OPCODE		= 0x1,
	NVME_SC_INVALID_FIELD		= 0x2,
	NVME_SC_DATA_XFER_ERROR		= 0x4,
	NVME_SC_INTERNAL		= 0x6,
	NVME_SC_INVALID_NS		= 0xb,
	NVME_SC_SGL_INVALID_LAST	= 0xd,
	NVME_SC_SGL_INVALID_COUNT	= 0xe,
	NVME_SC_SGL_INVALID_DATA	= 0xf,
	NVME_SC_SGL_INVALID_TYPE	= 0x11,
	NVME_SC_CMB_INVALID_USE		= 0x12,
	NVME_SC_PRP_INVALID_OFFSET	= 0x13,
	NVME_SC_LBA_RANGE		= 0x80,
	NVME_SC_CQ_INVALID		= 0x100,
	NVME_SC_QID_INVALID		= 0x101,
	NVME_SC_QUEUE_SIZE		= 0x102,
	NVME_SC_DELETE_INVALID		= 0x10c,
	NVME_SC_DNR			= 0x4000,
};

/* ---- the controller model (the machine's) ----------------------------- */

/*
 * How a controller is built. Zero fields take the default in brackets.
 */
struct sim_nvme_params {
	u64 ns_bytes;		/* namespace 1 capacity [16M], LBA multiple */
	unsigned int lba_shift;	/* 9 or 12 [9] */
	unsigned int mqes;	/* entries per queue, 2..65536 [1024] */
	unsigned int max_queues; /* I/O queue pairs, 1..64 [4] */
	unsigned int dstrd;	/* CAP.DSTRD: doorbell stride 4 << dstrd [0] */
	unsigned int mdts;	/* max transfer 2^mdts pages, 1..10 [10] */
	bool no_sgl;		/* do not support SGLs (Identify SGLS = 0) */
};

/*
 * sim_nvme_model_attach - build an NVMe controller on @dev, a function of
 * kind `nvme`: it owns BAR0's registers and, with `cmb=`, the CMB in the
 * BAR the platform placed it in. The controller lives as long as the
 * machine. 0, -EINVAL (not an nvme function, bad @p), -EBUSY (already
 * attached), -ENOMEM.
 */
int sim_nvme_model_attach(struct device *dev, const struct sim_nvme_params *p);
/* The namespace's bytes (host memory the model reads and writes). */
u8 *sim_nvme_ns_data(struct device *dev, u64 *bytes);

struct sim_nvme_model_stats {
	unsigned long admin_cmds, io_cmds;	/* commands completed */
	unsigned long errors;			/* non-zero status posted */
	unsigned long long bytes_read, bytes_written;	/* namespace I/O */
	unsigned long prp_list_pages;		/* PRP list (pieces) fetched */
	unsigned long sgl_segments;		/* SGL segments fetched */
	unsigned long cmb_accesses;		/* data moved within the CMB */
	unsigned long dma_faults;		/* device DMA that failed */
	unsigned long bad_doorbells;		/* ignored doorbell writes */
	unsigned long cq_full_stalls;		/* processing stopped: CQ full */
	u16 last_status;			/* of the last command */
};
int sim_nvme_model_stats(struct device *dev, struct sim_nvme_model_stats *out);

/* ---- the driver ---------------------------------------------------------- */

struct nvme_dev;
struct request;

/* How the driver maps a request's data (the benchmark selector api=). */
enum nvme_dma_api {
	NVME_DMA_API_IOVA,	/* the block DMA iterator (IOVA API if it can) */
	NVME_DMA_API_PHYS,	/* dma_map_phys() per segment, no coalescing */
	NVME_DMA_API_SG,	/* a scatterlist and dma_map_sgtable() */
};

/* "iova", "phys", "sg" (also "api=iova", ...). 0 or -EINVAL. */
int nvme_parse_dma_api(const char *s, enum nvme_dma_api *api);
const char *nvme_dma_api_name(enum nvme_dma_api api);

struct nvme_probe_opts {
	unsigned int nr_io_queues;	/* wanted [1]; the controller may give fewer */
	unsigned int io_queue_depth;	/* [1024], capped by CAP.MQES */
	enum nvme_dma_api api;		/* [NVME_DMA_API_IOVA] */
	/*
	 * The kernel's sgl_threshold module parameter: use SGLs for I/O when
	 * the average segment is at least this long [32K]; 0 never (PRPs).
	 */
	unsigned int sgl_threshold;
	bool sgl_threshold_set;		/* take sgl_threshold even if 0 */
	bool no_cmb;			/* do not map the CMB */
};

/*
 * nvme_probe - bring up the controller of @pdev: enable the function, map
 * the CMB (P2P memory, published when it can hold read and write data),
 * reset and enable the controller with an admin queue, Identify controller
 * and namespace 1, ask for queues, create I/O queue pairs. On success
 * *@out is the driver's state, owned by the caller until nvme_remove().
 * 0; -ENODEV (no controller answers, it does not become ready, or it
 * reported fatal status), -EIO (an admin command failed: @out untouched),
 * -ENOMEM. Nothing is left allocated or mapped on failure.
 */
int nvme_probe(struct pci_dev *pdev, const struct nvme_probe_opts *opts,
	       struct nvme_dev **out);
/*
 * nvme_remove - delete the I/O queues, shut the controller down, free
 * every queue and pool. No request may be in flight.
 */
void nvme_remove(struct nvme_dev *dev);

/* What Identify reported and probe chose. */
struct nvme_dev_info {
	u16 vid;
	char mn[41];
	u32 nn;
	u64 nsze;		/* namespace 1 size in LBAs */
	unsigned int lba_shift;
	u32 max_hw_bytes;	/* from MDTS, 0 for no limit */
	bool sgls;		/* the controller supports SGLs */
	unsigned int nr_io_queues;
	unsigned int q_depth;
	u64 cmb_size;		/* CMB bytes given to P2PDMA, 0 for none */
	bool cmb_published;
};
void nvme_get_info(struct nvme_dev *dev, struct nvme_dev_info *info);
int nvme_set_dma_api(struct nvme_dev *dev, enum nvme_dma_api api);
enum nvme_dma_api nvme_get_dma_api(struct nvme_dev *dev);

struct nvme_stats {
	unsigned long commands;		/* I/O commands completed */
	unsigned long errors;		/* completed with a non-zero status */
	unsigned long long bytes;	/* data bytes of completed commands */
	unsigned long map_calls;	/* dma_map_phys/iova_link/map_sgtable calls */
	unsigned long iova_requests;	/* mapped through one IOVA range */
	unsigned long simple;		/* single-segment fast path */
	unsigned long prp_lists;	/* PRP list descriptors allocated */
	unsigned long sgl_cmds;		/* commands sent with SGLs */
	unsigned long map_failures;	/* requests that could not be mapped */
};
void nvme_get_stats(struct nvme_dev *dev, struct nvme_stats *st);
void nvme_reset_stats(struct nvme_dev *dev);

/* A command's outcome: 0 or -errno for the host side, @status the NVMe one. */
struct nvme_rq_result {
	int error;		/* 0, -EIO (status != 0), -ENOMEM, -EINVAL */
	u16 status;		/* NVMe status (NVME_SC_*), 0 on success */
};

/* The request queue requests for @dev are built with (its limits). */
struct request_queue *nvme_dev_queue(struct nvme_dev *dev);
/*
 * Map @req (REQ_OP_READ/WRITE, a multiple of the LBA size) and submit it
 * at @slba on I/O queue @qid (1..nr_io_queues); *@tag names it for
 * nvme_wait_rq(). 0, -EINVAL, -EBUSY (queue full), -ENODEV (controller
 * dead), -ENOMEM; nothing stays mapped on error.
 */
int nvme_submit_rq(struct nvme_dev *dev, unsigned int qid, struct request *req,
		   u64 slba, unsigned int *tag);
/* Reap completions of queue @qid (data unmapped): how many, or -EINVAL. */
int nvme_poll(struct nvme_dev *dev, unsigned int qid);
/* Wait for @tag, release it: 0, -EIO (NVMe status in @res), -EINVAL. */
int nvme_wait_rq(struct nvme_dev *dev, unsigned int qid, unsigned int tag,
		 struct nvme_rq_result *res);
/* Submit and wait. */
int nvme_execute_rq(struct nvme_dev *dev, unsigned int qid, struct request *req,
		    u64 slba, struct nvme_rq_result *res);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_NVME_H */
