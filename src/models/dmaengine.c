// SPDX-License-Identifier: MIT
/*
 * The DMA engine model: one channel walking a chain of descriptors in host
 * memory, a completion record after each, MSI-X on request and on a halt
 * (models/dmaengine.h is the register contract).
 *
 * Each descriptor is fetched by DMA when the engine reaches it and copied
 * after its latency, on a machine timer: the callback copies through a 64K
 * staging buffer, writes the completion record, fetches the next one and
 * raises the interrupt outside the lock (the driver's handler reads the
 * registers). Commands that stop the engine cancel the timer without the
 * lock held, since the callback takes it.
 *
 * Every dmaengine function of the platform is this model (the kind binds
 * it).
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <dmastack/dmastack.h>
#include "models/dmaengine.h"
#include "models/models.h"

#define DMAE_STAGE	(64 * 1024)

struct dmae {
	struct sim_model_dev *md;
	struct sim_machine *m;
	struct device *dev;
	pthread_mutex_t lock;		/* registers, the chain position */
	u64 chainaddr, compladdr, completed;
	u32 sts, err;
	u64 cur;			/* the descriptor under way, or last */
	struct dmae_desc desc;		/* its fetched copy */
	struct sim_timer timer;
	u8 *stage;
};

/* Write the completion record @addr | @sts; false if the write failed. */
static bool dmae_record(struct dmae *d, u64 addr, u32 sts)
{
	u64 rec = addr | sts;

	return !d->compladdr ||
	       !sim_dma_write(d->dev, d->compladdr, &rec, sizeof(rec));
}

/* Stop on an error at descriptor @addr (lock held). */
static void dmae_halt(struct dmae *d, u32 err, u64 addr)
{
	d->sts = DMAE_STS_HALTED;
	d->err |= err;
	d->cur = addr;
	if (!dmae_record(d, addr, DMAE_STS_HALTED))
		d->err |= DMAE_ERR_CMPL;
}

/*
 * Fetch the descriptor at @addr and start its latency (lock held). True if
 * the engine halted, which interrupts.
 */
static bool dmae_fetch(struct dmae *d, u64 addr)
{
	struct dmae_desc *x = &d->desc;

	if (addr & (sizeof(*x) - 1)) {
		dmae_halt(d, DMAE_ERR_CHAINADDR, addr);
		return true;
	}
	if (sim_dma_read(d->dev, addr, x, sizeof(*x))) {
		dmae_halt(d, DMAE_ERR_DESC_READ, addr);
		return true;
	}
	if ((x->ctl & ~(DMAE_CTL_INT | DMAE_CTL_NULL)) ||
	    x->size > DMAE_MAX_SIZE ||
	    (!x->size && !(x->ctl & DMAE_CTL_NULL))) {
		dmae_halt(d, DMAE_ERR_DESC, addr);
		return true;
	}
	d->cur = addr;
	d->sts = DMAE_STS_ACTIVE;
	sim_timer_arm_in(d->m, &d->timer, x->ctl & DMAE_CTL_NULL ? 0 :
			 DMAE_LATENCY_NS + x->size / DMAE_BYTES_PER_NS);
	return false;
}

/* The copy of the fetched descriptor: 0 or the DMAE_ERR_ of the failure. */
static u32 dmae_copy(struct dmae *d)
{
	const struct dmae_desc *x = &d->desc;

	if (x->ctl & DMAE_CTL_NULL)
		return 0;
	for (u32 off = 0; off < x->size; off += DMAE_STAGE) {
		u32 n = x->size - off < DMAE_STAGE ? x->size - off : DMAE_STAGE;

		if (sim_dma_read(d->dev, x->src + off, d->stage, n))
			return DMAE_ERR_SRC;
		if (sim_dma_write(d->dev, x->dst + off, d->stage, n))
			return DMAE_ERR_DST;
	}
	return 0;
}

