// SPDX-License-Identifier: MIT
/*
 * The slab allocator on machine RAM: kmalloc() and kmem_cache_*() hand out
 * objects carved from pages of the page allocator, so what a driver
 * kmalloc()s can be DMA mapped as on Linux. vmalloc() memory is the
 * host's, outside the linear map, and is not DMA-able (mapping it is
 * refused as the kernel refuses it).
 *
 * A slab is one block of pages of one cache; which objects are in use is
 * kept beside it (a bitmap), not in the objects, so the memory a device
 * can reach holds only what the driver wrote there. The slab's head page
 * points at it (page->slab), which is how kfree() finds the cache. Each
 * cache has a mutex over its slabs. kmalloc() sizes above the largest
 * cache (8K) are whole pages of the page allocator (PG_large_kmalloc).
 *
 * Misuse is reported as SLUB reports it, as a BUG, and refused: freeing
 * an object twice, a pointer inside an object, memory that is not slab
 * memory, and destroying a cache that still has objects.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <dmastack/linux/bitops.h>
#include "internal.h"

#define KMALLOC_MIN		8
#define KMALLOC_MAX_CACHE	8192
#define CACHE_LINE		64

/* The kmalloc caches' object sizes, as the kernel's kmalloc-N. */
static const unsigned int kmalloc_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};
#define NR_KMALLOC	ARRAY_SIZE(kmalloc_sizes)

struct slab {
	struct kmem_cache *cache;
	struct page *page;
	u8 *base;			/* CPU address of the first object */
	unsigned int inuse;
	struct slab *next, *prev;	/* in the cache's partial or full list */
	unsigned long used[];		/* a bit per object */
};

struct kmem_cache {
	struct sim_machine *m;
	char name[32];
	unsigned int object_size;	/* what the user asked for */
	unsigned int size;		/* object stride */
	unsigned int order;		/* pages per slab: 1 << order */
	unsigned int objs;		/* objects per slab */
	gfp_t gfp;			/* zone of its pages */
	void (*ctor)(void *);
	pthread_mutex_t lock;		/* the slab lists, inuse, bitmaps */
	struct slab *partial, *full;
	unsigned long live;		/* objects allocated */
	struct kmem_cache *next;	/* the machine's caches */
};

struct vm_area {
	void *addr;
	size_t size;
	struct vm_area *next;
};

struct sim_slab {
	pthread_mutex_t lock;		/* the cache and vmalloc lists */
	struct kmem_cache *caches;
	struct kmem_cache *kmalloc[NR_KMALLOC];
	struct kmem_cache *kmalloc_dma[NR_KMALLOC];
	struct vm_area *vmalloc;
};

static struct sim_slab *slab_of(struct sim_machine *m)
{
	return m && m->kernel ? m->kernel->slab : NULL;
}

/* ------------------------------------------------------------------------ */
/* Caches                                                                   */
/* ------------------------------------------------------------------------ */

