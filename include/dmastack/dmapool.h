/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/dmapool.h>: the kernel's <linux/dmapool.h> (dmastack/linux/dmapool.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_DMAPOOL_H
#define _DMASTACK_DMAPOOL_H

#include "linux/dmapool.h"

#endif /* _DMASTACK_DMAPOOL_H */
