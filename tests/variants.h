/* SPDX-License-Identifier: MIT */
/*
 * Platform variants shared by the suites: IOMMU off, strict, lazy or
 * passthrough; page-table format and granule (x86_64 4K, arm64-lpae
 * 4K/16K/64K); coherent or not; swiotlb forced (a confidential guest).
 *
 * A suite describes its machine once (struct variant_machine: its devices
 * and host bridges, "@iommu" where a host bridge sits behind the variant's
 * IOMMU) and gets platform text for each variant from variant_platform();
 * variant_run_groups() runs a list of tests as one cmocka group per
 * variant, each test's initial state being the variant.
 */
#ifndef DMASTACK_TEST_VARIANTS_H
#define DMASTACK_TEST_VARIANTS_H

#include "helpers.h"

struct dma_variant {
	const char *name;
	const char *arch;	/* machine arch= */
	const char *format;	/* iommu format=; NULL: no IOMMU (dma-direct) */
	const char *mode;	/* iommu mode= (strict, lazy, passthrough) */
	const char *granule_s;	/* iommu granule= */
	unsigned long granule;	/* the IOVA granule; PAGE_SIZE without IOMMU */
	bool noncoherent;	/* the machine's devices do not snoop */
	bool cc;		/* confidential guest: swiotlb force=yes */
};

static const struct dma_variant variant_direct = {
	"direct", "x86_64", NULL, NULL,
	NULL, SZ_4K, false, false,
};
static const struct dma_variant variant_direct_noncoherent = {
	"direct noncoherent", "arm64", NULL, NULL,
	NULL, SZ_4K, true, false,
};
static const struct dma_variant variant_cc = {
	"confidential guest", "x86_64", NULL, NULL,
	NULL, SZ_4K, false, true,
};
static const struct dma_variant variant_x86_strict = {
	"x86_64/4K/strict", "x86_64", "x86_64", "strict",
	"4K", SZ_4K, false, false,
};
static const struct dma_variant variant_x86_lazy = {
	"x86_64/4K/lazy", "x86_64", "x86_64", "lazy",
	"4K", SZ_4K, false, false,
};
static const struct dma_variant variant_x86_passthrough = {
	"passthrough", "x86_64", "x86_64", "passthrough",
	"4K", SZ_4K, false, false,
};
static const struct dma_variant variant_arm64_4k_strict = {
	"arm64-lpae/4K/strict", "arm64", "arm64-lpae", "strict",
	"4K", SZ_4K, false, false,
};
static const struct dma_variant variant_arm64_16k_lazy = {
	"arm64-lpae/16K/lazy", "arm64", "arm64-lpae", "lazy",
	"16K", SZ_16K, false, false,
};
static const struct dma_variant variant_arm64_64k_strict = {
	"arm64-lpae/64K/strict", "arm64", "arm64-lpae", "strict",
	"64K", SZ_64K, false, false,
};
static const struct dma_variant variant_arm64_64k_strict_noncoherent = {
	"arm64-lpae/64K/strict noncoherent", "arm64", "arm64-lpae", "strict",
	"64K", SZ_64K, true, false,
};
static const struct dma_variant variant_arm64_64k_lazy = {
	"arm64-lpae/64K/lazy", "arm64", "arm64-lpae", "lazy",
	"64K", SZ_64K, false, false,
};
static const struct dma_variant variant_arm64_4k_lazy_noncoherent = {
	"arm64-lpae/4K/lazy noncoherent", "arm64", "arm64-lpae", "lazy",
	"4K", SZ_4K, true, false,
};

/* The IOMMU suite's translating variants. */
static const struct dma_variant *const variants_iommu[] = {
	&variant_x86_strict, &variant_x86_lazy, &variant_arm64_64k_strict,
	&variant_arm64_16k_lazy, &variant_arm64_64k_lazy,
};

/* No IOMMU, x86 strict and lazy, an arm64 SMMU with a 64K granule. */
static const struct dma_variant *const variants_basic[] = {
	&variant_direct, &variant_x86_strict, &variant_x86_lazy,
	&variant_arm64_64k_strict,
};

/* Devices that need no sync (as HMM requires): no IOMMU or any IOMMU. */
static const struct dma_variant *const variants_coherent[] = {
	&variant_direct, &variant_x86_strict, &variant_x86_lazy,
	&variant_x86_passthrough, &variant_arm64_4k_strict,
	&variant_arm64_16k_lazy, &variant_arm64_64k_strict,
	&variant_arm64_64k_lazy,
};

