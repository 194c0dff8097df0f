/* SPDX-License-Identifier: MIT */
/*
 * PCI functions of the simulated machine, with the kernel's names for the
 * fields and helpers a DMA user touches (resources, config space, command
 * register, power state and function reset).
 */
#ifndef _DMASTACK_LINUX_PCI_H
#define _DMASTACK_LINUX_PCI_H

#include "compiler.h"
#include "device.h"
#include "pci_ids.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IORESOURCE_MEM		0x00000200UL
#define IORESOURCE_PREFETCH	0x00002000UL
#define IORESOURCE_MEM_64	0x00100000UL
#define IORESOURCE_UNSET	0x20000000UL

struct resource {
	resource_size_t start;
	resource_size_t end;
	const char *name;
	unsigned long flags;
};

static inline resource_size_t resource_size(const struct resource *res)
{
	return res->end - res->start + 1;
}

#define PCI_STD_NUM_BARS	6
#define PCI_ROM_RESOURCE	6
#define DEVICE_COUNT_RESOURCE	7

/* Config space offsets and bits (include/uapi/linux/pci_regs.h). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x1
#define  PCI_COMMAND_MEMORY	0x2
#define  PCI_COMMAND_MASTER	0x4
#define  PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS		0x06
#define  PCI_STATUS_CAP_LIST	0x10
#define PCI_CLASS_REVISION	0x08
#define PCI_HEADER_TYPE		0x0e
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_PRIMARY_BUS		0x18
#define PCI_SECONDARY_BUS	0x19
#define PCI_SUBORDINATE_BUS	0x1a
#define PCI_CAPABILITY_LIST	0x34
#define PCI_CAP_ID_PM		0x01
#define PCI_CAP_ID_EXP		0x10
#define PCI_CAP_ID_AF		0x13
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_MSIX		0x11
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_MSI_FLAGS		0x02
#define  PCI_MSI_FLAGS_ENABLE	0x0001
#define  PCI_MSI_FLAGS_QMASK	0x000e	/* multiple message capable */
#define  PCI_MSI_FLAGS_QSIZE	0x0070	/* multiple message enable */
#define  PCI_MSI_FLAGS_64BIT	0x0080
#define  PCI_MSI_FLAGS_MASKBIT	0x0100	/* per-vector masking */
#define PCI_MSI_ADDRESS_LO	0x04
#define PCI_MSI_ADDRESS_HI	0x08
#define PCI_MSI_DATA_64		0x0c
#define PCI_MSI_MASK_64		0x10
#define PCI_MSI_PENDING_64	0x14
#define PCI_MSIX_FLAGS		0x02
#define  PCI_MSIX_FLAGS_QSIZE	0x07ff	/* table size - 1 */
#define  PCI_MSIX_FLAGS_MASKALL	0x4000
#define  PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_TABLE		0x04
#define  PCI_MSIX_TABLE_BIR	0x00000007
#define  PCI_MSIX_TABLE_OFFSET	0xfffffff8
#define PCI_MSIX_PBA		0x08
#define  PCI_MSIX_PBA_BIR	0x00000007
#define  PCI_MSIX_PBA_OFFSET	0xfffffff8
#define PCI_MSIX_ENTRY_SIZE		16
#define PCI_MSIX_ENTRY_LOWER_ADDR	0x0
#define PCI_MSIX_ENTRY_UPPER_ADDR	0x4
#define PCI_MSIX_ENTRY_DATA		0x8
#define PCI_MSIX_ENTRY_VECTOR_CTRL	0xc
#define  PCI_MSIX_ENTRY_CTRL_MASKBIT	0x1
#define PCI_PM_CTRL		4
#define  PCI_PM_CTRL_STATE_MASK	0x0003
#define PCI_EXP_FLAGS		2
#define PCI_EXP_DEVCAP		4
#define  PCI_EXP_DEVCAP_FLR	0x10000000
#define PCI_EXP_DEVCTL		8
#define  PCI_EXP_DEVCTL_BCR_FLR	0x8000
#define PCI_AF_CAP		3
#define  PCI_AF_CAP_TP		0x01
#define  PCI_AF_CAP_FLR		0x02
#define PCI_AF_CTRL		4
#define  PCI_AF_CTRL_FLR	0x01
#define PCI_EXT_CAP_ID_ACS	0x0d
#define PCI_ACS_CAP		0x04
#define PCI_ACS_CTRL		0x06
#define  PCI_ACS_SV		0x0001
#define  PCI_ACS_TB		0x0002
#define  PCI_ACS_RR		0x0004
#define  PCI_ACS_CR		0x0008
#define  PCI_ACS_UF		0x0010
#define  PCI_ACS_EC		0x0020
#define  PCI_ACS_DT		0x0040
#define PCI_EXT_CAP_ID_SRIOV	0x10
#define PCI_SRIOV_CAP		0x04
#define PCI_SRIOV_CTRL		0x08
#define  PCI_SRIOV_CTRL_VFE	0x0001
#define  PCI_SRIOV_CTRL_MSE	0x0008
#define  PCI_SRIOV_CTRL_ARI	0x0010
#define PCI_SRIOV_INITIAL_VF	0x0c
#define PCI_SRIOV_TOTAL_VF	0x0e
#define PCI_SRIOV_NUM_VF	0x10
#define PCI_SRIOV_VF_OFFSET	0x14
#define PCI_SRIOV_VF_STRIDE	0x16
#define PCI_SRIOV_VF_DID	0x1a
#define PCI_SRIOV_SUP_PGSIZE	0x1c
#define PCI_SRIOV_SYS_PGSIZE	0x20
#define PCI_SRIOV_BAR		0x24

