/* SPDX-License-Identifier: MIT */
/*
 * IOMMU page tables on their own (as include/linux/io-pgtable.h gives
 * them to IOMMU drivers): tables in the machine's RAM, in a format's own
 * PTE encoding ("x86_64", "arm64-lpae"), mapped with the largest leaves
 * the alignment allows. For IOMMU drivers and benchmarks.
 */
#ifndef _DMASTACK_LINUX_IO_PGTABLE_H
#define _DMASTACK_LINUX_IO_PGTABLE_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct io_pgtable;

/**
 * io_pgtable_alloc() - an empty page table (just a root table page)
 * @m: machine whose RAM holds the tables
 * @format: "x86_64" or "arm64-lpae"
 * @granule: the smallest page, 4K (both), 16K or 64K (arm64-lpae)
 *
 * Return: the table, or NULL for an unknown format or granule, or when
 * the root table cannot be allocated.
 */
struct io_pgtable *io_pgtable_alloc(struct sim_machine *m, const char *format,
				    unsigned long granule);

/**
 * io_pgtable_free() - free every table page and the object
 * @pt: table (whatever is still mapped goes with it)
 */
void io_pgtable_free(struct io_pgtable *pt);

/**
 * io_pgtable_table_pages() - table pages allocated now
 * @pt: table
 *
 * Return: the number of table pages, a granule each.
 */
unsigned long io_pgtable_table_pages(struct io_pgtable *pt);

/**
 * io_pgtable_table_bytes() - bytes of table pages allocated now
 * @pt: table
 *
 * Return: io_pgtable_table_pages() times the granule.
 */
u64 io_pgtable_table_bytes(struct io_pgtable *pt);

/**
 * io_pgtable_map() - map [@iova, @iova + @size) to @paddr with @prot
 * @pt: table
 * @iova: input address, a multiple of the granule
 * @paddr: output address, a multiple of the granule
 * @size: bytes, a multiple of the granule, within the format's input range
 * @prot: IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE, IOMMU_MMIO, ...
 *
 * Uses the largest leaf that the alignment of @iova and @paddr and the
 * remaining size allow. Safe from any thread: a table made by
 * io_pgtable_alloc() serialises its operations on its own lock (the IOMMU
 * layer's domain tables take maps and unmaps of disjoint ranges at once).
 *
 * Return: 0, or -EINVAL (alignment, range, or @prot without READ|WRITE),
 * -EEXIST (some part already mapped), -ENOMEM (a table page could not be
 * allocated); on error nothing of this call stays mapped.
 */
int io_pgtable_map(struct io_pgtable *pt, u64 iova, phys_addr_t paddr,
		   size_t size, int prot);

/**
 * io_pgtable_unmap() - unmap [@iova, @iova + @size)
 * @pt: table
 * @iova: input address, a multiple of the granule
 * @size: bytes, a multiple of the granule
 *
 * A larger leaf only partly inside the range is split first. Table pages
 * that become empty are freed.
 *
 * Return: the bytes unmapped (holes inside the range count as nothing).
 */
size_t io_pgtable_unmap(struct io_pgtable *pt, u64 iova, size_t size);

/**
 * io_pgtable_lookup() - walk the table for @iova
 * @pt: table
 * @iova: input address
 * @phys: the output address
 * @prot: the IOMMU_* bits of the leaf
 * @leaf_size: the leaf's size (NULL: not wanted)
 *
 * Return: 0, or -ENOENT when nothing is mapped at @iova.
 */
int io_pgtable_lookup(struct io_pgtable *pt, u64 iova, phys_addr_t *phys,
		      int *prot, size_t *leaf_size);

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_LINUX_IO_PGTABLE_H */
