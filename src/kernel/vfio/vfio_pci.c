// SPDX-License-Identifier: MIT
/*
 * The plain vfio-pci driver's ops (drivers/vfio/pci/vfio_pci.c): every
 * callback is the vfio-pci core's, and every BAR exports through dma-buf
 * the default way. A program binds it to a function with
 * vfio_alloc_device(vfio_pci_core_device, vdev, dev, &sim_vfio_pci_ops),
 * pci_ops = &sim_vfio_pci_dev_ops, vfio_pci_core_register_device().
 */
#include "internal.h"

static int vfio_pci_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

const struct vfio_device_ops sim_vfio_pci_ops = {
	.name = "vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = vfio_pci_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.match = vfio_pci_core_match,
};

const struct vfio_pci_device_ops sim_vfio_pci_dev_ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};
