/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/io-pgtable.h>: the kernel's <linux/io-pgtable.h> (dmastack/linux/io-pgtable.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_IO_PGTABLE_H
#define _DMASTACK_IO_PGTABLE_H

#include "linux/io-pgtable.h"

#endif /* _DMASTACK_IO_PGTABLE_H */
