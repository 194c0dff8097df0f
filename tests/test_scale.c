// SPDX-License-Identifier: MIT
/*
 * Platforms as big as real ones (issue 14, scale): RAM up to phys-bits
 * that costs host memory only where used, several PCI segments, SR-IOV
 * virtual functions, and a parser that stays O(n log n) on large text.
 */
#include "helpers.h"
#include <dmastack/sim-topology.h>

/* ---------------------------------------------------------- sparse RAM --- */

/*
 * RAM is backed by one sparse host reservation per view, so the largest
 * machine is the host's free address space: 64 TiB here, but what a
 * ThreadSanitizer process can map at once varies from run to run (1 TiB
 * fit in some, not in others), so it uses 64 GiB: the counts below do not
 * depend on the size, only on the top page being far from the low RAM.
 */
#if defined(__SANITIZE_THREAD__)
#define BIG_BYTES	(64ULL << 30)
#define BIG_TEXT	"machine name=big ram=64G ram-below-4g=2G phys-bits=48\n"
#define CAP_BYTES	(64ULL << 30)
#define CAP_TEXT	"machine name=b ram=64G ram-below-4g=2G phys-bits=37\n"
#else
#define BIG_BYTES	(64ULL << 40)
#define BIG_TEXT	"machine name=big ram=64T ram-below-4g=2G phys-bits=48\n"
#define CAP_BYTES	(32ULL << 40)
#define CAP_TEXT	"machine name=b ram=32T ram-below-4g=2G phys-bits=46\n"
#endif

/*
 * 64 TiB of RAM described: no memmap exists for RAM nobody touched, and a
 * page near the top costs one section's memmap and one chunk of the
 * section table, no more.
 */
static void test_ram_64t_is_sparse(void **state)
{
	struct sim_machine *small, *m;
	unsigned long small_secs, secs, chunks, secs2, chunks2;
	phys_addr_t top;
	struct page *pg;
	u8 *va;

	(void)state;
	small = machine_from("machine name=s ram=4G ram-below-4g=2G\n");
	small_secs = sim_ram_memmap_sections(small, NULL);
	sim_machine_destroy(small);

	m = machine_from(BIG_TEXT);
	assert_int_equal(sim_ram_size(m), BIG_BYTES);
	/* what boot touched (firmware, swiotlb) does not grow with RAM */
	secs = sim_ram_memmap_sections(m, &chunks);
	assert_int_equal(secs, small_secs);
	assert_true(chunks <= 2);

	top = SZ_4G + BIG_BYTES - 2 * SZ_1G;
	pg = sim_alloc_pages_range(m, 0, top - SZ_4M, top);
	assert_non_null(pg);
	assert_true(page_to_phys(pg) >= top - SZ_4M);
	assert_true(page_to_phys(pg) < top);
	va = sim_phys_to_virt(m, page_to_phys(pg));
	assert_non_null(va);
	memset(va, 0xa5, PAGE_SIZE);
	assert_int_equal(va[PAGE_SIZE - 1], 0xa5);
	secs2 = sim_ram_memmap_sections(m, &chunks2);
	assert_int_equal(secs2, secs + 1);
	assert_int_equal(chunks2, chunks + 1);
	sim_free_pages(m, pg, 0);
	/* the memmap stays (as SPARSEMEM's), nothing more is made */
	assert_int_equal(sim_ram_memmap_sections(m, NULL), secs2);
	sim_machine_destroy(m);
}

/* The RAM limit is the machine's physical address width. */
static void test_ram_cap_is_phys_bits(void **state)
{
	struct sim_machine *m;

	(void)state;
	expect_platform_error("machine name=b ram=64T phys-bits=46\n",
			      "does not fit 46 physical address bits");
	m = machine_from(CAP_TEXT);
	assert_int_equal(sim_ram_size(m), CAP_BYTES);
	sim_machine_destroy(m);
}


/* ------------------------------------------------------------ segments --- */

#define HDR "machine name=t ram=256M ram-below-4g=128M\nswiotlb size=4M\n"

static struct pci_dev *pdev_of(struct sim_machine *m, const char *id)
{
	return to_pci_dev(dev_of(m, id));
}

