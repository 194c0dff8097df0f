/* SPDX-License-Identifier: MIT */
/* The clocks kernel code reads: the machine's clock (<linux/ktime.h>). */
#ifndef _DMASTACK_LINUX_TIMEKEEPING_H
#define _DMASTACK_LINUX_TIMEKEEPING_H

#include "ktime.h"

#endif /* _DMASTACK_LINUX_TIMEKEEPING_H */
