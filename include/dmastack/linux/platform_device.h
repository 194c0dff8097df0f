/* SPDX-License-Identifier: MIT */
/*
 * The platform bus (include/linux/platform_device.h), for drivers that
 * have a platform-device side besides their PCI one.
 *
 * dmastack's machines describe PCI hierarchies: they have no platform
 * devices, so a platform driver registers (and unregisters) and is bound
 * to nothing; its probe never runs. Drivers with both a PCI and a platform
 * driver (the DMA map benchmark) work through their PCI side.
 */
#ifndef _DMASTACK_LINUX_PLATFORM_DEVICE_H
#define _DMASTACK_LINUX_PLATFORM_DEVICE_H

#include "types.h"
#include "device.h"
#include "mod_devicetable.h"
#include "module.h"

#ifdef __cplusplus
extern "C" {
#endif

struct resource;

struct platform_device {
	const char *name;
	int id;
	struct device dev;
	u32 num_resources;
	struct resource *resource;
	const struct platform_device_id *id_entry;
};

#define to_platform_device(x)						\
	((struct platform_device *)((char *)(x) -			\
				    offsetof(struct platform_device, dev)))

struct platform_driver {
	int (*probe)(struct platform_device *);
	void (*remove)(struct platform_device *);
	void (*shutdown)(struct platform_device *);
	struct device_driver driver;
	const struct platform_device_id *id_table;
};

#define to_platform_driver(drv)						\
	((struct platform_driver *)((char *)(drv) -			\
				    offsetof(struct platform_driver, driver)))

/*
 * Register @drv: -EINVAL without a probe or a name; otherwise 0, with
 * nothing bound (the machine has no platform devices).
 */
int platform_driver_register(struct platform_driver *drv);
void platform_driver_unregister(struct platform_driver *drv);

#define module_platform_driver(__platform_driver)			\
	module_driver(__platform_driver, platform_driver_register,	\
		      platform_driver_unregister)
#define builtin_platform_driver(__platform_driver)			\
	module_platform_driver(__platform_driver)

static inline void *platform_get_drvdata(const struct platform_device *pdev)
{
	return dev_get_drvdata(&pdev->dev);
}

static inline void platform_set_drvdata(struct platform_device *pdev,
					void *data)
{
	dev_set_drvdata(&pdev->dev, data);
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_PLATFORM_DEVICE_H */
