// SPDX-License-Identifier: MIT
/*
 * A kernel-style VFIO variant driver (tests/kernel/kvfio.c, built with the
 * dmastack-kernel include directory alone) on x86 with a strict and a lazy
 * IOMMU, arm64 with 64K granules and a confidential guest: the driver
 * binds to its function with pci_register_driver(), the harness plays the
 * user of the device fd (sim_vfio_*) and an importing device: the
 * DMA_BUF feature exports the variant's BAR, a peer below the same switch
 * and one across the host bridge import it dynamically and DMA into the
 * BAR, memory decoding turned off through the fd's config space revokes
 * (move_notify) and back on restores; bad requests get the kernel's
 * errno; close revokes for good; unregistering the driver leaves nothing.
 */
#include <fcntl.h>
#include "variants.h"
#include "kernel/kmod.h"

/*
 * vgpu (the driver's function: 1M BAR 0, 16M BAR 2) and nic0 below a switch
 * without ACS (bus addresses); far on its own ACS root port (through the
 * host bridge); other is a function the driver does not match.
 */
static const struct variant_machine kvfio_machine = {
	.name = "kvfio",
	.machine = "ram=256M ram-below-4g=128M cpus=2",
	.swiotlb = "4M",
	.iommu = "fq-size=8",
	.body = "hostbridge id=hb0 p2p=allow @iommu\n"
		"rootport id=rp0 bus=hb0\n"
		"switch id=sw0 bus=rp0 acs=off\n"
		"pcidev id=vgpu bus=sw0 bar0=1M bar2=16M flr=yes vendor=0x1dea device=0x7f10\n"
		"nic id=nic0 bus=sw0 dma-bits=64\n"
		"rootport id=rp1 bus=hb0 acs=on\n"
		"nic id=far bus=rp1 dma-bits=64\n"
		"rootport id=rp2 bus=hb0 acs=on\n"
		"pcidev id=other bus=rp2 bar0=64K vendor=0x1dea device=0x7f11\n",
};

struct fx {
	VARIANT_FX;
	struct device *vgpu, *nic, *far, *other;
};

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &kvfio_machine);

	f->vgpu = dev_of(f->m, "vgpu");
	f->nic = dev_of(f->m, "nic0");
	f->far = dev_of(f->m, "far");
	f->other = dev_of(f->m, "other");
	return 0;
}

static int fx_teardown(void **state)
{
	return variant_fx_teardown(state, TD_CLEAN | TD_WARN);
}

/* ---- the user's requests ------------------------------------------------- */

struct req {
	union {
		struct vfio_device_feature hdr;
		u8 bytes[8 + 16 + 16 * 4];
	};
	size_t len;		/* the user memory the ioctl gets */
};

static void dmabuf_req(struct req *u, u32 region, const u64 (*r)[2], u32 nr)
{
	struct vfio_device_feature_dma_buf *db = (void *)u->hdr.data;

	memset(u, 0, sizeof(*u));
	u->len = 8 + sizeof(*db) + nr * sizeof(db->dma_ranges[0]);
	assert_true(u->len <= sizeof(u->bytes));
	u->hdr.argsz = (u32)u->len;
	u->hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = region;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = nr;
	for (u32 i = 0; i < nr; i++) {
		db->dma_ranges[i].offset = r[i][0];
		db->dma_ranges[i].length = r[i][1];
	}
}

static long feature(struct vfio_device *vd, struct req *u)
{
	return sim_vfio_ioctl(vd, VFIO_DEVICE_FEATURE, u->bytes, u->len);
}

static ssize_t set_command(struct vfio_device *vd, u16 cmd)
{
	return sim_vfio_write(vd, &cmd, sizeof(cmd),
			      VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) +
			      PCI_COMMAND);
}

/* ---- an importer ------------------------------------------------------------ */

struct imp {
	struct device *dev;
	struct dma_buf *d;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	int notified;
};

static void imp_move_notify(struct dma_buf_attachment *a)
{
	struct imp *i = a->importer_priv;

	i->notified++;
	if (i->sgt) {
		dma_buf_unmap_attachment(a, i->sgt, DMA_BIDIRECTIONAL);
		i->sgt = NULL;
	}
}

static const struct dma_buf_attach_ops imp_ops = {
	.allow_peer2peer = true,
	.move_notify = imp_move_notify,
};

