// SPDX-License-Identifier: MIT
/*
 * The NIC as a dma-buf importer: an RDMA memory region over a range of a
 * dma-buf, as drivers/infiniband/core/umem_dmabuf.c builds one for an
 * ODP-capable driver (mlx5's reg_user_mr_dmabuf):
 *
 *  - registration takes a reference to the buffer, attaches dynamically
 *    with allow_peer2peer (the NIC takes bus addresses and MMIO IOVAs) and
 *    maps once under the reservation lock, so that a buffer the NIC can
 *    never reach fails registration rather than the first packet;
 *  - move_notify runs with the reservation lock held by the exporter: the
 *    NIC stops using the mapping and gives it back there and then;
 *  - the region owns an mkey of the NIC (models/nic.h) whose MTT holds the
 *    mapping's DMA addresses, written at every map; move_notify zaps the
 *    MTT before giving the mapping back (mlx5's UMR zap), so the NIC
 *    cannot use an address once it is unmapped;
 *  - a NIC access is a work request on the mkey, posted with the
 *    reservation lock held (the simulation's "no request in flight once
 *    move_notify returns"). On a zapped MTT the NIC page-faults: the
 *    driver maps again and posts the rest (an ODP MR's fault); while the
 *    exporter refuses (a revoked buffer) the access fails and nothing is
 *    touched.
 *
 * The DMA-only table the exporter returns covers the whole buffer (the
 * kernel trims its first and last entries in place; here the walk skips
 * to the region's offset instead, so the exporter's table is never
 * modified). Entries are at most UINT_MAX long, positions are 64-bit.
 *
 * Only endpoints of platform kind "nic" register regions: the model is an
 * RDMA NIC, and other devices have no memory-region hardware. (Any device
 * can still import a dma-buf through the dma-buf API itself.)
 *
 * Kernel code, built as a module is: the program-facing sim_nic_*() calls
 * enter the NIC's machine, and so does move_notify, which the exporter
 * runs on its own thread.
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/err.h>
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/slab.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/dma-resv.h>
#include <linux/dma-buf.h>
#include <dmastack/nic.h>
#include "nic.h"

struct sim_nic_mr {
	struct device *nic;
	struct nic_mkey mkey;
	struct dma_buf *dmabuf;			/* our reference */
	struct dma_buf_attachment *attach;
	u64 offset, length;
	enum dma_data_direction dir;
	/* The live mapping, NULL while invalidated; under dmabuf->resv. */
	struct sg_table *sgt;
	/* Read without the lock by the accessors. */
	bool mapped;				/* READ_ONCE/WRITE_ONCE */
	atomic_long_t invalidations, remaps, failed_remaps;
	atomic64_t dma_bytes;
};

/* Under dmabuf->resv: stop the NIC, then give the mapping back. */
static void nic_mr_unmap(struct sim_nic_mr *mr)
{
	if (!mr->sgt)
		return;
	nic_mkey_zap(&mr->mkey);
	dma_buf_unmap_attachment(mr->attach, mr->sgt, mr->dir);
	mr->sgt = NULL;
	WRITE_ONCE(mr->mapped, false);
}

static u32 nic_mr_access_bits(enum dma_data_direction dir)
{
	if (dir == DMA_TO_DEVICE)
		return NIC_ACCESS_READ;
	if (dir == DMA_FROM_DEVICE)
		return NIC_ACCESS_WRITE;
	return NIC_ACCESS_READ | NIC_ACCESS_WRITE;
}

/* Under dmabuf->resv: the NIC's MTT for @sgt, an entry per DMA segment. */
static int nic_mr_write_mtt(struct sim_nic_mr *mr, struct sg_table *sgt)
{
	struct scatterlist *sg;
	u64 start = 0;
	unsigned int i;
	int ret;

	ret = nic_mkey_create(&mr->mkey, sgt->nents, 0,
			      nic_mr_access_bits(mr->dir));
	if (ret)
		return ret;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		nic_mkey_set(&mr->mkey, i, sg_dma_address(sg), start,
			     sg_dma_len(sg), NIC_MTT_VALID | NIC_MTT_WRITE);
		start += sg_dma_len(sg);
	}
	return nic_mkey_status(&mr->mkey);
}