/* Each segment numbers its own 256 buses; names carry the segment. */
static void test_segments_number_their_own_buses(void **state)
{
	struct sim_machine *m;
	struct pci_dev *a, *b;

	(void)state;
	m = machine_from(HDR
		"iommu id=io0\niommu id=io1\n"
		"hostbridge id=hb0 iommu=io0\n"
		"rootport id=rp0 bus=hb0\nnic id=n0 bus=rp0\n"
		"hostbridge id=hb1 segment=1 iommu=io1 mmio32=0 mmio64=64G\n"
		"rootport id=rq0 bus=hb1\nnic id=n1 bus=rq0 bar0=1M,64\n"
		"hostbridge id=hb2 segment=0x2a mmio32=0 mmio64=64G\n"
		"rootport id=rs0 bus=hb2\nnic id=n2 bus=rs0 bar0=1M,64\n");
	a = pdev_of(m, "n0");
	b = pdev_of(m, "n1");
	/* both are the first function below their segment's first root port */
	assert_int_equal(a->domain_nr, 0);
	assert_int_equal(b->domain_nr, 1);
	assert_int_equal(a->bus_nr, 1);
	assert_int_equal(b->bus_nr, 1);
	assert_int_equal(a->devfn, b->devfn);
	assert_string_equal(dev_name(&a->dev), "0000:01:00.0");
	assert_string_equal(dev_name(&b->dev), "0001:01:00.0");
	assert_string_equal(dev_name(&pdev_of(m, "n2")->dev), "002a:01:00.0");
	assert_string_equal(dev_name(&pdev_of(m, "rq0")->dev), "0001:00:01.0");
	/* one RID in two segments, two IOMMU groups */
	assert_non_null(a->dev.iommu_group);
	assert_non_null(b->dev.iommu_group);
	assert_ptr_not_equal(a->dev.iommu_group, b->dev.iommu_group);
	sim_machine_destroy(m);
}

/* 1,000 endpoints: five segments of 200 (one segment holds at most ~248). */
static void append(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*s + *len, *cap - *len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < *cap - *len)
			break;
		*cap = *cap * 2 + 4096;
		*s = realloc(*s, *cap);
		assert_non_null(*s);
	}
	*len += (size_t)n;
}

static char *endpoints_text(unsigned int segs, unsigned int per_seg)
{
	size_t len = 0, cap = 4096;
	char *s = malloc(cap);

	assert_non_null(s);
	s[0] = '\0';
	append(&s, &len, &cap, HDR);
	for (unsigned int g = 0; g < segs; g++) {
		append(&s, &len, &cap,
		       "hostbridge id=hb%u segment=%u mmio32=0 mmio64=64G\n", g, g);
		for (unsigned int r = 0; r * 32 < per_seg; r++) {
			append(&s, &len, &cap,
			       "rootport id=rp%u_%u bus=hb%u\nswitch id=sw%u_%u bus=rp%u_%u\n",
			       g, r, g, g, r, g, r);
			for (unsigned int e = r * 32; e < per_seg && e < r * 32 + 32; e++)
				append(&s, &len, &cap,
				       "pcidev id=e%u_%u bus=sw%u_%u bar0=4K,64\n",
				       g, e, g, r);
		}
	}
	return s;
}

static void test_thousand_endpoints_over_segments(void **state)
{
	char *text = endpoints_text(5, 200);
	char err[256];
	struct sim_machine *m;

	(void)state;
	m = machine_from(text);
	assert_int_equal(sim_device_count(m), 1000);
	assert_int_equal(pdev_of(m, "e4_199")->domain_nr, 4);
	sim_machine_destroy(m);
	free(text);
	/* the same 1,000 in one segment run out of buses, early */
	text = endpoints_text(1, 1000);
	assert_null(sim_machine_parse(text, err, sizeof(err)));
	assert_non_null(strstr(err, "out of PCI bus numbers in segment 0"));
	free(text);
}

