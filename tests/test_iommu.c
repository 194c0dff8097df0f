// SPDX-License-Identifier: MIT
/*
 * The IOMMU paths through the public API: default domains and groups,
 * streaming mappings through iommu-dma (IOVA layout, reserved regions,
 * page-table permissions, faults), strict vs lazy invalidation and the flush
 * queue, DMA_ATTR_MMIO through the IOMMU, untrusted-device bouncing,
 * scatterlists into one IOVA range, coherent allocations, the two-step IOVA
 * API (Documentation/core-api/dma-api.rst, "Part Ie") and fault-injection
 * sweeps over both.
 *
 * In the style of the iommufd selftest: every test runs on a fixture (a fresh
 * machine) built from a variant (IOMMU page-table format, granule and mode);
 * tests that only make sense in one mode skip in the others.
 */
#include <pthread.h>
#include <stdint.h>
#include "api_scenario.h"
#include "failnth.h"
#include "variants.h"

/* ------------------------------------------------------------------------ */
/* Variants and fixture                                                     */
/* ------------------------------------------------------------------------ */

#define FQ_SIZE		8
#define FQ_TIMEOUT_NS	1000000ULL	/* fq-timeout=1ms */

struct plat_opts {
	const char *mode;	/* override the variant's mode */
	bool p2p_deny;		/* host bridge hb0 p2p=deny */
	bool noncoherent;	/* arch=arm64, dev0 coherent=no */
};

/*
 * hb0 is behind the variant's IOMMU (io0): dev0 (64-bit), peer (a 64K BAR),
 * dev32 (32-bit) and ut (untrusted), each below its own ACS root port.
 * hb1 has no iommu=: direct and legacy. hb2 is behind a passthrough unit:
 * pt and ptut (untrusted). hb3 is behind a unit in mode=off.
 */
static struct sim_machine *plat_machine(const struct dma_variant *variant,
					const struct plat_opts *o)
{
	struct dma_variant v = *variant;
	const char *fmt = v.format, *g = v.granule_s;
	struct variant_machine vm = {
		.name = "iommu",
		.machine = "ram=256M ram-below-4g=128M cpus=1",
		.swiotlb = "8M",
		.iommu = "fq-size=8 fq-timeout=1ms",
	};
	char body[2048];
	int n;

	if (o && o->mode)
		v.mode = o->mode;
	if (o && o->noncoherent)
		v.arch = "arm64";
	n = snprintf(body, sizeof(body),
		"iommu id=iopt format=%s mode=passthrough granule=%s\n"
		"iommu id=iooff format=%s mode=off granule=%s\n"
		"hostbridge id=hb0 p2p=%s @iommu\n"
		"rootport id=rp0 bus=hb0 acs=on\n"
		"pcidev id=dev0 bus=rp0 dma-bits=64 coherent=%s\n"
		"rootport id=rp1 bus=hb0 acs=on\n"
		"pcidev id=peer bus=rp1 bar0=64K\n"
		"rootport id=rp2 bus=hb0 acs=on\n"
		"pcidev id=dev32 bus=rp2 dma-bits=32\n"
		"rootport id=rp3 bus=hb0 acs=on\n"
		"pcidev id=ut bus=rp3 untrusted=yes\n"
		"hostbridge id=hb1 p2p=allow\n"
		"rootport id=rq0 bus=hb1\n"
		"pcidev id=direct bus=rq0\n"
		"rootport id=rq1 bus=hb1\n"
		"pcidev id=legacy bus=rq1\n"
		"hostbridge id=hb2 iommu=iopt\n"
		"rootport id=rs0 bus=hb2 acs=on\n"
		"pcidev id=pt bus=rs0\n"
		"rootport id=rs1 bus=hb2 acs=on\n"
		"pcidev id=ptut bus=rs1 untrusted=yes\n"
		"hostbridge id=hb3 iommu=iooff\n"
		"rootport id=rt0 bus=hb3\n"
		"pcidev id=off bus=rt0\n",
		fmt, g, fmt, g, o && o->p2p_deny ? "deny" : "allow",
		o && o->noncoherent ? "no" : "yes");
	assert_true(n > 0 && (size_t)n < sizeof(body));
	vm.body = body;
	return variant_machine_new(&v, &vm);
}

struct fx {
	const struct dma_variant *v;
	struct sim_machine *m;
	struct device *dev, *dev32, *peer, *ut, *direct, *legacy, *pt, *ptut,
		*off;
	unsigned long g;
	bool lazy;
};

static struct fx *fx_new(const struct dma_variant *v, const struct plat_opts *o)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->v = v;
	f->m = plat_machine(v, o);
	f->g = v->granule;
	f->lazy = !strcmp(o && o->mode ? o->mode : v->mode, "lazy");
	f->dev = dev_of(f->m, "dev0");
	f->dev32 = dev_of(f->m, "dev32");
	f->peer = dev_of(f->m, "peer");
	f->ut = dev_of(f->m, "ut");
	f->direct = dev_of(f->m, "direct");
	f->legacy = dev_of(f->m, "legacy");
	f->pt = dev_of(f->m, "pt");
	f->ptut = dev_of(f->m, "ptut");
	f->off = dev_of(f->m, "off");
	return f;
}

static void fx_free(struct fx *f)
{
	if (!f)
		return;
	sim_machine_destroy(f->m);
	free(f);
}

static int fx_setup(void **state)
{
	*state = fx_new((const struct dma_variant *)*state, NULL);
	return 0;
}

/* Every test must leave nothing mapped, linked or bounced. */
static int fx_teardown(void **state)
{
	struct fx *f = *state;

	return f ? fixture_teardown(f, f->m, TD_BUG, 0, 0) : 0;
}

#define FX(state)	((struct fx *)*(state))

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static unsigned long inval(struct fx *f)
{
	return sim_iommu_invalidations(f->m);
}

static unsigned long faults(struct fx *f)
{
	return sim_iommu_faults(f->m);
}

static unsigned long dbg_errors(struct fx *f)
{
	return sim_dma_debug_errors(f->m);
}

static bool dbg_find(struct fx *f, const char *needle)
{
	return sim_report_find(f->m, SIM_REPORT_DMA_DEBUG, needle);
}

struct fq {
	unsigned long flushes, stale;
	unsigned int queued;
	u64 wops, wns;
};

static struct fq fq_stats(struct device *dev)
{
	struct fq s;

	assert_int_equal(sim_iommu_fq_stats(dev, &s.flushes, &s.queued, &s.wops,
					    &s.wns, &s.stale), 0);
	return s;
}

static void dev_read_ok(struct device *dev, dma_addr_t a, void *buf,
			size_t len)
{
	assert_int_equal(sim_dma_read(dev, a, buf, len), 0);
}

static bool state_is_zero(const struct dma_iova_state *s)
{
	return s->addr == 0 && s->__size == 0 && !dma_use_iova(
		(struct dma_iova_state *)s);
}

static inline u64 umin(u64 a, u64 b) { return a < b ? a : b; }
static inline u64 umax(u64 a, u64 b) { return a > b ? a : b; }

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* Reserved IOVA ranges of dev's domain that the test knows of. */
struct resv {
	u64 start, size;
	const char *what;
};

static unsigned int resv_ranges(struct fx *f, struct resv *r)
{
	unsigned int n = 0;
	struct sim_mem_range mr;

	if (!strcmp(f->v->format, "x86_64"))
		r[n++] = (struct resv){ 0xfee00000ULL, SZ_1M, "x86 MSI window" };
	else
		r[n++] = (struct resv){ 0x08000000ULL, SZ_1M, "software MSI window" };
	for (unsigned int i = 0; i < sim_mem_range_count(f->m); i++) {
		assert_int_equal(sim_mem_range_get(f->m, i, &mr), 0);
		if (strcmp(mr.kind, "mmio32") && strcmp(mr.kind, "mmio64"))
			continue;
		if (!mr.owner || strcmp(mr.owner, "hb0"))
			continue;
		r[n++] = (struct resv){ mr.start - mr.bus_offset, mr.size,
					!strcmp(mr.kind, "mmio32") ?
						"hb0 mmio32 window" :
						"hb0 mmio64 window" };
	}
	return n;
}

static void check_not_reserved(struct resv *r, unsigned int nr, u64 addr,
			       u64 len)
{
	for (unsigned int i = 0; i < nr; i++)
		if (overlaps(addr, len, r[i].start, r[i].size))
			fail_msg("IOVA %#llx+%#llx lies in the %s %#llx+%#llx",
				 (unsigned long long)addr,
				 (unsigned long long)len, r[i].what,
				 (unsigned long long)r[i].start,
				 (unsigned long long)r[i].size);
}

/* ------------------------------------------------------------------------ */
/* Domains and groups                                                       */
/* ------------------------------------------------------------------------ */

