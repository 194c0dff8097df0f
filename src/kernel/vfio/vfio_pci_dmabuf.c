// SPDX-License-Identifier: MIT
/*
 * vfio-pci dma-buf export of MMIO (drivers/vfio/pci/vfio_pci_dmabuf.c):
 * VFIO_DEVICE_FEATURE_DMA_BUF turns ranges of a BAR into a dynamic dma-buf
 * that P2P-capable importers map with dma_buf_phys_vec_to_sgt(); every
 * path that stops the BARs decoding revokes the exports first
 * (vfio_pci_dma_buf_move(): move_notify, then map and attach fail with
 * -ENODEV) and restores them after; closing the device revokes them for
 * good (vfio_pci_dma_buf_cleanup()).
 *
 * Locking: the device's memory_lock (write) protects the export list and
 * orders revokes; each export's revoked flag is under its buffer's
 * reservation lock (memory_lock -> resv). Revoked ranges are also told
 * to the machine (sim_mmio_set_revoked()) so that a device still using
 * them is reported.
 *
 * Where this differs from the seed:
 *  - The kernel's revoke loops take get_file_active() on each buffer so
 *    that one whose file is being released is skipped, and drop it with
 *    fput() (the review's point: pair fput with get_file_active). The
 *    machine's dma_buf_put() releases synchronously, so dropping such a
 *    reference under memory_lock could run the release op - which takes
 *    memory_lock - on the same thread. Instead the release op marks the
 *    export dying under the reservation lock before it touches the list,
 *    and the loops skip dying exports under that same lock: the same
 *    "file no longer active" test, without a reference to drop.
 *  - When dma_buf_fd() fails, the v8 seed falls through from
 *    dma_buf_put() (which already freed priv and dropped the registration
 *    reference in the release op) into its other unwind labels: a double
 *    put and double free. Here the put is the whole unwind, as upstream.
 */
#include <string.h>
#include "internal.h"

/* The kernel's KMALLOC_MAX_SIZE: memdup_array_user() fails above it. */
#define VFIO_KMALLOC_MAX	(1UL << (MAX_PAGE_ORDER + PAGE_SHIFT))

/**
 * struct vfio_pci_dma_buf - one export
 * @dmabuf: the buffer
 * @vdev: the device, NULL once cleanup took the export off its list
 * @dmabufs_elm: on the device's export list, under its memory_lock
 * @size: total length
 * @phys_vec, @nr_ranges: the CPU physical ranges
 * @provider: whose P2P properties the ranges have
 * @revoked: importers may not map or attach; written under @dmabuf->resv
 *	(__atomic: attach reads it without)
 * @dying: the release op started (the kernel's file no longer active);
 *	under @dmabuf->resv
 * @who: the name the machine reports revoked ranges with
 * @machine_elm: on the machine's list of exports until released (teardown
 *	releases what the program left), under sim_vfio.lock
 */
struct vfio_pci_dma_buf {
	struct dma_buf *dmabuf;
	struct vfio_pci_core_device *vdev;
	struct list_head dmabufs_elm;
	size_t size;
	struct phys_vec *phys_vec;
	struct p2pdma_provider *provider;
	u32 nr_ranges;
	bool revoked;
	bool dying;
	char who[64];
	struct list_head machine_elm;
};

/* On (or off) the machine's list of exports. */
static void dmabuf_track(struct sim_machine *m, struct vfio_pci_dma_buf *priv,
			 bool on)
{
	struct sim_vfio *v = m->kernel->vfio;

	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	if (on)
		list_add_tail(&priv->machine_elm, &v->exports);
	else
		list_del_init(&priv->machine_elm);
	pthread_mutex_unlock(&v->lock);
}