static long imp_map(struct imp *i)
{
	long ret = 0;

	dma_resv_lock(i->d->resv, NULL);
	if (!i->sgt) {
		struct sg_table *s = dma_buf_map_attachment(i->attach,
							    DMA_BIDIRECTIONAL);
		if (IS_ERR(s))
			ret = PTR_ERR(s);
		else
			i->sgt = s;
	}
	dma_resv_unlock(i->d->resv);
	return ret;
}

static void imp_unmap(struct imp *i)
{
	dma_resv_lock(i->d->resv, NULL);
	if (i->sgt) {
		dma_buf_unmap_attachment(i->attach, i->sgt, DMA_BIDIRECTIONAL);
		i->sgt = NULL;
	}
	dma_resv_unlock(i->d->resv);
}

/*
 * The importing device writes a pattern into the BAR at @off through its
 * mapping and reads back what the CPU then writes there.
 */
static void imp_dma_check(struct fx *f, struct imp *i, phys_addr_t bar,
			  unsigned int seed)
{
	u8 pat[256], buf[256];
	dma_addr_t a;

	assert_int_equal(imp_map(i), 0);
	a = sg_dma_address(i->sgt->sgl);
	fill_pattern(pat, sizeof(pat), seed);
	assert_int_equal(sim_dma_write(i->dev, a + 512, pat, sizeof(pat)), 0);
	assert_int_equal(sim_mmio_read(f->m, bar + 512, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	fill_pattern(pat, sizeof(pat), seed + 1);
	assert_int_equal(sim_mmio_write(f->m, bar, pat, sizeof(pat)), 0);
	assert_int_equal(sim_dma_read(i->dev, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
}

static void imp_attach(struct fx *f, struct imp *i, struct device *dev,
		       int fd)
{
	memset(i, 0, sizeof(*i));
	i->dev = dev;
	i->d = sim_dma_buf_get(f->m, fd);
	assert_false(IS_ERR(i->d));
	i->attach = dma_buf_dynamic_attach(i->d, dev, &imp_ops, i);
	assert_false(IS_ERR(i->attach));
}

static void imp_detach(struct imp *i)
{
	imp_unmap(i);
	dma_buf_detach(i->d, i->attach);
	dma_buf_put(i->d);
}

/* ---- the tests --------------------------------------------------------------- */

static struct vfio_device *bind(struct fx *f)
{
	struct vfio_device *vd;

	assert_int_equal(kvfio_register(), 0);
	vd = kvfio_vfio_device(f->vgpu);
	assert_non_null(vd);
	assert_string_equal(dev_driver_string(f->vgpu), "kvfio");
	/* the driver matched its function only */
	assert_null(kvfio_vfio_device(f->other));
	assert_null(f->other->driver);
	return vd;
}

static void unbind(struct fx *f, struct vfio_device *vd)
{
	assert_int_equal(sim_vfio_registration_count(vd), 1);
	kvfio_unregister();
	assert_null(kvfio_vfio_device(f->vgpu));
	assert_null(f->vgpu->driver);
}

/*
 * bind, open, export, import twice, DMA, revoke and restore through the
 * fd's config space, close (revoked for good), unbind. A device that must
 * bounce (a confidential guest) cannot be given MMIO through the host
 * bridge (dma_map_phys(DMA_ATTR_MMIO) fails there): only the peer below
 * the switch, which uses bus addresses, DMAs.
 */
static void export_dma_revoke(struct fx *f)
{
	struct pci_dev *pdev = to_pci_dev(f->vgpu);
	const phys_addr_t bar = pci_resource_start(pdev, KVFIO_EXPORT_BAR);
	const u64 r[2][2] = { { 0, SZ_64K }, { SZ_1M, SZ_8K } };
	const bool far_ok = !f->v->cc;
	struct vfio_region_info info = { .argsz = sizeof(info),
					 .index = KVFIO_EXPORT_BAR };
	struct imp near, far;
	struct vfio_device *vd;
	struct req u;
	int fd;

	vd = bind(f);
	/* no fd before the user opens it */
	dmabuf_req(&u, KVFIO_EXPORT_BAR, r, 2);
	assert_int_equal(feature(vd, &u), -EINVAL);
	assert_int_equal(sim_vfio_open(vd), 0);
	assert_int_equal(sim_vfio_open(vd), -EBUSY);
	assert_int_equal(kvfio_opens(vd), 1);
	assert_int_equal(sim_vfio_ioctl(vd, VFIO_DEVICE_GET_REGION_INFO, &info,
					sizeof(info)), 0);
	assert_int_equal(info.size, SZ_16M);
	assert_true(info.flags & VFIO_REGION_INFO_FLAG_MMAP);

	fd = (int)feature(vd, &u);
	assert_true(fd >= 0);
	assert_int_equal(sim_vfio_registration_count(vd), 3);
	imp_attach(f, &near, f->nic, fd);
	imp_attach(f, &far, f->far, fd);
	imp_dma_check(f, &near, bar, 1);
	if (far_ok)
		imp_dma_check(f, &far, bar, 3);
	else
		assert_int_equal(imp_map(&far), -ENOMEM);

	/* memory decoding off through the fd: both revoked */
	assert_int_equal(set_command(vd, PCI_COMMAND_MASTER), 2);
	assert_int_equal(near.notified, 1);
	assert_int_equal(far.notified, 1);
	assert_null(near.sgt);
	assert_null(far.sgt);
	assert_int_equal(imp_map(&near), -ENODEV);
	/* and back on: restored, mapped again */
	assert_int_equal(set_command(vd, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY),
			 2);
	assert_int_equal(near.notified, 2);
	imp_dma_check(f, &near, bar, 5);
	if (far_ok)
		imp_dma_check(f, &far, bar, 7);

	/* close: revoked for good, the fd lives on */
	sim_vfio_close(vd);
	assert_int_equal(kvfio_closes(vd), 1);
	assert_null(near.sgt);
	assert_int_equal(imp_map(&near), -ENODEV);
	assert_int_equal(imp_map(&far), -ENODEV);
	assert_int_equal(sim_vfio_registration_count(vd), 1);
	imp_detach(&near);
	imp_detach(&far);
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	unbind(f, vd);
	/* a lazy IOMMU's queue holds the far importer's IOVA until flushed */
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->far), 0);
}

/*
 * Twice: the first run leaves what the machine keeps (page-table pages,
 * the record of the ranges close revoked, caches); the second must
 * leave nothing more.
 */
static void test_export_dma_revoke(void **state)
{
	struct fx *f = *state;
	long live;

	export_dma_revoke(f);
	live = sim_alloc_live(f->m);
	export_dma_revoke(f);
	assert_int_equal(sim_alloc_live(f->m), live);
}

static void bad_requests(struct fx *f)
{
	const u64 one[1][2] = { { 0, SZ_4K } };
	const u64 zero[1][2] = { { 0, 0 } };
	const u64 unaligned[1][2] = { { 100, SZ_4K } };
	const u64 beyond[1][2] = { { SZ_16M - SZ_4K, SZ_8K } };
	const u64 wrap[1][2] = { { ~0ull & ~(u64)(SZ_4K - 1), SZ_4K } };
	struct vfio_device *vd;
	struct req u;

	vd = bind(f);
	assert_int_equal(sim_vfio_open(vd), 0);

	/* argsz below the feature's data */
	dmabuf_req(&u, KVFIO_EXPORT_BAR, one, 1);
	u.hdr.argsz = 8 + 15;
	assert_int_equal(feature(vd, &u), -EINVAL);
	/* argsz below the header */
	u.hdr.argsz = 7;
	assert_int_equal(feature(vd, &u), -EINVAL);
	/* SET of a GET-only feature */
	dmabuf_req(&u, KVFIO_EXPORT_BAR, one, 1);
	u.hdr.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_BUF;
	assert_int_equal(feature(vd, &u), -EINVAL);
	/* PROBE: supported */
	u.hdr.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
		      VFIO_DEVICE_FEATURE_DMA_BUF;
	assert_int_equal(feature(vd, &u), 0);
	/* a region that is not a BAR; a BAR the driver does not export */
	dmabuf_req(&u, VFIO_PCI_CONFIG_REGION_INDEX, one, 1);
	assert_int_equal(feature(vd, &u), -ENODEV);
	dmabuf_req(&u, 0, one, 1);
	assert_int_equal(feature(vd, &u), -EINVAL);
	dmabuf_req(&u, 1, one, 1);
	assert_int_equal(feature(vd, &u), -EINVAL);
	/* no ranges, flags, a zero-length or unaligned range */
	dmabuf_req(&u, KVFIO_EXPORT_BAR, one, 0);
	assert_int_equal(feature(vd, &u), -EINVAL);
	dmabuf_req(&u, KVFIO_EXPORT_BAR, one, 1);
	((struct vfio_device_feature_dma_buf *)u.hdr.data)->flags = 1;
	assert_int_equal(feature(vd, &u), -EINVAL);
	dmabuf_req(&u, KVFIO_EXPORT_BAR, zero, 1);
	assert_int_equal(feature(vd, &u), -EINVAL);
	dmabuf_req(&u, KVFIO_EXPORT_BAR, unaligned, 1);
	assert_int_equal(feature(vd, &u), -EINVAL);
	/* past the BAR's end; past the end of the address space */
	dmabuf_req(&u, KVFIO_EXPORT_BAR, beyond, 1);
	assert_int_equal(feature(vd, &u), -EINVAL);
	dmabuf_req(&u, KVFIO_EXPORT_BAR, wrap, 1);
	assert_int_equal(feature(vd, &u), -EOVERFLOW);
	/* ranges the user memory does not hold: -EFAULT */
	dmabuf_req(&u, KVFIO_EXPORT_BAR, one, 1);
	u.len -= 1;
	assert_int_equal(feature(vd, &u), -EFAULT);
	assert_int_equal(sim_vfio_ioctl(vd, VFIO_DEVICE_FEATURE, NULL, 64),
			 -EFAULT);
	/* config space through a buffer that is not user memory */
	assert_int_equal(sim_vfio_write(vd, NULL, 2,
					VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) +
					PCI_COMMAND), -EFAULT);
	/* an unknown ioctl */
	assert_int_equal(sim_vfio_ioctl(vd, 0x1234, NULL, 0), -ENOTTY);
	/* nothing was exported by any of it */
	assert_int_equal(sim_vfio_registration_count(vd), 2);

	sim_vfio_close(vd);
	unbind(f, vd);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	long live;

	bad_requests(f);
	live = sim_alloc_live(f->m);
	bad_requests(f);
	assert_int_equal(sim_alloc_live(f->m), live);
}

/* User memory is the thread's window: copies stop at its end. */
static void test_uaccess(void **state)
{
	u8 user[16], k[8];
	struct sim_user_window old;
	u32 v32 = 7;
	u16 v16;

	(void)state;
	memset(user, 0xab, sizeof(user));
	/* no window: nothing is user memory */
	assert_int_equal(copy_from_user(k, user, 4), 4);
	assert_false(access_ok(user, 1));
	old = sim_user_window_set(user, sizeof(user));
	assert_null(old.start);
	assert_true(access_ok(user, sizeof(user)));
	assert_false(access_ok(user + 8, 9));
	assert_true(access_ok(user + 16, 0));
	/* a copy past the end: what was inside, the rest zeroed */
	memset(k, 0x11, sizeof(k));
	assert_int_equal(copy_from_user(k, user + 12, 8), 4);
	assert_int_equal(k[3], 0xab);
	assert_int_equal(k[4], 0);
	assert_int_equal(copy_from_user(k, NULL, 1), 1);
	assert_int_equal(copy_from_user(k, user - 1, 2), 2);
	memset(k, 0x5a, sizeof(k));
	assert_int_equal(copy_to_user(user + 10, k, 8), 2);
	assert_int_equal(user[15], 0x5a);
	assert_int_equal(user[9], 0xab);
	assert_int_equal(clear_user(user + 14, 4), 2);
	assert_int_equal(user[14], 0);
	assert_int_equal(user[13], 0x5a);
	/* get_user/put_user: -EFAULT, and get_user() then gives zero */
	assert_int_equal(put_user((u16)0x1234, (u16 *)(void *)user), 0);
	assert_int_equal(get_user(v16, (u16 *)(void *)user), 0);
	assert_int_equal(v16, 0x1234);
	assert_int_equal(get_user(v32, (u32 *)(void *)(user + 14)), -EFAULT);
	assert_int_equal(v32, 0);
	assert_int_equal(put_user(v32, (u32 *)(void *)(user + 13)), -EFAULT);
	/* the window goes back */
	old = sim_user_window_set(NULL, 0);
	assert_ptr_equal(old.start, user);
	assert_int_equal(old.len, sizeof(user));
	sim_user_window_restore(old);
	assert_true(access_ok(user, 1));
	sim_user_window_set(NULL, 0);
	assert_false(access_ok(user, 1));
}

static const struct dma_variant *const variants[] = {
	&variant_x86_strict, &variant_x86_lazy, &variant_arm64_64k_strict,
	&variant_cc,
};

static const struct variant_test tests[] = {
	VARIANT_TEST(test_export_dma_revoke),
	VARIANT_TEST(test_bad_requests),
	VARIANT_TEST(test_uaccess),
};

int main(void)
{
	return variant_run_groups("kernel-vfio", VARIANT_TESTS(tests),
				  VARIANTS(variants), fx_setup, fx_teardown);
}