#define PCI_DEVFN(slot, func)	((((slot) & 0x1f) << 3) | ((func) & 0x07))
#define PCI_SLOT(devfn)		(((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)		((devfn) & 0x07)

typedef int pci_power_t;
#define PCI_D0		0
#define PCI_D1		1
#define PCI_D2		2
#define PCI_D3hot	3
#define PCI_D3cold	4
#define PCI_UNKNOWN	5

struct sim_pci_fn;

struct pci_dev {
	struct device dev;
	unsigned int devfn;
	unsigned char bus_nr;
	unsigned short domain_nr;
	unsigned short vendor;
	unsigned short device;
	unsigned short subsystem_vendor;
	unsigned short subsystem_device;
	unsigned int __cxx_field(class);	/* C++: class_ */
	u64 dma_mask;
	pci_power_t current_state;
	struct resource resource[DEVICE_COUNT_RESOURCE];
	struct device_dma_parameters dma_parms;
	bool untrusted;
	unsigned int irq;	/* first MSI vector's irq, 0 without one */
	bool msi_enabled;
	bool msix_enabled;
	unsigned int is_physfn:1;	/* has an SR-IOV capability (a PF) */
	unsigned int is_virtfn:1;	/* SR-IOV VF */
	struct pci_dev *physfn;		/* is_virtfn: its PF */
	struct sim_pci_fn *sim;	/* machine-private */
};

/* ---- drivers ------------------------------------------------------------ */

#define PCI_ANY_ID	(~0U)

/* What a driver matches (the kernel's <linux/mod_devicetable.h>). */
struct pci_device_id {
	u32 vendor, device;		/* or PCI_ANY_ID */
	u32 subvendor, subdevice;	/* or PCI_ANY_ID */
	u32 __cxx_field(class), class_mask; /* (class ^ dev->class) & class_mask; C++: class_ */
	unsigned long driver_data;	/* the driver's */
	u32 override_only;
};

#define PCI_DEVICE(vend, dev)						\
	.vendor = (vend), .device = (dev),				\
	.subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID
#define PCI_DEVICE_SUB(vend, dev, subvend, subdev)			\
	.vendor = (vend), .device = (dev),				\
	.subvendor = (subvend), .subdevice = (subdev)
#define PCI_DEVICE_CLASS(dev_class, dev_class_mask)			\
	.class = (dev_class), .class_mask = (dev_class_mask),		\
	.vendor = PCI_ANY_ID, .device = PCI_ANY_ID,			\
	.subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID

