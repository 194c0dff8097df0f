// SPDX-License-Identifier: MIT
/*
 * VFIO-PCI and its dma-buf export of MMIO: the feature ioctl's argsz/flags
 * rules, every validation of VFIO_DEVICE_FEATURE_DMA_BUF, region info,
 * export -> fd -> dynamic attach -> map -> device DMA into the BAR, every
 * revoke trigger (through VFIO and directly on the pci_dev), hot reset of
 * a device set, permanent revoke on close, exports above 4 GiB the three
 * ways a peer reaches MMIO, an nvgrace-like variant backed by RAM, a
 * fail-Nth sweep over the whole lifecycle and a revoke/DMA stress for TSan.
 *
 * The importer is a toy in this file: its move_notify unmaps, and (when
 * asked) probes whether the exporter would map right now.
 */
#include <fcntl.h>
#include <pthread.h>
#include "failnth.h"

/*
 * hb0 (IOMMU io0, strict): gpu0 and nic0 below switch sw0 without ACS
 * (bus addresses), nic1 on an ACS root port (through the IOMMU).
 * hb1 (no IOMMU): gpu1 and nic2 on root ports (dma_map_phys per range);
 * gpu2 and fn1 below switch sw1 (a device set for hot reset).
 */
#define PLATFORM_VFIO							\
	"machine name=vfio arch=x86_64 ram=1G ram-below-4g=512M cpus=4\n" \
	"swiotlb size=4M\n"						\
	"iommu id=io0 format=x86_64 mode=strict\n"			\
	"hostbridge id=hb0 p2p=allow iommu=io0\n"			\
	"rootport id=rp0 bus=hb0\n"					\
	"switch id=sw0 bus=rp0 acs=off\n"				\
	"gpu id=gpu0 bus=sw0 bar0=16M bar2=16G flr=yes\n"		\
	"nic id=nic0 bus=sw0 bar0=1M dma-bits=64\n"			\
	"rootport id=rp1 bus=hb0 acs=on\n"				\
	"nic id=nic1 bus=rp1 bar0=1M dma-bits=64\n"			\
	"hostbridge id=hb1 p2p=allow\n"					\
	"rootport id=rq0 bus=hb1 acs=on\n"				\
	"gpu id=gpu1 bus=rq0 bar0=16M bar2=16G flr=yes\n"		\
	"rootport id=rq1 bus=hb1 acs=on\n"				\
	"nic id=nic2 bus=rq1 bar0=1M dma-bits=64\n"			\
	"rootport id=rq2 bus=hb1 acs=on\n"				\
	"switch id=sw1 bus=rq2 acs=on\n"				\
	"gpu id=gpu2 bus=sw1 bar0=16M bar2=1G flr=yes\n"		\
	"pcidev id=fn1 bus=sw1 bar0=64K flr=yes\n"

#define SMALL_MASK	SWEEP_IOVA_MASK	/* 64M of IOVA */
#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

struct fx {
	struct sim_machine *m;
	struct device *gpu[3], *nic[3], *fn1;
	unsigned long dbg_allowed;
	unsigned long bugs_allowed;	/* BUG reports a test provoked */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char id[16];

	assert_non_null(f);
	f->m = machine_from(PLATFORM_VFIO);
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "gpu%d", i);
		f->gpu[i] = dev_of(f->m, id);
		snprintf(id, sizeof(id), "nic%d", i);
		f->nic[i] = dev_of(f->m, id);
	}
	f->fn1 = dev_of(f->m, "fn1");
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	return f ? fixture_teardown(f, f->m, TD_BUG | TD_DMA_DEBUG,
				    f->bugs_allowed, f->dbg_allowed) : 0;
}

#define FX(state)	((struct fx *)*(state))

static struct vfio_pci_core_device *vnew(struct device *dev,
					 const struct vfio_pci_device_ops *ops)
{
	struct vfio_pci_core_device *v;

	v = vfio_alloc_device(vfio_pci_core_device, vdev, dev, &sim_vfio_pci_ops);
	assert_false(IS_ERR(v));
	v->pci_ops = ops;
	assert_int_equal(vfio_pci_core_register_device(v), 0);
	return v;
}

static struct vfio_pci_core_device *vopen(struct device *dev)
{
	struct vfio_pci_core_device *v = vnew(dev, &sim_vfio_pci_dev_ops);

	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	return v;
}

static void vdev_free(struct vfio_pci_core_device *v)
{
	sim_vfio_close(&v->vdev);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 1);
	vfio_pci_core_unregister_device(v);
	assert_false(v->vdev.registered);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 0);
	vfio_put_device(&v->vdev);
}

/* ---- user buffers -------------------------------------------------------- */

struct ubuf {
	union {
		struct vfio_device_feature hdr;
		u8 bytes[8 + 16 + 16 * 8];
	};
	size_t len;		/* bytes the "user" made readable */
};

/* A DMA_BUF feature request: header, vfio_device_feature_dma_buf, ranges. */
static void dmabuf_req(struct ubuf *u, u32 region, const u64 (*r)[2],
		       u32 nr)
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

static struct vfio_device_feature_dma_buf *req_db(struct ubuf *u)
{
	return (void *)u->hdr.data;
}

static long feature(struct vfio_pci_core_device *v, struct ubuf *u)
{
	return sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_FEATURE, u->bytes, u->len);
}

static int vexport(struct vfio_pci_core_device *v, u32 region,
		   const u64 (*r)[2], u32 nr)
{
	struct ubuf u;

	dmabuf_req(&u, region, r, nr);
	return (int)feature(v, &u);
}

/* A feature with no data. */
static long feature_flags(struct vfio_pci_core_device *v, u32 flags,
			  u32 argsz)
{
	struct ubuf u;

	memset(&u, 0, sizeof(u));
	u.hdr.argsz = argsz;
	u.hdr.flags = flags;
	u.len = sizeof(u.bytes);
	return feature(v, &u);
}

static long low_power(struct vfio_pci_core_device *v, bool enter)
{
	return feature_flags(v, VFIO_DEVICE_FEATURE_SET |
			     (enter ? VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY :
				      VFIO_DEVICE_FEATURE_LOW_POWER_EXIT), 8);
}

static ssize_t cfg_write16(struct vfio_pci_core_device *v, int where, u16 val)
{
	return sim_vfio_write(&v->vdev, &val, 2,
				   VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) +
				   where);
}

static ssize_t cfg_write8(struct vfio_pci_core_device *v, int where, u8 val)
{
	return sim_vfio_write(&v->vdev, &val, 1,
				   VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) +
				   where);
}

static u16 cfg_read16(struct vfio_pci_core_device *v, int where)
{
	u16 val = 0;

	assert_int_equal(sim_vfio_read(&v->vdev, &val, 2,
					    VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) +
					    where), 2);
	return val;
}

/* ---- the toy importer ---------------------------------------------------- */

struct imp {
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;		/* under the reservation lock */
	int notified;
	bool probe;			/* try a map inside move_notify */
	int probe_enodev, probe_ok, probe_other;
};

static void imp_move_notify(struct dma_buf_attachment *a)
{
	struct imp *i = a->importer_priv;

	i->notified++;
	if (i->sgt) {
		dma_buf_unmap_attachment(a, i->sgt, DMA_BIDIRECTIONAL);
		i->sgt = NULL;
	}
	if (i->probe) {
		struct sg_table *s = dma_buf_map_attachment(a, DMA_BIDIRECTIONAL);

		if (!IS_ERR(s)) {
			i->probe_ok++;
			dma_buf_unmap_attachment(a, s, DMA_BIDIRECTIONAL);
		} else if (PTR_ERR(s) == -ENODEV) {
			i->probe_enodev++;
		} else {
			i->probe_other++;
		}
	}
}

static const struct dma_buf_attach_ops imp_ops = {
	.allow_peer2peer = true,
	.move_notify = imp_move_notify,
};

static const struct dma_buf_attach_ops imp_nop2p_ops = {
	.allow_peer2peer = false,
	.move_notify = imp_move_notify,
};

/* One export seen by one importer device. */
struct ctx {
	struct fx *f;
	struct vfio_pci_core_device *v;
	struct device *client;
	int fd;
	struct dma_buf *d;
	struct imp imp;
	phys_addr_t bar;	/* CPU address of the first range */
	unsigned int seed;
	bool failnth;		/* allocations may fail: attach may -ENOMEM */
};

static long imp_map(struct ctx *c)
{
	long ret = 0;

	dma_resv_lock(c->d->resv, NULL);
	if (!c->imp.sgt) {
		struct sg_table *s = dma_buf_map_attachment(c->imp.attach,
							    DMA_BIDIRECTIONAL);
		if (IS_ERR(s))
			ret = PTR_ERR(s);
		else
			c->imp.sgt = s;
	}
	dma_resv_unlock(c->d->resv);
	return ret;
}

static void imp_unmap(struct ctx *c)
{
	dma_resv_lock(c->d->resv, NULL);
	if (c->imp.sgt) {
		dma_buf_unmap_attachment(c->imp.attach, c->imp.sgt,
					 DMA_BIDIRECTIONAL);
		c->imp.sgt = NULL;
	}
	dma_resv_unlock(c->d->resv);
}

