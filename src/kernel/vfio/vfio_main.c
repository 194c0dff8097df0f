// SPDX-License-Identifier: MIT
/*
 * The VFIO core (drivers/vfio/vfio_main.c, device_cdev.c): devices and
 * their registration references, and the device fd the user holds,
 * whose ioctl, read and write go through the driver's vfio_device_ops
 * with the caller's buffer as the thread's user memory.
 *
 * Simplifications, documented: one user at a time per device fd (the
 * group's -EBUSY); with a translating IOMMU, opening claims the device's
 * group for user DMA (the kernel's group or iommufd binding) and closing
 * gives it back; no IOAS is attached (the group stays blocked). As in the
 * kernel, a group a kernel driver does DMA in is not viable (-EPERM): a
 * device of it bound to a driver that does not manage DMA itself, or,
 * since devices here are often used without binding, live DMA-API
 * mappings or allocations in it.
 */
#include <string.h>
#include <dmastack/linux/refcount.h>
#include "internal.h"

/* ---- registration references ------------------------------------------- */

bool vfio_device_try_get_registration(struct vfio_device *device)
{
	return refcount_inc_not_zero(&device->refcount);
}

void vfio_device_put_registration(struct vfio_device *device)
{
	/* the kernel's completion is the count itself: unregister reads it */
	if (refcount_dec_and_test(&device->refcount))
		return;
}

int sim_vfio_registration_count(struct vfio_device *device)
{
	return (int)refcount_read(&device->refcount);
}

/* ---- the machine's VFIO devices ----------------------------------------- */

static bool vfio_is_open(struct vfio_device *device);

/* On (or off) the machine's device list. */
static void vfio_track(struct sim_machine *m, struct vfio_device *device,
		       bool on)
{
	struct sim_vfio *v = m->kernel ? m->kernel->vfio : NULL;

	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	if (on)
		list_add_tail(&device->sim_elm, &v->devices);
	else
		list_del_init(&device->sim_elm);
	pthread_mutex_unlock(&v->lock);
}

/*
 * vfio_device_is_open_on - does a user hold a VFIO device fd of @dev open?
 * Looked up under the machine's VFIO list lock (what pci_disable_sriov()
 * asks before it removes a VF: the kernel's vfio-pci remove would wait).
 */
bool vfio_device_is_open_on(struct sim_machine *m, struct device *dev)
{
	struct sim_vfio *v = m->kernel ? m->kernel->vfio : NULL;
	struct vfio_device *device;
	bool open = false;

	if (!v)
		return false;
	pthread_mutex_lock(&v->lock);
	list_for_each_entry(device, &v->devices, sim_elm)
		if (device->dev == dev && vfio_is_open(device))
			open = true;
	pthread_mutex_unlock(&v->lock);
	return open;
}

/**
 * vfio_init_machine - the machine's VFIO state (an initcall)
 * Return: 0 or -ENOMEM.
 */
int vfio_init_machine(struct sim_machine *m)
{
	struct sim_vfio *v = sim_kzalloc(m, sizeof(*v));

	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->lock, NULL);
	INIT_LIST_HEAD(&v->devices);
	INIT_LIST_HEAD(&v->exports);
	m->kernel->vfio = v;
	return 0;
}

/**
 * vfio_close_machine - the program is gone: close its device fds
 * @m: the machine, shutting down (single-threaded), drivers still bound
 *
 * As the kernel closes a dying process's files: each device still open is
 * reported (a warning) and closed, which revokes its exports for good
 * (importers are told and unmap) and gives its group back.
 */
void vfio_close_machine(struct sim_machine *m)
{
	struct sim_vfio *v = m->kernel->vfio;
	struct vfio_device *device;

	if (!v)
		return;
	list_for_each_entry(device, &v->devices, sim_elm) {
		if (!vfio_is_open(device))
			continue;
		sim_report(m, SIM_REPORT_WARN, device->dev, 0, 0,
			   "vfio: %s: device fd still open at machine teardown: closed",
			   dev_name(device->dev));
		sim_vfio_close(device);
	}
}

/**
 * vfio_exit_machine - after the drivers unbound: what the program left
 * @m: the machine, shutting down (single-threaded)
 *
 * Exports still alive (an fd, an importer's reference) are reported and
 * released (vfio_pci_dma_buf_exit_machine()); then each device never put
 * is reported, unregistered and freed with its driver's release.
 */
