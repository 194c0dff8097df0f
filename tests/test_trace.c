// SPDX-License-Identifier: MIT
/*
 * The trace lines up with the reports (issue 11, item 7): the IOVA API's
 * events, the kernel's iommu events (map, unmap, io_page_fault) and every
 * report as a dmastack_report event, written when it is made, so each
 * report follows the calls that led to it. And the trace depends on the
 * program only: machine-clock timestamps, thread indices as CPUs.
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <dmastack/linux/kthread.h>
#include <dmastack/linux/sched.h>
#include "helpers.h"

#define TRACE_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"iommu id=io0 format=x86_64 mode=lazy\n"			\
	"hostbridge id=hb0 iommu=io0 p2p=allow\n"			\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0 dma-bits=64\n"

static char *slurp(FILE *f)
{
	long n;
	char *buf;

	fflush(f);
	n = ftell(f);
	assert_true(n > 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	return buf;
}

/* The start of a text trace line of task @comm, pid @pid, on CPU @cpu. */
static const char *task_tag(char *buf, size_t len, const char *comm, int pid,
			    int cpu)
{
	snprintf(buf, len, "%16s-%-7d [%03d] ..... ", comm, pid, cpu);
	return buf;
}

/* The calling thread's name, the comm of its task. */
static const char *thread_name(char *buf)
{
	assert_int_equal(prctl(PR_GET_NAME, buf, 0, 0, 0), 0);
	return buf;
}

/* The line of the first @needle after @from, NULL if none. */
static const char *line_after(const char *from, const char *needle)
{
	return from ? strstr(from, needle) : NULL;
}

/* A few events on @m: a page mapped and unmapped for dev0. */
static void some_events(struct sim_machine *m)
{
	struct device *dev = dev_of(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 0);
	dma_addr_t a;

	for (int i = 0; i < 200; i++) {
		a = dma_map_phys(dev, page_to_phys(pg), PAGE_SIZE, DMA_TO_DEVICE, 0);
		assert_false(dma_mapping_error(dev, a));
		dma_unmap_phys(dev, a, PAGE_SIZE, DMA_TO_DEVICE, 0);
	}
	sim_free_pages(m, pg, 0);
}

/*
 * A trace that cannot be written (a full disk) is not a silent success:
 * the text stream keeps the error for its owner, and the trace.dat writer
 * returns the failed write's errno.
 */
static void test_trace_write_errors(void **state)
{
	struct sim_machine *m = machine_from(TRACE_PLATFORM);
	FILE *f = fopen("/dev/full", "w");
	struct sim_trace_dat *d;

	(void)state;
	assert_non_null(f);
	sim_trace_set_file(m, f);
	some_events(m);
	sim_trace_set_file(m, NULL);
	assert_true(sim_trace_events(m) >= 400);
	errno = 0;
	assert_true(fflush(f) != 0 || ferror(f));
	assert_true(ferror(f));
	fclose(f);

	f = fopen("/dev/full", "w");
	assert_non_null(f);
	d = sim_trace_dat_open(f);
	assert_non_null(d);
	sim_trace_set_dat(m, d);
	some_events(m);
	sim_trace_set_dat(m, NULL);
	assert_int_equal(sim_trace_dat_close(d), -ENOSPC);
	fclose(f);
	/* and a writable file still gets its trace.dat */
	f = tmpfile();
	assert_non_null(f);
	d = sim_trace_dat_open(f);
	sim_trace_set_dat(m, d);
	some_events(m);
	sim_trace_set_dat(m, NULL);
	assert_int_equal(sim_trace_dat_close(d), 0);
	assert_true(ftell(f) > 4096);
	fclose(f);
	sim_machine_destroy(m);
}

