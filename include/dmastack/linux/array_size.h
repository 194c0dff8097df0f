/* SPDX-License-Identifier: MIT */
/* ARRAY_SIZE(): elements of an array; a pointer is a compile error. */
#ifndef _DMASTACK_LINUX_ARRAY_SIZE_H
#define _DMASTACK_LINUX_ARRAY_SIZE_H

#include "build_bug.h"

#define ARRAY_SIZE(arr)	(sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))

#endif /* _DMASTACK_LINUX_ARRAY_SIZE_H */