static void test_domain_types(void **state)
{
	struct fx *f = FX(state);
	struct iommu_domain *d = iommu_get_domain_for_dev(f->dev);
	struct ram_blk b = ram_blk_get(f->m, PAGE_SIZE);
	phys_addr_t p;
	dma_addr_t a;
	u8 buf[256];
	int prot;

	/* The unit's mode decides the default domain of a trusted device. */
	assert_non_null(d);
	assert_int_equal(d->type, f->lazy ? IOMMU_DOMAIN_DMA_FQ :
					    IOMMU_DOMAIN_DMA);
	assert_true(iommu_is_dma_domain(d));
	assert_true(device_iommu_mapped(f->dev));
	assert_true(d->geometry.force_aperture);
	/* The smallest page size is the granule. */
	assert_int_equal(d->pgsize_bitmap & -d->pgsize_bitmap, f->g);
	assert_non_null(iommu_group_get(f->dev));
	assert_true(iommu_group_id(iommu_group_get(f->dev)) >= 0);

	/* Untrusted devices get a strict DMA domain, even on a lazy unit
	 * and on a passthrough unit. */
	d = iommu_get_domain_for_dev(f->ut);
	assert_non_null(d);
	assert_int_equal(d->type, IOMMU_DOMAIN_DMA);
	assert_true(device_iommu_mapped(f->ut));
	d = iommu_get_domain_for_dev(f->ptut);
	assert_non_null(d);
	assert_int_equal(d->type, IOMMU_DOMAIN_DMA);
	assert_true(device_iommu_mapped(f->ptut));

	/* Passthrough: identity domain, dma-direct addresses. */
	d = iommu_get_domain_for_dev(f->pt);
	assert_non_null(d);
	assert_int_equal(d->type, IOMMU_DOMAIN_IDENTITY);
	assert_false(iommu_is_dma_domain(d));
	assert_false(device_iommu_mapped(f->pt));
	fill_pattern(b.cpu, PAGE_SIZE, 1);
	a = map_phys_ok(f->pt, b.phys + 0x40, sizeof(buf), DMA_TO_DEVICE, 0);
	assert_int_equal(a, b.phys + 0x40);
	dev_read_ok(f->pt, a, buf, sizeof(buf));
	assert_memory_equal(buf, b.cpu + 0x40, sizeof(buf));
	assert_int_equal(sim_iommu_lookup(f->pt, a, &p, &prot), 0);
	assert_int_equal(p, a);
	assert_int_equal(iommu_iova_to_phys(d, a), a);
	dma_unmap_phys(f->pt, a, sizeof(buf), DMA_TO_DEVICE, 0);

	/* mode=off, and a host bridge without iommu=: no domain at all. */
	assert_null(iommu_get_domain_for_dev(f->off));
	assert_null(iommu_group_get(f->off));
	assert_int_equal(iommu_group_id(iommu_group_get(f->off)), -1);
	assert_false(device_iommu_mapped(f->off));
	assert_null(iommu_get_domain_for_dev(f->direct));
	assert_null(iommu_group_get(f->direct));
	assert_false(device_iommu_mapped(f->direct));
	assert_int_equal(sim_iommu_lookup(f->direct, b.phys, &p, &prot),
			 -ENOENT);
	a = map_phys_ok(f->off, b.phys, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(a, b.phys);
	dma_unmap_phys(f->off, a, 64, DMA_TO_DEVICE, 0);
	a = map_phys_ok(f->direct, b.phys, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(a, b.phys);
	dev_read_ok(f->direct, a, buf, 64);
	dma_unmap_phys(f->direct, a, 64, DMA_TO_DEVICE, 0);

	/* Separate groups, separate domains. */
	assert_ptr_not_equal(iommu_group_get(f->dev), iommu_group_get(f->ut));
	assert_ptr_not_equal(iommu_get_domain_for_dev(f->dev),
			     iommu_get_domain_for_dev(f->dev32));
	assert_int_equal(dbg_errors(f), 0);
	ram_blk_put(f->m, &b);
}

static void test_mode_off_machine(void **state)
{
	const struct dma_variant *v = FX(state)->v;
	char text[1024];
	struct sim_machine *m;
	struct device *dev;

	/* A unit in mode=off that its host bridge names: no domain. */
	snprintf(text, sizeof(text),
		 "machine name=off arch=%s ram=64M cpus=1 coherent=yes\n"
		 "swiotlb size=4M\n"
		 "iommu id=io0 format=%s mode=off granule=%s\n"
		 "hostbridge id=hb0 iommu=io0\n"
		 "rootport id=rp0 bus=hb0\n"
		 "pcidev id=dev0 bus=rp0 untrusted=yes\n",
		 v->arch, v->format, v->granule_s);
	m = machine_from(text);
	dev = dev_of(m, "dev0");
	assert_null(iommu_get_domain_for_dev(dev));
	assert_false(device_iommu_mapped(dev));
	sim_machine_destroy(m);

	/* The same unit in passthrough: an untrusted device still gets a
	 * DMA domain. */
	snprintf(text, sizeof(text),
		 "machine name=pt arch=%s ram=64M cpus=1 coherent=yes\n"
		 "swiotlb size=4M\n"
		 "iommu id=io0 format=%s mode=passthrough granule=%s\n"
		 "hostbridge id=hb0 iommu=io0\n"
		 "rootport id=rp0 bus=hb0 acs=on\n"
		 "pcidev id=dev0 bus=rp0 untrusted=yes\n"
		 "rootport id=rp1 bus=hb0 acs=on\n"
		 "pcidev id=dev1 bus=rp1\n",
		 v->arch, v->format, v->granule_s);
	m = machine_from(text);
	assert_int_equal(iommu_get_domain_for_dev(dev_of(m, "dev0"))->type,
			 IOMMU_DOMAIN_DMA);
	assert_int_equal(iommu_get_domain_for_dev(dev_of(m, "dev1"))->type,
			 IOMMU_DOMAIN_IDENTITY);
	sim_machine_destroy(m);
}

static void test_groups_acs(void **state)
{
	const struct dma_variant *v = FX(state)->v;
	char text[2048];
	struct sim_machine *m;
	struct device *a1, *a2, *b1, *b2, *c1, *c2, *d1, *e1, *f1, *f2;
	struct ram_blk b;
	dma_addr_t a;
	phys_addr_t p;
	int prot;

	snprintf(text, sizeof(text),
		 "machine name=grp arch=%s ram=64M cpus=1 coherent=yes\n"
		 "swiotlb size=4M\n"
		 "iommu id=io0 format=%s mode=%s granule=%s\n"
		 "hostbridge id=hb0 p2p=allow iommu=io0\n"
		 /* switch without ACS on its downstream ports */
		 "rootport id=rpa bus=hb0 acs=on\n"
		 "switch id=swa bus=rpa acs=off\n"
		 "pcidev id=a1 bus=swa\n"
		 "pcidev id=a2 bus=swa\n"
		 /* switch with SV, RR, CR and UF */
		 "rootport id=rpb bus=hb0 acs=on\n"
		 "switch id=swb bus=rpb acs=sv,rr,cr,uf\n"
		 "pcidev id=b1 bus=swb\n"
		 "pcidev id=b2 bus=swb\n"
		 /* UF missing: not isolated */
		 "rootport id=rpc bus=hb0 acs=on\n"
		 "switch id=swc bus=rpc acs=sv,rr,cr\n"
		 "pcidev id=c1 bus=swc\n"
		 "pcidev id=c2 bus=swc\n"
		 /* two ACS root ports */
		 "rootport id=rpd bus=hb0 acs=on\n"
		 "pcidev id=d1 bus=rpd\n"
		 "rootport id=rpe bus=hb0 acs=sv,rr,cr,uf\n"
		 "pcidev id=e1 bus=rpe\n"
		 /* isolating switch below a root port without ACS */
		 "rootport id=rpf bus=hb0\n"
		 "switch id=swf bus=rpf acs=on\n"
		 "pcidev id=f1 bus=swf\n"
		 "pcidev id=f2 bus=swf\n"
		 /* an untrusted device makes its whole group strict */
		 "rootport id=rpg bus=hb0 acs=on\n"
		 "switch id=swg bus=rpg acs=off\n"
		 "pcidev id=g1 bus=swg\n"
		 "pcidev id=g2 bus=swg untrusted=yes\n",
		 v->arch, v->format, v->mode, v->granule_s);
	m = machine_from(text);
	a1 = dev_of(m, "a1");
	a2 = dev_of(m, "a2");
	b1 = dev_of(m, "b1");
	b2 = dev_of(m, "b2");
	c1 = dev_of(m, "c1");
	c2 = dev_of(m, "c2");
	d1 = dev_of(m, "d1");
	e1 = dev_of(m, "e1");
	f1 = dev_of(m, "f1");
	f2 = dev_of(m, "f2");

	assert_non_null(iommu_group_get(a1));
	assert_ptr_equal(iommu_group_get(a1), iommu_group_get(a2));
	assert_int_equal(iommu_group_id(iommu_group_get(a1)),
			 iommu_group_id(iommu_group_get(a2)));
	assert_ptr_equal(iommu_get_domain_for_dev(a1),
			 iommu_get_domain_for_dev(a2));

	assert_ptr_not_equal(iommu_group_get(b1), iommu_group_get(b2));
	assert_int_not_equal(iommu_group_id(iommu_group_get(b1)),
			     iommu_group_id(iommu_group_get(b2)));
	assert_ptr_not_equal(iommu_get_domain_for_dev(b1),
			     iommu_get_domain_for_dev(b2));

	assert_ptr_equal(iommu_group_get(c1), iommu_group_get(c2));
	assert_ptr_not_equal(iommu_group_get(d1), iommu_group_get(e1));
	assert_ptr_not_equal(iommu_get_domain_for_dev(d1),
			     iommu_get_domain_for_dev(e1));
	assert_ptr_equal(iommu_group_get(f1), iommu_group_get(f2));
	assert_ptr_not_equal(iommu_group_get(a1), iommu_group_get(b1));
	assert_ptr_not_equal(iommu_group_get(a1), iommu_group_get(d1));
	assert_int_equal(iommu_get_domain_for_dev(a1)->type,
			 strcmp(v->mode, "lazy") ? IOMMU_DOMAIN_DMA :
						   IOMMU_DOMAIN_DMA_FQ);
	assert_ptr_equal(iommu_group_get(dev_of(m, "g1")),
			 iommu_group_get(dev_of(m, "g2")));
	assert_int_equal(iommu_get_domain_for_dev(dev_of(m, "g1"))->type,
			 IOMMU_DOMAIN_DMA);

	/* One group, one domain: a1's mapping is in a2's page table too,
	 * and not in b2's. */
	b = ram_blk_get(m, v->granule);
	a = map_phys_ok(a1, b.phys, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_iommu_lookup(a2, a, &p, &prot), 0);
	assert_int_equal(p, b.phys);
	assert_int_not_equal(sim_iommu_lookup(b2, a, &p, &prot), 0);
	dma_unmap_phys(a1, a, 64, DMA_TO_DEVICE, 0);
	ram_blk_put(m, &b);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Streaming mappings through the IOMMU                                     */
/* ------------------------------------------------------------------------ */

static void test_map_offset_sac_mask(void **state)
{
	struct fx *f = FX(state);
	struct iommu_domain *d = iommu_get_domain_for_dev(f->dev);
	struct ram_blk b = ram_blk_get(f->m, 2 * f->g);
	/* beyond the first 4K page inside a large granule */
	size_t off = (f->g > PAGE_SIZE ? PAGE_SIZE : 0) + 0x234, len = 0x300;
	u8 buf[0x300];
	phys_addr_t p;
	dma_addr_t a, a32;
	int prot;

	fill_pattern(b.cpu, b.size, 2);
	a = map_phys_ok(f->dev, b.phys + off, len, DMA_BIDIRECTIONAL, 0);
	/* The buffer's offset inside its granule is kept. */
	assert_int_equal(a & (f->g - 1), (b.phys + off) & (f->g - 1));
	/* A 64-bit PCI device gets a 32-bit (SAC) IOVA first. */
	assert_true(a + len <= SZ_4G);
	assert_int_equal(sim_iommu_lookup(f->dev, a, &p, &prot), 0);
	assert_int_equal(p, b.phys + off);
	assert_int_equal(iommu_iova_to_phys(d, a), b.phys + off);
	assert_int_equal(iommu_iova_to_phys(d, a + len - 1),
			 b.phys + off + len - 1);
	dev_read_ok(f->dev, a, buf, len);
	assert_memory_equal(buf, b.cpu + off, len);

	/* An alignment constraint beyond the granule cannot be kept. */
	dma_set_min_align_mask(f->dev, (unsigned int)(2 * f->g - 1));
	assert_int_equal(dma_map_phys(f->dev, b.phys + off, len,
				      DMA_TO_DEVICE, 0), DMA_MAPPING_ERROR);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN,
				    "Unsupported alignment constraint"));
	dma_set_min_align_mask(f->dev, 0);

	/* A 32-bit device: the mask holds. */
	a32 = map_phys_ok(f->dev32, b.phys + off, len, DMA_TO_DEVICE, 0);
	assert_true(a32 + len - 1 <= DMA_BIT_MASK(32));
	assert_int_equal(a32 & (f->g - 1), (b.phys + off) & (f->g - 1));
	dev_read_ok(f->dev32, a32, buf, len);
	assert_memory_equal(buf, b.cpu + off, len);

	dma_unmap_phys(f->dev32, a32, len, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, a, len, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(dbg_errors(f), 0);
	ram_blk_put(f->m, &b);
}

static void test_map_prot(void **state)
{
	struct fx *f = FX(state);
	static const struct {
		enum dma_data_direction dir;
		int rw;
	} cases[] = {
		{ DMA_TO_DEVICE, IOMMU_READ },
		{ DMA_FROM_DEVICE, IOMMU_WRITE },
		{ DMA_BIDIRECTIONAL, IOMMU_READ | IOMMU_WRITE },
	};
	struct ram_blk b = ram_blk_get(f->m, f->g);
	phys_addr_t bar = pci_resource_start(to_pci_dev(f->peer), 0);
	const int mask = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_MMIO;
	phys_addr_t p;
	dma_addr_t a;
	int prot;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = map_phys_ok(f->dev, b.phys + 0x80, 0x100, cases[i].dir, 0);
		assert_int_equal(sim_iommu_lookup(f->dev, a, &p, &prot), 0);
		assert_int_equal(p, b.phys + 0x80);
		/* coherent device: IOMMU_CACHE */
		assert_int_equal(prot & mask, cases[i].rw | IOMMU_CACHE);
		dma_unmap_phys(f->dev, a, 0x100, cases[i].dir, 0);
	}

	/* MMIO: IOMMU_MMIO and never IOMMU_CACHE. */
	assert_true(bar != 0);
	a = dma_map_resource(f->dev, bar + 0x100, 0x100, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(f->dev, a));
	assert_int_equal(sim_iommu_lookup(f->dev, a, &p, &prot), 0);
	assert_int_equal(p, bar + 0x100);
	assert_int_equal(prot & mask, IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO);
	dma_unmap_resource(f->dev, a, 0x100, DMA_BIDIRECTIONAL, 0);

	a = map_phys_ok(f->dev, bar, 0x100, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_int_equal(sim_iommu_lookup(f->dev, a, &p, &prot), 0);
	assert_int_equal(prot & mask, IOMMU_READ | IOMMU_MMIO);
	dma_unmap_phys(f->dev, a, 0x100, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_int_equal(dbg_errors(f), 0);
	ram_blk_put(f->m, &b);
}

static void test_device_access_and_faults(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, f->g);
	u8 pat[256], junk[256], buf[256], orig[256];
	const dma_addr_t hole = 0x10000000ULL;
	unsigned long f0;
	phys_addr_t p;
	dma_addr_t a;
	int prot;

	fill_pattern(b.cpu, f->g, 3);
	memcpy(orig, b.cpu, sizeof(orig));
	memset(junk, 0x5a, sizeof(junk));

	/* Bidirectional: both ways through the IOVA. */
	a = map_phys_ok(f->dev, b.phys, sizeof(pat), DMA_BIDIRECTIONAL, 0);
	dev_read_ok(f->dev, a, buf, sizeof(buf));
	assert_memory_equal(buf, orig, sizeof(buf));
	fill_pattern(pat, sizeof(pat), 4);
	assert_int_equal(sim_dma_write(f->dev, a, pat, sizeof(pat)), 0);
	dma_unmap_phys(f->dev, a, sizeof(pat), DMA_BIDIRECTIONAL, 0);
	assert_memory_equal(b.cpu, pat, sizeof(pat));
	memcpy(b.cpu, orig, sizeof(orig));

	/* A device write to a DMA_TO_DEVICE mapping: permission fault. */
	a = map_phys_ok(f->dev, b.phys, sizeof(pat), DMA_TO_DEVICE, 0);
	f0 = faults(f);
	assert_int_equal(sim_dma_write(f->dev, a, junk, sizeof(junk)), -EFAULT);
	assert_int_equal(faults(f), f0 + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT, "permission"));
	assert_memory_equal(b.cpu, orig, sizeof(orig));
	dev_read_ok(f->dev, a, buf, sizeof(buf));
	assert_memory_equal(buf, orig, sizeof(buf));
	assert_int_equal(faults(f), f0 + 1);
	dma_unmap_phys(f->dev, a, sizeof(pat), DMA_TO_DEVICE, 0);

	/* A device read of a DMA_FROM_DEVICE mapping: permission fault. */
	sim_report_clear(f->m);
	a = map_phys_ok(f->dev, b.phys, sizeof(pat), DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_read(f->dev, a, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(faults(f), f0 + 2);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT, "permission"));
	assert_int_equal(sim_dma_write(f->dev, a, pat, sizeof(pat)), 0);
	dma_unmap_phys(f->dev, a, sizeof(pat), DMA_FROM_DEVICE, 0);
	assert_memory_equal(b.cpu, pat, sizeof(pat));

	/* An IOVA nothing was mapped at. */
	assert_int_equal(sim_iommu_lookup(f->dev, hole, &p, &prot), -ENOENT);
	assert_int_equal(iommu_iova_to_phys(iommu_get_domain_for_dev(f->dev),
					    hole), 0);
	assert_int_equal(sim_dma_read(f->dev, hole, buf, 16), -EFAULT);
	assert_int_equal(faults(f), f0 + 3);
	assert_int_equal(sim_dma_write(f->dev, hole, junk, 16), -EFAULT);
	assert_int_equal(faults(f), f0 + 4);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT, "not mapped"));
	ram_blk_put(f->m, &b);
}

/*
 * Fill dev's IOVA space below its mask with try_alloc, largest blocks first,
 * down to single granules, checking every range against the reserved ones.
 */
struct fill {
	struct dma_iova_state st[8192];
	unsigned int n;
	u64 frames;
	u64 lowest, highest;
};

static void fill_space(struct fx *f, struct device *dev, struct fill *fl,
		       struct resv *r, unsigned int nr)
{
	u64 limit = dma_get_mask(dev);

	fl->n = 0;
	fl->frames = 0;
	fl->lowest = ~0ULL;
	fl->highest = 0;
	for (u64 s = SZ_1G; s >= f->g; s >>= 1) {
		while (fl->n < 8192 &&
		       dma_iova_try_alloc(dev, &fl->st[fl->n], 0, s)) {
			struct dma_iova_state *st = &fl->st[fl->n];

			assert_int_equal(dma_iova_size(st), s);
			assert_int_equal(st->addr & (f->g - 1), 0);
			assert_true(st->addr + s - 1 <= limit);
			check_not_reserved(r, nr, st->addr, s);
			fl->lowest = umin(fl->lowest, st->addr);
			fl->highest = umax(fl->highest, st->addr + s - 1);
			fl->frames += s / f->g;
			fl->n++;
		}
		assert_true(fl->n < 8192);
		/* a refused try_alloc leaves the state unused */
		assert_true(state_is_zero(&fl->st[fl->n]));
	}
}

static void unfill(struct device *dev, struct fill *fl)
{
	while (fl->n)
		dma_iova_free(dev, &fl->st[--fl->n]);
}

static void test_reserved_regions(void **state)
{
	struct fx *f = FX(state);
	struct resv r[8];
	unsigned int nr = resv_ranges(f, r);
	struct fill *fl = calloc(1, sizeof(*fl));
	/* the top of the 32-bit space down to below the x86 MSI window */
	const unsigned int n = (unsigned int)((SZ_4G - 0xfee00000ULL) / SZ_1M) + 8;
	struct ram_blk b = ram_blk_get(f->m, SZ_1M);
	dma_addr_t *as = calloc(n, sizeof(*as));
	u64 expect = SZ_4G / f->g - 1;	/* frame 0 is never handed out */
	bool below_msi = false;
	dma_addr_t a;

	assert_non_null(fl);
	assert_non_null(as);
	assert_true(nr >= 2);	/* MSI window and at least hb0's mmio32 */

	/* Streaming maps (TO_DEVICE of one buffer, which dma-debug allows),
	 * from the top of the 32-bit space down across the MSI window. */
	for (unsigned int i = 0; i < n; i++) {
		as[i] = map_phys_ok(f->dev, b.phys, SZ_1M, DMA_TO_DEVICE, 0);
		check_not_reserved(r, nr, as[i], SZ_1M);
		if (as[i] < 0xfee00000ULL)
			below_msi = true;
	}
	if (!strcmp(f->v->format, "x86_64"))
		assert_true(below_msi);
	for (unsigned int i = 0; i < n; i++)
		dma_unmap_phys(f->dev, as[i], SZ_1M, DMA_TO_DEVICE, 0);

	/* The 32-bit device's whole space: everything but frame 0 and the
	 * reserved ranges gets handed out, nothing in a reserved range. */
	for (unsigned int i = 0; i < nr; i++) {
		u64 lo = r[i].start, hi = r[i].start + r[i].size;

		if (lo >= SZ_4G)
			continue;
		hi = umin(hi, (u64)SZ_4G);
		expect -= (hi - lo) / f->g;
	}
	fill_space(f, f->dev32, fl, r, nr);
	assert_int_equal(fl->frames, expect);
	assert_int_equal(fl->lowest, f->g);
	assert_int_equal(fl->highest, SZ_4G - 1);
	/* Full: the streaming API fails cleanly too. */
	a = dma_map_phys(f->dev32, b.phys, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_true(dma_mapping_error(f->dev32, a));
	unfill(f->dev32, fl);
	a = map_phys_ok(f->dev32, b.phys, 64, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev32, a, 64, DMA_TO_DEVICE, 0);

	/* A 64-bit device whose 32-bit space is full falls back above 4G. */
	if (f->lazy)	/* what waits in the flush queue is not free yet */
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	assert_int_equal(dma_set_mask(f->dev, DMA_BIT_MASK(32)), 0);
	fill_space(f, f->dev, fl, r, nr);
	assert_int_equal(fl->frames, expect);
	assert_int_equal(dma_set_mask(f->dev, DMA_BIT_MASK(64)), 0);
	a = map_phys_ok(f->dev, b.phys, 64, DMA_TO_DEVICE, 0);
	assert_true(a >= SZ_4G);
	assert_true(a <= iommu_get_domain_for_dev(f->dev)->geometry.aperture_end);
	check_not_reserved(r, nr, a, 64);
	dma_unmap_phys(f->dev, a, 64, DMA_TO_DEVICE, 0);
	unfill(f->dev, fl);

	assert_int_equal(dbg_errors(f), 0);
	free(as);
	free(fl);
	ram_blk_put(f->m, &b);
}

/* ------------------------------------------------------------------------ */
/* Strict vs lazy invalidation                                              */
/* ------------------------------------------------------------------------ */

static void test_strict_unmap_faults(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, f->g);
	unsigned long i0, f0;
	u8 buf[128];
	dma_addr_t a;

	if (f->lazy)
		skip();
	fill_pattern(b.cpu, f->g, 5);
	a = map_phys_ok(f->dev, b.phys, sizeof(buf), DMA_BIDIRECTIONAL, 0);
	dev_read_ok(f->dev, a, buf, sizeof(buf));	/* in the IOTLB now */
	i0 = inval(f);
	f0 = faults(f);
	dma_unmap_phys(f->dev, a, sizeof(buf), DMA_BIDIRECTIONAL, 0);
	assert_int_equal(inval(f), i0 + 1);
	/* the device's next access faults at once */
	assert_int_equal(sim_dma_read(f->dev, a, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(faults(f), f0 + 1);
	assert_false(dbg_find(f, "stale IOTLB entry"));

	/* One invalidation per unmap, none per map. */
	for (int k = 0; k < 5; k++) {
		unsigned long before = inval(f);

		a = map_phys_ok(f->dev, b.phys + 64 * k, 64, DMA_TO_DEVICE, 0);
		dev_read_ok(f->dev, a, buf, 64);
		assert_int_equal(inval(f), before);
		dma_unmap_phys(f->dev, a, 64, DMA_TO_DEVICE, 0);
		assert_int_equal(inval(f), before + 1);
		assert_int_equal(sim_dma_read(f->dev, a, buf, 64), -EFAULT);
	}
	assert_int_equal(inval(f), i0 + 6);
	assert_int_equal(sim_iommu_flush_queue(f->dev), -EINVAL);
	ram_blk_put(f->m, &b);
}

/* The text of the latest IOMMU fault report ("" if none). */
static void last_fault_text(struct fx *f, char *buf, size_t len)
{
	struct sim_report r;

	buf[0] = '\0';
	for (unsigned long i = sim_report_count(f->m); i-- > 0;) {
		assert_int_equal(sim_report_get(f->m, i, &r), 0);
		if (r.kind == SIM_REPORT_IOMMU_FAULT) {
			snprintf(buf, len, "%s", r.text);
			return;
		}
	}
}

/* After an unmap: lazy mode frees (and invalidates) the IOVA at the flush. */
static void settle_unmap(struct fx *f)
{
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
}

/*
 * A device access after unmap through an IOMMU faults, and the fault
 * report carries the history of the mapping that was at that IOVA, as
 * dma-debug's report of the same bug does in direct mode: what was mapped
 * (type, direction, phys, size, the IOVA, the mapping call), which call
 * took it down and when (machine clock), how many unmaps ago. The whole
 * IOVA granule faults, so an access past the mapping's end but inside its
 * granule names it too. An IOVA never mapped says only "not mapped".
 */
static void test_fault_history(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	unsigned long f0 = faults(f), e0 = dbg_errors(f);
	struct dma_iova_state st;
	char txt[1024], want[512];
	u64 when;
	u8 buf[64];
	dma_addr_t a;

	/* dma_map_phys, unmap, device access */
	a = map_phys_ok(f->dev, b.phys + 0x200, 0x400, DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_write(f->dev, a, buf, sizeof(buf)), 0);
	sim_clock_advance(f->m, 7000);
	when = sim_clock_now(f->m);
	dma_unmap_phys(f->dev, a, 0x400, DMA_FROM_DEVICE, 0);
	settle_unmap(f);
	assert_int_equal(sim_dma_write(f->dev, a + 0x10, buf, sizeof(buf)),
			 -EFAULT);
	assert_int_equal(faults(f), f0 + 1);
	last_fault_text(f, txt, sizeof(txt));
	assert_non_null(strstr(txt, dev_name(f->dev)));
	assert_non_null(strstr(txt, "no translation (not mapped)"));
	snprintf(want, sizeof(want),
		 "[history: mapped as phy DMA_FROM_DEVICE at phys 0x%016llx, 1024 bytes at device address 0x%016llx by dma_map_phys; dma_unmap_phys at %llu ns, unmapped 1 unmaps ago]",
		 (unsigned long long)(b.phys + 0x200), (unsigned long long)a,
		 (unsigned long long)when);
	assert_non_null(strstr(txt, want));
	/* past the mapping's end, inside its IOVA granule: the same */
	if (((a + 0x400) & (f->g - 1)) != 0) {
		assert_int_equal(sim_dma_read(f->dev, a + 0x400, buf, 16),
				 -EFAULT);
		last_fault_text(f, txt, sizeof(txt));
		assert_non_null(strstr(txt, want));
	}
	/* an IOVA this device never had mapped: no history */
	assert_int_equal(sim_dma_read(f->dev, ALIGN(a, f->g) + 64 * f->g, buf,
				      16), -EFAULT);
	last_fault_text(f, txt, sizeof(txt));
	assert_non_null(strstr(txt, "no translation (not mapped)"));
	assert_null(strstr(txt, "history"));
	/* another device's access at the same IOVA is not told this one's */
	if (iommu_get_domain_for_dev(f->dev32) &&
	    iommu_get_domain_for_dev(f->dev32) != iommu_get_domain_for_dev(f->dev)) {
		assert_int_equal(sim_dma_read(f->dev32, a, buf, 16), -EFAULT);
		last_fault_text(f, txt, sizeof(txt));
		assert_null(strstr(txt, "history"));
	}

	/* The IOVA API: link, sync, destroy; the history names them. */
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 2 * f->g));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys, 0, 2 * f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, 2 * f->g), 0);
	dev_read_ok(f->dev, st.addr + f->g, buf, sizeof(buf));
	sim_clock_advance(f->m, 500);
	when = sim_clock_now(f->m);
	dma_iova_destroy(f->dev, &st, 2 * f->g, DMA_TO_DEVICE, 0);
	settle_unmap(f);
	assert_int_equal(sim_dma_read(f->dev, st.addr + f->g + 8, buf, 16),
			 -EFAULT);
	last_fault_text(f, txt, sizeof(txt));
	snprintf(want, sizeof(want),
		 "[history: mapped as iova DMA_TO_DEVICE at phys 0x%016llx, %zu bytes at device address 0x%016llx by dma_iova_link; dma_iova_destroy at %llu ns, unmapped 1 unmaps ago]",
		 (unsigned long long)b.phys, (size_t)(2 * f->g),
		 (unsigned long long)st.addr, (unsigned long long)when);
	assert_non_null(strstr(txt, want));

	/* the fault is the IOMMU's report; dma-debug reported nothing */
	assert_int_equal(dbg_errors(f), e0);
	/* with dma-debug off there is no history to tell */
	a = map_phys_ok(f->dev, b.phys, 0x100, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, a, 0x100, DMA_TO_DEVICE, 0);
	settle_unmap(f);
	sim_dma_debug_enable(f->m, false);
	assert_int_equal(sim_dma_read(f->dev, a, buf, 16), -EFAULT);
	last_fault_text(f, txt, sizeof(txt));
	assert_non_null(strstr(txt, "no translation (not mapped)"));
	assert_null(strstr(txt, "history"));
	sim_dma_debug_enable(f->m, true);
	ram_blk_put(f->m, &b);
}

