// SPDX-License-Identifier: MIT
/*
 * dmastack bench: DMA mapping microbenchmarks.
 *
 * With options it is dma_map_benchmark (tools/testing/selftests/dma):
 *   -t threads, -s seconds, -g granule (pages per mapping), -d direction
 *   (0 bidirectional, 1 to device, 2 from device), -b DMA mask bits,
 *   -x ns of simulated transfer between map and unmap, -m single|sg
 * plus --path direct|swiotlb|iommu, --mode strict|lazy, --api map|iova|sg,
 * --granule 4K|64K for the IOMMU; it prints ns per operation (not the
 * kernel tool's 100 ns units).
 *
 * Without options it runs the ratio suite: every ratio is measured in the
 * same run and printed beside its target. dma-debug is off while timing
 * (its cost is bench_direct's subject).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "iommu/iommu-priv.h"

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
};

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
				"swiotlb size=64M%s\n",
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
	bool failed;
	pthread_barrier_t *start;
} __attribute__((aligned(64)));	/* ops is written per pair: no false sharing */

struct sample {
	u64 map, unmap;		/* ns in sampled pairs */
	unsigned long n;
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
	u64 t0 = 0, t1 = 0, t2 = 0;
	dma_addr_t a = 0;

	if (smp)
		t0 = now_ns();
	if (!strcmp(o->api, "sg")) {
		if (dma_map_sgtable(w->dev, sgt, o->dir, 0))
			w->failed = true;
	} else if (!strcmp(o->api, "iova")) {
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
	if (!strcmp(o->api, "sg"))
		dma_unmap_sgtable(w->dev, sgt, o->dir, 0);
	else if (!strcmp(o->api, "iova"))
		dma_iova_destroy(w->dev, state, len, o->dir, 0);
	else
		dma_unmap_phys(w->dev, a, len, o->dir, 0);
	if (smp) {
		smp->unmap += now_ns() - t2;
		smp->map += t1 - t0;
		smp->n++;
	}
	w->ops++;
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
	}
	sg_free_table(&sgt);
	return NULL;
}

/* Run the configured benchmark; returns ns per map+unmap pair. */
static double run_bench(const struct bench_opts *o, double *map_ns,
			double *unmap_ns, double *mops, unsigned long *invals)
{
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

		snprintf(id, sizeof(id), "dev%u", i);
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
		if (w[i].pages)
			sim_free_pages(m, w[i].pages, order);
	}
	if (!failed && ops) {
		*map_ns = (double)map / (double)ops;
		*unmap_ns = (double)unmap / (double)ops;
		*mops = (double)ops / ((double)wall / 1e9) / 1e6;
		if (invals)
			*invals = sim_iommu_invalidations(m) - inv0;
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
	char detail[160];
};

static void add_ratio(struct ratio *r, int *nr, const char *what, double value,
		      const char *target, bool ok)
{
	r[*nr].what = what;
	r[*nr].value = value;
	r[*nr].target = target;
	r[*nr].ok = ok;
	r[*nr].detail[0] = '\0';
	(*nr)++;
}