static void test_iova_iommu_report_events(void **state)
{
	struct sim_machine *m = machine_from(TRACE_PLATFORM);
	struct device *dev = dev_of(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 1);
	phys_addr_t phys = page_to_phys(pg);
	struct dma_iova_state st;
	FILE *f = tmpfile();
	char needle[160], *out;
	const char *p;
	dma_addr_t a;
	u8 buf[16];

	(void)state;
	assert_non_null(f);
	assert_non_null(pg);
	sim_dma_debug_enable(m, true);
	sim_trace_set_file(m, f);

	/* the IOVA API: a page linked, synced, unlinked; two linked, destroyed */
	assert_true(dma_iova_try_alloc(dev, &st, phys, 8192));
	assert_int_equal(dma_iova_link(dev, &st, phys, 0, 4096,
				       DMA_TO_DEVICE, 0), 0);
	assert_int_equal(dma_iova_sync(dev, &st, 0, 4096), 0);
	dma_iova_unlink(dev, &st, 0, 4096, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_iova_link(dev, &st, phys, 0, 8192,
				       DMA_TO_DEVICE, 0), 0);
	dma_iova_destroy(dev, &st, 8192, DMA_TO_DEVICE, 0);

	/* streaming: iommu map and unmap under dma_map/unmap_phys */
	a = dma_map_phys(dev, phys, 256, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(dev, a));
	dma_unmap_phys(dev, a, 256, DMA_BIDIRECTIONAL, 0);

	/* a dma-debug report: unmap of what was never mapped */
	dma_unmap_phys(dev, 0x7000000, 256, DMA_TO_DEVICE, 0);

	/* an IOMMU fault: the device reads an IOVA nothing maps */
	assert_int_equal(sim_dma_read(dev, 0x5550000, buf, sizeof(buf)),
			 -EFAULT);
	sim_trace_set_file(m, NULL);
	out = slurp(f);
	if (getenv("TRACE_DUMP"))
		fputs(out, stderr);

	snprintf(needle, sizeof(needle),
		 "dma_iova_alloc: %s dma_addr=%llx size=8192 phys_addr=%llx",
		 dev_name(dev), (unsigned long long)st.addr,
		 (unsigned long long)phys);
	p = line_after(out, needle);
	assert_non_null(p);
	snprintf(needle, sizeof(needle),
		 "dma_iova_link: %s dir=TO_DEVICE dma_addr=%llx size=4096 phys_addr=%llx attrs=",
		 dev_name(dev), (unsigned long long)st.addr,
		 (unsigned long long)phys);
	p = line_after(p, needle);
	assert_non_null(p);
	/* the link's page-table update is the kernel's map event */
	snprintf(needle, sizeof(needle),
		 "map: IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=4096",
		 (unsigned long long)st.addr,
		 (unsigned long long)st.addr + 4096,
		 (unsigned long long)phys);
	assert_non_null(line_after(out, needle));
	p = line_after(p, "dma_iova_sync: ");
	p = line_after(p, "dma_iova_unlink: ");
	assert_non_null(line_after(p, "unmap: IOMMU: iova=0x"));
	p = line_after(p, "dma_iova_destroy: ");
	assert_non_null(line_after(p, "unmap: IOMMU: iova=0x"));
	assert_non_null(p);

	p = line_after(p, "dma_map_phys: ");
	p = line_after(p, "dma_unmap_phys: ");
	assert_non_null(p);
	/* the report comes right after the unmap that provoked it */
	p = line_after(p, "dma_unmap_phys: ");
	assert_non_null(p);
	snprintf(needle, sizeof(needle),
		 "dmastack_report: kind=dma-debug device=%s addr=0x0 len=0 text=\"DMA-API: ",
		 dev_name(dev));
	p = line_after(p, needle);
	assert_non_null(p);
	assert_non_null(strstr(p, "has not allocated [device address=0x0000000007000000]"));

	snprintf(needle, sizeof(needle),
		 "io_page_fault: IOMMU:%s %s iova=0x0000000005550000 flags=0x0000",
		 dev_driver_string(dev), dev_name(dev));
	p = line_after(p, needle);
	assert_non_null(p);
	p = line_after(p, "dmastack_report: kind=iommu-fault device=");
	assert_non_null(p);

	/*
	 * the task (this thread: its name and its task's pid), the thread's
	 * index as the CPU, the machine clock
	 */
	{
		char tag[64], name[16];

		task_tag(tag, sizeof(tag), thread_name(name), current->pid, 0);
		snprintf(needle, sizeof(needle), "%s    0.000000: dma_iova_alloc: ", tag);
		assert_non_null(strstr(out, needle));
		assert_null(strstr(out, "dmastack-"));
	}
	free(out);
	fclose(f);
	sim_free_pages(m, pg, 1);
	sim_machine_destroy(m);
}

