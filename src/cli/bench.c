// SPDX-License-Identifier: MIT
/*
 * dmastack bench: DMA mapping microbenchmarks.
 *
 * With options it is dma_map_benchmark (tools/testing/selftests/dma):
 *   -t threads, -s seconds, -g granule (pages per mapping), -d direction
 *   (0 bidirectional, 1 to device, 2 from device), -b DMA mask bits,
 *   -x ns of simulated transfer between map and unmap, -m single|sg
 * plus --path direct|swiotlb|iommu, --mode strict|lazy, --api map|iova|sg,
 * --granule 4K|64K for the IOMMU, -n NODE; it prints ns per operation
 * with their standard deviations, or with --compat the kernel tool's own
 * lines (microseconds of whole 100 ns units). Warm-up pairs run before
 * the timing.
 *
 * Without options it runs the ratio suite: every ratio is measured in the
 * same run and printed beside its target. dma-debug is off while timing
 * (its cost is bench_direct's subject). --section core|nvme|odp|pt|iova|scale|all
 * picks part of it: core the mapping ratios, nvme the per-request mapping
 * cost of nvme-pci for each DMA API, odp the ODP fault-in and its memory,
 * pt the page tables per format and granule against the PTE-write floor,
 * scale (by name only, not in all) dma-debug at 1Mi live mappings (on,
 * against off) and a 1 GiB NIC move through a one-range dma-buf.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <unistd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dmastack/linux/numa.h>
#include "cli.h"


struct bench_opts {
	unsigned int threads;
	double seconds;
	unsigned int pages;
	enum dma_data_direction dir;
	unsigned int bits;
	unsigned long delay_ns;
	const char *path;	/* direct, swiotlb, iommu */
	const char *mode;	/* strict, lazy */
	const char *api;	/* map, iova, sg */
	const char *granule;	/* 4K, 64K */
	bool shared;		/* every thread maps for dev0: one domain */
	int node;		/* -n: the NUMA node (NUMA_NO_NODE: any) */
	bool compat;		/* --compat: dma_map_benchmark's output */
};

/* The bench machine's software IO TLB (bench_machine()). */
#define BENCH_SWIOTLB_SIZE	(64ULL << 20)

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static void spin_ns(unsigned long ns)
{
	u64 end;

	if (!ns)
		return;
	end = now_ns() + ns;
	while (now_ns() < end)
		;
}

/* A machine with one device per thread, each behind its own root port
 * with ACS on (so each has its own IOMMU group and domain). */
static struct sim_machine *bench_machine(const struct bench_opts *o)
{
	char text[2048], err[256];
	size_t pos = 0;
	bool iommu = !strcmp(o->path, "iommu");
	bool arm = o->granule && strcmp(o->granule, "4K");
	struct sim_machine *m;

	pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
				"machine name=bench arch=%s ram=16G cpus=%u\n",
				arm ? "arm64" : "x86_64",
				o->threads > 2 ? o->threads : 2);
	pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
				"swiotlb size=%lluM%s\n", BENCH_SWIOTLB_SIZE >> 20,
				!strcmp(o->path, "swiotlb") ? " force=yes" : "");
	if (iommu)
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
					"iommu id=io0 format=%s mode=%s granule=%s fq-size=256\n",
					arm ? "arm64-lpae" : "x86_64", o->mode,
					o->granule ? o->granule : "4K");
	pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
				"hostbridge id=hb0%s\n", iommu ? " iommu=io0" : "");
	for (unsigned int i = 0; i < o->threads; i++)
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
					"rootport id=rp%u bus=hb0 acs=on\n"
					"nic id=dev%u bus=rp%u dma-bits=64 coherent=yes\n",
					i, i, i);
	m = sim_machine_parse_opts(text, &(struct sim_machine_opts){
					   .dma_debug_off = true }, err,
				   sizeof(err));
	if (!m)
		fprintf(stderr, "dmastack bench: %s\n", err);
	return m;
}

struct worker {
	struct sim_machine *m;
	struct device *dev;
	const struct bench_opts *o;
	struct page *pages;
	u64 map_ns, unmap_ns;
	unsigned long ops;
	/* the sampled pairs: count, sums and sums of squares, in ns */
	unsigned long samples;
	double map_sum, map_sq, unmap_sum, unmap_sq;
	bool failed;
	pthread_barrier_t *start;
} __attribute__((aligned(64)));	/* ops is written per pair: no false sharing */

struct sample {
	u64 map, unmap;		/* ns in sampled pairs */
	unsigned long n;
	/* per pair, for the standard deviation */
	double map_sum, map_sq, unmap_sum, unmap_sq;
};

/*
 * One map+unmap pair. Timestamps cost ~20 ns each, so only sampled pairs
 * (@smp non-NULL) take them; the pair cost comes from timing whole batches.
 */
static void one_map(struct worker *w, struct sg_table *sgt,
		    struct dma_iova_state *state, struct sample *smp)
{
	const struct bench_opts *o = w->o;
	size_t len = (size_t)o->pages * PAGE_SIZE;
	phys_addr_t phys = page_to_phys(w->pages);
	/* map, iova or sg (checked when parsed): no strcmp() per pair */
	const char api = o->api[0];
	u64 t0 = 0, t1 = 0, t2 = 0;
	dma_addr_t a = 0;

	if (smp)
		t0 = now_ns();
	if (api == 's') {
		if (dma_map_sgtable(w->dev, sgt, o->dir, 0))
			w->failed = true;
	} else if (api == 'i') {
		if (!dma_iova_try_alloc(w->dev, state, phys, len) ||
		    dma_iova_link(w->dev, state, phys, 0, len, o->dir, 0) ||
		    dma_iova_sync(w->dev, state, 0, len))
			w->failed = true;
	} else {
		a = dma_map_phys(w->dev, phys, len, o->dir, 0);
		if (dma_mapping_error(w->dev, a))
			w->failed = true;
	}
	if (smp)
		t1 = now_ns();
	spin_ns(o->delay_ns);
	if (smp)
		t2 = now_ns();
	if (api == 's')
		dma_unmap_sgtable(w->dev, sgt, o->dir, 0);
	else if (api == 'i')
		dma_iova_destroy(w->dev, state, len, o->dir, 0);
	else
		dma_unmap_phys(w->dev, a, len, o->dir, 0);
	if (smp) {
		double um = (double)(now_ns() - t2), mp = (double)(t1 - t0);

		smp->unmap += (u64)um;
		smp->map += t1 - t0;
		smp->n++;
		smp->map_sum += mp;
		smp->map_sq += mp * mp;
		smp->unmap_sum += um;
		smp->unmap_sq += um * um;
	}
	w->ops++;
}

/*
 * Map+unmap pairs each thread runs before the timing starts: enough to go
 * once through all of the bounce buffer's slots (forced bouncing uses each
 * in turn), and at least 1024.
 */
static unsigned long bench_warmup_pairs(const struct bench_opts *o)
{
	unsigned long pairs = 1024;

	if (!strcmp(o->path, "swiotlb"))
		pairs = max(pairs, (unsigned long)(BENCH_SWIOTLB_SIZE /
			    ((u64)o->pages * PAGE_SIZE) / o->threads) + 1);
	return pairs;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	const struct bench_opts *o = w->o;
	struct dma_iova_state state;
	struct sg_table sgt = { 0 };
	struct scatterlist *sg;
	u64 end;
	unsigned int i;

	if (!strcmp(o->api, "sg")) {
		if (sg_alloc_table(&sgt, o->pages, GFP_KERNEL)) {
			w->failed = true;
			return NULL;
		}
		for_each_sg(sgt.sgl, sg, o->pages, i)
			sg_set_page(sg, w->pages + i, PAGE_SIZE, 0);
	}
	/*
	 * Warm up outside the timing: the first pass through the bounce
	 * buffer's slots and the first page-table and IOVA allocations cost
	 * page faults a longer run amortizes, so a short run would be slower.
	 */
	for (unsigned long k = 0; k < bench_warmup_pairs(o) && !w->failed; k++)
		one_map(w, &sgt, &state, NULL);
	w->ops = 0;
	pthread_barrier_wait(w->start);
	{
		struct sample smp = { 0 };
		u64 start = now_ns(), t;

		end = start + (u64)(o->seconds * 1e9);
		do {
			for (int k = 0; k < 64 && !w->failed; k++)
				one_map(w, &sgt, &state, (k & 15) ? NULL : &smp);
			t = now_ns();
		} while (!w->failed && t < end);
		/* Split the measured pair time as the samples split. */
		if (smp.n && smp.map + smp.unmap) {
			double pair = (double)(t - start) / (double)w->ops;
			double fmap = (double)smp.map / (double)(smp.map + smp.unmap);

			w->map_ns = (u64)(pair * fmap * (double)w->ops);
			w->unmap_ns = (u64)(pair * (1 - fmap) * (double)w->ops);
		}
		w->samples = smp.n;
		w->map_sum = smp.map_sum;
		w->map_sq = smp.map_sq;
		w->unmap_sum = smp.unmap_sum;
		w->unmap_sq = smp.unmap_sq;
	}
	sg_free_table(&sgt);
	return NULL;
}

/* The standard deviation of samples with sum @sum and sum of squares @sq. */
static double stddev(double sum, double sq, unsigned long n)
{
	double mean, var;

	if (!n)
		return 0;
	mean = sum / (double)n;
	var = sq / (double)n - mean * mean;
	if (!(var > 0))
		return 0;
	/* Newton's square root: the command links no libm */
	mean = var > 1 ? var : 1;
	for (int i = 0; i < 64; i++)
		mean = (mean + var / mean) / 2;
	return mean;
}

/* Whole units of 100 ns in @ns (>= 0), as microseconds: the kernel's rounding. */
static double us_of_100ns(double ns)
{
	return (double)(unsigned long long)(ns / 100) / 10.0;
}

/*
 * Run the configured benchmark; returns ns per map+unmap pair. @sd (may be
 * NULL) gets the standard deviations of map and unmap latency, in ns.
 */
