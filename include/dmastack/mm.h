/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/mm.h>: the kernel's <linux/mm.h> (dmastack/linux/mm.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_MM_H
#define _DMASTACK_MM_H

#include "linux/mm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Machine-scoped equivalents of the kernel's global translations. */
struct page *sim_phys_to_page(struct sim_machine *m, phys_addr_t phys);
struct page *sim_virt_to_page(struct sim_machine *m, const void *vaddr);
phys_addr_t sim_virt_to_phys(struct sim_machine *m, const void *vaddr);
bool sim_pfn_valid(struct sim_machine *m, unsigned long pfn);
/* The P2PDMA page of a P2P virtual address (pci_alloc_p2pmem()), or NULL. */
struct page *sim_p2pmem_virt_to_page(struct sim_machine *m, const void *vaddr);

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_MM_H */