/* Tell the machine the export's ranges are (no longer) revoked. */
static void dmabuf_mark_ranges(struct vfio_pci_dma_buf *priv, bool revoked)
{
	struct sim_machine *m = priv->dmabuf->sim;

	for (u32 i = 0; i < priv->nr_ranges; i++) {
		phys_addr_t paddr = priv->phys_vec[i].paddr;
		size_t len = priv->phys_vec[i].len;

		/*
		 * Diagnostics only: if recording a revoke fails, the revoke
		 * still holds (importers were told and cannot map) and a late
		 * access is just not named. Forgetting one must not fail
		 * quietly, or a usable export's importers would be reported:
		 * the registry needs memory for that too, so try again once
		 * (a transient failure) and warn if it still fails.
		 */
		if (!sim_mmio_set_revoked(m, paddr, len, revoked, priv->who) ||
		    revoked)
			continue;
		if (sim_mmio_set_revoked(m, paddr, len, false, priv->who))
			SIM_WARN(m, NULL,
				 "%s: could not forget revoked MMIO %#llx+%#zx",
				 priv->who, (unsigned long long)paddr, len);
	}
}

/* ---- dma_buf_ops ------------------------------------------------------- */

static int vfio_pci_dma_buf_attach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attachment)
{
	struct vfio_pci_dma_buf *priv = dmabuf->priv;

	if (!attachment->peer2peer)
		return -EOPNOTSUPP;
	/*
	 * Called without the reservation lock (as the kernel's attach): a
	 * racy read, answered again by every map under the lock.
	 */
	if (__atomic_load_n(&priv->revoked, __ATOMIC_RELAXED))
		return -ENODEV;
	return 0;
}

static struct sg_table *
vfio_pci_dma_buf_map(struct dma_buf_attachment *attachment,
		     enum dma_data_direction dir)
{
	struct vfio_pci_dma_buf *priv = attachment->dmabuf->priv;

	dma_resv_assert_held(priv->dmabuf->resv);
	if (priv->revoked)
		return ERR_PTR(-ENODEV);
	return dma_buf_phys_vec_to_sgt(attachment, priv->provider,
				       priv->phys_vec, priv->nr_ranges,
				       priv->size, dir);
}

static void vfio_pci_dma_buf_unmap(struct dma_buf_attachment *attachment,
				   struct sg_table *sgt,
				   enum dma_data_direction dir)
{
	dma_buf_free_sgt(attachment, sgt, dir);
}

/*
 * The last reference went. Either this or vfio_pci_dma_buf_cleanup()
 * takes the export off the list and drops its registration reference:
 * whichever looks first under the reservation lock. If this one finds
 * @vdev still set, the registration reference it is about to drop keeps
 * the device alive until then.
 */
static void vfio_pci_dma_buf_release(struct dma_buf *dmabuf)
{
	struct vfio_pci_dma_buf *priv = dmabuf->priv;
	struct sim_machine *m = dmabuf->sim;
	struct vfio_pci_core_device *vdev;

	dma_resv_lock(dmabuf->resv, NULL);
	priv->dying = true;
	vdev = priv->vdev;
	dma_resv_unlock(dmabuf->resv);

	if (vdev) {
		vfio_pci_memory_lock_write(vdev);
		list_del_init(&priv->dmabufs_elm);
		priv->vdev = NULL;
		vfio_pci_memory_unlock_write(vdev);
		vfio_device_put_registration(&vdev->vdev);
	}
	dmabuf_track(m, priv, false);
	sim_kfree(m, priv->phys_vec);
	sim_kfree(m, priv);
}

static const struct dma_buf_ops vfio_pci_dmabuf_ops = {
	.attach = vfio_pci_dma_buf_attach,
	.map_dma_buf = vfio_pci_dma_buf_map,
	.unmap_dma_buf = vfio_pci_dma_buf_unmap,
	.release = vfio_pci_dma_buf_release,
};

/* ---- physical ranges --------------------------------------------------- */

