// SPDX-License-Identifier: MIT
/*
 * The kernel's memory: a memmap (struct page per frame) created section by
 * section on first use, as SPARSEMEM's, and a page allocator over the RAM
 * regions the hardware has (src/hw/ram.c).
 *
 * The allocator keeps one bitmap per 4 MiB section (the largest block,
 * MAX_PAGE_ORDER) and hands out naturally aligned blocks. Zones are address
 * limits, as in the kernel: ZONE_DMA below 16 MiB, ZONE_DMA32 below 4 GiB,
 * ZONE_NORMAL above; a plain allocation prefers ZONE_NORMAL so that 32-bit
 * DMA masks meet memory they cannot reach. The first MiB stays reserved
 * (firmware, as on a PC), so that physical address 0 is never a buffer.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/*
 * Sections come in chunks of SECTIONS_PER_CHUNK (4 GiB of RAM), allocated
 * on first use: a region's table is one pointer per chunk, so RAM that is
 * described but never touched costs 8 bytes per 4 GiB (64 TiB: 128 KiB).
 */
#define SECTIONS_PER_CHUNK	1024UL

/* The kernel's view of one RAM region of the hardware. */
struct sim_mm_region {
	struct sim_ram_region *ram;
	phys_addr_t base;
	u64 size;
	unsigned long nr_sections;
	unsigned long nr_chunks;
	struct sim_ram_section **chunks;	/* each filled on first use */
};

struct sim_ram_section {
	struct sim_mm_region *region;
	unsigned long start_pfn;
	struct page *pages;		/* memmap, created on first use */
	u64 used[PAGES_PER_SECTION / 64];
	unsigned int nr_used;
};

/* The machine's memory as the kernel manages it (m->mm). */
struct sim_mm {
	pthread_mutex_t lock;		/* memmaps, chunks and bitmaps */
	unsigned long nr_allocated;	/* pages handed out */
	unsigned long nr_memmaps;	/* sections with a memmap */
	unsigned long nr_chunks;	/* section chunks allocated */
	unsigned int nr_regions;
	struct sim_mm_region regions[SIM_MAX_RAM_REGIONS];
};

/* Section @idx of @r if its chunk exists, else NULL (all of it free). */
static struct sim_ram_section *region_section_peek(struct sim_mm_region *r,
						   unsigned long idx)
{
	struct sim_ram_section *chunk = r->chunks[idx / SECTIONS_PER_CHUNK];

	return chunk ? &chunk[idx % SECTIONS_PER_CHUNK] : NULL;
}

/* Section @idx of @r, its chunk created on first use; NULL: no memory. */
static struct sim_ram_section *region_section(struct sim_machine *m,
					      struct sim_mm_region *r,
					      unsigned long idx)
{
	struct sim_ram_section **chunk = &r->chunks[idx / SECTIONS_PER_CHUNK];
	struct sim_ram_section *sec;

	if (unlikely(!*chunk)) {
		/* plain calloc: the kernel's own memory, not a counted allocation */
		*chunk = calloc(SECTIONS_PER_CHUNK, sizeof(**chunk));
		if (!*chunk)
			return NULL;
		m->kernel->mm->nr_chunks++;
	}
	sec = &(*chunk)[idx % SECTIONS_PER_CHUNK];
	if (unlikely(!sec->region)) {
		sec->start_pfn = PHYS_PFN(r->base) + idx * PAGES_PER_SECTION;
		sec->region = r;
	}
	return sec;
}

/* The memmap of a section; created on first use, like SPARSEMEM's. */
static struct page *section_memmap(struct sim_mm *mm,
				   struct sim_ram_section *sec)
{
	struct page *pages;

	if (likely(sec->pages))
		return sec->pages;
	pages = calloc(PAGES_PER_SECTION, sizeof(*pages));
	if (!pages)
		return NULL;
	for (unsigned long i = 0; i < PAGES_PER_SECTION; i++) {
		pages[i].pfn = sec->start_pfn + i;
		pages[i].section = sec;
	}
	sec->pages = pages;
	mm->nr_memmaps++;
	return pages;
}

static struct sim_mm_region *mm_region_of(struct sim_mm *mm, phys_addr_t phys)
{
	for (unsigned int i = 0; i < mm->nr_regions; i++) {
		struct sim_mm_region *r = &mm->regions[i];

		if (phys >= r->base && phys - r->base < r->size)
			return r;
	}
	return NULL;
}

