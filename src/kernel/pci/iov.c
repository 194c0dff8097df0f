// SPDX-License-Identifier: MIT
/*
 * SR-IOV (drivers/pci/iov.c): a PF driver enables and disables its VFs.
 * Everything goes through configuration requests to the PF's SR-IOV
 * capability (the config accessors, under pci_lock), so the hardware
 * (src/hw/pci.c) decides which VFs are present from the registers, as a
 * device does. The VFs' struct pci_dev exist from boot (the platform
 * text describes them); while absent, the hardware answers nothing for
 * them and sim_device() does not return them, which stands for Linux
 * adding and removing the pci_dev.
 */
#include "internal.h"

/* The SR-IOV capability of @dev, 0 if it is not a PF. */
static int sriov_pos(struct pci_dev *dev)
{
	return dev && dev->is_physfn ?
		       pci_find_ext_capability(dev, PCI_EXT_CAP_ID_SRIOV) : 0;
}

static u16 sriov_read(struct pci_dev *dev, int pos, int reg)
{
	u16 v = 0;

	pci_read_config_word(dev, pos + reg, &v);
	return v;
}

/* VF @i of the PF @dev: its siblings right after it (the platform's order). */
static struct pci_dev *virtfn(struct pci_dev *dev, unsigned int i)
{
	struct sim_node *pf = sim_node_of_dev(&dev->dev);

	for (struct sim_node *v = pf ? pf->next_sibling : NULL; v && v->pf == pf;
	     v = v->next_sibling)
		if (v->vf_index == i)
			return &v->fn->pdev;
	return NULL;
}

int pci_num_vf(struct pci_dev *dev)
{
	int pos = sriov_pos(dev);

	if (!pos || !(sriov_read(dev, pos, PCI_SRIOV_CTRL) & PCI_SRIOV_CTRL_VFE))
		return 0;
	return sriov_read(dev, pos, PCI_SRIOV_NUM_VF);
}

int pci_sriov_get_totalvfs(struct pci_dev *dev)
{
	int pos = sriov_pos(dev);

	return pos ? sriov_read(dev, pos, PCI_SRIOV_TOTAL_VF) : 0;
}

/* The routing ID of VF @vf_id: PF + First VF Offset + VF Stride * @vf_id. */
static int virtfn_rid(struct pci_dev *dev, int vf_id)
{
	int pos = sriov_pos(dev);

	if (!pos)
		return -EINVAL;
	return (dev->bus_nr << 8) + dev->devfn +
	       sriov_read(dev, pos, PCI_SRIOV_VF_OFFSET) +
	       sriov_read(dev, pos, PCI_SRIOV_VF_STRIDE) * vf_id;
}

int pci_iov_virtfn_bus(struct pci_dev *dev, int vf_id)
{
	int rid = virtfn_rid(dev, vf_id);

	return rid < 0 ? rid : rid >> 8;
}

int pci_iov_virtfn_devfn(struct pci_dev *dev, int vf_id)
{
	int rid = virtfn_rid(dev, vf_id);

	return rid < 0 ? rid : rid & 0xff;
}

int pci_enable_sriov(struct pci_dev *dev, int nr_virtfn)
{
	int pos = sriov_pos(dev);
	u16 ctrl;

	if (!pos)
		return -ENOSYS;
	if (!nr_virtfn)
		return 0;
	if (pci_num_vf(dev))
		return -EINVAL;
	if (nr_virtfn < 0 || nr_virtfn > pci_sriov_get_totalvfs(dev))
		return -EINVAL;
	/* NumVFs first: the PF takes it only while VF Enable is clear */
	pci_write_config_word(dev, pos + PCI_SRIOV_NUM_VF, (u16)nr_virtfn);
	if (sriov_read(dev, pos, PCI_SRIOV_NUM_VF) != nr_virtfn)
		return -EIO;
	ctrl = sriov_read(dev, pos, PCI_SRIOV_CTRL);
	pci_write_config_word(dev, pos + PCI_SRIOV_CTRL,
			      ctrl | PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE);
	for (int i = 0; i < nr_virtfn; i++) {
		struct pci_dev *vf = virtfn(dev, (unsigned int)i);

		if (vf)
			pci_bus_add_virtfn(vf);
	}
	return 0;
}

void pci_disable_sriov(struct pci_dev *dev)
{
	int pos = sriov_pos(dev);
	int nr = pci_num_vf(dev);
	bool busy = false;
	u16 ctrl;

	if (!pos || !nr)
		return;
	/* vfio-pci's remove would wait for the user: refuse instead */
	for (int i = 0; i < nr; i++) {
		struct pci_dev *vf = virtfn(dev, (unsigned int)i);

		if (vf && vfio_device_is_open_on(dev->dev.sim, &vf->dev)) {
			sim_report(dev->dev.sim, SIM_REPORT_WARN, &vf->dev, 0, 0,
				   "pci_disable_sriov: %s: VF %s (%s) is open through VFIO: SR-IOV left enabled",
				   pci_name(dev), pci_name(vf), sim_device_id(&vf->dev));
			busy = true;
		}
	}
	if (busy)
		return;
	for (int i = nr - 1; i >= 0; i--) {
		struct pci_dev *vf = virtfn(dev, (unsigned int)i);

		if (vf)
			pci_bus_remove_virtfn(vf);
	}
	ctrl = sriov_read(dev, pos, PCI_SRIOV_CTRL);
	pci_write_config_word(dev, pos + PCI_SRIOV_CTRL,
			      ctrl & ~(PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE));
	pci_write_config_word(dev, pos + PCI_SRIOV_NUM_VF, 0);
}
