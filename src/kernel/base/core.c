// SPDX-License-Identifier: MIT
/*
 * The driver core's device lifetime (drivers/base/core.c) for devices
 * drivers make themselves: device_initialize() takes the first reference,
 * device_add() names it (its init_name or dev_set_name()) on the current
 * machine, the last put_device() calls its release. Devices of the
 * machine's PCI functions are the machine's: they are never released.
 *
 * The name dev_set_name() makes is the library's (freed at release); one
 * given as init_name is the caller's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* A device the machine made (a PCI function), not a driver. */
static bool machine_device(struct device *dev)
{
	return dev->sim_state != NULL;
}

void device_initialize(struct device *dev)
{
	if (!dev)
		return;
	__atomic_store_n(&dev->kobj.refcount, 1U, __ATOMIC_RELAXED);
	dev->kobj.added = false;
	if (!dev->sim)
		dev->sim = dev->parent && dev->parent->sim ? dev->parent->sim :
							    sim_current_machine();
}

int dev_set_name(struct device *dev, const char *fmt, ...)
{
	char buf[64], *name;
	va_list ap;

	if (!dev || !fmt || machine_device(dev))
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	name = strdup(buf);
	if (!name)
		return -ENOMEM;
	if (dev->name && dev->name != dev->init_name)
		free((char *)dev->name);
	dev->name = name;
	return 0;
}

/**
 * device_add - make an initialised device known
 * @dev: from device_initialize(), named by init_name or dev_set_name()
 *
 * Return: 0; -EINVAL (no name, or not initialised), -EEXIST (added
 * already), -ENOMEM.
 */
int device_add(struct device *dev)
{
	if (!dev || machine_device(dev) ||
	    !__atomic_load_n(&dev->kobj.refcount, __ATOMIC_RELAXED))
		return -EINVAL;
	if (dev->kobj.added)
		return -EEXIST;
	if (dev->init_name && !dev->name)
		dev->name = dev->init_name;
	if (!dev->name)
		return -EINVAL;
	dev->kobj.added = true;
	return 0;
}

int device_register(struct device *dev)
{
	device_initialize(dev);
	return device_add(dev);
}

void device_del(struct device *dev)
{
	if (dev && !machine_device(dev))
		dev->kobj.added = false;
}

struct device *get_device(struct device *dev)
{
	if (dev && !machine_device(dev))
		__atomic_fetch_add(&dev->kobj.refcount, 1U, __ATOMIC_RELAXED);
	return dev;
}

/**
 * put_device - drop a reference; the last one releases @dev
 * @dev: a device (NULL, and the machine's own, do nothing)
 *
 * A device without a release function is the driver's bug: reported as
 * the kernel reports it, and nothing is freed. One put too many is a WARN.
 */
void put_device(struct device *dev)
{
	struct sim_machine *m;
	unsigned int old;

	if (!dev || machine_device(dev))
		return;
	m = dev->sim ? dev->sim : sim_current_machine();
	old = __atomic_fetch_sub(&dev->kobj.refcount, 1U, __ATOMIC_ACQ_REL);
	if (!old) {
		__atomic_store_n(&dev->kobj.refcount, 0U, __ATOMIC_RELAXED);
		if (m)
			SIM_WARN(m, NULL, "put_device(%s): no reference left (one put too many)",
				 dev->name ? dev->name : "(unnamed)");
		return;
	}
	if (old != 1)
		return;
	if (dev->kobj.added && m)
		SIM_WARN(m, NULL, "put_device(%s): the last reference of a device still added (device_del() first)",
			 dev->name ? dev->name : "(unnamed)");
	if (dev->name && dev->name != dev->init_name) {
		free((char *)dev->name);
		dev->name = NULL;
	}
	if (dev->release) {
		dev->release(dev);
	} else if (m) {
		SIM_WARN(m, NULL, "Device '%s' does not have a release() function, it is broken and must be fixed.",
			 dev->init_name ? dev->init_name : "(unnamed)");
	}
}

void device_unregister(struct device *dev)
{
	device_del(dev);
	put_device(dev);
}
