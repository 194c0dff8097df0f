// SPDX-License-Identifier: MIT
/*
 * PCI drivers (drivers/pci/pci-driver.c): a registered driver binds to
 * the functions of the current machine its id table matches, probe runs
 * for each, remove when the driver goes or the machine shuts down. The
 * registered drivers of a machine are a list in its kernel state, under
 * its own lock; probe and remove run without it held, so a driver may
 * register or look things up from them.
 *
 * A function is bound when dev->driver is set; dmastack's own drivers
 * that programs call by hand (nvme-pci, the NIC's, VFIO) name the device
 * but do not bind it through this core.
 */
#include <pthread.h>
#include <string.h>
#include "internal.h"

struct pci_driver_reg {
	struct pci_driver *drv;
	struct pci_driver_reg *next;
};

struct sim_pci_drivers {
	pthread_mutex_t lock;
	struct pci_driver_reg *regs;
};

static bool id_matches(const struct pci_device_id *id, struct pci_dev *dev)
{
	return (id->vendor == PCI_ANY_ID || id->vendor == dev->vendor) &&
	       (id->device == PCI_ANY_ID || id->device == dev->device) &&
	       (id->subvendor == PCI_ANY_ID ||
		id->subvendor == dev->subsystem_vendor) &&
	       (id->subdevice == PCI_ANY_ID ||
		id->subdevice == dev->subsystem_device) &&
	       !((id->class ^ dev->class) & id->class_mask);
}

/* An id table ends with an entry of all zeros. */
static bool id_is_end(const struct pci_device_id *id)
{
	return !id->vendor && !id->device && !id->subvendor &&
	       !id->subdevice && !id->class_mask;
}

/**
 * pci_match_id - the entry of @ids matching @dev
 * @ids: an id table ending with an all-zero entry
 * @dev: the function
 *
 * Return: the entry, or NULL.
 */
const struct pci_device_id *pci_match_id(const struct pci_device_id *ids,
					 struct pci_dev *dev)
{
	u16 sv = 0, sd = 0;

	if (!ids || !dev)
		return NULL;
	/* the subsystem ids, as enumeration reads them */
	pci_read_config_word(dev, PCI_SUBSYSTEM_VENDOR_ID, &sv);
	pci_read_config_word(dev, PCI_SUBSYSTEM_ID, &sd);
	dev->subsystem_vendor = sv;
	dev->subsystem_device = sd;
	for (; !id_is_end(ids); ids++)
		if (!ids->override_only && id_matches(ids, dev))
			return ids;
	return NULL;
}

static struct sim_pci_drivers *drivers_of(struct sim_machine *m)
{
	return m && m->kernel ? m->kernel->pci_drivers : NULL;
}

/* An unbound function is named by its model, else its platform kind. */
static const char *unbound_name(struct pci_dev *pdev)
{
	const char *model = sim_device_model(&pdev->dev);

	return model ? model : sim_device_kind(&pdev->dev);
}

static void device_unbind(struct pci_driver *drv, struct pci_dev *pdev)
{
	if (drv->remove)
		drv->remove(pdev);
	/*
	 * After remove, as the kernel's devres_release_all(): the driver's
	 * managed resources are released (newest first); what it left
	 * mapped beyond them is its leak, reported naming it.
	 */
	sim_device_unbind(&pdev->dev);
	pdev->dev.driver = NULL;
	pdev->dev.driver_data = NULL;
	pdev->dev.driver_name = unbound_name(pdev);
}

/* Bind @drv to @pdev and probe; a failed probe leaves it unbound. */
static void probe_one(struct pci_driver *drv, struct pci_dev *pdev,
		      const struct pci_device_id *id)
{
	int ret;

	pdev->dev.driver = &drv->driver;
	pdev->dev.driver_name = drv->name;
	ret = drv->probe(pdev, id);
	if (ret) {
		/* -ENODEV, -ENXIO: the driver declines, silently */
		if (ret != -ENODEV && ret != -ENXIO)
			_dev_printk("<3>", &pdev->dev, "probe with driver %s failed with error %d",
				    drv->name, ret);
		/* what probe got managed is released here too */
		sim_device_unbind(&pdev->dev);
		pdev->dev.driver = NULL;
		pdev->dev.driver_data = NULL;
		pdev->dev.driver_name = unbound_name(pdev);
	}
}

/**
 * pci_register_driver - register @drv with the current machine and probe
 * @drv: the driver; it must stay until pci_unregister_driver()
 *
 * Every endpoint of the machine without a bound driver that @drv's id
 * table matches is probed, in platform order; a probe that fails leaves
 * the function unbound (its error is logged, as the driver core does,
 * except -ENODEV and -ENXIO: the driver declining the device).
 *
 * Return: 0; -EINVAL (no name, no probe, no id table), -ENODEV (no
 * current machine), -EBUSY (@drv is registered already), -ENOMEM.
 */
