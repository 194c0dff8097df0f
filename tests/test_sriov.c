// SPDX-License-Identifier: MIT
/*
 * SR-IOV that a PF driver enables and disables (issue 14): VFs absent at
 * boot (vfs-enabled=0) answer no config read, decode no BAR and issue no
 * DMA; pci_enable_sriov() makes the first N present at the routing IDs
 * vf-offset and vf-stride give, each in its own IOMMU group behind ACS;
 * every errno of the kernel's API; a VF open through VFIO keeps SR-IOV
 * enabled; a VF's live DMA mapping is reported when it goes; the
 * platform keys' errors.
 */
#include <pthread.h>
#include "helpers.h"

#define PLATFORM_SRIOV							\
	"machine name=sriov arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=4M\n"						\
	"iommu id=io0 format=x86_64 mode=strict\n"			\
	"hostbridge id=hb0 p2p=allow iommu=io0\n"			\
	"rootport id=rp0 bus=hb0 acs=on\n"				\
	"pcidev id=pf0 bus=rp0 dma-bits=64 flr=yes sriov=4 vf-offset=2 vf-stride=2 vfs-enabled=0 vf-bar0=64K vf-device=0x10fe\n" \
	"rootport id=rp1 bus=hb0 acs=on\n"				\
	"pcidev id=dev1 bus=rp1 dma-bits=64\n"

struct fx {
	struct sim_machine *m;
	struct pci_dev *pf, *dev1;
	struct device *vf[4];	/* whatever their state, by index */
	unsigned long dbg_allowed;
};

/* A device by id among all the machine's functions, present or not. */
static struct device *any_dev(struct sim_machine *m, const char *id)
{
	for (unsigned int i = 0; i < sim_device_count(m); i++)
		if (!strcmp(sim_device_id(sim_device_at(m, i)), id))
			return sim_device_at(m, i);
	fail_msg("no function '%s'", id);
	return NULL;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char id[16];

	assert_non_null(f);
	f->m = machine_from(PLATFORM_SRIOV);
	sim_dma_debug_enable(f->m, true);
	sim_set_current_machine(f->m);
	f->pf = to_pci_dev(dev_of(f->m, "pf0"));
	f->dev1 = to_pci_dev(dev_of(f->m, "dev1"));
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "pf0.vf%d", i);
		f->vf[i] = any_dev(f->m, id);
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	/* IOMMU faults a test provoked are asserted where they happen */
	return f ? fixture_teardown(f, f->m, TD_BUG | TD_DMA_DEBUG, 0,
				    f->dbg_allowed) : 0;
}

#define FX(state)	((struct fx *)*(state))

static u16 cfg16(struct device *dev, int where)
{
	u16 v = 0x1234;

	assert_int_equal(pci_read_config_word(to_pci_dev(dev), where, &v), 0);
	return v;
}

static bool vf_is_there(struct fx *f, int i)
{
	char id[16];
	struct device *d;

	snprintf(id, sizeof(id), "pf0.vf%d", i);
	d = sim_device(f->m, id);
	assert_int_equal(d != NULL, sim_device_present(f->vf[i]));
	if (d)
		assert_ptr_equal(d, f->vf[i]);
	return d != NULL;
}

/* A DMA read by @dev fails, with a fault report containing @why. */
static void dma_fails(struct fx *f, struct device *dev, dma_addr_t addr,
		      const char *why)
{
	unsigned long faults = sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT);
	u8 buf[16];

	assert_int_equal(sim_dma_read(dev, addr, buf, sizeof(buf)), -EIO);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT),
			 faults + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_FAULT, why));
}

/* CPU MMIO to BAR0 of @dev fails, with a warning containing @why. */
static void mmio_fails(struct fx *f, struct device *dev, const char *why)
{
	phys_addr_t bar = to_pci_dev(dev)->resource[0].start;
	u32 v = 0;

	assert_int_not_equal(bar, 0);
	assert_int_equal(sim_mmio_read(f->m, bar, &v, 4), -EIO);
	assert_int_equal(v, 0xffffffff);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, why));
	sim_report_clear(f->m);
}