/* The device reads what the CPU wrote into the BAR, and writes back. */
static void imp_dma_check(struct ctx *c)
{
	u8 pat[128], buf[128];
	dma_addr_t a;

	assert_int_equal(imp_map(c), 0);
	a = sg_dma_address(c->imp.sgt->sgl);
	fill_pattern(pat, sizeof(pat), c->seed++);
	assert_int_equal(sim_mmio_write(c->f->m, c->bar, pat, sizeof(pat)), 0);
	assert_int_equal(sim_dma_read(c->client, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	fill_pattern(pat, sizeof(pat), c->seed++);
	assert_int_equal(sim_dma_write(c->client, a + 256, pat, sizeof(pat)),
			 0);
	assert_int_equal(sim_mmio_read(c->f->m, c->bar + 256, buf,
				       sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
}

static void ctx_open(struct ctx *c, struct fx *f,
		     struct vfio_pci_core_device *v, struct device *client,
		     u32 region, const u64 (*r)[2], u32 nr)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->v = v;
	c->client = client;
	c->seed = 1;
	c->bar = pci_resource_start(v->pdev, (int)region) + r[0][0];
	c->fd = vexport(v, region, r, nr);
	assert_true(c->fd >= 0);
	c->d = sim_dma_buf_get(f->m, c->fd);
	assert_false(IS_ERR(c->d));
	c->imp.attach = dma_buf_dynamic_attach(c->d, client, &imp_ops,
					       &c->imp);
	assert_false(IS_ERR(c->imp.attach));
}

static void ctx_close(struct ctx *c)
{
	imp_unmap(c);
	dma_buf_detach(c->d, c->imp.attach);
	dma_buf_put(c->d);
	assert_int_equal(sim_fd_close(c->f->m, c->fd), 0);
}

/* While revoked: no mapping left, map and attach -ENODEV. */
static void expect_revoked(struct ctx *c)
{
	struct dma_buf_attachment *a;
	struct imp other = { 0 };

	assert_null(c->imp.sgt);
	assert_int_equal(imp_map(c), -ENODEV);
	a = dma_buf_dynamic_attach(c->d, c->client, &imp_ops, &other);
	assert_true(IS_ERR(a));
	if (!(c->failnth && PTR_ERR(a) == -ENOMEM))
		assert_int_equal(PTR_ERR(a), -ENODEV);
}

/* ---- argsz, flags, PROBE ------------------------------------------------ */

static void test_feature_header(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vnew(f->gpu[0], &sim_vfio_pci_dev_ops);
	const u32 G = VFIO_DEVICE_FEATURE_GET, S = VFIO_DEVICE_FEATURE_SET,
		  P = VFIO_DEVICE_FEATURE_PROBE, DB = VFIO_DEVICE_FEATURE_DMA_BUF;
	struct ubuf u;

	/* only an open device has an fd */
	assert_int_equal(feature_flags(v, P | G | DB, 8), -EINVAL);
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	assert_int_equal(sim_vfio_open(&v->vdev), -EBUSY);
	assert_int_equal(sim_vfio_ioctl(&v->vdev, 0x1234, NULL, 0), -ENOTTY);

	/* the header itself cannot be read: -EFAULT */
	memset(&u, 0, sizeof(u));
	u.hdr.argsz = 8;
	u.hdr.flags = P | G | DB;
	u.len = 7;
	assert_int_equal(feature(v, &u), -EFAULT);
	/* argsz below the header */
	assert_int_equal(feature_flags(v, P | G | DB, 7), -EINVAL);
	/* unknown flag bits */
	assert_int_equal(feature_flags(v, P | G | DB | (1u << 19), 8), -EINVAL);
	/* GET and SET together only with PROBE */
	assert_int_equal(feature_flags(v, G | S | DB, 8), -EINVAL);
	/* DMA_BUF is GET only: SET asked (even probed) is -EINVAL */
	assert_int_equal(feature_flags(v, P | G | S | DB, 8), -EINVAL);
	assert_int_equal(feature_flags(v, P | S | DB, 8), -EINVAL);
	/* PROBE: supported, whatever argsz */
	assert_int_equal(feature_flags(v, P | G | DB, 8), 0);
	assert_int_equal(feature_flags(v, P | DB, 8), 0);
	/* neither GET nor SET */
	assert_int_equal(feature_flags(v, DB, 8 + 16), -EINVAL);
	/* argsz below the feature's minimum (16 bytes of data) */
	assert_int_equal(feature_flags(v, G | DB, 8 + 15), -EINVAL);
	/* features nobody implements here */
	assert_int_equal(feature_flags(v, P | G | VFIO_DEVICE_FEATURE_MIGRATION, 8),
			 -ENOTTY);
	assert_int_equal(feature_flags(v, P | S | VFIO_DEVICE_FEATURE_DMA_LOGGING_START, 8),
			 -ENOTTY);
	assert_int_equal(feature_flags(v, P | S | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, 8),
			 -ENOTTY);
	assert_int_equal(feature_flags(v, P | G | 0x7777, 8), -ENOTTY);
	/* low power: SET only */
	assert_int_equal(feature_flags(v, P | S | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, 8), 0);
	assert_int_equal(feature_flags(v, G | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, 8),
			 -EINVAL);
	assert_int_equal(feature_flags(v, P | G | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, 8),
			 -EINVAL);
	/* with wakeup: 8 bytes of data, a negative fd refused, no eventfds */
	assert_int_equal(feature_flags(v, S | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, 12),
			 -EINVAL);
	{
		s32 efd[2] = { -1, 0 };

		memset(&u, 0, sizeof(u));
		u.hdr.argsz = 16;
		u.hdr.flags = S | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
		memcpy(u.hdr.data, efd, sizeof(efd));
		u.len = 16;
		assert_int_equal(feature(&*v, &u), -EINVAL);
		efd[0] = 3;
		memcpy(u.hdr.data, efd, sizeof(efd));
		assert_int_equal(feature(v, &u), -EBADF);
		u.len = 12;
		assert_int_equal(feature(v, &u), -EFAULT);
	}
	/* nothing was exported or engaged by any of it */
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	assert_false(v->pm_runtime_engaged);
	vdev_free(v);
}

/* ---- every validation of the DMA_BUF feature ------------------------------ */

static int zero_reg_get_phys(struct vfio_pci_core_device *vdev,
			     struct p2pdma_provider **provider,
			     unsigned int region_index,
			     struct dma_buf_phys_vec *phys_vec,
			     struct vfio_region_dma_range *dma_ranges,
			     size_t nr_ranges)
{
	int ret = vfio_pci_core_get_dmabuf_phys(vdev, provider, region_index,
						phys_vec, dma_ranges,
						nr_ranges);
	/*
	 * An unregistration that already dropped the last reference (the
	 * kernel's race between the ioctl and unbind): the count reads zero.
	 */
	__atomic_store_n(&vdev->vdev.refcount.refs.counter, 0, __ATOMIC_RELAXED);
	return ret;
}

static const struct vfio_pci_device_ops zero_reg_ops = {
	.get_dmabuf_phys = zero_reg_get_phys,
};

static void expect_export(struct fx *f, struct vfio_pci_core_device *v,
			  struct ubuf *u, long want)
{
	long live = sim_alloc_live(f->m);
	int refs = sim_vfio_registration_count(&v->vdev);

	assert_int_equal(feature(v, u), want);
	assert_int_equal(sim_alloc_live(f->m), live);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), refs);
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
}

static void test_dma_buf_validation(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v, *nops, *z;
	const u64 one[1][2] = { { 0, SZ_4K } };
	const u64 two[2][2] = { { 0, SZ_4K }, { SZ_64K, SZ_4K } };
	struct ubuf u;

	v = vopen(f->gpu[0]);

	/* a device without get_dmabuf_phys: -EOPNOTSUPP before anything */
	nops = vnew(f->gpu[1], NULL);
	assert_int_equal(sim_vfio_open(&nops->vdev), 0);
	dmabuf_req(&u, 2, one, 1);
	expect_export(f, nops, &u, -EOPNOTSUPP);
	u.hdr.flags |= VFIO_DEVICE_FEATURE_PROBE;
	expect_export(f, nops, &u, -EOPNOTSUPP);
	vdev_free(nops);

	/* argsz too small for the struct */
	dmabuf_req(&u, 2, one, 1);
	u.hdr.argsz = 8 + 15;
	expect_export(f, v, &u, -EINVAL);
	/* the struct cannot be read */
	dmabuf_req(&u, 2, one, 1);
	u.len = 8 + 12;
	expect_export(f, v, &u, -EFAULT);
	/* nr_ranges 0, flags non-zero */
	dmabuf_req(&u, 2, one, 1);
	req_db(&u)->nr_ranges = 0;
	expect_export(f, v, &u, -EINVAL);
	dmabuf_req(&u, 2, one, 1);
	req_db(&u)->flags = 1;
	expect_export(f, v, &u, -EINVAL);
	/* ROM, config, VGA and beyond: -ENODEV */
	for (u32 r = VFIO_PCI_ROM_REGION_INDEX; r < VFIO_PCI_NUM_REGIONS + 2; r++) {
		dmabuf_req(&u, r, one, 1);
		expect_export(f, v, &u, -ENODEV);
	}
	/* zero length, unaligned offset, unaligned length */
	{
		const u64 bad[3][2] = { { 0, 0 }, { 0x800, SZ_4K }, { 0, 0x1800 } };

		for (int i = 0; i < 3; i++) {
			dmabuf_req(&u, 2, &bad[i], 1);
			expect_export(f, v, &u, -EINVAL);
			/* the bad range second: every range is checked */
			dmabuf_req(&u, 2, two, 2);
			req_db(&u)->dma_ranges[1].offset = bad[i][0];
			req_db(&u)->dma_ranges[1].length = bad[i][1];
			expect_export(f, v, &u, -EINVAL);
		}
	}
	/* the total overflows size_t */
	{
		const u64 r[2][2] = { { 0, 1ULL << 63 }, { 0, 1ULL << 63 } };

		dmabuf_req(&u, 2, r, 2);
		expect_export(f, v, &u, -EINVAL);
		/* one range with the DMA_IOVA_USE_SWIOTLB bit */
		dmabuf_req(&u, 2, r, 1);
		expect_export(f, v, &u, -EINVAL);
	}
	/* start + offset overflows: -EOVERFLOW from fill_phys_vec */
	{
		const u64 r[1][2] = { { 0xfffffffffff00000ULL, SZ_4K } };

		dmabuf_req(&u, 2, r, 1);
		expect_export(f, v, &u, -EOVERFLOW);
	}
	/* outside the 16G BAR: one page past the end, and straddling it */
	{
		const u64 r[2][2] = { { 16 * SZ_1G, SZ_4K },
				      { 16 * SZ_1G - SZ_4K, 2 * SZ_4K } };

		dmabuf_req(&u, 2, &r[0], 1);
		expect_export(f, v, &u, -EINVAL);
		dmabuf_req(&u, 2, &r[1], 1);
		expect_export(f, v, &u, -EINVAL);
	}
	/* not a memory BAR: BAR 1 is empty, BAR 3 is BAR 2's upper half */
	dmabuf_req(&u, 1, one, 1);
	expect_export(f, v, &u, -EINVAL);
	dmabuf_req(&u, 3, one, 1);
	expect_export(f, v, &u, -EINVAL);
	/*
	 * The ranges are read for nr_ranges, whatever argsz says
	 * (memdup_array_user()): beyond the user's buffer -EFAULT, while an
	 * argsz covering only the struct is fine when the memory is there.
	 */
	dmabuf_req(&u, 2, two, 2);
	u.len -= 16;
	expect_export(f, v, &u, -EFAULT);
	dmabuf_req(&u, 2, two, 2);
	req_db(&u)->nr_ranges = 1u << 20;	/* 16 MiB: above kmalloc's limit */
	expect_export(f, v, &u, -ENOMEM);
	dmabuf_req(&u, 2, two, 2);
	u.hdr.argsz = 8 + 16;
	{
		int fd = (int)feature(v, &u);

		assert_true(fd >= 0);
		assert_int_equal(sim_vfio_pci_dma_buf_count(v), 1);
		assert_int_equal(sim_fd_close(f->m, fd), 0);
		assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	}
	vdev_free(v);

	/* the registration is gone by the time the export takes its reference */
	z = vnew(f->gpu[1], &zero_reg_ops);
	assert_int_equal(sim_vfio_open(&z->vdev), 0);
	{
		long live = sim_alloc_live(f->m);

		dmabuf_req(&u, 2, one, 1);
		assert_int_equal(feature(z, &u), -ENODEV);
		assert_int_equal(sim_alloc_live(f->m), live);
		assert_false(vfio_device_try_get_registration(&z->vdev));
		/* undo the simulated race: the fd's and the registration's */
		__atomic_store_n(&z->vdev.refcount.refs.counter, 2, __ATOMIC_RELAXED);
	}
	vdev_free(z);
}

/* ---- region info ---------------------------------------------------------- */

static void test_region_info(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vopen(f->gpu[0]);
	struct vfio_region_info info;
	const u32 rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.index = VFIO_PCI_BAR2_REGION_INDEX;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					     &info, sizeof(info)), 0);
	assert_int_equal(info.size, 16 * SZ_1G);
	assert_int_equal(info.offset, VFIO_PCI_INDEX_TO_OFFSET(2));
	assert_int_equal(info.flags, rw | VFIO_REGION_INFO_FLAG_MMAP);

	info.index = VFIO_PCI_BAR0_REGION_INDEX;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					     &info, sizeof(info)), 0);
	assert_int_equal(info.size, 16 * SZ_1M);
	assert_int_equal(info.offset, 0);

	info.index = VFIO_PCI_BAR1_REGION_INDEX;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					     &info, sizeof(info)), 0);
	assert_int_equal(info.size, 0);
	assert_int_equal(info.flags, 0);

	info.index = VFIO_PCI_CONFIG_REGION_INDEX;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					     &info, sizeof(info)), 0);
	assert_int_equal(info.size, 4096);
	assert_int_equal(info.flags, rw);

	info.index = VFIO_PCI_VGA_REGION_INDEX;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					     &info, sizeof(info)), -EINVAL);
	info.index = 2;
	info.argsz = 31;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					     &info, sizeof(info)), -EINVAL);
	info.argsz = sizeof(info);
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					     &info, 16), -EFAULT);

	/* BAR access through the fd, at an offset above 4 GiB */
	{
		u8 pat[64], buf[64];
		u64 pos = VFIO_PCI_INDEX_TO_OFFSET(2) + 5 * SZ_1G + 0x40;

		fill_pattern(pat, sizeof(pat), 9);
		assert_int_equal(sim_vfio_write(&v->vdev, pat, sizeof(pat), pos),
				 sizeof(pat));
		assert_int_equal(sim_mmio_read(f->m, pci_resource_start(v->pdev, 2) +
					       5 * SZ_1G + 0x40, buf, sizeof(buf)), 0);
		assert_memory_equal(buf, pat, sizeof(pat));
		assert_int_equal(sim_vfio_read(&v->vdev, buf, sizeof(buf),
						    VFIO_PCI_INDEX_TO_OFFSET(2) + 16 * SZ_1G),
				 -EINVAL);
	}
	vdev_free(v);
}

