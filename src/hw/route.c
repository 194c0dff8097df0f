// SPDX-License-Identifier: MIT
/*
 * Device-side DMA: every transaction a device makes is routed the way the
 * PCIe fabric would route it, split at 4 KiB boundaries as TLPs are:
 *
 *  - up from the endpoint, port by port; below a switch, a request whose
 *    address is a peer's BAR goes straight across unless the ingress
 *    downstream port has ACS P2P Request Redirect;
 *  - everything else reaches the root complex, where the device's IOMMU
 *    domain translates it (IOTLB first, then a walk of the page table in
 *    RAM; a miss or a permission failure is an IOMMU fault, -EFAULT), and
 *    the result goes to a BAR anywhere (forwarded only if the host bridges
 *    allow peer-to-peer) or to DRAM; without translation the bus address
 *    goes through the bridge's DRAM offset and DMA limit;
 *  - the target must decode: RAM, or a BAR whose function has memory
 *    decoding on and is in D0 and not in reset.
 *
 * Failures return -EIO (unsupported request, master abort, BAR not
 * decoding) and are recorded with who, where and why. Every TLP that
 * reaches RAM or a BAR is offered to the machine's bus observers
 * (src/hw/bus.h) before data moves: that is how dma-debug checks device
 * accesses against live mappings and how an access to MMIO whose dma-buf
 * export was revoked gets reported. The router names none of them; an
 * observer may add a note to the failure report of a BAR that does not
 * decode.
 */
#include <string.h>
#include "hw/machine.h"

static u16 cmd_of(struct sim_pci_fn *fn)
{
	return sim_pci_fn_command(fn);
}

static bool is_below(struct sim_node *n, struct sim_node *ancestor)
{
	for (; n; n = n->parent)
		if (n == ancestor)
			return true;
	return false;
}

static void dma_vreport(struct device *dev, dma_addr_t addr, size_t len,
			bool write, const char *fmt, va_list ap)
{
	struct sim_machine *m = dev->sim;
	char why[320];

	vsnprintf(why, sizeof(why), fmt, ap);
	atomic_fetch_add(&m->stats.dma_access_errors, 1);
	sim_report(m, SIM_REPORT_DMA_FAULT, dev, addr, len,
		   "%s %s (%s): DMA %s %#llx+%zu failed: %s",
		   dev_driver_string(dev), dev_name(dev), sim_device_id(dev),
		   write ? "write to" : "read from", (unsigned long long)addr,
		   len, why);
}