static void test_segment_errors(void **state)
{
	(void)state;
	expect_platform_error(HDR "hostbridge id=hb0 segment=65536\n",
			      "line 3: hostbridge: segment=65536 must be a number from 0 to 65535");
	expect_platform_error(HDR "hostbridge id=hb0 segment=-1\n",
			      "segment=-1 must be a number from 0 to 65535");
	expect_platform_error(HDR "hostbridge id=hb0 segment=x\n",
			      "segment=x must be a number");
	/* an IOMMU's tables are per bus/devfn: one segment per unit */
	expect_platform_error(HDR "iommu id=io0\nhostbridge id=hb0 iommu=io0\n"
			      "hostbridge id=hb1 segment=1 iommu=io0 mmio32=0\n",
			      "line 5: hostbridge: iommu 'io0' translates for segment 0 already");
	/* two bridges of one segment still share its buses */
	expect_platform_error(HDR "hostbridge id=hb0 segment=3 busnr=5\n"
			      "hostbridge id=hb1 segment=3 busnr=5 mmio32=0\n",
			      "busnr=5 overlaps buses already used");
	/* but not across segments */
	sim_machine_destroy(machine_from(HDR "hostbridge id=hb0 segment=3 busnr=5\n"
					 "hostbridge id=hb1 segment=4 busnr=5 mmio32=0\n"));
}

/* -------------------------------------------------------------- SR-IOV --- */

#define SRIOV HDR							\
	"iommu id=io0 mode=strict\n"					\
	"hostbridge id=hb0 segment=2 iommu=io0\n"			\
	"rootport id=rp0 bus=hb0 acs=on\n"				\
	"nic id=nic0 bus=rp0 sriov=4 vf-bar0=64K vf-bar2=1M,64 vf-device=0x101e\n" \
	"rootport id=rp1 bus=hb0 acs=off\n"				\
	"nic id=nic1 bus=rp1 sriov=2\n"

/* Routing IDs: PF RID + First VF Offset + VF Stride * i, as Linux computes. */
static void test_vf_routing_ids_and_bars(void **state)
{
	struct sim_machine *m = machine_from(SRIOV);
	struct pci_dev *pf = pdev_of(m, "nic0");
	phys_addr_t ap0 = 0, ap2 = 0;
	u32 v;
	u16 w;

	(void)state;
	assert_true(pf->is_physfn);
	assert_false(pf->is_virtfn);
	/* the PF's SR-IOV capability says what the machine built */
	assert_int_equal(pci_read_config_dword(pf, 0x100, &v), 0);
	assert_int_equal(v & 0xffff, PCI_EXT_CAP_ID_SRIOV);
	assert_int_equal(pci_read_config_word(pf, 0x100 + PCI_SRIOV_NUM_VF, &w), 0);
	assert_int_equal(w, 4);
	assert_int_equal(pci_read_config_word(pf, 0x100 + PCI_SRIOV_VF_OFFSET, &w), 0);
	assert_int_equal(w, 1);
	assert_int_equal(pci_read_config_word(pf, 0x100 + PCI_SRIOV_VF_STRIDE, &w), 0);
	assert_int_equal(w, 1);
	assert_int_equal(pci_read_config_word(pf, 0x100 + PCI_SRIOV_VF_DID, &w), 0);
	assert_int_equal(w, 0x101e);
	assert_int_equal(pci_read_config_dword(pf, 0x100 + PCI_SRIOV_BAR, &v), 0);
	ap0 = v & ~0xfULL;
	assert_int_equal(pci_read_config_dword(pf, 0x100 + PCI_SRIOV_BAR + 8, &v), 0);
	assert_int_equal(v & 0x4, 0x4);		/* 64-bit */
	ap2 = v & ~0xfULL;
	assert_int_equal(pci_read_config_dword(pf, 0x100 + PCI_SRIOV_BAR + 12, &v), 0);
	ap2 |= (u64)v << 32;
	assert_int_equal(ap0 % SZ_64K, 0);
	assert_int_equal(ap2 % SZ_1M, 0);

	for (unsigned int i = 0; i < 4; i++) {
		char id[32];
		struct pci_dev *vf;
		unsigned int rid;
		char name[32];

		snprintf(id, sizeof(id), "nic0.vf%u", i);
		vf = pdev_of(m, id);
		assert_true(vf->is_virtfn);
		assert_ptr_equal(vf->physfn, pf);
		assert_int_equal(vf->domain_nr, 2);
		rid = ((unsigned int)pf->bus_nr << 8 | pf->devfn) + 1 + i;
		assert_int_equal(vf->bus_nr, rid >> 8);
		assert_int_equal(vf->devfn, rid & 0xff);
		snprintf(name, sizeof(name), "0002:%02x:%02x.%u", rid >> 8,
			 PCI_SLOT(rid & 0xff), PCI_FUNC(rid & 0xff));
		assert_string_equal(dev_name(&vf->dev), name);
		assert_int_equal(vf->vendor, pf->vendor);
		assert_int_equal(vf->device, 0x101e);
		/* VF i's BARs: slot i of the PF's apertures (bus = CPU here) */
		assert_int_equal(vf->resource[0].start, ap0 + i * SZ_64K);
		assert_int_equal(resource_size(&vf->resource[0]), SZ_64K);
		assert_int_equal(vf->resource[2].start, ap2 + i * SZ_1M);
		assert_true(vf->resource[2].flags & IORESOURCE_MEM_64);
		/* a VF's own BAR registers read as zero */
		assert_int_equal(pci_read_config_dword(vf, PCI_BASE_ADDRESS_0, &v), 0);
		assert_int_equal(v, 0);
	}
	/* each VF's BAR is its own memory */
	{
		u32 a = 0x11111111, b = 0x22222222, r = 0;

		assert_int_equal(sim_mmio_write(m, ap0, &a, 4), 0);
		assert_int_equal(sim_mmio_write(m, ap0 + SZ_64K, &b, 4), 0);
		assert_int_equal(sim_mmio_read(m, ap0, &r, 4), 0);
		assert_int_equal(r, a);
	}
	sim_machine_destroy(m);
}

