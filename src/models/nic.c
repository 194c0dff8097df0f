// SPDX-License-Identifier: MIT
/*
 * The NIC model: memory keys with their translation tables (MTTs) in the
 * NIC, and work requests that move bytes between a region and the wire by
 * DMA (<dmastack/nic-regs.h> is the register contract).
 *
 * An mkey is taken by reading MKEY_ALLOC (under the NIC's lock, so threads
 * never get the same one) and then belongs to one driver object, which
 * serialises every use of its registers (the region's lock); the NIC's
 * lock covers only which mkeys are free. A work request runs while its
 * doorbell write runs: the NIC walks the MTT, one DMA per entry piece, and
 * stops at the first invalid entry (a page fault) or failed DMA, saying
 * how far it got.
 *
 * Every nic function of the platform is this model (the kind binds it).
 */
#include <pthread.h>
#include <string.h>
#include <dmastack/dmastack.h>
#include <dmastack/nic-regs.h>

static inline u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

/* One entry of a variable-length MTT (SHIFT 0). */
struct nic_ment {
	u64 addr;
	u64 start;
	u32 len;
	u32 flags;
};

struct nic_mkey {
	bool busy;			/* allocated; under nic->lock */
	u32 nentries, shift, access;	/* the registers */
	u32 status, fault;
	u64 bytes;
	/* The MTT: addr | NIC_MTT_* per entry (SHIFT > 0), or entries. */
	u64 *pages;
	struct nic_ment *ents;
	u32 mtt_entries, mtt_shift, mtt_access;	/* as created */
};

struct nic {
	struct sim_model_dev *md;
	struct sim_machine *m;
	struct device *dev;
	pthread_mutex_t lock;		/* which mkeys are free */
	u32 nr_mkeys;
	u32 next;			/* where the next allocation looks */
	struct nic_mkey *mkeys;
};

static void mkey_free_mtt(struct nic *nic, struct nic_mkey *k)
{
	sim_free(nic->m, k->pages);
	sim_free(nic->m, k->ents);
	k->pages = NULL;
	k->ents = NULL;
	k->mtt_entries = 0;
}

static u32 mkey_alloc(struct nic *nic)
{
	u32 idx = NIC_MKEY_NONE;

	pthread_mutex_lock(&nic->lock);
	for (u32 i = 0; i < nic->nr_mkeys; i++) {
		u32 j = (nic->next + i) % nic->nr_mkeys;

		if (!nic->mkeys[j].busy) {
			struct nic_mkey *k = &nic->mkeys[j];

			memset(k, 0, sizeof(*k));
			k->busy = true;
			nic->next = (j + 1) % nic->nr_mkeys;
			idx = j;
			break;
		}
	}
	pthread_mutex_unlock(&nic->lock);
	return idx;
}

static u32 mkey_create(struct nic *nic, struct nic_mkey *k)
{
	mkey_free_mtt(nic, k);
	if (!k->nentries || k->nentries > NIC_MTT_MAX || k->shift > 30 ||
	    (k->shift && k->shift < 12) ||
	    (k->access & ~(NIC_ACCESS_READ | NIC_ACCESS_WRITE)))
		return NIC_SYND_BAD_REQUEST;
	if (k->shift)
		k->pages = sim_zalloc(nic->m, (size_t)k->nentries *
					      sizeof(*k->pages));
	else
		k->ents = sim_zalloc(nic->m, (size_t)k->nentries *
					     sizeof(*k->ents));
	if (!k->pages && !k->ents)
		return NIC_SYND_NO_RESOURCES;
	k->mtt_entries = k->nentries;
	k->mtt_shift = k->shift;
	k->mtt_access = k->access;
	return NIC_SYND_OK;
}

static u32 mkey_ctrl(struct nic *nic, struct nic_mkey *k, u32 cmd)
{
	switch (cmd) {
	case NIC_CTRL_CREATE:
		return mkey_create(nic, k);
	case NIC_CTRL_ZAP:
		if (!k->mtt_entries)
			return NIC_SYND_BAD_MKEY;
		for (u32 i = 0; i < k->mtt_entries; i++)
			if (k->pages)
				k->pages[i] = 0;
			else
				k->ents[i].flags = 0;
		return NIC_SYND_OK;
	case NIC_CTRL_DESTROY:
		mkey_free_mtt(nic, k);
		pthread_mutex_lock(&nic->lock);
		k->busy = false;
		pthread_mutex_unlock(&nic->lock);
		return NIC_SYND_OK;
	}
	return NIC_SYND_BAD_REQUEST;
}