static int dma_fault(struct device *dev, dma_addr_t addr, size_t len,
		     bool write, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int dma_fault(struct device *dev, dma_addr_t addr, size_t len,
		     bool write, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dma_vreport(dev, addr, len, write, fmt, ap);
	va_end(ap);
	return -EIO;
}

/* Find a BAR by bus address among the host bridges' windows. */
static struct sim_bar *bar_by_bus(struct sim_machine *m, u64 bus, size_t len,
				  struct sim_node **owner)
{
	for (unsigned int i = 0; i < m->nr_hostbridges; i++) {
		struct sim_node *hbn = m->hostbridges[i];
		struct sim_hostbridge *hb = hbn->hostbridge;

		for (int k = 0; k < 2; k++) {
			struct sim_window *w = k ? &hb->win64 : &hb->win32;
			u64 wbus = w->cpu_start - w->offset;
			struct sim_bar *bar;

			if (!w->size || bus < wbus || bus - wbus >= w->size)
				continue;
			bar = sim_bar_find(m, bus + w->offset, len, owner);
			if (bar && (*owner)->hb == hbn)
				return bar;
		}
	}
	return NULL;
}

/* One device access (sim_dma_read/write call), split into TLPs. */
struct access {
	struct sim_bus_txn txn;
	struct sim_node *node;
};

/* ------------------------------------------------------- BAR access --- */

static int bar_access(struct access *acc, struct sim_node *owner,
		      struct sim_bar *bar, u64 cpu, void *buf, size_t len,
		      dma_addr_t addr, const char *path, bool via_root)
{
	struct device *dev = acc->txn.dev;
	bool write = acc->txn.write;
	char note[200] = "";
	int ret;
	struct sim_bus_access a = {
		.txn = &acc->txn,
		.addr = addr,
		.phys = cpu,
		.len = len,
		.target = SIM_BUS_BAR,
		.via_root = via_root,
		.coherent = acc->node->coherent,
		.owner = &owner->fn->pdev.dev,
		.bar = bar->index,
		.decodes = sim_bar_decodes(owner),
		.path = path,
		.note = note,
		.note_len = sizeof(note),
	};

	sim_bus_offer(dev->sim, &a);
	if (!a.decodes)
		return dma_fault(dev, addr, len, write,
				 "%s bar%d (%s) is not decoding: memory %s, %s%s%s%s%s",
				 owner->id, bar->index, path,
				 (cmd_of(owner->fn) & PCI_COMMAND_MEMORY) ?
					 "enabled" : "disabled",
				 sim_pci_fn_d_state(owner->fn) == PCI_D0 ?
					 "D0" : "D3hot",
				 sim_pci_fn_in_reset(owner->fn) ? ", in reset" : "",
				 sim_pci_fn_vf_note(owner->fn),
				 note[0] ? "; " : "", note);
	/*
	 * The data goes where a CPU access's would: a register BAR's model
	 * handlers (a peer's doorbell write reaches the model), the MSI-X
	 * table, or the backing store.
	 */
	ret = sim_bar_io(owner, bar, cpu - bar->cpu_start, buf, len, write);
	if (ret)
		return dma_fault(dev, addr, len, write,
				 "%s bar%d (%s) refused the %s at offset %#llx: %s",
				 owner->id, bar->index, path,
				 write ? "write" : "read",
				 (unsigned long long)(cpu - bar->cpu_start),
				 strerror(-ret));
	return 0;
}

/* DRAM behind the root complex, as this device's host bridge maps it. */
static bool dram_of(struct device *dev, struct sim_hostbridge *hb, u64 bus,
		    size_t len, phys_addr_t *phys)
{
	phys_addr_t p = bus;

	if (hb->dma_map[0].size) {
		p = (phys_addr_t)-1;
		for (int i = 0; i < 2 && hb->dma_map[i].size; i++)
			if (bus >= hb->dma_map[i].dma_start &&
			    bus - hb->dma_map[i].dma_start < hb->dma_map[i].size)
				p = bus - hb->dma_map[i].dma_start +
				    hb->dma_map[i].cpu_start;
	}
	if (p == (phys_addr_t)-1 || !sim_phys_is_ram(dev->sim, p, len))
		return false;
	*phys = p;
	return true;
}

static int ram_access(struct access *acc, phys_addr_t phys, void *buf,
		      size_t len, dma_addr_t addr)
{
	struct device *dev = acc->txn.dev;
	struct sim_node *node = acc->node;
	struct sim_machine *m = dev->sim;
	bool write = acc->txn.write;
	bool own_view = false;
	struct sim_bus_access a = {
		.txn = &acc->txn,
		.addr = addr,
		.phys = phys,
		.len = len,
		.target = SIM_BUS_RAM,
		.via_root = true,
		.coherent = node->coherent,
		.own_view = &own_view,
	};

	if (m->confidential) {
		for (phys_addr_t p = ALIGN_DOWN(phys, PAGE_SIZE); p < phys + len;
		     p += PAGE_SIZE) {
			if (!sim_ram_is_shared(m, p))
				return dma_fault(dev, addr, len, write,
						 "RAM at %#llx is private to the confidential guest (not shared with the host)",
						 (unsigned long long)p);
		}
	}
	sim_bus_offer(m, &a);
	if (write)
		sim_ram_dev_write(m, phys, buf, len,
				  node->coherent && !own_view);
	else
		sim_ram_dev_read(m, phys, buf, len,
				 node->coherent && !own_view);
	return 0;
}

/* After the IOMMU: @phys is a system physical address. */
static int route_translated(struct access *acc, dma_addr_t iova,
			    phys_addr_t phys, void *buf, size_t len)
{
	struct device *dev = acc->txn.dev;
	struct sim_node *node = acc->node;
	struct sim_machine *m = dev->sim;
	struct sim_node *owner;
	struct sim_bar *bar;

	if (sim_phys_is_ram(m, phys, len))
		return ram_access(acc, phys, buf, len, iova);
	bar = sim_bar_find(m, phys, len, &owner);
	if (bar) {
		if (!node->hb->hostbridge->p2p_allow ||
		    !owner->hb->hostbridge->p2p_allow)
			return dma_fault(dev, iova, len, acc->txn.write,
					 "IOVA %#llx translates to %s bar%d, and host bridge %s does not forward peer-to-peer",
					 (unsigned long long)iova, owner->id,
					 bar->index,
					 !node->hb->hostbridge->p2p_allow ?
						 node->hb->id : owner->hb->id);
		atomic_fetch_add(&m->stats.p2p_accesses, 1);
		return bar_access(acc, owner, bar, phys, buf, len, iova,
				  "through the IOMMU and the root complex", true);
	}
	return dma_fault(dev, iova, len, acc->txn.write,
			 "IOVA %#llx translates to %#llx where no RAM or BAR answers",
			 (unsigned long long)iova, (unsigned long long)phys);
}

static int route_chunk(struct access *acc, dma_addr_t addr, void *buf,
		       size_t len)
{
	struct device *dev = acc->txn.dev;
	struct sim_node *node = acc->node;
	bool write = acc->txn.write;
	struct sim_machine *m = dev->sim;
	struct sim_hostbridge *hb = node->hb->hostbridge;
	struct sim_node *owner = NULL;
	struct sim_bar *bar = bar_by_bus(m, addr, len, &owner);
	const char *redirect = NULL;
	phys_addr_t phys;

	/* Inside the hierarchy: a peer below a common switch? */
	if (bar && owner->hb == node->hb) {
		for (struct sim_node *p = node->parent; p; p = p->parent) {
			struct sim_node *usp;

			if (p->kind != SIM_NODE_SWITCH_DOWN)
				break;
			usp = p->parent;
			if (!is_below(owner, usp)) {
				p = usp;
				continue;
			}
			/*
			 * Hardware: only P2P Request Redirect on the ingress
			 * port sends a request upstream. The kernel's
			 * pci_p2pdma_map_type() (src/kernel/pci/p2pdma.c) is more
			 * conservative: RR, CR or EC on any port of the path,
			 * either direction, means the host-bridge path. Its
			 * THRU_HOST_BRIDGE mappings (CPU address or IOVA)
			 * still work when this port forwards directly, and
			 * egress-control vectors are not modelled.
			 */
			if (p->acs_ctrl & PCI_ACS_RR) {
				redirect = p->id;
				break;
			}
			atomic_fetch_add(&m->stats.p2p_accesses, 1);
			return bar_access(acc, owner, bar,
					  addr + (bar->is64 ? hb->win64.offset :
							      hb->win32.offset),
					  buf, len, addr,
					  "peer-to-peer below the switch", false);
		}
	}

	/* At the root complex. */
	if (hb->dma_limit && addr + len - 1 > hb->dma_limit)
		return dma_fault(dev, addr, len, write,
				 "beyond the DMA limit %#llx of host bridge %s",
				 (unsigned long long)hb->dma_limit, node->hb->id);
	{
		bool translated;
		int ret = sim_iommu_translate(dev, addr, len, write, &phys,
					      &translated, &acc->txn);

		if (ret)
			return ret;
		if (translated)
			return route_translated(acc, addr, phys, buf, len);
	}
	if (bar) {
		struct sim_hostbridge *thb = owner->hb->hostbridge;
		u64 cpu = addr + (bar->is64 ? thb->win64.offset : thb->win32.offset);

		if (!hb->p2p_allow || !thb->p2p_allow)
			return dma_fault(dev, addr, len, write,
					 "%s bar%d is reached through the root complex%s%s%s, and host bridge %s does not forward peer-to-peer",
					 owner->id, bar->index,
					 redirect ? " (ACS redirect at " : "",
					 redirect ? redirect : "",
					 redirect ? ")" : "",
					 !hb->p2p_allow ? node->hb->id : owner->hb->id);
		atomic_fetch_add(&m->stats.p2p_accesses, 1);
		return bar_access(acc, owner, bar, cpu, buf, len, addr,
				  "through the root complex", true);
	}
	if (dram_of(dev, hb, addr, len, &phys))
		return ram_access(acc, phys, buf, len, addr);
	return dma_fault(dev, addr, len, write,
			 "master abort: no RAM or BAR answers at bus address %#llx",
			 (unsigned long long)addr);
}

/* Checks on the initiator itself, before any TLP leaves it. */
static int initiator_check(struct device *dev, struct sim_node *node,
			   dma_addr_t addr, size_t len, bool write)
{
	u64 end = addr + len - 1;

	if (end < addr)
		return dma_fault(dev, addr, len, write,
				 "the range wraps around the address space");
	/* no function at the VF's routing ID issues anything */
	if (!sim_pci_fn_present(node->fn))
		return dma_fault(dev, addr, len, write,
				 "VF %s is not enabled (SR-IOV of its PF %s: VF Enable clear or NumVFs <= %u)",
				 node->id, node->pf->id, node->vf_index);
	if (!(cmd_of(node->fn) & PCI_COMMAND_MASTER))
		return dma_fault(dev, addr, len, write,
				 "bus mastering is disabled in the command register");
	if (sim_pci_fn_d_state(node->fn) != PCI_D0 ||
	    sim_pci_fn_in_reset(node->fn))
		return dma_fault(dev, addr, len, write,
				 "the function is %s",
				 sim_pci_fn_in_reset(node->fn) ? "in reset" : "in D3hot");
	if (node->dma_bits < 64 && end > DMA_BIT_MASK(node->dma_bits))
		return dma_fault(dev, addr, len, write,
				 "the device generates only %u-bit addresses",
				 node->dma_bits);
	return 0;
}

/*
 * A failed read leaves all ones in the rest of the buffer, as a master
 * abort or an unsupported request completes on PCIe.
 */
static int sim_dma_access(struct device *dev, dma_addr_t addr, void *buf,
			  size_t len, bool write)
{
	struct access acc = { .txn = { .dev = dev, .write = write } };
	struct sim_machine *m;
	u8 *p = buf;
	int ret;

	if (!dev || !dev->sim || !dev->sim_state || (!buf && len))
		return -EINVAL;
	m = dev->sim;
	acc.node = sim_node_of_dev(dev);
	if (acc.node->kind != SIM_NODE_ENDPOINT)
		return -EINVAL;
	if (!len)
		return 0;
	ret = initiator_check(dev, acc.node, addr, len, write);
	while (!ret && len) {
		/* TLPs end at 4 KiB boundaries; IOMMU pages are never smaller. */
		size_t n = min(len, (size_t)(PAGE_SIZE - (addr & (PAGE_SIZE - 1))));

		ret = route_chunk(&acc, addr, p, n);
		if (ret)
			break;
		if (write)
			atomic_fetch_add(&m->stats.dev_writes, 1);
		else
			atomic_fetch_add(&m->stats.dev_reads, 1);
		atomic_fetch_add(&m->stats.dev_bytes, n);
		addr += n;
		p += n;
		len -= n;
	}
	if (ret && !write)
		memset(p, 0xff, len);
	return ret;
}

int sim_dma_read(struct device *dev, dma_addr_t addr, void *buf, size_t len)
{
	return sim_dma_access(dev, addr, buf, len, false);
}

int sim_dma_write(struct device *dev, dma_addr_t addr, const void *buf,
		  size_t len)
{
	return sim_dma_access(dev, addr, (void *)buf, len, true);
}
