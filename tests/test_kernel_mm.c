// SPDX-License-Identifier: MIT
/*
 * Kernel-style memory-management code (tests/kernel/khmm.c: an HMM
 * mirror; tests/kernel/kdmabuf.c: a dma-buf exporter and a dynamic
 * importer) on five platforms: x86 with a lazy and a strict IOMMU, arm64
 * with 64K granules, dma-direct and a confidential guest. The harness
 * gives the thread an address space (current->mm, as the module loader
 * does), plays the process (its stores, migrations, zaps) and the device.
 */
#include <pthread.h>
#include <time.h>
#include <dmastack/linux/mman.h>
#include <dmastack/linux/sched.h>
#include "variants.h"
#include "kernel/kmod.h"

struct fx {
	VARIANT_FX;
	struct device *dev;
	struct mm_struct *mm;
};

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_api_machine);

	f->dev = dev_of(f->m, "dev0");
	f->mm = sim_mm_create(f->m);
	assert_false(IS_ERR(f->mm));
	assert_null(sim_set_current_mm(f->mm));
	assert_ptr_equal(current->mm, f->mm);
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	struct sim_process_stats ps;
	int bad = 0;

	if (!f)
		return 0;
	sim_process_stats(f->mm, &ps);
	if (ps.pages_present) {
		fprintf(stderr, "teardown: %lu user pages left\n",
			ps.pages_present);
		bad = -1;
	}
	sim_process_destroy(f->mm);
	if (current->mm) {
		fprintf(stderr, "teardown: current->mm left set\n");
		bad = -1;
	}
	if (sim_report_count_kind(f->m, SIM_REPORT_WARN)) {
		sim_report_dump(f->m, stderr);
		bad = -1;
	}
	if (variant_fx_teardown(state, TD_CLEAN))
		bad = -1;
	return bad;
}

/* RAM pages in use, less the IOMMU's page tables (they stay after unmap). */
static unsigned long pages_in_use(struct fx *f)
{
	long pt = f->translated ? sim_iommu_pt_pages(f->dev) : 0;

	assert_true(pt >= 0);
	return sim_ram_pages_allocated(f->m) -
	       (unsigned long)pt * (f->v->granule / PAGE_SIZE);
}

static void pattern(u8 *buf, unsigned int seed)
{
	for (unsigned int b = 0; b < PAGE_SIZE; b++)
		buf[b] = (u8)(seed * 31 + b * 7);
}

/* The device reads entry @idx (faulting it in first) and finds @want. */
static void device_sees(struct fx *f, struct khmm_mirror *m,
			unsigned long idx, const u8 *want)
{
	unsigned long long dma = 0;
	u8 got[PAGE_SIZE];

	assert_int_equal(khmm_fault(m, idx, 1, &dma), 0);
	assert_true(khmm_mapped(m, idx));
	assert_int_equal(sim_dma_read(f->dev, dma, got, sizeof(got)), 0);
	assert_memory_equal(got, want, PAGE_SIZE);
}

