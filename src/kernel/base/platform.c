// SPDX-License-Identifier: MIT
/*
 * The platform bus (drivers/base/platform.c) as far as a machine of PCI
 * hierarchies has one: drivers register and unregister; there are no
 * platform devices to bind them to.
 */
#include <dmastack/linux/platform_device.h>
#include "internal.h"

int platform_driver_register(struct platform_driver *drv)
{
	if (!drv || !drv->probe || !drv->driver.name)
		return -EINVAL;
	return 0;
}

void platform_driver_unregister(struct platform_driver *drv)
{
	(void)drv;
}
