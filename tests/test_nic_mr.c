// SPDX-License-Identifier: MIT
/*
 * The revoked-MMIO registry (sim_mmio_set_revoked(): set,
 * restore, split, merge, bad input, reports on device access with the BAR
 * decoding or not) and the NIC's dma-buf memory regions (src/drivers/
 * nic_mr.c): registration over a toy dynamic exporter of a GPU BAR, NIC
 * DMA both ways below a switch, through the IOMMU and without one,
 * move_notify and the remap on the next access, an exporter refusing
 * (revoked) and allowing again, exports above 4 GiB, registration errors,
 * a fault-injection sweep and a TSan stress of NIC DMA against move_notify
 * and revoke/restore.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include "failnth.h"
#include "gpu_nic_fixture.h"
/* The registry's declaration and state (not public API). */
#include "internal.h"

#define BIG		(5 * SZ_1G)
#define SMALL_MASK	SWEEP_IOVA_MASK	/* 64M of IOVA */

/* Nothing mapped, no dma-debug error, no registry left behind. */
static int nic_fx_teardown(void **state)
{
	struct fx *f = *state;
	int bad = 0;

	if (f && mmio_revoke_count(f->m)) {
		fprintf(stderr, "teardown: revoked ranges left\n");
		bad = -1;
	}
	return fx_teardown(state) ? -1 : bad;
}

#define FX(state)	((struct fx *)*(state))

static unsigned long faults(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_DMA_FAULT);
}

/* ------------------------------------------------------------------------ */
/* The revoked-MMIO registry                                                */
/* ------------------------------------------------------------------------ */

static void expect_ranges(struct sim_machine *m, unsigned int nr,
			  const u64 (*r)[2], const char *const *who)
{
	phys_addr_t start, end;
	char name[64];

	assert_int_equal(mmio_revoke_count(m), nr);
	for (unsigned int i = 0; i < nr; i++) {
		assert_int_equal(mmio_revoke_range(m, i, &start, &end, name,
						   sizeof(name)), 0);
		assert_int_equal(start, r[i][0]);
		assert_int_equal(end, r[i][1]);
		assert_string_equal(name, who[i]);
	}
	assert_int_equal(mmio_revoke_range(m, nr, &start, &end, name,
					   sizeof(name)), -ENOENT);
}

static void test_registry_set_split_merge(void **state)
{
	struct fx *f = FX(state);
	struct sim_machine *m = f->m;
	long live = sim_alloc_live(m);
	u64 a = f->bar2[0];

	/* two adjacent ranges of one exporter merge */
	assert_int_equal(sim_mmio_set_revoked(m, a, SZ_64K, true, "x"), 0);
	assert_int_equal(sim_mmio_set_revoked(m, a + SZ_64K, SZ_64K, true,
					      "x"), 0);
	{
		const u64 r[][2] = { { a, a + SZ_128K - 1 } };
		const char *w[] = { "x" };

		expect_ranges(m, 1, r, w);
	}
	/* restoring the middle splits */
	assert_int_equal(sim_mmio_set_revoked(m, a + SZ_16K, SZ_4K, false,
					      NULL), 0);
	{
		const u64 r[][2] = { { a, a + SZ_16K - 1 },
				     { a + SZ_16K + SZ_4K, a + SZ_128K - 1 } };
		const char *w[] = { "x", "x" };

		expect_ranges(m, 2, r, w);
	}
	/* another exporter takes over what it overlaps, splitting the rest */
	assert_int_equal(sim_mmio_set_revoked(m, a + SZ_8K, SZ_32K, true,
					      "y"), 0);
	{
		const u64 r[][2] = { { a, a + SZ_8K - 1 },
				     { a + SZ_8K, a + SZ_8K + SZ_32K - 1 },
				     { a + SZ_8K + SZ_32K, a + SZ_128K - 1 } };
		const char *w[] = { "x", "y", "x" };

		expect_ranges(m, 3, r, w);
	}
	/* filling the hole with the same exporter merges across it */
	assert_int_equal(sim_mmio_set_revoked(m, a + SZ_8K, SZ_32K, true,
					      "x"), 0);
	{
		const u64 r[][2] = { { a, a + SZ_128K - 1 } };
		const char *w[] = { "x" };

		expect_ranges(m, 1, r, w);
	}
	/* restoring what was never revoked changes nothing, allocates nothing */
	sim_fail_nth_alloc(m, 1);
	assert_int_equal(sim_mmio_set_revoked(m, a + SZ_1M, SZ_4K, false,
					      "x"), 0);
	assert_false(sim_fail_nth_triggered(m));
	/* -ENOMEM leaves the registry as it was */
	assert_int_equal(sim_mmio_set_revoked(m, a + SZ_4K, SZ_4K, false,
					      "x"), -ENOMEM);
	sim_fail_nth_alloc(m, 0);
	{
		const u64 r[][2] = { { a, a + SZ_128K - 1 } };
		const char *w[] = { "x" };

		expect_ranges(m, 1, r, w);
	}
	/* bad input */
	assert_int_equal(sim_mmio_set_revoked(m, a, 0, true, "x"), -EINVAL);
	assert_int_equal(sim_mmio_set_revoked(m, ~0ULL - 10, 12, true, "x"),
			 -EINVAL);
	assert_int_equal(sim_mmio_set_revoked(NULL, a, 1, true, "x"), -EINVAL);
	/* the last byte of the address space is a valid range */
	assert_int_equal(sim_mmio_set_revoked(m, ~0ULL, 1, true, NULL), 0);
	assert_int_equal(sim_mmio_set_revoked(m, ~0ULL - 4095, 4096, false,
					      NULL), 0);
	/* restoring a superset removes everything and frees the table */
	assert_int_equal(sim_mmio_set_revoked(m, a - SZ_4K, SZ_1M, false,
					      "x"), 0);
	expect_ranges(m, 0, NULL, NULL);
	assert_int_equal(sim_alloc_live(m), live);
}

