// SPDX-License-Identifier: MIT
/*
 * swiotlb: bounce buffering through a pool of 2 KiB slots in low memory.
 *
 * The pool is split into areas, each with its own lock and search cursor;
 * a mapping starts its search in the area of the "CPU" it runs on: the
 * calling thread's index in the machine (sim_thread_id(), hw/thread.c),
 * never the host CPU, so bounce addresses depend only on the program and
 * the platform, as the kernel's depend on its CPU numbers. Inside an
 * area every slot records how many free slots follow it up to the end of
 * its 128-slot segment, so one lookup tells whether a run of N slots fits
 * and no mapping crosses a segment. A mapping keeps the low bits of the
 * original address that the device's min_align_mask asks for, and mappings
 * of a page or more start on a page boundary.
 *
 * Data moves at map (always: the device may write only part of the buffer),
 * at sync for the device (TO_DEVICE, BIDIRECTIONAL), at sync for the CPU and
 * at unmap (FROM_DEVICE, BIDIRECTIONAL), as the kernel does.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define INVALID_PHYS_ADDR	(~(phys_addr_t)0)

struct io_tlb_slot {
	phys_addr_t orig_addr;
	size_t alloc_size;
	unsigned short list;
	unsigned short pad_slots;
};

struct io_tlb_area {
	pthread_mutex_t lock;
	unsigned long index;
	unsigned long used;
};

struct io_tlb_mem {
	struct sim_machine *m;
	phys_addr_t start, end;
	unsigned long nslabs;
	unsigned int nareas;
	unsigned long area_nslabs;
	bool force_bounce;
	struct io_tlb_area *areas;
	struct io_tlb_slot *slots;
	_Atomic unsigned long used_hiwater;
};

static inline unsigned int io_tlb_offset(unsigned long idx)
{
	return idx & (IO_TLB_SEGSIZE - 1);
}

static inline unsigned int nr_slots(u64 val)
{
	return (unsigned int)DIV_ROUND_UP(val, IO_TLB_SIZE);
}

static inline phys_addr_t slot_addr(phys_addr_t start, unsigned long idx)
{
	return start + ((phys_addr_t)idx << IO_TLB_SHIFT);
}

int swiotlb_init_machine(struct sim_machine *m)
{
	struct io_tlb_mem *mem;
	phys_addr_t start;
	unsigned int nareas;

	if (!m->swiotlb_size)
		return 0;
	if (m->ram_below_4g < m->swiotlb_size + 16 * SZ_1M)
		return -ENOMEM;
	mem = sim_kzalloc(m, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->m = m;
	mem->nslabs = m->swiotlb_size >> IO_TLB_SHIFT;
	nareas = m->swiotlb_areas;
	if (!nareas) {
		nareas = 1;
		while (nareas < m->ncpus)
			nareas <<= 1;
	}
	/* Every area must hold at least one segment. */
	while (nareas > 1 && mem->nslabs / nareas < IO_TLB_SEGSIZE)
		nareas >>= 1;
	mem->nareas = nareas;
	mem->area_nslabs = mem->nslabs / nareas;
	mem->areas = sim_kcalloc(m, nareas, sizeof(*mem->areas));
	mem->slots = sim_kcalloc(m, mem->nslabs, sizeof(*mem->slots));
	if (!mem->areas || !mem->slots) {
		sim_kfree(m, mem->areas);
		sim_kfree(m, mem->slots);
		sim_kfree(m, mem);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < nareas; i++)
		pthread_mutex_init(&mem->areas[i].lock, NULL);
	for (unsigned long i = 0; i < mem->nslabs; i++) {
		mem->slots[i].list = IO_TLB_SEGSIZE - io_tlb_offset(i);
		mem->slots[i].orig_addr = INVALID_PHYS_ADDR;
	}
	/* At the top of memory below 4 GiB, like memblock_alloc_low(). */
	start = ALIGN_DOWN(m->ram_below_4g - m->swiotlb_size, SZ_2M);
	mem->start = start;
	mem->end = start + m->swiotlb_size;
	mem->force_bounce = m->swiotlb_force;
	sim_ram_reserve(m, start, m->swiotlb_size);
	/* In a confidential guest the pool is the memory shared with the host. */
	sim_ram_set_shared(m, start, m->swiotlb_size, true);
	m->kernel->swiotlb = mem;
	m->kernel->swiotlb_present = true;
	for (unsigned int i = 0; i < m->nr_devices; i++)
		m->devices[i]->dma_io_tlb_mem = mem;
	return 0;
}

