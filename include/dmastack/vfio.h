/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/vfio.h>: the kernel's <linux/vfio.h> and <linux/vfio_pci_core.h>
 * (what kernel code includes with the dmastack-kernel cflags), and the
 * machine's side of VFIO: the user's device fd, the plain vfio-pci driver,
 * an nvgrace-like variant, and vfio/mlx5's migration data buffers.
 */
#ifndef _DMASTACK_VFIO_H
#define _DMASTACK_VFIO_H

#include "linux/vfio.h"
#include "linux/vfio_pci_core.h"
#include "linux/dma-buf.h"
#include "linux/pci-p2pdma.h"
#include "uaccess.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the device fd: what the VFIO core and the user do ------------------ */
/*
 * The user opens a registered device's fd (the kernel's vfio_df_open()):
 * it holds a registration reference, the device's IOMMU group (if it has
 * a translating one) is claimed for user DMA, and ops->open_device runs.
 * One user at a time. 0, -ENODEV (not registered), -EBUSY (open), the
 * ownership claim's error (-EPERM: another owner, or the group is not
 * viable: a kernel driver does DMA in it, a device of it bound to a
 * driver that does not manage DMA itself or with live DMA-API mappings
 * or allocations; -ENOMEM) or open_device's.
 */
int sim_vfio_open(struct vfio_device *device);
/*
 * The fd closes (the last close): ops->close_device, DMA ownership goes
 * back, then the fd's registration reference. Not open: nothing.
 */
void sim_vfio_close(struct vfio_device *device);
/*
 * ioctl(2) on the open fd, @arg being the user's buffer of @arg_len
 * bytes (the calling thread's user window during the call):
 * VFIO_DEVICE_FEATURE is the core's (the header's checks, then
 * ops->device_feature), every other command goes to ops->ioctl.
 * Returns what the ioctl returns; -EINVAL when the device is not open.
 */
long sim_vfio_ioctl(struct vfio_device *device, unsigned int cmd, void *arg,
		    size_t arg_len);
/*
 * read(2)/write(2) on the open fd at @pos (ops->read/ops->write with
 * [@buf, @buf + @count) as user memory). -EINVAL when not open.
 */
ssize_t sim_vfio_read(struct vfio_device *device, void *buf, size_t count,
		      u64 pos);
ssize_t sim_vfio_write(struct vfio_device *device, const void *buf,
		       size_t count, u64 pos);

/* Registration references held now (tests, reports). */
int sim_vfio_registration_count(struct vfio_device *device);

/* ---- vfio-pci and a variant ----------------------------------------------- */

/*
 * The plain vfio-pci driver's ops (drivers/vfio/pci/vfio_pci.c): struct
 * vfio_device_ops over the vfio_pci_core_* helpers, for
 * vfio_alloc_device(vfio_pci_core_device, vdev, dev, &sim_vfio_pci_ops);
 * and its vfio_pci_device_ops, where every BAR exports the default way.
 */
extern const struct vfio_device_ops sim_vfio_pci_ops;
extern const struct vfio_pci_device_ops sim_vfio_pci_dev_ops;

/* Live exports of @vdev (on its list, release not started). */
unsigned int sim_vfio_pci_dma_buf_count(struct vfio_pci_core_device *vdev);
/*
 * Exports on @vdev's list that are not revoked while its BARs do not
 * decode, looked at under memory_lock (read): 0 unless the locking that
 * orders revokes and decoding changes is broken (stress tests).
 */
unsigned int sim_vfio_pci_dma_buf_usable_while_off(struct vfio_pci_core_device *vdev);

/*
 * A variant like vfio/nvgrace-gpu (src/kernel/vfio/nvgrace.c): @memlength
 * bytes of device memory at @memphys (machine RAM the caller owns) appear
 * as region VFIO_NVGRACE_USEMEM_REGION_INDEX and export with BAR 0's P2P
 * provider. Allocated with its ops ("nvgrace-gpu-vfio-pci"); register,
 * open and put it as any vfio-pci device. ERR_PTR(-EINVAL) (not PCI, no
 * memory, unaligned), -ENOMEM.
 */
#define VFIO_NVGRACE_USEMEM_REGION_INDEX	VFIO_PCI_BAR4_REGION_INDEX
struct vfio_pci_core_device *sim_vfio_nvgrace_alloc_device(struct device *dev,
							   phys_addr_t memphys,
							   size_t memlength);

