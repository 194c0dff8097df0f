// SPDX-License-Identifier: MIT
/*
 * vfio-pci core (drivers/vfio/pci/vfio_pci_core.c, vfio_pci_config.c and
 * the parts of drivers/vfio/vfio_main.c it needs): a vfio_pci_core_device
 * over a PCI function of the machine, registration with its reference
 * count, open/close with IOMMU DMA ownership, region info, config space
 * writes, function and hot reset, runtime PM entry/exit and the
 * VFIO_DEVICE_FEATURE entry point with the DMA_BUF feature.
 *
 * Every path that stops the BARs from decoding holds memory_lock for write
 * and revokes the dma-buf exports before the change (memory disable,
 * D3hot, FLR, reset, hot reset, low power entry), and restores them after
 * it when memory decodes again - the hunks of the seed, in its order.
 *
 * Beyond Linux: the machine's PCI notifier (sim_pci_set_notifier()) tells
 * the device about memory-disable, D3hot and resets that did not come
 * through VFIO (a driver or test calling pci_write_config_word() or
 * pcie_flr() on the pci_dev, or the close path's own disable). Linux has
 * no such hook: there, only VFIO's own paths revoke, and a change made
 * behind VFIO's back leaves importers with MMIO that stops answering.
 * Here the notifier revokes before such a change (it is delivered while
 * the BARs still decode) and restores after it, under memory_lock like
 * the VFIO paths. Changes VFIO makes itself arrive with memory_lock held
 * by the same thread and are left to the path that made them.
 *
 * Simplifications, documented: memory "enabled" is the function's real
 * command register and power state (VFIO's virtual command register always
 * mirrors the memory bit it passes through); runtime PM is suspended from
 * LOW_POWER_ENTRY until LOW_POWER_EXIT (Linux resumes the device around
 * each ioctl); a device set is every function below the bridge one
 * secondary bus reset reaches (below a switch: its upstream port).
 */
#include <string.h>
#include "internal.h"

/* ---- user memory ------------------------------------------------------- */

/**
 * vfio_copy_from_user - copy_from_user() on a user buffer of @avail bytes
 *
 * Return: 0, or -EFAULT when @n bytes are not all readable.
 */
int vfio_copy_from_user(void *dst, const void *uptr, size_t n, size_t avail)
{
	if (!uptr || n > avail)
		return -EFAULT;
	memcpy(dst, uptr, n);
	return 0;
}

static int vfio_copy_to_user(void *uptr, size_t avail, const void *src,
			     size_t n)
{
	if (!uptr || n > avail)
		return -EFAULT;
	memcpy(uptr, src, n);
	return 0;
}

/* ---- memory_lock ------------------------------------------------------- */

void vfio_pci_memory_lock_write(struct vfio_pci_core_device *vdev)
{
	pthread_rwlock_wrlock(&vdev->memory_lock);
	__atomic_store_n(&vdev->memory_lock_writer,
			 (unsigned long)sim_thread_pointer(), __ATOMIC_RELAXED);
}

static bool vfio_pci_memory_trylock_write(struct vfio_pci_core_device *vdev)
{
	if (pthread_rwlock_trywrlock(&vdev->memory_lock))
		return false;
	__atomic_store_n(&vdev->memory_lock_writer,
			 (unsigned long)sim_thread_pointer(), __ATOMIC_RELAXED);
	return true;
}

void vfio_pci_memory_unlock_write(struct vfio_pci_core_device *vdev)
{
	__atomic_store_n(&vdev->memory_lock_writer, 0UL, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&vdev->memory_lock);
}

/*
 * Only the holder can see its own thread pointer here; any other thread
 * reads 0 or another holder's, so a relaxed load answers correctly.
 */
bool vfio_pci_memory_write_locked_by_me(struct vfio_pci_core_device *vdev)
{
	return __atomic_load_n(&vdev->memory_lock_writer, __ATOMIC_RELAXED) ==
	       (unsigned long)sim_thread_pointer();
}

/* Do the BARs decode? (The function's command register and power state.) */
bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd = 0;

	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	return pdev->current_state < PCI_D3hot && (cmd & PCI_COMMAND_MEMORY);
}

/* Restore the exports once the change is over, if memory decodes. */
static void vfio_pci_restore_and_unlock(struct vfio_pci_core_device *vdev)
{
	if (__vfio_pci_memory_enabled(vdev))
		vfio_pci_dma_buf_move(vdev, false);
	vfio_pci_memory_unlock_write(vdev);
}

