// SPDX-License-Identifier: MIT
/*
 * The edma DMA engine as a device model, written against dmastack's
 * public device-model API only (<dmastack/sim-model.h>).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "edma.h"

#define EDMA_MAX_LEN	(64u << 10)

struct edma_hw {
	struct sim_model_dev *md;
	pthread_mutex_t lock;		/* registers and the job */
	u64 ring_base;
	u32 ring_size, ctrl, head, tail, completed;
	u64 latency_ns;
	bool busy;			/* a job is waiting on the timer */
	struct edma_desc job;		/* the fetched descriptor */
	struct sim_timer timer;
	u8 *bounce;			/* the engine's data buffer */
	struct edma_model_stats stats;
};

/* Fetch the descriptor at head and start its latency (lock held). */
static void edma_start(struct edma_hw *hw)
{
	struct sim_machine *m = sim_model_machine(hw->md);
	u64 addr;

	if (hw->busy || !(hw->ctrl & EDMA_CTRL_RUN) || !hw->ring_size ||
	    hw->head == hw->tail)
		return;
	addr = hw->ring_base + (u64)(hw->head % hw->ring_size) * sizeof(hw->job);
	if (sim_dma_read(sim_model_device(hw->md), addr, &hw->job,
			 sizeof(hw->job))) {
		/* the ring is unreachable: the engine stops */
		hw->stats.dma_errors++;
		hw->ctrl &= ~EDMA_CTRL_RUN;
		return;
	}
	hw->busy = true;
	sim_timer_arm_in(m, &hw->timer, hw->latency_ns);
}

/* The job's latency is over: copy, write the status, interrupt. */
static void edma_complete(struct sim_timer *t, void *data)
{
	struct edma_hw *hw = data;
	struct device *dev = sim_model_device(hw->md);
	u32 status = EDMA_STATUS_DONE;
	u64 slot;

	pthread_mutex_lock(&hw->lock);
	if (!hw->busy) {
		pthread_mutex_unlock(&hw->lock);
		return;
	}
	if (hw->job.len > EDMA_MAX_LEN ||
	    sim_dma_read(dev, hw->job.src, hw->bounce, hw->job.len) ||
	    sim_dma_write(dev, hw->job.dst, hw->bounce, hw->job.len)) {
		status = EDMA_STATUS_ERROR;
		hw->stats.dma_errors++;
	}
	slot = hw->ring_base + (u64)(hw->head % hw->ring_size) * sizeof(hw->job);
	if (sim_dma_write(dev, slot + offsetof(struct edma_desc, status),
			  &status, sizeof(status)))
		hw->stats.dma_errors++;
	hw->head++;
	hw->completed++;
	hw->stats.jobs++;
	hw->busy = false;
	edma_start(hw);
	pthread_mutex_unlock(&hw->lock);
	/* not under our lock: the driver's handler reads our registers */
	if (!sim_msi_raise(hw->md, 0))
		hw->stats.msi_sent++;
}

static int edma_read(struct sim_model_dev *md, int bar, u64 off, void *buf,
		     size_t len)
{
	struct edma_hw *hw = sim_model_priv(md);
	u64 v = 0;

	pthread_mutex_lock(&hw->lock);
	switch (off) {
	case EDMA_REG_ID: v = EDMA_ID; break;
	case EDMA_REG_RING_BASE: v = hw->ring_base; break;
	case EDMA_REG_RING_SIZE: v = hw->ring_size; break;
	case EDMA_REG_CTRL: v = hw->ctrl; break;
	case EDMA_REG_HEAD: v = hw->head; break;
	case EDMA_REG_COMPLETED: v = hw->completed; break;
	}
	pthread_mutex_unlock(&hw->lock);
	memset(buf, 0, len);
	memcpy(buf, &v, len < sizeof(v) ? len : sizeof(v));
	return 0;
}

static int edma_write(struct sim_model_dev *md, int bar, u64 off,
		      const void *buf, size_t len)
{
	struct edma_hw *hw = sim_model_priv(md);
	u64 v = 0;
	int ret = 0;

	memcpy(&v, buf, len < sizeof(v) ? len : sizeof(v));
	pthread_mutex_lock(&hw->lock);
	switch (off) {
	case EDMA_REG_RING_BASE:
		hw->ring_base = v;
		break;
	case EDMA_REG_RING_SIZE:
		if (v < 2 || v > 4096 || (v & (v - 1)))
			ret = -EINVAL;
		else
			hw->ring_size = (u32)v;
		break;
	case EDMA_REG_CTRL:
		hw->ctrl = (u32)v & EDMA_CTRL_RUN;
		edma_start(hw);
		break;
	case EDMA_REG_DOORBELL:
		hw->stats.doorbells++;
		hw->tail = (u32)v;
		edma_start(hw);
		break;
	}
	pthread_mutex_unlock(&hw->lock);
	return ret;
}

/* An FLR or bus reset: the engine forgets everything. */
static void edma_reset(struct sim_model_dev *md, enum sim_model_reset how)
{
	struct edma_hw *hw = sim_model_priv(md);

	sim_timer_cancel(&hw->timer);
	pthread_mutex_lock(&hw->lock);
	hw->ring_base = 0;
	hw->ring_size = hw->ctrl = hw->head = hw->tail = hw->completed = 0;
	hw->busy = false;
	pthread_mutex_unlock(&hw->lock);
}

static int edma_init(struct sim_model_dev *md)
{
	struct edma_hw *hw = calloc(1, sizeof(*hw));
	int ret;

	if (!hw)
		return -ENOMEM;
	ret = sim_model_param_u64(md, "latency", 2000, &hw->latency_ns);
	if (ret)
		goto free_hw;
	hw->bounce = malloc(EDMA_MAX_LEN);
	if (!hw->bounce) {
		ret = -ENOMEM;
		goto free_hw;
	}
	hw->md = md;
	pthread_mutex_init(&hw->lock, NULL);
	sim_timer_init(sim_model_machine(md), &hw->timer, edma_complete, hw);
	sim_model_set_priv(md, hw);
	return 0;

free_hw:
	free(hw);
	return ret;
}

static void edma_exit(struct sim_model_dev *md)
{
	struct edma_hw *hw = sim_model_priv(md);

	sim_timer_cancel(&hw->timer);
	pthread_mutex_destroy(&hw->lock);
	free(hw->bounce);
	free(hw);
}

void edma_model_stats(struct sim_model_dev *md, struct edma_model_stats *out)
{
	struct edma_hw *hw = sim_model_priv(md);

	pthread_mutex_lock(&hw->lock);
	*out = hw->stats;
	pthread_mutex_unlock(&hw->lock);
}

static const char *const edma_params[] = { "latency", NULL };

const struct sim_model edma_model = {
	.name = "edma",
	.vendor = EDMA_VENDOR,
	.device = EDMA_DEVICE,
	.class_code = 0x088000,		/* system peripheral, other */
	.revision = 1,
	.bars = { [0] = { .size = 4096, .flags = SIM_BAR_REGS } },
	.msi_vectors = 1,
	.params = edma_params,
	.init = edma_init,
	.exit = edma_exit,
	.bar_read = edma_read,
	.bar_write = edma_write,
	.reset = edma_reset,
};