/*
 * The statistics accessors: page-table pages of a device's domain and its
 * IOVA space (live, taken from the tree, the peak), -ENOENT where there is
 * no page table or IOVA space.
 */
static void test_stats_accessors(void **state)
{
	struct fx *f = FX(state);
	const size_t sizes[3] = { 1, 2, 64 };	/* granules; 64 is not cached */
	struct sim_iommu_iova_stats st;
	dma_addr_t a[3];
	struct ram_blk b = ram_blk_get(f->m, 64 * f->g);
	long pt0, pt1;

	assert_int_equal(sim_iommu_pt_pages(f->direct), -ENOENT);
	assert_int_equal(sim_iommu_pt_pages(f->pt), -ENOENT);
	assert_int_equal(sim_iommu_pt_pages(f->off), -ENOENT);
	assert_int_equal(sim_iommu_pt_pages(NULL), -ENOENT);
	assert_int_equal(sim_iommu_iova_stats(f->direct, &st), -ENOENT);
	assert_int_equal(sim_iommu_iova_stats(f->pt, &st), -ENOENT);
	assert_int_equal(sim_iommu_iova_stats(f->dev, NULL), -EINVAL);

	pt0 = sim_iommu_pt_pages(f->dev);
	assert_true(pt0 >= 1);		/* the root */
	assert_int_equal(sim_iommu_iova_stats(f->dev, &st), 0);
	assert_int_equal(st.live, 0);
	assert_int_equal(st.ranges, 0);
	assert_int_equal(st.peak_held, 0);

	for (int i = 0; i < 3; i++)
		a[i] = map_phys_ok(f->dev, b.phys, sizes[i] * f->g, DMA_TO_DEVICE, 0);
	pt1 = sim_iommu_pt_pages(f->dev);
	assert_true(pt1 > pt0);
	assert_int_equal(sim_iommu_iova_stats(f->dev, &st), 0);
	assert_int_equal(st.live, 67 * f->g);
	assert_int_equal(st.held, 67 * f->g);
	assert_int_equal(st.peak_held, 67 * f->g);
	assert_int_equal(st.ranges, 3);

	for (int i = 0; i < 3; i++)
		dma_unmap_phys(f->dev, a[i], sizes[i] * f->g, DMA_TO_DEVICE, 0);
	if (f->lazy) {
		/* queued IOVA is still iommu-dma's until the flush */
		assert_int_equal(sim_iommu_iova_stats(f->dev, &st), 0);
		assert_int_equal(st.live, 67 * f->g);
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	}
	/* empty tables go with the flush that followed the unmap */
	assert_int_equal(sim_iommu_pt_pages(f->dev), pt0);
	assert_int_equal(sim_iommu_iova_stats(f->dev, &st), 0);
	assert_int_equal(st.live, 0);
	assert_int_equal(st.ranges, 0);
	/* the small ranges sit in this thread's cache, the large one went back */
	assert_int_equal(st.held, 3 * f->g);
	assert_int_equal(st.peak_held, 67 * f->g);

	/* a cache hit takes nothing from the tree: the peak does not move */
	a[0] = map_phys_ok(f->dev, b.phys, f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_iommu_iova_stats(f->dev, &st), 0);
	assert_int_equal(st.live, f->g);
	assert_int_equal(st.held, 3 * f->g);
	assert_int_equal(st.peak_held, 67 * f->g);
	dma_unmap_phys(f->dev, a[0], f->g, DMA_TO_DEVICE, 0);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	ram_blk_put(f->m, &b);
}