/* ---- registration ------------------------------------------------------ */

bool vfio_device_try_get_registration(struct vfio_device *device)
{
	int old = __atomic_load_n(&device->refcount, __ATOMIC_RELAXED);

	/* refcount_inc_not_zero() */
	do {
		if (old <= 0)
			return false;
	} while (!__atomic_compare_exchange_n(&device->refcount, &old, old + 1,
					      true, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return true;
}

void vfio_device_put_registration(struct vfio_device *device)
{
	int old = __atomic_fetch_sub(&device->refcount, 1, __ATOMIC_RELEASE);

	/* the kernel's completion is the count itself: unregister reads it */
	if (old <= 0) {
		struct pci_dev *pdev = to_pci_dev(device->dev);

		SIM_BUG(device->dev->sim, device->dev,
			"vfio_device_put_registration: %s: registration count underflow",
			pdev ? pci_name(pdev) : "?");
		__atomic_fetch_add(&device->refcount, 1, __ATOMIC_RELAXED);
	}
}

int vfio_device_registration_count(struct vfio_device *device)
{
	return __atomic_load_n(&device->refcount, __ATOMIC_ACQUIRE);
}

/* ---- the machine's notifier --------------------------------------------- */

/*
 * A change of @pdev's decoding that did not come through VFIO: revoke
 * before it (MEMORY_DISABLE, D3HOT, FLR_START arrive while the BARs still
 * decode), restore after it (MEMORY_ENABLE, D0, FLR_DONE) if memory
 * decodes and low power was not entered through VFIO.
 */
static void vfio_pci_notifier(struct pci_dev *pdev, enum sim_pci_event ev,
			      void *data)
{
	struct vfio_pci_core_device *vdev = data;

	/* the event comes from the function: read its power state back */
	pdev->current_state = sim_pci_fn_power(pdev->sim);
	/* VFIO's own change: the path holding memory_lock handles it */
	if (vfio_pci_memory_write_locked_by_me(vdev))
		return;

	vfio_pci_memory_lock_write(vdev);
	switch (ev) {
	case SIM_PCI_MEMORY_DISABLE:
	case SIM_PCI_D3HOT:
	case SIM_PCI_FLR_START:
		vfio_pci_dma_buf_move(vdev, true);
		break;
	case SIM_PCI_MEMORY_ENABLE:
	case SIM_PCI_D0:
	case SIM_PCI_FLR_DONE:
		if (!vdev->pm_runtime_engaged &&
		    __vfio_pci_memory_enabled(vdev))
			vfio_pci_dma_buf_move(vdev, false);
		break;
	}
	vfio_pci_memory_unlock_write(vdev);
}

/* ---- creation and registration ----------------------------------------- */

/**
 * vfio_pci_core_alloc_device - vfio_alloc_device() + vfio_pci_core_init_dev()
 * @size: bytes, at least sizeof(struct vfio_pci_core_device), which must
 *	be the first member of a variant's struct
 * @dev: a PCI function of the machine (sim_device())
 * @pci_ops: the variant's ops, NULL for none (the dma-buf feature is then
 *	-EOPNOTSUPP)
 *
 * P2PDMA is set up for the function (the seed: P2P is always on for VFIO
 * devices; -EOPNOTSUPP from pcim_p2pdma_init() would not be fatal).
 *
 * Return: the zeroed device, or ERR_PTR(-EINVAL) (not PCI, @size too
 * small), ERR_PTR(-ENOMEM). The caller owns it until vfio_put_device().
 */
void *vfio_pci_core_alloc_device(size_t size, struct device *dev,
				 const struct vfio_pci_device_ops *pci_ops)
{
	struct pci_dev *pdev = dev ? to_pci_dev(dev) : NULL;
	struct vfio_pci_core_device *vdev;
	int ret;

	if (!pdev || !dev->sim || size < sizeof(*vdev))
		return ERR_PTR(-EINVAL);
	vdev = sim_kzalloc(dev->sim, size);
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	vdev->vdev.dev = dev;
	vdev->pdev = pdev;
	vdev->sim = dev->sim;
	vdev->pci_ops = pci_ops;
	vdev->driver_name = "vfio-pci";

	ret = pcim_p2pdma_init(pdev);
	if (ret && ret != -EOPNOTSUPP)
		goto err_free;
	if (pthread_rwlock_init(&vdev->memory_lock, NULL)) {
		ret = -ENOMEM;
		goto err_free;
	}
	return vdev;

err_free:
	sim_kfree(dev->sim, vdev);
	return ERR_PTR(ret);
}

/**
 * vfio_put_device - free a device from vfio_pci_core_alloc_device()
 *
 * It must not be registered (a BUG is reported and nothing is freed).
 */
void vfio_put_device(struct vfio_device *device)
{
	struct vfio_pci_core_device *vdev;

	if (!device)
		return;
	vdev = (struct vfio_pci_core_device *)device;
	if (device->registered) {
		SIM_BUG(vdev->sim, device->dev,
			"vfio_put_device: %s is still registered",
			pci_name(vdev->pdev));
		return;
	}
	pthread_rwlock_destroy(&vdev->memory_lock);
	sim_kfree(vdev->sim, vdev);
}

/**
 * vfio_pci_core_register_device - make @vdev available to users
 *
 * The registration holds the first registration reference, and the
 * machine's PCI notifier of the function is VFIO's from now on.
 *
 * Return: 0, -EBUSY (already registered, or the function has another
 * notifier).
 */
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)
{
	int ret;

	if (vdev->vdev.registered)
		return -EBUSY;
	ret = sim_pci_set_notifier(vdev->pdev, vfio_pci_notifier, vdev);
	if (ret)
		return ret;
	vdev->reset_works = pcie_has_flr(vdev->pdev);
	__atomic_store_n(&vdev->vdev.refcount, 1, __ATOMIC_RELEASE);
	vdev->vdev.registered = true;
	/* bound: reports name the device by the VFIO driver */
	vdev->unbound_name = vdev->pdev->dev.driver_name;
	vdev->pdev->dev.driver_name = vdev->driver_name;
	return 0;
}

/**
 * vfio_pci_core_unregister_device - take @vdev away from users
 *
 * Drops the registration's own reference; the kernel then waits until
 * every other one (open device fds, dma-buf exports) is gone. There are
 * no other threads to wait for here: if references remain, that is
 * reported as a BUG and the device stays registered (the reference is
 * taken back), so the caller can close and retry.
 *
 * Return: 0, -EINVAL (not registered), -EBUSY (references remain).
 */
int vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	int left;

	if (!vdev->vdev.registered)
		return -EINVAL;
	vfio_device_put_registration(&vdev->vdev);
	left = vfio_device_registration_count(&vdev->vdev);
	if (left) {
		SIM_BUG(vdev->sim, &vdev->pdev->dev,
			"vfio_unregister_group_dev: %s: %d registration reference(s) remain; unregistration would wait forever",
			pci_name(vdev->pdev), left);
		__atomic_fetch_add(&vdev->vdev.refcount, 1, __ATOMIC_RELAXED);
		return -EBUSY;
	}
	sim_pci_set_notifier(vdev->pdev, NULL, NULL);
	vdev->vdev.registered = false;
	vdev->pdev->dev.driver_name = vdev->unbound_name;
	return 0;
}

