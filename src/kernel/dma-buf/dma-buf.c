// SPDX-License-Identifier: MIT
/*
 * dma-buf (drivers/dma-buf/dma-buf.c): buffer sharing between an exporter
 * and importers, with the semantics of the kernel after sg_table caching
 * was dropped (6.15) and with move_notify always available:
 *
 *  - every dma_buf_map_attachment() calls the exporter (nothing is
 *    cached), under the reservation lock, asserted;
 *  - a static attachment (no importer_ops) of a dynamic exporter (one with
 *    a pin op) pins the buffer for as long as each of its mappings lives
 *    (the kernel's dma_buf_pin_on_map()); dynamic importers are not pinned
 *    and get move_notify instead;
 *  - attachments go on the buffer's list at the head (list_add()), so
 *    dma_buf_move_notify() calls the newest attachment first.
 *
 * What the process's file table does in the kernel, the machine does here:
 * dma_buf_fd() puts the buffer in the machine's fd table (the fd holds the
 * caller's reference), sim_dma_buf_get() is dma_buf_get(), sim_fd_close()
 * is close(2). Buffers still alive when the machine goes are reported.
 *
 * On top of the kernel, the framework remembers each attachment's live
 * mappings, so that unmapping a table that was never mapped and detaching
 * with mappings left are reported (and the latter cleaned up) instead of
 * corrupting the exporter.
 *
 * The framework knows how many of a buffer's references its fds hold: a
 * dma_buf_put() that would take one of theirs (one put too many while an
 * fd still holds the buffer) is reported and refused, rather than freeing
 * the buffer under the fd table. A released buffer is kept as a tombstone
 * (its count zero, its exporter's state gone) for the last
 * DMABUF_TOMBSTONES releases of the machine, so that a put or get after
 * the last reference is reported and refused by reading the tombstone,
 * not freed memory. An older tombstone's memory is never given back
 * either: a later export reuses it, so that a stale pointer always points
 * at a buffer object (a put that late lands on the buffer that reuses it,
 * as the kernel's use after free would, but reads nothing freed).
 *
 * Locking: the machine's dma-buf state (fd table, live buffers,
 * tombstones) is under sim_dmabuf_state.lock, a leaf lock. A buffer's attachment list and each
 * attachment's mappings are under the buffer's reservation lock. The
 * reference count is atomic; the last reference releases the buffer.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <dmastack/linux/dma-fence.h>
#include "internal.h"

/* Largest fd the machine's table hands out, plus one. */
#define DMABUF_MAX_FDS		65536U
/* Released buffers kept as tombstones (per machine). */
#define DMABUF_TOMBSTONES	1024U

/* One live mapping of an attachment. */
struct dmabuf_mapping {
	struct sg_table *sgt;
	enum dma_data_direction dir;
};

struct dmabuf_attach_obj {
	struct dma_buf_attachment attach;
	/* the buffer's attachment list, newest first; under the resv lock */
	struct dmabuf_attach_obj *prev, *next;
	/* live mappings made by dma_buf_map_attachment(); under the resv lock */
	struct dmabuf_mapping *maps;
	unsigned int nr_maps, cap_maps;
};

struct dmabuf_obj {
	struct dma_buf buf;
	struct file file;		/* buf.file: its references are the buffer's */
	struct dma_resv own_resv;	/* used unless the exporter gave one */
	long refs;			/* __atomic */
	/* fds holding a reference; changed under sim_dmabuf_state.lock */
	unsigned int nr_fds;		/* __atomic */
	unsigned long ino;		/* serial number within the machine */
	/* the machine's live buffers; under sim_dmabuf_state.lock */
	struct dmabuf_obj *prev, *next;
	/* under buf.resv */
	struct dmabuf_attach_obj *attachments;
	unsigned int nr_attachments;
};

/* The machine's dma-buf state (sim_machine.dmabuf). */
struct sim_dmabuf_state {
	pthread_mutex_t lock;
	struct dma_buf **fds;		/* fd -> buffer, NULL when free */
	unsigned int cap_fds;
	struct dmabuf_obj *live;	/* every buffer not yet released */
	unsigned long nr_live;
	unsigned long next_ino;
	/* released buffers, oldest first (linked by prev/next) */
	struct dmabuf_obj *tomb_head, *tomb_tail;
	unsigned int nr_tombs;
	struct dmabuf_obj *spare;	/* old tombstones, for export to reuse */
};

static inline struct dmabuf_obj *to_obj(struct dma_buf *dmabuf)
{
	return container_of(dmabuf, struct dmabuf_obj, buf);
}

static inline struct dmabuf_attach_obj *
to_attach_obj(struct dma_buf_attachment *attach)
{
	return container_of(attach, struct dmabuf_attach_obj, attach);
}

static inline const char *exp_name(struct dma_buf *dmabuf)
{
	return dmabuf->exp_name ? dmabuf->exp_name : "?";
}

/*
 * The machine's state, created on first use. It is machine infrastructure
 * (as the report log), so plain calloc: it lives until the machine goes and
 * is not one of the allocations a fail-Nth sweep counts.
 */
