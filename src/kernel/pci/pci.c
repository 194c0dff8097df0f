// SPDX-License-Identifier: MIT
/*
 * The kernel's PCI core (drivers/pci/pci.c, access.c): struct pci_dev
 * accessors, configuration access, capability lookup, enabling, bus
 * mastering, power state, function and bus resets. Everything reaches the
 * function through configuration requests to the hardware
 * (src/hw/pci.c); current_state is the kernel's record of the power state
 * it last read back.
 */
#include <string.h>
#include "internal.h"

/* ------------------------------------------------------------------------ */
/* struct pci_dev helpers                                                   */
/* ------------------------------------------------------------------------ */

struct pci_dev *to_pci_dev(struct device *dev)
{
	if (!dev_is_pci(dev))
		return NULL;
	return container_of(dev, struct pci_dev, dev);
}

static bool bar_ok(struct pci_dev *pdev, int bar)
{
	return pdev && bar >= 0 && bar < PCI_STD_NUM_BARS;
}

phys_addr_t pci_resource_start(struct pci_dev *pdev, int bar)
{
	return bar_ok(pdev, bar) ? pdev->resource[bar].start : 0;
}

phys_addr_t pci_resource_end(struct pci_dev *pdev, int bar)
{
	return bar_ok(pdev, bar) ? pdev->resource[bar].end : 0;
}

resource_size_t pci_resource_len(struct pci_dev *pdev, int bar)
{
	if (!bar_ok(pdev, bar) || !pdev->resource[bar].end)
		return 0;
	return resource_size(&pdev->resource[bar]);
}

unsigned long pci_resource_flags(struct pci_dev *pdev, int bar)
{
	return bar_ok(pdev, bar) ? pdev->resource[bar].flags : 0;
}

u64 pci_bus_address(struct pci_dev *pdev, int bar)
{
	if (!bar_ok(pdev, bar) || !pdev->sim->bars[bar].size)
		return 0;
	return sim_bar_bus_addr(pdev->sim->node, &pdev->sim->bars[bar]);
}

const char *pci_name(const struct pci_dev *pdev)
{
	return pdev->dev.name;
}

/*
 * A configuration read through the hardware, under pci_lock (as the
 * kernel's pci_bus_read_config_*()); 0 or -EINVAL.
 */
static int cfg_read(struct pci_dev *dev, int where, int size, u32 *val)
{
	sim_spinlock_t *lock;
	int ret;

	if (!dev || !dev->sim)
		return -EINVAL;
	lock = &dev->dev.sim->kernel->pci_lock;
	sim_spin_lock(lock);
	ret = sim_pci_cfg_read(dev->sim, where, size, val);
	sim_spin_unlock(lock);
	return ret;
}

/**
 * pci_sync_current_state - read the function's power state back into
 * @dev->current_state, as the kernel's PM code keeps it
 *
 * Under pci_lock, so that the record changes with the register it
 * mirrors; readers load it whole (pci_current_state()).
 */
void pci_sync_current_state(struct pci_dev *dev)
{
	sim_spinlock_t *lock = &dev->dev.sim->kernel->pci_lock;

	sim_spin_lock(lock);
	__atomic_store_n(&dev->current_state, sim_pci_fn_power(dev->sim),
			 __ATOMIC_RELEASE);
	sim_spin_unlock(lock);
}

/*
 * A configuration write: the hardware takes pci_lock around its register
 * change and drops it while the function's notifier runs (which may read
 * config space or sleep on a lock of its own). What the function's power
 * state is afterwards is read back into current_state.
 */
static int cfg_write(struct pci_dev *dev, int where, int size, u32 val)
{
	int ret;

	if (!dev || !dev->sim)
		return -EINVAL;
	ret = sim_pci_cfg_write(dev->sim, where, size, val,
				&dev->dev.sim->kernel->pci_lock);
	if (!ret)
		pci_sync_current_state(dev);
	return ret;
}

int pci_read_config_byte(struct pci_dev *dev, int where, u8 *val)
{
	u32 v;
	int ret = cfg_read(dev, where, 1, &v);

	if (!ret)
		*val = (u8)v;
	return ret;
}

