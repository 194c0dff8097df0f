// SPDX-License-Identifier: MIT
/*
 * The x86_64 page-table format: Intel VT-d second-level translation (the
 * format drivers/iommu/intel and generic_pt's x86_64 use for DMA remapping).
 *
 * 4K granule, four levels of 9 index bits (48-bit input, 52-bit output).
 * Leaves at level 0 (4K PTE), level 1 (2M, PS set) and level 2 (1G, PS set).
 *
 *   bit 0      R     read permission (a present entry has R or W)
 *   bit 1      W     write permission
 *   bit 7      PS    page size: a leaf at level 1 or 2
 *   bit 11     SNP   snoop: the access is cache coherent (IOMMU_CACHE)
 *   bits 51:12       address of the next table or of the page
 *   bit 52     (sw)  IOMMU_MMIO: an ignored bit VT-d leaves to software,
 *                    recording that the target is MMIO (SNP is then clear)
 *
 * A table entry has R|W set and PS clear, as the Intel driver writes them.
 * IOMMU_MMIO wins over IOMMU_CACHE (the seed series: P2P MMIO must not be
 * mapped cacheable); IOMMU_NOEXEC and IOMMU_PRIV have no encoding in a
 * second-level entry and are dropped.
 */
#include "pt-priv.h"

#define X86_PTE_READ	(1ULL << 0)
#define X86_PTE_WRITE	(1ULL << 1)
#define X86_PTE_PS	(1ULL << 7)
#define X86_PTE_SNP	(1ULL << 11)
#define X86_PTE_SW_MMIO	(1ULL << 52)
#define X86_PTE_ADDR	(((1ULL << 52) - 1) & ~((1ULL << 12) - 1))

/* The entry operations, inlined into the algorithm. */
static inline u64 x86_mk_table_i(phys_addr_t table)
{
	return (table & X86_PTE_ADDR) | X86_PTE_READ | X86_PTE_WRITE;
}

static inline u64 x86_mk_leaf_i(phys_addr_t pa, int prot, unsigned int level)
{
	u64 pte = pa & X86_PTE_ADDR;

	if (prot & IOMMU_READ)
		pte |= X86_PTE_READ;
	if (prot & IOMMU_WRITE)
		pte |= X86_PTE_WRITE;
	if (level)
		pte |= X86_PTE_PS;
	if (prot & IOMMU_MMIO)
		pte |= X86_PTE_SW_MMIO;
	else if (prot & IOMMU_CACHE)
		pte |= X86_PTE_SNP;
	return pte;
}

static inline bool x86_present_i(u64 pte)
{
	return pte & (X86_PTE_READ | X86_PTE_WRITE);
}

static inline bool x86_is_table_i(u64 pte, unsigned int level)
{
	return level && x86_present_i(pte) && !(pte & X86_PTE_PS);
}

static inline int x86_pte_prot_i(u64 pte)
{
	int prot = 0;

	if (pte & X86_PTE_READ)
		prot |= IOMMU_READ;
	if (pte & X86_PTE_WRITE)
		prot |= IOMMU_WRITE;
	if (pte & X86_PTE_SNP)
		prot |= IOMMU_CACHE;
	if (pte & X86_PTE_SW_MMIO)
		prot |= IOMMU_MMIO;
	return prot;
}

#define PTG_NAME(x)			x86_64_##x
#define PTG_GSHIFT			12
#define PTG_LEVELS			4
#define PTG_STRIDE			9
#define PTG_TOP_BITS			9
#define PTG_LEAF_LEVELS			0x7
#define PTG_PRESENT(pte)		x86_present_i(pte)
#define PTG_IS_TABLE(pte, l)		x86_is_table_i(pte, l)
#define PTG_MK_LEAF(pa, prot, l)	x86_mk_leaf_i(pa, prot, l)
#define PTG_MK_TABLE(pa)		x86_mk_table_i(pa)
#define PTG_ADDR(pte)			((pte) & X86_PTE_ADDR)
#define PTG_PROT(pte)			x86_pte_prot_i(pte)
#include "pt_generic.h"

/* The same operations for readers of the tables (struct pt_format). */
static u64 x86_mk_table(phys_addr_t table)
{
	return x86_mk_table_i(table);
}

static u64 x86_mk_leaf(phys_addr_t pa, int prot, unsigned int level)
{
	return x86_mk_leaf_i(pa, prot, level);
}

static bool x86_present(u64 pte)
{
	return x86_present_i(pte);
}

static bool x86_is_table(u64 pte, unsigned int level)
{
	return x86_is_table_i(pte, level);
}

static phys_addr_t x86_pte_addr(u64 pte)
{
	return pte & X86_PTE_ADDR;
}

static int x86_pte_prot(u64 pte)
{
	return x86_pte_prot_i(pte);
}

static const struct pt_format x86_64_format = {
	.name = "x86_64",
	.granule_shift = 12,
	.levels = 4,
	.va_bits = 48,
	.oa_bits = 52,
	.bits_per_level = { 9, 9, 9, 9 },
	.leaf_levels = (1U << 0) | (1U << 1) | (1U << 2),
	.mk_table = x86_mk_table,
	.mk_leaf = x86_mk_leaf,
	.present = x86_present,
	.is_table = x86_is_table,
	.pte_addr = x86_pte_addr,
	.pte_prot = x86_pte_prot,
	.ops = &x86_64_ops,
};

/**
 * pt_x86_64_format - the x86_64 format for @granule
 *
 * Returns a pointer to a static const format (owned by nobody, never
 * freed), or NULL when @granule is not 4K.
 */
const struct pt_format *pt_x86_64_format(unsigned long granule)
{
	return granule == SZ_4K ? &x86_64_format : NULL;
}