void swiotlb_exit_machine(struct sim_machine *m)
{
	struct io_tlb_mem *mem = m->kernel->swiotlb;

	if (!mem)
		return;
	for (unsigned int i = 0; i < mem->nareas; i++)
		pthread_mutex_destroy(&mem->areas[i].lock);
	sim_kfree(m, mem->areas);
	sim_kfree(m, mem->slots);
	sim_kfree(m, mem);
	m->kernel->swiotlb = NULL;
}

int swiotlb_range(struct sim_machine *m, phys_addr_t *start, u64 *size)
{
	if (!m->kernel->swiotlb)
		return -ENOENT;
	*start = m->kernel->swiotlb->start;
	*size = m->kernel->swiotlb->end - m->kernel->swiotlb->start;
	return 0;
}

bool sim_phys_is_swiotlb(struct sim_machine *m, phys_addr_t phys)
{
	return m->kernel->swiotlb && phys >= m->kernel->swiotlb->start && phys < m->kernel->swiotlb->end;
}

bool is_swiotlb_active(struct device *dev)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem && mem->nslabs;
}

bool is_swiotlb_force_bounce(struct device *dev)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem && mem->force_bounce;
}

bool is_swiotlb_buffer(struct device *dev, phys_addr_t paddr)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem && paddr >= mem->start && paddr < mem->end;
}

size_t swiotlb_max_mapping_size(struct device *dev)
{
	unsigned int min_align_mask = dma_get_min_align_mask(dev);
	size_t min_align = 0;

	if (min_align_mask)
		min_align = ALIGN((size_t)min_align_mask, IO_TLB_SIZE);
	return (size_t)IO_TLB_SIZE * IO_TLB_SEGSIZE - min_align;
}

unsigned long swiotlb_nslabs(struct device *dev)
{
	return dev->dma_io_tlb_mem ? dev->dma_io_tlb_mem->nslabs : 0;
}

static unsigned long mem_used(struct io_tlb_mem *mem)
{
	unsigned long used = 0;

	for (unsigned int i = 0; i < mem->nareas; i++)
		used += __atomic_load_n(&mem->areas[i].used, __ATOMIC_RELAXED);
	return used;
}

unsigned long swiotlb_used(struct device *dev)
{
	return dev->dma_io_tlb_mem ? mem_used(dev->dma_io_tlb_mem) : 0;
}

unsigned int swiotlb_nareas(struct device *dev)
{
	return dev->dma_io_tlb_mem ? dev->dma_io_tlb_mem->nareas : 0;
}

/* The bits of the original address a mapping must keep in its slot. */
static unsigned int swiotlb_align_offset(struct device *dev,
					 unsigned int align_mask, u64 addr)
{
	return addr & dma_get_min_align_mask(dev) &
	       (align_mask | (IO_TLB_SIZE - 1));
}

/*
 * Search one area for @nslots free slots whose address satisfies the
 * alignment; marks them used and returns the first index, or -1.
 */