static void set_decoding(struct device *dev, bool on)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	u16 cmd;

	assert_int_equal(pci_read_config_word(pdev, PCI_COMMAND, &cmd), 0);
	if (on)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	assert_int_equal(pci_write_config_word(pdev, PCI_COMMAND, cmd), 0);
}

/* nic0 reaches gpu0's bar2 by bus address below the switch. */
static void test_registry_reports(void **state)
{
	struct fx *f = FX(state);
	struct sim_machine *m = f->m;
	phys_addr_t cpu = f->bar2[0] + SZ_64K;
	dma_addr_t bus = cpu - HB0_BUS_OFFSET;
	struct device *nic = f->nic[0];
	u8 pat[64], buf[64], big[3 * SZ_4K];
	struct sim_report r;
	unsigned long n0;

	fill_pattern(pat, sizeof(pat), 3);
	assert_int_equal(sim_mmio_write(m, cpu - 32, pat, sizeof(pat)), 0);
	assert_int_equal(sim_mmio_set_revoked(m, cpu, SZ_64K, true,
					      "vfio-pci:gpu0"), 0);

	/* overlapping the start: reported, and the BAR still answers */
	n0 = faults(m);
	assert_int_equal(sim_dma_read(nic, bus - 32, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	assert_int_equal(faults(m), n0 + 1);
	assert_int_equal(sim_report_get(m, sim_report_count(m) - 1, &r), 0);
	assert_non_null(strstr(r.text, "vfio-pci:gpu0"));
	assert_non_null(strstr(r.text, "revoked"));
	assert_non_null(strstr(r.text, dev_name(nic)));
	assert_non_null(strstr(r.text, "still decodes"));
	/* the address of the TLP that reached the range */
	assert_int_equal(r.addr, bus);
	/* writes too */
	assert_int_equal(sim_dma_write(nic, bus + 8, pat, 8), 0);
	assert_int_equal(faults(m), n0 + 2);
	/* one access over several TLPs is one report */
	assert_int_equal(sim_dma_read(nic, bus, big, sizeof(big)), 0);
	assert_int_equal(faults(m), n0 + 3);
	/* just outside, on either side: nothing */
	assert_int_equal(sim_dma_read(nic, bus - 32, buf, 32), 0);
	assert_int_equal(sim_dma_read(nic, bus + SZ_64K, buf, 32), 0);
	assert_int_equal(faults(m), n0 + 3);

	/* the BAR not decoding: the access fails, and says both */
	set_decoding(f->gpu[0], false);
	assert_int_equal(sim_dma_read(nic, bus, buf, sizeof(buf)), -EIO);
	assert_int_equal(faults(m), n0 + 4);
	assert_int_equal(sim_report_get(m, sim_report_count(m) - 1, &r), 0);
	assert_non_null(strstr(r.text, "not decoding"));
	assert_non_null(strstr(r.text, "revoked by dma-buf exporter vfio-pci:gpu0"));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xff);
	/* outside the revoked range: the usual failure, no exporter named */
	assert_int_equal(sim_dma_write(nic, bus - 32, pat, 8), -EIO);
	assert_int_equal(sim_report_get(m, sim_report_count(m) - 1, &r), 0);
	assert_non_null(strstr(r.text, "not decoding"));
	assert_null(strstr(r.text, "revoked"));
	set_decoding(f->gpu[0], true);

	/* D3hot: fails the same way */
	assert_int_equal(pci_set_power_state(to_pci_dev(f->gpu[0]), PCI_D3hot),
			 0);
	assert_int_equal(sim_dma_read(nic, bus, buf, sizeof(buf)), -EIO);
	assert_int_equal(sim_report_get(m, sim_report_count(m) - 1, &r), 0);
	assert_non_null(strstr(r.text, "D3hot"));
	assert_non_null(strstr(r.text, "revoked"));
	assert_int_equal(pci_set_power_state(to_pci_dev(f->gpu[0]), PCI_D0), 0);
	set_decoding(f->gpu[0], true);

	/* restored: silent again */
	assert_int_equal(sim_mmio_set_revoked(m, cpu, SZ_64K, false, NULL), 0);
	n0 = faults(m);
	assert_int_equal(sim_dma_read(nic, bus, buf, sizeof(buf)), 0);
	assert_int_equal(faults(m), n0);
}

/* Through the IOMMU and the root complex (nic1 -> gpu0): same report. */
static void test_registry_reports_thru_iommu(void **state)
{
	struct fx *f = FX(state);
	struct sim_machine *m = f->m;
	phys_addr_t cpu = f->bar2[0] + SZ_1M;
	dma_addr_t a;
	u8 buf[32];
	unsigned long n0;

	a = dma_map_resource(f->nic[1], cpu, SZ_4K, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(f->nic[1], a));
	assert_int_equal(sim_mmio_set_revoked(m, cpu + 16, 1, true, "exp"), 0);
	n0 = faults(m);
	assert_int_equal(sim_dma_read(f->nic[1], a + 16, buf, 1), 0);
	assert_int_equal(faults(m), n0 + 1);
	assert_true(sim_report_find(m, SIM_REPORT_DMA_FAULT,
				    "MMIO 0x"));
	assert_int_equal(sim_dma_read(f->nic[1], a + 17, buf, 8), 0);
	assert_int_equal(faults(m), n0 + 1);
	assert_int_equal(sim_mmio_set_revoked(m, cpu + 16, 1, false, NULL), 0);
	dma_unmap_resource(f->nic[1], a, SZ_4K, DMA_BIDIRECTIONAL, 0);
}

/* ------------------------------------------------------------------------ */
/* A toy dynamic exporter over ranges of a GPU BAR                          */
/* ------------------------------------------------------------------------ */

struct xp {
	struct sim_machine *m;
	struct p2pdma_provider *provider;
	struct dma_buf_phys_vec vec[4];
	size_t nr, size;
	phys_addr_t bar;
	int refuse;		/* __atomic: map returns ERR_PTR(-ENODEV) */
	int maps, unmaps, attaches, detaches, releases;	/* __atomic */
	int unlocked;		/* ops called without the reservation lock */
};

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define INC(x)		__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

/* As VFIO: P2P importers only, and only those that can reach the BAR. */
static int xp_attach(struct dma_buf *d, struct dma_buf_attachment *a)
{
	struct xp *x = d->priv;

	if (!a->peer2peer ||
	    pci_p2pdma_map_type(x->provider, a->dev) ==
		    PCI_P2PDMA_MAP_NOT_SUPPORTED)
		return -EOPNOTSUPP;
	INC(x->attaches);
	return 0;
}

static void xp_detach(struct dma_buf *d, struct dma_buf_attachment *a)
{
	struct xp *x = d->priv;

	(void)a;
	INC(x->detaches);
}

static int xp_pin(struct dma_buf_attachment *a)
{
	(void)a;
	return 0;
}

static void xp_unpin(struct dma_buf_attachment *a)
{
	(void)a;
}

static struct sg_table *xp_map(struct dma_buf_attachment *a,
			       enum dma_data_direction dir)
{
	struct xp *x = a->dmabuf->priv;
	struct sg_table *sgt;

	if (!dma_resv_is_locked_by_me(a->dmabuf->resv))
		INC(x->unlocked);
	if (LOAD(x->refuse))
		return ERR_PTR(-ENODEV);
	sgt = dma_buf_phys_vec_to_sgt(a, x->provider, x->vec, x->nr, x->size,
				      dir);
	if (!IS_ERR(sgt))
		INC(x->maps);
	return sgt;
}

static void xp_unmap(struct dma_buf_attachment *a, struct sg_table *sgt,
		     enum dma_data_direction dir)
{
	struct xp *x = a->dmabuf->priv;

	if (!dma_resv_is_locked_by_me(a->dmabuf->resv))
		INC(x->unlocked);
	INC(x->unmaps);
	dma_buf_free_sgt(a, sgt, dir);
}

static void xp_release(struct dma_buf *d)
{
	struct xp *x = d->priv;

	INC(x->releases);
}

static const struct dma_buf_ops xp_ops = {
	.attach = xp_attach,
	.detach = xp_detach,
	.pin = xp_pin,
	.unpin = xp_unpin,
	.map_dma_buf = xp_map,
	.unmap_dma_buf = xp_unmap,
	.release = xp_release,
};

/* Export ranges {offset, length} of gpu @g's bar2; returns an fd. */
static int xp_export(struct xp *x, struct fx *f, int g, const u64 (*r)[2],
		     size_t nr)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct dma_buf *d;
	int fd;

	memset(x, 0, sizeof(*x));
	x->m = f->m;
	x->provider = f->prov[g];
	x->bar = f->bar2[g];
	x->nr = nr;
	for (size_t i = 0; i < nr; i++) {
		x->vec[i].paddr = f->bar2[g] + r[i][0];
		x->vec[i].len = r[i][1];
		x->size += r[i][1];
	}
	exp.exp_name = "xp";
	exp.ops = &xp_ops;
	exp.size = x->size;
	exp.priv = x;
	exp.sim = f->m;
	d = dma_buf_export(&exp);
	if (IS_ERR(d))
		return (int)PTR_ERR(d);
	fd = dma_buf_fd(d, O_CLOEXEC);
	if (fd < 0)
		dma_buf_put(d);
	return fd;
}

