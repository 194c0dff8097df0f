// SPDX-License-Identifier: MIT
/*
 * Message Signalled Interrupts, the hardware side.
 *
 * A model's function gets an MSI capability (64-bit address, per-vector
 * masking) appended to its config space capability list. The driver's
 * kernel side programs it with config writes: address, data, the number of
 * vectors it enables (Multiple Message Enable), the enable bit and the mask
 * bits. A raised vector whose mask bit is set latches its pending bit and
 * is sent when unmasked. A message that is sent is a write of the data
 * (its low bits replaced by the vector) to the address; a write into the
 * MSI address window goes to the machine's interrupt controller, which the
 * kernel's IRQ layer registered, and its handler runs on the sending
 * thread. The message does not pass through the IOMMU (interrupt
 * remapping is not modelled) and needs bus mastering, as hardware does.
 */
#include <string.h>
#include "../internal.h"

/* Capability placement: after PM (0x40), PCIe (0x50..0x8b), AF (0x90). */
#define CAP_MSI		0xa0

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
void sim_msi_install(struct sim_model_dev *md, unsigned int nvec)
{
	u8 *c = md->fn->config;
	u8 pos = c[PCI_CAPABILITY_LIST];
	unsigned int log2 = 0;

	while ((1u << log2) < nvec)
		log2++;
	if (!pos) {
		c[PCI_CAPABILITY_LIST] = CAP_MSI;
	} else {
		for (int ttl = 48; c[pos + 1] && ttl; ttl--)
			pos = c[pos + 1];
		c[pos + 1] = CAP_MSI;
	}
	memset(c + CAP_MSI, 0, 0x18);
	c[CAP_MSI] = PCI_CAP_ID_MSI;
	wr16(c, CAP_MSI + PCI_MSI_FLAGS,
	     (u16)(log2 << 1) | PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
	md->msi.cap = CAP_MSI;
	md->msi.nvec = nvec;
}

/* Reset: MSI disabled, addresses, masks and pending bits cleared. */
void sim_msi_reset(struct sim_model_dev *md)
{
	u8 *c = md->fn->config;
	int cap = md->msi.cap;

	if (!cap)
		return;
	pthread_mutex_lock(&md->msi.lock);
	wr16(c, cap + PCI_MSI_FLAGS,
	     rd16(c, cap + PCI_MSI_FLAGS) &
		     ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE));
	memset(c + cap + PCI_MSI_ADDRESS_LO, 0, 0x14);
	pthread_mutex_unlock(&md->msi.lock);
}

/* Caller holds the lock: vectors enabled now (0: MSI off). */
static unsigned int msi_enabled_vectors(struct sim_model_dev *md)
{
	u16 flags = rd16(md->fn->config, md->msi.cap + PCI_MSI_FLAGS);
	unsigned int n;

	if (!(flags & PCI_MSI_FLAGS_ENABLE))
		return 0;
	n = 1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);
	return min(n, md->msi.nvec);
}

/* Caller holds the lock: may the function send a message now? */
static bool msi_can_send(struct sim_model_dev *md)
{
	struct sim_pci_fn *fn = md->fn;

	return (rd16(fn->config, PCI_COMMAND) & PCI_COMMAND_MASTER) &&
	       fn->pdev.current_state == PCI_D0 && !fn->in_reset &&
	       msi_enabled_vectors(md);
}

/* Caller holds the lock: the message of @vector. */
static void msi_message(struct sim_model_dev *md, unsigned int vector,
			u64 *addr, u32 *data)
{
	const u8 *c = md->fn->config;
	int cap = md->msi.cap;
	u32 n = msi_enabled_vectors(md);

	*addr = rd32(c, cap + PCI_MSI_ADDRESS_LO) |
		((u64)rd32(c, cap + PCI_MSI_ADDRESS_HI) << 32);
	*data = (rd16(c, cap + PCI_MSI_DATA_64) & ~(n - 1)) | vector;
}