/*
 * A PCI driver. pci_register_driver() binds it to every function of the
 * current machine that its id_table matches and no driver has: probe runs
 * for each, on the registering thread; pci_unregister_driver(), or the
 * machine's shutdown, runs remove for each it bound.
 */
struct pci_driver {
	const char *name;
	const struct pci_device_id *id_table;
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
	void (*remove)(struct pci_dev *dev);
	void (*shutdown)(struct pci_dev *dev);
	struct device_driver driver;
	/*
	 * The driver manages DMA itself (VFIO): binding it does not make the
	 * IOMMU group a kernel DMA user, so the group stays viable for VFIO
	 */
	bool driver_managed_dma;
};

#define to_pci_driver(drv) \
	((struct pci_driver *)((char *)(drv) - offsetof(struct pci_driver, driver)))

int pci_register_driver(struct pci_driver *drv);
/* A module that is one PCI driver (<linux/module.h>'s module_driver()). */
#define module_pci_driver(__pci_driver) \
	module_driver(__pci_driver, pci_register_driver, pci_unregister_driver)
void pci_unregister_driver(struct pci_driver *drv);
/* The entry of @ids that matches @dev, or NULL. */
const struct pci_device_id *pci_match_id(const struct pci_device_id *ids,
					 struct pci_dev *dev);

/* NULL when @dev is not a PCI function (the kernel's container_of). */
struct pci_dev *to_pci_dev(struct device *dev);

static inline void *pci_get_drvdata(struct pci_dev *pdev)
{
	return dev_get_drvdata(&pdev->dev);
}

static inline void pci_set_drvdata(struct pci_dev *pdev, void *data)
{
	dev_set_drvdata(&pdev->dev, data);
}

phys_addr_t pci_resource_start(struct pci_dev *pdev, int bar);
phys_addr_t pci_resource_end(struct pci_dev *pdev, int bar);
resource_size_t pci_resource_len(struct pci_dev *pdev, int bar);
unsigned long pci_resource_flags(struct pci_dev *pdev, int bar);
/* The address the bus sees for a BAR (CPU address minus the window offset). */
u64 pci_bus_address(struct pci_dev *pdev, int bar);
const char *pci_name(const struct pci_dev *pdev);

int pci_read_config_byte(struct pci_dev *dev, int where, u8 *val);
int pci_read_config_word(struct pci_dev *dev, int where, u16 *val);
int pci_read_config_dword(struct pci_dev *dev, int where, u32 *val);
int pci_write_config_byte(struct pci_dev *dev, int where, u8 val);
int pci_write_config_word(struct pci_dev *dev, int where, u16 val);
int pci_write_config_dword(struct pci_dev *dev, int where, u32 val);
u8 pci_find_capability(struct pci_dev *dev, int cap);
u16 pci_find_ext_capability(struct pci_dev *dev, int cap);

/* Memory and I/O decoding on (there is no I/O space: memory only). */
int pci_enable_device(struct pci_dev *dev);
void pci_set_master(struct pci_dev *dev);
void pci_clear_master(struct pci_dev *dev);
int pci_enable_device_mem(struct pci_dev *dev);
void pci_disable_device(struct pci_dev *dev);
int pci_set_power_state(struct pci_dev *dev, pci_power_t state);
bool pcie_has_flr(struct pci_dev *dev);
int pcie_flr(struct pci_dev *dev);
int pci_reset_function(struct pci_dev *dev);

/*
 * Interrupt vectors (the kernel's pci_alloc_irq_vectors()): MSI-X first if
 * allowed and present, then MSI, then INTx. dmastack functions have no INTx
 * pin: a model's MSI-X and MSI capabilities are what there is.
 */
#define PCI_IRQ_INTX		(1 << 0)
#define PCI_IRQ_LEGACY		PCI_IRQ_INTX
#define PCI_IRQ_MSI		(1 << 1)
#define PCI_IRQ_MSIX		(1 << 2)
#define PCI_IRQ_AFFINITY	(1 << 3)
#define PCI_IRQ_ALL_TYPES	(PCI_IRQ_INTX | PCI_IRQ_MSI | PCI_IRQ_MSIX)