static void test_absent_at_boot(void **state)
{
	struct fx *f = FX(state);
	struct pci_dev *vf1 = to_pci_dev(f->vf[1]);
	u32 dw = 0;

	for (int i = 0; i < 4; i++) {
		assert_false(vf_is_there(f, i));
		assert_int_equal(cfg16(f->vf[i], PCI_VENDOR_ID), 0xffff);
		assert_int_equal(cfg16(f->vf[i], PCI_DEVICE_ID), 0xffff);
	}
	assert_int_equal(pci_read_config_dword(vf1, PCI_CLASS_REVISION, &dw), 0);
	assert_int_equal(dw, 0xffffffff);
	/* a write goes nowhere: still nothing there */
	assert_int_equal(pci_write_config_word(vf1, PCI_COMMAND,
					       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 0);
	assert_int_equal(cfg16(f->vf[1], PCI_COMMAND), 0xffff);
	mmio_fails(f, f->vf[1], "VF not enabled");
	dma_fails(f, f->vf[1], 0x1000, "VF pf0.vf1 is not enabled");
	sim_report_clear(f->m);

	assert_int_equal(pci_num_vf(f->pf), 0);
	assert_int_equal(pci_sriov_get_totalvfs(f->pf), 4);
	assert_true(f->pf->is_physfn);
	assert_true(vf1->is_virtfn);
	assert_ptr_equal(pci_physfn(vf1), f->pf);
	assert_ptr_equal(pci_physfn(f->pf), f->pf);
	/* the capability as the platform describes it */
	{
		u16 pos = pci_find_ext_capability(f->pf, PCI_EXT_CAP_ID_SRIOV);

		assert_int_not_equal(pos, 0);
		assert_int_equal(cfg16(&f->pf->dev, pos + PCI_SRIOV_CTRL) &
				 (PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE), 0);
		assert_int_equal(cfg16(&f->pf->dev, pos + PCI_SRIOV_NUM_VF), 0);
		assert_int_equal(cfg16(&f->pf->dev, pos + PCI_SRIOV_VF_OFFSET), 2);
		assert_int_equal(cfg16(&f->pf->dev, pos + PCI_SRIOV_VF_STRIDE), 2);
	}
}

static void test_enable_two(void **state)
{
	struct fx *f = FX(state);
	struct pci_dev *pf = f->pf, *vf0, *vf1;
	struct sim_machine *m = f->m;
	struct page *pg;
	dma_addr_t a;
	u8 buf[64], *cpu;
	u32 v;

	assert_int_equal(pci_enable_sriov(pf, 2), 0);
	assert_int_equal(pci_num_vf(pf), 2);
	assert_int_equal(pci_sriov_get_totalvfs(pf), 4);
	assert_true(vf_is_there(f, 0));
	assert_true(vf_is_there(f, 1));
	assert_false(vf_is_there(f, 2));
	assert_false(vf_is_there(f, 3));
	assert_int_equal(cfg16(f->vf[2], PCI_VENDOR_ID), 0xffff);
	vf0 = to_pci_dev(f->vf[0]);
	vf1 = to_pci_dev(f->vf[1]);

	/* RIDs: PF + vf-offset + vf-stride * i, on the PF's bus */
	assert_int_equal(pci_iov_virtfn_devfn(pf, 0), pf->devfn + 2);
	assert_int_equal(pci_iov_virtfn_devfn(pf, 1), pf->devfn + 4);
	assert_int_equal(pci_iov_virtfn_bus(pf, 0), pf->bus_nr);
	assert_int_equal(pci_iov_virtfn_bus(pf, 1), pf->bus_nr);
	assert_int_equal(vf0->devfn, pf->devfn + 2);
	assert_int_equal(vf1->devfn, pf->devfn + 4);
	assert_int_equal(vf1->bus_nr, pf->bus_nr);
	assert_int_equal(cfg16(f->vf[1], PCI_VENDOR_ID), pf->vendor);

	/* a VF comes up as after reset: its driver enables it */
	assert_int_equal(cfg16(f->vf[1], PCI_COMMAND), 0);
	mmio_fails(f, f->vf[1], "not decoding");
	dma_fails(f, f->vf[1], 0x1000, "bus mastering is disabled");
	sim_report_clear(m);
	assert_int_equal(pci_enable_device_mem(vf1), 0);
	pci_set_master(vf1);
	v = 0xa5a5a5a5;
	assert_int_equal(sim_mmio_write(m, vf1->resource[0].start, &v, 4), 0);
	v = 0;
	assert_int_equal(sim_mmio_read(m, vf1->resource[0].start, &v, 4), 0);
	assert_int_equal(v, 0xa5a5a5a5);

	/* VF MSE clear in the PF: the VF's BARs stop decoding */
	{
		u16 pos = pci_find_ext_capability(pf, PCI_EXT_CAP_ID_SRIOV);
		u16 ctrl = cfg16(&pf->dev, pos + PCI_SRIOV_CTRL);

		assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_CTRL,
						       ctrl & ~PCI_SRIOV_CTRL_MSE), 0);
		mmio_fails(f, f->vf[1], "VF MSE clear");
		assert_true(vf_is_there(f, 1));
		/* NumVFs does not change under VF Enable */
		assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_NUM_VF, 3), 0);
		assert_int_equal(cfg16(&pf->dev, pos + PCI_SRIOV_NUM_VF), 2);
		assert_false(vf_is_there(f, 2));
		assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_CTRL, ctrl), 0);
		assert_int_equal(sim_mmio_read(m, vf1->resource[0].start, &v, 4), 0);
	}

	/* its own IOMMU group and domain (ACS above, one RID each) */
	assert_ptr_not_equal(iommu_group_get(f->vf[1]), iommu_group_get(&pf->dev));
	assert_ptr_not_equal(iommu_group_get(f->vf[1]), iommu_group_get(f->vf[0]));
	assert_ptr_not_equal(iommu_get_domain_for_dev(f->vf[1]),
			     iommu_get_domain_for_dev(&pf->dev));
	pg = sim_alloc_pages(m, 0);
	assert_non_null(pg);
	cpu = page_address(pg);
	for (int i = 0; i < 64; i++)
		cpu[i] = (u8)(i * 7 + 1);
	a = dma_map_single(f->vf[1], cpu, 64, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(f->vf[1], a));
	assert_int_equal(sim_dma_read(f->vf[1], a, buf, 64), 0);
	assert_memory_equal(buf, cpu, 64);
	/* the PF's domain does not map it */
	{
		unsigned long faults = sim_iommu_faults(m);

		assert_int_equal(sim_dma_read(&pf->dev, a, buf, 8), -EFAULT);
		assert_int_equal(sim_iommu_faults(m), faults + 1);
	}
	dma_unmap_single(f->vf[1], a, 64, DMA_TO_DEVICE);
	sim_free_pages(m, pg, 0);
	sim_report_clear(m);

	pci_disable_sriov(pf);
	assert_int_equal(pci_num_vf(pf), 0);
	for (int i = 0; i < 4; i++)
		assert_false(vf_is_there(f, i));
	dma_fails(f, f->vf[1], 0x1000, "VF pf0.vf1 is not enabled");
	dma_fails(f, f->vf[0], 0x1000, "VF pf0.vf0 is not enabled");
	mmio_fails(f, f->vf[1], "VF not enabled");
	assert_int_equal(cfg16(f->vf[0], PCI_VENDOR_ID), 0xffff);
	/* disabling again is nothing */
	{
		unsigned long nr = sim_report_count(m);

		pci_disable_sriov(pf);
		assert_int_equal(sim_report_count(m), nr);
	}
	sim_report_clear(m);
}