struct other {
	struct device *dev;
	phys_addr_t phys;
	int pid;		/* out: the thread's task's */
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
	o->pid = current->pid;
	return NULL;
}

/* A second thread is CPU 1 (PID 2); the clock is the machine's. */
/*
 * Device accesses are events only when asked for: one per TLP, with the
 * requester, the direction, the bus address and where it landed.
 */
static void test_device_access_events(void **state)
{
	struct sim_machine *m = machine_from(TRACE_PLATFORM);
	struct device *dev = dev_of(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 1);
	FILE *f = tmpfile();
	char needle[160], *out;
	u8 buf[6000] = { 0 };
	dma_addr_t a;

	(void)state;
	assert_non_null(f);
	assert_non_null(pg);
	sim_trace_set_file(m, f);
	a = dma_map_phys(dev, page_to_phys(pg), sizeof(buf), DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(dev, a));
	/* not asked for: no access events */
	assert_int_equal(sim_dma_write(dev, a, buf, 16), 0);
	sim_trace_set_accesses(m, true);
	/* 6000 bytes from a page boundary: two TLPs (4 KiB at most each) */
	assert_int_equal(sim_dma_write(dev, a, buf, sizeof(buf)), 0);
	assert_int_equal(sim_dma_read(dev, a + 4096, buf, 8), 0);
	sim_trace_set_accesses(m, false);
	assert_int_equal(sim_dma_read(dev, a, buf, 8), 0);
	dma_unmap_phys(dev, a, sizeof(buf), DMA_BIDIRECTIONAL, 0);
	sim_trace_set_file(m, NULL);
	out = slurp(f);
	snprintf(needle, sizeof(needle),
		 "dmastack_dev_access: %s write addr=%#llx phys=%#llx len=4096 target=ram",
		 dev_name(dev), (unsigned long long)a,
		 (unsigned long long)page_to_phys(pg));
	assert_non_null(strstr(out, needle));
	snprintf(needle, sizeof(needle),
		 "dmastack_dev_access: %s write addr=%#llx phys=%#llx len=1904 target=ram",
		 dev_name(dev), (unsigned long long)a + 4096,
		 (unsigned long long)page_to_phys(pg) + 4096);
	assert_non_null(strstr(out, needle));
	snprintf(needle, sizeof(needle),
		 "dmastack_dev_access: %s read addr=%#llx", dev_name(dev),
		 (unsigned long long)a + 4096);
	assert_non_null(strstr(out, needle));
	/* exactly those three */
	{
		unsigned int n = 0;

		for (const char *p = out; (p = strstr(p, "dmastack_dev_access:")); p++)
			n++;
		assert_int_equal(n, 3);
	}
	free(out);
	fclose(f);
	sim_free_pages(m, pg, 1);
	sim_machine_destroy(m);
}

