/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/iova.h>: the kernel's <linux/iova.h> (dmastack/linux/iova.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_IOVA_H
#define _DMASTACK_IOVA_H

#include "linux/iova.h"

#endif /* _DMASTACK_IOVA_H */