/* The PF's NumVFs register as the hardware keeps it. */
static void test_numvfs_register(void **state)
{
	struct fx *f = FX(state);
	struct pci_dev *pf = f->pf;
	u16 pos = pci_find_ext_capability(pf, PCI_EXT_CAP_ID_SRIOV);

	/* above TotalVFs: dropped */
	assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_NUM_VF, 5), 0);
	assert_int_equal(cfg16(&pf->dev, pos + PCI_SRIOV_NUM_VF), 0);
	assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_NUM_VF, 3), 0);
	assert_int_equal(cfg16(&pf->dev, pos + PCI_SRIOV_NUM_VF), 3);
	/* TotalVFs is read-only */
	assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_TOTAL_VF, 9), 0);
	assert_int_equal(pci_sriov_get_totalvfs(pf), 4);
	/* NumVFs without VF Enable: nothing present */
	assert_false(vf_is_there(f, 0));
	assert_int_equal(pci_num_vf(pf), 0);
	/* VF Enable by hand: the first three */
	assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_CTRL,
					       PCI_SRIOV_CTRL_VFE), 0);
	assert_true(vf_is_there(f, 2));
	assert_false(vf_is_there(f, 3));
	assert_int_equal(pci_num_vf(pf), 3);
	/* without VF MSE nothing of theirs decodes, even once enabled */
	assert_int_equal(pci_enable_device_mem(to_pci_dev(f->vf[2])), 0);
	mmio_fails(f, f->vf[2], "VF MSE clear");
	assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_CTRL, 0), 0);
	assert_false(vf_is_there(f, 2));
	assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_NUM_VF, 0), 0);
	assert_int_equal(cfg16(&pf->dev, pos + PCI_SRIOV_NUM_VF), 0);
}