/* ---- export, attach, map, DMA ---------------------------------------------- */

static void test_export_attach_map_dma(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vopen(f->gpu[0]);
	const u64 r[2][2] = { { SZ_1M, SZ_64K }, { 3 * SZ_1M, SZ_4K } };
	struct dma_buf_attachment *a;
	long live;
	struct imp other = { 0 };
	struct ctx c;

	assert_int_equal(sim_vfio_registration_count(&v->vdev), 2);
	/* once, for what is made on first use (the map type cache) */
	ctx_open(&c, f, v, f->nic[0], 2, r, 2);
	imp_dma_check(&c);
	ctx_close(&c);
	live = sim_alloc_live(f->m);
	ctx_open(&c, f, v, f->nic[0], 2, r, 2);
	assert_int_equal(c.d->size, SZ_64K + SZ_4K);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 3);
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 1);
	/* the importer below the switch gets bus addresses */
	assert_int_equal(pci_p2pdma_map_type(pcim_p2pdma_provider(v->pdev, 2),
					     f->nic[0]), PCI_P2PDMA_MAP_BUS_ADDR);
	imp_dma_check(&c);
	assert_int_equal(sg_dma_address(c.imp.sgt->sgl),
			 pci_bus_address(v->pdev, 2) + SZ_1M);

	/* an importer that cannot take P2P addresses is refused */
	a = dma_buf_dynamic_attach(c.d, f->nic[0], &imp_nop2p_ops, &other);
	assert_true(IS_ERR(a));
	assert_int_equal(PTR_ERR(a), -EOPNOTSUPP);

	ctx_close(&c);
	/* the last reference went: off the list, registration dropped */
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 2);
	assert_int_equal(sim_alloc_live(f->m), live);
	vdev_free(v);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
}

/* ---- revoke triggers ----------------------------------------------------- */

enum trig {
	T_CFG_MEM, T_CFG_PM, T_CFG_DEVCTL_FLR, T_CFG_AF_FLR, T_IOCTL_RESET,
	T_LOW_POWER, T_PDEV_MEM, T_PDEV_PM, T_PDEV_FLR, T_PDEV_RESET_FN,
	T_NR
};

static const char *const trig_name[T_NR] = {
	"config memory bit", "config PM D3hot", "config DevCtl FLR",
	"config AF FLR", "VFIO_DEVICE_RESET", "low power entry/exit",
	"pdev command register", "pdev power state", "pdev pcie_flr",
	"pdev pci_reset_function",
};

/* Events that stay until undone: check the revoked state in between. */
static void trig_begin(struct ctx *c, enum trig t)
{
	struct vfio_pci_core_device *v = c->v;
	struct pci_dev *pdev = v->pdev;
	int pm = pci_find_capability(pdev, PCI_CAP_ID_PM);
	int exp = pci_find_capability(pdev, PCI_CAP_ID_EXP);
	int af = pci_find_capability(pdev, PCI_CAP_ID_AF);
	u16 cmd;

	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	switch (t) {
	case T_CFG_MEM:
		assert_int_equal(cfg_write16(v, PCI_COMMAND,
					     cmd & ~PCI_COMMAND_MEMORY), 2);
		break;
	case T_CFG_PM:
		assert_int_equal(cfg_write16(v, pm + PCI_PM_CTRL, PCI_D3hot), 2);
		assert_int_equal(pdev->current_state, PCI_D3hot);
		break;
	case T_CFG_DEVCTL_FLR:
		assert_int_equal(cfg_write16(v, exp + PCI_EXP_DEVCTL,
					     cfg_read16(v, exp + PCI_EXP_DEVCTL) |
					     PCI_EXP_DEVCTL_BCR_FLR), 2);
		break;
	case T_CFG_AF_FLR:
		assert_int_not_equal(af, 0);
		assert_int_equal(cfg_write8(v, af + PCI_AF_CTRL, PCI_AF_CTRL_FLR), 1);
		break;
	case T_IOCTL_RESET:
		assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_RESET, NULL, 0), 0);
		break;
	case T_LOW_POWER:
		assert_int_equal(low_power(v, true), 0);
		assert_true(v->pm_runtime_engaged);
		assert_int_equal(pdev->current_state, PCI_D3hot);
		/* twice: -EINVAL, still revoked */
		assert_int_equal(low_power(v, true), -EINVAL);
		break;
	case T_PDEV_MEM:
		pci_write_config_word(pdev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
		break;
	case T_PDEV_PM:
		assert_int_equal(pci_set_power_state(pdev, PCI_D3hot), 0);
		break;
	case T_PDEV_FLR:
		/* the FLR clears the command register: memory stays off */
		assert_int_equal(pcie_flr(pdev), 0);
		break;
	case T_PDEV_RESET_FN:
		assert_int_equal(pci_reset_function(pdev), 0);
		break;
	default:
		break;
	}
}

static void trig_end(struct ctx *c, enum trig t)
{
	struct vfio_pci_core_device *v = c->v;
	struct pci_dev *pdev = v->pdev;
	int pm = pci_find_capability(pdev, PCI_CAP_ID_PM);
	u16 cmd;

	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	switch (t) {
	case T_CFG_MEM:
		assert_int_equal(cfg_write16(v, PCI_COMMAND,
					     cmd | PCI_COMMAND_MEMORY), 2);
		break;
	case T_CFG_PM:
		assert_int_equal(cfg_write16(v, pm + PCI_PM_CTRL, PCI_D0), 2);
		break;
	case T_LOW_POWER:
		assert_int_equal(low_power(v, false), 0);
		assert_false(v->pm_runtime_engaged);
		break;
	case T_PDEV_MEM:
	case T_PDEV_FLR:
		pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
		break;
	case T_PDEV_PM:
		assert_int_equal(pci_set_power_state(pdev, PCI_D0), 0);
		break;
	default:
		break;
	}
}

static bool trig_lasting(enum trig t)
{
	return t == T_CFG_MEM || t == T_CFG_PM || t == T_LOW_POWER ||
	       t == T_PDEV_MEM || t == T_PDEV_PM || t == T_PDEV_FLR;
}

static void run_trigger(struct ctx *c, enum trig t)
{
	int n0 = c->imp.notified;

	imp_dma_check(c);
	assert_non_null(c->imp.sgt);
	c->imp.probe = true;
	c->imp.probe_enodev = c->imp.probe_ok = c->imp.probe_other = 0;
	trig_begin(c, t);
	if (trig_lasting(t)) {
		/* revoked now: told once, unmapped, nothing maps or attaches */
		if (c->imp.notified != n0 + 1)
			fail_msg("%s: %d move_notify calls", trig_name[t],
				 c->imp.notified - n0);
		assert_int_equal(c->imp.probe_enodev, 1);
		expect_revoked(c);
		/* the device cannot be reached through the export meanwhile */
		trig_end(c, t);
	}
	/* revoked, then restored: told twice, the probe saw both states */
	if (c->imp.notified != n0 + 2)
		fail_msg("%s: %d move_notify calls, expected 2", trig_name[t],
			 c->imp.notified - n0);
	assert_int_equal(c->imp.probe_enodev, 1);
	assert_int_equal(c->imp.probe_ok, 1);
	assert_int_equal(c->imp.probe_other, 0);
	c->imp.probe = false;
	/* and everything works again */
	assert_null(c->imp.sgt);
	imp_dma_check(c);
}

static void triggers(struct fx *f, struct device *dev, u32 region,
		     struct device *client)
{
	struct vfio_pci_core_device *v = vopen(dev);
	const u64 r[1][2] = { { SZ_16K, SZ_16K } };
	bool af = pci_find_capability(v->pdev, PCI_CAP_ID_AF);
	struct ctx c;

	ctx_open(&c, f, v, client, region, r, 1);
	for (enum trig t = 0; t < T_NR; t++)
		if (t != T_CFG_AF_FLR || af)
			run_trigger(&c, t);
	/* a memory disable while already revoked does not notify again */
	assert_int_equal(cfg_write16(v, PCI_COMMAND, PCI_COMMAND_MASTER), 2);
	{
		int n = c.imp.notified;

		assert_int_equal(cfg_write16(v, PCI_COMMAND, 0), 2);
		assert_int_equal(c.imp.notified, n);
		/* an export made now starts revoked */
		{
			const u64 r2[1][2] = { { 0, SZ_4K } };
			int fd = vexport(v, region, r2, 1);
			struct dma_buf *d;
			struct dma_buf_attachment *a;
			struct imp i2 = { 0 };

			assert_true(fd >= 0);
			d = sim_dma_buf_get(f->m, fd);
			a = dma_buf_dynamic_attach(d, client, &imp_ops, &i2);
			assert_int_equal(PTR_ERR(a), -ENODEV);
			dma_buf_put(d);
			assert_int_equal(sim_fd_close(f->m, fd), 0);
		}
		assert_int_equal(cfg_write16(v, PCI_COMMAND,
					     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 2);
		assert_int_equal(c.imp.notified, n + 1);
	}
	imp_dma_check(&c);
	ctx_close(&c);
	vdev_free(v);
}

static void test_revoke_triggers(void **state)
{
	struct fx *f = FX(state);

	triggers(f, f->gpu[0], 2, f->nic[0]);	/* bus addresses */
	triggers(f, f->gpu[0], 2, f->nic[1]);	/* through the IOMMU */
	/* a function with both PCIe and AF FLR; dma_map_phys */
	assert_int_not_equal(pci_find_capability(to_pci_dev(f->fn1),
						 PCI_CAP_ID_AF), 0);
	triggers(f, f->fn1, 0, f->nic[2]);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
}

/* ---- hot reset of a device set ------------------------------------------- */

/*
 * gpu2 and fn1 sit on two downstream ports of switch sw1. As in the
 * kernel (pci_reset_bus(pdev->bus)), a hot reset of either resets the bus
 * below its own downstream port only: the other device need not be open,
 * or VFIO's at all, and is neither reset nor revoked.
 */
static void test_hot_reset(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *g = vnew(f->gpu[2], &sim_vfio_pci_dev_ops);
	struct vfio_pci_core_device *p = vnew(f->fn1, &sim_vfio_pci_dev_ops);
	const u64 r[1][2] = { { 0, SZ_16K } };
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };
	unsigned long ev_g, ev_p;
	struct ctx cg, cp;