/* ---- migration data buffers (vfio/mlx5's page lists) -------------------- */
/*
 * A variant driver's device-state buffer as vfio/mlx5 keeps it since "vfio/
 * mlx5: Enable the DMA link API": an array of struct page pointers, no
 * scatterlist, mapped for the device with the IOVA API (one IOVA range for
 * the whole buffer, one dma_iova_link() per page, one dma_iova_sync()), so
 * that the device reaches byte N of the buffer at IOVA + N and no DMA
 * address is stored per page. When the IOVA API cannot be used (no IOMMU,
 * or no IOVA space left) the pages are mapped one by one with
 * dma_map_page() and their addresses kept in the device's translation
 * table (mlx5's MTT, which the device needs anyway), as register_dma_pages()
 * does. A buffer has one user at a time (mlx5's state_mutex).
 *
 * @dev is the function that moves the state by DMA: for mlx5 the PF's core
 * device (mdev->device), not the VF that VFIO owns (whose IOMMU group is
 * on the blocking domain while the user has it).
 */
struct vfio_mig_buf;

/*
 * A buffer of @npages pages (rounded up to whole IOMMU granules when the
 * granule is larger than a page) for @dir; mapped unless @dir is DMA_NONE
 * (a buffer the CPU fills before vfio_mig_buf_map(), as mlx5's load path).
 * ERR_PTR(-EINVAL) (no device, no pages, a bad direction), -ENOMEM, or the
 * mapping's error.
 */
struct vfio_mig_buf *vfio_mig_buf_alloc(struct device *dev, u32 npages,
					enum dma_data_direction dir);
/* Unmap and free; NULL or ERR_PTR: no-op. */
void vfio_mig_buf_free(struct vfio_mig_buf *buf);
/*
 * Map an unmapped buffer for @dir (mlx5vf_dma_data_buffer()). 0, -EINVAL
 * (already mapped, DMA_NONE), -ENOMEM, -EIO.
 */
int vfio_mig_buf_map(struct vfio_mig_buf *buf, enum dma_data_direction dir);
/*
 * Grow by @npages pages (rounded as at allocation); the contents stay. A
 * mapped buffer is unmapped and mapped again whole (an IOVA range cannot
 * grow in place). 0; -ENOMEM with the buffer unchanged when the pages or
 * the list could not be had; or the mapping's error, the buffer then grown
 * but unmapped (vfio_mig_buf_map() may retry).
 */
int vfio_mig_buf_add_pages(struct vfio_mig_buf *buf, u32 npages);

u32 vfio_mig_buf_npages(const struct vfio_mig_buf *buf);
bool vfio_mig_buf_mapped(const struct vfio_mig_buf *buf);
/* Mapped through the IOVA API (else page by page, or not at all). */
bool vfio_mig_buf_uses_iova(const struct vfio_mig_buf *buf);
/* The page holding byte @offset, NULL past the end (mlx5vf_get_migration_page). */
struct page *vfio_mig_buf_page(const struct vfio_mig_buf *buf, u64 offset);
/* The device's address of byte @offset; DMA_MAPPING_ERROR if unmapped/out. */
dma_addr_t vfio_mig_buf_dma_addr(const struct vfio_mig_buf *buf, u64 offset);
/*
 * Bytes of memory the buffer's bookkeeping holds: the structure, the page
 * list and, on the page-by-page path only, the translation table.
 */
size_t vfio_mig_buf_meta_bytes(const struct vfio_mig_buf *buf);
/* The CPU's access to the buffer through its pages. 0 or -EINVAL (range). */
int vfio_mig_buf_read(const struct vfio_mig_buf *buf, u64 offset, void *dst,
		      size_t len);
int vfio_mig_buf_write(struct vfio_mig_buf *buf, u64 offset, const void *src,
		       size_t len);

/*
 * The device model: its state image is @len bytes generated from @seed
 * (vfio_mig_state_image() fills a range of it). "Save state" makes the
 * device write the image into the buffer by DMA (through the buffer's
 * translation); "load state" makes it read the buffer back by DMA and
 * compare. 0, -EINVAL (unmapped, too small, wrong direction), the DMA
 * error (-EIO, -EFAULT), -ENOMEM, or -EBADMSG for an image that differs.
 */
void vfio_mig_state_image(u32 seed, u64 offset, void *dst, size_t len);
int vfio_mig_device_save(struct vfio_mig_buf *buf, u32 seed, size_t len);
int vfio_mig_device_load(struct vfio_mig_buf *buf, u32 seed, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_VFIO_H */