/* ---- open and close ---------------------------------------------------- */

/**
 * vfio_pci_core_open_device - a user opens the device (its fd)
 *
 * The fd holds a registration reference. With a translating IOMMU the
 * device's group is claimed for user DMA (iommu_group_claim_dma_owner():
 * the group is blocked until the user attaches a domain). Then
 * vfio_pci_core_enable(): D0, memory decoding on, a function reset when
 * one works.
 *
 * Return: 0, -ENODEV (not registered), -EBUSY (already open), or the
 * ownership claim's error (-EPERM: another owner).
 */
int vfio_pci_core_open_device(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct iommu_group *group;
	int ret;

	if (!vdev->vdev.registered)
		return -ENODEV;
	if (vdev->vdev.open_count)
		return -EBUSY;
	if (!vfio_device_try_get_registration(&vdev->vdev))
		return -ENODEV;

	group = iommu_group_get(&pdev->dev);
	if (group) {
		ret = iommu_group_claim_dma_owner(group, vdev);
		if (ret)
			goto err_put_registration;
		vdev->group = group;
	}

	/* vfio_pci_core_enable(): nothing is exported yet */
	vfio_pci_memory_lock_write(vdev);
	pci_set_power_state(pdev, PCI_D0);
	pci_enable_device_mem(pdev);
	if (vdev->reset_works)
		vdev->reset_works = !pci_reset_function(pdev);
	vdev->vdev.open_count = 1;
	vfio_pci_memory_unlock_write(vdev);
	return 0;

err_put_registration:
	vfio_device_put_registration(&vdev->vdev);
	return ret;
}