	assert_int_equal(sim_vfio_open(&g->vdev), 0);
	/* the port above each is its own: a downstream port of sw1 */
	assert_ptr_not_equal(pci_upstream_bridge(g->pdev),
			     pci_upstream_bridge(p->pdev));
	assert_ptr_equal(pci_upstream_bridge(pci_upstream_bridge(g->pdev)),
			 pci_upstream_bridge(pci_upstream_bridge(p->pdev)));
	/* fn1 is VFIO's but not open: not in gpu2's reset set */
	ev_g = sim_pci_events(g->pdev);
	ev_p = sim_pci_events(p->pdev);
	assert_int_equal(sim_vfio_ioctl(&g->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), 0);
	/* start, done, the command register restored */
	assert_int_equal(sim_pci_events(g->pdev), ev_g + 3);
	assert_int_equal(sim_pci_events(p->pdev), ev_p);
	/* an unopened device cannot be reset through its own fd */
	assert_int_equal(sim_vfio_ioctl(&p->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), -EINVAL);

	assert_int_equal(sim_vfio_open(&p->vdev), 0);
	ctx_open(&cg, f, g, f->nic[2], 2, r, 1);
	ctx_open(&cp, f, p, f->nic[2], 0, r, 1);
	imp_dma_check(&cg);
	imp_dma_check(&cp);

	/* argument checks */
	hr.flags = 1;
	assert_int_equal(sim_vfio_ioctl(&g->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), -EINVAL);
	hr.flags = 0;
	hr.count = 1;
	assert_int_equal(sim_vfio_ioctl(&g->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), -EINVAL);
	hr.count = 0;
	hr.argsz = 11;
	assert_int_equal(sim_vfio_ioctl(&g->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), -EINVAL);
	hr.argsz = sizeof(hr);
	assert_int_equal(sim_vfio_ioctl(&g->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     8), -EFAULT);
	assert_int_equal(cg.imp.notified + cp.imp.notified, 0);

	/* from either function, only that one is revoked, reset, restored */
	for (int round = 0; round < 2; round++) {
		struct vfio_pci_core_device *from = round ? p : g;
		struct ctx *cf = round ? &cp : &cg, *co = round ? &cg : &cp;
		unsigned long ev_from = sim_pci_events(from->pdev);
		unsigned long ev_other = sim_pci_events(co->v->pdev);

		cg.imp.probe = cp.imp.probe = true;
		cg.imp.notified = cp.imp.notified = 0;
		cg.imp.probe_enodev = cg.imp.probe_ok = 0;
		cp.imp.probe_enodev = cp.imp.probe_ok = 0;
		assert_int_equal(sim_vfio_ioctl(&from->vdev, VFIO_DEVICE_PCI_HOT_RESET,
						     &hr, sizeof(hr)), 0);
		/* the bus reset reached the function: start, done, and the
		 * command register restored (memory enable) */
		assert_int_equal(sim_pci_events(from->pdev), ev_from + 3);
		assert_int_equal(cf->imp.notified, 2);
		assert_int_equal(cf->imp.probe_enodev, 1);
		assert_int_equal(cf->imp.probe_ok, 1);
		/* the device on the other downstream port: untouched */
		assert_int_equal(sim_pci_events(co->v->pdev), ev_other);
		assert_int_equal(co->imp.notified, 0);
		assert_non_null(co->imp.sgt);
		cg.imp.probe = cp.imp.probe = false;
		imp_dma_check(&cg);
		imp_dma_check(&cp);
	}

	/* contention on the set's memory_lock: -EBUSY, nothing changed */
	down_read(&g->memory_lock);
	cg.imp.notified = cp.imp.notified = 0;
	ev_g = sim_pci_events(g->pdev);
	assert_int_equal(sim_vfio_ioctl(&g->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), -EBUSY);
	/* ...while fn1's lock is not in gpu2's set: fn1 resets fine */
	assert_int_equal(sim_vfio_ioctl(&p->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), 0);
	up_read(&g->memory_lock);
	assert_int_equal(sim_pci_events(g->pdev), ev_g);
	assert_int_equal(cg.imp.notified, 0);
	assert_int_equal(cp.imp.notified, 2);
	imp_dma_check(&cg);
	imp_dma_check(&cp);

	ctx_close(&cg);
	ctx_close(&cp);
	vdev_free(g);
	vdev_free(p);
}

/*
 * A function on another downstream port that is not VFIO's at all is not
 * in the reset set either; one below a root port alone is its own set.
 * The platform cannot put a second function on a device's own bus (no
 * multi-function devices, one device per port), so the "every function
 * of the bus must be opened" rule is exercised through the device itself:
 * unopened, it cannot ask.
 */
static void test_hot_reset_foreign(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *g = vopen(f->gpu[2]);
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };
	unsigned long ev = sim_pci_events(to_pci_dev(f->fn1));

	assert_int_equal(sim_vfio_ioctl(&g->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), 0);
	assert_int_equal(sim_pci_events(to_pci_dev(f->fn1)), ev);
	vdev_free(g);
	g = vopen(f->gpu[1]);
	assert_int_equal(sim_vfio_ioctl(&g->vdev, VFIO_DEVICE_PCI_HOT_RESET, &hr,
					     sizeof(hr)), 0);
	vdev_free(g);
}

/* ---- close: permanent revoke --------------------------------------------- */

static void test_close_revokes_for_good(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vopen(f->gpu[0]);
	const u64 r[1][2] = { { 0, SZ_64K } };
	long live;
	struct ctx c;
	int n;

	ctx_open(&c, f, v, f->nic[1], 2, r, 1);
	imp_dma_check(&c);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 3);
	/* unregistering with references left: reported, refused */
	vfio_pci_core_unregister_device(v);
	assert_true(v->vdev.registered);
	assert_true(sim_report_find(f->m, SIM_REPORT_BUG, "registration reference"));
	f->bugs_allowed = 1;

	n = c.imp.notified;
	sim_vfio_close(&v->vdev);
	assert_int_equal(c.imp.notified, n + 1);	/* cleanup, once */
	/* the export let go of the device; its fd is still open */
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 1);
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	expect_revoked(&c);
	/* reopening the device does not bring it back */
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	expect_revoked(&c);
	assert_int_equal(cfg_write16(v, PCI_COMMAND, 0), 2);
	assert_int_equal(cfg_write16(v, PCI_COMMAND, PCI_COMMAND_MEMORY), 2);
	expect_revoked(&c);
	sim_vfio_close(&v->vdev);
	/* the device may go while the fd lives on */
	vfio_pci_core_unregister_device(v);
	assert_false(v->vdev.registered);
	vfio_put_device(&v->vdev);
	expect_revoked(&c);
	/* closing the fd later frees the export */
	live = sim_alloc_live(f->m);
	ctx_close(&c);
	assert_true(sim_alloc_live(f->m) < live);
}

/*
 * Closing the device notifies each importer once (the kernel's
 * vfio_pci_dma_buf_cleanup() runs before the disable and its reset): two
 * importers of one export, one of another export, and an export already
 * revoked by a memory disable, which the cleanup notifies once more.
 */
static void test_close_notifies_once(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vopen(f->gpu[0]);
	const u64 r1[1][2] = { { 0, SZ_64K } }, r2[1][2] = { { SZ_1M, SZ_64K } };
	struct imp second = { 0 };
	struct dma_buf_attachment *a2;
	struct ctx c1, c2;

	ctx_open(&c1, f, v, f->nic[1], 2, r1, 1);
	ctx_open(&c2, f, v, f->nic[0], 2, r2, 1);
	a2 = dma_buf_dynamic_attach(c1.d, f->nic[0], &imp_ops, &second);
	assert_false(IS_ERR(a2));
	imp_dma_check(&c1);
	imp_dma_check(&c2);
	dma_resv_lock(c1.d->resv, NULL);
	second.sgt = dma_buf_map_attachment(a2, DMA_BIDIRECTIONAL);
	dma_resv_unlock(c1.d->resv);
	assert_false(IS_ERR(second.sgt));
	assert_int_equal(c1.imp.notified + c2.imp.notified + second.notified, 0);

	sim_vfio_close(&v->vdev);
	assert_int_equal(c1.imp.notified, 1);
	assert_int_equal(second.notified, 1);
	assert_int_equal(c2.imp.notified, 1);
	assert_null(second.sgt);
	expect_revoked(&c1);
	expect_revoked(&c2);
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	/* a later open and close has nothing to notify */
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	sim_vfio_close(&v->vdev);
	assert_int_equal(c1.imp.notified + c2.imp.notified + second.notified, 3);
	dma_buf_detach(c1.d, a2);
	ctx_close(&c1);
	ctx_close(&c2);

	/* revoked before the close: the revoke's notify, then the cleanup's */
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	ctx_open(&c1, f, v, f->nic[1], 2, r1, 1);
	imp_dma_check(&c1);
	assert_int_equal(cfg_write16(v, PCI_COMMAND, 0), 2);
	assert_int_equal(c1.imp.notified, 1);
	sim_vfio_close(&v->vdev);
	assert_int_equal(c1.imp.notified, 2);
	expect_revoked(&c1);
	ctx_close(&c1);
	vdev_free(v);
}

/* ---- exports above 4 GiB, three ways ------------------------------------- */

#define BIG	(5 * SZ_1G)

static void big_case(struct fx *f, int gpu, struct device *client,
		     enum pci_p2pdma_map_type want)
{
	struct vfio_pci_core_device *v = vopen(f->gpu[gpu]);
	const u64 r[2][2] = { { 0, BIG }, { 8 * SZ_1G, SZ_64K } };
	phys_addr_t bar = pci_resource_start(v->pdev, 2);
	u8 pat[64], buf[64];
	struct scatterlist *sg;
	dma_addr_t far = 0;
	u64 seen = 0;
	unsigned int i;
	struct ctx c;

