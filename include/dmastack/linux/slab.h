/* SPDX-License-Identifier: MIT */
/*
 * kmalloc() and kmem_cache_*() with the kernel's signatures: objects in the
 * current machine's RAM (<linux/gfp.h> says which machine that is), so they
 * can be DMA mapped. Misuse (double free, a pointer inside an object,
 * destroying a cache with objects) is a BUG report.
 */
#ifndef _DMASTACK_LINUX_SLAB_H
#define _DMASTACK_LINUX_SLAB_H

#include "types.h"
#include "gfp.h"
#include "cleanup.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int slab_flags_t;

#define SLAB_HWCACHE_ALIGN	0x00002000U	/* align objects to cache lines */
#define SLAB_CACHE_DMA		0x00004000U	/* pages from ZONE_DMA */
#define SLAB_CACHE_DMA32	0x00008000U	/* pages from ZONE_DMA32 */
#define SLAB_PANIC		0x00040000U	/* accepted */
#define SLAB_ACCOUNT		0x04000000U	/* accepted */

/* kmalloc(0): a pointer that is not NULL and may not be used. */
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

#define KMALLOC_MAX_CACHE_SIZE	8192UL

struct kmem_cache;

void *kmalloc(size_t size, gfp_t gfp);
void *kmalloc_array(size_t n, size_t size, gfp_t gfp);
void *kcalloc(size_t n, size_t size, gfp_t gfp);
void *krealloc(const void *p, size_t new_size, gfp_t gfp);
void kfree(const void *p);
void kfree_sensitive(const void *p);
size_t ksize(const void *p);

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

/* The NUMA variants: one node here. */
static inline void *kmalloc_node(size_t size, gfp_t gfp, int node)
{
	(void)node;
	return kmalloc(size, gfp);
}

static inline void *kzalloc_node(size_t size, gfp_t gfp, int node)
{
	(void)node;
	return kzalloc(size, gfp);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *s, void *obj);

/* kmalloc() when it fits, vmalloc() when it is large; kvfree() either. */
void *kvmalloc(size_t size, gfp_t gfp);
void *kvzalloc(size_t size, gfp_t gfp);
void *kvcalloc(size_t n, size_t size, gfp_t gfp);
void kvfree(const void *p);

/* void *p __free(kfree) = kmalloc(...) (<linux/cleanup.h>). */
DEFINE_FREE(kfree, void *, if (_T) kfree(_T))

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_SLAB_H */
