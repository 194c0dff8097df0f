/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/vfio.h>: the kernel's <linux/vfio.h> (dmastack/linux/vfio.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_VFIO_H
#define _DMASTACK_VFIO_H

#include "linux/vfio.h"

#endif /* _DMASTACK_VFIO_H */
