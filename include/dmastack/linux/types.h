/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style basic types used across the dmastack API.
 *
 * The names and widths are the kernel's so that driver code compiles
 * unchanged: phys_addr_t and dma_addr_t are 64-bit, gfp_t is a flag word.
 */
#ifndef _DMASTACK_LINUX_TYPES_H
#define _DMASTACK_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <sys/types.h>	/* ssize_t, pid_t, loff_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* The uAPI spellings (asm-generic/int-ll64.h: 64-bit is long long). */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
/* Byte-order annotated (sparse's __bitwise is nothing here). */
typedef __u16 __le16;
typedef __u16 __be16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u64 __le64;
typedef __u64 __be64;

typedef u64 sector_t;			/* a 512-byte block number */
typedef unsigned long pgoff_t;		/* a page index in a file */
#ifndef __USE_MISC
typedef __loff_t loff_t;		/* a file position (64-bit) */
#endif

typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef u64 resource_size_t;
typedef unsigned int gfp_t;

/* The atomic counters, as the kernel's types.h has them (<linux/atomic.h>). */
typedef struct {
	int counter;
} atomic_t;

typedef struct {
	s64 counter;
} atomic64_t;

/* Doubly linked lists (<linux/list.h>), as the kernel's types.h has them. */
struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PHYS_PFN(x)	((unsigned long)((x) >> PAGE_SHIFT))
#define PFN_PHYS(x)	((phys_addr_t)(x) << PAGE_SHIFT)
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)

/* The simulated CPUs have 64-byte cache lines (L1_CACHE_BYTES). */
#define L1_CACHE_SHIFT	6
#define L1_CACHE_BYTES	(1 << L1_CACHE_SHIFT)

#include "sizes.h"

/* <linux/numa.h>: "any node". dmastack's machines have one node. */
#define NUMA_NO_NODE	(-1)

/* Allocation flags. Only the zone modifiers change placement. */
#define __GFP_DMA	0x01u
#define __GFP_HIGHMEM	0x02u
#define __GFP_DMA32	0x04u
#define __GFP_NOWARN	0x200u
#define __GFP_COMP	0x4000u
#define __GFP_ZERO	0x8000u
#define GFP_ATOMIC	0x800u
#define GFP_NOWAIT	0x1000u
#define GFP_KERNEL	0x10000u
#define GFP_DMA		__GFP_DMA
#define GFP_DMA32	__GFP_DMA32

/* A range of physical address space (7.0's name; dma_buf_phys_vec before). */
struct phys_vec {
	phys_addr_t paddr;
	size_t len;
};

#ifdef __cplusplus
}
#endif

/*
 * Error pointers are <linux/err.h>'s; the headers of this API have always
 * brought them with their types, and still do.
 */
#include "err.h"

#endif /* _DMASTACK_LINUX_TYPES_H */
