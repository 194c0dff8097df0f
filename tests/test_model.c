// SPDX-License-Identifier: MIT
/*
 * The device-model API: machine timers, MSI (hardware side and the
 * kernel's request_irq() layer), models bound from platform text, their
 * BAR handlers, config hooks, init/exit and their unwinding.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include "helpers.h"

/* ------------------------------------------------------------------------ */
/* A test model: registers, a copy job on a timer, MSI                      */
/* ------------------------------------------------------------------------ */

#define REG_ID		0x00	/* reads 0x7e57 */
#define REG_SCRATCH	0x04
#define REG_RAISE	0x08	/* write N: raise vector N, result in REG_RESULT */
#define REG_RESULT	0x0c
#define REG_SRC		0x10
#define REG_DST		0x18
#define REG_LEN		0x20
#define REG_GO		0x28	/* start the copy; done after latency */
#define REG_DONE	0x2c	/* jobs completed */
#define REG_BAD		0x100	/* reads -EIO, writes -EINVAL */

/* Across instances (init/exit balance), observed by the tests. */
struct model_counts {
	atomic_int live;
	atomic_int inits;
	atomic_int exits;
};
static struct model_counts counts;

struct tdev {
	struct sim_model_dev *md;
	pthread_mutex_t lock;
	u32 scratch;
	int result;
	u64 src, dst, len, latency;
	u32 done;
	struct sim_timer job;
	u64 job_done_at;
	int job_status;
	/* config hooks seen */
	int commands, powers, resets;
	u16 cmd_old, cmd_new;
	pci_power_t pm_old, pm_new;
	enum sim_model_reset reset_how;
};

static void job_fn(struct sim_timer *t, void *data)
{
	struct tdev *d = data;
	struct device *dev = sim_model_device(d->md);
	u8 buf[4096];
	int ret;

	ret = d->len > sizeof(buf) ? -EINVAL :
	      sim_dma_read(dev, d->src, buf, d->len);
	if (!ret)
		ret = sim_dma_write(dev, d->dst, buf, d->len);
	pthread_mutex_lock(&d->lock);
	d->job_status = ret;
	d->job_done_at = sim_clock_now(sim_model_machine(d->md));
	d->done++;
	pthread_mutex_unlock(&d->lock);
	sim_msi_raise(d->md, 0);
}

static int t_init(struct sim_model_dev *md)
{
	const char *fail = sim_model_param(md, "fail");
	struct tdev *d;
	int ret;

	if (fail && !strcmp(fail, "yes")) {
		sim_model_error(md, "asked to fail");
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = sim_model_param_u64(md, "latency", 1000, &d->latency);
	if (ret) {
		free(d);
		return ret;
	}
	d->md = md;
	pthread_mutex_init(&d->lock, NULL);
	sim_timer_init(sim_model_machine(md), &d->job, job_fn, d);
	sim_model_set_priv(md, d);
	atomic_fetch_add(&counts.live, 1);
	atomic_fetch_add(&counts.inits, 1);
	return 0;
}

static void t_exit(struct sim_model_dev *md)
{
	struct tdev *d = sim_model_priv(md);

	sim_timer_cancel(&d->job);
	pthread_mutex_destroy(&d->lock);
	free(d);
	atomic_fetch_sub(&counts.live, 1);
	atomic_fetch_add(&counts.exits, 1);
}

static int t_read(struct sim_model_dev *md, int bar, u64 off, void *buf,
		  size_t len)
{
	struct tdev *d = sim_model_priv(md);
	u32 v = 0;

	if (off >= REG_BAD)
		return -EIO;
	pthread_mutex_lock(&d->lock);
	switch (off) {
	case REG_ID: v = 0x7e57; break;
	case REG_SCRATCH: v = d->scratch; break;
	case REG_RESULT: v = (u32)d->result; break;
	case REG_DONE: v = d->done; break;
	}
	pthread_mutex_unlock(&d->lock);
	memset(buf, 0, len);
	memcpy(buf, &v, len < 4 ? len : 4);
	return 0;
}

static int t_write(struct sim_model_dev *md, int bar, u64 off,
		   const void *buf, size_t len)
{
	struct tdev *d = sim_model_priv(md);
	u64 v = 0;

	if (off >= REG_BAD)
		return -EINVAL;
	memcpy(&v, buf, len < 8 ? len : 8);
	switch (off) {
	case REG_SCRATCH:
		pthread_mutex_lock(&d->lock);
		d->scratch = (u32)v;
		pthread_mutex_unlock(&d->lock);
		break;
	case REG_RAISE: {
		/* no lock held across the raise: the handler may read regs */
		int r = sim_msi_raise(md, (unsigned int)v);

		pthread_mutex_lock(&d->lock);
		d->result = r;
		pthread_mutex_unlock(&d->lock);
		break;
	}
	case REG_SRC: d->src = v; break;
	case REG_DST: d->dst = v; break;
	case REG_LEN: d->len = v; break;
	case REG_GO:
		sim_timer_arm(sim_model_machine(md), &d->job,
			      sim_clock_now(sim_model_machine(md)) + d->latency);
		break;
	}
	return 0;
}

static void t_command(struct sim_model_dev *md, u16 old, u16 new_cmd)
{
	struct tdev *d = sim_model_priv(md);

	d->commands++;
	d->cmd_old = old;
	d->cmd_new = new_cmd;
}

static void t_power(struct sim_model_dev *md, pci_power_t old,
		    pci_power_t new_state)
{
	struct tdev *d = sim_model_priv(md);

	d->powers++;
	d->pm_old = old;
	d->pm_new = new_state;
}

static void t_reset(struct sim_model_dev *md, enum sim_model_reset how)
{
	struct tdev *d = sim_model_priv(md);

	d->resets++;
	d->reset_how = how;
	sim_timer_cancel(&d->job);
}

static const char *const t_params[] = { "latency", "fail", NULL };

static const struct sim_model testdev = {
	.name = "testdev",
	.vendor = 0x1af4,
	.device = 0x10f0,
	.class_code = 0x088000,
	.revision = 0x02,
	.subsystem_vendor = 0x1af4,
	.subsystem_device = 0x0042,
	.bars = {
		[0] = { .size = 4096, .flags = SIM_BAR_REGS },
		[2] = { .size = SZ_1M, .flags = SIM_BAR_64 | SIM_BAR_PREFETCH },
	},
	.msi_vectors = 4,
	.params = t_params,
	.init = t_init,
	.exit = t_exit,
	.bar_read = t_read,
	.bar_write = t_write,
	.command = t_command,
	.power = t_power,
	.reset = t_reset,
};

/* No MSI, no hooks, no init: the least a model can be. */
static const struct sim_model plain = {
	.name = "plain",
	.vendor = 0x1234,
	.device = 0x5678,
	.class_code = 0x00ff00,
	.bars = { [0] = { .size = 8192 } },
};

/* MSI-X (8 vectors, table at BAR0 + 0x800) and MSI (2) on one function. */
static const struct sim_model xdev = {
	.name = "xdev",
	.vendor = 0x1af4,
	.device = 0x10f1,
	.class_code = 0x088000,
	.bars = { [0] = { .size = 4096, .flags = SIM_BAR_REGS } },
	.msi_vectors = 2,
	.msix_vectors = 8,
	.msix_bar = 0,
	.msix_offset = 0x800,
	.params = t_params,
	.init = t_init,
	.exit = t_exit,
	.bar_read = t_read,
	.bar_write = t_write,
};

static const struct sim_model *const models[] = { &testdev, &plain, &xdev,
						  NULL };

#define PLATFORM_MODEL(iommu, extra)					\
	"machine ram=256M ram-below-4g=128M\n"				\
	"swiotlb size=4M\n"						\
	"iommu id=io0 mode=" iommu "\n"					\
	"hostbridge id=hb0 iommu=io0\n"					\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=d0 bus=rp0 flr=yes model=testdev " extra "\n"	\
	"rootport id=rp1 bus=hb0\n"					\
	"pcidev id=p0 bus=rp1 model=plain\n"

static struct sim_machine *model_machine(const char *text)
{
	struct sim_machine_opts opts = { .models = models };
	char err[256] = "";
	struct sim_machine *m = sim_machine_parse_opts(text, &opts, err,
						       sizeof(err));

	if (!m)
		fail_msg("platform rejected: %s", err);
	return m;
}

static void expect_model_error(const struct sim_model *const *table,
			       const char *text, const char *needle)
{
	struct sim_machine_opts opts = { .models = table };
	char err[256] = "";
	struct sim_machine *m = sim_machine_parse_opts(text, &opts, err,
						       sizeof(err));

	if (m) {
		sim_machine_destroy(m);
		fail_msg("accepted, expected an error containing '%s'", needle);
	}
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
}

struct fx {
	struct sim_machine *m;
	struct device *dev;
	struct pci_dev *pdev;
	struct sim_model_dev *md;
	struct tdev *d;
	phys_addr_t regs;
};

static int fx_setup_mode(void **state, const char *text)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->m = model_machine(text);
	f->dev = dev_of(f->m, "d0");
	f->pdev = to_pci_dev(f->dev);
	f->md = sim_model_dev_of(f->dev);
	f->d = sim_model_priv(f->md);
	f->regs = pci_resource_start(f->pdev, 0);
	*state = f;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_mode(state, PLATFORM_MODEL("strict", "latency=5000"));
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int live;

	sim_machine_destroy(f->m);
	live = atomic_load(&counts.live);
	free(f);
	if (live) {
		fprintf(stderr, "teardown: %d model instances not exited\n",
			live);
		return -1;
	}
	return 0;
}

static u32 reg_read(struct fx *f, u64 off)
{
	u32 v;

	assert_int_equal(sim_mmio_read(f->m, f->regs + off, &v, 4), 0);
	return v;
}

static void reg_write(struct fx *f, u64 off, u64 v, size_t len)
{
	assert_int_equal(sim_mmio_write(f->m, f->regs + off, &v, len), 0);
}

/* ------------------------------------------------------------------------ */
/* Timers                                                                   */
/* ------------------------------------------------------------------------ */

struct tlog {
	struct sim_machine *m;
	int order[16];
	u64 at[16];
	int n;
	struct sim_timer t[8];
	int rearm_idx;		/* timer that re-arms itself once, -1 none */
	int arm_other;		/* timer armed from timer 0's callback */
};

static void tlog_fn(struct sim_timer *t, void *data)
{
	struct tlog *l = data;
	int idx = (int)(t - l->t);

	l->order[l->n] = idx;
	l->at[l->n++] = sim_clock_now(l->m);
	if (idx == l->rearm_idx) {
		l->rearm_idx = -1;
		assert_int_equal(sim_timer_arm(l->m, t, sim_clock_now(l->m) + 5), 0);
	}
	if (idx == 0 && l->arm_other >= 0) {
		sim_timer_arm(l->m, &l->t[l->arm_other], sim_clock_now(l->m) + 1);
		l->arm_other = -1;
	}
}

static void tlog_init(struct tlog *l, struct sim_machine *m)
{
	memset(l, 0, sizeof(*l));
	l->m = m;
	l->rearm_idx = -1;
	l->arm_other = -1;
	for (int i = 0; i < 8; i++)
		sim_timer_init(m, &l->t[i], tlog_fn, l);
}

