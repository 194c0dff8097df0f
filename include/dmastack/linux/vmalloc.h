/* SPDX-License-Identifier: MIT */
/*
 * vmalloc(): virtually contiguous memory outside the linear map, on the
 * current machine. It is the host's memory, page aligned: the CPU uses it,
 * no device can (dma_map_single() refuses it, as the kernel does), and it
 * has no struct page here (vmalloc_to_page() is NULL).
 */
#ifndef _DMASTACK_LINUX_VMALLOC_H
#define _DMASTACK_LINUX_VMALLOC_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct page;

void *vmalloc(unsigned long size);
void *vzalloc(unsigned long size);
void vfree(const void *addr);
bool is_vmalloc_addr(const void *addr);
struct page *vmalloc_to_page(const void *addr);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_VMALLOC_H */
