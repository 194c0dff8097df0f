// SPDX-License-Identifier: MIT
/*
 * vfio-pci core (drivers/vfio/pci/vfio_pci_core.c, vfio_pci_config.c): a
 * vfio_pci_core_device over a PCI function of the machine, its
 * registration, enable/disable, region info, config space and BAR access
 * through user memory (<linux/uaccess.h>), function and hot reset,
 * runtime PM entry/exit and the driver features with the DMA_BUF one.
 * The device fd (open, close, the feature header) is the VFIO core's
 * (vfio_main.c).
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
 * Here the notifier takes memory_lock for write when such a change is
 * announced (while the BARs still decode), revokes, and holds the lock
 * across the register change until the change is done, then restores if
 * memory decodes: as a VFIO path, no export can be made (or restored) in
 * between and read "memory on" while the BAR stops decoding. Changes VFIO
 * makes itself arrive with memory_lock held by the same thread and are
 * left to the path that made them.
 *
 * Config space is read and written under the kernel's pci_lock
 * (src/kernel/pci/pci.c), never held while the notifier runs; the power
 * state VFIO tests is pci_dev.current_state, updated under it.
 *
 * Simplifications, documented: memory "enabled" is the function's real
 * command register and power state (VFIO's virtual command register always
 * mirrors the memory bit it passes through); runtime PM is suspended from
 * LOW_POWER_ENTRY until LOW_POWER_EXIT (Linux resumes the device around
 * each ioctl). A hot reset resets the bus the device is on, as the
 * kernel's pci_reset_bus(pdev->bus) does: the secondary bus of the port
 * directly above it (a root port, or the switch downstream port it sits
 * on), and what is below that bus. Devices on other downstream ports of
 * the same switch are not part of it.
 */
#include <string.h>
#include "internal.h"

/* ---- memory_lock ------------------------------------------------------- */

void vfio_pci_memory_lock_write(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
}

static bool vfio_pci_memory_trylock_write(struct vfio_pci_core_device *vdev)
{
	return down_write_trylock(&vdev->memory_lock);
}

void vfio_pci_memory_unlock_write(struct vfio_pci_core_device *vdev)
{
	up_write(&vdev->memory_lock);
}

/* Does the calling thread hold memory_lock for write? (Its lockdep map.) */
bool vfio_pci_memory_write_locked_by_me(struct vfio_pci_core_device *vdev)
{
	return lockdep_is_held_type(&vdev->memory_lock, 0);
}

/* Do the BARs decode? (The function's command register and power state.) */
bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd = 0;

	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	return pci_current_state(pdev) < PCI_D3hot && (cmd & PCI_COMMAND_MEMORY);
}

/* Restore the exports once the change is over, if memory decodes. */
static void vfio_pci_restore_and_unlock(struct vfio_pci_core_device *vdev)
{
	if (__vfio_pci_memory_enabled(vdev))
		vfio_pci_dma_buf_move(vdev, false);
	vfio_pci_memory_unlock_write(vdev);
}

/* ---- the machine's notifier --------------------------------------------- */

/* After a change: the exports come back if memory decodes (memory_lock held). */
static void vfio_pci_notifier_restore(struct vfio_pci_core_device *vdev)
{
	if (!vdev->pm_runtime_engaged && __vfio_pci_memory_enabled(vdev))
		vfio_pci_dma_buf_move(vdev, false);
}

/*
 * A change of @pdev's decoding that did not come through VFIO. The
 * announcements (MEMORY_DISABLE, D3HOT, FLR_START: the BARs still decode)
 * take memory_lock for write and revoke, and the lock stays held across
 * the register change; its close (CHANGE_DONE, FLR_DONE) restores if
 * memory decodes and low power was not entered through VFIO, and drops
 * it. MEMORY_ENABLE and D0 restore under the lock.
 */
static void vfio_pci_notifier(struct pci_dev *pdev, enum sim_pci_event ev,
			      void *data)
{
	struct vfio_pci_core_device *vdev = data;
	bool mine = vfio_pci_memory_write_locked_by_me(vdev);

	/* the event comes from the function: read its power state back */
	pci_sync_current_state(pdev);
	switch (ev) {
	case SIM_PCI_MEMORY_DISABLE:
	case SIM_PCI_D3HOT:
	case SIM_PCI_FLR_START:
		/* VFIO's own change: the path holding memory_lock handles it */
		if (mine)
			return;
		vfio_pci_memory_lock_write(vdev);
		vfio_pci_dma_buf_move(vdev, true);
		vdev->notifier_held = true;
		return;
	case SIM_PCI_CHANGE_DONE:
	case SIM_PCI_FLR_DONE:
		/* only the close of an announcement this thread took the lock for */
		if (!mine || !vdev->notifier_held)
			return;
		vdev->notifier_held = false;
		vfio_pci_notifier_restore(vdev);
		vfio_pci_memory_unlock_write(vdev);
		return;
	case SIM_PCI_MEMORY_ENABLE:
	case SIM_PCI_D0:
		if (mine)
			return;
		vfio_pci_memory_lock_write(vdev);
		vfio_pci_notifier_restore(vdev);
		vfio_pci_memory_unlock_write(vdev);
		return;
	}
}