static void test_timer_order(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct tlog l;
	u64 t0 = sim_clock_now(m);

	tlog_init(&l, m);
	assert_int_equal(sim_timer_arm(m, &l.t[0], t0 + 300), 0);
	assert_int_equal(sim_timer_arm(m, &l.t[1], t0 + 100), 0);
	assert_int_equal(sim_timer_arm(m, &l.t[2], t0 + 200), 0);
	assert_int_equal(sim_timer_arm(m, &l.t[3], t0 + 100), 0);	/* tie: after 1 */
	assert_int_equal(sim_timer_arm(m, &l.t[4], t0 + 1000), 0);
	assert_true(sim_timer_pending(&l.t[4]));
	assert_int_equal(sim_timer_expires(&l.t[4]), t0 + 1000);

	sim_clock_advance(m, 300);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.order[0], 1);
	assert_int_equal(l.order[1], 3);
	assert_int_equal(l.order[2], 2);
	assert_int_equal(l.order[3], 0);
	/* the clock read each timer's expiry while it ran */
	assert_int_equal(l.at[0], t0 + 100);
	assert_int_equal(l.at[1], t0 + 100);
	assert_int_equal(l.at[2], t0 + 200);
	assert_int_equal(l.at[3], t0 + 300);
	assert_int_equal(sim_clock_now(m), t0 + 300);
	assert_false(sim_timer_pending(&l.t[0]));
	assert_true(sim_timer_pending(&l.t[4]));

	/* run_next: straight to the next expiry */
	assert_true(sim_clock_run_next(m));
	assert_int_equal(l.n, 5);
	assert_int_equal(sim_clock_now(m), t0 + 1000);
	assert_false(sim_clock_run_next(m));
	assert_int_equal(sim_clock_now(m), t0 + 1000);
	sim_machine_destroy(m);
}

static void test_timer_rearm_cancel(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct tlog l;
	u64 t0 = sim_clock_now(m);

	tlog_init(&l, m);
	sim_timer_arm(m, &l.t[0], t0 + 100);
	sim_timer_arm(m, &l.t[1], t0 + 200);
	/* re-arming moves: 0 now after 1 */
	assert_int_equal(sim_timer_arm(m, &l.t[0], t0 + 300), 1);
	/* cancel: pending once */
	assert_true(sim_timer_cancel(&l.t[1]));
	assert_false(sim_timer_cancel(&l.t[1]));
	assert_false(sim_timer_pending(&l.t[1]));
	sim_clock_advance(m, 250);
	assert_int_equal(l.n, 0);
	sim_clock_advance(m, 50);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.order[0], 0);
	assert_int_equal(l.at[0], t0 + 300);

	/* relative arming; saturating */
	assert_int_equal(sim_timer_arm_in(m, &l.t[4], 7), 0);
	assert_int_equal(sim_timer_expires(&l.t[4]), sim_clock_now(m) + 7);
	assert_int_equal(sim_timer_arm_in(m, &l.t[4], ~0ULL), 1);
	assert_int_equal(sim_timer_expires(&l.t[4]), ~0ULL);
	assert_true(sim_timer_cancel(&l.t[4]));
	assert_int_equal(sim_timer_arm_in(m, NULL, 1), -EINVAL);
	/* a timer in the past runs at the next move, even of 0 ns */
	sim_timer_arm(m, &l.t[2], t0);
	sim_clock_advance(m, 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.at[1], t0 + 300);

	/* a timer of another machine, an uninitialised one */
	{
		struct sim_machine *m2 = machine_from(PLATFORM_SMALL);
		struct sim_timer bad = { 0 };

		assert_int_equal(sim_timer_arm(m2, &l.t[3], 10), -EINVAL);
		assert_int_equal(sim_timer_arm(m, &bad, 10), -EINVAL);
		assert_false(sim_timer_cancel(&bad));
		assert_false(sim_timer_pending(&bad));
		sim_machine_destroy(m2);
	}
	sim_machine_destroy(m);
}

static void test_timer_from_callback(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct tlog l;
	u64 t0 = sim_clock_now(m);

	tlog_init(&l, m);
	/* timer 0 arms timer 5 at +1 and re-arms itself at +5 */
	l.arm_other = 5;
	l.rearm_idx = 0;
	sim_timer_arm(m, &l.t[0], t0 + 10);
	sim_timer_arm(m, &l.t[1], t0 + 12);
	sim_clock_advance(m, 20);
	/* 0 @10, 5 @11, 1 @12, 0 again @15: all in one advance */
	assert_int_equal(l.n, 4);
	assert_int_equal(l.order[0], 0);
	assert_int_equal(l.order[1], 5);
	assert_int_equal(l.order[2], 1);
	assert_int_equal(l.order[3], 0);
	assert_int_equal(l.at[1], t0 + 11);
	assert_int_equal(l.at[3], t0 + 15);
	/* armed beyond the advance: waits */
	l.rearm_idx = 2;
	sim_timer_arm(m, &l.t[2], t0 + 20);
	sim_clock_advance(m, 0);
	assert_int_equal(l.n, 5);
	assert_true(sim_timer_pending(&l.t[2]));
	assert_true(sim_clock_run_next(m));
	assert_int_equal(l.at[5], t0 + 25);
	sim_machine_destroy(m);
}

struct selfish {
	struct sim_machine *m;
	struct sim_timer t;
	bool cancel_ret;
	int runs;
};

static void selfish_fn(struct sim_timer *t, void *data)
{
	struct selfish *s = data;

	s->runs++;
	/* moving the clock from a callback is refused */
	sim_clock_advance(s->m, 100);
	assert_false(sim_clock_run_next(s->m));
	/* cancelling itself from its callback does not wait for itself */
	sim_timer_arm(s->m, t, sim_clock_now(s->m) + 1);
	s->cancel_ret = sim_timer_cancel(t);
}

static void test_timer_self_cancel_no_advance(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct selfish s = { .m = m };

	sim_timer_init(m, &s.t, selfish_fn, &s);
	sim_timer_arm(m, &s.t, 10);
	sim_report_clear(m);
	sim_clock_advance(m, 10);
	assert_int_equal(s.runs, 1);
	assert_true(s.cancel_ret);
	assert_false(sim_timer_pending(&s.t));
	assert_int_equal(sim_clock_now(m), 10);
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "sim_clock_advance called from a timer callback"));
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "sim_clock_run_next called from a timer callback"));
	sim_machine_destroy(m);
}

/* Many threads arm and cancel while one moves the clock (TSan). */
#define CT_THREADS	4
#define CT_TIMERS	8
#define CT_ROUNDS	400

struct ct_ctx {
	struct sim_machine *m;
	struct sim_timer t[CT_THREADS][CT_TIMERS];
	atomic_ulong fired;
	atomic_bool stop;
	int idx;
};

struct ct_arg {
	struct ct_ctx *c;
	int idx;
};

static void ct_fn(struct sim_timer *t, void *data)
{
	struct ct_ctx *c = data;

	atomic_fetch_add(&c->fired, 1);
}

static void *ct_armer(void *p)
{
	struct ct_arg *a = p;
	struct ct_ctx *c = a->c;

	for (int r = 0; r < CT_ROUNDS; r++) {
		struct sim_timer *t = &c->t[a->idx][r % CT_TIMERS];

		if (r % 3 == 2)
			sim_timer_cancel(t);
		else
			sim_timer_arm(c->m, t, sim_clock_now(c->m) + (r % 7));
	}
	/* after cancel returns, the callback is not running: reuse is safe */
	for (int i = 0; i < CT_TIMERS; i++)
		sim_timer_cancel(&c->t[a->idx][i]);
	return NULL;
}

static void *ct_advancer(void *p)
{
	struct ct_ctx *c = p;

	while (!atomic_load(&c->stop))
		sim_clock_advance(c->m, 3);
	return NULL;
}

static void test_timer_concurrency(void **state)
{
	struct ct_ctx *c = calloc(1, sizeof(*c));
	struct ct_arg args[CT_THREADS];
	pthread_t th[CT_THREADS], adv;

	c->m = machine_from(PLATFORM_SMALL);
	for (int i = 0; i < CT_THREADS; i++)
		for (int k = 0; k < CT_TIMERS; k++)
			sim_timer_init(c->m, &c->t[i][k], ct_fn, c);
	assert_int_equal(pthread_create(&adv, NULL, ct_advancer, c), 0);
	for (int i = 0; i < CT_THREADS; i++) {
		args[i].c = c;
		args[i].idx = i;
		assert_int_equal(pthread_create(&th[i], NULL, ct_armer, &args[i]), 0);
	}
	for (int i = 0; i < CT_THREADS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&c->stop, true);
	pthread_join(adv, NULL);
	for (int i = 0; i < CT_THREADS; i++)
		for (int k = 0; k < CT_TIMERS; k++)
			assert_false(sim_timer_pending(&c->t[i][k]));
	assert_false(sim_clock_run_next(c->m));
	sim_machine_destroy(c->m);
	free(c);
}

/* cancel from another thread waits for the running callback */
struct waitcb {
	struct sim_machine *m;
	struct sim_timer t;
	atomic_bool entered, release, done;
};

static void waitcb_fn(struct sim_timer *t, void *data)
{
	struct waitcb *w = data;

	atomic_store(&w->entered, true);
	while (!atomic_load(&w->release))
		sched_yield();
	atomic_store(&w->done, true);
}

static void *waitcb_adv(void *p)
{
	struct waitcb *w = p;

	sim_clock_advance(w->m, 10);
	return NULL;
}

static void *waitcb_cancel(void *p)
{
	struct waitcb *w = p;

	assert_false(sim_timer_cancel(&w->t));
	/* it returned: the callback has finished */
	assert_true(atomic_load(&w->done));
	return NULL;
}

static void test_timer_cancel_waits(void **state)
{
	struct waitcb w = { 0 };
	pthread_t a, b;

	w.m = machine_from(PLATFORM_SMALL);
	sim_timer_init(w.m, &w.t, waitcb_fn, &w);
	sim_timer_arm(w.m, &w.t, 5);
	pthread_create(&a, NULL, waitcb_adv, &w);
	while (!atomic_load(&w.entered))
		sched_yield();
	pthread_create(&b, NULL, waitcb_cancel, &w);
	atomic_store(&w.release, true);
	pthread_join(b, NULL);
	pthread_join(a, NULL);
	sim_machine_destroy(w.m);
}

/*
 * The lazy IOMMU's flush queue is a machine timer: armed at the first
 * unmap for the timeout, it fires when the clock gets there (and not
 * before), or when a program runs the next timer.
 */