static void test_thread_index_and_clock(void **state)
{
	struct sim_machine *m = machine_from(TRACE_PLATFORM);
	struct device *dev = dev_of(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 0);
	struct other o = { dev, page_to_phys(pg), 0 };
	FILE *f = tmpfile();
	pthread_t th;
	char *out;
	dma_addr_t a;

	(void)state;
	assert_non_null(f);
	sim_trace_set_file(m, f);
	a = dma_map_phys(dev, o.phys, 64, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(pthread_create(&th, NULL, other_thread, &o), 0);
	pthread_join(th, NULL);
	sim_clock_advance(m, 1234567000ULL);	/* 1.234567 s */
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	sim_trace_set_file(m, NULL);
	out = slurp(f);
	{
		char tag[64], needle[128], name[16];

		/* this thread: its name, its task's pid, CPU 0 */
		thread_name(name);
		task_tag(tag, sizeof(tag), name, current->pid, 0);
		snprintf(needle, sizeof(needle), "%s    0.000000: dma_map_phys: ", tag);
		assert_non_null(strstr(out, needle));
		snprintf(needle, sizeof(needle), "%s    1.234567: dma_unmap_phys: ", tag);
		assert_non_null(strstr(out, needle));
		/* the other: the name it gave itself, a task of its own, CPU 1 */
		assert_true(o.pid > 0);
		task_tag(tag, sizeof(tag), "worker", o.pid, 1);
		snprintf(needle, sizeof(needle), "%s    0.000000: dma_map_phys: ", tag);
		assert_non_null(strstr(out, needle));
		snprintf(needle, sizeof(needle), "%s    0.000000: dma_unmap_phys: ", tag);
		assert_non_null(strstr(out, needle));
	}
	free(out);
	fclose(f);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

/* A kthread that maps and unmaps once, then waits to be stopped. */
static int kthread_maps(void *arg)
{
	struct other *o = arg;
	dma_addr_t a = dma_map_phys(o->dev, o->phys, 64, DMA_FROM_DEVICE, 0);

	if (!dma_mapping_error(o->dev, a))
		dma_unmap_phys(o->dev, a, 64, DMA_FROM_DEVICE, 0);
	/* the test polls it while this thread runs */
	__atomic_store_n(&o->pid, current->pid, __ATOMIC_RELEASE);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/*
 * The task of an event is the simulated one: a kthread by its name and
 * pid; a user thread by the name it has when the event is made (a rename
 * shows from then on, as the kernel's comm follows PR_SET_NAME).
 */
static void test_task_names(void **state)
{
	struct sim_machine *m = machine_from(TRACE_PLATFORM);
	struct device *dev = dev_of(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 0);
	struct other o = { dev, page_to_phys(pg), 0 };
	char tag[64], needle[160], old[16];
	struct task_struct *k;
	FILE *f = tmpfile();
	dma_addr_t a;
	char *out;

	(void)state;
	assert_non_null(f);
	thread_name(old);
	sim_trace_set_file(m, f);
	k = kthread_run(kthread_maps, &o, "dmatest/%d", 3);
	assert_false(IS_ERR(k));
	while (!__atomic_load_n(&o.pid, __ATOMIC_ACQUIRE))
		sim_clock_advance(m, 1000000);
	assert_int_equal(kthread_stop(k), 0);
	assert_int_equal(prctl(PR_SET_NAME, "fio", 0, 0, 0), 0);
	a = dma_map_phys(dev, page_to_phys(pg), 64, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(prctl(PR_SET_NAME, "fio-renamed", 0, 0, 0), 0);
	dma_unmap_phys(dev, a, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(prctl(PR_SET_NAME, old, 0, 0, 0), 0);
	sim_trace_set_file(m, NULL);
	out = slurp(f);
	if (getenv("TRACE_DUMP"))
		fputs(out, stderr);

	/* the kthread: "dmatest/3", the pid of its task, on the CPU (thread
	 * index) after this thread's, which took one with its first
	 * allocation on the machine */
	task_tag(tag, sizeof(tag), "dmatest/3", o.pid, 1);
	snprintf(needle, sizeof(needle), "%s", tag);
	assert_non_null(strstr(out, needle));
	assert_non_null(strstr(strstr(out, needle), "dma_map_phys: "));
	/* this thread, as "fio" and then as "fio-renamed", one task */
	snprintf(needle, sizeof(needle), "%16s-%-7d [", "fio", current->pid);
	assert_non_null(strstr(out, needle));
	assert_non_null(strstr(strstr(out, needle), ": dma_map_phys: "));
	snprintf(needle, sizeof(needle), "%16s-%-7d [", "fio-renamed", current->pid);
	assert_non_null(strstr(out, needle));
	assert_non_null(strstr(strstr(out, needle), ": dma_unmap_phys: "));
	free(out);
	fclose(f);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

#define FORCE_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"swiotlb size=4M force=yes\n"					\
	"hostbridge id=hb0 p2p=allow\n"				\
	"rootport id=rp0 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp0 dma-bits=64\n"

/* A scatterlist of @n 16-byte entries in @pg. */
static void small_sgt(struct sg_table *sgt, struct page *pg, unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	assert_int_equal(sg_alloc_table(sgt, n, GFP_KERNEL), 0);
	for_each_sg(sgt->sgl, sg, n, i)
		sg_set_page(sg, pg, 16, i * 16);
}

/*
 * swiotlb_bounced as the kernel's include/trace/events/swiotlb.h prints it,
 * and dma_map_sg with the newer kernel's counts: entries shown of all, and
 * [TRUNCATED] past DMA_TRACE_MAX_ENTRIES (128).
 */
static void test_swiotlb_and_map_sg_formats(void **state)
{
	struct sim_machine *m = machine_from(FORCE_PLATFORM);
	struct device *dev = dev_of(m, "dev0");
	struct page *pg = sim_alloc_pages(m, 0);
	struct sg_table small, big;
	char needle[256], *out;
	FILE *f = tmpfile();
	const char *p;
	dma_addr_t a;

	(void)state;
	assert_non_null(f);
	assert_non_null(pg);
	sim_trace_set_file(m, f);
	a = dma_map_phys(dev, page_to_phys(pg) + 64, 200, DMA_TO_DEVICE, 0);
	assert_false(dma_mapping_error(dev, a));
	dma_unmap_phys(dev, a, 200, DMA_TO_DEVICE, 0);
	small_sgt(&small, pg, 3);
	small_sgt(&big, pg, 200);
	assert_int_equal(dma_map_sgtable(dev, &small, DMA_FROM_DEVICE, 0), 0);
	assert_int_equal(dma_map_sgtable(dev, &big, DMA_BIDIRECTIONAL, 0), 0);
	dma_unmap_sgtable(dev, &big, DMA_BIDIRECTIONAL, 0);
	dma_unmap_sgtable(dev, &small, DMA_FROM_DEVICE, 0);
	sim_trace_set_file(m, NULL);
	out = slurp(f);
	if (getenv("TRACE_DUMP"))
		fputs(out, stderr);

	/* the device's mask, the original buffer's address, forced */
	snprintf(needle, sizeof(needle),
		 ": swiotlb_bounced: dev_name: %s dma_mask=ffffffffffffffff dev_addr=%llx size=200 FORCE\n",
		 dev_name(dev), (unsigned long long)page_to_phys(pg) + 64);
	assert_non_null(strstr(out, needle));
	/* three entries, all shown */
	snprintf(needle, sizeof(needle),
		 ": dma_map_sg: %s dir=FROM_DEVICE nents=3/3 ents=%d/%d dma_addrs={0x",
		 dev_name(dev), (int)small.nents, (int)small.nents);
	p = strstr(out, needle);
	assert_non_null(p);
	snprintf(needle, sizeof(needle), " phys_addrs={0x%llx,0x%llx,0x%llx} attrs=\n",
		 (unsigned long long)page_to_phys(pg),
		 (unsigned long long)page_to_phys(pg) + 16,
		 (unsigned long long)page_to_phys(pg) + 32);
	assert_non_null(strstr(p, needle));
	{
		const char *eol = strchr(p, '\n'), *t = strstr(p, "[TRUNCATED]");

		assert_true(!t || t > eol);	/* not on this line */
	}
	/* 200 entries: 128 of 200 shown, and said so */
	snprintf(needle, sizeof(needle),
		 ": dma_map_sg: %s dir=BIDIRECTIONAL nents=128/200 ents=%d/%d [TRUNCATED] dma_addrs={",
		 dev_name(dev), min((int)big.nents, 128), (int)big.nents);
	assert_non_null(strstr(out, needle));
	free(out);
	fclose(f);
	sg_free_table(&small);
	sg_free_table(&big);
	sim_free_pages(m, pg, 0);
	sim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iova_iommu_report_events),
		cmocka_unit_test(test_trace_write_errors),
		cmocka_unit_test(test_thread_index_and_clock),
		cmocka_unit_test(test_device_access_events),
		cmocka_unit_test(test_task_names),
		cmocka_unit_test(test_swiotlb_and_map_sg_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
