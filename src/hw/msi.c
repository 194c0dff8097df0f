// SPDX-License-Identifier: MIT
/*
 * Message Signalled Interrupts, the hardware side.
 *
 * A model's function gets an MSI capability (64-bit address, per-vector
 * masking) and/or an MSI-X capability appended to its config space
 * capability list. The driver's kernel side programs MSI with config
 * writes: address, data, the number of vectors it enables (Multiple
 * Message Enable), the enable bit and the mask bits. MSI-X has its enable
 * and function-mask bits in config space and a table of vectors (address,
 * data, mask bit) and a pending bit array in one of the function's BARs,
 * reached by CPU MMIO. A raised vector whose mask bit is set latches its
 * pending bit and is sent when unmasked. A message that is sent is a write of the data
 * (its low bits replaced by the vector) to the address; a write into the
 * MSI address window goes to the machine's interrupt controller, which the
 * kernel's IRQ layer registered, and its handler runs on the sending
 * thread. The message does not pass through the IOMMU (interrupt
 * remapping is not modelled) and needs bus mastering, as hardware does.
 */
#include <string.h>
#include "hw/machine.h"

/* Capability placement: after PM (0x40), PCIe (0x50..0x8b), AF (0x90). */
#define CAP_MSI		0xa0
#define CAP_MSIX	0xb8

static u16 rd16(const u8 *c, int off)
{
	u16 v;

	memcpy(&v, c + off, 2);
	return v;
}

static u32 rd32(const u8 *c, int off)
{
	u32 v;

	memcpy(&v, c + off, 4);
	return v;
}

static void wr16(u8 *c, int off, u16 v)
{
	memcpy(c + off, &v, 2);
}

static void wr32(u8 *c, int off, u32 v)
{
	memcpy(c + off, &v, 4);
}

int sim_msi_set_controller(struct sim_machine *m,
			   const struct sim_msi_controller *ops, void *data)
{
	int ret = 0;

	sim_spin_lock(&m->msi_ctl_lock);
	if (ops && m->msi_ctl) {
		ret = m->msi_ctl == ops ? -EEXIST : -EBUSY;
	} else {
		m->msi_ctl = ops;
		m->msi_ctl_data = ops ? data : NULL;
	}
	sim_spin_unlock(&m->msi_ctl_lock);
	return ret;
}

void *sim_msi_controller_data(struct sim_machine *m,
			      const struct sim_msi_controller *ops)
{
	void *data = NULL;

	sim_spin_lock(&m->msi_ctl_lock);
	if (m->msi_ctl == ops)
		data = m->msi_ctl_data;
	sim_spin_unlock(&m->msi_ctl_lock);
	return data;
}

/* Machine teardown: the controller's state goes with it. */
void sim_msi_fini(struct sim_machine *m)
{
	const struct sim_msi_controller *ops = m->msi_ctl;
	void *data = m->msi_ctl_data;

	sim_msi_set_controller(m, NULL, NULL);
	if (ops && ops->release)
		ops->release(m, data);
}

/* The message goes out: to the controller, or nowhere. No lock held. */
static void msi_send(struct sim_model_dev *md, u64 addr, u32 data)
{
	struct sim_machine *m = md->m;
	const struct sim_msi_controller *ops;
	void *ctl;

	if (addr < SIM_MSI_ADDR_BASE ||
	    addr >= SIM_MSI_ADDR_BASE + SIM_MSI_ADDR_SIZE) {
		atomic_fetch_add(&m->msi_lost, 1);
		sim_report(m, SIM_REPORT_WARN, &md->fn->pdev.dev, addr, 4,
			   "%s: MSI write to %#llx, outside the MSI address window: the interrupt is lost",
			   md->fn->node->id, (unsigned long long)addr);
		return;
	}
	sim_spin_lock(&m->msi_ctl_lock);
	ops = m->msi_ctl;
	ctl = m->msi_ctl_data;
	sim_spin_unlock(&m->msi_ctl_lock);
	if (!ops) {
		atomic_fetch_add(&m->msi_lost, 1);
		return;
	}
	ops->deliver(m, addr, data, ctl);
}

/**
 * sim_msi_install - give a model's function an MSI capability
 * @md: the instance (config space built, not yet in use)
 * @nvec: vectors, a power of two from 1 to 32
 *
 * Appended to the capability list; disabled, nothing masked or pending.
 */