static void test_timer_fq_flush(void **state)
{
	struct sim_machine *m = machine_from(
		"machine ram=256M ram-below-4g=128M\nswiotlb size=4M\n"
		"iommu id=io0 mode=lazy fq-timeout=1ms\n"
		"hostbridge id=hb0 iommu=io0\nrootport id=rp0 bus=hb0\n"
		"pcidev id=dev0 bus=rp0\n");
	struct device *dev = dev_of(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 0);
	unsigned long flushes;
	unsigned int queued;
	u64 wo, wn;
	unsigned long stale;
	dma_addr_t a = dma_map_page(dev, pg, 0, PAGE_SIZE, DMA_TO_DEVICE);

	assert_false(dma_mapping_error(dev, a));
	dma_unmap_page(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
	assert_int_equal(sim_iommu_fq_stats(dev, &flushes, &queued, &wo, &wn,
					    &stale), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(flushes, 0);
	sim_clock_advance(m, 999999);
	assert_int_equal(sim_iommu_fq_stats(dev, &flushes, &queued, &wo, &wn,
					    &stale), 0);
	assert_int_equal(queued, 1);
	sim_clock_advance(m, 1);
	assert_int_equal(sim_iommu_fq_stats(dev, &flushes, &queued, &wo, &wn,
					    &stale), 0);
	assert_int_equal(queued, 0);
	assert_int_equal(flushes, 1);
	/* again, the timer re-armed by the next unmap; waited out by
	 * running the next timer */
	a = dma_map_page(dev, pg, 0, PAGE_SIZE, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	dma_unmap_page(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
	assert_true(sim_clock_run_next(m));
	assert_int_equal(sim_clock_now(m), 2000000);
	assert_int_equal(sim_iommu_fq_stats(dev, &flushes, &queued, &wo, &wn,
					    &stale), 0);
	assert_int_equal(queued, 0);
	assert_int_equal(flushes, 2);
	/* nothing queued: no timer left */
	assert_false(sim_clock_run_next(m));
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Models from platform text                                                */
/* ------------------------------------------------------------------------ */

static void test_model_identity(void **state)
{
	struct fx *f = *state;
	struct pci_dev *p0 = to_pci_dev(dev_of(f->m, "p0"));
	u16 w;
	u32 d;
	u8 b;

	pci_read_config_word(f->pdev, PCI_VENDOR_ID, &w);
	assert_int_equal(w, 0x1af4);
	pci_read_config_word(f->pdev, PCI_DEVICE_ID, &w);
	assert_int_equal(w, 0x10f0);
	pci_read_config_dword(f->pdev, PCI_CLASS_REVISION, &d);
	assert_int_equal(d, 0x08800002);
	assert_int_equal(f->pdev->class, 0x088000);
	pci_read_config_word(f->pdev, PCI_SUBSYSTEM_ID, &w);
	assert_int_equal(w, 0x0042);
	assert_string_equal(dev_driver_string(f->dev), "testdev");
	assert_string_equal(sim_device_model(f->dev), "testdev");
	assert_string_equal(sim_model_id(f->md), "d0");
	assert_ptr_equal(sim_model_of(f->md), &testdev);
	assert_ptr_equal(sim_model_pci_dev(f->md), f->pdev);
	assert_ptr_equal(sim_model_device(f->md), f->dev);
	assert_ptr_equal(sim_model_machine(f->md), f->m);
	assert_string_equal(sim_model_param(f->md, "latency"), "5000");
	assert_null(sim_model_param(f->md, "fail"));
	assert_int_equal(f->d->latency, 5000);
	/* the BARs are the model's */
	assert_int_equal(pci_resource_len(f->pdev, 0), 4096);
	assert_int_equal(pci_resource_len(f->pdev, 2), SZ_1M);
	assert_true(pci_resource_flags(f->pdev, 2) & IORESOURCE_MEM_64);
	assert_true(pci_resource_flags(f->pdev, 2) & IORESOURCE_PREFETCH);
	assert_false(pci_resource_flags(f->pdev, 0) & IORESOURCE_MEM_64);
	assert_non_null(sim_model_bar_mem(f->md, 2));
	assert_null(sim_model_bar_mem(f->md, 1));
	assert_null(sim_model_bar_mem(f->md, 7));
	/* MSI capability with 4 vectors and per-vector masking */
	b = pci_find_capability(f->pdev, PCI_CAP_ID_MSI);
	assert_true(b);
	pci_read_config_word(f->pdev, b + PCI_MSI_FLAGS, &w);
	assert_int_equal((w & PCI_MSI_FLAGS_QMASK) >> 1, 2);
	assert_true(w & PCI_MSI_FLAGS_MASKBIT);
	assert_false(w & PCI_MSI_FLAGS_ENABLE);
	/* the capability list still holds the others */
	assert_true(pci_find_capability(f->pdev, PCI_CAP_ID_PM));
	assert_true(pci_find_capability(f->pdev, PCI_CAP_ID_AF));
	/* a model without init, MSI or hooks */
	assert_string_equal(sim_device_model(&p0->dev), "plain");
	assert_null(sim_model_priv(sim_model_dev_of(&p0->dev)));
	assert_false(pci_find_capability(p0, PCI_CAP_ID_MSI));
	pci_read_config_word(p0, PCI_VENDOR_ID, &w);
	assert_int_equal(w, 0x1234);
	/* devices that are not models */
	assert_null(sim_model_dev_of(NULL));
	assert_null(sim_device_model(dev_of(f->m, "rp0")));
	assert_int_equal(atomic_load(&counts.live), 1);
}

static void test_model_bar_handlers(void **state)
{
	struct fx *f = *state;
	u32 v = 0;
	u8 mem[8];
	phys_addr_t bar2 = pci_resource_start(f->pdev, 2);

	assert_int_equal(reg_read(f, REG_ID), 0x7e57);
	reg_write(f, REG_SCRATCH, 0xabcd, 4);
	assert_int_equal(reg_read(f, REG_SCRATCH), 0xabcd);
	/* a handler's error goes back to the CPU access; reads give ones */
	assert_int_equal(sim_mmio_read(f->m, f->regs + REG_BAD, &v, 4), -EIO);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(sim_mmio_write(f->m, f->regs + REG_BAD, &v, 4), -EINVAL);
	/* plain memory BAR: the model's bytes */
	memcpy(sim_model_bar_mem(f->md, 2), "devmem!", 8);
	assert_int_equal(sim_mmio_read(f->m, bar2, mem, 8), 0);
	assert_string_equal((char *)mem, "devmem!");
	/* no decode, no handler */
	pci_write_config_word(f->pdev, PCI_COMMAND, 0);
	assert_int_equal(sim_mmio_read(f->m, f->regs + REG_ID, &v, 4), -EIO);
	assert_int_equal(v, 0xffffffff);
	pci_enable_device(f->pdev);
	assert_int_equal(reg_read(f, REG_ID), 0x7e57);
}

static void test_model_config_hooks(void **state)
{
	struct fx *f = *state;
	struct tdev *d = f->d;
	int n = d->commands;

	pci_clear_master(f->pdev);
	assert_int_equal(d->commands, n + 1);
	assert_true(d->cmd_old & PCI_COMMAND_MASTER);
	assert_false(d->cmd_new & PCI_COMMAND_MASTER);
	assert_true(d->cmd_new & PCI_COMMAND_MEMORY);
	pci_set_master(f->pdev);
	assert_int_equal(d->commands, n + 2);
	assert_true(d->cmd_new & PCI_COMMAND_MASTER);

	assert_int_equal(pci_set_power_state(f->pdev, PCI_D3hot), 0);
	assert_int_equal(d->powers, 1);
	assert_int_equal(d->pm_old, PCI_D0);
	assert_int_equal(d->pm_new, PCI_D3hot);
	/* the same state again is no change */
	assert_int_equal(pci_set_power_state(f->pdev, PCI_D3hot), 0);
	assert_int_equal(d->powers, 1);
	assert_int_equal(pci_set_power_state(f->pdev, PCI_D0), 0);
	assert_int_equal(d->powers, 2);
	assert_int_equal(d->pm_new, PCI_D0);

	assert_int_equal(d->resets, 0);
	assert_int_equal(pcie_flr(f->pdev), 0);
	assert_int_equal(d->resets, 1);
	assert_int_equal(d->reset_how, SIM_MODEL_RESET_FLR);
	/* the FLR cleared the command register (the reset hook says so) */
	{
		u16 cmd;

		pci_read_config_word(f->pdev, PCI_COMMAND, &cmd);
		assert_int_equal(cmd, 0);
		pci_enable_device(f->pdev);
	}
	assert_int_equal(pci_reset_function(f->pdev), 0);
	assert_int_equal(d->resets, 2);
}

/* A secondary bus reset (VFIO's hot reset) reaches the model too. */
static void test_model_bus_reset(void **state)
{
	struct fx *f = *state;
	struct vfio_pci_core_device *v;
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };
	int resets;

	v = vfio_alloc_device(vfio_pci_core_device, vdev, f->dev, &sim_vfio_pci_ops);
	assert_false(IS_ERR(v));
	v->pci_ops = &sim_vfio_pci_dev_ops;
	assert_int_equal(vfio_pci_core_register_device(v), 0);
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	resets = f->d->resets;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), 0);
	assert_int_equal(f->d->resets, resets + 1);
	assert_int_equal(f->d->reset_how, SIM_MODEL_RESET_BUS);
	sim_vfio_close(&v->vdev);
	vfio_pci_core_unregister_device(v);
	assert_false(v->vdev.registered);
	vfio_put_device(&v->vdev);
}

/* ------------------------------------------------------------------------ */
/* MSI and the kernel's irq layer                                           */
/* ------------------------------------------------------------------------ */

struct irqrec {
	atomic_int runs;
	atomic_int threads;
	int last_irq;
	irqreturn_t ret;
	struct fx *f;
	u32 seen_done;		/* REG_DONE read from the handler */
};

static irqreturn_t rec_handler(int irq, void *dev_id)
{
	struct irqrec *r = dev_id;

	atomic_fetch_add(&r->runs, 1);
	r->last_irq = irq;
	if (r->f)
		r->seen_done = reg_read(r->f, REG_DONE);
	return r->ret;
}

static irqreturn_t rec_thread(int irq, void *dev_id)
{
	struct irqrec *r = dev_id;

	atomic_fetch_add(&r->threads, 1);
	return IRQ_HANDLED;
}

static int raise_via_doorbell(struct fx *f, unsigned int vector)
{
	reg_write(f, REG_RAISE, vector, 4);
	return (int)reg_read(f, REG_RESULT);
}

static void test_msi_alloc_errors(void **state)
{
	struct fx *f = *state;
	struct pci_dev *p0 = to_pci_dev(dev_of(f->m, "p0"));

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 2, 1, PCI_IRQ_MSI), -ERANGE);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 0, 1, PCI_IRQ_MSI), -EINVAL);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 8, 8, PCI_IRQ_MSI), -ENOSPC);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSIX), -EINVAL);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_INTX), -ENOSPC);
	assert_int_equal(pci_alloc_irq_vectors(NULL, 1, 1, PCI_IRQ_MSI), -EINVAL);
	/* no MSI capability */
	assert_int_equal(pci_alloc_irq_vectors(p0, 1, 1, PCI_IRQ_ALL_TYPES), -EINVAL);
	assert_int_equal(pci_irq_vector(p0, 0), -EINVAL);
	assert_int_equal(sim_msi_raise(sim_model_dev_of(&p0->dev), 0), -ENODEV);
	assert_int_equal(sim_msi_raise(NULL, 0), -EINVAL);
	/* not in D0 */
	pci_set_power_state(f->pdev, PCI_D3hot);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), -EINVAL);
	pci_set_power_state(f->pdev, PCI_D0);
	/* MSI not enabled yet: the message is lost */
	assert_int_equal(raise_via_doorbell(f, 0), -EIO);
	assert_int_equal(sim_msi_raise(f->md, 4), -EINVAL);

	/* MSI-X falls back to MSI; 3 wanted, 4 are there */
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 3,
					       PCI_IRQ_MSIX | PCI_IRQ_MSI), 3);
	assert_true(f->pdev->msi_enabled);
	assert_true(pci_irq_vector(f->pdev, 0) >= 24);
	assert_int_equal(pci_irq_vector(f->pdev, 2), pci_irq_vector(f->pdev, 0) + 2);
	assert_int_equal(pci_irq_vector(f->pdev, 3), -EINVAL);
	/* twice is a WARN and -EINVAL */
	sim_report_clear(f->m);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), -EINVAL);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "MSI is already enabled"));
	/* vector 3 is enabled in hardware (4 = 2^MME) but is no irq: it
	 * stays masked as the kernel left it */
	assert_int_equal(sim_msi_raise(f->md, 3), 0);
	assert_true(sim_msi_pending(f->md, 3));
	{
		struct irqrec r = { .ret = IRQ_HANDLED };
		struct sim_irq_stats st;
		int irq3 = pci_irq_vector(f->pdev, 0) + 3;

		assert_int_equal(request_irq(irq3, rec_handler, 0, "x", &r), -EINVAL);
		assert_int_equal(sim_irq_get_stats(f->m, irq3, &st), 0);
		assert_int_equal(st.delivered, 0);
	}
	pci_free_irq_vectors(f->pdev);
	assert_false(f->pdev->msi_enabled);
	assert_int_equal(pci_irq_vector(f->pdev, 0), -EINVAL);
	assert_int_equal(raise_via_doorbell(f, 0), -EIO);
	pci_free_irq_vectors(f->pdev);		/* nothing to free: no-op */
}