/* The CPU address of byte @off of the export. */
static phys_addr_t xp_cpu(struct xp *x, u64 off)
{
	for (size_t i = 0; i < x->nr; i++) {
		if (off < x->vec[i].len)
			return x->vec[i].paddr + off;
		off -= x->vec[i].len;
	}
	fail_msg("offset beyond the export");
	return 0;
}

/* The BAR side of [@off, @off + @len) of the export, by CPU MMIO. */
static void xp_bar_io(struct xp *x, u64 off, void *buf, size_t len,
		      bool write)
{
	u8 *p = buf;

	while (len) {
		phys_addr_t cpu = xp_cpu(x, off);
		size_t n = len;

		/* stay inside one range */
		for (size_t i = 0, o = 0; i < x->nr; o += x->vec[i].len, i++)
			if (off >= o && off < o + x->vec[i].len)
				n = min(n, (size_t)(o + x->vec[i].len - off));
		if (write)
			assert_int_equal(sim_mmio_write(x->m, cpu, p, n), 0);
		else
			assert_int_equal(sim_mmio_read(x->m, cpu, p, n), 0);
		p += n;
		off += n;
		len -= n;
	}
}

/* The exporter moves the buffer: every importer's move_notify. */
static void xp_move(struct dma_buf *d)
{
	dma_resv_lock(d->resv, NULL);
	dma_buf_move_notify(d);
	dma_resv_unlock(d->resv);
}