/* One mirror's life: returns with everything released. */
static void mirror_cycle(struct fx *f)
{
	const unsigned long npages = 8;
	unsigned long inv, unmapped, retries;
	struct khmm_mirror *m = khmm_mirror_new(f->dev, npages);
	unsigned long long dma;
	phys_addr_t before, after;
	u8 buf[PAGE_SIZE], want[PAGE_SIZE];
	unsigned long addr;

	if (f->v->cc) {
		/* HMM cannot hand pages back and forth through swiotlb */
		assert_true(IS_ERR(m));
		assert_int_equal(PTR_ERR(m), -EOPNOTSUPP);
		return;
	}
	assert_false(IS_ERR(m));
	addr = khmm_mirror_addr(m);
	assert_true(addr >= SIM_MM_START &&
		    addr + npages * PAGE_SIZE <= SIM_MM_START + SIM_MM_SIZE);

	/* the process stores; the device reads what it stored */
	for (unsigned int i = 0; i < 4; i++) {
		pattern(buf, i);
		assert_int_equal(sim_process_write(f->mm, addr + i * PAGE_SIZE,
						   buf, PAGE_SIZE), 0);
	}
	assert_int_equal(khmm_fault(m, 0, 4, &dma), 0);
	for (unsigned int i = 0; i < 4; i++) {
		pattern(want, i);
		device_sees(f, m, i, want);
	}
	khmm_counters(m, &inv, &unmapped, &retries);
	assert_int_equal(inv, 0);

	/* migration: the mirror lets go first, then re-faults the new page */
	assert_int_equal(sim_process_va_to_phys(f->mm, addr + PAGE_SIZE,
						&before), 0);
	assert_int_equal(sim_process_migrate(f->mm, addr + PAGE_SIZE), 0);
	assert_false(khmm_mapped(m, 1));
	assert_true(khmm_mapped(m, 0));
	khmm_counters(m, &inv, &unmapped, &retries);
	assert_int_equal(inv, 1);
	assert_int_equal(unmapped, 1);
	pattern(want, 1);
	device_sees(f, m, 1, want);
	assert_int_equal(sim_process_va_to_phys(f->mm, addr + PAGE_SIZE,
						&after), 0);
	assert_true(before != after);

	/* zap: a zero page comes back; the kernel fills it, the device sees */
	assert_int_equal(sim_process_zap(f->mm, addr + 2 * PAGE_SIZE,
					 PAGE_SIZE), 0);
	assert_false(khmm_mapped(m, 2));
	assert_int_equal(khmm_fill(m, 2, 0x5a, &dma), 0);
	for (unsigned int b = 0; b < PAGE_SIZE; b++)
		want[b] = (u8)(0x5a + b * 3);
	assert_int_equal(sim_dma_read(f->dev, dma, buf, PAGE_SIZE), 0);
	assert_memory_equal(buf, want, PAGE_SIZE);
	assert_int_equal(sim_process_read(f->mm, addr + 2 * PAGE_SIZE, buf,
					  PAGE_SIZE), 0);
	assert_memory_equal(buf, want, PAGE_SIZE);

	/* the device writes; the process reads it */
	memset(want, 0xd7, sizeof(want));
	assert_int_equal(sim_dma_write(f->dev, dma, want, PAGE_SIZE), 0);
	assert_int_equal(sim_process_read(f->mm, addr + 2 * PAGE_SIZE, buf,
					  PAGE_SIZE), 0);
	assert_memory_equal(buf, want, PAGE_SIZE);

	/* read-only: the mirror is told, and a write fault is refused */
	assert_int_equal(sim_process_mprotect(f->mm, addr + 3 * PAGE_SIZE,
					      PAGE_SIZE, false), 0);
	assert_false(khmm_mapped(m, 3));
	assert_int_equal(khmm_fault(m, 3, 1, &dma), -EPERM);
	khmm_counters(m, &inv, &unmapped, &retries);
	assert_int_equal(inv, 3);
	assert_int_equal(unmapped, 3);
	assert_int_equal(retries, 0);

	khmm_mirror_free(m);
}

static void test_hmm_mirror(void **state)
{
	struct fx *f = *state;
	struct sim_process_stats ps;
	unsigned long warm;

	mirror_cycle(f);
	warm = pages_in_use(f);
	mirror_cycle(f);
	/* every user page, pfn list and IOVA is back */
	assert_int_equal(pages_in_use(f), warm);
	sim_process_stats(f->mm, &ps);
	assert_int_equal(ps.pages_present, 0);
	if (f->translated)
		assert_int_equal(sim_iommu_faults(f->m), 0);
}

/* vm_mmap()/vm_munmap() on current->mm, and none without one. */
static void test_vm_mmap(void **state)
{
	struct fx *f = *state;
	unsigned long a, b;
	phys_addr_t phys;
	u8 byte = 1;

	a = vm_mmap(NULL, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(a, SIM_MM_START);
	b = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ,
		    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	assert_int_equal(b, a + 3 * PAGE_SIZE);
	/* a store to the read-only mapping, a touch outside any mapping */
	assert_int_equal(sim_process_write(f->mm, b, &byte, 1), -EFAULT);
	assert_int_equal(sim_process_read(f->mm, b + PAGE_SIZE, &byte, 1),
			 -EFAULT);
	assert_int_equal(sim_process_read(f->mm, b, &byte, 1), 0);
	assert_int_equal(byte, 0);
	assert_int_equal(sim_process_write(f->mm, a + PAGE_SIZE, "x", 1), 0);
	/* the hole a munmap leaves is found again */
	assert_int_equal(vm_munmap(a, 3 * PAGE_SIZE), 0);
	assert_int_equal(sim_process_va_to_phys(f->mm, a + PAGE_SIZE, &phys),
			 -EFAULT);
	assert_int_equal(vm_mmap(NULL, 0, 2 * PAGE_SIZE, PROT_READ,
				 MAP_ANONYMOUS | MAP_SHARED, 0), a);
	assert_int_equal((long)vm_mmap(NULL, 0, SIM_MM_SIZE, PROT_READ,
				       MAP_ANONYMOUS | MAP_PRIVATE, 0),
			 -ENOMEM);
	assert_int_equal((long)vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ,
				       MAP_PRIVATE, 0), -EINVAL);
	assert_int_equal(vm_munmap(a, SIM_MM_SIZE), 0);
	/* without an mm there is nothing to map into */
	assert_ptr_equal(sim_set_current_mm(NULL), f->mm);
	assert_int_equal((long)vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ,
				       MAP_ANONYMOUS | MAP_PRIVATE, 0),
			 -EINVAL);
	assert_int_equal(vm_munmap(a, PAGE_SIZE), -EINVAL);
	assert_null(sim_set_current_mm(f->mm));
}

