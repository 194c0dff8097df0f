/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/device.h>: the kernel's <linux/device.h> (dmastack/linux/device.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_DEVICE_H
#define _DMASTACK_DEVICE_H

#include "linux/device.h"

#endif /* _DMASTACK_DEVICE_H */
