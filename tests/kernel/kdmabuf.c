// SPDX-License-Identifier: MIT
/*
 * A dma-buf exporter and a dynamic importer, as drivers write them.
 *
 * The exporter: pages from alloc_pages(), an sg_table built from them and
 * mapped for each attachment's device in map_dma_buf, and a "clear" job
 * that is still running when the buffer is exported: its fence sits in
 * the reservation object as DMA_RESV_USAGE_KERNEL until the job fills the
 * pages and signals it. Userspace gets the buffer as a file descriptor.
 *
 * The importer: dma_buf_get() of the descriptor, a dynamic attachment
 * whose move_notify drops its mapping, and a map path that takes the
 * reservation lock, waits for the kernel fences (memory management must
 * be done before the device touches the pages) and maps.
 */
#include <linux/container_of.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include "kmod.h"

/* ------------------------------------------------------- the exporter --- */

struct kdmabuf_exp {
	struct dma_buf *dmabuf;		/* the exporter's own reference */
	struct page **pages;
	unsigned int npages;
	int fd;
	unsigned int attachments;	/* under the reservation lock */
	bool *released;			/* told when the buffer goes */
	spinlock_t fence_lock;
	u64 context;
	u64 seqno;
	struct dma_fence *clear;	/* the running clear job, or NULL */
};

static const char *kexp_driver_name(struct dma_fence *fence)
{
	return "kdmabuf";
}

static const char *kexp_timeline_name(struct dma_fence *fence)
{
	return "clear";
}

static const struct dma_fence_ops kexp_fence_ops = {
	.get_driver_name = kexp_driver_name,
	.get_timeline_name = kexp_timeline_name,
};

static int kexp_attach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attach)
{
	struct kdmabuf_exp *exp = dmabuf->priv;

	exp->attachments++;
	return 0;
}

static void kexp_detach(struct dma_buf *dmabuf,
			struct dma_buf_attachment *attach)
{
	struct kdmabuf_exp *exp = dmabuf->priv;

	exp->attachments--;
}

static struct sg_table *kexp_map_dma_buf(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	struct kdmabuf_exp *exp = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, exp->pages, exp->npages, 0,
					(unsigned long)exp->npages * PAGE_SIZE,
					GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto err_free_table;
	return sgt;

err_free_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void kexp_unmap_dma_buf(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static void kexp_release(struct dma_buf *dmabuf)
{
	struct kdmabuf_exp *exp = dmabuf->priv;
	unsigned int i;

	for (i = 0; i < exp->npages; i++)
		__free_pages(exp->pages[i], 0);
	kfree(exp->pages);
	if (exp->released)
		*exp->released = true;
	kfree(exp);
}

static const struct dma_buf_ops kexp_ops = {
	.attach = kexp_attach,
	.detach = kexp_detach,
	.map_dma_buf = kexp_map_dma_buf,
	.unmap_dma_buf = kexp_unmap_dma_buf,
	.release = kexp_release,
};

struct kdmabuf_exp *kdmabuf_export(unsigned int npages, bool *released)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct kdmabuf_exp *exp;
	struct dma_fence *fence;
	unsigned int i;
	int ret;

	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp)
		return ERR_PTR(-ENOMEM);
	exp->pages = kcalloc(npages, sizeof(*exp->pages), GFP_KERNEL);
	if (!exp->pages) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (exp->npages = 0; exp->npages < npages; exp->npages++) {
		exp->pages[exp->npages] = alloc_pages(GFP_KERNEL, 0);
		if (!exp->pages[exp->npages]) {
			ret = -ENOMEM;
			goto err_free_pages;
		}
	}
	spin_lock_init(&exp->fence_lock);
	exp->context = dma_fence_context_alloc(1);

	exp_info.ops = &kexp_ops;
	exp_info.size = (size_t)npages * PAGE_SIZE;
	exp_info.flags = O_RDWR;
	exp_info.priv = exp;
	exp->dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(exp->dmabuf)) {
		ret = PTR_ERR(exp->dmabuf);
		goto err_free_pages;
	}
	/* from here on, the buffer's release frees @exp */
	exp->released = released;

	/* the clear job is running: importers wait for it */
	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	if (!fence) {
		ret = -ENOMEM;
		goto err_put;
	}
	dma_fence_init(fence, &kexp_fence_ops, &exp->fence_lock, exp->context,
		       ++exp->seqno);
	dma_resv_lock(exp->dmabuf->resv, NULL);
	ret = dma_resv_reserve_fences(exp->dmabuf->resv, 1);
	if (!ret)
		dma_resv_add_fence(exp->dmabuf->resv, fence,
				   DMA_RESV_USAGE_KERNEL);
	dma_resv_unlock(exp->dmabuf->resv);
	if (ret) {
		dma_fence_signal(fence);
		dma_fence_put(fence);
		goto err_put;
	}
	exp->clear = fence;

	/* userspace's reference: the descriptor */
	get_dma_buf(exp->dmabuf);
	exp->fd = dma_buf_fd(exp->dmabuf, O_CLOEXEC);
	if (exp->fd < 0) {
		ret = exp->fd;
		dma_buf_put(exp->dmabuf);
		goto err_signal;
	}
	return exp;