/*
 * Map the region (ib_umem_dmabuf_map_pages()) and give the NIC the
 * addresses, under dmabuf->resv. The exporter's table must cover the
 * region: one that is shorter is the exporter's bug, reported, and the
 * mapping is given back.
 */
static int nic_mr_map(struct sim_nic_mr *mr)
{
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 total = 0;
	unsigned int i;
	int ret;

	dma_resv_assert_held(mr->dmabuf->resv);
	if (mr->sgt)
		return 0;
	sgt = dma_buf_map_attachment(mr->attach, mr->dir);
	if (IS_ERR(sgt))
		return (int)PTR_ERR(sgt);
	for_each_sgtable_dma_sg(sgt, sg, i)
		total += sg_dma_len(sg);
	if (total < mr->offset + mr->length) {
		WARN(1, "%s: nic mr: %s: the exporter mapped %llu bytes, the region ends at %llu\n",
		     dev_name(mr->nic),
		     mr->dmabuf->exp_name ? mr->dmabuf->exp_name : "dma-buf",
		     (unsigned long long)total,
		     (unsigned long long)(mr->offset + mr->length));
		dma_buf_unmap_attachment(mr->attach, sgt, mr->dir);
		return -EINVAL;
	}
	ret = nic_mr_write_mtt(mr, sgt);
	if (ret) {
		nic_mkey_zap(&mr->mkey);
		dma_buf_unmap_attachment(mr->attach, sgt, mr->dir);
		return ret;
	}
	mr->sgt = sgt;
	WRITE_ONCE(mr->mapped, true);
	return 0;
}

/*
 * move_notify: called by the exporter with dmabuf->resv held. NIC DMA
 * holds the same lock, so none is in flight; unmapping here is all that
 * stopping the NIC takes. The exporter may run it on a thread of its own
 * (a revoke, a migration), so it enters the NIC's machine for the MMIO
 * of the zap.
 */
static void nic_mr_move_notify(struct dma_buf_attachment *attach)
{
	struct sim_nic_mr *mr = attach->importer_priv;
	struct sim_machine *prev;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (!mr->sgt)
		return;
	prev = nic_enter(mr->nic);
	nic_mr_unmap(mr);
	nic_leave(prev);
	atomic_long_inc(&mr->invalidations);
}

static const struct dma_buf_attach_ops nic_mr_attach_ops = {
	.allow_peer2peer = true,
	.move_notify = nic_mr_move_notify,
};

/**
 * sim_nic_reg_dmabuf_mr - register a range of a dma-buf as a NIC memory region
 * @nic:    the NIC (platform kind "nic")
 * @fd:     a dma-buf fd of @nic's machine; the region takes its own
 *          reference, the caller keeps the fd
 * @offset: start of the region in the buffer
 * @length: its length
 * @dir:    what the NIC may do: DMA_TO_DEVICE reads, DMA_FROM_DEVICE
 *          writes, DMA_BIDIRECTIONAL both
 *
 * Attaches dynamically (allow_peer2peer, move_notify) and maps under the
 * buffer's reservation lock, which is taken here: the caller must not
 * hold it. The caller owns the region; sim_nic_dereg_mr() frees it.
 *
 * Return: the region, or ERR_PTR(-EINVAL, -ENODEV, -EBADF, -ENOMEM, or
 * the exporter's attach/map error such as -EOPNOTSUPP).
 */
