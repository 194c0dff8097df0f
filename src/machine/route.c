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
 * decoding) and are recorded with who, where and why. Accesses that reach
 * RAM or a BAR through the root complex are also checked by dma-debug
 * against the device's live mappings.
 *
 * MMIO that a dma-buf exporter revoked (sim_mmio_set_revoked()) is still
 * MMIO: revocation is a software promise that no importer will touch it
 * again, the BAR keeps decoding. A device access there is reported (once
 * per access, as a DMA fault naming the exporter) and then goes wherever
 * the hardware sends it: a BAR that decodes answers, one that does not
 * fails as any other.
 */
#include <string.h>
#include "../internal.h"

static u16 cmd_of(struct sim_pci_fn *fn)
{
	u16 v;

	memcpy(&v, fn->config + PCI_COMMAND, 2);
	return v;
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
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *hbn = m->nodes[i];
		struct sim_hostbridge *hb = hbn->hostbridge;

		if (hbn->kind != SIM_NODE_HOSTBRIDGE)
			continue;
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
	struct device *dev;
	struct sim_node *node;
	bool write;
	bool debug_reported;	/* dma-debug speaks once per access */
	bool revoked_reported;	/* so does a revoked range */
};

static void access_check(struct access *acc, dma_addr_t addr, size_t len)
{
	if (!acc->debug_reported)
		acc->debug_reported = debug_dma_check_access(acc->dev, addr, len,
							     acc->write);
}

/* ------------------------------------------------- revoked MMIO --- */

static bool revoked_overlaps(const struct sim_mmio_revoked_range *r,
			     phys_addr_t start, phys_addr_t end)
{
	return r->start <= end && start <= r->end;
}

/*
 * Copy the first revoked range overlapping [@cpu, @cpu + @len) to @out.
 * Called for every TLP that lands in a BAR: with no range registered it
 * is one relaxed load (the count is only a hint; the ranges themselves
 * are read under the lock, so a range revoked concurrently is seen by
 * this access or the next one, as on hardware with a racing driver).
 */
static bool revoked_lookup(struct sim_machine *m, phys_addr_t cpu, size_t len,
			   struct sim_mmio_revoked_range *out)
{
	struct sim_mmio_revoked *reg = &m->revoked;
	phys_addr_t end = cpu + len - 1;
	bool found = false;
	unsigned int lo, hi;

	if (likely(!atomic_load_explicit(&reg->nr, memory_order_relaxed)))
		return false;
	sim_spin_lock(&reg->lock);
	/* First range ending at or after @cpu: sorted and disjoint. */
	lo = 0;
	hi = atomic_load_explicit(&reg->nr, memory_order_relaxed);
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (reg->r[mid].end < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < atomic_load_explicit(&reg->nr, memory_order_relaxed) &&
	    revoked_overlaps(&reg->r[lo], cpu, end)) {
		*out = reg->r[lo];
		found = true;
	}
	sim_spin_unlock(&reg->lock);
	return found;
}

static void revoked_push(struct sim_mmio_revoked_range *v, unsigned int *n,
			 phys_addr_t start, phys_addr_t end, const char *who)
{
	struct sim_mmio_revoked_range *r = &v[(*n)++];

	r->start = start;
	r->end = end;
	snprintf(r->who, sizeof(r->who), "%s", who);
}

/**
 * sim_mmio_set_revoked - record or forget MMIO that a dma-buf export revoked
 * @m:       the machine
 * @cpu:     CPU physical address of the range (inside a BAR, normally)
 * @len:     its length in bytes
 * @revoked: true: the exporter revoked it; false: it is usable again
 * @who:     the exporter, named in reports (copied; may be NULL)
 *
 * Revoking a range takes it over from any range it overlaps (the newer
 * exporter is the one named) and merges it with adjacent ranges of the
 * same exporter; restoring removes exactly [@cpu, @cpu + @len), splitting
 * what it cuts. A device access overlapping a recorded range is reported
 * by the router; whether it completes is still up to the BAR. The
 * registry lock is a spinlock taken here and by the router, never held
 * across anything else. On error the registry is unchanged.
 *
 * Return: 0, -EINVAL for an empty range or one that wraps, -ENOMEM.
 */
