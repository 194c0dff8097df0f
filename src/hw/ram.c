// SPDX-License-Identifier: MIT
/*
 * Simulated RAM: sparse host mappings per region (what the CPU sees, and on
 * machines with non-coherent DMA what DRAM holds), and in a confidential
 * guest which pages the guest shares with the host. Untouched RAM costs
 * nothing. The memmap and the page allocator are the kernel's
 * (src/kernel/mm/page_alloc.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hw/machine.h"

static void *sim_map_sparse(u64 size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int sim_region_init(struct sim_machine *m, struct sim_ram_region *r,
			   phys_addr_t base, u64 size)
{
	r->m = m;
	r->base = base;
	r->size = size;
	r->cpu = sim_map_sparse(size);
	if (!r->cpu)
		return -ENOMEM;
	if (m->ram.views) {
		r->mem = sim_map_sparse(size);
		r->sync = sim_map_sparse(size);
		if (!r->mem || !r->sync)
			return -ENOMEM;
	}
	/* One bit per page: shared with the host (a confidential guest). */
	if (m->confidential) {
		r->shared = sim_map_sparse(DIV_ROUND_UP(size >> PAGE_SHIFT, 8));
		if (!r->shared)
			return -ENOMEM;
	}
	return 0;
}

static void sim_region_fini(struct sim_machine *m, struct sim_ram_region *r)
{
	if (r->shared)
		munmap(r->shared, DIV_ROUND_UP(r->size >> PAGE_SHIFT, 8));
	if (r->cpu)
		munmap(r->cpu, r->size);
	if (r->mem)
		munmap(r->mem, r->size);
	if (r->sync)
		munmap(r->sync, r->size);
	memset(r, 0, sizeof(*r));
}

/**
 * sim_ram_init - create the RAM regions of a machine
 * @m: machine under construction
 * @below_4g: bytes of RAM starting at physical address 0
 * @above_4g: bytes of RAM starting at 4 GiB
 *
 * The memmap and the page allocator are the kernel's (src/kernel/mm/).
 */
int sim_ram_init(struct sim_machine *m, u64 below_4g, u64 above_4g)
{
	struct sim_ram *ram = &m->ram;
	int ret;

	if (below_4g) {
		ret = sim_region_init(m, &ram->regions[ram->nr_regions++], 0,
				      below_4g);
		if (ret)
			return ret;
	}
	if (above_4g) {
		ret = sim_region_init(m, &ram->regions[ram->nr_regions++],
				      SZ_4G, above_4g);
		if (ret)
			return ret;
	}
	ram->total = below_4g + above_4g;
	return 0;
}

void sim_ram_fini(struct sim_machine *m)
{
	for (unsigned int i = 0; i < SIM_MAX_RAM_REGIONS; i++)
		sim_region_fini(m, &m->ram.regions[i]);
	m->ram.nr_regions = 0;
}

struct sim_ram_region *sim_ram_region_of(struct sim_machine *m,
					 phys_addr_t phys, size_t len)
{
	for (unsigned int i = 0; i < m->ram.nr_regions; i++) {
		struct sim_ram_region *r = &m->ram.regions[i];

		if (phys >= r->base && phys - r->base < r->size &&
		    len <= r->size - (phys - r->base))
			return r;
	}
	return NULL;
}

bool sim_phys_is_ram(struct sim_machine *m, phys_addr_t phys, size_t len)
{
	return sim_ram_region_of(m, phys, len ? len : 1) != NULL;
}

void *sim_phys_to_virt(struct sim_machine *m, phys_addr_t phys)
{
	struct sim_ram_region *r = sim_ram_region_of(m, phys, 1);

	return r ? r->cpu + (phys - r->base) : NULL;
}

void *sim_phys_to_uncached(struct sim_machine *m, phys_addr_t phys)
{
	struct sim_ram_region *r = sim_ram_region_of(m, phys, 1);

	if (!r)
		return NULL;
	return (r->mem ? r->mem : r->cpu) + (phys - r->base);
}

/**
 * sim_ram_set_shared - a confidential guest shares pages with the host
 * @m: the machine
 * @phys: first byte, @len bytes (whole pages are affected)
 * @shared: true: devices may reach them; false: private again
 *
 * The hardware side of set_memory_decrypted()/set_memory_encrypted() (the
 * MapGPA / page-state change a guest requests). Does nothing on a machine
 * that is not a confidential guest, or outside RAM.
 */
void sim_ram_set_shared(struct sim_machine *m, phys_addr_t phys, u64 len,
			bool shared)
{
	for (phys_addr_t p = ALIGN_DOWN(phys, PAGE_SIZE); p < phys + len;
	     p += PAGE_SIZE) {
		struct sim_ram_region *r = sim_ram_region_of(m, p, 1);
		unsigned long pg;

		if (!r || !r->shared)
			continue;
		pg = (p - r->base) >> PAGE_SHIFT;
		if (shared)
			__atomic_fetch_or(&r->shared[pg / 8], 1u << (pg % 8),
					  __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&r->shared[pg / 8],
					   (u8)~(1u << (pg % 8)),
					   __ATOMIC_RELAXED);
	}
}

/* Is the page at @phys shared with the host? Always, outside a CC guest. */
bool sim_ram_is_shared(struct sim_machine *m, phys_addr_t phys)
{
	struct sim_ram_region *r = sim_ram_region_of(m, phys, 1);
	unsigned long pg;

	if (!r || !r->shared)
		return r != NULL;
	pg = (phys - r->base) >> PAGE_SHIFT;
	return __atomic_load_n(&r->shared[pg / 8], __ATOMIC_RELAXED) &
	       (1u << (pg % 8));
}
