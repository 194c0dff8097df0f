/* SPDX-License-Identifier: MIT */
/*
 * All of libdmastack's private headers at once, for the kernel side and the
 * drivers. The hardware includes hw/machine.h alone, so that a kernel
 * declaration used there does not compile. Nothing here is installed; the
 * public view is include/dmastack/.
 */
#ifndef _DMASTACK_INTERNAL_H
#define _DMASTACK_INTERNAL_H

#include "lib/lib.h"
#include "hw/machine.h"
#include "kernel/kernel.h"

#endif /* _DMASTACK_INTERNAL_H */