/**
 * vfio_pci_core_fill_phys_vec - CPU physical ranges of a region's slices
 * @phys_vec: out, @nr_ranges entries
 * @dma_ranges: the user's slices (offset, length)
 * @nr_ranges: how many
 * @start: CPU physical address of the region
 * @len: its usable length
 *
 * Variant drivers call this with slices the feature ioctl validated, but
 * it is exported and checks on its own, as the kernel's does: an empty
 * slice is refused before anything else of it is looked at.
 *
 * Return: 0, -EINVAL for a zero-length slice or one ending beyond @len,
 * -EOVERFLOW when an offset or an end does not fit in 64 bits.
 */
int vfio_pci_core_fill_phys_vec(struct phys_vec *phys_vec,
				struct vfio_region_dma_range *dma_ranges,
				size_t nr_ranges, phys_addr_t start,
				phys_addr_t len)
{
	phys_addr_t max_addr = start + len;

	for (size_t i = 0; i < nr_ranges; i++) {
		phys_addr_t end;

		if (!dma_ranges[i].length)
			return -EINVAL;
		if (__builtin_add_overflow(start, dma_ranges[i].offset,
					   &phys_vec[i].paddr) ||
		    __builtin_add_overflow(phys_vec[i].paddr,
					   dma_ranges[i].length, &end))
			return -EOVERFLOW;
		if (end > max_addr)
			return -EINVAL;
		phys_vec[i].len = dma_ranges[i].length;
	}
	return 0;
}

/**
 * vfio_pci_core_get_dmabuf_phys - the default get_dmabuf_phys: a BAR
 *
 * The provider is the BAR's P2PDMA provider (none for a BAR that is not
 * memory, or not there: -EINVAL); the slices must lie inside the BAR.
 */
int vfio_pci_core_get_dmabuf_phys(struct vfio_pci_core_device *vdev,
				  struct p2pdma_provider **provider,
				  unsigned int region_index,
				  struct phys_vec *phys_vec,
				  struct vfio_region_dma_range *dma_ranges,
				  size_t nr_ranges)
{
	struct pci_dev *pdev = vdev->pdev;

	*provider = pcim_p2pdma_provider(pdev, (int)region_index);
	if (!*provider)
		return -EINVAL;
	return vfio_pci_core_fill_phys_vec(phys_vec, dma_ranges, nr_ranges,
					   pci_resource_start(pdev, (int)region_index),
					   pci_resource_len(pdev, (int)region_index));
}

static int validate_dmabuf_input(const struct vfio_device_feature_dma_buf *dma_buf,
				 const struct vfio_region_dma_range *dma_ranges,
				 size_t *lengthp)
{
	size_t length = 0;

	for (u32 i = 0; i < dma_buf->nr_ranges; i++) {
		u64 offset = dma_ranges[i].offset;
		u64 len = dma_ranges[i].length;

		if (!len || !IS_ALIGNED(offset, PAGE_SIZE) ||
		    !IS_ALIGNED(len, PAGE_SIZE))
			return -EINVAL;
		if (__builtin_add_overflow(length, len, &length))
			return -EINVAL;
	}
	/*
	 * dma_iova_try_alloc() would WARN on a size with the swiotlb flag
	 * bit set (lots of huge ranges).
	 */
	if ((u64)length & DMA_IOVA_USE_SWIOTLB)
		return -EINVAL;
	*lengthp = length;
	return 0;
}