int sim_mmio_set_revoked(struct sim_machine *m, phys_addr_t cpu, u64 len,
			 bool revoked, const char *who)
{
	struct sim_mmio_revoked_range *v = NULL, *old;
	struct sim_mmio_revoked *reg;
	phys_addr_t end;
	unsigned int nr, n = 0, k, alloc;
	bool touches = false;

	if (!m || !len || cpu + len - 1 < cpu)
		return -EINVAL;
	if (!who)
		who = "(unnamed exporter)";
	reg = &m->revoked;
	end = cpu + len - 1;

	sim_spin_lock(&reg->lock);
	nr = atomic_load_explicit(&reg->nr, memory_order_relaxed);
	for (k = 0; k < nr && !touches; k++)
		touches = revoked_overlaps(&reg->r[k], cpu, end);
	/* Restoring what was never revoked: nothing to do, nothing to fail. */
	if (!revoked && !touches) {
		sim_spin_unlock(&reg->lock);
		return 0;
	}
	/*
	 * A new array each time: the cut can split one range in two and the
	 * new range adds one. Readers copy under the same lock, so the old
	 * array can go as soon as the lock is dropped.
	 */
	alloc = nr + 2;
	v = sim_kcalloc(m, alloc, sizeof(*v));
	if (!v) {
		sim_spin_unlock(&reg->lock);
		return -ENOMEM;
	}
	for (k = 0; k < nr; k++) {
		const struct sim_mmio_revoked_range *r = &reg->r[k];

		if (r->end < cpu)
			revoked_push(v, &n, r->start, r->end, r->who);
		else if (r->start < cpu)
			revoked_push(v, &n, r->start, cpu - 1, r->who);
	}
	if (revoked)
		revoked_push(v, &n, cpu, end, who);
	for (k = 0; k < nr; k++) {
		const struct sim_mmio_revoked_range *r = &reg->r[k];

		if (r->start > end)
			revoked_push(v, &n, r->start, r->end, r->who);
		else if (r->end > end)
			revoked_push(v, &n, end + 1, r->end, r->who);
	}
	/* Merge neighbours of one exporter (end + 1 cannot wrap: a range
	 * follows). */
	for (k = 1, nr = n ? 1 : 0; k < n; k++) {
		struct sim_mmio_revoked_range *prev = &v[nr - 1];

		if (prev->end + 1 == v[k].start && !strcmp(prev->who, v[k].who))
			prev->end = v[k].end;
		else
			v[nr++] = v[k];
	}
	if (!nr) {
		sim_kfree(m, v);
		v = NULL;
	}
	old = reg->r;
	reg->r = v;
	reg->cap = v ? alloc : 0;
	atomic_store_explicit(&reg->nr, nr, memory_order_relaxed);
	sim_spin_unlock(&reg->lock);
	sim_kfree(m, old);
	return 0;
}

/**
 * sim_mmio_revoked_fini - forget every revoked range of @m
 * @m: the machine, being torn down (no device accesses any more)
 */
void sim_mmio_revoked_fini(struct sim_machine *m)
{
	struct sim_mmio_revoked *reg = &m->revoked;

	sim_spin_lock(&reg->lock);
	sim_kfree(m, reg->r);
	reg->r = NULL;
	reg->cap = 0;
	atomic_store_explicit(&reg->nr, 0, memory_order_relaxed);
	sim_spin_unlock(&reg->lock);
}

/* ------------------------------------------------------- BAR access --- */

