// SPDX-License-Identifier: MIT
/*
 * A variant driver in the manner of vfio/nvgrace-gpu: device memory that
 * is not behind a PCI BAR (on Grace Hopper, coherent memory reached over
 * the chip-to-chip link) is presented to the user as a synthetic BAR
 * region, and can be exported through dma-buf like a real BAR.
 *
 * As in the seed's nvgrace_get_dmabuf_phys(): the synthetic region's
 * physical ranges come from the device memory, its P2P properties are
 * those of BAR 0 (so BAR 0's provider decides how peers reach it), and
 * every other region is exported the vfio-pci way. Here the device memory
 * is a range of machine RAM that the caller provides and owns.
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <dmastack/vfio.h>

struct vfio_nvgrace_device {
	struct vfio_pci_core_device core_device;	/* first: the core casts */
	phys_addr_t memphys;
	size_t memlength;
};

static int nvgrace_get_dmabuf_phys(struct vfio_pci_core_device *core_vdev,
				   struct p2pdma_provider **provider,
				   unsigned int region_index,
				   struct phys_vec *phys_vec,
				   struct vfio_region_dma_range *dma_ranges,
				   size_t nr_ranges)
{
	struct vfio_nvgrace_device *nv =
		container_of(core_vdev, struct vfio_nvgrace_device, core_device);

	if (region_index != VFIO_NVGRACE_USEMEM_REGION_INDEX)
		return vfio_pci_core_get_dmabuf_phys(core_vdev, provider,
						     region_index, phys_vec,
						     dma_ranges, nr_ranges);
	*provider = pcim_p2pdma_provider(core_vdev->pdev, 0);
	if (!*provider)
		return -EINVAL;
	return vfio_pci_core_fill_phys_vec(phys_vec, dma_ranges, nr_ranges,
					   nv->memphys, nv->memlength);
}

static const struct vfio_pci_device_ops nvgrace_pci_ops = {
	.get_dmabuf_phys = nvgrace_get_dmabuf_phys,
};

static int nvgrace_open_device(struct vfio_device *core_vdev)
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

static const struct vfio_device_ops nvgrace_vfio_ops = {
	.name = "nvgrace-gpu-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = nvgrace_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.match = vfio_pci_core_match,
};

/**
 * sim_vfio_nvgrace_alloc_device - the nvgrace-like variant over PCI function @dev
 * @dev: a PCI function with a memory BAR 0
 * @memphys: the device memory (machine RAM the caller owns and keeps
 *	until the device is put)
 * @memlength: its size, page aligned
 *
 * Region VFIO_NVGRACE_USEMEM_REGION_INDEX exports the device memory with
 * BAR 0's P2P provider; other regions are vfio-pci's. Register, open and
 * free it as any vfio_pci_core_device.
 *
 * Return: the device, ERR_PTR(-EINVAL) (not PCI, no memory, unaligned),
 * ERR_PTR(-ENOMEM).
 */
struct vfio_pci_core_device *sim_vfio_nvgrace_alloc_device(struct device *dev,
							   phys_addr_t memphys,
							   size_t memlength)
{
	struct vfio_nvgrace_device *nv;

	if (!memlength || !IS_ALIGNED(memphys, PAGE_SIZE) ||
	    !IS_ALIGNED(memlength, PAGE_SIZE) ||
	    memphys + memlength < memphys)
		return ERR_PTR(-EINVAL);
	nv = vfio_alloc_device(vfio_nvgrace_device, core_device.vdev, dev,
			       &nvgrace_vfio_ops);
	if (IS_ERR(nv))
		return ERR_CAST(nv);
	nv->core_device.pci_ops = &nvgrace_pci_ops;
	nv->memphys = memphys;
	nv->memlength = memlength;
	return &nv->core_device;
}
