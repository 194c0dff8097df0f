/* SPDX-License-Identifier: MIT */
/*
 * refcount_t alone (include/linux/refcount_types.h), for structures that
 * embed one; its operations are <linux/refcount.h>'s.
 */
#ifndef _DMASTACK_LINUX_REFCOUNT_TYPES_H
#define _DMASTACK_LINUX_REFCOUNT_TYPES_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_REFCOUNT_TYPES_H */