/**
 * vfio_pci_core_close_device - the user's fd closes
 *
 * vfio_pci_core_disable() (exports revoked, leave low power, stop DMA,
 * reset, disable memory decoding), then every export is revoked for good
 * (vfio_pci_dma_buf_cleanup(): their fds stay open, but nothing maps
 * them again), DMA ownership goes back, and the fd's registration
 * reference goes.
 */
void vfio_pci_core_close_device(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (!vdev->vdev.open_count)
		return;

	/*
	 * vfio_pci_core_disable(): leave low power, stop DMA, reset, disable
	 * decoding. The kernel does this without memory_lock, with the
	 * exports still live until the cleanup below; here they are revoked
	 * first, and the lock keeps the machine's notifier out of it.
	 */
	vfio_pci_memory_lock_write(vdev);
	vfio_pci_dma_buf_move(vdev, true);
	if (vdev->pm_runtime_engaged) {
		vdev->pm_runtime_engaged = false;
		pci_set_power_state(pdev, PCI_D0);
	}
	pci_clear_master(pdev);
	if (vdev->reset_works)
		pci_reset_function(pdev);
	pci_disable_device(pdev);
	vdev->vdev.open_count = 0;
	vfio_pci_memory_unlock_write(vdev);

	vfio_pci_dma_buf_cleanup(vdev);

	if (vdev->group) {
		iommu_group_release_dma_owner(vdev->group);
		vdev->group = NULL;
	}
	vfio_device_put_registration(&vdev->vdev);
}

/* ---- config space ------------------------------------------------------ */

/*
 * The value register [@reg, @reg + @len) gets from a write of @count
 * bytes of @buf at @pos: its current bytes with the written ones over them.
 */