static double run_bench(const struct bench_opts *o, double *map_ns,
			double *unmap_ns, double *mops, unsigned long *invals,
			double sd[2])
{
	double msum = 0, msq = 0, usum = 0, usq = 0;
	unsigned long samples = 0;
	struct sim_machine *m = bench_machine(o);
	struct worker *w;
	pthread_t *th;
	pthread_barrier_t start;
	unsigned long ops = 0, inv0;
	u64 map = 0, unmap = 0, t0, wall;
	double ret = -1;
	bool failed = false;
	unsigned int order = (unsigned int)get_order((size_t)o->pages * PAGE_SIZE);

	if (!m)
		return -1;
	w = aligned_alloc(64, o->threads * sizeof(*w));
	th = calloc(o->threads, sizeof(*th));
	if (!w || !th) {
		fprintf(stderr, "dmastack bench: out of memory\n");
		free(th);
		free(w);
		sim_machine_destroy(m);
		return -1;
	}
	pthread_barrier_init(&start, NULL, o->threads + 1);
	for (unsigned int i = 0; i < o->threads; i++) {
		char id[16];

		snprintf(id, sizeof(id), "dev%u", o->shared ? 0 : i);
		w[i] = (struct worker){ .m = m, .dev = sim_device(m, id), .o = o,
					.start = &start };
		if (o->bits)
			dma_set_mask_and_coherent(w[i].dev, DMA_BIT_MASK(o->bits));
		w[i].pages = sim_alloc_pages(m, order);
		if (!w[i].pages)
			failed = true;
	}
	inv0 = sim_iommu_invalidations(m);
	for (unsigned int i = 0; i < o->threads; i++)
		pthread_create(&th[i], NULL, worker_fn, &w[i]);
	pthread_barrier_wait(&start);
	t0 = now_ns();
	for (unsigned int i = 0; i < o->threads; i++)
		pthread_join(th[i], NULL);
	wall = now_ns() - t0;
	for (unsigned int i = 0; i < o->threads; i++) {
		ops += w[i].ops;
		map += w[i].map_ns;
		unmap += w[i].unmap_ns;
		failed |= w[i].failed;
		samples += w[i].samples;
		msum += w[i].map_sum;
		msq += w[i].map_sq;
		usum += w[i].unmap_sum;
		usq += w[i].unmap_sq;
		if (w[i].pages)
			sim_free_pages(m, w[i].pages, order);
	}
	if (!failed && ops) {
		*map_ns = (double)map / (double)ops;
		*unmap_ns = (double)unmap / (double)ops;
		*mops = (double)ops / ((double)wall / 1e9) / 1e6;
		if (invals)
			*invals = sim_iommu_invalidations(m) - inv0;
		if (sd) {
			sd[0] = stddev(msum, msq, samples);
			sd[1] = stddev(usum, usq, samples);
		}
		ret = *map_ns + *unmap_ns;
	} else {
		fprintf(stderr, "dmastack bench: mapping failed (%s)\n",
			sim_report_count(m) ? "see reports" : "no report");
		sim_report_dump(m, stderr);
	}
	pthread_barrier_destroy(&start);
	free(th);
	free(w);
	sim_machine_destroy(m);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* The ratio suite                                                          */
/* ------------------------------------------------------------------------ */

struct ratio {
	const char *what;
	double value;
	const char *target;
	bool ok;
	bool info;		/* for information: no target */
	char tbuf[24];		/* a target computed in the run */
	char detail[200];
};

/* The ratios a run can print (every section together). */
#define BENCH_MAX_RATIOS	64

static void add_ratio(struct ratio *r, int *nr, const char *what, double value,
		      const char *target, bool ok)
{
	/* a new row beyond the table is a bug of this file: keep the run sane */
	if (*nr >= BENCH_MAX_RATIOS) {
		fprintf(stderr, "dmastack: bench: too many ratio rows, dropped '%s'\n",
			what);
		return;
	}
	r[*nr].what = what;
	r[*nr].value = value;
	r[*nr].target = target;
	r[*nr].ok = ok;
	r[*nr].info = false;
	r[*nr].detail[0] = '\0';
	(*nr)++;
}

/*
 * Two decimals, or three where two would round onto the target's number
 * (a "1.80 MISSED" against ">= 1.8x" reads as a contradiction).
 */
static int ratio_digits(const struct ratio *r)
{
	const char *t = r->target;

	while (*t && !(*t >= '0' && *t <= '9'))
		t++;
	if (*t) {
		double d = r->value - strtod(t, NULL);

		if (d < 0.005 && d > -0.005)
			return 3;
	}
	return 2;
}

static void add_info(struct ratio *r, int *nr, const char *what, double value)
{
	add_ratio(r, nr, what, value, "(info)", true);
	r[*nr - 1].info = true;
}

static double pair_ns_opts(const char *path, const char *mode,
			   const char *api, unsigned int threads,
			   unsigned int pages, double secs, bool shared,
			   double *mops)
{
	struct bench_opts o = { .threads = threads, .seconds = secs,
				.pages = pages, .dir = DMA_BIDIRECTIONAL,
				.path = path, .mode = mode, .api = api,
				.shared = shared };
	double map, unmap, mo = 0;
	double r = run_bench(&o, &map, &unmap, &mo, NULL, NULL);

	if (mops)
		*mops = mo;
	return r;
}

static double pair_ns(const char *path, const char *mode, const char *api,
		      unsigned int threads, unsigned int pages, double secs,
		      double *mops)
{
	return pair_ns_opts(path, mode, api, threads, pages, secs, false, mops);
}

/* ns per dma_iova_link of @pages pages (linked and unlinked in a loop). */
static double link_ns(struct sim_machine *m, struct device *dev,
		      struct page *pg, unsigned int pages, double secs)
{
	struct dma_iova_state st;
	size_t len = (size_t)pages * PAGE_SIZE;
	u64 spent = 0, end = now_ns() + (u64)(secs * 1e9);
	unsigned long n = 0;

	if (!dma_iova_try_alloc(dev, &st, page_to_phys(pg), 2 * SZ_1M))
		return -1;
	while (now_ns() < end) {
		for (int k = 0; k < 32; k++) {
			u64 t0 = now_ns();

			if (dma_iova_link(dev, &st, page_to_phys(pg), 0, len,
					  DMA_BIDIRECTIONAL, 0))
				goto out;
			spent += now_ns() - t0;
			dma_iova_unlink(dev, &st, 0, len, DMA_BIDIRECTIONAL, 0);
			n++;
		}
	}
out:
	dma_iova_free(dev, &st);
	return n ? (double)spent / (double)n : -1;
}

static double iova_bench_pair_ns(struct iova_domain *iovad, bool cached,
				 double secs);

/* ns per alloc+free pair on an IOVA domain with @live ranges in the tree. */
static double iova_ns(struct sim_machine *m, unsigned long live, bool cached,
		      double secs)
{
	struct iova_domain *iovad = iova_domain_create(m, SZ_4K, 1, 0);
	unsigned long *pfns;
	double r = -1;

	if (!iovad)
		return -1;
	pfns = malloc(live * sizeof(*pfns));
	if (!pfns)
		goto out;
	for (unsigned long i = 0; i < live; i++)
		pfns[i] = alloc_iova(iovad, 1, ~0UL >> 20, false);
	r = iova_bench_pair_ns(iovad, cached, secs);
	free(pfns);
out:
	iova_domain_destroy(iovad);
	return r;
}

/* Strict mode, 1 MiB as 256 pages: IOVA API vs per-page dma_map_phys. */
static void transfer_1m(struct sim_machine *m, struct device *dev,
			struct page **pages, double secs, double *iova_ns_out,
			double *map_ns_out, double *inv_iova, double *inv_map)
{
	u64 end, t0, spent;
	unsigned long n, inv0;
	dma_addr_t addr[256];

	/* IOVA API: one allocation, 256 links, one sync, one destroy. */
	n = 0;
	inv0 = sim_iommu_invalidations(m);
	t0 = now_ns();
	end = t0 + (u64)(secs * 1e9);
	while (now_ns() < end) {
		struct dma_iova_state st;

		if (!dma_iova_try_alloc(dev, &st, page_to_phys(pages[0]), SZ_1M))
			break;
		for (int i = 0; i < 256; i++)
			dma_iova_link(dev, &st, page_to_phys(pages[i]),
				      (size_t)i * PAGE_SIZE, PAGE_SIZE,
				      DMA_TO_DEVICE, 0);
		dma_iova_sync(dev, &st, 0, SZ_1M);
		dma_iova_destroy(dev, &st, SZ_1M, DMA_TO_DEVICE, 0);
		n++;
	}
	spent = now_ns() - t0;
	*iova_ns_out = n ? (double)spent / (double)n : -1;
	*inv_iova = n ? (double)(sim_iommu_invalidations(m) - inv0) / (double)n : 0;

	/* Streaming: 256 map+unmap pairs. */
	n = 0;
	inv0 = sim_iommu_invalidations(m);
	t0 = now_ns();
	end = t0 + (u64)(secs * 1e9);
	while (now_ns() < end) {
		for (int i = 0; i < 256; i++)
			addr[i] = dma_map_phys(dev, page_to_phys(pages[i]),
					       PAGE_SIZE, DMA_TO_DEVICE, 0);
		for (int i = 0; i < 256; i++)
			dma_unmap_phys(dev, addr[i], PAGE_SIZE, DMA_TO_DEVICE, 0);
		n++;
	}
	spent = now_ns() - t0;
	*map_ns_out = n ? (double)spent / (double)n : -1;
	*inv_map = n ? (double)(sim_iommu_invalidations(m) - inv0) / (double)n : 0;
}

static u64 table_bytes_for_1g(struct sim_machine *m, bool aligned)
{
	struct io_pgtable *pt = io_pgtable_alloc(m, "x86_64", SZ_4K);
	/* 4K-aligned but not 2M-aligned output forces 4K leaves. */
	phys_addr_t pa = aligned ? 0x40000000ULL : 0x40001000ULL;
	u64 bytes = 0;

	if (!pt)
		return 0;
	if (!io_pgtable_map(pt, 0x80000000ULL, pa, SZ_1G, IOMMU_READ | IOMMU_WRITE))
		bytes = io_pgtable_table_bytes(pt);
	io_pgtable_free(pt);
	return bytes;
}

/* ------------------------------------------------------------------------ */
/* Page tables on their own (the ratio suite's pt section)                  */
/* ------------------------------------------------------------------------ */

/*
 * Per format and granule: map and unmap of one granule ("4K"), of one
 * second-level block ("2M": 2M, 32M for 16K, 512M for 64K), of 256
 * granules in one table, and of one granule in a different leaf table
 * each time ("new 2M region", the walk not yet warm), against the
 * PTE-write floor: storing 256 leaves in the format's encoding into a
 * table page in RAM. Every table the operations need exists (an anchor
 * mapping keeps it), so the timings are of walking and writing entries,
 * not of allocating tables. Rounds interleave every shape; each shape's
 * best round counts.
 */
#define PT_NR_VARIANTS	4
#define PT_OPS		256

enum { PTB_MAP_G, PTB_UNMAP_G, PTB_MAP_B, PTB_UNMAP_B, PTB_MAP_256,
       PTB_UNMAP_256, PTB_MAP_NEW, PTB_UNMAP_NEW, PTB_FLOOR, PTB_NR };

static const char *const ptb_names[PTB_NR] = {
	"map 4K", "unmap 4K", "map 2M", "unmap 2M", "map 256x4K",
	"unmap 256x4K", "map 4K, new 2M region", "unmap 4K, new 2M region",
	"PTE-write floor, 256 entries",
};

struct pt_bench {
	const char *name;
	const char *format;
	unsigned long granule;
	unsigned int stride;	/* index bits of a leaf table */
	double ns[PTB_NR];	/* per operation, best round */
	unsigned long rounds;
	bool failed;
	char what[6][72];	/* the ratio names */
};

static const struct pt_bench pt_variants[PT_NR_VARIANTS] = {
	{ .name = "x86_64/4K", .format = "x86_64", .granule = SZ_4K, .stride = 9 },
	{ .name = "arm64-lpae/4K", .format = "arm64-lpae", .granule = SZ_4K, .stride = 9 },
	{ .name = "arm64-lpae/16K", .format = "arm64-lpae", .granule = SZ_16K, .stride = 11 },
	{ .name = "arm64-lpae/64K", .format = "arm64-lpae", .granule = SZ_64K, .stride = 13 },
};

static void pt_bench_one(struct pt_bench *b, double secs)
{
	const int rw = IOMMU_READ | IOMMU_WRITE;
	const u64 g = b->granule, blk = g << b->stride;
	const u64 entries = 1ULL << b->stride;
	/* IOVA areas, each in its own root entries (4T apart) */
	const u64 walked = 1ULL << 42, blocks = 2ULL << 42, many = 3ULL << 42,
		  fresh = 4ULL << 42;
	const phys_addr_t pa = 1ULL << 36;
	unsigned int order = (unsigned int)__builtin_ctzl(b->granule) - 12;
	struct sim_machine *m;
	struct io_pgtable *pt;
	struct page *table;
	char err[256];
	u64 t0, end;
	bool ok = true;

	for (int i = 0; i < PTB_NR; i++)
		b->ns[i] = 1e30;
	m = sim_machine_parse_opts("machine name=bench-pt ram=4G\n",
				   &(struct sim_machine_opts){ .dma_debug_off = true },
				   err, sizeof(err));
	if (!m) {
		b->failed = true;
		return;
	}
	pt = io_pgtable_alloc(m, b->format, b->granule);
	table = sim_alloc_pages(m, order);
	if (!pt || !table) {
		b->failed = true;
		goto out;
	}
	/* anchors: the last entry of every leaf table used, a granule in
	 * the block area's level so that its table stays */
	ok &= !io_pgtable_map(pt, walked + (entries - 1) * g, pa, g, rw);
	ok &= !io_pgtable_map(pt, blocks + PT_OPS * blk, pa, g, rw);
	for (u64 k = 0; k < 8; k++)
		ok &= !io_pgtable_map(pt, many + k * blk + (entries - 1) * g, pa,
				      g, rw);
	for (u64 j = 0; j < PT_OPS; j++)
		ok &= !io_pgtable_map(pt, fresh + j * blk + (entries - 1) * g,
				      pa, g, rw);
	if (!ok) {
		b->failed = true;
		goto out;
	}

	end = now_ns() + (u64)(secs * 1e9);
	for (b->rounds = 0; b->rounds < 5 || (now_ns() < end && b->rounds < 2000);
	     b->rounds++) {
		double t[PTB_NR];
		u64 bytes = 0;

		t0 = now_ns();
		for (u64 j = 0; j < PT_OPS; j++)
			ok &= !io_pgtable_map(pt, walked + j * g, pa + j * g, g, rw);
		t[PTB_MAP_G] = (double)(now_ns() - t0) / PT_OPS;
		t0 = now_ns();
		for (u64 j = 0; j < PT_OPS; j++)
			bytes += io_pgtable_unmap(pt, walked + j * g, g);
		t[PTB_UNMAP_G] = (double)(now_ns() - t0) / PT_OPS;

		t0 = now_ns();
		for (u64 j = 0; j < PT_OPS; j++)
			ok &= !io_pgtable_map(pt, blocks + j * blk, pa + j * blk,
					      blk, rw);
		t[PTB_MAP_B] = (double)(now_ns() - t0) / PT_OPS;
		t0 = now_ns();
		for (u64 j = 0; j < PT_OPS; j++)
			bytes += io_pgtable_unmap(pt, blocks + j * blk, blk);
		t[PTB_UNMAP_B] = (double)(now_ns() - t0) / PT_OPS;

		t0 = now_ns();
		for (u64 k = 0; k < 8; k++)
			ok &= !io_pgtable_map(pt, many + k * blk, pa + k * g,
					      256 * g, rw);
		t[PTB_MAP_256] = (double)(now_ns() - t0) / 8;
		t0 = now_ns();
		for (u64 k = 0; k < 8; k++)
			bytes += io_pgtable_unmap(pt, many + k * blk, 256 * g);
		t[PTB_UNMAP_256] = (double)(now_ns() - t0) / 8;

		t0 = now_ns();
		for (u64 j = 0; j < PT_OPS; j++)
			ok &= !io_pgtable_map(pt, fresh + j * blk, pa + j * g, g, rw);
		t[PTB_MAP_NEW] = (double)(now_ns() - t0) / PT_OPS;
		t0 = now_ns();
		for (u64 j = 0; j < PT_OPS; j++)
			bytes += io_pgtable_unmap(pt, fresh + j * blk, g);
		t[PTB_UNMAP_NEW] = (double)(now_ns() - t0) / PT_OPS;

		t0 = now_ns();
		for (u64 k = 0; k < 8; k++)
			ok &= !sim_io_pgtable_store_leaves(pt, table, 256,
							   pa + k * g, rw);
		t[PTB_FLOOR] = (double)(now_ns() - t0) / 8;

		if (!ok || bytes != 2 * PT_OPS * g + PT_OPS * blk + 8 * 256 * g) {
			b->failed = true;
			break;
		}
		for (int i = 0; i < PTB_NR; i++)
			b->ns[i] = min(b->ns[i], t[i]);
	}
out:
	if (table)
		sim_free_pages(m, table, order);
	io_pgtable_free(pt);
	sim_machine_destroy(m);
}

static void pt_bench_all(struct pt_bench *pb, double secs)
{
	for (int v = 0; v < PT_NR_VARIANTS; v++) {
		pb[v] = pt_variants[v];
		pt_bench_one(&pb[v], secs / PT_NR_VARIANTS);
	}
}

static void pt_ratios(struct ratio *r, int *nr, struct pt_bench *pb)
{
	for (int v = 0; v < PT_NR_VARIANTS; v++) {
		struct pt_bench *b = &pb[v];
		const double *ns = b->ns;
		const struct {
			const char *what, *target;
			int a, bb;
			double k, limit;
		} rs[6] = {
			{ "map 2M / map 4K", "<= 1x", PTB_MAP_B, PTB_MAP_G, 1, 1 },
			{ "unmap 2M / unmap 4K", "<= 1x", PTB_UNMAP_B, PTB_UNMAP_G, 1, 1 },
			{ "unmap 256x4K / floor(256)", "<= 4x", PTB_UNMAP_256, PTB_FLOOR, 1, 4 },
			{ "map 256x4K / floor(256)", "<= 12x", PTB_MAP_256, PTB_FLOOR, 1, 12 },
			{ "map 4K: new 2M region / walked", "<= 1.1x", PTB_MAP_NEW, PTB_MAP_G, 1, 1.1 },
			{ "unmap 4K: new 2M region / walked", "<= 1.1x", PTB_UNMAP_NEW, PTB_UNMAP_G, 1, 1.1 },
		};

		for (int i = 0; i < 6; i++) {
			double val = ns[rs[i].a] / ns[rs[i].bb];

			snprintf(b->what[i], sizeof(b->what[i]), "pt %s: %s",
				 b->name, rs[i].what);
			add_ratio(r, nr, b->what[i], val, rs[i].target,
				  !b->failed && val <= rs[i].limit);
			snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
				 "%.1f ns vs %.1f ns (best of %lu rounds)",
				 ns[rs[i].a], ns[rs[i].bb], b->rounds);
		}
	}
}

