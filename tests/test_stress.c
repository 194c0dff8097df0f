// SPDX-License-Identifier: MIT
/*
 * Many threads mapping their own buffers through one IOMMU domain and
 * through several, lazy and strict: no dma-debug report may come out of
 * it (issue 11, "Two threads on a lazy IOMMU"). In lazy mode an unmapped
 * IOVA waits in a flush queue and is reused by whoever frees it; it must
 * never come back into use before the unmap that released it has done its
 * dma-debug bookkeeping. A clock thread fires the flush-queue timer (a
 * flush from another thread) while the others work.
 *
 * The counts are fixed and modest: enough to wrap every flush queue many
 * times over (256 entries), small enough for ThreadSanitizer.
 */
#include <pthread.h>
#include <stdatomic.h>
#include "helpers.h"

#define THREADS		4
#define ITERS		40000

/* One IOMMU; d0..d3 below their own root ports, so each has a domain. */
#define STRESS_PLATFORM(mode)						\
	"machine name=s arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"iommu id=io0 format=x86_64 mode=" mode " fq-timeout=1ms\n"	\
	"hostbridge id=hb0 iommu=io0 p2p=allow\n"			\
	"rootport id=rp0 bus=hb0 acs=rr,cr\n"				\
	"pcidev id=d0 bus=rp0 dma-bits=64\n"				\
	"rootport id=rp1 bus=hb0 acs=rr,cr\n"				\
	"pcidev id=d1 bus=rp1 dma-bits=64\n"				\
	"rootport id=rp2 bus=hb0 acs=rr,cr\n"				\
	"pcidev id=d2 bus=rp2 dma-bits=64\n"				\
	"rootport id=rp3 bus=hb0 acs=rr,cr\n"				\
	"pcidev id=d3 bus=rp3 dma-bits=64\n"

struct worker {
	struct sim_machine *m;
	struct device *dev;
	u8 *buf;		/* one page, this thread's own */
	unsigned int id;
	unsigned long errors;
	atomic_bool *stop_clock;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	u8 v;

	for (unsigned int i = 0; i < ITERS; i++) {
		enum dma_data_direction dir = DMA_BIDIRECTIONAL;
		size_t len = 64 + (i % 4) * 1024;
		dma_addr_t a;

		/* now and then a device-to-CPU mapping */
		if (i % 8 == 3)
			dir = DMA_FROM_DEVICE;
		a = dma_map_single(w->dev, w->buf, len, dir);
		if (dma_mapping_error(w->dev, a)) {
			w->errors++;
			continue;
		}
		if (i % 16 == 0) {
			v = (u8)(w->id * 16 + i);
			if (sim_dma_write(w->dev, a, &v, 1))
				w->errors++;
		}
		dma_unmap_single(w->dev, a, len, dir);
		if (i % 16 == 0 && w->buf[0] != (u8)(w->id * 16 + i))
			w->errors++;
	}
	return NULL;
}

/* Moves the machine clock, so the flush-queue timer flushes from here. */
static void *clock_fn(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(w->stop_clock))
		sim_clock_advance(w->m, 2000000);	/* 2 ms */
	return NULL;
}

static void run(const char *text, bool one_domain, bool clock)
{
	struct sim_machine *m = machine_from(text);
	static const char *const ids[THREADS] = { "d0", "d1", "d2", "d3" };
	struct worker w[THREADS + 1];
	pthread_t th[THREADS + 1];
	struct page *pg[THREADS];
	atomic_bool stop = false;

	sim_dma_debug_enable(m, true);
	for (unsigned int i = 0; i < THREADS; i++) {
		pg[i] = sim_alloc_pages(m, 1);
		assert_non_null(pg[i]);
		w[i] = (struct worker){
			.m = m, .id = i,
			.dev = dev_of(m, one_domain ? "d0" : ids[i]),
			.buf = sim_phys_to_virt(m, page_to_phys(pg[i])),
		};
		assert_int_equal(dma_set_mask_and_coherent(w[i].dev,
							   DMA_BIT_MASK(64)), 0);
	}
	w[THREADS] = (struct worker){ .m = m, .stop_clock = &stop };
	for (unsigned int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_fn,
						&w[i]), 0);
	if (clock)
		assert_int_equal(pthread_create(&th[THREADS], NULL, clock_fn,
						&w[THREADS]), 0);
	/* every thread joined before any assertion can leave this frame */
	for (unsigned int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&stop, true);
	if (clock)
		pthread_join(th[THREADS], NULL);
	for (unsigned int i = 0; i < THREADS; i++)
		assert_int_equal(w[i].errors, 0);
	if (sim_report_count(m))
		sim_report_dump(m, stderr);
	assert_int_equal(sim_dma_debug_errors(m), 0);
	assert_int_equal(sim_report_count(m), 0);
	assert_int_equal(sim_dma_debug_entries(m, NULL), 0);
	for (unsigned int i = 0; i < THREADS; i++)
		sim_free_pages(m, pg[i], 1);
	sim_machine_destroy(m);
}

static void test_lazy_one_domain(void **state)
{
	(void)state;
	run(STRESS_PLATFORM("lazy"), true, false);
}

static void test_lazy_one_domain_timer(void **state)
{
	(void)state;
	run(STRESS_PLATFORM("lazy"), true, true);
}

static void test_lazy_several_domains(void **state)
{
	(void)state;
	run(STRESS_PLATFORM("lazy"), false, true);
}

static void test_strict_one_domain(void **state)
{
	(void)state;
	run(STRESS_PLATFORM("strict"), true, false);
}

static void test_strict_several_domains(void **state)
{
	(void)state;
	run(STRESS_PLATFORM("strict"), false, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lazy_one_domain),
		cmocka_unit_test(test_lazy_one_domain_timer),
		cmocka_unit_test(test_lazy_several_domains),
		cmocka_unit_test(test_strict_one_domain),
		cmocka_unit_test(test_strict_several_domains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