static u32 merged_reg(struct pci_dev *pdev, int reg, int len, int pos,
		      const u8 *buf, int count)
{
	u8 b[4] = { 0 };
	u32 v = 0;

	for (int i = 0; i < len; i++) {
		int at = reg + i;

		if (at >= pos && at < pos + count)
			b[i] = buf[at - pos];
		else
			pci_read_config_byte(pdev, at, &b[i]);
	}
	for (int i = len - 1; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static bool overlaps(int pos, int count, int reg, int len)
{
	return reg && pos < reg + len && pos + count > reg;
}

/* The whole write, as the user made it, to the function. */
static void config_write_through(struct pci_dev *pdev, int pos,
				 const u8 *buf, int count)
{
	u16 w;
	u32 d;

	switch (count) {
	case 1:
		pci_write_config_byte(pdev, pos, buf[0]);
		break;
	case 2:
		memcpy(&w, buf, 2);
		pci_write_config_word(pdev, pos, w);
		break;
	default:
		memcpy(&d, buf, 4);
		pci_write_config_dword(pdev, pos, d);
		break;
	}
}

/* Clear @mask in register @reg's bytes within the written @buf. */
static void clear_written_bits(u8 *buf, int pos, int count, int reg, u32 mask)
{
	for (int i = 0; i < 4; i++, mask >>= 8) {
		int at = reg + i;

		if (at >= pos && at < pos + count)
			buf[at - pos] &= (u8)~(mask & 0xff);
	}
}

/*
 * A function reset requested through config space (PCIe DevCtl initiate
 * FLR, AF FLR): revoke, reset, restore (vfio_exp/af_config_write()).
 */
static void vfio_pci_config_flr(struct vfio_pci_core_device *vdev)
{
	vfio_pci_memory_lock_write(vdev);
	vfio_pci_dma_buf_move(vdev, true);
	pci_reset_function(vdev->pdev);
	vfio_pci_restore_and_unlock(vdev);
}

static int vfio_pci_config_write(struct vfio_pci_core_device *vdev, int pos,
				 const u8 *ubuf, int count)
{
	struct pci_dev *pdev = vdev->pdev;
	int pm = pci_find_capability(pdev, PCI_CAP_ID_PM);
	int exp = pci_find_capability(pdev, PCI_CAP_ID_EXP);
	int af = pci_find_capability(pdev, PCI_CAP_ID_AF);
	u8 buf[4];

	memcpy(buf, ubuf, count);

	if (overlaps(pos, count, PCI_COMMAND, 2)) {
		/* vfio_basic_config_write(): memory off revokes first */
		u16 new_cmd = merged_reg(pdev, PCI_COMMAND, 2, pos, buf, count);

		vfio_pci_memory_lock_write(vdev);
		if (!(new_cmd & PCI_COMMAND_MEMORY))
			vfio_pci_dma_buf_move(vdev, true);
		config_write_through(pdev, pos, buf, count);
		vfio_pci_restore_and_unlock(vdev);
		return 0;
	}
	if (pm && overlaps(pos, count, pm + PCI_PM_CTRL, 2)) {
		/* vfio_lock_and_set_power_state() */
		u16 pmcsr = merged_reg(pdev, pm + PCI_PM_CTRL, 2, pos, buf,
				       count);
		pci_power_t state = pmcsr & PCI_PM_CTRL_STATE_MASK;

		vfio_pci_memory_lock_write(vdev);
		if (state >= PCI_D3hot)
			vfio_pci_dma_buf_move(vdev, true);
		config_write_through(pdev, pos, buf, count);
		vfio_pci_restore_and_unlock(vdev);
		return 0;
	}
	if (exp && overlaps(pos, count, exp + PCI_EXP_DEVCTL, 2)) {
		u16 devctl = merged_reg(pdev, exp + PCI_EXP_DEVCTL, 2, pos,
					buf, count);
		u32 cap = 0;

		pci_read_config_dword(pdev, exp + PCI_EXP_DEVCAP, &cap);
		/* the rest of the register as written; FLR through the reset */
		clear_written_bits(buf, pos, count, exp + PCI_EXP_DEVCTL,
				   PCI_EXP_DEVCTL_BCR_FLR);
		config_write_through(pdev, pos, buf, count);
		if ((devctl & PCI_EXP_DEVCTL_BCR_FLR) &&
		    (cap & PCI_EXP_DEVCAP_FLR))
			vfio_pci_config_flr(vdev);
		return 0;
	}
	if (af && overlaps(pos, count, af + PCI_AF_CTRL, 1)) {
		u8 ctrl = merged_reg(pdev, af + PCI_AF_CTRL, 1, pos, buf,
				     count);
		u8 cap = 0;

		pci_read_config_byte(pdev, af + PCI_AF_CAP, &cap);
		clear_written_bits(buf, pos, count, af + PCI_AF_CTRL,
				   PCI_AF_CTRL_FLR);
		config_write_through(pdev, pos, buf, count);
		if ((ctrl & PCI_AF_CTRL_FLR) && (cap & PCI_AF_CAP_FLR) &&
		    (cap & PCI_AF_CAP_TP))
			vfio_pci_config_flr(vdev);
		return 0;
	}
	config_write_through(pdev, pos, buf, count);
	return 0;
}

/* Config accesses of 1, 2 or 4 naturally aligned bytes (no splitting). */
static int config_access_ok(u64 off, size_t count)
{
	if ((count != 1 && count != 2 && count != 4) || off % count ||
	    off + count > 4096)
		return -EINVAL;
	return 0;
}

/* BAR accesses: under memory_lock (read), only while memory decodes. */
static ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, int bar,
			       void *buf, size_t count, u64 off, bool write)
{
	u64 len = pci_resource_len(vdev->pdev, bar);
	phys_addr_t start = pci_resource_start(vdev->pdev, bar);
	int ret;

	if (!len || off >= len || count > len - off)
		return -EINVAL;
	pthread_rwlock_rdlock(&vdev->memory_lock);
	if (!__vfio_pci_memory_enabled(vdev)) {
		pthread_rwlock_unlock(&vdev->memory_lock);
		return -EIO;
	}
	ret = write ? sim_mmio_write(vdev->sim, start + off, buf, count) :
		      sim_mmio_read(vdev->sim, start + off, buf, count);
	pthread_rwlock_unlock(&vdev->memory_lock);
	return ret ? ret : (ssize_t)count;
}

/**
 * vfio_pci_core_read - read(2) on the open device fd
 * @pos: VFIO_PCI_INDEX_TO_OFFSET(region) + offset in the region
 *
 * Return: @count, -EINVAL (region, size or alignment), -EIO (BAR not
 * decoding).
 */
ssize_t vfio_pci_core_read(struct vfio_pci_core_device *vdev, void *buf,
			   size_t count, u64 pos)
{
	u64 index = VFIO_PCI_OFFSET_TO_INDEX(pos);
	u64 off = pos & VFIO_PCI_OFFSET_MASK;

	if (!vdev->vdev.open_count)
		return -EINVAL;
	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return vfio_pci_bar_rw(vdev, (int)index, buf, count, off,
				       false);
	if (index != VFIO_PCI_CONFIG_REGION_INDEX ||
	    config_access_ok(off, count))
		return -EINVAL;
	for (size_t i = 0; i < count; i++)
		pci_read_config_byte(vdev->pdev, (int)(off + i),
				     (u8 *)buf + i);
	return (ssize_t)count;
}

/**
 * vfio_pci_core_write - write(2) on the open device fd
 *
 * Config space writes go to the function, with VFIO's handling of the
 * command register's memory bit, PM control (D3hot), PCIe DevCtl initiate
 * FLR and AF FLR: memory_lock held for write around the change, exports
 * revoked before it when memory stops decoding and restored after it
 * when memory decodes. BAR writes reach the BAR while it decodes.
 *
 * Return: @count, -EINVAL, -EIO.
 */
ssize_t vfio_pci_core_write(struct vfio_pci_core_device *vdev,
			    const void *buf, size_t count, u64 pos)
{
	u64 index = VFIO_PCI_OFFSET_TO_INDEX(pos);
	u64 off = pos & VFIO_PCI_OFFSET_MASK;
	int ret;

	if (!vdev->vdev.open_count)
		return -EINVAL;
	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return vfio_pci_bar_rw(vdev, (int)index, (void *)buf, count,
				       off, true);
	if (index != VFIO_PCI_CONFIG_REGION_INDEX)
		return -EINVAL;
	ret = config_access_ok(off, count);
	if (ret)
		return ret;
	ret = vfio_pci_config_write(vdev, (int)off, buf, (int)count);
	return ret ? ret : (ssize_t)count;
}

/* ---- ioctls ------------------------------------------------------------ */

static long vfio_pci_ioctl_get_region_info(struct vfio_pci_core_device *vdev,
					   void *arg, size_t avail)
{
	const size_t minsz = offsetof(struct vfio_region_info, offset) +
			     sizeof(u64);
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_region_info info;
	int ret;

	ret = vfio_copy_from_user(&info, arg, minsz, avail);
	if (ret)
		return ret;
	if (info.argsz < minsz)
		return -EINVAL;

	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
		info.size = 4096;	/* PCIe: extended config space */
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
		info.size = pci_resource_len(pdev, (int)info.index);
		if (!info.size) {
			info.flags = 0;
			break;
		}
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		if ((pci_resource_flags(pdev, (int)info.index) &
		     IORESOURCE_MEM) && info.size >= PAGE_SIZE)
			info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		/* the machine's functions have no expansion ROM */
		info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
		info.size = 0;
		info.flags = 0;
		break;
	default:
		/* VGA only for VGA devices; no device-specific regions */
		return -EINVAL;
	}
	return vfio_copy_to_user(arg, avail, &info, minsz);
}

