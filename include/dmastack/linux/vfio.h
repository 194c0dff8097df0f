/* SPDX-License-Identifier: MIT */
/*
 * VFIO for PCI (include/uapi/linux/vfio.h, include/linux/vfio.h,
 * include/linux/vfio_pci_core.h) as the 2025 series "vfio/pci: Allow MMIO
 * regions to be exported through dma-buf" left it: a vfio_pci_core_device
 * over a PCI function of the machine, its user-facing ioctls and config
 * space writes, and the VFIO_DEVICE_FEATURE_DMA_BUF export of BAR ranges
 * as a revocable dma-buf.
 *
 * There is no process: "user memory" is a buffer the caller passes with
 * its length (@arg, @arg_len), and a read beyond @arg_len is the kernel's
 * copy_from_user() failing (-EFAULT). dma-buf fds live in the machine
 * (sim_dma_buf_get(), sim_fd_close()).
 */
#ifndef _DMASTACK_LINUX_VFIO_H
#define _DMASTACK_LINUX_VFIO_H

#include <pthread.h>
#include <sys/types.h>
#include "types.h"
#include "pci.h"
#include "pci-p2pdma.h"
#include "dma-buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- uAPI ---------------------------------------------------------------- */

#define VFIO_TYPE		(';')
#define VFIO_BASE		100
/* _IO(VFIO_TYPE, VFIO_BASE + nr): no direction or size bits */
#define VFIO_IO(nr)		((unsigned int)((VFIO_TYPE << 8) | (VFIO_BASE + (nr))))
#define VFIO_DEVICE_GET_REGION_INFO	VFIO_IO(8)
#define VFIO_DEVICE_RESET		VFIO_IO(11)
#define VFIO_DEVICE_PCI_HOT_RESET	VFIO_IO(13)
#define VFIO_DEVICE_FEATURE		VFIO_IO(17)

struct vfio_region_info {
	u32 argsz;
	u32 flags;
#define VFIO_REGION_INFO_FLAG_READ	(1 << 0)
#define VFIO_REGION_INFO_FLAG_WRITE	(1 << 1)
#define VFIO_REGION_INFO_FLAG_MMAP	(1 << 2)
#define VFIO_REGION_INFO_FLAG_CAPS	(1 << 3)
	u32 index;
	u32 cap_offset;
	u64 size;
	u64 offset;
};

enum {
	VFIO_PCI_BAR0_REGION_INDEX,
	VFIO_PCI_BAR1_REGION_INDEX,
	VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_BAR3_REGION_INDEX,
	VFIO_PCI_BAR4_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS = 9
};

/* vfio-pci's region offsets in the device fd (vfio_pci_priv.h) */
#define VFIO_PCI_OFFSET_SHIFT		40
#define VFIO_PCI_OFFSET_TO_INDEX(off)	((u64)(off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_INDEX_TO_OFFSET(index)	((u64)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK		(((u64)1 << VFIO_PCI_OFFSET_SHIFT) - 1)

/* VFIO_DEVICE_PCI_HOT_RESET; only the iommufd form (count 0) exists here */
struct vfio_pci_hot_reset {
	u32 argsz;
	u32 flags;
	u32 count;
	s32 group_fds[];
};

struct vfio_device_feature {
	u32 argsz;
	u32 flags;
#define VFIO_DEVICE_FEATURE_MASK	(0xffff)	/* 16-bit feature index */
#define VFIO_DEVICE_FEATURE_GET		(1 << 16)	/* Get feature into data[] */
#define VFIO_DEVICE_FEATURE_SET		(1 << 17)	/* Set feature from data[] */
#define VFIO_DEVICE_FEATURE_PROBE	(1 << 18)	/* Probe feature support */
	u8 data[];
};