static u32 mkey_write_mtt(struct nic_mkey *k, const struct nic_mtte *e)
{
	if (!k->mtt_entries)
		return NIC_SYND_BAD_MKEY;
	if (e->index >= k->mtt_entries ||
	    (e->flags & ~(NIC_MTT_VALID | NIC_MTT_WRITE)))
		return NIC_SYND_BAD_REQUEST;
	if (k->pages) {
		if (e->addr & ((1ULL << k->mtt_shift) - 1))
			return NIC_SYND_BAD_REQUEST;
		k->pages[e->index] = e->addr | e->flags;
		return NIC_SYND_OK;
	}
	if (!e->len || e->start + e->len < e->start)
		return NIC_SYND_BAD_REQUEST;
	k->ents[e->index] = (struct nic_ment){
		.addr = e->addr, .start = e->start, .len = e->len,
		.flags = e->flags,
	};
	return NIC_SYND_OK;
}

/*
 * The entry holding region offset @pos: its bus address, its bytes from
 * @pos on and its flags. False when no entry covers @pos.
 */
static bool mtt_lookup(const struct nic_mkey *k, u64 pos, u32 *idx,
		       u64 *addr, u64 *avail, u32 *flags)
{
	if (k->pages) {
		u64 i = pos >> k->mtt_shift;
		u64 mask = (1ULL << k->mtt_shift) - 1;

		if (i >= k->mtt_entries)
			return false;
		*idx = (u32)i;
		*flags = (u32)(k->pages[i] & (NIC_MTT_VALID | NIC_MTT_WRITE));
		*addr = (k->pages[i] & ~mask) + (pos & mask);
		*avail = mask + 1 - (pos & mask);
		return true;
	}
	for (u32 i = 0; i < k->mtt_entries; i++) {
		const struct nic_ment *e = &k->ents[i];

		if (e->len && pos >= e->start && pos - e->start < e->len) {
			*idx = i;
			*flags = e->flags;
			*addr = e->addr + (pos - e->start);
			*avail = e->len - (pos - e->start);
			return true;
		}
	}
	return false;
}

/* Run a work request on @k: the doorbell. */
static u32 nic_run(struct nic *nic, struct nic_mkey *k, const struct nic_wqe *w)
{
	bool recv = w->opcode == NIC_OP_RECV;
	u8 *wire = (u8 *)(uintptr_t)w->wire;
	u64 done = 0;

	k->bytes = 0;
	k->fault = 0;
	if (!k->mtt_entries)
		return NIC_SYND_BAD_MKEY;
	if ((w->opcode != NIC_OP_SEND && !recv) || (!wire && w->len))
		return NIC_SYND_BAD_REQUEST;
	if (!(k->mtt_access & (recv ? NIC_ACCESS_WRITE : NIC_ACCESS_READ)))
		return NIC_SYND_ACCESS;
	if (w->offset + w->len < w->offset)
		return NIC_SYND_RANGE;
	while (done < w->len) {
		u64 addr, avail, n;
		u32 idx, flags;
		int ret;

		if (!mtt_lookup(k, w->offset + done, &idx, &addr, &avail,
				&flags))
			return NIC_SYND_RANGE;
		if (!(flags & NIC_MTT_VALID) ||
		    (recv && !(flags & NIC_MTT_WRITE))) {
			k->fault = idx;
			return NIC_SYND_PAGE_FAULT;
		}
		n = min_u64(avail, w->len - done);
		if (recv)
			ret = sim_dma_write(nic->dev, addr, wire + done,
					    (size_t)n);
		else
			ret = sim_dma_read(nic->dev, addr, wire + done,
					   (size_t)n);
		if (ret)
			return NIC_SYND_DMA;
		done += n;
		k->bytes = done;
	}
	return NIC_SYND_OK;
}

static struct nic_mkey *mkey_at(struct nic *nic, u64 off, u64 *reg)
{
	u64 i;

	if (off < NIC_MKEY_BASE)
		return NULL;
	i = (off - NIC_MKEY_BASE) / NIC_MKEY_STRIDE;
	if (i >= nic->nr_mkeys)
		return NULL;
	*reg = (off - NIC_MKEY_BASE) % NIC_MKEY_STRIDE;
	return &nic->mkeys[i];
}

static int nic_bar_read(struct sim_model_dev *md, int bar, u64 off, void *buf,
			size_t len)
{
	struct nic *nic = sim_model_priv(md);
	struct nic_mkey *k;
	u64 reg, v = 0;

	if (bar != 0 || (len != 4 && len != 8) || (off & (len - 1)))
		return -EINVAL;
	if (off == NIC_REG_ID)
		v = NIC_ID;
	else if (off == NIC_REG_MKEYS)
		v = nic->nr_mkeys;
	else if (off == NIC_REG_MKEY_ALLOC)
		v = mkey_alloc(nic);
	else if ((k = mkey_at(nic, off, &reg))) {
		switch (reg) {
		case NIC_MKEY_NENTRIES: v = k->nentries; break;
		case NIC_MKEY_SHIFT: v = k->shift; break;
		case NIC_MKEY_ACCESS: v = k->access; break;
		case NIC_MKEY_STATUS: v = k->status; break;
		case NIC_MKEY_FAULT: v = k->fault; break;
		case NIC_MKEY_BYTES: v = k->bytes; break;
		}
	}
	if (len == 4)
		*(u32 *)buf = (u32)v;
	else
		*(u64 *)buf = v;
	return 0;
}

