// SPDX-License-Identifier: MIT
/*
 * The GPU model: video memory in BAR2 and a copy engine (models/gpu.h).
 *
 * The copy engine's job is described by registers and runs on a machine
 * timer: the launch checks the job and arms the timer; the callback copies
 * through a 64K staging buffer (bus addresses by DMA, video memory
 * directly, as the engine sits beside it) and raises the MSI outside the
 * lock, since the driver's handler reads the registers.
 *
 * Every gpu function of the platform is this model (the kind binds it).
 */
#include <pthread.h>
#include <string.h>
#include <dmastack/dmastack.h>
#include "models/gpu.h"
#include "models/models.h"

#define GPU_STAGE	(64 * 1024)

struct gpu {
	struct sim_model_dev *md;
	struct sim_machine *m;
	pthread_mutex_t lock;		/* the registers and the job */
	u8 *vram;			/* BAR2's bytes, NULL without */
	u64 vram_size;
	u64 src, dst;
	u32 len, flags, status, done;
	struct sim_timer job;
	u8 *stage;
};

static bool ce_range_ok(struct gpu *g, u64 addr, u32 len, bool vram)
{
	return !vram || (g->vram && addr <= g->vram_size &&
			 len <= g->vram_size - addr);
}

/* One piece of the job: @n bytes from src + @off to dst + @off. */
static int ce_copy(struct gpu *g, u64 off, u32 n)
{
	struct device *dev = sim_model_device(g->md);
	bool sv = g->flags & GPU_CE_SRC_VRAM, dv = g->flags & GPU_CE_DST_VRAM;
	u8 *from = sv ? g->vram + g->src + off : g->stage;
	int ret;

	if (!sv) {
		ret = sim_dma_read(dev, g->src + off, g->stage, n);
		if (ret)
			return ret;
	}
	if (dv) {
		memmove(g->vram + g->dst + off, from, n);
		return 0;
	}
	return sim_dma_write(dev, g->dst + off, from, n);
}

static void ce_complete(struct sim_timer *t, void *data)
{
	struct gpu *g = data;
	bool irq;
	u32 off;

	(void)t;
	pthread_mutex_lock(&g->lock);
	if (g->status != GPU_CE_BUSY) {
		pthread_mutex_unlock(&g->lock);
		return;
	}
	g->status = GPU_CE_DONE;
	for (off = 0; off < g->len; off += GPU_STAGE)
		if (ce_copy(g, off, g->len - off < GPU_STAGE ? g->len - off :
							       GPU_STAGE)) {
			g->status = GPU_CE_ERROR;
			break;
		}
	g->done++;
	irq = g->flags & GPU_CE_IRQ;
	pthread_mutex_unlock(&g->lock);
	if (irq)
		sim_msi_raise(g->md, 0);
}

/* Under g->lock. */
static void ce_launch(struct gpu *g)
{
	if (g->status == GPU_CE_BUSY) {
		sim_model_log(g->md, 0, "gpu: copy engine launched while busy; ignored");
		return;
	}
	if (!g->len || g->len > GPU_CE_MAX_LEN ||
	    (g->flags & ~(GPU_CE_SRC_VRAM | GPU_CE_DST_VRAM | GPU_CE_IRQ)) ||
	    !ce_range_ok(g, g->src, g->len, g->flags & GPU_CE_SRC_VRAM) ||
	    !ce_range_ok(g, g->dst, g->len, g->flags & GPU_CE_DST_VRAM)) {
		g->status = GPU_CE_BAD;
		return;
	}
	g->status = GPU_CE_BUSY;
	sim_timer_arm_in(g->m, &g->job,
			 GPU_CE_LATENCY_NS + g->len / GPU_CE_BYTES_PER_NS);
}

