// SPDX-License-Identifier: MIT
/*
 * CPU caches and the two views of RAM.
 *
 * The CPU sees RAM through a write-back cache that never evicts on its own:
 * the CPU view (what sim_phys_to_virt() returns) is the cache, the memory
 * view is DRAM, and a third copy remembers each line's contents at its last
 * write-back or fill so that a line whose CPU view differs is dirty. That
 * makes every missing cache maintenance deterministic and observable, which
 * real hardware only shows now and then:
 *
 *  - a non-coherent device reads DRAM: CPU writes reach it only after a
 *    clean (dma_sync_*_for_device / map);
 *  - a non-coherent device writes DRAM: the CPU keeps reading its stale lines
 *    until they are invalidated (dma_sync_*_for_cpu / unmap);
 *  - a coherent device snoops: it reads dirty lines from the cache and its
 *    writes update every view.
 *
 * Invalidation of a partial line at either end of a range writes the line
 * back first, as arm64's dcache_inval_poc does, so a buffer that shares a
 * cache line with CPU-written data loses the device's bytes in that line.
 * On machines without non-coherent devices only the CPU view exists and all
 * of this is a no-op.
 */
#include <string.h>
#include <sys/mman.h>
#include "hw/machine.h"

#define LINE	L1_CACHE_BYTES

static inline bool line_dirty(struct sim_ram_region *r, u64 off)
{
	return memcmp(r->cpu + off, r->sync + off, LINE) != 0;
}

static void line_clean(struct sim_ram_region *r, u64 off)
{
	if (line_dirty(r, off)) {
		memcpy(r->mem + off, r->cpu + off, LINE);
		memcpy(r->sync + off, r->cpu + off, LINE);
	}
}

static void line_inval(struct sim_ram_region *r, u64 off)
{
	memcpy(r->cpu + off, r->mem + off, LINE);
	memcpy(r->sync + off, r->mem + off, LINE);
}

/*
 * Walk the lines of [phys, phys + size) region by region. Ranges that are
 * not RAM (MMIO) are skipped: MMIO is never cached.
 */
static void for_each_line(struct sim_machine *m, phys_addr_t phys, size_t size,
			  void (*fn)(struct sim_ram_region *r, u64 off,
				     bool partial))
{
	phys_addr_t start, end;

	if (!m->ram.views || !size)
		return;
	atomic_fetch_add(&m->stats.cache_ops, 1);
	start = ALIGN_DOWN(phys, LINE);
	end = ALIGN(phys + size, LINE);
	for (phys_addr_t p = start; p < end; p += LINE) {
		struct sim_ram_region *r = sim_ram_region_of(m, p, LINE);
		bool partial;

		if (!r)
			continue;
		partial = (p < phys) || (p + LINE > phys + size);
		fn(r, p - r->base, partial);
	}
}

static void do_clean(struct sim_ram_region *r, u64 off, bool partial)
{
	(void)partial;
	line_clean(r, off);
}

static void do_inval(struct sim_ram_region *r, u64 off, bool partial)
{
	if (partial)
		line_clean(r, off);
	line_inval(r, off);
}

static void do_flush(struct sim_ram_region *r, u64 off, bool partial)
{
	(void)partial;
	line_clean(r, off);
	line_inval(r, off);
}

void sim_cache_clean(struct sim_machine *m, phys_addr_t phys, size_t size)
{
	for_each_line(m, phys, size, do_clean);
}

void sim_cache_inval(struct sim_machine *m, phys_addr_t phys, size_t size)
{
	for_each_line(m, phys, size, do_inval);
}

void sim_cache_flush(struct sim_machine *m, phys_addr_t phys, size_t size)
{
	for_each_line(m, phys, size, do_flush);
}

/**
 * sim_ram_dev_read - a device reads RAM
 * @coherent: the access snoops the CPU caches
 *
 * The caller has checked that [phys, phys + len) is RAM of one region.
 */