/* Append a capability at @at to the list. */
static void cap_append(u8 *c, u8 at, u8 id)
{
	u8 pos = c[PCI_CAPABILITY_LIST];

	if (!pos) {
		c[PCI_CAPABILITY_LIST] = at;
	} else {
		for (int ttl = 48; c[pos + 1] && ttl; ttl--)
			pos = c[pos + 1];
		c[pos + 1] = at;
	}
	c[at] = id;
	c[at + 1] = 0;
}

void sim_msi_install(struct sim_model_dev *md, unsigned int nvec)
{
	u8 *c = md->fn->config;
	unsigned int log2 = 0;

	while ((1u << log2) < nvec)
		log2++;
	memset(c + CAP_MSI, 0, 0x18);
	cap_append(c, CAP_MSI, PCI_CAP_ID_MSI);
	wr16(c, CAP_MSI + PCI_MSI_FLAGS,
	     (u16)(log2 << 1) | PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
	md->msi.cap = CAP_MSI;
	md->msi.nvec = nvec;
}

/**
 * sim_msix_install - give a model's function an MSI-X capability
 * @md: the instance (config space built, not yet in use)
 * @nvec: vectors, 1 to SIM_MSIX_MAX_VECTORS
 * @bar: the BAR holding the table, then the PBA
 * @offset: the table's offset in @bar (8-aligned; both fit the BAR)
 *
 * Disabled, every vector masked. Return: 0 or -ENOMEM.
 */
int sim_msix_install(struct sim_model_dev *md, unsigned int nvec, int bar,
		     u64 offset)
{
	struct sim_msi *x = &md->msi;
	u8 *c = md->fn->config;

	x->xentries = sim_kcalloc(md->m, (size_t)nvec * 4, sizeof(u32));
	x->xpending = sim_kcalloc(md->m, DIV_ROUND_UP(nvec, 64), sizeof(u64));
	if (!x->xentries || !x->xpending) {
		sim_msix_free(md);
		return -ENOMEM;
	}
	for (unsigned int v = 0; v < nvec; v++)
		x->xentries[4 * v + 3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	x->xnvec = nvec;
	x->xbar = bar;
	x->xtable = offset;
	x->xpba = offset + (u64)PCI_MSIX_ENTRY_SIZE * nvec;
	memset(c + CAP_MSIX, 0, 12);
	cap_append(c, CAP_MSIX, PCI_CAP_ID_MSIX);
	wr16(c, CAP_MSIX + PCI_MSIX_FLAGS, (u16)(nvec - 1));
	wr32(c, CAP_MSIX + PCI_MSIX_TABLE, (u32)x->xtable | (u32)bar);
	wr32(c, CAP_MSIX + PCI_MSIX_PBA, (u32)x->xpba | (u32)bar);
	x->xcap = CAP_MSIX;
	return 0;
}

void sim_msix_free(struct sim_model_dev *md)
{
	sim_kfree(md->m, md->msi.xentries);
	sim_kfree(md->m, md->msi.xpending);
	md->msi.xentries = NULL;
	md->msi.xpending = NULL;
	md->msi.xcap = 0;
}

static bool overlaps(u64 where, u64 size, u64 reg, u64 len)
{
	return where < reg + len && reg < where + size;
}

/* The command register or power state changed (config hooks). */
void sim_msi_set_state(struct sim_model_dev *md, bool master, bool d0)
{
	pthread_mutex_lock(&md->msi.lock);
	md->msi.master = master;
	md->msi.d0 = d0;
	pthread_mutex_unlock(&md->msi.lock);
}

void sim_msi_cfg_read(struct sim_model_dev *md, int where, int size,
		      void *val)
{
	struct sim_msi *x = &md->msi;
	int reg = x->cap + PCI_MSI_PENDING_64;
	u8 bytes[4];
	u32 v = 0;

	if (!x->cap || !overlaps(where, size, reg, 4))
		return;
	memcpy(&v, val, size);
	memcpy(bytes, &v, 4);
	pthread_mutex_lock(&x->lock);
	for (int i = 0; i < size; i++)
		if (where + i >= reg && where + i < reg + 4)
			bytes[i] = (u8)(x->pending >> (8 * (where + i - reg)));
	pthread_mutex_unlock(&x->lock);
	memcpy(val, bytes, size);
}

/* Reset: MSI and MSI-X disabled, messages and pending bits cleared. */
void sim_msi_reset(struct sim_model_dev *md)
{
	struct sim_msi *x = &md->msi;
	u8 *c = md->fn->config;
	int cap = x->cap;

	pthread_mutex_lock(&x->lock);
	/* a reset clears the command register and leaves D0 */
	x->master = false;
	x->d0 = true;
	x->pending = 0;
	if (cap) {
		wr16(c, cap + PCI_MSI_FLAGS,
		     rd16(c, cap + PCI_MSI_FLAGS) &
			     ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE));
		memset(c + cap + PCI_MSI_ADDRESS_LO, 0, 0x14);
	}
	if (x->xcap) {
		wr16(c, x->xcap + PCI_MSIX_FLAGS, (u16)(x->xnvec - 1));
		memset(x->xentries, 0, (size_t)x->xnvec * 4 * sizeof(u32));
		for (unsigned int v = 0; v < x->xnvec; v++)
			x->xentries[4 * v + 3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		memset(x->xpending, 0, DIV_ROUND_UP(x->xnvec, 64) * sizeof(u64));
	}
	pthread_mutex_unlock(&x->lock);
}

/* Caller holds the lock: MSI vectors enabled now (0: MSI off). */
static unsigned int msi_enabled_vectors(struct sim_model_dev *md)
{
	u16 flags;
	unsigned int n;

	if (!md->msi.cap)
		return 0;
	flags = rd16(md->fn->config, md->msi.cap + PCI_MSI_FLAGS);
	if (!(flags & PCI_MSI_FLAGS_ENABLE))
		return 0;
	n = 1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);
	return min(n, md->msi.nvec);
}

/* Caller holds the lock: is MSI-X enabled? */
static bool msix_enabled(struct sim_model_dev *md)
{
	return md->msi.xcap &&
	       (rd16(md->fn->config, md->msi.xcap + PCI_MSIX_FLAGS) &
		PCI_MSIX_FLAGS_ENABLE);
}

/* Caller holds the lock: may the function send messages now? */
static bool fn_can_send(struct sim_model_dev *md)
{
	return md->msi.master && md->msi.d0;
}

/* Caller holds the lock: is @vector of the enabled mode masked? */
static bool vector_masked(struct sim_model_dev *md, unsigned int vector)
{
	struct sim_msi *x = &md->msi;

	if (msix_enabled(md))
		return (rd16(md->fn->config, x->xcap + PCI_MSIX_FLAGS) &
			PCI_MSIX_FLAGS_MASKALL) ||
		       (x->xentries[4 * vector + 3] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
	return rd32(md->fn->config, x->cap + PCI_MSI_MASK_64) & (1u << vector);
}

/* Caller holds the lock: @v's pending bit (MSI-X's PBA or MSI's). */
static bool vector_pending(struct sim_model_dev *md, bool msix, unsigned int v)
{
	struct sim_msi *x = &md->msi;

	if (msix)
		return x->xpending[v / 64] & (1ULL << (v % 64));
	return x->pending & (1u << v);
}

/* Caller holds the lock: set or clear @v's pending bit. */
static void set_pending(struct sim_model_dev *md, bool msix, unsigned int v,
			bool on)
{
	struct sim_msi *x = &md->msi;

	if (msix) {
		if (on)
			x->xpending[v / 64] |= 1ULL << (v % 64);
		else
			x->xpending[v / 64] &= ~(1ULL << (v % 64));
		return;
	}
	if (on)
		x->pending |= 1u << v;
	else
		x->pending &= ~(1u << v);
}

/* Caller holds the lock: the message of @vector of the enabled mode. */
static void vector_message(struct sim_model_dev *md, unsigned int vector,
			   u64 *addr, u32 *data)
{
	struct sim_msi *x = &md->msi;
	const u8 *c = md->fn->config;
	u32 n;

	if (msix_enabled(md)) {
		const u32 *e = &x->xentries[4 * vector];

		*addr = e[0] | ((u64)e[1] << 32);
		*data = e[2];
		return;
	}
	n = msi_enabled_vectors(md);
	*addr = rd32(c, x->cap + PCI_MSI_ADDRESS_LO) |
		((u64)rd32(c, x->cap + PCI_MSI_ADDRESS_HI) << 32);
	*data = (rd16(c, x->cap + PCI_MSI_DATA_64) & ~(n - 1)) | vector;
}

int sim_msi_raise(struct sim_model_dev *md, unsigned int vector)
{
	struct sim_msi *x;
	unsigned int n;
	u64 addr;
	u32 data;
	bool msix;

	if (!md)
		return -EINVAL;
	x = &md->msi;
	if (!x->cap && !x->xcap)
		return -ENODEV;
	if (vector >= max(x->nvec, x->xnvec))
		return -EINVAL;
	pthread_mutex_lock(&x->lock);
	msix = msix_enabled(md);
	n = msix ? x->xnvec : msi_enabled_vectors(md);
	if (!n || !fn_can_send(md)) {
		pthread_mutex_unlock(&x->lock);
		return -EIO;
	}
	if (vector >= n) {
		pthread_mutex_unlock(&x->lock);
		return -EINVAL;
	}
	if (vector_masked(md, vector)) {
		set_pending(md, msix, vector, true);
		pthread_mutex_unlock(&x->lock);
		return 0;
	}
	vector_message(md, vector, &addr, &data);
	pthread_mutex_unlock(&x->lock);
	msi_send(md, addr, data);
	return 0;
}

bool sim_msi_pending(struct sim_model_dev *md, unsigned int vector)
{
	struct sim_msi *x;
	bool p = false;

	if (!md)
		return false;
	x = &md->msi;
	pthread_mutex_lock(&x->lock);
	if (x->cap && vector < x->nvec)
		p = vector_pending(md, false, vector);
	if (x->xcap && vector < x->xnvec)
		p = p || vector_pending(md, true, vector);
	pthread_mutex_unlock(&x->lock);
	return p;
}

/*
 * Send, lowest vector first, every pending vector that may go now (after
 * an unmask or an enable). The lock is dropped for each send: the handler
 * it runs may program the function again.
 */
void sim_msi_flush_pending(struct sim_model_dev *md)
{
	struct sim_msi *x = &md->msi;

	for (;;) {
		unsigned int v, n;
		bool msix, found = false;
		u64 addr;
		u32 data;

		pthread_mutex_lock(&x->lock);
		msix = msix_enabled(md);
		n = msix ? x->xnvec : msi_enabled_vectors(md);
		if (n && fn_can_send(md)) {
			for (v = 0; v < n && !found; v++)
				found = vector_pending(md, msix, v) &&
					!vector_masked(md, v);
			v--;
		}
		if (found) {
			set_pending(md, msix, v, false);
			vector_message(md, v, &addr, &data);
		}
		pthread_mutex_unlock(&x->lock);
		if (!found)
			return;
		msi_send(md, addr, data);
	}
}

/**
 * sim_msi_cfg_write - a config write that may touch the MSI or MSI-X
 *	capability
 * @md: the instance
 * @img: config space as the write would leave it (every byte written)
 * @where: the write's offset
 * @size: its size
 *
 * Takes the writable bits. Called with the config mechanism's lock held:
 * sending what the write unmasked (or an enable made sendable) is the
 * caller's sim_msi_flush_pending() once that lock is dropped, since a
 * handler may access config space.
 *
 * Return: whether the write touched MSI or MSI-X registers.
 */
bool sim_msi_cfg_write(struct sim_model_dev *md, const u8 *img, int where,
		       int size)
{
	struct sim_msi *x = &md->msi;
	int cap = x->cap, xcap = x->xcap;
	u8 *c = md->fn->config;
	u32 vmask = x->nvec >= 32 ? ~0u : (1u << x->nvec) - 1;
	bool msi_hit = cap && overlaps(where, size, cap, 0x18);
	bool msix_hit = xcap && overlaps(where, size, xcap + PCI_MSIX_FLAGS, 2);

	if (!msi_hit && !msix_hit)
		return false;
	pthread_mutex_lock(&x->lock);
	if (msi_hit && overlaps(where, size, cap + PCI_MSI_FLAGS, 2)) {
		u16 old = rd16(c, cap + PCI_MSI_FLAGS);
		u16 new = rd16(img, cap + PCI_MSI_FLAGS);
		u16 qsize = new & PCI_MSI_FLAGS_QSIZE;

		/* more than capable reads back as the capable number */
		if ((qsize >> 4) > ((old & PCI_MSI_FLAGS_QMASK) >> 1))
			qsize = (old & PCI_MSI_FLAGS_QMASK) << 3;
		wr16(c, cap + PCI_MSI_FLAGS,
		     (old & ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE)) |
			     (new & PCI_MSI_FLAGS_ENABLE) | qsize);
	}
	if (msi_hit && overlaps(where, size, cap + PCI_MSI_ADDRESS_LO, 4))
		wr32(c, cap + PCI_MSI_ADDRESS_LO,
		     rd32(img, cap + PCI_MSI_ADDRESS_LO) & ~3u);
	if (msi_hit && overlaps(where, size, cap + PCI_MSI_ADDRESS_HI, 4))
		wr32(c, cap + PCI_MSI_ADDRESS_HI,
		     rd32(img, cap + PCI_MSI_ADDRESS_HI));
	if (msi_hit && overlaps(where, size, cap + PCI_MSI_DATA_64, 2))
		wr16(c, cap + PCI_MSI_DATA_64, rd16(img, cap + PCI_MSI_DATA_64));
	if (msi_hit && overlaps(where, size, cap + PCI_MSI_MASK_64, 4))
		wr32(c, cap + PCI_MSI_MASK_64,
		     rd32(img, cap + PCI_MSI_MASK_64) & vmask);
	/* MSI pending bits are read-only */
	if (msix_hit) {
		u16 old = rd16(c, xcap + PCI_MSIX_FLAGS);
		u16 new = rd16(img, xcap + PCI_MSIX_FLAGS);

		wr16(c, xcap + PCI_MSIX_FLAGS,
		     (old & PCI_MSIX_FLAGS_QSIZE) |
			     (new & (PCI_MSIX_FLAGS_ENABLE |
				     PCI_MSIX_FLAGS_MASKALL)));
	}
	pthread_mutex_unlock(&x->lock);
	return true;
}

int sim_msix_mmio(struct sim_model_dev *md, int bar, u64 off, void *buf,
		  size_t len, bool write)
{
	struct sim_msi *x = &md->msi;
	u64 tsize, psize;
	bool in_table, in_pba;

	if (!x->xcap || bar != x->xbar)
		return -ENOENT;
	tsize = (u64)PCI_MSIX_ENTRY_SIZE * x->xnvec;
	psize = DIV_ROUND_UP(x->xnvec, 64) * 8;
	in_table = overlaps(off, len, x->xtable, tsize);
	in_pba = overlaps(off, len, x->xpba, psize);
	if (!in_table && !in_pba)
		return -ENOENT;
	/* dword or aligned qword accesses inside one structure only */
	if ((len != 4 && len != 8) || (off & (len - 1)) ||
	    (in_table && off + len > x->xtable + tsize) ||
	    (in_pba && (off < x->xpba || off + len > x->xpba + psize))) {
		if (!write)
			memset(buf, 0xff, len);
		sim_report(md->m, SIM_REPORT_WARN, &md->fn->pdev.dev, off, len,
			   "%s: malformed MSI-X %s access at bar%d+%#llx, %zu bytes",
			   md->fn->node->id, in_table ? "table" : "PBA", bar,
			   (unsigned long long)off, len);
		return -EIO;
	}
	pthread_mutex_lock(&x->lock);
	if (in_pba) {
		/* read-only */
		if (!write)
			memcpy(buf, (u8 *)x->xpending + (off - x->xpba), len);
	} else if (!write) {
		memcpy(buf, (u8 *)x->xentries + (off - x->xtable), len);
	} else {
		u32 *e = x->xentries + (off - x->xtable) / 4;

		memcpy(e, buf, len);
		/* only the mask bit of vector control is writable */
		if (((off - x->xtable) / 4 + len / 4 - 1) % 4 == 3)
			e[len / 4 - 1] &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	pthread_mutex_unlock(&x->lock);
	if (write && in_table)
		sim_msi_flush_pending(md);
	return 0;
}