int pci_register_driver(struct pci_driver *drv)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_pci_drivers *d = drivers_of(m);
	struct pci_driver_reg *reg;

	if (!drv || !drv->name || !drv->probe || !drv->id_table)
		return -EINVAL;
	if (!d)
		return -ENODEV;
	reg = sim_kzalloc(m, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	pthread_mutex_lock(&d->lock);
	for (struct pci_driver_reg *r = d->regs; r; r = r->next)
		if (r->drv == drv) {
			pthread_mutex_unlock(&d->lock);
			sim_kfree(m, reg);
			return -EBUSY;
		}
	reg->drv = drv;
	reg->next = d->regs;
	d->regs = reg;
	pthread_mutex_unlock(&d->lock);
	drv->driver.name = drv->name;

	for (unsigned int i = 0; i < m->nr_devices; i++) {
		struct pci_dev *pdev = to_pci_dev(m->devices[i]);
		const struct pci_device_id *id;

		/* a VF its PF has not enabled is not on the bus */
		if (!pdev || pdev->dev.driver || !sim_device_is_endpoint(&pdev->dev) ||
		    !sim_device_present(&pdev->dev))
			continue;
		id = pci_match_id(drv->id_table, pdev);
		if (id)
			probe_one(drv, pdev, id);
	}
	return 0;
}

/**
 * pci_bus_add_virtfn - a VF appeared (pci_enable_sriov()): the registered
 * drivers are offered it, newest first, as the kernel's driver core
 * probes a device that is added (sriov_drivers_autoprobe)
 * @pdev: the VF, present and unbound
 *
 * Probe runs on this thread without the drivers' lock held.
 */
void pci_bus_add_virtfn(struct pci_dev *pdev)
{
	struct sim_machine *m = pdev->dev.sim;
	struct sim_pci_drivers *d = drivers_of(m);
	struct pci_driver *drv = NULL;
	const struct pci_device_id *id = NULL;

	if (!d || pdev->dev.driver)
		return;
	pthread_mutex_lock(&d->lock);
	for (struct pci_driver_reg *r = d->regs; r && !id; r = r->next) {
		id = pci_match_id(r->drv->id_table, pdev);
		drv = r->drv;
	}
	pthread_mutex_unlock(&d->lock);
	if (id)
		probe_one(drv, pdev, id);
}

/**
 * pci_bus_remove_virtfn - a VF goes away (pci_disable_sriov()): its
 * driver's remove runs, then its managed resources go and dma-debug
 * reports what it still has mapped, as when the kernel removes the device
 * @pdev: the VF, still present
 */
void pci_bus_remove_virtfn(struct pci_dev *pdev)
{
	if (pdev->dev.driver)
		device_unbind(to_pci_driver(pdev->dev.driver), pdev);
	else
		sim_device_unbind(&pdev->dev);
}

/**
 * pci_unregister_driver - unbind @drv from every function and forget it
 * @drv: a registered driver (anything else: nothing)
 *
 * remove runs for each function @drv bound, on this thread; then
 * dma-debug reports what it left mapped.
 */
void pci_unregister_driver(struct pci_driver *drv)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_pci_drivers *d = drivers_of(m);
	struct pci_driver_reg **pp, *reg = NULL;

	if (!d || !drv)
		return;
	pthread_mutex_lock(&d->lock);
	for (pp = &d->regs; *pp; pp = &(*pp)->next)
		if ((*pp)->drv == drv) {
			reg = *pp;
			*pp = reg->next;
			break;
		}
	pthread_mutex_unlock(&d->lock);
	if (!reg)
		return;
	for (unsigned int i = 0; i < m->nr_devices; i++) {
		struct pci_dev *pdev = to_pci_dev(m->devices[i]);

		if (pdev && pdev->dev.driver == &drv->driver)
			device_unbind(drv, pdev);
	}
	sim_kfree(m, reg);
}

int pci_drivers_init_machine(struct sim_machine *m)
{
	struct sim_pci_drivers *d = sim_kzalloc(m, sizeof(*d));

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	m->kernel->pci_drivers = d;
	return 0;
}

/*
 * At shutdown, first of all: drivers still registered are unbound (their
 * remove runs), newest first, as a module's exit would have.
 */
void pci_drivers_unbind_machine(struct sim_machine *m)
{
	struct sim_pci_drivers *d = drivers_of(m);
	struct sim_machine *prev;

	if (!d)
		return;
	prev = sim_set_current_machine(m);
	while (d->regs)
		pci_unregister_driver(d->regs->drv);
	sim_set_current_machine(prev);
}

void pci_drivers_exit_machine(struct sim_machine *m)
{
	struct sim_pci_drivers *d = drivers_of(m);

	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	sim_kfree(m, d);
	m->kernel->pci_drivers = NULL;
}
