// SPDX-License-Identifier: MIT
/*
 * dma_pool (mm/dmapool.c): fixed-size blocks carved from coherent pages,
 * never crossing @boundary. Block bookkeeping is kept beside the pages, not
 * inside free blocks, so device-visible memory is only what the driver put
 * there. With dma-debug on, blocks are poisoned on alloc (0xa9) and free
 * (0xa7) and misuse is reported as the kernel does.
 */
#include <limits.h>
#include <string.h>
#include "dma.h"

#define POOL_POISON_FREED	0xa7
#define POOL_POISON_ALLOCATED	0xa9

struct dma_page {
	struct dma_page *next;
	u8 *vaddr;
	dma_addr_t dma;
	unsigned int in_use;
	u64 *used;		/* one bit per block */
};

struct dma_pool {
	char name[32];
	struct device *dev;
	size_t size;
	size_t allocation;
	size_t boundary;
	unsigned int nblocks;
	size_t *offsets;	/* block start offsets inside a page */
	struct dma_page *pages;
	pthread_mutex_t lock;
	/* the machine's live pools (kernel->pools, pools_lock) */
	struct dma_pool *live_prev, *live_next;
	bool managed;		/* dmam_pool_create(): devres destroys it */
};

static void pool_link(struct dma_pool *pool)
{
	struct sim_kernel *k = pool->dev->sim->kernel;

	sim_spin_lock(&k->pools_lock);
	pool->live_next = k->pools;
	if (k->pools)
		k->pools->live_prev = pool;
	k->pools = pool;
	sim_spin_unlock(&k->pools_lock);
}

static void pool_unlink(struct dma_pool *pool)
{
	struct sim_kernel *k = pool->dev->sim->kernel;

	sim_spin_lock(&k->pools_lock);
	if (pool->live_prev)
		pool->live_prev->live_next = pool->live_next;
	else
		k->pools = pool->live_next;
	if (pool->live_next)
		pool->live_next->live_prev = pool->live_prev;
	sim_spin_unlock(&k->pools_lock);
}

/**
 * dma_pool_create_node - a pool of @size-byte coherent blocks for @dev
 * @name: for reports (copied; the first 31 characters)
 * @dev: the device the blocks are for
 * @size: bytes per block (1 to INT_MAX)
 * @align: power of two (0 means 1)
 * @boundary: power of two no block may cross (0: the allocation size)
 * @node: the NUMA node for the pool's memory; ignored: a machine has one
 *	node, so any value (NUMA_NO_NODE included) means that one
 *
 * The caller owns the pool (dma_pool_destroy()). Returns NULL for a NULL
 * @name or @dev, a bad size/alignment/boundary or on allocation failure.
 * Takes no lock; the pool has its own for dma_pool_alloc()/free().
 */
struct dma_pool *dma_pool_create_node(const char *name, struct device *dev,
				      size_t size, size_t align,
				      size_t boundary, int node)
{
	struct sim_machine *m;
	struct dma_pool *pool;
	size_t allocation, off;
	unsigned int n = 0;

	(void)node;
	if (!dev || !name)
		return NULL;
	m = dev->sim;
	if (align == 0)
		align = 1;
	else if (align & (align - 1))
		return NULL;
	if (size == 0 || size > INT_MAX)
		return NULL;
	size = ALIGN(size, align);
	allocation = max(size, (size_t)PAGE_SIZE);
	if (!boundary)
		boundary = allocation;
	else if (boundary < size || (boundary & (boundary - 1)))
		return NULL;
	boundary = min(boundary, allocation);

	pool = sim_kzalloc(m, sizeof(*pool));
	if (!pool)
		return NULL;
	for (off = 0; off + size <= allocation;) {
		if (off / boundary != (off + size - 1) / boundary) {
			off = ALIGN(off + 1, boundary);
			continue;
		}
		n++;
		off += size;
	}
	pool->offsets = sim_kcalloc(m, n, sizeof(*pool->offsets));
	if (!pool->offsets) {
		sim_kfree(m, pool);
		return NULL;
	}
	n = 0;
	for (off = 0; off + size <= allocation;) {
		if (off / boundary != (off + size - 1) / boundary) {
			off = ALIGN(off + 1, boundary);
			continue;
		}
		pool->offsets[n++] = off;
		off += size;
	}
	snprintf(pool->name, sizeof(pool->name), "%s", name);
	pool->dev = dev;
	pool->size = size;
	pool->allocation = allocation;
	pool->boundary = boundary;
	pool->nblocks = n;
	pthread_mutex_init(&pool->lock, NULL);
	pool_link(pool);
	return pool;
}

/**
 * dma_pool_create - dma_pool_create_node() on NUMA_NO_NODE
 *
 * The kernel's inline wrapper, a function here (it always was one).
 */
struct dma_pool *dma_pool_create(const char *name, struct device *dev,
				 size_t size, size_t align, size_t boundary)
{
	return dma_pool_create_node(name, dev, size, align, boundary,
				    NUMA_NO_NODE);
}