static void test_errors(void **state)
{
	struct fx *f = FX(state);
	struct pci_dev *pf = f->pf;

	/* not a PF: a plain function, a VF */
	assert_int_equal(pci_enable_sriov(f->dev1, 1), -ENOSYS);
	assert_int_equal(pci_enable_sriov(to_pci_dev(f->vf[0]), 1), -ENOSYS);
	assert_int_equal(pci_num_vf(f->dev1), 0);
	assert_int_equal(pci_sriov_get_totalvfs(f->dev1), 0);
	assert_int_equal(pci_iov_virtfn_bus(f->dev1, 0), -EINVAL);
	assert_int_equal(pci_iov_virtfn_devfn(f->dev1, 0), -EINVAL);
	pci_disable_sriov(f->dev1);
	/* out of range */
	assert_int_equal(pci_enable_sriov(pf, 5), -EINVAL);
	assert_int_equal(pci_enable_sriov(pf, -1), -EINVAL);
	assert_int_equal(pci_num_vf(pf), 0);
	assert_false(vf_is_there(f, 0));
	/* 0: nothing to do */
	assert_int_equal(pci_enable_sriov(pf, 0), 0);
	assert_int_equal(pci_num_vf(pf), 0);
	/* enabled already, whatever the count */
	assert_int_equal(pci_enable_sriov(pf, 4), 0);
	assert_true(vf_is_there(f, 3));
	assert_int_equal(pci_enable_sriov(pf, 1), -EINVAL);
	assert_int_equal(pci_enable_sriov(pf, 4), -EINVAL);
	assert_int_equal(pci_num_vf(pf), 4);
	pci_disable_sriov(pf);
	assert_false(vf_is_there(f, 3));
	assert_int_equal(pci_enable_sriov(pf, 1), 0);
	assert_int_equal(pci_num_vf(pf), 1);
	pci_disable_sriov(pf);
	assert_int_equal(sim_report_count(f->m), 0);
	/* VF Enable set by hand with NumVFs 0: the PF drops the NumVFs write */
	{
		u16 pos = pci_find_ext_capability(pf, PCI_EXT_CAP_ID_SRIOV);

		assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_CTRL,
						       PCI_SRIOV_CTRL_VFE), 0);
		assert_int_equal(pci_num_vf(pf), 0);
		assert_int_equal(pci_enable_sriov(pf, 1), -EIO);
		assert_false(vf_is_there(f, 0));
		assert_int_equal(pci_write_config_word(pf, pos + PCI_SRIOV_CTRL, 0), 0);
		assert_int_equal(pci_enable_sriov(pf, 1), 0);
		assert_true(vf_is_there(f, 0));
		pci_disable_sriov(pf);
	}
}