/* Lazy: map A, let the device use it, unmap it: the IOTLB still holds it. */
static dma_addr_t lazy_unmap_used(struct fx *f, struct ram_blk *b, u8 *buf,
				  size_t len)
{
	dma_addr_t a = map_phys_ok(f->dev, b->phys, len, DMA_BIDIRECTIONAL, 0);
	unsigned long i0;

	dev_read_ok(f->dev, a, buf, len);
	assert_memory_equal(buf, b->cpu, len);
	i0 = inval(f);
	dma_unmap_phys(f->dev, a, len, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(inval(f), i0);		/* queued, not flushed */
	return a;
}

static void test_lazy_stale_until_flush(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 2 * f->g);
	unsigned long i0, f0;
	struct fq s0, s;
	phys_addr_t p;
	u8 buf[128];
	dma_addr_t a, c;
	int prot;

	if (!f->lazy)
		skip();
	fill_pattern(b.cpu, b.size, 6);
	s0 = fq_stats(f->dev);
	i0 = inval(f);
	a = lazy_unmap_used(f, &b, buf, sizeof(buf));
	s = fq_stats(f->dev);
	assert_int_equal(s.queued, s0.queued + 1);
	assert_int_equal(s.flushes, s0.flushes);

	/* another DMA operation in the window */
	c = map_phys_ok(f->dev, b.phys + f->g, 64, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, c, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(inval(f), i0);

	/* The page table no longer has it, the IOTLB still does. */
	assert_int_equal(sim_iommu_lookup(f->dev, a, &p, &prot), -ENOENT);
	f0 = faults(f);
	memset(buf, 0, sizeof(buf));
	dev_read_ok(f->dev, a, buf, sizeof(buf));
	assert_memory_equal(buf, b.cpu, sizeof(buf));
	assert_int_equal(faults(f), f0);
	assert_true(dbg_find(f, "stale IOTLB entry"));
	s = fq_stats(f->dev);
	assert_int_equal(s.stale, s0.stale + 1);
	assert_true(s.wops > 0);
	assert_int_equal(s.queued, s0.queued + 2);

	/* Flushing the queue closes the window with one invalidation. */
	assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	assert_int_equal(inval(f), i0 + 1);
	s = fq_stats(f->dev);
	assert_int_equal(s.flushes, s0.flushes + 1);
	assert_int_equal(s.queued, 0);
	assert_int_equal(sim_dma_read(f->dev, a, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(faults(f), f0 + 1);
	/* nothing queued: flushing again costs nothing */
	assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	assert_int_equal(inval(f), i0 + 1);
	ram_blk_put(f->m, &b);
}

static void test_lazy_flush_on_timeout(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, f->g);
	unsigned long i0, f0;
	struct fq s;
	u8 buf[128];
	dma_addr_t a;

	if (!f->lazy)
		skip();
	fill_pattern(b.cpu, f->g, 7);
	a = lazy_unmap_used(f, &b, buf, sizeof(buf));
	i0 = inval(f);
	f0 = faults(f);

	/* Half the timeout: still in the queue, still reachable. */
	sim_clock_advance(f->m, FQ_TIMEOUT_NS / 2);
	dev_read_ok(f->dev, a, buf, sizeof(buf));
	assert_true(dbg_find(f, "stale IOTLB entry"));
	assert_int_equal(inval(f), i0);
	s = fq_stats(f->dev);
	assert_true(s.wns > 0);
	assert_int_equal(s.queued, 1);

	/* Past the timeout: the timer flushed it. */
	sim_clock_advance(f->m, FQ_TIMEOUT_NS);
	assert_int_equal(inval(f), i0 + 1);
	s = fq_stats(f->dev);
	assert_int_equal(s.queued, 0);
	assert_int_equal(s.flushes, 1);
	assert_int_equal(sim_dma_read(f->dev, a, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(faults(f), f0 + 1);
	ram_blk_put(f->m, &b);
}

static void test_lazy_flush_when_queue_full(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 2 * f->g);
	unsigned long i0, f0;
	struct fq s0, s;
	u8 buf[128];
	dma_addr_t a, c;

	if (!f->lazy)
		skip();
	fill_pattern(b.cpu, b.size, 8);
	a = lazy_unmap_used(f, &b, buf, sizeof(buf));
	i0 = inval(f);
	f0 = faults(f);
	s0 = fq_stats(f->dev);
	assert_int_equal(s0.queued, 1);

	/* FQ_SIZE - 1 more unmaps fill the queue: no invalidation yet. */
	for (int k = 0; k < FQ_SIZE - 1; k++) {
		c = map_phys_ok(f->dev, b.phys + f->g, 64, DMA_TO_DEVICE, 0);
		dma_unmap_phys(f->dev, c, 64, DMA_TO_DEVICE, 0);
	}
	assert_int_equal(inval(f), i0);
	assert_int_equal(fq_stats(f->dev).queued, FQ_SIZE);
	dev_read_ok(f->dev, a, buf, sizeof(buf));
	assert_int_equal(faults(f), f0);

	/* The FQ_SIZE-th: the queue is flushed, once. */
	c = map_phys_ok(f->dev, b.phys + f->g, 64, DMA_TO_DEVICE, 0);
	dma_unmap_phys(f->dev, c, 64, DMA_TO_DEVICE, 0);
	s = fq_stats(f->dev);
	assert_int_equal(s.flushes, s0.flushes + 1);
	assert_int_equal(inval(f), i0 + 1);
	assert_int_equal(s.queued, 1);
	assert_int_equal(sim_dma_read(f->dev, a, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(faults(f), f0 + 1);
	assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	ram_blk_put(f->m, &b);
}

static void test_untrusted_always_strict(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, f->g);
	unsigned long i0;
	u8 buf[128];
	dma_addr_t a;

	/* Whatever the unit's mode, the untrusted device's unmap
	 * invalidates at once. */
	fill_pattern(b.cpu, f->g, 9);
	a = map_phys_ok(f->ut, b.phys, f->g, DMA_TO_DEVICE, 0);
	dev_read_ok(f->ut, a, buf, sizeof(buf));
	assert_memory_equal(buf, b.cpu, sizeof(buf));
	i0 = inval(f);
	dma_unmap_phys(f->ut, a, f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(inval(f), i0 + 1);
	assert_int_equal(sim_dma_read(f->ut, a, buf, sizeof(buf)), -EFAULT);
	assert_false(dbg_find(f, "stale IOTLB entry"));
	ram_blk_put(f->m, &b);
}

/* ------------------------------------------------------------------------ */
/* DMA_ATTR_MMIO through the IOMMU                                          */
/* ------------------------------------------------------------------------ */

static void test_mmio_p2p_through_iommu(void **state)
{
	struct fx *f = FX(state);
	phys_addr_t bar = pci_resource_start(to_pci_dev(f->peer), 0);
	struct sim_dma_stats s0, s1;
	u8 pat[256], buf[256];
	phys_addr_t p;
	dma_addr_t a;
	int prot;

	fill_pattern(pat, sizeof(pat), 10);
	assert_int_equal(sim_mmio_write(f->m, bar + 0x40, pat, sizeof(pat)), 0);
	sim_dma_stats_get(f->m, &s0);
	a = dma_map_resource(f->dev, bar + 0x40, sizeof(pat),
			     DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(f->dev, a));
	assert_int_equal(a & (f->g - 1), (bar + 0x40) & (f->g - 1));
	assert_int_equal(sim_iommu_lookup(f->dev, a, &p, &prot), 0);
	assert_int_equal(p, bar + 0x40);

	/* The device reaches the peer's BAR via the IOVA. */
	dev_read_ok(f->dev, a, buf, sizeof(buf));
	assert_memory_equal(buf, pat, sizeof(pat));
	fill_pattern(pat, sizeof(pat), 11);
	assert_int_equal(sim_dma_write(f->dev, a, pat, sizeof(pat)), 0);
	assert_int_equal(sim_mmio_read(f->m, bar + 0x40, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	sim_dma_stats_get(f->m, &s1);
	assert_true(s1.p2p_accesses >= s0.p2p_accesses + 2);
	assert_int_equal(s1.bounced_maps, s0.bounced_maps);
	dma_unmap_resource(f->dev, a, sizeof(pat), DMA_BIDIRECTIONAL, 0);
	if (!f->lazy)
		assert_int_equal(sim_dma_read(f->dev, a, buf, sizeof(buf)),
				 -EFAULT);
	else
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	assert_int_equal(dbg_errors(f), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_DMA_FAULT), 0);
}

static void test_mmio_p2p_denied(void **state)
{
	struct fx *f = fx_new(FX(state)->v, &(struct plat_opts){ .p2p_deny = true });
	phys_addr_t bar = pci_resource_start(to_pci_dev(f->peer), 0);
	unsigned long e0 = sim_dma_access_errors(f->m);
	u8 buf[64];
	dma_addr_t a;

	a = dma_map_resource(f->dev, bar, sizeof(buf), DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(f->dev, a));
	/* translated fine, but the host bridge does not forward it */
	assert_int_equal(sim_dma_read(f->dev, a, buf, sizeof(buf)), -EIO);
	assert_int_equal(sim_dma_access_errors(f->m), e0 + 1);
	assert_true(sim_report_find(f->m, SIM_REPORT_DMA_FAULT,
				    "does not forward peer-to-peer"));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xff);
	dma_unmap_resource(f->dev, a, sizeof(buf), DMA_TO_DEVICE, 0);
	fx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Untrusted devices                                                        */
/* ------------------------------------------------------------------------ */

/*
 * Fill every bounce slot with bytes of @phys's block (its neighbourhood),
 * through bounced maps of @dev, and give them back: whatever the slots are
 * reused for next must not show these bytes.
 */
static void dirty_swiotlb(struct fx *f, struct device *dev, phys_addr_t phys)
{
	const size_t len = 2 * f->g - 0x20;
	unsigned int cap = 4096, n = 0;
	dma_addr_t *as = calloc(cap, sizeof(*as));

	assert_non_null(as);
	while (n < cap) {
		as[n] = dma_map_phys(dev, phys + 0x10, len, DMA_TO_DEVICE,
				     DMA_ATTR_NO_WARN);
		if (dma_mapping_error(dev, as[n]))
			break;
		n++;
	}
	assert_true(n > 0 && n < cap);
	assert_true(swiotlb_used(dev) + 2 * f->g / IO_TLB_SIZE >
		    swiotlb_nslabs(dev) / 2);
	while (n)
		dma_unmap_phys(dev, as[--n], len, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(dev), 0);
	free(as);
}

static void test_untrusted_bounce(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 2 * f->g);
	const size_t off = 0x300, len = 0x200;
	u8 *orig = malloc(b.size), *gr = malloc(f->g), *exp = malloc(f->g);
	u8 data[0x200];
	struct sim_dma_stats s0, s1;
	unsigned long e0;
	dma_addr_t a, base;
	phys_addr_t p;
	int prot;

	assert_non_null(orig);
	assert_non_null(gr);
	assert_non_null(exp);
	/* The neighbours of the buffer are a pattern the device must not see. */
	fill_pattern(b.cpu, b.size, 12);
	memcpy(orig, b.cpu, b.size);
	assert_int_equal(swiotlb_used(f->ut), 0);
	dirty_swiotlb(f, f->ut, b.phys);
	sim_dma_stats_get(f->m, &s0);

	/* TO_DEVICE: bounced; the device sees the bytes and zeros around. */
	a = map_phys_ok(f->ut, b.phys + off, len, DMA_TO_DEVICE, 0);
	assert_true(swiotlb_used(f->ut) > 0);
	sim_dma_stats_get(f->m, &s1);
	assert_int_equal(s1.bounced_maps, s0.bounced_maps + 1);
	assert_int_equal(sim_iommu_lookup(f->ut, a, &p, &prot), 0);
	assert_true(is_swiotlb_buffer(f->ut, p));
	base = a & ~(dma_addr_t)(f->g - 1);
	dev_read_ok(f->ut, base, gr, f->g);	/* the whole granule */
	memset(exp, 0, f->g);
	memcpy(exp + (a - base), orig + off, len);
	assert_memory_equal(gr, exp, f->g);
	dma_unmap_phys(f->ut, a, len, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);

	/* FROM_DEVICE: the device's bytes land in the original at unmap, and
	 * a write over the whole granule touches nothing else of it. */
	a = map_phys_ok(f->ut, b.phys + off, len, DMA_FROM_DEVICE, 0);
	assert_true(swiotlb_used(f->ut) > 0);
	base = a & ~(dma_addr_t)(f->g - 1);
	memset(gr, 0xee, f->g);
	assert_int_equal(sim_dma_write(f->ut, base, gr, f->g), 0);
	fill_pattern(data, len, 13);
	assert_int_equal(sim_dma_write(f->ut, a, data, len), 0);
	assert_memory_equal(b.cpu, orig, b.size);	/* not yet */
	dma_unmap_phys(f->ut, a, len, DMA_FROM_DEVICE, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_memory_equal(b.cpu + off, data, len);
	assert_memory_equal(b.cpu, orig, off);
	assert_memory_equal(b.cpu + off + len, orig + off + len,
			    b.size - off - len);
	memcpy(b.cpu, orig, b.size);
	e0 = dbg_errors(f);

	/* The syncs copy between the original and the bounce slot. */
	a = map_phys_ok(f->ut, b.phys + off, len, DMA_BIDIRECTIONAL, 0);
	fill_pattern(data, len, 14);
	memcpy(b.cpu + off, data, len);		/* CPU writes after the map */
	dev_read_ok(f->ut, a, gr, len);
	assert_memory_equal(gr, orig + off, len);	/* the bounce is older */
	/* ...which dma-debug reports: the sync for the device is missing */
	assert_int_equal(dbg_errors(f), ++e0);
	dma_sync_single_for_device(f->ut, a, len, DMA_BIDIRECTIONAL);
	dev_read_ok(f->ut, a, gr, len);
	assert_memory_equal(gr, data, len);
	fill_pattern(data, len, 15);
	assert_int_equal(sim_dma_write(f->ut, a, data, len), 0);
	assert_memory_not_equal(b.cpu + off, data, len);
	dma_sync_single_for_cpu(f->ut, a, len, DMA_BIDIRECTIONAL);
	assert_memory_equal(b.cpu + off, data, len);
	dma_unmap_phys(f->ut, a, len, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_memory_equal(b.cpu + off, data, len);
	memcpy(b.cpu, orig, b.size);
	assert_int_equal(dbg_errors(f), e0);

	/* A granule-aligned whole granule is mapped in place. */
	a = map_phys_ok(f->ut, b.phys + f->g, f->g, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_int_equal(a & (f->g - 1), 0);
	assert_int_equal(sim_iommu_lookup(f->ut, a, &p, &prot), 0);
	assert_int_equal(p, b.phys + f->g);
	dev_read_ok(f->ut, a, gr, f->g);
	assert_memory_equal(gr, orig + f->g, f->g);
	dma_unmap_phys(f->ut, a, f->g, DMA_BIDIRECTIONAL, 0);
	sim_dma_stats_get(f->m, &s0);
	assert_int_equal(s0.bounced_maps, s1.bounced_maps + 2);
	assert_int_equal(dbg_errors(f), e0);

	free(orig);
	free(gr);
	free(exp);
	ram_blk_put(f->m, &b);
}

/*
 * Every 4K of the IOMMU granules behind [h, h + size) of an untrusted device
 * must translate to the buffer itself or to a bounce slot: never to other
 * RAM that happens to share the granule.
 */
static bool check_isolated(struct fx *f, struct device *dev, dma_addr_t h,
			   phys_addr_t phys, size_t size, char *why,
			   size_t whylen)
{
	dma_addr_t lo = h & ~(dma_addr_t)(f->g - 1);
	dma_addr_t hi = (h + size + f->g - 1) & ~(dma_addr_t)(f->g - 1);

	for (dma_addr_t a = lo; a < hi; a += PAGE_SIZE) {
		phys_addr_t p;
		int prot;

		if (sim_iommu_lookup(dev, a, &p, &prot) || is_swiotlb_buffer(dev, p))
			continue;
		if (p < phys || p >= phys + size) {
			snprintf(why, whylen,
				 "IOVA %#llx (granule of the buffer at IOVA %#llx+%#zx) exposes RAM %#llx outside the buffer %#llx+%#zx",
				 (unsigned long long)a, (unsigned long long)h,
				 size, (unsigned long long)p,
				 (unsigned long long)phys, size);
			return false;
		}
	}
	return true;
}

static void test_untrusted_alloc_isolated(void **state)
{
	struct fx *f = FX(state);
	char why_pages[256] = "", why_coh[256] = "";
	bool ok_pages, ok_coh;
	struct page *pg;
	dma_addr_t h;
	void *cpu;

	/* dma_alloc_pages maps like dma_map_page: bounced if not whole
	 * granules (dma_common_alloc_pages -> iommu_dma_map_phys) */
	pg = dma_alloc_pages(f->ut, PAGE_SIZE, &h, DMA_BIDIRECTIONAL, GFP_KERNEL);
	assert_non_null(pg);
	ok_pages = check_isolated(f, f->ut, h, page_to_phys(pg), PAGE_SIZE,
				  why_pages, sizeof(why_pages));
	dma_free_pages(f->ut, PAGE_SIZE, pg, h, DMA_BIDIRECTIONAL);

	/* coherent memory comes in whole granules (iommu_dma_alloc_remap) */
	cpu = dma_alloc_coherent(f->ut, PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(cpu);
	{
		/* what the allocator really handed out for it */
		phys_addr_t phys = sim_virt_to_phys(f->m, cpu);
		struct page *head = sim_phys_to_page(f->m, phys);

		assert_non_null(head);
		assert_true(head->flags & PG_head);
		ok_coh = check_isolated(f, f->ut, h, phys,
					PAGE_SIZE << head->order, why_coh,
					sizeof(why_coh));
	}
	dma_free_coherent(f->ut, PAGE_SIZE, cpu, h);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	if (!ok_pages || !ok_coh)
		fail_msg("untrusted device: dma_alloc_pages: %s; dma_alloc_coherent: %s",
			 ok_pages ? "isolated" : why_pages,
			 ok_coh ? "isolated" : why_coh);
}

static void test_untrusted_mmio(void **state)
{
	struct fx *f = FX(state);
	phys_addr_t bar = pci_resource_start(to_pci_dev(f->peer), 0);
	u8 pat[64], buf[64];
	dma_addr_t a;

	/* MMIO is never bounced: a sub-granule BAR range cannot be mapped. */
	a = dma_map_resource(f->ut, bar + 0x100, 0x100, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	a = dma_map_phys(f->ut, bar + 0x100, 0x100, DMA_TO_DEVICE,
			 DMA_ATTR_MMIO);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, f->ut), 0);

	/* A whole granule of the BAR is mapped in place. */
	fill_pattern(pat, sizeof(pat), 14);
	assert_int_equal(sim_mmio_write(f->m, bar, pat, sizeof(pat)), 0);
	a = dma_map_resource(f->ut, bar, f->g, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(f->ut, a));
	assert_int_equal(swiotlb_used(f->ut), 0);
	dev_read_ok(f->ut, a, buf, sizeof(buf));
	assert_memory_equal(buf, pat, sizeof(pat));
	dma_unmap_resource(f->ut, a, f->g, DMA_TO_DEVICE, 0);
}

/* ------------------------------------------------------------------------ */
/* Scatterlists                                                             */
/* ------------------------------------------------------------------------ */

static void sgt_build(struct sg_table *t, struct page **pages,
		      const unsigned int *offs, const unsigned int *lens, int n)
{
	struct scatterlist *sg;
	int i;

	assert_int_equal(sg_alloc_table(t, (unsigned int)n, GFP_KERNEL), 0);
	for_each_sg(t->sgl, sg, n, i)
		sg_set_page(sg, pages[i], lens[i], offs[i]);
}

/* Read every DMA segment back to back; compare with the CPU segments. */
static void sgt_check_data(struct device *dev, struct sg_table *t,
			   size_t total)
{
	u8 *got = malloc(total), *want = malloc(total);
	struct scatterlist *sg;
	size_t pos = 0;
	unsigned int i;

	assert_non_null(got);
	assert_non_null(want);
	for_each_sgtable_sg(t, sg, i) {
		memcpy(want + pos, sg_virt(sg), sg->length);
		pos += sg->length;
	}
	assert_int_equal(pos, total);
	pos = 0;
	for_each_sgtable_dma_sg(t, sg, i) {
		assert_true(pos + sg_dma_len(sg) <= total);
		dev_read_ok(dev, sg_dma_address(sg), got + pos, sg_dma_len(sg));
		pos += sg_dma_len(sg);
	}
	assert_int_equal(pos, total);
	assert_memory_equal(got, want, total);
	free(got);
	free(want);
}

static void test_sg_one_iova_range(void **state)
{
	struct fx *f = FX(state);
	const unsigned int n = 8, g = (unsigned int)f->g;
	struct ram_blk b = ram_blk_get(f->m, 2 * n * f->g);
	struct page *pages[8];
	unsigned int offs[8], lens[8];
	struct scatterlist *sg;
	struct sg_table t;
	dma_addr_t base, again;
	phys_addr_t p;
	unsigned int i;
	int prot;

	fill_pattern(b.cpu, b.size, 15);
	for (i = 0; i < n; i++) {
		/* every other granule: physically discontiguous */
		pages[i] = ram_blk_page(&b, 2 * i * f->g);
		offs[i] = 0;
		lens[i] = g;
	}
	sgt_build(&t, pages, offs, lens, n);
	if (n * g > dma_get_max_seg_size(f->dev))
		assert_int_equal(dma_set_max_seg_size(f->dev, n * g), 0);

	/* Full granules merge into one segment of one IOVA range
	 * (8 x 4K -> one 32K segment on a 4K granule). */
	assert_int_equal(dma_map_sgtable(f->dev, &t, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(t.nents, 1);
	assert_int_equal(sg_dma_len(t.sgl), n * g);
	base = sg_dma_address(t.sgl);
	assert_int_equal(base & (f->g - 1), 0);
	assert_true(base + n * g <= SZ_4G);
	for (i = 0; i < n; i++) {
		assert_int_equal(sim_iommu_lookup(f->dev, base + i * f->g, &p,
						  &prot), 0);
		assert_int_equal(p, page_to_phys(pages[i]));
	}
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);
	sgt_check_data(f->dev, &t, n * f->g);
	dma_unmap_sgtable(f->dev, &t, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(sim_iommu_lookup(f->dev, base + i * f->g, &p,
						  &prot), -ENOENT);
	/* The IOVA range is free again (after the flush in lazy mode). */
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	assert_int_equal(dma_map_sgtable(f->dev, &t, DMA_TO_DEVICE, 0), 0);
	again = sg_dma_address(t.sgl);
	assert_int_equal(again, base);
	dma_unmap_sgtable(f->dev, &t, DMA_TO_DEVICE, 0);

	/* max_seg_size of two granules (8K on a 4K granule): four segments,
	 * still back to back in IOVA. */
	assert_int_equal(dma_set_max_seg_size(f->dev, 2 * g), 0);
	assert_int_equal(dma_map_sgtable(f->dev, &t, DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(t.nents, n / 2);
	base = sg_dma_address(t.sgl);
	for_each_sgtable_dma_sg(&t, sg, i) {
		assert_int_equal(sg_dma_address(sg), base + (u64)i * 2 * g);
		assert_int_equal(sg_dma_len(sg), 2 * g);
	}
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), n / 2);
	sgt_check_data(f->dev, &t, n * f->g);
	dma_unmap_sgtable(f->dev, &t, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(dbg_errors(f), 0);
	sg_free_table(&t);
	ram_blk_put(f->m, &b);
}

static void test_sg_partial_granules(void **state)
{
	struct fx *f = FX(state);
	const unsigned int g = (unsigned int)f->g;
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	struct page *pages[3] = { ram_blk_page(&b, 0), ram_blk_page(&b, 2 * f->g),
				  ram_blk_page(&b, 3 * f->g) };
	const unsigned int offs[3] = { 0x100, 0, 0 };
	const unsigned int lens[3] = { 0x300, g, 0x80 };
	struct scatterlist *s0, *s1;
	struct sg_table t;
	u8 pat[0x80];

	fill_pattern(b.cpu, b.size, 16);
	sgt_build(&t, pages, offs, lens, 3);
	if (2 * g > dma_get_max_seg_size(f->dev))
		assert_int_equal(dma_set_max_seg_size(f->dev, 2 * g), 0);
	assert_int_equal(dma_map_sgtable(f->dev, &t, DMA_BIDIRECTIONAL, 0), 0);
	/* seg0 is padded to its granule; seg1 starts on the next granule,
	 * seg2 follows seg1 without padding and merges into it. */
	assert_int_equal(t.nents, 2);
	s0 = t.sgl;
	s1 = sg_next(s0);
	assert_int_equal(sg_dma_address(s0) & (f->g - 1), 0x100);
	assert_int_equal(sg_dma_len(s0), 0x300);
	assert_int_equal(sg_dma_address(s1),
			 (sg_dma_address(s0) & ~(dma_addr_t)(f->g - 1)) + f->g);
	assert_int_equal(sg_dma_len(s1), g + 0x80);
	/* the CPU side of the list is as it was */
	assert_int_equal(s0->offset, 0x100);
	assert_int_equal(s0->length, 0x300);
	assert_int_equal(s1->length, g);
	assert_int_equal(sg_next(s1)->length, 0x80);
	sgt_check_data(f->dev, &t, 0x300 + f->g + 0x80);
	/* the device writes into the third buffer through the merged one */
	fill_pattern(pat, sizeof(pat), 17);
	assert_int_equal(sim_dma_write(f->dev, sg_dma_address(s1) + f->g, pat,
				       sizeof(pat)), 0);
	assert_memory_equal(b.cpu + 3 * f->g, pat, sizeof(pat));
	dma_unmap_sgtable(f->dev, &t, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(dbg_errors(f), 0);
	sg_free_table(&t);
	ram_blk_put(f->m, &b);
}

static void test_sg_untrusted(void **state)
{
	struct fx *f = FX(state);
	const unsigned int g = (unsigned int)f->g;
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	u8 *orig = malloc(b.size), pat[0x100];
	struct page *pages[3] = { ram_blk_page(&b, 0), ram_blk_page(&b, f->g),
				  ram_blk_page(&b, 3 * f->g) };
	const unsigned int offs[3] = { 0, 0, 0x40 };
	unsigned int lens[3] = { g, g, 0x100 };
	struct scatterlist *sg;
	struct sg_table t;
	unsigned int i;

	assert_non_null(orig);
	fill_pattern(b.cpu, b.size, 34);
	memcpy(orig, b.cpu, b.size);

	/* Whole granules: mapped in place, merged, nothing bounced. */
	sgt_build(&t, pages, offs, lens, 2);
	if (2 * g > dma_get_max_seg_size(f->ut))
		assert_int_equal(dma_set_max_seg_size(f->ut, 2 * g), 0);
	assert_int_equal(dma_map_sgtable(f->ut, &t, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(t.nents, 1);
	assert_int_equal(swiotlb_used(f->ut), 0);
	sgt_check_data(f->ut, &t, 2 * f->g);
	dma_unmap_sgtable(f->ut, &t, DMA_TO_DEVICE, 0);
	sg_free_table(&t);

	/* A sub-granule segment: the list is bounced segment by segment;
	 * FROM_DEVICE data reaches the original at unmap, nothing else. */
	sgt_build(&t, pages, offs, lens, 3);
	assert_int_equal(dma_map_sgtable(f->ut, &t, DMA_BIDIRECTIONAL, 0), 0);
	assert_true(swiotlb_used(f->ut) > 0);
	sgt_check_data(f->ut, &t, 2 * f->g + 0x100);
	i = 0;
	for_each_sgtable_dma_sg(&t, sg, i)
		if (sg_dma_len(sg) == 0x100)
			break;
	assert_int_equal(sg_dma_len(sg), 0x100);
	fill_pattern(pat, sizeof(pat), 35);
	assert_int_equal(sim_dma_write(f->ut, sg_dma_address(sg), pat,
				       sizeof(pat)), 0);
	assert_memory_equal(b.cpu, orig, b.size);
	dma_unmap_sgtable(f->ut, &t, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_memory_equal(b.cpu + 3 * f->g + 0x40, pat, sizeof(pat));
	assert_memory_equal(b.cpu, orig, 3 * f->g + 0x40);
	assert_memory_equal(b.cpu + 3 * f->g + 0x140, orig + 3 * f->g + 0x140,
			    f->g - 0x140);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(dbg_errors(f), 0);
	sg_free_table(&t);
	free(orig);
	ram_blk_put(f->m, &b);
}

/* ------------------------------------------------------------------------ */
/* Non-coherent devices behind the IOMMU                                    */
/* ------------------------------------------------------------------------ */

static void test_noncoherent_streaming_and_alloc(void **state)
{
	struct fx *f = fx_new(FX(state)->v,
			      &(struct plat_opts){ .noncoherent = true });
	struct device *dev = f->dev;
	struct ram_blk b = ram_blk_get(f->m, 2 * f->g);
	unsigned long pages0 = sim_ram_pages_allocated(f->m);
	u8 a_pat[512], c_pat[512], buf[512];
	phys_addr_t p;
	dma_addr_t a, h;
	u8 *cpu;
	int prot;

	fill_pattern(a_pat, sizeof(a_pat), 36);
	fill_pattern(c_pat, sizeof(c_pat), 37);

	/* map cleans: the device sees what the CPU wrote before */
	memcpy(b.cpu, a_pat, sizeof(a_pat));
	a = map_phys_ok(dev, b.phys, sizeof(a_pat), DMA_TO_DEVICE, 0);
	assert_int_equal(sim_iommu_lookup(dev, a, &p, &prot), 0);
	assert_false(prot & IOMMU_CACHE);
	dev_read_ok(dev, a, buf, sizeof(buf));
	assert_memory_equal(buf, a_pat, sizeof(buf));
	dma_unmap_phys(dev, a, sizeof(a_pat), DMA_TO_DEVICE, 0);

	/* unmap invalidates: the CPU sees what the device wrote */
	a = map_phys_ok(dev, b.phys + f->g, sizeof(c_pat), DMA_FROM_DEVICE, 0);
	assert_int_equal(sim_dma_write(dev, a, c_pat, sizeof(c_pat)), 0);
	assert_memory_not_equal(b.cpu + f->g, c_pat, sizeof(c_pat));
	dma_unmap_phys(dev, a, sizeof(c_pat), DMA_FROM_DEVICE, 0);
	assert_memory_equal(b.cpu + f->g, c_pat, sizeof(c_pat));

	/* coherent memory of a non-coherent device: an uncached mapping */
	cpu = dma_alloc_coherent(dev, 2 * PAGE_SIZE, &h, GFP_KERNEL);
	assert_non_null(cpu);
	assert_int_equal(sim_iommu_lookup(dev, h, &p, &prot), 0);
	assert_int_equal(p, sim_virt_to_phys(f->m, cpu));
	assert_false(prot & IOMMU_CACHE);
	memcpy(cpu, a_pat, sizeof(a_pat));
	dev_read_ok(dev, h, buf, sizeof(buf));
	assert_memory_equal(buf, a_pat, sizeof(buf));
	assert_int_equal(sim_dma_write(dev, h + PAGE_SIZE, c_pat,
				       sizeof(c_pat)), 0);
	assert_memory_equal(cpu + PAGE_SIZE, c_pat, sizeof(c_pat));
	dma_free_coherent(dev, 2 * PAGE_SIZE, cpu, h);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(dev), 0);
	assert_int_equal(sim_ram_pages_allocated(f->m), pages0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(dbg_errors(f), 0);
	ram_blk_put(f->m, &b);
	fx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Coherent allocations                                                     */
/* ------------------------------------------------------------------------ */

static void test_coherent_alloc(void **state)
{
	struct fx *f = FX(state);
	const size_t size = 3 * PAGE_SIZE;
	u8 pat[512], buf[512];
	dma_addr_t h;
	phys_addr_t p, phys;
	u8 *cpu;
	int prot;

	cpu = dma_alloc_coherent(f->dev, size, &h, GFP_KERNEL);
	assert_non_null(cpu);
	phys = sim_virt_to_phys(f->m, cpu);
	assert_true(phys != (phys_addr_t)-1);
	assert_int_not_equal(h, phys);		/* an IOVA, not the phys */
	assert_int_equal(h & (f->g - 1), phys & (f->g - 1));
	assert_int_equal(sim_iommu_lookup(f->dev, h, &p, &prot), 0);
	assert_int_equal(p, phys);
	assert_int_equal(prot & (IOMMU_READ | IOMMU_WRITE),
			 IOMMU_READ | IOMMU_WRITE);
	assert_int_equal(sim_iommu_lookup(f->dev, h + size - 1, &p, &prot), 0);
	assert_int_equal(p, phys + size - 1);
	for (size_t i = 0; i < size; i++)
		assert_int_equal(cpu[i], 0);

	/* both directions through the handle */
	fill_pattern(pat, sizeof(pat), 18);
	assert_int_equal(sim_dma_write(f->dev, h + PAGE_SIZE, pat, sizeof(pat)), 0);
	assert_memory_equal(cpu + PAGE_SIZE, pat, sizeof(pat));
	fill_pattern(cpu + 2 * PAGE_SIZE, sizeof(pat), 19);
	dev_read_ok(f->dev, h + 2 * PAGE_SIZE, buf, sizeof(buf));
	assert_memory_equal(buf, cpu + 2 * PAGE_SIZE, sizeof(buf));
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);

	dma_free_coherent(f->dev, size, cpu, h);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(sim_iommu_lookup(f->dev, h, &p, &prot), -ENOENT);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	assert_int_equal(sim_dma_read(f->dev, h, buf, 64), -EFAULT);
	assert_int_equal(dbg_errors(f), 0);
}

/* ------------------------------------------------------------------------ */
/* The IOVA API                                                             */
/* ------------------------------------------------------------------------ */

static dma_addr_t rec_map_page(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir, unsigned long attrs)
{
	(void)dev; (void)size; (void)dir; (void)attrs;
	return page_to_phys(page) + offset;
}

static void rec_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	(void)dev; (void)addr; (void)size; (void)dir; (void)attrs;
}

static const struct dma_map_ops legacy_ops = {
	.map_page = rec_map_page,
	.unmap_page = rec_unmap_page,
};

static void expect_refused(struct device *dev, phys_addr_t phys, size_t size)
{
	struct dma_iova_state st;

	memset(&st, 0xa5, sizeof(st));
	assert_false(dma_iova_try_alloc(dev, &st, phys, size));
	assert_true(state_is_zero(&st));
}

static void test_iova_try_alloc_refused(void **state)
{
	struct fx *f = FX(state);
	unsigned long w0 = sim_report_count_kind(f->m, SIM_REPORT_WARN);

	expect_refused(f->direct, 0x100000, SZ_64K);	/* dma-direct */
	expect_refused(f->off, 0x100000, SZ_64K);	/* unit mode=off */
	expect_refused(f->pt, 0x100000, SZ_64K);	/* passthrough */
	set_dma_ops(f->legacy, &legacy_ops);		/* legacy ops */
	expect_refused(f->legacy, 0x100000, SZ_64K);
	set_dma_ops(f->legacy, NULL);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), w0);

	/* Misuse on an iommu-dma device: refused with a warning. */
	expect_refused(f->dev, 0x100000, 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), w0 + 1);
	expect_refused(f->dev, 0x100000, (size_t)(DMA_IOVA_USE_SWIOTLB | SZ_64K));
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), w0 + 2);
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "DMA_IOVA_USE_SWIOTLB"));
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
}

static void test_iova_exhausted(void **state)
{
	struct fx *f = FX(state);
	struct fill *fl = calloc(1, sizeof(*fl));
	struct resv r[8];
	unsigned int nr = resv_ranges(f, r);
	struct dma_iova_state st[16], extra;
	unsigned int n = 0;

	assert_non_null(fl);
	/* 16M of IOVA: fifteen aligned 1M ranges ([0, 1M) holds frame 0). */
	assert_int_equal(dma_set_mask(f->dev, DMA_BIT_MASK(24)), 0);
	while (n < 16 && dma_iova_try_alloc(f->dev, &st[n], 0, SZ_1M)) {
		assert_true(st[n].addr + SZ_1M - 1 <= DMA_BIT_MASK(24));
		n++;
	}
	assert_int_equal(n, 15);
	assert_true(state_is_zero(&st[n]));
	assert_false(dma_use_iova(&st[n]));
	/* the rest, granule by granule: then nothing at all is left */
	fill_space(f, f->dev, fl, r, nr);
	assert_int_equal(fl->frames, SZ_1M / f->g - 1);
	memset(&extra, 0x5a, sizeof(extra));
	assert_false(dma_iova_try_alloc(f->dev, &extra, 0x100000, f->g));
	assert_true(state_is_zero(&extra));
	/* Streaming maps fail too. */
	assert_int_equal(dma_map_phys(f->dev, 0x100000, f->g, DMA_TO_DEVICE, 0),
			 DMA_MAPPING_ERROR);
	/* One range back: it can be had again. */
	dma_iova_free(f->dev, &st[n - 1]);
	assert_true(dma_iova_try_alloc(f->dev, &extra, 0, SZ_1M));
	assert_int_equal(extra.addr, st[n - 1].addr);
	dma_iova_free(f->dev, &extra);
	while (--n)
		dma_iova_free(f->dev, &st[n - 1]);
	unfill(f->dev, fl);
	assert_true(dma_iova_try_alloc(f->dev, &extra, 0, (8 * SZ_1M)));
	assert_int_equal(extra.addr, (8 * SZ_1M));
	dma_iova_free(f->dev, &extra);
	assert_int_equal(dbg_errors(f), 0);
	assert_int_equal(dma_set_mask(f->dev, DMA_BIT_MASK(64)), 0);
	free(fl);
}

static void test_iova_link_sync(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	const size_t off = (f->g > PAGE_SIZE ? 2 * PAGE_SIZE : 0) + 0x1a0;
	const size_t len = 2 * f->g;
	struct dma_iova_state st;
	unsigned long i0, e0;
	u8 *buf = malloc(len);
	phys_addr_t p;
	int prot;

	assert_non_null(buf);
	fill_pattern(b.cpu, b.size, 20);
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys + off, len));
	assert_true(dma_use_iova(&st));
	/* The offset of phys inside its granule is carried in addr. */
	assert_int_equal(st.addr & (f->g - 1), off & (f->g - 1));
	assert_int_equal(dma_iova_size(&st), len);
	assert_false(st.__size & DMA_IOVA_USE_SWIOTLB);
	assert_true(st.addr + len <= SZ_4G);	/* SAC */

	/* Linking maps but does not touch the IOTLB. */
	i0 = inval(f);
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + off, 0, len,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(inval(f), i0);
	assert_int_equal(sim_iommu_lookup(f->dev, st.addr, &p, &prot), 0);
	assert_int_equal(p, b.phys + off);
	assert_int_equal(prot & (IOMMU_READ | IOMMU_WRITE), IOMMU_READ);
	assert_int_equal(sim_iommu_lookup(f->dev, st.addr + len - 1, &p, &prot), 0);
	assert_int_equal(p, b.phys + off + len - 1);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);

	/* The device must not use it before dma_iova_sync. */
	e0 = dbg_errors(f);
	dev_read_ok(f->dev, st.addr, buf, 256);
	assert_int_equal(dbg_errors(f), e0 + 1);
	assert_true(dbg_find(f, "before dma_iova_sync"));
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, len), 0);
	assert_int_equal(inval(f), i0);
	dev_read_ok(f->dev, st.addr, buf, len);
	assert_memory_equal(buf, b.cpu + off, len);
	assert_int_equal(dbg_errors(f), e0 + 1);
	/* still a TO_DEVICE mapping */
	assert_int_equal(sim_dma_write(f->dev, st.addr, buf, 16), -EFAULT);

	dma_iova_destroy(f->dev, &st, len, DMA_TO_DEVICE, 0);
	assert_int_equal(inval(f), i0 + (f->lazy ? 0 : 1));
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	if (f->lazy) {
		assert_int_equal(fq_stats(f->dev).queued, 1);
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
		assert_int_equal(inval(f), i0 + 1);
	}
	assert_int_equal(sim_dma_read(f->dev, st.addr, buf, 16), -EFAULT);
	assert_int_equal(dbg_errors(f), e0 + 1);
	free(buf);
	ram_blk_put(f->m, &b);
}

static void test_iova_link_errors(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	phys_addr_t bar = pci_resource_start(to_pci_dev(f->peer), 0);
	struct dma_iova_state st;
	unsigned long e0 = dbg_errors(f);
	phys_addr_t p;
	int prot;

	/* Only the first link may start inside a granule. */
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 3 * f->g));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys, 0, f->g,
				       DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + f->g + 0x10, f->g,
				       f->g, DMA_BIDIRECTIONAL, 0), -EIO);
	assert_int_equal(dbg_errors(f), e0 + 1);
	assert_true(dbg_find(f, "does not start on an IOVA granule boundary"));
	assert_int_equal(sim_iommu_lookup(f->dev, st.addr + f->g, &p, &prot),
			 -ENOENT);
	/* an aligned one at the same place is fine */
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + 2 * f->g, f->g,
				       f->g, DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, 2 * f->g), 0);
	dma_iova_destroy(f->dev, &st, 2 * f->g, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(dbg_errors(f), e0 + 1);

	/* MMIO that an untrusted device would need bounced: -EPERM. */
	assert_true(dma_iova_try_alloc(f->ut, &st, bar + 0x100, 0x100));
	assert_int_equal(dma_iova_link(f->ut, &st, bar + 0x100, 0, 0x100,
				       DMA_TO_DEVICE, DMA_ATTR_MMIO), -EPERM);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr, &p, &prot), -ENOENT);
	dma_iova_destroy(f->ut, &st, 0, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	/* a whole granule of MMIO links in place */
	assert_true(dma_iova_try_alloc(f->ut, &st, bar, f->g));
	assert_int_equal(dma_iova_link(f->ut, &st, bar, 0, f->g, DMA_TO_DEVICE,
				       DMA_ATTR_MMIO), 0);
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr, &p, &prot), 0);
	assert_int_equal(p, bar);
	assert_true(prot & IOMMU_MMIO);
	assert_false(prot & IOMMU_CACHE);
	assert_int_equal(dma_iova_sync(f->ut, &st, 0, f->g), 0);
	dma_iova_destroy(f->ut, &st, f->g, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	assert_int_equal(dbg_errors(f), e0 + 1);
	ram_blk_put(f->m, &b);
}

