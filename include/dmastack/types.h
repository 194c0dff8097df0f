/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/types.h>: the kernel's <linux/types.h> (dmastack/linux/types.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_TYPES_H
#define _DMASTACK_TYPES_H

#include "linux/types.h"

#endif /* _DMASTACK_TYPES_H */
