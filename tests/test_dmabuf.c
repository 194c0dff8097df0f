// SPDX-License-Identifier: MIT
/*
 * dma-buf: export, references and the machine's fd table, static and
 * dynamic attachments, mapping under the reservation lock, move_notify,
 * and the MMIO exporter helper dma_buf_phys_vec_to_sgt() on real
 * topologies (bus addresses below a switch, one IOVA range through the
 * IOMMU, dma_map_phys() per range without one, refusal through a host
 * bridge that does not forward peer-to-peer), exports above 4 GiB, a
 * fault-injection sweep over the whole lifecycle and an importer/exporter
 * stress for TSan.
 *
 * A toy exporter in this file exports either a fake table (for the
 * framework rules) or ranges of a GPU BAR through the helper.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <dmastack/linux/dma-fence.h>
#include "failnth.h"
#include "gpu_nic_fixture.h"

/* ------------------------------------------------------------------------ */
/* Platform and fixture                                                     */
/* ------------------------------------------------------------------------ */


#define FX(state)	((struct fx *)*(state))

static unsigned long warns(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_WARN);
}

/* ------------------------------------------------------------------------ */
/* The toy exporter                                                         */
/* ------------------------------------------------------------------------ */

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define INC(x)		__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

struct toy {
	struct sim_machine *m;
	/* NULL: a fake one-entry table; else ranges of a BAR via the helper */
	struct p2pdma_provider *provider;
	struct dma_buf_phys_vec vec[4];
	size_t nr, size;
	bool refuse_no_p2p;	/* attach: -EOPNOTSUPP without peer2peer */
	long map_err;		/* map returns ERR_PTR(map_err); 1: NULL */
	int pin_err;
	int releases, attaches, detaches, pins, unpins, maps, unmaps;
	int map_unlocked, unmap_unlocked;	/* ops called without the lock */
};

static int toy_attach(struct dma_buf *d, struct dma_buf_attachment *a)
{
	struct toy *t = d->priv;

	if (t->refuse_no_p2p && !a->peer2peer)
		return -EOPNOTSUPP;
	a->priv = t;
	INC(t->attaches);
	return 0;
}

static void toy_detach(struct dma_buf *d, struct dma_buf_attachment *a)
{
	struct toy *t = d->priv;

	assert_ptr_equal(a->priv, t);
	INC(t->detaches);
}

static int toy_pin(struct dma_buf_attachment *a)
{
	struct toy *t = a->dmabuf->priv;

	INC(t->pins);
	return t->pin_err;
}

static void toy_unpin(struct dma_buf_attachment *a)
{
	struct toy *t = a->dmabuf->priv;

	INC(t->unpins);
}

static struct sg_table *toy_map(struct dma_buf_attachment *a,
				enum dma_data_direction dir)
{
	struct toy *t = a->dmabuf->priv;
	struct sg_table *sgt;

	if (!dma_resv_is_locked_by_me(a->dmabuf->resv))
		INC(t->map_unlocked);
	if (t->map_err == 1)
		return NULL;
	if (t->map_err)
		return ERR_PTR(t->map_err);
	if (t->provider) {
		sgt = dma_buf_phys_vec_to_sgt(a, t->provider, t->vec, t->nr,
					      t->size, dir);
		if (!IS_ERR(sgt))
			INC(t->maps);
		return sgt;
	}
	sgt = calloc(1, sizeof(*sgt));
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	if (sg_alloc_table(sgt, 1, GFP_KERNEL)) {
		free(sgt);
		return ERR_PTR(-ENOMEM);
	}
	sg_dma_address(sgt->sgl) = 0x10000;
	sg_dma_len(sgt->sgl) = (unsigned int)t->size;
	INC(t->maps);
	return sgt;
}

static void toy_unmap(struct dma_buf_attachment *a, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	struct toy *t = a->dmabuf->priv;

	if (!dma_resv_is_locked_by_me(a->dmabuf->resv))
		INC(t->unmap_unlocked);
	INC(t->unmaps);
	if (t->provider) {
		dma_buf_free_sgt(a, sgt, dir);
		return;
	}
	sg_free_table(sgt);
	free(sgt);
}

static void toy_release(struct dma_buf *d)
{
	struct toy *t = d->priv;

	INC(t->releases);
}

static const struct dma_buf_ops toy_ops = {
	.attach = toy_attach,
	.detach = toy_detach,
	.map_dma_buf = toy_map,
	.unmap_dma_buf = toy_unmap,
	.release = toy_release,
};

/* A dynamic exporter: it has pin/unpin. */
static const struct dma_buf_ops toy_dyn_ops = {
	.attach = toy_attach,
	.detach = toy_detach,
	.pin = toy_pin,
	.unpin = toy_unpin,
	.map_dma_buf = toy_map,
	.unmap_dma_buf = toy_unmap,
	.release = toy_release,
};

static void toy_init(struct toy *t, struct sim_machine *m)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->size = SZ_64K;
}

/* Ranges of bar2 of gpu @g: {offset, length} pairs. */
static void toy_ranges(struct toy *t, struct fx *f, int g,
		       const u64 (*r)[2], size_t nr)
{
	t->provider = f->prov[g];
	t->nr = nr;
	t->size = 0;
	for (size_t i = 0; i < nr; i++) {
		t->vec[i].paddr = f->bar2[g] + r[i][0];
		t->vec[i].len = r[i][1];
		t->size += r[i][1];
	}
}

static struct dma_buf *toy_export(struct toy *t, const struct dma_buf_ops *ops)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp);

	exp.exp_name = "toy";
	exp.ops = ops;
	exp.size = t->size;
	exp.priv = t;
	exp.sim = t->m;
	return dma_buf_export(&exp);
}

/* ------------------------------------------------------------------------ */
/* A dynamic importer                                                       */
/* ------------------------------------------------------------------------ */

struct imp {
	int id;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;		/* under the reservation lock */
	enum dma_data_direction dir;
	int notified;
	bool locked_in_notify;
	int *order, *norder;		/* shared log of move_notify calls */
};

static void imp_move_notify(struct dma_buf_attachment *a)
{
	struct imp *i = a->importer_priv;

	i->notified++;
	i->locked_in_notify = dma_resv_is_locked_by_me(a->dmabuf->resv);
	if (i->order)
		i->order[(*i->norder)++] = i->id;
	/* stop using the mapping and give it back, under the lock */
	if (i->sgt) {
		dma_buf_unmap_attachment(a, i->sgt, i->dir);
		i->sgt = NULL;
	}
}

static const struct dma_buf_attach_ops imp_p2p_ops = {
	.allow_peer2peer = true,
	.move_notify = imp_move_notify,
};

static const struct dma_buf_attach_ops imp_nop2p_ops = {
	.allow_peer2peer = false,
	.move_notify = imp_move_notify,
};

/* ------------------------------------------------------------------------ */
/* Export, references, fds                                                  */
/* ------------------------------------------------------------------------ */

static void expect_export_einval(struct toy *t,
				 const struct dma_buf_export_info *exp)
{
	struct dma_buf *d = dma_buf_export(exp);

	assert_true(IS_ERR(d));
	assert_int_equal(PTR_ERR(d), -EINVAL);
	assert_int_equal(t->releases, 0);
}

static void test_export_validation(void **state)
{
	struct fx *f = FX(state);
	struct dma_buf_ops no_map = toy_ops, no_unmap = toy_ops,
			   no_release = toy_ops, pin_only = toy_dyn_ops;
	long live = sim_alloc_live(f->m);
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	unsigned long w0 = warns(f->m);
	struct dma_buf_export_info e;
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	no_map.map_dma_buf = NULL;
	no_unmap.unmap_dma_buf = NULL;
	no_release.release = NULL;
	pin_only.unpin = NULL;
	exp.ops = &toy_ops;
	exp.size = SZ_4K;
	exp.priv = &t;
	exp.sim = f->m;

	assert_int_equal(PTR_ERR(dma_buf_export(NULL)), -EINVAL);
	/* no machine named and none current */
	e = exp, e.sim = NULL;
	assert_ptr_equal(sim_set_current_machine(NULL), f->m);
	expect_export_einval(&t, &e);
	assert_null(sim_set_current_machine(f->m));
	e = exp, e.ops = NULL;
	expect_export_einval(&t, &e);
	e = exp, e.ops = &no_map;
	expect_export_einval(&t, &e);
	e = exp, e.ops = &no_unmap;
	expect_export_einval(&t, &e);
	e = exp, e.ops = &no_release;
	expect_export_einval(&t, &e);
	e = exp, e.ops = &pin_only;
	expect_export_einval(&t, &e);
	e = exp, e.priv = NULL;
	expect_export_einval(&t, &e);
	e = exp, e.size = 0;
	expect_export_einval(&t, &e);
	/* each refusal but the machine-less ones was reported */
	assert_int_equal(warns(f->m), w0 + 7);
	assert_int_equal(sim_alloc_live(f->m), live);

	/* a valid export: one reference, the exporter's fields, own resv */
	d = dma_buf_export(&exp);
	assert_false(IS_ERR(d));
	assert_int_equal(d->size, SZ_4K);
	assert_ptr_equal(d->ops, &toy_ops);
	assert_ptr_equal(d->priv, &t);
	assert_ptr_equal(d->sim, f->m);
	assert_string_equal(d->exp_name, __FILE__);
	assert_non_null(d->resv);
	assert_ptr_equal(d->resv->sim, f->m);
	assert_false(dma_buf_is_dynamic(d));
	/* an exporter that names no machine exports on the current one */
	{
		struct dma_buf *k, *g;
		int fd;

		e = exp, e.sim = NULL;
		k = dma_buf_export(&e);
		assert_false(IS_ERR(k));
		assert_ptr_equal(k->sim, f->m);
		fd = dma_buf_fd(k, 0);
		assert_true(fd >= 0);
		/* the kernel's dma_buf_get(), on the current machine's table */
		g = dma_buf_get(fd);
		assert_ptr_equal(g, k);
		dma_buf_put(g);
		/* its file: references to the file are the buffer's */
		assert_non_null(k->file);
		assert_ptr_equal(k->file->private_data, k);
		assert_ptr_equal(get_file(k->file), k->file);
		assert_int_equal(sim_fd_close(f->m, fd), 0);
		assert_int_equal(t.releases, 0);
		fd = dma_buf_fd(k, 0);	/* the file's reference goes to an fd */
		assert_true(fd >= 0);
		get_file(NULL);
		fput(NULL);
		assert_ptr_equal(dma_buf_get(-1), ERR_PTR(-EBADF));
		assert_ptr_equal(dma_buf_get(fd + 100), ERR_PTR(-EBADF));
		assert_ptr_equal(sim_set_current_machine(NULL), f->m);
		assert_ptr_equal(dma_buf_get(fd), ERR_PTR(-EBADF));
		sim_set_current_machine(f->m);
		assert_int_equal(sim_fd_close(f->m, fd), 0);
	}
	dma_buf_put(d);
	/* d's and the current-machine export's */
	assert_int_equal(t.releases, 2);
	assert_int_equal(sim_alloc_live(f->m), live);
	assert_int_equal(warns(f->m), w0 + 7);
}