/* memdup_array_user(): allocation first (it can fail), then the copy. */
static struct vfio_region_dma_range *
memdup_ranges(struct sim_machine *m,
	      const struct vfio_region_dma_range __user *uptr, u32 n)
{
	struct vfio_region_dma_range *p;
	size_t bytes = (size_t)n * sizeof(*p);	/* u32 * 16 fits in 64 bits */

	if (bytes > VFIO_KMALLOC_MAX)
		return ERR_PTR(-ENOMEM);
	p = sim_kmalloc(m, bytes);
	if (!p)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(p, uptr, bytes)) {
		sim_kfree(m, p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}

/**
 * vfio_pci_core_feature_dma_buf - VFIO_DEVICE_FEATURE_DMA_BUF
 * @vdev: the open device
 * @flags: the feature ioctl's flags
 * @arg: user memory: struct vfio_device_feature_dma_buf and its ranges
 * @argsz: bytes the user says it passed (the ioctl's argsz minus header)
 *
 * Every check of the seed, in its order. On success the new export holds
 * a registration reference of @vdev and is on its list, revoked if the
 * BARs do not decode right now; the fd in the machine's table holds the
 * buffer. Takes memory_lock, then the buffer's reservation lock.
 *
 * Return: the fd, or -errno (nothing is left behind).
 */
int vfio_pci_core_feature_dma_buf(struct vfio_pci_core_device *vdev,
				  u32 flags,
				  struct vfio_device_feature_dma_buf __user *arg,
				  size_t argsz)
{
	struct vfio_device_feature_dma_buf get_dma_buf = { 0 };
	struct vfio_region_dma_range *dma_ranges;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct sim_machine *m = vdev->sim;
	struct vfio_pci_dma_buf *priv;
	size_t length;
	int ret;

	if (!vdev->pci_ops || !vdev->pci_ops->get_dmabuf_phys)
		return -EOPNOTSUPP;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(get_dma_buf));
	if (ret != 1)
		return ret;

	if (copy_from_user(&get_dma_buf, arg, sizeof(get_dma_buf)))
		return -EFAULT;

	if (!get_dma_buf.nr_ranges || get_dma_buf.flags)
		return -EINVAL;

	/* For PCI the region_index is the BAR number like everything else. */
	if (get_dma_buf.region_index >= VFIO_PCI_ROM_REGION_INDEX)
		return -ENODEV;

	/* reads nr_ranges entries whatever argsz said: -EFAULT past the end */
	dma_ranges = memdup_ranges(m, arg->dma_ranges, get_dma_buf.nr_ranges);
	if (IS_ERR(dma_ranges))
		return (int)PTR_ERR(dma_ranges);

	ret = validate_dmabuf_input(&get_dma_buf, dma_ranges, &length);
	if (ret)
		goto err_free_ranges;

	priv = sim_kzalloc(m, sizeof(*priv));
	if (!priv) {
		ret = -ENOMEM;
		goto err_free_ranges;
	}
	INIT_LIST_HEAD(&priv->machine_elm);
	priv->phys_vec = sim_kcalloc(m, get_dma_buf.nr_ranges,
				     sizeof(*priv->phys_vec));
	if (!priv->phys_vec) {
		ret = -ENOMEM;
		goto err_free_priv;
	}

	priv->vdev = vdev;
	priv->nr_ranges = get_dma_buf.nr_ranges;
	priv->size = length;
	snprintf(priv->who, sizeof(priv->who), "vfio-pci %s dma-buf",
		 pci_name(vdev->pdev));
	ret = vdev->pci_ops->get_dmabuf_phys(vdev, &priv->provider,
					     get_dma_buf.region_index,
					     priv->phys_vec, dma_ranges,
					     priv->nr_ranges);
	if (ret)
		goto err_free_phys;

	sim_kfree(m, dma_ranges);
	dma_ranges = NULL;

	if (!vfio_device_try_get_registration(&vdev->vdev)) {
		ret = -ENODEV;
		goto err_free_phys;
	}

	exp_info.exp_name = "vfio_pci_dmabuf";
	exp_info.ops = &vfio_pci_dmabuf_ops;
	exp_info.size = priv->size;
	exp_info.flags = (int)get_dma_buf.open_flags;
	exp_info.priv = priv;
	exp_info.sim = m;

	priv->dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(priv->dmabuf)) {
		ret = (int)PTR_ERR(priv->dmabuf);
		goto err_dev_put;
	}

	/* dma_buf_put() now frees priv, and drops the registration reference */
	dmabuf_track(m, priv, true);
	vfio_pci_memory_lock_write(vdev);
	dma_resv_lock(priv->dmabuf->resv, NULL);
	__atomic_store_n(&priv->revoked, !__vfio_pci_memory_enabled(vdev),
			 __ATOMIC_RELAXED);
	dmabuf_mark_ranges(priv, priv->revoked);
	/* at the tail: revokes go in creation order */
	list_add_tail(&priv->dmabufs_elm, &vdev->dmabufs);
	dma_resv_unlock(priv->dmabuf->resv);
	vfio_pci_memory_unlock_write(vdev);

	/*
	 * dma_buf_fd() consumes the reference; when the fd closes the buffer
	 * is released.
	 */
	ret = dma_buf_fd(priv->dmabuf, (int)get_dma_buf.open_flags);
	if (ret < 0)
		dma_buf_put(priv->dmabuf);
	return ret;