static int nic_bar_write(struct sim_model_dev *md, int bar, u64 off,
			 const void *buf, size_t len)
{
	struct nic *nic = sim_model_priv(md);
	struct nic_mkey *k;
	u64 reg;
	u32 v;

	if (bar != 0 || !(k = mkey_at(nic, off, &reg)))
		goto ignored;
	if (reg == NIC_MKEY_MTT && len == sizeof(struct nic_mtte)) {
		struct nic_mtte e;

		memcpy(&e, buf, sizeof(e));
		k->status = mkey_write_mtt(k, &e);
		if (k->status)
			sim_model_log(md, e.addr,
				      "nic: mkey %llu: MTT entry %u refused (syndrome %u)",
				      (unsigned long long)((off - NIC_MKEY_BASE) /
							   NIC_MKEY_STRIDE),
				      e.index, k->status);
		return 0;
	}
	if (reg == NIC_MKEY_WQE && len == sizeof(struct nic_wqe)) {
		struct nic_wqe w;

		memcpy(&w, buf, sizeof(w));
		k->status = nic_run(nic, k, &w);
		return 0;
	}
	if (len != 4)
		goto ignored;
	memcpy(&v, buf, 4);
	switch (reg) {
	case NIC_MKEY_CTRL: k->status = mkey_ctrl(nic, k, v); return 0;
	case NIC_MKEY_NENTRIES: k->nentries = v; return 0;
	case NIC_MKEY_SHIFT: k->shift = v; return 0;
	case NIC_MKEY_ACCESS: k->access = v; return 0;
	}
ignored:
	sim_model_log(md, 0, "nic: ignored a %zu-byte write at bar%d+%#llx",
		      len, bar, (unsigned long long)off);
	return -EINVAL;
}

/* A reset forgets every mkey: their MTTs are gone with the NIC's state. */
static void nic_reset(struct sim_model_dev *md, enum sim_model_reset how)
{
	struct nic *nic = sim_model_priv(md);

	(void)how;
	pthread_mutex_lock(&nic->lock);
	for (u32 i = 0; i < nic->nr_mkeys; i++) {
		mkey_free_mtt(nic, &nic->mkeys[i]);
		memset(&nic->mkeys[i], 0, sizeof(nic->mkeys[i]));
	}
	pthread_mutex_unlock(&nic->lock);
}

static int nic_init(struct sim_model_dev *md)
{
	struct sim_machine *m = sim_model_machine(md);
	u64 bar0 = sim_model_bar_size(md, 0);
	struct nic *nic;

	nic = sim_zalloc(m, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	nic->md = md;
	nic->m = m;
	nic->dev = sim_model_device(md);
	nic->nr_mkeys = (u32)min_u64((bar0 - NIC_MKEY_BASE) / NIC_MKEY_STRIDE,
				     65536);
	nic->mkeys = sim_zalloc(m, nic->nr_mkeys * sizeof(*nic->mkeys));
	if (!nic->mkeys) {
		sim_free(m, nic);
		return -ENOMEM;
	}
	pthread_mutex_init(&nic->lock, NULL);
	sim_model_set_priv(md, nic);
	return 0;
}

static void nic_exit(struct sim_model_dev *md)
{
	struct nic *nic = sim_model_priv(md);

	for (u32 i = 0; i < nic->nr_mkeys; i++)
		mkey_free_mtt(nic, &nic->mkeys[i]);
	pthread_mutex_destroy(&nic->lock);
	sim_free(nic->m, nic->mkeys);
	sim_free(nic->m, nic);
	sim_model_set_priv(md, NULL);
}

/* The identity is the platform kind's: a ConnectX-6 Dx function. */
const struct sim_model sim_model_nic = {
	.name = "nic",
	.vendor = 0x15b3,
	.device = 0x1021,
	.class_code = 0x020000,
	.bars = { [0] = { .size = NIC_BAR0_MIN, .flags = SIM_BAR_REGS } },
	.init = nic_init,
	.exit = nic_exit,
	.bar_read = nic_bar_read,
	.bar_write = nic_bar_write,
	.reset = nic_reset,
};