	assert_int_equal(pci_p2pdma_map_type(pcim_p2pdma_provider(v->pdev, 2),
					     client), want);
	ctx_open(&c, f, v, client, 2, r, 2);
	assert_int_equal(c.d->size, BIG + SZ_64K);
	imp_dma_check(&c);
	/*
	 * Split at ALIGN_DOWN(UINT_MAX, PAGE_SIZE), not UINT_MAX: every
	 * entry is page aligned in address and length. One IOVA range is
	 * cut in two (4G - 4K, then the rest); without it (bus addresses,
	 * dma_map_phys) each range is cut on its own: 5G in two, 64K.
	 */
	{
		const u64 cut = 0xfffff000ULL;
		unsigned int nents = 0;
		u64 total = 0;

		for_each_sgtable_dma_sg(c.imp.sgt, sg, i) {
			assert_true(IS_ALIGNED(sg_dma_address(sg), PAGE_SIZE));
			assert_true(IS_ALIGNED(sg_dma_len(sg), PAGE_SIZE));
			assert_true(sg_dma_len(sg) > 0 && sg_dma_len(sg) <= cut);
			total += sg_dma_len(sg);
			nents++;
		}
		assert_int_equal(total, BIG + SZ_64K);
		sg = c.imp.sgt->sgl;
		assert_int_equal(sg_dma_len(sg), cut);
		if (gpu == 0 && want == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE) {
			/* the IOVA path: one range, contiguous */
			assert_int_equal(nents, 2);
			assert_int_equal(sg_dma_len(sg_next(sg)),
					 BIG + SZ_64K - cut);
			assert_int_equal(sg_dma_address(sg_next(sg)),
					 sg_dma_address(sg) + cut);
		} else {
			assert_int_equal(nents, 3);
			assert_int_equal(sg_dma_len(sg_next(sg)), BIG - cut);
			assert_int_equal(sg_dma_address(sg_next(sg)),
					 sg_dma_address(sg) + cut);
			assert_int_equal(sg_dma_len(sg_next(sg_next(sg))),
					 SZ_64K);
		}
	}
	/* the DMA address of byte BIG + 0x100 of the export */
	for_each_sgtable_dma_sg(c.imp.sgt, sg, i) {
		u64 l = sg_dma_len(sg);

		if (!far && seen + l > BIG + 0x100)
			far = sg_dma_address(sg) + (BIG + 0x100 - seen);
		seen += l;
	}
	assert_int_equal(seen, BIG + SZ_64K);
	assert_int_not_equal(far, 0);
	fill_pattern(pat, sizeof(pat), 77);
	assert_int_equal(sim_mmio_write(f->m, bar + 8 * SZ_1G + 0x100, pat,
					sizeof(pat)), 0);
	assert_int_equal(sim_dma_read(client, far, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	/* and just below the end of the first 5G range */
	fill_pattern(pat, sizeof(pat), 78);
	assert_int_equal(sim_mmio_write(f->m, bar + BIG - 0x40, pat, 0x40), 0);
	imp_unmap(&c);
	assert_int_equal(imp_map(&c), 0);
	{
		dma_addr_t a = 0;

		seen = 0;
		for_each_sgtable_dma_sg(c.imp.sgt, sg, i) {
			if (!a && seen + sg_dma_len(sg) > BIG - 0x40)
				a = sg_dma_address(sg) + (BIG - 0x40 - seen);
			seen += sg_dma_len(sg);
		}
		assert_int_equal(sim_dma_read(client, a, buf, 0x40), 0);
		assert_memory_equal(buf, pat, 0x40);
	}
	/* revoke and restore a 5G export */
	run_trigger(&c, T_CFG_MEM);
	ctx_close(&c);
	vdev_free(v);
}

static void test_big_exports(void **state)
{
	struct fx *f = FX(state);

	big_case(f, 0, f->nic[0], PCI_P2PDMA_MAP_BUS_ADDR);
	big_case(f, 0, f->nic[1], PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	big_case(f, 1, f->nic[2], PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

/* ---- an nvgrace-like variant ------------------------------------------- */

static void test_nvgrace_variant(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *nv;
	struct page *pages;
	phys_addr_t memphys;
	const u64 r[2][2] = { { SZ_64K, SZ_64K }, { 0, SZ_4K } };
	const u64 past[1][2] = { { SZ_2M - SZ_4K, 2 * SZ_4K } };
	struct ctx c;
	u8 pat[128], buf[128];
	dma_addr_t a;

	pages = sim_alloc_pages(f->m, 9);		/* 2 MiB of RAM */
	assert_non_null(pages);
	memphys = page_to_phys(pages);
	/* bad device memory is refused */
	assert_int_equal(PTR_ERR(sim_vfio_nvgrace_alloc_device(f->gpu[0], memphys, 0)),
			 -EINVAL);
	assert_int_equal(PTR_ERR(sim_vfio_nvgrace_alloc_device(f->gpu[0], memphys + 1,
							   SZ_2M)), -EINVAL);
	assert_int_equal(PTR_ERR(sim_vfio_nvgrace_alloc_device(f->gpu[0], memphys,
							   SZ_2M - 1)), -EINVAL);
	nv = sim_vfio_nvgrace_alloc_device(f->gpu[0], memphys, SZ_2M);
	assert_false(IS_ERR(nv));
	assert_int_equal(vfio_pci_core_register_device(nv), 0);
	assert_int_equal(sim_vfio_open(&nv->vdev), 0);

	/* beyond the memory's length: -EINVAL; BAR 2 still the default way */
	assert_int_equal(vexport(nv, VFIO_NVGRACE_USEMEM_REGION_INDEX, past, 1),
			 -EINVAL);

	memset(&c, 0, sizeof(c));
	c.f = f;
	c.v = nv;
	c.client = f->nic[1];
	c.fd = vexport(c.v, VFIO_NVGRACE_USEMEM_REGION_INDEX, r, 2);
	assert_true(c.fd >= 0);
	c.d = sim_dma_buf_get(f->m, c.fd);
	c.imp.attach = dma_buf_dynamic_attach(c.d, c.client, &imp_ops, &c.imp);
	assert_false(IS_ERR(c.imp.attach));
	assert_int_equal(imp_map(&c), 0);
	/* through the IOMMU to the RAM behind the synthetic region */
	fill_pattern(pat, sizeof(pat), 5);
	memcpy(sim_phys_to_virt(f->m, memphys + SZ_64K), pat, sizeof(pat));
	a = sg_dma_address(c.imp.sgt->sgl);
	assert_int_equal(sim_dma_read(c.client, a, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	/* the device's memory is revoked with the device's BARs */
	c.imp.probe = true;
	assert_int_equal(cfg_write16(c.v, PCI_COMMAND, PCI_COMMAND_MASTER), 2);
	assert_int_equal(c.imp.probe_enodev, 1);
	expect_revoked(&c);
	assert_int_equal(cfg_write16(c.v, PCI_COMMAND,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 2);
	assert_int_equal(c.imp.probe_ok, 1);
	c.imp.probe = false;
	assert_int_equal(imp_map(&c), 0);
	ctx_close(&c);

	sim_vfio_close(&nv->vdev);
	vfio_pci_core_unregister_device(nv);
	assert_false(nv->vdev.registered);
	vfio_put_device(&nv->vdev);
	sim_free_pages(f->m, pages, 9);
}

/* ---- fault injection over the whole lifecycle --------------------------- */

enum scn { S_OPEN, S_EXPORT, S_ATTACH, S_MAP, S_REMAP, S_DONE };

/*
 * open -> export -> fd -> attach -> map + DMA -> memory off through VFIO
 * (revoked: unmapped, map -ENODEV) -> memory on (restored) -> map again ->
 * close the device (permanent revoke; the importer can no longer map) ->
 * detach -> close the fd. On a failure, what was done is undone.
 */
static enum scn scenario(struct fx *f, struct vfio_pci_core_device *v,
			 struct device *client, const u64 (*r)[2], u32 nr)
{
	enum scn res = S_DONE;
	struct dma_buf_attachment *at;
	struct ctx c;
	int ret;

	ret = sim_vfio_open(&v->vdev);
	if (ret) {
		assert_int_equal(ret, -ENOMEM);
		return S_OPEN;
	}
	memset(&c, 0, sizeof(c));
	c.f = f;
	c.v = v;
	c.client = client;
	c.seed = 3;
	c.failnth = true;
	c.bar = pci_resource_start(v->pdev, 2) + r[0][0];
	c.fd = vexport(v, 2, r, nr);
	if (c.fd < 0) {
		assert_int_equal(c.fd, -ENOMEM);
		res = S_EXPORT;
		goto close_dev;
	}
	c.d = sim_dma_buf_get(f->m, c.fd);
	assert_false(IS_ERR(c.d));
	at = dma_buf_dynamic_attach(c.d, client, &imp_ops, &c.imp);
	if (IS_ERR(at)) {
		assert_int_equal(PTR_ERR(at), -ENOMEM);
		res = S_ATTACH;
		goto put;
	}
	c.imp.attach = at;
	ret = (int)imp_map(&c);
	if (ret) {
		assert_int_equal(ret, -ENOMEM);
		res = S_MAP;
		goto detach;
	}
	imp_dma_check(&c);
	assert_int_equal(cfg_write16(v, PCI_COMMAND, PCI_COMMAND_MASTER), 2);
	expect_revoked(&c);
	assert_int_equal(cfg_write16(v, PCI_COMMAND,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 2);
	ret = (int)imp_map(&c);
	if (ret) {
		assert_int_equal(ret, -ENOMEM);
		res = S_REMAP;
		goto detach;
	}
	imp_dma_check(&c);
detach:
	sim_vfio_close(&v->vdev);
	/* nothing maps the export any more */
	expect_revoked(&c);
	dma_buf_detach(c.d, c.imp.attach);
put:
	dma_buf_put(c.d);
	assert_int_equal(sim_fd_close(f->m, c.fd), 0);
close_dev:
	sim_vfio_close(&v->vdev);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 1);
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	return res;
}

struct vfio_scn {
	struct fx *f;
	struct vfio_pci_core_device *v;
	const u64 (*r)[2];
};

static int vfio_step(struct failnth_steps *w)
{
	const struct vfio_scn *d = w->arg;

	return (int)scenario(d->f, d->v, w->dev, d->r, 3);
}

/*
 * Settle the machine's revoked-range record, which a failure may have
 * left short of one range: one clean run.
 */
static void vfio_settle(struct failnth_steps *w)
{
	assert_int_equal(vfio_step(w), S_DONE);
}

static void sweep(struct fx *f, int gpu, struct device *client, bool iova)
{
	static const u64 r[3][2] = {
		{ 0, 2 * SZ_4K }, { SZ_1M, SZ_64K }, { 3 * SZ_1M, SZ_4K },
	};
	struct vfio_scn d = {
		.f = f, .v = vnew(f->gpu[gpu], &sim_vfio_pci_dev_ops), .r = r,
	};
	/*
	 * The warm-up makes the caches, fd table, page-table root and the
	 * machine's record of the ranges the last close revoked.
	 */
	struct failnth_steps w = {
		.m = f->m, .dev = client, .iova = iova, .step = vfio_step,
		.settle = vfio_settle, .done = S_DONE, .arg = &d,
	};

	failnth_steps_sweep(&w);
	assert_true(w.results[S_EXPORT] > 0);
	assert_true(w.results[S_ATTACH] > 0);
	assert_true(w.results[S_MAP] > 0);
	if (iova)
		assert_true(w.results[S_REMAP] > 0);
	vfio_pci_core_unregister_device(d.v);
	assert_false(d.v->vdev.registered);
	vfio_put_device(&d.v->vdev);
}

static void test_failnth_lifecycle(void **state)
{
	struct fx *f = FX(state);

	sweep(f, 0, f->nic[1], true);	/* one IOVA range */
	sweep(f, 1, f->nic[2], false);	/* dma_map_phys per range */
	sweep(f, 0, f->nic[0], false);	/* bus addresses */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	if (sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT))
		sim_report_dump(f->m, stderr);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
}

/* ---- group viability ---------------------------------------------------- */

/* A driver that binds to a function and does no DMA (or manages its own). */
static int bound_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)pdev;
	(void)id;
	return 0;
}

static void bound_remove(struct pci_dev *pdev)
{
	(void)pdev;
}

/*
 * gpu0 and nic0 sit below a switch without ACS: one IOMMU group. While
 * nic0 is used by the DMA API (a streaming mapping, a coherent buffer) or
 * bound to a kernel driver, the group is not viable and opening gpu0 for
 * a user is refused with -EPERM, as Linux refuses it; nic0's mappings keep
 * working, and nothing of the open is left. A driver that manages DMA
 * itself (driver_managed_dma, as VFIO's) does not make the group busy.
 */
static void test_group_viability(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vnew(f->gpu[0], &sim_vfio_pci_dev_ops);
	struct pci_dev *nic = to_pci_dev(f->nic[0]);
	struct page *page = sim_alloc_pages(f->m, 0);
	struct pci_device_id ids[2] = {
		{ PCI_DEVICE(nic->vendor, nic->device) }, { 0 } };
	struct pci_driver drv = {
		.name = "busy", .id_table = ids,
		.probe = bound_probe, .remove = bound_remove,
	};
	u8 pat[64], buf[64];
	dma_addr_t addr, caddr;
	void *cpu;

	assert_non_null(page);
	assert_ptr_equal(iommu_group_get(f->gpu[0]), iommu_group_get(f->nic[0]));
	assert_ptr_not_equal(iommu_group_get(f->gpu[0]),
			     iommu_group_get(f->nic[1]));
	fill_pattern(pat, sizeof(pat), 7);
	memcpy(page_address(page), pat, sizeof(pat));
	addr = dma_map_page_attrs(f->nic[0], page, 0, PAGE_SIZE,
				  DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(f->nic[0], addr));

	assert_int_equal(sim_vfio_open(&v->vdev), -EPERM);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 1);
	assert_false(iommu_group_dma_owner_claimed(iommu_group_get(f->gpu[0])));
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_RESET, NULL, 0),
			 -EINVAL);
	/* the kernel driver's mapping still works */
	assert_int_equal(sim_dma_read(f->nic[0], addr, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	dma_unmap_page_attrs(f->nic[0], addr, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);

	/* a coherent buffer is DMA-API use too */
	cpu = dma_alloc_coherent(f->nic[0], PAGE_SIZE, &caddr, GFP_KERNEL);
	assert_non_null(cpu);
	assert_int_equal(sim_vfio_open(&v->vdev), -EPERM);
	assert_int_equal(sim_dma_write(f->nic[0], caddr, pat, sizeof(pat)), 0);
	assert_memory_equal(cpu, pat, sizeof(pat));
	dma_free_coherent(f->nic[0], PAGE_SIZE, cpu, caddr);

	/* dma-debug off: the IOVA the default domain holds says it */
	sim_dma_debug_enable(f->m, false);
	addr = dma_map_page_attrs(f->nic[0], page, 0, PAGE_SIZE,
				  DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(f->nic[0], addr));
	assert_int_equal(sim_vfio_open(&v->vdev), -EPERM);
	dma_unmap_page_attrs(f->nic[0], addr, PAGE_SIZE, DMA_TO_DEVICE, 0);
	sim_dma_debug_enable(f->m, true);

	/* a bound kernel driver, even one doing no DMA */
	assert_int_equal(pci_register_driver(&drv), 0);
	assert_ptr_equal(f->nic[0]->driver, &drv.driver);
	assert_int_equal(sim_vfio_open(&v->vdev), -EPERM);
	pci_unregister_driver(&drv);
	/* one that manages DMA itself does not count */
	drv.driver_managed_dma = true;
	assert_int_equal(pci_register_driver(&drv), 0);
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	assert_true(iommu_group_dma_owner_claimed(iommu_group_get(f->gpu[0])));
	sim_vfio_close(&v->vdev);
	pci_unregister_driver(&drv);

	/* nothing in use any more: viable */
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	assert_int_equal(sim_vfio_registration_count(&v->vdev), 2);
	vdev_free(v);
	assert_false(iommu_group_dma_owner_claimed(iommu_group_get(f->gpu[0])));
	sim_free_pages(f->m, page, 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/* ---- revoke racing importers (TSan) ------------------------------------- */

#define STRESS_IMPORTERS	3
#define STRESS_ROUNDS		400

struct stress {
	struct fx *f;
	struct vfio_pci_core_device *v;
	u8 pat[256];
	int stop;		/* __atomic */
	int toggles;
};

struct stress_imp {
	struct stress *s;
	struct ctx c;
	int reads, refused;
};

static void *stress_importer(void *arg)
{
	struct stress_imp *si = arg;
	struct ctx *c = &si->c;
	u8 buf[256];

	/* past STRESS_ROUNDS until one read got through, however scheduled */
	for (int i = 0; i < STRESS_ROUNDS || (!si->reads && i < 100 * STRESS_ROUNDS);
	     i++) {
		dma_resv_lock(c->d->resv, NULL);
		if (!c->imp.sgt) {
			struct sg_table *s;

			s = dma_buf_map_attachment(c->imp.attach,
						   DMA_BIDIRECTIONAL);
			if (IS_ERR(s)) {
				assert_int_equal(PTR_ERR(s), -ENODEV);
				si->refused++;
			} else {
				c->imp.sgt = s;
			}
		}
		/* DMA only under the lock: a revoke unmaps under it */
		if (c->imp.sgt) {
			assert_int_equal(sim_dma_read(c->client,
						      sg_dma_address(c->imp.sgt->sgl),
						      buf, sizeof(buf)), 0);
			assert_memory_equal(buf, si->s->pat, sizeof(buf));
			si->reads++;
			if (i % 4 == 3) {
				dma_buf_unmap_attachment(c->imp.attach,
							 c->imp.sgt,
							 DMA_BIDIRECTIONAL);
				c->imp.sgt = NULL;
			}
		}
		dma_resv_unlock(c->d->resv);
		if (i % 8 == 0)
			sched_yield();
	}
	return NULL;
}

static void *stress_toggler(void *arg)
{
	struct stress *s = arg;

	do {
		assert_int_equal(cfg_write16(s->v, PCI_COMMAND,
					     PCI_COMMAND_MASTER), 2);
		sched_yield();
		assert_int_equal(cfg_write16(s->v, PCI_COMMAND,
					     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 2);
		s->toggles++;
		sched_yield();
	} while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE));
	return NULL;
}

static void test_stress_revoke(void **state)
{
	struct fx *f = FX(state);
	struct device *clients[STRESS_IMPORTERS] = { f->nic[0], f->nic[1],
						     f->nic[1] };
	const u64 r[1][2] = { { SZ_1M, SZ_64K } };
	struct stress_imp si[STRESS_IMPORTERS];
	pthread_t imp_t[STRESS_IMPORTERS], tog;
	struct stress s = { .f = f };
	int reads = 0;

	s.v = vopen(f->gpu[0]);
	fill_pattern(s.pat, sizeof(s.pat), 31);
	assert_int_equal(sim_mmio_write(f->m, pci_resource_start(s.v->pdev, 2) +
					SZ_1M, s.pat, sizeof(s.pat)), 0);
	for (int i = 0; i < STRESS_IMPORTERS; i++) {
		memset(&si[i], 0, sizeof(si[i]));
		si[i].s = &s;
		ctx_open(&si[i].c, f, s.v, clients[i], 2, r, 1);
	}
	assert_int_equal(pthread_create(&tog, NULL, stress_toggler, &s), 0);
	for (int i = 0; i < STRESS_IMPORTERS; i++)
		assert_int_equal(pthread_create(&imp_t[i], NULL,
						stress_importer, &si[i]), 0);
	for (int i = 0; i < STRESS_IMPORTERS; i++)
		pthread_join(imp_t[i], NULL);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(tog, NULL);

	assert_true(s.toggles > 0);
	for (int i = 0; i < STRESS_IMPORTERS; i++) {
		reads += si[i].reads;
		assert_true(si[i].c.imp.notified > 0 || si[i].reads >= STRESS_ROUNDS);
		ctx_close(&si[i].c);
	}
	assert_true(reads > 0);
	vdev_free(s.v);
	/* no importer touched the BAR while it was revoked */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
}

/* ---- revoke storms against DMA, new exports and close/open (TSan) -------- */

/*
 * One thread changes whether gpu0's BARs decode every way there is
 * (through VFIO: config writes of the memory bit and PM, VFIO_DEVICE_RESET,
 * hot reset, low power; behind VFIO's back: pci_write_config_word(),
 * pci_set_power_state(), pcie_flr(), pci_reset_function()), another closes
 * and reopens the device, importers export, attach, map and move data
 * through their exports, and a checker looks, under memory_lock, for an
 * export that is usable while memory does not decode. Legal use
 * throughout: no DMA fault, no warning, nothing leaked, and the device
 * has no export left after each close.
 */
#define STORM_ROUNDS		150
#define STORM_IMPORTERS		2

struct storm {
	struct fx *f;
	struct vfio_pci_core_device *v;
	int stop;			/* __atomic: changer and opener are done */
	int bad_checks;			/* __atomic: checker saw a broken invariant */
	int left_after_close;		/* __atomic: exports on the list after a close */
	int closes, opens, changes, checks;
};

struct storm_imp {
	struct storm *s;
	struct device *client;
	int id;
	int rounds, exports, refused_exports, dmas, enodev;
};

/* A VFIO call on a device another thread may have closed: -EINVAL then. */
static void storm_ok(long ret, long ok)
{
	if (ret != ok && ret != -EINVAL)
		fail_msg("storm: %ld (expected %ld or -EINVAL)", ret, ok);
}

static void storm_change(struct storm *s, int i)
{
	struct vfio_pci_core_device *v = s->v;
	struct pci_dev *pdev = v->pdev;
	int pm = pci_find_capability(pdev, PCI_CAP_ID_PM);
	u16 on = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };

	switch (i % 9) {
	case 0:
		storm_ok(cfg_write16(v, PCI_COMMAND, PCI_COMMAND_MASTER), 2);
		sched_yield();
		storm_ok(cfg_write16(v, PCI_COMMAND, on), 2);
		break;
	case 1:
		storm_ok(cfg_write16(v, pm + PCI_PM_CTRL, PCI_D3hot), 2);
		sched_yield();
		storm_ok(cfg_write16(v, pm + PCI_PM_CTRL, PCI_D0), 2);
		break;
	case 2:
		storm_ok(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_RESET, NULL, 0), 0);
		break;
	case 3:
		storm_ok(low_power(v, true), 0);
		sched_yield();
		storm_ok(low_power(v, false), 0);
		break;
	case 4: {
		/* memory_lock is only tried: an importer's export may hold it */
		long ret = sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_PCI_HOT_RESET,
					  &hr, sizeof(hr));

		if (ret != -EBUSY)
			storm_ok(ret, 0);
		break;
	}
	case 5:
		assert_int_equal(pci_write_config_word(pdev, PCI_COMMAND,
						       PCI_COMMAND_MASTER), 0);
		sched_yield();
		assert_int_equal(pci_write_config_word(pdev, PCI_COMMAND, on), 0);
		break;
	case 6:
		assert_int_equal(pci_set_power_state(pdev, PCI_D3hot), 0);
		sched_yield();
		assert_int_equal(pci_set_power_state(pdev, PCI_D0), 0);
		break;
	case 7:
		assert_int_equal(pcie_flr(pdev), 0);
		sched_yield();
		assert_int_equal(pci_write_config_word(pdev, PCI_COMMAND, on), 0);
		break;
	default:
		assert_int_equal(pci_reset_function(pdev), 0);
		break;
	}
	s->changes++;
}

static void *storm_changer(void *arg)
{
	struct storm *s = arg;

	for (int i = 0; i < STORM_ROUNDS; i++)
		storm_change(s, i);
	return NULL;
}

static void *storm_opener(void *arg)
{
	struct storm *s = arg;

	for (int i = 0; i < STORM_ROUNDS / 3; i++) {
		sched_yield();
		sim_vfio_close(&s->v->vdev);
		s->closes++;
		/* the close revoked everything for good and waited for ioctls */
		if (sim_vfio_pci_dma_buf_count(s->v))
			__atomic_fetch_add(&s->left_after_close, 1, __ATOMIC_RELAXED);
		sched_yield();
		assert_int_equal(sim_vfio_open(&s->v->vdev), 0);
		s->opens++;
	}
	return NULL;
}

static void *storm_checker(void *arg)
{
	struct storm *s = arg;

	while (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) < 2) {
		if (sim_vfio_pci_dma_buf_usable_while_off(s->v))
			__atomic_fetch_add(&s->bad_checks, 1, __ATOMIC_RELAXED);
		s->checks++;
		sched_yield();
	}
	return NULL;
}

static void *storm_importer(void *arg)
{
	struct storm_imp *si = arg;
	struct storm *s = si->s;
	const u64 r[1][2] = { { SZ_1M, SZ_64K } };
	u8 buf[64];

	/* at least STORM_ROUNDS, and for as long as the storm blows */
	for (int i = 0; i < STORM_ROUNDS ||
			!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE); i++) {
		struct ctx c;

		si->rounds++;
		memset(&c, 0, sizeof(c));
		c.f = s->f;
		c.client = si->client;
		c.fd = vexport(s->v, 2, r, 1);
		if (c.fd < 0) {
			/* closed meanwhile */
			assert_int_equal(c.fd, -EINVAL);
			si->refused_exports++;
			sched_yield();
			continue;
		}
		si->exports++;
		c.d = sim_dma_buf_get(s->f->m, c.fd);
		assert_false(IS_ERR(c.d));
		c.imp.attach = dma_buf_dynamic_attach(c.d, c.client, &imp_ops,
						      &c.imp);
		if (IS_ERR(c.imp.attach)) {
			/* revoked at the attach */
			assert_int_equal(PTR_ERR(c.imp.attach), -ENODEV);
			si->enodev++;
			dma_buf_put(c.d);
			assert_int_equal(sim_fd_close(s->f->m, c.fd), 0);
			continue;
		}
		for (int k = 0; k < 4; k++) {
			long ret = imp_map(&c);

			if (ret) {
				assert_int_equal(ret, -ENODEV);
				si->enodev++;
				sched_yield();
				continue;
			}
			/* mapped and not revoked: the BAR decodes under the lock */
			dma_resv_lock(c.d->resv, NULL);
			if (c.imp.sgt) {
				assert_int_equal(sim_dma_read(c.client,
							      sg_dma_address(c.imp.sgt->sgl),
							      buf, sizeof(buf)), 0);
				/* each importer writes bytes of its own */
				assert_int_equal(sim_dma_write(c.client,
							       sg_dma_address(c.imp.sgt->sgl) +
							       128 + 64 * si->id,
							       buf, sizeof(buf)), 0);
				si->dmas++;
			}
			dma_resv_unlock(c.d->resv);
		}
		ctx_close(&c);
	}
	return NULL;
}

