/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci's core for PCI variant drivers (include/linux/vfio_pci_core.h)
 * as the 2025 series "vfio/pci: Allow MMIO regions to be exported through
 * dma-buf" left it: struct vfio_pci_core_device, the vfio_pci_core_*
 * helpers a variant's struct vfio_device_ops is made of, and the dma-buf
 * export of BAR ranges (struct vfio_pci_device_ops::get_dmabuf_phys).
 *
 * A variant driver: a struct pci_driver whose probe does
 * vfio_alloc_device(struct my_device, core_device.vdev, &pdev->dev, &ops)
 * (ops.init = vfio_pci_core_init_dev, ops.release =
 * vfio_pci_core_release_dev), sets core_device.pci_ops, and
 * vfio_pci_core_register_device(); open_device is vfio_pci_core_enable()
 * then vfio_pci_core_finish_enable(); remove unregisters and puts.
 */
#ifndef _DMASTACK_LINUX_VFIO_PCI_CORE_H
#define _DMASTACK_LINUX_VFIO_PCI_CORE_H

#include "types.h"
#include "list.h"
#include "rwsem.h"
#include "pci.h"
#include "vfio.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vfio-pci's region offsets in the device fd */
#define VFIO_PCI_OFFSET_SHIFT		40
#define VFIO_PCI_OFFSET_TO_INDEX(off)	((u64)(off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_INDEX_TO_OFFSET(index)	((u64)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK		(((u64)1 << VFIO_PCI_OFFSET_SHIFT) - 1)

struct vfio_pci_core_device;
struct p2pdma_provider;
struct sim_machine;

/* What a variant driver provides for the dma-buf export. */
struct vfio_pci_device_ops {
	/*
	 * Fill @phys_vec from @dma_ranges of region @region_index and name
	 * the provider whose P2P properties the memory has. 0 or -errno.
	 */
	int (*get_dmabuf_phys)(struct vfio_pci_core_device *vdev,
			       struct p2pdma_provider **provider,
			       unsigned int region_index,
			       struct phys_vec *phys_vec,
			       struct vfio_region_dma_range *dma_ranges,
			       size_t nr_ranges);
};

/**
 * struct vfio_pci_core_device - vfio-pci's state of one PCI function
 * @vdev: the VFIO device (variants embed this struct)
 * @pdev: the function
 * @pci_ops: the variant's ops (NULL: no dma-buf export)
 * @reset_works: function reset available (FLR)
 * @pm_runtime_engaged: low power entered through the feature; under
 *	@memory_lock
 * @memory_lock: held for write by every path that changes whether the
 *	BARs decode, and while the export list changes; the reservation
 *	lock of an export nests inside
 * @dmabufs: live exports (struct vfio_pci_dma_buf), under @memory_lock
 * @notifier_held: dmastack: the machine's PCI notifier holds @memory_lock
 *	across a change it was told of (set and cleared by the holder)
 * @sim: dmastack: the machine
 * @unbound_name: dmastack: the device's driver name before registration
 *	(a device registered without a bound driver is named by @vdev.ops)
 */
struct vfio_pci_core_device {
	struct vfio_device vdev;
	struct pci_dev *pdev;
	const struct vfio_pci_device_ops *pci_ops;
	bool reset_works;
	bool pm_runtime_engaged;
	struct rw_semaphore memory_lock;
	struct list_head dmabufs;
	/* dmastack */
	bool notifier_held;
	struct sim_machine *sim;
	const char *unbound_name;
};

/* ops->init and ops->release of every vfio-pci driver */
int vfio_pci_core_init_dev(struct vfio_device *core_vdev);
void vfio_pci_core_release_dev(struct vfio_device *core_vdev);

/*
 * Registration: the function's decoding changes are VFIO's from now on.
 * 0, -EINVAL (not initialized by vfio_pci_core_init_dev()), -EBUSY
 * (already registered, or the function has another notifier).
 */
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev);

/*
 * vfio_pci_core_enable(): D0, memory decoding on, a function reset when
 * one works; 0 or -errno. vfio_pci_core_finish_enable() completes an
 * open. vfio_pci_core_disable() undoes it (exports revoked first).
 */
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev);
/* ops->close_device: disable, then revoke every export for good. */
void vfio_pci_core_close_device(struct vfio_device *core_vdev);

/*
 * ops->ioctl: VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_RESET,
 * VFIO_DEVICE_PCI_HOT_RESET; -ENOTTY for others.
 */
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg);
/*
 * ops->device_feature: low power entry/exit, DMA_BUF; -ENOTTY for others.
 * @arg is the feature's data, @argsz its size.
 */
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags,
				void __user *arg, size_t argsz);
/* ops->read/ops->write: config space and BARs at *@ppos. */
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf,
			   size_t count, loff_t *ppos);
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev,
			    const char __user *buf, size_t count,
			    loff_t *ppos);
/* ops->match: @buf is the function's name. */
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf);

/*
 * The CPU physical ranges of @dma_ranges (validated non-empty) of a region
 * at @start, @len bytes long: 0, -EOVERFLOW, -EINVAL (beyond @len).
 */
int vfio_pci_core_fill_phys_vec(struct phys_vec *phys_vec,
				struct vfio_region_dma_range *dma_ranges,
				size_t nr_ranges, phys_addr_t start,
				phys_addr_t len);
/* The default get_dmabuf_phys: a BAR with its P2PDMA provider. */
int vfio_pci_core_get_dmabuf_phys(struct vfio_pci_core_device *vdev,
				  struct p2pdma_provider **provider,
				  unsigned int region_index,
				  struct phys_vec *phys_vec,
				  struct vfio_region_dma_range *dma_ranges,
				  size_t nr_ranges);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_VFIO_PCI_CORE_H */
