/* SPDX-License-Identifier: MIT */
/*
 * MMIO as drivers do it: ioremap() or pci_iomap() give an __iomem cookie,
 * and readl()/writel() and the rest reach the device through it (CPU MMIO
 * of the machine: the BAR must decode, a model's registers run). The
 * cookie is an address of the host that nothing backs: dereferencing it
 * directly, which sparse forbids in the kernel, faults here.
 *
 * A cookie belongs to the machine that was current when it was made, and
 * the accessors look it up there (the calling thread's current machine,
 * or the one whose interrupt handler runs). An access through something
 * that is not a mapping of that machine is a BUG report and reads all
 * ones.
 */
#ifndef _DMASTACK_LINUX_IO_H
#define _DMASTACK_LINUX_IO_H

#include "types.h"
#include "byteorder/generic.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __iomem
#define __iomem
#endif

struct pci_dev;

void __iomem *ioremap(phys_addr_t phys, size_t size);
#define ioremap_wc(phys, size)		ioremap(phys, size)
#define ioremap_uc(phys, size)		ioremap(phys, size)
#define ioremap_np(phys, size)		ioremap(phys, size)
void iounmap(volatile void __iomem *addr);

/* BAR @bar of @dev, at most @maxlen bytes of it (0: all). */
void __iomem *pci_iomap(struct pci_dev *dev, int bar, unsigned long maxlen);
void pci_iounmap(struct pci_dev *dev, void __iomem *addr);

u8 readb(const volatile void __iomem *addr);
u16 readw(const volatile void __iomem *addr);
u32 readl(const volatile void __iomem *addr);
u64 readq(const volatile void __iomem *addr);
void writeb(u8 val, volatile void __iomem *addr);
void writew(u16 val, volatile void __iomem *addr);
void writel(u32 val, volatile void __iomem *addr);
void writeq(u64 val, volatile void __iomem *addr);
void memcpy_fromio(void *dst, const volatile void __iomem *src, size_t n);
void memcpy_toio(volatile void __iomem *dst, const void *src, size_t n);
void memset_io(volatile void __iomem *dst, int c, size_t n);

/* MMIO is strongly ordered here: the relaxed forms are the same. */
#define readb_relaxed(a)	readb(a)
#define readw_relaxed(a)	readw(a)
#define readl_relaxed(a)	readl(a)
#define readq_relaxed(a)	readq(a)
#define writeb_relaxed(v, a)	writeb(v, a)
#define writew_relaxed(v, a)	writew(v, a)
#define writel_relaxed(v, a)	writel(v, a)
#define writeq_relaxed(v, a)	writeq(v, a)
#define ioread8(a)		readb(a)
#define ioread16(a)		readw(a)
#define ioread32(a)		readl(a)
#define ioread64(a)		readq(a)
#define iowrite8(v, a)		writeb(v, a)
#define iowrite16(v, a)		writew(v, a)
#define iowrite32(v, a)		writel(v, a)
#define iowrite64(v, a)		writeq(v, a)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_IO_H */
