/* SPDX-License-Identifier: MIT */
/*
 * The NIC device model as an RDMA importer of dma-bufs: a memory region
 * over a range of a dma-buf (the kernel's ib_umem_dmabuf with an ODP-style
 * driver, as mlx5 registers one), which the NIC then reads and writes by
 * DMA. The attachment is dynamic and accepts peer-to-peer addresses; the
 * exporter may invalidate it at any time with move_notify, and the next
 * NIC access maps it again (a page fault on the NIC), or fails cleanly
 * while the exporter refuses (a revoked buffer).
 *
 * Only endpoints of the platform kind `nic` register memory regions.
 */
#ifndef _DMASTACK_NIC_H
#define _DMASTACK_NIC_H

#include <stddef.h>
#include <dmastack/types.h>
#include <dmastack/device.h>
#include <dmastack/dma-mapping.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_nic_mr;

/*
 * Register [@offset, @offset + @length) of the dma-buf behind @fd as a
 * memory region of @nic, mapped for @dir (DMA_TO_DEVICE: the NIC only
 * reads it; DMA_FROM_DEVICE: only writes; DMA_BIDIRECTIONAL: both). The
 * region holds its own reference to the buffer (the fd may be closed).
 * ERR_PTR: -EINVAL (no device, DMA_NONE, an empty, wrapping or
 * out-of-buffer range), -ENODEV (@nic is not a NIC), -EBADF (@fd),
 * -ENOMEM, or what the exporter's attach or map returned (-EOPNOTSUPP
 * when the path to the buffer is not peer-to-peer capable, ...).
 */
struct sim_nic_mr *sim_nic_reg_dmabuf_mr(struct device *nic, int fd,
					 u64 offset, u64 length,
					 enum dma_data_direction dir);
/* Unmap, detach, drop the buffer reference, free. NULL or ERR_PTR: no-op. */
void sim_nic_dereg_mr(struct sim_nic_mr *mr);

/*
 * The NIC reads @len bytes at @off of the region into @buf (a send), or
 * writes them from @buf (a receive/RDMA write), by DMA. 0, or -EINVAL
 * (range outside the region), -EACCES (the region was not registered for
 * that direction), the exporter's refusal to map again after an
 * invalidation (e.g. -ENODEV while revoked), -EDEADLK (called with the
 * buffer's reservation lock held), or the DMA error (-EIO, -EFAULT).
 */
int sim_nic_mr_read(struct sim_nic_mr *mr, u64 off, void *buf, size_t len);
int sim_nic_mr_write(struct sim_nic_mr *mr, u64 off, const void *buf,
		     size_t len);

struct sim_nic_mr_stats {
	unsigned long invalidations;	/* move_notify that unmapped */
	unsigned long remaps;		/* faults that mapped again */
	unsigned long failed_remaps;	/* faults the exporter refused */
	unsigned long dma_bytes;	/* bytes moved by the NIC */
};

/* A snapshot of the region's counters (no lock; each value is exact). */
void sim_nic_mr_stats(struct sim_nic_mr *mr, struct sim_nic_mr_stats *out);
/* Is the region mapped now? (A snapshot: the exporter may move it.) */
bool sim_nic_mr_mapped(struct sim_nic_mr *mr);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_NIC_H */