static struct vfio_pci_core_device *vnew(struct device *dev)
{
	struct vfio_pci_core_device *v;

	v = vfio_alloc_device(vfio_pci_core_device, vdev, dev, &sim_vfio_pci_ops);
	assert_false(IS_ERR(v));
	v->pci_ops = &sim_vfio_pci_dev_ops;
	assert_int_equal(vfio_pci_core_register_device(v), 0);
	return v;
}

static void vdev_free(struct vfio_pci_core_device *v)
{
	vfio_pci_core_unregister_device(v);
	vfio_put_device(&v->vdev);
}

static void test_vfio_open_keeps_sriov(void **state)
{
	struct fx *f = FX(state);
	struct pci_dev *pf = f->pf;
	struct vfio_pci_core_device *v;
	unsigned long warns;

	/* absent: nothing to open */
	v = vnew(f->vf[0]);
	assert_int_equal(sim_vfio_open(&v->vdev), -ENODEV);

	assert_int_equal(pci_enable_sriov(pf, 2), 0);
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	warns = sim_report_count_kind(f->m, SIM_REPORT_WARN);
	pci_disable_sriov(pf);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), warns + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "VF 0000:01:00.2 (pf0.vf0) is open through VFIO: SR-IOV left enabled"));
	assert_int_equal(pci_num_vf(pf), 2);
	assert_true(vf_is_there(f, 0));
	assert_true(vf_is_there(f, 1));
	sim_report_clear(f->m);

	sim_vfio_close(&v->vdev);
	warns = sim_report_count_kind(f->m, SIM_REPORT_WARN);
	pci_disable_sriov(pf);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), warns);
	assert_int_equal(pci_num_vf(pf), 0);
	assert_false(vf_is_there(f, 0));
	dma_fails(f, f->vf[0], 0x2000, "VF pf0.vf0 is not enabled");
	assert_int_equal(sim_vfio_open(&v->vdev), -ENODEV);
	vdev_free(v);
	sim_report_clear(f->m);
}

static void test_leak_reported_at_disable(void **state)
{
	struct fx *f = FX(state);
	struct sim_machine *m = f->m;
	struct page *pg = sim_alloc_pages(m, 0);
	unsigned long errs = sim_dma_debug_errors(m);
	dma_addr_t a;

	assert_non_null(pg);
	assert_int_equal(pci_enable_sriov(f->pf, 1), 0);
	a = dma_map_single(f->vf[0], page_address(pg), 128, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(f->vf[0], a));
	pci_disable_sriov(f->pf);
	assert_int_equal(sim_dma_debug_errors(m), errs + 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_DEBUG,
				    "pending DMA allocations while released from device"));
	f->dbg_allowed = 1;
	assert_false(vf_is_there(f, 0));
	/* the mapping is its maker's to undo; the VF cannot use it */
	dma_fails(f, f->vf[0], a, "VF pf0.vf0 is not enabled");
	dma_unmap_single(f->vf[0], a, 128, DMA_FROM_DEVICE);
	sim_free_pages(m, pg, 0);
	sim_report_clear(m);
}

/* A registered VF driver is probed when VFs appear and removed when they go. */
static int probes, removes;

static int vf_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	assert_true(pdev->is_virtfn);
	probes++;
	return 0;
}

static void vf_remove(struct pci_dev *pdev)
{
	assert_true(pdev->is_virtfn);
	removes++;
}