/* Under the mm lock: the section of @pfn, NULL outside RAM or no memory. */
static struct sim_ram_section *section_of(struct sim_machine *m,
					  unsigned long pfn)
{
	struct sim_mm_region *r = m->kernel->mm ? mm_region_of(m->kernel->mm, PFN_PHYS(pfn)) :
					  NULL;

	if (!r)
		return NULL;
	return region_section(m, r, (PFN_PHYS(pfn) - r->base) >> SECTION_SHIFT);
}

struct page *sim_phys_to_page(struct sim_machine *m, phys_addr_t phys)
{
	struct sim_ram_section *sec;
	struct page *pages = NULL;

	if (!m->kernel->mm)
		return NULL;
	pthread_mutex_lock(&m->kernel->mm->lock);
	sec = section_of(m, PHYS_PFN(phys));
	if (sec)
		pages = section_memmap(m->kernel->mm, sec);
	pthread_mutex_unlock(&m->kernel->mm->lock);
	if (!pages)
		return NULL;
	return &pages[PHYS_PFN(phys) - sec->start_pfn];
}

struct page *sim_virt_to_page(struct sim_machine *m, const void *vaddr)
{
	phys_addr_t phys = sim_virt_to_phys(m, vaddr);

	if (phys == (phys_addr_t)-1)
		return NULL;
	if (!sim_phys_is_ram(m, phys, 1))
		return sim_p2pmem_virt_to_page(m, vaddr);
	return sim_phys_to_page(m, phys);
}

void *page_address(struct page *page)
{
	struct sim_mm_region *r;

	/* ZONE_DEVICE (P2PDMA) pages carry their address. */
	if (page->virtual)
		return page->virtual;
	r = page->section->region;

	return r->ram->cpu + (PFN_PHYS(page->pfn) - r->base);
}

/* ------------------------------------------------------------------------ */
/* Bitmap page allocator                                                    */
/* ------------------------------------------------------------------------ */

static bool bits_free(const u64 *map, unsigned long first, unsigned long n)
{
	if (n >= 64) {
		for (unsigned long w = first / 64; w < (first + n) / 64; w++)
			if (map[w])
				return false;
		return true;
	}
	return !((map[first / 64] >> (first % 64)) & ((1ULL << n) - 1));
}