/*
 * The link rules, reported by dma-debug (SPEC §4; Linux's dma-debug does
 * not cover the IOVA API): only the last link may end inside a granule,
 * every link but the first starts where a granule does, and nothing is
 * linked twice. The kernel's answers stay: the page table refuses a
 * granule-unaligned IOVA (-EINVAL) and an IOVA already mapped (-EEXIST).
 */
static void test_iova_link_rules(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	const size_t half = f->g / 2;
	struct dma_iova_state st;
	unsigned long e0 = dbg_errors(f);
	char want[256];
	phys_addr_t p;
	int prot;

	/* Correct sequences report nothing: a first link starting inside a
	 * granule, whole granules, and a last link ending inside one. */
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys + 0x100,
				       2 * f->g - 0x100 + half));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + 0x100, 0,
				       f->g - 0x100, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + 2 * f->g,
				       f->g - 0x100, f->g, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + f->g,
				       2 * f->g - 0x100, half, DMA_TO_DEVICE,
				       0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0,
				       2 * f->g - 0x100 + half), 0);
	dma_iova_destroy(f->dev, &st, 2 * f->g - 0x100 + half, DMA_TO_DEVICE,
			 0);
	assert_int_equal(dbg_errors(f), e0);

	/* A link after one that ended inside a granule: -EINVAL, reported
	 * with the device, the IOVA state, the offset and size, the rule. */
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 3 * f->g));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys, 0, half,
				       DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(dbg_errors(f), e0);
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + f->g, half, f->g,
				       DMA_BIDIRECTIONAL, 0), -EINVAL);
	assert_int_equal(dbg_errors(f), e0 + 1);
	snprintf(want, sizeof(want),
		 "%s: dma_iova_link after a link that ended inside an IOVA granule (only the last link may end unaligned) [IOVA state=0x%016llx] [IOVA size=%zu bytes] [previous end=%zu] [offset=%zu] [size=%zu]",
		 dev_name(f->dev), (unsigned long long)st.addr,
		 (size_t)(3 * f->g), half, half, (size_t)f->g);
	assert_true(dbg_find(f, want));
	assert_true(dbg_find(f, "DMA-API: "));
	/* nothing of it was linked; what was linked is still there */
	assert_int_equal(sim_iommu_lookup(f->dev, st.addr + f->g, &p, &prot),
			 -ENOENT);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, half), 0);
	dma_iova_destroy(f->dev, &st, half, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(dbg_errors(f), e0 + 1);

	/* A later link at an IOVA offset inside a granule, with no unaligned
	 * end before it: the same -EINVAL, the other rule. */
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 3 * f->g));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys, 0, f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + 2 * f->g,
				       f->g + 0x200, f->g, DMA_TO_DEVICE, 0),
			 -EINVAL);
	assert_int_equal(dbg_errors(f), e0 + 2);
	snprintf(want, sizeof(want),
		 "%s: dma_iova_link at an IOVA offset inside a granule (only the first link may start unaligned, every other starts where a granule does) [IOVA state=0x%016llx] [IOVA size=%zu bytes] [offset=%zu] [size=%zu]",
		 dev_name(f->dev), (unsigned long long)st.addr,
		 (size_t)(3 * f->g), (size_t)(f->g + 0x200), (size_t)f->g);
	assert_true(dbg_find(f, want));

	/* Linking an IOVA granule twice: -EEXIST from the page table,
	 * reported; the first link's translation stays. */
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + 3 * f->g, 0, f->g,
				       DMA_TO_DEVICE, 0), -EEXIST);
	assert_int_equal(dbg_errors(f), e0 + 3);
	snprintf(want, sizeof(want),
		 "%s: dma_iova_link over an already linked range [IOVA state=0x%016llx] [IOVA size=%zu bytes] [offset=0] [size=%zu]",
		 dev_name(f->dev), (unsigned long long)st.addr,
		 (size_t)(3 * f->g), (size_t)f->g);
	assert_true(dbg_find(f, want));
	assert_int_equal(sim_iommu_lookup(f->dev, st.addr, &p, &prot), 0);
	assert_int_equal(p, b.phys);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 1);
	/* Beyond the allocation, onto a granule another state linked: the
	 * page table's -EEXIST, reported as the link beyond the range. The
	 * lower state links at the higher one's first (linked) granule. */
	{
		struct dma_iova_state st2, *lo, *hi;

		assert_true(dma_iova_try_alloc(f->dev, &st2, b.phys, f->g));
		assert_int_equal(dma_iova_link(f->dev, &st2, b.phys + f->g, 0,
					       f->g, DMA_TO_DEVICE, 0), 0);
		lo = st2.addr < st.addr ? &st2 : &st;
		hi = lo == &st ? &st2 : &st;
		assert_int_equal(dma_iova_link(f->dev, lo, b.phys + 3 * f->g,
					       hi->addr - lo->addr, f->g,
					       DMA_TO_DEVICE, 0), -EEXIST);
		assert_int_equal(dbg_errors(f), e0 + 4);
		snprintf(want, sizeof(want),
			 "%s: dma_iova_link beyond the allocated IOVA range [IOVA state=0x%016llx] [offset=%zu] [size=%zu] [allocated=%zu]",
			 dev_name(f->dev), (unsigned long long)lo->addr,
			 (size_t)(hi->addr - lo->addr), (size_t)f->g,
			 dma_iova_size(lo));
		assert_true(dbg_find(f, want));
		e0++;
		assert_int_equal(dma_iova_sync(f->dev, &st2, 0, f->g), 0);
		dma_iova_destroy(f->dev, &st2, f->g, DMA_TO_DEVICE, 0);
	}
	/* the correct continuation works and reports nothing */
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + 2 * f->g, f->g,
				       f->g, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, 2 * f->g), 0);
	dma_iova_destroy(f->dev, &st, 2 * f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(dbg_errors(f), e0 + 3);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);

	/* Destroyed with another direction than linked: reported once. */
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 2 * f->g));
	for (unsigned int i = 0; i < 2; i++)
		assert_int_equal(dma_iova_link(f->dev, &st, b.phys + i * f->g,
					       i * f->g, f->g, DMA_TO_DEVICE,
					       0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, 2 * f->g), 0);
	dma_iova_destroy(f->dev, &st, 2 * f->g, DMA_FROM_DEVICE, 0);
	assert_int_equal(dbg_errors(f), e0 + 4);
	snprintf(want, sizeof(want),
		 "%s: dma_iova_destroy with a different direction than dma_iova_link [IOVA state=0x%016llx] [IOVA size=%zu bytes] [destroyed with DMA_FROM_DEVICE]",
		 dev_name(f->dev), (unsigned long long)st.addr,
		 (size_t)(2 * f->g));
	assert_true(dbg_find(f, want));
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	sim_report_clear(f->m);
	ram_blk_put(f->m, &b);
}