/* Every streaming path: direct (coherent or not), forced bouncing, IOMMUs. */
static const struct dma_variant *const variants_all[] = {
	&variant_direct, &variant_direct_noncoherent, &variant_cc,
	&variant_x86_strict, &variant_x86_lazy, &variant_x86_passthrough,
	&variant_arm64_4k_strict, &variant_arm64_16k_lazy,
	&variant_arm64_64k_strict, &variant_arm64_64k_lazy,
	&variant_arm64_64k_strict_noncoherent,
	&variant_arm64_4k_lazy_noncoherent,
};

#define VARIANTS(table)	(table), (sizeof(table) / sizeof((table)[0]))

static inline bool variant_has_iommu(const struct dma_variant *v)
{
	return v->format != NULL;
}

/* Does the variant translate (a DMA domain, not passthrough)? */
static inline bool variant_translates(const struct dma_variant *v)
{
	return v->format && strcmp(v->mode, "passthrough");
}

static inline bool variant_lazy(const struct dma_variant *v)
{
	return v->mode && !strcmp(v->mode, "lazy");
}

/* What a suite's machine is, apart from the variant. */
struct variant_machine {
	const char *name;	/* machine name= */
	const char *machine;	/* further machine keys ("ram=256M cpus=2") */
	const char *swiotlb;	/* swiotlb size= */
	const char *iommu;	/* further keys of io0 ("fq-size=8"), or NULL */
	/* host bridges and devices; "@iommu": behind io0 (if there is one) */
	const char *body;
};

/*
 * The machine of the DMA API suites (dma-direct, swiotlb, dma-debug, legacy
 * ops): dev0 (64-bit), peer (a 64K BAR), dev32 (32-bit), gpu0 (a 64M BAR
 * above 4G), dev1 and ut (untrusted), each on its own root port of hb0,
 * behind the variant's IOMMU; 128M of RAM below 4G, 128M above; 4 CPUs
 * (4 swiotlb areas).
 */
static const struct variant_machine variant_api_machine = {
	.name = "api",
	.machine = "ram=256M ram-below-4g=128M cpus=4",
	.swiotlb = "4M",
	.iommu = "fq-size=8",
	.body = "hostbridge id=hb0 p2p=allow @iommu\n"
		"rootport id=rp0 bus=hb0\n"
		"pcidev id=dev0 bus=rp0 dma-bits=64\n"
		"rootport id=rp1 bus=hb0\n"
		"pcidev id=peer bus=rp1 bar0=64K\n"
		"rootport id=rp2 bus=hb0\n"
		"pcidev id=dev32 bus=rp2 dma-bits=32\n"
		"rootport id=rp3 bus=hb0\n"
		"gpu id=gpu0 bus=rp3 bar0=16M bar2=64M\n"
		"rootport id=rp4 bus=hb0\n"
		"pcidev id=dev1 bus=rp4\n"
		"rootport id=rp5 bus=hb0\n"
		"pcidev id=ut bus=rp5 untrusted=yes\n",
};

/*
 * The machine of the HMM and ODP suites: nic0 and gpu0 share a switch
 * without ACS (bus addresses between them); far sits below another root
 * port (through the host bridge, which allows peer-to-peer); dev32 can only
 * address 32 bits; nc is not coherent; dev0 is a plain 64-bit device.
 */
static const struct variant_machine variant_nic_machine = {
	.name = "nic",
	.machine = "ram=256M ram-below-4g=128M cpus=4",
	.swiotlb = "4M",
	.iommu = "fq-size=8",
	.body = "hostbridge id=hb0 p2p=allow @iommu\n"
		"rootport id=rp0 bus=hb0\n"
		"switch id=sw0 bus=rp0 acs=off\n"
		"nic id=nic0 bus=sw0 dma-bits=64\n"
		"gpu id=gpu0 bus=sw0 bar0=1M bar2=1M\n"
		"rootport id=rp1 bus=hb0\n"
		"pcidev id=far bus=rp1 bar0=1M\n"
		"rootport id=rp2 bus=hb0\n"
		"pcidev id=dev32 bus=rp2 dma-bits=32\n"
		"rootport id=rp3 bus=hb0\n"
		"pcidev id=nc bus=rp3 coherent=no\n"
		"rootport id=rp4 bus=hb0\n"
		"pcidev id=dev0 bus=rp4 dma-bits=64\n",
};

