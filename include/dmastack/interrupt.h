/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/interrupt.h>: the kernel's <linux/interrupt.h> (dmastack/linux/interrupt.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_INTERRUPT_H
#define _DMASTACK_INTERRUPT_H

#include "linux/interrupt.h"

#endif /* _DMASTACK_INTERRUPT_H */