static void test_iova_unlink(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	struct dma_iova_state st;
	unsigned long e0 = dbg_errors(f), i0, f0;
	u8 buf[64];
	phys_addr_t p;
	int prot;

	fill_pattern(b.cpu, b.size, 21);
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 4 * f->g));
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(dma_iova_link(f->dev, &st, b.phys + i * f->g,
					       i * f->g, f->g, DMA_TO_DEVICE, 0),
				 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, 4 * f->g), 0);
	for (unsigned int i = 0; i < 4; i++)
		dev_read_ok(f->dev, st.addr + i * f->g, buf, sizeof(buf));

	/* Unlink the second half: it is gone from the page table and the
	 * IOTLB at once (an unlink never waits in a flush queue). */
	i0 = inval(f);
	f0 = faults(f);
	dma_iova_unlink(f->dev, &st, 2 * f->g, 2 * f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(inval(f), i0 + 1);
	assert_int_equal(dbg_errors(f), e0);
	assert_int_equal(sim_iommu_lookup(f->dev, st.addr + 2 * f->g, &p, &prot),
			 -ENOENT);
	assert_int_equal(sim_dma_read(f->dev, st.addr + 2 * f->g, buf,
				      sizeof(buf)), -EFAULT);
	assert_int_equal(sim_dma_read(f->dev, st.addr + 3 * f->g, buf,
				      sizeof(buf)), -EFAULT);
	assert_int_equal(faults(f), f0 + 2);
	/* the first half stays */
	dev_read_ok(f->dev, st.addr + f->g, buf, sizeof(buf));
	assert_memory_equal(buf, b.cpu + f->g, sizeof(buf));
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), 2);
	dma_iova_destroy(f->dev, &st, 2 * f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(dbg_errors(f), e0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);

	/* An unlink that does not match what was linked. */
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 2 * f->g));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys, 0, 2 * f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, 2 * f->g), 0);
	dma_iova_unlink(f->dev, &st, 0, f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(dbg_errors(f), e0 + 1);
	assert_true(dbg_find(f, "dma_iova_unlink length does not match"));
	dma_iova_destroy(f->dev, &st, 2 * f->g, DMA_TO_DEVICE, 0);
	sim_report_clear(f->m);

	/* A destroy whose mapped_len does not match what is linked. */
	e0 = dbg_errors(f);
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 2 * f->g));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys, 0, f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, f->g), 0);
	dma_iova_destroy(f->dev, &st, 2 * f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(dbg_errors(f), e0 + 1);
	assert_true(dbg_find(f, "dma_iova_destroy length does not match"));
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	ram_blk_put(f->m, &b);
}

static void test_iova_relink_and_sync_per_link(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	struct dma_iova_state st;
	unsigned long e0 = dbg_errors(f);
	u8 buf[128];

	fill_pattern(b.cpu, b.size, 38);
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, 2 * f->g));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys, 0, f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, f->g), 0);
	/* a second link, not synced yet: only it is reported */
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + f->g, f->g, f->g,
				       DMA_TO_DEVICE, 0), 0);
	dev_read_ok(f->dev, st.addr, buf, sizeof(buf));
	assert_int_equal(dbg_errors(f), e0);
	dev_read_ok(f->dev, st.addr + f->g, buf, sizeof(buf));
	assert_int_equal(dbg_errors(f), e0 + 1);
	assert_int_equal(dma_iova_sync(f->dev, &st, f->g, f->g), 0);
	dev_read_ok(f->dev, st.addr + f->g, buf, sizeof(buf));
	assert_memory_equal(buf, b.cpu + f->g, sizeof(buf));
	assert_int_equal(dbg_errors(f), e0 + 1);

	/* Unlink the first granule and link another page there: the device
	 * must see the new page, never the old one through the IOTLB. */
	dma_iova_unlink(f->dev, &st, 0, f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys + 3 * f->g, 0, f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, f->g), 0);
	dev_read_ok(f->dev, st.addr, buf, sizeof(buf));
	assert_memory_equal(buf, b.cpu + 3 * f->g, sizeof(buf));
	assert_false(dbg_find(f, "stale IOTLB entry"));
	dma_iova_destroy(f->dev, &st, 2 * f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(dbg_errors(f), e0 + 1);

	/* Lazy: after destroy the IOTLB still translates until the flush. */
	if (f->lazy) {
		assert_int_equal(sim_dma_read(f->dev, st.addr, buf, sizeof(buf)),
				 0);
		assert_memory_equal(buf, b.cpu + 3 * f->g, sizeof(buf));
		assert_true(dbg_find(f, "stale IOTLB entry"));
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	}
	assert_int_equal(sim_dma_read(f->dev, st.addr, buf, sizeof(buf)),
			 -EFAULT);
	ram_blk_put(f->m, &b);
}

static void test_iova_destroy_frees(void **state)
{
	struct fx *f = FX(state);
	const size_t len = 8 * f->g;
	struct ram_blk b = ram_blk_get(f->m, len);
	struct dma_iova_state st, st2, st3;
	unsigned long i0;
	phys_addr_t p;
	dma_addr_t first;
	int prot;

	fill_pattern(b.cpu, b.size, 22);
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, len));
	first = st.addr;
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(dma_iova_link(f->dev, &st, b.phys + i * f->g,
					       i * f->g, f->g,
					       DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, len), 0);
	i0 = inval(f);
	dma_iova_destroy(f->dev, &st, len, DMA_BIDIRECTIONAL, 0);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(sim_iommu_lookup(f->dev, first + i * f->g, &p,
						  &prot), -ENOENT);
	if (!f->lazy) {
		/* one invalidation for the whole range, IOVA free at once */
		assert_int_equal(inval(f), i0 + 1);
		assert_true(dma_iova_try_alloc(f->dev, &st2, b.phys, len));
		assert_int_equal(st2.addr, first);
		dma_iova_free(f->dev, &st2);
	} else {
		/* queued: not reusable until the flush, which invalidates once */
		assert_int_equal(inval(f), i0);
		assert_true(dma_iova_try_alloc(f->dev, &st2, b.phys, len));
		assert_int_not_equal(st2.addr, first);
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
		assert_int_equal(inval(f), i0 + 1);
		assert_true(dma_iova_try_alloc(f->dev, &st3, b.phys, len));
		assert_int_equal(st3.addr, first);
		dma_iova_free(f->dev, &st3);
		dma_iova_free(f->dev, &st2);
	}
	/* dma_iova_free alone never needs an invalidation */
	assert_int_equal(inval(f), i0 + 1);
	assert_int_equal(dbg_errors(f), 0);
	ram_blk_put(f->m, &b);
}

static void test_iova_256_pages(void **state)
{
	struct fx *f = FX(state);
	const unsigned int n = (unsigned int)(SZ_1M / f->g);
	struct ram_blk b = ram_blk_get(f->m, 2 * SZ_1M);
	u8 *want = malloc(SZ_1M), *got = malloc(SZ_1M);
	dma_addr_t *as = calloc(n, sizeof(*as));
	struct dma_iova_state st;
	unsigned long i0, i1, fl0 = 0;

	assert_non_null(want);
	assert_non_null(got);
	assert_non_null(as);
	fill_pattern(b.cpu, b.size, 23);
	for (unsigned int i = 0; i < n; i++)
		memcpy(want + (size_t)i * f->g, b.cpu + 2 * (size_t)i * f->g, f->g);

	/* One IOVA range, n links of separate granules, one sync. */
	i0 = inval(f);
	if (f->lazy)
		fl0 = fq_stats(f->dev).flushes;
	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, SZ_1M));
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(dma_iova_link(f->dev, &st,
					       b.phys + 2 * (u64)i * f->g,
					       (size_t)i * f->g, f->g,
					       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, SZ_1M), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, f->dev), n);
	dev_read_ok(f->dev, st.addr, got, SZ_1M);
	assert_memory_equal(got, want, SZ_1M);
	dma_iova_destroy(f->dev, &st, SZ_1M, DMA_TO_DEVICE, 0);
	if (f->lazy) {
		assert_int_equal(inval(f), i0);
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	}
	assert_int_equal(inval(f), i0 + 1);

	/* The same transfer with per-granule streaming maps. */
	i1 = inval(f);
	if (f->lazy)
		fl0 = fq_stats(f->dev).flushes;
	for (unsigned int i = 0; i < n; i++)
		as[i] = map_phys_ok(f->dev, b.phys + 2 * (u64)i * f->g, f->g,
			       DMA_TO_DEVICE, 0);
	for (unsigned int i = 0; i < n; i++) {
		dev_read_ok(f->dev, as[i], got, f->g);
		assert_memory_equal(got, want + (size_t)i * f->g, f->g);
	}
	for (unsigned int i = 0; i < n; i++)
		dma_unmap_phys(f->dev, as[i], f->g, DMA_TO_DEVICE, 0);
	if (!f->lazy) {
		assert_int_equal(inval(f), i1 + n);
	} else {
		/* per flush, not per unmap */
		unsigned long flushes = fq_stats(f->dev).flushes - fl0;

		assert_int_equal(inval(f), i1 + flushes);
		assert_true(flushes < n);
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	}
	assert_int_equal(dbg_errors(f), 0);
	free(as);
	free(want);
	free(got);
	ram_blk_put(f->m, &b);
}

/*
 * Untrusted: the unaligned head and tail of a link are bounced (an NVMe-like
 * device keeps the offset in its granule with min_align_mask).
 */
static void test_iova_untrusted_bounce(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	const size_t head = 0x100, tail = 0x300;
	const size_t len = 3 * f->g - head - tail;
	u8 *orig = malloc(b.size), *buf = malloc(4 * f->g), *pat = malloc(len);
	struct dma_iova_state st;
	unsigned long e0;
	dma_addr_t base;
	phys_addr_t p;
	int prot;

	assert_non_null(orig);
	assert_non_null(buf);
	assert_non_null(pat);
	dma_set_min_align_mask(f->ut, (unsigned int)f->g - 1);
	fill_pattern(b.cpu, b.size, 24);
	memcpy(orig, b.cpu, b.size);
	dirty_swiotlb(f, f->ut, b.phys);

	/* TO_DEVICE */
	assert_true(dma_iova_try_alloc(f->ut, &st, b.phys + head, len));
	assert_int_equal(st.addr & (f->g - 1), head);
	assert_int_equal(dma_iova_link(f->ut, &st, b.phys + head, 0, len,
				       DMA_TO_DEVICE, 0), 0);
	assert_true(st.__size & DMA_IOVA_USE_SWIOTLB);
	assert_int_equal(dma_iova_size(&st), len);
	assert_true(swiotlb_used(f->ut) > 0);
	/* head and tail are bounce slots, the middle is the original */
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr, &p, &prot), 0);
	assert_true(is_swiotlb_buffer(f->ut, p));
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr - head + f->g, &p,
					  &prot), 0);
	assert_int_equal(p, b.phys + f->g);
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr + len - 1, &p, &prot), 0);
	assert_true(is_swiotlb_buffer(f->ut, p));
	assert_int_equal(dma_iova_sync(f->ut, &st, 0, len), 0);
	dev_read_ok(f->ut, st.addr, buf, len);
	assert_memory_equal(buf, orig + head, len);
	/* the rest of the head and tail granules: zeros, not neighbours */
	base = st.addr - head;
	dev_read_ok(f->ut, base, buf, 3 * f->g);
	for (size_t i = 0; i < head; i++)
		assert_int_equal(buf[i], 0);
	for (size_t i = 3 * f->g - tail; i < 3 * f->g; i++)
		assert_int_equal(buf[i], 0);
	e0 = dbg_errors(f);
	dma_iova_destroy(f->ut, &st, len, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);

	/* FROM_DEVICE: copied back to the original at destroy */
	assert_true(dma_iova_try_alloc(f->ut, &st, b.phys + head, len));
	assert_int_equal(dma_iova_link(f->ut, &st, b.phys + head, 0, len,
				       DMA_FROM_DEVICE, 0), 0);
	assert_true(st.__size & DMA_IOVA_USE_SWIOTLB);
	assert_int_equal(dma_iova_sync(f->ut, &st, 0, len), 0);
	fill_pattern(pat, len, 25);
	assert_int_equal(sim_dma_write(f->ut, st.addr, pat, len), 0);
	dma_iova_destroy(f->ut, &st, len, DMA_FROM_DEVICE, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	assert_memory_equal(b.cpu + head, pat, len);
	assert_memory_equal(b.cpu, orig, head);
	assert_memory_equal(b.cpu + head + len, orig + head + len,
			    b.size - head - len);
	assert_int_equal(dbg_errors(f), e0);

	free(orig);
	free(buf);
	free(pat);
	dma_set_min_align_mask(f->ut, 0);
	ram_blk_put(f->m, &b);
}