static struct sim_dmabuf_state *dmabuf_state(struct sim_machine *m,
					     bool create)
{
	struct sim_dmabuf_state *s, *cur = NULL;

	s = __atomic_load_n(&m->kernel->dmabuf, __ATOMIC_ACQUIRE);
	if (s || !create)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	if (!__atomic_compare_exchange_n(&m->kernel->dmabuf, &cur, s, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* another thread made it first */
		pthread_mutex_destroy(&s->lock);
		free(s);
		return cur;
	}
	return s;
}

/* ------------------------------------------------------------------------ */
/* Export and references                                                    */
/* ------------------------------------------------------------------------ */

/*
 * A buffer object: an old tombstone's memory if there is one (counted as
 * the machine's again), else a new one. Either is an allocation that
 * fault injection may fail.
 */
static struct dmabuf_obj *dmabuf_obj_alloc(struct sim_machine *m,
					   struct sim_dmabuf_state *s)
{
	struct dmabuf_obj *obj;

	pthread_mutex_lock(&s->lock);
	obj = s->spare;
	if (obj && sim_should_fail_alloc(m)) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	if (obj)
		s->spare = obj->next;
	pthread_mutex_unlock(&s->lock);
	if (!obj)
		return sim_kzalloc(m, sizeof(*obj));
	memset(obj, 0, sizeof(*obj));
	sim_alloc_live_add(m, 1);
	return obj;
}

/**
 * dma_buf_export - create a dma-buf for an exporter's buffer
 * @exp_info: what to export; the machine is @exp_info->sim if set, else
 *	the calling thread's current machine (as an exporter in the kernel
 *	runs on it)
 *
 * The exporter keeps ownership of @exp_info->priv until its release op is
 * called, which happens once, when the last reference goes. The new
 * buffer holds one reference, the caller's (give it to dma_buf_fd() or
 * drop it with dma_buf_put()). Without @exp_info->resv the buffer has its
 * own reservation object; a shared one gets its @sim filled if unset.
 *
 * Returns the buffer, ERR_PTR(-EINVAL) for an invalid @exp_info (reported
 * as a warning when the machine is known: ops with map_dma_buf,
 * unmap_dma_buf and release, both or neither of pin/unpin, a priv, a
 * non-zero size) or ERR_PTR(-ENOMEM); nothing is left allocated on error.
 */
struct dma_buf *dma_buf_export(const struct dma_buf_export_info *exp_info)
{
	const struct dma_buf_ops *ops = exp_info ? exp_info->ops : NULL;
	struct sim_machine *m = !exp_info ? NULL :
				exp_info->sim ? exp_info->sim :
				sim_current_machine();
	struct sim_machine *none = NULL;
	struct sim_dmabuf_state *s;
	struct dmabuf_obj *obj;

	if (!m)
		return ERR_PTR(-EINVAL);
	if (!ops || !ops->map_dma_buf || !ops->unmap_dma_buf ||
	    !ops->release || !exp_info->priv) {
		SIM_WARN(m, NULL,
			 "dma_buf_export: %s: ops with map_dma_buf, unmap_dma_buf and release and a priv are required",
			 exp_info->exp_name ? exp_info->exp_name : "?");
		return ERR_PTR(-EINVAL);
	}
	if (!ops->pin != !ops->unpin) {
		SIM_WARN(m, NULL, "dma_buf_export: %s: pin without unpin or unpin without pin",
			 exp_info->exp_name ? exp_info->exp_name : "?");
		return ERR_PTR(-EINVAL);
	}
	if (!exp_info->size) {
		SIM_WARN(m, NULL, "dma_buf_export: %s: zero size",
			 exp_info->exp_name ? exp_info->exp_name : "?");
		return ERR_PTR(-EINVAL);
	}

	s = dmabuf_state(m, true);
	if (!s)
		return ERR_PTR(-ENOMEM);
	obj = dmabuf_obj_alloc(m, s);
	if (!obj)
		return ERR_PTR(-ENOMEM);

	obj->buf.size = exp_info->size;
	obj->buf.ops = ops;
	obj->buf.priv = exp_info->priv;
	obj->buf.exp_name = exp_info->exp_name;
	obj->buf.sim = m;
	obj->buf.sim_priv = obj;
	obj->file.private_data = &obj->buf;
	obj->file.f_mode = FMODE_READ | FMODE_WRITE;
	obj->file.f_flags = (unsigned int)exp_info->flags;
	obj->buf.file = &obj->file;
	if (exp_info->resv) {
		obj->buf.resv = exp_info->resv;
		/* reports about a shared object go to this machine if unset */
		__atomic_compare_exchange_n(&exp_info->resv->sim, &none, m,
					    false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
	} else {
		dma_resv_init(&obj->own_resv);
		obj->own_resv.sim = m;
		obj->buf.resv = &obj->own_resv;
	}
	__atomic_store_n(&obj->refs, 1L, __ATOMIC_RELAXED);

	pthread_mutex_lock(&s->lock);
	obj->ino = ++s->next_ino;
	obj->next = s->live;
	if (s->live)
		s->live->prev = obj;
	s->live = obj;
	s->nr_live++;
	pthread_mutex_unlock(&s->lock);
	return &obj->buf;
}

/**
 * get_dma_buf - take a reference on @dmabuf
 *
 * The caller must already hold one (its own, or an fd's under the table
 * lock): a buffer whose count reached zero is gone.
 */
void get_dma_buf(struct dma_buf *dmabuf)
{
	struct dmabuf_obj *obj = to_obj(dmabuf);
	long old = __atomic_load_n(&obj->refs, __ATOMIC_RELAXED);

	do {
		/* a tombstone: the count stays zero */
		if (old <= 0) {
			SIM_BUG(dmabuf->sim, NULL,
				"get_dma_buf: %s: buffer %lu: reference taken on a released buffer (refused)",
				exp_name(dmabuf), obj->ino);
			return;
		}
	} while (!__atomic_compare_exchange_n(&obj->refs, &old, old + 1, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

/**
 * get_file - take a reference on @f, a dma-buf's file
 * @f: dmabuf->file
 *
 * Return: @f. Other files do not exist here.
 */
struct file *get_file(struct file *f)
{
	if (f)
		get_dma_buf(f->private_data);
	return f;
}

/* fput - drop a reference on a dma-buf's file (dma_buf_put()) */
void fput(struct file *f)
{
	if (f)
		dma_buf_put(f->private_data);
}

static void dmabuf_force_detach(struct dmabuf_obj *obj,
				struct dmabuf_attach_obj *a);

/*
 * Keep @obj (released: count zero, exporter's state gone) as a tombstone;
 * the oldest goes for good when there are too many. What a late put or
 * get reads is the tombstone's count and name, never freed memory.
 */
static void dmabuf_bury(struct sim_machine *m, struct sim_dmabuf_state *s,
			struct dmabuf_obj *obj)
{
	struct dmabuf_obj *old = NULL;

	obj->buf.priv = NULL;
	/* machine infrastructure from now on, as the fd table */
	sim_kdisown(m, obj);
	pthread_mutex_lock(&s->lock);
	obj->prev = s->tomb_tail;
	obj->next = NULL;
	if (s->tomb_tail)
		s->tomb_tail->next = obj;
	else
		s->tomb_head = obj;
	s->tomb_tail = obj;
	if (++s->nr_tombs > DMABUF_TOMBSTONES) {
		/* the oldest waits for an export to reuse it */
		old = s->tomb_head;
		s->tomb_head = old->next;
		s->tomb_head->prev = NULL;
		s->nr_tombs--;
		old->next = s->spare;
		s->spare = old;
	}
	pthread_mutex_unlock(&s->lock);
}

/* The last reference went: detach leftovers, exporter's release, bury. */
static void dmabuf_release(struct dmabuf_obj *obj)
{
	struct dma_buf *dmabuf = &obj->buf;
	struct sim_machine *m = dmabuf->sim;
	struct sim_dmabuf_state *s = dmabuf_state(m, false);

	pthread_mutex_lock(&s->lock);
	if (obj->prev)
		obj->prev->next = obj->next;
	else
		s->live = obj->next;
	if (obj->next)
		obj->next->prev = obj->prev;
	obj->prev = obj->next = NULL;
	s->nr_live--;
	pthread_mutex_unlock(&s->lock);

	/*
	 * Importers hold a reference while attached; an attachment left here
	 * is an importer bug (the kernel WARNs on the non-empty list). Detach
	 * it for them while the exporter's state is still valid.
	 */
	if (obj->attachments) {
		SIM_WARN(m, NULL,
			 "dma_buf_release: %s: buffer %lu released with %u attachment(s) still attached",
			 exp_name(dmabuf), obj->ino, obj->nr_attachments);
		while (obj->attachments)
			dmabuf_force_detach(obj, obj->attachments);
	}
	dmabuf->ops->release(dmabuf);
	if (dmabuf->resv == &obj->own_resv)
		dma_resv_fini(&obj->own_resv);
	dmabuf_bury(m, s, obj);
}

/**
 * dma_buf_put - drop a reference; the last one releases the buffer
 *
 * The exporter's release op runs in the caller's context, without locks
 * held by the framework. Refused with a BUG report: a put that would
 * take a reference an fd holds (the count may not drop below the number
 * of the machine's fds that hold the buffer: the caller has no reference
 * of its own to drop), and a put on a released buffer (its tombstone).
 */
void dma_buf_put(struct dma_buf *dmabuf)
{
	struct dmabuf_obj *obj;
	unsigned int fds;
	long old;

	if (!dmabuf)
		return;
	obj = to_obj(dmabuf);
	old = __atomic_load_n(&obj->refs, __ATOMIC_RELAXED);
	do {
		if (old <= 0) {
			SIM_BUG(dmabuf->sim, NULL,
				"dma_buf_put: %s: buffer %lu: reference count underflow: put after the last reference (the buffer was released; refused)",
				exp_name(dmabuf), obj->ino);
			return;
		}
		/* an fd's reference goes only with the fd (sim_fd_close()) */
		fds = __atomic_load_n(&obj->nr_fds, __ATOMIC_ACQUIRE);
		if (old - 1 < (long)fds) {
			SIM_BUG(dmabuf->sim, NULL,
				"dma_buf_put: %s: buffer %lu: one put too many: its %ld reference(s) are held by %u open fd(s); refused, the buffer stays",
				exp_name(dmabuf), obj->ino, old, fds);
			return;
		}
	} while (!__atomic_compare_exchange_n(&obj->refs, &old, old - 1, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	if (old == 1)
		dmabuf_release(obj);
}

/* ------------------------------------------------------------------------ */
/* The machine's fd table                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Grow the table to hold at least one more fd. Plain realloc behind the
 * fault-injection hook: the table persists until the machine goes (it
 * never shrinks), so it is not a per-buffer allocation.
 */
static int fd_table_grow(struct sim_machine *m, struct sim_dmabuf_state *s)
{
	unsigned int cap = s->cap_fds ? s->cap_fds * 2 : 16;
	struct dma_buf **fds;

	if (s->cap_fds >= DMABUF_MAX_FDS)
		return -EMFILE;
	if (cap > DMABUF_MAX_FDS)
		cap = DMABUF_MAX_FDS;
	if (sim_should_fail_alloc(m))
		return -ENOMEM;
	fds = realloc(s->fds, cap * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	memset(fds + s->cap_fds, 0, (cap - s->cap_fds) * sizeof(*fds));
	s->fds = fds;
	s->cap_fds = cap;
	return 0;
}

/**
 * dma_buf_fd - give @dmabuf an fd in its machine's table
 * @dmabuf: the buffer; the caller's reference goes to the fd on success
 * @flags: O_CLOEXEC and friends; there is no exec, they are accepted
 *
 * Returns the lowest free fd (>= 0), -EINVAL without a buffer, -ENOMEM or
 * -EMFILE; on error the caller keeps its reference. Takes the machine's
 * dma-buf lock.
 */
int dma_buf_fd(struct dma_buf *dmabuf, int flags)
{
	struct sim_dmabuf_state *s;
	unsigned int fd;
	int ret;

	(void)flags;
	if (!dmabuf || !dmabuf->sim)
		return -EINVAL;
	s = dmabuf_state(dmabuf->sim, false);
	if (!s)
		return -EINVAL;

	pthread_mutex_lock(&s->lock);
	for (fd = 0; fd < s->cap_fds; fd++)
		if (!s->fds[fd])
			break;
	if (fd == s->cap_fds) {
		ret = fd_table_grow(dmabuf->sim, s);
		if (ret) {
			pthread_mutex_unlock(&s->lock);
			return ret;
		}
	}
	s->fds[fd] = dmabuf;
	__atomic_add_fetch(&to_obj(dmabuf)->nr_fds, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->lock);
	return (int)fd;
}

/**
 * sim_dma_buf_get - dma_buf_get(): a new reference to the buffer behind @fd
 *
 * The reference is taken under the machine's dma-buf lock, so a concurrent
 * close of @fd cannot release the buffer under the caller. Returns the
 * buffer (drop it with dma_buf_put()), ERR_PTR(-EBADF) for a negative,
 * unknown or closed fd, ERR_PTR(-EINVAL) without a machine.
 */
struct dma_buf *sim_dma_buf_get(struct sim_machine *m, int fd)
{
	struct sim_dmabuf_state *s;
	struct dma_buf *dmabuf = NULL;

	if (!m)
		return ERR_PTR(-EINVAL);
	s = dmabuf_state(m, false);
	if (fd < 0 || !s)
		return ERR_PTR(-EBADF);
	pthread_mutex_lock(&s->lock);
	if ((unsigned int)fd < s->cap_fds)
		dmabuf = s->fds[fd];
	if (dmabuf)
		get_dma_buf(dmabuf);
	pthread_mutex_unlock(&s->lock);
	return dmabuf ? dmabuf : ERR_PTR(-EBADF);
}

/**
 * dma_buf_get - the buffer behind @fd in the current machine's fd table
 * @fd: a dma-buf fd (dma_buf_fd())
 *
 * The kernel's, on the calling thread's current machine (whose fd table
 * plays the process's); sim_dma_buf_get() names the machine instead.
 *
 * Return: a new reference, or ERR_PTR(-EBADF) (no such fd, no current
 * machine).
 */
struct dma_buf *dma_buf_get(int fd)
{
	struct sim_machine *m = sim_current_machine();

	return m ? sim_dma_buf_get(m, fd) : ERR_PTR(-EBADF);
}

/**
 * sim_fd_close - close(2) of a dma-buf fd: its reference goes
 *
 * Returns 0, -EBADF for a negative, unknown or already closed fd, or
 * -EINVAL without a machine. May release the buffer (outside the lock).
 */
int sim_fd_close(struct sim_machine *m, int fd)
{
	struct sim_dmabuf_state *s;
	struct dma_buf *dmabuf = NULL;

	if (!m)
		return -EINVAL;
	s = dmabuf_state(m, false);
	if (fd < 0 || !s)
		return -EBADF;
	pthread_mutex_lock(&s->lock);
	if ((unsigned int)fd < s->cap_fds) {
		dmabuf = s->fds[fd];
		s->fds[fd] = NULL;
	}
	/* the fd's reference is the caller's now, and goes */
	if (dmabuf)
		__atomic_sub_fetch(&to_obj(dmabuf)->nr_fds, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->lock);
	if (!dmabuf)
		return -EBADF;
	dma_buf_put(dmabuf);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Attachments                                                              */
/* ------------------------------------------------------------------------ */

/**
 * dma_buf_is_dynamic - does the exporter support dynamic mappings?
 *
 * As the kernel: an exporter is dynamic when it has a pin op (it can move
 * the buffer and tells importers with dma_buf_move_notify()).
 */
bool dma_buf_is_dynamic(struct dma_buf *dmabuf)
{
	return dmabuf->ops->pin != NULL;
}

/**
 * dma_buf_attachment_is_dynamic - did the importer give importer_ops?
 */
bool dma_buf_attachment_is_dynamic(struct dma_buf_attachment *attach)
{
	return attach->importer_ops != NULL;
}

/* A static importer of a dynamic exporter: pinned while mapped. */
static inline bool dma_buf_pin_on_map(struct dma_buf_attachment *attach)
{
	return attach->dmabuf->ops->pin &&
	       !dma_buf_attachment_is_dynamic(attach);
}

/**
 * dma_buf_dynamic_attach - attach @dev to @dmabuf
 * @dmabuf: the buffer; the importer holds a reference for as long as it is
 *          attached (the attachment takes none)
 * @dev: the importing device, of the buffer's machine
 * @importer_ops: NULL for a static importer; else move_notify is required,
 *                and allow_peer2peer becomes @attach->peer2peer
 * @importer_priv: the importer's, stored in the attachment
 *
 * The exporter's attach op runs without locks and may refuse (e.g.
 * -EOPNOTSUPP for an importer that cannot take peer-to-peer addresses);
 * its error comes back as an ERR_PTR and nothing is left behind. The new
 * attachment goes on the buffer's list under the reservation lock, at the
 * head as list_add() does. Returns the attachment (the framework owns it
 * until dma_buf_detach()), ERR_PTR(-EINVAL) or ERR_PTR(-ENOMEM).
 */
struct dma_buf_attachment *
dma_buf_dynamic_attach(struct dma_buf *dmabuf, struct device *dev,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv)
{
	struct dmabuf_attach_obj *a;
	struct dmabuf_obj *obj;
	struct sim_machine *m;
	int ret;

	if (!dmabuf || !dev)
		return ERR_PTR(-EINVAL);
	m = dmabuf->sim;
	obj = to_obj(dmabuf);
	if (dev->sim != m) {
		SIM_WARN(m, dev, "dma_buf_attach: %s: %s belongs to another machine",
			 exp_name(dmabuf), dev_name(dev));
		return ERR_PTR(-EINVAL);
	}
	if (importer_ops && !importer_ops->move_notify) {
		SIM_WARN(m, dev, "dma_buf_dynamic_attach: %s: importer_ops without move_notify",
			 exp_name(dmabuf));
		return ERR_PTR(-EINVAL);
	}

	a = sim_kzalloc(m, sizeof(*a));
	if (!a)
		return ERR_PTR(-ENOMEM);
	a->attach.dmabuf = dmabuf;
	a->attach.dev = dev;
	a->attach.importer_ops = importer_ops;
	a->attach.importer_priv = importer_priv;
	a->attach.peer2peer = importer_ops && importer_ops->allow_peer2peer;
	a->attach.sim_priv = a;

	if (dmabuf->ops->attach) {
		ret = dmabuf->ops->attach(dmabuf, &a->attach);
		if (ret)
			goto err_free_attach;
	}

	ret = dma_resv_lock(dmabuf->resv, NULL);
	if (ret)
		goto err_exporter_detach;
	a->next = obj->attachments;
	if (obj->attachments)
		obj->attachments->prev = a;
	obj->attachments = a;
	obj->nr_attachments++;
	dma_resv_unlock(dmabuf->resv);
	return &a->attach;

err_exporter_detach:
	if (dmabuf->ops->detach)
		dmabuf->ops->detach(dmabuf, &a->attach);
err_free_attach:
	sim_kfree(m, a);
	return ERR_PTR(ret);
}

/**
 * dma_buf_attach - attach a static importer (no move_notify)
 *
 * See dma_buf_dynamic_attach(); @attach->peer2peer is false.
 */
struct dma_buf_attachment *dma_buf_attach(struct dma_buf *dmabuf,
					  struct device *dev)
{
	return dma_buf_dynamic_attach(dmabuf, dev, NULL, NULL);
}

/*
 * Forget mapping @i of @a, keeping the others in the order they were made;
 * the caller holds the reservation lock.
 */
static void dmabuf_forget_mapping(struct dmabuf_attach_obj *a, unsigned int i)
{
	a->nr_maps--;
	memmove(&a->maps[i], &a->maps[i + 1],
		(a->nr_maps - i) * sizeof(*a->maps));
	/* @sgt shows the most recent mapping still live */
	if (!a->nr_maps) {
		a->attach.sgt = NULL;
		return;
	}
	a->attach.sgt = a->maps[a->nr_maps - 1].sgt;
	a->attach.dir = a->maps[a->nr_maps - 1].dir;
}

/* Exporter's unmap of a live mapping, and the unpin that went with it. */
static void dmabuf_unmap_one(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	attach->dmabuf->ops->unmap_dma_buf(attach, sgt, dir);
	if (dma_buf_pin_on_map(attach))
		attach->dmabuf->ops->unpin(attach);
}

/*
 * Unlink @a from @obj, unmapping what it left mapped, and free it; the
 * caller holds the reservation lock, or has the last reference.
 */
static void dmabuf_unlink_attachment(struct dmabuf_obj *obj,
				     struct dmabuf_attach_obj *a)
{
	struct dma_buf_attachment *attach = &a->attach;

	while (a->nr_maps) {
		struct dmabuf_mapping mp = a->maps[a->nr_maps - 1];

		SIM_WARN(obj->buf.sim, attach->dev,
			 "dma_buf_detach: %s: %s detached with a live mapping (%u entries), unmapped for it",
			 exp_name(&obj->buf), dev_name(attach->dev),
			 mp.sgt->nents);
		dmabuf_forget_mapping(a, a->nr_maps - 1);
		dmabuf_unmap_one(attach, mp.sgt, mp.dir);
	}
	if (a->prev)
		a->prev->next = a->next;
	else
		obj->attachments = a->next;
	if (a->next)
		a->next->prev = a->prev;
	obj->nr_attachments--;
}

static void dmabuf_free_attachment(struct dmabuf_obj *obj,
				   struct dmabuf_attach_obj *a)
{
	if (obj->buf.ops->detach)
		obj->buf.ops->detach(&obj->buf, &a->attach);
	sim_kfree(obj->buf.sim, a->maps);
	sim_kfree(obj->buf.sim, a);
}

/*
 * Release with attachments left (the last reference is gone, nobody else
 * can reach them): unlink under the reservation lock, as the exporter's
 * unmap may assert it, unless the releasing thread holds it already.
 */
static void dmabuf_force_detach(struct dmabuf_obj *obj,
				struct dmabuf_attach_obj *a)
{
	bool locked = false;

	if (!dma_resv_is_locked_by_me(obj->buf.resv))
		locked = dma_resv_lock(obj->buf.resv, NULL) == 0;
	dmabuf_unlink_attachment(obj, a);
	if (locked)
		dma_resv_unlock(obj->buf.resv);
	dmabuf_free_attachment(obj, a);
}

/**
 * dma_buf_detach - remove an attachment made by dma_buf_attach()
 *
 * Takes the reservation lock to unlink it; a mapping the importer left is
 * reported (a warning) and unmapped for it first (with the unpin of a
 * static attachment of a dynamic exporter). The exporter's detach op runs
 * after the lock is dropped; @attach is freed.
 */
void dma_buf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	struct dmabuf_obj *obj;
	struct dmabuf_attach_obj *a;
	bool locked;

	if (!dmabuf || !attach)
		return;
	if (attach->dmabuf != dmabuf) {
		SIM_WARN(dmabuf->sim, attach->dev,
			 "dma_buf_detach: %s: attachment of another buffer",
			 exp_name(dmabuf));
		return;
	}
	obj = to_obj(dmabuf);
	a = to_attach_obj(attach);
	/* a caller already holding the lock is reported; carry on under it */
	locked = dma_resv_lock(dmabuf->resv, NULL) == 0;
	dmabuf_unlink_attachment(obj, a);
	if (locked)
		dma_resv_unlock(dmabuf->resv);
	dmabuf_free_attachment(obj, a);
}

/**
 * dma_buf_pin - pin the buffer for a dynamic attachment
 *
 * Caller holds the reservation lock (asserted). Returns the exporter's pin
 * result, 0 without a pin op.
 */
int dma_buf_pin(struct dma_buf_attachment *attach)
{
	struct dma_buf *dmabuf = attach->dmabuf;

	if (!dma_buf_attachment_is_dynamic(attach))
		SIM_WARN(dmabuf->sim, attach->dev,
			 "dma_buf_pin: %s: a static attachment is pinned by mapping it",
			 exp_name(dmabuf));
	dma_resv_assert_held(dmabuf->resv);
	return dmabuf->ops->pin ? dmabuf->ops->pin(attach) : 0;
}

/**
 * dma_buf_unpin - undo dma_buf_pin(); caller holds the reservation lock
 */
void dma_buf_unpin(struct dma_buf_attachment *attach)
{
	struct dma_buf *dmabuf = attach->dmabuf;

	if (!dma_buf_attachment_is_dynamic(attach))
		SIM_WARN(dmabuf->sim, attach->dev,
			 "dma_buf_unpin: %s: a static attachment is unpinned by unmapping it",
			 exp_name(dmabuf));
	dma_resv_assert_held(dmabuf->resv);
	if (dmabuf->ops->unpin)
		dmabuf->ops->unpin(attach);
}

/* ------------------------------------------------------------------------ */
/* Mapping                                                                  */
/* ------------------------------------------------------------------------ */

/* Room for one more mapping record; under the reservation lock. */
static int dmabuf_reserve_mapping(struct dmabuf_attach_obj *a)
{
	struct sim_machine *m = a->attach.dmabuf->sim;
	struct dmabuf_mapping *maps;
	unsigned int cap;

	if (a->nr_maps < a->cap_maps)
		return 0;
	cap = a->cap_maps ? a->cap_maps * 2 : 2;
	maps = sim_kcalloc(m, cap, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	if (a->nr_maps)
		memcpy(maps, a->maps, a->nr_maps * sizeof(*maps));
	sim_kfree(m, a->maps);
	a->maps = maps;
	a->cap_maps = cap;
	return 0;
}

/**
 * dma_buf_map_attachment - the exporter's mapping of the buffer for
 * @attach->dev
 * @attach: the attachment
 * @dir: direction of the DMA
 *
 * Caller holds the reservation lock (asserted: a warning when not, and the
 * call goes on as in the kernel). Every call asks the exporter (the kernel
 * caches nothing since 6.15). A static attachment of a dynamic exporter
 * pins the buffer first, and unpins it if the mapping fails. The mapping
 * belongs to the importer until dma_buf_unmap_attachment().
 *
 * Returns the table, the exporter's ERR_PTR, ERR_PTR(-ENOMEM) for an
 * exporter returning NULL or when the mapping cannot be recorded, or
 * ERR_PTR(-EINVAL).
 */
struct sg_table *dma_buf_map_attachment(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct dmabuf_attach_obj *a;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	int ret;

	if (!attach || !attach->dmabuf)
		return ERR_PTR(-EINVAL);
	dmabuf = attach->dmabuf;
	a = to_attach_obj(attach);
	dma_resv_assert_held(dmabuf->resv);

	ret = dmabuf_reserve_mapping(a);
	if (ret)
		return ERR_PTR(ret);
	if (dma_buf_pin_on_map(attach)) {
		ret = dmabuf->ops->pin(attach);
		/* an exporter refusing while static importers exist is a bug */
		if (ret == -EBUSY)
			SIM_WARN(dmabuf->sim, attach->dev,
				 "dma_buf_map_attachment: %s: pin returned -EBUSY for a static importer",
				 exp_name(dmabuf));
		if (ret)
			return ERR_PTR(ret);
	}

	sgt = dmabuf->ops->map_dma_buf(attach, dir);
	if (!sgt)
		sgt = ERR_PTR(-ENOMEM);
	if (IS_ERR(sgt))
		goto err_unpin;

	a->maps[a->nr_maps].sgt = sgt;
	a->maps[a->nr_maps].dir = dir;
	a->nr_maps++;
	attach->sgt = sgt;
	attach->dir = dir;
	return sgt;

err_unpin:
	if (dma_buf_pin_on_map(attach))
		dmabuf->ops->unpin(attach);
	return sgt;
}

/**
 * dma_buf_unmap_attachment - give back a mapping of dma_buf_map_attachment()
 *
 * Caller holds the reservation lock (asserted). The exporter unmaps; a
 * static attachment of a dynamic exporter is unpinned. A table this
 * attachment does not have mapped is reported (a warning) and left alone,
 * rather than handed to the exporter twice.
 */
void dma_buf_unmap_attachment(struct dma_buf_attachment *attach,
			      struct sg_table *sgt, enum dma_data_direction dir)
{
	struct dmabuf_attach_obj *a;
	struct dma_buf *dmabuf;
	unsigned int i;

	if (!attach || !attach->dmabuf || !sgt)
		return;
	dmabuf = attach->dmabuf;
	a = to_attach_obj(attach);
	dma_resv_assert_held(dmabuf->resv);

	for (i = a->nr_maps; i-- > 0;)
		if (a->maps[i].sgt == sgt)
			break;
	if (i == UINT_MAX) {
		SIM_WARN(dmabuf->sim, attach->dev,
			 "dma_buf_unmap_attachment: %s: %s unmaps a table it has not mapped",
			 exp_name(dmabuf), dev_name(attach->dev));
		return;
	}
	if (a->maps[i].dir != dir)
		SIM_WARN(dmabuf->sim, attach->dev,
			 "dma_buf_unmap_attachment: %s: mapped with direction %d, unmapped with %d",
			 exp_name(dmabuf), a->maps[i].dir, dir);
	dmabuf_forget_mapping(a, i);
	dmabuf_unmap_one(attach, sgt, dir);
}

/**
 * dma_buf_map_attachment_unlocked - dma_buf_map_attachment() taking and
 * dropping the reservation lock itself
 *
 * ERR_PTR(-EDEADLK), reported, if the caller already holds the lock.
 */
struct sg_table *
dma_buf_map_attachment_unlocked(struct dma_buf_attachment *attach,
				enum dma_data_direction dir)
{
	struct sg_table *sgt;
	int ret;

	if (!attach || !attach->dmabuf)
		return ERR_PTR(-EINVAL);
	ret = dma_resv_lock(attach->dmabuf->resv, NULL);
	if (ret)
		return ERR_PTR(ret);
	sgt = dma_buf_map_attachment(attach, dir);
	dma_resv_unlock(attach->dmabuf->resv);
	return sgt;
}

/**
 * dma_buf_unmap_attachment_unlocked - dma_buf_unmap_attachment() taking
 * and dropping the reservation lock itself
 *
 * A caller already holding the lock is reported and the unmap still done.
 */
void dma_buf_unmap_attachment_unlocked(struct dma_buf_attachment *attach,
				       struct sg_table *sgt,
				       enum dma_data_direction dir)
{
	bool locked;

	if (!attach || !attach->dmabuf || !sgt)
		return;
	locked = dma_resv_lock(attach->dmabuf->resv, NULL) == 0;
	dma_buf_unmap_attachment(attach, sgt, dir);
	if (locked)
		dma_resv_unlock(attach->dmabuf->resv);
}

/**
 * dma_buf_move_notify - tell dynamic importers the buffer moves
 *
 * The exporter holds the reservation lock (asserted). Each dynamic
 * attachment's move_notify runs in list order (newest attachment first),
 * under that lock, in the caller's thread; importers unmap from there with
 * dma_buf_unmap_attachment(), not the _unlocked variant.
 */
void dma_buf_move_notify(struct dma_buf *dmabuf)
{
	struct dmabuf_attach_obj *a, *next;

	if (!dmabuf)
		return;
	dma_resv_assert_held(dmabuf->resv);
	for (a = to_obj(dmabuf)->attachments; a; a = next) {
		/* an importer detaching itself from here was reported */
		next = a->next;
		if (a->attach.importer_ops)
			a->attach.importer_ops->move_notify(&a->attach);
	}
}

/* ------------------------------------------------------------------------ */
/* Machine teardown                                                         */
/* ------------------------------------------------------------------------ */

/**
 * dma_buf_exit_release - the machine goes: release a buffer the program
 * left alive, whose exporter is the library's own (its state is valid now)
 * @dmabuf: the buffer (an exporter's record of it)
 *
 * Reported as dma_buf_exit_machine() reports leaks; its fds are closed
 * and its references dropped, what importers left attached and mapped is
 * detached and unmapped through the exporter (reported), and the
 * exporter's release op runs. Called single-threaded, before the
 * machine's dma-buf state goes.
 */
void dma_buf_exit_release(struct dma_buf *dmabuf)
{
	struct sim_machine *m = dmabuf->sim;
	struct sim_dmabuf_state *s = dmabuf_state(m, false);
	struct dmabuf_obj *obj = to_obj(dmabuf);
	unsigned int fd;

	sim_report(m, SIM_REPORT_WARN, NULL, obj->ino, dmabuf->size,
		   "dma-buf: buffer leaked at machine teardown [exporter=%s] [inode=%lu] [size=%zu bytes] [refs=%ld] [fds=%u] [attachments=%u]: released",
		   exp_name(dmabuf), obj->ino, dmabuf->size,
		   __atomic_load_n(&obj->refs, __ATOMIC_RELAXED),
		   __atomic_load_n(&obj->nr_fds, __ATOMIC_RELAXED),
		   obj->nr_attachments);
	pthread_mutex_lock(&s->lock);
	for (fd = 0; fd < s->cap_fds; fd++)
		if (s->fds[fd] == dmabuf)
			s->fds[fd] = NULL;
	__atomic_store_n(&obj->nr_fds, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->lock);
	__atomic_store_n(&obj->refs, 0L, __ATOMIC_RELAXED);
	dmabuf_release(obj);
}

/**
 * dma_buf_exit_machine - the machine goes: report and free its dma-bufs
 *
 * Open fds and buffers still alive are leaks of the program, reported in
 * the style of dma-debug's leak messages (warnings). The exporters' and
 * importers' ops are not called, since their state may already be gone:
 * only the framework's memory is freed. Called once, single-threaded.
 */
void dma_buf_exit_machine(struct sim_machine *m)
{
	struct sim_dmabuf_state *s = dmabuf_state(m, false);
	struct dmabuf_obj *obj, *next;
	unsigned int fd, nfds;

	if (!s)
		return;
	for (obj = s->live; obj; obj = next) {
		struct dmabuf_attach_obj *a, *an;

		next = obj->next;
		nfds = 0;
		for (fd = 0; fd < s->cap_fds; fd++)
			nfds += s->fds[fd] == &obj->buf;
		sim_report(m, SIM_REPORT_WARN, NULL, obj->ino, obj->buf.size,
			   "dma-buf: buffer leaked at machine teardown [exporter=%s] [inode=%lu] [size=%zu bytes] [refs=%ld] [fds=%u] [attachments=%u]",
			   exp_name(&obj->buf), obj->ino, obj->buf.size,
			   __atomic_load_n(&obj->refs, __ATOMIC_RELAXED), nfds,
			   obj->nr_attachments);
		for (a = obj->attachments; a; a = an) {
			an = a->next;
			sim_report(m, SIM_REPORT_WARN, a->attach.dev, obj->ino,
				   obj->buf.size,
				   "dma-buf: %s still attached to buffer %lu at machine teardown [mappings=%u]",
				   dev_name(a->attach.dev), obj->ino,
				   a->nr_maps);
			sim_kfree(m, a->maps);
			sim_kfree(m, a);
		}
		if (obj->buf.resv == &obj->own_resv)
			pthread_mutex_destroy(&obj->own_resv.lock);
		sim_kfree(m, obj);
	}
	while (s->tomb_head) {
		obj = s->tomb_head;
		s->tomb_head = obj->next;
		free(obj);
	}
	while (s->spare) {
		obj = s->spare;
		s->spare = obj->next;
		free(obj);
	}
	free(s->fds);
	pthread_mutex_destroy(&s->lock);
	free(s);
	m->kernel->dmabuf = NULL;
}

/* ------------------------------------------------------------------------ */
/* CPU access and kernel mappings                                           */
/* ------------------------------------------------------------------------ */

/**
 * dma_buf_begin_cpu_access - the CPU is about to access @dmabuf
 * @dmabuf: the buffer
 * @dir: DMA_FROM_DEVICE (reads), DMA_TO_DEVICE or DMA_BIDIRECTIONAL (writes)
 *
 * Waits for the fences the access must follow (writes for a read, all for
 * a write), running the machine, then calls the exporter's hook.
 *
 * Return: 0, -EINVAL, or the hook's -errno.
 */
int dma_buf_begin_cpu_access(struct dma_buf *dmabuf,
			     enum dma_data_direction dir)
{
	bool write = dir == DMA_BIDIRECTIONAL || dir == DMA_TO_DEVICE;

	if (!dmabuf || dir == DMA_NONE)
		return -EINVAL;
	dma_resv_wait_timeout(dmabuf->resv, dma_resv_usage_rw(write), true,
			      MAX_SCHEDULE_TIMEOUT);
	return dmabuf->ops->begin_cpu_access ?
	       dmabuf->ops->begin_cpu_access(dmabuf, dir) : 0;
}

int dma_buf_end_cpu_access(struct dma_buf *dmabuf,
			   enum dma_data_direction dir)
{
	if (!dmabuf || dir == DMA_NONE)
		return -EINVAL;
	return dmabuf->ops->end_cpu_access ?
	       dmabuf->ops->end_cpu_access(dmabuf, dir) : 0;
}

int dma_buf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct iosys_map ptr;
	int ret;

	if (!map)
		return -EINVAL;
	iosys_map_clear(map);
	if (!dmabuf || !dmabuf->ops->vmap)
		return -EINVAL;
	dma_resv_assert_held(dmabuf->resv);
	if (dmabuf->vmapping_counter) {
		dmabuf->vmapping_counter++;
		*map = dmabuf->vmap_ptr;
		return 0;
	}
	iosys_map_clear(&ptr);
	ret = dmabuf->ops->vmap(dmabuf, &ptr);
	if (ret)
		return ret;
	if (iosys_map_is_null(&ptr)) {
		SIM_WARN(dmabuf->sim, NULL, "dma_buf_vmap: %s: the exporter's vmap returned no mapping",
			 exp_name(dmabuf));
		return -EINVAL;
	}
	dmabuf->vmap_ptr = ptr;
	dmabuf->vmapping_counter = 1;
	*map = ptr;
	return 0;
}

void dma_buf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	if (!dmabuf || !map)
		return;
	dma_resv_assert_held(dmabuf->resv);
	if (!dmabuf->vmapping_counter ||
	    !iosys_map_is_equal(&dmabuf->vmap_ptr, map)) {
		SIM_WARN(dmabuf->sim, NULL, "dma_buf_vunmap: %s: %s",
			 exp_name(dmabuf), dmabuf->vmapping_counter ?
			 "not the buffer's mapping" : "not mapped");
		return;
	}
	if (--dmabuf->vmapping_counter)
		return;
	if (dmabuf->ops->vunmap)
		dmabuf->ops->vunmap(dmabuf, map);
	iosys_map_clear(&dmabuf->vmap_ptr);
}

int dma_buf_vmap_unlocked(struct dma_buf *dmabuf, struct iosys_map *map)
{
	int ret;

	if (!dmabuf || !map)
		return -EINVAL;
	ret = dma_resv_lock(dmabuf->resv, NULL);
	if (ret)
		return ret;
	ret = dma_buf_vmap(dmabuf, map);
	dma_resv_unlock(dmabuf->resv);
	return ret;
}

void dma_buf_vunmap_unlocked(struct dma_buf *dmabuf, struct iosys_map *map)
{
	if (!dmabuf || !map || dma_resv_lock(dmabuf->resv, NULL))
		return;
	dma_buf_vunmap(dmabuf, map);
	dma_resv_unlock(dmabuf->resv);
}