void vfio_exit_machine(struct sim_machine *m)
{
	struct sim_vfio *v = m->kernel->vfio;
	struct vfio_device *device, *tmp;

	if (!v)
		return;
	vfio_pci_dma_buf_exit_machine(m);
	list_for_each_entry_safe(device, tmp, &v->devices, sim_elm) {
		struct pci_dev *pdev = to_pci_dev(device->dev);

		sim_report(m, SIM_REPORT_WARN, device->dev, 0, 0,
			   "vfio: %s: device %s at machine teardown: freed",
			   dev_name(device->dev),
			   device->registered ? "still registered" :
						"never put");
		if (device->registered) {
			/* the registration's own reference is the one left */
			refcount_set(&device->refcount, 0);
			device->registered = false;
		}
		/* a vfio-pci device is its notifier's data (vdev first) */
		if (pdev && pdev->sim->notify_data == (void *)device)
			sim_pci_set_notifier(pdev, NULL, NULL);
		vfio_put_device(device);
	}
	pthread_mutex_destroy(&v->lock);
	sim_kfree(m, v);
	m->kernel->vfio = NULL;
}

/* ---- allocation --------------------------------------------------------- */

struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev,
				       const struct vfio_device_ops *ops)
{
	struct vfio_device *device;
	int ret;

	if (!dev || !dev->sim || !ops || size < sizeof(*device))
		return ERR_PTR(-EINVAL);
	device = sim_kzalloc(dev->sim, size);
	if (!device)
		return ERR_PTR(-ENOMEM);
	device->dev = dev;
	device->ops = ops;
	init_rwsem(&device->fd_rwsem);
	INIT_LIST_HEAD(&device->sim_elm);
	if (ops->init) {
		ret = ops->init(device);
		if (ret) {
			sim_kfree(dev->sim, device);
			return ERR_PTR(ret);
		}
	}
	vfio_track(dev->sim, device, true);
	return device;
}

void vfio_put_device(struct vfio_device *device)
{
	struct sim_machine *m;

	if (IS_ERR_OR_NULL(device))
		return;
	m = device->dev->sim;
	if (device->registered) {
		SIM_BUG(m, device->dev, "vfio_put_device: %s is still registered",
			dev_name(device->dev));
		return;
	}
	vfio_track(m, device, false);
	if (device->ops->release)
		device->ops->release(device);
	sim_kfree(m, device);
}

/* ---- registration ------------------------------------------------------- */

int vfio_register_group_dev(struct vfio_device *device)
{
	if (!device->ops)
		return -EINVAL;
	if (device->registered)
		return -EBUSY;
	refcount_set(&device->refcount, 1);
	device->registered = true;
	return 0;
}

void vfio_unregister_group_dev(struct vfio_device *device)
{
	unsigned int left;

	if (!device->registered) {
		WARN(1, "vfio_unregister_group_dev: %s is not registered",
		     dev_name(device->dev));
		return;
	}
	vfio_device_put_registration(device);
	left = refcount_read(&device->refcount);
	if (left) {
		/* the kernel asks the driver to have the user let go */
		if (device->ops->request)
			device->ops->request(device, 0);
		SIM_BUG(device->dev->sim, device->dev,
			"vfio_unregister_group_dev: %s: %u registration reference(s) remain; unregistration would wait forever",
			dev_name(device->dev), left);
		refcount_inc(&device->refcount);
		return;
	}
	device->registered = false;
}

/* ---- the device fd ------------------------------------------------------ */

static bool vfio_is_open(struct vfio_device *device)
{
	return __atomic_load_n(&device->open_count, __ATOMIC_ACQUIRE) != 0;
}

static int vfio_df_open(struct vfio_device *device);

int sim_vfio_open(struct vfio_device *device)
{
	int ret;

	down_write(&device->fd_rwsem);
	ret = vfio_df_open(device);
	up_write(&device->fd_rwsem);
	return ret;
}