/* ---- CPU access and kernel mappings ------------------------------------ */

static char cpu_copy[4096];
static int vmaps, vunmaps, begins, ends, vmap_err;

static int cpu_vmap(struct dma_buf *d, struct iosys_map *map)
{
	(void)d;
	vmaps++;
	if (vmap_err)
		return vmap_err;
	iosys_map_set_vaddr(map, cpu_copy);
	return 0;
}

static void cpu_vunmap(struct dma_buf *d, struct iosys_map *map)
{
	(void)d;
	(void)map;
	vunmaps++;
}

static int cpu_begin(struct dma_buf *d, enum dma_data_direction dir)
{
	(void)d;
	(void)dir;
	begins++;
	return 0;
}

static int cpu_end(struct dma_buf *d, enum dma_data_direction dir)
{
	(void)d;
	(void)dir;
	ends++;
	return -EIO;
}

static const struct dma_buf_ops cpu_ops = {
	.attach = toy_attach,
	.detach = toy_detach,
	.map_dma_buf = toy_map,
	.unmap_dma_buf = toy_unmap,
	.release = toy_release,
	.vmap = cpu_vmap,
	.vunmap = cpu_vunmap,
	.begin_cpu_access = cpu_begin,
	.end_cpu_access = cpu_end,
};

static const char *wname(struct dma_fence *f)
{
	(void)f;
	return "w";
}

static const struct dma_fence_ops wops = {
	.get_driver_name = wname, .get_timeline_name = wname,
};

struct wsig {
	struct sim_timer t;
	struct dma_fence *f;
};

static void wsig_fn(struct sim_timer *t, void *data)
{
	(void)t;
	dma_fence_signal(((struct wsig *)data)->f);
}

static void test_cpu_access_and_vmap(void **state)
{
	struct fx *f = FX(state);
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct iosys_map a, b, none = IOSYS_MAP_INIT_VADDR(NULL);
	struct dma_fence fence;
	struct wsig ws = { .f = &fence };
	spinlock_t lock;
	struct dma_buf *d;
	struct toy t;
	u64 t0;

	vmaps = vunmaps = begins = ends = vmap_err = 0;
	toy_init(&t, f->m);
	exp.ops = &cpu_ops;
	exp.size = SZ_4K;
	exp.priv = &t;
	d = dma_buf_export(&exp);
	assert_false(IS_ERR(d));

	/* one mapping, shared by its users; the last vunmap unmaps */
	assert_int_equal(dma_buf_vmap_unlocked(d, &a), 0);
	assert_ptr_equal(a.vaddr, cpu_copy);
	assert_false(a.is_iomem);
	assert_int_equal(dma_buf_vmap_unlocked(d, &b), 0);
	assert_true(iosys_map_is_equal(&a, &b));
	assert_int_equal(vmaps, 1);
	dma_buf_vunmap_unlocked(d, &b);
	assert_int_equal(vunmaps, 0);
	dma_buf_vunmap_unlocked(d, &none);	/* not its mapping */
	dma_buf_vunmap_unlocked(d, &a);
	assert_int_equal(vunmaps, 1);
	dma_buf_vunmap_unlocked(d, &a);		/* not mapped */
	assert_int_equal(vunmaps, 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "not the buffer's mapping"));
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "dma_buf_vunmap"));
	/* the exporter refuses; without the lock, a WARN */
	vmap_err = -ENOMEM;
	assert_int_equal(dma_buf_vmap_unlocked(d, &a), -ENOMEM);
	assert_true(iosys_map_is_null(&a));
	vmap_err = 0;
	assert_int_equal(dma_buf_vmap(d, &a), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "dma_resv_assert_held"));
	dma_buf_vunmap_unlocked(d, &a);
	assert_int_equal(dma_buf_vmap(NULL, &a), -EINVAL);
	assert_int_equal(dma_buf_vmap(d, NULL), -EINVAL);

	/* CPU access waits for the device's write fence, running the machine */
	spin_lock_init(&lock);
	dma_fence_init(&fence, &wops, &lock, dma_fence_context_alloc(1), 1);
	assert_int_equal(dma_resv_lock(d->resv, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(d->resv, 1), 0);
	dma_resv_add_fence(d->resv, &fence, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(d->resv);
	sim_timer_init(f->m, &ws.t, wsig_fn, &ws);
	assert_int_equal(sim_timer_arm_in(f->m, &ws.t, 500000), 0);
	t0 = sim_clock_now(f->m);
	assert_int_equal(dma_buf_begin_cpu_access(d, DMA_FROM_DEVICE), 0);
	assert_true(dma_fence_is_signaled(&fence));
	assert_int_equal(sim_clock_now(f->m) - t0, 500000);
	assert_int_equal(begins, 1);
	assert_int_equal(dma_buf_end_cpu_access(d, DMA_FROM_DEVICE), -EIO);
	assert_int_equal(ends, 1);
	assert_int_equal(dma_buf_begin_cpu_access(d, DMA_NONE), -EINVAL);
	assert_int_equal(dma_buf_end_cpu_access(NULL, DMA_TO_DEVICE), -EINVAL);
	dma_buf_put(d);
	/* the resv (the buffer's own) dropped its fence reference */
	assert_int_equal(kref_read(&fence.refcount), 1);
}

static void test_export_shared_resv(void **state)
{
	struct fx *f = FX(state);
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct dma_resv resv = { .sim = NULL };
	struct dma_buf *a, *b;
	struct toy t;

	toy_init(&t, f->m);
	dma_resv_init(&resv);
	exp.ops = &toy_dyn_ops;
	exp.size = SZ_4K;
	exp.priv = &t;
	exp.sim = f->m;
	exp.resv = &resv;
	a = dma_buf_export(&exp);
	b = dma_buf_export(&exp);
	assert_false(IS_ERR(a));
	assert_false(IS_ERR(b));
	/* both use the exporter's object, which now reports to the machine */
	assert_ptr_equal(a->resv, &resv);
	assert_ptr_equal(b->resv, &resv);
	assert_ptr_equal(resv.sim, f->m);
	assert_true(dma_buf_is_dynamic(a));
	dma_buf_put(a);
	dma_buf_put(b);
	assert_int_equal(t.releases, 2);
	dma_resv_fini(&resv);
}

static void test_fd_lifecycle(void **state)
{
	struct fx *f = FX(state);
	long live = sim_alloc_live(f->m);
	struct dma_buf *a, *b, *g;
	struct toy ta, tb;
	int fa, fb, fc;

	toy_init(&ta, f->m);
	toy_init(&tb, f->m);

	/* nothing exported yet: every fd is bad */
	assert_int_equal(PTR_ERR(sim_dma_buf_get(f->m, 0)), -EBADF);
	assert_int_equal(sim_fd_close(f->m, 0), -EBADF);
	assert_int_equal(PTR_ERR(sim_dma_buf_get(NULL, 0)), -EINVAL);
	assert_int_equal(dma_buf_fd(NULL, 0), -EINVAL);

	a = toy_export(&ta, &toy_ops);
	b = toy_export(&tb, &toy_ops);
	assert_false(IS_ERR(a));
	assert_false(IS_ERR(b));
	fa = dma_buf_fd(a, O_CLOEXEC);	/* the fd now holds a's reference */
	fb = dma_buf_fd(b, 0);
	assert_int_equal(fa, 0);
	assert_int_equal(fb, 1);

	/* order 1: get, put, then close releases */
	g = sim_dma_buf_get(f->m, fa);
	assert_ptr_equal(g, a);
	dma_buf_put(g);
	assert_int_equal(ta.releases, 0);
	assert_int_equal(sim_fd_close(f->m, fa), 0);
	assert_int_equal(ta.releases, 1);
	/* closed: bad for get and for a second close */
	assert_int_equal(PTR_ERR(sim_dma_buf_get(f->m, fa)), -EBADF);
	assert_int_equal(sim_fd_close(f->m, fa), -EBADF);
	assert_int_equal(ta.releases, 1);

	/* order 2: get, close, then the last put releases */
	g = sim_dma_buf_get(f->m, fb);
	assert_ptr_equal(g, b);
	assert_int_equal(sim_fd_close(f->m, fb), 0);
	assert_int_equal(tb.releases, 0);
	get_dma_buf(g);
	dma_buf_put(g);
	assert_int_equal(tb.releases, 0);
	dma_buf_put(g);
	assert_int_equal(tb.releases, 1);

	/* bad fds */
	assert_int_equal(PTR_ERR(sim_dma_buf_get(f->m, -1)), -EBADF);
	assert_int_equal(PTR_ERR(sim_dma_buf_get(f->m, 9999)), -EBADF);
	assert_int_equal(PTR_ERR(sim_dma_buf_get(f->m, INT_MAX)), -EBADF);
	assert_int_equal(sim_fd_close(f->m, -5), -EBADF);
	assert_int_equal(sim_fd_close(f->m, 12345), -EBADF);

	/* the lowest free fd is reused */
	toy_init(&ta, f->m);
	a = toy_export(&ta, &toy_ops);
	b = toy_export(&ta, &toy_ops);
	fa = dma_buf_fd(a, 0);
	fb = dma_buf_fd(b, 0);
	assert_int_equal(fa, 0);
	assert_int_equal(fb, 1);
	assert_int_equal(sim_fd_close(f->m, fa), 0);
	a = toy_export(&ta, &toy_ops);
	fc = dma_buf_fd(a, 0);
	assert_int_equal(fc, 0);
	assert_int_equal(sim_fd_close(f->m, fb), 0);
	assert_int_equal(sim_fd_close(f->m, fc), 0);
	assert_int_equal(ta.releases, 3);

	/* many fds: the table grows */
	{
		int fds[100];

		toy_init(&ta, f->m);
		for (int i = 0; i < 100; i++) {
			a = toy_export(&ta, &toy_ops);
			assert_false(IS_ERR(a));
			fds[i] = dma_buf_fd(a, 0);
			assert_int_equal(fds[i], i);
		}
		for (int i = 99; i >= 0; i--)
			assert_int_equal(sim_fd_close(f->m, fds[i]), 0);
		assert_int_equal(ta.releases, 100);
	}
	assert_int_equal(sim_alloc_live(f->m), live);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
}

/* The fd table's growth is an allocation that can fail. */
/*
 * One dma_buf_put() too many while an fd holds the buffer: reported and
 * refused; the buffer stays, behind its fd, until the fd closes. With a
 * reference of the caller's besides the fd's, the first put is legal and
 * the second is the one too many.
 */
static void test_put_while_fd_holds(void **state)
{
	struct fx *f = FX(state);
	unsigned long b0 = sim_report_count_kind(f->m, SIM_REPORT_BUG);
	struct dma_buf *d, *g;
	struct toy t;
	int fd;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_ops);
	assert_false(IS_ERR(d));
	fd = dma_buf_fd(d, 0);
	assert_true(fd >= 0);
	/* the caller's reference went to the fd: this put has none */
	dma_buf_put(d);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_BUG, "one put too many"));
	assert_int_equal(t.releases, 0);
	/* the fd still works: the buffer was not freed under it */
	g = sim_dma_buf_get(f->m, fd);
	assert_ptr_equal(g, d);
	assert_int_equal(g->size, SZ_64K);
	/* a reference of our own: one put is fine, the next is refused */
	dma_buf_put(g);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 1);
	dma_buf_put(g);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 2);
	assert_int_equal(t.releases, 0);
	/* two fds of one buffer (get + fd): both must close */
	g = sim_dma_buf_get(f->m, fd);
	{
		int fd2 = dma_buf_fd(g, 0);

		assert_true(fd2 >= 0);
		dma_buf_put(g);
		assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG),
				 b0 + 3);
		assert_int_equal(sim_fd_close(f->m, fd2), 0);
	}
	assert_int_equal(t.releases, 0);
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	assert_int_equal(t.releases, 1);
	f->bugs_allowed = b0 + 3;
}