static void pt_print(const struct pt_bench *pb)
{
	printf("Page tables (io_pgtable) per format and granule, ns per operation, best\n"
	       "round; 4K and 2M stand for the granule and the block of the next level\n"
	       "(16K: 16K and 32M; 64K: 64K and 512M); the tables exist beforehand:\n");
	printf("  %-32s", "");
	for (int v = 0; v < PT_NR_VARIANTS; v++)
		printf(" %15s", pb[v].name);
	printf("\n");
	for (int i = 0; i < PTB_NR; i++) {
		printf("  %-32s", ptb_names[i]);
		for (int v = 0; v < PT_NR_VARIANTS; v++) {
			if (pb[v].failed)
				printf(" %15s", "failed");
			else
				printf(" %15.1f", pb[v].ns[i]);
		}
		printf("\n");
	}
	printf("\n");
}

static json_object *pt_json(const struct pt_bench *pb)
{
	json_object *arr = json_object_new_array();

	for (int v = 0; v < PT_NR_VARIANTS; v++) {
		json_object *o = json_object_new_object(), *ns = json_object_new_object();

		json_object_object_add(o, "format", json_object_new_string(pb[v].format));
		json_object_object_add(o, "granule", cli_json_hex(pb[v].granule));
		json_object_object_add(o, "failed", json_object_new_boolean(pb[v].failed));
		for (int i = 0; i < PTB_NR; i++)
			json_object_object_add(ns, ptb_names[i],
					       json_object_new_double(pb[v].ns[i]));
		json_object_object_add(o, "ns_per_op", ns);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ------------------------------------------------------------------------ */
/* NVMe requests and ODP fault-in (the ratio suite's nvme and odp sections) */
/* ------------------------------------------------------------------------ */

/* Request sizes, as 4K pages that are never physically adjacent. */
#define NR_RQ_SIZES	3
#define NR_NVME_APIS	3
#define RQ_MAX_PAGES	256
#define ODP_PAGES	1024U
#define ODP_VA		0x7f0000000000ULL

static const unsigned int rq_pages[NR_RQ_SIZES] = { 1, 32, 256 };
static const char *const rq_names[NR_RQ_SIZES] = { "4K", "128K", "1M" };
static const enum nvme_dma_api nvme_apis[NR_NVME_APIS] = {
	NVME_DMA_API_IOVA, NVME_DMA_API_PHYS, NVME_DMA_API_SG,
};
static const char *const nvme_modes[2] = { "strict", "lazy" };

/* One request shape mapped one way on one platform; best of the rounds. */
struct nvme_cell {
	double map_ns;		/* the mapping calls alone, map + unmap */
	double cmd_ns;		/* nvme_execute_rq() end to end */
	double inv;		/* IOTLB invalidations per request */
	double map_calls;	/* the driver's map_calls per command */
	double iova_ranges;	/* IOVA allocations the mapping holds */
	size_t bytes_per_page;	/* driver bookkeeping per mapped page */
};

struct nvme_results {
	struct nvme_cell c[2][NR_RQ_SIZES][NR_NVME_APIS];	/* [mode] */
	bool failed;
};

struct odp_results {
	double fault_ns[2];	/* per page, [SIM_ODP_HMM_IOVA, SIM_ODP_PER_PAGE] */
	struct sim_odp_mr_stats st[2];	/* with all ODP_PAGES mapped */
	bool failed;
};

/*
 * What nvme-pci keeps per mapped page while a request is in flight,
 * beside the PRP list entry (8 bytes per 4K page whichever API mapped
 * it). The driver does not export its iod, so this follows its types:
 * api=iova keeps one dma_iova_state per request and nothing per page,
 * api=phys a struct nvme_dma_vec (address + length) per segment to unmap
 * them one by one, api=sg a struct scatterlist per segment.
 */
static size_t nvme_bytes_per_page(enum nvme_dma_api api)
{
	switch (api) {
	case NVME_DMA_API_PHYS:
		return sizeof(dma_addr_t) + sizeof(size_t);
	case NVME_DMA_API_SG:
		return sizeof(struct scatterlist);
	default:
		return 0;
	}
}

/*
 * Map and unmap @rq for @dev with the calls nvme_map_data() and
 * nvme_unmap_data() make for @api, without the PRP list and the
 * controller: the block DMA iterator (one IOVA range, one sync, one
 * destroy), dma_map_phys() per bvec, or a scatterlist built from the
 * bvecs and dma_map_sgtable(). @addrs holds RQ_MAX_PAGES addresses.
 */
static int nvme_map_once(struct device *dev, struct request *rq,
			 enum nvme_dma_api api, dma_addr_t *addrs)
{
	enum dma_data_direction dir = rq_dma_dir(rq);
	struct dma_iova_state state;
	struct blk_dma_iter iter;
	struct sg_table sgt;
	struct scatterlist *sg;
	unsigned int i, n = 0;
	int ret = 0;

	/* nvme_map_simple(): one segment is one dma_map_phys() for iova too */
	if (api == NVME_DMA_API_IOVA && rq->nr_bvecs == 1 &&
	    rq->nr_phys_segments == 1 &&
	    (rq->bvecs[0].bv_offset & (NVME_CTRL_PAGE_SIZE - 1)) +
	    rq->bvecs[0].bv_len <= 2 * NVME_CTRL_PAGE_SIZE)
		api = NVME_DMA_API_PHYS;
	switch (api) {
	case NVME_DMA_API_PHYS:
		for (i = 0; i < rq->nr_bvecs; i++) {
			addrs[i] = dma_map_phys(dev, bvec_phys(&rq->bvecs[i]),
						rq->bvecs[i].bv_len, dir, 0);
			if (dma_mapping_error(dev, addrs[i])) {
				ret = -ENOMEM;
				break;
			}
		}
		while (i--)
			dma_unmap_phys(dev, addrs[i], rq->bvecs[i].bv_len, dir, 0);
		return ret;
	case NVME_DMA_API_SG:
		if (sg_alloc_table(&sgt, rq->nr_bvecs, GFP_ATOMIC))
			return -ENOMEM;
		for_each_sgtable_sg(&sgt, sg, i)
			sg_set_page(sg, rq->bvecs[i].bv_page, rq->bvecs[i].bv_len,
				    rq->bvecs[i].bv_offset);
		ret = dma_map_sgtable(dev, &sgt, dir, 0);
		if (!ret)
			dma_unmap_sgtable(dev, &sgt, dir, 0);
		sg_free_table(&sgt);
		return ret;
	default:
		if (!blk_rq_dma_map_iter_start(rq, dev, &state, &iter))
			return -ENOMEM;
		/* Behind an IOMMU the request is one range: no loop. */
		if (!blk_rq_dma_map_coalesce(&state)) {
			do {
				addrs[n++] = iter.addr;
			} while (n < RQ_MAX_PAGES &&
				 blk_rq_dma_map_iter_next(rq, dev, &state, &iter));
			ret = iter.status ? -ENOMEM : 0;
		}
		if (!blk_rq_dma_unmap(rq, dev, &state, blk_rq_bytes(rq),
				      iter.p2pdma.map))
			while (n--)
				dma_unmap_phys(dev, addrs[n], PAGE_SIZE, dir, 0);
		return ret;
	}
}

/*
 * Run @what (0: the mapping calls, 1: the whole command) on @rq for at
 * least @secs and at least twice; ns per request, and the invalidations
 * per request through @inv. -1 on a failure.
 */
static double nvme_time(struct sim_machine *m, struct nvme_dev *nd,
			struct device *dev, struct request *rq,
			enum nvme_dma_api api, int what, double secs,
			double *inv, dma_addr_t *addrs)
{
	u64 t0, t, end;
	unsigned long n = 0, inv0;

	nvme_set_dma_api(nd, api);
	inv0 = sim_iommu_invalidations(m);
	t0 = now_ns();
	end = t0 + (u64)(secs * 1e9);
	do {
		for (int k = 0; k < 8; k++) {
			struct nvme_rq_result res;

			if (what ? nvme_execute_rq(nd, 1, rq, 0, &res) :
				   nvme_map_once(dev, rq, api, addrs))
				return -1;
		}
		n += 8;
		t = now_ns();
	} while (t < end);
	*inv = (double)(sim_iommu_invalidations(m) - inv0) / (double)n;
	return (double)(t - t0) / (double)n;
}

/*
 * One x86_64 IOMMU platform in @mode with an NVMe controller driven by
 * nvme-pci: every request size and API, the mapping alone and the command,
 * interleaved in three rounds so that a noisy neighbour hits all of them
 * alike; the best round counts.
 */
static void nvme_platform(const char *mode, struct nvme_cell c[][NR_NVME_APIS],
			  double secs, bool *failed)
{
	const int rounds = 3;
	char text[512], err[256];
	struct sim_machine *m;
	struct device *dev;
	struct nvme_dev *nd = NULL;
	struct request *rq[NR_RQ_SIZES] = { NULL };
	struct page *blk = NULL;
	dma_addr_t *addrs = NULL;
	double slice = secs / (rounds * NR_RQ_SIZES * NR_NVME_APIS * 2);

	snprintf(text, sizeof(text),
		 "machine name=bench-nvme ram=1G cpus=2\n"
		 "iommu id=io0 format=x86_64 mode=%s fq-size=256\n"
		 "hostbridge id=hb0 iommu=io0\n"
		 "rootport id=rp0 bus=hb0 acs=on\n"
		 "nvme id=nvme0 bus=rp0\n", mode);
	m = sim_machine_parse_opts(text, &(struct sim_machine_opts){
					   .dma_debug_off = true }, err,
				   sizeof(err));
	if (!m) {
		fprintf(stderr, "dmastack bench: %s\n", err);
		*failed = true;
		return;
	}
	dev = sim_device(m, "nvme0");
	if (!dev || sim_nvme_model_attach(dev, &(struct sim_nvme_params){ 0 }) ||
	    nvme_probe(to_pci_dev(dev), &(struct nvme_probe_opts){ 0 }, &nd)) {
		fprintf(stderr, "dmastack bench: nvme probe failed\n");
		goto fail;
	}
	/* 512 pages; a request takes every other one, as a real bio would. */
	blk = sim_alloc_pages(m, 9);
	addrs = calloc(RQ_MAX_PAGES, sizeof(*addrs));
	if (!blk || !addrs)
		goto fail;
	for (int s = 0; s < NR_RQ_SIZES; s++) {
		rq[s] = malloc(sizeof(*rq[s]));
		if (!rq[s])
			goto fail;
		blk_rq_init(nvme_dev_queue(nd), rq[s], REQ_OP_WRITE);
		for (unsigned int i = 0; i < rq_pages[s]; i++)
			if (blk_rq_add_page(rq[s], blk + 2 * i, PAGE_SIZE, 0))
				goto fail;
	}
	for (int s = 0; s < NR_RQ_SIZES; s++) {
		for (int a = 0; a < NR_NVME_APIS; a++) {
			struct nvme_cell *cell = &c[s][a];
			struct nvme_stats st;
			double inv;

			cell->map_ns = cell->cmd_ns = -1;
			/* Warm up the IOVA caches and the PRP pools. */
			nvme_reset_stats(nd);
			if (nvme_time(m, nd, dev, rq[s], nvme_apis[a], 1, 0, &inv,
				      addrs) < 0 ||
			    nvme_time(m, nd, dev, rq[s], nvme_apis[a], 0, 0, &inv,
				      addrs) < 0)
				goto fail;
			nvme_get_stats(nd, &st);
			cell->map_calls = st.commands ?
				(double)st.map_calls / (double)st.commands : 0;
			/* Every call maps one segment, but sg maps them all. */
			cell->iova_ranges = nvme_apis[a] == NVME_DMA_API_PHYS ?
					    rq_pages[s] : 1;
			cell->bytes_per_page = nvme_bytes_per_page(nvme_apis[a]);
		}
	}
	for (int r = 0; r < rounds; r++) {
		for (int s = 0; s < NR_RQ_SIZES; s++) {
			for (int a = 0; a < NR_NVME_APIS; a++) {
				struct nvme_cell *cell = &c[s][a];
				double inv, ns;

				ns = nvme_time(m, nd, dev, rq[s], nvme_apis[a], 0,
					       slice, &inv, addrs);
				if (ns < 0)
					goto fail;
				if (cell->map_ns < 0 || ns < cell->map_ns)
					cell->map_ns = ns;
				cell->inv = inv;
				ns = nvme_time(m, nd, dev, rq[s], nvme_apis[a], 1,
					       slice, &inv, addrs);
				if (ns < 0)
					goto fail;
				if (cell->cmd_ns < 0 || ns < cell->cmd_ns)
					cell->cmd_ns = ns;
			}
		}
	}
	goto out;
fail:
	fprintf(stderr, "dmastack bench: NVMe %s: a request failed\n", mode);
	sim_report_dump(m, stderr);
	*failed = true;
out:
	for (int s = 0; s < NR_RQ_SIZES; s++)
		free(rq[s]);
	free(addrs);
	if (nd)
		nvme_remove(nd);
	if (blk)
		sim_free_pages(m, blk, 9);
	sim_machine_destroy(m);
}

/*
 * ODP fault-in: a process whose 1Ki pages are present (the CPU touched
 * them), registered on the NIC and prefetched for write, so every page is
 * one NIC fault: hmm_range_fault() of the page, then a link into the
 * IOVA range allocated at registration, or a dma_map_phys() whose address
 * is stored. Registration and deregistration are not timed.
 */
static void odp_bench(struct odp_results *o, double secs)
{
	const int rounds = 3;
	char err[256];
	struct sim_machine *m;
	struct mm_struct *p = NULL;
	struct device *nic;

	m = sim_machine_parse_opts(
		"machine name=bench-odp ram=1G cpus=2 coherent=yes\n"
		"iommu id=io0 format=x86_64 mode=strict\n"
		"hostbridge id=hb0 iommu=io0\nrootport id=rp0 bus=hb0 acs=on\n"
		"nic id=nic0 bus=rp0 dma-bits=64\n",
		&(struct sim_machine_opts){ .dma_debug_off = true }, err,
		sizeof(err));
	if (!m) {
		fprintf(stderr, "dmastack bench: %s\n", err);
		o->failed = true;
		return;
	}
	nic = sim_device(m, "nic0");
	p = sim_process_create(m, ODP_VA, (u64)ODP_PAGES * PAGE_SIZE);
	if (IS_ERR_OR_NULL(p) || !nic)
		goto fail;
	for (unsigned int i = 0; i < ODP_PAGES; i++)
		if (sim_process_fault(p, ODP_VA + (u64)i * PAGE_SIZE, true))
			goto fail;
	o->fault_ns[0] = o->fault_ns[1] = -1;
	for (int r = 0; r < rounds; r++) {
		for (int s = 0; s < 2; s++) {
			struct sim_odp_mr_opts mo = { .strategy = s ?
				SIM_ODP_PER_PAGE : SIM_ODP_HMM_IOVA };
			u64 spent = 0, end = now_ns() + (u64)(secs / (2 * rounds) * 1e9);
			unsigned long n = 0;
			double ns;

			do {
				struct sim_odp_mr *mr;
				u64 t0;
				int ret;

				mr = sim_nic_reg_odp_mr(nic, p, ODP_VA,
							(u64)ODP_PAGES * PAGE_SIZE,
							&mo);
				if (IS_ERR_OR_NULL(mr))
					goto fail;
				t0 = now_ns();
				ret = sim_nic_odp_prefetch(mr, ODP_VA,
							   (u64)ODP_PAGES * PAGE_SIZE,
							   true);
				spent += now_ns() - t0;
				sim_nic_odp_mr_stats(mr, &o->st[s]);
				sim_nic_dereg_odp_mr(mr);
				if (ret || o->st[s].pages_mapped != ODP_PAGES)
					goto fail;
				n++;
			} while (now_ns() < end);
			ns = (double)spent / (double)(n * ODP_PAGES);
			if (o->fault_ns[s] < 0 || ns < o->fault_ns[s])
				o->fault_ns[s] = ns;
		}
	}
	goto out;
fail:
	fprintf(stderr, "dmastack bench: ODP fault-in failed\n");
	sim_report_dump(m, stderr);
	o->failed = true;
out:
	if (!IS_ERR_OR_NULL(p))
		sim_process_destroy(p);
	sim_machine_destroy(m);
}

/* The mapping ratios of the IOMMU, IOVA allocator and page tables. */
/* Alternations of one and two threads for a scaling ratio (best of each). */
#define SCALING_ROUNDS	5

/*
 * The machine's own ceiling for those ratios: a loop that shares nothing
 * and touches no memory, on one thread and on two. On a virtual machine
 * whose CPUs are not whole cores it is well below 2.
 */
struct spin_arg {
	double secs;
	unsigned long iters;
} __attribute__((aligned(64)));

static void *spin_fn(void *p)
{
	struct spin_arg *a = p;
	u64 end = now_ns() + (u64)(a->secs * 1e9);
	unsigned long n = 0;
	u64 x = 1;

	do {
		for (int k = 0; k < 4096; k++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		n += 4096;
	} while (now_ns() < end);
	a->iters = n + (x == 0);	/* keep x live */
	return NULL;
}

/* Loop iterations per second, summed over @threads threads. */
static double spin_rate(unsigned int threads, double secs)
{
	struct spin_arg a[2] = { { secs, 0 }, { secs, 0 } };
	pthread_t th[2];
	unsigned int started = 0;
	double sum = 0;

	for (unsigned int i = 0; i < threads; i++)
		started += !pthread_create(&th[i], NULL, spin_fn, &a[i]);
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		sum += (double)a[i].iters / secs;
	}
	return started == threads ? sum : 0;
}

static int core_ratios(struct ratio *r, int *pnr, double secs)
{
	double direct, lazy, one_mops, two_mops, l1, l256;
	double cache, tree64k, tree1k, tree1m, iova_t, map_t, inv_i, inv_m;
	struct sim_machine *m;
	char err[256];
	int nr = *pnr;

	/* each the best of three alternations: one slow round moves neither */
	direct = lazy = 1e30;
	for (int i = 0; i < 3; i++) {
		direct = min(direct, pair_ns("direct", "lazy", "map", 1, 1, secs,
					     NULL));
		lazy = min(lazy, pair_ns("iommu", "lazy", "map", 1, 1, secs,
					 &one_mops));
	}
	add_ratio(r, &nr, "IOMMU lazy 4K map+unmap / direct", lazy / direct,
				  "<= 5x", lazy / direct <= 5.0);
	snprintf(r[nr - 1].detail, sizeof(r[0].detail),
		 "%.1f ns vs %.1f ns (best of 3 each)", lazy, direct);

	/*
	 * Scaling is the number a noisy neighbour on a small machine moves
	 * most: one and two threads alternate SCALING_ROUNDS times, best of
	 * each.
	 */
	two_mops = 0;
	for (int i = 0; i < SCALING_ROUNDS; i++) {
		double one, two;

		pair_ns("iommu", "lazy", "map", 1, 1, secs, &one);
		pair_ns("iommu", "lazy", "map", 2, 1, secs, &two);
		one_mops = max(one_mops, one);
		two_mops = max(two_mops, two);
	}
	add_ratio(r, &nr, "2 threads / 1 thread, lazy map+unmap throughput",
				  two_mops / one_mops, ">= 1.8x",
				  two_mops / one_mops >= 1.8);
	snprintf(r[nr - 1].detail, sizeof(r[0].detail),
		 "%.2f vs %.2f Mops/s (each thread its own device and domain; best of %d)",
		 two_mops, one_mops, SCALING_ROUNDS);

	{
		double one_c = 0, two_c = 0;

		for (int i = 0; i < SCALING_ROUNDS; i++) {
			one_c = max(one_c, spin_rate(1, secs / 4));
			two_c = max(two_c, spin_rate(2, secs / 4));
		}
		if (one_c > 0) {
			add_info(r, &nr, "2 threads / 1 thread, a loop sharing nothing (the machine)",
				 two_c / one_c);
			snprintf(r[nr - 1].detail, sizeof(r[0].detail),
				 "the ceiling of the scaling rows on this machine (best of %d)",
				 SCALING_ROUNDS);
		}
	}

	/* the same, both threads mapping for one device: one shared domain */
	{
		double one_sh = 0, two_sh = 0;

		for (int i = 0; i < SCALING_ROUNDS; i++) {
			double one, two;

			pair_ns_opts("iommu", "lazy", "map", 1, 1, secs, true, &one);
			pair_ns_opts("iommu", "lazy", "map", 2, 1, secs, true, &two);
			one_sh = max(one_sh, one);
			two_sh = max(two_sh, two);
		}
		add_ratio(r, &nr, "2 threads / 1 thread, lazy map+unmap, one shared domain",
			  two_sh / one_sh, ">= 1.8x", two_sh / one_sh >= 1.8);
		snprintf(r[nr - 1].detail, sizeof(r[0].detail),
			 "%.2f vs %.2f Mops/s (both threads map for one device; best of %d)",
			 two_sh, one_sh, SCALING_ROUNDS);
	}

	m = sim_machine_parse_opts(
		"machine name=bench ram=16G cpus=2\n"
		"iommu id=io0 format=x86_64 mode=strict\n"
		"hostbridge id=hb0 iommu=io0\nrootport id=rp0 bus=hb0 acs=on\n"
		"nic id=dev0 bus=rp0\n",
		&(struct sim_machine_opts){ .dma_debug_off = true }, err,
		sizeof(err));
	if (!m) {
		fprintf(stderr, "dmastack bench: %s\n", err);
		return 1;
	}
	{
		struct device *dev = sim_device(m, "dev0");
		struct page *blk = sim_alloc_pages(m, 8);	/* 1 MiB */
		struct page *pages[256];

		l1 = link_ns(m, dev, blk, 1, secs / 2);
		l256 = link_ns(m, dev, blk, 256, secs / 2);
		add_ratio(r, &nr, "dma_iova_link 256x4K / one 4K link",
					  l256 / l1, "<= 8x", l256 / l1 <= 8.0);
		snprintf(r[nr - 1].detail, sizeof(r[0].detail), "%.1f ns vs %.1f ns",
			 l256, l1);
		for (int i = 0; i < 256; i++)
			pages[i] = blk + i;
		transfer_1m(m, dev, pages, secs / 2, &iova_t, &map_t, &inv_i, &inv_m);
		add_ratio(r, &nr, "1 MiB strict: 256 map+unmap / IOVA API",
					  map_t / iova_t, ">= 5x", map_t / iova_t >= 5.0);
		snprintf(r[nr - 1].detail, sizeof(r[0].detail),
			 "%.0f ns vs %.0f ns; invalidations %.0f vs %.0f per transfer",
			 map_t, iova_t, inv_m, inv_i);
		if (inv_i != 1.0 || inv_m != 256.0)
			r[nr - 1].ok = false;
		sim_free_pages(m, blk, 8);

		cache = iova_ns(m, 65536, true, secs / 4);
		tree64k = iova_ns(m, 65536, false, secs / 4);
		/*
		 * The cache must stay worth having; the tree is cheap now
		 * (--section iova: at 1Ki live at most 6 cached pairs), so
		 * ">= 10x" would ask it to stay slow. Linux: 3.4x.
		 */
		add_ratio(r, &nr, "IOVA alloc+free: tree (64Ki live) / per-thread cache",
					  tree64k / cache, ">= 3x", tree64k / cache >= 3.0);
		snprintf(r[nr - 1].detail, sizeof(r[0].detail), "%.1f ns vs %.1f ns",
			 tree64k, cache);
		tree1k = iova_ns(m, 1024, false, secs / 4);
		tree1m = iova_ns(m, 1UL << 20, false, secs / 4);
		add_ratio(r, &nr, "IOVA tree alloc+free: 1Mi live / 1Ki live",
					  tree1m / tree1k, "<= 2x", tree1m / tree1k <= 2.0);
		snprintf(r[nr - 1].detail, sizeof(r[0].detail), "%.1f ns vs %.1f ns",
			 tree1m, tree1k);
		{
			u64 small = table_bytes_for_1g(m, false);
			u64 large = table_bytes_for_1g(m, true);

			add_ratio(r, &nr, "page tables, 1 GiB as 4K pages (MiB)",
						  (double)small / SZ_1M, "<= 2.1 MiB",
						  small && small <= 2.1 * SZ_1M);
			snprintf(r[nr - 1].detail, sizeof(r[0].detail), "%llu bytes",
				 (unsigned long long)small);
			add_ratio(r, &nr, "page tables, 1 GiB 2M-aligned (KiB)",
						  (double)large / SZ_1K, "<= 16 KiB",
						  large && large <= 16 * SZ_1K);
			snprintf(r[nr - 1].detail, sizeof(r[0].detail), "%llu bytes",
				 (unsigned long long)large);
		}
	}
	sim_machine_destroy(m);
	*pnr = nr;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The IOVA allocator section (--section iova)                              */
/* ------------------------------------------------------------------------ */

/* An IOVA space with @live single frames packed down from the limit. */
static struct iova_domain *iova_bench_domain(struct sim_machine *m,
					     unsigned long live)
{
	struct iova_domain *iovad = iova_domain_create(m, SZ_4K, 1, 0);

	for (unsigned long i = 0; iovad && i < live; i++) {
		if (!alloc_iova(iovad, 1, ~0UL >> 20, false)) {
			iova_domain_destroy(iovad);
			return NULL;
		}
	}
	return iovad;
}

/*
 * ns per alloc+free pair of one frame on @iovad: through the tree
 * (alloc_iova/free_iova, no cache) or the calling thread's cache.
 */
static double iova_bench_pair_ns(struct iova_domain *iovad, bool cached,
				 double secs)
{
	unsigned long n = 0, p;
	u64 t0 = now_ns(), spent;

	do {
		for (int k = 0; k < 256; k++) {
			if (cached) {
				p = alloc_iova_fast(iovad, 1, ~0UL >> 20, false);
				free_iova_fast(iovad, p, 1);
			} else {
				p = alloc_iova(iovad, 1, ~0UL >> 20, false);
				free_iova(iovad, p);
			}
		}
		n += 256;
		spent = now_ns() - t0;
	} while (spent < (u64)(secs * 1e9));
	return (double)spent / (double)n;
}

/*
 * The IOVA tree at 1Ki, 64Ki and 1Mi live ranges and the per-thread
 * cache, interleaved three times, best of each: the tree at 1Ki live
 * costs at most 6 cached pairs (Linux's own code: 3.4x).
 */
static int iova_ratios(struct ratio *r, int *pnr, double secs)
{
	static const unsigned long lives[] = { 1UL << 10, 1UL << 16, 1UL << 20 };
	struct iova_domain *dom[ARRAY_SIZE(lives)] = { 0 };
	double tree[ARRAY_SIZE(lives)], cached = 1e30, one = secs / 12;
	struct sim_machine *m;
	char err[256];
	int nr = *pnr, ret = 1;
	size_t i;

	m = sim_machine_parse("machine name=bench-iova ram=1G cpus=2\n", err,
			      sizeof(err));
	if (!m) {
		fprintf(stderr, "dmastack bench: %s\n", err);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(lives); i++) {
		tree[i] = 1e30;
		dom[i] = iova_bench_domain(m, lives[i]);
		if (!dom[i])
			goto out;
	}
	for (int round = 0; round < 3; round++) {
		cached = min(cached, iova_bench_pair_ns(dom[0], true, one));
		for (i = 0; i < ARRAY_SIZE(lives); i++)
			tree[i] = min(tree[i],
				      iova_bench_pair_ns(dom[i], false, one));
	}
	add_ratio(r, &nr, "IOVA tree alloc+free, 1Ki live / per-thread cached",
		  tree[0] / cached, "<= 6x", tree[0] / cached <= 6.0);
	snprintf(r[nr - 1].detail, sizeof(r[0].detail),
		 "%.1f ns vs %.1f ns per alloc+free pair (best of 3 interleaved)",
		 tree[0], cached);
	add_info(r, &nr, "IOVA per-thread cached alloc+free (ns)", cached);
	add_info(r, &nr, "IOVA tree alloc+free, 1Ki live (ns)", tree[0]);
	add_info(r, &nr, "IOVA tree alloc+free, 64Ki live (ns)", tree[1]);
	add_info(r, &nr, "IOVA tree alloc+free, 1Mi live (ns)", tree[2]);
	snprintf(r[nr - 1].detail, sizeof(r[0].detail),
		 "alloc_iova + free_iova of one frame below 1Mi single frames packed from the limit");
	ret = 0;
out:
	for (i = 0; i < ARRAY_SIZE(lives); i++)
		iova_domain_destroy(dom[i]);
	sim_machine_destroy(m);
	*pnr = nr;
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Scale (--section scale)                                                  */
/* ------------------------------------------------------------------------ */

/*
 * dma-debug at 1Mi live mappings, and a NIC moving 1 GiB through a
 * single-range dma-buf behind the IOMMU against the same move below a
 * switch. The sizes are fixed by the targets; DMASTACK_BENCH_SCALE_SHIFT
 * (0..10) divides both by a power of two, for the suite's quick run of
 * this code (the ratios are then not the targets' and say so).
 */
#define SCALE_MAPPINGS		(1UL << 20)
#define SCALE_MOVE		(1ULL << 30)
#define SCALE_CHUNK		(16ULL << 20)	/* one NIC read */

static bool bench_uint(const char *v, unsigned long min, unsigned long max,
		       unsigned long *out);

/*
 * The calling thread's CPU time: the scale section runs one thread, and
 * on a shared machine wall time also counts other programs.
 */
static u64 thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

struct scale_results {
	unsigned int shift;
	unsigned long mappings;
	u64 move;
	double map_on_ns, map_off_ns;	/* per map+unmap pair */
	double map_on_skip_ns;		/* on, DMA_ATTR_SKIP_CPU_SYNC */
	double host_s, switch_s;	/* seconds per move */
	bool failed;
};

/*
 * ns per map+unmap of @n live 4K mappings on @dev: all mapped (each
 * checked with dma_mapping_error()), then all unmapped. False if a map
 * failed (what it mapped is unmapped again).
 */
static bool scale_map_pass(struct device *dev, struct page **blk,
			   dma_addr_t *addr, unsigned long n,
			   unsigned long attrs, double *ns)
{
	unsigned long mapped = 0, i;
	u64 t0 = thread_ns();

	for (; mapped < n; mapped++) {
		phys_addr_t p = page_to_phys(blk[mapped / 1024] + mapped % 1024);

		addr[mapped] = dma_map_phys(dev, p, PAGE_SIZE,
					    DMA_BIDIRECTIONAL, attrs);
		if (dma_mapping_error(dev, addr[mapped]))
			break;
	}
	for (i = 0; i < mapped; i++)
		dma_unmap_phys(dev, addr[i], PAGE_SIZE, DMA_BIDIRECTIONAL,
			       attrs);
	*ns = (double)(thread_ns() - t0) / (double)n;
	return mapped == n;
}

/*
 * The map+unmap pass behind a lazy IOMMU (the default bench path), with
 * dma-debug off and then on, each after a pass to warm up: the IOMMU's
 * page tables and IOVA caches, and dma-debug's pools (its entries, as the
 * kernel preallocates them), are then there for the pass measured. The
 * pages are written first, as buffers that hold data are: dma-debug reads
 * what it maps, and the host's first touch of simulated RAM is not its
 * cost. Then dma-debug on with DMA_ATTR_SKIP_CPU_SYNC, for information:
 * no ownership hashes (dma-debug reading every byte mapped and unmapped,
 * which the kernel's dma-debug does not do), the rest as the kernel's.
 */
static void scale_map(struct scale_results *sc)
{
	unsigned long n = sc->mappings, nblk = (n + 1023) / 1024, i;
	struct page **blk = NULL;
	dma_addr_t *addr = NULL;
	struct sim_machine *m;
	struct device *dev;
	bool ok = false;
	char err[256];

	m = sim_machine_parse_opts(
		"machine name=bench-scale ram=8G cpus=2\n"
		"iommu id=io0 format=x86_64 mode=lazy granule=4K fq-size=256\n"
		"hostbridge id=hb0 iommu=io0\nrootport id=rp0 bus=hb0 acs=on\n"
		"nic id=dev0 bus=rp0 dma-bits=64 coherent=yes\n",
		&(struct sim_machine_opts){ .dma_debug_off = true }, err,
		sizeof(err));
	if (!m) {
		fprintf(stderr, "dmastack bench: %s\n", err);
		sc->failed = true;
		return;
	}
	dev = sim_device(m, "dev0");
	blk = calloc(nblk, sizeof(*blk));
	addr = calloc(n, sizeof(*addr));
	if (!blk || !addr)
		goto out;
	for (i = 0; i < nblk; i++) {
		blk[i] = sim_alloc_pages(m, 10);	/* 4 MiB */
		if (!blk[i])
			goto out;
		memset(page_address(blk[i]), 0x5a, 1024 * PAGE_SIZE);
	}
	/* off: a pass to warm up, then the one measured; on: the same */
	ok = scale_map_pass(dev, blk, addr, n, 0, &sc->map_off_ns) &&
	     scale_map_pass(dev, blk, addr, n, 0, &sc->map_off_ns);
	sim_dma_debug_enable(m, true);
	ok = ok && scale_map_pass(dev, blk, addr, n, 0, &sc->map_on_ns) &&
	     scale_map_pass(dev, blk, addr, n, 0, &sc->map_on_ns) &&
	     scale_map_pass(dev, blk, addr, n, DMA_ATTR_SKIP_CPU_SYNC,
			    &sc->map_on_skip_ns);
	ok = ok && sim_dma_debug_entries(m, NULL) == 0;
out:
	for (i = 0; blk && i < nblk && blk[i]; i++)
		sim_free_pages(m, blk[i], 10);
	if (!ok || sim_report_count(m))
		sc->failed = true;
	free(blk);
	free(addr);
	sim_machine_destroy(m);
}

/*
 * Seconds for the NIC to read @bytes of the GPU's BAR 2 through a dma-buf
 * of one range, exported by vfio-pci: @host: the two on their own root
 * ports (through the host bridge and the IOMMU), else below one switch
 * (bus addresses). dma-debug is on, as by default.
 */
static double scale_move_s(u64 bytes, bool host, bool *failed)
{
	char text[1024], err[256];
	union {
		struct vfio_device_feature hdr;
		u8 bytes[sizeof(struct vfio_device_feature) +
			 sizeof(struct vfio_device_feature_dma_buf) +
			 sizeof(struct vfio_region_dma_range)];
	} u;
	struct vfio_device_feature_dma_buf *db = (void *)u.hdr.data;
	struct vfio_pci_core_device *v = NULL;
	struct sim_nic_mr *mr = NULL;
	struct device *gpu, *nic;
	struct sim_machine *m;
	bool opened = false;
	u8 *buf = NULL;
	double r = -1;
	int fd;

	snprintf(text, sizeof(text),
		 "machine name=bench-scale-p2p arch=x86_64 ram=4G cpus=2\n"
		 "iommu id=iommu0 format=x86_64 mode=strict\n"
		 "hostbridge id=hb0 iommu=iommu0 p2p=allow\n%s"
		 "gpu id=gpu0 bus=%s bar0=16M bar2=%lluM\n"
		 "nic id=nic0 bus=%s bar0=1M dma-bits=64\n",
		 host ? "rootport id=rp0 bus=hb0 acs=on\nrootport id=rp1 bus=hb0 acs=on\n" :
			"rootport id=rp0 bus=hb0\nswitch id=sw0 bus=rp0 acs=off\n",
		 host ? "rp0" : "sw0",
		 (unsigned long long)max(bytes >> 20, 1ULL) * 2,
		 host ? "rp1" : "sw0");
	m = sim_machine_parse(text, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "dmastack bench: %s\n", err);
		*failed = true;
		return -1;
	}
	gpu = sim_device(m, "gpu0");
	nic = sim_device(m, "nic0");
	buf = malloc(min(bytes, SCALE_CHUNK));
	v = vfio_alloc_device(vfio_pci_core_device, vdev, gpu, &sim_vfio_pci_ops);
	if (!buf || IS_ERR(v))
		goto out;
	v->pci_ops = &sim_vfio_pci_dev_ops;
	if (vfio_pci_core_register_device(v))
		goto out_put;
	if (sim_vfio_open(&v->vdev))
		goto out_unregister;
	opened = true;
	memset(&u, 0, sizeof(u));
	u.hdr.argsz = sizeof(u);
	u.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = 2;
	db->nr_ranges = 1;
	db->dma_ranges[0].offset = 0;
	db->dma_ranges[0].length = bytes;
	fd = (int)sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_FEATURE, u.bytes,
				 sizeof(u));
	if (fd < 0)
		goto out_unregister;
	mr = sim_nic_reg_dmabuf_mr(nic, fd, 0, bytes, DMA_TO_DEVICE);
	sim_fd_close(m, fd);
	if (IS_ERR(mr)) {
		mr = NULL;
		goto out_unregister;
	}
	{
		u64 t0 = thread_ns(), off;

		for (off = 0; off < bytes; off += SCALE_CHUNK)
			if (sim_nic_mr_read(mr, off, buf,
					    min(SCALE_CHUNK, bytes - off)))
				break;
		if (off >= bytes)
			r = (double)(thread_ns() - t0) / 1e9;
	}
	sim_nic_dereg_mr(mr);
out_unregister:
	if (opened)
		sim_vfio_close(&v->vdev);
	vfio_pci_core_unregister_device(v);
out_put:
	vfio_put_device(&v->vdev);
out:
	if (r < 0 || sim_report_count(m))
		*failed = true;
	free(buf);
	sim_machine_destroy(m);
	return r;
}

static void scale_bench(struct scale_results *sc)
{
	const char *env = getenv("DMASTACK_BENCH_SCALE_SHIFT");
	unsigned long shift = 0;

	if (env && !bench_uint(env, 0, 10, &shift)) {
		fprintf(stderr, "dmastack bench: DMASTACK_BENCH_SCALE_SHIFT must be 0..10, not '%s'\n",
			env);
		sc->failed = true;
		return;
	}
	sc->shift = (unsigned int)shift;
	sc->mappings = SCALE_MAPPINGS >> shift;
	sc->move = SCALE_MOVE >> shift;
	scale_map(sc);
	sc->switch_s = scale_move_s(sc->move, false, &sc->failed);
	sc->host_s = scale_move_s(sc->move, true, &sc->failed);
}

static void scale_ratios(struct ratio *r, int *nr, const struct scale_results *sc)
{
	/* a run that failed leaves no figure: 0, never NaN in the JSON */
	double v = sc->map_off_ns > 0 ? sc->map_on_ns / sc->map_off_ns : 0;
	char b1[32];

	add_ratio(r, nr, "dma-debug on / off, 1Mi live 4K map+unmap", v,
		  "<= 3x", !sc->failed && v <= 3.0);
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%.0f ns vs %.0f ns per map+unmap; %lu mappings live at once%s",
		 sc->map_on_ns, sc->map_off_ns, sc->mappings,
		 sc->shift ? " (scaled down: not the target's size)" : "");
	v = sc->map_off_ns > 0 ? sc->map_on_skip_ns / sc->map_off_ns : 0;
	add_info(r, nr, "  of which without ownership hashes", v);
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%.0f ns per map+unmap with DMA_ATTR_SKIP_CPU_SYNC (entries, cache lines); the rest is the ownership check, 4 KiB hashed at map and at unmap",
		 sc->map_on_skip_ns);
	v = sc->switch_s > 0 ? sc->host_s / sc->switch_s : 0;
	add_ratio(r, nr, "NIC 1 GiB from a 1-range dma-buf: IOMMU / switch", v,
		  "< 2x", !sc->failed && v < 2.0);
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%.3f s vs %.3f s for %s (through the host bridge and IOMMU vs below a switch; dma-debug on)%s",
		 sc->host_s, sc->switch_s,
		 fmt_bytes(b1, sizeof(b1), sc->move),
		 sc->shift ? " (scaled down)" : "");
}

