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

#endif /* KMOD_H */