static void dmae_complete(struct sim_timer *t, void *data)
{
	struct dmae *d = data;
	bool irq;
	u32 err;

	(void)t;
	pthread_mutex_lock(&d->lock);
	if (d->sts != DMAE_STS_ACTIVE) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	err = dmae_copy(d);
	if (err) {
		dmae_halt(d, err, d->cur);
		irq = true;
	} else {
		d->completed++;
		irq = d->desc.ctl & DMAE_CTL_INT;
		if (!d->desc.next) {
			d->sts = DMAE_STS_DONE;
			if (!dmae_record(d, d->cur, DMAE_STS_DONE)) {
				dmae_halt(d, DMAE_ERR_CMPL, d->cur);
				irq = true;
			}
		} else if (!dmae_record(d, d->cur, DMAE_STS_ACTIVE)) {
			dmae_halt(d, DMAE_ERR_CMPL, d->cur);
			irq = true;
		} else {
			irq |= dmae_fetch(d, d->desc.next);
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (irq)
		sim_msi_raise(d->md, 0);
}

/* A command (lock held); true if the engine halted. */
static bool dmae_cmd(struct dmae *d, u32 cmd)
{
	u64 next;

	switch (cmd) {
	case DMAE_CMD_START:
		if (d->sts == DMAE_STS_ACTIVE)
			break;
		d->err = 0;
		return dmae_fetch(d, d->chainaddr);
	case DMAE_CMD_APPEND:
		if (d->sts != DMAE_STS_DONE)
			break;
		if (sim_dma_read(d->dev, d->cur + offsetof(struct dmae_desc, next),
				 &next, sizeof(next))) {
			dmae_halt(d, DMAE_ERR_DESC_READ, d->cur);
			return true;
		}
		return next ? dmae_fetch(d, next) : false;
	default:
		sim_model_log(d->md, 0, "dmaengine: unknown command %u; ignored",
			      cmd);
		return false;
	}
	sim_model_log(d->md, 0, "dmaengine: command %u while %s; ignored", cmd,
		      d->sts == DMAE_STS_ACTIVE ? "active" : "not done");
	return false;
}

static int dmae_bar_read(struct sim_model_dev *md, int bar, u64 off,
			 void *buf, size_t len)
{
	struct dmae *d = sim_model_priv(md);
	u64 v = 0;

	if (bar != 0 || (len != 4 && len != 8) || (off & (len - 1)))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	switch (off) {
	case DMAE_REG_ID:		v = DMAE_ID; break;
	case DMAE_REG_CHAINADDR:	v = d->chainaddr; break;
	case DMAE_REG_CMPLADDR:		v = d->compladdr; break;
	case DMAE_REG_STS:		v = d->sts; break;
	case DMAE_REG_ERR:		v = d->err; break;
	case DMAE_REG_COMPLETED:	v = d->completed; break;
	}
	pthread_mutex_unlock(&d->lock);
	if (len == 4)
		*(u32 *)buf = (u32)v;
	else
		*(u64 *)buf = v;
	return 0;
}

static int dmae_bar_write(struct sim_model_dev *md, int bar, u64 off,
			  const void *buf, size_t len)
{
	struct dmae *d = sim_model_priv(md);
	bool irq = false;
	u64 v = 0;
	int ret = 0;

	if (bar != 0 || (len != 4 && len != 8) || (off & (len - 1)))
		return -EINVAL;
	memcpy(&v, buf, len);
	if (off == DMAE_REG_CMD && len == 4 && v == DMAE_CMD_ABORT) {
		/* not under the lock: the callback takes it */
		sim_timer_cancel(&d->timer);
		pthread_mutex_lock(&d->lock);
		if (d->sts == DMAE_STS_ACTIVE)
			d->sts = DMAE_STS_IDLE;
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	pthread_mutex_lock(&d->lock);
	if (off == DMAE_REG_CHAINADDR && len == 8) {
		d->chainaddr = v;
	} else if (off == DMAE_REG_CMPLADDR && len == 8 && !(v & 7)) {
		d->compladdr = v;
	} else if (off == DMAE_REG_CMD && len == 4) {
		irq = dmae_cmd(d, (u32)v);
	} else {
		sim_model_log(md, 0, "dmaengine: ignored a %zu-byte write of %#llx at bar0+%#llx",
			      len, (unsigned long long)v,
			      (unsigned long long)off);
		ret = -EINVAL;
	}
	pthread_mutex_unlock(&d->lock);
	if (irq)
		sim_msi_raise(md, 0);
	return ret;
}

/* A reset stops the channel and forgets its registers. */
static void dmae_reset(struct sim_model_dev *md, enum sim_model_reset how)
{
	struct dmae *d = sim_model_priv(md);

	(void)how;
	sim_timer_cancel(&d->timer);
	pthread_mutex_lock(&d->lock);
	d->chainaddr = d->compladdr = d->completed = d->cur = 0;
	d->sts = DMAE_STS_IDLE;
	d->err = 0;
	pthread_mutex_unlock(&d->lock);
}

static int dmae_init(struct sim_model_dev *md)
{
	struct sim_machine *m = sim_model_machine(md);
	struct dmae *d = sim_zalloc(m, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->stage = sim_zalloc(m, DMAE_STAGE);
	if (!d->stage) {
		sim_free(m, d);
		return -ENOMEM;
	}
	d->md = md;
	d->m = m;
	d->dev = sim_model_device(md);
	pthread_mutex_init(&d->lock, NULL);
	sim_timer_init(m, &d->timer, dmae_complete, d);
	sim_model_set_priv(md, d);
	return 0;
}

static void dmae_exit(struct sim_model_dev *md)
{
	struct dmae *d = sim_model_priv(md);

	sim_timer_cancel(&d->timer);
	pthread_mutex_destroy(&d->lock);
	sim_free(d->m, d->stage);
	sim_free(d->m, d);
	sim_model_set_priv(md, NULL);
}

/* The identity is the platform kind's: an Intel DSA-class function. */
const struct sim_model sim_model_dmaengine = {
	.name = "dmaengine",
	.vendor = 0x8086,
	.device = 0x0b25,
	.class_code = 0x088000,
	.bars = { [0] = { .size = DMAE_BAR0_MIN, .flags = SIM_BAR_REGS } },
	.msix_vectors = 1,
	.msix_bar = 0,
	.msix_offset = DMAE_MSIX_OFFSET,
	.init = dmae_init,
	.exit = dmae_exit,
	.bar_read = dmae_bar_read,
	.bar_write = dmae_bar_write,
	.reset = dmae_reset,
};