static void test_stress_storm(void **state)
{
	struct fx *f = FX(state);
	/*
	 * Bus addresses below the switch: nothing a thread caches for itself
	 * (IOVA magazines, flush queues of an IOMMU domain) stays allocated,
	 * so what is live afterwards is what was before. test_stress_revoke
	 * races revokes against importers behind the IOMMU.
	 */
	struct device *clients[STORM_IMPORTERS] = { f->nic[0], f->nic[0] };
	struct storm_imp si[STORM_IMPORTERS];
	pthread_t imp_t[STORM_IMPORTERS], chg, opn, chk;
	struct storm s = { .f = f };
	long live;
	int exports = 0, dmas = 0;

	s.v = vopen(f->gpu[0]);
	/* once, for what is made on first use (the map type caches) */
	{
		const u64 r[1][2] = { { SZ_1M, SZ_64K } };
		struct ctx c;

		for (int i = 0; i < STORM_IMPORTERS; i++) {
			ctx_open(&c, f, s.v, clients[i], 2, r, 1);
			imp_dma_check(&c);
			ctx_close(&c);
		}
	}
	live = sim_alloc_live(f->m);
	assert_int_equal(pthread_create(&chk, NULL, storm_checker, &s), 0);
	for (int i = 0; i < STORM_IMPORTERS; i++) {
		memset(&si[i], 0, sizeof(si[i]));
		si[i].s = &s;
		si[i].id = i;
		si[i].client = clients[i];
		assert_int_equal(pthread_create(&imp_t[i], NULL, storm_importer,
						&si[i]), 0);
	}
	assert_int_equal(pthread_create(&chg, NULL, storm_changer, &s), 0);
	assert_int_equal(pthread_create(&opn, NULL, storm_opener, &s), 0);
	pthread_join(chg, NULL);
	pthread_join(opn, NULL);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < STORM_IMPORTERS; i++)
		pthread_join(imp_t[i], NULL);
	__atomic_store_n(&s.stop, 2, __ATOMIC_RELEASE);
	pthread_join(chk, NULL);

	assert_int_equal(s.changes, STORM_ROUNDS);
	assert_int_equal(s.closes, STORM_ROUNDS / 3);
	assert_int_equal(s.opens, STORM_ROUNDS / 3);
	assert_true(s.checks > 0);
	for (int i = 0; i < STORM_IMPORTERS; i++) {
		exports += si[i].exports;
		dmas += si[i].dmas;
		assert_int_equal(si[i].exports + si[i].refused_exports,
				 si[i].rounds);
	}
	assert_true(exports > 0);
	/* no export usable while memory was off; none survived a close */
	assert_int_equal(s.bad_checks, 0);
	assert_int_equal(s.left_after_close, 0);
	/* decoding back on: exports work again, and none is left */
	assert_int_equal(cfg_write16(s.v, PCI_COMMAND,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 2);
	assert_int_equal(sim_vfio_pci_dma_buf_count(s.v), 0);
	assert_int_equal(sim_vfio_registration_count(&s.v->vdev), 2);
	assert_int_equal(sim_vfio_pci_dma_buf_usable_while_off(s.v), 0);
	/*
	 * The last close left its ranges in the revoked-MMIO registry (late
	 * accesses are named); an export of them that is usable forgets them.
	 */
	{
		const u64 r[1][2] = { { SZ_1M, SZ_64K } };
		struct ctx c;

		ctx_open(&c, f, s.v, clients[0], 2, r, 1);
		imp_dma_check(&c);
		ctx_close(&c);
	}
	assert_int_equal(sim_alloc_live(f->m), live);
	vdev_free(s.v);
	/* no importer touched the BAR while it was revoked or off */
	if (sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT) ||
	    sim_report_count_kind(f->m, SIM_REPORT_WARN))
		sim_report_dump(f->m, stderr);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	assert_true(dmas > 0);
}