static struct kmem_cache *cache_new(struct sim_machine *m, const char *name,
				    unsigned int size, unsigned int align,
				    gfp_t gfp, void (*ctor)(void *))
{
	struct kmem_cache *s = sim_kzalloc(m, sizeof(*s));

	if (!s)
		return NULL;
	s->m = m;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->size = ALIGN(size ? size : 1, align);
	s->order = (unsigned int)get_order(s->size);
	s->objs = (unsigned int)((PAGE_SIZE << s->order) / s->size);
	s->gfp = gfp;
	s->ctor = ctor;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void slab_unlink(struct slab **head, struct slab *sl)
{
	if (sl->prev)
		sl->prev->next = sl->next;
	else
		*head = sl->next;
	if (sl->next)
		sl->next->prev = sl->prev;
	sl->next = sl->prev = NULL;
}

static void slab_push(struct slab **head, struct slab *sl)
{
	sl->prev = NULL;
	sl->next = *head;
	if (*head)
		(*head)->prev = sl;
	*head = sl;
}

static void slab_release(struct kmem_cache *s, struct slab *sl)
{
	sl->page->slab = NULL;
	sl->page->flags &= ~PG_slab;
	sim_free_pages(s->m, sl->page, s->order);
	sim_kfree(s->m, sl);
}

/* Free every slab; the objects still in use go with them. */
static void cache_free(struct kmem_cache *s)
{
	struct slab *lists[2] = { s->partial, s->full };

	for (int i = 0; i < 2; i++)
		while (lists[i]) {
			struct slab *sl = lists[i];

			lists[i] = sl->next;
			slab_release(s, sl);
		}
	pthread_mutex_destroy(&s->lock);
	sim_kfree(s->m, s);
}

/* A new slab of @s (its lock held); NULL when out of memory. */
static struct slab *slab_grow(struct kmem_cache *s)
{
	size_t words = BITS_TO_LONGS(s->objs);
	struct slab *sl = sim_kzalloc(s->m, sizeof(*sl) + words * sizeof(long));
	struct page *page;

	if (!sl)
		return NULL;
	page = sim_alloc_pages_gfp(s->m, s->gfp, s->order, 0);
	if (!page) {
		sim_kfree(s->m, sl);
		return NULL;
	}
	sl->cache = s;
	sl->page = page;
	sl->base = page_address(page);
	page->slab = sl;
	page->flags |= PG_slab;
	slab_push(&s->partial, sl);
	return sl;
}

static void *cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct slab *sl;
	unsigned int i;
	void *obj;

	/* failslab: every object allocation may be failed, as the kernel's */
	if (sim_should_fail_alloc(s->m))
		return NULL;
	pthread_mutex_lock(&s->lock);
	sl = s->partial;
	if (!sl)
		sl = slab_grow(s);
	if (!sl) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	for (i = 0; i < s->objs; i++)
		if (!test_bit(i, sl->used))
			break;
	set_bit(i, sl->used);
	if (++sl->inuse == s->objs) {
		slab_unlink(&s->partial, sl);
		slab_push(&s->full, sl);
	}
	s->live++;
	pthread_mutex_unlock(&s->lock);
	/* a live object of the machine, as a sim_kzalloc()'s (leak checks) */
	sim_alloc_live_add(s->m, 1);
	obj = sl->base + (size_t)i * s->size;
	if (gfp & __GFP_ZERO)
		memset(obj, 0, s->object_size);
	else if (s->ctor)
		s->ctor(obj);
	return obj;
}

