// SPDX-License-Identifier: MIT
/*
 * A kernel-style driver's small DMA buffers: kmalloc() and a kmem_cache,
 * mapped with dma_map_single() as drivers map their command blocks, and
 * vmalloc() memory, which the DMA API refuses.
 */
#include <linux/types.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include "kmod.h"

#define CMD_LEN	200
#define OBJ_LEN	96

int kslab_map(struct device *dev, struct kslab_bufs *b)
{
	struct kmem_cache *cache;
	dma_addr_t dma;
	int i;

	b->cmd = kzalloc(CMD_LEN, GFP_KERNEL);
	if (!b->cmd)
		return -ENOMEM;
	if (ksize(b->cmd) < CMD_LEN)
		return -EINVAL;
	((unsigned char *)b->cmd)[0] = 0xc1;
	dma = dma_map_single(dev, b->cmd, CMD_LEN, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, dma))
		return -EIO;
	b->cmd_dma = dma;

	cache = kmem_cache_create("kslab-obj", OBJ_LEN, 0, SLAB_HWCACHE_ALIGN,
				  NULL);
	if (!cache)
		return -ENOMEM;
	b->cache = cache;
	for (i = 0; i < 4; i++) {
		b->objs[i] = kmem_cache_zalloc(cache, GFP_KERNEL);
		if (!b->objs[i])
			return -ENOMEM;
		/* cache-line aligned: each object has lines of its own */
		if ((unsigned long)b->objs[i] % 64)
			return -EINVAL;
		dma = dma_map_single(dev, b->objs[i], OBJ_LEN, DMA_FROM_DEVICE);
		if (dma_mapping_error(dev, dma))
			return -EIO;
		b->objs_dma[i] = dma;
	}
	return 0;
}

int kslab_unmap(struct device *dev, struct kslab_bufs *b)
{
	int ret = 0;

	dma_unmap_single(dev, (dma_addr_t)b->cmd_dma, CMD_LEN,
			 DMA_BIDIRECTIONAL);
	/* the device wrote its status after the command byte */
	if (((unsigned char *)b->cmd)[1] != 0x5c)
		ret = -EIO;
	kfree(b->cmd);
	for (int i = 0; i < 4; i++) {
		dma_unmap_single(dev, (dma_addr_t)b->objs_dma[i], OBJ_LEN,
				 DMA_FROM_DEVICE);
		if (((unsigned char *)b->objs[i])[OBJ_LEN - 1] != 0x40 + i)
			ret = -EIO;
		kmem_cache_free(b->cache, b->objs[i]);
	}
	kmem_cache_destroy(b->cache);
	return ret;
}

int kslab_vmalloc_map(struct device *dev)
{
	void *v = vmalloc(3 * PAGE_SIZE);
	dma_addr_t dma;
	int ret;

	if (!v || !is_vmalloc_addr(v) || vmalloc_to_page(v))
		return -EINVAL;
	dma = dma_map_single(dev, v, PAGE_SIZE, DMA_TO_DEVICE);
	ret = dma_mapping_error(dev, dma);
	vfree(v);
	return ret;
}
