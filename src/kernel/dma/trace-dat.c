// SPDX-License-Identifier: MIT
/*
 * The trace as trace-cmd's trace.dat, version 6 (trace-cmd.dat.v6(5)),
 * which `trace-cmd report -i FILE` and KernelShark open:
 *
 *   "\x17\x08\x44tracing" "6\0", endianness, sizeof(long), page size;
 *   header_page and header_event: the ring buffer's page and event
 *     headers, described as the kernel's events/header_page and
 *     events/header_event describe them;
 *   no ftrace formats; the event formats, per system ("dma", "iommu",
 *     "swiotlb", "irq", "dmastack"), each as the kernel's
 *     events/SYSTEM/EVENT/format: name, ID, the common fields, the
 *     event's fields with offset, size and sign, and the print fmt;
 *   empty kallsyms and printk formats; the cmdlines: "PID COMM" for
 *     every task that traced (sim_trace_task());
 *   the CPU count and "flyrecord": per CPU the offset and size of its data;
 *   the CPU data, page aligned: ring-buffer pages of 4 KiB, each a 64-bit
 *     timestamp, a 64-bit commit (bytes of events in the page) and the
 *     events: a 32-bit header (type_len 0, the time delta from the event
 *     before in the upper 27 bits), the length, and the record (common
 *     header, then the fields, then the __data_loc strings and arrays); a
 *     delta of 2^27 ns or more is a time-extend event before it.
 *
 * The records are what the kernel's ring buffer holds, so the events read
 * as the kernel's do. Events are kept in memory and the file is written
 * when the writer is closed (the header holds every CPU's data offset).
 *
 * CPU: the simulated thread's index; PID and COMM: the task's (a pid two
 * machines' tasks share is told apart: dat_task_pid()). Timestamps
 * are the machine clock; when several machines share a writer (the main
 * job) each machine's clock is moved forward by just what keeps the file's
 * time from going back, so time in the file never decreases and within a
 * run of one machine's events the gaps are the machine's.
 *
 * Limits of a record (a ring-buffer event fits in one page): strings are
 * cut at TRACE_DAT_STR_MAX bytes, scatterlist arrays at TRACE_DAT_SG_MAX
 * entries (the text trace prints more of them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dma.h"
#include "trace-event.h"

#define DAT_PAGE		4096u
#define DAT_PAGE_HDR		16u	/* timestamp, commit */
#define DAT_PAGE_DATA		(DAT_PAGE - DAT_PAGE_HDR)
#define DAT_TS_BITS		27
#define DAT_TYPE_TIME_EXTEND	30
#define TRACE_DAT_STR_MAX	1024
#define TRACE_DAT_SG_MAX	128	/* the kernel's DMA_TRACE_MAX_ENTRIES */
#define DAT_COMMON		8	/* type, flags, preempt_count, pid */

struct dat_cpu {
	unsigned char *pages;
	size_t npages, cap;
	size_t used;		/* bytes of events in the last page */
	u64 last_ts;		/* of the last event */
};

/*
 * A task that traced: the cmdlines' "PID COMM". Machines number their
 * tasks each from 1, so two machines sharing a writer (the main job's)
 * can have different tasks with one pid: the second gets a pid of the
 * file's own (@file_pid), after the highest so far.
 */
struct dat_task {
	int pid;		/* the machine's */
	char comm[16];
	int file_pid;		/* in the file */
};

struct sim_trace_dat {
	pthread_mutex_t lock;
	FILE *f;
	struct dat_cpu *cpu;
	int ncpu;
	struct dat_task *tasks;	/* in the order they first traced */
	size_t ntasks, cap_tasks;
	u64 last;		/* the newest timestamp in the file */
	int err;		/* the first allocation failure */
};

/**
 * sim_trace_dat_open - a trace.dat writer on @f
 *
 * Attach it to machines with sim_trace_set_dat(); nothing is written
 * before sim_trace_dat_close().
 */
struct sim_trace_dat *sim_trace_dat_open(FILE *f)
{
	struct sim_trace_dat *d;

	if (!f)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	d->f = f;
	return d;
}

/* Field offsets as the kernel lays out its entry struct. */
static unsigned int field_offset(const struct trace_event *ev, unsigned int i,
				 unsigned int *end)
{
	unsigned int off = DAT_COMMON, at = 0;

	for (unsigned int k = 0; k <= i && k < ev->nfields; k++) {
		unsigned int sz = ev->fields[k].size;

		off = (off + sz - 1) & ~(sz - 1);
		at = off;
		off += sz;
	}
	if (end)
		*end = off;
	return at;
}