#define VFIO_DEVICE_FEATURE_PCI_VF_TOKEN		0
#define VFIO_DEVICE_FEATURE_MIGRATION			1
#define VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE		2
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY		3
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP	4
#define VFIO_DEVICE_FEATURE_LOW_POWER_EXIT		5
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_START		6
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP		7
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT		8
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE		9
#define VFIO_DEVICE_FEATURE_BUS_MASTER			10

/*
 * Upon VFIO_DEVICE_FEATURE_GET create a dma_buf fd for the region selected.
 * open_flags are the flags passed to open(2); each range is a slice
 * (offset, length: page aligned, non-zero) of the region; flags must be 0.
 * Returns the fd.
 */
#define VFIO_DEVICE_FEATURE_DMA_BUF			11

struct vfio_region_dma_range {
	u64 offset;
	u64 length;
};

struct vfio_device_feature_dma_buf {
	u32 region_index;
	u32 open_flags;
	u32 flags;
	u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};

/* ---- in-kernel API ---------------------------------------------------- */

struct sim_machine;
struct iommu_group;
struct vfio_pci_core_device;
struct vfio_pci_dma_buf;

/**
 * struct vfio_device - what vfio_main.c keeps of every VFIO device
 * @dev: the device (here always a PCI function)
 * @refcount: registration references (the kernel's refcount_t, __atomic
 *	access): one for the registration itself, one per open device "fd",
 *	one per live dma-buf export. Unregistration waits for zero.
 * @open_count: 0 or 1 (one user at a time); under the core device's
 *	memory_lock
 * @registered: between register and unregister
 */
struct vfio_device {
	struct device *dev;
	int refcount;
	unsigned int open_count;
	bool registered;
};

/* A new registration reference, unless the registration is gone (zero). */
bool vfio_device_try_get_registration(struct vfio_device *device);
void vfio_device_put_registration(struct vfio_device *device);
/* dmastack: the current count (tests, reports). */
int vfio_device_registration_count(struct vfio_device *device);

/**
 * vfio_check_feature - validate the arguments of one VFIO_DEVICE_FEATURE
 * @flags: the ioctl's flags
 * @argsz: bytes of data[] the user passed
 * @supported_ops: VFIO_DEVICE_FEATURE_GET and/or _SET the feature has
 * @minsz: least data the feature needs
 *
 * Return: 1 when the caller should do the GET or SET, else the ioctl's
 * return value: 0 for a PROBE the feature supports, -EINVAL.
 */
static inline int vfio_check_feature(u32 flags, size_t argsz,
				     u32 supported_ops, size_t minsz)
{
	if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) &
	    ~supported_ops)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	/* without PROBE, one of GET or SET must be asked for */
	if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

/* What a variant driver may override for the dma-buf export. */
struct vfio_pci_device_ops {
	/*
	 * Fill @phys_vec from @dma_ranges of region @region_index and name
	 * the provider whose P2P properties the memory has. 0 or -errno.
	 */
	int (*get_dmabuf_phys)(struct vfio_pci_core_device *vdev,
			       struct p2pdma_provider **provider,
			       unsigned int region_index,
			       struct dma_buf_phys_vec *phys_vec,
			       struct vfio_region_dma_range *dma_ranges,
			       size_t nr_ranges);
};

/**
 * struct vfio_pci_core_device - vfio-pci's state of one PCI function
 * @vdev: the VFIO device (first: variants embed this struct first)
 * @pdev: the function
 * @pci_ops: the variant's ops (vfio_pci_core_alloc_device())
 * @memory_lock: the kernel's memory_lock rwsem: held for write by every
 *	path that changes whether the BARs decode, and while the export
 *	list changes; the reservation lock of an export nests inside
 * @memory_lock_writer: dmastack: the thread holding @memory_lock for
 *	write (its thread pointer, __atomic), so that the machine's PCI
 *	notifier knows a state change is VFIO's own
 * @dmabufs: live exports, under @memory_lock
 * @group: the IOMMU group whose DMA ownership the open device claimed
 * @pm_runtime_engaged: low power entered through the feature; under
 *	@memory_lock
 * @reset_works: function reset available (FLR)
 * @sim: the machine
 */