static void scale_print(const struct scale_results *sc)
{
	printf("scale (thread CPU time): %lu live 4K mappings, %llu MiB NIC move%s\n", sc->mappings,
	       (unsigned long long)(sc->move >> 20),
	       sc->shift ? " (scaled down by DMASTACK_BENCH_SCALE_SHIFT)" : "");
	printf("  %-44s %12.1f ns per map+unmap\n", "dma-debug off", sc->map_off_ns);
	printf("  %-44s %12.1f ns per map+unmap\n", "dma-debug on", sc->map_on_ns);
	printf("  %-44s %12.1f ns per map+unmap\n",
	       "dma-debug on, DMA_ATTR_SKIP_CPU_SYNC", sc->map_on_skip_ns);
	printf("  %-44s %12.3f s\n", "NIC move below a switch (bus addresses)", sc->switch_s);
	printf("  %-44s %12.3f s\n", "NIC move through host bridge and IOMMU", sc->host_s);
	printf("\n");
}

static json_object *scale_json(const struct scale_results *sc)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "mappings", json_object_new_int64((int64_t)sc->mappings));
	json_object_object_add(o, "map_unmap_ns_debug_off", json_object_new_double(sc->map_off_ns));
	json_object_object_add(o, "map_unmap_ns_debug_on", json_object_new_double(sc->map_on_ns));
	json_object_object_add(o, "map_unmap_ns_debug_on_skip_cpu_sync",
			       json_object_new_double(sc->map_on_skip_ns));
	json_object_object_add(o, "move_bytes", json_object_new_int64((int64_t)sc->move));
	json_object_object_add(o, "move_s_switch", json_object_new_double(sc->switch_s));
	json_object_object_add(o, "move_s_hostbridge", json_object_new_double(sc->host_s));
	json_object_object_add(o, "scaled_down", json_object_new_boolean(sc->shift != 0));
	return o;
}

