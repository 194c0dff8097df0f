// SPDX-License-Identifier: MIT
/*
 * The trace.dat read back with libtraceevent (issue 13, item 1): the file
 * is parsed as trace-cmd.dat.v6(5) describes it, the header page and every
 * event format go to tep_parse_header_page()/tep_parse_event(), the CPU
 * data to kbuffer, and every record is checked: its event, CPU, PID and
 * timestamp against the text trace of the same run, its body as
 * tep_print_event() prints it, field values, the scatterlist arrays cut at
 * 128 entries as the kernel's dma_map_sg cuts them, the time extend of a
 * long gap, two machines sharing one writer with time that never goes
 * back, and tasks as the cmdlines name them (two machines' tasks with one
 * pid told apart).
 */
#include <pthread.h>
#include <traceevent/event-parse.h>
#include <traceevent/kbuffer.h>
#include <traceevent/trace-seq.h>
#undef __maybe_unused	/* libtraceevent's; dmastack's follows */
#include <dmastack/linux/sched.h>
#include "helpers.h"

#define DAT_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"iommu id=io0 format=x86_64 mode=lazy\n"			\
	"hostbridge id=hb0 iommu=io0 p2p=allow\n"			\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0 dma-bits=64\n"

struct rec {
	struct tep_record r;
	char event[64];
	char body[2048];
};

struct parsed {
	struct tep_handle *tep;
	struct rec *recs;
	int n, cap, ncpu;
	unsigned int events;		/* formats */
	unsigned char *file;
};

static unsigned char *slurp(FILE *f, size_t *len)
{
	long n;
	unsigned char *buf;

	fflush(f);
	n = ftell(f);
	assert_true(n > 0);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	*len = (size_t)n;
	return buf;
}

static u64 rd(const unsigned char **p, unsigned int size)
{
	u64 v = 0;

	memcpy(&v, *p, size);		/* the file is little endian, as the host */
	*p += size;
	return v;
}

static void add_record(struct parsed *ps, int cpu, void *data, int size,
		       unsigned long long ts)
{
	struct trace_seq s;
	struct tep_event *ev;
	struct rec *r;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 256;
		ps->recs = realloc(ps->recs, (size_t)ps->cap * sizeof(*ps->recs));
		assert_non_null(ps->recs);
	}
	r = &ps->recs[ps->n++];
	memset(r, 0, sizeof(*r));
	r->r.ts = ts;
	r->r.cpu = cpu;
	r->r.data = data;
	r->r.size = size;
	ev = tep_find_event(ps->tep, tep_data_type(ps->tep, &r->r));
	assert_non_null(ev);
	snprintf(r->event, sizeof(r->event), "%s", ev->name);
	trace_seq_init(&s);
	tep_print_event(ps->tep, &s, &r->r, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&s);
	snprintf(r->body, sizeof(r->body), "%s", s.buffer);
	trace_seq_destroy(&s);
}