/* Free @obj of slab @sl; @who names the caller in reports. */
static void cache_free_obj(struct slab *sl, const void *obj, const char *who)
{
	struct kmem_cache *s = sl->cache;
	size_t off = (size_t)((const u8 *)obj - sl->base);
	unsigned int i = (unsigned int)(off / s->size);

	if (off % s->size || i >= s->objs) {
		SIM_BUG(s->m, NULL, "%s: %p is not the start of an object of %s (Invalid object pointer)",
			who, obj, s->name);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (!test_bit(i, sl->used)) {
		pthread_mutex_unlock(&s->lock);
		SIM_BUG(s->m, NULL, "%s: %p of %s is already free (double free)",
			who, obj, s->name);
		return;
	}
	clear_bit(i, sl->used);
	s->live--;
	sim_alloc_live_add(s->m, -1);
	if (sl->inuse-- == s->objs) {
		slab_unlink(&s->full, sl);
		slab_push(&s->partial, sl);
	}
	/* An empty slab goes back when another one has room. */
	if (!sl->inuse && (sl->prev || sl->next)) {
		slab_unlink(&s->partial, sl);
		slab_release(s, sl);
	}
	pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------------ */
/* kmalloc                                                                  */
/* ------------------------------------------------------------------------ */

static int kmalloc_index(size_t size)
{
	for (unsigned int i = 0; i < NR_KMALLOC; i++)
		if (size <= kmalloc_sizes[i])
			return (int)i;
	return -1;
}

/**
 * kmalloc - @size bytes of the current machine's RAM
 * @size: bytes; 0 gives ZERO_SIZE_PTR
 * @gfp: GFP_KERNEL or GFP_ATOMIC, with __GFP_ZERO and __GFP_DMA if wanted
 *	(__GFP_DMA32 and __GFP_HIGHMEM are the caller's bug: reported, and
 *	ignored, as the kernel's kmalloc_fix_flags())
 *
 * Objects up to 8K come from the kmalloc-N caches, aligned to their size
 * when it is a power of two; larger sizes are whole pages. The memory is in
 * the machine's linear map: dma_map_single() takes it.
 *
 * Return: the object, or NULL (no current machine, out of memory).
 */
void *kmalloc(size_t size, gfp_t gfp)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_slab *sb = slab_of(m);
	struct page *page;
	int idx;

	if (!sb)
		return NULL;
	if (gfp & (__GFP_DMA32 | __GFP_HIGHMEM)) {
		SIM_WARN(m, NULL, "Unexpected gfp: %#x. Fixing up to gfp: %#x. Fix your code!",
			 gfp, gfp & ~(__GFP_DMA32 | __GFP_HIGHMEM));
		gfp &= ~(__GFP_DMA32 | __GFP_HIGHMEM);
	}
	if (!size)
		return ZERO_SIZE_PTR;
	idx = kmalloc_index(size);
	if (idx >= 0)
		return cache_alloc(gfp & __GFP_DMA ? sb->kmalloc_dma[idx] :
						     sb->kmalloc[idx], gfp);
	if (size > (PAGE_SIZE << MAX_PAGE_ORDER))
		return NULL;
	page = sim_alloc_pages_gfp(m, gfp, (unsigned int)get_order(size), 0);
	if (!page)
		return NULL;
	page->flags |= PG_large_kmalloc;
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, size);
	return page_address(page);
}

void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc(bytes, gfp);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kmalloc_array(n, size, gfp | __GFP_ZERO);
}

/* The slab page of @p in @m, NULL for other memory. */
static struct page *slab_page(struct sim_machine *m, const void *p)
{
	struct page *page = m ? sim_virt_to_page(m, p) : NULL;

	/* the head page of the block holds the flags */
	if (page && !(page->flags & (PG_slab | PG_large_kmalloc)) &&
	    (page->flags & PG_buddy)) {
		for (unsigned int o = 1; o <= MAX_PAGE_ORDER; o++) {
			struct page *head =
				sim_phys_to_page(m, PFN_PHYS(page->pfn &
							    ~((1UL << o) - 1)));

			if (head && (head->flags & PG_head))
				return head;
		}
	}
	return page;
}

/**
 * ksize - the bytes usable at @p (its cache's object size)
 * @p: from kmalloc(); NULL and ZERO_SIZE_PTR give 0
 */
size_t ksize(const void *p)
{
	struct sim_machine *m = sim_current_machine();
	struct page *page;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	page = slab_page(m, p);
	if (page && (page->flags & PG_slab))
		return ((struct slab *)page->slab)->cache->size;
	if (page && (page->flags & PG_large_kmalloc))
		return PAGE_SIZE << page->order;
	return 0;
}

/**
 * kfree - give back what kmalloc() returned
 * @p: the object; NULL and ZERO_SIZE_PTR are ignored
 *
 * Not the start of an object, already free, or not kmalloc memory: a BUG
 * report, and nothing is freed.
 */
void kfree(const void *p)
{
	struct sim_machine *m = sim_current_machine();
	struct page *page;

	if (ZERO_OR_NULL_PTR(p) || !m)
		return;
	page = slab_page(m, p);
	if (page && (page->flags & PG_slab)) {
		cache_free_obj(page->slab, p, "kfree");
		return;
	}
	if (page && (page->flags & PG_large_kmalloc) &&
	    page_address(page) == p) {
		page->flags &= ~PG_large_kmalloc;
		sim_free_pages(m, page, page->order);
		return;
	}
	SIM_BUG(m, NULL, "kfree: %p is not memory kmalloc() returned%s", p,
		is_vmalloc_addr(p) ? " (vmalloc memory: use vfree or kvfree)" : "");
}