/* The first open, under fd_rwsem (write). */
static int vfio_df_open(struct vfio_device *device)
{
	struct iommu_group *group;
	int ret;

	if (!device->registered)
		return -ENODEV;
	/* a VF its PF has not enabled is not there to open */
	if (dev_is_pci(device->dev) && !sim_device_present(device->dev))
		return -ENODEV;
	if (vfio_is_open(device))
		return -EBUSY;
	__atomic_store_n(&device->open_count, 1, __ATOMIC_RELEASE);
	if (!vfio_device_try_get_registration(device)) {
		ret = -ENODEV;
		goto err_closed;
	}
	group = iommu_group_get(device->dev);
	if (group) {
		/* not viable while a kernel driver does DMA in it: -EPERM */
		ret = sim_iommu_group_claim_viable(group, device);
		if (ret)
			goto err_put_registration;
		device->group = group;
	}
	if (device->ops->open_device) {
		ret = device->ops->open_device(device);
		if (ret)
			goto err_release_owner;
	}
	return 0;

err_release_owner:
	if (device->group) {
		iommu_group_release_dma_owner(device->group);
		device->group = NULL;
	}
err_put_registration:
	vfio_device_put_registration(device);
err_closed:
	__atomic_store_n(&device->open_count, 0, __ATOMIC_RELEASE);
	return ret;
}

void sim_vfio_close(struct vfio_device *device)
{
	/* waits for the calls in flight; none starts until it is closed */
	down_write(&device->fd_rwsem);
	if (!vfio_is_open(device)) {
		up_write(&device->fd_rwsem);
		return;
	}
	if (device->ops->close_device)
		device->ops->close_device(device);
	if (device->group) {
		iommu_group_release_dma_owner(device->group);
		device->group = NULL;
	}
	__atomic_store_n(&device->open_count, 0, __ATOMIC_RELEASE);
	vfio_device_put_registration(device);
	up_write(&device->fd_rwsem);
}

/*
 * vfio_ioctl_device_feature(): the header's checks, then the core's
 * features (migration and dirty logging: none here, -ENOTTY), then the
 * driver's.
 */
static int vfio_ioctl_device_feature(struct vfio_device *device,
				     struct vfio_device_feature __user *arg)
{
	const size_t minsz = offsetof(struct vfio_device_feature, flags) +
			     sizeof(u32);
	struct vfio_device_feature feature;

	if (copy_from_user(&feature, arg, minsz))
		return -EFAULT;
	if (feature.argsz < minsz)
		return -EINVAL;

	/* unknown flags */
	if (feature.flags &
	    ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
	      VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;

	/* GET & SET are mutually exclusive except with PROBE */
	if (!(feature.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_SET) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;

	switch (feature.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		return -ENOTTY;		/* no mig_ops */
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		return -ENOTTY;		/* no log_ops */
	default:
		if (!device->ops->device_feature)
			return -ENOTTY;
		return device->ops->device_feature(device, feature.flags,
						   arg->data,
						   feature.argsz - minsz);
	}
}

long sim_vfio_ioctl(struct vfio_device *device, unsigned int cmd, void *arg,
		    size_t arg_len)
{
	struct sim_user_window old;
	long ret;

	/* only an open device has an fd; close waits for this call */
	down_read(&device->fd_rwsem);
	if (!vfio_is_open(device)) {
		up_read(&device->fd_rwsem);
		return -EINVAL;
	}
	old = sim_user_window_set(arg, arg_len);
	if (cmd == VFIO_DEVICE_FEATURE)
		ret = vfio_ioctl_device_feature(device, arg);
	else if (device->ops->ioctl)
		ret = device->ops->ioctl(device, cmd, (unsigned long)arg);
	else
		ret = -ENOTTY;
	sim_user_window_restore(old);
	up_read(&device->fd_rwsem);
	return ret;
}

ssize_t sim_vfio_read(struct vfio_device *device, void *buf, size_t count,
		      u64 pos)
{
	struct sim_user_window old;
	loff_t off = (loff_t)pos;
	ssize_t ret;

	down_read(&device->fd_rwsem);
	if (!vfio_is_open(device) || !device->ops->read) {
		up_read(&device->fd_rwsem);
		return -EINVAL;
	}
	old = sim_user_window_set(buf, count);
	ret = device->ops->read(device, buf, count, &off);
	sim_user_window_restore(old);
	up_read(&device->fd_rwsem);
	return ret;
}

ssize_t sim_vfio_write(struct vfio_device *device, const void *buf,
		       size_t count, u64 pos)
{
	struct sim_user_window old;
	loff_t off = (loff_t)pos;
	ssize_t ret;

	down_read(&device->fd_rwsem);
	if (!vfio_is_open(device) || !device->ops->write) {
		up_read(&device->fd_rwsem);
		return -EINVAL;
	}
	old = sim_user_window_set((void *)buf, count);
	ret = device->ops->write(device, buf, count, &off);
	sim_user_window_restore(old);
	up_read(&device->fd_rwsem);
	return ret;
}