static void test_msi_handler_runs(void **state)
{
	struct fx *f = *state;
	struct irqrec r = { .ret = IRQ_HANDLED };
	struct sim_irq_stats st;
	int irq;

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 4, PCI_IRQ_MSI), 4);
	irq = pci_irq_vector(f->pdev, 1);
	/* raised before request_irq: masked, pending, delivered at request */
	assert_int_equal(raise_via_doorbell(f, 1), 0);
	assert_true(sim_msi_pending(f->md, 1));
	assert_int_equal(request_irq(irq, rec_handler, 0, "t1", &r), 0);
	assert_int_equal(atomic_load(&r.runs), 1);
	assert_false(sim_msi_pending(f->md, 1));
	assert_int_equal(r.last_irq, irq);
	/* raised from the BAR handler (the doorbell), runs synchronously */
	assert_int_equal(raise_via_doorbell(f, 1), 0);
	assert_int_equal(atomic_load(&r.runs), 2);
	assert_int_equal(sim_irq_get_stats(f->m, irq, &st), 0);
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.handled, 2);
	assert_int_equal(sim_irq_get_stats(f->m, 5000, &st), -ENOENT);
	/* a vector with no handler: masked, pending */
	assert_int_equal(raise_via_doorbell(f, 0), 0);
	assert_true(sim_msi_pending(f->md, 0));
	assert_false(sim_msi_pending(f->md, 9));

	/* bus mastering off: no message */
	pci_clear_master(f->pdev);
	assert_int_equal(raise_via_doorbell(f, 1), -EIO);
	pci_set_master(f->pdev);
	/* D3hot: no message */
	pci_set_power_state(f->pdev, PCI_D3hot);
	assert_int_equal(sim_msi_raise(f->md, 1), -EIO);
	pci_set_power_state(f->pdev, PCI_D0);
	assert_int_equal(atomic_load(&r.runs), 2);

	/* disable_irq masks: pending until enable_irq */
	disable_irq(irq);
	assert_int_equal(raise_via_doorbell(f, 1), 0);
	assert_true(sim_msi_pending(f->md, 1));
	disable_irq(irq);			/* nested */
	enable_irq(irq);
	assert_int_equal(atomic_load(&r.runs), 2);
	enable_irq(irq);
	assert_int_equal(atomic_load(&r.runs), 3);
	assert_false(sim_msi_pending(f->md, 1));
	sim_report_clear(f->m);
	enable_irq(irq);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "Unbalanced enable for IRQ"));
	synchronize_irq(irq);

	/* the kernel's irq trace events */
	{
		FILE *tf = tmpfile();
		char line[256], want[64];
		bool entry = false, exit_ok = false;

		assert_non_null(tf);
		sim_trace_set_file(f->m, tf);
		assert_int_equal(raise_via_doorbell(f, 1), 0);
		sim_trace_set_file(f->m, NULL);
		rewind(tf);
		snprintf(want, sizeof(want), "irq_handler_entry: irq=%d name=t1", irq);
		while (fgets(line, sizeof(line), tf)) {
			char exit_want[64];

			snprintf(exit_want, sizeof(exit_want),
				 "irq_handler_exit: irq=%d ret=handled", irq);
			entry = entry || strstr(line, want);
			exit_ok = exit_ok || strstr(line, exit_want);
		}
		fclose(tf);
		assert_true(entry);
		assert_true(exit_ok);
		assert_int_equal(atomic_load(&r.runs), 4);
	}

	/* IRQ_NONE is counted unhandled */
	r.ret = IRQ_NONE;
	assert_int_equal(raise_via_doorbell(f, 1), 0);
	assert_int_equal(sim_irq_get_stats(f->m, irq, &st), 0);
	assert_int_equal(st.unhandled, 1);

	assert_ptr_equal(free_irq(irq, &r), "t1");
	/* freed: the vector is masked again */
	assert_int_equal(raise_via_doorbell(f, 1), 0);
	assert_true(sim_msi_pending(f->md, 1));
	pci_free_irq_vectors(f->pdev);
}

static void test_msi_mask_by_config(void **state)
{
	struct fx *f = *state;
	struct irqrec r = { .ret = IRQ_HANDLED };
	u8 cap = pci_find_capability(f->pdev, PCI_CAP_ID_MSI);
	u32 mask, pend;
	int irq;

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), 1);
	irq = pci_irq_vector(f->pdev, 0);
	assert_int_equal(request_irq(irq, rec_handler, 0, "t", &r), 0);
	/* the driver masks through config space; the device sets pending */
	pci_read_config_dword(f->pdev, cap + PCI_MSI_MASK_64, &mask);
	assert_int_equal(mask & 1, 0);
	pci_write_config_dword(f->pdev, cap + PCI_MSI_MASK_64, mask | 1);
	assert_int_equal(sim_msi_raise(f->md, 0), 0);
	pci_read_config_dword(f->pdev, cap + PCI_MSI_PENDING_64, &pend);
	assert_int_equal(pend, 1);
	/* pending bits are read-only */
	pci_write_config_dword(f->pdev, cap + PCI_MSI_PENDING_64, 0);
	assert_true(sim_msi_pending(f->md, 0));
	assert_int_equal(atomic_load(&r.runs), 0);
	pci_write_config_dword(f->pdev, cap + PCI_MSI_MASK_64, mask);
	assert_int_equal(atomic_load(&r.runs), 1);
	assert_false(sim_msi_pending(f->md, 0));

	/* MSI disabled by the enable bit: lost */
	{
		u16 flags;

		pci_read_config_word(f->pdev, cap + PCI_MSI_FLAGS, &flags);
		pci_write_config_word(f->pdev, cap + PCI_MSI_FLAGS,
				      flags & ~PCI_MSI_FLAGS_ENABLE);
		assert_int_equal(sim_msi_raise(f->md, 0), -EIO);
		pci_write_config_word(f->pdev, cap + PCI_MSI_FLAGS, flags);
		assert_int_equal(sim_msi_raise(f->md, 0), 0);
		assert_int_equal(atomic_load(&r.runs), 2);
	}
	/* a message to an address outside the MSI window is lost, reported */
	pci_write_config_dword(f->pdev, cap + PCI_MSI_ADDRESS_LO, 0x1000);
	sim_report_clear(f->m);
	assert_int_equal(sim_msi_raise(f->md, 0), 0);
	assert_int_equal(atomic_load(&r.runs), 2);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "outside the MSI address window"));
	/* an FLR resets MSI: disabled, nothing masked */
	pcie_flr(f->pdev);
	pci_set_master(f->pdev);
	assert_int_equal(sim_msi_raise(f->md, 0), -EIO);
	free_irq(irq, &r);
	pci_free_irq_vectors(f->pdev);
}

static void test_request_irq_errors(void **state)
{
	struct fx *f = *state;
	struct irqrec a = { .ret = IRQ_HANDLED }, b = { .ret = IRQ_NONE };
	int irq, irq2;

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 2, 2, PCI_IRQ_MSI), 2);
	irq = pci_irq_vector(f->pdev, 0);
	irq2 = pci_irq_vector(f->pdev, 1);
	assert_int_equal(request_irq(5000, rec_handler, 0, "x", &a), -EINVAL);
	assert_int_equal(request_irq(3, rec_handler, 0, "x", &a), -EINVAL);
	assert_int_equal(request_irq(irq, rec_handler, IRQF_SHARED, "x", NULL), -EINVAL);
	assert_int_equal(request_irq(irq, rec_handler, IRQF_SHARED | IRQF_NO_AUTOEN,
				     "x", &a), -EINVAL);
	assert_int_equal(request_threaded_irq(irq, NULL, NULL, 0, "x", &a), -EINVAL);

	/* not shared: the second request is -EBUSY */
	assert_int_equal(request_irq(irq, rec_handler, 0, "a", &a), 0);
	assert_int_equal(request_irq(irq, rec_handler, 0, "b", &b), -EBUSY);
	assert_int_equal(request_irq(irq, rec_handler, IRQF_SHARED, "b", &b), -EBUSY);
	assert_ptr_equal(free_irq(irq, &a), "a");

	/* shared: both run */
	assert_int_equal(request_irq(irq, rec_handler, IRQF_SHARED, "a", &a), 0);
	assert_int_equal(request_irq(irq, rec_handler, IRQF_SHARED, "b", &b), 0);
	assert_int_equal(request_irq(irq, rec_handler, IRQF_SHARED | IRQF_ONESHOT,
				     "c", &b), -EBUSY);
	assert_int_equal(raise_via_doorbell(f, 0), 0);
	assert_int_equal(atomic_load(&a.runs), 1);
	assert_int_equal(atomic_load(&b.runs), 1);
	assert_ptr_equal(free_irq(irq, &b), "b");
	assert_int_equal(raise_via_doorbell(f, 0), 0);
	assert_int_equal(atomic_load(&a.runs), 2);
	assert_int_equal(atomic_load(&b.runs), 1);

	/* freeing what is not there: WARN, NULL */
	sim_report_clear(f->m);
	assert_null(free_irq(irq, &b));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "Trying to free already-free IRQ"));
	assert_null(free_irq(4000, &b));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "does not exist"));

	/* threaded: the default primary handler wakes the thread */
	assert_int_equal(request_threaded_irq(irq2, NULL, rec_thread, IRQF_ONESHOT,
					      "thr", &b), 0);
	assert_int_equal(raise_via_doorbell(f, 1), 0);
	assert_int_equal(atomic_load(&b.threads), 1);
	assert_ptr_equal(free_irq(irq2, &b), "thr");
	/* a primary handler that wakes its thread */
	b.ret = IRQ_WAKE_THREAD;
	assert_int_equal(request_threaded_irq(irq2, rec_handler, rec_thread, 0,
					      "thr2", &b), 0);
	assert_int_equal(raise_via_doorbell(f, 1), 0);
	assert_int_equal(atomic_load(&b.runs), 2);
	assert_int_equal(atomic_load(&b.threads), 2);
	free_irq(irq2, &b);

	/* IRQF_NO_AUTOEN: pending until enable_irq() */
	assert_int_equal(request_irq(irq2, rec_handler, IRQF_NO_AUTOEN, "na", &b), 0);
	assert_int_equal(raise_via_doorbell(f, 1), 0);
	assert_int_equal(atomic_load(&b.runs), 2);
	enable_irq(irq2);
	assert_int_equal(atomic_load(&b.runs), 3);

	/* freeing the vectors with actions left: WARN, and they go */
	sim_report_clear(f->m);
	pci_free_irq_vectors(f->pdev);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "still has an action (a)"));
	assert_int_equal(request_irq(irq, rec_handler, 0, "a", &a), -EINVAL);
}

