/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/scatterlist.h>: the kernel's <linux/scatterlist.h> (dmastack/linux/scatterlist.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_SCATTERLIST_H
#define _DMASTACK_SCATTERLIST_H

#include "linux/scatterlist.h"

#endif /* _DMASTACK_SCATTERLIST_H */