static void test_vf_driver_bound(void **state)
{
	struct fx *f = FX(state);
	/* the VF Device ID (vf-device=) only: not the PF nor dev1 */
	static const struct pci_device_id ids[] = {
		{ PCI_DEVICE(0x1b36, 0x10fe) },
		{ 0 },
	};
	struct pci_driver drv = {
		.name = "vf-drv", .id_table = ids, .probe = vf_probe,
		.remove = vf_remove,
	};

	probes = removes = 0;
	/* no VF is there: registering binds nothing */
	assert_int_equal(pci_register_driver(&drv), 0);
	assert_int_equal(probes, 0);
	assert_int_equal(pci_enable_sriov(f->pf, 3), 0);
	assert_int_equal(probes, 3);
	assert_int_equal(to_pci_dev(f->vf[2])->device, 0x10fe);
	assert_ptr_equal(f->vf[2]->driver, &drv.driver);
	assert_null(f->vf[3]->driver);
	assert_null(f->pf->dev.driver);
	pci_disable_sriov(f->pf);
	assert_int_equal(removes, 3);
	assert_null(f->vf[0]->driver);
	pci_unregister_driver(&drv);
	assert_int_equal(removes, 3);
}

/*
 * The router and BAR decode read a VF's presence without a lock while
 * the PF's registers change under pci_lock (a ThreadSanitizer check):
 * each access sees the VF either there or not, never half of it.
 */
struct racer {
	struct fx *f;
	unsigned long ok, failed, other;
};

static void *race_dma(void *arg)
{
	struct racer *r = arg;
	struct device *vf = r->f->vf[1];
	/* the pointer and BAR address stay: the function is absent, not freed */
	phys_addr_t bar = to_pci_dev(vf)->resource[0].start;
	u32 v;
	u8 b;

	for (int i = 0; i < 300; i++) {
		int a = sim_dma_read(vf, 0x1000, &b, 1);
		int c = sim_mmio_read(r->f->m, bar, &v, 4);

		/* DMA: not enabled, or no bus mastering; MMIO: either way */
		if (a != -EIO || (c != 0 && c != -EIO))
			r->other++;
		else if (c == 0)
			r->ok++;
		else
			r->failed++;
	}
	return NULL;
}

/* A VF driver that turns memory decoding on (not bus mastering). */
static int mem_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	return pci_enable_device_mem(pdev);
}

static void test_presence_race(void **state)
{
	struct fx *f = FX(state);
	static const struct pci_device_id ids[] = {
		{ PCI_DEVICE(0x1b36, 0x10fe) },
		{ 0 },
	};
	struct pci_driver drv = {
		.name = "vf-mem", .id_table = ids, .probe = mem_probe,
	};
	struct racer r = { .f = f };
	pthread_t t;

	/*
	 * No driver binds while the other thread runs: binding renames the
	 * device its fault reports name (the kernel binds a device before
	 * it is used, not while it does DMA).
	 */
	assert_int_equal(pthread_create(&t, NULL, race_dma, &r), 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(pci_enable_sriov(f->pf, 2), 0);
		pci_disable_sriov(f->pf);
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.failed + r.ok + r.other, 300);
	assert_int_equal(r.other, 0);
	/* a VF that appears decodes nothing until its driver enables it */
	assert_int_equal(r.ok, 0);
	assert_int_equal(pci_register_driver(&drv), 0);
	assert_int_equal(pci_enable_sriov(f->pf, 2), 0);
	assert_ptr_equal(f->vf[1]->driver, &drv.driver);
	r = (struct racer){ .f = f };
	race_dma(&r);
	assert_int_equal(r.ok, 300);
	pci_disable_sriov(f->pf);
	r = (struct racer){ .f = f };
	race_dma(&r);
	assert_int_equal(r.failed, 300);
	pci_unregister_driver(&drv);
	assert_false(vf_is_there(f, 1));
	sim_report_clear(f->m);
}

/* ---------------------------------------------------------- platform --- */

#define PF_HEAD								\
	"machine name=p ram=256M ram-below-4g=128M\n"			\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"

/*
 * pci_reset_function() of the PF saves config state, resets and restores
 * it, as Linux's does: the VFs enabled before are enabled after.
 */
static void test_pf_reset_keeps_vfs(void **state)
{
	struct fx *f = FX(state);

	assert_int_equal(pci_enable_sriov(f->pf, 2), 0);
	assert_int_equal(pci_reset_function(f->pf), 0);
	assert_int_equal(pci_num_vf(f->pf), 2);
	assert_true(vf_is_there(f, 1));
	assert_false(vf_is_there(f, 2));
	pci_disable_sriov(f->pf);
	assert_false(vf_is_there(f, 0));
}