static int bar_access(struct access *acc, struct sim_node *owner,
		      struct sim_bar *bar, u64 cpu, void *buf, size_t len,
		      dma_addr_t addr, const char *path)
{
	struct device *dev = acc->dev;
	bool write = acc->write;
	struct sim_mmio_revoked_range rr;
	bool revoked = !acc->revoked_reported &&
		       revoked_lookup(dev->sim, cpu, len, &rr);
	char note[200] = "";

	if (revoked) {
		acc->revoked_reported = true;
		snprintf(note, sizeof(note),
			 "MMIO %#llx-%#llx was revoked by dma-buf exporter %s",
			 (unsigned long long)rr.start,
			 (unsigned long long)rr.end, rr.who);
	}
	if (!sim_bar_decodes(owner))
		return dma_fault(dev, addr, len, write,
				 "%s bar%d (%s) is not decoding: memory %s, %s%s%s%s",
				 owner->id, bar->index, path,
				 (cmd_of(owner->fn) & PCI_COMMAND_MEMORY) ?
					 "enabled" : "disabled",
				 owner->fn->pdev.current_state == PCI_D0 ?
					 "D0" : "D3hot",
				 owner->fn->in_reset ? ", in reset" : "",
				 revoked ? "; " : "", note);
	/*
	 * Revocation is software: the BAR still answers, so the access
	 * completes, and the importer that made it is reported.
	 */
	if (revoked) {
		atomic_fetch_add(&dev->sim->stats.dma_access_errors, 1);
		sim_report(dev->sim, SIM_REPORT_DMA_FAULT, dev, addr, len,
			   "%s %s (%s): DMA %s %#llx+%zu reaches revoked MMIO: %s (%s bar%d at CPU %#llx, %s); the BAR still decodes, so the access completes",
			   dev_driver_string(dev), dev_name(dev),
			   sim_device_id(dev), write ? "write to" : "read from",
			   (unsigned long long)addr, len, note, owner->id,
			   bar->index, (unsigned long long)cpu, path);
	}
	if (write)
		memcpy(bar->backing + (cpu - bar->cpu_start), buf, len);
	else
		memcpy(buf, bar->backing + (cpu - bar->cpu_start), len);
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
	struct device *dev = acc->dev;
	struct sim_node *node = acc->node;
	struct sim_machine *m = dev->sim;
	bool write = acc->write;

	if (m->confidential) {
		for (phys_addr_t p = ALIGN_DOWN(phys, PAGE_SIZE); p < phys + len;
		     p += PAGE_SIZE) {
			struct page *pg = sim_phys_to_page(m, p);

			if (!pg || !(pg->flags & PG_decrypted))
				return dma_fault(dev, addr, len, write,
						 "RAM at %#llx is private to the confidential guest (not shared with the host)",
						 (unsigned long long)p);
		}
	}
	access_check(acc, addr, len);
	if (!write && !node->coherent && !acc->debug_reported &&
	    sim_dma_debug_enabled(m) && sim_cache_has_dirty(m, phys, len)) {
		acc->debug_reported = true;
		sim_report(m, SIM_REPORT_DMA_DEBUG, dev, addr, len,
			   "DMA-API: %s %s: device reads memory the CPU has not written back [device address=0x%016llx] [size=%zu bytes] (missing dma_sync_*_for_device?)",
			   dev_driver_string(dev), dev_name(dev),
			   (unsigned long long)addr, len);
	}
	if (write)
		sim_ram_dev_write(m, phys, buf, len, node->coherent);
	else
		sim_ram_dev_read(m, phys, buf, len, node->coherent);
	return 0;
}

/* After the IOMMU: @phys is a system physical address. */
static int route_translated(struct access *acc, dma_addr_t iova,
			    phys_addr_t phys, void *buf, size_t len)
{
	struct device *dev = acc->dev;
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
			return dma_fault(dev, iova, len, acc->write,
					 "IOVA %#llx translates to %s bar%d, and host bridge %s does not forward peer-to-peer",
					 (unsigned long long)iova, owner->id,
					 bar->index,
					 !node->hb->hostbridge->p2p_allow ?
						 node->hb->id : owner->hb->id);
		access_check(acc, iova, len);
		atomic_fetch_add(&m->stats.p2p_accesses, 1);
		return bar_access(acc, owner, bar, phys, buf, len, iova,
				  "through the IOMMU and the root complex");
	}
	return dma_fault(dev, iova, len, acc->write,
			 "IOVA %#llx translates to %#llx where no RAM or BAR answers",
			 (unsigned long long)iova, (unsigned long long)phys);
}

static int route_chunk(struct access *acc, dma_addr_t addr, void *buf,
		       size_t len)
{
	struct device *dev = acc->dev;
	struct sim_node *node = acc->node;
	bool write = acc->write;
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
			 * pci_p2pdma_map_type() (src/pci/p2pdma.c) is more
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
					  "peer-to-peer below the switch");
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
					      &translated, &acc->debug_reported);

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
		access_check(acc, addr, len);
		atomic_fetch_add(&m->stats.p2p_accesses, 1);
		return bar_access(acc, owner, bar, cpu, buf, len, addr,
				  "through the root complex");
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
	if (!(cmd_of(node->fn) & PCI_COMMAND_MASTER))
		return dma_fault(dev, addr, len, write,
				 "bus mastering is disabled in the command register");
	if (node->fn->pdev.current_state != PCI_D0 || node->fn->in_reset)
		return dma_fault(dev, addr, len, write,
				 "the function is %s",
				 node->fn->in_reset ? "in reset" : "in D3hot");
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
	struct access acc = { .dev = dev, .write = write };
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