static void pool_free_page(struct dma_pool *pool, struct dma_page *page)
{
	struct sim_machine *m = pool->dev->sim;

	dma_free_coherent(pool->dev, pool->allocation, page->vaddr, page->dma);
	sim_kfree(m, page->used);
	sim_kfree(m, page);
}

void dma_pool_destroy(struct dma_pool *pool)
{
	struct sim_machine *m;
	struct dma_page *page, *next;
	bool busy = false;

	if (!pool)
		return;
	m = pool->dev->sim;
	pool_unlink(pool);
	for (page = pool->pages; page; page = page->next)
		busy |= page->in_use != 0;
	if (busy)
		sim_report(m, SIM_REPORT_WARN, pool->dev, 0, 0,
			   "%s %s: dma_pool_destroy %s busy",
			   dev_driver_string(pool->dev), dev_name(pool->dev),
			   pool->name);
	/*
	 * As in the kernel, a busy pool keeps all its memory: the device may
	 * still use any block, and dma-debug will report it at unbind.
	 */
	for (page = pool->pages; page; page = next) {
		next = page->next;
		if (busy) {
			sim_kfree(m, page->used);
			sim_kfree(m, page);
		} else {
			pool_free_page(pool, page);
		}
	}
	pthread_mutex_destroy(&pool->lock);
	sim_kfree(m, pool->offsets);
	sim_kfree(m, pool);
}

static struct dma_page *pool_alloc_page(struct dma_pool *pool, gfp_t gfp)
{
	struct sim_machine *m = pool->dev->sim;
	struct dma_page *page = sim_kzalloc(m, sizeof(*page));

	if (!page)
		return NULL;
	page->used = sim_kcalloc(m, DIV_ROUND_UP(pool->nblocks, 64), sizeof(u64));
	if (!page->used)
		goto err_free_page;
	page->vaddr = dma_alloc_coherent(pool->dev, pool->allocation,
					 &page->dma, gfp & ~__GFP_ZERO);
	if (!page->vaddr)
		goto err_free_used;
	if (dma_debug_on(m))
		memset(page->vaddr, POOL_POISON_FREED, pool->allocation);
	return page;

err_free_used:
	sim_kfree(m, page->used);
err_free_page:
	sim_kfree(m, page);
	return NULL;
}

void *dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags,
		     dma_addr_t *handle)
{
	struct dma_page *page;
	unsigned int b = 0;
	void *ret;

	pthread_mutex_lock(&pool->lock);
	for (page = pool->pages; page; page = page->next)
		if (page->in_use < pool->nblocks)
			break;
	if (!page) {
		page = pool_alloc_page(pool, mem_flags);
		if (!page) {
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		}
		page->next = pool->pages;
		pool->pages = page;
	}
	while (page->used[b / 64] & (1ULL << (b % 64)))
		b++;
	page->used[b / 64] |= 1ULL << (b % 64);
	page->in_use++;
	ret = page->vaddr + pool->offsets[b];
	*handle = page->dma + pool->offsets[b];
	pthread_mutex_unlock(&pool->lock);

	if (mem_flags & __GFP_ZERO)
		memset(ret, 0, pool->size);
	else if (dma_debug_on(pool->dev->sim))
		memset(ret, POOL_POISON_ALLOCATED, pool->size);
	return ret;
}

void dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma)
{
	struct device *dev = pool->dev;
	struct dma_page *page;
	size_t off;
	unsigned int b;

	pthread_mutex_lock(&pool->lock);
	for (page = pool->pages; page; page = page->next)
		if ((u8 *)vaddr >= page->vaddr &&
		    (u8 *)vaddr < page->vaddr + pool->allocation)
			break;
	if (!page) {
		pthread_mutex_unlock(&pool->lock);
		sim_report(dev->sim, SIM_REPORT_WARN, dev, dma, 0,
			   "%s %s: dma_pool_free %s, %p/%#llx (bad dma)",
			   dev_driver_string(dev), dev_name(dev), pool->name,
			   vaddr, (unsigned long long)dma);
		return;
	}
	off = (size_t)((u8 *)vaddr - page->vaddr);
	for (b = 0; b < pool->nblocks && pool->offsets[b] != off; b++)
		;
	if (b == pool->nblocks || page->dma + off != dma) {
		pthread_mutex_unlock(&pool->lock);
		sim_report(dev->sim, SIM_REPORT_WARN, dev, dma, 0,
			   "%s %s: dma_pool_free %s, %p (bad vaddr)/%#llx",
			   dev_driver_string(dev), dev_name(dev), pool->name,
			   vaddr, (unsigned long long)dma);
		return;
	}
	if (!(page->used[b / 64] & (1ULL << (b % 64)))) {
		pthread_mutex_unlock(&pool->lock);
		sim_report(dev->sim, SIM_REPORT_WARN, dev, dma, 0,
			   "%s %s: dma_pool_free %s, dma %#llx already free",
			   dev_driver_string(dev), dev_name(dev), pool->name,
			   (unsigned long long)dma);
		return;
	}
	if (dma_debug_on(dev->sim))
		memset(vaddr, POOL_POISON_FREED, pool->size);
	page->used[b / 64] &= ~(1ULL << (b % 64));
	page->in_use--;
	pthread_mutex_unlock(&pool->lock);
}