/**
 * pci_alloc_irq_vectors - allocate between @min_vecs and @max_vecs irqs
 * @dev: the function
 * @min_vecs: the fewest the driver can use (at least 1)
 * @max_vecs: the most it wants
 * @flags: PCI_IRQ_MSIX, PCI_IRQ_MSI, PCI_IRQ_INTX (PCI_IRQ_AFFINITY ignored)
 *
 * Enables MSI with the vectors masked until request_irq(); makes @dev's
 * machine the calling thread's current machine.
 *
 * Return: the number of vectors, or -ERANGE (@max_vecs < @min_vecs),
 * -EINVAL (already enabled, not in D0, @min_vecs 0, no capability of the
 * allowed kinds), -ENOSPC (fewer than @min_vecs), -ENOMEM.
 */
int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs,
			  unsigned int max_vecs, unsigned int flags);

/**
 * pci_free_irq_vectors - disable MSI and free the irqs of @dev
 * @dev: the function
 *
 * An irq that still has an action is a WARN (reported) and the action goes.
 */
void pci_free_irq_vectors(struct pci_dev *dev);

/**
 * pci_irq_vector - the Linux irq number of vector @nr of @dev
 * @dev: the function
 * @nr: 0 .. vectors allocated - 1
 *
 * Makes @dev's machine the calling thread's current machine.
 *
 * Return: the irq, or -EINVAL.
 */
int pci_irq_vector(struct pci_dev *dev, unsigned int nr);

/* The bridge above @dev (root port or switch downstream port), or NULL. */
struct pci_dev *pci_upstream_bridge(struct pci_dev *dev);

/* ---- SR-IOV (drivers/pci/iov.c) ------------------------------------------ */

/* A VF's PF; any other function is its own. */
static inline struct pci_dev *pci_physfn(struct pci_dev *dev)
{
	if (dev->is_virtfn)
		dev = dev->physfn;
	return dev;
}

/**
 * pci_enable_sriov - enable @nr_virtfn VFs of the PF @dev
 * @dev: the PF (a function with an SR-IOV capability)
 * @nr_virtfn: how many, 1 .. TotalVFs (0: nothing to do)
 *
 * Writes NumVFs, then VF Enable and VF MSE in the PF's SR-IOV Control
 * through the config accessors (under pci_lock); VF 0 .. @nr_virtfn - 1
 * are then present and the registered PCI drivers are offered each. The
 * caller serializes enable and disable of one PF (the kernel's device
 * lock, held around a driver's sriov_configure).
 *
 * Return: 0; -ENOSYS (@dev is not a PF), -EINVAL (VFs enabled already,
 * @nr_virtfn negative or above TotalVFs), -EIO (the PF did not take
 * NumVFs).
 */
int pci_enable_sriov(struct pci_dev *dev, int nr_virtfn);

/**
 * pci_disable_sriov - disable the VFs of the PF @dev
 * @dev: the PF (anything else, or no VFs enabled: nothing)
 *
 * Each VF is removed first: its driver's remove runs, its managed
 * resources go, and dma-debug reports what it still has mapped (the
 * mappings are the leak of whoever made them). Then VF Enable and VF MSE
 * are cleared and NumVFs written 0: the VFs are absent (sim_device()
 * returns NULL, their DMA fails). Where the kernel's vfio-pci remove
 * would wait for a user to close a VF, this reports a warning naming each
 * VF still open through VFIO and leaves SR-IOV enabled. The caller
 * serializes as for pci_enable_sriov().
 */
void pci_disable_sriov(struct pci_dev *dev);

/* VFs enabled on the PF @dev; 0 when none or @dev is not a PF. */
int pci_num_vf(struct pci_dev *dev);

/* TotalVFs of the PF @dev; 0 when @dev is not a PF. */
int pci_sriov_get_totalvfs(struct pci_dev *dev);

/*
 * The bus number and devfn of VF @vf_id of the PF @dev, from the PF's
 * routing ID, First VF Offset and VF Stride; -EINVAL if @dev is not a PF.
 */
int pci_iov_virtfn_bus(struct pci_dev *dev, int vf_id);
int pci_iov_virtfn_devfn(struct pci_dev *dev, int vf_id);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_PCI_H */