static long area_find_slots(struct device *dev, struct io_tlb_mem *mem,
			    unsigned int a, phys_addr_t orig_addr,
			    size_t alloc_size, unsigned int alloc_align_mask)
{
	struct io_tlb_area *area = &mem->areas[a];
	unsigned int iotlb_align_mask = dma_get_min_align_mask(dev);
	unsigned int nslots = nr_slots(alloc_size), stride;
	unsigned int offset = swiotlb_align_offset(dev, 0, orig_addr);
	unsigned long base = a * mem->area_nslabs, index, checked;
	long found = -1;

	/*
	 * Mappings of a page or more without any other alignment requirement
	 * start on a page boundary (kernel 6.9+: the slot itself is page
	 * aligned, not merely congruent with the original address).
	 */
	if (!alloc_align_mask && !iotlb_align_mask && alloc_size >= PAGE_SIZE)
		alloc_align_mask = PAGE_SIZE - 1;
	alloc_align_mask |= IO_TLB_SIZE - 1;
	iotlb_align_mask &= ~alloc_align_mask;
	stride = nr_slots((u64)max(alloc_align_mask, iotlb_align_mask) + 1);
	if (!stride)
		stride = 1;

	pthread_mutex_lock(&area->lock);
	if (nslots > IO_TLB_SEGSIZE || nslots > mem->area_nslabs - area->used)
		goto out;
	index = area->index;
	for (checked = 0; checked < mem->area_nslabs;) {
		unsigned long slot = base + index;
		phys_addr_t tlb = slot_addr(mem->start, slot);

		if ((tlb & alloc_align_mask) ||
		    (orig_addr && (tlb & iotlb_align_mask) !=
					  (orig_addr & iotlb_align_mask))) {
			index = (index + 1) % mem->area_nslabs;
			checked++;
			continue;
		}
		if (mem->slots[slot].list >= nslots) {
			found = (long)slot;
			break;
		}
		index = (index + stride) % mem->area_nslabs;
		checked += stride;
	}
	if (found >= 0) {
		unsigned long s = (unsigned long)found;
		unsigned short count = 0;

		for (unsigned long i = s; i < s + nslots; i++) {
			mem->slots[i].list = 0;
			mem->slots[i].alloc_size =
				alloc_size - (offset + ((i - s) << IO_TLB_SHIFT));
		}
		/* Free slots before the run now reach only up to it. */
		for (long i = (long)s - 1;
		     i >= 0 && io_tlb_offset((unsigned long)i) != IO_TLB_SEGSIZE - 1 &&
		     mem->slots[i].list;
		     i--)
			mem->slots[i].list = ++count;
		area->index = (index + nslots) % mem->area_nslabs;
		/* read locklessly by mem_used() */
		__atomic_fetch_add(&area->used, nslots, __ATOMIC_RELAXED);
	}
out:
	pthread_mutex_unlock(&area->lock);
	return found;
}

static long swiotlb_find_slots(struct device *dev, struct io_tlb_mem *mem,
			       phys_addr_t orig_addr, size_t alloc_size,
			       unsigned int alloc_align_mask)
{
	int cpu = sim_thread_id(dev->sim);	/* raw_smp_processor_id() */
	unsigned int start = (cpu < 0 ? 0 : (unsigned int)cpu) & (mem->nareas - 1);

	for (unsigned int i = 0; i < mem->nareas; i++) {
		unsigned int a = (start + i) & (mem->nareas - 1);
		long idx = area_find_slots(dev, mem, a, orig_addr, alloc_size,
					   alloc_align_mask);

		if (idx >= 0) {
			unsigned long used = mem_used(mem);
			unsigned long hi = atomic_load(&mem->used_hiwater);

			while (used > hi &&
			       !atomic_compare_exchange_weak(&mem->used_hiwater,
							     &hi, used))
				;
			return idx;
		}
	}
	return -1;
}

/* Copy between the original buffer and its bounce slots, through the CPU. */
static void swiotlb_bounce(struct device *dev, phys_addr_t tlb_addr,
			   size_t size, enum dma_data_direction dir)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	struct sim_machine *m = dev->sim;
	unsigned long index = (tlb_addr - mem->start) >> IO_TLB_SHIFT;
	phys_addr_t orig_addr = mem->slots[index].orig_addr;
	size_t alloc_size = mem->slots[index].alloc_size;
	unsigned long tlb_offset;

	if (orig_addr == INVALID_PHYS_ADDR)
		return;
	tlb_offset = (tlb_addr & (IO_TLB_SIZE - 1)) -
		     swiotlb_align_offset(dev, 0, orig_addr);
	orig_addr += tlb_offset;
	alloc_size -= tlb_offset;
	if (size > alloc_size) {
		SIM_WARN(m, dev,
			 "%s %s: Buffer overflow detected. Allocation size: %zu. Mapping size: %zu.",
			 dev_driver_string(dev), dev_name(dev), alloc_size, size);
		size = alloc_size;
	}
	if (dir == DMA_TO_DEVICE)
		sim_ram_cpu_copy(m, tlb_addr, orig_addr, size);
	else
		sim_ram_cpu_copy(m, orig_addr, tlb_addr, size);
	atomic_fetch_add(&m->kernel->stats.bounced_bytes, size);
}