void kfree_sensitive(const void *p)
{
	size_t n = ksize(p);

	if (n)
		memset((void *)p, 0, n);
	kfree(p);
}

/**
 * krealloc - resize a kmalloc() object
 * @p: the object (NULL: kmalloc())
 * @new_size: bytes; 0 frees @p and returns ZERO_SIZE_PTR
 * @gfp: as kmalloc()
 *
 * Return: the object, moved if it had to be, or NULL with @p untouched.
 */
void *krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	size_t old = ksize(p);
	void *n;

	if (!new_size) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	if (old >= new_size)
		return (void *)p;
	n = kmalloc(new_size, gfp & ~__GFP_ZERO);
	if (!n)
		return NULL;
	if (old)
		memcpy(n, p, old);
	if (gfp & __GFP_ZERO)
		memset((u8 *)n + old, 0, new_size - old);
	kfree(p);
	return n;
}

/* ------------------------------------------------------------------------ */
/* kmem_cache                                                               */
/* ------------------------------------------------------------------------ */

/**
 * kmem_cache_create - a cache of @size-byte objects on the current machine
 * @name: for reports (kept as a copy of up to 31 characters)
 * @size: object size
 * @align: alignment (0: 8), a power of two
 * @flags: SLAB_HWCACHE_ALIGN, SLAB_CACHE_DMA, SLAB_CACHE_DMA32; others
 *	are accepted and change nothing
 * @ctor: run on each object as it is handed out without __GFP_ZERO, or NULL
 *
 * Return: the cache, or NULL (no current machine, a size above the
 * largest page block, an alignment that is not a power of two, out of
 * memory).
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *))
{
	struct sim_machine *m = sim_current_machine();
	struct sim_slab *sb = slab_of(m);
	struct kmem_cache *s;
	gfp_t gfp = 0;

	if (!sb || !name || !size || size > (PAGE_SIZE << MAX_PAGE_ORDER) ||
	    (align & (align - 1)))
		return NULL;
	if (align < KMALLOC_MIN)
		align = KMALLOC_MIN;
	if ((flags & SLAB_HWCACHE_ALIGN) && align < CACHE_LINE)
		align = CACHE_LINE;
	if (flags & SLAB_CACHE_DMA)
		gfp = __GFP_DMA;
	else if (flags & SLAB_CACHE_DMA32)
		gfp = __GFP_DMA32;
	s = cache_new(m, name, size, align, gfp, ctor);
	if (!s)
		return NULL;
	pthread_mutex_lock(&sb->lock);
	s->next = sb->caches;
	sb->caches = s;
	pthread_mutex_unlock(&sb->lock);
	return s;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return s ? cache_alloc(s, gfp) : NULL;
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return kmem_cache_alloc(s, gfp | __GFP_ZERO);
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct page *page;

	if (!s || !obj)
		return;
	page = slab_page(s->m, obj);
	if (!page || !(page->flags & PG_slab) ||
	    ((struct slab *)page->slab)->cache != s) {
		SIM_BUG(s->m, NULL, "kmem_cache_free: %p is not an object of %s",
			obj, s->name);
		return;
	}
	cache_free_obj(page->slab, obj, "kmem_cache_free");
}

/**
 * kmem_cache_destroy - free a cache from kmem_cache_create()
 * @s: the cache (NULL: nothing)
 *
 * Objects still allocated are the caller's bug: reported as the kernel
 * reports it, and the cache is left as it is (leaked).
 */