err_signal:
	dma_fence_signal(exp->clear);
	dma_fence_put(exp->clear);
err_put:
	dma_buf_put(exp->dmabuf);	/* releases @exp */
	return ERR_PTR(ret);

err_free_pages:
	for (i = 0; i < exp->npages; i++)
		__free_pages(exp->pages[i], 0);
	kfree(exp->pages);
err_free:
	kfree(exp);
	return ERR_PTR(ret);
}

int kdmabuf_exp_fd(struct kdmabuf_exp *exp)
{
	return exp->fd;
}

/* The clear job finishes: the pages hold @seed's pattern, then the fence. */
void kdmabuf_exp_finish_clear(struct kdmabuf_exp *exp, unsigned char seed)
{
	unsigned int i, b;

	for (i = 0; i < exp->npages; i++) {
		unsigned char *va = kmap_local_page(exp->pages[i]);

		for (b = 0; b < PAGE_SIZE; b++)
			va[b] = (unsigned char)(seed + i * 5 + b);
		kunmap_local(va);
	}
	dma_fence_signal(exp->clear);
	dma_fence_put(exp->clear);
	exp->clear = NULL;
}

/* The buffer moves: every dynamic importer drops its mapping. */
void kdmabuf_exp_move(struct kdmabuf_exp *exp)
{
	dma_resv_lock(exp->dmabuf->resv, NULL);
	dma_buf_move_notify(exp->dmabuf);
	dma_resv_unlock(exp->dmabuf->resv);
}

unsigned int kdmabuf_exp_attachments(struct kdmabuf_exp *exp)
{
	unsigned int n;

	dma_resv_lock(exp->dmabuf->resv, NULL);
	n = exp->attachments;
	dma_resv_unlock(exp->dmabuf->resv);
	return n;
}

/* The CPU reads the buffer. */
void kdmabuf_exp_read(struct kdmabuf_exp *exp, unsigned long off, void *buf,
		      unsigned long len)
{
	while (len) {
		unsigned long n = min(len, PAGE_SIZE - off % PAGE_SIZE);
		unsigned char *va = kmap_local_page(exp->pages[off / PAGE_SIZE]);

		memcpy(buf, va + off % PAGE_SIZE, n);
		kunmap_local(va);
		buf = (unsigned char *)buf + n;
		off += n;
		len -= n;
	}
}

/* The exporter lets go of its reference (the descriptor may hold one). */
void kdmabuf_exp_put(struct kdmabuf_exp *exp)
{
	dma_buf_put(exp->dmabuf);
}

/* ------------------------------------------------------- the importer --- */

struct kdmabuf_imp {
	struct device *dev;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;		/* under the reservation lock */
	unsigned int moves;
};

static void kimp_move_notify(struct dma_buf_attachment *attach)
{
	struct kdmabuf_imp *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	/* the device stops using the pages here, then lets go */
	if (imp->sgt) {
		dma_buf_unmap_attachment(attach, imp->sgt, DMA_BIDIRECTIONAL);
		imp->sgt = NULL;
	}
	imp->moves++;
}