/* Sections of the ratio suite (--section). */
enum {
	SECTION_CORE	= 1 << 0,	/* the mapping ratios */
	SECTION_NVME	= 1 << 1,	/* NVMe per-request mapping */
	SECTION_ODP	= 1 << 2,	/* ODP fault-in and memory */
	SECTION_PT	= 1 << 3,	/* page tables per format */
	SECTION_IOVA	= 1 << 4,	/* the IOVA allocator */
	/* not in "all": 4 GiB of simulated RAM written, most of a minute */
	SECTION_SCALE	= 1 << 5,	/* dma-debug and dma-buf at scale */
	SECTION_ALL	= SECTION_CORE | SECTION_NVME | SECTION_ODP | SECTION_PT |
			  SECTION_IOVA,
	/* platform size limits: run only when named (seconds of building) */
	SECTION_SIZE	= 1 << 6,
};

/* "nvme", "core,odp", "all": the section bits, 0 for a bad list. */
static int parse_section(const char *s)
{
	static const struct {
		const char *name;
		int bits;
	} names[] = {
		{ "all", SECTION_ALL }, { "core", SECTION_CORE },
		{ "nvme", SECTION_NVME }, { "odp", SECTION_ODP },
		{ "pt", SECTION_PT },
		{ "iova", SECTION_IOVA },
		{ "size", SECTION_SIZE },
		{ "scale", SECTION_SCALE },
	};
	int bits = 0;

	while (*s) {
		size_t len = strcspn(s, ",");
		int one = 0;

		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (len == strlen(names[i].name) &&
			    !strncmp(s, names[i].name, len))
				one = names[i].bits;
		if (!one)
			return 0;
		bits |= one;
		s += len;
		if (*s == ',' && *++s == '\0')
			return 0;
	}
	return bits;
}

