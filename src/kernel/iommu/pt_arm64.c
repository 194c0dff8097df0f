// SPDX-License-Identifier: MIT
/*
 * The arm64 LPAE stage-1 page-table format (io-pgtable-arm's ARM_64_LPAE_S1)
 * with a 4K, 16K or 64K granule and a 48-bit input address:
 *
 *   4K:  4 levels of 9 bits; leaves 4K (level 0), 2M (1) and 1G (2)
 *   16K: 11, 11, 11 bits and a 1-bit root (2 entries); leaves 16K and 32M
 *   64K: 13, 13 bits and a 6-bit root; leaves 64K and 512M
 *
 * Descriptor bits used:
 *
 *   bit 0        valid
 *   bit 1        1: table (levels > 0) or page (level 0); 0: block
 *   bits 4:2     AttrIndx: 0 normal cacheable, 1 device, 2 normal NC
 *   bit 6        AP[1]: accessible unprivileged (clear for IOMMU_PRIV)
 *   bit 7        AP[2]: read-only
 *   bits 9:8     SH: inner shareable for cacheable, outer otherwise
 *   bit 10       AF: access flag, always set (no access-flag faults)
 *   bits 47:g    output address, g = the granule shift
 *   bits 54:53   UXN, PXN (IOMMU_NOEXEC)
 *   bit 55       software: no read access, so that a write-only mapping
 *                (which AP cannot express) round-trips; the IOMMU model
 *                enforces it
 */
#include "pt-priv.h"

#define ARM_PTE_VALID		(1ULL << 0)
#define ARM_PTE_TYPE_TABLE	(1ULL << 1)	/* also "page" at level 0 */
#define ARM_PTE_ATTRINDX_SHIFT	2
#define ARM_PTE_ATTRINDX_MASK	(7ULL << ARM_PTE_ATTRINDX_SHIFT)
#define ARM_PTE_AP_UNPRIV	(1ULL << 6)
#define ARM_PTE_AP_RDONLY	(1ULL << 7)
#define ARM_PTE_SH_OS		(2ULL << 8)
#define ARM_PTE_SH_IS		(3ULL << 8)
#define ARM_PTE_AF		(1ULL << 10)
#define ARM_PTE_PXN		(1ULL << 53)
#define ARM_PTE_UXN		(1ULL << 54)
#define ARM_PTE_XN		(ARM_PTE_PXN | ARM_PTE_UXN)
#define ARM_PTE_SW_NOREAD	(1ULL << 55)

#define ARM_ATTR_IDX_CACHE	0ULL
#define ARM_ATTR_IDX_DEV	1ULL
#define ARM_ATTR_IDX_NC		2ULL

#define ARM_OA_BITS		48
#define ARM_PTE_ADDR(gshift) \
	(((1ULL << ARM_OA_BITS) - 1) & ~((1ULL << (gshift)) - 1))

static inline u64 arm_mk_table(phys_addr_t table, unsigned int gshift)
{
	return (table & ARM_PTE_ADDR(gshift)) | ARM_PTE_TYPE_TABLE |
	       ARM_PTE_VALID;
}

static inline u64 arm_mk_leaf(phys_addr_t pa, int prot, unsigned int level,
			      unsigned int gshift)
{
	u64 pte = (pa & ARM_PTE_ADDR(gshift)) | ARM_PTE_VALID | ARM_PTE_AF;

	if (!level)
		pte |= ARM_PTE_TYPE_TABLE;	/* page descriptor */
	if (!(prot & IOMMU_PRIV))
		pte |= ARM_PTE_AP_UNPRIV;
	if (!(prot & IOMMU_WRITE))
		pte |= ARM_PTE_AP_RDONLY;
	if (!(prot & IOMMU_READ))
		pte |= ARM_PTE_SW_NOREAD;
	if (prot & IOMMU_MMIO)
		pte |= ARM_ATTR_IDX_DEV << ARM_PTE_ATTRINDX_SHIFT;
	else if (prot & IOMMU_CACHE)
		pte |= ARM_ATTR_IDX_CACHE << ARM_PTE_ATTRINDX_SHIFT;
	else
		pte |= ARM_ATTR_IDX_NC << ARM_PTE_ATTRINDX_SHIFT;
	if ((prot & IOMMU_CACHE) && !(prot & IOMMU_MMIO))
		pte |= ARM_PTE_SH_IS;
	else
		pte |= ARM_PTE_SH_OS;
	if (prot & IOMMU_NOEXEC)
		pte |= ARM_PTE_XN;
	return pte;
}

static inline bool arm_present_i(u64 pte)
{
	return pte & ARM_PTE_VALID;
}

static inline bool arm_is_table_i(u64 pte, unsigned int level)
{
	return level && (pte & (ARM_PTE_VALID | ARM_PTE_TYPE_TABLE)) ==
			(ARM_PTE_VALID | ARM_PTE_TYPE_TABLE);
}

static inline int arm_pte_prot_i(u64 pte)
{
	int prot = 0;

	if (!(pte & ARM_PTE_SW_NOREAD))
		prot |= IOMMU_READ;
	if (!(pte & ARM_PTE_AP_RDONLY))
		prot |= IOMMU_WRITE;
	switch ((pte & ARM_PTE_ATTRINDX_MASK) >> ARM_PTE_ATTRINDX_SHIFT) {
	case ARM_ATTR_IDX_CACHE:
		prot |= IOMMU_CACHE;
		break;
	case ARM_ATTR_IDX_DEV:
		prot |= IOMMU_MMIO;
		break;
	default:
		break;
	}
	if ((pte & ARM_PTE_XN) == ARM_PTE_XN)
		prot |= IOMMU_NOEXEC;
	if (!(pte & ARM_PTE_AP_UNPRIV))
		prot |= IOMMU_PRIV;
	return prot;
}