/* ACS on the PF's link: a group per VF; without it, one group for all. */
static void test_vf_iommu_groups(void **state)
{
	struct sim_machine *m = machine_from(SRIOV);
	struct device *pf = dev_of(m, "nic0"), *vf0 = dev_of(m, "nic0.vf0");
	struct device *vf1 = dev_of(m, "nic0.vf1");
	dma_addr_t a;
	u8 *buf;
	u32 x = 0x5a5a5a5a;

	(void)state;
	assert_non_null(vf0->iommu_group);
	assert_ptr_not_equal(vf0->iommu_group, pf->iommu_group);
	assert_ptr_not_equal(vf0->iommu_group, vf1->iommu_group);
	assert_ptr_equal(dev_of(m, "nic1.vf0")->iommu_group,
			 dev_of(m, "nic1")->iommu_group);
	assert_ptr_equal(dev_of(m, "nic1.vf1")->iommu_group,
			 dev_of(m, "nic1")->iommu_group);
	assert_int_equal(sim_iommu_group_count(m), 6);

	/* vf0's mapping is translated by its RID's context; vf1 cannot use it */
	buf = sim_phys_to_virt(m, page_to_phys(sim_alloc_pages(m, 0)));
	assert_non_null(buf);
	assert_int_equal(dma_set_mask_and_coherent(vf0, DMA_BIT_MASK(64)), 0);
	a = dma_map_single(vf0, buf, 64, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(vf0, a));
	assert_int_equal(sim_dma_write(vf0, a, &x, 4), 0);
	{
		unsigned long faults = sim_iommu_faults(m);

		assert_int_not_equal(sim_dma_write(vf1, a, &x, 4), 0);
		assert_int_equal(sim_iommu_faults(m), faults + 1);
	}
	dma_unmap_single(vf0, a, 64, DMA_FROM_DEVICE);
	assert_int_equal(*(u32 *)buf, x);
	sim_free_pages(m, virt_to_page(buf), 0);
	sim_machine_destroy(m);
}