static void nvme_ratios(struct ratio *r, int *nr, const struct nvme_results *nv)
{
	const struct nvme_cell *s = nv->c[0][NR_RQ_SIZES - 1];	/* 1M strict */
	const struct nvme_cell *l = nv->c[1][NR_RQ_SIZES - 1];	/* 1M lazy */
	double v = s[1].map_ns / s[0].map_ns;

	add_ratio(r, nr, "NVMe 1 MiB strict map: per-segment phys / IOVA", v,
		  ">= 3x", !nv->failed && v >= 3.0);
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%.0f ns vs %.0f ns per request; invalidations %.0f vs %.0f; whole command %.0f vs %.0f ns",
		 s[1].map_ns, s[0].map_ns, s[1].inv, s[0].inv, s[1].cmd_ns,
		 s[0].cmd_ns);
	add_info(r, nr, "NVMe 1 MiB strict map: sg / IOVA",
		 s[2].map_ns / s[0].map_ns);
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%.0f ns vs %.0f ns per request; invalidations %.0f vs %.0f",
		 s[2].map_ns, s[0].map_ns, s[2].inv, s[0].inv);
	add_info(r, nr, "NVMe 1 MiB strict command: phys / IOVA",
		 s[1].cmd_ns / s[0].cmd_ns);
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%.0f ns vs %.0f ns per nvme_execute_rq (mapping %.0f%% vs %.0f%% of it)",
		 s[1].cmd_ns, s[0].cmd_ns, 100 * s[1].map_ns / s[1].cmd_ns,
		 100 * s[0].map_ns / s[0].cmd_ns);
	add_info(r, nr, "NVMe 1 MiB lazy map: per-segment phys / IOVA",
		 l[1].map_ns / l[0].map_ns);
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%.0f ns vs %.0f ns per request; invalidations %.2f vs %.2f",
		 l[1].map_ns, l[0].map_ns, l[1].inv, l[0].inv);
}

static void odp_ratios(struct ratio *r, int *nr, const struct odp_results *od)
{
	const struct sim_odp_mr_stats *si = &od->st[0], *sp = &od->st[1];
	double v = od->fault_ns[1] / od->fault_ns[0];

	add_info(r, nr, "ODP fault-in 1Ki pages: per-page map / IOVA", v);
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%.1f ns vs %.1f ns per page (hmm_range_fault + dma_map_phys vs + dma_iova_link/sync)",
		 od->fault_ns[1], od->fault_ns[0]);
	add_ratio(r, nr, "ODP bytes per mapped page, IOVA range",
		  (double)si->bytes_per_mapped_page, "", !od->failed &&
		  si->uses_iova &&
		  si->bytes_per_mapped_page < sp->bytes_per_mapped_page);
	snprintf(r[*nr - 1].tbuf, sizeof(r[0].tbuf), "< %zu B",
		 sp->bytes_per_mapped_page);
	r[*nr - 1].target = r[*nr - 1].tbuf;
	snprintf(r[*nr - 1].detail, sizeof(r[0].detail),
		 "%zu B (pfn) vs %zu B (pfn + dma_addr_t); 1Ki-page region %zu vs %zu B, IOVA ranges %lu vs %lu",
		 si->bytes_per_mapped_page, sp->bytes_per_mapped_page,
		 si->meta_bytes, sp->meta_bytes, si->iova_ranges, sp->iova_ranges);
}

static void nvme_print(const struct nvme_results *nv)
{
	printf("NVMe write requests of 4K pages (128K and 1M: 32 and 256 pages, none adjacent),\n"
	       "nvme-pci on an x86_64 IOMMU; best of 3 interleaved rounds, ns per request:\n"
	       "  map  the mapping calls nvme-pci makes for the request, map + unmap, made\n"
	       "       by the bench (block DMA iterator / dma_map_phys per bvec /\n"
	       "       dma_map_sgtable; one segment: the driver's one dma_map_phys fast\n"
	       "       path); no PRP list, no controller\n"
	       "  cmd  nvme_execute_rq() end to end: map, PRPs, doorbell, the controller's\n"
	       "       DMA of the data, completion, unmap\n"
	       "  drv B/pg  what the driver keeps per mapped page in flight beside the\n"
	       "       8-byte PRP entry (from its types: iova one 16-byte dma_iova_state\n"
	       "       per request, phys an address+length per segment, sg a scatterlist)\n\n");
	printf("  %-6s %-5s %-5s %10s %10s %6s %9s %9s %6s %9s\n", "mode", "size",
	       "api", "map ns", "cmd ns", "map %", "inval/rq", "maps/cmd",
	       "IOVAs", "drv B/pg");
	for (int md = 0; md < 2; md++)
		for (int s = 0; s < NR_RQ_SIZES; s++)
			for (int a = 0; a < NR_NVME_APIS; a++) {
				const struct nvme_cell *c = &nv->c[md][s][a];

				printf("  %-6s %-5s %-5s %10.0f %10.0f %5.0f%% %9.2f %9.1f %6.0f %9zu\n",
				       nvme_modes[md], rq_names[s],
				       nvme_dma_api_name(nvme_apis[a]), c->map_ns,
				       c->cmd_ns, 100 * c->map_ns / c->cmd_ns,
				       c->inv, c->map_calls, c->iova_ranges,
				       c->bytes_per_page);
			}
	printf("\n");
}