void kmem_cache_destroy(struct kmem_cache *s)
{
	struct sim_slab *sb;
	struct kmem_cache **pp;

	if (!s)
		return;
	sb = slab_of(s->m);
	pthread_mutex_lock(&s->lock);
	if (s->live) {
		unsigned long live = s->live;

		pthread_mutex_unlock(&s->lock);
		SIM_BUG(s->m, NULL, "kmem_cache_destroy %s: Slab cache still has objects (%lu)",
			s->name, live);
		return;
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&sb->lock);
	for (pp = &sb->caches; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	pthread_mutex_unlock(&sb->lock);
	cache_free(s);
}

/* Pages in @s's slabs (its lock taken). */
static unsigned long cache_pages(struct kmem_cache *s)
{
	unsigned long n = 0;

	pthread_mutex_lock(&s->lock);
	for (struct slab *sl = s->partial; sl; sl = sl->next)
		n += 1UL << s->order;
	for (struct slab *sl = s->full; sl; sl = sl->next)
		n += 1UL << s->order;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/**
 * sim_slab_pages() - pages of RAM the slab allocator holds
 * @m: machine
 *
 * Every slab of every cache, whether objects are in it or it is kept
 * empty for the next allocation (a cache keeps its last empty slab), so a
 * caller can tell pages the slab allocator keeps from pages that leaked.
 * Whole-page kmalloc()s (above 8K) are not counted: they are freed with
 * their kfree(). Takes the machine's cache-list lock, then each cache's.
 *
 * Return: the number of pages.
 */
unsigned long sim_slab_pages(struct sim_machine *m)
{
	struct sim_slab *sb = slab_of(m);
	unsigned long n = 0;

	if (!sb)
		return 0;
	pthread_mutex_lock(&sb->lock);
	for (unsigned int i = 0; i < NR_KMALLOC; i++) {
		if (sb->kmalloc[i])
			n += cache_pages(sb->kmalloc[i]);
		if (sb->kmalloc_dma[i])
			n += cache_pages(sb->kmalloc_dma[i]);
	}
	for (struct kmem_cache *s = sb->caches; s; s = s->next)
		n += cache_pages(s);
	pthread_mutex_unlock(&sb->lock);
	return n;
}

/* ------------------------------------------------------------------------ */
/* vmalloc: host memory, outside the linear map                             */
/* ------------------------------------------------------------------------ */

/**
 * vmalloc - @size bytes virtually contiguous, not in the linear map
 * @size: bytes
 *
 * Memory of the host, page aligned: the CPU uses it, no device can
 * (dma_map_single() refuses it as the kernel does, and virt_to_page() has
 * no page for it).
 *
 * Return: the memory, or NULL.
 */
void *vmalloc(unsigned long size)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_slab *sb = slab_of(m);
	struct vm_area *va;

	if (!sb || !size)
		return NULL;
	va = sim_kzalloc(m, sizeof(*va));
	if (!va)
		return NULL;
	va->size = ALIGN(size, PAGE_SIZE);
	va->addr = sim_kzalloc_aligned(m, va->size, PAGE_SIZE);
	if (!va->addr) {
		sim_kfree(m, va);
		return NULL;
	}
	pthread_mutex_lock(&sb->lock);
	va->next = sb->vmalloc;
	sb->vmalloc = va;
	pthread_mutex_unlock(&sb->lock);
	return va->addr;
}

void *vzalloc(unsigned long size)
{
	return vmalloc(size);	/* the host's pages come zeroed */
}

/* The area holding @p (sb->lock held), or NULL. */
static struct vm_area **vm_find(struct sim_slab *sb, const void *p)
{
	for (struct vm_area **pp = &sb->vmalloc; *pp; pp = &(*pp)->next) {
		const u8 *a = (*pp)->addr;

		if ((const u8 *)p >= a && (const u8 *)p < a + (*pp)->size)
			return pp;
	}
	return NULL;
}

/* Is @p vmalloc() memory of @m? */
bool sim_vmalloc_addr(struct sim_machine *m, const void *p)
{
	struct sim_slab *sb = slab_of(m);
	bool ret;

	if (!sb || !p)
		return false;
	pthread_mutex_lock(&sb->lock);
	ret = vm_find(sb, p) != NULL;
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

bool is_vmalloc_addr(const void *p)
{
	return sim_vmalloc_addr(sim_current_machine(), p);
}

void vfree(const void *p)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_slab *sb = slab_of(m);
	struct vm_area **pp, *va = NULL;

	if (!p || !sb)
		return;
	pthread_mutex_lock(&sb->lock);
	pp = vm_find(sb, p);
	if (pp && (*pp)->addr == p) {
		va = *pp;
		*pp = va->next;
	}
	pthread_mutex_unlock(&sb->lock);
	if (!va) {
		SIM_BUG(m, NULL, "vfree: Trying to vfree() nonexistent vm area (%p)",
			p);
		return;
	}
	sim_kfree(m, va->addr);
	sim_kfree(m, va);
}

/* vmalloc memory has no struct page here (it is the host's). */
struct page *vmalloc_to_page(const void *addr)
{
	(void)addr;
	return NULL;
}

/* kmalloc() when it can, vmalloc() for what is too large for it. */
void *kvmalloc(size_t size, gfp_t gfp)
{
	void *p;

	if (size <= (PAGE_SIZE << 3)) {
		p = kmalloc(size, gfp);
		if (p || size <= PAGE_SIZE)
			return p;
	}
	p = vmalloc(size);
	return p;
}

void *kvzalloc(size_t size, gfp_t gfp)
{
	return kvmalloc(size, gfp | __GFP_ZERO);
}

void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kvzalloc(bytes, gfp);
}