/* VFIO_DEVICE_RESET: a function reset in D0, exports revoked around it. */
static long vfio_pci_ioctl_reset(struct vfio_pci_core_device *vdev)
{
	int ret;

	if (!vdev->reset_works)
		return -EINVAL;

	vfio_pci_memory_lock_write(vdev);
	/*
	 * This function can be invoked while the power state is non-D0; a
	 * reset needs D0 (and then puts the function in D0 anyway).
	 */
	pci_set_power_state(vdev->pdev, PCI_D0);
	vfio_pci_dma_buf_move(vdev, true);
	ret = pci_reset_function(vdev->pdev);
	vfio_pci_restore_and_unlock(vdev);
	return ret;
}

/*
 * The bridge whose secondary bus reset covers @pdev: the switch's upstream
 * port below a switch (every function of the switch), else the root port.
 */
static struct pci_dev *vfio_pci_reset_bridge(struct pci_dev *pdev)
{
	struct pci_dev *port = pci_upstream_bridge(pdev), *up;

	if (!port)
		return NULL;
	up = pci_upstream_bridge(port);
	if (up && up->sim->node->kind == SIM_NODE_SWITCH_UP)
		return up;
	return port;
}

/* The VFIO device of @pdev, if it is one (its notifier is VFIO's). */
static struct vfio_pci_core_device *vfio_pci_of(struct pci_dev *pdev)
{
	if (pdev->sim->notify != vfio_pci_notifier)
		return NULL;
	return pdev->sim->notify_data;
}

