/* SPDX-License-Identifier: MIT */
/*
 * What the kernel-style sources of tests/kernel/ offer their test harness
 * (tests/test_kernel_src.c): entry points with kernel types only, as a
 * module's exported functions.
 */
#ifndef KMOD_H
#define KMOD_H

struct device;

/* The page allocator's calls and translations; 0 or the failed step. */
int kpages_selftest(void);

/* A page with @pattern at offset 0..len-1, mapped for @dev both ways. */
struct kpages_buf {
	void *cpu;
	unsigned long long dma;		/* dma_addr_t */
	unsigned int len;
};
int kpages_map(struct device *dev, struct kpages_buf *b, unsigned char seed);
/* Unmap; 0 if the CPU now sees what the device wrote (@seed's pattern). */
int kpages_unmap(struct device *dev, struct kpages_buf *b, unsigned char seed);

/*
 * A driver's usual buffers: a kmalloc()ed command block, objects of a
 * kmem_cache, mapped for @dev; the harness plays the device between map
 * and unmap. kslab_vmalloc_map() tries to map vmalloc() memory and
 * returns what dma_map_single() said (the kernel refuses it).
 */
struct kslab_bufs {
	void *cmd;			/* kmalloc(200) */
	unsigned long long cmd_dma;
	void *objs[4];			/* kmem_cache "kslab-obj", 96 bytes */
	unsigned long long objs_dma[4];
	void *cache;			/* struct kmem_cache */
};
int kslab_map(struct device *dev, struct kslab_bufs *b);
int kslab_unmap(struct device *dev, struct kslab_bufs *b);
int kslab_vmalloc_map(struct device *dev);

#endif /* KMOD_H */