/* VFIO opens a VF as any PCI function: its BARs are the VF's. */
static void test_vfio_opens_a_vf(void **state)
{
	struct sim_machine *m = machine_from(SRIOV);
	struct device *vf = dev_of(m, "nic0.vf2");
	struct vfio_pci_core_device *v;
	struct vfio_region_info info;
	u32 val = 0xcafef00d, back = 0;

	(void)state;
	v = vfio_alloc_device(vfio_pci_core_device, vdev, vf, &sim_vfio_pci_ops);
	assert_false(IS_ERR(v));
	v->pci_ops = &sim_vfio_pci_dev_ops;
	assert_int_equal(vfio_pci_core_register_device(v), 0);
	assert_int_equal(sim_vfio_open(&v->vdev), 0);
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.index = VFIO_PCI_BAR0_REGION_INDEX;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					&info, sizeof(info)), 0);
	assert_int_equal(info.size, SZ_64K);
	info.index = VFIO_PCI_BAR2_REGION_INDEX;
	assert_int_equal(sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_GET_REGION_INFO,
					&info, sizeof(info)), 0);
	assert_int_equal(info.size, SZ_1M);
	/* a write through the VF's region lands in the VF's BAR, not the PF's */
	assert_int_equal(sim_vfio_write(&v->vdev, &val, 4,
					VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX) + 8), 4);
	assert_int_equal(sim_mmio_read(m, to_pci_dev(vf)->resource[0].start + 8,
				       &back, 4), 0);
	assert_int_equal(back, val);
	sim_vfio_close(&v->vdev);
	vfio_pci_core_unregister_device(v);
	vfio_put_device(&v->vdev);
	sim_machine_destroy(m);
}

static void test_sriov_errors(void **state)
{
	(void)state;
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=0\n",
			      "line 5: nic: sriov=0 must be a number from 1 to 255");
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=256\n",
			      "sriov=256 must be a number from 1 to 255");
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 vf-bar0=64K\n",
			      "line 5: nic: vf-bar0 needs sriov=");
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=2 vf-bar0=0\n",
			      "sriov=2: the VFs have no BAR");
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=2 vf-bar0=3K\n",
			      "vf-bar0 must be a power of two from 4K to 1T");
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=2 vf-bar0=64K,64 vf-bar1=4K\n",
			      "vf-bar1 is the upper half of 64-bit vf-bar0");
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=2 vf-bar0=4K,16\n",
			      "the width after the comma is 64 or 32");
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=2 vf-device=0x10000\n",
			      "vf-device=0x10000 must be a number from 0 to 65535");
	/* no BAR room: 255 VFs of 1M do not fit a 128M 32-bit window */
	expect_platform_error(HDR "hostbridge id=hb0 mmio32=128M\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=255 vf-bar0=1M\n",
			      "line 5: n0: the VF aperture of vf-bar0=261120K does not fit the 32-bit window");
	/* a model binds its own BARs: no sriov there */
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "pcidev id=n0 bus=rp0 model=nosuch sriov=2\n",
			      "unknown device model");
	/* duplicate ids: a VF's implicit id taken earlier, or reused later */
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "rootport id=n0.vf1 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=2\n",
			      "line 6: nic: sriov needs the id 'n0.vf1' for a VF, but line 5 uses it");
	expect_platform_error(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			      "nic id=n0 bus=rp0 sriov=2\n"
			      "rootport id=n0.vf0 bus=hb0\n",
			      "line 6: duplicate id 'n0.vf0' (first on line 5)");
}

/* 255 VFs: RIDs run to devfn 0xff of the PF's bus, none on another bus. */
static void test_255_vfs(void **state)
{
	struct sim_machine *m = machine_from(HDR "hostbridge id=hb0\n"
		"rootport id=rp0 bus=hb0\nnic id=n0 bus=rp0 sriov=255 vf-bar0=16K\n"
		"rootport id=rp1 bus=hb0\nnic id=n1 bus=rp1\n");
	struct pci_dev *last = pdev_of(m, "n0.vf254");

	(void)state;
	assert_int_equal(last->bus_nr, pdev_of(m, "n0")->bus_nr);
	assert_int_equal(last->devfn, 0xff);
	assert_int_equal(pdev_of(m, "n1")->bus_nr, last->bus_nr + 1);
	assert_int_equal(sim_device_count(m), 257);
	sim_machine_destroy(m);
}