/*
 * dma_buf_put() and get_dma_buf() after the last reference: the released
 * buffer is a tombstone, so both are reported (naming the buffer) and
 * refused without reading freed memory (ASan), and the exporter's release
 * runs once. A tombstone goes for good after enough later releases; what
 * is left is freed with the machine.
 */
static void test_put_after_release(void **state)
{
	struct fx *f = FX(state);
	unsigned long b0 = sim_report_count_kind(f->m, SIM_REPORT_BUG);
	long live = sim_alloc_live(f->m);
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_ops);
	assert_false(IS_ERR(d));
	dma_buf_put(d);
	assert_int_equal(t.releases, 1);
	assert_int_equal(sim_alloc_live(f->m), live);
	dma_buf_put(d);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_BUG, "put after the last reference"));
	get_dma_buf(d);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 2);
	assert_true(sim_report_find(f->m, SIM_REPORT_BUG, "reference taken on a released buffer"));
	/* still refused: the get did not bring it back */
	dma_buf_put(d);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 3);
	assert_int_equal(t.releases, 1);
	/*
	 * Many releases later the oldest tombstones' memory goes to new
	 * exports, never back to the host: @d's pointer still points at a
	 * buffer object (ASan: nothing freed is read below).
	 */
	for (int i = 0; i < 1100; i++) {
		struct dma_buf *x = toy_export(&t, &toy_ops);

		assert_false(IS_ERR(x));
		dma_buf_put(x);
	}
	assert_int_equal(t.releases, 1101);
	assert_int_equal(sim_alloc_live(f->m), live);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 3);
	/*
	 * @d's memory went to an export of the loop once its tombstone was
	 * the oldest, and that buffer was released too: a tombstone again,
	 * so a put this late is still refused, reading nothing freed.
	 */
	dma_buf_put(d);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 4);
	assert_int_equal(t.releases, 1101);
	assert_int_equal(sim_alloc_live(f->m), live);
	/* taking an old tombstone's memory is an allocation that may fail */
	sim_fail_nth_alloc(f->m, 1);
	d = toy_export(&t, &toy_ops);
	assert_true(sim_fail_nth_triggered(f->m));
	sim_fail_nth_alloc(f->m, 0);
	assert_true(IS_ERR(d));
	assert_int_equal(PTR_ERR(d), -ENOMEM);
	assert_int_equal(sim_alloc_live(f->m), live);
	/* and the memory is still there for the next export */
	d = toy_export(&t, &toy_ops);
	assert_false(IS_ERR(d));
	assert_int_equal(sim_alloc_live(f->m), live + 1);
	dma_buf_put(d);
	assert_int_equal(t.releases, 1102);
	assert_int_equal(sim_alloc_live(f->m), live);
	f->bugs_allowed = b0 + 4;
}

static void test_fd_enomem(void **state)
{
	struct fx *f = FX(state);
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_ops);
	assert_false(IS_ERR(d));
	sim_fail_nth_alloc(f->m, 1);
	assert_int_equal(dma_buf_fd(d, 0), -ENOMEM);
	assert_true(sim_fail_nth_triggered(f->m));
	sim_fail_nth_alloc(f->m, 0);
	/* the caller still has its reference */
	assert_int_equal(t.releases, 0);
	assert_int_equal(dma_buf_fd(d, 0), 0);
	assert_int_equal(sim_fd_close(f->m, 0), 0);
	assert_int_equal(t.releases, 1);

	/* export: -ENOMEM and nothing left */
	{
		long live = sim_alloc_live(f->m);

		sim_fail_nth_alloc(f->m, 1);
		d = toy_export(&t, &toy_ops);
		sim_fail_nth_alloc(f->m, 0);
		assert_int_equal(PTR_ERR(d), -ENOMEM);
		assert_int_equal(sim_alloc_live(f->m), live);
	}
}

/* ------------------------------------------------------------------------ */
/* Attachments and mapping rules                                            */
/* ------------------------------------------------------------------------ */

static void test_static_attach(void **state)
{
	struct fx *f = FX(state);
	unsigned long w0 = warns(f->m);
	struct dma_buf_attachment *at;
	struct sg_table *sgt;
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_ops);
	at = dma_buf_attach(d, f->nic[0]);
	assert_false(IS_ERR(at));
	assert_int_equal(t.attaches, 1);
	assert_ptr_equal(at->dmabuf, d);
	assert_ptr_equal(at->dev, f->nic[0]);
	assert_false(at->peer2peer);
	assert_false(dma_buf_attachment_is_dynamic(at));
	assert_null(at->importer_ops);

	/* mapped under the lock: every map asks the exporter */
	dma_resv_lock(d->resv, NULL);
	sgt = dma_buf_map_attachment(at, DMA_TO_DEVICE);
	assert_false(IS_ERR(sgt));
	assert_ptr_equal(at->sgt, sgt);
	{
		struct sg_table *sgt2 = dma_buf_map_attachment(at, DMA_TO_DEVICE);

		assert_false(IS_ERR(sgt2));
		assert_ptr_not_equal(sgt2, sgt);
		assert_int_equal(t.maps, 2);
		dma_buf_unmap_attachment(at, sgt2, DMA_TO_DEVICE);
	}
	assert_ptr_equal(at->sgt, sgt);
	dma_buf_unmap_attachment(at, sgt, DMA_TO_DEVICE);
	assert_null(at->sgt);
	dma_resv_unlock(d->resv);
	assert_int_equal(t.unmaps, 2);
	assert_int_equal(t.map_unlocked + t.unmap_unlocked, 0);
	/* a non-dynamic exporter is never pinned */
	assert_int_equal(t.pins, 0);
	assert_int_equal(warns(f->m), w0);

	dma_buf_detach(d, at);
	assert_int_equal(t.detaches, 1);
	dma_buf_put(d);
	assert_int_equal(t.releases, 1);

	/* no device, no buffer */
	assert_int_equal(PTR_ERR(dma_buf_attach(NULL, f->nic[0])), -EINVAL);
}