/**
 * dma_pool_shutdown_machine - the pools a driver never destroyed
 * @m: the machine shutting down, its drivers removed
 *
 * Each pool dma_pool_create() made and no dma_pool_destroy() ended is a
 * leak of the driver's: reported (WARN) as the kernel's dma_pool_destroy()
 * reports a busy pool, naming a block still allocated (or that none is),
 * then freed with its memory (the devices are going: no block is in use
 * any more). Managed pools are left to the unbinds that follow. Takes
 * pools_lock, then each pool's lock.
 */
void dma_pool_shutdown_machine(struct sim_machine *m)
{
	struct sim_kernel *k = m->kernel;
	struct dma_pool *pool, *next;

	sim_spin_lock(&k->pools_lock);
	pool = k->pools;
	sim_spin_unlock(&k->pools_lock);
	for (; pool; pool = next) {
		struct device *dev = pool->dev;
		struct dma_page *page;
		void *busy = NULL;

		next = pool->live_next;
		if (pool->managed)
			continue;
		pthread_mutex_lock(&pool->lock);
		for (page = pool->pages; page && !busy; page = page->next)
			for (unsigned int b = 0; b < pool->nblocks; b++)
				if (page->used[b / 64] & (1ULL << (b % 64))) {
					busy = page->vaddr + pool->offsets[b];
					break;
				}
		/* the blocks go with the pool, as if each were freed */
		for (page = pool->pages; page; page = page->next) {
			memset(page->used, 0,
			       DIV_ROUND_UP(pool->nblocks, 64) * sizeof(u64));
			page->in_use = 0;
		}
		pthread_mutex_unlock(&pool->lock);
		if (busy)
			sim_report(m, SIM_REPORT_WARN, dev, 0, 0,
				   "%s %s: dma_pool_destroy %s, %p busy (never destroyed: freed at shutdown)",
				   dev_driver_string(dev), dev_name(dev),
				   pool->name, busy);
		else
			sim_report(m, SIM_REPORT_WARN, dev, 0, 0,
				   "%s %s: dma_pool %s never destroyed: freed at shutdown",
				   dev_driver_string(dev), dev_name(dev),
				   pool->name);
		dma_pool_destroy(pool);
	}
}

/* ------------------------------------------------------------------------ */
/* Managed (devres) pools                                                   */
/* ------------------------------------------------------------------------ */

static void dmam_pool_release(struct device *dev, void *res)
{
	(void)dev;
	dma_pool_destroy(*(struct dma_pool **)res);
}

static int dmam_pool_match(struct device *dev, void *res, void *match_data)
{
	(void)dev;
	return *(struct dma_pool **)res == match_data;
}

/**
 * dmam_pool_create - managed dma_pool_create()
 * @allocation: the boundary no block may cross (the kernel's name for it)
 *
 * The pool is the device's: the driver core destroys it when the driver is
 * unbound or the machine shuts down (blocks still allocated then make it
 * "busy", as for dma_pool_destroy()), unless the driver destroys it before
 * with dmam_pool_destroy(). Returns NULL as dma_pool_create() does. Takes
 * the machine's devres lock to add the resource.
 */
struct dma_pool *dmam_pool_create(const char *name, struct device *dev,
				  size_t size, size_t align, size_t allocation)
{
	struct dma_pool **ptr, *pool;

	if (!dev)
		return NULL;
	ptr = devres_alloc_machine(dev->sim, dmam_pool_release, sizeof(*ptr));
	if (!ptr)
		return NULL;
	pool = dma_pool_create(name, dev, size, align, allocation);
	if (!pool)
		goto err_free_devres;
	pool->managed = true;
	*ptr = pool;
	devres_add(dev, ptr);
	return pool;

err_free_devres:
	devres_free(ptr);
	return NULL;
}

/**
 * dmam_pool_destroy - destroy a managed pool before the unbind does
 * @pool: from dmam_pool_create() (NULL: nothing)
 *
 * A pool its device does not hold as a managed resource (one from
 * dma_pool_create()) is reported (WARN) and left alone, as the kernel
 * does. Takes the machine's devres lock, then the
 * pool's (in dma_pool_destroy()).
 */
void dmam_pool_destroy(struct dma_pool *pool)
{
	struct device *dev;

	if (!pool)
		return;
	dev = pool->dev;
	if (devres_release(dev, dmam_pool_release, dmam_pool_match, pool))
		SIM_WARN(dev->sim, dev,
			 "dmam_pool_destroy: %s %s: pool %s is not a managed pool of the device",
			 dev_driver_string(dev), dev_name(dev), pool->name);
}