/* Parse the whole file; every step must be as the format says. */
static void parse(struct parsed *ps, FILE *f)
{
	size_t len;
	const unsigned char *p;
	u64 sz;
	u32 n, ncpu;

	memset(ps, 0, sizeof(*ps));
	ps->file = slurp(f, &len);
	p = ps->file;
	assert_memory_equal(p, "\x17\x08\x44tracing", 10);
	p += 10;
	assert_string_equal((const char *)p, "6");
	p += 2;
	assert_int_equal(*p++, 0);		/* little endian */
	assert_int_equal(*p++, 8);		/* long */
	assert_int_equal(rd(&p, 4), 4096);	/* page size */

	ps->tep = tep_alloc();
	assert_non_null(ps->tep);
	tep_set_file_bigendian(ps->tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(ps->tep, TEP_LITTLE_ENDIAN);
	tep_set_long_size(ps->tep, 8);
	tep_set_page_size(ps->tep, 4096);

	assert_string_equal((const char *)p, "header_page");
	p += 12;
	sz = rd(&p, 8);
	assert_int_equal(tep_parse_header_page(ps->tep, (char *)p, sz, 8), 0);
	p += sz;
	assert_string_equal((const char *)p, "header_event");
	p += 13;
	sz = rd(&p, 8);
	p += sz;
	assert_int_equal(rd(&p, 4), 0);		/* ftrace formats */
	n = (u32)rd(&p, 4);			/* systems */
	assert_int_equal(n, 5);
	for (u32 s = 0; s < n; s++) {
		const char *sys = (const char *)p;
		u32 ne;

		p += strlen(sys) + 1;
		ne = (u32)rd(&p, 4);
		for (u32 e = 0; e < ne; e++) {
			sz = rd(&p, 8);
			assert_int_equal(tep_parse_event(ps->tep, (const char *)p,
							 sz, sys), 0);
			p += sz;
			ps->events++;
		}
	}
	assert_int_equal(rd(&p, 4), 0);		/* kallsyms */
	assert_int_equal(rd(&p, 4), 0);		/* printk formats */
	sz = rd(&p, 8);				/* cmdlines */
	{
		char *cl = strndup((const char *)p, sz), *save = NULL;

		for (char *l = strtok_r(cl, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			int pid;
			char comm[32];

			assert_int_equal(sscanf(l, "%d %31s", &pid, comm), 2);
			/* one name per pid */
			assert_false(tep_is_pid_registered(ps->tep, pid));
			assert_int_equal(tep_register_comm(ps->tep, comm, pid), 0);
		}
		free(cl);
	}
	p += sz;
	ncpu = (u32)rd(&p, 4);
	ps->ncpu = (int)ncpu;
	assert_memory_equal(p, "flyrecord", 10);
	p += 10;
	for (u32 c = 0; c < ncpu; c++) {
		u64 off = rd(&p, 8), size = rd(&p, 8);
		struct kbuffer *kb = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);

		assert_non_null(kb);
		assert_int_equal(off % 4096, 0);
		assert_int_equal(size % 4096, 0);
		assert_true(off + size <= len);
		for (u64 pg = 0; pg < size; pg += 4096) {
			unsigned long long ts;
			void *d;

			assert_int_equal(kbuffer_load_subbuffer(kb, ps->file + off + pg), 0);
			for (d = kbuffer_read_event(kb, &ts); d;
			     d = kbuffer_next_event(kb, &ts))
				add_record(ps, (int)c, d, kbuffer_event_size(kb), ts);
		}
		kbuffer_free(kb);
	}
}

static void parsed_free(struct parsed *ps)
{
	free(ps->recs);
	free(ps->file);
	tep_free(ps->tep);
}

static unsigned long long field(struct parsed *ps, struct rec *r, const char *name)
{
	struct tep_event *ev = tep_find_event(ps->tep, tep_data_type(ps->tep, &r->r));
	unsigned long long v = 0;
	struct trace_seq s;

	trace_seq_init(&s);
	assert_int_equal(tep_get_field_val(&s, ev, name, &r->r, &v, 1), 0);
	trace_seq_destroy(&s);
	return v;
}

static const char *str_field(struct parsed *ps, struct rec *r, const char *name,
			     int *len)
{
	struct tep_event *ev = tep_find_event(ps->tep, tep_data_type(ps->tep, &r->r));
	struct trace_seq s;
	const char *v;

	trace_seq_init(&s);
	v = tep_get_field_raw(&s, ev, name, &r->r, len, 1);
	trace_seq_destroy(&s);
	assert_non_null(v);
	return v;
}

/* "COMM-PID" of @r's task, as the report prints it. */
static const char *task_of(struct parsed *ps, struct rec *r)
{
	static char buf[40];
	int pid = tep_data_pid(ps->tep, &r->r);

	snprintf(buf, sizeof(buf), "%s-%d", tep_data_comm_from_pid(ps->tep, pid), pid);
	return buf;
}

struct other {
	struct device *dev;
	phys_addr_t phys;
};

/* A thread named "worker" maps and unmaps once. */
static void *other_thread(void *arg)
{
	struct other *o = arg;
	dma_addr_t a;

	pthread_setname_np(pthread_self(), "worker");
	a = dma_map_phys(o->dev, o->phys, 64, DMA_TO_DEVICE, 0);
	if (!dma_mapping_error(o->dev, a))
		dma_unmap_phys(o->dev, a, 64, DMA_TO_DEVICE, 0);
	return NULL;
}

#define MAXL 2048
static char ttask[MAXL][40];

/*
 * The text trace's lines of CPU @cpu: event name and body, in order, and
 * the task ("COMM-PID") in ttask[].
 */
static int text_lines(char *txt, int cpu, char ev[][64], char body[][2048],
		      unsigned long long *us, int max)
{
	char tag[16];
	int n = 0;

	snprintf(tag, sizeof(tag), "[%03d]", cpu);
	for (char *l = strtok(txt, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned long long sec, usec;
		char *c;

		if (l[0] == '#' || !strstr(l, tag))
			continue;
		assert_true(n < max);
		c = strstr(l, "..... ");
		assert_non_null(c);
		assert_int_equal(sscanf(l, "%39s", ttask[n]), 1);
		assert_int_equal(sscanf(c + 6, "%llu.%llu:", &sec, &usec), 2);
		us[n] = sec * 1000000 + usec;
		c = strchr(c + 6, ':') + 2;
		snprintf(ev[n], 64, "%.*s", (int)(strchr(c, ':') - c), c);
		snprintf(body[n], 2048, "%s", strchr(c, ':') + 2);
		n++;
	}
	return n;
}

static char tev[MAXL][64];
static char tbody[MAXL][2048];
static unsigned long long tus[MAXL];

static void test_dat_reads_back(void **state)
{
	struct sim_machine *m = machine_from(DAT_PLATFORM);
	struct sim_machine *m2 = machine_from(DAT_PLATFORM);
	struct device *dev = dev_of(m, "dev0"), *dev2 = dev_of(m2, "dev0");
	struct page *pg = sim_alloc_pages(m, 0), *pg2 = sim_alloc_pages(m2, 0);
	struct other o = { dev, page_to_phys(pg) };
	FILE *df = tmpfile(), *tf = tmpfile();
	struct sim_trace_dat *d = sim_trace_dat_open(df);
	struct sg_table sgt;
	struct scatterlist *sg;
	struct parsed ps;
	pthread_t th;
	dma_addr_t a;
	size_t tlen;
	char *txt;
	int i, nt, sg_seen = 0, report_seen = 0, n0 = 0;
	unsigned long long last_a = 0;

	(void)state;
	assert_non_null(d);
	assert_non_null(tf);
	sim_dma_debug_enable(m, true);
	sim_trace_set_dat(m, d);
	sim_trace_set_file(m, tf);
	sim_trace_set_dat(m2, d);

	/* CPU 0, then CPU 1 (a second thread), then a gap of 1.234567 s */
	a = dma_map_phys(dev, o.phys, 64, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(pthread_create(&th, NULL, other_thread, &o), 0);
	pthread_join(th, NULL);
	sim_clock_advance(m, 1234567000ULL);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	/* enough events for several ring-buffer pages */
	for (i = 0; i < 300; i++) {
		a = dma_map_phys(dev, o.phys + (i % 64) * 64, 64,
				 DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
		assert_false(dma_mapping_error(dev, a));
		sim_clock_advance(m, 1000);
		dma_unmap_phys(dev, a, 64, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	}
	/* a scatterlist of 200 entries: the arrays keep 128 */
	assert_int_equal(sg_alloc_table(&sgt, 200, GFP_KERNEL), 0);
	for_each_sg(sgt.sgl, sg, 200, i)
		sg_set_page(sg, pg, 16, (unsigned int)i * 16);
	assert_true(dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0) == 0);
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	/* a report: an unmap of what was never mapped */
	dma_unmap_phys(dev, 0x7000, 64, DMA_TO_DEVICE, 0);
	sim_trace_set_file(m, NULL);
	sim_trace_set_dat(m, NULL);
	/* the second machine's clock is at 0: the file's time goes on */
	a = dma_map_phys(dev2, page_to_phys(pg2), 128, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(dev2, a));
	dma_unmap_phys(dev2, a, 128, DMA_TO_DEVICE, 0);
	sim_trace_set_dat(m2, NULL);
	assert_int_equal(sim_trace_dat_close(d), 0);

	parse(&ps, df);
	assert_int_equal(ps.ncpu, 2);
	assert_true(ps.events >= 30);
	txt = (char *)slurp(tf, &tlen);
	txt = realloc(txt, tlen + 1);
	txt[tlen] = '\0';

	/* CPU 0: the text trace's events, then the second machine's two */
	{
		char *copy = strdup(txt);

		nt = text_lines(copy, 0, tev, tbody, tus, MAXL);
		free(copy);
	}
	assert_true(nt > 600);
	for (i = 0; i < ps.n; i++) {
		struct rec *r = &ps.recs[i];

		if (i && ps.recs[i - 1].r.cpu == r->r.cpu)
			assert_true(r->r.ts >= ps.recs[i - 1].r.ts);
		if (r->r.cpu != 0)
			continue;
		if (n0 < nt) {
			assert_string_equal(r->event, tev[n0]);
			/* the task the text names, through the cmdlines */
			assert_string_equal(task_of(&ps, r), ttask[n0]);
			/* the machine clock: the text's microseconds */
			assert_int_equal(r->r.ts / 1000, tus[n0]);
			last_a = r->r.ts;
			if (strcmp(r->event, "dma_map_sg") && strcmp(r->event, "dma_unmap_sg"))
				assert_string_equal(r->body, tbody[n0]);
		} else {
			/* the second machine: after the first's last event */
			assert_true(r->r.ts >= last_a);
			assert_true(!strcmp(r->event, "dma_map_phys") ||
				    !strcmp(r->event, "dma_unmap_phys") ||
				    !strcmp(r->event, "map") || !strcmp(r->event, "unmap"));
		}
		if (!strcmp(r->event, "dma_map_sg")) {
			int len;
			const u64 *phys = (const u64 *)str_field(&ps, r, "phys_addrs", &len);

			assert_int_equal(len, 128 * 8);
			assert_int_equal(phys[1], page_to_phys(pg) + 16);
			str_field(&ps, r, "lengths", &len);
			assert_int_equal(len, 128 * 4);
			assert_int_equal(field(&ps, r, "full_nents"), 200);
			assert_int_equal(field(&ps, r, "full_ents"), sgt.nents);
			assert_int_equal(field(&ps, r, "truncated"), 1);
			assert_non_null(strstr(r->body, " nents=128/200 ents="));
			assert_non_null(strstr(r->body, " [TRUNCATED] dma_addrs="));
			assert_non_null(strstr(tbody[n0], " nents=128/200 ents="));
			assert_string_equal(str_field(&ps, r, "device", &len), dev_name(dev));
			assert_int_equal(field(&ps, r, "dir"), DMA_TO_DEVICE);
			sg_seen++;
		}
		if (!strcmp(r->event, "dmastack_report")) {
			const char *kind;
			int len;

			kind = str_field(&ps, r, "kind", &len);

			/* a warning of the IOMMU, dma-debug's report */
			if (!strcmp(kind, "dma-debug")) {
				char want[48];

				assert_non_null(strstr(str_field(&ps, r, "text", &len),
						       "DMA-API: "));
				snprintf(want, sizeof(want), " addr=0x%llx ",
					 field(&ps, r, "addr"));
				assert_non_null(strstr(r->body, want));
				report_seen++;
			}
		}
		if (!strcmp(r->event, "dma_unmap_phys") &&
		    field(&ps, r, "attrs") == DMA_ATTR_SKIP_CPU_SYNC)
			assert_non_null(strstr(r->body, "attrs=SKIP_CPU_SYNC"));
		n0++;
	}
	assert_true(n0 > nt);		/* the second machine's events */
	assert_int_equal(sg_seen, 1);
	assert_int_equal(report_seen, 1);
	/* CPU 1: the second thread's events */
	{
		char *copy = strdup(txt);
		int n1 = 0;

		nt = text_lines(copy, 1, tev, tbody, tus, MAXL);
		free(copy);
		assert_int_equal(nt, 4);	/* map, dma_map_phys, unmap, dma_unmap_phys */
		for (i = 0; i < ps.n; i++)
			if (ps.recs[i].r.cpu == 1) {
				assert_string_equal(ps.recs[i].event, tev[n1]);
				assert_string_equal(task_of(&ps, &ps.recs[i]), ttask[n1]);
				assert_non_null(strstr(ttask[n1], "worker-"));
				assert_string_equal(ps.recs[i].body, tbody[n1]);
				n1++;
			}
		assert_int_equal(n1, nt);
	}
	/* the gap of 1.234567 s is in the file (a time extend) */
	assert_non_null(strstr(txt, "     1.234567: dma_unmap_phys: "));

	free(txt);
	parsed_free(&ps);
	fclose(df);
	fclose(tf);
	sg_free_table(&sgt);
	sim_free_pages(m, pg, 0);
	sim_free_pages(m2, pg2, 0);
	sim_machine_destroy(m);
	sim_machine_destroy(m2);
}

/* An empty writer still makes a file trace-cmd reads: one CPU, no data. */
static void test_dat_empty(void **state)
{
	FILE *df = tmpfile();
	struct sim_trace_dat *d = sim_trace_dat_open(df);
	struct parsed ps;

	(void)state;
	assert_non_null(d);
	assert_int_equal(sim_trace_dat_close(d), 0);
	parse(&ps, df);
	assert_int_equal(ps.ncpu, 1);
	assert_int_equal(ps.n, 0);
	parsed_free(&ps);
	fclose(df);
}

struct named {
	struct sim_machine *m;
	const char *name;
	int pid;		/* out */
};

/* A thread named @name maps and unmaps once on @m's dev0. */
static void *named_thread(void *arg)
{
	struct named *n = arg;
	struct device *dev = sim_device(n->m, "dev0");
	struct page *pg = sim_alloc_pages(n->m, 0);
	dma_addr_t a;

	pthread_setname_np(pthread_self(), n->name);
	a = dma_map_phys(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	if (!dma_mapping_error(dev, a))
		dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	n->pid = current->pid;
	sim_free_pages(n->m, pg, 0);
	return NULL;
}

/*
 * Machines number their tasks each from 1: two threads that first trace on
 * two machines can have one pid. Sharing a writer, they stay two tasks:
 * the second gets a pid of the file's own, and each event its own name.
 */
static void test_dat_pid_shared_by_machines(void **state)
{
	struct sim_machine *m1 = machine_from(DAT_PLATFORM);
	struct sim_machine *m2 = machine_from(DAT_PLATFORM);
	struct named a = { m1, "alpha", 0 }, b = { m2, "beta", 0 };
	FILE *df = tmpfile();
	struct sim_trace_dat *d = sim_trace_dat_open(df);
	struct parsed ps;
	pthread_t th;
	int pa = -1, pb = -1, na = 0, nb = 0;

	(void)state;
	assert_non_null(d);
	sim_trace_set_dat(m1, d);
	sim_trace_set_dat(m2, d);
	assert_int_equal(pthread_create(&th, NULL, named_thread, &a), 0);
	pthread_join(th, NULL);
	assert_int_equal(pthread_create(&th, NULL, named_thread, &b), 0);
	pthread_join(th, NULL);
	/* the case at hand: one pid for both tasks */
	assert_int_equal(a.pid, b.pid);
	sim_trace_set_dat(m1, NULL);
	sim_trace_set_dat(m2, NULL);
	assert_int_equal(sim_trace_dat_close(d), 0);
	parse(&ps, df);
	for (int i = 0; i < ps.n; i++) {
		int pid = tep_data_pid(ps.tep, &ps.recs[i].r);
		const char *comm = tep_data_comm_from_pid(ps.tep, pid);

		if (!strcmp(comm, "alpha")) {
			assert_true(pa < 0 || pa == pid);
			pa = pid;
			na++;
		} else {
			assert_string_equal(comm, "beta");
			assert_true(pb < 0 || pb == pid);
			pb = pid;
			nb++;
		}
	}
	assert_true(na >= 2 && nb >= 2);	/* map and unmap, each */
	assert_int_equal(pa, a.pid);		/* the first keeps its pid */
	assert_int_not_equal(pb, pa);
	parsed_free(&ps);
	fclose(df);
	sim_machine_destroy(m1);
	sim_machine_destroy(m2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dat_reads_back),
		cmocka_unit_test(test_dat_pid_shared_by_machines),
		cmocka_unit_test(test_dat_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