static int gpu_bar_read(struct sim_model_dev *md, int bar, u64 off, void *buf,
			size_t len)
{
	struct gpu *g = sim_model_priv(md);
	u64 v = 0;

	if (bar != 0 || (len != 4 && len != 8) || (off & (len - 1)))
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	switch (off) {
	case GPU_REG_ID:	v = GPU_ID; break;
	case GPU_REG_VRAM_SIZE:	v = g->vram_size; break;
	case GPU_REG_CE_SRC:	v = g->src; break;
	case GPU_REG_CE_DST:	v = g->dst; break;
	case GPU_REG_CE_LEN:	v = g->len; break;
	case GPU_REG_CE_FLAGS:	v = g->flags; break;
	case GPU_REG_CE_STATUS:	v = g->status; break;
	case GPU_REG_CE_DONE:	v = g->done; break;
	}
	pthread_mutex_unlock(&g->lock);
	if (len == 4)
		*(u32 *)buf = (u32)v;
	else
		*(u64 *)buf = v;
	return 0;
}

static int gpu_bar_write(struct sim_model_dev *md, int bar, u64 off,
			 const void *buf, size_t len)
{
	struct gpu *g = sim_model_priv(md);
	u64 v = 0;
	int ret = 0;

	if (bar != 0 || (len != 4 && len != 8) || (off & (len - 1)))
		return -EINVAL;
	memcpy(&v, buf, len);
	pthread_mutex_lock(&g->lock);
	if (g->status == GPU_CE_BUSY && off != GPU_REG_CE_LAUNCH &&
	    off >= GPU_REG_CE_SRC && off <= GPU_REG_CE_FLAGS) {
		/* the running job keeps what it was launched with */
		sim_model_log(md, 0, "gpu: copy engine register %#llx written while busy; ignored",
			      (unsigned long long)off);
	} else if (off == GPU_REG_CE_SRC && len == 8) {
		g->src = v;
	} else if (off == GPU_REG_CE_DST && len == 8) {
		g->dst = v;
	} else if (off == GPU_REG_CE_LEN && len == 4) {
		g->len = (u32)v;
	} else if (off == GPU_REG_CE_FLAGS && len == 4) {
		g->flags = (u32)v;
	} else if (off == GPU_REG_CE_LAUNCH && len == 4) {
		ce_launch(g);
	} else {
		sim_model_log(md, 0, "gpu: ignored a %zu-byte write at bar0+%#llx",
			      len, (unsigned long long)off);
		ret = -EINVAL;
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

/* A reset ends the job unfinished and clears the registers. */
static void gpu_reset(struct sim_model_dev *md, enum sim_model_reset how)
{
	struct gpu *g = sim_model_priv(md);

	(void)how;
	sim_timer_cancel(&g->job);
	pthread_mutex_lock(&g->lock);
	g->src = g->dst = 0;
	g->len = g->flags = g->done = 0;
	g->status = GPU_CE_IDLE;
	pthread_mutex_unlock(&g->lock);
}

static int gpu_init(struct sim_model_dev *md)
{
	struct sim_machine *m = sim_model_machine(md);
	struct gpu *g = sim_zalloc(m, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->stage = sim_zalloc(m, GPU_STAGE);
	if (!g->stage) {
		sim_free(m, g);
		return -ENOMEM;
	}
	g->md = md;
	g->m = m;
	g->vram = sim_model_bar_mem(md, 2);
	g->vram_size = g->vram ? sim_model_bar_size(md, 2) : 0;
	pthread_mutex_init(&g->lock, NULL);
	sim_timer_init(m, &g->job, ce_complete, g);
	sim_model_set_priv(md, g);
	return 0;
}

static void gpu_exit(struct sim_model_dev *md)
{
	struct gpu *g = sim_model_priv(md);

	sim_timer_cancel(&g->job);
	pthread_mutex_destroy(&g->lock);
	sim_free(g->m, g->stage);
	sim_free(g->m, g);
	sim_model_set_priv(md, NULL);
}

/* The identity is the platform kind's: an NVIDIA H100-class function. */
const struct sim_model sim_model_gpu = {
	.name = "gpu",
	.vendor = 0x10de,
	.device = 0x2335,
	.class_code = 0x030200,
	.bars = { [0] = { .size = GPU_BAR0_MIN, .flags = SIM_BAR_REGS } },
	.msi_vectors = 1,
	.init = gpu_init,
	.exit = gpu_exit,
	.bar_read = gpu_bar_read,
	.bar_write = gpu_bar_write,
	.reset = gpu_reset,
};