/*
 * An export made while a change behind VFIO's back is under way (the
 * memory bit cleared with pci_write_config_word()): the notifier revoked
 * and holds memory_lock until the register changed, so the export waits
 * and is born revoked, instead of reading "memory on" in between and
 * staying usable while the BAR stops decoding. The importer's move_notify
 * (inside the revoke) starts the export on another thread and waits
 * until it is made or waits for memory_lock.
 */
struct window {
	struct vfio_pci_core_device *v;
	pthread_t t;
	int fd;
	int started, done;		/* __atomic */
};

static void *window_export(void *arg)
{
	struct window *w = arg;
	const u64 r[1][2] = { { 0, SZ_4K } };

	w->fd = vexport(w->v, 2, r, 1);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void window_move_notify(struct dma_buf_attachment *a)
{
	struct window *w = a->importer_priv;

	if (w->started)
		return;
	w->started = 1;
	assert_int_equal(pthread_create(&w->t, NULL, window_export, w), 0);
	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE) &&
	       !rwsem_is_contended(&w->v->memory_lock))
		sched_yield();
}

static const struct dma_buf_attach_ops window_ops = {
	.allow_peer2peer = true,
	.move_notify = window_move_notify,
};

static void test_export_during_change(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vopen(f->gpu[0]);
	const u64 r[1][2] = { { SZ_1M, SZ_64K } };
	struct window w = { .v = v, .fd = -1 };
	struct dma_buf_attachment *a, *a2;
	struct dma_buf *d, *d2;
	struct imp i2 = { 0 };
	int fd = vexport(v, 2, r, 1);

	assert_true(fd >= 0);
	d = sim_dma_buf_get(f->m, fd);
	a = dma_buf_dynamic_attach(d, f->nic[0], &window_ops, &w);
	assert_false(IS_ERR(a));
	assert_int_equal(pci_write_config_word(v->pdev, PCI_COMMAND,
					       PCI_COMMAND_MASTER), 0);
	assert_int_equal(w.started, 1);
	pthread_join(w.t, NULL);
	assert_true(w.fd >= 0);
	/* made during the change: revoked, like the one the change revoked */
	d2 = sim_dma_buf_get(f->m, w.fd);
	a2 = dma_buf_dynamic_attach(d2, f->nic[0], &imp_ops, &i2);
	assert_true(IS_ERR(a2));
	assert_int_equal(PTR_ERR(a2), -ENODEV);
	assert_int_equal(sim_vfio_pci_dma_buf_usable_while_off(v), 0);
	/* memory back on: both are restored */
	assert_int_equal(pci_write_config_word(v->pdev, PCI_COMMAND,
					       PCI_COMMAND_MASTER |
					       PCI_COMMAND_MEMORY), 0);
	a2 = dma_buf_dynamic_attach(d2, f->nic[0], &imp_ops, &i2);
	assert_false(IS_ERR(a2));
	dma_buf_detach(d2, a2);
	dma_buf_put(d2);
	assert_int_equal(sim_fd_close(f->m, w.fd), 0);
	dma_buf_detach(d, a);
	dma_buf_put(d);
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	vdev_free(v);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/*
 * Close waits for the ioctls in flight: a low power entry is under way (its
 * revoke is telling the importer) when another thread closes the device.
 * The close waits at the fd's gate until the ioctl returned, and then
 * revokes for good; nothing from the ioctl survives into the next open.
 */
struct gate {
	struct vfio_pci_core_device *v;
	pthread_t t;
	int started, done;		/* __atomic */
	bool gate_waited, done_early;
};

static void *gate_close(void *arg)
{
	struct gate *g = arg;

	sim_vfio_close(&g->v->vdev);
	__atomic_store_n(&g->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void gate_move_notify(struct dma_buf_attachment *a)
{
	struct gate *g = a->importer_priv;

	if (g->started)
		return;
	g->started = 1;
	assert_int_equal(pthread_create(&g->t, NULL, gate_close, g), 0);
	while (!__atomic_load_n(&g->done, __ATOMIC_ACQUIRE) &&
	       !rwsem_is_contended(&g->v->vdev.fd_rwsem) &&
	       !rwsem_is_contended(&g->v->memory_lock))
		sched_yield();
	g->gate_waited = rwsem_is_contended(&g->v->vdev.fd_rwsem);
	g->done_early = __atomic_load_n(&g->done, __ATOMIC_ACQUIRE);
}

static const struct dma_buf_attach_ops gate_ops = {
	.allow_peer2peer = true,
	.move_notify = gate_move_notify,
};

static void test_close_waits_for_ioctl(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vopen(f->gpu[0]);
	const u64 r[1][2] = { { 0, SZ_4K } };
	struct gate g = { .v = v };
	struct dma_buf_attachment *a;
	struct dma_buf *d;
	int fd = vexport(v, 2, r, 1);

	assert_true(fd >= 0);
	d = sim_dma_buf_get(f->m, fd);
	a = dma_buf_dynamic_attach(d, f->nic[0], &gate_ops, &g);
	assert_false(IS_ERR(a));
	/* the ioctl completes although a close started during it */
	assert_int_equal(low_power(v, true), 0);
	pthread_join(g.t, NULL);
	assert_true(g.gate_waited);
	assert_false(g.done_early);
	/* closed after it: the export went off the list for good */
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	assert_false(v->pm_runtime_engaged);
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_RESET, NULL, 0),
			 -EINVAL);
	/* a new open starts clean */
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	dma_buf_detach(d, a);
	dma_buf_put(d);
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	vdev_free(v);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
}

/*
 * The checker itself: an export left usable while memory is off (made
 * here by turning decoding off with no notifier, as if VFIO's revoke were
 * missing) is counted.
 */
static void test_usable_while_off_counts(void **state)
{
	struct fx *f = FX(state);
	struct vfio_pci_core_device *v = vopen(f->gpu[0]);
	const u64 r[1][2] = { { 0, SZ_4K } };
	struct pci_dev *pdev = v->pdev;
	int fd = vexport(v, 2, r, 1);

	assert_true(fd >= 0);
	assert_int_equal(sim_vfio_pci_dma_buf_usable_while_off(v), 0);
	assert_int_equal(sim_pci_set_notifier(pdev, NULL, NULL), 0);
	assert_int_equal(pci_write_config_word(pdev, PCI_COMMAND,
					       PCI_COMMAND_MASTER), 0);
	assert_int_equal(sim_vfio_pci_dma_buf_usable_while_off(v), 1);
	assert_int_equal(pci_write_config_word(pdev, PCI_COMMAND,
					       PCI_COMMAND_MASTER |
					       PCI_COMMAND_MEMORY), 0);
	assert_int_equal(sim_vfio_pci_dma_buf_usable_while_off(v), 0);
	/* the notifier back (what registration installed) */
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 1);
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	assert_int_equal(sim_vfio_pci_dma_buf_count(v), 0);
	sim_vfio_close(&v->vdev);
	vfio_pci_core_unregister_device(v);
	assert_false(v->vdev.registered);
	vfio_put_device(&v->vdev);
}