/* Revoke (or restore) as VFIO does: refuse maps, notify, record MMIO. */
static void xp_revoke(struct xp *x, struct dma_buf *d, bool revoke)
{
	dma_resv_lock(d->resv, NULL);
	STORE(x->refuse, revoke);
	if (revoke)
		dma_buf_move_notify(d);
	for (size_t i = 0; i < x->nr; i++)
		assert_int_equal(sim_mmio_set_revoked(x->m, x->vec[i].paddr,
						      x->vec[i].len, revoke,
						      "xp"), 0);
	dma_resv_unlock(d->resv);
}

/* ------------------------------------------------------------------------ */
/* NIC memory regions                                                       */
/* ------------------------------------------------------------------------ */

/* NIC DMA of [@off, @off + @len) of @mr (at @base in the export) both ways. */
static void check_mr_dma(struct xp *x, struct sim_nic_mr *mr, u64 base,
			 u64 off, size_t len, unsigned int seed)
{
	u8 *pat = malloc(len), *buf = malloc(len);

	assert_non_null(pat);
	assert_non_null(buf);
	fill_pattern(pat, len, seed);
	xp_bar_io(x, base + off, pat, len, true);
	memset(buf, 0, len);
	assert_int_equal(sim_nic_mr_read(mr, off, buf, len), 0);
	assert_memory_equal(buf, pat, len);
	fill_pattern(pat, len, seed + 1);
	assert_int_equal(sim_nic_mr_write(mr, off, pat, len), 0);
	xp_bar_io(x, base + off, buf, len, false);
	assert_memory_equal(buf, pat, len);
	free(pat);
	free(buf);
}

static struct sim_nic_mr_stats mr_stats(struct sim_nic_mr *mr)
{
	struct sim_nic_mr_stats s;

	sim_nic_mr_stats(mr, &s);
	return s;
}

/*
 * Register 8K..(size - 4K) of a two-range export of gpu @g for @nic: DMA
 * across the range boundary, move_notify then a remap, a refusal and
 * recovery, and the rights of a one-way region.
 */