static struct sim_nic_mr *nic_reg_dmabuf_mr(struct device *nic, int fd,
					    u64 offset, u64 length,
					    enum dma_data_direction dir)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct sim_nic_mr *mr;
	int ret;

	/* the NIC's driver is bound from its first use: reports name it */
	ret = nic_probe(nic);
	if (ret)
		return ERR_PTR(ret);
	if (dir != DMA_TO_DEVICE && dir != DMA_FROM_DEVICE &&
	    dir != DMA_BIDIRECTIONAL)
		return ERR_PTR(-EINVAL);
	/* As ib_umem_dmabuf_get(): an empty or wrapping range is invalid. */
	if (!length || offset + length < offset)
		return ERR_PTR(-EINVAL);

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	if (offset + length > dmabuf->size) {
		ret = -EINVAL;
		goto err_put;
	}
	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr) {
		ret = -ENOMEM;
		goto err_put;
	}
	mr->nic = nic;
	mr->dmabuf = dmabuf;
	mr->offset = offset;
	mr->length = length;
	mr->dir = dir;
	ret = nic_mkey_alloc(nic, &mr->mkey);
	if (ret) {
		ret = -ENOMEM;
		goto err_free;
	}

	attach = dma_buf_dynamic_attach(dmabuf, nic, &nic_mr_attach_ops, mr);
	if (IS_ERR(attach)) {
		ret = (int)PTR_ERR(attach);
		goto err_mkey;
	}
	mr->attach = attach;

	ret = dma_resv_lock(dmabuf->resv, NULL);
	if (ret)
		goto err_detach;
	ret = nic_mr_map(mr);
	dma_resv_unlock(dmabuf->resv);
	if (ret)
		goto err_detach;
	return mr;

err_detach:
	dma_buf_detach(dmabuf, attach);
err_mkey:
	nic_mkey_destroy(&mr->mkey);
err_free:
	kfree(mr);
err_put:
	dma_buf_put(dmabuf);
	return ERR_PTR(ret);
}

struct sim_nic_mr *sim_nic_reg_dmabuf_mr(struct device *nic, int fd,
					 u64 offset, u64 length,
					 enum dma_data_direction dir)
{
	struct sim_machine *prev;
	struct sim_nic_mr *mr;

	if (!nic || !nic->sim)
		return ERR_PTR(-EINVAL);
	prev = nic_enter(nic);
	mr = nic_reg_dmabuf_mr(nic, fd, offset, length, dir);
	nic_leave(prev);
	return mr;
}

/**
 * sim_nic_dereg_mr - give back a memory region
 * @mr: from sim_nic_reg_dmabuf_mr(); NULL or an ERR_PTR is ignored
 *
 * Unmaps under the reservation lock (taken here), detaches and drops the
 * region's buffer reference. No NIC access to @mr may be running.
 */
static void nic_dereg_mr(struct sim_nic_mr *mr)
{
	struct dma_buf *dmabuf = mr->dmabuf;

	/*
	 * The lock cannot fail here unless the caller holds it, which is
	 * reported (-EDEADLK); unmapping without it would race move_notify,
	 * so the mapping is then left to dma_buf_detach(), which reports it.
	 */
	if (!dma_resv_lock(dmabuf->resv, NULL)) {
		nic_mr_unmap(mr);
		dma_resv_unlock(dmabuf->resv);
	}
	/* the NIC forgets the addresses before the mapping can go */
	nic_mkey_destroy(&mr->mkey);
	dma_buf_detach(dmabuf, mr->attach);
	dma_buf_put(dmabuf);
	kfree(mr);
}

void sim_nic_dereg_mr(struct sim_nic_mr *mr)
{
	struct sim_machine *prev;

	if (IS_ERR_OR_NULL(mr))
		return;
	prev = nic_enter(mr->nic);
	nic_dereg_mr(mr);
	nic_leave(prev);
}

/*
 * One NIC access of [@off, @off + @len) of the region: a work request on
 * the region's mkey, posted with the reservation lock held so that
 * move_notify cannot unmap under it. A page fault (the MTT was zapped)
 * maps again and posts the rest.
 */