struct mover {
	pthread_t t;
	struct fx *f;
	unsigned long addr, npages;
	int rounds, ret;
};

/* The CPU side: pages move under the mirror while it faults. */
static void *mover_fn(void *arg)
{
	struct mover *mv = arg;

	sim_set_current_machine(mv->f->m);
	for (int r = 0; r < mv->rounds && !mv->ret; r++)
		mv->ret = sim_process_migrate(mv->f->mm, mv->addr +
					      (r % mv->npages) * PAGE_SIZE);
	return NULL;
}

/*
 * Faults and migrations at once: every fault completes (retrying what an
 * invalidation overtook) and the device finds the data afterwards.
 */
static void test_hmm_mirror_race(void **state)
{
	struct fx *f = *state;
	const unsigned long npages = 4;
	struct khmm_mirror *m;
	struct mover mv = { .f = f, .npages = npages, .rounds = 200 };
	u8 buf[PAGE_SIZE];

	if (f->v->cc)
		skip();
	m = khmm_mirror_new(f->dev, npages);
	assert_false(IS_ERR(m));
	mv.addr = khmm_mirror_addr(m);
	for (unsigned int i = 0; i < npages; i++) {
		pattern(buf, i + 40);
		assert_int_equal(sim_process_write(f->mm, mv.addr + i * PAGE_SIZE,
						   buf, PAGE_SIZE), 0);
	}
	assert_int_equal(pthread_create(&mv.t, NULL, mover_fn, &mv), 0);
	for (int r = 0; r < 200; r++) {
		unsigned long long dma;

		assert_int_equal(khmm_fault(m, (unsigned long)r % npages, 1,
					    &dma), 0);
	}
	assert_int_equal(pthread_join(mv.t, NULL), 0);
	assert_int_equal(mv.ret, 0);
	for (unsigned int i = 0; i < npages; i++) {
		pattern(buf, i + 40);
		device_sees(f, m, i, buf);
	}
	khmm_mirror_free(m);
}

/* ------------------------------------------------------------ dma-buf --- */

struct finisher {
	pthread_t t;
	struct sim_machine *m;
	struct kdmabuf_exp *exp;
};

/* The exporter's clear job, finishing on another CPU a little later. */
static void *finisher_fn(void *arg)
{
	struct finisher *fin = arg;
	const struct timespec ms = { 0, 2000000L };

	sim_set_current_machine(fin->m);
	nanosleep(&ms, NULL);
	kdmabuf_exp_finish_clear(fin->exp, 0x30);
	return NULL;
}

static u8 clear_byte(unsigned int page, unsigned int b)
{
	return (u8)(0x30 + page * 5 + b);
}

/*
 * The device reads every DMA segment of the importer's mapping (the
 * exporter's clear pattern), then writes @seed's bytes over it.
 */
static void device_pass(struct fx *f, struct kdmabuf_imp *imp,
			unsigned int nsegs, unsigned int npages, u8 seed)
{
	unsigned long off = 0;

	for (unsigned int i = 0; i < nsegs; i++) {
		unsigned long long dma;
		unsigned int len;
		u8 *got;

		assert_int_equal(kdmabuf_imp_seg(imp, i, &dma, &len), 0);
		got = malloc(len);
		assert_non_null(got);
		assert_int_equal(sim_dma_read(f->dev, dma, got, len), 0);
		for (unsigned int b = 0; b < len; b++) {
			unsigned long at = off + b;

			if (got[b] != clear_byte((unsigned int)(at / PAGE_SIZE),
						 (unsigned int)(at % PAGE_SIZE)) &&
			    got[b] != (u8)(seed - 1 + at))
				fail_msg("segment %u byte %u: %#x", i, b, got[b]);
		}
		for (unsigned int b = 0; b < len; b++)
			got[b] = (u8)(seed + off + b);
		assert_int_equal(sim_dma_write(f->dev, dma, got, len), 0);
		free(got);
		off += len;
	}
	assert_int_equal(off, (unsigned long)npages * PAGE_SIZE);
	assert_int_equal(kdmabuf_imp_seg(imp, nsegs, &(unsigned long long){0},
					 &(unsigned int){0}), -ENOENT);
}