/* The platform text of @vm on @v into @buf (the test fails if short). */
static inline void variant_platform(char *buf, size_t len,
				    const struct dma_variant *v,
				    const struct variant_machine *vm)
{
	const char *p = vm->body, *at;
	size_t n;
	int r;

	r = snprintf(buf, len, "machine name=%s arch=%s %s coherent=%s\n"
		     "swiotlb size=%s%s\n",
		     vm->name, v->arch, vm->machine ? vm->machine : "",
		     v->noncoherent ? "no" : "yes", vm->swiotlb,
		     v->cc ? " force=yes" : "");
	assert_true(r > 0 && (size_t)r < len);
	n = (size_t)r;
	if (v->format) {
		r = snprintf(buf + n, len - n,
			     "iommu id=io0 format=%s mode=%s granule=%s %s\n",
			     v->format, v->mode, v->granule_s,
			     vm->iommu ? vm->iommu : "");
		assert_true(r > 0 && (size_t)r < len - n);
		n += (size_t)r;
	}
	while ((at = strstr(p, "@iommu"))) {
		size_t head = (size_t)(at - p);
		const char *repl = v->format ? "iommu=io0" : "";

		assert_true(n + head + strlen(repl) < len);
		memcpy(buf + n, p, head);
		n += head;
		memcpy(buf + n, repl, strlen(repl));
		n += strlen(repl);
		p = at + strlen("@iommu");
	}
	assert_true(n + strlen(p) < len);
	strcpy(buf + n, p);
}

/* A machine for @vm on @v. */
static inline struct sim_machine *
variant_machine_new(const struct dma_variant *v,
		    const struct variant_machine *vm)
{
	char text[4096];

	variant_platform(text, sizeof(text), v, vm);
	return machine_from(text);
}

/*
 * The start of a suite's fixture over variants: VARIANT_FX, first in its
 * struct fx, holds the variant, its machine and what the variant is;
 * variant_fx_new() makes the fixture (of @size bytes) and its machine,
 * variant_fx_teardown() ends it with the one teardown check.
 */
#define VARIANT_FX_FIELDS						\
	const struct dma_variant *v;					\
	struct sim_machine *m;						\
	bool iommu;		/* behind an IOMMU */			\
	bool translated;	/* a DMA domain (not passthrough) */	\
	bool lazy

struct variant_fx {
	VARIANT_FX_FIELDS;
};

#define VARIANT_FX							\
	union {								\
		struct variant_fx vx;					\
		struct { VARIANT_FX_FIELDS; };				\
	}

static inline void *variant_fx_new(void **state, size_t size,
				   const struct variant_machine *vm)
{
	const struct dma_variant *v = *state;
	struct variant_fx *x = calloc(1, size);

	assert_non_null(x);
	x->v = v;
	x->iommu = variant_has_iommu(v);
	x->translated = variant_translates(v);
	x->lazy = variant_lazy(v);
	x->m = variant_machine_new(v, vm);
	*state = x;
	return x;
}

/* machine_teardown(@check) of the fixture; its state is the variant again. */
static inline int variant_fx_teardown(void **state, unsigned int check)
{
	struct variant_fx *x = *state;

	if (!x)
		return 0;
	*state = (void *)x->v;
	return fixture_teardown(x, x->m, check, 0, 0);
}

/* The DMA API suites' machine on @v. */
static inline struct sim_machine *api_machine_new(const struct dma_variant *v)
{
	return variant_machine_new(v, &variant_api_machine);
}

struct variant_test {
	const char *name;
	CMUnitTestFunction fn;
};

#define VARIANT_TEST(fn)	{ #fn, fn }
#define VARIANT_TESTS(table)	(table), (sizeof(table) / sizeof((table)[0]))

/*
 * Run @tests as one cmocka group per variant of @vs, named "@suite <variant>";
 * each test's initial state is its variant. Returns the failures.
 */
static inline int variant_run_groups(const char *suite,
				     const struct variant_test *tests,
				     size_t ntests,
				     const struct dma_variant *const *vs,
				     size_t nv, CMFixtureFunction setup,
				     CMFixtureFunction teardown)
{
	struct CMUnitTest *group = calloc(ntests, sizeof(*group));
	char name[128];
	int failed = 0;

	assert_non_null(group);
	for (size_t v = 0; v < nv; v++) {
		for (size_t i = 0; i < ntests; i++)
			group[i] = (struct CMUnitTest){
				.name = tests[i].name,
				.test_func = tests[i].fn,
				.setup_func = setup,
				.teardown_func = teardown,
				.initial_state = (void *)vs[v],
			};
		snprintf(name, sizeof(name), "%s %s", suite, vs[v]->name);
		failed += _cmocka_run_group_tests(name, group, ntests, NULL,
						  NULL);
	}
	free(group);
	return failed;
}

#endif