void sim_ram_dev_read(struct sim_machine *m, phys_addr_t phys, void *buf,
		      size_t len, bool coherent)
{
	struct sim_ram_region *r = sim_ram_region_of(m, phys, len);
	u64 off = phys - r->base;
	u8 *out = buf;

	if (!m->ram.views) {
		memcpy(buf, r->cpu + off, len);
		return;
	}
	if (!coherent) {
		memcpy(buf, r->mem + off, len);
		return;
	}
	/* Snoop: dirty lines come from the cache, clean ones from DRAM. */
	while (len) {
		u64 line = ALIGN_DOWN(off, LINE);
		size_t n = min((size_t)(line + LINE - off), len);
		const u8 *src = line_dirty(r, line) ? r->cpu : r->mem;

		memcpy(out, src + off, n);
		out += n;
		off += n;
		len -= n;
	}
}

void sim_ram_dev_write(struct sim_machine *m, phys_addr_t phys,
		       const void *buf, size_t len, bool coherent)
{
	struct sim_ram_region *r = sim_ram_region_of(m, phys, len);
	u64 off = phys - r->base;

	if (!m->ram.views) {
		memcpy(r->cpu + off, buf, len);
		return;
	}
	memcpy(r->mem + off, buf, len);
	if (coherent) {
		/* The snoop updates (or drops) the cached copy. */
		memcpy(r->cpu + off, buf, len);
		memcpy(r->sync + off, buf, len);
	}
}

void sim_ram_cpu_copy(struct sim_machine *m, phys_addr_t dst, phys_addr_t src,
		      size_t len)
{
	u8 *d = sim_phys_to_virt(m, dst);
	u8 *s = sim_phys_to_virt(m, src);

	if (d && s && len)
		memmove(d, s, len);
}

/*
 * The memory view as a device's own view (the DMA check mode): byte-exact
 * copies between it and the CPU view, so that bytes sharing a cache line
 * with the range never move (unlike the line-based maintenance above,
 * which models what a non-coherent device's cache maintenance does).
 */
static void view_copy(struct sim_machine *m, phys_addr_t phys, size_t len,
		      bool push)
{
	while (m->ram.views && len) {
		struct sim_ram_region *r = sim_ram_region_of(m, phys, 1);
		u64 off, n;

		if (!r)
			return;
		off = phys - r->base;
		n = min((u64)len, r->size - off);
		if (push)
			memcpy(r->mem + off, r->cpu + off, n);
		else
			memcpy(r->cpu + off, r->mem + off, n);
		memcpy(r->sync + off, r->cpu + off, n);
		phys += n;
		len -= n;
	}
}

void sim_ram_view_push(struct sim_machine *m, phys_addr_t phys, size_t len)
{
	view_copy(m, phys, len, true);
}

void sim_ram_view_pull(struct sim_machine *m, phys_addr_t phys, size_t len)
{
	view_copy(m, phys, len, false);
}

/*
 * Memory views made after boot start as zeros: every line the CPU has
 * written differs from its (zero) sync copy, so it is dirty and snooping
 * devices read it from the cache, exactly as before. Call while no device
 * accesses RAM (the views flag is read without a lock).
 */
int sim_ram_views_enable(struct sim_machine *m)
{
	struct sim_ram_region *r;
	unsigned int i;

	if (m->ram.views)
		return 0;
	for (i = 0; i < m->ram.nr_regions; i++) {
		void *mem, *sync;

		r = &m->ram.regions[i];
		mem = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		sync = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mem == MAP_FAILED || sync == MAP_FAILED) {
			if (mem != MAP_FAILED)
				munmap(mem, r->size);
			if (sync != MAP_FAILED)
				munmap(sync, r->size);
			goto undo;
		}
		r->mem = mem;
		r->sync = sync;
	}
	__atomic_store_n(&m->ram.views, true, __ATOMIC_RELEASE);
	return 0;
undo:
	while (i--) {
		r = &m->ram.regions[i];
		munmap(r->mem, r->size);
		munmap(r->sync, r->size);
		r->mem = r->sync = NULL;
	}
	return -ENOMEM;
}

/* Does the CPU hold lines in [phys, phys + len) not yet written back? */
bool sim_cache_has_dirty(struct sim_machine *m, phys_addr_t phys, size_t len)
{
	struct sim_ram_region *r;

	if (!m->ram.views || !len)
		return false;
	r = sim_ram_region_of(m, phys, len);
	if (!r)
		return false;
	for (u64 off = ALIGN_DOWN(phys - r->base, LINE);
	     off < phys - r->base + len; off += LINE)
		if (line_dirty(r, off))
			return true;
	return false;
}