/* ---- creation and registration ----------------------------------------- */

static struct vfio_pci_core_device *to_core(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfio_pci_core_device, vdev);
}

/**
 * vfio_pci_core_init_dev - ops->init of every vfio-pci driver
 * @core_vdev: the new device (vfio_alloc_device()) over a PCI function
 *
 * P2PDMA is set up for the function (the seed: P2P is always on for VFIO
 * devices; -EOPNOTSUPP from pcim_p2pdma_init() is not fatal).
 *
 * Return: 0, -EINVAL (not a PCI function), -ENOMEM.
 */
int vfio_pci_core_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_core(core_vdev);
	struct pci_dev *pdev = to_pci_dev(core_vdev->dev);
	int ret;

	if (!pdev)
		return -EINVAL;
	vdev->pdev = pdev;
	vdev->sim = core_vdev->dev->sim;
	ret = pcim_p2pdma_init(pdev);
	if (ret && ret != -EOPNOTSUPP)
		return ret;
	init_rwsem(&vdev->memory_lock);
	INIT_LIST_HEAD(&vdev->dmabufs);
	return 0;
}

/* ops->release: nothing the init left needs undoing but the lock's. */
void vfio_pci_core_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_core(core_vdev);

	WARN_ON(!list_empty(&vdev->dmabufs));
}

/**
 * vfio_pci_core_register_device - make @vdev available to users
 *
 * The registration holds the first registration reference, and the
 * machine's PCI notifier of the function is VFIO's from now on. A
 * function no driver is bound to is named by the VFIO driver (ops->name)
 * in reports while registered.
 *
 * Return: 0, -EINVAL (not a vfio-pci device), -EBUSY (already registered,
 * or the function has another notifier).
 */
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	if (!pdev)
		return -EINVAL;
	if (vdev->vdev.registered)
		return -EBUSY;
	ret = sim_pci_set_notifier(pdev, vfio_pci_notifier, vdev);
	if (ret)
		return ret;
	vdev->reset_works = pcie_has_flr(pdev);
	ret = vfio_register_group_dev(&vdev->vdev);
	if (ret) {
		sim_pci_set_notifier(pdev, NULL, NULL);
		return ret;
	}
	vdev->unbound_name = pdev->dev.driver_name;
	if (!pdev->dev.driver && vdev->vdev.ops->name)
		pdev->dev.driver_name = vdev->vdev.ops->name;
	return 0;
}

/**
 * vfio_pci_core_unregister_device - take @vdev away from users
 *
 * vfio_unregister_group_dev(): with references left (open fd, dma-buf
 * exports) that is a BUG and the device stays registered.
 */
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	vfio_unregister_group_dev(&vdev->vdev);
	if (vdev->vdev.registered)
		return;
	sim_pci_set_notifier(vdev->pdev, NULL, NULL);
	vdev->pdev->dev.driver_name = vdev->unbound_name;
}

/* ---- enable and disable ------------------------------------------------- */

/**
 * vfio_pci_core_enable - a user opens the device: D0, memory decoding on,
 * a function reset when one works
 *
 * Return: 0 (the machine's functions always enable).
 */
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	/* nothing is exported yet */
	vfio_pci_memory_lock_write(vdev);
	pci_set_power_state(pdev, PCI_D0);
	ret = pci_enable_device_mem(pdev);
	if (!ret && vdev->reset_works)
		vdev->reset_works = !pci_reset_function(pdev);
	vfio_pci_memory_unlock_write(vdev);
	return ret;
}

/* The open is complete (the kernel: eventfds, VGA, igd regions: none). */
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev)
{
	(void)vdev;
}

/**
 * vfio_pci_core_disable - leave low power, stop DMA, reset, disable
 * decoding
 *
 * The kernel does this without memory_lock; on close its exports are
 * already gone (vfio_pci_dma_buf_cleanup() ran first). Here the lock keeps
 * the machine's notifier out of it, and exports still on the list (none
 * after the close's cleanup but those whose release is under way, which
 * the move skips) would be revoked before the reset.
 */
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

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
	vfio_pci_memory_unlock_write(vdev);
}