/* What would deadlock the kernel is refused with a WARN here. */
struct selfirq {
	struct fx *f;
	int irq;
	const void *freed;
	int runs;
};

static irqreturn_t self_handler(int irq, void *dev_id)
{
	struct selfirq *s = dev_id;

	s->runs++;
	s->freed = free_irq((unsigned int)irq, s);
	pci_free_irq_vectors(s->f->pdev);
	synchronize_irq((unsigned int)irq);
	return IRQ_HANDLED;
}

static void test_irq_from_own_handler(void **state)
{
	struct fx *f = *state;
	struct selfirq s = { .f = f, .freed = "x" };

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), 1);
	s.irq = pci_irq_vector(f->pdev, 0);
	assert_int_equal(request_irq(s.irq, self_handler, 0, "self", &s), 0);
	sim_report_clear(f->m);
	assert_int_equal(sim_msi_raise(f->md, 0), 0);
	assert_int_equal(s.runs, 1);
	assert_null(s.freed);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "from its own handler: refused"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "pci_free_irq_vectors from the handler of irq"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "would deadlock"));
	/* still requested and working */
	assert_true(f->pdev->msi_enabled);
	assert_ptr_equal(free_irq(s.irq, &s), "self");
	pci_free_irq_vectors(f->pdev);
}

/* sim_machine_load_opts() binds models from a file. */
static void test_load_opts(void **state)
{
	struct sim_machine_opts opts = { .models = models };
	char path[] = "/tmp/dmastack-model-XXXXXX";
	const char *text = PLATFORM_MODEL("off", "");
	char err[256] = "";
	struct sim_machine *m;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	m = sim_machine_load_opts(path, &opts, err, sizeof(err));
	assert_non_null(m);
	assert_string_equal(sim_device_model(dev_of(m, "d0")), "testdev");
	sim_machine_destroy(m);
	m = sim_machine_load(path, err, sizeof(err));
	assert_null(m);
	assert_non_null(strstr(err, "line 6: unknown device model 'testdev'"));
	unlink(path);
	assert_int_equal(atomic_load(&counts.live), 0);
}

/* irq numbers are per machine; the current machine picks them */
static void test_irq_current_machine(void **state)
{
	struct fx *f = *state;
	struct sim_machine *m2 = model_machine(PLATFORM_MODEL("off", ""));
	struct pci_dev *p2 = to_pci_dev(dev_of(m2, "d0"));
	struct irqrec a = { .ret = IRQ_HANDLED }, b = { .ret = IRQ_HANDLED };
	int i1, i2;

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), 1);
	assert_int_equal(pci_alloc_irq_vectors(p2, 1, 1, PCI_IRQ_MSI), 1);
	i1 = pci_irq_vector(f->pdev, 0);
	assert_int_equal(request_irq(i1, rec_handler, 0, "m1", &a), 0);
	i2 = pci_irq_vector(p2, 0);
	assert_int_equal(i1, i2);		/* same number, two machines */
	assert_ptr_equal(sim_current_machine(), m2);
	assert_int_equal(request_irq(i2, rec_handler, 0, "m2", &b), 0);
	assert_int_equal(sim_msi_raise(sim_model_dev_of(&p2->dev), 0), 0);
	assert_int_equal(atomic_load(&b.runs), 1);
	assert_int_equal(atomic_load(&a.runs), 0);
	assert_ptr_equal(free_irq(i2, &b), "m2");
	assert_ptr_equal(sim_set_current_machine(f->m), m2);
	assert_ptr_equal(free_irq(i1, &a), "m1");
	sim_set_current_machine(m2);
	pci_free_irq_vectors(p2);
	sim_machine_destroy(m2);
	/* destroying it made it nobody's current machine on this thread */
	assert_null(sim_current_machine());
	pci_free_irq_vectors(f->pdev);
}

/* Several threads raise at once (TSan): every message is delivered. */
#define RT_THREADS	4
#define RT_RAISES	500

static atomic_ulong raised_ok[2];

static void *raiser(void *p)
{
	struct fx *f = p;

	for (int i = 0; i < RT_RAISES; i++) {
		int ret = sim_msi_raise(f->md, (unsigned int)(i & 1));

		/* lost while bus mastering is off */
		assert_true(ret == 0 || ret == -EIO);
		if (!ret)
			atomic_fetch_add(&raised_ok[i & 1], 1);
	}
	return NULL;
}

static void test_msi_concurrent(void **state)
{
	struct fx *f = *state;
	struct irqrec a = { .ret = IRQ_HANDLED }, b = { .ret = IRQ_HANDLED };
	struct sim_irq_stats s0, s1;
	pthread_t th[RT_THREADS];
	int i0, i1;

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 2, 2, PCI_IRQ_MSI), 2);
	i0 = pci_irq_vector(f->pdev, 0);
	i1 = pci_irq_vector(f->pdev, 1);
	assert_int_equal(request_irq(i0, rec_handler, 0, "v0", &a), 0);
	assert_int_equal(request_irq(i1, rec_handler, 0, "v1", &b), 0);
	atomic_store(&raised_ok[0], 0);
	atomic_store(&raised_ok[1], 0);
	for (int i = 0; i < RT_THREADS; i++)
		pthread_create(&th[i], NULL, raiser, f);
	for (int i = 0; i < RT_THREADS / 2; i++) {
		disable_irq(i0);
		pci_clear_master(f->pdev);
		pci_set_master(f->pdev);
		enable_irq(i0);
	}
	for (int i = 0; i < RT_THREADS; i++)
		pthread_join(th[i], NULL);
	sim_irq_get_stats(f->m, i0, &s0);
	sim_irq_get_stats(f->m, i1, &s1);
	/* vector 1 is never masked: every message sent reached the controller */
	assert_int_equal(s1.delivered, atomic_load(&raised_ok[1]));
	assert_true(atomic_load(&b.runs) >= 1);
	assert_true(atomic_load(&a.runs) >= 1);
	assert_false(sim_msi_pending(f->md, 0));
	free_irq(i0, &a);
	free_irq(i1, &b);
	pci_free_irq_vectors(f->pdev);
}

/* ------------------------------------------------------------------------ */
/* MSI-X                                                                    */
/* ------------------------------------------------------------------------ */

static int fx_setup_x(void **state)
{
	return fx_setup_mode(state,
		"machine ram=256M ram-below-4g=128M\nswiotlb size=4M\n"
		"hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
		"pcidev id=d0 bus=rp0 flr=yes model=xdev\n");
}

static u32 msix_ctrl(struct fx *f, unsigned int v)
{
	return reg_read(f, 0x800 + 16 * v + PCI_MSIX_ENTRY_VECTOR_CTRL);
}

