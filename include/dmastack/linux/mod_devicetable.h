/* SPDX-License-Identifier: MIT */
/*
 * Device id tables drivers match with (include/linux/mod_devicetable.h):
 * the devicetree and platform ones. PCI's struct pci_device_id is in
 * <linux/pci.h>.
 */
#ifndef _DMASTACK_LINUX_MOD_DEVICETABLE_H
#define _DMASTACK_LINUX_MOD_DEVICETABLE_H

#include "types.h"

typedef unsigned long kernel_ulong_t;

#define PLATFORM_NAME_SIZE	20

struct platform_device_id {
	char name[PLATFORM_NAME_SIZE];
	kernel_ulong_t driver_data;
};

struct of_device_id {
	char name[32];
	char type[32];
	char compatible[128];
	const void *data;
};

#endif /* _DMASTACK_LINUX_MOD_DEVICETABLE_H */