void kvfree(const void *p)
{
	if (is_vmalloc_addr(p))
		vfree(p);
	else
		kfree(p);
}

/* ------------------------------------------------------------------------ */
/* The machine's slab state                                                 */
/* ------------------------------------------------------------------------ */

int sim_slab_init_machine(struct sim_machine *m)
{
	struct sim_slab *sb = sim_kzalloc(m, sizeof(*sb));
	char name[32];

	if (!sb)
		return -ENOMEM;
	pthread_mutex_init(&sb->lock, NULL);
	m->kernel->slab = sb;
	for (unsigned int i = 0; i < NR_KMALLOC; i++) {
		unsigned int sz = kmalloc_sizes[i];
		/* power-of-two sizes are naturally aligned, as the kernel's */
		unsigned int align = (sz & (sz - 1)) ? KMALLOC_MIN : sz;

		snprintf(name, sizeof(name), "kmalloc-%u", sz);
		sb->kmalloc[i] = cache_new(m, name, sz, align, 0, NULL);
		snprintf(name, sizeof(name), "dma-kmalloc-%u", sz);
		sb->kmalloc_dma[i] = cache_new(m, name, sz, align, __GFP_DMA,
					       NULL);
		if (!sb->kmalloc[i] || !sb->kmalloc_dma[i]) {
			sim_slab_exit_machine(m);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * At shutdown, before the page allocator goes: every slab, cache and
 * vmalloc area is freed, whatever is still allocated in it.
 */
void sim_slab_exit_machine(struct sim_machine *m)
{
	struct sim_slab *sb = m->kernel->slab;

	if (!sb)
		return;
	for (unsigned int i = 0; i < NR_KMALLOC; i++) {
		if (sb->kmalloc[i])
			cache_free(sb->kmalloc[i]);
		if (sb->kmalloc_dma[i])
			cache_free(sb->kmalloc_dma[i]);
	}
	while (sb->caches) {
		struct kmem_cache *s = sb->caches;

		sb->caches = s->next;
		cache_free(s);
	}
	while (sb->vmalloc) {
		struct vm_area *va = sb->vmalloc;

		sb->vmalloc = va->next;
		sim_kfree(m, va->addr);
		sim_kfree(m, va);
	}
	pthread_mutex_destroy(&sb->lock);
	sim_kfree(m, sb);
	m->kernel->slab = NULL;
}