err_dev_put:
	vfio_device_put_registration(&vdev->vdev);
err_free_phys:
	sim_kfree(m, priv->phys_vec);
err_free_priv:
	sim_kfree(m, priv);
err_free_ranges:
	sim_kfree(m, dma_ranges);
	return ret;
}

/**
 * vfio_pci_dma_buf_move - revoke (@revoked) or restore every export
 * @vdev: the device; its memory_lock held for write by the caller
 *
 * For each export whose release has not started and whose state changes:
 * under its reservation lock, set the state and move_notify the importers
 * (they unmap; their next map gets -ENODEV while revoked).
 */
/*
 * Tell the machine about every live export's ranges at once. Exports of
 * one device may overlap, and the machine records ranges, not exports: a
 * range marked for one export while another export of it is still usable
 * would name that one's importers. So a restore forgets the ranges before
 * any export is usable again, and a revoke records them once none is.
 */
static void dmabuf_mark_all(struct vfio_pci_core_device *vdev, bool revoked)
{
	struct vfio_pci_dma_buf *priv;

	list_for_each_entry(priv, &vdev->dmabufs, dmabufs_elm) {
		dma_resv_lock(priv->dmabuf->resv, NULL);
		if (!priv->dying)
			dmabuf_mark_ranges(priv, revoked);
		dma_resv_unlock(priv->dmabuf->resv);
	}
}

void vfio_pci_dma_buf_move(struct vfio_pci_core_device *vdev, bool revoked)
{
	struct vfio_pci_dma_buf *priv, *tmp;

	if (!vfio_pci_memory_write_locked_by_me(vdev))
		SIM_WARN(vdev->sim, &vdev->pdev->dev,
			 "vfio_pci_dma_buf_move: memory_lock not held for write");

	if (!revoked)
		dmabuf_mark_all(vdev, false);
	list_for_each_entry_safe(priv, tmp, &vdev->dmabufs, dmabufs_elm) {
		dma_resv_lock(priv->dmabuf->resv, NULL);
		if (!priv->dying && priv->revoked != revoked) {
			__atomic_store_n(&priv->revoked, revoked,
					 __ATOMIC_RELAXED);
			dma_buf_move_notify(priv->dmabuf);
		}
		dma_resv_unlock(priv->dmabuf->resv);
	}
	if (revoked)
		dmabuf_mark_all(vdev, true);
}

/**
 * vfio_pci_dma_buf_cleanup - revoke every export for good (device close)
 *
 * Each export whose release has not started is revoked with a
 * move_notify; once none is usable, each leaves the list, forgets the
 * device, has its ranges recorded as revoked, and its registration
 * reference goes. (Recording one export's ranges while another export of
 * the same MMIO is still usable would name that one's importers, as
 * vfio_pci_dma_buf_move() avoids too.) Its fd stays valid: map and attach
 * fail with -ENODEV until the last reference goes and the release op
 * frees it. Takes memory_lock.
 */