/**
 * vfio_pci_core_close_device - ops->close_device: the user's fd closes
 *
 * In the kernel's order: first every export is revoked for good
 * (vfio_pci_dma_buf_cleanup(): one move_notify per importer; their fds
 * stay open, but nothing maps them again), then vfio_pci_core_disable()
 * resets the function with nothing left on the export list to notify.
 * The core then gives DMA ownership back and drops the fd's registration
 * reference.
 */
void vfio_pci_core_close_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_core(core_vdev);

	vfio_pci_dma_buf_cleanup(vdev);
	vfio_pci_core_disable(vdev);
}

/* ops->match: the function's name (the kernel adds the VF token). */
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf)
{
	return !strcmp(pci_name(to_core(core_vdev)->pdev), buf);
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

#define VFIO_PCI_BAR_CHUNK	256

/*
 * BAR accesses: under memory_lock (read), only while memory decodes,
 * through a kernel bounce buffer a chunk at a time (the kernel moves 1 to
 * 8 bytes at a time); the user's buffer must be user memory (-EFAULT).
 */
static ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, int bar,
			       char __user *buf, size_t count, u64 off,
			       bool write)
{
	u64 len = pci_resource_len(vdev->pdev, bar);
	phys_addr_t start = pci_resource_start(vdev->pdev, bar);
	u8 bounce[VFIO_PCI_BAR_CHUNK];
	size_t done = 0;
	int ret = 0;

	if (!len || off >= len || count > len - off)
		return -EINVAL;
	down_read(&vdev->memory_lock);
	if (!__vfio_pci_memory_enabled(vdev)) {
		up_read(&vdev->memory_lock);
		return -EIO;
	}
	while (done < count && !ret) {
		size_t n = min_t(size_t, count - done, sizeof(bounce));

		if (write) {
			if (copy_from_user(bounce, buf + done, n)) {
				ret = -EFAULT;
				break;
			}
			ret = sim_mmio_write(vdev->sim, start + off + done,
					     bounce, n);
		} else {
			ret = sim_mmio_read(vdev->sim, start + off + done,
					    bounce, n);
			if (!ret && copy_to_user(buf + done, bounce, n))
				ret = -EFAULT;
		}
		if (!ret)
			done += n;
	}
	up_read(&vdev->memory_lock);
	return ret ? ret : (ssize_t)count;
}