/**
 * swiotlb_tbl_map_single - bounce @mapping_size bytes at @orig_addr
 *
 * Returns the physical address of the bounce buffer or DMA_MAPPING_ERROR
 * (reported "swiotlb buffer is full" unless DMA_ATTR_NO_WARN). Takes one
 * area lock.
 */
phys_addr_t __swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig_addr,
				     size_t mapping_size, size_t alloc_size,
				     unsigned int alloc_align_mask,
				     enum dma_data_direction dir,
				     unsigned long attrs)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	struct sim_machine *m = dev->sim;
	unsigned int offset, pad_slots;
	long index;
	phys_addr_t tlb_addr;

	(void)dir;
	if (!mem || !mem->nslabs) {
		sim_dev_warn(dev, "%s %s: Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer",
			 dev_driver_string(dev), dev_name(dev));
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}
	if (mapping_size > alloc_size) {
		SIM_WARN(m, dev, "%s %s: Invalid sizes (mapping: %zd bytes, alloc: %zd bytes)",
			 dev_driver_string(dev), dev_name(dev), mapping_size,
			 alloc_size);
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}
	offset = swiotlb_align_offset(dev, alloc_align_mask, orig_addr);
	index = swiotlb_find_slots(dev, mem, orig_addr, alloc_size + offset,
				   alloc_align_mask);
	if (index < 0) {
		atomic_fetch_add(&m->kernel->stats.swiotlb_full, 1);
		if (!(attrs & DMA_ATTR_NO_WARN))
			sim_dev_warn(dev, "%s %s: swiotlb buffer is full (sz: %zd bytes), total %lu (slots), used %lu (slots)",
				 dev_driver_string(dev), dev_name(dev),
				 alloc_size, mem->nslabs, mem_used(mem));
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}
	/* Slots skipped to reach the aligned offset are remembered as padding. */
	pad_slots = offset >> IO_TLB_SHIFT;
	offset &= IO_TLB_SIZE - 1;
	index += pad_slots;
	mem->slots[index].pad_slots = (unsigned short)pad_slots;
	for (unsigned int i = 0; i < nr_slots(alloc_size + offset); i++)
		mem->slots[index + i].orig_addr = orig_addr + ((phys_addr_t)i << IO_TLB_SHIFT);
	tlb_addr = slot_addr(mem->start, (unsigned long)index) + offset;
	/*
	 * Bounced mappings always need syncs from now on (the kernel's
	 * dma_reset_need_sync()); reset once, concurrent mappers may race here.
	 */
	if (__atomic_load_n(&dev->dma_skip_sync, __ATOMIC_RELAXED))
		__atomic_store_n(&dev->dma_skip_sync, false, __ATOMIC_RELAXED);
	swiotlb_bounce(dev, tlb_addr, mapping_size, DMA_TO_DEVICE);
	atomic_fetch_add(&m->kernel->stats.bounced_maps, 1);
	return tlb_addr;
}

phys_addr_t swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig_addr,
				   size_t mapping_size,
				   unsigned int alloc_align_mask,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	return __swiotlb_tbl_map_single(dev, orig_addr, mapping_size,
					mapping_size, alloc_align_mask, dir,
					attrs);
}