/* Without min_align_mask: an aligned start with an unaligned tail. */
static void test_iova_untrusted_tail_only(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 2 * f->g);
	const size_t len = f->g + 0x200;
	u8 *buf = malloc(2 * f->g);
	struct dma_iova_state st;
	phys_addr_t p;
	int prot;

	assert_non_null(buf);
	fill_pattern(b.cpu, b.size, 26);
	dirty_swiotlb(f, f->ut, b.phys);
	assert_true(dma_iova_try_alloc(f->ut, &st, b.phys, len));
	assert_int_equal(dma_iova_link(f->ut, &st, b.phys, 0, len,
				       DMA_TO_DEVICE, 0), 0);
	assert_true(st.__size & DMA_IOVA_USE_SWIOTLB);
	assert_true(swiotlb_used(f->ut) > 0);
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr, &p, &prot), 0);
	assert_int_equal(p, b.phys);
	assert_int_equal(dma_iova_sync(f->ut, &st, 0, len), 0);
	dev_read_ok(f->ut, st.addr, buf, len);
	assert_memory_equal(buf, b.cpu, len);
	dev_read_ok(f->ut, st.addr, buf, 2 * f->g);
	for (size_t i = len; i < 2 * f->g; i++)
		assert_int_equal(buf[i], 0);
	sim_report_clear(f->m);
	dma_iova_destroy(f->ut, &st, len, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	free(buf);
	ram_blk_put(f->m, &b);
}

/*
 * A link whose unaligned head and tail leave no aligned middle (upstream
 * commit 6ec91df8aff7 "iommu/dma: Do not try to iommu_map a 0 length region
 * in swiotlb"): the head and the tail are bounced and nothing else mapped.
 */
static void test_iova_untrusted_no_aligned_middle(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 2 * f->g);
	const size_t head = f->g / 2, len = f->g;
	u8 *buf = malloc(len);
	struct dma_iova_state st;
	int ret;

	assert_non_null(buf);
	dma_set_min_align_mask(f->ut, (unsigned int)f->g - 1);
	fill_pattern(b.cpu, b.size, 27);
	assert_true(dma_iova_try_alloc(f->ut, &st, b.phys + head, len));
	ret = dma_iova_link(f->ut, &st, b.phys + head, 0, len, DMA_TO_DEVICE, 0);
	if (ret) {
		/* leave nothing behind before failing */
		dma_iova_destroy(f->ut, &st, 0, DMA_TO_DEVICE, 0);
		dma_set_min_align_mask(f->ut, 0);
		free(buf);
		ram_blk_put(f->m, &b);
		sim_report_clear(f->m);
		fail_msg("dma_iova_link of %#zx bytes at granule offset %#zx on an untrusted device returned %d",
			 len, head, ret);
	}
	assert_true(st.__size & DMA_IOVA_USE_SWIOTLB);
	assert_int_equal(dma_iova_sync(f->ut, &st, 0, len), 0);
	dev_read_ok(f->ut, st.addr, buf, len);
	assert_memory_equal(buf, b.cpu + head, len);
	dma_iova_destroy(f->ut, &st, len, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	dma_set_min_align_mask(f->ut, 0);
	free(buf);
	ram_blk_put(f->m, &b);
}

/*
 * A link whose head bounce succeeds but whose tail bounce finds the pool
 * full fails with -ENOMEM and leaves nothing of itself: no slot, no PTE.
 */
static void test_iova_untrusted_link_pool_full(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	const size_t head = 0x100, len = 2 * f->g - head + 0x200;
	unsigned int cap = 8192, n = 0;
	dma_addr_t *as = calloc(cap, sizeof(*as));
	struct dma_iova_state st;
	unsigned long used;
	phys_addr_t p;
	int prot;

	assert_non_null(as);
	dma_set_min_align_mask(f->ut, (unsigned int)f->g - 1);
	fill_pattern(b.cpu, b.size, 39);
	/* fill the pool with one-granule bounces, then free exactly one */
	while (n < cap) {
		as[n] = dma_map_phys(f->ut, b.phys + 3 * f->g + 0x10,
				     f->g - 0x20, DMA_TO_DEVICE, DMA_ATTR_NO_WARN);
		if (dma_mapping_error(f->ut, as[n]))
			break;
		n++;
	}
	assert_true(n > 1 && n < cap);
	dma_unmap_phys(f->ut, as[--n], f->g - 0x20, DMA_TO_DEVICE, 0);
	used = swiotlb_used(f->ut);

	assert_true(dma_iova_try_alloc(f->ut, &st, b.phys + head, len));
	assert_int_equal(dma_iova_link(f->ut, &st, b.phys + head, 0, len,
				       DMA_TO_DEVICE, DMA_ATTR_NO_WARN), -ENOMEM);
	assert_int_equal(swiotlb_used(f->ut), used);
	for (size_t o = 0; o < len + head; o += f->g)
		assert_int_equal(sim_iommu_lookup(f->ut, st.addr - head + o, &p,
						  &prot), -ENOENT);
	dma_iova_destroy(f->ut, &st, 0, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, f->ut), n);

	/* A second link fails the same way (its tail cannot be bounced):
	 * it takes back only its own part, the first link stays. */
	as[n] = dma_map_phys(f->ut, b.phys + 3 * f->g + 0x10, f->g - 0x20,
			     DMA_TO_DEVICE, DMA_ATTR_NO_WARN);
	assert_false(dma_mapping_error(f->ut, as[n]));
	n++;
	used = swiotlb_used(f->ut);
	assert_true(dma_iova_try_alloc(f->ut, &st, b.phys, 2 * f->g + 0x200));
	assert_int_equal(dma_iova_link(f->ut, &st, b.phys, 0, f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_link(f->ut, &st, b.phys + f->g, f->g,
				       f->g + 0x200, DMA_TO_DEVICE,
				       DMA_ATTR_NO_WARN), -ENOMEM);
	assert_int_equal(swiotlb_used(f->ut), used);
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr, &p, &prot), 0);
	assert_int_equal(p, b.phys);
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr + f->g, &p, &prot),
			 -ENOENT);
	assert_int_equal(sim_iommu_lookup(f->ut, st.addr + 2 * f->g, &p, &prot),
			 -ENOENT);
	assert_int_equal(dma_iova_sync(f->ut, &st, 0, f->g), 0);
	{
		u8 buf[64];

		dev_read_ok(f->ut, st.addr, buf, sizeof(buf));
		assert_memory_equal(buf, b.cpu, sizeof(buf));
	}
	dma_iova_destroy(f->ut, &st, f->g, DMA_TO_DEVICE, 0);
	assert_int_equal(sim_dma_debug_entries(f->m, f->ut), n);

	while (n)
		dma_unmap_phys(f->ut, as[--n], f->g - 0x20, DMA_TO_DEVICE, 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	dma_set_min_align_mask(f->ut, 0);
	free(as);
	ram_blk_put(f->m, &b);
}

static void test_iova_left_at_unbind(void **state)
{
	struct fx *f = FX(state);
	struct ram_blk b = ram_blk_get(f->m, f->g);
	struct dma_iova_state st;
	unsigned long e0 = dbg_errors(f);

	assert_true(dma_iova_try_alloc(f->dev, &st, b.phys, f->g));
	assert_int_equal(dma_iova_link(f->dev, &st, b.phys, 0, f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(f->dev, &st, 0, f->g), 0);
	sim_device_unbind(f->dev);
	assert_true(dbg_errors(f) > e0);
	assert_true(dbg_find(f, "IOVA state left allocated"));
	dma_iova_destroy(f->dev, &st, f->g, DMA_TO_DEVICE, 0);
	/* nothing left: a second unbind is quiet */
	e0 = dbg_errors(f);
	sim_device_unbind(f->dev);
	assert_int_equal(dbg_errors(f), e0);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	ram_blk_put(f->m, &b);
}

static void test_iova_noncoherent(void **state)
{
	struct fx *f = fx_new(FX(state)->v,
			      &(struct plat_opts){ .noncoherent = true });
	struct device *dev = f->dev;
	struct ram_blk b = ram_blk_get(f->m, 4 * f->g);
	u8 *a_pat = malloc(f->g), *c_pat = malloc(f->g), *buf = malloc(f->g);
	struct dma_iova_state st;
	unsigned long e0;
	phys_addr_t p;
	int prot;

	assert_non_null(a_pat);
	assert_non_null(c_pat);
	assert_non_null(buf);
	assert_false(dev_is_dma_coherent(dev));
	assert_true(device_iommu_mapped(dev));
	fill_pattern(a_pat, f->g, 28);
	fill_pattern(c_pat, f->g, 29);

	/* CPU data written before the link reaches the device after the
	 * sync, without any dma_sync_* call. */
	memcpy(b.cpu, a_pat, f->g);
	e0 = dbg_errors(f);
	assert_true(dma_iova_try_alloc(dev, &st, b.phys, f->g));
	assert_int_equal(dma_iova_link(dev, &st, b.phys, 0, f->g,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(sim_iommu_lookup(dev, st.addr, &p, &prot), 0);
	assert_false(prot & IOMMU_CACHE);
	assert_int_equal(dma_iova_sync(dev, &st, 0, f->g), 0);
	dev_read_ok(dev, st.addr, buf, f->g);
	assert_memory_equal(buf, a_pat, f->g);
	assert_int_equal(dbg_errors(f), e0);
	dma_iova_destroy(dev, &st, f->g, DMA_TO_DEVICE, 0);

	/* DMA_ATTR_SKIP_CPU_SYNC: the dirty lines stay in the cache. */
	memcpy(b.cpu + f->g, c_pat, f->g);
	assert_true(dma_iova_try_alloc(dev, &st, b.phys + f->g, f->g));
	assert_int_equal(dma_iova_link(dev, &st, b.phys + f->g, 0, f->g,
				       DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC), 0);
	assert_int_equal(dma_iova_sync(dev, &st, 0, f->g), 0);
	dev_read_ok(dev, st.addr, buf, f->g);
	assert_memory_not_equal(buf, c_pat, f->g);
	assert_true(dbg_find(f, "not written back"));
	dma_iova_destroy(dev, &st, f->g, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);

	/* FROM_DEVICE: destroy invalidates, the CPU sees the device's data */
	memset(b.cpu + 2 * f->g, 0x11, f->g);
	assert_true(dma_iova_try_alloc(dev, &st, b.phys + 2 * f->g, f->g));
	assert_int_equal(dma_iova_link(dev, &st, b.phys + 2 * f->g, 0, f->g,
				       DMA_FROM_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(dev, &st, 0, f->g), 0);
	assert_int_equal(sim_dma_write(dev, st.addr, a_pat, f->g), 0);
	assert_memory_not_equal(b.cpu + 2 * f->g, a_pat, f->g);	/* stale */
	dma_iova_destroy(dev, &st, f->g, DMA_FROM_DEVICE, 0);
	assert_memory_equal(b.cpu + 2 * f->g, a_pat, f->g);

	/* ... unless told to skip it */
	memset(b.cpu + 3 * f->g, 0x22, f->g);
	assert_true(dma_iova_try_alloc(dev, &st, b.phys + 3 * f->g, f->g));
	assert_int_equal(dma_iova_link(dev, &st, b.phys + 3 * f->g, 0, f->g,
				       DMA_FROM_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(dev, &st, 0, f->g), 0);
	assert_int_equal(sim_dma_write(dev, st.addr, c_pat, f->g), 0);
	dma_iova_destroy(dev, &st, f->g, DMA_FROM_DEVICE,
			 DMA_ATTR_SKIP_CPU_SYNC);
	assert_memory_not_equal(b.cpu + 3 * f->g, c_pat, f->g);
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(dev), 0);

	free(a_pat);
	free(c_pat);
	free(buf);
	ram_blk_put(f->m, &b);
	fx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Fault injection                                                          */
/* ------------------------------------------------------------------------ */

#define SWEEP_MASK	SWEEP_IOVA_MASK	/* 64M of IOVA */

/* A sweep on @dev: the upper half of its limited space stays free. */
struct iommu_sweep {
	struct fx *f;
	struct device *dev;
	/* the IOVA API scenario */
	const struct iova_scn *scn;
	u8 *buf, *want;
	unsigned long results[3];
	/* the sg scenario */
	struct sg_table *t;
	const struct sg_orig *o;
	size_t total;
	void *arg;		/* another scenario's */
	unsigned long runs;	/* of the last sweep */
};

static void iommu_sweep_settle(void *ctx)
{
	struct iommu_sweep *w = ctx;

	drain_flush_queue(w->dev);
}

static void iommu_sweep_check(void *ctx, unsigned long n, int ret)
{
	struct iommu_sweep *w = ctx;

	check_iova_space_free(w->dev);
	assert_int_equal(swiotlb_used(w->f->ut), 0);
}

/* Returns the runs that failed. */
static unsigned long iommu_sweep(struct iommu_sweep *w, int (*run)(void *ctx))
{
	struct failnth fn = {
		.name = w->f->v->name, .m = w->f->m, .ctx = w, .run = run,
		.settle = iommu_sweep_settle, .check = iommu_sweep_check,
	};

	failnth_sweep(&fn);
	w->runs = fn.runs;
	return fn.failed;
}

struct iova_scn {
	phys_addr_t phys[3];
	size_t len[3];
	const u8 *cpu[3];
	size_t total;
};

enum scn_result { SCN_ALLOC_FAILED, SCN_LINK_FAILED, SCN_DONE };

/* try_alloc, three links, sync, device access, destroy. */
static enum scn_result run_iova_scenario(struct device *dev,
					 const struct iova_scn *s, u8 *buf,
					 u8 *want)
{
	struct dma_iova_state st;
	size_t mapped = 0;
	int ret = 0;

	if (!dma_iova_try_alloc(dev, &st, s->phys[0], s->total)) {
		assert_true(state_is_zero(&st));
		return SCN_ALLOC_FAILED;
	}
	for (int i = 0; i < 3; i++) {
		ret = dma_iova_link(dev, &st, s->phys[i], mapped, s->len[i],
				    DMA_BIDIRECTIONAL, 0);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			break;
		}
		mapped += s->len[i];
	}
	if (!ret) {
		assert_int_equal(dma_iova_sync(dev, &st, 0, s->total), 0);
		dev_read_ok(dev, st.addr, buf, s->total);
		assert_memory_equal(buf, want, s->total);
	}
	dma_iova_destroy(dev, &st, mapped, DMA_BIDIRECTIONAL, 0);
	return ret ? SCN_LINK_FAILED : SCN_DONE;
}

static int iova_sweep_run(void *ctx)
{
	struct iommu_sweep *w = ctx;
	enum scn_result res = run_iova_scenario(w->dev, w->scn, w->buf,
						w->want);

	w->results[res]++;
	return res == SCN_DONE ? 0 : (int)res + 1;
}

static void sweep_iova(struct fx *f, struct device *dev, bool bounce)
{
	const size_t g = f->g;
	struct ram_blk a = ram_blk_get(f->m, 2 * g), b = ram_blk_get(f->m, g),
		   c = ram_blk_get(f->m, 2 * g);
	struct iova_scn s;
	struct iommu_sweep w = { .f = f, .dev = dev, .scn = &s };
	u8 *buf, *want;
	size_t pos = 0;

	if (bounce) {
		/* unaligned head (bounced), aligned middle, unaligned tail */
		s = (struct iova_scn){
			.phys = { a.phys + 0x100, b.phys, c.phys },
			.len = { 2 * g - 0x100, g, g + 0x200 },
		};
		dma_set_min_align_mask(dev, (unsigned int)g - 1);
	} else {
		s = (struct iova_scn){
			.phys = { a.phys, b.phys, c.phys },
			.len = { 2 * g, g, 2 * g },
		};
	}
	s.total = s.len[0] + s.len[1] + s.len[2];
	buf = malloc(s.total);
	want = malloc(s.total);
	assert_non_null(buf);
	assert_non_null(want);
	fill_pattern(a.cpu, a.size, 30);
	fill_pattern(b.cpu, b.size, 31);
	fill_pattern(c.cpu, c.size, 32);
	for (int i = 0; i < 3; i++) {
		memcpy(want + pos, sim_phys_to_virt(f->m, s.phys[i]), s.len[i]);
		pos += s.len[i];
	}
	assert_int_equal(dma_set_mask(dev, SWEEP_MASK), 0);

	w.buf = buf;
	w.want = want;
	iommu_sweep(&w, iova_sweep_run);
	/* both the IOVA allocation and the page-table pages were failed */
	assert_true(w.results[SCN_ALLOC_FAILED] > 0);
	assert_true(w.results[SCN_LINK_FAILED] > 0);
	assert_int_equal(swiotlb_used(f->ut), 0);
	if (bounce)
		dma_set_min_align_mask(dev, 0);
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(64)), 0);
	free(buf);
	free(want);
	ram_blk_put(f->m, &a);
	ram_blk_put(f->m, &b);
	ram_blk_put(f->m, &c);
}

/*
 * Domains beyond the default: a paging domain, DMA ownership with the
 * blocking domain, attach/detach, and the DMA API still working on the
 * default domain underneath.
 */
static void test_domain_attach_and_ownership(void **state)
{
	struct fx *f = FX(state);
	const size_t g = f->g;
	const unsigned long uiova = 0x40000000;	/* in the user domain */
	struct ram_blk a = ram_blk_get(f->m, g), b = ram_blk_get(f->m, g);
	struct iommu_group *grp = iommu_group_get(f->dev);
	struct iommu_domain *def = iommu_get_domain_for_dev(f->dev);
	struct iommu_domain *d, *d2, *dpt, *err;
	unsigned long warns;
	dma_addr_t addr;
	int owner, other;
	u8 *buf = malloc(g);

	assert_non_null(buf);
	assert_non_null(grp);
	fill_pattern(a.cpu, g, 61);
	fill_pattern(b.cpu, g, 62);

	/* allocation: only behind a translating unit */
	err = iommu_paging_domain_alloc(f->direct);
	assert_true(IS_ERR(err));
	assert_int_equal(PTR_ERR(err), -ENODEV);
	err = iommu_paging_domain_alloc(f->off);
	assert_int_equal(PTR_ERR(err), -ENODEV);
	d = iommu_paging_domain_alloc(f->dev);
	d2 = iommu_paging_domain_alloc(f->dev);
	dpt = iommu_paging_domain_alloc(f->pt);
	assert_false(IS_ERR_OR_NULL(d));
	assert_false(IS_ERR_OR_NULL(d2));
	assert_false(IS_ERR_OR_NULL(dpt));
	assert_int_equal(d->type, IOMMU_DOMAIN_UNMANAGED);
	assert_int_equal(iommu_map(d, uiova, b.phys, g, IOMMU_READ | IOMMU_CACHE, 0), 0);

	/* the DMA API's mapping, through the default domain */
	addr = map_phys_ok(f->dev, a.phys, g, DMA_TO_DEVICE, 0);
	dev_read_ok(f->dev, addr, buf, g);
	assert_memory_equal(buf, a.cpu, g);

	/* ownership: the blocking domain, nothing reaches memory */
	assert_int_equal(iommu_group_claim_dma_owner(grp, NULL), -EINVAL);
	assert_int_equal(iommu_group_claim_dma_owner(NULL, &owner), -EINVAL);
	assert_false(iommu_group_dma_owner_claimed(grp));
	assert_int_equal(iommu_group_claim_dma_owner(grp, &owner), 0);
	assert_true(iommu_group_dma_owner_claimed(grp));
	assert_int_equal(iommu_group_claim_dma_owner(grp, &other), -EPERM);
	assert_int_equal(iommu_get_domain_for_dev(f->dev)->type, IOMMU_DOMAIN_BLOCKED);
	assert_int_not_equal(sim_dma_read(f->dev, addr, buf, 1), 0);
	assert_true(sim_report_find(f->m, SIM_REPORT_IOMMU_FAULT, "blocks all DMA"));
	assert_int_not_equal(sim_dma_read(f->dev, uiova, buf, 1), 0);

	/* attach the user's domain: its mappings, and only those */
	assert_int_equal(iommu_attach_group(NULL, grp), -EINVAL);
	assert_int_equal(iommu_attach_group(d, NULL), -EINVAL);
	assert_int_equal(iommu_attach_group(dpt, grp), -EINVAL);	/* other unit */
	assert_int_equal(iommu_attach_group(d, grp), 0);
	assert_ptr_equal(iommu_get_domain_for_dev(f->dev), d);
	assert_int_equal(iommu_attach_group(d2, grp), -EBUSY);
	dev_read_ok(f->dev, uiova, buf, g);
	assert_memory_equal(buf, b.cpu, g);
	if (addr != uiova)
		assert_int_not_equal(sim_dma_read(f->dev, addr, buf, 1), 0);
	/* read-only there */
	assert_int_not_equal(sim_dma_write(f->dev, uiova, buf, 1), 0);

	/* misuse is warned about and changes nothing */
	warns = sim_report_count_kind(f->m, SIM_REPORT_WARN);
	iommu_domain_free(d);				/* still attached */
	iommu_domain_free(def);				/* a default domain */
	iommu_detach_group(d2, grp);			/* not attached */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN) - warns, 3);
	dev_read_ok(f->dev, uiova, buf, 1);

	/* detach while owned: blocked again; the cached translation went too */
	iommu_detach_group(d, grp);
	assert_int_equal(iommu_get_domain_for_dev(f->dev)->type, IOMMU_DOMAIN_BLOCKED);
	assert_int_not_equal(sim_dma_read(f->dev, uiova, buf, 1), 0);

	/* release: the default domain and the DMA API's mapping are back */
	iommu_group_release_dma_owner(grp);
	assert_false(iommu_group_dma_owner_claimed(grp));
	assert_ptr_equal(iommu_get_domain_for_dev(f->dev), def);
	dev_read_ok(f->dev, addr, buf, g);
	assert_memory_equal(buf, a.cpu, g);
	warns = sim_report_count_kind(f->m, SIM_REPORT_WARN);
	iommu_group_release_dma_owner(grp);		/* not owned */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN) - warns, 1);

	/* release with a domain still attached: warned, and undone */
	assert_int_equal(iommu_group_claim_dma_owner(grp, &owner), 0);
	assert_int_equal(iommu_attach_group(d, grp), 0);
	iommu_group_release_dma_owner(grp);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN) - warns, 2);
	assert_ptr_equal(iommu_get_domain_for_dev(f->dev), def);
	/* claiming needs the default domain in place */
	assert_int_equal(iommu_attach_group(d, grp), 0);
	assert_int_equal(iommu_group_claim_dma_owner(grp, &owner), -EBUSY);
	iommu_detach_group(d, grp);
	assert_ptr_equal(iommu_get_domain_for_dev(f->dev), def);

	dma_unmap_phys(f->dev, addr, g, DMA_TO_DEVICE, 0);
	assert_int_equal(iommu_unmap(d, uiova, g), g);
	iommu_domain_free(d);
	iommu_domain_free(d2);
	iommu_domain_free(dpt);
	iommu_domain_free(err);		/* error pointers are ignored */
	free(buf);
	ram_blk_put(f->m, &a);
	ram_blk_put(f->m, &b);
}