int pci_read_config_word(struct pci_dev *dev, int where, u16 *val)
{
	u32 v;
	int ret = cfg_read(dev, where, 2, &v);

	if (!ret)
		*val = (u16)v;
	return ret;
}

int pci_read_config_dword(struct pci_dev *dev, int where, u32 *val)
{
	return cfg_read(dev, where, 4, val);
}

int pci_write_config_byte(struct pci_dev *dev, int where, u8 val)
{
	return cfg_write(dev, where, 1, val);
}

int pci_write_config_word(struct pci_dev *dev, int where, u16 val)
{
	return cfg_write(dev, where, 2, val);
}

int pci_write_config_dword(struct pci_dev *dev, int where, u32 val)
{
	return cfg_write(dev, where, 4, val);
}

u8 pci_find_capability(struct pci_dev *dev, int cap)
{
	u8 pos = 0, id = 0;

	pci_read_config_byte(dev, PCI_CAPABILITY_LIST, &pos);
	for (int ttl = 48; pos && ttl; ttl--) {
		if (pci_read_config_byte(dev, pos, &id))
			return 0;
		if (id == cap)
			return pos;
		pci_read_config_byte(dev, pos + 1, &pos);
	}
	return 0;
}

u16 pci_find_ext_capability(struct pci_dev *dev, int cap)
{
	u16 pos = 0x100;

	for (int ttl = 480; pos && ttl; ttl--) {
		u32 hdr = 0;

		pci_read_config_dword(dev, pos, &hdr);

		if (!hdr)
			return 0;
		if ((hdr & 0xffff) == (u32)cap)
			return pos;
		pos = (hdr >> 20) & 0xffc;
		if (pos < 0x100)
			return 0;
	}
	return 0;
}

static void cmd_update(struct pci_dev *dev, u16 set, u16 clear)
{
	u16 cmd;

	pci_read_config_word(dev, PCI_COMMAND, &cmd);
	pci_write_config_word(dev, PCI_COMMAND, (cmd & ~clear) | set);
}

void pci_set_master(struct pci_dev *dev)
{
	cmd_update(dev, PCI_COMMAND_MASTER, 0);
}

void pci_clear_master(struct pci_dev *dev)
{
	cmd_update(dev, 0, PCI_COMMAND_MASTER);
}

int pci_enable_device(struct pci_dev *dev)
{
	return pci_enable_device_mem(dev);
}

int pci_enable_device_mem(struct pci_dev *dev)
{
	if (pci_current_state(dev) != PCI_D0)
		pci_set_power_state(dev, PCI_D0);
	cmd_update(dev, PCI_COMMAND_MEMORY, 0);
	return 0;
}

void pci_disable_device(struct pci_dev *dev)
{
	cmd_update(dev, 0, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
}

int pci_set_power_state(struct pci_dev *dev, pci_power_t state)
{
	u16 pmcsr;
	int pm = pci_find_capability(dev, PCI_CAP_ID_PM);

	if (state != PCI_D0 && state != PCI_D3hot)
		return -EINVAL;
	pci_read_config_word(dev, pm + PCI_PM_CTRL, &pmcsr);
	pmcsr = (pmcsr & ~PCI_PM_CTRL_STATE_MASK) | (u16)state;
	return pci_write_config_word(dev, pm + PCI_PM_CTRL, pmcsr);
}

bool pcie_has_flr(struct pci_dev *dev)
{
	u32 cap;

	pci_read_config_dword(dev, pci_find_capability(dev, PCI_CAP_ID_EXP) +
			      PCI_EXP_DEVCAP, &cap);
	return cap & PCI_EXP_DEVCAP_FLR;
}

int pcie_flr(struct pci_dev *dev)
{
	u16 ctl;
	int exp = pci_find_capability(dev, PCI_CAP_ID_EXP);

	if (!pcie_has_flr(dev))
		return -ENOTTY;
	pci_read_config_word(dev, exp + PCI_EXP_DEVCTL, &ctl);
	return pci_write_config_word(dev, exp + PCI_EXP_DEVCTL,
				     ctl | PCI_EXP_DEVCTL_BCR_FLR);
}

/* Save config state, reset the function, restore: pci_reset_function(). */
int pci_reset_function(struct pci_dev *dev)
{
	u16 cmd;
	int ret;

	if (!pcie_has_flr(dev))
		return -ENOTTY;
	pci_read_config_word(dev, PCI_COMMAND, &cmd);
	ret = pcie_flr(dev);
	if (ret)
		return ret;
	pci_write_config_word(dev, PCI_COMMAND, cmd);
	return 0;
}

/**
 * pci_bridge_secondary_bus_reset - hot reset everything below @bridge
 * @bridge: a root port, switch upstream port or switch downstream port
 *
 * Pulses the bridge's Secondary Bus Reset (see the hardware's
 * sim_pci_secondary_bus_reset()): every function below is reset, back in
 * D0. As the kernel's function of that name, no state is saved or
 * restored: that is the caller's (pci_reset_bus()).
 *
 * Return: 0, or -EINVAL when @bridge is not a bridge of the machine.
 */
int pci_bridge_secondary_bus_reset(struct pci_dev *bridge)
{
	struct sim_machine *m;
	int ret;

	if (!bridge || !bridge->sim)
		return -EINVAL;
	m = bridge->dev.sim;
	ret = sim_pci_secondary_bus_reset(bridge->sim, &m->kernel->pci_lock);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->fn)
			pci_sync_current_state(&m->nodes[i]->fn->pdev);
	return 0;
}