/**
 * vfio_pci_core_read - ops->read: read(2) on the open device fd
 * @ppos: VFIO_PCI_INDEX_TO_OFFSET(region) + offset in the region;
 *	advanced by what was read
 *
 * Return: @count, -EINVAL (region, size or alignment), -EIO (BAR not
 * decoding), -EFAULT (@buf is not user memory).
 */
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct vfio_pci_core_device *vdev = to_core(core_vdev);
	u64 index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	u64 off = (u64)*ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t ret;
	u8 val[4];

	if (index <= VFIO_PCI_BAR5_REGION_INDEX) {
		ret = vfio_pci_bar_rw(vdev, (int)index, buf, count, off,
				      false);
	} else {
		if (index != VFIO_PCI_CONFIG_REGION_INDEX ||
		    config_access_ok(off, count))
			return -EINVAL;
		for (size_t i = 0; i < count; i++)
			pci_read_config_byte(vdev->pdev, (int)(off + i),
					     &val[i]);
		ret = copy_to_user(buf, val, count) ? -EFAULT :
						      (ssize_t)count;
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/**
 * vfio_pci_core_write - ops->write: write(2) on the open device fd
 *
 * Config space writes go to the function, with VFIO's handling of the
 * command register's memory bit, PM control (D3hot), PCIe DevCtl initiate
 * FLR and AF FLR: memory_lock held for write around the change, exports
 * revoked before it when memory stops decoding and restored after it
 * when memory decodes. BAR writes reach the BAR while it decodes.
 *
 * Return: @count, -EINVAL, -EIO, -EFAULT.
 */
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev,
			    const char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct vfio_pci_core_device *vdev = to_core(core_vdev);
	u64 index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	u64 off = (u64)*ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t ret;
	u8 val[4];

	if (index <= VFIO_PCI_BAR5_REGION_INDEX) {
		ret = vfio_pci_bar_rw(vdev, (int)index, (char __user *)buf,
				      count, off, true);
	} else {
		if (index != VFIO_PCI_CONFIG_REGION_INDEX)
			return -EINVAL;
		ret = config_access_ok(off, count);
		if (ret)
			return ret;
		if (copy_from_user(val, buf, count))
			return -EFAULT;
		ret = vfio_pci_config_write(vdev, (int)off, val, (int)count);
		if (!ret)
			ret = (ssize_t)count;
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/* ---- ioctls ------------------------------------------------------------ */

static long vfio_pci_ioctl_get_region_info(struct vfio_pci_core_device *vdev,
					   struct vfio_region_info __user *arg)
{
	const size_t minsz = offsetof(struct vfio_region_info, offset) +
			     sizeof(u64);
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_region_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
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
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
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
 * The bridge whose secondary bus reset resets @pdev's bus (the kernel's
 * pdev->bus->self): the port directly above it, a root port or a switch
 * downstream port. NULL on a root bus.
 */
static struct pci_dev *vfio_pci_reset_bridge(struct pci_dev *pdev)
{
	return pci_upstream_bridge(pdev);
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
 * VFIO_DEVICE_PCI_HOT_RESET (vfio_pci_dev_set_hot_reset()): the reset set
 * is every function on @vdev's bus and below it (pci_reset_bus() of
 * pdev->bus; below a switch, only what hangs off the device's own
 * downstream port). Every function in it must be a VFIO device opened by
 * the user (the kernel: in the dev_set and owned by the caller); each one's
 * memory_lock is taken without waiting (contention: -EBUSY, unwound) and
 * its exports revoked, the bus is reset with each function's command
 * register saved and restored (pci_reset_bus()), then in reverse order
 * each restores its exports if memory decodes and unlocks.
 */
static long vfio_pci_ioctl_pci_hot_reset(struct vfio_pci_core_device *vdev,
					 struct vfio_pci_hot_reset __user *arg)
{
	const size_t minsz = offsetof(struct vfio_pci_hot_reset, count) +
			     sizeof(u32);
	struct vfio_pci_hot_reset hdr;
	struct vfio_dev_set set = { .nr = 0 };
	u16 cmd[VFIO_DEV_SET_MAX];
	struct pci_dev *bridge;
	unsigned int locked = 0, i;
	int ret = 0;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
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
		if (!__atomic_load_n(&v->vdev.open_count, __ATOMIC_ACQUIRE)) {
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

static int vfio_pci_core_pm_entry_with_wakeup(struct vfio_pci_core_device *vdev,
					      u32 flags,
					      struct vfio_device_low_power_entry_with_wakeup __user *arg,
					      size_t argsz)
{
	struct vfio_device_low_power_entry_with_wakeup entry;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				 sizeof(entry));
	if (ret != 1)
		return ret;
	if (copy_from_user(&entry, arg, sizeof(entry)))
		return -EFAULT;
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

/**
 * vfio_pci_core_ioctl_feature - ops->device_feature of vfio-pci drivers
 * @device: the open device
 * @flags: the feature ioctl's flags (the core checked its header)
 * @arg: the feature's data in user memory
 * @argsz: its size as the user gave it
 *
 * Return: the ioctl's result (an fd for DMA_BUF), -ENOTTY for features
 * vfio-pci does not have.
 */
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags,
				void __user *arg, size_t argsz)
{
	struct vfio_pci_core_device *vdev = to_core(device);

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
		return vfio_pci_core_pm_entry(vdev, flags, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		return vfio_pci_core_pm_entry_with_wakeup(vdev, flags, arg,
							  argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return vfio_pci_core_pm_exit(vdev, flags, argsz);
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		/* not an SR-IOV PF: no VF token */
		return -ENOTTY;
	case VFIO_DEVICE_FEATURE_DMA_BUF:
		return vfio_pci_core_feature_dma_buf(vdev, flags, arg, argsz);
	default:
		return -ENOTTY;
	}
}

/**
 * vfio_pci_core_ioctl - ops->ioctl of vfio-pci drivers
 * @core_vdev: the open device
 * @cmd: VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_RESET or
 *	VFIO_DEVICE_PCI_HOT_RESET
 * @arg: the user's argument (a pointer to user memory)
 *
 * Return: the ioctl's result: 0, -EINVAL (bad argument), -ENOTTY
 * (unknown command), -EFAULT, ...
 */
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct vfio_pci_core_device *vdev = to_core(core_vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_REGION_INFO:
		return vfio_pci_ioctl_get_region_info(vdev, uarg);
	case VFIO_DEVICE_RESET:
		return vfio_pci_ioctl_reset(vdev);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return vfio_pci_ioctl_pci_hot_reset(vdev, uarg);
	default:
		return -ENOTTY;
	}
}