/* A static importer of a dynamic exporter pins the buffer while mapped. */
static void test_static_attach_pins(void **state)
{
	struct fx *f = FX(state);
	unsigned long w0;
	struct dma_buf_attachment *st, *dy;
	struct sg_table *s1, *s2, *err;
	struct imp imp = { 0 };
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_dyn_ops);
	assert_true(dma_buf_is_dynamic(d));
	st = dma_buf_attach(d, f->nic[0]);
	dy = dma_buf_dynamic_attach(d, f->nic[1], &imp_p2p_ops, &imp);
	assert_false(IS_ERR(st));
	assert_false(IS_ERR(dy));
	/* attaching does not pin */
	assert_int_equal(t.pins, 0);

	dma_resv_lock(d->resv, NULL);
	s1 = dma_buf_map_attachment(st, DMA_BIDIRECTIONAL);
	assert_false(IS_ERR(s1));
	assert_int_equal(t.pins, 1);
	/* the dynamic importer is not pinned: it gets move_notify */
	s2 = dma_buf_map_attachment(dy, DMA_BIDIRECTIONAL);
	assert_false(IS_ERR(s2));
	assert_int_equal(t.pins, 1);
	dma_buf_unmap_attachment(dy, s2, DMA_BIDIRECTIONAL);
	assert_int_equal(t.unpins, 0);
	dma_buf_unmap_attachment(st, s1, DMA_BIDIRECTIONAL);
	assert_int_equal(t.unpins, 1);

	/* a failed map undoes its pin; a failed pin fails the map */
	t.map_err = -ENOSPC;
	err = dma_buf_map_attachment(st, DMA_BIDIRECTIONAL);
	assert_int_equal(PTR_ERR(err), -ENOSPC);
	assert_int_equal(t.pins, 2);
	assert_int_equal(t.unpins, 2);
	t.map_err = 0;
	t.pin_err = -ENOMEM;
	err = dma_buf_map_attachment(st, DMA_BIDIRECTIONAL);
	assert_int_equal(PTR_ERR(err), -ENOMEM);
	assert_int_equal(t.maps, 2);
	assert_int_equal(t.unpins, 2);
	t.pin_err = 0;

	/* explicit pinning is for dynamic attachments */
	w0 = warns(f->m);
	assert_int_equal(dma_buf_pin(dy), 0);
	assert_int_equal(t.pins, 4);
	dma_buf_unpin(dy);
	assert_int_equal(t.unpins, 3);
	assert_int_equal(warns(f->m), w0);
	assert_int_equal(dma_buf_pin(st), 0);
	dma_buf_unpin(st);
	assert_int_equal(warns(f->m), w0 + 2);
	dma_resv_unlock(d->resv);

	/* pin/unpin outside the lock: lockdep's warning */
	assert_int_equal(dma_buf_pin(dy), 0);
	dma_buf_unpin(dy);
	assert_int_equal(warns(f->m), w0 + 4);

	dma_buf_detach(d, st);
	dma_buf_detach(d, dy);
	dma_buf_put(d);
	/* every pin but the refused one was undone */
	assert_int_equal(t.pins, t.unpins + 1);
	assert_int_equal(t.releases, 1);
}

static void test_dynamic_attach_peer2peer(void **state)
{
	struct fx *f = FX(state);
	static const struct dma_buf_attach_ops no_notify = {
		.allow_peer2peer = true,
	};
	long live = sim_alloc_live(f->m);
	struct dma_buf_attachment *a, *b, *e;
	struct imp ia = { 0 }, ib = { 0 };
	unsigned long w0 = warns(f->m);
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_dyn_ops);
	a = dma_buf_dynamic_attach(d, f->nic[0], &imp_p2p_ops, &ia);
	b = dma_buf_dynamic_attach(d, f->nic[1], &imp_nop2p_ops, &ib);
	assert_false(IS_ERR(a));
	assert_false(IS_ERR(b));
	assert_true(a->peer2peer);
	assert_false(b->peer2peer);
	assert_true(dma_buf_attachment_is_dynamic(a));
	assert_ptr_equal(a->importer_ops, &imp_p2p_ops);
	assert_ptr_equal(a->importer_priv, &ia);
	assert_ptr_equal(a->priv, &t);

	/* importer_ops without move_notify is refused */
	e = dma_buf_dynamic_attach(d, f->nic[0], &no_notify, NULL);
	assert_int_equal(PTR_ERR(e), -EINVAL);
	assert_int_equal(warns(f->m), w0 + 1);
	assert_int_equal(t.attaches, 2);

	dma_buf_detach(d, b);
	dma_buf_detach(d, a);
	assert_int_equal(t.detaches, 2);
	dma_buf_put(d);
	assert_int_equal(sim_alloc_live(f->m), live);
}

/* The exporter refuses an importer that cannot do peer-to-peer. */
static void test_exporter_refuses_attach(void **state)
{
	struct fx *f = FX(state);
	struct dma_buf_attachment *a, *b, *c;
	struct imp ia = { 0 }, ib = { 0 };
	long live = sim_alloc_live(f->m);
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	t.refuse_no_p2p = true;
	d = toy_export(&t, &toy_dyn_ops);
	a = dma_buf_dynamic_attach(d, f->nic[0], &imp_nop2p_ops, &ia);
	assert_int_equal(PTR_ERR(a), -EOPNOTSUPP);
	b = dma_buf_attach(d, f->nic[0]);	/* static: no peer2peer */
	assert_int_equal(PTR_ERR(b), -EOPNOTSUPP);
	c = dma_buf_dynamic_attach(d, f->nic[1], &imp_p2p_ops, &ib);
	assert_false(IS_ERR(c));
	assert_int_equal(t.attaches, 1);
	assert_int_equal(t.detaches, 0);

	/* nothing was left on the list: move_notify reaches only c */
	dma_resv_lock(d->resv, NULL);
	dma_buf_move_notify(d);
	dma_resv_unlock(d->resv);
	assert_int_equal(ia.notified, 0);
	assert_int_equal(ib.notified, 1);

	dma_buf_detach(d, c);
	dma_buf_put(d);
	assert_int_equal(t.releases, 1);
	assert_int_equal(sim_alloc_live(f->m), live);
}

static void test_map_lock_rules(void **state)
{
	struct fx *f = FX(state);
	struct dma_buf_attachment *at;
	struct sg_table *sgt, fake;
	unsigned long w0, b0;
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_ops);
	at = dma_buf_attach(d, f->nic[0]);
	assert_false(IS_ERR(at));

	/* without the lock: warned, and done anyway as the kernel does */
	w0 = warns(f->m);
	sgt = dma_buf_map_attachment(at, DMA_FROM_DEVICE);
	assert_false(IS_ERR(sgt));
	assert_int_equal(warns(f->m), w0 + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "dma_resv_assert_held"));
	assert_int_equal(t.map_unlocked, 1);
	dma_buf_unmap_attachment(at, sgt, DMA_FROM_DEVICE);
	assert_int_equal(warns(f->m), w0 + 2);
	assert_int_equal(t.unmaps, 1);

	/* the _unlocked variants take the lock for the exporter */
	w0 = warns(f->m);
	sgt = dma_buf_map_attachment_unlocked(at, DMA_FROM_DEVICE);
	assert_false(IS_ERR(sgt));
	assert_false(dma_resv_is_locked_by_me(d->resv));
	dma_buf_unmap_attachment_unlocked(at, sgt, DMA_FROM_DEVICE);
	assert_int_equal(warns(f->m), w0);
	assert_int_equal(t.map_unlocked, 1);
	assert_int_equal(t.unmap_unlocked, 1);
	assert_int_equal(t.unmaps, 2);

	/* ... and must not be called with it held: reported, no deadlock */
	b0 = sim_report_count_kind(f->m, SIM_REPORT_BUG);
	dma_resv_lock(d->resv, NULL);
	sgt = dma_buf_map_attachment_unlocked(at, DMA_FROM_DEVICE);
	assert_int_equal(PTR_ERR(sgt), -EDEADLK);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 1);
	sgt = dma_buf_map_attachment(at, DMA_FROM_DEVICE);
	assert_false(IS_ERR(sgt));
	dma_buf_unmap_attachment_unlocked(at, sgt, DMA_FROM_DEVICE);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), b0 + 2);
	f->bugs_allowed = b0 + 2;
	assert_int_equal(t.unmaps, 3);
	/* still held by us after all that */
	assert_true(dma_resv_is_locked_by_me(d->resv));

	/* a table this attachment does not have mapped never reaches the exporter */
	w0 = warns(f->m);
	dma_buf_unmap_attachment(at, &fake, DMA_FROM_DEVICE);
	assert_int_equal(warns(f->m), w0 + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "has not mapped"));
	assert_int_equal(t.unmaps, 3);

	/* the exporter's errors pass through; NULL means -ENOMEM */
	t.map_err = -ENOSPC;
	assert_int_equal(PTR_ERR(dma_buf_map_attachment(at, DMA_TO_DEVICE)),
			 -ENOSPC);
	t.map_err = 1;
	assert_int_equal(PTR_ERR(dma_buf_map_attachment(at, DMA_TO_DEVICE)),
			 -ENOMEM);
	t.map_err = 0;
	assert_null(at->sgt);
	assert_int_equal(dma_buf_map_attachment(NULL, DMA_TO_DEVICE),
			 ERR_PTR(-EINVAL));
	dma_resv_unlock(d->resv);

	/* trylock: taken, then not again by the holder nor another */
	assert_int_equal(dma_resv_trylock(d->resv), 1);
	assert_int_equal(dma_resv_trylock(d->resv), 0);
	dma_resv_unlock(d->resv);
	assert_false(dma_resv_is_locked_by_me(d->resv));

	dma_buf_detach(d, at);
	dma_buf_put(d);
	assert_int_equal(t.maps, t.unmaps);
	assert_int_equal(t.releases, 1);
}