static const struct dma_buf_attach_ops kimp_attach_ops = {
	.allow_peer2peer = false,
	.move_notify = kimp_move_notify,
};

struct kdmabuf_imp *kdmabuf_import(struct device *dev, int fd)
{
	struct kdmabuf_imp *imp;
	int ret;

	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return ERR_PTR(-ENOMEM);
	imp->dev = dev;
	imp->dmabuf = dma_buf_get(fd);
	if (IS_ERR(imp->dmabuf)) {
		ret = PTR_ERR(imp->dmabuf);
		goto err_free;
	}
	imp->attach = dma_buf_dynamic_attach(imp->dmabuf, dev,
					     &kimp_attach_ops, imp);
	if (IS_ERR(imp->attach)) {
		ret = PTR_ERR(imp->attach);
		goto err_put;
	}
	return imp;

err_put:
	dma_buf_put(imp->dmabuf);
err_free:
	kfree(imp);
	return ERR_PTR(ret);
}

/*
 * Map for the device, after the kernel's fences: 0 or -errno; *@nsegs
 * is the number of DMA segments (kdmabuf_imp_seg()).
 */
int kdmabuf_imp_map(struct kdmabuf_imp *imp, unsigned int *nsegs)
{
	struct dma_resv *resv = imp->dmabuf->resv;
	struct sg_table *sgt;
	long ret;

	dma_resv_lock(resv, NULL);
	ret = dma_resv_wait_timeout(resv, DMA_RESV_USAGE_KERNEL, false,
				    MAX_SCHEDULE_TIMEOUT);
	if (ret <= 0) {
		dma_resv_unlock(resv);
		return ret ? (int)ret : -ETIMEDOUT;
	}
	if (!imp->sgt) {
		sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt)) {
			dma_resv_unlock(resv);
			return PTR_ERR(sgt);
		}
		imp->sgt = sgt;
	}
	*nsegs = imp->sgt->nents;
	dma_resv_unlock(resv);
	return 0;
}

/* Whether the kernel's fences have all signaled. */
bool kdmabuf_imp_idle(struct kdmabuf_imp *imp)
{
	return dma_resv_test_signaled(imp->dmabuf->resv,
				      DMA_RESV_USAGE_KERNEL);
}

/* DMA segment @i of the mapping: 0, or -ENOENT (none, or past the end). */
int kdmabuf_imp_seg(struct kdmabuf_imp *imp, unsigned int i,
		    unsigned long long *dma, unsigned int *len)
{
	struct scatterlist *sg;
	unsigned int j;
	int ret = -ENOENT;

	dma_resv_lock(imp->dmabuf->resv, NULL);
	if (imp->sgt) {
		for_each_sgtable_dma_sg(imp->sgt, sg, j) {
			if (j == i) {
				*dma = sg_dma_address(sg);
				*len = sg_dma_len(sg);
				ret = 0;
				break;
			}
		}
	}
	dma_resv_unlock(imp->dmabuf->resv);
	return ret;
}

unsigned int kdmabuf_imp_moves(struct kdmabuf_imp *imp)
{
	unsigned int n;

	dma_resv_lock(imp->dmabuf->resv, NULL);
	n = imp->moves;
	dma_resv_unlock(imp->dmabuf->resv);
	return n;
}

/* The device is done: unmap (the CPU may look at the pages then). */
void kdmabuf_imp_unmap(struct kdmabuf_imp *imp)
{
	dma_resv_lock(imp->dmabuf->resv, NULL);
	if (imp->sgt) {
		dma_buf_unmap_attachment(imp->attach, imp->sgt,
					 DMA_BIDIRECTIONAL);
		imp->sgt = NULL;
	}
	dma_resv_unlock(imp->dmabuf->resv);
}

void kdmabuf_imp_free(struct kdmabuf_imp *imp)
{
	kdmabuf_imp_unmap(imp);
	dma_buf_detach(imp->dmabuf, imp->attach);
	dma_buf_put(imp->dmabuf);
	kfree(imp);
}