static void mr_lifecycle(struct fx *f, int g, struct device *nic)
{
	static const u64 r[2][2] = { { 0, SZ_64K }, { SZ_1M, SZ_64K } };
	u64 base = SZ_8K, len = SZ_128K - SZ_8K - SZ_4K;
	unsigned long f0 = faults(f->m);
	struct sim_nic_mr *mr, *ro;
	struct dma_buf *d;
	struct xp x;
	u8 buf[64];
	int fd;

	fd = xp_export(&x, f, g, r, 2);
	assert_true(fd >= 0);
	mr = sim_nic_reg_dmabuf_mr(nic, fd, base, len, DMA_BIDIRECTIONAL);
	assert_false(IS_ERR(mr));
	/* the region keeps the buffer: the fd can go */
	d = sim_dma_buf_get(f->m, fd);
	assert_false(IS_ERR(d));
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	assert_true(sim_nic_mr_mapped(mr));
	assert_int_equal(LOAD(x.maps), 1);

	check_mr_dma(&x, mr, base, 0, 256, 1);
	/* across the end of the first range */
	check_mr_dma(&x, mr, base, SZ_64K - base - 100, 200, 2);
	/* the whole region, the last byte */
	check_mr_dma(&x, mr, base, 0, len, 3);
	check_mr_dma(&x, mr, base, len - 1, 1, 4);
	/* outside the region */
	assert_int_equal(sim_nic_mr_read(mr, len - 1, buf, 2), -EINVAL);
	assert_int_equal(sim_nic_mr_write(mr, len + 1, buf, 0), -EINVAL);
	assert_int_equal(sim_nic_mr_read(mr, ~0ULL, buf, 2), -EINVAL);
	assert_int_equal(sim_nic_mr_read(mr, len, buf, 0), 0);

	/* move_notify unmaps; the next access maps again */
	xp_move(d);
	assert_false(sim_nic_mr_mapped(mr));
	assert_int_equal(mr_stats(mr).invalidations, 1);
	assert_int_equal(LOAD(x.unmaps), 1);
	xp_move(d);		/* nothing mapped: nothing to do */
	assert_int_equal(mr_stats(mr).invalidations, 1);
	check_mr_dma(&x, mr, base, SZ_64K, 128, 5);
	assert_true(sim_nic_mr_mapped(mr));
	assert_int_equal(mr_stats(mr).remaps, 1);

	/* revoked: the NIC's accesses fail, nothing is touched */
	xp_revoke(&x, d, true);
	assert_false(sim_nic_mr_mapped(mr));
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(sim_nic_mr_read(mr, 0, buf, sizeof(buf)), -ENODEV);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(sim_nic_mr_write(mr, 0, buf, sizeof(buf)), -ENODEV);
	assert_int_equal(mr_stats(mr).failed_remaps, 2);
	assert_int_equal(mr_stats(mr).invalidations, 2);
	/* allowed again */
	xp_revoke(&x, d, false);
	check_mr_dma(&x, mr, base, 0, 64, 6);
	assert_int_equal(mr_stats(mr).remaps, 2);

	/* a read-only region (the NIC only sends from it) */
	fd = dma_buf_fd(d, O_CLOEXEC);
	assert_true(fd >= 0);
	get_dma_buf(d);
	ro = sim_nic_reg_dmabuf_mr(nic, fd, 0, SZ_4K, DMA_TO_DEVICE);
	assert_false(IS_ERR(ro));
	assert_int_equal(sim_nic_mr_read(ro, 0, buf, sizeof(buf)), 0);
	assert_int_equal(sim_nic_mr_write(ro, 0, buf, sizeof(buf)), -EACCES);
	/* one move_notify reaches both regions */
	xp_move(d);
	assert_int_equal(mr_stats(ro).invalidations, 1);
	assert_int_equal(mr_stats(mr).invalidations, 3);
	sim_nic_dereg_mr(ro);
	assert_int_equal(sim_fd_close(f->m, fd), 0);

	sim_nic_dereg_mr(mr);
	assert_int_equal(LOAD(x.releases), 0);
	dma_buf_put(d);
	assert_int_equal(LOAD(x.releases), 1);
	assert_int_equal(LOAD(x.maps), LOAD(x.unmaps));
	assert_int_equal(LOAD(x.attaches), LOAD(x.detaches));
	assert_int_equal(LOAD(x.unlocked), 0);
	/* the NIC never touched the revoked MMIO */
	assert_int_equal(faults(f->m), f0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_IOMMU_FAULT),
			 0);
}

