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
#include "pt.h"

#define X86_PTE_READ	(1ULL << 0)
#define X86_PTE_WRITE	(1ULL << 1)
#define X86_PTE_PS	(1ULL << 7)
#define X86_PTE_SNP	(1ULL << 11)
#define X86_PTE_SW_MMIO	(1ULL << 52)
#define X86_PTE_ADDR	(((1ULL << 52) - 1) & ~((1ULL << 12) - 1))

static u64 x86_mk_table(phys_addr_t table)
{
	return (table & X86_PTE_ADDR) | X86_PTE_READ | X86_PTE_WRITE;
}

static u64 x86_mk_leaf(phys_addr_t pa, int prot, unsigned int level)
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

static bool x86_present(u64 pte)
{
	return pte & (X86_PTE_READ | X86_PTE_WRITE);
}

static bool x86_is_table(u64 pte, unsigned int level)
{
	return level && x86_present(pte) && !(pte & X86_PTE_PS);
}

static phys_addr_t x86_pte_addr(u64 pte)
{
	return pte & X86_PTE_ADDR;
}

static int x86_pte_prot(u64 pte)
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