static void swiotlb_release_slots(struct device *dev, phys_addr_t tlb_addr)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	unsigned int offset = swiotlb_align_offset(dev, 0, tlb_addr);
	unsigned long index = (tlb_addr - offset - mem->start) >> IO_TLB_SHIFT;
	unsigned int nslots, aindex;
	struct io_tlb_area *area;
	unsigned short count;

	if (mem->slots[index].orig_addr == INVALID_PHYS_ADDR ||
	    index < mem->slots[index].pad_slots) {
		SIM_BUG(dev->sim, dev,
			"swiotlb: unmap of %#llx, which is not a mapped bounce buffer",
			(unsigned long long)tlb_addr);
		return;
	}
	index -= mem->slots[index].pad_slots;
	nslots = nr_slots(mem->slots[index].alloc_size + offset);
	aindex = (unsigned int)(index / mem->area_nslabs);
	area = &mem->areas[aindex];

	pthread_mutex_lock(&area->lock);
	if (index + nslots < ALIGN(index + 1, IO_TLB_SEGSIZE))
		count = mem->slots[index + nslots].list;
	else
		count = 0;
	for (long i = (long)(index + nslots - 1); i >= (long)index; i--) {
		mem->slots[i].list = ++count;
		mem->slots[i].orig_addr = INVALID_PHYS_ADDR;
		mem->slots[i].alloc_size = 0;
		mem->slots[i].pad_slots = 0;
	}
	for (long i = (long)index - 1;
	     i >= 0 && io_tlb_offset((unsigned long)i) != IO_TLB_SEGSIZE - 1 &&
	     mem->slots[i].list;
	     i--)
		mem->slots[i].list = ++count;
	__atomic_fetch_sub(&area->used, nslots, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&area->lock);
}

void swiotlb_tbl_unmap_single(struct device *dev, phys_addr_t tlb_addr,
			      size_t mapping_size,
			      enum dma_data_direction dir,
			      unsigned long attrs)
{
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		swiotlb_bounce(dev, tlb_addr, mapping_size, DMA_FROM_DEVICE);
	swiotlb_release_slots(dev, tlb_addr);
}

void swiotlb_sync_single_for_device(struct device *dev, phys_addr_t tlb_addr,
				    size_t size, enum dma_data_direction dir)
{
	if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL)
		swiotlb_bounce(dev, tlb_addr, size, DMA_TO_DEVICE);
}

void swiotlb_sync_single_for_cpu(struct device *dev, phys_addr_t tlb_addr,
				 size_t size, enum dma_data_direction dir)
{
	if (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL)
		swiotlb_bounce(dev, tlb_addr, size, DMA_FROM_DEVICE);
}

/**
 * swiotlb_map - bounce a streaming mapping and return its DMA address
 *
 * Fails (with the kernel's "swiotlb addr ... overflow" warning) when the
 * bounce buffer itself is beyond the device's mask.
 */
dma_addr_t swiotlb_map(struct device *dev, phys_addr_t paddr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs)
{
	phys_addr_t swiotlb_addr;
	dma_addr_t dma_addr;

	trace_swiotlb_bounced(dev, phys_to_dma(dev, paddr), size,
			      is_swiotlb_force_bounce(dev));
	swiotlb_addr = swiotlb_tbl_map_single(dev, paddr, size, 0, dir, attrs);
	if (swiotlb_addr == (phys_addr_t)DMA_MAPPING_ERROR)
		return DMA_MAPPING_ERROR;

	dma_addr = phys_to_dma(dev, swiotlb_addr);
	if (unlikely(!dma_capable(dev, dma_addr, size, true))) {
		swiotlb_tbl_unmap_single(dev, swiotlb_addr, size, dir,
					 attrs | DMA_ATTR_SKIP_CPU_SYNC);
		sim_dev_warn(dev, "%s %s: swiotlb addr %#llx+%zu overflow (mask %llx, bus limit %llx).",
			 dev_driver_string(dev), dev_name(dev),
			 (unsigned long long)dma_addr, size,
			 (unsigned long long)*dev->dma_mask,
			 (unsigned long long)dev->bus_dma_limit);
		return DMA_MAPPING_ERROR;
	}
	if (!dev_is_dma_coherent(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(dev, swiotlb_addr, size, dir);
	return dma_addr;
}