static void test_msix(void **state)
{
	struct fx *f = *state;
	struct irqrec r[8];
	u8 cap = pci_find_capability(f->pdev, PCI_CAP_ID_MSIX);
	u16 flags;
	u32 v, pba;
	u64 q;
	int irq0;

	memset(r, 0, sizeof(r));
	assert_true(cap);
	assert_true(pci_find_capability(f->pdev, PCI_CAP_ID_MSI));
	pci_read_config_word(f->pdev, cap + PCI_MSIX_FLAGS, &flags);
	assert_int_equal(flags & PCI_MSIX_FLAGS_QSIZE, 7);
	pci_read_config_dword(f->pdev, cap + PCI_MSIX_TABLE, &v);
	assert_int_equal(v, 0x800);
	pci_read_config_dword(f->pdev, cap + PCI_MSIX_PBA, &v);
	assert_int_equal(v, 0x880);
	/* every vector starts masked; the registers still reach the model */
	assert_int_equal(msix_ctrl(f, 3), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_int_equal(reg_read(f, REG_ID), 0x7e57);
	assert_int_equal(sim_msi_raise(f->md, 0), -EIO);
	assert_int_equal(sim_msi_raise(f->md, 8), -EINVAL);

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 16,
					       PCI_IRQ_MSIX | PCI_IRQ_MSI), 8);
	assert_true(f->pdev->msix_enabled);
	assert_false(f->pdev->msi_enabled);
	irq0 = pci_irq_vector(f->pdev, 0);
	assert_int_equal(irq0, 24);
	assert_int_equal(pci_irq_vector(f->pdev, 7), irq0 + 7);
	assert_int_equal(pci_irq_vector(f->pdev, 8), -EINVAL);
	/* the kernel wrote the entries: address, data = irq */
	assert_int_equal(reg_read(f, 0x800 + 16 * 5 + PCI_MSIX_ENTRY_DATA), irq0 + 5);
	assert_int_equal(reg_read(f, 0x800 + PCI_MSIX_ENTRY_LOWER_ADDR), 0xfee00000);
	/* MSI on top of MSI-X: refused */
	sim_report_clear(f->m);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), -EINVAL);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "can't enable MSI (MSI-X already enabled)"));
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSIX), -EINVAL);

	/* raised while masked: the PBA bit, then delivered at request */
	assert_int_equal(sim_msi_raise(f->md, 6), 0);
	assert_true(sim_msi_pending(f->md, 6));
	assert_int_equal(sim_mmio_read(f->m, f->regs + 0x880, &q, 8), 0);
	assert_int_equal(q, 1ULL << 6);
	for (int i = 0; i < 8; i++) {
		r[i].ret = IRQ_HANDLED;
		assert_int_equal(request_irq(irq0 + i, rec_handler, 0, "x", &r[i]), 0);
	}
	assert_int_equal(atomic_load(&r[6].runs), 1);
	assert_false(sim_msi_pending(f->md, 6));
	assert_int_equal(msix_ctrl(f, 6), 0);
	assert_int_equal(sim_msi_raise(f->md, 2), 0);
	assert_int_equal(atomic_load(&r[2].runs), 1);
	assert_int_equal(r[2].last_irq, irq0 + 2);

	/* disable_irq masks the entry */
	disable_irq(irq0 + 2);
	assert_int_equal(msix_ctrl(f, 2), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_int_equal(sim_msi_raise(f->md, 2), 0);
	assert_int_equal(atomic_load(&r[2].runs), 1);
	enable_irq(irq0 + 2);
	assert_int_equal(atomic_load(&r[2].runs), 2);

	/* the function mask holds every vector */
	pci_read_config_word(f->pdev, cap + PCI_MSIX_FLAGS, &flags);
	pci_write_config_word(f->pdev, cap + PCI_MSIX_FLAGS,
			      flags | PCI_MSIX_FLAGS_MASKALL);
	assert_int_equal(sim_msi_raise(f->md, 1), 0);
	assert_int_equal(sim_msi_raise(f->md, 4), 0);
	assert_int_equal(atomic_load(&r[1].runs), 0);
	/* the table size is read-only */
	pci_write_config_word(f->pdev, cap + PCI_MSIX_FLAGS, flags | 0x3);
	pci_read_config_word(f->pdev, cap + PCI_MSIX_FLAGS, &flags);
	assert_int_equal(flags & PCI_MSIX_FLAGS_QSIZE, 7);
	assert_false(flags & PCI_MSIX_FLAGS_MASKALL);
	assert_int_equal(atomic_load(&r[1].runs), 1);
	assert_int_equal(atomic_load(&r[4].runs), 1);

	/* the PBA is read-only; odd accesses are refused */
	q = ~0ULL;
	assert_int_equal(sim_mmio_write(f->m, f->regs + 0x880, &q, 8), 0);
	assert_int_equal(sim_mmio_read(f->m, f->regs + 0x880, &pba, 4), 0);
	assert_int_equal(pba, 0);
	sim_report_clear(f->m);
	assert_int_equal(sim_mmio_read(f->m, f->regs + 0x802, &flags, 2), -EIO);
	assert_int_equal(flags, 0xffff);
	assert_int_equal(sim_mmio_read(f->m, f->regs + 0x87c, &q, 8), -EIO);
	assert_int_equal(sim_mmio_read(f->m, f->regs + 0x884, &q, 8), -EIO);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "malformed MSI-X table access"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "malformed MSI-X PBA access"));
	/* only the mask bit of vector control is writable */
	v = 0xfffffffe;
	assert_int_equal(sim_mmio_write(f->m, f->regs + 0x800 + 16 * 3 + 12, &v, 4), 0);
	assert_int_equal(msix_ctrl(f, 3), 0);

	/* bus mastering off: lost */
	pci_clear_master(f->pdev);
	assert_int_equal(sim_msi_raise(f->md, 3), -EIO);
	pci_set_master(f->pdev);

	for (int i = 0; i < 8; i++)
		assert_ptr_equal(free_irq(irq0 + i, &r[i]), "x");
	/* masked again by free_irq */
	assert_int_equal(msix_ctrl(f, 5), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	pci_free_irq_vectors(f->pdev);
	assert_false(f->pdev->msix_enabled);
	assert_int_equal(sim_msi_raise(f->md, 0), -EIO);

	/* now MSI (2 vectors) works on the same function */
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 4, PCI_IRQ_MSI), 2);
	assert_int_equal(request_irq(pci_irq_vector(f->pdev, 1), rec_handler, 0,
				     "m", &r[0]), 0);
	assert_int_equal(sim_msi_raise(f->md, 1), 0);
	assert_int_equal(sim_msi_raise(f->md, 5), -EINVAL);
	assert_int_equal(atomic_load(&r[0].runs), 1);
	free_irq(pci_irq_vector(f->pdev, 1), &r[0]);
	pci_free_irq_vectors(f->pdev);

	/* an FLR resets MSI-X: disabled, every entry masked */
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 8, 8, PCI_IRQ_MSIX), 8);
	assert_int_equal(request_irq(irq0, rec_handler, 0, "y", &r[0]), 0);
	assert_int_equal(msix_ctrl(f, 0), 0);
	pcie_flr(f->pdev);
	pci_enable_device(f->pdev);
	pci_set_master(f->pdev);
	assert_int_equal(msix_ctrl(f, 0), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_int_equal(sim_msi_raise(f->md, 0), -EIO);
	free_irq(irq0, &r[0]);
	pci_free_irq_vectors(f->pdev);
}

/* The table writes are CPU MMIO: with memory decoding off they are lost. */
static void test_msix_no_decode(void **state)
{
	struct fx *f = *state;
	struct irqrec r = { .ret = IRQ_HANDLED };
	int irq;

	pci_write_config_word(f->pdev, PCI_COMMAND, PCI_COMMAND_MASTER);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSIX), 1);
	irq = pci_irq_vector(f->pdev, 0);
	assert_int_equal(request_irq(irq, rec_handler, 0, "nd", &r), 0);
	/* the entry never got its address: still masked, nothing runs */
	assert_int_equal(sim_msi_raise(f->md, 0), 0);
	assert_int_equal(atomic_load(&r.runs), 0);
	assert_true(sim_msi_pending(f->md, 0));
	free_irq(irq, &r);
	pci_free_irq_vectors(f->pdev);
	pci_enable_device(f->pdev);
}

/* ------------------------------------------------------------------------ */
/* A job: DMA through the IOMMU, completion on a timer, an MSI              */
/* ------------------------------------------------------------------------ */

static void run_copy_job(struct fx *f)
{
	struct irqrec r = { .ret = IRQ_HANDLED, .f = f };
	struct page *src = sim_alloc_pages(f->m, 0), *dst = sim_alloc_pages(f->m, 0);
	dma_addr_t s, d;
	u64 t0;
	int irq;

	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), 1);
	irq = pci_irq_vector(f->pdev, 0);
	assert_int_equal(request_irq(irq, rec_handler, 0, "job", &r), 0);
	fill_pattern(page_address(src), PAGE_SIZE, 7);
	memset(page_address(dst), 0, PAGE_SIZE);
	s = dma_map_page(f->dev, src, 0, PAGE_SIZE, DMA_TO_DEVICE);
	d = dma_map_page(f->dev, dst, 0, PAGE_SIZE, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(f->dev, s));
	assert_false(dma_mapping_error(f->dev, d));
	reg_write(f, REG_SRC, s, 8);
	reg_write(f, REG_DST, d, 8);
	reg_write(f, REG_LEN, PAGE_SIZE, 8);
	t0 = sim_clock_now(f->m);
	reg_write(f, REG_GO, 1, 4);
	/* nothing happens until the clock moves */
	assert_int_equal(atomic_load(&r.runs), 0);
	sim_clock_advance(f->m, 4999);
	assert_int_equal(atomic_load(&r.runs), 0);
	assert_true(sim_clock_run_next(f->m));
	assert_int_equal(atomic_load(&r.runs), 1);
	assert_int_equal(r.seen_done, 1);	/* the handler read the device */
	assert_int_equal(f->d->job_status, 0);
	assert_int_equal(f->d->job_done_at, t0 + 5000);
	assert_int_equal(sim_clock_now(f->m), t0 + 5000);
	dma_unmap_page(f->dev, s, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_page(f->dev, d, PAGE_SIZE, DMA_FROM_DEVICE);
	assert_memory_equal(page_address(dst), page_address(src), PAGE_SIZE);
	assert_int_equal(sim_dma_debug_errors(f->m), 0);
	assert_int_equal(sim_iommu_faults(f->m), 0);
	free_irq(irq, &r);
	pci_free_irq_vectors(f->pdev);
	sim_free_pages(f->m, src, 0);
	sim_free_pages(f->m, dst, 0);
}

static void test_job_strict(void **state)
{
	run_copy_job(*state);
}

static int fx_setup_lazy(void **state)
{
	return fx_setup_mode(state, PLATFORM_MODEL("lazy", "latency=5000"));
}

static void test_job_lazy(void **state)
{
	run_copy_job(*state);
}

/* A job whose DMA faults: the model sees -EFAULT, the IOMMU logged it. */
static void test_job_fault(void **state)
{
	struct fx *f = *state;

	reg_write(f, REG_SRC, 0x10000, 8);
	reg_write(f, REG_DST, 0x20000, 8);
	reg_write(f, REG_LEN, 64, 8);
	reg_write(f, REG_GO, 1, 4);
	assert_true(sim_clock_run_next(f->m));
	assert_int_equal(f->d->job_status, -EFAULT);
	assert_true(sim_iommu_faults(f->m) >= 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT, "testdev"));
	/* a job cancelled by a reset never completes */
	reg_write(f, REG_GO, 1, 4);
	pcie_flr(f->pdev);
	assert_false(sim_clock_run_next(f->m));
	assert_int_equal(f->d->done, 1);
}

/* ------------------------------------------------------------------------ */
/* Peer DMA into a model's register BAR                                     */
/* ------------------------------------------------------------------------ */

/*
 * a and b below one switch (P2P by bus address), c behind an ACS root
 * port (through the IOMMU and the root complex, which forwards P2P).
 */
#define PLATFORM_P2P_REGS						\
	"machine ram=256M ram-below-4g=128M\n"				\
	"swiotlb size=4M\n"						\
	"iommu id=io0 mode=strict\n"					\
	"hostbridge id=hb0 iommu=io0 p2p=allow\n"			\
	"rootport id=rp0 bus=hb0\n"					\
	"switch id=sw0 bus=rp0 acs=off\n"				\
	"pcidev id=a bus=sw0 model=testdev latency=100\n"		\
	"pcidev id=b bus=sw0 model=testdev latency=100\n"		\
	"rootport id=rp1 bus=hb0 acs=on\n"				\
	"pcidev id=c bus=rp1 model=testdev latency=100\n"

/* @dev's model copies @len bytes from @src to @dst (device addresses). */
static int model_copy(struct sim_machine *m, struct device *dev, u64 src,
		      u64 dst, u64 len)
{
	phys_addr_t regs = pci_resource_start(to_pci_dev(dev), 0);
	struct tdev *d = sim_model_priv(sim_model_dev_of(dev));
	u32 done = d->done, go = 1;

	assert_int_equal(sim_mmio_write(m, regs + REG_SRC, &src, 8), 0);
	assert_int_equal(sim_mmio_write(m, regs + REG_DST, &dst, 8), 0);
	assert_int_equal(sim_mmio_write(m, regs + REG_LEN, &len, 8), 0);
	assert_int_equal(sim_mmio_write(m, regs + REG_GO, &go, 4), 0);
	while (d->done == done && sim_clock_run_next(m))
		;
	assert_int_equal(d->done, done + 1);
	return d->job_status;
}

/*
 * A peer's DMA into a register BAR reaches the model's handlers as CPU
 * MMIO does (a doorbell written by P2P rings), below a switch and through
 * the root complex; a register read by P2P is the model's answer; a
 * register the model refuses fails the DMA with a report.
 */