/*
 * Every allocation of an SR-IOV, multi-segment platform's build fails in
 * turn and unwinds (the sanitizer builds see any leak).
 */
static void test_fail_nth_sriov_platform(void **state)
{
	unsigned long n;

	(void)state;
	for (n = 1;; n++) {
		struct sim_machine_opts o = { .fail_nth = n };
		char err[256];
		struct sim_machine *m = sim_machine_parse_opts(SRIOV, &o, err,
							       sizeof(err));

		if (m) {
			sim_machine_destroy(m);
			break;
		}
		/* an allocation failure says so, never a platform error */
		if (!strstr(err, "out of memory") && !strstr(err, "cannot create") &&
		    !strstr(err, "Cannot allocate memory"))
			fail_msg("fail_nth=%lu: %s", n, err);
	}
	assert_true(n > 20);
}

/* ------------------------------------------------------ parser at scale --- */

/*
 * 20,000 nested switches: each takes two buses (its upstream port's and
 * its parent's downstream port's), so segment 0 is full at the 128th; the
 * text is refused at that line, the rest never read.
 */
static void test_nested_switches_refused_at_the_line(void **state)
{
	size_t len = 0, cap = 4096;
	char *s = malloc(cap);
	char err[256] = "";

	(void)state;
	assert_non_null(s);
	s[0] = '\0';
	append(&s, &len, &cap, HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
	       "switch id=s0 bus=rp0\n");
	for (unsigned int i = 1; i < 20000; i++)
		append(&s, &len, &cap, "switch id=s%u bus=s%u\n", i, i - 1);
	assert_null(sim_machine_parse(s, err, sizeof(err)));
	/* buses: hb0, rp0, s0, then 2 per switch: s127's port is the 256th */
	assert_string_equal(err, "line 132: switch: s127: out of PCI bus numbers in segment 0 (256 buses; put more on a host bridge with another segment=)");
	free(s);
}

/* 4,096 functions over four segments, most of them VFs. */
static void test_4096_functions(void **state)
{
	size_t len = 0, cap = 4096;
	char *s = malloc(cap);
	struct sim_machine *m;
	unsigned int fns = 0;

	(void)state;
	assert_non_null(s);
	s[0] = '\0';
	append(&s, &len, &cap, HDR);
	for (unsigned int g = 0; g < 4; g++) {
		append(&s, &len, &cap, "hostbridge id=hb%u segment=%u mmio32=0 mmio64=64G\n", g, g);
		for (unsigned int r = 0; r < 16; r++) {
			append(&s, &len, &cap, "rootport id=rp%u_%u bus=hb%u acs=on\n"
			       "nic id=n%u_%u bus=rp%u_%u bar0=1M,64 sriov=62 vf-bar0=64K,64\n",
			       g, r, g, g, r, g, r);
		}
	}
	m = machine_from(s);
	for (unsigned int i = 0; i < sim_node_count(m); i++)
		if (sim_node_pci_dev(sim_node_at(m, i)))
			fns++;
	/* 4 x 16 x (root port + PF + 62 VFs) */
	assert_int_equal(fns, 4 * 16 * 64);
	assert_int_equal(sim_device_count(m), 4 * 16 * 63);
	assert_int_equal(pdev_of(m, "n3_15.vf61")->domain_nr, 3);
	sim_machine_destroy(m);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram_64t_is_sparse),
		cmocka_unit_test(test_ram_cap_is_phys_bits),
		cmocka_unit_test(test_segments_number_their_own_buses),
		cmocka_unit_test(test_thousand_endpoints_over_segments),
		cmocka_unit_test(test_segment_errors),
		cmocka_unit_test(test_vf_routing_ids_and_bars),
		cmocka_unit_test(test_vf_iommu_groups),
		cmocka_unit_test(test_vfio_opens_a_vf),
		cmocka_unit_test(test_sriov_errors),
		cmocka_unit_test(test_255_vfs),
		cmocka_unit_test(test_fail_nth_sriov_platform),
		cmocka_unit_test(test_nested_switches_refused_at_the_line),
		cmocka_unit_test(test_4096_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