static void test_move_notify(void **state)
{
	struct fx *f = FX(state);
	struct imp imp[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };
	struct dma_buf_attachment *st;
	struct sg_table *ssgt;
	int order[8], norder = 0;
	unsigned long w0;
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_dyn_ops);
	for (int i = 0; i < 3; i++) {
		imp[i].order = order;
		imp[i].norder = &norder;
		imp[i].dir = DMA_BIDIRECTIONAL;
		imp[i].attach = dma_buf_dynamic_attach(d, f->nic[i % 2],
						       &imp_p2p_ops, &imp[i]);
		assert_false(IS_ERR(imp[i].attach));
	}
	st = dma_buf_attach(d, f->nic[2]);
	assert_false(IS_ERR(st));

	dma_resv_lock(d->resv, NULL);
	for (int i = 0; i < 3; i++) {
		imp[i].sgt = dma_buf_map_attachment(imp[i].attach,
						    DMA_BIDIRECTIONAL);
		assert_false(IS_ERR(imp[i].sgt));
	}
	ssgt = dma_buf_map_attachment(st, DMA_BIDIRECTIONAL);
	assert_false(IS_ERR(ssgt));
	assert_int_equal(t.maps, 4);

	/*
	 * Every dynamic importer hears of it, under the lock, in the order
	 * of the buffer's list: list_add() puts the newest first.
	 */
	w0 = warns(f->m);
	dma_buf_move_notify(d);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(imp[i].notified, 1);
		assert_true(imp[i].locked_in_notify);
		assert_null(imp[i].sgt);
		assert_null(imp[i].attach->sgt);
	}
	/* they unmapped from the callback; the static one is untouched */
	assert_int_equal(t.unmaps, 3);
	assert_ptr_equal(st->sgt, ssgt);
	assert_int_equal(warns(f->m), w0);

	/* they may map again */
	imp[1].sgt = dma_buf_map_attachment(imp[1].attach, DMA_BIDIRECTIONAL);
	assert_false(IS_ERR(imp[1].sgt));
	dma_buf_unmap_attachment(st, ssgt, DMA_BIDIRECTIONAL);
	dma_resv_unlock(d->resv);

	/* without the lock: warned, importers still told */
	dma_buf_move_notify(d);
	assert_int_equal(warns(f->m), w0 + 1 + 1);	/* + the importer's unmap */
	assert_int_equal(imp[1].notified, 2);
	assert_false(imp[1].locked_in_notify);

	dma_buf_detach(d, st);
	for (int i = 0; i < 3; i++)
		dma_buf_detach(d, imp[i].attach);
	dma_buf_put(d);
	assert_int_equal(t.maps, t.unmaps);
	assert_int_equal(t.pins, t.unpins);
	assert_int_equal(t.releases, 1);
}

static void test_detach_with_live_mapping(void **state)
{
	struct fx *f = FX(state);
	long live = sim_alloc_live(f->m);
	struct dma_buf_attachment *st, *dy;
	struct imp imp = { 0 };
	unsigned long w0;
	struct dma_buf *d;
	struct toy t;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_dyn_ops);
	st = dma_buf_attach(d, f->nic[0]);
	dy = dma_buf_dynamic_attach(d, f->nic[0], &imp_p2p_ops, &imp);
	dma_resv_lock(d->resv, NULL);
	assert_false(IS_ERR(dma_buf_map_attachment(st, DMA_TO_DEVICE)));
	assert_false(IS_ERR(dma_buf_map_attachment(st, DMA_TO_DEVICE)));
	assert_false(IS_ERR(dma_buf_map_attachment(dy, DMA_TO_DEVICE)));
	dma_resv_unlock(d->resv);
	assert_int_equal(t.pins, 2);

	/* the importer forgot to unmap: reported, unmapped (and unpinned) */
	w0 = warns(f->m);
	dma_buf_detach(d, st);
	assert_int_equal(warns(f->m), w0 + 2);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "detached with a live mapping"));
	assert_int_equal(t.unmaps, 2);
	assert_int_equal(t.unpins, 2);
	assert_int_equal(t.unmap_unlocked, 0);
	dma_buf_detach(d, dy);
	assert_int_equal(t.unmaps, 3);
	assert_int_equal(t.detaches, 2);
	dma_buf_put(d);
	assert_int_equal(t.releases, 1);
	assert_int_equal(sim_alloc_live(f->m), live);
}

/* The last reference goes while an importer is still attached. */
static void test_release_with_attachment(void **state)
{
	struct fx *f = FX(state);
	long live = sim_alloc_live(f->m);
	struct dma_buf_attachment *at;
	struct dma_buf *d;
	struct toy t;
	int fd;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_ops);
	fd = dma_buf_fd(d, 0);
	at = dma_buf_attach(d, f->nic[0]);
	assert_false(IS_ERR(at));
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "released with 1 attachment"));
	assert_int_equal(t.detaches, 1);
	assert_int_equal(t.releases, 1);
	assert_int_equal(sim_alloc_live(f->m), live);
}

/* Buffers and fds left when the machine goes are reported and freed. */
static void test_teardown_reports_leaks(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_SMALL);
	struct dma_buf *a, *b;
	char *text = NULL;
	size_t len = 0;
	struct toy t;
	FILE *echo;

	(void)state;
	toy_init(&t, m);
	a = toy_export(&t, &toy_ops);
	b = toy_export(&t, &toy_dyn_ops);
	assert_int_equal(dma_buf_fd(a, 0), 0);
	assert_false(IS_ERR(dma_buf_attach(b, sim_device(m, "dev0"))));
	echo = open_memstream(&text, &len);
	assert_non_null(echo);
	sim_report_echo(m, echo);
	sim_machine_destroy(m);
	fclose(echo);
	assert_non_null(strstr(text, "buffer leaked at machine teardown"));
	assert_non_null(strstr(text, "[fds=1]"));
	assert_non_null(strstr(text, "[attachments=1]"));
	assert_non_null(strstr(text, "still attached"));
	/* the exporter's state may be gone by then: no op is called */
	assert_int_equal(t.releases, 0);
	assert_int_equal(t.detaches, 0);
	free(text);
}

/* ------------------------------------------------------------------------ */
/* dma_buf_phys_vec_to_sgt() on real topologies                             */
/* ------------------------------------------------------------------------ */

#define SMALL_MASK	SWEEP_IOVA_MASK	/* 64M of IOVA */

/* The table is DMA-only: no pages, no CPU lengths, orig_nents 0. */
static void check_dma_only(struct sg_table *sgt, unsigned int nents)
{
	struct scatterlist *sg;
	unsigned int i;

	assert_int_equal(sgt->orig_nents, 0);
	assert_int_equal(sgt->nents, nents);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		assert_null(sg_page(sg));
		assert_int_equal(sg->length, 0);
		assert_int_equal(sg->offset, 0);
		assert_true(sg_dma_len(sg) > 0);
	}
	assert_true(sg_is_last(sg_last(sgt->sgl, nents)));
}

static struct scatterlist *sg_at(struct sg_table *sgt, unsigned int idx)
{
	struct scatterlist *sg = sgt->sgl;

	while (idx--)
		sg = sg_next(sg);
	return sg;
}