static void test_dmabuf_export_import(void **state)
{
	struct fx *f = *state;
	const unsigned int npages = 6;
	unsigned long warm = 0;

	for (int round = 0; round < 2; round++) {
		struct finisher fin = { .m = f->m };
		bool released = false;
		struct kdmabuf_exp *exp = kdmabuf_export(npages, &released);
		struct kdmabuf_imp *imp;
		unsigned int nsegs;
		u8 buf[PAGE_SIZE];
		int fd;

		assert_false(IS_ERR(exp));
		fd = kdmabuf_exp_fd(exp);
		assert_true(fd >= 0);
		imp = kdmabuf_import(f->dev, fd);
		assert_false(IS_ERR(imp));
		assert_int_equal(kdmabuf_exp_attachments(exp), 1);
		assert_false(kdmabuf_imp_idle(imp));

		/* the importer waits for the clear job another CPU finishes */
		fin.exp = exp;
		assert_int_equal(pthread_create(&fin.t, NULL, finisher_fn, &fin),
				 0);
		assert_int_equal(kdmabuf_imp_map(imp, &nsegs), 0);
		assert_int_equal(pthread_join(fin.t, NULL), 0);
		assert_true(kdmabuf_imp_idle(imp));
		assert_true(nsegs >= 1 && nsegs <= npages);
		device_pass(f, imp, nsegs, npages, 0x91);
		kdmabuf_imp_unmap(imp);
		/* the CPU sees what the device wrote */
		for (unsigned int i = 0; i < npages; i++) {
			kdmabuf_exp_read(exp, i * PAGE_SIZE, buf, PAGE_SIZE);
			for (unsigned int b = 0; b < PAGE_SIZE; b++)
				assert_int_equal(buf[b],
						 (u8)(0x91 + i * PAGE_SIZE + b));
		}

		/* the buffer moves: the importer lets go, then maps again */
		assert_int_equal(kdmabuf_imp_map(imp, &nsegs), 0);
		kdmabuf_exp_move(exp);
		assert_int_equal(kdmabuf_imp_moves(imp), 1);
		assert_int_equal(kdmabuf_imp_seg(imp, 0, &(unsigned long long){0},
						 &(unsigned int){0}), -ENOENT);
		assert_int_equal(kdmabuf_imp_map(imp, &nsegs), 0);
		device_pass(f, imp, nsegs, npages, 0x92);
		kdmabuf_imp_free(imp);
		kdmabuf_exp_read(exp, PAGE_SIZE, buf, PAGE_SIZE);
		assert_int_equal(buf[7], (u8)(0x92 + PAGE_SIZE + 7));
		assert_int_equal(kdmabuf_exp_attachments(exp), 0);

		/* the exporter lets go, then userspace closes: released */
		kdmabuf_exp_put(exp);
		assert_false(released);
		assert_int_equal(sim_fd_close(f->m, fd), 0);
		assert_true(released);
		if (round == 0)
			warm = pages_in_use(f);
		else
			assert_int_equal(pages_in_use(f), warm);
	}
	if (f->translated)
		assert_int_equal(sim_iommu_faults(f->m), 0);
}

static const struct dma_variant *const variants[] = {
	&variant_direct, &variant_x86_strict, &variant_x86_lazy,
	&variant_arm64_64k_strict, &variant_cc,
};

static const struct variant_test tests[] = {
	VARIANT_TEST(test_vm_mmap),
	VARIANT_TEST(test_hmm_mirror),
	VARIANT_TEST(test_hmm_mirror_race),
	VARIANT_TEST(test_dmabuf_export_import),
};

int main(void)
{
	return variant_run_groups("kernel-mm", VARIANT_TESTS(tests),
				  VARIANTS(variants), fx_setup, fx_teardown);
}
