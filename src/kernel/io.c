// SPDX-License-Identifier: MIT
/*
 * ioremap() and the MMIO accessors (include/dmastack/linux/io.h). A
 * mapping is a range of host address space reserved with no access (so a
 * direct dereference faults, as sparse would have caught) and recorded in
 * the machine's list, which readl() and the rest search to find the CPU
 * physical address they then access with the machine's CPU MMIO.
 *
 * Drivers hit the same few mappings over and over, so each thread keeps a
 * copy of the last mapping it found (a per-CPU cache's analogue), valid
 * while no iounmap() has happened since: a hit takes no lock and touches
 * no shared line but the generation, which only iounmap() writes.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include "internal.h"

struct iomap {
	u8 *cookie;
	size_t size;		/* reserved (pages) */
	size_t len;		/* mapped: the page offset and the size asked */
	phys_addr_t phys;
	struct iomap *next;
};

/* A thread's last look-up: a copy, so a hit never reads a freed mapping. */
struct iomap_hint {
	_Alignas(64) u64 gen;		/* io->gen when it was taken; 0 none */
	const u8 *cookie;
	size_t len;
	phys_addr_t phys;
};

struct sim_iomaps {
	pthread_mutex_t lock;
	struct iomap *head;
	_Atomic u64 gen;		/* bumped by every iounmap() */
	struct iomap_hint hint[SIM_MAX_THREADS];
};

int sim_iomap_init_machine(struct sim_machine *m)
{
	struct sim_iomaps *io = sim_kzalloc(m, sizeof(*io));

	if (!io)
		return -ENOMEM;
	pthread_mutex_init(&io->lock, NULL);
	atomic_init(&io->gen, 1);
	m->kernel->iomaps = io;
	return 0;
}

/* Mappings a driver left behind go with the machine. */
void sim_iomap_exit_machine(struct sim_machine *m)
{
	struct sim_iomaps *io = m->kernel->iomaps;

	if (!io)
		return;
	while (io->head) {
		struct iomap *map = io->head;

		io->head = map->next;
		munmap(map->cookie, map->size);
		sim_kfree(m, map);
	}
	pthread_mutex_destroy(&io->lock);
	sim_kfree(m, io);
	m->kernel->iomaps = NULL;
}

static void __iomem *iomap_new(struct sim_machine *m, phys_addr_t phys,
			       size_t size)
{
	struct sim_iomaps *io = m && m->kernel ? m->kernel->iomaps : NULL;
	struct iomap *map;
	size_t off = phys & (PAGE_SIZE - 1);
	void *va;

	if (!io || !size || phys + size < phys)
		return NULL;
	map = sim_kzalloc(m, sizeof(*map));
	if (!map)
		return NULL;
	map->size = ALIGN(size + off, PAGE_SIZE);
	map->len = size + off;
	va = mmap(NULL, map->size, PROT_NONE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (va == MAP_FAILED) {
		sim_kfree(m, map);
		return NULL;
	}
	map->cookie = va;
	map->phys = phys - off;
	pthread_mutex_lock(&io->lock);
	map->next = io->head;
	io->head = map;
	pthread_mutex_unlock(&io->lock);
	return (u8 *)va + off;
}

/**
 * ioremap - a cookie for MMIO at @phys on the current machine
 * @phys: CPU physical address (a BAR's)
 * @size: bytes
 *
 * Nothing is checked against the BARs here: an access where no BAR
 * decodes is reported when it happens, as on hardware.
 *
 * Return: the cookie, or NULL (no current machine, @size 0 or wrapping,
 * out of memory).
 */
void __iomem *ioremap(phys_addr_t phys, size_t size)
{
	return iomap_new(sim_current_machine(), phys, size);
}

void __iomem *pci_iomap(struct pci_dev *dev, int bar, unsigned long maxlen)
{
	resource_size_t len;

	if (!dev || bar < 0 || bar >= PCI_STD_NUM_BARS)
		return NULL;
	len = pci_resource_len(dev, bar);
	if (!len)
		return NULL;
	if (maxlen && maxlen < len)
		len = maxlen;
	return iomap_new(dev->dev.sim, pci_resource_start(dev, bar), len);
}

/* The mapping of @m holding @addr..@addr+@len (io->lock held), or NULL. */
static struct iomap **iomap_find(struct sim_iomaps *io,
				 const volatile void *addr, size_t len)
{
	const u8 *a = (const u8 *)addr;

	for (struct iomap **pp = &io->head; *pp; pp = &(*pp)->next) {
		struct iomap *map = *pp;

		if (a >= map->cookie && a < map->cookie + map->len &&
		    len <= (size_t)(map->cookie + map->len - a))
			return pp;
	}
	return NULL;
}

void iounmap(volatile void __iomem *addr)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_iomaps *io = m && m->kernel ? m->kernel->iomaps : NULL;
	struct iomap **pp, *map = NULL;

	if (!addr || !io)
		return;
	pthread_mutex_lock(&io->lock);
	pp = iomap_find(io, addr, 1);
	if (pp) {
		map = *pp;
		*pp = map->next;
		/* every thread's hint is stale from now on */
		atomic_fetch_add(&io->gen, 1);
	}
	pthread_mutex_unlock(&io->lock);
	if (!map) {
		SIM_BUG(m, NULL, "iounmap: bad address %p", (void *)addr);
		return;
	}
	munmap(map->cookie, map->size);
	sim_kfree(m, map);
}