static void test_mr_bus_addr(void **state)
{
	struct fx *f = FX(state);

	mr_lifecycle(f, 0, f->nic[0]);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_mr_thru_iommu(void **state)
{
	struct fx *f = FX(state);

	mr_lifecycle(f, 0, f->nic[1]);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_mr_thru_direct(void **state)
{
	struct fx *f = FX(state);

	mr_lifecycle(f, 1, f->nic[2]);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

/*
 * A 5 GiB + 64K export: the NIC reaches bytes beyond 4 GiB, across the
 * UINT_MAX cut of the table's entries and across the two ranges, on all
 * three paths; and a region that starts beyond 4 GiB.
 */
static void test_mr_big(void **state)
{
	static const u64 r[2][2] = { { 0, BIG }, { 8 * SZ_1G, SZ_64K } };
	struct fx *f = FX(state);
	const struct { int g, nic; } c[] = { { 0, 0 }, { 0, 1 }, { 1, 2 } };

	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		struct sim_nic_mr *mr, *hi;
		struct xp x;
		int fd;

		fd = xp_export(&x, f, c[i].g, r, 2);
		assert_true(fd >= 0);
		mr = sim_nic_reg_dmabuf_mr(f->nic[c[i].nic], fd, 0, x.size,
					   DMA_BIDIRECTIONAL);
		assert_false(IS_ERR(mr));
		check_mr_dma(&x, mr, 0, (u64)UINT_MAX - 0x40, 0x80, 10);
		check_mr_dma(&x, mr, 0, SZ_4G + SZ_64K + 3, 0x80, 11);
		check_mr_dma(&x, mr, 0, BIG - 0x80, 0x100, 12);
		check_mr_dma(&x, mr, 0, x.size - 0x10, 0x10, 13);
		/* a region at 4G + 4K of the buffer */
		hi = sim_nic_reg_dmabuf_mr(f->nic[c[i].nic], fd,
					   SZ_4G + SZ_4K, SZ_1G + SZ_64K - SZ_4K,
					   DMA_BIDIRECTIONAL);
		assert_false(IS_ERR(hi));
		check_mr_dma(&x, hi, SZ_4G + SZ_4K, 0, 0x100, 14);
		check_mr_dma(&x, hi, SZ_4G + SZ_4K, SZ_1G - SZ_4K - 0x20, 0x40,
			     15);
		sim_nic_dereg_mr(hi);
		sim_nic_dereg_mr(mr);
		assert_int_equal(sim_fd_close(f->m, fd), 0);
		assert_int_equal(LOAD(x.releases), 1);
		assert_int_equal(LOAD(x.maps), LOAD(x.unmaps));
	}
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(faults(f->m), 0);
}

static void expect_reg_error(struct device *nic, int fd, u64 off, u64 len,
			     enum dma_data_direction dir, long err)
{
	struct sim_nic_mr *mr = sim_nic_reg_dmabuf_mr(nic, fd, off, len, dir);

	assert_true(IS_ERR(mr));
	assert_int_equal(PTR_ERR(mr), err);
}

static void reg_errors(struct fx *f)
{
	static const u64 r[1][2] = { { 0, SZ_64K } };
	struct xp x, y;
	int fd, fd2;

	fd = xp_export(&x, f, 0, r, 1);
	assert_true(fd >= 0);
	expect_reg_error(f->nic[0], fd + 100, 0, SZ_4K, DMA_BIDIRECTIONAL,
			 -EBADF);
	expect_reg_error(f->nic[0], -1, 0, SZ_4K, DMA_BIDIRECTIONAL, -EBADF);
	expect_reg_error(NULL, fd, 0, SZ_4K, DMA_BIDIRECTIONAL, -EINVAL);
	/* not a NIC */
	expect_reg_error(f->gpu[1], fd, 0, SZ_4K, DMA_BIDIRECTIONAL, -ENODEV);
	expect_reg_error(f->nic[0], fd, 0, SZ_4K, DMA_NONE, -EINVAL);
	/* empty, outside, wrapping */
	expect_reg_error(f->nic[0], fd, 0, 0, DMA_BIDIRECTIONAL, -EINVAL);
	expect_reg_error(f->nic[0], fd, SZ_64K, 1, DMA_BIDIRECTIONAL, -EINVAL);
	expect_reg_error(f->nic[0], fd, SZ_4K, SZ_64K, DMA_BIDIRECTIONAL,
			 -EINVAL);
	expect_reg_error(f->nic[0], fd, ~0ULL - SZ_4K, SZ_8K,
			 DMA_BIDIRECTIONAL, -EINVAL);
	expect_reg_error(f->nic[0], fd, SZ_4K, ~0ULL, DMA_BIDIRECTIONAL,
			 -EINVAL);
	/* the exporter refuses the attach: hb2 does not forward P2P */
	fd2 = xp_export(&y, f, 2, r, 1);
	assert_true(fd2 >= 0);
	expect_reg_error(f->nic[3], fd2, 0, SZ_4K, DMA_BIDIRECTIONAL,
			 -EOPNOTSUPP);
	/* nic0 cannot reach gpu2 either (different host bridges, one denies) */
	expect_reg_error(f->nic[0], fd2, 0, SZ_4K, DMA_BIDIRECTIONAL,
			 -EOPNOTSUPP);
	assert_int_equal(LOAD(y.attaches), 0);
	/* the exporter refuses the map at registration */
	STORE(x.refuse, 1);
	expect_reg_error(f->nic[0], fd, 0, SZ_4K, DMA_BIDIRECTIONAL, -ENODEV);
	assert_int_equal(LOAD(x.attaches), LOAD(x.detaches));
	STORE(x.refuse, 0);
	/* failed registrations hold no reference */
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	assert_int_equal(sim_fd_close(f->m, fd2), 0);
	assert_int_equal(LOAD(x.releases), 1);
	assert_int_equal(LOAD(y.releases), 1);
}

static void test_mr_reg_errors(void **state)
{
	struct fx *f = FX(state);
	long live;
	int fd;

	/* the first round leaves the fd table and the map type cache */
	reg_errors(f);
	live = sim_alloc_live(f->m);
	reg_errors(f);
	assert_int_equal(sim_alloc_live(f->m), live);
	/* NULL and error pointers are ignored */
	sim_nic_dereg_mr(NULL);
	sim_nic_dereg_mr(ERR_PTR(-EINVAL));
	assert_int_equal(sim_nic_mr_read(NULL, 0, &fd, 1), -EINVAL);
	assert_false(sim_nic_mr_mapped(NULL));
}

/* ------------------------------------------------------------------------ */
/* Fault injection: reg -> DMA -> move_notify -> DMA -> dereg               */
/* ------------------------------------------------------------------------ */

enum scn { SCN_REG, SCN_DMA, SCN_REMAP, SCN_DONE };

static enum scn run_scenario(struct fx *f, struct xp *x, int fd,
			     struct device *nic)
{
	enum scn res = SCN_DONE;
	struct sim_nic_mr *mr;
	struct dma_buf *d;
	u8 pat[64], buf[64];
	int ret;

	fill_pattern(pat, sizeof(pat), 40);
	xp_bar_io(x, SZ_4K, pat, sizeof(pat), true);
	mr = sim_nic_reg_dmabuf_mr(nic, fd, SZ_4K, x->size - SZ_4K,
				   DMA_BIDIRECTIONAL);
	if (IS_ERR(mr)) {
		assert_int_equal(PTR_ERR(mr), -ENOMEM);
		return SCN_REG;
	}
	assert_int_equal(sim_nic_mr_read(mr, 0, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	d = sim_dma_buf_get(f->m, fd);
	assert_false(IS_ERR(d));
	xp_move(d);
	dma_buf_put(d);
	ret = sim_nic_mr_read(mr, 0, buf, sizeof(buf));
	if (ret) {
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(mr_stats(mr).failed_remaps, 1);
		res = SCN_REMAP;
	} else {
		assert_memory_equal(buf, pat, sizeof(pat));
	}
	sim_nic_dereg_mr(mr);
	return res;
}

struct mr_scn {
	struct fx *f;
	struct xp *x;
	int fd;
};

static int mr_step(struct failnth_steps *w)
{
	const struct mr_scn *d = w->arg;

	return (int)run_scenario(d->f, d->x, d->fd, w->dev);
}

static void sweep(struct fx *f, int g, struct device *nic, bool iova)
{
	static const u64 r[3][2] = {
		{ 0, 2 * SZ_4K }, { SZ_1M, SZ_64K }, { 3 * SZ_1M, SZ_4K },
	};
	struct xp x;
	struct mr_scn d = { .f = f, .x = &x };
	/* the warm-up makes the map type cache, page tables, IOVA caches */
	struct failnth_steps w = {
		.m = f->m, .dev = nic, .iova = iova, .step = mr_step,
		.done = SCN_DONE, .arg = &d,
	};

	d.fd = xp_export(&x, f, g, r, 3);
	assert_true(d.fd >= 0);
	failnth_steps_sweep(&w);
	assert_true(w.results[SCN_REG] > 0);
	assert_true(w.results[SCN_REMAP] > 0);
	assert_int_equal(sim_fd_close(f->m, d.fd), 0);
	assert_int_equal(LOAD(x.releases), 1);
	assert_int_equal(LOAD(x.maps), LOAD(x.unmaps));
	assert_int_equal(LOAD(x.attaches), LOAD(x.detaches));
}

static void test_mr_failnth(void **state)
{
	struct fx *f = FX(state);

	sweep(f, 0, f->nic[1], true);	/* one IOVA range */
	sweep(f, 1, f->nic[2], false);	/* dma_map_phys per range */
	sweep(f, 0, f->nic[0], false);	/* bus addresses */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	assert_int_equal(faults(f->m), 0);
}

/* ------------------------------------------------------------------------ */
/* NIC DMA against move_notify and revoke/restore                           */
/* ------------------------------------------------------------------------ */

#define STRESS_NICS	3
#define STRESS_ROUNDS	400
#define SLICE		512

struct stress {
	struct fx *f;
	struct xp x;
	struct dma_buf *d;
	int stop;			/* __atomic */
	int moves, revokes;
};

struct stress_nic {
	struct stress *s;
	struct sim_nic_mr *mr;
	int idx;
	int ok, refused;
};

static void *nic_thread(void *arg)
{
	struct stress_nic *sn = arg;
	u8 pat[SLICE], buf[SLICE];
	u64 off = (u64)sn->idx * SLICE * 4;

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		int ret;

		fill_pattern(pat, sizeof(pat), sn->idx * 1000 + i);
		ret = sim_nic_mr_write(sn->mr, off, pat, sizeof(pat));
		if (ret) {
			assert_int_equal(ret, -ENODEV);
			sn->refused++;
			sched_yield();
			continue;
		}
		ret = sim_nic_mr_read(sn->mr, off, buf, sizeof(buf));
		if (ret) {
			assert_int_equal(ret, -ENODEV);
			sn->refused++;
			continue;
		}
		/* only this thread writes its slice */
		assert_memory_equal(buf, pat, sizeof(pat));
		sn->ok++;
	}
	return NULL;
}

static void *exporter_thread(void *arg)
{
	struct stress *s = arg;

	do {
		xp_move(s->d);
		s->moves++;
		if (s->moves % 4 == 0) {
			xp_revoke(&s->x, s->d, true);
			sched_yield();
			xp_revoke(&s->x, s->d, false);
			s->revokes++;
		}
		sched_yield();
	} while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE));
	return NULL;
}

static void test_stress_nic_vs_exporter(void **state)
{
	static const u64 r[2][2] = { { 0, SZ_8K }, { SZ_1M, SZ_8K } };
	struct fx *f = FX(state);
	struct stress s = { .f = f };
	struct stress_nic sn[STRESS_NICS];
	pthread_t nt[STRESS_NICS], et;
	unsigned long inval = 0;
	int fd;

	fd = xp_export(&s.x, f, 0, r, 2);
	assert_true(fd >= 0);
	s.d = sim_dma_buf_get(f->m, fd);
	assert_false(IS_ERR(s.d));
	for (int i = 0; i < STRESS_NICS; i++) {
		sn[i] = (struct stress_nic){ .s = &s, .idx = i };
		/* below the switch, through the IOMMU, below the switch */
		sn[i].mr = sim_nic_reg_dmabuf_mr(f->nic[i % 2], fd, 0,
						 s.x.size, DMA_BIDIRECTIONAL);
		assert_false(IS_ERR(sn[i].mr));
	}
	assert_int_equal(pthread_create(&et, NULL, exporter_thread, &s), 0);
	for (int i = 0; i < STRESS_NICS; i++)
		assert_int_equal(pthread_create(&nt[i], NULL, nic_thread,
						&sn[i]), 0);
	for (int i = 0; i < STRESS_NICS; i++)
		pthread_join(nt[i], NULL);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(et, NULL);

	for (int i = 0; i < STRESS_NICS; i++) {
		struct sim_nic_mr_stats st = mr_stats(sn[i].mr);

		assert_int_equal(sn[i].ok + sn[i].refused, STRESS_ROUNDS);
		assert_true(st.remaps <= st.invalidations);
		assert_true(st.failed_remaps >= (unsigned long)sn[i].refused);
		inval += st.invalidations;
		sim_nic_dereg_mr(sn[i].mr);
	}
	assert_true(s.moves > 0);
	assert_true(inval > 0 || s.moves > 0);
	dma_buf_put(s.d);
	assert_int_equal(sim_fd_close(f->m, fd), 0);
	assert_int_equal(LOAD(s.x.releases), 1);
	assert_int_equal(LOAD(s.x.maps), LOAD(s.x.unmaps));
	assert_int_equal(LOAD(s.x.unlocked), 0);
	/* no NIC access ever reached revoked MMIO or missed its mapping */
	assert_int_equal(faults(f->m), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_IOMMU_FAULT),
			 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

/* Device accesses to a BAR while another thread revokes and restores. */
struct reg_stress {
	struct fx *f;
	int stop;
};

static void *reg_flipper(void *arg)
{
	struct reg_stress *rs = arg;
	phys_addr_t a = rs->f->bar2[0];

	for (int i = 0; !__atomic_load_n(&rs->stop, __ATOMIC_ACQUIRE); i++) {
		u64 off = (u64)(i % 8) * SZ_4K;

		assert_int_equal(sim_mmio_set_revoked(rs->f->m, a + off, SZ_4K,
						      true, "flip"), 0);
		assert_int_equal(sim_mmio_set_revoked(rs->f->m, a + off, SZ_4K,
						      false, NULL), 0);
	}
	return NULL;
}

static void test_stress_registry(void **state)
{
	struct fx *f = FX(state);
	struct reg_stress rs = { .f = f };
	dma_addr_t bus = f->bar2[0] - HB0_BUS_OFFSET;
	pthread_t t;
	u8 buf[64];

	assert_int_equal(pthread_create(&t, NULL, reg_flipper, &rs), 0);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(sim_dma_read(f->nic[0], bus + (i % 16) * 1024,
					      buf, sizeof(buf)), 0);
	__atomic_store_n(&rs.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(mmio_revoke_count(f->m), 0);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, fx_setup, nic_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_registry_set_split_merge),
		T(test_registry_reports),
		T(test_registry_reports_thru_iommu),
		T(test_mr_bus_addr),
		T(test_mr_thru_iommu),
		T(test_mr_thru_direct),
		T(test_mr_big),
		T(test_mr_reg_errors),
		T(test_mr_failnth),
		T(test_stress_nic_vs_exporter),
		T(test_stress_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