/* ---- teardown with everything still alive -------------------------------- */

/*
 * The machine goes while a user still has gpu0 open, an export of it has
 * an fd, and NIC memory regions (one below the switch, one behind the
 * IOMMU) use it: every piece is reported and freed, the exporter's and
 * importers' state included (ASan: nothing leaked).
 */
static void test_teardown_with_open_device(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_VFIO);
	struct vfio_pci_core_device *v;
	const u64 r[1][2] = { { SZ_1M, SZ_64K } };
	struct sim_nic_mr *mr0, *mr1;
	char *log = NULL;
	size_t loglen = 0;
	FILE *echo = open_memstream(&log, &loglen);
	u8 buf[64];
	int fd;

	(void)state;
	assert_non_null(echo);
	v = vopen(dev_of(m, "gpu0"));
	fd = vexport(v, 2, r, 1);
	assert_true(fd >= 0);
	mr0 = sim_nic_reg_dmabuf_mr(dev_of(m, "nic0"), fd, 0, SZ_64K,
				    DMA_BIDIRECTIONAL);
	mr1 = sim_nic_reg_dmabuf_mr(dev_of(m, "nic1"), fd, SZ_4K, SZ_8K,
				    DMA_BIDIRECTIONAL);
	assert_false(IS_ERR(mr0));
	assert_false(IS_ERR(mr1));
	assert_int_equal(sim_nic_mr_read(mr0, 0, buf, sizeof(buf)), 0);
	assert_int_equal(sim_nic_mr_write(mr1, 0, buf, sizeof(buf)), 0);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_WARN), 0);
	sim_report_echo(m, echo);
	sim_machine_destroy(m);
	fclose(echo);
	/* each piece named: the open fd, the export and its importers, the device */
	assert_non_null(strstr(log, "vfio: 0000:03:00.0: device fd still open at machine teardown: closed"));
	assert_non_null(strstr(log, "buffer leaked at machine teardown [exporter=vfio_pci_dmabuf]"));
	assert_non_null(strstr(log, "[fds=1] [attachments=2]: released"));
	assert_non_null(strstr(log, "released with 2 attachment(s) still attached"));
	assert_non_null(strstr(log, "vfio: 0000:03:00.0: device still registered at machine teardown: freed"));
	/* the close revoked the export first: nothing touched revoked MMIO */
	assert_null(strstr(log, "dma-fault"));
	free(log);
}

/*
 * The device was closed and put, but the program kept an export's fd, a
 * reference and an attachment: teardown releases the export through
 * VFIO's release (detaching for the importer), reports it, and names no
 * device; nothing leaked (ASan).
 */
static void test_teardown_with_leaked_export(void **state)
{
	struct sim_machine *m = machine_from(PLATFORM_VFIO);
	struct vfio_pci_core_device *v;
	const u64 r[1][2] = { { 0, SZ_8K } };
	struct ctx c;
	char *log = NULL;
	size_t loglen = 0;
	FILE *echo = open_memstream(&log, &loglen);
	struct fx f = { .m = m };

	(void)state;
	assert_non_null(echo);
	v = vopen(dev_of(m, "gpu0"));
	ctx_open(&c, &f, v, dev_of(m, "nic1"), 2, r, 1);
	assert_int_equal(imp_map(&c), 0);
	/* the close revokes it for good: the importer unmaps when told */
	sim_vfio_close(&v->vdev);
	assert_null(c.imp.sgt);
	assert_int_equal(c.imp.notified, 1);
	vfio_pci_core_unregister_device(v);
	assert_false(v->vdev.registered);
	vfio_put_device(&v->vdev);
	sim_report_echo(m, echo);
	sim_machine_destroy(m);
	fclose(echo);
	assert_non_null(strstr(log, "buffer leaked at machine teardown [exporter=vfio_pci_dmabuf]"));
	assert_non_null(strstr(log, "[refs=2] [fds=1] [attachments=1]: released"));
	assert_non_null(strstr(log, "released with 1 attachment(s) still attached"));
	assert_null(strstr(log, "vfio: "));
	free(log);
}

/* ---- vfio_pci_core_fill_phys_vec(), called directly ---------------------- */

/*
 * The exported helper refuses an empty slice itself (variant drivers may
 * call it with slices of their own), with -EINVAL before it looks at the
 * offset: even an offset that would overflow gives -EINVAL.
 */
static void test_fill_phys_vec(void **state)
{
	const phys_addr_t start = 0x100000000ULL, len = SZ_64K;
	struct vfio_region_dma_range r[3] = {
		{ .offset = 0, .length = SZ_4K },
		{ .offset = SZ_8K, .length = SZ_16K },
		{ .offset = SZ_32K, .length = SZ_32K },
	};
	struct phys_vec pv[3];

	(void)state;
	memset(pv, 0, sizeof(pv));
	assert_int_equal(vfio_pci_core_fill_phys_vec(pv, r, 3, start, len), 0);
	assert_int_equal(pv[0].paddr, start);
	assert_int_equal(pv[0].len, SZ_4K);
	assert_int_equal(pv[1].paddr, start + SZ_8K);
	assert_int_equal(pv[1].len, SZ_16K);
	assert_int_equal(pv[2].paddr, start + SZ_32K);
	assert_int_equal(pv[2].len, SZ_32K);

	/* a zero-length slice anywhere: -EINVAL */
	for (int i = 0; i < 3; i++) {
		struct vfio_region_dma_range z[3];

		memcpy(z, r, sizeof(z));
		z[i].length = 0;
		assert_int_equal(vfio_pci_core_fill_phys_vec(pv, z, 3, start,
							     len), -EINVAL);
	}
	/* ...even at offset 0 of the region, or at its very end */
	{
		struct vfio_region_dma_range z = { .offset = 0, .length = 0 };

		assert_int_equal(vfio_pci_core_fill_phys_vec(pv, &z, 1, start,
							     len), -EINVAL);
		z.offset = len;
		assert_int_equal(vfio_pci_core_fill_phys_vec(pv, &z, 1, start,
							     len), -EINVAL);
		/* checked before the offset: no -EOVERFLOW */
		z.offset = ~0ULL;
		assert_int_equal(vfio_pci_core_fill_phys_vec(pv, &z, 1, start,
							     len), -EINVAL);
		/* the same offset with a length overflows */
		z.length = SZ_4K;
		assert_int_equal(vfio_pci_core_fill_phys_vec(pv, &z, 1, start,
							     len), -EOVERFLOW);
	}
	/* past the end: -EINVAL; no slices at all: nothing to do */
	r[2].length = SZ_32K + SZ_4K;
	assert_int_equal(vfio_pci_core_fill_phys_vec(pv, r, 3, start, len),
			 -EINVAL);
	assert_int_equal(vfio_pci_core_fill_phys_vec(pv, r, 0, start, len), 0);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_feature_header),
		cmocka_unit_test(test_fill_phys_vec),
		T(test_dma_buf_validation),
		T(test_region_info),
		T(test_export_attach_map_dma),
		T(test_revoke_triggers),
		T(test_hot_reset),
		T(test_hot_reset_foreign),
		T(test_close_revokes_for_good),
		T(test_close_notifies_once),
		T(test_big_exports),
		T(test_nvgrace_variant),
		T(test_failnth_lifecycle),
		T(test_group_viability),
		T(test_stress_revoke),
		T(test_stress_storm),
		T(test_export_during_change),
		T(test_close_waits_for_ioctl),
		T(test_usable_while_off_counts),
		cmocka_unit_test(test_teardown_with_open_device),
		cmocka_unit_test(test_teardown_with_leaked_export),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
