/* SPDX-License-Identifier: MIT */
/*
 * The VFIO core's kernel API (include/linux/vfio.h): struct vfio_device,
 * the driver's struct vfio_device_ops with the kernel's signatures,
 * vfio_alloc_device()/vfio_put_device(), group device registration and
 * vfio_check_feature(). The user API (include/uapi/linux/vfio.h) comes
 * with it, as in the kernel; vfio-pci's core is <linux/vfio_pci_core.h>.
 *
 * There is no process: "user memory" is the window the machine's side of
 * the device fd (<dmastack/vfio.h>) gives the calling thread for each
 * ioctl, read and write (<linux/uaccess.h>).
 */
#ifndef _DMASTACK_LINUX_VFIO_H
#define _DMASTACK_LINUX_VFIO_H

#include <errno.h>
#include "types.h"
#include "compiler.h"
#include "container_of.h"
#include "build_bug.h"
#include "err.h"
#include "refcount_types.h"
#include "rwsem.h"
#include "list.h"
#include "device.h"
#include "../uapi/linux/vfio.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vfio_device_ops;
struct iommu_group;

/**
 * struct vfio_device - what the VFIO core keeps of every device
 * @dev: the parent device (here always a PCI function)
 * @ops: the driver's ops
 * @refcount: registration references: one for the registration itself,
 *	one per open device fd, one per live dma-buf export; unregistration
 *	waits for zero
 * @open_count: 0 or 1 (the device fd has one user at a time); changes
 *	under @fd_rwsem held for write
 * @fd_rwsem: dmastack: what the kernel's file references do for the
 *	device fd. Every ioctl, read and write holds it for read (its reader
 *	count is the fd's in-flight calls), open and close hold it for
 *	write: close waits for the calls in flight, and none starts on a
 *	device being closed (nothing is exported after the close's cleanup)
 * @group: the IOMMU group whose DMA ownership the open device claimed
 *	(dmastack: the kernel keeps it in the group or iommufd binding)
 * @registered: between vfio_register_group_dev() and
 *	vfio_unregister_group_dev() (dmastack)
 * @sim_elm: dmastack: on the machine's list of VFIO devices until the
 *	last vfio_put_device() (teardown frees what is left)
 */
struct vfio_device {
	struct device *dev;
	const struct vfio_device_ops *ops;
	refcount_t refcount;
	unsigned int open_count;
	struct rw_semaphore fd_rwsem;
	struct iommu_group *group;
	bool registered;
	struct list_head sim_elm;
};

/**
 * struct vfio_device_ops - a VFIO bus driver's callbacks
 * @name: the driver's name
 * @init: initialize the driver's part of a new device (vfio_alloc_device())
 * @release: undo @init (the last vfio_put_device())
 * @open_device: the first open of the device fd
 * @close_device: the last close of the device fd
 * @read: read(2) on the device fd
 * @write: write(2) on the device fd
 * @ioctl: ioctl(2) on the device fd (VFIO_DEVICE_FEATURE excepted)
 * @request: ask the user to release the device (unregistration waits)
 * @match: does @buf name the device (VFIO_GROUP_GET_DEVICE_FD)? 1 or 0
 * @dma_unmap: an IOVA range the user's container unmapped
 * @device_feature: VFIO_DEVICE_FEATURE's driver-specific features
 *
 * mmap is not there: the machine has no user address space to map into.
 */
struct vfio_device_ops {
	char *name;
	int (*init)(struct vfio_device *vdev);
	void (*release)(struct vfio_device *vdev);
	int (*open_device)(struct vfio_device *vdev);
	void (*close_device)(struct vfio_device *vdev);
	ssize_t (*read)(struct vfio_device *vdev, char __user *buf,
			size_t count, loff_t *ppos);
	ssize_t (*write)(struct vfio_device *vdev, const char __user *buf,
			 size_t count, loff_t *size);
	long (*ioctl)(struct vfio_device *vdev, unsigned int cmd,
		      unsigned long arg);
	void (*request)(struct vfio_device *vdev, unsigned int count);
	int (*match)(struct vfio_device *vdev, char *buf);
	void (*dma_unmap)(struct vfio_device *vdev, u64 iova, u64 length);
	int (*device_feature)(struct vfio_device *device, u32 flags,
			      void __user *arg, size_t argsz);
};

/*
 * A zeroed @size bytes (a driver's struct with struct vfio_device first)
 * over @dev, @ops->init run on it. ERR_PTR(-EINVAL) (no device, no ops,
 * @size too small), -ENOMEM or @ops->init's error. Free with
 * vfio_put_device().
 */
struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev,
				       const struct vfio_device_ops *ops);
#define vfio_alloc_device(dev_struct, member, dev, ops)			\
	container_of(_vfio_alloc_device(sizeof(struct dev_struct) +	\
					BUILD_BUG_ON_ZERO(offsetof(	\
						struct dev_struct, member)), \
					dev, ops),			\
		     struct dev_struct, member)

/*
 * The last reference: @ops->release, then the memory. A device still
 * registered is a BUG (reported; nothing is freed).
 */
void vfio_put_device(struct vfio_device *device);

/*
 * Make @device available to users (the registration's own reference).
 * 0, -EINVAL (no ops), -EBUSY (already registered).
 */
int vfio_register_group_dev(struct vfio_device *device);
/*
 * Take it away: the registration's reference goes, then the kernel waits
 * for every other (open fds, dma-buf exports), asking the driver to have
 * the user release the device (@ops->request). Nothing else runs here to
 * let them go, so references left are reported as a BUG and the device
 * stays registered (the caller may close and try again).
 */
void vfio_unregister_group_dev(struct vfio_device *device);

/* A new registration reference, unless the registration is gone (zero). */
bool vfio_device_try_get_registration(struct vfio_device *device);
void vfio_device_put_registration(struct vfio_device *device);

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

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_VFIO_H */