void vfio_pci_dma_buf_cleanup(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_dma_buf *priv, *tmp;

	vfio_pci_memory_lock_write(vdev);
	list_for_each_entry(priv, &vdev->dmabufs, dmabufs_elm) {
		dma_resv_lock(priv->dmabuf->resv, NULL);
		/* a dying one: its release op waits for memory_lock to unlink it */
		if (!priv->dying) {
			__atomic_store_n(&priv->revoked, true, __ATOMIC_RELAXED);
			dma_buf_move_notify(priv->dmabuf);
		}
		dma_resv_unlock(priv->dmabuf->resv);
	}
	list_for_each_entry_safe(priv, tmp, &vdev->dmabufs, dmabufs_elm) {
		dma_resv_lock(priv->dmabuf->resv, NULL);
		if (priv->dying) {
			dma_resv_unlock(priv->dmabuf->resv);
			continue;
		}
		list_del_init(&priv->dmabufs_elm);
		priv->vdev = NULL;
		dmabuf_mark_ranges(priv, true);
		dma_resv_unlock(priv->dmabuf->resv);
		vfio_device_put_registration(&vdev->vdev);
	}
	vfio_pci_memory_unlock_write(vdev);
}

/**
 * sim_vfio_pci_dma_buf_count - exports on @vdev's list whose release has
 * not started (one being released stays on the list until its release op
 * gets memory_lock). Takes memory_lock, then each reservation lock.
 */
unsigned int sim_vfio_pci_dma_buf_count(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_dma_buf *priv;
	unsigned int n = 0;

	vfio_pci_memory_lock_write(vdev);
	list_for_each_entry(priv, &vdev->dmabufs, dmabufs_elm) {
		dma_resv_lock(priv->dmabuf->resv, NULL);
		n += !priv->dying;
		dma_resv_unlock(priv->dmabuf->resv);
	}
	vfio_pci_memory_unlock_write(vdev);
	return n;
}

/**
 * sim_vfio_pci_dma_buf_usable_while_off - exports importers could map
 * although the BARs do not decode
 * @vdev: the device
 *
 * The invariant memory_lock keeps: whenever memory does not decode (the
 * command register's memory bit off, D3hot, or in reset), every export
 * on the list is revoked. Checked under memory_lock held for read, which
 * every change of decoding and every restore hold for write. Takes
 * memory_lock (read), then each export's reservation lock.
 *
 * Return: how many exports break it (0 unless the locking is broken).
 */
unsigned int sim_vfio_pci_dma_buf_usable_while_off(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_dma_buf *priv;
	unsigned int n = 0;

	down_read(&vdev->memory_lock);
	if (!__vfio_pci_memory_enabled(vdev)) {
		list_for_each_entry(priv, &vdev->dmabufs, dmabufs_elm) {
			/* one being released has no importer left: skipped */
			dma_resv_lock(priv->dmabuf->resv, NULL);
			n += !priv->dying && !priv->revoked;
			dma_resv_unlock(priv->dmabuf->resv);
		}
	}
	up_read(&vdev->memory_lock);
	return n;
}

/**
 * vfio_pci_dma_buf_exit_machine - the machine goes: every export the
 * program left alive (an fd, an importer's reference) is reported and
 * released through the dma-buf layer (importers' mappings unmapped and
 * attachments detached through this exporter, then its release op)
 * @m: the machine, shutting down (single-threaded); the devices are
 *	closed already, so no export is on a device's list
 */
void vfio_pci_dma_buf_exit_machine(struct sim_machine *m)
{
	struct sim_vfio *v = m->kernel->vfio;
	struct vfio_pci_dma_buf *priv, *tmp;

	/* the release op takes each off the list */
	list_for_each_entry_safe(priv, tmp, &v->exports, machine_elm)
		dma_buf_exit_release(priv->dmabuf);
}