static void test_platform_errors(void **state)
{
	(void)state;
	expect_platform_error(PF_HEAD "pcidev id=p0 bus=rp0 vf-offset=2\n",
			      "line 4: pcidev: vf-offset needs sriov=");
	expect_platform_error(PF_HEAD "pcidev id=p0 bus=rp0 vf-stride=2\n",
			      "line 4: pcidev: vf-stride needs sriov=");
	expect_platform_error(PF_HEAD "pcidev id=p0 bus=rp0 vfs-enabled=0\n",
			      "line 4: pcidev: vfs-enabled needs sriov=");
	expect_platform_error(PF_HEAD "pcidev id=p0 bus=rp0 sriov=2 vf-stride=0\n",
			      "line 4: pcidev: vf-stride=0 must be a number from 1 to 255");
	expect_platform_error(PF_HEAD "pcidev id=p0 bus=rp0 sriov=2 vf-offset=0\n",
			      "line 4: pcidev: vf-offset=0 must be a number from 1 to 255");
	expect_platform_error(PF_HEAD "pcidev id=p0 bus=rp0 sriov=2 vfs-enabled=3\n",
			      "line 4: pcidev: vfs-enabled=3 is more than sriov=2");
	expect_platform_error(PF_HEAD "pcidev id=p0 bus=rp0 sriov=129 vf-stride=2\n",
			      "line 4: pcidev: sriov=129 vf-offset=1 vf-stride=2 puts VF 128 at devfn 257, past the PF's bus (255)");
	expect_platform_error(PF_HEAD "pcidev id=p0 bus=rp0 sriov=4 vf-offset=250 vf-stride=2\n",
			      "line 4: pcidev: sriov=4 vf-offset=250 vf-stride=2 puts VF 3 at devfn 256, past the PF's bus (255)");
	/* at the edge: the last VF at devfn 255 */
	{
		struct sim_machine *m = machine_from(
			PF_HEAD "pcidev id=p0 bus=rp0 sriov=128 vf-offset=1 vf-stride=2 vfs-enabled=128\n");
		struct pci_dev *vf = to_pci_dev(dev_of(m, "p0.vf127"));

		assert_int_equal(vf->devfn, 255);
		assert_int_equal(pci_iov_virtfn_devfn(to_pci_dev(dev_of(m, "p0")), 127), 255);
		assert_int_equal(machine_teardown(m, TD_CLEAN | TD_WARN), 0);
	}
}

/* The defaults: every VF enabled at boot, RID = PF + 1 + i. */
static void test_defaults(void **state)
{
	struct sim_machine *m = machine_from(PF_HEAD "pcidev id=p0 bus=rp0 sriov=3\n");
	struct pci_dev *pf = to_pci_dev(dev_of(m, "p0"));

	(void)state;
	assert_int_equal(pci_num_vf(pf), 3);
	for (int i = 0; i < 3; i++) {
		char id[16];
		struct pci_dev *vf;

		snprintf(id, sizeof(id), "p0.vf%d", i);
		vf = to_pci_dev(dev_of(m, id));
		assert_int_equal(vf->devfn, pf->devfn + 1 + i);
		/* enabled at boot, decoding and mastering as every function */
		assert_true(sim_device_present(&vf->dev));
		assert_int_equal(cfg16(&vf->dev, PCI_VENDOR_ID), pf->vendor);
		assert_int_equal(cfg16(&vf->dev, PCI_COMMAND),
				 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	}
	assert_int_equal(machine_teardown(m, TD_CLEAN | TD_WARN), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_absent_at_boot, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_enable_two, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_numvfs_register, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vfio_open_keeps_sriov, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_leak_reported_at_disable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vf_driver_bound, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_presence_race, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pf_reset_keeps_vfs, fx_setup, fx_teardown),
		cmocka_unit_test(test_platform_errors),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