static int __nic_mr_access(struct sim_nic_mr *mr, u64 off, void *buf,
			   size_t len, bool write)
{
	u64 done = 0, bytes;
	u32 fault;
	int ret;

	if (!buf && len)
		return -EINVAL;
	if (off > mr->length || len > mr->length - off)
		return -EINVAL;
	/* The region's access rights, as an MR's access flags. */
	if (mr->dir != DMA_BIDIRECTIONAL &&
	    mr->dir != (write ? DMA_FROM_DEVICE : DMA_TO_DEVICE))
		return -EACCES;
	if (!len)
		return 0;

	ret = dma_resv_lock(mr->dmabuf->resv, NULL);
	if (ret)
		return ret;
	for (;;) {
		ret = nic_mkey_post(&mr->mkey, write ? NIC_OP_RECV : NIC_OP_SEND,
				    mr->offset + off + done, (u8 *)buf + done,
				    len - done, &bytes, &fault);
		bytes = min(bytes, len - done);
		done += bytes;
		atomic64_add((s64)bytes, &mr->dma_bytes);
		/* A fault on a mapped region is not one a map can cure. */
		if (ret != -EAGAIN || mr->sgt) {
			if (ret == -EAGAIN)
				ret = -EIO;
			break;
		}
		/* The ODP page fault: ask the exporter for a new mapping. */
		ret = nic_mr_map(mr);
		if (ret) {
			atomic_long_inc(&mr->failed_remaps);
			break;
		}
		atomic_long_inc(&mr->remaps);
	}
	dma_resv_unlock(mr->dmabuf->resv);
	/* Past a failed DMA, what did not arrive reads as all ones. */
	if (ret == -EIO && !write)
		memset((u8 *)buf + done, 0xff, len - done);
	return ret;
}

static int nic_mr_access(struct sim_nic_mr *mr, u64 off, void *buf,
			 size_t len, bool write)
{
	struct sim_machine *prev;
	int ret;

	if (IS_ERR_OR_NULL(mr))
		return -EINVAL;
	prev = nic_enter(mr->nic);
	ret = __nic_mr_access(mr, off, buf, len, write);
	nic_leave(prev);
	return ret;
}

/**
 * sim_nic_mr_read - the NIC reads from its memory region by DMA
 * @mr:  the region (registered with DMA_TO_DEVICE or DMA_BIDIRECTIONAL)
 * @off: offset in the region
 * @buf: receives @len bytes (all ones past a failing DMA)
 * @len: bytes to read
 *
 * Takes the buffer's reservation lock for the transfer; the caller must
 * not hold it. An invalidated region is mapped again first.
 *
 * Return: 0 or -errno (see include/dmastack/nic.h).
 */
int sim_nic_mr_read(struct sim_nic_mr *mr, u64 off, void *buf, size_t len)
{
	return nic_mr_access(mr, off, buf, len, false);
}

/**
 * sim_nic_mr_write - the NIC writes into its memory region by DMA
 * @mr:  the region (registered with DMA_FROM_DEVICE or DMA_BIDIRECTIONAL)
 * @off: offset in the region
 * @buf: @len bytes to write
 * @len: bytes to write
 *
 * Locking as sim_nic_mr_read().
 *
 * Return: 0 or -errno (see include/dmastack/nic.h).
 */
int sim_nic_mr_write(struct sim_nic_mr *mr, u64 off, const void *buf,
		     size_t len)
{
	return nic_mr_access(mr, off, (void *)buf, len, true);
}

/**
 * sim_nic_mr_stats - the region's counters
 * @mr:  the region
 * @out: filled with a snapshot (relaxed reads, no lock taken)
 */
void sim_nic_mr_stats(struct sim_nic_mr *mr, struct sim_nic_mr_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (IS_ERR_OR_NULL(mr))
		return;
	out->invalidations = (unsigned long)atomic_long_read(&mr->invalidations);
	out->remaps = (unsigned long)atomic_long_read(&mr->remaps);
	out->failed_remaps = (unsigned long)atomic_long_read(&mr->failed_remaps);
	out->dma_bytes = (unsigned long)atomic64_read(&mr->dma_bytes);
}

/**
 * sim_nic_mr_mapped - is the region mapped now?
 * @mr: the region
 *
 * No lock: a snapshot, which a concurrent move_notify or fault may change.
 */
bool sim_nic_mr_mapped(struct sim_nic_mr *mr)
{
	return !IS_ERR_OR_NULL(mr) && READ_ONCE(mr->mapped);
}