static double pair_ns(const char *path, const char *mode, const char *api,
		      unsigned int threads, unsigned int pages, double secs,
		      double *mops)
{
	struct bench_opts o = { .threads = threads, .seconds = secs,
				.pages = pages, .dir = DMA_BIDIRECTIONAL,
				.path = path, .mode = mode, .api = api };
	double map, unmap, mo = 0;
	double r = run_bench(&o, &map, &unmap, &mo, NULL);

	if (mops)
		*mops = mo;
	return r;
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

/* ns per alloc+free pair on an IOVA domain with @live ranges in the tree. */
static double iova_ns(struct sim_machine *m, unsigned long live, bool cached,
		      double secs)
{
	struct iova_domain *iovad = iova_domain_create(m, SZ_4K, 1, 0);
	unsigned long *pfns, n = 0;
	u64 t0, spent;
	double r = -1;

	if (!iovad)
		return -1;
	pfns = malloc(live * sizeof(*pfns));
	if (!pfns)
		goto out;
	for (unsigned long i = 0; i < live; i++)
		pfns[i] = alloc_iova(iovad, 1, ~0UL >> 20, false);
	t0 = now_ns();
	do {
		for (int k = 0; k < 256; k++) {
			unsigned long p;

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
	r = (double)spent / (double)n;
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

static int ratio_suite(const struct cli_opts *co, double secs)
{
	struct ratio r[8];
	int nr = 0, failed = 0;
	double direct, lazy, one_mops, two_mops, l1, l256;
	double cache, tree64k, tree1k, tree1m, iova_t, map_t, inv_i, inv_m;
	struct sim_machine *m;
	char err[256];

	direct = pair_ns("direct", "lazy", "map", 1, 1, secs, NULL);
	lazy = pair_ns("iommu", "lazy", "map", 1, 1, secs, &one_mops);
	add_ratio(r, &nr, "IOMMU lazy 4K map+unmap / direct", lazy / direct,
				  "<= 5x", lazy / direct <= 5.0);
	snprintf(r[nr - 1].detail, sizeof(r[0].detail), "%.1f ns vs %.1f ns", lazy, direct);

	/*
	 * Scaling is the number a noisy neighbour on a small machine moves
	 * most: one and two threads alternate three times, best of each.
	 */
	two_mops = 0;
	for (int i = 0; i < 3; i++) {
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
		 "%.2f vs %.2f Mops/s (each thread its own device and domain; best of 3)",
		 two_mops, one_mops);

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
		add_ratio(r, &nr, "IOVA alloc+free: tree (64Ki live) / per-thread cache",
					  tree64k / cache, ">= 10x", tree64k / cache >= 10.0);
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

	if (co->json) {
		json_object *root = json_object_new_object(), *arr = json_object_new_array();

		for (int i = 0; i < nr; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "what", json_object_new_string(r[i].what));
			json_object_object_add(o, "value", json_object_new_double(r[i].value));
			json_object_object_add(o, "target", json_object_new_string(r[i].target));
			json_object_object_add(o, "ok", json_object_new_boolean(r[i].ok));
			json_object_object_add(o, "detail", json_object_new_string(r[i].detail));
			json_object_array_add(arr, o);
			failed += !r[i].ok;
		}
		json_object_object_add(root, "ratios", arr);
		json_object_object_add(root, "met", json_object_new_int(nr - failed));
		json_object_object_add(root, "missed", json_object_new_int(failed));
		json_print(root);
		json_object_put(root);
	} else {
		printf("dmastack bench: ratios measured in this run (dma-debug off)\n\n");
		for (int i = 0; i < nr; i++) {
			printf("  %-50s %8.2f   target %-10s %s\n      %s\n", r[i].what,
			       r[i].value, r[i].target, r[i].ok ? "met" : "MISSED",
			       r[i].detail);
			failed += !r[i].ok;
		}
		printf("\n%d of %d targets met\n", nr - failed, nr);
	}
	return failed ? 1 : 0;
}

int cmd_bench(int argc, char **argv, const struct cli_opts *co)
{
	struct bench_opts o = { .threads = 1, .seconds = 1, .pages = 1,
				.dir = DMA_BIDIRECTIONAL, .bits = 0,
				.path = "iommu", .mode = "lazy", .api = "map" };
	bool custom = false;
	double suite_secs = 0.4;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fprintf(stderr, "dmastack bench: %s needs a value\n", a);
			return 2;
		}
		i++;
		custom = true;
		if (!strcmp(a, "-t")) {
			o.threads = (unsigned int)atoi(v);
		} else if (!strcmp(a, "-s")) {
			o.seconds = atof(v);
			suite_secs = o.seconds;
		} else if (!strcmp(a, "-g")) {
			o.pages = (unsigned int)atoi(v);
		} else if (!strcmp(a, "-d")) {
			o.dir = (enum dma_data_direction)atoi(v);
		} else if (!strcmp(a, "-b")) {
			o.bits = (unsigned int)atoi(v);
		} else if (!strcmp(a, "-x")) {
			o.delay_ns = strtoul(v, NULL, 10);
		} else if (!strcmp(a, "-m")) {
			if (strcmp(v, "single") && strcmp(v, "sg"))
				goto bad;
			o.api = !strcmp(v, "sg") ? "sg" : "map";
		} else if (!strcmp(a, "--path")) {
			if (strcmp(v, "direct") && strcmp(v, "swiotlb") && strcmp(v, "iommu"))
				goto bad;
			o.path = v;
		} else if (!strcmp(a, "--mode")) {
			if (strcmp(v, "strict") && strcmp(v, "lazy"))
				goto bad;
			o.mode = v;
		} else if (!strcmp(a, "--api")) {
			if (strcmp(v, "map") && strcmp(v, "iova") && strcmp(v, "sg"))
				goto bad;
			o.api = v;
		} else if (!strcmp(a, "--granule")) {
			if (strcmp(v, "4K") && strcmp(v, "16K") && strcmp(v, "64K"))
				goto bad;
			o.granule = v;
		} else {
			goto bad;
		}
		continue;
bad:
		fprintf(stderr, "dmastack bench: bad option %s %s\n", a, v);
		return 2;
	}
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
	if (!custom || (argc == 2 && !strcmp(argv[0], "-s")))
		return ratio_suite(co, suite_secs);
	{
		double map, unmap, mops;
		double r = run_bench(&o, &map, &unmap, &mops, NULL);

		if (r < 0)
			return 1;
		if (co->json) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "path", json_object_new_string(o.path));
			json_object_object_add(j, "mode", json_object_new_string(o.mode));
			json_object_object_add(j, "api", json_object_new_string(o.api));
			json_object_object_add(j, "threads", json_object_new_int((int)o.threads));
			json_object_object_add(j, "pages", json_object_new_int((int)o.pages));
			json_object_object_add(j, "map_ns", json_object_new_double(map));
			json_object_object_add(j, "unmap_ns", json_object_new_double(unmap));
			json_object_object_add(j, "mops", json_object_new_double(mops));
			json_print(j);
			json_object_put(j);
		} else {
			printf("dma mapping benchmark: path=%s%s%s api=%s threads=%u seconds=%.1f pages=%u dir=%d bits=%u delay=%luns\n",
			       o.path, !strcmp(o.path, "iommu") ? " mode=" : "",
			       !strcmp(o.path, "iommu") ? o.mode : "", o.api, o.threads,
			       o.seconds, o.pages, o.dir, o.bits, o.delay_ns);
			printf("  average map latency:   %9.1f ns\n", map);
			printf("  average unmap latency: %9.1f ns\n", unmap);
			printf("  throughput:            %9.2f M map+unmap/s\n", mops);
		}
	}
	return 0;
}