void pci_iounmap(struct pci_dev *dev, void __iomem *addr)
{
	struct sim_machine *prev;

	if (!dev)
		return;
	prev = sim_set_current_machine(dev->dev.sim);
	iounmap(addr);
	sim_set_current_machine(prev);
}

/* The physical address of @addr on the current machine, or -1 (reported). */
static phys_addr_t io_phys(struct sim_machine **mp, const volatile void *addr,
			   size_t len, const char *who)
{
	struct sim_machine *m = sim_current_machine();
	struct sim_iomaps *io = m && m->kernel ? m->kernel->iomaps : NULL;
	const u8 *a = (const u8 *)addr;
	struct iomap_hint *h = NULL;
	struct iomap **pp;
	phys_addr_t phys = (phys_addr_t)-1;
	u64 gen;
	int id;

	*mp = m;
	if (!io)
		return phys;
	id = sim_thread_id(m);
	gen = atomic_load_explicit(&io->gen, memory_order_acquire);
	if (likely(id >= 0)) {
		h = &io->hint[id];
		if (h->gen == gen && a >= h->cookie && a < h->cookie + h->len &&
		    len <= (size_t)(h->cookie + h->len - a))
			return h->phys + (u64)(a - h->cookie);
	}
	pthread_mutex_lock(&io->lock);
	pp = iomap_find(io, addr, len);
	if (pp) {
		phys = (*pp)->phys + (u64)(a - (*pp)->cookie);
		if (h) {
			h->cookie = (*pp)->cookie;
			h->len = (*pp)->len;
			h->phys = (*pp)->phys;
			/* under the lock: no iounmap() since this gen */
			h->gen = atomic_load(&io->gen);
		}
	}
	pthread_mutex_unlock(&io->lock);
	if (phys == (phys_addr_t)-1)
		SIM_BUG(m, NULL, "%s: %p+%zu is not ioremap()ed memory of this machine",
			who, (const void *)addr, len);
	return phys;
}

static void io_read(const volatile void *addr, void *buf, size_t len,
		    const char *who)
{
	struct sim_machine *m;
	phys_addr_t phys = io_phys(&m, addr, len, who);

	if (phys == (phys_addr_t)-1 || sim_mmio_read(m, phys, buf, len))
		memset(buf, 0xff, len);
}

static void io_write(volatile void *addr, const void *buf, size_t len,
		     const char *who)
{
	struct sim_machine *m;
	phys_addr_t phys = io_phys(&m, addr, len, who);

	if (phys != (phys_addr_t)-1)
		sim_mmio_write(m, phys, buf, len);
}

#define IO_READ(name, type)						\
type name(const volatile void __iomem *addr)				\
{									\
	type v;								\
									\
	io_read(addr, &v, sizeof(v), #name);				\
	return v;							\
}
#define IO_WRITE(name, type)						\
void name(type val, volatile void __iomem *addr)			\
{									\
	io_write(addr, &val, sizeof(val), #name);			\
}

IO_READ(readb, u8)
IO_READ(readw, u16)
IO_READ(readl, u32)
IO_READ(readq, u64)
IO_WRITE(writeb, u8)
IO_WRITE(writew, u16)
IO_WRITE(writel, u32)
IO_WRITE(writeq, u64)

void memcpy_fromio(void *dst, const volatile void __iomem *src, size_t n)
{
	if (n)
		io_read(src, dst, n, "memcpy_fromio");
}

void memcpy_toio(volatile void __iomem *dst, const void *src, size_t n)
{
	if (n)
		io_write(dst, src, n, "memcpy_toio");
}

void memset_io(volatile void __iomem *dst, int c, size_t n)
{
	u8 buf[256];

	memset(buf, c, sizeof(buf));
	for (size_t done = 0; done < n; done += sizeof(buf)) {
		size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);

		io_write((volatile u8 *)dst + done, buf, k, "memset_io");
	}
}
