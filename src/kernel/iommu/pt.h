/* SPDX-License-Identifier: MIT */
/*
 * IOMMU page tables: one walk/map/unmap algorithm (pt_generic.h),
 * instantiated per format with the format's entry operations inlined
 * (pt_x86_64.c, pt_arm64.c), as drivers/iommu/generic_pt does. Table pages are real pages of the machine's RAM, allocated from its
 * page allocator, and hold the format's PTEs in the format's encoding; the
 * IOMMU hardware model walks them in memory.
 */
#ifndef _DMASTACK_IOMMU_PT_H
#define _DMASTACK_IOMMU_PT_H

#include "internal.h"
#include <dmastack/io-pgtable.h>

/* include/linux/iommu.h protection bits */
#ifndef IOMMU_READ
#define IOMMU_READ	(1 << 0)
#define IOMMU_WRITE	(1 << 1)
#define IOMMU_CACHE	(1 << 2)
#define IOMMU_NOEXEC	(1 << 3)
#define IOMMU_MMIO	(1 << 4)
#define IOMMU_PRIV	(1 << 5)
#endif

#define PT_MAX_LEVELS	6

struct pt_ops;

/*
 * A format: how many levels, how many index bits each, which levels may hold
 * leaves, and how a PTE is encoded. Level 0 is the leaf level (granule
 * pages); level levels-1 is the root. @ops is the algorithm generated for
 * the format (pt-priv.h); the entry functions below describe the encoding
 * to whoever reads tables from outside (tests, tools): the algorithm has
 * its own inlined copies and never calls them.
 */
struct pt_format {
	const char *name;
	unsigned int granule_shift;		/* 12, 14, 16 */
	unsigned int levels;
	unsigned int va_bits;			/* input address bits */
	unsigned int oa_bits;			/* output address bits */
	unsigned int bits_per_level[PT_MAX_LEVELS];	/* index bits, [0] = leaf */
	unsigned int leaf_levels;		/* bitmask: level n may be a leaf */

	u64 (*mk_table)(phys_addr_t table);
	u64 (*mk_leaf)(phys_addr_t pa, int prot, unsigned int level);
	bool (*present)(u64 pte);
	bool (*is_table)(u64 pte, unsigned int level);
	phys_addr_t (*pte_addr)(u64 pte);	/* table or leaf output address */
	int (*pte_prot)(u64 pte);		/* IOMMU_* of a leaf */
	const struct pt_ops *ops;
};

/* Formats: "x86_64" (4K), "arm64-lpae" with a 4K, 16K or 64K granule. */
const struct pt_format *pt_format_get(const char *name, unsigned long granule);
/* The per-format lookups behind pt_format_get() (pt_x86_64.c, pt_arm64.c). */
const struct pt_format *pt_x86_64_format(unsigned long granule);
const struct pt_format *pt_arm64_lpae_format(unsigned long granule);

/* The public page-table calls: include/dmastack/io-pgtable.h. */
const struct pt_format *io_pgtable_format(struct io_pgtable *pt);
/* Physical address of the root table (what the IOMMU's context points at). */
phys_addr_t io_pgtable_root(struct io_pgtable *pt);
/* Bitmap of leaf sizes the format supports (kernel pgsize_bitmap). */
unsigned long io_pgtable_pgsize_bitmap(struct io_pgtable *pt);

/* Unmap and report the first granule's output address (one walk). */
size_t io_pgtable_unmap_phys(struct io_pgtable *pt, u64 iova, size_t size,
			     phys_addr_t *first_phys);

/* Deferred freeing of emptied tables (see pt.c); reclaim frees them. */
int io_pgtable_set_defer_free(struct io_pgtable *pt, bool defer);
unsigned long io_pgtable_reclaim(struct io_pgtable *pt);

#endif /* _DMASTACK_IOMMU_PT_H */