int sim_msi_raise(struct sim_model_dev *md, unsigned int vector)
{
	u8 *c;
	int cap;
	u64 addr;
	u32 data, mask;

	if (!md)
		return -EINVAL;
	cap = md->msi.cap;
	if (!cap)
		return -ENODEV;
	if (vector >= md->msi.nvec)
		return -EINVAL;
	c = md->fn->config;
	pthread_mutex_lock(&md->msi.lock);
	if (!msi_can_send(md)) {
		pthread_mutex_unlock(&md->msi.lock);
		return -EIO;
	}
	if (vector >= msi_enabled_vectors(md)) {
		pthread_mutex_unlock(&md->msi.lock);
		return -EINVAL;
	}
	mask = rd32(c, cap + PCI_MSI_MASK_64);
	if (mask & (1u << vector)) {
		wr32(c, cap + PCI_MSI_PENDING_64,
		     rd32(c, cap + PCI_MSI_PENDING_64) | (1u << vector));
		pthread_mutex_unlock(&md->msi.lock);
		return 0;
	}
	msi_message(md, vector, &addr, &data);
	pthread_mutex_unlock(&md->msi.lock);
	msi_send(md, addr, data);
	return 0;
}

bool sim_msi_pending(struct sim_model_dev *md, unsigned int vector)
{
	bool p;

	if (!md || !md->msi.cap || vector >= md->msi.nvec)
		return false;
	pthread_mutex_lock(&md->msi.lock);
	p = rd32(md->fn->config, md->msi.cap + PCI_MSI_PENDING_64) &
	    (1u << vector);
	pthread_mutex_unlock(&md->msi.lock);
	return p;
}

static bool overlaps(int where, int size, int reg, int len)
{
	return where < reg + len && reg < where + size;
}

/**
 * sim_msi_cfg_write - a config write that may touch the MSI capability
 * @md: the instance
 * @img: config space as the write would leave it (every byte written)
 * @where: the write's offset
 * @size: its size
 *
 * Takes the writable bits; then sends, lowest vector first, every pending
 * vector the write unmasked (or that an enable made sendable).
 */
void sim_msi_cfg_write(struct sim_model_dev *md, const u8 *img, int where,
		       int size)
{
	int cap = md->msi.cap;
	u8 *c = md->fn->config;
	u32 vmask = md->msi.nvec >= 32 ? ~0u : (1u << md->msi.nvec) - 1;
	u32 send = 0, pending;
	u64 addr[SIM_MSI_MAX_VECTORS];
	u32 data[SIM_MSI_MAX_VECTORS];

	if (!cap || !overlaps(where, size, cap, 0x18))
		return;
	pthread_mutex_lock(&md->msi.lock);
	if (overlaps(where, size, cap + PCI_MSI_FLAGS, 2)) {
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
	if (overlaps(where, size, cap + PCI_MSI_ADDRESS_LO, 4))
		wr32(c, cap + PCI_MSI_ADDRESS_LO,
		     rd32(img, cap + PCI_MSI_ADDRESS_LO) & ~3u);
	if (overlaps(where, size, cap + PCI_MSI_ADDRESS_HI, 4))
		wr32(c, cap + PCI_MSI_ADDRESS_HI,
		     rd32(img, cap + PCI_MSI_ADDRESS_HI));
	if (overlaps(where, size, cap + PCI_MSI_DATA_64, 2))
		wr16(c, cap + PCI_MSI_DATA_64, rd16(img, cap + PCI_MSI_DATA_64));
	if (overlaps(where, size, cap + PCI_MSI_MASK_64, 4))
		wr32(c, cap + PCI_MSI_MASK_64,
		     rd32(img, cap + PCI_MSI_MASK_64) & vmask);
	/* pending bits are read-only */
	pending = rd32(c, cap + PCI_MSI_PENDING_64);
	if (pending && msi_can_send(md)) {
		u32 n = msi_enabled_vectors(md);

		send = pending & ~rd32(c, cap + PCI_MSI_MASK_64) &
		       (n >= 32 ? ~0u : (1u << n) - 1);
		for (unsigned int v = 0; v < SIM_MSI_MAX_VECTORS; v++)
			if (send & (1u << v))
				msi_message(md, v, &addr[v], &data[v]);
		wr32(c, cap + PCI_MSI_PENDING_64, pending & ~send);
	}
	pthread_mutex_unlock(&md->msi.lock);
	for (unsigned int v = 0; v < SIM_MSI_MAX_VECTORS; v++)
		if (send & (1u << v))
			msi_send(md, addr[v], data[v]);
}