#define VFIO_DEV_SET_MAX	32

struct vfio_dev_set {
	struct vfio_pci_core_device *dev[VFIO_DEV_SET_MAX];
	unsigned int nr;
	bool foreign;		/* a function below that is not VFIO's */
};

static void dev_set_collect(struct sim_node *n, struct vfio_dev_set *set)
{
	for (struct sim_node *c = n->first_child; c; c = c->next_sibling) {
		if (c->kind == SIM_NODE_ENDPOINT && c->fn) {
			struct vfio_pci_core_device *v = vfio_pci_of(&c->fn->pdev);

			if (!v || set->nr == VFIO_DEV_SET_MAX)
				set->foreign = true;
			else
				set->dev[set->nr++] = v;
		}
		dev_set_collect(c, set);
	}
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET (vfio_pci_dev_set_hot_reset()): every function
 * the bus reset reaches must be a VFIO device opened by the user; each one's
 * memory_lock is taken without waiting (contention: -EBUSY, unwound) and
 * its exports revoked, the bus is reset with each function's command
 * register saved and restored (pci_reset_bus()), then in reverse order
 * each restores its exports if memory decodes and unlocks.
 */
static long vfio_pci_ioctl_pci_hot_reset(struct vfio_pci_core_device *vdev,
					 void *arg, size_t avail)
{
	const size_t minsz = offsetof(struct vfio_pci_hot_reset, count) +
			     sizeof(u32);
	struct vfio_pci_hot_reset hdr;
	struct vfio_dev_set set = { .nr = 0 };
	u16 cmd[VFIO_DEV_SET_MAX];
	struct pci_dev *bridge;
	unsigned int locked = 0, i;
	int ret;

	ret = vfio_copy_from_user(&hdr, arg, minsz, avail);
	if (ret)
		return ret;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;
	/* no group fds here: only the iommufd (zero-length) form */
	if (hdr.count)
		return -EINVAL;
	bridge = vfio_pci_reset_bridge(vdev->pdev);
	if (!bridge)
		return -ENODEV;
	dev_set_collect(bridge->sim->node, &set);
	if (set.foreign)
		return -EINVAL;		/* not resettable by this user */

	for (i = 0; i < set.nr; i++) {
		struct vfio_pci_core_device *v = set.dev[i];

		/* the user must own every affected device */
		if (!v->vdev.open_count) {
			ret = -EINVAL;
			break;
		}
		if (!vfio_pci_memory_trylock_write(v)) {
			ret = -EBUSY;
			break;
		}
		locked++;
		vfio_pci_dma_buf_move(v, true);
	}
	if (!ret) {
		for (i = 0; i < set.nr; i++) {
			pci_set_power_state(set.dev[i]->pdev, PCI_D0);
			pci_read_config_word(set.dev[i]->pdev, PCI_COMMAND,
					     &cmd[i]);
		}
		ret = pci_bridge_secondary_bus_reset(bridge);
		for (i = 0; i < set.nr; i++)
			pci_write_config_word(set.dev[i]->pdev, PCI_COMMAND,
					      cmd[i]);
	}
	while (locked--)
		vfio_pci_restore_and_unlock(set.dev[locked]);
	return ret;
}

/* ---- runtime PM features ------------------------------------------------- */

static int vfio_pci_core_pm_entry(struct vfio_pci_core_device *vdev,
				  u32 flags, size_t argsz)
{
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
	if (ret != 1)
		return ret;

	vfio_pci_memory_lock_write(vdev);
	vfio_pci_dma_buf_move(vdev, true);
	if (vdev->pm_runtime_engaged) {
		/* already in low power: the exports were revoked then */
		vfio_pci_memory_unlock_write(vdev);
		return -EINVAL;
	}
	vdev->pm_runtime_engaged = true;
	/* the PM core suspends the now idle function: D3hot */
	pci_set_power_state(vdev->pdev, PCI_D3hot);
	vfio_pci_memory_unlock_write(vdev);
	return 0;
}

struct vfio_device_low_power_entry_with_wakeup {
	s32 wakeup_eventfd;
	u32 reserved;
};

static int vfio_pci_core_pm_entry_with_wakeup(struct vfio_pci_core_device *vdev,
					      u32 flags, const void *arg,
					      size_t avail, size_t argsz)
{
	struct vfio_device_low_power_entry_with_wakeup entry;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				 sizeof(entry));
	if (ret != 1)
		return ret;
	ret = vfio_copy_from_user(&entry, arg, sizeof(entry), avail);
	if (ret)
		return ret;
	if (entry.wakeup_eventfd < 0)
		return -EINVAL;
	/* the machine has no eventfds: eventfd_ctx_fdget() fails */
	return -EBADF;
}