static void bits_set(u64 *map, unsigned long first, unsigned long n, bool set)
{
	for (unsigned long i = first; i < first + n; i++) {
		if (set)
			map[i / 64] |= 1ULL << (i % 64);
		else
			map[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* Find a free naturally aligned block of 2^order pages in [lo_idx, hi_idx). */
static long section_find(struct sim_ram_section *sec, unsigned int order,
			 unsigned long lo_idx, unsigned long hi_idx,
			 bool top_down)
{
	unsigned long n = 1UL << order;
	unsigned long first = ALIGN(lo_idx, n);
	unsigned long last;

	if (hi_idx < n || first > hi_idx - n)
		return -1;
	last = ALIGN_DOWN(hi_idx - n, n);
	if (!top_down) {
		for (unsigned long i = first; i <= last; i += n) {
			/* skip a full word quickly */
			if (n < 64 && sec->used[i / 64] == ~0ULL) {
				i = ALIGN(i + 1, 64) - n;
				continue;
			}
			if (bits_free(sec->used, i, n))
				return (long)i;
		}
	} else {
		for (unsigned long i = last + n; i > first;) {
			i -= n;
			if (bits_free(sec->used, i, n))
				return (long)i;
		}
	}
	return -1;
}

static struct page *section_alloc(struct sim_mm *mm,
				  struct sim_ram_section *sec,
				  unsigned int order, unsigned long idx)
{
	struct page *pages = section_memmap(mm, sec);
	struct page *head;

	if (!pages)
		return NULL;
	bits_set(sec->used, idx, 1UL << order, true);
	sec->nr_used += 1U << order;
	head = &pages[idx];
	head->flags = PG_head;
	head->order = order;
	head->refcount = 1;
	for (unsigned long i = 1; i < (1UL << order); i++)
		head[i].flags = PG_buddy;
	return head;
}

/**
 * sim_alloc_pages_zone - allocate 2^@order pages inside [@lo, @hi)
 *
 * Takes the RAM lock. Returns NULL when no aligned block is free, when the
 * order is beyond MAX_PAGE_ORDER, or when the fault injection fails it.
 */
static struct page *__sim_alloc_pages_zone(struct sim_machine *m,
					   unsigned int order, phys_addr_t lo,
					   phys_addr_t hi, bool top_down)
{
	struct sim_mm *mm = m->kernel->mm;
	struct page *page = NULL;
	unsigned long npages;

	if (order > MAX_PAGE_ORDER || lo >= hi || !mm)
		return NULL;
	npages = 1UL << order;

	pthread_mutex_lock(&mm->lock);
	for (unsigned int ri = 0; ri < mm->nr_regions && !page; ri++) {
		struct sim_mm_region *r =
			&mm->regions[top_down ? mm->nr_regions - 1 - ri : ri];
		phys_addr_t rlo = max(lo, r->base);
		phys_addr_t rhi = min(hi, r->base + r->size);
		unsigned long s_first, s_last;

		if (rlo >= rhi)
			continue;
		s_first = (rlo - r->base) >> SECTION_SHIFT;
		s_last = (rhi - 1 - r->base) >> SECTION_SHIFT;
		for (unsigned long k = 0; k <= s_last - s_first && !page; k++) {
			unsigned long si = top_down ? s_last - k : s_first + k;
			struct sim_ram_section *sec = region_section_peek(r, si);
			phys_addr_t sbase;
			unsigned long lo_idx = 0, hi_idx = PAGES_PER_SECTION;
			long idx;

			if (sec && sec->nr_used + npages > PAGES_PER_SECTION)
				continue;
			sec = region_section(m, r, si);
			if (!sec)
				break;
			sbase = PFN_PHYS(sec->start_pfn);
			if (rlo > sbase)
				lo_idx = PHYS_PFN(rlo - sbase + PAGE_SIZE - 1);
			if (rhi < sbase + (PAGES_PER_SECTION << PAGE_SHIFT))
				hi_idx = PHYS_PFN(rhi - sbase);
			idx = section_find(sec, order, lo_idx, hi_idx, top_down);
			if (idx >= 0)
				page = section_alloc(mm, sec, order,
						     (unsigned long)idx);
		}
	}
	if (page)
		mm->nr_allocated += npages;
	pthread_mutex_unlock(&mm->lock);
	return page;
}

struct page *sim_alloc_pages_zone(struct sim_machine *m, unsigned int order,
				  phys_addr_t lo, phys_addr_t hi, bool top_down)
{
	if (sim_should_fail_alloc(m))
		return NULL;
	return __sim_alloc_pages_zone(m, order, lo, hi, top_down);
}

static const phys_addr_t zone_limit[MAX_NR_ZONES] = {
	[ZONE_DMA] = SZ_16M,
	[ZONE_DMA32] = SZ_4G,
	[ZONE_NORMAL] = ~0ULL,
};

/**
 * sim_alloc_pages_gfp - allocate with the kernel's zone fallback
 * @gfp: __GFP_DMA / __GFP_DMA32 select the highest zone allowed
 * @limit: additionally keep the block below this address (0 = none)
 *
 * Zones are tried from the highest allowed down, as the kernel's zonelist.
 */
struct page *sim_alloc_pages_gfp(struct sim_machine *m, gfp_t gfp,
				 unsigned int order, u64 limit)
{
	int zone = ZONE_NORMAL;
	struct page *page;

	if (sim_should_fail_alloc(m))
		return NULL;
	if (gfp & __GFP_DMA)
		zone = ZONE_DMA;
	else if (gfp & __GFP_DMA32)
		zone = ZONE_DMA32;

	for (; zone >= ZONE_DMA; zone--) {
		phys_addr_t lo = zone ? zone_limit[zone - 1] : 0;
		phys_addr_t hi = zone_limit[zone];

		if (limit && limit != ~0ULL)
			hi = min(hi, limit + 1);
		if (lo >= hi)
			continue;
		page = __sim_alloc_pages_zone(m, order, lo, hi, false);
		if (page) {
			if (gfp & __GFP_ZERO)
				memset(page_address(page), 0,
				       PAGE_SIZE << order);
			return page;
		}
	}
	return NULL;
}

struct page *sim_alloc_pages(struct sim_machine *m, unsigned int order)
{
	return sim_alloc_pages_gfp(m, GFP_KERNEL, order, 0);
}

struct page *sim_alloc_pages_range(struct sim_machine *m, unsigned int order,
				   phys_addr_t lo, phys_addr_t hi)
{
	return sim_alloc_pages_zone(m, order, lo, hi, false);
}

void sim_free_pages(struct sim_machine *m, struct page *page,
		    unsigned int order)
{
	struct sim_ram_section *sec;
	unsigned long idx;

	if (!page)
		return;
	/* the memmap went with the kernel: @page points nowhere now */
	if (!m->kernel || !m->kernel->mm) {
		SIM_BUG(m, NULL, "sim_free_pages: the kernel's memory is gone (machine shut down)");
		return;
	}
	sec = page->section;
	if (!sec || sec->region->ram->m != m) {
		SIM_BUG(m, NULL, "sim_free_pages: page %p is not RAM of this machine",
			(void *)page);
		return;
	}
	pthread_mutex_lock(&m->kernel->mm->lock);
	if (!(page->flags & PG_head) || page->order != order) {
		pthread_mutex_unlock(&m->kernel->mm->lock);
		SIM_BUG(m, NULL,
			"sim_free_pages: pfn 0x%lx is not an allocated block of order %u%s",
			page->pfn, order,
			(page->flags & PG_head) ? " (order mismatch)" :
						  " (double free?)");
		return;
	}
	idx = page->pfn - sec->start_pfn;
	for (unsigned long i = 0; i < (1UL << order); i++) {
		page[i].flags = 0;
		page[i].order = 0;
		page[i].refcount = 0;
	}
	bits_set(sec->used, idx, 1UL << order, false);
	sec->nr_used -= 1U << order;
	m->kernel->mm->nr_allocated -= 1UL << order;
	pthread_mutex_unlock(&m->kernel->mm->lock);
}

unsigned long sim_ram_pages_allocated(struct sim_machine *m)
{
	unsigned long n;

	if (!m->kernel->mm)
		return 0;
	pthread_mutex_lock(&m->kernel->mm->lock);
	n = m->kernel->mm->nr_allocated;
	pthread_mutex_unlock(&m->kernel->mm->lock);
	return n;
}

/**
 * sim_ram_memmap_sections - how much of the memmap exists
 * @m: the machine
 * @chunks: if not NULL, the section chunks (4 GiB of RAM each) allocated
 *
 * Takes the RAM lock. RAM that was never allocated or looked up has no
 * memmap and no section chunk: this is what a machine's RAM costs in host
 * memory beyond the pages it touched.
 *
 * Return: the 4 MiB sections with a memmap (struct page array).
 */
unsigned long sim_ram_memmap_sections(struct sim_machine *m,
				      unsigned long *chunks)
{
	unsigned long n = 0, c = 0;

	if (m && m->kernel && m->kernel->mm) {
		pthread_mutex_lock(&m->kernel->mm->lock);
		n = m->kernel->mm->nr_memmaps;
		c = m->kernel->mm->nr_chunks;
		pthread_mutex_unlock(&m->kernel->mm->lock);
	}
	if (chunks)
		*chunks = c;
	return n;
}

/* Take a range out of the allocator for good (firmware, swiotlb pools). */
void sim_ram_reserve(struct sim_machine *m, phys_addr_t start, u64 size)
{
	if (!m->kernel->mm)
		return;
	pthread_mutex_lock(&m->kernel->mm->lock);
	for (phys_addr_t p = ALIGN_DOWN(start, PAGE_SIZE); p < start + size;
	     p += PAGE_SIZE) {
		struct sim_ram_section *sec = section_of(m, PHYS_PFN(p));
		unsigned long idx;

		if (!sec)
			continue;
		idx = PHYS_PFN(p) - sec->start_pfn;
		if (!(sec->used[idx / 64] & (1ULL << (idx % 64)))) {
			sec->used[idx / 64] |= 1ULL << (idx % 64);
			sec->nr_used++;
		}
		if (section_memmap(m->kernel->mm, sec))
			sec->pages[idx].flags |= PG_reserved;
	}
	pthread_mutex_unlock(&m->kernel->mm->lock);
}

/*
 * The kernel's pfn_valid(): a frame of RAM with a memmap (P2PDMA pages
 * are not RAM).
 */
bool sim_pfn_valid(struct sim_machine *m, unsigned long pfn)
{
	return sim_phys_is_ram(m, PFN_PHYS(pfn), PAGE_SIZE);
}


/* __pa(): the CPU views of RAM, then P2PDMA memory. */
phys_addr_t sim_virt_to_phys(struct sim_machine *m, const void *vaddr)
{
	const u8 *p = vaddr;

	for (unsigned int i = 0; m->kernel->mm && i < m->kernel->mm->nr_regions; i++) {
		struct sim_ram_region *r = m->kernel->mm->regions[i].ram;

		if (p >= r->cpu && p < r->cpu + r->size)
			return r->base + (u64)(p - r->cpu);
		if (r->mem && p >= r->mem && p < r->mem + r->size)
			return r->base + (u64)(p - r->mem);
	}
	/* P2PDMA memory: the BAR address behind its P2P virtual address. */
	{
		struct page *pg = sim_p2pmem_virt_to_page(m, vaddr);

		if (pg)
			return page_to_phys(pg) +
			       ((uintptr_t)vaddr & (PAGE_SIZE - 1));
	}
	return (phys_addr_t)-1;
}


/**
 * sim_mm_init_machine - the memmap and the allocator over @m's RAM
 * @m: the machine, booting (its RAM regions exist)
 *
 * Return: 0 or -ENOMEM, with nothing left allocated.
 */
int sim_mm_init_machine(struct sim_machine *m)
{
	struct sim_mm *mm = sim_kzalloc(m, sizeof(*mm));

	if (!mm)
		return -ENOMEM;
	pthread_mutex_init(&mm->lock, NULL);
	for (unsigned int i = 0; i < m->ram.nr_regions; i++) {
		struct sim_mm_region *r = &mm->regions[i];

		r->ram = &m->ram.regions[i];
		r->base = r->ram->base;
		r->size = r->ram->size;
		r->nr_sections = r->size >> SECTION_SHIFT;
		r->nr_chunks = DIV_ROUND_UP(r->nr_sections, SECTIONS_PER_CHUNK);
		r->chunks = sim_kcalloc(m, r->nr_chunks ? r->nr_chunks : 1,
					sizeof(*r->chunks));
		if (!r->chunks)
			goto err_free;
		mm->nr_regions++;
	}
	m->kernel->mm = mm;
	/* firmware */
	if (mm->nr_regions && mm->regions[0].base == 0)
		sim_ram_reserve(m, 0, SZ_1M);
	return 0;

err_free:
	m->kernel->mm = mm;
	sim_mm_exit_machine(m);
	return -ENOMEM;
}

void sim_mm_exit_machine(struct sim_machine *m)
{
	struct sim_mm *mm = m->kernel->mm;

	if (!mm)
		return;
	for (unsigned int i = 0; i < mm->nr_regions; i++) {
		struct sim_mm_region *r = &mm->regions[i];

		for (unsigned long c = 0; c < r->nr_chunks; c++) {
			struct sim_ram_section *chunk = r->chunks[c];

			for (unsigned long k = 0; chunk && k < SECTIONS_PER_CHUNK; k++)
				free(chunk[k].pages);
			free(chunk);
		}
		sim_kfree(m, r->chunks);
	}
	pthread_mutex_destroy(&mm->lock);
	sim_kfree(m, mm);
	m->kernel->mm = NULL;
}

/* ------------------------------------------------------------------------ */
/* The kernel's global calls, on the calling thread's current machine       */
/* ------------------------------------------------------------------------ */

/**
 * alloc_pages - 2^@order contiguous pages of the current machine's RAM
 * @gfp: zone modifiers (__GFP_DMA, __GFP_DMA32) and __GFP_ZERO
 * @order: 0 .. MAX_PAGE_ORDER
 *
 * The machine is the calling thread's current one (sim_current_machine():
 * the one it created or entered). Zeroing writes through the CPU's cached
 * view, as the kernel's does.
 *
 * Return: the first page, or NULL (no current machine, order too large,
 * out of memory).
 */
struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct sim_machine *m = sim_current_machine();
	struct page *page;

	if (!m || !m->kernel || !m->kernel->mm || order > MAX_PAGE_ORDER)
		return NULL;
	page = sim_alloc_pages_gfp(m, gfp, order, 0);
	if (page && (gfp & __GFP_ZERO))
		memset(page_address(page), 0, PAGE_SIZE << order);
	return page;
}

/**
 * __free_pages - give back what alloc_pages() returned
 * @page: the first page (NULL: nothing)
 * @order: the order it was allocated with
 *
 * The page names its machine; a page that is not RAM of a machine is a
 * BUG of the current machine's.
 */
void __free_pages(struct page *page, unsigned int order)
{
	struct sim_machine *m;

	if (!page)
		return;
	m = page->section ? page->section->region->ram->m :
			    sim_current_machine();
	if (m)
		sim_free_pages(m, page, order);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp & ~__GFP_HIGHMEM, order);

	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

void free_pages(unsigned long addr, unsigned int order)
{
	struct page *page;

	if (!addr)
		return;
	page = virt_to_page((void *)addr);
	if (!page) {
		struct sim_machine *m = sim_current_machine();

		if (m)
			SIM_BUG(m, NULL, "free_pages: %#lx is not the address of RAM",
				addr);
		return;
	}
	__free_pages(page, order);
}

/**
 * virt_to_page - the struct page of a CPU address of the current machine
 * @addr: an address in its RAM (page_address(), __get_free_pages(),
 *	kmalloc()) or in P2P memory (pci_alloc_p2pmem())
 *
 * Return: the page, or NULL for an address that is neither (the kernel
 * would return garbage; vmalloc memory among them).
 */
struct page *virt_to_page(const void *addr)
{
	struct sim_machine *m = sim_current_machine();

	return m ? sim_virt_to_page(m, addr) : NULL;
}

phys_addr_t virt_to_phys(const volatile void *addr)
{
	struct sim_machine *m = sim_current_machine();

	return m ? sim_virt_to_phys(m, (const void *)addr) : (phys_addr_t)-1;
}

void *phys_to_virt(phys_addr_t phys)
{
	struct sim_machine *m = sim_current_machine();

	return m ? sim_phys_to_virt(m, phys) : NULL;
}

bool virt_addr_valid(const void *addr)
{
	struct sim_machine *m = sim_current_machine();
	phys_addr_t phys;

	if (!m)
		return false;
	phys = sim_virt_to_phys(m, addr);
	return phys != (phys_addr_t)-1 && sim_phys_is_ram(m, phys, 1);
}

/**
 * pfn_to_page - the struct page of a page frame of the current machine
 * @pfn: a RAM or P2PDMA page frame
 *
 * Return: the page, or NULL for a frame without one (the kernel's would be
 * an invalid pointer; check pfn_valid() first, as kernel code does).
 */
struct page *pfn_to_page(unsigned long pfn)
{
	struct sim_machine *m = sim_current_machine();

	return m ? sim_pfn_to_page(m, pfn) : NULL;
}

int pfn_valid(unsigned long pfn)
{
	struct sim_machine *m = sim_current_machine();

	return m && sim_pfn_valid(m, pfn);
}

/**
 * split_page - make a block of 2^@order pages 2^@order single pages
 * @page: the block's first page, as alloc_pages() returned it
 * @order: its order
 *
 * Each page can then be freed alone with __free_pages(page, 0). A page
 * that is not an allocated block of @order is a BUG. Takes the RAM lock.
 */
void split_page(struct page *page, unsigned int order)
{
	struct sim_machine *m;

	if (!page || !page->section)
		return;
	m = page->section->region->ram->m;
	pthread_mutex_lock(&m->kernel->mm->lock);
	if (!(page->flags & PG_head) || page->order != order) {
		pthread_mutex_unlock(&m->kernel->mm->lock);
		SIM_BUG(m, NULL, "split_page: pfn 0x%lx is not an allocated block of order %u",
			page->pfn, order);
		return;
	}
	for (unsigned long i = 0; i < (1UL << order); i++) {
		page[i].flags = (page[i].flags & ~PG_buddy) | PG_head;
		page[i].order = 0;
		page[i].refcount = 1;
	}
	pthread_mutex_unlock(&m->kernel->mm->lock);
}

/**
 * alloc_pages_exact - @size bytes of physically contiguous pages
 *
 * The smallest block that holds @size, split, with the pages beyond
 * PAGE_ALIGN(@size) given back. Returns the linear-map address, or NULL.
 * Free with free_pages_exact() and the same size.
 */
void *alloc_pages_exact(size_t size, gfp_t gfp)
{
	unsigned int order;
	struct page *page;
	unsigned long used;

	if (!size || size > (PAGE_SIZE << MAX_PAGE_ORDER))
		return NULL;
	order = (unsigned int)get_order(size);
	page = alloc_pages(gfp & ~__GFP_HIGHMEM, order);
	if (!page)
		return NULL;
	split_page(page, order);
	used = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	for (unsigned long i = used; i < (1UL << order); i++)
		__free_pages(page + i, 0);
	return page_address(page);
}

void free_pages_exact(void *virt, size_t size)
{
	char *p = virt;

	if (!virt)
		return;
	for (size_t done = 0; done < size; done += PAGE_SIZE)
		__free_pages(virt_to_page(p + done), 0);
}