static void odp_print(const struct odp_results *od)
{
	static const char *const names[2] = {
		"IOVA range (hmm_dma_map)", "per-page dma_map_phys",
	};

	printf("ODP fault-in: a NIC prefetch of 1Ki present pages of a process, one\n"
	       "NIC page fault each (x86_64 strict IOMMU, best of 3 rounds):\n\n");
	printf("  %-26s %9s %11s %13s %11s\n", "strategy", "ns/page",
	       "B/mapped pg", "region bytes", "IOVA ranges");
	for (int s = 0; s < 2; s++)
		printf("  %-26s %9.1f %11zu %13zu %11lu\n", names[s],
		       od->fault_ns[s], od->st[s].bytes_per_mapped_page,
		       od->st[s].meta_bytes, od->st[s].iova_ranges);
	printf("\n");
}

static json_object *nvme_json(const struct nvme_results *nv)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(o, "platform",
			       json_object_new_string("x86_64 IOMMU, 4K granule"));
	json_object_object_add(o, "map_measures", json_object_new_string(
		"the driver's mapping calls for the request, map + unmap, no PRPs, no controller"));
	json_object_object_add(o, "cmd_measures",
			       json_object_new_string("nvme_execute_rq end to end"));
	for (int md = 0; md < 2; md++)
		for (int s = 0; s < NR_RQ_SIZES; s++)
			for (int a = 0; a < NR_NVME_APIS; a++) {
				const struct nvme_cell *c = &nv->c[md][s][a];
				json_object *e = json_object_new_object();

				json_object_object_add(e, "mode", json_object_new_string(nvme_modes[md]));
				json_object_object_add(e, "size", json_object_new_string(rq_names[s]));
				json_object_object_add(e, "pages", json_object_new_int((int)rq_pages[s]));
				json_object_object_add(e, "api", json_object_new_string(nvme_dma_api_name(nvme_apis[a])));
				json_object_object_add(e, "map_ns", json_object_new_double(c->map_ns));
				json_object_object_add(e, "cmd_ns", json_object_new_double(c->cmd_ns));
				json_object_object_add(e, "invalidations_per_request", json_object_new_double(c->inv));
				json_object_object_add(e, "map_calls_per_command", json_object_new_double(c->map_calls));
				json_object_object_add(e, "iova_ranges", json_object_new_double(c->iova_ranges));
				json_object_object_add(e, "driver_bytes_per_page",
						       json_object_new_int64((int64_t)c->bytes_per_page));
				json_object_array_add(arr, e);
			}
	json_object_object_add(o, "requests", arr);
	return o;
}

static json_object *odp_json(const struct odp_results *od)
{
	static const char *const names[2] = { "hmm-iova", "per-page" };
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(o, "pages", json_object_new_int((int)ODP_PAGES));
	for (int s = 0; s < 2; s++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "strategy", json_object_new_string(names[s]));
		json_object_object_add(e, "fault_in_ns_per_page", json_object_new_double(od->fault_ns[s]));
		json_object_object_add(e, "bytes_per_mapped_page",
				       json_object_new_int64((int64_t)od->st[s].bytes_per_mapped_page));
		json_object_object_add(e, "region_meta_bytes",
				       json_object_new_int64((int64_t)od->st[s].meta_bytes));
		json_object_object_add(e, "iova_ranges", json_object_new_int64((int64_t)od->st[s].iova_ranges));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "strategies", arr);
	return o;
}

/* ------------------------------------------------------------------------ */
/* Platform size (--section size): parse, p2p and RAM at real servers' size */
/* ------------------------------------------------------------------------ */

/* A growing text buffer; false once out of memory (the text is dropped). */
struct size_text {
	char *s;
	size_t len, cap;
	bool oom;
};

static void size_printf(struct size_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void size_printf(struct size_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	while (!t->oom) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL,
			      t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			break;
		}
		if (t->s && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		{
			size_t cap = (t->cap + (size_t)n + 1) * 2;
			char *p = realloc(t->s, cap);

			if (!p) {
				t->oom = true;
				break;
			}
			t->s = p;
			t->cap = cap;
		}
	}
	free(t->s);
	t->s = NULL;
}

#define SIZE_HDR	"machine name=size ram=16G phys-bits=46\nswiotlb size=4M\n"

/*
 * 4,096 functions over four segments: each has an IOMMU and 16 ACS root
 * ports with a NIC of 62 VFs (4 x 16 x (port + PF + 62 VFs)).
 */
static char *size_sriov_text(void)
{
	struct size_text t = { 0 };

	size_printf(&t, SIZE_HDR);
	for (unsigned int g = 0; g < 4; g++) {
		size_printf(&t, "iommu id=io%u mode=strict\n"
			    "hostbridge id=hb%u segment=%u iommu=io%u mmio32=0 mmio64=64G\n",
			    g, g, g, g);
		for (unsigned int r = 0; r < 16; r++)
			size_printf(&t, "rootport id=rp%u_%u bus=hb%u acs=on\n"
				    "nic id=n%u_%u bus=rp%u_%u bar0=1M,64 sriov=62 vf-bar0=64K,64\n",
				    g, r, g, g, r, g, r);
	}
	return t.s;
}

/* 1,000 NICs below switches, five segments of 200, peer-to-peer allowed. */
static char *size_p2p_text(void)
{
	struct size_text t = { 0 };

	size_printf(&t, SIZE_HDR);
	for (unsigned int g = 0; g < 5; g++) {
		size_printf(&t, "hostbridge id=hb%u segment=%u p2p=allow mmio32=0 mmio64=64G\n",
			    g, g);
		for (unsigned int e = 0; e < 200; e++) {
			if (e % 32 == 0)
				size_printf(&t, "rootport id=rp%u_%u bus=hb%u\n"
					    "switch id=sw%u_%u bus=rp%u_%u\n",
					    g, e / 32, g, g, e / 32, g, e / 32);
			size_printf(&t, "nic id=n%u_%u bus=sw%u_%u bar0=1M,64\n",
				    g, e, g, e / 32);
		}
	}
	return t.s;
}

/* Resident pages of this process (/proc/self/statm), -1 if unreadable. */
static long size_rss_pages(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long total, rss;

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &total, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss;
}

/* `dmastack p2p -p FILE` with its output discarded: seconds, < 0 on error. */
static double size_time_p2p(const char *text)
{
	char path[] = "/tmp/dmastack-size-XXXXXX";
	char *argv[] = { "p2p", "-p", path, NULL };
	struct cli_opts co = { 0 };
	int fd = mkstemp(path), saved, null, ret;
	size_t len = strlen(text);
	u64 t0;

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0) {
		if (saved >= 0)
			close(saved);
		if (null >= 0)
			close(null);
		unlink(path);
		return -1;
	}
	dup2(null, STDOUT_FILENO);
	close(null);
	optind = 0;	/* cmd_p2p parses its own argv */
	t0 = now_ns();
	ret = cmd_p2p(3, argv, &co);
	fflush(stdout);
	t0 = now_ns() - t0;
	dup2(saved, STDOUT_FILENO);
	close(saved);
	unlink(path);
	return ret ? -1 : (double)t0 / 1e9;
}

/* The three size targets of issue 14; 0, or 3 when one could not run. */
static int size_ratios(struct ratio *r, int *nr)
{
	char *text = size_sriov_text();
	char err[256] = "";
	struct sim_machine *m;
	long rss0, rss1;
	double sec;
	u64 t0;

	if (!text) {
		fprintf(stderr, "dmastack: bench: out of memory\n");
		return 3;
	}
	/* first: later runs leave freed heap that a new machine would reuse */
	rss0 = size_rss_pages();
	m = sim_machine_parse("machine name=size ram=64T ram-below-4g=2G phys-bits=48\n",
			      err, sizeof(err));
	rss1 = size_rss_pages();
	if (!m || rss0 < 0 || rss1 < 0) {
		fprintf(stderr, "dmastack: bench: the 64 TiB machine: %s\n",
			m ? "/proc/self/statm unreadable" : err);
		sim_machine_destroy(m);
		free(text);
		return 3;
	}
	{
		double mb = (double)(rss1 - rss0) * (double)sysconf(_SC_PAGESIZE) / 1e6;
		unsigned long chunks, secs = sim_ram_memmap_sections(m, &chunks);

		add_ratio(r, nr, "RSS: 64 TiB of RAM described (MB)", mb, "< 100",
			  mb < 100.0);
		snprintf(r[*nr - 1].detail, sizeof(r[*nr - 1].detail),
			 "/proc/self/statm before and after the booted machine; %lu memmap sections, %lu section chunks",
			 secs, chunks);
	}
	sim_machine_destroy(m);
	t0 = now_ns();
	m = sim_machine_parse(text, err, sizeof(err));
	sec = (double)(now_ns() - t0) / 1e9;
	free(text);
	if (!m) {
		fprintf(stderr, "dmastack: bench: the size platform: %s\n", err);
		return 3;
	}
	add_ratio(r, nr, "parse: 4,096 functions, 4 segments, SR-IOV (s)", sec,
		  "< 1", sec < 1.0);
	snprintf(r[*nr - 1].detail, sizeof(r[*nr - 1].detail),
		 "sim_machine_parse() to a booted machine: %u devices, %u IOMMU groups",
		 sim_device_count(m), sim_iommu_group_count(m));
	sim_machine_destroy(m);

	text = size_p2p_text();
	sec = text ? size_time_p2p(text) : -1;
	free(text);
	if (sec < 0) {
		fprintf(stderr, "dmastack: bench: dmastack p2p on 1,000 endpoints failed\n");
		return 3;
	}
	add_ratio(r, nr, "p2p: matrix of 1,000 endpoints (s)", sec, "< 5",
		  sec < 5.0);
	snprintf(r[*nr - 1].detail, sizeof(r[*nr - 1].detail),
		 "dmastack p2p on five segments of 200 NICs below switches, output discarded");

	return 0;
}

