/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/io-pgtable.h>: the kernel's <linux/io-pgtable.h> (dmastack/linux/io-pgtable.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_IO_PGTABLE_H
#define _DMASTACK_IO_PGTABLE_H

#include "linux/io-pgtable.h"

#ifdef __cplusplus
extern "C" {
#endif

struct page;

/**
 * sim_io_pgtable_store_leaves() - the PTE-write floor of a format
 * @pt: a page table (only its format is used)
 * @table: a table page of the machine's RAM, a granule (not one of @pt's)
 * @n: entries to store from the first, at most a table's
 * @paddr: output address of the first entry, granule-aligned
 * @prot: IOMMU_* bits
 *
 * Stores @n granule leaves in @pt's format's encoding, as a map does, and
 * nothing else: the floor benchmarks compare map and unmap with.
 *
 * Return: 0, or -EINVAL for a bad @table, @n or @paddr.
 */
int sim_io_pgtable_store_leaves(struct io_pgtable *pt, struct page *table,
				unsigned int n, phys_addr_t paddr, int prot);

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_IO_PGTABLE_H */