static void put(unsigned char *p, u64 v, unsigned int size)
{
	switch (size) {
	case 1: { u8 x = (u8)v; memcpy(p, &x, 1); break; }
	case 2: { u16 x = (u16)v; memcpy(p, &x, 2); break; }
	case 4: { u32 x = (u32)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/* The record of @ev with @v, into @rec (at least DAT_PAGE_DATA bytes); its length. */
static unsigned int build_record(unsigned char *rec, int id, int pid,
				 const struct trace_event *ev,
				 const union trace_val *v)
{
	unsigned int end, dyn;

	field_offset(ev, ev->nfields - 1, &end);
	memset(rec, 0, end);
	put(rec, (u64)id, 2);
	put(rec + 4, (u64)pid, 4);
	dyn = end;
	for (unsigned int i = 0; i < ev->nfields; i++) {
		const struct trace_field *fl = &ev->fields[i];
		unsigned int off = field_offset(ev, i, NULL), len = 0;

		switch (fl->kind) {
		case TF_NUM:
			put(rec + off, v[i].u, fl->size);
			continue;
		case TF_STR: {
			const char *s = v[i].s ? v[i].s : "";

			len = (unsigned int)strnlen(s, TRACE_DAT_STR_MAX - 1);
			memcpy(rec + dyn, s, len);
			rec[dyn + len++] = '\0';
			break;
		}
		case TF_SG: {
			struct scatterlist *sg;
			int k, n = v[i].sg.n < TRACE_DAT_SG_MAX ? v[i].sg.n :
				   TRACE_DAT_SG_MAX;

			if (!v[i].sg.sgl)
				n = 0;
			for_each_sg(v[i].sg.sgl, sg, n, k) {
				put(rec + dyn + len,
				    trace_sg_value(sg, v[i].sg.what), fl->elem);
				len += fl->elem;
			}
			break;
		}
		}
		put(rec + off, ((u64)len << 16) | dyn, 4);
		dyn += len;
		/* zeroed padding: the file depends on the events only */
		while (dyn & 3)
			rec[dyn++] = 0;
	}
	return dyn;
}

static unsigned char *cur_page(struct dat_cpu *c)
{
	return c->pages + (c->npages - 1) * DAT_PAGE;
}

static int new_page(struct dat_cpu *c, u64 ts)
{
	unsigned char *p;

	if (c->npages == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		p = realloc(c->pages, cap * DAT_PAGE);
		if (!p)
			return -ENOMEM;
		c->pages = p;
		c->cap = cap;
	}
	c->npages++;
	p = cur_page(c);
	memset(p, 0, DAT_PAGE);
	put(p, ts, 8);
	c->used = 0;
	c->last_ts = ts;
	return 0;
}

/* One event into @cpu's ring-buffer pages. */
static int cpu_add(struct dat_cpu *c, u64 ts, const unsigned char *rec,
		   unsigned int len)
{
	unsigned int need = 8 + len;
	unsigned char *p;
	u64 delta;

	if (!c->npages || c->used + need > DAT_PAGE_DATA) {
		if (new_page(c, ts))
			return -ENOMEM;
	}
	delta = ts - c->last_ts;
	if (delta >> DAT_TS_BITS) {
		if (c->used + need + 8 > DAT_PAGE_DATA) {
			if (new_page(c, ts))
				return -ENOMEM;
			delta = 0;
		} else {
			p = cur_page(c) + DAT_PAGE_HDR + c->used;
			put(p, DAT_TYPE_TIME_EXTEND |
			       ((delta & ((1u << DAT_TS_BITS) - 1)) << 5), 4);
			put(p + 4, delta >> DAT_TS_BITS, 4);
			c->used += 8;
			delta = 0;
		}
	}
	p = cur_page(c) + DAT_PAGE_HDR + c->used;
	put(p, delta << 5, 4);			/* type_len 0: length follows */
	put(p + 4, len + 4, 4);
	memcpy(p + 8, rec, len);
	c->used += need;
	c->last_ts = ts;
	put(cur_page(c) + 8, c->used, 8);	/* commit */
	return 0;
}

/* The file's pid of task @pid named @comm (registered the first time), or -ENOMEM. */
static int dat_task_pid(struct sim_trace_dat *d, int pid, const char *comm)
{
	struct dat_task *t;
	int file_pid = pid;

	for (size_t i = 0; i < d->ntasks; i++) {
		t = &d->tasks[i];
		if (t->pid == pid && !strncmp(t->comm, comm, sizeof(t->comm) - 1))
			return t->file_pid;
	}
	for (size_t i = 0; i < d->ntasks; i++)
		if (d->tasks[i].file_pid == file_pid) {
			/* taken by another task: one after the highest */
			for (size_t k = 0; k < d->ntasks; k++)
				file_pid = max(file_pid, d->tasks[k].file_pid + 1);
			break;
		}
	if (d->ntasks == d->cap_tasks) {
		size_t cap = d->cap_tasks ? 2 * d->cap_tasks : 16;

		t = realloc(d->tasks, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		d->tasks = t;
		d->cap_tasks = cap;
	}
	t = &d->tasks[d->ntasks++];
	t->pid = pid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	t->file_pid = file_pid;
	return file_pid;
}

void trace_dat_add(struct sim_trace_dat *d, struct sim_machine *m, int cpu,
		   int pid, const char *comm, u64 ns,
		   const struct trace_event *ev, const union trace_val *v)
{
	unsigned char rec[DAT_PAGE_DATA];
	unsigned int len;
	int id = TRACE_EVENT_ID_BASE + (int)(ev - trace_event_table);
	u64 ts;

	pthread_mutex_lock(&d->lock);
	pid = dat_task_pid(d, pid, comm);
	if (pid < 0) {
		d->err = pid;
		goto out;
	}
	len = build_record(rec, id, pid, ev, v);
	ts = ns + m->kernel->trace.dat_off;
	if (ts < d->last) {
		m->kernel->trace.dat_off += d->last - ts;
		ts = d->last;
	}
	d->last = ts;
	if (cpu >= d->ncpu) {
		struct dat_cpu *c = realloc(d->cpu, (size_t)(cpu + 1) * sizeof(*c));

		if (!c) {
			d->err = -ENOMEM;
			goto out;
		}
		memset(c + d->ncpu, 0, (size_t)(cpu + 1 - d->ncpu) * sizeof(*c));
		d->cpu = c;
		d->ncpu = cpu + 1;
	}
	if (cpu_add(&d->cpu[cpu], ts, rec, len))
		d->err = -ENOMEM;
out:
	pthread_mutex_unlock(&d->lock);
}

/* ------------------------------------------------------------------------ */
/* The file                                                                 */
/* ------------------------------------------------------------------------ */

static void w32(FILE *f, u32 v) { fwrite(&v, 4, 1, f); }
static void w64(FILE *f, u64 v) { fwrite(&v, 8, 1, f); }

/* A section written as its 64-bit size and its text. */
static void wtext64(FILE *f, const char *s)
{
	w64(f, strlen(s));
	fputs(s, f);
}

/* The format file of event @i. */
static char *event_format(unsigned int i)
{
	const struct trace_event *ev = &trace_event_table[i];
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	fprintf(m, "name: %s\nID: %u\nformat:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n",
		ev->name, TRACE_EVENT_ID_BASE + i);
	for (unsigned int k = 0; k < ev->nfields; k++) {
		const struct trace_field *fl = &ev->fields[k];
		const char *br = strchr(fl->type, '[');

		/* "__data_loc u64[] name": the brackets follow the type */
		if (br)
			fprintf(m, "\tfield:%.*s %s[];", (int)(br - fl->type),
				fl->type, fl->name);
		else
			fprintf(m, "\tfield:%s %s;", fl->type, fl->name);
		fprintf(m, "\toffset:%u;\tsize:%u;\tsigned:%d;\n",
			field_offset(ev, k, NULL), fl->size, fl->is_signed);
	}
	fprintf(m, "\nprint fmt: %s\n", ev->print_fmt);
	fclose(m);
	return buf;
}

static int write_file(struct sim_trace_dat *d)
{
	static const char *const systems[] = {
		"dma", "swiotlb", "iommu", "irq", "dmastack",
	};
	FILE *f = d->f;
	int ncpu = d->ncpu ? d->ncpu : 1;
	char *cmdlines = NULL;
	size_t clen = 0;
	FILE *cm;
	long pos;
	u64 off;

	fwrite("\x17\x08\x44tracing", 1, 10, f);
	fwrite("6", 1, 2, f);
	{
		u16 one = 1;
		unsigned char big = *(unsigned char *)&one == 0;
		unsigned char lsz = sizeof(long);

		fwrite(&big, 1, 1, f);
		fwrite(&lsz, 1, 1, f);
	}
	w32(f, DAT_PAGE);

	fwrite("header_page", 1, 12, f);
	{
		char hp[512];

		snprintf(hp, sizeof(hp),
			 "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
			 "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
			 "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
			 "\tfield: char data;\toffset:16;\tsize:%u;\tsigned:1;\n",
			 DAT_PAGE_DATA);
		wtext64(f, hp);
	}
	fwrite("header_event", 1, 13, f);
	wtext64(f, "# compressed entry header\n"
		   "\ttype_len    :    5 bits\n"
		   "\ttime_delta  :   27 bits\n"
		   "\tarray       :   32 bits\n\n"
		   "\tpadding     : type == 29\n"
		   "\ttime_extend : type == 30\n"
		   "\ttime_stamp : type == 31\n"
		   "\tdata max type_len  == 28\n");

	w32(f, 0);			/* ftrace formats */
	w32(f, ARRAY_SIZE(systems));
	for (size_t s = 0; s < ARRAY_SIZE(systems); s++) {
		u32 n = 0;

		fwrite(systems[s], 1, strlen(systems[s]) + 1, f);
		for (unsigned int i = 0; i < trace_event_count; i++)
			n += !strcmp(trace_event_table[i].system, systems[s]);
		w32(f, n);
		for (unsigned int i = 0; i < trace_event_count; i++) {
			char *fmt;

			if (strcmp(trace_event_table[i].system, systems[s]))
				continue;
			fmt = event_format(i);
			if (!fmt)
				return -ENOMEM;
			errno = 0;
			wtext64(f, fmt);
			free(fmt);
			/* stop at the first failed write, with its errno */
			if (ferror(f))
				return errno ? -errno : -EIO;
		}
	}
	w32(f, 0);			/* kallsyms */
	w32(f, 0);			/* printk formats */
	cm = open_memstream(&cmdlines, &clen);
	if (!cm)
		return -ENOMEM;
	for (size_t i = 0; i < d->ntasks; i++)
		fprintf(cm, "%d %s\n", d->tasks[i].file_pid, d->tasks[i].comm);
	fclose(cm);
	wtext64(f, cmdlines);
	free(cmdlines);

	w32(f, (u32)ncpu);
	fwrite("flyrecord", 1, 10, f);
	pos = ftell(f);
	if (pos < 0)
		return -errno;
	off = ((u64)pos + (u64)ncpu * 16 + DAT_PAGE - 1) & ~(u64)(DAT_PAGE - 1);
	for (int c = 0; c < ncpu; c++) {
		u64 size = c < d->ncpu ? d->cpu[c].npages * DAT_PAGE : 0;

		w64(f, size ? off : 0);
		w64(f, size);
		off += size;
	}
	pos = ftell(f);
	while (pos >= 0 && (pos & (DAT_PAGE - 1))) {
		fputc(0, f);
		pos++;
	}
	for (int c = 0; c < d->ncpu; c++)
		if (d->cpu[c].npages)	/* a CPU with no event has no pages */
			fwrite(d->cpu[c].pages, DAT_PAGE, d->cpu[c].npages, f);
	/* the flush's errno says why (ENOSPC on a full disk) */
	errno = 0;
	if (fflush(f))
		return errno ? -errno : -EIO;
	if (ferror(f))
		return -EIO;
	return 0;
}

/**
 * sim_trace_dat_close - write the trace.dat and free @d
 *
 * Every machine that had @d must have stopped tracing to it
 * (sim_trace_set_dat(m, NULL)) or been destroyed. @d's FILE stays open.
 * Returns 0, or a negative errno (an event could not be kept, or the
 * file could not be written).
 */
int sim_trace_dat_close(struct sim_trace_dat *d)
{
	int ret;

	if (!d)
		return 0;
	ret = d->err ? d->err : write_file(d);
	for (int c = 0; c < d->ncpu; c++)
		free(d->cpu[c].pages);
	free(d->cpu);
	free(d->tasks);
	pthread_mutex_destroy(&d->lock);
	free(d);
	return ret;
}