struct pci_dev *pci_upstream_bridge(struct pci_dev *dev)
{
	struct sim_node *p = dev->sim->node->parent;

	if (!p || !p->fn)
		return NULL;
	return &p->fn->pdev;
}

/**
 * pci_dma_configure_machine - what the kernel learns of each function's DMA
 * from the platform, at boot, before any DMA layer comes up
 * @m: the machine, booting
 *
 * The kernel's pci_device_add() and pci_dma_configure() with the firmware's
 * word on the device (ACPI _CCA or DT dma-coherent, the external-facing
 * port that makes a device untrusted, the host bridge's dma-ranges): the
 * default masks, coherence, segment limits, the bus's DMA limit and offsets.
 */
int pci_dma_configure_machine(struct sim_machine *m)
{
	sim_spin_lock_init(&m->kernel->pci_lock);
	/* the DMA API's counters, a cache line per function */
	m->kernel->dev_stats = sim_kzalloc_aligned(m, (m->nr_nodes ? m->nr_nodes : 1) *
						   sizeof(*m->kernel->dev_stats),
						   _Alignof(struct sim_dma_dev_stats));
	if (!m->kernel->dev_stats)
		return -ENOMEM;
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *node = m->nodes[i];
		struct pci_dev *pdev;

		if (!node->fn)
			continue;
		pdev = &node->fn->pdev;
		pdev->dev.sim_dma_stats = &m->kernel->dev_stats[i];
		pdev->untrusted = node->untrusted;
		pdev->dev.removable = node->untrusted;
		pdev->dma_mask = DMA_BIT_MASK(node->dma_bits ? node->dma_bits : 32);
		pdev->dev.dma_mask = &pdev->dma_mask;
		pdev->dev.coherent_dma_mask = pdev->dma_mask;
		pdev->dev.dma_coherent = node->coherent;
		pdev->dma_parms.max_segment_size = 65536;
		pdev->dma_parms.segment_boundary_mask = 0xffffffffUL;
		pdev->dev.dma_parms = &pdev->dma_parms;
		if (node->hb && node->hb->hostbridge) {
			struct sim_hostbridge *hb = node->hb->hostbridge;

			pdev->dev.bus_dma_limit = hb->dma_limit;
			if (hb->dma_map[0].size)
				pdev->dev.dma_range_map = hb->dma_map;
		}
	}
	return 0;
}

/* What pci_dma_configure_machine() allocated, at kernel shutdown. */
void pci_dma_deconfigure_machine(struct sim_machine *m)
{
	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->fn)
			m->nodes[i]->fn->pdev.dev.sim_dma_stats = NULL;
	sim_kfree(m, m->kernel->dev_stats);
	m->kernel->dev_stats = NULL;
}