static int vfio_pci_core_pm_exit(struct vfio_pci_core_device *vdev,
				 u32 flags, size_t argsz)
{
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
	if (ret != 1)
		return ret;

	vfio_pci_memory_lock_write(vdev);
	if (vdev->pm_runtime_engaged) {
		vdev->pm_runtime_engaged = false;
		pci_set_power_state(vdev->pdev, PCI_D0);
	}
	vfio_pci_restore_and_unlock(vdev);
	return 0;
}

/* vfio_pci_core_ioctl_feature(): the features vfio-pci implements. */
static int vfio_pci_core_ioctl_feature(struct vfio_pci_core_device *vdev,
				       u32 flags, const void *arg,
				       size_t avail, size_t argsz)
{
	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
		return vfio_pci_core_pm_entry(vdev, flags, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		return vfio_pci_core_pm_entry_with_wakeup(vdev, flags, arg,
							  avail, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return vfio_pci_core_pm_exit(vdev, flags, argsz);
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		/* not an SR-IOV PF: no VF token */
		return -ENOTTY;
	case VFIO_DEVICE_FEATURE_DMA_BUF:
		return vfio_pci_core_feature_dma_buf(vdev, flags, arg, avail,
						     argsz);
	default:
		return -ENOTTY;
	}
}

/*
 * vfio_ioctl_device_feature() (vfio_main.c): the header's checks, then the
 * core's features (migration and dirty logging: none here, -ENOTTY), then
 * the driver's.
 */
static int vfio_ioctl_device_feature(struct vfio_pci_core_device *vdev,
				     void *arg, size_t avail)
{
	const size_t minsz = offsetof(struct vfio_device_feature, flags) +
			     sizeof(u32);
	struct vfio_device_feature feature;
	const u8 *data = (const u8 *)arg + minsz;
	size_t data_avail = avail > minsz ? avail - minsz : 0;
	int ret;

	ret = vfio_copy_from_user(&feature, arg, minsz, avail);
	if (ret)
		return ret;
	if (feature.argsz < minsz)
		return -EINVAL;

	/* unknown flags */
	if (feature.flags &
	    ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
	      VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;

	/* GET & SET are mutually exclusive except with PROBE */
	if (!(feature.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_SET) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;

	switch (feature.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		return -ENOTTY;		/* no mig_ops */
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		return -ENOTTY;		/* no log_ops */
	default:
		return vfio_pci_core_ioctl_feature(vdev, feature.flags, data,
						   data_avail,
						   feature.argsz - minsz);
	}
}

/**
 * vfio_pci_core_ioctl - an ioctl on the open device's fd
 * @vdev: the device
 * @cmd: VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_RESET,
 *	VFIO_DEVICE_PCI_HOT_RESET or VFIO_DEVICE_FEATURE
 * @arg: the user's argument buffer (unused by VFIO_DEVICE_RESET)
 * @arg_len: bytes readable (and writable) at @arg
 *
 * Return: the ioctl's result: 0, an fd (the DMA_BUF feature), -EINVAL
 * (not open, bad argument), -ENOTTY (unknown command), -EFAULT, ...
 */
long vfio_pci_core_ioctl(struct vfio_pci_core_device *vdev, unsigned int cmd,
			 void *arg, size_t arg_len)
{
	/* the kernel's access_granted: only an open device has an fd */
	if (!vdev->vdev.open_count)
		return -EINVAL;

	switch (cmd) {
	case VFIO_DEVICE_GET_REGION_INFO:
		return vfio_pci_ioctl_get_region_info(vdev, arg, arg_len);
	case VFIO_DEVICE_RESET:
		return vfio_pci_ioctl_reset(vdev);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return vfio_pci_ioctl_pci_hot_reset(vdev, arg, arg_len);
	case VFIO_DEVICE_FEATURE:
		return vfio_ioctl_device_feature(vdev, arg, arg_len);
	default:
		return -ENOTTY;
	}
}