static void test_p2p_into_register_bar(void **state)
{
	struct sim_machine *m = model_machine(PLATFORM_P2P_REGS);
	struct device *a = dev_of(m, "a"), *b = dev_of(m, "b"), *c = dev_of(m, "c");
	struct tdev *db = sim_model_priv(sim_model_dev_of(b));
	u64 bbus = pci_bus_address(to_pci_dev(b), 0);
	phys_addr_t bregs = pci_resource_start(to_pci_dev(b), 0);
	struct page *pg = sim_alloc_pages(m, 0), *pgc = sim_alloc_pages(m, 0),
		    *x = sim_alloc_pages(m, 0), *y = sim_alloc_pages(m, 0);
	u8 *buf = page_address(pg), *bufc = page_address(pgc);
	dma_addr_t sa, sc, xb, yb, rc;
	u32 v = 0x5a5a1234, one = 1;

	(void)state;
	/* what the devices read is written before it is mapped for them */
	memset(buf, 0, 16);
	memcpy(buf, &v, 4);
	memcpy(buf + 8, &one, 4);
	v = 0xc0ffee;
	memcpy(bufc, &v, 4);
	sa = dma_map_page(a, pg, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	sc = dma_map_page(c, pgc, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	assert_false(dma_mapping_error(a, sa));
	assert_false(dma_mapping_error(c, sc));

	/* a register written by a peer below the switch */
	assert_int_equal(model_copy(m, a, sa, bbus + REG_SCRATCH, 4), 0);
	assert_int_equal(db->scratch, 0x5a5a1234);

	/* a doorbell rung by a peer: b runs its own job */
	fill_pattern(page_address(x), PAGE_SIZE, 3);
	memset(page_address(y), 0, PAGE_SIZE);
	xb = dma_map_page(b, x, 0, PAGE_SIZE, DMA_TO_DEVICE);
	yb = dma_map_page(b, y, 0, PAGE_SIZE, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(b, xb));
	assert_false(dma_mapping_error(b, yb));
	assert_int_equal(sim_mmio_write(m, bregs + REG_SRC, &xb, 8), 0);
	assert_int_equal(sim_mmio_write(m, bregs + REG_DST, &yb, 8), 0);
	{
		u64 len = PAGE_SIZE;

		assert_int_equal(sim_mmio_write(m, bregs + REG_LEN, &len, 8), 0);
	}
	assert_int_equal(db->done, 0);
	assert_int_equal(model_copy(m, a, sa + 8, bbus + REG_GO, 4), 0);
	while (db->done == 0 && sim_clock_run_next(m))
		;
	assert_int_equal(db->done, 1);
	assert_int_equal(db->job_status, 0);
	dma_unmap_page(b, xb, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_page(b, yb, PAGE_SIZE, DMA_FROM_DEVICE);
	assert_memory_equal(page_address(y), page_address(x), PAGE_SIZE);

	/* a register read by a peer: the model answers, not the backing store */
	assert_int_equal(model_copy(m, a, bbus + REG_ID, sa + 4, 4), 0);
	dma_sync_single_for_cpu(a, sa, PAGE_SIZE, DMA_BIDIRECTIONAL);
	memcpy(&v, buf + 4, 4);
	assert_int_equal(v, 0x7e57);
	dma_sync_single_for_device(a, sa, PAGE_SIZE, DMA_BIDIRECTIONAL);

	/* through the IOMMU and the root complex */
	rc = dma_map_resource(c, bregs, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(c, rc));
	assert_int_equal(model_copy(m, c, sc, rc + REG_SCRATCH, 4), 0);
	assert_int_equal(db->scratch, 0xc0ffee);
	assert_int_equal(reg_read(&(struct fx){ .m = m, .regs = bregs }, REG_SCRATCH),
			 0xc0ffee);

	/* the model refuses a register: the peer's DMA fails, reported */
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_FAULT), 0);
	assert_int_equal(model_copy(m, a, sa, bbus + REG_BAD, 4), -EIO);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_DMA_FAULT), 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_FAULT,
				    "b bar0 (peer-to-peer below the switch) refused the write at offset 0x100"));
	assert_int_equal(model_copy(m, c, rc + REG_BAD, sc, 4), -EIO);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_FAULT,
				    "refused the read at offset 0x100"));

	dma_unmap_resource(c, rc, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	dma_unmap_page(a, sa, PAGE_SIZE, DMA_BIDIRECTIONAL);
	dma_unmap_page(c, sc, PAGE_SIZE, DMA_BIDIRECTIONAL);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_iommu_faults(m), 0);
	sim_free_pages(m, pg, 0);
	sim_free_pages(m, pgc, 0);
	sim_free_pages(m, x, 0);
	sim_free_pages(m, y, 0);
	sim_machine_destroy(m);
	assert_int_equal(atomic_load(&counts.live), 0);
}

/* ------------------------------------------------------------------------ */
/* Errors in platform text and in model tables                              */
/* ------------------------------------------------------------------------ */

#define PFX	"machine ram=256M ram-below-4g=128M\nswiotlb size=4M\n"	\
		"hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"

static void test_platform_errors(void **state)
{
	expect_model_error(models, PFX "pcidev id=d0 bus=rp0 model=foo\n",
			   "line 5: unknown device model 'foo'");
	/* no table: no model is known */
	expect_platform_error(PFX "pcidev id=d0 bus=rp0 model=testdev\n",
			      "line 5: unknown device model 'testdev'");
	expect_model_error(models, PFX "pcidev id=d0 bus=rp0 model=testdev zap=1\n",
			   "line 5: pcidev: unknown key 'zap' (not a key of model 'testdev')");
	expect_model_error(models, PFX "pcidev id=d0 bus=rp0 model=testdev bar0=8K\n",
			   "line 5: pcidev: bar0: the BARs come from model 'testdev'");
	expect_model_error(models, PFX "pcidev id=d0 bus=rp0 model=testdev latency=abc\n",
			   "line 5: d0: model 'testdev': latency=abc is not a number");
	expect_model_error(models, PFX "pcidev id=d0 bus=rp0 model=testdev fail=yes\n",
			   "line 5: d0: model 'testdev': asked to fail");
	expect_model_error(models, PFX "nvme id=n0 bus=rp0 model=testdev\n",
			   "line 5: nvme: unknown key 'model'");
	expect_model_error(models, PFX "pcidev id=d0 bus=rp0 model=\n",
			   "line 5: pcidev: model= has no value");
	/* the second model's init fails: the first one is exited */
	atomic_store(&counts.inits, 0);
	atomic_store(&counts.exits, 0);
	expect_model_error(models, PFX "pcidev id=d0 bus=rp0 model=testdev\n"
				   "rootport id=rp1 bus=hb0\n"
				   "pcidev id=d1 bus=rp1 model=testdev fail=yes\n",
			   "line 7: d1: model 'testdev': asked to fail");
	assert_int_equal(atomic_load(&counts.inits), 1);
	assert_int_equal(atomic_load(&counts.exits), 1);
	assert_int_equal(atomic_load(&counts.live), 0);
}

static int fail_init(struct sim_model_dev *md)
{
	return -ENODEV;
}