struct vfio_pci_core_device {
	struct vfio_device vdev;
	struct pci_dev *pdev;
	const struct vfio_pci_device_ops *pci_ops;
	pthread_rwlock_t memory_lock;
	unsigned long memory_lock_writer;
	struct vfio_pci_dma_buf *dmabufs;
	struct iommu_group *group;
	bool pm_runtime_engaged;
	bool reset_works;
	struct sim_machine *sim;
	/* the driver's name while registered ("vfio-pci" or a variant's),
	 * and the device's name before */
	const char *driver_name;
	const char *unbound_name;
};

/*
 * vfio_alloc_device() + vfio_pci_core_init_dev(): @size bytes (at least
 * sizeof(struct vfio_pci_core_device), which must start the variant's
 * struct), zeroed, over PCI function @dev, with the variant's @pci_ops
 * (NULL: no dma-buf export). P2PDMA is set up for the function
 * (pcim_p2pdma_init()). ERR_PTR(-EINVAL) for a non-PCI device,
 * ERR_PTR(-ENOMEM). Free with vfio_put_device().
 */
void *vfio_pci_core_alloc_device(size_t size, struct device *dev,
				 const struct vfio_pci_device_ops *pci_ops);
void vfio_put_device(struct vfio_device *device);
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev);
int vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev);
int vfio_pci_core_open_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_close_device(struct vfio_pci_core_device *vdev);
/*
 * An ioctl on the open device's fd: VFIO_DEVICE_GET_REGION_INFO,
 * VFIO_DEVICE_RESET, VFIO_DEVICE_PCI_HOT_RESET, VFIO_DEVICE_FEATURE. @arg
 * is the user's buffer of @arg_len bytes. Returns what the ioctl returns
 * (an fd for the DMA_BUF feature).
 */
long vfio_pci_core_ioctl(struct vfio_pci_core_device *vdev, unsigned int cmd,
			 void *arg, size_t arg_len);
/* read(2)/write(2) on the device fd at @pos: config space and BARs. */
ssize_t vfio_pci_core_read(struct vfio_pci_core_device *vdev, void *buf,
			   size_t count, u64 pos);
ssize_t vfio_pci_core_write(struct vfio_pci_core_device *vdev,
			    const void *buf, size_t count, u64 pos);

int vfio_pci_core_fill_phys_vec(struct dma_buf_phys_vec *phys_vec,
				struct vfio_region_dma_range *dma_ranges,
				size_t nr_ranges, phys_addr_t start,
				phys_addr_t len);
int vfio_pci_core_get_dmabuf_phys(struct vfio_pci_core_device *vdev,
				  struct p2pdma_provider **provider,
				  unsigned int region_index,
				  struct dma_buf_phys_vec *phys_vec,
				  struct vfio_region_dma_range *dma_ranges,
				  size_t nr_ranges);

/*
 * A variant like vfio/nvgrace-gpu (src/kernel/vfio/nvgrace.c): @memlength bytes of
 * device memory at @memphys (machine RAM the caller owns) appear as region
 * VFIO_NVGRACE_USEMEM_REGION_INDEX and export with BAR 0's P2P provider.
 */
#define VFIO_NVGRACE_USEMEM_REGION_INDEX	VFIO_PCI_BAR4_REGION_INDEX
struct vfio_pci_core_device *vfio_nvgrace_alloc_device(struct device *dev,
						       phys_addr_t memphys,
						       size_t memlength);

/* The plain vfio-pci driver's ops: every BAR exports the default way. */
extern const struct vfio_pci_device_ops vfio_pci_dev_ops;

/* dmastack: live exports of @vdev (still on its list). */
unsigned int vfio_pci_dma_buf_count(struct vfio_pci_core_device *vdev);


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
#endif /* _DMASTACK_LINUX_VFIO_H */