static int ratio_suite(const struct cli_opts *co, double secs, int sections)
{
	struct ratio r[BENCH_MAX_RATIOS];
	int nr = 0, failed = 0, targets = 0;
	struct nvme_results *nv = NULL;
	struct odp_results od = { 0 };
	struct pt_bench pb[PT_NR_VARIANTS];
	struct scale_results sc = { 0 };

	if ((sections & SECTION_CORE) && core_ratios(r, &nr, secs))
		return 1;
	if (sections & SECTION_NVME) {
		nv = calloc(1, sizeof(*nv));
		if (!nv)
			return 1;
		/* A sixth of the core section's time: it has 18 shapes to time. */
		for (int md = 0; md < 2; md++)
			nvme_platform(nvme_modes[md], nv->c[md], secs / 3,
				      &nv->failed);
		nvme_ratios(r, &nr, nv);
	}
	if (sections & SECTION_ODP) {
		odp_bench(&od, secs / 6);
		odp_ratios(r, &nr, &od);
	}
	if (sections & SECTION_PT) {
		pt_bench_all(pb, secs);
		pt_ratios(r, &nr, pb);
	}
	if ((sections & SECTION_IOVA) && iova_ratios(r, &nr, secs))
		return 1;
	if ((sections & SECTION_SIZE) && size_ratios(r, &nr))
		return 3;
	if (sections & SECTION_SCALE) {
		scale_bench(&sc);
		scale_ratios(r, &nr, &sc);
	}

	if (co->json) {
		json_object *root = cli_json_root("bench"), *arr = json_object_new_array();

		for (int i = 0; i < nr; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "what", json_object_new_string(r[i].what));
			json_object_object_add(o, "value", json_object_new_double(r[i].value));
			json_object_object_add(o, "target", json_object_new_string(r[i].target));
			json_object_object_add(o, "ok", json_object_new_boolean(r[i].ok));
			json_object_object_add(o, "info", json_object_new_boolean(r[i].info));
			json_object_object_add(o, "detail", json_object_new_string(r[i].detail));
			json_object_array_add(arr, o);
			failed += !r[i].ok;
			targets += !r[i].info;
		}
		json_object_object_add(root, "ratios", arr);
		json_object_object_add(root, "met", json_object_new_int(targets - failed));
		json_object_object_add(root, "missed", json_object_new_int(failed));
		if (nv)
			json_object_object_add(root, "nvme", nvme_json(nv));
		if (sections & SECTION_ODP)
			json_object_object_add(root, "odp", odp_json(&od));
		if (sections & SECTION_PT)
			json_object_object_add(root, "page_tables", pt_json(pb));
		if (sections & SECTION_SCALE)
			json_object_object_add(root, "scale", scale_json(&sc));
		json_print(root);
		json_object_put(root);
	} else {
		printf("dmastack bench: ratios measured in this run (dma-debug off)\n\n");
		if (nv)
			nvme_print(nv);
		if (sections & SECTION_ODP)
			odp_print(&od);
		if (sections & SECTION_PT)
			pt_print(pb);
		if (sections & SECTION_SCALE)
			scale_print(&sc);
		for (int i = 0; i < nr; i++) {
			printf("  %-50s %8.*f   target %-10s %s\n      %s\n", r[i].what,
			       ratio_digits(&r[i]), r[i].value, r[i].target,
			       r[i].info ? "" : r[i].ok ? "met" : "MISSED",
			       r[i].detail);
			failed += !r[i].ok;
			targets += !r[i].info;
		}
		printf("\n%d of %d targets met\n", targets - failed, targets);
	}
	/* A benchmark that could not run is not a missed target. */
	if ((nv && nv->failed) || od.failed || sc.failed) {
		free(nv);
		return 3;
	}
	for (int v = 0; (sections & SECTION_PT) && v < PT_NR_VARIANTS; v++) {
		if (!pb[v].failed)
			continue;
		free(nv);
		return 3;
	}
	free(nv);
	return failed ? 1 : 0;
}

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: dmastack bench [-t N] [-s SEC] [-g PAGES] [-d DIR] [-b BITS] [-x NS]\n"
		"                      [-m single|sg] [--path direct|swiotlb|iommu]\n"
		"                      [--mode strict|lazy] [--api map|iova|sg]\n"
		"                      [--granule 4K|16K|64K] [--one-device] [-n NODE]\n"
		"                      [--compat | --json]\n"
		"       dmastack bench [-s SEC] [--section core|nvme|odp|pt|iova|size|scale|all] [--json]\n"
		"\n"
		"With options, the kernel's dma_map_benchmark (same flags and meaning,\n"
		"ns per operation); without, the ratio suite, each ratio beside its\n"
		"target.\n"
		"\n"
		"  -t N        threads, 1..64 (default 1)\n"
		"  -s SEC      seconds per measurement, (0, 300] (default 1; the suite: 0.4)\n"
		"  -g PAGES    pages per mapping, 1..1024 (default 1)\n"
		"  -d DIR      0 bidirectional, 1 to device, 2 from device (default 0)\n"
		"  -b BITS     the device's DMA mask, 24..64 (default 32, as the kernel's)\n"
		"  -x NS       delay between map and unmap, at most 10000000 ns (default 0)\n"
		"  -m MODE     single (dma_map_single) or sg (default single)\n"
		"  -n NODE     the NUMA node, -1 for any (default); the machine has node 0\n"
		"  --compat    print dma_map_benchmark's lines: its header, then average\n"
		"              map and unmap latency(us) with their standard deviation\n"
		"  --path P    direct, swiotlb or iommu (default iommu)\n"
		"  --mode M    strict or lazy IOMMU (default lazy)\n"
		"  --api A     map, iova or sg (default map)\n"
		"  --granule G IOMMU granule 4K, 16K or 64K (arm64 for 16K/64K)\n"
		"  --one-device  every thread maps for one device (one domain), as the\n"
		"              kernel's dma_map_benchmark does; else one device each\n"
		"  --section S the part of the ratio suite, or a comma-separated list\n"
		"              (size: parse, p2p and RAM at server size; scale: dma-debug\n"
		"              with 1Mi live 4K mappings against it off, and a NIC moving\n"
		"              1 GiB from a one-range dma-buf through the IOMMU against\n"
		"              below a switch, fixed sizes, 4 GiB of RAM written; both\n"
		"              only when named)\n");
}

/* A whole decimal number in [@min, @max]; false for anything else. */
static bool bench_uint(const char *v, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;
	unsigned long x;

	if (!v || !*v || *v == '-' || *v == '+' || *v == ' ')
		return false;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return false;
	*out = x;
	return true;
}

int cmd_bench(int argc, char **argv, const struct cli_opts *co)
{
	static const struct option longopts[] = {
		{ "section", required_argument, NULL, 'S' },
		{ "path", required_argument, NULL, 'P' },
		{ "mode", required_argument, NULL, 'M' },
		{ "api", required_argument, NULL, 'A' },
		{ "granule", required_argument, NULL, 'G' },
		{ "one-device", no_argument, NULL, 'O' },
		{ "compat", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .threads = 1, .seconds = 1, .pages = 1,
				.dir = DMA_BIDIRECTIONAL, .bits = 32,
				.path = "iommu", .mode = "lazy", .api = "map",
				.node = NUMA_NO_NODE };
	bool custom = false;
	double suite_secs = 0.4;
	int sections = SECTION_ALL;
	char **av = calloc((size_t)argc + 2, sizeof(*av));
	unsigned long x;
	int c;

	if (!av)
		return 1;
	/* getopt wants the command in av[0] */
	av[0] = "dmastack bench";
	for (int i = 0; i < argc; i++)
		av[i + 1] = argv[i];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc + 1, av, ":t:s:g:d:b:x:m:n:h", longopts,
				NULL)) != -1) {
		const char *v = optarg;
		char *end;

		/* -s and --section alone still select the ratio suite */
		if (c != 's' && c != 'S' && c != 'h' && c != '?' && c != ':')
			custom = true;
		switch (c) {
		case 'h':
			bench_usage(stdout);
			free(av);
			return 0;
		case 'S':
			sections = parse_section(v);
			if (!sections)
				goto bad;
			break;
		case 't':
			if (!bench_uint(v, 1, 64, &x))
				goto range;
			o.threads = (unsigned int)x;
			break;
		case 's':
			errno = 0;
			o.seconds = strtod(v, &end);
			if (errno || end == v || *end || !(o.seconds > 0) ||
			    o.seconds > 300)
				goto range;
			suite_secs = o.seconds;
			break;
		case 'g':
			if (!bench_uint(v, 1, 1024, &x))
				goto range;
			o.pages = (unsigned int)x;
			break;
		case 'd':
			if (!bench_uint(v, 0, 2, &x))
				goto range;
			o.dir = (enum dma_data_direction)x;
			break;
		case 'b':
			if (!bench_uint(v, 24, 64, &x))
				goto range;
			o.bits = (unsigned int)x;
			break;
		case 'x':
			if (!bench_uint(v, 0, 10000000, &x))
				goto range;
			o.delay_ns = x;
			break;
		case 'm':
			if (strcmp(v, "single") && strcmp(v, "sg"))
				goto bad;
			o.api = !strcmp(v, "sg") ? "sg" : "map";
			break;
		case 'P':
			if (strcmp(v, "direct") && strcmp(v, "swiotlb") && strcmp(v, "iommu"))
				goto bad;
			o.path = v;
			break;
		case 'O':
			o.shared = true;
			break;
		case 'C':
			o.compat = true;
			break;
		case 'n':
			/* -1 (any, the default) or one of the machine's nodes */
			if (!strcmp(v, "-1")) {
				o.node = NUMA_NO_NODE;
			} else if (bench_uint(v, 0, INT_MAX, &x) && numa_valid_node((int)x)) {
				o.node = (int)x;
			} else {
				fprintf(stderr, "dmastack bench: -n %s: not a NUMA node of the machine (it has node%s 0%s; -1 for any)\n",
					v, MAX_NUMNODES > 1 ? "s" : "",
					MAX_NUMNODES > 1 ? " and up" : "");
				free(av);
				return 2;
			}
			break;
		case 'M':
			if (strcmp(v, "strict") && strcmp(v, "lazy"))
				goto bad;
			o.mode = v;
			break;
		case 'A':
			if (strcmp(v, "map") && strcmp(v, "iova") && strcmp(v, "sg"))
				goto bad;
			o.api = v;
			break;
		case 'G':
			if (strcmp(v, "4K") && strcmp(v, "16K") && strcmp(v, "64K"))
				goto bad;
			o.granule = v;
			break;
		case ':':
			fprintf(stderr, "dmastack bench: %s needs a value\n",
				av[optind - 1]);
			free(av);
			return 2;
		default:
			fprintf(stderr, "dmastack bench: unknown option %s (see dmastack bench --help)\n",
				av[optind - 1]);
			free(av);
			return 2;
		}
		continue;
bad:
		fprintf(stderr, "dmastack bench: bad value %s for %s\n", v,
			av[optind - 1 - (av[optind - 1] == v)]);
		free(av);
		return 2;
range:
		fprintf(stderr, "dmastack bench: out of range: -t 1..64, -s (0,300], -g 1..1024, -b 24..64, -d 0..2, -x <= 10000000 (got %s)\n",
			v);
		free(av);
		return 2;
	}
	if (optind < argc + 1) {
		fprintf(stderr, "dmastack bench: unexpected argument %s\n",
			av[optind]);
		free(av);
		return 2;
	}
	free(av);
	if (o.threads < 1 || o.threads > 64 || o.seconds <= 0 || o.seconds > 300 ||
	    o.pages < 1 || o.pages > 1024 || (o.bits && (o.bits < 24 || o.bits > 64)) ||
	    !valid_dma_direction(o.dir) || o.delay_ns > 10000000) {
		fprintf(stderr, "dmastack bench: out of range: -t 1..64, -s (0,300], -g 1..1024, -b 24..64, -d 0..2, -x <= 10000000\n");
		return 2;
	}
	if (!strcmp(o.api, "iova") && strcmp(o.path, "iommu")) {
		fprintf(stderr, "dmastack bench: --api iova needs --path iommu\n");
		return 2;
	}
	if (!custom)
		return ratio_suite(co, suite_secs, sections);
	if (sections != SECTION_ALL) {
		fprintf(stderr, "dmastack bench: --section is for the ratio suite (no other options but -s)\n");
		return 2;
	}
	if (o.compat && co->json) {
		fprintf(stderr, "dmastack bench: --compat and --json are exclusive\n");
		return 2;
	}
	{
		static const char *const dirs[] = { "BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE" };
		double map, unmap, mops, sd[2];
		double r = run_bench(&o, &map, &unmap, &mops, NULL, sd);

		if (r < 0)
			return 1;
		if (o.compat) {
			/*
			 * dma_map_benchmark's three lines: microseconds from
			 * whole units of 100 ns, as the kernel's results are.
			 */
			printf("dma mapping benchmark: threads:%u seconds:%g node:%d dir:%s granule: %u\n",
			       o.threads, o.seconds, o.node, dirs[o.dir], o.pages);
			printf("average map latency(us):%.1f standard deviation:%.1f\n",
			       us_of_100ns(map), us_of_100ns(sd[0]));
			printf("average unmap latency(us):%.1f standard deviation:%.1f\n",
			       us_of_100ns(unmap), us_of_100ns(sd[1]));
		} else if (co->json) {
			json_object *j = cli_json_root("bench");

			json_object_object_add(j, "path", json_object_new_string(o.path));
			json_object_object_add(j, "mode", json_object_new_string(o.mode));
			json_object_object_add(j, "api", json_object_new_string(o.api));
			json_object_object_add(j, "threads", json_object_new_int((int)o.threads));
			json_object_object_add(j, "pages", json_object_new_int((int)o.pages));
			json_object_object_add(j, "node", json_object_new_int(o.node));
			json_object_object_add(j, "warmup_pairs",
					       json_object_new_uint64(bench_warmup_pairs(&o)));
			json_object_object_add(j, "map_ns", json_object_new_double(map));
			json_object_object_add(j, "map_stddev_ns", json_object_new_double(sd[0]));
			json_object_object_add(j, "unmap_ns", json_object_new_double(unmap));
			json_object_object_add(j, "unmap_stddev_ns", json_object_new_double(sd[1]));
			json_object_object_add(j, "mops", json_object_new_double(mops));
			json_print(j);
			json_object_put(j);
		} else {
			printf("dma mapping benchmark: path=%s%s%s api=%s threads=%u seconds=%g node=%d pages=%u dir=%d bits=%u delay=%luns\n",
			       o.path, !strcmp(o.path, "iommu") ? " mode=" : "",
			       !strcmp(o.path, "iommu") ? o.mode : "", o.api, o.threads,
			       o.seconds, o.node, o.pages, o.dir, o.bits, o.delay_ns);
			printf("  average map latency:   %9.1f ns (standard deviation %.1f ns)\n",
			       map, sd[0]);
			printf("  average unmap latency: %9.1f ns (standard deviation %.1f ns)\n",
			       unmap, sd[1]);
			printf("  throughput:            %9.2f M map+unmap/s\n", mops);
		}
	}
	return 0;
}