/* The algorithm, once per granule, with these operations inlined. */
#define PTG_PRESENT(pte)		arm_present_i(pte)
#define PTG_IS_TABLE(pte, l)		arm_is_table_i(pte, l)
#define PTG_PROT(pte)			arm_pte_prot_i(pte)

#define PTG_NAME(x)			arm64_4k_##x
#define PTG_GSHIFT			12
#define PTG_LEVELS			4
#define PTG_STRIDE			9
#define PTG_TOP_BITS			9
#define PTG_LEAF_LEVELS			0x7
#define PTG_MK_LEAF(pa, prot, l)	arm_mk_leaf(pa, prot, l, 12)
#define PTG_MK_TABLE(pa)		arm_mk_table(pa, 12)
#define PTG_ADDR(pte)			((pte) & ARM_PTE_ADDR(12))
#include "pt_generic.h"

#define PTG_PRESENT(pte)		arm_present_i(pte)
#define PTG_IS_TABLE(pte, l)		arm_is_table_i(pte, l)
#define PTG_PROT(pte)			arm_pte_prot_i(pte)
#define PTG_NAME(x)			arm64_16k_##x
#define PTG_GSHIFT			14
#define PTG_LEVELS			4
#define PTG_STRIDE			11
#define PTG_TOP_BITS			1
#define PTG_LEAF_LEVELS			0x3
#define PTG_MK_LEAF(pa, prot, l)	arm_mk_leaf(pa, prot, l, 14)
#define PTG_MK_TABLE(pa)		arm_mk_table(pa, 14)
#define PTG_ADDR(pte)			((pte) & ARM_PTE_ADDR(14))
#include "pt_generic.h"

#define PTG_PRESENT(pte)		arm_present_i(pte)
#define PTG_IS_TABLE(pte, l)		arm_is_table_i(pte, l)
#define PTG_PROT(pte)			arm_pte_prot_i(pte)
#define PTG_NAME(x)			arm64_64k_##x
#define PTG_GSHIFT			16
#define PTG_LEVELS			3
#define PTG_STRIDE			13
#define PTG_TOP_BITS			6
#define PTG_LEAF_LEVELS			0x3
#define PTG_MK_LEAF(pa, prot, l)	arm_mk_leaf(pa, prot, l, 16)
#define PTG_MK_TABLE(pa)		arm_mk_table(pa, 16)
#define PTG_ADDR(pte)			((pte) & ARM_PTE_ADDR(16))
#include "pt_generic.h"

/* The same operations for readers of the tables (struct pt_format). */
static bool arm_present(u64 pte)
{
	return arm_present_i(pte);
}

static bool arm_is_table(u64 pte, unsigned int level)
{
	return arm_is_table_i(pte, level);
}

static int arm_pte_prot(u64 pte)
{
	return arm_pte_prot_i(pte);
}

/* The output address field depends on the granule: one set each. */
#define ARM_GRANULE_OPS(g, gshift)					\
static u64 arm_mk_table_##g(phys_addr_t table)				\
{									\
	return arm_mk_table(table, gshift);				\
}									\
static u64 arm_mk_leaf_##g(phys_addr_t pa, int prot, unsigned int level) \
{									\
	return arm_mk_leaf(pa, prot, level, gshift);			\
}									\
static phys_addr_t arm_pte_addr_##g(u64 pte)				\
{									\
	return pte & ARM_PTE_ADDR(gshift);				\
}

ARM_GRANULE_OPS(4k, 12)
ARM_GRANULE_OPS(16k, 14)
ARM_GRANULE_OPS(64k, 16)

#define ARM_FORMAT(g, gshift, nlevels, leaves, ...)			\
	{								\
		.name = "arm64-lpae",					\
		.granule_shift = gshift,				\
		.levels = nlevels,					\
		.va_bits = 48,						\
		.oa_bits = ARM_OA_BITS,					\
		.bits_per_level = { __VA_ARGS__ },			\
		.leaf_levels = leaves,					\
		.mk_table = arm_mk_table_##g,				\
		.mk_leaf = arm_mk_leaf_##g,				\
		.present = arm_present,					\
		.is_table = arm_is_table,				\
		.pte_addr = arm_pte_addr_##g,				\
		.pte_prot = arm_pte_prot,				\
		.ops = &arm64_##g##_ops,				\
	}

static const struct pt_format arm64_formats[] = {
	ARM_FORMAT(4k, 12, 4, 0x7, 9, 9, 9, 9),
	ARM_FORMAT(16k, 14, 4, 0x3, 11, 11, 11, 1),
	ARM_FORMAT(64k, 16, 3, 0x3, 13, 13, 6),
};

/**
 * pt_arm64_lpae_format - the arm64 LPAE stage-1 format for @granule
 *
 * Returns a pointer to a static const format (owned by nobody, never
 * freed), or NULL when @granule is not 4K, 16K or 64K.
 */
const struct pt_format *pt_arm64_lpae_format(unsigned long granule)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(arm64_formats); i++)
		if (granule == 1UL << arm64_formats[i].granule_shift)
			return &arm64_formats[i];
	return NULL;
}