static void test_failnth_iova_api(void **state)
{
	struct fx *f = FX(state);

	sweep_iova(f, f->dev, false);
	sweep_iova(f, f->ut, true);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
}

struct sg_orig {
	struct page *page;
	unsigned int offset, length;
};

static bool run_sg_scenario(struct device *dev, struct sg_table *t,
			    const struct sg_orig *o, size_t total)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret = dma_map_sgtable(dev, t, DMA_BIDIRECTIONAL, 0);

	if (ret) {
		assert_true(ret == -ENOMEM || ret == -EIO);
		/* nothing mapped, the list as it was */
		for_each_sgtable_sg(t, sg, i) {
			assert_ptr_equal(sg_page(sg), o[i].page);
			assert_int_equal(sg->offset, o[i].offset);
			assert_int_equal(sg->length, o[i].length);
		}
		return false;
	}
	sgt_check_data(dev, t, total);
	dma_unmap_sgtable(dev, t, DMA_BIDIRECTIONAL, 0);
	return true;
}

static int sg_sweep_run(void *ctx)
{
	struct iommu_sweep *w = ctx;

	return run_sg_scenario(w->dev, w->t, w->o, w->total) ? 0 : -ENOMEM;
}

static void sweep_sg(struct fx *f, struct device *dev)
{
	const unsigned int g = (unsigned int)f->g;
	struct ram_blk b = ram_blk_get(f->m, 8 * f->g);
	struct sg_orig o[4] = {
		{ ram_blk_page(&b, 0), 0, g },
		{ ram_blk_page(&b, 2 * f->g), 0, 2 * g },
		{ ram_blk_page(&b, 5 * f->g), 0x40, 0x100 },	/* sub-granule */
		{ ram_blk_page(&b, 7 * f->g), 0, g },
	};
	struct iommu_sweep w = { .f = f, .dev = dev, .o = o };
	struct scatterlist *sg;
	struct sg_table t;
	size_t total = 0;
	unsigned int i;

	fill_pattern(b.cpu, b.size, 33);
	assert_int_equal(sg_alloc_table(&t, 4, GFP_KERNEL), 0);
	for_each_sgtable_sg(&t, sg, i) {
		sg_set_page(sg, o[i].page, o[i].length, o[i].offset);
		total += o[i].length;
	}
	assert_int_equal(dma_set_mask(dev, SWEEP_MASK), 0);
	w.t = &t;
	w.total = total;
	/* some injected failure made it fail */
	assert_true(iommu_sweep(&w, sg_sweep_run) > 0);
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(64)), 0);
	sg_free_table(&t);
	ram_blk_put(f->m, &b);
}

static void test_failnth_map_sg(void **state)
{
	struct fx *f = FX(state);

	sweep_sg(f, f->dev);
	sweep_sg(f, f->ut);	/* bounced per segment */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
}

/* The DMA API scenario of the small suites on @dev (api_scenario.h). */
static int api_sweep_run(void *ctx)
{
	struct iommu_sweep *w = ctx;

	return api_scn_run(w->arg);
}

static unsigned int sweep_api(struct fx *f, struct device *dev,
			      unsigned int flags)
{
	struct api_scn s;
	struct iommu_sweep w = { .f = f, .dev = dev, .arg = &s };

	assert_int_equal(dma_set_mask(dev, SWEEP_MASK), 0);
	api_scn_init(&s, f->m, dev, pci_resource_start(to_pci_dev(f->peer), 0),
		     API_ALL, API_CHECK_DATA | flags);
	assert_true(iommu_sweep(&w, api_sweep_run) > 0);
	print_message("%s %s: %lu fail-nth runs\n", f->v->name, dev_name(dev),
		      w.runs);
	api_scn_fini(&s);
	assert_int_equal(dma_set_mask(dev, dev == f->dev32 ? DMA_BIT_MASK(32) :
						       DMA_BIT_MASK(64)), 0);
	return api_scn_failed_steps(&s);
}

/*
 * Every allocating path of the DMA API (streaming, sg, MMIO, coherent,
 * pages, non-coherent, dma_pool) through the IOMMU with the Nth allocation
 * failing: each step needs IOVA and page-table pages, so each fails.
 */
static void test_failnth_dma_api(void **state)
{
	struct fx *f = FX(state);

	assert_int_equal(sweep_api(f, f->dev, 0), API_ALL);
	assert_int_equal(sweep_api(f, f->dev32, API_HIGH_RAM), API_ALL);
	assert_int_equal(sweep_api(f, f->ut, 0), API_ALL);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_BUG), 0);
}

/* ------------------------------------------------------------------------ */
/* Concurrency (for ThreadSanitizer)                                        */
/* ------------------------------------------------------------------------ */

#define THREADS		4
#define ROUNDS		150

struct worker {
	struct fx *f;
	struct ram_blk b;
	unsigned int id;
	unsigned int errors;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct device *dev = w->f->dev;
	size_t g = w->f->g;
	u8 buf[512];

	for (unsigned int r = 0; r < ROUNDS; r++) {
		size_t off = (r * 64) % (g - sizeof(buf));
		struct dma_iova_state st;
		dma_addr_t a;

		fill_pattern(w->b.cpu + off, sizeof(buf), w->id * 1000 + r);
		a = dma_map_phys(dev, w->b.phys + off, sizeof(buf),
				 DMA_TO_DEVICE, 0);
		if (dma_mapping_error(dev, a)) {
			w->errors++;
			continue;
		}
		if (sim_dma_read(dev, a, buf, sizeof(buf)) ||
		    memcmp(buf, w->b.cpu + off, sizeof(buf))) {
			w->errors++;
		}
		dma_unmap_phys(dev, a, sizeof(buf), DMA_TO_DEVICE, 0);

		if (!dma_iova_try_alloc(dev, &st, w->b.phys + g, g)) {
			w->errors++;
			continue;
		}
		if (dma_iova_link(dev, &st, w->b.phys + g, 0, g,
				  DMA_TO_DEVICE, 0) ||
		    dma_iova_sync(dev, &st, 0, g)) {
			w->errors++;
			dma_iova_destroy(dev, &st, 0, DMA_TO_DEVICE, 0);
			continue;
		}
		if (sim_dma_read(dev, st.addr, buf, sizeof(buf)) ||
		    memcmp(buf, w->b.cpu + g, sizeof(buf))) {
			w->errors++;
		}
		dma_iova_destroy(dev, &st, g, DMA_TO_DEVICE, 0);
	}
	return NULL;
}

static void test_concurrent_map_unmap(void **state)
{
	struct fx *f = FX(state);
	struct worker w[THREADS];
	pthread_t th[THREADS];

	for (unsigned int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .f = f, .id = i };
		w[i].b = ram_blk_get(f->m, 2 * f->g);
		fill_pattern(w[i].b.cpu, w[i].b.size, 40 + i);
	}
	for (unsigned int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_fn, &w[i]), 0);
	for (unsigned int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (unsigned int i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].errors, 0);
		ram_blk_put(f->m, &w[i].b);
	}
	if (f->lazy)
		assert_int_equal(sim_iommu_flush_queue(f->dev), 0);
	assert_int_equal(sim_dma_debug_entries(f->m, NULL), 0);
	assert_int_equal(faults(f), 0);
	assert_int_equal(dbg_errors(f), 0);
}

/* ------------------------------------------------------------------------ */

static const struct variant_test tests[] = {
#define T(fn) VARIANT_TEST(fn)
	T(test_domain_types),
	T(test_mode_off_machine),
	T(test_groups_acs),
	T(test_map_offset_sac_mask),
	T(test_map_prot),
	T(test_device_access_and_faults),
	T(test_reserved_regions),
	T(test_strict_unmap_faults),
	T(test_fault_history),
	T(test_stats_accessors),
	T(test_lazy_stale_until_flush),
	T(test_lazy_flush_on_timeout),
	T(test_lazy_flush_when_queue_full),
	T(test_untrusted_always_strict),
	T(test_mmio_p2p_through_iommu),
	T(test_mmio_p2p_denied),
	T(test_untrusted_bounce),
	T(test_untrusted_mmio),
	T(test_untrusted_alloc_isolated),
	T(test_sg_one_iova_range),
	T(test_sg_partial_granules),
	T(test_sg_untrusted),
	T(test_noncoherent_streaming_and_alloc),
	T(test_coherent_alloc),
	T(test_iova_try_alloc_refused),
	T(test_iova_exhausted),
	T(test_iova_link_sync),
	T(test_iova_link_errors),
	T(test_iova_link_rules),
	T(test_iova_unlink),
	T(test_iova_relink_and_sync_per_link),
	T(test_iova_destroy_frees),
	T(test_iova_256_pages),
	T(test_iova_untrusted_bounce),
	T(test_iova_untrusted_tail_only),
	T(test_iova_untrusted_no_aligned_middle),
	T(test_iova_untrusted_link_pool_full),
	T(test_iova_left_at_unbind),
	T(test_iova_noncoherent),
	T(test_failnth_iova_api),
	T(test_failnth_map_sg),
	T(test_failnth_dma_api),
	T(test_domain_attach_and_ownership),
#undef T
};

int main(int argc, char **argv)
{
	const size_t nv = sizeof(variants_iommu) / sizeof(variants_iommu[0]);
	struct CMUnitTest conc[sizeof(variants_iommu) / sizeof(variants_iommu[0])];
	int failed;

	/* optional filter: a test name (cmocka_set_test_filter pattern) */
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	failed = variant_run_groups("iommu", VARIANT_TESTS(tests),
				    VARIANTS(variants_iommu), fx_setup,
				    fx_teardown);
	/* Threads last: a crash there cannot hide the results above. */
	for (size_t v = 0; v < nv; v++)
		conc[v] = (struct CMUnitTest){
			.name = "test_concurrent_map_unmap",
			.test_func = test_concurrent_map_unmap,
			.setup_func = fx_setup,
			.teardown_func = fx_teardown,
			.initial_state = (void *)variants_iommu[v],
		};
	failed += _cmocka_run_group_tests("iommu threads (all variants)", conc,
					  nv, NULL, NULL);
	return failed;
}