/* The device reads what the CPU wrote to the BAR, and writes it back. */
static void check_dma_reaches_bar(struct sim_machine *m, struct device *dev,
				  dma_addr_t a, phys_addr_t bar, unsigned int seed)
{
	u8 pat[128], buf[128];

	fill_pattern(pat, sizeof(pat), seed);
	assert_int_equal(sim_mmio_write(m, bar, pat, sizeof(pat)), 0);
	assert_int_equal(sim_dma_read(dev, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	fill_pattern(pat, sizeof(pat), seed + 1);
	assert_int_equal(sim_dma_write(dev, a, pat, sizeof(pat)), 0);
	assert_int_equal(sim_mmio_read(m, bar, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
}

struct p2p_case {
	struct toy t;
	struct dma_buf *d;
	struct dma_buf_attachment *at;
	struct imp imp;
	struct sg_table *sgt;
};

static void p2p_open(struct p2p_case *c, struct fx *f, int gpu,
		     struct device *client, const u64 (*r)[2], size_t nr)
{
	memset(c, 0, sizeof(*c));
	toy_init(&c->t, f->m);
	toy_ranges(&c->t, f, gpu, r, nr);
	c->t.refuse_no_p2p = true;
	c->d = toy_export(&c->t, &toy_dyn_ops);
	assert_false(IS_ERR(c->d));
	c->at = dma_buf_dynamic_attach(c->d, client, &imp_p2p_ops, &c->imp);
	assert_false(IS_ERR(c->at));
	c->sgt = dma_buf_map_attachment_unlocked(c->at, DMA_BIDIRECTIONAL);
}

static void p2p_close(struct p2p_case *c)
{
	if (!IS_ERR_OR_NULL(c->sgt))
		dma_buf_unmap_attachment_unlocked(c->at, c->sgt,
						  DMA_BIDIRECTIONAL);
	dma_buf_detach(c->d, c->at);
	dma_buf_put(c->d);
	assert_int_equal(c->t.releases, 1);
	assert_int_equal(c->t.maps, c->t.unmaps);
}

/*
 * One export, map and unmap of @client: what is allocated once and kept
 * (the map type cache, the fd table, IOVA caches) is there afterwards, so
 * a test can take its baseline of live allocations.
 */
static void p2p_warm(struct fx *f, int gpu, struct device *client)
{
	static const u64 r[1][2] = { { 0, SZ_4K } };
	struct p2p_case c;

	p2p_open(&c, f, gpu, client, r, 1);
	p2p_close(&c);
}

/* Below a common switch: PCI bus addresses, nothing mapped. */
static void test_p2p_bus_addr(void **state)
{
	struct fx *f = FX(state);
	static const u64 r[2][2] = { { 0, SZ_64K }, { SZ_1M, 2 * SZ_4K } };
	unsigned long e0 = sim_dma_debug_entries(f->m, NULL);
	struct p2p_case c;
	phys_addr_t p;
	int prot;

	assert_int_equal(pci_p2pdma_map_type(f->prov[0], f->nic[0]),
			 PCI_P2PDMA_MAP_BUS_ADDR);
	/* the host bridge's windows sit 1G above their bus addresses */
	assert_int_equal(f->prov[0]->bus_offset, (u64)-HB0_BUS_OFFSET);

	p2p_open(&c, f, 0, f->nic[0], r, 2);
	assert_false(IS_ERR(c.sgt));
	check_dma_only(c.sgt, 2);
	assert_int_equal(sg_dma_address(sg_at(c.sgt, 0)),
			 f->bar2[0] - HB0_BUS_OFFSET);
	assert_int_equal(sg_dma_len(sg_at(c.sgt, 0)), SZ_64K);
	assert_int_equal(sg_dma_address(sg_at(c.sgt, 1)),
			 f->bar2[0] + SZ_1M - HB0_BUS_OFFSET);
	assert_int_equal(sg_dma_len(sg_at(c.sgt, 1)), 2 * SZ_4K);
	/* no IOVA, no DMA API mapping */
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), e0);
	assert_int_equal(sim_iommu_lookup(f->nic[0],
					  sg_dma_address(c.sgt->sgl), &p,
					  &prot), -ENOENT);
	/* the peer access goes across the switch, at the bus address */
	check_dma_reaches_bar(f->m, f->nic[0],
			      sg_dma_address(sg_at(c.sgt, 1)) + 0x100,
			      f->bar2[0] + SZ_1M + 0x100, 1);
	check_dma_reaches_bar(f->m, f->nic[0], sg_dma_address(c.sgt->sgl),
			      f->bar2[0], 3);
	p2p_close(&c);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
}

/* Through the root complex with an IOMMU: one IOVA range, MMIO linked. */
static void test_p2p_thru_iommu(void **state)
{
	struct fx *f = FX(state);
	static const u64 r[3][2] = {
		{ 0, SZ_64K }, { SZ_1M, SZ_4K }, { 3 * SZ_1M, 2 * SZ_4K },
	};
	struct p2p_case c;
	dma_addr_t iova;
	phys_addr_t p;
	int prot;

	assert_int_equal(pci_p2pdma_map_type(f->prov[0], f->nic[1]),
			 PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	p2p_open(&c, f, 0, f->nic[1], r, 3);
	assert_false(IS_ERR(c.sgt));
	check_dma_only(c.sgt, 1);
	iova = sg_dma_address(c.sgt->sgl);
	assert_int_equal(sg_dma_len(c.sgt->sgl), SZ_64K + 3 * SZ_4K);
	/* an IOVA, not a bus or CPU address; each range where it belongs */
	assert_int_not_equal(iova, f->bar2[0]);
	assert_int_equal(sim_iommu_lookup(f->nic[1], iova, &p, &prot), 0);
	assert_int_equal(p, f->bar2[0]);
	/* linked with DMA_ATTR_MMIO: an MMIO (uncached) translation */
	assert_true(prot & IOMMU_MMIO);
	assert_int_equal(sim_iommu_lookup(f->nic[1], iova + SZ_64K, &p, &prot), 0);
	assert_int_equal(p, f->bar2[0] + SZ_1M);
	assert_int_equal(sim_iommu_lookup(f->nic[1], iova + SZ_64K + SZ_4K + 8,
					  &p, &prot), 0);
	assert_int_equal(p, f->bar2[0] + 3 * SZ_1M + 8);
	/* linked ranges are tracked by dma-debug while they live */
	assert_true(sim_dma_debug_entries(f->m, f->nic[1]) > 0);
	check_dma_reaches_bar(f->m, f->nic[1], iova + 0x80, f->bar2[0] + 0x80, 5);
	check_dma_reaches_bar(f->m, f->nic[1], iova + SZ_64K + SZ_4K + 0x40,
			      f->bar2[0] + 3 * SZ_1M + 0x40, 7);
	p2p_close(&c);
	/* destroyed: the IOVA no longer translates, the device faults */
	assert_int_equal(sim_iommu_lookup(f->nic[1], iova, &p, &prot), -ENOENT);
	{
		u8 buf[16];

		assert_int_equal(sim_dma_read(f->nic[1], iova, buf, sizeof(buf)),
				 -EFAULT);
	}
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	f->dbg_allowed = sim_dma_debug_errors(f->m);	/* that access */
}

/* Through the root complex without an IOMMU: dma_map_phys() per range. */
static void test_p2p_thru_direct(void **state)
{
	struct fx *f = FX(state);
	static const u64 r[2][2] = { { SZ_64K, SZ_64K }, { 0, SZ_4K } };
	struct p2p_case c;

	char *trace = NULL;
	size_t tlen = 0;
	FILE *tf = open_memstream(&trace, &tlen);

	assert_int_equal(pci_p2pdma_map_type(f->prov[1], f->nic[2]),
			 PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	assert_non_null(tf);
	sim_trace_set_file(f->m, tf);
	p2p_open(&c, f, 1, f->nic[2], r, 2);
	sim_trace_set_file(f->m, NULL);
	fclose(tf);
	assert_false(IS_ERR(c.sgt));
	/* two dma_map_phys() calls, both DMA_ATTR_MMIO */
	{
		const char *p = trace;
		int n = 0;

		while ((p = strstr(p, "dma_map_phys: "))) {
			const char *eol = strchr(p, '\n');

			assert_non_null(strstr(p, "attrs=MMIO"));
			assert_true(strstr(p, "attrs=MMIO") < eol);
			p = eol;
			n++;
		}
		assert_int_equal(n, 2);
	}
	free(trace);
	check_dma_only(c.sgt, 2);
	/* dma-direct gives MMIO its CPU address; one mapping per range */
	assert_int_equal(sg_dma_address(sg_at(c.sgt, 0)), f->bar2[1] + SZ_64K);
	assert_int_equal(sg_dma_address(sg_at(c.sgt, 1)), f->bar2[1]);
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic[2]), 2);
	check_dma_reaches_bar(f->m, f->nic[2],
			      sg_dma_address(sg_at(c.sgt, 0)) + 0x200,
			      f->bar2[1] + SZ_64K + 0x200, 9);
	p2p_close(&c);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

/* A host bridge that does not forward peer-to-peer: -EINVAL. */
static void test_p2p_denied(void **state)
{
	struct fx *f = FX(state);
	static const u64 r[1][2] = { { 0, SZ_64K } };
	long live;
	struct p2p_case c;

	assert_int_equal(pci_p2pdma_map_type(f->prov[2], f->nic[3]),
			 PCI_P2PDMA_MAP_NOT_SUPPORTED);
	live = sim_alloc_live(f->m);
	p2p_open(&c, f, 2, f->nic[3], r, 1);
	assert_int_equal(PTR_ERR(c.sgt), -EINVAL);
	assert_int_equal(c.t.maps, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	p2p_close(&c);
	assert_int_equal(sim_alloc_live(f->m), live);
	/* nor is a provider of another host bridge reachable from nic3 */
	assert_int_equal(pci_p2pdma_map_type(f->prov[1], f->nic[3]),
			 PCI_P2PDMA_MAP_NOT_SUPPORTED);
}

static void test_phys_vec_invalid(void **state)
{
	struct fx *f = FX(state);
	static const u64 r[2][2] = { { 0, SZ_64K }, { SZ_1M, SZ_4K } };
	struct dma_buf_phys_vec zero = { f->bar2[0], 0 };
	long live;
	unsigned long w0;
	struct p2p_case c;
	struct sg_table *s;

	/* a small IOVA space, to check it is all free again at the end */
	assert_int_equal(dma_set_mask(f->nic[1], SMALL_MASK), 0);
	p2p_warm(f, 0, f->nic[1]);
	check_iova_space_free(f->nic[1]);
	live = sim_alloc_live(f->m);
	p2p_open(&c, f, 0, f->nic[1], r, 2);
	assert_false(IS_ERR(c.sgt));
	dma_resv_lock(c.d->resv, NULL);
	/* sizes that do not add up are the exporter's bug: reported */
	w0 = warns(f->m);
	s = dma_buf_phys_vec_to_sgt(c.at, f->prov[0], c.t.vec, 2,
				    c.t.size + SZ_4K, DMA_TO_DEVICE);
	assert_int_equal(PTR_ERR(s), -EINVAL);
	assert_int_equal(warns(f->m), w0 + 1);
	assert_int_equal(PTR_ERR(dma_buf_phys_vec_to_sgt(c.at, NULL, c.t.vec,
							 2, c.t.size,
							 DMA_TO_DEVICE)),
			 -EINVAL);
	assert_int_equal(PTR_ERR(dma_buf_phys_vec_to_sgt(c.at, f->prov[0],
							 c.t.vec, 0, 0,
							 DMA_TO_DEVICE)),
			 -EINVAL);
	assert_int_equal(PTR_ERR(dma_buf_phys_vec_to_sgt(c.at, f->prov[0],
							 &zero, 1, 0,
							 DMA_TO_DEVICE)),
			 -EINVAL);
	dma_resv_unlock(c.d->resv);

	/* the helper asserts the lock too */
	w0 = warns(f->m);
	s = dma_buf_phys_vec_to_sgt(c.at, f->prov[0], c.t.vec, 2, c.t.size,
				    DMA_TO_DEVICE);
	assert_false(IS_ERR(s));
	dma_buf_free_sgt(c.at, s, DMA_TO_DEVICE);
	assert_int_equal(warns(f->m), w0 + 2);
	p2p_close(&c);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	check_iova_space_free(f->nic[1]);
	assert_int_equal(sim_alloc_live(f->m), live);
	assert_int_equal(dma_set_mask(f->nic[1], DMA_BIT_MASK(64)), 0);
}

/*
 * A link failing in the middle (the second range is not aligned to the
 * IOMMU granule): the first link is undone and the IOVA range freed.
 */
static void test_iova_link_fails_midway(void **state)
{
	struct fx *f = FX(state);
	static const u64 r[3][2] = {
		{ 0, 2 * SZ_4K }, { SZ_64K + 0x100, SZ_4K }, { SZ_1M, SZ_4K },
	};
	struct p2p_case c;
	long live;

	assert_int_equal(dma_set_mask(f->nic[1], SMALL_MASK), 0);
	p2p_warm(f, 0, f->nic[1]);
	check_iova_space_free(f->nic[1]);
	live = sim_alloc_live(f->m);
	p2p_open(&c, f, 0, f->nic[1], r, 3);
	assert_int_equal(PTR_ERR(c.sgt), -EIO);
	/* dma_iova_link() and dma-debug both said why */
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "not granule aligned"));
	f->dbg_allowed = sim_dma_debug_errors(f->m);
	assert_int_equal(f->dbg_allowed, 1);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	p2p_close(&c);
	check_iova_space_free(f->nic[1]);
	assert_int_equal(sim_alloc_live(f->m), live);
	assert_int_equal(dma_set_mask(f->nic[1], DMA_BIT_MASK(64)), 0);
}

/*
 * dma_map_phys() failing for the second range (beyond the device's mask):
 * exactly the first range is unmapped, nothing else is touched.
 */
static void test_map_phys_fails_midway(void **state)
{
	struct fx *f = FX(state);
	struct p2p_case c;
	phys_addr_t bar0 = pci_resource_start(to_pci_dev(f->gpu[1]), 0);
	unsigned long d0 = sim_dma_debug_errors(f->m);
	long live;

	p2p_warm(f, 1, f->nic[2]);
	live = sim_alloc_live(f->m);
	assert_true(bar0 < SZ_4G);
	memset(&c, 0, sizeof(c));
	toy_init(&c.t, f->m);
	c.t.provider = f->prov[1];
	c.t.vec[0] = (struct dma_buf_phys_vec){ bar0, SZ_64K };
	c.t.vec[1] = (struct dma_buf_phys_vec){ bar0 + SZ_1M, SZ_4K };
	c.t.vec[2] = (struct dma_buf_phys_vec){ f->bar2[1], SZ_4K };
	c.t.nr = 3;
	c.t.size = SZ_64K + 2 * SZ_4K;
	c.d = toy_export(&c.t, &toy_dyn_ops);
	c.at = dma_buf_dynamic_attach(c.d, f->nic[2], &imp_p2p_ops, &c.imp);
	assert_false(IS_ERR(c.at));
	assert_int_equal(dma_set_mask(f->nic[2], DMA_BIT_MASK(32)), 0);
	c.sgt = dma_buf_map_attachment_unlocked(c.at, DMA_TO_DEVICE);
	assert_int_equal(PTR_ERR(c.sgt), -ENOMEM);
	/* the two mapped ranges were unmapped as mapped: no dma-debug error */
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(sim_dma_debug_errors(f->m), d0);
	/* with the whole mask it works */
	assert_int_equal(dma_set_mask(f->nic[2], DMA_BIT_MASK(64)), 0);
	c.sgt = dma_buf_map_attachment_unlocked(c.at, DMA_TO_DEVICE);
	assert_false(IS_ERR(c.sgt));
	check_dma_only(c.sgt, 3);
	dma_buf_unmap_attachment_unlocked(c.at, c.sgt, DMA_TO_DEVICE);
	c.sgt = NULL;
	p2p_close(&c);
	assert_int_equal(sim_dma_debug_errors(f->m), d0);
	assert_int_equal(sim_alloc_live(f->m), live);
}

/* ------------------------------------------------------------------------ */
/* Exports larger than 4 GiB                                                */
/* ------------------------------------------------------------------------ */

#define BIG	(5 * SZ_1G)

/*
 * Entries of @len bytes from @addr, cut at ALIGN_DOWN(UINT_MAX, PAGE_SIZE)
 * as mainline does, so that with page-aligned ranges every entry is page
 * aligned in address and length (a cut at UINT_MAX would not be).
 */
#define SG_CUT	((u64)ALIGN_DOWN(UINT_MAX, PAGE_SIZE))

static unsigned int check_split(struct sg_table *sgt, unsigned int idx,
				dma_addr_t addr, u64 len)
{
	assert_int_equal(SG_CUT, 0xfffff000ULL);
	while (len) {
		struct scatterlist *sg = sg_at(sgt, idx++);
		u64 l = len < SG_CUT ? len : SG_CUT;

		assert_int_equal(sg_dma_address(sg), addr);
		assert_int_equal(sg_dma_len(sg), l);
		assert_true(IS_ALIGNED(sg_dma_address(sg), PAGE_SIZE));
		assert_true(IS_ALIGNED(sg_dma_len(sg), PAGE_SIZE));
		addr += l;
		len -= l;
	}
	return idx;
}

static const u64 big_ranges[2][2] = { { 0, BIG }, { 8 * SZ_1G, SZ_64K } };

static void test_big_bus_addr(void **state)
{
	struct fx *f = FX(state);
	dma_addr_t bus = f->bar2[0] - HB0_BUS_OFFSET;
	struct p2p_case c;
	unsigned int n;

	p2p_open(&c, f, 0, f->nic[0], big_ranges, 2);
	assert_false(IS_ERR(c.sgt));
	check_dma_only(c.sgt, 3);
	n = check_split(c.sgt, 0, bus, BIG);
	assert_int_equal(n, 2);
	n = check_split(c.sgt, n, bus + 8 * SZ_1G, SZ_64K);
	assert_int_equal(n, 3);
	/* the device reaches bytes beyond 4G into the range, and across the cut */
	check_dma_reaches_bar(f->m, f->nic[0], bus + BIG - 0x80,
			      f->bar2[0] + BIG - 0x80, 11);
	check_dma_reaches_bar(f->m, f->nic[0], bus + SG_CUT - 0x40,
			      f->bar2[0] + SG_CUT - 0x40, 13);
	p2p_close(&c);
}

static void test_big_thru_iommu(void **state)
{
	struct fx *f = FX(state);
	struct p2p_case c;
	dma_addr_t iova;
	phys_addr_t p;
	int prot;

	p2p_open(&c, f, 0, f->nic[1], big_ranges, 2);
	assert_false(IS_ERR(c.sgt));
	/* one IOVA range of 5G + 64K, cut in two */
	check_dma_only(c.sgt, 2);
	iova = sg_dma_address(c.sgt->sgl);
	assert_int_equal(check_split(c.sgt, 0, iova, BIG + SZ_64K), 2);
	assert_int_equal(sim_iommu_lookup(f->nic[1], iova + BIG + 0x10, &p,
					  &prot), 0);
	assert_int_equal(p, f->bar2[0] + 8 * SZ_1G + 0x10);
	check_dma_reaches_bar(f->m, f->nic[1], iova + BIG - 0x80,
			      f->bar2[0] + BIG - 0x80, 15);
	check_dma_reaches_bar(f->m, f->nic[1], iova + BIG + 0x100,
			      f->bar2[0] + 8 * SZ_1G + 0x100, 17);
	check_dma_reaches_bar(f->m, f->nic[1], iova + SG_CUT - 0x10,
			      f->bar2[0] + SG_CUT - 0x10, 19);
	p2p_close(&c);
	assert_int_equal(sim_iommu_lookup(f->nic[1], iova, &p, &prot), -ENOENT);
	assert_int_equal(sim_iommu_lookup(f->nic[1], iova + BIG, &p, &prot),
			 -ENOENT);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_big_thru_direct(void **state)
{
	struct fx *f = FX(state);
	struct p2p_case c;
	unsigned int n;

	p2p_open(&c, f, 1, f->nic[2], big_ranges, 2);
	assert_false(IS_ERR(c.sgt));
	check_dma_only(c.sgt, 3);
	n = check_split(c.sgt, 0, f->bar2[1], BIG);
	n = check_split(c.sgt, n, f->bar2[1] + 8 * SZ_1G, SZ_64K);
	assert_int_equal(n, 3);
	/* one dma-debug entry per range, of the range's full length */
	assert_int_equal(sim_dma_debug_entries(f->m, f->nic[2]), 2);
	check_dma_reaches_bar(f->m, f->nic[2], f->bar2[1] + BIG - 0x80,
			      f->bar2[1] + BIG - 0x80, 21);
	p2p_close(&c);
	/* unmapped range by range, as mapped: dma-debug saw no size mismatch */
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(sim_dma_debug_errors(f->m), 0);
}

/* ------------------------------------------------------------------------ */
/* Fault injection over the whole lifecycle                                 */
/* ------------------------------------------------------------------------ */

enum scn_step { SCN_EXPORT, SCN_FD, SCN_ATTACH, SCN_MAP, SCN_REMAP, SCN_DONE };

/*
 * export -> fd -> get -> dynamic attach -> map + DMA -> move_notify (the
 * importer unmaps) -> map again -> unmap -> detach -> put -> close. On a
 * failure, everything done so far is undone; returns the step that failed.
 */
static enum scn_step run_scenario(struct fx *f, int gpu, struct device *dev,
				  const u64 (*r)[2], size_t nr)
{
	enum scn_step res = SCN_DONE;
	struct dma_buf_attachment *at;
	struct dma_buf *d, *g;
	struct imp imp = { .dir = DMA_BIDIRECTIONAL };
	u8 pat[64], buf[64];
	struct toy t;
	int fd;

	toy_init(&t, f->m);
	toy_ranges(&t, f, gpu, r, nr);
	fill_pattern(pat, sizeof(pat), 40);
	assert_int_equal(sim_mmio_write(f->m, f->bar2[gpu] + r[0][0], pat,
					sizeof(pat)), 0);

	d = toy_export(&t, &toy_dyn_ops);
	if (IS_ERR(d)) {
		assert_int_equal(PTR_ERR(d), -ENOMEM);
		return SCN_EXPORT;
	}
	fd = dma_buf_fd(d, O_CLOEXEC);
	if (fd < 0) {
		assert_int_equal(fd, -ENOMEM);
		dma_buf_put(d);
		assert_int_equal(t.releases, 1);
		return SCN_FD;
	}
	g = sim_dma_buf_get(f->m, fd);
	assert_ptr_equal(g, d);
	at = dma_buf_dynamic_attach(g, dev, &imp_p2p_ops, &imp);
	if (IS_ERR(at)) {
		assert_int_equal(PTR_ERR(at), -ENOMEM);
		res = SCN_ATTACH;
		goto put;
	}
	imp.attach = at;

	dma_resv_lock(g->resv, NULL);
	imp.sgt = dma_buf_map_attachment(at, DMA_BIDIRECTIONAL);
	if (IS_ERR(imp.sgt)) {
		assert_int_equal(PTR_ERR(imp.sgt), -ENOMEM);
		imp.sgt = NULL;
		res = SCN_MAP;
		goto unlock;
	}
	assert_int_equal(sim_dma_read(dev, sg_dma_address(imp.sgt->sgl), buf,
				      sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	dma_buf_move_notify(g);
	assert_null(imp.sgt);
	imp.sgt = dma_buf_map_attachment(at, DMA_BIDIRECTIONAL);
	if (IS_ERR(imp.sgt)) {
		assert_int_equal(PTR_ERR(imp.sgt), -ENOMEM);
		imp.sgt = NULL;
		res = SCN_REMAP;
		goto unlock;
	}
	dma_buf_unmap_attachment(at, imp.sgt, DMA_BIDIRECTIONAL);
unlock:
	dma_resv_unlock(g->resv);
	dma_buf_detach(g, at);
put:
	dma_buf_put(g);
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	assert_int_equal(t.releases, 1);
	assert_int_equal(t.maps, t.unmaps);
	assert_int_equal(t.attaches, t.detaches);
	return res;
}

struct dmabuf_scn {
	struct fx *f;
	int gpu;
	const u64 (*r)[2];
	size_t nr;
};

static int dmabuf_step(struct failnth_steps *w)
{
	const struct dmabuf_scn *d = w->arg;

	return (int)run_scenario(d->f, d->gpu, w->dev, d->r, d->nr);
}

/* The warm-up makes the map type cache, fd table, root table, IOVA caches. */
static void sweep(struct fx *f, int gpu, struct device *dev,
		  const u64 (*r)[2], size_t nr, bool iova)
{
	struct dmabuf_scn d = { .f = f, .gpu = gpu, .r = r, .nr = nr };
	struct failnth_steps w = {
		.m = f->m, .dev = dev, .iova = iova, .step = dmabuf_step,
		.done = SCN_DONE, .arg = &d,
	};

	failnth_steps_sweep(&w);
	/* every step that allocates was failed at least once */
	assert_true(w.results[SCN_EXPORT] > 0);
	assert_true(w.results[SCN_ATTACH] > 0);
	assert_true(w.results[SCN_MAP] > 0);
	assert_true(w.results[SCN_REMAP] > 0);
	assert_int_equal(sim_dma_debug_errors(f->m), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
}

static void test_failnth_lifecycle(void **state)
{
	struct fx *f = FX(state);
	static const u64 r[3][2] = {
		{ 0, 2 * SZ_4K }, { SZ_1M, SZ_64K }, { 3 * SZ_1M, SZ_4K },
	};

	sweep(f, 0, f->nic[1], r, 3, true);	/* one IOVA range */
	sweep(f, 1, f->nic[2], r, 3, false);	/* dma_map_phys per range */
	sweep(f, 0, f->nic[0], r, 3, false);	/* bus addresses */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/* ------------------------------------------------------------------------ */
/* Importers mapping and DMAing while the exporter moves the buffer         */
/* ------------------------------------------------------------------------ */

#define STRESS_IMPORTERS	4
#define STRESS_ROUNDS		300

struct stress {
	struct fx *f;
	struct dma_buf *d;
	u8 pat[256];
	int stop;			/* __atomic */
	int notifies;
};

struct stress_imp {
	struct stress *s;
	struct imp imp;
	struct device *dev;
	int maps, reads;
};

static void *importer_thread(void *arg)
{
	struct stress_imp *si = arg;
	struct dma_buf *d = si->s->d;
	struct imp *imp = &si->imp;
	u8 buf[256];

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		dma_resv_lock(d->resv, NULL);
		if (!imp->sgt) {
			imp->sgt = dma_buf_map_attachment(imp->attach,
							  DMA_BIDIRECTIONAL);
			assert_false(IS_ERR(imp->sgt));
			si->maps++;
		}
		/* DMA only while holding the lock: a move may unmap it */
		assert_int_equal(sim_dma_read(si->dev,
					      sg_dma_address(imp->sgt->sgl),
					      buf, sizeof(buf)), 0);
		assert_memory_equal(buf, si->s->pat, sizeof(buf));
		si->reads++;
		if (i % 3 == 2) {
			dma_buf_unmap_attachment(imp->attach, imp->sgt,
						 DMA_BIDIRECTIONAL);
			imp->sgt = NULL;
		}
		dma_resv_unlock(d->resv);
		if (i % 5 == 0) {
			/* the _unlocked variants, mapping a second table */
			struct sg_table *s2;

			s2 = dma_buf_map_attachment_unlocked(imp->attach,
							     DMA_TO_DEVICE);
			assert_false(IS_ERR(s2));
			dma_buf_unmap_attachment_unlocked(imp->attach, s2,
							  DMA_TO_DEVICE);
		}
	}
	return NULL;
}

static void *exporter_thread(void *arg)
{
	struct stress *s = arg;

	/* at least once, however the threads are scheduled */
	do {
		dma_resv_lock(s->d->resv, NULL);
		dma_buf_move_notify(s->d);
		s->notifies++;
		dma_resv_unlock(s->d->resv);
		sched_yield();
	} while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE));
	return NULL;
}

static void test_stress_move_notify(void **state)
{
	struct fx *f = FX(state);
	static const u64 r[2][2] = { { 0, SZ_64K }, { SZ_1M, SZ_64K } };
	struct stress_imp si[STRESS_IMPORTERS];
	pthread_t it[STRESS_IMPORTERS], et;
	struct stress s = { .f = f };
	struct toy t;
	int notified = 0;

	toy_init(&t, f->m);
	toy_ranges(&t, f, 0, r, 2);
	fill_pattern(s.pat, sizeof(s.pat), 50);
	assert_int_equal(sim_mmio_write(f->m, f->bar2[0], s.pat,
					sizeof(s.pat)), 0);
	s.d = toy_export(&t, &toy_dyn_ops);
	assert_false(IS_ERR(s.d));
	for (int i = 0; i < STRESS_IMPORTERS; i++) {
		memset(&si[i], 0, sizeof(si[i]));
		si[i].s = &s;
		/* through the IOMMU and below the switch */
		si[i].dev = f->nic[i % 2 ? 0 : 1];
		si[i].imp.id = i;
		si[i].imp.dir = DMA_BIDIRECTIONAL;
		si[i].imp.attach = dma_buf_dynamic_attach(s.d, si[i].dev,
							  &imp_p2p_ops,
							  &si[i].imp);
		assert_false(IS_ERR(si[i].imp.attach));
	}
	assert_int_equal(pthread_create(&et, NULL, exporter_thread, &s), 0);
	for (int i = 0; i < STRESS_IMPORTERS; i++)
		assert_int_equal(pthread_create(&it[i], NULL, importer_thread,
						&si[i]), 0);
	for (int i = 0; i < STRESS_IMPORTERS; i++)
		pthread_join(it[i], NULL);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(et, NULL);

	dma_resv_lock(s.d->resv, NULL);
	for (int i = 0; i < STRESS_IMPORTERS; i++) {
		if (si[i].imp.sgt)
			dma_buf_unmap_attachment(si[i].imp.attach,
						 si[i].imp.sgt,
						 DMA_BIDIRECTIONAL);
		notified += si[i].imp.notified;
		assert_int_equal(si[i].reads, STRESS_ROUNDS);
	}
	dma_resv_unlock(s.d->resv);
	for (int i = 0; i < STRESS_IMPORTERS; i++)
		dma_buf_detach(s.d, si[i].imp.attach);
	dma_buf_put(s.d);
	assert_true(s.notifies > 0);
	assert_int_equal(notified, s.notifies * STRESS_IMPORTERS);
	assert_int_equal(t.maps, t.unmaps);
	assert_int_equal(t.map_unlocked + t.unmap_unlocked, 0);
	assert_int_equal(t.releases, 1);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_IOMMU_FAULT), 0);
}

/* Concurrent get/close of fds and put of buffers. */
struct fd_stress {
	struct sim_machine *m;
	int fd;
	int gets;
};

static void *fd_getter(void *arg)
{
	struct fd_stress *fs = arg;

	for (int i = 0; i < 2000; i++) {
		struct dma_buf *d = sim_dma_buf_get(fs->m, fs->fd);

		if (IS_ERR(d)) {
			assert_int_equal(PTR_ERR(d), -EBADF);
			break;
		}
		fs->gets++;
		get_dma_buf(d);
		dma_buf_put(d);
		dma_buf_put(d);
	}
	return NULL;
}

static void test_stress_fds(void **state)
{
	struct fx *f = FX(state);
	struct fd_stress fs[4];
	pthread_t th[4];
	struct toy t;
	struct dma_buf *d;
	int fd;

	toy_init(&t, f->m);
	d = toy_export(&t, &toy_ops);
	fd = dma_buf_fd(d, 0);
	assert_true(fd >= 0);
	for (int i = 0; i < 4; i++) {
		fs[i] = (struct fd_stress){ .m = f->m, .fd = fd };
		assert_int_equal(pthread_create(&th[i], NULL, fd_getter,
						&fs[i]), 0);
	}
	sched_yield();
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(LOAD(t.releases), 1);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
}

/* ------------------------------------------------------------------------ */

#define T(fn)	cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_export_validation),
		T(test_export_shared_resv),
		T(test_cpu_access_and_vmap),
		T(test_fd_lifecycle),
		T(test_fd_enomem),
		T(test_put_while_fd_holds),
		T(test_put_after_release),
		T(test_static_attach),
		T(test_static_attach_pins),
		T(test_dynamic_attach_peer2peer),
		T(test_exporter_refuses_attach),
		T(test_map_lock_rules),
		T(test_move_notify),
		T(test_detach_with_live_mapping),
		T(test_release_with_attachment),
		cmocka_unit_test(test_teardown_reports_leaks),
		T(test_p2p_bus_addr),
		T(test_p2p_thru_iommu),
		T(test_p2p_thru_direct),
		T(test_p2p_denied),
		T(test_phys_vec_invalid),
		T(test_iova_link_fails_midway),
		T(test_map_phys_fails_midway),
		T(test_big_bus_addr),
		T(test_big_thru_iommu),
		T(test_big_thru_direct),
		T(test_failnth_lifecycle),
		T(test_stress_move_notify),
		T(test_stress_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
