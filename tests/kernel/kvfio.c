// SPDX-License-Identifier: MIT
/*
 * A VFIO PCI variant driver written the way one in drivers/vfio/pci/ is:
 * a struct pci_driver whose probe allocates the variant's device with
 * vfio_alloc_device() and registers it with the vfio-pci core, whose
 * vfio_device_ops are the core's helpers (open_device enabling the
 * function and counting opens), and whose get_dmabuf_phys exports its
 * memory BAR (KVFIO_EXPORT_BAR) through dma-buf and nothing else.
 * Remove unregisters and puts.
 */
#include <linux/types.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/device.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include "kmod.h"

struct kvfio_device {
	struct vfio_pci_core_device core_device;
	unsigned int opens, closes;
};

static struct kvfio_device *to_kvfio(struct vfio_device *vdev)
{
	return container_of(vdev, struct kvfio_device, core_device.vdev);
}

static int kvfio_get_dmabuf_phys(struct vfio_pci_core_device *core_vdev,
				 struct p2pdma_provider **provider,
				 unsigned int region_index,
				 struct phys_vec *phys_vec,
				 struct vfio_region_dma_range *dma_ranges,
				 size_t nr_ranges)
{
	struct pci_dev *pdev = core_vdev->pdev;

	/* only the memory BAR is for peers */
	if (region_index != KVFIO_EXPORT_BAR)
		return -EINVAL;
	*provider = pcim_p2pdma_provider(pdev, region_index);
	if (!*provider)
		return -EINVAL;
	return vfio_pci_core_fill_phys_vec(phys_vec, dma_ranges, nr_ranges,
					   pci_resource_start(pdev, region_index),
					   pci_resource_len(pdev, region_index));
}

static const struct vfio_pci_device_ops kvfio_pci_ops = {
	.get_dmabuf_phys = kvfio_get_dmabuf_phys,
};

static int kvfio_open_device(struct vfio_device *core_vdev)
{
	struct kvfio_device *kv = to_kvfio(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&kv->core_device);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(&kv->core_device);
	kv->opens++;
	return 0;
}

static void kvfio_close_device(struct vfio_device *core_vdev)
{
	to_kvfio(core_vdev)->closes++;
	vfio_pci_core_close_device(core_vdev);
}

static const struct vfio_device_ops kvfio_ops = {
	.name = "kvfio-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = kvfio_open_device,
	.close_device = kvfio_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.match = vfio_pci_core_match,
};

static int kvfio_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct kvfio_device *kv;
	int ret;

	kv = vfio_alloc_device(kvfio_device, core_device.vdev, &pdev->dev,
			       &kvfio_ops);
	if (IS_ERR(kv))
		return PTR_ERR(kv);
	kv->core_device.pci_ops = &kvfio_pci_ops;
	dev_set_drvdata(&pdev->dev, &kv->core_device);
	ret = vfio_pci_core_register_device(&kv->core_device);
	if (ret)
		goto out_put;
	return 0;

out_put:
	dev_set_drvdata(&pdev->dev, NULL);
	vfio_put_device(&kv->core_device.vdev);
	return ret;
}

static void kvfio_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core);
	dev_set_drvdata(&pdev->dev, NULL);
	vfio_put_device(&core->vdev);
}

static const struct pci_device_id kvfio_ids[] = {
	{ PCI_DEVICE(KVFIO_VENDOR, KVFIO_DEVICE) },
	{ }
};

static struct pci_driver kvfio_driver = {
	.name = "kvfio",
	.id_table = kvfio_ids,
	.probe = kvfio_probe,
	.remove = kvfio_remove,
	.driver_managed_dma = true,
};

int kvfio_register(void)
{
	return pci_register_driver(&kvfio_driver);
}

void kvfio_unregister(void)
{
	pci_unregister_driver(&kvfio_driver);
}

struct vfio_device *kvfio_vfio_device(struct device *dev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(dev);

	return core ? &core->vdev : NULL;
}

unsigned int kvfio_opens(struct vfio_device *vdev)
{
	return to_kvfio(vdev)->opens;
}

unsigned int kvfio_closes(struct vfio_device *vdev)
{
	return to_kvfio(vdev)->closes;
}