static void test_model_table_errors(void **state)
{
	static const struct sim_model noname = { .name = "" };
	static const struct sim_model badname = { .name = "a b" };
	static const struct sim_model badbar = {
		.name = "badbar", .bars = { [0] = { .size = 3000 } } };
	static const struct sim_model regs_no_ops = {
		.name = "regs", .bars = { [0] = { .size = 4096, .flags = SIM_BAR_REGS } } };
	static const struct sim_model bar64_last = {
		.name = "b64", .bars = { [5] = { .size = 4096, .flags = SIM_BAR_64 } } };
	static const struct sim_model bar64_upper = {
		.name = "b64u", .bars = { [0] = { .size = 4096, .flags = SIM_BAR_64 },
					  [1] = { .size = 4096 } } };
	static const struct sim_model big32 = {
		.name = "big32", .bars = { [0] = { .size = 2 * SZ_1G } } };
	static const struct sim_model msi3 = { .name = "msi3", .msi_vectors = 3 };
	static const struct sim_model msi64 = { .name = "msi64", .msi_vectors = 64 };
	static const char *const bad_keys[] = { "bus", NULL };
	static const struct sim_model badparam = { .name = "bp", .params = bad_keys };
	static const struct sim_model enodev = { .name = "enodev", .init = fail_init };
	static const struct sim_model wideclass = { .name = "wc", .class_code = 0x1000000 };
	static const struct sim_model msix_big = { .name = "mxb", .msix_vectors = 4096,
		.bars = { [0] = { .size = SZ_1M } } };
	static const struct sim_model msix_nobar = { .name = "mxn", .msix_vectors = 4,
		.msix_bar = 2, .bars = { [0] = { .size = 4096 } } };
	static const struct sim_model msix_fit = { .name = "mxf", .msix_vectors = 4,
		.msix_offset = 4096 - 64, .bars = { [0] = { .size = 4096 } } };
	static const struct sim_model msix_align = { .name = "mxa", .msix_vectors = 4,
		.msix_offset = 4, .bars = { [0] = { .size = 4096 } } };
	static const struct sim_model flags_nosize = {
		.name = "fns", .bars = { [1] = { .flags = SIM_BAR_REGS } } };
	const struct sim_model *t[3] = { NULL, NULL, NULL };
	static const struct {
		const struct sim_model *model;
		const char *needle;
	} cases[] = {
		{ &noname, "a model needs a name" },
		{ &badname, "may hold only letters" },
		{ &badbar, "bar0 must be a power of two" },
		{ &regs_no_ops, "bar0 has registers but no bar_read/bar_write" },
		{ &bar64_last, "64-bit bar5 needs bar6" },
		{ &bar64_upper, "64-bit bar0 needs bar1 as its upper half" },
		{ &big32, "larger than 1G and not 64-bit" },
		{ &msi3, "msi_vectors=3" },
		{ &msi64, "msi_vectors=64" },
		{ &badparam, "parameter 'bus' is a key of every pcidev line" },
		{ &wideclass, "wider than 24 bits" },
		{ &flags_nosize, "bar1 has flags but no size" },
		{ &msix_big, "msix_vectors=4096: at most 2048" },
		{ &msix_nobar, "msix_bar=2 is not a BAR of the model" },
		{ &msix_fit, "do not fit bar0" },
		{ &msix_align, "do not fit bar0, or are not 8-aligned" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t[0] = cases[i].model;
		expect_model_error(t, PFX, cases[i].needle);
	}
	t[0] = &testdev;
	t[1] = &testdev;
	expect_model_error(t, PFX, "model 'testdev' is registered twice");
	t[0] = &enodev;
	t[1] = NULL;
	expect_model_error(t, PFX "pcidev id=d0 bus=rp0 model=enodev\n",
			   "line 5: d0: model 'enodev': No such device");
}

/* Every allocation of a construction with models fails in turn. */
/* ------------------------------------------------------------------------ */
/* Models attached at run time to a function of the platform                */
/* ------------------------------------------------------------------------ */

struct att_state {
	int inits, exits, writes;
	int fail;		/* init returns this */
};

static int att_init(struct sim_model_dev *md)
{
	struct att_state *st = sim_model_priv(md);

	st->inits++;
	if (st->fail) {
		sim_model_error(md, "refused");
		return st->fail;
	}
	return 0;
}

static void att_exit(struct sim_model_dev *md)
{
	((struct att_state *)sim_model_priv(md))->exits++;
}

static int att_read(struct sim_model_dev *md, int bar, u64 off, void *buf,
		    size_t len)
{
	memset(buf, 0x5a, len);
	return 0;
}

static int att_write(struct sim_model_dev *md, int bar, u64 off,
		     const void *buf, size_t len)
{
	((struct att_state *)sim_model_priv(md))->writes++;
	return 0;
}

static const struct sim_model att = {
	.name = "att",
	.vendor = 0x1234,
	.device = 0x0001,
	.class_code = 0x088000,
	.bars = { [0] = { .size = 8192, .flags = SIM_BAR_REGS } },
	.init = att_init,
	.exit = att_exit,
	.bar_read = att_read,
	.bar_write = att_write,
};

#define ATT_PLATFORM \
	"machine ram=256M ram-below-4g=128M\nswiotlb size=4M\n" \
	"hostbridge id=hb0\nrootport id=rp0 bus=hb0\n" \
	"pcidev id=host bus=rp0 bar0=64K\n" \
	"rootport id=rp1 bus=hb0\npcidev id=small bus=rp1 bar0=4K\n" \
	"rootport id=rp2 bus=hb0\npcidev id=none bus=rp2\n"

static void test_model_attach(void **state)
{
	struct sim_machine *m = machine_from(ATT_PLATFORM);
	struct device *dev = dev_of(m, "host");
	struct pci_dev *pdev = to_pci_dev(dev);
	struct att_state st = { .fail = -EIO }, other = { 0 };
	struct sim_model bad = att;
	phys_addr_t bar0 = pci_resource_start(pdev, 0);
	const char *driver = dev_driver_string(dev);
	u8 b = 0;
	u32 v = 0;

	/* bad arguments, bad functions, bad models: -EINVAL */
	assert_int_equal(sim_model_attach(NULL, &att, &st), -EINVAL);
	assert_int_equal(sim_model_attach(dev, NULL, &st), -EINVAL);
	assert_int_equal(sim_model_attach(dev_of(m, "rp0"), &att, &st), -EINVAL);
	assert_int_equal(sim_model_attach(dev_of(m, "none"), &att, &st), -EINVAL);
	assert_int_equal(sim_model_attach(dev_of(m, "small"), &att, &st), -EINVAL);
	bad.name = "";
	assert_int_equal(sim_model_attach(dev, &bad, &st), -EINVAL);
	assert_int_equal(st.inits, 0);

	/* init fails: its error, nothing attached, no exit */
	assert_int_equal(sim_model_attach(dev, &att, &st), -EIO);
	assert_int_equal(st.inits, 1);
	assert_null(sim_model_dev_of(dev));
	assert_null(sim_device_model(dev));
	assert_string_equal(dev_driver_string(dev), driver);
	assert_int_equal(sim_mmio_write(m, bar0, &b, 1), 0);
	assert_int_equal(st.writes, 0);

	/* attached: the BAR's registers are the model's */
	st.fail = 0;
	assert_int_equal(sim_model_attach(dev, &att, &st), 0);
	assert_non_null(sim_model_dev_of(dev));
	assert_ptr_equal(sim_model_priv(sim_model_dev_of(dev)), &st);
	assert_string_equal(sim_device_model(dev), "att");
	assert_string_equal(dev_driver_string(dev), "att");
	assert_int_equal(sim_mmio_read(m, bar0 + 0x10, &v, 4), 0);
	assert_int_equal(v, 0x5a5a5a5a);
	assert_int_equal(sim_mmio_write(m, bar0, &b, 1), 0);
	assert_int_equal(st.writes, 1);
	/* once */
	assert_int_equal(sim_model_attach(dev, &att, &other), -EBUSY);
	assert_int_equal(other.inits, 0);

	/* what a model says goes to the reports, naming the device */
	sim_model_log(sim_model_dev_of(dev), 0x1000, "att %s: %d things",
		      sim_device_id(dev), 3);
	assert_true(sim_report_find(m, SIM_REPORT_INFO, "att host: 3 things"));

	sim_machine_destroy(m);
	assert_int_equal(st.exits, 1);
	assert_int_equal(st.inits, 2);
}

/* A model's own allocations go through the machine's fault injection. */
static void test_model_alloc(void **state)
{
	struct sim_machine *m = machine_from(ATT_PLATFORM);
	long live = sim_alloc_live(m);
	void *p;

	p = sim_zalloc(m, 100);
	assert_non_null(p);
	assert_int_equal(((u8 *)p)[99], 0);
	assert_int_equal(sim_alloc_live(m), live + 1);
	sim_free(m, p);
	assert_int_equal(sim_alloc_live(m), live);
	sim_free(m, NULL);
	assert_null(sim_zalloc(NULL, 8));
	sim_fail_nth_alloc(m, 1);
	assert_null(sim_zalloc(m, 8));
	assert_true(sim_fail_nth_triggered(m));
	assert_int_equal(sim_alloc_live(m), live);
	sim_machine_destroy(m);
}

/* Every allocation of an attach fails in turn: nothing stays attached. */
static void test_model_attach_failnth(void **state)
{
	for (unsigned long n = 1; n < 100; n++) {
		struct sim_machine *m = machine_from(ATT_PLATFORM);
		struct device *dev = dev_of(m, "host");
		struct att_state st = { 0 };
		long live = sim_alloc_live(m);
		int ret;

		sim_fail_nth_alloc(m, n);
		ret = sim_model_attach(dev, &att, &st);
		if (!sim_fail_nth_triggered(m)) {
			assert_int_equal(ret, 0);
			assert_true(n > 1);
			sim_machine_destroy(m);
			assert_int_equal(st.exits, 1);
			return;
		}
		assert_int_equal(ret, -ENOMEM);
		assert_null(sim_model_dev_of(dev));
		assert_int_equal(sim_alloc_live(m), live);
		assert_int_equal(st.inits, 0);
		sim_machine_destroy(m);
		assert_int_equal(st.exits, 0);
	}
	fail_msg("attach never succeeded");
}

/*
 * A device is named by the driver bound to it, else by what it is (its
 * platform kind or model): never by a driver that is not there.
 */
static void test_device_names(void **state)
{
	struct sim_machine *m = sim_machine_default();
	struct device *tb = dev_of(m, "tb0"), *gpu = dev_of(m, "gpu0");
	struct vfio_pci_core_device *v;
	struct sim_report r;

	assert_non_null(m);
	assert_string_equal(dev_driver_string(tb), "dmaengine");
	assert_string_equal(dev_driver_string(gpu), "gpu");
	assert_string_equal(dev_driver_string(dev_of(m, "nic0")), "nic");
	assert_string_equal(dev_driver_string(dev_of(m, "nvme0")), "nvme");
	/* a dma-debug report says so */
	dma_unmap_single(tb, 0x12345000, 64, DMA_TO_DEVICE);
	assert_int_equal(sim_report_get(m, sim_report_count(m) - 1, &r), 0);
	assert_non_null(strstr(r.text, "DMA-API: dmaengine "));
	sim_report_clear(m);
	/* VFIO binds and unbinds */
	v = vfio_alloc_device(vfio_pci_core_device, vdev, gpu, &sim_vfio_pci_ops);
	assert_false(IS_ERR(v));
	v->pci_ops = NULL;
	assert_string_equal(dev_driver_string(gpu), "gpu");
	assert_int_equal(vfio_pci_core_register_device(v), 0);
	assert_string_equal(dev_driver_string(gpu), "vfio-pci");
	vfio_pci_core_unregister_device(v);
	assert_false(v->vdev.registered);
	assert_string_equal(dev_driver_string(gpu), "gpu");
	vfio_put_device(&v->vdev);
	v = sim_vfio_nvgrace_alloc_device(gpu, SZ_4G, SZ_1M);
	assert_false(IS_ERR(v));
	assert_int_equal(vfio_pci_core_register_device(v), 0);
	assert_string_equal(dev_driver_string(gpu), "nvgrace-gpu-vfio-pci");
	vfio_pci_core_unregister_device(v);
	assert_false(v->vdev.registered);
	vfio_put_device(&v->vdev);
	assert_string_equal(dev_driver_string(gpu), "gpu");
	sim_machine_destroy(m);
}

static void test_failnth_construction(void **state)
{
	const char *text = PLATFORM_MODEL("strict", "latency=7 fail=no");
	unsigned long n;

	for (n = 1;; n++) {
		struct sim_machine_opts opts = { .models = models, .fail_nth = n };
		char err[256] = "";
		struct sim_machine *m = sim_machine_parse_opts(text, &opts, err,
							       sizeof(err));

		assert_int_equal(atomic_load(&counts.live), m ? 1 : 0);
		if (m) {
			struct tdev *d = sim_model_priv(sim_model_dev_of(dev_of(m, "d0")));

			assert_int_equal(d->latency, 7);
			sim_machine_destroy(m);
			assert_int_equal(atomic_load(&counts.live), 0);
			break;
		}
		assert_true(err[0]);
		assert_true(n < 100000);
	}
	assert_true(n > 10);
}

/* Every allocation of the irq set-up fails in turn; nothing is left. */
static void test_failnth_irq(void **state)
{
	struct fx *f = *state;
	struct irqrec r = { .ret = IRQ_HANDLED };
	unsigned long n;

	for (n = 1;; n++) {
		int ret, irq;

		sim_fail_nth_alloc(f->m, n);
		ret = pci_alloc_irq_vectors(f->pdev, 1, 4, PCI_IRQ_MSI);
		if (ret < 0) {
			assert_int_equal(ret, -ENOMEM);
			assert_false(f->pdev->msi_enabled);
			continue;
		}
		irq = pci_irq_vector(f->pdev, 0);
		ret = request_irq(irq, rec_handler, 0, "f", &r);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			pci_free_irq_vectors(f->pdev);
			continue;
		}
		sim_fail_nth_alloc(f->m, 0);
		assert_int_equal(sim_msi_raise(f->md, 0), 0);
		assert_int_equal(atomic_load(&r.runs), 1);
		free_irq(irq, &r);
		pci_free_irq_vectors(f->pdev);
		break;
	}
	assert_true(n > 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_rearm_cancel),
		cmocka_unit_test(test_timer_from_callback),
		cmocka_unit_test(test_timer_self_cancel_no_advance),
		cmocka_unit_test(test_timer_concurrency),
		cmocka_unit_test(test_timer_cancel_waits),
		cmocka_unit_test(test_timer_fq_flush),
		cmocka_unit_test_setup_teardown(test_model_identity, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_model_bar_handlers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_model_config_hooks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_model_bus_reset, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_msi_alloc_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_msi_handler_runs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_msi_mask_by_config, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_request_irq_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_irq_from_own_handler, fx_setup, fx_teardown),
		cmocka_unit_test(test_load_opts),
		cmocka_unit_test_setup_teardown(test_irq_current_machine, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_msi_concurrent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_msix, fx_setup_x, fx_teardown),
		cmocka_unit_test_setup_teardown(test_msix_no_decode, fx_setup_x, fx_teardown),
		cmocka_unit_test_setup_teardown(test_job_strict, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_job_lazy, fx_setup_lazy, fx_teardown),
		cmocka_unit_test_setup_teardown(test_job_fault, fx_setup, fx_teardown),
		cmocka_unit_test(test_p2p_into_register_bar),
		cmocka_unit_test(test_platform_errors),
		cmocka_unit_test(test_model_table_errors),
		cmocka_unit_test(test_device_names),
		cmocka_unit_test(test_model_attach),
		cmocka_unit_test(test_model_alloc),
		cmocka_unit_test(test_model_attach_failnth),
		cmocka_unit_test(test_failnth_construction),
		cmocka_unit_test_setup_teardown(test_failnth_irq, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
